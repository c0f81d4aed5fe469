"""Readouts of the segmentation report (notebook 02) on small cases whose answers are known by hand."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import paths, precision
from ecommerce_analytics import segmentation as seg
from ecommerce_analytics.metrics import rate_difference
from ecommerce_analytics.reporting import NotebookResults
from ecommerce_analytics.run import Run


def _sessions() -> pd.DataFrame:
    """Three customers: a (2 sessions), b (1), c (1); two purchases of four."""
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "c"],
            "pages_visited": [2, 8, 4, 1],
            "time_spent": [60, 240, 40, 10],
            "price": [10.0, 40.0, 20.0, 5.0],
            "age": [30, 30, 50, 70],
            "purchase_decision": [0, 1, 1, 0],
        }
    )


# ------------------------------------------------------------------------- customer base
def test_customer_base_counts_and_sentence():
    base = seg.customer_base(_sessions())
    assert base.overall == 0.5 and base.sessions_per_customer == pytest.approx(4 / 3)
    assert base.personas is None and base.offer_effect is None
    assert base.sentence("toy") == (
        "Source: **toy**: 3 customers with 4 sessions (1.33 per customer; 33.3% of customers have more than one)."
    )


def test_customer_base_reads_personas_and_offer_effects_from_the_truth():
    truth = SimpleNamespace(
        users=pd.DataFrame({"user_id": ["c", "b", "a"], "persona": ["z", "y", "x"]}),
        sessions=pd.DataFrame({"p_if_offered": [0.5, 0.6, 0.7, 0.8], "p_if_not_offered": [0.4, 0.4, 0.7, 0.9]}),
    )
    base = seg.customer_base(_sessions(), truth=truth)
    assert base.personas.to_dict() == {"a": "x", "b": "y", "c": "z"}  # aligned with the customers
    assert base.offer_effect.round(6).tolist() == [0.1, 0.2, 0.0, -0.1]
    with pytest.raises(ValueError, match="truth must be a SimulationTruth"):
        seg.customer_base(_sessions(), truth=object())
    with pytest.raises(ValueError, match="at least one session"):
        seg.customer_base(_sessions().iloc[:0])


# ------------------------------------------------------------------------------- k choice
def _three_blobs(per: int = 30) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    x = np.repeat([[0, 0], [8, 0], [0, 8]], per, axis=0) + rng.normal(size=(3 * per, 2))
    frame = pd.DataFrame(x, columns=["a", "b"], index=[f"u{i}" for i in range(3 * per)])
    return frame, pd.Series(np.repeat(["p", "q", "r"], per), index=frame.index)


def test_k_readout_scores_every_k_against_the_personas():
    frame, personas = _three_blobs()
    model = seg.Segmenter(features=["a", "b"], k_range=range(2, 6), n_boot=0).fit(frame)
    readout = seg.k_readout(model, frame, personas.sample(frac=1, random_state=1))  # order does not matter
    assert readout.table.k.tolist() == [2, 3, 4, 5] and readout.n_personas == 3
    agreement = readout.persona_agreement()
    assert agreement == {"chosen_k": 1.0, "best": 1.0, "best_k": 3, "true_personas": 3}
    assert readout.table.ari_vs_personas.iloc[0] < 1.0  # two segments cannot match three personas
    assert "Against the simulator's 3 true personas" in readout.sentence()
    assert readout.to_dict()["chosen"] == 3 and readout.to_dict()["table"] is readout.table


def test_k_readout_without_personas_and_its_errors():
    frame, personas = _three_blobs()
    model = seg.Segmenter(features=["a", "b"], k_range=range(2, 6), n_boot=0).fit(frame)
    readout = seg.k_readout(model, frame)
    assert readout.persona_agreement() is None and "ari_vs_personas" not in readout.table.columns
    assert readout.sentence() == f"Chosen **k = 3**: {readout.choice.rule}."
    fixed = seg.Segmenter(n_clusters=3, features=["a", "b"], n_boot=0).fit(frame)
    with pytest.raises(ValueError, match="n_clusters='auto'"):
        seg.k_readout(fixed, frame)
    with pytest.raises(ValueError, match="no persona for 2 customer"):
        seg.k_readout(model, frame, personas.iloc[2:])
    with pytest.raises(ValueError, match="fitted Segmenter"):
        seg.k_readout("model", frame)


def test_persona_agreement_picks_the_best_k_by_hand():
    table = pd.DataFrame({"k": [2, 3, 4], "ari_vs_personas": [0.3, 0.4, 0.7]})
    choice = seg.KChoice(table[["k"]], 3, 2, 3, "rule")
    assert seg.KReadout(choice, table, 5).persona_agreement() == {
        "chosen_k": 0.4,
        "best": 0.7,
        "best_k": 4,
        "true_personas": 5,
    }


# ------------------------------------------------------------------------------ stability
def test_stability_readout_percentiles_by_hand():
    stability = pd.DataFrame({"resample": range(5), "ari": [0.0, 0.25, 0.5, 0.75, 1.0]})
    readout = seg.StabilityReadout(stability, held_out=7, new_customer_ari=0.9)
    # numpy's linear percentile: 2.5% of the way through 4 gaps is 0.1 gap = 0.025.
    assert readout.to_dict() == pytest.approx({"mean": 0.5, "p2_5": 0.025, "p97_5": 0.975, "resamples": 5})
    wide = seg.StabilityReadout(stability, 7, 0.9, alpha=0.5)
    assert set(wide.to_dict()) == {"mean", "p25", "p75", "resamples"} and wide.interval == (0.25, 0.75)
    assert "(25th to 75th percentile 0.25 to 0.75)" in wide.sentence()
    assert "Fitted without 7 randomly held-out customers" in readout.sentence()


def test_stability_readout_holds_out_customers_and_validates():
    frame, _ = _three_blobs(40)
    model = seg.Segmenter(n_clusters=3, features=["a", "b"], n_boot=2).fit(frame)
    readout = seg.stability_readout(model, frame, holdout=0.25)
    assert readout.held_out == 30 and readout.new_customer_ari == 1.0 and len(readout.stability) == 2
    with pytest.raises(ValueError, match="holdout must be a share in"):
        seg.stability_readout(model, frame, holdout=1.5)
    with pytest.raises(ValueError, match="alpha must be in"):
        seg.stability_readout(model, frame, alpha=0)
    no_boot = seg.Segmenter(n_clusters=3, features=["a", "b"], n_boot=0).fit(frame)
    with pytest.raises(ValueError, match="n_boot=0"):
        seg.stability_readout(no_boot, frame)


# ------------------------------------------------------------------------------- profiles
def test_centroid_table_names_rows_and_columns():
    centroids = pd.DataFrame({"log_pages": [0.5, -0.5], "age": [1.0, -1.0], "spend": [0.0, 0.1]})
    table = seg.centroid_table(centroids, ["Old", "Young"], labels={"spend": ("money", "rich", "poor")})
    assert list(table.index) == ["Old", "Young"] and list(table.columns) == ["pages per session", "age", "money"]
    assert table.loc["Young", "age"] == -1.0
    with pytest.raises(ValueError, match="one name per centroid"):
        seg.centroid_table(centroids, ["Old"])


def _profiles() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": [0, 1, 2],
            "name": ["Keen", "Cold", "Middling"],
            "sessions": [100, 200, 100],
            "share": [0.25, 0.5, 0.25],
            "conversion": [0.4, 0.1, 0.21],
            "ci_low": [0.31, 0.07, 0.14],
            "ci_high": [0.5, 0.15, 0.3],
        }
    )


def test_profile_readout_finds_best_worst_and_segments_apart():
    readout = seg.profile_readout(_profiles(), 0.2)
    assert readout.apart == 2  # Middling's interval holds 0.2
    text = readout.sentence()
    assert text.startswith("**Keen** convert best (40.0%, 95% CI 31.0% to 50.0%; 25.0% of customers)")
    assert "**Cold** worst (10.0%" in text and text.endswith(
        "2 of 3 segments have an interval that excludes the overall rate (20.0%)."
    )
    with pytest.raises(ValueError, match="'conversion'"):
        seg.profile_readout(_profiles().drop(columns="conversion"), 0.2)
    with pytest.raises(ValueError, match="overall must be a rate"):
        seg.profile_readout(_profiles(), 1.5)


def test_persona_readout_shares_by_hand():
    data = pd.DataFrame({"spend": [1.0, 1.1, 0.9, 1.0, 9.0, 9.1]}, index=list("abcdef"))
    model = seg.Segmenter(n_clusters=2, features=["spend"], n_boot=0).fit(data)
    personas = pd.Series(["x", "x", "x", "y", "y", "y"], index=list("fedcba"))  # reversed: d, e, f are x
    readout = seg.persona_readout(model, personas)
    # x = {d, e, f}: d is low, e and f are high; y = {a, b, c}: all low.
    assert readout.crosstab.loc["x"].round(4).to_dict() == {"High spend": 0.6667, "Low spend": 0.3333}
    assert readout.crosstab.loc["y"].to_dict() == {"High spend": 0.0, "Low spend": 1.0}
    assert readout.sentence() == "Share of each persona's customers in its most common segment: x 66.7%, y 100.0%."
    nothing = seg.persona_readout(model, None)
    assert nothing.crosstab is None and nothing.purity is None and "only the simulator has" in nothing.sentence()


# ------------------------------------------------------------------------------------ RFM
def _rfm(frequency) -> pd.DataFrame:
    n = len(frequency)
    return pd.DataFrame(
        {
            "rfm_segment": ["Champions"] + ["Promising"] * (n - 1),
            "R": [5] * n,
            "F": [min(5, f) for f in frequency],
            "recency_days": [1.0] * n,
            "frequency": frequency,
            "monetary": [100.0] + [10.0] * (n - 1),
        }
    )


def test_rfm_groups_by_hand():
    groups = seg.rfm_groups(_rfm([6, 1, 2]))
    assert list(groups.index) == ["Promising", "Champions"]  # largest first
    assert groups.loc["Promising"].to_dict() == pytest.approx(
        {
            "customers": 2,
            "avg_recency_days": 1.0,
            "avg_sessions": 1.5,
            "avg_revenue": 10.0,
            "buyers": 1.0,
            "share": 2 / 3,
        }
    )


def test_rfm_explains_groups_without_buyers():
    rfm = pd.DataFrame(
        {
            "rfm_segment": ["Promising", "Promising", "At risk", "Big spenders", "Champions"],
            "R": [3, 3, 1, 3, 5],
            "F": [1, 1, 3, 1, 5],
            "M": [1, 1, 1, 4, 5],
            "recency_days": [1.0, 2.0, 40.0, 3.0, 0.0],
            "frequency": [1, 1, 2, 1, 3],
            "monetary": [0.0, 0.0, 0.0, 20.0, 60.0],
        }
    )
    readout = seg.RfmReadout(rfm, seg.rfm_groups(rfm))
    assert readout.groups.buyers.to_dict() == {"Promising": 0.0, "At risk": 0.0, "Big spenders": 1.0, "Champions": 1.0}
    text = readout.no_buyer_sentence()
    assert text.startswith(" Promising and At risk hold no buyer (revenue 0): 60.0% of customers have not bought")
    assert "scores M = 4 or more" in text and text in readout.sentence()
    table = readout.formatted().set_index("RFM group")
    assert table.loc["At risk"].tolist() == ["1", "40.0 days", "2.00", "0.00", "0.0%", "20.0%"]
    everyone_bought = rfm.assign(monetary=[1.0, 2.0, 3.0, 20.0, 60.0])
    assert seg.RfmReadout(everyone_bought, seg.rfm_groups(everyone_bought)).no_buyer_sentence() == ""
    with pytest.raises(ValueError, match="'monetary'"):
        seg.rfm_groups(_rfm([1, 2]).drop(columns="monetary"))


def test_rfm_sentence_maps_frequency_to_scores():
    rfm = _rfm([7, 1, 2, 3, 4, 5, 6])
    text = seg.RfmReadout(rfm, seg.rfm_groups(rfm)).sentence()
    assert text.startswith("The largest RFM group is **Promising** (85.7% of customers). Champions average 100 ")
    assert "against 22.86 for all customers" in text  # (100 + 6 x 10) / 7
    assert text.endswith("1 → F = 1, 2 → F = 2, 3 → F = 3, 4 → F = 4, 5 or more → F = 5.")
    single = _rfm([1, 1])
    assert "frequency carries no information" in seg.RfmReadout(single, seg.rfm_groups(single)).sentence()


# ---------------------------------------------------------------------------- demographics
def test_demographic_screen_pools_small_locations_and_reports_hits():
    n = 400
    sessions = pd.DataFrame(
        {
            "age": np.tile([20, 70], n // 2),
            "gender": np.repeat(["F", "M"], n // 2),
            "income_level": "Medium",
            "location": ["A"] * 200 + ["B"] * 150 + ["C"] * 50,
            "purchase_decision": np.tile([0, 1], n // 2),  # the 70-year-olds buy, the 20-year-olds never do
        }
    )
    demo = seg.demographic_screen(sessions, top_locations=2)
    screen = demo.screen
    assert screen[screen.variable == "top_location"].level.tolist() == ["A", "B", "other"]
    assert demo.hits[["variable", "level"]].values.tolist() == [["age_group", "18-24"], ["age_group", "65+"]]
    result = demo.to_dict()
    assert result["levels_tested"] == len(screen) == 8 and result["significant_after_holm"] == 2
    assert list(result["significant_levels"].columns) == [
        "variable",
        "level",
        "rate",
        "ci_low",
        "ci_high",
        "p_adjusted",
    ]
    assert demo.sentence().startswith("2 of 8 demographic levels differ from the rest after correction: ")
    assert "age_group = 65+ (100.0% vs 0.0%)" in demo.sentence()
    with pytest.raises(ValueError, match="top_locations must be an integer"):
        seg.demographic_screen(sessions, top_locations=0)
    without_location = seg.demographic_screen(sessions.drop(columns="location"))  # the others are screened
    assert set(without_location.screen.variable) == {"age_group", "gender", "income_level"}
    with pytest.raises(ValueError, match="none of the columns 'age', 'gender', 'income_level', 'location'"):
        seg.demographic_screen(sessions.drop(columns=["age", "gender", "income_level", "location"]))


# ------------------------------------------------------------------------------- discounts
def _discounted() -> pd.DataFrame:
    """Customers a, b (segment 0) and c (segment 1); discounts on half the sessions."""
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "b", "b", "c", "c", "c", "c"],
            "discount_applied": [0, 10, 0, 20, 0, 0, 5, 5],
            "purchase_decision": [0, 1, 0, 1, 1, 1, 0, 1],
        }
    )


def test_discount_sensitivity_uses_the_treated_flags_when_given():
    s = _discounted()
    flags = pd.Series([False, False, False, True, False, False, False, False])  # only the 20% discount
    table = seg.discount_sensitivity(s, pd.Series(["g"] * len(s)), treated=flags)
    assert (table.n_discount[0], table.n_no_discount[0]) == (1, 7)
    assert table.difference[0] == pytest.approx(1 / 1 - 4 / 7)
    with pytest.raises(ValueError, match="one flag per session"):
        seg.discount_sensitivity(s, pd.Series(["g"] * len(s)), treated=flags[:3])
    with pytest.raises(ValueError, match="one group per session"):
        seg.discount_sensitivity(s, pd.Series(["g"]))


@pytest.mark.parametrize(
    "gap, verdict",
    [
        ([-0.1, -0.01], "understates the true effect in every segment"),
        ([0.02, 0.01], "overstates the true effect in every segment"),
        ([-0.02, 0.0], "errs in both directions"),
    ],
)
def test_bias_verdict(gap, verdict):
    assert verdict in seg.bias_verdict(pd.Series(gap))


def test_bias_verdict_needs_numbers():
    with pytest.raises(ValueError, match="gap must hold"):
        seg.bias_verdict(pd.Series([], dtype=float))


def test_discount_readout_by_hand():
    s = _discounted()
    effect = pd.Series([0.1, 0.1, 0.3, 0.3, 0.0, 0.0, 0.2, 0.2])
    readout = seg.discount_readout(s, pd.Series({"a": 0, "b": 0, "c": 1}), ["Fans", "Casuals"], offer_effect=effect)
    assert readout.contrast.label == "any discount vs none" and readout.no_discount_share == 0.5
    t = readout.table.set_index("group")
    # Fans: discounted 2 of 2 buy, undiscounted 0 of 2; Casuals: discounted 1 of 2, undiscounted 2 of 2.
    assert t.difference.to_dict() == {"Casuals": -0.5, "Fans": 1.0}
    assert t.true_offer_effect.round(6).to_dict() == {"Casuals": 0.1, "Fans": 0.2}
    expected = rate_difference(1, 2, 2, 2)
    assert (t.ci_low["Casuals"], t.ci_high["Casuals"]) == pytest.approx((expected.ci_low, expected.ci_high))
    assert (
        readout.contrast_sentence()
        == "50.0% of sessions have no discount, so the contrast is **any discount vs none**."
    )
    observed, against = readout.sentences()
    assert observed.startswith("Observed differences: Casuals: -50.0 pp (95% CI ") and "Fans: +100.0 pp" in observed
    assert against == (
        "Against the truth, the naive contrast is off by -60.0 pp to +80.0 pp: it errs in both directions across segments."
    )
    assert readout.by_segment_index().group.tolist() == [1, 0]
    assert readout.to_dict()["threshold"] == 0.0


def test_discount_readout_splits_at_the_median_when_every_session_is_discounted():
    s = _discounted().assign(discount_applied=[5, 10, 5, 20, 5, 5, 5, 5])
    readout = seg.discount_readout(s, pd.Series({"a": 0, "b": 0, "c": 1}), ["Fans", "Casuals"])
    assert readout.contrast.label == "discount above the median (5.0%) vs below"
    assert readout.contrast.threshold == 5.0 and readout.no_discount_share == 0.0
    # Casuals have no session above the median: nothing to compare there.
    assert readout.table.set_index("group").difference.isna().to_dict() == {"Casuals": True, "Fans": False}
    assert len(readout.valid) == 1 and readout.measurable and not readout.has_truth
    assert len(readout.sentences()) == 1  # no truth to compare with


def test_discount_readout_without_any_contrast_and_its_errors():
    s = _discounted().assign(user_id="c")
    flat = s.assign(discount_applied=5)  # all at the median: nobody is above it
    readout = seg.discount_readout(flat, pd.Series({"c": 0}), ["All"])
    assert not readout.measurable
    assert readout.sentences() == [
        "No segment has both discounted and undiscounted sessions, so sensitivity cannot be measured here."
    ]
    with pytest.raises(ValueError, match="without a segment"):
        seg.discount_readout(_discounted(), pd.Series({"a": 0}), ["All"])
    with pytest.raises(ValueError, match="a name for every segment"):
        seg.discount_readout(_discounted(), pd.Series({"a": 0, "b": 1, "c": 1}), ["All"])
    with pytest.raises(ValueError, match="one value per session"):
        seg.discount_readout(s, pd.Series({"c": 0}), ["All"], offer_effect=pd.Series([0.1]))


# --------------------------------------------------------------------------------- cohorts
def _returning() -> pd.DataFrame:
    """a: Mon 6 Jan (buys), Mon 13 Jan (buys), Mon 20 Jan; b: Tue 7 Jan, Tue 21 Jan (buys); c: Tue 14 Jan."""
    days = ["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-07", "2025-01-21", "2025-01-14"]
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "c"],
            "purchase_date": pd.to_datetime([d + " 10:00" for d in days]),
            "age": [30, 30, 30, 40, 40, 50],
            "price": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "discount_applied": 0.0,
            "purchase_decision": [1, 1, 0, 0, 1, 0],
        }
    )


def test_cohort_readout_of_returning_customers_by_hand():
    readout = seg.cohort_readout(_returning())
    assert readout.users_return and list(readout.retention.index) == ["2025-01-06", "2025-01-13"]
    assert readout.week1.tolist() == [0.5, 0.0]  # a returns in week 1, b does not; c's cohort has no return
    # First-week sessions: a, b, c buy 1 of 3; later sessions: a twice and b once, 2 of 3 buy.
    assert readout.difference.estimate == pytest.approx(2 / 3 - 1 / 3)
    first, second = readout.sentences()
    assert first.startswith("2 weekly cohorts. On average 25.0% of a cohort comes back the week after its first visit.")
    assert "convert at 66.7% against 33.3% in the first week (+33.3 pp" in first
    # Buyers a (2 purchases, 7 days apart) and b (1): one buys again.
    assert second.startswith("Of 2 buyers, 50.0% buy a second time and 0.0% a third; 100.0% of the 1 buyers observed")
    assert "The median time between two purchases is 7.0 days" in second
    result = readout.to_dict()
    assert result["users_return"] is True and result["cohorts"] == 2 and result["mean_week1_retention"] == 0.25
    assert result["repeat_purchase"]["buyers"] == 2 and result["repeat_purchase"]["within_30_days_share"] is None


def test_cohort_readout_when_nobody_returns():
    s = _returning().drop_duplicates("user_id")  # a on 6 Jan, b on 7 Jan, c on 14 Jan
    readout = seg.cohort_readout(s)
    assert not readout.users_return and "retention cannot be measured" in readout.note()
    assert readout.by_week.level.tolist() == ["2025-01-06", "2025-01-13"]
    assert readout.by_week.rate.tolist() == [0.5, 0.0]
    assert readout.grid.loc["25-34", "2025-01-06"] == 1.0 and np.isnan(readout.grid.loc["25-34", "2025-01-13"])
    assert readout.to_dict() == {"users_return": False, "weeks": 2, "weeks_significant_after_holm": 0}
    assert readout.sentences() == [
        "Weekly conversion ranges from 0.0% to 50.0%; 0 of 2 weeks differ from the rest after Holm's correction."
    ]
    with pytest.raises(ValueError, match="'age'"):
        seg.cohort_readout(s.drop(columns="age"))


# --------------------------------------------------------------------------------- results
COMMITTED = paths.REPORTS_DIR / "default" / "results" / "02_customer_segmentation.json"


@pytest.fixture(scope="module")
def readouts(small_sim):
    """The notebook's readouts on a small simulation: with the truth, and without it (as on a file)."""
    base = seg.customer_base(small_sim.sessions, truth=small_sim.truth)
    model = seg.Segmenter(k_range=range(2, 5), n_boot=2).fit(base.features)
    shared = (
        seg.stability_readout(model, base.features),
        seg.profile_readout(model.profiles_, base.overall),
        seg.rfm_readout(base.sessions),
        seg.demographic_screen(base.sessions),
    )
    with_truth = (
        base,
        seg.k_readout(model, base.features, base.personas),
        *shared,
        seg.discount_readout(base.sessions, model.segments_, model.names_, offer_effect=base.offer_effect),
        seg.cohort_readout(base.sessions),
    )
    plain = seg.customer_base(small_sim.sessions)
    without = (
        plain,
        seg.k_readout(model, plain.features),
        *shared,
        seg.discount_readout(plain.sessions, model.segments_, model.names_),
        with_truth[-1],
    )
    return {"truth": with_truth, "file": without}


