"""The data contract: the 19 columns of a session record, their types and their domains.

This module is the single place where the columns are defined. Loading and validation
(:mod:`ecommerce_analytics.data`), the simulator, the SQLite schema and the notebooks all read
the contract from here.

One row is one shopping session. The schema is that of Kaggle's "AI-Driven Consumer Behavior
Dataset" (creator ziya07, CC0), so the same code runs on that file and on the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Column",
    "COLUMNS",
    "COLUMN_NAMES",
    "COLUMNS_BY_NAME",
    "FLAG_COLUMNS",
    "TARGET",
    "TABLE_NAME",
    "INCOME_LEVELS",
    "GENDERS",
    "CATEGORIES",
    "PAYMENT_METHODS",
    "RowRule",
    "ROW_RULES",
    "normalize_column_name",
    "sqlite_ddl",
    "contract_markdown",
    "EARLIEST_TIMESTAMP",
    "INT64_MAX",
    "INT64_MIN",
    "LATEST_TIMESTAMP",
    "REQUIRED_COLUMNS",
    "OPTIONAL_COLUMNS",
    "Analysis",
    "ANALYSES",
    "missing_for",
    "skip_sentence",
]

Kind = Literal["id", "text", "category", "float", "int", "flag", "timestamp"]

TABLE_NAME = "customer_sessions"
TARGET = "purchase_decision"

#: Closed vocabularies: a value outside these quarantines the row.
INCOME_LEVELS: tuple[str, ...] = ("Low", "Medium", "High")
GENDERS: tuple[str, ...] = ("Male", "Female", "Other")
#: Reference vocabularies (the Kaggle file's levels). Other levels are accepted and reported,
#: so that a shop with a "Toys" category can still use the package.
CATEGORIES: tuple[str, ...] = ("Books", "Clothing", "Electronics", "Furniture", "Grocery")
PAYMENT_METHODS: tuple[str, ...] = ("COD", "Credit Card", "Debit Card", "PayPal")

#: The plausible window of a session timestamp (inclusive): e-commerce sessions before 2000 or
#: after 2049 are typing or unit errors (1677, 1900, 2099, 9999 ...), and are quarantined.
EARLIEST_TIMESTAMP = "2000-01-01 00:00:00"
LATEST_TIMESTAMP = "2049-12-31 23:59:59"
#: Integer columns are stored as int64; a whole number outside this range is quarantined.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    Parameters
    ----------
    name : str
        Canonical (lower-case) column name.
    kind : {"id", "text", "category", "float", "int", "flag", "timestamp"}
        Logical type. ``flag`` is an integer restricted to 0 and 1.
    description : str
        What the column means, with its unit.
    nullable : bool
        Whether an empty value is allowed. A null in a non-nullable column quarantines the row.
    minimum, maximum : float, optional
        Inclusive bounds for numeric columns.
    min_exclusive : bool
        If true, ``minimum`` itself is out of domain (``price > 0``).
    levels : tuple of str, optional
        Allowed values of a closed vocabulary.
    reference_levels : tuple of str, optional
        Known values of an open vocabulary; other values are kept and reported.
    """

    name: str
    kind: Kind
    description: str
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    min_exclusive: bool = False
    levels: tuple[str, ...] | None = None
    reference_levels: tuple[str, ...] | None = None

    @property
    def is_numeric(self) -> bool:
        """True for the numeric kinds (``float``, ``int``, ``flag``)."""
        return self.kind in ("float", "int", "flag")

    def domain_text(self) -> str:
        """Human-readable domain, used in reports and quarantine reasons.

        Returns
        -------
        str
            The allowed values or range, as read in a quarantine reason.

        Examples
        --------
        >>> COLUMNS_BY_NAME["rating"].domain_text()
        '1 <= rating <= 5'
        """
        if self.kind == "flag":
            return "0 or 1"
        if self.levels is not None:
            return "one of " + ", ".join(self.levels)
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else f"{_fmt(self.minimum)} {'<' if self.min_exclusive else '<='} "
            hi = "" if self.maximum is None else f" <= {_fmt(self.maximum)}"
            return f"{lo}{self.name}{hi}"
        if self.kind == "timestamp":
            return (
                f"a date-time (YYYY-MM-DD HH:MM:SS) from {EARLIEST_TIMESTAMP[:10]} to {LATEST_TIMESTAMP[:10]}; "
                "values with an offset or Z are read on that clock only if all share one offset"
            )
        if self.reference_levels is not None:
            return "text; known levels " + ", ".join(self.reference_levels) + " (others kept and reported)"
        return "text, may be empty" if self.nullable else "non-empty text"


