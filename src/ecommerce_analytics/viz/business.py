"""Figures of notebook 05 (business recommendations): impact ranges and the evidence behind them.

The functions only draw: they take what :mod:`ecommerce_analytics.business` computed and return
a :class:`plotly.graph_objects.Figure`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from . import PALETTE

__all__ = ["IMPACT_LABELS", "impact_figure", "auc_figure"]

#: Row labels of :func:`impact_figure`, by key of :func:`ecommerce_analytics.business.impact_ranges`.
IMPACT_LABELS = {
    "cart_recovery": "cart-recovery nudge",
    "discounts": "stop today's discount offers",
    "experiment": "ship the new checkout",
}


def impact_figure(
    impacts: Mapping[str, Mapping[str, float]],
    truth: Mapping[str, float] | None = None,
    *,
    labels: Mapping[str, str] = IMPACT_LABELS,
    title: str = "Figure 1 · Net money per month of each recommendation: expected value, 90% interval and truth",
) -> go.Figure:
    """One row per recommendation: its expected net money per month with its 90% interval, and the truth.

    Parameters
    ----------
    impacts : mapping
        ``{key: {"p5", "mean", "p95"}}`` (:func:`ecommerce_analytics.business.impact_ranges`), at least one.
    truth : mapping, optional
        ``{key: value}``, the simulator's true value of each impact (drawn as a second trace).
    labels : mapping
        Row label of each key.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        A scatter trace of the estimates with horizontal error bars, then one of the truth if given.

    Examples
    --------
    >>> fig = impact_figure({"cart_recovery": {"p5": 1.0, "mean": 2.0, "p95": 4.0}}, {"cart_recovery": 3.0})
    >>> fig.data[0].x, fig.data[0].error_x.array, fig.data[0].error_x.arrayminus, fig.data[1].x
    ((2.0,), (2.0,), (1.0,), (3.0,))
    """
    if not impacts:
        raise ValueError("impacts must hold at least one impact range")
    missing = sorted(set(impacts) - set(labels))
    if missing:
        raise ValueError(f"labels must name every impact; missing {missing}")
    keys = list(impacts)
    rows = [labels[k] for k in keys]
    fig = go.Figure(
        go.Scatter(
            x=[impacts[k]["mean"] for k in keys],
            y=rows,
            mode="markers",
            name="estimate (90% interval)",
            marker=dict(size=12, color=PALETTE[0]),
            error_x=dict(
                type="data",
                symmetric=False,
                array=[impacts[k]["p95"] - impacts[k]["mean"] for k in keys],
                arrayminus=[impacts[k]["mean"] - impacts[k]["p5"] for k in keys],
            ),
        )
    )
    if truth:
        shown = [k for k in keys if k in truth]
        fig.add_trace(
            go.Scatter(
                x=[truth[k] for k in shown],
                y=[labels[k] for k in shown],
                mode="markers",
                name="truth (simulator)",
                marker=dict(size=12, symbol="x", color=PALETTE[1]),
            )
        )
    fig.add_vline(x=0, line_dash="dash", line_color="#777")
    fig.update_layout(
        title=title,
        height=320,
        xaxis_title="net money per month (currency units of the data)",
        xaxis_tickformat=",.0f",
        yaxis=dict(autorange="reversed"),
    )
    return fig


def auc_figure(
    models: pd.DataFrame,
    *,
    title: str = "Figure 1 · The evidence behind recommendation 1: held-out ROC-AUC (95% CI) against chance",
) -> go.Figure:
    """Held-out ROC-AUC of each model of each stage with its 95% CI, against chance (0.5).

    Parameters
    ----------
    models : DataFrame
        ``stage`` (browse, cart), ``model``, ``test_auc``, ``test_ci_low``, ``test_ci_high``
        (:func:`ecommerce_analytics.business.model_comparison`).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One scatter trace per stage (browse, cart) and a dashed line at 0.5.
    """
    needed = {"stage", "model", "test_auc", "test_ci_low", "test_ci_high"}
    if not needed <= set(models.columns):
        raise ValueError(
            f"models must have the columns {sorted(needed)}; missing {sorted(needed - set(models.columns))}"
        )
    fig = go.Figure()
    for stage, color in (("browse", PALETTE[0]), ("cart", PALETTE[1])):
        part = models[models.stage == stage]
        fig.add_trace(
            go.Scatter(
                x=part.model,
                y=part.test_auc,
                mode="markers",
                name=f"{stage} stage",
                marker=dict(size=10, color=color),
                error_y=dict(
                    type="data",
                    symmetric=False,
                    array=part.test_ci_high - part.test_auc,
                    arrayminus=part.test_auc - part.test_ci_low,
                ),
            )
        )
    fig.add_hline(y=0.5, line_dash="dash", line_color="#777", annotation_text="chance")
    fig.update_layout(title=title, yaxis_title="ROC-AUC")
    return fig
