"""The stats primitives: one result base class, one confidence convention, one parameter validation."""

import ast
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from ecommerce_analytics import calibration, causal, metrics, sequential
from ecommerce_analytics import experiments as ex
from ecommerce_analytics import stats as st
from ecommerce_analytics.stats import EstimateResult

PACKAGE = Path(st.__file__).resolve().parents[1]


# ------------------------------------------------------------------------- one base class
def test_estimate_result_to_dict_summary_and_str():
    r = EstimateResult(0.12, 0.10, 0.14, 0.003, 1000, "Wilson score", alpha=0.1)
    assert r.to_dict() == {
        "estimate": 0.12,
        "ci_low": 0.10,
        "ci_high": 0.14,
        "p_value": 0.003,
        "n": 1000,
        "method": "Wilson score",
        "alpha": 0.1,
    }
    s = r.summary()
    assert isinstance(s, pd.DataFrame) and s.shape == (1, 7)
    assert s.columns.tolist() == ["method", "estimate", "ci_low", "ci_high", "p_value", "n", "alpha"]
    assert s.iloc[0].tolist() == ["Wilson score", 0.12, 0.10, 0.14, 0.003, 1000, 0.1]
    assert str(r) == "Wilson score: 0.12 (90% CI 0.1 to 0.14), p = 0.003, n = 1000"
    assert r.confidence_level == 0.9


def test_str_leaves_out_a_missing_p_value():
    assert "p =" not in str(EstimateResult(1.0, 0.5, 1.5, None, 10, "t"))
    assert "p =" not in str(EstimateResult(1.0, 0.5, 1.5, float("nan"), 10, "t"))


@pytest.mark.parametrize(
    "result, keys",
    [
        (metrics.proportion(20, 100), ["estimate", "ci_low", "ci_high", "n", "method", "confidence"]),
        (
            ex.two_proportions(20, 100, 30, 100),
            [
                "estimate",
                "ci_low",
                "ci_high",
                "p_value",
                "n_control",
                "n_treatment",
                "method",
                "control",
                "treatment",
                "confidence",
                "extra",
            ],
        ),
        (
            causal.naive_difference(np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0]), np.array([0, 0, 0, 1, 1, 1])),
            ["method", "estimand", "estimate", "ci_low", "ci_high", "n", "note", "se", "p_value", "trimmed"],
        ),
    ],
)
def test_the_three_result_classes_share_the_base_and_keep_their_keys(result, keys):
    assert isinstance(result, EstimateResult)
    assert list(result.to_dict()) == keys  # historical keys, in their order
    row = result.summary()
    assert row.shape[0] == 1
    assert row.columns[:7].tolist() == ["method", "estimate", "ci_low", "ci_high", "p_value", "n", "alpha"]
    assert row.loc[0, "estimate"] == result.estimate and row.loc[0, "alpha"] == pytest.approx(0.05)
    assert "extra" not in row.columns  # nested values stay out of the tidy row
    assert str(result).startswith(result.method + ": ")


def test_subclasses_keep_their_positional_constructors():
    e = metrics.Estimate(0.2, 0.1, 0.3, 50, "Wilson score", 0.9)
    assert (e.n, e.confidence, e.alpha, e.p_value) == (50, 0.9, 0.1, None)
    r = ex.EffectResult(0.02, 0.01, 0.03, 0.001, 1000, 1200, "z", 0.1, 0.12, 0.99, {"a": 1})
    assert (r.n, r.n_control, r.n_treatment, r.alpha, r.extra) == (2200, 1000, 1200, 0.01, {"a": 1})
    assert r.significant and ex.EffectResult(0, -1, 1, 0.02, 5, 5, "z", confidence=0.99).significant is False
    c = causal.CausalEstimate("IPW (Hajek)", "ATT", 0.1, 0.0, 0.2, 300, "note", 0.05, 0.04, 7, {"k": 1}, alpha=0.1)
    assert (c.estimand, c.note, c.se, c.trimmed, c.alpha, c.extra) == ("ATT", "note", 0.05, 7, 0.1, {"k": 1})
    assert c.summary().loc[0, "estimand"] == "ATT"


