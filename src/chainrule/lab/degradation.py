"""The degradation problem (He et al., 2016) at MLP scale: deeper plain networks end with a
HIGHER training loss, residual networks of the same depth do not -- and in which setting.

Plain and residual ReLU MLPs (``nn.mlp(64, 10, depth, width, "relu", skip=...)``, Kaiming
init) of depth 20, 32, 44 and 56 hidden layers, width 32, are trained on digits (1437
training images, 8x8) with Adam (lr 1e-3, mini-batches of 64: 23 steps an epoch, 690 in
all) for 30 epochs, from 3 seeds (``seed``, ``seed + 1``, ``seed + 2``). Plain and residual
networks of one depth have the same parameters (a shortcut has none: 22,474 at depth 20 to
60,490 at depth 56; ``parameters``), start from the same weights and see the same batches.
The training loss is what matters: a deeper plain network can represent everything a
shallower one can (extra layers could be the identity), so a higher training loss is a
failure of optimisation, not overfitting.

The rule reads the trend over all depths, not only the two ends: in a seed, a kind of
network degrades when its deepest network's final training loss is over RISE times the
lowest loss of the shallower depths and more than MARGIN above it, so a fall from depth 2
to 8 followed by a clear rise to 20 counts. A network whose final loss is NaN or above
CHANCE (ln 10, a uniform guess) learnt nothing; a deepest network that learnt nothing
counts as higher when a shallower one learnt (near chance a ratio cannot reach RISE: with
BatchNorm, depth 56 ends at 2.43 against 1.24 at depth 20 in seed 1). The effect is
claimed only when it holds in every seed; otherwise the conclusion says in how many.

Two settings (``norm``), each with its own phenomenon:

* "none" (the default): no normalisation. The deep plain networks' curves are unstable:
  their epoch loss jumps up (by more than SPIKE relative and JUMP absolute) a few times per
  run. Residual branches are scaled at init: with Kaiming init and no normalisation every
  block x + relu(x W + b) roughly doubles the signal's second moment, so the untouched
  ``nn.mlp(..., skip=True)`` outputs logits with a standard deviation of ~1e4 at depth 20
  and ~1e13 at depth 56; its first epoch's loss is ~5e11 and still 1.7e8 after 30 epochs.
  Fixup and SkipInit scale or zero the residual branch at init; here (with
  ``scale_branches=True``) each residual block's weight is multiplied by 1/(number of
  residual blocks), so the blocks together add O(1) to the signal. "Skip connections
  remove the degradation" holds only with this scaling, and the conclusion says which was
  used; with ``--no-scale-branches`` the residual networks end above chance at every depth.
* "batch": ``nn.BatchNorm1d`` after each hidden Linear, before the ReLU, as in He et al.'s
  plain networks. Their curves are smooth and the deep ones fall slowly (depth 20: loss
  1.0 after 30 epochs against 0.02 at depth 4): the degradation He et al. describe.
  Scaling a residual block's Linear would be divided out by its BatchNorm, so with
  ``scale_branches`` the BatchNorm's weight (gamma) is scaled by 1/(number of blocks)
  instead, as zero-init-gamma ResNets do. The unscaled BatchNorm residual network does
  not blow up (each block adds O(1) to the variance: output std ~26 at depth 56) and
  trains about as well (depth 20, seeds 0-1: 0.014 unscaled, 0.010 scaled), so there the
  scaling is a choice, not a necessity. BatchNorm's ``sqrt`` has no replay form, so the
  harness's ``cr.compile`` falls back to the eager step for these networks (the same
  numbers; running statistics updated at every step, as a test checks), and BatchNorm's
  many small ops make a training about 15x slower than the replayed plain one.

The initial output scale of every network is recorded (``init_output_std_per_seed``), and
that of the deepest residual network without the branch scaling (at init only).

Thresholds (``numbers["thresholds"]``, printed in the conclusion): RISE = 2 and
MARGIN = 0.02 (degradation), SPIKE = 0.1 and JUMP = 0.05 (an unstable curve: an epoch's
mean loss more than 10% and more than 0.05 above the previous epoch's), CHANCE = ln 10.

Why digits and not MNIST-1D: in trial runs MNIST-1D needs far more than 30 epochs to fit
(training loss ~1.0-1.2 for every depth and kind after 20 epochs), so the depth trend is
buried; digits is fitted within the budget by the shallow nets and shows the trend.

Default run (8 networks x 3 seeds = 24 trainings): 41 s measured on 2 cores (80 s when the
machine was busier). ``--norm batch`` at the default depths is far slower: 792 s measured
(771 s of it in fit) on a busy 2-core machine; ``--depths 2 4 8 20 --norm batch`` took
129 s.
"""
from __future__ import annotations

