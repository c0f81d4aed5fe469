"""Calibration and errors of a fitted model on held-out rows: reliability curve and confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics import proportion
from ..reporting import num, pct
from ._checks import target_and_scores
from .validation import ModelComparison

__all__ = ["reliability_curve", "confusion_at", "CalibrationReadout", "calibration_readout"]


def reliability_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed purchase rate per quantile bin of predicted probability (with Wilson CIs).

    Parameters
    ----------
    y : array-like
        Outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Predicted probabilities.
    bins : int
        Equal-count bins (deciles by default), at least 1 and at most the number of rows.

    Returns
    -------
    DataFrame
        ``predicted, observed, n, positives, ci_low, ci_high``, one row per bin.

    Examples
    --------
    >>> reliability_curve(np.array([0, 1, 0, 1]), np.array([0.1, 0.2, 0.7, 0.9]), bins=2)[["predicted", "observed"]]
       predicted  observed
    0       0.15       0.5
    1       0.80       0.5
    """
    y, p = target_and_scores(y, p)
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= len(y):
        raise ValueError(f"bins must be an integer from 1 to the number of rows ({len(y)}), got {bins!r}")
    frame = pd.DataFrame({"y": y, "p": p})
    frame["bin"] = pd.qcut(frame.p.rank(method="first"), bins, labels=False)
    g = frame.groupby("bin")
    out = pd.DataFrame({"predicted": g.p.mean(), "observed": g.y.mean(), "n": g.size(), "positives": g.y.sum()})
    ests = [proportion(int(s), int(n)) for s, n in zip(out.positives, out.n, strict=True)]
    out["ci_low"], out["ci_high"] = [e.ci_low for e in ests], [e.ci_high for e in ests]
    return out.reset_index(drop=True)


def confusion_at(y: np.ndarray, p: np.ndarray, threshold: float) -> pd.DataFrame:
    """2x2 confusion matrix at ``threshold`` (rows: actual, columns: predicted).

    Parameters
    ----------
    y : array-like
        Outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Predicted probabilities; ``p >= threshold`` predicts a purchase.
    threshold : float
        The cut-off.

    Returns
    -------
    DataFrame
        Rows ``no purchase``/``purchase``, columns ``predicted no``/``predicted yes``.

    Examples
    --------
    >>> confusion_at(np.array([0, 1, 1]), np.array([0.2, 0.4, 0.9]), 0.5)
                 predicted no  predicted yes
    no purchase             1              0
    purchase                1              1
    """
    y, p = target_and_scores(y, p)
    pred = (p >= threshold).astype(int)
    table = pd.crosstab(pd.Series(y, name="actual"), pd.Series(pred, name="predicted")).reindex(
        index=[0, 1], columns=[0, 1], fill_value=0
    )
    table.index = ["no purchase", "purchase"]
    table.columns = ["predicted no", "predicted yes"]
    return table


@dataclass(frozen=True)
class CalibrationReadout:
    """Reliability and errors of a comparison's best model on its held-out rows.

    Attributes
    ----------
    model : str
        The best model's name.
    curve : DataFrame
        :func:`reliability_curve` of its held-out predictions.
    threshold : float
        Its F1-maximizing cut-off (chosen on out-of-fold predictions).
    matrix : DataFrame
        :func:`confusion_at` that cut-off.
    """

    model: str
    curve: pd.DataFrame
    threshold: float
    matrix: pd.DataFrame

    @property
    def max_gap(self) -> float:
        """Largest absolute difference between observed and predicted rates over the bins."""
        return float((self.curve["observed"] - self.curve["predicted"]).abs().max())

    @property
    def flagged(self) -> int:
        """Held-out rows predicted to purchase."""
        return int(self.matrix["predicted yes"].sum())

    @property
    def recall(self) -> float:
        """Share of actual purchases the model flags."""
        return float(self.matrix.loc["purchase", "predicted yes"] / self.matrix.loc["purchase"].sum())

    def sentence(self) -> str:
        """Calibration gap, and what the model flags and finds at its threshold."""
        rows = int(self.matrix.to_numpy().sum())
        bins = "the ten deciles" if len(self.curve) == 10 else f"the {len(self.curve)} bins"
        return (
            f"Across {bins} predicted and observed rates differ by at most {pct(self.max_gap)}. At the F1-maximizing "
            f"threshold {self.threshold:.2f} (chosen on out-of-fold predictions) the model flags "
            f"{num(self.flagged)} of {num(rows)} held-out sessions and finds {pct(self.recall)} of the purchases."
        )


def calibration_readout(comparison: ModelComparison, bins: int = 10) -> CalibrationReadout:
    """Reliability curve and confusion matrix of the best model of a comparison (held-out rows).

    Parameters
    ----------
    comparison : ModelComparison
        A fitted comparison (:func:`~.validation.fit_and_validate`).
    bins : int
        Bins of the reliability curve.

    Returns
    -------
    CalibrationReadout
        The curve, the threshold and the matrix at it.
    """
    best_p = comparison.predictions[comparison.best]
    threshold = comparison.holdout[comparison.best].threshold
    return CalibrationReadout(
        comparison.best,
        reliability_curve(comparison.y_test, best_p, bins),
        threshold,
        confusion_at(comparison.y_test, best_p, threshold),
    )
