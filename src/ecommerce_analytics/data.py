"""Loading, validation and fetching of session data under the contract in :mod:`.schema`.

:func:`load_sessions` reads a CSV or Parquet file and returns a :class:`LoadResult`: the valid
rows, the quarantined rows (each with one reason) and a :class:`LoadReport`. The invariant
``rows_in == rows_kept + rows_quarantined`` always holds: nothing is dropped silently.

Problems with the dataset as a whole (missing file, empty file, unparseable file, missing
columns, no valid rows) raise :class:`DataContractError`, whose message is one line naming the
file and the problem.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .schema import COLUMNS, COLUMN_NAMES, COLUMNS_BY_NAME, Column, normalize_column_name

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
    lines: np.ndarray | None = None  # source line (CSV) or 1-based row (frame) of each kept session

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
    if b"\x00" in raw[:65536]:
        raise DataContractError(path, "unparseable file: binary content (NUL bytes), not a CSV text file")
    try:
        text = raw.decode("utf-8-sig")
        report.encoding = "utf-8 with BOM" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError as exc:
        text = raw.decode("latin-1")
        report.encoding = "latin-1"
        report.notes.append(
            f"file is not valid UTF-8 (first bad byte at offset {exc.start}); decoded as Latin-1"
        )
    return text


def _read_csv_records(path: Path, text: str, sep: str, report: LoadReport) -> tuple[list[str], list[list[str]], list[int]]:
    """Split CSV text into header, records and their 1-based line numbers."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    blank = 0
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                blank += 1
                continue
            if header is None:
                header = row
                continue
            records.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise DataContractError(path, f"unparseable CSV near line {reader.line_num}: {exc}") from None
    if header is None:
        raise DataContractError(path, "file is empty (no header line)")
    if blank and header is not None:
        report.blank_lines = blank
    if len(header) == 1 and len(COLUMNS) > 1:
        for delim, name in _OTHER_DELIMITERS.items():
            if header[0].count(delim) >= 5:
                raise DataContractError(
                    path,
                    f"the header has one column but looks {name}-delimited; "
                    f"expected comma-separated values (pass sep={delim!r} / --sep to read it)",
                )
    return header, records, lines


def _read_csv(path: Path, sep: str, report: LoadReport) -> tuple[pd.DataFrame, np.ndarray, list[str | None]]:
    raw = path.read_bytes()
    report.sha256 = hashlib.sha256(raw).hexdigest()
    if raw.startswith(b"PAR1"):
        raise DataContractError(path, "unparseable file: this is Parquet data; give it a .parquet suffix")
    text = _decode(path, raw, report)
    header, records, lines = _read_csv_records(path, text, sep, report)
    mapping = _map_header(path, header, report)
    width = len(header)
    wrong_width = [i for i, r in enumerate(records) if len(r) != width]
    shape_reason: list[str | None] = [None] * len(records)
    for i in wrong_width:
        shape_reason[i] = f"row shape: expected {width} fields, found {len(records[i])}"
        records[i] = (records[i] + [""] * width)[:width]
    frame = pd.DataFrame(records, columns=list(range(width)), dtype=object) if records else pd.DataFrame(
        columns=list(range(width)), dtype=object
    )
    frame = frame.rename(columns=dict(enumerate(header)))
    frame = frame.iloc[:, [header.index(orig) for orig in mapping]]
    frame.columns = [mapping[orig] for orig in mapping]
    return frame, np.asarray(lines, dtype=np.int64), shape_reason


def _read_parquet(path: Path, report: LoadReport) -> tuple[pd.DataFrame, np.ndarray, list[str | None]]:
    report.sha256 = file_sha256(path)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise DataContractError(path, f"unparseable Parquet file: {exc}") from None
    header = [str(c) for c in frame.columns]
    frame.columns = header
    mapping = _map_header(path, header, report)
    frame = frame[list(mapping)].rename(columns=mapping).astype(object)
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
                raise DataContractError(
                    source, f"column {canon!r} appears twice (as {seen[canon]!r} and {orig!r})"
                )
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
def _null_mask(s: pd.Series) -> np.ndarray:
    mask = s.isna().to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        mask = mask | _strip(s).isin(NULL_TOKENS).to_numpy()
    return mask


def _strip(s: pd.Series) -> pd.Series:
    """Trim blanks of string cells (vectorised); other cells are left as they are."""
    obj = s.astype(object)
    kind = pd.api.types.infer_dtype(obj, skipna=True)
    if kind in ("string", "empty"):
        return obj.str.strip().astype(object)
    if kind.startswith("mixed"):
        return obj.map(lambda v: v.strip() if isinstance(v, str) else v)
    return obj


