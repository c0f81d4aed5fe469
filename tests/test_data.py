"""The data contract on real, simulated and deliberately broken inputs."""

from __future__ import annotations

import csv
import io
import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecommerce_analytics import data as data_mod
from ecommerce_analytics.data import (
    KAGGLE_SHA256,
    DataContractError,
    KaggleFetchError,
    fetch_kaggle,
    load_sessions,
    validate_sessions,
)
from ecommerce_analytics.schema import COLUMN_NAMES, COLUMNS, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP
from ecommerce_analytics.simulate import simulate

N_BASE = 30


@pytest.fixture(scope="module")
def base_rows() -> tuple[list[str], list[list[str]]]:
    """Header and rows (as text) of a small valid file."""
    text = simulate(N_BASE, seed=3).sessions.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",", encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _raw(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _set(rows: list[list[str]], header: list[str], indices, column: str, value: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    j = header.index(column)
    for i in indices:
        out[i][j] = value
    return out


@dataclass
class Case:
    name: str
    build: Callable[[Path, list[str], list[list[str]]], Path]
    error: str | None = None  # expected DataContractError text
    quarantined: int = 0  # expected quarantined rows when loading succeeds
    reason: str | None = None  # expected quarantine reason (substring), when quarantined > 0


def _truncated(p, h, r):
    path = _write(p / "truncated.csv", h, r)
    raw = path.read_bytes()
    path.write_bytes(raw[: raw.rstrip(b"\n").rfind(b",", 0, len(raw) - 40)])  # cut inside the last row
    return path


def _latin1(p, h, r):
    return _write(p / "latin1.csv", h, _set(r, h, [0, 1], "location", "Zürich"), encoding="latin-1")


def _bom(p, h, r):
    path = _write(p / "bom.csv", h, r)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    return path


def _nan_rows(p, h, r):
    rows = [list(x) for x in r]
    rows[3] = [""] * len(h)
    rows[4] = ["NaN"] * len(h)
    return _write(p / "nan_rows.csv", h, rows)


def _duplicates(p, h, r):
    return _write(p / "dups.csv", h, r + [r[0], r[5]])


def _extra_column(p, h, r):
    return _write(p / "extra.csv", h + ["campaign"], [x + ["spring"] for x in r])


def _header_case(p, h, r):
    header = list(h)
    header[h.index("price")] = "  Price "
    header[h.index("user_id")] = "USER_ID"
    return _write(p / "header_case.csv", header, r)


def _renamed(p, h, r):
    header = ["userid" if c == "user_id" else c for c in h]
    return _write(p / "renamed.csv", header, r)


def _missing_column(p, h, r, name="purchase_decision"):
    j = h.index(name)
    return _write(p / "missing.csv", [c for c in h if c != name], [x[:j] + x[j + 1 :] for x in r])


def _unterminated_quote(p, h, r):
    path = _write(p / "quote.csv", h, r)
    path.write_text(path.read_text() + 'x,"never closed,1,2\n')
    return path


def _blank_lines(p, h, r):
    path = _write(p / "blank.csv", h, r)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:5] + ["", ""] + lines[5:]) + "\n\n")
    return path


def _all_invalid(p, h, r):
    return _write(p / "all_invalid.csv", h, _set(r, h, range(len(r)), "price", "-1"))


def _corrupt_parquet(p, h, r):
    path = p / "corrupt.parquet"
    path.write_bytes(b"PAR1" + b"\x00garbage" * 10)
    return path


def _abandoned_without_cart(p, h, r):
    rows = _set(r, h, [2], "add_to_cart", "0")
    return _write(p / "abandoned.csv", h, _set(rows, h, [2], "abandoned_cart", "1"))


