"""Effects of a binary "treatment" from observational data, with overlap and balance checks.

Naive contrast, regression adjustment, inverse-probability weighting, augmented IPW (doubly
robust) and propensity-score matching, for the average effect (ATE) and the effect on the treated (ATT), with overlap
trimming, balance diagnostics and a rule for when a causal conclusion may be stated.

Standard errors of the regression, IPW and AIPW estimators are M-estimation (sandwich)
standard errors of the stacked estimating equations: the propensity model, the outcome models
and the effect are estimated together, so the uncertainty of the fitted nuisance models is
accounted for (the same estimator as Stata's ``teffects`` and
:class:`statsmodels.treatment.TreatmentEffect`). Matching uses the Abadie-Imbens (2006)
variance, never a naive bootstrap.

All estimators assume no unmeasured confounding given the covariates. On the simulator that
holds for discount offers (they are targeted on observed columns only), so the estimates can
be checked against the true effect; on real data they are only as good as that assumption.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from sklearn.neighbors import NearestNeighbors

from .stats.intervals import rate_difference, z_critical
from .stats.result import EstimateResult
from .stats.validation import check_alpha, check_choice, check_positive

__all__ = [
    "CausalEstimate",
    "TrimResult",
    "design_matrix",
    "naive_difference",
    "regression_adjustment",
    "propensity_scores",
    "crump_trim",
    "ipw",
    "aipw",
    "match_on_propensity",
    "balance_table",
    "balance_report",
    "causal_conclusion",
    "estimate_all",
    "overlap_note",
    "SMD_THRESHOLD",
]

SMD_THRESHOLD = 0.1  # |standardized mean difference| above which a covariate counts as imbalanced
_ESTIMANDS = ("ATE", "ATT")


@dataclass(frozen=True, init=False)
class CausalEstimate(EstimateResult):
    """An effect estimate of the treatment on the outcome's mean (a rate for 0/1 outcomes).

    Built as ``CausalEstimate(method, estimand, estimate, ci_low, ci_high, n, note="", se=nan,
    p_value=nan, trimmed=0, extra=None, alpha=0.05)``; a subclass of :class:`.stats.EstimateResult`
    whose ``to_dict()`` keeps its historical keys (without ``extra`` and ``alpha``).

    Attributes
    ----------
    method : str
        The estimator.
    estimand : str
        ``"ATE"`` (all units) or ``"ATT"`` (treated units).
    estimate, ci_low, ci_high : float
        The effect and its ``1 - alpha`` interval.
    n : int
        Units analyzed.
    note : str
        Trimming, overlap and other caveats.
    se, p_value : float
        Standard error and two-sided p-value (NaN where not computed).
    trimmed : int
        Units dropped by trimming.
    extra : dict
        Estimator-specific values (potential-outcome means...).
    alpha : float
        Significance level of the interval.

    Examples
    --------
    >>> r = CausalEstimate("IPW (Hajek)", "ATE", 0.05, 0.01, 0.09, 1000, se=0.02, p_value=0.01)
    >>> sorted(r.to_dict())[:3], r.summary().loc[0, "estimand"]
    (['ci_high', 'ci_low', 'estimand'], 'ATE')
    """

    estimand: str = "ATE"
    note: str = ""
    se: float = float("nan")
    trimmed: int = 0
    extra: dict = field(default_factory=dict)
    _dict_keys: ClassVar[tuple[str, ...]] = (
        "method",
        "estimand",
        "estimate",
        "ci_low",
        "ci_high",
        "n",
        "note",
        "se",
        "p_value",
        "trimmed",
    )

    def __init__(
        self,
        method: str,
        estimand: str,
        estimate: float,
        ci_low: float,
        ci_high: float,
        n: int,
        note: str = "",
        se: float = float("nan"),
        p_value: float = float("nan"),
        trimmed: int = 0,
        extra: dict | None = None,
        *,
        alpha: float = 0.05,
    ) -> None:
        self._set(
            estimate=estimate,
            ci_low=ci_low,
            ci_high=ci_high,
            p_value=p_value,
            n=n,
            method=method,
            alpha=alpha,
            estimand=estimand,
            note=note,
            se=se,
            trimmed=trimmed,
            extra={} if extra is None else extra,
        )


def _check_estimand(estimand: str) -> None:
    check_choice(estimand, "estimand", _ESTIMANDS)


def _check_alpha(alpha: float) -> None:
    check_alpha(alpha)


def _inputs(y, t, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    y, t = np.asarray(y, dtype=float), np.asarray(t)
    if len(y) != len(t) or len(y) != len(X):
        raise ValueError("y, t and X must have one entry per unit")
    if not np.isfinite(y).all():
        raise ValueError("y must be finite (no NaN)")
    t = t.astype(bool)
    if t.all() or not t.any():
        raise ValueError("t must contain both treated and untreated units")
    return y, t


def design_matrix(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str], log: Sequence[str] = ()
) -> pd.DataFrame:
    """Covariates as a float matrix: numeric (``log`` ones as log1p), categoricals one-hot.

    Parameters
    ----------
    frame : DataFrame
        One row per unit.
    numeric, categorical : sequence of str
        Numeric columns, and categorical columns (one-hot, first level dropped).
    log : sequence of str
        Numeric columns entered as ``log1p``.

    Returns
    -------
    DataFrame
        Float columns, one row per unit.

    Examples
    --------
    >>> f = pd.DataFrame({"x": [0.0, 1.0], "g": ["a", "b"]})
    >>> design_matrix(f, ["x"], ["g"]).columns.tolist()
    ['x', 'g_b']
    """
    parts = []
    for col in numeric:
        x = frame[col].astype(float)
        parts.append((np.log1p(x) if col in log else x).rename(col))
    if categorical:
        parts.append(pd.get_dummies(frame[list(categorical)].astype(str), drop_first=True, dtype=float))
    return pd.concat(parts, axis=1)


def _standardized(X: pd.DataFrame) -> np.ndarray:
    """Intercept plus the covariates standardized (conditioning only; estimates are invariant)."""
    Z = (X - X.mean()) / X.std(ddof=0).replace(0, 1)
    keep = X.std(ddof=0).to_numpy() > 0
    return np.column_stack([np.ones(len(X)), Z.to_numpy(float)[:, keep]])


def naive_difference(y: np.ndarray, t: np.ndarray, *, alpha: float = 0.05) -> CausalEstimate:
    """Treated minus untreated mean outcome (Newcombe interval for 0/1 outcomes, Welch otherwise).

    Parameters
    ----------
    y : array_like of float
        Outcome per unit.
    t : array_like of bool
        Treatment indicator per unit (both arms present).
    alpha : float, default 0.05
        Significance level of the interval.

    Returns
    -------
    CausalEstimate
        The unadjusted contrast (estimand labelled ATE; it is one only in a randomized design).

    Examples
    --------
    >>> r = naive_difference(np.array([1.0, 0.0, 1.0, 1.0]), np.array([0, 0, 1, 1]))
    >>> r.estimate
    0.5
    """
    _check_alpha(alpha)
    y, t = np.asarray(y, dtype=float), np.asarray(t).astype(bool)
    if len(y) != len(t):
        raise ValueError("y and t must have one entry per unit")
    if t.all() or not t.any():
        raise ValueError("t must contain both treated and untreated units")
    if set(np.unique(y)) <= {0.0, 1.0}:
        est = rate_difference(int(y[t].sum()), int(t.sum()), int(y[~t].sum()), int((~t).sum()), 1 - alpha)
        return CausalEstimate(
            "naive difference",
            "ATE",
            est.estimate,
            est.ci_low,
            est.ci_high,
            len(y),
            "no adjustment: treated and untreated groups differ before treatment",
            alpha=alpha,
        )
    res = stats.ttest_ind(y[t], y[~t], equal_var=False)
    ci = res.confidence_interval(1 - alpha)
    return CausalEstimate(
        "naive difference",
        "ATE",
        float(y[t].mean() - y[~t].mean()),
        float(ci.low),
        float(ci.high),
        len(y),
        p_value=float(res.pvalue),
        alpha=alpha,
    )


# ------------------------------------------------------------------------ M-estimation core
def _sandwich_effect(
    nuisance: list[tuple[np.ndarray, np.ndarray]],
    target: Callable[[np.ndarray, np.ndarray], np.ndarray],
    params_n: np.ndarray,
    mu: np.ndarray,
    contrast: np.ndarray,
) -> float:
    """Standard error of ``contrast @ mu`` for stacked estimating equations.

    ``nuisance``: per nuisance model, ``(score_obs (n x k), mean Jacobian (k x k))`` at its
    estimate; the models' parameters are concatenated in ``params_n``. ``target(params_n, mu)``
    returns the ``n x m`` target moments. The Jacobian of the target moments is taken by
    central differences; the influence function of ``mu`` is
    ``-A_tt^{-1} (psi_t + A_tn IF_n)`` with ``IF_n = -A_nn^{-1} psi_n`` (block by block), and the
    variance is its mean square over n (Stefanski & Boos 2002).
    """
    psi_t = target(params_n, mu)
    n = psi_t.shape[0]
    if_n = [-np.linalg.solve(jac, score.T).T for score, jac in nuisance]
    if_n = np.column_stack(if_n) if if_n else np.zeros((n, 0))

    def mean_target(pn, m):
        return target(pn, m).mean(axis=0)

    def jac(f, x):
        cols = []
        for j in range(len(x)):
            h = 1e-6 * max(1.0, abs(x[j]))
            up, dn = x.copy(), x.copy()
            up[j] += h
            dn[j] -= h
            cols.append((f(up) - f(dn)) / (2 * h))
        return np.column_stack(cols) if cols else np.zeros((len(mu), 0))

    A_tn = jac(lambda pn: mean_target(pn, mu), params_n.astype(float))
    A_tt = jac(lambda m: mean_target(params_n, m), mu.astype(float))
    if_t = -np.linalg.solve(A_tt, (psi_t + if_n @ A_tn.T).T).T
    infl = if_t @ contrast
    return float(np.sqrt(np.sum(infl**2)) / n)


def _fit_propensity(t: np.ndarray, P: np.ndarray, link: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logit/probit propensity model by maximum likelihood (statsmodels).

    Returns the parameters, the per-unit scores and the mean Hessian.
    """
    model = (sm.Logit if link == "logit" else sm.Probit)(t.astype(float), P)
    with warnings.catch_warnings():  # convergence is checked below, with a clear message
        warnings.simplefilter("ignore")
        res = model.fit(disp=0, method="newton", maxiter=200)
    if not res.mle_retvals.get("converged", True):
        raise ValueError(
            "the propensity model did not converge (separation: some covariate pattern is always or "
            "never treated); trim (trim='crump') or coarsen the covariates"
        )
    params = np.asarray(res.params)
    return params, model.score_obs(params), model.hessian(params) / len(t)


