"""Dying ReLU: a large learning rate leaves ReLU units that never fire again; Leaky ReLU's
don't stop learning.

A ReLU unit whose pre-activation is negative on every input outputs 0 everywhere, so its
local derivative is 0 on every sample: no gradient reaches its weights, and nothing can
bring it back. One large update can push a unit there. Leaky ReLU (x for x > 0,
negative_slope * x otherwise) has derivative negative_slope instead of 0, so a unit that is
negative on every sample still receives a (small) gradient.

Setup: ``nn.mlp(30, 1, depth=4, width=32)`` with ReLU or Leaky ReLU (Kaiming-normal init,
biases 0) on the breast-cancer training set, trained with Adam at a large learning rate
(0.1, a hundred times Adam's usual 1e-3: every parameter moves by about lr per step whatever
its gradient) and, as the control, at the normal 1e-3; same seeds, same mini-batches.
(Plain SGD with a learning rate large enough to kill units makes this network's loss
overflow to NaN first, so Adam is the default; ``optimizer="sgd"`` runs it anyway -- a run
whose loss becomes NaN is recorded as diverged.) Each setting is repeated for ``repeats``
seeds (seed, seed + 1, ...).

Measured on the whole training set after training, over all hidden units:

- ``dead``: the fraction of units whose activation output is <= 0 on *every* sample
  (``GradientFlow.dead_fractions_on``): dead for ReLU, "dead-ish" for Leaky ReLU (negative
  pre-activation everywhere, yet still passing negative_slope times the gradient);
- ``no_gradient``: the fraction of units that receive no gradient at all: every entry of
  their incoming weight column and their bias has a gradient of exactly 0 on the full-batch
  loss. These are the units that cannot recover. It can exceed ``dead``: a live unit whose
  every path to the loss runs through dead units gets no gradient either;
- the same dead fraction at initialisation and after every epoch, per layer at the end,
  the final training loss and train/test accuracy.
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
from ..inspect.plots import ACTIVATION_COLOURS, figure_class
from .harness import recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "dying-relu"
TITLE = N_("A large learning rate kills ReLU units for good; Leaky ReLU units keep a gradient")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "dead-units": N_(
        "The fraction of hidden units that are dead (no gradient from any training example) "
        "after training: ReLU and Leaky ReLU, at a large and at a normal learning rate."),
    "over-training": N_(
        "Dead units during training (mean over seeds), and per hidden layer after training."),
}
TINY = {"repeats": 1, "epochs": 3, "width": 8}

ACTIVATIONS = {"relu": "ReLU", "leaky_relu": "Leaky ReLU"}
_OPT = {"adam": "Adam", "sgd": "SGD"}
NO_GRADIENT_NOTE = N_("'no gradient' can exceed 'dead': a live unit whose every path to "
                      "the loss runs through dead units downstream gets no gradient either")
KILLED = 0.10       # large-lr minus normal-lr dead fraction that counts as "kills units"
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
# negative_slope is Leaky ReLU's: 0 would be ReLU itself, 1 the identity.
RANGES = {"repeats": "[1, inf)", "depth": "[1, inf)", "width": "[1, inf)",
          "epochs": "[1, inf)", "batch_size": "[1, inf)", "large_lr": "(0, inf)",
          "normal_lr": "(0, inf)", "optimizer": tuple(_OPT), "negative_slope": "(0, 1)"}


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


def _no_gradient_fraction(model, flow: GradientFlow, hidden: list, X, t) -> tuple[float, list]:
    """Fraction of hidden units whose incoming weights and bias get exactly zero gradient
    from the full-batch loss (overall, and per hidden layer)."""
    model.zero_grad()
    F.binary_cross_entropy_with_logits(model(Tensor(X)), t).backward()
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
    return total / count, per_layer


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
           "dead_per_epoch": per_epoch.dead, "train_loss": trained.curve}
    if trained.diverged:
        nan = math.nan
        return {**out, "dead": nan, "dead_per_layer": [], "no_gradient": nan,
                "no_gradient_per_layer": [], "train_accuracy": nan, "test_accuracy": nan}
    per_layer = flow.dead_fractions_on(X)
    hidden = _hidden(per_layer)
    no_grad_frac, no_grad_layers = _no_gradient_fraction(model, flow, hidden, X, t)
    flow.detach()
    return {**out, "dead": _pooled(per_layer, flow),
            "dead_per_layer": [float(per_layer[i]) for i in hidden],
            "no_gradient": no_grad_frac, "no_gradient_per_layer": no_grad_layers,
            "train_accuracy": trained.train_accuracy, "test_accuracy": trained.test_accuracy}


def _summary(runs: list) -> dict:
    """Mean, min and max over the repeats that did not diverge, plus the runs themselves."""
    ok = [r for r in runs if not r["diverged"]]
    out = {"runs": runs, "diverged": len(runs) - len(ok)}
    for key in ("dead", "no_gradient", "dead_init", "train_accuracy", "test_accuracy"):
        vals = [r[key] for r in ok]
        out[key] = {"mean": float(np.mean(vals)) if vals else math.nan,
                    "min": float(np.min(vals)) if vals else math.nan,
                    "max": float(np.max(vals)) if vals else math.nan}
    layers = [r["dead_per_layer"] for r in ok]
    out["dead_per_layer"] = np.mean(layers, axis=0).tolist() if layers else []
    curves = [r["dead_per_epoch"] for r in ok]
    out["dead_per_epoch"] = np.mean(curves, axis=0).tolist() if curves else []
    return out


@recorded
def run(*, seed: int = 0, repeats: int = 5, depth: int = 4, width: int = 32, epochs: int = 20,
        batch_size: int = 32, large_lr: float = 0.1, normal_lr: float = 0.001,
        optimizer: str = "adam", negative_slope: float = 0.01,
        progress: bool = False) -> Result:
    """Train ReLU and Leaky ReLU networks at a large and a normal learning rate, repeats
    seeds each, and count the dead units on the whole training set."""
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"dying-relu: optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if repeats < 1:
        raise ValueError(f"dying-relu: repeats must be >= 1, got {repeats}")
    X, X_test, y, y_test = breast_cancer(split=True)
    data = (X, y.astype(np.float32).reshape(-1, 1), X_test,
            y_test.astype(np.float32).reshape(-1, 1))
    settings = {}
    for act in ACTIVATIONS:
        for which, lr in (("large", large_lr), ("normal", normal_lr)):
            runs = [_one(act, lr, seed + r, depth=depth, width=width, epochs=epochs,
                         batch_size=batch_size, optimizer=optimizer,
                         negative_slope=negative_slope, data=data, progress=progress)
                    for r in range(repeats)]
            settings[f"{act}/{which}"] = {"activation": act, "lr": lr, **_summary(runs)}
    numbers = {"large_lr": large_lr, "normal_lr": normal_lr, "optimizer": optimizer,
               "repeats": repeats, "hidden_units": depth * width, "settings": settings}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _pct(summary: dict, key: str) -> str:
    s = summary[key]
    if math.isnan(s["mean"]):
        return _("n/a (every run diverged)")
    spread = f" ({s['min']:.0%}-{s['max']:.0%})" if s["min"] != s["max"] else ""
    return f"{s['mean']:.0%}{spread}"


def conclude(numbers: dict) -> str:
    st = numbers["settings"]
    relu_big, relu_ok = st["relu/large"], st["relu/normal"]
    leaky_big, leaky_ok = st["leaky_relu/large"], st["leaky_relu/normal"]
    big, small, opt = numbers["large_lr"], numbers["normal_lr"], numbers["optimizer"]
    mean = lambda s, k: s[k]["mean"]                                     # noqa: E731
    parts = [_("After training with lr = {large:g} ({optimizer}), {dead_large} of the ReLU "
               "units are dead on the whole training set (mean over {repeats} seed(s), "
               "min-max in brackets), against {dead_normal} with lr = {normal:g} and "
               "{dead_init} at initialisation.").format(
        large=big, optimizer=_OPT.get(opt, opt), dead_large=_pct(relu_big, "dead"),
        repeats=numbers["repeats"], dead_normal=_pct(relu_ok, "dead"), normal=small,
        dead_init=_pct(relu_big, "dead_init"))]
    diverged = [k for k, s in st.items() if s["diverged"]]
    if diverged:
        counts = ", ".join(f"{k} {st[k]['diverged']}" for k in diverged)
        parts.append(_("Runs whose loss became NaN (left out of the means): {counts}.").format(
            counts=counts))
    gap = mean(relu_big, "dead") - mean(relu_ok, "dead")
    if gap >= KILLED:
        parts.append(_("A large learning rate kills ReLU units: the dying ReLU shows."))
    else:
        parts.append(_("The dying ReLU did not show: the large learning rate left "
                       "{gap:+.0%} dead units compared with the normal one (less than "
                       "{killed:.0%}).").format(gap=gap, killed=KILLED))
    parts.append(_("With Leaky ReLU at lr = {large:g}, {dead_large} of the units are "
                   "negative on every sample (dead-ish; {dead_normal} at lr = "
                   "{normal:g}).").format(large=big, dead_large=_pct(leaky_big, "dead"),
                                          dead_normal=_pct(leaky_ok, "dead"), normal=small))
    r_none, l_none = mean(relu_big, "no_gradient"), mean(leaky_big, "no_gradient")
    if l_none + 0.05 <= r_none:
        parts.append(_("But only {leaky} of the Leaky ReLU units get no gradient at all, "
                       "against {relu} of the ReLU units: the leaky slope keeps them "
                       "trainable.").format(leaky=_pct(leaky_big, "no_gradient"),
                                            relu=_pct(relu_big, "no_gradient")))
    else:
        parts.append(_("Leaky ReLU's advantage did not show: {leaky} of its units get no "
                       "gradient, against {relu} of ReLU's.").format(
            leaky=_pct(leaky_big, "no_gradient"), relu=_pct(relu_big, "no_gradient")))
    parts.append(_("Test accuracy at lr = {large:g}: ReLU {relu_large}, Leaky ReLU "
                   "{leaky_large}; at lr = {normal:g}: ReLU {relu_normal}, Leaky ReLU "
                   "{leaky_normal}.").format(
        large=big, relu_large=_pct(relu_big, "test_accuracy"),
        leaky_large=_pct(leaky_big, "test_accuracy"), normal=small,
        relu_normal=_pct(relu_ok, "test_accuracy"), leaky_normal=_pct(leaky_ok, "test_accuracy")))
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
                   "mean and range over {repeats} seed(s)").format(
        epochs=result.params["epochs"], optimizer=_OPT[n["optimizer"]], repeats=n["repeats"]))
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
        curve = [s["dead_init"]["mean"]] + list(s["dead_per_epoch"])
        ax_epoch.plot(np.arange(len(curve)), curve, lw=2, label=label, **style)
        if s["dead_per_layer"]:
            ax_layer.plot(np.arange(1, len(s["dead_per_layer"]) + 1), s["dead_per_layer"],
                          marker="o", lw=2, label=label, **style)
    ax_epoch.set_xlabel(_("epoch (0 = initialisation)"))
    ax_epoch.set_ylabel(_("fraction of units ≤ 0 on every sample"))
    ax_epoch.set_title(_("dead units during training (mean over seeds)"))
    ax_layer.set_xlabel(_("hidden layer (1 = next to the input)"))
    ax_layer.set_ylabel(_("fraction of the layer's units"))
    ax_layer.set_title(_("dead units per hidden layer after training"))
    for ax in (ax_epoch, ax_layer):
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in (ax_epoch, ax_layer):
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, handlelength=4)
    figs["over-training"] = fig
    return figs
