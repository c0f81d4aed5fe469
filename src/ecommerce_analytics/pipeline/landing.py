"""The landing page of a run's reports: ``visualizations/reports/<run>/index.html``.

The page names the run's source, lists the headline findings (the README's key-findings
bullets, built from the run's results by :func:`ecommerce_analytics.recommendations.readme_findings`),
shows the README's figures for the default run, and links every HTML report and executed
notebook. It is written by :func:`write_landing_page` at the end of
:func:`ecommerce_analytics.pipeline.run_report`, which also puts the files the reports share
(plotly.js) in place. Like the reports, it loads nothing from the internet.
"""

from __future__ import annotations

import html
import logging
import os
import re
from pathlib import Path

from .. import paths
from ..run import Run
from .render import LANDING_PAGE, write_assets

__all__ = ["write_landing_page", "landing_page", "source_banner"]

logger = logging.getLogger(__name__)

_REPORT_GLOB = "[0-9][0-9]_*.html"
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
_README_IMAGE = re.compile(r"!\[([^\]]*)\]\((visualizations/figures/[^)\s]+\.png)\)")

_STYLE = """
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 62em; margin: 2em auto;
  padding: 0 1.5em; line-height: 1.5; color: #222; }
.banner { background: #eef3fb; border-left: 4px solid #3b6fb6; padding: 0.6em 1em; }
.missing { color: #8a5a00; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.95em; }
table { border-collapse: collapse; }
td, th { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
code { background: #f3f3f3; padding: 0 0.2em; }
</style>
"""


def source_banner(run: Run) -> str:
    """One sentence naming the run's source and what its findings can be checked against.

    Parameters
    ----------
    run : Run
        The run.

    Returns
    -------
    str
        Plain text.

    Examples
    --------
    >>> source_banner(Run())
    'Source: simulated (n=20,000, seed=42). The simulator plants known effects, so every estimate is shown beside the truth.'
    >>> source_banner(Run("/data/sessions.csv"))
    'Source: the file sessions.csv (real data: there is no ground truth to check the estimates against).'
    """
    if not isinstance(run, Run):
        raise ValueError(f"run must be a Run, got {type(run).__name__}")
    if run.is_simulated:
        return f"Source: {run.label}. The simulator plants known effects, so every estimate is shown beside the truth."
    return f"Source: the file {run.label} (real data: there is no ground truth to check the estimates against)."


def _summaries_html(notebooks_dir: Path | None) -> str | None:
    """Each executed notebook's generated summary (its first Markdown output), or None if there is none."""
    import mistune
    import nbformat

    if notebooks_dir is None:
        return None
    parts = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next((o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])), None)
        if first is not None and "text/markdown" in first.get("data", {}):
            parts.append(f"<h3>{html.escape(_notebook_heading(path))}</h3>")
            parts.append(mistune.create_markdown(escape=True)(first["data"]["text/markdown"]))
    return "\n".join(parts) or None


def _notebook_heading(path: Path) -> str:
    """``02_customer_segmentation`` as ``02 · customer segmentation``."""
    number, _, rest = path.stem.partition("_")
    return f"{number} · {rest.replace('_', ' ')}"


def _findings_html(run: Run, notebooks_dir: Path | None = None) -> str:
    """The headline findings as HTML, or a sentence saying why there are none.

    The default run shows the README's key findings; any other run shows each notebook's
    generated summary (the README's findings are written for the simulator's truth).
    """
    import mistune

    from ..recommendations import load_all, readme_findings

    if not run.is_default:
        summaries = _summaries_html(notebooks_dir)
        if summaries:
            return summaries
    try:
        bullets = readme_findings(load_all(run))
    except Exception as exc:  # any run, any state of its results: the page must still be written
        logger.warning("no headline findings for run %s: %s: %s", run.name, type(exc).__name__, exc)
        return (
            '<p class="missing">Headline findings could not be built from this run\'s results '
            "(missing or written by another version: re-run the report); the reports below hold its results.</p>"
        )
    return mistune.create_markdown(escape=True)("\n".join(bullets))


