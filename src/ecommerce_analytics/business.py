"""From results to decisions: insights, recommendations, their order, and impact ranges.

Notebook 05 reads the typed results of notebooks 01-04 (an :class:`Upstream`) and recomputes
nothing from the data. Everything it shows is built here from declared fields of those results
(never from display labels or figure titles): the insights, the recommendations with their
evidence and impact, the order they are shown in, the impact arithmetic (upstream 95% intervals
carried into 90% impact ranges by simulation), the segment playbook and the limits.
:class:`RecommendationsResults` is what notebook 05 writes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from .reporting import NotebookResults, num, pct, pp
from .run import Run

__all__ = [
    "NOTEBOOKS",
    "NAIVE",
    "AIPW",
    "Upstream",
    "load_all",
    "Assumptions",
    "Insight",
    "Recommendation",
    "RecommendationsResults",
    "normal_draws",
    "impact_range",
    "per_cart_value",
    "cart_recovery_impact",
    "discount_impact",
    "experiment_impact",
    "impact_ranges",
    "best_model",
    "ate_estimates",
    "biggest_drop",
    "naive_vs_truth",
    "run_sentence",
    "insights",
    "recommendations",
    "RECOMMENDATION_ORDER",
    "rank_recommendations",
    "recommendations_frame",
    "model_comparison",
    "segment_playbook",
    "cart_policy_sentence",
    "limits",
]

#: The notebooks whose results notebook 05 reads, as (attribute of :class:`Upstream`, notebook).
NOTEBOOKS = (
    ("explore", "01_exploratory_data_analysis"),
    ("segmentation", "02_customer_segmentation"),
    ("prediction", "03_purchase_prediction"),
    ("testing", "04_ab_testing_causal_inference"),
)
#: Values of the ``method`` column of notebook 04's ``observational.estimates`` (the estimator
#: names of :mod:`ecommerce_analytics.causal`).
NAIVE = "naive difference"
AIPW = "AIPW (doubly robust)"
_Z975 = 1.959964  # standard normal 97.5% quantile


# --------------------------------------------------------------------------- inputs


@dataclasses.dataclass(frozen=True)
class Upstream:
    """The results of notebooks 01-04 of one run, as read by notebook 05.

    Each attribute is that notebook's results object; its fields are the notebook's declared
    results (``explore.metrics``, ``prediction.value``, ``testing.calibration``, ...).

    Parameters
    ----------
    explore, segmentation, prediction, testing : object
        Results of notebooks 01, 02, 03 and 04 (typed results, or any object with the same fields).
    """

    explore: Any
    segmentation: Any
    prediction: Any
    testing: Any

    @property
    def simulated(self) -> bool:
        """Whether the run knows the truth (simulated data): notebook 04 reports ``observational.truth``."""
        return self.testing.observational.get("truth") is not None

    @property
    def experiment(self) -> dict | None:
        """Notebook 04's checkout experiment, or ``None`` when the run has none (data files)."""
        return getattr(self.testing, "experiment", None) or None

    @classmethod
    def from_dicts(cls, results: dict[str, dict]) -> Upstream:
        """Build from the ``results`` part of each notebook's JSON, keyed by notebook name.

        An adapter for results given as plain dicts (constructed cases, old files): each dict's
        keys become attributes, so the code reads the same fields as on the typed results.

        Examples
        --------
        >>> up = Upstream.from_dicts({nb: {"k": i} for i, (_, nb) in enumerate(NOTEBOOKS)})
        >>> up.prediction.k
        2
        """
        return cls(**{attr: SimpleNamespace(**results[nb]) for attr, nb in NOTEBOOKS})


def _typed_classes() -> dict[str, type[NotebookResults]]:
    """The typed results class of each upstream notebook (imported when needed: modeling is heavy)."""
    from .explore import ExploreResults
    from .modeling import PredictionResults
    from .readout import TestingResults
    from .segmentation import SegmentationResults

    return {
        "explore": ExploreResults,
        "segmentation": SegmentationResults,
        "prediction": PredictionResults,
        "testing": TestingResults,
    }