def _propensity(params: np.ndarray, P: np.ndarray, link: str) -> np.ndarray:
    eta = P @ params
    return 1 / (1 + np.exp(-eta)) if link == "logit" else stats.norm.cdf(eta)


def _check_link(link: str) -> None:
    check_choice(link, "link", ("logit", "probit"))


def propensity_scores(t: np.ndarray, X: pd.DataFrame, *, link: str = "logit", screening: bool = False) -> np.ndarray:
    """P(treatment | covariates) from a maximum-likelihood logistic (or probit) regression.

    No clipping: extreme scores are handled by an explicit, reported trimming rule
    (:func:`crump_trim`).

    Parameters
    ----------
    t : array_like of bool
        Treatment indicator per unit.
    X : DataFrame
        Covariates (see :func:`design_matrix`), standardized internally.
    link : {"logit", "probit"}
        Link of the propensity model.
    screening : bool, default False
        Fit a (barely) L2-penalized logistic regression instead (scikit-learn, C = 1e6), which
        stays finite under separation (a covariate pattern never or always treated): used only
        to find the units to trim, before the maximum-likelihood fit on the rest.

    Returns
    -------
    ndarray
        The propensity score of each unit.
    """
    _check_link(link)
    P = _standardized(X)
    t = np.asarray(t).astype(bool)
    if screening:
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(C=1e6, max_iter=5000, fit_intercept=False).fit(P, t.astype(int))
        return np.clip(model.predict_proba(P)[:, 1], 1e-12, 1 - 1e-12)  # only to avoid exact 0/1 in the trimming rule
    params, _, _ = _fit_propensity(t, P, link)
    return _propensity(params, P, link)


