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

import contextlib
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from . import paths, precision
from .config import SIGNIFICANT_DIGITS
from .run import Run

__all__ = [
    "Run",
    "NotebookError",
    "ReportInterrupted",
    "RunResult",
    "notebook_paths",
    "execute_notebook",
    "render_html",
    "run_report",
    "remove_stale_staging",
    "notebook_differences",
]

logger = logging.getLogger(__name__)

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*')
CELL_TIMEOUT = 1800
#: Tag of the injected cell that carries a run's output folders (removed before writing).
OUTPUTS_TAG = "injected-outputs"


class NotebookError(RuntimeError):
    """A notebook failed; the message names the notebook and the cell."""


@dataclass
class RunResult:
    """Where a run put its outputs, and how long each notebook took."""

    run: Run
    report_dir: Path
    notebooks: list[Path] = field(default_factory=list)
    html: list[Path] = field(default_factory=list)
    results: list[Path] = field(default_factory=list)
    models: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


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


def _insert_after_parameters(nb: nbformat.NotebookNode, tag: str, source: str) -> None:
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise NotebookError("the notebook has no cell tagged 'parameters'")
    nb.cells = [c for c in nb.cells if tag not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_code_cell(source=source, metadata={"tags": [tag]})
    cell.id = tag
    nb.cells.insert(index + 1, cell)


def _inject_parameters(nb: nbformat.NotebookNode, run: Run, staging: Path | None) -> None:
    """Insert the run's parameters (non-default runs) and its output folders (always)."""
    if staging is not None:
        _insert_after_parameters(nb, OUTPUTS_TAG, f"OUTPUT_DIRS = {run.output_dirs(staging)!r}\n")
    if not run.is_default:
        _insert_after_parameters(
            nb, "injected-parameters", "# Parameters injected by the pipeline\n" + run.parameters_source()
        )


def _remove_output_dirs(nb: nbformat.NotebookNode) -> None:
    """Drop the ``injected-outputs`` cell and renumber the execution counts as if it never ran."""
    nb.cells = [c for c in nb.cells if OUTPUTS_TAG not in c.get("metadata", {}).get("tags", [])]
    count = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.get("execution_count") is None:
            continue
        count += 1
        cell.execution_count = count
        for output in cell.get("outputs", []):
            if "execution_count" in output:
                output["execution_count"] = count


def _failing_cell(nb: nbformat.NotebookNode) -> tuple[int, str]:
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code" or OUTPUTS_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                return code_index, first[:80]
    return -1, ""


class ReportInterrupted(KeyboardInterrupt):
    """Ctrl-C during a notebook: its kernel was stopped and none of its outputs were written."""

    def __init__(self, notebook: str) -> None:
        super().__init__(notebook)
        self.notebook = notebook

    def __str__(self) -> str:
        return f"interrupted: {self.notebook}, nothing written"


def _signal_kernel(km, sig: int) -> None:
    """Send a signal to the kernel's process group (the kernel runs in a session of its own)."""
    provisioner = getattr(km, "provisioner", None)
    process = getattr(provisioner, "process", None)
    pgid = getattr(provisioner, "pgid", None)
    with contextlib.suppress(OSError, TypeError):
        if pgid:
            os.killpg(pgid, sig)
        elif process is not None:
            process.send_signal(sig)


def _execute_interruptibly(client: NotebookClient, km, name: str, **kernel_options) -> None:
    """Run ``client.execute()``; Ctrl-C stops the kernel and raises :class:`ReportInterrupted`.

    nbclient answers SIGINT by killing the kernel mid-message, which ends in a long traceback
    (``DeadKernelError``). Here the notebook runs in a worker thread, so Ctrl-C reaches this
    (main) thread: the running cell is interrupted in the kernel, the kernel is shut down by
    nbclient as usual, and one exception says what happened. A second Ctrl-C kills the kernel.
    """
    if threading.current_thread() is not threading.main_thread():
        client.execute(cleanup_kc=True, **kernel_options)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            client.execute(cleanup_kc=True, **kernel_options)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"notebook-{name}", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        _signal_kernel(km, signal.SIGINT)
        try:
            worker.join(60)
        except KeyboardInterrupt:
            pass
        if worker.is_alive():  # a cell that ignores SIGINT, or a second Ctrl-C
            _signal_kernel(km, signal.SIGKILL)
            worker.join(10)
        raise ReportInterrupted(name) from None
    if failure:
        raise failure[0]


def execute_notebook(
    path: Path,
    run: Run,
    *,
    cwd: Path | None = None,
    timeout: int = CELL_TIMEOUT,
    staging: Path | None = None,
    kernel_env: Mapping[str, str] | None = None,
) -> nbformat.NotebookNode:
    """Execute one notebook with the run's parameters; outputs are deterministic.

    The kernel's connection file and log go into ``staging`` (a temporary folder when not given),
    so nothing of a run is left in the temporary folder once its staging folder is removed. When
    ``staging`` is given the notebook writes its results and models there (``OUTPUT_DIRS``).
    ``kernel_env`` adds environment variables to the kernel's process only.

    Raises
    ------
    NotebookError
        ``"<notebook>: code cell N (<first line>) failed: <error>"``.
    ReportInterrupted
        On Ctrl-C.
    """
    from jupyter_client.manager import AsyncKernelManager

    nb = nbformat.read(path, as_version=4)
    _inject_parameters(nb, run, staging)
    # The kernel's connection file and its own stderr (start-up problems, shutdown chatter after
    # Ctrl-C) go to the staging folder; the log's last line is quoted if the kernel dies.
    with contextlib.ExitStack() as stack:
        folder = (
            Path(staging)
            if staging
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{STAGING_PREFIX}{os.getpid()}-")))
        )
        km = AsyncKernelManager(kernel_name="python3", connection_file=str(folder / "kernel.json"))
        client = NotebookClient(
            nb,
            km=km,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(cwd or path.parent)}},
        )
        options = {"env": {**os.environ, **kernel_env}} if kernel_env else {}
        _run_with_log(client, km, path, folder / "kernel.log", **options)
    _remove_output_dirs(nb)
    return nb


