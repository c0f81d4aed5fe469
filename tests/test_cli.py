"""The command line: real runs in temporary folders, and one-line errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from ecommerce_analytics.cli import main


def test_simulate_writes_the_tables_and_the_truth(tmp_path, capsys):
    assert main(["-q", "simulate", "--n-sessions", "500", "--seed", "3", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "experiment_assignments.csv",
        "sessions.csv",
        "truth_sessions.csv",
        "truth_summary.json",
        "user_pre_period.csv",
    ]
    assert len(pd.read_csv(tmp_path / "sessions.csv")) == 500
    assert json.loads((tmp_path / "truth_summary.json").read_text())["n_sessions"] == 500


def test_validate_prints_the_report_and_writes_the_quarantine(tmp_path, capsys):
    main(["-q", "simulate", "--n-sessions", "200", "--out", str(tmp_path)])
    frame = pd.read_csv(tmp_path / "sessions.csv")
    frame.loc[[3, 4], "rating"] = 0
    frame.to_csv(tmp_path / "bad.csv", index=False)
    capsys.readouterr()
    code = main(
        [
            "validate",
            str(tmp_path / "bad.csv"),
            "--quarantine-out",
            str(tmp_path / "q.csv"),
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Rows read: 200 | kept: 198 | quarantined: 2 (1.0%)" in out
    assert "rating: out of domain (1 <= rating <= 5): 2" in out
    assert pd.read_csv(tmp_path / "q.csv").line.tolist() == [5, 6]
    assert json.loads((tmp_path / "r.json").read_text())["rows_quarantined"] == 2


@pytest.mark.parametrize(
    "argv, message",
    [
        (["validate", "{tmp}/missing.csv"], "missing.csv: file not found"),
        (["validate", "{tmp}"], "is a directory, not a data file"),
        (["sql", "--db", "{tmp}/none.sqlite"], "database not found"),
        (["report", "--source", "{tmp}/missing.csv"], "missing.csv: file not found"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(argv, message, tmp_path, capsys):
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 or err[-1].startswith("error:")
    assert err[-1].startswith("error: ") and message in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_unknown_query_is_a_clear_error(tmp_path, capsys):
    main(["-q", "build-db", "--n-sessions", "300", "--db", str(tmp_path / "d.sqlite")])
    capsys.readouterr()
    assert main(["sql", "nope", "--db", str(tmp_path / "d.sqlite")]) == 2
    assert "unknown query 'nope'" in capsys.readouterr().err


def test_build_db_then_sql_prints_and_saves_results(tmp_path, capsys):
    db = tmp_path / "d.sqlite"
    assert main(["-q", "build-db", "--n-sessions", "400", "--seed", "9", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["sql", "1", "08", "--db", str(db), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "== 01_overall_metrics: What are the headline product metrics" in out
    assert "Browsed 2+ pages" in out
    saved = pd.read_csv(tmp_path / "out" / "01_overall_metrics.csv")
    assert saved.sessions.item() == 400


def test_sql_list_names_every_question(capsys):
    assert main(["sql", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 20 and all(": " in line and line.endswith("?") for line in lines)


def test_report_runs_end_to_end_on_a_small_simulation(tmp_path, capsys):
    db = tmp_path / "r.sqlite"
    assert main(["report", "--n-sessions", "1500", "--seed", "4", "--db", str(db), "--no-notebooks"]) == 0
    captured = capsys.readouterr()
    assert "Rows read: 1,500 | kept: 1,500 | quarantined: 0" in captured.out
    assert "(20 SQL queries run on sqlite)" in captured.out
    assert "Simulator truth: discount offer effect (ATE)" in captured.out
    assert "[20/20] 20_weekly_trend" in captured.err  # progress is shown
    assert db.is_file()


@pytest.mark.kaggle
def test_report_on_the_kaggle_file(tmp_path, capsys, kaggle_csv):
    assert (
        main(["-q", "report", "--source", str(kaggle_csv), "--db", str(tmp_path / "k.sqlite"), "--no-notebooks"]) == 0
    )
    out = capsys.readouterr().out
    assert "Rows read: 5,000 | kept: 5,000 | quarantined: 0" in out
    assert "conversion 24.7%" in out and "cart abandonment 50.1%" in out
    assert "Simulator truth" not in out


def test_fetch_kaggle_without_credentials_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KAGGLE_USERNAME", raising=False)
    monkeypatch.delenv("KAGGLE_KEY", raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path))
    assert main(["fetch-kaggle", "--dest", str(tmp_path)]) == 2
    assert "no Kaggle credentials" in capsys.readouterr().err


def test_console_script_and_module_entry_points_exist():
    proc = subprocess.run([sys.executable, "-m", "ecommerce_analytics", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "report" in proc.stdout and "validate" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "ecommerce_analytics", "simulate", "--n-sessions", "0"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "must be at least 1" in bad.stderr


def test_simulate_writes_parquet_in_chunks_and_csv_stays_capped_in_memory(tmp_path, capsys):
    import pandas as pd

    outs = []
    for chunk in (700, 2500):
        out = tmp_path / f"pq{chunk}"
        assert (
            main(
                [
                    "-q",
                    "simulate",
                    "--format",
                    "parquet",
                    "--n-sessions",
                    "2500",
                    "--chunk-size",
                    str(chunk),
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        outs.append(pd.read_parquet(out / "customer_sessions"))
    assert len(list((tmp_path / "pq700" / "customer_sessions").glob("*.parquet"))) == 4
    pd.testing.assert_frame_equal(outs[0], outs[1])  # same seed, same data, whatever the chunk size
    assert main(["-q", "simulate", "--n-sessions", "5000001", "--out", str(tmp_path / "c")]) == 2
    assert "at most 5,000,000 sessions in memory" in capsys.readouterr().err
