"""Header mapping: header cells to contract columns, with renames, extras and hints."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from ..schema import COLUMN_NAMES, COLUMNS_BY_NAME, REQUIRED_COLUMNS, normalize_column_name
from .report import DataContractError, LoadReport

__all__ = ["map_header"]


def map_header(
    source: object, header: list[str], report: LoadReport, columns: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Map original header cells to contract names; record renames and extras; fail if required ones miss.

    A cell named in ``columns`` (a column mapping, see :mod:`.mapping`) is the contract column it
    is mapped to; otherwise a cell matches a contract column after trimming and case-folding
    (:func:`~ecommerce_analytics.schema.normalize_column_name`); such a rename is recorded in
    ``report.renamed_columns``. Cells outside the contract go to ``report.extra_columns``.
    Optional contract columns that are absent are listed in ``report.missing_columns``.

    Parameters
    ----------
    source : object
        The file or frame label (named in errors).
    header : list of str
        The header cells, in order.
    report : LoadReport
        Receives ``column_mapping``, ``renamed_columns``, ``extra_columns`` and ``missing_columns``.
    columns : mapping, optional
        ``{contract column: header cell}``; every mapped cell must be in the header.

    Returns
    -------
    dict
        ``{original header cell: contract column}`` for the contract columns present, in header order.

    Raises
    ------
    DataContractError
        A contract column appears twice, a mapped cell is not in the header, or a required column
        (:data:`~ecommerce_analytics.schema.REQUIRED_COLUMNS`) is missing; a missing column's
        message names the closest extra header cell, if one is close ("found 'purchase_decison';
        rename it").

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
    ecommerce_analytics.data.report.DataContractError: frame: missing required column(s): 'user_id' (found 'usr_id'; rename it or pass --map user_id=usr_id)
    >>> report = LoadReport("frame", "dataframe")
    >>> sorted(map_header("frame", ["usr_id", "ts", "bought"], report,
    ...                   {"user_id": "usr_id", "purchase_date": "ts", "purchase_decision": "bought"}).values())
    ['purchase_date', 'purchase_decision', 'user_id']
    >>> len(report.missing_columns)
    16
    """
    by_cell = {yours: canon for canon, yours in (columns or {}).items()}
    absent = [cell for cell in by_cell if cell not in header]
    if absent:
        listed = ", ".join(f"{cell!r} (for {by_cell[cell]})" for cell in absent)
        raise DataContractError(source, f"the column mapping names column(s) not in the data: {listed}")
    report.column_mapping = dict(columns or {})
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    extras: list[str] = []
    for orig in header:
        canon = by_cell.get(orig) or normalize_column_name(orig)
        if orig not in by_cell and canon in by_cell.values():
            extras.append(orig)  # the mapping gives this contract column another source
            continue
        if canon not in COLUMNS_BY_NAME:
            extras.append(orig)
            continue
        if canon in seen:
            raise DataContractError(source, f"column {canon!r} appears twice (as {seen[canon]!r} and {orig!r})")
        seen[canon] = orig
        mapping[orig] = canon
        if orig != canon and orig not in by_cell:
            report.renamed_columns[orig] = canon
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        hints = ", ".join(_hint(m, extras) for m in missing)
        raise DataContractError(source, f"missing required column(s): {hints}")
    report.extra_columns = extras
    report.missing_columns = [c for c in COLUMN_NAMES if c not in seen]
    for name in report.missing_columns:  # a misspelt optional column would silently skip analyses
        close = _closest(name, extras)
        if close is not None:
            report.notes.append(f"optional column {name} is missing; if {close!r} holds it, pass --map {name}={close}")
    return mapping


def _closest(missing: str, extras: list[str]) -> str | None:
    """The extra header cell whose name is close to a missing column's, if one is."""
    names = {normalize_column_name(e): e for e in extras}
    close = difflib.get_close_matches(missing, list(names), n=1, cutoff=0.6)
    return names[close[0]] if close else None


def _hint(missing: str, extras: list[str]) -> str:
    """A missing column's name, with the closest extra header cell when one is close."""
    close = _closest(missing, extras)
    if close is not None:
        return f"{missing!r} (found {normalize_column_name(close)!r}; rename it or pass --map {missing}={close})"
    return f"{missing!r} (name your column so, or pass --map {missing}=YOUR_COLUMN)"
