"""Purchase prediction: leakage audit, pipelines, honest validation, importance, value, persistence.

The helpers take a frame, a target name and feature lists, so they work on any tabular
binary-outcome dataset; :data:`BROWSE`, :data:`CART` and :func:`session_features` adapt them to
the session schema.

Two prediction moments for sessions:

- **browse stage**: predict the purchase from what is known before any cart action (no cart
  flag is a feature);
- **cart stage**: among sessions with ``add_to_cart = 1``, predict the purchase (the complement
  is cart abandonment risk).

``abandoned_cart`` is defined by the outcome (``abandoned_cart = add_to_cart and not
purchase_decision``), so it is never a feature; :func:`leakage_audit` finds such columns.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import pickle
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
import xgboost
from joblib.numpy_pickle import NumpyUnpickler
from scipy import stats
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from xgboost import XGBClassifier

from . import __version__, precision
from .metrics import Estimate, proportion
from .schema import TARGET

__all__ = [
    "Stage",
    "BROWSE",
    "CART",
    "session_features",
    "stage_frame",
    "funnel_identity",
    "leakage_audit",
    "make_models",
    "CVResult",
    "cross_validate",
    "HoldoutResult",
    "evaluate_holdout",
    "delong_test",
    "auc_permutation_test",
    "reliability_curve",
    "confusion_at",
    "permutation_importances",
    "shap_importances",
    "value_curve",
    "gain_curve",
    "save_model",
    "load_model",
    "ModelMismatchError",
    "ModelComparison",
    "fit_and_validate",
    "best_f1_threshold",
    "check_features",
    "score_sessions",
    "model_path",
    "MODEL_FORMAT",
    "ModelFileError",
    "read_model_card",
]

N_JOBS = 2  # the machine's cores; fixed so results do not depend on where they run


@dataclass(frozen=True)
class Stage:
    """A prediction moment: which rows, which features."""

    name: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    description: str
    cart_only: bool = False

    @property
    def features(self) -> list[str]:
        return list(self.numeric) + list(self.categorical)


_NUMERIC = (
    "price",
    "discount_applied",
    "pages_visited",
    "time_spent",
    "seconds_per_page",
    "rating",
    "sentiment_score",
    "age",
    "hour",
    "is_weekend",
)
#: Right-skewed positive columns that the linear model sees on a log scale.
LOG_COLUMNS = ("price", "pages_visited", "time_spent", "seconds_per_page")
_CATEGORICAL = ("category", "payment_method", "gender", "income_level")
BROWSE = Stage("browse", _NUMERIC, _CATEGORICAL, "all sessions; features known before any cart action (no cart flag)")
CART = Stage(
    "cart",
    _NUMERIC,
    _CATEGORICAL,
    "sessions with add_to_cart = 1; purchase vs abandonment (abandoned_cart is the outcome)",
    cart_only=True,
)
STAGES = {s.name: s for s in (BROWSE, CART)}


def session_features(sessions: pd.DataFrame) -> pd.DataFrame:
    """The session columns plus derived features: ``hour`` and ``is_weekend`` from
    ``purchase_date``, and ``seconds_per_page`` (``time_spent / pages_visited``).
    """
    out = sessions.copy()
    out["hour"] = sessions["purchase_date"].dt.hour
    out["is_weekend"] = (sessions["purchase_date"].dt.day_of_week >= 5).astype(int)
    out["seconds_per_page"] = sessions["time_spent"] / sessions["pages_visited"]
    return out


def stage_frame(sessions: pd.DataFrame, stage: Stage) -> pd.DataFrame:
    """Rows and columns of a stage (features and the target), with derived time features."""
    frame = session_features(sessions)
    if stage.cart_only:
        frame = frame[frame["add_to_cart"] == 1]
    return frame[stage.features + [TARGET]]


def funnel_identity(sessions: pd.DataFrame) -> dict[str, int]:
    """Rows where ``purchase_decision == add_to_cart and not abandoned_cart``, and the rest."""
    holds = sessions[TARGET] == ((sessions["add_to_cart"] == 1) & (sessions["abandoned_cart"] == 0)).astype(int)
    return {"rows": len(sessions), "identity_holds": int(holds.sum()), "identity_fails": int((~holds).sum())}


# ------------------------------------------------------------------------------- leakage
def _determined_share(keys: list[pd.Series], y: pd.Series, min_group: int) -> float:
    """Share of rows in groups (of at least ``min_group`` rows) whose target is constant."""
    agg = y.groupby(keys, observed=True, dropna=False).agg(["min", "max", "size"])
    pure = agg[(agg["min"] == agg["max"]) & (agg["size"] >= min_group)]["size"].sum()
    return float(pure / len(y))


def leakage_audit(
    frame: pd.DataFrame,
    target: str,
    candidates: Sequence[str],
    *,
    auc_threshold: float = 0.95,
    determined_threshold: float = 0.99,
    max_levels: int = 20,
    min_group: int = 5,
) -> pd.DataFrame:
    """Screen candidate features for target leakage.

    For each candidate: the single-feature ROC-AUC (categoricals are scored by their level's
    target rate; the AUC is folded to at least 0.5) and the share of rows whose target is
    determined by the feature value (groups of at least ``min_group`` rows with a constant
    target). Pairs of low-cardinality candidates (at most ``max_levels`` levels each) are
    checked for joint determination too (pairs of columns not flagged on their own). A
    candidate is flagged when its AUC is at least ``auc_threshold``, when it alone determines
    at least ``determined_threshold`` of the target, or when a pair it belongs to does; the
    reason is stated.

    Returns
    -------
    DataFrame
        ``feature, auc, determined_share, flagged, reason``, flagged first.
    """
    y = frame[target].astype(int)
    if y.nunique() != 2:
        raise ValueError(f"target {target!r} must have two classes, found {y.nunique()}")
    rows = []
    for col in candidates:
        x = frame[col]
        if pd.api.types.is_numeric_dtype(x) and x.nunique() > max_levels:
            score = x.astype(float)
        else:  # a level is scored by its target rate
            score = y.groupby(x, observed=True).transform("mean").astype(float)
        auc = roc_auc_score(y, score.fillna(score.mean()))
        share = _determined_share([x.round(6) if pd.api.types.is_float_dtype(x) else x], y, min_group)
        rows.append(
            {"feature": col, "auc": float(max(auc, 1 - auc)), "determined_share": share, "flagged": False, "reason": ""}
        )
    table = pd.DataFrame(rows).set_index("feature")
    for col in table.index:
        if table.loc[col, "auc"] >= auc_threshold:
            table.loc[col, ["flagged", "reason"]] = [
                True,
                f"single-feature ROC-AUC {table.loc[col, 'auc']:.3f} >= {auc_threshold}",
            ]
        elif table.loc[col, "determined_share"] >= determined_threshold:
            table.loc[col, ["flagged", "reason"]] = [
                True,
                f"its value alone determines the target on {table.loc[col, 'determined_share']:.1%} of rows",
            ]
    # Pairs: only among columns that do not determine the target on their own.
    low = [c for c in candidates if frame[c].nunique() <= max_levels and not table.loc[c, "flagged"]]
    for a, b in itertools.combinations(low, 2):
        share = _determined_share([frame[a], frame[b]], y, min_group)
        if share >= determined_threshold:
            for col, other in ((a, b), (b, a)):
                if not table.loc[col, "flagged"]:
                    table.loc[col, ["flagged", "reason"]] = [
                        True,
                        f"with {other}, determines the target on {share:.1%} of rows",
                    ]
    table = table.reset_index()
    return table.sort_values(["flagged", "auc"], ascending=[False, False], kind="stable").reset_index(drop=True)


# -------------------------------------------------------------------------------- models
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


def make_models(numeric: Sequence[str], categorical: Sequence[str], seed: int = 0) -> dict[str, Pipeline]:
    """The three candidate pipelines: logistic regression (baseline), random forest, XGBoost."""
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
                        n_estimators=300, min_samples_leaf=20, max_features="sqrt", n_jobs=N_JOBS, random_state=seed
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
                        n_jobs=N_JOBS,
                        random_state=seed,
                        eval_metric="logloss",
                    ),
                ),
            ]
        ),
    }


def _fit(pipeline: Pipeline, X: pd.DataFrame, y: pd.Series) -> Pipeline:
    """Fit a clone; a random forest then predicts on one thread, because summing the trees'
    votes across threads happens in a varying order and changes the last bits of the
    probabilities from run to run.
    """
    fitted = sklearn.clone(pipeline).fit(X, y)
    model = fitted.named_steps.get("model") if hasattr(fitted, "named_steps") else None
    if isinstance(model, RandomForestClassifier):
        model.set_params(n_jobs=1)
    return fitted


@dataclass(frozen=True)
class CVResult:
    """Stratified k-fold ROC-AUC of one model: per fold, mean and a t-interval."""

    model: str
    fold_auc: tuple[float, ...]
    auc: Estimate
    oof_pred: np.ndarray = field(repr=False)


def cross_validate(
    pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, *, folds: int = 5, seed: int = 0, name: str = "model"
) -> CVResult:
    """Stratified ``folds``-fold cross-validated ROC-AUC with a 95% t-interval over folds,
    and the out-of-fold predictions.
    """
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = np.zeros(len(y))
    aucs = []
    for train, test in cv.split(X, y):
        fitted = _fit(pipeline, X.iloc[train], y.iloc[train])
        oof[test] = fitted.predict_proba(X.iloc[test])[:, 1]
        aucs.append(roc_auc_score(y.iloc[test], oof[test]))
    aucs_arr = np.asarray(aucs)
    m = float(aucs_arr.mean())
    half = float(stats.t.ppf(0.975, folds - 1) * aucs_arr.std(ddof=1) / np.sqrt(folds))
    return CVResult(
        name,
        tuple(float(a) for a in aucs),
        Estimate(m, m - half, m + half, len(y), f"{folds}-fold CV, t-interval over folds"),
        oof,
    )


def _auc_ci(y: np.ndarray, p: np.ndarray) -> Estimate:
    auc, var = _delong_auc_var(y, p[None, :])
    se = float(np.sqrt(var[0, 0]))
    z = stats.norm.ppf(0.975)
    return Estimate(float(auc[0]), float(max(auc[0] - z * se, 0.0)), float(min(auc[0] + z * se, 1.0)), len(y), "DeLong")


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
        d = asdict(self)
        d["roc_auc"] = self.roc_auc.to_dict()
        return d


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability cut-off that maximizes F1 (use training or out-of-fold predictions)."""
    grid = np.unique(np.round(p, 4))
    if len(grid) > 400:
        grid = np.quantile(p, np.linspace(0.01, 0.99, 197))
    scores = [f1_score(y, p >= t, zero_division=0) for t in grid]
    return float(grid[int(np.argmax(scores))])


