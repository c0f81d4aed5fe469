"""Where an engine's tables come from: a Parquet folder, pandas frames or a SQLite file.

A **Parquet folder** holds one sub-folder of ``*.parquet`` files (or one ``<table>.parquet``
file) per table, named after the table: ``customer_sessions/``, ``experiment_assignments/``,
``user_pre_period/``, as :func:`~ecommerce_analytics.simulate.simulate_to_parquet` writes it.
Only ``customer_sessions`` is required. **Frames** are a dict ``{table: DataFrame}``. A
**SQLite file** (from :func:`~ecommerce_analytics.database.build_database`) is read through
Python's ``sqlite3`` in batches into a temporary Parquet folder (DuckDB's own SQLite extension
would need a download).

``session_id`` (1..n in row order, the library's tie-breaker) is added to ``customer_sessions``
when a source lacks it.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path

import pandas as pd

from ..database import _INDEXES, check_database_file
from ..schema import COLUMN_NAMES, TABLE_NAME, sqlite_ddl

__all__ = ["TABLES", "parquet_tables", "prepare_frames", "sqlite_to_parquet", "parquet_to_sqlite"]

#: The tables of the project's data, as build_database names them.
TABLES: tuple[str, ...] = (TABLE_NAME, "experiment_assignments", "user_pre_period")
#: Text columns of a SQLite file that hold timestamps (``YYYY-MM-DD HH:MM:SS``).
_TIMESTAMP_COLUMNS = frozenset({"purchase_date", "assigned_at"})
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parquet_tables(folder: str | os.PathLike) -> dict[str, Path]:
    """The tables of a Parquet folder: ``{table: sub-folder or file}``.

    Parameters
    ----------
    folder : str or path-like
        A folder with ``customer_sessions/`` (a folder of ``*.parquet`` files) or
        ``customer_sessions.parquet``, and optionally the experiment tables likewise.

    Returns
    -------
    dict
        The tables of :data:`TABLES` found, in that order; other entries are ignored.

    Raises
    ------
    FileNotFoundError
        ``folder`` does not exist.
    ValueError
        ``folder`` is not a folder, or holds no ``customer_sessions`` table.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +ELLIPSIS
    ...     parquet_tables(d)
    Traceback (most recent call last):
    ...
    ValueError: parquet: ... has no customer_sessions/ folder of .parquet files nor customer_sessions.parquet
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"parquet: {folder} not found")
    if not folder.is_dir():
        raise ValueError(f"parquet: {folder} is not a folder (expected one sub-folder or .parquet file per table)")
    found = {}
    for table in TABLES:
        sub, single = folder / table, folder / f"{table}.parquet"
        if sub.is_dir() and any(sub.rglob("*.parquet")):
            found[table] = sub
        elif single.is_file():
            found[table] = single
    if TABLE_NAME not in found:
        raise ValueError(f"parquet: {folder} has no {TABLE_NAME}/ folder of .parquet files nor {TABLE_NAME}.parquet")
    return found


def parquet_files(path: Path) -> list[Path]:
    """The ``.parquet`` files of one table (a file, or a folder searched recursively), sorted."""
    return [path] if path.is_file() else sorted(path.rglob("*.parquet"))


