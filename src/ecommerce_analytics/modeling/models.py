"""Candidate pipelines: logistic regression (baseline), random forest, XGBoost and a tuned XGBoost.

The linear model sees skewed columns on a log scale: an explicit list, or ``"auto"``
(:class:`SkewLog1p` decides at fit time from the training rows). The tuned XGBoost
(:class:`TunedXGBoost`) searches its settings on the rows it is fitted on, so inside
:func:`~.validation.cross_validate` the search sees only the training folds (nested
cross-validation) and the reported AUC stays honest.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, OneToOneFeatureMixin, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import ParameterSampler, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from ._checks import binary_target, check_n_jobs

__all__ = [
    "N_JOBS",
    "SKEW_THRESHOLD",
    "XGB_SETTINGS",
    "SEARCH_SPACE",
    "TUNED",
    "SkewLog1p",
    "TunedXGBoost",
    "make_models",
    "tuning_card",
]

N_JOBS = 2  # the machine's cores; fixed so results do not depend on where they run

#: ``log_columns="auto"`` logs a non-negative numeric column whose sample skewness exceeds this
#: (a common reading: above 1 is highly skewed).
SKEW_THRESHOLD = 1.0

#: Settings of the untuned XGBoost model (candidate 0 of the tuned model's search).
XGB_SETTINGS: dict[str, float | int] = {
    "n_estimators": 600,
    "learning_rate": 0.02,
    "max_depth": 3,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 10,
    "reg_lambda": 1.0,
}

#: The tuned model's search space: each random candidate takes one value of every setting.
SEARCH_SPACE: dict[str, list] = {
    "n_estimators": [100, 200, 300],
    "learning_rate": [0.05, 0.1],
    "max_depth": [3, 4, 5],
    "min_child_weight": [10, 20, 40],
    "subsample": [0.8, 1.0],
    "colsample_bytree": [0.6, 0.8, 1.0],
    "reg_lambda": [1.0, 5.0, 20.0],
}

#: Name of the tuned model among the candidates.
TUNED = "xgboost (tuned)"


class SkewLog1p(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """``log1p`` of the columns that are skewed in the training rows; other columns pass unchanged.

    Rule (decided at :meth:`fit`): a column is logged when all its training values are
    non-negative and finite and its sample skewness (adjusted Fisher-Pearson, as
    ``pandas.Series.skew``) exceeds ``threshold``. At transform time a logged column's values
    below 0 (never seen in training) are clipped to 0 before ``log1p``.

    Parameters
    ----------
    threshold : float
        Skewness above which a non-negative column is logged (default :data:`SKEW_THRESHOLD`).

    Attributes
    ----------
    logged_ : ndarray of bool
        Which input columns are logged.
    skewness_ : ndarray of float
        The training skewness of each column.

    Examples
    --------
    >>> X = pd.DataFrame({"spend": [1.0, 2, 3, 4, 100], "age": [30.0, 40, 35, 50, 45]})
    >>> t = SkewLog1p().fit(X)
    >>> t.logged_.tolist(), t.get_feature_names_out().tolist()
    ([True, False], ['spend', 'age'])
    """

    def __init__(self, threshold: float = SKEW_THRESHOLD) -> None:
        self.threshold = threshold

    def fit(self, X: pd.DataFrame | np.ndarray, y: object = None) -> SkewLog1p:
        """Decide which columns to log from the training rows.

        Parameters
        ----------
        X : DataFrame or 2-d array
            Numeric training columns.
        y : ignored

        Returns
        -------
        SkewLog1p
            The fitted transformer.
        """
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) or self.threshold < 0:
            raise ValueError(f"threshold must be a non-negative number, got {self.threshold!r}")
        if isinstance(X, pd.DataFrame):
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        A = np.asarray(X, dtype=float)
        self.n_features_in_ = A.shape[1]
        skew = np.array([pd.Series(A[:, j]).skew() for j in range(A.shape[1])], dtype=float)
        finite = np.isfinite(A).all(axis=0)
        nonneg = (np.nan_to_num(A, nan=-1.0) >= 0).all(axis=0)
        self.skewness_ = skew
        self.logged_ = finite & nonneg & (np.nan_to_num(skew, nan=0.0) > self.threshold)
        return self

    def transform(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """``log1p`` of the logged columns (values below 0 clipped to 0), the others unchanged.

        Parameters
        ----------
        X : DataFrame or 2-d array
            The same columns as in :meth:`fit`.

        Returns
        -------
        ndarray
            The transformed columns, as floats.
        """
        A = np.array(X, dtype=float)
        if A.ndim != 2 or A.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} columns, got shape {A.shape}")
        A[:, self.logged_] = np.log1p(np.clip(A[:, self.logged_], 0, None))
        return A


def _candidates(n_candidates: int, space: dict[str, list], random_state: int, default: dict) -> list[dict]:
    """Candidate 0 is ``default``; the others are drawn from ``space`` (without repeats)."""
    drawn = [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in sorted(c.items())}
        for c in ParameterSampler(space, n_candidates - 1, random_state=random_state)
    ]
    return [dict(default)] + drawn


class TunedXGBoost(ClassifierMixin, BaseEstimator):
    """XGBoost whose settings are chosen by successive halving on the rows it is fitted on.

    The search: candidate 0 is the untuned :data:`XGB_SETTINGS` (``default_settings``), the other ``n_candidates - 1``
    are drawn at random (``random_state``) from ``search_space`` (default :data:`SEARCH_SPACE`).
    With ``R = ceil(log(n_candidates) / log(factor))`` rounds, round ``k`` scores the surviving
    candidates by their mean ROC-AUC over ``inner_folds`` stratified folds of the first
    ``n * final_share / factor ** (R - 1 - k)`` rows of a fixed random order (at least 200) and keeps the best
    ``1 / factor`` of them (ties: the earlier candidate); the survivor of the last round is refitted
    on all rows. Everything is seeded, so the choice is the same on every machine.

    ``max_seconds`` caps the search's wall-clock time: when it is reached, the best candidate scored
    so far in the current round (or the last complete round; candidate 0 if none) is kept and
    :attr:`stopped_early_` is set. A stopped search depends on the machine's speed, and
    :func:`tuning_card` records it.

    Used inside a pipeline under :func:`~.validation.cross_validate`, each outer training fold runs
    its own search (nested cross-validation): the outer folds score the whole procedure.

    Parameters
    ----------
    n_candidates : int
        Settings compared (at least 2).
    factor : int
        Share kept after each round is ``1 / factor`` (at least 2).
    inner_folds : int
        Folds of each round's scoring (at least 2).
    search_space : dict, optional
        Setting name -> list of values (default :data:`SEARCH_SPACE`).
    max_seconds : float, optional
        Wall-clock cap of the search (``None``: no cap, deterministic).
    random_state : int
        Seed of the draws, the row order, the folds and the models.
    n_jobs : int
        Threads of XGBoost.
    default_settings : dict, optional
        Candidate 0 (default :data:`XGB_SETTINGS`, the untuned model's settings).
    final_share : float
        Share of the rows the last round scores on, in (0, 1]; round ``k`` uses
        ``final_share / factor ** (R - 1 - k)`` of them.

    Attributes
    ----------
    best_params_ : dict
        The chosen settings.
    candidates_ : list of dict
        Every candidate's settings.
    history_ : list of dict
        ``round, rows, candidate, auc`` of every scoring.
    stopped_early_ : bool
        Whether ``max_seconds`` stopped the search.
    model_ : XGBClassifier
        The chosen settings refitted on all rows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 3)); y = (X[:, 0] + rng.normal(size=600) > 0).astype(int)
    >>> m = TunedXGBoost(n_candidates=3, n_jobs=1).fit(X, y)
    >>> len(m.candidates_), m.predict_proba(X).shape, m.stopped_early_
    (3, (600, 2), False)
    """

    def __init__(
        self,
        n_candidates: int = 4,
        factor: int = 2,
        inner_folds: int = 2,
        search_space: dict[str, list] | None = None,
        max_seconds: float | None = None,
        random_state: int = 0,
        n_jobs: int = N_JOBS,
        default_settings: dict | None = None,
        final_share: float = 0.5,
    ) -> None:
        self.n_candidates = n_candidates
        self.factor = factor
        self.inner_folds = inner_folds
        self.search_space = search_space
        self.max_seconds = max_seconds
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.default_settings = default_settings
        self.final_share = final_share

    def _check(self) -> dict[str, list]:
        for name, low in (("n_candidates", 2), ("factor", 2), ("inner_folds", 2)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                raise ValueError(f"{name} must be an integer of at least {low}, got {v!r}")
        if (
            isinstance(self.final_share, bool)
            or not isinstance(self.final_share, (int, float))
            or not (0 < self.final_share <= 1)
        ):
            raise ValueError(f"final_share must lie in (0, 1], got {self.final_share!r}")
        if self.max_seconds is not None and (
            isinstance(self.max_seconds, bool)
            or not isinstance(self.max_seconds, (int, float))
            or self.max_seconds <= 0
        ):
            raise ValueError(f"max_seconds must be a positive number or None, got {self.max_seconds!r}")
        check_n_jobs(self.n_jobs)
        space = SEARCH_SPACE if self.search_space is None else self.search_space
        if not isinstance(space, dict) or not space or not all(isinstance(v, list) and v for v in space.values()):
            raise ValueError("search_space must be a non-empty dict of setting name -> non-empty list of values")
        return space

    def _model(self, params: dict) -> XGBClassifier:
        return XGBClassifier(
            **params,
            tree_method="hist",
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            eval_metric="logloss",
        )

    def fit(self, X: pd.DataFrame | np.ndarray, y: object) -> TunedXGBoost:
        """Search the settings on these rows, then refit the chosen ones on all of them.

        Parameters
        ----------
        X : DataFrame or 2-d array
            Numeric features.
        y : array-like
            Binary outcome (see :func:`~._checks.binary_target`).

        Returns
        -------
        TunedXGBoost
            The fitted model.
        """
        space = self._check()
        start = time.perf_counter()
        y = binary_target(y, "y")
        A = np.asarray(X, dtype=float)
        n = len(y)
        self.n_features_in_ = A.shape[1]
        self.classes_ = np.array([0, 1])
        default = XGB_SETTINGS if self.default_settings is None else self.default_settings
        if not isinstance(default, dict):
            raise ValueError(f"default_settings must be a dict of XGBoost settings or None, got {default!r}")
        self.candidates_ = _candidates(self.n_candidates, space, self.random_state, default)
        order = np.random.default_rng(self.random_state).permutation(n)
        rounds = math.ceil(math.log(len(self.candidates_)) / math.log(self.factor) - 1e-9)
        alive = list(range(len(self.candidates_)))
        self.history_, self.stopped_early_ = [], False
        for k in range(rounds):
            rows = order[: min(n, max(200, int(n * self.final_share / self.factor ** (rounds - 1 - k))))]
            folds = list(
                StratifiedKFold(self.inner_folds, shuffle=True, random_state=self.random_state).split(rows, y[rows])
            )
            scores: dict[int, float] = {}
            for c in alive:
                if self.max_seconds is not None and time.perf_counter() - start > self.max_seconds:
                    self.stopped_early_ = True
                    break
                aucs = []
                for tr, te in folds:
                    m = self._model(self.candidates_[c]).fit(A[rows[tr]], y[rows[tr]])
                    aucs.append(roc_auc_score(y[rows[te]], m.predict_proba(A[rows[te]])[:, 1]))
                scores[c] = float(np.mean(aucs))
                self.history_.append({"round": k, "rows": int(len(rows)), "candidate": c, "auc": scores[c]})
            if scores:
                ranked = sorted(scores, key=lambda c: (-scores[c], c))
                alive = ranked if self.stopped_early_ else ranked[: math.ceil(len(alive) / self.factor)]
            if self.stopped_early_:
                break
        self.best_index_ = alive[0]
        self.best_params_ = dict(self.candidates_[self.best_index_])
        self.model_ = self._model(self.best_params_).fit(A, y)
        return self

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Class probabilities of the refitted chosen model.

        Parameters
        ----------
        X : DataFrame or 2-d array
            Features, as in :meth:`fit`.

        Returns
        -------
        ndarray
            ``(rows, 2)``.
        """
        return self.model_.predict_proba(np.asarray(X, dtype=float))

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """0/1 predictions at probability 0.5.

        Parameters
        ----------
        X : DataFrame or 2-d array
            Features, as in :meth:`fit`.

        Returns
        -------
        ndarray
            Predicted classes.
        """
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def get_booster(self):  # noqa: ANN201 - xgboost.Booster
        """The chosen model's booster (for SHAP contributions)."""
        return self.model_.get_booster()


