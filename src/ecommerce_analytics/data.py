"""Loading, validation and fetching of session data under the contract in :mod:`.schema`.

:func:`load_sessions` reads a CSV or Parquet file and returns a :class:`LoadResult`: the valid
rows, the quarantined rows (each with one reason) and a :class:`LoadReport`. The invariant
``rows_in == rows_kept + rows_quarantined`` always holds: nothing is dropped silently.

Problems with the dataset as a whole (missing file, empty file, unparseable file, missing
columns, no valid rows) raise :class:`DataContractError`, whose message is one line naming the
file and the problem.

Hostile input is quarantined, never wrapped or crashed on: whole numbers are parsed exactly
(never through a float) and must fit in int64; cells that are not single values (lists, dicts,
bytes) or that hold a NUL character are quarantined; a timestamp with an offset or ``Z`` is read
on that clock only when every value shares the one offset (otherwise the values with an offset
are quarantined), and a time-zone-aware column is read on its own zone's wall clock; dates
outside the plausible window of :mod:`.schema` are quarantined. UTF-16 files are detected and
decoded; a record with broken quoting is quarantined at its line and reading resumes on the
next line. :func:`escape_formulas` makes CSV outputs safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .schema import (
    COLUMN_NAMES,
    COLUMNS,
    COLUMNS_BY_NAME,
    EARLIEST_TIMESTAMP,
    INT64_MAX,
    INT64_MIN,
    LATEST_TIMESTAMP,
    Column,
    normalize_column_name,
)

__all__ = [
    "DataContractError",
    "KaggleFetchError",
    "LoadReport",
    "LoadResult",
    "load_sessions",
    "validate_sessions",
    "fetch_kaggle",
    "file_sha256",
    "KAGGLE_DATASET",
    "KAGGLE_FILE_NAME",
    "KAGGLE_SHA256",
    "escape_formulas",
    "sep_problem",
]

KAGGLE_DATASET = "ziya07/ai-driven-consumer-behavior-dataset"
KAGGLE_FILE_NAME = "consumer_behavior_dataset.csv"
#: sha256 of the file as published (5,000 rows x 19 columns); a mismatch is reported, not fatal.
KAGGLE_SHA256 = "7c7410951e56f489edecf5f6088a8d699c8b34536a499f2094a5e537299a7066"

#: Cell values read as missing (pandas' usual tokens), after trimming blanks.
NULL_TOKENS = frozenset({"", "nan", "NaN", "NA", "N/A", "n/a", "null", "NULL", "None", "none"})
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


class DataContractError(ValueError):
    """A dataset-level problem. ``str(err)`` is one line: ``"<source>: <problem>"``."""

    def __init__(self, source: object, problem: str) -> None:
        self.source = str(source)
        self.problem = " ".join(problem.split())
        super().__init__(f"{self.source}: {self.problem}")


class KaggleFetchError(RuntimeError):
    """The Kaggle dataset could not be fetched (no client, no credentials, download failed)."""


@dataclass
class LoadReport:
    """What happened to every row and column of one input.

    Attributes
    ----------
    source : str
        File path, or a label for an in-memory frame.
    rows_in : int
        Data records read (blank lines are not records and are counted in ``blank_lines``).
    rows_kept, rows_quarantined : int
        ``rows_in == rows_kept + rows_quarantined``.
    quarantine_reasons : dict
        Quarantined rows per rule (``"price: out of domain"`` ...), most frequent first.
    duplicate_rows : int
        Rows identical to an earlier row on all contract columns (quarantined, first kept).
    renamed_columns : dict
        Header cells matched to a contract column only after trimming and case-folding.
    extra_columns : list of str
        Header cells outside the contract; they are not carried into the validated frame.
    unseen_levels : dict
        Values of open vocabularies (category, payment method) outside the reference levels.
    notes : list of str
        What was done that the counts do not show: the encoding used, a time-zone rule applied
        (offsets dropped, or values with an offset quarantined), lines of broken CSV skipped.
    """

    source: str
    file_format: str
    rows_in: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    duplicate_rows: int = 0
    renamed_columns: dict[str, str] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    unseen_levels: dict[str, list[str]] = field(default_factory=dict)
    encoding: str | None = None
    blank_lines: int = 0
    sha256: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """True when every row read is either kept or quarantined."""
        return self.rows_in == self.rows_kept + self.rows_quarantined

    def to_dict(self) -> dict:
        """JSON-serialisable form (stable keys)."""
        return asdict(self)

    def summary(self) -> str:
        """Multi-line, human-readable report."""
        pct = 100.0 * self.rows_quarantined / self.rows_in if self.rows_in else 0.0
        kind = "in-memory frame" if self.file_format == "dataframe" else self.file_format
        lines = [
            f"Source: {self.source} ({kind}" + (f", {self.encoding}" if self.encoding else "") + ")",
            f"Rows read: {self.rows_in:,} | kept: {self.rows_kept:,} | "
            f"quarantined: {self.rows_quarantined:,} ({pct:.1f}%)",
            f"Duplicate rows (quarantined, first occurrence kept): {self.duplicate_rows:,}",
        ]
        for reason, n in self.quarantine_reasons.items():
            lines.append(f"  - {reason}: {n:,}")
        if self.renamed_columns:
            pairs = ", ".join(f"{k!r} -> {v}" for k, v in self.renamed_columns.items())
            lines.append(f"Column names matched after trimming and case-folding: {pairs}")
        else:
            lines.append("Column names: all 19 matched exactly.")
        if self.extra_columns:
            lines.append("Extra columns (reported, not loaded): " + ", ".join(self.extra_columns))
        for col, levels in self.unseen_levels.items():
            lines.append(f"New levels in {col} (kept): " + ", ".join(levels))
        if self.blank_lines:
            lines.append(f"Blank lines skipped (not records): {self.blank_lines:,}")
        lines.extend(f"Note: {n}" for n in self.notes)
        if self.sha256:
            lines.append(f"sha256: {self.sha256}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


@dataclass
class LoadResult:
    """Validated sessions, quarantined rows and the report. Unpacks as a 3-tuple."""

    sessions: pd.DataFrame
    quarantine: pd.DataFrame
    report: LoadReport
    lines: np.ndarray | None = None  # line where each kept session's record starts (CSV), or 1-based row (frame)

    def __iter__(self) -> Iterator:
        return iter((self.sessions, self.quarantine, self.report))


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------- reading
def _check_path(path: Path) -> None:
    if not path.exists():
        raise DataContractError(path, "file not found")
    if path.is_dir():
        raise DataContractError(path, "is a directory, not a data file")
    if path.stat().st_size == 0:
        raise DataContractError(path, "file is empty (0 bytes)")


def _decode(path: Path, raw: bytes, report: LoadReport) -> str:
    """Text of a CSV file: UTF-16 (with a byte-order mark, or detected from its NUL pattern),
    UTF-8 (with or without BOM) or, failing that, Latin-1 (noted). Binary content is refused.
    """
    for bom, codec, label in (
        (b"\xff\xfe", "utf-16-le", "utf-16 (little-endian, with BOM)"),
        (b"\xfe\xff", "utf-16-be", "utf-16 (big-endian, with BOM)"),
    ):
        if raw.startswith(bom):
            return _decode_utf16(path, raw[2:], codec, label, report)
    sample = raw[:65536]
    nul = sample.count(0)
    if nul:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = max(len(sample) // 2, 1)
        if odd >= 0.4 * half and even <= 0.01 * half:
            return _decode_utf16(path, raw, "utf-16-le", "utf-16 (little-endian, no BOM)", report)
        if even >= 0.4 * half and odd <= 0.01 * half:
            return _decode_utf16(path, raw, "utf-16-be", "utf-16 (big-endian, no BOM)", report)
        if nul > max(1, len(sample) // 100):
            raise DataContractError(
                path,
                f"unparseable file: binary content ({nul:,} NUL bytes in the first "
                f"{len(sample):,} bytes), not a CSV text file",
            )
    try:
        text = raw.decode("utf-8-sig")
        report.encoding = "utf-8 with BOM" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as exc:
        text = raw.decode("latin-1")
        report.encoding = "latin-1"
        report.notes.append(f"file is not valid UTF-8 (first bad byte at offset {exc.start}); decoded as Latin-1")
    return text


def _decode_utf16(path: Path, raw: bytes, codec: str, label: str, report: LoadReport) -> str:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise DataContractError(
            path,
            f"the file looks like {label} text but is not valid {codec.upper()} "
            f"(bad bytes at offset {exc.start}); save it as UTF-8",
        ) from None
    report.encoding = label
    report.notes.append(f"file is {label}; decoded as such (UTF-8 is the expected encoding)")
    return text.removeprefix("\ufeff")


#: A file with more broken (unparseable) CSV records than this is refused as a whole.
MAX_BROKEN_RECORDS = 100
BROKEN_QUOTING = "row shape: broken quoting (unclosed or stray quote), not a CSV record"


def _read_csv_records(
    path: Path, text: str, sep: str, report: LoadReport
) -> tuple[list[str], list[list[str]], list[int], dict[int, str]]:
    """Split CSV text into header, records, the 1-based line where each record starts, and the
    records that are not valid CSV (index -> reason).

    A record the CSV reader cannot parse (an unclosed quote swallows the rest of the file; a
    stray quote breaks a field) is kept as one broken record of its first physical line, and
    reading resumes on the next line; more than :data:`MAX_BROKEN_RECORDS` of them refuse the file.
    """
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    broken: dict[int, str] = {}
    blank = 0
    base = 0  # physical lines before the part of the text being read
    pending = text
    while True:
        reader = csv.reader(io.StringIO(pending, newline=""), delimiter=sep, strict=True)
        consumed = 0  # physical lines read before the current record
        try:
            for row in reader:
                start = base + consumed + 1
                consumed = reader.line_num
                if not row or (len(row) == 1 and not row[0].strip()):
                    blank += 1
                    continue
                if header is None:
                    header = row
                    continue
                records.append(row)
                lines.append(start)
            break
        except csv.Error as exc:
            line_no = base + consumed + 1
            physical = io.StringIO(pending, newline="").readlines()
            if header is None:
                raise DataContractError(path, f"unparseable CSV header on line {line_no}: {exc}") from None
            if len(broken) >= MAX_BROKEN_RECORDS:
                raise DataContractError(
                    path,
                    f"unparseable CSV: more than {MAX_BROKEN_RECORDS} broken records "
                    f"(the last on line {line_no}: {exc})",
                ) from None
            first = physical[consumed].rstrip("\r\n") if consumed < len(physical) else ""
            broken[len(records)] = BROKEN_QUOTING
            records.append([first])
            lines.append(line_no)
            if len(broken) <= 5:
                report.notes.append(
                    f"line {line_no} is not valid CSV ({exc}); that line was quarantined and "
                    "reading resumed on the next line"
                )
            pending = "".join(physical[consumed + 1 :])
            base = line_no
    if header is None:
        raise DataContractError(path, "file is empty (no header line)")
    if len(broken) > 5:
        report.notes.append(f"{len(broken):,} lines in all were not valid CSV (quarantined)")
    if blank:
        report.blank_lines = blank
    if len(header) == 1 and len(COLUMNS) > 1:
        for delim, name in _OTHER_DELIMITERS.items():
            if header[0].count(delim) >= 5:
                raise DataContractError(
                    path,
                    f"the header has one column but looks {name}-delimited; "
                    f"expected comma-separated values (pass sep={delim!r} / --sep to read it)",
                )
    return header, records, lines, broken


def _read_csv(path: Path, sep: str, report: LoadReport) -> tuple[pd.DataFrame, np.ndarray, list[str | None], bool]:
    raw = path.read_bytes()
    report.sha256 = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"PAR1"):
        raise DataContractError(path, "unparseable file: this is Parquet data; give it a .parquet suffix")
    text = _decode(path, raw, report)
    if not text or text.isspace():
        raise DataContractError(path, "file is empty (only blank characters)")
    header, records, lines, broken = _read_csv_records(path, text, sep, report)
    mapping = _map_header(path, header, report)
    width = len(header)
    shape_reason: list[str | None] = [None] * len(records)
    for i, r in enumerate(records):
        if len(r) != width:
            shape_reason[i] = broken.get(i) or f"row shape: expected {width} fields, found {len(r)}"
            records[i] = (r + [""] * width)[:width]
        elif i in broken:
            shape_reason[i] = broken[i]
    frame = (
        pd.DataFrame(records, columns=list(range(width)), dtype=object)
        if records
        else pd.DataFrame(columns=list(range(width)), dtype=object)
    )
    frame = frame.rename(columns=dict(enumerate(header)))
    frame = frame.iloc[:, [header.index(orig) for orig in mapping]]
    frame.columns = [mapping[orig] for orig in mapping]
    return frame, np.asarray(lines, dtype=np.int64), shape_reason, "\x00" in text


def _read_parquet(path: Path, report: LoadReport) -> tuple[pd.DataFrame, np.ndarray, list[str | None]]:
    report.sha256 = file_sha256(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataContractError(path, f"unparseable Parquet file: {' '.join(str(exc).split())}") from None
    header = [str(c) for c in frame.columns]
    frame.columns = header
    mapping = _map_header(path, header, report)
    frame = frame[list(mapping)].rename(columns=mapping)
    frame = frame.reset_index(drop=True)
    return frame, np.arange(1, len(frame) + 1, dtype=np.int64), [None] * len(frame)


def _map_header(source: object, header: list[str], report: LoadReport) -> dict[str, str]:
    """Map original header cells to contract names; record renames and extras; fail if missing."""
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    extras: list[str] = []
    for orig in header:
        canon = normalize_column_name(orig)
        if canon in COLUMNS_BY_NAME:
            if canon in seen:
                raise DataContractError(source, f"column {canon!r} appears twice (as {seen[canon]!r} and {orig!r})")
            seen[canon] = orig
            mapping[orig] = canon
            if orig != canon:
                report.renamed_columns[orig] = canon
        else:
            extras.append(orig)
    missing = [c for c in COLUMN_NAMES if c not in seen]
    if missing:
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, [normalize_column_name(e) for e in extras], n=1, cutoff=0.6)
            if close:
                hints.append(f"{m!r} (found {close[0]!r}; rename it)")
            else:
                hints.append(repr(m))
        raise DataContractError(source, f"missing required column(s): {', '.join(hints)}")
    report.extra_columns = extras
    return mapping


# -------------------------------------------------------------------------------- validation
#: ``infer_dtype`` kinds of an object column that hold only single values (no per-cell check).
_SCALAR_KINDS = frozenset(
    {
        "string",
        "empty",
        "integer",
        "floating",
        "mixed-integer-float",
        "boolean",
        "datetime",
        "datetime64",
        "date",
        "decimal",
    }
)
_INT_TEXT = re.compile(r"[+-]?\d+")
#: A trailing time-zone designator of an ISO 8601 date-time: ``Z``, ``+05:00``, ``+0500``, ``-03``.
_OFFSET = re.compile(r"(?<=\d)\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$")
#: The same designator after a time of day in any ISO 8601 form: ``T10:00Z``, ``T10Z``, ``T1000+05``,
#: ``T100000.5-03:30`` (extended or basic format, with or without minutes and seconds).
_OFFSET_AFTER_TIME = r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$"
_EARLIEST = pd.Timestamp(EARLIEST_TIMESTAMP)
_LATEST = pd.Timestamp(LATEST_TIMESTAMP)


def _null_mask(s: pd.Series) -> np.ndarray:
    mask = s.isna().to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        mask = mask | _strip(s).isin(NULL_TOKENS).to_numpy()
    return mask


def _strip(s: pd.Series) -> pd.Series:
    """Trim blanks of string cells; other cells are left as they are. Each distinct string is
    trimmed once (most columns repeat a few values), so this is fast on large files.
    """
    obj = s.astype(object)
    kind = pd.api.types.infer_dtype(obj, skipna=True)
    if kind in ("string", "empty"):
        codes, uniques = pd.factorize(obj, use_na_sentinel=True)
        trimmed = np.array([u.strip() for u in uniques] + [None], dtype=object)
        out = trimmed[codes]  # code -1 (a missing cell) picks the trailing None
        missing = codes < 0
        if missing.any():
            out[missing] = obj.to_numpy()[missing]
        return pd.Series(out, index=s.index, dtype=object)
    if kind.startswith("mixed"):
        return obj.map(lambda v: v.strip() if isinstance(v, str) else v)
    return obj


def _plain_dtype(s: pd.Series) -> pd.Series:
    """Categorical, Arrow, sparse and other extension columns as plain object/numpy columns."""
    dtype = s.dtype
    if isinstance(dtype, pd.ArrowDtype) and dtype.kind == "M":  # Arrow timestamps keep their zone
        tz = getattr(dtype.pyarrow_dtype, "tz", None)
        return s.astype(pd.DatetimeTZDtype("us", tz) if tz else "datetime64[us]")
    if isinstance(dtype, (pd.CategoricalDtype, pd.ArrowDtype, pd.SparseDtype, pd.IntervalDtype, pd.PeriodDtype)):
        return s.astype(object)
    return s


def _is_single_value(v: object) -> bool:
    if v is None or isinstance(v, (str, bool, int, float, Decimal, dt.date, dt.time)):
        return True
    return isinstance(v, np.generic) and not isinstance(v, (np.bytes_, np.void))


def _cell_type(v: object) -> str:
    if isinstance(v, (bytes, bytearray, memoryview, np.bytes_)):
        return "bytes"
    if isinstance(v, dict):
        return "a dict"
    if isinstance(v, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        return "a list"
    return f"a {type(v).__name__}"


def _cell_problems(col: Column, s: pd.Series, reasons: np.ndarray, scan_nul: bool) -> pd.Series:
    """Flag cells that are not single values, or that hold a NUL character; return ``s`` with
    non-single values replaced by None (so the parsers below see only scalars).
    """
    if s.dtype == object:
        values = s.to_numpy()
        if pd.api.types.infer_dtype(values, skipna=True) not in _SCALAR_KINDS:
            single = np.fromiter((_is_single_value(v) for v in values), dtype=bool, count=len(values))
            if not single.all():
                for i in np.flatnonzero(~single):
                    if reasons[i] is None:
                        reasons[i] = f"{col.name}: {_cell_type(values[i])}, not a single value"
                values = values.copy()
                values[~single] = None
                s = pd.Series(values, index=s.index, dtype=object)
        if scan_nul:
            strings = [v for v in values if isinstance(v, str)]
            if "\x00" in "".join(strings):
                nul = np.fromiter((isinstance(v, str) and "\x00" in v for v in values), dtype=bool, count=len(values))
                hit = nul & (reasons == None)
                reasons[hit] = f"{col.name}: contains a NUL character"
    elif scan_nul and pd.api.types.is_string_dtype(s.dtype):
        nul = s.str.contains("\x00", regex=False, na=False).to_numpy(dtype=bool)
        hit = nul & (reasons == None)
        reasons[hit] = f"{col.name}: contains a NUL character"
    return s


def _show(value: object) -> str:
    text = str(value).strip()
    return text if len(text) <= 40 else text[:37] + "..."


def _exact_whole(value: object) -> tuple[int | None, str | None]:
    """The exact integer a cell holds, or what is wrong with it (never through a float for text)."""
    if isinstance(value, (bool, np.bool_)):
        return int(value), None
    if isinstance(value, (int, np.integer)):
        return int(value), None
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return None, "not finite"
        if not float(value).is_integer():
            return None, "not a whole number"
        return int(value), None
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        return None, "not a number"
    if not text.isascii() or "_" in text:
        return None, "not a number"
    if _INT_TEXT.fullmatch(text):
        digits = text.lstrip("+-").lstrip("0")
        if len(digits) > 19:  # far outside int64; do not build a huge integer
            return None, "range"
        return int(text), None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, "not a number"
    if not number.is_finite():
        return None, "not finite"
    if number.is_zero():  # 0e20 is 0 (its exponent says nothing about its size)
        return 0, None
    if number.adjusted() > 19:
        return (None, "range") if number == number.to_integral_value() else (None, "not a whole number")
    if number != number.to_integral_value():
        return None, "not a whole number"
    return int(number), None


def _flag_into(reasons: np.ndarray, mask: np.ndarray, text: str) -> None:
    hit = mask & (reasons == None)
    reasons[hit] = text


def _parse_whole(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """int64 values of an ``int``/``flag`` column (0 where a cell is missing or invalid)."""
    n = len(s)
    values = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        if col.kind == "flag":
            values[~null] = s[~null].astype(np.int64).to_numpy()
        else:
            bad = ~null
            _flag_into(reasons, bad, f"{col.name}: not a number (true/false)")
    elif pd.api.types.is_signed_integer_dtype(dtype):
        values[~null] = s[~null].to_numpy(dtype=np.int64)
    elif pd.api.types.is_unsigned_integer_dtype(dtype):
        raw = s[~null].to_numpy(dtype=np.uint64)
        big = raw > np.uint64(INT64_MAX)
        pos = np.flatnonzero(~null)
        for i in pos[big]:
            if reasons[i] is None:
                reasons[i] = f"{col.name}: {_show(s.iloc[i])} is outside int64"
        bad[pos[big]] = True
        values[pos[~big]] = raw[~big].astype(np.int64)
    elif pd.api.types.is_float_dtype(dtype):
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            infinite = ~null & ~np.isfinite(arr)
            fraction = ~null & ~infinite & (arr != np.floor(arr))
            outside = ~null & ~infinite & ~fraction & ((arr < -(2.0**63)) | (arr >= 2.0**63))
        _flag_into(reasons, infinite, f"{col.name}: not finite")
        _flag_into(reasons, fraction, f"{col.name}: not a whole number")
        for i in np.flatnonzero(outside):
            if reasons[i] is None:
                reasons[i] = f"{col.name}: {_show(arr[i])} is outside int64"
        bad = infinite | fraction | outside
        ok = ~null & ~bad
        values[ok] = arr[ok].astype(np.int64)
    else:
        obj = s.astype(object)
        pos = np.flatnonzero(~null)
        if pd.api.types.infer_dtype(obj.iloc[pos], skipna=True) not in (
            "string",
            "empty",
            "integer",
            "floating",
            "mixed-integer-float",
            "decimal",
        ):
            # True == 1 for hashing, so true/false cells are taken out before factorizing.
            is_bool = np.fromiter((isinstance(v, (bool, np.bool_)) for v in obj.iloc[pos]), dtype=bool, count=len(pos))
            if is_bool.any():
                where = pos[is_bool]
                if col.kind == "flag":
                    values[where] = [int(v) for v in obj.iloc[where]]
                else:
                    bad[where] = True
                    _flag_into(reasons, np.isin(np.arange(n), where), f"{col.name}: not a number (true/false)")
                pos = pos[~is_bool]
        codes, uniques = pd.factorize(obj.iloc[pos], use_na_sentinel=True)
        parsed = [_exact_whole(u) for u in uniques]
        u_val = np.array(
            [(v if v is not None and INT64_MIN <= v <= INT64_MAX else 0) for v, _ in parsed], dtype=np.int64
        )
        u_err = np.array(
            [(e if e is not None else ("range" if not INT64_MIN <= v <= INT64_MAX else None)) for v, e in parsed],
            dtype=object,
        )
        if len(pos):
            values[pos] = u_val[codes]
            errs = u_err[codes]
            for i, err in zip(pos[errs != None], errs[errs != None], strict=True):
                bad[i] = True
                if reasons[i] is None:
                    reasons[i] = (
                        f"{col.name}: {_show(obj.iloc[i])} is outside int64" if err == "range" else f"{col.name}: {err}"
                    )
    ok = ~null & ~bad
    out = np.zeros(n, dtype=bool)
    if col.kind == "flag":
        out |= ok & ~np.isin(values, (0, 1))
    if col.minimum is not None:
        out |= ok & ((values <= col.minimum) if col.min_exclusive else (values < col.minimum))
    if col.maximum is not None:
        out |= ok & (values > col.maximum)
    _flag_into(reasons, out, f"{col.name}: out of domain ({col.domain_text()})")
    return values


def _parse_float(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_complex_dtype(s.dtype):
        arr = np.full(len(s), np.nan)
        bad = ~null
        _flag_into(reasons, bad, f"{col.name}: not a number ({'true/false' if s.dtype.kind == 'b' else 'complex'})")
    elif pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.zeros(len(s), dtype=bool)
    else:
        if pd.api.types.infer_dtype(s, skipna=True) not in (
            "string",
            "empty",
            "floating",
            "integer",
            "mixed-integer-float",
            "decimal",
        ):
            odd = np.fromiter(
                (isinstance(v, (bool, np.bool_, complex, np.complexfloating)) for v in s.to_numpy()),
                dtype=bool,
                count=len(s),
            )
            _flag_into(reasons, odd, f"{col.name}: not a number")
            s = s.astype(object).where(~odd, None)
        arr = pd.to_numeric(s.astype(object).where(~null, np.nan), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        bad = (~null) & np.isnan(arr)
        _flag_into(reasons, bad, f"{col.name}: not a number")
    finite = np.isfinite(arr)
    _flag_into(reasons, (~null) & (~bad) & ~finite, f"{col.name}: not finite")
    with np.errstate(invalid="ignore"):
        out = np.zeros(arr.shape, dtype=bool)
        if col.minimum is not None:
            out |= finite & ((arr <= col.minimum) if col.min_exclusive else (arr < col.minimum))
        if col.maximum is not None:
            out |= finite & (arr > col.maximum)
    _flag_into(reasons, out, f"{col.name}: out of domain ({col.domain_text()})")
    return arr


def _canonical_offset(text: str) -> str:
    if text in ("Z", "z"):
        return "+00:00"
    sign, digits = text[0], text[1:].replace(":", "")
    return f"{sign}{digits[:2]}:{(digits[2:] or '00')}"


def _parse_timestamps(
    col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray, report: LoadReport
) -> pd.Series:
    """Naive ``datetime64[us]`` values of a timestamp column, under the time-zone rule.

    The rule: the contract's timestamps are local times without a zone. A value that carries an
    offset (``+05:00``, ``Z``) is read on that offset's clock (the offset is dropped, the wall
    clock kept) when every value of the column carries the same offset; otherwise the values with
    an offset are quarantined, because there is no one local clock to read them on. A
    time-zone-aware column (Parquet, DataFrame) has one zone: it is read on that zone's clock.
    """
    name = col.name
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        tz = getattr(s.dt, "tz", None)
        parsed = s
        if tz is not None:
            parsed = s.dt.tz_localize(None)
            report.notes.append(
                f"{name}: time-zone-aware column ({tz}); read as local time on that clock "
                "(the zone is dropped, the wall-clock time kept; not converted to UTC)"
            )
    else:
        obj = s.astype(object).where(~null, None)
        if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
            obj = obj.map(
                lambda v: (
                    v
                    if v is None or isinstance(v, str)
                    else (
                        v.isoformat(sep=" ")
                        if isinstance(v, dt.datetime)
                        else v.isoformat()
                        if isinstance(v, dt.date)
                        else str(v)
                    )
                )
            )
        text = _strip(obj)
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
            mixed = False
        except ValueError:  # "Mixed timezones detected": some values carry an offset
            parsed, mixed = None, True
        if mixed or getattr(parsed.dt, "tz", None) is not None:
            as_text = text.where(~null, None).astype(object)
            offsets = as_text.str.extract(_OFFSET_AFTER_TIME, expand=False)
            has_offset = offsets.notna().to_numpy()
            canonical = offsets[has_offset].map(_canonical_offset)
            distinct = sorted(set(canonical))
            bare = as_text.copy()
            bare[has_offset] = as_text[has_offset].str.replace(_OFFSET.pattern, "", regex=True)
            parsed = _to_naive_datetimes(bare, reasons, name)
            naive_values = int(((~null) & ~has_offset & parsed.notna().to_numpy()).sum())
            if naive_values == 0 and len(distinct) == 1:
                report.notes.append(
                    f"{name}: every value carries the offset {distinct[0]}; read as local time "
                    "on that clock (the offset is dropped, the wall-clock time kept)"
                )
            else:
                why = (
                    f"values without an offset and {len(distinct)} offset(s) ({', '.join(distinct)})"
                    if naive_values
                    else f"{len(distinct)} different offsets ({', '.join(distinct)})"
                )
                for off in distinct:
                    _flag_into(
                        reasons,
                        has_offset & (canonical.reindex(s.index).to_numpy() == off),
                        f"{name}: time-zone offset {off} in a column that does not share one offset",
                    )
                report.notes.append(
                    f"{name}: the column mixes {why}; the {int(has_offset.sum()):,} value(s) with "
                    "an offset were quarantined (one local clock is required)"
                )
    if getattr(parsed.dt, "tz", None) is not None:  # pragma: no cover - handled above
        parsed = parsed.dt.tz_localize(None)
    _flag_into(reasons, (~null) & parsed.isna().to_numpy(), f"{name}: not a date-time")
    outside = (~null & parsed.notna() & ((parsed < _EARLIEST) | (parsed > _LATEST))).to_numpy(dtype=bool)
    _flag_into(
        reasons, outside, f"{name}: outside the plausible window ({EARLIEST_TIMESTAMP[:10]} to {LATEST_TIMESTAMP[:10]})"
    )
    return parsed


def _to_naive_datetimes(text: pd.Series, reasons: np.ndarray, name: str) -> pd.Series:
    """ISO 8601 texts whose recognised offsets were removed, parsed to naive date-times. A value
    that still carries a time zone (a form the offset pattern does not know) is quarantined with
    a reason instead of failing the whole file.
    """
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if getattr(parsed.dt, "tz", None) is None:
            return parsed
    except (ValueError, TypeError):
        pass
    values, zoned = [], np.zeros(len(text), dtype=bool)
    for i, v in enumerate(text.to_numpy(dtype=object)):
        try:
            ts = pd.Timestamp(v) if isinstance(v, str) else pd.NaT
        except (ValueError, TypeError):
            ts = pd.NaT
        if ts is not pd.NaT and ts.tzinfo is not None:
            zoned[i], ts = True, pd.NaT
        values.append(ts)
    _flag_into(reasons, zoned, f"{name}: a time-zone designator the reader cannot interpret")
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy(), index=text.index)


def _validate_column(
    col: Column, s: pd.Series, reasons: np.ndarray, report: LoadReport | None = None, scan_nul: bool = True
) -> pd.Series:
    """Parse one column, write the first failing reason into ``reasons``; return parsed values."""
    report = report if report is not None else LoadReport(source="<column>", file_format="dataframe")
    s = _cell_problems(col, _plain_dtype(s), reasons, scan_nul)
    null = _null_mask(s)
    if not col.nullable:
        _flag_into(reasons, null, f"{col.name}: missing value")
    if col.kind in ("int", "flag"):
        return pd.Series(_parse_whole(col, s, null, reasons), index=s.index)
    if col.kind == "float":
        return pd.Series(_parse_float(col, s, null, reasons), index=s.index)
    if col.kind == "timestamp":
        return _parse_timestamps(col, s, null, reasons, report)
    obj = s.astype(object).where(~null, None)
    if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
        obj = obj.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    text = _strip(obj)
    if col.levels is not None:
        _flag_into(
            reasons, (~null) & ~text.isin(col.levels).to_numpy(), f"{col.name}: out of domain ({col.domain_text()})"
        )
    return text


def _finalize_types(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in COLUMNS:
        s = frame[col.name]
        if col.kind in ("int", "flag"):
            out[col.name] = s.astype("int64")
        elif col.kind == "float":
            out[col.name] = s.astype("float64")
        elif col.kind == "timestamp":
            out[col.name] = pd.to_datetime(s).astype("datetime64[us]")
        else:
            out[col.name] = s.astype(object).astype("str")  # pandas' string dtype; nulls stay NaN
    return pd.DataFrame(out).reset_index(drop=True)


#: Funnel rules on the parsed flags: (mask function, reason); see schema.CROSS_FIELD_RULES.
_FUNNEL_RULES = (
    (lambda cart, abandoned, bought: (abandoned == 1) & (cart == 0), "abandoned_cart = 1 but add_to_cart = 0"),
    (lambda cart, abandoned, bought: (bought == 1) & (cart == 0), "purchase_decision = 1 but add_to_cart = 0"),
    (lambda cart, abandoned, bought: (abandoned == 1) & (bought == 1), "abandoned_cart = 1 and purchase_decision = 1"),
)


def _reason_key(reason: str) -> str:
    """The report's group of a quarantine reason (reasons that quote a value or a line are grouped)."""
    if reason.startswith("duplicate of line"):
        return "duplicate row"
    if reason.endswith(" is outside int64"):
        return reason.split(":", 1)[0] + ": whole number outside int64"
    return reason