import copy
import math
import warnings

import numpy as np

from .. import nn, optim
from ..data import datasets
from ..grad_mode import no_grad
from ..nn import functional as F
from ..random import manual_seed
from ..tensor import Tensor
from ..inspect.plots import figure_class
from . import seeds as S
from .harness import parameter_count, recorded, train
from .result import Result
from ..i18n import N_, _

NAME = "degradation"
TITLE = N_("The degradation problem: deeper plain networks train worse, residual networks "
         "do not")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "curves": N_(
        "The training loss of plain and residual networks of each depth, and their final "
        "training loss against depth."),
}
TINY = dict(seeds=2, depths=(3, 6), width=16, epochs=2, batch_size=256)

KINDS = ("plain", "residual")
NORMS = ("none", "batch")
RISE = 2.0          # "clearly higher": more than RISE times the best shallower loss ...
MARGIN = 0.02       # ... and more than MARGIN above it (losses near 0: ratios are noise)
SPIKE = 0.1         # an unstable curve: an epoch's loss over (1 + SPIKE) x the previous one
JUMP = 0.05         # ... and more than JUMP above it (near 0, Adam's noise alone is 10%)
CHANCE = math.log(10)   # a uniform guess over the 10 digits: a network above it learnt nothing
THRESHOLDS = {"RISE": RISE, "MARGIN": MARGIN, "SPIKE": SPIKE, "JUMP": JUMP, "CHANCE": CHANCE}
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"seeds": "[1, inf)", "depths": "[2, inf)", "width": "[1, inf)",
          "epochs": "[1, inf)", "batch_size": "[1, inf)", "lr": "(0, inf)", "norm": NORMS}


# ------------------------------------------------------------------------ networks
def _check_norm(norm) -> None:
    if norm not in NORMS:
        raise ValueError(f"degradation: norm must be one of {', '.join(map(repr, NORMS))}, "
                         f"got {norm!r}")


def build(depth: int, width: int, residual: bool, scale_branches: bool,
          norm: str = "none") -> nn.Sequential:
    """The ReLU MLP for digits (BatchNorm1d after each hidden Linear if norm="batch"), its
    residual branches scaled by 1/blocks if asked: the Linear's weight without norm, the
    BatchNorm's weight with it (the normalisation would undo a scaled Linear).

    >>> build(3, 16, residual=True, scale_branches=True, norm="batch")[3]
    Residual(
      (block): Sequential(
        (0): Linear(in_features=16, out_features=16, bias=True)
        (1): BatchNorm1d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
        (2): ReLU()
      )
    )
    """
    _check_norm(norm)
    model = nn.mlp(64, 10, depth=depth, width=width, activation="relu", skip=residual)
    if norm == "batch":
        model = _with_batch_norm(model)
    blocks = [m for m in model.modules() if isinstance(m, nn.Residual)]
    scaled = nn.BatchNorm1d if norm == "batch" else nn.Linear
    if scale_branches and blocks:
        for block in blocks:
            for layer in block.block.modules():
                if isinstance(layer, scaled):
                    layer.weight.data *= np.float32(1.0 / len(blocks))
    return model