@dataclass(frozen=True)
class TrimResult:
    """Units kept by an overlap trimming rule."""

    keep: np.ndarray
    threshold: float
    rule: str

    @property
    def dropped(self) -> int:
        """Units trimmed."""
        return int((~self.keep).sum())

    def describe(self) -> str:
        """One sentence: the rule and how many units it trimmed."""
        if not self.dropped:
            return f"{self.rule}: no unit trimmed"
        return (
            f"{self.rule}: {self.dropped:,} of {len(self.keep):,} units with a propensity score outside "
            f"[{self.threshold:.3f}, {1 - self.threshold:.3f}] trimmed; the estimand is the effect on the rest"
        )


def crump_trim(e: np.ndarray, rule: str | float = "crump") -> TrimResult:
    """Overlap trimming: keep units with ``a <= e <= 1 - a``.

    With ``rule="crump"`` the threshold ``a`` is Crump, Hotz, Imbens & Mitnik's (2009) optimal
    one: ``a = 0`` if ``max 1/(e(1-e)) <= 2 mean 1/(e(1-e))``, else
    ``a = 1/2 - sqrt(1/4 - 1/gamma)`` where ``gamma`` solves
    ``gamma = 2 E[1/(e(1-e)) | 1/(e(1-e)) <= gamma]``. A number gives a fixed threshold
    (0.1 is their rule of thumb).

    References
    ----------
    Crump, R. K., Hotz, V. J., Imbens, G. W. & Mitnik, O. A. (2009). Dealing with limited overlap
    in estimation of average treatment effects. *Biometrika* 96, 187-199.

    Parameters
    ----------
    e : ndarray
        Propensity scores, strictly between 0 and 1.
    rule : "crump" or float, default "crump"
        The optimal rule, or a fixed threshold in [0, 0.5).

    Returns
    -------
    TrimResult
        The kept mask, the threshold and the rule's description.

    Examples
    --------
    >>> crump_trim(np.array([0.02, 0.3, 0.5, 0.7]), 0.1).keep.tolist()
    [False, True, True, True]
    """
    e = np.asarray(e, dtype=float)
    if ((e <= 0) | (e >= 1)).any():
        raise ValueError("propensity scores must lie strictly between 0 and 1")
    if isinstance(rule, str):
        if rule != "crump":
            raise ValueError(f"rule must be 'crump' or a threshold in [0, 0.5), got {rule!r}")
        g = 1 / (e * (1 - e))
        if g.max() <= 2 * g.mean():
            a = 0.0
        else:
            # Between consecutive sorted values the conditional mean is that of the first k, so the
            # fixed point is gamma = 2 mean(first k) for the k whose interval [g_(k), g_(k+1)) contains it.
            gs = np.sort(g)
            run = 2 * np.cumsum(gs) / np.arange(1, len(gs) + 1)
            ks = np.flatnonzero((run[:-1] >= gs[:-1]) & (run[:-1] < gs[1:]))
            gamma = run[ks[0]] if len(ks) else gs[-1]
            a = 0.5 - np.sqrt(max(0.25 - 1 / gamma, 0.0))
        label = "Crump et al. (2009) optimal trimming"
    else:
        a = float(rule)
        if not 0 <= a < 0.5:
            raise ValueError(f"a trimming threshold must lie in [0, 0.5), got {rule}")
        label = f"trimming at [{a}, {1 - a}]"
    return TrimResult((e >= a) & (e <= 1 - a), float(a), label)


def overlap_note(e: np.ndarray, bounds: tuple[float, float] = (0.05, 0.95), tolerated: float = 0.05) -> str:
    """A warning when many propensity scores lie near 0 or 1 (limited overlap), else ''.

    Parameters
    ----------
    e : ndarray
        Propensity scores.
    bounds : tuple of float, default (0.05, 0.95)
        Scores outside these bounds count as lacking overlap.
    tolerated : float, default 0.05
        Largest share of units outside ``bounds`` without a warning.

    Returns
    -------
    str
        The warning, or an empty string.

    Examples
    --------
    >>> overlap_note(np.array([0.5, 0.6]))
    ''
    """
    share = float(((e < bounds[0]) | (e > bounds[1])).mean())
    if share <= tolerated:
        return ""
    return (
        f"limited overlap: {share:.0%} of units have a propensity score outside [{bounds[0]}, {bounds[1]}], "
        "so the estimate leans on extrapolation"
    )


def _finish(
    method: str,
    estimand: str,
    est: float,
    se: float,
    n: int,
    alpha: float,
    note: str = "",
    trimmed: int = 0,
    extra: dict | None = None,
) -> CausalEstimate:
    z = z_critical(alpha)
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else float("nan")
    return CausalEstimate(
        method,
        estimand,
        float(est),
        float(est - z * se),
        float(est + z * se),
        int(n),
        note,
        float(se),
        p,
        int(trimmed),
        extra or {},
        alpha=alpha,
    )


