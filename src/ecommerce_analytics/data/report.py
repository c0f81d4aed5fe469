"""The outcome of a load: the dataset-level error, the load report and the load result."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DataContractError", "LoadReport", "LoadResult"]


class DataContractError(ValueError):
    r"""A dataset-level problem. ``str(err)`` is one line: ``"<source>: <problem>"``.

    Parameters
    ----------
    source : object
        The file (or the label of an in-memory frame) the problem is about.
    problem : str
        What is wrong; runs of blanks and line breaks are collapsed to one space.

    Examples
    --------
    >>> str(DataContractError("s.csv", "file is empty\n(0 bytes)"))
    's.csv: file is empty (0 bytes)'
    """

    def __init__(self, source: object, problem: str) -> None:
        self.source = str(source)
        self.problem = " ".join(problem.split())
        super().__init__(f"{self.source}: {self.problem}")


@dataclass
class LoadReport:
    """What happened to every row and column of one input.

    Attributes
    ----------
    source : str
        File path, or a label for an in-memory frame.
    file_format : str
        ``"csv"``, ``"parquet"`` or ``"dataframe"``.
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
    column_mapping : dict
        The column mapping applied (``{contract column: your column}``), as given.
    missing_columns : list of str
        Optional contract columns the data does not have (the analyses needing them are skipped).
    unseen_levels : dict
        Values of open vocabularies (category, payment method) outside the reference levels.
    encoding : str or None
        The text encoding a CSV file was decoded with.
    blank_lines : int
        Blank lines skipped (not records).
    sha256 : str or None
        Hex sha256 of the file's bytes.
    notes : list of str
        What was done that the counts do not show: the encoding used, a time-zone rule applied
        (offsets dropped, or values with an offset quarantined), lines of broken CSV skipped.

    Examples
    --------
    >>> report = LoadReport("s.csv", "csv", rows_in=3, rows_kept=2, rows_quarantined=1)
    >>> report.balanced
    True
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
    column_mapping: dict[str, str] = field(default_factory=dict)
    missing_columns: list[str] = field(default_factory=list)
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
        """JSON-serialisable form (stable keys).

        Returns
        -------
        dict
            The fields by name; ``LoadReport(**report.to_dict())`` rebuilds the report.
        """
        return asdict(self)

    def summary(self) -> str:
        """Multi-line, human-readable report.

        Returns
        -------
        str
            Source, row counts, reasons, header matches, extra columns, new levels and notes.

        Examples
        --------
        >>> print(LoadReport("s.csv", "csv", rows_in=2, rows_kept=2).summary().splitlines()[1])
        Rows read: 2 | kept: 2 | quarantined: 0 (0.0%)
        """
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
        if self.column_mapping:
            pairs = ", ".join(f"{v!r} -> {k}" for k, v in self.column_mapping.items())
            lines.append(f"Column mapping applied: {pairs}")
        if self.renamed_columns:
            pairs = ", ".join(f"{k!r} -> {v}" for k, v in self.renamed_columns.items())
            lines.append(f"Column names matched after trimming and case-folding: {pairs}")
        elif not self.column_mapping and not self.missing_columns:
            lines.append("Column names: all 19 matched exactly.")
        if self.missing_columns:
            lines.append(
                "Optional columns not in the data (analyses that need them are skipped): "
                + ", ".join(self.missing_columns)
            )
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
    """Validated sessions, quarantined rows and the report. Unpacks as a 3-tuple.

    Attributes
    ----------
    sessions : DataFrame
        The valid rows, with the contract's dtypes, in input order.
    quarantine : DataFrame
        The raw values of the rejected rows, with ``line`` (first column) and ``reason`` (last).
    report : LoadReport
        What happened to every row and column.
    lines : ndarray or None
        Line where each kept session's record starts (CSV), or its 1-based row (Parquet, frame).
    """

    sessions: pd.DataFrame
    quarantine: pd.DataFrame
    report: LoadReport
    lines: np.ndarray | None = None

    def __iter__(self) -> Iterator:
        return iter((self.sessions, self.quarantine, self.report))
