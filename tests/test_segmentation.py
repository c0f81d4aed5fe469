"""Segmentation (functions and the Segmenter estimator), RFM and cohort helpers on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

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
    centroids = pd.DataFrame(
        [[1.2, 0.1, -0.8, 0.0], [0.0, 0.1, 0.0, 0.2], [-1.0, 0.0, 0.0, 1.5]], columns=list(seg.FEATURE_LABELS)
    )
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
    return pd.DataFrame(
        {
            "user_id": ["a", "a", "a", "b", "b", "c"],
            "purchase_date": pd.to_datetime([d + " 10:00:00" for d in days]),
            "price": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
            "discount_applied": [0.0, 50.0, 0.0, 10.0, 0.0, 0.0],
            "purchase_decision": [1, 0, 1, 0, 1, 0],
        }
    )


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
    profiles = pd.DataFrame(
        {
            "segment": [0, 1],
            "name": ["Keen", "Cold"],
            "share": [0.5, 0.5],
            "conversion": [0.4, 0.1],
            "ci_low": [0.35, 0.08],
            "ci_high": [0.45, 0.12],
            "typical_price": [100.0, 20.0],
        }
    )
    notes = seg.strategic_notes(profiles, overall_conversion=0.25)
    assert "above average" in notes[0] and "below average" in notes[1]
    assert len(notes) == 2 and notes[0].startswith("**Keen**")
    assert "A typical price of 100.00 (median segment: 60.00); high-ticket items" in notes[0]
    assert "A typical price of 20.00 (median segment: 60.00); low-ticket baskets" in notes[1]


def test_strategic_notes_give_each_segment_its_own_lever_and_discount_reading():
    profiles = pd.DataFrame(
        {
            "segment": [0, 1, 2],
            "name": ["Readers", "Quick", "Mid"],
            "share": [0.3, 0.3, 0.4],
            "conversion": [0.1, 0.1, 0.2],
            "ci_low": [0.08, 0.08, 0.15],
            "ci_high": [0.12, 0.12, 0.25],
            "pages_per_session": [8.0, 2.0, 7.0],  # Quick: 2 / 7 is the largest ratio of all
            "seconds_per_page": [90.0, 40.0, 45.0],  # Readers: 90 / 45 is their largest ratio
            "typical_price": [50.0, 50.0, 50.0],
        }
    )
    sens = pd.DataFrame(
        {
            "group": [0, 1, 2],
            "difference": [0.05, -0.05, 0.0],
            "ci_low": [0.01, -0.08, -0.03],
            "ci_high": [0.09, -0.02, 0.03],
            "true_offer_effect": [0.08, 0.02, 0.01],
        }
    )
    readers, quick, mid = seg.strategic_notes(profiles, 0.2, sens)
    assert "90 s a page (median segment: 45); they read closely" in readers
    assert "2.0 pages a session (median segment: 7.0); they decide within a few pages" in quick
    assert "about average" in mid and "Discounted" not in mid  # interval holds 0: no discount reading
    assert "a candidate for a coupon test; the true effect of an offer here is +8.0 pp" in readers
    assert "does not measure what an offer does; the true effect of an offer here is +2.0 pp" in quick
    assert readers.split("): ")[1] != quick.split("): ")[1]  # two below-average segments, different advice
    with pytest.raises(ValueError, match="'conversion'"):
        seg.strategic_notes(profiles.drop(columns="conversion"), 0.2)
    with pytest.raises(ValueError, match="overall_conversion"):
        seg.strategic_notes(profiles, 1.5)


# ------------------------------------------------------------------------------ estimator
def _shop(per=(120, 80, 40), seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Customers of another schema: orders per year, basket value, days between orders."""
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 40.0, 90.0], [12.0, 35.0, 20.0], [3.0, 400.0, 60.0]])
    truth = np.repeat(np.arange(3), per)
    x = centres[truth] * rng.normal(1, 0.06, size=(len(truth), 3))
    frame = pd.DataFrame(x, columns=["orders", "basket", "gap_days"], index=[f"c{i}" for i in range(len(truth))])
    return frame.assign(region=rng.choice(["n", "s"], size=len(truth))), truth


