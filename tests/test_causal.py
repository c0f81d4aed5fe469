"""Observational estimators: parity with Stata/statsmodels on a published dataset, the simulator's
true discount effect, trimming, balance flags, matching variance, bad input."""

from __future__ import annotations

import pathlib

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import causal
from ecommerce_analytics.simulate import simulate

NUMERIC = ["pages_visited", "time_spent", "price", "rating", "sentiment_score", "age"]
CATEGORICAL = ["income_level", "category", "payment_method", "gender"]


# ------------------------------------------------- parity with Stata teffects (via statsmodels)
@pytest.fixture(scope="module")
def cattaneo():
    """Cattaneo (2010, J. Econometrics 155, 138-154) birth-weight data, as shipped inside the installed
    statsmodels (statsmodels/treatment/tests/results/cataneo2.csv, 4,642 births). Reference values:
    Stata ``teffects ra/ipw/aipw`` output stored in statsmodels/treatment/tests/results/results_teffects.py
    (statsmodels 0.15.0; the same models as statsmodels' own test_teffects.py: probit propensity
    mbsmoke ~ mmarried + mage + mage2 + fbaby + medu, outcome bweight ~ prenatal1 + mmarried + mage + fbaby)."""
    import statsmodels.treatment.tests as T
    from statsmodels.treatment.tests.results import results_teffects as ref

    d = pd.read_csv(pathlib.Path(T.__file__).parent / "results" / "cataneo2.csv")
    return {
        "y": d.bweight.to_numpy(float),
        "t": d.mbsmoke_.to_numpy(),
        "Xo": d[["prenatal1_", "mmarried_", "mage", "fbaby_"]].astype(float),
        "Xp": d[["mmarried_", "mage", "mage2", "fbaby_", "medu"]].astype(float),
        "ref": ref,
    }


@pytest.mark.parametrize(
    "method, estimand", [("ra", "ATE"), ("ra", "ATT"), ("ipw", "ATE"), ("ipw", "ATT"), ("aipw", "ATE")]
)
def test_parity_with_stata_teffects_on_cattaneo2(cattaneo, method, estimand):
    c = cattaneo
    if method == "ra":
        est, ref = causal.regression_adjustment(c["y"], c["t"], c["Xo"], estimand=estimand), c["ref"].results_ra
    elif method == "ipw":
        est, ref = causal.ipw(c["y"], c["t"], c["Xp"], estimand=estimand, link="probit"), c["ref"].results_ipw
    else:
        est = causal.aipw(c["y"], c["t"], c["Xo"], X_propensity=c["Xp"], link="probit", estimand=estimand)
        ref = c["ref"].results_aipw
    table = ref.table if estimand == "ATE" else ref.table_t
    # Row 0: effect, standard error, z, p, ci_low, ci_high (Stata); e.g. AIPW ATE -230.989 (SE 26.211).
    assert est.estimate == pytest.approx(table[0, 0], rel=1e-6)
    assert est.se == pytest.approx(table[0, 1], rel=1e-4)  # nuisance estimation accounted for
    assert (est.ci_low, est.ci_high) == pytest.approx((table[0, 4], table[0, 5]), rel=1e-4)
    assert est.estimand == estimand


def test_aipw_att_is_doubly_robust_on_cattaneo2(cattaneo):
    c = cattaneo
    att = causal.aipw(c["y"], c["t"], c["Xo"], X_propensity=c["Xp"], link="probit", estimand="ATT")
    ra_att = c["ref"].results_ra.table_t[0, 0]  # -223.302 (Stata teffects ra, atet)
    ipw_att = c["ref"].results_ipw.table_t[0, 0]  # -225.177 (Stata teffects ipw, atet)
    assert min(ra_att, ipw_att) - 5 < att.estimate < max(ra_att, ipw_att) + 5
    assert 15 < att.se < 35 and att.p_value < 1e-10


