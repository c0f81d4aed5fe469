"""Figures of the customer segmentation report (notebook 02).

Each function takes computed frames (from :mod:`ecommerce_analytics.segmentation`) and returns a
Plotly figure; nothing here computes a statistic. Default titles carry the notebook's figure
numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import PALETTE, heatmap, rate_chart

__all__ = [
    "k_choice_figure",
    "centroid_heatmap",
    "segment_conversion_chart",
    "persona_heatmap",
    "rfm_group_bars",
    "demographic_bars",
    "discount_difference_figure",
    "retention_heatmap",
    "RETENTION_NOTE",
    "cohort_age_chart",
    "age_week_heatmap",
    "weekly_conversion_chart",
]

#: Order of the income levels on the demographic chart.
INCOME_ORDER = ("Low", "Medium", "High")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], where: str) -> None:
    """Raise a ValueError naming the columns ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: the frame lacks column(s) {', '.join(map(repr, missing))}")


def k_choice_figure(choice: Any, *, title: str | None = None) -> go.Figure:
    """Inertia and silhouette against k, side by side, with the chosen k marked.

    Parameters
    ----------
    choice : KChoice
        :func:`ecommerce_analytics.segmentation.choose_k` output (``table`` with ``k``,
        ``inertia``, ``silhouette``; ``k``, ``k_elbow``, ``k_silhouette``).
    title : str, optional
        Default: "Figure 1 · Choosing k: elbow at ..., best silhouette at ...".

    Returns
    -------
    plotly.graph_objects.Figure
    """
    table = choice.table
    _require(table, ("k", "inertia", "silhouette"), "k_choice_figure")
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Inertia (elbow)", "Silhouette"))
    fig.add_trace(go.Scatter(x=table.k, y=table.inertia, mode="lines+markers", name="inertia"), row=1, col=1)
    fig.add_trace(go.Scatter(x=table.k, y=table.silhouette, mode="lines+markers", name="silhouette"), row=1, col=2)
    for col in (1, 2):
        fig.add_vline(x=choice.k, line_dash="dash", line_color="#B23A48", row=1, col=col)
    fig.update_layout(
        title=title or f"Figure 1 · Choosing k: elbow at {choice.k_elbow}, best silhouette at {choice.k_silhouette}",
        showlegend=False,
    )
    fig.update_xaxes(title_text="k")
    return fig


def centroid_heatmap(
    centroids: pd.DataFrame, *, title: str = "Figure 2 · Segment centroids (standard deviations from the mean)"
) -> go.Figure:
    """Standardized centroids (segments by features), rounded to 2 decimals, on a -2 to 2 scale.

    Parameters
    ----------
    centroids : DataFrame
        :func:`ecommerce_analytics.segmentation.centroid_table` output.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = heatmap(centroids.round(2), title=title, zmin=-2, zmax=2)
    return fig.update_layout(xaxis_title="feature", yaxis_title="segment")


def segment_conversion_chart(
    profiles: pd.DataFrame, overall: float, *, title: str = "Figure 3 · Conversion by segment (95% Wilson CI)"
) -> go.Figure:
    """Conversion of each segment with its Wilson interval, and the overall rate as a line.

    Parameters
    ----------
    profiles : DataFrame
        Segment profiles with ``name``, ``sessions``, ``conversion``, ``ci_low``, ``ci_high``.
    overall : float
        Overall conversion.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(profiles, ("name", "sessions", "conversion", "ci_low", "ci_high"), "segment_conversion_chart")
    chart = profiles.rename(columns={"conversion": "rate", "sessions": "n"}).assign(level=profiles.name)
    return rate_chart(chart, title=title, overall=overall, xaxis_title="segment")


