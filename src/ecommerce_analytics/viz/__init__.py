"""Plotly theme, figure display for notebooks, and static PNG export.

:func:`show` displays a figure as one output that carries both the interactive Plotly JSON
(JupyterLab renders it; the pipeline turns it into an offline HTML figure) and a static PNG
(what GitHub shows, since it runs no JavaScript). PNG export uses kaleido with a Chromium
browser found on the machine (Debian package ``chromium``); without one, figures are shown
without the PNG and a single warning says why.

Plotting functions here only draw: they take computed frames and return figures.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from .. import precision

__all__ = [
    "TEMPLATE",
    "PALETTE",
    "apply_theme",
    "figure_json",
    "to_png",
    "static_export_available",
    "show",
    "rate_chart",
    "forest_plot",
    "funnel_chart",
    "heatmap",
]

TEMPLATE = "ecommerce"
PALETTE = ("#2E5EAA", "#E07A1F", "#3A9E6F", "#B23A48", "#7B5EA7", "#5C6B73", "#C9A227", "#2A9D8F")
WIDTH, HEIGHT = 900, 480

_state = {"warned": False, "server": False, "available": None}


def apply_theme() -> None:
    """Register the project's template and make it the default (idempotent)."""
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.update(
        colorway=list(PALETTE),
        font=dict(family="Inter, Helvetica, Arial, sans-serif", size=13, color="#1F2933"),
        title=dict(font=dict(size=17), x=0.0, xanchor="left"),
        margin=dict(l=70, r=30, t=70, b=60),
        hoverlabel=dict(font_size=12),
    )
    pio.templates[TEMPLATE] = template
    pio.templates.default = TEMPLATE


def figure_json(fig: go.Figure) -> dict:
    """The figure as plain JSON, every float at the committed precision: the same on every machine.

    See :func:`ecommerce_analytics.precision.round_figure`.
    """
    return precision.round_figure(json.loads(pio.to_json(fig, validate=False, engine="json")))


logger = logging.getLogger(__name__)


def _warn_once(reason: str) -> None:
    if not _state["warned"]:
        _state["warned"] = True
        logger.warning(
            "static PNG export is off (%s); figures stay interactive but GitHub will not show them. "
            "Install Chromium (Debian: apt-get install chromium) to enable it.",
            reason,
        )


def static_export_available() -> bool:
    """Whether a Chromium-based browser for kaleido is on this machine (checked once)."""
    if _state["available"] is None:
        try:
            from choreographer.browsers.chromium import Chromium

            _state["available"] = Chromium.find_browser(skip_local=False) is not None
        except Exception:  # an import or lookup failure means: no export
            _state["available"] = False
    return bool(_state["available"])


def to_png(fig: go.Figure | dict, width: int = WIDTH, height: int = HEIGHT) -> bytes | None:
    """PNG bytes of a figure (or of its JSON), or None (with one warning) when no browser is available."""
    if not static_export_available():
        _warn_once("no Chromium-based browser found")
        return None
    try:
        import kaleido

        if not _state["server"]:
            kaleido.start_sync_server(silence_warnings=True)
            _state["server"] = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "kopts ignored if using a server"
            return pio.to_image(fig, format="png", width=width, height=height, scale=1)
    except Exception as exc:  # noqa: BLE001 - any export failure degrades to no PNG
        _state["available"] = False
        _warn_once(f"kaleido failed: {type(exc).__name__}: {exc}")
        return None


def show(fig: go.Figure, width: int = WIDTH, height: int = HEIGHT, *, figure_id: str | None = None) -> None:
    """Display a figure in a notebook: interactive Plotly JSON plus a static PNG.

    ``figure_id`` (letters, digits, ``-`` and ``_``) is written into the output's metadata, so the
    generated docs pick the figure by its id, never by its title or position.
    """
    from IPython.display import display

    if figure_id is not None and not re.fullmatch(r"[A-Za-z0-9_-]+", figure_id):
        raise ValueError(f"figure_id must be letters, digits, '-' or '_', got {figure_id!r}")

    fig.update_layout(width=width, height=height)
    spec = figure_json(fig)  # rounded once: the interactive figure and its PNG show the same numbers
    bundle: dict = {
        "application/vnd.plotly.v1+json": {**spec, "config": {"displaylogo": False, "responsive": True}},
        "text/plain": f"<Figure: {fig.layout.title.text or 'untitled'}>",
    }
    png = to_png(spec, width, height)
    if png is not None:
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
    display(bundle, raw=True, metadata={"figure_id": figure_id} if figure_id else None)


