"""Issue 10: the contract holds under hostile input.

In-memory frames and Parquet files with wrapped integers, time zones and non-scalar cells; the
command line's up-front argument checks; model files that must not run code; database paths
and queries that must stay read-only; formula cells in CSV outputs. The malformed-file corpus
is in ``test_data.py`` (``CASES``); this file adds the frame, Parquet and argument cases.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import os
import pickle
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecommerce_analytics import data, database, paths
from ecommerce_analytics import modeling as md
from ecommerce_analytics.cli import main
from ecommerce_analytics.config import run_name
from ecommerce_analytics.data import DataContractError, escape_formulas, load_sessions, validate_sessions
from ecommerce_analytics.data.numbers import _parse_whole
from ecommerce_analytics.schema import COLUMNS_BY_NAME, TARGET
from ecommerce_analytics.simulate import simulate


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate(40, seed=5).sessions


def _balanced(result) -> None:
    rep = result.report
    assert rep.rows_in == rep.rows_kept + rep.rows_quarantined
    assert len(result.sessions) == rep.rows_kept and len(result.quarantine) == rep.rows_quarantined
    assert sum(rep.quarantine_reasons.values()) == rep.rows_quarantined


# ------------------------------------------------------------------------- frame corpus
@dataclass
class FrameCase:
    name: str
    edit: Callable[[pd.DataFrame], pd.DataFrame]
    quarantined: int = 0
    reason: str | None = None
    error: str | None = None  # expected DataContractError text


def _set(column, rows, value, dtype=None):
    def edit(f):
        if dtype is not None:
            f[column] = f[column].astype(dtype)
        for i in rows:
            f.at[i, column] = value
        return f

    return edit


def _uint64_max(f):
    f["time_spent"] = f["time_spent"].astype("uint64")
    f.loc[3, "time_spent"] = np.uint64(2**64 - 1)
    return f


def _tz_column(tz):
    def edit(f):
        f["purchase_date"] = f["purchase_date"].dt.tz_localize(tz)
        return f

    return edit


def _nullable_int(f):
    f["rating"] = f["rating"].astype("Int64")
    f.loc[2, "rating"] = pd.NA
    return f


def _categorical(f):
    f["gender"] = f["gender"].astype("category")
    return f


def _bool_flags(f):
    for c in ("add_to_cart", "abandoned_cart", "purchase_decision"):
        f[c] = f[c].astype(bool)
    return f


def _aware_objects(f):
    values = [ts.to_pydatetime() for ts in f["purchase_date"]]
    values[4] = values[4].replace(tzinfo=dt.timezone(dt.timedelta(hours=3)))
    f["purchase_date"] = pd.Series(values, dtype=object)
    return f


def _string_offsets(f):
    text = f["purchase_date"].dt.strftime("%Y-%m-%dT%H:%M:%S").astype(object)
    text[6] = text[6] + "-08:00"
    f["purchase_date"] = text
    return f


FRAME_CASES = [
    FrameCase(
        "int64 pages 2**62",
        _set("pages_visited", [2], 2**62),
        1,
        "pages_visited: out of domain (1 <= pages_visited <= 1,000)",
    ),
    FrameCase(
        "int64 time_spent at the int64 minimum",
        _set("time_spent", [2], np.iinfo(np.int64).min),
        1,
        "time_spent: out of domain",
    ),
    FrameCase("uint64 maximum", _uint64_max, 1, "time_spent: 18446744073709551615 is outside int64"),
    FrameCase(
        "float 1e20 in an int column", _set("time_spent", [1], 1e20, float), 1, "time_spent: 1e+20 is outside int64"
    ),
    FrameCase("float 2.5 in an int column", _set("rating", [1], 2.5, float), 1, "rating: not a whole number"),
    FrameCase("float inf in a flag", _set("add_to_cart", [1], np.inf, float), 1, "add_to_cart: not finite"),
    FrameCase("whole floats in int columns", _set("rating", [1], 3.0, float)),
    FrameCase("nullable Int64 with NA", _nullable_int, 1, "rating: missing value"),
    FrameCase("categorical column", _categorical),
    FrameCase("boolean flags", _bool_flags),
    FrameCase("tz-aware column (Europe/Berlin)", _tz_column("Europe/Berlin")),
    FrameCase("tz-aware column (UTC)", _tz_column("UTC")),
    FrameCase("one aware datetime object", _aware_objects, 1, "purchase_date: time-zone offset +03:00"),
    FrameCase("one -08:00 string among naive strings", _string_offsets, 1, "purchase_date: time-zone offset -08:00"),
    FrameCase(
        "date in 1900",
        _set("purchase_date", [3], pd.Timestamp("1900-01-01")),
        1,
        "purchase_date: outside the plausible window",
    ),
    FrameCase("list cell", _set("location", [4], ["Paris", "Lyon"], object), 1, "location: a list, not a single value"),
    FrameCase("dict cell", _set("price", [5], {"amount": 3}, object), 1, "price: a dict, not a single value"),
    FrameCase("bytes cell", _set("user_id", [6], b"\x00\x01", object), 1, "user_id: bytes, not a single value"),
    FrameCase(
        "numpy array cell", _set("rating", [7], np.array([1, 2]), object), 1, "rating: a list, not a single value"
    ),
    FrameCase(
        "NUL in a str column", _set("review_text", [8], "good\x00bad"), 1, "review_text: contains a NUL character"
    ),
    FrameCase(
        "NUL in an object column", _set("location", [8], "Ro\x00me", object), 1, "location: contains a NUL character"
    ),
    FrameCase(
        "complex prices",
        lambda f: f.assign(price=f.price.astype(complex)),
        error="no valid rows: all 40 rows quarantined (most common reason: price: not a number (complex))",
    ),
    FrameCase("true/false in a price", _set("price", [2], True, object), 1, "price: not a number"),
    FrameCase(
        "true/false in a page count",
        _set("pages_visited", [2], True, object),
        1,
        "pages_visited: not a number (true/false)",
    ),
    FrameCase(
        "Decimal prices and ratings",
        lambda f: f.assign(
            price=[decimal.Decimal(str(x)) for x in f.price], rating=[decimal.Decimal(int(x)) for x in f.rating]
        ),
    ),
    FrameCase(
        "datetimes in a price column",
        lambda f: f.assign(price=f.purchase_date.astype(object)).pipe(
            lambda g: g.assign(price=[v if i < 39 else 5.0 for i, v in enumerate(g.price)])
        ),
        39,
        "price: not a number",
    ),
    FrameCase(
        "Arrow timestamps with a DST zone",
        lambda f: f.assign(
            purchase_date=f.purchase_date.dt.tz_localize("Europe/Berlin").astype(
                "timestamp[us, tz=Europe/Berlin][pyarrow]"
            )
        ),
    ),
    FrameCase(
        "Arrow uint64 maximum",
        lambda f: f.assign(time_spent=f.time_spent.astype("uint64[pyarrow]")).pipe(_set("time_spent", [5], 2**64 - 1)),
        1,
        "time_spent: 18446744073709551615 is outside int64",
    ),
    FrameCase("date objects", lambda f: f.assign(purchase_date=[d.date() for d in f.purchase_date])),
    FrameCase(
        "purchase without a cart",
        lambda f: f.assign(
            purchase_decision=np.where(
                f.add_to_cart.eq(0) & (np.arange(len(f)) == f.add_to_cart.eq(0).idxmax()), 1, f.purchase_decision
            )
        ),
        1,
        "purchase_decision = 1 but add_to_cart = 0",
    ),
]


def test_the_frame_corpus_and_the_file_corpus_make_at_least_45_inputs():
    from test_data import CASES

    assert len(CASES) + len(FRAME_CASES) >= 45 + 20
    assert len({c.name for c in FRAME_CASES}) == len(FRAME_CASES)


@pytest.mark.parametrize("case", FRAME_CASES, ids=[c.name for c in FRAME_CASES])
def test_frame_corpus(case: FrameCase, sim):
    frame = case.edit(sim.copy())
    if case.error:
        with pytest.raises(DataContractError) as info:
            validate_sessions(frame, source="frame")
        assert str(info.value) == f"frame: {case.error}"
        return
    result = validate_sessions(frame, source="frame")
    _balanced(result)
    assert result.report.rows_quarantined == case.quarantined, result.quarantine.get("reason")
    if case.reason:
        assert result.quarantine["reason"].str.contains(case.reason, regex=False).all(), result.quarantine.reason
    kept = result.sessions
    # No kept row breaks the contract's own rules, whatever the input dtype.
    assert kept["time_spent"].between(0, 86_400).all() and kept["pages_visited"].between(1, 1_000).all()
    assert kept["purchase_date"].dtype == "datetime64[us]"
    assert kept["purchase_date"].between(pd.Timestamp("2000-01-01"), pd.Timestamp("2049-12-31 23:59:59")).all()
    assert (kept[TARGET] <= kept["add_to_cart"]).all()


def test_tz_aware_columns_are_read_on_their_own_clock_and_reported(sim, tmp_path):
    berlin = sim.copy()
    berlin["purchase_date"] = berlin["purchase_date"].dt.tz_localize("Europe/Berlin")
    result = validate_sessions(berlin)
    pd.testing.assert_series_equal(result.sessions["purchase_date"], sim["purchase_date"].astype("datetime64[us]"))
    assert any(
        "time-zone-aware column (Europe/Berlin)" in n and "not converted to UTC" in n for n in result.report.notes
    )
    berlin.to_parquet(tmp_path / "tz.parquet")
    loaded = load_sessions(tmp_path / "tz.parquet")
    assert loaded.report.rows_kept == len(sim)
    assert (loaded.sessions["purchase_date"] == sim["purchase_date"]).all()
    assert "Note: purchase_date: time-zone-aware column" in loaded.report.summary()


def test_a_single_shared_offset_keeps_the_wall_clock(tmp_path, sim):
    text = sim.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S+05:30")
    (tmp_path / "o.csv").write_text(text)
    result = load_sessions(tmp_path / "o.csv")
    assert result.report.rows_quarantined == 0
    assert (result.sessions["purchase_date"] == sim["purchase_date"]).all()
    assert any("every value carries the offset +05:30" in n for n in result.report.notes)


def test_whole_numbers_are_exact_above_2_to_the_53(sim):
    """A value a float64 would round (2**53 + 1) keeps its last digit: the parser never goes
    through a float (pages are bounded, so this is checked on the parser itself)."""
    col = COLUMNS_BY_NAME["pages_visited"]
    reasons = np.array([None, None, None], dtype=object)
    values = _parse_whole(
        col,
        pd.Series(["9007199254740993", "-9223372036854775808", "3"], dtype=object),
        np.zeros(3, dtype=bool),
        reasons,
    )
    assert values.tolist()[:2] == [2**53 + 1, -(2**63)]
    assert values.dtype == np.int64


def test_parquet_with_lists_and_huge_integers(tmp_path, sim):
    frame = sim.copy()
    frame["time_spent"] = frame["time_spent"].astype("uint64")
    frame.loc[1, "time_spent"] = np.uint64(2**63)
    frame.to_parquet(tmp_path / "big.parquet")
    result = load_sessions(tmp_path / "big.parquet")
    _balanced(result)
    assert result.quarantine["reason"].tolist() == ["time_spent: 9223372036854775808 is outside int64"]
    lists = sim.copy()
    lists["review_text"] = [[w] for w in lists["review_text"].fillna("")]
    lists.to_parquet(tmp_path / "lists.parquet")
    with pytest.raises(DataContractError, match="review_text: a list, not a single value"):
        load_sessions(tmp_path / "lists.parquet")  # every row quarantined -> one-line error


def test_funnel_rules_quarantine_nothing_on_the_simulator(small_sim):
    result = validate_sessions(small_sim.sessions)
    assert result.report.rows_quarantined == 0
    s = small_sim.sessions
    assert ((s[TARGET] == 1) & (s.add_to_cart == 0)).sum() == 0
    assert ((s.abandoned_cart == 1) & (s[TARGET] == 1)).sum() == 0


@pytest.mark.slow
def test_the_contract_quarantines_nothing_on_a_large_simulation(large_sim):
    result = validate_sessions(large_sim.sessions)
    assert (result.report.rows_kept, result.report.rows_quarantined) == (len(large_sim.sessions), 0)
    assert result.report.notes == []


@pytest.mark.kaggle
def test_funnel_rules_quarantine_nothing_on_the_kaggle_file(kaggle_csv):
    result = load_sessions(kaggle_csv)
    assert (result.report.rows_kept, result.report.rows_quarantined) == (5000, 0)
    assert result.report.notes == []


def test_unclosed_quote_is_reported_at_its_line_and_the_rest_is_kept(tmp_path, sim):
    text = sim.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S", lineterminator="\n")
    lines = text.splitlines()
    lines[20] = lines[20].replace(",", ',"', 1)  # line 21 of the file opens a quote that never closes
    (tmp_path / "q.csv").write_text("\n".join(lines) + "\n")
    result = load_sessions(tmp_path / "q.csv")
    _balanced(result)
    assert (result.report.rows_in, result.report.rows_quarantined) == (40, 1)
    assert result.quarantine["line"].tolist() == [21]
    assert any(n.startswith("line 21 is not valid CSV") for n in result.report.notes)
    assert result.lines.tolist() == [i for i in range(2, 42) if i != 21]


def test_utf16_is_detected_and_reported(tmp_path, sim):
    (tmp_path / "u.csv").write_bytes(sim.to_csv(index=False).encode("utf-16"))
    result = load_sessions(tmp_path / "u.csv")
    assert result.report.rows_kept == len(sim) and result.report.encoding.startswith("utf-16")
    assert result.sessions["user_id"].tolist() == sim["user_id"].tolist()


def test_bad_delimiters_are_one_line_errors(tmp_path, sim):
    sim.to_csv(tmp_path / "a.csv", index=False)
    for sep in (";;", "", '"', "\n"):
        with pytest.raises(DataContractError, match="delimiter") as info:
            load_sessions(tmp_path / "a.csv", sep=sep)
        assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- CSV escaping
def test_escape_formulas_escapes_text_cells_only():
    frame = pd.DataFrame(
        {
            "text": ["=cmd|' /C calc'!A0", "@SUM(A1)", "+1+2", "-2+3", "\tx", "\rx", "plain", "-5.00", "+3", None],
            "number": [-1.5, 2, -3, 4, 5, 6, 7, 8, 9, 10],
        }
    )
    out = escape_formulas(frame)
    assert out["text"].tolist()[:9] == [
        "'=cmd|' /C calc'!A0",
        "'@SUM(A1)",
        "'+1+2",
        "'-2+3",
        "'\tx",
        "'\rx",
        "plain",
        "-5.00",
        "+3",
    ]
    assert pd.isna(out["text"].iloc[9])
    assert out["number"].tolist() == frame["number"].tolist() and out["number"].dtype == frame["number"].dtype
    assert frame["text"].iloc[0] == "=cmd|' /C calc'!A0"  # the input is not modified


def _quarantine_file(tmp_path, sim) -> Path:
    frame = sim.copy().astype({"price": object, "location": object})
    frame.loc[2, "price"] = "=1+2"
    frame.loc[3, "price"] = -5.0
    frame.loc[4, "location"] = "@SUM(1)"
    frame.loc[4, "rating"] = 9
    frame.to_csv(tmp_path / "f.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    return tmp_path / "f.csv"


def test_quarantine_csv_escapes_formulas_unless_raw(tmp_path, sim, capsys):
    path = _quarantine_file(tmp_path, sim)
    assert main(["validate", str(path), "--quarantine-out", str(tmp_path / "q.csv")]) == 0
    assert main(["validate", str(path), "--quarantine-out", str(tmp_path / "raw.csv"), "--raw-csv"]) == 0
    q = list(csv.DictReader(io.StringIO((tmp_path / "q.csv").read_text())))
    raw = list(csv.DictReader(io.StringIO((tmp_path / "raw.csv").read_text())))
    assert [r["price"] for r in q][:2] == ["'=1+2", "-5.0"]  # the negative number stays a number
    assert q[2]["location"] == "'@SUM(1)" and raw[2]["location"] == "@SUM(1)"
    assert [r["price"] for r in raw][:2] == ["=1+2", "-5.0"]
    assert int(q[0]["line"]) == 4


# --------------------------------------------------------------------- command-line checks
@pytest.fixture()
def files(tmp_path, sim):
    sim.to_csv(tmp_path / "s.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    (tmp_path / "notes.txt").write_text("not a database\n")
    (tmp_path / "empty.sqlite").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    (tmp_path / "garbage.joblib").write_bytes(os.urandom(256))
    return tmp_path


ARG_CASES = [
    (["simulate", "--seed", "-1", "--out", "{t}/o"], "--seed: must be between 0 and 4,294,967,295, got -1"),
    (["simulate", "--seed", "4294967296", "--out", "{t}/o"], "must be between 0"),
    (["simulate", "--seed", "x", "--out", "{t}/o"], "not a whole number: 'x'"),
    (["simulate", "--n-sessions", "1000000000000", "--out", "{t}/o"], "at most 1,000,000,000 sessions"),
    (["simulate", "--n-sessions", "6000000", "--out", "{t}/o"], "at most 5,000,000 sessions in memory"),
    (["report", "--n-sessions", "1000000000000", "--no-notebooks"], "at most 1,000,000,000 sessions"),
    (["report", "--n-sessions", "6000000", "--no-notebooks"], "at most 5,000,000 sessions in memory"),
    (["simulate", "--out", "{t}/s.csv"], "--out {t}/s.csv: is a file, not a folder"),
    (["simulate", "--out", "{t}/s.csv/sub"], "is a file, so the folder cannot be created"),
    (["validate", "{t}/s.csv", "--sep", ";;"], "the delimiter must be exactly one character, got ';;'"),
    (["validate", "{t}/s.csv", "--sep", ""], "the delimiter must be exactly one character, got ''"),
    (["validate", "{t}/s.csv", "--sep", '"'], "the delimiter cannot be"),
    (["validate", "{t}/s.csv", "--quarantine-out", "{t}/dir"], "--quarantine-out {t}/dir: is a directory"),
    (["validate", "{t}/s.csv", "--json", "{t}/dir"], "--json {t}/dir: is a directory"),
    (["validate", "{t}/s.csv", "--quarantine-out", "{t}/s.csv/q.csv"], "cannot be created"),
    (
        ["predict", "--model", "{t}/garbage.joblib", "--data", "{t}/s.csv", "--out", "{t}/p.csv"],
        "model card garbage.card.json not found",
    ),
    (["predict", "--model", "{t}/dir", "--data", "{t}/s.csv", "--out", "{t}/p.csv"], "is a directory"),
    (["predict", "--model", "{t}/none.joblib", "--data", "{t}/s.csv", "--out", "{t}/p.csv"], "model file not found"),
    (["sql", "1", "--db", "{t}/notes.txt"], "--db {t}/notes.txt: not a SQLite database"),
    (["sql", "1", "--db", "{t}/empty.sqlite"], "an empty file"),
    (["sql", "1", "--db", "{t}/dir"], "is a directory, not a SQLite database"),
    (["sql", "1", "--db", "{t}/none.sqlite"], "database not found"),
    (["build-db", "--source", "{t}/s.csv", "--db", "{t}/notes.txt"], "is not a SQLite database; refusing to overwrite"),
    (["build-db", "--source", "{t}/missing.csv", "--db", "{t}/x.sqlite"], "--source {t}/missing.csv: file not found"),
    (["build-db", "--source", "{t}/dir", "--db", "{t}/x.sqlite"], "is a folder without Parquet files, not a data file"),
    (["report", "--notebooks", "99", "--db", "{t}/r.sqlite"], "--notebooks: no notebook matches '99'"),
    (["report", "--notebooks", "01", "nope", "--db", "{t}/r.sqlite"], "no notebook matches 'nope'"),
    (["report", "--db", "{t}/dir", "--no-notebooks"], "--db {t}/dir: is a directory"),
    (["fetch-kaggle", "--dest", "{t}/s.csv"], "is a file, not a folder"),
    (["sql", "1", "--db", "{t}/none.sqlite", "--out", "{t}/s.csv"], "database not found"),
]


@pytest.mark.parametrize(
    "argv, message", ARG_CASES, ids=[" ".join(a[:3]) + f" #{i}" for i, (a, _) in enumerate(ARG_CASES)]
)
def test_arguments_are_checked_up_front(argv, message, files, capsys, monkeypatch):
    monkeypatch.setattr(paths, "PROCESSED_DIR", files / "processed")
    monkeypatch.setattr(paths, "DEFAULT_DATABASE", files / "processed" / "ecommerce.sqlite")
    before = sorted(p.name for p in files.iterdir())
    started = time.perf_counter()
    code = main([a.replace("{t}", str(files)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert message.replace("{t}", str(files)) in err[0]
    assert time.perf_counter() - started < 2  # rejected before any work
    assert sorted(p.name for p in files.iterdir()) == before  # nothing written


def test_sep_and_out_checks_also_apply_to_predict(files, model_dir, capsys):
    assert (
        main(
            [
                "predict",
                "--model",
                str(files / "m.joblib"),
                "--data",
                str(files / "s.csv"),
                "--out",
                str(files / "o.csv"),
                "--sep",
                ";;",
            ]
        )
        == 2
    )
    assert "delimiter must be exactly one character" in capsys.readouterr().err
    model = str(model_dir / "browse_stage.joblib")
    for argv, message in [
        (["--data", str(files / "s.csv"), "--out", str(files / "dir")], f"--out {files / 'dir'}: is a directory"),
        (
            ["--data", str(files / "nope.csv"), "--out", str(files / "o.csv")],
            f"--data {files / 'nope.csv'}: file not found",
        ),
        (["--data", str(files / "dir"), "--out", str(files / "o.csv")], "is a directory, not a data file"),
        (["--data", str(files / "s.csv"), "--out", str(files / "s.csv" / "o.csv")], "cannot be created"),
    ]:
        assert main(["predict", "--model", model, *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err
    assert not (files / "o.csv").exists()
    assert main(["--version"]) == 0 and main(["sql", "--help"]) == 0


def test_build_db_without_db_writes_the_runs_own_database(files, monkeypatch, capsys):
    processed = files / "processed"
    monkeypatch.setattr(paths, "PROCESSED_DIR", processed)
    monkeypatch.setattr(paths, "DEFAULT_DATABASE", processed / "ecommerce.sqlite")
    assert main(["-q", "build-db", "--source", str(files / "s.csv")]) == 0
    expected = paths.database_path(run_name(str(files / "s.csv")))
    assert expected == processed / "file-s.sqlite"
    assert capsys.readouterr().out.strip() == str(expected)
    assert expected.is_file() and not (processed / "ecommerce.sqlite").exists()


def test_report_rejects_an_unknown_notebook_before_building_anything(files, capsys):
    db = files / "r.sqlite"
    assert main(["report", "--n-sessions", "300", "--db", str(db), "--notebooks", "1", "99"]) == 2
    assert not db.exists()
    assert "no notebook matches '99'" in capsys.readouterr().err


def test_help_stays_fast_and_light():
    import subprocess
    import sys

    code = (
        "import sys, time; t = time.perf_counter(); from ecommerce_analytics.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'numpy', 'sklearn') if m in sys.modules]\n"
        "print(time.perf_counter() - t, heavy, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, heavy = proc.stderr.strip().split(" ", 1)
    assert heavy == "[]" and float(seconds) < 1.0


# --------------------------------------------------------------------------- model files
@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, small_sim):
    folder = tmp_path_factory.mktemp("models")
    frame = md.stage_frame(small_sim.sessions, md.BROWSE)
    pipe = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical)["logistic_regression"]
    pipe.fit(frame[md.BROWSE.features], frame[TARGET])
    card = {
        "stage": "browse",
        "target": TARGET,
        "model": "logistic_regression",
        "numeric": list(md.BROWSE.numeric),
        "categorical": list(md.BROWSE.categorical),
    }
    md.save_model(pipe, folder / "browse_stage.joblib", card)
    return folder


class _RunsCode:
    """Unpickling this calls ``os.system`` (a classic pickle payload)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Evals:
    def __reduce__(self):
        return (eval, ("__import__('pathlib').Path('/tmp/ecommerce_eval_marker').touch()",))


