"""The vanishing gradient in the lectures' network, and the activations that fixed it.

The network: 10 Linear layers with a sigmoid after each (``layers`` = 10; the last sigmoid
is the output probability, computed inside the loss: binary cross-entropy with logits,
the same function without a saturated probability's rounding), width 32,
on the breast-cancer data (455 training, 114 test tumours, standardised). Backpropagation
multiplies one factor sigma' <= 1/4 per layer, so the gradient reaching layer 1 should be
orders of magnitude smaller than the one reaching layer 10, and layer 1 should hardly move.

The same network is built with tanh, ReLU and Leaky ReLU between the layers -- each with
its matching initialisation: Xavier-uniform for sigmoid and tanh, Kaiming-normal for the
ReLU family (``nn.mlp(init="auto")``); biases 0 -- and always the sigmoid output; and
as "sigmoid+skip", the sigmoid network with residual connections H(x) = F(x) + x. Every
variant starts from ``cr.manual_seed(seed)`` and sees the same mini-batches (plain SGD).

Measured per activation:

- ``init_grad_norm``: ||dL/dW|| per layer at initialisation, on the whole training set;
  ``init_ratio`` = layer 1 / layer 10 (the lectures' first-to-last ratio);
- ``train_grad_norm``: the per-layer gradient norm averaged over every training step
  (``cr.inspect.GradientFlow``), and ``train_ratio`` likewise;
- ``weight_movement``: ||W_after - W_init|| / ||W_init|| per layer after all the steps;
- ``train_loss`` per epoch, final train and test accuracy (the majority class's share is
  reported as the accuracy of a network that learned nothing).
"""
from __future__ import annotations

import numpy as np

from .. import random as _random
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import ACTIVATION_COLOURS, figure_class, loss_axes, plot_gradient_norms
from ..nn import functional as F
from ..nn.networks import mlp
from ..optim import SGD
from ..tensor import Tensor
from .harness import recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "vanishing"
TITLE = N_("10 sigmoid layers: the first layer's gradient vanishes; tanh and the ReLU family keep it")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "init-gradients": N_(
        "The gradient norm ‖dL/dW‖ that reaches each layer at initialisation, for each "
        "activation (layer 1 = input side; log scale)."),
    "weight-movement": N_(
        "How far each layer's weights moved during training, as a fraction of their initial "
        "size (layer 1 = input side; log scale)."),
    "loss": N_(
        "The training loss per epoch for each activation: the same data, seed and SGD steps."),
}
TINY = {"epochs": 2, "width": 8}

VANISHED = 1e-2      # first/last gradient ratio below which we call the gradient vanished
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
          "sigmoid+skip": N_("sigmoid + skip connections")}   # _label translates them
REMEDIES = ("tanh", "relu", "leaky_relu", "sigmoid+skip")
LOSS = F.binary_cross_entropy_with_logits

# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"layers": "[2, inf)", "width": "[1, inf)", "epochs": "[1, inf)",
          "batch_size": "[1, inf)", "lr": "(0, inf)", "activations": tuple(LABELS)}
# What a sweep (cr.lab.sweep) plots, and the conclusion it draws over the swept depths.
SWEEP = {
    "numbers": ("per_activation.sigmoid.init_ratio", "per_activation.relu.init_ratio",
                "per_activation.sigmoid.train_accuracy", "per_activation.relu.train_accuracy"),
    "thresholds": tuple(
        {"number": f"per_activation.{act}.init_ratio", "below": 1e-3, "over": "layers",
         "what": f"the {LABELS[act]} network's first/last gradient ratio at initialisation"}
        for act in ("sigmoid", "relu")),
}


def build(activation: str, layers: int, width: int, in_features: int = 30):
    """``layers`` Linear layers, each followed by the activation except the last, whose
    sigmoid (the output probability) is computed inside the loss, binary cross-entropy with
    logits: the same function, without the rounding of a saturated probability.
    "sigmoid+skip" is the sigmoid network with hidden layers 2.. wrapped as residual
    blocks, H(x) = F(x) + x."""
    act, skip = activation.removesuffix("+skip"), activation.endswith("+skip")
    return mlp(in_features, 1, depth=layers - 1, width=width, activation=act, skip=skip)