def _validate(
    source: str,
    frame: pd.DataFrame,
    lines: np.ndarray,
    shape_reason: list[str | None],
    report: LoadReport,
    *,
    scan_nul: bool = True,
) -> LoadResult:
    n = len(frame)
    report.rows_in = n
    reasons = np.array(shape_reason if shape_reason else [None] * n, dtype=object)
    if n == 0:
        raise DataContractError(source, "no data rows (the file has a header only)")
    parsed = {}
    for col in COLUMNS:
        parsed[col.name] = _validate_column(col, frame[col.name], reasons, report, scan_nul)

    # Funnel rules: a cart cannot be abandoned if nothing was added to it, nothing is bought
    # without a cart, and a cart is either abandoned or bought.
    flags = [parsed[c].to_numpy() for c in ("add_to_cart", "abandoned_cart", "purchase_decision")]
    for rule, text in _FUNNEL_RULES:
        _flag_into(reasons, rule(*flags), text)

    # Exact duplicates on all contract columns: quarantine all but the first occurrence.
    # Compared on parsed values, so "1" and "1.0" are the same price.
    row_hash = pd.util.hash_pandas_object(pd.DataFrame(parsed), index=False).to_numpy()
    first_pos = pd.Series(np.arange(n)).groupby(row_hash, sort=False).transform("min").to_numpy()
    dup = first_pos != np.arange(n)
    report.duplicate_rows = int(dup.sum())
    dup_free = dup & (reasons == None)
    reasons[dup_free] = [f"duplicate of line {lines[p]}" for p in first_pos[dup_free]]

    bad = reasons != None
    quarantine = frame.loc[bad].copy()
    quarantine.insert(0, "line", lines[bad])
    quarantine["reason"] = reasons[bad]
    quarantine = quarantine.reset_index(drop=True)

    kept = pd.DataFrame({c: parsed[c][~bad] for c in COLUMN_NAMES})
    report.rows_kept = int((~bad).sum())
    report.rows_quarantined = int(bad.sum())
    counts = Counter(_reason_key(r) for r in reasons[bad])
    report.quarantine_reasons = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if report.rows_kept == 0:
        top = next(iter(report.quarantine_reasons), "unknown")
        raise DataContractError(source, f"no valid rows: all {n:,} rows quarantined (most common reason: {top})")
    sessions = _finalize_types(kept)
    for col in COLUMNS:
        if col.reference_levels is not None:
            new = sorted(set(sessions[col.name].unique()) - set(col.reference_levels))
            if new:
                report.unseen_levels[col.name] = new
    assert report.balanced
    return LoadResult(sessions, quarantine, report, lines[~bad])


