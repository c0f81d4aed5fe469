"""A/B test statistics: design, validity checks, effect estimates, variance reduction, sequential
monitoring, multiple testing, guardrails and a Bayesian readout.

Every function returns a result object with the estimate, its confidence interval, the
p-value and the sizes of the arms. statsmodels and scipy do the computing wherever they
already compute the thing; the rest (delta method for ratio metrics, CUPED, mSPRT, bucket
bootstrap) is implemented here and tested against simulation and published values.
Arms are "control" (A) and "treatment" (B); differences are treatment minus control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from .metrics import rate_difference

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
def sample_size_proportions(p_control: float, mde: float, *, alpha: float = 0.05, power: float = 0.8,
                            ratio: float = 1.0, alternative: str = "two-sided") -> tuple[int, int]:
    """Users per arm to detect an absolute change ``mde`` of a rate ``p_control``.

    Normal approximation with unpooled variances: ``n_c = (z_a + z_b)^2 (p_c q_c + p_t q_t / r) / mde^2``
    with ``n_t = r n_c`` (``ratio`` r). Returns ``(n_control, n_treatment)``, rounded up.
    Reference: Chow, Shao & Wang (2008), *Sample Size Calculations in Clinical Research*, 4.2.
    """
    p_t = p_control + mde
    if not (0 < p_control < 1 and 0 < p_t < 1) or mde == 0:
        raise ValueError("p_control and p_control + mde must lie strictly between 0 and 1, and mde must not be 0")
    if ratio <= 0:
        raise ValueError("ratio must be positive")
    z = _z_alpha(alpha, alternative) + _Z(power)
    n_c = z**2 * (p_control * (1 - p_control) + p_t * (1 - p_t) / ratio) / mde**2
    n_c = int(np.ceil(n_c - 1e-9))
    return n_c, int(np.ceil(ratio * n_c - 1e-9))


def power_proportions(p_control: float, mde: float, n_control: int, *, alpha: float = 0.05, ratio: float = 1.0,
                      alternative: str = "two-sided") -> float:
    """Power of the unpooled normal test for an absolute change ``mde`` (inverse of the above)."""
    p_t = p_control + mde
    se = np.sqrt(p_control * (1 - p_control) / n_control + p_t * (1 - p_t) / (ratio * n_control))
    return float(stats.norm.cdf(abs(mde) / se - _z_alpha(alpha, alternative)))


def mde_proportions(p_control: float, n_control: int, *, alpha: float = 0.05, power: float = 0.8,
                    ratio: float = 1.0, alternative: str = "two-sided") -> float:
    """Smallest absolute increase of ``p_control`` detectable with ``n_control`` users in control."""
    f = lambda d: power_proportions(p_control, d, n_control, alpha=alpha, ratio=ratio, alternative=alternative) - power
    return float(optimize.brentq(f, 1e-9, 1 - p_control - 1e-9))


def sample_size_means(sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
                      alternative: str = "two-sided") -> tuple[int, int]:
    """Units per arm to detect a difference ``mde`` of means with standard deviation ``sd``
    (two-sample t-test power from :class:`statsmodels.stats.power.TTestIndPower`)."""
    if sd <= 0 or mde == 0:
        raise ValueError("sd must be positive and mde non-zero")
    alt = {"two-sided": "two-sided", "larger": "larger", "smaller": "smaller"}[alternative]
    n1 = TTestIndPower().solve_power(effect_size=abs(mde) / sd, alpha=alpha, power=power, ratio=ratio,
                                     alternative="larger" if alt != "two-sided" else alt)
    n1 = int(np.ceil(n1 - 1e-9))
    return n1, int(np.ceil(ratio * n1 - 1e-9))


def mde_means(sd: float, n_control: int, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0,
              alternative: str = "two-sided") -> float:
    """Smallest detectable difference of means with ``n_control`` units in control."""
    d = TTestIndPower().solve_power(nobs1=n_control, alpha=alpha, power=power, ratio=ratio,
                                    alternative="larger" if alternative != "two-sided" else "two-sided")
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


def srm_check(n_control: int, n_treatment: int, expected_share_treatment: float = 0.5,
              threshold: float = 0.001) -> SRMResult:
    """Sample-ratio-mismatch check: chi-square goodness of fit of the arm sizes to the design,
    flagged at ``p < threshold`` (0.001, as large experimentation platforms do)."""
    _check_counts(n_treatment, n_control + n_treatment, "srm_check")
    total = n_control + n_treatment
    expected = [total * (1 - expected_share_treatment), total * expected_share_treatment]
    chi2, p = stats.chisquare([n_control, n_treatment], expected)
    return SRMResult(int(n_control), int(n_treatment), expected_share_treatment, n_treatment / total, float(chi2),
                     float(p), threshold)


# ------------------------------------------------------------------------------ proportions
def two_proportions(x_control: int, n_control: int, x_treatment: int, n_treatment: int, *,
                    confidence: float = 0.95) -> EffectResult:
    """Two-proportion comparison.

    - p-value: pooled two-sided z-test (:func:`statsmodels.stats.proportion.proportions_ztest`);
    - interval for the difference: Newcombe's hybrid score interval;
    - ``extra``: relative lift with a delta-method interval, Cohen's h, and the number needed
      to treat (1 / difference) with its interval when the difference interval excludes 0.
    """
    _check_counts(x_control, n_control, "control")
    _check_counts(x_treatment, n_treatment, "treatment")
    p_c, p_t = x_control / n_control, x_treatment / n_treatment
    if x_control + x_treatment in (0, n_control + n_treatment):
        p_value = 1.0
    else:
        p_value = float(proportions_ztest([x_treatment, x_control], [n_treatment, n_control])[1])
    interval = rate_difference(x_treatment, n_treatment, x_control, n_control, confidence)
    lo, hi = interval.ci_low, interval.ci_high
    z = _Z(0.5 + confidence / 2)
    extra: dict = {"cohens_h": float(proportion_effectsize(p_t, p_c))}
    if p_c > 0:
        lift = p_t / p_c - 1
        var_log = (1 - p_t) / max(x_treatment, 1e-12) + (1 - p_c) / x_control  # delta method for log(p_t/p_c)
        se_lift = (p_t / p_c) * np.sqrt(var_log)
        extra.update(relative_lift=lift, relative_ci_low=lift - z * se_lift, relative_ci_high=lift + z * se_lift)
    diff = p_t - p_c
    if diff != 0:
        extra["nnt"] = 1 / diff
        if lo > 0 or hi < 0:
            extra["nnt_ci"] = sorted([1 / hi, 1 / lo])
    return EffectResult(float(diff), float(lo), float(hi), p_value, int(n_control), int(n_treatment),
                        "z-test (pooled); Newcombe CI; delta-method relative lift", p_c, p_t, confidence, extra)


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


def ratio_metric(num_control: Sequence[float], den_control: Sequence[float], num_treatment: Sequence[float],
                 den_treatment: Sequence[float], *, confidence: float = 0.95) -> EffectResult:
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
    return EffectResult(float(diff), float(diff - z * se), float(diff + z * se), p, len(arrays[0]), len(arrays[2]),
                        "delta method (ratio of means)", r_c, r_t, confidence,
                        {"se": float(se), "relative_lift": float(rel), "relative_ci_low": float(rel - z * se_rel),
                         "relative_ci_high": float(rel + z * se_rel)})


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
    return EffectResult(float(t.mean() - c.mean()), float(ci.low), float(ci.high), float(res.pvalue), len(c), len(t),
                        "Welch t-test", float(c.mean()), float(t.mean()), confidence, {"df": float(res.df)})


def bootstrap_mean_difference(control: Sequence[float], treatment: Sequence[float], *, n_resamples: int = 2000,
                              confidence: float = 0.95, seed: int = 0, buckets: int | None = None) -> EffectResult:
    """Percentile bootstrap interval for the difference of means, vectorized.

    With ``buckets`` (default: 1,000 when an arm has more than 50,000 units, else none), units
    are first dealt at random into that many buckets per arm and the buckets are resampled
    (the bucket bootstrap of experimentation platforms): 2,000 resamples of a million units
    take well under a second. Without buckets, units are resampled directly, in chunks.
    The p-value is the two-sided bootstrap p-value of a zero difference.
    """
    c, t = _clean(control, "control"), _clean(treatment, "treatment")
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
    a = (1 - confidence) / 2
    lo, hi = np.quantile(diffs, [a, 1 - a])
    p = float(min(1.0, 2 * min((diffs <= 0).mean(), (diffs >= 0).mean())))
    method = f"percentile bootstrap ({n_resamples} resamples" + (f", {use_buckets} buckets)" if use_buckets else ")")
    return EffectResult(float(t.mean() - c.mean()), float(lo), float(hi), p, len(c), len(t), method,
                        float(c.mean()), float(t.mean()), confidence)


# ---------------------------------------------------------------------------------- CUPED
def cuped(y_control: Sequence[float], x_control: Sequence[float], y_treatment: Sequence[float],
          x_treatment: Sequence[float], *, confidence: float = 0.95) -> EffectResult:
    """CUPED (Deng et al. 2013): adjust each unit's metric by its pre-period covariate,
    ``y - theta (x - mean x)`` with ``theta = cov(y, x) / var(x)`` pooled over both arms, then
    Welch's test on the adjusted values. ``extra`` reports theta and the variance reduction."""
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
    extra = {"theta": theta, "variance_reduction": float(1 - adj_var / raw_var) if raw_var > 0 else 0.0,
             "correlation": float(np.corrcoef(y, x)[0, 1]) if var_x > 0 else 0.0}
    return EffectResult(res.estimate, res.ci_low, res.ci_high, res.p_value, res.n_control, res.n_treatment,
                        "CUPED + Welch t-test", float(yc.mean()), float(yt.mean()), confidence, extra)


