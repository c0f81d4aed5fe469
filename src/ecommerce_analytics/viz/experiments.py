"""Figures of notebook 04: monitoring p-values, segment and estimate forests, balance, calibration.

Each function only draws: computed frames in (from :mod:`ecommerce_analytics.readout` and
:mod:`ecommerce_analytics.observational`), a :class:`plotly.graph_objects.Figure` out.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import PALETTE

__all__ = [
    "error_bars",
    "monitoring_figure",
    "segment_forest",
    "estimates_forest",
    "balance_plot",
    "calibration_bars",
]

_LINE = "#B23A48"
_GREY = "#777"
_INK = "#111"


def error_bars(center, low, high, **style) -> dict:
    """Asymmetric error bars from an interval: ``high - center`` above, ``center - low`` below.

    Parameters
    ----------
    center, low, high : array-like
        Point estimates and interval ends.
    **style
        Further error-bar attributes (``color``, ``thickness``...).

    Returns
    -------
    dict
        For ``error_x`` or ``error_y`` of a Plotly trace.

    Examples
    --------
    >>> e = error_bars(pd.Series([1.0]), pd.Series([0.5]), pd.Series([2.0]))
    >>> e["array"].tolist(), e["arrayminus"].tolist(), e["symmetric"]
    ([1.0], [0.5], False)
    """
    return dict(type="data", symmetric=False, array=high - center, arrayminus=center - low, **style)


def monitoring_figure(
    looks: pd.DataFrame,
    sequential: pd.DataFrame,
    thresholds: pd.Series,
    *,
    alpha: float = 0.05,
    title: str = "Figure 1 · Daily monitoring of user conversion: naive, always-valid and group-sequential",
) -> go.Figure:
    """Daily naive and always-valid p-values, the level, and each planned look's nominal threshold.

    Parameters
    ----------
    looks : DataFrame
        Daily looks with a ``day`` column.
    sequential : DataFrame
        ``z_p_value`` and ``always_valid_p`` per day.
    thresholds : Series
        Nominal significance level of each planned look, indexed by its day.
    alpha : float
        The level (a dashed line).
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=looks["day"], y=sequential["z_p_value"], mode="lines+markers", name="naive z-test p-value")
    )
    fig.add_trace(
        go.Scatter(
            x=looks["day"], y=sequential["always_valid_p"], mode="lines+markers", name="always-valid p-value (mSPRT)"
        )
    )
    fig.add_hline(y=alpha, line_dash="dash", line_color=_LINE, annotation_text=f"α = {alpha:g}")
    fig.add_trace(
        go.Scatter(
            x=thresholds.index,
            y=thresholds.values,
            mode="markers",
            marker=dict(symbol="line-ew-open", size=18, line_width=3),
            name="group-sequential threshold (weekly look)",
        )
    )
    fig.update_layout(
        title=title, yaxis_type="log", yaxis_title="p-value (log scale)", legend=dict(orientation="h", y=-0.15)
    )
    return fig


