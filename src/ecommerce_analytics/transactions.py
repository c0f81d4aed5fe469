"""RFM scores, acquisition cohorts, repeat-purchase curves and inter-purchase times.

Every function works on any table with one row per event, described by column-name
parameters: ``customer`` (who), ``timestamp`` (when) and, where needed, ``amount`` (value of
the row), ``quantity`` (units) and ``order`` (an order id, for logs with one row per line
item). The defaults are the columns of the project's session contract (``user_id``,
``purchase_date``; the amount of a session is its net revenue when it ends in a purchase), so
``rfm_scores(sessions)`` works as before, and a transaction log of another schema works with
``rfm_scores(orders, customer="customer_id", timestamp="order_date", amount="order_total")``.

A *transaction* is one row, or one distinct value of ``order`` when it is given (pass the
timestamp column as ``order`` to count one transaction per distinct date on a daily log).
A missing column raises a ``ValueError`` naming the column and the parameter that sets it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .metrics import net_revenue, rate_table
from .schema import TARGET

__all__ = [
    "CUSTOMER",
    "TIMESTAMP",
    "PERIODS",
    "tie_aware_score",
    "rfm_scores",
    "users_return",
    "cohort_retention",
    "retention_matrix",
    "conversion_by_cohort_age",
    "repeat_purchase_curve",
    "InterPurchaseTimes",
    "inter_purchase_times",
]

#: Default column names: the session contract's.
CUSTOMER = "user_id"
TIMESTAMP = "purchase_date"
#: Cohort periods understood by :func:`cohort_retention` and :func:`conversion_by_cohort_age`.
PERIODS = ("week", "month")
_NET_REVENUE_COLUMNS = ("price", "discount_applied", TARGET)


# ------------------------------------------------------------------------------ validation
def _require(frame: pd.DataFrame, where: str, columns: Mapping[str, str | None]) -> None:
    """Raise a ValueError naming each missing column and the parameter that sets it."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where} needs a pandas DataFrame, got {type(frame).__name__}")
    missing = [
        f"{column!r} (set it with {param}=)"
        for param, column in columns.items()
        if column is not None and column not in frame.columns
    ]
    if missing:
        have = ", ".join(map(str, list(frame.columns)[:20])) + (", ..." if frame.shape[1] > 20 else "")
        raise ValueError(f"{where}: missing column {', '.join(missing)}; the frame has: {have}")