FEATURES = ["orders", "basket", "gap_days"]


def test_segmenter_assigns_new_customers():
    shop, truth = _shop(seed=1)
    train = np.random.default_rng(0).random(len(shop)) < 0.7
    model = seg.Segmenter(n_clusters=3, features=FEATURES, n_boot=0).fit(shop[train])
    assert model.n_clusters_ == 3 and model.k_choice_ is None and model.stability_ is None
    new = model.predict(shop[~train])  # customers never seen in fit
    assert adjusted_rand_score(truth[~train], new) == 1.0
    assert (model.predict(shop[train]) == model.labels_).all()
    assert model.segments_.index.equals(shop[train].index)
    # Arrays work too, columns in the fitted order.
    assert (model.predict(shop.loc[~train, FEATURES].to_numpy()) == new).all()


def test_segmenter_scales_inside_its_pipeline():
    shop, truth = _shop()
    model = seg.Segmenter(n_clusters=3, features=FEATURES, n_boot=0).fit(shop)
    assert [name for name, _ in model.pipeline_.steps] == ["scale", "kmeans"]
    assert (model.pipeline_.predict(shop[FEATURES]) == model.labels_).all()  # the pipeline alone is the model
    # Units do not matter: basket in cents gives the same segments.
    cents = seg.Segmenter(n_clusters=3, features=FEATURES, n_boot=0).fit(shop.assign(basket=shop.basket * 100))
    assert (cents.labels_ == model.labels_).all()
    assert adjusted_rand_score(truth, model.labels_) == 1.0
    distances = model.transform(shop.head(5))
    assert distances.shape == (5, 3) and (distances.argmin(axis=1) == model.labels_[:5]).all()
    frame = seg.Segmenter(n_clusters=3, features=FEATURES, n_boot=0).set_output(transform="pandas").fit(shop)
    assert list(frame.transform(shop.head(2)).columns) == ["distance_0", "distance_1", "distance_2"]


def test_segmenter_chooses_k_numbers_by_size_and_names_from_profiles():
    shop, truth = _shop()
    model = seg.Segmenter(features=FEATURES, k_range=range(2, 7), n_boot=4).fit(shop)
    assert model.n_clusters_ == 3 and model.k_choice_.k == 3
    assert model.k_choice_.table.k.tolist() == list(range(2, 7))
    assert len(model.stability_) == 4 and model.stability_.ari.min() > 0.99
    assert model.profiles_.customers.tolist() == [120, 80, 40]  # segment 0 is the largest
    assert list(model.profiles_.columns) == ["segment", "name", "customers", *FEATURES, "share"]
    assert model.profiles_.basket[2] == pytest.approx(shop.basket[truth == 2].mean())
    # No words are known for these features: generic names from the standardized profile.
    assert model.names_[2].startswith("High basket") and model.names_[1].startswith("High orders")
    worded = seg.Segmenter(
        n_clusters=3, features=FEATURES, n_boot=0, feature_labels={"basket": ("basket", "big baskets", "small baskets")}
    ).fit(shop)
    assert worded.names_[2].startswith("Big baskets")
    assert (model.fit_predict(shop) == model.labels_).all()


