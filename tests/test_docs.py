"""Generated documents (README key findings, resume bullets, SQL index) must match the results,
and the project's documents of the design must exist."""

from __future__ import annotations

import pytest
from test_business import _upstream

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
    conv = r.explore.metrics["conversion_rate"]
    readme = (paths.PROJECT_ROOT / "README.md").read_text()
    block = readme.split(rec.FINDINGS_START)[1].split(rec.FINDINGS_END)[0]
    assert f"Conversion is {100 * conv['estimate']:.1f}%" in block
    assert block.count("\n- ") >= 5


def test_render_readme_needs_its_markers():
    with pytest.raises(ValueError, match="markers"):
        rec.render_readme("# no markers here\n", ["- x"])
    text = rec.render_readme(f"a\n{rec.FINDINGS_START}\nold\n{rec.FINDINGS_END}\nb\n", ["- new"])
    assert "old" not in text and "- new" in text and text.startswith("a\n") and text.endswith("b\n")


def test_readme_findings_read_declared_fields_not_labels():
    up = _upstream()
    up.testing.calibration["table"] = [{"check": "A/A error with naive peeking (20 looks)", "estimate": 0.99}]
    up.testing.observational["truth"]["discount_ate_kept"] = 0.03
    bullets = rec.readme_findings(up)
    assert len(bullets) == 6 and all(b.startswith("- ") for b in bullets)
    assert bullets[0].startswith("- Conversion is 20.0% (95% CI 19.0% to 21.0%) and 60.0% of carts are abandoned")
    assert "best model (forest) reaches ROC-AUC 0.720, 90.0% of the best possible (0.800)" in bullets[2]
    assert "by +2.0 pp (95% CI +2.0 pp to +2.0 pp; true lift +2.1 pp); decision: ship." in bullets[3]
    assert "against a true +3.0 pp on those sessions (+4.0 pp on all)" in bullets[4]
    assert bullets[5] == (
        "- Calibration over 100 simulated A/A and A/B tests each: false-positive rate 5.0%, CI coverage 95.0%; "
        "naive peeking inflates errors to 25.0%, the mSPRT keeps them at 1.0%."
    )  # from calibration.aa / .ab, not from the table's labels (0.99 there)


def test_readme_findings_of_a_run_without_experiment_or_truth():
    bullets = rec.readme_findings(_upstream(simulated=False))
    assert len(bullets) == 4 and "checkout experiment" not in " ".join(bullets)


def test_resume_bullets_quote_the_fields():
    lines = rec.resume_bullets(_upstream())
    assert "Segmented 1,000 customers" in lines[2] and "stability ARI 0.90" in lines[2]
    assert "5.0% false positives at alpha 0.05, 95.0% interval coverage" in lines[3]
    assert len(lines) == 5 and len(rec.resume_bullets(_upstream(simulated=False))) == 4


@pytest.mark.parametrize("doc", DESIGN_DOCS)
def test_design_documents_exist_and_are_not_empty(doc):
    path = paths.PROJECT_ROOT / doc
    assert path.is_file(), doc
    assert len(path.read_text().strip().splitlines()) >= 3, doc
