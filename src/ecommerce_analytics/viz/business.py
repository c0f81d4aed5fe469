"""Figures of notebook 05 (business recommendations): impact ranges and the evidence behind them.

The functions only draw: they take what :mod:`ecommerce_analytics.business` computed and return
a :class:`plotly.graph_objects.Figure`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import PALETTE

__all__ = ["IMPACT_LABELS", "impact_figure", "auc_figure"]

#: Panel titles of :func:`impact_figure`, by key of :func:`ecommerce_analytics.business.impact_ranges`.
IMPACT_LABELS = {
    "cart_recovery": "cart recovery (value / month)",
    "discount_orders": "discounts (extra orders / month)",
    "experiment_margin": "new checkout (margin / month)",
}


def impact_figure(
    impacts: Mapping[str, Mapping[str, float]],
    *,
    labels: Mapping[str, str] = IMPACT_LABELS,
    title: str = "Figure 1 · Impact of each recommendation: median and 90% range (simulated from the upstream CIs)",
) -> go.Figure:
    """One panel per impact: its median as a marker and its 90% range as an error bar.

    Parameters
    ----------
    impacts : mapping
        ``{key: {"p5": ..., "median": ..., "p95": ...}}`` (:func:`ecommerce_analytics.business.impact_ranges`),
        at least one.
    labels : mapping
        Panel title of each key.
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        One scatter trace per impact, in its own panel.

    Examples
    --------
    >>> fig = impact_figure({"cart_recovery": {"p5": 1.0, "median": 2.0, "p95": 4.0}})
    >>> fig.data[0].x, fig.data[0].error_x.array, fig.data[0].error_x.arrayminus
    ((2.0,), (2.0,), (1.0,))
    """
    if not impacts:
        raise ValueError("impacts must hold at least one impact range")
    missing = sorted(set(impacts) - set(labels))
    if missing:
        raise ValueError(f"labels must name every impact; missing {missing}")
    fig = make_subplots(rows=1, cols=len(impacts), subplot_titles=[labels[k] for k in impacts])
    for col, r in enumerate(impacts.values(), start=1):
        fig.add_trace(
            go.Scatter(
                x=[r["median"]],
                y=[""],
                mode="markers",
                marker=dict(size=12, color=PALETTE[0]),
                error_x=dict(
                    type="data", symmetric=False, array=[r["p95"] - r["median"]], arrayminus=[r["median"] - r["p5"]]
                ),
            ),
            row=1,
            col=col,
        )
    fig.update_layout(title=title, showlegend=False, height=320)
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
