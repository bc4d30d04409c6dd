"""A sweep of 16 runs (vanishing: layers 2, 5, 10, 20 x lr 0.1, 1 x seeds 0, 1), timed
three ways: one after another in this process, on the local process pool, and as Ray
tasks on a local Ray; plus Ray's own cost per task (no-op tasks).

    python benchmarks/bench_sweep.py            # runs of 10 epochs at width 32
    python benchmarks/bench_sweep.py --quick    # the --quick runs, as CI does (< 60 s)

Every sweep caches into a fresh temporary folder, so nothing comes from the cache, and
draws no figures. Wall times include each backend's start-up (spawning the pool's
workers, each importing chainrule and loading the data), which is what a user waits for;
starting Ray is timed on its own.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

import chainrule.lab as lab

GRID = {"layers": [2, 5, 10, 20], "lr": [0.1, 1.0]}
SEEDS = [0, 1]
FULL = {"epochs": [10], "width": [32]}       # heavier runs, where the work dominates


def timed_sweep(grid: dict, quick: bool, **backend) -> tuple[float, object]:
    """Wall time of one sweep from an empty cache. out=None: no table files or figures
    (drawing them costs the same on every backend); the cache goes to ./chainrule-sweep/
    of a fresh temporary folder."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            started = time.perf_counter()
            table = lab.sweep("vanishing", grid, seeds=SEEDS, quick=quick, **backend)
            return time.perf_counter() - started, table
        finally:
            os.chdir(here)


def ray_overhead(ray, n: int) -> dict:
    """Seconds per no-op task: one at a time (a round trip), and n submitted together
    (throughput on every CPU)."""
    noop = ray.remote(num_cpus=1)(lambda: None)
    ray.get([noop.remote() for _ in range(8)])             # workers up and warm
    trips = []
    for _ in range(20):
        started = time.perf_counter()
        ray.get(noop.remote())
        trips.append(time.perf_counter() - started)
    started = time.perf_counter()
    ray.get([noop.remote() for _ in range(n)])
    return {"round_trip": statistics.median(trips),
            "throughput": (time.perf_counter() - started) / n}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the experiment's --quick runs")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    grid = GRID if args.quick else {**GRID, **FULL}
    runs = len(SEEDS) * len(GRID["layers"]) * len(GRID["lr"])
    cores = args.workers
    print(f"{runs} runs of vanishing{' --quick' if args.quick else ' (10 epochs, width 32)'}"
          f" on {cores} cores (BLAS at 1 thread per run)")

    rows = []
    seq, table = timed_sweep(grid, args.quick, workers=1)
    work = sum(r["seconds"] or 0.0 for r in table)
    rows.append(("sequential (this process)", seq))
    pool, _ = timed_sweep(grid, args.quick, workers=cores)
    rows.append((f"local pool, {cores} processes", pool))
    try:
        import ray
    except ImportError:
        ray = None
        print("ray is not installed (pip install 'chainrule[cluster]'): no Ray timings")
    if ray is not None:
        started = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False,
                 logging_level="WARNING")
        startup = time.perf_counter() - started
        try:
            on_ray, _ = timed_sweep(grid, args.quick, backend="ray")
            overhead = ray_overhead(ray, 50 if args.quick else 200)
        finally:
            ray.shutdown()
        rows.append((f"Ray tasks, local Ray of {cores} CPUs (+ {startup:.1f} s to start it)",
                     on_ray))
    print("\n| backend | wall time | speed-up over sequential |\n|---|---|---|")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.2f} s | {seq / seconds:.2f}x |")
    print(f"\nthe runs' own compute: {work:.2f} s in all, {work / runs * 1e3:.0f} ms per run")
    if ray is not None:
        print(f"Ray's cost per task (no-op tasks): {overhead['round_trip'] * 1e3:.2f} ms one at "
              f"a time (submit, run, get), {overhead['throughput'] * 1e3:.2f} ms each when "
              f"{50 if args.quick else 200} are submitted together")
    return 0


if __name__ == "__main__":
    sys.exit(main())
