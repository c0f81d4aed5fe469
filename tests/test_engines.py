"""The SQL library on every engine (SQLite, DuckDB, Spark SQL): each query equals its pandas twin
(tests/sql_reference.py) on each engine and source, whatever the order of the input rows.

Tolerance: floating-point results agree to rtol = atol = 1e-9 (engines add in different orders);
integers and text are equal. DuckDB runs in the fast tier; Spark (one local[2] session for the
module) in the slow tier, skipped with the reason when pyspark or Java is missing.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
import sqlglot
from sql_reference import REFERENCE

from ecommerce_analytics.database import QueryError, build_database, list_queries, run_all, run_query
from ecommerce_analytics.engines import (
    ENGINES,
    EngineUnavailableError,
    connect_engine,
    parquet_to_sqlite,
    transpile,
)
from ecommerce_analytics.engines import spark_engine as spark_module

QUERIES = list_queries()
QUERY_NAMES = [q.name for q in QUERIES]
RTOL = ATOL = 1e-9


def assert_same(got: pd.DataFrame, want: pd.DataFrame, name: str) -> None:
    """Same columns, rows in the same order, numbers within RTOL/ATOL, text equal."""
    assert list(got.columns) == list(want.columns), name
    assert len(got) == len(want), name
    for col in got.columns:
        a, b = got[col], want[col]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            assert pd.api.types.is_numeric_dtype(a), f"{name}.{col}: {a.dtype}"
            np.testing.assert_allclose(
                a.to_numpy(float), b.to_numpy(float), rtol=RTOL, atol=ATOL, err_msg=f"{name}.{col}"
            )
            if pd.api.types.is_integer_dtype(b):
                assert a.dtype == np.int64, f"{name}.{col}: {a.dtype}"
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), f"{name}.{col}"


def _write_parquet(folder, sim, *, shuffle: bool, with_session_id: bool):
    """A Parquet folder as simulate_to_parquet lays it out: customer_sessions/ in two files."""
    sessions = sim.sessions.copy()
    sessions.insert(0, "session_id", np.arange(1, len(sessions) + 1, dtype=np.int64))
    if shuffle:
        sessions = sessions.sample(frac=1.0, random_state=0).reset_index(drop=True)
    if not with_session_id:
        sessions = sessions.drop(columns="session_id")
    (folder / "customer_sessions").mkdir(parents=True)
    half = len(sessions) // 2
    sessions.iloc[:half].to_parquet(folder / "customer_sessions" / "part-00000.parquet", index=False)
    sessions.iloc[half:].to_parquet(folder / "customer_sessions" / "part-00001.parquet", index=False)
    sim.assignments.to_parquet(folder / "experiment_assignments.parquet", index=False)
    (folder / "user_pre_period").mkdir()
    sim.pre_period.to_parquet(folder / "user_pre_period" / "part-00000.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def shuffled_parquet(tmp_path_factory, small_sim):
    """small_sim's tables, the sessions' rows shuffled (each keeps its session_id)."""
    return _write_parquet(tmp_path_factory.mktemp("shuffled"), small_sim, shuffle=True, with_session_id=True)


@pytest.fixture(scope="module")
def plain_parquet(tmp_path_factory, small_sim):
    """small_sim's tables in row order, without session_id (the engines number the rows)."""
    return _write_parquet(tmp_path_factory.mktemp("plain"), small_sim, shuffle=False, with_session_id=False)


@pytest.fixture(scope="module")
def sim_db(tmp_path_factory, small_sim):
    path = tmp_path_factory.mktemp("db") / "sim.sqlite"
    return build_database(small_sim.sessions, path, assignments=small_sim.assignments, pre_period=small_sim.pre_period)


@pytest.fixture(scope="module")
def sqlite_results(sim_db):
    return run_all(sim_db)


@pytest.fixture(scope="module")
def duck(shuffled_parquet):
    with connect_engine("duckdb", parquet=shuffled_parquet) as engine:
        yield engine


# --- DuckDB (fast tier) ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_duckdb_matches_pandas_on_shuffled_parquet(name, duck, small_sim):
    assert_same(run_query(duck, name), REFERENCE[name](small_sim.sessions), name)


def test_duckdb_on_frames_and_on_a_sqlite_file_agrees_with_sqlite(small_sim, sim_db, sqlite_results):
    frames = {"customer_sessions": small_sim.sessions, "experiment_assignments": small_sim.assignments}
    with connect_engine("duckdb", frames=frames) as from_frames, connect_engine("duckdb", database=sim_db) as from_db:
        assert from_db.tables() == ["customer_sessions", "experiment_assignments", "user_pre_period"]
        for name, want in sqlite_results.items():
            assert_same(run_query(from_frames, name), want, f"frames {name}")
            assert_same(run_query(from_db, name), want, f"sqlite file {name}")


