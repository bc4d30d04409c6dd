"""Batch, stochastic and mini-batch gradient descent on the same problem and budget.

The same network (an MLP 30-16-16-1 with tanh, Xavier init, the same weights for all
three within a seed) is trained on breast cancer (455 training samples) with plain SGD for
the same number of epochs (the same samples seen), once with each batch size:

- batch gradient descent (``batch_size=None``): 1 update per epoch;
- mini-batch gradient descent (``batch_size=32``): 15 updates per epoch;
- stochastic gradient descent (``batch_size=1``): 455 updates per epoch.

By default all three use the same learning rate, 0.1, so that they are compared at an equal
budget of epochs and rate (a sweep for each method's own best rate would multiply the run's
cost, nearly all of it stochastic GD's updates; give ``lr_batch`` etc. to compare tuned
settings, and the conclusion says that the rates differ and the budget is unequal). Each of
``seeds`` seeds (3 by default: ``seed``, ``seed + 1``, ...) draws its own start and its own
shuffling. After every epoch the loss on the whole training set is measured; the wall time
counts training only (the measurement is excluded).

What is measured, per seed and method:

- ``fall``: how much of its starting loss the whole-set loss lost, 1 - final / start. A
  method *learned* when it did not diverge and fell by at least ``LEARNED_FALL``; speed is
  compared only when at least two methods learned in every seed, noise only when all three
  did (otherwise the conclusion says the comparison cannot be made).
- the target: the lowest whole-set loss every method that learned reached (per seed);
  ``epochs_to_target`` (the primary: the same data seen, at the resolution of one epoch,
  a tie is no win), the updates, and ``seconds_to_target`` (training time, noisy on a
  shared machine: a method is faster only if every other took at least ``TIME_RATIO``
  times as long, so a near tie is never called a win; a method that never reached the
  target loses).
- ``seconds_per_sample``: the measured training seconds per update (after the first epoch,
  which also records the step) divided by the batch size; the bigger batch is cheaper per
  sample if each step down in size costs at least ``COST_RATIO`` times more.
- ``uphill``, the noise of the trajectory: the share of the whole-set loss's movement from
  epoch to epoch (in log scale) that went up, sum of rises / sum of all changes of log
  loss. It is 0 for a steady descent, whatever its shape, and 0.5 for a walk that makes no
  net progress. Unlike the spread of the per-batch losses (which differ by sample whether
  or not anything trains) it sees only where the parameters went. "The smaller the batch,
  the noisier" needs batch < mini-batch < stochastic with gaps of at least ``NOISE_GAP``.

Thresholds: LEARNED_FALL = 0.5, TIME_RATIO = 2, COST_RATIO = 2, NOISE_GAP = 0.02.

Default run (40 epochs, 3 seeds): about 15-19 s on the busy 2-core machine, nearly all of it
stochastic GD's 18,200 updates per seed.

>>> import chainrule as cr
>>> print(cr.lab.run("batching", quick=True, figures=False).conclusion)   # doctest: +SKIP
"""
from __future__ import annotations

import math
import time

import numpy as np

from .. import nn, optim, train
from ..data import datasets
from ..nn import functional as F
from ..random import manual_seed
from ..inspect.plots import figure_class
from .harness import recorded, train as train_model
from .result import Result
from .seeds import (holds, in_seeds, seed_list, spread, spread_text, threshold,
                    thresholds_text)
from ..i18n import N_, _

NAME = "batching"
TITLE = N_("Batch, stochastic and mini-batch gradient descent: updates, speed and noise")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "loss": N_(
        "The whole training set's loss after each epoch of batch, mini-batch and stochastic "
        "gradient descent, against epochs (the same data seen) and against wall time; the "
        "first seed drawn fully, the others faint."),
    "noise": N_(
        "The loss of each update's batch (first seed) and the whole training set's loss "
        "after each epoch (every seed): the trajectory's noise is measured on the latter."),
}
TINY = dict(epochs=3, seeds=2)

