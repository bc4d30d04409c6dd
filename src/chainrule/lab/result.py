"""What an experiment returns: its parameters, its numbers, a conclusion computed from
the numbers, and its figures. The numbers are JSON; the figures are drawn from the
numbers by the experiment's ``plot`` function, never inside ``run``."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .._version import __version__
from ..fileio import save_figure, write_text


@dataclass
class Result:
    """One run of one experiment.

    name: the experiment ("vanishing"); params: the arguments it ran with (seed included);
    numbers: every measurement, JSON-serialisable; conclusion: a few sentences computed
    from the numbers (saying so when the expected effect did not show); figures: name ->
    matplotlib Figure; seconds: wall time of the run. An experiment gives name, numbers
    and conclusion; params and seconds are the harness's (``lab.harness.recorded``,
    ``lab.run``).

    >>> Result("vanishing", numbers={"steps": 3}, conclusion="...").params
    {}
    """

    name: str
    params: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
    conclusion: str = ""
    seconds: float = 0.0
    figures: dict = field(default_factory=dict)
    version: str = __version__

    def to_dict(self) -> dict:
        return {"name": self.name, "chainrule_version": self.version, "params": self.params,
                "numbers": self.numbers, "conclusion": self.conclusion,
                "seconds": self.seconds, "figures": sorted(self.figures)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=True)

    def save(self, out_dir) -> list[Path]:
        """Write ``NAME.json`` and each figure as ``NAME-FIGURE.png`` and ``.svg`` into
        out_dir (atomically); return the paths written."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [write_text(out / f"{self.name}.json", self.to_json())]
        for fig_name, fig in self.figures.items():
            for ext in ("png", "svg"):
                path = out / f"{self.name}-{fig_name}.{ext}"
                written.append(save_figure(fig, path))
        return written
