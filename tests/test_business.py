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


def test_assumptions_validate_their_ranges():
    with pytest.raises(ValueError, match="monthly_sessions"):
        biz.Assumptions(0, 0.3, 0.8)
    with pytest.raises(ValueError, match="adoption must be between 0 and 1"):
        biz.Assumptions(1000, 0.3, 1.2)
    assert A.to_dict() == {"monthly_sessions": 1000, "margin": 0.3, "adoption": 0.8}


def test_assumptions_table_lists_the_parameters_and_notebook_03s_intervention():
    table = A.table({"margin": 0.3, "offer_cost": 2.0, "uplift": 0.1})
    assert table.parameter.tolist() == ["MONTHLY_SESSIONS", "MARGIN", "ADOPTION", "intervention (notebook 03)"]
    assert table.value.tolist()[:3] == [1000, 0.3, 0.8]
    assert table.value.iloc[3] == "margin 0.3, cost 2.0, uplift 0.1"


def test_normal_draws_have_the_interval_width_as_four_sds():
    draws = biz.normal_draws(1.0, 1.0 - 1.959964, 1.0 + 1.959964, 200_000, np.random.default_rng(1))
    assert draws.std() == pytest.approx(1.0, rel=0.01) and draws.mean() == pytest.approx(1.0, abs=0.01)
    assert (biz.normal_draws(3.0, 4.0, 2.0, 5, np.random.default_rng(1)) == 3.0).all()  # reversed: width 0
    with pytest.raises(ValueError, match="n must be"):
        biz.normal_draws(0.0, 0.0, 0.0, 0, np.random.default_rng(1))


def test_impact_range_is_the_5th_50th_and_95th_percentile():
    assert biz.impact_range(lambda g, n: np.arange(101.0), n=101) == {"p5": 5.0, "median": 50.0, "p95": 95.0}
    r = rec.impact_range(lambda g, n: rec.normal_draws(10.0, 8.04, 11.96, n, g))
    assert r["p5"] == pytest.approx(10 - 1.645, abs=0.05) and r["p95"] == pytest.approx(10 + 1.645, abs=0.05)


def test_per_cart_value_divides_by_the_held_out_carts():
    assert biz.per_cart_value({"value": 50.0, "ci_low": 10.0, "ci_high": 90.0, "held_out_carts": 100}) == (
        0.5,
        0.1,
        0.9,
    )
    with pytest.raises(ValueError, match="held_out_carts"):
        biz.per_cart_value({"value": 1.0, "ci_low": 0.0, "ci_high": 2.0, "held_out_carts": 0})


def test_cart_recovery_impact_is_value_per_cart_times_carts_reached():
    v = {"value": 50.0, "ci_low": 50.0, "ci_high": 50.0, "held_out_carts": 100}
    # 1000 sessions x 0.5 carts x 0.8 adoption = 400 carts at 0.5 each
    assert biz.cart_recovery_impact(v, 0.5, A) == {"p5": 200.0, "median": 200.0, "p95": 200.0}
    # per-cart sd 0.1 (CI 0.5 +/- 0.196) -> monthly sd 40 -> 90% range 200 +/- 65.8
    wide = {**v, "ci_low": 50.0 - 19.59964, "ci_high": 50.0 + 19.59964}
    r = biz.cart_recovery_impact(wide, 0.5, A)
    assert r["median"] == pytest.approx(200, abs=1.5)
    assert r["p5"] == pytest.approx(200 - 65.8, abs=2) and r["p95"] == pytest.approx(200 + 65.8, abs=2)
    with pytest.raises(ValueError, match="cart_rate"):
        biz.cart_recovery_impact(v, 1.5, A)


def test_cart_recovery_impact_keeps_the_notebooks_seed_and_draws():
    v = {"value": 432.7, "ci_low": 104.1, "ci_high": 778.5, "held_out_carts": 2444}
    a = biz.Assumptions(100_000, 0.3, 0.8)
    carts = 100_000 * 0.61 * 0.8
    draws = np.random.default_rng(0).normal(432.7 / 2444, (778.5 - 104.1) / 2444 / 3.919928, 20_000) * carts
    expected = np.percentile(draws, [5, 50, 95])
    r = biz.cart_recovery_impact(v, 0.61, a)
    assert [r["p5"], r["median"], r["p95"]] == pytest.approx(expected.tolist(), rel=1e-12)


