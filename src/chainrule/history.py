"""``History``: what ``fit`` measured, per step and per epoch, and how to see it (a short
summary when printed, a table in Jupyter, a figure with ``plot()``)."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["History"]


@dataclass(repr=False)
class History:
    """What ``fit`` measured: per step the loss, per epoch the mean training loss,
    each metric on the training and validation data, and the wall time.

    Printed (or ending a notebook cell) it is a short summary, not every step's loss:
    epochs, steps, time, and each quantity's final and best value. ``plot()`` draws the
    losses and metrics per epoch; ``history["val_accuracy"]`` is one series.

    >>> history        # History: 30 epochs (120 steps) in 0.41 s; train_loss 0.69 -> 0.12 ...  # doctest: +SKIP
    """

    step_loss: list = field(default_factory=list)
    epochs: list = field(default_factory=list)     # one dict per epoch
    stopped_early: bool = False
    wall_time: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.step_loss)

    def __getitem__(self, key: str) -> list:
        """The per-epoch series of one quantity: ``history["val_accuracy"]``."""
        if not self.epochs or key not in self.epochs[0]:
            known = sorted(self.epochs[0]) if self.epochs else []
            raise KeyError(f"History: no per-epoch '{key}'; recorded: {known}")
        return [e[key] for e in self.epochs]

    @property
    def train_loss(self) -> list:
        return self["train_loss"]

    @property
    def val_loss(self) -> list:
        return self["val_loss"]

    def to_dict(self) -> dict:
        return {"step_loss": list(self.step_loss), "epochs": list(self.epochs),
                "stopped_early": self.stopped_early, "wall_time": self.wall_time}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(list(d["step_loss"]), [dict(e) for e in d["epochs"]],
                   bool(d["stopped_early"]), float(d["wall_time"]))

    # -- seeing it
    def quantities(self) -> list:
        """The per-epoch quantities recorded (losses first), without "epoch" and "time"."""
        names = [k for k in (self.epochs[0] if self.epochs else {}) if k not in ("epoch", "time")]
        return sorted(names, key=lambda k: ("loss" not in k, names.index(k)))

    def best(self, key: str) -> tuple:
        """(best value, its epoch) of one quantity: the lowest for a loss or error, the
        highest for anything else (accuracy); NaN epochs are skipped."""
        values = np.array(self[key], dtype=np.float64)
        finite = np.isfinite(values)
        if not finite.any():
            return math.nan, None
        i = (np.nanargmin if _lower_is_better(key) else np.nanargmax)(np.where(finite, values,
                                                                               np.nan))
        return float(values[i]), int(self.epochs[i]["epoch"])

    def summary(self) -> list:
        """One row per quantity: (name, first, final, best, best epoch)."""
        return [(k, self[k][0], self[k][-1], *self.best(k)) for k in self.quantities()]

    def __repr__(self) -> str:
        if not self.epochs:
            return f"History: no epoch finished ({self.steps} steps)"
        parts = [f"{k} {_num(first)} -> {_num(final)} (best {_num(best)} at epoch {at})"
                 for k, first, final, best, at in self.summary()]
        return (f"History: {self._heading()}" + "".join(f"\n  {p}" for p in parts))

    def _heading(self) -> str:
        n = len(self.epochs)
        epochs = f"{n} epoch{'s' * (n != 1)}"
        if self.epochs[0]["epoch"] != 1:
            epochs += f" (epochs {self.epochs[0]['epoch']}-{self.epochs[-1]['epoch']})"
        early = ", stopped early" if self.stopped_early else ""
        return f"{epochs}, {self.steps} steps, {self.wall_time:.3g} s{early}"

    def _repr_html_(self) -> str:
        """A small table for Jupyter: each quantity's first, final and best value."""
        if not self.epochs:
            return f"<p>{html.escape(repr(self))}</p>"
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{_num(first)}</td><td>{_num(final)}</td>"
            f"<td>{_num(best)}</td><td>{at}</td></tr>"
            for k, first, final, best, at in self.summary())
        return (f"<table><caption>History: {html.escape(self._heading())}</caption>"
                "<tr><th></th><th>first epoch</th><th>final</th><th>best</th>"
                f"<th>best at epoch</th></tr>{rows}</table>")

    def plot(self, title: str | None = None):
        """A Figure of the losses (log scale) and, beside them, the metrics per epoch; it
        shows itself in Jupyter. Drawn by ``cr.inspect.plot_history``."""
        # here, not at the top: chainrule.train imports this module, and chainrule.inspect
        # (plots' package) imports chainrule.train
        from .inspect.plots import plot_history
        return plot_history(self, title=title)


def _lower_is_better(key: str) -> bool:
    return any(w in key for w in ("loss", "error", "mse", "mae"))


def _num(v) -> str:
    if v is None:
        return "-"
    v = float(v)
    return f"{v:.4g}" if v == 0 or 1e-3 <= abs(v) < 1e5 or not math.isfinite(v) else f"{v:.3e}"
