"""A sweep's figures, drawn from its table: one main number against the swept parameter,
one line per combination of the other swept parameters; the line is the mean over
seeds, the band the seeds' range (min to max), the dots the seeds themselves."""
from __future__ import annotations

import itertools
import math

from ...inspect.plots import figure_class
from .table import SweepTable, finite_values, seed_stats, shown

__all__ = ["number_figure"]


def _positions(values: list) -> tuple[list, list | None]:
    """x positions of the swept values: the numbers themselves, or 0, 1, ... with the
    values as tick labels when they are not numbers (choices, tuples)."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return list(values), None
    return list(range(len(values))), [shown(v) for v in values]


def _wide(xs: list, ratio: float) -> bool:
    """All positive and spread over more than ratio: a log axis shows them better."""
    finite = [x for x in xs if math.isfinite(x)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > ratio


def number_figure(table: SweepTable, number: str):
    Figure = figure_class()
    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    over = table.x
    values = list(table.grid[over])
    order = sorted(range(len(values)), key=lambda i: values[i]) \
        if all(isinstance(v, (int, float)) for v in values) else range(len(values))
    values = [values[i] for i in order]
    xs, labels = _positions(values)
    others = [k for k in table.swept if k != over]
    seen = []
    for k, combo in enumerate(itertools.product(*(table.grid[o] for o in others))):
        fixed = dict(zip(others, combo))
        label = ", ".join(f"{o} = {shown(v)}" for o, v in fixed.items()) or "mean over seeds"
        line = _line(table, number, over, values, xs, fixed)
        if not line:
            continue
        px, mean, low, high, dots = line
        color = f"C{k % 10}"
        ax.plot(px, mean, "o-", color=color, lw=2, label=label)
        ax.fill_between(px, low, high, color=color, alpha=0.18, lw=0)
        ax.plot([d[0] for d in dots], [d[1] for d in dots], ".", color=color, alpha=0.5, ms=4)
        seen += [v for v in (*low, *high) if v is not None]
    for t in table.declared.get("thresholds", ()):
        if t["number"] == number and t.get("over") == over:
            ax.axhline(t["below"], color="0.35", ls="--", lw=1, label=f"threshold {t['below']:g}")
            seen.append(t["below"])
    if _wide(seen, 100):
        ax.set_yscale("log")
    if labels is None and _wide(xs, 50):
        ax.set_xscale("log")
    if labels is None and len(xs) <= 12:        # few values: tick exactly those
        labels = [shown(v) for v in values]
    if labels is not None:
        ax.set_xticks(xs, labels)
        ax.minorticks_off()
    ax.set_xlabel(over)
    ax.set_ylabel(number)
    seeds = len(table.seeds)
    ax.set_title(f"{table.experiment}: {number}\nline: mean over {seeds} seed"
                 f"{'s' if seeds != 1 else ''}; band: their range", fontsize=10)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return fig


def _line(table, number, over, values, xs, fixed):
    px, mean, low, high, dots = [], [], [], [], []
    for x, value in zip(xs, values):
        rows = table.rows_of({**fixed, over: value})
        st = seed_stats(r.get(number) for r in rows)
        if not st["n"]:
            continue
        px.append(x)
        mean.append(st["mean"])
        low.append(st["min"])
        high.append(st["max"])
        dots += [(x, v) for v in finite_values(r.get(number) for r in rows)]
    return (px, mean, low, high, dots) if px else None
