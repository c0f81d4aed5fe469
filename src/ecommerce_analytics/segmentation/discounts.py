"""Discount sensitivity by segment: conversion with and without a discount, and how it reads.

The contrast (who counts as discounted) is :func:`ecommerce_analytics.treatments.discount_contrast`,
the same rule as notebook 04's observational tests. The comparison is descriptive: discounts
are not randomized, so it mixes the effect of the discount with who receives one; on the
simulator the true effect of an offer is set beside it (:func:`bias_verdict`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..metrics import rate_difference
from ..reporting import ci, pct, pp
from ..schema import TARGET
from ..treatments import Contrast, discount_contrast

__all__ = ["discount_sensitivity", "bias_verdict", "DiscountReadout", "discount_readout"]


def discount_sensitivity(
    sessions: pd.DataFrame,
    groups: pd.Series,
    *,
    threshold: float = 0.0,
    discount: str = "discount_applied",
    outcome: str = TARGET,
    treated: pd.Series | None = None,
) -> pd.DataFrame:
    """Per group: conversion with and without a discount, and the difference with a Newcombe interval.

    Descriptive: discounts are not randomized. A session counts as discounted when its
    ``discount`` is above ``threshold``, or where ``treated`` is True when it is given (e.g.
    ``discount_contrast(sessions).treated``). Groups without both kinds of sessions get NaN.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with the ``discount`` and ``outcome`` columns.
    groups : Series
        Group of each session (aligned with ``sessions`` by position).
    threshold : float, default 0.0
        Discounts above it count as discounted (ignored when ``treated`` is given).
    discount : str, default "discount_applied"
        Discount column.
    outcome : str, default "purchase_decision"
        0/1 outcome column.
    treated : Series of bool, optional
        Which sessions count as discounted (aligned with ``sessions`` by position).

    Returns
    -------
    DataFrame
        One row per group (sorted): ``group``, ``n_discount``, ``n_no_discount``,
        ``rate_discount``, ``rate_no_discount``, ``difference``, ``ci_low``, ``ci_high``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine, 17(8), 873-890.

    Examples
    --------
    >>> s = pd.DataFrame({"discount_applied": [0, 0, 10, 20], "purchase_decision": [0, 1, 1, 1]})
    >>> discount_sensitivity(s, pd.Series(["g"] * 4))[["group", "n_discount", "rate_discount", "difference"]]
      group  n_discount  rate_discount  difference
    0     g           2            1.0         0.5
    """
    missing = [
        f"{c!r} (set it with {p}=)"
        for p, c in (("discount", discount), ("outcome", outcome))
        if c not in sessions.columns and not (p == "discount" and treated is not None)
    ]
    if missing:
        raise ValueError(f"discount_sensitivity: missing column {', '.join(missing)}")
    if len(groups) != len(sessions):
        raise ValueError(
            f"discount_sensitivity: groups must hold one group per session ({len(sessions)}), got {len(groups)}"
        )
    if treated is None:
        disc = (sessions[discount] > threshold).to_numpy()
    else:
        if len(treated) != len(sessions):
            raise ValueError(
                f"discount_sensitivity: treated must hold one flag per session ({len(sessions)}), got {len(treated)}"
            )
        disc = np.asarray(treated, dtype=bool)
    group_values = np.asarray(groups)
    y_all = sessions[outcome].to_numpy()
    rows = []
    for level in sorted(pd.unique(group_values)):
        mask = group_values == level
        y = y_all[mask]
        d = disc[mask]
        n1, n0 = int(d.sum()), int((~d).sum())
        s1, s0 = int(y[d].sum()), int(y[~d].sum())
        if n1 == 0 or n0 == 0:
            rows.append(
                {
                    "group": level,
                    "n_discount": n1,
                    "n_no_discount": n0,
                    "rate_discount": np.nan,
                    "rate_no_discount": np.nan,
                    "difference": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                }
            )
            continue
        diff = rate_difference(s1, n1, s0, n0)
        rows.append(
            {
                "group": level,
                "n_discount": n1,
                "n_no_discount": n0,
                "rate_discount": s1 / n1,
                "rate_no_discount": s0 / n0,
                "difference": diff.estimate,
                "ci_low": diff.ci_low,
                "ci_high": diff.ci_high,
            }
        )
    return pd.DataFrame(rows)


def bias_verdict(gap: pd.Series) -> str:
    """How a naive contrast errs, from its gaps to the true effect (naive minus true), one per segment.

    Parameters
    ----------
    gap : Series
        Naive difference minus true effect, per segment (at least one).

    Returns
    -------
    str

    Examples
    --------
    >>> bias_verdict(pd.Series([-0.1, -0.02]))
    'it understates the true effect in every segment, because discounts go to sessions that would convert less anyway'
    >>> bias_verdict(pd.Series([0.03, 0.01]))
    'it overstates the true effect in every segment'
    >>> bias_verdict(pd.Series([-0.01, 0.02]))
    'it errs in both directions across segments'
    """
    if len(gap) == 0 or pd.isna(gap).any():
        raise ValueError("bias_verdict: gap must hold at least one number and no NaN")
    if gap.max() < 0:
        return (
            "it understates the true effect in every segment, because discounts go to sessions that would "
            "convert less anyway"
        )
    if gap.min() > 0:
        return "it overstates the true effect in every segment"
    return "it errs in both directions across segments"


@dataclass(frozen=True)
class DiscountReadout:
    """Discount sensitivity of each segment, with the contrast it uses and, on the simulator, the truth.

    Attributes
    ----------
    contrast : Contrast
        Who counts as discounted (:func:`~ecommerce_analytics.treatments.discount_contrast`).
    no_discount_share : float
        Share of sessions without any discount.
    table : DataFrame
        :func:`discount_sensitivity` by segment name, plus ``true_offer_effect`` (mean true
        effect of an offer on the segment's sessions) on the simulator.
    names : list of str
        Segment names, in segment order.
    """

    contrast: Contrast
    no_discount_share: float
    table: pd.DataFrame
    names: Sequence[str]

    @property
    def valid(self) -> pd.DataFrame:
        """Segments with both discounted and undiscounted sessions."""
        return self.table.dropna(subset=["difference"])

    @property
    def measurable(self) -> bool:
        """Whether some segment has both discounted and undiscounted sessions."""
        return not self.valid.empty

    @property
    def has_truth(self) -> bool:
        """Whether the true offer effect is known (simulator)."""
        return "true_offer_effect" in self.table.columns

    def contrast_sentence(self) -> str:
        """Share of undiscounted sessions, and the contrast it leads to."""
        return (
            f"{pct(self.no_discount_share)} of sessions have no discount, so the contrast is **{self.contrast.label}**."
        )

    def sentences(self) -> list[str]:
        """The observed differences with their intervals and, on the simulator, how far they are from the truth."""
        valid = self.valid
        if valid.empty:
            return ["No segment has both discounted and undiscounted sessions, so sensitivity cannot be measured here."]
        text = "; ".join(f"{r.group}: {pp(r.difference)} ({ci(r.ci_low, r.ci_high, pp)})" for r in valid.itertuples())
        lines = ["Observed differences: " + text + "."]
        if self.has_truth:
            gap = valid.difference - valid.true_offer_effect
            lines.append(
                f"Against the truth, the naive contrast is off by {pp(gap.min())} to {pp(gap.max())}: "
                f"{bias_verdict(gap)}."
            )
        return lines

    def by_segment_index(self) -> pd.DataFrame:
        """The table with ``group`` as the segment number (for :func:`strategic_notes`)."""
        index_of = {name: i for i, name in enumerate(self.names)}
        return self.table.assign(group=self.table.group.map(index_of))

    def to_dict(self) -> dict:
        """The contrast's threshold and the table, as reported."""
        return {"threshold": self.contrast.threshold, "table": self.table}


def discount_readout(
    sessions: pd.DataFrame,
    segments: pd.Series,
    names: Sequence[str],
    *,
    offer_effect: pd.Series | None = None,
    customer: str = "user_id",
    min_untreated_share: float = 0.05,
) -> DiscountReadout:
    """Discount sensitivity of each segment under the shared discount contrast.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``discount_applied``, ``purchase_decision`` and the customer column.
    segments : Series
        Segment number of each customer, indexed by customer (``Segmenter.segments_``).
    names : list of str
        Segment names, in segment order (``Segmenter.names_``).
    offer_effect : Series, optional
        True effect of an offer on each session (aligned with ``sessions`` by position), on the
        simulator: adds ``true_offer_effect``, its mean per segment.
    customer : str, default "user_id"
        Customer id column of ``sessions``.
    min_untreated_share : float, default 0.05
        Passed to :func:`~ecommerce_analytics.treatments.discount_contrast`.

    Returns
    -------
    DiscountReadout

    Examples
    --------
    >>> s = pd.DataFrame({"user_id": ["a", "a", "b", "b"], "discount_applied": [0, 10, 0, 10],
    ...                   "purchase_decision": [0, 1, 1, 1]})
    >>> r = discount_readout(s, pd.Series([0, 1], index=["a", "b"]), ["Keen", "Calm"])
    >>> r.contrast.label, r.table.group.tolist(), r.table.difference.tolist()
    ('any discount vs none', ['Calm', 'Keen'], [0.0, 1.0])
    """
    if customer not in sessions.columns:
        raise ValueError(f"discount_readout: sessions has no customer column {customer!r} (set it with customer=)")
    if not isinstance(segments, pd.Series):
        raise ValueError("discount_readout: segments must be a Series of segment numbers indexed by customer")
    if len(names) <= int(segments.max()):
        raise ValueError(f"discount_readout: names must hold a name for every segment (0 to {int(segments.max())})")
    contrast = discount_contrast(sessions, min_untreated_share=min_untreated_share)
    session_segment = sessions[customer].map(segments).map(dict(enumerate(names)))
    if session_segment.isna().any():
        raise ValueError(
            f"discount_readout: {int(session_segment.isna().sum())} session(s) belong to customers without a segment"
        )
    table = discount_sensitivity(sessions, session_segment, treated=contrast.treated)
    if offer_effect is not None:
        if len(offer_effect) != len(sessions):
            raise ValueError(
                f"discount_readout: offer_effect must hold one value per session ({len(sessions)}), got {len(offer_effect)}"
            )
        effect = pd.Series(offer_effect).groupby(session_segment.to_numpy()).mean()
        table["true_offer_effect"] = table.group.map(effect)
    no_discount = float((sessions["discount_applied"] == 0).mean())
    return DiscountReadout(contrast, no_discount, table, list(names))
