"""Score statistics for two independent proportions, and intervals that invert them.

One statistic gives the test and the intervals, so they never disagree: the score statistic
with its variance at the restricted maximum-likelihood rates, for a difference
(:func:`score_z_difference`) or a ratio (:func:`score_z_ratio`); :func:`invert_statistic`
turns it into interval bounds by vectorized bisection; :func:`score_test_proportions` does
both for arrays of experiments.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from .intervals import z_critical
from .validation import check_alpha

__all__ = ["score_z_difference", "score_z_ratio", "invert_statistic", "score_test_proportions"]


def score_z_difference(x1, n1, x2, n2, delta) -> np.ndarray:
    """Score statistic for ``p1 - p2 = delta`` (vectorized), variance at the restricted MLE.

    Parameters
    ----------
    x1, n1, x2, n2 : array_like
        Successes and trials of groups 1 and 2 (broadcast together).
    delta : array_like
        The difference under the null hypothesis.

    Returns
    -------
    ndarray
        ``(p1 - p2 - delta) / se``, ``+-inf`` where the restricted variance is 0 and the
        difference is not ``delta`` (0 where it is).

    References
    ----------
    Miettinen, O. & Nurminen, M. (1985). Comparative analysis of two rates. *Statistics in
    Medicine* 4, 213-226 (closed form of the restricted MLE, without their n/(n-1) factor);
    Farrington, C. P. & Manning, G. (1990). *Statistics in Medicine* 9, 1447-1454.

    Examples
    --------
    >>> round(float(score_z_difference(30, 100, 20, 100, 0.0)), 4)
    1.633
    """
    x1, n1, x2, n2, delta = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x1, n1, x2, n2, delta)))
    p1, p2 = x1 / n1, x2 / n2
    th = n2 / n1
    a = 1 + th
    b = -(1 + th + p1 + th * p2 + delta * (th + 2))
    c = delta**2 + delta * (2 * p1 + th + 1) + p1 + th * p2
    d = -p1 * delta * (1 + delta)
    v = b**3 / (3 * a) ** 3 - b * c / (6 * a**2) + d / (2 * a)
    u = np.sign(v) * np.sqrt(np.maximum(b**2 / (3 * a) ** 2 - c / (3 * a), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = (np.pi + np.arccos(np.clip(np.where(u != 0, v / u**3, 0.0), -1, 1))) / 3
        pt1 = np.clip(2 * u * np.cos(w) - b / (3 * a), 0, 1)
        pt2 = np.clip(pt1 - delta, 0, 1)
        var = pt1 * (1 - pt1) / n1 + pt2 * (1 - pt2) / n2
        num = p1 - p2 - delta
        return np.where(var > 0, num / np.sqrt(var), np.where(num == 0, 0.0, np.sign(num) * np.inf))


def score_z_ratio(x1, n1, x2, n2, log_ratio) -> np.ndarray:
    """Score statistic for ``p1 / p2 = exp(log_ratio)`` (vectorized), variance at the restricted MLE.

    Parameters
    ----------
    x1, n1, x2, n2 : array_like
        Successes and trials of groups 1 and 2 (broadcast together).
    log_ratio : array_like
        Log of the ratio ``p1 / p2`` under the null hypothesis.

    Returns
    -------
    ndarray
        ``(p1 - phi p2) / se`` with ``phi = exp(log_ratio)``.

    References
    ----------
    Miettinen, O. & Nurminen, M. (1985). *Statistics in Medicine* 4, 213-226.

    Examples
    --------
    >>> round(float(score_z_ratio(30, 100, 20, 100, 0.0)), 4)
    1.633
    """
    x1, n1, x2, n2, lr = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (x1, n1, x2, n2, log_ratio)))
    phi = np.exp(lr)
    A = (n1 + n2) * phi
    B = -(n1 * phi + x1 + n2 + x2 * phi)
    C = x1 + x2
    with np.errstate(divide="ignore", invalid="ignore"):
        pt2 = (-B - np.sqrt(np.maximum(B**2 - 4 * A * C, 0.0))) / (2 * A)
        pt1 = np.clip(phi * pt2, 0, 1)
        var = pt1 * (1 - pt1) / n1 + phi**2 * pt2 * (1 - pt2) / n2
        num = x1 / n1 - phi * x2 / n2
        return np.where(var > 0, num / np.sqrt(var), np.where(num == 0, 0.0, np.sign(num) * np.inf))


def invert_statistic(
    z_of: Callable[[np.ndarray], np.ndarray],
    estimate,
    lower_end: float,
    upper_end: float,
    z_crit: float,
    iterations: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds ``{theta : |z(theta)| <= z_crit}`` of a statistic decreasing in theta, by vectorized bisection.

    Parameters
    ----------
    z_of : callable
        ``theta -> z`` (elementwise over an array of experiments), decreasing in ``theta``.
    estimate : array_like
        A point inside each interval (where ``z`` is 0).
    lower_end, upper_end : float
        The search range of the bounds.
    z_crit : float
        Critical value (e.g. :func:`.z_critical`).
    iterations : int, default 64
        Bisection steps (64 halvings reach float resolution).

    Returns
    -------
    tuple of ndarray
        Lower and upper bounds.

    Examples
    --------
    >>> lo, hi = invert_statistic(lambda t: (0.5 - t) / 0.1, 0.5, -10, 10, 1.96)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.304, 0.696)
    """
    est = np.asarray(estimate, dtype=float)
    bounds = []
    for side in (-1, 1):
        a = np.full_like(est, lower_end) if side < 0 else est.copy()
        b = est.copy() if side < 0 else np.full_like(est, upper_end)
        target = z_crit if side < 0 else -z_crit
        for _ in range(iterations):
            mid = (a + b) / 2
            beyond = z_of(mid) > target  # still inside on the lower side / root above mid
            a, b = np.where(beyond, mid, a), np.where(beyond, b, mid)
        bounds.append(a if side < 0 else b)
    return bounds[0], bounds[1]


