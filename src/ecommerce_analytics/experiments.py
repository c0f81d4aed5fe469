"""A/B test statistics: design, validity checks, effect estimates, variance reduction, sequential
monitoring, multiple testing, guardrails and a Bayesian readout.

Every function returns a result object with the estimate, its confidence interval, the
p-value and the sizes of the arms. statsmodels and scipy do the computing wherever they
already compute the thing; the rest (score intervals by test inversion, delta method for ratio
metrics, CUPED, mSPRT, bucket and BCa bootstrap) is implemented here and tested against
simulation and published values. Tests and intervals come from one statistic, so they never
disagree; sample sizes are planned for the test the readout runs (pooled z for proportions,
Welch/t for means); group-sequential designs live in :mod:`.sequential`.
Arms are "control" (A) and "treatment" (B); differences are treatment minus control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import power_proportions_2indep, proportion_effectsize

__all__ = [
    "EffectResult",
    "sample_size_proportions",
    "power_proportions",
    "mde_proportions",
    "sample_size_means",
    "mde_means",
    "srm_check",
    "two_proportions",
    "ratio_metric",
    "welch_test",
    "bootstrap_mean_difference",
    "cuped",
    "balance_check",
    "msprt_proportions",
    "adjust_pvalues",
    "segment_effects",
    "non_inferiority",
    "bayesian_proportions",
    "calibration_study",
    "binomial_rate",
    "score_test_proportions",
    "experiment_units",
    "daily_looks",
]

_Z = stats.norm.ppf


@dataclass(frozen=True)
class EffectResult:
    """Difference between arms (treatment - control) with its interval and test.

    ``extra`` holds method-specific values (relative lift, Cohen's h, variance reduction...).
    """

    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_control: int
    n_treatment: int
    method: str
    control: float = float("nan")
    treatment: float = float("nan")
    confidence: float = 0.95
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def significant(self) -> bool:
        return self.p_value < 1 - self.confidence


def _check_counts(successes: int, n: int, label: str) -> None:
    if not np.isfinite(successes) or not np.isfinite(n):
        raise ValueError(f"{label}: counts must be finite numbers")
    if n <= 0:
        raise ValueError(f"{label}: the arm is empty (n = {n})")
    if successes < 0 or successes > n:
        raise ValueError(f"{label}: successes ({successes}) must lie between 0 and n ({n})")


def _z_alpha(alpha: float, alternative: str) -> float:
    if alternative not in ("two-sided", "larger", "smaller"):
        raise ValueError(f"alternative must be 'two-sided', 'larger' or 'smaller', got {alternative!r}")
    return _Z(1 - alpha / 2) if alternative == "two-sided" else _Z(1 - alpha)


# ---------------------------------------------------------------------------------- design
_ALTERNATIVES = ("two-sided", "larger", "smaller")


def _check_design(alpha: float, power: float | None = None, ratio: float = 1.0, alternative: str = "two-sided") -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    if power is not None and not 0 < power < 1:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power}")
    if not ratio > 0:
        raise ValueError(f"ratio must be positive, got {ratio}")
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")


def _check_direction(mde: float, alternative: str) -> None:
    """A one-sided plan tests one direction: the planned change must point that way."""
    if (alternative == "larger" and mde < 0) or (alternative == "smaller" and mde > 0):
        raise ValueError(
            f"alternative={alternative!r} tests for {'an increase' if alternative == 'larger' else 'a decrease'} "
            f"but mde is {mde:+g}; use alternative={'smaller' if alternative == 'larger' else 'larger'!r} "
            "or 'two-sided'"
        )


def _check_rates(p_control: float, mde: float) -> float:
    p_t = p_control + mde
    if not (0 < p_control < 1 and 0 < p_t < 1) or mde == 0:
        raise ValueError("p_control and p_control + mde must lie strictly between 0 and 1, and mde must not be 0")
    return p_t


def _power_pooled(
    p_control: float, mde: float, n_control: float, alpha: float, ratio: float, alternative: str
) -> float:
    # statsmodels' alternative refers to p_treatment - p_control; the tested side must be the one of mde.
    alt = alternative if alternative == "two-sided" else ("larger" if mde > 0 else "smaller")
    return float(power_proportions_2indep(mde, p_control, n_control, ratio=ratio, alpha=alpha, alternative=alt).power)


def power_proportions(
    p_control: float,
    mde: float,
    n_control: float,
    *,
    alpha: float = 0.05,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    test: str = "pooled",
) -> float:
    """Power of the two-proportion z-test for an absolute change ``mde`` of a rate ``p_control``.

    Parameters
    ----------
    p_control, mde : float
        Control rate and absolute change (treatment rate ``p_control + mde``).
    n_control : float
        Units in control; treatment has ``ratio * n_control``.
    alpha : float
        Type-I error rate (two-sided unless ``alternative`` says otherwise).
    test : {"pooled", "unpooled"}
        ``"pooled"`` (default) is the test :func:`two_proportions` runs (pooled variance under H0,
        the score test), computed by :func:`statsmodels.stats.proportion.power_proportions_2indep`;
        ``"unpooled"`` is the Wald test with unpooled variances (Chow, Shao & Wang 2008, 4.2).

    References
    ----------
    Fleiss, Levin & Paik (2003), *Statistical Methods for Rates and Proportions*, 3rd ed., 4.2;
    R ``stats::power.prop.test``.
    """
    _check_design(alpha, None, ratio, alternative)
    _check_direction(mde, alternative)
    p_t = _check_rates(p_control, mde)
    if test == "pooled":
        return _power_pooled(p_control, mde, n_control, alpha, ratio, alternative)
    if test != "unpooled":
        raise ValueError(f"test must be 'pooled' or 'unpooled', got {test!r}")
    se = np.sqrt(p_control * (1 - p_control) / n_control + p_t * (1 - p_t) / (ratio * n_control))
    return float(stats.norm.cdf(abs(mde) / se - _z_alpha(alpha, alternative)))


def sample_size_proportions(
    p_control: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    test: str = "pooled",
    exact: bool = False,
) -> tuple:
    """Units per arm for the two-proportion z-test to detect an absolute change ``mde`` of ``p_control``.

    Solves :func:`power_proportions` (same ``test``) for ``n_control``; ``n_treatment = ratio * n_control``.
    Returns ``(n_control, n_treatment)`` rounded up, or the unrounded solutions with ``exact=True``.
    With the default pooled test, p1 = 0.50, p2 = 0.75, power 0.90 gives 76.7 per group, as R's
    ``power.prop.test``.

    References
    ----------
    Fleiss, Levin & Paik (2003), 4.2; Chow, Shao & Wang (2008), *Sample Size Calculations in
    Clinical Research*, 4.2 (the unpooled version).
    """
    _check_design(alpha, power, ratio, alternative)
    _check_direction(mde, alternative)
    _check_rates(p_control, mde)
    f = lambda n: (
        power_proportions(p_control, mde, n, alpha=alpha, ratio=ratio, alternative=alternative, test=test) - power
    )
    n_c = float(optimize.brentq(f, 1.0, 1e12, xtol=1e-9))
    if exact:
        return n_c, ratio * n_c
    n_c_int = int(np.ceil(n_c - 1e-9))
    return n_c_int, int(np.ceil(ratio * n_c_int - 1e-9))


def mde_proportions(
    p_control: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    test: str = "pooled",
) -> float:
    """Smallest absolute increase of ``p_control`` detectable with ``n_control`` users in control
    (inverse of :func:`power_proportions`, same test).
    """
    _check_design(alpha, power, ratio, alternative)
    f = lambda d: (
        power_proportions(p_control, d, n_control, alpha=alpha, ratio=ratio, alternative=alternative, test=test) - power
    )
    return float(optimize.brentq(f, 1e-9, 1 - p_control - 1e-9))


def _t_effect_size(sd: float, mde: float, ratio: float, sd_treatment: float | None) -> float:
    if sd <= 0 or mde == 0 or (sd_treatment is not None and sd_treatment <= 0):
        raise ValueError("sd must be positive and mde non-zero")
    if sd_treatment is None:
        return abs(mde) / sd
    # Welch: Var(diff) = sd_c^2 / n + sd_t^2 / (r n); TTestIndPower's d enters as d^2 / (1/n + 1/(r n)).
    return abs(mde) * np.sqrt((1 + 1 / ratio) / (sd**2 + sd_treatment**2 / ratio))


def sample_size_means(
    sd: float,
    mde: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
    sd_treatment: float | None = None,
) -> tuple[int, int]:
    """Units per arm to detect a difference ``mde`` of means with standard deviation ``sd``.

    Two-sample t-test power from :class:`statsmodels.stats.power.TTestIndPower`; with
    ``sd_treatment`` (unequal variances, the Welch test :func:`welch_test` runs) the effect size
    is standardized by the Welch standard error of the difference.

    References
    ----------
    Cohen (1988), *Statistical Power Analysis for the Behavioral Sciences*, 2nd ed., ch. 2.
    """
    _check_design(alpha, power, ratio, alternative)
    _check_direction(mde, alternative)
    d = _t_effect_size(sd, mde, ratio, sd_treatment)
    n1 = TTestIndPower().solve_power(
        effect_size=d,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative="larger" if alternative != "two-sided" else "two-sided",
    )
    n1 = int(np.ceil(n1 - 1e-9))
    return n1, int(np.ceil(ratio * n1 - 1e-9))


def mde_means(
    sd: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    alternative: str = "two-sided",
) -> float:
    """Smallest detectable difference of means with ``n_control`` units in control."""
    _check_design(alpha, power, ratio, alternative)
    d = TTestIndPower().solve_power(
        nobs1=n_control,
        alpha=alpha,
        power=power,
        ratio=ratio,
        alternative="larger" if alternative != "two-sided" else "two-sided",
    )
    return float(d * sd)


# -------------------------------------------------------------------------------- validity
@dataclass(frozen=True)
class SRMResult:
    n_control: int
    n_treatment: int
    expected_share_treatment: float
    observed_share_treatment: float
    chi2: float
    p_value: float
    threshold: float = 0.001

    @property
    def mismatch(self) -> bool:
        """True when the split is too unlikely under the design: stop and debug before reading."""
        return self.p_value < self.threshold

    def to_dict(self) -> dict:
        return {**asdict(self), "mismatch": self.mismatch}


def srm_check(
    n_control: int, n_treatment: int, expected_share_treatment: float = 0.5, threshold: float = 0.001
) -> SRMResult:
    """Sample-ratio-mismatch check: chi-square goodness of fit of the arm sizes to the design,
    flagged at ``p < threshold`` (0.001, as large experimentation platforms do).
    """
    _check_counts(n_treatment, n_control + n_treatment, "srm_check")
    total = n_control + n_treatment
    expected = [total * (1 - expected_share_treatment), total * expected_share_treatment]
    chi2, p = stats.chisquare([n_control, n_treatment], expected)
    return SRMResult(
        int(n_control),
        int(n_treatment),
        expected_share_treatment,
        n_treatment / total,
        float(chi2),
        float(p),
        threshold,
    )


# ------------------------------------------------------------------------------ proportions
def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def _score_z_diff(x1, n1, x2, n2, delta):
    """Score statistic for ``p1 - p2 = delta`` (vectorized), variance at the restricted MLE
    (closed form of Farrington & Manning 1990 / Miettinen & Nurminen 1985, without n/(n-1)).
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


def _score_z_ratio(x1, n1, x2, n2, log_ratio):
    """Score statistic for ``p1 / p2 = exp(log_ratio)`` (vectorized; Miettinen & Nurminen 1985)."""
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


def _invert(z_of, estimate, lower_end, upper_end, z_crit, iterations: int = 64):
    """Bounds {theta : |z(theta)| <= z_crit} of a statistic decreasing in theta, by vectorized bisection."""
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

    Returns arrays: ``z`` and two-sided ``p_value`` of ``p_t - p_c = delta`` (or, with
    ``log_ratio``, of ``log(p_t / p_c) = log_ratio``), and the ``1 - alpha`` intervals
    ``diff_low, diff_high`` (difference) and ``ratio_low, ratio_high`` (``p_t / p_c``) that
    invert the same statistic. At ``delta = 0`` the statistic is the pooled z.

    References
    ----------
    Miettinen & Nurminen (1985), *Statistics in Medicine* 4, 213-226; Farrington & Manning (1990),
    *Statistics in Medicine* 9, 1447-1454.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    x1, n1, x2, n2 = (np.asarray(a, dtype=float) for a in (x_treatment, n_treatment, x_control, n_control))
    zc = _Z(1 - alpha / 2)
    if log_ratio is None:
        z = _score_z_diff(x1, n1, x2, n2, delta)
    else:
        z = _score_z_ratio(x1, n1, x2, n2, log_ratio)
    d_hat = x1 / n1 - x2 / n2
    d_lo, d_hi = _invert(lambda d: _score_z_diff(x1, n1, x2, n2, d), d_hat, -1.0, 1.0, zc)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_hat = np.log(x1 / n1) - np.log(x2 / n2)
        ok = (x1 > 0) & (x2 > 0)
        lr_lo, lr_hi = _invert(lambda r: _score_z_ratio(x1, n1, x2, n2, r), np.where(ok, r_hat, 0.0), -40.0, 40.0, zc)
    r_lo = np.where(ok, np.exp(lr_lo), np.where((x1 == 0) & (x2 > 0), 0.0, np.nan))
    r_hi = np.where(ok, np.exp(lr_hi), np.nan)
    if (x1 == 0).any() and (x2 > 0).any():  # no treated success: the upper ratio bound still exists
        only = (x1 == 0) & (x2 > 0)
        _, hi0 = _invert(lambda r: _score_z_ratio(x1, n1, x2, n2, r), np.where(only, -40.0, 0.0), -40.0, 40.0, zc)
        r_hi = np.where(only, np.exp(hi0), r_hi)
    return {
        "z": z,
        "p_value": 2 * stats.norm.sf(np.abs(z)),
        "diff_low": d_lo,
        "diff_high": d_hi,
        "ratio_low": r_lo,
        "ratio_high": r_hi,
    }


def two_proportions(
    x_control: int, n_control: int, x_treatment: int, n_treatment: int, *, confidence: float = 0.95
) -> EffectResult:
    """Two-proportion comparison whose test and intervals never disagree.

    One statistic does everything: the score statistic for two independent proportions (variance
    at the restricted maximum-likelihood rates, :func:`score_test_proportions`). At a zero
    difference it is the classic pooled z, so ``p_value`` equals the pooled two-sided z-test
    (:func:`statsmodels.stats.proportion.proportions_ztest`). The interval for the difference is
    the set of differences this score test does not reject (Mee 1984; Miettinen & Nurminen 1985
    without their n/(n-1) factor; with equal arms it agrees with statsmodels'
    ``confint_proportions_2indep(method="score", correction=False)``, whose restricted MLE is wrong
    for unequal arms in statsmodels 0.15, issue #10269), and the interval for the relative lift ``p_t / p_c - 1`` inverts the
    same test on the ratio scale (asymmetric, as on the log scale). Hence ``p_value < 1 -
    confidence`` exactly when 0 lies outside the difference interval (and outside the lift's).

    ``extra`` holds the counts, the relative lift and its interval, Cohen's h, and the number
    needed to treat (1 / difference) with its interval when the difference interval excludes 0.

    References
    ----------
    Mee, R. W. (1984). Confidence bounds for the difference between two probabilities.
    *Biometrics* 40, 1175-1176. Miettinen, O. & Nurminen, M. (1985). Comparative analysis of two
    rates. *Statistics in Medicine* 4, 213-226.
    """
    _check_counts(x_control, n_control, "control")
    _check_counts(x_treatment, n_treatment, "treatment")
    _check_confidence(confidence)
    p_c, p_t = x_control / n_control, x_treatment / n_treatment
    s = score_test_proportions(x_control, n_control, x_treatment, n_treatment, alpha=1 - confidence)
    p_value = float(s["p_value"])
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
    return EffectResult(
        float(diff),
        lo,
        hi,
        p_value,
        int(n_control),
        int(n_treatment),
        "score test (pooled z) with score intervals for difference and ratio",
        p_c,
        p_t,
        confidence,
        extra,
    )


# ---------------------------------------------------------------------------- ratio metrics
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


def ratio_metric(
    num_control: Sequence[float],
    den_control: Sequence[float],
    num_treatment: Sequence[float],
    den_treatment: Sequence[float],
    *,
    confidence: float = 0.95,
) -> EffectResult:
    """A metric whose unit differs from the randomization unit: ``sum(num) / sum(den)`` per arm
    (for example average order value = revenue / orders, with users randomized).

    Each row is one randomization unit with its numerator and denominator; the variance of
    each arm's ratio comes from the delta method (Deng, Knoblich & Lu 2018), not from a naive
    per-order formula that would treat a user's orders as independent.
    """
    arrays = [np.asarray(a, dtype=float) for a in (num_control, den_control, num_treatment, den_treatment)]
    for a in arrays:
        if len(a) < 2:
            raise ValueError("each arm needs at least two units")
        if not np.isfinite(a).all():
            raise ValueError("values must be finite (no NaN)")
    r_c, v_c = _ratio_and_var(arrays[0], arrays[1])
    r_t, v_t = _ratio_and_var(arrays[2], arrays[3])
    diff, se = r_t - r_c, np.sqrt(v_c + v_t)
    z = _Z(0.5 + confidence / 2)
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


# -------------------------------------------------------------------------------- continuous
def _clean(x: Sequence[float], label: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.size < 2:
        raise ValueError(f"{label}: needs at least two values")
    if np.isnan(a).any():
        raise ValueError(f"{label}: contains NaN")
    return a


def welch_test(control: Sequence[float], treatment: Sequence[float], *, confidence: float = 0.95) -> EffectResult:
    """Welch's unequal-variance t-test and interval for the difference of means (scipy)."""
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


def _bca_limits(
    diffs: np.ndarray, estimate: float, c: np.ndarray, t: np.ndarray, confidence: float, expand: bool = True
) -> tuple:
    """BCa limits for a difference of means: bias correction from the bootstrap distribution,
    acceleration from the empirical influence values of the two means (Efron 1987). With
    ``expand``, the nominal tail probability is first widened as in Hesterberg's (2015)
    expanded percentile interval, ``alpha'/2 = Phi(-sqrt(n / (n - 1)) t_{alpha/2, n - 1})``
    (n: the smaller arm), which removes the bootstrap's small-sample narrowness.
    """
    share = (np.sum(diffs < estimate) + 0.5 * np.sum(diffs == estimate)) / len(diffs)
    z0 = _Z(np.clip(share, 1 / (len(diffs) + 1), len(diffs) / (len(diffs) + 1)))
    u = np.concatenate([(t - t.mean()) / len(t), -(c - c.mean()) / len(c)])
    denom = 6 * np.sum(u**2) ** 1.5
    acc = float(np.sum(u**3) / denom) if denom > 0 else 0.0
    a = (1 - confidence) / 2
    if expand:
        m = min(len(c), len(t))
        a = stats.norm.cdf(-np.sqrt(m / (m - 1)) * stats.t.isf(a, m - 1))
    zq = _Z(np.array([a, 1 - a]))
    q = stats.norm.cdf(z0 + (z0 + zq) / (1 - acc * (z0 + zq)))
    lo, hi = np.quantile(diffs, q)
    return float(lo), float(hi)


def bootstrap_mean_difference(
    control: Sequence[float],
    treatment: Sequence[float],
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    buckets: int | None = None,
    method: str = "auto",
) -> EffectResult:
    """Bootstrap interval for the difference of means (percentile or BCa), vectorized.

    ``method``: ``"percentile"``, ``"bca"`` (bias-corrected and accelerated; Efron 1987), or
    ``"auto"`` (default): BCa when an arm has fewer than 1,000 units, where the percentile
    interval under-covers skewed metrics, percentile otherwise.

    With ``buckets`` (default: 1,000 when an arm has more than 50,000 units, else none), units
    are first dealt at random into that many buckets per arm and the buckets are resampled
    (the bucket bootstrap of experimentation platforms): 2,000 resamples of a million units
    take well under a second. Without buckets, units are resampled directly, in chunks.
    The p-value is the two-sided bootstrap p-value of a zero difference, ``(b + 1) / (B + 1)``
    with ``b`` the resamples on the far side of zero (never exactly 0; Davison & Hinkley 1997, 4.2).

    References
    ----------
    Efron, B. (1987). Better bootstrap confidence intervals. *JASA* 82, 171-185. Davison, A. C. &
    Hinkley, D. V. (1997). *Bootstrap Methods and their Application*, ch. 4-5.
    """
    c, t = _clean(control, "control"), _clean(treatment, "treatment")
    if method not in ("auto", "percentile", "bca"):
        raise ValueError(f"method must be 'auto', 'percentile' or 'bca', got {method!r}")
    _check_confidence(confidence)
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be at least 100, got {n_resamples}")
    rng = np.random.default_rng(seed)
    use_buckets = buckets if buckets is not None else (1000 if max(len(c), len(t)) > 50_000 else 0)

    def resampled_means(x: np.ndarray) -> np.ndarray:
        if use_buckets:
            k = min(use_buckets, len(x))
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

    diffs = resampled_means(t) - resampled_means(c)
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


# ---------------------------------------------------------------------------------- CUPED
def cuped(
    y_control: Sequence[float],
    x_control: Sequence[float],
    y_treatment: Sequence[float],
    x_treatment: Sequence[float],
    *,
    confidence: float = 0.95,
) -> EffectResult:
    """CUPED (Deng et al. 2013): adjust each unit's metric by its pre-period covariate,
    ``y - theta (x - mean x)`` with ``theta = cov(y, x) / var(x)`` pooled over both arms, then
    Welch's test on the adjusted values. ``extra`` reports theta and the variance reduction.
    """
    yc, xc = _clean(y_control, "y_control"), _clean(x_control, "x_control")
    yt, xt = _clean(y_treatment, "y_treatment"), _clean(x_treatment, "x_treatment")
    if len(yc) != len(xc) or len(yt) != len(xt):
        raise ValueError("each metric needs its covariate for the same units")
    y, x = np.concatenate([yc, yt]), np.concatenate([xc, xt])
    var_x = x.var(ddof=1)
    theta = float(np.cov(y, x, ddof=1)[0, 1] / var_x) if var_x > 0 else 0.0
    mx = x.mean()
    adj_c, adj_t = yc - theta * (xc - mx), yt - theta * (xt - mx)
    res = welch_test(adj_c, adj_t, confidence=confidence)
    raw_var = yc.var(ddof=1) / len(yc) + yt.var(ddof=1) / len(yt)
    adj_var = adj_c.var(ddof=1) / len(adj_c) + adj_t.var(ddof=1) / len(adj_t)
    extra = {
        "theta": theta,
        "variance_reduction": float(1 - adj_var / raw_var) if raw_var > 0 else 0.0,
        "correlation": float(np.corrcoef(y, x)[0, 1]) if var_x > 0 else 0.0,
    }
    return EffectResult(
        res.estimate,
        res.ci_low,
        res.ci_high,
        res.p_value,
        res.n_control,
        res.n_treatment,
        "CUPED + Welch t-test",
        float(yc.mean()),
        float(yt.mean()),
        confidence,
        extra,
    )


def balance_check(x_control: Sequence[float], x_treatment: Sequence[float]) -> dict[str, float]:
    """Pre-period balance: standardized mean difference and Welch p-value of a covariate."""
    c, t = _clean(x_control, "control"), _clean(x_treatment, "treatment")
    pooled = np.sqrt((c.var(ddof=1) + t.var(ddof=1)) / 2)
    smd = float((t.mean() - c.mean()) / pooled) if pooled > 0 else 0.0
    return {
        "mean_control": float(c.mean()),
        "mean_treatment": float(t.mean()),
        "smd": smd,
        "p_value": float(stats.ttest_ind(t, c, equal_var=False).pvalue),
    }


# ------------------------------------------------------------------------------ sequential
def _msprt_log_lambda(xc, nc, xt, nt, tau: float) -> np.ndarray:
    """Log of the mSPRT mixture likelihood ratio, elementwise (any array shape)."""
    pc, pt = xc / nc, xt / nt
    d = pt - pc
    v = pc * (1 - pc) + pt * (1 - pt)
    n = 2 / (1 / nc + 1 / nt)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * np.log(v / (v + n * tau**2)) + n**2 * tau**2 * d**2 / (2 * v * (v + n * tau**2))
    return np.where(v > 0, out, 0.0)


def msprt_proportions(
    x_control: Sequence[int],
    n_control: Sequence[int],
    x_treatment: Sequence[int],
    n_treatment: Sequence[int],
    *,
    tau: float = 0.05,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Always-valid inference for a difference of rates under continuous monitoring:
    the mixture sequential probability ratio test (Johari, Pekelis & Walsh 2017) with a
    normal mixture N(0, tau^2) over the difference.

    Inputs are cumulative counts at each look. At a look with ``n`` units per arm (harmonic
    mean of the arms) and difference ``d``, with per-pair variance ``V = p_c q_c + p_t q_t``,
    ``Lambda = sqrt(V / (V + n tau^2)) exp(n^2 tau^2 d^2 / (2 V (V + n tau^2)))``. The
    always-valid p-value is the running minimum of ``1 / Lambda``; stopping when it falls
    below ``alpha`` keeps the type-I error at most ``alpha`` however often one looks.

    Returns a frame per look: ``look, n_control, n_treatment, difference, z_p_value``
    (the naive fixed-horizon p-value of :func:`two_proportions`, the pooled z, as if each look
    were the last), ``always_valid_p``, ``reject``.
    """
    xc, nc, xt, nt = (np.asarray(a, dtype=float) for a in (x_control, n_control, x_treatment, n_treatment))
    if not (len(xc) == len(nc) == len(xt) == len(nt)):
        raise ValueError("the four count sequences must have one entry per look")
    if (nc <= 0).any() or (nt <= 0).any() or (xc > nc).any() or (xt > nt).any() or (xc < 0).any() or (xt < 0).any():
        raise ValueError("counts must satisfy 0 <= successes <= n and n > 0 at every look")
    d = xt / nt - xc / nc
    log_lambda = _msprt_log_lambda(xc, nc, xt, nt, tau)
    naive = 2 * stats.norm.sf(np.abs(_score_z_diff(xt, nt, xc, nc, 0.0)))  # the pooled z of two_proportions
    always_valid = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lambda)))
    return pd.DataFrame(
        {
            "look": np.arange(1, len(d) + 1),
            "n_control": nc.astype(int),
            "n_treatment": nt.astype(int),
            "difference": d,
            "z_p_value": naive,
            "always_valid_p": always_valid,
            "reject": always_valid < alpha,
        }
    )


# ------------------------------------------------------------------------- multiple testing
def adjust_pvalues(p_values: Sequence[float], method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Adjusted p-values over a declared family: ``holm`` (family-wise error) or ``fdr_bh``
    (Benjamini-Hochberg false discovery rate), via statsmodels.
    """
    p = np.asarray(p_values, dtype=float)
    if ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise ValueError("p-values must lie in [0, 1]")
    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method=method)
    return pd.DataFrame({"p_value": p, "p_adjusted": adjusted, "reject": reject})


def segment_effects(
    frame: pd.DataFrame,
    segment: str,
    *,
    arm: str = "variant",
    successes: str,
    trials: str,
    method: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Heterogeneous effects: for each segment level, the treatment effect on the rate
    ``successes / trials`` inside the level (score interval, :func:`two_proportions`) and in
    the rest, and a test of the treatment-by-segment interaction, with p-values adjusted over
    the levels.

    The interaction test is the Wald test of ``treatment x in_level`` in the saturated linear
    model ``rate ~ treatment * in_level`` fitted by least squares weighted by ``trials``, with
    an HC2 robust covariance (statsmodels); its coefficient is the difference between the effect
    inside the level and in the rest (``difference_vs_rest``).

    ``frame`` holds one row per randomization unit with ``arm`` in {"control", "treatment"}.

    References
    ----------
    Gelman & Hill (2007), *Data Analysis Using Regression and Multilevel/Hierarchical Models*, 9.5;
    MacKinnon & White (1985), *J. Econometrics* 29, 305-325 (HC2).
    """
    if method not in ("holm", "fdr_bh", "bonferroni"):
        raise ValueError(f"method must be 'holm', 'fdr_bh' or 'bonferroni', got {method!r}")
    rows = []
    data = frame[frame[trials] > 0]
    treated = (data[arm] == "treatment").to_numpy(float)
    rate = (data[successes] / data[trials]).to_numpy(float)
    weights = data[trials].to_numpy(float)
    for level in sorted(data[segment].dropna().unique()):
        inside = (data[segment] == level).to_numpy()
        parts = {}
        for name, mask in (("in", inside), ("rest", ~inside)):
            g = data[mask].groupby(arm)[[successes, trials]].sum()
            if not {"control", "treatment"} <= set(g.index) or (g[trials] == 0).any():
                parts[name] = None
                continue
            parts[name] = two_proportions(
                int(g.loc["control", successes]),
                int(g.loc["control", trials]),
                int(g.loc["treatment", successes]),
                int(g.loc["treatment", trials]),
            )
        if parts["in"] is None or parts["rest"] is None:
            continue
        design = np.column_stack([np.ones(len(rate)), treated, inside, treated * inside])
        fit = sm.WLS(rate, design, weights=weights).fit(cov_type="HC2")
        rows.append(
            {
                "segment": segment,
                "level": level,
                "effect": parts["in"].estimate,
                "ci_low": parts["in"].ci_low,
                "ci_high": parts["in"].ci_high,
                "effect_rest": parts["rest"].estimate,
                "difference_vs_rest": float(fit.params[3]),
                "interaction_se": float(fit.bse[3]),
                "p_value": float(fit.pvalues[3]),
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        adj = adjust_pvalues(out.p_value, method=method, alpha=alpha)
        out["p_adjusted"], out["heterogeneous"] = adj.p_adjusted.to_numpy(), adj.reject.to_numpy()
    return out


def non_inferiority(
    result: EffectResult, margin: float, *, higher_is_better: bool = True, alpha: float | None = None
) -> dict:
    """Guardrail verdict: is the treatment no worse than ``margin`` (in the metric's units)?

    One convention, the readout's: the result's own two-sided ``confidence`` interval (95% by
    default) is compared with the margin. ``passed`` when the interval's worse end lies inside
    the margin (e.g. ``ci_low > -margin`` when higher is better). This is the one-sided test of
    ``H0: difference <= -margin`` at level ``(1 - confidence) / 2``; its p-value is reported as
    ``p_value`` and ``passed == (p_value < (1 - confidence) / 2)``. ``failed`` when the whole
    interval lies on the harmful side of zero (the readout's two-sided test shows harm);
    ``inconclusive`` otherwise.

    For a :func:`two_proportions` result the one-sided p-value is the score test of the shifted
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
        Largest tolerated harm (its absolute value is used).
    higher_is_better : bool
        Direction of the metric.
    alpha : float, optional
        Must equal ``1 - result.confidence`` if given (kept for callers that pass it).

    References
    ----------
    Schuirmann (1987), *J. Pharmacokinet. Biopharm.* 15, 657-680 (interval inclusion);
    EMA CPMP/EWP/482/99 (2000), *Points to consider on switching between superiority and
    non-inferiority*: a two-sided 95% interval against the margin.
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
    x = result.extra
    if "x_control" in x and "x_treatment" in x:
        # The score statistic at the margin (restricted MLE in closed form), the same statistic the
        # interval inverts, so ``passed == (p < level / 2)`` always. (statsmodels 0.15's
        # test_proportions_2indep(value != 0) has a wrong restricted MLE for unequal arms,
        # statsmodels issue #10269.)
        z = float(_score_z_diff(x["x_treatment"], result.n_treatment, x["x_control"], result.n_control, -sign * m))
        p = float(stats.norm.sf(z) if higher_is_better else stats.norm.cdf(z))
    else:
        se = x.get("se") or (result.ci_high - result.ci_low) / (2 * _Z(1 - level / 2))
        p = float(stats.norm.sf(sign * (result.estimate + sign * m) / se)) if se > 0 else 0.0
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


# -------------------------------------------------------------------------------- Bayesian
def bayesian_proportions(
    x_control: int,
    n_control: int,
    x_treatment: int,
    n_treatment: int,
    *,
    prior: tuple[float, float] = (1.0, 1.0),
    draws: int = 200_000,
    seed: int = 0,
) -> dict:
    """Beta-binomial readout: posterior of each arm, P(treatment > control), and the expected
    loss (in rate units) of shipping each arm, by Monte Carlo with a fixed seed.
    """
    _check_counts(x_control, n_control, "control")
    _check_counts(x_treatment, n_treatment, "treatment")
    a, b = prior
    rng = np.random.default_rng(seed)
    pc = rng.beta(a + x_control, b + n_control - x_control, draws)
    pt = rng.beta(a + x_treatment, b + n_treatment - x_treatment, draws)
    diff = pt - pc
    return {
        "posterior_control": (a + x_control, b + n_control - x_control),
        "posterior_treatment": (a + x_treatment, b + n_treatment - x_treatment),
        "prob_treatment_better": float((diff > 0).mean()),
        "expected_loss_ship_treatment": float(np.maximum(-diff, 0).mean()),
        "expected_loss_keep_control": float(np.maximum(diff, 0).mean()),
        "credible_interval": [float(np.quantile(diff, 0.025)), float(np.quantile(diff, 0.975))],
    }


# ----------------------------------------------------------------------------- calibration
def binomial_rate(successes: int, trials: int, *, confidence: float = 0.99) -> dict:
    """A simulated rate with its Wilson interval (default 99%, for calibration checks)."""
    lo, hi = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return {"estimate": successes / trials, "ci_low": float(lo), "ci_high": float(hi), "confidence": confidence}


def calibration_study(
    *,
    n_sims: int = 10_000,
    n_per_arm: int = 5000,
    p_control: float = 0.2,
    lift: float = 0.0,
    looks: int = 20,
    gs_looks: int = 5,
    alpha: float = 0.05,
    tau: float = 0.05,
    spending: str = "obrien-fleming",
    seed: int = 0,
    confidence: float = 0.99,
) -> dict:
    """Simulated experiments with a known truth, to check the tests' error rates (vectorized).

    Each of ``n_sims`` experiments has ``n_per_arm`` users per arm, accruing in ``looks``
    equal batches. Every look uses the same statistic as :func:`two_proportions` (the pooled z,
    i.e. the score test at zero). Reported, each with its ``confidence`` (99%) Wilson interval:
    ``rejection_rate`` (fixed-horizon test at the end: false-positive rate when ``lift = 0``,
    power otherwise); ``ci_coverage`` of the score interval of the difference (by test
    inversion: the interval covers the truth exactly when the score test of the true difference
    does not reject); ``relative_ci_coverage`` of the score interval of the ratio; the share
    rejected by a naive test at any of the ``looks`` (``peeking_rejection_rate``); by the mSPRT
    at any look (``sequential_rejection_rate``); and by the Lan-DeMets group-sequential design
    with ``gs_looks`` equally spaced looks (``group_sequential_rejection_rate``).
    """
    from .sequential import group_sequential_design

    if n_sims < 1 or n_per_arm < looks or looks < 1 or not 1 <= gs_looks <= looks:
        raise ValueError("need n_sims >= 1, 1 <= gs_looks <= looks <= n_per_arm")
    p_t = p_control + lift
    if not (0 < p_control < 1 and 0 < p_t < 1):
        raise ValueError("p_control and p_control + lift must lie strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    batch = np.full(looks, n_per_arm // looks)
    batch[: n_per_arm - batch.sum()] += 1
    xc = np.cumsum(rng.binomial(batch, p_control, size=(n_sims, looks)), axis=1).astype(float)
    xt = np.cumsum(rng.binomial(batch, p_t, size=(n_sims, looks)), axis=1).astype(float)
    n = np.cumsum(batch).astype(float)
    z = _score_z_diff(xt, n, xc, n, 0.0)
    z_crit = _Z(1 - alpha / 2)
    end_reject = np.abs(z[:, -1]) > z_crit
    covered = np.abs(_score_z_diff(xt[:, -1], n_per_arm, xc[:, -1], n_per_arm, lift)) <= z_crit
    with np.errstate(divide="ignore"):
        rel_covered = (
            np.abs(_score_z_ratio(xt[:, -1], n_per_arm, xc[:, -1], n_per_arm, np.log(p_t / p_control))) <= z_crit
        )
    peek_reject = (np.abs(z) > z_crit).any(axis=1)
    always_valid = np.minimum.accumulate(np.minimum(1.0, np.exp(-_msprt_log_lambda(xc, n, xt, n, tau))), axis=1)
    seq_reject = (always_valid < alpha).any(axis=1)
    at = np.unique(np.clip(np.round(np.arange(1, gs_looks + 1) * looks / gs_looks).astype(int) - 1, 0, looks - 1))
    design = group_sequential_design(information_fractions=n[at] / n[-1], alpha=alpha, spending=spending)
    gs_reject = (np.abs(z[:, at]) >= np.asarray(design.boundaries)).any(axis=1)
    out = {
        "n_sims": n_sims,
        "n_per_arm": n_per_arm,
        "p_control": p_control,
        "lift": lift,
        "looks": looks,
        "gs_looks": len(at),
        "alpha": alpha,
        "confidence": confidence,
        "group_sequential_design": {
            "spending": spending,
            "information_fractions": list(design.information_fractions),
            "boundaries": list(design.boundaries),
        },
    }
    for name, values in (
        ("rejection_rate", end_reject),
        ("ci_coverage", covered),
        ("relative_ci_coverage", rel_covered),
        ("peeking_rejection_rate", peek_reject),
        ("sequential_rejection_rate", seq_reject),
        ("group_sequential_rejection_rate", gs_reject),
    ):
        out[name] = binomial_rate(int(np.sum(values)), n_sims, confidence=confidence)
    return out


# ------------------------------------------------------------------------- data shaping
def experiment_units(
    sessions: pd.DataFrame, assignments: pd.DataFrame, pre_period: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per randomized user: variant, and their sessions from assignment on.

    Columns: ``user_id, variant, sessions, purchases, carts, abandoned, revenue, converted``
    (1 if any purchase), the user's ``income_level``, ``gender`` and ``age``, and, with a
    pre-period table, ``pre_sessions`` and ``pre_purchases``.
    """
    required = {"user_id", "variant", "assigned_at"}
    if not required <= set(assignments.columns):
        raise ValueError(f"assignments need columns {sorted(required)}")
    joined = sessions.merge(assignments, on="user_id", how="inner")
    joined = joined[joined["purchase_date"] >= joined["assigned_at"]]
    joined = joined.assign(
        revenue=(joined["price"] * (1 - joined["discount_applied"] / 100.0)).where(
            joined["purchase_decision"] == 1, 0.0
        )
    )
    g = joined.groupby("user_id", sort=True)
    units = pd.DataFrame(
        {
            "variant": g["variant"].first(),
            "sessions": g.size(),
            "purchases": g["purchase_decision"].sum(),
            "carts": g["add_to_cart"].sum(),
            "abandoned": g["abandoned_cart"].sum(),
            "revenue": g["revenue"].sum(),
            "income_level": g["income_level"].first(),
            "gender": g["gender"].first(),
            "age": g["age"].first(),
        }
    )
    units["converted"] = (units["purchases"] > 0).astype(int)
    units["one"] = 1
    if pre_period is not None:
        units = units.join(pre_period.set_index("user_id")[["pre_sessions", "pre_purchases"]], how="left")
    return units.reset_index()


def daily_looks(sessions: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Cumulative users and converted users per arm at the end of each day of the experiment
    (the data a team sees if it checks the dashboard daily).
    """
    joined = sessions.merge(assignments, on="user_id", how="inner")
    joined = joined[joined["purchase_date"] >= joined["assigned_at"]]
    first_buy = joined[joined["purchase_decision"] == 1].groupby("user_id")["purchase_date"].min()
    a = assignments.set_index("user_id")
    days = pd.date_range(a["assigned_at"].min().normalize(), sessions["purchase_date"].max().normalize(), freq="D")
    rows = []
    for day in days:
        end = day + pd.Timedelta(days=1)
        assigned = a[a["assigned_at"] < end]
        bought = first_buy[first_buy < end]
        row = {"day": day.strftime("%Y-%m-%d")}
        for arm in ("control", "treatment"):
            users = assigned.index[assigned["variant"] == arm]
            row[f"n_{arm}"] = len(users)
            row[f"x_{arm}"] = int(bought.index.isin(users).sum())
        rows.append(row)
    return pd.DataFrame(rows)
