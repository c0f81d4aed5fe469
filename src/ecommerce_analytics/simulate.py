"""A session simulator with a known ground truth: the project's embedded default data source.

:func:`simulate` returns sessions with exactly the columns, dtypes and value domains of the
contract in :mod:`.schema` (the Kaggle dataset's), plus companion tables the Kaggle file lacks
(a randomized experiment and a pre-period covariate per user) and a :class:`SimulationTruth`
that every notebook uses to check its methods against the truth.

Data-generating process
-----------------------
Users and time (independent of persona)
    Users arrive over a 12-week window starting Monday 2025-01-06, with traffic growing
    linearly (week 12 has about twice the arrivals of week 1). Each user has a geometric
    number of sessions (mean ``1 / (1 - RETURN_PROBABILITY)``), separated by 1 + geometric
    days (mean ``RETURN_GAP_DAYS``); sessions after the window are not observed. The hour
    of each session follows a fixed daily profile (evening peak). Gender, location and
    preferred payment method are drawn per user, independently of persona.
Personas (latent, per user; never in the sessions table)
    ``PERSONAS`` lists four: power shoppers, window shoppers, quick deciders and deal
    seekers. A persona sets the user's age distribution and income band and, per session,
    the number of pages (1 + negative binomial), the seconds per page (log-normal), the
    category mix, the price level (log-normal by category, shifted by persona, truncated to
    [1, 5000]), the baseline intent to add to cart and to buy, and the sensitivity to discounts.
Product signals (independent of persona)
    Rating shown (1-5) and the review's sentiment (normal around ``0.3 * (rating - 3)``,
    clipped to [-1, 1]), with a review text drawn to match the sentiment.
Discount targeting (depends on observed columns only)
    An offer is made with probability ``sigmoid(-0.6 - 0.7 log(pages/6) + 0.6 log(price/100)
    + 0.5 [income = Low])``: shallow sessions, expensive items and low-income users get more
    offers.
    An offer's depth is one of ``DISCOUNT_TIERS`` (percent); no offer means 0 %. Because
    offers go to low-intent sessions, a naive comparison of discounted and undiscounted
    sessions understates the (positive) causal effect.
Funnel
    ``add_to_cart ~ Bernoulli(sigmoid(eta_cart))`` with ``eta_cart = cart_intercept[persona]
    + 1.8 log(pages/6) + 1.0 log(dwell/50) - 0.8 log(price/100) + 0.8 (rating - 3)
    + 1.5 sentiment + 0.3 [weekend]`` (dwell = seconds per page). Given a cart,
    ``purchase ~ Bernoulli(sigmoid(eta_buy))`` with ``eta_buy = buy_intercept[persona]
    + discount_slope[persona] * discount/10 - 0.5 log(price/100) + payment_effect[method]
    + EXPERIMENT_LOG_ODDS [treatment]``. The coefficients are in ``COEF``.
    Then ``abandoned_cart = add_to_cart and not purchase_decision`` exactly, as in the
    Kaggle file.
Randomized experiment
    Every user with a session in the last ``EXPERIMENT_WEEKS`` weeks is assigned at that
    first session to ``control`` or ``treatment`` with probability 1/2 (a new checkout flow).
    Treatment adds ``EXPERIMENT_LOG_ODDS`` to ``eta_buy`` in the user's sessions from then on.
Pre-period covariate (for CUPED)
    Per user, sessions in the 24 weeks before the window ``~ Poisson(pre_sessions[persona])``
    and purchases among them ``~ Binomial(sessions, pre_conversion[persona])``.

Ground truth
    For every session the truth holds the persona, the all-knowing purchase probability, and
    the probability given only what a model can observe in that row, for the browse stage
    (all columns but the cart flags and the target) and the cart stage (the same, among
    sessions with ``add_to_cart = 1``). Both are exact: the posterior over personas follows
    from Bayes' rule with the exact probabilities of the persona-dependent columns (category,
    price to the cent, pages, seconds, age, income); every other column is generated from
    observed columns or independently of persona, so its likelihood cancels. The row's
    experiment variant is unobserved there and is averaged out (it is independent of the row).
    Cross-row information (other sessions of the same user) is outside these ceilings.

At scale
    :func:`simulate_to_parquet` writes any number of sessions as partitioned Parquet with memory
    bounded by one block of :data:`PARQUET_BLOCK_SESSIONS` sessions: the blocks are independent
    populations of this process (the first one is :func:`simulate`'s output for that seed), and
    the truth's scalars are aggregated over them exactly.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special, stats

from .config import DEFAULT_N_SESSIONS, DEFAULT_SEED
from .schema import CATEGORIES, COLUMN_NAMES, GENDERS, INCOME_LEVELS, PAYMENT_METHODS, TABLE_NAME

__all__ = [
    "Persona",
    "PERSONAS",
    "Simulation",
    "SimulationTruth",
    "simulate",
    "simulate_to_parquet",
    "ParquetSimulation",
    "PARQUET_BLOCK_SESSIONS",
    "PARQUET_TABLES",
    "purchase_probabilities",
    "DEFAULT_N_SESSIONS",
    "DEFAULT_SEED",
]

START = pd.Timestamp("2025-01-06")  # a Monday
WEEKS = 12
EXPERIMENT_WEEKS = 4
EXPERIMENT_LOG_ODDS = 0.25
RETURN_PROBABILITY = 0.55
RETURN_GAP_DAYS = 8.0
PRICE_BOUNDS = (1.0, 5000.0)
PRICE_SD = 0.55
DWELL_SD = 0.35
NB_SIZE = 6.0
AGES = np.arange(18, 76)
#: Offer depth (percent) and its probability, given an offer.
DISCOUNT_TIERS = np.array([5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0])
DISCOUNT_TIER_PROBS = np.array([0.10, 0.20, 0.20, 0.20, 0.12, 0.10, 0.05, 0.03])
CATEGORY_LOG_PRICE = {
    "Books": np.log(22.0),
    "Clothing": np.log(55.0),
    "Electronics": np.log(210.0),
    "Furniture": np.log(250.0),
    "Grocery": np.log(16.0),
}
PAYMENT_PROBS = {"COD": 0.15, "Credit Card": 0.35, "Debit Card": 0.25, "PayPal": 0.25}
PAYMENT_LOG_ODDS = {"COD": -0.35, "Credit Card": 0.10, "Debit Card": 0.0, "PayPal": 0.15}
GENDER_PROBS = {"Male": 0.47, "Female": 0.49, "Other": 0.04}
RATING_PROBS = np.array([0.05, 0.08, 0.20, 0.37, 0.30])
HOUR_WEIGHTS = np.array([2, 1, 1, 1, 1, 2, 3, 4, 5, 6, 6, 7, 8, 7, 6, 6, 7, 8, 9, 11, 12, 11, 8, 4], float)
COEF = {  # log-odds coefficients shared by all personas
    "cart_log_pages": 1.8,
    "cart_log_dwell": 1.0,
    "cart_log_price": -0.8,
    "cart_rating": 0.8,
    "cart_sentiment": 1.5,
    "cart_weekend": 0.3,
    "buy_log_price": -0.5,
    "offer_intercept": -0.6,
    "offer_log_pages": -0.7,
    "offer_log_price": 0.6,
    "offer_low_income": 0.5,
}
_LOCATIONS = (
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Bristol",
    "Clinton",
    "Fairview",
    "Salem",
    "Madison",
    "Georgetown",
    "Arlington",
    "Ashland",
    "Burlington",
    "Manchester",
    "Milton",
    "Oxford",
    "Newport",
    "Dover",
    "Hudson",
    "Kingston",
    "Lexington",
    "Marion",
    "Auburn",
    "Dayton",
    "Jackson",
    "Lakewood",
    "Mount Vernon",
    "Oakland",
    "Centerville",
    "Winchester",
    "Clayton",
    "Jamestown",
    "Lancaster",
    "Milford",
    "Plymouth",
    "Richmond",
    "Shelby",
    "Troy",
    "Union",
    "Waverly",
)
_REVIEWS = {
    "negative": (
        "Broke after a week.",
        "Not as described, very disappointed.",
        "Poor quality for the price.",
        "Arrived damaged and support was slow.",
        "Would not buy again.",
        "Cheap material, returned it.",
    ),
    "neutral": (
        "It is okay.",
        "Does the job.",
        "Average product, nothing special.",
        "As expected.",
        "Fine for everyday use.",
        "Delivery was on time.",
    ),
    "positive": (
        "Great quality, highly recommend!",
        "Exactly what I needed.",
        "Excellent value for money.",
        "Love it, works perfectly.",
        "Fast delivery and great product.",
        "Better than expected.",
    ),
}


@dataclass(frozen=True)
class Persona:
    """A latent customer type and the parameters it sets (see the module docstring)."""

    name: str
    share: float
    pages_mean: float  # mean of (pages_visited - 1), negative binomial with size NB_SIZE
    dwell_seconds: float  # median seconds per page (log-normal, sd DWELL_SD)
    category_probs: tuple[float, ...]  # over schema.CATEGORIES
    price_shift: float  # added to the category's log-price
    age_mean: float
    age_sd: float
    income_probs: tuple[float, ...]  # over schema.INCOME_LEVELS
    cart_intercept: float
    buy_intercept: float
    discount_slope: float  # log-odds of buying per 10 discount points, given a cart
    pre_sessions: float
    pre_conversion: float


PERSONAS: tuple[Persona, ...] = (
    Persona(
        "power_shopper",
        0.15,
        11.0,
        55.0,
        (0.10, 0.15, 0.40, 0.30, 0.05),
        0.45,
        41,
        9,
        (0.10, 0.35, 0.55),
        0.2,
        0.6,
        0.05,
        12.0,
        0.30,
    ),
    Persona(
        "window_shopper",
        0.35,
        9.0,
        75.0,
        (0.20, 0.30, 0.25, 0.15, 0.10),
        0.10,
        29,
        7,
        (0.30, 0.45, 0.25),
        -2.2,
        -2.4,
        0.12,
        9.0,
        0.05,
    ),
    Persona(
        "quick_decider",
        0.20,
        1.2,
        30.0,
        (0.30, 0.10, 0.10, 0.05, 0.45),
        -0.30,
        50,
        11,
        (0.25, 0.50, 0.25),
        0.6,
        0.0,
        0.08,
        4.5,
        0.25,
    ),
    Persona(
        "deal_seeker",
        0.30,
        5.0,
        45.0,
        (0.15, 0.40, 0.10, 0.05, 0.30),
        -0.35,
        36,
        10,
        (0.60, 0.30, 0.10),
        -0.8,
        -2.6,
        0.45,
        7.5,
        0.10,
    ),
)


@dataclass(frozen=True)
class SimulationTruth:
    """What is true in a simulated dataset. Rows of ``sessions`` align with the sessions table.

    Attributes
    ----------
    sessions : DataFrame
        Per session: ``persona``, ``variant`` (None outside the experiment), ``discount_offered``,
        ``p_cart``, ``p_purchase_given_cart``, ``p_purchase`` (all-knowing), ``p_observed_browse``
        and ``p_observed_cart`` (best possible given the row's observable columns; the latter
        NaN where ``add_to_cart = 0``), ``p_if_offered`` and ``p_if_not_offered`` (all-knowing,
        under each discount decision), and ``posterior_<persona>``, the probability of each
        persona given the row's observable columns.
    users : DataFrame
        ``user_id`` and ``persona``.
    discount_ate, discount_att : float
        Average effect of a discount offer on the purchase probability, over all sessions
        and over the sessions that got one.
    discount_ate_by_persona : dict
    experiment : dict
        ``log_odds_effect``, per-session conversion under control and treatment for the
        experiment's sessions, absolute and relative lift.
    price_elasticity : float
        Percent change of the mean purchase probability for a 1 % higher price, all else equal.
    params : dict
        Every parameter of the process, for the record.
    policy : dict
        What each business policy truly changes, averaged over sessions (money in the data's
        currency; prices at list, before any discount). ``discount``, per session of the data:
        ``offered_share``, ``incremental_orders`` (mean of ``offered * (p_purchase -
        p_if_not_offered)``, each offered session at its own drawn depth),
        ``incremental_list_revenue`` (the same, times the list price) and ``discount_given`` (mean
        of ``offered * price * depth * p_purchase``: the discount paid on every discounted order,
        those that would have happened anyway and the extra ones). ``experiment``, per session
        of the experiment: true revenue per session (``price * (1 - depth)`` times the purchase
        probability) and average order value under each arm, and ``revenue_lift_per_session``.
    """

    seed: int
    n_sessions: int
    personas: tuple[str, ...]
    sessions: pd.DataFrame
    users: pd.DataFrame
    discount_ate: float
    discount_att: float
    discount_ate_by_persona: dict[str, float]
    experiment: dict[str, float]
    price_elasticity: float
    params: dict = field(repr=False)
    policy: dict = field(default_factory=dict)

    def summary(self) -> dict[str, float]:
        """Headline facts of the truth, for notebooks and results files."""
        s = self.sessions
        return {
            "n_sessions": self.n_sessions,
            "n_users": int(len(self.users)),
            "persona_shares": s["persona"].value_counts(normalize=True).sort_index().round(6).to_dict(),
            "discount_ate": self.discount_ate,
            "discount_att": self.discount_att,
            "experiment_absolute_lift": self.experiment["absolute_lift"],
            "price_elasticity": self.price_elasticity,
        }


@dataclass(frozen=True)
class Simulation:
    """Output of :func:`simulate`."""

    sessions: pd.DataFrame
    assignments: pd.DataFrame
    pre_period: pd.DataFrame
    truth: SimulationTruth

    _TABLES = ("sessions", "assignments", "pre_period")

    def to_folder(self, folder: str | os.PathLike) -> Path:
        """Write every table (Parquet) and the truth's scalars (JSON) to ``folder``.

        Read back with :meth:`from_folder`: the result equals this simulation exactly
        (Parquet keeps dtypes, and JSON round-trips every float64).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in self._TABLES:
            getattr(self, name).to_parquet(folder / f"{name}.parquet", index=False)
        self.truth.sessions.to_parquet(folder / "truth_sessions.parquet", index=False)
        self.truth.users.to_parquet(folder / "truth_users.parquet", index=False)
        scalars = {
            f.name: getattr(self.truth, f.name) for f in fields(self.truth) if f.name not in ("sessions", "users")
        }
        (folder / "truth.json").write_text(json.dumps(scalars, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def from_folder(cls, folder: str | os.PathLike) -> Simulation:
        """A simulation written by :meth:`to_folder`."""
        folder = Path(folder)
        tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in cls._TABLES}
        scalars = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
        scalars["personas"] = tuple(scalars["personas"])
        truth = SimulationTruth(
            sessions=pd.read_parquet(folder / "truth_sessions.parquet"),
            users=pd.read_parquet(folder / "truth_users.parquet"),
            **scalars,
        )
        return cls(truth=truth, **tables)


# ------------------------------------------------------------------------------- helpers
def _uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random version-4-style UUID strings, vectorised."""
    hexed = np.frombuffer(rng.bytes(16 * n).hex().encode(), dtype=np.uint8).reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    out[:, 0:8], out[:, 9:13], out[:, 14:18] = hexed[:, 0:8], hexed[:, 8:12], hexed[:, 12:16]
    out[:, 19:23], out[:, 24:36] = hexed[:, 16:20], hexed[:, 20:32]
    out[:, 14] = ord("4")
    return out.view("S36").ravel().astype(str)


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u > cum).sum(axis=1), probs.shape[1] - 1)


def _age_pmf() -> np.ndarray:
    """(persona, age) probabilities: a discretised normal over AGES."""
    pmf = np.array([stats.norm.pdf(AGES, p.age_mean, p.age_sd) for p in PERSONAS])
    return pmf / pmf.sum(axis=1, keepdims=True)


def _log_price_mu(cat_idx: np.ndarray, persona_idx: np.ndarray | int) -> np.ndarray:
    base = np.array([CATEGORY_LOG_PRICE[c] for c in CATEGORIES])
    shift = np.array([p.price_shift for p in PERSONAS])
    return base[cat_idx] + shift[persona_idx]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return special.expit(x)


@dataclass(frozen=True)
class _Covariates:
    """Arrays the funnel's log-odds need (one entry per session)."""

    pages: np.ndarray
    time_spent: np.ndarray
    price: np.ndarray
    discount: np.ndarray
    rating: np.ndarray
    sentiment: np.ndarray
    weekend: np.ndarray
    payment_idx: np.ndarray

    @staticmethod
    def from_sessions(sessions: pd.DataFrame) -> _Covariates:
        return _Covariates(
            pages=sessions["pages_visited"].to_numpy(float),
            time_spent=sessions["time_spent"].to_numpy(float),
            price=sessions["price"].to_numpy(float),
            discount=sessions["discount_applied"].to_numpy(float),
            rating=sessions["rating"].to_numpy(float),
            sentiment=sessions["sentiment_score"].to_numpy(float),
            weekend=(sessions["purchase_date"].dt.day_of_week >= 5).to_numpy(float),
            payment_idx=pd.Categorical(sessions["payment_method"], categories=PAYMENT_METHODS).codes,
        )

    def dwell(self) -> np.ndarray:
        return np.maximum(self.time_spent, 1.0) / self.pages


def _eta_cart(cov: _Covariates, persona_idx: np.ndarray | int) -> np.ndarray:
    a = np.array([p.cart_intercept for p in PERSONAS])[persona_idx]
    return (
        a
        + COEF["cart_log_pages"] * np.log(cov.pages / 6.0)
        + COEF["cart_log_dwell"] * np.log(cov.dwell() / 50.0)
        + COEF["cart_log_price"] * np.log(cov.price / 100.0)
        + COEF["cart_rating"] * (cov.rating - 3.0)
        + COEF["cart_sentiment"] * cov.sentiment
        + COEF["cart_weekend"] * cov.weekend
    )


def _eta_buy(
    cov: _Covariates,
    persona_idx: np.ndarray | int,
    treated: np.ndarray | float,
    discount: np.ndarray | float | None = None,
) -> np.ndarray:
    b = np.array([p.buy_intercept for p in PERSONAS])[persona_idx]
    slope = np.array([p.discount_slope for p in PERSONAS])[persona_idx]
    pay = np.array([PAYMENT_LOG_ODDS[m] for m in PAYMENT_METHODS])[cov.payment_idx]
    d = cov.discount if discount is None else discount
    return (
        b
        + slope * np.asarray(d) / 10.0
        + COEF["buy_log_price"] * np.log(cov.price / 100.0)
        + pay
        + EXPERIMENT_LOG_ODDS * np.asarray(treated, dtype=float)
    )


def purchase_probabilities(sessions: pd.DataFrame, persona: np.ndarray, treated: np.ndarray) -> pd.DataFrame:
    """All-knowing funnel probabilities of sessions under the simulator's process.

    Use it for counterfactuals: change a column of ``sessions`` (price, discount, ...) and
    compare. ``persona`` holds indices into :data:`PERSONAS`; ``treated`` is 1 for sessions
    under the experiment's treatment.

    Returns
    -------
    DataFrame with ``p_cart``, ``p_purchase_given_cart`` and ``p_purchase``.
    """
    cov = _Covariates.from_sessions(sessions)
    p_cart = _sigmoid(_eta_cart(cov, persona))
    p_buy = _sigmoid(_eta_buy(cov, persona, treated))
    return pd.DataFrame(
        {"p_cart": p_cart, "p_purchase_given_cart": p_buy, "p_purchase": p_cart * p_buy}, index=sessions.index
    )


def _log_likelihood_by_persona(sessions: pd.DataFrame) -> np.ndarray:
    """Log P(persona-dependent observed columns | persona), shape (n, n_personas), exact."""
    n = len(sessions)
    cat_idx = pd.Categorical(sessions["category"], categories=CATEGORIES).codes
    inc_idx = pd.Categorical(sessions["income_level"], categories=INCOME_LEVELS).codes
    pages = sessions["pages_visited"].to_numpy(float)
    t = sessions["time_spent"].to_numpy(float)
    price = sessions["price"].to_numpy(float)
    age_pos = np.clip(sessions["age"].to_numpy() - AGES[0], 0, len(AGES) - 1)
    age_pmf = _age_pmf()
    lo_b, hi_b = np.log(PRICE_BOUNDS[0]), np.log(PRICE_BOUNDS[1])
    lo_p = np.log(np.maximum(price - 0.005, PRICE_BOUNDS[0]))
    hi_p = np.log(np.minimum(price + 0.005, PRICE_BOUNDS[1]))
    t_lo = np.maximum(t - 0.5, 0.0) / pages
    t_hi = (t + 0.5) / pages
    out = np.empty((n, len(PERSONAS)))
    for k, p in enumerate(PERSONAS):
        ll = np.log(np.asarray(p.category_probs))[cat_idx] + np.log(np.asarray(p.income_probs))[inc_idx]
        ll += np.log(age_pmf[k])[age_pos]
        mu = _log_price_mu(cat_idx, k)
        z = stats.norm.cdf(hi_b, mu, PRICE_SD) - stats.norm.cdf(lo_b, mu, PRICE_SD)
        ll += np.log(stats.norm.cdf(hi_p, mu, PRICE_SD) - stats.norm.cdf(lo_p, mu, PRICE_SD)) - np.log(z)
        ll += stats.nbinom.logpmf(pages - 1, NB_SIZE, NB_SIZE / (NB_SIZE + p.pages_mean))
        dw = stats.lognorm(s=DWELL_SD, scale=p.dwell_seconds)
        ll += np.log(dw.cdf(t_hi) - dw.cdf(t_lo))
        out[:, k] = ll
    return out


# ------------------------------------------------------------------------------- simulate
def _draw_users(rng: np.random.Generator, n_sessions: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Users and their in-window session times; exactly ``n_sessions`` sessions."""
    days = WEEKS * 7
    batch = max(64, int(n_sessions / 1.5))
    users_of, days_of = [], []
    n_users = total = 0
    while total < n_sessions:  # batches of users until the window holds enough sessions
        # Arrival day with linearly growing traffic: density proportional to (1 + day/days).
        first = np.floor(days * (np.sqrt(1.0 + 3.0 * rng.random(batch)) - 1.0)).astype(np.int64)
        k = rng.geometric(1.0 - RETURN_PROBABILITY, size=batch)
        user_of = np.repeat(np.arange(batch), k)
        pos = np.arange(len(user_of)) - np.repeat(np.cumsum(k) - k, k)
        gaps = np.where(pos == 0, 0, rng.geometric(1.0 / RETURN_GAP_DAYS, size=len(user_of)))
        day = first[user_of] + _group_cumsum(gaps, k)
        keep = day < days
        users_of.append(user_of[keep] + n_users)
        days_of.append(day[keep])
        n_users += batch
        total += int(keep.sum())
    user_of = np.concatenate(users_of)[:n_sessions]
    day = np.concatenate(days_of)[:n_sessions]
    hours = rng.choice(24, size=n_sessions, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = rng.integers(0, 3600, size=n_sessions)
    offset = day * 86400 + hours * 3600 + seconds
    users_idx, user_of = np.unique(user_of, return_inverse=True)
    return pd.DataFrame({"user": users_idx}), user_of, offset


def _group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    starts = np.cumsum(counts) - counts
    base = np.repeat(total[starts] - values[starts], counts)
    return total - base


def simulate(
    n_sessions: int = DEFAULT_N_SESSIONS, seed: int = DEFAULT_SEED, *, progress: Callable[[str], None] | None = None
) -> Simulation:
    """Simulate ``n_sessions`` shopping sessions with a known ground truth.

    The process is described in the module docstring; every parameter is in
    ``truth.params``. The same ``(n_sessions, seed)`` gives byte-identical output.

    Parameters
    ----------
    n_sessions : int, default DEFAULT_N_SESSIONS (20,000)
        Rows of the sessions table (the Kaggle file has 5,000).
    seed : int, default DEFAULT_SEED (42)
        Seed of the random generator.
    progress : callable, optional
        Called with a short message at each step (the CLI prints them).

    Returns
    -------
    Simulation
        ``sessions`` (the contract's 19 columns, sorted by time), ``assignments``
        (``user_id, variant, assigned_at``), ``pre_period`` (``user_id, pre_sessions,
        pre_purchases``) and ``truth``.

    Examples
    --------
    >>> sim = simulate(1000, seed=1)
    >>> sim.sessions.shape
    (1000, 19)
    >>> bool((sim.sessions.purchase_decision <= sim.sessions.add_to_cart).all())
    True
    """
    if int(n_sessions) != n_sessions or n_sessions < 1:
        raise ValueError(f"n_sessions must be a positive integer, got {n_sessions!r}")
    return _simulate(int(n_sessions), seed, seed, progress or (lambda _msg: None))


def _simulate(n: int, seed: int, entropy: int | np.random.SeedSequence, say: Callable[[str], None]) -> Simulation:
    """The whole simulation of ``n`` sessions from the generator seeded by ``entropy`` (``seed`` is recorded)."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(entropy)
    # The steps draw from one generator in a fixed order: reordering them changes every table.
    say("drawing users and session times")
    pop = _draw_population(rng, n)
    say("drawing session behaviour")
    sessions, offered = _draw_sessions(rng, pop)
    say("assigning the experiment")
    in_exp, variant_u, treated = _assign_experiment(rng, pop)
    say("drawing the funnel")
    probs = _draw_funnel(rng, sessions, pop.persona, treated)
    sessions = sessions[list(COLUMN_NAMES)]
    assignments = _assignments(pop, in_exp, variant_u)
    pre_period = _pre_period(rng, pop)
    say("computing the ground truth")
    truth = _truth(
        seed,
        sessions,
        pop.persona,
        pop.persona_u,
        pop.user_ids,
        in_exp,
        variant_u[pop.user_of],
        treated,
        offered,
        probs,
    )
    say(f"simulated {n:,} sessions of {len(pop.user_ids):,} users in {time.perf_counter() - t0:.1f} s")
    return Simulation(sessions=sessions, assignments=assignments, pre_period=pre_period, truth=truth)


@dataclass
class _Population:
    """Users and their sessions in time order: who, when, and the users' fixed attributes."""

    user_of: np.ndarray  # per session: index of its user
    offset: np.ndarray  # per session: seconds since START
    persona_u: np.ndarray  # per user
    age_u: np.ndarray
    income_u: np.ndarray
    gender_u: np.ndarray
    location_u: np.ndarray
    payment_u: np.ndarray
    user_ids: np.ndarray

    @property
    def persona(self) -> np.ndarray:
        """Per session: the persona of its user."""
        return self.persona_u[self.user_of]


def _draw_population(rng: np.random.Generator, n: int) -> _Population:
    """Draw the users, their attributes, and their sessions' times (sorted by time, then user)."""
    users, user_of, offset = _draw_users(rng, n)
    n_users = len(users)
    persona_u = _choice(rng, np.tile([p.share for p in PERSONAS], (n_users, 1)))
    age_u = AGES[_choice(rng, _age_pmf()[persona_u])]
    income_u = _choice(rng, np.array([p.income_probs for p in PERSONAS])[persona_u])
    gender_u = rng.choice(len(GENDERS), size=n_users, p=[GENDER_PROBS[g] for g in GENDERS])
    loc_w = 1.0 / np.arange(1, len(_LOCATIONS) + 1)
    location_u = rng.choice(len(_LOCATIONS), size=n_users, p=loc_w / loc_w.sum())
    payment_u = rng.choice(len(PAYMENT_METHODS), size=n_users, p=[PAYMENT_PROBS[m] for m in PAYMENT_METHODS])
    user_ids = _uuids(rng, n_users)
    # Sessions in time order (ties broken by user) so that row order is meaningful.
    order = np.lexsort((user_of, offset))
    return _Population(
        user_of[order], offset[order], persona_u, age_u, income_u, gender_u, location_u, payment_u, user_ids
    )


def _draw_sessions(rng: np.random.Generator, pop: _Population) -> tuple[pd.DataFrame, np.ndarray]:
    """Draw each session's product, price, browsing, rating and discount offer (funnel flags still 0)."""
    n, persona = len(pop.user_of), pop.persona
    cat_idx = _choice(rng, np.array([p.category_probs for p in PERSONAS])[persona])
    mu = _log_price_mu(cat_idx, persona)
    lo, hi = (
        stats.norm.cdf(np.log(PRICE_BOUNDS[0]), mu, PRICE_SD),
        stats.norm.cdf(np.log(PRICE_BOUNDS[1]), mu, PRICE_SD),
    )
    price = np.round(np.exp(stats.norm.ppf(lo + rng.random(n) * (hi - lo), mu, PRICE_SD)), 2)
    price = np.clip(price, PRICE_BOUNDS[0], PRICE_BOUNDS[1])
    pages_mean = np.array([p.pages_mean for p in PERSONAS])[persona]
    pages = 1 + rng.negative_binomial(NB_SIZE, NB_SIZE / (NB_SIZE + pages_mean))
    dwell = np.exp(np.log(np.array([p.dwell_seconds for p in PERSONAS])[persona]) + DWELL_SD * rng.standard_normal(n))
    time_spent = np.round(pages * dwell).astype(np.int64)
    rating = 1 + rng.choice(5, size=n, p=RATING_PROBS)
    sentiment = np.clip(np.round(0.3 * (rating - 3) + 0.25 * rng.standard_normal(n), 2), -1.0, 1.0)
    income = pop.income_u[pop.user_of]
    offer_logit = (
        COEF["offer_intercept"]
        + COEF["offer_log_pages"] * np.log(pages / 6.0)
        + COEF["offer_log_price"] * np.log(price / 100.0)
        + COEF["offer_low_income"] * (income == 0)
    )
    offered = rng.random(n) < _sigmoid(offer_logit)
    discount = np.where(offered, DISCOUNT_TIERS[rng.choice(len(DISCOUNT_TIERS), size=n, p=DISCOUNT_TIER_PROBS)], 0.0)
    user_of = pop.user_of
    timestamps = START + pd.to_timedelta(pop.offset, unit="s")
    sessions = pd.DataFrame(
        {
            "user_id": pd.Series(pop.user_ids[user_of], dtype="str"),
            "product_id": pd.Series(_uuids(rng, n), dtype="str"),
            "category": pd.Series(np.asarray(CATEGORIES)[cat_idx], dtype="str"),
            "price": price.astype(float),
            "discount_applied": discount.astype(float),
            "payment_method": pd.Series(np.asarray(PAYMENT_METHODS)[pop.payment_u[user_of]], dtype="str"),
            "purchase_date": pd.Series(timestamps).astype("datetime64[us]"),
            "pages_visited": pages.astype(np.int64),
            "time_spent": time_spent,
            "add_to_cart": np.zeros(n, dtype=np.int64),
            "abandoned_cart": np.zeros(n, dtype=np.int64),
            "rating": rating.astype(np.int64),
            "review_text": pd.Series(_review_texts(rng, sentiment), dtype="str"),
            "sentiment_score": sentiment.astype(float),
            "age": pop.age_u[user_of].astype(np.int64),
            "gender": pd.Series(np.asarray(GENDERS)[pop.gender_u[user_of]], dtype="str"),
            "income_level": pd.Series(np.asarray(INCOME_LEVELS)[income], dtype="str"),
            "location": pd.Series(np.asarray(_LOCATIONS)[pop.location_u[user_of]], dtype="str"),
            "purchase_decision": np.zeros(n, dtype=np.int64),
        }
    )
    return sessions, offered


def _assign_experiment(rng: np.random.Generator, pop: _Population) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Randomize the users active in the experiment's weeks: per session in the test, per user, treated flag."""
    exp_start = (WEEKS - EXPERIMENT_WEEKS) * 7 * 86400
    in_exp = pop.offset >= exp_start
    exp_users = np.unique(pop.user_of[in_exp])
    variant_u = np.full(len(pop.user_ids), -1, dtype=np.int64)
    variant_u[exp_users] = rng.integers(0, 2, size=len(exp_users))
    treated = (in_exp & (variant_u[pop.user_of] == 1)).astype(float)
    return in_exp, variant_u, treated


def _draw_funnel(
    rng: np.random.Generator, sessions: pd.DataFrame, persona: np.ndarray, treated: np.ndarray
) -> pd.DataFrame:
    """Draw cart and purchase from the true probabilities (set in ``sessions``); return the probabilities."""
    n = len(sessions)
    probs = purchase_probabilities(sessions, persona, treated)
    cart = rng.random(n) < probs["p_cart"].to_numpy()
    buy = cart & (rng.random(n) < probs["p_purchase_given_cart"].to_numpy())
    sessions["add_to_cart"] = cart.astype(np.int64)
    sessions["purchase_decision"] = buy.astype(np.int64)
    sessions["abandoned_cart"] = (cart & ~buy).astype(np.int64)
    return probs


def _assignments(pop: _Population, in_exp: np.ndarray, variant_u: np.ndarray) -> pd.DataFrame:
    """The assignment table: each experiment user's variant and first session in the test."""
    first_exp = pd.Series(pop.offset[in_exp]).groupby(pop.user_of[in_exp]).min()
    users = first_exp.index.to_numpy()
    return (
        pd.DataFrame(
            {
                "user_id": pd.Series(pop.user_ids[users], dtype="str"),
                "variant": pd.Series(np.where(variant_u[users] == 1, "treatment", "control"), dtype="str"),
                "assigned_at": (START + pd.to_timedelta(first_exp.to_numpy(), unit="s")).astype("datetime64[us]"),
            }
        )
        .sort_values(["assigned_at", "user_id"], kind="stable")
        .reset_index(drop=True)
    )


def _pre_period(rng: np.random.Generator, pop: _Population) -> pd.DataFrame:
    """Each user's sessions and purchases before the data start (the CUPED covariate)."""
    pre_sessions = rng.poisson(np.array([p.pre_sessions for p in PERSONAS])[pop.persona_u])
    pre_purchases = rng.binomial(pre_sessions, np.array([p.pre_conversion for p in PERSONAS])[pop.persona_u])
    return pd.DataFrame(
        {
            "user_id": pd.Series(pop.user_ids, dtype="str"),
            "pre_sessions": pre_sessions.astype(np.int64),
            "pre_purchases": pre_purchases.astype(np.int64),
        }
    )


def _review_texts(rng: np.random.Generator, sentiment: np.ndarray) -> np.ndarray:
    pick = rng.integers(0, 6, size=len(sentiment))
    out = np.empty(len(sentiment), dtype=object)
    for name, lo, hi in (("negative", -2, -0.15), ("neutral", -0.15, 0.15), ("positive", 0.15, 2)):
        mask = (sentiment >= lo) & (sentiment < hi)
        out[mask] = np.asarray(_REVIEWS[name], dtype=object)[pick[mask]]
    return out


def _truth(
    seed: int,
    sessions: pd.DataFrame,
    persona: np.ndarray,
    persona_u: np.ndarray,
    user_ids: np.ndarray,
    in_exp: np.ndarray,
    variant: np.ndarray,
    treated: np.ndarray,
    offered: np.ndarray,
    probs: pd.DataFrame,
) -> SimulationTruth:
    """Everything the simulator knows and an analyst does not: true probabilities and effects."""
    names = tuple(p.name for p in PERSONAS)
    cov = _Covariates.from_sessions(sessions)
    post, p_browse, p_cart_stage = _observable_ceilings(sessions, cov, in_exp)
    p_offer, p_none = _offer_probabilities(cov, persona, treated, probs)
    effect = p_offer - p_none
    by_persona = {
        name: float(effect[persona == j].mean()) if (persona == j).any() else float("nan")
        for j, name in enumerate(names)
    }
    experiment = _experiment_truth(cov, persona, in_exp, probs)
    policy = _policy_truth(cov, persona, in_exp, offered, probs, p_none)
    bumped = sessions.assign(price=sessions["price"] * 1.01)
    p_up = purchase_probabilities(bumped, persona, treated)["p_purchase"].to_numpy()
    elasticity = float((p_up.mean() / probs["p_purchase"].to_numpy().mean() - 1.0) / 0.01)
    variant_label = np.where(variant == 1, "treatment", "control").astype(object)
    variant_label[~in_exp] = None
    truth_sessions = pd.DataFrame(
        {
            "persona": pd.Series(np.asarray(names)[persona], dtype="str"),
            "variant": variant_label,
            "discount_offered": offered,
            "p_cart": probs["p_cart"].to_numpy(),
            "p_purchase_given_cart": probs["p_purchase_given_cart"].to_numpy(),
            "p_purchase": probs["p_purchase"].to_numpy(),
            "p_observed_browse": p_browse,
            "p_observed_cart": p_cart_stage,
            "p_if_offered": p_offer,
            "p_if_not_offered": p_none,
        }
    )
    for j, name in enumerate(names):
        truth_sessions[f"posterior_{name}"] = post[:, j]
    users = pd.DataFrame(
        {"user_id": pd.Series(user_ids, dtype="str"), "persona": pd.Series(np.asarray(names)[persona_u], dtype="str")}
    )
    return SimulationTruth(
        seed=seed,
        n_sessions=len(sessions),
        personas=names,
        sessions=truth_sessions,
        users=users,
        discount_ate=float(effect.mean()),
        discount_att=float(effect[offered].mean()) if offered.any() else float("nan"),
        discount_ate_by_persona=by_persona,
        experiment=experiment,
        price_elasticity=elasticity,
        params=_parameters(),
        policy=policy,
    )


def _observable_ceilings(
    sessions: pd.DataFrame, cov: _Covariates, in_exp: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Persona posteriors and the best purchase probabilities reachable from the observed columns.

    The two probabilities are those of the browse stage (before any cart action) and of the cart
    stage (among carts; NaN elsewhere).
    """
    k = len(PERSONAS)
    # Posterior over personas given the row's observable columns (Bayes' rule).
    log_post = np.log([p.share for p in PERSONAS]) + _log_likelihood_by_persona(sessions)
    post = np.exp(log_post - special.logsumexp(log_post, axis=1, keepdims=True))
    p_cart_k = np.column_stack([_sigmoid(_eta_cart(cov, j)) for j in range(k)])
    half = np.where(in_exp, 0.5, 0.0)  # the unobserved variant, averaged out
    p_buy_k = np.column_stack(
        [(1 - half) * _sigmoid(_eta_buy(cov, j, 0.0)) + half * _sigmoid(_eta_buy(cov, j, 1.0)) for j in range(k)]
    )
    w = post * p_cart_k
    p_browse = (w * p_buy_k).sum(axis=1)
    p_cart_stage = np.where(sessions["add_to_cart"].to_numpy() == 1, p_browse / w.sum(axis=1), np.nan)
    return post, p_browse, p_cart_stage


def _offer_probabilities(
    cov: _Covariates, persona: np.ndarray, treated: np.ndarray, probs: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """All-knowing purchase probability of each session with and without a discount offer."""
    p_cart = probs["p_cart"].to_numpy()
    tier_p = DISCOUNT_TIER_PROBS / DISCOUNT_TIER_PROBS.sum()
    p_offer = p_cart * sum(
        tp * _sigmoid(_eta_buy(cov, persona, treated, d)) for d, tp in zip(DISCOUNT_TIERS, tier_p, strict=True)
    )
    p_none = p_cart * _sigmoid(_eta_buy(cov, persona, treated, 0.0))
    return p_offer, p_none


def _experiment_truth(cov: _Covariates, persona: np.ndarray, in_exp: np.ndarray, probs: pd.DataFrame) -> dict:
    """True per-session conversion of the experiment's sessions under each arm, and the lift."""
    truth: dict = {"log_odds_effect": EXPERIMENT_LOG_ODDS, "sessions": int(in_exp.sum())}
    if not in_exp.any():
        keys = ("conversion_control", "conversion_treatment", "absolute_lift", "relative_lift")
        return {**truth, **dict.fromkeys(keys, float("nan"))}
    pc = probs["p_cart"].to_numpy()[in_exp]
    ctrl = pc * _sigmoid(_eta_buy(cov, persona, 0.0))[in_exp]
    trt = pc * _sigmoid(_eta_buy(cov, persona, 1.0))[in_exp]
    return {
        **truth,
        "conversion_control": float(ctrl.mean()),
        "conversion_treatment": float(trt.mean()),
        "absolute_lift": float(trt.mean() - ctrl.mean()),
        "relative_lift": float(trt.mean() / ctrl.mean() - 1.0),
    }


def _policy_truth(
    cov: _Covariates,
    persona: np.ndarray,
    in_exp: np.ndarray,
    offered: np.ndarray,
    probs: pd.DataFrame,
    p_none: np.ndarray,
) -> dict:
    """What the discount offers and the new checkout truly change, per session (see ``SimulationTruth.policy``)."""
    p, price, depth = probs["p_purchase"].to_numpy(), cov.price, cov.discount / 100.0
    extra = np.where(offered, p - p_none, 0.0)
    discount = {
        "offered_share": float(offered.mean()),
        "incremental_orders": float(extra.mean()),
        "incremental_list_revenue": float((extra * price).mean()),
        "discount_given": float(np.where(offered, price * depth * p, 0.0).mean()),
    }
    keys = ("revenue_per_session_control", "revenue_per_session_treatment", "revenue_lift_per_session")
    keys += ("aov_control", "aov_treatment")
    if not in_exp.any():
        return {"discount": discount, "experiment": dict.fromkeys(keys, float("nan"))}
    pc, net = probs["p_cart"].to_numpy()[in_exp], (price * (1.0 - depth))[in_exp]
    ctrl = pc * _sigmoid(_eta_buy(cov, persona, 0.0))[in_exp]
    trt = pc * _sigmoid(_eta_buy(cov, persona, 1.0))[in_exp]
    rps_c, rps_t = float((ctrl * net).mean()), float((trt * net).mean())
    experiment = dict(
        zip(keys, (rps_c, rps_t, rps_t - rps_c, rps_c / float(ctrl.mean()), rps_t / float(trt.mean())), strict=True)
    )
    return {"discount": discount, "experiment": experiment}


def _parameters() -> dict:
    """Every parameter of the simulator, as a plain JSON copy (no live references)."""
    params = {
        "personas": [p.__dict__ for p in PERSONAS],
        "coefficients": dict(COEF),
        "payment_log_odds": dict(PAYMENT_LOG_ODDS),
        "experiment_log_odds": EXPERIMENT_LOG_ODDS,
        "experiment_weeks": EXPERIMENT_WEEKS,
        "weeks": WEEKS,
        "start": str(START.date()),
        "discount_tiers": DISCOUNT_TIERS.tolist(),
        "discount_tier_probs": DISCOUNT_TIER_PROBS.tolist(),
        "return_probability": RETURN_PROBABILITY,
        "return_gap_days": RETURN_GAP_DAYS,
    }
    return json.loads(json.dumps(params))


# ------------------------------------------------------------------------------- Parquet at scale
#: Sessions per independent block of :func:`simulate_to_parquet` (part of what the seed means: the
#: data depend on it; the chunk size does not). A block is a whole simulator population.
PARQUET_BLOCK_SESSIONS = 1_000_000
#: The tables :func:`simulate_to_parquet` writes, each a folder of ``part-NNNNN.parquet`` files.
PARQUET_TABLES = (TABLE_NAME, "experiment_assignments", "user_pre_period", "truth/sessions", "truth/users")
_MANIFEST = "simulation.json"


@dataclass(frozen=True)
class ParquetSimulation:
    """Output of :func:`simulate_to_parquet`: where the tables are, their sizes, and the truth's scalars.

    Attributes
    ----------
    out_dir : Path
        The dataset's folder.
    n_sessions, n_users : int
        Rows of ``customer_sessions`` and users over all blocks.
    seed, chunk_size, block_sessions, blocks : int
        The seed; the rows per file; the sessions per independent block and how many blocks.
    files : dict
        Per table (the keys of :data:`PARQUET_TABLES`): its part files, in row order.
    rows : dict
        Per table: its rows.
    truth : dict
        The truth's scalar fields over the whole dataset (as written to ``truth/truth.json``).
    seconds : float
        Wall time of the run.
    """

    out_dir: Path
    n_sessions: int
    n_users: int
    seed: int
    chunk_size: int
    block_sessions: int
    blocks: int
    files: dict[str, list[Path]]
    rows: dict[str, int]
    truth: dict = field(repr=False)
    seconds: float = 0.0

    def read(self, table: str) -> pd.DataFrame:
        """One whole table as a frame, its files in order (for small datasets and tests).

        Parameters
        ----------
        table : str
            One of :data:`PARQUET_TABLES`.

        Returns
        -------
        DataFrame
            The table's rows in order, with the dtypes of :func:`simulate`'s tables.
        """
        if table not in self.files:
            raise ValueError(f"table must be one of {', '.join(PARQUET_TABLES)}, got {table!r}")
        return pd.concat([pd.read_parquet(path) for path in self.files[table]], ignore_index=True)


def _arrow_schemas() -> dict:
    """The Arrow schema of each table (fixed, so that every block's files agree, empty or not)."""
    import pyarrow as pa

    from .data.dataset import sessions_arrow_schema

    sid = pa.field("session_id", pa.int64(), nullable=False)
    truth = [("persona", pa.string()), ("variant", pa.string()), ("discount_offered", pa.bool_())]
    truth += [(name, pa.float64()) for name in _TRUTH_PROBABILITIES]
    truth += [(f"posterior_{p.name}", pa.float64()) for p in PERSONAS]
    return {
        TABLE_NAME: sessions_arrow_schema(),
        "experiment_assignments": pa.schema(
            [("user_id", pa.string()), ("variant", pa.string()), ("assigned_at", pa.timestamp("us"))]
        ),
        "user_pre_period": pa.schema(
            [("user_id", pa.string()), ("pre_sessions", pa.int64()), ("pre_purchases", pa.int64())]
        ),
        "truth/sessions": pa.schema([sid, *truth]),
        "truth/users": pa.schema([("user_id", pa.string()), ("persona", pa.string())]),
    }


_TRUTH_PROBABILITIES = (
    "p_cart",
    "p_purchase_given_cart",
    "p_purchase",
    "p_observed_browse",
    "p_observed_cart",
    "p_if_offered",
    "p_if_not_offered",
)


class _PartWriter:
    """One table's rows cut into files of ``chunk_size`` rows: ``folder/part-00000.parquet``, ..."""

    def __init__(self, folder: Path, schema, chunk_size: int) -> None:
        self.folder, self.schema, self.chunk_size = folder, schema, chunk_size
        self.files: list[Path] = []
        self.rows = 0
        self._writer = None
        self._in_file = 0

    def _open(self) -> None:
        import pyarrow.parquet as pq

        self.folder.mkdir(parents=True, exist_ok=True)
        self.files.append(self.folder / f"part-{len(self.files):05d}.parquet")
        self._writer = pq.ParquetWriter(self.files[-1], self.schema)
        self._in_file = 0

    def write(self, frame: pd.DataFrame) -> list[tuple[Path, int]]:
        """Append ``frame``'s rows; return the files completed, with their rows."""
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
        done, start = [], 0
        while start < table.num_rows:
            if self._writer is None:
                self._open()
            take = min(self.chunk_size - self._in_file, table.num_rows - start)
            self._writer.write_table(table.slice(start, take))
            start, self._in_file, self.rows = start + take, self._in_file + take, self.rows + take
            if self._in_file == self.chunk_size:
                done.append(self._close())
        return done

    def _close(self) -> tuple[Path, int]:
        self._writer.close()
        self._writer = None
        return self.files[-1], self._in_file

    def close(self) -> list[tuple[Path, int]]:
        """Close the last file; a table without rows gets one empty file (readers need a schema)."""
        if self._writer is None and not self.files:
            self._open()
        return [self._close()] if self._writer is not None else []


class _TruthTotals:
    """The truth's scalars over all blocks: each block's means weighted by the rows they average over."""

    _SESSION_MEANS = ("discount_ate", "incremental_orders", "incremental_list_revenue", "discount_given")
    _EXPERIMENT_MEANS = (
        "conversion_control",
        "conversion_treatment",
        "revenue_per_session_control",
        "revenue_per_session_treatment",
    )

    def __init__(self) -> None:
        self.first: SimulationTruth | None = None
        self.blocks = 0
        self.n = self.offered = self.exp = 0
        self.sums: dict[str, float] = {}
        self.persona_n: dict[str, int] = {}

    def _add(self, key: str, mean: float, weight: int) -> None:
        if weight:
            self.sums[key] = self.sums.get(key, 0.0) + mean * weight

    def add(self, t: SimulationTruth) -> None:
        """Count one block's truth in."""
        self.first = self.first or t
        self.blocks += 1
        n, s = t.n_sessions, t.sessions
        offered, n_exp = int(s["discount_offered"].sum()), int(t.experiment["sessions"])
        self.n, self.offered, self.exp = self.n + n, self.offered + offered, self.exp + n_exp
        d, e = t.policy["discount"], t.policy["experiment"]
        means = {"discount_ate": t.discount_ate, **{k: d[k] for k in self._SESSION_MEANS[1:]}}
        for key, value in means.items():
            self._add(key, value, n)
        self._add("discount_att", t.discount_att, offered)
        exp_means = {**t.experiment, **e}
        for key in self._EXPERIMENT_MEANS:
            self._add(key, exp_means[key], n_exp)
        counts = s["persona"].value_counts()
        for name, value in t.discount_ate_by_persona.items():
            k = int(counts.get(name, 0))
            self.persona_n[name] = self.persona_n.get(name, 0) + k
            self._add(f"persona:{name}", value, k)
        p_mean = float(s["p_purchase"].mean())
        self._add("p_purchase", p_mean, n)
        self._add("p_purchase_price_up", p_mean * (1.0 + 0.01 * t.price_elasticity), n)

    def scalars(self, block_sessions: int) -> dict:
        """The truth's scalar fields (as :meth:`Simulation.to_folder` writes them) over all blocks."""
        t = self.first
        params = {**t.params, "parquet": {"block_sessions": block_sessions, "blocks": self.blocks}}
        if self.blocks == 1:  # exactly the in-memory simulation's truth
            out = {f.name: getattr(t, f.name) for f in fields(t) if f.name not in ("sessions", "users")}
            return {**out, "params": params}
        nan = float("nan")

        def mean(key: str, weight: int) -> float:
            return self.sums[key] / weight if weight and key in self.sums else nan

        ctrl, trt = mean("conversion_control", self.exp), mean("conversion_treatment", self.exp)
        rps_c = mean("revenue_per_session_control", self.exp)
        rps_t = mean("revenue_per_session_treatment", self.exp)
        experiment = {
            "log_odds_effect": t.experiment["log_odds_effect"],
            "sessions": self.exp,
            "conversion_control": ctrl,
            "conversion_treatment": trt,
            "absolute_lift": trt - ctrl,
            "relative_lift": trt / ctrl - 1.0 if self.exp else nan,
        }
        policy = {
            "discount": {
                "offered_share": self.offered / self.n,
                **{k: mean(k, self.n) for k in self._SESSION_MEANS[1:]},
            },
            "experiment": {
                "revenue_per_session_control": rps_c,
                "revenue_per_session_treatment": rps_t,
                "revenue_lift_per_session": rps_t - rps_c,
                "aov_control": rps_c / ctrl if self.exp else nan,
                "aov_treatment": rps_t / trt if self.exp else nan,
            },
        }
        elasticity = (self.sums["p_purchase_price_up"] / self.sums["p_purchase"] - 1.0) / 0.01
        return {
            "seed": t.seed,
            "n_sessions": self.n,
            "personas": t.personas,
            "discount_ate": mean("discount_ate", self.n),
            "discount_att": mean("discount_att", self.offered),
            "discount_ate_by_persona": {k: mean(f"persona:{k}", c) for k, c in self.persona_n.items()},
            "experiment": experiment,
            "price_elasticity": elasticity,
            "params": params,
            "policy": policy,
        }


def _check_parquet_args(n_sessions: object, seed: object, chunk_size: object, out_dir: Path, overwrite: bool) -> None:
    """One-line ValueErrors for the arguments of :func:`simulate_to_parquet`."""
    for name, value, least in (("n_sessions", n_sessions, 1), ("chunk_size", chunk_size, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            what = "a positive integer" if least else "a non-negative integer"
            raise ValueError(f"{name} must be {what}, got {value!r}")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir must be a folder, got the file {str(out_dir)!r}")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise ValueError(f"out_dir {str(out_dir)!r} is not empty (pass overwrite=True to replace its tables)")


def _block_entropy(seed: int, block: int) -> int | np.random.SeedSequence:
    """Block 0 draws from ``seed`` itself (so it is :func:`simulate`'s output); block i from spawn key (i,)."""
    return seed if block == 0 else np.random.SeedSequence(seed, spawn_key=(block,))


def simulate_to_parquet(
    n_sessions: int,
    seed: int,
    out_dir: str | os.PathLike,
    *,
    chunk_size: int = 1_000_000,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ParquetSimulation:
    """Simulate ``n_sessions`` sessions into partitioned Parquet files, with memory bounded by one block.

    The sessions are drawn in independent blocks of :data:`PARQUET_BLOCK_SESSIONS` sessions (the
    last one smaller), each a whole simulator population over the same 12 weeks: block 0 is
    exactly ``simulate(min(n_sessions, PARQUET_BLOCK_SESSIONS), seed)``, block ``i > 0`` draws
    from ``np.random.SeedSequence(seed, spawn_key=(i,))``. Users never span blocks. Rows are in
    block order, then in time order within a block. ``chunk_size`` only cuts the rows into files,
    so the same ``(n_sessions, seed)`` gives the same tables for every chunk size.

    Parameters
    ----------
    n_sessions : int
        Rows of ``customer_sessions``.
    seed : int
        Non-negative seed.
    out_dir : path-like
        The dataset's folder: it must not exist, or be empty, unless ``overwrite``.
    chunk_size : int, default 1,000,000
        Rows per file (the last file of a table has fewer).
    overwrite : bool, default False
        Replace the tables of a non-empty ``out_dir`` (only the folders and the manifest this
        function writes are removed; other files are left alone).
    progress : callable, optional
        Called with one line per ``customer_sessions`` file written (and per block when a file
        spans several blocks), then a last line with the totals.

    Returns
    -------
    ParquetSimulation
        Where every table's files are, their rows, and the truth's scalars.

    Notes
    -----
    Written under ``out_dir``, each table a folder of ``part-NNNNN.parquet`` files:
    ``customer_sessions`` (``session_id`` 1..n, int64, then the contract's 19 columns with its
    dtypes), ``experiment_assignments`` and ``user_pre_period`` (as :func:`simulate`'s tables, as
    :func:`~ecommerce_analytics.database.build_database` names them), ``truth/sessions`` (the
    truth's per-session table with ``session_id``; its files align row for row with those of
    ``customer_sessions``), ``truth/users``, ``truth/truth.json`` (the truth's scalar fields, as
    :meth:`Simulation.to_folder` writes them; ``params["parquet"]`` records the block size), and
    last ``simulation.json`` (sizes and files; its presence marks a complete dataset).

    The truth's scalars are exact for the whole dataset: each is a mean over all sessions
    (``discount_ate``, the ``policy["discount"]`` means), over the offered sessions
    (``discount_att``), over a persona's sessions (``discount_ate_by_persona``) or over the
    experiment's sessions (the arms' conversion and revenue per session), and is aggregated as
    the blocks' means weighted by those counts; lifts, ratios (relative lift, average order
    values) and the price elasticity (a ratio of mean purchase probabilities) are recomputed
    from the aggregated means. They equal a one-pass computation up to floating-point rounding
    (about 1e-15 relative); with one block they are :func:`simulate`'s exactly. Per-session
    columns (probabilities, posteriors) are exact per row as in :func:`simulate`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = simulate_to_parquet(2500, seed=1, out_dir=folder, chunk_size=1000)
    ...     sessions = out.read("customer_sessions")
    >>> out.rows["customer_sessions"], out.blocks
    (2500, 1)
    >>> [p.name for p in out.files["customer_sessions"]]
    ['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']
    >>> sessions.drop(columns="session_id").equals(simulate(2500, seed=1).sessions)
    True
    """
    import shutil

    out = Path(out_dir)
    _check_parquet_args(n_sessions, seed, chunk_size, out, overwrite)
    n, seed, chunk_size, block = int(n_sessions), int(seed), int(chunk_size), int(PARQUET_BLOCK_SESSIONS)
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    for name in (*{t.split("/")[0] for t in PARQUET_TABLES}, _MANIFEST):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    schemas = _arrow_schemas()
    writers = {name: _PartWriter(out / name, schemas[name], chunk_size) for name in PARQUET_TABLES}
    totals = _TruthTotals()
    n_blocks = -(-n // block)
    say(
        f"simulating {n:,} sessions to {out} as Parquet: {n_blocks:,} block(s) of up to {block:,} sessions, "
        f"files of up to {chunk_size:,} rows"
    )

    def report(done: list[tuple[Path, int]]) -> None:
        for path, rows in done:
            say(
                f"wrote {path.relative_to(out)} ({rows:,} rows; {writers[TABLE_NAME].rows:,} of {n:,} sessions, "
                f"{time.perf_counter() - t0:.0f} s)"
            )

    n_users = 0
    for b in range(n_blocks):
        sim = _simulate(min(block, n - b * block), seed, _block_entropy(seed, b), lambda _msg: None)
        first_id = writers[TABLE_NAME].rows + 1
        session_id = pd.RangeIndex(first_id, first_id + len(sim.sessions))
        n_users += len(sim.truth.users)
        totals.add(sim.truth)
        tables = {
            TABLE_NAME: sim.sessions.set_axis(session_id).rename_axis("session_id").reset_index(),
            "experiment_assignments": sim.assignments,
            "user_pre_period": sim.pre_period,
            "truth/sessions": sim.truth.sessions.set_axis(session_id).rename_axis("session_id").reset_index(),
            "truth/users": sim.truth.users,
        }
        del sim
        done = []
        for name, frame in tables.items():
            finished = writers[name].write(frame)
            if name == TABLE_NAME:
                done = finished
        del tables
        report(done)
        if not done and b < n_blocks - 1:
            say(f"block {b + 1:,} of {n_blocks:,} simulated ({writers[TABLE_NAME].rows:,} of {n:,} sessions)")
    for name, writer in writers.items():
        finished = writer.close()
        if name == TABLE_NAME:
            report(finished)
    scalars = totals.scalars(block)
    (out / "truth").mkdir(exist_ok=True)
    (out / "truth" / "truth.json").write_text(json.dumps(scalars, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result = ParquetSimulation(
        out_dir=out,
        n_sessions=n,
        n_users=n_users,
        seed=seed,
        chunk_size=chunk_size,
        block_sessions=block,
        blocks=n_blocks,
        files={name: list(w.files) for name, w in writers.items()},
        rows={name: w.rows for name, w in writers.items()},
        truth=scalars,
        seconds=time.perf_counter() - t0,
    )
    manifest = {
        "n_sessions": n,
        "n_users": n_users,
        "seed": seed,
        "chunk_size": chunk_size,
        "block_sessions": block,
        "blocks": n_blocks,
        "rows": result.rows,
        "files": {name: [str(p.relative_to(out)) for p in paths] for name, paths in result.files.items()},
    }
    (out / _MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    say(f"simulated {n:,} sessions of {n_users:,} users to {out} in {result.seconds:.1f} s")
    return result
