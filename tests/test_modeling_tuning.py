"""The tuned XGBoost: a seeded successive-halving search inside the training rows (nested cross-validation)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import modeling as md

#: A small search so that a test runs in about a second.
_SPACE = {"n_estimators": [20, 40], "max_depth": [2, 3], "learning_rate": [0.1, 0.3], "min_child_weight": [1, 5]}
_SMALL = {"model__search_space": _SPACE, "model__default_settings": {"n_estimators": 30, "max_depth": 3}}


def _data(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "plan": rng.choice(["x", "y"], n)})
    logit = X.a + 0.5 * X.b**2 - 0.5 + np.where(X.plan == "y", 0.5, 0.0)
    return X, (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)


def _tuned(**kw) -> md.TunedXGBoost:
    return md.TunedXGBoost(
        **{"search_space": _SPACE, "default_settings": {"n_estimators": 30, "max_depth": 3}, "n_jobs": 1, **kw}
    )


def test_the_search_is_seeded_keeps_the_untuned_settings_as_candidate_0_and_halves():
    X, y = _data()
    A = X[["a", "b"]].to_numpy()
    one, two = _tuned().fit(A, y), _tuned().fit(A, y)
    assert one.candidates_[0] == {"n_estimators": 30, "max_depth": 3} and len(one.candidates_) == 4
    by_default = md.TunedXGBoost(n_jobs=1, max_seconds=1e-9).fit(A[:60], y[:60])  # stopped at once: refit only
    assert by_default.candidates_[0] == md.XGB_SETTINGS  # by default candidate 0 is the untuned model
    assert all(set(c) == set(_SPACE) for c in one.candidates_[1:])
    assert one.best_params_ == two.best_params_ and one.history_ == two.history_
    np.testing.assert_array_equal(one.predict_proba(A), two.predict_proba(A))
    # 4 candidates, factor 2: round 0 scores 4 on a quarter of the rows, round 1 the best 2 on half.
    assert [(h["round"], h["rows"]) for h in one.history_] == [(0, 200)] * 4 + [(1, 200)] * 2  # at least 200 rows
    last = [h for h in one.history_ if h["round"] == 1]
    assert one.best_index_ == max(last, key=lambda h: (h["auc"], -h["candidate"]))["candidate"]
    assert (
        not one.stopped_early_ and one.predict(A).tolist() == (one.predict_proba(A)[:, 1] >= 0.5).astype(int).tolist()
    )
    other = _tuned(random_state=1).fit(A, y)
    assert other.candidates_[1:] != one.candidates_[1:]


def test_the_default_search_space_and_budget_are_stated():
    t = md.TunedXGBoost()
    assert (t.n_candidates, t.factor, t.inner_folds, t.final_share, t.max_seconds, t.random_state) == (
        4,
        2,
        2,
        0.5,
        None,
        0,
    )
    assert set(md.SEARCH_SPACE) == set(md.XGB_SETTINGS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_candidates": 1}, "n_candidates must be an integer of at least 2"),
        ({"factor": 1.5}, "factor must be an integer of at least 2"),
        ({"inner_folds": 1}, "inner_folds must be an integer of at least 2"),
        ({"max_seconds": 0}, "max_seconds must be a positive number or None"),
        ({"n_jobs": 0}, "n_jobs must be a positive integer or -1"),
        ({"final_share": 0}, "final_share must lie in \\(0, 1\\]"),
        ({"default_settings": [1]}, "default_settings must be a dict"),
        ({"search_space": {"max_depth": []}}, "search_space must be a non-empty dict"),
    ],
)
def test_bad_budgets_are_one_line_errors(kwargs, message):
    X, y = _data(50)
    with pytest.raises(ValueError, match=message):
        _tuned(**kwargs).fit(X[["a"]].to_numpy(), y)


def test_a_wall_clock_cap_stops_the_search_and_is_recorded_as_machine_dependent():
    X, y = _data()
    capped = _tuned(max_seconds=1e-9).fit(X[["a", "b"]].to_numpy(), y)
    assert capped.stopped_early_ and capped.history_ == [] and capped.best_index_ == 0  # nothing scored: untuned
    pipe = md.make_models(["a", "b"], [], tuned=True, max_seconds=1e-9, n_jobs=1)[md.TUNED]
    pipe.set_params(**_SMALL).fit(X[["a", "b"]], y)
    card = md.tuning_card(pipe)
    assert card["stopped_by_time"] and card["machine_dependent"] and card["max_seconds"] == 1e-9


def test_inside_cross_validation_each_search_sees_only_its_training_fold(monkeypatch):
    X, y = _data(300)
    seen = []
    fit = md.TunedXGBoost.fit

    def spy(self, A, target):
        seen.append(len(target))
        return fit(self, A, target)

    monkeypatch.setattr(md.TunedXGBoost, "fit", spy)
    pipe = md.make_models(["a", "b"], ["plan"], tuned=True, n_jobs=1)[md.TUNED].set_params(**_SMALL)
    cv = md.cross_validate(pipe, X, y, folds=3)
    assert seen == [200, 200, 200]  # one search per outer training fold, never the held-out fold
    assert 0.5 < cv.auc.estimate < 1


def test_the_tuned_model_joins_a_comparison_and_its_card_records_the_search(tmp_path):
    X, y = _data()
    frame = X.assign(y=y)
    models = md.make_models(["a", "b"], ["plan"], tuned=True, n_jobs=1)
    models[md.TUNED].set_params(**_SMALL)
    models = {k: models[k] for k in ("logistic_regression", md.TUNED)}
    comparison = md.fit_and_validate(frame, "y", ["a", "b"], ["plan"], folds=3, models=models)
    table = comparison.table().set_index("model")
    assert list(table.index) == ["logistic_regression", "xgboost (tuned)"]
    assert table.loc[md.TUNED, "cv_ci_low"] < table.loc[md.TUNED, "cv_auc"] < table.loc[md.TUNED, "cv_ci_high"]
    pipe = comparison.pipelines[md.TUNED]
    card = {"target": "y", "model": md.TUNED, "numeric": ["a", "b"], "categorical": ["plan"]}
    path, card_path = md.save_model(pipe, tmp_path / "tuned.joblib", card)
    saved = json.loads(card_path.read_text())["tuning"]
    assert saved["search_space"] == _SPACE and saved["default_settings"] == {"n_estimators": 30, "max_depth": 3}
    assert saved["chosen"] == pipe.named_steps["model"].best_params_ and not saved["machine_dependent"]
    loaded, loaded_card = md.load_model(path)  # the restricted loader knows the tuned model's class
    assert loaded_card["tuning"] == saved
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(md.score(X, path), pipe.predict_proba(X)[:, 1])


def test_an_auto_log_pipeline_round_trips_through_the_restricted_loader(tmp_path):
    X, y = _data()
    X = X.assign(spend=np.exp(X.a * 2))
    pipe = md.make_models(["spend", "b"], ["plan"])["logistic_regression"].fit(X, y)
    path, _ = md.save_model(
        pipe, tmp_path / "lr.joblib", {"target": "y", "numeric": ["spend", "b"], "categorical": ["plan"]}
    )
    loaded, card = md.load_model(path)
    assert "tuning" not in card
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))


class _Built(Exception):
    """Raised by the spy once the stage's candidates are built (nothing is fitted)."""


def test_stages_compare_the_tuned_model_unless_asked_not_to(monkeypatch, small_sim):
    built = {}
    make = md.stages.make_models

    def record(*args, **kwargs):
        built.update(kwargs, names=list(make(*args, **kwargs)))
        raise _Built

    monkeypatch.setattr(md.stages, "make_models", record)
    with pytest.raises(_Built):
        md.evaluate_stage(small_sim.sessions.head(300), md.CART, seed=0)
    assert built["tuned"] is True and built["log_columns"] == md.LOG_COLUMNS and md.TUNED in built["names"]
    with pytest.raises(_Built):
        md.evaluate_stage(small_sim.sessions.head(300), md.CART, seed=0, tuned=False, max_seconds=5.0)
    assert built["tuned"] is False and built["max_seconds"] == 5.0 and md.TUNED not in built["names"]
