"""Two proportions: one score statistic for the test and the intervals (:func:`two_proportions`)."""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_effectsize

from ..stats.score import score_test_proportions
from ..stats.validation import check_counts, resolve_confidence
from .results import EffectResult

__all__ = ["two_proportions", "score_test_proportions"]

_METHOD = "score test (pooled z) with score intervals for difference and ratio"


def _extra(x_control: int, n_control: int, x_treatment: int, n_treatment: int, s: dict) -> dict:
    """Counts, Cohen's h, relative lift with its score interval, and the number needed to treat."""
    p_c, p_t = x_control / n_control, x_treatment / n_treatment
    lo, hi = float(s["diff_low"]), float(s["diff_high"])
    extra: dict = {
        "x_control": int(x_control),
        "x_treatment": int(x_treatment),
        "cohens_h": float(proportion_effectsize(p_t, p_c)),
    }
    if x_control > 0:
        extra.update(
            relative_lift=float(p_t / p_c - 1),
            relative_ci_low=float(s["ratio_low"]) - 1,
            relative_ci_high=float(s["ratio_high"]) - 1,
        )
    diff = p_t - p_c
    if diff != 0:
        extra["nnt"] = 1 / diff
        if lo > 0 or hi < 0:
            extra["nnt_ci"] = sorted([1 / hi, 1 / lo])
    return extra


def two_proportions(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    *,
    confidence: float | None = None,
    alpha: float = 0.05,
) -> EffectResult:
    """Two-proportion comparison whose test and intervals never disagree.

    One statistic does everything: the score statistic for two independent proportions (variance
    at the restricted maximum-likelihood rates, :func:`.stats.score_test_proportions`). At a zero
    difference it is the classic pooled z, so ``p_value`` equals the pooled two-sided z-test
    (:func:`statsmodels.stats.proportion.proportions_ztest`). The interval for the difference is
    the set of differences this score test does not reject (Mee 1984; Miettinen & Nurminen 1985
    without their n/(n-1) factor; with equal arms it agrees with statsmodels'
    ``confint_proportions_2indep(method="score", correction=False)``, whose restricted MLE is wrong
    for unequal arms in statsmodels 0.15, issue #10269), and the interval for the relative lift
    ``p_t / p_c - 1`` inverts the same test on the ratio scale (asymmetric, as on the log scale).
    Hence ``p_value < alpha`` exactly when 0 lies outside the difference interval (and outside
    the lift's).

    Parameters
    ----------
    x_control, n_control, x_treatment, n_treatment : int
        Converted units and units per arm (``n > 0``, ``0 <= x <= n``).
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.05
        Significance level of the test and the ``1 - alpha`` intervals.

    Returns
    -------
    EffectResult
        Treatment minus control. ``extra`` holds the counts, the relative lift and its
        interval, Cohen's h, and the number needed to treat (1 / difference) with its interval
        when the difference interval excludes 0.

    References
    ----------
    Mee, R. W. (1984). Confidence bounds for the difference between two probabilities.
    *Biometrics* 40, 1175-1176. Miettinen, O. & Nurminen, M. (1985). Comparative analysis of two
    rates. *Statistics in Medicine* 4, 213-226.

    Examples
    --------
    >>> r = two_proportions(20, 100, 30, 100)
    >>> round(r.estimate, 2), round(r.p_value, 4), round(r.ci_low, 4)
    (0.1, 0.1025, -0.0202)
    """
    check_counts(x_control, n_control, "control")
    check_counts(x_treatment, n_treatment, "treatment")
    alpha, confidence = resolve_confidence(alpha, confidence)
    s = score_test_proportions(x_control, n_control, x_treatment, n_treatment, alpha=alpha)
    p_c, p_t = x_control / n_control, x_treatment / n_treatment
    return EffectResult(
        float(p_t - p_c),
        float(s["diff_low"]),
        float(s["diff_high"]),
        float(s["p_value"]),
        int(n_control),
        int(n_treatment),
        _METHOD,
        p_c,
        p_t,
        confidence,
        _extra(x_control, n_control, x_treatment, n_treatment, s),
    )
