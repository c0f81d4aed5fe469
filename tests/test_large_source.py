"""A large source: a folder of Parquet files, validated in batches, queried in DuckDB, sampled for the rest."""

from __future__ import annotations

import pandas as pd
import pytest

from ecommerce_analytics import sources
from ecommerce_analytics.cli import main
from ecommerce_analytics.database import build_database, run_query
from ecommerce_analytics.simulate import simulate_to_parquet


@pytest.fixture()
def dataset(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "SAMPLE_SESSIONS", 1000)
    monkeypatch.setattr("ecommerce_analytics.paths.run_data_dir", lambda name: tmp_path / "runs" / name)
    simulate_to_parquet(4000, 5, tmp_path / "shop", chunk_size=1500)
    return tmp_path / "shop"


def test_a_parquet_folder_is_validated_once_sampled_by_stratum_and_queried_where_it_is(dataset, tmp_path):
    data = sources.load_source(str(dataset))
    full = pd.read_parquet(dataset / "customer_sessions").sort_values("session_id")
    report = data.loaded.report
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (4000, 4000, 0)
    assert data.rows_total == 4000 and data.is_sample and 900 <= len(data.sessions) <= 1000
    # Whole customers: every kept customer has all of their sessions.
    kept = full[full.user_id.isin(data.sessions.user_id)]
    assert len(kept) == len(data.sessions)
    # Proportional by whether the customer bought: each stratum's share of sessions is kept (to one customer).
    bought = full.groupby("user_id").purchase_decision.transform("max")
    in_sample = data.sessions.groupby("user_id").purchase_decision.transform("max")
    assert abs(in_sample.mean() - bought.mean()) < 0.02
    assert f"{len(data.sessions):,} of the 4,000 sessions" in data.sample_sentence()
    again = sources.load_source(str(dataset))  # read back from the validated store, same sample
    assert again.from_store
    pd.testing.assert_frame_equal(again.sessions, data.sessions)
    # The SQL library runs on all 4,000 rows in DuckDB, and agrees with SQLite on the full data.
    engine = sources.ensure_database(data)
    with engine:
        in_engine = run_query(engine, "02_conversion_by_category")
    db = build_database(full.drop(columns="session_id"), tmp_path / "full.sqlite")
    pd.testing.assert_frame_equal(in_engine, run_query(db, "02_conversion_by_category"), check_dtype=False)


def test_cli_report_runs_the_sql_library_on_a_parquet_folder(dataset, capsys):
    assert main(["-q", "report", "--source", str(dataset), "--no-notebooks"]) == 0
    out = capsys.readouterr().out
    assert "(20 SQL queries run on duckdb)" in out and "Sessions 4,000" in out
    (dataset.parent / "empty").mkdir()
    assert main(["-q", "report", "--source", str(dataset.parent / "empty"), "--no-notebooks"]) == 2
    assert "is a folder without Parquet files" in capsys.readouterr().err


def test_notebook_01_and_02_aggregates_come_from_all_sessions_not_the_sample(dataset):
    from ecommerce_analytics import explore
    from ecommerce_analytics import segmentation as seg

    data = sources.load_source(str(dataset))
    full = pd.read_parquet(dataset / "customer_sessions").drop(columns="session_id")
    scale01, scale02 = explore.at_scale(data), seg.at_scale(data)
    product = scale01["product_readout"].estimates["conversion_rate"]
    assert product.n == 4000 and product.estimate == pytest.approx(full.purchase_decision.mean(), rel=1e-12)
    assert scale01["funnel_readout"].table.sessions.iloc[0] == 4000
    assert "stratified sample of customers" in scale01["sample_note"]
    assert scale02["rfm"].sentence() == seg.rfm_readout(full).sentence()
    assert int(scale02["retention"].users.sum()) == full.user_id.nunique()
    assert explore.at_scale(sources.load_source("simulated", n_sessions=300, seed=1, use_store=False)) == {}


def test_a_model_card_of_a_large_source_hashes_the_rows_it_trained_on(dataset):
    from ecommerce_analytics.modeling import data_fingerprint

    data = sources.load_source(str(dataset))
    digest = data_fingerprint(str(dataset), data.sessions, simulated=False)  # a folder: no file to hash
    assert len(digest) == 16
    assert digest != data_fingerprint(str(dataset), data.sessions.iloc[1:], simulated=False)
