"""Where a sweep's runs execute: this process, a pool of processes on this machine, or
Ray tasks (a local Ray or a cluster). Every backend takes the jobs and calls
``on_done(job, entry)`` in this process as each run finishes, in whatever order they
finish; the table is put back in the grid's order afterwards.

Faults: an exception inside an experiment is already an entry (``execute`` catches it).
A worker that dies (killed, out of memory) loses the runs it held: the local pool is
rebuilt and those runs are tried again, ``ATTEMPTS`` times at most, then recorded as
``lost`` (and not cached, so the next sweep tries them once more); Ray retries a task on
another worker or node itself (``max_retries``). Ctrl-C stops the workers at once; the
runs already finished are in the cache.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Callable, Sequence

from .jobs import THREAD_ENV, Job, execute, one_line, read_cached

__all__ = ["run_sequential", "run_pool", "run_ray", "import_ray", "RAY_MISSING", "ATTEMPTS"]

ATTEMPTS = 3            # tries of a run whose worker died, before it is recorded as lost
RAY_RETRIES = 3         # Ray's own retries of a task whose worker or node died
RAY_MISSING = ("the ray backend needs Ray, which is not installed: "
               "pip install 'chainrule[cluster]'")

OnDone = Callable[[Job, dict], None]


def lost_entry(job: Job, why: str) -> dict:
    """The entry of a run whose worker died every time: recorded, never cached."""
    return {"key": job.key, "experiment": job.experiment, "params": dict(job.params),
            "seed": job.seed, "status": "lost", "error": why, "seconds": None}


# ------------------------------------------------------------------ this process
def run_sequential(jobs: Sequence[Job], cache_dir, on_done: OnDone) -> None:
    """One run after another, in this process (``workers=1``)."""
    for job in jobs:
        on_done(job, execute(replace(job, cache_dir=str(cache_dir))))


# ------------------------------------------------------------------ process pool
@contextlib.contextmanager
def _environment(values: dict):
    """os.environ updated for the duration: pool workers are spawned from it, and BLAS
    reads its thread count when the worker first imports NumPy."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _init_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group; the parent alone decides what to do (it
    # stops the workers), so a worker never records a half-finished run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose parent was killed (SIGKILL, a crash) would wait forever for work."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop the pool now: cancel what has not started, terminate what is running.
    (ProcessPoolExecutor has no public way to end running work before Python 3.14.)"""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)


def _one_pool(jobs: list[Job], workers: int, cache_dir, on_done: OnDone) -> list[Job]:
    """Run jobs on a fresh pool; return the jobs lost to a dead worker."""
    context = multiprocessing.get_context("spawn")     # no fork of a threaded parent
    executor = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context,
                                   initializer=_init_worker, initargs=(os.getpid(),))
    pending, lost = {}, []
    try:
        for i, job in enumerate(jobs):
            try:
                pending[executor.submit(execute, replace(job, cache_dir=str(cache_dir)))] = job
            except BrokenProcessPool:
                lost.extend(jobs[i:])
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                try:
                    entry = future.result()
                except BrokenProcessPool:
                    lost.append(job)
                    continue
                on_done(job, entry)
    except BaseException:
        _stop(executor)
        raise
    executor.shutdown(wait=True)
    return lost


def run_pool(jobs: Sequence[Job], workers: int, cache_dir, on_done: OnDone) -> None:
    """The jobs on ``workers`` processes of this machine, BLAS at one thread each. A dead
    worker breaks the pool: a new one takes the runs that were lost (a run that finished
    in a worker just before is read back from the cache, not run again)."""
    todo, tries = list(jobs), Counter()
    with _environment(THREAD_ENV):
        while todo:
            lost = _one_pool(todo, workers, cache_dir, on_done)
            todo = []
            for job in lost:
                cached = read_cached(cache_dir, job)
                tries[job.key] += 1
                if cached is not None:
                    on_done(job, cached)
                elif tries[job.key] >= ATTEMPTS:
                    on_done(job, lost_entry(job, f"a worker process died running it "
                                                 f"{ATTEMPTS} times (killed, or out of memory)"))
                else:
                    todo.append(job)


# ------------------------------------------------------------------ Ray
def import_ray():
    """The ray module, or ImportError saying how to install it."""
    try:
        # ray is optional (and slow to import): only the ray backend needs it
        import ray
    except ImportError:
        raise ImportError(RAY_MISSING) from None
    return ray


def run_ray(jobs: Sequence[Job], address: str | None, workers: int | None,
            on_done: OnDone) -> None:
    """Each job a Ray task of one CPU. address None starts a local Ray with ``workers``
    CPUs (stopped at the end); an address ("HOST:6379", or "ray://HOST:10001" from a
    machine outside the cluster) joins a running cluster. A Ray already initialised in
    this process is used as it is and left running."""
    ray = import_ray()
    started = not ray.is_initialized()
    if started:
        ray.init(address=address or "local", num_cpus=None if address else workers,
                 include_dashboard=False, log_to_driver=False, logging_level="WARNING",
                 runtime_env={"env_vars": THREAD_ENV})
    task = ray.remote(num_cpus=1, max_retries=RAY_RETRIES)(execute)
    pending = {}
    try:
        pending = {task.remote(job): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                job = pending.pop(ref)
                try:
                    entry = ray.get(ref)
                except ray.exceptions.RayError as e:   # a worker or node lost for good
                    entry = lost_entry(job, f"Ray lost the task: {one_line(e)}")
                on_done(job, entry)
    except BaseException:
        for ref in pending:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        raise
    finally:
        if started:
            ray.shutdown()
