"""The SQL library on several engines behind one interface: SQLite, DuckDB and Spark SQL.

The ``.sql`` files are written once, in SQLite's dialect (the embedded default); DuckDB and
Spark run them transpiled with SQLGlot (:func:`transpile`). Every engine holds the same tables
(``customer_sessions``, optionally ``experiment_assignments`` and ``user_pre_period``) from one
of three sources: a Parquet folder, pandas frames or a SQLite file (:mod:`.sources`).

======== ============================================== =========================================
engine   where                                          data
======== ============================================== =========================================
sqlite   embedded, the default                          what fits in a SQLite file
duckdb   one machine, all cores                         Parquet read in place, larger than memory
spark    ``local[N]``, or a cluster (``master`` URL or  Parquet on storage the executors read
         a SparkSession you pass)
======== ============================================== =========================================

Examples
--------
>>> import numpy as np
>>> from ecommerce_analytics.database import run_query
>>> from ecommerce_analytics.simulate import simulate
>>> frames = {"customer_sessions": simulate(400, seed=3).sessions}
>>> with connect_engine("duckdb", frames=frames) as duck, connect_engine("sqlite", frames=frames) as lite:
...     a, b = run_query(duck, "02_conversion_by_category"), run_query(lite, "02_conversion_by_category")
>>> a.category.tolist() == b.category.tolist() and bool(np.allclose(a.revenue, b.revenue, rtol=1e-9))
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ._dialects import transpile
from .base import Engine, EngineUnavailableError, normalize_result
from .sources import TABLES, parquet_tables, parquet_to_sqlite, prepare_frames, sqlite_to_parquet

__all__ = [
    "ENGINES",
    "TABLES",
    "Engine",
    "EngineUnavailableError",
    "SQLiteEngine",
    "DuckDBEngine",
    "SparkEngine",
    "connect_engine",
    "transpile",
    "normalize_result",
    "parquet_tables",
    "parquet_to_sqlite",
    "prepare_frames",
    "sqlite_to_parquet",
]

#: The engines, the default first.
ENGINES: tuple[str, ...] = ("sqlite", "duckdb", "spark")


def __getattr__(name: str) -> Any:
    """The engine classes, imported on first use (DuckDB and pyspark load only when needed)."""
    if name == "SQLiteEngine":
        from .sqlite_engine import SQLiteEngine

        return SQLiteEngine
    if name == "DuckDBEngine":
        from .duckdb_engine import DuckDBEngine

        return DuckDBEngine
    if name == "SparkEngine":
        from .spark_engine import SparkEngine

        return SparkEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connect_engine(
    name: str = "sqlite",
    *,
    database: str | os.PathLike | None = None,
    parquet: str | os.PathLike | None = None,
    frames: Mapping[str, pd.DataFrame] | None = None,
    spark: Any = None,
    master: str = "local[2]",
) -> Engine:
    """Open an engine on one source of the project's tables.

    Parameters
    ----------
    name : {"sqlite", "duckdb", "spark"}, default "sqlite"
        The engine.
    database : str or path-like, optional
        A SQLite file from ``build-db`` (SQLite opens it read-only; DuckDB and Spark copy it in
        batches to a temporary Parquet folder). SQLite also accepts an open ``sqlite3.Connection``.
    parquet : str or path-like, optional
        A folder with one sub-folder of ``.parquet`` files (or one ``<table>.parquet``) per table:
        ``customer_sessions/`` (required), ``experiment_assignments/``, ``user_pre_period/``, as
        ``simulate_to_parquet`` writes it. DuckDB and Spark read it in place.
    frames : mapping of str to DataFrame, optional
        ``{table: frame}``; ``customer_sessions`` gets ``session_id`` 1..n if it has none.
    spark : pyspark.sql.SparkSession, optional
        Spark only: a session to run on (e.g. a cluster's); left running on close.
    master : str, default "local[2]"
        Spark only, without ``spark``: the master URL of the session to start (``local[N]``,
        ``spark://host:7077``, ``yarn``, ...); stopped on close.

    Returns
    -------
    Engine
        An open engine; close it (or use it in a ``with`` block).

    Raises
    ------
    ValueError
        An unknown engine, no source or several, or ``spark``/``master`` given to another engine.
    EngineUnavailableError
        Spark asked for but pyspark or Java is missing (the message says how to install them).
    FileNotFoundError, DatabaseFileError
        A missing Parquet folder or database file, a file that is not SQLite.

    Examples
    --------
    >>> connect_engine("postgres", frames={})
    Traceback (most recent call last):
    ...
    ValueError: engine must be one of sqlite, duckdb, spark, got 'postgres'
    """
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {name!r}")
    given = [k for k, v in (("database", database), ("parquet", parquet), ("frames", frames)) if v is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one source (database=, parquet= or frames=), got {', '.join(given) if given else 'none'}"
        )
    if name != "spark" and (spark is not None or master != "local[2]"):
        raise ValueError(f"spark= and master= are for the spark engine, not {name}")
    if name == "sqlite":
        from .sqlite_engine import SQLiteEngine

        return SQLiteEngine(database, parquet=parquet, frames=frames)
    if name == "duckdb":
        from .duckdb_engine import DuckDBEngine

        return DuckDBEngine(database=database, parquet=parquet, frames=frames)
    from .spark_engine import SparkEngine

    return SparkEngine(database=database, parquet=parquet, frames=frames, spark=spark, master=master)
