"""Calibration study of the experiment statistics: simulated experiments with a known truth,
10,000 per check by default, vectorized over the simulations.

Each check reports the simulated rate with its 99% Wilson interval and the nominal value the
rate should equal; ``consistent`` says whether that interval contains the nominal value.
Checks: A/A false-positive rate; coverage of the score intervals of the absolute and
relative lift (including a low base rate, 2% -> 3% at 1,000 users per arm); delta-method
coverage of a ratio metric with users randomized; CUPED coverage; BCa bootstrap coverage;
the group-sequential design's type-I error and power against the design's computed values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from . import experiments as ex
from .sequential import crossing_probabilities

__all__ = ["ratio_coverage", "cuped_coverage", "bootstrap_coverage", "group_sequential_power", "calibration_checks"]


def _row(check: str, hits: np.ndarray, nominal: float, setting: str, confidence: float) -> dict:
    r = ex.binomial_rate(int(np.sum(hits)), len(hits), confidence=confidence)
    return {
        "check": check,
        "estimate": r["estimate"],
        "ci_low": r["ci_low"],
        "ci_high": r["ci_high"],
        "nominal": nominal,
        "consistent": bool(r["ci_low"] <= nominal <= r["ci_high"]),
        "n_sims": len(hits),
        "setting": setting,
    }


def ratio_coverage(n_sims: int = 10_000, n_users: int = 400, *, alpha: float = 0.05, seed: int = 0) -> np.ndarray:
    """Per simulation, whether the delta-method interval of a difference of ratio metrics
    (purchases / sessions, users randomized, each user's sessions correlated through a
    user-level rate) covers the true difference 0 (A/A).
    """
    rng = np.random.default_rng(seed)
    out = np.empty(n_sims, dtype=bool)
    z = stats.norm.isf(alpha / 2)
    for start in range(0, n_sims, 2000):
        m = min(2000, n_sims - start)
        ratio, var = [], []
        for _arm in range(2):
            sessions = 1 + rng.poisson(2.0, (m, n_users))
            rate = rng.beta(2, 8, (m, n_users))
            purchases = rng.binomial(sessions, rate)
            mx, my = purchases.mean(1), sessions.mean(1)
            r = mx / my
            sxx, syy = purchases.var(1, ddof=1), sessions.var(1, ddof=1)
            sxy = ((purchases - mx[:, None]) * (sessions - my[:, None])).sum(1) / (n_users - 1)
            ratio.append(r)
            var.append((sxx - 2 * r * sxy + r**2 * syy) / (n_users * my**2))
        diff, se = ratio[1] - ratio[0], np.sqrt(var[0] + var[1])
        out[start : start + m] = np.abs(diff) <= z * se
    return out


def cuped_coverage(
    n_sims: int = 10_000,
    n_per_arm: int = 300,
    *,
    effect: float = 0.1,
    rho: float = 0.7,
    alpha: float = 0.05,
    seed: int = 0,
) -> np.ndarray:
    """Per simulation, whether the CUPED + Welch interval (:func:`experiments.cuped`, pooled
    theta) covers the true effect.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n_sims, 2, n_per_arm))
    y = rho * x + rng.normal(0, np.sqrt(1 - rho**2), x.shape)
    y[:, 1] += effect
    xa, ya = x.reshape(n_sims, -1), y.reshape(n_sims, -1)
    xm, ym = xa.mean(1, keepdims=True), ya.mean(1, keepdims=True)
    theta = ((xa - xm) * (ya - ym)).sum(1) / ((xa - xm) ** 2).sum(1)
    adj = y - theta[:, None, None] * (x - xm[:, :, None])
    mean, var = adj.mean(2), adj.var(2, ddof=1) / n_per_arm
    diff, se2 = mean[:, 1] - mean[:, 0], var.sum(1)
    df = se2**2 / (var[:, 0] ** 2 / (n_per_arm - 1) + var[:, 1] ** 2 / (n_per_arm - 1))
    return np.abs(diff - effect) <= stats.t.isf(alpha / 2, df) * np.sqrt(se2)


def bootstrap_coverage(
    n_sims: int = 10_000, n_per_arm: int = 100, *, n_resamples: int = 400, alpha: float = 0.05, seed: int = 0
) -> np.ndarray:
    """Per simulation, whether the BCa bootstrap interval of a difference of means
    (:func:`experiments.bootstrap_mean_difference` with ``method="bca"``) covers the truth, on
    skewed metrics (gamma with shape 4, skewness 1) with different means in the two arms.
    Measured over 10,000 simulations: about 94.3% (94.0% and 94.6% with two seeds), slightly
    below 95%; on heavier skew (exponential, skewness 2) every bootstrap interval, percentile or
    BCa, covers about 94%: a small-sample limit of the bootstrap that BCa does not remove.
    """
    rng = np.random.default_rng(seed)
    out = np.empty(n_sims, dtype=bool)
    mean_c, mean_t = 1.0, 1.5
    for i in range(n_sims):
        c, t = rng.gamma(4.0, mean_c / 4, n_per_arm), rng.gamma(4.0, mean_t / 4, n_per_arm)
        diffs = t[rng.integers(0, n_per_arm, (n_resamples, n_per_arm))].mean(1) - c[
            rng.integers(0, n_per_arm, (n_resamples, n_per_arm))
        ].mean(1)
        lo, hi = ex._bca_limits(diffs, t.mean() - c.mean(), c, t, 1 - alpha)
        out[i] = lo <= mean_t - mean_c <= hi
    return out


