"""What notebooks need to report: run names, the results JSON, and sentences built from numbers.

Findings in notebooks are never typed by hand: a cell computes a result and :func:`say`
displays a sentence formatted from it, so the text follows the data and the seed.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from . import precision
from .run import Run

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "NotebookResults",
    "ResultsVersionError",
    "save_results",
    "load_results",
    "say",
    "enable_skips",
    "skipped_names",
    "pct",
    "num",
    "ci",
    "pp",
]

#: Version of the envelope (``schema_version``, ``notebook``, ``version``, ``run``, ``results``).
RESULTS_SCHEMA_VERSION = 2


class ResultsVersionError(ValueError):
    """A results file was written by another version of its notebook's results structure."""


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy and pandas scalars to Python, NaN to None, tuples to lists."""
    if isinstance(value, NotebookResults):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and not hasattr(value, "to_dict"):
        return _plain(dataclasses.asdict(value))
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
    if isinstance(value, Path):
        return value.name
    return value


def save_results(notebook: str, results: dict, run: Run, *, version: int = 1) -> Path:
    """Write a notebook's key results as JSON with a stable envelope.

    The file is ``<run.results_out>/<notebook>.json`` holding ``schema_version`` (of the
    envelope), ``notebook``, ``version`` (of the notebook's results structure), ``run``
    (:meth:`Run.describe`) and ``results``. Keys are sorted and floats are written with
    :data:`~ecommerce_analytics.config.SIGNIFICANT_DIGITS` significant digits
    (:func:`ecommerce_analytics.precision.dumps`), so an unchanged run writes the same bytes on
    any machine with the pinned versions.
    """
    envelope = {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "notebook": notebook,
        "version": version,
        "run": run.describe(),
        "results": _plain(results),
    }
    folder = run.results_out
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(precision.dumps(envelope), encoding="utf-8")
    tmp.replace(path)
    return path


def load_results(notebook: str, run: Run) -> dict:
    """Read a notebook's results envelope (see :func:`save_results`) from the run's results folder."""
    path = run.results_dir / f"{notebook}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results yet (run `make report`)")
    return json.loads(path.read_text(encoding="utf-8"))


@dataclasses.dataclass
class NotebookResults:
    """Base of a notebook's typed results: a dataclass whose fields are what the notebook reports.

    Subclasses set ``NOTEBOOK`` (the notebook's file stem) and ``VERSION`` (bumped whenever a field
    is added, removed or changes meaning). :meth:`save` writes the envelope of
    :func:`save_results`; :meth:`load` reads it back and refuses another version, so notebook 05,
    the generated docs and the README read declared fields, never labels.

    Fields hold JSON-ready values or objects with ``to_dict()``; data frames are written as lists
    of records and come back as such.

    Examples
    --------
    >>> import tempfile
    >>> @dataclasses.dataclass
    ... class Demo(NotebookResults):
    ...     NOTEBOOK = "99_demo"
    ...     VERSION = 1
    ...     rate: float
    ...     n: int
    >>> run = Run(reports_root=Path(tempfile.mkdtemp()))
    >>> _ = Demo(rate=0.25, n=4).save(run)
    >>> Demo.load(run)
    Demo(rate=0.25, n=4)
    """

    NOTEBOOK: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1

    def to_dict(self) -> dict[str, Any]:
        """The fields as plain JSON values."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> NotebookResults:
        """Rebuild from :meth:`to_dict`'s output; a missing or unknown field raises ``ValueError``."""
        names = {f.name for f in dataclasses.fields(cls)}
        missing, unknown = sorted(names - set(values)), sorted(set(values) - names)
        if missing or unknown:
            raise ValueError(f"{cls.__name__}: missing fields {missing}, unknown fields {unknown}")
        return cls(**values)

    def save(self, run: Run) -> Path:
        """Write the results of ``run`` (see :func:`save_results`)."""
        return save_results(self.NOTEBOOK, self.to_dict(), run, version=self.VERSION)

    @classmethod
    def load(cls, run: Run) -> NotebookResults:
        """Read the results of ``run``; another structure version raises :class:`ResultsVersionError`."""
        envelope = load_results(cls.NOTEBOOK, run)
        found = envelope.get("version")
        if found != cls.VERSION:
            raise ResultsVersionError(
                f"{run.results_dir / cls.NOTEBOOK}.json: results version {found}, this code reads version "
                f"{cls.VERSION} (re-run the report)"
            )
        return cls.from_dict(envelope["results"])


def say(markdown: str) -> None:
    """Display a Markdown sentence in a notebook (a finding built from computed values)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def skipped_names(cell: str) -> list[str]:
    r"""The names a cell assigns at its top level (a skipped cell leaves them ``None``).

    Parameters
    ----------
    cell : str
        Python source of a notebook cell.

    Returns
    -------
    list of str
        Assigned names, in order of first assignment.

    Examples
    --------
    >>> skipped_names("funnel = brief.funnel\nviz.show(f)\na, (b, c) = 1, (2, 3)\nfor i in x: pass")
    ['funnel', 'a', 'b', 'c', 'i']
    """
    import ast

    names: list[str] = []
    for node in ast.parse(cell).body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For)):
            targets = [node.target]
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name) and leaf.id not in names:
                    names.append(leaf.id)
    return names


def enable_skips(columns: Any) -> None:
    """Register the ``%%needs`` cell magic for a dataset with these columns.

    A cell that starts with ``%%needs funnel engagement`` runs only when the dataset has every
    column those analyses need (:data:`~ecommerce_analytics.schema.ANALYSES`); otherwise it shows
    one sentence saying why it was skipped, and the names it would have assigned are ``None``
    (so that results written at the end record the analysis as skipped). Outside IPython this
    does nothing.

    Parameters
    ----------
    columns : iterable of str, or a DataFrame
        The dataset's columns.
    """
    from .schema import skip_sentence

    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None:
        return
    have = list(getattr(columns, "columns", columns))

    def needs(line: str, cell: str):
        reasons = [r for r in (skip_sentence(name, have) for name in line.split()) if r]
        if reasons:
            say(reasons[0])
            shell.user_ns.update(dict.fromkeys(skipped_names(cell)))
            return None
        result = shell.run_cell(cell, store_history=False)
        result.raise_error()  # an error inside stops the notebook as it would without the magic
        return None

    shell.register_magic_function(needs, magic_kind="cell", magic_name="needs")


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
