"""Reading files into raw frames: CSV records with their line numbers, and Parquet.

A CSV record the reader cannot parse (an unclosed quote swallows the rest of the file; a stray
quote breaks a field) becomes one broken record of its first physical line, quarantined at that
line, and reading resumes on the next line; more than :data:`MAX_BROKEN_RECORDS` of them refuse
the file. Every record keeps the 1-based line where it starts, for the quarantine report.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import COLUMNS
from .encoding import decode_text, file_sha256
from .header import map_header
from .report import DataContractError, LoadReport

__all__ = ["MAX_BROKEN_RECORDS", "BROKEN_QUOTING", "sep_problem"]

#: A file with more broken (unparseable) CSV records than this is refused as a whole.
MAX_BROKEN_RECORDS = 100
BROKEN_QUOTING = "row shape: broken quoting (unclosed or stray quote), not a CSV record"
#: Broken records described one by one in the report's notes (the rest are counted).
_NOTED_BROKEN = 5
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def sep_problem(sep: object) -> str | None:
    """Why ``sep`` cannot be a CSV delimiter, or None when it can.

    Parameters
    ----------
    sep : object
        The delimiter asked for: it must be one character, not a quote, a line break or NUL.

    Returns
    -------
    str or None
        The problem, as a sentence fragment; None for a valid delimiter.

    Examples
    --------
    >>> sep_problem(";") is None
    True
    >>> sep_problem("::")
    "the delimiter must be exactly one character, got '::'"
    """
    if not isinstance(sep, str) or len(sep) != 1:
        return f"the delimiter must be exactly one character, got {sep!r}"
    if sep in '"\r\n\x00':
        return f"the delimiter cannot be {sep!r} (a quote, line break or NUL)"
    return None


def _check_path(path: Path) -> None:
    """Refuse a missing path, a directory and an empty file, each with a one-line error."""
    if not path.exists():
        raise DataContractError(path, "file not found")
    if path.is_dir():
        if any(p.suffix.lower() in _PARQUET_SUFFIXES for p in path.rglob("*")):
            raise DataContractError(
                path,
                "is a folder of Parquet files: validate it batch by batch with "
                "ecommerce_analytics.data.validate_parquet_dataset(folder, out_dir)",
            )
        raise DataContractError(path, "is a directory, not a data file")
    if path.stat().st_size == 0:
        raise DataContractError(path, "file is empty (0 bytes)")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in _PARQUET_SUFFIXES


@dataclass
class _Records:
    """What the CSV reader found: header, records, their first lines, broken records, blank lines."""

    header: list[str] | None = None
    records: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    broken: dict[int, str] = field(default_factory=dict)
    blank: int = 0


def _read_until_error(pending: str, base: int, sep: str, out: _Records) -> tuple[csv.Error, int] | None:
    """Read records of ``pending`` into ``out``; on a CSV error return it with the lines consumed."""
    reader = csv.reader(io.StringIO(pending, newline=""), delimiter=sep, strict=True)
    consumed = 0  # physical lines read before the current record
    try:
        for row in reader:
            start = base + consumed + 1
            consumed = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                out.blank += 1
            elif out.header is None:
                out.header = row
            else:
                out.records.append(row)
                out.lines.append(start)
    except csv.Error as exc:
        return exc, consumed
    return None


def _keep_broken_line(path: Path, pending: str, consumed: int, line_no: int, exc: csv.Error, out: _Records) -> str:
    """Record the broken record's first physical line as one broken record; return the text after it."""
    if out.header is None:
        raise DataContractError(path, f"unparseable CSV header on line {line_no}: {exc}")
    if len(out.broken) >= MAX_BROKEN_RECORDS:
        raise DataContractError(
            path,
            f"unparseable CSV: more than {MAX_BROKEN_RECORDS} broken records (the last on line {line_no}: {exc})",
        )
    physical = io.StringIO(pending, newline="").readlines()
    first = physical[consumed].rstrip("\r\n") if consumed < len(physical) else ""
    out.broken[len(out.records)] = BROKEN_QUOTING
    out.records.append([first])
    out.lines.append(line_no)
    return "".join(physical[consumed + 1 :])


