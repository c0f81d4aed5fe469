"""Generated documents (README key findings, resume bullets, SQL index) must match the results,
and the project's documents of the design must exist."""

from __future__ import annotations

import pytest

from ecommerce_analytics import paths
from ecommerce_analytics import recommendations as rec
from ecommerce_analytics.cli import main

DESIGN_DOCS = [
    "project/plan/goals.md",
    "project/plan/progress.md",
    "project/history/decisions.md",
    "project/context/session_notes.md",
    "project/user_resources/00_overview.md",
    "project/user_resources/01_setup_guide.md",
    "project/user_resources/02_dataset_information.md",
    "project/user_resources/03_analysis_plan.md",
    "project/user_resources/04_sql_index.md",
    "project/user_resources/05_code_templates.md",
    "project/user_resources/06_resume_bullets.md",
    "project/user_resources/07_assistant_prompt.md",
    "ai_system/personas.md",
    "ai_system/memory.md",
    "ai_system/rules.md",
    "ai_system/templates.md",
]


def test_generated_documents_match_the_committed_results():
    assert rec.write_docs(check=True) == [], "run `ecommerce-analytics docs` (or `make report`)"


def test_docs_check_command(capsys):
    assert main(["docs", "--check"]) == 0
    assert "match" in capsys.readouterr().out


def test_readme_findings_quote_the_results():
    r = rec.load_all()
    conv = r["01_exploratory_data_analysis"]["metrics"]["conversion_rate"]
    readme = (paths.PROJECT_ROOT / "README.md").read_text()
    block = readme.split(rec.FINDINGS_START)[1].split(rec.FINDINGS_END)[0]
    assert f"Conversion is {100 * conv['estimate']:.1f}%" in block
    assert block.count("\n- ") >= 5


def test_render_readme_needs_its_markers():
    with pytest.raises(ValueError, match="markers"):
        rec.render_readme("# no markers here\n", ["- x"])
    text = rec.render_readme(f"a\n{rec.FINDINGS_START}\nold\n{rec.FINDINGS_END}\nb\n", ["- new"])
    assert "old" not in text and "- new" in text and text.startswith("a\n") and text.endswith("b\n")


def test_impact_range_carries_the_interval():
    r = rec.impact_range(lambda g, n: rec.normal_draws(10.0, 8.04, 11.96, n, g))
    assert r["p5"] == pytest.approx(10 - 1.645, abs=0.05) and r["p95"] == pytest.approx(10 + 1.645, abs=0.05)


@pytest.mark.parametrize("doc", DESIGN_DOCS)
def test_design_documents_exist_and_are_not_empty(doc):
    path = paths.PROJECT_ROOT / doc
    assert path.is_file(), doc
    assert len(path.read_text().strip().splitlines()) >= 3, doc