CASES = [
    Case("truncated file", _truncated, quarantined=1, reason="row shape: expected 19 fields"),
    Case(
        "wrong delimiter", lambda p, h, r: _write(p / "semicolon.csv", h, r, sep=";"), error="looks semicolon-delimited"
    ),
    Case("byte-order mark", _bom),
    Case("Latin-1 text", _latin1),
    Case("missing column", _missing_column, error="missing required column(s): 'purchase_decision' (name your"),
    Case("renamed column", _renamed, error="'user_id' (found 'userid'; rename it or pass --map user_id=userid)"),
    Case("header in other case and blanks", _header_case),
    Case(
        "text in numeric column",
        lambda p, h, r: _write(p / "text_num.csv", h, _set(r, h, [1, 7], "price", "abc")),
        quarantined=2,
        reason="price: not a number",
    ),
    Case(
        "negative prices",
        lambda p, h, r: _write(p / "neg.csv", h, _set(r, h, [0, 1, 2], "price", "-5.00")),
        quarantined=3,
        reason="price: out of domain (0 < price <= 1,000,000)",
    ),
    Case(
        "discount 150",
        lambda p, h, r: _write(p / "disc.csv", h, _set(r, h, [4], "discount_applied", "150")),
        quarantined=1,
        reason="discount_applied: out of domain (0 <= discount_applied <= 100)",
    ),
    Case(
        "rating 0",
        lambda p, h, r: _write(p / "rating.csv", h, _set(r, h, [6], "rating", "0")),
        quarantined=1,
        reason="rating: out of domain (1 <= rating <= 5)",
    ),
    Case("NaN rows", _nan_rows, quarantined=2, reason="user_id: missing value"),
    Case("duplicate rows", _duplicates, quarantined=2, reason="duplicate of line"),
    Case("header only", lambda p, h, r: _write(p / "header.csv", h, []), error="no data rows"),
    Case("zero bytes", lambda p, h, r: _raw(p / "empty.csv", b""), error="file is empty"),
    Case("directory instead of a file", lambda p, h, r: p, error="is a directory"),
    Case("missing file", lambda p, h, r: p / "nope.csv", error="file not found"),
    Case("binary content", lambda p, h, r: _raw(p / "bin.csv", b"\x00\x01\x02" * 50), error="binary content"),
    Case("unterminated quote", _unterminated_quote, quarantined=1, reason="row shape: broken quoting"),
    Case(
        "abandoned cart without cart",
        _abandoned_without_cart,
        quarantined=1,
        reason="abandoned_cart = 1 but add_to_cart = 0",
    ),
    Case(
        "unparseable date",
        lambda p, h, r: _write(p / "date.csv", h, _set(r, h, [9], "purchase_date", "yesterday")),
        quarantined=1,
        reason="purchase_date: not a date-time",
    ),
    Case(
        "fractional page count",
        lambda p, h, r: _write(p / "pages.csv", h, _set(r, h, [3], "pages_visited", "3.5")),
        quarantined=1,
        reason="pages_visited: not a whole number",
    ),
    Case(
        "gender outside the vocabulary",
        lambda p, h, r: _write(p / "gender.csv", h, _set(r, h, [8], "gender", "M")),
        quarantined=1,
        reason="gender: out of domain (one of Male, Female, Other)",
    ),
    Case(
        "flag outside 0/1",
        lambda p, h, r: _write(p / "flag.csv", h, _set(r, h, [8], "purchase_decision", "2")),
        quarantined=1,
        reason="purchase_decision: out of domain (0 or 1)",
    ),
    Case("unknown extra column", _extra_column),
    Case("blank lines", _blank_lines),
    Case("no valid rows", _all_invalid, error="no valid rows: all 30 rows quarantined"),
    Case("corrupt Parquet", _corrupt_parquet, error="unparseable Parquet file"),
    Case(
        "duplicate header",
        lambda p, h, r: _write(p / "duphead.csv", h + ["PRICE"], [x + ["1"] for x in r]),
        error="column 'price' appears twice",
    ),
]


# ------------------------------------------------------------------ hostile inputs (issue 10)
def _edit(name: str, column: str, value: str, rows_at=(2,)):
    """A builder that writes the base file with ``value`` in ``column`` on the given rows."""
    return lambda p, h, r: _write(p / f"{name}.csv", h, _set(r, h, rows_at, column, value))


def _all_offset(offsets):
    def build(p, h, r):
        rows = [list(x) for x in r]
        j = h.index("purchase_date")
        for i, x in enumerate(rows):
            x[j] = x[j].replace(" ", "T") + offsets[i % len(offsets)]
        return _write(p / f"offsets{len(offsets)}.csv", h, rows)

    return build


def _funnel(name, row, changes):
    def build(p, h, r):
        rows = [list(x) for x in r]
        for col, value in changes.items():
            rows = _set(rows, h, [row], col, value)
        return _write(p / f"{name}.csv", h, rows)

    return build


def _nul_after_64k(p, h, r):
    rows = _set(r, h, [0], "review_text", "long review " * 6000)  # 72 KB before the NUL
    rows = _set(rows, h, [20], "location", "Ber\x00lin")
    return _write(p / "nul_late.csv", h, rows)


