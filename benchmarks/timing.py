"""Shared timing for the benchmarks: implementations of one workload are timed in
alternation (so drift in machine load hits all of them alike) and summarised by
their medians."""
from __future__ import annotations

import os
import statistics
import time
from typing import Callable


def set_threads(argv: list[str], default: int = 1) -> int:
    """Give NumPy's BLAS and PyTorch the same thread count (``--threads N``, default 1:
    the fair setting for networks this small). BLAS reads it when NumPy loads, so call
    this before importing numpy."""
    threads = default
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            threads = int(argv[i + 1])
        elif arg.startswith("--threads="):
            threads = int(arg.split("=", 1)[1])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if threads > 1:   # spinning OpenMP threads on a shared machine: random 5-70x slowdowns
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        print(f"{threads} threads: OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    return threads


def per_call(fn: Callable[[], object], min_time: float = 0.02) -> float:
    """Seconds per call of fn, from a batch of calls long enough to time reliably."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n
        n *= 2 if elapsed == 0 else max(2, int(min_time / elapsed * 1.2))


def compare(impls: dict[str, Callable[[], object]], rounds: int = 7,
            min_time: float = 0.02) -> dict[str, float]:
    """Median seconds per call for each implementation, timed round-robin."""
    for fn in impls.values():      # warm-up: caches, allocator, lazy imports
        fn()
    samples = {name: [] for name in impls}
    for _ in range(rounds):
        for name, fn in impls.items():
            samples[name].append(per_call(fn, min_time))
    return {name: statistics.median(times) for name, times in samples.items()}


def fmt_time(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} us"
    return f"{seconds * 1e3:8.3f} ms"
