"""Modeling helpers: leakage audit, validation, DeLong, value curves, persistence and scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ecommerce_analytics import modeling as md
from ecommerce_analytics.cli import main
from ecommerce_analytics.schema import TARGET


def _churn(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A dataset with other names: churn depends on tenure and plan; `cancel_form` leaks it."""
    rng = np.random.default_rng(seed)
    tenure = rng.exponential(12, n)
    plan = rng.choice(["basic", "plus", "pro"], n)
    fee = rng.normal(30, 5, n)
    logit = 0.5 - 0.12 * tenure + np.select([plan == "basic", plan == "pro"], [0.8, -0.8], 0.0)
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "tenure": tenure,
            "monthly_fee": fee,
            "plan": plan,
            "churned": churned,
            "cancel_form": churned.copy(),
            "region": rng.choice(["n", "s"], n),
        }
    )


def test_leakage_audit_flags_a_planted_leak_and_passes_clean_columns():
    frame = _churn()
    audit = md.leakage_audit(frame, "churned", ["tenure", "monthly_fee", "plan", "region", "cancel_form"])
    flagged = audit[audit.flagged]
    assert flagged.feature.tolist() == ["cancel_form"]
    assert "ROC-AUC 1.000" in flagged.reason.iloc[0]
    assert audit.set_index("feature").loc["monthly_fee", "auc"] < 0.6


def test_leakage_audit_finds_a_pair_that_determines_the_target(small_sim):
    features = md.session_features(small_sim.sessions)
    audit = md.leakage_audit(features, TARGET, md.BROWSE.features + ["add_to_cart", "abandoned_cart"]).set_index(
        "feature"
    )
    assert audit.loc["abandoned_cart", "flagged"] and audit.loc["add_to_cart", "flagged"]
    assert "with add_to_cart, determines the target on 100.0% of rows" == audit.loc["abandoned_cart", "reason"]
    assert not audit.drop(["add_to_cart", "abandoned_cart"]).flagged.any()
    assert md.funnel_identity(small_sim.sessions) == {"rows": 3000, "identity_holds": 3000, "identity_fails": 0}


def test_fit_and_validate_works_on_any_tabular_dataset():
    frame = _churn(1500)
    models = md.make_models(["tenure", "monthly_fee"], ["plan", "region"], seed=1)
    models["random_forest"].set_params(model__n_estimators=30, model__n_jobs=1)
    models["xgboost"].set_params(model__n_estimators=60, model__n_jobs=1)
    comp = md.fit_and_validate(
        frame, "churned", ["tenure", "monthly_fee"], ["plan", "region"], seed=1, models=models, folds=3
    )
    table = comp.table()
    assert set(table.model) == {"logistic_regression", "random_forest", "xgboost"}
    assert table.best.sum() == 1 and comp.best == table.loc[table.cv_auc.idxmax(), "model"]
    assert comp.holdout[comp.best].roc_auc.estimate > 0.7
    assert len(comp.test_index) == 300 and not set(comp.test_index) & set(comp.train_index)
    assert (table.cv_ci_low <= table.cv_auc).all() and (table.cv_auc <= table.cv_ci_high).all()
    with pytest.raises(md.ModelMismatchError, match="lacks column"):
        md.fit_and_validate(frame, "churned", ["nope"], [])


def test_cross_validation_is_reproducible():
    frame = _churn(1500)
    pipe = md.make_models(["tenure"], ["plan"])["logistic_regression"]
    a = md.cross_validate(pipe, frame[["tenure", "plan"]], frame.churned, seed=3)
    b = md.cross_validate(pipe, frame[["tenure", "plan"]], frame.churned, seed=3)
    assert a.fold_auc == b.fold_auc and len(a.fold_auc) == 5
    assert roc_auc_score(frame.churned, a.oof_pred) == pytest.approx(np.mean(a.fold_auc), abs=0.02)