def _ratio_bounds(x1, n1, x2, n2, zc: float) -> tuple[np.ndarray, np.ndarray]:
    """Score interval of ``p1 / p2`` (0 lower bound without group-1 successes; NaN when undefined)."""
    z_of = lambda r: score_z_ratio(x1, n1, x2, n2, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_hat = np.log(x1 / n1) - np.log(x2 / n2)
        ok = (x1 > 0) & (x2 > 0)
        lr_lo, lr_hi = invert_statistic(z_of, np.where(ok, r_hat, 0.0), -40.0, 40.0, zc)
    r_lo = np.where(ok, np.exp(lr_lo), np.where((x1 == 0) & (x2 > 0), 0.0, np.nan))
    r_hi = np.where(ok, np.exp(lr_hi), np.nan)
    if (x1 == 0).any() and (x2 > 0).any():  # no group-1 success: the upper ratio bound still exists
        only = (x1 == 0) & (x2 > 0)
        _, hi0 = invert_statistic(z_of, np.where(only, -40.0, 0.0), -40.0, 40.0, zc)
        r_hi = np.where(only, np.exp(hi0), r_hi)
    return r_lo, r_hi


def score_test_proportions(
    x_control,
    n_control,
    x_treatment,
    n_treatment,
    *,
    alpha: float = 0.05,
    delta: float | np.ndarray = 0.0,
    log_ratio: float | np.ndarray | None = None,
) -> dict:
    """Vectorized score test and score intervals for two independent proportions.

    Parameters
    ----------
    x_control, n_control, x_treatment, n_treatment : array_like
        Successes and trials per arm (one entry per experiment, or scalars).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` intervals.
    delta : float or ndarray, default 0.0
        Null difference ``p_t - p_c`` of the test.
    log_ratio : float or ndarray, optional
        If given, the test is of ``log(p_t / p_c) = log_ratio`` instead.

    Returns
    -------
    dict
        Arrays ``z`` and two-sided ``p_value``, and the intervals that invert the same
        statistic: ``diff_low, diff_high`` (difference) and ``ratio_low, ratio_high``
        (``p_t / p_c``). At ``delta = 0`` the statistic is the pooled z.

    References
    ----------
    Miettinen & Nurminen (1985), *Statistics in Medicine* 4, 213-226; Farrington & Manning (1990),
    *Statistics in Medicine* 9, 1447-1454.

    Examples
    --------
    >>> s = score_test_proportions(20, 100, 30, 100)
    >>> round(float(s["p_value"]), 4), round(float(s["diff_low"]), 4)
    (0.1025, -0.0202)
    """
    alpha = check_alpha(alpha)
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x_treatment, n_treatment, x_control, n_control))
    zc = z_critical(alpha)
    if log_ratio is None:
        z = score_z_difference(x1, n1, x2, n2, delta)
    else:
        z = score_z_ratio(x1, n1, x2, n2, log_ratio)
    d_hat = x1 / n1 - x2 / n2
    d_lo, d_hi = invert_statistic(lambda d: score_z_difference(x1, n1, x2, n2, d), d_hat, -1.0, 1.0, zc)
    r_lo, r_hi = _ratio_bounds(x1, n1, x2, n2, zc)
    return {
        "z": z,
        "p_value": 2 * stats.norm.sf(np.abs(z)),
        "diff_low": d_lo,
        "diff_high": d_hi,
        "ratio_low": r_lo,
        "ratio_high": r_hi,
    }
