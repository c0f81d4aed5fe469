"""Difference of means: Welch's t-test, and the balance of a pre-period covariate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from ..stats.validation import resolve_confidence
from .results import EffectResult

__all__ = ["welch_test", "balance_check"]


def _clean(x: Sequence[float], label: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.size < 2:
        raise ValueError(f"{label}: needs at least two values")
    if np.isnan(a).any():
        raise ValueError(f"{label}: contains NaN")
    return a


def welch_test(
    control: Sequence[float],
    treatment: Sequence[float],
    *,
    confidence: float | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Welch's unequal-variance t-test and interval for the difference of means (scipy).

    Parameters
    ----------
    control, treatment : sequence of float
        One value per unit, at least two per arm, no NaN.
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` interval.

    Returns
    -------
    EffectResult
        Treatment minus control; ``extra["df"]`` is the Welch-Satterthwaite degrees of freedom.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. *Biometrika* 34, 28-35.

    Examples
    --------
    >>> r = welch_test([1.0, 2.0, 3.0], [2.0, 3.0, 4.0, 5.0])
    >>> r.estimate, round(r.p_value, 4)
    (1.5, 0.1443)
    """
    _, confidence = resolve_confidence(alpha, confidence)
    c, t = _clean(control, "control"), _clean(treatment, "treatment")
    res = stats.ttest_ind(t, c, equal_var=False)
    ci = res.confidence_interval(confidence_level=confidence)
    return EffectResult(
        float(t.mean() - c.mean()),
        float(ci.low),
        float(ci.high),
        float(res.pvalue),
        len(c),
        len(t),
        "Welch t-test",
        float(c.mean()),
        float(t.mean()),
        confidence,
        {"df": float(res.df)},
    )


def balance_check(x_control: Sequence[float], x_treatment: Sequence[float]) -> dict[str, float]:
    """Pre-period balance: standardized mean difference and Welch p-value of a covariate.

    Parameters
    ----------
    x_control, x_treatment : sequence of float
        The covariate per unit in each arm (at least two each).

    Returns
    -------
    dict
        ``mean_control, mean_treatment, smd`` (over the pooled standard deviation), ``p_value``.

    Examples
    --------
    >>> balance_check([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])["smd"]
    0.0
    """
    c, t = _clean(x_control, "control"), _clean(x_treatment, "treatment")
    pooled = np.sqrt((c.var(ddof=1) + t.var(ddof=1)) / 2)
    smd = float((t.mean() - c.mean()) / pooled) if pooled > 0 else 0.0
    return {
        "mean_control": float(c.mean()),
        "mean_treatment": float(t.mean()),
        "smd": smd,
        "p_value": float(stats.ttest_ind(t, c, equal_var=False).pvalue),
    }
