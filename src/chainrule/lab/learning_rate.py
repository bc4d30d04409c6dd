"""A learning-rate sweep: too small, good, unstable and diverging rates side by side.

The same small network (an MLP 30-16-16-1 with tanh, Xavier init, the same weights for
every rate) is trained on breast cancer with plain full-batch gradient descent
(``optim.SGD`` without momentum, ``batch_size=None``: one update per step, no sampling
noise, so every wiggle in a curve comes from the rate) for the same number of steps, once
per learning rate. Each rate gets a verdict computed from its loss curve:

- diverged: the loss became NaN/inf (``fit`` raises ``NonFiniteLossError``), or ended
  above its starting value, or blew up (peak > 10x the start) and never came back below
  half the start;
- unstable (oscillating): otherwise, if the loss rose on more than 5% of the steps or
  peaked above 1.5x its start;
- too small: a stable curve that the best rate matched within a fifth of the budget
  (the best rate reached this rate's final loss in <= steps/5 steps: the rate is
  wasting at least 5x the steps);
- good: the rest.
The best rate is the one with the lowest final loss that did not diverge.

Default run (6 rates, 200 steps each): about 0.3 s on 2 cores.
"""
from __future__ import annotations

import math

import numpy as np

from .. import nn, optim
from ..data import datasets
from ..nn import functional as F
from ..random import manual_seed
from ..inspect.plots import figure_class
from .harness import recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "learning-rate"
TITLE = N_("A learning-rate sweep: too small crawls, too large oscillates or diverges")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "loss": N_(
        "The training loss per step for each learning rate: the same network, start and "
        "number of steps."),
}
TINY = dict(lrs=(0.001, 1.0, 100.0), steps=40)

BLOWUP = 10.0           # peak / start above which a curve "blew up"
SPIKE = 1.5             # peak / start above which a curve is unstable
RISE_FRACTION = 0.05    # fraction of rising steps above which a curve is unstable
SLOW = 5.0              # "too small": the best rate was at least this many times faster
VERDICTS = ("too small", "good", "unstable", "diverged")
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"lrs": "(0, inf)", "steps": "[1, inf)", "width": "[1, inf)",
          "activation": ("sigmoid", "tanh", "relu", "leaky_relu")}


def _curve(lr: float, X, y, steps: int, width: int, activation: str, seed: int,
           progress: bool) -> dict:
    """Train from the seed's weights; the loss before each step and after the last."""
    manual_seed(seed)
    model = nn.mlp(X.shape[1], 1, depth=2, width=width, activation=activation)
    t = train(model, F.binary_cross_entropy_with_logits, optim.SGD(model.parameters(), lr=lr),
              (X, y), steps, batch_size=None, seed=seed, shuffle=False, progress=progress)
    losses = [float(v) for v in t.history.step_loss]
    if t.diverged:
        losses.append(float(t.error.loss))
        return {"loss": losses, "non_finite": True, "non_finite_step": len(losses) - 1}
    return {"loss": losses + [t.train_loss], "non_finite": not math.isfinite(t.train_loss),
            "non_finite_step": None}


def _reach(curve: list, level: float) -> int | None:
    """The first step at which curve is at or below level."""
    return next((k for k, v in enumerate(curve) if v <= level), None)


def classify(curves: dict, steps: int) -> dict:
    """Per rate (keyed by its string): start, final, peak, rising fraction and verdict;
    plus the best rate. ``curves`` maps the rate to its loss list."""
    out = {}
    for key, c in curves.items():
        loss = np.asarray(c["loss"], dtype=np.float64)
        finite = bool(np.all(np.isfinite(loss))) and not c.get("non_finite", False)
        start, final = float(loss[0]), float(loss[-1])
        peak = float(np.max(loss)) if finite else float("inf")
        rises = float(np.mean(np.diff(loss) > 1e-7 * max(start, 1e-12))) if len(loss) > 1 \
            else 0.0
        if not finite or final > start or (peak > BLOWUP * start and final > 0.5 * start):
            verdict = "diverged"
        elif rises > RISE_FRACTION or peak > SPIKE * start:
            verdict = "unstable"
        else:
            verdict = None       # stable: too small or good, decided against the best
        out[key] = {"start": start, "final": final if finite else float("nan"),
                    "peak": peak, "rising_fraction": rises, "verdict": verdict}
    candidates = [k for k, v in out.items() if v["verdict"] != "diverged"]
    best = min(candidates, key=lambda k: out[k]["final"]) if candidates else None
    for key, v in out.items():
        v["best_reached_this_at"] = None
        if v["verdict"] is not None:
            continue
        if best is None or key == best:
            v["verdict"] = "good"
            continue
        at = _reach(curves[best]["loss"], v["final"])
        v["best_reached_this_at"] = at
        v["verdict"] = "too small" if at is not None and at * SLOW <= steps else "good"
    return {"per_lr": out, "best_lr": None if best is None else float(best)}


