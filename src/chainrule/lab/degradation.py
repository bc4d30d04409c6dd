"""The degradation problem (He et al., 2016) at MLP scale: deeper plain networks end with a
HIGHER training loss, residual networks of the same depth do not.

Plain and residual ReLU MLPs (``nn.mlp(64, 10, depth, width, "relu", skip=...)``, Kaiming
init) of depth 20, 32, 44 and 56 hidden layers, width 32, are trained on digits (1437
training images, 8x8) with Adam (lr 1e-3, mini-batches of 64) for 30 epochs. Plain and
residual networks of one depth start from the same weights and see the same batches.
The training loss is what matters: a deeper plain network can represent everything a
shallower one can (extra layers could be the identity), so a higher training loss is a
failure of optimisation, not overfitting.

Residual branches are scaled at init. With Kaiming init and no BatchNorm, every block
x + relu(x W + b) roughly doubles the signal's second moment: the untouched
``nn.mlp(..., skip=True)`` outputs logits with a standard deviation of ~1e4 at depth 20
and ~1e13 at depth 56, and its loss is NaN within two steps. ResNets tame this with
BatchNorm; Fixup and SkipInit scale or zero the residual branch at init. Here (with
``scale_branches=True``, the default) each residual block's weight is multiplied by
1/(number of residual blocks), so the blocks together add O(1) to the signal. The
initial output scale of every network is recorded (``init_output_std``).

Why digits and not MNIST-1D: in trial runs MNIST-1D needs far more than 30 epochs to fit
(training loss ~1.0-1.2 for every depth and kind after 20 epochs), so the depth trend is
buried; digits is fitted within the budget by the shallow nets and shows the trend.

Default run (8 networks x 3 seeds = 24 trainings): about 45 s on 2 cores (measured 42.6 s).
"""
from __future__ import annotations

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
from .harness import recorded, train
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
TINY = dict(seeds=1, depths=(3, 6), width=16, epochs=2, batch_size=256)

KINDS = ("plain", "residual")
RISE = 2.0          # "clearly higher": more than RISE times the shallowest's loss ...
MARGIN = 0.05       # ... and more than MARGIN above it
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"seeds": "[1, inf)", "depths": "[2, inf)", "width": "[1, inf)",
          "epochs": "[1, inf)", "batch_size": "[1, inf)", "lr": "(0, inf)"}


def build(depth: int, width: int, residual: bool, scale_branches: bool) -> nn.Sequential:
    """The ReLU MLP for digits; residual branches scaled by 1/blocks if asked."""
    model = nn.mlp(64, 10, depth=depth, width=width, activation="relu", skip=residual)
    blocks = [m for m in model.modules() if isinstance(m, nn.Residual)]
    if scale_branches and blocks:
        for block in blocks:
            for layer in block.block.modules():
                if isinstance(layer, nn.Linear):
                    layer.weight.data *= np.float32(1.0 / len(blocks))
    return model


def _output_std(model, X) -> float:
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        return float(np.std(model(Tensor(X)).data.astype(np.float64)))


def _train_one(depth: int, kind: str, data: tuple, width: int, epochs: int, batch_size: int,
               lr: float, scale_branches: bool, seed: int, progress: bool) -> dict:
    X_train, X_test, y_train, y_test = data
    manual_seed(seed)
    model = build(depth, width, kind == "residual", scale_branches)
    init_std = _output_std(model, X_train)
    t = train(model, F.cross_entropy, optim.Adam(model.parameters(), lr=lr),
              (X_train, y_train), epochs, batch_size=batch_size, seed=seed,
              test=(X_test, y_test), progress=progress)
    return {"curve": t.curve + [float("nan")] * t.diverged,
            "final_train_loss": float(t.train_loss), "test_accuracy": float(t.test_accuracy),
            "diverged": t.diverged, "init_output_std": init_std, "seconds": t.seconds}


def _summary(per_seed: list) -> dict:
    """One depth and kind over the seeds: the median final loss and test accuracy (NaN if
    any seed diverged) and every seed's own numbers."""
    finals = [r["final_train_loss"] for r in per_seed]
    accs = [r["test_accuracy"] for r in per_seed]
    return {"final_train_loss": float(np.median(finals)),
            "test_accuracy": float(np.median(accs)),
            "diverged": any(r["diverged"] for r in per_seed),
            "final_train_loss_per_seed": finals, "test_accuracy_per_seed": accs,
            "curves": [r["curve"] for r in per_seed],
            "init_output_std": [r["init_output_std"] for r in per_seed],
            "seconds": [r["seconds"] for r in per_seed]}


