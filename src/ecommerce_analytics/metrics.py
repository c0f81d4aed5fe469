"""Product metrics with confidence intervals, and conversion screens with multiple-testing control.

Every function takes a validated sessions frame (see :mod:`.schema`) and returns a result
object or a tidy frame. Intervals: Wilson for rates, Student t for means, Newcombe for a
difference of rates; the primitives live in :mod:`.stats` (:func:`.stats.proportion`,
:func:`.stats.mean`, :func:`.stats.rate_difference`, :class:`.stats.Estimate`) and are
re-exported here. The definitions match ``sql/queries/01_overall_metrics.sql``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from .schema import TARGET
from .stats.intervals import Estimate, mean, proportion, rate_difference
from .stats.validation import check_alpha, check_choice, check_min_count, check_positive, resolve_confidence

__all__ = [
    "Estimate",
    "proportion",
    "mean",
    "funnel_from_counts",
    "net_revenue",
    "product_metrics",
    "METRIC_DEFINITIONS",
    "funnel",
    "rate_table",
    "bin_numeric",
    "conversion_screen",
    "compare_to_sql",
    "rate_difference",
]


def net_revenue(sessions: pd.DataFrame) -> pd.Series:
    """Revenue of each session: ``price * (1 - discount/100)`` for purchases, 0 otherwise.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``price``, ``discount_applied`` and the purchase target.

    Returns
    -------
    Series
        Net revenue per session, aligned with ``sessions``.

    Examples
    --------
    >>> s = pd.DataFrame({"price": [100.0, 50.0], "discount_applied": [10, 0], "purchase_decision": [1, 0]})
    >>> net_revenue(s).tolist()
    [90.0, 0.0]
    """
    net = sessions["price"] * (1 - sessions["discount_applied"] / 100.0)
    return net.where(sessions[TARGET] == 1, 0.0)


METRIC_DEFINITIONS: dict[str, str] = {
    "conversion_rate": "purchases / sessions",
    "cart_abandonment_rate": "abandoned carts / sessions with add_to_cart = 1",
    "avg_order_value": "mean of price x (1 - discount/100) over purchases",
    "revenue_per_session": "total net revenue / sessions",
    "avg_session_seconds": "mean of time_spent over sessions",
    "pages_per_session": "mean of pages_visited over sessions",
    "bounce_rate": "sessions with pages_visited = 1 / sessions",
    "cart_rate": "sessions with add_to_cart = 1 / sessions",
}


def product_metrics(
    sessions: pd.DataFrame, confidence: float | None = None, *, alpha: float = 0.05
) -> dict[str, Estimate]:
    """The headline product metrics of :data:`METRIC_DEFINITIONS`, each with its interval.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions (see :mod:`.schema`).
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` intervals.

    Returns
    -------
    dict of str to Estimate
        Rates with Wilson intervals, means with Student-t intervals.
    """
    _, confidence = resolve_confidence(alpha, confidence)
    n = len(sessions)
    carts = int(sessions["add_to_cart"].sum())
    purchases = sessions[TARGET] == 1
    revenue = net_revenue(sessions)
    out = {
        "conversion_rate": proportion(int(purchases.sum()), n, confidence),
        "cart_rate": proportion(carts, n, confidence),
        "cart_abandonment_rate": proportion(int(sessions["abandoned_cart"].sum()), carts, confidence),
        "bounce_rate": proportion(int((sessions["pages_visited"] == 1).sum()), n, confidence),
        "avg_order_value": mean(revenue[purchases], confidence),
        "revenue_per_session": mean(revenue, confidence),
        "avg_session_seconds": mean(sessions["time_spent"], confidence),
        "pages_per_session": mean(sessions["pages_visited"], confidence),
    }
    return out


def funnel(sessions: pd.DataFrame, confidence: float | None = None, *, alpha: float = 0.05) -> pd.DataFrame:
    """Sessions reaching each stage: all, browsed 2+ pages, added to cart, purchased.

    Each stage is counted on its own condition, as in ``08_engagement_funnel.sql``.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions (at least one).
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the Wilson intervals of ``share_of_sessions``.

    Returns
    -------
    DataFrame
        ``stage, sessions, share_of_sessions, ci_low, ci_high, share_of_previous``.
    """
    counts = {
        "Sessions": len(sessions),
        "Browsed 2+ pages": int((sessions["pages_visited"] >= 2).sum()),
        "Added to cart": int(sessions["add_to_cart"].sum()),
        "Purchased": int(sessions[TARGET].sum()),
    }
    return funnel_from_counts(counts, confidence, alpha=alpha)


def funnel_from_counts(
    counts: Mapping[str, int], confidence: float | None = None, *, alpha: float = 0.05
) -> pd.DataFrame:
    """The funnel table of stage counts (the first stage is every session), with intervals.

    Parameters
    ----------
    counts : mapping of str to int
        Sessions reaching each stage, in funnel order.
    confidence : float, optional
        Deprecated spelling of ``1 - alpha``.
    alpha : float, default 0.05
        One minus the intervals' coverage.

    Returns
    -------
    DataFrame
        As :func:`funnel` (``stage, sessions, share_of_sessions, ci_low, ci_high, share_of_previous``).

    Examples
    --------
    >>> funnel_from_counts({"Sessions": 10, "Purchased": 2}).share_of_previous.tolist()[1]
    0.2
    """
    _, confidence = resolve_confidence(alpha, confidence)
    n = next(iter(counts.values()))
    rows = []
    previous = None
    for stage, count in counts.items():
        est = proportion(count, n, confidence)
        rows.append(
            {
                "stage": stage,
                "sessions": count,
                "share_of_sessions": est.estimate,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "share_of_previous": count / previous if previous else np.nan,
            }
        )
        previous = count
    return pd.DataFrame(rows)


def bin_numeric(values: pd.Series, q: int = 5) -> pd.Series:
    """Quantile bins labelled by their value range (ties may merge bins), as ordered strings.

    Parameters
    ----------
    values : Series
        Numeric values.
    q : int, default 5
        Number of quantile bins (at least 1).

    Returns
    -------
    Series
        Labels ``"Q1: lo to hi"``..., aligned with ``values``.

    Examples
    --------
    >>> bin_numeric(pd.Series([1, 2, 3, 4]), 2).tolist()
    ['Q1: 1 to 2.5', 'Q1: 1 to 2.5', 'Q2: 2.5 to 4', 'Q2: 2.5 to 4']
    """
    q = check_min_count(q, "q")
    x = values.astype(float)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, q + 1)))
    if len(edges) < 2:
        return pd.Series(np.full(len(x), f"{edges[0]:g}"), index=values.index, dtype="str")
    codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    labels = [f"Q{i + 1}: {edges[i]:.4g} to {edges[i + 1]:.4g}" for i in range(len(edges) - 1)]
    return pd.Series(np.asarray(labels, dtype=object)[codes], index=values.index, dtype="str")


def rate_table(
    sessions: pd.DataFrame,
    by: str | pd.Series,
    outcome: str = TARGET,
    confidence: float | None = None,
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rate of ``outcome`` per level of ``by`` with Wilson intervals, sorted by level.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with the 0/1 ``outcome`` column.
    by : str or Series
        Column name, or a Series aligned with ``sessions``, giving the levels.
    outcome : str
        The 0/1 column whose rate is computed.
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the intervals.

    Returns
    -------
    DataFrame
        ``level, n, successes, rate, ci_low, ci_high``.

    Examples
    --------
    >>> s = pd.DataFrame({"g": ["a", "a", "b", "b"], "purchase_decision": [1, 0, 1, 1]})
    >>> rate_table(s, "g")[["level", "n", "rate"]].values.tolist()
    [['a', 2, 0.5], ['b', 2, 1.0]]
    """
    _, confidence = resolve_confidence(alpha, confidence)
    key = sessions[by] if isinstance(by, str) else by
    grouped = sessions[outcome].groupby(key, observed=True)
    frame = pd.DataFrame({"n": grouped.size(), "successes": grouped.sum()}).reset_index()
    frame.columns = ["level", "n", "successes"]
    ests = [proportion(s, n, confidence) for s, n in zip(frame.successes, frame.n, strict=True)]
    frame["rate"] = [e.estimate for e in ests]
    frame["ci_low"] = [e.ci_low for e in ests]
    frame["ci_high"] = [e.ci_high for e in ests]
    return frame


SCREEN_METHODS = (
    "holm",
    "fdr_bh",
    "bonferroni",
    "sidak",
    "holm-sidak",
    "simes-hochberg",
    "hommel",
    "fdr_by",
    "fdr_tsbh",
    "fdr_tsbky",
)


def _screen_levels(sessions: pd.DataFrame, categorical, numeric, outcome: str, bins: int) -> pd.DataFrame:
    """Rate table of every level of every variable (numeric ones cut into quantile bins)."""
    frames = []
    variables = [(c, sessions[c]) for c in categorical] + [(c, bin_numeric(sessions[c], bins)) for c in numeric]
    for name, key in variables:
        t = rate_table(sessions, key, outcome)
        t.insert(0, "variable", name)
        t["level"] = t["level"].astype(str)
        frames.append(t)
    return pd.concat(frames, ignore_index=True)


def _level_vs_rest_pvalues(screen: pd.DataFrame, rest_s: pd.Series, rest_n: pd.Series) -> list[float]:
    """Two-sided pooled z-test p-value of each level against the rest of the sessions."""
    pvals = []
    for s, n, rs, rn in zip(screen.successes, screen.n, rest_s, rest_n, strict=True):
        if rn == 0 or (s + rs) in (0, n + rn):
            pvals.append(1.0)  # no contrast to test: a single level, or no variation at all
        else:
            pvals.append(float(proportions_ztest([s, rs], [n, rn])[1]))
    return pvals


def conversion_screen(
    sessions: pd.DataFrame,
    categorical: Sequence[str],
    numeric: Sequence[str] = (),
    *,
    outcome: str = TARGET,
    bins: int = 5,
    alpha: float = 0.05,
    method: str = "holm",
) -> pd.DataFrame:
    """Each level of each variable against the rest of the sessions, corrected as one family.

    For every level: its rate with a Wilson CI, and a two-sided two-proportion z-test of the
    level against all other sessions. P-values are adjusted over the whole family (all levels
    of all variables) with ``method``. ``significant`` means the adjusted p-value is below
    ``alpha``. Numeric variables are cut into ``bins`` quantile bins.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with the 0/1 ``outcome`` column.
    categorical, numeric : sequence of str
        Variables screened by level, and numeric variables screened by quantile bin.
    outcome : str
        The 0/1 outcome column.
    bins : int, default 5
        Quantile bins per numeric variable.
    alpha : float, default 0.05
        Family-wise (or false-discovery) level of ``significant``.
    method : str, default "holm"
        Any method of :func:`statsmodels.stats.multitest.multipletests` (see :data:`SCREEN_METHODS`).

    Returns
    -------
    DataFrame
        ``variable, level, n, successes, rate, ci_low, ci_high, rest_rate, difference,
        p_value, p_adjusted, significant``.

    References
    ----------
    Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scand. J. Statist.*
    6, 65-70.
    """
    check_alpha(alpha)
    check_choice(method, "method", SCREEN_METHODS)
    bins = check_min_count(bins, "bins")
    total_n, total_s = len(sessions), int(sessions[outcome].sum())
    screen = _screen_levels(sessions, categorical, numeric, outcome, bins)
    rest_n = total_n - screen.n
    rest_s = total_s - screen.successes
    screen["rest_rate"] = np.where(rest_n > 0, rest_s / rest_n.where(rest_n > 0, 1), np.nan)
    screen["difference"] = screen.rate - screen.rest_rate
    screen["p_value"] = _level_vs_rest_pvalues(screen, rest_s, rest_n)
    reject, adjusted, _, _ = multipletests(screen.p_value, alpha=alpha, method=method)
    screen["p_adjusted"] = adjusted
    screen["significant"] = reject
    return screen


def compare_to_sql(metrics: dict[str, Estimate], overall: pd.DataFrame, tolerance: float = 1e-9) -> pd.DataFrame:
    """Side by side: the package's metrics and ``01_overall_metrics.sql``'s, with agreement.

    Parameters
    ----------
    metrics : dict of str to Estimate
        The result of :func:`product_metrics`.
    overall : DataFrame
        The one-row result of ``01_overall_metrics.sql``.
    tolerance : float, default 1e-9
        Relative tolerance (absolute below 1) of ``agree``; at least 0.

    Returns
    -------
    DataFrame
        ``metric, package, sql, abs_difference, agree``.
    """
    check_positive(tolerance, "tolerance", allow_zero=True)
    row = overall.iloc[0]
    pairs = {
        "conversion_rate": row.conversion_rate,
        "cart_abandonment_rate": row.cart_abandonment_rate,
        "avg_order_value": row.avg_order_value,
        "avg_session_seconds": row.avg_session_seconds,
        "pages_per_session": row.avg_pages,
        "bounce_rate": row.bounce_rate,
        "revenue_per_session": row.revenue / row.sessions,
    }
    rows = []
    for name, sql_value in pairs.items():
        ours = metrics[name].estimate
        rows.append(
            {"metric": name, "package": ours, "sql": float(sql_value), "abs_difference": abs(ours - float(sql_value))}
        )
    frame = pd.DataFrame(rows)
    frame["agree"] = frame.abs_difference <= tolerance * np.maximum(1.0, frame.package.abs())
    return frame
