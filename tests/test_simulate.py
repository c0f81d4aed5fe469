"""The simulator: same contract as the Kaggle file, the documented process, an exact truth."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import log_loss, roc_auc_score

from ecommerce_analytics import simulate as simulate_module
from ecommerce_analytics.data import validate_sessions
from ecommerce_analytics.schema import COLUMN_NAMES, COLUMNS, TABLE_NAME
from ecommerce_analytics.simulate import (
    PARQUET_TABLES,
    PERSONAS,
    purchase_probabilities,
    simulate,
    simulate_to_parquet,
)


def _digest(sim) -> str:
    h = hashlib.sha256()
    for frame in (sim.sessions, sim.assignments, sim.pre_period, sim.truth.sessions):
        h.update(frame.to_csv(index=False).encode())
    return h.hexdigest()


def test_same_seed_gives_byte_identical_output():
    assert _digest(simulate(2000, seed=5)) == _digest(simulate(2000, seed=5))
    assert _digest(simulate(2000, seed=5)) != _digest(simulate(2000, seed=6))


def test_exact_row_count_and_contract(small_sim):
    s = small_sim.sessions
    assert s.shape == (3000, 19) and list(s.columns) == list(COLUMN_NAMES)
    sessions, quarantine, report = validate_sessions(s)
    assert report.rows_quarantined == 0 and report.unseen_levels == {}
    pd.testing.assert_frame_equal(sessions, s)  # already in the contract's dtypes


def test_same_dtypes_as_the_loaded_kaggle_file(small_sim, kaggle_sessions):
    assert small_sim.sessions.dtypes.to_dict() == kaggle_sessions.dtypes.to_dict()
    for col in COLUMNS:
        if col.reference_levels:
            assert set(small_sim.sessions[col.name]) == set(kaggle_sessions[col.name]) == set(col.reference_levels)
        if col.levels:
            assert set(small_sim.sessions[col.name]) == set(col.levels)


@pytest.mark.parametrize("n", [1, 7, 64, 1001])
def test_any_size_works(n):
    assert len(simulate(n, seed=1).sessions) == n


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_bad_size_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="n_sessions must be a positive integer"):
        simulate(bad)


def test_funnel_identity_and_rates(large_sim):
    s = large_sim.sessions
    assert (s.purchase_decision == ((s.add_to_cart == 1) & (s.abandoned_cart == 0))).all()
    assert (s.purchase_decision <= s.add_to_cart).all()
    conversion = s.purchase_decision.mean()
    abandonment = s.abandoned_cart.sum() / s.add_to_cart.sum()
    assert 0.05 <= conversion <= 0.25
    assert 0.55 <= abandonment <= 0.80


def test_users_return_over_several_weeks(large_sim):
    s = large_sim.sessions
    per_user = s.groupby("user_id").purchase_date.agg(["size", "min", "max"])
    assert (per_user["size"] > 1).mean() > 0.3
    span_days = (per_user["max"] - per_user["min"]).dt.days
    assert (span_days >= 14).mean() > 0.1
    assert (s.purchase_date.max() - s.purchase_date.min()).days >= 70
    # Per-user attributes are constant across a user's sessions.
    assert (s.groupby("user_id")[["age", "gender", "income_level", "location"]].nunique() == 1).all().all()


def test_persona_is_in_the_truth_only(small_sim):
    assert "persona" not in small_sim.sessions.columns
    truth = small_sim.truth
    assert len(truth.sessions) == len(small_sim.sessions)
    assert set(truth.sessions.persona) == {p.name for p in PERSONAS}
    assert len(PERSONAS) >= 4
    assert set(truth.users.user_id) >= set(small_sim.sessions.user_id)


def test_personas_differ_in_behaviour(large_sim):
    s, t = large_sim.sessions, large_sim.truth.sessions
    by = s.groupby(t.persona.to_numpy())
    pages, price, conv = by.pages_visited.mean(), by.price.median(), by.purchase_decision.mean()
    assert pages["power_shopper"] > pages["deal_seeker"] > pages["quick_decider"]
    assert price["power_shopper"] > price["window_shopper"] > price["deal_seeker"]
    assert conv["window_shopper"] < conv["deal_seeker"] < conv["power_shopper"]


def test_discount_effect_is_positive_differs_by_persona_and_naive_comparison_is_biased(large_sim):
    s, truth = large_sim.sessions, large_sim.truth
    assert truth.discount_ate > 0.01
    effects = truth.discount_ate_by_persona
    assert max(effects, key=effects.get) == "deal_seeker"
    assert effects["deal_seeker"] > 3 * effects["power_shopper"]
    naive = s[s.discount_applied > 0].purchase_decision.mean() - s[s.discount_applied == 0].purchase_decision.mean()
    # Targeting at low-intent sessions makes the naive contrast understate the effect.
    assert naive < truth.discount_att - 0.01
    # The offer indicator in the truth matches the column exactly.
    assert ((s.discount_applied > 0) == truth.sessions.discount_offered).all()


def test_price_effect_is_negative(large_sim):
    assert large_sim.truth.price_elasticity < 0
    t = large_sim.truth.sessions
    persona = pd.Categorical(t.persona, categories=[p.name for p in PERSONAS]).codes
    treated = (t.variant == "treatment").to_numpy(float)
    cheaper = large_sim.sessions.assign(price=large_sim.sessions.price * 0.8)
    assert (purchase_probabilities(cheaper, persona, treated).p_purchase > t.p_purchase).all()


def test_truth_probabilities_match_the_draws(large_sim):
    """The all-knowing probabilities are the ones the outcomes were drawn from."""
    s, t = large_sim.sessions, large_sim.truth.sessions
    deciles = pd.qcut(t.p_purchase, 10, labels=False)
    observed = s.purchase_decision.groupby(deciles).mean()
    expected = t.p_purchase.groupby(deciles).mean()
    n = s.purchase_decision.groupby(deciles).size()
    z = (observed - expected) / np.sqrt(expected * (1 - expected) / n)
    assert (z.abs() < 4).all(), z
    carted = s.add_to_cart == 1
    assert abs(s.add_to_cart.mean() - t.p_cart.mean()) < 4 * np.sqrt(0.25 / len(s))
    gap = s.purchase_decision[carted].mean() - t.p_purchase_given_cart[carted].mean()
    assert abs(gap) < 4 * np.sqrt(0.25 / carted.sum())


def test_persona_posterior_is_calibrated(large_sim):
    """P(persona | observed row) from Bayes' rule matches persona frequencies."""
    t = large_sim.truth.sessions
    for p in PERSONAS:
        post = t[f"posterior_{p.name}"]
        is_p = (t.persona == p.name).astype(float)
        bins = pd.cut(post, np.linspace(0, 1, 11), include_lowest=True)
        obs, exp, n = (
            is_p.groupby(bins, observed=True).mean(),
            post.groupby(bins, observed=True).mean(),
            is_p.groupby(bins, observed=True).size(),
        )
        keep = n >= 200
        z = (obs - exp)[keep] / np.sqrt(exp[keep] * (1 - exp[keep]) / n[keep] + 1e-12)
        assert (z.abs() < 4.5).all(), (p.name, z)
    posts = t[[f"posterior_{p.name}" for p in PERSONAS]].to_numpy()
    assert np.allclose(posts.sum(axis=1), 1.0)


