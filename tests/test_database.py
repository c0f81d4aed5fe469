"""SQLite build and the SQL library: every query equals an independent pandas computation,
on simulated data and on the Kaggle file."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from sql_reference import REFERENCE

from ecommerce_analytics import paths
from ecommerce_analytics.database import (
    QueryError,
    build_database,
    get_query,
    list_queries,
    run_all,
    run_query,
)

QUERY_NAMES = [q.name for q in list_queries()]


@pytest.fixture(scope="module")
def sim_db(tmp_path_factory, small_sim):
    path = tmp_path_factory.mktemp("db") / "sim.sqlite"
    return build_database(small_sim.sessions, path, assignments=small_sim.assignments, pre_period=small_sim.pre_period)


@pytest.fixture(scope="module")
def kaggle_db(tmp_path_factory, kaggle_sessions):
    return build_database(kaggle_sessions, tmp_path_factory.mktemp("db") / "kaggle.sqlite")


def test_library_covers_the_planned_questions():
    assert len(QUERY_NAMES) >= 20
    assert set(QUERY_NAMES) == set(REFERENCE)
    numbers = [q.number for q in list_queries()]
    assert numbers == sorted(set(numbers))
    for q in list_queries():
        assert q.question.endswith("?") and len(q.question) > 30
        assert q.sql.lstrip().startswith("-- Question:")


def _assert_same(sql: pd.DataFrame, ref: pd.DataFrame, name: str) -> None:
    assert list(sql.columns) == list(ref.columns), name
    assert len(sql) == len(ref), name
    for col in sql.columns:
        a, b = sql[col], ref[col]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=1e-9, err_msg=f"{name}.{col}"
            )
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), f"{name}.{col}"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_matches_pandas_on_simulated_data(name, sim_db, small_sim):
    _assert_same(run_query(sim_db, name), REFERENCE[name](small_sim.sessions), name)


@pytest.mark.kaggle
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_matches_pandas_on_the_kaggle_file(name, kaggle_db, kaggle_sessions):
    _assert_same(run_query(kaggle_db, name), REFERENCE[name](kaggle_sessions), name)


def test_results_are_not_empty_on_simulated_data(sim_db):
    results = run_all(sim_db)
    assert set(results) == set(QUERY_NAMES)
    assert all(len(frame) > 0 for frame in results.values())


def test_database_holds_the_experiment_tables_and_indexes(sim_db, small_sim):
    with sqlite3.connect(sim_db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        n = conn.execute("SELECT COUNT(*) FROM experiment_assignments").fetchone()[0]
        ids = [r[0] for r in conn.execute("SELECT session_id FROM customer_sessions ORDER BY session_id LIMIT 3")]
    assert {"customer_sessions", "experiment_assignments", "user_pre_period"} <= tables
    assert "idx_customer_sessions_user_id" in indexes and "idx_customer_sessions_purchase_date" in indexes
    assert n == len(small_sim.assignments)
    assert ids == [1, 2, 3]


def test_build_replaces_atomically_and_leaves_no_temp_file(tmp_path, small_sim):
    path = tmp_path / "x.sqlite"
    build_database(small_sim.sessions.head(10), path)
    build_database(small_sim.sessions.head(20), path)
    assert run_query(path, 1).sessions.item() == 20
    assert [p.name for p in tmp_path.iterdir()] == ["x.sqlite"]


def test_build_rejects_a_frame_without_the_contract(tmp_path, small_sim):
    with pytest.raises(ValueError, match="lacks .*contract column"):
        build_database(small_sim.sessions.drop(columns=["user_id"]), tmp_path / "x.sqlite")


@pytest.mark.parametrize("key", ["01_overall_metrics", "overall_metrics", "01", 1, "01_overall_metrics.sql"])
def test_get_query_by_name_or_number(key):
    assert get_query(key).name == "01_overall_metrics"


def test_unknown_query_lists_the_known_ones():
    with pytest.raises(QueryError, match="unknown query 'nope'; known queries: 01_overall_metrics"):
        get_query("nope")


def test_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="database not found"):
        run_query(tmp_path / "none.sqlite", 1)


def test_a_query_without_header_is_refused(tmp_path):
    (tmp_path / "01_bad.sql").write_text("SELECT 1;\n")
    with pytest.raises(QueryError, match="must open with a '-- Question: ...\\?' comment"):
        list_queries(tmp_path)


def test_query_files_live_in_the_project_sql_folder():
    assert all(q.path.parent == paths.QUERIES_DIR for q in list_queries())


def test_engine_sqlite_gives_the_default_results(sim_db):
    default = run_all(sim_db)
    for name, frame in run_all(sim_db, engine="sqlite").items():
        pd.testing.assert_frame_equal(frame, default[name], check_exact=True, obj=name)


def test_run_query_needs_a_database_or_an_engine():
    with pytest.raises(ValueError, match="^db: a SQLite database .* or an engine is required, got None$"):
        run_query(None, 1)
