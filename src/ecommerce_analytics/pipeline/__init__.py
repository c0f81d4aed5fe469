"""Execute the numbered notebooks with parameters and render them to offline HTML reports.

The default run (simulated source, default size and seed) writes the executed notebooks back
in place, with their outputs, for GitHub; its HTML reports and results JSON go to
``visualizations/reports/default/``. Any other run writes executed copies, HTML and results to
``visualizations/reports/<run>/`` (git-ignored) and never touches ``notebooks/``.

Parameters reach a notebook papermill-style: the cell tagged ``parameters`` holds the defaults,
and for a non-default run a cell tagged ``injected-parameters`` is inserted after it. The run's
output folders reach it the same way, as the ``OUTPUT_DIRS`` parameter in a cell tagged
``injected-outputs`` that is removed again before the executed notebook is written (its paths
are temporary and machine-specific). Each notebook's outputs are produced in a staging folder
and moved into place only when the whole notebook has run, so a failure leaves no half-written
report. Nothing reaches a kernel through environment variables except what the caller passes
as ``kernel_env`` (e.g. BLAS settings).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..run import Run
from .compare import notebook_differences
from .execute import CELL_TIMEOUT, OUTPUTS_TAG, NotebookError, ReportInterrupted, execute_notebook
from .landing import write_landing_page
from .render import PLOTLY_MIME, render_html, write_notebook
from .staging import STAGING_PREFIX, remove_stale_staging

__all__ = [
    "Run",
    "NotebookError",
    "ReportInterrupted",
    "RunResult",
    "NOTEBOOK_NEEDS",
    "notebook_skip",
    "CELL_TIMEOUT",
    "OUTPUTS_TAG",
    "PLOTLY_MIME",
    "STAGING_PREFIX",
    "notebook_paths",
    "execute_notebook",
    "render_html",
    "run_report",
    "remove_stale_staging",
    "notebook_differences",
]

logger = logging.getLogger(__name__)


#: The analyses (:data:`~ecommerce_analytics.schema.ANALYSES`) each notebook cannot do without;
#: its other analyses skip themselves, cell by cell, when the data lack their columns. Notebook 05
#: reads the results of 01-04.
NOTEBOOK_NEEDS: dict[str, tuple[str, ...]] = {
    "01": ("funnel", "revenue", "discounts", "engagement"),
    "02": ("segments", "revenue", "discounts"),
    "03": ("funnel",),
    "04": ("discounts",),
    "05": (),
}


def notebook_skip(stem: str, columns: Sequence[str], skipped: Sequence[str] = ()) -> str | None:
    """The one sentence that says why a notebook is skipped on data with these columns, or None.

    Parameters
    ----------
    stem : str
        The notebook's file stem (``01_exploratory_data_analysis``).
    columns : sequence of str
        The columns of the run's validated sessions.
    skipped : sequence of str
        Stems of the notebooks skipped before it (notebook 05 needs the results of 01-04).

    Returns
    -------
    str or None

    Examples
    --------
    >>> notebook_skip("03_purchase_prediction", ["user_id", "purchase_date", "purchase_decision"])
    '03_purchase_prediction skipped: the cart funnel needs add_to_cart, which this dataset does not have.'
    >>> notebook_skip("05_business_recommendations", [], ["01_exploratory_data_analysis"])
    '05_business_recommendations skipped: it reads the results of 01_exploratory_data_analysis, which was skipped.'
    """
    from ..schema import skip_sentence

    if stem.startswith("05") and skipped:
        return f"{stem} skipped: it reads the results of {', '.join(skipped)}, which was skipped."
    for analysis in NOTEBOOK_NEEDS.get(stem[:2], ()):
        reason = skip_sentence(analysis, columns)
        if reason:
            return f"{stem} skipped: {reason.removeprefix('Skipped: ')}"
    return None


@dataclass
class RunResult:
    """Where a run put its outputs, how long each notebook took, and which were skipped and why."""

    run: Run
    report_dir: Path
    notebooks: list[Path] = field(default_factory=list)
    html: list[Path] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)
    models: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def notebook_paths(selection: Sequence[str] | None = None, folder: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """The numbered notebooks in order; ``selection`` filters by number or name prefix."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not selection:
        return found
    chosen = [
        p
        for p in found
        if any(p.stem == s or p.stem.startswith(f"{int(s):02d}_" if s.isdigit() else s) for s in selection)
    ]
    if not chosen:
        names = ", ".join(p.stem for p in found)
        raise FileNotFoundError(f"no notebook matches {', '.join(selection)}; available: {names}")
    return chosen


