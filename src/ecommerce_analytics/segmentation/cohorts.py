"""RFM groups and acquisition cohorts of a session table, read out as tables and sentences.

The computations live in :mod:`ecommerce_analytics.transactions` (RFM scores, cohort retention,
repeat-purchase curves, inter-purchase times); this module summarizes them the way the
segmentation report shows them. Where no customer comes back (one session per customer),
:func:`cohort_readout` falls back to conversion by purchase week.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from ..metrics import Estimate, conversion_screen, rate_difference, rate_table
from ..reporting import ci, num, pct, pp
from ..schema import TARGET
from ..transactions import (
    cohort_retention,
    conversion_by_cohort_age,
    inter_purchase_times,
    repeat_purchase_curve,
    rfm_scores,
    users_return,
)
from .demographics import age_group

__all__ = [
    "rfm_groups",
    "RfmReadout",
    "rfm_readout",
    "RetentionReadout",
    "WeeklyReadout",
    "cohort_readout",
]

#: Horizons (days) of the repeat-purchase curve by time in :class:`RetentionReadout`.
REPEAT_HORIZONS = (7, 30)


# ------------------------------------------------------------------------------------ RFM
def rfm_groups(rfm: pd.DataFrame) -> pd.DataFrame:
    """Size, share, mean recency, sessions and revenue, and share of buyers of each RFM group, largest first.

    Parameters
    ----------
    rfm : DataFrame
        :func:`~ecommerce_analytics.transactions.rfm_scores` output.

    Returns
    -------
    DataFrame
        Indexed by ``rfm_segment``: ``customers``, ``avg_recency_days``, ``avg_sessions``,
        ``avg_revenue``, ``buyers`` (share of the group's customers with revenue above 0),
        ``share``.

    Examples
    --------
    >>> rfm = pd.DataFrame({"rfm_segment": ["Loyal", "Promising", "Promising"], "R": [3, 2, 1],
    ...                     "recency_days": [1.0, 5.0, 7.0], "frequency": [4, 1, 1], "monetary": [30.0, 0.0, 10.0]})
    >>> rfm_groups(rfm)[["customers", "avg_recency_days", "avg_revenue", "buyers"]]  # doctest: +NORMALIZE_WHITESPACE
                 customers  avg_recency_days  avg_revenue  buyers
    rfm_segment
    Promising            2               6.0          5.0     0.5
    Loyal                1               1.0         30.0     1.0
    """
    missing = [c for c in ("rfm_segment", "R", "recency_days", "frequency", "monetary") if c not in rfm.columns]
    if missing:
        raise ValueError(f"rfm_groups: rfm lacks column(s) {', '.join(map(repr, missing))} (pass rfm_scores output)")
    groups = (
        rfm.assign(bought=(rfm.monetary > 0).astype(float))
        .groupby("rfm_segment")
        .agg(
            customers=("R", "size"),
            avg_recency_days=("recency_days", "mean"),
            avg_sessions=("frequency", "mean"),
            avg_revenue=("monetary", "mean"),
            buyers=("bought", "mean"),
        )
    )
    groups["share"] = groups.customers / groups.customers.sum()
    return groups.sort_values("customers", ascending=False)


@dataclass(frozen=True)
class RfmReadout:
    """RFM scores of every customer and the summary of their groups.

    Built from the per-customer scores (``rfm``), or, for a large source whose customers stay in
    the engine, from the groups and four summaries (``rfm=None``; see
    :func:`ecommerce_analytics.scale.rfm_readout_in_engine`).

    Attributes
    ----------
    rfm : DataFrame or None
        :func:`~ecommerce_analytics.transactions.rfm_scores` output (None when computed in an engine).
    groups : DataFrame
        :func:`rfm_groups` of it.
    frequency_scores : Series or None
        The F score of each number of sessions (from ``rfm`` when given).
    never_bought : float or None
        Share of customers without revenue.
    mean_monetary : float or None
        Mean revenue per customer.
    min_buyer_m : int or None
        The lowest M score of a customer with revenue (None without buyers or M scores).
    """

    rfm: pd.DataFrame | None
    groups: pd.DataFrame
    frequency_scores: pd.Series | None = None
    never_bought: float | None = None
    mean_monetary: float | None = None
    min_buyer_m: int | None = None

    def __post_init__(self) -> None:
        rfm = self.rfm
        if rfm is None:
            return
        buyers = rfm[rfm.monetary > 0]
        if "F" in rfm.columns:
            f_of = rfm.groupby("frequency").F.first()
        elif rfm.frequency.nunique() == 1:  # one number of sessions: F is 3 for everyone
            f_of = pd.Series([3], index=[rfm.frequency.iloc[0]])
        else:
            f_of = None
        derived = {
            "frequency_scores": f_of,
            "never_bought": float((rfm.monetary <= 0).mean()),
            "mean_monetary": float(rfm.monetary.mean()),
            "min_buyer_m": int(buyers.M.min()) if "M" in rfm.columns and not buyers.empty else None,
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def sentence(self) -> str:
        """The largest group, what Champions spend, and how frequency maps to F (or why it says nothing).

        Examples
        --------
        >>> rfm = pd.DataFrame({"rfm_segment": ["Promising"] * 2, "R": [3, 3], "F": [3, 3],
        ...                     "recency_days": [1.0, 2.0], "frequency": [1, 1], "monetary": [0.0, 5.0]})
        >>> RfmReadout(rfm, rfm_groups(rfm)).sentence()[:48]
        'Every customer has exactly one session here, so '
        """
        groups = self.groups
        f_of = self.frequency_scores
        if f_of is None:
            raise ValueError("RfmReadout.sentence needs the F scores (rfm_scores output, or frequency_scores)")
        if len(f_of) == 1:
            return (
                "Every customer has exactly one session here, so frequency carries no information (it scores 3 for "
                "everyone) and RFM reduces to recency and money." + self.no_buyer_sentence()
            )
        top = groups.iloc[0]
        champions = (
            f" Champions average {num(groups.avg_revenue['Champions'])} of revenue against "
            f"{num(self.mean_monetary)} for all customers."
            if "Champions" in groups.index
            else ""
        )
        return (
            f"The largest RFM group is **{groups.index[0]}** ({pct(top.share)} of customers).{champions}"
            f"{self.no_buyer_sentence()} Frequency scores by number of sessions: "
            + ", ".join(f"{int(n)} → F = {int(f)}" for n, f in f_of.head(4).items())
            + (f", {int(f_of.index[4])} or more → F = {int(f_of.iloc[4:].min())}" if len(f_of) > 4 else "")
            + "."
        )

    def no_buyer_sentence(self) -> str:
        """Why some groups have no revenue: which groups hold no buyer, and why the rules put none there.

        Examples
        --------
        >>> rfm = pd.DataFrame({"rfm_segment": ["Promising", "Promising", "Big spenders"], "R": [3, 3, 3],
        ...                     "M": [1, 1, 4], "recency_days": [1.0, 2.0, 1.0], "frequency": [1, 1, 1],
        ...                     "monetary": [0.0, 0.0, 9.0]})
        >>> print(RfmReadout(rfm, rfm_groups(rfm)).no_buyer_sentence())  # doctest: +NORMALIZE_WHITESPACE
         Promising holds no buyer (revenue 0): 66.7% of customers have not bought, so one purchase already scores
         M = 4 or more and the rules place every buyer in Champions, Loyal or Big spenders first. These customers
         visit but have not bought yet: their lever is a first purchase, not retention.
        """
        groups = self.groups
        empty = [str(g) for g in groups.index[groups.buyers == 0]]
        if not empty or self.min_buyer_m is None:
            return ""
        names = empty[0] if len(empty) == 1 else ", ".join(empty[:-1]) + " and " + empty[-1]
        return (
            f" {names} {'holds' if len(empty) == 1 else 'hold'} no buyer (revenue 0): "
            f"{pct(self.never_bought)} of customers have not bought, so one purchase already scores "
            f"M = {self.min_buyer_m} or more and the rules place every buyer in Champions, Loyal or Big spenders "
            "first. These customers visit but have not bought yet: their lever is a first purchase, not retention."
        )

    def formatted(self) -> pd.DataFrame:
        """The groups for people: counts with separators, days, revenue with two decimals, shares in %.

        Examples
        --------
        >>> rfm = pd.DataFrame({"rfm_segment": ["Loyal"], "R": [3], "recency_days": [1.5], "frequency": [4],
        ...                     "monetary": [1234.5]})
        >>> RfmReadout(rfm, rfm_groups(rfm)).formatted().iloc[0].tolist()
        ['Loyal', '1', '1.5 days', '4.00', '1,234.50', '100.0%', '100.0%']
        """
        g = self.groups
        return pd.DataFrame(
            {
                "RFM group": g.index,
                "customers": [num(int(n)) for n in g.customers],
                "average recency": [f"{d:.1f} days" for d in g.avg_recency_days],
                "average sessions": [f"{x:.2f}" for x in g.avg_sessions],
                "average revenue": [f"{x:,.2f}" for x in g.avg_revenue],
                "customers who bought": [pct(x) for x in g.buyers],
                "share of customers": [pct(x) for x in g.share],
            }
        )


def rfm_readout(sessions: pd.DataFrame) -> RfmReadout:
    """RFM scores of the sessions' customers (session-contract columns) and their groups.

    Parameters
    ----------
    sessions : DataFrame
        Sessions under the data contract.

    Returns
    -------
    RfmReadout

    Examples
    --------
    >>> s = pd.DataFrame({"user_id": ["a", "a", "b"], "purchase_date": pd.to_datetime(["2025-01-01", "2025-01-09",
    ...                   "2025-01-05"]), "price": [10.0, 20.0, 5.0], "discount_applied": [0.0, 0.0, 0.0],
    ...                   "purchase_decision": [1, 1, 0]})
    >>> rfm_readout(s).rfm.frequency.tolist()
    [2, 1]
    """
    rfm = rfm_scores(sessions)
    return RfmReadout(rfm, rfm_groups(rfm))


# -------------------------------------------------------------------------------- cohorts
@dataclass(frozen=True)
class RetentionReadout:
    """Weekly cohorts of returning customers: retention, conversion by cohort age and repeat purchases.

    Attributes
    ----------
    retention : DataFrame
        :func:`~ecommerce_analytics.transactions.cohort_retention` (weekly, with ``users``).
    by_age : DataFrame
        Conversion by weeks since the first session (``weeks_since_first``, ``n``, ``successes``, ``rate``, ...).
    difference : Estimate
        Conversion of returning sessions (week 1 and later) minus first-week conversion (Newcombe).
    repeat : DataFrame
        Repeat-purchase curve by count (up to three purchases).
    within : DataFrame
        Repeat-purchase curve by time, indexed by ``days`` (:data:`REPEAT_HORIZONS`).
    gaps : dict
        Summary of the inter-purchase times.
    """

    users_return: ClassVar[bool] = True
    retention: pd.DataFrame
    by_age: pd.DataFrame
    difference: Estimate
    repeat: pd.DataFrame
    within: pd.DataFrame
    gaps: dict

    @property
    def matrix(self) -> pd.DataFrame:
        """Share of each cohort active k weeks later (the retention without ``users``)."""
        return self.retention.drop(columns="users")

    @property
    def week1(self) -> pd.Series:
        """Share of each cohort active the week after its first visit (observed cohorts only)."""
        matrix = self.matrix
        return matrix[1].dropna() if 1 in matrix.columns else pd.Series(dtype=float)

    def sentences(self) -> list[str]:
        """Cohorts and returning conversion; then repeat purchases and the time between them."""
        first, later = self.by_age.iloc[0], self.by_age.iloc[1:]
        later_rate = later.successes.sum() / later.n.sum()
        d = self.difference
        lines = [
            f"{len(self.retention)} weekly cohorts. On average {pct(self.week1.mean())} of a cohort comes back the "
            f"week after its first visit. Returning sessions (week 1 and later) convert at {pct(later_rate)} against "
            f"{pct(first.rate)} in the first week ({pp(d.estimate)}, {ci(d.ci_low, d.ci_high, pp)})."
        ]
        repeat, gaps = self.repeat, self.gaps
        if not gaps["gaps"]:
            lines.append(
                f"No buyer buys twice in these data ({num(int(repeat.customers[0]))} buyers), so there are no "
                "repeat purchases to time."
            )
            return lines
        timed = "; ".join(
            f"{pct(r.share)} of the {num(r.eligible)} buyers observed for {d} days buy again within {d} days"
            for d, r in self.within.iterrows()
            if r.eligible > 0
        )
        lines.append(
            f"Of {num(int(repeat.customers[0]))} buyers, {pct(repeat.share[1])} buy a second time and "
            f"{pct(repeat.share[2])} a third"
            + (f"; {timed}" if timed else "")
            + f". The median time between two purchases is {gaps['median_days']:.1f} days (quartiles "
            f"{gaps['p25_days']:.1f} to {gaps['p75_days']:.1f})."
        )
        return lines

    def to_dict(self) -> dict:
        """Cohorts, mean week-1 retention, the returning-vs-first difference and repeat purchases, as reported."""
        repeat, within = self.repeat, self.within
        return {
            "users_return": True,
            "cohorts": int(len(self.retention)),
            "mean_week1_retention": float(self.week1.mean()),
            "returning_minus_first_week_conversion": self.difference.to_dict(),
            "repeat_purchase": {
                "buyers": int(repeat.customers[0]),
                "second_purchase_share": float(repeat.share[1]),
                "third_purchase_share": float(repeat.share[2]),
                "within_30_days_share": float(within.share[30]) if within.eligible[30] else None,
                "median_days_between_purchases": self.gaps["median_days"],
            },
        }


@dataclass(frozen=True)
class WeeklyReadout:
    """Conversion by purchase week (and by age group within week) when no customer returns.

    Attributes
    ----------
    grid : DataFrame
        Conversion by age group (rows) and purchase week (columns, ``YYYY-MM-DD`` Mondays).
    by_week : DataFrame
        Conversion by week with Wilson intervals (:func:`~ecommerce_analytics.metrics.rate_table`).
    week_screen : DataFrame
        Each week against the rest, Holm-corrected (:func:`~ecommerce_analytics.metrics.conversion_screen`).
    """

    users_return: ClassVar[bool] = False
    grid: pd.DataFrame
    by_week: pd.DataFrame
    week_screen: pd.DataFrame

    @staticmethod
    def note() -> str:
        """Why retention is not shown, and what is shown instead."""
        return (
            "Every customer appears in exactly one session, so no one returns and retention cannot be measured. "
            "Instead: conversion by age group within each purchase week."
        )

    def sentences(self) -> list[str]:
        """The range of weekly conversion and how many weeks differ from the rest.

        Examples
        --------
        >>> by_week = pd.DataFrame({"rate": [0.1, 0.3]})
        >>> WeeklyReadout(pd.DataFrame(), by_week, pd.DataFrame({"significant": [False, True]})).sentences()
        ["Weekly conversion ranges from 10.0% to 30.0%; 1 of 2 weeks differ from the rest after Holm's correction."]
        """
        significant = int(self.week_screen.significant.sum())
        return [
            f"Weekly conversion ranges from {pct(self.by_week.rate.min())} to {pct(self.by_week.rate.max())}; "
            f"{significant} of {len(self.week_screen)} weeks differ from the rest after Holm's correction."
        ]

    def to_dict(self) -> dict:
        """Weeks and how many differ after Holm's correction, as reported."""
        return {
            "users_return": False,
            "weeks": int(len(self.by_week)),
            "weeks_significant_after_holm": int(self.week_screen.significant.sum()),
        }


def cohort_readout(
    sessions: pd.DataFrame, *, retention: pd.DataFrame | None = None
) -> RetentionReadout | WeeklyReadout:
    """Weekly cohorts and repeat purchases when customers return; conversion by week when none does.

    Parameters
    ----------
    sessions : DataFrame
        Sessions under the data contract (``user_id``, ``purchase_date``, ``age``, ``purchase_decision``).
    retention : DataFrame, optional
        The weekly cohort retention computed elsewhere (in an engine on all of a large source's
        customers, :func:`ecommerce_analytics.scale.cohort_retention_in_engine`); from ``sessions``
        otherwise.

    Returns
    -------
    RetentionReadout or WeeklyReadout
        ``users_return`` tells which.

    Examples
    --------
    >>> s = pd.DataFrame({"user_id": ["a", "b"], "purchase_date": pd.to_datetime(["2025-01-06", "2025-01-14"]),
    ...                   "age": [30, 50], "purchase_decision": [1, 0]})
    >>> readout = cohort_readout(s)
    >>> readout.users_return, readout.by_week.level.tolist()
    (False, ['2025-01-06', '2025-01-13'])
    """
    missing = [c for c in ("user_id", "purchase_date", "age", TARGET) if c not in sessions.columns]
    if missing:
        raise ValueError(f"cohort_readout: sessions lacks column(s) {', '.join(map(repr, missing))}")
    if users_return(sessions):
        by_age = conversion_by_cohort_age(sessions)
        first, later = by_age.iloc[0], by_age.iloc[1:]
        difference = rate_difference(int(later.successes.sum()), int(later.n.sum()), int(first.successes), int(first.n))
        return RetentionReadout(
            retention=cohort_retention(sessions) if retention is None else retention,
            by_age=by_age,
            difference=difference,
            repeat=repeat_purchase_curve(sessions, max_purchases=3),  # purchases: sessions with purchase_decision = 1
            within=repeat_purchase_curve(sessions, within_days=list(REPEAT_HORIZONS)).set_index("days"),
            gaps=inter_purchase_times(sessions).summary,
        )
    ts = sessions.purchase_date
    week = (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    grid = sessions.assign(week=week, age_group=age_group(sessions.age)).pivot_table(
        index="age_group", columns="week", values=TARGET, aggfunc="mean"
    )
    by_week = rate_table(sessions, week.rename("week"))
    week_screen = conversion_screen(sessions.assign(week=week), ["week"])
    return WeeklyReadout(grid, by_week, week_screen)