def _figures_html(run: Run, report_dir: Path) -> str:
    """The README's figures (default run only: they are copied from its notebooks)."""
    readme = paths.PROJECT_ROOT / "README.md"
    if not run.is_default or not readme.is_file():
        return ""
    parts = []
    for alt, rel in _README_IMAGE.findall(readme.read_text(encoding="utf-8")):
        image = paths.PROJECT_ROOT / rel
        if not image.is_file():
            continue
        src = Path(os.path.relpath(image, report_dir)).as_posix()
        parts.append(
            f'<figure><img src="{html.escape(src)}" alt="{html.escape(alt)}"/>'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>"
        )
    if not parts:
        return ""
    return "<h2>Figures</h2>\n" + "\n".join(parts)


def _report_title(report: Path) -> str:
    """A report's ``<title>`` (its notebook's heading), else its file stem."""
    found = _TITLE.search(report.read_text(encoding="utf-8"))
    return html.unescape(found.group(1)).strip() if found else report.stem


def _reports_html(report_dir: Path, notebooks_dir: Path | None) -> str:
    """A table linking each HTML report and its executed notebook."""
    reports = sorted(report_dir.glob(_REPORT_GLOB))
    if not reports:
        return '<p class="missing">No report has been rendered for this run yet.</p>'
    rows = []
    for report in reports:
        notebook = Path(notebooks_dir) / f"{report.stem}.ipynb" if notebooks_dir else None
        if notebook is not None and notebook.is_file():
            href = Path(os.path.relpath(notebook, report_dir)).as_posix()
            nb_cell = f'<a href="{html.escape(href)}">{html.escape(notebook.name)}</a>'
        else:
            nb_cell = "not available"
        rows.append(
            f'<tr><td><a href="{html.escape(report.name)}">{html.escape(_report_title(report))}</a></td>'
            f"<td>{nb_cell}</td></tr>"
        )
    return "<table>\n<tr><th>Report</th><th>Notebook</th></tr>\n" + "\n".join(rows) + "\n</table>"


def landing_page(run: Run, notebooks_dir: Path | None = None) -> str:
    """The HTML of a run's landing page, from what its report folder holds now.

    Parameters
    ----------
    run : Run
        The run; its reports are read from ``run.report_dir`` and its results through
        :func:`ecommerce_analytics.business.load_all`.
    notebooks_dir : Path, optional
        Where the run's executed notebooks are (``notebooks/`` for the default run, else
        ``<run.report_dir>/notebooks``); ``None`` links no notebook.

    Returns
    -------
    str
        The page. Findings that cannot be built (results missing or of another structure) are
        replaced by a sentence saying so; the reports are linked either way.
    """
    if not isinstance(run, Run):
        raise ValueError(f"run must be a Run, got {type(run).__name__}")
    report_dir = run.report_dir
    title = f"E-commerce analytics: {run.label}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"/>',
            '<meta name="viewport" content="width=device-width, initial-scale=1.0"/>',
            f"<title>{html.escape(title)}</title>{_STYLE}</head>",
            "<body>",
            f"<h1>{html.escape(title)}</h1>",
            f'<p class="banner">{html.escape(source_banner(run))}</p>',
            "<h2>Headline findings</h2>",
            _findings_html(run, notebooks_dir),
            _figures_html(run, report_dir),
            "<h2>Reports</h2>",
            "<p>In each report, code is hidden behind a <em>Show code</em> button; the reports work offline.</p>",
            _reports_html(report_dir, notebooks_dir),
            "<p>To work with a notebook, open it in JupyterLab from the project folder: "
            "<code>make setup</code>, then <code>.venv/bin/jupyter lab notebooks/</code>.</p>",
            "</body>",
            "</html>",
            "",
        ]
    )


def write_landing_page(run: Run, notebooks_dir: Path | None = None) -> Path:
    """Write ``<run.report_dir>/index.html`` and the files the run's reports share.

    Parameters
    ----------
    run : Run
        The run whose report folder gets the page.
    notebooks_dir : Path, optional
        Where the run's executed notebooks are (see :func:`landing_page`).

    Returns
    -------
    Path
        The landing page.
    """
    if not isinstance(run, Run):
        raise ValueError(f"run must be a Run, got {type(run).__name__}")
    run.report_dir.mkdir(parents=True, exist_ok=True)
    write_assets(run.report_dir)
    target = run.report_dir / LANDING_PAGE
    target.write_text(landing_page(run, notebooks_dir), encoding="utf-8")
    return target
