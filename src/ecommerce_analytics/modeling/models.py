"""Candidate pipelines: logistic regression (baseline), random forest and XGBoost."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from ._checks import check_n_jobs
from .features import LOG_COLUMNS

__all__ = ["N_JOBS", "make_models"]

N_JOBS = 2  # the machine's cores; fixed so results do not depend on where they run


def _preprocessor(numeric: Sequence[str], categorical: Sequence[str], linear: bool) -> ColumnTransformer:
    """One-hot categoricals; for a linear model, log1p on skewed columns and standardize."""
    parts = []
    if linear:
        logged = [c for c in numeric if c in LOG_COLUMNS]
        plain = [c for c in numeric if c not in LOG_COLUMNS]
        if logged:
            parts.append(
                (
                    "log",
                    Pipeline(
                        [
                            ("log1p", FunctionTransformer(np.log1p, feature_names_out="one-to-one")),
                            ("scale", StandardScaler()),
                        ]
                    ),
                    logged,
                )
            )
        if plain:
            parts.append(("num", StandardScaler(), plain))
    else:
        parts.append(("num", "passthrough", list(numeric)))
    parts.append(("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), list(categorical)))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def make_models(
    numeric: Sequence[str], categorical: Sequence[str], seed: int = 0, *, n_jobs: int = N_JOBS
) -> dict[str, Pipeline]:
    """The three candidate pipelines: logistic regression (baseline), random forest, XGBoost.

    Parameters
    ----------
    numeric, categorical : sequence of str
        Feature columns; categoricals are one-hot encoded, and the linear model sees the
        :data:`~.features.LOG_COLUMNS` among the numeric ones on a log scale, standardized.
    seed : int
        Random state of the forest and of XGBoost.
    n_jobs : int
        Threads of the forest and of XGBoost: a positive integer, or -1 for all cores
        (default :data:`N_JOBS`).

    Returns
    -------
    dict
        ``logistic_regression``, ``random_forest`` and ``xgboost`` unfitted pipelines.

    Examples
    --------
    >>> sorted(make_models(["price"], ["category"]))
    ['logistic_regression', 'random_forest', 'xgboost']
    >>> make_models(["price"], [], n_jobs=1)["xgboost"].named_steps["model"].n_jobs
    1
    """
    n_jobs = check_n_jobs(n_jobs)
    return {
        "logistic_regression": Pipeline(
            [("prep", _preprocessor(numeric, categorical, True)), ("model", LogisticRegression(max_iter=2000, C=1.0))]
        ),
        "random_forest": Pipeline(
            [
                ("prep", _preprocessor(numeric, categorical, False)),
                (
                    "model",
                    RandomForestClassifier(
                        n_estimators=300, min_samples_leaf=20, max_features="sqrt", n_jobs=n_jobs, random_state=seed
                    ),
                ),
            ]
        ),
        "xgboost": Pipeline(
            [
                ("prep", _preprocessor(numeric, categorical, False)),
                (
                    "model",
                    XGBClassifier(
                        n_estimators=600,
                        learning_rate=0.02,
                        max_depth=3,
                        subsample=0.8,
                        colsample_bytree=0.8,
                        min_child_weight=10,
                        reg_lambda=1.0,
                        tree_method="hist",
                        n_jobs=n_jobs,
                        random_state=seed,
                        eval_metric="logloss",
                    ),
                ),
            ]
        ),
    }


def _with_n_jobs(pipeline: Pipeline, n_jobs: int) -> Pipeline:
    """A clone of ``pipeline`` whose steps that take ``n_jobs`` use ``n_jobs`` threads.

    A logistic regression is left alone: its ``n_jobs`` has no effect (scikit-learn warns).
    """
    clone = sklearn.clone(pipeline)
    params = clone.get_params(deep=True)
    keys = [
        k
        for k in params
        if (k == "n_jobs" and not isinstance(clone, LogisticRegression))
        or (k.endswith("__n_jobs") and not isinstance(params.get(k[: -len("__n_jobs")]), LogisticRegression))
    ]
    if keys:
        clone.set_params(**dict.fromkeys(keys, n_jobs))
    return clone


def _fit(pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, n_jobs: int | None = None) -> Pipeline:
    """Fit a clone (with ``n_jobs`` threads when given); a random forest then predicts on one thread.

    Summing the trees' votes across threads happens in a varying order and changes the last
    bits of the probabilities from run to run.
    """
    fitted = (sklearn.clone(pipeline) if n_jobs is None else _with_n_jobs(pipeline, n_jobs)).fit(X, y)
    model = fitted.named_steps.get("model") if hasattr(fitted, "named_steps") else None
    if isinstance(model, RandomForestClassifier):
        model.set_params(n_jobs=1)
    return fitted
