"""Render an executed notebook to an offline HTML report, and write notebooks to disk.

A report is nbconvert's JupyterLab page with a few additions: the notebook's first level-1
heading as its title, a table of contents built from its Markdown headings, code cells hidden
by default behind a "Show code" toggle, and a link back to the run's landing page
(``index.html``). Plotly figures are drawn by one shared copy of plotly.js that
:func:`write_assets` puts in the run's report folder (``assets/plotly.min.js``), so each report
holds only its own figures' data and nothing is loaded from the internet.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import nbformat
import plotly
import plotly.io as pio
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

__all__ = [
    "ASSETS_DIR",
    "LANDING_PAGE",
    "PLOTLY_JS",
    "PLOTLY_MIME",
    "notebook_title",
    "render_html",
    "table_of_contents",
    "write_assets",
    "write_notebook",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Folder of a run's reports that holds the files they share.
ASSETS_DIR = "assets"
#: Where a report finds plotly.js, relative to the report.
PLOTLY_JS = f"{ASSETS_DIR}/plotly.min.js"
#: The notebook template's stylesheets (the same for every report), shared like plotly.js.
NOTEBOOK_CSS = f"{ASSETS_DIR}/notebook.css"
_HEAD_STYLE = re.compile(r"<style[^>]*>(.*?)</style>\s*", re.S)


def _split_head_styles(page: str) -> tuple[str, str]:
    """Move the template's ``<style>`` blocks out of the page's head: (page with a link, their CSS)."""
    head, sep, rest = page.partition("</head>")
    css = "\n".join(m.group(1) for m in _HEAD_STYLE.finditer(head))
    head = _HEAD_STYLE.sub("", head)
    return head + f'<link rel="stylesheet" href="{NOTEBOOK_CSS}"/>\n' + sep + rest, css


def _template_css() -> str:
    """The stylesheets :func:`render_html` moves out of every report (those of an empty notebook)."""
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nbformat.v4.new_notebook())
    return _split_head_styles(page)[1]


#: The run's landing page, next to its reports.
LANDING_PAGE = "index.html"
# The lab template loads require.js and MathJax from a CDN; the reports need neither.
_EXTERNAL_SCRIPT = re.compile(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>\s*')
# ... and a module script that would import mermaid from a CDN (the notebooks draw no diagrams).
_MERMAID_SCRIPT = re.compile(r'<script type="module">(?:(?!</script>).)*?jp-Mermaid.*?</script>\s*', re.DOTALL)
_HEADING = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)
_MARKDOWN_INLINE = re.compile(r"[*_`]+")

_STYLE = """
<style type="text/css">
body.ea-code-hidden .jp-CodeCell .jp-Cell-inputWrapper,
body.ea-code-hidden .jp-CodeCell.jp-mod-noOutputs,
body.ea-code-hidden .jp-InputPrompt,
body.ea-code-hidden .jp-OutputPrompt { display: none; }
.ea-bar { position: sticky; top: 0; z-index: 10; display: flex; gap: 1em; align-items: center;
  padding: 0.5em 1em; background: #f7f7f9; border-bottom: 1px solid #ddd; font-family: var(--jp-ui-font-family); }
.ea-bar .ea-title { flex: 1; font-weight: 600; margin: 0; }
.ea-bar button { font: inherit; padding: 0.25em 0.8em; cursor: pointer; }
.ea-toc { margin: 1em 2em; font-family: var(--jp-ui-font-family); }
.ea-toc ul { margin: 0.3em 0; padding-left: 0; list-style: none; }
.ea-toc li { margin: 0.2em 0; }
.ea-toc li.ea-toc-3 { margin-left: 1.2em; }
@media (min-width: 1400px) {
  .ea-toc { position: fixed; top: 4.5em; left: 0; width: 16em; max-height: 80vh; overflow: auto; margin: 0 1.5em; }
  body > main { margin-left: 19em; }
}
</style>
"""

_SCRIPT = """
<script>
(function () {
  var button = document.getElementById("ea-code-toggle");
  button.addEventListener("click", function () {
    var hidden = document.body.classList.toggle("ea-code-hidden");
    button.textContent = hidden ? "Show code" : "Hide code";
    button.setAttribute("aria-pressed", hidden ? "false" : "true");
  });
})();
</script>
"""


class _PlotlyToHTML(Preprocessor):
    """Adds a ``text/html`` rendering to every Plotly output; plotly.js itself is loaded once per page."""

    def preprocess(self, nb, resources):
        """Render each Plotly output to a ``div`` drawn by the page's shared plotly.js."""
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
                    include_plotlyjs=False,
                    div_id=f"figure-{count}",
                    validate=False,
                )
        return nb, resources