def _apply_trim(y, t, X, P, trim, link):
    """Trim on the propensity score fitted to all units; return the kept data and the rule."""
    if trim is None:
        return y, t, X, P, None
    tr = crump_trim(propensity_scores(t, X, link=link, screening=link == "logit"), trim)
    k = tr.keep
    return y[k], t[k], X[k].reset_index(drop=True), P[k], tr


# ------------------------------------------------------------------------------ estimators
def regression_adjustment(
    y: np.ndarray, t: np.ndarray, X: pd.DataFrame, *, estimand: str = "ATE", alpha: float = 0.05
) -> CausalEstimate:
    """Regression adjustment: Lin's (2013) interacted OLS, ``y ~ t + (X - m) + t (X - m)``.

    The treatment coefficient is the ATE when ``m`` is the covariate mean of all units and the
    ATT when ``m`` is the mean of the treated units.

    The standard error stacks the centering means with the OLS normal equations (M-estimation),
    so it accounts for the estimated means: with every interaction kept it equals Stata's
    ``teffects ra`` / statsmodels' ``TreatmentEffect.ra``. A covariate constant within an arm
    (no overlap) keeps its main effect only, and the note says so.

    Parameters
    ----------
    y : array_like of float
        Outcome per unit.
    t : array_like of bool
        Treatment indicator per unit.
    X : DataFrame
        Covariates (see :func:`design_matrix`).
    estimand : {"ATE", "ATT"}
        Effect on all units or on the treated.
    alpha : float, default 0.05
        Significance level of the interval.

    Returns
    -------
    CausalEstimate
        The effect with its M-estimation standard error.

    References
    ----------
    Lin, W. (2013). Agnostic notes on regression adjustments to experimental data. *Annals of
    Applied Statistics* 7, 295-318. Imbens & Wooldridge (2009), *J. Econ. Lit.* 47, 5-86, 5.3.
    """
    _check_estimand(estimand)
    _check_alpha(alpha)
    y, t = _inputs(y, t, X)
    tf = t.astype(float)
    X = X.loc[:, X.nunique() > 1]  # a constant column is the intercept again
    Xv = X.to_numpy(float)
    no_overlap = [c for c in X.columns if X[c][t].nunique() < 2 or X[c][~t].nunique() < 2]
    inter = np.array([c not in no_overlap for c in X.columns])
    w = tf if estimand == "ATT" else np.ones(len(y))

    def design(m):
        Xc = Xv - m
        return np.column_stack([np.ones(len(y)), tf, Xc, Xc[:, inter] * tf[:, None]])

    m_hat = (Xv * w[:, None]).sum(0) / w.sum()
    D = design(m_hat)
    beta, *_ = np.linalg.lstsq(D, y, rcond=None)
    k_m, k_b = len(m_hat), len(beta)

    def moments(theta):
        m, b = theta[:k_m], theta[k_m:]
        Dm = design(m)
        return np.column_stack([w[:, None] * (Xv - m), Dm * (y - Dm @ b)[:, None]])

    theta = np.concatenate([m_hat, beta])
    psi = moments(theta)
    A = np.zeros((k_m + k_b, k_m + k_b))
    A[:k_m, :k_m] = -np.eye(k_m) * w.mean()
    A[k_m:, k_m:] = -(D.T @ D) / len(y)
    for j in range(k_m):  # derivative of the normal equations in the centering means, by differences
        h = 1e-6 * max(1.0, abs(m_hat[j]))
        up, dn = theta.copy(), theta.copy()
        up[j] += h
        dn[j] -= h
        A[k_m:, j] = (moments(up)[:, k_m:].mean(0) - moments(dn)[:, k_m:].mean(0)) / (2 * h)
    infl = -np.linalg.solve(A, psi.T).T[:, k_m + 1]
    se = float(np.sqrt(np.sum(infl**2)) / len(y))
    note = f"no overlap in {', '.join(no_overlap)}: interaction dropped" if no_overlap else ""
    return _finish("regression adjustment (Lin)", estimand, float(beta[1]), se, len(y), alpha, note)


def ipw(
    y: np.ndarray,
    t: np.ndarray,
    X: pd.DataFrame,
    *,
    estimand: str = "ATE",
    link: str = "logit",
    trim: str | float | None = None,
    alpha: float = 0.05,
) -> CausalEstimate:
    """Inverse-probability weighting with normalized (Hajek) weights.

    ATE: weights ``t / e`` and ``(1 - t) / (1 - e)``; ATT: ``1`` for the treated and
    ``e / (1 - e)`` for the untreated; each arm's weighted mean is normalized by its sum of
    weights. The standard error stacks the propensity model's score equations (M-estimation,
    equal to Stata's ``teffects ipw``). ``trim`` ("crump" or a threshold) drops units with
    extreme scores first (:func:`crump_trim`), and the note reports it.

    Parameters
    ----------
    y : array_like of float
        Outcome per unit.
    t : array_like of bool
        Treatment indicator per unit.
    X : DataFrame
        Covariates (see :func:`design_matrix`).
    estimand : {"ATE", "ATT"}
        Effect on all units or on the treated.
    link : {"logit", "probit"}
        Link of the propensity model.
    trim : "crump", float or None
        Overlap trimming rule, or None.
    alpha : float, default 0.05
        Significance level of the interval.

    Returns
    -------
    CausalEstimate
        The effect; ``extra`` has the potential-outcome means.

    References
    ----------
    Hirano, Imbens & Ridder (2003), *Econometrica* 71, 1161-1189; Lunceford & Davidian (2004),
    *Statistics in Medicine* 23, 2937-2960.
    """
    _check_estimand(estimand)
    _check_link(link)
    _check_alpha(alpha)
    y, t = _inputs(y, t, X)
    P = _standardized(X)
    y, t, X, P, tr = _apply_trim(y, t, X, P, trim, link)
    gamma, score, hess = _fit_propensity(t, P, link)
    tf = t.astype(float)

    def weights(g):
        e = _propensity(g, P, link)
        if estimand == "ATE":
            return tf / e, (1 - tf) / (1 - e)
        return tf, (1 - tf) * e / (1 - e)

    w1, w0 = weights(gamma)
    mu = np.array([np.sum(w1 * y) / w1.sum(), np.sum(w0 * y) / w0.sum()])

    def target(g, m):
        a, b = weights(g)
        return np.column_stack([a * (y - m[0]), b * (y - m[1])])

    se = _sandwich_effect([(score, hess)], target, gamma, mu, np.array([1.0, -1.0]))
    e = _propensity(gamma, P, link)
    notes = [tr.describe() if tr is not None else "", overlap_note(e)]
    return _finish(
        "IPW (Hajek)",
        estimand,
        mu[0] - mu[1],
        se,
        len(y),
        alpha,
        "; ".join(n for n in notes if n),
        tr.dropped if tr is not None else 0,
        {"pom_treated": mu[0], "pom_control": mu[1]},
    )


