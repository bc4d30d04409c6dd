"""One run of a sweep: the job a worker receives, the entry it returns, and the cache.

A job is one combination of the grid and one seed, with the experiment's keyword
arguments already merged and checked (``quick`` applied). ``execute`` runs it anywhere
(this process, a pool worker, a Ray task) and returns an entry: a JSON dict with the
status (``ok`` or ``failed``), the numbers or the error, and the wall time. An exception
inside the experiment is caught and recorded, so one bad combination never stops a
sweep.

The cache is one JSON file per entry, ``DIR/runs/KEY.json``, written atomically; KEY
hashes the experiment, its arguments (seed included) and chainrule's version, so a
finished run is never redone and a changed chainrule never reuses an old number.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .. import call
from ..._version import __version__
from ...fileio import write_text

__all__ = ["Job", "execute", "cache_key", "read_cached", "write_entry", "single_threaded",
           "THREAD_ENV"]

THREAD_ENV = {var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                   "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                                   "NUMEXPR_NUM_THREADS")}
"""Environment that keeps BLAS to one thread in a process that has not loaded it yet."""


@dataclass(frozen=True)
class Job:
    """experiment: its registry name; module: the module that implements it (imported by
    path in the worker, which need not share the parent's registry); params: the swept
    values of this combination; kwargs: everything run() receives (seed included);
    cache_dir: where the worker writes its entry itself (None: the caller does)."""

    experiment: str
    module: str
    params: dict
    seed: int
    kwargs: dict
    version: str = __version__
    cache_dir: str | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return cache_key(self.experiment, self.kwargs, self.version)


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def cache_key(experiment: str, kwargs: dict, version: str = __version__) -> str:
    """A stable name for one run: the same experiment, arguments and chainrule version
    give the same key in every process and on every machine."""
    text = json.dumps({"experiment": experiment, "kwargs": _jsonable(kwargs),
                       "chainrule_version": version}, sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _entry(job: Job) -> dict:
    return {"key": job.key, "experiment": job.experiment, "chainrule_version": job.version,
            "params": _jsonable(job.params), "seed": job.seed,
            "kwargs": _jsonable(job.kwargs)}


@contextlib.contextmanager
def single_threaded():
    """BLAS limited to one thread in this process for the duration (threadpoolctl acts on
    an already-loaded BLAS; without it the limit falls to THREAD_ENV, set before the
    worker started), so runs side by side do not fight over the cores."""
    try:
        # threadpoolctl is optional: without it THREAD_ENV limits the threads
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1):
        yield


def execute(job: Job) -> dict:
    """Run one job; return its entry (status, numbers or error, seconds). Writes the
    entry into job.cache_dir first when one is given, so a finished run survives even if
    the process that asked for it is gone."""

    entry = _entry(job)
    started = time.perf_counter()
    try:
        with single_threaded():
            result = call(importlib.import_module(job.module), dict(job.kwargs))
        entry.update(status="ok", numbers=result.numbers, conclusion=result.conclusion,
                     seconds=result.seconds)
    except Exception as e:      # noqa: BLE001 -- a failed run is a row of the table
        entry.update(status="failed", error=one_line(e), traceback=traceback.format_exc(),
                     seconds=time.perf_counter() - started)
    entry.update(wall_seconds=time.perf_counter() - started, host=os.uname().nodename,
                 pid=os.getpid())
    if job.cache_dir is not None:
        write_entry(job.cache_dir, entry)
    return entry


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def entry_path(cache_dir, key: str) -> Path:
    return Path(cache_dir) / f"{key}.json"


def write_entry(cache_dir, entry: dict) -> Path:
    return write_text(entry_path(cache_dir, entry["key"]),
                      json.dumps(entry, indent=1, allow_nan=True))


def read_cached(cache_dir, job: Job) -> dict | None:
    """The cached entry of job, or None (no file, or one that does not parse: then the
    run is simply done again)."""
    path = entry_path(cache_dir, job.key)
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return entry if entry.get("key") == job.key and "status" in entry else None
