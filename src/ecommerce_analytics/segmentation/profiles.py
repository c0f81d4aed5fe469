"""Segment names, profiles and strategic notes, and the readouts built on them.

Names come from standardized centroids by a fixed rule (:func:`segment_names`); profiles give
each segment's size, mean features and conversion (:func:`segment_profiles`); notes turn a
profile into a plain-language recommendation (:func:`strategic_notes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..metrics import proportion
from ..reporting import ci, pct, pp
from .features import _PROFILE_COLUMNS, FEATURE_LABELS, _feature_list

if TYPE_CHECKING:  # pragma: no cover - imports for annotations only
    from .clustering import Segmentation, Segmenter

__all__ = [
    "segment_names",
    "segment_profiles",
    "strategic_notes",
    "centroid_table",
    "ProfileReadout",
    "profile_readout",
    "PersonaReadout",
    "persona_readout",
]


def _words(feature: str, labels: Mapping[str, tuple[str, str, str]] | None) -> tuple[str, str, str]:
    known = {**FEATURE_LABELS, **(labels or {})}
    return known.get(feature, (feature, f"high {feature}", f"low {feature}"))


def segment_names(
    centroids_z: pd.DataFrame,
    threshold: float = 0.35,
    *,
    features: Sequence[str] | None = None,
    labels: Mapping[str, tuple[str, str, str]] | None = None,
) -> list[str]:
    """Names from standardized centroids: the words of the two strongest features.

    A feature speaks when its centroid is at least ``threshold`` standard deviations from
    the mean; its word is the "high" or "low" word of :data:`FEATURE_LABELS` (or of ``labels``),
    and "high <feature>" / "low <feature>" for a feature without words. A centroid with no
    strong feature is "Average customers". Repeated names get a number.

    Parameters
    ----------
    centroids_z : DataFrame
        One row per segment, one column per feature, in standard deviations from the mean.
    threshold : float, default 0.35
    features : list of str, optional
        Columns to name from (default: all columns of ``centroids_z``).
    labels : dict, optional
        ``{feature: (plain name, word when high, word when low)}``, added to :data:`FEATURE_LABELS`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> centroids = pd.DataFrame({"log_price": [1.0, -0.1], "monetary": [-0.6, 0.2]})
    >>> segment_names(centroids)
    ['Premium, low monetary', 'Average customers']
    >>> segment_names(centroids, labels={"monetary": ("spend", "big spenders", "small spenders")})
    ['Premium, small spenders', 'Average customers']
    """
    cols = list(centroids_z.columns) if features is None else _feature_list(centroids_z, features, "segment_names")
    names = []
    for _, row in centroids_z[cols].iterrows():
        strong = row[row.abs() >= threshold].abs().sort_values(ascending=False).index[:2]
        words = [_words(f, labels)[1] if row[f] > 0 else _words(f, labels)[2] for f in strong]
        name = ", ".join(words) if words else "average customers"
        names.append(name[0].upper() + name[1:])
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return unique


def segment_profiles(data: pd.DataFrame, seg: Segmentation, *, features: Sequence[str] | None = None) -> pd.DataFrame:
    """Size, share and mean features per segment, and conversion with a Wilson CI when known.

    The default features are reported in original units (``pages_per_session``,
    ``seconds_per_page``, ``typical_price``: geometric means; ``age``); any other feature by
    its mean under its own name. When ``data`` has ``sessions`` and ``purchases`` columns (as
    :func:`customer_features` makes), session conversion and its Wilson interval are added.

    Parameters
    ----------
    data : DataFrame
        One row per customer, indexed like ``seg.labels``.
    seg : Segmentation
    features : list of str, optional
        Columns to profile (default: the columns the segmentation was fitted on).

    Returns
    -------
    DataFrame
        One row per segment: ``segment``, ``name``, ``customers``, (``sessions``, ``purchases``),
        the feature means, ``share`` (and ``conversion``, ``ci_low``, ``ci_high``).

    Examples
    --------
    >>> from ecommerce_analytics.segmentation import fit_segments
    >>> data = pd.DataFrame({"spend": [1.0, 1.2, 0.8, 9.0], "visits": [1, 2, 3, 10]})
    >>> seg = fit_segments(data, 2, features=["spend", "visits"])
    >>> segment_profiles(data, seg)
       segment                     name  customers  spend  visits  share
    0        0    Low spend, low visits          3    1.0     2.0   0.75
    1        1  High spend, high visits          1    9.0    10.0   0.25
    """
    cols = list(seg.centroids_z.columns) if features is None else list(features)
    cols = _feature_list(data, cols, "segment_profiles")
    frame = data.assign(segment=seg.labels)
    g = frame.groupby("segment")
    columns: dict[str, pd.Series] = {"customers": g.size()}
    with_conversion = {"sessions", "purchases"} <= set(data.columns)
    if with_conversion:
        columns["sessions"] = g["sessions"].sum()
        columns["purchases"] = g["purchases"].sum()
    for f in cols:
        name, back = _PROFILE_COLUMNS.get(f, (f, None))
        if name in columns or name in ("segment", "name", "share", "conversion", "ci_low", "ci_high"):
            name = f"mean_{f}"
        means = g[f].mean()
        columns[name] = back(means) if back is not None else means
    prof = pd.DataFrame(columns)
    prof["share"] = prof.customers / prof.customers.sum()
    if with_conversion:
        ests = [proportion(p, n) for p, n in zip(prof.purchases, prof.sessions, strict=True)]
        prof["conversion"] = [e.estimate for e in ests]
        prof["ci_low"] = [e.ci_low for e in ests]
        prof["ci_high"] = [e.ci_high for e in ests]
    prof.insert(0, "name", [seg.names[i] for i in prof.index])
    return prof.reset_index()


#: Profile columns a strategic note can single out: (how its value reads, action when high, when low).
_LEVERS: dict[str, tuple[str, str, str]] = {
    "pages_per_session": (
        "{:.1f} pages a session",
        "they browse deeply: keep comparison and saved lists one click away, and follow up on what they viewed",
        "they decide within a few pages: keep the path to checkout short (saved payment, fewer steps)",
    ),
    "seconds_per_page": (
        "{:.0f} s a page",
        "they read closely: put reviews, specifications and delivery terms on the product page",
        "they skim: lead with price, rating and delivery date",
    ),
    "typical_price": (
        "a typical price of {:,.2f}",
        "high-ticket items: financing, warranties and reviews matter",
        "low-ticket baskets: bundles and free-shipping thresholds raise the order value",
    ),
    "age": (
        "an average age of {:.0f}",
        "older customers: make delivery, returns and support easy to find",
        "younger customers: mobile-first pages and social proof",
    ),
}


def _lever(row: pd.Series, medians: pd.Series) -> str | None:
    """The action for the profile column farthest (in log ratio) from the median segment's."""
    ratios = {
        c: float(np.log(row[c] / medians[c]))
        for c in medians.index
        if pd.notna(row[c]) and row[c] > 0 and medians[c] > 0
    }
    if not ratios:
        return None
    column = max(ratios, key=lambda c: abs(ratios[c]))
    if ratios[column] == 0:
        return None
    reads, high, low = _LEVERS[column]
    number = reads[reads.index("{") : reads.index("}") + 1]
    compared = f"{reads.format(row[column])} (median segment: {number.format(medians[column])})"
    return f"{compared}; {high if ratios[column] > 0 else low}"


