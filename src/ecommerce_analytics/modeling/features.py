"""Prediction moments (stages) of the session schema, their rows and derived features.

A :class:`Stage` says which sessions a model scores and which columns it may use:
:data:`BROWSE` (every session, no cart flag) and :data:`CART` (sessions with
``add_to_cart = 1``; the complement of the purchase is cart abandonment).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..reporting import num, pct
from ..schema import TARGET

__all__ = [
    "Stage",
    "BROWSE",
    "CART",
    "LOG_COLUMNS",
    "session_features",
    "stage_frame",
    "funnel_identity",
    "source_sentence",
]


@dataclass(frozen=True)
class Stage:
    """A prediction moment: which rows, which features.

    Examples
    --------
    >>> Stage("s", ("a", "b"), ("c",), "demo").features
    ['a', 'b', 'c']
    """

    name: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    description: str
    cart_only: bool = False

    @property
    def features(self) -> list[str]:
        """Numeric then categorical feature names."""
        return list(self.numeric) + list(self.categorical)


_NUMERIC = (
    "price",
    "discount_applied",
    "pages_visited",
    "time_spent",
    "seconds_per_page",
    "rating",
    "sentiment_score",
    "age",
    "hour",
    "is_weekend",
)
#: Right-skewed positive columns that the linear model sees on a log scale.
LOG_COLUMNS = ("price", "pages_visited", "time_spent", "seconds_per_page")
_CATEGORICAL = ("category", "payment_method", "gender", "income_level")
BROWSE = Stage("browse", _NUMERIC, _CATEGORICAL, "all sessions; features known before any cart action (no cart flag)")
CART = Stage(
    "cart",
    _NUMERIC,
    _CATEGORICAL,
    "sessions with add_to_cart = 1; purchase vs abandonment (abandoned_cart is the outcome)",
    cart_only=True,
)


def session_features(sessions: pd.DataFrame) -> pd.DataFrame:
    """The session columns plus derived features ``hour``, ``is_weekend`` and ``seconds_per_page``.

    ``hour`` and ``is_weekend`` come from ``purchase_date``; ``seconds_per_page`` is
    ``time_spent / pages_visited``.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions (the data contract).

    Returns
    -------
    DataFrame
        A copy of ``sessions`` with the three derived columns.

    Examples
    --------
    >>> s = pd.DataFrame({"purchase_date": pd.to_datetime(["2024-01-06 13:00"]), "time_spent": [60.0],
    ...                   "pages_visited": [4]})
    >>> session_features(s)[["hour", "is_weekend", "seconds_per_page"]].iloc[0].tolist()
    [13.0, 1.0, 15.0]
    """
    out = sessions.copy()
    out["hour"] = sessions["purchase_date"].dt.hour
    out["is_weekend"] = (sessions["purchase_date"].dt.day_of_week >= 5).astype(int)
    out["seconds_per_page"] = sessions["time_spent"] / sessions["pages_visited"]
    return out


def stage_frame(sessions: pd.DataFrame, stage: Stage) -> pd.DataFrame:
    """Rows and columns of a stage (features and the target), with derived time features.

    Parameters
    ----------
    sessions : DataFrame
        Validated sessions.
    stage : Stage
        :data:`BROWSE` (every row) or :data:`CART` (rows with ``add_to_cart = 1``).

    Returns
    -------
    DataFrame
        ``stage.features`` and the target, indexed like ``sessions``.
    """
    if not isinstance(stage, Stage):
        raise ValueError(f"stage must be a Stage (BROWSE or CART), got {stage!r}")
    frame = session_features(sessions)
    if stage.cart_only:
        frame = frame[frame["add_to_cart"] == 1]
    return frame[stage.features + [TARGET]]


def funnel_identity(sessions: pd.DataFrame) -> dict[str, int]:
    """Rows where ``purchase_decision == add_to_cart and not abandoned_cart``, and the rest.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``purchase_decision``, ``add_to_cart`` and ``abandoned_cart``.

    Returns
    -------
    dict
        ``rows``, ``identity_holds`` and ``identity_fails``.

    Examples
    --------
    >>> s = pd.DataFrame({"purchase_decision": [1, 0, 0, 1], "add_to_cart": [1, 1, 0, 0],
    ...                   "abandoned_cart": [0, 1, 0, 0]})
    >>> funnel_identity(s)
    {'rows': 4, 'identity_holds': 3, 'identity_fails': 1}
    """
    holds = sessions[TARGET] == ((sessions["add_to_cart"] == 1) & (sessions["abandoned_cart"] == 0)).astype(int)
    return {"rows": len(sessions), "identity_holds": int(holds.sum()), "identity_fails": int((~holds).sum())}


def source_sentence(label: str, sessions: pd.DataFrame) -> str:
    """The source's label, its sessions, carts and purchase rate, as one sentence.

    Parameters
    ----------
    label : str
        How reports name the source (``Run.label``).
    sessions : DataFrame
        Sessions with ``add_to_cart`` and the target.

    Returns
    -------
    str
        Markdown.

    Examples
    --------
    >>> s = pd.DataFrame({"add_to_cart": [1, 1, 0, 0], "purchase_decision": [1, 0, 0, 0]})
    >>> source_sentence("demo.csv", s)
    'Source: **demo.csv**: 4 sessions, 2 with an add-to-cart, purchase rate 25.0%.'
    """
    return (
        f"Source: **{label}**: {num(len(sessions))} sessions, {num(int(sessions['add_to_cart'].sum()))} with an "
        f"add-to-cart, purchase rate {pct(sessions[TARGET].mean())}."
    )