def _fmt(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 1_000 else str(int(x))
    return str(x)


COLUMNS: tuple[Column, ...] = (
    Column("user_id", "id", "Customer identifier (a user may have several sessions)."),
    Column("product_id", "id", "Identifier of the product viewed in the session."),
    Column("category", "category", "Product category.", reference_levels=CATEGORIES),
    Column(
        "price",
        "float",
        "List price of the product, in currency units.",
        minimum=0.0,
        maximum=1_000_000.0,
        min_exclusive=True,
    ),
    Column("discount_applied", "float", "Discount shown, in percent of the price.", minimum=0.0, maximum=100.0),
    Column("payment_method", "category", "Payment method chosen or preferred.", reference_levels=PAYMENT_METHODS),
    Column("purchase_date", "timestamp", "Session timestamp (local time, no time zone)."),
    Column(
        "pages_visited", "int", "Pages viewed in the session (more than 1,000 is a crawler).", minimum=1, maximum=1_000
    ),
    Column("time_spent", "int", "Session duration, in seconds (at most one day).", minimum=0, maximum=86_400),
    Column("add_to_cart", "flag", "1 if the product was added to the cart."),
    Column("abandoned_cart", "flag", "1 if the cart was left without a purchase."),
    Column("rating", "int", "Product rating shown, 1 to 5 stars.", minimum=1, maximum=5),
    Column("review_text", "text", "Text of a review of the product.", nullable=True),
    Column("sentiment_score", "float", "Sentiment of the review text, -1 to 1.", minimum=-1.0, maximum=1.0),
    Column("age", "int", "Customer age, in years.", minimum=13, maximum=120),
    Column("gender", "category", "Customer gender.", levels=GENDERS),
    Column("income_level", "category", "Customer income band.", levels=INCOME_LEVELS),
    Column("location", "text", "Customer city."),
    Column("purchase_decision", "flag", "1 if the session ended in a purchase (the target)."),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
FLAG_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.kind == "flag")


@dataclass(frozen=True)
class RowRule:
    """A rule across columns: a row whose values equal every ``(column, value)`` of ``when`` breaks it.

    Parameters
    ----------
    text : str
        The rule as read in reports; it is the quarantine reason of a row that breaks it.
    when : tuple of (str, int)
        The (flag column, value) pairs that together break the rule.
    """

    text: str
    when: tuple[tuple[str, int], ...]


#: Row-level rules beyond single-column domains (the funnel), checked in this order on the
#: parsed flags: a cart cannot be abandoned if nothing was added to it, nothing is bought
#: without a cart, and a cart is either abandoned or bought.
ROW_RULES: tuple[RowRule, ...] = (
    RowRule("abandoned_cart = 1 but add_to_cart = 0", (("abandoned_cart", 1), ("add_to_cart", 0))),
    RowRule("purchase_decision = 1 but add_to_cart = 0", (("purchase_decision", 1), ("add_to_cart", 0))),
    RowRule("abandoned_cart = 1 and purchase_decision = 1", (("abandoned_cart", 1), ("purchase_decision", 1))),
)


#: Columns every dataset must have: who, when, and the outcome. The others are optional: an
#: analysis that needs a missing one is skipped with a sentence saying why (:data:`ANALYSES`).
REQUIRED_COLUMNS: tuple[str, ...] = ("user_id", "purchase_date", "purchase_decision")
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMN_NAMES if c not in REQUIRED_COLUMNS)


@dataclass(frozen=True)
class Analysis:
    """An analysis of the reports and the optional columns it needs.

    Parameters
    ----------
    name : str
        Short name, as used by notebooks (``%%needs funnel``) and helpers.
    title : str
        What the analysis is, as read in a skip sentence.
    columns : tuple of str
        Contract columns it needs (beyond :data:`REQUIRED_COLUMNS`).
    """

    name: str
    title: str
    columns: tuple[str, ...]


#: The analyses of the five notebooks and the optional columns each needs. A dataset without
#: one of them still runs every other analysis.
ANALYSES: dict[str, Analysis] = {
    a.name: a
    for a in (
        Analysis("funnel", "the cart funnel", ("add_to_cart",)),
        Analysis("revenue", "revenue and order value", ("price",)),
        Analysis("discounts", "the discount analyses", ("discount_applied", "price")),
        Analysis("categories", "the product categories", ("category",)),
        Analysis("payment", "the payment methods", ("payment_method",)),
        Analysis("engagement", "engagement (pages and time on site)", ("pages_visited", "time_spent")),
        Analysis("reviews", "ratings and review sentiment", ("rating", "sentiment_score")),
        Analysis("demographics", "the customer demographics", ("age", "gender", "income_level", "location")),
        Analysis("age", "customer age", ("age",)),
        Analysis("income", "customer income", ("income_level",)),
        Analysis(
            "segments",
            "behavioural segmentation (pages, time per page, price and age)",
            ("pages_visited", "time_spent", "price", "age"),
        ),
    )
}


def _analysis(name: str) -> Analysis:
    if name not in ANALYSES:
        raise ValueError(f"unknown analysis {name!r}; known: {', '.join(ANALYSES)}")
    return ANALYSES[name]