def _with_batch_norm(model: nn.Sequential) -> nn.Sequential:
    """model's own (already initialised) layers with a BatchNorm1d after every hidden
    Linear, inside the residual blocks too; the output Linear stays bare."""
    def normalised(layers: list) -> list:
        out = []
        for layer in layers:
            if isinstance(layer, nn.Residual):
                layer = nn.Residual(nn.Sequential(*normalised(list(layer.block))))
            out.append(layer)
            if isinstance(layer, nn.Linear):
                out.append(nn.BatchNorm1d(layer.out_features))
        return out
    layers = list(model)
    return nn.Sequential(*normalised(layers[:-1]), layers[-1])


def _output_std(model, X) -> float:
    """The spread of model's outputs on X, as training would see them: in train mode (a
    BatchNorm normalises with the batch's statistics), on a copy, so that the model's
    running statistics stay untouched."""
    model = copy.deepcopy(model).train()
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        return float(np.std(model(Tensor(X)).data.astype(np.float64)))


def spikes(curve: list, spike: float = SPIKE, jump: float = JUMP) -> int:
    """How many epochs ended with a mean loss over (1 + spike) times the previous epoch's
    and more than jump above it (a NaN epoch counts: the curve blew up).

    >>> spikes([2.0, 1.0, 1.5, 0.5, 0.52, 0.02, 0.03])
    1
    """
    return sum(1 for a, b in zip(curve, curve[1:])
               if math.isnan(b) or (not math.isnan(a) and b > (1 + spike) * a
                                    and b > a + jump))


# ------------------------------------------------------------------------ training
def _train_one(depth: int, kind: str, data: tuple, width: int, epochs: int, batch_size: int,
               lr: float, scale_branches: bool, norm: str, seed: int, progress: bool) -> dict:
    X_train, X_test, y_train, y_test = data
    manual_seed(seed)
    model = build(depth, width, kind == "residual", scale_branches, norm)
    init_std = _output_std(model, X_train)
    t = train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=lr),
              (X_train, y_train), epochs, batch_size=batch_size, seed=seed,
              test=(X_test, y_test), progress=progress)
    curve = t.curve + [float("nan")] * t.diverged
    return {"curve": curve, "final_train_loss": float(t.train_loss),
            "test_accuracy": float(t.test_accuracy), "diverged": t.diverged,
            "init_output_std": init_std, "seconds": t.seconds,
            "parameters": parameter_count(model)}


def _summary(per_seed: list) -> dict:
    """One depth and kind over the seeds: mean and range of the final training loss and
    test accuracy (NaN if a seed diverged), and every seed's own numbers."""
    finals = [r["final_train_loss"] for r in per_seed]
    accs = [r["test_accuracy"] for r in per_seed]
    return {"final_train_loss": S.spread(finals), "test_accuracy": S.spread(accs),
            "final_train_loss_per_seed": finals, "test_accuracy_per_seed": accs,
            "diverged_per_seed": [r["diverged"] for r in per_seed],
            "curves": [r["curve"] for r in per_seed],
            "init_output_std_per_seed": [r["init_output_std"] for r in per_seed],
            "seconds_per_seed": [r["seconds"] for r in per_seed]}


def _check(depths: tuple, norm: str, batch_size: int, n_train: int) -> None:
    if len(depths) < 2 or any(d < 2 for d in depths) or list(depths) != sorted(set(depths)):
        raise ValueError(f"degradation: depths must be at least two increasing ints >= 2 (a "
                         f"residual block needs a width-to-width layer), got {depths!r}")
    _check_norm(norm)
    last = n_train % batch_size if batch_size < n_train else n_train
    if norm == "batch" and (batch_size < 2 or last == 1):
        raise ValueError(f"degradation: norm='batch' needs every batch to hold at least 2 "
                         f"images (BatchNorm estimates a variance per batch), but batch_size "
                         f"{batch_size} leaves a batch of 1 of the {n_train} training images")