# ------------------------------------------------------------------------------ plotting
def rate_chart(
    table: pd.DataFrame,
    *,
    x: str = "level",
    title: str,
    overall: float | None = None,
    yaxis_title: str = "Conversion rate",
    highlight: Sequence[bool] | None = None,
    xaxis_title: str | None = None,
) -> go.Figure:
    """Bars of ``rate`` with Wilson error bars (``ci_low``, ``ci_high``); optional reference line."""
    colors = [PALETTE[1] if h else PALETTE[0] for h in highlight] if highlight is not None else PALETTE[0]
    fig = go.Figure(
        go.Bar(
            x=table[x].astype(str),
            y=table["rate"],
            marker_color=colors,
            error_y=dict(
                type="data",
                symmetric=False,
                array=table["ci_high"] - table["rate"],
                arrayminus=table["rate"] - table["ci_low"],
                color="#444",
            ),
            customdata=np.column_stack([table["n"], table["ci_low"], table["ci_high"]]),
            hovertemplate="%{x}<br>rate %{y:.1%}<br>95% CI %{customdata[1]:.1%} to %{customdata[2]:.1%}"
            "<br>n = %{customdata[0]:,}<extra></extra>",
        )
    )
    if overall is not None:
        fig.add_hline(
            y=overall, line_dash="dash", line_color="#777", annotation_text="overall", annotation_position="top left"
        )
    fig.update_layout(
        title=title,
        yaxis_tickformat=".0%",
        yaxis_title=yaxis_title,
        xaxis_title=xaxis_title if xaxis_title is not None else x,
        showlegend=False,
    )
    return fig


def forest_plot(screen: pd.DataFrame, *, title: str, overall: float) -> go.Figure:
    """Every level's rate with its CI, colored by whether it survives the correction."""
    labels = screen["variable"] + ": " + screen["level"].astype(str)
    fig = go.Figure()
    for flag, name, color in (
        (False, "not significant after correction", "#9AA5B1"),
        (True, "significant after correction", PALETTE[3]),
    ):
        part = screen[screen["significant"] == flag]
        if part.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=part["rate"],
                y=labels[part.index],
                mode="markers",
                name=name,
                marker=dict(color=color, size=8),
                error_x=dict(
                    type="data",
                    symmetric=False,
                    array=part["ci_high"] - part["rate"],
                    arrayminus=part["rate"] - part["ci_low"],
                    color=color,
                ),
                customdata=np.column_stack([part["n"], part["p_adjusted"]]),
                hovertemplate="%{y}<br>rate %{x:.1%}<br>n = %{customdata[0]:,}<br>adjusted p = %{customdata[1]:.3g}"
                "<extra></extra>",
            )
        )
    fig.add_vline(x=overall, line_dash="dash", line_color="#777")
    fig.update_layout(
        title=title,
        xaxis_tickformat=".0%",
        xaxis_title="Conversion rate (95% Wilson CI)",
        yaxis=dict(
            autorange="reversed",
            categoryorder="array",
            categoryarray=list(labels),
            tickmode="array",
            tickvals=list(labels),
            tickfont=dict(size=11),
        ),
        legend=dict(orientation="h", y=-0.12),
    )
    return fig


def funnel_chart(table: pd.DataFrame, *, title: str) -> go.Figure:
    """A funnel of ``stage`` and ``sessions`` with the share of all sessions."""
    fig = go.Figure(
        go.Funnel(
            y=table["stage"],
            x=table["sessions"],
            textinfo="value+percent initial",
            marker=dict(color=list(PALETTE[: len(table)])),
        )
    )
    fig.update_layout(title=title)
    return fig


def heatmap(matrix: pd.DataFrame, *, title: str, zmin: float = -1.0, zmax: float = 1.0) -> go.Figure:
    """A labelled heatmap of a square matrix (for correlations)."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=zmin,
            zmax=zmax,
            colorscale="RdBu",
            reversescale=True,
            text=np.round(matrix.to_numpy(), 2),
            texttemplate="%{text}",
            hovertemplate="%{y} x %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(title=title, yaxis=dict(autorange="reversed"))
    return fig


apply_theme()
