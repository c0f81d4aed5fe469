"""Observational "tests" read from logs: discount, engagement and price, with their decisions.

None of the three treatments is randomized. Each runs through
:func:`ecommerce_analytics.causal.estimate_all` (naive contrast, regression adjustment, IPW,
AIPW, matching, after Crump et al.'s overlap trimming) on the other observed columns, and is
decided by one fixed rule, :func:`observational_decision`: never "ship" on observational
evidence alone. Every sentence notebook 04 shows about these tests is built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import causal
from .readout import Decision
from .reporting import ci, pp
from .treatments import Contrast, above_median, discount_contrast

__all__ = [
    "COVARIATES",
    "LOGGED",
    "ESTIMATE_COLUMNS",
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
ESTIMATE_COLUMNS = ["test", "method", "estimand", "estimate", "ci_low", "ci_high", "p_value", "n", "trimmed"]
#: Engagement and price: how a sentence names the contrast, what the simulator does, the true sign.
SIGN_CHECKS = {
    "engagement": ("pages above the median", "more pages raise", "positive"),
    "price": ("price above the median", "a higher price lowers", "negative"),
}
ADJUSTED = "AIPW (doubly robust)"
NAIVE = "naive difference"


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
        return (
            f"*{self.name}*: {d['trimming']['description']}; weighted balance: {int(b['imbalanced_weighted'].sum())} "
            f"of {len(b)} covariates with |SMD| > 0.1 (before weighting: {int(b['imbalanced_before'].sum())}); "
            "causal reading "
            + ("**allowed**." if verdict["allowed"] else "**withheld**: " + "; ".join(verdict["reasons"]) + ".")
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
        """See :func:`observational_decision`."""
        return observational_decision(self.table, self.diagnostics["conclusion"])


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
    numeric = [k for k, v in COVARIATES.items() if v == "num" and k not in exclude]
    categorical = [k for k, v in COVARIATES.items() if v == "cat" and k not in exclude]
    table, balance, diagnostics = causal.estimate_all(
        sessions, outcome, contrast.treated, numeric, categorical, list(LOGGED), alpha=alpha, return_diagnostics=True
    )
    table.insert(0, "test", name)
    return ObservationalTest(name, contrast, table, balance, diagnostics)


def run_tests(sessions: pd.DataFrame, *, alpha: float = 0.05) -> dict[str, ObservationalTest]:
    """The three tests: discount (:func:`~ecommerce_analytics.treatments.discount_contrast`), engagement and price.

    Engagement is "pages above the median" (without pages and time as covariates), price "price
    above the median" (without price).

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
    return {
        "discount": run_test(sessions, "discount", discount_contrast(sessions), {"discount_applied"}, alpha=alpha),
        "engagement": run_test(
            sessions,
            "engagement",
            above_median(sessions["pages_visited"], "pages"),
            {"pages_visited", "time_spent"},
            alpha=alpha,
        ),
        "price": run_test(sessions, "price", above_median(sessions["price"], "price"), {"price"}, alpha=alpha),
    }


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
        shown = [f"{r.method} ({r.estimand})" for r in table.itertuples() if r.ci_low > 0 or r.ci_high < 0]
        return (
            f"**Discount ({label}).** "
            + "; ".join(_estimate(r) for r in table.itertuples())
            + ". "
            + (
                "No estimate is distinguishable from zero."
                if not shown
                else f"Distinguishable from zero: {', '.join(shown)}."
            )
        )
    kept = kept_effects(truth)
    parts = [
        _estimate(r) + ", " + ("covers" if r.ci_low <= kept[r.estimand] <= r.ci_high else "misses")
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
        text += (
            f" In the simulator {mechanism} the chance of a cart (a {expected} causal effect): the adjusted sign "
            + ("agrees." if sign == expected else "does not agree.")
        )
    return text


def observational_decision(table: pd.DataFrame, conclusion: Mapping[str, Any]) -> Decision:
    """Decide an observational test by its AIPW ATE interval, never "ship" on observational evidence.

    No causal conclusion when overlap or balance fails; otherwise "promising: confirm with a
    randomized test" when the interval lies above zero, "do not expand" when below, and
    "inconclusive" when it includes zero.

    Parameters
    ----------
    table : DataFrame
        The test's estimates, with an ``AIPW (doubly robust)`` ATE row.
    conclusion : mapping
        :func:`ecommerce_analytics.causal.causal_conclusion` (``allowed``, ``reasons``).

    Returns
    -------
    Decision

    Examples
    --------
    >>> t = pd.DataFrame({"method": ["AIPW (doubly robust)"], "estimand": ["ATE"], "estimate": [-0.02],
    ...                   "ci_low": [-0.03], "ci_high": [-0.01]})
    >>> observational_decision(t, {"allowed": True, "reasons": []})
    Decision(decision='do not expand', reason='adjusted effect -2.0 pp (95% CI -3.0 pp to -1.0 pp) is negative')
    """
    if "allowed" not in conclusion:
        raise ValueError("conclusion must have an 'allowed' entry (see causal.causal_conclusion)")
    a = _row(table, ADJUSTED)
    effect = f"adjusted effect {pp(a.estimate)} ({ci(a.ci_low, a.ci_high, pp)})"
    if not conclusion["allowed"]:
        return Decision("no causal conclusion", "; ".join(conclusion.get("reasons", [])))
    if a.ci_low > 0:
        return Decision(
            "promising: confirm with a randomized test", f"{effect} is positive, but the data are observational"
        )
    if a.ci_high < 0:
        return Decision("do not expand", f"{effect} is negative")
    return Decision("inconclusive", f"{effect} includes zero")


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


def observational_results(tests: Mapping[str, ObservationalTest], truth: Mapping[str, float] | None = None) -> dict:
    """The results' ``observational`` entry: estimates, discount balance and contrast, diagnostics, truth.

    Parameters
    ----------
    tests : mapping of str to ObservationalTest
        :func:`run_tests` (must include ``"discount"``).
    truth : mapping, optional
        :func:`observational_truth` (simulated data only).

    Returns
    -------
    dict
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
    return out
