"""Metrics helpers against statsmodels/scipy and published reference values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from ecommerce_analytics import metrics
from ecommerce_analytics.database import build_database, run_query


# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score).
@pytest.mark.parametrize(
    "s, n, lo, hi",
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombe_1998(s, n, lo, hi):
    est = metrics.proportion(s, n)
    assert (round(est.ci_low, 4), round(est.ci_high, 4)) == (lo, hi)


# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17:873-890, Table II, method 10.
@pytest.mark.parametrize("a, m, b, n, lo, hi", [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090)])
def test_newcombe_difference_matches_the_paper(a, m, b, n, lo, hi):
    est = metrics.rate_difference(a, m, b, n)
    assert est.estimate == pytest.approx(a / m - b / n)
    assert (round(est.ci_low, 4), round(est.ci_high, 4)) == (lo, hi)


@given(n=st.integers(1, 10_000), frac=st.floats(0, 1))
def test_wilson_equals_statsmodels_and_contains_the_estimate(n, frac):
    s = int(round(frac * n))
    est = metrics.proportion(s, n)
    lo, hi = proportion_confint(s, n, method="wilson")
    assert est.ci_low == pytest.approx(lo, abs=1e-12) and est.ci_high == pytest.approx(hi, abs=1e-12)
    assert 0 <= est.ci_low <= est.estimate <= est.ci_high <= 1


def test_mean_interval_equals_scipy():
    x = np.random.default_rng(0).gamma(2.0, 3.0, size=500)
    est = metrics.mean(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (est.ci_low, est.ci_high) == pytest.approx((lo, hi), abs=1e-10)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: metrics.proportion(5, 3), "successes must lie in"),
        (lambda: metrics.proportion(0, 0), "at least one trial"),
        (lambda: metrics.proportion(-1, 10), "successes must lie in"),
        (lambda: metrics.mean([1.0]), "at least two values"),
        (lambda: metrics.mean([1.0, np.nan]), "NaN"),
        (lambda: metrics.rate_difference(3, 2, 1, 5), "invalid counts"),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_product_metrics_agree_with_sql(tmp_path, small_sim):
    s = small_sim.sessions
    m = metrics.product_metrics(s)
    agreement = metrics.compare_to_sql(m, run_query(build_database(s, tmp_path / "m.sqlite"), 1))
    assert agreement.agree.all(), agreement
    assert m["cart_abandonment_rate"].n == s.add_to_cart.sum()
    assert m["avg_order_value"].n == s.purchase_decision.sum()


def test_compare_to_sql_flags_a_disagreement(small_sim, tmp_path):
    s = small_sim.sessions
    overall = run_query(build_database(s, tmp_path / "m.sqlite"), 1)
    overall.loc[0, "bounce_rate"] += 0.01
    agreement = metrics.compare_to_sql(metrics.product_metrics(s), overall).set_index("metric")
    assert not agreement.loc["bounce_rate", "agree"] and agreement.drop("bounce_rate").agree.all()


def test_funnel_matches_the_sql_funnel(small_sim, tmp_path):
    s = small_sim.sessions
    ours = metrics.funnel(s)
    sql = run_query(build_database(s, tmp_path / "f.sqlite"), 8)
    assert ours.sessions.tolist() == sql.sessions.tolist()
    np.testing.assert_allclose(ours.share_of_sessions, sql.share_of_sessions, rtol=1e-12)


def test_conversion_screen_matches_statsmodels_and_holm():
    rng = np.random.default_rng(1)
    n = 6000
    frame = pd.DataFrame({"group": rng.choice(["a", "b", "c"], n), "noise": rng.choice(["x", "y"], n)})
    frame["purchase_decision"] = (rng.random(n) < np.where(frame.group == "a", 0.30, 0.20)).astype(int)
    screen = metrics.conversion_screen(frame, ["group", "noise"])
    row = screen[(screen.variable == "group") & (screen.level == "a")].iloc[0]
    in_a = frame.group == "a"
    z_p = proportions_ztest(
        [frame.purchase_decision[in_a].sum(), frame.purchase_decision[~in_a].sum()], [in_a.sum(), (~in_a).sum()]
    )[1]
    assert row.p_value == pytest.approx(z_p, rel=1e-12)
    assert np.allclose(screen.p_adjusted, multipletests(screen.p_value, method="holm")[1])
    assert row.significant  # the planted effect survives
    assert not screen[screen.variable == "noise"].significant.any()  # pure noise does not


def test_bin_numeric_makes_ordered_quantile_bins():
    values = pd.Series(np.arange(100, dtype=float))
    bins = metrics.bin_numeric(values, 5)
    assert sorted(bins.unique()) == list(bins.unique()) and bins.nunique() == 5
    assert bins.value_counts().tolist() == [20] * 5
    assert metrics.bin_numeric(pd.Series([3.0] * 10)).nunique() == 1
