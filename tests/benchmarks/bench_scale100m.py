"""Benchmarks of notebook 01's metrics computed in DuckDB on large Parquet sources (issue 15).

* ``notebook 01 metrics on 10M sessions via DuckDB`` (default bench): the product metrics with
  their intervals and the funnel (:func:`ecommerce_analytics.scale.product_metrics_in_engine`,
  :func:`~ecommerce_analytics.scale.funnel_in_engine`) on 10M simulated sessions read in place.
* ``100m: notebook 01 metrics on 100M sessions via DuckDB`` (opt-in: ``make bench BENCH=100m``):
  the same on 100M sessions; issue 15's target is < 600 s with a peak < 8 GiB.

The data are set-up, not timed: ``simulate_to_parquet(n, seed=42)`` writes them once to
``.bench/data/sim-10m`` and ``.bench/data/sim-100m`` (about 2.2 and 22 GiB), kept for the next run
(``simulation.json`` marks a complete dataset). For 100M, a complete ``.bench/parquet_100m`` of
``bench_scale.py`` with the same size and seed is read instead when it exists. The build runs in a
child process, so ``BENCH_INNER`` and the ``metric_step_peak_gib`` of the note are the metric
step's alone (run.py's peak also counts that child in a run that builds the data).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / ".bench" / "data"
SEED = 42


def _complete(folder: Path, n_sessions: int, seed: int = SEED) -> bool:
    """A finished ``simulate_to_parquet`` dataset of ``n_sessions`` sessions and ``seed``."""
    manifest = folder / "simulation.json"
    if not manifest.is_file():
        return False
    meta = json.loads(manifest.read_text())
    return meta.get("n_sessions") == n_sessions and meta.get("seed") == seed


def dataset(n_sessions: int, tag: str) -> tuple[Path, float]:
    """The Parquet dataset of ``n_sessions`` sessions (built in a child process when missing), and build seconds."""
    folder = DATA / f"sim-{tag}"
    shared = ROOT / ".bench" / f"parquet_{tag}"  # bench_scale.py's copy (kept for the 100M one)
    for candidate in (folder, shared):
        if _complete(candidate, n_sessions):
            return candidate, 0.0
    DATA.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    code = (
        "from ecommerce_analytics.simulate import simulate_to_parquet; "
        f"simulate_to_parquet({n_sessions}, seed={SEED}, out_dir={str(folder)!r}, chunk_size=1_000_000, overwrite=True)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    return folder, time.perf_counter() - t0


def notebook01_metrics(n_sessions: int, tag: str) -> dict:
    """Time the product metrics and the funnel of notebook 01 on DuckDB over the Parquet folder."""
    from ecommerce_analytics.engines import connect_engine
    from ecommerce_analytics.scale import funnel_in_engine, product_metrics_in_engine

    folder, built = dataset(n_sessions, tag)
    t0 = time.perf_counter()
    with connect_engine("duckdb", parquet=folder) as engine:
        metrics = product_metrics_in_engine(engine)
        funnel = funnel_in_engine(engine)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    assert metrics["pages_per_session"].n == n_sessions and int(funnel.sessions.iloc[0]) == n_sessions
    conv = metrics["conversion_rate"]
    note = (
        f"{folder.relative_to(ROOT)}; conversion {conv.estimate:.4%} ({conv.ci_low:.4%} to {conv.ci_high:.4%}); "
        f"metric step peak {peak:.2f} GiB" + (f"; data built in this run in {built:.0f} s (set-up)" if built else "")
    )
    return {"seconds": seconds, "metric_step_peak_gib": round(peak, 3), "note": note}


def _code(call: str) -> str:
    """A benchmark's code string: run ``call`` and print its time and fields for run.py."""
    return (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_scale100m as b; "
        f"r = b.{call}; print('BENCH_INNER', r.pop('seconds')); print('BENCH_EXTRA ' + json.dumps(r))"
    )


# name: (python code, target seconds, target peak GiB or None)
BENCHMARKS: dict[str, tuple[str, float, float | None]] = {
    "notebook 01 metrics on 10M sessions via DuckDB": (_code("notebook01_metrics(10_000_000, '10m')"), 60.0, 8.0),
    "100m: notebook 01 metrics on 100M sessions via DuckDB": (
        _code("notebook01_metrics(100_000_000, '100m')"),
        600.0,
        8.0,
    ),
}

#: Long runs (about 15 min to build the data, 22 GiB of disk): only when a word names them.
OPT_IN = ("100m: notebook 01 metrics on 100M sessions via DuckDB",)


if __name__ == "__main__":  # quick look: python tests/benchmarks/bench_scale100m.py 1000000 1m
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(json.dumps(notebook01_metrics(n, sys.argv[2] if len(sys.argv) > 2 else "1m"), indent=2))
