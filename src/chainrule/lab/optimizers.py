"""The backprop lecture's optimizers, SGD, momentum, RMSProp and Adam, side by side: in a
narrow valley, then on a network.

**The valley.** f(x, y) = x²/ratio + y² (ratio 100 by default) curves 100 times more
steeply across the valley (y) than along it (x). Each optimizer is ``cr.descend(...,
optimizer=NAME)``: chainrule's own ``optim.SGD`` (momentum 0 and 0.9), ``RMSprop`` and
``Adam`` (PyTorch's defaults otherwise) stepping a tensor that holds (x, y), from the
same start, for at most the same number of steps. The learning rates are stated in the
numbers; the defaults are each one's fair share of this function: SGD at 0.9, just below
2 / (its steepest curvature, 2) = 1, above which it diverges across the valley, so it
cannot go faster along it; momentum at 0.3 (its steps add up to lr / (1 - 0.9) = 3 along
the floor); Adam at 0.3, a step of about 0.3 per coordinate; RMSProp at 0.1, whose first
step is lr / sqrt(1 - alpha) = 10 lr per coordinate (PyTorch's RMSprop has no bias
correction). What is measured, from the paths:

- ``reach_step``: the first step with f <= REACH x f(start) (None: not within the budget);
- ``zigzag``: the share of the first ZIGZAG_WINDOW steps whose step across the valley (y)
  reverses the previous one;
- ``step_ratio``: mean |step along| / mean |step across| over the first RATIO_WINDOW steps.
  For SGD it is the gradient's own ratio; an optimizer that divides each coordinate's step
  by that coordinate's gradient size brings it towards 1.

**The network.** An MLP (``nn.mlp(64, 10, depth, width, "relu")``) on digits, the same
initial weights and mini-batches for every optimizer, the same number of updates, each
optimizer at the learning rate usually given for it (PyTorch's defaults for RMSprop, 0.01,
and Adam, 0.001; SGD has none in PyTorch: 0.1, the common choice, with and without
momentum 0.9), over ``seeds`` seeds. The training loss on the whole training set is
recorded every ``record_every`` updates.

Seeds and thresholds. The valley has nothing random in it: it is run once and the
conclusion says so. The network is run for ``seeds`` seeds (seed, seed + 1, ...; 3 by
default; ``numbers["seeds"]`` lists them); its final losses are reported as mean (range)
(``chainrule.lab.seeds``), and a claim about it ("lowest", "ended lower than SGD") is made
only when it holds in every seed, else the conclusion says in how many seeds it held. The
thresholds are module constants, recorded in ``numbers["thresholds"]``, read back by
``conclude`` and printed: REACH = 1e-3 (the valley's "reached the minimum", a fraction of
f(start)), ZIGZAG = 0.5 (the share of reversing steps across the valley that is a zigzag),
SPEEDUP = 2 (momentum this many times sooner than SGD), NORMALISED = 5 (an adaptive
optimizer's step ratio this many times SGD's), BETTER = 0.5 (a final loss below this
fraction of SGD's is "lower") and NET_TARGET = 0.1 (the training loss whose first crossing
is reported). The budget is the same number of steps/updates for every optimizer, each at
its own stated learning rate (the usual one, not tuned: the conclusion says "at this
learning rate and budget").

Default run (4 x 100 valley steps, 4 x 3 x 300 network updates): about 13 s on 2 cores
while other jobs ran, a few of them importing scikit-learn for its datasets.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import nn, optim, train
from ..data import datasets
from ..descent import MOMENTUM, OPTIMIZERS, Trajectory, descend
from ..expr import parse
from ..inspect.overlay import PATH_COLORS, overlay_figure
from ..inspect.plots import figure_class
from ..nn import functional as F
from ..random import manual_seed
from . import seeds as _seeds
from .harness import recorded, train as train_model
from .result import Result
from ..i18n import N_, _

NAME = "optimizers"
TITLE = N_("SGD, momentum, RMSProp and Adam: a narrow valley and a network, the same step "
         "budget")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "valley": N_(
        "The paths of SGD, momentum, RMSProp and Adam from the same start in a narrow valley,"
        " drawn on its contour lines."),
    "loss": N_(
        "The training loss of the same network with each optimizer, against the number of "
        "updates."),
}
TINY = dict(seeds=1, valley_steps=30, net_steps=30, record_every=5, width=16)

NAMES = tuple(OPTIMIZERS)                # sgd, momentum, rmsprop, adam: the lecture's order
ADAPTIVE = ("rmsprop", "adam")           # the two that scale each coordinate's step
REACH = 1e-3            # "reached the minimum": f at most this fraction of f(start)
ZIGZAG_WINDOW = 20      # steps in which SGD's zigzag across the valley is counted ...
ZIGZAG = 0.5            # ... and the share of them reversing that counts as a zigzag
RATIO_WINDOW = 10       # first steps over which step along / step across is measured
NORMALISED = 5.0        # an adaptive optimizer's ratio this many times SGD's: "normalised"
SPEEDUP = 2.0           # momentum reached the minimum this many times sooner than SGD
BETTER = 0.5            # network: a final loss below this fraction of SGD's is "lower"
NET_TARGET = 0.1        # network: the training loss whose first crossing is reported
VALLEY_THRESHOLDS = {"REACH": REACH, "ZIGZAG": ZIGZAG, "SPEEDUP": SPEEDUP,
                     "NORMALISED": NORMALISED}
NETWORK_THRESHOLDS = {"BETTER": BETTER, "NET_TARGET": NET_TARGET}
THRESHOLDS = {**VALLEY_THRESHOLDS, **NETWORK_THRESHOLDS}
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"seeds": "[1, inf)", "ratio": "(0, inf)", "start": "(-inf, inf)",
          "valley_steps": "[1, inf)", "valley_lrs": "(0, inf)", "net_steps": "[1, inf)",
          "net_lrs": "(0, inf)", "batch_size": "[1, inf)", "width": "[1, inf)",
          "depth": "[1, inf)", "record_every": "[1, inf)"}


# ----------------------------------------------------------------------- the valley
def valley(ratio: float) -> str:
    """The valley as an expression: ``valley(100) == "x**2/100 + y**2"``."""
    return f"x**2/{ratio:g} + y**2"


def _path_numbers(t: Trajectory) -> tuple:
    """What the conclusion needs of one path, and the path itself (for the figure)."""
    fs = t.fs
    reach = next((k for k, v in enumerate(fs) if v <= REACH * fs[0]), None)
    d = np.diff(t.xs, axis=0)
    across = d[:ZIGZAG_WINDOW + 1, 1]
    turns = across[1:] * across[:-1] < 0
    first = np.abs(d[:RATIO_WINDOW])
    along, over = (float(np.mean(first[:, 0])), float(np.mean(first[:, 1]))) if len(d) \
        else (0.0, 0.0)
    numbers = {"lr": t.lr, "steps": t.steps, "verdict": t.verdict, "stopped": t.stopped,
               "final_f": t.f, "final_x": float(t.xs[-1, 0]), "final_y": float(t.xs[-1, 1]),
               "reach_step": reach, "zigzag": float(np.mean(turns)) if turns.size else 0.0,
               "step_ratio": along / over if over > 0 else math.inf}
    path = {"x": t.xs[:, 0].tolist(), "y": t.xs[:, 1].tolist(), "f": fs.tolist(),
            "grad_x": t.grads[:, 0].tolist(), "grad_y": t.grads[:, 1].tolist()}
    return numbers, path


def run_valley(ratio: float, start: tuple, steps: int, lrs: dict) -> dict:
    """Each optimizer on the valley: the numbers of each path ("runs") and the paths."""
    expression = valley(ratio)
    done = {name: _path_numbers(descend(expression, start, lrs[name], steps, optimizer=name))
            for name in NAMES}
    return {"function": expression, "ratio": ratio, "start": list(start), "budget": steps,
            "lrs": {name: lrs[name] for name in NAMES},
            "runs": {name: done[name][0] for name in NAMES},
            "paths": {name: done[name][1] for name in NAMES}}


def trajectories(valley_numbers: dict) -> list:
    """The valley's paths back as Trajectory objects, from the numbers alone (for the
    figure, which ``cr.inspect.overlay`` draws as ``chainrule descend`` does)."""
    e = parse(valley_numbers["function"])

    def function(x, y):
        return e.evaluate({"x": x, "y": y})

    out = []
    for name in NAMES:
        r, p = valley_numbers["runs"][name], valley_numbers["paths"][name]
        out.append(Trajectory(
            ("x", "y"), np.column_stack([p["x"], p["y"]]), np.asarray(p["f"]),
            np.column_stack([p["grad_x"], p["grad_y"]]), r["lr"], 1e-6,
            valley_numbers["budget"], r["stopped"], r["verdict"], "", function,
            valley_numbers["function"], name))
    return out


# ---------------------------------------------------------------------- the network
def recorded_steps(budget: int, every: int) -> list:
    """The updates after which the training loss is recorded: 0, every, 2 every, ...,
    and the last."""
    return sorted(set(range(0, budget + 1, every)) | {budget})


class _Recorder(train.Callback):
    """The whole training set's loss at ``recorded_steps``; stops after ``budget``."""

    def __init__(self, X, y, budget: int, every: int) -> None:
        self.X, self.y, self.budget = X, y, budget
        self.at = set(recorded_steps(budget, every))
        self.curve = []

    def record(self, model) -> None:
        with np.errstate(over="ignore", invalid="ignore"):   # a diverging run: inf or NaN
            self.curve.append(train.evaluate(model, F.cross_entropy, self.X, self.y)["loss"])

    def on_train_begin(self, ctx) -> None:
        self.record(ctx.model)

    def on_step_end(self, ctx) -> None:
        done = ctx.history.steps
        if done in self.at:
            self.record(ctx.model)
        if done >= self.budget:
            ctx.stop = True


