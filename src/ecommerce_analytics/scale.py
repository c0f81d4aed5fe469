"""Notebook 01's product metrics and funnel, and notebook 02's RFM groups and cohorts, computed in a SQL engine.

For a source too large for pandas (a Parquet folder of tens or hundreds of millions of sessions),
these functions run the canonical SQLite queries of ``sql/metrics/*.sql`` on any engine of
:mod:`ecommerce_analytics.engines` (transpiled for DuckDB and Spark) and pull back only aggregates:
one row of sufficient statistics, one row of funnel counts, one row per RFM group, one row per
(cohort, period). Every result equals its pandas counterpart on the same data (to floating-point
rounding; tested on SQLite and DuckDB):

=================================== ======================================================
in the engine                       pandas
=================================== ======================================================
:func:`product_metrics_in_engine`   :func:`ecommerce_analytics.metrics.product_metrics`
:func:`funnel_in_engine`            :func:`ecommerce_analytics.metrics.funnel`
:func:`rfm_in_engine`               ``segmentation.rfm_groups(transactions.rfm_scores(sessions))``
:func:`cohort_retention_in_engine`  :func:`ecommerce_analytics.transactions.cohort_retention`
=================================== ======================================================

The intervals are the package's: Wilson (:func:`~ecommerce_analytics.stats.proportion`) on the
counts, Student t on ``n``, the mean and the sum of squared deviations (computed in SQL in two
passes: the mean first, then the deviations from it), by :func:`mean_from_moments`.

Examples
--------
>>> from ecommerce_analytics.engines import connect_engine
>>> from ecommerce_analytics.metrics import product_metrics
>>> from ecommerce_analytics.simulate import simulate
>>> sessions = simulate(500, seed=1).sessions
>>> with connect_engine("duckdb", frames={"customer_sessions": sessions}) as engine:
...     metrics = product_metrics_in_engine(engine)
>>> want = product_metrics(sessions)["avg_order_value"]
>>> bool(np.isclose(metrics["avg_order_value"].ci_high, want.ci_high, rtol=1e-9))
True
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlglot
from scipy import stats
from sqlglot import exp

from . import paths
from .database import Query, get_query, run_query
from .metrics import funnel_from_counts
from .stats.intervals import Estimate, proportion
from .stats.validation import check_choice, resolve_confidence
from .transactions import PERIODS, _periods_between, retention_matrix

if TYPE_CHECKING:
    from .engines import Engine
    from .explore import FunnelReadout, ProductMetrics
    from .segmentation.cohorts import RfmReadout

__all__ = [
    "METRICS_DIR",
    "metrics_query",
    "run_metrics_query",
    "mean_from_moments",
    "product_metrics_in_engine",
    "product_readout_in_engine",
    "funnel_in_engine",
    "funnel_readout_in_engine",
    "rfm_in_engine",
    "rfm_readout_in_engine",
    "cohort_retention_in_engine",
]

#: The queries behind this module, one per question (canonical SQLite dialect).
METRICS_DIR = paths.SQL_DIR / "metrics"

_QUERIES = {
    "product_metrics": "01_product_metrics",
    "funnel": "02_funnel",
    "rfm_groups": "03_rfm_groups",
    "cohort_week": "04_cohort_activity_weekly",
    "cohort_month": "05_cohort_activity_monthly",
    "rfm_frequencies": "06_rfm_frequencies",
}

#: SQLite's ``unixepoch(x)`` (integer seconds) in the other engines' dialects.
_EPOCH_SQL = {
    "duckdb": "EPOCH(CAST({x} AS TIMESTAMP))",
    "spark": "UNIX_SECONDS(CAST({x} AS TIMESTAMP))",
}


def _check_engine(engine: Any) -> Engine:
    from .engines import Engine

    if not isinstance(engine, Engine):
        raise ValueError(f"engine must be an open engine from connect_engine, got {type(engine).__name__}")
    return engine


def metrics_query(name: str) -> Query:
    """One query of ``sql/metrics`` by file stem, number or title (as :func:`~ecommerce_analytics.database.get_query`).

    Parameters
    ----------
    name : str
        E.g. ``"01_product_metrics"``, ``"1"`` or ``"product_metrics"``.

    Returns
    -------
    Query
        The query (its ``question`` is the file's ``-- Question:`` header).

    Examples
    --------
    >>> metrics_query("funnel").question[:40]
    'How many sessions reach each stage of th'
    """
    return get_query(name, directory=METRICS_DIR)


def _epoch_to(node: exp.Expression, dialect: str) -> exp.Expression:
    """``UNIXEPOCH(x)`` (left as an unknown function by SQLGlot) as ``dialect``'s epoch seconds."""
    if isinstance(node, exp.Anonymous) and node.name.upper() == "UNIXEPOCH" and len(node.expressions) == 1:
        arg = node.expressions[0].sql(dialect=dialect)
        return sqlglot.parse_one(_EPOCH_SQL[dialect].format(x=arg), read=dialect)
    return node


def run_metrics_query(engine: Engine, name: str) -> pd.DataFrame:
    """Run one query of ``sql/metrics`` on ``engine`` (SQLite's ``unixepoch`` mapped for DuckDB and Spark).

    Parameters
    ----------
    engine : Engine
        An open engine.
    name : str
        The query, as :func:`metrics_query` finds it.

    Returns
    -------
    DataFrame
        Its result (integers as int64, reals as float64).

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.simulate import simulate
    >>> with connect_engine("sqlite", frames={"customer_sessions": simulate(300, seed=2).sessions}) as engine:
    ...     run_metrics_query(engine, "funnel").sessions.item()
    300
    """
    engine = _check_engine(engine)
    query = metrics_query(name)
    if engine.dialect not in _EPOCH_SQL:
        return run_query(engine, query)
    from .engines import transpile

    text = transpile(query.sql, engine.dialect)
    tree = sqlglot.parse_one(text, read=engine.dialect).transform(_epoch_to, engine.dialect)
    return engine.run(tree.sql(dialect=engine.dialect), dialect=None)


# ------------------------------------------------------------------------------ product metrics
def mean_from_moments(
    n: int, mean: float, ssd: float, confidence: float | None = None, *, alpha: float = 0.05
) -> Estimate:
    """A mean with its Student-t interval from its sufficient statistics, as :func:`.stats.mean` from the values.

    Parameters
    ----------
    n : int
        Number of values (at least two).
    mean : float
        Their mean.
    ssd : float
        Sum of squared deviations from the mean (``(n - 1) * variance``), at least 0.
    confidence : float, optional
        Confidence level (kept for symmetry with :func:`.stats.mean`; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` interval.

    Returns
    -------
    Estimate
        ``mean +- t_{1 - alpha/2, n - 1} sqrt(ssd / (n - 1)) / sqrt(n)``, method ``"Student t"``.

    Examples
    --------
    >>> e = mean_from_moments(4, 2.5, 5.0)  # the values 1, 2, 3, 4
    >>> e.estimate, round(e.ci_low, 3), round(e.ci_high, 3)
    (2.5, 0.446, 4.554)
    """
    _, confidence = resolve_confidence(alpha, confidence)
    n = int(n)
    if n < 2:
        raise ValueError(f"a mean with an interval needs at least two values, got {n}")
    mean, ssd = float(mean), float(ssd)
    if not (math.isfinite(mean) and math.isfinite(ssd)) or ssd < 0:
        raise ValueError(f"mean and ssd must be finite with ssd >= 0, got mean={mean!r}, ssd={ssd!r}")
    se = math.sqrt(ssd / (n - 1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * se)
    return Estimate(mean, mean - half, mean + half, n, "Student t", confidence)


def product_metrics_in_engine(engine: Engine, *, alpha: float = 0.05) -> dict[str, Estimate]:
    """The headline product metrics with their intervals, computed in ``engine`` (``01_product_metrics.sql``).

    Equal to :func:`ecommerce_analytics.metrics.product_metrics` on the same sessions (same keys in
    the same order, same estimates and intervals up to floating-point rounding).

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions``.
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` intervals.

    Returns
    -------
    dict of str to Estimate
        Rates with Wilson intervals, means with Student-t intervals.

    Raises
    ------
    ValueError
        No sessions, no cart, or fewer than two purchases (as the pandas version).

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.simulate import simulate
    >>> with connect_engine("sqlite", frames={"customer_sessions": simulate(400, seed=3).sessions}) as engine:
    ...     list(product_metrics_in_engine(engine))[:3]
    ['conversion_rate', 'cart_rate', 'cart_abandonment_rate']
    """
    _, confidence = resolve_confidence(alpha, None)
    result = run_metrics_query(engine, "product_metrics")
    if result.empty or int(result.sessions.iloc[0]) == 0:
        raise ValueError("product metrics need at least one session, got an empty customer_sessions table")
    r = result.iloc[0]
    n, purchases, carts = int(r.sessions), int(r.purchases), int(r.carts)
    return {
        "conversion_rate": proportion(purchases, n, confidence),
        "cart_rate": proportion(carts, n, confidence),
        "cart_abandonment_rate": proportion(int(r.abandoned_carts), carts, confidence),
        "bounce_rate": proportion(int(r.bounces), n, confidence),
        "avg_order_value": mean_from_moments(
            purchases, _real(r.order_value_mean), _real(r.order_value_ssd), confidence
        ),
        "revenue_per_session": mean_from_moments(n, r.revenue_mean, r.revenue_ssd, confidence),
        "avg_session_seconds": mean_from_moments(n, r.seconds_mean, r.seconds_ssd, confidence),
        "pages_per_session": mean_from_moments(n, r.pages_mean, r.pages_ssd, confidence),
    }


def _real(value: Any) -> float:
    """A SQL real that may be NULL (no purchase): NaN then."""
    return float("nan") if value is None or pd.isna(value) else float(value)


def product_readout_in_engine(engine: Engine, *, alpha: float = 0.05) -> ProductMetrics:
    """:func:`product_metrics_in_engine` wrapped as notebook 01's :class:`~ecommerce_analytics.explore.ProductMetrics`.

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions``.
    alpha : float, default 0.05
        Significance level of the intervals.

    Returns
    -------
    ProductMetrics
        What :func:`ecommerce_analytics.explore.product_metrics` returns for the same sessions.
    """
    from .explore import ProductMetrics

    return ProductMetrics(product_metrics_in_engine(engine, alpha=alpha))


# ------------------------------------------------------------------------------ funnel
def funnel_in_engine(engine: Engine, *, alpha: float = 0.05) -> pd.DataFrame:
    """Sessions reaching each funnel stage, counted in ``engine`` (``02_funnel.sql``).

    Equal to :func:`ecommerce_analytics.metrics.funnel` on the same sessions.

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions`` (at least one session).
    alpha : float, default 0.05
        Significance level of the Wilson intervals of ``share_of_sessions``.

    Returns
    -------
    DataFrame
        ``stage, sessions, share_of_sessions, ci_low, ci_high, share_of_previous``.

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.simulate import simulate
    >>> with connect_engine("sqlite", frames={"customer_sessions": simulate(400, seed=3).sessions}) as engine:
    ...     funnel_in_engine(engine).stage.tolist()
    ['Sessions', 'Browsed 2+ pages', 'Added to cart', 'Purchased']
    """
    _, confidence = resolve_confidence(alpha, None)
    result = run_metrics_query(engine, "funnel")
    n = int(result.sessions.iloc[0])
    if n == 0:
        raise ValueError("a funnel needs at least one session, got an empty customer_sessions table")
    r = result.iloc[0]
    counts = {
        "Sessions": n,
        "Browsed 2+ pages": int(r.browsed),
        "Added to cart": int(r.carted),
        "Purchased": int(r.purchased),
    }
    return funnel_from_counts(counts, confidence)


def funnel_readout_in_engine(engine: Engine, *, alpha: float = 0.05) -> FunnelReadout:
    """:func:`funnel_in_engine` wrapped as notebook 01's :class:`~ecommerce_analytics.explore.FunnelReadout`.

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions``.
    alpha : float, default 0.05
        Significance level of the intervals.

    Returns
    -------
    FunnelReadout
        What :func:`ecommerce_analytics.explore.funnel` returns for the same sessions.
    """
    from .explore import FunnelReadout

    return FunnelReadout(funnel_in_engine(engine, alpha=alpha))


# ------------------------------------------------------------------------------ RFM
def rfm_in_engine(engine: Engine) -> pd.DataFrame:
    """The RFM groups of the sessions' customers, scored in ``engine`` (``03_rfm_groups.sql``).

    The per-customer recency, frequency, monetary value and their tie-aware scores stay in the
    engine (CTEs and ``RANK()`` windows); only one row per group comes back. Equal to
    ``segmentation.rfm_groups(transactions.rfm_scores(sessions))``, which notebook 02 shows
    (:func:`~ecommerce_analytics.segmentation.rfm_readout`): the scores are exact integers on every
    engine (ties score equally), the means agree to floating-point rounding.

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions``.

    Returns
    -------
    DataFrame
        Indexed by ``rfm_segment``, largest group first: ``customers``, ``avg_recency_days``,
        ``avg_sessions``, ``avg_revenue``, ``buyers`` (share who bought), ``share``.

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.simulate import simulate
    >>> with connect_engine("sqlite", frames={"customer_sessions": simulate(400, seed=3).sessions}) as engine:
    ...     groups = rfm_in_engine(engine)
    >>> list(groups.columns), float(groups.share.sum())
    (['customers', 'avg_recency_days', 'avg_sessions', 'avg_revenue', 'buyers', 'share'], 1.0)
    """
    result = run_metrics_query(engine, "rfm_groups")
    groups = result.set_index("rfm_segment")[["customers", "avg_recency_days", "avg_sessions", "avg_revenue", "buyers"]]
    groups = groups.astype({"customers": "int64"} | dict.fromkeys(groups.columns[1:], "float64"))
    groups["share"] = groups.customers / groups.customers.sum()
    # The same (unstable) sort as rfm_groups, on the same alphabetical order: equal sizes order alike.
    return groups.sort_values("customers", ascending=False)


# ------------------------------------------------------------------------------ cohorts
def cohort_retention_in_engine(engine: Engine, *, period: str = "week") -> pd.DataFrame:
    """Acquisition cohorts and their retention, counted in ``engine`` (``04``/``05_cohort_activity_*.sql``).

    The engine returns the active customers per (cohort, period); the ages, shares and the cells
    after the data end (NaN) are derived here. Equal to
    ``transactions.cohort_retention(sessions, period=period)`` with the session schema's columns
    (``user_id``, ``purchase_date``).

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions``.
    period : {"week", "month"}, default "week"
        Weeks start on Monday; months on the first day.

    Returns
    -------
    DataFrame
        Indexed by cohort label (``YYYY-MM-DD`` for weeks, ``YYYY-MM`` for months): ``users`` (cohort
        size), then the share of the cohort active 0, 1, ... periods after its first.

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.simulate import simulate
    >>> with connect_engine("sqlite", frames={"customer_sessions": simulate(400, seed=3).sessions}) as engine:
    ...     matrix = cohort_retention_in_engine(engine, period="month")
    >>> matrix.columns[:2].tolist(), bool((matrix[0] == 1.0).all())
    (['users', 0], True)
    """
    check_choice(period, "period", PERIODS)
    _check_engine(engine)
    counts = run_metrics_query(engine, _QUERIES[f"cohort_{period}"])
    if counts.empty:
        raise ValueError("cohort retention needs at least one session, got an empty customer_sessions table")
    parse = (
        (lambda s: pd.to_datetime(s, format="%Y-%m-%d"))
        if period == "week"
        else (lambda s: pd.to_datetime(s, format="%Y-%m"))
    )
    cohort, start = parse(counts.cohort.astype(str)), parse(counts.period.astype(str))
    age = _periods_between(cohort, start, period)
    table = pd.DataFrame({"cohort": cohort, "age": age, "users": counts.users.astype("int64")})
    matrix_counts = table.groupby(["cohort", "age"])["users"].sum().unstack(fill_value=0)
    return retention_matrix(matrix_counts, start.max(), period)


def rfm_readout_in_engine(engine: Engine) -> RfmReadout:
    """Notebook 02's RFM readout computed in ``engine``: the groups and the four summaries its sentences need.

    The groups come from :func:`rfm_in_engine`; ``06_rfm_frequencies.sql`` returns the number of
    customers per number of sessions (and how many of them bought nothing), from which the F score
    of each number of sessions and the lowest M of a buyer follow by the tie-aware rule of
    :func:`~ecommerce_analytics.transactions.tie_aware_score` (``1 + floor(5 * below / n)``).

    Parameters
    ----------
    engine : Engine
        An open engine holding ``customer_sessions``.

    Returns
    -------
    RfmReadout
        With ``rfm=None``: the per-customer rows stay in the engine.

    Examples
    --------
    >>> from ecommerce_analytics.engines import connect_engine
    >>> from ecommerce_analytics.segmentation import rfm_readout
    >>> from ecommerce_analytics.simulate import simulate
    >>> sessions = simulate(600, seed=3).sessions
    >>> with connect_engine("sqlite", frames={"customer_sessions": sessions}) as engine:
    ...     in_engine = rfm_readout_in_engine(engine)
    >>> in_engine.sentence() == rfm_readout(sessions).sentence()
    True
    """
    from .segmentation.cohorts import RfmReadout

    groups = rfm_in_engine(engine)
    hist = run_metrics_query(engine, "rfm_frequencies")
    n = int(hist.customers.sum())
    non_buyers = int(hist.non_buyers.sum())
    below = hist.customers.cumsum().shift(fill_value=0).to_numpy()
    if len(hist) == 1:
        f_scores = np.full(1, 3)
    else:
        f_scores = np.clip(1 + np.floor(5 * below / n), 1, 5).astype(int)
    levels = int(hist.monetary_levels.iloc[0])
    if non_buyers == n:
        min_buyer_m = None
    elif levels == 1:
        min_buyer_m = 3
    else:  # the smallest positive revenue has every non-buyer (revenue 0) below it
        min_buyer_m = int(min(5, 1 + math.floor(5 * non_buyers / n)))
    return RfmReadout(
        rfm=None,
        groups=groups,
        frequency_scores=pd.Series(f_scores, index=hist.frequency.astype("int64").to_numpy()),
        never_bought=non_buyers / n,
        mean_monetary=float((groups.avg_revenue * groups.customers).sum() / n),
        min_buyer_m=min_buyer_m,
    )