KINDS = (N_("batch"), N_("mini-batch"), N_("stochastic"))   # _kind translates them
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"epochs": "[1, inf)", "minibatch_size": "[1, inf)", "lr_batch": "(0, inf)",
          "lr_minibatch": "(0, inf)", "lr_stochastic": "(0, inf)", "width": "[1, inf)",
          "seeds": "[1, inf)"}

LEARNED_FALL = 0.5
"""A method learned when its whole-set loss fell by at least this share of its start."""
TIME_RATIO = 2.0
"""A method is faster in wall time only if the next one took at least this many times
longer (timings on a shared machine vary by tens of percent)."""
COST_RATIO = 2.0
"""Each step down in batch size must cost at least this many times more per sample."""
NOISE_GAP = 0.02
"""How much larger (in share of the movement that went up) a noisier trajectory must be."""
THRESHOLDS = {"LEARNED_FALL": LEARNED_FALL, "TIME_RATIO": TIME_RATIO,
              "COST_RATIO": COST_RATIO, "NOISE_GAP": NOISE_GAP}


class _EpochLoss(train.Callback):
    """After each epoch: the loss on the whole training set, and the training time so
    far with the time spent measuring it taken out."""

    def __init__(self, loss_fn, X, y):
        self.loss_fn, self.X, self.y = loss_fn, X, y
        self.loss, self.time = [], []
        self._start = self._measuring = 0.0

    def _measure(self, model) -> float:
        # Weights that overflow give an inf or NaN loss: that is the measurement.
        with np.errstate(over="ignore", invalid="ignore"):
            return float(train.evaluate(model, self.loss_fn, self.X, self.y)["loss"])

    def on_train_begin(self, ctx) -> None:
        self.loss.append(self._measure(ctx.model))
        self.time.append(0.0)
        self._start, self._measuring = time.perf_counter(), 0.0

    def on_epoch_end(self, ctx) -> None:
        now = time.perf_counter()
        self.time.append(now - self._start - self._measuring)
        self.loss.append(self._measure(ctx.model))
        self._measuring += time.perf_counter() - now


def uphill(epoch_loss) -> float:
    """The share of a loss curve's movement that went up: sum of the rises of log loss
    over the sum of all its changes (0 for a steady descent, 0.5 for no net progress;
    0 for a flat curve; NaN if a value is not finite and positive).

    >>> uphill([1.0, 0.5, 0.25])
    0.0
    >>> round(uphill([1.0, 0.25, 0.5]), 3)      # fell 2 halvings, rose 1
    0.333
    """
    loss = np.asarray(epoch_loss, dtype=np.float64)
    if not np.all(np.isfinite(loss) & (loss > 0)):
        return math.nan
    steps = np.diff(np.log(loss))
    moved = float(np.sum(np.abs(steps)))
    return float(np.sum(steps[steps > 0]) / moved) if moved > 0 else 0.0


def _train(batch_size, lr: float, X, y, epochs: int, width: int, seed: int,
           progress: bool) -> dict:
    manual_seed(seed)
    model = nn.mlp(X.shape[1], 1, depth=2, width=width, activation="tanh")
    loss_fn = F.binary_cross_entropy_with_logits
    monitor = _EpochLoss(loss_fn, X, y)
    trained = train_model(model, loss_fn, optim.SGD(model.parameters(), lr=lr), (X, y),
                          epochs, batch_size=batch_size, seed=seed, callbacks=[monitor],
                          evaluate=False, progress=progress)
    steps, upe = trained.history.steps, math.ceil(len(X) / (batch_size or len(X)))
    loss, seconds = monitor.loss, monitor.time
    # The steady cost of an update leaves out the first epoch, which records the step
    # (cr.compile) and would make a run of few, big updates look dear.
    later = (len(seconds) - 2) * upe       # the updates of the epochs after the first
    per_update = (seconds[-1] - seconds[1]) / later if later > 0 else seconds[-1] / max(steps, 1)
    diverged = trained.diverged or not math.isfinite(loss[-1])
    size = len(X) if batch_size is None else min(batch_size, len(X))
    end = math.nan if diverged else loss[-1] / loss[0]
    if diverged:             # the time of a blown-up run measures nothing worth comparing
        per_update = math.nan
    return {"diverged": diverged, "epoch_loss": loss, "epoch_time": monitor.time,
            "step_loss": [float(v) for v in trained.history.step_loss],
            "final_loss": math.nan if diverged else loss[-1], "end_over_start": end,
            "fall": 1.0 - end,
            "train_seconds": monitor.time[-1], "seconds_per_update": per_update,
            "seconds_per_sample": per_update / size,
            "epoch_rises": int(np.sum(np.diff(loss) > 0)), "uphill": uphill(loss)}


