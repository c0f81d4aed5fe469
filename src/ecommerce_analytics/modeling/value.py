"""Business value of a model: an intervention aimed at at-risk carts, and cumulative gain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..reporting import ci, num, pct, pp
from ._checks import check_alpha, target_and_scores
from .validation import ModelComparison

__all__ = [
    "value_curve",
    "gain_curve",
    "order_values",
    "WIN_BACKS",
    "SELECTION_METHOD",
    "choose_threshold",
    "break_even_win_back",
    "holdout_test_plan",
    "win_back_sensitivity",
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
    y : array-like
        Held-out outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
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
        targeting every session, with a paired bootstrap interval (same resamples); and
        ``p_not_positive``, the one-sided bootstrap p-value of a value at or below zero,
        ``(1 + #{resampled value <= 0}) / (n_boot + 1)``.

    References
    ----------
    Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 13 (percentile interval) and
    ch. 16 (bootstrap p-values); Davison & Hinkley (1997), Bootstrap Methods and their Application,
    4.2 (the ``(1 + count) / (B + 1)`` p-value).

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
    y, p, order_value = target_and_scores(y, p, order_value)
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
                "p_not_positive": float((1 + (boot <= 0).sum()) / (n_boot + 1)),
            }
        )
    return pd.DataFrame(rows)


def gain_curve(y: np.ndarray, p: np.ndarray, points: int = 20) -> pd.DataFrame:
    """Cumulative gain and lift: share of all positives found in the top x% of scores.

    Parameters
    ----------
    y : array-like
        Outcomes (the positives are what is looked for): bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
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
    y, p = target_and_scores(y, p)
    order = np.argsort(-p, kind="stable")
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


#: Assumed win-back rates of the sensitivity table.
WIN_BACKS = (0.02, 0.05, 0.10, 0.15, 0.20)

#: How the targeting threshold is chosen (written to the results).
SELECTION_METHOD = "highest value on the out-of-fold predictions of the training carts (stratified 5-fold CV)"


def _check_rate(name: str, value: float, *, low_open: bool = False) -> float:
    """``value`` as a float in [0, 1] (or (0, 1] with ``low_open``), else ``ValueError`` naming ``name``."""
    ok = (0 < value <= 1) if low_open else (0 <= value <= 1)
    if isinstance(value, bool) or not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must lie in {interval}, got {value!r}")
    return float(value)


def choose_threshold(curve: pd.DataFrame) -> float:
    """The threshold of highest value on a value curve (first of ties); pass a curve of validation rows.

    Parameters
    ----------
    curve : DataFrame
        :func:`value_curve` (``threshold``, ``value``) on rows the threshold is not evaluated on.

    Returns
    -------
    float
        The chosen threshold.

    Examples
    --------
    >>> choose_threshold(pd.DataFrame({"threshold": [0.2, 0.4, 0.6], "value": [1.0, 3.0, 3.0]}))
    0.4
    """
    missing = {"threshold", "value"} - set(curve.columns)
    if missing or curve.empty:
        raise ValueError(f"curve must be a non-empty frame with threshold and value columns, missing {sorted(missing)}")
    return float(curve.loc[curve["value"].idxmax(), "threshold"])


