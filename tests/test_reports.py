"""The HTML reports and the landing page: title, table of contents, code toggle, one shared
plotly.js, nothing loaded from the internet, and pages that load cleanly in headless Chromium."""

from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from urllib.parse import unquote

import nbformat
import plotly
import plotly.graph_objects as go
import pytest

from ecommerce_analytics import paths, recommendations
from ecommerce_analytics.pipeline import PLOTLY_MIME
from ecommerce_analytics.pipeline.landing import landing_page, source_banner, write_landing_page
from ecommerce_analytics.pipeline.render import (
    PLOTLY_JS,
    notebook_title,
    render_html,
    table_of_contents,
    write_assets,
)
from ecommerce_analytics.run import Run

STEM = "01_tiny_report"
FIGURE_TITLE = "Conversion by day"
FINDINGS = ["- Conversion is **12.0%** and `abandoned_cart` is excluded.", "- Second <b>finding</b> & more."]


def _tiny_notebook(figures: int = 1) -> nbformat.NotebookNode:
    """An executed-looking notebook: headings, a code cell with a Plotly figure, one without output."""
    cells = [
        nbformat.v4.new_markdown_cell("# 01 · Tiny *report*\n\nWhat it shows."),
        nbformat.v4.new_code_cell("SOURCE = 'simulated'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("## 1. Data quality\n\nText."),
    ]
    for i in range(figures):
        fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2 + i]), layout={"title": {"text": f"{FIGURE_TITLE} {i}"}})
        cell = nbformat.v4.new_code_cell(f"viz.show(fig_{i})  # SECRET_CODE_{i}")
        cell.outputs = [nbformat.v4.new_output("display_data", data={PLOTLY_MIME: json.loads(fig.to_json())})]
        cells.append(cell)
    cells += [
        nbformat.v4.new_markdown_cell("### Why it matters\n\nMore text."),
        nbformat.v4.new_code_cell("x = 1  # no output"),
        nbformat.v4.new_markdown_cell("## 2. Product metrics"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture(scope="module")
def page() -> str:
    return render_html(_tiny_notebook(), STEM)


# ---------------------------------------------------------------------------------------- reports
def test_the_title_is_the_first_level_1_heading(page):
    assert re.findall(r"<title>(.*?)</title>", page)[0] == "01 · Tiny report"
    assert '<p class="ea-title">01 · Tiny report</p>' in page  # shown at the top too


def test_a_notebook_without_heading_takes_the_given_title():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Just text, ## not a heading")])
    assert notebook_title(nb, STEM) == STEM
    assert re.findall(r"<title>(.*?)</title>", render_html(nb, STEM))[0] == STEM
    with pytest.raises(ValueError, match="title"):
        render_html(nb, " ")


def test_code_is_hidden_by_default_and_a_toggle_shows_it(page):
    body = re.search(r"<body[^>]*>", page).group(0)
    assert "ea-code-hidden" in body.split('class="')[1].split('"')[0]
    # The rule that hides code cells' inputs applies under that class only.
    assert re.search(r"body\.ea-code-hidden \.jp-CodeCell \.jp-Cell-inputWrapper[^{]*\{ display: none; \}", page)
    # The code is in the page (the toggle can show it), next to a button that toggles the class.
    assert "SECRET_CODE_0" in page
    assert re.search(r'<button type="button" id="ea-code-toggle"[^>]*>Show code</button>', page)
    script = page[page.rindex("<script>") :]
    assert 'classList.toggle("ea-code-hidden")' in script and '"Hide code"' in script


def test_the_table_of_contents_lists_the_headings_with_working_anchors(page):
    toc = table_of_contents(page)
    assert [(level, text) for level, _, text in toc] == [
        (2, "1. Data quality"),
        (3, "Why it matters"),
        (2, "2. Product metrics"),
    ]
    nav = re.search(r'<nav class="ea-toc".*?</nav>', page, re.DOTALL).group(0)
    links = re.findall(r'<li class="ea-toc-(\d)"><a href="#([^"]+)">([^<]+)</a>', nav)
    assert [(int(level), anchor, text) for level, anchor, text in links] == toc
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    assert all(anchor in ids for _, anchor, _ in toc)


def test_figures_use_one_shared_local_plotly_and_nothing_online():
    nb = _tiny_notebook(figures=3)
    page = render_html(nb, STEM)
    assert page.count(f'<script src="{PLOTLY_JS}"></script>') == 1
    assert "plotly.js v" not in page  # the library is not inlined
    assert len(re.findall(r'<div [^>]*id="figure-\d+"', page)) == 3
    assert re.findall(r'<(?:script|link|img|iframe)[^>]*\s(?:src|href)="https?://', page) == []
    assert "import(" not in page and "cdnjs" not in page  # no module loader fetching from a CDN
    # Small: the page holds the figures' data and the stylesheet, not 4.8 MB of plotly.js.
    assert len(page.encode()) < 1_000_000


def test_the_shared_plotly_is_the_installed_one_and_rewritten_only_when_it_differs(tmp_path):
    installed = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    target = write_assets(tmp_path)
    assert target == tmp_path / PLOTLY_JS and target.read_bytes() == installed
    stamp = target.stat().st_mtime_ns
    write_assets(tmp_path)
    assert target.stat().st_mtime_ns == stamp
    target.write_text("stale")
    assert write_assets(tmp_path).read_bytes() == installed


# ----------------------------------------------------------------------------------- landing page
def _site(tmp_path, run: Run, reports: int = 2) -> Path:
    """A run's report folder with rendered tiny reports and their notebooks."""
    notebooks = run.report_dir / "notebooks"
    notebooks.mkdir(parents=True)
    for i in range(1, reports + 1):
        stem = f"0{i}_tiny_report"
        nb = _tiny_notebook()
        nb.cells[0].source = f"# 0{i} · Tiny report number {i}"
        nbformat.write(nb, notebooks / f"{stem}.ipynb")
        (run.report_dir / f"{stem}.html").write_text(render_html(nb, stem), encoding="utf-8")
    return notebooks


@pytest.fixture
def known_findings(monkeypatch):
    monkeypatch.setattr(recommendations, "load_all", lambda run: run)
    monkeypatch.setattr(recommendations, "readme_findings", lambda upstream: list(FINDINGS))


def test_the_landing_page_shows_findings_and_links_every_report(tmp_path, known_findings):
    run = Run("simulated", 10, 1, reports_root=tmp_path)
    notebooks = _site(tmp_path, run)
    text = landing_page(run, notebooks)
    assert "<title>E-commerce analytics: simulated (n=10, seed=1)</title>" in text
    assert html.escape(source_banner(run)) in text
    assert "<li>Conversion is <strong>12.0%</strong> and <code>abandoned_cart</code> is excluded.</li>" in text
    assert "Second &lt;b&gt;finding&lt;/b&gt; &amp; more." in text  # Markdown, not raw HTML
    rows = re.findall(r'<tr><td><a href="([^"]+)">([^<]+)</a></td><td><a href="([^"]+)">', text)
    assert rows == [
        ("01_tiny_report.html", "01 · Tiny report number 1", "notebooks/01_tiny_report.ipynb"),
        ("02_tiny_report.html", "02 · Tiny report number 2", "notebooks/02_tiny_report.ipynb"),
    ]
    assert "<h2>Figures</h2>" not in text  # the README's figures belong to the default run
    assert "jupyter lab notebooks/" in text


def test_the_landing_page_says_so_when_findings_cannot_be_built(tmp_path):
    run = Run("simulated", 10, 1, reports_root=tmp_path)  # no results: load_all fails
    _site(tmp_path, run, reports=1)
    text = landing_page(run, None)
    assert "Headline findings could not be built" in text
    assert '<a href="01_tiny_report.html">' in text and "not available" in text  # no notebook folder given


def test_the_default_landing_page_shows_the_readme_figures(tmp_path, known_findings):
    run = Run(reports_root=tmp_path)
    text = landing_page(run, paths.NOTEBOOKS_DIR)
    readme = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    expected = re.findall(r"!\[([^\]]*)\]\((visualizations/figures/[^)]+\.png)\)", readme)
    shown = re.findall(r'<img src="([^"]+)" alt="([^"]+)"/>', text)
    assert expected and len(shown) == len(expected)
    for (src, alt), (readme_alt, readme_path) in zip(shown, expected, strict=True):
        assert alt == readme_alt and (run.report_dir / src).resolve() == paths.PROJECT_ROOT / readme_path


def test_write_landing_page_writes_the_page_and_the_shared_assets(tmp_path, known_findings):
    run = Run("/data/sessions.csv", reports_root=tmp_path)
    target = write_landing_page(run)
    assert target == run.report_dir / "index.html" and "the file sessions.csv" in target.read_text()
    assert (run.report_dir / PLOTLY_JS).is_file()
    with pytest.raises(ValueError, match="run must be a Run"):
        write_landing_page("default")


# -------------------------------------------------------------------------------------- browser
def _chromium() -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed: `make setup` installs it")
    return browser


def _load(page: Path, work: Path) -> tuple[str, list[str], Path]:
    """Load a page in headless Chromium: its DOM after scripts ran, its console lines, a screenshot."""
    browser = _chromium()
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={work / ('chr-' + page.stem)}",
        "--virtual-time-budget=20000",
    ]
    run = subprocess.run(
        [browser, *flags, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )
    console = [line for line in run.stderr.splitlines() if re.search(r":CONSOLE[(:]", line)]
    shot = work / f"{page.parent.name}-{page.stem}.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1400,1000", page.as_uri()],
        capture_output=True,
        timeout=180,
    )
    return run.stdout, console, shot


