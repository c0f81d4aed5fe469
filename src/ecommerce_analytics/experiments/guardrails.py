"""Guardrail metrics: is the treatment no worse than a margin (non-inferiority)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..stats.intervals import z_critical
from ..stats.score import score_z_difference
from .results import EffectResult

__all__ = ["non_inferiority"]


def _margin_p_value(result: EffectResult, m: float, higher_is_better: bool, level: float) -> float:
    """One-sided p-value of ``H0: the difference is at least m worse`` (score test for two proportions)."""
    sign = 1 if higher_is_better else -1
    x = result.extra
    if "x_control" in x and "x_treatment" in x:
        # The score statistic at the margin (restricted MLE in closed form), the same statistic the
        # interval inverts, so ``passed == (p < level / 2)`` always. (statsmodels 0.15's
        # test_proportions_2indep(value != 0) has a wrong restricted MLE for unequal arms,
        # statsmodels issue #10269.)
        z = float(score_z_difference(x["x_treatment"], result.n_treatment, x["x_control"], result.n_control, -sign * m))
        return float(stats.norm.sf(z) if higher_is_better else stats.norm.cdf(z))
    se = x.get("se") or (result.ci_high - result.ci_low) / (2 * z_critical(level))
    return float(stats.norm.sf(sign * (result.estimate + sign * m) / se)) if se > 0 else 0.0


def non_inferiority(
    result: EffectResult, margin: float, *, higher_is_better: bool = True, alpha: float | None = None
) -> dict:
    """Guardrail verdict: whether the treatment is no worse than ``margin`` (in the metric's units).

    One convention, the readout's: the result's own two-sided ``confidence`` interval (95% by
    default) is compared with the margin. ``passed`` when the interval's worse end lies inside
    the margin (e.g. ``ci_low > -margin`` when higher is better). This is the one-sided test of
    ``H0: difference <= -margin`` at level ``(1 - confidence) / 2``; its p-value is reported as
    ``p_value`` and ``passed == (p_value < (1 - confidence) / 2)``. ``failed`` when the whole
    interval lies on the harmful side of zero (the readout's two-sided test shows harm);
    ``inconclusive`` otherwise.

    For a :func:`.two_proportions` result the one-sided p-value is the score test of the shifted
    null (the score test at the margin, as in
    :func:`statsmodels.stats.proportion.test_proportions_2indep` with ``value=-margin``,
    ``method="score"``, ``correction=False``), the same statistic the interval inverts; for
    results with a symmetric normal interval (delta method, Welch) it is the normal test
    with the interval's standard error.

    Parameters
    ----------
    result : EffectResult
        Treatment minus control, with its interval at ``result.confidence``.
    margin : float
        Largest tolerated harm (its absolute value is used); finite and non-zero.
    higher_is_better : bool
        Direction of the metric.
    alpha : float, optional
        Must equal ``1 - result.confidence`` if given (kept for callers that pass it).

    Returns
    -------
    dict
        ``estimate, margin, worst_plausible, p_value, one_sided_level, confidence, passed,
        verdict`` ("passed", "failed" or "inconclusive"), ``higher_is_better, convention``.

    References
    ----------
    Schuirmann (1987), *J. Pharmacokinet. Biopharm.* 15, 657-680 (interval inclusion);
    EMA CPMP/EWP/482/99 (2000), *Points to consider on switching between superiority and
    non-inferiority*: a two-sided 95% interval against the margin.

    Examples
    --------
    >>> r = EffectResult(-0.001, -0.004, 0.002, 0.5, 10_000, 10_000, "delta method", extra={"se": 0.0015})
    >>> non_inferiority(r, 0.005)["verdict"]
    'passed'
    """
    level = 1 - result.confidence
    if alpha is not None and not np.isclose(alpha, level):
        raise ValueError(
            f"alpha must equal 1 - result.confidence ({level:g}) so that the verdict and the "
            f"interval use one convention, got {alpha}"
        )
    if not margin or not np.isfinite(margin):
        raise ValueError(f"margin must be a finite non-zero number, got {margin}")
    m = abs(margin)
    sign = 1 if higher_is_better else -1
    p = _margin_p_value(result, m, higher_is_better, level)
    bound = result.ci_low if higher_is_better else result.ci_high
    passed = bool(sign * bound > -m)
    harmful = bool(sign * (result.ci_high if higher_is_better else result.ci_low) < 0)
    verdict = "passed" if passed else "failed" if harmful else "inconclusive"
    return {
        "estimate": result.estimate,
        "margin": m,
        "worst_plausible": float(bound),
        "p_value": p,
        "one_sided_level": level / 2,
        "confidence": result.confidence,
        "passed": passed,
        "verdict": verdict,
        "higher_is_better": higher_is_better,
        "convention": f"two-sided {result.confidence:.0%} interval against the margin "
        f"(one-sided test at {level / 2:.3g})",
    }
