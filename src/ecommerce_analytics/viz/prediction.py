"""Figures of the purchase-prediction notebook (03): model comparison, reliability, drivers, value, gain.

Each function only draws: computed frames in (from :mod:`ecommerce_analytics.modeling`), a
``plotly.graph_objects.Figure`` out.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import PALETTE

__all__ = ["comparison_figure", "reliability_figure", "shap_figure", "value_figure", "gain_figure"]

_REFERENCE = "#999"
_HIGHLIGHT = "#B23A48"


def _asymmetric_errors(value: pd.Series, low: pd.Series, high: pd.Series) -> dict:
    """Plotly error bars from an interval around a value."""
    return dict(type="data", symmetric=False, array=high - value, arrayminus=value - low)


def comparison_figure(table: pd.DataFrame, ceilings: dict[str, float], *, title: str) -> go.Figure:
    """Cross-validated and held-out ROC-AUC of each model with intervals, ceilings and chance.

    Parameters
    ----------
    table : DataFrame
        :meth:`ModelComparison.table() <ecommerce_analytics.modeling.ModelComparison.table>`
        (``model``, ``cv_auc``, ``cv_ci_low``, ``cv_ci_high``, ``test_auc``, ``test_ci_low``,
        ``test_ci_high``).
    ceilings : dict
        ``observable`` and ``all_knowing`` ROC-AUC drawn as lines when present (may be empty).
    title : str
        The figure's title.

    Returns
    -------
    Figure
        Two marker traces with error bars; horizontal lines for the ceilings and chance (0.5).
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=table.model,
            y=table.cv_auc,
            mode="markers",
            name="5-fold CV (95% CI)",
            marker=dict(size=10),
            error_y=_asymmetric_errors(table.cv_auc, table.cv_ci_low, table.cv_ci_high),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=table.model,
            y=table.test_auc,
            mode="markers",
            name="held-out (DeLong 95% CI)",
            marker=dict(size=10, symbol="diamond"),
            error_y=_asymmetric_errors(table.test_auc, table.test_ci_low, table.test_ci_high),
        )
    )
    for label, value, dash in (
        ("observable ceiling", ceilings.get("observable"), "dash"),
        ("all-knowing", ceilings.get("all_knowing"), "dot"),
    ):
        if value is not None:
            fig.add_hline(
                y=value,
                line_dash=dash,
                line_color=_HIGHLIGHT,
                annotation_text=f"{label} {value:.3f}",
                annotation_position="top left",
            )
    fig.add_hline(y=0.5, line_color=_REFERENCE, annotation_text="chance", annotation_position="bottom left")
    fig.update_layout(title=title, yaxis_title="ROC-AUC", legend=dict(orientation="h", y=-0.15))
    return fig


def reliability_figure(curve: pd.DataFrame, model: str, *, title: str) -> go.Figure:
    """Observed against predicted purchase rate per bin, with Wilson error bars and the diagonal.

    Parameters
    ----------
    curve : DataFrame
        :func:`~ecommerce_analytics.modeling.reliability_curve` (``predicted``, ``observed``,
        ``ci_low``, ``ci_high``).
    model : str
        The model's name (the curve's legend entry).
    title : str
        The figure's title.

    Returns
    -------
    Figure
        A dashed ``perfect`` diagonal up to the largest predicted rate, and the model's curve.
    """
    top = curve.predicted.max()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=[0, top], y=[0, top], mode="lines", name="perfect", line=dict(dash="dash", color=_REFERENCE))
    )
    fig.add_trace(
        go.Scatter(
            x=curve.predicted,
            y=curve.observed,
            mode="markers+lines",
            name=model,
            error_y=_asymmetric_errors(curve.observed, curve.ci_low, curve.ci_high),
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="mean predicted probability",
        yaxis_title="observed purchase rate",
        xaxis_tickformat=".0%",
        yaxis_tickformat=".0%",
    )
    return fig


def shap_figure(shap: pd.DataFrame, *, title: str, top: int = 10) -> go.Figure:
    """Horizontal bars of the ``top`` largest mean |SHAP| values, largest at the top.

    Parameters
    ----------
    shap : DataFrame
        :func:`~ecommerce_analytics.modeling.shap_importances` (``feature``, ``mean_abs_shap``),
        largest first.
    title : str
        The figure's title.
    top : int
        Bars drawn (at least 1).

    Returns
    -------
    Figure
        One horizontal bar trace.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top!r}")
    rows = shap.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=rows.mean_abs_shap, y=rows.feature, orientation="h", marker_color=PALETTE[0]))
    fig.update_layout(title=title, xaxis_title="mean absolute contribution to the log-odds")
    return fig


def value_figure(curve: pd.DataFrame, best_threshold: float, *, title: str) -> go.Figure:
    """Value of the intervention by targeting threshold, its bootstrap band and the best threshold.

    Parameters
    ----------
    curve : DataFrame
        :func:`~ecommerce_analytics.modeling.value_curve` (``threshold``, ``value``, ``ci_low``,
        ``ci_high``).
    best_threshold : float
        Marked by a vertical dashed line.
    title : str
        The figure's title.

    Returns
    -------
    Figure
        The band's upper edge (no legend), its lower edge filled to it, and the value line.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=curve.threshold, y=curve.ci_high, line=dict(width=0), showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=curve.threshold,
            y=curve.ci_low,
            fill="tonexty",
            line=dict(width=0),
            name="95% interval",
            fillcolor="rgba(46,94,170,0.2)",
        )
    )
    fig.add_trace(go.Scatter(x=curve.threshold, y=curve.value, name="value", line=dict(color=PALETTE[0])))
    fig.add_vline(x=best_threshold, line_dash="dash", line_color=_HIGHLIGHT)
    fig.update_layout(
        title=title, xaxis_title="target carts with predicted purchase probability below", yaxis_title="value"
    )
    return fig


def gain_figure(gains: pd.DataFrame, model: str, *, title: str) -> go.Figure:
    """Cumulative gain of abandoned carts found by risk rank, against random targeting.

    Parameters
    ----------
    gains : DataFrame
        :func:`~ecommerce_analytics.modeling.gain_curve` (``share_targeted``, ``share_of_purchases``).
    model : str
        The model's name (the curve's legend entry).
    title : str
        The figure's title.

    Returns
    -------
    Figure
        The model's curve and the dashed random diagonal.
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=gains.share_targeted, y=gains.share_of_purchases, mode="lines+markers", name=model))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="random", line=dict(dash="dash", color=_REFERENCE)))
    fig.update_layout(
        title=title,
        xaxis_title="share of carts targeted (highest risk first)",
        yaxis_title="share of abandoned carts found",
        xaxis_tickformat=".0%",
        yaxis_tickformat=".0%",
    )
    return fig