def prepare_frames(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Check a ``{table: frame}`` source; ``customer_sessions`` gains ``session_id`` 1..n if it lacks one.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        Table names (SQL identifiers) to frames; ``customer_sessions`` is required.

    Returns
    -------
    dict
        The frames (``customer_sessions`` with ``session_id`` first).

    Raises
    ------
    ValueError
        Not a mapping of identifiers to frames, or no ``customer_sessions``.

    Examples
    --------
    >>> prepare_frames({"customer_sessions": pd.DataFrame({"age": [30, 40]})})["customer_sessions"]
       session_id  age
    0           1   30
    1           2   40
    """
    if not isinstance(frames, Mapping) or not frames:
        raise ValueError("frames must be a non-empty dict {table name: DataFrame}")
    out = {}
    for name, frame in frames.items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"frames: table names must be SQL identifiers, got {name!r}")
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"frames[{name!r}] must be a pandas DataFrame, got {type(frame).__name__}")
        if name == TABLE_NAME and "session_id" not in frame.columns:
            frame = frame.copy()
            frame.insert(0, "session_id", range(1, len(frame) + 1))
        out[name] = frame
    if TABLE_NAME not in out:
        raise ValueError(f"frames must include {TABLE_NAME!r}, got {', '.join(out)}")
    return out


def _arrow_type(declared: str, column: str):
    import pyarrow as pa

    declared = declared.upper()
    if column in _TIMESTAMP_COLUMNS:
        return pa.timestamp("us")
    if "INT" in declared:
        return pa.int64()
    if any(k in declared for k in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    return pa.string()


def sqlite_to_parquet(
    database: str | os.PathLike, out_dir: str | os.PathLike, *, batch_size: int = 250_000
) -> dict[str, Path]:
    """Copy the project's tables of a SQLite file to Parquet, reading ``batch_size`` rows at a time.

    Parameters
    ----------
    database : str or path-like
        A SQLite file from :func:`~ecommerce_analytics.database.build_database`.
    out_dir : str or path-like
        Destination folder (created); each table becomes ``out_dir/<table>/part-00000.parquet``.
    batch_size : int, default 250,000
        Rows per read (and per Parquet row group): memory stays bounded by one batch.

    Returns
    -------
    dict
        ``{table: folder}`` of the tables copied (those of :data:`TABLES` present in the file).

    Raises
    ------
    FileNotFoundError, DatabaseFileError
        As :func:`~ecommerce_analytics.database.check_database_file`.
    ValueError
        ``batch_size`` is not a positive integer, or the file has no ``customer_sessions`` table.

    Notes
    -----
    Types follow the declared column types (INTEGER, REAL, TEXT); ``purchase_date`` and
    ``assigned_at`` become timestamps, as in a frame from the loader or the simulator.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    path = check_database_file(database)
    out_dir = Path(out_dir)
    written = {}
    with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if TABLE_NAME not in present:
            raise ValueError(f"database: {path} has no {TABLE_NAME} table")
        for table in (t for t in TABLES if t in present):
            info = conn.execute(f"SELECT name, type FROM pragma_table_info('{table}')").fetchall()
            schema = pa.schema([(name, _arrow_type(decl or "", name)) for name, decl in info])
            target = out_dir / table
            target.mkdir(parents=True, exist_ok=True)
            cursor = conn.execute(f"SELECT * FROM {table}")
            with pq.ParquetWriter(target / "part-00000.parquet", schema) as writer:
                while rows := cursor.fetchmany(batch_size):
                    columns = list(zip(*rows, strict=True))
                    arrays = []
                    for (name, _decl), field, values in zip(info, schema, columns, strict=True):
                        if name in _TIMESTAMP_COLUMNS:
                            values = pd.to_datetime(pd.Series(values, dtype=object), format=_TIMESTAMP_FORMAT)
                            arrays.append(pa.array(values, type=field.type))
                        else:
                            arrays.append(pa.array(values, type=field.type))
                    writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            written[table] = target
    return written


def parquet_to_sqlite(
    parquet: str | os.PathLike,
    path: str | os.PathLike,
    *,
    batch_size: int = 250_000,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write a Parquet folder's tables to a new SQLite file, ``batch_size`` rows at a time.

    The file has the schema and indexes of :func:`~ecommerce_analytics.database.build_database`
    (``customer_sessions`` keeps the Parquet ``session_id``, or gets 1..n in file order), so the
    SQL library gives the same results on it. Memory stays bounded by one batch.

    Parameters
    ----------
    parquet : str or path-like
        A folder as :func:`parquet_tables` reads it.
    path : str or path-like
        The new database (replaced if it exists; written to a temporary name first).
    batch_size : int, default 250,000
        Rows per batch.
    progress : callable, optional
        Receives a line per table.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    FileNotFoundError, ValueError
        As :func:`parquet_tables`; ``batch_size`` not a positive integer.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    tables = parquet_tables(parquet)
    say = progress or (lambda _m: None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(tmp)) as conn:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            for table, where in tables.items():
                files = parquet_files(where)
                schema = pq.read_schema(files[0])
                names = [n for n in schema.names if not n.startswith("__index_level")]
                next_id = 1
                add_id = table == TABLE_NAME and "session_id" not in names
                columns = (["session_id"] if add_id else []) + names
                if table == TABLE_NAME and set(COLUMN_NAMES) <= set(names):
                    names = [n for n in names if n == "session_id" or n in COLUMN_NAMES]
                    columns = (["session_id"] if add_id else []) + names
                    conn.execute(sqlite_ddl())
                else:
                    types = []
                    for n in columns:
                        t = pa.int64() if n == "session_id" and add_id else schema.field(n).type
                        sql_type = "INTEGER" if pa.types.is_integer(t) or pa.types.is_boolean(t) else "TEXT"
                        sql_type = "REAL" if pa.types.is_floating(t) else sql_type
                        types.append(f"{n} {sql_type}")
                    conn.execute(f"CREATE TABLE {table} ({', '.join(types)})")
                insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
                rows = 0
                for file in files:
                    for batch in pq.ParquetFile(file).iter_batches(batch_size=batch_size, columns=names):
                        arrays = []
                        for array in batch.columns:
                            if pa.types.is_timestamp(array.type) or pa.types.is_date(array.type):
                                seconds = array.cast(pa.timestamp("s"), safe=False)  # as the loader's text
                                array = pc.strftime(seconds, format=_TIMESTAMP_FORMAT)
                            arrays.append(array.to_pylist())
                        if add_id:
                            arrays.insert(0, range(next_id, next_id + batch.num_rows))
                            next_id += batch.num_rows
                        conn.executemany(insert, zip(*arrays, strict=True))
                        rows += batch.num_rows
                for col in _INDEXES.get(table, ()):
                    conn.execute(f"CREATE INDEX idx_{table}_{col} ON {table} ({col})")
                say(f"{table}: {rows:,} rows")
            conn.commit()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
