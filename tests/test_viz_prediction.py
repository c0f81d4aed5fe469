"""Figures of notebook 03: each draws the traces of the frames it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from ecommerce_analytics.viz import PALETTE
from ecommerce_analytics.viz import prediction as vp


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "model": ["logistic_regression", "xgboost"],
            "cv_auc": [0.74, 0.76],
            "cv_ci_low": [0.72, 0.75],
            "cv_ci_high": [0.76, 0.78],
            "test_auc": [0.743, 0.765],
            "test_ci_low": [0.726, 0.748],
            "test_ci_high": [0.761, 0.783],
        }
    )


def test_comparison_figure_draws_cv_and_held_out_auc_with_ceilings():
    fig = vp.comparison_figure(_table(), {"observable": 0.775, "all_knowing": 0.845}, title="Figure 1 · t")
    assert fig.layout.title.text == "Figure 1 · t" and fig.layout.yaxis.title.text == "ROC-AUC"
    assert [type(t) for t in fig.data] == [go.Scatter, go.Scatter]
    cv, test = fig.data
    assert cv.name == "5-fold CV (95% CI)" and test.name == "held-out (DeLong 95% CI)"
    # dodged: CV left of each model's tick, held-out right of it, so neither marker hides the other
    np.testing.assert_allclose(cv.x, [-vp.DODGE, 1 - vp.DODGE])
    np.testing.assert_allclose(test.x, [vp.DODGE, 1 + vp.DODGE])
    assert vp.DODGE > 0 and cv.marker.symbol != test.marker.symbol
    assert list(fig.layout.xaxis.tickvals) == [0, 1]
    assert list(fig.layout.xaxis.ticktext) == ["logistic_regression", "xgboost"]
    assert list(cv.customdata) == ["logistic_regression", "xgboost"] and list(cv.y) == [0.74, 0.76]
    assert list(test.y) == [0.743, 0.765]
    np.testing.assert_allclose(cv.error_y.array, [0.02, 0.02])
    np.testing.assert_allclose(cv.error_y.arrayminus, [0.02, 0.01])
    np.testing.assert_allclose(test.error_y.array, [0.018, 0.018])
    np.testing.assert_allclose(test.error_y.arrayminus, [0.017, 0.017])
    lines = sorted(s.y0 for s in fig.layout.shapes)
    assert lines == [0.5, 0.775, 0.845]
    texts = {a.text for a in fig.layout.annotations}
    assert texts == {"observable ceiling 0.775", "all-knowing 0.845", "chance"}


def test_comparison_figure_without_ceilings_draws_only_chance():
    fig = vp.comparison_figure(_table(), {}, title="t")
    assert len(fig.data) == 2 and [s.y0 for s in fig.layout.shapes] == [0.5]


def test_reliability_figure_draws_the_diagonal_and_the_curve_with_error_bars():
    curve = pd.DataFrame(
        {"predicted": [0.1, 0.4], "observed": [0.12, 0.35], "ci_low": [0.1, 0.3], "ci_high": [0.15, 0.4]}
    )
    fig = vp.reliability_figure(curve, "xgboost", title="Figure 2 · t")
    perfect, model = fig.data
    assert perfect.name == "perfect" and list(perfect.x) == [0, 0.4] and list(perfect.y) == [0, 0.4]
    assert model.name == "xgboost" and model.mode == "markers+lines"
    assert list(model.x) == [0.1, 0.4] and list(model.y) == [0.12, 0.35]
    np.testing.assert_allclose(model.error_y.array, [0.03, 0.05])
    np.testing.assert_allclose(model.error_y.arrayminus, [0.02, 0.05])
    assert fig.layout.title.text == "Figure 2 · t" and fig.layout.xaxis.tickformat == ".0%"


def test_shap_figure_draws_the_top_bars_largest_on_top():
    shap = pd.DataFrame({"feature": list("abcd"), "mean_abs_shap": [0.4, 0.3, 0.2, 0.1]})
    fig = vp.shap_figure(shap, title="Figure 3 · t", top=3)
    (bar,) = fig.data
    assert isinstance(bar, go.Bar) and bar.orientation == "h" and bar.marker.color == PALETTE[0]
    assert list(bar.y) == ["c", "b", "a"] and list(bar.x) == [0.2, 0.3, 0.4]
    assert fig.layout.xaxis.title.text == "mean absolute contribution to the log-odds"
    with pytest.raises(ValueError, match="top must be at least 1"):
        vp.shap_figure(shap, title="t", top=0)


def test_value_figure_draws_the_held_out_band_both_curves_and_the_chosen_threshold():
    curves = pd.DataFrame(
        {
            "threshold": [0.0, 0.5, 1.0],
            "validation": [0.0, 150.0, -20.0],
            "held_out": [0.0, 200.0, -50.0],
            "held_out_low": [0.0, 50.0, -150.0],
            "held_out_high": [0.0, 350.0, 60.0],
        }
    )
    fig = vp.value_figure(curves, 0.5, title="Figure 5 · t")
    upper, lower, held_out, validation = fig.data
    assert list(upper.y) == [0, 350, 60] and upper.showlegend is False
    assert list(lower.y) == [0, 50, -150] and lower.fill == "tonexty" and lower.name == "held-out 95% interval"
    assert list(held_out.x) == [0.0, 0.5, 1.0] and list(held_out.y) == [0, 200, -50]
    assert held_out.name == "held-out carts"
    assert list(validation.y) == [0, 150, -20] and validation.line.dash == "dash"
    assert validation.name == "validation folds (choose)"
    vline, zero = fig.layout.shapes
    assert vline.x0 == 0.5 and vline.line.dash == "dash" and zero.y0 == 0
    assert [a.text for a in fig.layout.annotations] == ["chosen 0.50"]
    assert fig.layout.title.text == "Figure 5 · t" and fig.layout.yaxis.title.text == "value per 1,000 carts"


def test_gain_figure_draws_the_model_against_random():
    gains = pd.DataFrame({"share_targeted": [0.5, 1.0], "share_of_purchases": [0.8, 1.0]})
    fig = vp.gain_figure(gains, "random_forest", title="Figure 6 · t")
    model, random = fig.data
    assert model.name == "random_forest" and list(model.x) == [0.5, 1.0] and list(model.y) == [0.8, 1.0]
    assert random.name == "random" and list(random.x) == [0, 1] and list(random.y) == [0, 1]
    assert fig.layout.title.text == "Figure 6 · t" and fig.layout.yaxis.title.text == "share of abandoned carts found"
