"""Ratio metrics (a unit of analysis finer than the randomization unit) by the delta method."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from ..stats.intervals import z_critical
from ..stats.validation import resolve_confidence
from .results import EffectResult

__all__ = ["ratio_metric"]


def _ratio_and_var(num: np.ndarray, den: np.ndarray) -> tuple[float, float]:
    """Ratio of sums and its delta-method variance, units = rows (e.g. users)."""
    n = len(num)
    mx, my = num.mean(), den.mean()
    if my == 0:
        raise ValueError("the denominator sums to zero")
    r = mx / my
    sxx, syy = num.var(ddof=1), den.var(ddof=1)
    sxy = np.cov(num, den, ddof=1)[0, 1]
    var = (sxx - 2 * r * sxy + r**2 * syy) / (n * my**2)
    return float(r), float(var)


def _arrays(*columns: Sequence[float]) -> list[np.ndarray]:
    arrays = [np.asarray(a, dtype=float) for a in columns]
    for a in arrays:
        if len(a) < 2:
            raise ValueError("each arm needs at least two units")
        if not np.isfinite(a).all():
            raise ValueError("values must be finite (no NaN)")
    if len(arrays[0]) != len(arrays[1]) or len(arrays[2]) != len(arrays[3]):
        raise ValueError("each arm's numerator and denominator need one value per unit")
    return arrays


def ratio_metric(
    num_control: Sequence[float],
    den_control: Sequence[float],
    num_treatment: Sequence[float],
    den_treatment: Sequence[float],
    *,
    confidence: float | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """A metric whose unit differs from the randomization unit: ``sum(num) / sum(den)`` per arm.

    For example average order value = revenue / orders, with users randomized. Each row is one
    randomization unit with its numerator and denominator; the variance of each arm's ratio
    comes from the delta method, not from a naive per-order formula that would treat a user's
    orders as independent.

    Parameters
    ----------
    num_control, den_control, num_treatment, den_treatment : sequence of float
        Numerator and denominator per unit, per arm (at least two units per arm).
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the normal ``1 - alpha`` intervals.

    Returns
    -------
    EffectResult
        Difference of the ratios; ``extra`` has its standard error ``se`` and the relative
        lift with its (delta-method) interval.

    References
    ----------
    Deng, A., Knoblich, U. & Lu, J. (2018). Applying the delta method in metric analytics.
    *KDD 2018*, 233-242.

    Examples
    --------
    >>> r = ratio_metric([1, 2, 3], [2, 2, 2], [2, 3, 4], [2, 2, 2])
    >>> r.control, r.treatment, r.estimate
    (1.0, 1.5, 0.5)
    """
    alpha, confidence = resolve_confidence(alpha, confidence)
    arrays = _arrays(num_control, den_control, num_treatment, den_treatment)
    r_c, v_c = _ratio_and_var(arrays[0], arrays[1])
    r_t, v_t = _ratio_and_var(arrays[2], arrays[3])
    diff, se = r_t - r_c, np.sqrt(v_c + v_t)
    z = z_critical(alpha)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else 1.0
    rel = r_t / r_c - 1 if r_c else float("nan")
    se_rel = (r_t / r_c) * np.sqrt(v_t / r_t**2 + v_c / r_c**2) if r_c and r_t else float("nan")
    return EffectResult(
        float(diff),
        float(diff - z * se),
        float(diff + z * se),
        p,
        len(arrays[0]),
        len(arrays[2]),
        "delta method (ratio of means)",
        r_c,
        r_t,
        confidence,
        {
            "se": float(se),
            "relative_lift": float(rel),
            "relative_ci_low": float(rel - z * se_rel),
            "relative_ci_high": float(rel + z * se_rel),
        },
    )
