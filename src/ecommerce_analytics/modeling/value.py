"""Business value of a model: an intervention aimed at at-risk carts, and cumulative gain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..reporting import ci, num, pct
from ._checks import check_alpha
from .validation import ModelComparison

__all__ = [
    "value_curve",
    "gain_curve",
    "order_values",
    "InterventionValue",
    "intervention_value",
    "GainReadout",
    "abandonment_gains",
]


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
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Realized value of an intervention aimed at sessions predicted NOT to purchase.

    A session is targeted when its predicted purchase probability is below the threshold. A
    targeted session that would not have bought (``y = 0``) is won back with probability
    ``uplift`` and yields ``margin * order_value``; every targeted session costs ``offer_cost``.
    Value at a threshold is summed over held-out rows, with a bootstrap ``1 - alpha`` percentile
    interval.

    Parameters
    ----------
    y : array of 0/1
        Held-out outcomes.
    p : array of float
        Predicted purchase probabilities.
    order_value : array of float
        Net order value of each row.
    margin, offer_cost, uplift : float
        The business assumptions (``margin`` and ``uplift`` in [0, 1], ``offer_cost >= 0``).
    thresholds : sequence of float, optional
        Targeting thresholds (default 0 to 1 by 0.02).
    n_boot : int
        Bootstrap resamples (at least 1).
    seed : int
        Seed of the resamples.
    alpha : float
        One minus the confidence level of the intervals.

    Returns
    -------
    DataFrame
        ``threshold, targeted_share, value, ci_low, ci_high, value_per_session``, and
        ``gain_over_all`` with ``gain_ci_low``/``gain_ci_high``: the value minus that of
        targeting every session, with a paired bootstrap interval (same resamples).

    References
    ----------
    Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 13 (percentile interval).

    Examples
    --------
    >>> c = value_curve(np.array([0, 1]), np.array([0.2, 0.9]), np.array([100.0, 50.0]), margin=0.5,
    ...                 offer_cost=1.0, uplift=0.1, thresholds=[0.5, 1.0], n_boot=10)
    >>> c[["threshold", "targeted_share", "value", "gain_over_all"]].values.tolist()
    [[0.5, 0.5, 4.0, 1.0], [1.0, 1.0, 3.0, 0.0]]
    """
    alpha = check_alpha(alpha)
    for name, v in (("margin", margin), ("uplift", uplift)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must lie in [0, 1], got {v!r}")
    if offer_cost < 0:
        raise ValueError(f"offer_cost must be at least 0, got {offer_cost!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer of at least 1, got {n_boot!r}")
    y = np.asarray(y).astype(int)
    order_value = np.asarray(order_value, dtype=float)
    gain = (1 - y) * uplift * margin * order_value - offer_cost
    thresholds = np.linspace(0.0, 1.0, 51) if thresholds is None else np.asarray(thresholds)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(n_boot, len(y)))
    all_boot = gain[idx].sum(axis=1)
    lo, hi = alpha / 2, 1 - alpha / 2
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
                "ci_low": float(np.quantile(boot, lo)),
                "ci_high": float(np.quantile(boot, hi)),
                "value_per_session": float(contrib.mean()),
                "gain_over_all": float(contrib.sum() - gain.sum()),
                "gain_ci_low": float(np.quantile(diff, lo)),
                "gain_ci_high": float(np.quantile(diff, hi)),
            }
        )
    return pd.DataFrame(rows)


def gain_curve(y: np.ndarray, p: np.ndarray, points: int = 20) -> pd.DataFrame:
    """Cumulative gain and lift: share of all positives found in the top x% of scores.

    Parameters
    ----------
    y : array of 0/1
        Outcomes (the positives are what is looked for).
    p : array of float
        Scores, highest targeted first.
    points : int
        Equally spaced shares targeted (at least 1).

    Returns
    -------
    DataFrame
        ``share_targeted, share_of_purchases, lift``.

    Examples
    --------
    >>> gain_curve(np.array([1, 0, 0, 0]), np.array([0.9, 0.1, 0.2, 0.3]), points=2).values.tolist()
    [[0.5, 1.0, 2.0], [1.0, 1.0, 1.0]]
    """
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 1:
        raise ValueError(f"points must be an integer of at least 1, got {points!r}")
    y = np.asarray(y).astype(int)
    order = np.argsort(-np.asarray(p), kind="stable")
    cum = np.cumsum(y[order]) / max(y.sum(), 1)
    shares = np.linspace(1 / points, 1, points)
    idx = np.maximum((shares * len(y)).astype(int) - 1, 0)
    return pd.DataFrame({"share_targeted": shares, "share_of_purchases": cum[idx], "lift": cum[idx] / shares})


def order_values(sessions: pd.DataFrame) -> np.ndarray:
    """Net order value of each session: ``price * (1 - discount_applied / 100)``.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``price`` and ``discount_applied`` (a percentage).

    Returns
    -------
    ndarray
        One value per row.

    Examples
    --------
    >>> order_values(pd.DataFrame({"price": [100.0, 40.0], "discount_applied": [10, 0]})).tolist()
    [90.0, 40.0]
    """
    return (sessions["price"] * (1 - sessions["discount_applied"] / 100)).to_numpy()