def _epochs_to(loss: list, level: float) -> int | None:
    """The first epoch after which the whole-set loss was at or below level."""
    return next((e for e, v in enumerate(loss) if v <= level), None)


def learned(run: dict, fall: float = LEARNED_FALL) -> bool:
    """The run did not diverge and its whole-set loss fell by at least fall of its start."""
    return not run["diverged"] and run["fall"] >= fall


def _to_target(runs: dict, updates: dict) -> float | None:
    """The lowest loss every run that learned reached (None unless two or more learned);
    fills in each run's epochs, updates and training seconds to reach it (None: never)."""
    contenders = [r for r in runs.values() if learned(r)]
    target = max(min(r["epoch_loss"]) for r in contenders) if len(contenders) > 1 else None
    for kind, r in runs.items():
        e = None if target is None else _epochs_to(r["epoch_loss"], target)
        r["epochs_to_target"] = e
        r["updates_to_target"] = None if e is None else e * updates[kind]
        r["seconds_to_target"] = None if e is None else r["epoch_time"][e]
        # the loss is measured once an epoch: the target was reached after this time
        r["seconds_before_target"] = None if e is None else r["epoch_time"][max(e - 1, 0)]
    return target


QUOTED = ("final_loss", "end_over_start", "fall", "train_seconds", "seconds_per_sample", "uphill",
          "epochs_to_target", "updates_to_target", "seconds_to_target")


def summarise(per_seed: list) -> dict:
    """kind -> quantity -> its spread over seeds, for every QUOTED quantity."""
    return {k: {q: spread(runs[k][q] for runs in per_seed) for q in QUOTED} for k in KINDS}


@recorded
def run(*, seed: int = 0, seeds: int = 3, epochs: int = 40, minibatch_size: int = 32,
        lr_batch: float = 0.1, lr_minibatch: float = 0.1, lr_stochastic: float = 0.1,
        width: int = 16, progress: bool = False) -> Result:
    """Train the same network three ways for the same number of epochs, in each seed."""
    if epochs < 1:
        raise ValueError(f"batching: epochs must be >= 1, got {epochs}")
    X, _X_test, y, _y_test = datasets.breast_cancer(split=True)
    y = y.reshape(-1, 1).astype(np.float32)
    n = len(X)
    setups = {"batch": (None, lr_batch), "mini-batch": (minibatch_size, lr_minibatch),
              "stochastic": (1, lr_stochastic)}
    updates = {k: 1 if bs is None else math.ceil(n / bs) for k, (bs, _lr) in setups.items()}
    per_seed, targets = [], []
    for s in seed_list(seed, seeds):
        runs = {kind: _train(bs, lr, X, y, epochs, width, s, progress)
                for kind, (bs, lr) in setups.items()}
        targets.append(_to_target(runs, updates))
        per_seed.append(runs)
    first_steps = {k: per_seed[0][k].pop("step_loss") for k in KINDS}
    for runs in per_seed[1:]:
        for r in runs.values():
            del r["step_loss"]           # the figure draws the first seed's only
    numbers = {
        "seeds": seed_list(seed, seeds), "epochs": epochs, "n_train": n,
        "thresholds": dict(THRESHOLDS),
        "setups": {k: {"batch_size": bs, "lr": lr, "updates_per_epoch": updates[k]}
                   for k, (bs, lr) in setups.items()},
        "equal_lr": len({lr for _bs, lr in setups.values()}) == 1,
        "target_loss_per_seed": targets,
        "runs_per_seed": per_seed,
        "summary": summarise(per_seed),
        "first_seed_step_loss": first_steps,
    }
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
def _kind(kind: str) -> str:
    """"batch", "mini-batch" or "stochastic" in this run's language."""
    return _(kind)


