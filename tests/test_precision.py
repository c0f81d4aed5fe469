"""Committed numbers at a stated precision: rounding, figure data, and the comparison the
committed-notebook test uses."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecommerce_analytics import precision, reporting, viz
from ecommerce_analytics.config import SIGNIFICANT_DIGITS
from ecommerce_analytics.run import Run

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300)


@given(finite)
def test_rounding_keeps_8_significant_digits_and_is_idempotent(x):
    r = precision.round_float(x)
    assert precision.round_float(r) == r
    assert float(f"{r:.{SIGNIFICANT_DIGITS}g}") == r  # written with 8 significant digits, it reads back exactly
    if x != 0:
        assert abs(r - x) <= 0.5 * 10 ** (math.floor(math.log10(abs(x))) - SIGNIFICANT_DIGITS + 1) * (1 + 1e-9)


@given(finite)
def test_last_bit_noise_disappears(x):
    """The machine-dependence this module removes: a one-ulp change of a sum."""
    nudged = np.nextafter(x, np.inf)
    a, b = precision.round_float(x), precision.round_float(float(nudged))
    assert a == b or precision.numbers_close(a, b)


def test_special_values_and_validation():
    assert precision.round_float(0.0) == 0.0 and math.isnan(precision.round_float(float("nan")))
    assert precision.round_float(float("inf")) == float("inf")
    with pytest.raises(ValueError, match="digits"):
        precision.round_float(1.0, digits=0)
    assert precision.round_floats({"a": (1.23456789012, True, 3, "x")}) == {"a": [1.2345679, True, 3, "x"]}


def test_figure_arrays_are_decoded_rounded_and_integers_kept():
    fig = go.Figure(
        go.Scatter(
            x=np.arange(4),
            y=np.array([1 / 3, 2 / 3, 0.1 + 0.2, 1e-9 / 3]),
            customdata=np.column_stack([[1.0, 2.0, 3.0, 4.0], [1 / 7] * 4]),
        )
    )
    raw = json.loads(pio.to_json(fig, validate=False, engine="json"))
    assert "bdata" in json.dumps(raw["data"][0]["y"])  # plotly stores float arrays as base64
    trace = viz.figure_json(fig)["data"][0]
    assert trace["y"] == [0.33333333, 0.66666667, 0.3, 3.3333333e-10]
    assert trace["customdata"] == [[1.0, 0.14285714], [2.0, 0.14285714], [3.0, 0.14285714], [4.0, 0.14285714]]
    assert trace["x"] == raw["data"][0]["x"]  # integer arrays are exact: left as they are


def test_results_are_written_at_the_stated_precision(tmp_path):
    run = Run("simulated", 100, 1, reports_root=tmp_path)
    path = reporting.save_results("01_x", {"brier": 0.1496310215385516, "nan": float("nan"), "n": 3}, run)
    text = path.read_text()
    assert '"brier": 0.14963102' in text and '"nan": null' in text and text.endswith("}\n")
    # Two machines whose sums differ in the last bits write the same bytes.
    again = reporting.save_results("01_x", {"brier": 0.1496310215385518, "nan": float("nan"), "n": 3}, run)
    assert again.read_text() == text


def test_first_difference_names_the_place():
    a = {"data": [{"y": [0.1, 0.2]}], "title": "t"}
    assert precision.first_difference(a, a) is None
    assert precision.first_difference(a, {"data": [{"y": [0.1, 0.3]}], "title": "t"}) == "data[0].y[1]: 0.2 != 0.3"
    assert precision.first_difference(a, {"data": [{"y": [0.1, 0.2]}], "title": "u"}).startswith("title:")
    assert precision.first_difference(a, {"data": [{"y": [0.1, 0.2 + 1e-12]}], "title": "t"}) is None
    assert "length" in precision.first_difference([1, 2], [1, 2, 3])


def test_missing_values_in_figures_become_null():
    fig = go.Figure(go.Heatmap(z=np.array([[0.5, np.nan], [np.inf, 0.25]])))
    z = viz.figure_json(fig)["data"][0]["z"]
    assert z == [[0.5, None], [None, 0.25]]
    json.dumps(viz.figure_json(fig), allow_nan=False)  # valid JSON