def strategic_notes(
    profiles: pd.DataFrame, overall_conversion: float, sensitivity: pd.DataFrame | None = None
) -> list[str]:
    """One plain-language note per segment, generated from its profile numbers by fixed rules.

    The stance follows conversion: a segment whose interval lies above ``overall_conversion``
    is told to protect its margin, one below it to win the first purchase, one whose interval
    holds it to test nudges. The lever follows the segment's most distinctive profile number:
    of ``pages_per_session``, ``seconds_per_page``, ``typical_price`` and ``age`` (those the
    profile has), the one farthest from the median segment's in log ratio, with its value, the
    median's and an action for a high or a low value. A discount difference whose interval lies
    above 0 adds a coupon-test note, one below 0 a no-blanket-coupons note (with the true
    effect of an offer when the table has ``true_offer_effect``).

    Parameters
    ----------
    profiles : DataFrame
        Segment profiles with ``segment``, ``name``, ``share``, ``conversion``, ``ci_low`` and
        ``ci_high`` (and, for the lever, some of the profile columns above).
    overall_conversion : float
        Conversion over all sessions, in [0, 1].
    sensitivity : DataFrame, optional
        :func:`discount_sensitivity` with ``group`` as the segment number
        (``DiscountReadout.by_segment_index()``).

    Returns
    -------
    list of str
        One Markdown note per segment, in the order of ``profiles``.

    Examples
    --------
    >>> profiles = pd.DataFrame({"segment": [0, 1], "name": ["Keen", "Cold"], "share": [0.5, 0.5],
    ...                          "conversion": [0.4, 0.1], "ci_low": [0.35, 0.08], "ci_high": [0.45, 0.12],
    ...                          "typical_price": [200.0, 50.0]})
    >>> for note in strategic_notes(profiles, 0.2):
    ...     print(note)
    **Keen** (50% of customers; converts 40.0% vs 20.0% overall): above average, so protect the experience and the margin (no blanket discounts). A typical price of 200.00 (median segment: 125.00); high-ticket items: financing, warranties and reviews matter.
    **Cold** (50% of customers; converts 10.0% vs 20.0% overall): below average, so the first purchase is the opportunity. A typical price of 50.00 (median segment: 125.00); low-ticket baskets: bundles and free-shipping thresholds raise the order value.
    """
    needed = ("segment", "name", "share", "conversion", "ci_low", "ci_high")
    missing = [c for c in needed if c not in profiles.columns]
    if missing:
        raise ValueError(f"strategic_notes: profiles lacks column(s) {', '.join(map(repr, missing))}")
    if not 0 <= overall_conversion <= 1:
        raise ValueError(f"strategic_notes: overall_conversion must be a rate in [0, 1], got {overall_conversion!r}")
    sens = sensitivity.set_index("group") if sensitivity is not None and len(sensitivity) else None
    levers = [c for c in _LEVERS if c in profiles.columns]
    medians = profiles[levers].median() if len(profiles) > 1 else pd.Series(dtype=float)
    notes = []
    for _, row in profiles.iterrows():
        if row.ci_low > overall_conversion:
            stance = "above average, so protect the experience and the margin (no blanket discounts)"
        elif row.ci_high < overall_conversion:
            stance = "below average, so the first purchase is the opportunity"
        else:
            stance = "about average, so test targeted nudges before scaling them"
        text = (
            f"**{row['name']}** ({row.share:.0%} of customers; converts {pct(row.conversion)} vs "
            f"{pct(overall_conversion)} overall): {stance}."
        )
        lever = _lever(row, medians) if len(medians) else None
        if lever:
            text += f" {lever[0].upper()}{lever[1:]}."
        if sens is not None and row.segment in sens.index:
            s = sens.loc[row.segment]
            truth = (
                f"; the true effect of an offer here is {pp(s.true_offer_effect)}"
                if "true_offer_effect" in s.index and pd.notna(s.true_offer_effect)
                else ""
            )
            if pd.notna(s.ci_low) and s.ci_low > 0:
                text += (
                    f" Discounted sessions convert {pp(s.difference)} here ({ci(s.ci_low, s.ci_high, pp)}, "
                    f"observational): a candidate for a coupon test{truth}."
                )
            elif pd.notna(s.ci_high) and s.ci_high < 0:
                text += (
                    f" Discounted sessions convert {pp(s.difference)} here ({ci(s.ci_low, s.ci_high, pp)}); this is "
                    "observational and confounded by who gets offers, so it does not measure what an offer does"
                    f"{truth}."
                )
        notes.append(text)
    return notes