def test_discount_impact_is_effect_times_offers_reached():
    # 1000 sessions x 0.25 offered x 0.8 adoption = 200 offers, +0.05 orders each
    assert biz.discount_impact(_estimate(0.05, 0.05, 0.05), 0.25, A)["median"] == pytest.approx(10.0)
    r = biz.discount_impact(_estimate(0.05, 0.05 - 0.00979982, 0.05 + 0.00979982), 0.25, A)  # sd 0.005 -> 1 order
    assert r["p95"] - r["p5"] == pytest.approx(2 * 1.645, abs=0.1)
    with pytest.raises(ValueError, match="treated_share"):
        biz.discount_impact(_estimate(0.05, 0.05, 0.05), -0.1, A)


def test_experiment_impact_is_lift_times_sessions_adoption_order_value_and_margin():
    r = biz.experiment_impact(_estimate(0.02, 0.02, 0.02), _estimate(50.0, 50.0, 50.0), A)
    assert r["median"] == pytest.approx(0.02 * 1000 * 0.8 * 50 * 0.3)  # 240
    # a zero lift is worth nothing whatever the order value
    zero = biz.experiment_impact(_estimate(0.0, 0.0, 0.0), _estimate(50.0, 10.0, 90.0), A)
    assert zero == {"p5": 0.0, "median": 0.0, "p95": 0.0}


def test_impact_ranges_of_a_simulated_run_and_of_a_file():
    impacts = biz.impact_ranges(_upstream(), A)
    assert list(impacts) == ["cart_recovery", "discount_orders", "experiment_margin"]
    assert impacts["cart_recovery"]["median"] == pytest.approx(0.5 * 1000 * 0.5 * 0.8)
    assert impacts["discount_orders"]["median"] == pytest.approx(0.05 * 1000 * 0.25 * 0.8)
    assert impacts["experiment_margin"]["median"] == pytest.approx(240.0)
    assert biz.impact_ranges(_upstream(simulated=False), A) == {}


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


def test_recommendations_of_a_simulated_run():
    up = _upstream()
    recs = biz.recommendations(up, biz.impact_ranges(up, A))
    assert [r.key for r in recs] == ["cart_recovery", "discounts", "experiment"]
    assert recs[0].impact == "200 to 200 per month (90% range, value units)"
    assert "best threshold 0.50 targets 80.0% of carts; value 50 on 100 held-out carts" in recs[0].evidence
    assert recs[1].impact == "10 to 10 extra orders per month at today's offer volume (90% range)"
    assert recs[1].evidence.endswith("understates the true effect in every segment")
    assert recs[2].recommendation == "Checkout experiment: ship"  # the decision of notebook 04
    assert recs[2].evidence.endswith("order value passed; abandonment inconclusive")
    assert recs[2].impact == "240 to 240 margin per month if shipped (90% range)"
    assert recs[2].sentence(3).startswith("**Recommendation 3: Checkout experiment: ship.** Evidence: notebook 04:")


def test_recommendations_need_the_impacts_of_a_simulated_run():
    with pytest.raises(ValueError, match="impacts"):
        biz.recommendations(_upstream(), {})


def test_recommendations_of_a_data_file_claim_no_impact():
    recs = biz.recommendations(_upstream(simulated=False), {})
    assert [r.key for r in recs] == ["no_purchase_model", "logging", "discount_test"]
    assert recs[0].evidence.startswith("notebook 03: held-out ROC-AUC 0.720 (browse), 0.700 (cart)")
    assert recs[2].evidence == (
        "notebook 04: discount AIPW +5.0 pp (95% CI +5.0 pp to +5.0 pp); price AIPW -2.0 pp (95% CI -3.0 pp to -1.0 pp)"
    )
    assert all("cannot tell us" in r.impact or "not estimable" in r.impact for r in recs)


def test_rank_recommendations_follows_the_declared_order():
    recs = [biz.Recommendation(k, k, "", "") for k in ("experiment", "discounts", "cart_recovery")]
    assert [r.key for r in biz.rank_recommendations(recs)] == ["cart_recovery", "discounts", "experiment"]
    custom = biz.rank_recommendations(recs, order=("experiment", "cart_recovery", "discounts"))
    assert [r.key for r in custom] == ["experiment", "cart_recovery", "discounts"]
    with pytest.raises(ValueError, match="order must list every recommendation key"):
        biz.rank_recommendations([biz.Recommendation("unknown", "", "", "")])


