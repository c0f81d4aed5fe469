"""Transpile the SQL library's canonical (SQLite) text to another engine's dialect.

SQLGlot does the work (``read="sqlite"``). Two things it does not carry over are added here:

* **Decimal literals are doubles.** In SQLite ``1.0`` is a REAL; in DuckDB and Spark it is a
  DECIMAL, and Spark's decimal arithmetic rounds ratios to a few digits. Every literal with a
  decimal point or an exponent becomes ``CAST(literal AS DOUBLE)``.
* **SQLite's date modifiers.** ``date(x, 'weekday N', '-K days', ...)`` (the Monday of a
  session's week in ``20_weekly_trend``) is rewritten into the target's date arithmetic and
  formatted back to SQLite's ``YYYY-MM-DD`` text. Supported modifiers: ``'weekday N'`` (0 =
  Sunday) and ``'+K days'``/``'-K days'``; any other modifier is a one-line error.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

from ..database import QueryError

__all__ = ["transpile"]

_MODIFIER = re.compile(r"^\s*(?:(?P<sign>[+-]?)(?P<days>\d+)\s+days?|weekday\s+(?P<weekday>[0-6]))\s*$", re.IGNORECASE)

#: Per target dialect: the date of a timestamp, a date plus an integer number of days, the day of
#: the week with 0 = Sunday (SQLite's ``%w``), and a date as ``YYYY-MM-DD`` text.
_DATE_SQL = {
    "duckdb": {
        "date": "CAST({x} AS DATE)",
        "add_days": "({d} + CAST({k} AS INTEGER))",
        "dow": "DAYOFWEEK({d})",
        "text": "STRFTIME({d}, '%Y-%m-%d')",
    },
    "spark": {
        "date": "CAST({x} AS DATE)",
        "add_days": "DATE_ADD({d}, CAST({k} AS INT))",
        "dow": "(DAYOFWEEK({d}) - 1)",
        "text": "DATE_FORMAT({d}, 'yyyy-MM-dd')",
    },
}


def _date_with_modifiers(node: exp.Expression, write: str) -> exp.Expression:
    """SQLite's ``date(x, modifier, ...)`` as ``write``'s date arithmetic, or ``node`` unchanged."""
    if not (isinstance(node, exp.Anonymous) and node.name.upper() == "DATE" and len(node.expressions) >= 2):
        return node
    base, *modifiers = node.expressions
    sql = _DATE_SQL[write]
    d = sql["date"].format(x=base.sql(dialect=write))
    for mod in modifiers:
        m = _MODIFIER.match(mod.name) if isinstance(mod, exp.Literal) and mod.is_string else None
        if m is None:
            raise QueryError(
                f"date() modifier {mod.sql(dialect='sqlite')} cannot be transpiled to {write} "
                "(supported: 'weekday N', '+K days', '-K days')"
            )
        if m.group("weekday") is not None:
            shift = f"(({m.group('weekday')} - {sql['dow'].format(d=d)} + 7) % 7)"
        else:
            shift = f"{'-' if m.group('sign') == '-' else ''}{m.group('days')}"
        d = sql["add_days"].format(d=d, k=shift)
    return sqlglot.parse_one(sql["text"].format(d=d), read=write)


def _double_literal(node: exp.Expression) -> exp.Expression:
    """A numeric literal with a decimal point or exponent, as a DOUBLE (SQLite's REAL)."""
    if isinstance(node, exp.Literal) and node.is_number and any(c in node.this for c in ".eE"):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("DOUBLE"))
    return node


@lru_cache(maxsize=256)
def transpile(sql: str, write: str, read: str = "sqlite") -> str:
    """One SELECT statement of dialect ``read`` as text of dialect ``write``.

    Parameters
    ----------
    sql : str
        One statement (comments and a trailing ``;`` allowed); it must be a query (``SELECT``,
        ``WITH ... SELECT``, ``UNION``): nothing else is run on an engine.
    write : {"sqlite", "duckdb", "spark"}
        Target dialect.
    read : str, default "sqlite"
        Dialect of ``sql`` (the library's canonical dialect).

    Returns
    -------
    str
        The statement in the target dialect (unchanged text when ``write == read``).

    Raises
    ------
    QueryError
        Text that does not parse, more than one statement, a statement that is not a query, or
        a SQLite date modifier without a translation.

    Examples
    --------
    >>> transpile("SELECT 1.0 * a / b AS r FROM t", "spark")
    'SELECT CAST(1.0 AS DOUBLE) * a / b AS r FROM t'
    >>> transpile("SELECT date(d, '+1 day') AS x FROM t", "duckdb")
    "SELECT STRFTIME((CAST(d AS DATE) + CAST(1 AS INT)), '%Y-%m-%d') AS x FROM t"
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise QueryError(f"the query does not parse as {read} SQL: {' '.join(str(exc).split())[:200]}") from None
    if len(statements) != 1:
        raise QueryError(f"expected one SQL statement, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryError(f"only queries (SELECT) run on an engine, not {tree.key.upper()}")
    if write == read:
        return sql
    if write in _DATE_SQL:
        tree = tree.transform(_date_with_modifiers, write=write)
    if write in ("duckdb", "spark"):
        tree = tree.transform(_double_literal)
    return tree.sql(dialect=write)