# ------------------------------------------------------------------------------- readouts
def centroid_table(
    centroids_z: pd.DataFrame, names: Sequence[str], *, labels: Mapping[str, tuple[str, str, str]] | None = None
) -> pd.DataFrame:
    """Standardized centroids with segment names as rows and plain feature names as columns.

    Parameters
    ----------
    centroids_z : DataFrame
        One row per segment, one column per feature (``Segmenter.centroids_``).
    names : list of str
        Segment names, one per row (``Segmenter.names_``).
    labels : dict, optional
        ``{feature: (plain name, word when high, word when low)}``, added to :data:`FEATURE_LABELS`.

    Returns
    -------
    DataFrame

    Examples
    --------
    >>> centroid_table(pd.DataFrame({"log_price": [1.0, -1.0], "visits": [0.5, -0.5]}), ["Premium", "Budget"])
             price level  visits
    Premium          1.0     0.5
    Budget          -1.0    -0.5
    """
    if len(names) != len(centroids_z):
        raise ValueError(
            f"centroid_table: names must hold one name per centroid ({len(centroids_z)}), got {len(names)}"
        )
    table = centroids_z.copy()
    table.index = list(names)
    table.columns = [_words(c, labels)[0] for c in table.columns]
    return table


@dataclass(frozen=True)
class ProfileReadout:
    """Segment profiles read against the overall conversion.

    Attributes
    ----------
    table : DataFrame
        :func:`segment_profiles` with ``conversion``, ``ci_low`` and ``ci_high``.
    overall : float
        Conversion over all sessions.
    """

    table: pd.DataFrame
    overall: float

    @property
    def apart(self) -> int:
        """Segments whose interval excludes the overall rate."""
        p = self.table
        return int(((p.ci_low > self.overall) | (p.ci_high < self.overall)).sum())

    def sentence(self) -> str:
        """The best and worst converting segments, and how many differ from the overall rate.

        Examples
        --------
        >>> table = pd.DataFrame({"name": ["Keen", "Cold"], "share": [0.4, 0.6], "conversion": [0.4, 0.1],
        ...                       "ci_low": [0.35, 0.08], "ci_high": [0.45, 0.12]})
        >>> print(profile_readout(table, 0.2).sentence())  # doctest: +NORMALIZE_WHITESPACE
        **Keen** convert best (40.0%, 95% CI 35.0% to 45.0%; 40.0% of customers) and **Cold** worst (10.0%,
        95% CI 8.0% to 12.0%; 60.0% of customers). 2 of 2 segments have an interval that excludes the overall
        rate (20.0%).
        """
        p = self.table
        best, worst = p.loc[p.conversion.idxmax()], p.loc[p.conversion.idxmin()]
        return (
            f"**{best['name']}** convert best ({pct(best.conversion)}, {ci(best.ci_low, best.ci_high)}; "
            f"{pct(best.share)} of customers) and **{worst['name']}** worst ({pct(worst.conversion)}, "
            f"{ci(worst.ci_low, worst.ci_high)}; {pct(worst.share)} of customers). "
            f"{self.apart} of {len(p)} segments have an interval that excludes the overall rate ({pct(self.overall)})."
        )


