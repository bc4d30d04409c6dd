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

Measured per depth, kind (plain, residual) and seed: ||dL/dW|| per Linear layer at
initialisation on the whole training set, the first layer's norm (the headline number), the
first over the last layer's norm and the largest layer norm, the loss at initialisation, the
training loss per epoch (SGD, mini-batches; a run whose loss becomes NaN/inf is recorded as
diverged, and a diverged run is reported as such, never as a success) and the final training
accuracy.

A healthy gradient is bounded both ways (thresholds in ``numbers["thresholds"]``, printed
with the conclusion): it has *vanished* when the first layer's norm is below VANISHED = 1e-3
times the last layer's, and *exploded* when some layer's norm is above EXPLODED = 100 (a
healthy network here has norms of about 0.1 to 20; with ReLU or Leaky ReLU every residual
layer adds a non-negative output to its input, the signal and its gradient double every
layer or two, and the residual net's norms reach 1e2 at depth 10, 1e4 at 20 and 1e11 at 50).
The skip connections "keep the gradient" at a depth only if, in every seed, the plain net's
gradient vanished and the residual net's stayed within both bounds. BETTER: the residual
final loss below BETTER times the plain one counts as training better; STUCK: a plain net
whose training accuracy is within STUCK of the majority class learned nothing.

Budget: both kinds train for ``epochs`` epochs of SGD at ``lr`` in batches of
``batch_size`` from the same seed (the residual branch adds no parameter, so the two have
the same parameter count at each depth, recorded in ``budget``). Seeds: 3 by default (seed,
seed + 1, seed + 2); numbers are mean (min-max) over the seeds. A default run takes about
20 s (2 shared cores).
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import faint_curves, figure_class, loss_axes, plot_gradient_norms
from ..nn import functional as F
from ..nn.networks import mlp
from ..optim import SGD
from ..tensor import Tensor
from . import seeds as _seeds
from .harness import parameter_count, recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "skip"
TITLE = N_("Plain versus residual MLPs, 10 to 50 layers deep: does the identity path keep "
           "the gradient?")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "init-gradients": N_(
        "The gradient norm per layer at initialisation, plain against residual (skip "
        "connections), one panel per depth (layer 1 = input side; log scale; the first "
        "seed bold, the others faint)."),
    "loss": N_(
        "The training loss per epoch, plain against residual, for each depth (the first "
        "seed bold, the others faint)."),
}
TINY = {"seeds": 2, "depths": (3, 12), "width": 8, "epochs": 2}

KINDS = ("plain", "residual")
VANISHED = 1e-3     # first / last layer gradient norm below which the gradient vanished
EXPLODED = 100.0    # a layer's gradient norm above which the gradient exploded
BETTER = 0.5        # residual final loss below BETTER x plain's counts as training better
STUCK = 0.02        # plain training accuracy within STUCK of the majority class: learned nothing
THRESHOLDS = {"VANISHED": VANISHED, "EXPLODED": EXPLODED, "BETTER": BETTER, "STUCK": STUCK}
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"seeds": "[1, inf)", "depths": "[2, inf)", "width": "[1, inf)",
          "activation": ("sigmoid", "tanh", "relu", "leaky_relu"),
          "epochs": "[1, inf)", "batch_size": "[1, inf)", "lr": "(0, inf)"}
_MEASURES = ("first_layer_grad", "last_layer_grad", "largest_grad", "grad_ratio", "init_loss",
             "final_loss", "train_accuracy")


def _ratio(first: float, last: float) -> float:
    """first / last, 0 when both are 0 (nothing arrives anywhere), inf when only last is."""
    if last == 0:
        return 0.0 if first == 0 else math.inf
    return first / last