def evaluate_holdout(name: str, y: np.ndarray, p: np.ndarray, threshold: float) -> HoldoutResult:
    """ROC-AUC (DeLong CI), PR-AUC, Brier score and F1 at ``threshold`` on held-out rows."""
    y = np.asarray(y).astype(int)
    return HoldoutResult(
        name,
        _auc_ci(y, p),
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
) -> ModelComparison:
    """Split, cross-validate, select, refit and score on held-out rows (see :class:`ModelComparison`)."""
    features = list(numeric) + list(categorical)
    missing = [c for c in features + [target] if c not in frame.columns]
    if missing:
        raise ModelMismatchError(f"the frame lacks column(s): {', '.join(missing)}")
    y_all = frame[target].astype(int)
    if y_all.nunique() != 2:
        raise ValueError(f"target {target!r} needs two classes, found {y_all.nunique()}")
    train_idx, test_idx = train_test_split(frame.index, test_size=test_size, stratify=y_all, random_state=seed)
    X_train, y_train = frame.loc[train_idx, features], y_all.loc[train_idx]
    X_test, y_test = frame.loc[test_idx, features], y_all.loc[test_idx].to_numpy()
    models = models or make_models(numeric, categorical, seed)
    cv, holdout, preds, fitted = {}, {}, {}, {}
    for name, pipe in models.items():
        cv[name] = cross_validate(pipe, X_train, y_train, folds=folds, seed=seed, name=name)
        threshold = best_f1_threshold(y_train.to_numpy(), cv[name].oof_pred)
        fitted[name] = _fit(pipe, X_train, y_train)
        preds[name] = fitted[name].predict_proba(X_test)[:, 1]
        holdout[name] = evaluate_holdout(name, y_test, preds[name], threshold)
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
        delong_test(y_test, preds[best], preds[base]),
    )