@recorded
def run(*, seed: int = 0, seeds: int = 3, depths: tuple[int, ...] = (20, 32, 44, 56),
        width: int = 32, epochs: int = 30, batch_size: int = 64, lr: float = 1e-3,
        scale_branches: bool = True, norm: str = "none", progress: bool = False) -> Result:
    """Train a plain and a residual network of each depth (BatchNorm after each hidden
    Linear if norm="batch"), from seeds seed, seed + 1, ..., and compare the final
    training losses across depths in every seed."""
    depths = tuple(int(d) for d in depths)
    data = datasets.digits(split=True)
    n_train = len(data[0])
    _check(depths, norm, batch_size, n_train)
    seed_list = S.seed_list(seed, seeds)
    runs, parameters = {}, {}
    for kind in KINDS:
        runs[kind], parameters[kind] = {}, {}
        for d in depths:
            per_seed = [_train_one(d, kind, data, width, epochs, batch_size, lr,
                                   scale_branches, norm, s, progress) for s in seed_list]
            runs[kind][str(d)] = _summary(per_seed)
            parameters[kind][str(d)] = per_seed[0]["parameters"]
    manual_seed(seed_list[0])
    unscaled = _output_std(build(depths[-1], width, True, False, norm), data[0])
    table = [{"kind": kind, "depth": d, "parameters": parameters[kind][str(d)],
              **{f"final_train_loss_{k}": v for k, v in
                 runs[kind][str(d)]["final_train_loss"].items()},
              "test_accuracy_mean": runs[kind][str(d)]["test_accuracy"]["mean"],
              "diverged_seeds": sum(runs[kind][str(d)]["diverged_per_seed"])}
             for kind in KINDS for d in depths]
    numbers = {"dataset": "digits", "depths": list(depths), "width": width, "epochs": epochs,
               "batch_size": batch_size, "lr": lr, "train_size": n_train,
               "steps": epochs * math.ceil(n_train / batch_size), "norm": norm,
               "scale_branches": scale_branches, "seeds": seed_list,
               "thresholds": dict(THRESHOLDS), "parameters": parameters,
               "unscaled_residual_init_output_std": unscaled, "runs": runs, "table": table}
    numbers["trend"] = trend(numbers)
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ the depth trend
def _degrades(losses: list, rise: float, margin: float, chance: float = CHANCE) -> bool:
    """The deepest loss (the last) is clearly above the lowest of the shallower ones:
    over rise times it and more than margin above it. A deepest network that learnt
    nothing (``_failed``: NaN, or above chance, where a ratio no longer grows) counts as
    higher when a shallower one learnt.

    >>> _degrades([0.03, 0.002, 0.045], 2, 0.02), _degrades([1.24, 2.32], 2, 0.02)
    (True, True)
    """
    deep, shallower = losses[-1], [v for v in losses[:-1] if not math.isnan(v)]
    if not shallower:
        return False
    best = min(shallower)
    if math.isnan(deep) or (_failed(deep, chance) and not _failed(best, chance)):
        return True
    return deep > rise * best and deep > best + margin


def _failed(loss: float, chance: float) -> bool:
    """The network learnt nothing: its final training loss is NaN (diverged) or above
    chance, the loss of a uniform guess (an unscaled residual network's exploding outputs
    end there without a NaN)."""
    return math.isnan(loss) or loss > chance


def _best_shallower(losses: list, depths: list):
    finite = [(v, d) for v, d in zip(losses[:-1], depths[:-1]) if not math.isnan(v)]
    return min(finite)[1] if finite else None