def load_sessions(path: str | os.PathLike, *, sep: str = ",") -> LoadResult:
    """Read and validate a sessions file (CSV or Parquet).

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` file (UTF-8, with or without BOM; UTF-16 and Latin-1 are accepted and noted)
        or a ``.parquet`` / ``.pq`` file.
    sep : str, default ","
        CSV delimiter: one character, not a quote, a line break or NUL.

    Returns
    -------
    LoadResult
        ``sessions`` (valid rows, contract dtypes, in file order), ``quarantine`` (the raw
        values of rejected rows with ``line`` and ``reason``), and ``report``.

    Raises
    ------
    DataContractError
        For dataset-level problems: missing, empty, directory, unparseable, missing columns,
        header only, no valid rows.

    Examples
    --------
    >>> sessions, quarantine, report = load_sessions("data/raw/consumer_behavior_dataset.csv")  # doctest: +SKIP
    """
    path = Path(path)
    _check_path(path)
    problem = sep_problem(sep)
    if problem:
        raise DataContractError(path, problem)
    is_parquet = path.suffix.lower() in _PARQUET_SUFFIXES
    report = LoadReport(source=str(path), file_format="parquet" if is_parquet else "csv")
    if is_parquet:
        frame, lines, shape_reason = _read_parquet(path, report)
        has_nul = True
    else:
        frame, lines, shape_reason, has_nul = _read_csv(path, sep, report)
    return _validate(str(path), frame, lines, shape_reason, report, scan_nul=has_nul)


