"""Readout of the randomized checkout experiment, the calibration table, and the decision rule.

Notebook 04 reads the simulator's experiment in one call, :func:`read_out`, and displays the
pieces of the returned :class:`Readout`: the design and its group-sequential plan, validity
(sample ratio, pre-period balance), the primary metric, guardrails with their non-inferiority
verdicts, CUPED, sequential monitoring, segments, a Bayesian reading and the decision, taken by
the explicit rule :func:`experiment_decision`. Every sentence the notebook shows is built here
from the computed values. :func:`calibration_report` builds section 3's calibration table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import calibration
from . import experiments as ex
from .reporting import NotebookResults, ci, num, pct, pp
from .segmentation import age_group
from .sequential import GroupSequentialDesign, group_sequential_design

__all__ = [
    "NO_EXPERIMENT",
    "VERDICTS",
    "Decision",
    "money",
    "experiment_decision",
    "planned_looks",
    "ExperimentPlan",
    "plan_experiment",
    "validity_sentence",
    "primary_sentence",
    "secondary_sentence",
    "revenue_sentence",
    "Guardrails",
    "guardrails",
    "cuped_sentence",
    "Monitoring",
    "monitor",
    "segment_table",
    "segments_sentence",
    "bayes_sentence",
    "Readout",
    "read_out",
    "LEGACY_CHECKS",
    "calibration_table",
    "CalibrationReport",
    "calibration_report",
    "TestingResults",
]

#: What the readout section says when the source has no randomized experiment.
NO_EXPERIMENT = (
    "This source has **no randomized experiment** (no assignment table), so there is nothing to read out here. "
    "The observational analyses and the calibration study below still run."
)

#: The verdicts of :func:`ecommerce_analytics.experiments.non_inferiority`.
VERDICTS = ("passed", "failed", "inconclusive")

#: Segment variables of the readout (``age_group`` is derived from ``age``).
SEGMENTS = ("income_level", "age_group", "gender")


def _check_alpha(alpha: float, name: str = "alpha") -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {alpha!r}")


# ---------------------------------------------------------------------------------- decision
@dataclass(frozen=True)
class Decision:
    """A decision and the reason for it.

    Attributes
    ----------
    decision : str
        For the experiment: ``"ship"``, ``"do not ship"`` or ``"inconclusive"``.
    reason : str
        Why, in words (no final period).
    """

    decision: str
    reason: str

    def sentence(self) -> str:
        """``'**Decision: ship**: reason.'``.

        Examples
        --------
        >>> Decision("ship", "conversion improves").sentence()
        '**Decision: ship**: conversion improves.'
        """
        return f"**Decision: {self.decision}**: {self.reason}."


def money(x: float, *, signed: bool = False) -> str:
    """An amount of money with two decimals and thousands separators: ``1234.5 -> '1,234.50'``.

    Parameters
    ----------
    x : float
        The amount (in the data's currency units).
    signed : bool, default False
        Always show the sign (for differences).

    Returns
    -------
    str

    Examples
    --------
    >>> money(1234.5), money(-9.8267, signed=True), money(0.5, signed=True)
    ('1,234.50', '-9.83', '+0.50')
    """
    return f"{x:+,.2f}" if signed else f"{x:,.2f}"


def _revenue_clause(revenue: Any) -> str:
    """``'20.97 vs 20.96 per session, 95% CI of the change -3.80 to +3.78'`` for a decision's reason."""
    return (
        f"{money(revenue.control)} vs {money(revenue.treatment)} per session, 95% CI of the change "
        f"{money(revenue.ci_low, signed=True)} to {money(revenue.ci_high, signed=True)}"
    )


def experiment_decision(
    primary: Any,
    guardrails: pd.DataFrame,
    srm: Any,
    revenue: Any | None = None,
    *,
    revenue_margin: float = 0.02,
) -> Decision:
    """The experiment's decision rule: ship, do not ship, or inconclusive.

    With ``revenue`` (revenue per session, the decision metric that carries money), the rule is:

    1. **do not ship** when the sample ratio is off (stop and debug the assignment);
    2. **do not ship** when revenue per session is worse (its whole interval below zero), when a
       guardrail failed, or when conversion is worse (its whole interval below zero);
    3. **ship** only when conversion improves (its interval above zero) **and** revenue per
       session is not worse beyond the margin (non-inferiority: the interval's lower end above
       ``-revenue_margin`` times control's revenue per session, which includes a revenue gain)
       **and** every guardrail passed;
    4. otherwise **inconclusive**, naming what is not yet shown.

    Without ``revenue`` the rule is the same with conversion alone (steps 1, 2 and 3 without the
    revenue clauses).

    Parameters
    ----------
    primary : EffectResult
        The primary metric (treatment minus control, higher is better): ``estimate``, ``ci_low``, ``ci_high``.
    guardrails : DataFrame
        One row per guardrail with columns ``guardrail`` and ``verdict`` (one of :data:`VERDICTS`).
    srm : SRMResult
        The sample-ratio check (its ``mismatch`` flag).
    revenue : EffectResult, optional
        Revenue per session (treatment minus control, delta method), with ``control``,
        ``treatment``, ``ci_low``, ``ci_high`` and ``confidence``.
    revenue_margin : float, default 0.02
        Largest tolerated drop of revenue per session, as a share of control's, in (0, 1).

    Returns
    -------
    Decision

    References
    ----------
    Kohavi, Tang & Xu (2020), *Trustworthy Online Controlled Experiments*, ch. 7 (overall
    evaluation criterion) and ch. 21 (guardrail metrics); Schuirmann (1987), *J. Pharmacokinet.
    Biopharm.* 15, 657-680 (non-inferiority by interval inclusion).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> g = pd.DataFrame({"guardrail": ["aov", "abandonment"], "verdict": ["passed", "passed"]})
    >>> experiment_decision(NS(ci_low=0.01, ci_high=0.03), g, NS(mismatch=False)).decision
    'ship'
    >>> experiment_decision(NS(ci_low=0.01, ci_high=0.03), g, NS(mismatch=True)).reason
    'the sample ratio is off'
    >>> rps = NS(estimate=-1.5, ci_low=-2.5, ci_high=-0.5, control=21.0, treatment=19.5, confidence=0.95)
    >>> experiment_decision(NS(ci_low=0.01, ci_high=0.03), g, NS(mismatch=False), rps).decision
    'do not ship'
    """
    if not {"guardrail", "verdict"} <= set(guardrails.columns):
        raise ValueError("guardrails must have columns 'guardrail' and 'verdict'")
    verdicts = set(guardrails["verdict"])
    if not verdicts <= set(VERDICTS):
        raise ValueError(f"guardrails.verdict must be one of {VERDICTS}, got {sorted(verdicts - set(VERDICTS))}")
    _check_alpha(revenue_margin, "revenue_margin")
    if srm.mismatch:
        return Decision("do not ship", "the sample ratio is off")
    unclear = ", ".join(guardrails["guardrail"][guardrails["verdict"] == "inconclusive"])
    if revenue is None:
        return _conversion_only_decision(primary, verdicts, unclear)
    rev = _revenue_clause(revenue)
    allowed = revenue_margin * abs(revenue.control)
    if revenue.ci_high < 0:
        return Decision("do not ship", f"revenue per session is worse: {rev}")
    if "failed" in verdicts or primary.ci_high < 0:
        return Decision("do not ship", "a guardrail shows harm or conversion is worse")
    revenue_ok = revenue.ci_low > -allowed
    if primary.ci_low > 0 and revenue_ok and verdicts == {"passed"}:
        gain = "improves" if revenue.ci_low > 0 else f"is at most {money(allowed)} ({pct(revenue_margin, 0)}) worse"
        return Decision("ship", f"conversion improves, revenue per session {gain} ({rev}), and every guardrail passed")
    parts = [] if primary.ci_low > 0 else ["conversion's interval includes zero"]
    if not revenue_ok:
        parts.append(
            f"revenue per session does not clearly move ({rev}), so a drop of more than {money(allowed)} "
            f"({pct(revenue_margin, 0)} of control's) cannot be ruled out"
        )
    if unclear:
        margins = "their margins" if "," in unclear else "its margin"
        parts.append(f"{unclear} cannot yet be shown to stay within {margins}")
    lead = f"conversion improves by {pp(primary.estimate)[1:]}, but " if primary.ci_low > 0 else ""
    return Decision(
        "inconclusive", lead + "; ".join(parts) + ": extend the test until this is resolved, or decide knowingly"
    )


def _conversion_only_decision(primary: Any, verdicts: set, unclear: str) -> Decision:
    """The rule on conversion and guardrails alone (no revenue metric)."""
    if primary.ci_low > 0 and verdicts == {"passed"}:
        return Decision("ship", "the primary metric's interval is above zero and every guardrail passed")
    if primary.ci_high < 0 or "failed" in verdicts:
        return Decision("do not ship", "a guardrail shows harm or the primary metric is worse")
    if primary.ci_low > 0:
        return Decision(
            "inconclusive",
            f"the primary metric improves, but {unclear} cannot yet be shown to stay within its margin: "
            "extend the test until it can, or accept that risk knowingly",
        )
    return Decision(
        "inconclusive", "the primary metric's interval includes zero: extend the test or accept the risk knowingly"
    )


# ------------------------------------------------------------------------------------ design
def planned_looks(n_days: int, every: int = 7) -> np.ndarray:
    """0-based indices of the planned looks among ``n_days`` daily looks: every ``every`` days, and the last.

    Parameters
    ----------
    n_days : int
        Days of monitoring (at least 1).
    every : int, default 7
        Days between planned looks (weekly by default).

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> planned_looks(28).tolist()
    [6, 13, 20, 27]
    >>> planned_looks(10).tolist(), planned_looks(3).tolist()
    ([6, 9], [2])
    """
    if n_days < 1:
        raise ValueError(f"n_days must be at least 1, got {n_days!r}")
    if every < 1:
        raise ValueError(f"every must be at least 1, got {every!r}")
    return np.unique(np.append(np.arange(every - 1, n_days, every), n_days - 1))


@dataclass(frozen=True)
class ExperimentPlan:
    """What the experiment can detect, and its group-sequential plan with weekly looks.

    Attributes
    ----------
    users, sessions : int
        Randomized users and their sessions from assignment on.
    control_rate : float
        Session conversion in control.
    mde_abs : float
        Smallest absolute change detectable with ``power`` at ``alpha`` with this many users per arm.
    true_relative_lift : float
        The simulator's relative lift.
    needed_per_arm : int
        Units per arm the true lift needs (fixed horizon).
    look_index : tuple of int
        0-based indices of the planned looks among the daily looks.
    design : GroupSequentialDesign
        The plan at the planned looks' information fractions.
    alpha, power : float
    """

    users: int
    sessions: int
    control_rate: float
    mde_abs: float
    true_relative_lift: float
    needed_per_arm: int
    look_index: tuple
    design: GroupSequentialDesign
    alpha: float = 0.05
    power: float = 0.8

    def sentence(self) -> str:
        """The design sentence (sample, detectable change, size the true lift needs)."""
        return (
            f"**Design.** {num(self.users)} users, {num(self.sessions)} sessions. With a control conversion of "
            f"{pct(self.control_rate)}, this many users detect an absolute change of {pp(self.mde_abs)} with "
            f"{pct(self.power, 0)} power at α = {pct(self.alpha, 0)} (pooled two-proportion z-test, the test of the "
            "readout, treating sessions as users, so a lower bound). The true lift of the simulator "
            f"({pct(self.true_relative_lift)} relative) would need about {num(self.needed_per_arm)} units per arm."
        )

    def plan_sentence(self) -> str:
        """The group-sequential plan in one sentence (boundaries, inflation, expected size)."""
        d = self.design
        return (
            f"**Plan with weekly looks** (Lan–DeMets O'Brien–Fleming-type spending, {len(d.information_fractions)} "
            f"looks at information fractions {', '.join(f'{f:.2f}' for f in d.information_fractions)}): stop for "
            f"efficacy when |z| crosses {', '.join(f'{b:.2f}' for b in d.boundaries)}; the fixed-horizon size must "
            f"grow by {pct(d.inflation_factor - 1)} to keep {pct(self.power, 0)} power, i.e. "
            f"{num(d.max_sample_size(self.needed_per_arm))} units per arm for the true lift, and the expected size "
            f"under that lift is {pct(d.expected_sample_fraction_h1)} of the fixed design's."
        )

    def table(self) -> pd.DataFrame:
        """The plan, one row per look (rounded to 5 decimals for display)."""
        return self.design.to_frame().round(5)


def plan_experiment(
    units: pd.DataFrame,
    looks: pd.DataFrame,
    *,
    relative_lift: float,
    alpha: float = 0.05,
    power: float = 0.8,
    every: int = 7,
) -> ExperimentPlan:
    """Power, sample size and the group-sequential plan of the experiment.

    The control arm's session conversion is the base rate; the detectable change uses the
    control arm's size; the plan puts a look every ``every`` days and at the end, at the
    information fractions the daily user counts give, with Lan-DeMets O'Brien-Fleming-type
    spending.

    Parameters
    ----------
    units : DataFrame
        :func:`ecommerce_analytics.experiments.experiment_units` (``variant``, ``sessions``, ``purchases``).
    looks : DataFrame
        :func:`ecommerce_analytics.experiments.daily_looks`.
    relative_lift : float
        The lift the sample size is computed for (the simulator's true relative lift).
    alpha, power : float
        Two-sided level and target power.
    every : int
        Days between planned looks.

    Returns
    -------
    ExperimentPlan

    References
    ----------
    Lan & DeMets (1983), *Biometrika* 70, 659-663.
    """
    _check_alpha(alpha)
    _check_alpha(power, "power")
    if not relative_lift:
        raise ValueError(f"relative_lift must be a non-zero number, got {relative_lift!r}")
    control = units[units["variant"] == "control"]
    base = control["purchases"].sum() / control["sessions"].sum()
    mde = ex.mde_proportions(base, len(control), alpha=alpha, power=power)
    needed = ex.sample_size_proportions(base, base * relative_lift, alpha=alpha, power=power)
    idx = planned_looks(len(looks), every)
    users_seen = (looks["n_control"] + looks["n_treatment"]).to_numpy()
    fractions = users_seen[idx] / users_seen[-1]
    design = group_sequential_design(information_fractions=fractions, alpha=alpha, power=power)
    return ExperimentPlan(
        int(len(units)),
        int(units["sessions"].sum()),
        float(base),
        float(mde),
        float(relative_lift),
        int(needed[0]),
        tuple(int(i) for i in idx),
        design,
        alpha,
        power,
    )


# ---------------------------------------------------------------------------------- validity
def validity_sentence(srm: Any, balance: dict) -> str:
    """The sample-ratio check and pre-period balance in one sentence.

    Parameters
    ----------
    srm : SRMResult
        :func:`ecommerce_analytics.experiments.srm_check`.
    balance : dict
        :func:`ecommerce_analytics.experiments.balance_check` of pre-period purchases.

    Returns
    -------
    str
    """
    verdict = (
        "**mismatch: stop and debug the assignment before reading any metric.**"
        if srm.mismatch
        else "no mismatch (threshold p < 0.001)."
    )
    return (
        f"**Validity.** Sample-ratio check: {num(srm.n_control)} control vs {num(srm.n_treatment)} treatment "
        f"({pct(srm.observed_share_treatment)} treatment), χ² p = {srm.p_value:.3f}: {verdict}"
        f" Pre-period purchases per user: {balance['mean_control']:.3f} vs {balance['mean_treatment']:.3f} "
        f"(standardized difference {balance['smd']:+.3f}, p = {balance['p_value']:.2f})."
    )


# ------------------------------------------------------------------------------------ metrics
def primary_sentence(primary: Any, true_absolute_lift: float | None = None) -> str:
    """The primary metric (session conversion) with its interval, and whether it covers the true lift.

    Parameters
    ----------
    primary : EffectResult
        :func:`ecommerce_analytics.experiments.ratio_metric` of purchases over sessions.
    true_absolute_lift : float, optional
        The simulator's true lift; without it the coverage clause is left out.

    Returns
    -------
    str
    """
    text = (
        f"**Primary metric: session conversion** {pct(primary.control)} (control) vs {pct(primary.treatment)} "
        f"(treatment): **{pp(primary.estimate)}** ({ci(primary.ci_low, primary.ci_high, pp)}, "
        f"p = {primary.p_value:.3g}); relative {pct(primary.extra['relative_lift'])} "
        f"({ci(primary.extra['relative_ci_low'], primary.extra['relative_ci_high'])})."
    )
    if true_absolute_lift is None:
        return text
    covered = primary.ci_low <= true_absolute_lift <= primary.ci_high
    return text + (
        f" The simulator's true lift on these sessions is {pp(true_absolute_lift)}: the interval "
        + ("**covers** it." if covered else "**misses** it (it will, about 5% of the time).")
    )


def secondary_sentence(user_conversion: Any) -> str:
    """The secondary metric, the share of users who buy at least once, in one sentence."""
    u = user_conversion
    return (
        f"Secondary, share of users who buy at least once: {pct(u.control)} vs {pct(u.treatment)}, "
        f"{pp(u.estimate)} ({ci(u.ci_low, u.ci_high, pp)}, p = {u.p_value:.3g})."
    )


def _signed_money(v: float) -> str:
    return money(v, signed=True)


def revenue_sentence(
    per_session: Any,
    per_user: Any,
    primary: Any,
    *,
    aov: tuple[float, float] | None = None,
    true_absolute_lift: float | None = None,
) -> str:
    """Revenue per session (the decision metric) and per user, and what moves them.

    Parameters
    ----------
    per_session, per_user : EffectResult
        :func:`ecommerce_analytics.experiments.ratio_metric` of revenue over sessions and over users.
    primary : EffectResult
        Session conversion (its interval says whether conversion rose).
    aov : tuple of float, optional
        Average order value in control and treatment (explains a flat revenue with more orders).
    true_absolute_lift : float, optional
        The simulator's conversion lift; given, the sentence says what the truth does and does not state.

    Returns
    -------
    str

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> r = NS(control=20.97, treatment=20.96, estimate=-0.01, ci_low=-2.3, ci_high=2.28,
    ...        extra={"relative_lift": -0.0004})
    >>> u = NS(control=50.0, treatment=52.0, estimate=2.0, ci_low=-3.0, ci_high=7.0, extra={"relative_lift": 0.04})
    >>> print(revenue_sentence(r, u, NS(ci_low=0.01, estimate=0.02), aov=(98.88, 89.06)))  # doctest: +NORMALIZE_WHITESPACE
    **Decision metric: revenue per session** 20.97 (control) vs 20.96 (treatment), **-0.01**
    (95% CI -2.30 to +2.28), relative -0.0%; revenue per user 50.00 vs 52.00, +2.00 (95% CI -3.00 to +7.00).
    Revenue per session is **not distinguishable from control's**: the treatment converts more sessions
    (+2.0 pp) but its orders are smaller (average order value 98.88 vs 89.06), so the extra orders do not
    add money per session.
    """
    r, u = per_session, per_user
    text = (
        f"**Decision metric: revenue per session** {money(r.control)} (control) vs {money(r.treatment)} (treatment), "
        f"**{money(r.estimate, signed=True)}** ({ci(r.ci_low, r.ci_high, _signed_money)}), relative "
        f"{pct(r.extra['relative_lift'])}; revenue per user {money(u.control)} vs {money(u.treatment)}, "
        f"{money(u.estimate, signed=True)} ({ci(u.ci_low, u.ci_high, _signed_money)})."
    )
    if r.ci_low > 0:
        text += " Revenue per session is **higher** in treatment."
    elif r.ci_high < 0:
        text += " Revenue per session is **lower** in treatment."
    else:
        text += " Revenue per session is **not distinguishable from control's**"
        if primary.ci_low > 0 and aov is not None and aov[1] < aov[0]:
            text += (
                f": the treatment converts more sessions ({pp(primary.estimate)}) but its orders are smaller "
                f"(average order value {money(aov[0])} vs {money(aov[1])}), so the extra orders do not add money "
                "per session."
            )
        else:
            text += "."
    if true_absolute_lift is not None:
        text += (
            f" The simulator plants a conversion lift ({pp(true_absolute_lift)} on these sessions) and no revenue "
            "effect of its own, so revenue per session has no stated truth to check against."
        )
    return text


#: How each guardrail's numbers read: kind ("money" or "rate"), the unit of a money metric, and
#: whether higher is better.
GUARDRAIL_FORMATS = {
    "average order value": ("money", "per order", True),
    "cart abandonment": ("rate", "", False),
}


def _guardrail_fmt(name: str):
    kind, unit, higher = GUARDRAIL_FORMATS.get(name, ("number", "", True))
    if kind == "money":
        return money, _signed_money, unit, higher
    if kind == "rate":
        return pct, pp, unit, higher
    return (lambda v: f"{v:.4g}"), (lambda v: f"{v:+.4g}"), unit, higher


@dataclass(frozen=True)
class Guardrails:
    """Guardrail metrics with their non-inferiority verdicts.

    Attributes
    ----------
    table : DataFrame
        One row per guardrail: ``guardrail, control, treatment, difference, ci_low, ci_high,
        margin, worst_plausible, verdict``.
    convention : str
        How the verdicts are reached (the interval against the margin).
    """

    table: pd.DataFrame
    convention: str

    def sentence(self) -> str:
        """Every guardrail in human numbers: both arms, the difference, its interval, the margin, the verdict."""
        parts = []
        for r in self.table.itertuples():
            level, diff, unit, higher = _guardrail_fmt(r.guardrail)
            limit = diff(-r.margin if higher else r.margin)
            parts.append(
                f"{r.guardrail} {level(r.control)} (control) vs {level(r.treatment)} (treatment)"
                + (f" {unit}" if unit else "")
                + f", {diff(r.difference)} ({ci(r.ci_low, r.ci_high, diff)}); worst plausible "
                f"{diff(r.worst_plausible)} against a margin of {limit}: **{r.verdict}**"
            )
        return f"**Guardrails** (non-inferiority: {self.convention}): " + "; ".join(parts) + "."

    def display(self) -> pd.DataFrame:
        """The table with every number formatted for people (money with 2 decimals, rates in % and pp).

        Examples
        --------
        >>> t = pd.DataFrame([{"guardrail": "cart abandonment", "control": 0.65, "treatment": 0.61,
        ...     "difference": -0.04, "ci_low": -0.07, "ci_high": -0.01, "margin": 0.02, "worst_plausible": -0.01,
        ...     "verdict": "passed"}])
        >>> Guardrails(t, "c").display().iloc[0].tolist()
        ['cart abandonment', '65.0%', '61.0%', '-4.0 pp', '-7.0 pp to -1.0 pp', '+2.0 pp', 'passed']
        """
        rows = []
        for r in self.table.itertuples():
            level, diff, unit, higher = _guardrail_fmt(r.guardrail)
            rows.append(
                {
                    "guardrail": r.guardrail + (f" ({unit})" if unit else ""),
                    "control": level(r.control),
                    "treatment": level(r.treatment),
                    "difference": diff(r.difference),
                    "95% CI": f"{diff(r.ci_low)} to {diff(r.ci_high)}",
                    "margin (worst allowed)": diff(-r.margin if higher else r.margin),
                    "verdict": r.verdict,
                }
            )
        return pd.DataFrame(rows)


def _guardrail_row(name: str, result: Any, verdict: dict) -> dict:
    return {
        "guardrail": name,
        "control": result.control,
        "treatment": result.treatment,
        "difference": result.estimate,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "margin": verdict["margin"],
        "worst_plausible": verdict["worst_plausible"],
        "verdict": verdict["verdict"],
    }


def guardrails(
    control: pd.DataFrame, treatment: pd.DataFrame, *, aov_margin: float = 0.05, abandonment_margin: float = 0.02
) -> Guardrails:
    """Average order value and cart abandonment, each judged by non-inferiority.

    Average order value (revenue / orders, over users who bought) may not drop by more than
    ``aov_margin`` of control's; cart abandonment (abandoned / carts, over users with a cart)
    may not rise by more than ``abandonment_margin`` (absolute). Both are ratio metrics read by
    the delta method.

    Parameters
    ----------
    control, treatment : DataFrame
        Each arm's :func:`ecommerce_analytics.experiments.experiment_units` rows.
    aov_margin : float, default 0.05
        Tolerated relative drop of average order value, in (0, 1).
    abandonment_margin : float, default 0.02
        Tolerated absolute rise of cart abandonment, in (0, 1).

    Returns
    -------
    Guardrails

    References
    ----------
    Schuirmann (1987), *J. Pharmacokinet. Biopharm.* 15, 657-680.
    """
    _check_alpha(aov_margin, "aov_margin")
    _check_alpha(abandonment_margin, "abandonment_margin")
    bc, bt = control[control["purchases"] > 0], treatment[treatment["purchases"] > 0]
    aov = ex.ratio_metric(bc["revenue"], bc["purchases"], bt["revenue"], bt["purchases"])
    cc, ct = control[control["carts"] > 0], treatment[treatment["carts"] > 0]
    abandon = ex.ratio_metric(cc["abandoned"], cc["carts"], ct["abandoned"], ct["carts"])
    g_aov = ex.non_inferiority(aov, aov_margin * aov.control, higher_is_better=True)
    g_ab = ex.non_inferiority(abandon, abandonment_margin, higher_is_better=False)
    table = pd.DataFrame(
        [_guardrail_row("average order value", aov, g_aov), _guardrail_row("cart abandonment", abandon, g_ab)]
    )
    return Guardrails(table, g_aov["convention"])


def cuped_sentence(raw: Any, adjusted: Any) -> str:
    """CUPED's variance reduction and the interval it gives, against the raw Welch interval.

    Parameters
    ----------
    raw : EffectResult
        :func:`ecommerce_analytics.experiments.welch_test` of purchases per user.
    adjusted : EffectResult
        :func:`ecommerce_analytics.experiments.cuped` of the same metric.

    Returns
    -------
    str
    """
    x = adjusted.extra
    return (
        f"**CUPED** on purchases per user with pre-period purchases as the covariate (θ = {x['theta']:.3f}, "
        f"correlation {x['correlation']:.2f}): variance of the estimate reduced by "
        f"**{pct(x['variance_reduction'])}**; the 95% interval of the difference in purchases per user "
        f"changes from [{raw.ci_low:+.4f}, {raw.ci_high:+.4f}] (width {raw.ci_high - raw.ci_low:.4f}) to "
        f"[{adjusted.ci_low:+.4f}, {adjusted.ci_high:+.4f}] (width {adjusted.ci_high - adjusted.ci_low:.4f})."
    )


# -------------------------------------------------------------------------------- monitoring
@dataclass(frozen=True)
class Monitoring:
    """Daily monitoring of user conversion: naive, always-valid (mSPRT) and group-sequential.

    Attributes
    ----------
    looks : DataFrame
        :func:`ecommerce_analytics.experiments.daily_looks` (``day``, counts per arm).
    sequential : DataFrame
        :func:`ecommerce_analytics.experiments.msprt_proportions` per day (``z_p_value``,
        ``always_valid_p``, ``reject``).
    z : numpy.ndarray
        Pooled z statistic per day.
    look_index : tuple of int
        0-based indices of the planned looks.
    design : GroupSequentialDesign
    alpha : float
    """

    looks: pd.DataFrame
    sequential: pd.DataFrame
    z: np.ndarray
    look_index: tuple
    design: GroupSequentialDesign
    alpha: float = 0.05

    @property
    def stop_look(self) -> int | None:
        """The 1-based planned look at which the group-sequential test stops for efficacy, or None."""
        return self.design.first_rejection(np.asarray(self.z)[list(self.look_index)])

    def thresholds(self) -> pd.Series:
        """Each planned look's nominal significance level, indexed by its day."""
        return pd.Series(self.design.nominal_alpha, index=self.looks["day"].iloc[list(self.look_index)].to_numpy())

    def sentence(self) -> str:
        """When the naive, always-valid and group-sequential tests would each have stopped."""
        seq, days = self.sequential, self.looks["day"]
        below = seq["z_p_value"] < self.alpha
        first_naive, first_seq = days[below], days[seq["reject"]]
        stop = self.stop_look
        return (
            f"Checked daily for {len(self.looks)} days, the naive test first dips below {pct(self.alpha, 0)} on "
            f"{first_naive.iloc[0] if len(first_naive) else 'no day'} ({int(below.sum())} days in all); "
            "the always-valid mSPRT p-value, which may be watched continuously, ends at "
            f"{seq['always_valid_p'].iloc[-1]:.3g} "
            + (
                f"and first crosses {pct(self.alpha, 0)} on {first_seq.iloc[0]}."
                if len(first_seq)
                else f"and never crosses {pct(self.alpha, 0)}."
            )
            + " With the planned weekly group-sequential looks (a look rejects when the naive p-value falls below the "
            "look's nominal threshold), the test "
            + (
                f"stops for efficacy at look {stop} ({days.iloc[self.look_index[stop - 1]]})."
                if stop
                else "does not stop early and is read at the end."
            )
        )

    def to_dict(self) -> dict:
        """The results' ``sequential`` entry."""
        seq = self.sequential
        return {
            "days": int(len(self.looks)),
            "final_always_valid_p": float(seq["always_valid_p"].iloc[-1]),
            "naive_days_below_alpha": int((seq["z_p_value"] < self.alpha).sum()),
            "sequential_rejects": bool(seq["reject"].any()),
            "group_sequential_plan": self.design.to_dict(),
            "group_sequential_stop_look": self.stop_look,
        }


def monitor(looks: pd.DataFrame, plan: ExperimentPlan, *, alpha: float = 0.05) -> Monitoring:
    """Monitor user conversion day by day with the naive test, the mSPRT and the plan's looks.

    Parameters
    ----------
    looks : DataFrame
        :func:`ecommerce_analytics.experiments.daily_looks`.
    plan : ExperimentPlan
        The plan with its planned looks (:func:`plan_experiment`).
    alpha : float
        Level of the naive test and of the mSPRT.

    Returns
    -------
    Monitoring

    References
    ----------
    Johari, Pekelis & Walsh (2017), *Always valid inference*, KDD; Lan & DeMets (1983).
    """
    _check_alpha(alpha)
    counts = (looks["x_control"], looks["n_control"], looks["x_treatment"], looks["n_treatment"])
    seq = ex.msprt_proportions(*counts, alpha=alpha)
    z = np.asarray(ex.score_test_proportions(*counts)["z"], dtype=float)
    return Monitoring(looks, seq, z, plan.look_index, plan.design, alpha)


# ---------------------------------------------------------------------------------- segments
def segment_table(units: pd.DataFrame, segments: Sequence[str] = SEGMENTS, *, method: str = "holm") -> pd.DataFrame:
    """Each segment level's effect on user conversion against the rest, corrected within and across segments.

    ``p_adjusted`` and ``heterogeneous`` are corrected within a segment variable,
    ``p_adjusted_family`` and ``heterogeneous_family`` over every comparison at once.

    Parameters
    ----------
    units : DataFrame
        :func:`ecommerce_analytics.experiments.experiment_units` (``age`` gives ``age_group``).
    segments : sequence of str
        Segment variables.
    method : {"holm", "fdr_bh"}
        Multiple-testing correction.

    Returns
    -------
    DataFrame

    References
    ----------
    Holm (1979), *Scand. J. Statist.* 6, 65-70.
    """
    if method not in ("holm", "fdr_bh"):
        raise ValueError(f"method must be 'holm' or 'fdr_bh', got {method!r}")
    frame = units.assign(age_group=age_group(units["age"]))
    missing = [s for s in segments if s not in frame.columns]
    if missing or not len(segments):
        raise ValueError(f"segments must be non-empty columns of units, got missing {missing}")
    segs = pd.concat(
        [ex.segment_effects(frame, s, successes="converted", trials="one", method=method) for s in segments],
        ignore_index=True,
    )
    family = ex.adjust_pvalues(segs["p_value"], method=method)
    segs["p_adjusted_family"], segs["heterogeneous_family"] = family["p_adjusted"], family["reject"]
    return segs


def segments_sentence(segments: pd.DataFrame, *, simulated: bool = True) -> str:
    """How many segments' effects differ from the rest's after the family-wise correction.

    Examples
    --------
    >>> segments_sentence(pd.DataFrame({"heterogeneous_family": [False, True]}))
    "Segment vs rest, 2 comparisons with Holm's correction over the whole family: 1 show a different effect."
    """
    n = int(segments["heterogeneous_family"].sum())
    return f"Segment vs rest, {len(segments)} comparisons with Holm's correction over the whole family: " + (
        f"{n} show a different effect."
        if n
        else "**no segment's effect differs** from the rest's after correction (the simulator's lift is the same for "
        "everyone on the log-odds scale)."
        if simulated
        else "no segment's effect differs after correction."
    )


def bayes_sentence(bayes: dict) -> str:
    """The Bayesian reading: P(treatment better) and the expected loss of each choice.

    Examples
    --------
    >>> bayes_sentence({"prob_treatment_better": 0.9, "expected_loss_ship_treatment": 0.0001,
    ...                 "expected_loss_keep_control": 0.01})
    '**Bayesian reading** (uniform priors, user conversion): P(treatment better) = **90.0%**; expected loss of shipping it +0.01 pp vs +1.00 pp for keeping control.'
    """
    return (
        f"**Bayesian reading** (uniform priors, user conversion): P(treatment better) = "
        f"**{pct(bayes['prob_treatment_better'])}**; expected loss of shipping it "
        f"{pp(bayes['expected_loss_ship_treatment'], 2)} vs {pp(bayes['expected_loss_keep_control'], 2)} "
        "for keeping control."
    )


# ----------------------------------------------------------------------------------- readout
@dataclass(frozen=True)
class Readout:
    """The full readout of the randomized experiment (see :func:`read_out`).

    Attributes
    ----------
    units : DataFrame
        One row per randomized user.
    plan : ExperimentPlan
    srm : SRMResult
    balance : dict
        Pre-period balance of purchases per user.
    primary, user_conversion : EffectResult
        Session conversion (delta method) and the share of users who buy (score test).
    true_absolute_lift, true_relative_lift : float
        The simulator's lift on the experiment's sessions.
    guardrails : Guardrails
    raw, cuped : EffectResult
        Purchases per user, Welch and CUPED.
    monitoring : Monitoring
    segments : DataFrame
    bayes : dict
    decision : Decision
        :func:`experiment_decision` on conversion, revenue per session and the guardrails.
    revenue_per_session, revenue_per_user : EffectResult
        Revenue over sessions and over users (delta method, users as units): the decision metric
        that carries money.
    revenue_margin : float
        Tolerated drop of revenue per session, as a share of control's.
    """

    units: pd.DataFrame
    plan: ExperimentPlan
    srm: Any
    balance: dict
    primary: Any
    user_conversion: Any
    true_absolute_lift: float
    true_relative_lift: float
    guardrails: Guardrails
    raw: Any
    cuped: Any
    monitoring: Monitoring
    segments: pd.DataFrame
    bayes: dict
    decision: Decision
    revenue_per_session: Any = None
    revenue_per_user: Any = None
    revenue_margin: float = 0.02

    @property
    def covers_truth(self) -> bool:
        """Whether the primary metric's interval covers the true lift."""
        return bool(self.primary.ci_low <= self.true_absolute_lift <= self.primary.ci_high)

    def validity_sentence(self) -> str:
        """See :func:`validity_sentence`."""
        return validity_sentence(self.srm, self.balance)

    def primary_sentence(self) -> str:
        """See :func:`primary_sentence`."""
        return primary_sentence(self.primary, self.true_absolute_lift)

    def secondary_sentence(self) -> str:
        """See :func:`secondary_sentence`."""
        return secondary_sentence(self.user_conversion)

    def revenue_sentence(self) -> str:
        """See :func:`revenue_sentence` (with the average order value of each arm and the simulator's lift)."""
        aov = self.guardrails.table.set_index("guardrail")
        arms = None
        if "average order value" in aov.index:
            arms = (
                float(aov.loc["average order value", "control"]),
                float(aov.loc["average order value", "treatment"]),
            )
        return revenue_sentence(
            self.revenue_per_session,
            self.revenue_per_user,
            self.primary,
            aov=arms,
            true_absolute_lift=self.true_absolute_lift,
        )

    def cuped_sentence(self) -> str:
        """See :func:`cuped_sentence`."""
        return cuped_sentence(self.raw, self.cuped)

    def segments_sentence(self) -> str:
        """See :func:`segments_sentence`."""
        return segments_sentence(self.segments, simulated=True)

    def bayes_sentence(self) -> str:
        """See :func:`bayes_sentence`."""
        return bayes_sentence(self.bayes)

    def to_dict(self) -> dict:
        """The results' ``experiment`` entry."""
        return {
            "users": int(len(self.units)),
            "srm": self.srm.to_dict(),
            "pre_period_balance": self.balance,
            "mde_abs": self.plan.mde_abs,
            "primary_session_conversion": self.primary.to_dict(),
            "user_conversion": self.user_conversion.to_dict(),
            "true_absolute_lift": self.true_absolute_lift,
            "true_relative_lift": self.true_relative_lift,
            "ci_covers_truth": self.covers_truth,
            "guardrails": self.guardrails.table,
            "cuped": self.cuped.to_dict(),
            "raw_purchases_per_user": self.raw.to_dict(),
            "sequential": self.monitoring.to_dict(),
            "segments": self.segments,
            "bayes": self.bayes,
            "decision": self.decision.decision,
            "decision_reason": self.decision.reason,
            "revenue_per_session": self.revenue_per_session.to_dict(),
            "revenue_per_user": self.revenue_per_user.to_dict(),
            "revenue_margin": self.revenue_margin,
        }


def read_out(
    sessions: pd.DataFrame,
    simulation: Any,
    *,
    alpha: float = 0.05,
    aov_margin: float = 0.05,
    abandonment_margin: float = 0.02,
    revenue_margin: float = 0.02,
    power: float = 0.8,
) -> Readout | None:
    """Read out the simulator's randomized checkout experiment, or None when there is none.

    Parameters
    ----------
    sessions : DataFrame
        The sessions table.
    simulation : Simulation or None
        The simulation behind the sessions (``assignments``, ``pre_period``, ``truth``); None or
        an empty assignment table means no experiment.
    alpha : float, default 0.05
        Level of the plan and of the sequential tests.
    aov_margin, abandonment_margin : float
        Guardrail margins (see :func:`guardrails`).
    revenue_margin : float, default 0.02
        Tolerated drop of revenue per session, as a share of control's (see :func:`experiment_decision`).
    power : float, default 0.8
        Target power of the plan.

    Returns
    -------
    Readout or None
    """
    _check_alpha(alpha)
    _check_alpha(revenue_margin, "revenue_margin")
    if simulation is None or len(simulation.assignments) == 0:
        return None
    truth = simulation.truth.experiment
    units = ex.experiment_units(sessions, simulation.assignments, simulation.pre_period)
    c, t = (units[units["variant"] == arm] for arm in ("control", "treatment"))
    looks = ex.daily_looks(sessions, simulation.assignments)
    plan = plan_experiment(units, looks, relative_lift=truth["relative_lift"], alpha=alpha, power=power)
    srm = ex.srm_check(len(c), len(t))
    primary = ex.ratio_metric(c["purchases"], c["sessions"], t["purchases"], t["sessions"])
    counts = (int(c["converted"].sum()), len(c), int(t["converted"].sum()), len(t))
    guards = guardrails(c, t, aov_margin=aov_margin, abandonment_margin=abandonment_margin)
    per_session = ex.ratio_metric(c["revenue"], c["sessions"], t["revenue"], t["sessions"])
    per_user = ex.ratio_metric(c["revenue"], c["one"], t["revenue"], t["one"])
    return Readout(
        units=units,
        plan=plan,
        srm=srm,
        balance=ex.balance_check(c["pre_purchases"], t["pre_purchases"]),
        primary=primary,
        user_conversion=ex.two_proportions(*counts),
        true_absolute_lift=float(truth["absolute_lift"]),
        true_relative_lift=float(truth["relative_lift"]),
        guardrails=guards,
        raw=ex.welch_test(c["purchases"], t["purchases"]),
        cuped=ex.cuped(c["purchases"], c["pre_purchases"], t["purchases"], t["pre_purchases"]),
        monitoring=monitor(looks, plan, alpha=alpha),
        segments=segment_table(units),
        bayes=ex.bayesian_proportions(*counts),
        decision=experiment_decision(primary, guards.table, srm, per_session, revenue_margin=revenue_margin),
        revenue_per_session=per_session,
        revenue_per_user=per_user,
        revenue_margin=revenue_margin,
    )


# ------------------------------------------------------------------------------- calibration
#: The calibration study's own checks: (study, field of the study, label, target). Target
#: ``"alpha"`` and ``"coverage"`` compare the 99% interval with the nominal level; ``"above_alpha"``
#: expects the rate above alpha (naive peeking inflates it), ``"at_most_alpha"`` at most alpha.
LEGACY_CHECKS = (
    ("aa", "rejection_rate", "A/A false-positive rate (fixed horizon)", "alpha"),
    ("ab", "ci_coverage", "A/B 95% CI coverage of the true lift", "coverage"),
    ("aa", "peeking_rejection_rate", "A/A error with naive peeking (20 looks)", "above_alpha"),
    ("aa", "sequential_rejection_rate", "A/A error with mSPRT at every look", "at_most_alpha"),
)

_TABLE_COLUMNS = ["check", "estimate", "ci_low", "ci_high", "nominal", "within_target"]


def calibration_table(aa: dict, ab: dict, checks: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Every calibration check in one table: the A/A and A/B studies' checks, then ``checks``.

    A check is ``within_target`` when its 99% interval contains the nominal value; for naive
    peeking (no nominal value) when the rate exceeds ``alpha``, for the mSPRT when it is at most
    ``alpha``.

    Parameters
    ----------
    aa, ab : dict
        :func:`ecommerce_analytics.experiments.calibration_study` without and with a lift; each
        field named in :data:`LEGACY_CHECKS` holds ``estimate, ci_low, ci_high``.
    checks : DataFrame
        :func:`ecommerce_analytics.calibration.calibration_checks` (``consistent`` becomes
        ``within_target``).
    alpha : float
        The studies' level.

    Returns
    -------
    DataFrame
        ``check, estimate, ci_low, ci_high, nominal, within_target``.

    Examples
    --------
    >>> r = lambda e, lo, hi: {"estimate": e, "ci_low": lo, "ci_high": hi}
    >>> aa = {"rejection_rate": r(0.05, 0.04, 0.06), "peeking_rejection_rate": r(0.2, 0.18, 0.22),
    ...       "sequential_rejection_rate": r(0.06, 0.05, 0.07)}
    >>> ab = {"ci_coverage": r(0.9, 0.88, 0.92)}
    >>> calibration_table(aa, ab, pd.DataFrame(columns=_TABLE_COLUMNS[:-1] + ["consistent"])).within_target.tolist()
    [True, False, True, False]
    """
    _check_alpha(alpha)
    studies = {"aa": aa, "ab": ab}
    nominals = {"alpha": alpha, "coverage": 1 - alpha, "above_alpha": None, "at_most_alpha": None}
    ranges = {"above_alpha": (alpha, 1.0), "at_most_alpha": (0.0, alpha)}
    rows = []
    for study, field, label, target in LEGACY_CHECKS:
        r, nominal = studies[study][field], nominals[target]
        if nominal is not None:
            within = r["ci_low"] <= nominal <= r["ci_high"]
        else:
            lo, hi = ranges[target]
            within = lo < r["estimate"] <= hi
        rows.append(
            {
                "check": label,
                "estimate": r["estimate"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "nominal": nominal,
                "within_target": bool(within),
            }
        )
    rows += checks.assign(within_target=checks["consistent"])[_TABLE_COLUMNS].to_dict("records")
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class CalibrationReport:
    """Section 3's calibration study: the A/A and A/B studies, the further checks and their table.

    Attributes
    ----------
    aa, ab : dict
        :func:`ecommerce_analytics.experiments.calibration_study` without and with a lift.
    checks : DataFrame
        :func:`ecommerce_analytics.calibration.calibration_checks`.
    table : DataFrame
        :func:`calibration_table`.
    """

    aa: dict
    ab: dict
    checks: pd.DataFrame
    table: pd.DataFrame

    def sentence(self) -> str:
        """The study's headline rates: false positives, coverage, peeking, sequential designs, power."""
        aa, ab = self.aa, self.ab
        fp = aa["rejection_rate"]
        return (
            f"{num(aa['n_sims'])} A/A and {num(ab['n_sims'])} A/B tests, {num(aa['n_per_arm'])} users per arm over "
            f"{aa['looks']} looks, control rate {pct(aa['p_control'], 0)}, A/B lift {pp(ab['lift'])}. "
            f"False-positive rate {pct(fp['estimate'])} (99% interval {pct(fp['ci_low'])} to {pct(fp['ci_high'])}); "
            f"coverage {pct(ab['ci_coverage']['estimate'])}; peeking at every look inflates the error to "
            f"**{pct(aa['peeking_rejection_rate']['estimate'])}**, while the mSPRT keeps it at "
            f"{pct(aa['sequential_rejection_rate']['estimate'])} and the group-sequential design with "
            f"{aa['gs_looks']} looks at {pct(aa['group_sequential_rejection_rate']['estimate'])}. Power for that "
            f"lift: fixed horizon {pct(ab['rejection_rate']['estimate'])}, group-sequential "
            f"{pct(ab['group_sequential_rejection_rate']['estimate'])} (design: "
            f"{pct(calibration.group_sequential_power(ab))}), mSPRT {pct(ab['sequential_rejection_rate']['estimate'])}"
            ": a few planned looks cost little power, looking at any time costs much more. "
            f"{int(self.table['within_target'].sum())} of {len(self.table)} checks as expected."
        )

    def to_dict(self) -> dict:
        """The results' ``calibration`` entry."""
        return {"aa": self.aa, "ab": self.ab, "table": self.table, "checks": self.checks}


def calibration_report(
    *,
    alpha: float = 0.05,
    lift: float = 0.02,
    n_sims: int = 10_000,
    bootstrap_sims: int = 2_000,
    seeds: tuple[int, int, int] = (11, 12, 13),
    cache_dir: str | Path | None = None,
) -> CalibrationReport:
    """Run the calibration study: A/A and A/B studies and every further check, in one table.

    The study does not depend on the data, so a run may keep it in ``cache_dir`` (a run's
    ``Run.cache_dir``): the file is keyed by the parameters, the library versions and the source
    of every module the study runs, so changed code or settings always recompute it, and a
    reused study is the one this code computes, to the bit (JSON keeps every float exactly).

    Parameters
    ----------
    alpha : float
        Level of the tests.
    lift : float
        Absolute lift of the A/B study.
    n_sims : int
        Simulations per check (at least 100).
    bootstrap_sims : int
        Simulations of the (slow) bootstrap check; 0 skips it.
    seeds : tuple of three int
        Seeds of the A/A study, the A/B study and the further checks.
    cache_dir : path, optional
        Folder of computed studies to reuse (``None``: always compute).

    Returns
    -------
    CalibrationReport
    """
    _check_alpha(alpha)
    if n_sims < 100:
        raise ValueError(f"n_sims must be at least 100, got {n_sims!r}")
    if bootstrap_sims < 0:
        raise ValueError(f"bootstrap_sims must be 0 or more, got {bootstrap_sims!r}")
    if len(seeds) != 3:
        raise ValueError(f"seeds must be three integers, got {seeds!r}")
    params = {"alpha": alpha, "lift": lift, "n_sims": n_sims, "bootstrap_sims": bootstrap_sims, "seeds": list(seeds)}
    path = Path(cache_dir) / f"calibration-{_study_key(params)}.json" if cache_dir is not None else None
    if path is not None and path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        aa, ab, checks = stored["aa"], stored["ab"], pd.DataFrame(stored["checks"])
    else:
        aa = ex.calibration_study(n_sims=n_sims, lift=0.0, alpha=alpha, seed=seeds[0])
        ab = ex.calibration_study(n_sims=n_sims, lift=lift, alpha=alpha, seed=seeds[1])
        checks = calibration.calibration_checks(n_sims, seed=seeds[2], alpha=alpha, bootstrap_sims=bootstrap_sims)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"aa": aa, "ab": ab, "checks": checks.to_dict("records")}, default=_json_scalar)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            # Read back what was written, so a computed and a reused study are the same objects.
            stored = json.loads(text)
            aa, ab, checks = stored["aa"], stored["ab"], pd.DataFrame(stored["checks"])
    return CalibrationReport(aa, ab, checks, calibration_table(aa, ab, checks, alpha=alpha))


