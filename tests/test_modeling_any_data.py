"""Modeling helpers on a user's own data: numpy targets, text/bool targets, n_jobs and generic models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from ecommerce_analytics import modeling as md


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A small dataset with other column names; ``signed_up`` depends on ``visits`` and ``plan``."""
    rng = np.random.default_rng(seed)
    visits = rng.exponential(3, n)
    plan = rng.choice(["free", "paid"], n)
    logit = -1.0 + 0.5 * visits + np.where(plan == "paid", 0.8, 0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"visits": visits, "spend": rng.normal(20, 4, n), "plan": plan, "signed_up": y})


def _small_models(numeric, categorical, n_jobs=1):
    """The three candidates, made small so a test runs in a second."""
    models = md.make_models(numeric, categorical, seed=0, n_jobs=n_jobs)
    models["random_forest"].set_params(model__n_estimators=20)
    models["xgboost"].set_params(model__n_estimators=20)
    return models


def test_cross_validate_accepts_numpy_series_and_list_targets_alike():
    frame = _frame()
    pipe = md.make_models(["visits", "spend"], ["plan"])["logistic_regression"]
    X = frame[["visits", "spend", "plan"]]
    results = [
        md.cross_validate(pipe, X, y, folds=3, n_jobs=1).fold_auc
        for y in (frame.signed_up, frame.signed_up.to_numpy(), frame.signed_up.tolist())
    ]
    assert results[0] == results[1] == results[2]
    assert 0.6 < np.mean(results[0]) < 1


def test_cross_validate_takes_a_numpy_feature_matrix_and_reindexed_frames():
    frame = _frame()
    X = frame[["visits", "spend"]].to_numpy()
    y = frame.signed_up.to_numpy()
    on_array = md.cross_validate(LogisticRegression(), X, y, folds=3)
    shuffled_index = frame[["visits", "spend"]].set_axis(np.arange(len(frame))[::-1] * 7)
    on_frame = md.cross_validate(
        LogisticRegression(), shuffled_index, pd.Series(y, index=shuffled_index.index), folds=3
    )
    assert on_array.fold_auc == pytest.approx(on_frame.fold_auc)
    with pytest.raises(ValueError, match="same number of rows, got 300 and 299"):
        md.cross_validate(LogisticRegression(), X, y[:-1], folds=3)


@pytest.fixture(scope="module")
def zero_one_reference():
    """The models, comparison and fold AUCs of the 0/1 target, computed once for every encoding."""
    frame = _frame()
    models = {"logistic_regression": md.make_models(["visits", "spend"], ["plan"])["logistic_regression"]}
    reference = md.fit_and_validate(frame, "signed_up", ["visits", "spend"], ["plan"], folds=3, models=models)
    return models, reference, reference_cv(frame, models)


@pytest.mark.parametrize(
    "encode",
    [
        lambda y: y.astype(bool),
        lambda y: y.astype(float),
        lambda y: np.where(y == 1, "Yes", "no"),
        lambda y: np.where(y == 1, "TRUE", "False"),
        lambda y: pd.Categorical(np.where(y == 1, "yes", "NO")),
    ],
    ids=["bool", "float", "yes/no", "true/false", "categorical"],
)
def test_targets_given_as_bool_float_or_text_give_the_same_results_as_0_1(encode, zero_one_reference):
    frame = _frame()
    models, reference, reference_folds = zero_one_reference
    coded = frame.assign(signed_up=encode(frame.signed_up.to_numpy()))
    comparison = md.fit_and_validate(coded, "signed_up", ["visits", "spend"], ["plan"], folds=3, models=models)
    assert comparison.y_test.tolist() == reference.y_test.tolist()
    assert set(comparison.y_test.tolist()) == {0, 1}
    assert comparison.table().equals(reference.table())
    cv = md.cross_validate(models["logistic_regression"], frame[["visits", "spend", "plan"]], coded.signed_up, folds=3)
    assert cv.fold_auc == reference_folds
    audit = md.leakage_audit(coded, "signed_up", ["visits", "plan"])
    assert audit.equals(md.leakage_audit(frame, "signed_up", ["visits", "plan"]))


def reference_cv(frame, models):
    """Fold AUCs of the 0/1 target."""
    return md.cross_validate(
        models["logistic_regression"], frame[["visits", "spend", "plan"]], frame.signed_up, folds=3
    ).fold_auc


