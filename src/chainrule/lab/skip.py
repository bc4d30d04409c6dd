"""Skip connections: H(x) = F(x) + x keeps the gradient alive in deep networks.

Plain and residual MLPs of the same depth (10, 20 and 50 hidden layers, width 32) on the
breast-cancer data. The residual network is ``nn.mlp(..., skip=True)``: hidden layers
2..depth are ``Residual(Sequential(Linear, activation))``, so each computes
H(x) = act(x W + b) + x and dH/dx = act'(.) W^T + I: on the way back, the identity term
carries the gradient past every layer without multiplying it by act' <= 1/4.

Activation: sigmoid (Xavier-uniform init, biases 0, for both kinds). Sigmoid is the
lectures' setting and the one where the vanishing gradient shows: sigma' <= 1/4 per layer.
With tanh and Xavier init the plain network's gradient does not vanish at these depths
(tanh'(0) = 1; measured first/last ratios of about 1 to 3), so there would be nothing for
the skip connections to fix; ``activation="tanh"`` runs that comparison.

A side effect worth knowing: sigmoid outputs are all positive (about 1/2 at initialisation),
so every residual layer adds about 1/2 to each feature; the deep residual network starts with
large logits and a large loss (``init_loss``), which the first epochs bring down.

Measured per depth and kind (plain, residual): ||dL/dW|| per Linear layer at
initialisation on the whole training set, the first layer's norm (the headline number),
the loss at initialisation, the training loss per epoch (SGD, mini-batches; a run whose
loss becomes NaN/inf is recorded as diverged) and the final training accuracy.
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import figure_class, loss_axes, plot_gradient_norms
from ..nn import functional as F
from ..nn.networks import mlp
from ..optim import SGD
from ..tensor import Tensor
from .harness import recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "skip"
TITLE = N_("Plain versus residual MLPs, 10 to 50 layers deep: the identity path keeps the gradient")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "init-gradients": N_(
        "The gradient norm per layer at initialisation, plain against residual (skip "
        "connections), one panel per depth (layer 1 = input side; log scale)."),
    "loss": N_(
        "The training loss per epoch, plain against residual, for each depth."),
}
TINY = {"depths": (3, 12), "width": 8, "epochs": 2}

KINDS = ("plain", "residual")
KEPT = 100.0        # residual / plain first-layer gradient above which the skip "keeps" it
BETTER = 0.5        # residual final loss below BETTER x plain's counts as training better
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"depths": "[2, inf)", "width": "[1, inf)", "activation": ("sigmoid", "tanh", "relu", "leaky_relu"),
          "epochs": "[1, inf)", "batch_size": "[1, inf)", "lr": "(0, inf)"}


def _one(depth: int, skip: bool, *, seed: int, width: int, activation: str, epochs: int,
         batch_size: int, lr: float, data, progress: bool) -> dict:
    X_train, t_train = data
    _random.manual_seed(seed)
    model = mlp(X_train.shape[1], 1, depth=depth, width=width, activation=activation,
                skip=skip)
    flow = GradientFlow(model, track_dead=False)
    init_loss = F.binary_cross_entropy_with_logits(model(Tensor(X_train)), t_train)
    init_loss.backward()
    flow.record()
    model.zero_grad()
    trained = train(model, F.binary_cross_entropy_with_logits, SGD(model.parameters(), lr=lr),
                    data, epochs, batch_size=batch_size, seed=seed, progress=progress)
    losses = trained.curve
    norms = flow.grad_norms[0]
    return {"init_grad_norm": norms.tolist(), "first_layer_grad": float(norms[0]),
            "last_layer_grad": float(norms[-1]), "init_loss": float(init_loss.item()),
            "train_loss": losses, "diverged": trained.diverged,
            "final_loss": losses[-1] if losses and not trained.diverged else math.nan,
            "train_accuracy": trained.train_accuracy}


@recorded
def run(*, seed: int = 0, depths: tuple[int, ...] = (10, 20, 50), width: int = 32,
        activation: str = "sigmoid", epochs: int = 30, batch_size: int = 32, lr: float = 0.1,
        progress: bool = False) -> Result:
    """For each depth (hidden layers), a plain and a residual MLP from the same seed:
    gradient norms per layer at initialisation, then ``epochs`` epochs of SGD."""
    X_train, _X_test, y_train, _y_test = breast_cancer(split=True)
    data = (X_train, y_train.astype(np.float32).reshape(-1, 1))
    per_depth = {}
    for depth in depths:
        if depth < 2:
            raise ValueError(f"skip: every depth must be >= 2 (a residual layer needs a hidden "
                             f"layer before it), got {depth}")
        per_depth[str(depth)] = {
            kind: _one(depth, kind == "residual", seed=seed, width=width,
                       activation=activation, epochs=epochs, batch_size=batch_size, lr=lr,
                       data=data, progress=progress)
            for kind in KINDS}
    numbers = {"depths": list(depths), "activation": activation, "per_depth": per_depth,
               "majority_train_accuracy": float(max(data[1].mean(), 1 - data[1].mean()))}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _kept(plain: float, residual: float) -> bool:
    """The residual first-layer gradient is KEPT times the plain one (or the plain one
    underflowed to 0 and the residual one did not)."""
    if plain == 0:
        return residual > 0
    return residual / plain >= KEPT


def conclude(numbers: dict) -> str:
    per = numbers["per_depth"]
    if not per:
        return _("No depth was run, so there is nothing to conclude.")
    act = numbers["activation"]
    grads = "; ".join(_("depth {depth}: plain {plain:.2g}, residual {residual:.2g}").format(
        depth=d, plain=v["plain"]["first_layer_grad"], residual=v["residual"]["first_layer_grad"])
        for d, v in per.items())
    parts = [_("First-layer gradient norm at initialisation ({activation}) -- {gradients}.")
             .format(activation=act, gradients=grads)]
    zeros = [d for d, v in per.items() if v["plain"]["first_layer_grad"] == 0]
    if zeros:
        parts.append(_("At depth {depths} the plain network's first-layer gradient is "
                       "exactly 0: it underflowed.").format(depths=", ".join(zeros)))
    kept = [d for d, v in per.items()
            if _kept(v["plain"]["first_layer_grad"], v["residual"]["first_layer_grad"])]
    lost = [d for d in per if d not in kept]
    if kept:
        parts.append(_("The skip connections keep the gradient at depth {depths} "
                       "(at least {factor:g} times the plain network's).").format(
            depths=", ".join(kept), factor=KEPT))
    if lost:
        parts.append(_("At depth {depths} the effect did not show: the residual "
                       "first-layer gradient is not {factor:g} times the plain one.").format(
            depths=", ".join(lost), factor=KEPT))
    losses = "; ".join(_("depth {depth}: plain {plain}, residual {residual}").format(
        depth=d, plain=_loss(v["plain"]), residual=_loss(v["residual"])) for d, v in per.items())
    parts.append(_("Final training loss -- {losses}.").format(losses=losses))
    better = [d for d, v in per.items() if not v["residual"]["diverged"]
              and (v["plain"]["diverged"]
                   or v["residual"]["final_loss"] < BETTER * v["plain"]["final_loss"])]
    worse = [d for d in per if d not in better]
    if better:
        parts.append(_("The residual network trains to a far lower loss at depth "
                       "{depths}.").format(depths=", ".join(better)))
    if worse:
        parts.append(_("At depth {depths} the training advantage did not show.").format(
            depths=", ".join(worse)))
    stuck = [d for d, v in per.items()
             if v["plain"]["train_accuracy"] <= numbers["majority_train_accuracy"] + 0.02]
    if stuck:
        parts.append(_("The plain network at depth {depths} learned nothing beyond "
                       "the majority class ({majority:.1%}).").format(
            depths=", ".join(stuck), majority=numbers["majority_train_accuracy"]))
    return " ".join(parts)


def _loss(v: dict) -> str:
    return _("diverged") if v["diverged"] else f"{v['final_loss']:.3g}"


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per = n["per_depth"]
    cols = max(len(per), 1)
    kinds = {"plain": _("plain"), "residual": _("residual")}
    figs = {}

    fig = Figure(figsize=(4.6 * cols, 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, cols))
    for ax, (d, v) in zip(axes, per.items()):
        plot_gradient_norms({_("{kind} (layer 1: {gradient:.1e})").format(
                                 kind=kinds[k], gradient=v[k]["first_layer_grad"]):
                             v[k]["init_grad_norm"] for k in KINDS}, ax=ax,
                            title=_("{depth} hidden layers + the output layer").format(depth=d))
        ax.set_xlabel(_("Linear layer (1 = next to the input, {output} = the output)").format(
            output=int(d) + 1))
    fig.suptitle(_("gradient norm per layer at initialisation, plain vs residual "
                   "({activation})").format(activation=n["activation"]))
    figs["init-gradients"] = fig

    fig = Figure(figsize=(4.6 * cols, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, cols, sharey=True))
    for ax, (d, v) in zip(axes, per.items()):
        for k, kind in enumerate(KINDS):
            losses = v[kind]["train_loss"]
            ax.plot(np.arange(1, len(losses) + 1), losses, lw=2, color=f"C{k}",
                    label=_("{kind}: {loss}").format(kind=kinds[kind], loss=_loss(v[kind]))
                    + (_(" (diverged)") if v[kind]["diverged"] else ""))
        loss_axes(ax, _("{depth} hidden layers + the output layer").format(depth=d),
                  ylabel=None, fontsize=8, title=_("final loss"), title_fontsize=8)
    axes[0].set_ylabel(_("training loss, BCE (log scale)"))
    fig.suptitle(_("training loss per epoch, plain vs residual ({activation}, SGD)").format(
        activation=n["activation"]))
    figs["loss"] = fig
    return figs
