"""Header mapping: header cells to contract columns, with renames, extras and hints."""

from __future__ import annotations

import difflib

from ..schema import COLUMN_NAMES, COLUMNS_BY_NAME, normalize_column_name
from .report import DataContractError, LoadReport

__all__ = ["map_header"]


def map_header(source: object, header: list[str], report: LoadReport) -> dict[str, str]:
    """Map original header cells to contract names; record renames and extras; fail if missing.

    A cell matches a contract column after trimming and case-folding
    (:func:`~ecommerce_analytics.schema.normalize_column_name`); such a rename is recorded in
    ``report.renamed_columns``. Cells outside the contract go to ``report.extra_columns``.

    Parameters
    ----------
    source : object
        The file or frame label (named in errors).
    header : list of str
        The header cells, in order.
    report : LoadReport
        Receives ``renamed_columns`` and ``extra_columns``.

    Returns
    -------
    dict
        ``{original header cell: contract column}`` for the 19 contract columns, in header order.

    Raises
    ------
    DataContractError
        A contract column appears twice, or is missing; a missing column's message names the
        closest extra header cell, if one is close ("found 'purchase_decison'; rename it").

    Examples
    --------
    >>> from ecommerce_analytics.schema import COLUMN_NAMES
    >>> report = LoadReport("frame", "dataframe")
    >>> header = [" User_ID ", *COLUMN_NAMES[1:], "note"]
    >>> map_header("frame", header, report)[" User_ID "], report.extra_columns
    ('user_id', ['note'])
    >>> map_header("frame", ["usr_id", *COLUMN_NAMES[1:]], report)
    Traceback (most recent call last):
    ...
    ecommerce_analytics.data.report.DataContractError: frame: missing required column(s): 'user_id' (found 'usr_id'; rename it)
    """
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    extras: list[str] = []
    for orig in header:
        canon = normalize_column_name(orig)
        if canon not in COLUMNS_BY_NAME:
            extras.append(orig)
            continue
        if canon in seen:
            raise DataContractError(source, f"column {canon!r} appears twice (as {seen[canon]!r} and {orig!r})")
        seen[canon] = orig
        mapping[orig] = canon
        if orig != canon:
            report.renamed_columns[orig] = canon
    missing = [c for c in COLUMN_NAMES if c not in seen]
    if missing:
        hints = ", ".join(_hint(m, extras) for m in missing)
        raise DataContractError(source, f"missing required column(s): {hints}")
    report.extra_columns = extras
    return mapping


def _hint(missing: str, extras: list[str]) -> str:
    """A missing column's name, with the closest extra header cell when one is close."""
    close = difflib.get_close_matches(missing, [normalize_column_name(e) for e in extras], n=1, cutoff=0.6)
    return f"{missing!r} (found {close[0]!r}; rename it)" if close else repr(missing)
