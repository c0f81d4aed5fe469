"""Interval primitives: critical values, a rate (Wilson), a difference of rates (Newcombe), a mean (t).

These are the building blocks other modules import (:mod:`.metrics` re-exports them for
compatibility). Each builds a ``1 - alpha`` interval; the functions that took ``confidence=``
before accept it still (see :func:`.validation.resolve_confidence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from .result import EstimateResult, alpha_of
from .validation import ALTERNATIVES, check_alpha, check_choice, resolve_confidence

__all__ = ["z_critical", "Estimate", "proportion", "rate_difference", "mean"]


def z_critical(alpha: float = 0.05, alternative: str = "two-sided") -> float:
    """Critical value of the standard normal test at level ``alpha``.

    Parameters
    ----------
    alpha : float, default 0.05
        Significance level, strictly between 0 and 1.
    alternative : {"two-sided", "larger", "smaller"}, default "two-sided"
        Two-sided: ``z_{1 - alpha/2}``; one-sided (either direction): ``z_{1 - alpha}``.

    Returns
    -------
    float
        The positive critical value (the upper tail quantile, computed with ``norm.isf``).

    Examples
    --------
    >>> round(z_critical(0.05), 4)
    1.96
    >>> round(z_critical(0.05, "larger"), 4)
    1.6449
    """
    alpha = check_alpha(alpha)
    check_choice(alternative, "alternative", ALTERNATIVES)
    return float(stats.norm.isf(alpha / 2 if alternative == "two-sided" else alpha))


@dataclass(frozen=True, init=False)
class Estimate(EstimateResult):
    """A point estimate with its confidence interval (a product metric, a rate, a mean).

    Built as ``Estimate(estimate, ci_low, ci_high, n, method, confidence=0.95)``; ``to_dict()``
    has the keys ``estimate, ci_low, ci_high, n, method, confidence``. The base fields
    ``p_value`` (None) and ``alpha`` (``1 - confidence``) come from :class:`EstimateResult`.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        The estimate and its interval.
    n : int
        Units the estimate is computed on (sessions, carts or orders).
    method : str
        How the interval was computed.
    confidence : float
        The interval's confidence level.

    Examples
    --------
    >>> Estimate(0.2, 0.1, 0.3, 50, "Wilson score").to_dict()["confidence"]
    0.95
    """

    confidence: float = 0.95
    _dict_keys: ClassVar[tuple[str, ...]] = ("estimate", "ci_low", "ci_high", "n", "method", "confidence")

    def __init__(
        self,
        estimate: float,
        ci_low: float,
        ci_high: float,
        n: int,
        method: str,
        confidence: float = 0.95,
        *,
        p_value: float | None = None,
    ) -> None:
        self._set(
            estimate=estimate,
            ci_low=ci_low,
            ci_high=ci_high,
            p_value=p_value,
            n=n,
            method=method,
            alpha=alpha_of(confidence),
            confidence=confidence,
        )


def proportion(successes: int, n: int, confidence: float | None = None, *, alpha: float = 0.05) -> Estimate:
    """A rate with its Wilson score interval.

    Parameters
    ----------
    successes, n : int
        Successes and trials, ``0 <= successes <= n``, ``n >= 1``.
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` interval.

    Returns
    -------
    Estimate
        The rate and its interval (bounds clipped to ``[0, 1]`` and to the rate itself).

    Raises
    ------
    ValueError
        If ``n < 1`` or ``successes`` is outside ``[0, n]``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    *JASA* 22, 209-212.

    Examples
    --------
    >>> e = proportion(20, 100)
    >>> round(e.ci_low, 4), round(e.ci_high, 4)
    (0.1334, 0.2888)
    """
    alpha, confidence = resolve_confidence(alpha, confidence)
    successes, n = int(successes), int(n)
    if n < 1:
        raise ValueError(f"a rate needs at least one trial, got n={n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n], got {successes} of {n}")
    lo, hi = proportion_confint(successes, n, alpha=alpha, method="wilson")
    p = successes / n
    # Rounding can leave the bound a hair on the wrong side of p at 0 or n successes.
    return Estimate(p, float(min(max(lo, 0.0), p)), float(max(min(hi, 1.0), p)), n, "Wilson score", confidence)


def rate_difference(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    confidence: float | None = None,
    *,
    alpha: float = 0.05,
) -> Estimate:
    """Difference of two independent rates (a - b) with Newcombe's hybrid score interval.

    Parameters
    ----------
    successes_a, n_a, successes_b, n_b : int
        Successes and trials of the two groups.
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` interval.

    Returns
    -------
    Estimate
        ``successes_a / n_a - successes_b / n_b`` with its interval; ``n`` is ``n_a + n_b``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. *Statistics in Medicine* 17, 873-890 (method 10).

    Examples
    --------
    >>> e = rate_difference(30, 100, 20, 100)
    >>> round(e.estimate, 2), round(e.ci_low, 4), round(e.ci_high, 4)
    (0.1, -0.0202, 0.2167)
    """
    alpha, confidence = resolve_confidence(alpha, confidence)
    for s, n in ((successes_a, n_a), (successes_b, n_b)):
        if n < 1 or not 0 <= s <= n:
            raise ValueError(f"invalid counts: {s} successes of {n}")
    lo, hi = confint_proportions_2indep(
        successes_a, n_a, successes_b, n_b, method="newcomb", compare="diff", alpha=alpha
    )
    return Estimate(
        successes_a / n_a - successes_b / n_b, float(lo), float(hi), int(n_a + n_b), "Newcombe hybrid score", confidence
    )


def mean(values: Sequence[float] | pd.Series, confidence: float | None = None, *, alpha: float = 0.05) -> Estimate:
    """A mean with its Student-t interval (NaNs are not allowed: filter first).

    Parameters
    ----------
    values : sequence of float
        At least two finite values.
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the ``1 - alpha`` interval.

    Returns
    -------
    Estimate
        The mean and ``mean +- t_{1 - alpha/2, n - 1} sd / sqrt(n)``.

    Examples
    --------
    >>> e = mean([1.0, 2.0, 3.0, 4.0])
    >>> e.estimate, round(e.ci_low, 3), round(e.ci_high, 3)
    (2.5, 0.446, 4.554)
    """
    alpha, confidence = resolve_confidence(alpha, confidence)
    x = np.asarray(values, dtype=float)
    if x.size < 2:
        raise ValueError(f"a mean with an interval needs at least two values, got {x.size}")
    if np.isnan(x).any():
        raise ValueError("values contain NaN")
    m, se = float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * se)
    return Estimate(m, m - half, m + half, int(x.size), "Student t", confidence)
