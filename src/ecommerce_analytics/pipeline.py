"""Execute the numbered notebooks with parameters and render them to offline HTML reports.

The default run (simulated source, default size and seed) writes the executed notebooks back
in place, with their outputs, for GitHub; its HTML reports and results JSON go to
``visualizations/reports/default/``. Any other run writes executed copies, HTML and results to
``visualizations/reports/<run>/`` (git-ignored) and never touches ``notebooks/``.

Parameters reach a notebook papermill-style: the cell tagged ``parameters`` holds the defaults,
and for a non-default run a cell tagged ``injected-parameters`` is inserted after it.
Each notebook's outputs are produced in a staging folder and moved into place only when the
whole notebook has run, so a failure leaves no half-written report.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from . import paths
from .modeling import MODELS_DIR_ENV
from .reporting import RESULTS_DIR_ENV, RUN_RESULTS_ENV, run_name
from .simulate import DEFAULT_N_SESSIONS, DEFAULT_SEED
from .viz import STATIC_EXPORT_ENV, static_export_available

__all__ = ["RunConfig", "NotebookError", "RunResult", "notebook_paths", "execute_notebook", "render_html",
           "run_report"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*')
CELL_TIMEOUT = 1800


class NotebookError(RuntimeError):
    """A notebook failed; the message names the notebook and the cell."""


@dataclass(frozen=True)
class RunConfig:
    """Parameters of a run (the values of a notebook's ``parameters`` cell)."""

    source: str = "simulated"
    n_sessions: int = DEFAULT_N_SESSIONS
    seed: int = DEFAULT_SEED

    @property
    def name(self) -> str:
        return run_name(self.source, self.n_sessions, self.seed)

    @property
    def is_default(self) -> bool:
        return self.name == "default"

    def parameters_source(self) -> str:
        source = self.source if self.source == "simulated" else str(Path(self.source).resolve())
        return f"SOURCE = {source!r}\nN_SESSIONS = {self.n_sessions!r}\nSEED = {self.seed!r}\n"


@dataclass
class RunResult:
    """Where a run put its outputs, and how long each notebook took."""

    config: RunConfig
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
    chosen = [p for p in found if any(p.stem == s or p.stem.startswith(f"{int(s):02d}_" if s.isdigit() else s)
                                      for s in selection)]
    if not chosen:
        names = ", ".join(p.stem for p in found)
        raise FileNotFoundError(f"no notebook matches {', '.join(selection)}; available: {names}")
    return chosen


def _inject_parameters(nb: nbformat.NotebookNode, config: RunConfig) -> None:
    index = next((i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if index is None:
        raise NotebookError("the notebook has no cell tagged 'parameters'")
    nb.cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_code_cell(source="# Parameters injected by the pipeline\n" + config.parameters_source(),
                                     metadata={"tags": ["injected-parameters"]})
    cell.id = "injected-parameters"
    nb.cells.insert(index + 1, cell)


def _failing_cell(nb: nbformat.NotebookNode) -> tuple[int, str]:
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((line for line in cell.source.splitlines() if line.strip()), "")
                return code_index, first[:80]
    return -1, ""


def execute_notebook(path: Path, config: RunConfig, *, cwd: Path | None = None,
                     timeout: int = CELL_TIMEOUT) -> nbformat.NotebookNode:
    """Execute one notebook with the run's parameters; outputs are deterministic.

    Raises
    ------
    NotebookError
        ``"<notebook>: code cell N (<first line>) failed: <error>"``.
    """
    nb = nbformat.read(path, as_version=4)
    if not config.is_default:
        _inject_parameters(nb, config)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(cwd or path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        index, first = _failing_cell(nb)
        name = getattr(exc, "ename", "error")
        value = str(getattr(exc, "evalue", "")).strip().splitlines()
        detail = f"{name}: {value[-1] if value else ''}".strip(": ")
        raise NotebookError(f"{path.name}: code cell {index} ({first}) failed: {detail}") from None
    nb.metadata.pop("papermill", None)
    return nb


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
                data["text/html"] = pio.to_html(spec, config=config, full_html=False, include_plotlyjs=count == 1,
                                                div_id=f"figure-{count}", validate=False)
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


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the kernels started inside the block, then restore them."""
    previous = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    text = nbformat.writes(nb) + ("" if nbformat.writes(nb).endswith("\n") else "\n")
    path.write_text(text, encoding="utf-8")


def run_report(config: RunConfig = RunConfig(), notebooks: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None, *, notebooks_dir: Path = paths.NOTEBOOKS_DIR,
               reports_dir: Path = paths.REPORTS_DIR, models_dir: Path = paths.MODELS_DIR,
               in_place: bool | None = None) -> RunResult:
    """Execute and render the notebooks of a run, in order.

    Parameters
    ----------
    config : RunConfig
        Source and simulator parameters.
    notebooks : list of str, optional
        Numbers or names of the notebooks to run (default: all).
    progress : callable, optional
        Receives one line per step, with elapsed times.
    notebooks_dir, reports_dir, models_dir : Path
        Where the notebooks are, and where reports and saved models go (``models_dir`` for the
        default run, ``models_dir/<run>`` otherwise). Tests point these at temporary folders.
    in_place : bool, optional
        Write executed notebooks back over their sources (default: only for the default run).
        Otherwise they go to ``<reports_dir>/<run>/notebooks/``.
    """
    in_place = config.is_default if in_place is None else in_place
    say = progress or (lambda _m: None)
    report_dir = Path(reports_dir) / config.name
    result = RunResult(config, report_dir)
    selected = notebook_paths(notebooks, Path(notebooks_dir))
    if not static_export_available():
        print("warning: no Chromium-based browser found: figures get no static PNG, so GitHub will not show them "
              "(Debian: apt-get install chromium)", file=sys.stderr)
        os.environ[STATIC_EXPORT_ENV] = "0"
    for i, path in enumerate(selected, 1):
        start = time.perf_counter()
        say(f"[{i}/{len(selected)}] {path.stem}: executing")
        with tempfile.TemporaryDirectory(prefix="ecommerce-report-") as staging_name:
            staging = Path(staging_name)
            (staging / "results").mkdir()
            (staging / "models").mkdir()
            with _environment({RESULTS_DIR_ENV: str(staging / "results"), MODELS_DIR_ENV: str(staging / "models"),
                               RUN_RESULTS_ENV: str(report_dir / "results")}):
                nb = execute_notebook(path, config)
            say(f"[{i}/{len(selected)}] {path.stem}: rendering HTML")
            (staging / f"{path.stem}.html").write_text(render_html(nb, path.stem), encoding="utf-8")
            _write_notebook(nb, staging / path.name)
            # Everything of this notebook is ready: move it into place.
            (report_dir / "results").mkdir(parents=True, exist_ok=True)
            for produced in sorted((staging / "results").glob("*.json")):
                target = report_dir / "results" / produced.name
                shutil.move(produced, target)
                result.results.append(target)
            model_target = Path(models_dir) if config.is_default else Path(models_dir) / config.name
            for produced in sorted((staging / "models").iterdir()):
                model_target.mkdir(parents=True, exist_ok=True)
                shutil.move(produced, model_target / produced.name)
                result.models.append(model_target / produced.name)
            html_target = report_dir / f"{path.stem}.html"
            shutil.move(staging / f"{path.stem}.html", html_target)
            result.html.append(html_target)
            nb_target = path if in_place else report_dir / "notebooks" / path.name
            nb_target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / path.name, nb_target)
            result.notebooks.append(nb_target)
        result.seconds[path.stem] = time.perf_counter() - start
        say(f"[{i}/{len(selected)}] {path.stem}: done in {result.seconds[path.stem]:.1f} s")
    return result