def tuning_card(pipeline: object) -> dict | None:
    """What a model card records about a fitted :class:`TunedXGBoost` (``None`` for other models).

    Parameters
    ----------
    pipeline : Pipeline or estimator
        A fitted model.

    Returns
    -------
    dict or None
        ``method``, ``search_space``, ``default_settings``, the budget (``n_candidates``,
        ``factor``, ``inner_folds``, ``random_state``, ``max_seconds``), ``chosen`` settings,
        ``chosen_candidate``, ``stopped_by_time`` and ``machine_dependent``.

    Examples
    --------
    >>> tuning_card(LogisticRegression()) is None
    True
    """
    steps = pipeline.named_steps.values() if isinstance(pipeline, Pipeline) else [pipeline]
    tuned = next((s for s in steps if isinstance(s, TunedXGBoost)), None)
    if tuned is None or not hasattr(tuned, "best_params_"):
        return None
    return {
        "method": "successive halving over random candidates (candidate 0: the untuned settings), "
        "searched on the training rows only",
        "search_space": SEARCH_SPACE if tuned.search_space is None else tuned.search_space,
        "default_settings": dict(XGB_SETTINGS if tuned.default_settings is None else tuned.default_settings),
        "n_candidates": int(tuned.n_candidates),
        "factor": int(tuned.factor),
        "inner_folds": int(tuned.inner_folds),
        "final_share": float(tuned.final_share),
        "random_state": int(tuned.random_state),
        "max_seconds": tuned.max_seconds,
        "chosen": dict(tuned.best_params_),
        "chosen_candidate": int(tuned.best_index_),
        "stopped_by_time": bool(tuned.stopped_early_),
        "machine_dependent": bool(tuned.stopped_early_),
    }