def _read_csv_records(path: Path, text: str, sep: str, report: LoadReport) -> _Records:
    """Split CSV text into header, records, the line where each starts and the broken records."""
    out = _Records()
    base, pending = 0, text  # physical lines before the part of the text being read
    while (error := _read_until_error(pending, base, sep, out)) is not None:
        exc, consumed = error
        line_no = base + consumed + 1
        pending = _keep_broken_line(path, pending, consumed, line_no, exc, out)
        if len(out.broken) <= _NOTED_BROKEN:
            report.notes.append(
                f"line {line_no} is not valid CSV ({exc}); that line was quarantined and reading resumed on the next line"
            )
        base = line_no
    if out.header is None:
        raise DataContractError(path, "file is empty (no header line)")
    if len(out.broken) > _NOTED_BROKEN:
        report.notes.append(f"{len(out.broken):,} lines in all were not valid CSV (quarantined)")
    if out.blank:
        report.blank_lines = out.blank
    _check_delimiter(path, out.header)
    return out


def _check_delimiter(path: Path, header: list[str]) -> None:
    """Refuse a one-column header that looks delimited by something other than the ``sep`` given."""
    if len(header) != 1 or len(COLUMNS) <= 1:
        return
    for delim, name in _OTHER_DELIMITERS.items():
        if header[0].count(delim) >= 5:
            raise DataContractError(
                path,
                f"the header has one column but looks {name}-delimited; "
                f"expected comma-separated values (pass sep={delim!r} / --sep to read it)",
            )


def _shape_reasons(found: _Records, width: int) -> list[str | None]:
    """Pad or cut every record to the header's width; the reason of each record of the wrong shape."""
    shape_reason: list[str | None] = [None] * len(found.records)
    for i, r in enumerate(found.records):
        if len(r) != width:
            shape_reason[i] = found.broken.get(i) or f"row shape: expected {width} fields, found {len(r)}"
            found.records[i] = (r + [""] * width)[:width]
        elif i in found.broken:
            shape_reason[i] = found.broken[i]
    return shape_reason


def _read_csv(
    path: Path, sep: str, report: LoadReport, columns: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, np.ndarray, list[str | None], bool]:
    """Raw frame of the contract columns, record lines, shape reasons, and whether a NUL occurs."""
    raw = path.read_bytes()
    report.sha256 = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"PAR1"):
        raise DataContractError(path, "unparseable file: this is Parquet data; give it a .parquet suffix")
    text = decode_text(path, raw, report)
    if not text or text.isspace():
        raise DataContractError(path, "file is empty (only blank characters)")
    found = _read_csv_records(path, text, sep, report)
    header = found.header
    mapping = map_header(path, header, report, columns)
    width = len(header)
    shape_reason = _shape_reasons(found, width)
    frame = pd.DataFrame(found.records or None, columns=list(range(width)), dtype=object)
    frame = frame.rename(columns=dict(enumerate(header)))
    frame = frame.iloc[:, [header.index(orig) for orig in mapping]]
    frame.columns = [mapping[orig] for orig in mapping]
    return frame, np.asarray(found.lines, dtype=np.int64), shape_reason, "\x00" in text


def _read_parquet(
    path: Path, report: LoadReport, columns: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, np.ndarray, list[str | None]]:
    """Frame of the contract columns of a Parquet file, its 1-based rows, and no shape reasons."""
    report.sha256 = file_sha256(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataContractError(path, f"unparseable Parquet file: {' '.join(str(exc).split())}") from None
    header = [str(c) for c in frame.columns]
    frame.columns = header
    mapping = map_header(path, header, report, columns)
    frame = frame[list(mapping)].rename(columns=mapping).reset_index(drop=True)
    return frame, np.arange(1, len(frame) + 1, dtype=np.int64), [None] * len(frame)
