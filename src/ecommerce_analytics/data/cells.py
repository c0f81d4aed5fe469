"""Cell-level helpers of the validation engine: missing values, trimming, single values, NULs.

The engine records at most one reason per row: the first rule the row breaks. ``reasons`` is an
object array with one slot per row (None while the row is clean); :func:`_flag_into` writes a
reason only into the slots that are still empty.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from ..schema import Column

#: Cell values read as missing (pandas' usual tokens), after trimming blanks.
NULL_TOKENS = frozenset({"", "nan", "NaN", "NA", "N/A", "n/a", "null", "NULL", "None", "none"})

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


def _clean(reasons: np.ndarray) -> np.ndarray:
    """Rows without a reason yet (``reasons`` holds None or a string per row)."""
    return reasons == None  # noqa: E711 - element-wise on an object array (``is None`` would not be)


def _flag_into(reasons: np.ndarray, mask: np.ndarray, text: str) -> None:
    """Give ``text`` as the reason of the rows in ``mask`` that have none yet (first reason wins)."""
    reasons[mask & _clean(reasons)] = text


def _flag_each(reasons: np.ndarray, positions: np.ndarray, text_of) -> None:
    """Give ``text_of(i)`` as the reason of each row ``i`` in ``positions`` that has none yet."""
    for i in positions:
        if reasons[i] is None:
            reasons[i] = text_of(i)


def _null_mask(s: pd.Series) -> np.ndarray:
    """Missing cells: NA, or a text cell that trims to one of :data:`NULL_TOKENS`."""
    mask = s.isna().to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        mask = mask | _strip(s).isin(NULL_TOKENS).to_numpy()
    return mask


def _strip(s: pd.Series) -> pd.Series:
    """Trim blanks of string cells; other cells are left as they are.

    Each distinct string is trimmed once (most columns repeat a few values), so this is fast on
    large files.
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
    """Flag cells that are not single values, or that hold a NUL character.

    Returns ``s`` with non-single values replaced by None (so the parsers see only scalars).
    """
    if s.dtype == object:
        values = s.to_numpy()
        if pd.api.types.infer_dtype(values, skipna=True) not in _SCALAR_KINDS:
            single = np.fromiter((_is_single_value(v) for v in values), dtype=bool, count=len(values))
            if not single.all():
                _flag_each(
                    reasons,
                    np.flatnonzero(~single),
                    lambda i: f"{col.name}: {_cell_type(values[i])}, not a single value",
                )
                values = values.copy()
                values[~single] = None
                s = pd.Series(values, index=s.index, dtype=object)
        if scan_nul and "\x00" in "".join(v for v in values if isinstance(v, str)):
            nul = np.fromiter((isinstance(v, str) and "\x00" in v for v in values), dtype=bool, count=len(values))
            _flag_into(reasons, nul, f"{col.name}: contains a NUL character")
    elif scan_nul and pd.api.types.is_string_dtype(s.dtype):
        nul = s.str.contains("\x00", regex=False, na=False).to_numpy(dtype=bool)
        _flag_into(reasons, nul, f"{col.name}: contains a NUL character")
    return s


def _show(value: object) -> str:
    """A cell's value as quoted in a reason (at most 40 characters)."""
    text = str(value).strip()
    return text if len(text) <= 40 else text[:37] + "..."
