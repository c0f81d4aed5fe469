"""Shaping session data into experiment units and daily looks."""

from __future__ import annotations

import pandas as pd

__all__ = ["experiment_units", "daily_looks"]


def experiment_units(
    sessions: pd.DataFrame, assignments: pd.DataFrame, pre_period: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per randomized user: variant, and their sessions from assignment on.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``user_id``, ``purchase_date``, ``price``, ``discount_applied``,
        ``purchase_decision``, ``add_to_cart``, ``abandoned_cart`` and the user's
        ``income_level``, ``gender`` and ``age``.
    assignments : DataFrame
        ``user_id, variant, assigned_at``.
    pre_period : DataFrame, optional
        ``user_id, pre_sessions, pre_purchases``.

    Returns
    -------
    DataFrame
        ``user_id, variant, sessions, purchases, carts, abandoned, revenue, income_level,
        gender, age, converted`` (1 if any purchase), ``one``, and with a pre-period table
        ``pre_sessions`` and ``pre_purchases``.
    """
    required = {"user_id", "variant", "assigned_at"}
    if not required <= set(assignments.columns):
        raise ValueError(f"assignments need columns {sorted(required)}")
    joined = sessions.merge(assignments, on="user_id", how="inner")
    joined = joined[joined["purchase_date"] >= joined["assigned_at"]]
    joined = joined.assign(
        revenue=(joined["price"] * (1 - joined["discount_applied"] / 100.0)).where(
            joined["purchase_decision"] == 1, 0.0
        )
    )
    g = joined.groupby("user_id", sort=True)
    units = pd.DataFrame(
        {
            "variant": g["variant"].first(),
            "sessions": g.size(),
            "purchases": g["purchase_decision"].sum(),
            "carts": g["add_to_cart"].sum(),
            "abandoned": g["abandoned_cart"].sum(),
            "revenue": g["revenue"].sum(),
            "income_level": g["income_level"].first(),
            "gender": g["gender"].first(),
            "age": g["age"].first(),
        }
    )
    units["converted"] = (units["purchases"] > 0).astype(int)
    units["one"] = 1
    if pre_period is not None:
        units = units.join(pre_period.set_index("user_id")[["pre_sessions", "pre_purchases"]], how="left")
    return units.reset_index()


def daily_looks(sessions: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Cumulative users and converted users per arm at the end of each day of the experiment.

    The data a team sees if it checks the dashboard daily.

    Parameters
    ----------
    sessions : DataFrame
        Sessions with ``user_id``, ``purchase_date`` and ``purchase_decision``.
    assignments : DataFrame
        ``user_id, variant, assigned_at``.

    Returns
    -------
    DataFrame
        ``day, n_control, x_control, n_treatment, x_treatment``, one row per day.
    """
    joined = sessions.merge(assignments, on="user_id", how="inner")
    joined = joined[joined["purchase_date"] >= joined["assigned_at"]]
    first_buy = joined[joined["purchase_decision"] == 1].groupby("user_id")["purchase_date"].min()
    a = assignments.set_index("user_id")
    days = pd.date_range(a["assigned_at"].min().normalize(), sessions["purchase_date"].max().normalize(), freq="D")
    rows = []
    for day in days:
        end = day + pd.Timedelta(days=1)
        assigned = a[a["assigned_at"] < end]
        bought = first_buy[first_buy < end]
        row = {"day": day.strftime("%Y-%m-%d")}
        for arm in ("control", "treatment"):
            users = assigned.index[assigned["variant"] == arm]
            row[f"n_{arm}"] = len(users)
            row[f"x_{arm}"] = int(bought.index.isin(users).sum())
        rows.append(row)
    return pd.DataFrame(rows)