def trend(numbers: dict) -> dict:
    """Per kind and seed: whether the deepest network degrades (``_degrades``), which
    shallower depth was best, whether a depth failed to learn (``_failed``), and the
    deepest curve's spikes."""
    depths = numbers["depths"]
    rise = S.threshold(numbers, "RISE", RISE)
    margin = S.threshold(numbers, "MARGIN", MARGIN)
    spike = S.threshold(numbers, "SPIKE", SPIKE)
    jump = S.threshold(numbers, "JUMP", JUMP)
    chance = S.threshold(numbers, "CHANCE", CHANCE)
    out = {}
    for kind in KINDS:
        runs = [numbers["runs"][kind][str(d)] for d in depths]
        per_seed = [[r["final_train_loss_per_seed"][i] for r in runs]
                    for i in range(len(numbers["seeds"]))]
        out[kind] = {
            "degrades_per_seed": [_degrades(losses, rise, margin, chance)
                                  for losses in per_seed],
            "best_shallower_depth_per_seed": [_best_shallower(v, depths) for v in per_seed],
            "best_shallower_loss_per_seed": [
                min([v for v in losses[:-1] if not math.isnan(v)], default=math.nan)
                for losses in per_seed],
            "failed_per_seed": [any(_failed(v, chance) for v in losses) for losses in per_seed],
            "failed_depths": [d for d, r in zip(depths, runs)
                              if any(_failed(v, chance) for v in r["final_train_loss_per_seed"])],
            "deepest_spikes_per_seed": [spikes(c, spike, jump)
                                        for c in runs[-1]["curves"]],
        }
    return out


# ------------------------------------------------------------------ conclusion
def _spreads(numbers: dict, kind: str, key: str = "final_train_loss") -> list:
    return [numbers["runs"][kind][str(d)][key] for d in numbers["depths"]]


def _series(spreads: list, spec: str = ".3g") -> str:
    return ", ".join(S.spread_text(s, spec) for s in spreads)


def _deepest_init_std(numbers: dict, kind: str) -> float:
    return S.spread(numbers["runs"][kind][str(numbers["depths"][-1])]
                    ["init_output_std_per_seed"])["mean"]


def _measured(numbers: dict) -> str:
    seeds = numbers["seeds"]
    values = dict(depths=", ".join(map(str, numbers["depths"])),
                  plain=_series(_spreads(numbers, "plain")),
                  residual=_series(_spreads(numbers, "residual")),
                  n=len(seeds), seeds=", ".join(map(str, seeds)))
    if len(seeds) == 1:
        return _("Final training loss at depths {depths} (seed {seeds}): plain {plain}; "
                 "residual {residual}.").format(**values)
    return _("Final training loss at depths {depths}, mean (range) over {n} seeds ({seeds}): "
             "plain {plain}; residual {residual}.").format(**values)


def _budget(numbers: dict) -> str:
    counts = numbers.get("parameters", {}).get("plain", {})
    parameters = ", ".join(_("{count:,} at depth {depth}").format(count=counts[str(d)], depth=d)
                           for d in numbers["depths"] if str(d) in counts)
    return _("Budget: every network trains for {epochs} epochs of Adam (lr {lr:g}, batches of "
             "{batch_size}, {steps} steps) on the {train_size} training images; the plain and "
             "residual networks of one depth start from the same weights and have the same "
             "parameters ({parameters}).").format(
        epochs=numbers["epochs"], lr=numbers["lr"], batch_size=numbers["batch_size"],
        steps=numbers["steps"], train_size=numbers["train_size"], parameters=parameters)