# -------------------------------------------------------------------- simulator's truth
@pytest.fixture(scope="module")
def discount_estimates():
    sim = simulate(20_000, seed=42)
    s = sim.sessions
    table, balance, diag = causal.estimate_all(
        s,
        "purchase_decision",
        s.discount_applied > 0,
        NUMERIC,
        CATEGORICAL,
        ["pages_visited", "time_spent", "price"],
        return_diagnostics=True,
    )
    return table, balance, diag, sim


@pytest.mark.slow
def test_adjusted_estimates_recover_the_true_effect(discount_estimates):
    table, _, diag, sim = discount_estimates
    kept = diag["kept"]
    ts = sim.truth.sessions
    effect = (ts.p_if_offered - ts.p_if_not_offered).to_numpy()
    treated = (sim.sessions.discount_applied > 0).to_numpy()
    truth = {"ATE": effect[kept].mean(), "ATT": effect[kept & treated].mean()}  # on the trimmed population
    adjusted = table[table.method != "naive difference"]
    assert len(adjusted) == 7 and set(adjusted.estimand) == {"ATE", "ATT"}
    for row in adjusted.itertuples():
        assert row.ci_low <= truth[row.estimand] <= row.ci_high, (row.method, row.estimand)
        assert row.trimmed == diag["trimming"]["dropped"] > 0 and "Crump" in row.note
    naive = table[table.method == "naive difference"].iloc[0]
    assert naive.ci_high < sim.truth.discount_ate  # biased down by targeting
    assert diag["conclusion"]["allowed"] and not diag["ipw_balance"].imbalanced_weighted.any()
    assert diag["ipw_balance"].imbalanced_before.any()


@pytest.mark.slow
def test_matching_balances_the_covariates(discount_estimates):
    _, balance, _, _ = discount_estimates
    assert balance.smd_before.abs().max() > 0.3 and balance.imbalanced_before.any()
    assert balance.smd_after.abs().max() < 0.1 and not balance.imbalanced_after.any()


# ----------------------------------------------------------------------------- textbook
def test_estimators_on_a_linear_textbook_case():
    rng = np.random.default_rng(0)
    n = 5000
    x = rng.normal(0, 1, n)
    t = rng.random(n) < 1 / (1 + np.exp(-x))
    y = 2.0 * t + 1.5 * x + rng.normal(0, 1, n)  # true effect 2 for everyone, confounded by x
    X = pd.DataFrame({"x": x})
    naive = causal.naive_difference(y, t)
    assert naive.estimate > 2.5  # biased up: treated units have larger x
    for estimand in ("ATE", "ATT"):
        for est in (
            causal.regression_adjustment(y, t, X, estimand=estimand),
            causal.ipw(y, t, X, estimand=estimand),
            causal.aipw(y, t, X, estimand=estimand),
        ):
            assert est.ci_low <= 2.0 <= est.ci_high and est.estimand == estimand, est.method
    match, _ = causal.match_on_propensity(y, t, X)
    assert match.ci_low <= 2.0 <= match.ci_high and "Abadie-Imbens" in match.extra["variance"]


@pytest.mark.slow
def test_matching_variance_matches_the_monte_carlo_variance():
    """Abadie & Imbens (2006): the variance formula tracks the sampling variance of the matching
    estimator (which a naive bootstrap does not; Abadie & Imbens 2008)."""
    rng = np.random.default_rng(3)
    estimates, variances = [], []
    for _ in range(300):
        n = 600
        x = rng.normal(0, 1, n)
        t = rng.random(n) < 1 / (1 + np.exp(-(x - 0.5)))
        y = 1.0 * t + x + 0.5 * t * x + rng.normal(0, 1, n)
        est, _ = causal.match_on_propensity(y, t, pd.DataFrame({"x": x}), caliper=10.0)
        estimates.append(est.estimate)
        variances.append(est.se**2)
    ratio = np.mean(variances) / np.var(estimates, ddof=1)
    assert 0.8 < ratio < 1.25


