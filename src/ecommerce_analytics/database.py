"""SQLite storage and the SQL library runner.

:func:`build_database` writes the sessions (and, for simulated data, the experiment tables)
into a SQLite file. :func:`list_queries`, :func:`run_query` and :func:`run_all` execute the
questions in ``sql/queries/NN_name.sql``; each file opens with a ``-- Question:`` comment.
The files are the canonical text, in SQLite's dialect; ``engine="duckdb"`` or ``"spark"`` (or an
engine from :func:`ecommerce_analytics.engines.connect_engine`) runs them transpiled on DuckDB
or Spark SQL. Every query ends with an ``ORDER BY`` on a unique key, so rows come in the same
order on every engine.
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import paths
from .schema import COLUMN_NAMES, REQUIRED_COLUMNS, TABLE_NAME, sqlite_ddl

if TYPE_CHECKING:
    from .engines import Engine

__all__ = [
    "Query",
    "QueryError",
    "build_database",
    "connect",
    "list_queries",
    "get_query",
    "run_query",
    "run_all",
    "read_sql",
    "DatabaseFileError",
    "check_database_file",
]

_INDEXES = {
    TABLE_NAME: ("user_id", "category", "purchase_date", "purchase_decision", "income_level", "payment_method"),
    "experiment_assignments": ("variant",),
}
_TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


class QueryError(LookupError):
    """An unknown query name, or a query file without its header."""


class DatabaseFileError(ValueError):
    """A database path that is not a SQLite database (or that a query may not touch).

    ``str(err)`` is one line naming the file.
    """


#: The first 16 bytes of every SQLite 3 database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: What a query of the library may do on a connection from :func:`connect`: read and compute.
_ALLOWED_ACTIONS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
)
_DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"})


def _read_only_authorizer(
    action: int, arg1: str | None, arg2: str | None, db_name: str | None, trigger: str | None
) -> int:
    """sqlite3 authorizer: allow reading and computing, deny everything else.

    Denied: ATTACH, DETACH, PRAGMA, writes, schema changes, transactions and extension loading.
    """
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY


def check_database_file(path: str | os.PathLike) -> Path:
    """``path`` if it is an existing SQLite database file; a one-line error otherwise.

    Parameters
    ----------
    path : str or path-like
        The database file.

    Returns
    -------
    Path
        ``path``, checked.

    Raises
    ------
    FileNotFoundError
        The file does not exist (the message says how to build it).
    DatabaseFileError
        A directory, an unreadable file, an empty file or a file that is not SQLite.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:  # doctest: +ELLIPSIS
    ...     check_database_file(folder)
    Traceback (most recent call last):
    ...
    ecommerce_analytics.database.DatabaseFileError: ...: is a directory, not a SQLite database
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: database not found (build it with `ecommerce-analytics build-db`)")
    if path.is_dir():
        raise DatabaseFileError(f"{path}: is a directory, not a SQLite database")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseFileError(f"{path}: cannot be read ({exc.strerror})") from None
    if head != SQLITE_HEADER:
        what = "an empty file" if not head else "not a SQLite database (wrong file header)"
        raise DatabaseFileError(f"{path}: {what}")
    return path


@dataclass(frozen=True)
class Query:
    """One file of the SQL library.

    Attributes
    ----------
    name : str
        File stem, e.g. ``"01_overall_metrics"``.
    path : Path
        The ``.sql`` file.
    question : str
        The business question of its ``-- Question:`` header.
    sql : str
        The file's text.
    """

    name: str
    path: Path
    question: str
    sql: str

    @property
    def number(self) -> int:
        """The query's number (``1`` for ``01_overall_metrics``)."""
        return int(self.name.split("_", 1)[0])

    @property
    def title(self) -> str:
        """The query's name as a title (``"Overall metrics"``)."""
        return self.name.split("_", 1)[1].replace("_", " ").capitalize()


def _to_sql_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime(_TIMESTAMP_FORMAT)
    return out.astype(object).where(out.notna(), None)


