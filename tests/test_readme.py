"""The README's claims that come from code must match the code."""

import re

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