# ----------------------------------------------------------------------------- DeLong
def _midrank(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    n = len(x)
    ranks = np.empty(n)
    i = 0
    while i < n:
        j = i
        while j < n and xs[j] == xs[i]:
            j += 1
        ranks[i:j] = 0.5 * (i + j - 1) + 1
        i = j
    out = np.empty(n)
    out[order] = ranks
    return out


def _delong_auc_var(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs of each row of ``scores`` and their DeLong covariance (Sun & Xu 2014 algorithm)."""
    y = np.asarray(y).astype(bool)
    pos, neg = scores[:, y], scores[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    if m == 0 or n == 0:
        raise ValueError("AUC needs both classes")
    k = scores.shape[0]
    tx, ty, tz = np.empty((k, m)), np.empty((k, n)), np.empty((k, m + n))
    for r in range(k):
        tx[r], ty[r] = _midrank(pos[r]), _midrank(neg[r])
        tz[r] = _midrank(np.concatenate([pos[r], neg[r]]))
    aucs = tz[:, :m].sum(axis=1) / m / n - (m + 1.0) / 2.0 / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01))
    sy = np.atleast_2d(np.cov(v10))
    return aucs, sx / m + sy / n


def delong_test(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray) -> dict[str, float]:
    """DeLong's test for two correlated ROC-AUCs on the same rows: difference a - b, its 95% CI
    and the two-sided p-value.
    """
    aucs, cov = _delong_auc_var(np.asarray(y), np.vstack([p_a, p_b]))
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = np.sqrt(max(var, 0.0))
    z = stats.norm.ppf(0.975)
    p = float(2 * stats.norm.sf(abs(diff) / se)) if se > 0 else (1.0 if diff == 0 else 0.0)
    return {
        "auc_a": float(aucs[0]),
        "auc_b": float(aucs[1]),
        "difference": diff,
        "ci_low": diff - z * se,
        "ci_high": diff + z * se,
        "p_value": p,
        "method": "DeLong",
    }


#: Upper bound on the shuffled labels held in memory at once (``batch x rows`` cells: 2 MiB as
#: int8, 16 MiB as the float64 the product with the ranks needs).
_PERMUTATION_BATCH_CELLS = 1 << 21


def auc_permutation_test(y: np.ndarray, p: np.ndarray, *, n_permutations: int = 2000, seed: int = 0) -> dict:
    """One-sided permutation test of a held-out ROC-AUC against chance.

    H0: the scores carry no information about the labels; H1: the AUC is **greater** than
    under H0 (a model worse than chance is not evidence for H1). The labels are shuffled
    ``n_permutations`` (B) times; the AUC is the Mann-Whitney U of the positives over
    ``n1 * n0`` (ties count one half, by mid-ranks). The p-value is (b + 1) / (B + 1), with b
    the shuffles whose AUC is at least the observed one, so it is never 0.

    Memory is bounded: the shuffles are drawn in batches of at most
    ``_PERMUTATION_BATCH_CELLS`` label cells (about 16 MiB), whatever the number of rows; the draws
    are the same as drawing all shuffles at once, so the result does not depend on the batch.

    Returns
    -------
    dict
        ``auc``, ``p_value``, ``null_mean``, ``null_p97_5`` (97.5th percentile of the shuffled
        AUCs), ``n_permutations``, ``alternative`` (``"greater"``) and ``method``.
    """
    if n_permutations < 1:
        raise ValueError(f"n_permutations must be at least 1, got {n_permutations}")
    y = np.asarray(y).astype(int)
    ranks = stats.rankdata(p)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("AUC needs both classes")
    observed = (ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    rng = np.random.default_rng(seed)
    batch = max(1, _PERMUTATION_BATCH_CELLS // max(len(y), 1))
    perm_auc = np.empty(n_permutations)
    labels = y.astype(np.int8)
    for start in range(0, n_permutations, batch):
        stop = min(start + batch, n_permutations)
        perms = np.empty((stop - start, len(y)), dtype=np.int8)
        for i in range(stop - start):
            perms[i] = rng.permutation(labels)
        perm_auc[start:stop] = (perms @ ranks - n1 * (n1 + 1) / 2) / (n1 * n0)
    return {
        "auc": float(observed),
        "p_value": float((1 + (perm_auc >= observed).sum()) / (1 + n_permutations)),
        "null_mean": float(perm_auc.mean()),
        "null_p97_5": float(np.quantile(perm_auc, 0.975)),
        "n_permutations": n_permutations,
        "alternative": "greater",
        "method": "label permutation, one-sided, p = (b + 1) / (B + 1)",
    }


# ------------------------------------------------------------------ calibration and errors
def reliability_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed purchase rate per decile of predicted probability (with Wilson CIs)."""
    frame = pd.DataFrame({"y": np.asarray(y).astype(int), "p": p})
    frame["bin"] = pd.qcut(frame.p.rank(method="first"), bins, labels=False)
    g = frame.groupby("bin")
    out = pd.DataFrame({"predicted": g.p.mean(), "observed": g.y.mean(), "n": g.size(), "positives": g.y.sum()})
    ests = [proportion(int(s), int(n)) for s, n in zip(out.positives, out.n, strict=True)]
    out["ci_low"], out["ci_high"] = [e.ci_low for e in ests], [e.ci_high for e in ests]
    return out.reset_index(drop=True)


def confusion_at(y: np.ndarray, p: np.ndarray, threshold: float) -> pd.DataFrame:
    """2x2 confusion matrix at ``threshold`` (rows: actual, columns: predicted)."""
    y = np.asarray(y).astype(int)
    pred = (p >= threshold).astype(int)
    table = pd.crosstab(pd.Series(y, name="actual"), pd.Series(pred, name="predicted")).reindex(
        index=[0, 1], columns=[0, 1], fill_value=0
    )
    table.index = ["no purchase", "purchase"]
    table.columns = ["predicted no", "predicted yes"]
    return table


# -------------------------------------------------------------------------- importance
def _original_feature(name: str, categorical: Sequence[str]) -> str:
    for col in sorted(categorical, key=len, reverse=True):
        if name.startswith(col + "_"):
            return col
    return name


def permutation_importances(
    pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, *, repeats: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Drop in ROC-AUC when each original column is shuffled (held-out rows), mean and sd."""
    result = permutation_importance(pipeline, X, y, scoring="roc_auc", n_repeats=repeats, random_state=seed, n_jobs=1)
    return (
        pd.DataFrame({"feature": X.columns, "auc_drop": result.importances_mean, "sd": result.importances_std})
        .sort_values("auc_drop", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def shap_importances(pipeline: Pipeline, X: pd.DataFrame, categorical: Sequence[str]) -> pd.DataFrame:
    """Mean |SHAP value| (log-odds) per original column from XGBoost's exact tree contributions
    (``pred_contribs``), and the correlation of each numeric column with its contribution
    (its direction).
    """
    prep, model = pipeline.named_steps["prep"], pipeline.named_steps["model"]
    Z = prep.transform(X)
    names = list(prep.get_feature_names_out())
    contribs = model.get_booster().predict(
        xgboost.DMatrix(np.asarray(Z, dtype=float), feature_names=names), pred_contribs=True
    )[:, :-1]
    frame = pd.DataFrame(contribs, columns=names)
    grouped = frame.T.groupby([_original_feature(n, categorical) for n in names]).sum().T
    rows = []
    for col in grouped.columns:
        direction = np.nan
        if col in X.columns and pd.api.types.is_numeric_dtype(X[col]) and X[col].nunique() > 1:
            direction = float(np.corrcoef(X[col].to_numpy(float), grouped[col].to_numpy())[0, 1])
        rows.append({"feature": col, "mean_abs_shap": float(grouped[col].abs().mean()), "direction": direction})
    return pd.DataFrame(rows).sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------- business value
def value_curve(
    y: np.ndarray,
    p: np.ndarray,
    order_value: np.ndarray,
    *,
    margin: float,
    offer_cost: float,
    uplift: float,
    thresholds: Sequence[float] | None = None,
    n_boot: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Realized value of an intervention aimed at sessions predicted NOT to purchase.

    A session is targeted when its predicted purchase probability is below the threshold. A
    targeted session that would not have bought (``y = 0``) is won back with probability
    ``uplift`` and yields ``margin * order_value``; every targeted session costs ``offer_cost``.
    Value at a threshold is summed over held-out rows, with a bootstrap 95% interval.

    Returns
    -------
    DataFrame
        ``threshold, targeted_share, value, ci_low, ci_high, value_per_session``, and
        ``gain_over_all`` with ``gain_ci_low``/``gain_ci_high``: the value minus that of
        targeting every session, with a paired bootstrap interval (same resamples).
    """
    y = np.asarray(y).astype(int)
    order_value = np.asarray(order_value, dtype=float)
    gain = (1 - y) * uplift * margin * order_value - offer_cost
    thresholds = np.linspace(0.0, 1.0, 51) if thresholds is None else np.asarray(thresholds)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(n_boot, len(y)))
    all_boot = gain[idx].sum(axis=1)
    rows = []
    for t in thresholds:
        target = p < t
        contrib = np.where(target, gain, 0.0)
        boot = contrib[idx].sum(axis=1)
        diff = boot - all_boot
        rows.append(
            {
                "threshold": float(t),
                "targeted_share": float(target.mean()),
                "value": float(contrib.sum()),
                "ci_low": float(np.quantile(boot, 0.025)),
                "ci_high": float(np.quantile(boot, 0.975)),
                "value_per_session": float(contrib.mean()),
                "gain_over_all": float(contrib.sum() - gain.sum()),
                "gain_ci_low": float(np.quantile(diff, 0.025)),
                "gain_ci_high": float(np.quantile(diff, 0.975)),
            }
        )
    return pd.DataFrame(rows)


def gain_curve(y: np.ndarray, p: np.ndarray, points: int = 20) -> pd.DataFrame:
    """Cumulative gain and lift: share of all purchases found in the top x% of scores."""
    y = np.asarray(y).astype(int)
    order = np.argsort(-p, kind="stable")
    cum = np.cumsum(y[order]) / max(y.sum(), 1)
    shares = np.linspace(1 / points, 1, points)
    idx = np.maximum((shares * len(y)).astype(int) - 1, 0)
    return pd.DataFrame({"share_targeted": shares, "share_of_purchases": cum[idx], "lift": cum[idx] / shares})


# ---------------------------------------------------------------------------- persistence


def model_path(stage: str, folder: Path) -> Path:
    """The file of a stage's model in a folder (a run's ``Run.models_out`` while it writes,
    ``Run.models_dir`` once published): ``<folder>/<stage>_stage.joblib``.
    """
    return Path(folder) / f"{stage}_stage.joblib"


class ModelMismatchError(ValueError):
    """The data does not carry what the model was trained on."""


class ModelFileError(ValueError):
    """A model file or its card is not one the project wrote (or is damaged). One-line message."""


#: Model files are joblib pickles read by a restricted unpickler: only the classes and functions
#: a saved pipeline is made of can be named by the file (see ``project/history/decisions.md``).
MODEL_FORMAT = "joblib pickle, read with an allow-list of globals; sha256 recorded in the card"
_ALLOWED_GLOBALS = frozenset(
    {
        ("builtins", "bytearray"),
        ("builtins", "bytes"),
        ("builtins", "slice"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "complex"),
        ("builtins", "range"),
        ("collections", "OrderedDict"),
        ("copyreg", "_reconstructor"),
        ("builtins", "object"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy.random._pickle", "__randomstate_ctor"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random._pickle", "__generator_ctor"),
    }
)


def _allowed_global(module: str, name: str, obj: object) -> bool:
    """Whether a pickled model may name ``module.name`` (resolved to ``obj``)."""
    if (module, name) in _ALLOWED_GLOBALS:
        return True
    root = module.split(".", 1)[0]
    if root == "numpy":
        # dtypes and scalar types, ufuncs (np.log1p in a FunctionTransformer), bit generators.
        return (
            isinstance(obj, type) and (issubclass(obj, (np.generic, np.dtype)) or module.startswith("numpy.random"))
        ) or isinstance(obj, np.ufunc)
    if root == "sklearn":
        # Estimators and the tree structure of a fitted forest; no functions, no other classes.
        from sklearn.tree._tree import Tree

        return isinstance(obj, type) and (issubclass(obj, BaseEstimator) or obj is Tree)
    if root == "xgboost":
        return isinstance(obj, type) and (issubclass(obj, (xgboost.XGBModel, xgboost.Booster)))
    return False


class _RestrictedUnpickler(NumpyUnpickler):
    """joblib's unpickler, refusing any global outside :func:`_allowed_global` before it is used:
    a crafted file cannot call ``os.system``, ``eval``, ``subprocess`` or any other function.
    """

    def find_class(self, module: str, name: str):
        if not isinstance(module, str) or not isinstance(name, str) or "." in name:
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        # Nothing is imported on the file's say: importing a module runs its code (e.g. a package's
        # ``__main__``). Names resolve only in modules this process has already loaded; the
        # package imports every module a saved pipeline is made of.
        if module not in sys.modules:
            raise pickle.UnpicklingError(f"refused global {module}.{name} (module not part of a saved model)")
        if (module, name) in _ALLOWED_GLOBALS or module.split(".", 1)[0] in ("numpy", "sklearn", "xgboost"):
            obj = super().find_class(module, name)
            if _allowed_global(module, name, obj):
                return obj
        raise pickle.UnpicklingError(f"refused global {module}.{name} (not part of a saved model)")


def _card_path(path: Path) -> Path:
    return path.with_suffix(".card.json")


def save_model(pipeline: Pipeline, path: str | Path, card: dict) -> tuple[Path, Path]:
    """Save a fitted pipeline (joblib) and its model card (JSON beside it, ``<name>.card.json``).

    The card records at least ``stage``, ``target``, ``features``, ``numeric``, ``categorical``;
    this function adds the library versions, the file format and ``model_sha256``, the sha256
    of the model file (:func:`load_model` refuses a file that does not match it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for key in ("stage", "target", "numeric", "categorical"):
        if key not in card:
            raise ValueError(f"model card lacks {key!r}")
    tmp = path.with_suffix(".joblib.tmp")
    joblib.dump(pipeline, tmp)
    card = {
        **card,
        "features": list(card["numeric"]) + list(card["categorical"]),
        "versions": {
            "ecommerce-analytics": __version__,
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "xgboost": xgboost.__version__,
        },
        "model_file": path.name,
        "model_format": MODEL_FORMAT,
        "model_sha256": _sha256(tmp),
    }
    tmp.replace(path)
    card_path = _card_path(path)
    card_tmp = card_path.with_suffix(".json.tmp")
    # Floats at the committed precision (8 significant digits): the card is the same on every machine.
    card_tmp.write_text(precision.dumps(card), encoding="utf-8")
    card_tmp.replace(card_path)
    return path, card_path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_model_card(path: str | Path) -> dict:
    """The card of a model file, checked: valid JSON, an object with ``stage``, ``target``,
    ``features`` and ``model_sha256``. Raises :class:`ModelFileError` (one line) otherwise.
    """
    path = Path(path)
    card_path = _card_path(path)
    if not card_path.is_file():
        raise FileNotFoundError(f"{card_path}: model card not found beside the model")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ModelFileError(f"{card_path}: model card is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{card_path}: model card is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(card, dict):
        raise ModelFileError(f"{card_path}: model card is not a JSON object")
    missing = [k for k in ("stage", "target", "features", "model_sha256") if k not in card]
    if missing:
        hint = " (saved by an older version: run the modeling notebook again)" if missing == ["model_sha256"] else ""
        raise ModelFileError(f"{card_path}: model card lacks {', '.join(map(repr, missing))}{hint}")
    if card["stage"] not in STAGES:
        raise ModelFileError(f"{card_path}: unknown stage {card['stage']!r} (expected browse or cart)")
    if not isinstance(card["features"], list) or not all(isinstance(f, str) for f in card["features"]):
        raise ModelFileError(f"{card_path}: 'features' must be a list of column names")
    sha = card["model_sha256"]
    if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise ModelFileError(f"{card_path}: 'model_sha256' is not a sha256 hex digest")
    return card


def load_model(path: str | Path) -> tuple[Pipeline, dict]:
    """Load a pipeline saved by :func:`save_model` and its card.

    Only files the project wrote are loaded: the file's sha256 must equal the card's
    ``model_sha256``, and the file is read by a restricted unpickler that refuses every global
    but the estimator classes, numpy types and ufuncs a saved pipeline is made of, so a crafted
    file cannot run code. Every refusal is a :class:`ModelFileError` with a one-line message;
    a missing file or card is a ``FileNotFoundError``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: model file not found (run `make report` to train the models)")
    card = read_model_card(path)
    digest = _sha256(path)
    if digest != card["model_sha256"]:
        raise ModelFileError(
            f"{path}: sha256 {digest[:12]}... does not match its card ({card['model_sha256'][:12]}...); "
            "refusing to load a model file the project did not write"
        )
    try:
        with open(path, "rb") as fh:
            pipeline = _RestrictedUnpickler(str(path), fh, True).load()
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        TypeError,
        AttributeError,
        ImportError,
        IndexError,
        KeyError,
        MemoryError,
        OverflowError,
        UnicodeDecodeError,
    ) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise ModelFileError(f"{path}: not a model file the project can load ({detail[:200]})") from None
    if not (hasattr(pipeline, "predict_proba") and hasattr(pipeline, "fit")):
        raise ModelFileError(f"{path}: holds a {type(pipeline).__name__}, not a fitted model")
    return pipeline, card


def check_features(card: dict, frame: pd.DataFrame) -> None:
    """Raise :class:`ModelMismatchError` when ``frame`` lacks a feature the model needs."""
    missing = [f for f in card["features"] if f not in frame.columns]
    if missing:
        raise ModelMismatchError(f"the data lacks feature(s) the model was trained on: {', '.join(missing)}")


def score_sessions(pipeline: Pipeline, card: dict, sessions: pd.DataFrame) -> pd.DataFrame:
    """Purchase probabilities for validated sessions with a saved model.

    A cart-stage model scores only sessions with ``add_to_cart = 1``; the others are returned
    unscored with the reason. Output columns: ``row`` (0-based position in ``sessions``),
    ``user_id``, ``product_id``, ``purchase_date``, ``stage``, ``purchase_probability``, ``note``.
    """
    frame = session_features(sessions)
    check_features(card, frame)
    stage = card["stage"]
    eligible = (frame["add_to_cart"] == 1).to_numpy() if stage == "cart" else np.ones(len(frame), dtype=bool)
    prob = np.full(len(frame), np.nan)
    if eligible.any():
        prob[eligible] = pipeline.predict_proba(frame.loc[eligible, card["features"]])[:, 1]
    return pd.DataFrame(
        {
            "row": np.arange(len(frame)),
            "user_id": sessions["user_id"].to_numpy(),
            "product_id": sessions["product_id"].to_numpy(),
            "purchase_date": sessions["purchase_date"].to_numpy(),
            "stage": stage,
            "purchase_probability": prob,
            "note": np.where(eligible, "", "not scored: the cart-stage model needs add_to_cart = 1"),
        }
    )
