"""A fake experiment for the sweep tests, importable by the sweep's worker processes
(which do not see a registry patched in the test's process): fast, exact numbers, and
switches to fail, to sleep, and to kill its own worker once."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from chainrule.lab import Result

NAME = "fake-sweep"
TITLE = "A fake experiment for sweeps"
TINY = {"steps": 2}
RANGES = {"x": "(0, inf)", "steps": "[1, inf)", "sleep": "[0, 10]", "fail_at": "[-1, inf)",
          "kill_at": "[-1, inf)"}
SWEEP = {"numbers": ("inverse", "per.scaled"),
         "thresholds": ({"number": "inverse", "below": 0.6, "over": "x", "what": "1/x"},)}


def run(*, seed: int = 0, x: float = 1.0, steps: int = 10, sleep: float = 0.0,
        fail_at: float = -1.0, kill_at: float = -1.0, marker: str = "",
        progress: bool = False) -> Result:
    """inverse = 1/x; per.scaled = steps * x + seed. fail_at: raise at that x; kill_at:
    SIGKILL this process at that x the first time (marker: a folder remembering it)."""
    if x == kill_at:
        flag = Path(marker) / f"killed-{x}-{seed}"
        if not flag.exists():
            flag.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(sleep)
    if x == fail_at:
        raise ValueError(f"a bad combination: x={x}")
    numbers = {"inverse": 1 / x, "per": {"scaled": steps * x + seed}, "curve": [x] * steps,
               "pid": os.getpid(), "blas_threads": _blas_threads()}
    params = dict(seed=seed, x=x, steps=steps)
    return Result(NAME, params, numbers, conclude(numbers), seconds=0.001)


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info
    return max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")


def conclude(numbers: dict) -> str:
    return f"1/x = {numbers['inverse']}"


def plot(result: Result) -> dict:
    return {}