@recorded
def run(*, seed: int = 0, layers: int = 10, width: int = 32, epochs: int = 50,
        batch_size: int = 32, lr: float = 0.1,
        activations: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu"),
        progress: bool = False) -> Result:
    """Train the ``layers``-layer network once per activation (SGD, lr, mini-batches of
    batch_size, ``epochs`` epochs) and measure the gradient and weight movement per layer."""
    if layers < 2:
        raise ValueError(f"vanishing: layers must be >= 2 (a first and a last), got {layers}")
    unknown = [a for a in activations if a not in LABELS]
    if not activations or unknown:
        raise ValueError(f"vanishing: activations must be a non-empty selection of "
                         f"{', '.join(LABELS)}; got {list(activations)}")
    X_train, X_test, y_train, y_test = breast_cancer(split=True)
    t_train = y_train.astype(np.float32).reshape(-1, 1)
    t_test = y_test.astype(np.float32).reshape(-1, 1)
    per = {}
    for act in activations:
        _random.manual_seed(seed)
        model = build(act, layers, width, X_train.shape[1])
        flow = GradientFlow(model, track_dead=False)
        weights = [layer.weight for _, layer in flow.layers]
        LOSS(model(Tensor(X_train)), t_train).backward()
        flow.record(step=0)
        model.zero_grad()
        initial = [w.data.astype(np.float64).copy() for w in weights]
        trained = train(model, LOSS, SGD(model.parameters(), lr=lr), (X_train, t_train),
                        epochs, batch_size=batch_size, seed=seed, test=(X_test, t_test),
                        callbacks=[flow], progress=progress)
        moved = [float(np.linalg.norm(w.data - w0) / np.linalg.norm(w0))
                 for w, w0 in zip(weights, initial)]
        norms = flow.grad_norms
        init, during = norms[0], norms[1:].mean(axis=0) if len(norms) > 1 else norms[0]
        per[act] = {
            "init_grad_norm": init.tolist(),
            "init_ratio": _ratio(init[0], init[-1]),
            "train_grad_norm": during.tolist(),
            "train_ratio": _ratio(during[0], during[-1]),
            "weight_movement": moved,
            "movement_ratio": _ratio(moved[0], moved[-1]),
            "train_loss": trained.curve,
            "train_accuracy": trained.train_accuracy,
            "test_accuracy": trained.test_accuracy,
            "diverged": trained.diverged,
        }
    numbers = {"activations": list(activations), "layer_names": flow.layer_names,
               "steps": trained.history.steps,
               "majority_train_accuracy": float(max(t_train.mean(), 1 - t_train.mean())),
               "majority_test_accuracy": float(max(t_test.mean(), 1 - t_test.mean())),
               "lr": lr, "per_activation": per}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def conclude(numbers: dict) -> str:
    per = numbers["per_activation"]
    if not per:
        return _("No activation was run, so there is nothing to conclude.")
    label = _label
    n_layers = len(numbers["layer_names"])
    ratios = ", ".join(_("{ratio:.2g} with {activation}").format(
        ratio=v["init_ratio"], activation=label(a)) for a, v in per.items())
    parts = [_("At initialisation the first layer's gradient norm is {ratios}, as a fraction "
               "of layer {layers}'s.").format(ratios=ratios, layers=n_layers)]
    vanished = [a for a, v in per.items() if v["init_ratio"] < VANISHED]
    if "sigmoid" in per:
        if "sigmoid" in vanished:
            parts.append(_("The vanishing gradient shows with sigmoid."))
        else:
            parts.append(_("The vanishing gradient did not show with sigmoid (the ratio is not "
                           "below {bound:g}).").format(bound=VANISHED))
    fixes = [a for a in REMEDIES if a in per]
    ok = [label(a) for a in fixes if a not in vanished]
    bad = [label(a) for a in fixes if a in vanished]
    if ok:
        parts.append(_("With {remedies} it does not vanish (the ratio stays above "
                       "{bound:g}).").format(remedies=_join(ok), bound=VANISHED))
    if bad:
        parts.append(_("With {remedies} it vanished too: that remedy did not show.").format(
            remedies=_join(bad)))
    during = ", ".join(f"{v['train_ratio']:.2g} ({label(a)})" for a, v in per.items())
    parts.append(_("Averaged over training the ratio is {ratios}.").format(ratios=during))
    moved = ", ".join(f"{v['weight_movement'][0]:.2g} ({label(a)})" for a, v in per.items())
    parts.append(_("After {steps} SGD steps layer 1's weights moved by {moved} of "
                   "their initial size.").format(steps=numbers["steps"], moved=moved))
    diverged = [label(a) for a, v in per.items() if v.get("diverged")]
    if diverged:
        parts.append(_("Training diverged with {activations}: the loss became NaN or "
                       "infinite at lr = {lr}, so their training "
                       "numbers say nothing about the gradient; a smaller learning rate "
                       "usually helps.").format(activations=_join(diverged),
                                                lr=numbers.get("lr", _("this rate"))))
    per = {a: v for a, v in per.items() if not v.get("diverged")}
    majority = numbers["majority_train_accuracy"]
    stuck = [label(a) for a, v in per.items() if v["train_accuracy"] <= majority + 0.02]
    learned = [f"{label(a)} {v['train_accuracy']:.1%}/{v['test_accuracy']:.1%}"
               for a, v in per.items() if v["train_accuracy"] > majority + 0.02]
    if learned:
        parts.append(_("Train/test accuracy: {accuracies}.").format(accuracies=", ".join(learned)))
    if stuck:
        sentence = (_("The {activations} networks did not learn beyond predicting the majority "
                      "class ({majority:.1%} of the training set).") if len(stuck) > 1 else
                    _("The {activations} network did not learn beyond predicting the majority "
                      "class ({majority:.1%} of the training set)."))
        parts.append(sentence.format(activations=_join(stuck), majority=majority))
    elif "sigmoid" in vanished:
        parts.append(_("Even so, the sigmoid network learned (train accuracy "
                       "{accuracy:.1%}): the vanishing gradient did "
                       "not stop its training here.").format(
                           accuracy=per["sigmoid"]["train_accuracy"]))
    return " ".join(parts)


