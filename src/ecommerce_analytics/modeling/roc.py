"""ROC-AUC inference: DeLong intervals and tests, and a permutation test against chance."""

from __future__ import annotations

import sys

import numpy as np
from scipy import stats

from ..metrics import Estimate
from ._checks import check_alpha, target_and_scores

__all__ = ["auc_ci", "delong_test", "auc_permutation_test"]

#: Upper bound on the shuffled labels held in memory at once (``batch x rows`` cells: 2 MiB as
#: int8, 16 MiB as the float64 the product with the ranks needs).
_PERMUTATION_BATCH_CELLS = 1 << 21


def _batch_cells() -> int:
    """The batch bound in force: the package's ``_PERMUTATION_BATCH_CELLS`` (tests lower it there)."""
    package = sys.modules.get(__package__ or "")
    return int(getattr(package, "_PERMUTATION_BATCH_CELLS", _PERMUTATION_BATCH_CELLS))


def _midrank(x: np.ndarray) -> np.ndarray:
    """Mid-ranks (1-based, ties share their mean rank)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    ranks = np.empty(n)
    i = 0
    while i < n:
        j = i
        while j < n and xs[j] == xs[i]:
            j += 1
        ranks[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = ranks
    return out


def _delong_auc_var(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of each row of ``scores`` and their DeLong covariance (Sun & Xu 2014 algorithm)."""
    y = np.asarray(y).astype(bool)
    pos, neg = scores[:, y], scores[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    if m == 0 or n == 0:
        raise ValueError("AUC needs both classes")
    k = scores.shape[0]
    tx, ty, tz = np.empty((k, m)), np.empty((k, n)), np.empty((k, m + n))
    for r in range(k):
        tx[r], ty[r] = _midrank(pos[r]), _midrank(neg[r])
        tz[r] = _midrank(np.concatenate([pos[r], neg[r]]))
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    return aucs, sx / m + sy / n


def auc_ci(y: np.ndarray, p: np.ndarray, *, alpha: float = 0.05) -> Estimate:
    """ROC-AUC with a DeLong ``1 - alpha`` normal interval, clipped to [0, 1].

    Parameters
    ----------
    y : array-like
        Outcomes (both classes present): bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Scores.
    alpha : float
        One minus the confidence level.

    Returns
    -------
    Estimate
        The AUC, its interval, the rows and ``method="DeLong"``.

    References
    ----------
    DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44(3), 837-845.

    Examples
    --------
    >>> auc_ci(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])).estimate
    0.75
    """
    z = stats.norm.ppf(1 - check_alpha(alpha) / 2)
    y, p = target_and_scores(y, p)
    auc, var = _delong_auc_var(y, p[None, :])
    se = float(np.sqrt(var[0, 0]))
    return Estimate(
        float(auc[0]), float(max(auc[0] - z * se, 0.0)), float(min(auc[0] + z * se, 1.0)), len(y), "DeLong", 1 - alpha
    )


def delong_test(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray, *, alpha: float = 0.05) -> dict[str, float]:
    """DeLong's test for two correlated ROC-AUCs on the same rows.

    Parameters
    ----------
    y : array-like
        Outcomes (both classes present): bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p_a, p_b : array of float
        Scores of the two models on the same rows.
    alpha : float
        One minus the confidence level of the interval of the difference.

    Returns
    -------
    dict
        ``auc_a``, ``auc_b``, ``difference`` (a - b), its ``ci_low``/``ci_high``, the two-sided
        ``p_value`` and ``method``.

    References
    ----------
    DeLong, DeLong & Clarke-Pearson (1988), Biometrics 44(3), 837-845; Sun & Xu (2014), IEEE Signal
    Processing Letters 21(11), 1389-1393 (the fast algorithm).

    Examples
    --------
    >>> r = delong_test(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.1, 0.2, 0.8, 0.9]))
    >>> r["difference"], r["p_value"]
    (0.0, 1.0)
    """
    z = stats.norm.ppf(1 - check_alpha(alpha) / 2)
    y, p_a, p_b = target_and_scores(y, p_a, p_b)
    aucs, cov = _delong_auc_var(y, np.vstack([p_a, p_b]))
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = np.sqrt(max(var, 0.0))
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return {
        "auc_a": float(aucs[0]),
        "auc_b": float(aucs[1]),
        "difference": diff,
        "ci_low": diff - z * se,
        "ci_high": diff + z * se,
        "p_value": p,
        "method": "DeLong",
    }


def auc_permutation_test(y: np.ndarray, p: np.ndarray, *, n_permutations: int = 2000, seed: int = 0) -> dict:
    """One-sided permutation test of a held-out ROC-AUC against chance.

    H0: the scores carry no information about the labels; H1: the AUC is **greater** than
    under H0 (a model worse than chance is not evidence for H1). The labels are shuffled
    ``n_permutations`` (B) times; the AUC is the Mann-Whitney U of the positives over
    ``n1 * n0`` (ties count one half, by mid-ranks). The p-value is (b + 1) / (B + 1), with b
    the shuffles whose AUC is at least the observed one, so it is never 0.

    Memory is bounded: the shuffles are drawn in batches of at most
    ``_PERMUTATION_BATCH_CELLS`` label cells (about 16 MiB), whatever the number of rows; the draws
    are the same as drawing all shuffles at once, so the result does not depend on the batch.

    Parameters
    ----------
    y : array-like
        Held-out outcomes (both classes present): bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        The model's scores.
    n_permutations : int
        Label shuffles (at least 1).
    seed : int
        Seed of the shuffles.

    Returns
    -------
    dict
        ``auc``, ``p_value``, ``null_mean``, ``null_p97_5`` (97.5th percentile of the shuffled
        AUCs), ``n_permutations``, ``alternative`` (``"greater"``) and ``method``.

    References
    ----------
    Phipson & Smyth (2010), Permutation p-values should never be zero, Statistical Applications in
    Genetics and Molecular Biology 9(1).

    Examples
    --------
    >>> r = auc_permutation_test(np.array([0, 0, 0, 1, 1, 1]), np.arange(6.0), n_permutations=99)
    >>> r["auc"], r["p_value"] <= 0.1
    (1.0, True)
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise ValueError(f"n_permutations must be an integer of at least 1, got {n_permutations!r}")
    y, p = target_and_scores(y, p)
    ranks = stats.rankdata(p)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both classes")
    observed = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    rng = np.random.default_rng(seed)
    batch = max(1, _batch_cells() // max(len(y), 1))
    perm_auc = np.empty(n_permutations)
    labels = y.astype(np.int8)
    for start in range(0, n_permutations, batch):
        stop = min(start + batch, n_permutations)
        perms = np.empty((stop - start, len(y)), dtype=np.int8)
        for i in range(stop - start):
            perms[i] = rng.permutation(labels)
        perm_auc[start:stop] = (perms @ ranks - n1 * (n1 + 1) / 2) / (n1 * n0)
    return {
        "auc": float(observed),
        "p_value": float((1 + (perm_auc >= observed).sum()) / (1 + n_permutations)),
        "null_mean": float(perm_auc.mean()),
        "null_p97_5": float(np.quantile(perm_auc, 0.975)),
        "n_permutations": n_permutations,
        "alternative": "greater",
        "method": "label permutation, one-sided, p = (b + 1) / (B + 1)",
    }
