"""What notebooks need to report: run names, the results JSON, and sentences built from numbers.

Findings in notebooks are never typed by hand: a cell computes a result and :func:`say`
displays a sentence formatted from it, so the text follows the data and the seed.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import paths, precision
from .config import DEFAULT_RUN, RESULTS_DIR_ENV, RUN_RESULTS_ENV, run_name

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "RESULTS_DIR_ENV",
    "RUN_RESULTS_ENV",
    "run_name",
    "results_dir",
    "save_results",
    "load_results",
    "say",
    "pct",
    "num",
    "ci",
    "pp",
]

RESULTS_SCHEMA_VERSION = 1


def results_dir(run: str = DEFAULT_RUN) -> Path:
    """Where a run's results JSON files live (the staging folder while the pipeline runs)."""
    override = os.environ.get(RESULTS_DIR_ENV)
    return Path(override) if override else paths.REPORTS_DIR / run / "results"


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy and pandas scalars to Python, NaN to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [_plain(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return _plain(value.to_dict())
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return _plain(value.to_dict())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return None if math.isnan(f) or math.isinf(f) else f
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return value


def save_results(notebook: str, results: dict, *, source: str, n_sessions: int, seed: int) -> Path:
    """Write a notebook's key results as JSON with a stable envelope.

    The file is ``<results_dir>/<notebook>.json`` holding ``schema_version``, ``notebook``,
    ``run`` (``name``, ``source``, ``n_sessions``, ``seed``; the simulator parameters are null
    for a file source) and ``results``. Keys are sorted and floats are written with
    :data:`~ecommerce_analytics.config.SIGNIFICANT_DIGITS` significant digits
    (:func:`ecommerce_analytics.precision.dumps`), so an unchanged run writes the same bytes on
    any machine with the pinned versions.
    """
    simulated = str(source) == "simulated"
    name = run_name(source, n_sessions, seed)
    envelope = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "notebook": notebook,
        "run": {
            "name": name,
            "source": "simulated" if simulated else Path(source).name,
            "n_sessions": n_sessions if simulated else None,
            "seed": seed if simulated else None,
        },
        "results": _plain(results),
    }
    folder = results_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(precision.dumps(envelope), encoding="utf-8")
    tmp.replace(path)
    return path


def load_results(notebook: str, run: str = DEFAULT_RUN) -> dict:
    """Read a notebook's results JSON (the envelope written by :func:`save_results`) from the
    run's results folder (the pipeline's, while it runs)."""
    folder = os.environ.get(RUN_RESULTS_ENV)
    path = (Path(folder) if folder else paths.REPORTS_DIR / run / "results") / f"{notebook}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results yet (run `make report`)")
    return json.loads(path.read_text(encoding="utf-8"))


def say(markdown: str) -> None:
    """Display a Markdown sentence in a notebook (a finding built from computed values)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def pct(x: float, digits: int = 1) -> str:
    """``0.1234 -> '12.3%'``."""
    return f"{100 * x:.{digits}f}%"


def pp(x: float, digits: int = 1) -> str:
    """A difference of rates in percentage points: ``0.021 -> '+2.1 pp'``."""
    return f"{100 * x:+.{digits}f} pp"


def num(x: float, digits: int = 2) -> str:
    """Thousands separators for large numbers, ``digits`` decimals for the rest."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def ci(low: float, high: float, fmt=pct) -> str:
    """``'95% CI 11.2% to 13.0%'`` with the given formatter."""
    return f"95% CI {fmt(low)} to {fmt(high)}"
