"""What drives a prediction: permutation importance and XGBoost's exact SHAP contributions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xgboost
from sklearn.inspection import permutation_importance
from sklearn.pipeline import Pipeline

from ._checks import binary_target
from .features import stage_frame
from .stages import StageReport

__all__ = ["permutation_importances", "shap_importances", "driver_reading", "DriversReadout", "stage_drivers"]


def _original_feature(name: str, categorical: Sequence[str]) -> str:
    """The original column of a transformed column name (one-hot ``<col>_<level>`` back to ``col``)."""
    for col in sorted(categorical, key=len, reverse=True):
        if name.startswith(col + "_"):
            return col
    return name


def permutation_importances(
    pipeline: Pipeline, X: pd.DataFrame, y: pd.Series, *, repeats: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Drop in ROC-AUC when each original column is shuffled (held-out rows), mean and sd.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline.
    X : DataFrame
        Held-out features.
    y : array-like
        Held-out binary outcomes (bools, 0/1 or yes/no, true/false strings).
    repeats : int
        Shuffles per column (at least 1).
    seed : int
        Seed of the shuffles.

    Returns
    -------
    DataFrame
        ``feature, auc_drop, sd``, largest drop first.
    """
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats must be an integer of at least 1, got {repeats!r}")
    y = binary_target(y, "y")
    result = permutation_importance(pipeline, X, y, scoring="roc_auc", n_repeats=repeats, random_state=seed, n_jobs=1)
    return (
        pd.DataFrame({"feature": X.columns, "auc_drop": result.importances_mean, "sd": result.importances_std})
        .sort_values("auc_drop", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def shap_importances(pipeline: Pipeline, X: pd.DataFrame, categorical: Sequence[str]) -> pd.DataFrame:
    """Mean |SHAP value| (log-odds) per original column from XGBoost's exact tree contributions.

    The contributions are XGBoost's ``pred_contribs``; one-hot columns are summed back to their
    original column, and the direction of a numeric column is the correlation of its values
    with its contribution.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline with steps ``prep`` and ``model`` (an XGBoost classifier).
    X : DataFrame
        Rows to explain.
    categorical : sequence of str
        The one-hot encoded columns.

    Returns
    -------
    DataFrame
        ``feature, mean_abs_shap, direction`` (NaN for categoricals), largest first.

    References
    ----------
    Lundberg, Erion & Lee (2018), Consistent individualized feature attribution for tree
    ensembles, arXiv:1802.03888.
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
            with np.errstate(invalid="ignore", divide="ignore"):  # a column the trees never split on: NaN
                direction = float(np.corrcoef(X[col].to_numpy(float), grouped[col].to_numpy())[0, 1])
        rows.append({"feature": col, "mean_abs_shap": float(grouped[col].abs().mean()), "direction": direction})
    return pd.DataFrame(rows).sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)


def driver_reading(feature: str, direction: float, *, min_correlation: float = 0.2) -> str:
    """How a driver reads: its direction when monotone enough, else that its effect varies.

    Parameters
    ----------
    feature : str
        The column.
    direction : float
        Correlation of its values with its SHAP contribution (NaN for a categorical).
    min_correlation : float
        Smallest absolute correlation read as a direction, in [0, 1].

    Returns
    -------
    str
        E.g. ``"age (higher values raise the purchase chance)"``.

    Examples
    --------
    >>> driver_reading("age", 0.9)
    'age (higher values raise the purchase chance)'
    >>> driver_reading("price", -0.6)
    'price (higher values lower the purchase chance)'
    >>> driver_reading("category", float("nan"))
    'category (effect varies by level or is non-monotone)'
    """
    if not 0 <= min_correlation <= 1:
        raise ValueError(f"min_correlation must lie in [0, 1], got {min_correlation!r}")
    if np.isnan(direction) or abs(direction) < min_correlation:
        return f"{feature} (effect varies by level or is non-monotone)"
    return f"{feature} (higher values {'raise' if direction > 0 else 'lower'} the purchase chance)"


@dataclass(frozen=True)
class DriversReadout:
    """Drivers of a stage's prediction on its held-out rows.

    Attributes
    ----------
    permutation : DataFrame
        :func:`permutation_importances` of the best model.
    shap : DataFrame
        :func:`shap_importances` of the XGBoost model.
    beats_chance : bool or None
        Whether the stage's best model beats chance (``None``: not tested, simulated data).
    """

    permutation: pd.DataFrame
    shap: pd.DataFrame
    beats_chance: bool | None = None

    def sentence(self, top: int = 5) -> str:
        """The ``top`` SHAP drivers with their direction, the top permutation driver, and a caveat at chance."""
        readings = "; ".join(driver_reading(r.feature, r.direction) for r in self.shap.head(top).itertuples())
        caveat = (
            " The model is no better than chance here, so these rankings describe noise, not drivers."
            if self.beats_chance is False
            else ""
        )
        return (
            f"Top drivers, in order: {readings}. By permutation, shuffling **{self.permutation.feature.iloc[0]}** "
            f"costs the most ROC-AUC ({self.permutation.auc_drop.iloc[0]:.3f})." + caveat
        )


def stage_drivers(report: StageReport, sessions: pd.DataFrame) -> DriversReadout:
    """Permutation importance of a stage's best model and SHAP values of its XGBoost model (held-out rows).

    Parameters
    ----------
    report : StageReport
        The stage (:func:`~.stages.evaluate_stage`), whose candidates include ``xgboost``.
    sessions : DataFrame
        The sessions the stage was fitted on.

    Returns
    -------
    DriversReadout
        Both importance tables and whether the model beats chance.
    """
    c = report.comparison
    if "xgboost" not in c.pipelines:
        raise ValueError(f"report must hold an xgboost model for SHAP values; it holds {sorted(c.pipelines)}")
    X_test = stage_frame(sessions, report.stage).loc[c.test_index, report.stage.features]
    perm = permutation_importances(c.pipelines[c.best], X_test, pd.Series(c.y_test, index=X_test.index))
    shap = shap_importances(c.pipelines["xgboost"], X_test, report.stage.categorical)
    return DriversReadout(perm, shap, report.beats_chance)