def _setting(numbers: dict) -> str:
    values = dict(scaled=_deepest_init_std(numbers, "residual"),
                  plain=_deepest_init_std(numbers, "plain"),
                  unscaled=numbers.get("unscaled_residual_init_output_std", math.nan))
    scaled = numbers["scale_branches"]
    if numbers["norm"] == "batch":
        return (_("Setting: BatchNorm after each hidden Linear, as in He et al.'s plain "
                  "networks; each residual block's BatchNorm weight is scaled by 1/(number "
                  "of residual blocks) at init (scaling its Linear would be undone by the "
                  "normalisation).") if scaled else
                _("Setting: BatchNorm after each hidden Linear, as in He et al.'s plain "
                  "networks; the residual branches are not scaled (the deepest residual "
                  "network starts with an output std of {scaled:.3g}).")).format(**values)
    return (_("Setting: no normalisation; each residual block's weights are scaled by "
              "1/(number of residual blocks) at init, without which the deepest residual "
              "network would start with an output std of {unscaled:.3g} instead of "
              "{scaled:.3g} (--no-scale-branches).") if scaled else
            _("Setting: no normalisation and unscaled residual branches "
              "(--no-scale-branches): the deepest residual network starts with an output "
              "std of {scaled:.3g}, the deepest plain one with {plain:.3g}.")).format(**values)


def _trend_text(kind_label: str, t: dict, numbers: dict) -> list:
    depths = numbers["depths"]
    best = ", ".join("-" if d is None else str(d) for d in t["best_shallower_depth_per_seed"])
    parts = [_("{kind}: the deepest network (depth {deep}) ended clearly above the lowest "
               "loss of the shallower depths {in_seeds} (lowest at depth {best}, seed by "
               "seed).").format(kind=kind_label, deep=depths[-1],
                                in_seeds=S.in_seeds(t["degrades_per_seed"]), best=best)]
    if any(t["failed_per_seed"]):
        parts.append(_("{kind}: the final training loss is NaN or above chance ({chance:.3g}, "
                       "the loss of a uniform guess) {in_seeds}, at depth {depths}.").format(kind=kind_label,
                                           chance=S.threshold(numbers, "CHANCE", CHANCE),
                                           in_seeds=S.in_seeds(t["failed_per_seed"]),
                                           depths=", ".join(map(str, t["failed_depths"]))))
    return parts


def _verdict(numbers: dict, t: dict) -> list:
    plain = t["plain"]["degrades_per_seed"]
    residual = [a or b for a, b in zip(t["residual"]["degrades_per_seed"],
                                       t["residual"]["failed_per_seed"])]
    rise = S.threshold(numbers, "RISE", RISE)
    margin = S.threshold(numbers, "MARGIN", MARGIN)
    parts = []
    if S.holds(plain) and not any(residual):
        parts.append((_("The degradation problem shows {in_seeds}: the deepest plain network "
                        "fits its own training data worse than a shallower one, an "
                        "optimisation failure rather than overfitting; the residual networks, "
                        "their branches scaled by 1/(number of blocks) at init, do not "
                        "degrade: in this setting skip connections remove it.")
                      if numbers["scale_branches"] else
                      _("The degradation problem shows {in_seeds}: the deepest plain network "
                        "fits its own training data worse than a shallower one, an "
                        "optimisation failure rather than overfitting; the residual networks, "
                        "their branches unscaled, do not degrade: in this setting skip "
                        "connections remove it.")).format(in_seeds=S.in_seeds(plain)))
    elif S.holds(plain):
        parts.append(_("The deepest plain network fits its training data worse than a "
                       "shallower one {plain}, but the residual networks degrade or end no "
                       "better than a uniform guess too ({residual}): skip connections did not remove the degradation in "
                       "this setting.").format(plain=S.in_seeds(plain),
                                               residual=S.in_seeds(residual)))
    elif any(plain):
        parts.append(_("The degradation problem showed only {in_seeds}: the deepest plain "
                       "network ended clearly above a shallower one in some seeds but not in "
                       "all, so it is not claimed.").format(in_seeds=S.in_seeds(plain)))
    else:
        parts.append(_("The degradation problem did not show: in no seed is the deepest plain "
                       "network's training loss clearly above the lowest of the shallower "
                       "depths (it would need to be over {rise:g}x that loss and more than "
                       "{margin:g} above it).").format(rise=rise, margin=margin))
        if any(t["residual"]["degrades_per_seed"]):
            parts.append(_("The residual networks, however, degraded {in_seeds}.").format(
                in_seeds=S.in_seeds(t["residual"]["degrades_per_seed"])))
    failed = t["residual"]["failed_per_seed"]
    if any(failed) and numbers["norm"] == "none" and not numbers["scale_branches"]:
        values = dict(std=_deepest_init_std(numbers, "residual"),
                      plain=_deepest_init_std(numbers, "plain"), in_seeds=S.in_seeds(failed))
        parts.append((_("Without the 1/(number of blocks) scaling of their branches the "
                        "unnormalised residual networks start with outputs of std up to "
                        "{std:.3g} (the plain ones: {plain:.3g}) and end no better than a "
                        "uniform guess {in_seeds}: without that scaling (the default), skip "
                        "connections do not remove the degradation.") if S.holds(plain) else
                      _("Without the 1/(number of blocks) scaling of their branches the "
                        "unnormalised residual networks start with outputs of std up to "
                        "{std:.3g} (the plain ones: {plain:.3g}) and end no better than a "
                        "uniform guess {in_seeds}.")).format(**values))
    return parts


