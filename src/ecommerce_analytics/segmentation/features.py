"""Customer features for clustering, and the customer base a segmentation report starts from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from ..metrics import proportion
from ..reporting import num, pct
from ..schema import TARGET

__all__ = ["FEATURE_LABELS", "customer_features", "CustomerBase", "customer_base"]

#: Behavioural features used for clustering by default, and how they read in names.
FEATURE_LABELS: dict[str, tuple[str, str, str]] = {
    # feature: (plain name, word when high, word when low)
    "log_pages": ("pages per session", "deep browsers", "quick visitors"),
    "log_seconds_per_page": ("seconds per page", "slow readers", "skimmers"),
    "log_price": ("price level", "premium", "budget"),
    "age": ("age", "older", "younger"),
}

#: How the default features are profiled in original units: (profile column, back-transform).
_PROFILE_COLUMNS = {
    "log_pages": ("pages_per_session", np.exp),
    "log_seconds_per_page": ("seconds_per_page", np.exp),
    "log_price": ("typical_price", np.exp),
    "age": ("age", None),
}
_SESSION_COLUMNS = ("user_id", "pages_visited", "time_spent", "price", "age", TARGET)


def customer_features(sessions: pd.DataFrame, *, customer: str = "user_id") -> pd.DataFrame:
    """Per-customer behavioural features (means over the customer's sessions) of the session contract.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``pages_visited``, ``time_spent``, ``price``, ``age`` and
        ``purchase_decision`` (for another schema, build your own customer table and pass
        its columns as ``features=`` to :class:`Segmenter`).
    customer : str, default "user_id"
        Customer id column.

    Returns
    -------
    DataFrame
        Indexed by customer: ``log_pages``, ``log_seconds_per_page``, ``log_price``, ``age``,
        plus ``sessions``, ``purchases`` and ``conversion`` for profiling (not clustering).

    Examples
    --------
    >>> sessions = pd.DataFrame({"user_id": ["a", "a", "b"], "pages_visited": [2, 8, 4], "time_spent": [60, 240, 40],
    ...                          "price": [10.0, 40.0, 20.0], "age": [30, 30, 50], "purchase_decision": [0, 1, 1]})
    >>> customer_features(sessions)[["sessions", "purchases", "conversion"]]  # doctest: +NORMALIZE_WHITESPACE
             sessions  purchases  conversion
    user_id
    a               2          1         0.5
    b               1          1         1.0
    >>> round(float(np.exp(customer_features(sessions).loc["a", "log_price"])), 6)  # geometric mean of 10 and 40
    20.0
    """
    needed = [customer if c == "user_id" else c for c in _SESSION_COLUMNS]
    missing = [c for c in needed if c not in sessions.columns]
    if missing:
        raise ValueError(
            f"customer_features: missing column(s) {', '.join(map(repr, missing))} of the session "
            "contract (the customer id is set with customer=); for another schema build a customer table "
            "and pass its columns to Segmenter(features=...)"
        )
    pages = sessions["pages_visited"].astype(float)
    frame = pd.DataFrame(
        {
            "user_id": sessions[customer],
            "log_pages": np.log(pages),
            "log_seconds_per_page": np.log(np.maximum(sessions["time_spent"].astype(float), 1.0) / pages),
            "log_price": np.log(sessions["price"].astype(float)),
            "age": sessions["age"].astype(float),
            "purchase": sessions[TARGET].astype(int),
        }
    )
    g = frame.groupby("user_id", sort=True)
    out = g[list(FEATURE_LABELS)].mean()
    out["sessions"] = g.size()
    out["purchases"] = g["purchase"].sum()
    out["conversion"] = out["purchases"] / out["sessions"]
    if customer != "user_id":
        out.index.name = customer
    return out


def _feature_list(frame: pd.DataFrame, features: Sequence[str] | None, where: str) -> list[str]:
    """The caller's features (default: those of :data:`FEATURE_LABELS`), checked against ``frame``."""
    if features is None:
        features = list(FEATURE_LABELS)
    elif isinstance(features, str):
        raise ValueError(f"{where}: features must be a list of column names, got the string {features!r}")
    features = list(features)
    if not features:
        raise ValueError(f"{where}: features must name at least one column")
    if len(set(features)) != len(features):
        raise ValueError(f"{where}: features has duplicates: {features}")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise ValueError(
            f"{where}: feature column(s) {', '.join(map(repr, missing))} not in the frame; pass the "
            f"columns to cluster on as features=[...] (the frame has: {', '.join(map(str, frame.columns))})"
        )
    return features


def _standardize(frame: pd.DataFrame, features: Sequence[str] | None = None, where: str = "segmentation") -> np.ndarray:
    """The chosen feature columns of ``frame``, standardized (mean 0, variance 1)."""
    cols = _feature_list(frame, features, where)
    return StandardScaler().fit_transform(frame[cols].to_numpy(float))


@dataclass(frozen=True)
class CustomerBase:
    """The customers a segmentation report describes: sessions, customer features and the overall rate.

    Attributes
    ----------
    sessions : DataFrame
        The sessions (one row per session).
    features : DataFrame
        :func:`customer_features` of the sessions (one row per customer).
    overall : float
        Session conversion over all sessions.
    personas : Series or None
        True persona of each customer (indexed like ``features``), on the simulator only.
    offer_effect : Series or None
        True effect of a discount offer on each session's purchase probability (aligned with
        ``sessions``), on the simulator only.
    """

    sessions: pd.DataFrame
    features: pd.DataFrame
    overall: float
    personas: pd.Series | None = None
    offer_effect: pd.Series | None = None

    @property
    def sessions_per_customer(self) -> float:
        """Mean number of sessions per customer."""
        return float(self.features["sessions"].mean())

    def sentence(self, source_label: str) -> str:
        """How many customers and sessions the report covers, and how many customers come back.

        Parameters
        ----------
        source_label : str
            The run's label (``Run.label``), shown in bold.

        Returns
        -------
        str

        Examples
        --------
        >>> sessions = pd.DataFrame({"user_id": ["a", "a", "b"], "pages_visited": [2, 8, 4],
        ...                          "time_spent": [60, 240, 40], "price": [10.0, 40.0, 20.0], "age": [30, 30, 50],
        ...                          "purchase_decision": [0, 1, 1]})
        >>> customer_base(sessions).sentence("toy")
        'Source: **toy**: 2 customers with 3 sessions (1.50 per customer; 50.0% of customers have more than one).'
        """
        per_user = self.features["sessions"]
        return (
            f"Source: **{source_label}**: {num(len(self.features))} customers with "
            f"{num(len(self.sessions))} sessions ({per_user.mean():.2f} per customer; {pct((per_user > 1).mean())} "
            "of customers have more than one)."
        )


def customer_base(sessions: pd.DataFrame, *, truth: Any = None) -> CustomerBase:
    """Customer features, the overall conversion and, on the simulator, the true personas and offer effects.

    Parameters
    ----------
    sessions : DataFrame
        Sessions under the data contract.
    truth : SimulationTruth, optional
        The simulator's truth (``data.simulation.truth``): its ``users`` (``user_id``,
        ``persona``) give each customer's persona, and its ``sessions`` (``p_if_offered``,
        ``p_if_not_offered``, aligned with ``sessions``) the true effect of an offer per session.

    Returns
    -------
    CustomerBase

    Examples
    --------
    >>> sessions = pd.DataFrame({"user_id": ["a", "a", "b"], "pages_visited": [2, 8, 4],
    ...                          "time_spent": [60, 240, 40], "price": [10.0, 40.0, 20.0], "age": [30, 30, 50],
    ...                          "purchase_decision": [0, 1, 1]})
    >>> base = customer_base(sessions)
    >>> round(base.overall, 4), base.sessions_per_customer, base.personas is None
    (0.6667, 1.5, True)
    """
    if len(sessions) == 0:
        raise ValueError("customer_base: sessions must hold at least one session, got an empty frame")
    features = customer_features(sessions)
    overall = proportion(int(sessions[TARGET].sum()), len(sessions)).estimate
    if truth is None:
        return CustomerBase(sessions, features, overall)
    for name in ("users", "sessions"):
        if not isinstance(getattr(truth, name, None), pd.DataFrame):
            raise ValueError(f"customer_base: truth must be a SimulationTruth (with a {name} frame), got {truth!r}")
    personas = truth.users.set_index("user_id").persona.reindex(features.index)
    effect = truth.sessions.p_if_offered - truth.sessions.p_if_not_offered
    return CustomerBase(sessions, features, overall, personas, effect)
