"""The notebook pipeline: parameters, results JSON, offline HTML, static PNGs, determinism,
failure handling, and the committed notebooks."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from conftest import OTHER_FLOATING_POINT_ORDER, SMALL

from ecommerce_analytics import paths, precision, viz
from ecommerce_analytics.config import SIGNIFICANT_DIGITS
from ecommerce_analytics.database import build_database, run_query
from ecommerce_analytics.pipeline import (
    PLOTLY_MIME,
    STAGING_PREFIX,
    NotebookError,
    notebook_differences,
    notebook_paths,
    remove_stale_staging,
    run_report,
)
from ecommerce_analytics.reporting import RESULTS_SCHEMA_VERSION
from ecommerce_analytics.run import Run
from ecommerce_analytics.simulate import simulate

NOTEBOOKS = notebook_paths()
# Every test that executes notebooks is in the slow tier (`make test-fast` skips them).
SLOW = pytest.mark.slow


def _plotly_outputs(nb) -> list[dict]:
    return [
        o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if PLOTLY_MIME in o.get("data", {})
    ]


def _results(run, stem: str) -> dict:
    return json.loads((run.report_dir / "results" / f"{stem}.json").read_text())


def test_notebooks_exist_in_order():
    stems = [p.stem for p in NOTEBOOKS]
    assert stems == [
        "01_exploratory_data_analysis",
        "02_customer_segmentation",
        "03_purchase_prediction",
        "04_ab_testing_causal_inference",
        "05_business_recommendations",
    ]
    assert stems == sorted(stems)


def test_a_non_default_run_never_touches_the_committed_notebooks(small_run):
    result, before = small_run
    assert all(p.read_bytes() == content for p, content in before.items())
    assert [p.parent.name for p in result.notebooks] == ["notebooks"] * len(NOTEBOOKS)
    assert result.report_dir.name == "simulated-n1500-seed3"


def test_parameters_are_injected(small_run):
    nb = nbformat.read(small_run[0].notebooks[0], as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "N_SESSIONS = 1500" in injected[0].source and "SEED = 3" in injected[0].source


def test_results_json_has_a_stable_envelope(small_run):
    for path in NOTEBOOKS:
        doc = _results(small_run[0], path.stem)
        assert set(doc) == {"schema_version", "notebook", "version", "run", "results"}
        assert doc["schema_version"] == RESULTS_SCHEMA_VERSION and doc["notebook"] == path.stem
        assert doc["run"] == {"name": "simulated-n1500-seed3", "source": "simulated", "n_sessions": 1500, "seed": 3}


def test_notebook_01_conversion_equals_the_sql_query(small_run, tmp_path):
    res = _results(small_run[0], "01_exploratory_data_analysis")["results"]
    sessions = simulate(1500, seed=3).sessions
    sql = run_query(build_database(sessions, tmp_path / "check.sqlite"), "01_overall_metrics").iloc[0]
    # Results are written at 8 significant digits: equal to the query to that precision.
    assert res["metrics"]["conversion_rate"]["estimate"] == precision.round_float(sql.conversion_rate)
    assert res["metrics"]["cart_abandonment_rate"]["estimate"] == precision.round_float(sql.cart_abandonment_rate)
    assert res["sql_agreement"]["all_agree"] is True
    assert res["data_quality"]["rows_kept"] == 1500
    assert res["funnel_identity_rows"] == 1500


def test_notebook_02_reports_k_and_agreement_with_personas(small_run):
    res = _results(small_run[0], "02_customer_segmentation")["results"]
    assert 2 <= res["k"]["chosen"] <= 8 and res["k"]["chosen"] >= res["k"]["elbow"]
    assert 0 < res["ari_vs_personas"]["chosen_k"] <= 1 and res["ari_vs_personas"]["true_personas"] == 4
    assert res["cohorts"]["users_return"] is True
    assert sum(s["customers"] for s in res["segments"]) == res["customers"]


def test_notebook_03_validates_against_the_ceiling_and_saves_models(small_run):
    result, _ = small_run
    res = _results(result, "03_purchase_prediction")["results"]
    assert res["funnel_identity"]["identity_fails"] == 0
    assert "abandoned_cart" in res["excluded_features"]
    for stage in ("browse", "cart"):
        part = res[stage]
        assert {"observable", "all_knowing"} == set(part["ceilings"])
        assert part["ceilings"]["all_knowing"] > part["ceilings"]["observable"]
        assert 0.8 < part["share_of_observable_ceiling"] < 1.05  # small run: a looser bar than the default's 97%
        assert {row["model"] for row in part["table"]} == {
            "logistic_regression",
            "random_forest",
            "xgboost",
            "xgboost (tuned)",
        }
    assert res["shortcut_auc"]["+ add_to_cart + abandoned_cart (leak)"] == pytest.approx(1.0)
    names = sorted(p.name for p in result.models)
    assert names == ["browse_stage.card.json", "browse_stage.joblib", "cart_stage.card.json", "cart_stage.joblib"]
    assert all(p.parent.name == "simulated-n1500-seed3" for p in result.models)
    card = json.loads(next(p for p in result.models if p.name == "browse_stage.card.json").read_text())
    assert card["stage"] == "browse" and "abandoned_cart" not in card["features"] and card["holdout"]["roc_auc"]


def test_notebook_04_reads_out_the_experiment_and_calibrates(small_run):
    res = _results(small_run[0], "04_ab_testing_causal_inference")["results"]
    exp = res["experiment"]
    assert exp["srm"]["mismatch"] is False and exp["decision"] in {"ship", "do not ship", "inconclusive"}
    assert exp["true_absolute_lift"] > 0 and "ci_low" in exp["primary_session_conversion"]
    assert {r["verdict"] for r in exp["guardrails"]} <= {"passed", "failed", "inconclusive"}
    methods = {(r["test"], r["method"], r["estimand"]) for r in res["observational"]["estimates"]}
    assert len(methods) == 24  # three tests x (naive, RA/IPW/AIPW for ATE and ATT, matching ATT)
    assert set(res["observational"]["diagnostics"]) == {"discount", "engagement", "price"}
    assert all(row["within_target"] for row in res["calibration"]["table"])
    assert {d["test"] for d in res["decisions"]} >= {"discount (observational)", "checkout experiment (randomized)"}


def test_notebook_05_reads_upstream_results_and_carries_uncertainty(small_run):
    res = _results(small_run[0], "05_business_recommendations")["results"]
    assert len(res["insights"]) == 3 and len(res["recommendations"]) == 3
    for impact in res["impact_ranges"].values():
        assert impact["p5"] <= impact["median"] <= impact["p95"]
    assert res["assumptions"]["adoption"] == 0.8


def test_default_run_recovers_the_true_effects():
    res = json.loads((paths.REPORTS_DIR / "default" / "results" / "04_ab_testing_causal_inference.json").read_text())
    res = res["results"]
    assert res["experiment"]["ci_covers_truth"] is True
    truth = res["observational"]["truth"]
    ate = truth.get("discount_ate_kept", truth["discount_ate"])  # the ATE of the units kept after trimming
    for row in res["observational"]["estimates"]:
        if (
            row["test"] == "discount"
            and row.get("estimand", "ATE") == "ATE"
            and row["method"] in ("regression adjustment (Lin)", "AIPW (doubly robust)")
        ):
            assert row["ci_low"] <= ate <= row["ci_high"], row["method"]


def test_default_run_meets_the_ceiling_target():
    res = json.loads((paths.REPORTS_DIR / "default" / "results" / "03_purchase_prediction.json").read_text())["results"]
    for stage in ("browse", "cart"):
        assert res[stage]["share_of_observable_ceiling"] >= 0.97, stage


def test_html_reports_are_offline_and_carry_every_figure(small_run):
    result, _ = small_run
    for nb_path, html_path in zip(result.notebooks, result.html, strict=True):
        html = html_path.read_text()
        figures = len(_plotly_outputs(nbformat.read(nb_path, as_version=4)))
        assert figures >= 1
        assert len(re.findall(r'<div [^>]*id="figure-\d+"', html)) == figures
        assert re.findall(r'<(?:script|link)[^>]*(?:src|href)="https?://', html) == []  # nothing fetched online
        # One shared local copy of plotly.js per run folder, referenced by every report.
        assert html.count('<script src="assets/plotly.min.js">') == 1
        assert (html_path.parent / "assets" / "plotly.min.js").is_file()


def test_every_figure_has_a_static_png(small_run):
    if not viz.static_export_available():
        pytest.skip("no Chromium-based browser on this machine: `make setup` installs Debian's chromium")
    for nb_path in small_run[0].notebooks:
        outputs = _plotly_outputs(nbformat.read(nb_path, as_version=4))
        assert outputs and all("image/png" in o["data"] for o in outputs)


@SLOW
def test_a_failing_cell_names_the_notebook_and_leaves_nothing_behind(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("SOURCE = 'simulated'\nN_SESSIONS = 10\nSEED = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1\n1 / 0"),
    ]
    nbformat.write(nb, folder / "01_broken.ipynb")
    reports = tmp_path / "reports"
    staging_before = set(Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}{os.getpid()}-*"))
    with pytest.raises(NotebookError) as info:
        run_report(Run("simulated", 10, 1, reports_root=reports, models_root=tmp_path / "m"), notebooks_dir=folder)
    message = str(info.value)
    assert message == "01_broken.ipynb: code cell 3 (x = 1) failed: ZeroDivisionError: division by zero"
    assert not any(reports.rglob("*.html")) and not any(reports.rglob("*.json"))
    assert set(Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}{os.getpid()}-*")) == staging_before


@SLOW
def test_rerunning_gives_byte_identical_notebooks(small_run, tmp_path):
    """Same machine, same run: the same bytes, PNGs included."""
    again = run_report(dataclasses.replace(SMALL, reports_root=tmp_path / "r", models_root=tmp_path / "m"), ["01"])
    first = small_run[0]
    assert again.notebooks[0].read_bytes() == first.notebooks[0].read_bytes()
    assert again.results[0].read_bytes() == first.results[0].read_bytes()


def test_notebook_differences_name_the_cell_and_the_value(tmp_path):
    committed = NOTEBOOKS[3]
    nb = nbformat.read(committed, as_version=4)
    assert notebook_differences(committed, committed) == []
    figure_cell = next(
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and _plotly_outputs(nbformat.from_dict({"cells": [c]}))
    )
    output = next(o for o in nb.cells[figure_cell].outputs if PLOTLY_MIME in o.get("data", {}))
    trace = output["data"][PLOTLY_MIME]["data"][0]
    key = next(k for k in ("y", "x") if isinstance(trace.get(k), list) and isinstance(trace[k][0], float))
    value = trace[key][0]
    changed = tmp_path / committed.name
    trace[key][0] = precision.round_float(value * (1 + 3e-8))  # beyond the stated precision: a real change
    nbformat.write(nb, changed)
    found = notebook_differences(changed, committed)
    assert len(found) == 1 and f"data[0].{key}[0]" in found[0] and "code cell" in found[0], found
    trace[key][0] = value * (1 + 1e-12)  # the last bits only: within the stated precision
    nbformat.write(nb, changed)
    assert notebook_differences(changed, committed) == []


def test_the_other_floating_point_order_changes_raw_results():
    """The environment of the machine-independence test really changes floating-point results
    here (otherwise that test would prove nothing); rounded to the stated precision, they agree."""
    script = (
        "import numpy as np\nrng = np.random.default_rng(0)\nx, y = rng.standard_normal((2, 2_000_003))\n"
        "a = rng.standard_normal((400, 300))\nprint(repr(float(x @ y)), repr(float((a.T @ a).sum())))"
    )

    def raw(env: dict) -> list[float]:
        out = subprocess.run(
            [sys.executable, "-c", script], env={**os.environ, **env}, capture_output=True, text=True, check=True
        ).stdout.split()
        return [float(v) for v in out]

    here, other = raw({}), raw(OTHER_FLOATING_POINT_ORDER)
    if here == other:
        pytest.skip(
            "this machine's BLAS gives the same bits under the other order: the machine-independence "
            "test proves nothing here"
        )
    assert [precision.round_float(v) for v in here] == [precision.round_float(v) for v in other]


def test_committed_notebooks_are_the_default_run_of_this_code(default_run):
    """`make report` on an unchanged tree must not change the committed notebooks or results, on
    this machine or any other: the default run is re-executed under another floating-point
    reduction order (another BLAS kernel and thread count), and text must match exactly, numbers
    to the stated precision."""
    problems = []
    for executed, committed in zip(default_run.notebooks, NOTEBOOKS, strict=True):
        problems += notebook_differences(executed, committed)
    for produced in default_run.results:
        committed = paths.REPORTS_DIR / "default" / "results" / produced.name
        diff = precision.first_difference(json.loads(produced.read_text()), json.loads(committed.read_text()))
        if diff:
            problems.append(f"{committed.name}: {diff}")
    assert not problems, "stale or machine-dependent (run `make report`):\n" + "\n".join(problems[:10])


def test_committed_results_have_at_most_8_significant_digits():
    def floats(value):
        if isinstance(value, dict):
            for v in value.values():
                yield from floats(v)
        elif isinstance(value, list):
            for v in value:
                yield from floats(v)
        elif isinstance(value, float):
            yield value

    files = sorted((paths.REPORTS_DIR / "default" / "results").glob("*.json")) + sorted(paths.MODELS_DIR.glob("*.json"))
    assert len(files) >= 5
    for path in files:
        long = [v for v in floats(json.loads(path.read_text())) if precision.round_float(v) != v]
        assert not long, f"{path.name}: {long[:3]} have more than {SIGNIFICANT_DIGITS} significant digits"


def test_committed_notebooks_render_on_github():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        reporting_cells = [c for c in code if "say(" in c.source or "viz.show(" in c.source]
        assert reporting_cells and all(c.outputs for c in reporting_cells), path.name
        assert not any(o.get("output_type") == "error" for c in code for o in c.outputs), path.name
        assert "papermill" not in nb.metadata and not any("execution" in c.metadata for c in code)
        figures = _plotly_outputs(nb)
        assert figures and all("image/png" in o["data"] for o in figures), f"{path.name}: a figure lacks its PNG"


@pytest.mark.kaggle
def test_notebooks_on_the_kaggle_file(kaggle_run):
    nb01 = _results(kaggle_run, "01_exploratory_data_analysis")
    assert nb01["run"] == {
        "name": "file-consumer_behavior_dataset",
        "source": "consumer_behavior_dataset.csv",
        "n_sessions": None,
        "seed": None,
    }
    res = nb01["results"]
    assert res["data_quality"]["rows_kept"] == 5000 and res["data_quality"]["rows_quarantined"] == 0
    assert res["funnel_identity_rows"] == 5000
    assert res["sql_agreement"]["all_agree"] is True
    # On this file no segment difference survives the correction: the raw gaps are chance.
    assert res["screen"]["significant_after_holm"] == 0 < res["screen"]["significant_unadjusted"]
    nb03 = _results(kaggle_run, "03_purchase_prediction")["results"]
    assert nb03["funnel_identity"] == {"rows": 5000, "identity_holds": 5000, "identity_fails": 0}
    for stage in ("browse", "cart"):
        best = next(r for r in nb03[stage]["table"] if r["best"])
        assert 0.4 < best["test_auc"] < 0.6 and nb03[stage]["permutation_test"]["p_value"] > 0.05
        assert nb03[stage]["ceilings"] == {}
    assert nb03["shortcut_auc"]["+ add_to_cart"] > 0.8 > nb03["shortcut_auc"]["browse features"]
    nb04 = _results(kaggle_run, "04_ab_testing_causal_inference")["results"]
    assert "experiment" not in nb04  # no randomized experiment in this file
    aipw = [
        r
        for r in nb04["observational"]["estimates"]
        if r["method"] == "AIPW (doubly robust)" and r["estimand"] == "ATE"
    ]
    assert len(aipw) == 3 and all(r["ci_low"] < 0 < r["ci_high"] for r in aipw)  # nulls, reported as such
    nb05 = _results(kaggle_run, "05_business_recommendations")["results"]
    assert nb05["impact_ranges"] == {}
    assert "cannot tell us" in " ".join(r["impact"] for r in nb05["recommendations"])
    nb02 = _results(kaggle_run, "02_customer_segmentation")["results"]
    assert nb02["cohorts"]["users_return"] is False and nb02["sessions_per_customer"] == 1.0
    assert "ari_vs_personas" not in nb02


def test_a_killed_runs_staging_folder_is_removed_by_the_next_run(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs, as after a SIGKILL
    stale = tmp_path / f"{STAGING_PREFIX}{dead.pid}-abc123"
    (stale / "results").mkdir(parents=True)
    (stale / "kernel.json").write_text("{}")
    alive = tmp_path / f"{STAGING_PREFIX}{os.getpid()}-def456"  # this process: still running
    alive.mkdir()
    assert remove_stale_staging(tmp_path) == [stale]
    assert not stale.exists() and alive.exists()


@SLOW
def test_ctrl_c_prints_one_line_and_exits_130(tmp_path):
    """SIGINT while a notebook runs: one line, exit status 130, nothing of that notebook written,
    no staging folder or kernel left behind."""
    import signal
    import time

    report_dir = paths.REPORTS_DIR / "simulated-n2500-seed91"
    shutil.rmtree(report_dir, ignore_errors=True)
    script = (
        "import sys\nfrom ecommerce_analytics.cli import main\n"
        "sys.exit(main(['report', '--n-sessions', '2500', '--seed', '91', '--notebooks', '01', "
        f"'--db', {str(tmp_path / 'db.sqlite')!r}]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    while True:
        line = proc.stderr.readline()
        seen.append(line)
        if "executing" in line or not line:
            break
    time.sleep(2)  # inside a cell
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    lines = [line for line in rest.splitlines() if line.strip()]
    assert proc.returncode == 130, "".join(seen) + rest
    assert lines == ["interrupted: 01_exploratory_data_analysis, nothing written"], rest
    assert not list(report_dir.rglob("01_*"))
    assert not list(Path(tempfile.gettempdir()).glob(f"{STAGING_PREFIX}{proc.pid}-*"))


def test_injected_output_folders_are_removed_and_counts_renumbered():
    from ecommerce_analytics.pipeline.execute import _inject_parameters, _remove_output_dirs

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("SOURCE = 'simulated'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    run = Run("simulated", 10, 1)
    _inject_parameters(nb, run, Path("/tmp/staging-x"))
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags == [["parameters"], ["injected-parameters"], ["injected-outputs"], []]
    assert "OUTPUT_DIRS = {'staging': '/tmp/staging-x'" in nb.cells[2].source
    for count, cell in enumerate(nb.cells, 1):  # as the kernel numbers them
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=count)]
    _remove_output_dirs(nb)
    assert [c.metadata.get("tags", []) for c in nb.cells] == [["parameters"], ["injected-parameters"], []]
    assert [c.execution_count for c in nb.cells] == [1, 2, 3]
    assert [c.outputs[0]["execution_count"] for c in nb.cells] == [1, 2, 3]
    # The default run gets no injected parameters, only the output folders (removed afterwards).
    nb.cells = nb.cells[:1] + nb.cells[2:]
    _inject_parameters(nb, Run(), Path("/tmp/s"))
    assert [c.metadata.get("tags", []) for c in nb.cells] == [["parameters"], ["injected-outputs"], []]


def test_no_run_state_travels_through_environment_variables():
    """Only documented, read-only uses of os.environ are left in the package."""
    allowed = {
        "paths.py": "ECOMMERCE_ANALYTICS_ROOT",  # point the package at another checkout
        "spark_engine.py": "JAVA_HOME",  # where the Java runtime of the Spark engine is (read only)
        "download.py": "KAGGLE",  # the Kaggle CLI's own credentials
        "execute.py": "{**os.environ, **kernel_env}",  # the caller's extra kernel variables, copied
    }
    package = Path(__file__).resolve().parents[1] / "src" / "ecommerce_analytics"
    for path in package.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "os.environ" in line and not line.lstrip().startswith("#"):
                assert path.name in allowed and allowed[path.name] in line, f"{path.name}: {line.strip()}"
                assert not re.search(r"os\.environ(\[[^]]+\]\s*=|\.update|\.pop|\.setdefault)", line), line