#: Modules whose source decides the calibration study's numbers (see :func:`calibration_report`).
_STUDY_SOURCES = ("readout.py", "calibration.py", "calibration_causal.py", "sequential.py", "experiments", "stats")


def _study_key(params: dict) -> str:
    """sha256 of the study's parameters, the numerical libraries' versions and its modules' source."""
    import scipy
    import statsmodels

    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode())
    digest.update(f"numpy {np.__version__} scipy {scipy.__version__} statsmodels {statsmodels.__version__}".encode())
    here = Path(__file__).parent
    for name in _STUDY_SOURCES:
        target = here / name
        for file in sorted(target.rglob("*.py")) if target.is_dir() else [target]:
            digest.update(file.relative_to(here).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:24]


def _json_scalar(value: Any) -> Any:
    """Plain JSON values of numpy scalars and arrays."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in the calibration cache")


# ----------------------------------------------------------------------------------- results
@dataclasses.dataclass
class TestingResults(NotebookResults):
    """What notebook 04 reports: the experiment's readout, the observational tests, calibration, decisions.

    Attributes
    ----------
    experiment : Readout, dict or None
        The readout, written as :meth:`Readout.to_dict` (None when the source has no experiment: the
        key is then left out of the results file). Version 2 added ``revenue_per_session``,
        ``revenue_per_user`` (each an ``EffectResult.to_dict()``), ``revenue_margin`` and
        ``decision_reason``.
    observational : dict
        :func:`ecommerce_analytics.observational.observational_results`.
    calibration : CalibrationReport or dict
        Written as :meth:`CalibrationReport.to_dict`.
    decisions : DataFrame
        :func:`ecommerce_analytics.observational.decisions_table`.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class despite its name

    NOTEBOOK: ClassVar[str] = "04_ab_testing_causal_inference"
    VERSION: ClassVar[int] = 2

    experiment: Readout | dict | None
    observational: dict
    calibration: CalibrationReport | dict
    decisions: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values; without an experiment the ``experiment`` key is left out."""
        out = super().to_dict()
        if out["experiment"] is None:
            del out["experiment"]
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TestingResults:
        """Rebuild from :meth:`to_dict`'s output (a missing ``experiment`` is None)."""
        return super().from_dict({"experiment": None, **values})
