"""Observational tests: decision rule, sentences and results on constructed tables; one run on a simulation."""

from __future__ import annotations

import dataclasses
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


def test_no_causal_conclusion_when_the_aipw_row_is_excluded():
    t = table(aipw=(0.04, 0.03, 0.05)).assign(status=["ok", obs.EXCLUDED["weighting"], "ok"])
    d = obs.observational_decision(t, {"allowed": True, "reasons": []})
    assert d == Decision("no causal conclusion", "excluded: imbalanced after weighting")


def test_price_with_most_units_outside_overlap_is_never_do_not_expand():
    # a clearly negative interval, but 57% of units outside overlap: no causal conclusion, with the reason
    reason = "limited overlap: 57% of units have a propensity score outside [0.05, 0.95]"
    t = table(aipw=(-0.05, -0.07, -0.03))
    d = obs.observational_decision(t, {"allowed": False, "reasons": [reason]})
    assert d == Decision("no causal conclusion", reason)


def test_a_treatment_the_business_cannot_assign_is_never_sent_to_a_randomized_test_itself():
    t = table(aipw=(0.07, 0.058, 0.083))
    d = obs.observational_decision(t, ALLOWED, assignable=False, lever="a new page layout", name="engagement")
    assert d == Decision(
        "promising: randomize a lever that moves it",
        "adjusted effect +7.0 pp (95% CI +5.8 pp to +8.3 pp) is positive, but engagement is an outcome of the "
        "session, not an action the business can assign, so it cannot be randomized itself: test a new page layout",
    )
    assert "confirm with a randomized test" not in d.decision
    neg = obs.observational_decision(table(aipw=(-0.02, -0.03, -0.01)), ALLOWED, assignable=False, lever="x")
    assert neg.decision == "promising: randomize a lever that moves it" and " is negative, but " in neg.reason
    unclear = obs.observational_decision(table(aipw=(0.0, -0.01, 0.01)), ALLOWED, assignable=False, lever="x")
    assert unclear.decision == "inconclusive"
    with pytest.raises(ValueError, match="lever"):
        obs.observational_decision(t, ALLOWED, assignable=False)


def test_test_decision_passes_the_contrast_assignability():
    eng = make_test("engagement", table(aipw=(0.07, 0.058, 0.083)))
    eng = dataclasses.replace(eng, contrast=Contrast(pd.Series([True, False]), "pages", 3.0, False, "a layout"))
    assert eng.decision().reason.endswith("engagement is an outcome of the session, not an action the business "
                                          "can assign, so it cannot be randomized itself: test a layout")  # fmt: skip


# ------------------------------------------------------------------------------ estimate status
STATUS_TABLE = pd.DataFrame(
    {"method": ["naive difference", "regression adjustment (Lin)", "IPW (Hajek)", "AIPW (doubly robust)",
                "propensity-score matching"]}
)  # fmt: skip
BALANCED = pd.DataFrame({"imbalanced_after": [False, False]})


def test_estimate_status_all_ok_when_every_check_holds():
    assert obs.estimate_status(STATUS_TABLE, ALLOWED, BALANCED).tolist() == ["ok"] * 5


def test_estimate_status_overlap_excludes_every_adjusted_estimate():
    got = obs.estimate_status(STATUS_TABLE, {"reasons": ["limited overlap: 57% of units ..."]}, BALANCED)
    assert got.tolist() == ["ok"] + ["excluded: limited overlap"] * 4


def test_estimate_status_weighting_and_matching_failures_are_separate():
    weighting = obs.estimate_status(STATUS_TABLE, {"reasons": ["2 covariate(s) still imbalanced"]}, BALANCED)
    assert weighting.tolist() == ["ok"] + ["excluded: imbalanced after weighting"] * 3 + ["ok"]
    unmatched = pd.DataFrame({"imbalanced_after": [False, True]})
    matching = obs.estimate_status(STATUS_TABLE, ALLOWED, unmatched)
    assert matching.tolist() == ["ok"] * 4 + ["excluded: imbalanced after matching"]
    with pytest.raises(ValueError, match="imbalanced_after"):
        obs.estimate_status(STATUS_TABLE, ALLOWED, pd.DataFrame())
    with pytest.raises(ValueError, match="method"):
        obs.estimate_status(pd.DataFrame({"x": [1]}), ALLOWED, BALANCED)


def test_discount_sentence_names_excluded_estimates_instead_of_judging_them():
    t = table(aipw=(0.04, 0.03, 0.05), aipw_att=(0.05, 0.04, 0.06)).assign(
        status=["ok", "ok", obs.EXCLUDED["matching"]]
    )
    text = obs.discount_sentence(t, "x", TRUTH)
    assert (
        "AIPW (doubly robust) (ATT): +5.0 pp (95% CI +4.0 pp to +6.0 pp), excluded: imbalanced after matching" in text
    )
    no_truth = obs.discount_sentence(t, "x")
    assert no_truth.endswith("Distinguishable from zero: AIPW (doubly robust) (ATE).")
    assert "+6.0 pp), excluded: imbalanced after matching;" not in no_truth.split("Distinguishable")[1]


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
    # without overlap the sign is not compared with the truth
    assert text.endswith("these logs cannot recover it, so the adjusted sign is not compared.")
    wrong = make_test("price", table(aipw=(0.03, 0.01, 0.05)))
    assert obs.sign_sentence(wrong, simulated=True).endswith("the adjusted sign does not agree.")
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
    paradox = obs.EngagementParadox(PARADOX, "session duration")
    assert obs.observational_results(tests, TRUTH, paradox)["engagement_by_persona"] is PARADOX
    with pytest.raises(ValueError, match="discount"):
        obs.observational_results({"price": make_test("price")})


