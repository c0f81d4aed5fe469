"""SQLite storage and the SQL library runner.

:func:`build_database` writes the sessions (and, for simulated data, the experiment tables)
into a SQLite file. :func:`list_queries`, :func:`run_query` and :func:`run_all` execute the
questions in ``sql/queries/NN_name.sql``; each file opens with a ``-- Question:`` comment.
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

import pandas as pd

from . import paths
from .schema import COLUMN_NAMES, TABLE_NAME, sqlite_ddl

__all__ = [
    "Query",
    "QueryError",
    "build_database",
    "connect",
    "list_queries",
    "get_query",
    "run_query",
    "run_all",
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
        Frame with the contract's 19 columns (from :func:`~ecommerce_analytics.data.load_sessions`
        or :func:`~ecommerce_analytics.simulate.simulate`).
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
    missing = [c for c in COLUMN_NAMES if c not in sessions.columns]
    if missing:
        raise ValueError(f"sessions frame lacks contract column(s): {', '.join(missing)}")
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
            frame = sessions[list(COLUMN_NAMES)].copy()
            frame.insert(0, "session_id", range(1, len(frame) + 1))
            _insert(conn, TABLE_NAME, frame, sqlite_ddl())
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


def run_query(db: sqlite3.Connection | str | os.PathLike, name: str | int | Query) -> pd.DataFrame:
    """Execute one query and return its result as a frame.

    Parameters
    ----------
    db : sqlite3.Connection or str or path-like
        An open connection, or a database file opened read-only with :func:`connect`.
    name : str or int or Query
        The query, as :func:`get_query` finds it.

    Returns
    -------
    DataFrame
        The query's result.

    Raises
    ------
    QueryError
        Unknown query, a statement that is not allowed, or a failure (one line, no SQL text).
    """
    query = name if isinstance(name, Query) else get_query(name)
    conn, owned = _as_connection(db)
    try:
        return pd.read_sql_query(query.sql, conn)
    except (sqlite3.DatabaseError, pd.errors.DatabaseError) as exc:
        if "not authorized" in str(exc) or "authorization denied" in str(exc):
            raise QueryError(
                f"{query.name}: not allowed on a read-only query connection (statements may only read)"
            ) from None
        # A damaged file, or a database without the project's tables: one line, not a traceback.
        where = f"{db}: " if not isinstance(db, sqlite3.Connection) else ""
        text = str(exc)
        detail = (text.rsplit("': ", 1)[-1] if "': " in text else text).strip() or type(exc).__name__  # no SQL text
        raise QueryError(f"{where}{query.name} failed: {' '.join(detail.split())}") from None
    finally:
        if owned:
            conn.close()


def run_all(
    db: sqlite3.Connection | str | os.PathLike, *, progress: Callable[[str], None] | None = None
) -> dict[str, pd.DataFrame]:
    """Execute every query of the library.

    Parameters
    ----------
    db : sqlite3.Connection or str or path-like
        As :func:`run_query`.
    progress : callable, optional
        Receives ``[i/n] name`` before each query.

    Returns
    -------
    dict
        ``{query name: result frame}``, in file-name order.
    """
    conn, owned = _as_connection(db)
    try:
        out = {}
        queries = list_queries()
        for i, q in enumerate(queries, 1):
            if progress:
                progress(f"[{i}/{len(queries)}] {q.name}")
            out[q.name] = run_query(conn, q)
        return out
    finally:
        if owned:
            conn.close()