def _one(depth: int, skip: bool, *, seed: int, width: int, activation: str, epochs: int,
         batch_size: int, lr: float, data, progress: bool) -> dict:
    X_train, t_train = data
    _random.manual_seed(seed)
    model = mlp(X_train.shape[1], 1, depth=depth, width=width, activation=activation,
                skip=skip)
    flow = GradientFlow(model, track_dead=False)
    # A residual ReLU net's signal can overflow at initialisation; the inf or NaN it gives
    # is the measurement (an exploded gradient), so NumPy's warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        init_loss = F.binary_cross_entropy_with_logits(model(Tensor(X_train)), t_train)
        init_loss.backward()
        flow.record()
    model.zero_grad()
    trained = train(model, F.binary_cross_entropy_with_logits, SGD(model.parameters(), lr=lr),
                    data, epochs, batch_size=batch_size, seed=seed, progress=progress)
    losses = trained.curve
    norms = [float(v) for v in flow.grad_norms[0]]
    return {"init_grad_norm": norms, "first_layer_grad": norms[0],
            "last_layer_grad": norms[-1], "largest_grad": max(norms, key=_nan_first),
            "grad_ratio": _ratio(norms[0], norms[-1]), "init_loss": float(init_loss.item()),
            "train_loss": losses, "diverged": trained.diverged,
            "final_loss": losses[-1] if losses and not trained.diverged else math.nan,
            "train_accuracy": trained.train_accuracy,
            "parameters": parameter_count(model)}


def _nan_first(v: float) -> float:
    # max() with this key returns a NaN norm if there is one: NaN is not "within bounds"
    return math.inf if math.isnan(v) else v


def _summary(runs: list) -> dict:
    """Per measurement its per-seed values and their spread, and the runs themselves."""
    out = {"runs": runs, "diverged": sum(r["diverged"] for r in runs),
           "diverged_per_seed": [r["diverged"] for r in runs]}
    for key in _MEASURES:
        out[f"{key}_per_seed"] = [r[key] for r in runs]
        out[key] = _seeds.spread(out[f"{key}_per_seed"])
    return out


@recorded
def run(*, seed: int = 0, seeds: int = 3, depths: tuple[int, ...] = (10, 20, 50),
        width: int = 32, activation: str = "sigmoid", epochs: int = 30, batch_size: int = 32,
        lr: float = 0.1, progress: bool = False) -> Result:
    """For each depth (hidden layers) and seed, a plain and a residual MLP from the same
    seed: gradient norms per layer at initialisation, then ``epochs`` epochs of SGD."""
    for depth in depths:
        if depth < 2:
            raise ValueError(f"skip: every depth must be >= 2 (a residual layer needs a hidden "
                             f"layer before it), got {depth}")
    seed_list = _seeds.seed_list(seed, seeds)
    X_train, _X_test, y_train, _y_test = breast_cancer(split=True)
    data = (X_train, y_train.astype(np.float32).reshape(-1, 1))
    per_depth = {}
    for depth in depths:
        per_depth[str(depth)] = {
            kind: _summary([{"seed": s, **_one(depth, kind == "residual", seed=s, width=width,
                                                activation=activation, epochs=epochs,
                                                batch_size=batch_size, lr=lr, data=data,
                                                progress=progress)}
                            for s in seed_list])
            for kind in KINDS}
    budget = {"epochs": epochs, "lr": lr, "batch_size": batch_size, "optimizer": "sgd",
              "parameters": {d: v["plain"]["runs"][0]["parameters"]
                             for d, v in per_depth.items()}}
    numbers = {"seeds": seed_list, "depths": list(depths), "activation": activation,
               "width": width, "budget": budget, "thresholds": dict(THRESHOLDS),
               "per_depth": per_depth,
               "majority_train_accuracy": float(max(data[1].mean(), 1 - data[1].mean()))}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _vanished(v: dict, th: dict) -> list:
    return [r < th["VANISHED"] for r in v["grad_ratio_per_seed"]]


def _exploded(v: dict, th: dict) -> list:
    return [not g <= th["EXPLODED"] for g in v["largest_grad_per_seed"]]   # NaN explodes too


def _healthy(v: dict, th: dict) -> list:
    return [not (a or b) for a, b in zip(_vanished(v, th), _exploded(v, th))]


def _by_where(per: dict, flags_of, shown_if_none: bool = False) -> list:
    """[(where, depths, holds)]: the depths grouped by 'in k of n seeds' of their flags
    (depths whose flags are all false left out unless shown_if_none)."""
    groups: dict = {}
    for d, v in per.items():
        flags = flags_of(v)
        if any(flags) or shown_if_none:
            key = (_seeds.in_seeds(flags), _seeds.holds(flags))
            groups.setdefault(key, []).append(d)
    return [(where, ", ".join(ds), holds) for (where, holds), ds in groups.items()]


