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
import logging
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
    "ASSUMPTION_LABELS",
    "normal_draws",
    "impact_range",
    "per_cart_value",
    "IMPACT_KEYS",
    "ImpactInputs",
    "discount_facts",
    "revenue_per_session_lift",
    "impact_inputs",
    "cart_money",
    "discount_money",
    "experiment_money",
    "impact_ranges",
    "SENSITIVITY",
    "sensitivity_table",
    "true_cart_value_per_cart",
    "true_impacts",
    "money",
    "verdict",
    "overlaps",
    "best_model",
    "ate_estimates",
    "biggest_drop",
    "naive_vs_truth",
    "run_sentence",
    "Insight",
    "insights",
    "Recommendation",
    "recommendations",
    "RECOMMENDATION_ORDER",
    "rank_recommendations",
    "recommendations_frame",
    "model_comparison",
    "SHORT_NAMES",
    "Memo",
    "memo",
    "segment_playbook",
    "cart_policy_sentence",
    "limits",
    "RecommendationsResults",
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
logger = logging.getLogger(__name__)


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


def load_all(run: Run | None = None, *, strict: bool = True) -> Upstream:
    """The typed results of notebooks 01-04 of a run (default: the committed run).

    Each notebook's results class (``ExploreResults``, ``SegmentationResults``,
    ``PredictionResults``, ``TestingResults``) reads its file and refuses another structure
    version (:class:`~ecommerce_analytics.reporting.ResultsVersionError`) unless ``strict`` is
    false: then a file of another version is read as written (its fields as attributes) and a
    warning is logged, so notebook 05 still runs while an upstream notebook is being re-run.

    Parameters
    ----------
    run : Run, optional
        The run whose published results are read (default: the committed default run).
    strict : bool, default True
        Refuse results of another structure version.

    Returns
    -------
    Upstream
        One results object per notebook.

    Raises
    ------
    FileNotFoundError
        A notebook's results are missing (run the notebooks before it).
    """
    from .reporting import ResultsVersionError, load_results

    run = run or Run()
    found = {}
    for attr, cls in _typed_classes().items():
        try:
            found[attr] = cls.load(run)
        except ResultsVersionError:
            if strict:
                raise
            logger.warning("%s: results of another version; reading its fields as written", cls.NOTEBOOK)
            found[attr] = SimpleNamespace(**load_results(cls.NOTEBOOK, run)["results"])
    return Upstream(**found)