def test_run_tests_on_a_simulation(small_sim):
    tests = obs.run_tests(small_sim.sessions)
    assert list(tests) == ["discount", "engagement", "price"]
    est = obs.estimates_table(tests)
    assert est.test.unique().tolist() == ["discount", "engagement", "price"]
    assert set(obs.ESTIMATE_COLUMNS) <= set(est.columns)
    assert tests["engagement"].contrast.label == "pages above the median vs not"
    assert not tests["engagement"].contrast.assignable and tests["engagement"].contrast.lever == obs.ENGAGEMENT_LEVER
    assert tests["discount"].contrast.assignable and tests["price"].contrast.assignable
    # every row carries its status: the naive row is always "ok"; a failed check excludes the adjusted rows
    assert (est[est.method == "naive difference"].status == "ok").all()
    assert set(est.status) <= {obs.OK, *obs.EXCLUDED.values()}
    # the engagement test leaves out its own ingredients
    assert not any(c.startswith(("pages_visited", "time_spent")) for c in tests["engagement"].balance.index)
    assert "price" not in tests["price"].balance.index
    with pytest.raises(ValueError, match="outcome"):
        obs.run_test(small_sim.sessions, "x", tests["price"].contrast, outcome="bought")


# --------------------------------------------------------------------------- engagement paradox
# Two personas: "quick" mostly fills the short band and buys often; "browser" mostly fills the long
# band and rarely buys. Within each, the long band converts better; pooled, the long band converts worse.
PARADOX_SESSIONS = pd.DataFrame(
    {
        "time_spent": [10] * 8 + [40] * 2 + [10] * 2 + [40] * 8,
        "purchase_decision": [1, 1, 1, 1, 0, 0, 0, 0] + [1, 1] + [0, 0] + [0] * 7 + [1],
    }
)
PARADOX_PERSONA = pd.Series(["quick"] * 10 + ["browser"] * 10)
PARADOX = pd.DataFrame(
    {"group": ["all sessions (pooled)"] * 2 + ["browser"] * 2 + ["quick"] * 2, "band_index": [0, 1] * 3,
     "band": ["Q1: 10 to 25", "Q2: 25 to 40"] * 3, "sessions": [10, 10, 0, 10, 10, 0],
     "conversion": [0.6, 0.2, np.nan, 0.2, 0.6, np.nan], "share_of_band": [1.0, 1.0, 0.0, 1.0, 1.0, 0.0]}
)  # fmt: skip


def test_engagement_paradox_pooled_and_within_persona_rates():
    p = obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA, q=2, min_sessions=2)
    t = p.table.set_index(["group", "band_index"])
    # bands split at the median (25): pooled 4 of 10 short sessions buy, 3 of 10 long ones
    assert t.loc[("all sessions (pooled)", 0), "conversion"] == pytest.approx(4 / 10)
    assert t.loc[("all sessions (pooled)", 1), "conversion"] == pytest.approx(3 / 10)
    assert t.loc[("quick", 0), "conversion"] == pytest.approx(4 / 8)
    assert t.loc[("quick", 1), "conversion"] == pytest.approx(2 / 2)
    assert t.loc[("browser", 0), "conversion"] == pytest.approx(0 / 2)
    assert t.loc[("browser", 1), "conversion"] == pytest.approx(1 / 8)
    assert t.loc[("quick", 0), "share_of_band"] == pytest.approx(0.8)
    assert p.table.group.iloc[0] == "all sessions (pooled)"
    assert list(t.loc["quick"].band) == ["Q1: 10 to 25", "Q2: 25 to 40"]
    assert p.rising() == ["browser", "quick"]
    # cells below min_sessions are left out (pooled rows always stay)
    small = obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA, q=2, min_sessions=3).table
    assert len(small) == 4 and set(small.group) == {"all sessions (pooled)", "quick", "browser"}


def test_engagement_paradox_sentence():
    p = obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA, q=2, min_sessions=2)
    text = p.sentence("positive")
    assert text.startswith(
        "**Why longer sessions look worse but engagement helps (Simpson's paradox).** Pooled, conversion is 40.0% "
        "in the shortest half of sessions by session duration and 30.0% in the longest"
    )
    assert (
        "within 2 of 2 personas it rises from their shortest band to their longest: browser 0.0% to 12.5%, "
        "quick 50.0% to 100.0%" in text
    )
    assert "The shortest sessions are mostly quick (80%), the longest mostly browser (80%)." in text
    assert text.endswith("is positive: it agrees with the within-persona trend.")
    assert p.sentence().endswith("not short and long sessions of the same customer.")
    assert p.sentence("negative").endswith("is negative.")