def _insert(conn: sqlite3.Connection, table: str, frame: pd.DataFrame, ddl: str | None = None) -> None:
    if ddl is None:
        types = []
        for col in frame.columns:
            s = frame[col]
            if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
                types.append(f"{col} INTEGER")
            elif pd.api.types.is_float_dtype(s):
                types.append(f"{col} REAL")
            else:
                types.append(f"{col} TEXT")
        ddl = f"CREATE TABLE {table} (" + ", ".join(types) + ")"
    conn.execute(ddl)
    data = _to_sql_frame(frame)
    placeholders = ", ".join("?" * len(data.columns))
    conn.executemany(
        f"INSERT INTO {table} ({', '.join(data.columns)}) VALUES ({placeholders})",
        data.itertuples(index=False, name=None),
    )
    for col in _INDEXES.get(table, ()):
        if col in frame.columns:
            conn.execute(f"CREATE INDEX idx_{table}_{col} ON {table} ({col})")


def build_database(
    sessions: pd.DataFrame,
    path: str | os.PathLike = paths.DEFAULT_DATABASE,
    *,
    assignments: pd.DataFrame | None = None,
    pre_period: pd.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Write validated sessions (and optional experiment tables) to a new SQLite file.

    The file is written to a temporary name and moved into place, so a reader never sees
    a half-written database. ``session_id`` (1-based row position) is added as the primary key.

    Parameters
    ----------
    sessions : DataFrame
        Frame with the contract's columns (from :func:`~ecommerce_analytics.data.load_sessions`
        or :func:`~ecommerce_analytics.simulate.simulate`); an optional column the data does not
        have is stored as NULL, so every query runs and answers NULL where it needs it.
    path : path-like
        Destination; parent folders are created. An existing file is replaced.
    assignments, pre_period : DataFrame, optional
        The simulator's experiment tables, stored as ``experiment_assignments`` and
        ``user_pre_period``.

    progress : callable, optional
        Receives a line per table written.

    Returns
    -------
    Path
        The database path.

    Raises
    ------
    ValueError
        ``sessions`` lacks contract columns.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in sessions.columns]
    if missing:
        raise ValueError(f"sessions frame lacks required contract column(s): {', '.join(missing)}")
    absent = [c for c in COLUMN_NAMES if c not in sessions.columns]
    say = progress or (lambda _m: None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with closing(sqlite3.connect(tmp)) as conn:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            say(f"writing {len(sessions):,} sessions to {TABLE_NAME}")
            frame = sessions.reindex(columns=list(COLUMN_NAMES))  # absent optional columns: NULL
            frame.insert(0, "session_id", range(1, len(frame) + 1))
            _insert(conn, TABLE_NAME, frame, sqlite_ddl(absent=absent))
            if assignments is not None:
                say(f"writing {len(assignments):,} experiment assignments")
                _insert(conn, "experiment_assignments", assignments)
            if pre_period is not None:
                say(f"writing {len(pre_period):,} pre-period rows")
                _insert(conn, "user_pre_period", pre_period)
            conn.commit()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def connect(path: str | os.PathLike = paths.DEFAULT_DATABASE) -> sqlite3.Connection:
    """Open an existing database read-only, for queries only.

    Parameters
    ----------
    path : str or path-like, default ``data/processed/ecommerce.sqlite``
        An existing SQLite database.

    Returns
    -------
    sqlite3.Connection
        A read-only connection whose statements may only read and compute.

    Raises
    ------
    FileNotFoundError, DatabaseFileError
        As :func:`check_database_file`.

    Notes
    -----
    The file is named by a ``file:`` URI built with :meth:`pathlib.Path.as_uri`, so ``?``, ``%``
    and ``#`` in the path are part of the file name (never URI parameters), and ``mode=ro``
    always applies. An authorizer lets statements read and compute only: ``ATTACH`` (which
    could create files), ``PRAGMA``, writes and schema changes are denied. A missing file, a
    directory or a file that is not a SQLite database is a clear one-line error.
    """
    path = check_database_file(path)
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.set_authorizer(_read_only_authorizer)
    return conn


_HEADER = re.compile(r"^\s*--\s?(.*)$")


def _parse_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        m = _HEADER.match(line)
        if not m:
            break
        header.append(m.group(1).strip())
    joined = " ".join(header)
    if not joined.startswith("Question:") or "?" not in joined:
        raise QueryError(f"{path}: a query must open with a '-- Question: ...?' comment")
    question = joined[len("Question:") : joined.index("?") + 1].strip()
    return Query(name=path.stem, path=path, question=question, sql=text)


def list_queries(directory: str | os.PathLike = paths.QUERIES_DIR) -> list[Query]:
    """All queries of the library, in file-name order.

    Parameters
    ----------
    directory : str or path-like, default ``sql/queries``
        Folder of ``NN_name.sql`` files.

    Returns
    -------
    list of Query
        One per file.

    Raises
    ------
    QueryError
        A file without its ``-- Question: ...?`` header.

    Examples
    --------
    >>> queries = list_queries()
    >>> queries[0].name, queries[0].number, queries[0].title
    ('01_overall_metrics', 1, 'Overall metrics')
    """
    files = sorted(Path(directory).glob("[0-9][0-9]_*.sql"))
    return [_parse_query(f) for f in files]


def get_query(name: str | int, directory: str | os.PathLike = paths.QUERIES_DIR) -> Query:
    """Find a query by file stem, number or title.

    Parameters
    ----------
    name : str or int
        File stem (``"01_overall_metrics"``), number (``1``, ``"01"``) or title
        (``"overall_metrics"``); a ``.sql`` suffix is ignored.
    directory : str or path-like, default ``sql/queries``
        Folder of the library.

    Returns
    -------
    Query
        The matching query.

    Raises
    ------
    QueryError
        No query matches (the message lists the known ones).

    Examples
    --------
    >>> get_query(1).name == get_query("overall_metrics").name == "01_overall_metrics"
    True
    """
    queries = list_queries(directory)
    key = str(name).strip().removesuffix(".sql")
    for q in queries:
        if key in (q.name, q.name.split("_", 1)[1]) or (key.isdigit() and int(key) == q.number):
            return q
    names = ", ".join(q.name for q in queries)
    raise QueryError(f"unknown query {name!r}; known queries: {names}")


def _as_connection(db: sqlite3.Connection | str | os.PathLike) -> tuple[sqlite3.Connection, bool]:
    if isinstance(db, sqlite3.Connection):
        return db, False
    return connect(db), True


def read_sql(conn: sqlite3.Connection, sql: str, *, label: str = "query", where: str = "") -> pd.DataFrame:
    """Run one statement on a SQLite connection; a failure is a one-line :class:`QueryError`.

    Parameters
    ----------
    conn : sqlite3.Connection
        Usually from :func:`connect` (read-only, with its authorizer).
    sql : str
        The statement.
    label : str, default "query"
        Names the statement in an error (the query's name).
    where : str, default ""
        Prefix of an error, e.g. the database path and ``": "``.

    Returns
    -------
    DataFrame
        The result.

    Raises
    ------
    QueryError
        A statement that the connection does not allow, or a failure (one line, no SQL text).

    Examples
    --------
    >>> read_sql(sqlite3.connect(":memory:"), "SELECT 1 AS one").one.item()
    1
    """
    try:
        return pd.read_sql_query(sql, conn)
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        if "not authorized" in str(exc) or "authorization denied" in str(exc):
            raise QueryError(
                f"{label}: not allowed on a read-only query connection (statements may only read)"
            ) from None
        # A damaged file, or a database without the project's tables: one line, not a traceback.
        text = str(exc)
        detail = (text.rsplit("': ", 1)[-1] if "': " in text else text).strip() or type(exc).__name__  # no SQL text
        raise QueryError(f"{where}{label} failed: {' '.join(detail.split())}") from None


def _as_engine(db: object, engine: object) -> tuple[Engine, bool]:
    """The engine to run on, and whether the caller's call owns (and closes) it."""
    from .engines import ENGINES, Engine, connect_engine

    if db is None and engine is None:
        raise ValueError("db: a SQLite database (path or connection) or an engine is required, got None")
    if isinstance(engine, Engine):
        if db is not None and db is not engine:
            raise ValueError("db: pass db=None (or the engine itself) when engine is an engine object")
        return engine, False
    if isinstance(db, Engine):
        if engine is not None and engine != db.name:
            raise ValueError(f"engine={engine!r} does not match the {db.name} engine passed as db")
        return db, False
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} or an engine object, got {engine!r}")
    if engine == "sqlite":
        return connect_engine("sqlite", database=db), True
    if db is None:
        raise ValueError(f"db: the {engine} engine needs a Parquet folder or a SQLite database file, got None")
    source = Path(db)
    if source.is_dir():
        return connect_engine(engine, parquet=source), True
    return connect_engine(engine, database=source), True