def _outcome_fit(y, t_arm, O, binary):
    """Outcome model on one arm (OLS, or logistic for 0/1 outcomes).

    Returns the parameters, the per-unit scores over all units (zero outside the arm), the mean
    Jacobian, and a predictor.
    """
    mask = t_arm.astype(float)
    if binary:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                res = sm.Logit(y[t_arm], O[t_arm]).fit(disp=0, method="newton", maxiter=200)
                converged = bool(res.mle_retvals.get("converged", True)) and np.isfinite(res.params).all()
            except (np.linalg.LinAlgError, ValueError):
                converged = False
        if not converged:  # separation in a small arm: the linear model always exists
            return _outcome_fit(y, t_arm, O, False)
        b = np.asarray(res.params)
        pred = lambda beta: 1 / (1 + np.exp(-(O @ beta)))
        m = pred(b)
        hess = -(O * (mask * m * (1 - m))[:, None]).T @ O / len(y)
    else:
        b, *_ = np.linalg.lstsq(O[t_arm], y[t_arm], rcond=None)
        pred = lambda beta: O @ beta
        hess = -(O * mask[:, None]).T @ O / len(y)
    score = O * (mask * (y - pred(b)))[:, None]
    return b, score, hess, pred


def aipw(
    y: np.ndarray,
    t: np.ndarray,
    X: pd.DataFrame,
    *,
    estimand: str = "ATE",
    X_propensity: pd.DataFrame | None = None,
    link: str = "logit",
    outcome_model: str = "auto",
    trim: str | float | None = None,
    alpha: float = 0.05,
) -> CausalEstimate:
    """Augmented inverse-probability weighting (doubly robust).

    ATE: ``mean[m1 + t (y - m1) / e] - mean[m0 + (1 - t)(y - m0) / (1 - e)]``; ATT:
    ``mean_treated(y) - sum[t m0 + (1 - t) e / (1 - e) (y - m0)] / sum(t)`` (Moodie et al. 2018).
    Outcome models ``m1, m0``: per-arm OLS (``outcome_model="linear"``) or logistic regression
    (``"logistic"``; ``"auto"`` picks it for 0/1 outcomes) on ``X``; propensity model: logit or
    probit on ``X_propensity`` (default ``X``). The standard error stacks the estimating
    equations of all three models and of the two potential-outcome means (M-estimation), so the
    estimation of the nuisance models is accounted for; with linear outcomes it is Stata's
    ``teffects aipw`` / statsmodels' ``TreatmentEffect.aipw``. ``trim`` as in :func:`ipw`.

    Parameters
    ----------
    y : array_like of float
        Outcome per unit.
    t : array_like of bool
        Treatment indicator per unit.
    X : DataFrame
        Covariates (see :func:`design_matrix`).
    estimand : {"ATE", "ATT"}
        Effect on all units or on the treated.
    X_propensity : DataFrame, optional
        Covariates of the propensity model (default ``X``).
    link : {"logit", "probit"}
        Link of the propensity model.
    outcome_model : {"auto", "linear", "logistic"}
        Outcome models per arm.
    trim : "crump", float or None
        Overlap trimming rule, or None.
    alpha : float, default 0.05
        Significance level of the interval.

    Returns
    -------
    CausalEstimate
        The effect; ``extra`` has the potential-outcome means and the kept units' index.

    References
    ----------
    Robins, Rotnitzky & Zhao (1994), *JASA* 89, 846-866; Lunceford & Davidian (2004);
    Moodie, Saarela & Stephens (2018), *Statistics in Medicine* 37, 1717-1733 (ATT);
    Cattaneo (2010), *J. Econometrics* 155, 138-154.
    """
    _check_estimand(estimand)
    _check_link(link)
    _check_alpha(alpha)
    check_choice(outcome_model, "outcome_model", ("auto", "linear", "logistic"))
    y, t = _inputs(y, t, X)
    Xp = X if X_propensity is None else X_propensity
    if len(Xp) != len(X):
        raise ValueError("X_propensity must have one row per unit")
    P, O = _standardized(Xp), _standardized(X)
    idx = np.arange(len(y))
    if trim is not None:
        tr = crump_trim(propensity_scores(t, Xp, link=link, screening=link == "logit"), trim)
        idx = np.flatnonzero(tr.keep)
        y, t, P, O = y[idx], t[idx], P[idx], O[idx]
    else:
        tr = None
    binary = outcome_model == "logistic" or (outcome_model == "auto" and set(np.unique(y)) <= {0.0, 1.0})
    gamma, s_g, h_g = _fit_propensity(t, P, link)
    b1, s1, h1, pred1 = _outcome_fit(y, t, O, binary)
    b0, s0, h0, pred0 = _outcome_fit(y, ~t, O, binary)
    tf = t.astype(float)
    k_g, k1 = len(gamma), len(b1)

    def target(pn, m):
        g, c1, c0 = pn[:k_g], pn[k_g : k_g + k1], pn[k_g + k1 :]
        e, m1, m0 = _propensity(g, P, link), pred1(c1), pred0(c0)
        if estimand == "ATE":
            return np.column_stack([m1 + tf * (y - m1) / e - m[0], m0 + (1 - tf) * (y - m0) / (1 - e) - m[1]])
        return np.column_stack([tf * (y - m[0]), tf * (m0 - m[1]) + (1 - tf) * e / (1 - e) * (y - m0)])

    e, m1, m0 = _propensity(gamma, P, link), pred1(b1), pred0(b0)
    if estimand == "ATE":
        mu = np.array([np.mean(m1 + tf * (y - m1) / e), np.mean(m0 + (1 - tf) * (y - m0) / (1 - e))])
    else:
        mu = np.array([y[t].mean(), np.sum(tf * m0 + (1 - tf) * e / (1 - e) * (y - m0)) / tf.sum()])
    pn = np.concatenate([gamma, b1, b0])
    se = _sandwich_effect([(s_g, h_g), (s1, h1), (s0, h0)], target, pn, mu, np.array([1.0, -1.0]))
    notes = [tr.describe() if tr is not None else "", overlap_note(e)]
    return _finish(
        "AIPW (doubly robust)",
        estimand,
        mu[0] - mu[1],
        se,
        len(y),
        alpha,
        "; ".join(n for n in notes if n),
        tr.dropped if tr is not None else 0,
        {"pom_treated": mu[0], "pom_control": mu[1], "kept_index": idx},
    )