def make_optimizer(name: str, params, lr: float):
    """cr.optim's optimizer for one of NAMES (momentum: SGD with momentum 0.9)."""
    if name == "sgd":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=MOMENTUM)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    return optim.Adam(params, lr=lr)


def _train(name: str, lr: float, data: tuple, seed: int, steps: int, batch_size: int,
           width: int, depth: int, every: int, progress: bool) -> dict:
    X, X_test, y, y_test = data
    manual_seed(seed)                # the same weights for every optimizer of one seed
    model = nn.mlp(X.shape[1], 10, depth=depth, width=width, activation="relu")
    recorder = _Recorder(X, y, steps, every)
    epochs = -(-steps // -(-len(X) // batch_size))      # enough epochs for the updates
    trained = train_model(model, F.cross_entropy, make_optimizer(name, model.parameters(), lr),
                          (X, y), epochs, batch_size=batch_size, seed=seed,
                          test=(X_test, y_test), callbacks=[recorder], progress=progress)
    if trained.diverged:         # the rest of the curve is NaN
        curve = recorder.curve + [float("nan")] * (len(recorder.at) - len(recorder.curve))
        return {"loss": curve, "diverged": True, "final_loss": float("nan"),
                "test_accuracy": float("nan")}
    final = recorder.curve[-1]
    if not math.isfinite(final):      # the weights overflowed after the last update
        return {"loss": [v if math.isfinite(v) else float("nan") for v in recorder.curve],
                "diverged": True, "final_loss": float("nan"), "test_accuracy": float("nan")}
    return {"loss": recorder.curve, "diverged": False, "final_loss": final,
            "test_accuracy": trained.test_accuracy}


def _reach(steps: list, loss: list, level: float) -> int | None:
    """The first recorded step at which the loss is at or below level."""
    return next((s for s, v in zip(steps, loss) if v <= level), None)


def run_network(seeds: list, steps: int, lrs: dict, batch_size: int, width: int, depth: int,
                every: int, progress: bool) -> dict:
    data = datasets.digits(split=True)
    at = recorded_steps(steps, every)
    per, curves = {}, {}
    for name in NAMES:
        runs = [_train(name, lrs[name], data, s, steps, batch_size, width, depth, every,
                       progress) for s in seeds]
        finals = [r["final_loss"] for r in runs]
        per[name] = {"lr": lrs[name], "final_loss": _seeds.spread(finals),
                     "final_loss_per_seed": finals,
                     "test_accuracy": _seeds.spread([r["test_accuracy"] for r in runs]),
                     "reach_target_per_seed": [_reach(at, r["loss"], NET_TARGET) for r in runs],
                     "diverged_seeds": sum(r["diverged"] for r in runs)}
        curves[name] = {f"seed {s}": r["loss"] for s, r in zip(seeds, runs)}
    return {"dataset": "digits", "model": f"MLP 64-{'-'.join([str(width)] * depth)}-10 ReLU",
            "budget": steps, "batch_size": batch_size, "seeds": list(seeds),
            "record_every": every, "target_loss": NET_TARGET, "per_optimizer": per,
            "curve_steps": at, "curves": curves}


# ------------------------------------------------------------------------------ run
@recorded
def run(*, seed: int = 0, seeds: int = 3, ratio: float = 100.0,
        start: tuple[float, float] = (-9.0, 1.5), valley_steps: int = 100,
        valley_lrs: tuple[float, float, float, float] = (0.9, 0.3, 0.1, 0.3),
        net_steps: int = 300, net_lrs: tuple[float, float, float, float] = (0.1, 0.1, 0.01,
                                                                            0.001),
        batch_size: int = 64, width: int = 32, depth: int = 2, record_every: int = 10,
        progress: bool = False) -> Result:
    """The four optimizers (learning rates in the order SGD, momentum, RMSProp, Adam) on
    the valley x²/ratio + y² from ``start`` for ``valley_steps`` steps, then on an MLP on
    digits for ``net_steps`` updates from ``seeds`` seeds (seed, seed + 1, ...)."""
    seed_list = _seeds.seed_list(seed, seeds)
    numbers = {
        "seeds": seed_list, "thresholds": dict(THRESHOLDS),
        "valley": run_valley(ratio, tuple(start), valley_steps, dict(zip(NAMES, valley_lrs))),
        "network": run_network(seed_list, net_steps, dict(zip(NAMES, net_lrs)), batch_size,
                               width, depth, record_every, progress)}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ----------------------------------------------------------------------- conclusion
def _g(v: float) -> str:
    return f"{v:.3g}" if math.isfinite(v) else _("NaN (diverged)")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lrs(lrs: dict) -> str:
    return ", ".join(f"{OPTIMIZERS[n]} {lrs[n]:g}" for n in NAMES)


def _reached(r: dict, budget: int) -> str:
    if r["reach_step"] is None:
        return _("not within {budget} (f = {final} at the end)").format(budget=budget,
                                                                        final=_g(r["final_f"]))
    return f"{r['reach_step']}"


def conclude_valley(v: dict, numbers: dict | None = None) -> str:
    """The valley's sentences; ``numbers`` (the whole Result's) gives the thresholds."""
    th = _seeds.thresholds(numbers, VALLEY_THRESHOLDS)
    runs, budget = v["runs"], v["budget"]
    sgd, mom = runs["sgd"], runs["momentum"]
    start = ", ".join(f"{c:g}" for c in v["start"])
    parts = [_("In the valley f = {function} from ({start}), at most {budget} steps each "
               "(lr {lrs}; nothing in it is random, so it is run once, the same for every "
               "seed), f fell to {reach:g} of its start in: {reached}.").format(
        function=v["function"], start=start, budget=budget, lrs=_lrs(v["lrs"]), reach=th["REACH"],
        reached="; ".join(f"{OPTIMIZERS[n]} {_reached(runs[n], budget)}" for n in NAMES))]
    slow = sgd["reach_step"] is None
    if sgd["zigzag"] >= th["ZIGZAG"]:
        parts.append(_("SGD zigzagged across the valley: its step in y reversed direction in "
                       "{zigzag:.0%} of its first {window} steps.").format(
            zigzag=sgd["zigzag"], window=ZIGZAG_WINDOW))
    else:
        parts.append(_("SGD's zigzag did not show: its step in y reversed in only "
                       "{zigzag:.0%} of its first {window} steps (a zigzag needs "
                       "{needed:.0%}).").format(zigzag=sgd["zigzag"], window=ZIGZAG_WINDOW,
                                                needed=th["ZIGZAG"]))
    if slow:
        parts.append(_("It crawled along the floor: x went from {start:g} to "
                       "{final:.3g} in {steps} steps.").format(
            start=v["start"][0], final=sgd["final_x"], steps=sgd["steps"]))
    if mom["reach_step"] is not None and (slow or th["SPEEDUP"] * mom["reach_step"]
                                           <= sgd["reach_step"]):
        sentence = (_("Momentum sped along the valley: it got there in {steps} steps, where "
                      "SGD had not in {budget}.") if slow else
                    _("Momentum sped along the valley: it got there in {steps} steps, "
                      "{factor:.1f}x sooner than SGD."))
        factor = None if slow else sgd["reach_step"] / max(mom["reach_step"], 1)
        parts.append(sentence.format(steps=mom["reach_step"], budget=budget, factor=factor))
    elif mom["reach_step"] is None:
        parts.append(_("Momentum's speed-up did not show: it did not reach {reach:g} of f's "
                       "start within {budget} steps either (f = {final}).").format(
            reach=th["REACH"], budget=budget, final=_g(mom["final_f"])))
    else:
        parts.append(_("Momentum's speed-up did not show: it got there in {steps} "
                       "steps, SGD in {sgd_steps}, not {speedup:g}x sooner.").format(
            steps=mom["reach_step"], sgd_steps=sgd["reach_step"], speedup=th["SPEEDUP"]))
    base = sgd["step_ratio"]
    shown = [n for n in ADAPTIVE if runs[n]["step_ratio"] >= th["NORMALISED"] * base]
    ratios = ", ".join(f"{OPTIMIZERS[n]} {runs[n]['step_ratio']:.3g}" for n in ADAPTIVE)
    where = _("over the first {window} steps, the mean step along the valley over the "
              "mean step across it was SGD {sgd:.3g} (the gradient's own proportions), "
              "momentum {momentum:.3g}, {ratios}").format(
        window=RATIO_WINDOW, sgd=base, momentum=mom["step_ratio"], ratios=ratios)
    if len(shown) == len(ADAPTIVE):
        parts.append(_("RMSProp and Adam normalise each coordinate's step: {where}, at least "
                       "{factor:g}x SGD's.").format(where=where, factor=th["NORMALISED"]))
    elif shown:
        missing = [OPTIMIZERS[n] for n in ADAPTIVE if n not in shown]
        parts.append(_("Only {shown} normalised each coordinate's step ({where}); for "
                       "{missing} it did not show (not {factor:g}x SGD's).").format(
            shown=OPTIMIZERS[shown[0]], where=where, missing=missing[0], factor=th["NORMALISED"]))
    else:
        parts.append(_("Per-coordinate normalisation did not show: {where}, not "
                       "{factor:g}x SGD's.").format(where=where, factor=th["NORMALISED"]))
    parts.append(_seeds.thresholds_text(th))
    return " ".join(parts)


def conclude_network(n: dict, numbers: dict | None = None) -> str:
    """The network's sentences; ``numbers`` (the whole Result's) gives the thresholds."""
    th = _seeds.thresholds(numbers, NETWORK_THRESHOLDS)
    per, seeds = n["per_optimizer"], n["seeds"]
    k = len(seeds)
    over = (_("mean (range) over seeds {first}-{last}") if k > 1 else
            _("seed {first}")).format(first=seeds[0], last=seeds[-1])
    lrs = {name: per[name]["lr"] for name in NAMES}
    parts = [_("On {dataset} ({model}, mini-batches of {batch_size}, {budget} updates each, "
               "lr {lrs}), the final training loss, {over}: {losses}.").format(
        dataset=n["dataset"], model=n["model"], batch_size=n["batch_size"], budget=n["budget"],
        lrs=_lrs(lrs), over=over,
        losses="; ".join(f"{OPTIMIZERS[name]} {_seeds.spread_text(per[name]['final_loss'])}"
                         for name in NAMES))]
    means = {name: per[name]["final_loss"]["mean"] for name in NAMES}
    finite = [name for name in NAMES if math.isfinite(means[name])]
    if finite:
        best = min(finite, key=means.get)
        lowest = [_lowest(per, i) == best for i in range(k)]
        if _seeds.holds(lowest):
            parts.append(_("Lowest: {optimizer}, {where}.").format(
                optimizer=OPTIMIZERS[best], where=_seeds.in_seeds(lowest)))
        else:
            parts.append(_("Lowest on average: {optimizer}, but it was the lowest only "
                           "{where}.").format(optimizer=OPTIMIZERS[best],
                                              where=_seeds.in_seeds(lowest)))
    sgd = per["sgd"]["final_loss_per_seed"]
    for name in NAMES[1:]:
        mine = per[name]["final_loss_per_seed"]
        wins = sum(math.isfinite(a) and (not math.isfinite(b) or a < th["BETTER"] * b)
                   for a, b in zip(mine, sgd))
        mean, base = means[name], means["sgd"]
        lower = wins == k                  # claimed only where it held in every seed
        values = dict(optimizer=_cap(OPTIMIZERS[name]), better=th["BETTER"], wins=wins, seeds=k,
                      mean=_g(mean), base=_g(base))
        if 0 < wins < k:
            parts.append(_("{optimizer} ended below {better:g}x SGD's loss only in {wins} of "
                           "{seeds} seeds ({mean} against {base} on average), so it ending "
                           "lower than SGD did not show in every seed.").format(**values))
            continue
        if lower:
            known = math.isfinite(base) and mean > 0
            values["factor"] = base / mean if known else None
            if k > 1:
                sentence = (_("{optimizer} ended {factor:.3g}x lower than SGD (below {better:g}x "
                              "SGD's in {wins} of {seeds} seeds).") if known else
                            _("{optimizer} ended lower than SGD (below {better:g}x SGD's in "
                              "{wins} of {seeds} seeds)."))
            else:
                sentence = (_("{optimizer} ended {factor:.3g}x lower than SGD.") if known else
                            _("{optimizer} ended lower than SGD."))
        elif k > 1:
            sentence = _("{optimizer} ending clearly below SGD (under {better:g}x its loss) did "
                         "not show: {mean} against {base}, below {better:g}x SGD's in {wins} of "
                         "{seeds} seeds, at this learning rate and budget.")
        else:
            sentence = _("{optimizer} ending clearly below SGD (under {better:g}x its loss) did "
                         "not show: {mean} against {base}, at this learning rate and budget.")
        parts.append(sentence.format(**values))
    reach = []
    for name in NAMES:
        hits = [s for s in per[name]["reach_target_per_seed"] if s is not None]
        if not hits:
            when = _("never")
        elif len(hits) < k:
            when = _("{updates:.0f} updates ({hits} of {seeds} seeds)").format(
                updates=np.mean(hits), hits=len(hits), seeds=k)
        else:
            when = _("{updates:.0f} updates").format(updates=np.mean(hits))
        reach.append(f"{OPTIMIZERS[name]} {when}")
    parts.append(_("Training loss {target:g} reached after: {reached}.").format(
        target=n["target_loss"], reached="; ".join(reach)))
    parts.append(_seeds.thresholds_text(th))
    return " ".join(parts)


def _lowest(per: dict, i: int) -> str | None:
    """The optimizer with the lowest final loss in the i-th seed (None: all diverged)."""
    finals = {name: per[name]["final_loss_per_seed"][i] for name in NAMES}
    finite = [name for name in NAMES if math.isfinite(finals[name])]
    return min(finite, key=finals.get) if finite else None


def conclude(numbers: dict) -> str:
    return (conclude_valley(numbers["valley"], numbers) + "\n\n" +
            conclude_network(numbers["network"], numbers))


# -------------------------------------------------------------------------- figures
def plot(result: Result) -> dict:
    figure_class()            # (a clear error when matplotlib is missing)

    n = result.numbers
    v = n["valley"]
    labels = []
    for name in NAMES:
        r = v["runs"][name]
        when = (_("not within {budget} steps") if r["reach_step"] is None
                else _("in {steps} steps")).format(budget=v["budget"], steps=r["reach_step"])
        labels.append(_("{optimizer}, lr {lr:g}: f ≤ {reach:g}·f(start) {when}, f = {final} at "
                        "the end").format(optimizer=OPTIMIZERS[name], lr=r["lr"], reach=REACH,
                                          when=when, final=_g(r["final_f"])))
    valley_fig = overlay_figure(
        trajectories(v), labels=labels,
        title=_("The narrow valley f = {function}: the four optimizers from the same start, "
                "{budget} steps at most").format(function=v["function"], budget=v["budget"]))
    return {"valley": valley_fig, "loss": _loss_figure(n["network"], PATH_COLORS)}


def _loss_figure(net: dict, colors):
    fig = figure_class()(figsize=(7.8, 4.8), layout="constrained")
    ax = fig.subplots()
    shown = []
    steps = np.asarray(net["curve_steps"])
    for i, name in enumerate(NAMES):
        r = net["per_optimizer"][name]
        curves = np.array(list(net["curves"][name].values()), dtype=np.float64)
        # A diverged seed's NaNs stay out of the mean; where every seed is NaN, so is it.
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            middle = np.exp(np.nanmean(np.log(curves), axis=0))
            low, high = np.nanmin(curves, axis=0), np.nanmax(curves, axis=0)
        final = r["final_loss"]["mean"]
        label = _("{optimizer}, lr {lr:g}: final {final}").format(
            optimizer=OPTIMIZERS[name], lr=r["lr"], final=_g(final))
        ax.plot(steps, middle, color=colors[i], lw=1.9, label=label)
        if curves.shape[0] > 1:
            ax.fill_between(steps, low, high, color=colors[i], alpha=0.18, lw=0)
        shown.append(curves[np.isfinite(curves) & (curves > 0)])
    values = np.concatenate(shown) if shown else np.array([])
    if values.size and values.max() > 10 * values.min():
        ax.set_yscale("log")
        ax.set_ylabel(_("training loss, cross-entropy (log scale)"))
    else:
        ax.set_ylabel(_("training loss, cross-entropy"))
    ax.axhline(net["target_loss"], color="0.5", lw=0.8, ls=":",
               label=_("loss {loss:g}").format(loss=net["target_loss"]))
    seeds = net["seeds"]
    title = (_("{dataset}, {model}: the same {budget} updates of batch {batch_size} "
               "each\n(geometric mean and range of {seeds} seeds)") if len(seeds) > 1 else
             _("{dataset}, {model}: the same {budget} updates of batch {batch_size} each"))
    ax.set_title(title.format(dataset=net["dataset"], model=net["model"], budget=net["budget"],
                              batch_size=net["batch_size"], seeds=len(seeds)), fontsize=10)
    ax.set_xlabel(_("update (optimizer step)"))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    return fig
