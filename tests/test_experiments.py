"""A/B statistics: against statsmodels/scipy, published values, properties, simulation, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_effectsize, proportions_ztest

from ecommerce_analytics import experiments as ex


# ------------------------------------------------------------------------ published values
def test_sample_size_matches_chow_shao_wang():
    # Chow, Shao & Wang (2008), Sample Size Calculations in Clinical Research, 2nd ed., section 4.2:
    # p1 = 0.65, p2 = 0.85, alpha = 0.05 two-sided, power 0.80 -> 70 per group.
    assert ex.sample_size_proportions(0.65, 0.20) == (70, 70)


def test_sample_size_for_means_matches_cohen():
    # Cohen (1988), Statistical Power Analysis, Table 2.4.1: d = 0.5, two-sided alpha 0.05, power 0.80 -> 64 per group.
    assert ex.sample_size_means(1.0, 0.5) == (64, 64)
    # d = 0.2: the exact t-based solution is 393.4, so 394 (Cohen's table, from an approximation, prints 393).
    assert ex.sample_size_means(10.0, 2.0) == (394, 394)


def test_newcombe_interval_and_z_test_match_statsmodels():
    r = ex.two_proportions(48, 80, 56, 70)  # Newcombe (1998) example, treatment = 56/70
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (0.0524, 0.3339)
    z_p = proportions_ztest([56, 48], [70, 80])[1]
    assert r.p_value == pytest.approx(z_p, abs=1e-12)
    assert r.extra["cohens_h"] == pytest.approx(proportion_effectsize(56 / 70, 48 / 80), abs=1e-12)


# ------------------------------------------------------------------- libraries, to 1e-8
@given(xc=st.integers(1, 500), nc_extra=st.integers(1, 500), xt=st.integers(1, 500), nt_extra=st.integers(1, 500))
@settings(max_examples=60, deadline=None)
def test_two_proportions_properties(xc, nc_extra, xt, nt_extra):
    nc, nt = xc + nc_extra, xt + nt_extra
    r = ex.two_proportions(xc, nc, xt, nt)
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff")
    assert (r.ci_low, r.ci_high) == pytest.approx((lo, hi), abs=1e-8)
    assert r.ci_low - 1e-12 <= r.estimate <= r.ci_high + 1e-12 and 0 <= r.p_value <= 1
    swapped = ex.two_proportions(xt, nt, xc, nc)  # symmetry when the arms are swapped
    assert swapped.estimate == pytest.approx(-r.estimate) and swapped.p_value == pytest.approx(r.p_value)
    assert (swapped.ci_low, swapped.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-8)


@given(p=st.floats(0.02, 0.6), d1=st.floats(0.005, 0.05), d2=st.floats(0.06, 0.2))
@settings(max_examples=40, deadline=None)
def test_sample_size_decreases_with_the_effect(p, d1, d2):
    assert ex.sample_size_proportions(p, d2)[0] <= ex.sample_size_proportions(p, d1)[0]


def test_power_mde_and_sample_size_are_consistent():
    n, _ = ex.sample_size_proportions(0.2, 0.02)
    assert ex.power_proportions(0.2, 0.02, n) == pytest.approx(0.8, abs=0.002)
    assert ex.mde_proportions(0.2, n) == pytest.approx(0.02, rel=0.01)
    n_c, n_t = ex.sample_size_proportions(0.2, 0.02, ratio=2.0)
    assert n_t == pytest.approx(2 * n_c, abs=1) and n_c < n
    assert ex.sample_size_proportions(0.2, 0.02, alternative="larger")[0] < n
    assert ex.mde_means(1.0, 64) == pytest.approx(0.5, rel=0.01)


def test_welch_matches_scipy():
    rng = np.random.default_rng(0)
    c, t = rng.normal(10, 2, 400), rng.normal(10.5, 3, 300)
    r = ex.welch_test(c, t)
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval()
    assert r.p_value == pytest.approx(ref.pvalue, abs=1e-12)
    assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-8)


def test_bootstrap_agrees_with_scipy_bootstrap():
    rng = np.random.default_rng(1)
    c, t = rng.exponential(10, 3000), rng.exponential(11, 3000)
    ours = ex.bootstrap_mean_difference(c, t, n_resamples=2000, seed=2)
    ref = stats.bootstrap((t, c), lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis), n_resamples=2000,
                          method="percentile", random_state=3, vectorized=True).confidence_interval
    assert ours.ci_low == pytest.approx(ref.low, abs=0.12) and ours.ci_high == pytest.approx(ref.high, abs=0.12)
    bucketed = ex.bootstrap_mean_difference(c, t, n_resamples=2000, seed=2, buckets=500)
    assert bucketed.ci_low == pytest.approx(ref.low, abs=0.2) and "500 buckets" in bucketed.method


def test_srm_check_flags_a_skewed_split():
    ok = ex.srm_check(50_100, 49_900)
    assert not ok.mismatch and ok.p_value == pytest.approx(stats.chisquare([50_100, 49_900]).pvalue)
    bad = ex.srm_check(51_000, 49_000)
    assert bad.mismatch and bad.p_value < 0.001


def test_adjust_pvalues_matches_statsmodels():
    p = [0.001, 0.01, 0.02, 0.04, 0.2]
    for method in ("holm", "fdr_bh"):
        out = ex.adjust_pvalues(p, method)
        np.testing.assert_allclose(out.p_adjusted, multipletests(p, method=method)[1], atol=1e-12)


# ------------------------------------------------------------------------ by simulation
def test_delta_method_ratio_covers_the_truth_and_naive_does_not():
    """AOV with users randomized: each user has several orders whose values are correlated."""
    rng = np.random.default_rng(4)
    covered, naive_covered = 0, 0
    sims = 300
    for _ in range(sims):
        arms = []
        for _arm in range(2):
            n = 800
            orders = rng.poisson(2.0, n) + 1
            user_level = rng.lognormal(3.0, 0.8, n)  # a user's typical order value
            revenue = np.array([user_level[i] * rng.lognormal(0, 0.2, k).sum() for i, k in enumerate(orders)])
            arms.append((revenue, orders, user_level, orders))
        (rc, oc, uc, kc), (rt, ot, ut, kt) = arms
        res = ex.ratio_metric(rc, oc, rt, ot)
        covered += res.ci_low <= 0 <= res.ci_high  # same distribution in both arms: true difference 0
        per_order_c = np.repeat(rc / oc, oc)
        per_order_t = np.repeat(rt / ot, ot)
        naive = ex.welch_test(per_order_c, per_order_t)
        naive_covered += naive.ci_low <= 0 <= naive.ci_high
    assert 0.92 <= covered / sims <= 0.98
    assert naive_covered / sims < covered / sims  # treating orders as independent understates the variance


def test_cuped_reduces_variance_by_about_rho_squared():
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.normal(0, 1, 2 * n)
    y = 0.7 * x + rng.normal(0, np.sqrt(1 - 0.49), 2 * n)
    y[n:] += 0.05
    res = ex.cuped(y[:n], x[:n], y[n:], x[n:])
    assert res.extra["variance_reduction"] == pytest.approx(0.49, abs=0.03)
    assert res.ci_low <= 0.05 <= res.ci_high
    bal = ex.balance_check(x[:n], x[n:])
    assert abs(bal["smd"]) < 0.05 and bal["p_value"] > 0.001


def test_calibration_of_the_tests():
    aa = ex.calibration_study(n_sims=2000, lift=0.0, seed=21)
    ab = ex.calibration_study(n_sims=2000, lift=0.02, seed=22)
    assert 0.04 <= aa["rejection_rate"]["estimate"] <= 0.06
    assert 0.94 <= ab["ci_coverage"]["estimate"] <= 0.96
    assert aa["peeking_rejection_rate"]["estimate"] > 0.10  # naive peeking inflates the error
    assert aa["sequential_rejection_rate"]["estimate"] <= 0.05  # the mSPRT keeps it
    assert ab["sequential_rejection_rate"]["estimate"] > aa["sequential_rejection_rate"]["estimate"]


def test_msprt_p_values_never_increase():
    seq = ex.msprt_proportions([10, 25, 50], [100, 200, 400], [12, 35, 80], [100, 200, 400])
    assert (np.diff(seq.always_valid_p) <= 0).all() and seq.always_valid_p.between(0, 1).all()


def test_bayesian_probability_matches_the_exact_value():
    # Exact P(p_B > p_A) for Beta posteriors with integer parameters (closed form sum).
    from scipy.special import betaln

    a_a, b_a, a_b, b_b = 1 + 12, 1 + 88, 1 + 20, 1 + 80
    exact = sum(np.exp(betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a))
                for i in range(a_b))
    res = ex.bayesian_proportions(12, 100, 20, 100, draws=400_000)
    assert res["prob_treatment_better"] == pytest.approx(exact, abs=0.003)
    assert res["expected_loss_ship_treatment"] < res["expected_loss_keep_control"]


def test_non_inferiority_verdicts():
    good = ex.EffectResult(0.01, -0.005, 0.025, 0.2, 1000, 1000, "test")
    assert ex.non_inferiority(good, 0.02)["verdict"] == "passed"
    harm = ex.EffectResult(-0.05, -0.08, -0.02, 0.001, 1000, 1000, "test")
    assert ex.non_inferiority(harm, 0.02)["verdict"] == "failed"
    wide = ex.EffectResult(-0.01, -0.06, 0.04, 0.7, 100, 100, "test")
    assert ex.non_inferiority(wide, 0.02)["verdict"] == "inconclusive"
    assert ex.non_inferiority(harm, 0.02, higher_is_better=False)["verdict"] == "passed"


def test_segment_effects_find_a_planted_difference():
    import pandas as pd

    rng = np.random.default_rng(6)
    n = 40_000
    frame = pd.DataFrame({"variant": rng.choice(["control", "treatment"], n), "tier": rng.choice(list("abcde"), n)})
    p = 0.2 + np.where((frame.variant == "treatment") & (frame.tier == "a"), 0.06, 0.0)
    frame["converted"], frame["one"] = (rng.random(n) < p).astype(int), 1
    out = ex.segment_effects(frame, "tier", successes="converted", trials="one").set_index("level")
    assert out.loc["a", "heterogeneous"] and out.loc["a", "ci_low"] <= 0.06 <= out.loc["a", "ci_high"]
    others = out.loc[list("bcde")]
    assert ((others.ci_low <= 0) & (0 <= others.ci_high)).all()  # no effect there, and the intervals say so
    assert np.allclose(out.p_adjusted, multipletests(out.p_value, method="holm")[1])


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, message", [
    (lambda: ex.two_proportions(0, 0, 1, 10), "the arm is empty"),
    (lambda: ex.two_proportions(11, 10, 1, 10), "must lie between 0 and n"),
    (lambda: ex.two_proportions(-1, 10, 1, 10), "must lie between 0 and n"),
    (lambda: ex.two_proportions(float("nan"), 10, 1, 10), "finite"),
    (lambda: ex.welch_test([1.0, np.nan, 2.0], [1.0, 2.0]), "NaN"),
    (lambda: ex.welch_test([1.0], [1.0, 2.0]), "at least two"),
    (lambda: ex.ratio_metric([1.0], [1.0], [1.0, 2.0], [1.0, 1.0]), "at least two units"),
    (lambda: ex.sample_size_proportions(0.2, 0.0), "mde must not be 0"),
    (lambda: ex.sample_size_proportions(0.95, 0.1), "strictly between 0 and 1"),
    (lambda: ex.adjust_pvalues([0.5, 1.2]), "p-values must lie in"),
    (lambda: ex.msprt_proportions([5], [0], [1], [10]), "n > 0"),
])
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