def _capital(sentence: str) -> str:
    """The sentence with its first letter upper-cased (it may start with a method's name)."""
    return sentence[:1].upper() + sentence[1:]


def _text(numbers: dict, kind: str, quantity: str, spec: str = ".3g",
          scale: float = 1.0) -> str:
    """"0.1 (0.09-0.12)": one method's quantity, mean (range) over seeds."""
    s = numbers["summary"][kind][quantity]
    if scale != 1.0 and s["mean"] is not None:
        s = {k: v * scale for k, v in s.items()}
    return spread_text(s, spec)


def _three(numbers: dict, quantity: str, spec: str = ".3g", scale: float = 1.0) -> dict:
    """{"batch": ..., "mini": ..., "sgd": ...}: one quantity's ``_text`` per method."""
    return {key: _text(numbers, kind, quantity, spec, scale)
            for kind, key in zip(KINDS, ("batch", "mini", "sgd"))}


def _budget(numbers: dict) -> list[str]:
    setups = numbers["setups"]
    b, m, s = (setups[k] for k in KINDS)
    parts = [_("In each seed ({seeds}) the three start from the same network and weights "
               "and train {epochs} epochs (the same {samples} samples seen): batch GD made "
               "{batch_updates} update per epoch (lr {batch_lr:g}), mini-batch "
               "{mini_updates} (batch {mini_size}, lr {mini_lr:g}), stochastic "
               "{sgd_updates} (lr {sgd_lr:g}).").format(
        seeds=", ".join(map(str, numbers["seeds"])), epochs=numbers["epochs"],
        samples=numbers["epochs"] * numbers["n_train"],
        batch_updates=b["updates_per_epoch"], batch_lr=b["lr"],
        mini_updates=m["updates_per_epoch"], mini_size=m["batch_size"], mini_lr=m["lr"],
        sgd_updates=s["updates_per_epoch"], sgd_lr=s["lr"])]
    if numbers["equal_lr"]:
        parts.append(_("All three use the same learning rate, so they are compared at an "
                       "equal budget of epochs and rate."))
    else:
        parts.append(_("The learning rates differ, so what follows compares these settings, "
                       "not the three methods at an equal budget."))
    parts.append(_("Final whole-set training loss, mean (range) over seeds: batch {batch}, "
                   "mini-batch {mini}, stochastic {sgd}; training seconds {batch_s}, "
                   "{mini_s} and {sgd_s}.").format(
        **_three(numbers, "final_loss"),
        **{k + "_s": v for k, v in _three(numbers, "train_seconds").items()}))
    return parts


def _lowest_final(numbers: dict) -> str:
    best = [_winner({k: None if r[k]["diverged"] else r[k]["final_loss"] for k in KINDS})
            for r in numbers["runs_per_seed"]]
    return _claim_over_seeds(
        best,
        _("After the same {epochs} epochs, {kind} had the lowest loss {in_seeds}."),
        _("After {epochs} epochs no method had the lowest loss (they tied or diverged)."),
        _("After {epochs} epochs no method had the lowest loss in every seed ({kind} did "
          "{in_seeds})."), epochs=numbers["epochs"])


def _cost(numbers: dict) -> list[str]:
    ratio = threshold(numbers, "COST_RATIO", COST_RATIO)
    parts = [_("Measured cost per sample (training seconds per update / batch size): batch "
               "{batch} µs, mini-batch {mini} µs, stochastic {sgd} µs.").format(
        **_three(numbers, "seconds_per_sample", scale=1e6))]
    cheaper = [r["mini-batch"]["seconds_per_sample"] >= ratio * r["batch"]["seconds_per_sample"]
               and r["stochastic"]["seconds_per_sample"]
               >= ratio * r["mini-batch"]["seconds_per_sample"]
               for r in numbers["runs_per_seed"]]
    if holds(cheaper):
        parts.append(_("Per sample, the bigger the batch the cheaper: each step down in batch "
                       "size cost at least {ratio:g} times more per sample, {in_seeds} (one "
                       "big matrix product does the work of many small ones).").format(
            ratio=ratio, in_seeds=in_seeds(cheaper)))
    else:
        parts.append(_("That the bigger batch is cheaper per sample (each step down in size "
                       "at least {ratio:g} times dearer) did not show: it held in {k} of "
                       "{n} seeds.").format(ratio=ratio, k=sum(cheaper), n=len(cheaper)))
    return parts


