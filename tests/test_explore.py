"""Notebook 01's analysis steps (explore) and figures (viz.explore) on small cases known by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from ecommerce_analytics import explore, metrics, paths
from ecommerce_analytics.data import LoadReport
from ecommerce_analytics.run import Run
from ecommerce_analytics.viz import explore as figures


def _sessions() -> pd.DataFrame:
    """Eight sessions: 4 carts (2 abandoned), 2 purchases, 2 single-page sessions."""
    return pd.DataFrame(
        {
            "user_id": [1, 1, 2, 3, 4, 5, 6, 6],
            "purchase_date": pd.to_datetime(
                [
                    "2025-01-04 10:00",  # Saturday
                    "2025-01-05 10:00",  # Sunday
                    "2025-01-06 10:00",  # Monday
                    "2025-01-07 11:00",
                    "2025-01-08 11:00",
                    "2025-01-09 11:00",
                    "2025-01-10 12:00",
                    "2025-01-13 11:00",
                ]
            ),
            "price": [100.0, 50.0, 20.0, 20.0, 10.0, 10.0, 10.0, 10.0],
            "discount_applied": [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "add_to_cart": [1, 1, 1, 1, 0, 0, 0, 0],
            "abandoned_cart": [0, 0, 1, 1, 0, 0, 0, 0],
            "purchase_decision": [1, 1, 0, 0, 0, 0, 0, 0],
            "pages_visited": [5, 3, 2, 2, 1, 1, 4, 2],
            "time_spent": [100, 120, 80, 100, 100, 100, 100, 100],
        }
    )


# ------------------------------------------------------------------------------ overview, quality
def test_overview_counts_sessions_users_and_dates():
    o = explore.overview(_sessions(), "demo run")
    assert (o.sessions, o.users) == (8, 6)
    assert o.sentence() == "Source: **demo run**: 8 sessions of 6 users, from 2025-01-04 to 2025-01-13."


@pytest.mark.parametrize(
    "frame, label, message",
    [
        (pd.DataFrame(), "x", "sessions must have at least one row"),
        (pd.DataFrame({"user_id": [1]}), "x", r"missing \['purchase_date'\]"),
        ([1, 2], "x", "sessions must be a pandas DataFrame"),
        (_sessions(), "", "label must be a non-empty string"),
    ],
)
def test_overview_rejects_bad_parameters(frame, label, message):
    with pytest.raises(ValueError, match=message):
        explore.overview(frame, label)


def test_data_quality_sentence_without_and_with_broken_rules():
    clean = explore.data_quality(LoadReport("f.csv", "csv", rows_in=2000, rows_kept=2000))
    assert clean.sentence() == "2,000 of 2,000 rows kept, 0 quarantined (0.0%), 0 exact duplicates; no rule was broken."
    dirty = LoadReport(
        "f.csv",
        "csv",
        rows_in=1000,
        rows_kept=950,
        rows_quarantined=50,
        duplicate_rows=10,
        quarantine_reasons={"price: out of domain": 40, "duplicate row": 10},
        extra_columns=["notes"],
    )
    q = explore.data_quality(dirty)
    assert q.sentence() == (
        "950 of 1,000 rows kept, 50 quarantined (5.0%), 10 exact duplicates; "
        "reasons: price: out of domain (40); duplicate row (10)."
    )
    assert q.reasons.to_dict("list") == {"reason": ["price: out of domain", "duplicate row"], "rows": [40, 10]}
    assert q.summary == dirty.summary()
    assert q.to_dict() == {
        "rows_in": 1000,
        "rows_kept": 950,
        "rows_quarantined": 50,
        "duplicate_rows": 10,
        "quarantine_reasons": {"price: out of domain": 40, "duplicate row": 10},
        "extra_columns": ["notes"],
        "renamed_columns": {},
    }


def test_data_quality_rejects_a_non_report_and_an_empty_load():
    with pytest.raises(ValueError, match="report must be a LoadReport"):
        explore.data_quality({"rows_in": 3})
    with pytest.raises(ValueError, match="report.rows_in must be at least 1"):
        explore.data_quality(LoadReport("f.csv", "csv"))


# ------------------------------------------------------------------------------ metrics, funnel, SQL
def test_product_metrics_known_values_and_sentence():
    p = explore.product_metrics(_sessions())
    assert p.conversion_rate == 0.25
    table = p.table
    assert list(table.columns) == ["estimate", "ci_low", "ci_high", "n", "method"]
    assert table.loc["cart_abandonment_rate", "estimate"] == 0.5 and table.loc["cart_abandonment_rate", "n"] == 4
    assert table.loc["avg_order_value", "estimate"] == pytest.approx(72.5)  # (100 + 50 * 0.9) / 2
    assert table.loc["bounce_rate", "estimate"] == 0.25
    conv = metrics.proportion(2, 8)
    sentence = p.sentence()
    assert sentence.startswith(
        f"Conversion is **25.0%** (95% CI {100 * conv.ci_low:.1f}% to {100 * conv.ci_high:.1f}%)"
    )
    assert "**50.0%** of carts are abandoned" in sentence and "an order is worth **72.50** on average" in sentence
    assert sentence.endswith("a session lasts 100 s over 2.5 pages, and 25.0% of sessions bounce.")
    assert p.to_dict()["conversion_rate"]["estimate"] == 0.25


def test_funnel_finds_the_largest_loss():
    f = explore.funnel(_sessions())
    assert f.table.sessions.tolist() == [8, 6, 4, 2]
    assert f.worst_step == 3  # 2 of 4 carts purchase (50%) against 6/8 and 4/6
    assert f.sentence() == (
        "The largest loss is from *Added to cart* to *Purchased*: only 50.0% continue. "
        "Overall 25.0% of sessions end in a purchase."
    )


def test_funnel_worst_step_can_be_an_early_stage():
    s = _sessions().assign(pages_visited=[1, 1, 1, 1, 1, 1, 4, 2])  # 2 of 8 browse on
    s = s.assign(add_to_cart=[1, 1, 0, 0, 0, 0, 0, 0], abandoned_cart=0)
    assert explore.funnel(s).sentence().startswith("The largest loss is from *Sessions* to *Browsed 2+ pages*")


def _sql_row(p: explore.ProductMetrics, **change) -> pd.DataFrame:
    e = {k: v.estimate for k, v in p.estimates.items()}
    row = {
        "conversion_rate": e["conversion_rate"],
        "cart_abandonment_rate": e["cart_abandonment_rate"],
        "avg_order_value": e["avg_order_value"],
        "avg_session_seconds": e["avg_session_seconds"],
        "avg_pages": e["pages_per_session"],
        "bounce_rate": e["bounce_rate"],
        "revenue": e["revenue_per_session"] * 8,
        "sessions": 8,
    }
    return pd.DataFrame([{**row, **change}])


def test_sql_agreement_counts_agreeing_metrics():
    p = explore.product_metrics(_sessions())
    same = explore.sql_agreement(p, _sql_row(p))
    assert same.to_dict()["all_agree"] is True
    assert same.sentence().startswith("The SQL query and the package give the same value for all 7 metrics")
    off = explore.sql_agreement(p, _sql_row(p, bounce_rate=0.5))
    assert off.to_dict() == {"all_agree": False, "max_abs_difference": 0.25}
    assert off.sentence() == (
        "The SQL query and the package agree on 6 of 7 metrics (largest absolute difference 2.5e-01)."
    )


def test_sql_agreement_rejects_bad_parameters():
    p = explore.product_metrics(_sessions())
    with pytest.raises(ValueError, match="product must be a ProductMetrics"):
        explore.sql_agreement({"conversion_rate": 0.2}, _sql_row(p))
    with pytest.raises(ValueError, match="overall must have at least one row"):
        explore.sql_agreement(p, _sql_row(p).iloc[:0])


# ------------------------------------------------------------------------------ segment screens
def _two_categories(rate_a: float, rate_b: float, n: int = 200) -> pd.DataFrame:
    purchases = (
        [1] * int(rate_a * n) + [0] * (n - int(rate_a * n)) + [1] * int(rate_b * n) + [0] * (n - int(rate_b * n))
    )
    return pd.DataFrame({"category": ["A"] * n + ["B"] * n, "purchase_decision": purchases})


def test_segment_screen_lists_the_levels_that_survive():
    s = explore.segment_screen(_two_categories(0.6, 0.2), categorical=["category"], numeric=[])
    assert s.overall == pytest.approx(0.4)
    assert s.significant.level.tolist() == ["A", "B"]
    out = s.to_dict()
    assert (out["levels_tested"], out["significant_after_holm"], out["significant_unadjusted"]) == (2, 2, 2)
    assert list(out["significant_levels"].columns) == [
        "variable",
        "level",
        "n",
        "rate",
        "ci_low",
        "ci_high",
        "rest_rate",
        "p_adjusted",
    ]
    sentence = s.sentence()
    assert sentence.startswith("**2 of 2** levels differ from the rest after Holm's correction (2 at an unadjusted")
    assert "category = A: 60.0% vs 20.0%" in sentence and "category = B: 20.0% vs 60.0%" in sentence
    assert sentence.count(";") == 1 and s.sentence(strongest=1).count(";") == 0


def test_segment_screen_without_significant_levels_names_the_largest_gap():
    s = explore.segment_screen(_two_categories(0.3, 0.3), categorical=["category"], numeric=[])
    assert s.significant.empty
    assert s.sentence() == (
        "**None** of the 2 levels differs from the rest after Holm's correction. 0 look different at an "
        "unadjusted 5% level, as expected by chance; the largest gap is category = A (+0.0 pp, adjusted p = 1.00)."
    )


def test_segment_screen_derives_age_group_and_rejects_bad_parameters():
    frame = pd.DataFrame({"age": [20, 22, 30, 31], "purchase_decision": [1, 0, 0, 0]})
    s = explore.segment_screen(frame, categorical=["age_group"], numeric=[])
    assert s.table.level.tolist() == ["18-24", "25-34"]
    with pytest.raises(ValueError, match="not a single string"):
        explore.segment_screen(frame, categorical="age_group")
    with pytest.raises(ValueError, match="at least one variable"):
        explore.segment_screen(frame, categorical=[], numeric=[])
    with pytest.raises(ValueError, match=r"missing \['gender'\]"):
        explore.segment_screen(frame, categorical=["gender"], numeric=[])
    with pytest.raises(ValueError, match="strongest must be a positive integer"):
        s.sentence(strongest=0)


def test_category_readout_best_worst_and_wording():
    s = explore.segment_screen(_two_categories(0.6, 0.2), categorical=["category"], numeric=[])
    c = explore.category_readout(s)
    assert c.table.index.tolist() == [0, 1]
    a, b = metrics.proportion(120, 200), metrics.proportion(40, 200)
    assert c.sentence() == (
        f"A converts best (60.0%, 95% CI {100 * a.ci_low:.1f}% to {100 * a.ci_high:.1f}%) and B worst "
        f"(20.0%, 95% CI {100 * b.ci_low:.1f}% to {100 * b.ci_high:.1f}%); 2 categories survive the correction."
    )
    one = explore.CategoryReadout(c.table.assign(significant=[True, False]))
    assert one.sentence().endswith("; 1 category survive the correction.")
    none = explore.CategoryReadout(c.table.assign(significant=False))
    assert none.sentence().endswith("; no category survives the correction.")
    with pytest.raises(ValueError, match="variable must be one of the screen's variables"):
        explore.category_readout(s, "gender")
    with pytest.raises(ValueError, match="screen must be a SegmentScreen"):
        explore.category_readout(s.table)


# ------------------------------------------------------------------------------ quintile contrasts
@pytest.mark.parametrize(
    "purchases, direction",
    [
        ([1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 10, "the top quintile converts lower"),
        ([0, 0, 0, 0, 0, 0, 0, 0, 1, 1] * 10, "the top quintile converts higher"),
        ([1, 0] * 50, "the interval includes zero, so no difference is shown"),  # 50% in every quintile
    ],
)
def test_quintile_contrast_direction(purchases, direction):
    frame = pd.DataFrame({"price": np.tile(np.arange(10), 10), "purchase_decision": purchases})
    c = explore.quintile_contrast(frame, "price", "price")
    assert len(c.table) == 5
    top, bottom = c.table.iloc[-1], c.table.iloc[0]
    assert c.difference.estimate == pytest.approx(top.rate - bottom.rate)
    assert c.sentence().endswith(f": {direction}.")
    assert c.sentence().startswith(f"Top vs bottom price quintile: {100 * top.rate:.1f}% vs {100 * bottom.rate:.1f}%")


def test_quintile_contrast_known_difference():
    frame = pd.DataFrame(
        {"price": np.tile(np.arange(10), 10), "purchase_decision": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0] * 10}
    )
    c = explore.quintile_contrast(frame, "price")
    assert c.label == "price"
    assert c.table.rate.tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]
    assert c.difference.estimate == -1.0 and c.difference.n == 40
    assert c.sentence().startswith("Top vs bottom price quintile: 0.0% vs 100.0%, a difference of -100.0 pp")


def test_quintile_contrasts_default_variables_and_validation():
    s = pd.DataFrame(
        {
            "price": np.arange(20.0),
            "time_spent": np.arange(20) * 10,
            "sentiment_score": np.linspace(-1, 1, 20),
            "purchase_decision": [0, 1] * 10,
        }
    )
    found = explore.quintile_contrasts(s)
    assert list(found) == ["price", "time_spent", "sentiment_score"]
    assert [c.label for c in found.values()] == ["price", "session duration", "review sentiment"]
    with pytest.raises(ValueError, match="column must name a numeric column"):
        explore.quintile_contrast(s.assign(price="x"), "price")
    with pytest.raises(ValueError, match=r"missing \['age'\]"):
        explore.quintile_contrast(s, "age")
    with pytest.raises(ValueError, match="variables must be a non-empty mapping"):
        explore.quintile_contrasts(s, {})


# ------------------------------------------------------------------------------ correlations
def test_correlations_sentence_names_strongest_and_weakest():
    s = _sessions()
    cols = ["price", "time_spent", "add_to_cart", "abandoned_cart", "purchase_decision"]
    c = explore.correlations(s, cols)
    expected = s[cols].corr(method="spearman")["purchase_decision"].drop("purchase_decision")
    assert c.to_dict() == expected.round(6).to_dict()
    others = expected[["price", "time_spent"]]
    assert abs(others["price"]) > abs(others["time_spent"])
    assert c.sentence() == (
        f"With the purchase: add_to_cart ρ = {expected['add_to_cart']:.2f}, abandoned_cart ρ = "
        f"{expected['abandoned_cart']:.2f} (both are part of the funnel, not causes). Among the other columns the "
        f"strongest is price (ρ = {others['price']:.2f}); the weakest in absolute value is time_spent "
        f"(ρ = {others['time_spent']:.3f})."
    )


def test_correlations_rejects_columns_without_the_funnel_flags():
    with pytest.raises(ValueError, match="columns must include"):
        explore.correlations(_sessions(), ["price", "purchase_decision"])
    with pytest.raises(ValueError, match="not a single string"):
        explore.correlations(_sessions(), "price")


def test_funnel_identity_counts_and_sentence():
    s = _sessions()
    assert explore.funnel_identity(s) == explore.FunnelIdentity(8, 8)
    broken = s.assign(purchase_decision=[1, 0, 0, 0, 0, 0, 0, 1])
    i = explore.funnel_identity(broken)
    assert (i.rows, i.n) == (6, 8)
    assert i.sentence().startswith("`purchase_decision == add_to_cart AND NOT abandoned_cart` holds on **6 of 8**")


# ------------------------------------------------------------------------------ time patterns
def test_hour_pattern_peak_range_and_screen():
    h = explore.hour_pattern(_sessions())
    assert h.table.level.tolist() == [10, 11, 12]
    assert h.traffic_peak == 11  # four sessions at 11:00
    assert h.sentence() == (
        "Traffic peaks at 11:00 (4 sessions); hourly conversion ranges from 0.0% to 66.7%; "
        f"{int(h.screen.significant.sum())} of 3 hours differ from the rest after Holm's correction."
    )


def test_weekday_pattern_order_and_weekend_difference():
    w = explore.weekday_pattern(_sessions())
    assert w.table.level.tolist() == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert w.table.n.tolist() == [2, 1, 1, 1, 1, 1, 1]
    d = w.weekend_minus_weekday
    assert d.estimate == 1.0  # both weekend sessions purchase, no weekday session does
    assert w.sentence() == (
        f"Weekend sessions convert +100.0 pp relative to weekdays (95% CI {100 * d.ci_low:+.1f} pp to "
        f"{100 * d.ci_high:+.1f} pp)."
    )
    with pytest.raises(ValueError, match="both weekend and weekday sessions"):
        explore.weekday_pattern(_sessions().iloc[2:])


def test_weekly_trend_uses_full_weeks():
    w = explore.weekly_trend(
        pd.DataFrame(
            {
                "week_start": ["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27"],
                "sessions": [30, 100, 140, 20],
                "conversion_rate": [0.9, 0.2, 0.3, 0.0],
                "conversion_4wk_avg": [0.9, 0.55, 0.47, 0.35],
            }
        )
    )
    assert w.full_weeks.sessions.tolist() == [100, 140]  # median 65: weeks under 32.5 are partial
    assert w.sentence() == (
        "4 weeks; weekly sessions go from 100 to 140 (first and last full weeks) while weekly conversion "
        "stays between 20.0% and 30.0%."
    )
    with pytest.raises(ValueError, match=r"missing \['conversion_4wk_avg'\]"):
        explore.weekly_trend(pd.DataFrame({"week_start": [1], "sessions": [1], "conversion_rate": [0.1]}))


# ------------------------------------------------------------------------------ results
def _steps(sessions: pd.DataFrame) -> dict:
    product = explore.product_metrics(sessions)
    e = {k: v.estimate for k, v in product.estimates.items()}
    overall = pd.DataFrame(
        [
            {
                "conversion_rate": e["conversion_rate"],
                "cart_abandonment_rate": e["cart_abandonment_rate"],
                "avg_order_value": e["avg_order_value"],
                "avg_session_seconds": e["avg_session_seconds"],
                "avg_pages": e["pages_per_session"],
                "bounce_rate": e["bounce_rate"],
                "revenue": e["revenue_per_session"] * len(sessions),
                "sessions": len(sessions),
            }
        ]
    )
    return dict(
        quality=explore.data_quality(LoadReport("f", "csv", rows_in=len(sessions), rows_kept=len(sessions))),
        product=product,
        funnel=explore.funnel(sessions),
        agreement=explore.sql_agreement(product, overall),
        screen=explore.segment_screen(sessions),
        contrasts=explore.quintile_contrasts(sessions),
        correlations=explore.correlations(sessions),
        weekdays=explore.weekday_pattern(sessions),
        identity=explore.funnel_identity(sessions),
    )


def test_explore_results_have_the_committed_keys_and_round_trip(small_sim, tmp_path):
    results = explore.ExploreResults.from_steps(**_steps(small_sim.sessions))
    assert (results.NOTEBOOK, results.VERSION) == ("01_exploratory_data_analysis", 1)
    committed_file = paths.REPORTS_DIR / "default" / "results" / "01_exploratory_data_analysis.json"
    committed = json.loads(Path(committed_file).read_text(encoding="utf-8"))["results"]
    plain = results.to_dict()
    assert set(plain) == set(committed)
    for key in ("data_quality", "metrics", "sql_agreement", "screen", "quintile_contrasts", "weekend_minus_weekday"):
        assert set(plain[key]) == set(committed[key]), key
    assert set(plain["screen"]["significant_levels"][0]) == set(committed["screen"]["significant_levels"][0])
    assert set(plain["funnel"][0]) == set(committed["funnel"][0])
    assert isinstance(results.funnel, pd.DataFrame)
    assert plain["funnel_identity_rows"] == len(small_sim.sessions)  # the simulator's funnel is consistent
    run = Run("simulated", 1500, 3, reports_root=tmp_path)
    results.save(run)
    back = explore.ExploreResults.load(run)
    assert back.to_dict() == json.loads(json.dumps(back.to_dict()))
    assert back.screen["significant_after_holm"] == plain["screen"]["significant_after_holm"]
    assert back.metrics["conversion_rate"]["estimate"] == pytest.approx(plain["metrics"]["conversion_rate"]["estimate"])


def test_explore_results_reject_a_wrong_step():
    steps = _steps(
        _sessions().assign(
            category="A",
            payment_method="Card",
            income_level="Low",
            gender="F",
            age=30,
            rating=4,
            sentiment_score=np.linspace(-1, 1, 8),
        )
    )
    with pytest.raises(ValueError, match="funnel must be a FunnelReadout"):
        explore.ExploreResults.from_steps(**{**steps, "funnel": steps["funnel"].table})
    with pytest.raises(ValueError, match="contrasts must map column names to QuintileContrast"):
        explore.ExploreResults.from_steps(**{**steps, "contrasts": {"price": 1}})


# ------------------------------------------------------------------------------ figures
def _rate_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": ["A", "B", "C"],
            "n": [10, 20, 30],
            "successes": [2, 10, 3],
            "rate": [0.2, 0.5, 0.1],
            "ci_low": [0.05, 0.3, 0.03],
            "ci_high": [0.5, 0.7, 0.25],
            "significant": [False, True, False],
        }
    )


def test_funnel_figure_draws_one_funnel():
    fig = figures.funnel_figure(explore.funnel(_sessions()).table)
    assert len(fig.data) == 1 and fig.data[0].type == "funnel"
    assert list(fig.data[0].x) == [8, 6, 4, 2]
    assert list(fig.data[0].y) == ["Sessions", "Browsed 2+ pages", "Added to cart", "Purchased"]
    assert fig.layout.title.text == "Figure 1 · The funnel: sessions reaching each stage"
    assert list(fig.data[0].text) == ["8 (100.0%)", "6 (75.0%)", "4 (50.0%)", "2 (25.0%)"]
    assert fig.data[0].textinfo == "text"


def test_funnel_figure_formats_every_count_with_thousands_separators():
    table = pd.DataFrame(
        {"stage": ["Sessions", "Browsed", "Cart", "Purchased"], "sessions": [20000, 18491, 12217, 4363]}
    )
    fig = figures.funnel_figure(table)
    assert list(fig.data[0].text) == ["20,000 (100.0%)", "18,491 (92.5%)", "12,217 (61.1%)", "4,363 (21.8%)"]
    assert "%{x:,}" in fig.data[0].hovertemplate
    assert np.allclose(fig.data[0].customdata[:, 1], [1.0, 18491 / 20000, 12217 / 18491, 4363 / 12217])
    with pytest.raises(ValueError, match="positive first stage"):
        figures.funnel_figure(table.assign(sessions=[0, 0, 0, 0]))


def test_screen_forest_splits_levels_by_significance():
    s = explore.segment_screen(_two_categories(0.6, 0.2), categorical=["category"], numeric=[])
    table = s.table.assign(significant=[True, False])
    fig = figures.screen_forest(table, overall=s.overall)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert [t.name for t in fig.data] == ["not significant after correction", "significant after correction"]
    assert list(fig.data[1].x) == [0.6] and list(fig.data[1].y) == ["category: A"]
    assert list(fig.data[1].error_x.array) == pytest.approx([table.ci_high[0] - 0.6])
    assert fig.layout.shapes[0].x0 == pytest.approx(0.4)
    assert figures.forest_height(s.table) == 480 and figures.forest_height(pd.DataFrame({"a": range(30)})) == 660
    with pytest.raises(ValueError, match="overall must be a rate"):
        figures.screen_forest(table, overall=1.5)


def test_category_chart_highlights_significant_categories():
    fig = figures.category_chart(_rate_table(), overall=0.3)
    bar = fig.data[0]
    assert len(fig.data) == 1 and bar.type == "bar"
    assert list(bar.x) == ["A", "B", "C"] and list(bar.y) == [0.2, 0.5, 0.1]
    assert list(bar.error_y.array) == pytest.approx([0.3, 0.2, 0.15])
    assert list(bar.error_y.arrayminus) == pytest.approx([0.15, 0.2, 0.07])
    assert bar.marker.color[1] != bar.marker.color[0] == bar.marker.color[2]
    assert fig.layout.title.text == "Figure 3 · Conversion by product category (95% Wilson CI)"
    assert fig.layout.xaxis.title.text == "category"


def test_quintile_hour_and_weekday_charts_titles_and_bars():
    t = _rate_table()
    q = figures.quintile_chart(t, label="session duration", number=5, overall=0.3)
    assert q.layout.title.text == "Figure 5 · Conversion by session duration quintile"
    assert q.layout.xaxis.title.text == "session duration (quintile: range)"
    h, w = figures.hour_chart(t, overall=0.3), figures.weekday_chart(t, overall=0.3)
    assert (h.layout.title.text, h.layout.xaxis.title.text) == ("Figure 8 · Conversion by hour of day", "hour")
    assert (w.layout.title.text, w.layout.xaxis.title.text) == ("Figure 9 · Conversion by weekday", "weekday")
    for fig in (q, h, w):
        assert len(fig.data) == 1 and fig.data[0].type == "bar" and list(fig.data[0].y) == [0.2, 0.5, 0.1]
        assert fig.layout.shapes[0].y0 == 0.3  # the overall rate
    with pytest.raises(ValueError, match="number must be a positive integer"):
        figures.quintile_chart(t, label="price", number=0, overall=0.3)
    with pytest.raises(ValueError, match="label must be a non-empty string"):
        figures.quintile_chart(t, label="", number=4, overall=0.3)
    with pytest.raises(ValueError, match=r"missing \['ci_high'\]"):
        figures.hour_chart(t.drop(columns="ci_high"), overall=0.3)


def test_correlation_heatmap_rounds_to_three_decimals():
    m = pd.DataFrame([[1.0, 0.123456], [0.123456, 1.0]], index=["a", "b"], columns=["a", "b"])
    fig = figures.correlation_heatmap(m)
    assert len(fig.data) == 1 and fig.data[0].type == "heatmap"
    assert np.asarray(fig.data[0].z).tolist() == [[1.0, 0.123], [0.123, 1.0]]
    assert list(fig.data[0].x) == ["a", "b"] and fig.layout.title.text == "Figure 7 · Spearman correlations"
    with pytest.raises(ValueError, match="square DataFrame"):
        figures.correlation_heatmap(m.iloc[:1])


def test_weekly_trend_chart_bars_and_two_lines_on_the_second_axis():
    weekly = pd.DataFrame(
        {
            "week_start": ["2025-01-06", "2025-01-13"],
            "sessions": [100, 120],
            "conversion_rate": [0.2, 0.25],
            "conversion_4wk_avg": [0.2, 0.225],
        }
    )
    fig = figures.weekly_trend_chart(weekly)
    assert isinstance(fig, go.Figure)
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "sessions"),
        ("scatter", "conversion"),
        ("scatter", "4-week average"),
    ]
    assert list(fig.data[0].y) == [100, 120] and list(fig.data[2].y) == [0.2, 0.225]
    assert [t.yaxis for t in fig.data] == [None, "y2", "y2"]  # the bars on the first axis
    # one decimal: weekly rates between 21% and 23% would repeat "22%, 22%, 21%" at zero decimals
    assert fig.data[2].line.dash == "dash" and fig.layout.yaxis2.tickformat == ".1%"
    assert fig.layout.yaxis.tickformat == ",d"
    # rates 0.20 to 0.25 (span 0.05): a 1-point step gives 5 ticks, each label distinct at one decimal
    assert fig.layout.yaxis2.dtick == 0.01
    assert fig.layout.title.text == "Figure 10 · Weekly sessions and conversion"


# ------------------------------------------------------------------------------ answer first
def test_formatted_tables_are_for_people():
    p = explore.product_metrics(_sessions())
    table = p.formatted()
    assert list(table.columns) == ["metric", "estimate", "95% CI", "n"]
    row = table.set_index("metric").loc["conversion rate"]
    assert row.estimate == "25.0%" and row.n == "8"
    assert table.set_index("metric").loc["avg session seconds"].estimate.endswith(" s")
    f = explore.funnel(_sessions()).formatted()
    assert f["share of previous stage"].tolist()[0] == "" and f.sessions.tolist() == ["8", "6", "4", "2"]


class _Truth:
    """A stand-in for SimulationTruth with the attributes planted_truth reads."""

    def __init__(self, persona):
        self.sessions = pd.DataFrame({"persona": persona})
        self.discount_ate, self.discount_att, self.price_elasticity = 0.04, 0.03, -0.4
        self.experiment = {"absolute_lift": 0.025}


def _planted_sessions():
    # category A: 8 keen sessions (all buy); category B: 8 cold sessions (none buys) and 4 keen (all buy)
    return pd.DataFrame(
        {
            "category": ["A"] * 8 + ["B"] * 12,
            "age": [60] * 8 + [20] * 8 + [60] * 4,
            "discount_applied": [0] * 8 + [10] * 8 + [0] * 4,
            "purchase_decision": [1] * 8 + [0] * 8 + [1] * 4,
        }
    ), ["keen"] * 8 + ["cold"] * 8 + ["keen"] * 4


def test_planted_truth_names_the_persona_behind_the_extreme_levels():
    sessions, persona = _planted_sessions()
    screen = explore.segment_screen(sessions, categorical=["category", "age_group"], numeric=[])
    planted = explore.planted_truth(sessions, _Truth(persona), screen)
    assert planted.personas.persona.tolist() == ["keen", "cold"]  # largest share first
    assert planted.personas.conversion.tolist() == [1.0, 0.0] and planted.personas.share.tolist() == [0.6, 0.4]
    best_category = planted.explained.iloc[0]
    assert (best_category.level, best_category["rank"], best_category.persona) == ("A", "best", "keen")
    assert best_category.share_in_level == 1.0 and best_category.share_overall == 0.6
    worst_category = planted.explained.iloc[1]
    assert (worst_category.level, worst_category.persona, worst_category.share_in_level) == ("B", "cold", 8 / 12)
    assert planted.explained.variable.tolist() == ["category", "category", "age_group", "age_group"]
    text = planted.planted_sentence()
    assert "keens (60% of sessions, converting 100.0%)" in text and "+4.0 pp" in text and "-0.40" in text
    assert "not discoveries" in text
    with pytest.raises(ValueError, match="align"):
        explore.planted_truth(sessions.iloc[:5], _Truth(persona), screen)


def test_summary_states_question_answer_and_what_to_do():
    sessions, persona = _planted_sessions()
    sessions = sessions.assign(
        user_id=range(20),
        purchase_date=pd.date_range("2025-01-06", periods=20, freq="D"),
        pages_visited=[3] * 20,
        add_to_cart=sessions.purchase_decision.to_numpy() | np.array([0] * 8 + [1] * 4 + [0] * 8),
        abandoned_cart=np.array([0] * 8 + [1] * 4 + [0] * 8),
        price=10.0,
        payment_method="Card",
        income_level="Low",
        gender="F",
        rating=4,
        time_spent=100,
        sentiment_score=0.1,
    )
    file_summary = explore.summary(sessions, "file.csv")
    assert file_summary.planted is None and file_summary.banner().startswith("**Source: file.csv**")
    assert "no truth is known" in file_summary.banner()
    assert "notebook 03 tests whether the sessions lost there can be predicted" in file_summary.answer()
    assert "checkout experiment" not in file_summary.answer()  # a file has no experiment
    text = explore.summary(sessions, "sim", truth=_Truth(persona)).text()
    for part in ("**Question**", "**Answer**", "**What to do**", "What the simulator plants", "recovers"):
        assert part in text
    # 12 sessions reach the cart and 12 purchase-or-abandon: the largest loss is cart -> purchase (4 of 16 lost)
    assert "60.0% of 20 sessions end in a purchase" in text
    # discounted sessions (8 cold) convert 0% vs 100%: -100 pp, below the planted +4 pp
    assert "Discounted sessions convert -100.0 pp" in text and "the targeting hides the effect" in text