# ---------------------------------------------------------------------------------- balance
def balance_table(X: pd.DataFrame, t: np.ndarray, weights: np.ndarray | None = None) -> pd.Series:
    """Standardized mean differences (treated - control) of each covariate, optionally weighted.

    Parameters
    ----------
    X : DataFrame
        Covariates.
    t : array_like of bool
        Treatment indicator per unit.
    weights : ndarray, optional
        Unit weights of the means (the denominator is the unweighted pooled standard deviation).

    Returns
    -------
    Series
        The SMD of each covariate (0 for a constant one).

    Examples
    --------
    >>> X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]})
    >>> round(float(balance_table(X, np.array([0, 0, 1, 1]))["x"]), 4)
    2.8284
    """
    t = np.asarray(t).astype(bool)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    pooled = np.sqrt((X[t].var(ddof=1) + X[~t].var(ddof=1)) / 2).replace(0, np.nan)
    m1 = (X[t].mul(w[t], axis=0)).sum() / w[t].sum()
    m0 = (X[~t].mul(w[~t], axis=0)).sum() / w[~t].sum()
    return ((m1 - m0) / pooled).fillna(0.0)


def balance_report(
    X: pd.DataFrame, t: np.ndarray, e: np.ndarray, *, estimand: str = "ATE", threshold: float = SMD_THRESHOLD
) -> pd.DataFrame:
    """Balance before and after inverse-probability weighting, each covariate flagged when imbalanced.

    Parameters
    ----------
    X : DataFrame
        Covariates.
    t : array_like of bool
        Treatment indicator per unit.
    e : ndarray
        Propensity scores, in (0, 1).
    estimand : {"ATE", "ATT"}
        Which weights: ``1/e`` and ``1/(1 - e)``, or ``1`` and ``e/(1 - e)``.
    threshold : float, default 0.1
        |SMD| above which a covariate is flagged.

    Returns
    -------
    DataFrame
        ``smd_before, smd_weighted, imbalanced_before, imbalanced_weighted`` per covariate.

    References
    ----------
    Austin, P. C. (2009). Balance diagnostics for comparing the distribution of baseline
    covariates between treatment groups in propensity-score matched samples. *Statistics in
    Medicine* 28, 3083-3107.
    """
    _check_estimand(estimand)
    check_positive(threshold, "threshold")
    t = np.asarray(t).astype(bool)
    e = np.asarray(e, dtype=float)
    w = np.where(t, 1 / e, 1 / (1 - e)) if estimand == "ATE" else np.where(t, 1.0, e / (1 - e))
    out = pd.DataFrame({"smd_before": balance_table(X, t), "smd_weighted": balance_table(X, t, weights=w)})
    out["imbalanced_before"] = out.smd_before.abs() > threshold
    out["imbalanced_weighted"] = out.smd_weighted.abs() > threshold
    return out


def causal_conclusion(
    e: np.ndarray,
    smd_adjusted: Sequence[float] | pd.Series,
    *,
    threshold: float = SMD_THRESHOLD,
    overlap_bounds: tuple[float, float] = (0.05, 0.95),
    tolerated: float = 0.05,
) -> dict:
    """Whether a causal conclusion may be stated: overlap holds and every adjusted covariate is balanced.

    Both are necessary, not sufficient: unmeasured confounding cannot be checked from data.

    Parameters
    ----------
    e : ndarray
        Propensity scores of the units.
    smd_adjusted : sequence of float
        SMD of each covariate after adjustment.
    threshold : float, default 0.1
        Largest tolerated |SMD|.
    overlap_bounds : tuple of float, default (0.05, 0.95)
        Scores outside these bounds count as lacking overlap.
    tolerated : float, default 0.05
        Largest tolerated share of units outside ``overlap_bounds``.

    Returns
    -------
    dict
        ``allowed``, ``reasons`` (empty if allowed), ``share_outside_overlap``, ``max_abs_smd``.

    Examples
    --------
    >>> causal_conclusion(np.array([0.3, 0.5, 0.7]), [0.02, -0.05])["allowed"]
    True
    """
    check_positive(threshold, "threshold")
    if not 0 <= tolerated < 1:
        raise ValueError(f"tolerated must be a share in [0, 1), got {tolerated!r}")
    e = np.asarray(e, dtype=float)
    smd = np.abs(np.asarray(smd_adjusted, dtype=float))
    outside = float(((e < overlap_bounds[0]) | (e > overlap_bounds[1])).mean())
    reasons = []
    if outside > tolerated:
        reasons.append(
            f"limited overlap: {outside:.0%} of units have a propensity score outside "
            f"[{overlap_bounds[0]}, {overlap_bounds[1]}]"
        )
    if (smd > threshold).any():
        reasons.append(
            f"{int((smd > threshold).sum())} covariate(s) still imbalanced after adjustment "
            f"(max |SMD| {smd.max():.2f} > {threshold})"
        )
    return {
        "allowed": not reasons,
        "reasons": reasons,
        "share_outside_overlap": outside,
        "max_abs_smd": float(smd.max()) if len(smd) else 0.0,
    }