def test_observable_ceiling_is_calibrated_and_ordered(large_sim):
    s, t = large_sim.sessions, large_sim.truth.sessions
    y = s.purchase_decision
    deciles = pd.qcut(t.p_observed_browse, 10, labels=False)
    obs, exp, n = y.groupby(deciles).mean(), t.p_observed_browse.groupby(deciles).mean(), y.groupby(deciles).size()
    assert ((obs - exp).abs() / np.sqrt(exp * (1 - exp) / n) < 4).all()
    all_knowing, browse = roc_auc_score(y, t.p_purchase), roc_auc_score(y, t.p_observed_browse)
    assert all_knowing > browse > 0.7
    carted = s.add_to_cart == 1
    assert t.p_observed_cart[~carted].isna().all() and t.p_observed_cart[carted].notna().all()
    assert roc_auc_score(y[carted], t.p_purchase_given_cart[carted]) > roc_auc_score(
        y[carted], t.p_observed_cart[carted]
    )


def _features(s: pd.DataFrame) -> pd.DataFrame:
    x = s[["price", "discount_applied", "pages_visited", "time_spent", "rating", "sentiment_score", "age"]].copy()
    x["weekend"] = (s.purchase_date.dt.day_of_week >= 5).astype(int)
    x["late_window"] = (s.purchase_date >= s.purchase_date.min().normalize() + pd.Timedelta(days=56)).astype(int)
    for col in ("category", "payment_method", "income_level"):
        x[col] = s[col].astype("category").cat.codes
    return x


