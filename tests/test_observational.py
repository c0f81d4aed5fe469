"""Observational tests: decision rule, sentences and results on constructed tables; one run on a simulation."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import observational as obs
from ecommerce_analytics.readout import Decision
from ecommerce_analytics.treatments import Contrast

ALLOWED = {"allowed": True, "reasons": []}


def table(aipw=(0.02, 0.01, 0.03), naive=(-0.01, -0.02, 0.0), aipw_att=(0.03, 0.02, 0.04)):
    rows = [("naive difference", "ATE", naive), ("AIPW (doubly robust)", "ATE", aipw), ("AIPW (doubly robust)", "ATT", aipw_att)]  # fmt: skip
    return pd.DataFrame(
        [
            {"method": m, "estimand": e, "estimate": v[0], "ci_low": v[1], "ci_high": v[2], "note": ""}
            for m, e, v in rows
        ]
    )


def make_test(name, t=None, conclusion=ALLOWED, treated=(True, False, True, False)):
    balance = pd.DataFrame(
        {
            "smd_before": [0.3, -0.05, 0.12],
            "smd_after": [0.02, -0.01, 0.15],
            "imbalanced_before": [True, False, True],
            "imbalanced_after": [False, False, True],
        },
        index=["price", "age", "rating"],
    )
    ipw_balance = pd.DataFrame(
        {"imbalanced_before": [True, False, True], "imbalanced_weighted": [False, False, False]},
        index=["price", "age", "rating"],
    )
    diagnostics = {
        "trimming": {"description": "Crump et al. (2009) optimal trimming: no unit trimmed", "dropped": 0},
        "kept": np.array([True, True, False, True]),
        "ipw_balance": ipw_balance,
        "conclusion": conclusion,
    }
    contrast = Contrast(pd.Series(treated), f"{name} contrast", 0.0)
    t = (table() if t is None else t).assign(test=name)
    return obs.ObservationalTest(name, contrast, t, balance, diagnostics)


# ------------------------------------------------------------------------------ decision rule
def test_positive_adjusted_effect_is_promising_never_ship():
    d = obs.observational_decision(table(aipw=(0.04, 0.027, 0.053)), ALLOWED)
    assert d == Decision(
        "promising: confirm with a randomized test",
        "adjusted effect +4.0 pp (95% CI +2.7 pp to +5.3 pp) is positive, but the data are observational",
    )


def test_negative_adjusted_effect_means_do_not_expand():
    d = obs.observational_decision(table(aipw=(-0.02, -0.03, -0.01)), ALLOWED)
    assert (d.decision, d.reason) == (
        "do not expand",
        "adjusted effect -2.0 pp (95% CI -3.0 pp to -1.0 pp) is negative",
    )


def test_interval_including_zero_is_inconclusive():
    d = obs.observational_decision(table(aipw=(0.01, -0.01, 0.03)), ALLOWED)
    assert d.decision == "inconclusive" and d.reason.endswith("includes zero")


def test_no_causal_conclusion_when_overlap_or_balance_fails_whatever_the_interval():
    reasons = ["limited overlap: 57% of units have a propensity score outside [0.05, 0.95]", "2 covariate(s)"]
    d = obs.observational_decision(table(aipw=(0.04, 0.03, 0.05)), {"allowed": False, "reasons": reasons})
    assert d == Decision("no causal conclusion", "; ".join(reasons))


def test_decision_uses_the_ate_row_not_the_att_row():
    t = table(aipw=(0.01, -0.01, 0.03), aipw_att=(0.05, 0.04, 0.06))
    assert obs.observational_decision(t, ALLOWED).decision == "inconclusive"


def test_decision_validates_its_inputs():
    with pytest.raises(ValueError, match="allowed"):
        obs.observational_decision(table(), {"reasons": []})
    with pytest.raises(ValueError, match="AIPW"):
        obs.observational_decision(table().iloc[:1], ALLOWED)


def test_adjusted_sign():
    assert obs.adjusted_sign(table(aipw=(0.02, 0.01, 0.03))) == "positive"
    assert obs.adjusted_sign(table(aipw=(-0.02, -0.03, -0.01))) == "negative"
    assert obs.adjusted_sign(table(aipw=(0.0, -0.01, 0.01))) == "not distinguishable from zero"


# ----------------------------------------------------------------------------- decisions table
def test_decisions_table_puts_the_experiment_first():
    tests = {
        "discount": make_test("discount"),
        "price": make_test("price", conclusion={"allowed": False, "reasons": ["limited overlap"]}),
    }
    d = obs.decisions_table(tests, Decision("ship", "all good"))
    assert d.to_dict("records") == [
        {"test": "checkout experiment (randomized)", "decision": "ship", "why": "all good"},
        {"test": "discount (observational)", "decision": "promising: confirm with a randomized test",
         "why": "adjusted effect +2.0 pp (95% CI +1.0 pp to +3.0 pp) is positive, but the data are observational"},
        {"test": "price (observational)", "decision": "no causal conclusion", "why": "limited overlap"},
    ]  # fmt: skip
    without = obs.decisions_table(tests)
    assert without.test.tolist() == ["discount (observational)", "price (observational)"]
    assert obs.decision_lines(without)[1] == "- **price (observational): no causal conclusion**: limited overlap."


# ---------------------------------------------------------------------------------- sentences
def test_diagnostics_and_balance_sentences():
    t = make_test("discount")
    assert t.diagnostics_sentence() == (
        "*discount*: Crump et al. (2009) optimal trimming: no unit trimmed; weighted balance: 0 of 3 covariates "
        "with |SMD| > 0.1 (before weighting: 2); causal reading **allowed**."
    )
    withheld = make_test("price", conclusion={"allowed": False, "reasons": ["a", "b"]})
    assert withheld.diagnostics_sentence().endswith("causal reading **withheld**: a; b.")
    assert t.balance_sentence() == (
        "Before matching 2 of 3 covariates differ by more than 0.1 standard deviations (largest: price, 0.30); "
        "after matching, 1 do (largest 0.150); after inverse-probability weighting, 0 do."
    )


def test_note_sentences_skip_the_shared_trimming_note():
    est = pd.DataFrame(
        {
            "test": ["d", "d", "d"],
            "method": ["naive difference", "IPW (Hajek)", "propensity-score matching"],
            "estimand": ["ATE", "ATE", "ATT"],
            "note": ["no adjustment", "Crump et al. (2009) optimal trimming: 5 trimmed", ""],
        }
    )
    assert obs.note_sentences(est) == ["*d, naive difference (ATE)*: no adjustment."]


TRUTH = {"discount_ate": 0.038, "discount_att": 0.029, "discount_ate_kept": 0.037, "discount_att_kept": 0.0286}


def test_discount_sentence_against_the_truth():
    t = table(aipw=(0.04, 0.03, 0.05), naive=(-0.012, -0.024, 0.0), aipw_att=(0.05, 0.04, 0.06))
    text = obs.discount_sentence(t, "any discount vs none", TRUTH)
    assert text.startswith(
        "**Discount (any discount vs none).** True effect of an offer: +3.8 pp on average (ATE), +2.9 pp among the "
        "sessions that got one (ATT); on the units kept after trimming +3.7 pp and +2.9 pp. Naive: -1.2 pp"
    )
    assert "AIPW (doubly robust) (ATE): +4.0 pp (95% CI +3.0 pp to +5.0 pp), covers" in text
    assert "AIPW (doubly robust) (ATT): +5.0 pp (95% CI +4.0 pp to +6.0 pp), misses the truth" in text
    assert "naive contrast is biased down;" in text
    up = obs.discount_sentence(table(naive=(0.05, 0.04, 0.06)), "x", TRUTH)
    assert "naive contrast is biased up;" in up


def test_discount_sentence_without_truth_lists_estimates_excluding_zero():
    text = obs.discount_sentence(table(aipw=(0.01, -0.01, 0.03)), "x")
    assert text.endswith("Distinguishable from zero: AIPW (doubly robust) (ATT).")
    none = table(aipw=(0.01, -0.01, 0.03), aipw_att=(0.0, -0.01, 0.01))
    assert obs.discount_sentence(none, "x").endswith("No estimate is distinguishable from zero.")


def test_sign_sentence_checks_against_the_simulator():
    eng = make_test("engagement", table(aipw=(0.07, 0.058, 0.083), naive=(-0.006, -0.017, 0.006)))
    text = obs.sign_sentence(eng, simulated=True)
    assert text == (
        "**Engagement** (pages above the median): naive -0.6 pp (95% CI -1.7 pp to +0.6 pp), AIPW +7.0 pp "
        "(95% CI +5.8 pp to +8.3 pp): positive. In the simulator more pages raise the chance of a cart (a positive "
        "causal effect): the adjusted sign agrees."
    )
    price = make_test("price", table(aipw=(0.0, -0.02, 0.01)), conclusion={"allowed": False, "reasons": ["overlap"]})
    text = obs.sign_sentence(price, simulated=True)
    assert ": not distinguishable from zero. No causal reading: overlap. In the simulator a higher price lowers" in text
    assert text.endswith("does not agree.")
    assert "simulator" not in obs.sign_sentence(price)
    with pytest.raises(ValueError, match="test.name"):
        obs.sign_sentence(make_test("discount"))


# ------------------------------------------------------------------------------------ results
def test_observational_truth_on_the_kept_units():
    t = make_test("discount", treated=(True, False, True, True))
    truth = NS(
        sessions=pd.DataFrame({"p_if_offered": [0.5, 0.4, 0.3, 0.6], "p_if_not_offered": [0.4, 0.4, 0.1, 0.3]}),
        discount_ate=0.15,
        discount_att=0.2,
        price_elasticity=-0.4,
    )
    got = obs.observational_truth(t, truth)
    # effects 0.1, 0.0, 0.2, 0.3; kept units 0, 1, 3; treated and kept: 0, 3
    assert got["discount_ate_kept"] == pytest.approx((0.1 + 0.0 + 0.3) / 3)
    assert got["discount_att_kept"] == pytest.approx((0.1 + 0.3) / 2)
    assert (got["discount_ate"], got["discount_att"], got["price_elasticity"]) == (0.15, 0.2, -0.4)
    assert obs.kept_effects(got) == {"ATE": got["discount_ate_kept"], "ATT": got["discount_att_kept"]}
    assert obs.kept_effects(None) is None
    short = NS(sessions=truth.sessions.iloc[:2], discount_ate=0, discount_att=0, price_elasticity=0)
    with pytest.raises(ValueError, match="sessions"):
        obs.observational_truth(t, short)


def test_observational_results_entries():
    tests = {"discount": make_test("discount"), "price": make_test("price")}
    out = obs.observational_results(tests)
    assert set(out) == {"estimates", "discount_balance", "discount_contrast", "discount_treated_share", "diagnostics"}
    assert out["discount_balance"].covariate.tolist() == ["price", "age", "rating"]
    assert out["discount_treated_share"] == 0.5 and out["discount_contrast"] == "discount contrast"
    assert len(out["estimates"]) == 6 and set(out["estimates"].test) == {"discount", "price"}
    assert set(out["diagnostics"]["price"]) == {"trimming", "conclusion", "ipw_balance"}
    assert out["diagnostics"]["price"]["ipw_balance"].columns[0] == "covariate"
    assert obs.observational_results(tests, TRUTH)["truth"] == TRUTH
    with pytest.raises(ValueError, match="discount"):
        obs.observational_results({"price": make_test("price")})


def test_run_tests_on_a_simulation(small_sim):
    tests = obs.run_tests(small_sim.sessions)
    assert list(tests) == ["discount", "engagement", "price"]
    est = obs.estimates_table(tests)
    assert est.test.unique().tolist() == ["discount", "engagement", "price"]
    assert set(obs.ESTIMATE_COLUMNS) <= set(est.columns)
    assert tests["engagement"].contrast.label == "pages above the median vs not"
    # the engagement test leaves out its own ingredients
    assert not any(c.startswith(("pages_visited", "time_spent")) for c in tests["engagement"].balance.index)
    assert "price" not in tests["price"].balance.index
    with pytest.raises(ValueError, match="outcome"):
        obs.run_test(small_sim.sessions, "x", tests["price"].contrast, outcome="bought")
