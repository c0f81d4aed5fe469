"""One entry point for "the data": the simulator (default), a file, or a Parquet folder under the contract.

Notebooks, the CLI and the pipeline call :func:`load_source` with the same parameters, so a
run on the Kaggle file differs from the default run only by ``source``.

A report does its expensive data work once: :func:`prepare_source` simulates (or reads and
validates) the data and stores a simulated run's tables under ``data/processed/runs/<run>/``
with a fingerprint of the code that made them; every notebook's :func:`load_source` then reads
those tables instead of simulating again, and :func:`ensure_database` builds the run's SQLite
database only when it is missing or was built from other data. A notebook opened on its own in
JupyterLab works the same way: with no stored run (or a stale one) it simulates in memory.

A folder of Parquet files is a large source: it is validated batch by batch once
(:func:`~ecommerce_analytics.data.validate_parquet_dataset`) into the run's data folder, its
aggregates are computed in an engine over the validated files (:meth:`SourceData.engine`), and
``sessions`` holds every session of a stratified sample of customers, about
:data:`~ecommerce_analytics.config.SAMPLE_SESSIONS` sessions (proportional by whether the
customer bought, chosen by a hash), for the row-level analyses, which say so.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, paths
from .config import DEFAULT_N_SESSIONS, DEFAULT_SEED, SAMPLE_SESSIONS, SIMULATED, run_name
from .data import LoadReport, LoadResult, file_sha256, load_sessions, validate_sessions
from .schema import COLUMN_NAMES, TABLE_NAME
from .simulate import Simulation, simulate

__all__ = [
    "SIMULATED",
    "SourceData",
    "load_source",
    "prepare_source",
    "ensure_database",
    "describe_source",
    "code_fingerprint",
]

_STORED_MANIFEST = "manifest.json"
#: The modules whose code decides what a run's data and database contain; a folder stands for
#: every ``.py`` file under it (the ``data`` subpackage: reading, validation, report).
_DATA_MODULES = ("config.py", "schema.py", "data", "simulate.py", "sources.py", "database.py")


@dataclass(frozen=True)
class SourceData:
    """Validated sessions of a source, with the simulation behind them when there is one.

    Attributes
    ----------
    source : str
        ``"simulated"`` or the file's path.
    loaded : LoadResult
        The validated sessions, the quarantine and the load report.
    simulation : Simulation or None
        The simulation (ground truth, experiment tables) of a simulated source.
    fingerprint : str
        Identifies the data and the code that made it (two loads with the same fingerprint
        hold the same rows).
    from_store : bool
        Whether the data were read from the run's stored tables rather than computed.
    dataset : Path or None
        A large source's validated Parquet folder (``customer_sessions/`` ...), None otherwise.
    rows_total : int or None
        A large source's valid sessions (``sessions`` is then a sample of them).
    """

    source: str
    loaded: LoadResult
    simulation: Simulation | None = None
    fingerprint: str = ""
    from_store: bool = False
    dataset: Path | None = None
    rows_total: int | None = None

    @property
    def is_sample(self) -> bool:
        """True when ``sessions`` is a sample of a larger source."""
        return self.rows_total is not None and self.rows_total > len(self.loaded.sessions)

    def sample_sentence(self) -> str:
        """What ``sessions`` is: all the data, or a stated stratified sample of it.

        Returns
        -------
        str
            One sentence for the notebooks.
        """
        n = len(self.loaded.sessions)
        if not self.is_sample:
            return f"All {n:,} sessions are used."
        return (
            f"Row-level analyses use every session of a stratified sample of customers: {n:,} of the "
            f"{self.rows_total:,} sessions ({n / self.rows_total:.2%}; customers who bought and who did not in "
            "their proportions, chosen by a hash); the metrics, the funnel, RFM and cohort retention are "
            "computed on all sessions in the engine."
        )

    def engine(self, name: str = "duckdb", **kwargs):
        """An engine over the data (:func:`~ecommerce_analytics.engines.connect_engine`).

        A large source's validated Parquet folder, otherwise the sessions in memory.

        Parameters
        ----------
        name : {"duckdb", "sqlite", "spark"}
            The engine.
        **kwargs
            Passed on (``master`` for Spark).

        Returns
        -------
        Engine
        """
        from .engines import connect_engine

        if self.dataset is not None:
            return connect_engine(name, parquet=self.dataset, **kwargs)
        return connect_engine(name, frames={"customer_sessions": self.sessions}, **kwargs)

    @property
    def sessions(self) -> pd.DataFrame:
        """The validated sessions (``loaded.sessions``)."""
        return self.loaded.sessions

    @property
    def is_simulated(self) -> bool:
        """True when the data come from the simulator."""
        return self.simulation is not None


def describe_source(source: str | os.PathLike, n_sessions: int = DEFAULT_N_SESSIONS, seed: int = DEFAULT_SEED) -> str:
    """Label of a source, as used in reports.

    Parameters
    ----------
    source : "simulated" or path
        The run's source.
    n_sessions, seed : int
        Simulator parameters (shown for the simulated source only).

    Returns
    -------
    str
        ``simulated (n=20,000, seed=42)``, or the file's name.

    Examples
    --------
    >>> describe_source("simulated", 20_000, 42), describe_source("/data/shop.csv")
    ('simulated (n=20,000, seed=42)', 'shop.csv')
    """
    from .run import Run

    return Run(str(source), n_sessions, seed).label


def _data_module_files(package_dir: Path) -> list[Path]:
    """The source files named by :data:`_DATA_MODULES` under ``package_dir``, in a fixed order."""
    files = []
    for name in _DATA_MODULES:
        path = package_dir / name
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def code_fingerprint(package_dir: str | os.PathLike | None = None) -> str:
    """Fingerprint of the code that makes a run's data; a stored run made by other code is not reused.

    Parameters
    ----------
    package_dir : str or path-like, optional
        The package folder whose modules are read (default: this package).

    Returns
    -------
    str
        Hex sha256 of the package version, the numpy version (its random streams) and the
        source of every module in :data:`_DATA_MODULES` (each file of the ``data`` subpackage
        included), each with its path relative to ``package_dir``.

    Examples
    --------
    >>> len(code_fingerprint()) == 64 and code_fingerprint() == code_fingerprint()
    True
    """
    here = Path(package_dir) if package_dir is not None else Path(__file__).parent
    digest = hashlib.sha256(f"{__version__}|numpy {np.__version__}".encode())
    for path in _data_module_files(here):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _folder_signature(folder: str) -> str:
    """A Parquet folder's files, sizes and modification times (hashing 100M rows is too slow)."""
    parts = [
        f"{p.relative_to(folder).as_posix()}|{p.stat().st_size}|{p.stat().st_mtime_ns}"
        for p in sorted(Path(folder).rglob("*.parquet"))
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _fingerprint(source: str, n_sessions: int, seed: int, columns: dict[str, str] | None = None) -> str:
    if source == SIMULATED:
        key = f"simulated|{int(n_sessions)}|{int(seed)}"
    elif Path(source).is_dir():
        key = f"folder|{_folder_signature(source)}|{json.dumps(columns or {}, sort_keys=True)}|{SAMPLE_SESSIONS}"
    else:
        key = f"file|{file_sha256(source)}"
        if columns:
            key += "|" + json.dumps(columns, sort_keys=True)
    return hashlib.sha256(f"{key}|{code_fingerprint()}".encode()).hexdigest()


def _store_dir(source: str, n_sessions: int, seed: int) -> Path:
    return paths.run_data_dir(run_name(source, n_sessions, seed))


def _read_store(folder: Path, fingerprint: str) -> SourceData | None:
    """The stored run in ``folder`` if it was made from the same data by the same code."""
    try:
        manifest = json.loads((folder / _STORED_MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("fingerprint") != fingerprint:
            return None
        sim = Simulation.from_folder(folder)
        report = LoadReport(**manifest["report"])
        lines = np.load(folder / "lines.npy", allow_pickle=False)
        # Only runs with nothing quarantined are stored (see prepare_source): an empty quarantine.
        quarantine = pd.DataFrame(
            {"line": pd.Series(dtype="int64"), **{c: pd.Series(dtype=object) for c in (*COLUMN_NAMES, "reason")}}
        )
        loaded = LoadResult(sessions=sim.sessions, quarantine=quarantine, report=report, lines=lines)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, partial or from an older layout: simulate again
    return SourceData(SIMULATED, loaded, sim, fingerprint, from_store=True)


def _write_store(folder: Path, data: SourceData) -> None:
    """Store a simulated run atomically (a reader sees the old store or the whole new one)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        data.simulation.to_folder(staging)
        np.save(staging / "lines.npy", np.asarray(data.loaded.lines, dtype=np.int64), allow_pickle=False)
        manifest = {"fingerprint": data.fingerprint, "report": data.loaded.report.to_dict()}
        (staging / _STORED_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        staging.replace(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_source(
    source: str | os.PathLike = SIMULATED,
    *,
    n_sessions: int = DEFAULT_N_SESSIONS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    use_store: bool = True,
    columns: dict[str, str] | None = None,
) -> SourceData:
    """Load and validate the data of a run.

    Parameters
    ----------
    source : "simulated" or path
        ``"simulated"`` runs :func:`~ecommerce_analytics.simulate.simulate`; anything else is
        read with :func:`~ecommerce_analytics.data.load_sessions`.
    n_sessions, seed : int
        Simulator parameters (ignored for files).
    progress : callable, optional
        Receives a line per step.
    use_store : bool, default True
        Read a simulated run from the tables :func:`prepare_source` stored, when they were made
        by this code with these parameters (the result is identical to simulating again).
    columns : mapping, optional
        A file's column mapping (``{contract column: your column}``; ignored for the simulator).

    Returns
    -------
    SourceData
        The validated sessions, with the simulation and the fingerprint.

    Raises
    ------
    DataContractError
        A file source that is missing, unreadable or without valid rows (one-line message).

    Examples
    --------
    >>> data = load_source(n_sessions=300, seed=1, use_store=False)
    >>> data.is_simulated, len(data.sessions), data.loaded.report.rows_quarantined
    (True, 300, 0)
    """
    say = progress or (lambda _m: None)
    source = str(source)
    if source == SIMULATED:
        fingerprint = _fingerprint(source, n_sessions, seed)
        if use_store:
            stored = _read_store(_store_dir(source, n_sessions, seed), fingerprint)
            if stored is not None:
                say(f"read the stored run {run_name(source, n_sessions, seed)} (not simulated again)")
                return stored
        sim = simulate(n_sessions, seed, progress=progress)
        loaded = validate_sessions(sim.sessions, source=describe_source(source, n_sessions, seed))
        return SourceData(SIMULATED, loaded, sim, fingerprint)
    if Path(source).is_dir():
        return _load_dataset(source, columns, say)
    say(f"reading {source}")
    loaded = load_sessions(source, columns=columns)  # checks the path first: a missing file is a one-line error
    return SourceData(source, loaded, None, _fingerprint(source, n_sessions, seed, columns))


def _stratified_sample(validated: Path, size: int, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """All sessions of a sample of customers: about ``size`` sessions, proportional by whether the customer bought.

    Customers are ranked within their stratum (bought at least once, or never) by an integer hash
    of their first ``session_id`` and ``seed``; each stratum keeps its share of the sessions, so a
    customer's history stays whole (recency, frequency, cohorts and per-customer features are
    those of the full data for the customers kept).
    """
    from .engines import connect_engine

    sql = f"""
        WITH customers AS (
            SELECT user_id, MIN(session_id) AS first_id, COUNT(*) AS sessions, MAX(purchase_decision) AS bought
            FROM customer_sessions GROUP BY user_id
        ),
        ranked AS (
            SELECT user_id, bought, sessions,
                SUM(sessions) OVER (
                    PARTITION BY bought ORDER BY (first_id * 2654435761 + {int(seed)}) % 4294967296, first_id
                    ROWS UNBOUNDED PRECEDING
                ) AS running
            FROM customers
        ),
        strata AS (SELECT bought, SUM(sessions) AS n FROM customers GROUP BY bought),
        total AS (SELECT SUM(n) AS n FROM strata),
        kept AS (
            SELECT ranked.user_id FROM ranked JOIN strata USING (bought), total
            WHERE ranked.running <= ROUND(strata.n * {int(size)} / total.n)
        )
        SELECT s.* FROM customer_sessions AS s SEMI JOIN kept USING (user_id)
        ORDER BY s.session_id
    """
    with connect_engine("duckdb", parquet=validated) as engine:
        return engine.run(sql, dialect=None)


def _load_dataset(source: str, columns: dict[str, str] | None, say: Callable[[str], None]) -> SourceData:
    """A Parquet folder: validated batch by batch once (stored by fingerprint), then sampled."""
    from .data import validate_parquet_dataset

    fingerprint = _fingerprint(source, 0, 0, columns)
    folder = paths.run_data_dir(run_name(source)) / "validated"
    manifest = folder / _STORED_MANIFEST
    try:
        stored = json.loads(manifest.read_text(encoding="utf-8"))
        fresh = stored.get("fingerprint") == fingerprint and (folder / "sample.parquet").is_file()
    except (OSError, ValueError):
        stored, fresh = {}, False
    if fresh:
        say(f"read the validated dataset {folder} (not validated again)")
        report = LoadReport(**stored["report"])
        sample = pd.read_parquet(folder / "sample.parquet")
    else:
        say(f"validating the Parquet dataset {source} batch by batch into {folder}")
        # A folder written by `simulate --format parquet` (or laid out like it) holds a folder per
        # table: the sessions are in its customer_sessions/.
        tables = Path(source) / TABLE_NAME
        checked = validate_parquet_dataset(
            tables if tables.is_dir() else source, folder, columns=columns, overwrite=True, progress=say
        )
        report = LoadReport(
            source=str(source),
            file_format="parquet dataset",
            rows_in=checked.rows_in,
            rows_kept=checked.rows_kept,
            rows_quarantined=checked.rows_quarantined,
            quarantine_reasons=checked.quarantine_reasons,
            duplicate_rows=checked.duplicate_rows,
            renamed_columns=checked.renamed_columns,
            extra_columns=checked.extra_columns,
            column_mapping=checked.column_mapping,
            missing_columns=checked.missing_columns,
            unseen_levels=checked.unseen_levels,
            notes=list(checked.notes),
        )
        say(f"drawing a stratified sample of customers with about {SAMPLE_SESSIONS:,} sessions")
        raw = _stratified_sample(folder, SAMPLE_SESSIONS).drop(columns="session_id")
        sample = validate_sessions(raw, source=str(source)).sessions  # contract dtypes; already valid
        sample.to_parquet(folder / "sample.parquet", index=False)
        manifest.write_text(json.dumps({"fingerprint": fingerprint, "report": report.to_dict()}, indent=2) + "\n")
    quarantine = pd.read_parquet(folder / "quarantine.parquet") if (folder / "quarantine.parquet").is_file() else None
    if quarantine is None:
        quarantine = pd.DataFrame({"line": pd.Series(dtype="int64"), "reason": pd.Series(dtype=object)})
    loaded = LoadResult(sessions=sample, quarantine=quarantine, report=report, lines=np.arange(1, len(sample) + 1))
    return SourceData(
        str(source), loaded, None, fingerprint, from_store=fresh, dataset=folder, rows_total=report.rows_kept
    )


def prepare_source(
    source: str | os.PathLike = SIMULATED,
    *,
    n_sessions: int = DEFAULT_N_SESSIONS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
    columns: dict[str, str] | None = None,
) -> SourceData:
    """:func:`load_source` for a report: also stores a simulated run for the notebooks to read.

    A simulated run without quarantined rows is written under ``data/processed/runs/<run>/``
    with its fingerprint; the notebooks' :func:`load_source` then reads it instead of
    simulating again.

    Parameters
    ----------
    source : "simulated" or path
        As :func:`load_source`.
    n_sessions, seed : int
        Simulator parameters (ignored for files).
    progress : callable, optional
        Receives a line per step.
    columns : mapping, optional
        A file's column mapping, as in :func:`load_source`.

    Returns
    -------
    SourceData
        As :func:`load_source`.
    """
    data = load_source(source, n_sessions=n_sessions, seed=seed, progress=progress, columns=columns)
    if data.is_simulated and not data.from_store and data.loaded.report.rows_quarantined == 0:
        folder = _store_dir(str(source), n_sessions, seed)
        _write_store(folder, data)
        if progress:
            progress(f"stored the run's tables in {folder}")
    return data


def ensure_database(
    data: SourceData, db_path: str | os.PathLike | None = None, *, progress: Callable[[str], None] | None = None
) -> Path:
    """The run's SQLite database, built only if it is missing or was built from other data.

    A small ``<database>.source.json`` beside the database records the fingerprint of the data
    it holds; a matching database is reused as it is.

    Parameters
    ----------
    data : SourceData
        The run's data (from :func:`load_source` or :func:`prepare_source`).
    db_path : str or path-like, optional
        The database file (default: the run's, from :func:`ecommerce_analytics.paths.database_path`).
    progress : callable, optional
        Receives a line per step.

    Returns
    -------
    Path or Engine
        The database path; for a large source (a Parquet folder), a DuckDB engine over its
        validated files instead (:func:`~ecommerce_analytics.database.run_query` takes either).
    """
    from .database import build_database

    if data.dataset is not None:  # a large source is queried where it is, never copied into SQLite
        if progress:
            progress(f"querying the validated Parquet folder {data.dataset} with DuckDB")
        return data.engine("duckdb")
    if db_path is None:
        name = (
            run_name(SIMULATED, data.simulation.truth.n_sessions, data.simulation.truth.seed)
            if data.is_simulated
            else run_name(data.source)
        )
        db_path = paths.database_path(name)
    db_path = Path(db_path)
    stamp = db_path.with_name(db_path.name + ".source.json")
    try:
        current = json.loads(stamp.read_text(encoding="utf-8")).get("fingerprint") if db_path.is_file() else None
    except (OSError, ValueError):
        current = None
    if current and current == data.fingerprint:
        if progress:
            progress(f"database {db_path} is up to date (not rebuilt)")
        return db_path
    sim = data.simulation
    build_database(
        data.sessions,
        db_path,
        assignments=sim.assignments if sim else None,
        pre_period=sim.pre_period if sim else None,
        progress=progress,
    )
    stamp.write_text(json.dumps({"fingerprint": data.fingerprint}) + "\n", encoding="utf-8")
    return db_path
