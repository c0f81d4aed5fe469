"""Figures of notebook 04: monitoring, segment and estimate forests, balance, engagement paradox, calibration.

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
    "engagement_paradox_figure",
    "calibration_bars",
]

_LINE = "#B23A48"
_GREY = "#777"
_LIGHT = "#BBBBBB"
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


def _axis_range(lows, highs, extra=(0.0,), pad: float = 0.08) -> list[float] | None:
    values = np.concatenate([np.asarray(lows, float), np.asarray(highs, float), np.asarray(extra, float)])
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    lo, hi = float(values.min()), float(values.max())
    span = (hi - lo) or 0.01
    return [lo - pad * span, hi + pad * span]


def estimates_forest(
    tables: Mapping[str, pd.DataFrame],
    *,
    truth: Mapping[str, float] | None = None,
    truth_test: str = "discount",
    truth_method: str = "AIPW (doubly robust)",
    title: str = "Figure 3 · Effect on the purchase probability: naive vs adjusted estimates (95% CI)",
) -> go.Figure:
    """Every test's estimates with intervals, one color per test; excluded estimates greyed with their reason.

    A row whose ``status`` is not ``"ok"`` (failed overlap or balance, see
    :func:`ecommerce_analytics.observational.estimate_status`) is drawn in one grey trace, labelled
    with its status at the right edge, and left out of the x-axis range, so an excluded estimate
    with a huge interval cannot stretch the axis (its bars are cut at the edge).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Per test: ``method, estimand, estimate, ci_low, ci_high`` and optionally ``status``.
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
    order, excluded, used = [], [], []
    for i, (name, table) in enumerate(tables.items()):
        labels = [f"{name}: {m} ({e})" for m, e in zip(table["method"], table["estimand"], strict=True)]
        order += labels
        status = table["status"] if "status" in table.columns else pd.Series("ok", index=table.index)
        ok = (status == "ok").to_numpy()
        rows = table[ok]
        used.append(rows)
        excluded += [
            (lab, r, s) for lab, (_, r), s, k in zip(labels, table.iterrows(), status, ok, strict=True) if not k
        ]
        fig.add_trace(
            go.Scatter(
                x=rows["estimate"],
                y=[lab for lab, k in zip(labels, ok, strict=True) if k],
                mode="markers",
                name=name,
                marker=dict(size=9, color=PALETTE[i % len(PALETTE)]),
                error_x=error_bars(rows["estimate"], rows["ci_low"], rows["ci_high"]),
            )
        )
    if excluded:
        frame = pd.DataFrame([r for _, r, _ in excluded])
        fig.add_trace(
            go.Scatter(
                x=frame["estimate"],
                y=[lab for lab, _, _ in excluded],
                mode="markers",
                name="excluded: failed overlap or balance (not used)",
                marker=dict(size=9, color=_LIGHT),
                error_x=error_bars(frame["estimate"], frame["ci_low"], frame["ci_high"], color=_LIGHT),
                text=[s for _, _, s in excluded],
                hovertemplate="%{y}: %{x:+.1%} (%{text})<extra></extra>",
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
    kept = pd.concat(used) if used else pd.DataFrame({"ci_low": [], "ci_high": []})
    xrange = _axis_range(kept["ci_low"], kept["ci_high"], [0.0, *(truth or {}).values()])
    for label, _, status in excluded:
        fig.add_annotation(
            x=1.0, xref="paper", xanchor="right", y=label, yref="y", text=status, showarrow=False,
            font=dict(size=10, color=_GREY), bgcolor="rgba(255,255,255,0.85)",
        )  # fmt: skip
    fig.add_vline(x=0, line_color=_GREY)
    fig.update_layout(
        title=title,
        xaxis=dict(tickformat="+.1%", range=xrange),
        yaxis=dict(autorange="reversed", categoryorder="array", categoryarray=order, tickmode="array", tickvals=order),
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


def engagement_paradox_figure(
    table: pd.DataFrame,
    *,
    pooled: str = "all sessions (pooled)",
    title: str = "Figure 5 · Conversion by session duration: within each persona vs all sessions pooled",
) -> go.Figure:
    """Conversion by engagement band: one thin line per persona, the pooled sessions as a thick black line.

    Parameters
    ----------
    table : DataFrame
        :class:`ecommerce_analytics.observational.EngagementParadox`'s table: ``group, band,
        band_index, sessions, conversion``.
    pooled : str
        The ``group`` of the pooled rows.
    title : str

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    bands = table.drop_duplicates("band_index").sort_values("band_index")["band"].tolist()
    groups = [g for g in table["group"].unique() if g != pooled] + [pooled]
    for i, group in enumerate(groups):
        rows = table[table["group"] == group].sort_values("band_index")
        is_pooled = group == pooled
        fig.add_trace(
            go.Scatter(
                x=rows["band"],
                y=rows["conversion"],
                mode="lines+markers",
                name=group.replace("_", " "),
                line=dict(width=5 if is_pooled else 2, color=_INK if is_pooled else PALETTE[i % len(PALETTE)]),
                customdata=rows["sessions"],
                hovertemplate="%{x}: %{y:.1%} of %{customdata:,} sessions<extra>" + group + "</extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis=dict(title="session duration band (seconds, quintiles of all sessions)", categoryorder="array",
                   categoryarray=bands),
        yaxis=dict(title="conversion", tickformat=".0%"),
        legend=dict(orientation="h", y=-0.2),
    )  # fmt: skip
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
        title = f"Figure 6 · Calibration over {n_sims:,} simulated tests per check (green: as expected)"
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
