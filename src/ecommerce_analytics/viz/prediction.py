"""Figures of the purchase-prediction notebook (03): model comparison, reliability, drivers, value, gain.

Each function only draws: computed frames in (from :mod:`ecommerce_analytics.modeling`), a
``plotly.graph_objects.Figure`` out.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from . import PALETTE

__all__ = ["DODGE", "comparison_figure", "reliability_figure", "shap_figure", "value_figure", "gain_figure"]

_REFERENCE = "#999"
_HIGHLIGHT = "#B23A48"


def _asymmetric_errors(value: pd.Series, low: pd.Series, high: pd.Series) -> dict:
    """Plotly error bars from an interval around a value."""
    return dict(type="data", symmetric=False, array=high - value, arrayminus=value - low)


#: Horizontal offset of the cross-validated (left) and held-out (right) markers of a model.
DODGE = 0.12


def comparison_figure(table: pd.DataFrame, ceilings: dict[str, float], *, title: str) -> go.Figure:
    """Cross-validated and held-out ROC-AUC of each model with intervals, ceilings and chance.

    The two markers of a model are dodged (cross-validation at ``i - DODGE``, held-out at
    ``i + DODGE`` for the ``i``-th model) so that neither hides the other; the axis is labelled
    with the model names.

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
    positions = list(range(len(table)))
    fig = go.Figure()
    for offset, column, name, symbol in (
        (-DODGE, "cv", "5-fold CV (95% CI)", "circle"),
        (DODGE, "test", "held-out (DeLong 95% CI)", "diamond"),
    ):
        fig.add_trace(
            go.Scatter(
                x=[i + offset for i in positions],
                y=table[f"{column}_auc"],
                customdata=table.model,
                hovertemplate="%{customdata}: %{y:.3f}",
                mode="markers",
                name=name,
                marker=dict(size=10, symbol=symbol),
                error_y=_asymmetric_errors(
                    table[f"{column}_auc"], table[f"{column}_ci_low"], table[f"{column}_ci_high"]
                ),
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
    fig.update_layout(
        title=title,
        yaxis_title="ROC-AUC",
        legend=dict(orientation="h", y=-0.15),
        xaxis=dict(tickmode="array", tickvals=positions, ticktext=list(table.model), range=[-0.5, len(table) - 0.5]),
    )
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


def value_figure(curves: pd.DataFrame, threshold: float, *, title: str) -> go.Figure:
    """Value per 1,000 carts by targeting threshold: validation curve, held-out curve with band, the choice.

    Parameters
    ----------
    curves : DataFrame
        :meth:`InterventionValue.curves_per_1000()
        <ecommerce_analytics.modeling.InterventionValue.curves_per_1000>` (``threshold``,
        ``validation``, ``held_out``, ``held_out_low``, ``held_out_high``).
    threshold : float
        The threshold chosen on the validation curve, marked by a vertical dashed line.
    title : str
        The figure's title.

    Returns
    -------
    Figure
        The held-out band's upper edge (no legend), its lower edge filled to it, the held-out
        value line, and the dashed validation line that chose the threshold.
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=curves.threshold, y=curves.held_out_high, line=dict(width=0), showlegend=False, hoverinfo="skip")
    )
    fig.add_trace(
        go.Scatter(
            x=curves.threshold,
            y=curves.held_out_low,
            fill="tonexty",
            line=dict(width=0),
            name="held-out 95% interval",
            fillcolor="rgba(46,94,170,0.2)",
        )
    )
    fig.add_trace(go.Scatter(x=curves.threshold, y=curves.held_out, name="held-out carts", line=dict(color=PALETTE[0])))
    fig.add_trace(
        go.Scatter(
            x=curves.threshold,
            y=curves.validation,
            name="validation folds (choose)",
            line=dict(color=_HIGHLIGHT, dash="dash"),
        )
    )
    fig.add_vline(
        x=threshold,
        line_dash="dash",
        line_color=_HIGHLIGHT,
        annotation_text=f"chosen {threshold:.2f}",
        annotation_position="top right",
    )
    fig.add_hline(y=0, line_color=_REFERENCE)
    fig.update_layout(
        title=title,
        xaxis_title="target carts with predicted purchase probability below",
        yaxis_title="value per 1,000 carts",
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