def test_delong_matches_sklearn_and_a_paired_bootstrap():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    a = y * 0.8 + rng.normal(0, 1, 1000)
    b = y * 0.5 + rng.normal(0, 1, 1000)
    res = md.delong_test(y, a, b)
    assert res["auc_a"] == pytest.approx(roc_auc_score(y, a)) and res["auc_b"] == pytest.approx(roc_auc_score(y, b))
    idx = rng.integers(0, len(y), size=(400, len(y)))
    diffs = [roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]) for i in idx]
    se_boot = np.std(diffs, ddof=1)
    se_delong = (res["ci_high"] - res["ci_low"]) / (2 * 1.959964)
    assert se_delong == pytest.approx(se_boot, rel=0.15)
    swapped = md.delong_test(y, b, a)
    assert swapped["difference"] == pytest.approx(-res["difference"]) and swapped["p_value"] == pytest.approx(
        res["p_value"]
    )
    same = md.delong_test(y, a, a)
    assert same["difference"] == 0 and same["p_value"] == 1.0


def test_permutation_test_against_chance():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    noise = md.auc_permutation_test(y, rng.random(500), n_permutations=500)
    assert noise["p_value"] > 0.05 and abs(noise["null_mean"] - 0.5) < 0.01
    perfect = md.auc_permutation_test(y, y + rng.random(500) * 0.1, n_permutations=500)
    assert perfect["auc"] == 1.0 and perfect["p_value"] == pytest.approx(1 / 501)


def test_value_curve_on_a_hand_computed_example():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.6, 0.9])
    value = np.array([100.0, 200.0, 50.0, 50.0])
    curve = md.value_curve(
        y, p, value, margin=0.5, offer_cost=1.0, uplift=0.1, thresholds=[0.0, 0.15, 0.5, 1.0], n_boot=50
    ).set_index("threshold")
    assert curve.loc[0.0, "value"] == 0.0
    assert curve.loc[0.15, "value"] == pytest.approx(0.1 * 0.5 * 100 - 1)
    assert curve.loc[0.5, "value"] == pytest.approx(0.1 * 0.5 * 300 - 2)
    assert curve.loc[1.0, "value"] == pytest.approx(0.1 * 0.5 * 300 - 4)
    assert curve.loc[0.5, "gain_over_all"] == pytest.approx(2.0)


def test_gain_curve_of_a_perfect_ranking():
    y = np.array([1] * 20 + [0] * 80)
    gains = md.gain_curve(y, y.astype(float), points=10)
    np.testing.assert_allclose(gains.share_of_purchases, np.minimum(1, gains.share_targeted / 0.2))


def test_reliability_curve_and_confusion_matrix():
    rng = np.random.default_rng(2)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(int)
    rel = md.reliability_curve(y, p)
    assert len(rel) == 10 and ((rel.observed - rel.predicted).abs() < 0.05).all()
    cm = md.confusion_at(y, p, 0.5)
    assert cm.to_numpy().sum() == 5000 and cm.loc["purchase", "predicted yes"] == ((p >= 0.5) & (y == 1)).sum()


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, small_sim):
    frame = md.stage_frame(small_sim.sessions, md.BROWSE)
    pipe = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical)["logistic_regression"]
    pipe.fit(frame[md.BROWSE.features], frame[TARGET])
    path = tmp_path_factory.mktemp("models") / "browse_stage.joblib"
    card = {
        "stage": "browse",
        "target": TARGET,
        "model": "logistic_regression",
        "numeric": list(md.BROWSE.numeric),
        "categorical": list(md.BROWSE.categorical),
    }
    md.save_model(pipe, path, card)
    return path, pipe


