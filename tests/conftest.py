"""Shared fixtures. The Kaggle file is read from ../shared (never copied into the project);
tests that need it skip, with the reason shown by `pytest -ra`, where it is absent.

Notebook runs are session-scoped: each one that tests need is executed once per test session
and shared by the pipeline, docs and README tests (they are the slow tier: `-m "not slow"`
skips every test that uses them)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from ecommerce_analytics import paths
from ecommerce_analytics.data import load_sessions
from ecommerce_analytics.pipeline import run_report
from ecommerce_analytics.run import Run
from ecommerce_analytics.simulate import simulate

sys.path.insert(0, str(Path(__file__).parent))  # for tests/sql_reference.py

KAGGLE_SKIP_REASON = (
    f"Kaggle file not found at {paths.SHARED_KAGGLE_CSV} (CI and developers have it in ../shared/data; "
    "users fetch it with `ecommerce-analytics fetch-kaggle`)"
)


@pytest.fixture(scope="session")
def kaggle_csv() -> Path:
    if not paths.SHARED_KAGGLE_CSV.is_file():
        pytest.skip(KAGGLE_SKIP_REASON)
    return paths.SHARED_KAGGLE_CSV


@pytest.fixture(scope="session")
def kaggle_sessions(kaggle_csv):
    return load_sessions(kaggle_csv).sessions


@pytest.fixture(scope="session")
def small_sim():
    """A small simulation shared by fast tests."""
    return simulate(3000, seed=7)


@pytest.fixture(scope="session")
def large_sim():
    """A large simulation for statistical checks of the ground truth."""
    return simulate(200_000, seed=11)


#: A small non-default run: parameters are injected, outputs go to temporary folders.
SMALL = Run("simulated", 1500, 3)

#: Another floating-point reduction order than this machine's default: a different OpenBLAS
#: kernel (Haswell's AVX2 code instead of, e.g., SkylakeX's AVX-512) and one BLAS thread instead
#: of several. Sums come out different in their last bits (test_pipeline checks that they do);
#: the committed files must not change.
OTHER_FLOATING_POINT_ORDER = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def _in_temporary_folders(run: Run, tmp_path_factory) -> Run:
    """The run with its reports and models in fresh temporary folders."""
    return dataclasses.replace(
        run, reports_root=tmp_path_factory.mktemp("reports"), models_root=tmp_path_factory.mktemp("models")
    )


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """All notebooks on 1,500 simulated sessions (seed 3), and the committed notebooks' bytes before."""
    before = {p: p.read_bytes() for p in sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))}
    result = run_report(_in_temporary_folders(SMALL, tmp_path_factory))
    return result, before


@pytest.fixture(scope="session")
def kaggle_run(tmp_path_factory, kaggle_csv):
    """All notebooks on the Kaggle file."""
    return run_report(_in_temporary_folders(Run(str(kaggle_csv)), tmp_path_factory))


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The default run, executed once per test session under another floating-point reduction
    order, into temporary folders (the committed notebooks are not touched)."""
    return run_report(
        _in_temporary_folders(Run(), tmp_path_factory),
        in_place=False,
        kernel_env=OTHER_FLOATING_POINT_ORDER,
    )


NOTEBOOK_RUN_FIXTURES = {"small_run", "kaggle_run", "default_run"}


def pytest_collection_modifyitems(config, items):
    """A test that uses a notebook run is slow, whether or not it says so."""
    for item in items:
        if NOTEBOOK_RUN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
