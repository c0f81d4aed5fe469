"""Render an executed notebook to a self-contained HTML page, and write notebooks to disk."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import plotly.io as pio
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

__all__ = ["PLOTLY_MIME", "render_html", "write_notebook"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
# The lab template loads require.js and MathJax from a CDN; the reports need neither.
_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*')


class _PlotlyToHTML(Preprocessor):
    """Adds an offline ``text/html`` rendering to every Plotly output (plotly.js inlined once)."""

    def preprocess(self, nb, resources):
        """Render each Plotly output to HTML; the first one carries plotly.js."""
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


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook as nbformat does, ending with exactly one newline."""
    text = nbformat.writes(nb) + ("" if nbformat.writes(nb).endswith("\n") else "\n")
    path.write_text(text, encoding="utf-8")
