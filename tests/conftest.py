"""Shared fixtures. The Kaggle file is read from ../shared (never copied into the project);
tests that need it skip, with the reason shown by `pytest -ra`, where it is absent."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ecommerce_analytics import paths
from ecommerce_analytics.data import load_sessions
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