def run_query(
    db: sqlite3.Connection | str | os.PathLike | Engine | None,
    name: str | int | Query,
    *,
    engine: str | Engine | None = None,
) -> pd.DataFrame:
    """Execute one query and return its result as a frame.

    Parameters
    ----------
    db : sqlite3.Connection or str or path-like or Engine or None
        An open connection, a database file opened read-only with :func:`connect`, or an
        engine from :func:`~ecommerce_analytics.engines.connect_engine`. With ``engine="duckdb"``
        or ``"spark"``, a Parquet folder (one sub-folder or file per table) or a SQLite file.
        ``None`` when ``engine`` is an engine object.
    name : str or int or Query
        The query, as :func:`get_query` finds it.
    engine : {"sqlite", "duckdb", "spark"} or Engine, optional
        Where to run the query's canonical (SQLite) text, transpiled for the engine. Default:
        SQLite on ``db``, as always. A named engine is opened for this call and closed after it
        (for several queries on DuckDB or Spark, open one with ``connect_engine`` and pass it).

    Returns
    -------
    DataFrame
        The query's result (integers as int64, reals as float64, on every engine).

    Raises
    ------
    QueryError
        Unknown query, a statement that is not allowed, or a failure (one line, no SQL text).
    ValueError
        An unknown engine name (the message lists the engines).

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.simulate import simulate
    >>> frames = {"customer_sessions": simulate(500, seed=1).sessions}
    >>> with connect_engine("duckdb", frames=frames) as duck:
    ...     run_query(duck, "01_overall_metrics").sessions.item()
    500
    """
    query = name if isinstance(name, Query) else get_query(name)
    if engine is not None or not (isinstance(db, (sqlite3.Connection, str, os.PathLike))):
        eng, owned = _as_engine(db, engine)
        try:
            return eng.run(query.sql)
        except QueryError as exc:
            raise QueryError(f"{query.name} failed on {eng.name}: {exc}") from None
        finally:
            if owned:
                eng.close()
    conn, owned = _as_connection(db)
    try:
        where = f"{db}: " if not isinstance(db, sqlite3.Connection) else ""
        return read_sql(conn, query.sql, label=query.name, where=where)
    finally:
        if owned:
            conn.close()


def run_all(
    db: sqlite3.Connection | str | os.PathLike | Engine | None,
    *,
    progress: Callable[[str], None] | None = None,
    engine: str | Engine | None = None,
) -> dict[str, pd.DataFrame]:
    """Execute every query of the library.

    Parameters
    ----------
    db : sqlite3.Connection or str or path-like or Engine or None
        As :func:`run_query`.
    progress : callable, optional
        Receives ``[i/n] name`` before each query.
    engine : {"sqlite", "duckdb", "spark"} or Engine, optional
        As :func:`run_query`; a named engine is opened once for all the queries.

    Returns
    -------
    dict
        ``{query name: result frame}``, in file-name order.
    """
    if engine is not None or not (isinstance(db, (sqlite3.Connection, str, os.PathLike))):
        conn, owned = _as_engine(db, engine)
    else:
        conn, owned = _as_connection(db)
    try:
        out = {}
        queries = list_queries()
        for i, q in enumerate(queries, 1):
            if progress:
                progress(f"[{i}/{len(queries)}] {q.name}")
            out[q.name] = (
                run_query(conn, q) if isinstance(conn, sqlite3.Connection) else run_query(None, q, engine=conn)
            )
        return out
    finally:
        if owned:
            conn.close()