@pytest.mark.parametrize(
    ("values", "found"),
    [
        (["yes", "no", "maybe"] * 10, "['maybe', 'no', 'yes']"),
        ([0, 1, 2] * 10, "[0, 1, 2]"),
        ([0.0, 1.0, np.nan] * 10, "[0.0, 1.0, nan]"),
    ],
)
def test_a_target_that_is_not_binary_is_a_one_line_error_naming_it_and_its_values(values, found):
    frame = pd.DataFrame({"x": np.arange(30.0), "outcome": values})
    expected = f"target 'outcome' must be binary (0/1, True/False or yes/no); found values: {found}"
    with pytest.raises(ValueError) as err:
        md.fit_and_validate(frame, "outcome", ["x"], [], folds=2)
    assert str(err.value) == expected
    with pytest.raises(ValueError, match="^target 'outcome' must be binary"):
        md.leakage_audit(frame, "outcome", ["x"])
    with pytest.raises(ValueError) as err:
        md.cross_validate(LogisticRegression(), frame[["x"]], np.asarray(values, dtype=object), folds=2)
    assert str(err.value) == f"y must be binary (0/1, True/False or yes/no); found values: {found}"
    assert "\n" not in str(err.value)


def test_n_jobs_reaches_every_model_and_is_validated():
    for n_jobs in (1, 3, -1):
        models = md.make_models(["visits"], ["plan"], n_jobs=n_jobs)
        assert models["random_forest"].named_steps["model"].n_jobs == n_jobs
        assert models["xgboost"].named_steps["model"].n_jobs == n_jobs
    default = md.make_models(["visits"], ["plan"])
    assert default["xgboost"].named_steps["model"].n_jobs == md.N_JOBS == 2
    frame = _frame()
    comparison = md.fit_and_validate(
        frame,
        "signed_up",
        ["visits", "spend"],
        ["plan"],
        folds=3,
        models=_small_models(["visits", "spend"], ["plan"], 2),
        n_jobs=1,
    )
    assert comparison.pipelines["xgboost"].named_steps["model"].n_jobs == 1
    assert comparison.pipelines["random_forest"].named_steps["model"].n_jobs == 1  # forests predict on one thread
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match=f"n_jobs must be a positive integer or -1 \\(all cores\\), got {bad!r}"):
            md.make_models(["visits"], [], n_jobs=bad)
        with pytest.raises(ValueError, match="n_jobs must be a positive integer or -1"):
            md.cross_validate(LogisticRegression(), frame[["visits"]], frame.signed_up, n_jobs=bad)
        with pytest.raises(ValueError, match="n_jobs must be a positive integer or -1"):
            md.fit_and_validate(frame, "signed_up", ["visits"], [], n_jobs=bad)


@pytest.mark.slow  # fits every model twice
def test_n_jobs_does_not_change_the_results():
    frame = _frame()
    one = md.fit_and_validate(
        frame,
        "signed_up",
        ["visits", "spend"],
        ["plan"],
        folds=3,
        models=_small_models(["visits", "spend"], ["plan"]),
        n_jobs=1,
    )
    two = md.fit_and_validate(
        frame,
        "signed_up",
        ["visits", "spend"],
        ["plan"],
        folds=3,
        models=_small_models(["visits", "spend"], ["plan"]),
        n_jobs=2,
    )
    for name in one.predictions:
        np.testing.assert_allclose(one.predictions[name], two.predictions[name], rtol=1e-6, atol=1e-9)


def test_a_generic_model_without_a_stage_saves_loads_and_predicts(tmp_path):
    frame = _frame()
    comparison = md.fit_and_validate(
        frame, "signed_up", ["visits", "spend"], ["plan"], folds=3, models=_small_models(["visits", "spend"], ["plan"])
    )
    card = {"target": "signed_up", "model": comparison.best, "numeric": ["visits", "spend"], "categorical": ["plan"]}
    path, card_path = md.save_model(comparison.pipelines[comparison.best], tmp_path / "signup.joblib", card)
    assert "stage" not in json.loads(card_path.read_text())
    pipe, loaded = md.load_model(path)
    assert loaded["features"] == ["visits", "spend", "plan"] and loaded["target"] == "signed_up"
    md.check_features(loaded, frame)
    np.testing.assert_allclose(
        pipe.predict_proba(frame[loaded["features"]])[:, 1],
        comparison.pipelines[comparison.best].predict_proba(frame[loaded["features"]])[:, 1],
    )
    # The checks that remain: a card naming an unknown stage, or without a target, is refused.
    for broken, message in (
        ({**loaded, "stage": "checkout"}, "unknown stage 'checkout'"),
        ({k: v for k, v in loaded.items() if k != "target"}, "lacks 'target'"),
    ):
        card_path.write_text(json.dumps(broken))
        with pytest.raises(md.ModelFileError, match=message):
            md.load_model(path)


