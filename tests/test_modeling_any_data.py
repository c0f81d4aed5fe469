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
