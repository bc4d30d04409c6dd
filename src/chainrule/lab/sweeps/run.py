"""``cr.lab.sweep``: one experiment over a grid of parameters and seeds.

    >>> import chainrule as cr
    >>> table = cr.lab.sweep("vanishing", {"layers": [2, 5, 10, 20], "lr": [0.1, 1.0]},
    ...                      seeds=[0, 1, 2], quick=True, out="sweep")   # doctest: +SKIP
    >>> print(table.conclusion)                                         # doctest: +SKIP

The steps: check the grid and the seeds against the experiment's parameters and ranges
(every combination, before anything runs); read the runs already in the cache
(``OUT/runs/``); run the others on the chosen backend (``backends``), each one
cached as soon as it finishes; put the rows back in the grid's order (``SweepTable``).
"""
from __future__ import annotations

import itertools
import os
import time
from pathlib import Path
from typing import Callable

from .. import _canonical, _check_params, check, get, parameters
from ..._version import __version__
from .jobs import Job, read_cached, write_entry
from .progress import Progress
from .table import RUN_COLUMNS, SweepTable, flatten

__all__ = ["sweep", "check_grid", "jobs_of", "SweepInterrupted", "DEFAULT_OUT", "BACKENDS"]

DEFAULT_OUT = "chainrule-sweep"      # ./chainrule-sweep/NAME/ unless out says otherwise
BACKENDS = ("local", "ray")


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the runs finished so far are in the cache; the same call
    again resumes from them."""

    def __init__(self, done: int, total: int, cache: Path) -> None:
        super().__init__(f"interrupted: {done} of {total} runs are finished and cached in "
                         f"{cache}; run the same sweep again to resume")
        self.done, self.total, self.cache = done, total, cache


def _experiment(name: str) -> str:
    return _canonical(name)


def check_grid(name: str, grid: dict) -> dict[str, list]:
    """The grid with its parameter names and values checked against experiment name's
    run(): a dict parameter -> list of values, each normalised as run() receives it.
    Raises TypeError (unknown parameter, a value of the wrong type) or ValueError (a
    value out of range, an empty or repeated list) in one line."""

    if not isinstance(grid, dict):
        raise TypeError(f"sweep {name}: the grid is a dict parameter -> list of values, got "
                        f"{type(grid).__name__}")
    checked = {}
    for key, values in grid.items():
        param = str(key).replace("-", "_")
        if param == "seed":
            raise ValueError(f"sweep {name}: seeds are given by seeds=, not in the grid")
        if param == "progress":
            raise ValueError(f"sweep {name}: progress is not a parameter to sweep")
        _check_params(name, {param: None})       # an unknown name: the registry's error
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
            raise TypeError(f"sweep {name}: {param}'s values are a list (one run each), "
                            f"got {values!r}")
        if not values:
            raise ValueError(f"sweep {name}: {param} has no values")
        normalised = [check(name, {param: v})[param] for v in values]
        if len(set(map(repr, normalised))) != len(normalised):
            raise ValueError(f"sweep {name}: {param} lists a value twice: {list(values)!r}")
        checked[param] = normalised
    return checked


def check_seeds(name: str, seeds) -> list[int]:
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    if not seeds:
        raise ValueError(f"sweep {name}: seeds needs at least one seed")
    seeds = [check(name, {"seed": s})["seed"] for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"sweep {name}: a seed is listed twice: {seeds}")
    return seeds


def jobs_of(name: str, grid: dict, seeds: list[int], quick: bool) -> list[Job]:
    """One Job per combination and seed, in the grid's order (seeds innermost), each
    with run()'s full keyword arguments, checked."""
    from .. import REGISTRY   # here, not at the top: read when called (tests replace lab.REGISTRY)

    key = _experiment(name)
    tiny = dict(get(key).TINY) if quick else {}
    # The sweep's seeds are its seeds: an experiment that runs several seeds itself
    # (``seeds=``) runs one per job, unless the grid sweeps that count.
    one_seed = {"seeds": 1} if "seeds" in parameters(key) and "seeds" not in grid else {}
    jobs = []
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        for seed in seeds:
            kwargs = check(key, {**tiny, **one_seed, **params, "seed": seed})
            jobs.append(Job(key, REGISTRY[key], params, seed, kwargs))
    return jobs