# ----------------------------------------------------------------------------- skewed columns


def _skewed(n: int = 1500, seed: int = 1) -> pd.DataFrame:
    """Another schema whose outcome depends on the log of two heavy-tailed columns."""
    rng = np.random.default_rng(seed)
    spend = rng.lognormal(3, 1.2, n)
    sessions = rng.lognormal(1, 1.0, n)
    tenure = rng.normal(24, 6, n)
    logit = -3.6 + 1.1 * np.log1p(spend) - 0.9 * np.log1p(sessions) + 0.02 * tenure
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame({"spend": spend, "sessions": sessions, "tenure": tenure, "renewed": y})


def test_auto_log_columns_logs_the_skewed_columns_and_beats_no_logs():
    frame = _skewed()
    numeric = ["spend", "sessions", "tenure"]
    X, y = frame[numeric], frame.renewed
    auto = md.make_models(numeric, [])["logistic_regression"]  # "auto" is the default
    none = md.make_models(numeric, [], log_columns=[])["logistic_regression"]
    fitted = auto.fit(X, y).named_steps["prep"].named_transformers_["num"].named_steps["log1p"]
    assert fitted.logged_.tolist() == [True, True, False]  # the symmetric column stays as it is
    assert fitted.skewness_[0] > md.SKEW_THRESHOLD > abs(fitted.skewness_[2])
    auc_auto = md.cross_validate(auto, X, y, folds=3).auc.estimate
    auc_none = md.cross_validate(none, X, y, folds=3).auc.estimate
    assert auc_auto > auc_none + 0.01


def test_skew_rule_threshold_negative_values_and_explicit_lists():
    X = pd.DataFrame({"debt": [-5.0, 1, 2, 3, 400], "spend": [1.0, 2, 3, 4, 400]})
    t = md.SkewLog1p().fit(X)
    assert t.logged_.tolist() == [False, True]  # a column with negative values is never logged
    assert md.SkewLog1p(threshold=10).fit(X).logged_.tolist() == [False, False]
    out = t.transform(pd.DataFrame({"debt": [0.0], "spend": [-3.0]}))
    assert out.tolist() == [[0.0, 0.0]]  # below 0 at transform time: clipped to 0 before log1p
    for bad in ("sometimes", ["nope"], 3):
        with pytest.raises(ValueError, match="log_columns must be"):
            md.make_models(["spend"], [], log_columns=bad)
    with pytest.raises(ValueError, match="threshold must be a non-negative number"):
        md.SkewLog1p(threshold=-1).fit(X)
    # The session stages keep their explicit list: the committed notebook's numbers do not move.
    assert md.BROWSE.log_columns == md.CART.log_columns == md.LOG_COLUMNS
    stage = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical, log_columns=md.BROWSE.log_columns)
    prep = stage["logistic_regression"].named_steps["prep"]
    assert dict((n, list(c)) for n, _, c in prep.transformers)["log"] == list(md.LOG_COLUMNS)


# ----------------------------------------------------------------------------- scoring any frame


def test_score_needs_only_the_cards_features_and_names_what_is_missing(tmp_path):
    frame = _frame()
    pipe = md.make_models(["visits", "spend"], ["plan"])["logistic_regression"].fit(
        frame[["visits", "spend", "plan"]], frame.signed_up
    )
    card = {
        "target": "signed_up",
        "model": "logistic_regression",
        "numeric": ["visits", "spend"],
        "categorical": ["plan"],
    }
    path, _ = md.save_model(pipe, tmp_path / "m.joblib", card)
    other = frame.drop(columns="signed_up").assign(region="north")[["region", "plan", "spend", "visits"]]
    by_path = md.score(other, path)
    assert by_path.name == "signed_up_probability" and by_path.index.equals(other.index)
    np.testing.assert_allclose(by_path, pipe.predict_proba(frame[["visits", "spend", "plan"]])[:, 1])
    assert md.score(other, md.load_model(path)).equals(by_path)
    with pytest.raises(md.ModelMismatchError) as err:
        md.score(other.drop(columns=["spend", "plan"]), path)
    assert str(err.value) == "the data lacks feature(s) the model was trained on: spend, plan"
    with pytest.raises(ValueError, match="model must be a model file path or a \\(pipeline, card\\) pair"):
        md.score(other, pipe)


