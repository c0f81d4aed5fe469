"""Timestamp columns under the contract's time-zone rule and plausible window.

The contract's timestamps are local times without a zone. A value that carries an offset
(``+05:00``, ``Z``) is read on that offset's clock (the offset is dropped, the wall clock kept)
when every value of the column carries the same offset; otherwise the values with an offset are
quarantined, because there is no one local clock to read them on. A time-zone-aware column
(Parquet, DataFrame) has one zone: it is read on that zone's clock. Dates outside
:data:`~ecommerce_analytics.schema.EARLIEST_TIMESTAMP` ..
:data:`~ecommerce_analytics.schema.LATEST_TIMESTAMP` are quarantined.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from ..schema import EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, Column
from .cells import _flag_into, _strip
from .report import LoadReport

#: A trailing time-zone designator of an ISO 8601 date-time: ``Z``, ``+05:00``, ``+0500``, ``-03``.
_OFFSET = re.compile(r"(?<=\d)\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$")
#: The same designator after a time of day in any ISO 8601 form: ``T10:00Z``, ``T10Z``, ``T1000+05``,
#: ``T100000.5-03:30`` (extended or basic format, with or without minutes and seconds).
_OFFSET_AFTER_TIME = r"[T ]\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$"
_EARLIEST = pd.Timestamp(EARLIEST_TIMESTAMP)
_LATEST = pd.Timestamp(LATEST_TIMESTAMP)


def _parse_timestamps(
    col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray, report: LoadReport
) -> pd.Series:
    """Naive ``datetime64`` values of a timestamp column, under the time-zone rule (module doc)."""
    name = col.name
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        parsed = _wall_clock(s, name, report)
    else:
        text = _strip(_as_iso_text(s.astype(object).where(~null, None)))
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
            mixed = False
        except ValueError:  # "Mixed timezones detected": some values carry an offset
            parsed, mixed = None, True
        if mixed or getattr(parsed.dt, "tz", None) is not None:
            parsed = _apply_offset_rule(text, null, reasons, name, report)
    if getattr(parsed.dt, "tz", None) is not None:  # pragma: no cover - handled above
        parsed = parsed.dt.tz_localize(None)
    _flag_into(reasons, (~null) & parsed.isna().to_numpy(), f"{name}: not a date-time")
    outside = (~null & parsed.notna() & ((parsed < _EARLIEST) | (parsed > _LATEST))).to_numpy(dtype=bool)
    window = f"{EARLIEST_TIMESTAMP[:10]} to {LATEST_TIMESTAMP[:10]}"
    _flag_into(reasons, outside, f"{name}: outside the plausible window ({window})")
    return parsed


def _wall_clock(s: pd.Series, name: str, report: LoadReport) -> pd.Series:
    """A datetime column as naive values; a zone-aware column is read on its zone's clock (noted)."""
    tz = getattr(s.dt, "tz", None)
    if tz is None:
        return s
    report.notes.append(
        f"{name}: time-zone-aware column ({tz}); read as local time on that clock "
        "(the zone is dropped, the wall-clock time kept; not converted to UTC)"
    )
    return s.dt.tz_localize(None)


def _iso(v: object) -> object:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _as_iso_text(obj: pd.Series) -> pd.Series:
    """Cells of an object column as text (date-times in ISO 8601); missing cells stay None."""
    if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
        return obj
    return obj.map(_iso)


def _canonical_offset(text: str) -> str:
    if text in ("Z", "z"):
        return "+00:00"
    sign, digits = text[0], text[1:].replace(":", "")
    return f"{sign}{digits[:2]}:{(digits[2:] or '00')}"


def _apply_offset_rule(
    text: pd.Series, null: np.ndarray, reasons: np.ndarray, name: str, report: LoadReport
) -> pd.Series:
    """Parse texts some of which carry an offset: one shared offset is dropped, mixed ones quarantined."""
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
        return parsed
    why = (
        f"values without an offset and {len(distinct)} offset(s) ({', '.join(distinct)})"
        if naive_values
        else f"{len(distinct)} different offsets ({', '.join(distinct)})"
    )
    for off in distinct:
        _flag_into(
            reasons,
            has_offset & (canonical.reindex(text.index).to_numpy() == off),
            f"{name}: time-zone offset {off} in a column that does not share one offset",
        )
    report.notes.append(
        f"{name}: the column mixes {why}; the {int(has_offset.sum()):,} value(s) with "
        "an offset were quarantined (one local clock is required)"
    )
    return parsed


def _to_naive_datetimes(text: pd.Series, reasons: np.ndarray, name: str) -> pd.Series:
    """ISO 8601 texts whose recognised offsets were removed, parsed to naive date-times.

    A value that still carries a time zone (a form the offset pattern does not know) is
    quarantined with a reason instead of failing the whole file.
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