def _row(job: Job, entry: dict) -> dict:
    row = {**job.params, "seed": job.seed}
    fixed = set(row) | set(RUN_COLUMNS)
    for k, v in flatten(entry.get("numbers") or {}).items():
        row[f"numbers.{k}" if k in fixed else k] = v
    row.update(seconds=entry.get("seconds"), status=entry["status"], error=entry.get("error"))
    return row


def sweep(name: str, grid: dict, seeds=(0,), backend: str = "local", address: str | None = None,
          workers: int | None = None, quick: bool = False, out=None,
          progress: bool | Callable[[str], None] = False) -> SweepTable:
    """Run experiment name for every combination of grid and every seed; return the
    SweepTable (and write it, its CSV and figures into out when out is given).

    backend: "local" (``workers`` processes, default this machine's core count; 1 runs
    in this process) or "ray" (each run a Ray task; ``address`` None starts a local Ray,
    "HOST:6379" joins a cluster). quick: start from the experiment's TINY parameters.
    out: the sweep's folder (default ./chainrule-sweep/NAME/); its ``runs/`` caches one
    JSON file per finished run, so a second call, or one after Ctrl-C, runs only what
    is missing. progress: True shows a progress bar (a line per run when stderr is not
    a terminal); a callable receives the lines.
    A run that raises is a row with status "failed" and its error; Ctrl-C raises
    SweepInterrupted (a KeyboardInterrupt) once the finished runs are saved.
    """
    # here, not at the top: the backends are looked up when called (tests replace them)
    from .backends import import_ray, run_pool, run_ray, run_sequential

    key = _experiment(name)
    if backend not in BACKENDS:
        raise ValueError(f"sweep {key}: backend must be 'local' or 'ray', got {backend!r}")
    if address is not None and backend != "ray":
        raise ValueError(f"sweep {key}: an address is for the ray backend, got backend "
                         f"{backend!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise ValueError(f"sweep {key}: workers must be an int >= 1, got {workers!r}")
    if backend == "ray":
        import_ray()                                  # say how to install it, before any run
    grid, seeds = check_grid(key, grid), check_seeds(key, seeds)
    jobs = jobs_of(key, grid, seeds, quick)
    folder = Path(out) if out is not None else Path(DEFAULT_OUT) / key
    cache = folder / "runs"
    started = time.perf_counter()
    entries = {job.key: read_cached(cache, job) for job in jobs}
    todo = [job for job in jobs if entries[job.key] is None]
    cached = len(jobs) - len(todo)
    bar = Progress(progress, total=len(jobs), cached=cached, experiment=key, cache=cache)

    def on_done(job: Job, entry: dict) -> None:
        if backend == "ray" and entry["status"] in ("ok", "failed"):
            write_entry(cache, entry)        # a Ray worker may not share this disk
        entries[job.key] = entry
        bar.advance(job, entry)

    cores = workers or os.cpu_count() or 1
    try:
        if todo and backend == "ray":
            run_ray(todo, address, workers, on_done)
        elif todo and (cores == 1 or len(todo) == 1):
            run_sequential(todo, cache, on_done)
        elif todo:
            run_pool(todo, cores, cache, on_done)
    except KeyboardInterrupt:
        bar.close()
        done = sum(1 for e in entries.values() if e is not None and e["status"] != "lost")
        raise SweepInterrupted(done, len(jobs), cache) from None
    bar.close()
    table = SweepTable(key, grid, seeds, [_row(job, entries[job.key]) for job in jobs],
                       quick=quick, backend=backend, declared=dict(getattr(get(key), "SWEEP", {})),
                       ran=len(todo), cached=cached, seconds=time.perf_counter() - started,
                       version=__version__)
    if out is not None:
        table.save(folder)
    return table
