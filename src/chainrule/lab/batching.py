"""Batch, stochastic and mini-batch gradient descent on the same problem and budget.

The same network (an MLP 30-16-16-1 with tanh, Xavier init, the same weights for all
three) is trained on breast cancer (455 training samples) with plain SGD for the same
number of epochs, once with each batch size:

- batch gradient descent (``batch_size=None``): 1 update per epoch, lr 1.0;
- mini-batch gradient descent (``batch_size=32``): 15 updates per epoch, lr 0.1;
- stochastic gradient descent (``batch_size=1``): 455 updates per epoch, lr 0.01.

The rates are each method's own: 1.0 is the best rate of the learning-rate experiment for
this network, and smaller batches get smaller rates because each of their gradients is a
noisier estimate (roughly the linear-scaling rule, lr proportional to the batch size, then
rounded up to a decade). After every epoch the loss on the whole training set is measured;
the wall time counts training only (the measurement is excluded).

How noisy each curve is, from the loss each update saw (``history.step_loss``):
``rising_fraction``, the fraction of updates after which that loss was higher than
before the update, and ``relative_noise``, the standard deviation of the per-update loss
around its centred moving average divided by the mean of that average (second half of
training). The full-training-set curve's own ``epoch_rises`` counts epochs whose loss rose.

Default run (40 epochs each): about 2 s on 2 cores.
"""
from __future__ import annotations

import time

import numpy as np

from .. import nn, optim, train
from ..data import datasets
from ..nn import functional as F
from ..random import manual_seed
from ..inspect.plots import figure_class
from .harness import recorded, train as train_model
from .result import Result
from ..i18n import N_, _

NAME = "batching"
TITLE = N_("Batch, stochastic and mini-batch gradient descent: updates, speed and noise")
CAPTIONS = {   # figure id -> caption, shown under the figure in the report
    "loss": N_(
        "The whole training set's loss after each epoch of batch, mini-batch and stochastic "
        "gradient descent, against epochs (the same data seen) and against wall time."),
    "noise": N_(
        "The loss of each update's batch: how noisy each kind of descent is."),
}
TINY = dict(epochs=3)

KINDS = (N_("batch"), N_("mini-batch"), N_("stochastic"))   # _kind translates them
# Accepted values of run()'s parameters (checked by cr.lab.run before any work).
RANGES = {"epochs": "[1, inf)", "minibatch_size": "[1, inf)", "lr_batch": "(0, inf)",
          "lr_minibatch": "(0, inf)", "lr_stochastic": "(0, inf)", "width": "[1, inf)"}


class _EpochLoss(train.Callback):
    """After each epoch: the loss on the whole training set, and the training time so
    far with the time spent measuring it taken out."""

    def __init__(self, loss_fn, X, y):
        self.loss_fn, self.X, self.y = loss_fn, X, y
        self.loss, self.time = [], []
        self._start = self._measuring = 0.0

    def on_train_begin(self, ctx) -> None:
        self.loss.append(train.evaluate(ctx.model, self.loss_fn, self.X, self.y)["loss"])
        self.time.append(0.0)
        self._start, self._measuring = time.perf_counter(), 0.0

    def on_epoch_end(self, ctx) -> None:
        now = time.perf_counter()
        self.time.append(now - self._start - self._measuring)
        self.loss.append(train.evaluate(ctx.model, self.loss_fn, self.X, self.y)["loss"])
        self._measuring += time.perf_counter() - now


def _moving_average(x: np.ndarray, window: int) -> np.ndarray:
    return np.convolve(x, np.ones(window) / window, mode="valid")