_PROFILE_NEEDS = ("name", "share", "conversion", "ci_low", "ci_high")


def profile_readout(profiles: pd.DataFrame, overall: float) -> ProfileReadout:
    """Segment profiles (with conversion) against the overall conversion rate.

    Parameters
    ----------
    profiles : DataFrame
        :func:`segment_profiles` of customers with ``sessions`` and ``purchases`` (so it has
        ``name``, ``share``, ``conversion``, ``ci_low`` and ``ci_high``).
    overall : float
        Conversion over all sessions, in [0, 1].

    Returns
    -------
    ProfileReadout
    """
    missing = [c for c in _PROFILE_NEEDS if c not in profiles.columns]
    if missing:
        raise ValueError(
            f"profile_readout: profiles lacks column(s) {', '.join(map(repr, missing))}; profile customers "
            "with sessions and purchases columns (customer_features) to get conversion"
        )
    if len(profiles) == 0:
        raise ValueError("profile_readout: profiles must hold at least one segment")
    if not 0 <= overall <= 1:
        raise ValueError(f"profile_readout: overall must be a rate in [0, 1], got {overall!r}")
    return ProfileReadout(profiles, float(overall))


@dataclass(frozen=True)
class PersonaReadout:
    """Where each true persona lands among the segments (simulator only).

    Attributes
    ----------
    crosstab : DataFrame or None
        Share of each persona's customers (rows) in each segment (columns, by name); None when
        the personas are unknown.
    """

    crosstab: pd.DataFrame | None

    @property
    def purity(self) -> pd.Series | None:
        """Share of each persona's customers in its most common segment."""
        return None if self.crosstab is None else self.crosstab.max(axis=1)

    def sentence(self) -> str:
        """Each persona's share in its most common segment, or why there is nothing to compare.

        Examples
        --------
        >>> tab = pd.DataFrame({"A": [0.9, 0.2], "B": [0.1, 0.8]}, index=["p", "q"])
        >>> PersonaReadout(tab).sentence()
        "Share of each persona's customers in its most common segment: p 90.0%, q 80.0%."
        >>> PersonaReadout(None).sentence()[:40]
        'Figure 4 needs the true personas, which '
        """
        if self.crosstab is None:
            return "Figure 4 needs the true personas, which only the simulator has: on this source it is skipped."
        return (
            "Share of each persona's customers in its most common segment: "
            + ", ".join(f"{p} {pct(v)}" for p, v in self.purity.items())
            + "."
        )


def persona_readout(segmenter: Segmenter, personas: pd.Series | None = None) -> PersonaReadout:
    """Cross-tabulate the true personas against a fitted segmenter's segments (by name).

    Parameters
    ----------
    segmenter : Segmenter
        Fitted.
    personas : Series, optional
        True persona per customer, indexed like the customers the segmenter was fitted on.
        None (a source without truth) gives a readout without a table.

    Returns
    -------
    PersonaReadout

    Examples
    --------
    >>> from ecommerce_analytics.segmentation import Segmenter
    >>> data = pd.DataFrame({"spend": [1.0, 1.2, 0.8, 9.0, 9.5]}, index=list("abcde"))
    >>> model = Segmenter(n_clusters=2, features=["spend"], n_boot=0).fit(data)
    >>> persona_readout(model, pd.Series(["x", "x", "y", "y", "y"], index=list("abcde"))).crosstab.round(2)  # doctest: +NORMALIZE_WHITESPACE
    segment  High spend  Low spend
    row_0
    x              0.00       1.00
    y              0.67       0.33
    """
    if personas is None:
        return PersonaReadout(None)
    segments = getattr(segmenter, "segments_", None)
    if segments is None:
        raise ValueError("persona_readout: segmenter must be a fitted Segmenter")
    if not isinstance(personas, pd.Series):
        raise ValueError("persona_readout: personas must be a Series of personas indexed by customer, or None")
    persona_of = personas.reindex(segments.index)
    named = segments.map(dict(enumerate(segmenter.names_)))
    return PersonaReadout(pd.crosstab(persona_of, named, normalize="index"))
