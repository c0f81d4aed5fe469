"""Parquet datasets validated batch by batch: the same verdicts as load_sessions, nothing dropped."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecommerce_analytics.data import (
    DataContractError,
    load_sessions,
    parquet_files,
    sessions_arrow_schema,
    validate_parquet_dataset,
)
from ecommerce_analytics.schema import COLUMN_NAMES, TABLE_NAME
from ecommerce_analytics.simulate import simulate, simulate_to_parquet


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """600 sessions with bad rows on both sides of the boundaries of batches of 100 and 37 rows."""
    frame = simulate(600, seed=21).sessions.copy()
    frame["price"] = frame["price"].astype(object)
    frame.loc[[99, 100, 111], "rating"] = 9  # the last row of a batch of 100, the first of the next
    frame.loc[[36, 37], "price"] = "abc"  # around the first boundary of batches of 37
    frame.loc[199, "purchase_decision"] = 1  # a purchase without a cart, at a boundary
    frame.loc[199, ["add_to_cart", "abandoned_cart"]] = 0
    frame.loc[300, "user_id"] = None
    frame.loc[450, "purchase_date"] = pd.Timestamp("1970-01-01")
    frame.loc[250] = frame.loc[10]  # a duplicate two batches later
    frame.loc[12] = frame.loc[11]  # a duplicate in the same batch
    frame.loc[599] = frame.loc[40]  # the duplicate of a row that is kept, in the last row
    frame["price"] = frame["price"].astype(str)  # text, so that "abc" is a raw value to parse
    return frame


def _write_lake(frame: pd.DataFrame, folder: Path, cuts=(250, 380)) -> Path:
    """The frame as three files (one in a subfolder), plus files that readers skip."""
    (folder / "b").mkdir(parents=True)
    parts = np.split(np.arange(len(frame)), list(cuts))
    for path, rows in zip(("a-0.parquet", "a-1.parquet", "b/c.parquet"), parts, strict=True):
        frame.iloc[rows].to_parquet(folder / path, index=False)
    frame.iloc[:5].to_parquet(folder / "_ignored.parquet")
    (folder / "_SUCCESS").write_text("")
    return folder


@pytest.fixture(scope="module")
def reference(planted, tmp_path_factory):
    """What load_sessions says about the same rows as one file."""
    path = tmp_path_factory.mktemp("one") / "all.parquet"
    planted.to_parquet(path, index=False)
    return load_sessions(path)


@pytest.fixture(scope="module")
def lake(planted, tmp_path_factory) -> Path:
    return _write_lake(planted, tmp_path_factory.mktemp("lake") / "lake")


def _read(paths) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)


@pytest.mark.parametrize("batch_rows", [100, 250, 10_000])
def test_same_verdicts_as_load_sessions_whatever_the_batches(lake, reference, tmp_path, batch_rows):
    lines: list[str] = []
    report = validate_parquet_dataset(lake, tmp_path / "out", batch_rows=batch_rows, progress=lines.append)
    assert report.rows_in == 600 == report.rows_kept + report.rows_quarantined
    assert report.batches == -(-600 // batch_rows) and len(report.files_read) == 3
    assert (report.rows_kept, report.rows_quarantined) == (reference.report.rows_kept, 11)
    assert report.quarantine_reasons == reference.report.quarantine_reasons
    sessions = _read(report.sessions_files)
    assert sessions.session_id.tolist() == list(range(1, report.rows_kept + 1))
    pd.testing.assert_frame_equal(sessions.drop(columns="session_id"), reference.sessions)
    quarantine = pd.read_parquet(report.quarantine_file)
    expected = reference.quarantine[["line", "reason"]]
    pd.testing.assert_frame_equal(quarantine[["line", "reason"]], expected, check_dtype=False)
    assert quarantine.loc[quarantine.line == 251, "reason"].item() == "duplicate of line 11"
    assert quarantine.loc[quarantine.line == 38, "price"].item() == "abc"  # the raw value
    assert list(quarantine.columns) == ["line", *COLUMN_NAMES, "reason"]
    assert sum(line.startswith("batch ") for line in lines) == report.batches
    assert json.loads((tmp_path / "out/report.json").read_text())["rows_kept"] == report.rows_kept


def test_kept_rows_have_the_contract_schema(lake, tmp_path):
    report = validate_parquet_dataset(lake, tmp_path / "out", batch_rows=200)
    for path in report.sessions_files:
        assert pq.read_schema(path).remove_metadata().equals(sessions_arrow_schema())


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bad=st.sets(st.integers(0, 59), max_size=12),
    dupes=st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=4),
    batch_rows=st.integers(8, 70),
)
def test_nothing_is_dropped_and_batches_do_not_matter(tmp_path_factory, bad, dupes, batch_rows):
    frame = simulate(60, seed=4).sessions.copy()
    frame.loc[sorted(bad), "rating"] = 0
    for src, dst in dupes:
        frame.loc[dst] = frame.loc[src]
    folder = tmp_path_factory.mktemp("prop")
    frame.to_parquet(folder / "one.parquet", index=False)
    try:
        expected = load_sessions(folder / "one.parquet")
    except DataContractError:
        with pytest.raises(DataContractError, match="no valid rows"):
            validate_parquet_dataset(folder / "one.parquet", folder / "out", batch_rows=batch_rows)
        return
    report = validate_parquet_dataset(folder / "one.parquet", folder / "out", batch_rows=batch_rows)
    assert report.rows_in == 60 == report.rows_kept + report.rows_quarantined
    assert report.quarantine_reasons == expected.report.quarantine_reasons
    quarantine = pd.read_parquet(report.quarantine_file)
    assert quarantine[["line", "reason"]].values.tolist() == expected.quarantine[["line", "reason"]].values.tolist()
    assert report.rows_kept == len(expected.sessions) == len(_read(report.sessions_files))


def test_missing_columns_are_one_line_errors_naming_the_dataset_and_file(planted, tmp_path):
    lake = _write_lake(planted, tmp_path / "lake")
    planted.iloc[:10].drop(columns="user_id").to_parquet(lake / "b" / "d.parquet")
    with pytest.raises(DataContractError) as err:
        validate_parquet_dataset(lake, tmp_path / "out")
    assert str(err.value).startswith(f"{lake}: missing required column(s): 'user_id' (")
    assert str(err.value).endswith(") in b/d.parquet") and "\n" not in str(err.value)
    planted.iloc[:10].drop(columns="price").to_parquet(lake / "b" / "d.parquet")
    with pytest.raises(DataContractError) as err:
        validate_parquet_dataset(lake, tmp_path / "out")
    assert str(err.value) == (
        f"{lake}: the files hold different contract columns: b/d.parquet and a-0.parquet differ in 'price'"
    )
    assert not (tmp_path / "out").exists()


def test_optional_columns_may_be_absent_everywhere(tmp_path):
    frame = simulate(40, seed=9).sessions.drop(columns=["review_text", "abandoned_cart"])
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    expected = load_sessions(tmp_path / "s.parquet")
    report = validate_parquet_dataset(tmp_path / "s.parquet", tmp_path / "out", batch_rows=15)
    assert report.missing_columns == expected.report.missing_columns == ["review_text"]
    assert any(note.startswith("abandoned_cart was derived") for note in report.notes)
    kept = _read(report.sessions_files)
    pd.testing.assert_frame_equal(kept.drop(columns="session_id"), expected.sessions)


def test_renamed_and_extra_columns_are_reported(tmp_path):
    frame = simulate(50, seed=2).sessions.rename(columns={"price": " Price "}).assign(note="x")
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    report = validate_parquet_dataset(tmp_path / "s.parquet", tmp_path / "out", batch_rows=20)
    assert report.renamed_columns == {" Price ": "price"} and report.extra_columns == ["note"]
    assert report.rows_kept == 50 and "note" not in _read(report.sessions_files).columns


def test_the_simulator_output_validates_clean(tmp_path):
    sim = simulate_to_parquet(900, seed=6, out_dir=tmp_path / "sim", chunk_size=400)
    report = validate_parquet_dataset(tmp_path / "sim" / TABLE_NAME, tmp_path / "out", batch_rows=300)
    assert (report.rows_in, report.rows_quarantined, report.extra_columns) == (900, 0, ["session_id"])
    pd.testing.assert_frame_equal(_read(report.sessions_files), sim.read(TABLE_NAME))


def test_all_rows_bad_is_an_error_after_writing_the_quarantine(tmp_path):
    frame = simulate(30, seed=2).sessions.assign(rating=7)
    frame.to_parquet(tmp_path / "s.parquet", index=False)
    with pytest.raises(DataContractError, match=r"no valid rows: all 30 rows quarantined \(most common reason: rating"):
        validate_parquet_dataset(tmp_path / "s.parquet", tmp_path / "out", batch_rows=8)
    assert len(pd.read_parquet(tmp_path / "out" / "quarantine.parquet")) == 30


def test_dataset_level_problems(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataContractError, match=r"empty: no Parquet files \(\*.parquet, \*.pq\) in this folder"):
        validate_parquet_dataset(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(DataContractError, match="nowhere: dataset not found"):
        validate_parquet_dataset(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(DataContractError, match="unparseable Parquet file"):
        validate_parquet_dataset(tmp_path / "bad", tmp_path / "out")
    (tmp_path / "schema_only").mkdir()
    simulate(5, seed=1).sessions.iloc[:0].to_parquet(tmp_path / "schema_only" / "x.parquet")
    with pytest.raises(DataContractError, match="no data rows"):
        validate_parquet_dataset(tmp_path / "schema_only", tmp_path / "out2")


def test_files_whose_types_disagree_are_unified_or_refused(tmp_path):
    frame = simulate(40, seed=3).sessions
    (tmp_path / "ok").mkdir()
    frame.iloc[:20].to_parquet(tmp_path / "ok" / "a.parquet")
    frame.iloc[20:].astype({"rating": "float64"}).to_parquet(tmp_path / "ok" / "b.parquet")
    assert validate_parquet_dataset(tmp_path / "ok", tmp_path / "out", batch_rows=15).rows_kept == 40
    (tmp_path / "clash").mkdir()
    frame.iloc[:20].to_parquet(tmp_path / "clash" / "a.parquet")
    pq.write_table(
        pa.Table.from_pandas(frame.iloc[20:], preserve_index=False).set_column(
            COLUMN_NAMES.index("rating"), "rating", pa.array([[1]] * 20)
        ),
        tmp_path / "clash" / "b.parquet",
    )
    with pytest.raises(DataContractError, match="column types disagree"):
        validate_parquet_dataset(tmp_path / "clash", tmp_path / "out2")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch_rows": 0}, "batch_rows must be a positive integer, got 0"),
        ({"batch_rows": 1.5}, "batch_rows must be a positive integer, got 1.5"),
        ({"out_dir": "lake/out"}, "out_dir must be outside the dataset"),
        ({"out_dir": "lake/a-0.parquet"}, "out_dir must be a folder"),
        ({"out_dir": "full"}, r"out_dir '.*full' is not empty \(pass overwrite=True"),
    ],
)
def test_bad_arguments_are_one_line_errors(lake, tmp_path, kwargs, message):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.txt").write_text("x")
    if "out_dir" in kwargs:
        kwargs["out_dir"] = (lake.parent if kwargs["out_dir"].startswith("lake") else tmp_path) / kwargs["out_dir"]
    args = {"source": lake, "out_dir": tmp_path / "out", **kwargs}
    with pytest.raises(ValueError, match=message):
        validate_parquet_dataset(**args)


def test_overwrite_replaces_only_its_outputs(lake, tmp_path):
    validate_parquet_dataset(lake, tmp_path, batch_rows=100)
    (tmp_path / "mine.txt").write_text("x")
    report = validate_parquet_dataset(lake, tmp_path, batch_rows=1000, overwrite=True)
    assert sorted(p.name for p in (tmp_path / TABLE_NAME).iterdir()) == ["part-00000.parquet"]
    assert (tmp_path / "mine.txt").read_text() == "x" and report.rows_in == 600


def test_files_are_read_in_path_order(lake):
    assert [p.relative_to(lake).as_posix() for p in parquet_files(lake)] == [
        "a-0.parquet",
        "a-1.parquet",
        "b/c.parquet",
    ]


def test_load_sessions_on_a_parquet_folder_points_to_the_dataset_loader(lake):
    with pytest.raises(DataContractError, match="validate_parquet_dataset"):
        load_sessions(lake)
