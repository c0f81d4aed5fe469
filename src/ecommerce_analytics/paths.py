"""Every filesystem location the project uses, in one place.

Paths are resolved from this file's location, never from the working directory, so the
package behaves the same under pytest, papermill, nbconvert and the CLI. Set the
environment variable ``ECOMMERCE_ANALYTICS_ROOT`` to point the package at another checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "SQL_DIR",
    "QUERIES_DIR",
    "DATA_DIR",
    "RAW_DIR",
    "PROCESSED_DIR",
    "DEFAULT_DATABASE",
    "SHARED_KAGGLE_CSV",
    "NOTEBOOKS_DIR",
    "MODELS_DIR",
    "VISUALIZATIONS_DIR",
    "REPORTS_DIR",
    "RUNS_DATA_DIR",
    "database_path",
    "run_data_dir",
]


def _project_root() -> Path:
    override = os.environ.get("ECOMMERCE_ANALYTICS_ROOT")
    if override:
        return Path(override).expanduser().resolve()
    # src/ecommerce_analytics/paths.py -> the checkout is two levels above the package.
    return Path(__file__).resolve().parents[2]


PROJECT_ROOT: Path = _project_root()
SQL_DIR: Path = PROJECT_ROOT / "sql"
QUERIES_DIR: Path = SQL_DIR / "queries"
DATA_DIR: Path = PROJECT_ROOT / "data"
RAW_DIR: Path = DATA_DIR / "raw"  # git-ignored: downloaded Kaggle files
PROCESSED_DIR: Path = DATA_DIR / "processed"  # git-ignored: simulated CSVs, SQLite databases
DEFAULT_DATABASE: Path = PROCESSED_DIR / "ecommerce.sqlite"
# The copy of the Kaggle file that tests, CI and benchmarks read (never committed).
SHARED_KAGGLE_CSV: Path = PROJECT_ROOT.parent / "shared" / "data" / "consumer_behavior_dataset.csv"
RUNS_DATA_DIR: Path = PROCESSED_DIR / "runs"  # git-ignored: each run's stored tables, made once per report
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
MODELS_DIR: Path = PROJECT_ROOT / "models"
VISUALIZATIONS_DIR: Path = PROJECT_ROOT / "visualizations"
REPORTS_DIR: Path = VISUALIZATIONS_DIR / "reports"


def database_path(run: str = "default") -> Path:
    """The SQLite database of a run.

    Parameters
    ----------
    run : str, default "default"
        The run's name (see :func:`ecommerce_analytics.config.run_name`).

    Returns
    -------
    Path
        ``data/processed/ecommerce.sqlite`` for the default run, ``data/processed/<run>.sqlite``
        otherwise.

    Examples
    --------
    >>> database_path().name, database_path("simulated-n1500-seed3").name
    ('ecommerce.sqlite', 'simulated-n1500-seed3.sqlite')
    """
    return DEFAULT_DATABASE if run == "default" else PROCESSED_DIR / f"{run}.sqlite"


def run_data_dir(run: str = "default") -> Path:
    """Where a report stores a simulated run's tables for its notebooks.

    Parameters
    ----------
    run : str, default "default"
        The run's name.

    Returns
    -------
    Path
        ``data/processed/runs/<run>/`` (not created here).

    Examples
    --------
    >>> run_data_dir("simulated-n1500-seed3").relative_to(PROCESSED_DIR).as_posix()
    'runs/simulated-n1500-seed3'
    """
    return RUNS_DATA_DIR / run
