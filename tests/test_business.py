"""Notebook 05's analysis: impact arithmetic, insights, recommendations and their order, limits,
the typed results, and its figures; on small constructed results whose answers are known by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from ecommerce_analytics import business as biz
from ecommerce_analytics import paths
from ecommerce_analytics import recommendations as rec
from ecommerce_analytics.run import Run
from ecommerce_analytics.viz import business as figures

A = biz.Assumptions(monthly_sessions=1000, margin=0.3, adoption=0.8)


def _estimate(est, low, high):
    return {"estimate": est, "ci_low": low, "ci_high": high}


def _upstream(simulated: bool = True, users_return: bool = True, p_values=(0.5, 0.5)) -> biz.Upstream:
    """Results of notebooks 01-04 reduced to the fields notebook 05 reads, with round numbers."""
    explore = SimpleNamespace(
        metrics={
            "conversion_rate": _estimate(0.2, 0.19, 0.21),
            "cart_rate": _estimate(0.5, 0.49, 0.51),
            "avg_order_value": _estimate(50.0, 50.0, 50.0),
            "cart_abandonment_rate": _estimate(0.6, 0.59, 0.61),
        },
        funnel=[
            {"stage": "Sessions", "share_of_previous": None},
            {"stage": "Viewed", "share_of_previous": 0.9},
            {"stage": "Cart", "share_of_previous": 0.5},
            {"stage": "Bought", "share_of_previous": 0.4},
        ],
        screen={"significant_after_holm": 2, "levels_tested": 10},
        sql_agreement={"max_abs_difference": 1e-14},
    )
    segmentation = SimpleNamespace(
        segments=[
            {"segment": 0, "name": "Low", "share": 0.5, "conversion": 0.1, "ci_low": 0.08, "ci_high": 0.12},
            {"segment": 1, "name": "High", "share": 0.5, "conversion": 0.3, "ci_low": 0.28, "ci_high": 0.32},
        ],
        discount_sensitivity={
            "table": [
                {"group": "Low", "difference": 0.01, "true_offer_effect": 0.05, "ci_low": 0.01, "ci_high": 0.02},
                {"group": "High", "difference": 0.02, "true_offer_effect": 0.04, "ci_low": -0.01, "ci_high": 0.05},
            ]
        },
        cohorts={"users_return": users_return},
        customers=1000,
        k={"chosen": 2},
        stability_ari={"mean": 0.9},
        ari_vs_personas={"true_personas": 2, "chosen_k": 0.8},
    )

    def stage(best_auc, p_value):
        return {
            "table": [
                {"model": "logit", "best": False, "test_auc": 0.6, "test_ci_low": 0.55, "test_ci_high": 0.65},
                {"model": "forest", "best": True, "test_auc": best_auc, "test_ci_low": 0.6, "test_ci_high": 0.8},
            ],
            "share_of_observable_ceiling": 0.9,
            "ceilings": {"observable": 0.8},
            "permutation_test": {"p_value": p_value},
        }

    prediction = SimpleNamespace(
        browse=stage(0.72, p_values[0]),
        cart=stage(0.7, p_values[1]),
        funnel_identity={"identity_holds": 990, "rows": 1000},
        value={
            "value": 50.0,
            "ci_low": 50.0,
            "ci_high": 50.0,
            "held_out_carts": 100,
            "best_threshold": 0.5,
            "targeted_share": 0.8,
            "gain_over_targeting_all": _estimate(10.0, 5.0, 15.5),
            "margin": 0.3,
            "offer_cost": 2.0,
            "uplift": 0.1,
        },
    )
    estimates = [
        {"test": "discount", "method": biz.NAIVE, "estimand": "ATE", **_estimate(-0.01, -0.02, 0.0)},
        {"test": "discount", "method": biz.AIPW, "estimand": "ATE", **_estimate(0.05, 0.05, 0.05)},
        {"test": "discount", "method": biz.AIPW, "estimand": "ATT", **_estimate(0.09, 0.08, 0.1)},
        {"test": "price", "method": biz.AIPW, "estimand": "ATE", **_estimate(-0.02, -0.03, -0.01)},
    ]
    observational = {"estimates": estimates, "discount_treated_share": 0.25}
    if simulated:
        observational["truth"] = {"discount_ate": 0.04}
    experiment = (
        {
            "primary_session_conversion": _estimate(0.02, 0.02, 0.02),
            "decision": "ship",
            "guardrails": [
                {"guardrail": "order value", "verdict": "passed"},
                {"guardrail": "abandonment", "verdict": "inconclusive"},
            ],
            "true_absolute_lift": 0.021,
        }
        if simulated
        else None
    )
    testing = SimpleNamespace(
        experiment=experiment,
        observational=observational,
        decisions=[{"decision": "ship", "test": "checkout", "why": "it works"}],
        calibration={
            "aa": {
                "n_sims": 100,
                "rejection_rate": {"estimate": 0.05},
                "peeking_rejection_rate": {"estimate": 0.25},
                "sequential_rejection_rate": {"estimate": 0.01},
            },
            "ab": {"ci_coverage": {"estimate": 0.95}},
            "table": [],
        },
    )
    return biz.Upstream(explore, segmentation, prediction, testing)


# ----------------------------------------------------------------------------- impact arithmetic


def _inputs(**over) -> biz.ImpactInputs:
    """Inputs with zero-width intervals, so every impact is known by hand."""
    base = dict(
        cart_value=_upstream().prediction.value,
        cart_rate=_estimate(0.5, 0.5, 0.5),
        aov=_estimate(100.0, 100.0, 100.0),
        discount_effect=_estimate(0.05, 0.05, 0.05),
        offered_share=0.5,
        offered_conversion=_estimate(0.2, 0.2, 0.2),
        discount_per_order=_estimate(10.0, 10.0, 10.0),
        revenue_per_session={**_estimate(0.5, 0.5, 0.5), "control": 20.0, "treatment": 20.5},
        average_depth=0.2,
    )
    return biz.ImpactInputs(**{**base, **over})


def test_assumptions_validate_their_ranges_and_take_the_cart_settings_from_notebook_03():
    with pytest.raises(ValueError, match="monthly_sessions"):
        biz.Assumptions(0, 0.3, 0.8)
    with pytest.raises(ValueError, match="adoption must be between 0 and 1"):
        biz.Assumptions(1000, 0.3, 1.2)
    with pytest.raises(ValueError, match="win_back must be between 0 and 1"):
        biz.Assumptions(1000, 0.3, 0.8, win_back=2.0)
    with pytest.raises(ValueError, match="offer_cost"):
        biz.Assumptions(1000, 0.3, 0.8, offer_cost=-1.0)
    full = A.with_cart({"uplift": 0.1, "offer_cost": 2.0})
    assert full.to_dict() == {
        "monthly_sessions": 1000,
        "margin": 0.3,
        "adoption": 0.8,
        "win_back": 0.1,
        "offer_cost": 2.0,
    }
    assert biz.Assumptions(1000, 0.3, 0.8, 0.2, 5.0).with_cart({"uplift": 0.1, "offer_cost": 2.0}).win_back == 0.2
    table = full.table()
    assert table.assumption.tolist() == list(biz.ASSUMPTION_LABELS.values())
    assert table.value.tolist() == ["1,000", "30%", "80%", "10%", "2.00"]


def test_normal_draws_have_the_interval_width_as_four_sds():
    draws = biz.normal_draws(1.0, 1.0 - 1.959964, 1.0 + 1.959964, 200_000, np.random.default_rng(1))
    assert draws.std() == pytest.approx(1.0, rel=0.01) and draws.mean() == pytest.approx(1.0, abs=0.01)
    assert (biz.normal_draws(3.0, 4.0, 2.0, 5, np.random.default_rng(1)) == 3.0).all()  # reversed: width 0
    with pytest.raises(ValueError, match="n must be"):
        biz.normal_draws(0.0, 0.0, 0.0, 0, np.random.default_rng(1))


def test_impact_range_is_the_5th_50th_and_95th_percentile():
    assert biz.impact_range(lambda g, n: np.arange(101.0), n=101) == {"p5": 5.0, "median": 50.0, "p95": 95.0}


def test_cart_money_rescales_notebook_03s_value_to_the_assumptions():
    v = _upstream().prediction.value  # value 50 on 100 carts, 80 targeted, cost 2, uplift 0.1, margin 0.3
    # at notebook 03's settings: 0.5 per cart x 1000 sessions x 0.8 adoption x 0.5 carts
    assert biz.cart_money(v, 0.5, A) == pytest.approx(200.0)
    # gross = 50 + 2 x 80 = 210; twice the win-back: 420 - 160 = 260 -> 2.6 per cart x 400 carts
    assert biz.cart_money(v, 0.5, biz.Assumptions(1000, 0.3, 0.8, win_back=0.2)) == pytest.approx(1040.0)
    # a cost of 3 per nudge: 210 - 240 = -30 -> -0.3 per cart x 400
    assert biz.cart_money(v, 0.5, biz.Assumptions(1000, 0.3, 0.8, offer_cost=3.0)) == pytest.approx(-120.0)
    # a 15% margin halves the gross: 105 - 160 = -55
    assert biz.cart_money(v, 0.5, biz.Assumptions(1000, 0.15, 0.8)) == pytest.approx(-220.0)
    with pytest.raises(ValueError, match="held_out_carts"):
        biz.cart_money({**v, "held_out_carts": 0}, 0.5, A)


def test_discount_money_subtracts_the_discount_on_every_discounted_order():
    # 1000 x 0.8 x 0.5 = 400 offered sessions; extra orders 400 x 0.05 = 20 at margin 0.3 x 100 = 600;
    # discounted orders 400 x 0.2 = 80 at 10 each = 800 given away; today's offers earn -200, stopping them +200
    assert biz.discount_money(0.05, 100.0, 0.2, 10.0, 0.5, A) == pytest.approx(200.0)
    # with no discount given away, stopping the offers loses the extra orders' margin
    assert biz.discount_money(0.05, 100.0, 0.2, 0.0, 0.5, A) == pytest.approx(-600.0)


def test_experiment_money_is_revenue_per_session_times_margin_and_traffic():
    assert biz.experiment_money(0.5, A) == pytest.approx(0.5 * 0.3 * 1000 * 0.8)
    assert biz.experiment_money(0.0, A) == 0.0


def test_impact_ranges_with_known_inputs_and_for_a_file():
    impacts = biz.impact_ranges(_inputs(), A)
    assert list(impacts) == ["cart_recovery", "discounts", "experiment"]
    for key, expected in (("cart_recovery", 200.0), ("discounts", 200.0), ("experiment", 120.0)):
        r = impacts[key]
        assert r["p5"] == pytest.approx(expected) and r["p95"] == pytest.approx(expected)
        assert r["mean"] == pytest.approx(expected)
    assert "experiment" not in biz.impact_ranges(_inputs(revenue_per_session=None), A)
    assert biz.impact_ranges(None, A) == {}


def test_impact_ranges_carry_the_upstream_uncertainty():
    # effect sd 0.01 -> money sd 400 x 0.3 x 100 x 0.01 = 120 -> 90% interval 200 +/- 197.4
    wide = _estimate(0.05, 0.05 - 0.01959964, 0.05 + 0.01959964)
    r = biz.impact_ranges(_inputs(discount_effect=wide), A)["discounts"]
    assert r["mean"] == pytest.approx(200, abs=3)
    assert r["p5"] == pytest.approx(200 - 197.4, abs=5) and r["p95"] == pytest.approx(200 + 197.4, abs=5)


def test_discount_facts_from_a_small_table():
    s = pd.DataFrame(
        {
            "price": [100.0, 50.0, 80.0, 10.0, 20.0],
            "discount_applied": [10.0, 20.0, 20.0, 0.0, 50.0],
            "purchase_decision": [1, 1, 0, 1, 0],
        }
    )
    f = biz.discount_facts(s)
    assert f["offered_conversion"]["estimate"] == pytest.approx(0.5)  # 2 of 4 offered sessions buy
    assert f["discount_per_order"]["estimate"] == pytest.approx(10.0)  # 10 and 10
    assert f["average_depth"] == pytest.approx(0.15) and f["discounted_orders"] == 2
    with pytest.raises(ValueError, match="columns"):
        biz.discount_facts(s.drop(columns="price"))


def test_revenue_per_session_lift_reads_the_field_or_builds_it_from_the_arms():
    conv = {**_estimate(0.02, 0.0, 0.04), "control": 0.20, "treatment": 0.22}
    aov = {"guardrail": "average order value", "difference": -10.0, "ci_low": -20.0, "ci_high": 0.0}
    e = {"primary_session_conversion": conv, "guardrails": [{**aov, "control": 110.0, "treatment": 100.0}]}
    r = biz.revenue_per_session_lift(e)
    assert (r["control"], r["treatment"], r["estimate"]) == pytest.approx((22.0, 22.0, 0.0))
    # se = hypot(105 x 0.0102, 0.21 x 5.102) = hypot(1.0714, 1.0714)
    half = 1.959964 * np.hypot(105 * 0.04 / 3.919928, 0.21 * 20 / 3.919928)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((-half, half))
    given = {**_estimate(1.0, 0.5, 1.5), "control": 20.0, "treatment": 21.0}
    assert biz.revenue_per_session_lift({**e, "revenue_per_session": given})["estimate"] == 1.0
    with pytest.raises(ValueError, match="average order value"):
        biz.revenue_per_session_lift({"primary_session_conversion": conv, "guardrails": []})


def test_sensitivity_table_moves_one_assumption_at_a_time():
    table = biz.sensitivity_table(_inputs(), A)
    assert len(table) == 15 and table.setting.tolist()[:3] == ["low", "base", "high"]
    margin = table[table.assumption == "gross margin"].set_index("setting")
    # discounts: -(400 x (m x 0.05 x 100 - 2)); m = 0.2 -> +400, 0.3 -> +200, 0.4 -> 0
    assert margin.discounts.tolist() == pytest.approx([400.0, 200.0, 0.0])
    assert margin.experiment.tolist() == pytest.approx([80.0, 120.0, 160.0])
    sessions = table[table.assumption == "monthly sessions"]
    assert sessions.cart_recovery.tolist() == pytest.approx([100.0, 200.0, 300.0])
    assert np.allclose(table[table.setting == "base"].cart_recovery, 200.0)
    assert biz.sensitivity_table(None, A).empty


def test_true_cart_value_ranks_carts_by_the_best_possible_score():
    s = pd.DataFrame(
        {"add_to_cart": [1, 1, 1, 0], "price": [100.0, 100.0, 50.0, 1.0], "discount_applied": [0.0, 50.0, 0.0, 0.0]}
    )
    t = pd.DataFrame({"p_observed_cart": [0.2, 0.1, 0.9, np.nan], "p_purchase_given_cart": [0.5, 0.0, 0.5, 0.0]})
    a = biz.Assumptions(1, 0.3, 1.0, 0.1, 1.0)
    # 2 of 3 carts nudged: the second (1 x 0.1 x 0.3 x 50 - 1 = 0.5) and the first (0.5 x 0.1 x 30 - 1 = 0.5)
    assert biz.true_cart_value_per_cart(s, t, 2 / 3, a) == pytest.approx(1.0 / 3)
    with pytest.raises(ValueError, match="win_back"):
        biz.true_cart_value_per_cart(s, t, 0.5, A)


def test_money_verdict_and_overlaps():
    assert biz.money(125_949.0) == "+125,900" and biz.money(-49.0) == "0"
    assert biz.verdict({"p5": 0.0, "p95": 1.0}) == "uncertain"
    ranked = [("a", {"p5": 10, "p95": 20}), ("b", {"p5": 0, "p95": 9}), ("c", {"p5": -5, "p95": 1})]
    assert biz.overlaps(ranked) == [("b", "c")]


def test_impact_intervals_cover_the_simulators_true_impact():
    """On the default simulation each 90% interval covers the impact computed from the truth.

    The inputs are the default run's upstream results (notebooks 01-04, read as written) and its
    data; the truth is ``simulate(20000, 42).truth.policy`` and the true cart values.
    """
    run = Run()
    try:
        up = biz.load_all(run, strict=False)
    except FileNotFoundError:
        pytest.skip("the default run's results are not in place (run `make report`)")
    data = run.load()
    m = biz.memo(up, biz.Assumptions(100_000, 0.3, 0.8), data.sessions, data.simulation, run.name)
    assert set(m.truth) == set(m.impacts) == {"cart_recovery", "discounts", "experiment"}
    for key, interval in m.impacts.items():
        assert interval["p5"] <= m.truth[key] <= interval["p95"], (key, interval, m.truth[key])
    assert m.truth_table()["interval covers the truth"].all()


# ----------------------------------------------------------------------------- reading the results


def test_best_model_and_ate_estimates_read_the_flag_and_the_estimand():
    up = _upstream()
    assert biz.best_model(up.prediction.browse)["model"] == "forest"
    with pytest.raises(ValueError, match="best"):
        biz.best_model({"table": [{"model": "x", "best": False}]})
    ate = biz.ate_estimates(up.testing.observational)
    assert set(ate) == {biz.NAIVE, biz.AIPW} and ate[biz.AIPW]["estimate"] == 0.05  # the ATT row is ignored
    frame = biz.ate_estimates({"estimates": pd.DataFrame(up.testing.observational["estimates"])}, "price")
    assert frame[biz.AIPW]["estimate"] == -0.02


def test_biggest_drop_is_the_smallest_share_kept():
    assert biz.biggest_drop(_upstream().explore.funnel) == ("Cart", "Bought", 0.4)
    frame = pd.DataFrame({"stage": ["a", "b", "c"], "share_of_previous": [None, 0.2, 0.9]}, index=[5, 6, 7])
    assert biz.biggest_drop(frame) == ("a", "b", 0.2)
    with pytest.raises(ValueError, match="funnel"):
        biz.biggest_drop([{"stage": "only", "share_of_previous": None}])


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([(0.01, 0.05), (0.0, 0.02)], "understates the true effect in every segment"),
        ([(0.06, 0.05), (0.03, 0.02)], "overstates the true effect in every segment"),
        ([(0.06, 0.05), (0.0, 0.02)], "errs in both directions across segments"),
        ([(None, 0.05)], "errs in both directions across segments"),
    ],
)
def test_naive_vs_truth(pairs, expected):
    table = [{"difference": d, "true_offer_effect": t} for d, t in pairs]
    assert biz.naive_vs_truth(table) == expected


def test_upstream_knows_whether_the_run_is_simulated():
    assert _upstream().simulated and not _upstream(simulated=False).simulated
    assert _upstream(simulated=False).experiment is None
    assert biz.run_sentence("x", False) == "Reading the results of run **x** (a data file)."


# ----------------------------------------------------------------------------- insights


def test_insights_of_a_simulated_run():
    found = biz.insights(_upstream())
    assert [i.notebooks for i in found] == ["01", "03", "04"]
    assert found[0].text == (
        "The funnel loses most between *Cart* and *Bought*: 40.0% continue; conversion is 20.0% "
        "(95% CI 19.0% to 21.0%)."
    )
    assert "ROC-AUC 0.720, 90.0% of the best possible (0.800)" in found[1].text
    assert found[2].text == (
        "Naive discount comparisons mislead: -1.0 pp naively, +5.0 pp (95% CI +5.0 pp to +5.0 pp) after "
        "adjusting for who gets discounts; the truth is +4.0 pp."
    )
    assert found[0].sentence(1).startswith("**Insight 1** (notebook 01). The funnel")
    assert found[0].to_dict() == {"text": found[0].text, "notebooks": "01"}


def test_insights_of_a_data_file():
    found = biz.insights(_upstream(simulated=False, p_values=(0.12, 0.34)))
    assert [i.notebooks for i in found] == ["01", "03", "01, 03"]
    assert found[1].text.startswith("`purchase_decision == add_to_cart AND NOT abandoned_cart` on 990 of 1,000 rows")
    assert "ROC-AUC 0.720 (browse) and 0.700 (cart), permutation p = 0.12 and 0.34; 2 of 10" in found[2].text


# ----------------------------------------------------------------------------- recommendations


def _upstream_with_rps(**rps) -> biz.Upstream:
    up = _upstream()
    up.testing.experiment["revenue_per_session"] = {**_estimate(0.5, 0.4, 0.6), "control": 20.0, "treatment": 20.5}
    up.testing.experiment["revenue_per_session"].update(rps)
    return up


def test_recommendations_of_a_simulated_run_are_ranked_by_money():
    up, inputs = _upstream_with_rps(), _inputs()
    impacts = biz.impact_ranges(inputs, A)
    truth = {"cart_recovery": 190.0, "discounts": 210.0, "experiment": 100.0}
    recs = biz.recommendations(up, impacts, inputs, truth)
    # cart 200 and discounts 200 tie: the declared order breaks the tie; the experiment (120) comes last
    assert [r.key for r in recs] == ["cart_recovery", "discounts", "experiment"]
    assert recs[0].impact == "+200 per month (90% interval +200 to +200)" and recs[0].truth == 190.0
    assert "assuming 10% of nudged abandoned carts buy" in recs[0].evidence
    assert recs[1].recommendation.startswith("Scale back discount offers: at today's depths (on average 20% off)")
    assert "by +5.0 pp (AIPW, effect on the offered sessions; 95% CI +5.0 pp to +5.0 pp)" in recs[1].evidence
    assert recs[1].impact.endswith("from stopping today's offers (90% interval +200 to +200)")
    assert recs[2].recommendation == "Ship the new checkout: revenue per session rises"
    assert recs[2].impact == "+100 per month if shipped (90% interval +100 to +100)"


def test_the_checkout_recommendation_follows_revenue_per_session():
    inputs = _inputs(revenue_per_session={**_estimate(0.0, -1.0, 1.0), "control": 21.0, "treatment": 21.0})
    up = _upstream()
    recs = biz.recommendations(up, biz.impact_ranges(inputs, A), inputs)
    checkout = [r for r in recs if r.key == "experiment"][0]
    # conversion rises (+2.0 pp) but revenue per session is flat: not shipped
    assert checkout.recommendation.startswith("Do not ship the new checkout yet: conversion rises (+2.0 pp)")
    assert "flat (21.00 control, 21.00 treatment)" in checkout.recommendation
    falls = _inputs(revenue_per_session={**_estimate(-2.0, -3.0, -1.0), "control": 21.0, "treatment": 19.0})
    recs = biz.recommendations(up, biz.impact_ranges(falls, A), falls)
    assert recs[-1].recommendation == "Do not ship the new checkout: revenue per session falls"


def test_recommendations_need_the_inputs_with_impacts():
    with pytest.raises(ValueError, match="impacts"):
        biz.recommendations(_upstream(), {"cart_recovery": {}})


def test_recommendations_of_a_data_file_claim_no_impact():
    recs = biz.recommendations(_upstream(simulated=False), {})
    assert [r.key for r in recs] == ["no_purchase_model", "logging", "discount_test"]
    assert recs[0].evidence.startswith("notebook 03: held-out ROC-AUC 0.720 (browse), 0.700 (cart)")
    assert recs[2].evidence == (
        "notebook 04: discount AIPW +5.0 pp (95% CI +5.0 pp to +5.0 pp); price AIPW -2.0 pp (95% CI -3.0 pp to -1.0 pp)"
    )
    assert all("cannot tell us" in r.impact or "not estimable" in r.impact for r in recs)


def test_rank_recommendations_by_money_then_declared_order():
    recs = [biz.Recommendation(k, k, "", "") for k in ("experiment", "discounts", "cart_recovery")]
    assert [r.key for r in biz.rank_recommendations(recs)] == ["cart_recovery", "discounts", "experiment"]
    custom = biz.rank_recommendations(recs, order=("experiment", "cart_recovery", "discounts"))
    assert [r.key for r in custom] == ["experiment", "cart_recovery", "discounts"]
    money = [
        biz.Recommendation("cart_recovery", "", "", "", {"mean": -5.0}),
        biz.Recommendation("experiment", "", "", "", {"mean": 3.0}),
    ]
    assert [r.key for r in biz.rank_recommendations(money)] == ["experiment", "cart_recovery"]
    with pytest.raises(ValueError, match="order must list every recommendation key"):
        biz.rank_recommendations([biz.Recommendation("unknown", "", "", "")])


def test_recommendations_frame_has_the_results_columns():
    frame = biz.recommendations_frame(
        [biz.Recommendation("k", "r", "e", "i", {"mean": 2.0, "p5": 1.0, "p95": 3.0}, 2.5)]
    )
    row = frame.to_dict(orient="records")[0]
    assert {k: row[k] for k in ("key", "recommendation", "net_per_month", "p5", "p95", "truth")} == {
        "key": "k",
        "recommendation": "r",
        "net_per_month": 2.0,
        "p5": 1.0,
        "p95": 3.0,
        "truth": 2.5,
    }
    assert np.isnan(biz.recommendations_frame([biz.Recommendation("k", "r", "e", "i")]).truth.iloc[0])


def test_memo_of_a_simulated_run_opens_with_the_ranked_money():
    up = _upstream_with_rps()
    m = biz.Memo("demo", True, A.with_cart(up.prediction.value), _inputs(), {}, {}, [], pd.DataFrame(), {})
    inputs = _inputs()
    impacts = biz.impact_ranges(inputs, A)
    m.impacts, m.truth = impacts, {"cart_recovery": 190.0, "discounts": 210.0, "experiment": 130.0}
    m.recs = biz.recommendations(up, impacts, inputs, m.truth)
    m.planted = {"checkout conversion lift": (0.021, 0.02)}
    text = m.summary()
    assert text.startswith(
        "**Source**: simulated data (run **demo**) with a known truth (checkout conversion lift: planted +2.1 pp"
    )
    assert "1. **Send a recovery nudge" in text and "; truth +200." in text
    assert "have overlapping intervals" in text  # 200 and 200 tie
    assert "at 1,000 sessions a month, a 30% margin and 80% adoption" in text
    ranking = m.ranking()
    assert ranking["net money per month"].tolist() == ["+200", "+200", "+100"]
    assert ranking["truth (simulator)"].tolist() == ["+200", "+200", "+100"]
    covered = m.truth_table()["interval covers the truth"].tolist()
    assert covered == [False, False, False]  # zero-width intervals cannot cover 190, 210 or 130
    assert "misses the simulator's truth" in m.truth_sentence()


def test_memo_of_a_data_file_says_what_the_data_cannot_tell():
    up = _upstream(simulated=False)
    s = pd.DataFrame(
        {"price": [10.0, 20.0, 30.0], "discount_applied": [10.0, 10.0, 0.0], "purchase_decision": [1, 1, 0]}
    )
    m = biz.memo(up, A, s, None, "file-x")
    assert m.impacts == {} and m.truth == {} and m.ranking() is None and m.sensitivity_view() is None
    text = m.summary()
    assert text.startswith("**Source**: the data file of run **file-x** (no known truth).")
    assert "this data cannot tell us the money any change would make. It has no randomized experiment." in text
    assert "Discount, price show an effect after adjustment" in text  # both AIPW intervals exclude zero
    assert "1. Do not deploy a purchase model trained on this data." in text
    assert m.truth_sentence().startswith("No truth is known")
    assert m.formulas().startswith("No impact is computed")


def test_model_comparison_stacks_both_stages():
    frame = biz.model_comparison(_upstream().prediction)
    assert frame.stage.tolist() == ["browse", "browse", "cart", "cart"]
    assert frame.test_auc.tolist() == [0.6, 0.72, 0.6, 0.7]


# ----------------------------------------------------------------------------- playbook, policy, limits


def test_segment_playbook_has_one_note_per_segment():
    notes = biz.segment_playbook(_upstream().segmentation, 0.2)
    assert len(notes) == 2
    assert notes[0].startswith("**Low** (50% of customers") and notes[1].startswith("**High** (50% of customers")
    with pytest.raises(ValueError, match="overall_conversion"):
        biz.segment_playbook(_upstream().segmentation, 2.0)


def test_cart_policy_sentence():
    assert biz.cart_policy_sentence(_upstream().prediction.value) == (
        "**Cart recovery policy**: nudge carts whose predicted purchase probability is below 0.50 (80.0% of "
        "carts). Against nudging every cart it adds 10 on the held-out carts (95% CI 5 to 15.50)."
    )


def test_limits_of_a_simulated_run():
    found = biz.limits(_upstream(), has_impacts=True)
    assert len(found) == 4
    assert "close to the ceiling (90.0%)" in found[2] and found[3].startswith("Impact ranges multiply")
    assert len(biz.limits(_upstream(), has_impacts=False)) == 3


def test_limits_of_a_data_file():
    null = biz.limits(_upstream(simulated=False, users_return=False), has_impacts=False)
    assert null[0].startswith("Apart from the cart flags") and null[1].startswith("With one session per customer")
    signal = biz.limits(_upstream(simulated=False, p_values=(0.01, 0.5)), has_impacts=False)
    assert signal == ["Observational estimates on this file assume no unmeasured confounding."]


# ----------------------------------------------------------------------------- results and loading


def test_results_round_trip(tmp_path):
    up = _upstream(simulated=False)
    s = pd.DataFrame({"price": [10.0, 20.0], "discount_applied": [10.0, 10.0], "purchase_decision": [1, 1]})
    m = biz.memo(up, A, s)
    results = biz.RecommendationsResults.build(biz.insights(up), m, biz.limits(up, False))
    run = Run(reports_root=tmp_path)
    envelope = json.loads(results.save(run).read_text())
    assert envelope["version"] == 2 and set(envelope["results"]) == {
        "insights",
        "recommendations",
        "impact_ranges",
        "assumptions",
        "limits",
        "true_impacts",
        "sensitivity",
        "impact_inputs",
    }
    back = biz.RecommendationsResults.load(run)
    assert [r["key"] for r in back.recommendations] == ["no_purchase_model", "logging", "discount_test"]
    assert back.impact_ranges == {} and back.assumptions["win_back"] == 0.1


def test_load_all_reads_each_notebooks_fields(tmp_path):
    run = Run(reports_root=tmp_path)
    committed = paths.VISUALIZATIONS_DIR / "reports" / "default" / "results"
    if not all((committed / f"{nb}.json").is_file() for _, nb in biz.NOTEBOOKS):
        pytest.skip("the default run's results are not in place (run `make report`)")
    run.results_dir.mkdir(parents=True)
    for _, nb in biz.NOTEBOOKS:
        shutil.copy(committed / f"{nb}.json", run.results_dir)
    up = rec.load_all(run, strict=False)  # the committed files may predate a version bump
    assert 0 < up.explore.metrics["conversion_rate"]["estimate"] < 1
    assert up.prediction.value["held_out_carts"] > 0
    assert up.testing.calibration["aa"]["n_sims"] > 0 and up.simulated
    with pytest.raises(FileNotFoundError):
        rec.load_all(Run(reports_root=tmp_path / "empty"))


def test_upstream_from_dicts_gives_attribute_access():
    up = biz.Upstream.from_dicts({nb: {"field": i} for i, (_, nb) in enumerate(biz.NOTEBOOKS)})
    assert (up.explore.field, up.segmentation.field, up.prediction.field, up.testing.field) == (0, 1, 2, 3)


# ----------------------------------------------------------------------------- figures


def test_impact_figure_draws_estimates_with_intervals_and_the_truth():
    impacts = {
        "cart_recovery": {"p5": 1.0, "mean": 2.0, "p95": 4.0},
        "discounts": {"p5": 10.0, "mean": 15.0, "p95": 30.0},
    }
    fig = figures.impact_figure(impacts, {"discounts": 12.0})
    assert isinstance(fig, go.Figure) and [t.type for t in fig.data] == ["scatter", "scatter"]
    assert fig.data[0].x == (2.0, 15.0) and fig.data[0].y == ("cart-recovery nudge", "stop today's discount offers")
    assert (fig.data[0].error_x.array, fig.data[0].error_x.arrayminus) == ((2.0, 15.0), (1.0, 5.0))
    assert fig.data[1].x == (12.0,) and fig.data[1].y == ("stop today's discount offers",)
    assert fig.data[1].name == "truth (simulator)"
    assert len(figures.impact_figure(impacts).data) == 1
    assert fig.layout.title.text.startswith("Figure 1 · Net money per month")
    with pytest.raises(ValueError, match="impacts"):
        figures.impact_figure({})
    with pytest.raises(ValueError, match="labels"):
        figures.impact_figure({"other": impacts["cart_recovery"]})


def test_auc_figure_draws_each_stage_against_chance():
    fig = figures.auc_figure(biz.model_comparison(_upstream().prediction))
    assert len(fig.data) == 2 and [t.name for t in fig.data] == ["browse stage", "cart stage"]
    assert list(fig.data[0].x) == ["logit", "forest"] and list(fig.data[0].y) == [0.6, 0.72]
    assert list(fig.data[1].error_y.array) == pytest.approx([0.05, 0.1])
    assert list(fig.data[1].error_y.arrayminus) == pytest.approx([0.05, 0.1])
    assert fig.layout.shapes[0].y0 == 0.5 and fig.layout.shapes[0].line.dash == "dash"
    with pytest.raises(ValueError, match="columns"):
        figures.auc_figure(pd.DataFrame({"stage": ["browse"]}))


def test_readme_figures_point_at_existing_notebooks():
    for notebook, _, name in rec.README_FIGURES:
        assert (paths.NOTEBOOKS_DIR / f"{notebook}.ipynb").is_file() and Path(name).suffix == ".png"
