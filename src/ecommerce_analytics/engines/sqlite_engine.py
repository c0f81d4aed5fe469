"""SQLite, the embedded default: the library's own dialect, no transpiling."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

import pandas as pd

from ..database import _insert, connect, read_sql
from ..schema import COLUMN_NAMES, TABLE_NAME, sqlite_ddl
from .base import Engine
from .sources import parquet_to_sqlite, prepare_frames

__all__ = ["SQLiteEngine"]


class SQLiteEngine(Engine):
    """The SQL library on SQLite, read-only (as :func:`~ecommerce_analytics.database.connect`).

    Parameters
    ----------
    database : str or path-like or sqlite3.Connection, optional
        A database file (opened read-only) or an open connection (not closed by the engine).
    parquet : str or path-like, optional
        A Parquet folder, copied in batches into a temporary database (removed on close).
    frames : mapping of str to DataFrame, optional
        ``{table: frame}``, written to a temporary database (``session_id`` kept if present).

    Exactly one source is given.

    Examples
    --------
    >>> from ecommerce_analytics.simulate import simulate
    >>> with SQLiteEngine(frames={"customer_sessions": simulate(300, seed=2).sessions}) as engine:
    ...     engine.run("SELECT COUNT(*) AS n FROM customer_sessions").n.item(), engine.tables()
    (300, ['customer_sessions'])
    """

    name = "sqlite"
    dialect = "sqlite"

    def __init__(
        self,
        database: str | os.PathLike | sqlite3.Connection | None = None,
        *,
        parquet: str | os.PathLike | None = None,
        frames: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        self._tmp: Path | None = None
        self._owned = True
        if isinstance(database, sqlite3.Connection):
            super().__init__("a SQLite connection")
            self._conn, self._owned = database, False
        elif database is not None:
            super().__init__(str(database))
            self._conn = connect(database)
        else:
            self._tmp = Path(tempfile.mkdtemp(prefix="ecommerce-sqlite-"))
            path = self._tmp / "tables.sqlite"
            try:
                if parquet is not None:
                    super().__init__(f"Parquet folder {parquet}")
                    parquet_to_sqlite(parquet, path)
                else:
                    super().__init__("pandas frames")
                    _write_frames(prepare_frames(frames), path)
                self._conn = connect(path)
            except BaseException:
                shutil.rmtree(self._tmp, ignore_errors=True)
                raise
        self._where = f"{database}: " if isinstance(database, (str, os.PathLike)) else ""
        self._tables = [
            r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
        ]

    def run(self, sql: str, *, dialect: str | None = "sqlite") -> pd.DataFrame:
        """Execute one query on SQLite (read-only connection); see :meth:`Engine.run`.

        Parameters
        ----------
        sql : str
            One query.
        dialect : str or None, default "sqlite"
            Dialect of ``sql``; another than SQLite's is transpiled.

        Returns
        -------
        DataFrame
            The result.
        """
        if dialect not in (None, "sqlite") or self._closed:
            return super().run(sql, dialect=dialect)
        return self._execute(sql)

    def _execute(self, sql: str) -> pd.DataFrame:
        return read_sql(self._conn, sql, where=self._where)

    def _close(self) -> None:
        if self._owned:
            self._conn.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


def _write_frames(frames: dict[str, pd.DataFrame], path: Path) -> None:
    """Write ``{table: frame}`` to a new SQLite file (the sessions with the contract's DDL)."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        for table, frame in frames.items():
            if table == TABLE_NAME and set(COLUMN_NAMES) <= set(frame.columns):
                _insert(conn, table, frame[["session_id", *COLUMN_NAMES]], sqlite_ddl())
            else:
                _insert(conn, table, frame)
        conn.commit()
