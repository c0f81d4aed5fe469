"""`make bench`: speed and memory targets, measured in fresh subprocesses.

Each benchmark runs in its own Python process so that its peak memory (max RSS of the process
or of the largest child it started, such as a notebook kernel) is its own.
Results go to .bench/results.json and a table on stdout; the exit status is 1 when a target
is missed. Benchmarks are never part of `make test`.

Besides the ones below, every ``bench_*.py`` module in this folder adds its own: ``BENCHMARKS``
(code strings, as here; a line ``BENCH_INNER seconds`` times the core step only and a line
``BENCH_EXTRA {json}`` adds fields such as ``note`` or ``problem``), ``COMMANDS`` (``name -> (function returning a result dict, target
seconds)``; a result may carry ``"problem"``, a sentence saying which further target was missed)
and ``OPT_IN`` (names that run only when asked for by a word, e.g. ``make bench BENCH=100m``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".bench"

# name: (python code to time, target seconds, target peak GiB or None)
BENCHMARKS: dict[str, tuple[str, float, float | None]] = {
    "simulate 1,000,000 sessions": (
        "from ecommerce_analytics.simulate import simulate; simulate(1_000_000, seed=42)",
        20.0,
        None,
    ),
    "load + validate the Kaggle file (5,000 rows)": (
        "from ecommerce_analytics import paths; from ecommerce_analytics.data import load_sessions; "
        "import sys; p = paths.SHARED_KAGGLE_CSV; sys.exit(0) if not p.is_file() else load_sessions(p)",
        5.0,
        None,
    ),
    "validate 1,000,000 simulated sessions": (
        "from ecommerce_analytics.simulate import simulate; from ecommerce_analytics.data import validate_sessions; "
        "validate_sessions(simulate(1_000_000, seed=42).sessions)",
        60.0,
        None,
    ),
    "cross-validate the 3 models, browse stage, 5,000 sessions": (
        "from ecommerce_analytics import modeling as md; from ecommerce_analytics.simulate import simulate; "
        "f = md.stage_frame(simulate(5000, seed=42).sessions, md.BROWSE); "
        "[md.cross_validate(p, f[md.BROWSE.features], f['purchase_decision']) "
        "for p in md.make_models(md.BROWSE.numeric, md.BROWSE.categorical).values()]",
        60.0,
        None,
    ),
    "XGBoost (hist) fit, browse stage, 1,000,000 sessions": (
        "from ecommerce_analytics import modeling as md; from ecommerce_analytics.simulate import simulate; "
        "f = md.stage_frame(simulate(1_000_000, seed=42).sessions, md.BROWSE); "
        "md.make_models(md.BROWSE.numeric, md.BROWSE.categorical)['xgboost'].fit(f[md.BROWSE.features], "
        "f['purchase_decision'])",
        120.0,
        None,
    ),
    "bootstrap CI, 1,000,000 units per arm x 2,000 resamples": (
        "import numpy as np; from ecommerce_analytics.experiments import bootstrap_mean_difference as b; "
        "r = np.random.default_rng(0); c, t = r.exponential(10, 1_000_000), r.exponential(10.05, 1_000_000); "
        "import time; s = time.perf_counter(); b(c, t, n_resamples=2000); "
        "print('BENCH_INNER', time.perf_counter() - s)",
        2.0,
        None,
    ),
    "scipy.stats.bootstrap on the same data (reference, no target)": (
        "import numpy as np; from scipy import stats; "
        "r = np.random.default_rng(0); c, t = r.exponential(10, 1_000_000), r.exponential(10.05, 1_000_000); "
        "stats.bootstrap((t, c), lambda a, b, axis: a.mean(axis=axis) - b.mean(axis=axis), n_resamples=2000, "
        "method='percentile', vectorized=True, batch=10, random_state=0)",
        3600.0,
        None,
    ),
    "default report (`make report` without set-up)": (
        "from ecommerce_analytics.cli import main; assert main(['-q', 'report']) == 0",
        180.0,
        None,
    ),
    "notebooks 01-02 on 1,000,000 simulated sessions": (
        "from pathlib import Path; from ecommerce_analytics.pipeline import run_report; from ecommerce_analytics.run import Run; "
        "run_report(Run('simulated', 1_000_000, 42, reports_root=Path('.bench/reports')), ['01', '02'])",
        600.0,
        8.0,
    ),
}

_WRAPPER = """
import resource, sys, time, json
_bench_t0 = time.perf_counter()
exec(compile({code!r}, "<bench>", "exec"), {{}})
elapsed = time.perf_counter() - _bench_t0
# Peak resident memory of this process or of any child it waited for (notebook kernels).
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024 ** 2
print("BENCH_RESULT " + json.dumps({{"seconds": elapsed, "peak_gib": peak}}))
"""


def run_one(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _WRAPPER.format(code=code)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    marked = [line for line in proc.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if not marked:
        return {"error": "no result line"}
    result = json.loads(marked[-1].removeprefix("BENCH_RESULT "))
    inner = [line for line in proc.stdout.splitlines() if line.startswith("BENCH_INNER ")]
    if inner:  # the benchmark timed its own core step (data generation excluded)
        result["seconds_with_setup"], result["seconds"] = result["seconds"], float(inner[-1].split()[1])
    for line in proc.stdout.splitlines():  # further fields: {"note": ...}, {"problem": ...}, figures
        if line.startswith("BENCH_EXTRA "):
            result.update(json.loads(line.removeprefix("BENCH_EXTRA ")))
    return result


def _median_seconds(cmd: list[str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def cli_startup() -> dict:
    """`ecommerce-analytics --help` (and a subcommand's), median of 7, beside `python -c pass`."""
    cli = str(Path(sys.executable).with_name("ecommerce-analytics"))
    bare = _median_seconds([sys.executable, "-c", "pass"])
    top = _median_seconds([cli, "--help"])
    sub = _median_seconds([cli, "report", "--help"])
    return {
        "seconds": max(top, sub),
        "peak_gib": 0.0,
        "python_c_pass_seconds": bare,
        "ratio_to_python": max(top, sub) / bare,
    }


def pytest_tier(*args: str) -> dict:
    """Wall time of a pytest run (the test command's own timing, set-up excluded)."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - t0
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "no output"
    if proc.returncode != 0:
        return {"error": last}
    return {"seconds": seconds, "peak_gib": 0.0, "summary": last}


# Benchmarks that are commands rather than Python code: name -> (function, target seconds).
COMMANDS = {
    "CLI start-up: --help and `report --help` (median of 7)": (cli_startup, 1.0),
    "`make test-fast` (pytest -m 'not slow')": (lambda: pytest_tier("-m", "not slow"), 60.0),
    "`make test` (the full suite that CI runs)": (lambda: pytest_tier(), 300.0),
}


def machine() -> dict:
    """What the benchmarks ran on."""
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    info = {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()}
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages * size / 1024**3, 1)
    except (ValueError, OSError, AttributeError):
        pass
    try:
        import numpy  # noqa: F401 - loads the BLAS that threadpoolctl reports
        from threadpoolctl import threadpool_info

        blas = next((p for p in threadpool_info() if p.get("user_api") == "blas"), {})
        info["blas"] = f"{blas.get('internal_api', '?')} {blas.get('version', '')} ({blas.get('architecture', '?')})"
    except ImportError:
        pass
    return info


def _plugins() -> tuple[dict, dict, set]:
    """The benchmarks of the ``bench_*.py`` modules beside this file."""
    benchmarks, commands, opt_in = {}, {}, set()
    for path in sorted(Path(__file__).parent.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        benchmarks.update(getattr(module, "BENCHMARKS", {}))
        commands.update(getattr(module, "COMMANDS", {}))
        opt_in |= set(getattr(module, "OPT_IN", ()))
    return benchmarks, commands, opt_in


def main(argv: list[str]) -> int:
    """Run every benchmark, or those whose name contains one of the words in ``argv``.

    Opt-in benchmarks (long ones, such as 100M sessions) run only when a word names them.
    """
    OUT.mkdir(exist_ok=True)
    results, failed = {}, False
    more_benchmarks, more_commands, opt_in = _plugins()
    commands = {**COMMANDS, **more_commands}
    every = {**BENCHMARKS, **more_benchmarks, **{k: (fn, target, None) for k, (fn, target) in commands.items()}}
    chosen = {
        k: v for k, v in every.items() if (any(w.lower() in k.lower() for w in argv) if argv else k not in opt_in)
    }
    host = machine()
    print(
        f"machine: {host['cpu']}, {host['cores']} cores, {host.get('memory_gib', '?')} GiB, "
        f"Python {host['python']}, BLAS {host.get('blas', '?')}"
    )
    print(f"{'benchmark':52} {'seconds':>9} {'target':>8} {'peak GiB':>9}  status", flush=True)
    for name, (code, target_s, target_gib) in chosen.items():
        t0 = time.perf_counter()
        r = code() if callable(code) else run_one(code)
        r.update(target_seconds=target_s, target_peak_gib=target_gib, wall_seconds=time.perf_counter() - t0)
        ok = (
            "error" not in r
            and "problem" not in r
            and r["seconds"] <= target_s
            and (target_gib is None or r["peak_gib"] <= target_gib)
        )
        failed |= not ok
        r["status"] = "ok" if ok else "MISSED"
        results[name] = r
        if "error" in r:
            print(f"{name:52} {'-':>9} {target_s:>8.0f} {'-':>9}  ERROR {r['error']}", flush=True)
        else:
            extra = f" ({r['ratio_to_python']:.1f}x `python -c pass`)" if "ratio_to_python" in r else ""
            extra += f" ({r['note']})" if "note" in r else ""
            extra += f" MISSED: {r['problem']}" if "problem" in r else ""
            print(
                f"{name:52} {r['seconds']:>9.2f} {target_s:>8.0f} {r['peak_gib']:>9.2f}  {r['status']}{extra}",
                flush=True,
            )
    (OUT / "results.json").write_text(json.dumps({"machine": host, "benchmarks": results}, indent=2) + "\n")
    print(f"results: {OUT / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
