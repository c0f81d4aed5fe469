"""The two entry points: :func:`load_sessions` (a file) and :func:`validate_sessions` (a frame)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .header import map_header
from .reading import _check_path, _is_parquet, _read_csv, _read_parquet, sep_problem
from .report import DataContractError, LoadReport, LoadResult
from .validation import _validate

__all__ = ["load_sessions", "validate_sessions"]


def load_sessions(path: str | os.PathLike, *, sep: str = ",", columns: Mapping[str, str] | None = None) -> LoadResult:
    r"""Read and validate a sessions file (CSV or Parquet).

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` file (UTF-8, with or without BOM; UTF-16 and Latin-1 are accepted and noted)
        or a ``.parquet`` / ``.pq`` file.
    sep : str, default ","
        CSV delimiter: one character, not a quote, a line break or NUL.
    columns : mapping, optional
        Your column names for contract columns, ``{"user_id": "customer_id", ...}``
        (:func:`~ecommerce_analytics.data.column_map` reads one from a TOML file or ``--map``
        pairs). The report echoes it.

    Returns
    -------
    LoadResult
        ``sessions`` (valid rows, contract dtypes, in file order; the contract columns the file
        has), ``quarantine`` (the raw values of rejected rows with ``line`` and ``reason``), and
        ``report`` (``report.missing_columns`` lists the optional columns the file lacks).

    Raises
    ------
    DataContractError
        For dataset-level problems: missing, empty, directory, unparseable, missing required
        columns, a mapped column not in the file, header only, no valid rows, an invalid ``sep``.

    Examples
    --------
    >>> import tempfile
    >>> from ecommerce_analytics.simulate import simulate
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder, "s.csv")
    ...     simulate(50, seed=1).sessions.to_csv(path, index=False)
    ...     with path.open("a") as fh:
    ...         _ = fh.write(",".join(["u1"] * 19) + "\n")  # a row that breaks the contract
    ...     sessions, quarantine, report = load_sessions(path)
    >>> report.rows_in, report.rows_kept, report.rows_quarantined
    (51, 50, 1)
    >>> quarantine[["line", "reason"]].to_dict("records")
    [{'line': 52, 'reason': 'price: not a number'}]
    """
    path = Path(path)
    _check_path(path)
    problem = sep_problem(sep)
    if problem:
        raise DataContractError(path, problem)
    if _is_parquet(path):
        report = LoadReport(source=str(path), file_format="parquet")
        frame, lines, shape_reason = _read_parquet(path, report, columns)
        has_nul = True
    else:
        report = LoadReport(source=str(path), file_format="csv")
        frame, lines, shape_reason, has_nul = _read_csv(path, sep, report, columns)
    return _validate(str(path), frame, lines, shape_reason, report, scan_nul=has_nul)


def validate_sessions(
    frame: pd.DataFrame, source: str = "<frame>", *, columns: Mapping[str, str] | None = None
) -> LoadResult:
    """Validate an in-memory frame under the contract (same rules as :func:`load_sessions`).

    Parameters
    ----------
    frame : DataFrame
        The 19 contract columns (names matched after trimming and case-folding; extra columns
        are reported and left out), with raw or typed values.
    source : str, default "<frame>"
        Label of the frame in the report and in errors.
    columns : mapping, optional
        Your column names for contract columns, as in :func:`load_sessions`.

    Returns
    -------
    LoadResult
        As :func:`load_sessions`; the quarantine's ``line`` is the 1-based position in ``frame``.

    Raises
    ------
    DataContractError
        Missing or repeated contract columns, no rows, or no valid rows.

    Examples
    --------
    >>> from ecommerce_analytics.simulate import simulate
    >>> frame = simulate(20, seed=1).sessions
    >>> frame.loc[3, "rating"] = 9
    >>> result = validate_sessions(frame, source="example")
    >>> len(result.sessions), result.quarantine[["line", "reason"]].to_dict("records")
    (19, [{'line': 4, 'reason': 'rating: out of domain (1 <= rating <= 5)'}])
    """
    report = LoadReport(source=source, file_format="dataframe")
    header = [str(c) for c in frame.columns]
    mapping = map_header(source, header, report, columns)
    data = frame.copy()
    data.columns = header
    data = data[list(mapping)].rename(columns=mapping).reset_index(drop=True)
    return _validate(source, data, np.arange(1, len(data) + 1, dtype=np.int64), [None] * len(data), report)