def _winner(values: dict):
    """The kind whose value is strictly the smallest (None counts as never), else None (a
    tie, or nobody has a value)."""
    known = {k: v for k, v in values.items() if v is not None}
    if not known:
        return None
    best = min(known, key=known.get)
    return best if all(v > known[best] for k, v in known.items() if k != best) else None


def _first_in_time(runs: dict, ratio: float):
    """The kind that surely reached the target first in wall time, else None. Each time is
    known only between the end of the epoch before the one that reached the target
    (``seconds_before_target``) and the end of that epoch (``seconds_to_target``): the
    winner's latest time must be at most 1/ratio of every other's earliest (or the other
    never reached it), so two methods that both got there in their first epoch tie."""
    reached = {k: r for k, r in runs.items() if r["seconds_to_target"] is not None}
    if not reached:
        return None
    best = min(reached, key=lambda k: reached[k]["seconds_to_target"])
    latest = reached[best]["seconds_to_target"]
    sure = latest > 0 and all(r["seconds_before_target"] >= ratio * latest
                              for k, r in reached.items() if k != best)
    return best if sure else None


def _claim_over_seeds(winners: list, won: str, none_won: str, varied: str,
                      **fields) -> str:
    """One sentence: the same winner in every seed (won), no winner in any (none_won), or
    a winner in some seeds only (varied), formatted with fields."""
    named = [w for w in winners if w is not None]
    if not named:
        return none_won.format(**fields)
    common = max(KINDS, key=named.count)
    flags = [w == common for w in winners]
    text = won if holds(flags) else varied
    return text.format(kind=_kind(common), in_seeds=in_seeds(flags), **fields)


def _speed(numbers: dict) -> list[str]:
    ratio = threshold(numbers, "TIME_RATIO", TIME_RATIO)
    per_seed = numbers["runs_per_seed"]
    parts = [_("Target: the lowest whole-set loss every method that learned reached, "
               "{target} (mean (range) over seeds). To reach it (measured after each "
               "epoch) took batch {batch}, mini-batch {mini}, stochastic {sgd} epochs, that "
               "is {batch_u}, "
               "{mini_u} and {sgd_u} updates, and {batch_s}, {mini_s} and {sgd_s} training "
               "seconds.").format(
        target=spread_text(spread(numbers["target_loss_per_seed"])),
        **_three(numbers, "epochs_to_target"),
        **{k + "_u": v for k, v in _three(numbers, "updates_to_target").items()},
        **{k + "_s": v for k, v in _three(numbers, "seconds_to_target").items()})]
    by_epoch = [_winner({k: r[k]["epochs_to_target"] for k in KINDS}) for r in per_seed]
    parts.append(_claim_over_seeds(
        by_epoch,
        _("In epochs (the same data seen), {kind} reached it first {in_seeds}."),
        _("In epochs, no method reached it first: the first ones tied, within the one-epoch "
          "resolution of the measurement."),
        _("In epochs, no method reached it first in every seed ({kind} did {in_seeds}).")))
    by_time = [_first_in_time(r, ratio) for r in per_seed]
    parts.append(_claim_over_seeds(
        by_time,
        _("In wall time, {kind} reached it first {in_seeds}, in at most 1/{ratio:g} of the "
          "time any other could have."),
        _("In wall time, no method surely reached it in at most 1/{ratio:g} of the others' "
          "time (each time is known only to within the epoch that reached the target, and "
          "a closer race is within this machine's timing noise), so no method is called "
          "fastest."),
        _("In wall time, no method reached it in at most 1/{ratio:g} of the others' time in "
          "every seed ({kind} did {in_seeds})."), ratio=ratio))
    return parts