# --------------------------------------------------------------------------------- matching
def match_on_propensity(
    y: np.ndarray,
    t: np.ndarray,
    X: pd.DataFrame,
    *,
    caliper: float = 0.2,
    alpha: float = 0.05,
    e: np.ndarray | None = None,
    **_ignored,
) -> tuple[CausalEstimate, pd.DataFrame]:
    """1:1 nearest-neighbour matching on the logit of the propensity score: the ATT.

    Treated units are matched (with replacement) to controls within ``caliper`` standard
    deviations of the logit of the score.

    Variance: Abadie & Imbens (2006), population version for the ATT,
    ``V = (1/N1^2) [sum_treated (y_i - y_j(i) - ATT)^2 + sum_controls K_i (K_i - 1) s_i^2]``,
    where ``K_i`` is how often control i is used and ``s_i^2`` its conditional variance,
    estimated by matching it to its nearest other control. The propensity score is estimated once
    (never refit per resample) and the variance is conditional on it: Abadie & Imbens (2016)
    show the estimated score's adjustment for the ATT can go either way, so the interval is
    approximate in that respect.

    Parameters
    ----------
    y : array_like of float
        Outcome per unit.
    t : array_like of bool
        Treatment indicator per unit.
    X : DataFrame
        Covariates (see :func:`design_matrix`).
    caliper : float, default 0.2
        Largest distance of a match, in standard deviations of the logit of the score (> 0).
    alpha : float, default 0.05
        Significance level of the interval.
    e : ndarray, optional
        Propensity scores (default: :func:`propensity_scores` of ``X``).

    Returns
    -------
    tuple
        The estimate (:class:`CausalEstimate`) and a balance table (before/after, flagged).

    References
    ----------
    Abadie, A. & Imbens, G. W. (2006). Large sample properties of matching estimators for
    average treatment effects. *Econometrica* 74, 235-267. Abadie & Imbens (2008), *Econometrica*
    76, 1537-1557 (the bootstrap is invalid here).
    """
    _check_alpha(alpha)
    check_positive(caliper, "caliper")
    y, t = _inputs(y, t, X)
    e = propensity_scores(t, X) if e is None else np.asarray(e, dtype=float)
    logit = np.log(e / (1 - e))
    controls = np.flatnonzero(~t)
    nn = NearestNeighbors(n_neighbors=1).fit(logit[controls].reshape(-1, 1))
    dist, pos = nn.kneighbors(logit[t].reshape(-1, 1))
    ok = dist[:, 0] <= caliper * logit.std()
    treated_idx = np.flatnonzero(t)[ok]
    control_idx = controls[pos[ok, 0]]
    n1 = len(treated_idx)
    pair = y[treated_idx] - y[control_idx]
    att = float(pair.mean())
    K = np.bincount(control_idx, minlength=len(y)).astype(float)
    used = np.flatnonzero(K > 1)
    s2 = np.zeros(len(y))
    if len(used) and len(controls) > 1:  # conditional variance of a control: match to its nearest other control
        nn2 = NearestNeighbors(n_neighbors=2).fit(logit[controls].reshape(-1, 1))
        _, p2 = nn2.kneighbors(logit[used].reshape(-1, 1))
        other = np.where(controls[p2[:, 0]] == used, controls[p2[:, 1]], controls[p2[:, 0]])
        s2[used] = 0.5 * (y[used] - y[other]) ** 2
    var = (np.sum((pair - att) ** 2) + np.sum(K * (K - 1) * s2)) / n1**2
    matched = np.zeros(len(y))
    np.add.at(matched, treated_idx, 1.0)
    np.add.at(matched, control_idx, 1.0)
    table = pd.DataFrame({"smd_before": balance_table(X, t), "smd_after": balance_table(X, t, weights=matched)})
    table["imbalanced_before"] = table.smd_before.abs() > SMD_THRESHOLD
    table["imbalanced_after"] = table.smd_after.abs() > SMD_THRESHOLD
    dropped = int((~ok).sum())
    notes = [
        f"{dropped} treated units without a control within the caliper were dropped" if dropped else "",
        overlap_note(e),
    ]
    est = _finish(
        "propensity-score matching",
        "ATT",
        att,
        float(np.sqrt(var)),
        n1,
        alpha,
        "; ".join(n for n in notes if n),
        extra={"variance": "Abadie-Imbens (2006)"},
    )
    return est, table