def segment_forest(
    segments: pd.DataFrame,
    *,
    overall: float,
    title: str = "Figure 2 · Treatment effect on user conversion by segment (95% CI)",
) -> go.Figure:
    """Each segment level's effect with its interval, and the overall effect as a dashed line.

    Parameters
    ----------
    segments : DataFrame
        ``segment, level, effect, ci_low, ci_high``.
    overall : float
        The overall effect.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure(
        go.Scatter(
            x=segments["effect"],
            y=segments["segment"] + ": " + segments["level"].astype(str),
            mode="markers",
            error_x=error_bars(segments["effect"], segments["ci_low"], segments["ci_high"]),
        )
    )
    fig.add_vline(x=overall, line_dash="dash", line_color=_GREY, annotation_text="overall")
    fig.update_layout(title=title, xaxis_tickformat="+.0%", yaxis=dict(autorange="reversed"))
    return fig


def estimates_forest(
    tables: Mapping[str, pd.DataFrame],
    *,
    truth: Mapping[str, float] | None = None,
    truth_test: str = "discount",
    truth_method: str = "AIPW (doubly robust)",
    title: str = "Figure 3 · Effect on the purchase probability: naive vs adjusted estimates (95% CI)",
) -> go.Figure:
    """Every test's estimates with intervals, one color per test, and optional true effects as crosses.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Per test: ``method, estimand, estimate, ci_low, ci_high``.
    truth : mapping of estimand to float, optional
        True effects (e.g. ``{"ATE": 0.04, "ATT": 0.03}``), drawn on the rows of ``truth_test``'s
        ``truth_method``.
    truth_test, truth_method : str
        Where the true effects are drawn.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    for i, (name, table) in enumerate(tables.items()):
        fig.add_trace(
            go.Scatter(
                x=table["estimate"],
                y=[f"{name}: {m} ({e})" for m, e in zip(table["method"], table["estimand"], strict=True)],
                mode="markers",
                name=name,
                marker=dict(size=9, color=PALETTE[i % len(PALETTE)]),
                error_x=error_bars(table["estimate"], table["ci_low"], table["ci_high"]),
            )
        )
    if truth is not None:
        fig.add_trace(
            go.Scatter(
                x=list(truth.values()),
                y=[f"{truth_test}: {truth_method} ({e})" for e in truth],
                mode="markers",
                name=f"truth on the kept units ({', '.join(truth)})",
                marker=dict(symbol="x", size=13, color=_INK),
            )
        )
    fig.add_vline(x=0, line_color=_GREY)
    fig.update_layout(
        title=title,
        xaxis_tickformat="+.1%",
        yaxis=dict(autorange="reversed"),
        legend=dict(orientation="h", y=-0.12),
    )
    return fig


def balance_plot(
    balance: pd.DataFrame,
    *,
    threshold: float = 0.1,
    title: str = "Figure 4 · Discount test: covariate balance (|standardized mean difference|)",
) -> go.Figure:
    """|SMD| of each covariate before and after matching, with the threshold as a dashed line.

    Parameters
    ----------
    balance : DataFrame
        Indexed by covariate, with ``smd_before`` and ``smd_after``.
    threshold : float
        The balance threshold.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=balance["smd_before"].abs(), y=balance.index, mode="markers", name="before matching"))
    fig.add_trace(
        go.Scatter(
            x=balance["smd_after"].abs(),
            y=balance.index,
            mode="markers",
            name="after matching",
            marker=dict(symbol="diamond", size=9),
        )
    )
    fig.add_vline(x=threshold, line_dash="dash", line_color=_LINE, annotation_text=f"{threshold:g}")
    fig.update_layout(
        title=title, xaxis_title="|SMD|", yaxis=dict(autorange="reversed"), legend=dict(orientation="h", y=-0.15)
    )
    return fig


def calibration_bars(table: pd.DataFrame, *, n_sims: int, title: str | None = None) -> go.Figure:
    """Each check's rate with its interval (green when as expected, red otherwise) and its nominal value.

    Parameters
    ----------
    table : DataFrame
        ``check, estimate, ci_low, ci_high, nominal`` (NaN or None: no nominal value), ``within_target``.
    n_sims : int
        Simulated tests per check (named in the default title).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure
    """
    if title is None:
        title = f"Figure 5 · Calibration over {n_sims:,} simulated tests per check (green: as expected)"
    fig = go.Figure(
        go.Bar(
            x=table["check"],
            y=table["estimate"],
            marker_color=np.where(table["within_target"], PALETTE[2], PALETTE[3]),
            error_y=error_bars(table["estimate"], table["ci_low"], table["ci_high"]),
        )
    )
    nominal = table.dropna(subset=["nominal"])
    fig.add_trace(
        go.Scatter(
            x=nominal["check"],
            y=nominal["nominal"],
            mode="markers",
            name="nominal",
            marker=dict(symbol="line-ew-open", size=22, line_width=2, color=_INK),
        )
    )
    fig.update_layout(title=title, yaxis_tickformat=".0%", yaxis_title="rate (99% Wilson CI)", showlegend=False)
    return fig
