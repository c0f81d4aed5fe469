"""Notebook 01/02 analytics computed in the engine (ecommerce_analytics.scale) equal the pandas versions.

Each function runs on SQLite and DuckDB (fast tier) and on Spark local[2] (slow tier, skipped when
pyspark or Java is missing), on pandas frames and on a chunked Parquet folder, and is compared with
the pandas computation the notebooks use today (rtol 1e-9: engines add in different orders).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import explore, metrics, scale, transactions
from ecommerce_analytics.database import list_queries
from ecommerce_analytics.engines import EngineUnavailableError, connect_engine
from ecommerce_analytics.engines import spark_engine as spark_module
from ecommerce_analytics.segmentation import rfm_groups
from ecommerce_analytics.simulate import simulate_to_parquet
from ecommerce_analytics.stats import mean as t_mean

RTOL = 1e-9
FAST_ENGINES = ("sqlite", "duckdb")


def assert_same_metrics(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for key, w in want.items():
        g = got[key]
        assert (g.n, g.method, g.confidence) == (w.n, w.method, w.confidence), key
        np.testing.assert_allclose(
            [g.estimate, g.ci_low, g.ci_high], [w.estimate, w.ci_low, w.ci_high], rtol=RTOL, atol=0, err_msg=key
        )


def assert_all_equal(engine, sessions: pd.DataFrame) -> None:
    """All four functions on ``engine`` equal their pandas twins on ``sessions``."""
    assert_same_metrics(scale.product_metrics_in_engine(engine), metrics.product_metrics(sessions))
    pd.testing.assert_frame_equal(scale.funnel_in_engine(engine), metrics.funnel(sessions), rtol=RTOL)
    pd.testing.assert_frame_equal(scale.rfm_in_engine(engine), rfm_groups(transactions.rfm_scores(sessions)), rtol=RTOL)
    for period in ("week", "month"):
        pd.testing.assert_frame_equal(
            scale.cohort_retention_in_engine(engine, period=period),
            transactions.cohort_retention(sessions, period=period),
            rtol=RTOL,
        )


@pytest.fixture(scope="module", params=FAST_ENGINES)
def engine(request, small_sim):
    with connect_engine(request.param, frames={"customer_sessions": small_sim.sessions}) as eng:
        yield eng


# --- equality with pandas -----------------------------------------------------------------------


def test_product_metrics_equal_pandas(engine, small_sim):
    assert_same_metrics(scale.product_metrics_in_engine(engine), metrics.product_metrics(small_sim.sessions))


def test_product_metrics_follow_alpha(engine, small_sim):
    got = scale.product_metrics_in_engine(engine, alpha=0.1)
    assert_same_metrics(got, metrics.product_metrics(small_sim.sessions, alpha=0.1))
    wide = scale.product_metrics_in_engine(engine)["avg_order_value"]
    assert got["avg_order_value"].ci_high < wide.ci_high


def test_funnel_equals_pandas(engine, small_sim):
    pd.testing.assert_frame_equal(scale.funnel_in_engine(engine), metrics.funnel(small_sim.sessions), rtol=RTOL)


def test_rfm_groups_equal_pandas(engine, small_sim):
    want = rfm_groups(transactions.rfm_scores(small_sim.sessions))
    got = scale.rfm_in_engine(engine)
    pd.testing.assert_frame_equal(got, want, rtol=RTOL)
    assert len(got) == 6  # the simulator's customers return and buy: every group is filled


@pytest.mark.parametrize("period", ["week", "month"])
def test_cohort_retention_equals_pandas(engine, small_sim, period):
    want = transactions.cohort_retention(small_sim.sessions, period=period)
    got = scale.cohort_retention_in_engine(engine, period=period)
    pd.testing.assert_frame_equal(got, want, rtol=RTOL)
    assert got.iloc[:, 2:].notna().any().any() and got.isna().any().any()  # retention, and unobservable cells


@pytest.mark.parametrize("name", FAST_ENGINES)
def test_rfm_one_session_per_customer_scores_frequency_3(name, small_sim):
    """Every customer once: frequency has one value and scores 3 for everyone, in SQL as in pandas."""
    sessions = small_sim.sessions.assign(user_id=[f"u{i}" for i in range(len(small_sim.sessions))])
    with connect_engine(name, frames={"customer_sessions": sessions}) as eng:
        got = scale.rfm_in_engine(eng)
    want_rfm = transactions.rfm_scores(sessions)
    assert set(want_rfm.F) == {3}
    pd.testing.assert_frame_equal(got, rfm_groups(want_rfm), rtol=RTOL)


@pytest.mark.parametrize("name", FAST_ENGINES)
def test_rfm_ties_score_equally_as_in_pandas(name, small_sim):
    """Heavy ties in all three components (shared last timestamps, frequencies and revenues) on 10 customers."""
    base = small_sim.sessions.iloc[:1].copy()
    users = ["a", "a", "b", "c", "c", "d", "e", "f", "g", "g", "h", "i", "j"]
    days = [1, 3, 3, 2, 3, 3, 1, 1, 2, 2, 3, 3, 1]
    rows = base.loc[base.index.repeat(len(users))].reset_index(drop=True)
    rows["user_id"] = users
    rows["purchase_date"] = pd.to_datetime([f"2025-01-0{d} 12:00:00" for d in days])
    rows["price"] = 100.0
    rows["discount_applied"] = 0.0
    rows["purchase_decision"] = [1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0]
    want_rfm = transactions.rfm_scores(rows)
    assert want_rfm.R.nunique() < want_rfm.recency_days.size and want_rfm.M.nunique() < 10  # ties present
    with connect_engine(name, frames={"customer_sessions": rows}) as eng:
        got = scale.rfm_in_engine(eng)
    pd.testing.assert_frame_equal(got, rfm_groups(want_rfm), rtol=RTOL)


def test_duckdb_on_a_chunked_parquet_folder_equals_pandas(tmp_path):
    """The large-source path: views over Parquet files, timestamps typed as TIMESTAMP, rows in two files."""
    out = simulate_to_parquet(2500, seed=5, out_dir=tmp_path / "sim", chunk_size=1000)
    sessions = out.read("customer_sessions").drop(columns="session_id")
    with connect_engine("duckdb", parquet=tmp_path / "sim") as eng:
        assert_all_equal(eng, sessions)


def test_row_order_does_not_matter(small_sim):
    shuffled = small_sim.sessions.sample(frac=1.0, random_state=1).reset_index(drop=True)
    with connect_engine("duckdb", frames={"customer_sessions": shuffled}) as eng:
        assert_all_equal(eng, small_sim.sessions)


# --- what comes back: aggregates only -----------------------------------------------------------


def test_only_aggregates_come_back(engine, small_sim):
    assert len(scale.run_metrics_query(engine, "product_metrics")) == 1
    assert len(scale.run_metrics_query(engine, "funnel")) == 1
    assert len(scale.run_metrics_query(engine, "rfm_groups")) <= 6
    weekly = scale.run_metrics_query(engine, "cohort_activity_weekly")
    assert weekly.users.sum() < len(small_sim.sessions) and len(weekly) <= 13 * 14 // 2


def test_readouts_are_the_notebook_objects(engine, small_sim):
    product = scale.product_readout_in_engine(engine)
    assert isinstance(product, explore.ProductMetrics)
    assert product.sentence() == explore.product_metrics(small_sim.sessions).sentence()
    funnel = scale.funnel_readout_in_engine(engine)
    assert isinstance(funnel, explore.FunnelReadout)
    assert funnel.sentence() == explore.funnel(small_sim.sessions).sentence()
    assert funnel.formatted().equals(explore.funnel(small_sim.sessions).formatted())


def test_metric_queries_have_questions():
    queries = list_queries(scale.METRICS_DIR)
    assert [q.name for q in queries] == [
        "01_product_metrics",
        "02_funnel",
        "03_rfm_groups",
        "04_cohort_activity_weekly",
        "05_cohort_activity_monthly",
        "06_rfm_frequencies",
    ]
    assert all(q.question.endswith("?") for q in queries)


# --- intervals from sufficient statistics -------------------------------------------------------


def test_mean_from_moments_equals_mean_of_values():
    x = np.random.default_rng(0).gamma(2.0, 30.0, 501)
    want = t_mean(x, alpha=0.1)
    got = scale.mean_from_moments(x.size, x.mean(), float(((x - x.mean()) ** 2).sum()), alpha=0.1)
    assert got.to_dict().keys() == want.to_dict().keys()
    np.testing.assert_allclose([got.estimate, got.ci_low, got.ci_high], [want.estimate, want.ci_low, want.ci_high])
    assert (got.n, got.method, got.confidence) == (want.n, want.method, want.confidence)


def test_mean_from_moments_rejects_bad_statistics():
    with pytest.raises(ValueError, match="at least two values, got 1"):
        scale.mean_from_moments(1, 2.0, 0.0)
    with pytest.raises(ValueError, match="ssd >= 0"):
        scale.mean_from_moments(5, 2.0, -1.0)
    with pytest.raises(ValueError, match="finite"):
        scale.mean_from_moments(5, float("nan"), 1.0)


# --- parameters and edge cases ------------------------------------------------------------------


def test_parameters_are_validated(engine, small_sim):
    with pytest.raises(ValueError, match="engine must be an open engine from connect_engine, got DataFrame"):
        scale.product_metrics_in_engine(small_sim.sessions)
    with pytest.raises(ValueError, match="period"):
        scale.cohort_retention_in_engine(engine, period="day")
    with pytest.raises(ValueError, match="alpha"):
        scale.funnel_in_engine(engine, alpha=1.5)


@pytest.mark.parametrize("name", FAST_ENGINES)
def test_empty_table_is_a_clear_error(name, small_sim):
    with connect_engine(name, frames={"customer_sessions": small_sim.sessions.iloc[:0]}) as eng:
        with pytest.raises(ValueError, match="at least one session"):
            scale.product_metrics_in_engine(eng)
        with pytest.raises(ValueError, match="at least one session"):
            scale.funnel_in_engine(eng)
        with pytest.raises(ValueError, match="at least one session"):
            scale.cohort_retention_in_engine(eng)


def test_fewer_than_two_purchases_fails_as_pandas(small_sim):
    sessions = small_sim.sessions.assign(purchase_decision=0, abandoned_cart=small_sim.sessions.add_to_cart)
    with pytest.raises(ValueError, match="at least two values, got 0") as pandas_error:
        metrics.product_metrics(sessions)
    with connect_engine("duckdb", frames={"customer_sessions": sessions}) as eng:
        with pytest.raises(ValueError, match="at least two values, got 0") as engine_error:
            scale.product_metrics_in_engine(eng)
    assert str(engine_error.value) == str(pandas_error.value)


# --- Spark (slow tier) --------------------------------------------------------------------------


@pytest.mark.slow
def test_spark_equals_pandas(tmp_path):
    try:
        spark_module.check_spark_available()
    except EngineUnavailableError as exc:
        pytest.skip(str(exc))
    out = simulate_to_parquet(1500, seed=9, out_dir=tmp_path / "sim", chunk_size=1000)
    sessions = out.read("customer_sessions").drop(columns="session_id")
    session = spark_module.local_session("local[2]", **spark_module.QUICK_START)
    try:
        with connect_engine("spark", parquet=tmp_path / "sim", spark=session) as eng:
            assert_all_equal(eng, sessions)
    finally:
        session.stop()


def test_rfm_readout_in_engine_says_what_the_per_customer_readout_says(engine, small_sim):
    from ecommerce_analytics.scale import rfm_readout_in_engine
    from ecommerce_analytics.segmentation import rfm_readout

    got, want = rfm_readout_in_engine(engine), rfm_readout(small_sim.sessions)
    assert got.rfm is None  # the customers stayed in the engine
    assert got.sentence() == want.sentence() and got.no_buyer_sentence() == want.no_buyer_sentence()
    pd.testing.assert_series_equal(got.frequency_scores, want.frequency_scores, check_names=False, check_dtype=False)
    assert got.min_buyer_m == want.min_buyer_m
    assert got.never_bought == pytest.approx(want.never_bought, rel=1e-12)
    assert got.mean_monetary == pytest.approx(want.mean_monetary, rel=1e-9)


@pytest.mark.parametrize("name", FAST_ENGINES)
def test_rfm_readout_in_engine_with_one_session_per_customer(name, small_sim):
    from ecommerce_analytics.engines import connect_engine
    from ecommerce_analytics.scale import rfm_readout_in_engine
    from ecommerce_analytics.segmentation import rfm_readout

    once = small_sim.sessions.drop_duplicates("user_id")
    with connect_engine(name, frames={"customer_sessions": once}) as eng:
        got = rfm_readout_in_engine(eng)
    assert got.sentence() == rfm_readout(once).sentence()
    assert got.sentence().startswith("Every customer has exactly one session here")