def _phenomenon(numbers: dict, t: dict) -> list:
    """Which failure the deep plain networks show: unstable curves (jumps up) or smooth
    curves that end higher (slow optimisation)."""
    if not any(t["plain"]["degrades_per_seed"]):
        return []
    jumps = t["plain"]["deepest_spikes_per_seed"]
    unstable = [j > 0 for j in jumps]
    values = dict(spike=S.threshold(numbers, "SPIKE", SPIKE),
                  jump=S.threshold(numbers, "JUMP", JUMP), in_seeds=S.in_seeds(unstable),
                  jumps=float(np.mean(jumps)), epochs=numbers["epochs"])
    if S.holds(unstable):
        return [(_("The deepest plain network's training is unstable: its epoch loss jumped "
                   "up (by more than {spike:.0%} and more than {jump:g}) {in_seeds}, "
                   "{jumps:.1f} times in {epochs} epochs on average, the mark of an "
                   "unnormalised plain MLP; He et al.'s plain networks, with BatchNorm, had "
                   "smooth curves that fell slowly (--norm batch).")
                 if numbers["norm"] == "none" else
                 _("The deepest plain network's training is unstable even with BatchNorm: "
                   "its epoch loss jumped up (by more than {spike:.0%} and more than {jump:g}) "
                   "{in_seeds}, {jumps:.1f} times in {epochs} epochs on average.")
                 ).format(**values)]
    if not any(unstable):
        return [_("The deepest plain network's curves are smooth (in no seed did an epoch's "
                  "loss jump up by more than {spike:.0%} and more than {jump:g}): it ends "
                  "higher because it optimises slowly, the degradation He et al. "
                  "describe.").format(**values)]
    return [_("The deepest plain network's epoch loss jumped up (by more than {spike:.0%} and "
              "more than {jump:g}) {in_seeds}: its training is unstable in some seeds and "
              "smooth but slow in the others.").format(**values)]


def conclude(numbers: dict) -> str:
    depths = numbers["depths"]
    t = trend(numbers)
    acc = {k: _spreads(numbers, k, "test_accuracy") for k in KINDS}
    parts = [_measured(numbers), _budget(numbers), _setting(numbers),
             *_trend_text(_("Plain"), t["plain"], numbers),
             *_trend_text(_("Residual"), t["residual"], numbers),
             *_verdict(numbers, t), *_phenomenon(numbers, t),
             _("Test accuracy, mean (range): plain {plain_first} at depth {first} and "
               "{plain_last} at depth {last}; residual {residual_first} and "
               "{residual_last}.").format(
                 plain_first=S.spread_text(acc["plain"][0], ".1%"), first=depths[0],
                 plain_last=S.spread_text(acc["plain"][-1], ".1%"), last=depths[-1],
                 residual_first=S.spread_text(acc["residual"][0], ".1%"),
                 residual_last=S.spread_text(acc["residual"][-1], ".1%")),
             S.thresholds_text(S.thresholds(numbers, THRESHOLDS))]
    return " ".join(parts)


