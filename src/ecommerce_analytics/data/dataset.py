"""Parquet datasets larger than memory, validated batch by batch under the contract.

:func:`validate_parquet_dataset` reads a folder of Parquet files (or one file) with
:mod:`pyarrow.dataset` in record batches of a bounded size, validates each batch with the
engine of :mod:`.validation` (the same column rules, row rules and reasons as
:func:`~ecommerce_analytics.data.load_sessions`), and writes the kept rows to
``out_dir/customer_sessions/part-NNNNN.parquet`` and the quarantined rows (raw values, their
1-based row in the dataset as ``line``, and ``reason``) to ``out_dir/quarantine.parquet``.
Nothing is dropped silently: ``rows_in == rows_kept + rows_quarantined``, per batch and in all.

Exact duplicates are found across batches too (a row equal on every parsed column to an earlier
kept row is quarantined as ``duplicate of line N``): the dataset's kept rows cost 16 bytes each
in memory for that (their 64-bit hash and line). The one rule that looks at a whole column,
the shared UTC offset of text timestamps, is applied per batch.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import COLUMN_NAMES, COLUMNS, TABLE_NAME
from .cells import _clean
from .header import map_header
from .reading import _PARQUET_SUFFIXES
from .report import DataContractError, LoadReport
from .validation import (
    _count_reasons,
    _derive_abandoned_cart,
    _finalize_types,
    _flag_duplicates,
    _flag_row_rules,
    _unseen_levels,
    _validate_column,
)

__all__ = ["DatasetReport", "validate_parquet_dataset", "sessions_arrow_schema", "parquet_files"]

#: The quarantine file's name in ``out_dir``.
QUARANTINE_FILE = "quarantine.parquet"


def sessions_arrow_schema():
    """The Arrow schema of a ``customer_sessions`` Parquet table: ``session_id``, then the contract.

    Returns
    -------
    pyarrow.Schema
        ``session_id`` (int64, not null), then the 19 contract columns: int64 for whole numbers
        and flags, float64, ``timestamp[us]`` and string; read back with pandas they have the
        dtypes of :func:`~ecommerce_analytics.data.load_sessions`' sessions.

    Examples
    --------
    >>> schema = sessions_arrow_schema()
    >>> schema.names[:3], str(schema.field("purchase_date").type)
    (['session_id', 'user_id', 'product_id'], 'timestamp[us]')
    """
    import pyarrow as pa

    kinds = {"float": pa.float64(), "int": pa.int64(), "flag": pa.int64(), "timestamp": pa.timestamp("us")}
    sid = pa.field("session_id", pa.int64(), nullable=False)
    return pa.schema([sid, *((c.name, kinds.get(c.kind, pa.string())) for c in COLUMNS)])


def parquet_files(source: str | os.PathLike) -> list[Path]:
    """The Parquet files of a dataset, in the order its rows are numbered.

    Parameters
    ----------
    source : path-like
        A Parquet file, or a folder searched recursively for ``*.parquet`` and ``*.pq`` files
        (names or folders starting with ``_`` or ``.`` are skipped, as Arrow and Spark do).

    Returns
    -------
    list of Path
        Sorted by their path relative to ``source``.

    Raises
    ------
    DataContractError
        ``source`` does not exist, or a folder holds no Parquet file.

    Examples
    --------
    >>> parquet_files("no/such/folder")
    Traceback (most recent call last):
    ...
    ecommerce_analytics.data.report.DataContractError: no/such/folder: dataset not found
    """
    root = Path(source)
    if not root.exists():
        raise DataContractError(root, "dataset not found")
    if root.is_file():
        return [root]
    files = sorted(
        (p for p in root.rglob("*") if p.suffix.lower() in _PARQUET_SUFFIXES and p.is_file()),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    files = [p for p in files if not any(part[0] in "_." for part in p.relative_to(root).parts)]
    if not files:
        raise DataContractError(root, "no Parquet files (*.parquet, *.pq) in this folder")
    return files


@dataclass
class DatasetReport:
    """What happened to every row of a Parquet dataset validated by :func:`validate_parquet_dataset`.

    Attributes
    ----------
    source : str
        The dataset (folder or file).
    out_dir : str
        Where the kept rows and the quarantine were written.
    files_read : list of str
        The dataset's files, in row order.
    batches : int
        Batches validated (of ``batch_rows`` rows, the last one smaller).
    rows_in, rows_kept, rows_quarantined : int
        ``rows_in == rows_kept + rows_quarantined``.
    quarantine_reasons : dict
        Quarantined rows per rule, most frequent first (grouped as in :class:`LoadReport`).
    duplicate_rows : int
        Rows quarantined as exact duplicates of an earlier row, or that repeat an earlier row
        and broke a rule before.
    renamed_columns, extra_columns, column_mapping, missing_columns, unseen_levels, notes
        As in :class:`LoadReport` (notes without repeats).
    sessions_files : list of str
        The kept rows' files (``customer_sessions/part-NNNNN.parquet``, ``session_id`` 1..kept).
    quarantine_file : str
        The quarantined rows: ``line`` (1-based row in the dataset), the raw values, ``reason``.
    seconds : float
        Wall time.
    """

    source: str
    out_dir: str
    files_read: list[str] = field(default_factory=list)
    batches: int = 0
    rows_in: int = 0
    rows_kept: int = 0
    rows_quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    duplicate_rows: int = 0
    renamed_columns: dict[str, str] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    column_mapping: dict[str, str] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)
    unseen_levels: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sessions_files: list[str] = field(default_factory=list)
    quarantine_file: str = ""
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        """True when every row read is either kept or quarantined."""
        return self.rows_in == self.rows_kept + self.rows_quarantined

    def to_dict(self) -> dict:
        """JSON-serialisable form; ``DatasetReport(**report.to_dict())`` rebuilds the report."""
        return asdict(self)

    def summary(self) -> str:
        """Multi-line, human-readable report.

        Examples
        --------
        >>> print(DatasetReport("lake/", "out/", rows_in=4, rows_kept=3, rows_quarantined=1).summary().splitlines()[1])
        Rows read: 4 | kept: 3 | quarantined: 1 (25.0%)
        """
        pct = 100.0 * self.rows_quarantined / self.rows_in if self.rows_in else 0.0
        lines = [
            f"Source: {self.source} (Parquet dataset, {len(self.files_read):,} file(s), {self.batches:,} batch(es))",
            f"Rows read: {self.rows_in:,} | kept: {self.rows_kept:,} | "
            f"quarantined: {self.rows_quarantined:,} ({pct:.1f}%)",
            f"Duplicate rows (first occurrence kept): {self.duplicate_rows:,}",
        ]
        lines += [f"  - {reason}: {n:,}" for reason, n in self.quarantine_reasons.items()]
        if self.renamed_columns:
            pairs = ", ".join(f"{k!r} -> {v}" for k, v in self.renamed_columns.items())
            lines.append(f"Column names matched after trimming and case-folding: {pairs}")
        if self.column_mapping:
            lines.append(
                "Column mapping applied: " + ", ".join(f"{v!r} -> {k}" for k, v in self.column_mapping.items())
            )
        if self.missing_columns:
            lines.append("Optional columns not in the data: " + ", ".join(self.missing_columns))
        if self.extra_columns:
            lines.append("Extra columns (reported, not loaded): " + ", ".join(self.extra_columns))
        lines += [f"New levels in {col} (kept): " + ", ".join(levels) for col, levels in self.unseen_levels.items()]
        lines += [f"Note: {n}" for n in self.notes]
        lines.append(f"Kept rows: {self.out_dir}/{TABLE_NAME}/ | quarantine: {self.quarantine_file}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


class _SeenRows:
    """Hashes of the kept rows so far (sorted) and their lines: duplicates across batches."""

    def __init__(self) -> None:
        self.hashes = np.empty(0, dtype=np.uint64)
        self.lines = np.empty(0, dtype=np.int64)

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which ``hashes`` were seen, and the line of each one seen."""
        if not len(self.hashes):
            return np.zeros(len(hashes), dtype=bool), np.zeros(len(hashes), dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        return self.hashes[pos] == hashes, self.lines[pos]

    def add(self, hashes: np.ndarray, lines: np.ndarray) -> None:
        """Remember new rows (a merge of two sorted runs: the stable sort is linear here)."""
        order = np.argsort(hashes, kind="stable")
        merged = np.concatenate([self.hashes, hashes[order]])
        keep = np.argsort(merged, kind="stable")
        self.hashes, self.lines = merged[keep], np.concatenate([self.lines, lines[order]])[keep]


class _Writer:
    """Kept rows to ``customer_sessions/part-NNNNN.parquet`` (a file per batch with kept rows)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.files, self.rows = folder, [], 0
        self.schema = None

    def write(self, sessions: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if sessions.empty:
            return
        frame = sessions.copy()
        frame.insert(0, "session_id", np.arange(self.rows + 1, self.rows + len(frame) + 1, dtype=np.int64))
        if self.schema is None:  # the contract columns the data has (the same in every batch)
            full = sessions_arrow_schema()
            self.schema = pa.schema([full.field(name) for name in frame.columns])
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"part-{len(self.files):05d}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False), path)
        self.files.append(path)
        self.rows += len(frame)


def _check_args(source: Path, out: Path, batch_rows: object, overwrite: bool) -> None:
    """One-line ValueErrors for the arguments of :func:`validate_parquet_dataset`."""
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, (int, np.integer)) or batch_rows < 1:
        raise ValueError(f"batch_rows must be a positive integer, got {batch_rows!r}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir must be a folder, got the file {str(out)!r}")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"out_dir {str(out)!r} is not empty (pass overwrite=True to replace its outputs)")
    if source.is_dir() and out.resolve().is_relative_to(source.resolve()):
        raise ValueError(f"out_dir must be outside the dataset {str(source)!r}, got {str(out)!r}")


def _dataset(source: Path, files: list[Path], label: str, columns: Mapping[str, str] | None):
    """The Arrow dataset over ``files``, their schemas unified.

    Every file must hold the required columns and the same contract columns as the first file
    (an error names the dataset and the file).
    """
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    schemas, first = [], None
    for path in files:
        try:
            schema = pq.read_schema(path)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise DataContractError(label, f"unparseable Parquet file {path}: {' '.join(str(exc).split())}") from None
        where = f" in {path.relative_to(source)}" if len(files) > 1 else ""
        try:
            present = set(map_header(label, schema.names, LoadReport(label, "parquet"), columns).values())
        except DataContractError as err:
            raise DataContractError(label, f"{err.problem}{where}") from None
        first = present if first is None else first
        if present != first:
            diff = ", ".join(repr(c) for c in sorted(first ^ present))
            raise DataContractError(
                label,
                f"the files hold different contract columns: {path.relative_to(source)} and "
                f"{files[0].relative_to(source)} differ in {diff}",
            )
        schemas.append(schema.remove_metadata())
    try:
        schema = pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise DataContractError(label, f"the files' column types disagree: {' '.join(str(exc).split())}") from None
    return ds.dataset([str(p) for p in files], schema=schema, format="parquet")


def _batches(dataset, columns: list[str], batch_rows: int, label: str):
    """Tables of exactly ``batch_rows`` rows (the last one smaller), in dataset order."""
    import pyarrow as pa

    pending, rows = [], 0
    try:
        # Ordered scan; little read-ahead, so that memory stays near one batch.
        for batch in dataset.to_batches(
            columns=columns, batch_size=batch_rows, batch_readahead=1, fragment_readahead=1
        ):
            pending.append(batch)
            rows += batch.num_rows
            while rows >= batch_rows:
                table = pa.Table.from_batches(pending, schema=pending[0].schema).combine_chunks()
                yield table.slice(0, batch_rows)
                rest = table.slice(batch_rows)
                pending, rows = rest.to_batches(), rest.num_rows
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise DataContractError(label, f"unreadable Parquet data: {' '.join(str(exc).split())}") from None
    if rows:
        yield pa.Table.from_batches(pending, schema=pending[0].schema)


def _validate_batch(
    frame: pd.DataFrame, lines: np.ndarray, report: LoadReport, seen: _SeenRows
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, int]:
    """The engine's rules on one batch, then duplicates of earlier batches' rows.

    Returns the kept rows (contract dtypes), every row's reason (None if kept), the kept mask,
    and the duplicates found.
    """
    # The steps of validation._validate, without its dataset-level errors (a batch may keep no row).
    reasons = np.array([None] * len(frame), dtype=object)
    present = [col for col in COLUMNS if col.name in frame]
    parsed = {col.name: _validate_column(col, frame[col.name], reasons, report) for col in present}
    _derive_abandoned_cart(parsed, report)
    _flag_row_rules(parsed, reasons)
    duplicates = _flag_duplicates(parsed, reasons, lines)
    ok = np.flatnonzero(_clean(reasons))
    kept = _finalize_types(pd.DataFrame({c: parsed[c].iloc[ok] for c in COLUMN_NAMES if c in parsed}))
    hashes = pd.util.hash_pandas_object(kept, index=False).to_numpy()
    again, first = seen.lookup(hashes)
    if again.any():  # rows of an earlier batch: this batch's own duplicates of them point there too
        earlier = {
            f"duplicate of line {a}": f"duplicate of line {b}"
            for a, b in zip(lines[ok[again]], first[again], strict=True)
        }
        repeats = np.flatnonzero(pd.Series(reasons).isin(list(earlier)).to_numpy())
        reasons[repeats] = [earlier[r] for r in reasons[repeats]]
        reasons[ok[again]] = [f"duplicate of line {line}" for line in first[again]]
    seen.add(hashes[~again], lines[ok[~again]])
    kept = kept.loc[~again].reset_index(drop=True)
    return kept, reasons, _clean(reasons), duplicates + int(again.sum())


def _merge(report: DatasetReport, batch: LoadReport, kept: pd.DataFrame, reasons: np.ndarray) -> None:
    """Add one batch's notes, reasons and new levels to the dataset's report."""
    report.missing_columns = list(batch.missing_columns)
    report.notes += [n for n in batch.notes if n not in report.notes]
    counts = Counter(report.quarantine_reasons) + Counter(_count_reasons(reasons))
    report.quarantine_reasons = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    for col, levels in _unseen_levels(kept).items():
        report.unseen_levels[col] = sorted(set(report.unseen_levels.get(col, [])) | set(levels))


def validate_parquet_dataset(
    source: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    batch_rows: int = 1_000_000,
    columns: Mapping[str, str] | None = None,
    overwrite: bool = False,
    progress: Callable[[str], None] | None = None,
) -> DatasetReport:
    """Validate a Parquet dataset chunk by chunk; write the kept rows and the quarantine.

    The rows are read in the order of :func:`parquet_files`, ``batch_rows`` at a time, with
    :mod:`pyarrow.dataset` (the files' schemas unified), and validated by the engine of
    :func:`~ecommerce_analytics.data.load_sessions`: a row gets the same reason here as there
    (exact duplicates are found across batches too). Memory is bounded by the batch, plus 16
    bytes per kept row for the duplicates.

    Parameters
    ----------
    source : path-like
        A folder of Parquet files (searched recursively, see :func:`parquet_files`) or one file.
        Each file holds the same contract columns, every required one (names matched after
        trimming and case-folding; extra columns are reported and left out). Hive partition keys
        in folder names are not read as columns.
    out_dir : path-like
        Receives ``customer_sessions/part-NNNNN.parquet`` (kept rows, ``session_id`` 1..kept then
        the contract's columns and dtypes, a file per batch), ``quarantine.parquet`` (``line``,
        the 1-based row in the dataset; the raw values; ``reason``) and ``report.json``. It must
        be outside ``source`` and not exist or be empty, unless ``overwrite``.
    batch_rows : int, default 1,000,000
        Rows validated at a time.
    columns : mapping, optional
        Your column names for contract columns, as in :func:`~ecommerce_analytics.data.load_sessions`.
    overwrite : bool, default False
        Replace the outputs of a non-empty ``out_dir`` (other files are left alone).
    progress : callable, optional
        Called with one line per batch and a last line with the totals.

    Returns
    -------
    DatasetReport
        Counts, reasons, files read and written; ``rows_in == rows_kept + rows_quarantined``.

    Raises
    ------
    DataContractError
        One line naming the dataset: not found, no Parquet files, an unreadable file, a file
        without a required column, files with different contract columns or column types that
        do not unify, no rows, or no valid rows (the outputs are written first).
    ValueError
        An invalid ``batch_rows`` or ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from ecommerce_analytics.simulate import simulate
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     sessions = simulate(30, seed=1).sessions
    ...     sessions.loc[[4, 25], "rating"] = 9  # two bad rows, in different batches
    ...     Path(folder, "lake").mkdir()
    ...     sessions.to_parquet(Path(folder, "lake", "part-0.parquet"))
    ...     report = validate_parquet_dataset(Path(folder, "lake"), Path(folder, "out"), batch_rows=10)
    ...     quarantine = pd.read_parquet(Path(folder, "out", "quarantine.parquet"))
    >>> report.rows_in, report.rows_kept, report.rows_quarantined, report.batches
    (30, 28, 2, 3)
    >>> quarantine[["line", "reason"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'line': 5, 'reason': 'rating: out of domain (1 <= rating <= 5)'},
     {'line': 26, 'reason': 'rating: out of domain (1 <= rating <= 5)'}]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, out = Path(source), Path(out_dir)
    _check_args(source, out, batch_rows, overwrite)
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    label = str(source)
    files = parquet_files(source)
    dataset = _dataset(source, files, label, columns)
    report = DatasetReport(source=label, out_dir=str(out), files_read=[str(p) for p in files])
    header = LoadReport(label, "parquet")
    mapping = map_header(label, dataset.schema.names, header, columns)
    report.renamed_columns, report.extra_columns = header.renamed_columns, header.extra_columns
    report.column_mapping, report.missing_columns = header.column_mapping, list(header.missing_columns)
    report.notes = list(header.notes)
    for name in (TABLE_NAME, QUARANTINE_FILE, "report.json"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    writer, seen = _Writer(out / TABLE_NAME), _SeenRows()
    raw_fields = [dataset.schema.field(orig).with_name(canon) for orig, canon in mapping.items()]
    q_schema = pa.schema([("line", pa.int64()), *raw_fields, ("reason", pa.string())])
    say(f"validating {len(files):,} Parquet file(s) of {label} in batches of {int(batch_rows):,} rows")
    with pq.ParquetWriter(out / QUARANTINE_FILE, q_schema) as quarantine:
        for table in _batches(dataset, list(mapping), int(batch_rows), label):
            table = table.rename_columns([mapping[c] for c in table.column_names])
            lines = np.arange(report.rows_in + 1, report.rows_in + table.num_rows + 1, dtype=np.int64)
            batch_report = LoadReport(label, "parquet", missing_columns=list(header.missing_columns))
            kept, reasons, ok, duplicates = _validate_batch(table.to_pandas(), lines, batch_report, seen)
            bad = np.flatnonzero(~ok)
            raw = table.take(pa.array(bad, type=pa.int64()))
            raw = raw.add_column(0, "line", pa.array(lines[bad])).append_column(
                "reason", pa.array(reasons[bad].tolist(), type=pa.string())
            )
            quarantine.write_table(raw.cast(q_schema))
            writer.write(kept)
            if len(kept) + len(bad) != table.num_rows:  # pragma: no cover - every row is kept or quarantined
                raise AssertionError(f"{label}: batch {report.batches + 1}: rows in != kept + quarantined")
            report.batches += 1
            report.rows_in += table.num_rows
            report.rows_kept += len(kept)
            report.rows_quarantined += len(bad)
            report.duplicate_rows += duplicates
            _merge(report, batch_report, kept, reasons[bad])
            say(
                f"batch {report.batches:,}: rows {int(lines[0]):,}-{int(lines[-1]):,}, {len(kept):,} kept, "
                f"{len(bad):,} quarantined ({time.perf_counter() - t0:.0f} s)"
            )
    report.sessions_files = [str(p) for p in writer.files]
    report.quarantine_file = str(out / QUARANTINE_FILE)
    report.seconds = time.perf_counter() - t0
    if not report.balanced:  # pragma: no cover - checked per batch above
        raise AssertionError(f"{label}: rows in != kept + quarantined")
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    if report.rows_in == 0:
        raise DataContractError(label, "no data rows (the files hold a schema only)")
    if report.rows_kept == 0:
        top = next(iter(report.quarantine_reasons), "unknown")
        raise DataContractError(
            label, f"no valid rows: all {report.rows_in:,} rows quarantined (most common reason: {top})"
        )
    say(
        f"validated {report.rows_in:,} rows of {label}: {report.rows_kept:,} kept, "
        f"{report.rows_quarantined:,} quarantined, in {report.seconds:.1f} s"
    )
    return report