def test_parquet_without_session_id_is_numbered_in_file_order(plain_parquet, small_sim, sqlite_results):
    with connect_engine("duckdb", parquet=plain_parquet) as engine:
        ids = engine.run("SELECT session_id FROM customer_sessions ORDER BY session_id").session_id
        first = engine.run("SELECT user_id FROM customer_sessions WHERE session_id = 1").user_id.item()
        quartiles = run_query(engine, "13_engagement_quartiles")
    assert ids.tolist() == list(range(1, len(small_sim.sessions) + 1))
    assert first == small_sim.sessions.user_id.iloc[0]
    assert_same(quartiles, sqlite_results["13_engagement_quartiles"], "13 on numbered Parquet")


def test_sqlite_results_do_not_depend_on_the_input_row_order(shuffled_parquet, sqlite_results):
    # The SQLite engine copies the shuffled Parquet rows (session_id kept) in their shuffled order.
    with connect_engine("sqlite", parquet=shuffled_parquet) as engine:
        order = engine.run("SELECT session_id FROM customer_sessions LIMIT 5").session_id.tolist()
        assert order != [1, 2, 3, 4, 5]
        for name, want in sqlite_results.items():
            assert_same(run_query(engine, name), want, name)


def test_parquet_to_sqlite_gives_the_same_database_as_build_database(plain_parquet, tmp_path, sqlite_results):
    path = parquet_to_sqlite(plain_parquet, tmp_path / "from_parquet.sqlite", batch_size=700)
    got = run_all(path)
    for name, want in sqlite_results.items():
        pd.testing.assert_frame_equal(got[name], want, check_exact=True, obj=name)  # same rows, same order
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        date = conn.execute("SELECT purchase_date FROM customer_sessions WHERE session_id = 1").fetchone()[0]
    assert "idx_customer_sessions_purchase_date" in indexes
    assert len(date) == 19 and date[10] == " "  # 'YYYY-MM-DD HH:MM:SS', as build_database writes it


@pytest.mark.parametrize("query", QUERIES, ids=QUERY_NAMES)
def test_every_query_orders_its_rows_by_a_unique_key(query, sqlite_results):
    """The outer ORDER BY covers the outer GROUP BY, or its output columns are unique in the result;
    a query without ORDER BY is a single-row aggregate."""
    tree = sqlglot.parse_one(query.sql, read="sqlite")
    result = sqlite_results[query.name]
    order = tree.args.get("order")
    if order is None:
        assert tree.args.get("group") is None and len(result) == 1, query.name
        return
    keys = [o.this for o in order.expressions]
    group = tree.args.get("group")
    key_sql = {k.sql() for k in keys}
    if group is not None and {g.sql() for g in group.expressions} <= key_sql:
        return
    columns = [k.name for k in keys if isinstance(k, sqlglot.exp.Column) and k.name in result.columns]
    assert columns, f"{query.name}: no output column in ORDER BY"
    assert not result.duplicated(subset=columns).any(), f"{query.name}: ORDER BY {columns} is not unique"


def test_sqlite_date_modifiers_are_transpiled(tmp_path):
    stamps = pd.date_range("2025-01-01 08:30:00", periods=16, freq="D").append(
        pd.DatetimeIndex(["2025-03-02 23:59:59", "2025-03-03 00:00:00"])
    )
    frames = {"customer_sessions": pd.DataFrame({"purchase_date": stamps})}
    sql = (
        "SELECT session_id, date(purchase_date, 'weekday 0', '-6 days') AS monday, "
        "date(purchase_date, 'weekday 3') AS wednesday, date(purchase_date, '+10 days') AS later "
        "FROM customer_sessions ORDER BY session_id"
    )
    with connect_engine("sqlite", frames=frames) as lite, connect_engine("duckdb", frames=frames) as duck:
        want = lite.run(sql)
        assert want.monday.iloc[0] == "2024-12-30" and want.wednesday.iloc[0] == "2025-01-01"
        assert_same(duck.run(sql), want, "date modifiers")
    with pytest.raises(QueryError, match="date\\(\\) modifier 'start of month' cannot be transpiled to duckdb"):
        transpile("SELECT date(d, 'start of month') FROM t", "duckdb")


def test_decimal_literals_are_doubles_and_integer_division_is_avoided():
    out = transpile("SELECT 1.0 * a / b AS r, age - age % 10 AS decade FROM t", "spark")
    assert out == "SELECT CAST(1.0 AS DOUBLE) * a / b AS r, age - age % 10 AS decade FROM t"
    assert all("TOTAL(" not in q.sql.upper() and "/ 10)" not in q.sql for q in QUERIES)


def test_an_engine_runs_queries_only(duck):
    for statement in ("DROP VIEW customer_sessions", "CREATE TABLE x AS SELECT 1", "SELECT 1; SELECT 2"):
        with pytest.raises(QueryError):
            duck.run(statement)
    assert "customer_sessions" in duck.tables()
    assert duck.run("SELECT COUNT(*) AS n FROM customer_sessions", dialect=None).n.item() == 3000


