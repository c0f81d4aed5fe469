"""Benchmarks of the SQL library on its engines (issue 15).

* The 20 queries on 10M simulated sessions on DuckDB (views over the Parquet files), against
  SQLite on the same data in the same run: target < 60 s for DuckDB, and >= 5x faster than
  SQLite (a ``problem`` otherwise). The data (Parquet, then a SQLite file built from it in
  batches) are set-up, not timed; they are written to a temporary folder under ``.bench``.
* The library on Spark ``local[2]``, 1M sessions (session start-up included; generous target).

The Parquet data come from ``simulate_to_parquet``; without it (older trees), from
``simulate(1_000_000, seed + i)`` chunks with consecutive ``session_id``.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def write_parquet(n_sessions: int, seed: int, out_dir: Path) -> Path:
    """A Parquet dataset of ``n_sessions`` simulated sessions in ``out_dir`` (set-up)."""
    try:
        from ecommerce_analytics.simulate import simulate_to_parquet
    except ImportError:
        simulate_to_parquet = None
    if simulate_to_parquet is not None:
        simulate_to_parquet(n_sessions, seed, out_dir, chunk_size=1_000_000)
        return out_dir
    from ecommerce_analytics.simulate import simulate

    (out_dir / "customer_sessions").mkdir(parents=True)
    done, part = 0, 0
    while done < n_sessions:
        n = min(1_000_000, n_sessions - done)
        sessions = simulate(n, seed=seed + part).sessions
        sessions.insert(0, "session_id", range(done + 1, done + n + 1))
        sessions.to_parquet(out_dir / "customer_sessions" / f"part-{part:05d}.parquet", index=False)
        done, part = done + n, part + 1
    return out_dir


def duckdb_vs_sqlite(n_sessions: int = 10_000_000, seed: int = 42) -> dict:
    """Time the 20 queries on DuckDB (Parquet) and on SQLite (a file of the same rows)."""
    from ecommerce_analytics.database import run_all
    from ecommerce_analytics.engines import connect_engine, parquet_to_sqlite

    (ROOT / ".bench").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="engines-", dir=ROOT / ".bench"))
    try:
        t0 = time.perf_counter()
        data = write_parquet(n_sessions, seed, work / "parquet")
        db = parquet_to_sqlite(data, work / "sessions.sqlite", batch_size=500_000)
        setup = time.perf_counter() - t0
        t0 = time.perf_counter()
        with connect_engine("duckdb", parquet=data) as engine:
            duck = run_all(engine)
        duck_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        lite = run_all(db)
        lite_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert list(duck) == list(lite) and duck["01_overall_metrics"].sessions.item() == n_sessions
    ratio = lite_s / duck_s
    out = {
        "seconds": duck_s,
        "sqlite_seconds": round(lite_s, 2),
        "ratio": round(ratio, 2),
        "setup_seconds": round(setup, 1),
        "note": f"DuckDB {duck_s:.1f} s, SQLite {lite_s:.1f} s on the same data: {ratio:.1f}x",
    }
    if ratio < 5:
        out["problem"] = f"DuckDB is only {ratio:.1f}x faster than SQLite (target >= 5x)"
    return out


def spark_local(n_sessions: int = 1_000_000, seed: int = 42, master: str = "local[2]") -> dict:
    """Time the 20 queries on Spark (``master``), session start-up included."""
    from ecommerce_analytics.database import run_all
    from ecommerce_analytics.engines import connect_engine

    (ROOT / ".bench").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="engines-spark-", dir=ROOT / ".bench"))
    try:
        data = write_parquet(n_sessions, seed, work / "parquet")
        t0 = time.perf_counter()
        with connect_engine("spark", parquet=data, master=master) as engine:
            started = time.perf_counter() - t0
            results = run_all(engine)
        seconds = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert results["01_overall_metrics"].sessions.item() == n_sessions
    return {"seconds": seconds, "note": f"{master}, session start-up {started:.1f} s included"}


def _code(call: str) -> str:
    """A benchmark's code string: run ``call`` and print its time and fields for run.py."""
    return (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_engines as b; "
        f"r = b.{call}; print('BENCH_INNER', r.pop('seconds')); print('BENCH_EXTRA ' + json.dumps(r))"
    )


# name: (python code, target seconds, target peak GiB or None)
BENCHMARKS: dict[str, tuple[str, float, float | None]] = {
    "the 20 SQL queries on 10M sessions, DuckDB (vs SQLite)": (_code("duckdb_vs_sqlite(10_000_000)"), 60.0, None),
    "the SQL library on Spark local[2], 1M sessions": (_code("spark_local(1_000_000)"), 600.0, None),
}


if __name__ == "__main__":  # quick look: python tests/benchmarks/bench_engines.py 1000000
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(duckdb_vs_sqlite(n), indent=2))
