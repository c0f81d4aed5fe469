"""Effects of a binary "treatment" from observational data: naive contrast, regression
adjustment, propensity-score matching with a balance table, and AIPW.

All estimators assume no unmeasured confounding given the covariates. On the simulator that
holds for discount offers (they are targeted on observed columns only), so the estimates can
be checked against the true effect; on real data they are only as good as that assumption.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from .metrics import rate_difference

__all__ = ["CausalEstimate", "design_matrix", "naive_difference", "regression_adjustment", "propensity_scores",
           "match_on_propensity", "balance_table", "aipw", "estimate_all", "overlap_note"]


@dataclass(frozen=True)
class CausalEstimate:
    """An effect estimate of the treatment on the outcome's mean (a rate for 0/1 outcomes)."""

    method: str
    estimand: str  # "ATE" (all units) or "ATT" (treated units)
    estimate: float
    ci_low: float
    ci_high: float
    n: int
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def design_matrix(frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str],
                  log: Sequence[str] = ()) -> pd.DataFrame:
    """Covariates as a float matrix: numeric (``log`` ones as log1p), categoricals one-hot
    with the first level dropped."""
    parts = []
    for col in numeric:
        x = frame[col].astype(float)
        parts.append((np.log1p(x) if col in log else x).rename(col))
    if categorical:
        parts.append(pd.get_dummies(frame[list(categorical)].astype(str), drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def naive_difference(y: np.ndarray, t: np.ndarray) -> CausalEstimate:
    """Treated minus untreated mean outcome (Newcombe interval for 0/1 outcomes)."""
    y, t = np.asarray(y, dtype=float), np.asarray(t).astype(bool)
    if set(np.unique(y)) <= {0.0, 1.0}:
        est = rate_difference(int(y[t].sum()), int(t.sum()), int(y[~t].sum()), int((~t).sum()))
        return CausalEstimate("naive difference", "ATE", est.estimate, est.ci_low, est.ci_high, len(y),
                              "no adjustment: treated and untreated groups differ before treatment")
    res = stats.ttest_ind(y[t], y[~t], equal_var=False)
    ci = res.confidence_interval()
    return CausalEstimate("naive difference", "ATE", float(y[t].mean() - y[~t].mean()), float(ci.low), float(ci.high),
                          len(y))


def regression_adjustment(y: np.ndarray, t: np.ndarray, X: pd.DataFrame) -> CausalEstimate:
    """Lin's (2013) estimator: OLS of the outcome on the treatment, the centered covariates and
    their interactions with the treatment; the treatment coefficient is the ATE, with an HC2
    robust interval."""
    t = np.asarray(t, dtype=float)
    Xc = X - X.mean()
    # A covariate constant within an arm (no overlap, e.g. no cheap item is ever "expensive")
    # makes its interaction collinear with the treatment: keep its main effect only, and say so.
    treated = t.astype(bool)
    no_overlap = [c for c in X.columns if X[c][treated].nunique() < 2 or X[c][~treated].nunique() < 2]
    inter = Xc.drop(columns=no_overlap).mul(t, axis=0).add_prefix("t_x_")
    design = sm.add_constant(pd.concat([pd.Series(t, index=X.index, name="treatment"), Xc, inter], axis=1))
    fit = sm.OLS(np.asarray(y, dtype=float), design).fit(cov_type="HC2")
    lo, hi = fit.conf_int().loc["treatment"]
    note = f"no overlap in {', '.join(no_overlap)}: interaction dropped" if no_overlap else ""
    return CausalEstimate("regression adjustment (Lin)", "ATE", float(fit.params["treatment"]), float(lo), float(hi),
                          len(t), note)


def propensity_scores(t: np.ndarray, X: pd.DataFrame, clip: float = 0.01) -> np.ndarray:
    """P(treatment | covariates) from a standardized logistic regression, clipped to [clip, 1 - clip]."""
    Z = (X - X.mean()) / X.std(ddof=0).replace(0, 1)
    model = LogisticRegression(max_iter=5000, C=1e6).fit(Z, np.asarray(t).astype(int))
    return np.clip(model.predict_proba(Z)[:, 1], clip, 1 - clip)


def overlap_note(e: np.ndarray, bounds: tuple[float, float] = (0.05, 0.95), tolerated: float = 0.05) -> str:
    """A warning when many propensity scores lie near 0 or 1 (limited overlap), else ''."""
    share = float(((e < bounds[0]) | (e > bounds[1])).mean())
    if share <= tolerated:
        return ""
    return (f"limited overlap: {share:.0%} of units have a propensity score outside [{bounds[0]}, {bounds[1]}], "
            "so the estimate leans on extrapolation")


def balance_table(X: pd.DataFrame, t: np.ndarray, weights: np.ndarray | None = None) -> pd.Series:
    """Standardized mean differences (treated - control) of each covariate, optionally weighted
    (the denominator is the unweighted pooled standard deviation)."""
    t = np.asarray(t).astype(bool)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    pooled = np.sqrt((X[t].var(ddof=1) + X[~t].var(ddof=1)) / 2).replace(0, np.nan)
    m1 = (X[t].mul(w[t], axis=0)).sum() / w[t].sum()
    m0 = (X[~t].mul(w[~t], axis=0)).sum() / w[~t].sum()
    return ((m1 - m0) / pooled).fillna(0.0)


def match_on_propensity(y: np.ndarray, t: np.ndarray, X: pd.DataFrame, *, caliper: float = 0.2,
                        n_boot: int = 100, seed: int = 0) -> tuple[CausalEstimate, pd.DataFrame]:
    """1:1 nearest-neighbour matching (with replacement) of treated units to controls on the
    logit of the propensity score, within ``caliper`` standard deviations of it.

    Returns the ATT estimate, with a bootstrap interval that re-estimates the propensity
    score and the matching in each resample, and a balance table of standardized mean
    differences before and after matching.
    """
    y, t = np.asarray(y, dtype=float), np.asarray(t).astype(bool)

    def estimate(idx: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, int]:
        yy, tt, XX = y[idx], t[idx], X.iloc[idx].reset_index(drop=True)
        logit = np.log(propensity_scores(tt, XX) / (1 - propensity_scores(tt, XX)))
        nn = NearestNeighbors(n_neighbors=1).fit(logit[~tt].reshape(-1, 1))
        dist, pos = nn.kneighbors(logit[tt].reshape(-1, 1))
        ok = dist[:, 0] <= caliper * logit.std()
        treated_idx = np.flatnonzero(tt)[ok]
        control_idx = np.flatnonzero(~tt)[pos[ok, 0]]
        return float(yy[treated_idx].mean() - yy[control_idx].mean()), treated_idx, control_idx, int((~ok).sum())

    att, treated_idx, control_idx, dropped = estimate(np.arange(len(y)))
    rng = np.random.default_rng(seed)
    boots = [estimate(rng.integers(0, len(y), len(y)))[0] for _ in range(n_boot)]
    lo, hi = np.quantile(boots, [0.025, 0.975])
    matched = np.zeros(len(y))
    np.add.at(matched, treated_idx, 1.0)
    np.add.at(matched, control_idx, 1.0)
    table = pd.DataFrame({"smd_before": balance_table(X, t), "smd_after": balance_table(X, t, weights=matched)})
    notes = [f"{dropped} treated units without a control within the caliper were dropped" if dropped else "",
             overlap_note(propensity_scores(t, X))]
    note = "; ".join(n for n in notes if n)
    return CausalEstimate("propensity-score matching", "ATT", att, float(lo), float(hi), len(treated_idx), note), table


def aipw(y: np.ndarray, t: np.ndarray, X: pd.DataFrame) -> CausalEstimate:
    """Augmented inverse-probability weighting (doubly robust) ATE with its influence-function
    interval. Outcome models: a logistic (0/1 outcome) or linear regression per arm."""
    y, t = np.asarray(y, dtype=float), np.asarray(t).astype(bool)
    e = propensity_scores(t, X)
    Z = (X - X.mean()) / X.std(ddof=0).replace(0, 1)
    binary = set(np.unique(y)) <= {0.0, 1.0}
    mu = {}
    for arm in (True, False):
        mask = t == arm
        if binary:
            model = LogisticRegression(max_iter=5000, C=1e6).fit(Z[mask], y[mask].astype(int))
            mu[arm] = model.predict_proba(Z)[:, 1]
        else:
            fit = sm.OLS(y[mask], sm.add_constant(Z[mask], has_constant="add")).fit()
            mu[arm] = fit.predict(sm.add_constant(Z, has_constant="add"))
    psi = mu[True] - mu[False] + t * (y - mu[True]) / e - (~t) * (y - mu[False]) / (1 - e)
    est, se = float(psi.mean()), float(psi.std(ddof=1) / np.sqrt(len(psi)))
    return CausalEstimate("AIPW (doubly robust)", "ATE", est, est - 1.959964 * se, est + 1.959964 * se, len(y),
                          overlap_note(e))


def estimate_all(frame: pd.DataFrame, outcome: str, treatment: np.ndarray, numeric: Sequence[str],
                 categorical: Sequence[str], log: Sequence[str] = (), *, n_boot: int = 100,
                 seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Naive, regression adjustment, matching and AIPW for one treatment; a tidy table of the
    estimates and the matching balance table."""
    X = design_matrix(frame, numeric, categorical, log)
    y = frame[outcome].to_numpy(float)
    t = np.asarray(treatment).astype(bool)
    match, balance = match_on_propensity(y, t, X, n_boot=n_boot, seed=seed)
    rows = [naive_difference(y, t), regression_adjustment(y, t, X), match, aipw(y, t, X)]
    return pd.DataFrame([r.to_dict() for r in rows]), balance
