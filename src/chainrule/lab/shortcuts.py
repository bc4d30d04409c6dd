"""Shortcuts to the loss: DenseNet concatenation and deep supervision against a plain net.

Three networks with the same number of Linear layers (``depth`` hidden ones + one output),
sigmoid activations, Xavier-uniform weights and zero biases, from the same seed:

- plain: ``nn.mlp(30, 1, depth, width, "sigmoid")``;
- dense: ``nn.DenseBlock(30, growth=width, num_layers=depth)`` then ``Linear(.., 1)``: layer i
  sees the input and every earlier layer's output, and the output layer sees them all;
- deep supervision: the plain trunk as ``nn.DeepSupervision`` stages with an auxiliary
  ``Linear(width, 1)`` head after every ``head_every``-th hidden layer (3, 6, 9 by
  default); loss = main + aux_weight * sum(auxiliary losses).

Measured: the first layer's gradient norm at initialisation (whole training set), the
gradient norm of every Linear layer of the trunk, the shortest path from the loss to the
first layer's weight in the autograd graph, and a short SGD run (the loss per epoch of the
main output and of each auxiliary head, how far layer 1's weights moved). lr = 1 because
sigmoid networks learn slowly with small steps. aux_weight = 1: with GoogLeNet's 0.3 (and
``nn.DeepSupervision``'s default) the early heads learn in 40 epochs while the main output
has not yet; with 1 the early layers' stronger signal carries the main output along too
(both measured; ``--aux-weight 0.3`` reruns the first).

How the path is counted. Before ``backward()`` the graph is intact: every tensor made by an
op lists its inputs in ``.parents`` (its op's name in ``.op``). A breadth-first search from
the loss through ``.parents`` finds the fewest edges from the loss to the first layer's
``weight`` Parameter. One edge is one op handing the gradient to one of its inputs -- one
``upstream x local`` product of the backward pass -- so the count is the number of ops the
gradient passes through on its shortest way, the loss's own op included. In chainrule a
Linear layer is one op (``linear``, x W + b fused), an activation one op, ``concat`` one op,
the loss one op, and deep supervision's weighted sum adds ``mul`` and ``add`` ops. A plain
net with L Linear layers thus has 2L edges (L linear + L - 1 activations + the loss); the
lectures count ops differently (a matmul and an add per layer, say), so their 34 against 16
need not match these numbers: the ratio is the comparable part. The ops on the path are
reported too (``path_ops``).
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from .. import random as _random
from ..grad_mode import no_grad
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import figure_class, loss_axes, plot_gradient_norms
from ..nn import functional as F
from ..nn import init as _init
from ..nn.activation import make_activation
from ..nn.blocks import DeepSupervision, DenseBlock
from ..nn.container import Sequential
from ..nn.layers import Linear
from ..nn.networks import mlp
from ..optim import SGD
from ..tensor import Tensor
from ..train import Callback, evaluate
from .harness import recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "shortcuts"
TITLE = N_("DenseNet concatenation and deep supervision shorten the gradient's path to layer 1")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "init-gradients": N_(
        "The gradient norm per layer at initialisation: a plain network, DenseNet-style "
        "concatenation and deep supervision (layer 1 = input side; log scale)."),
    "path": N_(
        "The shortest path from the loss to layer 1 in each network's autograd graph, in ops,"
        " and layer 1's gradient at initialisation."),
    "loss": N_(
        "The training loss of the main output per epoch, for each network."),
}
TINY = {"depth": 6, "width": 8, "epochs": 2}

KINDS = (N_("plain"), N_("dense"), N_("deep supervision"))   # _kind translates them
GREW = 10.0         # shortcut / plain first-layer gradient above which the shortcut "helps"
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
# aux_weight 0 is allowed: deep supervision's heads then add nothing, a control.
RANGES = {"depth": "[2, inf)", "width": "[1, inf)", "activation": ("sigmoid", "tanh", "relu", "leaky_relu"),
          "head_every": "[1, inf)", "aux_weight": "[0, inf)", "epochs": "[1, inf)",
          "batch_size": "[1, inf)", "lr": "(0, inf)"}


def shortest_path(loss: Tensor, target: Tensor) -> list[str] | None:
    """The ops on the shortest path from loss to target through ``.parents`` (breadth-first
    search over the intact graph, before ``backward()``): ``[loss.op, ..., op whose input is
    target]``, one per edge; None if target is not in the graph."""
    came_from = {id(loss): None}
    by_id = {id(loss): loss}
    queue = deque([loss])
    while queue:
        t = queue.popleft()
        if t is target:
            ops = []
            node = came_from[id(t)]
            while node is not None:
                ops.append(by_id[node].op)
                node = came_from[node]
            return ops[::-1]
        for p in t.parents:
            if id(p) not in came_from:
                came_from[id(p)] = id(t)
                by_id[id(p)] = p
                queue.append(p)
    return None


def _xavier(model):
    for m in model.modules():
        if isinstance(m, Linear):
            _init.xavier_uniform_(m.weight)
            if m.bias is not None:
                _init.zeros_(m.bias)
    return model


def build(kind: str, depth: int, width: int, activation: str = "sigmoid",
          head_every: int = 3, aux_weight: float = 0.3, in_features: int = 30):
    """(model, trunk Linear layers in forward order, loss function (output, target))."""
    bce = F.binary_cross_entropy_with_logits
    if kind == "plain":
        model = mlp(in_features, 1, depth=depth, width=width, activation=activation,
                    init="xavier")
        return model, [m for m in model.modules() if isinstance(m, Linear)], bce
    if kind == "dense":
        block = DenseBlock(in_features, growth=width, num_layers=depth, activation=activation)
        model = _xavier(Sequential(block, Linear(block.out_features, 1)))
        return model, [layer[0] for layer in block.layers] + [model[1]], bce
    if kind == "deep supervision":
        trunk = [Sequential(Linear(in_features if i == 0 else width, width),
                            make_activation(activation)) for i in range(depth)]
        trunk.append(Linear(width, 1))
        heads = {i: Linear(width, 1) for i in range(head_every - 1, depth - 1, head_every)}
        if not heads:
            raise ValueError(f"shortcuts: head_every={head_every} puts no auxiliary head before "
                             f"the last of {depth} hidden layers; use head_every < {depth}")
        model = _xavier(DeepSupervision(trunk, heads=heads, weights=aux_weight))
        return (model, [stage[0] for stage in trunk[:-1]] + [trunk[-1]],
                lambda out, target: model.loss(bce, target))
    raise ValueError(f"shortcuts: unknown kind {kind!r}; expected one of {KINDS}")


class _EpochLosses(Callback):
    """After every epoch, the training-set loss of the main output (fit's own train_loss of a
    deep-supervision net includes the auxiliary losses) and of each auxiliary head."""

    def __init__(self, X, t) -> None:
        self.X, self.t = X, t
        self.main, self.aux = [], []

    def on_epoch_end(self, ctx) -> None:
        model = ctx.model
        self.main.append(evaluate(model, F.binary_cross_entropy_with_logits, self.X,
                                  self.t)["loss"])
        if isinstance(model, DeepSupervision):
            model.eval()
            with no_grad():
                _main, aux = model.forward_all(Tensor(self.X))
            model.train()
            self.aux.append([float(F.binary_cross_entropy_with_logits(a, self.t).item())
                             for a in aux])


def _one(kind: str, *, seed, depth, width, activation, head_every, aux_weight, epochs,
         batch_size, lr, X, t, progress) -> dict:
    _random.manual_seed(seed)
    model, trunk, loss_fn = build(kind, depth, width, activation, head_every, aux_weight,
                                  X.shape[1])
    flow = GradientFlow(model, layers=trunk, track_dead=False)
    loss = loss_fn(model(Tensor(X)), t)
    path = shortest_path(loss, trunk[0].weight)
    loss.backward()
    flow.record()
    model.zero_grad()
    w0 = trunk[0].weight.data.astype(np.float64).copy()
    losses = _EpochLosses(X, t)
    trained = train(model, loss_fn, SGD(model.parameters(), lr=lr), (X, t), epochs,
                    batch_size=batch_size, seed=seed, callbacks=[losses], progress=progress)
    norms = flow.grad_norms[0]
    return {"path_steps": len(path) if path is not None else None, "path_ops": path,
            "init_grad_norm": norms.tolist(), "first_layer_grad": float(norms[0]),
            "parameters": int(sum(p.data.size for p in model.parameters())),
            "first_layer_movement": float(np.linalg.norm(trunk[0].weight.data - w0)
                                          / np.linalg.norm(w0)),
            "main_loss": losses.main,
            "final_main_loss": losses.main[-1] if losses.main else math.nan,
            # per head (in stage order), the loss per epoch: [head][epoch]
            "aux_loss": [list(h) for h in zip(*losses.aux)],
            "train_accuracy": trained.train_accuracy}


@recorded
def run(*, seed: int = 0, depth: int = 10, width: int = 16, activation: str = "sigmoid",
        head_every: int = 3, aux_weight: float = 1.0, epochs: int = 40, batch_size: int = 32,
        lr: float = 1.0, progress: bool = False) -> Result:
    """Build the three networks (``depth`` hidden layers of ``width`` units, or DenseNet
    growth), measure the first-layer gradient and the loss-to-layer-1 path at
    initialisation, then train each for ``epochs`` epochs of SGD."""
    if depth < 2:
        raise ValueError(f"shortcuts: depth must be >= 2, got {depth}")
    X, _X_test, y, _y_test = breast_cancer(split=True)
    t = y.astype(np.float32).reshape(-1, 1)
    per = {kind: _one(kind, seed=seed, depth=depth, width=width, activation=activation,
                      head_every=head_every, aux_weight=aux_weight, epochs=epochs,
                      batch_size=batch_size, lr=lr, X=X, t=t, progress=progress)
           for kind in KINDS}
    prior = float(t.mean())
    numbers = {"depth": depth, "activation": activation,
               "head_after_layers": list(range(head_every, depth, head_every)),
               "per_kind": per, "majority_train_accuracy": max(prior, 1 - prior),
               # the loss of always predicting the class frequencies: learning nothing
               "prior_loss": -(prior * math.log(prior) + (1 - prior) * math.log(1 - prior))}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _kind(kind: str) -> str:
    """A network's name in this run's language ("plain", "dense", "deep supervision")."""
    return _(kind)


def conclude(numbers: dict) -> str:
    per = numbers["per_kind"]
    plain = per["plain"]
    parts = [_("Shortest path from the loss to the first layer's weight: plain "
               "{plain} steps, DenseNet {dense}, deep supervision {deep}.").format(
        plain=plain["path_steps"], dense=per["dense"]["path_steps"],
        deep=per["deep supervision"]["path_steps"])]
    for kind in ("dense", "deep supervision"):
        v = per[kind]
        name = "DenseNet" if kind == "dense" else _("Deep supervision")
        shorter = (v["path_steps"] is not None and plain["path_steps"] is not None
                   and v["path_steps"] < plain["path_steps"])
        g, g0 = v["first_layer_grad"], plain["first_layer_grad"]
        factor = g / g0 if g0 > 0 else math.inf
        if shorter and factor >= GREW:
            sentence = _("{name} shortens it {fold:.2g}-fold ({plain} against {steps}); the "
                         "first layer's gradient is {grad:.2g} against the plain net's "
                         "{plain_grad:.2g}, {factor:.2g} times larger.")
        elif shorter:
            sentence = _("{name} shortens it {fold:.2g}-fold ({plain} against {steps}); the "
                         "first layer's gradient is {grad:.2g} against the plain net's "
                         "{plain_grad:.2g}: the larger gradient did not show (less than "
                         "{grew:g} times).")
        elif factor >= GREW:
            sentence = _("{name} did not shorten the path; the first layer's gradient is "
                         "{grad:.2g} against the plain net's {plain_grad:.2g}, {factor:.2g} "
                         "times larger.")
        else:
            sentence = _("{name} did not shorten the path; the first layer's gradient is "
                         "{grad:.2g} against the plain net's {plain_grad:.2g}: the larger "
                         "gradient did not show (less than {grew:g} times).")
        fold = plain["path_steps"] / v["path_steps"] if shorter else None
        parts.append(sentence.format(name=name, fold=fold, plain=plain["path_steps"],
                                     steps=v["path_steps"], grad=g, plain_grad=g0,
                                     factor=factor, grew=GREW))
    moved = ", ".join(f"{_kind(k)} {v['first_layer_movement']:.2g}" for k, v in per.items())
    losses = ", ".join(f"{_kind(k)} {v['final_main_loss']:.3g}" for k, v in per.items())
    parts.append(_("In training, layer 1's weights moved by {moved} of their initial size; the "
                   "main output's final training loss is {losses}.").format(moved=moved,
                                                                            losses=losses))
    aux = per["deep supervision"].get("aux_loss") or []
    if aux and all(a for a in aux):
        prior = numbers["prior_loss"]
        learned = [k for k, a in zip(numbers["head_after_layers"], aux) if a[-1] < 0.9 * prior]
        heads = ", ".join(_("after layer {layer} {loss:.3g}").format(layer=k, loss=a[-1])
                          for k, a in zip(numbers["head_after_layers"], aux))
        verdict = (_("the heads after layer {layers} learned (below {share:.0%} of "
                     "the {prior:.3g} of predicting the class frequencies)") if learned else
                   _("none learned (all stay near the {prior:.3g} of predicting the class "
                     "frequencies)")).format(layers=", ".join(map(str, learned)), prior=prior,
                                             share=0.9)
        parts.append(_("Deep supervision's auxiliary heads end at {heads}: {verdict}.").format(
            heads=heads, verdict=verdict))
    parts.append(_("Parameters: {counts} (DenseNet's concatenations make its later layers "
                   "wider).").format(counts=", ".join(f"{_kind(k)} {v['parameters']}"
                                                      for k, v in per.items())))
    majority = numbers["majority_train_accuracy"]
    stuck = [_kind(k) for k, v in per.items() if v["train_accuracy"] <= majority + 0.02]
    if stuck:
        parts.append(_("The main output learned nothing beyond the majority class "
                       "({majority:.1%} train accuracy) in: {kinds}.").format(
            majority=majority, kinds=", ".join(stuck)))
    return " ".join(parts)


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per = n["per_kind"]
    figs = {}
    fig = plot_gradient_norms(
        {_("{kind} (layer 1: {gradient:.1e})").format(kind=_kind(k), gradient=v["first_layer_grad"]):
         v["init_grad_norm"] for k, v in per.items()},
        title=_("gradient norm per layer at initialisation, {depth} hidden layers "
                "({activation})").format(depth=n["depth"], activation=n["activation"]))
    for i, layer in enumerate(n["head_after_layers"]):
        fig.axes[0].axvline(layer, color="C2", ls=":", lw=1,
                            label=_("auxiliary head after this layer") if i == 0 else None)
    fig.axes[0].legend(fontsize=8)
    figs["init-gradients"] = fig

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_path, ax_grad = fig.subplots(1, 2)
    names = [_kind(k) for k in per]
    x = np.arange(len(names))
    colors = [f"C{i}" for i in range(len(names))]
    steps = [v["path_steps"] or 0 for v in per.values()]
    bars = ax_path.bar(x, steps, color=colors)
    ax_path.bar_label(bars, labels=[str(s) for s in steps])
    ax_path.set_ylabel(_("edges from the loss to layer 1's weight"))
    ax_path.set_title(_("shortest path in the autograd graph"))
    grads = [v["first_layer_grad"] for v in per.values()]
    bars = ax_grad.bar(x, grads, color=colors)
    ax_grad.bar_label(bars, labels=[f"{g:.1e}" for g in grads])
    ax_grad.set_yscale("log")
    ax_grad.set_ylabel(_("‖∂L/∂W₁‖ (log scale)"))
    ax_grad.set_title(_("first layer's gradient at initialisation"))
    for ax in (ax_path, ax_grad):
        ax.set_xticks(x, names)
        ax.grid(alpha=0.3, axis="y")
        ax.margins(y=0.15)
    figs["path"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for k, (kind, v) in enumerate(per.items()):
        ax.plot(np.arange(1, len(v["main_loss"]) + 1), v["main_loss"], lw=2, color=f"C{k}",
                ls=("-", "--", "-.")[k % 3],
                label=_("{kind}: final {loss:.3g}").format(kind=_kind(kind),
                                                          loss=v["final_main_loss"]))
    aux = per["deep supervision"].get("aux_loss") or []
    for j, (layer, losses) in enumerate(zip(n["head_after_layers"], aux)):
        ax.plot(np.arange(1, len(losses) + 1), losses, lw=1.4, ls=":", color="C2",
                marker=("o", "x", "+", "^")[j % 4], ms=4, markevery=max(len(losses) // 8, 1),
                alpha=max(0.5, 1 - 0.2 * j),
                label="  " + _("its auxiliary head after layer {layer}: {loss:.3g}").format(
                    layer=layer, loss=losses[-1]))
    loss_axes(ax, _("training loss per epoch (SGD, same seed and batches)"))
    figs["loss"] = fig
    return figs
