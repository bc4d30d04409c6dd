"""Shortcuts to the loss: DenseNet concatenation and deep supervision against plain nets.

Four networks with the same number of Linear layers (``depth`` hidden ones + one output),
sigmoid activations by default, Xavier-uniform weights and zero biases, from the same seed:

- plain: ``nn.mlp(30, 1, depth, width, "sigmoid")``;
- wide plain: the same plain net, its width chosen so that its parameter count is the
  closest a plain net of that depth gets to DenseNet's (``matched_width``; width 41 and
  16811 parameters against DenseNet's 16671 at the defaults). DenseNet's concatenations make
  its later layers wider (5.6 times the plain net's parameters), so a DenseNet that beats
  the narrow plain net might only be bigger: it is judged against this one;
- dense: ``nn.DenseBlock(30, growth=width, num_layers=depth)`` then ``Linear(.., 1)``: layer i
  sees the input and every earlier layer's output, and the output layer sees them all;
- deep supervision: the plain trunk as ``nn.DeepSupervision`` stages with an auxiliary
  ``Linear(width, 1)`` head after every ``head_every``-th hidden layer (3, 6, 9 by
  default); loss = main + aux_weight * sum(auxiliary losses). Its heads add few parameters
  (3012 against 2961), so it is judged against the plain net.

Measured, for each of ``seeds`` seeds (3 by default: seed, seed + 1, seed + 2): the first
layer's gradient norm at initialisation (whole training set), the gradient norm of every
Linear layer of the trunk, the shortest path from the loss to the first layer's weight in the
autograd graph, and a short SGD run (the loss per epoch of the main output and of each
auxiliary head, how far layer 1's weights moved, the main output's train accuracy). A
training whose loss turns NaN or infinite is caught and recorded per network and seed
(``diverged_per_seed``; its final numbers are NaN), and the conclusion says in how many seeds
each network diverged.

The budget, the same for every network: ``epochs`` (40) epochs of SGD, lr 1 (sigmoid
networks learn slowly with small steps), batches of 32, the same batches per seed.
aux_weight = 1: with GoogLeNet's 0.3 (and ``nn.DeepSupervision``'s default) the early heads
learn in 40 epochs while the main output has not yet; with 1 the early layers' stronger
signal carries the main output along too (both measured; ``--aux-weight 0.3`` reruns the
first).

When a shortcut's benefit shows. Against its baseline (the plain net of about its parameter
count), in every seed: its first layer's gradient at initialisation is at least GREW (10)
times the baseline's -- the gradient reaches layer 1 -- AND its main output trained better:
it did not diverge, its train accuracy is more than STUCK_MARGIN (0.02) above always
predicting the majority class, and its final training loss is at most LOSS_RATIO (0.5) times
the baseline's (or the baseline diverged). Otherwise the conclusion says it did not show, and
in how many seeds each half held (at ``--lr 0.3`` or ``--depth 20`` deep supervision's
gradient reaches layer 1 but its main output learns nothing). An auxiliary head "learned"
when its final loss is below HEAD_LEARNED (0.9) times the loss of predicting the class
frequencies. A shortcut whose parameter count differs from its baseline's by more than
PARAM_MATCH (10%) is said not to be parameter-matched. All thresholds are printed.

Default run (4 networks x 3 seeds = 12 trainings): about 30 s on 2 busy cores (measured
30.1 s).

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
reported too (``path_ops``); the path is the same in every seed.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np

from .. import random as _random
from ..grad_mode import no_grad
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import faint_curves, figure_class, loss_axes, plot_gradient_norms
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
from . import seeds as _seeds
from .harness import parameter_count, recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "shortcuts"
TITLE = N_("DenseNet concatenation and deep supervision shorten the gradient's path to layer 1")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "init-gradients": N_(
        "The gradient norm per layer at initialisation: a plain network, a wider plain "
        "network with about DenseNet's parameters, DenseNet-style concatenation and deep "
        "supervision (layer 1 = input side; log scale; the first seed drawn fully, the "
        "others faint)."),
    "path": N_(
        "The shortest path from the loss to layer 1 in each network's autograd graph, in ops,"
        " and layer 1's gradient at initialisation (mean over seeds; the bar spans their "
        "range)."),
    "loss": N_(
        "The training loss of the main output per epoch, for each network (the first seed "
        "drawn fully, the others faint)."),
}
TINY = {"seeds": 2, "depth": 6, "width": 8, "epochs": 2}

KINDS = (N_("plain"), N_("wide plain"), N_("dense"), N_("deep supervision"))  # _kind translates
# Each shortcut is judged against the plain net of about its parameter count.
BASELINE = {"dense": "wide plain", "deep supervision": "plain"}
GREW = 10.0         # shortcut / baseline first-layer gradient at or above which it "reaches"
LOSS_RATIO = 0.5    # the main output "trained better": final loss <= LOSS_RATIO x baseline's
STUCK_MARGIN = 0.02  # train accuracy within this of the majority class: learned nothing
HEAD_LEARNED = 0.9  # an auxiliary head learned: final loss < HEAD_LEARNED x the prior's loss
PARAM_MATCH = 0.1   # parameter counts further apart than this (relative) are not matched
THRESHOLDS = {"GREW": GREW, "LOSS_RATIO": LOSS_RATIO, "STUCK_MARGIN": STUCK_MARGIN,
              "HEAD_LEARNED": HEAD_LEARNED, "PARAM_MATCH": PARAM_MATCH}
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
# aux_weight 0 is allowed: deep supervision's heads then add nothing, a control.
RANGES = {"seeds": "[1, inf)", "depth": "[2, inf)", "width": "[1, inf)",
          "activation": ("sigmoid", "tanh", "relu", "leaky_relu"),
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


def plain_parameters(depth: int, width: int, in_features: int = 30) -> int:
    """The parameter count of ``mlp(in_features, 1, depth, width)``: the first layer, depth - 1
    hidden width x width layers, the output layer, each with its bias.

    >>> plain_parameters(10, 16)
    2961
    """
    return (in_features + 1) * width + (depth - 1) * (width + 1) * width + width + 1


def matched_width(depth: int, parameters: int, in_features: int = 30) -> int:
    """The width whose plain net of ``depth`` hidden layers has the parameter count closest
    to ``parameters`` (the wide plain baseline for DenseNet).

    >>> matched_width(10, 16671), plain_parameters(10, 41)
    (41, 16811)
    """
    width = 1
    while plain_parameters(depth, width + 1, in_features) < parameters:
        width += 1
    below, above = width, width + 1
    return min((below, above),
               key=lambda w: abs(plain_parameters(depth, w, in_features) - parameters))


def _dense_parameters(depth: int, width: int, in_features: int) -> int:
    return parameter_count(build("dense", depth, width, in_features=in_features)[0])


class _EpochLosses(Callback):
    """After every epoch, the training-set loss of the main output (fit's own train_loss of a
    deep-supervision net includes the auxiliary losses) and of each auxiliary head."""

    def __init__(self, X, t) -> None:
        self.X, self.t = X, t
        self.main, self.aux = [], []

    def on_epoch_end(self, ctx) -> None:
        model = ctx.model
        # weights on their way to diverging overflow; the inf or NaN is the measurement
        with np.errstate(over="ignore", invalid="ignore"):
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
    """One network, one seed: the gradients and path at initialisation, then training."""
    _random.manual_seed(seed)
    model, trunk, loss_fn = build("plain" if kind == "wide plain" else kind, depth, width,
                                  activation, head_every, aux_weight, X.shape[1])
    flow = GradientFlow(model, layers=trunk, track_dead=False)
    with np.errstate(over="ignore", invalid="ignore"):   # an exploding init is measured
        loss = loss_fn(model(Tensor(X)), t)
        path = shortest_path(loss, trunk[0].weight)
        loss.backward()
    flow.record()
    model.zero_grad()
    w0 = trunk[0].weight.data.astype(np.float64).copy()
    losses = _EpochLosses(X, t)
    # the harness catches fit's NonFiniteLossError and marks the run diverged; a main
    # output whose whole-set loss overflowed at an epoch's end diverged too
    trained = train(model, loss_fn, SGD(model.parameters(), lr=lr), (X, t), epochs,
                    batch_size=batch_size, seed=seed, callbacks=[losses], progress=progress)
    diverged = trained.diverged or not all(map(math.isfinite, losses.main))
    accuracy = trained.train_accuracy
    norms = flow.grad_norms[0]
    with np.errstate(over="ignore", invalid="ignore"):
        moved = float(np.linalg.norm(trunk[0].weight.data - w0) / np.linalg.norm(w0))
    return {"path_ops": path, "parameters": parameter_count(model),
            "init_grad_norm": norms.tolist(), "first_layer_grad": float(norms[0]),
            "first_layer_movement": math.nan if diverged else moved,
            "main_loss": losses.main, "diverged": bool(diverged),
            "final_main_loss": losses.main[-1] if losses.main and not diverged else math.nan,
            # per head (in stage order), the loss per epoch: [head][epoch]
            "aux_loss": [list(h) for h in zip(*losses.aux)],
            "train_accuracy": math.nan if diverged else accuracy}


SPREAD = ("first_layer_grad", "first_layer_movement", "final_main_loss", "train_accuracy")


def _over_seeds(runs: list, width: int) -> dict:
    """One network's measurements over seeds: per-seed lists and the quoted ones' spreads."""
    path = runs[0]["path_ops"]
    out = {"width": width, "parameters": runs[0]["parameters"],
           "path_steps": len(path) if path is not None else None, "path_ops": path,
           "diverged_per_seed": [r["diverged"] for r in runs]}
    for key in SPREAD:
        out[f"{key}_per_seed"] = [r[key] for r in runs]
        out[key] = _seeds.spread(out[f"{key}_per_seed"])
    for key in ("init_grad_norm", "main_loss", "aux_loss"):
        out[f"{key}_per_seed"] = [r[key] for r in runs]
    return out


@recorded
def run(*, seed: int = 0, seeds: int = _seeds.DEFAULT_SEEDS, depth: int = 10,
        width: int = 16, activation: str = "sigmoid", head_every: int = 3,
        aux_weight: float = 1.0, epochs: int = 40, batch_size: int = 32, lr: float = 1.0,
        progress: bool = False) -> Result:
    """Build the four networks (``depth`` hidden layers of ``width`` units, or DenseNet
    growth; the wide plain net as wide as matches DenseNet's parameters), measure the
    first-layer gradient and the loss-to-layer-1 path at initialisation, then train each for
    ``epochs`` epochs of SGD; all of it for each of ``seeds`` seeds."""
    if depth < 2:
        raise ValueError(f"shortcuts: depth must be >= 2, got {depth}")
    X, _X_test, y, _y_test = breast_cancer(split=True)
    t = y.astype(np.float32).reshape(-1, 1)
    seed_list = _seeds.seed_list(seed, seeds)
    wide = matched_width(depth, _dense_parameters(depth, width, X.shape[1]), X.shape[1])
    per = {}
    for kind in KINDS:
        w = wide if kind == "wide plain" else width
        per[kind] = _over_seeds(
            [_one(kind, seed=s, depth=depth, width=w, activation=activation,
                  head_every=head_every, aux_weight=aux_weight, epochs=epochs,
                  batch_size=batch_size, lr=lr, X=X, t=t, progress=progress)
             for s in seed_list], w)
    prior = float(t.mean())
    numbers = {"seeds": seed_list, "depth": depth, "width": width, "wide_width": wide,
               "activation": activation, "epochs": epochs, "lr": lr,
               "batch_size": batch_size, "aux_weight": aux_weight,
               "head_after_layers": list(range(head_every, depth, head_every)),
               "baseline": dict(BASELINE), "thresholds": dict(THRESHOLDS),
               "per_kind": per, "majority_train_accuracy": max(prior, 1 - prior),
               # the loss of always predicting the class frequencies: learning nothing
               "prior_loss": -(prior * math.log(prior) + (1 - prior) * math.log(1 - prior))}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _kind(kind: str) -> str:
    """A network's name in this run's language ("plain", "wide plain", "dense", ...)."""
    return _(kind)


def _name(kind: str) -> str:
    """A shortcut's name at the start of a sentence."""
    return "DenseNet" if kind == "dense" else _("Deep supervision")


def _ratio(value: float, base: float) -> float:
    if not (math.isfinite(value) and math.isfinite(base)):
        return math.nan
    if base > 0:
        return value / base
    return math.inf if value > 0 else math.nan


def _reaches(numbers: dict, kind: str) -> tuple[list, list]:
    """Per seed: the shortcut's first-layer gradient over its baseline's, and whether it is
    at least GREW."""
    grew = _seeds.threshold(numbers, "GREW", GREW)
    per = numbers["per_kind"]
    base = per[numbers.get("baseline", BASELINE)[kind]]["first_layer_grad_per_seed"]
    factors = [_ratio(g, g0) for g, g0 in zip(per[kind]["first_layer_grad_per_seed"], base)]
    return factors, [f >= grew for f in factors]   # NaN compares False


def _learned(numbers: dict, v: dict) -> list:
    """Per seed: the main output did not diverge and beat the majority class."""
    margin = _seeds.threshold(numbers, "STUCK_MARGIN", STUCK_MARGIN)
    majority = numbers["majority_train_accuracy"]
    return [not d and acc > majority + margin
            for d, acc in zip(v["diverged_per_seed"], v["train_accuracy_per_seed"])]


def _improves(numbers: dict, kind: str) -> list:
    """Per seed: the shortcut's main output learned and ended at most LOSS_RATIO times its
    baseline's training loss (or the baseline diverged)."""
    ratio = _seeds.threshold(numbers, "LOSS_RATIO", LOSS_RATIO)
    per = numbers["per_kind"]
    v, b = per[kind], per[numbers.get("baseline", BASELINE)[kind]]
    return [ok and (b_div or not math.isfinite(b_loss) or loss <= ratio * b_loss)
            for ok, loss, b_loss, b_div in zip(_learned(numbers, v),
                                               v["final_main_loss_per_seed"],
                                               b["final_main_loss_per_seed"],
                                               b["diverged_per_seed"])]


def _budget(numbers: dict) -> str:
    per = numbers["per_kind"]
    counts = ", ".join(f"{_kind(k)} {v['parameters']}"
                       for k, v in per.items())
    return _("Budget, the same for every network: {epochs} epochs of SGD at lr {lr:g} in "
             "batches of {batch_size}, {depth} hidden layers ({activation}), seeds {seeds}. "
             "Parameters: {counts}; the wide plain net is {wide} units wide so that its count "
             "is close to DenseNet's.").format(
        epochs=numbers["epochs"], lr=numbers["lr"], batch_size=numbers["batch_size"],
        depth=numbers["depth"], activation=numbers["activation"],
        seeds=", ".join(map(str, numbers["seeds"])), counts=counts,
        wide=numbers["wide_width"])


def _matching(numbers: dict, kind: str) -> str | None:
    """A sentence when a shortcut's parameter count is not close to its baseline's."""
    match = _seeds.threshold(numbers, "PARAM_MATCH", PARAM_MATCH)
    per = numbers["per_kind"]
    base = numbers.get("baseline", BASELINE)[kind]
    p, p0 = per[kind]["parameters"], per[base]["parameters"]
    apart = abs(p - p0) / p0
    if apart <= match:
        return None
    return _("{name} has {parameters} parameters against the {baseline} net's {base} "
             "({apart:.0%} apart, more than PARAM_MATCH): the comparison is not "
             "parameter-matched.").format(name=_name(kind), parameters=p,
                                         baseline=_kind(base), base=p0, apart=apart)


def _shortcut(numbers: dict, kind: str) -> list[str]:
    """The sentences on one shortcut: its gradient at layer 1, its main output's training,
    and whether its benefit showed."""
    per = numbers["per_kind"]
    base = numbers.get("baseline", BASELINE)[kind]
    v, b = per[kind], per[base]
    factors, reaches = _reaches(numbers, kind)
    improves = _improves(numbers, kind)
    text = _seeds.spread_text
    parts = [_("{name} against the {baseline} net: the first layer's gradient at "
               "initialisation is {grad} against {base_grad}, {factor} times. At least GREW "
               "times: {where}.").format(
        name=_name(kind), baseline=_kind(base), grad=text(v["first_layer_grad"], ".2g"),
        base_grad=text(b["first_layer_grad"], ".2g"),
        factor=text(_seeds.spread(factors), ".2g"), where=_seeds.in_seeds(reaches)),
        _("Its main output ends at a training loss of {loss} against {base_loss} (train "
          "accuracy {accuracy} against {base_accuracy}). Learned and at most LOSS_RATIO times "
          "the {baseline} net's loss: {where}.").format(
        loss=text(v["final_main_loss"]), base_loss=text(b["final_main_loss"]),
        accuracy=text(v["train_accuracy"], ".1%"),
        base_accuracy=text(b["train_accuracy"], ".1%"), baseline=_kind(base),
        where=_seeds.in_seeds(improves))]
    showed = [r and i for r, i in zip(reaches, improves)]
    if _seeds.holds(showed):
        parts.append(_("{name}'s benefit showed {where}: a gradient at layer 1 at least GREW "
                       "times its baseline's and a main output that trained better.").format(
            name=_name(kind), where=_seeds.in_seeds(showed)))
    else:
        parts.append(_("{name}'s benefit did not show. Both a gradient at layer 1 at least "
                       "GREW times its baseline's and a main output that trained better: "
                       "{where}.").format(name=_name(kind), where=_seeds.in_seeds(showed)))
    matching = _matching(numbers, kind)
    return parts + ([matching] if matching else [])


def _heads(numbers: dict) -> str | None:
    """Deep supervision's auxiliary heads: their final losses and which learned."""
    v = numbers["per_kind"]["deep supervision"]
    layers = numbers["head_after_layers"]
    per_seed = v.get("aux_loss_per_seed") or []
    if not per_seed or not all(heads and all(heads) for heads in per_seed):
        return None
    prior = numbers["prior_loss"]
    share = _seeds.threshold(numbers, "HEAD_LEARNED", HEAD_LEARNED)
    # [head][seed]: the head's final loss, NaN where the training diverged
    finals = [[math.nan if d else heads[j][-1] for heads, d in
               zip(per_seed, v["diverged_per_seed"])] for j in range(len(layers))]
    learned = [k for k, f in zip(layers, finals) if _seeds.holds(x < share * prior for x in f)]
    heads = ", ".join(_("after layer {layer} {loss}").format(
        layer=k, loss=_seeds.spread_text(_seeds.spread(f))) for k, f in zip(layers, finals))
    verdict = (_("the heads after layer {layers} learned in every seed (below HEAD_LEARNED "
                 "times the {prior:.3g} of predicting the class frequencies)") if learned else
               _("none learned in every seed (below HEAD_LEARNED times the {prior:.3g} of "
                 "predicting the class frequencies)")).format(
        layers=", ".join(map(str, learned)), prior=prior)
    return _("Deep supervision's auxiliary heads end at {heads}: {verdict}.").format(
        heads=heads, verdict=verdict)


def conclude(numbers: dict) -> str:
    per = numbers["per_kind"]
    plain = per["plain"]
    parts = [_budget(numbers),
             _("Shortest path from the loss to the first layer's weight: plain "
               "{plain} steps, DenseNet {dense}, deep supervision {deep}.").format(
                 plain=plain["path_steps"], dense=per["dense"]["path_steps"],
                 deep=per["deep supervision"]["path_steps"])]
    for kind in BASELINE:
        parts += _shortcut(numbers, kind)
    moved = ", ".join(f"{_kind(k)} {_seeds.spread_text(v['first_layer_movement'], '.2g')}"
        for k, v in per.items())
    parts.append(_("In training, layer 1's weights moved by {moved} of their initial "
                   "size.").format(moved=moved))
    heads = _heads(numbers)
    if heads:
        parts.append(heads)
    diverged = [f"{_kind(k)} {_seeds.in_seeds(v['diverged_per_seed'])}"
                for k, v in per.items() if any(v["diverged_per_seed"])]
    if diverged:
        parts.append(_("Diverged (the loss became NaN or infinite; those seeds' final "
                       "numbers are NaN): {kinds}.").format(kinds=", ".join(diverged)))
    stuck = [f"{_kind(k)} {_seeds.in_seeds(flags)}"
             for k, v in per.items()
             for flags in [[not x for x in _learned(numbers, v)]] if any(flags)]
    if stuck:
        parts.append(_("The main output learned nothing beyond the majority class "
                       "({majority:.1%} train accuracy, within STUCK_MARGIN) or diverged: "
                       "{kinds}.").format(majority=numbers["majority_train_accuracy"],
                                          kinds=", ".join(stuck)))
    parts.append(_seeds.thresholds_text(numbers.get("thresholds", THRESHOLDS)))
    return " ".join(parts)


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per = n["per_kind"]
    colors = {k: f"C{i}" for i, k in enumerate(per)}
    figs = {}
    fig = plot_gradient_norms(
        {_("{kind} (layer 1: {gradient})").format(
            kind=_kind(k), gradient=_seeds.spread_text(v["first_layer_grad"], ".1e")):
         v["init_grad_norm_per_seed"][0] for k, v in per.items()},
        colors=list(colors.values()),
        title=_("gradient norm per layer at initialisation, {depth} hidden layers "
                "({activation})\nseed {seed} drawn fully, the other seeds faint").format(
            depth=n["depth"], activation=n["activation"], seed=n["seeds"][0]))
    for k, v in per.items():
        faint_curves(fig.axes[0], v["init_grad_norm_per_seed"][1:], colors[k], positive=True)
    for i, layer in enumerate(n["head_after_layers"]):
        fig.axes[0].axvline(layer, color=colors["deep supervision"], ls=":", lw=1,
                            label=_("auxiliary head after this layer") if i == 0 else None)
    fig.axes[0].legend(fontsize=8)
    figs["init-gradients"] = fig

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax_path, ax_grad = fig.subplots(1, 2)
    names = [_kind(k) for k in per]
    x = np.arange(len(names))
    steps = [v["path_steps"] or 0 for v in per.values()]
    bars = ax_path.bar(x, steps, color=list(colors.values()))
    ax_path.bar_label(bars, labels=[str(s) for s in steps])
    ax_path.set_ylabel(_("edges from the loss to layer 1's weight"))
    ax_path.set_title(_("shortest path in the autograd graph"))
    grads = [v["first_layer_grad"] for v in per.values()]
    mean = np.array([g["mean"] for g in grads], dtype=np.float64)
    low = np.array([g["min"] for g in grads], dtype=np.float64)
    high = np.array([g["max"] for g in grads], dtype=np.float64)
    bars = ax_grad.bar(x, mean, color=list(colors.values()),
                       yerr=np.vstack([mean - low, high - mean]), capsize=4)
    ax_grad.bar_label(bars, labels=[f"{m:.1e}" for m in mean])
    ax_grad.set_yscale("log")
    ax_grad.set_ylabel(_("‖∂L/∂W₁‖ (log scale)"))
    ax_grad.set_title(_("first layer's gradient at initialisation\n(mean and range over "
                        "{n} seeds)").format(n=len(n["seeds"])))
    for ax in (ax_path, ax_grad):
        ax.set_xticks(x, names)
        ax.grid(alpha=0.3, axis="y")
        ax.margins(y=0.15)
    figs["path"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    epochs = lambda c: np.arange(1, len(c) + 1)   # noqa: E731 -- x of a per-epoch curve
    for k, (kind, v) in enumerate(per.items()):
        curve = v["main_loss_per_seed"][0]
        ax.plot(epochs(curve), curve, lw=2, color=colors[kind], ls=("-", "--", "-.", "-")[k % 4],
                label=_("{kind}: final {loss}").format(
                    kind=_kind(kind), loss=_seeds.spread_text(v["final_main_loss"])))
        faint_curves(ax, v["main_loss_per_seed"][1:], colors[kind])
    aux = per["deep supervision"]["aux_loss_per_seed"][0]
    for j, (layer, losses) in enumerate(zip(n["head_after_layers"], aux)):
        ax.plot(epochs(losses), losses, lw=1.4, ls=":", color=colors["deep supervision"],
                marker=("o", "x", "+", "^")[j % 4], ms=4, markevery=max(len(losses) // 8, 1),
                alpha=max(0.5, 1 - 0.2 * j),
                label="  " + _("its auxiliary head after layer {layer}: {loss:.3g}").format(
                    layer=layer, loss=losses[-1]))
    loss_axes(ax, _("training loss per epoch (SGD, same seed and batches)\nseed {seed} drawn "
                    "fully, the other seeds faint").format(seed=n["seeds"][0]))
    figs["loss"] = fig
    return figs