def _timestamps(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    ts = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(ts):
        try:
            with warnings.catch_warnings():  # "could not infer format": the values are still parsed
                warnings.simplefilter("ignore", UserWarning)
                ts = pd.to_datetime(ts)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: column {column!r} (timestamp=) cannot be read as dates: {exc}") from None
    if ts.isna().any():
        raise ValueError(f"{where}: column {column!r} (timestamp=) has {int(ts.isna().sum())} missing values")
    return ts


def _customers(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    ids = frame[column]
    if ids.isna().any():
        raise ValueError(f"{where}: column {column!r} (customer=) has {int(ids.isna().sum())} missing values")
    return ids


def _numeric(frame: pd.DataFrame, column: str, param: str, where: str) -> pd.Series:
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        raise ValueError(f"{where}: column {column!r} ({param}=) must be numeric, got dtype {values.dtype}")
    return values.astype(float).fillna(0.0)


def _purchase_rows(frame: pd.DataFrame, purchased: str | None, where: str) -> pd.DataFrame:
    """The rows that are purchases: all of them, or those flagged by ``purchased``."""
    if purchased == "auto":
        purchased = TARGET if TARGET in frame.columns else None
    if purchased is None:
        return frame
    _require(frame, where, {"purchased": purchased})
    flag = frame[purchased]
    if not (pd.api.types.is_bool_dtype(flag) or set(pd.unique(flag.dropna())) <= {0, 1}):
        raise ValueError(f"{where}: column {purchased!r} (purchased=) must hold 0/1 or booleans")
    return frame[flag.fillna(0).astype(bool).to_numpy()]


def _transactions(frame: pd.DataFrame, customer: str, timestamp: str, order: str | None, where: str) -> pd.DataFrame:
    """One row per transaction: ``customer``, ``ts`` (first timestamp of the order), sorted."""
    ids = _customers(frame, customer, where)
    ts = _timestamps(frame, timestamp, where)
    tx = pd.DataFrame({"customer": ids.to_numpy(), "ts": ts.to_numpy()})
    if order is not None:
        tx["order"] = frame[order].to_numpy()
        tx = tx.groupby(["customer", "order"], sort=False, dropna=False)["ts"].min().reset_index()
    tx = tx.sort_values(["customer", "ts"], kind="stable").reset_index(drop=True)
    tx["n"] = tx.groupby("customer", sort=False).cumcount() + 1
    return tx[["customer", "ts", "n"]]


# ------------------------------------------------------------------------------------ RFM
def tie_aware_score(values: pd.Series, *, higher_is_better: bool = True, bins: int = 5) -> pd.Series:
    """Score values 1 to ``bins`` by the share of values they beat, so equal values score equally.

    The score of a value is ``1 + floor(bins * below / n)``, where ``below`` counts the values
    strictly worse than it (``rank(method="min") - 1``) and ``n`` all values: a score of 5 (of 5)
    means beating at least 80% of customers, a score of 1 beating fewer than 20%. Without ties
    this is the usual quantile of rank (``ceil(bins * rank / n)`` whenever ``n`` is a multiple of
    ``bins``); with ties, every member of a tie group beats the same customers and gets the same
    score, whatever the row order. A column with a single distinct value says nothing and scores
    the middle (3 of 5) for everyone.

    Parameters
    ----------
    values : Series
        One value per customer (no missing values).
    higher_is_better : bool, default True
        Whether high values get high scores (False for recency in days).
    bins : int, default 5
        Number of score levels.

    Returns
    -------
    Series of int
        Scores in ``1..bins``, indexed like ``values``.

    Examples
    --------
    >>> tie_aware_score(pd.Series([1, 1, 1, 1, 2, 2, 3, 4, 5, 9])).tolist()
    [1, 1, 1, 1, 3, 3, 4, 4, 5, 5]
    >>> tie_aware_score(pd.Series([1, 1, 1, 1, 2, 2, 3, 4, 5, 9]), higher_is_better=False).tolist()
    [4, 4, 4, 4, 3, 3, 2, 2, 1, 1]
    >>> tie_aware_score(pd.Series([7, 7, 7])).tolist()
    [3, 3, 3]
    """
    if values.isna().any():
        raise ValueError("tie_aware_score: values have missing entries")
    if len(values) == 0:
        return pd.Series(dtype=int, index=values.index)
    if values.nunique() < 2:
        return pd.Series((bins + 1) // 2, index=values.index)
    below = values.rank(method="min", ascending=higher_is_better).to_numpy() - 1
    scores = (1 + np.floor(bins * below / len(values))).astype(int).clip(1, bins)
    return pd.Series(scores, index=values.index)


def rfm_scores(
    frame: pd.DataFrame,
    as_of: pd.Timestamp | None = None,
    *,
    customer: str = CUSTOMER,
    timestamp: str = TIMESTAMP,
    amount: str | None = None,
    quantity: str | None = None,
    order: str | None = None,
) -> pd.DataFrame:
    """Recency, frequency and monetary value per customer, each scored 1-5 with ties kept together.

    Recency is days from the customer's last transaction to ``as_of`` (default: the last
    timestamp in the data); frequency is transactions (rows, or distinct ``order`` values);
    monetary is the sum of ``amount``. Each is scored by the quintile of customers it beats
    (:func:`tie_aware_score`): customers with equal values get equal scores, independently of
    row order, and a component with a single distinct value (frequency on a
    one-session-per-customer source) scores 3 for everyone. Groups: Champions (R, F, M >= 4),
    Loyal (F >= 4), Big spenders (M >= 4), At risk (R <= 2 and F >= 3), Hibernating (R <= 2),
    Promising (others).

    Parameters
    ----------
    frame : DataFrame
        Sessions under the data contract, or any transaction log.
    as_of : Timestamp, optional
        Date recency is measured to.
    customer, timestamp : str
        Column names of the customer id and the event time (defaults: the session contract's).
    amount : str, optional
        Column with the value of each row. Default: net revenue of purchased sessions
        (:func:`.metrics.net_revenue`, which needs ``price``, ``discount_applied`` and
        ``purchase_decision``).
    quantity : str, optional
        Column of units per row; adds a ``units`` column (their sum).
    order : str, optional
        Order id column, for logs with one row per line item.

    Returns
    -------
    DataFrame
        Indexed by customer: ``recency_days``, ``frequency``, ``monetary`` (and ``units``),
        ``R``, ``F``, ``M`` and ``rfm_segment``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d"],
    ...                        "order_date": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-02-01",
    ...                                                      "2025-03-01", "2025-02-01"]),
    ...                        "order_total": [10.0, 30.0, 5.0, 50.0, 5.0]})
    >>> rfm = rfm_scores(orders, customer="customer_id", timestamp="order_date", amount="order_total")
    >>> rfm[["recency_days", "frequency", "monetary", "R", "F", "M"]]  # doctest: +NORMALIZE_WHITESPACE
                 recency_days  frequency  monetary  R  F  M
    customer_id
    a                     0.0          2      40.0  3  4  3
    b                    28.0          1       5.0  1  1  1
    c                     0.0          1      50.0  3  1  4
    d                    28.0          1       5.0  1  1  1
    """
    where = "rfm_scores"
    _require(
        frame,
        where,
        {"customer": customer, "timestamp": timestamp, "amount": amount, "quantity": quantity, "order": order},
    )
    if amount is None:
        missing = [c for c in _NET_REVENUE_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(
                f"{where}: without amount= the value of a row is the net revenue of a purchased session, "
                f"which needs column(s) {', '.join(map(repr, missing))}; pass amount='<your amount column>'"
            )
        value = net_revenue(frame).astype(float)
    else:
        value = _numeric(frame, amount, "amount", where)
    ids = _customers(frame, customer, where)
    ts = _timestamps(frame, timestamp, where)
    as_of = pd.Timestamp(as_of) if as_of is not None else ts.max()
    rows = pd.DataFrame({"customer": ids.to_numpy(), "date": ts.to_numpy(), "value": value.to_numpy()})
    if quantity is not None:
        rows["units"] = _numeric(frame, quantity, "quantity", where).to_numpy()
    g = rows.groupby("customer", sort=True)
    frequency = (
        pd.DataFrame({"customer": rows.customer, "order": frame[order].to_numpy()})
        .groupby("customer", sort=True)["order"]
        .nunique()
        if order is not None
        else g.size()
    )
    rfm = pd.DataFrame(
        {
            "recency_days": (as_of - g["date"].max()).dt.total_seconds() / 86400.0,
            "frequency": frequency,
            "monetary": g["value"].sum(),
        }
    )
    if quantity is not None:
        rfm["units"] = g["units"].sum()
    rfm.index.name = customer
    rfm["R"] = tie_aware_score(rfm.recency_days, higher_is_better=False)
    rfm["F"] = tie_aware_score(rfm.frequency)
    rfm["M"] = tie_aware_score(rfm.monetary)
    conditions = [
        (rfm.R >= 4) & (rfm.F >= 4) & (rfm.M >= 4),
        rfm.F >= 4,
        rfm.M >= 4,
        (rfm.R <= 2) & (rfm.F >= 3),
        rfm.R <= 2,
    ]
    rfm["rfm_segment"] = np.select(
        conditions, ["Champions", "Loyal", "Big spenders", "At risk", "Hibernating"], "Promising"
    )
    return rfm


# -------------------------------------------------------------------------------- cohorts
def users_return(frame: pd.DataFrame, *, customer: str = CUSTOMER) -> bool:
    """True when some customers have more than one row (so cohorts can show retention).

    Examples
    --------
    >>> users_return(pd.DataFrame({"customer_id": [1, 2, 1]}), customer="customer_id")
    True
    """
    _require(frame, "users_return", {"customer": customer})
    return bool(frame[customer].duplicated().any())


def _period_start(ts: pd.Series, period: str) -> pd.Series:
    if period == "week":
        return ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")
    return ts.dt.to_period("M").dt.start_time


def _periods_between(start: pd.Series, end: pd.Series, period: str) -> pd.Series:
    if period == "week":
        return ((end - start).dt.days // 7).astype(int)
    return ((end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)).astype(int)


def _check_period(period: str, where: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"{where}: period must be one of {PERIODS}, got {period!r}")


def _cohort_ages(frame: pd.DataFrame, customer: str, timestamp: str, period: str, where: str):
    _check_period(period, where)
    _require(frame, where, {"customer": customer, "timestamp": timestamp})
    start = _period_start(_timestamps(frame, timestamp, where), period)
    ids = _customers(frame, customer, where)
    first = start.groupby(ids.to_numpy()).transform("min")
    return start, first, _periods_between(first, start, period)


def cohort_retention(
    frame: pd.DataFrame, *, customer: str = CUSTOMER, timestamp: str = TIMESTAMP, period: str = "week"
) -> pd.DataFrame:
    """Acquisition cohorts: share of each cohort's customers active k periods after their first.

    Rows are cohorts (the Monday of the week, or the first day of the month, of the customer's
    first row), columns are periods since acquisition (0, 1, ...), values are the share of the
    cohort's customers with a row in that period; periods after the data ends are NaN. The
    ``users`` column holds cohort sizes.

    Parameters
    ----------
    frame : DataFrame
        Sessions or transactions.
    customer, timestamp : str
        Column names (defaults: the session contract's).
    period : {"week", "month"}, default "week"

    Returns
    -------
    DataFrame
        Indexed by cohort label (``YYYY-MM-DD`` for weeks, ``YYYY-MM`` for months).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b", "c"],
    ...                        "order_date": pd.to_datetime(["2025-01-05", "2025-02-20", "2025-01-30", "2025-02-01"])})
    >>> cohort_retention(orders, customer="customer_id", timestamp="order_date", period="month")  # doctest: +NORMALIZE_WHITESPACE
             users    0    1
    cohort
    2025-01      2  1.0  0.5
    2025-02      1  1.0  NaN
    """
    where = "cohort_retention"
    start, first, age = _cohort_ages(frame, customer, timestamp, period, where)
    active = pd.DataFrame(
        {"cohort": first.to_numpy(), "age": age.to_numpy(), "user": frame[customer].to_numpy()}
    ).drop_duplicates()
    return retention_matrix(active.groupby(["cohort", "age"]).size().unstack(fill_value=0), start.max(), period)


def retention_matrix(counts: pd.DataFrame, last: pd.Timestamp, period: str) -> pd.DataFrame:
    """Shares of each cohort active k periods later, from active-customer counts.

    Parameters
    ----------
    counts : DataFrame
        Active customers, indexed by cohort start, one column per age in periods (0 first).
    last : Timestamp
        Start of the last period in the data: later cells are not observable yet (NaN).
    period : {"week", "month"}
        The period.

    Returns
    -------
    DataFrame
        As :func:`cohort_retention`: ``users`` (cohort size), then the share active at each age.
    """
    sizes = counts[0]
    matrix = counts.div(sizes, axis=0)
    for cohort in matrix.index:
        observable = int(_periods_between(pd.Series([cohort]), pd.Series([last]), period).iloc[0])
        matrix.loc[cohort, matrix.columns > observable] = np.nan
    matrix.insert(0, "users", sizes)
    matrix.index = matrix.index.strftime("%Y-%m-%d" if period == "week" else "%Y-%m")
    matrix.index.name = "cohort"
    matrix.columns.name = None
    return matrix


def conversion_by_cohort_age(
    frame: pd.DataFrame,
    *,
    customer: str = CUSTOMER,
    timestamp: str = TIMESTAMP,
    outcome: str = TARGET,
    period: str = "week",
) -> pd.DataFrame:
    """Conversion (rate of ``outcome``) by periods since the customer's first row, with Wilson CIs.

    Returns the table of :func:`.metrics.rate_table` with the level column named
    ``weeks_since_first`` or ``months_since_first``.

    Examples
    --------
    >>> visits = pd.DataFrame({"who": ["a", "a", "b"], "when": pd.to_datetime(["2025-01-06", "2025-01-14", "2025-01-07"]),
    ...                        "bought": [0, 1, 1]})
    >>> conversion_by_cohort_age(visits, customer="who", timestamp="when", outcome="bought")[["weeks_since_first", "n", "rate"]]
       weeks_since_first  n  rate
    0                  0  2   0.5
    1                  1  1   1.0
    """
    where = "conversion_by_cohort_age"
    _require(frame, where, {"outcome": outcome})
    _, _, age = _cohort_ages(frame, customer, timestamp, period, where)
    table = rate_table(frame, age.rename(f"{period}s_since_first"), outcome=outcome)
    return table.rename(columns={"level": f"{period}s_since_first"})


# ----------------------------------------------------------------------- repeat purchases
def repeat_purchase_curve(
    frame: pd.DataFrame,
    *,
    customer: str = CUSTOMER,
    timestamp: str = TIMESTAMP,
    order: str | None = None,
    purchased: str | None = "auto",
    max_purchases: int = 10,
    within_days: Sequence[float] | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Share of customers who come back to buy again.

    By count (default): for n = 1 .. ``max_purchases``, the customers with at least n purchases,
    their share of all buyers, and the share of those with n - 1 purchases who make an n-th.
    By time (``within_days`` given): for each d, the share of buyers who make a second purchase
    within d days of their first, among the buyers *observed* for d days (first purchase at
    least d days before ``as_of``, default the last timestamp), so late buyers do not bias the
    curve downwards.

    Parameters
    ----------
    frame : DataFrame
        Sessions or transactions.
    customer, timestamp : str
        Column names (defaults: the session contract's).
    order : str, optional
        Order id column (one purchase per distinct order).
    purchased : str or None, default "auto"
        Column of 0/1 flags marking the rows that are purchases; None: every row is one;
        "auto": ``purchase_decision`` when the frame has it (the session contract), else None.
    max_purchases : int, default 10
    within_days : sequence of float, optional
        Horizons in days for the curve by time.
    as_of : Timestamp, optional
        End of observation for the curve by time.

    Returns
    -------
    DataFrame
        By count: ``purchases``, ``customers``, ``share``, ``share_of_previous``.
        By time: ``days``, ``eligible``, ``repurchased``, ``share``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
    ...                        "order_date": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-02-01",
    ...                                                      "2025-01-01", "2025-01-20", "2025-01-02"])})
    >>> repeat_purchase_curve(orders, customer="customer_id", timestamp="order_date", max_purchases=3)
       purchases  customers     share  share_of_previous
    0          1          3  1.000000           1.000000
    1          2          2  0.666667           0.666667
    2          3          1  0.333333           0.500000
    >>> repeat_purchase_curve(orders, customer="customer_id", timestamp="order_date", within_days=[7, 30])
       days  eligible  repurchased     share
    0     7         3            1  0.333333
    1    30         3            2  0.666667
    """
    where = "repeat_purchase_curve"
    _require(frame, where, {"customer": customer, "timestamp": timestamp, "order": order})
    if not isinstance(max_purchases, (int, np.integer)) or max_purchases < 2:
        raise ValueError(f"{where}: max_purchases must be an integer >= 2, got {max_purchases!r}")
    end = pd.Timestamp(as_of) if as_of is not None else _timestamps(frame, timestamp, where).max()
    tx = _transactions(_purchase_rows(frame, purchased, where), customer, timestamp, order, where)
    counts = tx.groupby("customer", sort=False).size()
    buyers = len(counts)
    if within_days is None:
        ns = np.arange(1, int(max_purchases) + 1)
        at_least = np.array([(counts >= n).sum() for n in ns])
        previous = np.concatenate([[buyers], at_least[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            return pd.DataFrame(
                {
                    "purchases": ns,
                    "customers": at_least,
                    "share": at_least / buyers if buyers else np.nan,
                    "share_of_previous": np.where(previous > 0, at_least / np.maximum(previous, 1), np.nan),
                }
            )
    days = np.asarray(list(within_days), dtype=float)
    if days.size == 0 or (days <= 0).any() or np.isnan(days).any():
        raise ValueError(f"{where}: within_days must be positive numbers of days, got {list(within_days)!r}")
    first = tx[tx.n == 1].set_index("customer").ts
    second = tx[tx.n == 2].set_index("customer").ts.reindex(first.index)
    gap = (second - first).dt.total_seconds() / 86400.0
    observed = (end - first).dt.total_seconds() / 86400.0
    rows = []
    for d in days:
        eligible = observed >= d
        rows.append({"days": d, "eligible": int(eligible.sum()), "repurchased": int((gap[eligible] <= d).sum())})
    out = pd.DataFrame(rows)
    out["share"] = out.repurchased / out.eligible.where(out.eligible > 0)
    if np.all(days == np.round(days)):
        out["days"] = out["days"].astype(int)
    return out


@dataclass(frozen=True)
class InterPurchaseTimes:
    """Gaps between consecutive purchases of each customer.

    Attributes
    ----------
    gaps : DataFrame
        One row per repeat purchase: customer, ``purchase`` (its number, 2, 3, ...) and ``days``
        since the previous purchase.
    per_customer : DataFrame
        Per repeat customer: ``purchases``, ``gaps``, ``first_gap_days``, ``median_days``, ``mean_days``.
    summary : dict
        Buyers, repeat buyers, gaps, and the median, mean, 25th and 75th percentiles of the gaps
        (days), and the median first gap.
    """

    gaps: pd.DataFrame
    per_customer: pd.DataFrame
    summary: dict


def inter_purchase_times(
    frame: pd.DataFrame,
    *,
    customer: str = CUSTOMER,
    timestamp: str = TIMESTAMP,
    order: str | None = None,
    purchased: str | None = "auto",
) -> InterPurchaseTimes:
    """Days between consecutive purchases, per customer and in summary.

    Parameters
    ----------
    frame : DataFrame
        Sessions or transactions.
    customer, timestamp : str
        Column names (defaults: the session contract's).
    order : str, optional
        Order id column (one purchase per distinct order, at its first timestamp).
    purchased : str or None, default "auto"
        As in :func:`repeat_purchase_curve`.

    Returns
    -------
    InterPurchaseTimes

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "b", "c"],
    ...                        "order_date": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-02-01",
    ...                                                      "2025-01-01", "2025-01-21", "2025-01-02"])})
    >>> times = inter_purchase_times(orders, customer="customer_id", timestamp="order_date")
    >>> times.gaps
      customer_id  purchase  days
    0           a         2   4.0
    1           a         3  27.0
    2           b         2  20.0
    >>> times.summary["repeat_buyers"], times.summary["median_days"]
    (2, 20.0)
    """
    where = "inter_purchase_times"
    _require(frame, where, {"customer": customer, "timestamp": timestamp, "order": order})
    tx = _transactions(_purchase_rows(frame, purchased, where), customer, timestamp, order, where)
    tx["days"] = tx.groupby("customer", sort=False).ts.diff().dt.total_seconds() / 86400.0
    gaps = tx[tx.n > 1][["customer", "n", "days"]].rename(columns={"customer": customer, "n": "purchase"})
    gaps = gaps.reset_index(drop=True)
    g = gaps.groupby(customer, sort=True)
    per_customer = pd.DataFrame(
        {
            "purchases": g.size() + 1,
            "gaps": g.size(),
            "first_gap_days": g["days"].first(),
            "median_days": g["days"].median(),
            "mean_days": g["days"].mean(),
        }
    )
    d = gaps["days"]
    empty = d.empty
    summary = {
        "buyers": int(tx.customer.nunique()),
        "repeat_buyers": len(per_customer),
        "gaps": len(d),
        "median_days": float(d.median()) if not empty else float("nan"),
        "mean_days": float(d.mean()) if not empty else float("nan"),
        "p25_days": float(d.quantile(0.25)) if not empty else float("nan"),
        "p75_days": float(d.quantile(0.75)) if not empty else float("nan"),
        "median_first_gap_days": float(per_customer.first_gap_days.median()) if not empty else float("nan"),
    }
    return InterPurchaseTimes(gaps, per_customer, summary)
