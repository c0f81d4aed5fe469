"""Figures of notebook 01 (exploratory data analysis): computed frames in, Plotly figures out.

The generic charts of :mod:`ecommerce_analytics.viz` draw most of them; this module fixes their
titles and axes, and draws the funnel (counts with thousands separators) and the weekly trend
(sessions as bars, conversion on a second axis).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import PALETTE, forest_plot, heatmap, rate_chart

__all__ = [
    "funnel_figure",
    "screen_forest",
    "forest_height",
    "category_chart",
    "quintile_chart",
    "correlation_heatmap",
    "CORRELATION_HEIGHT",
    "hour_chart",
    "weekday_chart",
    "weekly_trend_chart",
]

#: Height (pixels) at which notebook 01 shows the correlation heatmap.
CORRELATION_HEIGHT = 620
_MIN_FOREST_HEIGHT = 480
#: Tick steps of the conversion axis of Figure 10: the smallest giving at most 8 ticks is used.
_RATE_STEPS = (0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
_RATE_COLUMNS = ("level", "n", "rate", "ci_low", "ci_high")


def _require(frame: object, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Raise ``ValueError`` unless ``frame`` is a non-empty DataFrame holding ``columns``."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        raise ValueError(f"{name} must be a non-empty pandas DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} must have the columns {list(columns)}; missing {missing}")
    return frame


def _check_overall(overall: float) -> float:
    if isinstance(overall, bool) or not isinstance(overall, (int, float)) or not 0 <= overall <= 1:
        raise ValueError(f"overall must be a rate in [0, 1], got {overall!r}")
    return float(overall)


def funnel_figure(table: pd.DataFrame) -> go.Figure:
    """Figure 1: the funnel of sessions reaching each stage, counts with thousands separators.

    Each bar's label is the count with thousands separators and the share of all sessions
    (``12,217 (61.1%)``); the hover adds the share of the previous stage.

    Parameters
    ----------
    table : DataFrame
        ``stage`` and ``sessions`` (:func:`ecommerce_analytics.metrics.funnel`).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> fig = funnel_figure(pd.DataFrame({"stage": ["Sessions", "Purchased"], "sessions": [18491, 4363]}))
    >>> fig.data[0].type, fig.data[0].x.tolist(), list(fig.data[0].text)
    ('funnel', [18491, 4363], ['18,491 (100.0%)', '4,363 (23.6%)'])
    """
    _require(table, ["stage", "sessions"], "table")
    counts = table["sessions"].astype(int).to_numpy()
    if counts[0] <= 0 or (counts < 0).any():
        raise ValueError("table.sessions must be non-negative counts with a positive first stage")
    share_first = counts / counts[0]
    share_previous = np.concatenate([[1.0], counts[1:] / np.maximum(counts[:-1], 1)])
    fig = go.Figure(
        go.Funnel(
            y=table["stage"],
            x=counts,
            text=[f"{n:,} ({s:.1%})" for n, s in zip(counts, share_first, strict=True)],
            textinfo="text",
            customdata=np.column_stack([share_first, share_previous]),
            hovertemplate="%{y}: %{x:,} sessions<br>%{customdata[0]:.1%} of all sessions"
            "<br>%{customdata[1]:.1%} of the previous stage<extra></extra>",
            marker=dict(color=list(PALETTE[: len(table)])),
        )
    )
    fig.update_layout(title="Figure 1 · The funnel: sessions reaching each stage")
    return fig


def screen_forest(screen: pd.DataFrame, *, overall: float) -> go.Figure:
    """Figure 2: every screened level's conversion with its interval, colored by Holm significance.

    Parameters
    ----------
    screen : DataFrame
        :func:`ecommerce_analytics.metrics.conversion_screen`'s frame.
    overall : float
        The overall conversion rate (dashed reference line).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(screen, ["variable", "level", "n", "rate", "ci_low", "ci_high", "significant", "p_adjusted"], "screen")
    return forest_plot(
        screen,
        title="Figure 2 · Conversion of every level, with Holm-corrected significance",
        overall=_check_overall(overall),
    )


def forest_height(screen: pd.DataFrame) -> int:
    """Display height of the forest plot: 22 pixels a level, at least 480.

    Parameters
    ----------
    screen : DataFrame
        The frame the forest plot draws.

    Returns
    -------
    int

    Examples
    --------
    >>> forest_height(pd.DataFrame({"level": range(48)}))
    1056
    >>> forest_height(pd.DataFrame({"level": range(3)}))
    480
    """
    if not isinstance(screen, pd.DataFrame):
        raise ValueError(f"screen must be a pandas DataFrame, got {type(screen).__name__}")
    return max(_MIN_FOREST_HEIGHT, 22 * len(screen))


