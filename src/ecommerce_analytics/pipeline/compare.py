"""Compare an executed notebook with the committed one, output by output, to the committed precision."""

from __future__ import annotations

from pathlib import Path

import nbformat

from .. import precision
from ..config import SIGNIFICANT_DIGITS
from .render import PLOTLY_MIME

__all__ = ["notebook_differences"]


def _cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    cell = nb.cells[index]
    number = sum(1 for c in nb.cells[: index + 1] if c.cell_type == cell.cell_type)
    first = next((line for line in cell.source.splitlines() if line.strip()), "")[:60]
    return f"{cell.cell_type} cell {number} ({first})"


def _output_payloads(output: dict) -> dict:
    """What of an output is compared: its text, or its data without the PNG.

    PNG pixels depend on the machine's Chromium build; the figure's JSON, which the PNG is drawn
    from, is compared instead.
    """
    if "data" in output:
        return {mime: value for mime, value in output["data"].items() if mime != "image/png"}
    return {k: v for k, v in output.items() if k in ("name", "text", "ename", "evalue", "output_type")}


def notebook_differences(produced: str | Path, committed: str | Path, digits: int = SIGNIFICANT_DIGITS) -> list[str]:
    """How an executed notebook differs from the committed one, cell by cell.

    Sources and text outputs must match exactly; numbers in figure JSON must agree to
    ``digits`` significant digits (:func:`ecommerce_analytics.precision.numbers_close`); PNG
    payloads are not compared. Each difference names the cell, the output and the first place
    that differs, e.g. ``code cell 7 (if has_experiment:), output 2, application/vnd.plotly.v1+json:
    data[0].y[3]: 0.12 != 0.13``. An empty list means the committed notebook is current.
    """
    produced, committed = Path(produced), Path(committed)
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