def test_score_derives_session_features_and_scores_any_saved_stage_model(small_sim, tmp_path):
    sessions = small_sim.sessions.head(400)
    frame = md.stage_frame(sessions, md.CART)
    pipe = md.make_models(md.CART.numeric, md.CART.categorical, log_columns=md.CART.log_columns)["logistic_regression"]
    pipe.fit(frame[md.CART.features], frame["purchase_decision"])
    card = {
        "stage": "cart",
        "target": "purchase_decision",
        "numeric": list(md.CART.numeric),
        "categorical": list(md.CART.categorical),
    }
    path, _ = md.save_model(pipe, tmp_path / "cart.joblib", card)
    raw = sessions.drop(columns=["hour", "is_weekend", "seconds_per_page"], errors="ignore")
    p = md.score(raw, path)  # hour, is_weekend and seconds_per_page are derived from their inputs
    assert len(p) == len(raw) and p.between(0, 1).all()


def _other_schema() -> pd.DataFrame:
    """Sessions of another shop: its own ids, no purchase_date, time or pages columns."""
    return pd.DataFrame(
        {
            "visitor": ["a", "b", "c", "d"],
            "basket_value": [10.0, 25.0, 5.0, 40.0],
            "channel": ["web", "app", "web", "app"],
            "carted": [1, 1, 0, 0],
            "dropped": [0, 1, 0, 0],
            "bought": ["yes", "no", "no", "no"],
        }
    )


def test_session_helpers_work_on_another_schema_with_the_columns_they_document():
    frame = _other_schema()
    assert md.session_features(frame).columns.tolist() == frame.columns.tolist()  # nothing to derive
    stage = md.Stage("checkout", ("basket_value",), ("channel",), "carts of another shop", cart_only=True)
    rows = md.stage_frame(frame, stage, target="bought", cart_column="carted")
    assert rows.index.tolist() == [0, 1] and rows.columns.tolist() == ["basket_value", "channel", "bought"]
    identity = md.funnel_identity(frame, target="bought", cart_column="carted", abandoned_column="dropped")
    assert identity == {"rows": 4, "identity_holds": 4, "identity_fails": 0}
    renamed = frame.rename(columns={"visitor_id": "visitor"}).assign(stamp=pd.to_datetime(["2024-01-06"] * 4))
    derived = md.session_features(renamed, date_column="stamp")
    assert derived["is_weekend"].tolist() == [1, 1, 1, 1]
    pipe = LogisticRegression().fit(frame[["basket_value"]], [1, 0, 0, 0])
    card = {"target": "bought", "features": ["basket_value"], "stage": "cart"}
    out = md.score_sessions(pipe, card, frame, id_columns=["visitor"], cart_column="carted")
    assert out.columns.tolist() == ["row", "visitor", "stage", "purchase_probability", "note"]
    assert out.purchase_probability.notna().tolist() == [True, True, False, False]
    assert out.note.iloc[2] == "not scored: the cart-stage model needs carted = 1"
    generic = md.score_sessions(pipe, {"target": "bought", "features": ["basket_value"]}, frame)
    assert generic.columns.tolist() == ["row", "stage", "purchase_probability", "note"]  # no id columns there


def test_session_helpers_name_the_missing_columns_instead_of_a_key_error():
    frame = _other_schema()
    with pytest.raises(
        md.ModelMismatchError, match="^stage 'browse' needs column\\(s\\) missing from the frame: price"
    ):
        md.stage_frame(frame, md.BROWSE)
    with pytest.raises(ValueError, match="needs column\\(s\\) missing from the frame: purchase_decision, add_to_cart"):
        md.funnel_identity(frame)
    with pytest.raises(md.ModelMismatchError, match="needs the cart flag 'add_to_cart'"):
        md.score_sessions(LogisticRegression(), {"features": ["basket_value"], "stage": "cart"}, frame)
    with pytest.raises(md.ModelMismatchError, match="lacks id column\\(s\\): user_id"):
        md.score_sessions(LogisticRegression(), {"features": []}, frame, id_columns=["user_id"])


# ----------------------------------------------------------------------------- array-y helpers

