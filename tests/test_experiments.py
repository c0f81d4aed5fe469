"""A/B statistics: against statsmodels/scipy, published values, properties, simulation, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_effectsize, proportions_ztest

from ecommerce_analytics import experiments as ex
from ecommerce_analytics import stats as sp


# ------------------------------------------------------------------------ published values
def test_sample_size_matches_r_power_prop_test():
    # R, stats::power.prop.test documentation example: power.prop.test(p1 = .50, p2 = .75, power = .90)
    # prints n = 76.7 per group (pooled-variance z-test, the test two_proportions runs); R's formula
    # (Fleiss, Levin & Paik 4.2, no continuity correction) gives 76.7069. (76.65294 is Cohen's-h
    # NormalIndPower, a different approximation.)
    n_c, n_t = ex.sample_size_proportions(0.50, 0.25, power=0.90, exact=True)
    assert n_c == pytest.approx(76.7069, abs=0.001) and n_t == n_c
    assert ex.sample_size_proportions(0.50, 0.25, power=0.90) == (77, 77)
    assert ex.power_proportions(0.50, 0.25, 77) >= 0.90 > ex.power_proportions(0.50, 0.25, 76)
    with pytest.raises(ValueError, match="alternative='larger' tests for an increase"):
        ex.power_proportions(0.2, -0.02, 5000, alternative="larger")
    with pytest.raises(ValueError, match="alternative"):
        ex.sample_size_means(1, -0.5, alternative="larger")


def test_unpooled_sample_size_matches_chow_shao_wang():
    # Chow, Shao & Wang (2008), Sample Size Calculations in Clinical Research, 2nd ed., section 4.2
    # (unpooled Wald test): p1 = 0.65, p2 = 0.85, alpha = 0.05 two-sided, power 0.80 -> 70 per group.
    assert ex.sample_size_proportions(0.65, 0.20, test="unpooled") == (70, 70)
    assert ex.sample_size_proportions(0.65, 0.20)[0] > 70  # the pooled test needs a few more


def test_welch_sample_size_with_unequal_variances():
    # Equal sds reduce to Cohen's d; unequal sds use the Welch standard error of the difference.
    assert ex.sample_size_means(1.0, 0.5, sd_treatment=1.0) == ex.sample_size_means(1.0, 0.5)
    n_c, _ = ex.sample_size_means(1.0, 0.5, sd_treatment=2.0)
    d = 0.5 / np.sqrt((1.0**2 + 2.0**2) / 2)
    from statsmodels.stats.power import TTestIndPower

    assert n_c == int(np.ceil(TTestIndPower().solve_power(effect_size=d, alpha=0.05, power=0.8)))


def test_sample_size_for_means_matches_cohen():
    # Cohen (1988), Statistical Power Analysis, Table 2.4.1: d = 0.5, two-sided alpha 0.05, power 0.80 -> 64 per group.
    assert ex.sample_size_means(1.0, 0.5) == (64, 64)
    # d = 0.2: the exact t-based solution is 393.4, so 394 (Cohen's table, from an approximation, prints 393).
    assert ex.sample_size_means(10.0, 2.0) == (394, 394)


def test_score_interval_matches_newcombe_table_and_z_test_matches_statsmodels():
    # Newcombe (1998), Statistics in Medicine 17, 873-890, Table II, example (a) 56/70 vs 48/80:
    # method 5 (Mee 1984 score interval) 0.0533 to 0.3377; method 6 (Miettinen-Nurminen) 0.0528 to 0.3382.
    r = ex.two_proportions(48, 80, 56, 70)
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (0.0533, 0.3377)
    mn = sp.invert_statistic(
        lambda d: sp.score_z_difference(56, 70, 48, 80, d) * np.sqrt(149 / 150),
        np.array(56 / 70 - 48 / 80),
        -1.0,
        1.0,
        stats.norm.isf(0.025),
    )  # with MN's n / (n - 1) factor
    assert (round(float(mn[0]), 4), round(float(mn[1]), 4)) == (0.0528, 0.3382)
    z_p = proportions_ztest([56, 48], [70, 80])[1]
    assert r.p_value == pytest.approx(z_p, abs=1e-12)
    assert r.extra["cohens_h"] == pytest.approx(proportion_effectsize(56 / 70, 48 / 80), abs=1e-12)


# ------------------------------------------------------------------- libraries, to 1e-8
@given(xc=st.integers(1, 500), nc_extra=st.integers(1, 500), xt=st.integers(1, 500), nt_extra=st.integers(1, 500))
@settings(max_examples=60, deadline=None)
def test_two_proportions_properties(xc, nc_extra, xt, nt_extra):
    nc, nt = xc + nc_extra, xt + nt_extra
    r = ex.two_proportions(xc, nc, xt, nt)
    assert r.p_value == pytest.approx(proportions_ztest([xt, xc], [nt, nc])[1], abs=1e-9)
    assert r.ci_low - 1e-12 <= r.estimate <= r.ci_high + 1e-12 and 0 <= r.p_value <= 1
    assert (r.p_value < 0.05) == (r.ci_low > 0 or r.ci_high < 0)
    assert r.extra["relative_ci_low"] <= r.extra["relative_lift"] <= r.extra["relative_ci_high"]
    swapped = ex.two_proportions(xt, nt, xc, nc)  # symmetry when the arms are swapped
    assert swapped.estimate == pytest.approx(-r.estimate) and swapped.p_value == pytest.approx(r.p_value)
    assert (swapped.ci_low, swapped.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-8)


def test_test_and_intervals_never_disagree_on_a_grid_of_small_counts():
    """Issue 12: the old pooled-z / Newcombe pairing disagreed on 6 of 3,969 cases (e.g. 25/30 vs 76/80:
    p = 0.0468 with a CI containing 0). One statistic now gives the p-value and both intervals."""
    for nc, nt in ((62, 62), (30, 80), (7, 13)):
        xc, xt = (a.ravel() for a in np.meshgrid(np.arange(nc + 1), np.arange(nt + 1)))
        s = ex.score_test_proportions(xc, nc, xt, nt, alpha=0.05)
        reject = s["p_value"] < 0.05
        assert np.array_equal(reject, (s["diff_low"] > 0) | (s["diff_high"] < 0)), (nc, nt)
        ok = (xc > 0) & (xt > 0)  # the ratio exists
        assert np.array_equal(reject[ok], ((s["ratio_low"] > 1) | (s["ratio_high"] < 1))[ok]), (nc, nt)
        both = (xc + xt > 0) & (xc + xt < nc + nt)
        ref = np.array(
            [proportions_ztest([b, a], [nt, nc])[1] for a, b in zip(xc[both][::37], xt[both][::37], strict=True)]
        )
        np.testing.assert_allclose(s["p_value"][both][::37], ref, atol=1e-9)
    r = ex.two_proportions(25, 30, 76, 80)
    assert r.p_value == pytest.approx(0.0468, abs=1e-4) and r.ci_low > 0 and r.extra["relative_ci_low"] > 0


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
    ref = stats.bootstrap(
        (t, c),
        lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis),
        n_resamples=2000,
        method="percentile",
        random_state=3,
        vectorized=True,
    ).confidence_interval
    assert ours.ci_low == pytest.approx(ref.low, abs=0.12) and ours.ci_high == pytest.approx(ref.high, abs=0.12)
    assert "percentile" in ours.method  # large arms: percentile by default
    bucketed = ex.bootstrap_mean_difference(c, t, n_resamples=2000, seed=2, buckets=500)
    assert bucketed.ci_low == pytest.approx(ref.low, abs=0.2) and "500 buckets" in bucketed.method


def test_bca_bootstrap_agrees_with_scipy_and_p_value_is_never_zero():
    rng = np.random.default_rng(1)
    c, t = rng.exponential(1.0, 40), rng.exponential(2.0, 60)
    ours = ex.bootstrap_mean_difference(c, t, n_resamples=20_000, seed=3)
    assert "BCa" in ours.method  # small arms: BCa by default
    ref = stats.bootstrap(
        (t, c),
        lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis),
        n_resamples=20_000,
        method="BCa",
        random_state=4,
        vectorized=True,
    ).confidence_interval
    assert ours.ci_low == pytest.approx(ref.low, abs=0.05) and ours.ci_high == pytest.approx(ref.high, abs=0.05)
    far = ex.bootstrap_mean_difference(np.zeros(50) + rng.normal(0, 0.01, 50), np.ones(50), n_resamples=999)
    assert far.p_value == pytest.approx(2 / 1000)  # (b + 1) / (B + 1), doubled for two sides, never 0


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
    aa = ex.calibration_study(n_sims=10_000, lift=0.0, seed=21)
    ab = ex.calibration_study(n_sims=10_000, lift=0.02, seed=22)
    inside = lambda r, v: r["ci_low"] <= v <= r["ci_high"]  # 99% Wilson interval contains the nominal value
    assert inside(aa["rejection_rate"], 0.05) and inside(aa["group_sequential_rejection_rate"], 0.05)
    assert inside(ab["ci_coverage"], 0.95) and inside(ab["relative_ci_coverage"], 0.95)
    assert aa["peeking_rejection_rate"]["ci_low"] > 0.10  # naive peeking inflates the error
    assert aa["sequential_rejection_rate"]["ci_high"] <= 0.05  # the mSPRT keeps it
    assert ab["sequential_rejection_rate"]["estimate"] < ab["group_sequential_rejection_rate"]["estimate"]


def test_relative_lift_coverage_at_a_low_base_rate():
    # Issue 12 "done when": 2% -> 3% at 1,000 per arm, 10,000 simulations, 99% CI contains 0.95
    # (the old linear-scale delta interval covered 93.55% [92.48, 94.51]).
    r = ex.calibration_study(n_sims=10_000, n_per_arm=1000, p_control=0.02, lift=0.01, looks=1, gs_looks=1, seed=5)
    assert r["relative_ci_coverage"]["ci_low"] <= 0.95 <= r["relative_ci_coverage"]["ci_high"]


def test_msprt_p_values_never_increase():
    seq = ex.msprt_proportions([10, 25, 50], [100, 200, 400], [12, 35, 80], [100, 200, 400])
    assert (np.diff(seq.always_valid_p) <= 0).all() and seq.always_valid_p.between(0, 1).all()


def test_bayesian_probability_matches_the_exact_value():
    # Exact P(p_B > p_A) for Beta posteriors with integer parameters (closed form sum).
    from scipy.special import betaln

    a_a, b_a, a_b, b_b = 1 + 12, 1 + 88, 1 + 20, 1 + 80
    exact = sum(
        np.exp(betaln(a_a + i, b_a + b_b) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a)) for i in range(a_b)
    )
    res = ex.bayesian_proportions(12, 100, 20, 100, draws=400_000)
    assert res["prob_treatment_better"] == pytest.approx(exact, abs=0.003)
    assert res["expected_loss_ship_treatment"] < res["expected_loss_keep_control"]


def _score_p_by_brute_force(xt, nt, xc, nc, delta, alternative):
    """Score test of ``pt - pc = delta`` with the restricted MLE found numerically (independent of
    the closed form): maximize the binomial likelihood over pc with pt = pc + delta."""
    from scipy import optimize

    lo, hi = max(0.0, -delta) + 1e-12, min(1.0, 1 - delta) - 1e-12

    def nll(pc):
        pt = pc + delta
        return -(xt * np.log(pt) + (nt - xt) * np.log1p(-pt) + xc * np.log(pc) + (nc - xc) * np.log1p(-pc))

    pc = optimize.minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}).x
    pt = pc + delta
    z = (xt / nt - xc / nc - delta) / np.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    return stats.norm.sf(z) if alternative == "larger" else stats.norm.cdf(z)


def test_non_inferiority_is_the_score_test_at_the_margin():
    # One convention: the two-sided 95% interval against the margin, i.e. a one-sided score test at 2.5%
    # (Farrington & Manning 1990). Checked against a numerical restricted MLE with unequal arms, where
    # statsmodels 0.15's test_proportions_2indep(value != 0) is wrong (statsmodels issue #10269): e.g.
    # 301/1825 vs 13/120 at a 0.10 margin it gives p = 0.021, the score test 0.041.
    cases = (
        (480, 1000, 470, 1000, 0.02),
        (480, 1000, 470, 1000, 0.06),
        (300, 1000, 330, 1000, 0.01),
        (301, 1825, 13, 120, 0.1),
        (34, 423, 1, 20, 0.1),
        (50, 900, 41, 350, 0.05),
    )
    for xc, nc, xt, nt, margin in cases:
        r = ex.two_proportions(xc, nc, xt, nt)
        ni = ex.non_inferiority(r, margin)
        assert ni["p_value"] == pytest.approx(_score_p_by_brute_force(xt, nt, xc, nc, -margin, "larger"), abs=1e-6)
        assert ni["passed"] == (r.ci_low > -margin) == (ni["p_value"] < 0.025), (xc, xt, margin)
        lower = ex.non_inferiority(r, margin, higher_is_better=False)
        assert lower["p_value"] == pytest.approx(_score_p_by_brute_force(xt, nt, xc, nc, margin, "smaller"), abs=1e-6)
        assert lower["passed"] == (r.ci_high < margin) == (lower["p_value"] < 0.025)
    assert ex.non_inferiority(ex.two_proportions(301, 1825, 13, 120), 0.1)["p_value"] == pytest.approx(
        0.04095, abs=5e-5
    )
    assert "95%" in ni["convention"]
    with pytest.raises(ValueError, match="alpha must equal"):
        ex.non_inferiority(r, 0.02, alpha=0.10)


@pytest.mark.slow
def test_non_inferiority_verdict_and_p_value_never_disagree():
    rng = np.random.default_rng(3)
    for _ in range(300):
        nc, nt = rng.integers(10, 2000, size=2)
        xc, xt = rng.integers(0, nc + 1), rng.integers(0, nt + 1)
        margin = float(rng.choice([0.01, 0.05, 0.1]))
        ni = ex.non_inferiority(ex.two_proportions(int(xc), int(nc), int(xt), int(nt)), margin)
        assert ni["passed"] == (ni["p_value"] < 0.025), (xc, nc, xt, nt, margin)


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
    # The interaction coefficient is the difference of the two effects (saturated model).
    assert np.allclose(out.difference_vs_rest, out.effect - out.effect_rest)


# ------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "call, message",
    [
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
        (lambda: ex.sample_size_proportions(0.2, 0.02, alpha=1.5), "alpha must be a number strictly between 0 and 1"),
        (lambda: ex.sample_size_proportions(0.2, 0.02, alternative="bigger"), "alternative must be one of"),
        (lambda: ex.power_proportions(0.2, 0.02, 100, test="exact"), "test must be one of 'pooled', 'unpooled'"),
        (
            lambda: ex.two_proportions(1, 10, 1, 10, confidence=95),
            "confidence must be a number strictly between 0 and 1",
        ),
        (lambda: ex.bootstrap_mean_difference([1.0, 2.0], [1.0, 3.0], method="bc"), "method must be"),
        (
            lambda: ex.segment_effects(
                __import__("pandas").DataFrame({"s": [1]}), "s", successes="x", trials="y", method="sidak"
            ),
            "method must be",
        ),
    ],
)
def test_bad_input_is_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