def persona_heatmap(
    crosstab: pd.DataFrame, *, title: str = "Figure 4 · Where each true persona lands (share of its customers)"
) -> go.Figure:
    """Share of each true persona's customers (rows) in each segment (columns), on a 0 to 1 scale.

    Parameters
    ----------
    crosstab : DataFrame
        :attr:`ecommerce_analytics.segmentation.PersonaReadout.crosstab`.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = heatmap(crosstab.round(2), title=title, zmin=0, zmax=1)
    return fig.update_layout(xaxis_title="segment", yaxis_title="true persona")


def rfm_group_bars(groups: pd.DataFrame, *, title: str = "Figure 5 · Customers per RFM group") -> go.Figure:
    """Customers per RFM group, with the group's average revenue on hover.

    Parameters
    ----------
    groups : DataFrame
        :func:`ecommerce_analytics.segmentation.rfm_groups` output (indexed by group).
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(groups, ("customers", "avg_revenue"), "rfm_group_bars")
    fig = go.Figure(
        go.Bar(
            x=groups.index,
            y=groups.customers,
            marker_color=PALETTE[0],
            customdata=groups.avg_revenue,
            hovertemplate="%{x}: %{y:,} customers<br>average revenue %{customdata:.2f}<extra></extra>",
        )
    )
    fig.update_layout(title=title, yaxis_title="customers", xaxis_title="RFM group")
    return fig


