"""Calibration study: simulated experiments with a known truth, to check the tests' error rates."""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..sequential import SPENDING_FUNCTIONS, group_sequential_design
from ..stats.intervals import z_critical
from ..stats.score import score_z_difference, score_z_ratio
from ..stats.validation import check_alpha, check_choice, check_open_unit, check_positive, resolve_confidence
from .monitoring import always_valid_p

__all__ = ["binomial_rate", "calibration_study"]


def binomial_rate(successes: int, trials: int, *, confidence: float | None = None, alpha: float = 0.01) -> dict:
    """A simulated rate with its Wilson interval (99% by default, for calibration checks).

    Parameters
    ----------
    successes, trials : int
        Simulations that hit, and simulations (``0 <= successes <= trials``, ``trials >= 1``).
    confidence : float, optional
        Confidence level (kept for compatibility; default ``1 - alpha``).
    alpha : float, default 0.01
        Significance level of the Wilson interval.

    Returns
    -------
    dict
        ``estimate, ci_low, ci_high, confidence``.

    Examples
    --------
    >>> r = binomial_rate(50, 1000)
    >>> r["estimate"], r["confidence"]
    (0.05, 0.99)
    """
    _, confidence = resolve_confidence(alpha, confidence, default_alpha=0.01)
    lo, hi = stats.binomtest(int(successes), int(trials)).proportion_ci(confidence, method="wilson")
    return {"estimate": successes / trials, "ci_low": float(lo), "ci_high": float(hi), "confidence": confidence}


def _check_study(n_sims: int, n_per_arm: int, looks: int, gs_looks: int, p_control: float, lift: float) -> float:
    if n_sims < 1 or n_per_arm < looks or looks < 1 or not 1 <= gs_looks <= looks:
        raise ValueError(
            "n_sims, n_per_arm, looks and gs_looks must satisfy n_sims >= 1 and 1 <= gs_looks <= looks <= n_per_arm, "
            f"got n_sims={n_sims}, n_per_arm={n_per_arm}, looks={looks}, gs_looks={gs_looks}"
        )
    p_t = p_control + lift
    if not (0 < p_control < 1 and 0 < p_t < 1):
        raise ValueError("p_control and p_control + lift must lie strictly between 0 and 1")
    return p_t


def _simulate_counts(rng, n_sims: int, n_per_arm: int, looks: int, p_control: float, p_t: float):
    """Cumulative successes per arm at each look (n_sims x looks) and the units per arm at each look."""
    batch = np.full(looks, n_per_arm // looks)
    batch[: n_per_arm - batch.sum()] += 1
    xc = np.cumsum(rng.binomial(batch, p_control, size=(n_sims, looks)), axis=1).astype(float)
    xt = np.cumsum(rng.binomial(batch, p_t, size=(n_sims, looks)), axis=1).astype(float)
    return xc, xt, np.cumsum(batch).astype(float)


def _group_sequential_rejections(z: np.ndarray, n: np.ndarray, looks: int, gs_looks: int, alpha: float, spending: str):
    """Rejections by a Lan-DeMets design with ``gs_looks`` equally spaced looks among ``looks``."""
    at = np.unique(np.clip(np.round(np.arange(1, gs_looks + 1) * looks / gs_looks).astype(int) - 1, 0, looks - 1))
    design = group_sequential_design(information_fractions=n[at] / n[-1], alpha=alpha, spending=spending)
    return (np.abs(z[:, at]) >= np.asarray(design.boundaries)).any(axis=1), design, len(at)


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
    equal batches. Every look uses the same statistic as :func:`.two_proportions` (the pooled z,
    i.e. the score test at zero).

    Parameters
    ----------
    n_sims, n_per_arm : int
        Simulated experiments and users per arm.
    p_control, lift : float
        Control rate and true absolute lift.
    looks, gs_looks : int
        Looks of the naive peeking and mSPRT checks, and of the group-sequential design
        (``1 <= gs_looks <= looks <= n_per_arm``).
    alpha : float, default 0.05
        Level of every test.
    tau : float, default 0.05
        mSPRT mixing standard deviation.
    spending : str, default "obrien-fleming"
        Spending function of the group-sequential design (see :mod:`.sequential`).
    seed : int, default 0
        Seed of the simulation.
    confidence : float, default 0.99
        Confidence of the Wilson interval of each simulated rate (the study's own precision,
        not the tests' level).

    Returns
    -------
    dict
        The settings, the group-sequential design, and, each with its Wilson interval:
        ``rejection_rate`` (fixed-horizon test at the end: false-positive rate when ``lift = 0``,
        power otherwise); ``ci_coverage`` of the score interval of the difference (by test
        inversion: the interval covers the truth exactly when the score test of the true
        difference does not reject); ``relative_ci_coverage`` of the score interval of the
        ratio; the share rejected by a naive test at any of the ``looks``
        (``peeking_rejection_rate``); by the mSPRT at any look (``sequential_rejection_rate``);
        and by the Lan-DeMets design (``group_sequential_rejection_rate``).

    Examples
    --------
    >>> s = calibration_study(n_sims=200, n_per_arm=200, looks=4, gs_looks=2)
    >>> 0 <= s["rejection_rate"]["estimate"] <= 0.15
    True
    """
    check_alpha(alpha)
    check_open_unit(confidence, "confidence")
    check_positive(tau, "tau")
    check_choice(spending, "spending", SPENDING_FUNCTIONS)
    p_t = _check_study(n_sims, n_per_arm, looks, gs_looks, p_control, lift)
    rng = np.random.default_rng(seed)
    xc, xt, n = _simulate_counts(rng, n_sims, n_per_arm, looks, p_control, p_t)
    z = score_z_difference(xt, n, xc, n, 0.0)
    z_crit = z_critical(alpha)
    end_reject = np.abs(z[:, -1]) > z_crit
    covered = np.abs(score_z_difference(xt[:, -1], n_per_arm, xc[:, -1], n_per_arm, lift)) <= z_crit
    with np.errstate(divide="ignore"):
        rel_covered = (
            np.abs(score_z_ratio(xt[:, -1], n_per_arm, xc[:, -1], n_per_arm, np.log(p_t / p_control))) <= z_crit
        )
    peek_reject = (np.abs(z) > z_crit).any(axis=1)
    seq_reject = (always_valid_p(xc, n, xt, n, tau) < alpha).any(axis=1)
    gs_reject, design, n_gs = _group_sequential_rejections(z, n, looks, gs_looks, alpha, spending)
    out = {
        "n_sims": n_sims,
        "n_per_arm": n_per_arm,
        "p_control": p_control,
        "lift": lift,
        "looks": looks,
        "gs_looks": n_gs,
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