_Y = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0])
_P = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.9, 0.55, 0.3])
_Q = np.array([0.2, 0.1, 0.5, 0.6, 0.4, 0.3, 0.7, 0.8, 0.9, 0.35])
_V = np.linspace(10, 100, 10)
_HELPERS = {
    "auc_ci": lambda y: md.auc_ci(y, _P).to_dict(),
    "delong_test": lambda y: md.delong_test(y, _P, _Q),
    "auc_permutation_test": lambda y: md.auc_permutation_test(y, _P, n_permutations=50),
    "gain_curve": lambda y: md.gain_curve(y, _P, points=5).to_dict(),
    "reliability_curve": lambda y: md.reliability_curve(y, _P, bins=2).to_dict(),
    "confusion_at": lambda y: md.confusion_at(y, _P, 0.5).to_dict(),
    "best_f1_threshold": lambda y: md.best_f1_threshold(y, _P),
    "value_curve": lambda y: md.value_curve(
        y, _P, _V, margin=0.3, offer_cost=1.0, uplift=0.1, thresholds=[0.5], n_boot=20
    ).to_dict(),
    "break_even_win_back": lambda y: md.break_even_win_back(y, _P, _V, 0.5, margin=0.3, offer_cost=1.0),
}


@pytest.mark.parametrize("helper", list(_HELPERS))
@pytest.mark.parametrize(
    "encode",
    [
        lambda y: y.astype(bool),
        lambda y: y.astype(float).tolist(),
        lambda y: pd.Series(np.where(y == 1, "Yes", "no")),
        lambda y: np.where(y == 1, " true", "FALSE"),
    ],
    ids=["bool", "float list", "yes/no Series", "true/false"],
)
def test_array_target_helpers_accept_every_binary_encoding(helper, encode):
    assert _HELPERS[helper](encode(_Y)) == _HELPERS[helper](_Y)


@pytest.mark.parametrize("helper", list(_HELPERS))
def test_array_target_helpers_refuse_other_targets_in_one_line(helper):
    with pytest.raises(ValueError) as err:
        _HELPERS[helper](np.where(_Y == 1, "yes", "maybe"))
    assert str(err.value) == "y must be binary (0/1, True/False or yes/no); found values: ['maybe', 'yes']"
    with pytest.raises(ValueError, match="^y and the scores must have the same length, got 9 and 10$"):
        _HELPERS[helper](_Y[:-1])


# ----------------------------------------------------------------------------- leakage: timing check


def _export(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    """An export with two weak honest columns, noise, and a post-outcome aggregate (``refunds_90d``)."""
    rng = np.random.default_rng(seed)
    visits, tenure = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.35 * visits + 0.25 * tenure)))).astype(int)
    refunds = np.where(y == 1, rng.normal(1.55, 1, n), rng.normal(0, 1, n))  # known only after the purchase
    return pd.DataFrame(
        {
            "visits": visits,
            "tenure": tenure,
            "noise_a": rng.normal(size=n),
            "noise_b": rng.choice(["x", "y", "z"], n),
            "refunds_90d": refunds,
            "bought": y,
        }
    )


def test_timing_check_flags_a_post_outcome_aggregate_and_not_the_noise():
    frame = _export()
    audit = md.leakage_audit(frame, "bought", ["visits", "tenure", "noise_a", "noise_b", "refunds_90d"])
    row = audit.set_index("feature").loc["refunds_90d"]
    assert 0.83 < row.cv_auc < 0.89 and row.auc < 0.95 and row.determined_share < 0.99  # the old rules pass it
    assert 0.25 < row.drop_cost < 0.35 and row.full_auc > 0.83  # removal costs ~0.3 of the full AUC
    assert row.flagged and row.timing_check
    assert row.reason.startswith("check timing: is this known before the outcome? Alone it scores cross-validated")
    assert f"dropping it costs {row.drop_cost:.3f}" in row.reason
    others = audit[audit.feature != "refunds_90d"]
    assert not others.flagged.any() and not others.timing_check.any()
    assert audit.feature.iloc[0] == "refunds_90d"  # flagged first
    off = md.leakage_audit(frame, "bought", ["visits", "refunds_90d"], timing_check=False)
    assert not off.flagged.any() and off.cv_auc.isna().all()


def test_timing_check_flags_by_drop_cost_alone_and_validates_its_parameters():
    frame = _export()
    strict = md.leakage_audit(frame, "bought", ["visits", "tenure", "refunds_90d"], timing_auc=0.99)
    row = strict.set_index("feature").loc["refunds_90d"]
    assert row.cv_auc < 0.99 and row.timing_check  # its removal costs most of the full model's lift
    for kwargs, message in (
        ({"timing_auc": 0.5}, "timing_auc must lie in"),
        ({"timing_share": 0}, "timing_share must lie in"),
        ({"folds": 1}, "folds must be an integer of at least 2"),
        ({"timing_rows": 10}, "timing_rows must be an integer of at least 100"),
        ({"timing_floor": 1.5}, "timing_floor must lie in"),
    ):
        with pytest.raises(ValueError, match=message):
            md.leakage_audit(frame, "bought", ["visits"], **kwargs)