def category_chart(table: pd.DataFrame, *, overall: float) -> go.Figure:
    """Figure 3: conversion by product category, the levels that survive the correction highlighted.

    Parameters
    ----------
    table : DataFrame
        The screen's rows of ``category`` (with ``significant``).
    overall : float
        The overall conversion rate.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(table, [*_RATE_COLUMNS, "significant"], "table")
    return rate_chart(
        table,
        title="Figure 3 · Conversion by product category (95% Wilson CI)",
        overall=_check_overall(overall),
        highlight=table["significant"].tolist(),
        xaxis_title="category",
    )


def quintile_chart(table: pd.DataFrame, *, label: str, number: int, overall: float) -> go.Figure:
    """Figures 4-6: conversion by quintile of one variable.

    Parameters
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` over the quintile bins.
    label : str
        How the title names the variable (``"price"``, ``"session duration"``...).
    number : int
        The figure's number in the notebook.
    overall : float
        The overall conversion rate.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> t = pd.DataFrame({"level": ["Q1", "Q2"], "n": [10, 10], "rate": [0.2, 0.4], "ci_low": [0.1, 0.2],
    ...                   "ci_high": [0.5, 0.6]})
    >>> quintile_chart(t, label="price", number=4, overall=0.3).layout.title.text
    'Figure 4 · Conversion by price quintile'
    """
    _require(table, _RATE_COLUMNS, "table")
    if not isinstance(label, str) or not label:
        raise ValueError(f"label must be a non-empty string, got {label!r}")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ValueError(f"number must be a positive integer, got {number!r}")
    return rate_chart(
        table,
        title=f"Figure {number} · Conversion by {label} quintile",
        overall=_check_overall(overall),
        xaxis_title=f"{label} (quintile: range)",
    )


def correlation_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Figure 7: the Spearman correlation matrix, rounded to 3 decimals.

    Parameters
    ----------
    matrix : DataFrame
        A square correlation matrix.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    if not isinstance(matrix, pd.DataFrame) or matrix.empty or list(matrix.index) != list(matrix.columns):
        raise ValueError("matrix must be a non-empty square DataFrame with the same labels on rows and columns")
    return heatmap(matrix.round(3), title="Figure 7 · Spearman correlations")


def hour_chart(table: pd.DataFrame, *, overall: float) -> go.Figure:
    """Figure 8: conversion by hour of day.

    Parameters
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` by hour.
    overall : float
        The overall conversion rate.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(table, _RATE_COLUMNS, "table")
    return rate_chart(
        table, title="Figure 8 · Conversion by hour of day", overall=_check_overall(overall), xaxis_title="hour"
    )


def weekday_chart(table: pd.DataFrame, *, overall: float) -> go.Figure:
    """Figure 9: conversion by weekday.

    Parameters
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` by weekday, in calendar order.
    overall : float
        The overall conversion rate.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(table, _RATE_COLUMNS, "table")
    return rate_chart(
        table, title="Figure 9 · Conversion by weekday", overall=_check_overall(overall), xaxis_title="weekday"
    )


def weekly_trend_chart(weekly: pd.DataFrame) -> go.Figure:
    """Figure 10: weekly sessions (bars) and conversion with its 4-week average (second axis).

    The conversion axis shows one decimal (``21.5%``), so a narrow range of weekly rates does
    not repeat tick labels; sessions are shown with thousands separators.

    Parameters
    ----------
    weekly : DataFrame
        ``week_start, sessions, conversion_rate, conversion_4wk_avg`` (``20_weekly_trend.sql``).

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> w = pd.DataFrame({"week_start": ["2025-01-06", "2025-01-13"], "sessions": [100, 120],
    ...                   "conversion_rate": [0.2, 0.25], "conversion_4wk_avg": [0.2, 0.225]})
    >>> [t.type for t in weekly_trend_chart(w).data]
    ['bar', 'scatter', 'scatter']
    """
    _require(weekly, ["week_start", "sessions", "conversion_rate", "conversion_4wk_avg"], "weekly")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=weekly.week_start, y=weekly.sessions, name="sessions", marker_color="#C9D6EA"))
    fig.add_trace(
        go.Scatter(x=weekly.week_start, y=weekly.conversion_rate, name="conversion", mode="lines+markers"),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(x=weekly.week_start, y=weekly.conversion_4wk_avg, name="4-week average", line=dict(dash="dash")),
        secondary_y=True,
    )
    fig.update_layout(title="Figure 10 · Weekly sessions and conversion", legend=dict(orientation="h", y=-0.15))
    fig.update_yaxes(title_text="sessions", tickformat=",d", secondary_y=False)
    rates = pd.concat([weekly.conversion_rate, weekly.conversion_4wk_avg]).dropna()
    span = float(rates.max() - rates.min()) if len(rates) else 0.0
    step = next((d for d in _RATE_STEPS if span / d <= 8), _RATE_STEPS[-1])
    fig.update_yaxes(title_text="conversion", tickformat=".1%", dtick=step, showgrid=False, secondary_y=True)
    return fig