def test_crump_threshold_solves_its_fixed_point():
    rng = np.random.default_rng(2)
    e = rng.beta(0.6, 0.6, 5000).clip(1e-4, 1 - 1e-4)  # poor overlap
    tr = causal.crump_trim(e)
    g = 1 / (e * (1 - e))
    gamma = 1 / (tr.threshold * (1 - tr.threshold))
    # Crump et al. (2009), Theorem 1: gamma = 2 E[g | g <= gamma], with g = 1 / (e (1 - e)).
    assert gamma == pytest.approx(2 * g[g <= gamma].mean(), rel=1e-3)
    assert 0.02 < tr.threshold < 0.2 and tr.dropped == int(((e < tr.threshold) | (e > 1 - tr.threshold)).sum())
    assert "trimmed" in tr.describe()
    good = causal.crump_trim(rng.uniform(0.3, 0.7, 1000))  # good overlap: nothing to trim
    assert good.threshold == 0.0 and good.dropped == 0
    assert causal.crump_trim(e, 0.1).threshold == 0.1


def test_causal_conclusion_refuses_without_overlap_or_balance():
    ok = causal.causal_conclusion(np.full(100, 0.5), [0.01, -0.05])
    assert ok["allowed"] and ok["reasons"] == []
    bad_overlap = causal.causal_conclusion(np.array([0.01] * 20 + [0.5] * 80), [0.0])
    assert not bad_overlap["allowed"] and "limited overlap: 20%" in bad_overlap["reasons"][0]
    bad_balance = causal.causal_conclusion(np.full(100, 0.5), [0.02, 0.25])
    assert not bad_balance["allowed"] and "imbalanced" in bad_balance["reasons"][0]


def test_balance_report_flags_large_smds():
    rng = np.random.default_rng(4)
    x = rng.normal(0, 1, 4000)
    t = rng.random(4000) < 1 / (1 + np.exp(-x))
    X = pd.DataFrame({"x": x, "noise": rng.normal(size=4000)})
    rep = causal.balance_report(X, t, causal.propensity_scores(t, X))
    assert rep.loc["x", "imbalanced_before"] and not rep.loc["noise", "imbalanced_before"]
    assert not rep.imbalanced_weighted.any()


def test_no_overlap_is_reported_not_hidden():
    rng = np.random.default_rng(1)
    n = 2000
    group = rng.choice(["cheap", "dear"], n)
    t = (group == "dear") & (rng.random(n) < 0.5)  # nothing cheap is ever treated
    X = pd.get_dummies(pd.Series(group), drop_first=True, dtype=float).rename(columns={"dear": "group_dear"})
    X["noise"] = rng.normal(size=n)
    est = causal.regression_adjustment(rng.random(n), t, X)
    assert "no overlap in group_dear" in est.note


def test_limited_overlap_is_flagged():
    e = np.array([0.01] * 20 + [0.5] * 80)
    assert "limited overlap: 20%" in causal.overlap_note(e)
    assert causal.overlap_note(np.full(100, 0.5)) == ""


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: causal.ipw(np.ones(4), [1, 0, 1, 0], pd.DataFrame({"x": [1.0, 2, 3, 4]}), estimand="ATC"), "estimand"),
        (lambda: causal.ipw(np.ones(4), [1, 0, 1, 0], pd.DataFrame({"x": [1.0, 2, 3, 4]}), link="cloglog"), "link"),
        (lambda: causal.aipw(np.ones(4), [1, 1, 1, 1], pd.DataFrame({"x": [1.0, 2, 3, 4]})), "both treated"),
        (
            lambda: causal.aipw(np.ones(4), [1, 0, 1, 0], pd.DataFrame({"x": [1.0, 2, 3, 4]}), outcome_model="tree"),
            "outcome_model",
        ),
        (lambda: causal.crump_trim(np.array([0.0, 0.5])), "strictly between"),
        (lambda: causal.crump_trim(np.array([0.2, 0.5]), 0.7), r"\[0, 0.5\)"),
        (
            lambda: causal.regression_adjustment(np.ones(3), [1, 0, 1, 0], pd.DataFrame({"x": [1.0, 2, 3, 4]})),
            "one entry per unit",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