def _encoded(name, codec, bom=b""):
    def build(p, h, r):
        path = _write(p / f"{name}.csv", h, r, encoding=codec)
        path.write_bytes(bom + path.read_bytes())
        return path

    return build


def _unclosed_quote_line_21(p, h, r):
    path = _write(p / "unclosed21.csv", h, r)
    lines = path.read_text().splitlines()
    fields = lines[20].split(",")
    fields[h.index("location")] = '"' + fields[h.index("location")]  # opens a quote never closed
    lines[20] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    return path


def _stray_quote_line_10(p, h, r):
    path = _write(p / "stray10.csv", h, r)
    lines = path.read_text().splitlines()
    lines[9] = lines[9].replace(",", ',"x"y', 1)  # characters after a closing quote
    path.write_text("\n".join(lines) + "\n")
    return path


def _many_broken(p, h, r):
    path = _write(p / "broken.csv", h, r)
    path.write_text(path.read_text() + "".join(f'"a{i}"b,c\n' for i in range(MAX_BROKEN + 1)))
    return path


def _crlf(p, h, r):
    path = _write(p / "crlf.csv", h, r)
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return path


def _bad_utf16(p, h, r):
    return _raw(p / "bad16.csv", b"\xff\xfe" + "user_id,price\n".encode("utf-16-le") + b"\x00\xd8")


def _iso_t(p, h, r):
    rows = [list(x) for x in r]
    j = h.index("purchase_date")
    for x in rows:
        x[j] = x[j].replace(" ", "T")
    return _write(p / "iso_t.csv", h, rows)


MAX_BROKEN = data_mod.MAX_BROKEN_RECORDS
OUTSIDE_WINDOW = "purchase_date: outside the plausible window (2000-01-01 to 2049-12-31)"
TIME_DOMAIN = "time_spent: out of domain (0 <= time_spent <= 86,400)"