def test_results_have_the_committed_fields_and_round_trip(readouts, small_sim, tmp_path):
    results = seg.SegmentationResults.from_readouts(*readouts["truth"])
    assert isinstance(results, NotebookResults) and results.NOTEBOOK == "02_customer_segmentation"
    assert results.VERSION == 2  # 2: rfm_groups gained "buyers"
    written = results.to_dict()
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))["results"]
    assert set(written) == set(committed)
    for key in ("k", "stability_ari", "demographics", "discount_sensitivity", "cohorts", "ari_vs_personas"):
        assert set(written[key]) == set(committed[key]), key
    assert set(written["segments"][0]) == set(committed["segments"][0])
    assert set(written["rfm_groups"][0]) == set(committed["rfm_groups"][0])
    assert written["customers"] == small_sim.sessions.user_id.nunique()
    run = Run("simulated", 3000, 7, reports_root=tmp_path)
    results.save(run)
    back = seg.SegmentationResults.load(run)
    assert precision.first_difference(back.to_dict(), json.loads(json.dumps(written))) is None


def test_results_leave_out_the_persona_agreement_without_truth(readouts, tmp_path):
    results = seg.SegmentationResults.from_readouts(*readouts["file"])
    assert results.ari_vs_personas is None and "ari_vs_personas" not in results.to_dict()
    run = Run("simulated", 3000, 7, reports_root=tmp_path)
    results.save(run)
    assert seg.SegmentationResults.load(run).ari_vs_personas is None


