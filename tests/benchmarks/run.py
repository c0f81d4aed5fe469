"""`make bench`: speed and memory targets, measured in fresh subprocesses.

Each benchmark runs in its own Python process so that its peak memory (max RSS) is its own.
Results go to .bench/results.json and a table on stdout; the exit status is 1 when a target
is missed. Benchmarks are never part of `make test`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / ".bench"

# name: (python code to time, target seconds, target peak GiB or None)
BENCHMARKS: dict[str, tuple[str, float, float | None]] = {
    "simulate 1,000,000 sessions": (
        "from ecommerce_analytics.simulate import simulate; simulate(1_000_000, seed=42)", 20.0, None),
    "load + validate the Kaggle file (5,000 rows)": (
        "from ecommerce_analytics import paths; from ecommerce_analytics.data import load_sessions; "
        "import sys; p = paths.SHARED_KAGGLE_CSV; sys.exit(0) if not p.is_file() else load_sessions(p)", 5.0, None),
    "validate 1,000,000 simulated sessions": (
        "from ecommerce_analytics.simulate import simulate; from ecommerce_analytics.data import validate_sessions; "
        "validate_sessions(simulate(1_000_000, seed=42).sessions)", 60.0, None),
}

_WRAPPER = """
import resource, sys, time, json
t = time.perf_counter()
exec(compile({code!r}, "<bench>", "exec"))
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
print(json.dumps({{"seconds": elapsed, "peak_gib": peak}}))
"""


def run_one(code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _WRAPPER.format(code=code)], capture_output=True, text=True,
                          cwd=ROOT)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    OUT.mkdir(exist_ok=True)
    results, failed = {}, False
    print(f"{'benchmark':48} {'seconds':>9} {'target':>8} {'peak GiB':>9}  status")
    for name, (code, target_s, target_gib) in BENCHMARKS.items():
        t0 = time.perf_counter()
        r = run_one(code)
        r.update(target_seconds=target_s, target_peak_gib=target_gib, wall_seconds=time.perf_counter() - t0)
        ok = "error" not in r and r["seconds"] <= target_s and (target_gib is None or r["peak_gib"] <= target_gib)
        failed |= not ok
        r["status"] = "ok" if ok else "MISSED"
        results[name] = r
        if "error" in r:
            print(f"{name:48} {'-':>9} {target_s:>8.0f} {'-':>9}  ERROR {r['error']}")
        else:
            print(f"{name:48} {r['seconds']:>9.2f} {target_s:>8.0f} {r['peak_gib']:>9.2f}  {r['status']}")
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {OUT / 'results.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
