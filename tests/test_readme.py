"""The README's claims that come from code must match the code."""

import re

import pytest

from ecommerce_analytics import paths
from ecommerce_analytics.cli import build_parser
from ecommerce_analytics.schema import contract_markdown
from ecommerce_analytics.simulate import DEFAULT_N_SESSIONS, DEFAULT_SEED

README = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_contract_table_is_the_schema():
    assert contract_markdown() in README


def test_quick_start_is_two_make_commands():
    block = README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make report", "make test"]


def test_default_run_parameters_are_stated_correctly():
    assert f"{DEFAULT_N_SESSIONS:,} sessions, seed {DEFAULT_SEED}" in README


def test_every_subcommand_is_documented():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert re.search(rf"ecommerce-analytics {name}\b", README), name


def test_ci_calls_the_readme_test_command():
    assert "make test" in (paths.PROJECT_ROOT / ".ci" / "run").read_text()


def _own_data_blocks() -> dict[str, str]:
    section = README.split("## Your own data", 1)[1].split("\n## ", 1)[0]
    return {lang: body for lang, body in re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)}


@pytest.mark.slow
def test_the_own_data_worked_example_runs_every_notebook_through_the_mapping(tmp_path, monkeypatch, capsys):
    """The README's worked example, block by block: make the file, write the mapping, validate, report."""
    from ecommerce_analytics.cli import main
    from ecommerce_analytics.pipeline import run_report
    from ecommerce_analytics.run import Run

    blocks = _own_data_blocks()
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks["python"], "make_shop.py", "exec"), {})
    (tmp_path / "shop.toml").write_text(blocks["toml"])
    commands = [line.split() for line in blocks["bash"].strip().splitlines()]
    assert commands[0] == ["ecommerce-analytics", "validate", "shop.csv", "--mapping", "shop.toml"]
    assert main(commands[0][1:]) == 0
    out = capsys.readouterr().out
    assert "Column mapping applied: 'customer_id' -> user_id" in out
    assert "Optional columns not in the data (analyses that need them are skipped): product_id, payment_method" in out
    # The report command, with its outputs in the temporary folder (the CLI writes into the project).
    assert commands[1] == "ecommerce-analytics report --source shop.csv --mapping shop.toml".split()
    from ecommerce_analytics.data.mapping import read_column_map

    run = Run(
        str(tmp_path / "shop.csv"),
        columns=read_column_map(tmp_path / "shop.toml"),
        reports_root=tmp_path / "reports",
        models_root=tmp_path / "models",
    )
    done = run_report(run)
    assert [p.stem[:2] for p in done.html] == ["01", "02", "03", "04", "05"]
    assert all((run.results_dir / f"{p.stem}.json").is_file() for p in done.html)
    # The skipped analyses say why in one sentence: notebook 04 names the covariates it could not adjust for.
    text = (run.report_dir / "notebooks" / "04_ab_testing_causal_inference.ipynb").read_text()
    assert (
        "Not adjusted for rating, sentiment_score, income_level, payment_method, gender (not in this dataset)" in text
    )
