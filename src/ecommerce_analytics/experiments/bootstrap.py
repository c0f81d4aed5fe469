"""Bootstrap interval for a difference of means (percentile or BCa; bucket bootstrap at scale)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from ..stats.validation import check_choice, check_min_count, resolve_confidence
from .means import _clean
from .results import EffectResult

__all__ = ["bootstrap_mean_difference"]

_METHODS = ("auto", "percentile", "bca")


def _bca_limits(
    diffs: np.ndarray, estimate: float, c: np.ndarray, t: np.ndarray, confidence: float, expand: bool = True
) -> tuple:
    """BCa limits for a difference of means.

    Bias correction from the bootstrap distribution, acceleration from the empirical influence
    values of the two means (Efron 1987). With ``expand``, the nominal tail probability is first
    widened as in Hesterberg's (2015) expanded percentile interval,
    ``alpha'/2 = Phi(-sqrt(n / (n - 1)) t_{alpha/2, n - 1})`` (n: the smaller arm), which removes
    the bootstrap's small-sample narrowness.
    """
    share = (np.sum(diffs < estimate) + 0.5 * np.sum(diffs == estimate)) / len(diffs)
    z0 = stats.norm.ppf(np.clip(share, 1 / (len(diffs) + 1), len(diffs) / (len(diffs) + 1)))
    u = np.concatenate([(t - t.mean()) / len(t), -(c - c.mean()) / len(c)])
    denom = 6 * np.sum(u**2) ** 1.5
    acc = float(np.sum(u**3) / denom) if denom > 0 else 0.0
    a = (1 - confidence) / 2
    if expand:
        m = min(len(c), len(t))
        a = stats.norm.cdf(-np.sqrt(m / (m - 1)) * stats.t.isf(a, m - 1))
    zq = stats.norm.ppf(np.array([a, 1 - a]))
    q = stats.norm.cdf(z0 + (z0 + zq) / (1 - acc * (z0 + zq)))
    lo, hi = np.quantile(diffs, q)
    return float(lo), float(hi)


def _resampled_means(x: np.ndarray, n_resamples: int, buckets: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n_resamples`` bootstrap resamples of ``x`` (of buckets of units when ``buckets``)."""
    if buckets:
        k = min(buckets, len(x))
        which = rng.permutation(len(x)) % k
        sums, counts = np.bincount(which, weights=x, minlength=k), np.bincount(which, minlength=k)
        idx = rng.integers(0, k, size=(n_resamples, k))
        return sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    out = np.empty(n_resamples)
    chunk = max(1, 20_000_000 // len(x))
    for start in range(0, n_resamples, chunk):
        stop = min(start + chunk, n_resamples)
        idx = rng.integers(0, len(x), size=(stop - start, len(x)))
        out[start:stop] = x[idx].mean(axis=1)
    return out


def bootstrap_mean_difference(
    control: Sequence[float],
    treatment: Sequence[float],
    *,
    n_resamples: int = 2000,
    confidence: float | None = None,
    seed: int = 0,
    buckets: int | None = None,
    method: str = "auto",
    alpha: float = 0.05,
) -> EffectResult:
    """Bootstrap interval for the difference of means (percentile or BCa), vectorized.

    With ``buckets`` (default: 1,000 when an arm has more than 50,000 units, else none), units
    are first dealt at random into that many buckets per arm and the buckets are resampled
    (the bucket bootstrap of experimentation platforms): 2,000 resamples of a million units
    take well under a second. Without buckets, units are resampled directly, in chunks.
    The p-value is the two-sided bootstrap p-value of a zero difference, ``(b + 1) / (B + 1)``
    with ``b`` the resamples on the far side of zero (never exactly 0; Davison & Hinkley 1997, 4.2).

    Parameters
    ----------
    control, treatment : sequence of float
        One value per unit, at least two per arm, no NaN.
    n_resamples : int, default 2000
        Bootstrap resamples (at least 100).
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    seed : int, default 0
        Seed of the resampling.
    buckets : int, optional
        Buckets per arm (0: none); default as above.
    method : {"auto", "percentile", "bca"}
        ``"bca"``: bias-corrected and accelerated (Efron 1987); ``"auto"``: BCa when an arm has
        fewer than 1,000 units, where the percentile interval under-covers skewed metrics,
        percentile otherwise.
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` interval.

    Returns
    -------
    EffectResult
        Treatment minus control, its interval and the bootstrap p-value.

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *JASA* 82, 171-185. Davison, A. C. &
    Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, ch. 4-5.

    Examples
    --------
    >>> r = bootstrap_mean_difference([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0], n_resamples=200)
    >>> r.estimate, r.ci_low <= 2.0 <= r.ci_high
    (2.0, True)
    """
    c, t = _clean(control, "control"), _clean(treatment, "treatment")
    check_choice(method, "method", _METHODS)
    _, confidence = resolve_confidence(alpha, confidence)
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100, got {n_resamples}")
    if buckets is not None:
        check_min_count(buckets, "buckets", 0)
    rng = np.random.default_rng(seed)
    use_buckets = buckets if buckets is not None else (1000 if max(len(c), len(t)) > 50_000 else 0)
    diffs = _resampled_means(t, n_resamples, use_buckets, rng) - _resampled_means(c, n_resamples, use_buckets, rng)
    estimate = float(t.mean() - c.mean())
    use_bca = method == "bca" or (method == "auto" and min(len(c), len(t)) < 1000)
    if use_bca:
        lo, hi = _bca_limits(diffs, estimate, c, t, confidence)
    else:
        a = (1 - confidence) / 2
        lo, hi = np.quantile(diffs, [a, 1 - a])
    b = min(np.sum(diffs <= 0), np.sum(diffs >= 0))
    p = float(min(1.0, 2 * (b + 1) / (n_resamples + 1)))
    kind = "BCa" if use_bca else "percentile"
    label = f"{kind} bootstrap ({n_resamples} resamples" + (f", {use_buckets} buckets)" if use_buckets else ")")
    return EffectResult(
        estimate, float(lo), float(hi), p, len(c), len(t), label, float(c.mean()), float(t.mean()), confidence
    )