def _budget(numbers: dict) -> str:
    b = numbers["budget"]
    params = "; ".join(_("depth {depth}: {count}").format(depth=d, count=n)
                       for d, n in b["parameters"].items())
    return _("Budget, the same for both kinds: {epochs} epochs of SGD at lr = {lr:g} in "
             "batches of {batch_size}, from the same initial weights and batches in each "
             "seed; the skip connections add no parameter ({parameters} parameters). Seeds "
             "{seeds}: means, with the range over the seeds in brackets.").format(
        epochs=b["epochs"], lr=b["lr"], batch_size=b["batch_size"], parameters=params,
        seeds=", ".join(map(str, numbers["seeds"])))


def _gradient_sentences(per: dict, th: dict) -> list:
    g = lambda v, k: _seeds.spread_text(v[k], ".2g")                     # noqa: E731
    out = [_("Gradient at initialisation, per depth: the first-layer norm, its ratio to the "
             "last layer's and the largest layer norm.")]
    out += [_("Depth {depth}: plain {plain}, ratio {plain_ratio}, largest {plain_largest}; "
              "residual {residual}, ratio {residual_ratio}, largest "
              "{residual_largest}.").format(
        depth=d, plain=g(v["plain"], "first_layer_grad"), plain_ratio=g(v["plain"], "grad_ratio"),
        plain_largest=g(v["plain"], "largest_grad"),
        residual=g(v["residual"], "first_layer_grad"),
        residual_ratio=g(v["residual"], "grad_ratio"),
        residual_largest=g(v["residual"], "largest_grad")) for d, v in per.items()]
    for where, depths, _h in _by_where(
            per, lambda v: [x == 0 for x in v["plain"]["first_layer_grad_per_seed"]]):
        out.append(_("At depth {depths} the plain network's first-layer gradient is "
                     "exactly 0 {where}: it underflowed.").format(depths=depths, where=where))
    messages = {
        ("plain", _vanished): N_("The plain network's gradient vanished at depth {depths} "
                                 "{where} (first layer below {vanished:g} times the last)."),
        ("plain", _exploded): N_("The plain network's gradient exploded at depth {depths} "
                                 "{where} (a layer's norm above {exploded:g})."),
        ("plain", _healthy): N_("The plain network's gradient stayed within both bounds at "
                                "depth {depths} {where}."),
        ("residual", _vanished): N_("The residual network's gradient vanished at depth "
                                    "{depths} {where} (first layer below {vanished:g} times "
                                    "the last)."),
        ("residual", _exploded): N_("The residual network's gradient exploded at depth "
                                    "{depths} {where} (a layer's norm above {exploded:g}): "
                                    "the identity path passes the gradient on, but the "
                                    "signal it adds up grows from layer to layer."),
        ("residual", _healthy): N_("The residual network's gradient stayed within both "
                                   "bounds at depth {depths} {where}."),
    }
    for (kind, verdict), message in messages.items():
        for where, depths, _h in _by_where(per, lambda v: verdict(v[kind], th)):
            out.append(_(message).format(depths=depths, where=where, vanished=th["VANISHED"],
                                         exploded=th["EXPLODED"]))
    kept = lambda v: [a and b for a, b in zip(_vanished(v["plain"], th),         # noqa: E731
                                              _healthy(v["residual"], th))]
    for where, depths, holds in _by_where(per, kept, shown_if_none=True):
        if holds:
            out.append(_("The skip connections keep the gradient at depth {depths} {where}: "
                         "the plain network's vanished, the residual network's stayed within "
                         "both bounds.").format(depths=depths, where=where))
        else:
            out.append(_("At depth {depths} the skip connections' effect on the gradient did "
                         "not show in every seed: the plain gradient vanished while the "
                         "residual one stayed within both bounds {where}.").format(
                depths=depths, where=where))
    return out