def group_sequential_power(study: dict) -> float:
    """Power of the study's group-sequential design at its lift, in the normal approximation
    (pooled z: drift ``lift / se_1`` and boundaries scaled by ``se_0 / se_1``).
    """
    n, pc = study["n_per_arm"], study["p_control"]
    pt = pc + study["lift"]
    pbar = (pc + pt) / 2
    se0, se1 = np.sqrt(2 * pbar * (1 - pbar) / n), np.sqrt((pc * (1 - pc) + pt * (1 - pt)) / n)
    d = study["group_sequential_design"]
    b = np.asarray(d["boundaries"]) * se0 / se1
    return float(crossing_probabilities(b, d["information_fractions"], study["lift"] / se1).sum())


def calibration_checks(
    n_sims: int = 10_000,
    *,
    seed: int = 0,
    alpha: float = 0.05,
    confidence: float = 0.99,
    bootstrap_sims: int | None = None,
) -> pd.DataFrame:
    """Every calibration check, one row each: ``check, estimate, ci_low, ci_high`` (the
    ``confidence`` Wilson interval of the simulated rate), ``nominal``, ``consistent`` (the
    interval contains the nominal value), ``n_sims`` and ``setting``. The bootstrap check (the
    slowest, about 1 s per 1,000 simulations) runs ``bootstrap_sims`` simulations (default
    ``n_sims``; 0 skips it).
    """
    if n_sims < 100:
        raise ValueError(f"n_sims must be at least 100, got {n_sims}")
    aa = ex.calibration_study(n_sims=n_sims, lift=0.0, alpha=alpha, seed=seed, confidence=confidence)
    ab = ex.calibration_study(n_sims=n_sims, lift=0.02, alpha=alpha, seed=seed + 1, confidence=confidence)
    low = ex.calibration_study(
        n_sims=n_sims,
        n_per_arm=1000,
        p_control=0.02,
        lift=0.01,
        looks=1,
        gs_looks=1,
        alpha=alpha,
        seed=seed + 2,
        confidence=confidence,
    )
    base = f"{aa['n_per_arm']:,} users per arm, control rate {aa['p_control']:.0%}"
    gs = f"{aa['gs_looks']} equally spaced looks, Lan-DeMets O'Brien-Fleming-type spending"
    rows = []
    for name, study, key, nominal, setting in (
        ("A/A false-positive rate (pooled z, fixed horizon)", aa, "rejection_rate", alpha, base),
        ("coverage of the absolute lift (score interval)", ab, "ci_coverage", 1 - alpha, base + ", lift +2 pp"),
        (
            "coverage of the relative lift (score interval)",
            ab,
            "relative_ci_coverage",
            1 - alpha,
            base + ", lift +2 pp",
        ),
        (
            "coverage of the relative lift, low base rate",
            low,
            "relative_ci_coverage",
            1 - alpha,
            "1,000 users per arm, 2% -> 3%",
        ),
        ("group-sequential type-I error", aa, "group_sequential_rejection_rate", alpha, base + "; " + gs),
    ):
        r = study[key]
        rows.append(
            {
                "check": name,
                "estimate": r["estimate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "nominal": nominal,
                "consistent": bool(r["ci_low"] <= nominal <= r["ci_high"]),
                "n_sims": n_sims,
                "setting": setting,
            }
        )
    r = ab["group_sequential_rejection_rate"]
    power = group_sequential_power(ab)
    rows.append(
        {
            "check": "group-sequential power (vs design)",
            "estimate": r["estimate"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
            "nominal": power,
            "consistent": bool(r["ci_low"] <= power <= r["ci_high"]),
            "n_sims": n_sims,
            "setting": base + ", lift +2 pp; " + gs,
        }
    )
    rows.append(
        _row(
            "coverage of a ratio metric (delta method)",
            ratio_coverage(n_sims, alpha=alpha, seed=seed + 3),
            1 - alpha,
            "A/A, 400 users per arm, purchases / sessions",
            confidence,
        )
    )
    rows.append(
        _row(
            "coverage of CUPED + Welch",
            cuped_coverage(n_sims, alpha=alpha, seed=seed + 4),
            1 - alpha,
            "300 per arm, correlation 0.7 with the covariate",
            confidence,
        )
    )
    b_sims = n_sims if bootstrap_sims is None else bootstrap_sims
    if b_sims:
        rows.append(
            _row(
                "coverage of the BCa bootstrap",
                bootstrap_coverage(b_sims, alpha=alpha, seed=seed + 5),
                1 - alpha,
                "100 per arm, gamma (shape 4) means 1.0 vs 1.5, 400 resamples",
                confidence,
            )
        )
    return pd.DataFrame(rows)