def _noise(numbers: dict) -> list[str]:
    gap = threshold(numbers, "NOISE_GAP", NOISE_GAP)
    parts = [_("Noise of the trajectory: the share of the whole-set loss's movement from "
               "epoch to epoch (log scale) that went up, 0 for a steady descent: batch "
               "{batch}, mini-batch {mini}, stochastic {sgd}.").format(
        **_three(numbers, "uphill", ".2f"))]
    u = [[r[k]["uphill"] for k in KINDS] for r in numbers["runs_per_seed"]]
    ordered = [b + gap <= m and m + gap <= s for b, m, s in u]
    sgd_most = [s >= gap + max(b, m) for b, m, s in u]
    if holds(ordered):
        parts.append(_("The smaller the batch, the noisier the trajectory, {in_seeds}, as the "
                       "lectures say: stochastic GD's steps follow single samples, batch GD's "
                       "follow the exact gradient.").format(in_seeds=in_seeds(ordered)))
    elif holds(sgd_most):
        parts.append(_("Stochastic GD's trajectory was the noisiest {in_seeds}, but the full "
                       "ordering (batch < mini-batch < stochastic, each by {gap:g}) held in "
                       "{k} of {n} seeds: that the smaller the batch, the noisier the "
                       "trajectory, did not show.").format(in_seeds=in_seeds(sgd_most), gap=gap,
                                           k=sum(ordered), n=len(ordered)))
    else:
        parts.append(_("The expected ordering of noise (batch < mini-batch < stochastic, each "
                       "by {gap:g}) did not show: it held in {k} of {n} seeds, and stochastic "
                       "GD was the noisiest by {gap:g} in {k_sgd} of {n} seeds.").format(
            gap=gap, k=sum(ordered), n=len(ordered), k_sgd=sum(sgd_most)))
    return parts


def conclude(numbers: dict) -> str:
    fall = threshold(numbers, "LEARNED_FALL", LEARNED_FALL)
    per_seed = numbers["runs_per_seed"]
    parts = _budget(numbers) + [_lowest_final(numbers)] + _cost(numbers)
    for kind in KINDS:
        diverged = [r[kind]["diverged"] for r in per_seed]
        short = [not learned(r[kind], fall) for r in per_seed]
        if any(diverged):
            parts.append(_capital(_("{kind} diverged {in_seeds} (its loss became NaN or "
                                    "infinite).").format(kind=_kind(kind),
                                                         in_seeds=in_seeds(diverged))))
        elif any(short):
            parts.append(_capital(_(
                "{kind} did not learn {in_seeds}: its whole-set loss ended at {ratio} times "
                "its start (mean (range) over seeds), and learning means at most {limit:g} "
                "times.").format(kind=_kind(kind), in_seeds=in_seeds(short), limit=1.0 - fall,
                                 ratio=_text(numbers, kind, "end_over_start", ".2g"))))
    count_learned = [sum(learned(r[k], fall) for k in KINDS) for r in per_seed]
    if holds([c >= 2 for c in count_learned]):
        parts += _speed(numbers)
    else:
        parts.append(_("Speed is compared only between methods that learned, and fewer than "
                       "two did {in_seeds}: which is faster cannot be said, so it did not "
                       "show.").format(in_seeds=in_seeds([c < 2 for c in count_learned])))
    if holds([c == 3 for c in count_learned]):
        parts += _noise(numbers)
    else:
        parts.append(_("Noise is compared only when all three learned (a curve that does "
                       "not descend has no trajectory to be noisy around), so the ordering "
                       "of noise cannot be said: it did not show."))
    parts.append(thresholds_text(numbers.get("thresholds", THRESHOLDS)))
    return " ".join(parts)


# ------------------------------------------------------------------------ figures
COLORS = {"batch": "#1565c0", "mini-batch": "#2e7d32", "stochastic": "#c62828"}


def _label(kind: str, setup: dict) -> str:
    size = _("all") if setup["batch_size"] is None else setup["batch_size"]
    return _("{kind} (batch size {size}, lr {lr:g})").format(kind=_kind(kind), size=size,
                                                             lr=setup["lr"])


