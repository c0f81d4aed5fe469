"""The committed notebooks tell the story and the package does the work (issues 11 and 13).

Fast checks on the committed notebooks' sources and outputs: thin code cells without `def`,
each notebook's first output is its generated summary, and no internal wording, file paths or
"Results saved" lines reach a reader.
"""

from __future__ import annotations

import statistics

import nbformat
import pytest

from ecommerce_analytics import paths

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))

#: Phrases that are internal to the project (its issues, its machines, its files), never for readers.
INTERNAL_PHRASES = (
    "the brief",
    "target: at least",
    "results saved",
    "/work/",
    "/tmp/",
    "visualizations/reports",
    "empty dataframe",
    "traceback",
)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and "parameters" not in c.get("metadata", {}).get("tags", [])]


def _lines(cell) -> int:
    return sum(1 for line in cell.source.splitlines() if line.strip())


def _texts(nb):
    """Every text a reader sees in the outputs (Markdown, plain text, stream text)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                yield out.get("text", "")
            for mime in ("text/markdown", "text/plain"):
                if mime in out.get("data", {}):
                    yield out["data"][mime]


def test_there_are_five_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_cells_are_thin_and_define_nothing(path):
    cells = _code_cells(nbformat.read(path, as_version=4))
    sizes = [_lines(c) for c in cells]
    defining = [
        c.source.splitlines()[0]
        for c in cells
        if any(line.lstrip().startswith(("def ", "class ")) for line in c.source.splitlines())
    ]
    assert defining == [], f"{path.name}: code cells define functions or classes"
    assert statistics.median(sizes) <= 6, f"{path.name}: median code cell has {statistics.median(sizes)} lines"
    assert max(sizes) <= 15, f"{path.name}: a code cell has {max(sizes)} lines"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_first_output_is_the_generated_summary(path):
    nb = nbformat.read(path, as_version=4)
    first = next(out for cell in _code_cells(nb) for out in cell.get("outputs", []))
    assert first.get("output_type") == "display_data" and "text/markdown" in first.get("data", {}), (
        f"{path.name}: the first output is not a Markdown summary"
    )
    text = first["data"]["text/markdown"]
    assert len(text) >= 200 and any(ch.isdigit() for ch in text), f"{path.name}: the summary states no numbers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_internal_wording_reaches_a_reader(path):
    nb = nbformat.read(path, as_version=4)
    found = sorted({p for text in _texts(nb) for p in INTERNAL_PHRASES if p in text.lower()})
    assert found == [], f"{path.name}: outputs contain {found}"