def test_results_stay_frozen_and_comparable():
    a, b = metrics.proportion(3, 10), metrics.proportion(3, 10)
    assert a == b and a != metrics.proportion(4, 10)
    with pytest.raises(AttributeError):
        a.estimate = 0.5


# -------------------------------------------------------------- one confidence convention
def test_z_critical():
    assert st.z_critical(0.05) == pytest.approx(sps.norm.ppf(0.975), abs=1e-15)
    assert st.z_critical(0.05, "larger") == st.z_critical(0.05, "smaller") == pytest.approx(1.6448536269514722)
    assert st.z_critical(0.01) == pytest.approx(2.5758293035489)


@pytest.mark.parametrize(
    "call",
    [
        lambda **kw: metrics.proportion(20, 100, **kw),
        lambda **kw: metrics.rate_difference(30, 100, 20, 100, **kw),
        lambda **kw: metrics.mean([1.0, 2.0, 4.0, 7.0], **kw),
        lambda **kw: ex.two_proportions(20, 100, 30, 100, **kw),
        lambda **kw: ex.welch_test([1.0, 2.0, 3.0], [2.0, 3.0, 5.0], **kw),
        lambda **kw: ex.ratio_metric([1, 2, 3], [2, 2, 3], [2, 3, 4], [2, 2, 2], **kw),
        lambda **kw: ex.cuped([1.0, 2.0, 3.5, 4.0], [1, 2, 3, 4], [2.0, 3.5, 4.0, 5.5], [1, 2, 3, 4], **kw),
        lambda **kw: ex.bootstrap_mean_difference([1.0, 2.0, 3.0, 5.0], [2.0, 3.0, 5.0, 6.0], n_resamples=200, **kw),
    ],
)
def test_alpha_and_confidence_are_one_convention(call):
    by_alpha, by_confidence, default = call(alpha=0.1), call(confidence=0.9), call()
    assert (by_alpha.ci_low, by_alpha.ci_high) == pytest.approx(
        (by_confidence.ci_low, by_confidence.ci_high), rel=1e-12
    )
    assert by_alpha.alpha == pytest.approx(0.1) and default.alpha == pytest.approx(0.05)
    assert by_alpha.ci_high - by_alpha.ci_low < default.ci_high - default.ci_low  # 90% is narrower than 95%
    with pytest.raises(ValueError, match="give alpha or confidence"):
        call(alpha=0.1, confidence=0.99)


def test_alpha_reaches_every_interval_builder():
    assert causal.naive_difference(np.array([1.0, 0, 1, 1, 0, 1]), np.array([0, 0, 0, 1, 1, 1]), alpha=0.1).alpha == 0.1
    wide, narrow = (
        ex.bayesian_proportions(20, 100, 30, 100, draws=20_000),
        ex.bayesian_proportions(20, 100, 30, 100, draws=20_000, alpha=0.5),
    )
    assert narrow["credible_interval"][1] - narrow["credible_interval"][0] < np.diff(wide["credible_interval"])[0]
    assert ex.binomial_rate(50, 1000, alpha=0.05)["confidence"] == 0.95
    assert ex.binomial_rate(50, 1000)["confidence"] == 0.99  # the calibration default stays 99%
    f90 = metrics.funnel(
        pd.DataFrame({"pages_visited": [1, 2, 3], "add_to_cart": [0, 1, 1], "purchase_decision": [0, 0, 1]}), alpha=0.1
    )
    assert f90.ci_low.iloc[1] > metrics.proportion(2, 3).ci_low


def _code_without_docstrings(path: Path) -> str:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def test_no_hard_coded_critical_values_in_the_statistics_modules():
    files = [PACKAGE / f for f in ("metrics.py", "causal.py", "sequential.py", "calibration.py")]
    files += sorted((PACKAGE / "experiments").glob("*.py")) + sorted((PACKAGE / "stats").glob("*.py"))
    pattern = re.compile(r"1\.959|1\.96\b|ppf\(0\.975\)|ppf\(1 - alpha / 2\)|isf\(0\.025\)|0\.5 \+ confidence / 2\)\)")
    hits = [f.name for f in files if pattern.search(_code_without_docstrings(f))]
    assert not hits
    assert pattern.search("z = norm.ppf(0.975)")  # the check can fail