def _check_log_columns(log_columns: object, numeric: Sequence[str]) -> str | list[str]:
    if isinstance(log_columns, str):
        if log_columns != "auto":
            raise ValueError(f"log_columns must be 'auto' or a list of numeric columns, got {log_columns!r}")
        return "auto"
    if not isinstance(log_columns, (list, tuple)) or not all(isinstance(c, str) for c in log_columns):
        raise ValueError(f"log_columns must be 'auto' or a list of numeric columns, got {log_columns!r}")
    unknown = [c for c in log_columns if c not in numeric]
    if unknown:
        raise ValueError(f"log_columns must be among the numeric columns; not numeric: {', '.join(unknown)}")
    return list(log_columns)


def _preprocessor(
    numeric: Sequence[str],
    categorical: Sequence[str],
    linear: bool,
    log_columns: str | Sequence[str] = (),
    skew_threshold: float = SKEW_THRESHOLD,
) -> ColumnTransformer:
    """One-hot categoricals; for a linear model, log1p on skewed columns and standardize."""
    parts = []
    if linear and log_columns == "auto":
        if numeric:
            parts.append(
                ("num", Pipeline([("log1p", SkewLog1p(skew_threshold)), ("scale", StandardScaler())]), list(numeric))
            )
    elif linear:
        logged = [c for c in numeric if c in log_columns]
        plain = [c for c in numeric if c not in log_columns]
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
    numeric: Sequence[str],
    categorical: Sequence[str],
    seed: int = 0,
    *,
    n_jobs: int = N_JOBS,
    log_columns: str | Sequence[str] = "auto",
    skew_threshold: float = SKEW_THRESHOLD,
    tuned: bool = False,
    max_seconds: float | None = None,
) -> dict[str, Pipeline]:
    """The candidate pipelines: logistic regression (baseline), random forest, XGBoost, optionally tuned XGBoost.

    Parameters
    ----------
    numeric, categorical : sequence of str
        Feature columns; categoricals are one-hot encoded, and the linear model sees the numeric
        columns standardized, the skewed ones on a log scale first (``log1p``).
    seed : int
        Random state of the forest and of XGBoost (and of the tuned model's search).
    n_jobs : int
        Threads of the forest and of XGBoost: a positive integer, or -1 for all cores
        (default :data:`N_JOBS`).
    log_columns : "auto" or list of str
        Which numeric columns the linear model logs: a list (``[]`` for none), or ``"auto"``
        (default): at fit time, every non-negative numeric column whose training skewness exceeds
        ``skew_threshold`` (:class:`SkewLog1p`). The session stages pass their explicit
        :attr:`~.features.Stage.log_columns`.
    skew_threshold : float
        The skewness rule of ``"auto"`` (default :data:`SKEW_THRESHOLD`).
    tuned : bool
        Add :data:`TUNED`, an XGBoost whose settings are searched on its training rows
        (:class:`TunedXGBoost`, deterministic budget).
    max_seconds : float, optional
        Wall-clock cap of each search of the tuned model (makes the result machine-dependent if it
        stops a search).

    Returns
    -------
    dict
        ``logistic_regression``, ``random_forest``, ``xgboost`` (and :data:`TUNED`) unfitted pipelines.

    Examples
    --------
    >>> sorted(make_models(["price"], ["category"]))
    ['logistic_regression', 'random_forest', 'xgboost']
    >>> make_models(["price"], [], n_jobs=1)["xgboost"].named_steps["model"].n_jobs
    1
    >>> list(make_models(["price"], [], tuned=True))[-1]
    'xgboost (tuned)'
    """
    n_jobs = check_n_jobs(n_jobs)
    log_columns = _check_log_columns(log_columns, numeric)
    models = {
        "logistic_regression": Pipeline(
            [
                ("prep", _preprocessor(numeric, categorical, True, log_columns, skew_threshold)),
                ("model", LogisticRegression(max_iter=2000, C=1.0)),
            ]
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
                        **XGB_SETTINGS,
                        tree_method="hist",
                        n_jobs=n_jobs,
                        random_state=seed,
                        eval_metric="logloss",
                    ),
                ),
            ]
        ),
    }
    if tuned:
        models[TUNED] = Pipeline(
            [
                ("prep", _preprocessor(numeric, categorical, False)),
                ("model", TunedXGBoost(max_seconds=max_seconds, random_state=seed, n_jobs=n_jobs)),
            ]
        )
    return models


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