@dataclass(frozen=True)
class InterventionValue:
    """Value of targeting at-risk carts by threshold, under explicit business assumptions.

    Attributes
    ----------
    curve : DataFrame
        :func:`value_curve` on the held-out carts.
    margin, offer_cost, uplift : float
        The assumptions.
    n : int
        Held-out carts.
    """

    curve: pd.DataFrame
    margin: float
    offer_cost: float
    uplift: float
    n: int

    @property
    def best(self) -> pd.Series:
        """The curve's row of highest value (first of ties)."""
        return self.curve.loc[self.curve["value"].idxmax()]

    @property
    def everyone(self) -> pd.Series:
        """The curve's last row (the highest threshold: every cart targeted)."""
        return self.curve.iloc[-1]

    @property
    def per_1000(self) -> float:
        """Value of the best threshold per 1,000 carts."""
        return float(1000 * self.best["value"] / self.n)

    @property
    def earns_its_keep(self) -> bool:
        """Whether the best threshold beats targeting every cart (the gain's interval is above 0)."""
        return bool(self.best["gain_ci_low"] > 0)

    def to_dict(self) -> dict:
        """The ``value`` entry of the notebook's results."""
        b = self.best
        return {
            "margin": self.margin,
            "offer_cost": self.offer_cost,
            "uplift": self.uplift,
            "best_threshold": b.threshold,
            "targeted_share": b.targeted_share,
            "value": b.value,
            "ci_low": b.ci_low,
            "ci_high": b.ci_high,
            "held_out_carts": int(self.n),
            "value_per_1000_carts": self.per_1000,
            "gain_over_targeting_all": {
                "estimate": b.gain_over_all,
                "ci_low": b.gain_ci_low,
                "ci_high": b.gain_ci_high,
            },
        }

    def sentence(self) -> str:
        """The assumptions, the best threshold's value, and its gain over targeting every cart."""
        b, e = self.best, self.everyone
        return (
            f"With margin {pct(self.margin, 0)}, cost {num(self.offer_cost)} per targeted cart and uplift "
            f"{pct(self.uplift, 0)}, the best threshold is **{b.threshold:.2f}**: it targets {pct(b.targeted_share)} "
            f"of carts and earns **{num(b.value)}** on these {num(self.n)} held-out carts "
            f"({ci(b.ci_low, b.ci_high, num)}), about {num(self.per_1000)} per 1,000 carts. Targeting every cart "
            f"would earn {num(e.value)} ({ci(e.ci_low, e.ci_high, num)}); the model-guided policy adds "
            f"**{num(b.gain_over_all)}** over it ({ci(b.gain_ci_low, b.gain_ci_high, num)}"
            + (
                ", so the model earns its keep)."
                if self.earns_its_keep
                else ", an interval that includes zero: no shown advantage over targeting everyone)."
            )
        )


def intervention_value(
    comparison: ModelComparison, sessions: pd.DataFrame, *, margin: float, offer_cost: float, uplift: float
) -> InterventionValue:
    """Value curve of the cart-stage best model on its held-out carts (see :func:`value_curve`).

    Parameters
    ----------
    comparison : ModelComparison
        The cart stage's comparison.
    sessions : DataFrame
        The sessions it was fitted on (for the held-out carts' order values).
    margin, offer_cost, uplift : float
        The business assumptions.

    Returns
    -------
    InterventionValue
        The curve and the assumptions.
    """
    p = comparison.predictions[comparison.best]
    values = order_values(sessions.loc[comparison.test_index])
    curve = value_curve(comparison.y_test, p, values, margin=margin, offer_cost=offer_cost, uplift=uplift)
    return InterventionValue(curve, margin, offer_cost, uplift, len(p))


@dataclass(frozen=True)
class GainReadout:
    """Cumulative gain of abandoned carts found by risk rank.

    Attributes
    ----------
    model : str
        The model ranking the carts.
    curve : DataFrame
        :func:`gain_curve` of abandonment (``share_of_purchases`` is the share of abandoned carts).
    """

    model: str
    curve: pd.DataFrame

    def at(self, share: float) -> pd.Series:
        """The curve's row nearest to ``share`` targeted (first of ties)."""
        if not 0 < share <= 1:
            raise ValueError(f"share must lie in (0, 1], got {share!r}")
        return self.curve.loc[(self.curve["share_targeted"] - share).abs().idxmin()]

    def sentence(self, share: float = 0.2) -> str:
        """Share of abandoned carts among the riskiest ``share`` of carts, and the lift."""
        row = self.at(share)
        return (
            f"The riskiest {pct(row.share_targeted, 0)} of carts hold {pct(row.share_of_purchases)} of the abandoned "
            f"ones (lift {row.lift:.2f})."
        )


def abandonment_gains(comparison: ModelComparison, points: int = 20) -> GainReadout:
    """Cumulative gain of abandonment: carts ranked by risk (1 - purchase probability) on held-out rows.

    Parameters
    ----------
    comparison : ModelComparison
        The cart stage's comparison.
    points : int
        Points of the curve.

    Returns
    -------
    GainReadout
        The best model's name and the curve.
    """
    p = comparison.predictions[comparison.best]
    return GainReadout(comparison.best, gain_curve(1 - comparison.y_test, 1 - p, points))
