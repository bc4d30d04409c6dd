"""The lab: the lectures' claims about training deep networks, as experiments anyone
can rerun. Each experiment module has ``run(..., seed=0) -> Result`` (numbers and a
conclusion computed from them), ``conclude(numbers) -> str`` and ``plot(result) -> dict``
of matplotlib figures, plus ``TINY``: parameters for a seconds-long smoke run.

>>> import chainrule as cr
>>> cr.lab.names()[:2]
['sigmoid-bound', 'vanishing']
>>> result = cr.lab.run("sigmoid-bound", quick=True, figures=False)   # doctest: +SKIP
>>> print(result.conclusion)                                            # doctest: +SKIP

The registry below is the only list of experiments: the CLI (``chainrule lab NAME``, whose
options come from ``run``'s signature), ``run_all``, ``sweep`` and the report all read it.
Modules are imported when first asked for, so ``import chainrule`` does not pay for them.
A module may declare ``RANGES`` (parameter -> accepted interval or choices, see
``lab.options``): ``run`` checks every value against it before any work starts, and
``SWEEP`` (what a sweep plots and concludes, see ``lab.sweeps.table``).
"""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

from ..i18n import _
from .result import Result

__all__ = ["Result", "Failure", "LabRunError", "names", "get", "title", "parameters", "run",
           "run_all", "check", "sweep", "REGISTRY"]

# The order, which is also the report's: the bound, the symptom, the cures, then
# the training choices around them.
_ORDER = ("sigmoid-bound", "vanishing", "chain-product", "backprop-matrix", "skip",
          "degradation", "shortcuts", "losses", "learning-rate", "optimizers", "batching",
          "dying-relu")
REGISTRY: dict[str, str] = {name: f"{__name__}.{name.replace('-', '_')}" for name in _ORDER}
"""Experiment name -> the module that implements it (imported lazily)."""

_MODULE_API = ("NAME", "TITLE", "TINY", "run", "conclude", "plot")
_OWN_ARGS = ("name", "quick", "figures")      # lab.run's own keywords; no experiment may use them


@dataclass
class Failure:
    """An experiment that raised during ``run_all``: its name, the error in one line and
    the full traceback (the report shows both)."""

    name: str
    error: str
    traceback: str
    seconds: float = 0.0


class LabRunError(RuntimeError):
    """Raised by ``run_all`` after every experiment has run and the report is written,
    when some experiments failed. ``.results`` are the ones that succeeded, ``.failures``
    the others, ``.report`` the report's path."""

    def __init__(self, results: list, failures: list, report: Path) -> None:
        listed = ", ".join(f"{f.name} ({f.error})" for f in failures)
        super().__init__(f"lab: {len(failures)} of {len(results) + len(failures)} experiments "
                         f"failed: {listed}; the report {report} shows their tracebacks")
        self.results, self.failures, self.report = results, failures, report


def names() -> list[str]:
    """The experiments' names, in the report's order."""
    return list(REGISTRY)


def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise TypeError(f"lab: an experiment name is a string such as 'vanishing', got "
                        f"{type(name).__name__}")
    key = name.strip().lower().replace("_", "-")
    if key not in REGISTRY:
        close = difflib.get_close_matches(key, REGISTRY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown experiment {name!r}{hint}; the experiments are: "
                         f"{', '.join(REGISTRY)}")
    return key


def get(name: str) -> ModuleType:
    """The module of experiment ``name`` (hyphens or underscores), imported on first use.

    Raises ValueError for an unknown name (listing the valid ones, with the closest match),
    ImportError when the module is registered but missing, TypeError when it lacks part
    of the experiment interface (NAME, TITLE, TINY, run, conclude, plot)."""
    key = _canonical(name)
    path = REGISTRY[key]
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as e:
        if e.name != path:          # the module exists; something it imports does not
            raise
        raise ImportError(f"lab: experiment {key!r} is registered but its module {path} "
                          f"does not exist") from e
    missing = [attr for attr in _MODULE_API if not hasattr(module, attr)]
    if missing:
        raise TypeError(f"lab: the module {path} of experiment {key!r} lacks "
                        f"{', '.join(missing)}; an experiment module defines "
                        f"{', '.join(_MODULE_API)}")
    return module


def title(name: str) -> str:
    """The experiment's one-line title, in the current language (its name if the module
    cannot be loaded)."""
    try:
        return _(get(name).TITLE)
    except (ValueError, ImportError, TypeError):
        return name


def parameters(name: str) -> dict[str, inspect.Parameter]:
    """``run``'s keyword parameters (name -> inspect.Parameter, in order): what the
    experiment accepts, with its full-size defaults."""
    sig = inspect.signature(get(name).run)
    params = {p.name: p for p in sig.parameters.values()
              if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    clash = [p for p in params if p in _OWN_ARGS]
    if clash:
        raise TypeError(f"lab: experiment {name!r} has a parameter named {clash[0]!r}, "
                        f"which lab.run keeps for itself ({', '.join(_OWN_ARGS)})")
    return params


def _check_params(name: str, given: dict) -> None:
    valid = parameters(name)
    for key in given:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"lab experiment {name!r} has no parameter {key!r}{hint}; its "
                            f"parameters are: {', '.join(valid)}")


def check(name: str, params: dict) -> dict:
    """Check params (name -> value) against experiment ``name``'s parameters and their
    declared ranges; return them normalised (a float parameter's int becomes a float).
    Raises TypeError for an unknown parameter or a value of the wrong type, ValueError
    (one line: the experiment, the parameter, the accepted range, the value) for a value
    out of range.

    >>> check("vanishing", {"layers": 1, "lr": 1})
    Traceback (most recent call last):
    ValueError: vanishing: layers must be an int >= 2, got 1
    >>> check("vanishing", {"layers": 3, "lr": 1})
    {'layers': 3, 'lr': 1.0}
    """
    _check_params(name, params)
    return _check_ranges(name, params)


