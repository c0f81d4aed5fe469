"""Defaults of a run and the precision of committed outputs: constants only, no heavy imports.

The command line imports this module at start-up, so it must stay free of numpy, pandas and
the analysis modules (``ecommerce-analytics --help`` answers in well under a second).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = [
    "SIMULATED",
    "DEFAULT_N_SESSIONS",
    "DEFAULT_SEED",
    "MAX_N_SESSIONS_IN_MEMORY",
    "MAX_N_SESSIONS_PARQUET",
    "SAMPLE_SESSIONS",
    "DEFAULT_RUN",
    "SIGNIFICANT_DIGITS",
    "run_name",
]

#: The source name of the project's simulator (anything else is a file path).
SIMULATED = "simulated"
#: The embedded default run: ``simulate(DEFAULT_N_SESSIONS, DEFAULT_SEED)``.
DEFAULT_N_SESSIONS = 20_000
DEFAULT_SEED = 42
#: The most sessions simulated in memory (a run, ``simulate`` to CSV): about 1.5 GiB of tables.
MAX_N_SESSIONS_IN_MEMORY = 5_000_000
#: A Parquet folder source is validated batch by batch and its aggregates are computed in DuckDB;
#: the row-level analyses (segment screens, clustering, models) use every session of a stratified
#: sample of customers, about this many sessions (all of them when there are fewer).
SAMPLE_SESSIONS = 500_000
#: The most sessions ``simulate --format parquet`` writes (chunked: memory stays bounded; disk is
#: about 220 MB per million sessions).
MAX_N_SESSIONS_PARQUET = 1_000_000_000
#: Floats in committed outputs (results JSON, figure data, model cards) are written with at most
#: this many significant digits, so that the last bits of a floating-point reduction (which vary
#: with the CPU, the BLAS kernel and the thread count) never reach a committed file.
SIGNIFICANT_DIGITS = 8
#: The name of the committed run (the simulator at its defaults).
DEFAULT_RUN = "default"


def run_name(
    source: str | os.PathLike = SIMULATED, n_sessions: int = DEFAULT_N_SESSIONS, seed: int = DEFAULT_SEED
) -> str:
    """Folder name of a run: ``default`` for the committed simulated run, otherwise a slug.

    Examples
    --------
    >>> run_name()
    'default'
    >>> run_name("simulated", 1000, 7)
    'simulated-n1000-seed7'
    >>> run_name("/data/My Sessions.csv")
    'file-My-Sessions'
    """
    if str(source) == SIMULATED:
        if n_sessions == DEFAULT_N_SESSIONS and seed == DEFAULT_SEED:
            return DEFAULT_RUN
        return f"simulated-n{n_sessions}-seed{seed}"
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(source).stem).strip("-") or "file"
    return f"file-{stem}"
