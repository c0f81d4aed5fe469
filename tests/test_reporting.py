"""Run names, the results envelope, number formatting and the figure export fallback."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from ecommerce_analytics import reporting, viz
from ecommerce_analytics.run import Run
from ecommerce_analytics.simulate import DEFAULT_N_SESSIONS, DEFAULT_SEED


@pytest.mark.parametrize(
    "args, expected",
    [
        (("simulated", DEFAULT_N_SESSIONS, DEFAULT_SEED), "default"),
        (("simulated", 1000, DEFAULT_SEED), "simulated-n1000-seed42"),
        (("/data/my file (2).csv", 1, 1), "file-my-file-2"),
    ],
)
def test_run_name(args, expected):
    assert Run(*args).name == expected


def test_save_results_writes_a_deterministic_envelope(tmp_path):
    run = Run("simulated", 10, 1, staging=tmp_path)
    results = {
        "rate": np.float64(0.25),
        "n": np.int64(7),
        "missing": float("nan"),
        "flag": np.bool_(True),
        "table": pd.DataFrame({"a": [1, 2], "b": [0.5, np.nan]}),
        "when": pd.Timestamp("2025-01-06"),
    }
    path = reporting.save_results("99_test", results, run)
    first = path.read_bytes()
    reporting.save_results("99_test", results, run)
    assert path.read_bytes() == first and path == tmp_path / "results" / "99_test.json"
    doc = json.loads(first)
    assert doc["run"] == {"name": "simulated-n10-seed1", "source": "simulated", "n_sessions": 10, "seed": 1}
    assert doc["results"] == {
        "rate": 0.25,
        "n": 7,
        "missing": None,
        "flag": True,
        "when": "2025-01-06T00:00:00",
        "table": [{"a": 1, "b": 0.5}, {"a": 2, "b": None}],
    }
    file_doc = json.loads(reporting.save_results("98_file", {}, Run("/x/y.csv", staging=tmp_path)).read_text())
    assert file_doc["run"] == {"name": "file-y", "source": "y.csv", "n_sessions": None, "seed": None}


def test_load_results_reads_what_was_saved_or_says_what_to_do(tmp_path):
    run = Run(reports_root=tmp_path)
    with pytest.raises(FileNotFoundError, match="run `make report`"):
        reporting.load_results("01_x", run)
    reporting.save_results("01_x", {"v": 1}, run)
    assert (tmp_path / "default" / "results" / "01_x.json").is_file()
    assert reporting.load_results("01_x", run)["results"] == {"v": 1}


def test_typed_results_refuse_another_version_and_unknown_fields(tmp_path):
    @dataclasses.dataclass
    class Old(reporting.NotebookResults):
        NOTEBOOK = "99_typed"
        VERSION = 1
        rate: float

    @dataclasses.dataclass
    class New(reporting.NotebookResults):
        NOTEBOOK = "99_typed"
        VERSION = 2
        rate: float

    run = Run(reports_root=tmp_path)
    Old(rate=0.5).save(run)
    assert Old.load(run) == Old(rate=0.5)
    with pytest.raises(reporting.ResultsVersionError, match="results version 1, this code reads version 2"):
        New.load(run)
    with pytest.raises(ValueError, match=r"missing fields \['rate'\], unknown fields \['other'\]"):
        Old.from_dict({"other": 1})


@pytest.mark.parametrize(
    "fn, value, text",
    [
        (reporting.pct, 0.1234, "12.3%"),
        (reporting.pp, -0.021, "-2.1 pp"),
        (reporting.pp, 0.0, "+0.0 pp"),
        (reporting.num, 20000, "20,000"),
        (reporting.num, 0, "0"),
        (reporting.num, 91.137, "91.14"),
    ],
)
def test_formatting(fn, value, text):
    assert fn(value) == text


def test_ci_text():
    assert reporting.ci(0.1, 0.2) == "95% CI 10.0% to 20.0%"


def test_without_a_browser_export_warns_once_and_returns_no_png(monkeypatch, caplog):
    monkeypatch.setitem(viz._state, "available", False)
    monkeypatch.setitem(viz._state, "warned", False)
    fig = go.Figure(go.Bar(x=["a"], y=[1]))
    assert viz.to_png(fig) is None and viz.to_png(fig) is None
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and r.name == "ecommerce_analytics.viz"]
    assert len(warnings) == 1 and warnings[0].getMessage().startswith("static PNG export is off")


def test_figure_json_is_deterministic_and_plain():
    fig = viz.rate_chart(
        pd.DataFrame(
            {"level": ["a", "b"], "rate": [0.1, 0.2], "ci_low": [0.05, 0.15], "ci_high": [0.15, 0.25], "n": [100, 200]}
        ),
        title="t",
    )
    a, b = viz.figure_json(fig), viz.figure_json(fig)
    assert a == b and json.loads(json.dumps(a)) == a  # plain JSON, same every time
    assert a["layout"]["title"]["text"] == "t" and a["data"][0]["type"] == "bar"
