"""Honest validation: stratified cross-validation to choose, one held-out look to report.

The helpers take a frame, a target name and feature lists, so they work on any tabular
binary-outcome dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline

from ..metrics import Estimate
from ._checks import binary_target, check_alpha, check_n_jobs, target_and_scores
from .errors import ModelMismatchError
from .models import N_JOBS, _fit, make_models
from .roc import auc_ci, delong_test

__all__ = [
    "CVResult",
    "cross_validate",
    "HoldoutResult",
    "best_f1_threshold",
    "evaluate_holdout",
    "ModelComparison",
    "fit_and_validate",
]


@dataclass(frozen=True)
class CVResult:
    """Stratified k-fold ROC-AUC of one model: per fold, mean and a t-interval."""

    model: str
    fold_auc: tuple[float, ...]
    auc: Estimate
    oof_pred: np.ndarray = field(repr=False)


def cross_validate(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    folds: int = 5,
    seed: int = 0,
    name: str = "model",
    alpha: float = 0.05,
    n_jobs: int | None = None,
) -> CVResult:
    """Stratified ``folds``-fold cross-validated ROC-AUC with a t-interval over folds.

    Parameters
    ----------
    pipeline : Pipeline
        An unfitted pipeline (each fold fits a clone).
    X : DataFrame or array
        Features, one row per outcome (a DataFrame when the pipeline selects columns by name).
    y : Series, array or list
        Binary outcome: bools, 0/1 numbers or yes/no, true/false strings (any case).
    folds : int
        Number of folds (at least 2).
    seed : int
        Seed of the fold split.
    name : str
        The model's name in the result.
    alpha : float
        One minus the confidence level of the t-interval of the mean fold AUC.
    n_jobs : int, optional
        Threads of every step that takes ``n_jobs`` (a positive integer, or -1 for all cores);
        by default the pipeline's own setting.

    Returns
    -------
    CVResult
        Per-fold AUCs, their mean with the interval, and the out-of-fold predictions.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.arange(40.0).reshape(-1, 1)
    >>> y = np.where(X[:, 0] >= 20, "yes", "no")  # a numpy array of yes/no strings
    >>> cross_validate(LogisticRegression(), X, y, folds=2).fold_auc
    (1.0, 1.0)
    """
    alpha = check_alpha(alpha)
    if n_jobs is not None:
        n_jobs = check_n_jobs(n_jobs)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise ValueError(f"folds must be an integer of at least 2, got {folds!r}")
    y = binary_target(y, "y")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same number of rows, got {len(X)} and {len(y)}")
    rows = X.iloc if isinstance(X, pd.DataFrame | pd.Series) else np.asarray(X)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = np.zeros(len(y))
    aucs = []
    for train, test in cv.split(np.zeros(len(y)), y):
        fitted = _fit(pipeline, rows[train], y[train], n_jobs)
        oof[test] = fitted.predict_proba(rows[test])[:, 1]
        aucs.append(roc_auc_score(y[test], oof[test]))
    aucs_arr = np.asarray(aucs)
    m = float(aucs_arr.mean())
    half = float(stats.t.ppf(1 - alpha / 2, folds - 1) * aucs_arr.std(ddof=1) / np.sqrt(folds))
    return CVResult(
        name,
        tuple(float(a) for a in aucs),
        Estimate(m, m - half, m + half, len(y), f"{folds}-fold CV, t-interval over folds", 1 - alpha),
        oof,
    )


@dataclass(frozen=True)
class HoldoutResult:
    """Held-out metrics of one fitted model."""

    model: str
    roc_auc: Estimate
    pr_auc: float
    brier: float
    f1: float
    threshold: float
    prevalence: float

    def to_dict(self) -> dict:
        """The metrics as a plain dict (the AUC as its :class:`Estimate` dict)."""
        d = asdict(self)
        d["roc_auc"] = self.roc_auc.to_dict()
        return d


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut-off that maximizes F1 (use training or out-of-fold predictions).

    Parameters
    ----------
    y : array-like
        Outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Predicted probabilities.

    Returns
    -------
    float
        The cut-off (a rounded predicted value, or a quantile when there are many).

    Examples
    --------
    >>> best_f1_threshold(np.array([0, 0, 1, 1]), np.array([0.1, 0.3, 0.6, 0.7]))
    0.6
    """
    y, p = target_and_scores(y, p)
    grid = np.unique(np.round(p, 4))
    if len(grid) > 400:
        grid = np.quantile(p, np.linspace(0.01, 0.99, 197))
    scores = [f1_score(y, p >= t, zero_division=0) for t in grid]
    return float(grid[int(np.argmax(scores))])


def evaluate_holdout(
    name: str, y: np.ndarray, p: np.ndarray, threshold: float, *, alpha: float = 0.05
) -> HoldoutResult:
    """ROC-AUC (DeLong CI), PR-AUC, Brier score and F1 at ``threshold`` on held-out rows.

    Parameters
    ----------
    name : str
        The model's name.
    y : array-like
        Held-out outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Predicted probabilities.
    threshold : float
        Cut-off of the F1 score.
    alpha : float
        One minus the confidence level of the AUC's interval.

    Returns
    -------
    HoldoutResult
        The held-out metrics and the prevalence.
    """
    y = binary_target(y, "y")
    return HoldoutResult(
        name,
        auc_ci(y, p, alpha=alpha),
        float(average_precision_score(y, p)),
        float(brier_score_loss(y, p)),
        float(f1_score(y, p >= threshold, zero_division=0)),
        float(threshold),
        float(y.mean()),
    )