def noise(step_loss) -> dict:
    """How noisy a per-update loss curve is (see the module docstring)."""
    loss = np.asarray(step_loss, dtype=np.float64)
    rising = float(np.mean(np.diff(loss) > 0)) if len(loss) > 1 else 0.0
    half = loss[len(loss) // 2:]
    window = max(3, min(21, len(half) // 3))
    window -= 1 - window % 2              # odd, so the average is centred
    if len(half) < window:
        return {"rising_fraction": rising, "relative_noise": 0.0, "window": window}
    trend = _moving_average(half, window)
    centred = half[window // 2: len(half) - window // 2]
    relative = float(np.std(centred - trend) / max(np.mean(trend), 1e-12))
    return {"rising_fraction": rising, "relative_noise": relative, "window": window}


def _train(batch_size, lr: float, X, y, epochs: int, width: int, seed: int,
           progress: bool) -> dict:
    manual_seed(seed)
    model = nn.mlp(X.shape[1], 1, depth=2, width=width, activation="tanh")
    loss_fn = F.binary_cross_entropy_with_logits
    monitor = _EpochLoss(loss_fn, X, y)
    history = train_model(model, loss_fn, optim.SGD(model.parameters(), lr=lr), (X, y), epochs,
                          batch_size=batch_size, seed=seed, callbacks=[monitor],
                          evaluate=False, progress=progress).history
    return {"batch_size": batch_size, "lr": lr,
            "updates_per_epoch": history.steps // max(epochs, 1),
            "epoch_loss": monitor.loss, "epoch_time": monitor.time,
            "step_loss": [float(v) for v in history.step_loss],
            "final_loss": monitor.loss[-1], "train_seconds": monitor.time[-1],
            "seconds_per_update": monitor.time[-1] / max(history.steps, 1),
            "epoch_rises": int(np.sum(np.diff(monitor.loss) > 0)),
            **noise(history.step_loss)}


def _time_to(run: dict, level: float) -> float | None:
    """Training seconds until the whole-set loss was at or below level."""
    return next((t for t, v in zip(run["epoch_time"], run["epoch_loss"]) if v <= level), None)


def _epochs_to(run: dict, level: float) -> int | None:
    return next((k for k, v in enumerate(run["epoch_loss"]) if v <= level), None)


@recorded
def run(*, seed: int = 0, epochs: int = 40, minibatch_size: int = 32, lr_batch: float = 1.0,
        lr_minibatch: float = 0.1, lr_stochastic: float = 0.01, width: int = 16,
        progress: bool = False) -> Result:
    """Train the same network three ways for the same number of epochs."""
    if epochs < 1:
        raise ValueError(f"batching: epochs must be >= 1, got {epochs}")
    X, _X_test, y, _y_test = datasets.breast_cancer(split=True)
    y = y.reshape(-1, 1).astype(np.float32)
    setups = {"batch": (None, lr_batch), "mini-batch": (minibatch_size, lr_minibatch),
              "stochastic": (1, lr_stochastic)}
    runs = {kind: _train(bs, lr, X, y, epochs, width, seed, progress)
            for kind, (bs, lr) in setups.items()}
    # A common target: the highest final loss, which every method reaches.
    target = max(r["final_loss"] for r in runs.values())
    for r in runs.values():
        r["epochs_to_target"] = _epochs_to(r, target)
        r["seconds_to_target"] = _time_to(r, target)
    numbers = {"epochs": epochs, "n_train": int(len(X)), "target_loss": target, "runs": runs}
    return Result(NAME, numbers=numbers, conclusion=conclude(numbers))


# ------------------------------------------------------------------ conclusion
def _secs(s) -> str:
    return _("never") if s is None else f"{s:.3g} s"


def _kind(kind: str) -> str:
    """"batch", "mini-batch" or "stochastic" in this run's language."""
    return _(kind)


def conclude(numbers: dict) -> str:
    runs, epochs = numbers["runs"], numbers["epochs"]
    b, m, s = (runs[k] for k in KINDS)
    parts = [
        _("Same network, same start, {epochs} epochs each: batch GD made "
          "{batch_updates} update per epoch (lr {batch_lr:g}), mini-batch "
          "{mini_updates} (batch {mini_size}, lr {mini_lr:g}), stochastic "
          "{sgd_updates} (lr {sgd_lr:g}).").format(
            epochs=epochs, batch_updates=b["updates_per_epoch"], batch_lr=b["lr"],
            mini_updates=m["updates_per_epoch"], mini_size=m["batch_size"], mini_lr=m["lr"],
            sgd_updates=s["updates_per_epoch"], sgd_lr=s["lr"]),
        _("Final training loss: batch {batch:.3g}, mini-batch {mini:.3g}, "
          "stochastic {sgd:.3g}; training time {batch_s:.3g} s, "
          "{mini_s:.3g} s and {sgd_s:.3g} s.").format(
            batch=b["final_loss"], mini=m["final_loss"], sgd=s["final_loss"],
            batch_s=b["train_seconds"], mini_s=m["train_seconds"], sgd_s=s["train_seconds"]),
    ]
    per_epoch = min(KINDS, key=lambda k: runs[k]["final_loss"])
    parts.append(_(
        "Per epoch, {kind} got furthest. One update cost {batch_ms:.2g} ms on all {n} samples, "
        "{mini_ms:.2g} ms on {mini_size} and {sgd_ms:.2g} ms on one: per sample, the big "
        "batch is far cheaper.").format(
            kind=_kind(per_epoch), batch_ms=1e3 * b["seconds_per_update"], n=numbers["n_train"],
            mini_ms=1e3 * m["seconds_per_update"], mini_size=m["batch_size"],
            sgd_ms=1e3 * s["seconds_per_update"]))
    timed = {k: runs[k]["seconds_to_target"] for k in KINDS}
    fastest = min((k for k in KINDS if timed[k] is not None), key=lambda k: timed[k],
                  default=None)
    if fastest is not None:
        parts.append(_("To reach loss {target:.3g} (the highest final loss) took batch "
                       "{batch}, mini-batch {mini}, stochastic {sgd} of training: {fastest} "
                       "was fastest in wall time.").format(
            target=numbers["target_loss"], batch=_secs(timed["batch"]),
            mini=_secs(timed["mini-batch"]), sgd=_secs(timed["stochastic"]),
            fastest=_kind(fastest)))
    parts.append(_(
        "Noise of the loss each update saw (std around its moving average / mean; share of "
        "updates after which it rose): batch {batch_noise:.2f} / {batch_rise:.0%}, mini-batch "
        "{mini_noise:.2f} / {mini_rise:.0%}, stochastic {sgd_noise:.2f} / "
        "{sgd_rise:.0%}.").format(
            batch_noise=b["relative_noise"], batch_rise=b["rising_fraction"],
            mini_noise=m["relative_noise"], mini_rise=m["rising_fraction"],
            sgd_noise=s["relative_noise"], sgd_rise=s["rising_fraction"]))
    ordered = b["relative_noise"] < m["relative_noise"] < s["relative_noise"]
    if ordered and s["relative_noise"] > 2 * max(b["relative_noise"], 1e-3):
        parts.append(_("The smaller the batch, the noisier the curve, as the lectures say: "
                       "stochastic GD's steps follow single samples, batch GD's follow the "
                       "exact gradient."))
    else:
        parts.append(_("The expected ordering of noise (batch < mini-batch < stochastic) did "
                       "not show in this run."))
    return " ".join(parts)


# ------------------------------------------------------------------------ figures
COLORS = {"batch": "#1565c0", "mini-batch": "#2e7d32", "stochastic": "#c62828"}


def _label(kind: str, r: dict) -> str:
    size = _("all") if r["batch_size"] is None else r["batch_size"]
    return _("{kind} (batch size {size}, lr {lr:g})").format(kind=_kind(kind), size=size,
                                                             lr=r["lr"])


def plot(result: Result) -> dict:
    Figure = figure_class()   # (a clear error when matplotlib is missing)

    n = result.numbers
    runs = n["runs"]
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    by_epoch, by_time = fig.subplots(1, 2, sharey=True)
    for kind in KINDS:
        r = runs[kind]
        by_epoch.plot(np.arange(len(r["epoch_loss"])), r["epoch_loss"], color=COLORS[kind],
                      lw=2, marker="o", ms=2.5, label=_label(kind, r))
        t, loss = np.asarray(r["epoch_time"]), np.asarray(r["epoch_loss"])
        upe = r["updates_per_epoch"]
        per_update = (_("{kind}: {updates} updates/epoch, {ms:.2g} ms/update") if upe != 1
                      else _("{kind}: {updates} update/epoch, {ms:.2g} ms/update"))
        by_time.plot(t[t > 0], loss[t > 0], color=COLORS[kind], lw=2, marker="o", ms=2.5,
                     label=per_update.format(kind=_kind(kind), updates=upe,
                                             ms=1e3 * r["seconds_per_update"]))
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
    fig.suptitle(_("Breast cancer, MLP 30-16-16-1, {epochs} epochs each, same start").format(
        epochs=n["epochs"]))

    fig_n = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig_n.subplots(1, 3, sharey=True)
    for ax, kind in zip(axes, KINDS):
        r = runs[kind]
        step = np.asarray(r["step_loss"], dtype=np.float64)
        x = np.arange(len(step)) / max(r["updates_per_epoch"], 1)   # before each update
        single = r["updates_per_epoch"] == 1
        ax.plot(x, np.maximum(step, 1e-8), color=COLORS[kind], lw=3 if single else 0.6,
                alpha=0.8 if single else 0.5, label=_("loss each update saw"))
        ax.plot(np.arange(len(r["epoch_loss"])), r["epoch_loss"], color="k", lw=1.2, ls="--",
                label=_("whole training set, after each epoch"))
        ax.set_yscale("log")
        ax.set_xlabel(_("epoch"))
        ax.set_title(_("{kind}: noise {noise:.2f}, rises {rises:.0%}").format(
            kind=_kind(kind), noise=r["relative_noise"], rises=r["rising_fraction"]),
            fontsize=10)
    axes[0].set_ylabel(_("loss (log scale)"))
    axes[0].legend(fontsize=8, loc="lower left")
    fig_n.suptitle(_("How noisy each kind of descent is: the loss of each update's batch"))
    return {"loss": fig, "noise": fig_n}