def _curves(ax, numbers: dict, kind: str, x_key: str | None, label: str | None) -> None:
    """Every seed's whole-set curve of kind: the first seed fully, the others faint."""
    for i, runs in enumerate(numbers["runs_per_seed"]):
        r = runs[kind]
        loss = np.asarray(r["epoch_loss"], dtype=np.float64)
        x = np.arange(len(loss)) if x_key is None else np.asarray(r[x_key])
        keep = np.isfinite(loss) & (loss > 0) & (x > 0 if x_key else True)
        first = i == 0
        ax.plot(x[keep], loss[keep], color=COLORS[kind], lw=2 if first else 1,
                alpha=1.0 if first else 0.35, marker="o" if first else None, ms=2.5,
                label=label if first else None)


def plot(result: Result) -> dict:
    Figure = figure_class()   # (a clear error when matplotlib is missing)

    n = result.numbers
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    by_epoch, by_time = fig.subplots(1, 2, sharey=True)
    for kind in KINDS:
        setup, s = n["setups"][kind], n["summary"][kind]
        _curves(by_epoch, n, kind, None, _label(kind, setup))
        upe = setup["updates_per_epoch"]
        per_update = (_("{kind}: {updates} updates/epoch, {us} µs/sample") if upe != 1
                      else _("{kind}: {updates} update/epoch, {us} µs/sample"))
        us = {k: v * 1e6 for k, v in s["seconds_per_sample"].items()}
        _curves(by_time, n, kind, "epoch_time",
                per_update.format(kind=_kind(kind), updates=upe, us=spread_text(us, ".2g")))
    target = [t for t in n["target_loss_per_seed"] if t is not None]
    if target:
        by_epoch.axhline(target[0], color="0.4", lw=0.8, ls=":",
                         label=_("target (first seed)"))
    by_epoch.set_xlabel(_("epoch"))
    by_epoch.xaxis.get_major_locator().set_params(integer=True)
    by_epoch.set_ylabel(_("loss on the whole training set (log scale)"))
    by_epoch.set_yscale("log")
    by_epoch.set_title(_("Against epochs (the same data seen)"))
    by_epoch.legend(fontsize=8)
    by_time.set_xlabel(_("training wall time, s (log scale)"))
    by_time.set_xscale("log")
    by_time.set_title(_("Against wall time"))
    by_time.legend(fontsize=8)
    fig.suptitle(_("Breast cancer, MLP 30-16-16-1, {epochs} epochs each, same start, "
                   "seeds {seeds}").format(epochs=n["epochs"],
                                           seeds=", ".join(map(str, n["seeds"]))))

    fig_n = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig_n.subplots(1, 3, sharey=True)
    for ax, kind in zip(axes, KINDS):
        upe = n["setups"][kind]["updates_per_epoch"]
        step = np.asarray(n["first_seed_step_loss"][kind], dtype=np.float64)
        x = np.arange(len(step)) / max(upe, 1)   # before each update
        single = upe == 1
        ax.plot(x, np.clip(step, 1e-8, None), color=COLORS[kind], lw=3 if single else 0.6,
                alpha=0.8 if single else 0.5, label=_("loss each update saw (first seed)"))
        for i, runs in enumerate(n["runs_per_seed"]):
            loss = np.asarray(runs[kind]["epoch_loss"], dtype=np.float64)
            ok = np.isfinite(loss) & (loss > 0)
            ax.plot(np.arange(len(loss))[ok], loss[ok], color="k", lw=1.2 if i == 0 else 0.8,
                    ls="--", alpha=1.0 if i == 0 else 0.4,
                    label=_("whole training set, after each epoch") if i == 0 else None)
        ax.set_yscale("log")
        ax.set_xlabel(_("epoch"))
        ax.set_title(_("{kind}: uphill share {uphill}").format(
            kind=_kind(kind), uphill=spread_text(n["summary"][kind]["uphill"], ".2f")),
            fontsize=10)
    axes[0].set_ylabel(_("loss (log scale)"))
    axes[0].legend(fontsize=8, loc="lower left")
    fig_n.suptitle(_("How noisy each kind of descent is: each update's batch loss, and the "
                     "trajectory's whole-set loss"))
    return {"loss": fig, "noise": fig_n}