def _run_with_log(client: NotebookClient, km, path: Path, log_path: Path, **kernel_options) -> None:
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            _execute_interruptibly(client, km, path.stem, stderr=log, **kernel_options)
    except DeadKernelError:
        tail = [line for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        raise NotebookError(f"{path.name}: the kernel died" + (f": {tail[-1][:200]}" if tail else "")) from None
    except CellExecutionError as exc:
        index, first = _failing_cell(client.nb)
        if getattr(exc, "ename", "") == "KeyboardInterrupt":
            raise ReportInterrupted(path.stem) from None
        name = getattr(exc, "ename", "error")
        value = str(getattr(exc, "evalue", "")).strip().splitlines()
        detail = f"{name}: {value[-1] if value else ''}".strip(": ")
        raise NotebookError(f"{path.name}: code cell {index} ({first}) failed: {detail}") from None


class _PlotlyToHTML(Preprocessor):
    """Adds an offline ``text/html`` rendering to every Plotly output (plotly.js inlined once)."""

    def preprocess(self, nb, resources):
        import plotly.io as pio

        count = 0
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if PLOTLY_MIME not in data:
                    continue
                count += 1
                spec = dict(data[PLOTLY_MIME])
                config = spec.pop("config", {})
                data["text/html"] = pio.to_html(
                    spec,
                    config=config,
                    full_html=False,
                    include_plotlyjs=count == 1,
                    div_id=f"figure-{count}",
                    validate=False,
                )
        return nb, resources


def render_html(nb: nbformat.NotebookNode, title: str) -> str:
    """A self-contained HTML page of an executed notebook; figures are interactive offline."""
    exporter = HTMLExporter(template_name="lab")
    exporter.register_preprocessor(_PlotlyToHTML(), enabled=True)
    nb = nbformat.from_dict(nb)
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    # The lab template loads require.js and MathJax from a CDN. The reports need neither (no LaTeX;
    # plotly.js is inlined), and require.js would capture plotly.js as an AMD module: drop them.
    return _EXTERNAL_SCRIPT.sub("", body)


#: Staging folders are ``<tmp>/ecommerce-report-<pid>-<random>``: the pid tells whether their run still lives.
STAGING_PREFIX = "ecommerce-report-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user
        return True
    return True


def remove_stale_staging(folder: Path | None = None) -> list[Path]:
    """Remove staging folders (with the kernel connection files inside them) whose run is gone,
    e.g. after a SIGKILL; folders of runs still alive are left alone. Returns what was removed.
    """
    removed = []
    for candidate in sorted(Path(folder or tempfile.gettempdir()).glob(f"{STAGING_PREFIX}*")):
        match = re.match(rf"{STAGING_PREFIX}(\d+)-", candidate.name)
        if candidate.is_dir() and match and not _pid_alive(int(match.group(1))):
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


def _cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == cell.cell_type)
    first = next((line for line in cell.source.splitlines() if line.strip()), "")[:60]
    return f"{cell.cell_type} cell {number} ({first})"