def test_predict_round_trip_through_the_contract(saved_model, small_sim, tmp_path, capsys):
    path, pipe = saved_model
    sessions = small_sim.sessions.head(200).copy()
    data = sessions.copy()
    data.loc[[5, 9], "price"] = -1.0  # two rows the contract quarantines
    data.to_csv(tmp_path / "new.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    assert (
        main(
            [
                "-q",
                "predict",
                "--model",
                str(path),
                "--data",
                str(tmp_path / "new.csv"),
                "--out",
                str(tmp_path / "scores.csv"),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "2 of 200 rows quarantined and not scored" in captured.err
    assert "Scored 198 of 200 rows" in captured.out
    scores = pd.read_csv(tmp_path / "scores.csv")
    kept = sessions.drop(index=[5, 9])
    expected = pipe.predict_proba(md.session_features(kept)[md.BROWSE.features])[:, 1]
    np.testing.assert_allclose(scores.purchase_probability, expected, rtol=1e-9)
    assert scores.line.tolist() == [i + 2 for i in kept.index]  # CSV lines (header is line 1)
    assert scores.user_id.tolist() == kept.user_id.tolist()


def test_cart_stage_model_scores_only_carts(saved_model, small_sim):
    path, pipe = saved_model
    loaded, card = md.load_model(path)
    card = {**card, "stage": "cart"}
    out = md.score_sessions(loaded, card, small_sim.sessions.head(100))
    carts = small_sim.sessions.head(100).add_to_cart == 1
    assert out.purchase_probability.notna().to_numpy().tolist() == carts.tolist()
    assert (out.note[~carts.to_numpy()] == "not scored: the cart-stage model needs add_to_cart = 1").all()


def test_model_mismatch_and_missing_files_are_clear_errors(saved_model, small_sim, tmp_path, capsys):
    path, _ = saved_model
    pipe, card = md.load_model(path)
    with pytest.raises(md.ModelMismatchError, match="lacks feature"):
        md.score_sessions(pipe, {**card, "features": card["features"] + ["loyalty_tier"]}, small_sim.sessions)
    assert main(["predict", "--model", str(tmp_path / "none.joblib"), "--data", "x.csv", "--out", "y.csv"]) == 2
    assert "model file not found" in capsys.readouterr().err
    with pytest.raises(ValueError, match="model card lacks 'target'"):
        md.save_model(pipe, tmp_path / "m.joblib", {"stage": "cart", "numeric": [], "categorical": []})
    with pytest.raises(ValueError, match="stage must be one of browse, cart or absent, got 'checkout'"):
        md.save_model(pipe, tmp_path / "m.joblib", {**card, "stage": "checkout"})


def test_shap_importances_sum_to_the_model_output(small_sim):
    frame = md.stage_frame(small_sim.sessions, md.BROWSE)
    pipe = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical)["xgboost"].set_params(
        model__n_estimators=60, model__n_jobs=1
    )
    pipe.fit(frame[md.BROWSE.features], frame[TARGET])
    shap = md.shap_importances(pipe, frame[md.BROWSE.features].head(300), md.BROWSE.categorical)
    assert set(shap.feature) == set(md.BROWSE.features)  # one-hot columns summed back
    assert (shap.mean_abs_shap >= 0).all() and shap.mean_abs_shap.is_monotonic_decreasing


def test_interval_functions_take_alpha():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 400)
    a, b = y * 0.8 + rng.normal(0, 1, 400), y * 0.5 + rng.normal(0, 1, 400)
    est = md.auc_ci(y, a)
    assert est.estimate == pytest.approx(roc_auc_score(y, a)) and est.confidence == 0.95 and est.method == "DeLong"
    half = (est.ci_high - est.ci_low) / 2
    narrow = md.auc_ci(y, a, alpha=0.5)
    assert (narrow.ci_high - narrow.ci_low) / 2 == pytest.approx(
        half * 0.6744898 / 1.959964
    ) and narrow.confidence == 0.5
    wide, tight = md.delong_test(y, a, b), md.delong_test(y, a, b, alpha=0.5)
    assert tight["difference"] == wide["difference"] and tight["p_value"] == wide["p_value"]
    assert (tight["ci_high"] - tight["ci_low"]) == pytest.approx(
        (wide["ci_high"] - wide["ci_low"]) * 0.6744898 / 1.959964
    )
    frame = _churn(300)
    pipe = md.make_models(["tenure"], ["plan"])["logistic_regression"]
    cv95 = md.cross_validate(pipe, frame[["tenure", "plan"]], frame.churned, folds=3)
    cv50 = md.cross_validate(pipe, frame[["tenure", "plan"]], frame.churned, folds=3, alpha=0.5)
    from scipy import stats

    ratio = stats.t.ppf(0.75, 2) / stats.t.ppf(0.975, 2)
    assert cv50.auc.estimate == cv95.auc.estimate and cv50.auc.confidence == 0.5
    assert cv50.auc.ci_high - cv50.auc.estimate == pytest.approx((cv95.auc.ci_high - cv95.auc.estimate) * ratio)
    for call in (
        lambda: md.auc_ci(y, a, alpha=0),
        lambda: md.delong_test(y, a, b, alpha=1.0),
        lambda: md.cross_validate(pipe, frame[["tenure"]], frame.churned, alpha=-0.1),
        lambda: md.evaluate_holdout("m", y, a, 0.5, alpha=2),
    ):
        with pytest.raises(ValueError, match="alpha must be a number strictly between 0 and 1"):
            call()
    with pytest.raises(ValueError, match="folds must be an integer of at least 2"):
        md.cross_validate(pipe, frame[["tenure"]], frame.churned, folds=1)


def test_evaluate_holdout_on_a_hand_computed_example():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    h = md.evaluate_holdout("m", y, p, 0.3)
    assert h.roc_auc.estimate == 0.75 and h.prevalence == 0.5 and h.threshold == 0.3
    assert h.brier == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert h.f1 == pytest.approx(0.8)  # predicted yes: 0.4, 0.35, 0.8 -> precision 2/3, recall 1
    assert h.to_dict()["roc_auc"]["estimate"] == 0.75


def test_the_package_keeps_every_public_name_of_the_former_module():
    former = [
        "Stage", "BROWSE", "CART", "session_features", "stage_frame", "funnel_identity", "leakage_audit",
        "make_models", "CVResult", "cross_validate", "HoldoutResult", "evaluate_holdout", "delong_test",
        "auc_permutation_test", "reliability_curve", "confusion_at", "permutation_importances", "shap_importances",
        "value_curve", "gain_curve", "save_model", "load_model", "ModelMismatchError", "ModelComparison",
        "fit_and_validate", "best_f1_threshold", "check_features", "score_sessions", "model_path", "MODEL_FORMAT",
        "ModelFileError", "read_model_card", "N_JOBS", "LOG_COLUMNS",
    ]  # fmt: skip
    assert [n for n in former if n not in md.__all__] == []
    assert all(hasattr(md, n) for n in md.__all__)
    from ecommerce_analytics.modeling import PredictionResults, load_model, score_sessions

    assert PredictionResults.NOTEBOOK == "03_purchase_prediction" and PredictionResults.VERSION == 2
    assert load_model is md.load_model and score_sessions is md.score_sessions


def test_choose_threshold_takes_the_first_peak_and_validates_the_curve():
    curve = pd.DataFrame({"threshold": [0.0, 0.3, 0.6, 0.9], "value": [0.0, 5.0, 5.0, -2.0]})
    assert md.choose_threshold(curve) == 0.3
    with pytest.raises(ValueError, match="curve must be a non-empty frame"):
        md.choose_threshold(curve.drop(columns="value"))


def test_break_even_win_back_is_cost_over_won_margin():
    y, p, v = np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.6, 0.9]), np.array([100.0, 200.0, 50.0, 50.0])
    # threshold 0.5 targets the two abandoned carts: cost 2 * 1.0 over margin 0.5 * 300
    assert md.break_even_win_back(y, p, v, 0.5, margin=0.5, offer_cost=1.0) == pytest.approx(2 / 150)
    # at that rate the value curve is zero
    at = md.value_curve(y, p, v, margin=0.5, offer_cost=1.0, uplift=2 / 150, thresholds=[0.5], n_boot=5)
    assert at.value.iloc[0] == pytest.approx(0.0)
    assert md.break_even_win_back(y, p, v, 2.0, margin=0.5, offer_cost=1.0) == pytest.approx(4 / 150)
    assert np.isnan(md.break_even_win_back(y, p, v, 0.0, margin=0.5, offer_cost=1.0))
    assert md.break_even_win_back(np.ones(4), p, v, 0.5, margin=0.5, offer_cost=1.0) == np.inf
    with pytest.raises(ValueError, match="margin must lie in"):
        md.break_even_win_back(y, p, v, 0.5, margin=2, offer_cost=1.0)


