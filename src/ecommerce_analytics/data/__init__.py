"""Loading, validation and fetching of session data under the contract in :mod:`..schema`.

:func:`load_sessions` reads a CSV or Parquet file and returns a :class:`LoadResult`: the valid
rows, the quarantined rows (each with one reason) and a :class:`LoadReport`. The invariant
``rows_in == rows_kept + rows_quarantined`` always holds: nothing is dropped silently.

Problems with the dataset as a whole (missing file, empty file, unparseable file, missing
columns, no valid rows) raise :class:`DataContractError`, whose message is one line naming the
file and the problem.

Hostile input is quarantined, never wrapped or crashed on: whole numbers are parsed exactly
(never through a float) and must fit in int64; cells that are not single values (lists, dicts,
bytes) or that hold a NUL character are quarantined; a timestamp with an offset or ``Z`` is read
on that clock only when every value shares the one offset (otherwise the values with an offset
are quarantined), and a time-zone-aware column is read on its own zone's wall clock; dates
outside the plausible window of :mod:`..schema` are quarantined. UTF-16 files are detected and
decoded; a record with broken quoting is quarantined at its line and reading resumes on the
next line. :func:`escape_formulas` makes CSV outputs safe to open in a spreadsheet.

Modules, one concern each:

- :mod:`.report`: :class:`DataContractError`, :class:`LoadReport`, :class:`LoadResult`;
- :mod:`.encoding`: file hashing and the encoding fallback (UTF-16, UTF-8, Latin-1);
- :mod:`.reading`: CSV records with their line numbers (broken quoting resumes), Parquet;
- :mod:`.header`: header cells to contract columns, renames, extras and hints;
- :mod:`.cells`, :mod:`.numbers`, :mod:`.timestamps`: the column rules;
- :mod:`.validation`: the engine (first reason per row, row rules, duplicates, the report);
- :mod:`.loading`: :func:`load_sessions` and :func:`validate_sessions`;
- :mod:`.outputs`: :func:`escape_formulas`;
- :mod:`.download`: :func:`fetch_kaggle` (the Kaggle download).
"""

from __future__ import annotations

from .cells import NULL_TOKENS
from .dataset import DatasetReport, parquet_files, sessions_arrow_schema, validate_parquet_dataset
from .download import KAGGLE_DATASET, KAGGLE_FILE_NAME, KAGGLE_SHA256, KaggleFetchError, fetch_kaggle
from .encoding import file_sha256
from .loading import load_sessions, validate_sessions
from .outputs import FORMULA_PREFIXES, escape_formulas
from .reading import BROKEN_QUOTING, MAX_BROKEN_RECORDS, sep_problem
from .report import DataContractError, LoadReport, LoadResult

__all__ = [
    "DataContractError",
    "KaggleFetchError",
    "LoadReport",
    "LoadResult",
    "load_sessions",
    "validate_sessions",
    "DatasetReport",
    "validate_parquet_dataset",
    "parquet_files",
    "sessions_arrow_schema",
    "fetch_kaggle",
    "file_sha256",
    "KAGGLE_DATASET",
    "KAGGLE_FILE_NAME",
    "KAGGLE_SHA256",
    "escape_formulas",
    "sep_problem",
    "NULL_TOKENS",
    "MAX_BROKEN_RECORDS",
    "BROKEN_QUOTING",
    "FORMULA_PREFIXES",
]