@pytest.mark.slow
def test_no_model_beats_the_observable_ceiling():
    """The browse-stage ceiling is Bayes-optimal: a flexible model trained on plenty of data
    comes close to it but does not beat it on held-out rows."""
    train, test = simulate(120_000, seed=101), simulate(40_000, seed=202)
    model = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.08, random_state=0, categorical_features=[7, 8, 9]
    )
    cols = list(_features(train.sessions).columns)
    order = [c for c in cols if c not in ("category", "payment_method", "income_level")] + [
        "category",
        "payment_method",
        "income_level",
    ]
    model.fit(_features(train.sessions)[order], train.sessions.purchase_decision)
    y = test.sessions.purchase_decision
    p_model = model.predict_proba(_features(test.sessions)[order])[:, 1]
    p_ceiling = test.truth.sessions.p_observed_browse
    auc_model, auc_ceiling = roc_auc_score(y, p_model), roc_auc_score(y, p_ceiling)
    assert auc_model <= auc_ceiling + 0.003
    assert auc_model >= 0.97 * auc_ceiling  # the ceiling is reachable, not a loose bound
    assert log_loss(y, p_ceiling) <= log_loss(y, p_model) + 1e-3


def test_experiment_is_randomized_with_the_stated_lift(large_sim):
    a, s, truth = large_sim.assignments, large_sim.sessions, large_sim.truth
    assert a.user_id.is_unique and set(a.variant) == {"control", "treatment"}
    # A fair coin: no sample-ratio mismatch.
    counts = a.variant.value_counts()
    assert stats.binomtest(int(counts["treatment"]), int(counts.sum()), 0.5).pvalue > 0.001
    assert truth.experiment["absolute_lift"] > 0 and truth.experiment["relative_lift"] > 0
    # Observed per-session conversion in each arm is close to the truth.
    joined = s.merge(a, on="user_id")
    in_exp = joined[joined.purchase_date >= joined.assigned_at]
    assert len(in_exp) == truth.experiment["sessions"]
    rate = in_exp.groupby("variant").purchase_decision.mean()
    se = np.sqrt(rate * (1 - rate) / in_exp.groupby("variant").size())
    assert abs(rate["control"] - truth.experiment["conversion_control"]) < 4 * se["control"]
    assert abs(rate["treatment"] - truth.experiment["conversion_treatment"]) < 4 * se["treatment"]


def test_pre_period_covariate_predicts_the_outcome(large_sim):
    pre, s = large_sim.pre_period, large_sim.sessions
    assert pre.user_id.is_unique and set(pre.user_id) >= set(s.user_id)
    per_user = s.groupby("user_id").purchase_decision.mean().rename("conversion")
    merged = pre.set_index("user_id").join(per_user, how="inner")
    rho = stats.spearmanr(merged.pre_purchases, merged.conversion).statistic
    assert rho > 0.1


