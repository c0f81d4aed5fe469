"""Figures of notebook 04: the traces each function draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics.viz import PALETTE
from ecommerce_analytics.viz import experiments as exviz


def test_error_bars_are_asymmetric_distances_to_the_interval():
    e = exviz.error_bars(np.array([1.0, 2.0]), np.array([0.5, 1.0]), np.array([2.0, 2.5]), color="#444")
    assert e["type"] == "data" and e["symmetric"] is False and e["color"] == "#444"
    assert e["array"].tolist() == [1.0, 0.5] and e["arrayminus"].tolist() == [0.5, 1.0]


def test_monitoring_figure():
    looks = pd.DataFrame({"day": ["d1", "d2", "d3"]})
    seq = pd.DataFrame({"z_p_value": [0.5, 0.04, 0.01], "always_valid_p": [0.9, 0.6, 0.3]})
    thresholds = pd.Series([0.003, 0.045], index=["d2", "d3"])
    fig = exviz.monitoring_figure(looks, seq, thresholds, alpha=0.05)
    assert [t.type for t in fig.data] == ["scatter"] * 3
    assert [t.name for t in fig.data] == [
        "naive z-test p-value",
        "always-valid p-value (mSPRT)",
        "group-sequential threshold (weekly look)",
    ]
    assert list(fig.data[0].y) == [0.5, 0.04, 0.01] and list(fig.data[1].x) == ["d1", "d2", "d3"]
    assert list(fig.data[2].x) == ["d2", "d3"] and list(fig.data[2].y) == [0.003, 0.045]
    assert fig.layout.shapes[0].y0 == 0.05 and fig.layout.annotations[0].text == "α = 0.05"
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.title.text.startswith("Figure 1 · Daily monitoring")


def test_segment_forest():
    segs = pd.DataFrame(
        {"segment": ["gender", "gender"], "level": ["F", "M"], "effect": [0.02, 0.03], "ci_low": [0.0, 0.01],
         "ci_high": [0.05, 0.04]}
    )  # fmt: skip
    fig = exviz.segment_forest(segs, overall=0.025)
    assert len(fig.data) == 1 and fig.data[0].type == "scatter"
    assert list(fig.data[0].y) == ["gender: F", "gender: M"] and list(fig.data[0].x) == [0.02, 0.03]
    assert list(fig.data[0].error_x.array) == pytest.approx([0.03, 0.01])
    assert list(fig.data[0].error_x.arrayminus) == pytest.approx([0.02, 0.02])
    assert fig.layout.shapes[0].x0 == 0.025 and fig.layout.title.text.startswith("Figure 2")


def _table(offset):
    return pd.DataFrame(
        {"method": ["naive difference", "AIPW (doubly robust)"], "estimand": ["ATE", "ATE"],
         "estimate": [offset, offset + 0.01], "ci_low": [offset - 0.01, offset], "ci_high": [offset + 0.01, offset + 0.03]}
    )  # fmt: skip


def test_estimates_forest_one_trace_per_test_and_truth_markers():
    fig = exviz.estimates_forest({"discount": _table(0.0), "price": _table(-0.1)}, truth={"ATE": 0.04, "ATT": 0.03})
    assert [t.name for t in fig.data] == ["discount", "price", "truth on the kept units (ATE, ATT)"]
    assert list(fig.data[0].y) == ["discount: naive difference (ATE)", "discount: AIPW (doubly robust) (ATE)"]
    assert fig.data[1].marker.color == PALETTE[1]
    assert list(fig.data[1].error_x.array) == pytest.approx([0.01, 0.02])
    assert list(fig.data[2].x) == [0.04, 0.03]
    assert list(fig.data[2].y) == ["discount: AIPW (doubly robust) (ATE)", "discount: AIPW (doubly robust) (ATT)"]
    assert fig.data[2].marker.symbol == "x"
    assert len(exviz.estimates_forest({"discount": _table(0.0)}).data) == 1


def test_estimates_forest_greys_excluded_rows_and_keeps_them_out_of_the_axis_range():
    price = pd.DataFrame(
        {"method": ["naive difference", "propensity-score matching"], "estimand": ["ATE", "ATT"],
         "estimate": [-0.1, 0.107], "ci_low": [-0.12, -0.508], "ci_high": [-0.08, 0.112],
         "status": ["ok", "excluded: imbalanced after matching"]}
    )  # fmt: skip
    fig = exviz.estimates_forest({"discount": _table(0.0), "price": price}, truth={"ATE": 0.04})
    assert [t.name for t in fig.data] == [
        "discount", "price", "excluded: failed overlap or balance (not used)", "truth on the kept units (ATE)"
    ]  # fmt: skip
    assert list(fig.data[1].y) == ["price: naive difference (ATE)"]  # the used row only
    grey = fig.data[2]
    assert list(grey.y) == ["price: propensity-score matching (ATT)"] and list(grey.x) == [0.107]
    assert list(grey.text) == ["excluded: imbalanced after matching"] and grey.marker.color == grey.error_x.color
    assert list(grey.error_x.arrayminus) == pytest.approx([0.615])
    # the range spans the used rows (-0.12 to 0.03) and the truth, padded by 8%, not the excluded -0.508
    lo, hi = fig.layout.xaxis.range
    assert lo == pytest.approx(-0.12 - 0.08 * 0.16) and hi == pytest.approx(0.04 + 0.08 * 0.16)
    notes = [a for a in fig.layout.annotations if a.text == "excluded: imbalanced after matching"]
    assert len(notes) == 1 and notes[0].y == "price: propensity-score matching (ATT)"
    # the y order keeps every row in its table order, excluded rows in place
    assert list(fig.layout.yaxis.categoryarray)[-2:] == [
        "price: naive difference (ATE)", "price: propensity-score matching (ATT)"
    ]  # fmt: skip


def test_engagement_paradox_figure_one_line_per_persona_and_a_thick_pooled_line():
    table = pd.DataFrame(
        {"group": ["all sessions (pooled)"] * 2 + ["quick"] * 2 + ["browser"], "band_index": [0, 1, 0, 1, 1],
         "band": ["Q1: 1 to 5", "Q2: 5 to 9", "Q1: 1 to 5", "Q2: 5 to 9", "Q2: 5 to 9"],
         "sessions": [10, 10, 8, 2, 8], "conversion": [0.4, 0.3, 0.5, 1.0, 0.125]}
    )  # fmt: skip
    fig = exviz.engagement_paradox_figure(table)
    assert [t.type for t in fig.data] == ["scatter"] * 3
    assert [t.name for t in fig.data] == ["quick", "browser", "all sessions (pooled)"]
    assert list(fig.data[0].x) == ["Q1: 1 to 5", "Q2: 5 to 9"] and list(fig.data[0].y) == [0.5, 1.0]
    assert list(fig.data[1].x) == ["Q2: 5 to 9"] and list(fig.data[2].y) == [0.4, 0.3]
    assert fig.data[2].line.width == 5 and fig.data[0].line.width == 2 and fig.data[2].line.color == "#111"
    assert list(fig.layout.xaxis.categoryarray) == ["Q1: 1 to 5", "Q2: 5 to 9"]
    assert fig.layout.yaxis.tickformat == ".0%" and fig.layout.title.text.startswith("Figure 5 · Conversion by")


def test_balance_plot_before_and_after():
    balance = pd.DataFrame({"smd_before": [-0.5, 0.2], "smd_after": [0.01, -0.03]}, index=["price", "age"])
    fig = exviz.balance_plot(balance)
    assert [t.name for t in fig.data] == ["before matching", "after matching"]
    assert list(fig.data[0].x) == [0.5, 0.2] and list(fig.data[1].x) == [0.01, 0.03]
    assert list(fig.data[0].y) == ["price", "age"]
    assert fig.layout.shapes[0].x0 == 0.1 and fig.layout.title.text.startswith("Figure 4")


def test_calibration_bars_colors_and_nominal_markers():
    table = pd.DataFrame(
        {"check": ["a", "b", "c"], "estimate": [0.05, 0.25, 0.95], "ci_low": [0.04, 0.24, 0.94],
         "ci_high": [0.06, 0.26, 0.96], "nominal": [0.05, np.nan, 0.95], "within_target": [True, True, False]}
    )  # fmt: skip
    fig = exviz.calibration_bars(table, n_sims=10_000)
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert list(fig.data[0].marker.color) == [PALETTE[2], PALETTE[2], PALETTE[3]]
    assert list(fig.data[0].error_y.array) == pytest.approx([0.01, 0.01, 0.01])
    assert list(fig.data[1].x) == ["a", "c"] and list(fig.data[1].y) == [0.05, 0.95]
    assert fig.layout.title.text == "Figure 6 · Calibration over 10,000 simulated tests per check (green: as expected)"
    assert exviz.calibration_bars(table, n_sims=1, title="T").layout.title.text == "T"