HOSTILE_CASES = [
    # whole numbers: parsed exactly, never wrapped, bounded
    Case(
        "time_spent 1e20",
        _edit("ts1e20", "time_spent", "1e20"),
        quarantined=1,
        reason="time_spent: 1e20 is outside int64",
    ),
    Case(
        "pages at the uint64 maximum",
        _edit("u64", "pages_visited", "18446744073709551615"),
        quarantined=1,
        reason="pages_visited: 18446744073709551615 is outside int64",
    ),
    Case(
        "time_spent at the int64 maximum",
        _edit("i64", "time_spent", "9223372036854775807"),
        quarantined=1,
        reason=TIME_DOMAIN,
    ),
    Case("time_spent 2**53 + 1", _edit("p53", "time_spent", "9007199254740993"), quarantined=1, reason=TIME_DOMAIN),
    Case(
        "5,000-digit whole number",
        _edit("digits", "rating", "9" * 5000),
        quarantined=1,
        reason="rating: " + "9" * 37 + "... is outside int64",
    ),
    Case(
        "exponent 1e999999999",
        _edit("exp", "age", "1e999999999"),
        quarantined=1,
        reason="age: 1e999999999 is outside int64",
    ),
    Case(
        "flag 1 + 1e-16 (a float would round it to 1)",
        _edit("flagfrac", "add_to_cart", "1.0000000000000001"),
        quarantined=1,
        reason="add_to_cart: not a whole number",
    ),
    Case("time_spent over one day", _edit("day", "time_spent", "86401"), quarantined=1, reason=TIME_DOMAIN),
    Case(
        "1,001 pages",
        _edit("pages", "pages_visited", "1001"),
        quarantined=1,
        reason="pages_visited: out of domain (1 <= pages_visited <= 1,000)",
    ),
    Case("age 121", _edit("age", "age", "121"), quarantined=1, reason="age: out of domain (13 <= age <= 120)"),
    Case(
        "price ten million",
        _edit("price", "price", "1e7"),
        quarantined=1,
        reason="price: out of domain (0 < price <= 1,000,000)",
    ),
    Case("underscore digits", _edit("under", "time_spent", "1_000"), quarantined=1, reason="time_spent: not a number"),
    Case("hexadecimal", _edit("hex", "time_spent", "0x10"), quarantined=1, reason="time_spent: not a number"),
    Case("full-width digits", _edit("wide", "rating", "\uff13"), quarantined=1, reason="rating: not a number"),
    Case("infinite rating", _edit("inf", "rating", "inf"), quarantined=1, reason="rating: not finite"),
    Case("signs and blanks in whole numbers", _edit("signs", "time_spent", " +0012 ")),
    # timestamps: one time-zone rule and a plausible window
    Case(
        "one Z timestamp among local times",
        _edit("zulu", "purchase_date", "2025-01-05T10:00:00Z"),
        quarantined=1,
        reason="purchase_date: time-zone offset +00:00 in a column that does not share one offset",
    ),
    Case(
        "one +05:00 timestamp",
        _edit("plus5", "purchase_date", "2025-01-05 10:00:00+05:00"),
        quarantined=1,
        reason="purchase_date: time-zone offset +05:00",
    ),
    Case("every timestamp at +05:00", _all_offset(["+05:00"])),
    Case("every timestamp Z", _all_offset(["Z"])),
    Case(
        "two offsets and nothing else",
        _all_offset(["+01:00", "+02:00"]),
        error="no valid rows: all 30 rows quarantined (most common reason: purchase_date: time-zone offset",
    ),
    Case("year 1677", _edit("y1677", "purchase_date", "1677-09-22 00:00:00"), quarantined=1, reason=OUTSIDE_WINDOW),
    Case("year 1900", _edit("y1900", "purchase_date", "1900-01-01 00:00:00"), quarantined=1, reason=OUTSIDE_WINDOW),
    Case("year 2099", _edit("y2099", "purchase_date", "2099-06-01 12:00:00"), quarantined=1, reason=OUTSIDE_WINDOW),
    Case("year 9999", _edit("y9999", "purchase_date", "9999-12-31 23:59:59"), quarantined=1, reason=OUTSIDE_WINDOW),
    Case(
        "year 10000",
        _edit("y10000", "purchase_date", "10000-01-01 00:00:00"),
        quarantined=1,
        reason="purchase_date: not a date-time",
    ),
    Case("ISO 8601 with T", _iso_t),
    # NUL characters anywhere, funnel contradictions
    Case(
        "NUL inside a text field",
        _edit("nul", "location", "Ber\x00lin"),
        quarantined=1,
        reason="location: contains a NUL character",
    ),
    Case(
        "NUL inside a number",
        _edit("nulnum", "price", "12\x00"),
        quarantined=1,
        reason="price: contains a NUL character",
    ),
    Case("NUL after the first 64 KiB", _nul_after_64k, quarantined=1, reason="location: contains a NUL character"),
    Case(
        "header cell with a NUL",
        lambda p, h, r: _write(p / "nulhead.csv", ["user_id\x00"] + h[1:], r),
        error="missing required column(s): 'user_id'",
    ),
    Case(
        "purchase without a cart",
        _funnel("nocart", 0, {"purchase_decision": "1"}),
        quarantined=1,
        reason="purchase_decision = 1 but add_to_cart = 0",
    ),
    Case(
        "cart abandoned and purchased",
        _funnel("both", 1, {"purchase_decision": "1"}),
        quarantined=1,
        reason="abandoned_cart = 1 and purchase_decision = 1",
    ),
    # encodings and quoting
    Case("UTF-16 with BOM", _encoded("utf16", "utf-16")),
    Case("UTF-16-BE with BOM", _encoded("utf16be", "utf-16-be", b"\xfe\xff")),
    Case("UTF-16-LE without BOM", _encoded("utf16le", "utf-16-le")),
    Case("broken UTF-16", _bad_utf16, error="is not valid UTF-16-LE"),
    Case(
        "unclosed quote on line 21",
        _unclosed_quote_line_21,
        quarantined=1,
        reason="row shape: broken quoting (unclosed or stray quote), not a CSV record",
    ),
    Case("stray quote on line 10", _stray_quote_line_10, quarantined=1, reason="row shape: broken quoting"),
    Case("more broken lines than the limit", _many_broken, error=f"more than {MAX_BROKEN} broken records"),
    Case("only blanks", lambda p, h, r: _raw(p / "blanks.csv", b"  \n\n \t\n"), error="file is empty"),
    Case("CRLF line ends", _crlf),
    Case("formula text in an open field", _edit("formula", "location", "=cmd|' /C calc'!A0")),
]
CASES += HOSTILE_CASES