def test_holdout_test_plan_sizes_the_two_proportion_test():
    plan = md.holdout_test_plan(0.5, 0.1, targeted_share=0.4)
    # 0.50 -> 0.55: (1.96 * sqrt(2 * 0.525 * 0.475) + 0.8416 * sqrt(0.25 + 0.2475))^2 / 0.05^2 = 1564.7
    assert plan["difference"] == pytest.approx(0.05) and plan["expected_purchase_rate"] == pytest.approx(0.55)
    assert plan["targeted_carts_per_arm"] == 1565 and plan["targeted_carts"] == 3130
    assert plan["carts_to_observe"] == 7825 and plan["alpha"] == 0.05 and plan["power"] == 0.8
    smaller = md.holdout_test_plan(0.5, 0.05)
    assert smaller["targeted_carts_per_arm"] > 3.9 * plan["targeted_carts_per_arm"]  # half the effect, ~4x the carts
    for kwargs, name in (
        ({"baseline_rate": 0.0, "win_back": 0.1}, "baseline_rate"),
        ({"baseline_rate": 0.5, "win_back": 0.0}, "win_back"),
        ({"baseline_rate": 0.5, "win_back": 0.1, "targeted_share": 1.5}, "targeted_share"),
    ):
        with pytest.raises(ValueError, match=name):
            md.holdout_test_plan(**kwargs)


