"""Outputs safe to open in a spreadsheet (no formula injection through CSV cells)."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "escape_formulas"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _is_formula(v: object) -> bool:
    return isinstance(v, str) and v[:1] in FORMULA_PREFIXES and v[:1] != "" and not _PLAIN_NUMBER.fullmatch(v)


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` safe to open in a spreadsheet.

    Text cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return get a
    leading single quote (OWASP's advice against CSV injection), so ``=cmd|' /C calc'!A0`` is
    shown as text, not run. Only text cells change: numeric columns are left alone, and a text
    cell that is a plain number (``-5.00``, ``+3``, ``-1e3``, as in the raw values of a
    quarantine) stays as it is. Column names are escaped the same way.

    Parameters
    ----------
    frame : DataFrame
        Any frame about to be written as CSV.

    Returns
    -------
    DataFrame
        The escaped copy (``frame`` itself is not changed).

    Examples
    --------
    >>> out = escape_formulas(pd.DataFrame({"v": ["=1+2", "-5.00", "ok"], "=x": [1, 2, 3]}))
    >>> out["v"].tolist(), list(out.columns)
    (["'=1+2", '-5.00', 'ok'], ['v', "'=x"])
    """
    out = frame.copy()
    for name in out.columns:
        s = out[name]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        obj = s.astype(object)
        starts = obj.map(_is_formula).to_numpy(dtype=bool)
        if starts.any():
            obj = obj.copy()
            obj[starts] = "'" + obj[starts].astype(str)
            out[name] = obj
    out.columns = [("'" + c) if isinstance(c, str) and c[:1] in FORMULA_PREFIXES else c for c in out.columns]
    return out
