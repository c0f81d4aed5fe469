"""The validation engine: every column parsed under its rule, row rules, duplicates, the report.

Each row that breaks a rule is quarantined with the first rule it breaks (columns in contract
order, then the row rules, then exact duplicates); ``rows_in == rows_kept + rows_quarantined``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..schema import COLUMN_NAMES, COLUMNS, ROW_RULES, Column
from .cells import _cell_problems, _clean, _flag_into, _null_mask, _plain_dtype, _strip
from .numbers import _parse_float, _parse_whole
from .report import DataContractError, LoadReport, LoadResult
from .timestamps import _parse_timestamps


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
    """The kept rows with the contract's dtypes (int64, float64, datetime64[us], str)."""
    out = {}
    for col in COLUMNS:
        if col.name not in frame:
            continue
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


def _reason_key(reason: str) -> str:
    """The report's group of a quarantine reason (reasons that quote a value or a line are grouped)."""
    if reason.startswith("duplicate of line"):
        return "duplicate row"
    if reason.endswith(" is outside int64"):
        return reason.split(":", 1)[0] + ": whole number outside int64"
    return reason


def _flag_row_rules(parsed: dict[str, pd.Series], reasons: np.ndarray) -> None:
    """Quarantine rows that break a row rule of the contract (the funnel rules), in order.

    A rule over a column the data does not have does not apply.
    """
    for rule in ROW_RULES:
        if any(name not in parsed for name, _ in rule.when):
            continue
        broken = np.ones(len(reasons), dtype=bool)
        for name, value in rule.when:
            broken &= parsed[name].to_numpy() == value
        _flag_into(reasons, broken, rule.text)


def _flag_duplicates(parsed: dict[str, pd.Series], reasons: np.ndarray, lines: np.ndarray) -> int:
    """Quarantine all but the first of rows equal on every parsed column; return how many repeat.

    Compared on parsed values, so ``"1"`` and ``"1.0"`` are the same price.
    """
    n = len(reasons)
    row_hash = pd.util.hash_pandas_object(pd.DataFrame(parsed), index=False).to_numpy()
    first_pos = pd.Series(np.arange(n)).groupby(row_hash, sort=False).transform("min").to_numpy()
    dup = first_pos != np.arange(n)
    dup_free = dup & _clean(reasons)
    reasons[dup_free] = [f"duplicate of line {lines[p]}" for p in first_pos[dup_free]]
    return int(dup.sum())


def _quarantine_frame(frame: pd.DataFrame, lines: np.ndarray, reasons: np.ndarray, bad: np.ndarray) -> pd.DataFrame:
    """The raw values of the quarantined rows, with ``line`` first and ``reason`` last."""
    quarantine = frame.loc[bad].copy()
    quarantine.insert(0, "line", lines[bad])
    quarantine["reason"] = reasons[bad]
    return quarantine.reset_index(drop=True)


def _count_reasons(reasons: np.ndarray) -> dict[str, int]:
    """Quarantined rows per reason group, most frequent first (ties by name)."""
    counts = Counter(_reason_key(r) for r in reasons)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _unseen_levels(sessions: pd.DataFrame) -> dict[str, list[str]]:
    """Values of the open vocabularies outside their reference levels."""
    out = {}
    for col in COLUMNS:
        if col.reference_levels is not None and col.name in sessions:
            new = sorted(set(sessions[col.name].unique()) - set(col.reference_levels))
            if new:
                out[col.name] = new
    return out


def _derive_abandoned_cart(parsed: dict[str, pd.Series], report: LoadReport) -> None:
    """Add ``abandoned_cart = add_to_cart and not purchase_decision`` when the data lacks it."""
    if "abandoned_cart" in parsed or "add_to_cart" not in parsed:
        return
    cart, bought = parsed["add_to_cart"], parsed["purchase_decision"]
    # Rows where either flag is invalid are quarantined by those flags' own rules.
    parsed["abandoned_cart"] = ((cart == 1) & (bought == 0)).astype("int64")
    if "abandoned_cart" in report.missing_columns:
        report.missing_columns.remove("abandoned_cart")
    report.notes.append("abandoned_cart was derived as add_to_cart = 1 and purchase_decision = 0 (not in the data)")


def _validate(
    source: str,
    frame: pd.DataFrame,
    lines: np.ndarray,
    shape_reason: list[str | None],
    report: LoadReport,
    *,
    scan_nul: bool = True,
) -> LoadResult:
    """Validate a frame of contract columns (raw values) and fill ``report``.

    The frame has the contract columns the data has (every required one). A missing
    ``abandoned_cart`` is derived from ``add_to_cart`` and ``purchase_decision`` (the contract's
    row rule: a cart is either bought or abandoned), and the report notes it.
    """
    n = len(frame)
    report.rows_in = n
    if n == 0:
        raise DataContractError(source, "no data rows (the file has a header only)")
    reasons = np.array(shape_reason if shape_reason else [None] * n, dtype=object)
    present = [col for col in COLUMNS if col.name in frame]
    parsed = {col.name: _validate_column(col, frame[col.name], reasons, report, scan_nul) for col in present}
    _derive_abandoned_cart(parsed, report)
    _flag_row_rules(parsed, reasons)
    report.duplicate_rows = _flag_duplicates(parsed, reasons, lines)

    bad = ~_clean(reasons)
    quarantine = _quarantine_frame(frame, lines, reasons, bad)
    report.rows_kept = int((~bad).sum())
    report.rows_quarantined = int(bad.sum())
    report.quarantine_reasons = _count_reasons(reasons[bad])
    if report.rows_kept == 0:
        top = next(iter(report.quarantine_reasons), "unknown")
        raise DataContractError(source, f"no valid rows: all {n:,} rows quarantined (most common reason: {top})")
    sessions = _finalize_types(pd.DataFrame({c: parsed[c][~bad] for c in COLUMN_NAMES if c in parsed}))
    report.unseen_levels.update(_unseen_levels(sessions))
    if not report.balanced:  # pragma: no cover - every row is either kept or quarantined
        raise AssertionError(f"{source}: rows in != kept + quarantined")
    return LoadResult(sessions, quarantine, report, lines[~bad])