# ----------------------------------------------------------------------------------- driver
def _drop_separated(X: pd.DataFrame, t: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Drop kept units in a 0/1 covariate's minority level that only one arm has.

    There is no overlap in that category: the propensity MLE would not exist.
    """
    separated = []
    for _ in range(5):
        changed = False
        for c in X.columns:
            col = X[c].to_numpy()[keep]
            if not set(np.unique(col)) <= {0.0, 1.0} or len(np.unique(col)) < 2:
                continue
            level = 1.0 if (col == 1.0).sum() <= (col == 0.0).sum() else 0.0
            arms = t[keep][col == level]
            if arms.all() or not arms.any():
                idx = np.flatnonzero(keep)[col == level]
                keep[idx] = False
                separated.append(str(c))
                changed = True
        if not changed:
            break
    return keep, separated


def _analysis_sample(X: pd.DataFrame, t: np.ndarray, e_all: np.ndarray, trim: str | float | None):
    """The units every adjusted estimator uses: trimmed, without one-arm categories or constant columns.

    Returns the trimming rule, the kept mask, the kept covariates and the note describing what was dropped.
    """
    tr = crump_trim(e_all, trim) if trim is not None else TrimResult(np.ones(len(t), bool), 0.0, "no trimming")
    k, separated = _drop_separated(X, t, tr.keep.copy())
    Xk = X[k].reset_index(drop=True)
    constant = [c for c in Xk.columns if Xk[c].nunique() < 2]
    Xk = Xk.drop(columns=constant)
    dropped = int((~k).sum())
    note = "; ".join(
        p
        for p in (
            tr.describe() if tr.dropped else "",
            f"{dropped - tr.dropped} more units in categories only one arm has after trimming "
            f"({', '.join(separated)}) dropped"
            if separated
            else "",
            f"constant after trimming, dropped: {', '.join(constant)}" if constant else "",
        )
        if p
    )
    return tr, k, Xk, note


def _with_note(r: CausalEstimate, note: str, dropped: int) -> CausalEstimate:
    """The estimate with the analysis sample's note prepended and its dropped count."""
    parts = [p for p in (note, r.note) if p]
    return CausalEstimate(
        r.method,
        r.estimand,
        r.estimate,
        r.ci_low,
        r.ci_high,
        r.n,
        "; ".join(parts),
        r.se,
        r.p_value,
        dropped,
        r.extra,
        alpha=r.alpha,
    )


_METHOD_ORDER = {
    "naive difference": 0,
    "regression adjustment (Lin)": 1,
    "IPW (Hajek)": 2,
    "AIPW (doubly robust)": 3,
    "propensity-score matching": 4,
}


def _estimates_table(rows: list[CausalEstimate]) -> pd.DataFrame:
    """Tidy table of estimates, by estimand then estimator (naive, RA, IPW, AIPW, matching)."""
    table = pd.DataFrame([r.to_dict() for r in rows])
    return table.sort_values(
        ["estimand", "method"], key=lambda s: s.map(_METHOD_ORDER) if s.name == "method" else s, kind="stable"
    ).reset_index(drop=True)


def estimate_all(
    frame: pd.DataFrame,
    outcome: str,
    treatment: np.ndarray,
    numeric: Sequence[str],
    categorical: Sequence[str],
    log: Sequence[str] = (),
    *,
    trim: str | float | None = "crump",
    alpha: float = 0.05,
    return_diagnostics: bool = False,
    **_ignored,
):
    """Every estimator for one treatment, on one analysis sample.

    The propensity score is fitted once on all units (a screening fit that stays finite under
    separation); ``trim`` (default: Crump et al. 2009) drops units without overlap, and every
    adjusted estimator (regression adjustment, IPW, AIPW, matching; ATE and ATT) is computed on
    the kept units, so they estimate the same population's effects; the naive contrast uses
    all units.

    Parameters
    ----------
    frame : DataFrame
        One row per unit.
    outcome : str
        The outcome column.
    treatment : array_like of bool
        Treatment indicator per unit.
    numeric, categorical, log : sequence of str
        Covariates, as in :func:`design_matrix`.
    trim : "crump", float or None, default "crump"
        Overlap trimming rule (:func:`crump_trim`), or None.
    alpha : float, default 0.05
        Significance level of every interval.
    return_diagnostics : bool, default False
        Also return the diagnostics dict.

    Returns
    -------
    tuple
        ``(table, balance)``: a tidy table of estimates (``method, estimand, estimate, ci_low,
        ci_high, n, note, se, p_value, trimmed``) and the matching balance table; with
        ``return_diagnostics`` also a dict with the trimming rule, the kept mask, the IPW balance
        report, and :func:`causal_conclusion`'s verdict.

    References
    ----------
    Crump, Hotz, Imbens & Mitnik (2009), *Biometrika* 96, 187-199; Imbens & Rubin (2015),
    *Causal Inference for Statistics, Social, and Biomedical Sciences*, ch. 12-18.
    """
    _check_alpha(alpha)
    X = design_matrix(frame, numeric, categorical, log)
    y = frame[outcome].to_numpy(float)
    t = np.asarray(treatment).astype(bool)
    e_all = propensity_scores(t, X, screening=True)
    tr, k, Xk, note = _analysis_sample(X, t, e_all, trim)
    yk, tk = y[k], t[k]
    e = propensity_scores(tk, Xk)
    dropped = int((~k).sum())
    match, balance = match_on_propensity(yk, tk, Xk, alpha=alpha, e=e)
    rows = [naive_difference(y, t, alpha=alpha)]
    for estimand in _ESTIMANDS:
        rows += [
            regression_adjustment(yk, tk, Xk, estimand=estimand, alpha=alpha),
            ipw(yk, tk, Xk, estimand=estimand, alpha=alpha),
            aipw(yk, tk, Xk, estimand=estimand, alpha=alpha),
        ]
    rows = [rows[0]] + [_with_note(r, note, dropped) for r in rows[1:]] + [_with_note(match, note, dropped)]
    table = _estimates_table(rows)
    if not return_diagnostics:
        return table, balance
    report = balance_report(Xk, tk, e, estimand="ATE")
    diagnostics = {
        "trimming": {
            "rule": tr.rule,
            "threshold": tr.threshold,
            "dropped": dropped,
            "kept": int(k.sum()),
            "description": note or tr.describe(),
        },
        "kept": k,
        "ipw_balance": report,
        # overlap is judged on all units (before trimming), balance on the analyzed ones
        "conclusion": causal_conclusion(e_all, report.smd_weighted),
    }
    return table, balance, diagnostics
