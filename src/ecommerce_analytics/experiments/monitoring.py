"""Continuous monitoring of a difference of rates: the mixture sequential probability ratio test."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..stats.score import score_z_difference
from ..stats.validation import check_alpha, check_positive

__all__ = ["msprt_proportions"]


def _msprt_log_lambda(xc, nc, xt, nt, tau: float) -> np.ndarray:
    """Log of the mSPRT mixture likelihood ratio, elementwise (any array shape)."""
    pc, pt = xc / nc, xt / nt
    d = pt - pc
    v = pc * (1 - pc) + pt * (1 - pt)
    n = 2 / (1 / nc + 1 / nt)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 0.5 * np.log(v / (v + n * tau**2)) + n**2 * tau**2 * d**2 / (2 * v * (v + n * tau**2))
    return np.where(v > 0, out, 0.0)


def always_valid_p(xc, nc, xt, nt, tau: float) -> np.ndarray:
    """Always-valid p-values of the mSPRT: running minimum over the looks (last axis) of ``min(1, 1 / Lambda)``.

    Parameters
    ----------
    xc, nc, xt, nt : ndarray
        Cumulative successes and units per arm; looks along the last axis.
    tau : float
        Standard deviation of the mixing distribution.

    Returns
    -------
    ndarray
        Same shape as the counts.
    """
    return np.minimum.accumulate(np.minimum(1.0, np.exp(-_msprt_log_lambda(xc, nc, xt, nt, tau))), axis=-1)


def msprt_proportions(
    x_control: Sequence[int],
    n_control: Sequence[int],
    x_treatment: Sequence[int],
    n_treatment: Sequence[int],
    *,
    tau: float = 0.05,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Always-valid inference for a difference of rates under continuous monitoring (mSPRT).

    The mixture sequential probability ratio test with a normal mixture N(0, tau^2) over the
    difference. Inputs are cumulative counts at each look. At a look with ``n`` units per arm
    (harmonic mean of the arms) and difference ``d``, with per-pair variance
    ``V = p_c q_c + p_t q_t``,
    ``Lambda = sqrt(V / (V + n tau^2)) exp(n^2 tau^2 d^2 / (2 V (V + n tau^2)))``. The
    always-valid p-value is the running minimum of ``1 / Lambda``; stopping when it falls
    below ``alpha`` keeps the type-I error at most ``alpha`` however often one looks.

    Parameters
    ----------
    x_control, n_control, x_treatment, n_treatment : sequence of int
        Cumulative successes and units per arm, one entry per look.
    tau : float, default 0.05
        Standard deviation of the mixing distribution (> 0), on the scale of the difference.
    alpha : float, default 0.05
        Level of ``reject``.

    Returns
    -------
    DataFrame
        Per look: ``look, n_control, n_treatment, difference, z_p_value`` (the naive
        fixed-horizon p-value of :func:`.two_proportions`, the pooled z, as if each look were the
        last), ``always_valid_p``, ``reject``.

    References
    ----------
    Johari, R., Pekelis, L. & Walsh, D. (2015). Always valid inference: bringing sequential
    analysis to A/B testing. arXiv:1512.04922. Johari, R., Koomen, P., Pekelis, L. & Walsh, D.
    (2022). Always valid inference: continuous monitoring of A/B tests. *Operations Research* 70,
    1806-1821.

    Examples
    --------
    >>> f = msprt_proportions([50, 100], [500, 1000], [80, 170], [500, 1000])
    >>> f["reject"].tolist()
    [False, True]
    """
    check_alpha(alpha)
    check_positive(tau, "tau")
    xc, nc, xt, nt = (np.asarray(a, dtype=float) for a in (x_control, n_control, x_treatment, n_treatment))
    if not (len(xc) == len(nc) == len(xt) == len(nt)):
        raise ValueError("the four count sequences must have one entry per look")
    if (nc <= 0).any() or (nt <= 0).any() or (xc > nc).any() or (xt > nt).any() or (xc < 0).any() or (xt < 0).any():
        raise ValueError("counts must satisfy 0 <= successes <= n and n > 0 at every look")
    d = xt / nt - xc / nc
    naive = 2 * stats.norm.sf(np.abs(score_z_difference(xt, nt, xc, nc, 0.0)))  # the pooled z of two_proportions
    valid = always_valid_p(xc, nc, xt, nt, tau)
    return pd.DataFrame(
        {
            "look": np.arange(1, len(d) + 1),
            "n_control": nc.astype(int),
            "n_treatment": nt.astype(int),
            "difference": d,
            "z_p_value": naive,
            "always_valid_p": valid,
            "reject": valid < alpha,
        }
    )