@recorded
def run(*, seed: int = 0, seeds: int = 3, depths: tuple[int, ...] = (20, 32, 44, 56),
        width: int = 32, epochs: int = 30, batch_size: int = 64, lr: float = 1e-3,
        scale_branches: bool = True, progress: bool = False) -> Result:
    """Train a plain and a residual network of each depth, from ``seeds`` seeds (seed,
    seed + 1, ...); compare the median final training losses."""
    depths = tuple(int(d) for d in depths)
    if len(depths) < 2 or any(d < 2 for d in depths) or list(depths) != sorted(set(depths)):
        raise ValueError(f"degradation: depths must be at least two increasing ints >= 2 (a "
                         f"residual block needs a width-to-width layer), got {depths!r}")
    if seeds < 1:
        raise ValueError(f"degradation: seeds must be >= 1, got {seeds}")
    data = datasets.digits(split=True)
    runs = {kind: {str(d): _summary([
        _train_one(d, kind, data, width, epochs, batch_size, lr, scale_branches, s, progress)
        for s in range(seed, seed + seeds)]) for d in depths} for kind in KINDS}
    table = [{"kind": kind, "depth": d,
              "final_train_loss": runs[kind][str(d)]["final_train_loss"],
              "test_accuracy": runs[kind][str(d)]["test_accuracy"]}
             for kind in KINDS for d in depths]
    numbers = {"dataset": "digits", "depths": list(depths), "width": width, "epochs": epochs,
               "seeds": seeds, "runs": runs, "table": table}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
def _losses(numbers: dict, kind: str) -> list:
    return [numbers["runs"][kind][str(d)]["final_train_loss"] for d in numbers["depths"]]


def _clearly_higher(deep: float, shallow: float) -> bool:
    """deep is clearly above shallow; a NaN (diverged) deep network counts as higher."""
    if math.isnan(deep):
        return not math.isnan(shallow)
    return deep > RISE * shallow and deep > shallow + MARGIN


def _series(values: list) -> str:
    return ", ".join(_("diverged") if math.isnan(v) else f"{v:.3g}" for v in values)


def _trend(kind: str, losses: list, depths: list) -> str:
    """One clause on how ``kind``'s (already translated) losses change with depth."""
    first, last = losses[0], losses[-1]
    if any(math.isnan(v) for v in losses):
        bad = [d for d, v in zip(depths, losses) if math.isnan(v)]
        return _("{kind}: diverged (NaN loss) at depth {depths}").format(
            kind=kind, depths=", ".join(map(str, bad)))
    ups = sum(b > a for a, b in zip(losses, losses[1:]))
    shape = (_("rising at every step") if ups == len(losses) - 1 else
             _("rising in {ups} of {steps} steps").format(ups=ups, steps=len(losses) - 1))
    if last > first:
        return _("{kind}: training loss rises from {first:.3g} at depth {first_depth} to "
                 "{last:.3g} at depth {last_depth} ({factor:.1f}x, {shape})").format(
            kind=kind, first=first, first_depth=depths[0], last=last, last_depth=depths[-1],
            factor=last / max(first, 1e-12), shape=shape)
    return _("{kind}: training loss stays between {low:.3g} and {high:.3g} "
             "({first:.3g} at depth {first_depth}, {last:.3g} at depth {last_depth})").format(
        kind=kind, low=min(losses), high=max(losses), first=first, first_depth=depths[0],
        last=last, last_depth=depths[-1])