# ------------------------------------------------------------------------ figures
def _stack(curves: list) -> np.ndarray:
    """Curves of unequal length (a diverged run stops early) as rows padded with NaN."""
    width = max(len(c) for c in curves)
    out = np.full((len(curves), width), np.nan)
    for i, c in enumerate(curves):
        out[i, :len(c)] = c
    return out


def plot(result: Result) -> dict:
    Figure = figure_class()   # (a clear error when matplotlib is missing)
    # matplotlib is optional: imported only when a figure is drawn
    from matplotlib import colormaps
    from matplotlib.ticker import MaxNLocator

    n = result.numbers
    depths = n["depths"]
    fig = Figure(figsize=(14, 4.4), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True, width_ratios=[1, 1, 0.8])
    cmap = colormaps["viridis"]
    titles = ({"plain": _("plain ReLU MLP with BatchNorm, width {width}"),
               "residual": _("residual ReLU MLP with BatchNorm, width {width}")}
              if n.get("norm") == "batch" else
              {"plain": _("plain ReLU MLP, width {width}"),
               "residual": _("residual ReLU MLP, width {width}")})
    for ax, kind in zip(axes, KINDS):
        for i, d in enumerate(depths):
            r = n["runs"][kind][str(d)]
            color = cmap(0.85 * i / max(len(depths) - 1, 1))
            curves = _stack(r["curves"])
            x = np.arange(1, curves.shape[1] + 1)
            with warnings.catch_warnings():   # all-NaN columns (diverged runs) stay NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                middle = np.exp(np.nanmean(np.log(curves), axis=0))   # geometric mean
                low, high = np.nanmin(curves, axis=0), np.nanmax(curves, axis=0)
            label = (_("depth {depth}: diverged") if any(r["diverged_per_seed"]) else
                     _("depth {depth}: final {final}")).format(
                depth=d, final=S.spread_text(r["final_train_loss"]))
            ax.plot(x, middle, lw=1.8, color=color, label=label)
            if curves.shape[0] > 1:
                ax.fill_between(x, low, high, color=color, alpha=0.15, lw=0)
        ax.set_xlabel(_("epoch"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(titles[kind].format(width=n["width"]))
        ax.legend(fontsize=8)
    summary = axes[2]
    for kind, color, marker in (("plain", "#c62828", "o"), ("residual", "#1565c0", "s")):
        summary.plot(depths, [n["runs"][kind][str(d)]["final_train_loss"]["mean"]
                              for d in depths],
                     color=color, marker=marker, lw=2,
                     label=(_("plain (mean)") if kind == "plain" else _("residual (mean)")))
        for d in depths:
            per_seed = n["runs"][kind][str(d)]["final_train_loss_per_seed"]
            summary.plot([d] * len(per_seed), per_seed, marker, color=color, ms=4, alpha=0.4)
    summary.set_xticks(depths)
    summary.set_xlabel(_("hidden layers"))
    summary.set_title(_("final training loss (whole set; dots: seeds)"))
    summary.legend(fontsize=8)
    for ax in axes:
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(_("training loss (cross-entropy, log scale)"))
    seeds = len(n["seeds"])
    title = (_("Training loss against depth on {dataset}: plain vs residual (Adam, {epochs} "
               "epochs; mean loss over each epoch, geometric mean and range of {seeds} seeds)")
             if seeds > 1 else
             _("Training loss against depth on {dataset}: plain vs residual (Adam, {epochs} "
               "epochs; mean loss over each epoch, one seed)"))
    fig.suptitle(title.format(dataset=n["dataset"], epochs=n["epochs"], seeds=seeds))
    return {"curves": fig}