# ------------------------------------------------------------------- parameter validation
@pytest.mark.parametrize(
    "call, message",
    [
        # the known defects of issue 11
        (lambda: ex.sample_size_means(1.0, 0.1, alternative="bogus"), "alternative must be one of 'two-sided'"),
        (lambda: ex.mde_means("bogus", 100), "sd must be a finite number > 0"),
        (lambda: ex.mde_means(1.0, 100, alternative="bogus"), "alternative must be one of"),
        (lambda: ex.power_proportions(0.1, 0.02, n_control=0), "n_control must be a finite number > 0"),
        (lambda: ex.mde_proportions(0.1, 0), "n_control must be a finite number > 0"),
        (lambda: ex.mde_means(1.0, 1), "n_control must be a number >= 2"),
        # alpha and power outside (0, 1)
        (lambda: ex.power_proportions(0.1, 0.02, 100, alpha=0), "alpha must be a number strictly between 0 and 1"),
        (lambda: ex.sample_size_means(1.0, 0.1, power=1.0), "power must be a number strictly between 0 and 1"),
        (lambda: ex.mde_proportions(0.1, 100, power=0), "power must be"),
        (lambda: ex.two_proportions(1, 10, 2, 10, alpha=1.2), "alpha must be"),
        (lambda: ex.welch_test([1.0, 2.0], [2.0, 3.0], alpha=-0.1), "alpha must be"),
        (lambda: ex.msprt_proportions([1], [10], [2], [10], alpha=2), "alpha must be"),
        (lambda: ex.msprt_proportions([1], [10], [2], [10], tau=0), "tau must be a finite number > 0"),
        (lambda: ex.adjust_pvalues([0.1], alpha=0), "alpha must be"),
        (lambda: ex.srm_check(50, 50, expected_share_treatment=1.0), "expected_share_treatment must be"),
        (lambda: ex.bayesian_proportions(1, 10, 2, 10, prior=(0.0, 1.0)), r"prior\[0\] must be"),
        (lambda: ex.bayesian_proportions(1, 10, 2, 10, draws=0), "draws must be a whole number >= 1"),
        (lambda: ex.calibration_study(n_sims=10, alpha=1.0), "alpha must be"),
        (lambda: ex.calibration_study(n_sims=10, spending="bogus"), "spending must be one of"),
        (lambda: ex.calibration_study(n_sims=0), "n_sims, n_per_arm, looks and gs_looks"),
        (lambda: metrics.proportion(1, 10, alpha=0), "alpha must be"),
        (lambda: metrics.mean([1.0, 2.0], confidence=1.5), "confidence must be"),
        (lambda: metrics.bin_numeric(pd.Series([1.0, 2.0]), 0), "q must be a whole number >= 1"),
        (lambda: metrics.compare_to_sql({}, pd.DataFrame(), tolerance=-1), "tolerance must be a finite number >= 0"),
        (lambda: sequential.spending_function(0.5, kind="bogus"), "kind must be one of"),
        (lambda: sequential.spending_function(0.5, kind="power", rho=0), "rho must be"),
        (lambda: sequential.crossing_probabilities([2.0], [1.0], drift=np.nan), "drift must be a finite number"),
        (lambda: sequential.group_sequential_design(3, power=1.2), "power must be"),
        (lambda: calibration.calibration_checks(200, alpha=0), "alpha must be"),
        (lambda: calibration.cuped_coverage(10, 1), "n_per_arm must be a whole number >= 2"),
        (lambda: calibration.cuped_coverage(10, 10, rho=1.0), r"rho must be a number in \[0, 1\)"),
        # unknown method / alternative / estimand names
        (lambda: ex.power_proportions(0.1, 0.02, 100, alternative="two_sided"), "alternative must be one of"),
        (lambda: ex.sample_size_proportions(0.1, 0.02, test="exact"), "test must be one of 'pooled', 'unpooled'"),
        (lambda: ex.mde_proportions(0.1, 100, test="exact"), "test must be one of"),
        (lambda: ex.adjust_pvalues([0.1, 0.2], method="sidak"), "method must be one of 'holm', 'fdr_bh', 'bonferroni'"),
        (lambda: ex.bootstrap_mean_difference([1.0, 2.0], [2.0, 3.0], method="bc"), "method must be one of 'auto'"),
        (lambda: metrics.conversion_screen(pd.DataFrame(), [], method="bogus"), "method must be one of 'holm'"),
        (
            lambda: causal.balance_report(pd.DataFrame(), np.array([]), np.array([]), estimand="ATC"),
            "estimand must be one of 'ATE', 'ATT'",
        ),
        (
            lambda: causal.propensity_scores(np.array([0, 1]), pd.DataFrame({"x": [0.0, 1.0]}), link="cauchit"),
            "link must be one of 'logit', 'probit'",
        ),
        (lambda: causal.naive_difference(np.array([1.0, 0.0]), np.array([1, 1])), "both treated and untreated"),
        (
            lambda: causal.causal_conclusion(np.array([0.5]), [0.0], tolerated=1.5),
            r"tolerated must be a share in \[0, 1\)",
        ),
    ],
)
def test_invalid_parameters_raise_value_errors_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_mde_proportions_plans_a_decrease_with_alternative_smaller():
    d = ex.mde_proportions(0.3, 500, alternative="smaller")
    assert d < 0
    assert ex.power_proportions(0.3, d, 500, alternative="smaller") == pytest.approx(0.8, abs=1e-6)
    assert ex.mde_proportions(0.3, 500, alternative="larger") > 0