# ------------------------------------------------------------------------------- Parquet at scale
@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of 1,000 sessions, so that small datasets span several blocks."""
    monkeypatch.setattr(simulate_module, "PARQUET_BLOCK_SESSIONS", 1000)
    return 1000


def _tables(out) -> dict[str, pd.DataFrame]:
    return {name: out.read(name) for name in PARQUET_TABLES}


def test_parquet_same_data_whatever_the_chunk_size(tmp_path, small_blocks):
    lines: list[str] = []
    a = simulate_to_parquet(2600, seed=3, out_dir=tmp_path / "a", chunk_size=700, progress=lines.append)
    b = simulate_to_parquet(2600, seed=3, out_dir=tmp_path / "b", chunk_size=5000)
    assert a.blocks == b.blocks == 3
    assert len(a.files[TABLE_NAME]) == 4 and len(b.files[TABLE_NAME]) == 1
    assert [len(pd.read_parquet(p)) for p in a.files[TABLE_NAME]] == [700, 700, 700, 500]
    assert [len(pd.read_parquet(p)) for p in a.files["truth/sessions"]] == [700, 700, 700, 500]  # aligned files
    for name, frame in _tables(a).items():
        pd.testing.assert_frame_equal(frame, b.read(name), obj=name)
    assert (tmp_path / "a/truth/truth.json").read_text() == (tmp_path / "b/truth/truth.json").read_text()
    assert a.truth == json.loads((tmp_path / "a/truth/truth.json").read_text()) | {"personas": a.truth["personas"]}
    # One progress line per sessions file, then the totals.
    wrote = [line for line in lines if line.startswith("wrote customer_sessions/part-")]
    assert len(wrote) == 4 and "2,600 of 2,600 sessions" in wrote[-1] and lines[-1].startswith("simulated 2,600")
    manifest = json.loads((tmp_path / "a/simulation.json").read_text())
    assert manifest["rows"][TABLE_NAME] == 2600 and manifest["block_sessions"] == 1000


def test_parquet_blocks_are_whole_independent_populations(tmp_path, small_blocks):
    out = simulate_to_parquet(2600, seed=3, out_dir=tmp_path, chunk_size=1000)
    t = _tables(out)
    s = t[TABLE_NAME]
    assert list(s.columns) == ["session_id", *COLUMN_NAMES] and s.session_id.tolist() == list(range(1, 2601))
    assert t["truth/sessions"].session_id.equals(s.session_id)
    # Block 0 is the in-memory simulation, table by table; the contract's dtypes throughout.
    first = simulate(1000, seed=3)
    pd.testing.assert_frame_equal(s.drop(columns="session_id").iloc[:1000], first.sessions)
    pd.testing.assert_frame_equal(t["truth/sessions"].drop(columns="session_id").iloc[:1000], first.truth.sessions)
    pd.testing.assert_frame_equal(t["user_pre_period"].iloc[: len(first.pre_period)], first.pre_period)
    sessions, _, report = validate_sessions(s.drop(columns="session_id"))
    assert report.rows_quarantined == 0
    pd.testing.assert_frame_equal(sessions, s.drop(columns="session_id"))
    # Users never span blocks; every block covers the 12 weeks.
    block = (s.session_id - 1) // 1000
    assert (s.groupby("user_id").session_id.apply(lambda ids: ((ids - 1) // 1000).nunique()) == 1).all()
    assert (s.groupby(block).purchase_date.agg(lambda d: (d.max() - d.min()).days) >= 70).all()
    assert t["user_pre_period"].user_id.is_unique and set(t["truth/users"].user_id) == set(s.user_id)
    assert len(t["truth/users"]) == out.n_users
    # Another seed, other data.
    other = simulate_to_parquet(1000, seed=4, out_dir=tmp_path / "other", chunk_size=1000)
    assert not set(other.read(TABLE_NAME).user_id) & set(s.user_id)


def test_parquet_truth_is_aggregated_over_the_blocks(tmp_path, small_blocks):
    out = simulate_to_parquet(3500, seed=8, out_dir=tmp_path, chunk_size=2000)
    truth, t = out.truth, out.read("truth/sessions")
    effect = t.p_if_offered - t.p_if_not_offered
    assert truth["n_sessions"] == 3500 and truth["params"]["parquet"] == {"block_sessions": 1000, "blocks": 4}
    assert truth["discount_ate"] == pytest.approx(effect.mean(), rel=1e-12)
    assert truth["discount_att"] == pytest.approx(effect[t.discount_offered].mean(), rel=1e-12)
    for name, value in truth["discount_ate_by_persona"].items():
        assert value == pytest.approx(effect[t.persona == name].mean(), rel=1e-12)
    assert truth["experiment"]["sessions"] == t.variant.notna().sum()
    assert truth["policy"]["discount"]["offered_share"] == pytest.approx(t.discount_offered.mean(), rel=1e-12)
    s = out.read(TABLE_NAME)
    extra = np.where(t.discount_offered, t.p_purchase - t.p_if_not_offered, 0.0)
    assert truth["policy"]["discount"]["incremental_list_revenue"] == pytest.approx((extra * s.price).mean(), rel=1e-12)
    # Means over the experiment's sessions: between the blocks' own values, and lifts recomputed.
    blocks = [
        simulate_module._simulate(1000 if b < 3 else 500, 8, simulate_module._block_entropy(8, b), print)
        for b in range(4)
    ]
    conv = [b.truth.experiment["conversion_control"] for b in blocks]
    assert min(conv) < truth["experiment"]["conversion_control"] < max(conv)
    elasticity = [b.truth.price_elasticity for b in blocks]
    assert min(elasticity) < truth["price_elasticity"] < max(elasticity)
    e = truth["experiment"]
    assert e["absolute_lift"] == e["conversion_treatment"] - e["conversion_control"]
    weights = np.array([b.truth.experiment["sessions"] for b in blocks])
    assert e["conversion_treatment"] == pytest.approx(
        np.average([b.truth.experiment["conversion_treatment"] for b in blocks], weights=weights), rel=1e-12
    )


def test_parquet_one_block_has_the_in_memory_truth(tmp_path):
    out = simulate_to_parquet(800, seed=5, out_dir=tmp_path)
    sim = simulate(800, seed=5)
    expected = json.loads(json.dumps({f: getattr(sim.truth, f) for f in out.truth if f != "params"}))
    written = json.loads((tmp_path / "truth/truth.json").read_text())
    assert {k: v for k, v in written.items() if k != "params"} == expected
    assert written["params"] == {**sim.truth.params, "parquet": {"block_sessions": 1_000_000, "blocks": 1}}


def test_parquet_empty_tables_still_have_a_typed_file(tmp_path):
    out = simulate_to_parquet(1, seed=0, out_dir=tmp_path)
    for name in PARQUET_TABLES:
        assert len(out.files[name]) == 1 and out.files[name][0].is_file()
    assert list(out.read("experiment_assignments").columns) == ["user_id", "variant", "assigned_at"]
    assert out.read(TABLE_NAME).dtypes.drop("session_id").to_dict() == simulate(1, seed=0).sessions.dtypes.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_sessions": 0}, "n_sessions must be a positive integer, got 0"),
        ({"n_sessions": 2.5}, "n_sessions must be a positive integer"),
        ({"chunk_size": 0}, "chunk_size must be a positive integer, got 0"),
        ({"chunk_size": True}, "chunk_size must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ],
)
def test_parquet_bad_arguments_are_one_line_errors(tmp_path, kwargs, message):
    args = {"n_sessions": 10, "seed": 1, "out_dir": tmp_path / "out", **kwargs}
    with pytest.raises(ValueError, match=message):
        simulate_to_parquet(**args)
    assert not (tmp_path / "out").exists()


def test_parquet_refuses_a_non_empty_folder_unless_overwrite(tmp_path, small_blocks):
    simulate_to_parquet(1500, seed=1, out_dir=tmp_path, chunk_size=300)
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"out_dir '.*' is not empty \(pass overwrite=True"):
        simulate_to_parquet(10, seed=1, out_dir=tmp_path)
    with pytest.raises(ValueError, match="out_dir must be a folder"):
        simulate_to_parquet(10, seed=1, out_dir=tmp_path / "notes.txt")
    out = simulate_to_parquet(1500, seed=1, out_dir=tmp_path, chunk_size=5000, overwrite=True)
    assert sorted(p.name for p in (tmp_path / TABLE_NAME).iterdir()) == ["part-00000.parquet"]
    assert (tmp_path / "notes.txt").read_text() == "mine" and out.rows[TABLE_NAME] == 1500
