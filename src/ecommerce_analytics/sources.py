"""One entry point for "the data": the simulator (default) or a file under the contract.

Notebooks, the CLI and the pipeline call :func:`load_source` with the same parameters, so a
run on the Kaggle file differs from the default run only by ``source``.

A report does its expensive data work once: :func:`prepare_source` simulates (or reads and
validates) the data and stores a simulated run's tables under ``data/processed/runs/<run>/``
with a fingerprint of the code that made them; every notebook's :func:`load_source` then reads
those tables instead of simulating again, and :func:`ensure_database` builds the run's SQLite
database only when it is missing or was built from other data. A notebook opened on its own in
JupyterLab works the same way: with no stored run (or a stale one) it simulates in memory.
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
from .config import DEFAULT_N_SESSIONS, DEFAULT_SEED, SIMULATED, run_name
from .data import LoadReport, LoadResult, file_sha256, load_sessions, validate_sessions
from .schema import COLUMN_NAMES
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
    """

    source: str
    loaded: LoadResult
    simulation: Simulation | None = None
    fingerprint: str = ""
    from_store: bool = False

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


def _fingerprint(source: str, n_sessions: int, seed: int) -> str:
    if source == SIMULATED:
        key = f"simulated|{int(n_sessions)}|{int(seed)}"
    else:
        key = f"file|{file_sha256(source)}"
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
    say(f"reading {source}")
    loaded = load_sessions(source)  # checks the path first: a missing file is a one-line error
    return SourceData(source, loaded, None, _fingerprint(source, n_sessions, seed))


def prepare_source(
    source: str | os.PathLike = SIMULATED,
    *,
    n_sessions: int = DEFAULT_N_SESSIONS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
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

    Returns
    -------
    SourceData
        As :func:`load_source`.
    """
    data = load_source(source, n_sessions=n_sessions, seed=seed, progress=progress)
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
    Path
        The database path.
    """
    from .database import build_database

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