def test_results_check_what_they_are_given(readouts):
    given = list(readouts["file"])
    given[2] = {"mean": 1.0}
    with pytest.raises(ValueError, match="stability must be a StabilityReadout"):
        seg.SegmentationResults.from_readouts(*given)


# ------------------------------------------------------------------------------ answer first
def test_study_opens_with_the_banner_question_answer_and_what_to_do(small_sim):
    study = seg.study(small_sim.sessions, truth=small_sim.truth, k_range=range(2, 5), n_boot=2)
    text = study.summary("sim")
    assert text.startswith("**Source: simulated data**, sim: ")
    assert "**Planted**: 4 hidden personas" in text and "**Recovered**: the " in text
    ari = study.k_choice.persona_agreement()["chosen_k"]
    assert f"adjusted Rand index of {ari:.2f}" in text
    for part in ("**Question**", "**Answer**", "**What to do**"):
        assert part in text
    never = (study.rfm.rfm.monetary <= 0).mean()
    assert f"{100 * never:.1f}% of customers have not bought yet" in text
    # every segment gets its own action in "what to do"
    todo = text.split("**What to do**: ")[1]
    assert all(f"*{name}*: " in todo for name in study.profiles.table.name)
    assert len(study.notes()) == len(study.profiles.table)
    assert study.results().customers == small_sim.sessions.user_id.nunique()
    wide = study.profiles.table.assign(ci_low=0.0, ci_high=1.0)  # every interval holds the overall rate
    flat = dataclasses.replace(study, profiles=seg.profile_readout(wide, study.base.overall))
    assert "No segment converts differently from the overall" in flat.answer() and "convert best" not in flat.answer()
    with pytest.raises(ValueError, match="label"):
        study.summary("")
    with pytest.raises(ValueError, match="k_range"):
        seg.study(small_sim.sessions, k_range=range(1, 2))


def test_study_on_a_file_says_no_truth_is_known(small_sim):
    study = seg.study(small_sim.sessions, k_range=range(2, 5), n_boot=2)
    banner = study.banner("file.csv")
    assert banner.startswith("**Source: file.csv** (a file under the data contract)") and "No truth is known" in banner
    assert "Planted" not in study.summary("file.csv")