def test_mde_proportions_says_when_no_change_reaches_the_power():
    with pytest.raises(ValueError, match="increase n_control"):
        ex.mde_proportions(0.99, 2, power=0.99)


def test_validation_helpers():
    assert st.check_choice("a", "x", ("a", "b")) == "a"
    with pytest.raises(ValueError, match=r"x must be one of 'a', 'b', got \['a'\]"):
        st.check_choice(["a"], "x", ("a", "b"))  # unhashable values are not allowed values
    assert st.check_min_count(3.0, "n") == 3
    for bad in (2.5, True, float("nan"), "3"):
        with pytest.raises(ValueError, match="n must be a whole number"):
            st.check_min_count(bad, "n")
    assert st.check_positive(0, "x", allow_zero=True) == 0.0
    with pytest.raises(ValueError, match="x must be a finite number > 0"):
        st.check_positive(float("inf"), "x")
    assert st.resolve_confidence(0.05, None) == (pytest.approx(0.05), 0.95)
    assert st.resolve_confidence(0.05, 0.9)[1] == 0.9  # the default alpha yields to an explicit confidence
    assert st.resolve_confidence(0.01, None, default_alpha=0.01)[1] == 0.99


# ------------------------------------------------------------------------- compatibility
OLD_EXPERIMENTS = (
    "EffectResult SRMResult sample_size_proportions power_proportions mde_proportions sample_size_means mde_means "
    "srm_check two_proportions ratio_metric welch_test bootstrap_mean_difference cuped balance_check "
    "msprt_proportions adjust_pvalues segment_effects non_inferiority bayesian_proportions calibration_study "
    "binomial_rate score_test_proportions experiment_units daily_looks"
).split()


def test_every_public_name_stays_importable_from_its_module():
    for name in OLD_EXPERIMENTS:
        assert callable(getattr(ex, name)), name
    for name in metrics.__all__:
        assert hasattr(metrics, name), name
    assert metrics.Estimate is st.Estimate and metrics.proportion is st.proportion
    for module in (causal, sequential, calibration):
        assert all(hasattr(module, n) for n in module.__all__)


def test_stats_imports_nothing_above_it():
    for path in (PACKAGE / "stats").glob("*.py"):
        imports = re.findall(r"^from (\.+)(\w*)", path.read_text(), flags=re.M)
        assert all(dots == "." for dots, _ in imports), (path.name, imports)
