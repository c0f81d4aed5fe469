"""Segmentation, RFM and cohort helpers on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from ecommerce_analytics import segmentation as seg


def _blobs(k: int, per: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customer features drawn around k well separated centres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 6, size=(k, len(seg.FEATURE_LABELS)))
    truth = np.repeat(np.arange(k), per)
    x = centres[truth] + rng.normal(0, 0.5, size=(k * per, len(seg.FEATURE_LABELS)))
    frame = pd.DataFrame(x, columns=list(seg.FEATURE_LABELS), index=[f"u{i}" for i in range(k * per)])
    return frame, truth


@pytest.mark.slow
@pytest.mark.parametrize("k", [3, 5])
def test_choose_k_finds_well_separated_groups(k):
    features, truth = _blobs(k)
    choice = seg.choose_k(features, range(2, 9))
    assert choice.k == k
    assert choice.table.k.tolist() == list(range(2, 9))
    labels = seg.fit_segments(features, choice.k).labels
    assert adjusted_rand_score(truth, labels) > 0.99
    stability = seg.bootstrap_stability(features, choice.k, n_boot=5)
    assert stability.ari.min() > 0.95


@pytest.mark.slow
def test_choose_k_takes_the_best_silhouette_from_the_elbow_up():
    features, _ = _blobs(4)
    choice = seg.choose_k(features, range(2, 9))
    above = choice.table[choice.table.k >= choice.k_elbow]
    assert choice.k == int(above.loc[above.silhouette.idxmax(), "k"])
    assert str(choice.k_elbow) in choice.rule or "agree" in choice.rule


def test_segments_are_numbered_by_size():
    rng = np.random.default_rng(3)
    a = rng.normal(0, 0.3, size=(600, 4))
    b = rng.normal(5, 0.3, size=(200, 4))
    features = pd.DataFrame(np.vstack([b, a]), columns=list(seg.FEATURE_LABELS))
    fitted = seg.fit_segments(features, 2)
    assert fitted.labels.value_counts().to_dict() == {0: 600, 1: 200}


def test_segment_names_follow_the_rule():
    centroids = pd.DataFrame([[1.2, 0.1, -0.8, 0.0], [0.0, 0.1, 0.0, 0.2], [-1.0, 0.0, 0.0, 1.5]],
                             columns=list(seg.FEATURE_LABELS))
    assert seg.segment_names(centroids) == ["Deep browsers, budget", "Average customers", "Older, quick visitors"]
    twins = pd.DataFrame([[1.0, 0, 0, 0], [2.0, 0, 0, 0]], columns=list(seg.FEATURE_LABELS))
    assert seg.segment_names(twins) == ["Deep browsers (1)", "Deep browsers (2)"]


def test_customer_features_average_sessions(small_sim):
    s = small_sim.sessions
    f = seg.customer_features(s)
    assert len(f) == s.user_id.nunique() and f.sessions.sum() == len(s)
    uid = s.user_id.value_counts().index[0]
    mine = s[s.user_id == uid]
    assert f.loc[uid, "log_price"] == pytest.approx(np.log(mine.price).mean())
    assert f.loc[uid, "purchases"] == mine.purchase_decision.sum()


def _toy_sessions() -> pd.DataFrame:
    days = ["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-07", "2025-01-21", "2025-01-14"]
    return pd.DataFrame({
        "user_id": ["a", "a", "a", "b", "b", "c"],
        "purchase_date": pd.to_datetime([d + " 10:00:00" for d in days]),
        "price": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        "discount_applied": [0.0, 50.0, 0.0, 10.0, 0.0, 0.0],
        "purchase_decision": [1, 0, 1, 0, 1, 0],
    })


def test_cohort_retention_on_a_known_example():
    matrix = seg.cohort_retention(_toy_sessions())
    # Cohort of 2025-01-06: users a and b (b's first visit is on Tuesday of the same week).
    assert matrix.loc["2025-01-06", "users"] == 2
    assert matrix.loc["2025-01-06", 1] == 0.5  # a comes back in week 1, b does not
    assert matrix.loc["2025-01-06", 2] == 1.0  # both are active in week 2
    assert matrix.loc["2025-01-13", "users"] == 1  # c
    assert np.isnan(matrix.loc["2025-01-13", 2])  # week 2 of this cohort is after the data ends
    assert seg.users_return(_toy_sessions())


def test_rfm_scores_and_a_constant_frequency():
    rfm = seg.rfm_scores(_toy_sessions())
    assert rfm.loc["a", "frequency"] == 3 and rfm.loc["a", "monetary"] == pytest.approx(10.0 + 30.0)
    assert rfm.loc["b", "recency_days"] == 0.0
    one_each = _toy_sessions().drop_duplicates("user_id")
    assert (seg.rfm_scores(one_each).F == 3).all()


def test_discount_sensitivity_matches_a_hand_count():
    s = _toy_sessions()
    table = seg.discount_sensitivity(s, pd.Series(["g"] * len(s)))
    row = table.iloc[0]
    assert (row.n_discount, row.n_no_discount) == (2, 4)
    assert row.difference == pytest.approx(0 / 2 - 3 / 4)
    assert row.ci_low <= row.difference <= row.ci_high


def test_strategic_notes_follow_the_profile():
    profiles = pd.DataFrame({"segment": [0, 1], "name": ["Keen", "Cold"], "share": [0.5, 0.5],
                             "conversion": [0.4, 0.1], "ci_low": [0.35, 0.08], "ci_high": [0.45, 0.12],
                             "typical_price": [100.0, 20.0]})
    notes = seg.strategic_notes(profiles, overall_conversion=0.25)
    assert "above average" in notes[0] and "below average" in notes[1]
    assert len(notes) == 2 and notes[0].startswith("**Keen**")