def balance_check(x_control: Sequence[float], x_treatment: Sequence[float]) -> dict[str, float]:
    """Pre-period balance: standardized mean difference and Welch p-value of a covariate."""
    c, t = _clean(x_control, "control"), _clean(x_treatment, "treatment")
    pooled = np.sqrt((c.var(ddof=1) + t.var(ddof=1)) / 2)
    smd = float((t.mean() - c.mean()) / pooled) if pooled > 0 else 0.0
    return {"mean_control": float(c.mean()), "mean_treatment": float(t.mean()), "smd": smd,
            "p_value": float(stats.ttest_ind(t, c, equal_var=False).pvalue)}


# ------------------------------------------------------------------------------ sequential
def msprt_proportions(x_control: Sequence[int], n_control: Sequence[int], x_treatment: Sequence[int],
                      n_treatment: Sequence[int], *, tau: float = 0.05, alpha: float = 0.05) -> pd.DataFrame:
    """Always-valid inference for a difference of rates under continuous monitoring:
    the mixture sequential probability ratio test (Johari, Pekelis & Walsh 2017) with a
    normal mixture N(0, tau^2) over the difference.

    Inputs are cumulative counts at each look. At a look with ``n`` units per arm (harmonic
    mean of the arms) and difference ``d``, with per-pair variance ``V = p_c q_c + p_t q_t``,
    ``Lambda = sqrt(V / (V + n tau^2)) exp(n^2 tau^2 d^2 / (2 V (V + n tau^2)))``. The
    always-valid p-value is the running minimum of ``1 / Lambda``; stopping when it falls
    below ``alpha`` keeps the type-I error at most ``alpha`` however often one looks.

    Returns a frame per look: ``look, n_control, n_treatment, difference, z_p_value``
    (the naive fixed-horizon p-value), ``always_valid_p``, ``reject``.
    """
    xc, nc, xt, nt = (np.asarray(a, dtype=float) for a in (x_control, n_control, x_treatment, n_treatment))
    if not (len(xc) == len(nc) == len(xt) == len(nt)):
        raise ValueError("the four count sequences must have one entry per look")
    if (nc <= 0).any() or (nt <= 0).any() or (xc > nc).any() or (xt > nt).any() or (xc < 0).any() or (xt < 0).any():
        raise ValueError("counts must satisfy 0 <= successes <= n and n > 0 at every look")
    pc, pt = xc / nc, xt / nt
    d = pt - pc
    v = pc * (1 - pc) + pt * (1 - pt)
    n = 2 / (1 / nc + 1 / nt)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_lambda = 0.5 * np.log(v / (v + n * tau**2)) + n**2 * tau**2 * d**2 / (2 * v * (v + n * tau**2))
        log_lambda = np.where(v > 0, log_lambda, 0.0)
        se = np.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
        naive = np.where(se > 0, 2 * stats.norm.sf(np.abs(d) / np.where(se > 0, se, 1)), 1.0)
    always_valid = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lambda)))
    return pd.DataFrame({"look": np.arange(1, len(d) + 1), "n_control": nc.astype(int), "n_treatment": nt.astype(int),
                         "difference": d, "z_p_value": naive, "always_valid_p": always_valid,
                         "reject": always_valid < alpha})