@dataclass
class ModelComparison:
    """Candidate models of one prediction problem, validated the same way.

    The data are split once (stratified, ``test_size`` held out). Each model is
    cross-validated on the training part; the best model is the one with the highest mean
    CV ROC-AUC (chosen before the held-out rows are looked at). Each model's F1 threshold
    comes from its out-of-fold predictions. All models are then refitted on the whole
    training part and scored once on the held-out rows.
    """

    target: str
    numeric: list[str]
    categorical: list[str]
    train_index: pd.Index
    test_index: pd.Index
    y_test: np.ndarray
    cv: dict[str, CVResult]
    holdout: dict[str, HoldoutResult]
    predictions: dict[str, np.ndarray]
    pipelines: dict[str, Pipeline]
    best: str
    baseline: str
    vs_baseline: dict[str, float]

    def table(self) -> pd.DataFrame:
        """One row per model: CV AUC with its interval, held-out AUC (DeLong CI), PR-AUC, Brier, F1."""
        rows = []
        for name, cv in self.cv.items():
            h = self.holdout[name]
            rows.append(
                {
                    "model": name,
                    "cv_auc": cv.auc.estimate,
                    "cv_ci_low": cv.auc.ci_low,
                    "cv_ci_high": cv.auc.ci_high,
                    "test_auc": h.roc_auc.estimate,
                    "test_ci_low": h.roc_auc.ci_low,
                    "test_ci_high": h.roc_auc.ci_high,
                    "pr_auc": h.pr_auc,
                    "brier": h.brier,
                    "f1": h.f1,
                    "threshold": h.threshold,
                    "best": name == self.best,
                }
            )
        return pd.DataFrame(rows)


def fit_and_validate(
    frame: pd.DataFrame,
    target: str,
    numeric: Sequence[str],
    categorical: Sequence[str],
    *,
    seed: int = 0,
    test_size: float = 0.2,
    folds: int = 5,
    models: dict[str, Pipeline] | None = None,
    baseline: str = "logistic_regression",
    alpha: float = 0.05,
    n_jobs: int | None = None,
) -> ModelComparison:
    """Split, cross-validate, select, refit and score on held-out rows (see :class:`ModelComparison`).

    Parameters
    ----------
    frame : DataFrame
        Rows with the features and the target.
    target : str
        Binary outcome column: bools, 0/1 numbers or yes/no, true/false strings (any case).
    numeric, categorical : sequence of str
        Feature columns.
    seed : int
        Seed of the split, the folds and the models.
    test_size : float
        Held-out share, strictly between 0 and 1.
    folds : int
        Cross-validation folds.
    models : dict, optional
        Candidate pipelines by name (default :func:`~.models.make_models`).
    baseline : str
        The model the best one is compared with (DeLong); the first model when absent.
    alpha : float
        One minus the confidence level of every interval.
    n_jobs : int, optional
        Threads of the models (a positive integer, or -1 for all cores). By default the models
        built here use :data:`~.models.N_JOBS` and models passed in keep their own setting; when
        given, every model uses it.

    Returns
    -------
    ModelComparison
        Cross-validation and held-out results of every model, the best and the comparison.
    """
    alpha = check_alpha(alpha)
    if n_jobs is not None:
        n_jobs = check_n_jobs(n_jobs)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must lie strictly between 0 and 1, got {test_size!r}")
    features = list(numeric) + list(categorical)
    missing = [c for c in features + [target] if c not in frame.columns]
    if missing:
        raise ModelMismatchError(f"the frame lacks column(s): {', '.join(missing)}")
    y_all = pd.Series(binary_target(frame[target], f"target {target!r}"), index=frame.index, name=target)
    if y_all.nunique() != 2:
        raise ValueError(f"target {target!r} needs two classes, found {y_all.nunique()}")
    train_idx, test_idx = train_test_split(frame.index, test_size=test_size, stratify=y_all, random_state=seed)
    X_train, y_train = frame.loc[train_idx, features], y_all.loc[train_idx]
    X_test, y_test = frame.loc[test_idx, features], y_all.loc[test_idx].to_numpy()
    models = models or make_models(numeric, categorical, seed, n_jobs=N_JOBS if n_jobs is None else n_jobs)
    cv, holdout, preds, fitted = {}, {}, {}, {}
    for name, pipe in models.items():
        cv[name] = cross_validate(pipe, X_train, y_train, folds=folds, seed=seed, name=name, alpha=alpha, n_jobs=n_jobs)
        threshold = best_f1_threshold(y_train.to_numpy(), cv[name].oof_pred)
        fitted[name] = _fit(pipe, X_train, y_train, n_jobs)
        preds[name] = fitted[name].predict_proba(X_test)[:, 1]
        holdout[name] = evaluate_holdout(name, y_test, preds[name], threshold, alpha=alpha)
    best = max(cv, key=lambda k: cv[k].auc.estimate)
    base = baseline if baseline in models else next(iter(models))
    return ModelComparison(
        target,
        list(numeric),
        list(categorical),
        train_idx,
        test_idx,
        y_test,
        cv,
        holdout,
        preds,
        fitted,
        best,
        base,
        delong_test(y_test, preds[best], preds[base], alpha=alpha),
    )
