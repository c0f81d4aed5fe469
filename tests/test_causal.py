"""Observational estimators against the simulator's true discount effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import causal
from ecommerce_analytics.simulate import simulate

NUMERIC = ["pages_visited", "time_spent", "price", "rating", "sentiment_score", "age"]
CATEGORICAL = ["income_level", "category", "payment_method", "gender"]


@pytest.fixture(scope="module")
def discount_estimates():
    sim = simulate(20_000, seed=42)
    s = sim.sessions
    table, balance = causal.estimate_all(s, "purchase_decision", s.discount_applied > 0, NUMERIC, CATEGORICAL,
                                         ["pages_visited", "time_spent", "price"], n_boot=60)
    return table.set_index("method"), balance, sim.truth


def test_adjusted_estimates_recover_the_true_effect(discount_estimates):
    table, _, truth = discount_estimates
    for method in ("regression adjustment (Lin)", "AIPW (doubly robust)"):
        row = table.loc[method]
        assert row.estimand == "ATE" and row.ci_low <= truth.discount_ate <= row.ci_high, method
    match = table.loc["propensity-score matching"]
    assert match.estimand == "ATT" and match.ci_low <= truth.discount_att <= match.ci_high


def test_the_naive_contrast_is_biased_by_targeting(discount_estimates):
    table, _, truth = discount_estimates
    naive = table.loc["naive difference"]
    assert naive.ci_high < truth.discount_ate  # the interval misses the truth, below it


def test_matching_balances_the_covariates(discount_estimates):
    _, balance, _ = discount_estimates
    assert balance.smd_before.abs().max() > 0.3
    assert balance.smd_after.abs().max() < 0.1


def test_estimators_on_a_linear_textbook_case():
    rng = np.random.default_rng(0)
    n = 5000
    x = rng.normal(0, 1, n)
    t = rng.random(n) < 1 / (1 + np.exp(-x))
    y = 2.0 * t + 1.5 * x + rng.normal(0, 1, n)  # true effect 2, confounded by x
    X = pd.DataFrame({"x": x})
    naive = causal.naive_difference(y, t)
    assert naive.estimate > 2.5  # biased up: treated units have larger x
    for est in (causal.regression_adjustment(y, t, X), causal.aipw(y, t, X)):
        assert est.ci_low <= 2.0 <= est.ci_high


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
