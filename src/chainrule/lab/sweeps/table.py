"""A sweep's results: one row per run (the swept parameters, the seed, the experiment's
scalar numbers flattened to dotted names, the wall time, the status and any error),
their mean and spread over seeds, the figures drawn from them and a conclusion.

What to plot and conclude comes from the experiment module's ``SWEEP`` declaration::

    SWEEP = {"numbers": ("per_activation.sigmoid.init_ratio", ...),   # the main numbers
             "thresholds": ({"number": "per_activation.sigmoid.init_ratio",
                             "below": 1e-3, "over": "layers",
                             "what": "the sigmoid network's first/last gradient ratio"},)}

A threshold asks: from which value of ``over`` on does the number's mean over seeds
fall below ``below``? The answer says so when it never does. Without a declaration the
main numbers are the first numeric columns and there is no threshold.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from ...fileio import save_figure, write_text
from ..tables import format_value, is_number

__all__ = ["SweepTable", "flatten", "shown", "seed_stats", "finite_values", "RUN_COLUMNS",
           "MAX_DEFAULT_NUMBERS"]

RUN_COLUMNS = ("seconds", "status", "error")
MAX_DEFAULT_NUMBERS = 4      # main numbers plotted when the experiment declares none


def flatten(numbers: dict, prefix: str = "") -> dict:
    """The scalars of a Result's numbers, nested keys joined by dots; lists are left out
    (a sweep's table holds one value per run and column).

    >>> flatten({"a": 1, "per": {"relu": {"ratio": 0.5}}, "curve": [1, 2]})
    {'a': 1, 'per.relu.ratio': 0.5}
    """
    flat = {}
    for key, value in numbers.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif value is None or isinstance(value, (bool, int, float, str)):
            flat[name] = value
    return flat


def finite_values(values) -> list[float]:
    return [float(v) for v in values if is_number(v) and math.isfinite(v)]


def seed_stats(values) -> dict:
    """mean, std (over seeds, n - 1), min, max and n of the finite values."""
    xs = finite_values(values)
    if not xs:
        return {"n": 0, "mean": None, "std": None, "min": None, "max": None}
    return {"n": len(xs), "mean": statistics.fmean(xs),
            "std": statistics.stdev(xs) if len(xs) > 1 else 0.0, "min": min(xs), "max": max(xs)}


def shown(value) -> str:
    if isinstance(value, (tuple, list)):
        return ":".join(map(shown, value))
    return format_value(value) if isinstance(value, float) else str(value)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass
class SweepTable:
    """experiment, grid (parameter -> values), seeds, rows (one dict per run, in the
    grid's order: parameters, ``seed``, numbers, ``seconds``, ``status``, ``error``),
    declared (the module's SWEEP), and how the rows came: ``ran`` now, ``cached``."""

    experiment: str
    grid: dict
    seeds: list
    rows: list[dict]
    quick: bool = False
    backend: str = "local"
    declared: dict = field(default_factory=dict)
    ran: int = 0
    cached: int = 0
    seconds: float = 0.0
    version: str = ""
    written: list = field(default_factory=list)     # the files save() wrote

    def __post_init__(self) -> None:
        # Every row gets every column (None where a run has no such number: it failed).
        columns = self.columns
        self.rows = [{c: row.get(c) for c in columns} for row in self.rows]

    # ------------------------------------------------------------ shape
    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    @property
    def number_columns(self) -> list[str]:
        fixed = set(self.grid) | {"seed", *RUN_COLUMNS}
        return list(dict.fromkeys(k for row in self.rows for k in row if k not in fixed))

    @property
    def columns(self) -> list[str]:
        return [*self.grid, "seed", *self.number_columns, *RUN_COLUMNS]

    @property
    def failed(self) -> list[dict]:
        return [row for row in self.rows if row["status"] != "ok"]

    @property
    def swept(self) -> list[str]:
        """The parameters that take more than one value."""
        return [k for k, values in self.grid.items() if len(values) > 1]

    @property
    def x(self) -> str | None:
        """The parameter the figures put on the x axis: the first one swept."""
        return (self.swept or list(self.grid) or [None])[0]

    @property
    def main_numbers(self) -> list[str]:
        present = self.number_columns
        declared = [n for n in self.declared.get("numbers", ()) if n in present]
        if declared:
            return declared
        numeric = [c for c in present if any(is_number(r.get(c)) for r in self.rows)]
        return numeric[:MAX_DEFAULT_NUMBERS]

    def combinations(self) -> list[dict]:
        return [dict(zip(self.grid, values)) for values in itertools.product(*self.grid.values())]

    def rows_of(self, params: dict) -> list[dict]:
        return [r for r in self.rows if r["status"] == "ok"
                and all(r[k] == v for k, v in params.items())]

    def summary(self) -> list[dict]:
        """One dict per combination: its parameters, the seeds that finished and, for
        each main number, its mean, std, min and max over them."""
        out = []
        for params in self.combinations():
            rows = self.rows_of(params)
            out.append({**params, "finished": len(rows),
                        **{n: seed_stats(r.get(n) for r in rows) for n in self.main_numbers}})
        return out

    # ------------------------------------------------------------ conclusion
    @property
    def conclusion(self) -> str:
        parts = [self._tally()]
        parts += [self._threshold(t) for t in self.declared.get("thresholds", ())]
        return " ".join(parts)

    def _tally(self) -> str:
        n, bad = len(self.rows), self.failed
        combos = len(self.combinations())
        text = (f"{n} runs of {self.experiment}{' (quick)' if self.quick else ''}: {combos} "
                f"combination{'s' if combos != 1 else ''} x {len(self.seeds)} "
                f"seed{'s' if len(self.seeds) != 1 else ''}; {n - len(bad)} finished")
        if not bad:
            return text + "."
        shown = [f"{self._label(r)} ({r['error']})" for r in bad[:3]]
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        return f"{text}, {len(bad)} failed: {'; '.join(shown)}{more}."

    def _label(self, row: dict) -> str:
        return " ".join(f"{k}={shown(row[k])}" for k in (*self.grid, "seed"))

    def _threshold(self, t: dict) -> str:
        over, number, below = t["over"], t["number"], t["below"]
        what = t.get("what", number)
        values = self.grid.get(over, [])
        if len(values) < 2:
            return (f"The sweep does not vary {over}, so it cannot say at which {over} "
                    f"{what} falls below {below:g}.")
        others = [k for k in self.swept if k != over]
        clauses = {}                   # the same answer for several combinations: said once
        for combo in itertools.product(*(self.grid[k] for k in others)):
            fixed = dict(zip(others, combo))
            clause = self._crossing(fixed, t, sorted(values))
            where = ", ".join(f"{k} = {shown(v)}" for k, v in fixed.items())
            clauses.setdefault(clause, []).append(where)
        said = [f"with {_join(where)} it {clause}" if where[0] else f"it {clause}"
                for clause, where in clauses.items()]
        seeds = ", ".join(map(str, self.seeds))
        return (f"Mean over seed{'s' if len(self.seeds) > 1 else ''} {seeds}, {what}: "
                f"{'; '.join(said)}.")

    def _crossing(self, fixed: dict, t: dict, values: list) -> str:
        over, number, below = t["over"], t["number"], t["below"]
        points = []
        for x in values:
            rows = self.rows_of({**fixed, over: x})
            stats = seed_stats(r.get(number) for r in rows)
            if stats["n"]:
                under = sum(1 for v in finite_values(r.get(number) for r in rows) if v < below)
                points.append((x, stats["mean"], under, stats["n"]))
        if not points:
            return "could not be measured: no run finished"
        for i, (x, mean, under, n) in enumerate(points):
            if mean < below:
                seeds = f"below in {under} of {n} seed{'s' if n > 1 else ''}"
                if i == 0:
                    return (f"is below {below:g} already at the smallest {over} swept, "
                            f"{shown(x)} ({mean:.2g}; {seeds})")
                px, pmean = points[i - 1][:2]
                return (f"falls below {below:g} from {over} = {shown(x)} on ({mean:.2g}, "
                        f"{seeds}; {pmean:.2g} at {over} = {shown(px)})")
        low = min(points, key=lambda p: p[1])
        return (f"did not fall below {below:g} at any {over} swept, {shown(points[0][0])} to "
                f"{shown(points[-1][0])} (lowest {low[1]:.2g}, at {over} = {shown(low[0])})")

    # ------------------------------------------------------------ files
    def to_dict(self) -> dict:
        return {"experiment": self.experiment, "chainrule_version": self.version,
                "quick": self.quick, "backend": self.backend, "grid": self.grid,
                "seeds": self.seeds, "columns": self.columns, "rows": self.rows,
                "main_numbers": self.main_numbers, "summary": self.summary(),
                "conclusion": self.conclusion, "ran": self.ran, "cached": self.cached,
                "seconds": self.seconds}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=True, default=list)

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        columns = self.columns
        writer.writerow(columns)
        for row in self.rows:
            writer.writerow(_csv_cell(row.get(c)) for c in columns)
        return buffer.getvalue()

    def figures(self) -> dict:
        # here, not at the top: lab.sweeps.figures imports this module
        from .figures import number_figure

        return {n: number_figure(self, n) for n in self.main_numbers}

    def save(self, out_dir, figures: bool = True) -> list[Path]:
        """Write sweep.json, sweep.csv and (figures, with matplotlib) one
        sweep-NUMBER.png and .svg per main number into out_dir, atomically."""

        out = Path(out_dir)
        written = [write_text(out / "sweep.json", self.to_json()),
                   write_text(out / "sweep.csv", self.to_csv())]
        if figures:
            try:
                drawn = self.figures()
            except ImportError:          # no matplotlib: the table is the result
                drawn = {}
            for number, fig in drawn.items():
                stem = "sweep-" + number.replace(".", "-")
                written += [save_figure(fig, out / f"{stem}.{ext}") for ext in ("png", "svg")]
        self.written = written
        return written

    def format(self) -> str:
        """The summary as plain text: one line per combination, mean ± std over seeds of
        each main number."""
        short = {n: ".".join(n.split(".")[-2:]) for n in self.main_numbers}
        header = [*self.grid, "seeds", *short.values()]
        lines = []
        for s in self.summary():
            cells = [shown(s[k]) for k in self.grid] + [f"{s['finished']}/{len(self.seeds)}"]
            for n in self.main_numbers:
                st = s[n]
                cells.append("—" if st["mean"] is None else
                             f"{st['mean']:.3g} ± {st['std']:.2g}" if st["n"] > 1 else
                             f"{st['mean']:.3g}")
            lines.append(cells)
        widths = [max(len(str(c)) for c in col) for col in zip(header, *lines)]
        render = lambda cells: "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths))  # noqa: E731
        return "\n".join([render(header), *map(render, lines)]) + "\n"


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ":".join(map(_csv_cell, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)