def test_engine_errors_are_one_line(duck):
    with pytest.raises(QueryError) as err:
        duck.run("SELECT no_such_column FROM customer_sessions")
    assert "\n" not in str(err.value) and "no_such_column" in str(err.value)


def test_run_query_and_run_all_accept_an_engine_name_or_object(shuffled_parquet, sim_db, sqlite_results):
    assert run_query(shuffled_parquet, 1, engine="duckdb").sessions.item() == 3000
    assert run_query(sim_db, 10, engine="duckdb").equals(sqlite_results["10_location"])
    pd.testing.assert_frame_equal(run_query(sim_db, 4, engine="sqlite"), sqlite_results["04_demographics"])
    seen = []
    with connect_engine("duckdb", database=sim_db) as engine:
        results = run_all(None, engine=engine, progress=seen.append)
        assert not engine._closed  # the caller's engine stays open
    assert list(results) == QUERY_NAMES and seen[0] == f"[1/{len(QUERIES)}] {QUERY_NAMES[0]}"


def test_closed_engine_refuses_queries(small_sim):
    engine = connect_engine("duckdb", frames={"customer_sessions": small_sim.sessions.head(10)})
    engine.close()
    engine.close()
    with pytest.raises(QueryError, match="the duckdb engine is closed"):
        engine.run("SELECT 1")


def test_unknown_engine_is_a_one_line_error_listing_the_engines(sim_db):
    assert ENGINES == ("sqlite", "duckdb", "spark")
    with pytest.raises(ValueError, match="^engine must be one of sqlite, duckdb, spark, got 'oracle'$"):
        connect_engine("oracle", database=sim_db)
    with pytest.raises(ValueError, match="engine must be one of sqlite, duckdb, spark or an engine object"):
        run_query(sim_db, 1, engine="oracle")


def test_connect_engine_needs_exactly_one_source(sim_db, small_sim):
    with pytest.raises(ValueError, match="exactly one source .* got none"):
        connect_engine("duckdb")
    with pytest.raises(ValueError, match="got database, frames"):
        connect_engine("duckdb", database=sim_db, frames={"customer_sessions": small_sim.sessions})
    with pytest.raises(ValueError, match="must include 'customer_sessions'"):
        connect_engine("duckdb", frames={"user_pre_period": small_sim.pre_period})
    with pytest.raises(ValueError, match="has no customer_sessions/ folder"):
        connect_engine("duckdb", parquet=sim_db.parent)
    with pytest.raises(ValueError, match="spark= and master= are for the spark engine"):
        connect_engine("duckdb", database=sim_db, master="spark://h:7077")


def test_missing_spark_or_java_is_a_clear_error(monkeypatch, small_sim):
    frames = {"customer_sessions": small_sim.sessions.head(5)}
    monkeypatch.setattr(spark_module.importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(EngineUnavailableError, match="needs pyspark: pip install 'ecommerce-analytics\\[spark\\]'"):
        connect_engine("spark", frames=frames)
    monkeypatch.undo()
    monkeypatch.setattr(spark_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(EngineUnavailableError, match="needs a Java runtime: .*install Java 17\\+"):
        connect_engine("spark", frames=frames)


@pytest.mark.kaggle
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_duckdb_matches_pandas_on_the_kaggle_file(name, kaggle_duck, kaggle_sessions):
    assert_same(run_query(kaggle_duck, name), REFERENCE[name](kaggle_sessions), name)


@pytest.fixture(scope="module")
def kaggle_duck(kaggle_sessions):
    with connect_engine("duckdb", frames={"customer_sessions": kaggle_sessions}) as engine:
        yield engine


# --- Spark (slow tier) ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_session():
    try:
        spark_module.check_spark_available()
    except EngineUnavailableError as exc:
        pytest.skip(str(exc))
    session = spark_module.local_session("local[2]", **spark_module.QUICK_START)
    yield session
    session.stop()


@pytest.mark.slow
def test_spark_matches_pandas_on_shuffled_parquet(spark_session, shuffled_parquet, small_sim):
    with connect_engine("spark", parquet=shuffled_parquet, spark=spark_session) as engine:
        assert engine.tables() == ["customer_sessions", "experiment_assignments", "user_pre_period"]
        for name in QUERY_NAMES:
            assert_same(run_query(engine, name), REFERENCE[name](small_sim.sessions), name)
    assert not spark_session.catalog.listTables()  # views dropped, the caller's session left running


@pytest.mark.slow
@pytest.mark.kaggle
def test_spark_matches_pandas_on_the_kaggle_file(spark_session, kaggle_sessions):
    with connect_engine("spark", frames={"customer_sessions": kaggle_sessions}, spark=spark_session) as engine:
        for name in QUERY_NAMES:
            assert_same(run_query(engine, name), REFERENCE[name](kaggle_sessions), name)