def conclude(numbers: dict) -> str:
    depths = numbers["depths"]
    plain, res = _losses(numbers, "plain"), _losses(numbers, "residual")
    acc = {k: [numbers["runs"][k][str(d)]["test_accuracy"] for d in depths] for k in KINDS}
    seeds = numbers.get("seeds", 1)
    setting = (_("median of {seeds} seeds, width {width}, {epochs} epochs on {dataset}")
               if seeds > 1 else _("width {width}, {epochs} epochs on {dataset}")).format(
        seeds=seeds, width=numbers["width"], epochs=numbers["epochs"],
        dataset=numbers["dataset"])
    parts = [
        _("Final training loss at depths {depths} ({setting}): plain {plain}; residual "
          "{residual}.").format(depths=", ".join(map(str, depths)), setting=setting,
                                plain=_series(plain), residual=_series(res)),
        _("{plain_trend}; {residual_trend}.").format(
            plain_trend=_trend(_("Plain"), plain, depths),
            residual_trend=_trend(_("residual"), res, depths)),
    ]
    plain_degrades = _clearly_higher(plain[-1], plain[0])
    res_degrades = _clearly_higher(res[-1], res[0]) or any(math.isnan(v) for v in res)
    if seeds > 1:
        agree = {k: sum(_clearly_higher(a, b) for a, b in zip(
            numbers["runs"][k][str(depths[-1])]["final_train_loss_per_seed"],
            numbers["runs"][k][str(depths[0])]["final_train_loss_per_seed"])) for k in KINDS}
        parts.append(_("Seed by seed, depth {deep} ended clearly above depth {shallow} "
                       "in {plain} of {seeds} plain and {residual} of {seeds} "
                       "residual runs.").format(deep=depths[-1], shallow=depths[0],
                                                plain=agree["plain"], seeds=seeds,
                                                residual=agree["residual"]))
    if plain_degrades and not res_degrades:
        parts.append(_("The degradation problem shows: the deeper plain networks fit their own "
                       "training data worse, an optimisation failure rather than overfitting, "
                       "and skip connections remove it."))
    elif plain_degrades:
        parts.append(_("The plain networks degrade with depth, but so do the residual ones: "
                       "skip connections did not remove the degradation in this run."))
    else:
        parts.append(_("The degradation problem did not show: the deepest plain network's "
                       "training loss is not clearly above the shallowest's (it would need to "
                       "be over {rise:g}x and {margin:g} higher).").format(rise=RISE,
                                                                           margin=MARGIN))
        if res_degrades:
            parts.append(_("The residual networks, however, did degrade."))
    if all(math.isfinite(v) for v in acc["plain"] + acc["residual"]):
        parts.append(_("Test accuracy: plain {plain_first:.1%} at depth {first} and "
                       "{plain_last:.1%} at depth {last}; residual "
                       "{residual_first:.1%} and {residual_last:.1%}.").format(
            plain_first=acc["plain"][0], first=depths[0], plain_last=acc["plain"][-1],
            last=depths[-1], residual_first=acc["residual"][0],
            residual_last=acc["residual"][-1]))
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
    titles = {"plain": _("plain ReLU MLP, width {width}"),
              "residual": _("residual ReLU MLP, width {width}")}
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
            final = r["final_train_loss"]
            label = (_("depth {depth}: diverged") if r["diverged"] else
                     _("depth {depth}: median final {final:.3g}")).format(depth=d, final=final)
            ax.plot(x, middle, lw=1.8, color=color, label=label)
            if curves.shape[0] > 1:
                ax.fill_between(x, low, high, color=color, alpha=0.15, lw=0)
        ax.set_xlabel(_("epoch"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(titles[kind].format(width=n["width"]))
        ax.legend(fontsize=8)
    summary = axes[2]
    for kind, color, marker in (("plain", "#c62828", "o"), ("residual", "#1565c0", "s")):
        summary.plot(depths, [n["runs"][kind][str(d)]["final_train_loss"] for d in depths],
                     color=color, marker=marker, lw=2,
                     label=(_("plain (median)") if kind == "plain" else _("residual (median)")))
        for d in depths:
            per_seed = n["runs"][kind][str(d)]["final_train_loss_per_seed"]
            summary.plot([d] * len(per_seed), per_seed, marker, color=color, ms=4, alpha=0.4)
    summary.set_xticks(depths)
    summary.set_xlabel(_("hidden layers"))
    summary.set_title(_("final training loss (whole set)"))
    summary.legend(fontsize=8)
    for ax in axes:
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(_("training loss (cross-entropy, log scale)"))
    seeds = n.get("seeds", 1)
    title = (_("Training loss against depth on {dataset}: plain vs residual (Adam, {epochs} "
               "epochs; mean loss over each epoch, geometric mean and range of {seeds} seeds)")
             if seeds > 1 else
             _("Training loss against depth on {dataset}: plain vs residual (Adam, {epochs} "
               "epochs; mean loss over each epoch, one seed)"))
    fig.suptitle(title.format(dataset=n["dataset"], epochs=n["epochs"], seeds=seeds))
    return {"curves": fig}