def notebook_title(nb: nbformat.NotebookNode, default: str) -> str:
    r"""The text of a notebook's first level-1 Markdown heading, else ``default``.

    Parameters
    ----------
    nb : NotebookNode
        The notebook.
    default : str
        The title of a notebook without a level-1 heading (e.g. its file stem).

    Returns
    -------
    str
        The heading's text, without Markdown emphasis or code marks.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Intro\n# 04 · A/B *testing*")])
    >>> notebook_title(nb, "04_ab")
    '04 · A/B testing'
    >>> notebook_title(nbformat.v4.new_notebook(), "04_ab")
    '04_ab'
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return _MARKDOWN_INLINE.sub("", line[2:]).strip() or default
    return default


def table_of_contents(page: str) -> list[tuple[int, str, str]]:
    """The level-2 and level-3 headings of a rendered page, as ``(level, anchor id, text)``.

    Parameters
    ----------
    page : str
        HTML whose headings carry ``id`` attributes (nbconvert adds them to Markdown headings).

    Returns
    -------
    list of tuple
        One entry per heading, in page order.

    Examples
    --------
    >>> table_of_contents('<h1 id="t">T</h1><h2 id="1.-Data">1. Data<a class="anchor-link" href="#1.-Data">¶</a></h2>')
    [(2, '1.-Data', '1. Data')]
    """
    entries = []
    for level, anchor, inner in _HEADING.findall(page):
        if level == "1":
            continue
        text = html.unescape(_TAG.sub("", _ANCHOR_LINK.sub("", inner))).strip()
        entries.append((int(level), anchor, text))
    return entries


def _header(title: str, toc: list[tuple[int, str, str]]) -> str:
    """The bar at the top of a report (title, code toggle, link home) and its table of contents."""
    items = "\n".join(
        f'<li class="ea-toc-{level}"><a href="#{anchor}">{html.escape(text)}</a></li>' for level, anchor, text in toc
    )
    return (
        '<header class="ea-bar">'
        f'<p class="ea-title">{html.escape(title)}</p>'
        '<button type="button" id="ea-code-toggle" aria-pressed="false">Show code</button>'
        f'<a href="{LANDING_PAGE}">All reports</a>'
        "</header>\n"
        f'<nav class="ea-toc" aria-label="Contents"><strong>Contents</strong>\n<ul>\n{items}\n</ul></nav>\n'
    )


def render_html(nb: nbformat.NotebookNode, title: str) -> str:
    """An offline HTML report of an executed notebook, code hidden behind a toggle.

    The page's title is the notebook's first level-1 heading (``title`` if it has none); a table
    of contents lists its level-2 and level-3 headings. Figures are drawn by the shared
    ``assets/plotly.min.js`` next to the report (:func:`write_assets`); nothing is loaded from
    the internet.

    Parameters
    ----------
    nb : NotebookNode
        An executed notebook (Plotly outputs are drawn; other outputs as in JupyterLab).
    title : str
        Title of a notebook without a level-1 heading (e.g. its file stem).

    Returns
    -------
    str
        The page.

    Raises
    ------
    ValueError
        ``title`` is empty.
    """
    if not isinstance(title, str) or not title.strip():
        raise ValueError(f"title must be a non-empty string, got {title!r}")
    exporter = HTMLExporter(template_name="lab")
    exporter.register_preprocessor(_PlotlyToHTML(), enabled=True)
    nb = nbformat.from_dict(nb)
    page_title = notebook_title(nb, title)
    nb.metadata["title"] = page_title
    body, _ = exporter.from_notebook_node(nb)
    # require.js (CDN) would capture plotly.js as an AMD module, MathJax (CDN) is not needed (no LaTeX),
    # and the mermaid loader imports from a CDN: drop all three.
    body = _MERMAID_SCRIPT.sub("", _EXTERNAL_SCRIPT.sub("", body))
    body, css = _split_head_styles(body)
    if css != _template_css():  # never drop a style the shared file does not hold
        raise RuntimeError("the notebook template's stylesheets differ from an empty notebook's")
    body = body.replace("</head>", f'{_STYLE}<script src="{PLOTLY_JS}"></script>\n</head>', 1)
    body, hidden = re.subn(r'<body class="', '<body class="ea-code-hidden ', body, count=1)
    if not hidden:
        body = body.replace("<body", '<body class="ea-code-hidden"', 1)
    body = re.sub(
        r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + _header(page_title, table_of_contents(body)), body, count=1
    )
    return body.replace("</body>", f"{_SCRIPT}</body>", 1)


def write_assets(report_dir: Path) -> Path:
    """Put the files the reports share (plotly.js, the template's CSS) into ``<report_dir>/assets/``.

    The copy is rewritten only when it differs from the installed plotly's, so re-running a
    report leaves the file untouched.

    Parameters
    ----------
    report_dir : Path
        A run's report folder.

    Returns
    -------
    Path
        The shared plotly.js.
    """
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    target = Path(report_dir) / PLOTLY_JS
    if not target.is_file() or target.read_bytes() != source.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    css = Path(report_dir) / NOTEBOOK_CSS
    text = _template_css()
    if not css.is_file() or css.read_text(encoding="utf-8") != text:
        css.write_text(text, encoding="utf-8")
    return target


def write_notebook(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write a notebook as nbformat does, ending with exactly one newline."""
    text = nbformat.writes(nb) + ("" if nbformat.writes(nb).endswith("\n") else "\n")
    path.write_text(text, encoding="utf-8")
