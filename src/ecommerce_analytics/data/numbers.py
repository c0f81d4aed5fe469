"""Numeric columns: whole numbers parsed exactly (never through a float), and real numbers.

Whole numbers (``int`` and ``flag`` columns) must fit in int64; a text cell is parsed digit by
digit (``"9007199254740993"`` keeps its last digit), a float cell must be finite and whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from ..schema import INT64_MAX, INT64_MIN, Column
from .cells import _flag_each, _flag_into, _show

_INT_TEXT = re.compile(r"[+-]?\d+")
#: ``infer_dtype`` kinds of an object column whose cells the number parsers read directly.
_NUMBER_KINDS = ("string", "empty", "integer", "floating", "mixed-integer-float", "decimal")


def _exact_whole(value: object) -> tuple[int | None, str | None]:
    """The exact integer a cell holds, or what is wrong with it (never through a float for text)."""
    if isinstance(value, (bool, np.bool_, int, np.integer)):
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
    return _exact_whole_decimal(text)


def _exact_whole_decimal(text: str) -> tuple[int | None, str | None]:
    """:func:`_exact_whole` of a text in decimal or exponent notation (``"1.0"``, ``"2e3"``)."""
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


def _outside_int64(col: Column, shown: Callable[[int], object]) -> Callable[[int], str]:
    """Reason maker for row ``i``: the value ``shown(i)`` is outside int64."""
    return lambda i: f"{col.name}: {_show(shown(i))} is outside int64"


def _parse_whole(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """int64 values of an ``int``/``flag`` column (0 where a cell is missing or invalid)."""
    values = np.zeros(len(s), dtype=np.int64)
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        bad = _whole_from_bools(col, s, null, reasons, values)
    elif pd.api.types.is_signed_integer_dtype(dtype):
        values[~null] = s[~null].to_numpy(dtype=np.int64)
        bad = np.zeros(len(s), dtype=bool)
    elif pd.api.types.is_unsigned_integer_dtype(dtype):
        bad = _whole_from_unsigned(col, s, null, reasons, values)
    elif pd.api.types.is_float_dtype(dtype):
        bad = _whole_from_floats(col, s, null, reasons, values)
    else:
        bad = _whole_from_objects(col, s, null, reasons, values)
    _flag_whole_domain(col, values, ~null & ~bad, reasons)
    return values


def _whole_from_bools(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray, values: np.ndarray):
    """True/false cells: 1/0 in a flag column, not a number elsewhere. Returns the bad cells."""
    if col.kind == "flag":
        values[~null] = s[~null].astype(np.int64).to_numpy()
        return np.zeros(len(s), dtype=bool)
    _flag_into(reasons, ~null, f"{col.name}: not a number (true/false)")
    return ~null


def _whole_from_unsigned(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray, values: np.ndarray):
    """uint64 cells: those above int64's maximum are quarantined. Returns the bad cells."""
    bad = np.zeros(len(s), dtype=bool)
    raw = s[~null].to_numpy(dtype=np.uint64)
    big = raw > np.uint64(INT64_MAX)
    pos = np.flatnonzero(~null)
    _flag_each(reasons, pos[big], _outside_int64(col, lambda i: s.iloc[i]))
    bad[pos[big]] = True
    values[pos[~big]] = raw[~big].astype(np.int64)
    return bad


def _whole_from_floats(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray, values: np.ndarray):
    """Float cells: must be finite, whole and inside int64. Returns the bad cells."""
    arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        infinite = ~null & ~np.isfinite(arr)
        fraction = ~null & ~infinite & (arr != np.floor(arr))
        outside = ~null & ~infinite & ~fraction & ((arr < -(2.0**63)) | (arr >= 2.0**63))
    _flag_into(reasons, infinite, f"{col.name}: not finite")
    _flag_into(reasons, fraction, f"{col.name}: not a whole number")
    _flag_each(reasons, np.flatnonzero(outside), _outside_int64(col, lambda i: arr[i]))
    bad = infinite | fraction | outside
    ok = ~null & ~bad
    values[ok] = arr[ok].astype(np.int64)
    return bad


def _whole_from_objects(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray, values: np.ndarray):
    """Text and mixed cells, parsed exactly once per distinct value. Returns the bad cells."""
    n = len(s)
    bad = np.zeros(n, dtype=bool)
    obj = s.astype(object)
    pos = np.flatnonzero(~null)
    if pd.api.types.infer_dtype(obj.iloc[pos], skipna=True) not in _NUMBER_KINDS:
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
    in_range = [v is not None and INT64_MIN <= v <= INT64_MAX for v, _ in parsed]
    u_val = np.array([v if ok else 0 for (v, _), ok in zip(parsed, in_range, strict=True)], dtype=np.int64)
    u_err = np.array(
        [e if e is not None else (None if ok else "range") for (_, e), ok in zip(parsed, in_range, strict=True)],
        dtype=object,
    )
    if len(pos):
        values[pos] = u_val[codes]
        errs = u_err[codes]
        has_err = errs != None  # noqa: E711 - element-wise on an object array
        for i, err in zip(pos[has_err], errs[has_err], strict=True):
            bad[i] = True
            if reasons[i] is None:
                reasons[i] = (
                    f"{col.name}: {_show(obj.iloc[i])} is outside int64" if err == "range" else f"{col.name}: {err}"
                )
    return bad


def _flag_whole_domain(col: Column, values: np.ndarray, ok: np.ndarray, reasons: np.ndarray) -> None:
    """Quarantine parsed whole numbers outside the column's domain (flags: 0 or 1; bounds)."""
    out = np.zeros(len(values), dtype=bool)
    if col.kind == "flag":
        out |= ok & ~np.isin(values, (0, 1))
    if col.minimum is not None:
        out |= ok & ((values <= col.minimum) if col.min_exclusive else (values < col.minimum))
    if col.maximum is not None:
        out |= ok & (values > col.maximum)
    _flag_into(reasons, out, f"{col.name}: out of domain ({col.domain_text()})")


def _parse_float(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """float64 values of a ``float`` column (NaN where a cell is missing or invalid)."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_complex_dtype(s.dtype):
        arr = np.full(len(s), np.nan)
        bad = ~null
        _flag_into(reasons, bad, f"{col.name}: not a number ({'true/false' if s.dtype.kind == 'b' else 'complex'})")
    elif pd.api.types.is_numeric_dtype(s.dtype):
        arr = s.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.zeros(len(s), dtype=bool)
    else:
        arr = _floats_from_objects(col, s, null, reasons)
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


def _floats_from_objects(col: Column, s: pd.Series, null: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """float64 values of text or mixed cells; true/false and complex cells are not numbers."""
    if pd.api.types.infer_dtype(s, skipna=True) not in _NUMBER_KINDS:
        odd = np.fromiter(
            (isinstance(v, (bool, np.bool_, complex, np.complexfloating)) for v in s.to_numpy()),
            dtype=bool,
            count=len(s),
        )
        _flag_into(reasons, odd, f"{col.name}: not a number")
        s = s.astype(object).where(~odd, None)
    return pd.to_numeric(s.astype(object).where(~null, np.nan), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