class _NumpyWrites:
    def __reduce__(self):
        return (np.savetxt, ("/tmp/ecommerce_savetxt_marker", np.zeros(1)))


def _with_card(folder: Path, name: str, payload: bytes, good_card: dict) -> Path:
    """A crafted model file with a card that records the file's own sha256 (an attacker who can
    write both files): the restricted unpickler must still refuse it."""
    import hashlib

    path = folder / f"{name}.joblib"
    path.write_bytes(payload)
    card = {**good_card, "model_sha256": hashlib.sha256(payload).hexdigest()}
    path.with_suffix(".card.json").write_text(json.dumps(card))
    return path


@pytest.mark.parametrize("payload_name", ["os.system", "eval", "numpy.savetxt", "sklearn function"])
def test_a_crafted_model_file_does_not_execute_code(payload_name, model_dir, tmp_path, capsys):
    good_card = json.loads((model_dir / "browse_stage.card.json").read_text())
    marker = tmp_path / "pwned"
    payloads = {
        "os.system": _RunsCode(marker),
        "eval": _Evals(),
        "numpy.savetxt": _NumpyWrites(),
        "sklearn function": _SklearnCall(),
    }
    path = _with_card(tmp_path, "evil", pickle.dumps(payloads[payload_name]), good_card)
    with pytest.raises(md.ModelFileError, match="refused global") as info:
        md.load_model(path)
    assert "\n" not in str(info.value)
    assert not marker.exists()
    for name in ("eval", "savetxt", "svmlight"):
        assert not Path(f"/tmp/ecommerce_{name}_marker").exists()
    assert main(["predict", "--model", str(path), "--data", str(path), "--out", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "refused global" in err[0]
    assert not marker.exists() and not (tmp_path / "o.csv").exists()


class _SklearnCall:
    """A scikit-learn function that writes a file (only estimator classes may be named)."""

    def __reduce__(self):
        from sklearn.datasets import dump_svmlight_file

        return (dump_svmlight_file, (np.zeros((1, 1)), np.zeros(1), "/tmp/ecommerce_svmlight_marker"))


def test_a_model_file_cannot_import_a_module(model_dir, tmp_path):
    """Naming an unloaded module (here numpy's f2py command line, whose import runs its main) is
    refused before anything is imported: the subprocess shows the module was never loaded."""
    import subprocess
    import sys

    good_card = json.loads((model_dir / "browse_stage.card.json").read_text())
    path = _with_card(tmp_path, "imports", b"\x80\x02cnumpy.f2py.__main__\nmain\n)R.", good_card)
    script = (
        "import sys\nfrom ecommerce_analytics import modeling as md\n"
        f"try:\n    md.load_model({str(path)!r})\nexcept md.ModelFileError as e:\n    print('refused', e)\n"
        "print('loaded' if 'numpy.f2py.__main__' in sys.modules else 'not imported')"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert "refused" in out and "module not part of a saved model" in out and out.strip().endswith("not imported")


def test_model_files_and_cards_that_the_project_did_not_write(model_dir, tmp_path, capsys):
    good_card = json.loads((model_dir / "browse_stage.card.json").read_text())
    # A garbage file with a card of another file: refused before unpickling.
    garbage = tmp_path / "garbage.joblib"
    garbage.write_bytes(os.urandom(512))
    garbage.with_suffix(".card.json").write_text(json.dumps(good_card))
    with pytest.raises(md.ModelFileError, match="does not match its card"):
        md.load_model(garbage)
    # Garbage whose card records its hash: the unpickler fails cleanly.
    path = _with_card(tmp_path, "noise", b"\x80\x04garbage" * 10, good_card)
    with pytest.raises(md.ModelFileError, match="not a model file the project can load"):
        md.load_model(path)
    # A harmless pickle that is not a model.
    path = _with_card(tmp_path, "dict", pickle.dumps({"a": [1, 2]}), good_card)
    with pytest.raises(md.ModelFileError, match="holds a dict, not a fitted model"):
        md.load_model(path)
    # Cards: empty, not JSON, not an object, no hash, wrong stage.
    real = tmp_path / "real.joblib"
    real.write_bytes((model_dir / "browse_stage.joblib").read_bytes())
    for text, message in [
        ("", "not valid JSON"),
        ("{oops", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        (
            json.dumps({k: v for k, v in good_card.items() if k != "model_sha256"}),
            "lacks 'model_sha256' (saved by an older version",
        ),
        (json.dumps({**good_card, "stage": "checkout"}), "unknown stage 'checkout'"),
    ]:
        real.with_suffix(".card.json").write_text(text)
        with pytest.raises(md.ModelFileError, match=message.replace("(", r"\(")):
            md.load_model(real)
        code = main(["predict", "--model", str(real), "--data", str(real), "--out", str(tmp_path / "o.csv")])
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and err[0].startswith("error: ")


@pytest.mark.parametrize("kind", ["random_forest", "xgboost"])
def test_every_model_kind_round_trips_through_the_restricted_loader(kind, small_sim, tmp_path):
    frame = md.stage_frame(small_sim.sessions.head(600), md.BROWSE)
    pipe = md.make_models(md.BROWSE.numeric, md.BROWSE.categorical)[kind]
    pipe.set_params(model__n_estimators=5)
    pipe.fit(frame[md.BROWSE.features], frame[TARGET])
    card = {
        "stage": "browse",
        "target": TARGET,
        "model": kind,
        "numeric": list(md.BROWSE.numeric),
        "categorical": list(md.BROWSE.categorical),
    }
    path, _ = md.save_model(pipe, tmp_path / "m.joblib", card)
    loaded, saved = md.load_model(path)
    assert saved["model_sha256"] == data.file_sha256(path) and saved["model_format"] == md.MODEL_FORMAT
    # (a forest sums its trees' votes on 2 threads, so the last bit may differ between calls)
    np.testing.assert_allclose(
        loaded.predict_proba(frame[md.BROWSE.features]),
        pipe.predict_proba(frame[md.BROWSE.features]),
        rtol=1e-12,
        atol=1e-15,
    )


def test_predict_output_escapes_formula_ids(model_dir, sim, tmp_path, capsys):
    frame = sim.copy()
    frame.loc[0, "user_id"] = '=HYPERLINK("http://evil","x")'
    frame.to_csv(tmp_path / "d.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
    model = str(model_dir / "browse_stage.joblib")
    assert (
        main(["-q", "predict", "--model", model, "--data", str(tmp_path / "d.csv"), "--out", str(tmp_path / "p.csv")])
        == 0
    )
    assert (
        main(
            [
                "-q",
                "predict",
                "--model",
                model,
                "--data",
                str(tmp_path / "d.csv"),
                "--out",
                str(tmp_path / "raw.csv"),
                "--raw-csv",
            ]
        )
        == 0
    )
    escaped = pd.read_csv(tmp_path / "p.csv", dtype={"user_id": str})
    raw = pd.read_csv(tmp_path / "raw.csv", dtype={"user_id": str})
    assert escaped.user_id.iloc[0] == "'" + frame.user_id.iloc[0] and raw.user_id.iloc[0] == frame.user_id.iloc[0]
    assert escaped.user_id.iloc[1:].tolist() == raw.user_id.iloc[1:].tolist()
    assert np.allclose(escaped.purchase_probability, raw.purchase_probability)


# ------------------------------------------------------------------------------ databases
@pytest.fixture()
def odd_db(tmp_path, small_sim):
    folder = tmp_path / "d#1"
    folder.mkdir()
    path = folder / "a?b%41c#d.sqlite"
    database.build_database(small_sim.sessions.head(300), path)
    return path


def test_db_paths_with_uri_characters_open_the_named_file_read_only(odd_db, capsys):
    before = sorted(p.name for p in odd_db.parent.iterdir())
    assert database.run_query(odd_db, "01_overall_metrics").sessions.item() == 300
    with database.connect(odd_db) as conn, pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        conn.execute("DELETE FROM customer_sessions")
    assert main(["sql", "1", "--db", str(odd_db)]) == 0
    assert "01_overall_metrics" in capsys.readouterr().out
    assert sorted(p.name for p in odd_db.parent.iterdir()) == before  # no file "a" or other was created
    assert not (Path.cwd() / "a").exists()


def test_attach_and_other_escapes_are_denied(odd_db, tmp_path):
    target = tmp_path / "attached.sqlite"
    conn = database.connect(odd_db)
    for sql in (
        f"ATTACH DATABASE '{target}' AS x",
        f"VACUUM INTO '{target}'",
        "PRAGMA journal_mode = WAL",
        "CREATE TEMP TABLE t (x)",
        "SELECT load_extension('x')",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="not authorized|authorization denied"):
            conn.execute(sql)
    conn.close()
    assert not target.exists()
    query = database.Query("99_attach", odd_db, "Can a query attach a file?", f"ATTACH DATABASE '{target}' AS x")
    with pytest.raises(database.QueryError, match="not allowed on a read-only query connection"):
        database.run_query(odd_db, query)
    assert not target.exists()


def test_connect_refuses_files_that_are_not_databases(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(database.DatabaseFileError, match="not a SQLite database"):
        database.connect(tmp_path / "x.csv")
    with pytest.raises(FileNotFoundError, match="database not found"):
        database.connect(tmp_path / "none.sqlite")


def test_sql_out_escapes_formula_cells(tmp_path, small_sim, capsys):
    sessions = small_sim.sessions.copy()
    sessions["category"] = sessions["category"].astype(object)
    sessions.loc[sessions.index[:50], "category"] = "=1+1"
    db = database.build_database(sessions, tmp_path / "f.sqlite")
    assert main(["-q", "sql", "--all", "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    found = [p for p in (tmp_path / "out").glob("*.csv") if "=1+1" in p.read_text()]
    assert found, "some query reports categories"
    for p in found:
        cells = [c for row in csv.reader(io.StringIO(p.read_text())) for c in row]
        assert "'=1+1" in cells and "=1+1" not in cells


# ----------------------------------------------------------------- permutation test bound
def test_auc_permutation_test_is_batched_one_sided_and_unchanged(monkeypatch):
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 1500)
    p = rng.random(1500) + 0.2 * y
    full = md.auc_permutation_test(y, p, n_permutations=300, seed=1)
    monkeypatch.setattr(md, "_PERMUTATION_BATCH_CELLS", 1500 * 7)  # batches of 7 shuffles
    batched = md.auc_permutation_test(y, p, n_permutations=300, seed=1)
    assert batched == full
    assert full["alternative"] == "greater" and "one-sided" in full["method"]
    from sklearn.metrics import roc_auc_score

    assert full["auc"] == pytest.approx(roc_auc_score(y, p))
    assert full["p_value"] == pytest.approx(1 / 301)  # no shuffle reaches a real signal: (0 + 1) / (B + 1)
    worse = md.auc_permutation_test(y, -p, n_permutations=300, seed=1)
    assert worse["p_value"] > 0.9  # one-sided: a model worse than chance is no evidence


@pytest.mark.parametrize(
    "stamp",
    ["2025-01-31T04Z", "2025-01-31T04+05", "2025-01-31T0407Z", "20250131T040728Z", "2025-01-31T04:07:28.5-0330"],
)
def test_every_iso_form_of_an_offset_follows_the_timestamp_rule(stamp, small_sim):
    """Short and basic ISO 8601 forms with an offset, among naive values: that row is quarantined
    with a reason (no 'Mixed timezones' crash); the same form on every row is read on its clock."""
    frame = small_sim.sessions.head(20).copy()
    frame["purchase_date"] = frame["purchase_date"].dt.strftime("%Y-%m-%d %H:%M:%S").astype(object)
    frame.loc[frame.index[3], "purchase_date"] = stamp
    result = data.validate_sessions(frame)
    rep = result.report
    assert rep.rows_in == rep.rows_kept + rep.rows_quarantined == 20 and rep.rows_quarantined == 1
    assert "purchase_date" in result.quarantine.reason.iloc[0] and "offset" in result.quarantine.reason.iloc[0]
    everywhere = frame.assign(purchase_date=[stamp] * 20)
    same = data.validate_sessions(everywhere.drop_duplicates(subset=["user_id", "product_id"]))
    assert same.report.rows_quarantined == 0 or "duplicate" in " ".join(same.report.quarantine_reasons)
    assert any("every value carries the offset" in note for note in same.report.notes), same.report.notes


def test_zero_with_an_exponent_is_zero(small_sim):
    frame = small_sim.sessions.head(5).astype({"time_spent": object})
    frame.loc[frame.index[0], "time_spent"] = "0e20"
    result = data.validate_sessions(frame)
    assert result.report.rows_quarantined == 0 and result.sessions.time_spent.iloc[0] == 0


def test_a_carriage_return_inside_a_cell_cannot_start_a_formula_row(small_sim, tmp_path):
    """The escaped CSV outputs quote any cell holding a CR, so a reader that starts a row at a CR
    (universal newlines, as spreadsheets do) never sees a bare '=...' cell."""
    frame = small_sim.sessions.head(6).astype({"location": object, "user_id": object, "rating": object})
    frame.loc[frame.index[0], "location"] = "Paris\r=1+1"
    frame.loc[frame.index[1], "user_id"] = "u1\r=cmd|' /C calc'!A0"
    frame.loc[frame.index[2], "rating"] = "q\r=2+2"  # quarantined: its raw text goes to the quarantine CSV
    path = tmp_path / "cr.csv"
    frame.to_csv(path, index=False, lineterminator="\r\n")  # CRLF: the input quotes its CRs
    assert main(["-q", "validate", str(path), "--quarantine-out", str(tmp_path / "q.csv")]) == 0
    assert b'"q\r=2+2"' in (tmp_path / "q.csv").read_bytes()
    with open(tmp_path / "q.csv", newline=None) as fh:  # universal newlines: a bare CR ends a row
        rows = list(csv.reader(fh))
    assert len(rows) == 2 and not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row[:1])