def _training_sentences(numbers: dict, th: dict) -> list:
    per = numbers["per_depth"]
    losses = "; ".join(_("depth {depth}: plain {plain}, residual {residual}").format(
        depth=d, plain=_loss(v["plain"]), residual=_loss(v["residual"])) for d, v in per.items())
    out = [_("Final training loss -- {losses}.").format(losses=losses)]
    for where, depths, _h in _by_where(per, lambda v: v["plain"]["diverged_per_seed"]):
        out.append(_("The plain network's training diverged (the loss became NaN or inf) at "
                     "depth {depths} {where}.").format(depths=depths, where=where))
    for where, depths, _h in _by_where(per, lambda v: v["residual"]["diverged_per_seed"]):
        out.append(_("The residual network's training diverged (the loss became NaN or inf) "
                     "at depth {depths} {where}: there it did not train at all.").format(
            depths=depths, where=where))

    def better(v):
        return [not r_div and (p_div or r < th["BETTER"] * p) for r, p, r_div, p_div in zip(
            v["residual"]["final_loss_per_seed"], v["plain"]["final_loss_per_seed"],
            v["residual"]["diverged_per_seed"], v["plain"]["diverged_per_seed"])]
    for where, depths, holds in _by_where(per, better, shown_if_none=True):
        if holds:
            out.append(_("The residual network trains to a far lower loss at depth {depths} "
                         "{where} (below {better:g} times the plain one's).").format(
                depths=depths, where=where, better=th["BETTER"]))
        else:
            out.append(_("At depth {depths} the training advantage did not show in every "
                         "seed (it showed {where}).").format(depths=depths, where=where))
    majority = numbers["majority_train_accuracy"]
    stuck = lambda v: [a <= majority + th["STUCK"]                               # noqa: E731
                       for a in v["plain"]["train_accuracy_per_seed"]]
    for where, depths, _h in _by_where(per, stuck):
        out.append(_("The plain network at depth {depths} learned nothing beyond the "
                     "majority class ({majority:.1%}) {where}.").format(
            depths=depths, majority=majority, where=where))
    return out


def conclude(numbers: dict) -> str:
    per = numbers["per_depth"]
    if not per:
        return _("No depth was run, so there is nothing to conclude.")
    th = _seeds.thresholds(numbers, THRESHOLDS)
    parts = [_budget(numbers), _("Activation: {activation}.").format(
        activation=numbers["activation"])]
    parts += _gradient_sentences(per, th)
    parts += _training_sentences(numbers, th)
    parts.append(_seeds.thresholds_text(th))
    return " ".join(parts)


def _loss(v: dict) -> str:
    return _seeds.spread_text(v["final_loss"], ".3g")


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
                                 kind=kinds[k], gradient=v[k]["runs"][0]["first_layer_grad"]):
                             v[k]["runs"][0]["init_grad_norm"] for k in KINDS}, ax=ax,
                            title=_("{depth} hidden layers + the output layer").format(depth=d))
        for k, kind in enumerate(KINDS):
            faint_curves(ax, [r["init_grad_norm"] for r in v[kind]["runs"][1:]], f"C{k}",
                         positive=True)
        ax.axhline(n["thresholds"]["EXPLODED"], color="0.5", lw=0.8, ls=":")
        ax.set_xlabel(_("Linear layer (1 = next to the input, {output} = the output)").format(
            output=int(d) + 1))
    fig.suptitle(_("gradient norm per layer at initialisation, plain vs residual "
                   "({activation})\nseed {seed} bold, the other seeds faint; dotted: "
                   "EXPLODED").format(activation=n["activation"], seed=n["seeds"][0]))
    figs["init-gradients"] = fig

    fig = Figure(figsize=(4.6 * cols, 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, cols, sharey=True))
    for ax, (d, v) in zip(axes, per.items()):
        for k, kind in enumerate(KINDS):
            first = v[kind]["runs"][0]
            losses = first["train_loss"]
            ax.plot(np.arange(1, len(losses) + 1), losses, lw=2, color=f"C{k}",
                    label=_("{kind}: diverged {where}").format(
                        kind=kinds[kind], where=_seeds.in_seeds(v[kind]["diverged_per_seed"]))
                    if v[kind]["diverged"] else
                    _("{kind}: {loss}").format(kind=kinds[kind], loss=_loss(v[kind])))
            faint_curves(ax, [r["train_loss"] for r in v[kind]["runs"][1:]], f"C{k}",
                         positive=True)
        loss_axes(ax, _("{depth} hidden layers + the output layer").format(depth=d),
                  ylabel=None, fontsize=8, title=_("final loss"), title_fontsize=8)
    axes[0].set_ylabel(_("training loss, BCE (log scale)"))
    fig.suptitle(_("training loss per epoch, plain vs residual ({activation}, SGD)\nseed "
                   "{seed} bold, the other seeds faint").format(
        activation=n["activation"], seed=n["seeds"][0]))
    figs["loss"] = fig
    return figs
