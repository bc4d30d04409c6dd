"""Dying ReLU: a large learning rate leaves many ReLU units that fire on no sample; Leaky
ReLU's keep a gradient. Whether the dead stay dead, and whether any of it changes what the
network learns, is measured, not assumed.

A ReLU unit whose pre-activation is negative on every input outputs 0 everywhere, so its
local derivative is 0 on every sample: no gradient reaches its weights. One large update can
push a unit there. It is dead for the inputs the layers before it give it, though: when those
layers change (or Adam's momentum carries its weights on for a few steps) it can fire again,
so the per-epoch dead fraction is recorded and the conclusion says whether it fell. Leaky
ReLU (x for x > 0, negative_slope * x otherwise) has derivative negative_slope instead of 0,
so a unit that is negative on every sample still receives a (small) gradient.

Setup: ``nn.mlp(30, 1, depth=4, width=32)`` with ReLU or Leaky ReLU (Kaiming-normal init,
biases 0; 4,193 parameters either way) on the breast-cancer training set, trained for 20
epochs in batches of 32 with Adam at a large learning rate (0.1, a hundred times Adam's
usual 1e-3: every parameter moves by about lr per step whatever its gradient) and, as the
control, at the normal 1e-3. The budget is the same for all four settings, and per seed all
four start from the same initial weights and see the same batches. (Plain SGD with a
learning rate large enough to kill units makes this network's loss overflow to NaN first,
so Adam is the default; ``optimizer="sgd"`` runs it anyway -- a run whose loss becomes NaN
is recorded as diverged and its numbers are NaN.)

Seeds: ``seeds`` of them (5 by default: a seed's four trainings take about a second),
seed, seed + 1, ...; every number is reported as mean (min-max) over the seeds, and an
effect is claimed only when it holds in every seed (else "in k of n seeds").

Measured on the whole training set, over all hidden units, per seed:

- ``dead``: the fraction of units whose activation output is <= 0 on *every* sample
  (``GradientFlow.dead_fractions_on``): dead for ReLU, "dead-ish" for Leaky ReLU (negative
  pre-activation everywhere, yet still passing negative_slope times the gradient); at
  initialisation, after every epoch (``dead_per_epoch``, its peak ``dead_peak``) and per
  layer at the end;
- ``no_gradient``: the fraction of units that receive no gradient at all: every entry of
  their incoming weight column and their bias has a gradient of exactly 0 on the full-batch
  loss. It can exceed ``dead``: a live unit whose every path to the loss runs through dead
  units gets no gradient either; and ``saturated``, the fraction of samples on which the
  loss's own gradient (with respect to the logit) is exactly 0, for which no unit gets any;
- the final training loss and train/test accuracy.

Thresholds (``numbers["thresholds"]``, printed with the conclusion): KILLED, the rise of
ReLU's dead fraction from the normal to the large rate (same seed) that counts as killing
units; RECOVERED, the fall of the dead fraction from its peak over the epochs to the end
that counts as units coming back; TRAINABLE, the largest no-gradient fraction at which Leaky
ReLU's units count as trainable, and KEPT, by how much fewer of them than ReLU's must lack a
gradient; COST, the test-accuracy difference that counts as a cost (ReLU, large against
normal rate) or a gain (Leaky against ReLU at the large rate).

A default run takes about 18 s (2 shared cores).
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..nn import functional as F
from ..nn.networks import mlp
from ..optim import SGD, Adam
from ..tensor import Tensor
from ..train import Callback
from ..inspect.plots import ACTIVATION_COLOURS, faint_curves, figure_class
from . import seeds as _seeds
from .harness import parameter_count, recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "dying-relu"
TITLE = N_("A large learning rate kills ReLU units; Leaky ReLU units keep a gradient")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "dead-units": N_(
        "The fraction of hidden units that are dead (no gradient from any training example) "
        "after training: ReLU and Leaky ReLU, at a large and at a normal learning rate."),
    "over-training": N_(
        "Dead units during training (each seed faint, the mean bold), and per hidden layer "
        "after training."),
}
TINY = {"seeds": 2, "epochs": 3, "width": 8}

ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU"}
_OPT = {"adam": "Adam", "sgd": "SGD"}
NO_GRADIENT_NOTE = N_("'no gradient' can exceed 'dead': a live unit whose every path to "
                      "the loss runs through dead units downstream gets no gradient either")
KILLED = 0.10      # ReLU dead fraction, large minus normal lr (same seed): "kills units"
RECOVERED = 0.05   # fall of the dead fraction from its peak to the last epoch: "came back"
TRAINABLE = 0.05   # Leaky ReLU no-gradient fraction at most which its units are "trainable"
KEPT = 0.05        # ReLU minus Leaky ReLU no-gradient fraction: Leaky keeps more trainable
COST = 0.02        # test-accuracy difference that counts as a cost or a gain
THRESHOLDS = {"KILLED": KILLED, "RECOVERED": RECOVERED, "TRAINABLE": TRAINABLE,
              "KEPT": KEPT, "COST": COST}
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
# negative_slope is Leaky ReLU's: 0 would be ReLU itself, 1 the identity.
RANGES = {"seeds": "[1, inf)", "depth": "[1, inf)", "width": "[1, inf)",
          "epochs": "[1, inf)", "batch_size": "[1, inf)", "large_lr": "(0, inf)",
          "normal_lr": "(0, inf)", "optimizer": tuple(_OPT), "negative_slope": "(0, 1)"}
SETTINGS = ("relu/large", "relu/normal", "leaky_relu/large", "leaky_relu/normal")
_MEASURES = ("dead", "dead_peak", "dead_fall", "no_gradient", "saturated", "dead_init", "train_accuracy",
             "test_accuracy")


class _DeadPerEpoch(Callback):
    def __init__(self, flow: GradientFlow, X) -> None:
        self.flow, self.X, self.dead = flow, X, []

    def on_epoch_end(self, ctx) -> None:
        self.dead.append(_pooled(self.flow.dead_fractions_on(self.X), self.flow))


def _hidden(per_layer: np.ndarray) -> list[int]:
    """Indices of the layers followed by a ReLU-type activation: those with a dead count."""
    return [i for i, v in enumerate(per_layer) if not math.isnan(v)]


def _pooled(per_layer: np.ndarray, flow: GradientFlow) -> float:
    """One fraction over all hidden units (layers weighted by their width)."""
    idx = _hidden(per_layer)
    widths = np.array([flow.layers[i][1].weight.shape[1] for i in idx], dtype=float)
    return float(np.sum(per_layer[idx] * widths) / widths.sum())


def _no_gradient(model, flow: GradientFlow, hidden: list, X, t) -> tuple[float, list, float]:
    """Fraction of hidden units whose incoming weights and bias get exactly zero gradient
    from the full-batch loss (overall, and per hidden layer), and the fraction of samples
    whose logit gets exactly zero gradient (a saturated output passes nothing back)."""
    model.zero_grad()
    logits = model(Tensor(X))
    logits.retain_grad()
    F.binary_cross_entropy_with_logits(logits, t).backward()
    saturated = float(np.mean(logits.grad.data == 0))
    per_layer, total, count = [], 0, 0
    for i in hidden:
        layer = flow.layers[i][1]
        zero = np.all(layer.weight.grad.data == 0, axis=0)
        if layer.bias is not None:
            zero &= layer.bias.grad.data == 0
        per_layer.append(float(zero.mean()))
        total += int(zero.sum())
        count += zero.size
    model.zero_grad()
    return total / count, per_layer, saturated


def _one(activation: str, lr: float, seed: int, *, depth, width, epochs, batch_size,
         optimizer, negative_slope, data, progress) -> dict:
    X, t, X_test, t_test = data
    _random.manual_seed(seed)
    model = mlp(X.shape[1], 1, depth=depth, width=width, activation=activation)
    if activation == "leaky_relu":
        for m in model.modules():
            if hasattr(m, "negative_slope"):
                m.negative_slope = negative_slope
    flow = GradientFlow(model)
    dead_init = _pooled(flow.dead_fractions_on(X), flow)
    per_epoch = _DeadPerEpoch(flow, X)
    opt = Adam(model.parameters(), lr=lr) if optimizer == "adam" else \
        SGD(model.parameters(), lr=lr)
    trained = train(model, F.binary_cross_entropy_with_logits, opt, (X, t), epochs,
                    batch_size=batch_size, seed=seed, test=(X_test, t_test),
                    callbacks=[per_epoch], progress=progress)
    out = {"seed": seed, "diverged": trained.diverged, "dead_init": dead_init,
           "dead_per_epoch": per_epoch.dead, "train_loss": trained.curve,
           "parameters": parameter_count(model)}
    if trained.diverged:
        nan = math.nan
        return {**out, "dead": nan, "dead_peak": nan, "dead_fall": nan, "dead_per_layer": [],
                "no_gradient": nan, "no_gradient_per_layer": [], "saturated": nan,
                "train_accuracy": nan, "test_accuracy": nan}
    per_layer = flow.dead_fractions_on(X)
    hidden = _hidden(per_layer)
    no_grad, no_grad_layers, saturated = _no_gradient(model, flow, hidden, X, t)
    flow.detach()
    return {**out, "dead": _pooled(per_layer, flow), "dead_peak": max(per_epoch.dead),
            "dead_fall": _largest_fall([dead_init] + per_epoch.dead),
            "dead_per_layer": [float(per_layer[i]) for i in hidden],
            "no_gradient": no_grad, "no_gradient_per_layer": no_grad_layers,
            "saturated": saturated, "train_accuracy": trained.train_accuracy,
            "test_accuracy": trained.test_accuracy}


def _largest_fall(curve: list) -> float:
    """The largest fall of a curve below an earlier value of it (0 if it never falls): how
    far the dead fraction came down at some point in training.

    >>> round(_largest_fall([0.1, 0.5, 0.3, 0.6, 0.55]), 6)
    0.2
    """
    highs = np.maximum.accumulate(np.asarray(curve, dtype=float))
    return float(np.max(highs - curve))


def _column_mean(rows: list, length: int) -> list:
    """Mean over seeds of per-seed lists (shorter ones, from diverged runs, padded with
    NaN), per position over the seeds that have a value there; NaN where none has."""
    a = np.full((len(rows), length), np.nan)
    for i, row in enumerate(rows):
        a[i, :len(row)] = row[:length]
    have = np.isfinite(a)
    sums = np.where(have, a, 0.0).sum(axis=0)
    counts = have.sum(axis=0)
    return [float(s / c) if c else math.nan for s, c in zip(sums, counts)]


def _summary(runs: list, epochs: int) -> dict:
    """Per measurement its per-seed values and their spread (NaN if a seed diverged),
    plus the runs themselves and the per-epoch and per-layer means."""
    out = {"runs": runs, "diverged": sum(r["diverged"] for r in runs)}
    for key in _MEASURES:
        out[f"{key}_per_seed"] = [r[key] for r in runs]
        out[key] = _seeds.spread(out[f"{key}_per_seed"])
    out["dead_per_epoch_per_seed"] = [r["dead_per_epoch"] for r in runs]
    out["dead_per_epoch"] = _column_mean(out["dead_per_epoch_per_seed"], epochs)
    layers = [r["dead_per_layer"] for r in runs if not r["diverged"]]
    out["dead_per_layer"] = _column_mean(layers, len(layers[0])) if layers else []
    return out


@recorded
def run(*, seed: int = 0, seeds: int = 5, depth: int = 4, width: int = 32, epochs: int = 20,
        batch_size: int = 32, large_lr: float = 0.1, normal_lr: float = 0.001,
        optimizer: str = "adam", negative_slope: float = 0.01,
        progress: bool = False) -> Result:
    """Train ReLU and Leaky ReLU networks at a large and a normal learning rate, once per
    seed (seed, seed + 1, ...), and count the dead units on the whole training set."""
    if optimizer not in _OPT:
        raise ValueError(f"dying-relu: optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    seed_list = _seeds.seed_list(seed, seeds)
    X, X_test, y, y_test = breast_cancer(split=True)
    data = (X, y.astype(np.float32).reshape(-1, 1), X_test,
            y_test.astype(np.float32).reshape(-1, 1))
    settings = {}
    for act in ACTIVATIONS:
        for which, lr in (("large", large_lr), ("normal", normal_lr)):
            runs = [_one(act, lr, s, depth=depth, width=width, epochs=epochs,
                         batch_size=batch_size, optimizer=optimizer,
                         negative_slope=negative_slope, data=data, progress=progress)
                    for s in seed_list]
            settings[f"{act}/{which}"] = {"activation": act, "lr": lr,
                                          **_summary(runs, epochs)}
    budget = {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer,
              "large_lr": large_lr, "normal_lr": normal_lr,
              "parameters": settings["relu/large"]["runs"][0]["parameters"]}
    numbers = {"seeds": seed_list, "large_lr": large_lr, "normal_lr": normal_lr,
               "optimizer": optimizer, "hidden_units": depth * width, "depth": depth,
               "width": width, "budget": budget, "thresholds": dict(THRESHOLDS),
               "settings": settings}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _minus(a: list, b: list) -> list:
    """Per-seed differences a - b (NaN where either seed diverged)."""
    return [x - y for x, y in zip(a, b)]


def _pct(summary: dict, key: str) -> str:
    return _seeds.spread_text(summary[key], ".0%")


def _budget(numbers: dict) -> str:
    b = numbers["budget"]
    return _("Budget, the same for every setting: {epochs} epochs of {optimizer} in batches "
             "of {batch_size}, at lr = {large:g} and at lr = {normal:g}; {depth} hidden "
             "layers of {width} units ({parameters} parameters) for ReLU and Leaky ReLU "
             "alike, from the same initial weights and batches in each seed. Seeds {seeds}: "
             "means, with the range over the seeds in brackets.").format(
        epochs=b["epochs"], optimizer=_OPT.get(b["optimizer"], b["optimizer"]),
        batch_size=b["batch_size"], large=b["large_lr"], normal=b["normal_lr"],
        depth=numbers["depth"], width=numbers["width"], parameters=b["parameters"],
        seeds=", ".join(map(str, numbers["seeds"])))


def _diverged(st: dict, n: int) -> str | None:
    bad = [_("{activation} at lr = {lr:g}: {k} of {n} seeds").format(
        activation=ACTIVATIONS[s["activation"]], lr=s["lr"], k=s["diverged"], n=n)
        for s in st.values() if s["diverged"]]
    if not bad:
        return None
    return _("Runs whose loss became NaN (their numbers are NaN): {runs}.").format(
        runs="; ".join(bad))


def _killed(st: dict, th: dict, big: float, small: float) -> str:
    relu_big, relu_ok = st["relu/large"], st["relu/normal"]
    gaps = _minus(relu_big["dead_per_seed"], relu_ok["dead_per_seed"])
    flags = [g >= th["KILLED"] for g in gaps]
    where, gap = _seeds.in_seeds(flags), _seeds.spread_text(_seeds.spread(gaps), "+.0%")
    if _seeds.holds(flags):
        return _("A large learning rate kills ReLU units {where}: {gap} more of them are "
                 "dead than at lr = {normal:g} (at least {killed:.0%}); the dying ReLU "
                 "shows.").format(where=where, normal=small, killed=th["KILLED"],
                                  gap=_seeds.spread_text(_seeds.spread(gaps), ".0%"))
    if any(flags):
        return _("The dying ReLU showed only {where}: lr = {large:g} left {gap} more dead "
                 "units than lr = {normal:g}, and it takes {killed:.0%} in every seed.").format(
            where=where, large=big, gap=gap, normal=small, killed=th["KILLED"])
    return _("The dying ReLU did not show: the large learning rate left {gap} dead units "
             "compared with the normal one (less than {killed:.0%}).").format(
        gap=gap, killed=th["KILLED"])


def _over_epochs(numbers: dict, th: dict) -> str:
    s = numbers["settings"]["relu/large"]
    flags = [f >= th["RECOVERED"] for f in s["dead_fall_per_seed"]]
    fields = dict(large=numbers["large_lr"], peak=_pct(s, "dead_peak"), final=_pct(s, "dead"),
                  fall=_pct(s, "dead_fall"), recovered=th["RECOVERED"],
                  where=_seeds.in_seeds(flags), epochs=numbers["budget"]["epochs"])
    if _seeds.holds(flags):
        return _("Over the epochs the ReLU dead fraction at lr = {large:g} did not only grow: "
                 "at some point it fell by {fall} below an earlier value ({recovered:.0%} or "
                 "more {where}), so units that had died fired again (a unit is dead only for "
                 "the inputs the layers before it give it, and those keep changing); it "
                 "peaked at {peak} and ended at {final}.").format(**fields)
    if any(flags):
        return _("Over the epochs the ReLU dead fraction at lr = {large:g} fell by "
                 "{recovered:.0%} or more below an earlier value only {where} (units that "
                 "had died fired again there; largest fall {fall}); it peaked at {peak} and "
                 "ended at {final}.").format(**fields)
    return _("Over the epochs the ReLU dead fraction at lr = {large:g} peaked at {peak} and "
             "ended at {final}: in no seed did it fall by {recovered:.0%} below an earlier "
             "value (largest fall {fall}), so within {epochs} epochs the dead units did not "
             "come back.").format(**fields)


def _kept(st: dict, th: dict, big: float) -> list:
    relu, leaky = st["relu/large"], st["leaky_relu/large"]
    gaps = _minus(relu["no_gradient_per_seed"], leaky["no_gradient_per_seed"])
    flags = [v <= th["TRAINABLE"] and g >= th["KEPT"]
             for v, g in zip(leaky["no_gradient_per_seed"], gaps)]
    fields = dict(leaky=_pct(leaky, "no_gradient"), relu=_pct(relu, "no_gradient"),
                  where=_seeds.in_seeds(flags), trainable=th["TRAINABLE"], kept=th["KEPT"])
    if _seeds.holds(flags):
        out = [_("But only {leaky} of the Leaky ReLU units get no gradient at all, against "
                 "{relu} of the ReLU units, {where}: the leaky slope keeps a gradient "
                 "flowing to them.").format(**fields)]
    elif any(flags):
        out = [_("The leaky slope kept a gradient flowing to Leaky ReLU's units only "
                 "{where} (at most {trainable:.0%} of them without gradient, and {kept:.0%} "
                 "fewer than ReLU's): {leaky} of its units get no gradient, against {relu} "
                 "of ReLU's.").format(**fields)]
    else:
        out = [_("Leaky ReLU's advantage did not show: {leaky} of its units get no gradient, "
                 "against {relu} of ReLU's (it needs at most {trainable:.0%}, and "
                 "{kept:.0%} fewer than ReLU's, in every seed).").format(**fields)]
    if any(v > th["TRAINABLE"] for v in leaky["no_gradient_per_seed"]):
        out.append(_("At lr = {large:g} the loss's own gradient (at the output) is exactly 0 "
                     "on {saturated} of the training samples for Leaky ReLU: a saturated "
                     "output passes nothing back to any unit, dead or not.").format(
            large=big, saturated=_pct(leaky, "saturated")))
    return out


def _accuracy(st: dict, th: dict, big: float, small: float) -> list:
    relu_big, relu_ok, leaky_big, leaky_ok = (st[k] for k in SETTINGS)
    out = [_("Test accuracy at lr = {large:g}: ReLU {relu_large}, Leaky ReLU "
             "{leaky_large}; at lr = {normal:g}: ReLU {relu_normal}, Leaky ReLU "
             "{leaky_normal}.").format(
        large=big, relu_large=_pct(relu_big, "test_accuracy"),
        leaky_large=_pct(leaky_big, "test_accuracy"), normal=small,
        relu_normal=_pct(relu_ok, "test_accuracy"), leaky_normal=_pct(leaky_ok, "test_accuracy"))]
    changes = _minus(relu_big["test_accuracy_per_seed"], relu_ok["test_accuracy_per_seed"])
    flags = [-c >= th["COST"] for c in changes]
    fields = dict(where=_seeds.in_seeds(flags), large=big, normal=small, cost=th["COST"],
                  value=_seeds.spread_text(_seeds.spread(changes), "+.1%"))
    if _seeds.holds(flags):
        out.append(_("The large learning rate cost ReLU accuracy {where}: its test accuracy "
                     "at lr = {large:g} is at least {cost:.0%} below its own at lr = "
                     "{normal:g} (the difference: {value}).").format(**fields))
    else:
        out.append(_("A cost in accuracy did not show in every seed: ReLU's test accuracy at "
                     "lr = {large:g} was {cost:.0%} or more below its own at lr = {normal:g} "
                     "{where} (the difference: {value}).").format(**fields))
    gains = _minus(leaky_big["test_accuracy_per_seed"], relu_big["test_accuracy_per_seed"])
    flags = [g >= th["COST"] for g in gains]
    fields = dict(where=_seeds.in_seeds(flags), large=big, cost=th["COST"],
                  value=_seeds.spread_text(_seeds.spread(gains), "+.1%"))
    if _seeds.holds(flags):
        out.append(_("Leaky ReLU learns better {where}: at lr = {large:g} its test accuracy "
                     "is at least {cost:.0%} above ReLU's (the difference: {value}).").format(
            **fields))
    else:
        out.append(_("Leaky ReLU's advantage in what the network learns did not show in "
                     "every seed: at lr = {large:g} its test accuracy was {cost:.0%} or more "
                     "above ReLU's {where} (the difference: {value}).").format(**fields))
    return out


def conclude(numbers: dict) -> str:
    st = numbers["settings"]
    big, small = numbers["large_lr"], numbers["normal_lr"]
    th = _seeds.thresholds(numbers, THRESHOLDS)
    relu_big, relu_ok = st["relu/large"], st["relu/normal"]
    parts = [_budget(numbers),
             _("After training with lr = {large:g}, {dead_large} of the ReLU units are dead "
               "on the whole training set, against {dead_normal} with lr = {normal:g} and "
               "{dead_init} at initialisation.").format(
                 large=big, dead_large=_pct(relu_big, "dead"), dead_normal=_pct(relu_ok, "dead"),
                 normal=small, dead_init=_pct(relu_big, "dead_init"))]
    diverged = _diverged(st, len(numbers["seeds"]))
    if diverged:
        parts.append(diverged)
    parts.append(_killed(st, th, big, small))
    if any(math.isfinite(v) for v in relu_big["dead_peak_per_seed"]):
        parts.append(_over_epochs(numbers, th))
    parts.append(_("With Leaky ReLU at lr = {large:g}, {dead_large} of the units are "
                   "negative on every sample (dead-ish; {dead_normal} at lr = "
                   "{normal:g}).").format(large=big, dead_large=_pct(st["leaky_relu/large"], "dead"),
                                          dead_normal=_pct(st["leaky_relu/normal"], "dead"),
                                          normal=small))
    parts += _kept(st, th, big)
    parts += _accuracy(st, th, big, small)
    parts.append(_seeds.thresholds_text(th))
    return " ".join(parts)


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    st = n["settings"]
    figs = {}

    fig = Figure(figsize=(8.5, 4.4), layout="constrained")
    ax = fig.subplots()
    keys = list(st)
    x = np.arange(len(keys))
    for j, (metric, what, color) in enumerate((
            ("dead", _("output ≤ 0 on every sample (dead / dead-ish)"), "0.65"),
            ("no_gradient", _("no gradient at all (cannot recover)"), "0.25"))):
        means = np.array([st[k][metric]["mean"] for k in keys])
        lo = np.array([st[k][metric]["min"] for k in keys])
        hi = np.array([st[k][metric]["max"] for k in keys])
        bars = ax.bar(x + (j - 0.5) * 0.38, np.nan_to_num(means), 0.38, color=color,
                      label=what, yerr=[np.nan_to_num(means - lo), np.nan_to_num(hi - means)],
                      capsize=3, error_kw={"lw": 1})
        ax.bar_label(bars, labels=[_("n/a") if math.isnan(m) else f"{m:.0%}" for m in means],
                     fontsize=8, padding=2)
    ax.set_xticks(x, [f"{ACTIVATIONS[st[k]['activation']]}\nlr = {st[k]['lr']:g}"
                      for k in keys])
    ax.set_ylabel(_("fraction of hidden units"))
    ax.set_ylim(0, 1.05)
    ax.set_title(_("hidden units after {epochs} epochs ({optimizer}), whole training set; "
                   "mean and range over {seeds} seed(s)").format(
        epochs=result.params["epochs"], optimizer=_OPT[n["optimizer"]], seeds=len(n["seeds"])))
    ax.legend(fontsize=9, loc="upper right")
    ax.grid(alpha=0.3, axis="y")
    fig.supxlabel(_(NO_GRADIENT_NOTE), fontsize=8, color="0.3")
    figs["dead-units"] = fig

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_epoch, ax_layer = fig.subplots(1, 2)
    for key in keys:
        s = st[key]
        label = f"{ACTIVATIONS[s['activation']]}, lr = {s['lr']:g}"
        large = s["lr"] == n["large_lr"]
        # Long dashes and hollow markers for the normal rate, so the legend's short handle
        # shows the same line as the plot (and overlapping curves stay told apart).
        style = dict(color=ACTIVATION_COLOURS[s["activation"]], ls="-" if large else (0, (5, 3)),
                     mfc=None if large else "white")
        # Each seed faint, so a mean that falls is not mistaken for every seed's curve.
        faint_curves(ax_epoch, [[run["dead_init"], *run["dead_per_epoch"]] for run in s["runs"]],
                     style["color"], start=0, ls=style["ls"])
        curve = [s["dead_init"]["mean"]] + list(s["dead_per_epoch"])
        ax_epoch.plot(np.arange(len(curve)), curve, lw=2, label=label, **style)
        if s["dead_per_layer"]:
            ax_layer.plot(np.arange(1, len(s["dead_per_layer"]) + 1), s["dead_per_layer"],
                          marker="o", lw=2, label=label, **style)
    ax_epoch.set_xlabel(_("epoch (0 = initialisation)"))
    ax_epoch.set_ylabel(_("fraction of units ≤ 0 on every sample"))
    ax_epoch.set_title(_("dead units during training (each seed faint, mean bold)"),
                       fontsize=10)
    ax_layer.set_xlabel(_("hidden layer (1 = next to the input)"))
    ax_layer.set_ylabel(_("fraction of the layer's units"))
    ax_layer.set_title(_("dead units per hidden layer after training (mean over seeds)"),
                       fontsize=10)
    for ax in (ax_epoch, ax_layer):
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in (ax_epoch, ax_layer):
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, handlelength=4)
    figs["over-training"] = fig
    return figs
