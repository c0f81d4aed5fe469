"""Readouts of the purchase-prediction notebook: stages, leakage, calibration, drivers, value, saving, results."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import modeling as md
from ecommerce_analytics.data import file_sha256
from ecommerce_analytics.metrics import Estimate
from ecommerce_analytics.run import Run
from ecommerce_analytics.schema import TARGET


# ------------------------------------------------------------------------------ hand-made comparisons
def _comparison(
    best: str = "xgboost", *, diff=(0.02, 0.01, 0.03, 2e-6), n_test: int = 4, aucs=None
) -> md.ModelComparison:
    """A comparison with made-up metrics (no model is fitted)."""
    aucs = aucs or {"logistic_regression": 0.74, "xgboost": 0.765}
    y_test = np.array([0, 1, 0, 1][:n_test])
    holdout = {
        name: md.HoldoutResult(
            name, Estimate(a, a - 0.017, a + 0.018, n_test, "DeLong"), 0.48, 0.143, 0.49, 0.27, 0.218
        )
        for name, a in aucs.items()
    }
    cv = {
        name: md.CVResult(name, (a,) * 5, Estimate(a, a - 0.01, a + 0.01, 16, "5-fold CV"), np.zeros(3))
        for name, a in aucs.items()
    }
    d, lo, hi, p = diff
    return md.ModelComparison(
        target=TARGET,
        numeric=["price"],
        categorical=["category"],
        train_index=pd.Index(range(10, 26)),
        test_index=pd.Index(range(n_test)),
        y_test=y_test,
        cv=cv,
        holdout=holdout,
        predictions={name: np.array([0.1, 0.9, 0.6, 0.7][:n_test]) for name in aucs},
        pipelines={},
        best=best,
        baseline="logistic_regression",
        vs_baseline={"difference": d, "ci_low": lo, "ci_high": hi, "p_value": p, "method": "DeLong"},
    )


def test_stage_report_reads_out_the_best_model_against_the_ceiling():
    report = md.StageReport(md.BROWSE, _comparison(), {"observable": 0.775, "all_knowing": 0.845})
    assert report.best_auc == 0.765
    assert report.share_of_ceiling == pytest.approx(0.765 / 0.775)
    assert report.meets_ceiling_target and report.beats_chance is None
    first, second = report.sentences()
    assert first == (
        "Best by cross-validation: **xgboost**, held-out ROC-AUC **0.765** (95% CI 0.748 to 0.783), PR-AUC 0.480 "
        "(prevalence 21.8%), Brier 0.143. Against the logistic_regression baseline on the same rows: +0.020 "
        "(95% CI +0.010 to +0.030, DeLong p = 2e-06)."
    )
    assert second == (
        "The best any model can do with these columns is ROC-AUC **0.775** on these rows; knowing the hidden persona "
        "too would give 0.845. xgboost reaches **98.7%** of the observable ceiling."
    )
    low = md.StageReport(md.BROWSE, _comparison(), {"observable": 0.80, "all_knowing": 0.9})
    assert not low.meets_ceiling_target and low.sentences()[1].endswith("reaches **95.6%** of the observable ceiling.")
    assert "target" not in low.sentences()[1]


def test_stage_report_without_truth_tests_against_chance_and_skips_the_baseline_when_it_is_best():
    comp = _comparison(best="logistic_regression")
    noise = {"n_permutations": 2000, "p_value": 0.31, "null_p97_5": 0.53, "auc": 0.52}
    report = md.StageReport(md.CART, comp, {}, noise)
    first, second = report.sentences()
    assert "baseline" not in first and first.startswith("Best by cross-validation: **logistic_regression**")
    assert second == (
        "Permutation test against chance (2,000 label shuffles of the held-out rows): p = 0.310; 97.5% of shuffled "
        "AUCs stay below 0.530. The model is **no better than chance** on this data."
    )
    assert report.beats_chance is False and report.share_of_ceiling is None and report.meets_ceiling_target is None
    beats = md.StageReport(md.CART, comp, {}, {**noise, "p_value": 0.001})
    assert beats.beats_chance and beats.sentences()[1].endswith("The model beats chance.")
    d = report.to_dict()
    assert set(d) == {"table", "best", "vs_baseline", "rows", "ceilings", "permutation_test"}
    assert d["rows"] == {"train": 16, "test": 4} and d["permutation_test"] is noise
    d = md.StageReport(md.BROWSE, _comparison(), {"observable": 0.8, "all_knowing": 0.9}).to_dict()
    assert "permutation_test" not in d and d["share_of_observable_ceiling"] == pytest.approx(0.765 / 0.8)


def test_stage_ceilings_score_the_truth_on_the_held_out_rows():
    comp = _comparison()  # held-out rows 0..3 with y = 0, 1, 0, 1
    truth = pd.DataFrame(
        {
            "p_observed_browse": [0.1, 0.9, 0.2, 0.8, 0.99],  # a perfect ranking; row 4 is not held out
            "p_purchase": [0.1, 0.9, 0.85, 0.8, 0.0],  # 3 of 4 pairs ranked right
            "p_observed_cart": [0.5] * 5,
            "p_purchase_given_cart": [0.9, 0.1, 0.8, 0.2, 0.5],
        }
    )
    assert md.stage_ceilings(md.BROWSE, comp, truth) == {"observable": 1.0, "all_knowing": 0.75}
    assert md.stage_ceilings(md.CART, comp, truth) == {"observable": 0.5, "all_knowing": 0.0}
    assert md.stage_ceilings(md.BROWSE, comp, None) == {}
    with pytest.raises(ValueError, match="stage must be browse or cart"):
        md.stage_ceilings(dataclasses.replace(md.BROWSE, name="other"), comp, truth)


def test_shortcut_readout_states_where_the_target_is_reached():
    auc = pd.Series({"browse features": 0.74, "+ add_to_cart": 0.87, "+ add_to_cart + abandoned_cart (leak)": 1.0})
    shortcut = md.ShortcutReadout(auc, honest=0.765)
    assert shortcut.only_through_cart_flag
    assert shortcut.sentence() == (
        "Without cart flags the best honest model reaches 0.765; adding `add_to_cart` gives 0.870, and adding the "
        "leak too gives 1.000. So 0.80 is reached **only through add_to_cart**, which is not available when the "
        "prediction is needed."
    )
    assert md.ShortcutReadout(auc, honest=0.81).sentence().endswith("0.80 is reached without the cart flags.")
    weak = md.ShortcutReadout(auc.replace(0.87, 0.7), honest=0.6)
    assert not weak.only_through_cart_flag and weak.sentence().endswith("0.80 is not reached without the cart flags.")


def test_shortcut_analysis_on_small_data(small_sim):
    sessions = small_sim.sessions.head(500)
    shortcut = md.shortcut_analysis(sessions, honest=0.7, seed=0, folds=2)
    assert list(shortcut.auc.index) == ["browse features", "+ add_to_cart", "+ add_to_cart + abandoned_cart (leak)"]
    assert shortcut.auc.name == "held-out ROC-AUC"
    assert shortcut.auc["+ add_to_cart + abandoned_cart (leak)"] == pytest.approx(1.0)
    assert shortcut.auc["+ add_to_cart"] > shortcut.auc["browse features"]
    with pytest.raises(ValueError, match="target must lie strictly between 0.5 and 1"):
        md.shortcut_analysis(sessions, honest=0.7, target=1.2)


# ------------------------------------------------------------------------------------------ leakage
def test_leakage_readout_sentences_and_exclusions():
    audit = pd.DataFrame(
        {
            "feature": ["abandoned_cart", "add_to_cart", "age"],
            "auc": [0.75, 0.749, 0.65],
            "determined_share": [0.39, 0.389, 0.0],
            "flagged": [True, True, False],
            "reason": ["with add_to_cart, determines the target on 100.0% of rows", "with abandoned_cart, x", ""],
        }
    )
    cart = pd.DataFrame({"feature": ["abandoned_cart"], "auc": [1.0], "determined_share": [1.0]})
    readout = md.LeakageReadout({"rows": 10, "identity_holds": 9, "identity_fails": 1}, audit, cart)
    assert readout.excluded_features == ["abandoned_cart", "add_to_cart"]
    assert readout.sentence().startswith(
        "`purchase_decision == add_to_cart AND NOT abandoned_cart` holds on **9 of 10** rows (1 exceptions). The "
        "audit flags **abandoned_cart** (with add_to_cart, determines the target on 100.0% of rows), "
        "**add_to_cart** (with abandoned_cart, x). `abandoned_cart` is defined by the outcome"
    )
    assert readout.cart_sentence() == (
        "Among carts, `abandoned_cart` alone scores ROC-AUC **1.000** and determines 100.0% of outcomes: it *is* the "
        "outcome there. Excluded features: abandoned_cart, add_to_cart."
    )
    clean = md.LeakageReadout(readout.identity, audit.assign(flagged=False), cart)
    assert "The audit flags nothing." in clean.sentence() and clean.excluded_features == ["abandoned_cart"]


def test_audit_sessions_finds_the_cart_flags(small_sim):
    readout = md.audit_sessions(small_sim.sessions)
    assert readout.identity == {"rows": 3000, "identity_holds": 3000, "identity_fails": 0}
    assert readout.excluded_features == ["abandoned_cart", "add_to_cart"]
    leak = readout.cart_audit.set_index("feature").loc["abandoned_cart"]
    assert leak.auc == 1.0 and leak.determined_share == 1.0
    with pytest.raises(ValueError, match="missing \\['abandoned_cart'\\]"):
        md.audit_sessions(small_sim.sessions.drop(columns="abandoned_cart"))


def test_source_sentence():
    sessions = pd.DataFrame({"add_to_cart": [1, 0, 1, 1], TARGET: [1, 0, 0, 0]})
    assert md.source_sentence("x.csv", sessions) == (
        "Source: **x.csv**: 4 sessions, 3 with an add-to-cart, purchase rate 25.0%."
    )


# --------------------------------------------------------------------------------- calibration
def test_calibration_readout_of_a_hand_made_comparison():
    comp = _comparison()  # y = 0, 1, 0, 1; p = 0.1, 0.9, 0.6, 0.7; threshold 0.27
    fit = md.calibration_readout(comp, bins=2)
    assert fit.model == "xgboost" and fit.threshold == 0.27
    assert fit.matrix.to_numpy().tolist() == [[1, 1], [0, 2]]
    assert fit.flagged == 3 and fit.recall == 1.0
    # bins: {0.1, 0.6} -> predicted 0.35, observed 0; {0.7, 0.9} -> predicted 0.8, observed 1
    assert fit.max_gap == pytest.approx(0.35)
    assert fit.sentence() == (
        "Across the 2 bins predicted and observed rates differ by at most 35.0%. At the F1-maximizing threshold 0.27 "
        "(chosen on out-of-fold predictions) the model flags 3 of 4 held-out sessions and finds 100.0% of the purchases."
    )
    with pytest.raises(ValueError, match="bins must be an integer from 1 to the number of rows"):
        md.reliability_curve(comp.y_test, comp.predictions["xgboost"], bins=5)


# ------------------------------------------------------------------------------------------ drivers
def test_drivers_sentence_and_the_chance_caveat():
    shap = pd.DataFrame(
        {"feature": ["age", "price", "category"], "mean_abs_shap": [0.4, 0.3, 0.1], "direction": [0.9, -0.6, np.nan]}
    )
    perm = pd.DataFrame({"feature": ["price", "age"], "auc_drop": [0.0571, 0.01], "sd": [0.0, 0.0]})
    drivers = md.DriversReadout(perm, shap)
    assert drivers.sentence(top=3) == (
        "Top drivers, in order: age (higher values raise the purchase chance); price (higher values lower the "
        "purchase chance); category (effect varies by level or is non-monotone). By permutation, shuffling "
        "**price** costs the most ROC-AUC (0.057)."
    )
    assert drivers.sentence(top=1).startswith("Top drivers, in order: age (higher values raise")
    noise = md.DriversReadout(perm, shap, beats_chance=False)
    assert noise.sentence().endswith(
        " The model is no better than chance here, so these rankings describe noise, not drivers."
    )
    assert md.DriversReadout(perm, shap, beats_chance=True).sentence() == drivers.sentence()
    assert md.driver_reading("x", 0.19) == "x (effect varies by level or is non-monotone)"
    with pytest.raises(ValueError, match="min_correlation must lie in"):
        md.driver_reading("x", 0.5, min_correlation=2)


# ------------------------------------------------------------------------------------ business value
def _held_out() -> pd.DataFrame:
    """A held-out value curve whose peak (0.9) is not the threshold chosen on validation (0.5)."""
    return pd.DataFrame(
        {
            "threshold": [0.0, 0.5, 0.9, 1.0],
            "targeted_share": [0.0, 0.5, 0.9, 1.0],
            "value": [0.0, 40.0, 60.0, -10.0],
            "ci_low": [0.0, 10.0, 5.0, -30.0],
            "ci_high": [0.0, 70.0, 90.0, 12.0],
            "value_per_session": [0.0, 0.2, 0.3, -0.05],
            "gain_over_all": [10.0, 50.0, 70.0, 0.0],
            "gain_ci_low": [-5.0, 20.0, 30.0, 0.0],
            "gain_ci_high": [25.0, 80.0, 100.0, 0.0],
            "p_not_positive": [1.0, 0.01, 0.04, 0.8],
        }
    )


def _validation() -> pd.DataFrame:
    """Out-of-fold value curve of 400 training carts: its peak is at 0.5."""
    return pd.DataFrame(
        {
            "threshold": [0.0, 0.5, 0.9, 1.0],
            "targeted_share": [0.0, 0.4, 0.9, 1.0],
            "value": [0.0, 60.0, 20.0, -8.0],
            "value_per_session": [0.0, 0.15, 0.05, -0.02],
        }
    )


def _sensitivity() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "win_back": [0.05, 0.1],
            "value_per_1000": [-20.4, 200.0],
            "ci_low": [-90.0, 50.0],
            "ci_high": [60.0, 350.0],
            "everyone_per_1000": [-100.0, -50.0],
            "carts_per_arm": [6274, None],
        }
    )


def _value(held_out=None, validation=None, plan=None) -> md.InterventionValue:
    """A hand-made targeting readout: margin 30%, cost 2, win-back 10%, 200 held-out and 400 training carts."""
    return md.InterventionValue(
        curve=_held_out() if held_out is None else held_out,
        validation=_validation() if validation is None else validation,
        margin=0.3,
        offer_cost=2.0,
        uplift=0.1,
        n=200,
        n_validation=400,
        sensitivity=_sensitivity(),
        break_even={"chosen": 0.0625, "everyone": 1.5},
        plan=md.holdout_test_plan(0.5, 0.1, targeted_share=0.4) if plan is None else plan,
    )


def test_intervention_value_reports_the_held_out_value_of_the_threshold_chosen_on_validation():
    value = _value()
    # the held-out curve peaks at 0.9; the validation folds choose 0.5, and 0.5 is what is reported
    assert value.threshold == 0.5 and value.best.threshold == 0.5 and value.everyone.threshold == 1.0
    assert value.per_1000 == pytest.approx(200.0) and value.interval_above_zero and value.earns_its_keep
    d = value.to_dict()
    assert {k: d[k] for k in ("best_threshold", "targeted_share", "value", "ci_low", "ci_high", "p_value")} == {
        "best_threshold": 0.5,
        "targeted_share": 0.5,
        "value": 40.0,
        "ci_low": 10.0,
        "ci_high": 70.0,
        "p_value": 0.01,
    }
    assert d["margin"] == 0.3 and d["offer_cost"] == 2.0 and d["uplift"] == 0.1 and d["held_out_carts"] == 200
    assert d["value_per_1000_carts"] == pytest.approx(200.0)
    assert d["gain_over_targeting_all"] == {"estimate": 50.0, "ci_low": 20.0, "ci_high": 80.0}
    assert d["threshold_selection"] == {
        "method": md.SELECTION_METHOD,
        "validation_carts": 400,
        "threshold": 0.5,
        "validation_targeted_share": 0.4,
        "validation_value_per_1000_carts": 150.0,
    }
    assert d["sensitivity"] is value.sensitivity and d["break_even_win_back"] == {"chosen": 0.0625, "everyone": 1.5}
    assert d["holdout_test_plan"]["targeted_carts_per_arm"] == 1565
    curves = value.curves_per_1000()
    assert curves.columns.tolist() == ["threshold", "validation", "held_out", "held_out_low", "held_out_high"]
    np.testing.assert_allclose(curves.validation, [0, 150, 50, -20])  # per 1,000 training carts
    np.testing.assert_allclose(curves.held_out, [0, 200, 300, -50])  # per 1,000 held-out carts (n = 200)
    np.testing.assert_allclose(curves.held_out_high, [0, 350, 450, 60])


def test_intervention_value_sentences_say_the_value_rests_on_the_assumed_win_back():
    value = _value()
    assert value.sentence() == (
        "Chosen on the validation folds (400 training carts, out-of-fold predictions): target carts whose predicted "
        "purchase probability is below **0.50**. Checked once on the 200 held-out carts, it targets 50.0% of them "
        "and earns **+200 per 1,000 carts** (95% CI +50 to +350; bootstrap p = 0.01 that it earns nothing). "
        "Targeting every cart would earn -50 per 1,000 (95% CI -150 to +60); the model-guided policy adds +250 per "
        "1,000 over it (95% CI +100 to +400), so at this win-back the model earns its keep. All of it rests on the "
        "**assumed win-back of 10%** of would-be-abandoned carts (margin 30%, cost 2 per targeted cart): the "
        "win-back has not been measured."
    )
    # a held-out interval that reaches zero never earns its keep, even with a gain over targeting everyone
    unsure = _value(held_out=_held_out().assign(ci_low=[0.0, -1.0, 5.0, -30.0]))
    assert not unsure.interval_above_zero and not unsure.earns_its_keep
    assert "earns its keep" not in unsure.sentence()
    assert "the held-out value's interval includes zero: **no shown value**. All of it rests on" in unsure.sentence()
    no_gain = _value(held_out=_held_out().assign(gain_ci_low=[-5.0, -1.0, 0.0, 0.0]))
    assert no_gain.interval_above_zero and not no_gain.earns_its_keep
    assert "that gain's interval includes zero: no shown advantage over targeting every cart." in no_gain.sentence()
    losing = _value(validation=_validation().assign(value=[0.0, -1.0, -2.0, -8.0]))
    assert losing.sentence().endswith("**target no cart**. This rests on the assumed win-back.")
    assert value.sensitivity_sentence() == (
        "The value is linear in the win-back rate: the chosen policy breaks even at a win-back of **6.2%** (targeting "
        "every cart needs more than 100% (never)). Below that rate the offer loses money; the assumed 10% is above it."
    )
    assert value.plan_sentence() == (
        "To measure the win-back, randomize the targeted carts (predicted purchase probability below 0.50) between "
        "the offer and no offer. Without an offer they buy at 50.0% (training carts); a 10% win-back would lift that "
        "to 55.0% (+5.0 pp). Detecting it with a two-sided pooled two-proportion z-test at 5% significance and 80% "
        "power needs **1,565 targeted carts per arm** (3,130 in all, about 7,825 carts passing through at the "
        "targeted share)."
    )
    assert _value(plan={}).plan_sentence() == "No cart is targeted, so there is no offer to test."
    table = value.sensitivity_table()
    assert table.to_dict(orient="list") == {
        "win-back": ["5%", "10%"],
        "value per 1,000 carts": ["-20", "+200"],
        "95% CI": ["-90 to +60", "+50 to +350"],
        "targeting every cart, per 1,000": ["-100", "-50"],
        "targeted carts per arm to measure it": ["6,274", "n/a"],
    }


def test_intervention_value_chooses_on_training_carts_and_values_the_held_out_carts():
    comp = _comparison()  # held-out rows 0..3: y = 0, 1, 0, 1; p = 0.1, 0.9, 0.6, 0.7; training rows 10..25
    oof = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7, 0.6] * 2)  # 16 training carts
    comp.cv[comp.best] = dataclasses.replace(comp.cv[comp.best], oof_pred=oof)
    y_train = np.array([0, 0, 0, 0, 1, 1, 1, 1] * 2)  # the low-probability carts are abandoned
    prices = [100.0, 50.0, 200.0, 10.0, 999.0] + [0.0] * 5 + [100.0] * 16
    sessions = pd.DataFrame(
        {
            "price": prices,
            "discount_applied": [10, 0, 50, 0, 0] + [0] * 21,
            TARGET: [0, 1, 0, 1, 0] + [0] * 5 + list(y_train),
        },
        index=range(26),
    )
    value = md.intervention_value(comp, sessions, margin=0.5, offer_cost=1.0, uplift=0.2, win_backs=[0.1, 0.2])
    # validation: targeting the 8 abandoned carts (p < 0.5) earns 8 * (0.2 * 0.5 * 100 - 1) = 72, the peak
    assert value.n == 4 and value.n_validation == 16 and len(value.curve) == 51
    assert value.validation["value"].max() == pytest.approx(72.0)
    assert 0.4 < value.threshold <= 0.5
    # held out at that threshold: only p = 0.1 (y = 0, order value 90) is targeted: 0.2 * 0.5 * 90 - 1 = 8
    assert value.best.value == pytest.approx(8.0) and value.best.targeted_share == 0.25
    assert value.break_even == {"chosen": pytest.approx(1 / 45), "everyone": pytest.approx(4 / 95)}
    assert value.plan == {}  # the targeted training carts never buy: no baseline to plan from
    assert value.sensitivity.win_back.tolist() == [0.1, 0.2]
    np.testing.assert_allclose(value.sensitivity.value_per_1000, [1000 * (0.1 * 45 - 1) / 4, 1000 * (0.2 * 45 - 1) / 4])
    assert value.sensitivity.carts_per_arm.isna().all()
    np.testing.assert_allclose(md.order_values(sessions.head(5)), [90.0, 50.0, 100.0, 10.0, 999.0])
    with pytest.raises(ValueError, match="out-of-fold predictions"):
        md.intervention_value(_comparison(), sessions, margin=0.5, offer_cost=1.0, uplift=0.2)


def test_value_curve_alpha_sets_the_interval():
    rng = np.random.default_rng(0)
    y, p, v = rng.integers(0, 2, 300), rng.random(300), rng.uniform(10, 100, 300)
    kw = dict(margin=0.3, offer_cost=1.0, uplift=0.2, thresholds=[0.5], n_boot=200)
    wide = md.value_curve(y, p, v, **kw).iloc[0]
    narrow = md.value_curve(y, p, v, alpha=0.5, **kw).iloc[0]
    assert wide.ci_low < narrow.ci_low <= narrow.value <= narrow.ci_high < wide.ci_high
    for bad in ({"alpha": 0}, {"alpha": 1.5}, {"margin": 1.5}, {"n_boot": 0}, {"offer_cost": -1}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            md.value_curve(y, p, v, **{**kw, **bad})


def test_abandonment_gains_rank_carts_by_risk():
    comp = _comparison()  # y = 0, 1, 0, 1 (abandoned: rows 0 and 2); p = 0.1, 0.9, 0.6, 0.7
    gains = md.abandonment_gains(comp, points=4)
    assert gains.model == "xgboost"
    # risk 1 - p = 0.9, 0.1, 0.4, 0.3: rows 0, 2 first -> half the abandoned carts in the top 25%, all in the top 50%.
    assert gains.curve.share_of_purchases.tolist() == [0.5, 1.0, 1.0, 1.0]
    assert gains.at(0.2).share_targeted == 0.25
    assert gains.sentence(0.5) == "The riskiest 50% of carts hold 100.0% of the abandoned ones (lift 2.00)."
    with pytest.raises(ValueError, match="share must lie in"):
        gains.at(0)


# ------------------------------------------------------------------------------ a small fitted stage
@pytest.fixture(scope="module")
def small_stage(small_sim):
    """The browse stage on 400 sessions, with small forests (fast)."""
    sessions = small_sim.sessions.head(400)
    models = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical)
    models["random_forest"].set_params(model__n_estimators=20, model__n_jobs=1)
    models["xgboost"].set_params(model__n_estimators=30, model__n_jobs=1)
    return sessions, md.evaluate_stage(sessions, md.BROWSE, seed=0, models=models)


def test_evaluate_stage_without_truth_runs_the_permutation_test(small_stage):
    sessions, report = small_stage
    assert report.ceilings == {} and report.permutation["n_permutations"] == 2000
    c = report.comparison
    assert len(c.test_index) == 80 and set(c.pipelines) == {"logistic_regression", "random_forest", "xgboost"}
    assert report.best_auc == c.holdout[c.best].roc_auc.estimate
    assert report.permutation["auc"] == pytest.approx(report.best_auc)
    with pytest.raises(ValueError, match="stage must be a Stage"):
        md.evaluate_stage(sessions, "browse")


def test_stage_drivers_explain_the_held_out_rows(small_stage):
    sessions, report = small_stage
    drivers = md.stage_drivers(report, sessions)
    assert set(drivers.shap.feature) == set(md.BROWSE.features)
    assert set(drivers.permutation.feature) == set(md.BROWSE.features)
    assert drivers.permutation.auc_drop.is_monotonic_decreasing
    assert drivers.beats_chance == report.beats_chance


def test_save_stage_models_writes_cards_and_names_published_paths(small_stage, tmp_path):
    sessions, report = small_stage
    run = Run("simulated", 400, 1, reports_root=tmp_path / "r", models_root=tmp_path / "m")
    saved = md.save_stage_models([report], run, data_hash="ab" * 8, seed=0)
    best = report.comparison.best
    assert saved == {
        "browse": {
            "model": best,
            "path": "models/simulated-n400-seed1/browse_stage.joblib",
            "card": "models/simulated-n400-seed1/browse_stage.card.json",
        }
    }
    pipe, card = md.load_model(run.models_out / "browse_stage.joblib")
    assert card["model"] == best and card["data_hash"] == "ab" * 8 and card["source"] == run.label
    assert card["excluded_features"] == ["abandoned_cart", "add_to_cart"] and card["train_rows"] == 320
    assert card["holdout"]["roc_auc"]["estimate"] == pytest.approx(report.best_auc)
    X = md.stage_frame(sessions, md.BROWSE)[md.BROWSE.features]
    np.testing.assert_allclose(pipe.predict_proba(X), report.comparison.pipelines[best].predict_proba(X))
    assert (
        md.saved_sentence(saved) == f"Saved with a model card for scoring new sessions: the browse stage's **{best}**."
    )
    assert "models/" not in md.saved_sentence(saved)


def test_display_path_and_model_path(tmp_path):
    from ecommerce_analytics.run import Run

    default, other = Run(models_root=tmp_path / "m"), Run("simulated", 10, 1, models_root=tmp_path / "m")
    assert md.display_path(default.models_dir / "browse_stage.joblib", default).as_posix() == (
        "models/browse_stage.joblib"
    )
    assert md.display_path(other.models_dir / "x.joblib", other).as_posix() == "models/simulated-n10-seed1/x.joblib"
    assert md.model_path("browse", tmp_path) == tmp_path / "browse_stage.joblib"
    with pytest.raises(ValueError, match="stage must be one of browse, cart"):
        md.model_path("checkout", tmp_path)


def test_data_fingerprint(tmp_path):
    sessions = pd.DataFrame({"a": [1, 2, 3]})
    h = md.data_fingerprint("simulated", sessions, simulated=True)
    assert len(h) == 16 and h == md.data_fingerprint("x", sessions.copy(), simulated=True)
    assert h != md.data_fingerprint("simulated", sessions.assign(a=[1, 2, 4]), simulated=True)
    f = tmp_path / "d.csv"
    f.write_text("a\n1\n")
    assert md.data_fingerprint(str(f), sessions, simulated=False) == file_sha256(f)


# ------------------------------------------------------------------------------------------- results
def test_prediction_results_round_trip_with_the_committed_keys(tmp_path):
    comp = _comparison()
    leakage = md.LeakageReadout(
        {"rows": 4, "identity_holds": 4, "identity_fails": 0},
        pd.DataFrame({"feature": ["age"], "auc": [0.6], "determined_share": [0.0], "flagged": [False], "reason": [""]}),
        pd.DataFrame({"feature": ["abandoned_cart"], "auc": [1.0], "determined_share": [1.0]}),
    )
    shap = pd.DataFrame({"feature": list("abcdef"), "mean_abs_shap": [6.0, 5, 4, 3, 2, 1], "direction": [0.5] * 6})
    results = md.PredictionResults.collect(
        leakage=leakage,
        browse=md.StageReport(md.BROWSE, comp, {"observable": 0.8, "all_knowing": 0.9}),
        cart=md.StageReport(md.CART, comp, {}, {"p_value": 0.5}),
        shortcut=md.ShortcutReadout(pd.Series({"browse features": 0.7}), 0.7),
        drivers=md.DriversReadout(pd.DataFrame(), shap),
        value=_value(),
        models={"browse": {"model": "xgboost", "path": "models/browse_stage.joblib", "card": "c"}},
    )
    assert results.NOTEBOOK == "03_purchase_prediction" and results.VERSION == 2
    assert results.excluded_features == ["abandoned_cart"] and len(results.top_drivers_browse) == 5
    run = Run(reports_root=tmp_path)
    path = results.save(run)
    written = json.loads(path.read_text())
    assert written["version"] == 2 and written["notebook"] == "03_purchase_prediction"
    assert set(written["results"]) == {
        "funnel_identity",
        "leakage_audit",
        "excluded_features",
        "browse",
        "cart",
        "shortcut_auc",
        "top_drivers_browse",
        "value",
        "models",
    }
    assert written["results"]["cart"]["permutation_test"] == {"p_value": 0.5}
    assert written["results"]["value"]["best_threshold"] == 0.5
    value = written["results"]["value"]
    # version 1's keys (read by notebook 05) are kept; version 2 adds the selection, sensitivity and test plan
    assert set(value) == {
        "margin", "offer_cost", "uplift", "best_threshold", "targeted_share", "value", "ci_low", "ci_high",
        "held_out_carts", "value_per_1000_carts", "gain_over_targeting_all",
        "p_value", "threshold_selection", "sensitivity", "break_even_win_back", "holdout_test_plan",
    }  # fmt: skip
    assert value["sensitivity"][1] == {
        "win_back": 0.1, "value_per_1000": 200.0, "ci_low": 50.0, "ci_high": 350.0, "everyone_per_1000": -50.0,
        "carts_per_arm": None,
    }  # fmt: skip
    assert value["holdout_test_plan"]["targeted_carts_per_arm"] == 1565
    loaded = md.PredictionResults.load(run)
    assert loaded.to_dict() == written["results"]
    with pytest.raises(ValueError, match="browse and cart must be"):
        md.PredictionResults.collect(
            leakage=leakage,
            browse=md.StageReport(md.CART, comp, {}),
            cart=md.StageReport(md.CART, comp, {}),
            shortcut=md.ShortcutReadout(pd.Series({"browse features": 0.7}), 0.7),
            drivers=md.DriversReadout(pd.DataFrame(), shap),
            value=_value(),
            models={},
        )


# ------------------------------------------------------------------------------------------- summary
def test_prediction_summary_answers_with_held_out_aucs_against_the_ceilings_and_says_what_to_do():
    browse = md.StageReport(md.BROWSE, _comparison(), {"observable": 0.775, "all_knowing": 0.845})
    cart = md.StageReport(md.CART, _comparison(best="logistic_regression"), {"observable": 0.80, "all_knowing": 0.9})
    text = md.prediction_summary(browse, cart, _value())
    question, answer, action = text.split("\n\n")
    assert question.startswith("**Question.** Can we tell which sessions will buy")
    assert answer == (
        "**Answer.** Partly. Before any cart action, xgboost reaches held-out ROC-AUC **0.765** (95% CI 0.748 to "
        "0.783), 98.7% of the 0.775 that the true probabilities reach with these columns; at the cart, "
        "logistic_regression reaches held-out ROC-AUC **0.740** (95% CI 0.723 to 0.758), 92.5% of its ceiling 0.800."
    )
    assert action == (
        "**What to do.** Test the cart-recovery offer before rolling it out. Aimed by the logistic_regression "
        "cart-stage model at carts whose predicted purchase probability is below 0.50 (50% of carts), it is worth "
        "+200 per 1,000 carts (95% CI +50 to +350) on held-out carts, but only with an assumed win-back of 10% "
        "(break-even 6.2%), which nobody has measured. A randomized holdout test of the offer needs **1,565 "
        "targeted carts per arm** to measure a 10% win-back."
    )
    near = md.StageReport(md.CART, _comparison(), {"observable": 0.775, "all_knowing": 0.9})
    assert "**Answer.** Yes, about as well as these columns allow." in md.prediction_summary(browse, near, _value())
    unsure = md.prediction_summary(browse, cart, _value(held_out=_held_out().assign(ci_low=[0.0, -1.0, 5.0, -30.0])))
    assert "**What to do.** Do not roll out the cart-recovery offer yet" in unsure and "earns its keep" not in unsure
    losing = _value(validation=_validation().assign(value=[0.0, -1.0, -2.0, -8.0]))
    assert "no threshold earns anything on the validation folds" in md.prediction_summary(browse, cart, losing)
    with pytest.raises(ValueError, match="browse and cart must be"):
        md.prediction_summary(cart, browse, _value())


def test_prediction_summary_without_truth_tests_against_chance():
    chance = {"n_permutations": 2000, "p_value": 0.31, "null_p97_5": 0.53, "auc": 0.52}
    browse = md.StageReport(md.BROWSE, _comparison(), {}, {**chance, "p_value": 0.001})
    cart = md.StageReport(md.CART, _comparison(), {}, chance)
    text = md.prediction_summary(browse, cart, _value())
    assert "**Answer.** Only at one stage. Before any cart action, xgboost reaches held-out ROC-AUC **0.765**" in text
    assert "better than chance (permutation p = 0.001); at the cart" in text
    assert "**no better than chance** (permutation p = 0.310)." in text
    assert text.endswith(
        "**What to do.** Do not aim a cart-recovery offer with the cart-stage model: it ranks carts no better than "
        "chance, so targeting by it is random targeting."
    )  # targeting every cart: -50 per 1,000 (95% CI -150 to +60), not shown to pay
    paying = _value(held_out=_held_out().assign(ci_low=[0.0, 10.0, 5.0, 2.0], value=[0.0, 40.0, 60.0, 10.0]))
    assert md.prediction_summary(browse, cart, paying).endswith(
        "random targeting. An offer to every cart would earn +50 per 1,000 carts (95% CI +10 to +60) only if it "
        "wins back 10% of would-be-abandoned carts, an unmeasured assumption: test it first."
    )
    assert "**Answer.** No." in md.prediction_summary(
        md.StageReport(md.BROWSE, _comparison(), {}, chance), cart, _value()
    )


def test_prediction_banner_states_the_source_and_on_the_simulator_what_was_planted_and_recovered():
    sessions = pd.DataFrame({"add_to_cart": [1, 1, 0, 0], TARGET: [1, 0, 0, 0]})
    browse = md.StageReport(md.BROWSE, _comparison(), {"observable": 0.775, "all_knowing": 0.845})
    cart = md.StageReport(md.CART, _comparison(), {"observable": 0.8, "all_knowing": 0.9})
    assert md.prediction_banner("simulated (n=4, seed=1)", sessions, browse, cart) == (
        "Source: **simulated (n=4, seed=1)**: 4 sessions, 2 with an add-to-cart, purchase rate 25.0%. Planted by the "
        "simulator: each session's true purchase probability, which with the observable columns ranks buyers at "
        "ROC-AUC 0.775 before the cart and 0.800 at the cart (0.845 and 0.900 knowing the hidden persona too). "
        "Recovered by the best models: 0.765 and 0.765."
    )
    unknown = md.prediction_banner("data.csv", sessions, md.StageReport(md.BROWSE, _comparison(), {}), cart)
    assert unknown.startswith("Source: **data.csv**: 4 sessions") and "tested against chance" in unknown


def test_leakage_readout_reports_the_timing_check_and_does_not_exclude_its_flags():
    audit = pd.DataFrame(
        {
            "feature": ["abandoned_cart", "refunds_90d", "age"],
            "auc": [0.75, 0.86, 0.65],
            "determined_share": [0.39, 0.0, 0.0],
            "cv_auc": [np.nan, 0.856, 0.64],
            "full_auc": [np.nan, 0.87, 0.87],
            "drop_cost": [np.nan, 0.29, np.nan],
            "timing_check": [False, True, False],
            "flagged": [True, True, False],
            "reason": ["its value alone determines the target on 100.0% of rows", "check timing: ...", ""],
        }
    )
    cart = pd.DataFrame({"feature": ["abandoned_cart"], "auc": [1.0], "determined_share": [1.0]})
    readout = md.LeakageReadout({"rows": 10, "identity_holds": 10, "identity_fails": 0}, audit, cart)
    assert readout.excluded_features == ["abandoned_cart"]  # a timing flag is a question, not an exclusion
    assert readout.timing_sentence() == (
        "Timing check (a column alone at cross-validated ROC-AUC 0.85 or more, or at 0.80 or more with its removal "
        "costing at least 50% of the full model's lift over 0.5): **refunds_90d** carries most of the prediction "
        "(all unflagged columns together score 0.870): check that it is known before the outcome before using it."
    )
    assert readout.sentence().endswith(readout.timing_sentence())
    clean = md.LeakageReadout(readout.identity, audit.assign(timing_check=False, flagged=[True, False, False]), cart)
    assert clean.timing_sentence().endswith(
        "nothing is flagged; all unflagged columns together score 0.870, and the strongest alone, refunds_90d, 0.856."
    )


def test_a_stage_with_the_tuned_model_says_how_it_was_validated(small_sim):
    frame = md.stage_frame(small_sim.sessions.head(800), md.BROWSE)
    models = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical, log_columns=md.LOG_COLUMNS, tuned=True, n_jobs=1)
    small = {"n_estimators": [20, 40], "max_depth": [2, 3]}
    models["xgboost"].set_params(model__n_estimators=30)
    models[md.TUNED].set_params(model__search_space=small, model__default_settings={"n_estimators": 30})
    models = {k: models[k] for k in ("logistic_regression", "xgboost", md.TUNED)}
    report = md.evaluate_stage(small_sim.sessions.head(800), md.BROWSE, seed=0, models=models)
    assert report.comparison.table().model.tolist() == ["logistic_regression", "xgboost", md.TUNED]
    text = report.tuning_sentence()
    cv = report.comparison.cv
    assert text.startswith("**xgboost (tuned)**: its settings are searched inside each training fold")
    assert f"cross-validated ROC-AUC {cv[md.TUNED].auc.estimate:.3f}" in text
    assert f"untuned xgboost: {cv['xgboost'].auc.estimate:.3f}" in text
    assert report.sentences()[-1] == text and "machine" not in text
    tuning = report.to_dict()["tuning"]
    assert tuning["search_space"] == small and tuning["chosen"] in [
        report.comparison.pipelines[md.TUNED].named_steps["model"].candidates_[i] for i in range(4)
    ]
    assert len(frame) == 800
