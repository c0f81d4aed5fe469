"""Observational "tests" read from logs: discount, engagement and price, with their decisions.

None of the three treatments is randomized. Each runs through
:func:`ecommerce_analytics.causal.estimate_all` (naive contrast, regression adjustment, IPW,
AIPW, matching, after Crump et al.'s overlap trimming) on the other observed columns, and is
decided by one fixed rule, :func:`observational_decision`: never "ship" on observational
evidence alone. Every sentence notebook 04 shows about these tests is built here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import causal
from .metrics import bin_numeric
from .readout import Decision, Readout, money
from .reporting import ci, num, pct, pp
from .schema import missing_for
from .treatments import Contrast, above_median, discount_contrast

__all__ = [
    "COVARIATES",
    "LOGGED",
    "ESTIMATE_COLUMNS",
    "OK",
    "EXCLUDED",
    "ENGAGEMENT_LEVER",
    "estimate_status",
    "ObservationalTest",
    "run_test",
    "run_tests",
    "estimates_table",
    "note_sentences",
    "observational_truth",
    "kept_effects",
    "discount_sentence",
    "adjusted_sign",
    "sign_sentence",
    "observational_decision",
    "decisions_table",
    "decision_lines",
    "observational_results",
    "EngagementParadox",
    "engagement_paradox",
    "NO_PERSONAS",
    "next_step",
    "summary",
    "banner",
]

#: Candidate covariates and their kind (numeric or categorical); a test drops its treatment's own ingredients.
COVARIATES = {
    "pages_visited": "num",
    "time_spent": "num",
    "price": "num",
    "rating": "num",
    "sentiment_score": "num",
    "age": "num",
    "income_level": "cat",
    "category": "cat",
    "payment_method": "cat",
    "gender": "cat",
}
#: Covariates entered on the log scale.
LOGGED = ("pages_visited", "time_spent", "price")
#: Columns of the estimates table the notebook displays.
ESTIMATE_COLUMNS = ["test", "method", "estimand", "estimate", "ci_low", "ci_high", "p_value", "n", "trimmed", "status"]
#: Status of an estimate that may carry a conclusion.
OK = "ok"
#: Status of an excluded estimate, by the check it failed: drawn greyed, never used for a conclusion.
EXCLUDED = {
    "overlap": "excluded: limited overlap",
    "weighting": "excluded: imbalanced after weighting",
    "matching": "excluded: imbalanced after matching",
}
#: What could be randomized to move engagement, which the business cannot assign itself.
ENGAGEMENT_LEVER = (
    "a design change meant to raise engagement (e.g. better recommendations or a richer product page), "
    "assigned at random by user, with conversion as the outcome"
)
#: Engagement and price: how a sentence names the contrast, what the simulator does, the true sign.
SIGN_CHECKS = {
    "engagement": ("pages above the median", "more pages raise", "positive"),
    "price": ("price above the median", "a higher price lowers", "negative"),
}
ADJUSTED = "AIPW (doubly robust)"
NAIVE = "naive difference"
MATCHING = "propensity-score matching"


def estimate_status(table: pd.DataFrame, conclusion: Mapping[str, Any], matching_balance: pd.DataFrame) -> pd.Series:
    """Per estimate: :data:`OK`, or why it is excluded from conclusions (failed overlap or balance).

    The naive difference is a description, never a causal estimate, and is always "ok" as such.
    Every adjusted estimate is excluded when overlap fails (too many propensity scores outside
    [0.05, 0.95]); regression adjustment, IPW and AIPW when a covariate stays imbalanced after
    inverse-probability weighting; matching when a covariate stays imbalanced after matching.

    Parameters
    ----------
    table : DataFrame
        The test's estimates (``method``).
    conclusion : mapping
        :func:`ecommerce_analytics.causal.causal_conclusion` (``reasons``: a reason starting with
        "limited overlap" is an overlap failure, any other a weighted-balance failure).
    matching_balance : DataFrame
        The matching balance table (``imbalanced_after``).

    Returns
    -------
    Series of str
        Aligned with ``table``'s index.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["naive difference", "AIPW (doubly robust)", "propensity-score matching"]})
    >>> estimate_status(t, {"reasons": []}, pd.DataFrame({"imbalanced_after": [False, True]})).tolist()
    ['ok', 'ok', 'excluded: imbalanced after matching']
    >>> estimate_status(t, {"reasons": ["limited overlap: 57% ..."]}, pd.DataFrame({"imbalanced_after": [False]})).tolist()
    ['ok', 'excluded: limited overlap', 'excluded: limited overlap']
    """
    if "method" not in table.columns:
        raise ValueError("table must have a 'method' column")
    if "imbalanced_after" not in matching_balance.columns:
        raise ValueError("matching_balance must have an 'imbalanced_after' column")
    reasons = list(conclusion.get("reasons", []))
    overlap = any(r.startswith("limited overlap") for r in reasons)
    weighting = any(not r.startswith("limited overlap") for r in reasons)
    matching = bool(matching_balance["imbalanced_after"].any())

    def status(method: str) -> str:
        if method == NAIVE:
            return OK
        if overlap:
            return EXCLUDED["overlap"]
        if method == MATCHING:
            return EXCLUDED["matching"] if matching else OK
        return EXCLUDED["weighting"] if weighting else OK

    return pd.Series([status(m) for m in table["method"]], index=table.index, dtype=object)


def _row(table: pd.DataFrame, method: str, estimand: str = "ATE") -> pd.Series:
    rows = table[(table["method"] == method) & (table["estimand"] == estimand)]
    if rows.empty:
        raise ValueError(f"table has no row with method {method!r} and estimand {estimand!r}")
    return rows.iloc[0]


@dataclass(frozen=True)
class ObservationalTest:
    """One observational test: its contrast, estimates, matching balance and diagnostics.

    Attributes
    ----------
    name : str
        ``"discount"``, ``"engagement"`` or ``"price"``.
    contrast : Contrast
        Who is treated, and the contrast's label.
    table : DataFrame
        :func:`ecommerce_analytics.causal.estimate_all`'s estimates with a leading ``test`` column.
    balance : DataFrame
        The matching balance table (``smd_before, smd_after, imbalanced_before, imbalanced_after``).
    diagnostics : dict
        ``trimming``, ``kept``, ``ipw_balance`` and ``conclusion`` (see ``estimate_all``).
    """

    name: str
    contrast: Contrast
    table: pd.DataFrame
    balance: pd.DataFrame
    diagnostics: dict

    @property
    def adjusted(self) -> pd.Series:
        """The doubly robust (AIPW) ATE row."""
        return _row(self.table, ADJUSTED)

    @property
    def naive(self) -> pd.Series:
        """The naive difference row."""
        return _row(self.table, NAIVE)

    def diagnostics_sentence(self) -> str:
        """Trimming, weighted balance and whether a causal reading is allowed."""
        d, b = self.diagnostics, self.diagnostics["ipw_balance"]
        verdict = d["conclusion"]
        missing = d.get("covariates_missing") or []
        unadjusted = (
            f" Not adjusted for {', '.join(missing)} (not in this dataset): any confounding through them remains."
            if missing
            else ""
        )
        return (
            f"*{self.name}*: {d['trimming']['description']}; weighted balance: {int(b['imbalanced_weighted'].sum())} "
            f"of {len(b)} covariates with |SMD| > 0.1 (before weighting: {int(b['imbalanced_before'].sum())}); "
            "causal reading "
            + ("**allowed**." if verdict["allowed"] else "**withheld**: " + "; ".join(verdict["reasons"]) + ".")
            + unadjusted
        )

    def balance_sentence(self) -> str:
        """Covariate balance before and after matching, and after weighting."""
        b, before = self.balance, self.balance["smd_before"].abs()
        return (
            f"Before matching {int((before > 0.1).sum())} of {len(b)} covariates differ by more than 0.1 standard "
            f"deviations (largest: {before.idxmax()}, {before.max():.2f}); after matching, "
            f"{int(b['imbalanced_after'].sum())} do (largest {b['smd_after'].abs().max():.3f}); after "
            "inverse-probability weighting, "
            f"{int(self.diagnostics['ipw_balance']['imbalanced_weighted'].sum())} do."
        )

    def decision(self) -> Decision:
        """See :func:`observational_decision` (with whether the contrast can be assigned)."""
        return observational_decision(
            self.table,
            self.diagnostics["conclusion"],
            assignable=self.contrast.assignable,
            lever=self.contrast.lever,
            name=self.name,
        )


def run_test(
    sessions: pd.DataFrame,
    name: str,
    contrast: Contrast,
    exclude: set[str] | frozenset[str] = frozenset(),
    *,
    outcome: str = "purchase_decision",
    alpha: float = 0.05,
) -> ObservationalTest:
    """Estimate one observational test with every estimator of :func:`ecommerce_analytics.causal.estimate_all`.

    Parameters
    ----------
    sessions : DataFrame
        The sessions table.
    name : str
        The test's name (first column of its table).
    contrast : Contrast
        Who is treated.
    exclude : set of str
        Covariates left out (the treatment's own ingredients).
    outcome : str
        Binary outcome column.
    alpha : float
        Level of the intervals.

    Returns
    -------
    ObservationalTest

    References
    ----------
    Crump, Hotz, Imbens & Mitnik (2009), *Biometrika* 96, 187-199; Robins, Rotnitzky & Zhao
    (1994), *JASA* 89, 846-866.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    if outcome not in sessions.columns:
        raise ValueError(f"outcome must be a column of sessions, got {outcome!r}")
    # The covariates the data has: a dataset without some of them is adjusted for fewer confounders,
    # and the diagnostics record which were missing.
    numeric = [k for k, v in COVARIATES.items() if v == "num" and k not in exclude and k in sessions]
    categorical = [k for k, v in COVARIATES.items() if v == "cat" and k not in exclude and k in sessions]
    table, balance, diagnostics = causal.estimate_all(
        sessions, outcome, contrast.treated, numeric, categorical, list(LOGGED), alpha=alpha, return_diagnostics=True
    )
    table.insert(0, "test", name)
    diagnostics["covariates_missing"] = [k for k in COVARIATES if k not in exclude and k not in sessions]
    table["status"] = estimate_status(table, diagnostics["conclusion"], balance)
    return ObservationalTest(name, contrast, table, balance, diagnostics)


def run_tests(sessions: pd.DataFrame, *, alpha: float = 0.05) -> dict[str, ObservationalTest]:
    """The three tests: discount (:func:`~ecommerce_analytics.treatments.discount_contrast`), engagement and price.

    A test whose columns the data does not have is left out (:func:`~ecommerce_analytics.schema.missing_for`).

    Engagement is "pages above the median" (without pages and time as covariates), price "price
    above the median" (without price). Engagement is an outcome of the session, not an action the
    business can assign: its contrast is marked not assignable, with :data:`ENGAGEMENT_LEVER` as
    what could be randomized instead.

    Parameters
    ----------
    sessions : DataFrame
        The sessions table.
    alpha : float
        Level of the intervals.

    Returns
    -------
    dict of str to ObservationalTest
    """
    tests = {}
    if not missing_for("discounts", sessions):
        tests["discount"] = run_test(
            sessions, "discount", discount_contrast(sessions), {"discount_applied"}, alpha=alpha
        )
    if not missing_for("engagement", sessions):
        tests["engagement"] = run_test(
            sessions,
            "engagement",
            dataclasses.replace(
                above_median(sessions["pages_visited"], "pages"), assignable=False, lever=ENGAGEMENT_LEVER
            ),
            {"pages_visited", "time_spent"},
            alpha=alpha,
        )
    if not missing_for("revenue", sessions):
        tests["price"] = run_test(sessions, "price", above_median(sessions["price"], "price"), {"price"}, alpha=alpha)
    return tests


def estimates_table(tests: Mapping[str, ObservationalTest]) -> pd.DataFrame:
    """Every test's estimates in one table."""
    return pd.concat([t.table for t in tests.values()], ignore_index=True)


def note_sentences(estimates: pd.DataFrame) -> list[str]:
    """One line per estimate that carries a note (other than the trimming rule every adjusted estimate shares).

    Examples
    --------
    >>> t = pd.DataFrame({"test": ["a", "a"], "method": ["naive difference", "IPW"], "estimand": ["ATE", "ATE"],
    ...                   "note": ["no adjustment", "Crump et al. (2009) optimal trimming"]})
    >>> note_sentences(t)
    ['*a, naive difference (ATE)*: no adjustment.']
    """
    noted = estimates[(estimates["note"] != "") & ~estimates["note"].str.startswith("Crump")]
    return [f"*{r.test}, {r.method} ({r.estimand})*: {r.note}." for r in noted.itertuples()]


def observational_truth(test: ObservationalTest, truth: Any) -> dict:
    """The simulator's true discount effects, over all sessions and over the units the test kept.

    Parameters
    ----------
    test : ObservationalTest
        The discount test (its ``diagnostics["kept"]`` mask and contrast).
    truth : SimulationTruth
        ``discount_ate``, ``discount_att``, ``price_elasticity`` and per-session
        ``p_if_offered`` and ``p_if_not_offered``.

    Returns
    -------
    dict
        ``discount_ate, discount_att, discount_ate_kept, discount_att_kept, price_elasticity``.
    """
    kept = test.diagnostics["kept"]
    effect = (truth.sessions["p_if_offered"] - truth.sessions["p_if_not_offered"]).to_numpy()
    if len(effect) != len(kept):
        raise ValueError(f"truth has {len(effect)} sessions, the test {len(kept)}")
    treated = test.contrast.treated.to_numpy()
    return {
        "discount_ate": truth.discount_ate,
        "discount_att": truth.discount_att,
        "discount_ate_kept": float(effect[kept].mean()),
        "discount_att_kept": float(effect[kept & treated].mean()),
        "price_elasticity": truth.price_elasticity,
    }


def kept_effects(truth: Mapping[str, float] | None) -> dict[str, float] | None:
    """The true discount effects on the kept units by estimand, ``{"ATE": ..., "ATT": ...}`` (None without truth).

    Examples
    --------
    >>> kept_effects({"discount_ate_kept": 0.04, "discount_att_kept": 0.03})
    {'ATE': 0.04, 'ATT': 0.03}
    """
    if truth is None:
        return None
    return {"ATE": truth["discount_ate_kept"], "ATT": truth["discount_att_kept"]}


def _status(r: Any) -> str:
    return getattr(r, "status", OK) or OK


def _estimate(r: Any) -> str:
    return f"{r.method} ({r.estimand}): {pp(r.estimate)} ({ci(r.ci_low, r.ci_high, pp)})"


def discount_sentence(table: pd.DataFrame, label: str, truth: Mapping[str, float] | None = None) -> str:
    """The discount test in words: against the truth when it is known, else which estimates exclude zero.

    Parameters
    ----------
    table : DataFrame
        The discount test's estimates (``method, estimand, estimate, ci_low, ci_high``).
    label : str
        The contrast's label.
    truth : mapping, optional
        :func:`observational_truth`.

    Returns
    -------
    str

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["naive difference", "AIPW (doubly robust)"], "estimand": ["ATE", "ATE"],
    ...                   "estimate": [0.0, 0.02], "ci_low": [-0.01, 0.01], "ci_high": [0.01, 0.03]})
    >>> discount_sentence(t, "any discount vs none")  # doctest: +NORMALIZE_WHITESPACE
    '**Discount (any discount vs none).** naive difference (ATE): +0.0 pp (95% CI -1.0 pp to +1.0 pp);
    AIPW (doubly robust) (ATE): +2.0 pp (95% CI +1.0 pp to +3.0 pp). Distinguishable from zero:
    AIPW (doubly robust) (ATE).'
    """
    if truth is None:
        shown = [
            f"{r.method} ({r.estimand})"
            for r in table.itertuples()
            if (r.ci_low > 0 or r.ci_high < 0) and _status(r) == OK and r.method != NAIVE
        ]
        return (
            f"**Discount ({label}).** "
            + "; ".join(_estimate(r) + ("" if _status(r) == OK else f", {_status(r)}") for r in table.itertuples())
            + ". "
            + (
                "No estimate is distinguishable from zero."
                if not shown
                else f"Distinguishable from zero: {', '.join(shown)}."
            )
        )
    kept = kept_effects(truth)
    parts = [
        _estimate(r)
        + ", "
        + (_status(r) if _status(r) != OK else "covers" if r.ci_low <= kept[r.estimand] <= r.ci_high else "misses")
        for r in table[table["method"] != NAIVE].itertuples()
    ]
    naive = _row(table, NAIVE)
    return (
        f"**Discount ({label}).** True effect of an offer: {pp(truth['discount_ate'])} on average (ATE), "
        f"{pp(truth['discount_att'])} among the sessions that got one (ATT); on the units kept after trimming "
        f"{pp(kept['ATE'])} and {pp(kept['ATT'])}. Naive: {pp(naive.estimate)} "
        f"({ci(naive.ci_low, naive.ci_high, pp)}). " + "; ".join(parts) + " the truth of its estimand. "
        "Discounts go to shallow sessions and expensive items, which convert less, so the naive contrast is biased "
        f"{'down' if naive.estimate < truth['discount_ate'] else 'up'}; adjusting for the targeting variables "
        "removes the bias."
    )


def adjusted_sign(table: pd.DataFrame) -> str:
    """The sign of the AIPW ATE: ``"positive"``, ``"negative"`` or ``"not distinguishable from zero"``.

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["AIPW (doubly robust)"], "estimand": ["ATE"], "ci_low": [-0.01], "ci_high": [0.02]})
    >>> adjusted_sign(t)
    'not distinguishable from zero'
    """
    a = _row(table, ADJUSTED)
    return "positive" if a.ci_low > 0 else "negative" if a.ci_high < 0 else "not distinguishable from zero"


def sign_sentence(test: ObservationalTest, *, simulated: bool = False) -> str:
    """Engagement or price: naive vs AIPW, the adjusted sign, and (simulated) whether it agrees with the truth.

    Parameters
    ----------
    test : ObservationalTest
        The ``"engagement"`` or ``"price"`` test.
    simulated : bool
        Whether the data come from the simulator, whose causal signs are known.

    Returns
    -------
    str
    """
    if test.name not in SIGN_CHECKS:
        raise ValueError(f"test.name must be one of {sorted(SIGN_CHECKS)}, got {test.name!r}")
    what, mechanism, expected = SIGN_CHECKS[test.name]
    adj, naive, sign = test.adjusted, test.naive, adjusted_sign(test.table)
    text = (
        f"**{test.name.capitalize()}** ({what}): naive {pp(naive.estimate)} ({ci(naive.ci_low, naive.ci_high, pp)}), "
        f"AIPW {pp(adj.estimate)} ({ci(adj.ci_low, adj.ci_high, pp)}): {sign}."
    )
    conclusion = test.diagnostics["conclusion"]
    if not conclusion["allowed"]:
        text += " No causal reading: " + "; ".join(conclusion["reasons"]) + "."
    if simulated:
        text += f" In the simulator {mechanism} the chance of a cart (a {expected} causal effect): " + (
            "with overlap or balance failing, these logs cannot recover it, so the adjusted sign is not compared."
            if not conclusion["allowed"]
            else "the adjusted sign agrees."
            if sign == expected
            else "the adjusted sign does not agree."
        )
    return text


def observational_decision(
    table: pd.DataFrame,
    conclusion: Mapping[str, Any],
    *,
    assignable: bool = True,
    lever: str = "",
    name: str = "the treatment",
) -> Decision:
    """Decide an observational test by its AIPW ATE interval, never "ship" on observational evidence.

    The rule:

    1. **no causal conclusion** when overlap or balance fails (``conclusion["allowed"]`` is
       False), or the AIPW row is excluded (its ``status``, see :func:`estimate_status`), whatever
       the interval says: the reasons are given;
    2. for a treatment the business can assign (a discount, a price): **promising: confirm with a
       randomized test** when the interval lies above zero, **do not expand** when below;
    3. for one it cannot assign (engagement is an outcome of the session, not an action): no
       randomized test of the treatment itself is proposed; when the interval excludes zero the
       decision is **promising: randomize a lever that moves it**, naming ``lever``, what could be
       randomized instead (e.g. a design change meant to raise engagement);
    4. **inconclusive** when the interval includes zero.

    Parameters
    ----------
    table : DataFrame
        The test's estimates, with an ``AIPW (doubly robust)`` ATE row (and optionally ``status``).
    conclusion : mapping
        :func:`ecommerce_analytics.causal.causal_conclusion` (``allowed``, ``reasons``).
    assignable : bool, default True
        Whether the business can set the treatment itself.
    lever : str, default ""
        What could be randomized instead when it cannot (required then).
    name : str
        How the reason names the treatment.

    Returns
    -------
    Decision

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["AIPW (doubly robust)"], "estimand": ["ATE"], "estimate": [-0.02],
    ...                   "ci_low": [-0.03], "ci_high": [-0.01]})
    >>> observational_decision(t, {"allowed": True, "reasons": []})
    Decision(decision='do not expand', reason='adjusted effect -2.0 pp (95% CI -3.0 pp to -1.0 pp) is negative')
    >>> observational_decision(t, {"allowed": True, "reasons": []}, assignable=False, lever="a new layout").decision
    'promising: randomize a lever that moves it'
    """
    if "allowed" not in conclusion:
        raise ValueError("conclusion must have an 'allowed' entry (see causal.causal_conclusion)")
    if not assignable and not lever:
        raise ValueError("lever must name what could be randomized when assignable is False")
    a = _row(table, ADJUSTED)
    effect = f"adjusted effect {pp(a.estimate)} ({ci(a.ci_low, a.ci_high, pp)})"
    if not conclusion["allowed"] or _status(a) != OK:
        reasons = list(conclusion.get("reasons", [])) or [_status(a)]
        return Decision("no causal conclusion", "; ".join(reasons))
    if a.ci_low <= 0 <= a.ci_high:
        return Decision("inconclusive", f"{effect} includes zero")
    direction = "positive" if a.ci_low > 0 else "negative"
    if not assignable:
        return Decision(
            "promising: randomize a lever that moves it",
            f"{effect} is {direction}, but {name} is an outcome of the session, not an action the business can "
            f"assign, so it cannot be randomized itself: test {lever}",
        )
    if direction == "positive":
        return Decision(
            "promising: confirm with a randomized test", f"{effect} is positive, but the data are observational"
        )
    return Decision("do not expand", f"{effect} is negative")


def decisions_table(tests: Mapping[str, ObservationalTest], experiment: Decision | None = None) -> pd.DataFrame:
    """One line per test: the randomized experiment first (if any), then each observational test.

    Returns
    -------
    DataFrame
        ``test, decision, why``.
    """
    rows = []
    if experiment is not None:
        rows.append(
            {"test": "checkout experiment (randomized)", "decision": experiment.decision, "why": experiment.reason}
        )
    for name, test in tests.items():
        d = test.decision()
        rows.append({"test": f"{name} (observational)", "decision": d.decision, "why": d.reason})
    return pd.DataFrame(rows, columns=["test", "decision", "why"])


def decision_lines(decisions: pd.DataFrame) -> list[str]:
    """Markdown bullets of :func:`decisions_table`.

    Examples
    --------
    >>> decision_lines(pd.DataFrame([{"test": "t", "decision": "inconclusive", "why": "no data"}]))
    ['- **t: inconclusive**: no data.']
    """
    return [f"- **{r.test}: {r.decision}**: {r.why}." for r in decisions.itertuples()]


def _covariate_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index().rename(columns={"index": "covariate"})


def observational_results(
    tests: Mapping[str, ObservationalTest],
    truth: Mapping[str, float] | None = None,
    paradox: EngagementParadox | None = None,
) -> dict:
    """The results' ``observational`` entry: estimates, discount balance and contrast, diagnostics, truth.

    Parameters
    ----------
    tests : mapping of str to ObservationalTest
        :func:`run_tests` (must include ``"discount"``).
    truth : mapping, optional
        :func:`observational_truth` (simulated data only).
    paradox : EngagementParadox, optional
        :func:`engagement_paradox` (simulated data only): written as ``engagement_by_persona``.

    Returns
    -------
    dict
        ``estimates`` (with each estimate's ``status``), ``discount_balance``, ``discount_contrast``,
        ``discount_treated_share``, ``diagnostics``, and with the truth ``truth`` and
        ``engagement_by_persona``.
    """
    if "discount" not in tests:
        raise ValueError(f"tests must include 'discount', got {sorted(tests)}")
    discount = tests["discount"]
    out = {
        "estimates": estimates_table(tests),
        "discount_balance": _covariate_frame(discount.balance),
        "discount_contrast": discount.contrast.label,
        "discount_treated_share": discount.contrast.treated_share,
        "diagnostics": {
            name: {
                "trimming": t.diagnostics["trimming"],
                "conclusion": t.diagnostics["conclusion"],
                "ipw_balance": _covariate_frame(t.diagnostics["ipw_balance"]),
            }
            for name, t in tests.items()
        },
    }
    if truth is not None:
        out["truth"] = dict(truth)
    if paradox is not None:
        out["engagement_by_persona"] = paradox.table
    return out


# ------------------------------------------------------------------------ engagement paradox
#: What the notebook says about the engagement paradox on a source without personas.
NO_PERSONAS = (
    "**Engagement across personas.** On the simulator, notebook 01's pooled view (the shortest sessions convert "
    "best) and the adjusted engagement estimate (positive) disagree, and the hidden personas explain why: each "
    "persona sets both how long its sessions last and how likely it is to buy. A data file has no persona column "
    "(customer types are not observed), so the within-persona comparison cannot be made here, and an adjusted "
    "estimate is only as good as the observed columns' stand-in for such hidden types."
)

#: Label of the pooled rows of :func:`engagement_paradox`.
POOLED = "all sessions (pooled)"


@dataclass(frozen=True)
class EngagementParadox:
    """Conversion by session-duration band, pooled and within each persona (Simpson's paradox).

    Attributes
    ----------
    table : DataFrame
        ``group`` (a persona or :data:`POOLED`), ``band`` (``"Q1: lo to hi"``), ``band_index``
        (0 = shortest), ``sessions``, ``conversion``, ``share_of_band`` (the group's share of the
        band's sessions; 1 for the pooled rows). Persona cells with fewer than ``min_sessions``
        sessions are left out.
    label : str
        How a sentence names the banded column.
    """

    table: pd.DataFrame
    label: str

    def _ends(self, group: str) -> pd.Series:
        g = self.table[self.table["group"] == group].sort_values("band_index")
        return g.iloc[0], g.iloc[-1]

    def rising(self) -> list[str]:
        """The personas whose conversion is higher in their longest band than in their shortest."""
        personas = [g for g in self.table["group"].unique() if g != POOLED]
        return [g for g in personas if (lambda e: e[1].conversion > e[0].conversion)(self._ends(g))]

    def sentence(self, adjusted: str | None = None) -> str:
        """The pooled contrast, the within-persona trend, and who fills the shortest and longest bands.

        Examples
        --------
        >>> t = pd.DataFrame({"group": [POOLED, POOLED, "a", "a", "b", "b"], "band": ["Q1", "Q2"] * 3,
        ...     "band_index": [0, 1] * 3, "sessions": [100, 100, 80, 20, 20, 80],
        ...     "conversion": [0.4, 0.2, 0.45, 0.6, 0.1, 0.2], "share_of_band": [1, 1, 0.8, 0.2, 0.2, 0.8]})
        >>> print(EngagementParadox(t, "session duration").sentence())  # doctest: +NORMALIZE_WHITESPACE
        **Why longer sessions look worse but engagement helps (Simpson's paradox).** Pooled, conversion is
        40.0% in the shortest half of sessions by session duration and 20.0% in the longest (notebook 01's
        contrast), yet within 2 of 2 personas it rises from their shortest band to their longest: a 45.0% to
        60.0%, b 10.0% to 20.0%. The shortest sessions are mostly a (80%), the longest mostly b (80%). The
        hidden persona sets both how long a session lasts and how likely it is to buy, so the pooled contrast
        compares different customers, not short and long sessions of the same customer.
        >>> EngagementParadox(t, "d").sentence("positive").endswith("agrees with the within-persona trend.")
        True
        """
        first, last = self._ends(POOLED)
        n = int((self.table["group"] == POOLED).sum())
        part = {2: "half", 3: "third", 4: "quarter", 5: "fifth", 10: "tenth"}.get(n, f"band (of {n})")
        personas = self.table[self.table["group"] != POOLED]
        trends = ", ".join(
            f"{g.replace('_', ' ')} {pct(a.conversion)} to {pct(b.conversion)}"
            for g in personas["group"].unique()
            for a, b in [self._ends(g)]
        )
        top = {
            i: personas[personas["band_index"] == i].sort_values("share_of_band").iloc[-1]
            for i in (first.band_index, last.band_index)
        }
        return (
            "**Why longer sessions look worse but engagement helps (Simpson's paradox).** Pooled, conversion is "
            f"{pct(first.conversion)} in the shortest {part} of sessions by {self.label} and {pct(last.conversion)} in "
            f"the longest (notebook 01's contrast), yet within {len(self.rising())} of {personas['group'].nunique()} "
            f"personas it rises from their shortest band to their longest: {trends}. The shortest sessions are mostly "
            f"{top[first.band_index].group.replace('_', ' ')} ({pct(top[first.band_index].share_of_band, 0)}), the "
            f"longest mostly {top[last.band_index].group.replace('_', ' ')} "
            f"({pct(top[last.band_index].share_of_band, 0)}). The hidden persona sets both how long a session lasts "
            "and how likely it is to buy, so the pooled contrast compares different customers, not short and long "
            "sessions of the same customer."
            + (
                ""
                if adjusted is None
                else " The adjusted engagement estimate above, which compares sessions alike in the observed columns "
                f"that stand in for the persona, is {adjusted}"
                + (": it agrees with the within-persona trend." if adjusted == "positive" else ".")
            )
        )


def engagement_paradox(
    sessions: pd.DataFrame,
    persona: pd.Series,
    *,
    column: str = "time_spent",
    label: str = "session duration",
    q: int = 5,
    min_sessions: int = 30,
    outcome: str = "purchase_decision",
) -> EngagementParadox:
    """Conversion by quantile band of an engagement column, pooled and within each (simulated) persona.

    The bands are notebook 01's (:func:`ecommerce_analytics.metrics.bin_numeric` over all
    sessions), so the pooled row reproduces its shortest-vs-longest contrast.

    Parameters
    ----------
    sessions : DataFrame
        The sessions table.
    persona : Series
        Each session's persona (the simulator's truth), aligned with ``sessions``.
    column : str, default "time_spent"
        The engagement column.
    label : str
        How sentences name it.
    q : int, default 5
        Number of quantile bands.
    min_sessions : int, default 30
        Smallest persona cell shown.
    outcome : str
        Binary outcome column.

    Returns
    -------
    EngagementParadox

    References
    ----------
    Simpson, E. H. (1951), *J. R. Stat. Soc. B* 13, 238-241; Pearl, J. (2009), *Causality*, 2nd ed., ch. 6.

    Examples
    --------
    >>> s = pd.DataFrame({"time_spent": [1, 2, 3, 4], "purchase_decision": [1, 0, 1, 0]})
    >>> engagement_paradox(s, pd.Series(["a", "a", "b", "b"]), q=2, min_sessions=1).table.group.tolist()
    ['all sessions (pooled)', 'all sessions (pooled)', 'a', 'b']
    """
    for name in (column, outcome):
        if name not in sessions.columns:
            raise ValueError(f"{'column' if name == column else 'outcome'} must be a column of sessions, got {name!r}")
    if len(persona) != len(sessions):
        raise ValueError(f"persona must have one value per session ({len(sessions)}), got {len(persona)}")
    if q < 2:
        raise ValueError(f"q must be at least 2, got {q!r}")
    if min_sessions < 1:
        raise ValueError(f"min_sessions must be at least 1, got {min_sessions!r}")
    band = bin_numeric(sessions[column].reset_index(drop=True), q)
    frame = pd.DataFrame(
        {
            "group": np.asarray(persona, dtype=object),
            "band": band.to_numpy(),
            "y": sessions[outcome].to_numpy(float),
        }
    )
    frame["band_index"] = frame["band"].str.extract(r"^Q(\d+)", expand=False).astype(int) - 1
    size = frame.groupby("band_index").size()
    pooled = frame.assign(group=POOLED)
    cells = (
        pd.concat([pooled, frame])
        .groupby(["group", "band_index", "band"], sort=False)
        .agg(sessions=("y", "size"), conversion=("y", "mean"))
        .reset_index()
    )
    cells["share_of_band"] = cells["sessions"] / cells["band_index"].map(size)
    cells = cells[(cells["group"] == POOLED) | (cells["sessions"] >= min_sessions)]
    order = {POOLED: ""}
    cells = cells.sort_values(["group", "band_index"], key=lambda c: c.map(order).fillna(c) if c.name == "group" else c)
    return EngagementParadox(cells.reset_index(drop=True), label)


# ----------------------------------------------------------------------------------- summary
#: What to do after each decision label, ``{name}`` being the test's name.
NEXT_STEPS = {
    "promising: confirm with a randomized test": "confirm the {name} effect with a randomized test before acting on it",
    "promising: randomize a lever that moves it": "randomize a design change meant to raise {name}, not {name} itself",
    "do not expand": "do not expand {name}",
    "no causal conclusion": "draw no conclusion on {name} from these logs",
    "inconclusive": "no action on {name}",
}


def next_step(name: str, decision: Decision) -> str:
    """What to do after an observational test's decision, in a few words.

    Examples
    --------
    >>> next_step("price", Decision("no causal conclusion", "limited overlap"))
    'draw no conclusion on price from these logs'
    """
    if decision.decision not in NEXT_STEPS:
        raise ValueError(f"decision.decision must be one of {sorted(NEXT_STEPS)}, got {decision.decision!r}")
    return NEXT_STEPS[decision.decision].format(name=name)


def _experiment_answer(readout: Readout) -> tuple[str, str]:
    p, r, d = readout.primary, readout.revenue_per_session, readout.decision
    answer = (
        f"The new checkout changes session conversion by **{pp(p.estimate)}** ({ci(p.ci_low, p.ci_high, pp)}) and "
        f"revenue per session by **{money(r.estimate, signed=True)}** ({money(r.control)} vs {money(r.treatment)}, "
        f"95% CI {money(r.ci_low, signed=True)} to {money(r.ci_high, signed=True)}): **{d.decision}**."
    )
    if d.decision == "ship":
        todo = "ship the new checkout"
    elif d.decision == "do not ship":
        todo = "do not ship the new checkout"
    else:
        flat = p.ci_low > 0 and r.ci_low <= 0 <= r.ci_high
        todo = "do not ship the new checkout yet" + (
            ": it sells more orders but not more money per session; extend the test or decide on revenue knowingly"
            if flat
            else ": extend the test until the rule can decide"
        )
    return answer, todo


def summary(readout: Readout | None, tests: Mapping[str, ObservationalTest]) -> str:
    """The notebook's opening summary: the question, the answer with its key numbers, what to do.

    Parameters
    ----------
    readout : Readout or None
        :func:`ecommerce_analytics.readout.read_out` (None: the source has no experiment).
    tests : mapping of str to ObservationalTest
        :func:`run_tests`.

    Returns
    -------
    str
        Markdown.
    """
    if readout is None:
        answer, todos = "This source has no randomized experiment.", []
    else:
        answer, todo = _experiment_answer(readout)
        todos = [todo]
    found = []
    for name, test in tests.items():
        d = test.decision()
        a = test.adjusted
        found.append(
            f"{name} {pp(a.estimate)} ({d.decision})"
            if d.decision != "no causal conclusion"
            else f"{name}: no causal conclusion"
        )
        todos.append(next_step(name, d))
    return (
        "**Question.** Should the new checkout ship, and what do the logs say about discounts, engagement and price? "
        f"\n\n**Answer.** {answer} From the logs (adjusted effects on conversion): " + "; ".join(found) + "."
        "\n\n**What to do.** " + "; ".join(t[0].upper() + t[1:] if i == 0 else t for i, t in enumerate(todos)) + "."
    )


def banner(
    label: str, n_sessions: int, readout: Readout | None, tests: Mapping[str, ObservationalTest], truth: Any = None
) -> str:
    """The source, and on the simulator what was planted and what this notebook recovered.

    Parameters
    ----------
    label : str
        The run's label.
    n_sessions : int
        Sessions analysed.
    readout : Readout or None
        The experiment's readout.
    tests : mapping of str to ObservationalTest
        :func:`run_tests`.
    truth : SimulationTruth, optional
        The simulator's truth (None for a data file).

    Returns
    -------
    str
    """
    head = f"**Source: {label}**, {num(n_sessions)} sessions."
    if truth is None:
        return (
            head + " A data file: no randomized experiment and no known truth, so the observational estimates cannot "
            "be checked against one, and a causal reading rests on the observed columns alone."
        )
    planted = [
        f"a discount effect of {pp(truth.discount_ate)} on average ({pp(truth.discount_att)} on the sessions offered one)"
    ]
    recovered = []
    if readout is not None:
        planted.insert(
            0,
            f"a checkout conversion lift of {pp(readout.true_absolute_lift)} on the experiment's sessions and no revenue effect",
        )
        recovered.append(
            f"conversion lift {pp(readout.primary.estimate)} (interval {'covers' if readout.covers_truth else 'misses'} the truth)"
        )
    if "discount" in tests:
        a = tests["discount"].adjusted
        recovered.append(f"discount {pp(a.estimate)} ({ci(a.ci_low, a.ci_high, pp)})")
    planted.append(
        "hidden personas that set both engagement and the will to buy; more pages raise, a higher price lowers the chance of a cart"
    )
    for name in ("engagement", "price"):
        if name in tests:
            t, expected = tests[name], SIGN_CHECKS[name][2]
            sign = adjusted_sign(t.table)
            recovered.append(
                f"{name} {sign} ({'agrees' if sign == expected else 'planted: ' + expected})"
                if t.diagnostics["conclusion"]["allowed"]
                else f"{name}: no causal reading (overlap or balance fails)"
            )
    return head + " Planted: " + "; ".join(planted) + ". Recovered: " + "; ".join(recovered) + "."
