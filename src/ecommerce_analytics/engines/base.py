"""The interface every engine implements: run a query, list the tables, close."""

from __future__ import annotations

import decimal
import logging
from abc import ABC, abstractmethod
from typing import ClassVar

import pandas as pd

from ..database import QueryError
from ._dialects import transpile

__all__ = ["Engine", "EngineUnavailableError", "normalize_result"]

log = logging.getLogger(__name__)


class EngineUnavailableError(RuntimeError):
    """An engine whose software is not installed (pyspark, a Java runtime); ``str(err)`` is one line."""


def normalize_result(frame: pd.DataFrame) -> pd.DataFrame:
    """One result frame's dtypes as on every engine: integers as int64, decimals as float64.

    Parameters
    ----------
    frame : DataFrame
        An engine's raw result.

    Returns
    -------
    DataFrame
        The same values; integer columns of any width (without nulls) as ``int64`` and columns
        of :class:`decimal.Decimal` as ``float64``.

    Examples
    --------
    >>> normalize_result(pd.DataFrame({"n": pd.array([1, 2], dtype="int32")})).n.dtype
    dtype('int64')
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_integer_dtype(s) and not s.isna().any():
            out[col] = s.astype("int64")
        elif s.dtype == object and len(s) and s.map(lambda v: isinstance(v, decimal.Decimal) or v is None).all():
            out[col] = s.astype("float64")
    return out


class Engine(ABC):
    """A SQL engine holding the project's tables; queries are written in SQLite's dialect.

    Use :func:`~ecommerce_analytics.engines.connect_engine` to open one; an engine is a context
    manager (``with connect_engine("duckdb", parquet=folder) as engine: ...``).

    Attributes
    ----------
    name : str
        ``"sqlite"``, ``"duckdb"`` or ``"spark"``.
    dialect : str
        SQLGlot's name of the engine's dialect.
    source : str
        What the tables were read from (for messages).
    """

    name: ClassVar[str]
    dialect: ClassVar[str]

    def __init__(self, source: str) -> None:
        self.source = source
        self._tables: list[str] = []
        self._closed = False

    def _attach(self, database: object, parquet: object, frames: object, workdir: object) -> None:
        """Hold the one source given: a SQLite file (copied to Parquet in ``workdir``), a Parquet folder or frames.

        Engines that read Parquet and frames implement :meth:`_add_parquet` and :meth:`_add_frame`.
        """
        from pathlib import Path

        from .sources import prepare_frames, sqlite_to_parquet

        if database is not None:
            Engine.__init__(self, f"SQLite file {database}")
            sqlite_to_parquet(database, Path(workdir) / "parquet")
            self._add_parquet(Path(workdir) / "parquet")
        elif parquet is not None:
            Engine.__init__(self, f"Parquet folder {parquet}")
            self._add_parquet(parquet)
        else:
            Engine.__init__(self, "pandas frames")
            for table, frame in prepare_frames(frames).items():
                self._add_frame(table, frame)

    def _add_parquet(self, folder: object) -> None:  # pragma: no cover - overridden where used
        raise NotImplementedError

    def _add_frame(self, table: str, frame: pd.DataFrame) -> None:  # pragma: no cover - overridden where used
        raise NotImplementedError

    def run(self, sql: str, *, dialect: str | None = "sqlite") -> pd.DataFrame:
        """Execute one query and return its result.

        Parameters
        ----------
        sql : str
            One query (``SELECT``, ``WITH``, ``UNION``); other statements are refused.
        dialect : str or None, default "sqlite"
            Dialect of ``sql``: the library's canonical SQLite text is transpiled to the engine's
            dialect with SQLGlot. ``None``: ``sql`` is already in the engine's own dialect.

        Returns
        -------
        DataFrame
            The result; integers as int64, reals as float64, text as strings.

        Raises
        ------
        QueryError
            A statement that is not a query, or a failure (one line, no SQL text).
        """
        if self._closed:
            raise QueryError(f"the {self.name} engine is closed")
        text = transpile(sql, self.dialect, read=self.dialect if dialect is None else dialect)
        return normalize_result(self._execute(text))

    @abstractmethod
    def _execute(self, sql: str) -> pd.DataFrame:
        """Run ``sql`` (already in the engine's dialect)."""

    def tables(self) -> list[str]:
        """The tables (and views) the engine holds, sorted.

        Returns
        -------
        list of str
            E.g. ``["customer_sessions", "experiment_assignments", "user_pre_period"]``.
        """
        return sorted(self._tables)

    def close(self) -> None:
        """Release the engine's resources (idempotent); later queries raise :class:`QueryError`."""
        if not self._closed:
            self._closed = True
            self._close()

    def _close(self) -> None:  # noqa: B027 - an engine without resources has nothing to release
        """Engine-specific clean-up."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ", ".join(self.tables())
        return f"<{type(self).__name__} on {self.source}: {state}>"


def one_line(exc: BaseException) -> str:
    """An engine's error message on one line, without the SQL text or a Java stack trace."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return " ".join(first.split())[:300]