def _label(activation: str) -> str:
    """The activation's name in the legend and the conclusion (in this run's language)."""
    return _(LABELS[activation]) if activation in LABELS else activation


def _join(names: list) -> str:
    """"a", "a and b", "a, b and c" (in this run's language)."""
    if len(names) == 1:
        return names[0]
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per = n["per_activation"]
    label = _label
    colours = [ACTIVATION_COLOURS.get(a, "0.3") for a in per]
    layers = len(n["layer_names"])
    figs = {}
    figs["init-gradients"] = plot_gradient_norms(
        {_("{activation} (first/last = {ratio:.1e})").format(
            activation=label(a), ratio=v["init_ratio"]): v["init_grad_norm"]
         for a, v in per.items()}, colors=colours,
        title=_("gradient norm per layer at initialisation, {layers} Linear layers").format(
            layers=layers))

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    plot_gradient_norms({label(a): v["weight_movement"] for a, v in per.items()}, ax=ax,
                        colors=colours,
                        ylabel=_("‖W_after − W_init‖ / ‖W_init‖ (log scale)"),
                        title=_("how far each layer's weights moved in {steps} SGD "
                                "steps").format(steps=n["steps"]))
    figs["weight-movement"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for a, v in per.items():
        epochs = np.arange(1, len(v["train_loss"]) + 1)
        ax.plot(epochs, v["train_loss"], lw=2, color=ACTIVATION_COLOURS.get(a, "0.3"),
                label=_("{activation}: train {train:.0%}, test {test:.0%}").format(
                    activation=label(a), train=v["train_accuracy"], test=v["test_accuracy"]))
    loss_axes(ax, _("training loss per epoch, same data, seed and SGD steps"))
    figs["loss"] = fig
    return figs