def validate_sessions(frame: pd.DataFrame, source: str = "<frame>") -> LoadResult:
    """Validate an in-memory frame under the contract (same rules as :func:`load_sessions`).

    Row numbers in the quarantine's ``line`` column are 1-based positions in ``frame``.
    """
    report = LoadReport(source=source, file_format="dataframe")
    header = [str(c) for c in frame.columns]
    mapping = _map_header(source, header, report)
    data = frame.copy()
    data.columns = header
    data = data[list(mapping)].rename(columns=mapping).reset_index(drop=True)
    return _validate(source, data, np.arange(1, len(data) + 1, dtype=np.int64), [None] * len(data), report)


def sep_problem(sep: object) -> str | None:
    """Why ``sep`` cannot be a CSV delimiter (one character, not a quote, line break or NUL), or None."""
    if not isinstance(sep, str) or len(sep) != 1:
        return f"the delimiter must be exactly one character, got {sep!r}"
    if sep in '"\r\n\x00':
        return f"the delimiter cannot be {sep!r} (a quote, line break or NUL)"
    return None


# ----------------------------------------------------------------------------------- outputs
#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` safe to open in a spreadsheet: text cells that start with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return get a leading single quote (OWASP's advice
    against CSV injection), so ``=cmd|' /C calc'!A0`` is shown as text, not run.

    Only text cells change: numeric columns are left alone, and a text cell that is a plain
    number (``-5.00``, ``+3``, ``-1e3``, as in the raw values of a quarantine) stays as it is.
    Column names are escaped the same way.
    """
    out = frame.copy()
    for name in out.columns:
        s = out[name]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        obj = s.astype(object)
        starts = obj.map(
            lambda v: (
                isinstance(v, str) and v[:1] in FORMULA_PREFIXES and v[:1] != "" and not _PLAIN_NUMBER.fullmatch(v)
            )
        ).to_numpy(dtype=bool)
        if starts.any():
            obj = obj.copy()
            obj[starts] = "'" + obj[starts].astype(str)
            out[name] = obj
    out.columns = [("'" + c) if isinstance(c, str) and c[:1] in FORMULA_PREFIXES else c for c in out.columns]
    return out


# ------------------------------------------------------------------------------------ Kaggle
def _has_kaggle_credentials() -> bool:
    if os.environ.get("KAGGLE_USERNAME") and os.environ.get("KAGGLE_KEY"):
        return True
    config_dir = Path(os.environ.get("KAGGLE_CONFIG_DIR", Path.home() / ".kaggle"))
    return (config_dir / "kaggle.json").is_file() or (config_dir / "access_token").is_file()


def fetch_kaggle(
    dest: str | os.PathLike = paths.RAW_DIR,
    *,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> Path:
    """Download Kaggle's "AI-Driven Consumer Behavior Dataset" into ``dest``.

    Uses the ``kaggle`` command-line client when it is installed, otherwise ``kagglehub``.
    Both need Kaggle credentials (``~/.kaggle/kaggle.json`` or ``KAGGLE_USERNAME`` and
    ``KAGGLE_KEY``). This is the only function of the package that uses the network.

    Returns
    -------
    Path
        ``dest / "consumer_behavior_dataset.csv"``. A sha256 different from the published one
        is printed as a warning (the dataset may have been revised upstream).

    Raises
    ------
    KaggleFetchError
        With the reason and what to do about it.
    """
    dest = Path(dest)
    target = dest / KAGGLE_FILE_NAME
    if not _has_kaggle_credentials():
        raise KaggleFetchError(
            "no Kaggle credentials: create an API token at kaggle.com (Settings > API) and save it "
            "as ~/.kaggle/kaggle.json, or set KAGGLE_USERNAME and KAGGLE_KEY"
        )
    dest.mkdir(parents=True, exist_ok=True)
    if which("kaggle"):
        cmd = ["kaggle", "datasets", "download", "-d", KAGGLE_DATASET, "-p", str(dest), "--unzip", "--force"]
        proc = run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise KaggleFetchError(f"`{' '.join(cmd)}` failed: {detail[-1] if detail else 'no output'}")
    else:
        try:
            import kagglehub  # type: ignore[import-not-found]
        except ImportError:
            raise KaggleFetchError(
                "neither the `kaggle` CLI nor `kagglehub` is installed: run `pip install kaggle`"
            ) from None
        folder = Path(kagglehub.dataset_download(KAGGLE_DATASET))
        found = sorted(folder.rglob("*.csv"))
        if not found:
            raise KaggleFetchError(f"kagglehub downloaded {folder} but it holds no CSV file")
        shutil.copyfile(found[0], target)
    if not target.is_file():
        found = sorted(dest.glob("*.csv"))
        if len(found) != 1:
            raise KaggleFetchError(f"download finished but {target} is not there")
        found[0].rename(target)
    digest = file_sha256(target)
    if digest != KAGGLE_SHA256:
        print(
            f"warning: {target} has sha256 {digest}, not the published {KAGGLE_SHA256}; "
            "the dataset may have changed upstream"
        )
    return target
