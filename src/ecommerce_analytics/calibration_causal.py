"""AIPW coverage on the simulator's observational truth, vectorized over the simulations.

:func:`aipw_batch` is :func:`ecommerce_analytics.causal.aipw` (ATE, logit propensity, per-arm
logistic outcome models, M-estimation standard error) computed for many datasets at once:
batched Newton fits and the closed-form influence function, in arrays of shape
``(n_sims, n)``. :func:`aipw_coverage` draws datasets whose discount targeting is the
simulator's (:mod:`ecommerce_analytics.simulate`: the offer logit in log pages, log price and
low income, with the simulator's coefficients) and whose purchase probability is logistic in the
same covariates plus a constant offer effect, and checks the 95% interval against the exact
population ATE (:func:`observational_ate`).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from .simulate import COEF, DISCOUNT_TIER_PROBS, DISCOUNT_TIERS, NB_SIZE, PERSONAS
from .stats.intervals import z_critical
from .stats.validation import check_alpha, check_min_count

__all__ = [
    "OBSERVATIONAL_DESIGN",
    "OBSERVATIONAL_SESSIONS",
    "aipw_batch",
    "observational_ate",
    "simulate_observational",
    "aipw_coverage",
]

#: The observational data-generating process of :func:`aipw_coverage`. Covariates per session:
#: pages ``1 + NegBin(NB_SIZE, mean pages_mean)``, ``log(price / 100) ~ N(log_price_mean,
#: log_price_sd)``, low income ``~ Bernoulli(low_income_share)`` (the personas' share). Offer:
#: the simulator's targeting logit. Purchase: ``sigmoid(buy_intercept + buy_log_pages log(pages/6)
#: + buy_log_price log(price/100) + buy_low_income [low] + offer_log_odds [offer])``, where
#: ``offer_log_odds`` is the personas' share-weighted discount slope times the mean offer depth / 10.
OBSERVATIONAL_DESIGN: dict[str, float] = {
    "pages_mean": 6.0,
    "log_price_mean": float(np.log(0.6)),
    "log_price_sd": 0.9,
    "low_income_share": float(sum(p.share * p.income_probs[0] for p in PERSONAS)),
    "offer_intercept": COEF["offer_intercept"],
    "offer_log_pages": COEF["offer_log_pages"],
    "offer_log_price": COEF["offer_log_price"],
    "offer_low_income": COEF["offer_low_income"],
    "buy_intercept": -1.0,
    "buy_log_pages": 0.6,
    "buy_log_price": COEF["buy_log_price"],
    "buy_low_income": -0.4,
    "offer_log_odds": float(
        sum(p.share * p.discount_slope for p in PERSONAS) * (DISCOUNT_TIERS @ DISCOUNT_TIER_PROBS) / 10
    ),
}


#: Sessions per simulated dataset in :func:`aipw_coverage`: at 1,000 the Wald interval covers
#: about 94.5% (the sandwich variance's small-sample downward bias), at 1,500 about 94.9%.
OBSERVATIONAL_SESSIONS = 1_500


def _pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(p)


def _expit(eta: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-eta))`` computed in place on a new array (several times faster than scipy's)."""
    out = np.negative(eta)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _linear(Z: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``Z' beta`` per simulation: ``(S, p, n)`` and ``(S, p)`` to ``(S, n)``."""
    return np.matmul(beta[:, None, :], Z)[:, 0, :]


def _symmetric(h: np.ndarray, p: int) -> np.ndarray:
    """Symmetric ``(..., p, p)`` matrices from their upper triangles ``(..., q)``."""
    iu = _pairs(p)
    H = np.empty((*h.shape[:-1], p, p), dtype=h.dtype)
    H[..., iu[0], iu[1]] = h
    H[..., iu[1], iu[0]] = h
    return H


def _batched_logit(
    Z: np.ndarray, ZZ: np.ndarray, y: np.ndarray, w: np.ndarray, beta: np.ndarray, *, tol: float, maxiter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted logistic regressions by Newton's method: ``M`` models per simulation, in lockstep.

    ``Z`` is ``(S, p, n)`` (columns of the design, intercept first), ``ZZ`` its ``(S, q, n)``
    column products (upper triangle); ``y`` and the 0/1 weights ``w`` are ``(S, M, n)``, the
    start ``beta`` ``(S, M, p)``. Newton converges quadratically: once a step is below ``tol``,
    the parameters are exact to about ``tol**2``. Returns the parameters and whether each of the
    ``S`` simulations' models converged.
    """
    p = Z.shape[1]
    Zt, ZZt = np.swapaxes(Z, 1, 2), np.swapaxes(ZZ, 1, 2)
    converged = np.zeros(len(beta), dtype=bool)
    for _ in range(maxiter):
        m = _expit(np.matmul(beta, Z))
        resid = y - m
        resid *= w
        m -= m * m
        m *= w
        step = np.linalg.solve(_symmetric(np.matmul(m, ZZt), p), np.matmul(resid, Zt)[..., None])[..., 0]
        beta = beta + step
        size = np.maximum(1.0, np.abs(beta).max(axis=2))
        converged = (np.abs(step).max(axis=2) < tol * size).all(axis=1)
        if converged.all():
            break
    return beta, converged & np.isfinite(beta).all(axis=(1, 2))


def _fit(Z: np.ndarray, ZZ: np.ndarray, y: np.ndarray, w: np.ndarray, *, tol: float, maxiter: int, pool: int = 16):
    """:func:`_batched_logit` from the fit to the first ``pool`` datasets pooled, in float32 then float64.

    Newton's steps in single precision bring every fit to within about 1e-3 at half the cost;
    the double-precision steps that follow converge from there in one or two iterations to the
    same maximum-likelihood estimate.
    """
    S, p, _ = Z.shape
    k, M = min(S, pool), y.shape[1]
    flat = lambda a: np.moveaxis(a[:k], 0, -2).reshape(1, a.shape[1], -1)
    rate = np.clip((y[:k] * w[:k]).sum(axis=(0, 2)) / w[:k].sum(axis=(0, 2)), 1e-3, 1 - 1e-3)
    start = np.zeros((1, M, p))
    start[0, :, 0] = np.log(rate / (1 - rate))
    pooled, ok = _batched_logit(flat(Z), flat(ZZ), flat(y), flat(w), start, tol=1e-3, maxiter=maxiter)
    start = np.repeat(pooled if ok.all() else start, S, axis=0)
    f32 = [a.astype(np.float32) for a in (Z, ZZ, y, w, start)]
    rough, ok = _batched_logit(*f32[:4], f32[4], tol=1e-3, maxiter=maxiter)
    start = np.where(np.isfinite(rough).all(axis=(1, 2), keepdims=True), rough.astype(float), start)
    return _batched_logit(Z, ZZ, y, w, start, tol=tol, maxiter=maxiter)


def aipw_batch(
    y: np.ndarray, t: np.ndarray, X: np.ndarray, *, tol: float = 1e-6, maxiter: int = 30
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AIPW estimates of the ATE and their M-estimation standard errors for many datasets at once.

    The estimator of :func:`ecommerce_analytics.causal.aipw` with ``estimand="ATE"``,
    ``link="logit"``, logistic outcome models per arm, no trimming: logit propensity ``e`` and
    outcome models ``m1, m0`` on ``[1, X]``, ``mu1 = mean[m1 + t (y - m1) / e]``,
    ``mu0 = mean[m0 + (1 - t)(y - m0) / (1 - e)]``, ATE ``mu1 - mu0``. The standard error
    stacks the estimating equations of the three models and of ``mu1, mu0``; the influence
    function of the ATE is ``psi1 - psi0 + (t - e) x'v_e + t (y - m1) x'v_1 - (1 - t)(y - m0) x'v_0``
    with ``v_e = J_e^{-1} (A_1e - A_0e)``, ``v_1 = J_1^{-1} A_11``, ``v_0 = J_0^{-1} A_00`` (``J``
    the models' mean information matrices, ``A`` the derivatives of the mean target moments
    with respect to the models' parameters), and the SE is ``sqrt(sum IF^2) / n``. The models
    are fitted by Newton's method, all datasets and the three models at once, from the fit to a
    few datasets pooled.

    Parameters
    ----------
    y : ndarray, shape (S, n)
        0/1 outcomes of ``S`` datasets of ``n`` units.
    t : ndarray, shape (S, n)
        Treatment indicators (both arms present in every dataset).
    X : ndarray, shape (S, n, k)
        Covariates, none constant within a dataset (an intercept is added).
    tol : float, default 1e-6
        Newton stops once every step is below ``tol`` (relative to the parameters' size, at
        least 1); convergence is quadratic, so the parameters are then exact to about ``tol**2``.
    maxiter : int, default 30
        Most Newton iterations.

    Returns
    -------
    estimate, se : ndarray, shape (S,)
        The ATE and its standard error per dataset.
    converged : ndarray of bool, shape (S,)
        Whether the three models converged (False under separation, where
        :func:`ecommerce_analytics.causal.aipw` falls back to linear outcome models).

    References
    ----------
    Robins, Rotnitzky & Zhao (1994), *JASA* 89, 846-866; Lunceford & Davidian (2004),
    *Statistics in Medicine* 23, 2937-2960; Stefanski & Boos (2002), The calculus of
    M-estimation, *The American Statistician* 56, 29-38.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2, 400, 1))
    >>> t = rng.random((2, 400)) < special.expit(X[..., 0])
    >>> y = (rng.random((2, 400)) < special.expit(-0.5 + X[..., 0] + t)).astype(float)
    >>> est, se, ok = aipw_batch(y, t, X)
    >>> est.shape, bool(ok.all()), bool((se > 0).all())
    ((2,), True, True)
    """
    y, X = np.asarray(y, dtype=float), np.asarray(X, dtype=float)
    tb = np.asarray(t).astype(bool)
    if y.ndim != 2 or tb.shape != y.shape or X.ndim != 3 or X.shape[:2] != y.shape:
        raise ValueError("y and t must have shape (S, n) and X shape (S, n, k)")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y must be 0/1 outcomes")
    if (tb.all(axis=1) | ~tb.any(axis=1)).any():
        raise ValueError("t must contain both treated and untreated units in every dataset")
    check_min_count(maxiter, "maxiter")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    S, n, k = X.shape
    Z, ZZ = _design(X)
    tf = tb.astype(float)
    # The three models in lockstep: propensity (all units), outcome among treated, among controls.
    w = np.stack([np.ones_like(tf), tf, 1.0 - tf], axis=1)
    beta, converged = _fit(Z, ZZ, np.stack([tf, y, y], axis=1), w, tol=tol, maxiter=maxiter)
    ate, se = _aipw_from_fits(Z, ZZ, y, tf, beta)
    return ate, se, converged


def _design(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The design ``(S, p, n)``: intercept and covariates centred and scaled per dataset, and its column products.

    The scaling is causal.aipw's (conditioning only: estimates and standard errors are invariant).
    """
    S, n, k = X.shape
    p = k + 1
    Z = np.empty((S, p, n))
    Z[:, 0] = 1.0
    Xt = np.moveaxis(X, 2, 1)  # (S, k, n), a view
    np.subtract(Xt, Xt.mean(axis=2, keepdims=True), out=Z[:, 1:])
    sd = np.sqrt(np.einsum("skn,skn->sk", Z[:, 1:], Z[:, 1:]) / n)
    if not (sd > 0).all():
        raise ValueError("X must have no constant covariate within a dataset")
    Z[:, 1:] /= sd[..., None]
    iu = _pairs(p)
    ZZ = np.empty((S, len(iu[0]), n))
    for j, (a, b) in enumerate(zip(*iu, strict=True)):
        np.multiply(Z[:, a], Z[:, b], out=ZZ[:, j])
    return Z, ZZ


def _aipw_from_fits(Z: np.ndarray, ZZ: np.ndarray, y: np.ndarray, tf: np.ndarray, beta: np.ndarray):
    """The AIPW estimate and its M-estimation standard error from the three fitted models ``beta (S, 3, p)``."""
    n, p = Z.shape[2], Z.shape[1]
    fitted = _expit(np.matmul(beta, Z))  # (S, 3, n)
    e, m1, m0 = fitted[:, 0], fitted[:, 1], fitted[:, 2]
    ie, ic = 1.0 / e, 1.0 / (1.0 - e)
    r1, r0 = tf * (y - m1), (1.0 - tf) * (y - m0)
    infl = m1 - m0 + r1 * ie - r0 * ic  # psi1 - psi0 before centring
    ate = infl.mean(1)
    infl -= ate[:, None]
    v1, v0 = m1 * (1.0 - m1), m0 * (1.0 - m0)
    # d mean(psi1 - psi0) / d(gamma, beta1, beta0), and the models' mean information matrices.
    A = np.matmul(
        np.stack([r0 * (1.0 - ic) - r1 * (ie - 1.0), (1.0 - tf * ie) * v1, (1.0 - (1.0 - tf) * ic) * v0], 1),
        np.swapaxes(Z, 1, 2),
    )
    J = _symmetric(np.matmul(np.stack([e * (1.0 - e), tf * v1, (1.0 - tf) * v0], 1), np.swapaxes(ZZ, 1, 2)), p)
    Zv = np.matmul(np.linalg.solve(J, A[..., None])[..., 0], Z)  # (S, 3, n)
    infl += (tf - e) * Zv[:, 0] + r1 * Zv[:, 1] - r0 * Zv[:, 2]
    se = np.sqrt(np.einsum("sn,sn->s", infl, infl)) / n
    return ate, se


def observational_ate(design: dict[str, float] | None = None) -> float:
    """The population ATE of a discount offer on the purchase probability in the observational design.

    ``E[sigmoid(eta + offer_log_odds) - sigmoid(eta)]`` over the covariate distribution of
    :data:`OBSERVATIONAL_DESIGN`: exact sums over pages (negative binomial, to a tail below
    1e-15) and income, and 64-point Gauss-Hermite quadrature over the normal log price (exact to
    rounding for this smooth integrand).

    Parameters
    ----------
    design : dict, optional
        The design (default :data:`OBSERVATIONAL_DESIGN`).

    Returns
    -------
    float
        The population average treatment effect.

    Examples
    --------
    >>> round(observational_ate(), 4)
    0.0803
    """
    d = OBSERVATIONAL_DESIGN if design is None else design
    nb = stats.nbinom(NB_SIZE, NB_SIZE / (NB_SIZE + d["pages_mean"]))
    extra = np.arange(int(nb.isf(1e-16)) + 1)
    pages, w_pages = 1.0 + extra, nb.pmf(extra)
    nodes, w_nodes = np.polynomial.hermite_e.hermegauss(64)
    log_price = d["log_price_mean"] + d["log_price_sd"] * nodes
    w_price = w_nodes / np.sqrt(2 * np.pi)
    total = 0.0
    for low, w_low in ((1.0, d["low_income_share"]), (0.0, 1 - d["low_income_share"])):
        eta = (
            d["buy_intercept"]
            + d["buy_log_pages"] * np.log(pages / 6.0)[:, None]
            + d["buy_log_price"] * log_price[None, :]
            + d["buy_low_income"] * low
        )
        effect = special.expit(eta + d["offer_log_odds"]) - special.expit(eta)
        total += w_low * float(w_pages @ effect @ w_price)
    return total


def simulate_observational(
    rng: np.random.Generator, n_sims: int, n: int, design: dict[str, float] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n_sims`` observational datasets of ``n`` sessions from the design.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n_sims, n : int
        Datasets, and sessions per dataset.
    design : dict, optional
        The design (default :data:`OBSERVATIONAL_DESIGN`).

    Returns
    -------
    y, t : ndarray, shape (n_sims, n)
        Purchase (0/1) and offer indicator.
    X : ndarray, shape (n_sims, n, 3)
        ``log(pages / 6)``, ``log(price / 100)`` and the low-income indicator.

    Examples
    --------
    >>> y, t, X = simulate_observational(np.random.default_rng(0), 2, 50)
    >>> y.shape, t.shape, X.shape
    ((2, 50), (2, 50), (2, 50, 3))
    """
    check_min_count(n_sims, "n_sims")
    check_min_count(n, "n", 2)
    d = OBSERVATIONAL_DESIGN if design is None else design
    X = np.empty((n_sims, 3, n))  # filled column by column; returned as a (n_sims, n, 3) view
    log_pages, log_price, low = X[:, 0], X[:, 1], X[:, 2]
    # pages - 1 ~ NegBin(NB_SIZE, mean pages_mean), by inverse-CDF sampling (exact, and faster)
    nb = stats.nbinom(NB_SIZE, NB_SIZE / (NB_SIZE + d["pages_mean"]))
    support = np.arange(int(nb.isf(1e-16)) + 1)
    np.take(
        np.log((1.0 + support) / 6.0), np.searchsorted(nb.cdf(support[:-1]), rng.random((n_sims, n))), out=log_pages
    )
    log_price[:] = rng.standard_normal((n_sims, n))
    log_price *= d["log_price_sd"]
    log_price += d["log_price_mean"]
    np.less(rng.random((n_sims, n)), d["low_income_share"], out=low)
    # u < sigmoid(eta) is u (1 + exp(-eta)) < 1
    eta = d["offer_intercept"] + d["offer_log_pages"] * log_pages
    eta += d["offer_log_price"] * log_price
    eta += d["offer_low_income"] * low
    t = rng.random((n_sims, n)) * (1.0 + np.exp(-eta)) < 1.0
    eta = d["buy_intercept"] + d["buy_log_pages"] * log_pages
    eta += d["buy_log_price"] * log_price
    eta += d["buy_low_income"] * low
    eta += d["offer_log_odds"] * t
    y = (rng.random((n_sims, n)) * (1.0 + np.exp(-eta)) < 1.0).astype(float)
    return y, t, np.moveaxis(X, 1, 2)


def aipw_coverage(
    n_sims: int = 10_000,
    n: int = OBSERVATIONAL_SESSIONS,
    *,
    alpha: float = 0.05,
    seed: int = 0,
    chunk: int = 250,
    design: dict[str, float] | None = None,
) -> np.ndarray:
    """Per simulation, whether the AIPW interval of the ATE covers the population ATE.

    Each simulated dataset has ``n`` sessions drawn from :data:`OBSERVATIONAL_DESIGN`: offers
    targeted exactly as in the simulator (on log pages, log price and low income), the purchase
    probability logistic in the same covariates plus a constant offer effect on the log-odds (the
    simulator's tiered, persona-specific discount effect averaged into one shift). Both nuisance
    models of the AIPW estimator are therefore correctly specified and there is no unmeasured
    confounding. The estimator is :func:`aipw_batch` (the same as
    :func:`ecommerce_analytics.causal.aipw`) with the Wald interval ``estimate +- z se``.

    The estimand is the population ATE (:func:`observational_ate`), not the sample average of
    the units' true effects: the M-estimation variance includes the spread of the conditional
    effect across units (the sampling of the covariates), so it is the variance around the
    population value, and the coverage of that value is nominal (asymptotically); around the
    sample ATE the same interval is conservative. In finite samples the sandwich variance is
    biased down slightly: at 1,000 sessions the coverage is about 94.5%, at the default 1,500
    about 94.9% (each measured over 70,000 simulations).

    Parameters
    ----------
    n_sims : int, default 10000
        Simulated datasets.
    n : int, default OBSERVATIONAL_SESSIONS (1500)
        Sessions per dataset (at least 50).
    alpha : float, default 0.05
        Significance level of the intervals.
    seed : int, default 0
        Seed of the simulation.
    chunk : int, default 250
        Datasets computed at once (memory: about 200 bytes per session in a chunk).
    design : dict, optional
        The data-generating process (default :data:`OBSERVATIONAL_DESIGN`).

    Returns
    -------
    ndarray of bool
        One entry per simulation.

    Raises
    ------
    ValueError
        If a fit did not converge (separation; not expected at ``n >= 50`` in this design).

    Examples
    --------
    >>> bool(aipw_coverage(200, 500).mean() > 0.9)
    True
    """
    check_min_count(n_sims, "n_sims")
    check_min_count(n, "n", 50)
    check_min_count(chunk, "chunk")
    check_alpha(alpha)
    rng = np.random.default_rng(seed)
    ate, z = observational_ate(design), z_critical(alpha)
    out = np.empty(n_sims, dtype=bool)
    for start in range(0, n_sims, chunk):
        m = min(chunk, n_sims - start)
        y, t, X = simulate_observational(rng, m, n, design)
        est, se, ok = aipw_batch(y, t, X)
        if not ok.all():
            raise ValueError(f"{int((~ok).sum())} simulated datasets did not converge; increase n")
        out[start : start + m] = np.abs(est - ate) <= z * se
    return out
