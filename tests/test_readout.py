"""The experiment's readout: decision rule, plan, sentences, monitoring, calibration table, results."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ecommerce_analytics import experiments as ex
from ecommerce_analytics import readout as ro
from ecommerce_analytics.run import Run
from ecommerce_analytics.sequential import group_sequential_design


def effect(estimate, low, high, p=0.01, **extra):
    return ex.EffectResult(estimate, low, high, p, 100, 100, "test", 0.2, 0.2 + estimate, 0.95, extra)


def srm(mismatch: bool):
    return ex.SRMResult(500, 500 if not mismatch else 600, 0.5, 0.5, 0.0, 1e-5 if mismatch else 0.5)


def guards(*verdicts):
    return pd.DataFrame(
        {"guardrail": ["average order value", "cart abandonment"][: len(verdicts)], "verdict": verdicts}
    )


# ------------------------------------------------------------------------------ decision rule
def test_ship_when_primary_positive_every_guardrail_passed_and_no_srm():
    d = ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("passed", "passed"), srm(False))
    assert d == ro.Decision("ship", "the primary metric's interval is above zero and every guardrail passed")


def test_do_not_ship_when_a_guardrail_failed_even_with_a_positive_primary():
    d = ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("passed", "failed"), srm(False))
    assert (d.decision, d.reason) == ("do not ship", "a guardrail shows harm or the primary metric is worse")


def test_do_not_ship_when_the_primary_metric_is_worse():
    d = ro.experiment_decision(effect(-0.02, -0.03, -0.01), guards("passed", "passed"), srm(False))
    assert d.decision == "do not ship"


def test_stop_for_srm_overrides_everything():
    d = ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("passed", "passed"), srm(True))
    assert d == ro.Decision("do not ship", "the sample ratio is off")
    # SRM is named even when a guardrail also failed
    assert ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("failed"), srm(True)).reason == (
        "the sample ratio is off"
    )


def test_inconclusive_names_the_unclear_guardrails():
    d = ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("inconclusive", "passed"), srm(False))
    assert d.decision == "inconclusive"
    assert d.reason.startswith("the primary metric improves, but average order value cannot yet be shown")


def test_inconclusive_when_the_primary_interval_includes_zero():
    d = ro.experiment_decision(effect(0.01, -0.01, 0.03), guards("passed", "passed"), srm(False))
    assert d == ro.Decision(
        "inconclusive", "the primary metric's interval includes zero: extend the test or accept the risk knowingly"
    )
    assert d.sentence() == f"**Decision: inconclusive**: {d.reason}."


def test_decision_rejects_unknown_verdicts_and_missing_columns():
    with pytest.raises(ValueError, match="verdict"):
        ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("ok"), srm(False))
    with pytest.raises(ValueError, match="guardrail"):
        ro.experiment_decision(effect(0.02, 0.01, 0.03), pd.DataFrame({"verdict": ["passed"]}), srm(False))


# ------------------------------------------------------- decision rule with revenue per session
def revenue(estimate, low, high, control=20.0):
    return ex.EffectResult(estimate, low, high, 0.5, 100, 100, "delta", control, control + estimate, 0.95, {})


def test_money_has_two_decimals_and_thousands_separators():
    assert ro.money(1234.567) == "1,234.57" and ro.money(-9.8267, signed=True) == "-9.83"
    assert ro.money(4.756, signed=True) == "+4.76"


def test_ship_needs_conversion_up_revenue_non_inferior_and_guardrails_passed():
    # revenue per session may drop by 2% of 20.00 = 0.40; its worst plausible change is -0.30
    d = ro.experiment_decision(
        effect(0.02, 0.01, 0.03), guards("passed", "passed"), srm(False), revenue(0.1, -0.3, 0.5), revenue_margin=0.02
    )
    assert d.decision == "ship"
    assert d.reason == (
        "conversion improves, revenue per session is at most 0.40 (2%) worse (20.00 vs 20.10 per session, "
        "95% CI of the change -0.30 to +0.50), and every guardrail passed"
    )
    gain = ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("passed"), srm(False), revenue(0.5, 0.2, 0.8))
    assert gain.decision == "ship" and gain.reason.startswith("conversion improves, revenue per session improves (")


def test_do_not_ship_when_revenue_per_session_is_worse_even_if_conversion_improves():
    d = ro.experiment_decision(
        effect(0.02, 0.01, 0.03), guards("passed", "passed"), srm(False), revenue(-1.0, -1.5, -0.5)
    )
    assert d == ro.Decision(
        "do not ship", "revenue per session is worse: 20.00 vs 19.00 per session, 95% CI of the change -1.50 to -0.50"
    )


def test_inconclusive_when_revenue_per_session_is_flat_beyond_the_margin():
    # the default run's case: conversion up, revenue per session flat with a wide interval, AOV unclear
    d = ro.experiment_decision(
        effect(0.023, 0.004, 0.042), guards("inconclusive", "passed"), srm(False), revenue(-0.01, -3.8, 3.78, 20.97)
    )
    assert d.decision == "inconclusive"
    assert d.reason == (
        "conversion improves by 2.3 pp, but revenue per session does not clearly move (20.97 vs 20.96 per session, "
        "95% CI of the change -3.80 to +3.78), so a drop of more than 0.42 (2% of control's) cannot be ruled out; "
        "average order value cannot yet be shown to stay within its margin: extend the test until this is resolved, "
        "or decide knowingly"
    )
    # a wider margin lets revenue pass; the unclear guardrail alone keeps it inconclusive
    wide = ro.experiment_decision(
        effect(0.023, 0.004, 0.042), guards("inconclusive"), srm(False), revenue(-0.01, -3.8, 3.78, 20.97),
        revenue_margin=0.2,
    )  # fmt: skip
    assert wide.reason.startswith("conversion improves by 2.3 pp, but average order value cannot yet be shown")
    both = ro.experiment_decision(
        effect(0.023, 0.004, 0.042), guards("inconclusive", "inconclusive"), srm(False), revenue(0.0, -0.1, 0.1)
    )
    assert both.reason == (
        "conversion improves by 2.3 pp, but average order value, cart abandonment cannot yet be shown to stay within "
        "their margins: extend the test until this is resolved, or decide knowingly"
    )


def test_inconclusive_when_conversion_is_unclear_even_if_revenue_holds():
    d = ro.experiment_decision(effect(0.01, -0.01, 0.03), guards("passed"), srm(False), revenue(0.5, 0.2, 0.8))
    assert d == ro.Decision(
        "inconclusive",
        "conversion's interval includes zero: extend the test until this is resolved, or decide knowingly",
    )


def test_revenue_rule_keeps_srm_and_guardrail_vetoes_and_validates_the_margin():
    up = revenue(0.5, 0.2, 0.8)
    assert ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("passed"), srm(True), up).reason == (
        "the sample ratio is off"
    )
    failed = ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("failed"), srm(False), up)
    assert failed == ro.Decision("do not ship", "a guardrail shows harm or conversion is worse")
    with pytest.raises(ValueError, match="revenue_margin"):
        ro.experiment_decision(effect(0.02, 0.01, 0.03), guards("passed"), srm(False), up, revenue_margin=0)


def test_revenue_sentence_explains_a_flat_revenue_and_the_missing_truth():
    r = ex.EffectResult(-0.01, -3.8, 3.78, 0.99, 100, 100, "delta", 20.97, 20.96, 0.95, {"relative_lift": -0.0004})
    u = ex.EffectResult(-0.05, -6.39, 6.3, 0.99, 100, 100, "delta", 34.55, 34.5, 0.95, {"relative_lift": -0.001})
    text = ro.revenue_sentence(r, u, effect(0.023, 0.004, 0.042), aov=(98.88, 89.06), true_absolute_lift=0.024)
    assert text.startswith(
        "**Decision metric: revenue per session** 20.97 (control) vs 20.96 (treatment), **-0.01** "
        "(95% CI -3.80 to +3.78), relative -0.0%; revenue per user 34.55 vs 34.50, -0.05 (95% CI -6.39 to +6.30)."
    )
    assert "its orders are smaller (average order value 98.88 vs 89.06)" in text
    assert text.endswith("The simulator plants a conversion lift (+2.4 pp on these sessions) and no revenue effect "
                         "of its own, so revenue per session has no stated truth to check against.")  # fmt: skip
    lower = ex.EffectResult(-2.0, -3.0, -1.0, 0.01, 100, 100, "delta", 21.0, 19.0, 0.95, {"relative_lift": -0.095})
    assert "Revenue per session is **lower** in treatment." in ro.revenue_sentence(lower, u, effect(0.02, 0.01, 0.03))


# -------------------------------------------------------------------------------------- plan
def test_planned_looks_weekly_and_last():
    assert ro.planned_looks(28).tolist() == [6, 13, 20, 27]
    assert ro.planned_looks(15).tolist() == [6, 13, 14]
    assert ro.planned_looks(5, every=2).tolist() == [1, 3, 4]
    with pytest.raises(ValueError, match="n_days"):
        ro.planned_looks(0)
    with pytest.raises(ValueError, match="every"):
        ro.planned_looks(5, every=0)


def _units():
    # control: 20 purchases over 100 sessions (rate 0.2); treatment: 30 over 100
    return pd.DataFrame(
        {
            "variant": ["control"] * 50 + ["treatment"] * 50,
            "sessions": [2] * 100,
            "purchases": [1] * 20 + [0] * 30 + [1] * 30 + [0] * 20,
        }
    )


def _looks(days=14):
    n = np.arange(1, days + 1) * 10
    return pd.DataFrame(
        {
            "day": [f"2025-01-{d:02d}" for d in range(1, days + 1)],
            "n_control": n,
            "n_treatment": n,
            "x_control": n // 5,
            "x_treatment": n // 4,
        }
    )


def test_plan_experiment_uses_control_rate_and_weekly_fractions():
    plan = ro.plan_experiment(_units(), _looks(14), relative_lift=0.5)
    assert (plan.users, plan.sessions) == (100, 200)
    assert plan.control_rate == pytest.approx(0.2)
    assert plan.look_index == (6, 13)
    assert plan.design.information_fractions == pytest.approx((0.5, 1.0))
    assert plan.needed_per_arm == ex.sample_size_proportions(0.2, 0.1)[0]
    assert plan.mde_abs == pytest.approx(ex.mde_proportions(0.2, 50))
    assert plan.table().columns.tolist()[:3] == ["look", "information_fraction", "z_boundary"]
    assert plan.sentence().startswith("**Design.** 100 users, 200 sessions. With a control conversion of 20.0%")
    assert "2 looks at information fractions 0.50, 1.00" in plan.plan_sentence()


def test_plan_experiment_validates():
    with pytest.raises(ValueError, match="alpha"):
        ro.plan_experiment(_units(), _looks(), relative_lift=0.5, alpha=1.5)
    with pytest.raises(ValueError, match="relative_lift"):
        ro.plan_experiment(_units(), _looks(), relative_lift=0.0)


# --------------------------------------------------------------------------------- sentences
def test_validity_sentence_flags_a_mismatch():
    balance = {"mean_control": 1.0, "mean_treatment": 1.1, "smd": 0.05, "p_value": 0.3}
    ok = ro.validity_sentence(srm(False), balance)
    assert "no mismatch (threshold p < 0.001). Pre-period purchases per user: 1.000 vs 1.100" in ok
    assert "(standardized difference +0.050, p = 0.30)." in ok
    assert "**mismatch: stop and debug" in ro.validity_sentence(srm(True), balance)


def test_primary_sentence_says_whether_the_interval_covers_the_truth():
    p = effect(0.02, 0.01, 0.03, relative_lift=0.1, relative_ci_low=0.05, relative_ci_high=0.15)
    assert "**+2.0 pp** (95% CI +1.0 pp to +3.0 pp, p = 0.01); relative 10.0% (95% CI 5.0% to 15.0%)." in (
        ro.primary_sentence(p)
    )
    assert ro.primary_sentence(p, 0.025).endswith("is +2.5 pp: the interval **covers** it.")
    assert ro.primary_sentence(p, 0.04).endswith("**misses** it (it will, about 5% of the time).")
    assert "true lift" not in ro.primary_sentence(p)


def test_secondary_and_cuped_sentences():
    u = effect(0.03, 0.01, 0.05, p=0.02)
    assert ro.secondary_sentence(u) == (
        "Secondary, share of users who buy at least once: 20.0% vs 23.0%, +3.0 pp (95% CI +1.0 pp to +5.0 pp, p = 0.02)."
    )
    raw = effect(0.04, 0.0, 0.08)
    adjusted = effect(0.04, 0.01, 0.07, theta=0.1, correlation=0.3, variance_reduction=0.25)
    text = ro.cuped_sentence(raw, adjusted)
    assert "(θ = 0.100, correlation 0.30): variance of the estimate reduced by **25.0%**" in text
    assert "[+0.0000, +0.0800] (width 0.0800) to [+0.0100, +0.0700] (width 0.0600)." in text


def test_segments_and_bayes_sentences():
    none = pd.DataFrame({"heterogeneous_family": [False, False, False]})
    assert "3 comparisons" in ro.segments_sentence(none)
    assert "**no segment's effect differs**" in ro.segments_sentence(none)
    assert ro.segments_sentence(none, simulated=False).endswith("no segment's effect differs after correction.")
    some = pd.DataFrame({"heterogeneous_family": [True, True, False]})
    assert ro.segments_sentence(some).endswith("2 show a different effect.")
    b = {"prob_treatment_better": 0.987, "expected_loss_ship_treatment": 0.0, "expected_loss_keep_control": 0.0283}
    assert "P(treatment better) = **98.7%**; expected loss of shipping it +0.00 pp vs +2.83 pp" in ro.bayes_sentence(b)


# -------------------------------------------------------------------------------- guardrails
def _arm(revenue, purchases, carts, abandoned):
    return pd.DataFrame({"revenue": revenue, "purchases": purchases, "carts": carts, "abandoned": abandoned})


def test_guardrails_table_margins_and_verdicts():
    rng = np.random.default_rng(0)
    n = 400
    purchases = rng.integers(1, 3, n)
    control = _arm(purchases * rng.normal(100, 10, n), purchases, np.full(n, 2), rng.integers(0, 2, n))
    treatment = _arm(purchases * rng.normal(100, 10, n), purchases, np.full(n, 2), np.zeros(n, int))
    g = ro.guardrails(control, treatment, aov_margin=0.05, abandonment_margin=0.02)
    t = g.table.set_index("guardrail")
    assert t.index.tolist() == ["average order value", "cart abandonment"]
    aov_control = control.revenue.sum() / control.purchases.sum()
    assert t.loc["average order value", "control"] == pytest.approx(aov_control)
    assert t.loc["average order value", "margin"] == pytest.approx(0.05 * aov_control)
    assert t.loc["cart abandonment", "margin"] == pytest.approx(0.02)
    # treatment abandons nothing: abandonment drops, so its worst plausible rise is below zero
    assert t.loc["cart abandonment", "verdict"] == "passed"
    assert t.loc["cart abandonment", "treatment"] == 0.0
    assert g.sentence().startswith(f"**Guardrails** (non-inferiority: {g.convention}): average order value ")
    with pytest.raises(ValueError, match="aov_margin"):
        ro.guardrails(control, treatment, aov_margin=0)


def test_guardrails_sentence_and_display_use_human_numbers():
    table = pd.DataFrame(
        [
            {"guardrail": "average order value", "control": 98.8829, "treatment": 89.0562, "difference": -9.8267,
             "ci_low": -24.4094, "ci_high": 4.7559, "worst_plausible": -24.4094, "margin": 4.9441,
             "verdict": "inconclusive"},
            {"guardrail": "cart abandonment", "control": 0.6514, "treatment": 0.6118, "difference": -0.0396,
             "ci_low": -0.0677, "ci_high": -0.0114, "worst_plausible": -0.0114, "margin": 0.02, "verdict": "passed"},
        ]
    )  # fmt: skip
    g = ro.Guardrails(table, "conv")
    assert g.sentence() == (
        "**Guardrails** (non-inferiority: conv): average order value 98.88 (control) vs 89.06 (treatment) per order, "
        "-9.83 (95% CI -24.41 to +4.76); worst plausible -24.41 against a margin of -4.94: **inconclusive**; cart "
        "abandonment 65.1% (control) vs 61.2% (treatment), -4.0 pp (95% CI -6.8 pp to -1.1 pp); worst plausible "
        "-1.1 pp against a margin of +2.0 pp: **passed**."
    )
    shown = g.display()
    assert shown.columns.tolist() == [
        "guardrail", "control", "treatment", "difference", "95% CI", "margin (worst allowed)", "verdict"
    ]  # fmt: skip
    assert shown.iloc[0].tolist() == [
        "average order value (per order)", "98.88", "89.06", "-9.83", "-24.41 to +4.76", "-4.94", "inconclusive"
    ]  # fmt: skip
    assert shown.iloc[1, 4] == "-6.8 pp to -1.1 pp"


def test_guardrails_sentence_formats_an_unknown_guardrail_plainly():
    table = pd.DataFrame(
        [
            {"guardrail": "aov", "control": 10.0, "treatment": 9.0, "difference": -1.0, "ci_low": -2.0, "ci_high": 0.5,
             "worst_plausible": -2.0, "margin": 5.0, "verdict": "passed"}
        ]
    )  # fmt: skip
    assert ro.Guardrails(table, "conv").sentence() == (
        "**Guardrails** (non-inferiority: conv): aov 10 (control) vs 9 (treatment), -1 (95% CI -2 to +0.5); worst "
        "plausible -2 against a margin of -5: **passed**."
    )


# -------------------------------------------------------------------------------- monitoring
def _monitoring(z, p):
    looks = _looks(4)
    design = group_sequential_design(information_fractions=[0.5, 1.0], alpha=0.05, power=0.8)
    seq = pd.DataFrame({"z_p_value": p, "always_valid_p": [0.9, 0.5, 0.2, 0.1], "reject": [False] * 4})
    return ro.Monitoring(looks, seq, np.asarray(z, float), (1, 3), design, 0.05)


def test_monitoring_stops_at_the_first_planned_look_that_crosses():
    m = _monitoring([0.0, 0.5, 1.0, 5.0], [0.5, 0.04, 0.03, 0.001])
    assert m.stop_look == 2
    assert m.thresholds().index.tolist() == ["2025-01-02", "2025-01-04"]
    assert m.thresholds().tolist() == pytest.approx(list(m.design.nominal_alpha))
    text = m.sentence()
    assert "the naive test first dips below 5% on 2025-01-02 (3 days in all)" in text
    assert "ends at 0.1 and never crosses 5%." in text
    assert text.endswith("stops for efficacy at look 2 (2025-01-04).")
    d = m.to_dict()
    assert d["days"] == 4 and d["naive_days_below_alpha"] == 3 and d["group_sequential_stop_look"] == 2
    assert d["final_always_valid_p"] == 0.1 and d["sequential_rejects"] is False


def test_monitoring_without_a_stop():
    m = _monitoring([0.0, 0.5, 1.0, 1.5], [0.5, 0.6, 0.7, 0.2])
    assert m.stop_look is None
    assert "first dips below 5% on no day (0 days in all)" in m.sentence()
    assert m.sentence().endswith("does not stop early and is read at the end.")


def test_monitor_computes_the_sequential_frame_and_z():
    looks = _looks(14)
    plan = ro.plan_experiment(_units(), looks, relative_lift=0.5)
    m = ro.monitor(looks, plan, alpha=0.05)
    assert len(m.sequential) == 14 and m.look_index == (6, 13)
    z = ex.score_test_proportions(looks.x_control, looks.n_control, looks.x_treatment, looks.n_treatment)["z"]
    assert m.z == pytest.approx(np.asarray(z))
    with pytest.raises(ValueError, match="alpha"):
        ro.monitor(looks, plan, alpha=0)


# ---------------------------------------------------------------------------------- segments
def test_segment_table_corrects_over_the_whole_family():
    rng = np.random.default_rng(1)
    n = 600
    units = pd.DataFrame(
        {
            "variant": rng.choice(["control", "treatment"], n),
            "converted": rng.integers(0, 2, n),
            "one": 1,
            "income_level": rng.choice(["Low", "High"], n),
            "gender": rng.choice(["F", "M"], n),
            "age": rng.choice([20, 30, 40], n),
        }
    )
    segs = ro.segment_table(units)
    assert segs.segment.tolist() == ["income_level"] * 2 + ["age_group"] * 3 + ["gender"] * 2
    expected = ex.adjust_pvalues(segs.p_value, method="holm").p_adjusted
    assert segs.p_adjusted_family.tolist() == pytest.approx(expected.tolist())
    with pytest.raises(ValueError, match="method"):
        ro.segment_table(units, method="sidak")
    with pytest.raises(ValueError, match="segments"):
        ro.segment_table(units, segments=("region",))


# ----------------------------------------------------------------------------------- readout
def test_read_out_is_none_without_an_experiment():
    assert ro.read_out(pd.DataFrame(), None) is None
    assert ro.read_out(pd.DataFrame(), NS(assignments=pd.DataFrame())) is None
    with pytest.raises(ValueError, match="alpha"):
        ro.read_out(pd.DataFrame(), None, alpha=2)


def test_read_out_on_a_simulation(small_sim):
    r = ro.read_out(small_sim.sessions, small_sim)
    d = r.to_dict()
    assert set(d) == {
        "users", "srm", "pre_period_balance", "mde_abs", "primary_session_conversion", "user_conversion",
        "true_absolute_lift", "true_relative_lift", "ci_covers_truth", "guardrails", "cuped",
        "raw_purchases_per_user", "sequential", "segments", "bayes", "decision", "decision_reason",
        "revenue_per_session", "revenue_per_user", "revenue_margin",
    }  # fmt: skip
    assert d["users"] == len(r.units) == r.units.user_id.nunique()
    assert d["srm"]["n_control"] + d["srm"]["n_treatment"] == d["users"]
    expected = ro.experiment_decision(r.primary, r.guardrails.table, r.srm, r.revenue_per_session)
    assert (d["decision"], d["decision_reason"]) == (expected.decision, expected.reason)
    # revenue per session: revenue over sessions, users as units, by arm
    c = r.units[r.units.variant == "control"]
    assert d["revenue_per_session"]["control"] == pytest.approx(c.revenue.sum() / c.sessions.sum())
    assert d["revenue_per_user"]["control"] == pytest.approx(c.revenue.mean())
    assert d["revenue_per_session"]["method"] == "delta method (ratio of means)" and d["revenue_margin"] == 0.02
    assert r.revenue_sentence().startswith("**Decision metric: revenue per session**")
    with pytest.raises(ValueError, match="revenue_margin"):
        ro.read_out(small_sim.sessions, small_sim, revenue_margin=1.5)
    assert d["true_absolute_lift"] == small_sim.truth.experiment["absolute_lift"]
    assert d["ci_covers_truth"] == (r.primary.ci_low <= r.true_absolute_lift <= r.primary.ci_high)


# ------------------------------------------------------------------------------- calibration
def _rate(e, lo, hi):
    return {"estimate": e, "ci_low": lo, "ci_high": hi}


def _checks(*consistent):
    return pd.DataFrame(
        [
            {"check": f"c{i}", "estimate": 0.95, "ci_low": 0.94, "ci_high": 0.96, "nominal": 0.95, "consistent": c,
             "n_sims": 100, "setting": "s"}
            for i, c in enumerate(consistent)
        ]
    )  # fmt: skip


def test_calibration_table_targets_by_field():
    aa = {
        "rejection_rate": _rate(0.07, 0.06, 0.08),  # interval misses 5%
        "peeking_rejection_rate": _rate(0.05, 0.04, 0.06),  # not above alpha: not as expected
        "sequential_rejection_rate": _rate(0.05, 0.04, 0.06),  # at most alpha: as expected
    }
    ab = {"ci_coverage": _rate(0.95, 0.94, 0.96)}
    table = ro.calibration_table(aa, ab, _checks(True, False))
    assert table.columns.tolist() == ["check", "estimate", "ci_low", "ci_high", "nominal", "within_target"]
    assert table.check.tolist()[:4] == [label for _, _, label, _ in ro.LEGACY_CHECKS]
    assert table.within_target.tolist() == [False, True, False, True, True, False]
    assert table.nominal.tolist()[:2] == [0.05, 0.95] and table.nominal.iloc[2:4].isna().all()


def test_calibration_report_sentence_uses_the_design_power():
    design = {"boundaries": [stats.norm.ppf(0.975)], "information_fractions": [1.0]}
    common = {"n_sims": 1000, "n_per_arm": 5000, "looks": 20, "gs_looks": 1, "p_control": 0.2,
              "group_sequential_design": design}  # fmt: skip
    aa = {**common, "lift": 0.0, **{k: _rate(0.05, 0.04, 0.06) for k in (
        "rejection_rate", "peeking_rejection_rate", "sequential_rejection_rate", "group_sequential_rejection_rate")}}  # fmt: skip
    ab = {**common, "lift": 0.02, **{k: _rate(0.7, 0.68, 0.72) for k in (
        "rejection_rate", "ci_coverage", "sequential_rejection_rate", "group_sequential_rejection_rate")}}  # fmt: skip
    report = ro.CalibrationReport(aa, ab, _checks(True), ro.calibration_table(aa, ab, _checks(True)))
    # one look at 1.96: the power of the fixed-horizon pooled z-test, 0.2 -> 0.22 at 5,000 per arm
    se0, se1 = np.sqrt(2 * 0.21 * 0.79 / 5000), np.sqrt((0.2 * 0.8 + 0.22 * 0.78) / 5000)
    power = stats.norm.sf(1.96 * se0 / se1 - 0.02 / se1) + stats.norm.cdf(-1.96 * se0 / se1 - 0.02 / se1)
    text = report.sentence()
    assert f"(design: {100 * power:.1f}%)" in text
    assert text.startswith("1,000 A/A and 1,000 A/B tests, 5,000 users per arm over 20 looks, control rate 20%")
    assert text.endswith("3 of 5 checks as expected.")  # peeking at 5% is not above alpha; the A/B coverage misses
    assert set(report.to_dict()) == {"aa", "ab", "table", "checks"}


def test_calibration_report_validates():
    with pytest.raises(ValueError, match="n_sims"):
        ro.calibration_report(n_sims=10)
    with pytest.raises(ValueError, match="alpha"):
        ro.calibration_report(alpha=0)
    with pytest.raises(ValueError, match="seeds"):
        ro.calibration_report(seeds=(1, 2))


# ----------------------------------------------------------------------------------- results
def test_testing_results_round_trip(tmp_path: Path):
    results = ro.TestingResults(
        experiment=None,
        observational={"discount_contrast": "any discount vs none"},
        calibration={"aa": {"n_sims": 10}},
        decisions=pd.DataFrame([{"test": "t", "decision": "inconclusive", "why": "w"}]),
    )
    assert ro.TestingResults.NOTEBOOK == "04_ab_testing_causal_inference" and ro.TestingResults.VERSION == 2
    assert [f.name for f in dataclasses.fields(results)] == ["experiment", "observational", "calibration", "decisions"]
    assert "experiment" not in results.to_dict()  # no experiment: the key is left out, as before
    run = Run(reports_root=tmp_path)
    results.save(run)
    back = ro.TestingResults.load(run)
    assert back.decisions == [{"test": "t", "decision": "inconclusive", "why": "w"}]
    assert back.experiment is None and back.calibration == {"aa": {"n_sims": 10}}
    with_experiment = dataclasses.replace(results, experiment={"decision": "ship"})
    assert with_experiment.to_dict()["experiment"] == {"decision": "ship"}
    with_experiment.save(run)
    assert ro.TestingResults.load(run).experiment == {"decision": "ship"}


def test_calibration_report_reuses_a_study_of_the_same_code_and_settings(tmp_path, monkeypatch):
    settings = dict(alpha=0.05, n_sims=200, bootstrap_sims=0, seeds=(1, 2, 3))
    fresh = ro.calibration_report(**settings)
    first = ro.calibration_report(**settings, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("calibration-*.json"))) == 1
    # The stored study is the computed one, to the bit.
    assert first.table.equals(fresh.table) and first.sentence() == fresh.sentence() and first.aa == fresh.aa

    def refuse(*args, **kwargs):
        raise AssertionError("the study was recomputed")

    monkeypatch.setattr(ro.ex, "calibration_study", refuse)
    again = ro.calibration_report(**settings, cache_dir=tmp_path)
    assert again.table.equals(fresh.table) and again.checks.equals(first.checks)
    # Other settings are another study: computed, never read from the file.
    with pytest.raises(AssertionError, match="recomputed"):
        ro.calibration_report(**{**settings, "seeds": (1, 2, 4)}, cache_dir=tmp_path)
    # Changed code is another study too: the key covers the modules' source.
    monkeypatch.setattr(ro, "_STUDY_SOURCES", (*ro._STUDY_SOURCES, "treatments.py"))
    with pytest.raises(AssertionError, match="recomputed"):
        ro.calibration_report(**settings, cache_dir=tmp_path)
