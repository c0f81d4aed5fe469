"""One entry point for "the data": the simulator (default) or a file under the contract.

Notebooks, the CLI and the pipeline call :func:`load_source` with the same parameters, so a
run on the Kaggle file differs from the default run only by ``source``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .data import LoadResult, load_sessions, validate_sessions
from .config import DEFAULT_N_SESSIONS, DEFAULT_SEED, SIMULATED
from .simulate import Simulation, simulate

__all__ = ["SIMULATED", "SourceData", "load_source", "describe_source"]


@dataclass(frozen=True)
class SourceData:
    """Validated sessions of a source, with the simulation behind them when there is one."""

    source: str
    loaded: LoadResult
    simulation: Simulation | None = None

    @property
    def sessions(self):
        return self.loaded.sessions

    @property
    def is_simulated(self) -> bool:
        return self.simulation is not None


def describe_source(source: str | os.PathLike, n_sessions: int = DEFAULT_N_SESSIONS, seed: int = DEFAULT_SEED) -> str:
    """Label of a source, as used in reports: ``simulated (n=20,000, seed=42)`` or the file name."""
    if str(source) == SIMULATED:
        return f"simulated (n={n_sessions:,}, seed={seed})"
    return Path(source).name


def load_source(
    source: str | os.PathLike = SIMULATED,
    *,
    n_sessions: int = DEFAULT_N_SESSIONS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
) -> SourceData:
    """Load and validate the data of a run.

    Parameters
    ----------
    source : "simulated" or path
        ``"simulated"`` runs :func:`~ecommerce_analytics.simulate.simulate`; anything else is
        read with :func:`~ecommerce_analytics.data.load_sessions`.
    n_sessions, seed : int
        Simulator parameters (ignored for files).
    """
    if str(source) == SIMULATED:
        sim = simulate(n_sessions, seed, progress=progress)
        loaded = validate_sessions(sim.sessions, source=describe_source(source, n_sessions, seed))
        return SourceData(SIMULATED, loaded, sim)
    if progress:
        progress(f"reading {source}")
    return SourceData(str(source), load_sessions(source))
