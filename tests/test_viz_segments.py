"""Figures of the segmentation report draw the traces they are given, and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import segmentation as seg
from ecommerce_analytics.viz import PALETTE
from ecommerce_analytics.viz import segments as segviz


def test_k_choice_figure_draws_both_curves_and_marks_the_chosen_k():
    table = pd.DataFrame({"k": [2, 3, 4], "inertia": [30.0, 20.0, 15.0], "silhouette": [0.5, 0.4, 0.3]})
    fig = segviz.k_choice_figure(seg.KChoice(table, k_elbow=3, k_silhouette=2, k=3, rule="rule"))
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert list(fig.data[0].x) == [2, 3, 4] and list(fig.data[0].y) == [30.0, 20.0, 15.0]
    assert list(fig.data[1].y) == [0.5, 0.4, 0.3] and fig.data[1].xaxis == "x2"
    assert [s.x0 for s in fig.layout.shapes] == [3, 3]
    assert fig.layout.title.text == "Figure 1 · Choosing k: elbow at 3, best silhouette at 2"
    with pytest.raises(ValueError, match="'inertia'"):
        segviz.k_choice_figure(seg.KChoice(table.drop(columns="inertia"), 3, 2, 3, "rule"))


def test_heatmaps_round_and_scale():
    centroids = pd.DataFrame({"age": [1.234, -1.234]}, index=["Old", "Young"])
    fig = segviz.centroid_heatmap(centroids)
    assert len(fig.data) == 1 and fig.data[0].type == "heatmap"
    assert fig.data[0].z.tolist() == [[1.23], [-1.23]] and (fig.data[0].zmin, fig.data[0].zmax) == (-2, 2)
    assert list(fig.data[0].y) == ["Old", "Young"]
    persona = segviz.persona_heatmap(pd.DataFrame({"A": [0.666, 0.1]}, index=["x", "y"]))
    assert persona.data[0].z.tolist() == [[0.67], [0.1]] and persona.data[0].zmax == 1
    assert persona.layout.title.text.startswith("Figure 4 · ")
    retention = segviz.retention_heatmap(pd.DataFrame({0: [1.0], 1: [0.12345]}, index=["2025-01-06"]))
    assert retention.data[0].z.tolist() == [[1.0, 0.123]] and list(retention.data[0].x) == [0, 1]
    grid = segviz.age_week_heatmap(pd.DataFrame({"2025-01-06": [0.33333, np.nan]}, index=["18-24", "65+"]))
    assert grid.data[0].z[0].tolist() == [0.333] and grid.layout.title.text.startswith("Figure 8 · Conversion by age")
    assert grid.data[0].text.tolist() == [["0.33"], [""]]  # an empty cell is blank, never "NaN"
    assert (grid.layout.xaxis.title.text, grid.layout.yaxis.title.text) == ("purchase week", "age group")


def test_retention_heatmap_leaves_unobservable_cells_blank_and_titles_its_axes():
    matrix = pd.DataFrame({0: [1.0, 1.0], 1: [0.2954, np.nan], 2: [np.nan, np.nan]}, index=["2025-01-06", "2025-01-13"])
    fig = segviz.retention_heatmap(matrix)
    (trace,) = fig.data
    assert trace.type == "heatmap" and list(trace.y) == ["2025-01-06", "2025-01-13"] and list(trace.x) == [0, 1, 2]
    assert trace.text.tolist() == [["100%", "30%", ""], ["100%", "", ""]]
    assert np.isnan(trace.z[1][1]) and trace.z[0][1] == 0.295
    assert fig.layout.xaxis.title.text == "weeks since the first visit"
    assert fig.layout.yaxis.title.text == "cohort (week of the first visit)"
    assert fig.layout.annotations[0].text == segviz.RETENTION_NOTE and "not observed yet" in segviz.RETENTION_NOTE
    with pytest.raises(ValueError, match="non-empty"):
        segviz.retention_heatmap(pd.DataFrame())


def test_segment_conversion_chart_shows_each_segment_with_its_interval():
    profiles = pd.DataFrame(
        {
            "name": ["Keen", "Cold"],
            "sessions": [10, 20],
            "conversion": [0.4, 0.1],
            "ci_low": [0.3, 0.05],
            "ci_high": [0.5, 0.2],
        }
    )
    fig = segviz.segment_conversion_chart(profiles, 0.2)
    (bar,) = fig.data
    assert bar.type == "bar" and list(bar.x) == ["Keen", "Cold"] and list(bar.y) == [0.4, 0.1]
    assert list(bar.error_y.array) == pytest.approx([0.1, 0.1]) and list(bar.error_y.arrayminus) == pytest.approx(
        [0.1, 0.05]
    )
    assert fig.layout.shapes[0].y0 == 0.2 and fig.layout.xaxis.title.text == "segment"
    with pytest.raises(ValueError, match="'sessions'"):
        segviz.segment_conversion_chart(profiles.drop(columns="sessions"), 0.2)


def test_rfm_group_bars_count_customers_per_group():
    groups = pd.DataFrame({"customers": [5, 2], "avg_revenue": [0.0, 12.5]}, index=["Promising", "Champions"])
    fig = segviz.rfm_group_bars(groups)
    (bar,) = fig.data
    assert list(bar.x) == ["Promising", "Champions"] and list(bar.y) == [5, 2]
    assert list(bar.customdata) == [0.0, 12.5] and bar.marker.color == PALETTE[0]


def test_demographic_bars_one_panel_per_variable_income_in_order():
    screen = pd.DataFrame(
        {
            "variable": [
                "age_group",
                "age_group",
                "gender",
                "income_level",
                "income_level",
                "income_level",
                "top_location",
            ],
            "level": ["18-24", "65+", "F", "High", "Low", "Medium", "X"],
            "rate": [0.1, 0.4, 0.2, 0.3, 0.1, 0.2, 0.2],
            "ci_low": [0.05, 0.3, 0.15, 0.25, 0.05, 0.15, 0.1],
            "ci_high": [0.15, 0.5, 0.25, 0.35, 0.15, 0.25, 0.3],
            "significant": [True, True, False, True, True, False, False],
        }
    )
    fig = segviz.demographic_bars(screen)
    assert [t.type for t in fig.data] == ["bar"] * 3  # top_location is not drawn
    age, gender, income = fig.data
    assert list(age.x) == ["18-24", "65+"] and list(gender.x) == ["F"]
    assert list(income.x) == ["Low", "Medium", "High"] and list(income.y) == [0.1, 0.2, 0.3]
    assert list(income.marker.color) == [PALETTE[1], PALETTE[0], PALETTE[1]]
    assert list(age.error_y.arrayminus) == pytest.approx([0.05, 0.1])


def test_discount_difference_figure_with_and_without_the_truth():
    table = pd.DataFrame(
        {
            "group": ["A", "B", "C"],
            "difference": [0.02, -0.05, np.nan],
            "ci_low": [0.0, -0.08, np.nan],
            "ci_high": [0.05, -0.01, np.nan],
            "true_offer_effect": [0.05, 0.03, 0.01],
        }
    )
    fig = segviz.discount_difference_figure(table, "any discount vs none")
    observed, truth = fig.data
    assert list(observed.y) == ["A", "B"] and list(observed.x) == [0.02, -0.05]  # C has no contrast
    assert list(observed.error_x.array) == pytest.approx([0.03, 0.04])
    assert list(observed.error_x.arrayminus) == pytest.approx([0.02, 0.03])
    assert truth.name == "true effect of an offer" and list(truth.x) == [0.05, 0.03]
    assert fig.layout.title.text == "Figure 7 · Conversion difference by segment: any discount vs none"
    assert fig.layout.shapes[0].x0 == 0
    plain = segviz.discount_difference_figure(table.drop(columns="true_offer_effect"), "x", title="T")
    assert len(plain.data) == 1 and plain.layout.title.text == "T"


def test_rate_charts_of_cohorts_and_weeks():
    by_age = pd.DataFrame(
        {"weeks_since_first": [0, 1], "n": [10, 5], "rate": [0.2, 0.4], "ci_low": [0.1, 0.2], "ci_high": [0.3, 0.6]}
    )
    fig = segviz.cohort_age_chart(by_age, 0.25)
    assert list(fig.data[0].x) == ["0", "1"] and list(fig.data[0].y) == [0.2, 0.4]
    assert fig.layout.xaxis.title.text == "weeks since first session" and fig.layout.shapes[0].y0 == 0.25
    by_week = by_age.rename(columns={"weeks_since_first": "level"}).assign(level=["2025-01-06", "2025-01-13"])
    weekly = segviz.weekly_conversion_chart(by_week, 0.25)
    assert list(weekly.data[0].x) == ["2025-01-06", "2025-01-13"] and weekly.layout.xaxis.title.text == "week"
    assert list(weekly.data[0].error_y.array) == pytest.approx([0.1, 0.2])