def missing_for(analysis: str, columns: object) -> list[str]:
    """The columns ``analysis`` needs that are not among ``columns``.

    Parameters
    ----------
    analysis : str
        A key of :data:`ANALYSES`.
    columns : iterable of str, or a DataFrame
        The columns a dataset has (a frame's columns are read).

    Returns
    -------
    list of str
        Missing columns in contract order; empty when the analysis can run.

    Examples
    --------
    >>> missing_for("funnel", ["user_id", "purchase_date", "purchase_decision"])
    ['add_to_cart']
    >>> missing_for("nope", [])
    Traceback (most recent call last):
    ...
    ValueError: unknown analysis 'nope'; known: funnel, revenue, discounts, categories, payment, engagement, reviews, demographics, age, income, segments
    """
    have = set(getattr(columns, "columns", columns))
    return [c for c in _analysis(analysis).columns if c not in have]


def skip_sentence(analysis: str, columns: object) -> str | None:
    """The one sentence that says why ``analysis`` is skipped, or None when it can run.

    Parameters
    ----------
    analysis : str
        A key of :data:`ANALYSES`.
    columns : iterable of str, or a DataFrame
        The columns a dataset has.

    Returns
    -------
    str or None
        ``"Skipped: the cart funnel needs add_to_cart, which this dataset does not have."``

    Examples
    --------
    >>> skip_sentence("demographics", ["age", "gender"])
    'Skipped: the customer demographics needs income_level and location, which this dataset does not have.'
    >>> skip_sentence("age", ["age"]) is None
    True
    """
    missing = missing_for(analysis, columns)
    if not missing:
        return None
    names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    return f"Skipped: {_analysis(analysis).title} needs {names}, which this dataset does not have."


def normalize_column_name(name: object) -> str:
    """Canonical form of a header cell: trimmed, case-folded, inner blanks as underscores.

    A byte-order mark left at the start of the first header cell is removed too.

    Parameters
    ----------
    name : object
        A header cell (converted with ``str``).

    Returns
    -------
    str
        The name compared with the contract's column names.

    Examples
    --------
    >>> normalize_column_name("  Purchase Decision ")
    'purchase_decision'
    """
    text = str(name).replace("\ufeff", "").strip().casefold()
    return "_".join(text.split())


_SQLITE_TYPES = {
    "id": "TEXT",
    "text": "TEXT",
    "category": "TEXT",
    "timestamp": "TEXT",
    "float": "REAL",
    "int": "INTEGER",
    "flag": "INTEGER",
}


def sqlite_ddl(table: str = TABLE_NAME, absent: tuple[str, ...] | list[str] = ()) -> str:
    """``CREATE TABLE`` statement for the sessions table, derived from the contract.

    ``session_id`` is the 1-based row position of the session in the loaded frame; it links
    rows to the simulator's ground truth and gives SQL window functions a deterministic
    tie-breaker.

    Parameters
    ----------
    table : str, default "customer_sessions"
        The table's name.
    absent : sequence of str, default ()
        Optional columns the data does not have: they are stored as NULL (no ``NOT NULL``).

    Returns
    -------
    str
        The statement: ``session_id`` then the 19 columns, ``NOT NULL`` where not nullable.

    Examples
    --------
    >>> sqlite_ddl().splitlines()[:3]
    ['CREATE TABLE customer_sessions (', '    session_id INTEGER PRIMARY KEY,', '    user_id TEXT NOT NULL,']
    """
    lines = ["    session_id INTEGER PRIMARY KEY"]
    for col in COLUMNS:
        null = "" if col.nullable or col.name in absent else " NOT NULL"
        lines.append(f"    {col.name} {_SQLITE_TYPES[col.kind]}{null}")
    return f"CREATE TABLE {table} (\n" + ",\n".join(lines) + "\n)"


def contract_markdown() -> str:
    """The contract as a Markdown table (the README shows exactly this), then the row rules.

    Returns
    -------
    str
        A table of the 19 columns (name, type, domain, meaning) and a paragraph of row rules.

    Examples
    --------
    >>> contract_markdown().splitlines()[2]
    '| **user_id** (required) | id | non-empty text | Customer identifier (a user may have several sessions). |'
    """
    rows = ["| column | type | domain | meaning |", "| --- | --- | --- | --- |"]
    for col in COLUMNS:
        name = f"**{col.name}** (required)" if col.name in REQUIRED_COLUMNS else col.name
        rows.append(f"| {name} | {col.kind} | {col.domain_text()} | {col.description} |")
    rows.append("")
    rows.append(
        "Row rules (a row breaking one is quarantined with the rule as its reason): "
        + "; ".join(f"`{rule.text}`" for rule in ROW_RULES)
        + ". Required columns are in bold; any other column may be missing: the analyses that need it "
        "are skipped with a sentence saying why, and a missing `abandoned_cart` is derived from "
        "`add_to_cart` and `purchase_decision` by the last rule. Every cell must be a single value (no list, dict or bytes) without NUL characters; "
        "whole numbers are parsed exactly (never through a float) and must fit in int64."
    )
    return "\n".join(rows)