def test_win_back_sensitivity_is_linear_in_the_win_back_with_bootstrap_intervals():
    y, p, v = np.array([0, 0, 1, 1] * 25), np.array([0.1, 0.2, 0.3, 0.9] * 25), np.full(100, 100.0)
    s = md.win_back_sensitivity(y, p, v, 0.5, margin=0.5, offer_cost=1.0, win_backs=[0.02, 0.1, 0.2], n_boot=200)
    # threshold 0.5 targets 75 carts (50 abandoned): value = w * 0.5 * 5000 - 75, per 1,000 of 100 carts
    np.testing.assert_allclose(s.value_per_1000, [10 * (0.02 * 2500 - 75), 10 * (0.1 * 2500 - 75), 10 * (500 - 75)])
    np.testing.assert_allclose(s.everyone_per_1000, [10 * (0.02 * 2500 - 100), 10 * 150, 10 * 400])
    assert (s.ci_low < s.value_per_1000).all() and (s.value_per_1000 < s.ci_high).all()
    # the targeted carts buy at 1/3: the test size falls as the win-back grows
    assert s.carts_per_arm.tolist()[1] == md.holdout_test_plan(1 / 3, 0.1)["targeted_carts_per_arm"]
    assert s.carts_per_arm.is_monotonic_decreasing
    for bad, name in (({"win_backs": [0.0]}, "win_backs"), ({"win_backs": []}, "win_backs"), ({"n_boot": 0}, "n_boot")):
        with pytest.raises(ValueError, match=name):
            md.win_back_sensitivity(y, p, v, 0.5, margin=0.5, offer_cost=1.0, **bad)


def test_value_curve_p_value_counts_resamples_at_or_below_zero():
    y, p, v = np.zeros(50, dtype=int), np.full(50, 0.1), np.full(50, 100.0)
    curve = md.value_curve(y, p, v, margin=0.5, offer_cost=1.0, uplift=0.1, thresholds=[0.0, 0.5], n_boot=99)
    # nothing targeted: every resample is 0, p = (1 + 99) / 100; every cart pays off: p = 1 / 100
    assert curve.p_not_positive.tolist() == [1.0, 0.01]