def _png_size_and_colours(path: Path) -> tuple[tuple[int, int], int]:
    """A PNG's width and height, and how many distinct byte values its pixel data holds."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    size = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return size, len(set(zlib.decompress(idat)))


def _broken_links(page: Path) -> list[str]:
    """Links and sources of a page that do not resolve: local files that do not exist, anchors
    without a target, and anything loaded from the internet."""
    text = page.read_text(encoding="utf-8")
    ids = {html.unescape(i) for i in re.findall(r'\sid="([^"]+)"', text)}
    broken = []
    for tag, _attr, raw in re.findall(r'<(a|link|script|img|iframe)\b[^>]*?\s(href|src)="([^"]*)"', text):
        target = html.unescape(raw)
        if target.startswith(("http://", "https://")):
            if tag != "a":
                broken.append(f"{target} (loaded online)")
        elif target.startswith("#"):
            if target[1:] not in ids:
                broken.append(target)
        elif not target.startswith(("data:", "mailto:")) and not (page.parent / unquote(target.split("#")[0])).exists():
            broken.append(target)
    return broken


def _check_in_browser(pages: list[Path], work: Path) -> None:
    for page in pages:
        dom, console, shot = _load(page, work)
        assert console == [], (page.name, console)
        (width, height), colours = _png_size_and_colours(shot)
        assert (width, height) == (1400, 1000) and colours > 10, (page.name, colours)  # not a blank page
        figures = re.findall(r'<div [^>]*id="(figure-\d+)"', page.read_text(encoding="utf-8"))
        assert figures or page.name == "index.html", page.name  # every report has figures
        for figure in figures:
            drawn = dom.split(f'id="{figure}"', 1)[1].split('id="figure-', 1)[0]
            assert 'class="main-svg"' in drawn, (page.name, figure)  # plotly.js ran, offline
        assert _broken_links(page) == [], page.name


@pytest.mark.slow  # about 11 s of Chromium start-ups: kept out of the fast tier
def test_a_report_and_the_landing_page_load_cleanly_in_chromium(tmp_path, known_findings):
    _chromium()
    run = Run("simulated", 10, 1, reports_root=tmp_path / "reports")
    notebooks = _site(tmp_path, run)
    nb = _tiny_notebook(figures=2)
    (run.report_dir / "03_two_figures.html").write_text(render_html(nb, "03_two_figures"), encoding="utf-8")
    landing = write_landing_page(run, notebooks)
    pages = [landing, *sorted(run.report_dir.glob("0*.html"))]
    _check_in_browser(pages, tmp_path)
    assert 'href="03_two_figures.html"' in landing.read_text()


def test_the_link_check_finds_a_broken_link(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        '<a href="#here">ok</a><a href="#nowhere">x</a><img src="missing.png"/>'
        '<script src="https://cdn.example/x.js"></script><a href="https://example.org">ok</a><p id="here"></p>'
    )
    assert _broken_links(page) == ["#nowhere", "missing.png", "https://cdn.example/x.js (loaded online)"]


def test_every_page_of_a_full_run_loads_cleanly_in_chromium(small_run, tmp_path):
    """Every report of a full (small) run and its landing page (slow: the run executes the notebooks)."""
    result = small_run[0]
    landing = result.report_dir / "index.html"
    assert landing.is_file()
    assert re.findall(r'<tr><td><a href="([^"]+)">', landing.read_text()) == [h.name for h in result.html]
    _check_in_browser([landing, *result.html], tmp_path)