def _output_payloads(output: dict) -> dict:
    """What of an output is compared: its text, or its data without the PNG (whose pixels depend on
    the machine's Chromium build; the figure's JSON, which the PNG is drawn from, is compared).
    """
    if "data" in output:
        return {mime: value for mime, value in output["data"].items() if mime != "image/png"}
    return {k: v for k, v in output.items() if k in ("name", "text", "ename", "evalue", "output_type")}


def notebook_differences(produced: Path, committed: Path, digits: int = SIGNIFICANT_DIGITS) -> list[str]:
    """How an executed notebook differs from the committed one, cell by cell.

    Sources and text outputs must match exactly; numbers in figure JSON must agree to
    ``digits`` significant digits (:func:`ecommerce_analytics.precision.numbers_close`); PNG
    payloads are not compared. Each difference names the cell, the output and the first place
    that differs, e.g. ``code cell 7 (if has_experiment:), output 2, application/vnd.plotly.v1+json:
    data[0].y[3]: 0.12 != 0.13``. An empty list means the committed notebook is current.
    """
    a, b = nbformat.read(produced, as_version=4), nbformat.read(committed, as_version=4)
    if len(a.cells) != len(b.cells):
        return [f"{committed.name}: {len(a.cells)} cells were produced, {len(b.cells)} are committed"]
    found = []
    for i, (x, y) in enumerate(zip(a.cells, b.cells, strict=True)):
        where = f"{committed.name}: {_cell_label(b, i)}"
        if x.cell_type != y.cell_type or x.source != y.source:
            found.append(f"{where}: the source differs")
            continue
        xs, ys = x.get("outputs", []), y.get("outputs", [])
        if len(xs) != len(ys):
            found.append(f"{where}: {len(xs)} outputs were produced, {len(ys)} are committed")
            continue
        for k, (ox, oy) in enumerate(zip(xs, ys, strict=True), 1):
            px, py = _output_payloads(ox), _output_payloads(oy)
            for mime in sorted(set(px) | set(py)):
                if mime == PLOTLY_MIME and mime in px and mime in py:
                    diff = precision.first_difference(px[mime], py[mime], digits)
                else:
                    diff = None if px.get(mime) == py.get(mime) else "the text differs"
                if diff:
                    found.append(f"{where}, output {k}, {mime}: {diff}")
    return found


def _write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    text = nbformat.writes(nb) + ("" if nbformat.writes(nb).endswith("\n") else "\n")
    path.write_text(text, encoding="utf-8")


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
    _prepare(run, say)
    for i, path in enumerate(selected, 1):
        start = time.perf_counter()
        step = f"[{i}/{len(selected)}] {path.stem}"
        say(f"{step}: executing")
        staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-"))
        try:
            (staging / "results").mkdir()
            (staging / "models").mkdir()
            nb = execute_notebook(path, run, staging=staging, kernel_env=kernel_env)
            say(f"{step}: rendering HTML")
            (staging / f"{path.stem}.html").write_text(render_html(nb, path.stem), encoding="utf-8")
            _write_notebook(nb, staging / path.name)
            _publish(staging, path, run, result, in_place)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result.seconds[path.stem] = time.perf_counter() - start
        say(f"{step}: done in {result.seconds[path.stem]:.1f} s")
    return result


def _prepare(run: Run, say: Callable[[str], None]) -> None:
    """Before the first notebook: clear dead staging folders, simulate once, check PNG export."""
    for stale in remove_stale_staging():
        say(f"removed {stale}, left by a run that was killed")
    if run.is_simulated:  # simulate once; every notebook reads the stored run
        from .sources import prepare_source

        prepare_source(run.source, n_sessions=run.n_sessions, seed=run.seed)
    from .viz import static_export_available

    if not static_export_available():
        logger.warning(
            "no Chromium-based browser found: figures get no static PNG, so GitHub will not show them "
            "(Debian: apt-get install chromium)"
        )


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