def run_report(
    run: Run | None = None,
    notebooks: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    notebooks_dir: Path = paths.NOTEBOOKS_DIR,
    in_place: bool | None = None,
    kernel_env: Mapping[str, str] | None = None,
) -> RunResult:
    """Execute and render the notebooks of a run, in order.

    Parameters
    ----------
    run : Run, optional
        Source, simulator parameters and output folders (default: the committed run). Reports go
        to ``run.report_dir``, saved models to ``run.models_dir``; tests point
        ``run.reports_root`` and ``run.models_root`` at temporary folders.
    notebooks : list of str, optional
        Numbers or names of the notebooks to run (default: all).
    progress : callable, optional
        Receives one line per step, with elapsed times.
    notebooks_dir : Path
        Where the notebooks are.
    in_place : bool, optional
        Write executed notebooks back over their sources (default: only for the default run).
        Otherwise they go to ``<run.report_dir>/notebooks/``.
    kernel_env : mapping, optional
        Extra environment variables for the notebook kernels only, e.g. BLAS settings such as
        ``{"OPENBLAS_NUM_THREADS": "1"}`` (the tests use this to re-run the default report under
        another floating-point reduction order).

    Returns
    -------
    RunResult
        Where the run put its outputs and how long each notebook took.

    Raises
    ------
    NotebookError
        A cell failed (the message names the notebook and the cell); nothing of that notebook is
        written, the notebooks before it are.
    ReportInterrupted
        Ctrl-C; likewise.
    """
    run = run or Run()
    in_place = run.is_default if in_place is None else in_place
    say = progress or (lambda _m: None)
    result = RunResult(run, run.report_dir)
    selected = notebook_paths(notebooks, Path(notebooks_dir))
    columns = _prepare(run, say)
    for i, path in enumerate(selected, 1):
        start = time.perf_counter()
        step = f"[{i}/{len(selected)}] {path.stem}"
        reason = notebook_skip(path.stem, columns, list(result.skipped))
        if reason:
            result.skipped[path.stem] = reason
            say(f"{step}: {reason}")
            continue
        say(f"{step}: executing")
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
        try:
            (staging / "results").mkdir()
            (staging / "models").mkdir()
            nb = execute_notebook(path, run, staging=staging, kernel_env=kernel_env)
            say(f"{step}: rendering HTML")
            (staging / f"{path.stem}.html").write_text(render_html(nb, path.stem), encoding="utf-8")
            write_notebook(nb, staging / path.name)
            _publish(staging, path, run, result, in_place)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result.seconds[path.stem] = time.perf_counter() - start
        say(f"{step}: done in {result.seconds[path.stem]:.1f} s")
    write_landing_page(run, notebooks_dir if in_place else run.report_dir / "notebooks")
    return result


def _prepare(run: Run, say: Callable[[str], None]) -> list[str]:
    """Before the first notebook: clear dead staging folders, simulate once, check PNG export; the data's columns."""
    for stale in remove_stale_staging():
        say(f"removed {stale}, left by a run that was killed")
    from ..sources import prepare_source

    # Simulate once (every notebook reads the stored run), or read a file once: a file that
    # cannot be used (or a mapping that does not fit it) stops the report before any notebook.
    data = prepare_source(run.source, n_sessions=run.n_sessions, seed=run.seed, columns=run.column_map)
    if not run.is_simulated:
        report = data.loaded.report
        say(f"{run.label}: {report.rows_kept:,} of {report.rows_in:,} rows kept")
        if report.missing_columns:
            say("optional columns not in the data (their analyses are skipped): " + ", ".join(report.missing_columns))
    from ..viz import static_export_available

    if not static_export_available():
        logger.warning(
            "no Chromium-based browser found: figures get no static PNG, so GitHub will not show them "
            "(Debian: apt-get install chromium)"
        )
    return list(data.sessions.columns)


def _publish(staging: Path, path: Path, run: Run, result: RunResult, in_place: bool) -> None:
    """Move one notebook's finished outputs from its staging folder into place."""
    run.results_dir.mkdir(parents=True, exist_ok=True)
    for produced in sorted((staging / "results").glob("*.json")):
        target = run.results_dir / produced.name
        shutil.move(produced, target)
        result.results.append(target)
    for produced in sorted((staging / "models").iterdir()):
        run.models_dir.mkdir(parents=True, exist_ok=True)
        shutil.move(produced, run.models_dir / produced.name)
        result.models.append(run.models_dir / produced.name)
    html_target = run.report_dir / f"{path.stem}.html"
    shutil.move(staging / f"{path.stem}.html", html_target)
    result.html.append(html_target)
    nb_target = path if in_place else run.report_dir / "notebooks" / path.name
    nb_target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(staging / path.name, nb_target)
    result.notebooks.append(nb_target)