def _validate_column(col: Column, s: pd.Series, reasons: np.ndarray) -> pd.Series:
    """Parse one column, write the first failing reason into ``reasons``; return parsed values."""

    def flag(mask: np.ndarray, text: str) -> None:
        hit = mask & (reasons == None)  # noqa: E711 - elementwise on an object array
        reasons[hit] = text

    null = _null_mask(s)
    if not col.nullable:
        flag(null, f"{col.name}: missing value")

    if col.is_numeric:
        values = pd.to_numeric(s.where(~null, np.nan), errors="coerce").astype(float)
        bad = (~null) & values.isna().to_numpy()
        flag(bad, f"{col.name}: not a number")
        arr = values.to_numpy()
        finite = np.isfinite(arr)
        flag((~null) & (~bad) & ~finite, f"{col.name}: not finite")
        with np.errstate(invalid="ignore"):
            if col.kind in ("int", "flag"):
                flag(finite & (arr != np.round(arr)), f"{col.name}: not a whole number")
            out = np.zeros(arr.shape, dtype=bool)
            if col.kind == "flag":
                out |= finite & ~np.isin(arr, (0.0, 1.0))
            if col.minimum is not None:
                out |= finite & ((arr <= col.minimum) if col.min_exclusive else (arr < col.minimum))
            if col.maximum is not None:
                out |= finite & (arr > col.maximum)
        flag(out, f"{col.name}: out of domain ({col.domain_text()})")
        return values

    if col.kind == "timestamp":
        raw = s.where(~null, None)
        if pd.api.types.is_datetime64_any_dtype(s.dtype):
            parsed = s
        else:
            parsed = pd.to_datetime(_strip(raw), errors="coerce", format="ISO8601")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        flag((~null) & parsed.isna().to_numpy(), f"{col.name}: not a date-time")
        return parsed

    obj = s.astype(object).where(~null, None)
    if pd.api.types.infer_dtype(obj, skipna=True) not in ("string", "empty"):
        obj = obj.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    text = _strip(obj)
    if col.levels is not None:
        flag((~null) & ~text.isin(col.levels).to_numpy(), f"{col.name}: out of domain ({col.domain_text()})")
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


def _validate(
    source: str, frame: pd.DataFrame, lines: np.ndarray, shape_reason: list[str | None], report: LoadReport
) -> LoadResult:
    n = len(frame)
    report.rows_in = n
    reasons = np.array(shape_reason if shape_reason else [None] * n, dtype=object)
    if n == 0:
        raise DataContractError(source, "no data rows (the file has a header only)")
    parsed = {}
    for col in COLUMNS:
        parsed[col.name] = _validate_column(col, frame[col.name], reasons)

    # Cross-field rule: a cart cannot be abandoned if nothing was added to it.
    cart, abandoned = parsed["add_to_cart"].to_numpy(), parsed["abandoned_cart"].to_numpy()
    hit = (abandoned == 1) & (cart == 0) & (reasons == None)  # noqa: E711
    reasons[hit] = "abandoned_cart = 1 but add_to_cart = 0"

    # Exact duplicates on all contract columns: quarantine all but the first occurrence.
    # Compared on parsed values, so "1" and "1.0" are the same price.
    row_hash = pd.util.hash_pandas_object(pd.DataFrame(parsed), index=False).to_numpy()
    first_pos = pd.Series(np.arange(n)).groupby(row_hash, sort=False).transform("min").to_numpy()
    dup = first_pos != np.arange(n)
    report.duplicate_rows = int(dup.sum())
    dup_free = dup & (reasons == None)  # noqa: E711
    reasons[dup_free] = [f"duplicate of line {lines[p]}" for p in first_pos[dup_free]]

    bad = reasons != None  # noqa: E711
    quarantine = frame.loc[bad].copy()
    quarantine.insert(0, "line", lines[bad])
    quarantine["reason"] = reasons[bad]
    quarantine = quarantine.reset_index(drop=True)

    kept = pd.DataFrame({c: parsed[c][~bad] for c in COLUMN_NAMES})
    report.rows_kept = int((~bad).sum())
    report.rows_quarantined = int(bad.sum())
    counts = Counter("duplicate row" if r.startswith("duplicate of line") else r for r in reasons[bad])
    report.quarantine_reasons = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    if report.rows_kept == 0:
        top = next(iter(report.quarantine_reasons), "unknown")
        raise DataContractError(
            source, f"no valid rows: all {n:,} rows quarantined (most common reason: {top})"
        )
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
        A ``.csv`` file (UTF-8, with or without BOM; Latin-1 is accepted and noted) or a
        ``.parquet`` / ``.pq`` file.
    sep : str, default ","
        CSV delimiter.

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
    is_parquet = path.suffix.lower() in _PARQUET_SUFFIXES
    report = LoadReport(source=str(path), file_format="parquet" if is_parquet else "csv")
    if is_parquet:
        frame, lines, shape_reason = _read_parquet(path, report)
    else:
        frame, lines, shape_reason = _read_csv(path, sep, report)
    return _validate(str(path), frame, lines, shape_reason, report)


def validate_sessions(frame: pd.DataFrame, source: str = "<frame>") -> LoadResult:
    """Validate an in-memory frame under the contract (same rules as :func:`load_sessions`).

    Row numbers in the quarantine's ``line`` column are 1-based positions in ``frame``.
    """
    report = LoadReport(source=source, file_format="dataframe")
    header = [str(c) for c in frame.columns]
    mapping = _map_header(source, header, report)
    data = frame.copy()
    data.columns = header
    data = data[list(mapping)].rename(columns=mapping).astype(object).reset_index(drop=True)
    return _validate(source, data, np.arange(1, len(data) + 1, dtype=np.int64), [None] * len(data), report)


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
        print(f"warning: {target} has sha256 {digest}, not the published {KAGGLE_SHA256}; "
              "the dataset may have changed upstream")
    return target
