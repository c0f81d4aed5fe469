"""The analysis steps of notebook 01: data quality, product metrics, funnel, segment screens, time patterns.

Each step takes the validated sessions (or a computed frame) and returns a small result object
holding its table and the numbers the notebook reports, with a ``sentence()`` that builds the
notebook's text from them. :class:`ExploreResults` gathers what the notebook writes to its results
JSON (read by notebook 05 and the README).

The statistics are those of :mod:`ecommerce_analytics.metrics`: Wilson intervals for rates,
Student t for means, Newcombe's interval for differences of rates, two-proportion z-tests with
Holm's correction for the segment screens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import metrics
from .metrics import Estimate
from .reporting import NotebookResults, ci, num, pct, pp
from .schema import TARGET
from .segmentation import age_group

__all__ = [
    "SCREEN_CATEGORICAL",
    "SCREEN_NUMERIC",
    "QUINTILE_VARIABLES",
    "CORRELATION_COLUMNS",
    "WEEKDAYS",
    "SourceOverview",
    "overview",
    "DataQuality",
    "data_quality",
    "ProductMetrics",
    "product_metrics",
    "FunnelReadout",
    "funnel",
    "SqlAgreement",
    "sql_agreement",
    "SegmentScreen",
    "segment_screen",
    "CategoryReadout",
    "category_readout",
    "QuintileContrast",
    "quintile_contrast",
    "quintile_contrasts",
    "Correlations",
    "correlations",
    "FunnelIdentity",
    "funnel_identity",
    "HourPattern",
    "hour_pattern",
    "WeekdayPattern",
    "weekday_pattern",
    "WeeklyTrend",
    "weekly_trend",
    "ExploreResults",
    "PlantedTruth",
    "planted_truth",
    "ExploreSummary",
    "summary",
    "at_scale",
]

#: Categorical variables of the conversion screen (``age_group`` is derived from ``age``).
SCREEN_CATEGORICAL = ("category", "payment_method", "income_level", "gender", "age_group", "rating")
#: Numeric variables of the conversion screen, cut into quintiles.
SCREEN_NUMERIC = ("price", "discount_applied", "pages_visited", "time_spent", "sentiment_score")
#: Variables whose top and bottom quintiles are contrasted, with how a sentence names them.
QUINTILE_VARIABLES = {"price": "price", "time_spent": "session duration", "sentiment_score": "review sentiment"}
#: Columns of the Spearman correlation matrix (numeric columns and the funnel flags).
CORRELATION_COLUMNS = (
    "price",
    "discount_applied",
    "pages_visited",
    "time_spent",
    "rating",
    "sentiment_score",
    "age",
    "add_to_cart",
    "abandoned_cart",
    TARGET,
)
#: Weekday names in calendar order.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CART_FLAGS = ["add_to_cart", "abandoned_cart"]
_METRIC_FORMATS = {
    "conversion_rate": pct,
    "cart_rate": pct,
    "cart_abandonment_rate": pct,
    "bounce_rate": pct,
    "avg_order_value": lambda x: f"{x:,.2f}",
    "revenue_per_session": lambda x: f"{x:,.2f}",
    "avg_session_seconds": lambda x: f"{x:,.0f} s",
    "pages_per_session": lambda x: f"{x:,.2f}",
}
_SIGNIFICANT_LEVEL_COLUMNS = ["variable", "level", "n", "rate", "ci_low", "ci_high", "rest_rate", "p_adjusted"]


def _require_frame(frame: Any, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Raise ``ValueError`` unless ``frame`` is a non-empty DataFrame holding ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise ValueError(f"{name} must have at least one row, got an empty frame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} must have the columns {list(columns)}; missing {missing}")
    return frame


# ------------------------------------------------------------------------------ the source
@dataclass(frozen=True)
class SourceOverview:
    """What the sessions of a run are: how many, of how many users, over which dates.

    Attributes
    ----------
    label : str
        The run's label (``Run.label``).
    sessions, users : int
        Sessions and distinct users.
    first, last : pandas.Timestamp
        Earliest and latest session timestamps.
    """

    label: str
    sessions: int
    users: int
    first: pd.Timestamp
    last: pd.Timestamp

    def sentence(self) -> str:
        """The notebook's opening sentence."""
        return (
            f"Source: **{self.label}**: {num(self.sessions)} sessions of {num(self.users)} users, "
            f"from {self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}."
        )


def overview(sessions: pd.DataFrame, label: str) -> SourceOverview:
    """Count the sessions and users of a run and the dates they span.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions with ``user_id`` and ``purchase_date``.
    label : str
        The run's label, shown in bold.

    Returns
    -------
    SourceOverview

    Examples
    --------
    >>> s = pd.DataFrame({"user_id": [1, 1, 2], "purchase_date": pd.to_datetime(["2025-01-06", "2025-01-07", "2025-02-01"])})
    >>> overview(s, "demo").sentence()
    'Source: **demo**: 3 sessions of 2 users, from 2025-01-06 to 2025-02-01.'
    """
    _require_frame(sessions, ["user_id", "purchase_date"], "sessions")
    if not isinstance(label, str) or not label:
        raise ValueError(f"label must be a non-empty string, got {label!r}")
    dates = sessions["purchase_date"]
    return SourceOverview(label, len(sessions), int(sessions["user_id"].nunique()), dates.min(), dates.max())