def test_the_corpus_is_at_least_45_cases():
    assert len(CASES) >= 45
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_input(case: Case, tmp_path, base_rows):
    header, rows = base_rows
    path = case.build(tmp_path, header, rows)
    if case.error:
        with pytest.raises(DataContractError) as info:
            load_sessions(path)
        message = str(info.value)
        assert case.error in message
        assert "\n" not in message and message.startswith(str(path))
        return
    sessions, quarantine, report = load_sessions(path)
    assert report.rows_in == report.rows_kept + report.rows_quarantined
    assert report.rows_quarantined == case.quarantined == len(quarantine)
    assert len(sessions) == report.rows_kept
    if case.reason:
        assert quarantine["reason"].str.contains(case.reason, regex=False).all(), quarantine["reason"].tolist()
        assert quarantine["line"].between(2, report.rows_in + 1 + report.blank_lines).all()


def test_duplicates_and_extras_are_reported(tmp_path, base_rows):
    header, rows = base_rows
    _, quarantine, report = load_sessions(_duplicates(tmp_path, header, rows))
    assert report.duplicate_rows == 2
    assert report.quarantine_reasons == {"duplicate row": 2}
    assert sorted(quarantine["reason"]) == ["duplicate of line 2", "duplicate of line 7"]
    sessions, _, report = load_sessions(_extra_column(tmp_path, header, rows))
    assert report.extra_columns == ["campaign"] and "campaign" not in sessions.columns
    assert "Extra columns (reported, not loaded): campaign" in report.summary()


def test_header_renames_are_reported(tmp_path, base_rows):
    header, rows = base_rows
    sessions, _, report = load_sessions(_header_case(tmp_path, header, rows))
    assert report.renamed_columns == {"  Price ": "price", "USER_ID": "user_id"}
    assert "matched after trimming and case-folding" in report.summary()
    assert list(sessions.columns) == list(COLUMN_NAMES)


def test_encodings_are_reported(tmp_path, base_rows):
    header, rows = base_rows
    sessions, _, report = load_sessions(_latin1(tmp_path, header, rows))
    assert report.encoding == "latin-1" and "not valid UTF-8" in report.notes[0]
    assert sessions.loc[0, "location"] == "Zürich"
    assert load_sessions(_bom(tmp_path, header, rows)).report.encoding == "utf-8 with BOM"


def test_blank_lines_are_counted_not_rows(tmp_path, base_rows):
    header, rows = base_rows
    report = load_sessions(_blank_lines(tmp_path, header, rows)).report
    assert report.rows_in == N_BASE and report.blank_lines == 3


def test_semicolon_file_loads_with_sep(tmp_path, base_rows):
    header, rows = base_rows
    sessions = load_sessions(_write(tmp_path / "semi.csv", header, rows, sep=";"), sep=";").sessions
    assert len(sessions) == N_BASE


def test_parquet_and_csv_give_the_same_frame(tmp_path, base_rows):
    header, rows = base_rows
    from_csv = load_sessions(_write(tmp_path / "a.csv", header, rows)).sessions
    from_csv.to_parquet(tmp_path / "a.parquet")
    from_parquet = load_sessions(tmp_path / "a.parquet").sessions
    pd.testing.assert_frame_equal(from_csv, from_parquet)


def test_loaded_frame_has_contract_dtypes(tmp_path, base_rows):
    header, rows = base_rows
    sessions = load_sessions(_write(tmp_path / "a.csv", header, rows)).sessions
    assert list(sessions.columns) == list(COLUMN_NAMES)
    assert sessions["price"].dtype == np.float64 and sessions["pages_visited"].dtype == np.int64
    assert str(sessions["purchase_date"].dtype) == "datetime64[us]"
    assert pd.api.types.is_string_dtype(sessions["category"])