@dataclasses.dataclass(frozen=True)
class Assumptions:
    """Business assumptions the impacts rest on (money is in the currency units of the data).

    Parameters
    ----------
    monthly_sessions : float
        Sessions per month the changes apply to (> 0).
    margin : float
        Gross margin: the share of an order's revenue kept after the cost of goods, in [0, 1]. A
        discount is paid in full out of it (the cost of goods does not fall with the price).
    adoption : float
        Share of eligible traffic a change actually reaches, in [0, 1].
    win_back : float, optional
        Share of nudged abandoned carts that then buy, in [0, 1] (default: notebook 03's ``uplift``).
    offer_cost : float, optional
        Cost of one cart-recovery nudge, >= 0 (default: notebook 03's ``offer_cost``).

    Examples
    --------
    >>> Assumptions(100_000, 0.3, 0.8).to_dict()
    {'monthly_sessions': 100000, 'margin': 0.3, 'adoption': 0.8, 'win_back': None, 'offer_cost': None}
    >>> Assumptions(100_000, 1.5, 0.8)
    Traceback (most recent call last):
    ...
    ValueError: margin must be between 0 and 1, got 1.5
    """

    monthly_sessions: float
    margin: float
    adoption: float
    win_back: float | None = None
    offer_cost: float | None = None

    def __post_init__(self) -> None:
        if not self.monthly_sessions > 0:
            raise ValueError(f"monthly_sessions must be a positive number, got {self.monthly_sessions!r}")
        for name in ("margin", "adoption", "win_back"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        if self.offer_cost is not None and not self.offer_cost >= 0:
            raise ValueError(f"offer_cost must be a non-negative number, got {self.offer_cost!r}")

    def with_cart(self, value: dict) -> Assumptions:
        """The assumptions with ``win_back`` and ``offer_cost`` taken from notebook 03's ``value`` where unset.

        Examples
        --------
        >>> Assumptions(1000, 0.3, 0.8).with_cart({"uplift": 0.1, "offer_cost": 2.0}).win_back
        0.1
        """
        return dataclasses.replace(
            self,
            win_back=value["uplift"] if self.win_back is None else self.win_back,
            offer_cost=value["offer_cost"] if self.offer_cost is None else self.offer_cost,
        )

    def to_dict(self) -> dict[str, float | None]:
        """The assumptions as written to the results."""
        return dataclasses.asdict(self)

    def table(self) -> pd.DataFrame:
        """The assumptions as a table: ``assumption``, ``value``, ``meaning``.

        Examples
        --------
        >>> Assumptions(1000, 0.3, 0.8, 0.1, 2.0).table().value.tolist()
        ['1,000', '30%', '80%', '10%', '2.00']
        """
        shown = {
            "monthly_sessions": (num(self.monthly_sessions), "sessions per month the changes apply to"),
            "margin": (pct(self.margin, 0), "share of an order's revenue kept after the cost of goods"),
            "adoption": (pct(self.adoption, 0), "share of eligible traffic a change reaches"),
            "win_back": (
                "notebook 03's" if self.win_back is None else pct(self.win_back, 0),
                "share of nudged abandoned carts that then buy (unmeasured: a holdout test would measure it)",
            ),
            "offer_cost": (
                "notebook 03's" if self.offer_cost is None else f"{self.offer_cost:,.2f}",
                "cost of one cart-recovery nudge",
            ),
        }
        return pd.DataFrame(
            [{"assumption": ASSUMPTION_LABELS[k], "value": v, "meaning": m} for k, (v, m) in shown.items()]
        )


#: How each assumption is named in the tables.
ASSUMPTION_LABELS = {
    "monthly_sessions": "monthly sessions",
    "margin": "gross margin",
    "adoption": "adoption",
    "win_back": "win-back rate (cart nudge)",
    "offer_cost": "cost per nudge",
}


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


# --------------------------------------------------------------------------- the impact model

#: The recommendations that carry money, in the keys of :func:`impact_ranges` and :func:`true_impacts`.
IMPACT_KEYS = ("cart_recovery", "discounts", "experiment")
#: Share of draws outside the impact interval on each side (a 90% interval: 5th to 95th percentile).
IMPACT_TAIL = 0.05


@dataclasses.dataclass(frozen=True)
class ImpactInputs:
    """The estimates the impact model multiplies, each ``{"estimate", "ci_low", "ci_high"}`` (95%).

    Parameters
    ----------
    cart_value : dict
        Notebook 03's ``value`` field (held-out value of the cart-recovery policy and its settings).
    cart_rate : dict
        Share of sessions with a cart (notebook 01).
    aov : dict
        Average order value, net of discounts (notebook 01).
    discount_effect : dict
        Effect of an offer on the conversion of the sessions that get one (notebook 04's AIPW ATT).
    offered_share : float
        Share of sessions offered a discount today (notebook 04).
    offered_conversion : dict
        Conversion of the sessions offered a discount (:func:`discount_facts`).
    discount_per_order : dict
        Discount given on an average discounted order, in money (:func:`discount_facts`).
    revenue_per_session : dict or None
        Checkout experiment: revenue per session, treatment minus control (:func:`revenue_per_session_lift`).
    average_depth : float, optional
        Average discount (share of the list price) of the discounted orders.
    """

    cart_value: dict
    cart_rate: dict
    aov: dict
    discount_effect: dict
    offered_share: float
    offered_conversion: dict
    discount_per_order: dict
    revenue_per_session: dict | None
    average_depth: float | None = None

    def to_dict(self) -> dict:
        """The inputs as written to the results."""
        return dataclasses.asdict(self)


def _est(d: dict) -> dict[str, float]:
    return {k: float(d[k]) for k in ("estimate", "ci_low", "ci_high")}


def discount_facts(sessions: pd.DataFrame) -> dict[str, dict]:
    """What today's discounts give away: conversion of offered sessions and the discount per discounted order.

    Parameters
    ----------
    sessions : DataFrame
        ``price``, ``discount_applied`` (percent) and ``purchase_decision``.

    Returns
    -------
    dict
        ``offered_conversion`` (Wilson interval), ``discount_per_order`` (mean of ``price x
        discount/100`` over discounted purchases, t interval), ``average_depth`` (mean
        ``discount_applied`` / 100 over discounted purchases) and ``discounted_orders``.

    Examples
    --------
    >>> s = pd.DataFrame({"price": [100.0, 50.0, 80.0, 10.0], "discount_applied": [10.0, 20.0, 20.0, 0.0],
    ...                   "purchase_decision": [1, 1, 0, 1]})
    >>> f = discount_facts(s)
    >>> round(f["offered_conversion"]["estimate"], 4), f["discount_per_order"]["estimate"], round(f["average_depth"], 4)
    (0.6667, 10.0, 0.15)
    """
    from .stats.intervals import mean, proportion

    needed = {"price", "discount_applied", "purchase_decision"}
    if not needed <= set(sessions.columns):
        raise ValueError(f"sessions must have the columns {sorted(needed)}")
    offered = sessions["discount_applied"].to_numpy(float) > 0
    bought = sessions["purchase_decision"].to_numpy() == 1
    depth = sessions["discount_applied"].to_numpy(float) / 100.0
    given = sessions["price"].to_numpy(float) * depth
    orders = offered & bought
    if orders.sum() < 2:
        raise ValueError("sessions must hold at least 2 discounted purchases")
    return {
        "offered_conversion": _est(proportion(int(orders.sum()), int(offered.sum())).to_dict()),
        "discount_per_order": _est(mean(given[orders]).to_dict()),
        "average_depth": float(depth[orders].mean()),
        "discounted_orders": int(orders.sum()),
    }


def revenue_per_session_lift(experiment: dict) -> dict[str, float]:
    """Revenue per session of the checkout experiment, treatment minus control, with its 95% interval.

    Reads notebook 04's ``revenue_per_session`` when present. Otherwise builds it from the arms'
    session conversion ``c`` (``primary_session_conversion``) and average order value ``A``
    (the ``average order value`` guardrail): ``c_t A_t - c_c A_c = (c_t - c_c) (A_t + A_c) / 2 +
    (c_t + c_c) / 2 (A_t - A_c)``, with the two differences' standard errors combined as
    independent (delta method).

    Examples
    --------
    >>> e = {"primary_session_conversion": {"estimate": 0.02, "ci_low": 0.02, "ci_high": 0.02,
    ...                                     "control": 0.20, "treatment": 0.22},
    ...      "guardrails": [{"guardrail": "average order value", "difference": -10.0, "ci_low": -10.0,
    ...                      "ci_high": -10.0, "control": 110.0, "treatment": 100.0}]}
    >>> r = revenue_per_session_lift(e)
    >>> round(r["control"], 6), round(r["treatment"], 6), round(r["estimate"], 6)
    (22.0, 22.0, 0.0)
    """
    given = experiment.get("revenue_per_session")
    if given:
        return {**_est(given), "control": float(given["control"]), "treatment": float(given["treatment"])}
    conv = experiment["primary_session_conversion"]
    aov = [g for g in _records(experiment["guardrails"]) if g["guardrail"] == "average order value"]
    if not aov:
        raise ValueError("experiment must report revenue_per_session or an 'average order value' guardrail")
    aov = aov[0]
    se_c = (conv["ci_high"] - conv["ci_low"]) / (2 * _Z975)
    se_a = (aov["ci_high"] - aov["ci_low"]) / (2 * _Z975)
    mean_a, mean_c = (aov["control"] + aov["treatment"]) / 2, (conv["control"] + conv["treatment"]) / 2
    control, treatment = conv["control"] * aov["control"], conv["treatment"] * aov["treatment"]
    se = float(np.hypot(mean_a * se_c, mean_c * se_a))
    est = treatment - control
    return {
        "estimate": est,
        "ci_low": est - _Z975 * se,
        "ci_high": est + _Z975 * se,
        "control": control,
        "treatment": treatment,
    }


def impact_inputs(up: Upstream, sessions: pd.DataFrame) -> ImpactInputs | None:
    """The inputs of the impact model for a run, or ``None`` when it has nothing to claim (a data file).

    Parameters
    ----------
    up : Upstream
        Results of notebooks 01-04.
    sessions : DataFrame
        The run's sessions (for :func:`discount_facts`).
    """
    if not up.simulated:
        return None
    att = [
        r
        for r in _records(up.testing.observational["estimates"])
        if r["test"] == "discount" and r["method"] == AIPW and r.get("estimand") == "ATT"
    ]
    if not att:
        raise ValueError("notebook 04's observational estimates must hold the discount AIPW ATT row")
    facts = discount_facts(sessions)
    return ImpactInputs(
        cart_value=dict(up.prediction.value),
        cart_rate=_est(up.explore.metrics["cart_rate"]),
        aov=_est(up.explore.metrics["avg_order_value"]),
        discount_effect=_est(att[0]),
        offered_share=float(up.testing.observational["discount_treated_share"]),
        offered_conversion=facts["offered_conversion"],
        discount_per_order=facts["discount_per_order"],
        revenue_per_session=revenue_per_session_lift(up.experiment) if up.experiment is not None else None,
        average_depth=facts["average_depth"],
    )


def cart_money(value: dict, cart_rate: Any, a: Assumptions, value_estimate: Any = None) -> Any:
    """Net money per month of the cart-recovery nudge (vectorised over draws of its inputs).

    Notebook 03 values the policy on its held-out carts as ``sum over targeted carts of
    (1 - bought) x uplift x margin x order value - offer cost``. Its gross part is rescaled to
    this notebook's win-back rate and margin, its cost to this notebook's cost per nudge:
    ``((value + cost_03 n_t) (win_back / uplift_03) (margin / margin_03) - offer_cost n_t) /
    carts`` per cart (``n_t`` = targeted carts), times ``monthly_sessions x adoption x cart_rate``.

    Examples
    --------
    >>> v = {"value": 50.0, "held_out_carts": 100, "targeted_share": 0.5, "uplift": 0.1, "margin": 0.3,
    ...      "offer_cost": 1.0}
    >>> float(cart_money(v, 0.5, Assumptions(1000, 0.3, 0.8, 0.1, 1.0)))  # 0.5 per cart x 400 carts
    200.0
    >>> float(cart_money(v, 0.5, Assumptions(1000, 0.3, 0.8, 0.2, 1.0)))  # (100 x 2 - 50) / 100 x 400
    600.0
    """
    if a.win_back is None or a.offer_cost is None:
        a = a.with_cart(value)
    carts = value["held_out_carts"]
    if not carts > 0:
        raise ValueError(f"value['held_out_carts'] must be positive, got {carts!r}")
    targeted = value["targeted_share"] * carts
    v = value["value"] if value_estimate is None else value_estimate
    gross = (v + value["offer_cost"] * targeted) * (a.win_back / value["uplift"]) * (a.margin / value["margin"])
    return (gross - a.offer_cost * targeted) / carts * a.monthly_sessions * a.adoption * cart_rate


def discount_money(effect: Any, aov: Any, conversion: Any, per_order: Any, offered_share: float, a: Assumptions) -> Any:
    """Net money per month of STOPPING today's discount offers (vectorised over draws of its inputs).

    The offers reach ``N = monthly_sessions x adoption x offered_share`` sessions a month. They
    bring ``N x effect`` extra orders, each worth ``margin x AOV``, and give away the discount on
    every discounted order, those that would have happened anyway and the extra ones:
    ``N x conversion x discount_per_order``. Today's offers earn ``N (margin x effect x AOV -
    conversion x discount_per_order)``; stopping them earns the opposite.

    Examples
    --------
    >>> float(discount_money(0.05, 100.0, 0.2, 10.0, 0.5, Assumptions(1000, 0.3, 0.8)))  # 400 x (2 - 1.5)
    200.0
    """
    offered = a.monthly_sessions * a.adoption * offered_share
    return -offered * (a.margin * effect * aov - conversion * per_order)


def experiment_money(revenue_lift: Any, a: Assumptions) -> Any:
    """Net money per month of shipping the tested checkout: ``revenue per session lift x margin x sessions x adoption``.

    Examples
    --------
    >>> experiment_money(0.5, Assumptions(1000, 0.3, 0.8))
    120.0
    """
    return revenue_lift * a.margin * a.monthly_sessions * a.adoption


def _interval(values: np.ndarray) -> dict[str, float]:
    p5, p50, p95 = np.percentile(values, [100 * IMPACT_TAIL, 50, 100 * (1 - IMPACT_TAIL)])
    return {"p5": float(p5), "median": float(p50), "p95": float(p95), "mean": float(np.mean(values))}


def impact_ranges(
    inputs: ImpactInputs | None, assumptions: Assumptions, *, n: int = 20_000, seed: int = 0
) -> dict[str, dict[str, float]]:
    """Net money per month of each recommendation, with a 90% interval carrying the upstream uncertainty.

    Each input varies within its 95% interval (:func:`normal_draws`, independent draws); the
    impact of each draw is computed by :func:`cart_money`, :func:`discount_money` and
    :func:`experiment_money`.

    Parameters
    ----------
    inputs : ImpactInputs or None
        :func:`impact_inputs` (``None``: nothing to claim, returns ``{}``).
    assumptions : Assumptions
        Traffic, margin, adoption and the cart-recovery settings.
    n, seed : int
        Number of draws and seed.

    Returns
    -------
    dict
        ``{key: {"p5", "median", "p95", "mean"}}`` for ``cart_recovery``, ``discounts`` (stopping
        today's offers) and ``experiment`` (shipping the checkout), in money per month.
    """
    if inputs is None:
        return {}
    if int(n) < 2:
        raise ValueError(f"n must be an integer of at least 2, got {n!r}")
    g = np.random.default_rng(seed)

    def draw(d: dict) -> np.ndarray:
        return normal_draws(d["estimate"], d["ci_low"], d["ci_high"], n, g)

    v = inputs.cart_value
    cart = cart_money(v, draw(inputs.cart_rate), assumptions, normal_draws(v["value"], v["ci_low"], v["ci_high"], n, g))
    disc = discount_money(
        draw(inputs.discount_effect),
        draw(inputs.aov),
        draw(inputs.offered_conversion),
        draw(inputs.discount_per_order),
        inputs.offered_share,
        assumptions,
    )
    out = {"cart_recovery": _interval(cart), "discounts": _interval(disc)}
    if inputs.revenue_per_session is not None:
        out["experiment"] = _interval(experiment_money(draw(inputs.revenue_per_session), assumptions))
    return out


#: Low and high values of each assumption in :func:`sensitivity_table`, as functions of the base value.
SENSITIVITY = {
    "monthly_sessions": (lambda x: x / 2, lambda x: x * 1.5),
    "margin": (lambda x: max(x - 0.1, 0.0), lambda x: min(x + 0.1, 1.0)),
    "adoption": (lambda x: x / 2, lambda x: 1.0),
    "win_back": (lambda x: x / 2, lambda x: min(2 * x, 1.0)),
    "offer_cost": (lambda x: x / 2, lambda x: 2 * x),
}


def _shown(name: str, value: float) -> str:
    if name == "monthly_sessions":
        return num(value)
    if name == "offer_cost":
        return f"{value:,.2f}"
    return pct(value, 0)


def sensitivity_table(inputs: ImpactInputs | None, assumptions: Assumptions) -> pd.DataFrame:
    """Expected net money per month of each recommendation at a low, the base and a high value of each assumption.

    The estimates stay at their point values; one assumption moves at a time (:data:`SENSITIVITY`).

    Returns
    -------
    DataFrame
        ``assumption``, ``setting`` (low, base, high), ``value``, then one column per key of
        :func:`impact_ranges` (money per month); empty when ``inputs`` is ``None``.
    """
    if inputs is None:
        return pd.DataFrame()
    base = assumptions.with_cart(inputs.cart_value)
    point = {k: {"estimate": getattr(inputs, k)["estimate"]} for k in ("cart_rate", "aov")}
    rows = []
    for name, (low, high) in SENSITIVITY.items():
        for setting, value in (
            ("low", low(getattr(base, name))),
            ("base", getattr(base, name)),
            ("high", high(getattr(base, name))),
        ):
            a = dataclasses.replace(base, **{name: value})
            row = {"assumption": ASSUMPTION_LABELS[name], "setting": setting, "value": _shown(name, value)}
            row["cart_recovery"] = float(cart_money(inputs.cart_value, point["cart_rate"]["estimate"], a))
            row["discounts"] = float(
                discount_money(
                    inputs.discount_effect["estimate"],
                    point["aov"]["estimate"],
                    inputs.offered_conversion["estimate"],
                    inputs.discount_per_order["estimate"],
                    inputs.offered_share,
                    a,
                )
            )
            if inputs.revenue_per_session is not None:
                row["experiment"] = float(experiment_money(inputs.revenue_per_session["estimate"], a))
            rows.append(row)
    return pd.DataFrame(rows)


def true_cart_value_per_cart(
    sessions: pd.DataFrame, truth_sessions: pd.DataFrame, targeted_share: float, a: Assumptions
) -> float:
    """True net value per cart of nudging the given share of carts least likely to buy (simulator truth).

    The carts are ranked by the best possible cart-stage score (``p_observed_cart``, the
    simulator's observable ceiling, which the fitted model reaches within a few percent), the
    ``targeted_share`` lowest are nudged, and each is worth ``(1 - p_purchase_given_cart) x
    win_back x margin x order value - offer_cost`` (order value net of its discount): notebook 03's
    value with the true purchase probability in place of the realised outcome.

    Examples
    --------
    >>> s = pd.DataFrame({"add_to_cart": [1, 1], "price": [100.0, 100.0], "discount_applied": [0.0, 0.0]})
    >>> t = pd.DataFrame({"p_observed_cart": [0.2, 0.8], "p_purchase_given_cart": [0.5, 0.5]})
    >>> true_cart_value_per_cart(s, t, 0.5, Assumptions(1, 0.3, 1.0, 0.1, 1.0))  # (0.5 x 0.1 x 30 - 1) / 2
    0.25
    """
    if not 0 <= targeted_share <= 1:
        raise ValueError(f"targeted_share must be between 0 and 1, got {targeted_share!r}")
    if a.win_back is None or a.offer_cost is None:
        raise ValueError("a.win_back and a.offer_cost must be set (Assumptions.with_cart)")
    cart = sessions["add_to_cart"].to_numpy() == 1
    score = truth_sessions["p_observed_cart"].to_numpy()[cart]
    p = truth_sessions["p_purchase_given_cart"].to_numpy()[cart]
    value = (sessions["price"] * (1 - sessions["discount_applied"] / 100)).to_numpy()[cart]
    n_target = int(round(targeted_share * len(score)))
    targeted = np.zeros(len(score), bool)
    targeted[np.argsort(score, kind="stable")[:n_target]] = True
    gain = (1 - p) * a.win_back * a.margin * value - a.offer_cost
    return float(np.where(targeted, gain, 0.0).mean())


def true_impacts(simulation: Any, inputs: ImpactInputs | None, assumptions: Assumptions) -> dict[str, float]:
    """Net money per month of each recommendation computed from the simulator's truth; ``{}`` without one.

    ``discounts``: ``-monthly_sessions x adoption x (margin x incremental_list_revenue -
    discount_given)`` (``truth.policy["discount"]``, per session, from the true purchase
    probabilities with and without the offer). ``experiment``: ``truth.policy["experiment"]
    ["revenue_lift_per_session"] x margin x monthly_sessions x adoption``. ``cart_recovery``:
    :func:`true_cart_value_per_cart` at notebook 03's targeted share, times ``monthly_sessions x
    adoption x`` the true cart rate.

    Parameters
    ----------
    simulation : Simulation or None
        The run's simulation (``sessions``, ``truth``); ``None`` for a data file.
    inputs : ImpactInputs or None
        :func:`impact_inputs` (notebook 03's targeted share and settings).
    assumptions : Assumptions
        As for :func:`impact_ranges`.
    """
    if simulation is None or inputs is None or not simulation.truth.policy:
        return {}
    a = assumptions.with_cart(inputs.cart_value)
    truth, policy = simulation.truth, simulation.truth.policy
    reach = a.monthly_sessions * a.adoption
    disc = policy["discount"]
    per_cart = true_cart_value_per_cart(simulation.sessions, truth.sessions, inputs.cart_value["targeted_share"], a)
    out = {
        "cart_recovery": per_cart * reach * float(truth.sessions["p_cart"].mean()),
        "discounts": -reach * (a.margin * disc["incremental_list_revenue"] - disc["discount_given"]),
    }
    if inputs.revenue_per_session is not None:
        out["experiment"] = float(experiment_money(policy["experiment"]["revenue_lift_per_session"], a))
    return out


def money(x: float) -> str:
    """Money per month for people: sign, thousands separators, rounded to the nearest 100.

    Examples
    --------
    >>> money(125_912.3), money(-1_234.0), money(40.0)
    ('+125,900', '-1,200', '0')
    """
    rounded = round(float(x), -2)
    return "0" if rounded == 0 else f"{rounded:+,.0f}"


def verdict(interval: dict[str, float]) -> str:
    """``"gain"`` when a 90% interval is above 0, ``"loss"`` when below, ``"uncertain"`` when it spans 0.

    Examples
    --------
    >>> verdict({"p5": 1.0, "p95": 2.0}), verdict({"p5": -1.0, "p95": 2.0}), verdict({"p5": -2.0, "p95": -1.0})
    ('gain', 'uncertain', 'loss')
    """
    if interval["p5"] > 0:
        return "gain"
    if interval["p95"] < 0:
        return "loss"
    return "uncertain"


def overlaps(ranked: Sequence[tuple[str, dict[str, float]]]) -> list[tuple[str, str]]:
    """Neighbouring pairs of ranked impacts whose 90% intervals overlap (the ranking between them is not settled).

    Examples
    --------
    >>> overlaps([("a", {"p5": 5, "p95": 9}), ("b", {"p5": 1, "p95": 6}), ("c", {"p5": -3, "p95": 0})])
    [('a', 'b')]
    """
    return [(k1, k2) for (k1, r1), (k2, r2) in zip(ranked, ranked[1:], strict=False) if r2["p95"] >= r1["p5"]]


# --------------------------------------------------------------------------- recommendations


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """A recommendation, its evidence and its impact, under a stable key.

    ``interval`` is its net money per month (:func:`impact_ranges`), ``truth`` the simulator's
    value of the same quantity (:func:`true_impacts`); both ``None`` when there is nothing to claim.

    Examples
    --------
    >>> Recommendation("k", "Do it", "notebook 01: x", "none").sentence(1)
    '**Recommendation 1: Do it.** Evidence: notebook 01: x. Impact: none.'
    """

    key: str
    recommendation: str
    evidence: str
    impact: str
    interval: dict | None = None
    truth: float | None = None

    def sentence(self, number: int) -> str:
        """The recommendation as the notebook shows it, numbered."""
        return f"**Recommendation {number}: {self.recommendation}.** Evidence: {self.evidence}. Impact: {self.impact}."


#: The order recommendations are shown in when none carries money (data files): what not to do,
#: what to log, what to test. With money, they are ranked by expected net money per month.
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
    """Recommendations ranked by expected net money per month (highest first), else in the declared order.

    Parameters
    ----------
    recs : iterable of Recommendation
        Recommendations in any order.
    order : sequence of str
        Keys in the order to show them when no recommendation carries money (and to break ties);
        every recommendation's key must be in it.

    Returns
    -------
    list of Recommendation

    Examples
    --------
    >>> recs = [Recommendation("experiment", "c", "", ""), Recommendation("cart_recovery", "a", "", "")]
    >>> [r.recommendation for r in rank_recommendations(recs)]
    ['a', 'c']
    >>> recs = [Recommendation("cart_recovery", "a", "", "", {"mean": 1.0}),
    ...         Recommendation("discounts", "b", "", "", {"mean": 5.0})]
    >>> [r.recommendation for r in rank_recommendations(recs)]
    ['b', 'a']
    """
    recs = list(recs)
    position = {key: i for i, key in enumerate(order)}
    unknown = sorted({r.key for r in recs} - set(position))
    if unknown:
        raise ValueError(f"order must list every recommendation key; missing {unknown}, allowed: {list(order)}")
    return sorted(recs, key=lambda r: (-(r.interval or {}).get("mean", -np.inf), position[r.key]))


def _impact_text(interval: dict, suffix: str = "") -> str:
    return (
        f"{money(interval['mean'])} per month{suffix} (90% interval {money(interval['p5'])} to "
        f"{money(interval['p95'])})"
    )


def _checkout_reason(conversion: dict, rps: dict) -> str:
    """Why an unsettled checkout is not shipped: what conversion and revenue per session show.

    Examples
    --------
    >>> c = {"estimate": 0.02, "ci_low": 0.01, "ci_high": 0.03}
    >>> _checkout_reason(c, {"estimate": -0.01, "control": 20.97, "treatment": 20.96})
    'conversion rises (+2.0 pp) but revenue per session is flat (20.97 control, 20.96 treatment)'
    >>> _checkout_reason({**c, "ci_low": -0.01}, {"estimate": 2.3, "control": 22.34, "treatment": 24.64})
    'conversion (+2.0 pp) and revenue per session (22.34 control, 24.64 treatment) may rise or fall'
    """
    arms = f"{rps['control']:.2f} control, {rps['treatment']:.2f} treatment"
    if conversion["ci_low"] > 0:
        flat = abs(rps["estimate"]) < 0.01 * abs(rps["control"])
        return f"conversion rises ({pp(conversion['estimate'])}) but revenue per session " + (
            f"is flat ({arms})" if flat else f"may rise or fall ({arms})"
        )
    return f"conversion ({pp(conversion['estimate'])}) and revenue per session ({arms}) may rise or fall"


def _simulated_recommendations(
    up: Upstream, inputs: ImpactInputs, impacts: dict[str, dict[str, float]], truth: dict[str, float]
) -> list[Recommendation]:
    v = up.prediction.value
    e = up.experiment
    p, rps, att = e["primary_session_conversion"], inputs.revenue_per_session, inputs.discount_effect
    cart, disc = impacts["cart_recovery"], impacts["discounts"]
    win_back = pct(v["uplift"], 0)
    cart_text = {
        "gain": "Send a recovery nudge to carts the cart-stage model scores as likely to be abandoned, "
        "behind a holdout group that measures the win-back rate",
        "uncertain": "Pilot the cart-recovery nudge behind a holdout group before rolling it out",
        "loss": "Do not send the cart-recovery nudge at this cost per nudge",
    }[verdict(cart)]
    disc_text = {
        "gain": f"Scale back discount offers: at today's depths (on average {pct(inputs.average_depth or 0, 0)} off) "
        "they give away more margin than the extra orders bring; test smaller offers in a randomized coupon test",
        "uncertain": "Run a randomized coupon test before changing the discount offers: their net value is not settled",
        "loss": "Keep today's discount offers: the extra orders they bring outweigh the discount given away",
    }[verdict(disc)]
    recs = [
        Recommendation(
            "cart_recovery",
            cart_text,
            f"notebook 03: threshold {v['best_threshold']:.2f} targets {pct(v['targeted_share'])} of carts; value "
            f"{num(v['value'])} on {num(v['held_out_carts'])} held-out carts (95% CI {num(v['ci_low'])} to "
            f"{num(v['ci_high'])}), assuming {win_back} of nudged abandoned carts buy"
            + (
                f"; a holdout of {num(v['holdout_test_plan']['targeted_carts_per_arm'])} targeted carts per arm "
                "would measure that rate"
                if v.get("holdout_test_plan")
                else ""
            ),
            _impact_text(cart),
            cart,
            truth.get("cart_recovery"),
        ),
        Recommendation(
            "discounts",
            disc_text,
            f"notebook 04: an offer raises the conversion of the sessions that get one by {pp(att['estimate'])} "
            f"(AIPW, effect on the offered sessions; 95% CI {pp(att['ci_low'])} to {pp(att['ci_high'])}); "
            f"{pct(inputs.offered_share)} of sessions get an offer, {pct(inputs.offered_conversion['estimate'])} of them "
            f"buy, and each discounted order gives away {num(inputs.discount_per_order['estimate'])}; notebook 02: the "
            f"naive with-vs-without contrast {naive_vs_truth(up.segmentation.discount_sensitivity['table'])}",
            _impact_text(disc, " from stopping today's offers"),
            disc,
            truth.get("discounts"),
        ),
    ]
    if "experiment" in impacts:
        exp = impacts["experiment"]
        exp_text = {
            "gain": "Ship the new checkout: revenue per session rises",
            "uncertain": f"Do not ship the new checkout yet: {_checkout_reason(p, rps)}; extend the test with "
            "revenue per session as the decision metric",
            "loss": "Do not ship the new checkout: revenue per session falls",
        }[verdict(exp)]
        recs.append(
            Recommendation(
                "experiment",
                exp_text,
                f"notebook 04: session conversion {pp(p['estimate'])} (95% CI {pp(p['ci_low'])} to {pp(p['ci_high'])}); "
                f"revenue per session {rps['estimate']:+,.2f} (95% CI {rps['ci_low']:+,.2f} to {rps['ci_high']:+,.2f}); "
                + "; ".join(f"{g['guardrail']} {g['verdict']}" for g in _records(e["guardrails"])),
                _impact_text(exp, " if shipped"),
                exp,
                truth.get("experiment"),
            )
        )
    return recs


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
            "a usable score needs add_to_cart, which is not known when the prediction is needed",
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


def recommendations(
    up: Upstream,
    impacts: dict[str, dict[str, float]],
    inputs: ImpactInputs | None = None,
    truth: dict[str, float] | None = None,
) -> list[Recommendation]:
    """The recommendations of a run, with evidence and impact, ranked (:func:`rank_recommendations`).

    Parameters
    ----------
    up : Upstream
        Results of notebooks 01-04.
    impacts : dict
        :func:`impact_ranges` of the run (empty: nothing to claim).
    inputs : ImpactInputs, optional
        :func:`impact_inputs` (needed with impacts).
    truth : dict, optional
        :func:`true_impacts` (simulated runs).

    Returns
    -------
    list of Recommendation
        With impacts: cart recovery, discounts and the checkout decision, ranked by expected net
        money per month. Otherwise: no purchase model, what to log, a randomized discount test.
    """
    if impacts:
        missing = sorted({"cart_recovery", "discounts"} - set(impacts))
        if missing or inputs is None:
            raise ValueError(f"impacts must hold the impact_ranges of the run and inputs be given; missing {missing}")
        recs = _simulated_recommendations(up, inputs, impacts, truth or {})
    else:
        recs = _file_recommendations(up)
    return rank_recommendations(recs)


def recommendations_frame(recs: Iterable[Recommendation]) -> pd.DataFrame:
    """The recommendations as the results table: ``key``, ``recommendation``, ``evidence``, ``impact``, money columns.

    ``net_per_month``, ``p5``, ``p95`` (the 90% interval) and ``truth`` are NaN where a
    recommendation carries no money or no truth is known.
    """
    nan = float("nan")
    rows = [
        {
            "key": r.key,
            "recommendation": r.recommendation,
            "evidence": r.evidence,
            "impact": r.impact,
            "net_per_month": (r.interval or {}).get("mean", nan),
            "p5": (r.interval or {}).get("p5", nan),
            "p95": (r.interval or {}).get("p95", nan),
            "truth": nan if r.truth is None else r.truth,
        }
        for r in recs
    ]
    return pd.DataFrame(
        rows, columns=["key", "recommendation", "evidence", "impact", "net_per_month", "p5", "p95", "truth"]
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


# --------------------------------------------------------------------------- the memo

#: Short names of the money-carrying recommendations in the memo's tables.
SHORT_NAMES = {
    "cart_recovery": "cart-recovery nudge",
    "discounts": "stop today's discount offers",
    "experiment": "ship the new checkout",
}
_ACTION = {"gain": "act on it", "uncertain": "test before acting", "loss": "do not do it"}


@dataclasses.dataclass
class Memo:
    """Notebook 05's memo: the ranked recommendations with their money, the model and the truth.

    Built by :func:`memo`; every sentence and table the notebook shows comes from its methods.
    """

    run_name: str
    simulated: bool
    assumptions: Assumptions
    inputs: ImpactInputs | None
    impacts: dict[str, dict[str, float]]
    truth: dict[str, float]
    recs: list[Recommendation]
    sensitivity: pd.DataFrame
    planted: dict[str, tuple[float, float]]
    file_findings: str = ""

    def ranking(self) -> pd.DataFrame | None:
        """The ranked recommendations: expected net money per month, 90% interval, verdict, truth (simulator).

        ``None`` when nothing carries money.
        """
        if not self.impacts:
            return None
        rows = []
        for i, r in enumerate(self.recs, 1):
            if r.interval is None:
                continue
            row = {
                "rank": i,
                "recommendation": SHORT_NAMES[r.key],
                "net money per month": money(r.interval["mean"]),
                "90% interval": f"{money(r.interval['p5'])} to {money(r.interval['p95'])}",
                "what to do": _ACTION[verdict(r.interval)],
            }
            if r.truth is not None:
                row["truth (simulator)"] = money(r.truth)
            rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """The executive summary: source, question, answer with its money, what to do."""
        a = self.assumptions
        if not self.impacts:
            source = f"**Source**: the data file of run **{self.run_name}** (no known truth)."
            answer = "**Answer**: this data cannot tell us the money any change would make. " + self.file_findings
            todo = "**What to do**: " + " ".join(f"{i}. {r.recommendation}." for i, r in enumerate(self.recs, 1))
            return "\n\n".join([source, _QUESTION, answer, todo])
        planted = "; ".join(
            f"{name}: planted {pp(true)}, recovered {pp(est)}" for name, (true, est) in self.planted.items()
        )
        source = (
            f"**Source**: simulated data (run **{self.run_name}**) with a known truth ({planted}). The simulator's "
            "true net money is shown beside each estimate."
        )
        lines = [
            f"{i}. **{r.recommendation}**: {r.impact}" + ("" if r.truth is None else f"; truth {money(r.truth)}") + "."
            for i, r in enumerate(self.recs, 1)
        ]
        ranked = [(r.key, r.interval) for r in self.recs if r.interval is not None]
        ties = overlaps(ranked)
        order = (
            "The ranking is settled: no two neighbouring intervals overlap."
            if not ties
            else " ".join(
                f"{SHORT_NAMES[k1].capitalize()} and {SHORT_NAMES[k2]} have overlapping intervals: their order is "
                "not settled."
                for k1, k2 in ties
            )
        )
        todo = "**What to do**: " + "; ".join(
            f"{SHORT_NAMES[r.key]}: {_ACTION[verdict(r.interval)]}" for r in self.recs if r.interval is not None
        )
        scale = (
            f"Money is net of costs and discounts, per month, in the currency units of the data, at "
            f"{num(a.monthly_sessions)} sessions a month, a {pct(a.margin, 0)} margin and {pct(a.adoption, 0)} adoption."
        )
        return "\n\n".join(
            [
                source,
                _QUESTION,
                "**Answer**, ranked by expected net money per month:\n\n" + "\n".join(lines),
                order,
                todo + ".",
                scale,
            ]
        )

    def formulas(self) -> str:
        """The impact model's formulas, as Markdown."""
        if not self.impacts:
            return "No impact is computed: this data has nothing to claim (see the summary)."
        return _FORMULAS

    def truth_table(self) -> pd.DataFrame:
        """Estimate beside truth for each recommendation, and whether the 90% interval covers the truth (may be empty)."""
        rows = [
            {
                "recommendation": SHORT_NAMES[r.key],
                "estimate": money(r.interval["mean"]),
                "90% interval": f"{money(r.interval['p5'])} to {money(r.interval['p95'])}",
                "truth": money(r.truth),
                "interval covers the truth": bool(r.interval["p5"] <= r.truth <= r.interval["p95"]),
            }
            for r in self.recs
            if r.interval is not None and r.truth is not None
        ]
        return pd.DataFrame(rows)

    def truth_sentence(self) -> str:
        """How the estimates compare with the simulator's truth (or that there is none)."""
        table = self.truth_table()
        if table.empty:  # no truth known
            return "No truth is known for this data: the estimates cannot be checked against one."
        missed = table.loc[~table["interval covers the truth"], "recommendation"].tolist()
        if not missed:
            return f"Each of the {len(table)} intervals covers the simulator's true net money per month."
        return (
            f"The interval of {', '.join(missed)} misses the simulator's truth: the estimate rests on an input "
            "that is biased or unlucky in this sample (see the evidence above)."
        )

    def sensitivity_view(self) -> pd.DataFrame | None:
        """:attr:`sensitivity` with money formatted for people and short names; ``None`` when empty."""
        if self.sensitivity.empty:
            return None
        keys = [k for k in IMPACT_KEYS if k in self.sensitivity]
        shown = self.sensitivity.copy()
        for k in keys:
            shown[k] = shown[k].map(money)
        return shown.rename(columns={k: SHORT_NAMES[k] for k in keys})


_QUESTION = "**Question**: which changes should the shop make, and how much net money per month would each bring?"
_FORMULAS = """**Impact model** (every impact is net money per month; N = monthly sessions x adoption):

- **Cart-recovery nudge** = N x cart rate x value per cart. Notebook 03's value on held-out carts is
  sum over nudged carts of (1 - bought) x win-back rate x margin x order value - cost per nudge;
  its gross part is rescaled to the win-back rate and margin here, its cost to the cost per nudge here.
- **Stop today's discount offers** = -(N x offered share) x (margin x effect on offered sessions x AOV
  - conversion of offered sessions x discount per discounted order). The first term is the margin on the
  extra orders the offers bring (AIPW effect on the sessions that get an offer, the ATT); the second is the
  discount given away on every discounted order, those that would have happened anyway and the extra ones.
- **Ship the new checkout** = N x margin x (revenue per session, treatment minus control).

Each estimate varies within its 95% interval (independent normal draws, 20,000 of them); the table shows
the mean and the 5th to 95th percentiles of the resulting money."""


def memo(
    up: Upstream, assumptions: Assumptions, sessions: pd.DataFrame, simulation: Any = None, run_name: str = ""
) -> Memo:
    """Everything notebook 05 shows, computed once: inputs, impacts, truth, ranked recommendations, sensitivity.

    Parameters
    ----------
    up : Upstream
        Results of notebooks 01-04.
    assumptions : Assumptions
        The business assumptions.
    sessions : DataFrame
        The run's sessions (:func:`discount_facts`).
    simulation : Simulation, optional
        The run's simulation, for the truth.
    run_name : str
        The run's name, for the banner.
    """
    inputs = impact_inputs(up, sessions)
    resolved = assumptions.with_cart(up.prediction.value)
    impacts = impact_ranges(inputs, resolved)
    truth = true_impacts(simulation, inputs, resolved)
    planted = {}
    if inputs is not None:
        obs_truth = up.testing.observational.get("truth") or {}
        if "discount_att" in obs_truth:
            planted["effect of an offer on offered sessions"] = (
                obs_truth["discount_att"],
                inputs.discount_effect["estimate"],
            )
        if up.experiment is not None:
            planted["checkout conversion lift"] = (
                up.experiment["true_absolute_lift"],
                up.experiment["primary_session_conversion"]["estimate"],
            )
    return Memo(
        run_name=run_name,
        simulated=up.simulated,
        assumptions=resolved,
        inputs=inputs,
        impacts=impacts,
        truth=truth,
        recs=recommendations(up, impacts, inputs, truth),
        sensitivity=sensitivity_table(inputs, resolved),
        planted=planted,
        file_findings="" if inputs is not None else file_findings(up),
    )


def file_findings(up: Upstream) -> str:
    """What a data file's results say about the levers, for the memo (experiment, observational tests, models).

    Examples
    --------
    >>> obs = {"estimates": [{"test": "discount", "method": AIPW, "estimand": "ATE", "ci_low": -0.01, "ci_high": 0.02}]}
    >>> stage = {"permutation_test": {"p_value": 0.5}}
    >>> up = SimpleNamespace(testing=SimpleNamespace(experiment=None, observational=obs),
    ...                      prediction=SimpleNamespace(browse=stage, cart=stage))
    >>> file_findings(Upstream(None, None, up.prediction, up.testing))
    'It has no randomized experiment. Adjusted for who gets them, discount show no effect on purchases (95% intervals include zero). No model beats chance on the held-out sessions (permutation tests p >= 0.05).'
    """
    parts = [] if up.experiment else ["It has no randomized experiment."]
    aipw = [
        r
        for r in _records(up.testing.observational["estimates"])
        if r["method"] == AIPW and r.get("estimand", "ATE") == "ATE"
    ]
    null = [r["test"] for r in aipw if r["ci_low"] <= 0 <= r["ci_high"]]
    found = [r["test"] for r in aipw if r["test"] not in null]
    if null:
        parts.append(
            f"Adjusted for who gets them, {', '.join(null)} show no effect on purchases (95% intervals include zero)."
        )
    if found:
        parts.append(
            f"{', '.join(found).capitalize()} show an effect after adjustment, from observational data only: "
            "a randomized test must confirm it before it is worth money."
        )
    p_values = [getattr(up.prediction, st)["permutation_test"]["p_value"] for st in ("browse", "cart")]
    if min(p_values) >= 0.05:
        parts.append("No model beats chance on the held-out sessions (permutation tests p >= 0.05).")
    return " ".join(parts)


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
        Ranked (:func:`recommendations_frame`).
    impact_ranges : dict
        :func:`impact_ranges`: net money per month of ``cart_recovery``, ``discounts`` and
        ``experiment`` (``p5``, ``median``, ``p95``, ``mean``); empty for data files.
    assumptions : dict
        :meth:`Assumptions.to_dict` (with notebook 03's win-back rate and cost per nudge filled in).
    limits : list of str
        :func:`limits`.
    true_impacts : dict
        :func:`true_impacts` (empty without a known truth).
    sensitivity : DataFrame
        :func:`sensitivity_table` (empty for data files).
    impact_inputs : dict
        :meth:`ImpactInputs.to_dict` (empty for data files).
    """

    NOTEBOOK = "05_business_recommendations"
    VERSION = 2

    insights: list[dict]
    recommendations: pd.DataFrame
    impact_ranges: dict[str, dict[str, float]]
    assumptions: dict[str, float]
    limits: list[str]
    true_impacts: dict[str, float]
    sensitivity: pd.DataFrame
    impact_inputs: dict

    @classmethod
    def build(cls, insights: Iterable[Insight], memo: Memo, limits: list[str]) -> RecommendationsResults:
        """The results from the notebook's insights, memo (:func:`memo`) and limits."""
        return cls(
            insights=[i.to_dict() for i in insights],
            recommendations=recommendations_frame(memo.recs),
            impact_ranges=memo.impacts,
            assumptions=memo.assumptions.to_dict(),
            limits=list(limits),
            true_impacts=memo.truth,
            sensitivity=memo.sensitivity,
            impact_inputs=memo.inputs.to_dict() if memo.inputs is not None else {},
        )