def _value_terms(
    y: np.ndarray, p: np.ndarray, order_value: np.ndarray, threshold: float, margin: float, offer_cost: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-row value of a win back (``margin * order value`` of targeted non-buyers) and per-row offer cost."""
    y, p, order_value = target_and_scores(y, p, order_value)
    target = p < threshold
    won = np.where(target, (1 - y) * margin * order_value, 0.0)
    return won, np.where(target, float(offer_cost), 0.0)


def break_even_win_back(
    y: np.ndarray, p: np.ndarray, order_value: np.ndarray, threshold: float, *, margin: float, offer_cost: float
) -> float:
    """The win-back rate at which targeting rows predicted below ``threshold`` earns exactly zero.

    The value is linear in the win-back rate ``w``: ``w * margin * (order values of targeted
    non-buyers) - offer_cost * (targeted rows)``, so break-even is their ratio.

    Parameters
    ----------
    y : array-like
        Outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Predicted purchase probabilities.
    order_value : array of float
        Net order value of each row.
    threshold : float
        Rows with ``p < threshold`` are targeted.
    margin, offer_cost : float
        The business assumptions.

    Returns
    -------
    float
        The break-even win-back rate (above 1: no rate pays); NaN when no row is targeted.

    Examples
    --------
    >>> break_even_win_back(np.array([0, 1]), np.array([0.2, 0.3]), np.array([100.0, 50.0]), 0.5,
    ...                     margin=0.5, offer_cost=1.0)
    0.04
    """
    _check_rate("margin", margin)
    if offer_cost < 0:
        raise ValueError(f"offer_cost must be at least 0, got {offer_cost!r}")
    won, cost = _value_terms(y, p, order_value, threshold, margin, offer_cost)
    if not (np.asarray(p) < threshold).any():
        return float("nan")
    return float(cost.sum() / won.sum()) if won.sum() > 0 else float("inf")


def holdout_test_plan(
    baseline_rate: float, win_back: float, *, targeted_share: float = 1.0, alpha: float = 0.05, power: float = 0.8
) -> dict:
    """Targeted carts per arm of a randomized holdout test (offer vs none) that detects the win-back.

    A win-back ``w`` turns a share ``w`` of the would-be-abandoned carts into purchases, so the
    targeted carts' purchase rate moves from ``baseline_rate`` to
    ``baseline_rate + w * (1 - baseline_rate)``; the size is that of a two-sided pooled
    two-proportion z-test (:func:`~ecommerce_analytics.experiments.sample_size_proportions`).

    Parameters
    ----------
    baseline_rate : float
        Purchase rate of the targeted carts without an offer, strictly between 0 and 1.
    win_back : float
        The win-back rate to detect, in (0, 1].
    targeted_share : float
        Share of all carts that the policy targets, in (0, 1] (to count carts passing through).
    alpha, power : float
        Type-I error rate and power.

    Returns
    -------
    dict
        ``win_back``, ``baseline_purchase_rate``, ``expected_purchase_rate``, ``difference``,
        ``alpha``, ``power``, ``test``, ``targeted_carts_per_arm``, ``targeted_carts`` (both arms)
        and ``carts_to_observe`` (all carts, at ``targeted_share``).

    References
    ----------
    Fleiss, Levin & Paik (2003), Statistical Methods for Rates and Proportions, 4.2.

    Examples
    --------
    >>> plan = holdout_test_plan(0.5, 0.5, targeted_share=0.5, power=0.9)
    >>> plan["difference"], plan["targeted_carts_per_arm"], plan["carts_to_observe"]
    (0.25, 77, 308)
    """
    from ..experiments.design import sample_size_proportions

    if isinstance(baseline_rate, bool) or not 0 < baseline_rate < 1:
        raise ValueError(f"baseline_rate must lie strictly between 0 and 1, got {baseline_rate!r}")
    win_back = _check_rate("win_back", win_back, low_open=True)
    targeted_share = _check_rate("targeted_share", targeted_share, low_open=True)
    difference = win_back * (1 - baseline_rate)
    n, _ = sample_size_proportions(float(baseline_rate), difference, alpha=alpha, power=power)
    return {
        "win_back": win_back,
        "baseline_purchase_rate": float(baseline_rate),
        "expected_purchase_rate": float(baseline_rate + difference),
        "difference": float(difference),
        "alpha": float(alpha),
        "power": float(power),
        "test": "two-sided pooled two-proportion z-test",
        "targeted_carts_per_arm": int(n),
        "targeted_carts": int(2 * n),
        "carts_to_observe": int(np.ceil(2 * n / targeted_share)),
    }


def win_back_sensitivity(
    y: np.ndarray,
    p: np.ndarray,
    order_value: np.ndarray,
    threshold: float,
    *,
    margin: float,
    offer_cost: float,
    win_backs: Sequence[float] = WIN_BACKS,
    baseline_rate: float | None = None,
    n_boot: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
    power: float = 0.8,
) -> pd.DataFrame:
    """Value per 1,000 rows at a fixed threshold for each assumed win-back rate, and the test to measure it.

    Parameters
    ----------
    y : array-like
        Held-out outcomes: bools, 0/1 numbers or yes/no,
        true/false strings (any case); anything else raises a one-line ``ValueError``.
    p : array of float
        Predicted purchase probabilities.
    order_value : array of float
        Net order value of each row.
    threshold : float
        The chosen threshold (rows with ``p < threshold`` are targeted).
    margin, offer_cost : float
        The business assumptions.
    win_backs : sequence of float
        Win-back rates, each in (0, 1].
    baseline_rate : float, optional
        Purchase rate of targeted rows without an offer for the test size (default: that of the
        targeted rows of ``y``); the size is omitted (``None``) when it is not strictly between 0 and 1.
    n_boot, seed, alpha : int, int, float
        Bootstrap resamples of the rows, their seed, and one minus the confidence level.
    power : float
        Power of the test size.

    Returns
    -------
    DataFrame
        ``win_back, value_per_1000, ci_low, ci_high`` (percentile bootstrap, per 1,000 rows),
        ``everyone_per_1000`` (targeting every row) and ``carts_per_arm``
        (:func:`holdout_test_plan`).

    References
    ----------
    Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 13 (percentile interval).

    Examples
    --------
    >>> s = win_back_sensitivity(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.3, 0.9]), np.full(4, 100.0),
    ...                          0.5, margin=0.5, offer_cost=1.0, win_backs=[0.02, 0.1], n_boot=10)
    >>> s[["win_back", "value_per_1000", "everyone_per_1000"]].values.tolist()
    [[0.02, -250.0, -500.0], [0.1, 1750.0, 1500.0]]
    """
    alpha = check_alpha(alpha)
    _check_rate("margin", margin)
    if offer_cost < 0:
        raise ValueError(f"offer_cost must be at least 0, got {offer_cost!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be an integer of at least 1, got {n_boot!r}")
    rates = [_check_rate("win_backs", w, low_open=True) for w in win_backs]
    if not rates:
        raise ValueError("win_backs must hold at least one rate")
    y, p, order_value = target_and_scores(y, p, order_value)
    won, cost = _value_terms(y, p, order_value, threshold, margin, offer_cost)
    all_won, all_cost = _value_terms(y, p, order_value, np.inf, margin, offer_cost)
    n = len(y)
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    boot_won, boot_cost = won[idx].sum(axis=1), cost[idx].sum(axis=1)
    targeted = np.asarray(p) < threshold
    if baseline_rate is None and targeted.any():
        baseline_rate = float(y[targeted].mean())
    rows = []
    for w in rates:
        boot = 1000 * (w * boot_won - boot_cost) / n
        size = None
        if baseline_rate is not None and 0 < baseline_rate < 1:
            size = holdout_test_plan(baseline_rate, w, alpha=alpha, power=power)["targeted_carts_per_arm"]
        rows.append(
            {
                "win_back": w,
                "value_per_1000": float(1000 * (w * won.sum() - cost.sum()) / n),
                "ci_low": float(np.quantile(boot, alpha / 2)),
                "ci_high": float(np.quantile(boot, 1 - alpha / 2)),
                "everyone_per_1000": float(1000 * (w * all_won.sum() - all_cost.sum()) / n),
                "carts_per_arm": size,
            }
        )
    return pd.DataFrame(rows)


def _per_1000(x: float) -> str:
    """A value per 1,000 carts, rounded to whole units with thousands separators and a sign."""
    return "0" if round(x) == 0 else f"{x:+,.0f}"


@dataclass(frozen=True)
class InterventionValue:
    """Targeting at-risk carts: a threshold chosen on validation folds, checked once on held-out carts.

    Attributes
    ----------
    curve : DataFrame
        :func:`value_curve` on the held-out carts (the chosen threshold's row is reported).
    validation : DataFrame
        :func:`value_curve` on the out-of-fold predictions of the training carts (it chooses).
    margin, offer_cost, uplift : float
        The assumptions (``uplift`` is the assumed win-back rate).
    n : int
        Held-out carts.
    n_validation : int
        Training carts whose out-of-fold predictions chose the threshold.
    sensitivity : DataFrame
        :func:`win_back_sensitivity` at the chosen threshold on the held-out carts.
    break_even : dict
        Break-even win-back rate of the chosen policy (``chosen``) and of targeting every cart
        (``everyone``), on the held-out carts.
    plan : dict
        :func:`holdout_test_plan` for the assumed win-back (empty when no cart is targeted).
    """

    curve: pd.DataFrame
    validation: pd.DataFrame
    margin: float
    offer_cost: float
    uplift: float
    n: int
    n_validation: int
    sensitivity: pd.DataFrame
    break_even: dict
    plan: dict

    @property
    def threshold(self) -> float:
        """The threshold chosen on the validation folds (:func:`choose_threshold`)."""
        return choose_threshold(self.validation)

    @property
    def best(self) -> pd.Series:
        """The held-out curve's row at the chosen threshold (nearest threshold of the grid)."""
        return self.curve.loc[(self.curve["threshold"] - self.threshold).abs().idxmin()]

    @property
    def everyone(self) -> pd.Series:
        """The held-out curve's last row (the highest threshold: every cart targeted)."""
        return self.curve.iloc[-1]

    @property
    def per_1000(self) -> float:
        """Held-out value of the chosen threshold per 1,000 carts."""
        return float(1000 * self.best["value"] / self.n)

    @property
    def interval_above_zero(self) -> bool:
        """Whether the held-out value's interval lies above zero."""
        return bool(self.best["ci_low"] > 0)

    @property
    def earns_its_keep(self) -> bool:
        """Whether the held-out value and its gain over targeting every cart both have intervals above zero."""
        return self.interval_above_zero and bool(self.best["gain_ci_low"] > 0)

    def curves_per_1000(self) -> pd.DataFrame:
        """Value per 1,000 carts by threshold: ``validation``, ``held_out`` and its ``held_out_low``/``high``."""
        k = 1000 / self.n
        return pd.DataFrame(
            {
                "threshold": self.curve["threshold"].to_numpy(),
                "validation": 1000 * self.validation["value_per_session"].to_numpy(),
                "held_out": k * self.curve["value"].to_numpy(),
                "held_out_low": k * self.curve["ci_low"].to_numpy(),
                "held_out_high": k * self.curve["ci_high"].to_numpy(),
            }
        )

    def to_dict(self) -> dict:
        """The ``value`` entry of the notebook's results (version 2: selection, sensitivity and test plan added)."""
        b, v = self.best, self.validation
        chosen = v.loc[v["value"].idxmax()]
        return {
            "margin": self.margin,
            "offer_cost": self.offer_cost,
            "uplift": self.uplift,
            "best_threshold": b.threshold,
            "targeted_share": b.targeted_share,
            "value": b.value,
            "ci_low": b.ci_low,
            "ci_high": b.ci_high,
            "p_value": b.p_not_positive,
            "held_out_carts": int(self.n),
            "value_per_1000_carts": self.per_1000,
            "gain_over_targeting_all": {
                "estimate": b.gain_over_all,
                "ci_low": b.gain_ci_low,
                "ci_high": b.gain_ci_high,
            },
            "threshold_selection": {
                "method": SELECTION_METHOD,
                "validation_carts": int(self.n_validation),
                "threshold": self.threshold,
                "validation_targeted_share": chosen.targeted_share,
                "validation_value_per_1000_carts": 1000 * chosen.value_per_session,
            },
            "sensitivity": self.sensitivity,
            "break_even_win_back": self.break_even,
            "holdout_test_plan": self.plan,
        }

    def sentence(self) -> str:
        """The chosen threshold, its held-out value with interval, the gain over targeting all, and the caveat."""
        b, e, k = self.best, self.everyone, 1000 / self.n
        if not (self.validation["value"].max() > 0):
            return (
                f"With margin {pct(self.margin, 0)}, cost {num(self.offer_cost)} per targeted cart and an assumed "
                f"win-back of {pct(self.uplift, 0)}, no threshold earns anything on the validation folds "
                f"({num(self.n_validation)} training carts): **target no cart**. This rests on the assumed win-back."
            )
        text = (
            f"Chosen on the validation folds ({num(self.n_validation)} training carts, out-of-fold predictions): "
            f"target carts whose predicted purchase probability is below **{self.threshold:.2f}**. Checked once on "
            f"the {num(self.n)} held-out carts, it targets {pct(b.targeted_share)} of them and earns "
            f"**{_per_1000(k * b.value)} per 1,000 carts** ({ci(k * b.ci_low, k * b.ci_high, _per_1000)}; "
            f"bootstrap p = {b.p_not_positive:.3g} that it earns nothing). Targeting every cart would earn "
            f"{_per_1000(k * e.value)} per 1,000 ({ci(k * e.ci_low, k * e.ci_high, _per_1000)}); the model-guided "
            f"policy adds {_per_1000(k * b.gain_over_all)} per 1,000 over it "
            f"({ci(k * b.gain_ci_low, k * b.gain_ci_high, _per_1000)})"
        )
        if self.earns_its_keep:
            text += ", so at this win-back the model earns its keep."
        elif not self.interval_above_zero:
            text += "; the held-out value's interval includes zero: **no shown value**."
        else:
            text += "; that gain's interval includes zero: no shown advantage over targeting every cart."
        return text + (
            f" All of it rests on the **assumed win-back of {pct(self.uplift, 0)}** of would-be-abandoned carts "
            f"(margin {pct(self.margin, 0)}, cost {num(self.offer_cost)} per targeted cart): the win-back has not "
            "been measured."
        )

    def sensitivity_sentence(self) -> str:
        """Where the chosen policy breaks even, and what targeting every cart needs."""
        chosen, everyone = self.break_even.get("chosen"), self.break_even.get("everyone")
        if chosen is None or not np.isfinite(chosen):
            return "The chosen policy targets no held-out cart, so the win-back rate does not change its value."

        def rate(x: float) -> str:
            return pct(x) if x <= 1 else "more than 100% (never)"

        return (
            f"The value is linear in the win-back rate: the chosen policy breaks even at a win-back of "
            f"**{rate(chosen)}** (targeting every cart needs {rate(everyone)}). Below that rate the offer loses money; "
            f"the assumed {pct(self.uplift, 0)} is " + ("above" if self.uplift > chosen else "not above") + " it."
        )

    def sensitivity_table(self) -> pd.DataFrame:
        """:attr:`sensitivity` formatted for reading (one row per win-back rate)."""
        s = self.sensitivity
        return pd.DataFrame(
            {
                "win-back": [pct(w, 0) for w in s.win_back],
                "value per 1,000 carts": [_per_1000(x) for x in s.value_per_1000],
                "95% CI": [f"{_per_1000(lo)} to {_per_1000(hi)}" for lo, hi in zip(s.ci_low, s.ci_high, strict=True)],
                "targeting every cart, per 1,000": [_per_1000(x) for x in s.everyone_per_1000],
                "targeted carts per arm to measure it": [
                    "n/a" if c is None or pd.isna(c) else num(int(c)) for c in s.carts_per_arm
                ],
            }
        )

    def plan_sentence(self) -> str:
        """The randomized holdout test that would measure the win-back."""
        if not self.plan:
            return "No cart is targeted, so there is no offer to test."
        p = self.plan
        return (
            f"To measure the win-back, randomize the targeted carts (predicted purchase probability below "
            f"{self.threshold:.2f}) between the offer and no offer. Without an offer they buy at "
            f"{pct(p['baseline_purchase_rate'])} (training carts); a {pct(p['win_back'], 0)} win-back would lift "
            f"that to {pct(p['expected_purchase_rate'])} ({pp(p['difference'])}). Detecting it with a "
            f"{p['test']} at {pct(p['alpha'], 0)} significance and {pct(p['power'], 0)} power needs "
            f"**{num(p['targeted_carts_per_arm'])} targeted carts per arm** ({num(p['targeted_carts'])} in all, "
            f"about {num(p['carts_to_observe'])} carts passing through at the targeted share)."
        )


def intervention_value(
    comparison: ModelComparison,
    sessions: pd.DataFrame,
    *,
    margin: float,
    offer_cost: float,
    uplift: float,
    win_backs: Sequence[float] = WIN_BACKS,
    alpha: float = 0.05,
    power: float = 0.8,
    n_boot: int = 500,
    seed: int = 0,
) -> InterventionValue:
    """Choose the targeting threshold on validation folds, then value it once on the held-out carts.

    The cart stage's best model's out-of-fold predictions on the training carts give a
    :func:`value_curve` whose highest point is the threshold (:func:`choose_threshold`); the
    held-out carts then give its value with a bootstrap interval, the win-back sensitivity
    (:func:`win_back_sensitivity`), the break-even win-back and the test plan
    (:func:`holdout_test_plan`, from the training carts' purchase rate below the threshold).

    Parameters
    ----------
    comparison : ModelComparison
        The cart stage's comparison.
    sessions : DataFrame
        The sessions it was fitted on (for the carts' outcomes and order values).
    margin, offer_cost, uplift : float
        The business assumptions (``uplift``: the assumed win-back rate).
    win_backs : sequence of float
        Win-back rates of the sensitivity table.
    alpha, power : float
        One minus the confidence level of every interval, and the test plan's power.
    n_boot, seed : int
        Bootstrap resamples and their seed.

    Returns
    -------
    InterventionValue
        Both curves, the assumptions, the sensitivity, the break-even rates and the plan.
    """
    best = comparison.best
    kw = dict(margin=margin, offer_cost=offer_cost, n_boot=n_boot, seed=seed, alpha=alpha)
    y_val = sessions.loc[comparison.train_index, comparison.target].astype(int).to_numpy()
    p_val = np.asarray(comparison.cv[best].oof_pred)
    if len(p_val) != len(y_val):
        raise ValueError(
            f"comparison's out-of-fold predictions ({len(p_val)}) do not match its training rows ({len(y_val)})"
        )
    validation = value_curve(y_val, p_val, order_values(sessions.loc[comparison.train_index]), uplift=uplift, **kw)
    threshold = choose_threshold(validation)
    y, p = comparison.y_test, comparison.predictions[best]
    values = order_values(sessions.loc[comparison.test_index])
    curve = value_curve(y, p, values, uplift=uplift, **kw)
    targeted_val = p_val < threshold
    baseline = float(y_val[targeted_val].mean()) if targeted_val.any() else None
    sensitivity = win_back_sensitivity(
        y, p, values, threshold, win_backs=win_backs, baseline_rate=baseline, power=power, **kw
    )
    be = dict(margin=margin, offer_cost=offer_cost)
    break_even = {
        "chosen": break_even_win_back(y, p, values, threshold, **be),
        "everyone": break_even_win_back(y, p, values, np.inf, **be),
    }
    plan = {}
    if baseline is not None and 0 < baseline < 1 and uplift > 0:
        plan = holdout_test_plan(baseline, uplift, targeted_share=float(targeted_val.mean()), alpha=alpha, power=power)
    return InterventionValue(
        curve, validation, margin, offer_cost, uplift, len(p), len(p_val), sensitivity, break_even, plan
    )


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
