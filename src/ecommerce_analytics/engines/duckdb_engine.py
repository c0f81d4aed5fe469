"""DuckDB: one machine, Parquet read in place (views over ``read_parquet``), larger than memory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..database import QueryError
from ..schema import TABLE_NAME
from .base import Engine, EngineUnavailableError, one_line
from .sources import parquet_tables

__all__ = ["DuckDBEngine"]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class DuckDBEngine(Engine):
    """The SQL library on DuckDB (in-process; spills to a temporary folder beyond ``memory_limit``).

    Parameters
    ----------
    database : str or path-like, optional
        A SQLite file, copied in batches (Python's ``sqlite3``) to a temporary Parquet folder.
    parquet : str or path-like, optional
        A Parquet folder: each table is a view over ``read_parquet`` (no copy), so tables larger
        than memory are scanned from disk.
    frames : mapping of str to DataFrame, optional
        ``{table: frame}``, registered as views of the frames (no copy).
    memory_limit : str, optional
        DuckDB's ``memory_limit`` (e.g. ``"4GB"``); default DuckDB's (80% of RAM).
    threads : int, optional
        DuckDB's ``threads``; default all cores.

    Exactly one source is given. The temporary folder (spill files, a copied SQLite file) is
    removed on :meth:`close`.

    Examples
    --------
    >>> from ecommerce_analytics.simulate import simulate
    >>> with DuckDBEngine(frames={"customer_sessions": simulate(300, seed=2).sessions}) as engine:
    ...     engine.run("SELECT COUNT(*) AS n, TYPEOF(SUM(age)) AS t FROM customer_sessions", dialect=None).to_dict("records")
    [{'n': 300, 't': 'HUGEINT'}]
    """

    name = "duckdb"
    dialect = "duckdb"

    def __init__(
        self,
        *,
        database: str | os.PathLike | None = None,
        parquet: str | os.PathLike | None = None,
        frames: Mapping[str, pd.DataFrame] | None = None,
        memory_limit: str | None = None,
        threads: int | None = None,
    ) -> None:
        try:
            import duckdb
        except ImportError:  # pragma: no cover - a dependency of the package
            raise EngineUnavailableError(
                "the duckdb engine needs the duckdb package: pip install ecommerce-analytics"
            ) from None
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
        self._duckdb = duckdb
        self._tmp = Path(tempfile.mkdtemp(prefix="ecommerce-duckdb-"))
        config = {"temp_directory": str(self._tmp / "spill")}
        if memory_limit is not None:
            config["memory_limit"] = str(memory_limit)
        if threads is not None:
            config["threads"] = threads
        try:
            self._con = duckdb.connect(":memory:", config=config)
            self._attach(database, parquet, frames, self._tmp)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise

    def _add_frame(self, table: str, frame: pd.DataFrame) -> None:
        self._con.register(table, frame)
        self._tables.append(table)

    def _add_parquet(self, folder: str | os.PathLike) -> None:
        for table, where in parquet_tables(folder).items():
            source = where if where.is_file() else where / "**" / "*.parquet"
            scan = f"read_parquet({_quote(source)})"
            columns = [r[0] for r in self._con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()]
            if table == TABLE_NAME and "session_id" not in columns:
                # 1..n in file order, then row order within a file (as a loader would number them).
                select = (
                    "SELECT ROW_NUMBER() OVER (ORDER BY filename, file_row_number) AS session_id, "
                    f"* EXCLUDE (filename, file_row_number) FROM read_parquet({_quote(source)}, "
                    "filename = true, file_row_number = true)"
                )
            else:
                select = f"SELECT * FROM {scan}"
            self._con.execute(f"CREATE VIEW {table} AS {select}")
            self._tables.append(table)

    def _execute(self, sql: str) -> pd.DataFrame:
        try:
            rel = self._con.sql(sql)
            # SUM of integers is a 128-bit HUGEINT in DuckDB: back to BIGINT, as on the other engines.
            if any(str(t) == "HUGEINT" for t in rel.types):
                rel = rel.project(
                    ", ".join(
                        f'CAST("{c}" AS BIGINT) AS "{c}"' if str(t) == "HUGEINT" else f'"{c}"'
                        for c, t in zip(rel.columns, rel.types, strict=True)
                    )
                )
            return rel.df()
        except self._duckdb.Error as exc:
            raise QueryError(one_line(exc)) from None

    def _close(self) -> None:
        self._con.close()
        shutil.rmtree(self._tmp, ignore_errors=True)