# ------------------------------------------------------------------------- multiple testing
def adjust_pvalues(p_values: Sequence[float], method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Adjusted p-values over a declared family: ``holm`` (family-wise error) or ``fdr_bh``
    (Benjamini-Hochberg false discovery rate), via statsmodels."""
    p = np.asarray(p_values, dtype=float)
    if ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise ValueError("p-values must lie in [0, 1]")
    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method=method)
    return pd.DataFrame({"p_value": p, "p_adjusted": adjusted, "reject": reject})


def segment_effects(frame: pd.DataFrame, segment: str, *, arm: str = "variant", successes: str, trials: str,
                    method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Heterogeneous effects: for each segment level, the treatment effect on the rate
    ``successes / trials`` inside the level and in the rest, and a z-test that they differ
    (segment vs rest), with p-values adjusted over the levels.

    ``frame`` holds one row per randomization unit with ``arm`` in {"control", "treatment"}.
    """
    rows = []
    for level in sorted(frame[segment].dropna().unique()):
        inside = frame[segment] == level
        parts = {}
        for name, mask in (("in", inside), ("rest", ~inside)):
            g = frame[mask].groupby(arm)[[successes, trials]].sum()
            if not {"control", "treatment"} <= set(g.index) or (g[trials] == 0).any():
                parts[name] = None
                continue
            parts[name] = two_proportions(int(g.loc["control", successes]), int(g.loc["control", trials]),
                                          int(g.loc["treatment", successes]), int(g.loc["treatment", trials]))
        if parts["in"] is None or parts["rest"] is None:
            continue
        se_in = (parts["in"].ci_high - parts["in"].ci_low) / (2 * 1.959964)
        se_rest = (parts["rest"].ci_high - parts["rest"].ci_low) / (2 * 1.959964)
        diff = parts["in"].estimate - parts["rest"].estimate
        se = np.hypot(se_in, se_rest)
        rows.append({"segment": segment, "level": level, "effect": parts["in"].estimate,
                     "ci_low": parts["in"].ci_low, "ci_high": parts["in"].ci_high,
                     "effect_rest": parts["rest"].estimate, "difference_vs_rest": diff,
                     "p_value": float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else 1.0})
    out = pd.DataFrame(rows)
    if len(out):
        adj = adjust_pvalues(out.p_value, method=method, alpha=alpha)
        out["p_adjusted"], out["heterogeneous"] = adj.p_adjusted.to_numpy(), adj.reject.to_numpy()
    return out


def non_inferiority(result: EffectResult, margin: float, *, higher_is_better: bool = True,
                    alpha: float = 0.05) -> dict:
    """Guardrail verdict: is the treatment no worse than ``margin`` (in the metric's units)?

    One-sided test at level ``alpha`` from the result's normal interval: ``passed`` when the
    (1 - 2 alpha) interval's worse end stays inside the margin. The ``verdict`` is "passed",
    "failed" (harm shown: the whole interval lies on the harmful side of zero) or
    "inconclusive" (neither: too little data to rule out a harm larger than the margin).
    """
    z = _Z(1 - alpha)
    se = (result.ci_high - result.ci_low) / (2 * _Z(0.5 + result.confidence / 2))
    if higher_is_better:
        bound = result.estimate - z * se
        passed = bound > -abs(margin)
        p = float(stats.norm.sf((result.estimate + abs(margin)) / se)) if se > 0 else float(not passed)
    else:
        bound = result.estimate + z * se
        passed = bound < abs(margin)
        p = float(stats.norm.cdf((result.estimate - abs(margin)) / se)) if se > 0 else float(not passed)
    harmful = (result.estimate + z * se < 0) if higher_is_better else (result.estimate - z * se > 0)
    verdict = "passed" if passed else "failed" if harmful else "inconclusive"
    return {"estimate": result.estimate, "margin": abs(margin), "worst_plausible": float(bound), "p_value": p,
            "passed": bool(passed), "verdict": verdict, "higher_is_better": higher_is_better}


# -------------------------------------------------------------------------------- Bayesian
def bayesian_proportions(x_control: int, n_control: int, x_treatment: int, n_treatment: int, *,
                         prior: tuple[float, float] = (1.0, 1.0), draws: int = 200_000, seed: int = 0) -> dict:
    """Beta-binomial readout: posterior of each arm, P(treatment > control), and the expected
    loss (in rate units) of shipping each arm, by Monte Carlo with a fixed seed."""
    _check_counts(x_control, n_control, "control")
    _check_counts(x_treatment, n_treatment, "treatment")
    a, b = prior
    rng = np.random.default_rng(seed)
    pc = rng.beta(a + x_control, b + n_control - x_control, draws)
    pt = rng.beta(a + x_treatment, b + n_treatment - x_treatment, draws)
    diff = pt - pc
    return {"posterior_control": (a + x_control, b + n_control - x_control),
            "posterior_treatment": (a + x_treatment, b + n_treatment - x_treatment),
            "prob_treatment_better": float((diff > 0).mean()),
            "expected_loss_ship_treatment": float(np.maximum(-diff, 0).mean()),
            "expected_loss_keep_control": float(np.maximum(diff, 0).mean()),
            "credible_interval": [float(np.quantile(diff, 0.025)), float(np.quantile(diff, 0.975))]}


# ----------------------------------------------------------------------------- calibration
def calibration_study(*, n_sims: int = 2000, n_per_arm: int = 5000, p_control: float = 0.2,
                      lift: float = 0.0, looks: int = 20, alpha: float = 0.05, tau: float = 0.05,
                      seed: int = 0) -> dict:
    """Simulated experiments with a known truth, to check the tests' error rates.

    Each of ``n_sims`` experiments has ``n_per_arm`` users per arm, accruing in ``looks``
    equal batches. Reported: the share of experiments where the fixed-horizon z-test rejects
    at the end (false-positive rate when ``lift = 0``), the coverage of the Newcombe 95%
    interval of the true difference, the share where a naive test at any look rejects
    (peeking), and the share where the mSPRT ever rejects.
    """
    rng = np.random.default_rng(seed)
    p_t = p_control + lift
    batch = np.full(looks, n_per_arm // looks)
    batch[: n_per_arm - batch.sum()] += 1
    xc = np.cumsum(rng.binomial(batch, p_control, size=(n_sims, looks)), axis=1)
    xt = np.cumsum(rng.binomial(batch, p_t, size=(n_sims, looks)), axis=1)
    n = np.cumsum(batch)
    end_reject, covered, peek_reject, seq_reject = [], [], [], []
    for i in range(n_sims):
        r = two_proportions(int(xc[i, -1]), n_per_arm, int(xt[i, -1]), n_per_arm)
        end_reject.append(r.p_value < alpha)
        covered.append(r.ci_low <= lift <= r.ci_high)
        seq = msprt_proportions(xc[i], n, xt[i], n, tau=tau, alpha=alpha)
        peek_reject.append(bool((seq.z_p_value < alpha).any()))
        seq_reject.append(bool(seq.reject.any()))
    out = {"n_sims": n_sims, "n_per_arm": n_per_arm, "p_control": p_control, "lift": lift, "looks": looks,
           "alpha": alpha}
    for name, values in (("rejection_rate", end_reject), ("ci_coverage", covered),
                         ("peeking_rejection_rate", peek_reject), ("sequential_rejection_rate", seq_reject)):
        k = int(np.sum(values))
        lo, hi = stats.binomtest(k, n_sims).proportion_ci(0.95, method="wilson")
        out[name] = {"estimate": k / n_sims, "ci_low": float(lo), "ci_high": float(hi)}
    return out


# ------------------------------------------------------------------------- data shaping
def experiment_units(sessions: pd.DataFrame, assignments: pd.DataFrame,
                     pre_period: pd.DataFrame | None = None) -> pd.DataFrame:
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
    joined = joined.assign(revenue=(joined["price"] * (1 - joined["discount_applied"] / 100.0))
                           .where(joined["purchase_decision"] == 1, 0.0))
    g = joined.groupby("user_id", sort=True)
    units = pd.DataFrame({
        "variant": g["variant"].first(), "sessions": g.size(), "purchases": g["purchase_decision"].sum(),
        "carts": g["add_to_cart"].sum(), "abandoned": g["abandoned_cart"].sum(), "revenue": g["revenue"].sum(),
        "income_level": g["income_level"].first(), "gender": g["gender"].first(), "age": g["age"].first(),
    })
    units["converted"] = (units["purchases"] > 0).astype(int)
    units["one"] = 1
    if pre_period is not None:
        units = units.join(pre_period.set_index("user_id")[["pre_sessions", "pre_purchases"]], how="left")
    return units.reset_index()


def daily_looks(sessions: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Cumulative users and converted users per arm at the end of each day of the experiment
    (the data a team sees if it checks the dashboard daily)."""
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
            row[f"n_{arm}"] = int(len(users))
            row[f"x_{arm}"] = int(bought.index.isin(users).sum())
        rows.append(row)
    return pd.DataFrame(rows)