def test_validate_sessions_quarantines_in_memory_rows(small_sim):
    frame = small_sim.sessions.copy()
    frame.loc[[0, 1], "price"] = -1.0
    frame.loc[2, "rating"] = 9
    sessions, quarantine, report = validate_sessions(frame, source="test frame")
    assert (report.rows_kept, report.rows_quarantined) == (len(frame) - 3, 3)
    assert quarantine["line"].tolist() == [1, 2, 3]
    assert report.quarantine_reasons == {
        "price: out of domain (0 < price <= 1,000,000)": 2,
        "rating: out of domain (1 <= rating <= 5)": 1,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(
        st.tuples(
            st.integers(0, N_BASE - 1),
            st.sampled_from(COLUMN_NAMES),
            st.sampled_from(
                [
                    "",
                    "abc",
                    "-1",
                    "1e9",
                    "0",
                    "NaN",
                    " 3 ",
                    "2025-13-45",
                    "Other",
                    "1.5",
                    "nan",
                    "1e20",
                    "9223372036854775808",
                    "-9223372036854775809",
                    "2025-01-05T10:00:00Z",
                    "2025-01-05 10:00:00+05:00",
                    "1900-01-01",
                    "9999-12-31",
                    "a\x00b",
                    "=cmd|'/C'!A0",
                    "1",
                    "86401",
                ]
            ),
        ),
        max_size=25,
    ),
    extra_rows=st.integers(0, 3),
)
def test_rows_in_equals_kept_plus_quarantined(tmp_path_factory, base_rows, edits, extra_rows):
    header, rows = base_rows
    rows = [list(r) for r in rows] + [list(rows[0]) for _ in range(extra_rows)]
    for i, col, value in edits:
        rows[i][header.index(col)] = value
    path = _write(tmp_path_factory.mktemp("prop") / "p.csv", header, rows)
    try:
        sessions, quarantine, report = load_sessions(path)
    except DataContractError as exc:  # only possible when every row is broken
        assert "no valid rows" in str(exc)
        return
    assert report.rows_in == len(rows) == report.rows_kept + report.rows_quarantined
    assert len(sessions) == report.rows_kept and len(quarantine) == report.rows_quarantined
    assert quarantine["reason"].notna().all()
    assert sum(report.quarantine_reasons.values()) == report.rows_quarantined
    # No kept row breaks the contract's own rules.
    for col in COLUMNS:
        values = sessions[col.name]
        if col.is_numeric:
            assert values.notna().all()
            if col.minimum is not None:
                assert (values > col.minimum).all() if col.min_exclusive else (values >= col.minimum).all()
            if col.maximum is not None:
                assert (values <= col.maximum).all()
        if col.kind == "timestamp":
            assert values.between(pd.Timestamp(EARLIEST_TIMESTAMP), pd.Timestamp(LATEST_TIMESTAMP)).all()
        if col.kind in ("id", "text", "category"):
            assert not values.fillna("").str.contains("\x00", regex=False).any()
    assert (sessions["purchase_decision"] <= sessions["add_to_cart"]).all()
    assert not ((sessions["abandoned_cart"] == 1) & (sessions["purchase_decision"] == 1)).any()


# ------------------------------------------------------------------------------- Kaggle
@pytest.mark.kaggle
def test_the_kaggle_file_loads_completely(kaggle_csv):
    sessions, quarantine, report = load_sessions(kaggle_csv)
    assert (report.rows_in, report.rows_kept, report.rows_quarantined) == (5000, 5000, 0)
    assert report.duplicate_rows == 0 and report.extra_columns == [] and report.renamed_columns == {}
    assert report.sha256 == KAGGLE_SHA256
    assert report.unseen_levels == {}
    # The measured funnel identity of that file (the leakage the modeling notebook must state).
    identity = sessions.purchase_decision == ((sessions.add_to_cart == 1) & (sessions.abandoned_cart == 0))
    assert identity.all()


def test_fetch_kaggle_needs_credentials(tmp_path, monkeypatch):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "nothing"))
    with pytest.raises(KaggleFetchError, match="no Kaggle credentials"):
        fetch_kaggle(tmp_path)


def test_fetch_kaggle_runs_the_cli_and_checks_the_file(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "secret")
    monkeypatch.setattr(logging.getLogger("ecommerce_analytics"), "propagate", True)  # the CLI may have set it off
    caplog.set_level(logging.WARNING, logger="ecommerce_analytics.data.download")
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        (Path(cmd[cmd.index("-p") + 1]) / "consumer_behavior_dataset.csv").write_text("a,b\n1,2\n")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    target = fetch_kaggle(tmp_path, run=fake_run, which=lambda name: "/usr/bin/kaggle")
    assert calls == [
        ["kaggle", "datasets", "download", "-d", data_mod.KAGGLE_DATASET, "-p", str(tmp_path), "--unzip", "--force"]
    ]
    assert target == tmp_path / "consumer_behavior_dataset.csv"
    # The fake file's hash differs: a warning through logging (the CLI shows it as "warning: ...").
    warned = [r for r in caplog.records if r.name == "ecommerce_analytics.data.download"]
    assert [r.levelname for r in warned] == ["WARNING"] and "not the published" in warned[0].getMessage()


def test_fetch_kaggle_reports_a_failed_download(tmp_path, monkeypatch):
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", "secret")

    def failing(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1, "", "403 - Forbidden\n")

    with pytest.raises(KaggleFetchError, match="403 - Forbidden"):
        fetch_kaggle(tmp_path, run=failing, which=lambda name: "/usr/bin/kaggle")