def test_segmenter_reproduces_the_functions_on_the_default_features():
    features, _ = _blobs(3, per=60, seed=2)
    model = seg.Segmenter(n_clusters=3, n_boot=2, random_state=5).fit(features)
    old = seg.fit_segments(features, 3, seed=5)
    assert (model.segments_ == old.labels).all() and model.names_ == old.names
    pd.testing.assert_frame_equal(model.centroids_, old.centroids_z)
    pd.testing.assert_frame_equal(model.stability_, seg.bootstrap_stability(features, 3, n_boot=2, seed=5))
    # The reference recipe, written out: standardize, k-means, renumber by size.
    z = StandardScaler().fit_transform(features.to_numpy(float))
    raw = KMeans(n_clusters=3, n_init=10, random_state=5).fit(z).labels_
    assert adjusted_rand_score(raw, model.labels_) == 1.0
    assert np.bincount(model.labels_).tolist() == sorted(np.bincount(raw).tolist(), reverse=True)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_clusters": 1}, "n_clusters must be 'auto' or an integer >= 2"),
        ({"n_clusters": "many"}, "n_clusters must be 'auto'"),
        ({"n_clusters": 2.5}, "n_clusters"),
        ({"k_range": [2, 3]}, "k_range must hold at least three distinct integers"),
        ({"k_range": [1, 2, 3]}, "k_range"),
        ({"n_init": 0}, "n_init must be an integer >= 1"),
        ({"n_boot": -1}, "n_boot must be an integer >= 0"),
        ({"random_state": None}, "random_state"),
        ({"name_threshold": 0}, "name_threshold must be a number > 0"),
        ({"feature_labels": {"orders": "lots"}}, "feature_labels"),
        ({"features": ["orders", "visits"]}, "'visits' not in the frame; pass the columns to cluster on as features="),
        ({"features": "orders"}, "features must be a list"),
        ({"features": ["orders", "orders"]}, "duplicates"),
        ({"features": ["orders", "region"]}, "could not convert|numeric|float"),
        ({"features": FEATURES, "n_clusters": 500}, "too few"),
    ],
)
def test_segmenter_validates_its_parameters_in_fit(params, message):
    shop, _ = _shop()
    model = seg.Segmenter(**{"features": FEATURES, "n_boot": 0, **params})  # construction never fails
    with pytest.raises(ValueError, match=message):
        model.fit(shop)


def test_segmenter_errors_on_use():
    shop, _ = _shop()
    with pytest.raises(NotFittedError):
        seg.Segmenter(features=FEATURES).predict(shop)
    model = seg.Segmenter(n_clusters=3, features=FEATURES, n_boot=0).fit(shop)
    with pytest.raises(ValueError, match="lacks the feature column"):
        model.predict(shop.drop(columns="basket"))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(shop.assign(orders=np.nan))
    with pytest.raises(ValueError, match="fitted on 3"):
        model.predict(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="'log_pages'"):
        seg.Segmenter(n_boot=0).fit(shop)  # default features are the session contract's
    params = clone(model).get_params()
    assert params["n_clusters"] == 3 and params["features"] == FEATURES


def test_helpers_take_a_feature_list():
    shop, truth = _shop()
    choice = seg.choose_k(shop, range(2, 6), features=FEATURES)
    assert choice.k == 3
    fitted = seg.fit_segments(shop, 3, features=FEATURES)
    assert list(fitted.centroids_z.columns) == FEATURES and adjusted_rand_score(truth, fitted.labels) == 1.0
    assert seg.bootstrap_stability(shop, 3, n_boot=2, features=FEATURES).ari.min() > 0.99
    profiles = seg.segment_profiles(shop, fitted)
    assert profiles.customers.tolist() == [120, 80, 40] and "orders" in profiles.columns
    assert seg.segment_names(fitted.centroids_z, features=["basket"])[2] == "High basket"
    with pytest.raises(ValueError, match="features="):
        seg.choose_k(shop, range(2, 6))
    with pytest.raises(ValueError, match="customer_features: missing column"):
        seg.customer_features(shop)


def test_profiles_of_the_default_features_keep_their_columns(small_sim):
    features = seg.customer_features(small_sim.sessions)
    fitted = seg.fit_segments(features, 3)
    profiles = seg.segment_profiles(features, fitted)
    assert list(profiles.columns) == [
        "segment",
        "name",
        "customers",
        "sessions",
        "purchases",
        "pages_per_session",
        "seconds_per_page",
        "typical_price",
        "age",
        "share",
        "conversion",
        "ci_low",
        "ci_high",
    ]
    assert profiles.sessions.sum() == len(small_sim.sessions)
    notes = seg.strategic_notes(profiles.drop(columns="typical_price"), 0.2)  # works without a price level
    assert len(notes) == 3
