"""The vanishing gradient in the lectures' network -- and the forward signal that collapses
with it -- and the activations that fixed both.

The network: 10 Linear layers with a sigmoid after each (``layers`` = 10; the last sigmoid
is the output probability, computed inside the loss: binary cross-entropy with logits,
the same function without a saturated probability's rounding), width 32,
on the breast-cancer data (455 training, 114 test tumours, standardised). Backpropagation
multiplies one factor sigma' <= 1/4 per layer, so the gradient reaching layer 1 should be
orders of magnitude smaller than the one reaching layer 10, and layer 1 should hardly move.
The forward pass multiplies the same kind of factor into the *differences* between the
samples' outputs, layer after layer, so that layer 9's output hardly varies across the
tumours: then even the output layer, whose gradient is healthy, sees (nearly) the same
input for every tumour and cannot separate the classes. Both are measured side by side,
and the conclusion says which cause the numbers support.

The same network is built with tanh, ReLU and Leaky ReLU between the layers -- each with
its matching initialisation: Xavier-uniform for sigmoid and tanh, Kaiming-normal for the
ReLU family (``nn.mlp(init="auto")``); biases 0 -- and always the sigmoid output; and
as "sigmoid+skip", the sigmoid network with residual connections H(x) = F(x) + x. The
budget is the same for every variant: the same parameter count, ``cr.manual_seed(seed)``,
the same mini-batches, plain SGD at the same lr for the same number of steps. All of it is
repeated for ``seeds`` seeds (seed, seed + 1, ...; 3 by default).

Measured per activation and seed (lists ``*_per_seed``; the unsuffixed value is the mean
over the seeds, ``*_spread`` its mean, min and max):

- ``init_grad_norm``: ||dL/dW|| per layer at initialisation, on the whole training set;
  ``init_ratio`` = layer 1 / layer 10 (the lectures' first-to-last ratio);
- ``init_forward_spread_per_layer``: the forward signal at initialisation, the standard
  deviation across the training samples of each layer's output (after its activation;
  layer 10's logit), averaged over the units; ``init_forward_ratio`` = the last hidden
  layer's (9) over layer 1's; the same after training (``trained_forward_*``);
- ``train_grad_norm``: the per-layer gradient norm averaged over every training step
  (``cr.inspect.GradientFlow``), and ``train_ratio`` likewise;
- ``weight_movement``: ||W_after - W_init|| / ||W_init|| per layer after all the steps;
- ``train_loss`` per epoch, final train and test accuracy (the majority class's share is
  reported as the accuracy of a network that learned nothing).

Thresholds (module constants, recorded in ``numbers["thresholds"]`` and printed): the
gradient vanished where ``init_ratio`` < VANISHED = 1e-2, the forward signal collapsed
where ``init_forward_ratio`` < COLLAPSED = 1e-2, a network learned where its train
accuracy exceeds the majority class's share by more than LEARNED = 0.02. A claim is made
when it holds in every seed; otherwise the conclusion says in how many seeds it held.

Default run (4 activations x 3 seeds x 750 SGD steps): 9 s on 2 cores alone (20-30 s while
other jobs ran); the tiny run (``TINY``: width 8, 2 epochs, 2 seeds) about 2 s.
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..data.datasets import breast_cancer
from ..inspect.gradient_flow import GradientFlow
from ..inspect.plots import (ACTIVATION_COLOURS, faint_curves, figure_class, loss_axes,
                             plot_gradient_norms)
from ..nn import functional as F
from ..nn.networks import mlp
from ..optim import SGD
from ..tensor import Tensor
from ..grad_mode import no_grad
from ..nn.layers import Linear
from . import seeds as _seeds
from .harness import parameter_count, recorded, train
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
    "forward-spread": N_(
        "The forward signal: how much each layer's output varies across the training "
        "samples (its standard deviation, mean over the units), at initialisation (solid) and "
        "after training (dashed), for each activation (layer 1 = input side; log scale)."),
    "loss": N_(
        "The training loss per epoch for each activation: the same data, seeds and SGD "
        "steps (the first seed drawn fully, the other seeds faint)."),
}
TINY = {"epochs": 2, "width": 8, "seeds": 2}

VANISHED = 1e-2      # first/last gradient ratio below which we call the gradient vanished
COLLAPSED = 1e-2     # last hidden/first layer forward spread below which the signal collapsed
LEARNED = 0.02       # train accuracy above the majority class's share by more: it learned
THRESHOLDS = {"VANISHED": VANISHED, "COLLAPSED": COLLAPSED, "LEARNED": LEARNED}
LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
          "sigmoid+skip": N_("sigmoid + skip connections")}   # _label translates them
REMEDIES = ("tanh", "relu", "leaky_relu", "sigmoid+skip")
LOSS = F.binary_cross_entropy_with_logits

# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"seeds": "[1, inf)", "layers": "[2, inf)", "width": "[1, inf)", "epochs": "[1, inf)",
          "batch_size": "[1, inf)", "lr": "(0, inf)", "activations": tuple(LABELS)}
# What a sweep (cr.lab.sweep) plots, and the conclusion it draws over the swept depths.
SWEEP = {
    "numbers": ("per_activation.sigmoid.init_ratio", "per_activation.relu.init_ratio",
                "per_activation.sigmoid.init_forward_ratio",
                "per_activation.sigmoid.train_accuracy"),
    "thresholds": tuple(
        {"number": f"per_activation.{act}.init_ratio", "below": 1e-3, "over": "layers",
         "what": f"the {LABELS[act]} network's first/last gradient ratio at initialisation"}
        for act in ("sigmoid", "relu")) + (
        {"number": "per_activation.sigmoid.init_forward_ratio", "below": 1e-3,
         "over": "layers", "what": "the sigmoid network's last hidden/first layer forward "
                                   "spread at initialisation"},),
}


def build(activation: str, layers: int, width: int, in_features: int = 30):
    """``layers`` Linear layers, each followed by the activation except the last, whose
    sigmoid (the output probability) is computed inside the loss, binary cross-entropy with
    logits: the same function, without the rounding of a saturated probability.
    "sigmoid+skip" is the sigmoid network with hidden layers 2.. wrapped as residual
    blocks, H(x) = F(x) + x."""
    act, skip = activation.removesuffix("+skip"), activation.endswith("+skip")
    return mlp(in_features, 1, depth=layers - 1, width=width, activation=act, skip=skip)


def forward_spread(model, X: np.ndarray) -> list[float]:
    """How much each layer's output varies across the samples X: per layer (1 = input side),
    the standard deviation over the rows of its output (after its activation; the last
    layer's logit), averaged over the units. A network whose deep layers give every sample
    the same output has lost what tells the samples apart before the output layer.

    >>> forward_spread(build("relu", 3, 4), X)           # doctest: +SKIP
    [0.79, 0.64, 0.77]
    """
    out, a = [], Tensor(X)
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        for module in model:
            a = module(a)
            if not isinstance(module, Linear):       # an activation or a residual block
                out.append(_std(a.data))
        out.append(_std(a.data))
    return out


def _std(values: np.ndarray) -> float:
    return float(np.mean(np.std(values.astype(np.float64), axis=0)))


def _one(act: str, seed: int, data: tuple, *, layers: int, width: int, epochs: int,
         batch_size: int, lr: float, progress: bool) -> dict:
    """One activation, one seed: the measurements of the module's docstring."""
    X_train, X_test, t_train, t_test = data
    _random.manual_seed(seed)
    model = build(act, layers, width, X_train.shape[1])
    flow = GradientFlow(model, track_dead=False)
    weights = [layer.weight for _, layer in flow.layers]
    init_forward = forward_spread(model, X_train)
    LOSS(model(Tensor(X_train)), t_train).backward()
    flow.record(step=0)
    model.zero_grad()
    initial = [w.data.astype(np.float64).copy() for w in weights]
    trained = train(model, LOSS, SGD(model.parameters(), lr=lr), (X_train, t_train),
                    epochs, batch_size=batch_size, seed=seed, test=(X_test, t_test),
                    callbacks=[flow], progress=progress)
    with np.errstate(over="ignore", invalid="ignore"):     # a diverged run's weights
        moved = [float(np.linalg.norm(w.data - w0) / np.linalg.norm(w0))
                 for w, w0 in zip(weights, initial)]
    after = ([math.nan] * layers if trained.diverged else forward_spread(model, X_train))
    norms = flow.grad_norms
    init, during = norms[0], norms[1:].mean(axis=0) if len(norms) > 1 else norms[0]
    curve = trained.curve + [math.nan] * (epochs - len(trained.curve))   # NaN once diverged
    return {"init_grad_norm": init.tolist(), "init_ratio": _ratio(init[0], init[-1]),
            "init_forward": init_forward,
            "init_forward_ratio": _forward_ratio(init_forward),
            "trained_forward": after, "trained_forward_ratio": _forward_ratio(after),
            "train_grad_norm": during.tolist(), "train_ratio": _ratio(during[0], during[-1]),
            "weight_movement": moved, "movement_ratio": _ratio(moved[0], moved[-1]),
            "train_loss": curve, "train_accuracy": trained.train_accuracy,
            "test_accuracy": trained.test_accuracy, "diverged": trained.diverged,
            "steps": trained.history.steps, "layer_names": flow.layer_names,
            "parameters": parameter_count(model)}


def _forward_ratio(spread: list) -> float:
    """The last hidden layer's forward spread over the first's (layer L-1 / layer 1); None
    with fewer than two hidden layers, where there is nothing to compare (NaN after a
    diverged training)."""
    return _ratio(spread[-2], spread[0]) if len(spread) > 2 else None


def _mean_lists(lists: list) -> list:
    """Entry by entry, the mean over the seeds' lists (NaN where a seed has NaN)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.mean(np.asarray(lists, dtype=np.float64), axis=0).tolist()


def _summary(runs: list) -> dict:
    """One activation's seeds: per-layer lists as their mean over seeds (and per seed),
    single measurements as the mean, the per-seed list and the spread."""
    out = {}
    for key, name in (("init_grad_norm", "init_grad_norm"), ("train_grad_norm", "train_grad_norm"),
                      ("weight_movement", "weight_movement"), ("train_loss", "train_loss"),
                      ("init_forward", "init_forward_spread"),
                      ("trained_forward", "trained_forward_spread")):
        per_seed = [r[key] for r in runs]
        shown = name + "_per_layer" if key.endswith("forward") else name
        out[shown] = _mean_lists(per_seed)
        out[name + "_per_seed"] = per_seed
    for key in ("init_ratio", "init_forward_ratio", "trained_forward_ratio", "train_ratio",
                "movement_ratio", "train_accuracy", "test_accuracy"):
        values = [r[key] for r in runs]
        spread = _seeds.spread(values)
        out[key] = spread["mean"]
        out[key + "_per_seed"] = values
        out[key + "_spread"] = spread
    first = [r["weight_movement"][0] for r in runs]
    out["first_layer_movement_per_seed"] = first
    out["first_layer_movement_spread"] = _seeds.spread(first)
    out["diverged_per_seed"] = [r["diverged"] for r in runs]
    out["diverged"] = any(out["diverged_per_seed"])
    return out


@recorded
def run(*, seed: int = 0, seeds: int = _seeds.DEFAULT_SEEDS, layers: int = 10,
        width: int = 32, epochs: int = 50, batch_size: int = 32, lr: float = 0.1,
        activations: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu"),
        progress: bool = False) -> Result:
    """Train the ``layers``-layer network once per activation and seed (SGD, lr,
    mini-batches of batch_size, ``epochs`` epochs) and measure the gradient, the forward
    signal's spread and the weight movement per layer."""
    if layers < 2:
        raise ValueError(f"vanishing: layers must be >= 2 (a first and a last), got {layers}")
    unknown = [a for a in activations if a not in LABELS]
    if not activations or unknown:
        raise ValueError(f"vanishing: activations must be a non-empty selection of "
                         f"{', '.join(LABELS)}; got {list(activations)}")
    seed_list = _seeds.seed_list(seed, seeds)
    X_train, X_test, y_train, y_test = breast_cancer(split=True)
    t_train = y_train.astype(np.float32).reshape(-1, 1)
    t_test = y_test.astype(np.float32).reshape(-1, 1)
    data = (X_train, X_test, t_train, t_test)
    per, last = {}, None
    for act in activations:
        runs = [_one(act, s, data, layers=layers, width=width, epochs=epochs,
                     batch_size=batch_size, lr=lr, progress=progress) for s in seed_list]
        per[act], last = _summary(runs), runs[-1]
    numbers = {"seeds": seed_list, "activations": list(activations),
               "layer_names": last["layer_names"], "width": width, "epochs": epochs,
               "batch_size": batch_size, "steps": epochs * -(-len(X_train) // batch_size),
               "parameters": last["parameters"],
               "majority_train_accuracy": float(max(t_train.mean(), 1 - t_train.mean())),
               "majority_test_accuracy": float(max(t_test.mean(), 1 - t_test.mean())),
               "lr": lr, "thresholds": dict(THRESHOLDS), "per_activation": per}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def _flags(values: list, below: float) -> list[bool]:
    return [v is not None and v < below for v in values]   # NaN, None (no ratio): not below


def _listed(per: dict, key: str, spec: str = ".2g") -> str:
    """'1.4e-05 (1.1e-05-1.9e-05) with sigmoid, 1.2 with tanh': a spread per activation."""
    return ", ".join(_("{value} with {activation}").format(
        value=_seeds.spread_text(v[key + "_spread"], spec), activation=_label(a))
        for a, v in per.items())


def conclude(numbers: dict) -> str:
    per = numbers["per_activation"]
    if not per:
        return _("No activation was run, so there is nothing to conclude.")
    th = _seeds.thresholds(numbers, THRESHOLDS)
    vanished_at, collapsed_at = th["VANISHED"], th["COLLAPSED"]
    label, n_layers = _label, len(numbers["layer_names"])
    seed_list = numbers["seeds"]
    parts = [_budget_sentence(numbers)]
    parts.append(_("At initialisation the first layer's gradient norm is {ratios}, as a "
                   "fraction of layer {layers}'s.").format(ratios=_listed(per, "init_ratio"),
                                                           layers=n_layers))
    if n_layers > 2:
        spreads = ", ".join(_("{value} with {activation}").format(
            value=_seeds.spread_text(_seeds.spread(
                [f[-2] for f in v["init_forward_spread_per_seed"]]), ".2g"),
            activation=label(a)) for a, v in per.items())
        parts.append(_("The forward signal: at initialisation layer {last}'s output varies "
                       "across the training samples (standard deviation, mean over its units) "
                       "by {spreads}; as a fraction of layer 1's variation that is "
                       "{ratios}.").format(
            last=n_layers - 1, spreads=spreads, ratios=_listed(per, "init_forward_ratio")))
    vanished = {a: _flags(v["init_ratio_per_seed"], vanished_at) for a, v in per.items()}
    collapsed = {a: _flags(v["init_forward_ratio_per_seed"], collapsed_at)
                 for a, v in per.items()}
    if "sigmoid" in per:
        parts += _sigmoid_sentences(vanished["sigmoid"], collapsed["sigmoid"], th, n_layers)
    parts += _remedy_sentences(per, vanished, collapsed, th, forward=n_layers > 2)
    parts.append(_("Averaged over training the gradient ratio is {ratios}.").format(
        ratios=_listed(per, "train_ratio")))
    moved = ", ".join(f"{_seeds.spread_text(v['first_layer_movement_spread'], '.2g')} "
                      f"({label(a)})" for a, v in per.items())
    parts.append(_("After {steps} SGD steps layer 1's weights moved by {moved} of "
                   "their initial size.").format(steps=numbers["steps"], moved=moved))
    diverged = {a: v["diverged_per_seed"] for a, v in per.items() if v.get("diverged")}
    if diverged:
        parts.append(_("Training diverged with {activations} in {k} of their {n} runs: the "
                       "loss became NaN or infinite at lr = {lr}, so those runs' training "
                       "numbers say nothing about the gradient; a smaller learning rate "
                       "usually helps.").format(
            activations=_join([label(a) for a in diverged]),
            k=sum(map(sum, diverged.values())), n=len(seed_list) * len(diverged),
            lr=numbers.get("lr", _("this rate"))))
    parts += _learning_sentences(numbers, per, vanished, collapsed, th)
    parts.append(_seeds.thresholds_text(th))
    return " ".join(parts)


def _budget_sentence(numbers: dict) -> str:
    seed_list = numbers["seeds"]
    over = (_("mean (range) over seeds {first}–{last}").format(first=seed_list[0],
                                                               last=seed_list[-1])
            if len(seed_list) > 1 else _("seed {first}").format(first=seed_list[0]))
    return _("Every network has {layers} Linear layers of width {width} ({parameters} "
             "parameters) and gets the same budget: {steps} SGD steps ({epochs} epochs, "
             "batches of {batch_size}, lr {lr:g}) from the same initialisation seed. Numbers: "
             "{over}.").format(
        layers=len(numbers["layer_names"]), width=numbers["width"],
        parameters=numbers["parameters"], steps=numbers["steps"], epochs=numbers["epochs"],
        batch_size=numbers["batch_size"], lr=numbers["lr"], over=over)


def _sigmoid_sentences(vanished: list, collapsed: list, th: dict, n_layers: int) -> list:
    parts = []
    if any(vanished):
        parts.append(_("The vanishing gradient shows with sigmoid {where} (the gradient ratio "
                       "is below VANISHED = {bound:g}).").format(
            where=_seeds.in_seeds(vanished), bound=th["VANISHED"]))
    else:
        parts.append(_("The vanishing gradient did not show with sigmoid (the ratio is not "
                       "below {bound:g} in any seed).").format(bound=th["VANISHED"]))
    if n_layers <= 2:
        return parts                # no hidden layer past the first: no forward ratio
    if any(collapsed):
        parts.append(_("The forward signal collapses with sigmoid {where} (layer {last}'s "
                       "variation is below COLLAPSED = {bound:g} of layer 1's).").format(
            where=_seeds.in_seeds(collapsed), last=n_layers - 1, bound=th["COLLAPSED"]))
    else:
        parts.append(_("The forward collapse did not show with sigmoid (the forward ratio is "
                       "not below {bound:g} in any seed).").format(bound=th["COLLAPSED"]))
    return parts


def _remedy_sentences(per: dict, vanished: dict, collapsed: dict, th: dict,
                      forward: bool) -> list:
    """The remedies' verdicts; ``forward``: the network has a forward ratio (3+ layers)."""
    fixes = [a for a in REMEDIES if a in per]
    parts = []
    if not forward:
        ok = [_label(a) for a in fixes if not any(vanished[a])]
        if ok:
            parts.append(_("With {remedies} the gradient does not vanish in any seed (the "
                           "ratio stays at or above {vanished:g}).").format(
                remedies=_join(ok), vanished=th["VANISHED"]))
        for a in fixes:
            if any(vanished[a]):
                parts.append(_("With {activation} the gradient ratio fell below {vanished:g} "
                               "in {gk} of {n} seeds: that remedy did not show.").format(
                    activation=_label(a), vanished=th["VANISHED"], gk=sum(vanished[a]),
                    n=len(vanished[a])))
        return parts
    ok = [_label(a) for a in fixes if not any(vanished[a]) and not any(collapsed[a])]
    if ok:
        parts.append(_("With {remedies} neither happens in any seed: the gradient ratio stays "
                       "at or above {vanished:g} and the forward ratio at or above "
                       "{collapsed:g}.").format(remedies=_join(ok), vanished=th["VANISHED"],
                                                collapsed=th["COLLAPSED"]))
    for a in fixes:
        if any(vanished[a]) or any(collapsed[a]):
            parts.append(_("With {activation} the gradient ratio fell below {vanished:g} in "
                           "{gk} of {n} seeds and the forward ratio below {collapsed:g} in "
                           "{fk} of {n}: that remedy did not show.").format(
                activation=_label(a), vanished=th["VANISHED"], gk=sum(vanished[a]),
                n=len(vanished[a]), collapsed=th["COLLAPSED"], fk=sum(collapsed[a])))
    return parts


def _learning_sentences(numbers: dict, per: dict, vanished: dict, collapsed: dict,
                        th: dict) -> list:
    majority = numbers["majority_train_accuracy"]
    bar = majority + th["LEARNED"]
    learned = {a: [not d and acc > bar for acc, d in zip(v["train_accuracy_per_seed"],
                                                       v["diverged_per_seed"])]
               for a, v in per.items()}
    stuck = {a: [not d and acc <= bar for acc, d in zip(v["train_accuracy_per_seed"],
                                                      v["diverged_per_seed"])]
             for a, v in per.items()}
    parts = []
    good = [a for a in per if _seeds.holds(learned[a])]
    if good:
        parts.append(_("Train/test accuracy: {accuracies}.").format(accuracies=", ".join(
            f"{_label(a)} {_seeds.spread_text(per[a]['train_accuracy_spread'], '.1%')}/"
            f"{_seeds.spread_text(per[a]['test_accuracy_spread'], '.1%')}" for a in good)))
    bad = [_label(a) for a in per if _seeds.holds(stuck[a])]
    if bad:
        sentence = (_("The {activations} networks did not learn beyond predicting the majority "
                      "class ({majority:.1%} of the training set) in any seed.") if len(bad) > 1
                    else _("The {activations} network did not learn beyond predicting the "
                           "majority class ({majority:.1%} of the training set) in any "
                           "seed."))
        parts.append(sentence.format(activations=_join(bad), majority=majority))
    for a in per:
        if a not in good and _label(a) not in bad and any(learned[a]):
            parts.append(_("The {activation} network learned beyond the majority class only "
                           "{where} (train accuracy {accuracy}).").format(
                activation=_label(a), where=_seeds.in_seeds(learned[a]),
                accuracy=_seeds.spread_text(per[a]["train_accuracy_spread"], ".1%")))
    if "sigmoid" in per:
        parts.append(_cause_sentence(numbers, per["sigmoid"], vanished["sigmoid"],
                                     collapsed["sigmoid"], learned["sigmoid"],
                                     stuck["sigmoid"]))
    return [p for p in parts if p]


def _cause_sentence(numbers: dict, v: dict, vanished: list, collapsed: list, learned: list,
                    stuck: list) -> str:
    """Which cause the sigmoid network's numbers support, if it did not learn."""
    n_layers = len(numbers["layer_names"])
    gradient, forward = _seeds.holds(vanished), n_layers > 2 and _seeds.holds(collapsed)
    if _seeds.holds(learned) and (any(vanished) or any(collapsed)):
        return _("Even so, the sigmoid network learned (train accuracy {accuracy}): "
                 "neither the vanishing gradient nor the forward collapse stopped its training "
                 "here.").format(accuracy=_seeds.spread_text(v["train_accuracy_spread"], ".1%"))
    if not _seeds.holds(stuck):
        return ""
    trained = _seeds.spread_text(v["trained_forward_ratio_spread"], ".2g")
    if gradient and forward:
        return _("Why the sigmoid network did not learn: the numbers support both causes, not "
                 "the gradient alone. Layer 1 hardly gets a gradient, and the forward signal "
                 "has collapsed: layer {last}'s output hardly varies from one tumour to the "
                 "next (after training: {trained} of layer 1's variation), so even the "
                 "output layer, whose gradient has passed no σ′ factor, sees almost the same "
                 "input for every tumour and cannot separate the classes. Both come from the same "
                 "factor per layer, σ′ ≤ 1/4 times a weight: backward it shrinks the "
                 "gradient, forward the differences between samples.").format(
            last=n_layers - 1, trained=trained)
    if gradient and n_layers <= 2:
        return _("Why the sigmoid network did not learn: the numbers point to the vanishing "
                 "gradient (with {layers} layers there is no forward signal to compare).").format(
            layers=n_layers)
    if gradient:
        return _("Why the sigmoid network did not learn: the numbers point to the vanishing "
                 "gradient; the forward signal did not collapse in every seed (layer "
                 "{last}'s variation is {ratio} of layer 1's).").format(
            last=n_layers - 1, ratio=_seeds.spread_text(v["init_forward_ratio_spread"], ".2g"))
    if forward:
        return _("Why the sigmoid network did not learn: the numbers point to the forward "
                 "collapse, not the gradient, which did not vanish in every seed; layer "
                 "{last}'s output hardly varies across the tumours (after training "
                 "{trained} of layer 1's variation), so the output layer cannot separate "
                 "the classes.").format(last=n_layers - 1, trained=trained)
    return _("Neither the vanishing gradient nor the forward collapse showed in every seed, so "
             "these numbers do not say why the sigmoid network did not learn.")


def _label(activation: str) -> str:
    """The activation's name in the legend and the conclusion (in this run's language)."""
    return _(LABELS[activation]) if activation in LABELS else activation


def _join(names: list) -> str:
    """"a", "a and b", "a, b and c" (in this run's language)."""
    if len(names) == 1:
        return names[0]
    return _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def _band(ax, per_seed: list, color) -> None:
    """The seeds' range per layer as a faint band (nothing to draw for one seed)."""
    values = np.asarray(per_seed, dtype=np.float64)
    if values.shape[0] < 2 or not np.all(np.isfinite(values)) or not np.all(values > 0):
        return
    x = np.arange(1, values.shape[1] + 1)
    ax.fill_between(x, values.min(axis=0), values.max(axis=0), color=color, alpha=0.15, lw=0)


def _over(n: dict) -> str:
    k = len(n["seeds"])
    return (_("mean of {seeds} seeds, band: their range").format(seeds=k) if k > 1 else
            _("seed {seed}").format(seed=n["seeds"][0]))


def plot(result: Result) -> dict:
    Figure = figure_class()
    n = result.numbers
    per = n["per_activation"]
    label = _label
    colours = [ACTIVATION_COLOURS.get(a, "0.3") for a in per]
    layers = len(n["layer_names"])
    figs = {}
    fig = plot_gradient_norms(
        {_("{activation} (first/last = {ratio:.1e})").format(
            activation=label(a), ratio=v["init_ratio"]): v["init_grad_norm"]
         for a, v in per.items()}, colors=colours,
        title=_("gradient norm per layer at initialisation, {layers} Linear layers\n"
                "({over})").format(layers=layers, over=_over(n)))
    for v, colour in zip(per.values(), colours):
        _band(fig.axes[0], v["init_grad_norm_per_seed"], colour)
    figs["init-gradients"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    plot_gradient_norms(
        {(_("{activation} (layer {last} / layer 1 = {ratio:.1e})").format(
            activation=label(a), last=layers - 1, ratio=v["init_forward_ratio"])
          if v["init_forward_ratio"] is not None else label(a)):
         v["init_forward_spread_per_layer"] for a, v in per.items()}, ax=ax, colors=colours,
        ylabel=_("std of the layer's output across samples (log scale)"),
        title=_("the forward signal per layer: at initialisation (solid), after training "
                "(dashed)\n({over})").format(over=_over(n)))
    for v, colour in zip(per.values(), colours):
        _band(ax, v["init_forward_spread_per_seed"], colour)
        after = np.asarray(v["trained_forward_spread_per_layer"], dtype=np.float64)
        if np.any(np.isfinite(after) & (after > 0)):
            ax.plot(np.arange(1, after.size + 1), np.where(after > 0, after, np.nan),
                    color=colour, lw=1.2, ls="--", alpha=0.8)
    figs["forward-spread"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    plot_gradient_norms({label(a): v["weight_movement"] for a, v in per.items()}, ax=ax,
                        colors=colours,
                        ylabel=_("‖W_after − W_init‖ / ‖W_init‖ (log scale)"),
                        title=_("how far each layer's weights moved in {steps} SGD "
                                "steps").format(steps=n["steps"]))
    for v, colour in zip(per.values(), colours):
        _band(ax, v["weight_movement_per_seed"], colour)
    figs["weight-movement"] = fig

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.subplots()
    for a, v in per.items():
        colour = ACTIVATION_COLOURS.get(a, "0.3")
        curves = v["train_loss_per_seed"]
        faint_curves(ax, curves[1:], colour, lw=1)                 # the other seeds
        first = curves[0]
        ax.plot(np.arange(1, len(first) + 1), first, lw=2, color=colour,
                label=_("{activation}: train {train}, test {test}").format(
                    activation=label(a),
                    train=_seeds.spread_text(v["train_accuracy_spread"], ".0%"),
                    test=_seeds.spread_text(v["test_accuracy_spread"], ".0%")))
    loss_axes(ax, _("training loss per epoch, same data, seeds and SGD steps\n(seed {seed} "
                    "drawn fully, the other seeds faint)").format(seed=n["seeds"][0]))
    figs["loss"] = fig
    return figs