def test_recommendations_frame_has_the_results_columns():
    frame = biz.recommendations_frame([biz.Recommendation("k", "r", "e", "i")])
    assert frame.to_dict(orient="records") == [{"recommendation": "r", "evidence": "e", "impact": "i"}]
    assert list(biz.recommendations_frame([]).columns) == ["recommendation", "evidence", "impact"]


def test_model_comparison_stacks_both_stages():
    frame = biz.model_comparison(_upstream().prediction)
    assert frame.stage.tolist() == ["browse", "browse", "cart", "cart"]
    assert frame.test_auc.tolist() == [0.6, 0.72, 0.6, 0.7]


# ----------------------------------------------------------------------------- playbook, policy, limits


def test_segment_playbook_has_one_note_per_segment():
    notes = biz.segment_playbook(_upstream().segmentation, 0.2)
    assert len(notes) == 2
    assert notes[0].startswith("**Low** (50% of customers, conversion 10.0%): converts below average")
    assert "candidate for a coupon test" in notes[0]  # its discount CI is above 0
    assert notes[1].startswith("**High** (50% of customers, conversion 30.0%): converts above average")
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
    up = _upstream()
    impacts = biz.impact_ranges(up, A)
    results = biz.RecommendationsResults.build(
        biz.insights(up), biz.recommendations(up, impacts), impacts, A, biz.limits(up, True)
    )
    run = Run(reports_root=tmp_path)
    path = results.save(run)
    assert path.name == "05_business_recommendations.json"
    envelope = json.loads(path.read_text())
    assert envelope["version"] == 1 and set(envelope["results"]) == {
        "insights",
        "recommendations",
        "impact_ranges",
        "assumptions",
        "limits",
    }
    back = biz.RecommendationsResults.load(run)
    assert back.recommendations == results.recommendations.to_dict(orient="records")
    assert back.impact_ranges == impacts and back.assumptions == A.to_dict()


def test_load_all_reads_each_notebooks_fields(tmp_path):
    run = Run(reports_root=tmp_path)
    committed = paths.VISUALIZATIONS_DIR / "reports" / "default" / "results"
    if not all((committed / f"{nb}.json").is_file() for _, nb in biz.NOTEBOOKS):
        pytest.skip("the default run's results are not in place (run `make report`)")
    run.results_dir.mkdir(parents=True)
    for _, nb in biz.NOTEBOOKS:
        shutil.copy(committed / f"{nb}.json", run.results_dir)
    up = rec.load_all(run)
    assert 0 < up.explore.metrics["conversion_rate"]["estimate"] < 1
    assert up.prediction.value["held_out_carts"] > 0
    assert up.testing.calibration["aa"]["n_sims"] > 0 and up.simulated
    with pytest.raises(FileNotFoundError):
        rec.load_all(Run(reports_root=tmp_path / "empty"))


def test_upstream_from_dicts_gives_attribute_access():
    up = biz.Upstream.from_dicts({nb: {"field": i} for i, (_, nb) in enumerate(biz.NOTEBOOKS)})
    assert (up.explore.field, up.segmentation.field, up.prediction.field, up.testing.field) == (0, 1, 2, 3)


# ----------------------------------------------------------------------------- figures


def test_impact_figure_draws_one_panel_per_impact():
    impacts = {
        "cart_recovery": {"p5": 1.0, "median": 2.0, "p95": 4.0},
        "discount_orders": {"p5": 10.0, "median": 15.0, "p95": 30.0},
    }
    fig = figures.impact_figure(impacts)
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert [t.x for t in fig.data] == [(2.0,), (15.0,)]
    assert [(t.error_x.array, t.error_x.arrayminus) for t in fig.data] == [((2.0,), (1.0,)), ((15.0,), (5.0,))]
    assert [t.xaxis for t in fig.data] == ["x", "x2"]
    assert [a.text for a in fig.layout.annotations] == [
        "cart recovery (value / month)",
        "discounts (extra orders / month)",
    ]
    assert fig.layout.title.text.startswith("Figure 1 · Impact of each recommendation")
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
