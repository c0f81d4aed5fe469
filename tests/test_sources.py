"""A run's data are made once: the stored run equals a fresh simulation, is reused only by the
same code and parameters, and the database is rebuilt only when its data changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ecommerce_analytics import paths, sources
from ecommerce_analytics.simulate import Simulation, simulate

N, SEED = 1200, 23


@pytest.fixture()
def isolated_store(tmp_path, monkeypatch):
    """Stored runs and databases go to a temporary folder."""
    monkeypatch.setattr(paths, "RUNS_DATA_DIR", tmp_path / "runs")
    monkeypatch.setattr(paths, "PROCESSED_DIR", tmp_path)
    monkeypatch.setattr(paths, "run_data_dir", lambda run="default": tmp_path / "runs" / run)
    monkeypatch.setattr(paths, "database_path", lambda run="default": tmp_path / f"{run}.sqlite")
    return tmp_path


def test_a_simulation_round_trips_through_its_folder(tmp_path):
    sim = simulate(800, seed=4)
    back = Simulation.from_folder(sim.to_folder(tmp_path / "sim"))
    for name in ("sessions", "assignments", "pre_period"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(sim, name))
    pd.testing.assert_frame_equal(back.truth.sessions, sim.truth.sessions)
    pd.testing.assert_frame_equal(back.truth.users, sim.truth.users)
    for field in ("discount_ate", "discount_att", "experiment", "price_elasticity", "params", "personas"):
        assert getattr(back.truth, field) == getattr(sim.truth, field), field


def test_prepare_stores_the_run_and_notebooks_read_it_instead_of_simulating(isolated_store, monkeypatch):
    prepared = sources.prepare_source(n_sessions=N, seed=SEED)
    assert (
        not prepared.from_store and (isolated_store / "runs" / f"simulated-n{N}-seed{SEED}" / "manifest.json").is_file()
    )

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated again")

    monkeypatch.setattr(sources, "simulate", no_simulation)
    again = sources.load_source(n_sessions=N, seed=SEED)
    assert again.from_store and again.fingerprint == prepared.fingerprint
    pd.testing.assert_frame_equal(again.sessions, prepared.sessions)
    assert again.loaded.report == prepared.loaded.report
    assert (again.loaded.lines == prepared.loaded.lines).all()
    assert again.simulation.truth.discount_ate == prepared.simulation.truth.discount_ate


def test_a_store_made_by_other_code_or_parameters_is_not_used(isolated_store):
    sources.prepare_source(n_sessions=N, seed=SEED)
    manifest = isolated_store / "runs" / f"simulated-n{N}-seed{SEED}" / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["fingerprint"] = "made-by-an-older-version"
    manifest.write_text(json.dumps(doc))
    assert not sources.load_source(n_sessions=N, seed=SEED).from_store
    assert not sources.load_source(n_sessions=N, seed=SEED + 1).from_store  # nothing stored for this seed
    assert not sources.load_source(n_sessions=N, seed=SEED, use_store=False).from_store


def test_a_broken_store_falls_back_to_simulating(isolated_store):
    sources.prepare_source(n_sessions=N, seed=SEED)
    (isolated_store / "runs" / f"simulated-n{N}-seed{SEED}" / "sessions.parquet").write_bytes(b"not parquet")
    data = sources.load_source(n_sessions=N, seed=SEED)
    assert not data.from_store and len(data.sessions) == N


def test_the_database_is_built_once_and_rebuilt_when_the_data_change(isolated_store):
    data = sources.prepare_source(n_sessions=N, seed=SEED)
    db = sources.ensure_database(data)
    assert db == isolated_store / f"simulated-n{N}-seed{SEED}.sqlite" and db.is_file()
    built = db.stat().st_mtime_ns
    assert sources.ensure_database(sources.load_source(n_sessions=N, seed=SEED)) == db
    assert db.stat().st_mtime_ns == built  # same data: not rebuilt
    other = sources.load_source(n_sessions=N + 1, seed=SEED)
    sources.ensure_database(other, db)
    assert db.stat().st_mtime_ns != built  # other data in the same file: rebuilt


def test_a_file_source_has_a_fingerprint_of_its_content(tmp_path, small_sim):
    path = tmp_path / "s.csv"
    small_sim.sessions.head(300).to_csv(path, index=False)
    first = sources.load_source(path)
    assert first.fingerprint == sources.load_source(path).fingerprint and not first.is_simulated
    small_sim.sessions.head(301).to_csv(path, index=False)
    assert sources.load_source(path).fingerprint != first.fingerprint


@pytest.fixture()
def package_copy(tmp_path):
    """A copy of the package's source files, to change one without touching the real ones."""
    copy = tmp_path / "pkg"
    shutil.copytree(Path(sources.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_code_fingerprint_changes_with_any_module_of_the_data_subpackage(package_copy):
    base = sources.code_fingerprint(package_copy)
    assert base == sources.code_fingerprint()  # same code, same fingerprint wherever it lies
    data_files = sorted((package_copy / "data").glob("*.py"))
    assert {"__init__.py", "reading.py", "encoding.py", "header.py", "validation.py"} <= {p.name for p in data_files}
    for path in [*data_files, package_copy / "schema.py", package_copy / "simulate.py"]:
        original = path.read_bytes()
        path.write_bytes(original + b"\n# changed\n")
        assert sources.code_fingerprint(package_copy) != base, path.name
        path.write_bytes(original)
    assert sources.code_fingerprint(package_copy) == base
    (package_copy / "data" / "new_rule.py").write_text("RULE = 1\n")  # a module added to the subpackage
    assert sources.code_fingerprint(package_copy) != base
    (package_copy / "data" / "new_rule.py").unlink()
    (package_copy / "viz" / "__init__.py").write_text("# figures do not make data\n")
    assert sources.code_fingerprint(package_copy) == base


def test_a_stored_run_is_not_reused_after_a_data_module_changes(isolated_store, package_copy, monkeypatch):
    sources.prepare_source(n_sessions=N, seed=SEED)
    assert sources.load_source(n_sessions=N, seed=SEED).from_store
    reading = package_copy / "data" / "reading.py"
    reading.write_text(reading.read_text() + "\n# a changed reader\n")
    real = sources.code_fingerprint
    monkeypatch.setattr(sources, "code_fingerprint", lambda: real(package_copy))
    assert not sources.load_source(n_sessions=N, seed=SEED).from_store
