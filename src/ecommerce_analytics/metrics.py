"""Product metrics with confidence intervals, and conversion screens with multiple-testing control.

Every function takes a validated sessions frame (see :mod:`.schema`) and returns a result
object or a tidy frame. Intervals: Wilson for rates (:func:`statsmodels.stats.proportion.proportion_confint`),
Student t for means. The definitions match ``sql/queries/01_overall_metrics.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from .schema import TARGET

__all__ = [
    "Estimate",
    "proportion",
    "mean",
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


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
    n : int
        Units the estimate is computed on (sessions, carts or orders).
    method : str
        How the interval was computed.
    """

    estimate: float
    ci_low: float
    ci_high: float
    n: int
    method: str
    confidence: float = 0.95

    def to_dict(self) -> dict:
        return asdict(self)


def proportion(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """A rate with its Wilson score interval.

    Raises
    ------
    ValueError
        If ``n < 1`` or ``successes`` is outside ``[0, n]``.
    """
    successes, n = int(successes), int(n)
    if n < 1:
        raise ValueError(f"a rate needs at least one trial, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n], got {successes} of {n}")
    lo, hi = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    p = successes / n
    # Rounding can leave the bound a hair on the wrong side of p at 0 or n successes.
    return Estimate(p, float(min(max(lo, 0.0), p)), float(max(min(hi, 1.0), p)), n, "Wilson score", confidence)


def rate_difference(successes_a: int, n_a: int, successes_b: int, n_b: int, confidence: float = 0.95) -> Estimate:
    """Difference of two independent rates (a - b) with Newcombe's hybrid score interval."""
    for s, n in ((successes_a, n_a), (successes_b, n_b)):
        if n < 1 or not 0 <= s <= n:
            raise ValueError(f"invalid counts: {s} successes of {n}")
    lo, hi = confint_proportions_2indep(
        successes_a, n_a, successes_b, n_b, method="newcomb", compare="diff", alpha=1 - confidence
    )
    return Estimate(
        successes_a / n_a - successes_b / n_b, float(lo), float(hi), int(n_a + n_b), "Newcombe hybrid score", confidence
    )


def mean(values: Sequence[float] | pd.Series, confidence: float = 0.95) -> Estimate:
    """A mean with its Student-t interval (NaNs are not allowed: filter first)."""
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError(f"a mean with an interval needs at least two values, got {x.size}")
    if np.isnan(x).any():
        raise ValueError("values contain NaN")
    m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * se)
    return Estimate(m, m - half, m + half, int(x.size), "Student t", confidence)


def net_revenue(sessions: pd.DataFrame) -> pd.Series:
    """Revenue of each session: ``price * (1 - discount/100)`` for purchases, 0 otherwise."""
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


def product_metrics(sessions: pd.DataFrame, confidence: float = 0.95) -> dict[str, Estimate]:
    """The headline product metrics of :data:`METRIC_DEFINITIONS`, each with a 95% CI."""
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


def funnel(sessions: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Sessions reaching each stage: all, browsed 2+ pages, added to cart, purchased.

    Each stage is counted on its own condition, as in ``08_engagement_funnel.sql``;
    ``share_of_sessions`` has a Wilson interval.
    """
    n = len(sessions)
    counts = {
        "Sessions": n,
        "Browsed 2+ pages": int((sessions["pages_visited"] >= 2).sum()),
        "Added to cart": int(sessions["add_to_cart"].sum()),
        "Purchased": int(sessions[TARGET].sum()),
    }
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
    """Quantile bins labelled by their value range (ties may merge bins), as ordered strings."""
    x = values.astype(float)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, q + 1)))
    if len(edges) < 2:
        return pd.Series(np.full(len(x), f"{edges[0]:g}"), index=values.index, dtype="str")
    codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    labels = [f"Q{i + 1}: {edges[i]:.4g} to {edges[i + 1]:.4g}" for i in range(len(edges) - 1)]
    return pd.Series(np.asarray(labels, dtype=object)[codes], index=values.index, dtype="str")


def rate_table(
    sessions: pd.DataFrame, by: str | pd.Series, outcome: str = TARGET, confidence: float = 0.95
) -> pd.DataFrame:
    """Rate of ``outcome`` per level of ``by`` with Wilson intervals, sorted by level."""
    key = sessions[by] if isinstance(by, str) else by
    grouped = sessions[outcome].groupby(key, observed=True)
    frame = pd.DataFrame({"n": grouped.size(), "successes": grouped.sum()}).reset_index()
    frame.columns = ["level", "n", "successes"]
    ests = [proportion(s, n, confidence) for s, n in zip(frame.successes, frame.n, strict=True)]
    frame["rate"] = [e.estimate for e in ests]
    frame["ci_low"] = [e.ci_low for e in ests]
    frame["ci_high"] = [e.ci_high for e in ests]
    return frame


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
    of all variables) with ``method`` (Holm by default; any of
    :func:`statsmodels.stats.multitest.multipletests`). ``significant`` means the adjusted
    p-value is below ``alpha``. Numeric variables are cut into ``bins`` quantile bins.

    Returns
    -------
    DataFrame
        ``variable, level, n, successes, rate, ci_low, ci_high, rest_rate, difference,
        p_value, p_adjusted, significant``.
    """
    total_n, total_s = len(sessions), int(sessions[outcome].sum())
    frames = []
    variables = [(c, sessions[c]) for c in categorical] + [(c, bin_numeric(sessions[c], bins)) for c in numeric]
    for name, key in variables:
        t = rate_table(sessions, key, outcome)
        t.insert(0, "variable", name)
        t["level"] = t["level"].astype(str)
        frames.append(t)
    screen = pd.concat(frames, ignore_index=True)
    rest_n = total_n - screen.n
    rest_s = total_s - screen.successes
    screen["rest_rate"] = np.where(rest_n > 0, rest_s / rest_n.where(rest_n > 0, 1), np.nan)
    screen["difference"] = screen.rate - screen.rest_rate
    pvals = []
    for s, n, rs, rn in zip(screen.successes, screen.n, rest_s, rest_n, strict=True):
        if rn == 0 or (s + rs) in (0, n + rn):
            pvals.append(1.0)  # no contrast to test: a single level, or no variation at all
        else:
            pvals.append(float(proportions_ztest([s, rs], [n, rn])[1]))
    screen["p_value"] = pvals
    reject, adjusted, _, _ = multipletests(screen.p_value, alpha=alpha, method=method)
    screen["p_adjusted"] = adjusted
    screen["significant"] = reject
    return screen


def compare_to_sql(metrics: dict[str, Estimate], overall: pd.DataFrame, tolerance: float = 1e-9) -> pd.DataFrame:
    """Side by side: the package's metrics and ``01_overall_metrics.sql``'s, with agreement."""
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
