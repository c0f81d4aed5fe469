"""Multiple testing: adjusted p-values over a family, and heterogeneous effects by segment."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from ..stats.validation import check_alpha, check_choice
from .proportions import two_proportions

__all__ = ["adjust_pvalues", "segment_effects"]

ADJUSTMENTS = ("holm", "fdr_bh", "bonferroni")


def adjust_pvalues(p_values: Sequence[float], method: str = "holm", alpha: float = 0.05) -> pd.DataFrame:
    """Adjusted p-values over a declared family (statsmodels' ``multipletests``).

    Parameters
    ----------
    p_values : sequence of float
        The family's p-values, each in [0, 1].
    method : {"holm", "fdr_bh", "bonferroni"}
        Holm (family-wise error), Benjamini-Hochberg (false discovery rate) or Bonferroni.
    alpha : float, default 0.05
        Level of ``reject``.

    Returns
    -------
    DataFrame
        ``p_value, p_adjusted, reject``.

    References
    ----------
    Holm, S. (1979). *Scand. J. Statist.* 6, 65-70. Benjamini, Y. & Hochberg, Y. (1995).
    Controlling the false discovery rate. *JRSS B* 57, 289-300.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03])["p_adjusted"].round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    check_choice(method, "method", ADJUSTMENTS)
    check_alpha(alpha)
    p = np.asarray(p_values, dtype=float)
    if ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise ValueError("p-values must lie in [0, 1]")
    reject, adjusted, _, _ = multipletests(p, alpha=alpha, method=method)
    return pd.DataFrame({"p_value": p, "p_adjusted": adjusted, "reject": reject})


def _arm_effect(part: pd.DataFrame, arm: str, successes: str, trials: str, alpha: float):
    """:func:`two_proportions` on one part of the frame, or None without both arms."""
    g = part.groupby(arm)[[successes, trials]].sum()
    if not {"control", "treatment"} <= set(g.index) or (g[trials] == 0).any():
        return None
    return two_proportions(
        int(g.loc["control", successes]),
        int(g.loc["control", trials]),
        int(g.loc["treatment", successes]),
        int(g.loc["treatment", trials]),
        alpha=alpha,
    )


def _interaction(rate: np.ndarray, treated: np.ndarray, inside: np.ndarray, weights: np.ndarray):
    """Weighted least squares of ``rate ~ treated * inside`` with HC2 covariance: the interaction term."""
    design = np.column_stack([np.ones(len(rate)), treated, inside, treated * inside])
    fit = sm.WLS(rate, design, weights=weights).fit(cov_type="HC2")
    return float(fit.params[3]), float(fit.bse[3]), float(fit.pvalues[3])


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
    """Heterogeneous effects: the treatment effect inside each segment level and a test against the rest.

    For each level, the effect on the rate ``successes / trials`` inside the level (score
    interval, :func:`.two_proportions`) and in the rest, and a test of the treatment-by-segment
    interaction, with p-values adjusted over the levels. The interaction test is the Wald test
    of ``treatment x in_level`` in the saturated linear model ``rate ~ treatment * in_level``
    fitted by least squares weighted by ``trials``, with an HC2 robust covariance
    (statsmodels); its coefficient is the difference between the effect inside the level and
    in the rest (``difference_vs_rest``).

    Parameters
    ----------
    frame : DataFrame
        One row per randomization unit with ``arm`` in {"control", "treatment"}.
    segment : str
        The column of segment levels.
    arm, successes, trials : str
        Columns of the arm, the successes and the trials of each unit.
    method : {"holm", "fdr_bh", "bonferroni"}
        Adjustment of the interaction p-values over the levels.
    alpha : float, default 0.05
        Level of the effects' intervals and of ``heterogeneous``.

    Returns
    -------
    DataFrame
        ``segment, level, effect, ci_low, ci_high, effect_rest, difference_vs_rest,
        interaction_se, p_value, p_adjusted, heterogeneous``.

    References
    ----------
    Gelman & Hill (2007), *Data Analysis Using Regression and Multilevel/Hierarchical Models*, 9.5;
    MacKinnon & White (1985), *J. Econometrics* 29, 305-325 (HC2).
    """
    check_choice(method, "method", ADJUSTMENTS)
    check_alpha(alpha)
    rows = []
    data = frame[frame[trials] > 0]
    treated = (data[arm] == "treatment").to_numpy(float)
    rate = (data[successes] / data[trials]).to_numpy(float)
    weights = data[trials].to_numpy(float)
    for level in sorted(data[segment].dropna().unique()):
        inside = (data[segment] == level).to_numpy()
        effect_in = _arm_effect(data[inside], arm, successes, trials, alpha)
        effect_rest = _arm_effect(data[~inside], arm, successes, trials, alpha)
        if effect_in is None or effect_rest is None:
            continue
        coef, se, p = _interaction(rate, treated, inside, weights)
        rows.append(
            {
                "segment": segment,
                "level": level,
                "effect": effect_in.estimate,
                "ci_low": effect_in.ci_low,
                "ci_high": effect_in.ci_high,
                "effect_rest": effect_rest.estimate,
                "difference_vs_rest": coef,
                "interaction_se": se,
                "p_value": p,
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        adj = adjust_pvalues(out.p_value, method=method, alpha=alpha)
        out["p_adjusted"], out["heterogeneous"] = adj.p_adjusted.to_numpy(), adj.reject.to_numpy()
    return out
