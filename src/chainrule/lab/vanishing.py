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

import time

import numpy as np

from .. import random as _random
from ..data import DataLoader
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import figure_class, loss_axes, plot_gradient_norms
from ..nn import functional as F
from ..nn.networks import mlp
from ..optim import SGD
from ..tensor import Tensor
from ..train import accuracy, evaluate, fit
from .result import Result

NAME = "vanishing"
TITLE = "10 sigmoid layers: the first layer's gradient vanishes; tanh and the ReLU family keep it"
TINY = {"epochs": 2, "width": 8}

VANISHED = 1e-2      # first/last gradient ratio below which we call the gradient vanished
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
          "sigmoid+skip": "sigmoid + skip connections"}
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


def _accuracy(logits, target) -> float:
    return accuracy(logits, target, threshold=0.0)   # sigmoid(z) > 1/2 exactly when z > 0


def run(*, seed: int = 0, layers: int = 10, width: int = 32, epochs: int = 50,
        batch_size: int = 32, lr: float = 0.1,
        activations: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu"),
        progress: bool = False) -> Result:
    """Train the ``layers``-layer network once per activation (SGD, lr, mini-batches of
    batch_size, ``epochs`` epochs) and measure the gradient and weight movement per layer."""
    started = time.perf_counter()
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
        loader = DataLoader(X_train, t_train, batch_size=batch_size, shuffle=True, seed=seed)
        history = fit(model, LOSS, SGD(model.parameters(), lr=lr), loader,
                      epochs, callbacks=[flow], progress=progress)
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
            "train_loss": [float(v) for v in history.train_loss],
            "train_accuracy": evaluate(model, LOSS, X_train, t_train,
                                       {"accuracy": _accuracy})["accuracy"],
            "test_accuracy": evaluate(model, LOSS, X_test, t_test,
                                      {"accuracy": _accuracy})["accuracy"],
        }
    numbers = {"activations": list(activations), "layer_names": flow.layer_names,
               "steps": len(history.step_loss),
               "majority_train_accuracy": float(max(t_train.mean(), 1 - t_train.mean())),
               "majority_test_accuracy": float(max(t_test.mean(), 1 - t_test.mean())),
               "per_activation": per}
    params = {"seed": seed, "layers": layers, "width": width, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "activations": list(activations)}
    return Result(name=NAME, params=params, numbers=numbers, conclusion=conclude(numbers),
                  seconds=time.perf_counter() - started)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def conclude(numbers: dict) -> str:
    per = numbers["per_activation"]
    if not per:
        return "No activation was run, so there is nothing to conclude."
    label = lambda a: LABELS.get(a, a)                                  # noqa: E731
    n_layers = len(numbers["layer_names"])
    ratios = ", ".join(f"{v['init_ratio']:.2g} with {label(a)}" for a, v in per.items())
    parts = [f"At initialisation the first layer's gradient norm is {ratios}, as a fraction "
             f"of layer {n_layers}'s."]
    vanished = [a for a, v in per.items() if v["init_ratio"] < VANISHED]
    if "sigmoid" in per:
        if "sigmoid" in vanished:
            parts.append("The vanishing gradient shows with sigmoid.")
        else:
            parts.append(f"The vanishing gradient did not show with sigmoid (the ratio is not "
                         f"below {VANISHED:g}).")
    fixes = [a for a in REMEDIES if a in per]
    ok = [label(a) for a in fixes if a not in vanished]
    bad = [label(a) for a in fixes if a in vanished]
    if ok:
        parts.append(f"With {_join(ok)} it does not vanish (the ratio stays above "
                     f"{VANISHED:g}).")
    if bad:
        parts.append(f"With {_join(bad)} it vanished too: that remedy did not show.")
    during = ", ".join(f"{v['train_ratio']:.2g} ({label(a)})" for a, v in per.items())
    parts.append(f"Averaged over training the ratio is {during}.")
    moved = ", ".join(f"{v['weight_movement'][0]:.2g} ({label(a)})" for a, v in per.items())
    parts.append(f"After {numbers['steps']} SGD steps layer 1's weights moved by {moved} of "
                 "their initial size.")
    majority = numbers["majority_train_accuracy"]
    stuck = [label(a) for a, v in per.items() if v["train_accuracy"] <= majority + 0.02]
    learned = [f"{label(a)} {v['train_accuracy']:.1%}/{v['test_accuracy']:.1%}"
               for a, v in per.items() if v["train_accuracy"] > majority + 0.02]
    if learned:
        parts.append("Train/test accuracy: " + ", ".join(learned) + ".")
    if stuck:
        parts.append(f"The {_join(stuck)} network{'s' if len(stuck) > 1 else ''} did not learn "
                     f"beyond predicting the majority class ({majority:.1%} of the training "
                     "set).")
    elif "sigmoid" in vanished:
        parts.append(f"Even so, the sigmoid network learned (train accuracy "
                     f"{per['sigmoid']['train_accuracy']:.1%}): the vanishing gradient did "
                     "not stop its training here.")
    return " ".join(parts)


def _join(names: list) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per = n["per_activation"]
    label = lambda a: LABELS.get(a, a)                                  # noqa: E731
    figs = {}
    figs["init-gradients"] = plot_gradient_norms(
        {f"{label(a)} (first/last = {v['init_ratio']:.1e})": v["init_grad_norm"]
         for a, v in per.items()},
        title=f"gradient norm per layer at initialisation, {len(n['layer_names'])} layers")

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    plot_gradient_norms({label(a): v["weight_movement"] for a, v in per.items()}, ax=ax,
                        ylabel="‖W_after − W_init‖ / ‖W_init‖ (log scale)",
                        title=f"how far each layer's weights moved in {n['steps']} SGD steps")
    figs["weight-movement"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for k, (a, v) in enumerate(per.items()):
        epochs = np.arange(1, len(v["train_loss"]) + 1)
        ax.plot(epochs, v["train_loss"], lw=2, color=f"C{k}",
                label=f"{label(a)}: train {v['train_accuracy']:.0%}, test "
                      f"{v['test_accuracy']:.0%}")
    loss_axes(ax, "training loss per epoch, same data, seed and SGD steps")
    figs["loss"] = fig
    return figs