def test_engagement_paradox_validates():
    with pytest.raises(ValueError, match="column"):
        obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA, column="pages_visited")
    with pytest.raises(ValueError, match="persona"):
        obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA.iloc[:3])
    with pytest.raises(ValueError, match="q"):
        obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA, q=1)
    with pytest.raises(ValueError, match="min_sessions"):
        obs.engagement_paradox(PARADOX_SESSIONS, PARADOX_PERSONA, min_sessions=0)
    assert "cannot be made here" in obs.NO_PERSONAS


def test_engagement_paradox_on_a_simulation_rises_within_personas(small_sim):
    p = obs.engagement_paradox(small_sim.sessions, small_sim.truth.sessions["persona"])
    pooled = p.table[p.table.group == "all sessions (pooled)"]
    assert pooled.band_index.tolist() == [0, 1, 2, 3, 4] and pooled.sessions.sum() == len(small_sim.sessions)
    # the simulator's mechanism: longer sessions raise the chance of a cart within every persona
    assert len(p.rising()) >= 3


# ----------------------------------------------------------------------------- summary, banner
def _summary_tests():
    return {
        "discount": make_test("discount", table(aipw=(0.04, 0.027, 0.053))),
        "engagement": dataclasses.replace(
            make_test("engagement", table(aipw=(0.07, 0.058, 0.083))),
            contrast=Contrast(pd.Series([True, False]), "pages", 3.0, False, "a layout"),
        ),
        "price": make_test("price", conclusion={"allowed": False, "reasons": ["limited overlap"]}),
    }


def test_next_step_per_decision():
    assert obs.next_step("discount", Decision("promising: confirm with a randomized test", "r")) == (
        "confirm the discount effect with a randomized test before acting on it"
    )
    assert obs.next_step("engagement", Decision("promising: randomize a lever that moves it", "r")) == (
        "randomize a design change meant to raise engagement, not engagement itself"
    )
    assert obs.next_step("price", Decision("do not expand", "r")) == "do not expand price"
    with pytest.raises(ValueError, match="decision"):
        obs.next_step("x", Decision("ship", "r"))


def _readout(decision):
    primary = NS(estimate=0.023, ci_low=0.004, ci_high=0.042)
    revenue = NS(estimate=-0.01, ci_low=-3.8, ci_high=3.78, control=20.97, treatment=20.96)
    return NS(primary=primary, revenue_per_session=revenue, decision=decision, true_absolute_lift=0.024,
              covers_truth=True)  # fmt: skip


def test_summary_states_question_answer_and_what_to_do():
    text = obs.summary(_readout(Decision("inconclusive", "r")), _summary_tests())
    question, answer, todo = text.split("\n\n")
    assert question.startswith("**Question.** Should the new checkout ship")
    assert answer == (
        "**Answer.** The new checkout changes session conversion by **+2.3 pp** (95% CI +0.4 pp to +4.2 pp) and "
        "revenue per session by **-0.01** (20.97 vs 20.96, 95% CI -3.80 to +3.78): **inconclusive**. From the logs "
        "(adjusted effects on conversion): discount +4.0 pp (promising: confirm with a randomized test); engagement "
        "+7.0 pp (promising: randomize a lever that moves it); price: no causal conclusion."
    )
    assert todo == (
        "**What to do.** Do not ship the new checkout yet: it sells more orders but not more money per session; "
        "extend the test or decide on revenue knowingly; confirm the discount effect with a randomized test before "
        "acting on it; randomize a design change meant to raise engagement, not engagement itself; draw no "
        "conclusion on price from these logs."
    )
    assert "**What to do.** Ship the new checkout;" in obs.summary(_readout(Decision("ship", "r")), _summary_tests())
    no_exp = obs.summary(None, _summary_tests())
    assert "This source has no randomized experiment." in no_exp and "**What to do.** Confirm the discount" in no_exp


def test_banner_states_source_planted_and_recovered():
    truth = NS(discount_ate=0.038, discount_att=0.029)
    text = obs.banner("simulated (n=20,000, seed=42)", 20000, _readout(Decision("inconclusive", "r")),
                      _summary_tests(), truth)  # fmt: skip
    assert text.startswith("**Source: simulated (n=20,000, seed=42)**, 20,000 sessions. Planted: a checkout "
                           "conversion lift of +2.4 pp on the experiment's sessions and no revenue effect;")  # fmt: skip
    assert text.endswith(
        "Recovered: conversion lift +2.3 pp (interval covers the truth); discount +4.0 pp (95% CI +2.7 pp to "
        "+5.3 pp); engagement positive (agrees); price: no causal reading (overlap or balance fails)."
    )
    file = obs.banner("file: data.csv", 5000, None, _summary_tests())
    assert file.startswith("**Source: file: data.csv**, 5,000 sessions. A data file: no randomized experiment")