def _check_ranges(name: str, params: dict) -> dict:
    # options, harness and report are imported on first use: they add about 25 ms to
    # `import chainrule`, which imports this package
    from .options import check as check_ranges

    key = _canonical(name)
    return check_ranges(key, get(key), parameters(key), params)


def _have_matplotlib() -> bool:
    return "matplotlib" in sys.modules or importlib.util.find_spec("matplotlib") is not None


def run(name: str, /, quick: bool = False, figures: bool = True, **params) -> Result:
    """Run one experiment and return its Result.

    quick: start from the module's ``TINY`` parameters (a seconds-long smoke run); params
    given here override them. figures: draw ``module.plot(result)`` into
    ``result.figures`` (skipped when matplotlib is not installed).
    Unknown params raise TypeError naming the experiment and its parameters; a value
    outside its declared range raises ValueError (``check``), before any work starts.
    """
    module = get(name)
    _check_params(name, params)
    kwargs = _check_ranges(name, {**module.TINY, **params} if quick else dict(params))
    result = call(module, kwargs)
    if figures and _have_matplotlib():
        result.figures = dict(module.plot(result))
    return result


def call(module: ModuleType, kwargs: dict) -> Result:
    """``module.run(**kwargs)``, checked to return a Result, into which the parameters it
    ran with (its signature's defaults filled in) and its wall time are recorded
    (``harness.record``). kwargs are used as given (``run`` checks them first): sweep
    workers call this."""
    from .harness import record   # (on first use, as options above)

    started = time.perf_counter()
    result = module.run(**kwargs)
    if not isinstance(result, Result):
        raise TypeError(f"lab: experiment {module.NAME!r}'s run() returned "
                        f"{type(result).__name__}, not a Result")
    return record(result, module.run, kwargs, time.perf_counter() - started)


def sweep(name: str, grid: dict, seeds=(0,), backend: str = "local", address: str | None = None,
          workers: int | None = None, quick: bool = False, out=None,
          progress: bool | Callable[[str], None] = False):
    """Run experiment ``name`` for every combination of ``grid`` (parameter -> list of
    values) and seed, on this machine's cores (``backend="local"``) or as Ray tasks
    (``backend="ray"``; ``address`` joins a cluster); return the ``SweepTable``. Finished
    runs are cached in ``out`` (default ``./chainrule-sweep/NAME/``), so a second call
    or an interrupted sweep picks them up. See ``lab.sweeps.run.sweep``.

    >>> table = cr.lab.sweep("vanishing", {"layers": [2, 10]}, seeds=[0, 1],
    ...                      quick=True)                            # doctest: +SKIP
    >>> print(table.conclusion)                                     # doctest: +SKIP
    """
    # The work lives in sweeps/run.py, imported on first use: a submodule named `sweep`
    # would replace this function as the package's attribute the moment it is imported.
    from .sweeps.run import sweep as _sweep

    return _sweep(name, grid, seeds=seeds, backend=backend, address=address, workers=workers,
                  quick=quick, out=out, progress=progress)


def _reporter(progress) -> Callable[[str], None]:
    if callable(progress):
        return progress
    if progress:
        return lambda message: print(message, file=sys.stderr, flush=True)
    return lambda message: None


def run_all(out_dir, quick: bool = False, progress: bool | Callable[[str], None] = False,
            seed: int | None = None, figures: bool = True,
            title: str = "chainrule lab: why deep networks train, measured") -> list[Result]:
    """Run every experiment in order, save each Result into out_dir (``NAME.json`` and its
    figures) and write ``out_dir/report.html``; return the Results.

    progress: True prints a line per experiment to stderr; a callable receives the lines.
    seed: passed to every experiment (default: each one's own default).
    An experiment that raises does not stop the others: its traceback goes into the
    report, and ``LabRunError`` is raised at the end (carrying the results and the
    report's path)."""
    from .report import write_report   # (on first use, as options above)

    out = Path(out_dir)
    say = _reporter(progress)
    items, results, failures = [], [], []
    extra = {} if seed is None else {"seed": seed}
    total = len(REGISTRY)
    for i, name in enumerate(names(), 1):
        say(f"[{i}/{total}] {name}: running{' (quick)' if quick else ''} ...")
        started = time.perf_counter()
        try:
            result = run(name, quick=quick, figures=figures, **extra)
            result.save(out)
        except Exception as e:     # noqa: BLE001 -- reported in the report and at the end
            failure = Failure(name, f"{type(e).__name__}: {e}", traceback.format_exc(),
                              time.perf_counter() - started)
            failures.append(failure)
            items.append(failure)
            say(f"[{i}/{total}] {name}: FAILED ({failure.error})")
            continue
        results.append(result)
        items.append(result)
        say(f"[{i}/{total}] {name}: done, {result.seconds:.1f} s "
            f"({time.perf_counter() - started:.1f} s with figures and files)")
    note = ("A quick run: every experiment at its TINY parameters, a smoke test of the "
            "machinery. The numbers are not the lectures' full-size ones and the "
            "conclusions may not hold at this size.") if quick else None
    report = write_report(items, out / "report.html", title=title, note=note, figure_dir=out)
    say(f"wrote {report}")
    if failures:
        raise LabRunError(results, failures, report)
    return results