def demographic_bars(
    screen: pd.DataFrame,
    *,
    title: str = "Figure 6 · Conversion by demographic segment (orange: significant after Holm)",
) -> go.Figure:
    """Conversion by age group, gender and income (one panel each), significant levels in orange.

    Parameters
    ----------
    screen : DataFrame
        :func:`ecommerce_analytics.metrics.conversion_screen` output over ``age_group``,
        ``gender`` and ``income_level`` (other variables are not drawn). Income levels are
        drawn Low, Medium, High.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(screen, ("variable", "level", "rate", "ci_low", "ci_high", "significant"), "demographic_bars")
    fig = make_subplots(rows=1, cols=3, subplot_titles=("Age group", "Gender", "Income"), shared_yaxes=True)
    for col, var in enumerate(["age_group", "gender", "income_level"], start=1):
        part = screen[screen.variable == var]
        if var == "income_level":
            present = set(part.level)
            part = part.set_index("level").reindex([v for v in INCOME_ORDER if v in present]).reset_index()
        fig.add_trace(
            go.Bar(
                x=part.level,
                y=part.rate,
                marker_color=np.where(part.significant, PALETTE[1], PALETTE[0]),
                error_y=dict(
                    type="data", symmetric=False, array=part.ci_high - part.rate, arrayminus=part.rate - part.ci_low
                ),
            ),
            row=1,
            col=col,
        )
    fig.update_layout(title=title, showlegend=False, yaxis_tickformat=".0%")
    return fig


def discount_difference_figure(table: pd.DataFrame, contrast: str, *, title: str | None = None) -> go.Figure:
    """Observed conversion difference per segment with its interval, and the true offer effect when known.

    Parameters
    ----------
    table : DataFrame
        :func:`ecommerce_analytics.segmentation.discount_sensitivity` by segment (``group``,
        ``difference``, ``ci_low``, ``ci_high``; optional ``true_offer_effect``). Rows without a
        difference are not drawn.
    contrast : str
        How the contrast reads (e.g. "any discount vs none"), for the default title.
    title : str, optional
        Default: "Figure 7 · Conversion difference by segment: <contrast>".

    Returns
    -------
    plotly.graph_objects.Figure
    """
    _require(table, ("group", "difference", "ci_low", "ci_high"), "discount_difference_figure")
    valid = table.dropna(subset=["difference"])
    fig = go.Figure(
        go.Scatter(
            x=valid.difference,
            y=valid.group,
            mode="markers",
            name="observed difference",
            error_x=dict(
                type="data",
                symmetric=False,
                array=valid.ci_high - valid.difference,
                arrayminus=valid.difference - valid.ci_low,
            ),
        )
    )
    if "true_offer_effect" in valid.columns:
        fig.add_trace(
            go.Scatter(
                x=valid.true_offer_effect,
                y=valid.group,
                mode="markers",
                name="true effect of an offer",
                marker=dict(symbol="diamond", size=11, color=PALETTE[3]),
            )
        )
    fig.add_vline(x=0, line_color="#777")
    fig.update_layout(
        title=title or f"Figure 7 · Conversion difference by segment: {contrast}",
        xaxis_tickformat="+.0%",
        legend=dict(orientation="h", y=-0.2),
    )
    return fig


#: Note under the retention heatmap: why some cells are blank.
RETENTION_NOTE = "Blank cells: weeks not observed yet for that cohort (after the end of the data)."


def retention_heatmap(
    matrix: pd.DataFrame, *, title: str = "Figure 8 · Retention: share of each weekly cohort active k weeks later"
) -> go.Figure:
    """Share of each weekly cohort (rows) active k weeks later (columns), as percentages.

    Cells that cannot be observed yet (missing values: weeks after the end of the data) are
    left blank, and a note under the chart says so. Axes are titled.

    Parameters
    ----------
    matrix : DataFrame
        Retention without the ``users`` column (``RetentionReadout.matrix``): cohorts as rows,
        weeks since the first visit as columns, shares in [0, 1] or missing.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> fig = retention_heatmap(pd.DataFrame({0: [1.0, 1.0], 1: [0.2954, np.nan]}, index=["2025-01-06", "2025-01-13"]))
    >>> fig.data[0].text.tolist()
    [['100%', '30%'], ['100%', '']]
    """
    if not isinstance(matrix, pd.DataFrame) or matrix.empty:
        raise ValueError("retention_heatmap: matrix must be a non-empty DataFrame of shares")
    z = matrix.to_numpy(dtype=float)
    text = np.array([["" if np.isnan(v) else f"{v:.0%}" for v in row] for row in z], dtype=object)
    fig = go.Figure(
        go.Heatmap(
            z=np.round(z, 3),
            x=list(matrix.columns),
            y=[str(i) for i in matrix.index],
            zmin=0,
            zmax=1,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            hovertemplate="cohort %{y}, week %{x}: %{z:.1%} active<extra></extra>",
            hoverongaps=False,
            colorbar=dict(tickformat=".0%", title="active"),
        )
    )
    fig.update_layout(
        title=title,
        xaxis=dict(title="weeks since the first visit", dtick=1),
        yaxis=dict(title="cohort (week of the first visit)", autorange="reversed", type="category"),
        margin=dict(b=90),
        annotations=[
            dict(
                text=RETENTION_NOTE,
                showarrow=False,
                xref="paper",
                yref="paper",
                x=0,
                y=-0.2,
                xanchor="left",
                font=dict(size=11, color="#5C6B73"),
            )
        ],
    )
    return fig


def cohort_age_chart(
    by_age: pd.DataFrame, overall: float, *, title: str = "Figure 9 · Conversion by weeks since the first session"
) -> go.Figure:
    """Conversion by weeks since the customer's first session, with Wilson intervals.

    Parameters
    ----------
    by_age : DataFrame
        :func:`ecommerce_analytics.transactions.conversion_by_cohort_age` output.
    overall : float
        Overall conversion, drawn as a line.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    return rate_chart(
        by_age, x="weeks_since_first", title=title, overall=overall, xaxis_title="weeks since first session"
    )


def age_week_heatmap(
    grid: pd.DataFrame, *, title: str = "Figure 8 · Conversion by age group and purchase week"
) -> go.Figure:
    """Conversion by age group (rows) and purchase week (columns), rounded to 3 decimals.

    Parameters
    ----------
    grid : DataFrame
        ``WeeklyReadout.grid``.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = heatmap(grid.round(3), title=title, zmin=0, zmax=1)
    values = grid.round(3).to_numpy(dtype=float)
    fig.data[0].text = np.array([["" if np.isnan(v) else f"{v:.2f}" for v in row] for row in values], dtype=object)
    return fig.update_layout(xaxis_title="purchase week", yaxis_title="age group")


def weekly_conversion_chart(
    by_week: pd.DataFrame, overall: float, *, title: str = "Figure 9 · Conversion by purchase week"
) -> go.Figure:
    """Conversion by purchase week with Wilson intervals.

    Parameters
    ----------
    by_week : DataFrame
        :func:`ecommerce_analytics.metrics.rate_table` by week.
    overall : float
        Overall conversion, drawn as a line.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    return rate_chart(by_week, title=title, overall=overall, xaxis_title="week")