# ------------------------------------------------------------------------------ data quality
@dataclass(frozen=True)
class DataQuality:
    """The data-quality counts of a load (rows in = rows kept + rows quarantined).

    Attributes
    ----------
    rows_in, rows_kept, rows_quarantined, duplicate_rows : int
        Row counts of the load report.
    quarantine_reasons : dict
        Quarantined rows per broken rule.
    extra_columns : list of str
        Header cells outside the contract.
    renamed_columns : dict
        Header cells matched only after trimming and case-folding.
    summary : str
        The load report's multi-line summary.
    """

    rows_in: int
    rows_kept: int
    rows_quarantined: int
    duplicate_rows: int
    quarantine_reasons: dict[str, int]
    extra_columns: list[str]
    renamed_columns: dict[str, str]
    summary: str = ""

    @property
    def reasons(self) -> pd.DataFrame:
        """Quarantine reasons as a frame of ``reason, rows``."""
        return pd.DataFrame(list(self.quarantine_reasons.items()), columns=["reason", "rows"])

    def to_dict(self) -> dict[str, Any]:
        """The counts written to the results JSON (the summary text aside)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "summary"}

    def sentence(self) -> str:
        """Rows kept and quarantined, duplicates, and the broken rules."""
        reasons = (
            "no rule was broken."
            if not self.quarantine_reasons
            else "reasons: " + "; ".join(f"{r} ({n})" for r, n in self.quarantine_reasons.items()) + "."
        )
        return (
            f"{num(self.rows_kept)} of {num(self.rows_in)} rows kept, {num(self.rows_quarantined)} quarantined "
            f"({pct(self.rows_quarantined / self.rows_in)}), {num(self.duplicate_rows)} exact duplicates; " + reasons
        )


def data_quality(report: Any) -> DataQuality:
    """Read the data-quality counts of a load report.

    Parameters
    ----------
    report : ecommerce_analytics.data.LoadReport
        The report of the load (``data.loaded.report``); it must have read at least one row.

    Returns
    -------
    DataQuality

    Examples
    --------
    >>> from ecommerce_analytics.data import LoadReport
    >>> r = LoadReport("f.csv", "csv", rows_in=10, rows_kept=8, rows_quarantined=2, quarantine_reasons={"price: out of domain": 2})
    >>> data_quality(r).sentence()
    '8 of 10 rows kept, 2 quarantined (20.0%), 0 exact duplicates; reasons: price: out of domain (2).'
    """
    names = ("rows_in", "rows_kept", "rows_quarantined", "duplicate_rows", "quarantine_reasons")
    missing = [n for n in (*names, "extra_columns", "renamed_columns", "summary") if not hasattr(report, n)]
    if missing:
        raise ValueError(f"report must be a LoadReport; it lacks {missing}")
    if report.rows_in < 1:
        raise ValueError(f"report.rows_in must be at least 1, got {report.rows_in}")
    return DataQuality(
        int(report.rows_in),
        int(report.rows_kept),
        int(report.rows_quarantined),
        int(report.duplicate_rows),
        dict(report.quarantine_reasons),
        list(report.extra_columns),
        dict(report.renamed_columns),
        report.summary(),
    )


# ------------------------------------------------------------------------------ product metrics
@dataclass(frozen=True)
class ProductMetrics:
    """The headline product metrics, each an :class:`~ecommerce_analytics.metrics.Estimate`.

    Attributes
    ----------
    estimates : dict of str to Estimate
        Keyed as :data:`ecommerce_analytics.metrics.METRIC_DEFINITIONS`.
    """

    estimates: dict[str, Estimate]

    @property
    def conversion_rate(self) -> float:
        """The overall conversion rate (reference line of the rate charts)."""
        return self.estimates["conversion_rate"].estimate

    @property
    def table(self) -> pd.DataFrame:
        """One row per metric: ``estimate, ci_low, ci_high, n, method``."""
        frame = pd.DataFrame({k: v.to_dict() for k, v in self.estimates.items()}).T
        return frame[["estimate", "ci_low", "ci_high", "n", "method"]]

    def formatted(self) -> pd.DataFrame:
        """The table for people: rates in %, money with two decimals, counts with thousands separators.

        Examples
        --------
        >>> m = ProductMetrics({"conversion_rate": Estimate(0.218, 0.212, 0.224, 20000, "Wilson score")})
        >>> m.formatted().iloc[0].tolist()
        ['conversion rate', '21.8%', '21.2% to 22.4%', '20,000']
        """
        rows = []
        for key, est in self.estimates.items():
            fmt = _METRIC_FORMATS.get(key, num)
            rows.append(
                [key.replace("_", " "), fmt(est.estimate), f"{fmt(est.ci_low)} to {fmt(est.ci_high)}", num(est.n)]
            )
        return pd.DataFrame(rows, columns=["metric", "estimate", "95% CI", "n"])

    def to_dict(self) -> dict[str, dict]:
        """Each metric as a plain dictionary (the results JSON's ``metrics``)."""
        return {k: v.to_dict() for k, v in self.estimates.items()}

    def sentence(self) -> str:
        """Conversion, abandonment, order value, session length, pages and bounce rate."""
        m = self.estimates
        conv, aband, aov = m["conversion_rate"], m["cart_abandonment_rate"], m["avg_order_value"]
        return (
            f"Conversion is **{pct(conv.estimate)}** ({ci(conv.ci_low, conv.ci_high)}); "
            f"**{pct(aband.estimate)}** of carts are abandoned ({ci(aband.ci_low, aband.ci_high)}); "
            f"an order is worth **{num(aov.estimate)}** on average ({ci(aov.ci_low, aov.ci_high, num)}); "
            f"a session lasts {num(m['avg_session_seconds'].estimate, 0)} s over "
            f"{num(m['pages_per_session'].estimate, 1)} pages, "
            f"and {pct(m['bounce_rate'].estimate)} of sessions bounce."
        )


def product_metrics(sessions: pd.DataFrame) -> ProductMetrics:
    """Compute the product metrics with their 95% intervals (:func:`ecommerce_analytics.metrics.product_metrics`).

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.

    Returns
    -------
    ProductMetrics
    """
    _require_frame(sessions, ["price", "discount_applied", "add_to_cart", "abandoned_cart", TARGET], "sessions")
    return ProductMetrics(metrics.product_metrics(sessions))


# ------------------------------------------------------------------------------ funnel
@dataclass(frozen=True)
class FunnelReadout:
    """The funnel table (:func:`ecommerce_analytics.metrics.funnel`) and its weakest step.

    Attributes
    ----------
    table : DataFrame
        ``stage, sessions, share_of_sessions, ci_low, ci_high, share_of_previous``.
    """

    table: pd.DataFrame

    @property
    def worst_step(self) -> int:
        """Position of the stage reached by the smallest share of the stage before it."""
        return int(np.argmin(self.table.share_of_previous.iloc[1:].to_numpy())) + 1

    def formatted(self) -> pd.DataFrame:
        """The table for people: counts with thousands separators, shares in %.

        Examples
        --------
        >>> s = pd.DataFrame({"pages_visited": [1, 2, 3, 4], "add_to_cart": [0, 1, 1, 1], "purchase_decision": [0, 0, 0, 1]})
        >>> funnel(s).formatted().iloc[3].tolist()
        ['Purchased', '1', '25.0%', '33.3%']
        """
        t = self.table
        return pd.DataFrame(
            {
                "stage": t.stage,
                "sessions": [num(n) for n in t.sessions],
                "share of sessions": [pct(x) for x in t.share_of_sessions],
                "share of previous stage": ["" if pd.isna(x) else pct(x) for x in t.share_of_previous],
            }
        )

    def sentence(self) -> str:
        """The largest loss between two stages, and the share of sessions ending in a purchase."""
        worst = self.worst_step
        stage, share = self.table.stage, self.table.share_of_previous
        return (
            f"The largest loss is from *{stage.iloc[worst - 1]}* to *{stage.iloc[worst]}*: only "
            f"{pct(share.iloc[worst])} continue. Overall {pct(self.table.share_of_sessions.iloc[-1])} "
            "of sessions end in a purchase."
        )


def funnel(sessions: pd.DataFrame) -> FunnelReadout:
    """Count the sessions reaching each funnel stage.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions with ``pages_visited``, ``add_to_cart`` and ``purchase_decision``.

    Returns
    -------
    FunnelReadout

    Examples
    --------
    >>> s = pd.DataFrame({"pages_visited": [1, 2, 3, 4], "add_to_cart": [0, 1, 1, 1], "purchase_decision": [0, 0, 0, 1]})
    >>> funnel(s).sentence()
    'The largest loss is from *Added to cart* to *Purchased*: only 33.3% continue. Overall 25.0% of sessions end in a purchase.'
    """
    _require_frame(sessions, ["pages_visited", "add_to_cart", TARGET], "sessions")
    return FunnelReadout(metrics.funnel(sessions))


# ------------------------------------------------------------------------------ SQL agreement
@dataclass(frozen=True)
class SqlAgreement:
    """The package's metrics against ``01_overall_metrics.sql``'s.

    Attributes
    ----------
    table : DataFrame
        ``metric, package, sql, abs_difference, agree`` (:func:`ecommerce_analytics.metrics.compare_to_sql`).
    """

    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """``all_agree`` and ``max_abs_difference`` (the results JSON's ``sql_agreement``)."""
        return {
            "all_agree": bool(self.table.agree.all()),
            "max_abs_difference": float(self.table.abs_difference.max()),
        }

    def sentence(self) -> str:
        """How many metrics agree, and the largest absolute difference."""
        agree, n = int(self.table.agree.sum()), len(self.table)
        largest = f"{self.table.abs_difference.max():.1e}"
        if agree == n:
            return (
                f"The SQL query and the package give the same value for all {n} metrics (largest absolute "
                f"difference {largest}, floating-point rounding)."
            )
        return f"The SQL query and the package agree on {agree} of {n} metrics (largest absolute difference {largest})."


def sql_agreement(product: ProductMetrics, overall: pd.DataFrame) -> SqlAgreement:
    """Compare the product metrics with the result of ``01_overall_metrics.sql``.

    Parameters
    ----------
    product : ProductMetrics
        The package's metrics (:func:`product_metrics`).
    overall : DataFrame
        The query's one-row result (``database.run_query(db, "01_overall_metrics")``).

    Returns
    -------
    SqlAgreement
    """
    if not isinstance(product, ProductMetrics):
        raise ValueError(f"product must be a ProductMetrics (from product_metrics), got {type(product).__name__}")
    _require_frame(overall, ["conversion_rate", "revenue", "sessions"], "overall")
    return SqlAgreement(metrics.compare_to_sql(product.estimates, overall))


# ------------------------------------------------------------------------------ segment screen
@dataclass(frozen=True)
class SegmentScreen:
    """Conversion of every level of every segment variable against the rest, Holm-corrected.

    Attributes
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.metrics.conversion_screen`'s frame.
    overall : float
        The overall conversion rate.
    """

    table: pd.DataFrame
    overall: float

    @property
    def significant(self) -> pd.DataFrame:
        """The levels that survive the correction."""
        return self.table[self.table.significant]

    @property
    def unadjusted(self) -> int:
        """Levels with an unadjusted p-value below 5%."""
        return int((self.table.p_value < 0.05).sum())

    def to_dict(self) -> dict[str, Any]:
        """Counts and the significant levels (the results JSON's ``screen``)."""
        return {
            "levels_tested": int(len(self.table)),
            "significant_after_holm": int(self.table.significant.sum()),
            "significant_unadjusted": self.unadjusted,
            "significant_levels": self.significant[_SIGNIFICANT_LEVEL_COLUMNS],
        }

    def sentence(self, strongest: int = 8) -> str:
        """How many levels survive the correction, and the strongest ones (or the largest raw gap).

        Parameters
        ----------
        strongest : int, default 8
            Significant levels listed, smallest adjusted p-value first.

        Returns
        -------
        str
        """
        if isinstance(strongest, bool) or not isinstance(strongest, int) or strongest < 1:
            raise ValueError(f"strongest must be a positive integer, got {strongest!r}")
        screen, hits = self.table, self.significant
        if hits.empty:
            largest = screen.loc[screen.difference.abs().idxmax()]
            return (
                f"**None** of the {len(screen)} levels differs from the rest after Holm's correction. "
                f"{self.unadjusted} look different at an unadjusted 5% level, as expected by chance; the largest gap "
                f"is {largest.variable} = {largest.level} ({pp(largest.difference)}, "
                f"adjusted p = {largest.p_adjusted:.2f})."
            )
        listed = "; ".join(
            f"{r.variable} = {r.level}: {pct(r.rate)} vs {pct(r.rest_rate)} (adj. p = {r.p_adjusted:.1g})"
            for r in hits.sort_values("p_adjusted").head(strongest).itertuples()
        )
        return (
            f"**{len(hits)} of {len(screen)}** levels differ from the rest after Holm's correction "
            f"({self.unadjusted} at an unadjusted 5% level). Strongest: {listed}."
        )


def _available(columns: Sequence[str], sessions: pd.DataFrame) -> list[str]:
    """The default columns a dataset has (``age_group`` counts as present when ``age`` is)."""
    return [c for c in columns if c in sessions or (c == "age_group" and "age" in sessions)]


def segment_screen(
    sessions: pd.DataFrame,
    categorical: Sequence[str] | None = None,
    numeric: Sequence[str] | None = None,
) -> SegmentScreen:
    """Screen conversion by every level of the segment variables, with Holm's correction.

    ``age_group`` is derived from ``age`` (:func:`ecommerce_analytics.segmentation.age_group`)
    when it is asked for and not a column already.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    categorical, numeric : sequence of str, optional
        Variables screened level by level, and variables cut into quintiles first (default: those
        of :data:`SCREEN_CATEGORICAL` and :data:`SCREEN_NUMERIC` that the data has).

    Returns
    -------
    SegmentScreen
    """
    categorical = _available(SCREEN_CATEGORICAL, sessions) if categorical is None else categorical
    numeric = _available(SCREEN_NUMERIC, sessions) if numeric is None else numeric
    if isinstance(categorical, str) or isinstance(numeric, str):
        raise ValueError("categorical and numeric must be sequences of column names, not a single string")
    if not list(categorical) and not list(numeric):
        raise ValueError("categorical and numeric must name at least one variable between them")
    frame = _require_frame(sessions, [TARGET], "sessions")
    if "age_group" in categorical and "age_group" not in frame:
        _require_frame(frame, ["age"], "sessions")
        frame = frame.assign(age_group=age_group(frame["age"]))
    _require_frame(frame, [TARGET, *categorical, *numeric], "sessions")
    table = metrics.conversion_screen(frame, categorical=list(categorical), numeric=list(numeric))
    overall = metrics.proportion(int(frame[TARGET].sum()), len(frame)).estimate
    return SegmentScreen(table, overall)


@dataclass(frozen=True)
class CategoryReadout:
    """Conversion by product category, from the screen.

    Attributes
    ----------
    table : DataFrame
        The screen's rows of ``category``, numbered from 0.
    """

    table: pd.DataFrame

    def sentence(self) -> str:
        """The best and worst categories and how many survive the correction."""
        t = self.table
        top, bottom = t.loc[t.rate.idxmax()], t.loc[t.rate.idxmin()]
        n_sig = int(t.significant.sum())
        survive = (
            f"{n_sig} categor{'y' if n_sig == 1 else 'ies'} survive the correction."
            if n_sig
            else "no category survives the correction."
        )
        return (
            f"{top.level} converts best ({pct(top.rate)}, {ci(top.ci_low, top.ci_high)}) and {bottom.level} worst "
            f"({pct(bottom.rate)}, {ci(bottom.ci_low, bottom.ci_high)}); " + survive
        )


def category_readout(screen: SegmentScreen, variable: str = "category") -> CategoryReadout:
    """Take the rows of one variable (product category by default) out of the segment screen.

    Parameters
    ----------
    screen : SegmentScreen
        The result of :func:`segment_screen`.
    variable : str, default "category"
        A variable of the screen.

    Returns
    -------
    CategoryReadout
    """
    if not isinstance(screen, SegmentScreen):
        raise ValueError(f"screen must be a SegmentScreen (from segment_screen), got {type(screen).__name__}")
    variables = list(dict.fromkeys(screen.table.variable))
    if variable not in variables:
        raise ValueError(f"variable must be one of the screen's variables {variables}, got {variable!r}")
    return CategoryReadout(screen.table[screen.table.variable == variable].reset_index(drop=True))


# ------------------------------------------------------------------------------ quintile contrasts
def _direction(diff: Estimate) -> str:
    if diff.ci_low > 0:
        return "the top quintile converts higher"
    if diff.ci_high < 0:
        return "the top quintile converts lower"
    return "the interval includes zero, so no difference is shown"


@dataclass(frozen=True)
class QuintileContrast:
    """Conversion by quintile of one variable, and the top-minus-bottom difference.

    Attributes
    ----------
    column, label : str
        The variable and how a sentence names it.
    table : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` over the quintile bins, lowest first.
    difference : Estimate
        Top quintile's rate minus bottom quintile's, with Newcombe's interval.
    """

    column: str
    label: str
    table: pd.DataFrame
    difference: Estimate

    def sentence(self) -> str:
        """The two quintiles' rates, their difference with its interval, and what it shows."""
        d = self.difference
        return (
            f"Top vs bottom {self.label} quintile: {pct(self.table.rate.iloc[-1])} vs {pct(self.table.rate.iloc[0])}, "
            f"a difference of {pp(d.estimate)} ({ci(d.ci_low, d.ci_high, pp)}): {_direction(d)}."
        )


def quintile_contrast(sessions: pd.DataFrame, column: str, label: str | None = None) -> QuintileContrast:
    """Compare conversion between the top and the bottom quintile of a numeric column.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    column : str
        A numeric column of ``sessions``.
    label : str, optional
        How a sentence names the variable (default: ``column``).

    Returns
    -------
    QuintileContrast

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> s = pd.DataFrame({"price": range(10), "purchase_decision": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]})
    >>> c = quintile_contrast(s, "price")
    >>> round(c.difference.estimate, 2), _direction(c.difference)
    (-1.0, 'the top quintile converts lower')
    """
    if not isinstance(column, str):
        raise ValueError(f"column must be a column name (str), got {column!r}")
    _require_frame(sessions, [column, TARGET], "sessions")
    if not pd.api.types.is_numeric_dtype(sessions[column]):
        raise ValueError(f"column must name a numeric column, got {column!r} of dtype {sessions[column].dtype}")
    if label is not None and (not isinstance(label, str) or not label):
        raise ValueError(f"label must be a non-empty string or None, got {label!r}")
    table = metrics.rate_table(sessions, metrics.bin_numeric(sessions[column]))
    top, bottom = table.iloc[-1], table.iloc[0]
    diff = metrics.rate_difference(int(top.successes), int(top.n), int(bottom.successes), int(bottom.n))
    return QuintileContrast(column, label or column, table, diff)


def quintile_contrasts(
    sessions: pd.DataFrame, variables: Mapping[str, str] | None = None
) -> dict[str, QuintileContrast]:
    """Run :func:`quintile_contrast` for each variable (price, session duration, sentiment by default).

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    variables : mapping of str to str, optional
        Column to label (default: those of :data:`QUINTILE_VARIABLES` that the data has).

    Returns
    -------
    dict of str to QuintileContrast
    """
    if variables is None:
        variables = {c: label for c, label in QUINTILE_VARIABLES.items() if c in sessions}
    if not isinstance(variables, Mapping) or not variables:
        raise ValueError(f"variables must be a non-empty mapping of column to label, got {variables!r}")
    return {column: quintile_contrast(sessions, column, label) for column, label in variables.items()}


# ------------------------------------------------------------------------------ correlations
@dataclass(frozen=True)
class Correlations:
    """Spearman rank correlations of the numeric columns and the funnel flags.

    Attributes
    ----------
    matrix : DataFrame
        The correlation matrix.
    """

    matrix: pd.DataFrame

    @property
    def with_target(self) -> pd.Series:
        """Each column's correlation with the purchase."""
        return self.matrix[TARGET].drop(TARGET)

    def to_dict(self) -> dict[str, float]:
        """Correlations with the purchase rounded to 6 decimals (``correlation_with_purchase``)."""
        return self.with_target.round(6).to_dict()

    def sentence(self) -> str:
        """The cart flags' correlations with the purchase, and the strongest and weakest other column."""
        with_target = self.with_target
        flags = with_target.reindex(_CART_FLAGS)
        others = with_target.drop(_CART_FLAGS, errors="ignore")
        strongest, weakest = others.abs().idxmax(), others.abs().idxmin()
        return (
            f"With the purchase: add_to_cart ρ = {flags['add_to_cart']:.2f}, abandoned_cart ρ = "
            f"{flags['abandoned_cart']:.2f} (both are part of the funnel, not causes). Among the other columns the "
            f"strongest is {strongest} (ρ = {others[strongest]:.2f}); the weakest in absolute value is {weakest} "
            f"(ρ = {others[weakest]:.3f})."
        )


def correlations(sessions: pd.DataFrame, columns: Sequence[str] | None = None) -> Correlations:
    """Compute the Spearman correlation matrix of the given columns.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    columns : sequence of str, optional
        Numeric columns; they must include ``purchase_decision``, ``add_to_cart`` and
        ``abandoned_cart`` and at least one other (default: those of :data:`CORRELATION_COLUMNS`
        that the data has).

    Returns
    -------
    Correlations

    Examples
    --------
    >>> s = pd.DataFrame({"x": [1, 2, 3, 4], "add_to_cart": [0, 1, 1, 1], "abandoned_cart": [0, 1, 1, 0],
    ...                   "purchase_decision": [0, 0, 0, 1]})
    >>> correlations(s, ["x", "add_to_cart", "abandoned_cart", "purchase_decision"]).to_dict()["x"]
    0.774597
    """
    if columns is None:
        columns = _available(CORRELATION_COLUMNS, sessions)
    if isinstance(columns, str):
        raise ValueError("columns must be a sequence of column names, not a single string")
    columns = list(columns)
    needed = [TARGET, *_CART_FLAGS]
    if any(c not in columns for c in needed) or len(columns) <= len(needed):
        raise ValueError(f"columns must include {needed} and at least one other column, got {columns}")
    _require_frame(sessions, columns, "sessions")
    return Correlations(sessions[columns].corr(method="spearman"))


@dataclass(frozen=True)
class FunnelIdentity:
    """Sessions where ``purchase_decision == add_to_cart AND NOT abandoned_cart``.

    Attributes
    ----------
    rows, n : int
        Sessions where the identity holds, and all sessions.
    """

    rows: int
    n: int

    def sentence(self) -> str:
        """How often the purchase is fully determined by the two cart flags."""
        return (
            f"`purchase_decision == add_to_cart AND NOT abandoned_cart` holds on **{num(self.rows)} of "
            f"{num(self.n)}** sessions: the purchase is fully determined by the two cart flags, so "
            "`abandoned_cart` restates the outcome and must never be used to predict it (notebook 03 audits this)."
        )


def funnel_identity(sessions: pd.DataFrame) -> FunnelIdentity:
    """Count the sessions whose purchase equals "added to cart and did not abandon it".

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``add_to_cart``, ``abandoned_cart`` and ``purchase_decision``.

    Returns
    -------
    FunnelIdentity

    Examples
    --------
    >>> s = pd.DataFrame({"add_to_cart": [1, 1, 0], "abandoned_cart": [0, 1, 0], "purchase_decision": [1, 1, 0]})
    >>> funnel_identity(s)
    FunnelIdentity(rows=2, n=3)
    """
    _require_frame(sessions, [*_CART_FLAGS, TARGET], "sessions")
    identity = sessions[TARGET] == ((sessions["add_to_cart"] == 1) & (sessions["abandoned_cart"] == 0))
    return FunnelIdentity(int(identity.sum()), len(sessions))


# ------------------------------------------------------------------------------ time patterns
@dataclass(frozen=True)
class HourPattern:
    """Conversion by hour of day, with a Holm-corrected screen of the hours.

    Attributes
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` by hour (``level`` is the hour).
    screen : DataFrame
        :func:`ecommerce_analytics.metrics.conversion_screen` of the hours.
    """

    table: pd.DataFrame
    screen: pd.DataFrame

    @property
    def traffic_peak(self) -> int:
        """The hour with the most sessions (the first one on a tie)."""
        return int(self.table.loc[self.table.n.idxmax(), "level"])

    def sentence(self) -> str:
        """The traffic peak, the range of hourly conversion and the hours that survive the correction."""
        t = self.table
        return (
            f"Traffic peaks at {self.traffic_peak}:00 ({num(t.n.max())} sessions); hourly conversion ranges from "
            f"{pct(t.rate.min())} to {pct(t.rate.max())}; {int(self.screen.significant.sum())} of {len(self.screen)} "
            "hours differ from the rest after Holm's correction."
        )


def hour_pattern(sessions: pd.DataFrame) -> HourPattern:
    """Compute conversion by hour of day and screen the hours against each other.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions with ``purchase_date`` (datetime) and ``purchase_decision``.

    Returns
    -------
    HourPattern
    """
    _require_frame(sessions, ["purchase_date", TARGET], "sessions")
    hour = sessions["purchase_date"].dt.hour
    table = metrics.rate_table(sessions, hour.rename("hour"))
    screen = metrics.conversion_screen(sessions.assign(hour=hour), ["hour"])
    return HourPattern(table, screen)


@dataclass(frozen=True)
class WeekdayPattern:
    """Conversion by weekday, and weekend against weekday sessions.

    Attributes
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` by weekday name, Monday first.
    weekend_minus_weekday : Estimate
        Weekend conversion minus weekday conversion, with Newcombe's interval.
    """

    table: pd.DataFrame
    weekend_minus_weekday: Estimate

    def sentence(self) -> str:
        """The weekend-minus-weekday difference with its interval."""
        d = self.weekend_minus_weekday
        return f"Weekend sessions convert {pp(d.estimate)} relative to weekdays ({ci(d.ci_low, d.ci_high, pp)})."


def weekday_pattern(sessions: pd.DataFrame) -> WeekdayPattern:
    """Compute conversion by weekday and the weekend-minus-weekday difference.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions with ``purchase_date`` (datetime) and ``purchase_decision``; they must
        include both weekend (Saturday, Sunday) and weekday sessions.

    Returns
    -------
    WeekdayPattern

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.

    Examples
    --------
    >>> s = pd.DataFrame({"purchase_date": pd.to_datetime(["2025-01-04", "2025-01-05", "2025-01-06", "2025-01-07"]),
    ...                   "purchase_decision": [1, 1, 0, 1]})
    >>> p = weekday_pattern(s)
    >>> p.table.level.tolist(), p.weekend_minus_weekday.estimate
    (['Monday', 'Tuesday', 'Saturday', 'Sunday'], 0.5)
    """
    _require_frame(sessions, ["purchase_date", TARGET], "sessions")
    dates = sessions["purchase_date"]
    table = metrics.rate_table(sessions, dates.dt.day_name().rename("weekday"))
    present = set(table.level)
    table = table.set_index("level").reindex([d for d in WEEKDAYS if d in present]).reset_index()
    weekend = dates.dt.day_of_week >= 5
    if weekend.all() or not weekend.any():
        raise ValueError("sessions must include both weekend and weekday sessions to compare them")
    outcome = sessions[TARGET]
    diff = metrics.rate_difference(
        int(outcome[weekend].sum()), int(weekend.sum()), int(outcome[~weekend].sum()), int((~weekend).sum())
    )
    return WeekdayPattern(table, diff)


@dataclass(frozen=True)
class WeeklyTrend:
    """Weekly sessions and conversion (``20_weekly_trend.sql``).

    Attributes
    ----------
    table : DataFrame
        ``week_start, sessions, purchases, conversion_rate, cumulative_purchases, conversion_4wk_avg``.
    """

    table: pd.DataFrame

    @property
    def full_weeks(self) -> pd.DataFrame:
        """Weeks with at least half the median weekly sessions (partial first and last weeks drop out)."""
        return self.table[self.table.sessions >= 0.5 * self.table.sessions.median()]

    def sentence(self) -> str:
        """Weeks covered, sessions of the first and last full weeks, and the range of weekly conversion."""
        full = self.full_weeks
        return (
            f"{len(self.table)} weeks; weekly sessions go from {num(full.sessions.iloc[0])} to "
            f"{num(full.sessions.iloc[-1])} (first and last full weeks) while weekly conversion stays between "
            f"{pct(full.conversion_rate.min())} and {pct(full.conversion_rate.max())}."
        )


def weekly_trend(weekly: pd.DataFrame) -> WeeklyTrend:
    """Wrap the result of ``20_weekly_trend.sql``.

    Parameters
    ----------
    weekly : DataFrame
        ``database.run_query(db, "20_weekly_trend")``: one row per week, oldest first.

    Returns
    -------
    WeeklyTrend

    Examples
    --------
    >>> w = pd.DataFrame({"week_start": ["2025-01-06", "2025-01-13", "2025-01-20"], "sessions": [10, 100, 120],
    ...                   "conversion_rate": [0.5, 0.2, 0.25], "conversion_4wk_avg": [0.5, 0.35, 0.32]})
    >>> weekly_trend(w).sentence()
    '3 weeks; weekly sessions go from 100 to 120 (first and last full weeks) while weekly conversion stays between 20.0% and 25.0%.'
    """
    return WeeklyTrend(
        _require_frame(weekly, ["week_start", "sessions", "conversion_rate", "conversion_4wk_avg"], "weekly")
    )


# ------------------------------------------------------------------------------ answer first
def _persona_words(name: str) -> str:
    """``'window_shopper' -> 'window shoppers'``."""
    words = str(name).replace("_", " ")
    return words if words.endswith("s") else words + "s"


@dataclass(frozen=True)
class PlantedTruth:
    """What the simulator planted, and which persona each extreme segment level over-represents.

    Attributes
    ----------
    personas : DataFrame
        One row per persona: ``persona``, ``share`` (of sessions), ``conversion`` (realized),
        largest share first.
    discount_ate, discount_att : float
        True effect of a discount offer on the purchase probability, over all sessions and over
        the sessions that got one.
    experiment_lift : float
        True absolute conversion lift of the checkout experiment.
    price_elasticity : float
        True percent change of the purchase probability for a 1 % higher price.
    explained : DataFrame
        ``variable, level, rank, rate, persona, share_in_level, share_overall``: for the best and
        worst level of each explained variable, the persona most over-represented in it.
    """

    personas: pd.DataFrame
    discount_ate: float
    discount_att: float
    experiment_lift: float
    price_elasticity: float
    explained: pd.DataFrame

    def planted_sentence(self) -> str:
        """What the simulator plants, in one paragraph."""
        mix = ", ".join(
            f"{_persona_words(r.persona)} ({pct(r.share, 0)} of sessions, converting {pct(r.conversion)})"
            for r in self.personas.itertuples()
        )
        return (
            f"**What the simulator plants**: {len(self.personas)} hidden personas, {mix}, each with its own age, "
            "income, category mix, price level and purchase intent; discount offers aimed at shallow sessions, "
            f"expensive items and low-income users (an offer truly adds {pp(self.discount_ate)} of conversion over "
            f"all sessions, {pp(self.discount_att)} on the sessions that got one); a checkout experiment worth "
            f"{pp(self.experiment_lift)}; a price elasticity of {self.price_elasticity:.2f}. Differences between "
            "segments below are these settings showing through, not discoveries."
        )

    def recovered_sentence(self, discount: Estimate | None) -> str:
        """What this notebook sees of the planted settings.

        Parameters
        ----------
        discount : Estimate or None
            Conversion of discounted minus undiscounted sessions (None when not measurable).

        Returns
        -------
        str
        """
        items = [
            f"{r.level} ({r.variable.replace('_', ' ')}, converts {r.rank}: {pct(r.rate)}) draws "
            f"{pct(r.share_in_level)} of its sessions from {_persona_words(r.persona)}, against "
            f"{pct(r.share_overall)} overall"
            for r in self.explained.itertuples()
        ]
        text = "**What this notebook recovers**: " + ("; ".join(items) + "." if items else "")
        if discount is not None:
            verdict = (
                "the targeting hides the effect, as planted"
                if discount.estimate < self.discount_ate
                else "the targeting does not hide the effect here"
            )
            text += (
                f" Discounted sessions convert {pp(discount.estimate)} relative to the others while an offer truly "
                f"adds {pp(self.discount_ate)}: {verdict}."
            )
        return text + " Notebook 04 estimates the discount effect, the experiment lift and the price effect."


def planted_truth(
    sessions: pd.DataFrame, truth: Any, screen: SegmentScreen, variables: Sequence[str] = ("category", "age_group")
) -> PlantedTruth:
    """Read what the simulator planted and explain the extreme levels of some variables by persona.

    Parameters
    ----------
    sessions : DataFrame
        The simulated sessions, aligned row by row with ``truth.sessions``.
    truth : SimulationTruth
        The simulator's truth (``data.simulation.truth``).
    screen : SegmentScreen
        :func:`segment_screen` of the sessions (gives each level's conversion).
    variables : sequence of str, default ("category", "age_group")
        Screen variables whose best and worst level are explained.

    Returns
    -------
    PlantedTruth
    """
    for name in ("sessions", "discount_ate", "discount_att", "experiment", "price_elasticity"):
        if not hasattr(truth, name):
            raise ValueError(f"truth must be a SimulationTruth; it lacks {name!r}")
    if not isinstance(screen, SegmentScreen):
        raise ValueError(f"screen must be a SegmentScreen (from segment_screen), got {type(screen).__name__}")
    _require_frame(sessions, [TARGET], "sessions")
    if len(truth.sessions) != len(sessions):
        raise ValueError(
            f"sessions must align with truth.sessions ({len(truth.sessions)} rows), got {len(sessions)} rows"
        )
    persona = truth.sessions["persona"].to_numpy()
    bought = sessions[TARGET].to_numpy()
    personas = (
        pd.DataFrame({"persona": persona, "bought": bought})
        .groupby("persona")
        .agg(n=("bought", "size"), conversion=("bought", "mean"))
        .assign(share=lambda f: f.n / f.n.sum())
        .sort_values("share", ascending=False)
        .reset_index()[["persona", "share", "conversion"]]
    )
    overall_share = personas.set_index("persona").share
    rows = []
    for variable in variables:
        if variable == "age_group" and "age_group" not in sessions:
            values = age_group(sessions["age"]).to_numpy()
        elif variable in sessions:
            values = sessions[variable].astype(str).to_numpy()
        else:
            raise ValueError(f"variables must name columns of sessions (or age_group), got {variable!r}")
        levels = screen.table[screen.table.variable == variable]
        if levels.empty:
            continue
        for rank, row in (("best", levels.loc[levels.rate.idxmax()]), ("worst", levels.loc[levels.rate.idxmin()])):
            inside = pd.Series(persona[values == str(row.level)]).value_counts(normalize=True)
            lift = (inside / overall_share.reindex(inside.index)).idxmax()
            rows.append(
                [variable, str(row.level), rank, float(row.rate), lift, float(inside[lift]), float(overall_share[lift])]
            )
    explained = pd.DataFrame(
        rows, columns=["variable", "level", "rank", "rate", "persona", "share_in_level", "share_overall"]
    )
    return PlantedTruth(
        personas,
        float(truth.discount_ate),
        float(truth.discount_att),
        float(truth.experiment["absolute_lift"]),
        float(truth.price_elasticity),
        explained,
    )


def _discount_difference(sessions: pd.DataFrame) -> Estimate | None:
    """Conversion of discounted minus undiscounted sessions (None without both kinds)."""
    if "discount_applied" not in sessions:
        return None
    treated, outcome = (sessions["discount_applied"] > 0).to_numpy(), sessions[TARGET].to_numpy()
    if treated.all() or not treated.any():
        return None
    return metrics.rate_difference(
        int(outcome[treated].sum()), int(treated.sum()), int(outcome[~treated].sum()), int((~treated).sum())
    )


@dataclass(frozen=True)
class ExploreSummary:
    """Notebook 01's answer first: the source banner, the question, the answer and what to do.

    Attributes
    ----------
    overview : SourceOverview
    product : ProductMetrics
    funnel : FunnelReadout
    screen : SegmentScreen
    discount : Estimate or None
        Conversion of discounted minus undiscounted sessions.
    planted : PlantedTruth or None
        What the simulator planted (None for a file).
    """

    overview: SourceOverview
    product: ProductMetrics
    funnel: FunnelReadout
    screen: SegmentScreen
    discount: Estimate | None = None
    planted: PlantedTruth | None = None
    sample_note: str | None = None

    def banner(self) -> str:
        """The source; on the simulator what it plants and what this notebook recovers."""
        o = self.overview
        span = f"{num(o.sessions)} sessions of {num(o.users)} users, from {o.first:%Y-%m-%d} to {o.last:%Y-%m-%d}"
        if self.sample_note:
            span = f"{span} in the sample. {self.sample_note}"
        if self.planted is None:
            return (
                f"**Source: {o.label}** (a file under the data contract): {span}. Nothing is planted in a file and "
                "no truth is known: every finding below is what the data show, with its interval."
            )
        return "\n\n".join(
            [
                f"**Source: simulated data**, {o.label}: {span}.",
                self.planted.planted_sentence(),
                self.planted.recovered_sentence(self.discount),
            ]
        )

    def answer(self) -> str:
        """The question, the answer with its key numbers, and what to do."""
        m, t = self.product.estimates, self.funnel.table
        conv, aov, rps = m["conversion_rate"], m["avg_order_value"], m["revenue_per_session"]
        worst = self.funnel.worst_step
        before, after = t.stage.iloc[worst - 1], t.stage.iloc[worst]
        lost = 1 - t.share_of_previous.iloc[worst]
        hits, levels = self.screen.significant, len(self.screen.table)
        if hits.empty:
            segments = (
                f"None of the {levels} segment levels differs from the rest after Holm's correction: the raw gaps "
                "are what chance produces."
            )
            segment_action = "Do not target segments on this data: no difference survives the correction."
        else:
            led = "; ".join(
                f"{r.variable} = {r.level} ({pct(r.rate)} vs {pct(r.rest_rate)})"
                for r in hits.sort_values("p_adjusted").head(3).itertuples()
            )
            segments = (
                f"{len(hits)} of {levels} segment levels differ from the rest after Holm's correction, led by {led}."
            )
            segment_action = (
                "Read the segment gaps as who buys, not as levers: they are associations, and notebook 04 separates "
                "effects from the mix of shoppers."
            )
        follow_up = (
            "notebooks 03 (cart recovery) and 04 (checkout experiment) size what fixing it is worth"
            if self.planted is not None
            else "notebook 03 tests whether the sessions lost there can be predicted, the first step of a recovery policy"
        )
        return (
            "**Question**: how do sessions convert, where does the funnel lose them, and which segments convert "
            "differently?\n\n"
            f"**Answer**: {pct(conv.estimate)} of {num(conv.n)} sessions end in a purchase "
            f"({ci(conv.ci_low, conv.ci_high)}). The funnel loses most between *{before}* and *{after}*: "
            f"{pct(lost)} of the {num(t.sessions.iloc[worst - 1])} sessions at *{before}* go no further. "
            f"An order is worth {num(aov.estimate)} on average, a session {num(rps.estimate)}. {segments}\n\n"
            f"**What to do**: start with the step from *{before}* to *{after}*, the largest loss; {follow_up}. "
            f"{segment_action}"
        )

    def text(self) -> str:
        """The banner, then the answer."""
        return self.banner() + "\n\n" + self.answer()


def at_scale(data: Any) -> dict[str, Any]:
    """For a large source, the product metrics and funnel computed in DuckDB on all its sessions.

    Parameters
    ----------
    data : SourceData
        The run's data (``run.load()``).

    Returns
    -------
    dict
        ``{}`` for data in memory; for a large source (a Parquet folder) ``product_readout``,
        ``funnel_readout`` and ``sample_note``, the keyword arguments of :func:`summary`.
    """
    if getattr(data, "dataset", None) is None:
        return {}
    from . import scale

    with data.engine("duckdb") as engine:
        product, funnel = scale.product_readout_in_engine(engine), scale.funnel_readout_in_engine(engine)
    return {"product_readout": product, "funnel_readout": funnel, "sample_note": data.sample_sentence()}


def summary(
    sessions: pd.DataFrame,
    label: str,
    truth: Any = None,
    *,
    product_readout: ProductMetrics | None = None,
    funnel_readout: FunnelReadout | None = None,
    sample_note: str | None = None,
) -> ExploreSummary:
    """Compute the cheap steps notebook 01 opens with: overview, product metrics, funnel and segment screen.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    label : str
        The run's label (``Run.label``).
    truth : SimulationTruth, optional
        The simulator's truth (``data.simulation.truth``), None for a file.
    product_readout, funnel_readout : optional
        Computed elsewhere, e.g. in an engine on all of a large source's sessions while
        ``sessions`` is a sample (:func:`at_scale`); computed from ``sessions`` otherwise.
    sample_note : str, optional
        What ``sessions`` is when it is a sample (shown in the banner).

    Returns
    -------
    ExploreSummary
        Its ``product``, ``funnel`` and ``screen`` are the notebook's later steps' results.
    """
    screen = segment_screen(sessions)
    return ExploreSummary(
        overview(sessions, label),
        product_metrics(sessions) if product_readout is None else product_readout,
        funnel(sessions) if funnel_readout is None else funnel_readout,
        screen,
        _discount_difference(sessions),
        None if truth is None else planted_truth(sessions, truth, screen),
        sample_note,
    )


# ------------------------------------------------------------------------------ results
@dataclass
class ExploreResults(NotebookResults):
    """What notebook 01 writes to its results JSON (read by notebook 05 and the README).

    Attributes
    ----------
    data_quality : dict
        Row counts, quarantine reasons, extra and renamed columns of the load.
    metrics : dict
        Each product metric's estimate, interval, n and method.
    funnel : DataFrame
        The funnel table.
    sql_agreement : dict
        ``all_agree`` and ``max_abs_difference`` against ``01_overall_metrics.sql``.
    screen : dict
        Levels tested, significant after Holm and unadjusted, and the significant levels (a frame).
    quintile_contrasts : dict
        Top-minus-bottom quintile difference of each contrasted variable.
    correlation_with_purchase : dict
        Spearman correlation of each column with the purchase.
    weekend_minus_weekday : dict
        Weekend-minus-weekday conversion difference.
    funnel_identity_rows : int
        Sessions where the purchase equals "added to cart and not abandoned".
    """

    NOTEBOOK: ClassVar[str] = "01_exploratory_data_analysis"
    VERSION: ClassVar[int] = 1

    data_quality: dict[str, Any]
    metrics: dict[str, Any]
    funnel: pd.DataFrame
    sql_agreement: dict[str, Any]
    screen: dict[str, Any]
    quintile_contrasts: dict[str, Any]
    correlation_with_purchase: dict[str, float]
    weekend_minus_weekday: dict[str, Any]
    funnel_identity_rows: int

    @classmethod
    def from_steps(
        cls,
        *,
        quality: DataQuality,
        product: ProductMetrics,
        funnel: FunnelReadout,
        agreement: SqlAgreement,
        screen: SegmentScreen,
        contrasts: Mapping[str, QuintileContrast],
        correlations: Correlations,
        weekdays: WeekdayPattern,
        identity: FunnelIdentity,
    ) -> ExploreResults:
        """Gather the results of the notebook's steps.

        Parameters
        ----------
        quality, product, funnel, agreement, screen, contrasts, correlations, weekdays, identity
            The results of :func:`data_quality`, :func:`product_metrics`, :func:`funnel`,
            :func:`sql_agreement`, :func:`segment_screen`, :func:`quintile_contrasts`,
            :func:`correlations`, :func:`weekday_pattern` and :func:`funnel_identity`.

        Returns
        -------
        ExploreResults
        """
        expected = {
            "quality": (quality, DataQuality),
            "product": (product, ProductMetrics),
            "funnel": (funnel, FunnelReadout),
            "agreement": (agreement, SqlAgreement),
            "screen": (screen, SegmentScreen),
            "correlations": (correlations, Correlations),
            "weekdays": (weekdays, WeekdayPattern),
            "identity": (identity, FunnelIdentity),
        }
        for name, (value, kind) in expected.items():
            if not isinstance(value, kind):
                raise ValueError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
        if not isinstance(contrasts, Mapping) or not all(isinstance(c, QuintileContrast) for c in contrasts.values()):
            raise ValueError("contrasts must map column names to QuintileContrast (from quintile_contrasts)")
        return cls(
            data_quality=quality.to_dict(),
            metrics=product.to_dict(),
            funnel=funnel.table,
            sql_agreement=agreement.to_dict(),
            screen=screen.to_dict(),
            quintile_contrasts={k: c.difference.to_dict() for k, c in contrasts.items()},
            correlation_with_purchase=correlations.to_dict(),
            weekend_minus_weekday=weekdays.weekend_minus_weekday.to_dict(),
            funnel_identity_rows=identity.rows,
        )
