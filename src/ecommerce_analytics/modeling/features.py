"""Prediction moments (stages) of the session schema, their rows and derived features.

A :class:`Stage` says which sessions a model scores and which columns it may use:
:data:`BROWSE` (every session, no cart flag) and :data:`CART` (sessions with
``add_to_cart = 1``; the complement of the purchase is cart abandonment).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from ..reporting import num, pct
from ..schema import TARGET
from ._checks import binary_target
from .errors import ModelMismatchError

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

    Attributes
    ----------
    name : str
        The stage's name (``browse`` and ``cart`` for the session stages).
    numeric, categorical : tuple of str
        Feature columns.
    description : str
        Which rows and why.
    cart_only : bool
        Whether only rows with ``add_to_cart = 1`` belong to the stage.
    log_columns : tuple of str or "auto"
        What the linear model logs (see :func:`~.models.make_models`): the session stages name
        :data:`LOG_COLUMNS` explicitly; ``"auto"`` decides by skewness at fit time.

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
    log_columns: tuple[str, ...] | str = "auto"

    @property
    def features(self) -> list[str]:
        """Numeric then categorical feature names."""
        return list(self.numeric) + list(self.categorical)

    def restricted_to(self, frame: pd.DataFrame) -> Stage:
        """The stage with only the features ``frame`` has (a derived feature: when its inputs are there).

        Parameters
        ----------
        frame : DataFrame
            The data the stage will be fitted on.

        Returns
        -------
        Stage
            The same stage, or one without the features the data lacks.

        Examples
        --------
        >>> BROWSE.restricted_to(pd.DataFrame(columns=["price", "pages_visited", "time_spent"])).features
        ['price', 'pages_visited', 'time_spent', 'seconds_per_page']
        """
        have = set(frame.columns)
        if {"pages_visited", "time_spent"} <= have:
            have.add("seconds_per_page")
        if "purchase_date" in have:  # hour and is_weekend are derived from it (session_features)
            have |= {"hour", "is_weekend"}
        numeric = tuple(c for c in self.numeric if c in have)
        categorical = tuple(c for c in self.categorical if c in have)
        if (numeric, categorical) == (tuple(self.numeric), tuple(self.categorical)):
            return self
        if not numeric and not categorical:
            raise ValueError(f"stage {self.name!r}: the data has none of its features {self.features}")
        logs = (
            self.log_columns if isinstance(self.log_columns, str) else tuple(c for c in self.log_columns if c in have)
        )
        return dataclasses.replace(self, numeric=numeric, categorical=categorical, log_columns=logs)


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
#: The session stages' explicit log columns: right-skewed positive columns that their linear
#: model sees on a log scale (``Stage.log_columns`` of :data:`BROWSE` and :data:`CART`).
LOG_COLUMNS = ("price", "pages_visited", "time_spent", "seconds_per_page")
_CATEGORICAL = ("category", "payment_method", "gender", "income_level")
BROWSE = Stage(
    "browse",
    _NUMERIC,
    _CATEGORICAL,
    "all sessions; features known before any cart action (no cart flag)",
    log_columns=LOG_COLUMNS,
)
CART = Stage(
    "cart",
    _NUMERIC,
    _CATEGORICAL,
    "sessions with add_to_cart = 1; purchase vs abandonment (abandoned_cart is the outcome)",
    cart_only=True,
    log_columns=LOG_COLUMNS,
)


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    """A one-line :class:`~.errors.ModelMismatchError` (a ``ValueError``) naming the columns ``frame`` lacks."""
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise ModelMismatchError(f"{what} needs column(s) missing from the frame: {', '.join(missing)}")


def session_features(
    sessions: pd.DataFrame,
    *,
    date_column: str = "purchase_date",
    time_column: str = "time_spent",
    pages_column: str = "pages_visited",
) -> pd.DataFrame:
    """The session columns plus the derived features whose inputs exist.

    ``hour`` and ``is_weekend`` come from ``date_column`` (when it is present);
    ``seconds_per_page`` is ``time_column / pages_column`` (when both are present). A frame of
    another schema without these columns comes back unchanged (a copy).

    Parameters
    ----------
    sessions : DataFrame
        Sessions (the data contract, or any frame with the columns named here).
    date_column, time_column, pages_column : str
        The session's timestamp (datetime), seconds on site and pages viewed.

    Returns
    -------
    DataFrame
        A copy of ``sessions`` with the derived columns.

    Examples
    --------
    >>> s = pd.DataFrame({"purchase_date": pd.to_datetime(["2024-01-06 13:00"]), "time_spent": [60.0],
    ...                   "pages_visited": [4]})
    >>> session_features(s)[["hour", "is_weekend", "seconds_per_page"]].iloc[0].tolist()
    [13.0, 1.0, 15.0]
    >>> session_features(pd.DataFrame({"visits": [3]})).columns.tolist()
    ['visits']
    """
    out = sessions.copy()
    if date_column in sessions.columns:
        dates = pd.to_datetime(sessions[date_column])
        out["hour"] = dates.dt.hour
        out["is_weekend"] = (dates.dt.day_of_week >= 5).astype(int)
    if time_column in sessions.columns and pages_column in sessions.columns:
        out["seconds_per_page"] = sessions[time_column] / sessions[pages_column]
    return out


def stage_frame(
    sessions: pd.DataFrame, stage: Stage, *, target: str = TARGET, cart_column: str = "add_to_cart"
) -> pd.DataFrame:
    """Rows and columns of a stage (features and the target), with the derived features.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with the stage's features (or the inputs of the derived ones, see
        :func:`session_features`) and the target.
    stage : Stage
        :data:`BROWSE` (every row), :data:`CART` (rows with ``cart_column = 1``) or a stage of
        your own columns.
    target : str
        The outcome column.
    cart_column : str
        The cart flag of a ``cart_only`` stage.

    Returns
    -------
    DataFrame
        ``stage.features`` and the target, indexed like ``sessions``.

    Examples
    --------
    >>> f = pd.DataFrame({"visits": [1, 2], "plan": ["a", "b"], "churned": [0, 1]})
    >>> stage_frame(f, Stage("any", ("visits",), ("plan",), "demo"), target="churned").columns.tolist()
    ['visits', 'plan', 'churned']
    """
    if not isinstance(stage, Stage):
        raise ValueError(f"stage must be a Stage (BROWSE, CART or your own), got {stage!r}")
    frame = session_features(sessions)
    _require(frame, stage.features + [target] + ([cart_column] if stage.cart_only else []), f"stage {stage.name!r}")
    if stage.cart_only:
        frame = frame[frame[cart_column] == 1]
    return frame[stage.features + [target]]


def funnel_identity(
    sessions: pd.DataFrame,
    *,
    target: str = TARGET,
    cart_column: str = "add_to_cart",
    abandoned_column: str = "abandoned_cart",
) -> dict[str, int]:
    """Rows where ``target == cart_column and not abandoned_column``, and the rest.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with the three columns.
    target, cart_column, abandoned_column : str
        The purchase outcome, the cart flag and the abandonment flag (0/1).

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
    _require(sessions, [target, cart_column, abandoned_column], "the funnel identity")
    funnel = ((sessions[cart_column] == 1) & (sessions[abandoned_column] == 0)).astype(int)
    holds = pd.Series(binary_target(sessions[target], f"target {target!r}"), index=sessions.index) == funnel
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
