"""Claims over seeds, written once: every experiment runs several seeds (``seed``,
``seed + 1``, ... ``seed + seeds - 1``), reports each measurement's mean and range, and
concludes only what holds in all of them, or says in how many it held.

>>> seed_list(3, 3)
[3, 4, 5]
>>> spread([0.25, 0.5, 0.75])
{'mean': 0.5, 'min': 0.25, 'max': 0.75}
>>> spread_text(spread([0.2, 0.1, 0.3]))
'0.2 (0.1 to 0.3)'
>>> in_seeds([True, True, False])
'in 2 of 3 seeds'
>>> thresholds_text({"RISE": 2.0, "MARGIN": 0.05})
'Thresholds: RISE = 2, MARGIN = 0.05.'

A threshold a conclusion uses is a module constant with a name; the experiment records it
in ``numbers["thresholds"]`` (``conclude`` reads it from there, so a saved Result says
what it was judged by) and prints it with ``thresholds_text``.
"""
from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from ..i18n import _

__all__ = ["DEFAULT_SEEDS", "seed_list", "spread", "spread_text", "count",
           "in_seeds", "holds", "thresholds", "thresholds_text", "threshold"]

DEFAULT_SEEDS = 3
"""Seeds an experiment runs by default (``seeds=``); more where runs are cheap."""


def seed_list(seed: int, seeds: int) -> list[int]:
    """The seeds a run with first seed ``seed`` and ``seeds`` of them uses."""
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
        raise ValueError(f"lab: seeds must be an int >= 1, got {seeds!r}")
    return list(range(int(seed), int(seed) + int(seeds)))


def spread(values: Iterable) -> dict:
    """Mean, min and max of a measurement over seeds. NaN (a diverged run) makes all three
    NaN, so that no mean quietly leaves it out; None (a target never reached) likewise
    gives None. An infinite value stays infinite."""
    values = list(values)
    if not values:
        raise ValueError("lab: spread() needs at least one value, got none")
    if any(v is None for v in values):
        return {"mean": None, "min": None, "max": None}
    floats = [float(v) for v in values]
    if any(math.isnan(v) for v in floats):
        return {"mean": math.nan, "min": math.nan, "max": math.nan}
    with np.errstate(invalid="ignore", over="ignore"):
        mean = float(np.mean(floats)) if all(map(math.isfinite, floats)) else \
            (math.inf if max(floats) == math.inf else -math.inf)
    return {"mean": mean, "min": min(floats), "max": max(floats)}


def spread_text(s: dict, spec: str = ".3g", unit: str = "") -> str:
    """'0.2 (0.1 to 0.3)': a spread's mean and, when the seeds differ, its range; 'NaN (a seed
    diverged)' or 'never (in some seed)' when a seed had no value."""
    if s["mean"] is None:
        return _("never (in some seed)")
    if isinstance(s["mean"], float) and math.isnan(s["mean"]):
        return _("NaN (a seed diverged)")
    mean, low, high = (format(s[k], spec) + unit for k in ("mean", "min", "max"))
    # "to", not a hyphen: a range's ends may be negative
    return mean if low == high else _("{mean} ({low} to {high})").format(mean=mean, low=low,
                                                                         high=high)


def count(flags: Sequence) -> tuple[int, int]:
    """(how many flags are true, how many there are)."""
    flags = [bool(f) for f in flags]
    return sum(flags), len(flags)


def holds(flags: Sequence) -> bool:
    """The claim held in every seed."""
    k, n = count(flags)
    return n > 0 and k == n


def in_seeds(flags: Sequence) -> str:
    """'in all 3 seeds', 'in 2 of 3 seeds', 'in none of the 3 seeds' ('in both seeds',
    'in neither seed' for two); for one seed 'in this seed' or 'not in this seed'."""
    k, n = count(flags)
    if n == 1:
        return _("in this seed") if k else _("not in this seed")
    if k == n:
        return _("in both seeds") if n == 2 else _("in all {n} seeds").format(n=n)
    if k == 0:
        return _("in neither seed") if n == 2 else _("in none of the {n} seeds").format(n=n)
    return _("in {k} of {n} seeds").format(k=k, n=n)


def threshold(numbers: dict, name: str, default):
    """The threshold ``name`` a conclusion uses: the one recorded in
    ``numbers["thresholds"]``, else the module's ``default`` (Results saved before
    thresholds were recorded)."""
    return numbers.get("thresholds", {}).get(name, default)


def thresholds(numbers: dict | None, defaults: dict) -> dict:
    """Every threshold of ``defaults`` (name -> the module's value) as ``numbers`` recorded
    it, the module's value where it did not: what ``conclude`` judges by and prints.

    >>> thresholds({"thresholds": {"RISE": 3.0}}, {"RISE": 2.0, "MARGIN": 0.05})
    {'RISE': 3.0, 'MARGIN': 0.05}
    """
    return {name: threshold(numbers or {}, name, default) for name, default in defaults.items()}


def thresholds_text(thresholds: dict) -> str:
    """'Thresholds: RISE = 2, MARGIN = 0.05.': the named thresholds a conclusion used."""
    shown = ", ".join(f"{name} = {value:g}" if isinstance(value, (int, float))
                      else f"{name} = {value}" for name, value in thresholds.items())
    return _("Thresholds: {thresholds}.").format(thresholds=shown)