def load_all(run: Run | None = None) -> Upstream:
    """The typed results of notebooks 01-04 of a run (default: the committed run).

    Each notebook's results class (``ExploreResults``, ``SegmentationResults``,
    ``PredictionResults``, ``TestingResults``) reads its file and refuses another structure
    version (:class:`~ecommerce_analytics.reporting.ResultsVersionError`).

    Parameters
    ----------
    run : Run, optional
        The run whose published results are read (default: the committed default run).

    Returns
    -------
    Upstream
        One results object per notebook.

    Raises
    ------
    FileNotFoundError
        A notebook's results are missing (run the notebooks before it).
    """
    run = run or Run()
    return Upstream(**{attr: cls.load(run) for attr, cls in _typed_classes().items()})


@dataclasses.dataclass(frozen=True)
class Assumptions:
    """Business assumptions the impact ranges rest on.

    Parameters
    ----------
    monthly_sessions : float
        Sessions per month the changes apply to (> 0).
    margin : float
        Gross margin on an order, in [0, 1].
    adoption : float
        Share of eligible traffic a change actually reaches, in [0, 1].

    Examples
    --------
    >>> Assumptions(100_000, 0.3, 0.8).to_dict()
    {'monthly_sessions': 100000, 'margin': 0.3, 'adoption': 0.8}
    >>> Assumptions(100_000, 1.5, 0.8)
    Traceback (most recent call last):
    ...
    ValueError: margin must be between 0 and 1, got 1.5
    """

    monthly_sessions: float
    margin: float
    adoption: float

    def __post_init__(self) -> None:
        if not self.monthly_sessions > 0:
            raise ValueError(f"monthly_sessions must be a positive number, got {self.monthly_sessions!r}")
        for name in ("margin", "adoption"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")

    def to_dict(self) -> dict[str, float]:
        """The assumptions as written to the results (``monthly_sessions``, ``margin``, ``adoption``)."""
        return {"monthly_sessions": self.monthly_sessions, "margin": self.margin, "adoption": self.adoption}

    def table(self, value: dict) -> pd.DataFrame:
        """The assumptions as a table, with notebook 03's intervention assumptions (its ``value`` field).

        Examples
        --------
        >>> t = Assumptions(1000, 0.3, 0.8).table({"margin": 0.3, "offer_cost": 2.0, "uplift": 0.1})
        >>> t.parameter.tolist()
        ['MONTHLY_SESSIONS', 'MARGIN', 'ADOPTION', 'intervention (notebook 03)']
        >>> t.value.iloc[3]
        'margin 0.3, cost 2.0, uplift 0.1'
        """
        return pd.DataFrame(
            [
                {
                    "parameter": "MONTHLY_SESSIONS",
                    "value": self.monthly_sessions,
                    "meaning": "sessions per month the changes apply to",
                },
                {"parameter": "MARGIN", "value": self.margin, "meaning": "gross margin on an order"},
                {
                    "parameter": "ADOPTION",
                    "value": self.adoption,
                    "meaning": "share of eligible traffic a change reaches",
                },
                {
                    "parameter": "intervention (notebook 03)",
                    "value": f"margin {value['margin']}, cost {value['offer_cost']}, uplift {value['uplift']}",
                    "meaning": "assumptions of the cart-recovery value curve",
                },
            ]
        )


# --------------------------------------------------------------------------- impact arithmetic


def normal_draws(estimate: float, ci_low: float, ci_high: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draws that carry a 95% interval's uncertainty: Normal(estimate, (high - low) / 3.92).

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        A point estimate and its 95% confidence interval (a reversed interval counts as width 0).
    n : int
        Number of draws (>= 1).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``n`` draws.

    Examples
    --------
    >>> normal_draws(2.0, 2.0, 2.0, 3, np.random.default_rng(0)).tolist()
    [2.0, 2.0, 2.0]
    """
    if int(n) < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return rng.normal(estimate, max(ci_high - ci_low, 0.0) / (2 * _Z975), n)


def impact_range(
    simulate: Callable[[np.random.Generator, int], np.ndarray], *, n: int = 20_000, seed: int = 0
) -> dict[str, float]:
    """5th, 50th and 95th percentiles of an impact computed from uncertain inputs.

    Parameters
    ----------
    simulate : callable
        ``simulate(rng, n)`` returns ``n`` simulated impacts.
    n : int
        Number of simulations (>= 1).
    seed : int
        Seed of the generator handed to ``simulate``.

    Returns
    -------
    dict
        ``p5``, ``median`` and ``p95`` (a 90% range and its middle).

    Examples
    --------
    >>> impact_range(lambda g, n: np.full(n, 7.0))
    {'p5': 7.0, 'median': 7.0, 'p95': 7.0}
    """
    if int(n) < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    values = np.asarray(simulate(np.random.default_rng(seed), n), dtype=float)
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": float(p5), "median": float(p50), "p95": float(p95)}


def per_cart_value(value: dict) -> tuple[float, float, float]:
    """Value of the cart-recovery policy per held-out cart: (estimate, 95% CI low, high).

    ``value`` is notebook 03's ``value`` field (``value``, ``ci_low``, ``ci_high`` over
    ``held_out_carts`` carts).

    Examples
    --------
    >>> per_cart_value({"value": 50.0, "ci_low": 10.0, "ci_high": 90.0, "held_out_carts": 100})
    (0.5, 0.1, 0.9)
    """
    carts = value["held_out_carts"]
    if not carts > 0:
        raise ValueError(f"value['held_out_carts'] must be positive, got {carts!r}")
    return (value["value"] / carts, value["ci_low"] / carts, value["ci_high"] / carts)


def cart_recovery_impact(
    value: dict, cart_rate: float, assumptions: Assumptions, *, n: int = 20_000, seed: int = 0
) -> dict[str, float]:
    """Monthly value of the cart-recovery nudge: value per cart times the carts it reaches.

    Carts reached per month = ``monthly_sessions * cart_rate * adoption``; the value per cart
    (:func:`per_cart_value`) varies within its 95% interval.

    Parameters
    ----------
    value : dict
        Notebook 03's ``value`` field.
    cart_rate : float
        Share of sessions with a cart (notebook 01's ``metrics.cart_rate.estimate``), in [0, 1].
    assumptions : Assumptions
        Traffic and adoption.
    n, seed : int
        Simulation size and seed (:func:`impact_range`).

    Returns
    -------
    dict
        ``p5``, ``median``, ``p95`` of the value per month (value units).

    Examples
    --------
    >>> v = {"value": 50.0, "ci_low": 50.0, "ci_high": 50.0, "held_out_carts": 100}
    >>> cart_recovery_impact(v, 0.5, Assumptions(1000, 0.3, 0.8))["median"]  # 0.5 per cart * 400 carts
    200.0
    """
    if not 0 <= cart_rate <= 1:
        raise ValueError(f"cart_rate must be between 0 and 1, got {cart_rate!r}")
    monthly_carts = assumptions.monthly_sessions * cart_rate * assumptions.adoption
    per_cart = per_cart_value(value)
    return impact_range(lambda g, k: normal_draws(*per_cart, k, g) * monthly_carts, n=n, seed=seed)


def discount_impact(
    effect: dict, treated_share: float, assumptions: Assumptions, *, n: int = 20_000, seed: int = 0
) -> dict[str, float]:
    """Extra orders per month from discounts at today's offer volume.

    Offers per month = ``monthly_sessions * treated_share * adoption``, times the effect of an
    offer on conversion (varying within its 95% interval).

    Parameters
    ----------
    effect : dict
        ``estimate``, ``ci_low``, ``ci_high`` of the effect of an offer on conversion (notebook 04's
        AIPW row).
    treated_share : float
        Share of sessions offered a discount, in [0, 1].
    assumptions : Assumptions
        Traffic and adoption.
    n, seed : int
        Simulation size and seed.

    Returns
    -------
    dict
        ``p5``, ``median``, ``p95`` of extra orders per month.

    Examples
    --------
    >>> e = {"estimate": 0.05, "ci_low": 0.05, "ci_high": 0.05}
    >>> discount_impact(e, 0.25, Assumptions(1000, 0.3, 0.8))["median"]  # 0.05 * 200 offers
    10.0
    """
    if not 0 <= treated_share <= 1:
        raise ValueError(f"treated_share must be between 0 and 1, got {treated_share!r}")
    offered = assumptions.monthly_sessions * treated_share * assumptions.adoption
    return impact_range(
        lambda g, k: normal_draws(effect["estimate"], effect["ci_low"], effect["ci_high"], k, g) * offered,
        n=n,
        seed=seed,
    )


def experiment_impact(
    lift: dict, order_value: dict, assumptions: Assumptions, *, n: int = 20_000, seed: int = 0
) -> dict[str, float]:
    """Margin per month if the tested checkout ships: lift x sessions x adoption x order value x margin.

    Both the conversion lift and the average order value vary within their 95% intervals.

    Parameters
    ----------
    lift : dict
        ``estimate``, ``ci_low``, ``ci_high`` of the absolute lift in session conversion.
    order_value : dict
        ``estimate``, ``ci_low``, ``ci_high`` of the average order value.
    assumptions : Assumptions
        Traffic, adoption and margin.
    n, seed : int
        Simulation size and seed.

    Returns
    -------
    dict
        ``p5``, ``median``, ``p95`` of margin per month.

    Examples
    --------
    >>> lift = {"estimate": 0.02, "ci_low": 0.02, "ci_high": 0.02}
    >>> aov = {"estimate": 50.0, "ci_low": 50.0, "ci_high": 50.0}
    >>> round(experiment_impact(lift, aov, Assumptions(1000, 0.3, 0.8))["median"], 6)  # 0.02*1000*0.8*50*0.3
    240.0
    """

    def simulate(g: np.random.Generator, k: int) -> np.ndarray:
        draws = normal_draws(lift["estimate"], lift["ci_low"], lift["ci_high"], k, g)
        return (
            draws
            * assumptions.monthly_sessions
            * assumptions.adoption
            * normal_draws(order_value["estimate"], order_value["ci_low"], order_value["ci_high"], k, g)
            * assumptions.margin
        )

    return impact_range(simulate, n=n, seed=seed)


def impact_ranges(up: Upstream, assumptions: Assumptions) -> dict[str, dict[str, float]]:
    """The impact range of each recommendation of a simulated run; empty for data files.

    Keys ``cart_recovery`` (value / month), ``discount_orders`` (extra orders / month) and
    ``experiment_margin`` (margin / month). A run without a known truth (a data file) has no
    estimable impact and returns ``{}``.
    """
    if not up.simulated:
        return {}
    metrics, experiment = up.explore.metrics, up.experiment
    return {
        "cart_recovery": cart_recovery_impact(up.prediction.value, metrics["cart_rate"]["estimate"], assumptions),
        "discount_orders": discount_impact(
            ate_estimates(up.testing.observational)[AIPW],
            up.testing.observational["discount_treated_share"],
            assumptions,
        ),
        "experiment_margin": experiment_impact(
            experiment["primary_session_conversion"], metrics["avg_order_value"], assumptions
        ),
    }


# --------------------------------------------------------------------------- reading the results


def _records(table: Any) -> list[dict]:
    """Rows of a table given as a list of records or a data frame."""
    if isinstance(table, pd.DataFrame):
        return table.to_dict(orient="records")
    return list(table)


def best_model(stage: dict) -> dict:
    """The row of a stage's model table (notebook 03's ``browse`` or ``cart``) flagged ``best``.

    Examples
    --------
    >>> best_model({"table": [{"model": "a", "best": False}, {"model": "b", "best": True}]})["model"]
    'b'
    """
    rows = [row for row in _records(stage["table"]) if row["best"]]
    if not rows:
        raise ValueError("stage['table'] has no row flagged best")
    return rows[0]


def ate_estimates(observational: dict, test: str = "discount") -> dict[str, dict]:
    """Notebook 04's average-treatment-effect estimates for one test, by estimator (``method``).

    Rows without an ``estimand`` count as ATE (results written before ATT rows existed).

    Examples
    --------
    >>> obs = {"estimates": [{"test": "discount", "method": "m", "estimand": "ATE", "estimate": 1},
    ...                      {"test": "discount", "method": "m", "estimand": "ATT", "estimate": 2},
    ...                      {"test": "price", "method": "m", "estimand": "ATE", "estimate": 3}]}
    >>> ate_estimates(obs)["m"]["estimate"]
    1
    """
    return {
        row["method"]: row
        for row in _records(observational["estimates"])
        if row["test"] == test and row.get("estimand", "ATE") == "ATE"
    }


def biggest_drop(funnel: Any) -> tuple[str, str, float]:
    """The funnel step that keeps the smallest share of the previous stage: (from, to, share kept).

    Parameters
    ----------
    funnel : DataFrame or list of dict
        Notebook 01's ``funnel``: ``stage`` and ``share_of_previous`` in funnel order.

    Examples
    --------
    >>> biggest_drop([{"stage": "Sessions", "share_of_previous": None},
    ...               {"stage": "Cart", "share_of_previous": 0.6},
    ...               {"stage": "Purchase", "share_of_previous": 0.35}])
    ('Cart', 'Purchase', 0.35)
    """
    table = pd.DataFrame(_records(funnel))
    if len(table) < 2:
        raise ValueError(f"funnel must have at least 2 stages, got {len(table)}")
    shares = pd.to_numeric(table["share_of_previous"], errors="coerce")
    drop = int(shares.iloc[1:].reset_index(drop=True).idxmin()) + 1
    return str(table["stage"].iloc[drop - 1]), str(table["stage"].iloc[drop]), float(shares.iloc[drop])


def naive_vs_truth(sensitivity_table: Any) -> str:
    """How the naive with-vs-without discount contrast compares with the true offer effect by segment.

    Uses the rows of notebook 02's ``discount_sensitivity.table`` that have both ``difference``
    and ``true_offer_effect``.

    Examples
    --------
    >>> naive_vs_truth([{"difference": 0.01, "true_offer_effect": 0.05}])
    'understates the true effect in every segment'
    >>> naive_vs_truth([{"difference": 0.01, "true_offer_effect": 0.05}, {"difference": 0.1, "true_offer_effect": 0.0}])
    'errs in both directions across segments'
    """
    gaps = [
        r["difference"] - r["true_offer_effect"]
        for r in _records(sensitivity_table)
        if r.get("difference") is not None and r.get("true_offer_effect") is not None
    ]
    if gaps and max(gaps) < 0:
        return "understates the true effect in every segment"
    if gaps and min(gaps) > 0:
        return "overstates the true effect in every segment"
    return "errs in both directions across segments"


def run_sentence(run_name: str, simulated: bool) -> str:
    """The sentence that says which run's results the notebook reads.

    Examples
    --------
    >>> run_sentence("default", True)
    'Reading the results of run **default** (simulated data with a known truth).'
    """
    return f"Reading the results of run **{run_name}** ({'simulated data with a known truth' if simulated else 'a data file'})."


# --------------------------------------------------------------------------- insights


@dataclasses.dataclass(frozen=True)
class Insight:
    """A finding and the notebooks it comes from.

    Examples
    --------
    >>> Insight("Carts leak.", "01").sentence(2)
    '**Insight 2** (notebook 01). Carts leak.'
    """

    text: str
    notebooks: str

    def sentence(self, number: int) -> str:
        """The insight as the notebook shows it, numbered."""
        return f"**Insight {number}** (notebook {self.notebooks}). {self.text}"

    def to_dict(self) -> dict[str, str]:
        """``{"text": ..., "notebooks": ...}`` as written to the results."""
        return {"text": self.text, "notebooks": self.notebooks}


def insights(up: Upstream) -> list[Insight]:
    """The top insights of a run, built from the fields of notebooks 01-04's results.

    Always the funnel's biggest drop (notebook 01). With a known truth: how far purchases are
    predictable (03) and how naive discount comparisons mislead (04). On a data file: that the
    outcome is a function of the cart flags (03) and that nothing else predicts it (01, 03).
    """
    conv = up.explore.metrics["conversion_rate"]
    pred = up.prediction
    start, end, kept = biggest_drop(up.explore.funnel)
    found = [
        Insight(
            f"The funnel loses most between *{start}* and *{end}*: {pct(kept)} continue; conversion is "
            f"{pct(conv['estimate'])} (95% CI {pct(conv['ci_low'])} to {pct(conv['ci_high'])}).",
            "01",
        )
    ]
    browse_best, cart_best = best_model(pred.browse), best_model(pred.cart)
    if up.simulated:
        d = ate_estimates(up.testing.observational)
        found += [
            Insight(
                f"Purchases are predictable before any cart action, but only so far: the best model reaches ROC-AUC "
                f"{browse_best['test_auc']:.3f}, {pct(pred.browse['share_of_observable_ceiling'])} of the best "
                f"possible ({pred.browse['ceilings']['observable']:.3f}); `abandoned_cart` restates the outcome "
                "and was excluded.",
                "03",
            ),
            Insight(
                f"Naive discount comparisons mislead: {pp(d[NAIVE]['estimate'])} naively, "
                f"{pp(d[AIPW]['estimate'])} (95% CI {pp(d[AIPW]['ci_low'])} to "
                f"{pp(d[AIPW]['ci_high'])}) after adjusting for who gets discounts; the truth is "
                f"{pp(up.testing.observational['truth']['discount_ate'])}.",
                "04",
            ),
        ]
    else:
        identity, screen = pred.funnel_identity, up.explore.screen
        found += [
            Insight(
                f"`purchase_decision == add_to_cart AND NOT abandoned_cart` on {num(identity['identity_holds'])} of "
                f"{num(identity['rows'])} rows: the outcome is a function of the cart flags.",
                "03",
            ),
            Insight(
                f"Nothing else predicts it: held-out ROC-AUC {browse_best['test_auc']:.3f} (browse) and "
                f"{cart_best['test_auc']:.3f} (cart), permutation p = "
                f"{pred.browse['permutation_test']['p_value']:.2f} and {pred.cart['permutation_test']['p_value']:.2f}; "
                f"{screen['significant_after_holm']} of {screen['levels_tested']} segment levels differ "
                "after correction.",
                "01, 03",
            ),
        ]
    return found


# --------------------------------------------------------------------------- recommendations


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """A recommendation, its evidence and its impact, under a stable key.

    Examples
    --------
    >>> Recommendation("k", "Do it", "notebook 01: x", "none").sentence(1)
    '**Recommendation 1: Do it.** Evidence: notebook 01: x. Impact: none.'
    """

    key: str
    recommendation: str
    evidence: str
    impact: str

    def sentence(self, number: int) -> str:
        """The recommendation as the notebook shows it, numbered."""
        return f"**Recommendation {number}: {self.recommendation}.** Evidence: {self.evidence}. Impact: {self.impact}."


#: The order recommendations are shown in: on simulated runs what the shop can act on now
#: (cart recovery), then what to test (discounts), then the experiment's decision; on data files,
#: what not to do, what to log, and what to test.
RECOMMENDATION_ORDER = (
    "cart_recovery",
    "discounts",
    "experiment",
    "no_purchase_model",
    "logging",
    "discount_test",
)


def rank_recommendations(
    recs: Iterable[Recommendation], order: Sequence[str] = RECOMMENDATION_ORDER
) -> list[Recommendation]:
    """The recommendations in the declared order of their keys.

    Parameters
    ----------
    recs : iterable of Recommendation
        Recommendations in any order.
    order : sequence of str
        Keys in the order to show them; every recommendation's key must be in it.

    Returns
    -------
    list of Recommendation
        Sorted by the position of their key in ``order``.

    Examples
    --------
    >>> recs = [Recommendation("experiment", "c", "", ""), Recommendation("cart_recovery", "a", "", "")]
    >>> [r.recommendation for r in rank_recommendations(recs)]
    ['a', 'c']
    """
    recs = list(recs)
    position = {key: i for i, key in enumerate(order)}
    unknown = sorted({r.key for r in recs} - set(position))
    if unknown:
        raise ValueError(f"order must list every recommendation key; missing {unknown}, allowed: {list(order)}")
    return sorted(recs, key=lambda r: position[r.key])


def _simulated_recommendations(up: Upstream, impacts: dict[str, dict[str, float]]) -> list[Recommendation]:
    v = up.prediction.value
    d = ate_estimates(up.testing.observational)[AIPW]
    e = up.experiment
    p = e["primary_session_conversion"]
    cart, disc, exp = impacts["cart_recovery"], impacts["discount_orders"], impacts["experiment_margin"]
    return [
        Recommendation(
            "cart_recovery",
            "Send a recovery nudge to carts the cart-stage model scores as likely to be abandoned",
            f"notebook 03: best threshold {v['best_threshold']:.2f} targets {pct(v['targeted_share'])} of carts; "
            f"value {num(v['value'])} on {num(v['held_out_carts'])} held-out carts (95% CI {num(v['ci_low'])} "
            f"to {num(v['ci_high'])})",
            f"{num(cart['p5'])} to {num(cart['p95'])} per month (90% range, value units)",
        ),
        Recommendation(
            "discounts",
            "Keep discounts targeted, judge them by adjusted or randomized estimates, and run a randomized coupon test",
            f"notebook 04: AIPW effect of an offer {pp(d['estimate'])} (95% CI {pp(d['ci_low'])} to {pp(d['ci_high'])}); "
            f"notebook 02: the naive with-vs-without contrast "
            f"{naive_vs_truth(up.segmentation.discount_sensitivity['table'])}",
            f"{num(disc['p5'], 0)} to {num(disc['p95'], 0)} extra orders per month at today's offer volume (90% range)",
        ),
        Recommendation(
            "experiment",
            f"Checkout experiment: {e['decision']}",
            f"notebook 04: session conversion {pp(p['estimate'])} (95% CI {pp(p['ci_low'])} to {pp(p['ci_high'])}); "
            + "; ".join(f"{g['guardrail']} {g['verdict']}" for g in _records(e["guardrails"])),
            f"{num(exp['p5'])} to {num(exp['p95'])} margin per month if shipped (90% range)",
        ),
    ]


def _file_recommendations(up: Upstream) -> list[Recommendation]:
    browse_best, cart_best = best_model(up.prediction.browse), best_model(up.prediction.cart)
    aipw = [
        r
        for r in _records(up.testing.observational["estimates"])
        if r["method"] == AIPW and r.get("estimand", "ATE") == "ATE"
    ]
    return [
        Recommendation(
            "no_purchase_model",
            "Do not deploy a purchase model trained on this data",
            f"notebook 03: held-out ROC-AUC {browse_best['test_auc']:.3f} (browse), {cart_best['test_auc']:.3f} (cart); "
            "0.80 is reached only through add_to_cart, which is not known when the prediction is needed",
            "none to claim: this data cannot tell us who will buy",
        ),
        Recommendation(
            "logging",
            "Log what the analyses need: repeat visits per user, offers as randomized treatments, experiment assignments",
            "notebook 02: one session per user (no cohorts or retention); notebook 04: no experiment table",
            "not estimable from this data",
        ),
        Recommendation(
            "discount_test",
            "Run a randomized discount test before changing discount policy",
            "notebook 04: "
            + "; ".join(
                f"{r['test']} AIPW {pp(r['estimate'])} (95% CI {pp(r['ci_low'])} to {pp(r['ci_high'])})" for r in aipw
            ),
            "this data cannot tell us the effect of discounts, engagement or price",
        ),
    ]


def recommendations(up: Upstream, impacts: dict[str, dict[str, float]]) -> list[Recommendation]:
    """The recommendations of a run, with evidence and impact, in the order of :data:`RECOMMENDATION_ORDER`.

    Parameters
    ----------
    up : Upstream
        Results of notebooks 01-04.
    impacts : dict
        :func:`impact_ranges` of the run (needed, and must be complete, for a simulated run).

    Returns
    -------
    list of Recommendation
        With a known truth: cart recovery, discounts, the checkout experiment's decision. On a
        data file: no purchase model, what to log, a randomized discount test.
    """
    if up.simulated:
        missing = sorted({"cart_recovery", "discount_orders", "experiment_margin"} - set(impacts))
        if missing:
            raise ValueError(f"impacts must hold the impact_ranges of a simulated run; missing {missing}")
        recs = _simulated_recommendations(up, impacts)
    else:
        recs = _file_recommendations(up)
    return rank_recommendations(recs)


def recommendations_frame(recs: Iterable[Recommendation]) -> pd.DataFrame:
    """The recommendations as the results table: ``recommendation``, ``evidence``, ``impact``."""
    return pd.DataFrame(
        [{"recommendation": r.recommendation, "evidence": r.evidence, "impact": r.impact} for r in recs],
        columns=["recommendation", "evidence", "impact"],
    )


def model_comparison(prediction: Any) -> pd.DataFrame:
    """Notebook 03's model tables of both stages in one frame, with a ``stage`` column (browse, cart).

    Examples
    --------
    >>> p = SimpleNamespace(browse={"table": [{"model": "a"}]}, cart={"table": [{"model": "b"}]})
    >>> model_comparison(p)[["stage", "model"]].values.tolist()
    [['browse', 'a'], ['cart', 'b']]
    """
    return pd.DataFrame(
        [{**r, "stage": st} for st in ("browse", "cart") for r in _records(getattr(prediction, st)["table"])]
    )


# --------------------------------------------------------------------------- playbook, policy, limits


def segment_playbook(segmentation: Any, overall_conversion: float) -> list[str]:
    """One note per segment of notebook 02 (:func:`ecommerce_analytics.segmentation.strategic_notes`).

    Parameters
    ----------
    segmentation : object
        Notebook 02's results (``segments`` and ``discount_sensitivity.table``).
    overall_conversion : float
        Conversion of all sessions (notebook 01), in [0, 1].

    Returns
    -------
    list of str
        Markdown notes, one per segment.
    """
    from .segmentation import strategic_notes

    if not 0 <= overall_conversion <= 1:
        raise ValueError(f"overall_conversion must be between 0 and 1, got {overall_conversion!r}")
    profiles = pd.DataFrame(_records(segmentation.segments))
    sens = pd.DataFrame(_records(segmentation.discount_sensitivity["table"]))
    index_of = {name: i for i, name in enumerate(profiles.name)}
    sens = sens.assign(group=sens.group.map(index_of)) if len(sens) else None
    return strategic_notes(profiles, overall_conversion, sens)


def cart_policy_sentence(value: dict) -> str:
    """The cart-recovery policy of notebook 03's ``value`` field, as a sentence.

    Examples
    --------
    >>> v = {"best_threshold": 0.5, "targeted_share": 0.8,
    ...      "gain_over_targeting_all": {"estimate": 10.0, "ci_low": 5.0, "ci_high": 15.5}}
    >>> cart_policy_sentence(v)[:80]
    '**Cart recovery policy**: nudge carts whose predicted purchase probability is be'
    """
    gain = value["gain_over_targeting_all"]
    return (
        f"**Cart recovery policy**: nudge carts whose predicted purchase probability is below "
        f"{value['best_threshold']:.2f} ({pct(value['targeted_share'])} of carts). Against nudging every cart it adds "
        f"{num(gain['estimate'])} on the held-out carts (95% CI {num(gain['ci_low'])} to {num(gain['ci_high'])})."
    )


def limits(up: Upstream, has_impacts: bool) -> list[str]:
    """Risks and limits of the recommendations of a run.

    Parameters
    ----------
    up : Upstream
        Results of notebooks 01-04.
    has_impacts : bool
        Whether impact ranges were computed (they rest on the business assumptions).

    Returns
    -------
    list of str
        One sentence per limit.
    """
    found = []
    if up.simulated:
        found += [
            "The default data are simulated: the findings show that the methods recover a known truth, not facts "
            "about a real shop. Run the same notebooks on your own data under the data contract.",
            "Observational estimates assume no unmeasured confounding; in the simulator that holds by design "
            "(discounts target observed columns only), in a real shop it must be argued or tested.",
            f"The best model is close to the ceiling ({pct(up.prediction.browse['share_of_observable_ceiling'])}): "
            "better predictions need new information (for example the customer's history), not a bigger model.",
        ]
    else:
        pred = up.prediction
        if pred.browse["permutation_test"]["p_value"] >= 0.05 and pred.cart["permutation_test"]["p_value"] >= 0.05:
            found.append(
                "Apart from the cart flags, this file's columns carry no detectable signal about purchases; the "
                "null results above are findings about the data, not failures of the methods (the simulator "
                "shows they recover effects that exist)."
            )
        else:
            found.append("Observational estimates on this file assume no unmeasured confounding.")
        if not up.segmentation.cohorts["users_return"]:
            found.append(
                "With one session per customer, no customer-level behaviour (retention, frequency) can be studied."
            )
    if has_impacts:
        found.append(
            "Impact ranges multiply estimated effects by the assumed traffic, margin and adoption above; they are "
            "only as good as those assumptions."
        )
    return found


# --------------------------------------------------------------------------- results


@dataclasses.dataclass
class RecommendationsResults(NotebookResults):
    """What notebook 05 reports.

    Parameters
    ----------
    insights : list of dict
        ``text`` and ``notebooks`` of each insight (:meth:`Insight.to_dict`).
    recommendations : DataFrame
        ``recommendation``, ``evidence``, ``impact`` (:func:`recommendations_frame`).
    impact_ranges : dict
        :func:`impact_ranges` (empty for data files).
    assumptions : dict
        :meth:`Assumptions.to_dict`.
    limits : list of str
        :func:`limits`.
    """

    NOTEBOOK = "05_business_recommendations"
    VERSION = 1

    insights: list[dict]
    recommendations: pd.DataFrame
    impact_ranges: dict[str, dict[str, float]]
    assumptions: dict[str, float]
    limits: list[str]

    @classmethod
    def build(
        cls,
        insights: Iterable[Insight],
        recommendations: Iterable[Recommendation],
        impact_ranges: dict[str, dict[str, float]],
        assumptions: Assumptions,
        limits: list[str],
    ) -> RecommendationsResults:
        """The results from the notebook's objects (insights, recommendations, assumptions)."""
        return cls(
            insights=[i.to_dict() for i in insights],
            recommendations=recommendations_frame(recommendations),
            impact_ranges=impact_ranges,
            assumptions=assumptions.to_dict(),
            limits=list(limits),
        )
