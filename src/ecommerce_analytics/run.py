"""One run of the report: its source, its name and label, and every path it reads or writes.

A :class:`Run` is built in one place (:meth:`Run.from_parameters`, from a notebook's parameters
cell, or directly by the command line) and handed to whatever needs to know where things are:
the loader, the database, the results writer, the model writer and the pipeline. Nothing about a
run travels through environment variables.

This module is imported by the command line at start-up, so it stays free of numpy and pandas.

Examples
--------
>>> run = Run()
>>> run.name, run.label, run.is_default
('default', 'simulated (n=20,000, seed=42)', True)
>>> Run("simulated", 1000, 7).name
'simulated-n1000-seed7'
>>> Run("/data/My Sessions.csv").label
'My Sessions.csv'
>>> Run("simulated", 0)
Traceback (most recent call last):
...
ValueError: n_sessions must be a positive integer, got 0
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .config import DEFAULT_N_SESSIONS, DEFAULT_RUN, DEFAULT_SEED, SIMULATED, run_name

__all__ = ["Run", "OUTPUT_KEYS"]

#: Keys of the ``OUTPUT_DIRS`` notebook parameter (set by the pipeline, ``None`` otherwise).
OUTPUT_KEYS = ("staging", "reports", "models")


@dataclass(frozen=True)
class Run:
    """A run: the source of its sessions and where its outputs go.

    Parameters
    ----------
    source : str or path-like
        ``"simulated"`` (the project's simulator) or the path of a CSV/Parquet file under the
        data contract.
    n_sessions, seed : int
        Simulator parameters (ignored for a file source).
    staging : Path, optional
        The pipeline's staging folder of the notebook being executed: results and models are
        written there first and published when the notebook succeeds. ``None`` (a notebook run
        by hand) writes to the published locations directly.
    reports_root, models_root : Path
        Where reports (``<reports_root>/<name>/``) and saved models go; tests point them at
        temporary folders.
    columns : mapping, optional
        A file source's column mapping, ``{contract column: your column}``
        (:mod:`ecommerce_analytics.data.mapping`); stored as sorted pairs.
    """

    source: str = SIMULATED
    n_sessions: int = DEFAULT_N_SESSIONS
    seed: int = DEFAULT_SEED
    staging: Path | None = None
    reports_root: Path = field(default=paths.REPORTS_DIR)
    models_root: Path = field(default=paths.MODELS_DIR)
    columns: Any = None

    def __post_init__(self) -> None:
        source = os.fspath(self.source)
        object.__setattr__(self, "source", source)
        if self.columns:
            pairs = self.columns.items() if hasattr(self.columns, "items") else self.columns
            object.__setattr__(self, "columns", tuple(sorted((str(k), str(v)) for k, v in pairs)))
        else:
            object.__setattr__(self, "columns", None)
        if not source:
            raise ValueError("source must be 'simulated' or the path of a CSV/Parquet file, got ''")
        for name in ("n_sessions", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.n_sessions < 1:
            raise ValueError(f"n_sessions must be a positive integer, got {self.n_sessions}")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        for name in ("staging", "reports_root", "models_root"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))

    @classmethod
    def from_parameters(
        cls,
        source: str,
        n_sessions: int,
        seed: int,
        output_dirs: dict[str, Any] | None = None,
        columns: dict[str, str] | None = None,
    ) -> Run:
        """Build the run of a notebook's parameters cell.

        The cell holds ``SOURCE``, ``N_SESSIONS``, ``SEED``, ``OUTPUT_DIRS`` and ``COLUMNS``;
        ``output_dirs`` is what the pipeline injects (keys :data:`OUTPUT_KEYS`), ``None`` in a
        notebook run by hand; ``columns`` is a file's column mapping (``None``: none).

        >>> Run.from_parameters("simulated", 20_000, 42).is_default
        True
        >>> Run.from_parameters("simulated", 10, 1, {"where": "/tmp"})
        Traceback (most recent call last):
        ...
        ValueError: output_dirs has unknown keys ['where']; allowed: staging, reports, models
        """
        dirs = dict(output_dirs or {})
        unknown = sorted(set(dirs) - set(OUTPUT_KEYS))
        if unknown:
            raise ValueError(f"output_dirs has unknown keys {unknown}; allowed: {', '.join(OUTPUT_KEYS)}")
        extra: dict[str, Any] = {}
        if dirs.get("staging"):
            extra["staging"] = Path(dirs["staging"])
        if dirs.get("reports"):
            extra["reports_root"] = Path(dirs["reports"])
        if dirs.get("models"):
            extra["models_root"] = Path(dirs["models"])
        return cls(source, n_sessions, seed, columns=columns, **extra)

    # ------------------------------------------------------------------ identity
    @property
    def is_simulated(self) -> bool:
        """Whether the sessions come from the project's simulator."""
        return self.source == SIMULATED

    @property
    def name(self) -> str:
        """Folder name of the run (:func:`ecommerce_analytics.config.run_name`)."""
        return run_name(self.source, self.n_sessions, self.seed)

    @property
    def is_default(self) -> bool:
        """Whether this is the committed run (the simulator at its defaults)."""
        return self.name == DEFAULT_RUN

    @property
    def label(self) -> str:
        """How reports name the source: ``simulated (n=20,000, seed=42)`` or the file's name."""
        if self.is_simulated:
            return f"simulated (n={self.n_sessions:,}, seed={self.seed})"
        return Path(self.source).name

    def describe(self) -> dict[str, Any]:
        """The run as written in a results envelope (no paths: they differ between machines).

        >>> Run("/x/y.csv").describe()
        {'name': 'file-y', 'source': 'y.csv', 'n_sessions': None, 'seed': None}
        """
        return {
            "name": self.name,
            "source": SIMULATED if self.is_simulated else Path(self.source).name,
            "n_sessions": self.n_sessions if self.is_simulated else None,
            "seed": self.seed if self.is_simulated else None,
        }

    @property
    def column_map(self) -> dict[str, str] | None:
        """The column mapping as a dict (``None``: the file uses the contract's names)."""
        return dict(self.columns) if self.columns else None

    def parameters_source(self) -> str:
        """The ``parameters`` cell of a notebook for this run (what the pipeline injects)."""
        source = self.source if self.is_simulated else str(Path(self.source).resolve())
        text = f"SOURCE = {source!r}\nN_SESSIONS = {self.n_sessions!r}\nSEED = {self.seed!r}\n"
        return text + (f"COLUMNS = {self.column_map!r}\n" if self.columns else "")

    # ------------------------------------------------------------------ paths
    @property
    def database(self) -> Path:
        """The run's SQLite database."""
        return paths.database_path(self.name)

    @property
    def data_dir(self) -> Path:
        """Where a simulated run's tables are stored once per report."""
        return paths.run_data_dir(self.name)

    @property
    def cache_dir(self) -> Path:
        """Results that do not depend on the data (the calibration study), kept across runs."""
        return paths.PROCESSED_DIR / "cache"

    @property
    def report_dir(self) -> Path:
        """The run's reports: ``<reports_root>/<name>/`` (HTML, results, non-default notebooks)."""
        return Path(self.reports_root) / self.name

    @property
    def results_dir(self) -> Path:
        """The run's published results JSON (what notebook 05 and the docs read)."""
        return self.report_dir / "results"

    @property
    def models_dir(self) -> Path:
        """The run's published models: ``models/`` for the default run, ``models/<name>/`` otherwise."""
        return Path(self.models_root) if self.is_default else Path(self.models_root) / self.name

    @property
    def models_label(self) -> str:
        """How reports name the models folder, the same on every machine: ``models`` or ``models/<name>``.

        >>> Run().models_label, Run("simulated", 10, 1).models_label
        ('models', 'models/simulated-n10-seed1')
        """
        return "models" if self.is_default else f"models/{self.name}"

    @property
    def results_out(self) -> Path:
        """Where results are written now: the staging folder under the pipeline, else :attr:`results_dir`."""
        return self.staging / "results" if self.staging else self.results_dir

    @property
    def models_out(self) -> Path:
        """Where models are written now: the staging folder under the pipeline, else :attr:`models_dir`."""
        return self.staging / "models" if self.staging else self.models_dir

    def output_dirs(self, staging: Path) -> dict[str, str]:
        """The ``OUTPUT_DIRS`` parameter the pipeline hands a notebook executed in ``staging``."""
        return {"staging": str(staging), "reports": str(self.reports_root), "models": str(self.models_root)}

    # ------------------------------------------------------------------ data
    def load(self, **kwargs: Any):
        """The run's sessions (:func:`ecommerce_analytics.sources.load_source`)."""
        from .sources import load_source

        return load_source(self.source, n_sessions=self.n_sessions, seed=self.seed, columns=self.column_map, **kwargs)