@recorded
def run(*, seed: int = 0, lrs: tuple[float, ...] = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0),
        steps: int = 200, width: int = 16, activation: str = "tanh",
        progress: bool = False) -> Result:
    """Train the same network with each learning rate and classify each loss curve."""
    lrs = tuple(float(v) for v in lrs)
    if not lrs or any(not v > 0 for v in lrs):
        raise ValueError(f"learning-rate: lrs must be positive numbers, got {lrs!r}")
    X, _X_test, y, _y_test = datasets.breast_cancer(split=True)
    y = y.reshape(-1, 1).astype(np.float32)
    curves = {repr(lr): _curve(lr, X, y, steps, width, activation, seed, progress)
              for lr in lrs}
    verdicts = classify(curves, steps)
    numbers = {"lrs": list(lrs), "steps": steps,
               "curves": {k: c["loss"] for k, c in curves.items()},
               "non_finite_step": {k: c["non_finite_step"] for k, c in curves.items()},
               "final_loss": {k: v["final"] for k, v in verdicts["per_lr"].items()},
               "verdict": {k: v["verdict"] for k, v in verdicts["per_lr"].items()},
               "details": verdicts["per_lr"], "best_lr": verdicts["best_lr"]}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
# The verdicts' names, for extraction (the numbers keep them in English; _ translates them).
_VERDICTS = (N_("too small"), N_("good"), N_("unstable"), N_("diverged"),
             N_("too large (unstable or diverged)"))


def _fmt(x: float) -> str:
    return f"{x:.3g}" if math.isfinite(x) else str(x)


def _describe(key: str, d: dict, steps: int, non_finite_step) -> str:
    v, key = d["verdict"], f"{float(key):g}"
    values = dict(lr=key, start=_fmt(d["start"]), final=_fmt(d["final"]), peak=_fmt(d["peak"]))
    if v == "diverged":
        if non_finite_step is not None:
            return _("lr {lr} diverged (the loss became non-finite at step {step})").format(
                step=non_finite_step, **values)
        return _("lr {lr} diverged (loss {start} -> {final}, peak {peak})").format(**values)
    if v == "unstable":
        return _("lr {lr} was unstable (the loss rose on {rising:.0%} of the steps, peak "
                 "{peak}, end {final})").format(rising=d["rising_fraction"], **values)
    if v == "too small":
        return _("lr {lr} was too small (loss {start} -> {final}; the best rate got there in "
                 "{at} of {steps} steps)").format(at=d["best_reached_this_at"], steps=steps,
                                                  **values)
    return _("lr {lr} was good (loss {start} -> {final})").format(**values)


def conclude(numbers: dict) -> str:
    details, steps = numbers["details"], numbers["steps"]
    keys = [repr(float(v)) for v in numbers["lrs"]]
    parts = [_("Over {steps} full-batch gradient-descent steps: {rates}.").format(
        steps=steps, rates="; ".join(
            _describe(k, details[k], steps, numbers["non_finite_step"].get(k)) for k in keys))]
    best = numbers["best_lr"]
    if best is None:
        parts.append(_("Every rate diverged: no good rate in this sweep."))
    else:
        parts.append(_("The best rate was {lr:g} (final loss {loss}).").format(
            lr=best, loss=_fmt(details[repr(best)]["final"])))
    seen = {details[k]["verdict"] for k in keys}
    missing = [v for v in ("too small", "good") if v not in seen]
    if not ({"unstable", "diverged"} & seen):
        missing.append("too large (unstable or diverged)")
    if missing:
        regimes = _(missing[0])
        for regime in missing[1:]:
            regimes = _("{regimes} and none {regime}").format(regimes=regimes, regime=_(regime))
        parts.append(_("Not every regime showed: no rate was {regimes}; widen the sweep to see "
                       "all three.").format(regimes=regimes))
    else:
        parts.append(_("All three regimes show: too small a rate crawls, a good one converges, "
                       "too large a one oscillates or diverges."))
    return " ".join(parts)


# ------------------------------------------------------------------------ figures
STYLES = {"too small": "--", "good": "-", "unstable": "-.", "diverged": ":"}


def plot(result: Result) -> dict:
    Figure = figure_class()   # (a clear error when matplotlib is missing)
    # matplotlib is optional: imported only when a figure is drawn
    from matplotlib import colormaps

    n = result.numbers
    fig = Figure(figsize=(7.5, 4.6), layout="constrained")
    ax = fig.subplots()
    keys = [repr(float(v)) for v in n["lrs"]]
    best = None if n["best_lr"] is None else repr(float(n["best_lr"]))
    cmap = colormaps["plasma"]
    for i, key in enumerate(keys):
        verdict = n["verdict"][key]
        loss = np.asarray(n["curves"][key], dtype=np.float64)
        shown = np.where(np.isfinite(loss), loss, np.nan)
        color = cmap(0.85 * i / max(len(keys) - 1, 1))
        label = (_("lr {lr:g}: {verdict} (best)") if key == best else
                 _("lr {lr:g}: {verdict}")).format(lr=float(key), verdict=_(verdict))
        ax.plot(np.arange(len(loss)), shown, color=color, ls=STYLES.get(verdict, "-"),
                lw=2.6 if key == best else 1.6, label=label)
        k = n["non_finite_step"].get(key)
        if k is not None and k > 0:
            ax.plot([k - 1], [np.nanmax(shown[:k])], "x", color=color, ms=9, mew=2)
    ax.set_yscale("log")
    ax.set_xlabel(_("gradient-descent step (full batch)"))
    ax.set_ylabel(_("training loss (BCE, log scale)"))
    ax.set_title(_("Learning-rate sweep: the same network and start, {steps} steps "
                   "each").format(steps=n["steps"]))
    ax.legend(fontsize=8, loc="best")
    return {"loss": fig}
