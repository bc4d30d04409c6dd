"""``fit``: the training loop the lectures describe, with a History of what happened.

Every step: forward pass, loss, one backward pass, one optimizer update. Every epoch:
the mean training loss, metrics on the training and validation data, wall time.
Callbacks see every step (the gradient-flow monitor plugs in here).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from . import random as _random
from .checkpoint import load, save
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["fit", "evaluate", "History", "Callback", "NonFiniteLossError", "accuracy"]


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; ``.epoch``, ``.step`` and ``.history`` say when."""

    def __init__(self, epoch: int, step: int, loss: float, history: "History") -> None:
        super().__init__(f"fit: the loss became {loss} at epoch {epoch}, step {step} (step "
                         f"{history.steps + 1} overall); training stopped. A smaller learning rate "
                         "usually helps.")
        self.epoch, self.step, self.loss, self.history = epoch, step, loss, history


def accuracy(output: Tensor, target, threshold: float = 0.5) -> float:
    """Fraction of correct predictions. Outputs of shape (N, C) with C > 1 are class
    scores (the arg-max is the prediction); outputs of shape (N,) or (N, 1) are binary,
    predicted 1 above ``threshold`` (0.5 for probabilities; pass 0 for logits)."""
    out = output.data if isinstance(output, Tensor) else np.asarray(output)
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    else:
        pred = (out.reshape(len(out)) > threshold).astype(y.dtype)
    return float(np.mean(pred == y.reshape(len(y))))


@dataclass
class History:
    """What ``fit`` measured: per step the loss, per epoch the mean training loss,
    each metric on the training and validation data, and the wall time."""

    step_loss: list = field(default_factory=list)
    epochs: list = field(default_factory=list)     # one dict per epoch
    stopped_early: bool = False
    wall_time: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.step_loss)

    def __getitem__(self, key: str) -> list:
        """The per-epoch series of one quantity: ``history["val_accuracy"]``."""
        if not self.epochs or key not in self.epochs[0]:
            known = sorted(self.epochs[0]) if self.epochs else []
            raise KeyError(f"History: no per-epoch '{key}'; recorded: {known}")
        return [e[key] for e in self.epochs]

    @property
    def train_loss(self) -> list:
        return self["train_loss"]

    @property
    def val_loss(self) -> list:
        return self["val_loss"]

    def to_dict(self) -> dict:
        return {"step_loss": list(self.step_loss), "epochs": list(self.epochs),
                "stopped_early": self.stopped_early, "wall_time": self.wall_time}

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(list(d["step_loss"]), [dict(e) for e in d["epochs"]],
                   bool(d["stopped_early"]), float(d["wall_time"]))


class Callback:
    """Hooks into ``fit``; override what you need. ``ctx`` carries model, optimizer,
    epoch, step, batch, output, loss and history; setting ``ctx.stop = True`` ends
    training after the current step."""

    def on_train_begin(self, ctx) -> None: ...
    def on_backward_end(self, ctx) -> None: ...   # gradients are in .grad, weights unchanged
    def on_step_end(self, ctx) -> None: ...       # the optimizer has updated the weights
    def on_epoch_end(self, ctx) -> None: ...
    def on_train_end(self, ctx) -> None: ...


@dataclass
class _Context:
    model: object
    optimizer: object
    history: History
    epoch: int = 0
    step: int = 0
    batch: tuple = ()
    output: Tensor | None = None
    loss: Tensor | None = None
    stop: bool = False


def evaluate(model, loss_fn: Callable, X, y, metrics: dict | None = None,
             batch_size: int | None = None) -> dict:
    """Loss and metrics of model on (X, y), in eval mode and without a graph."""
    from .data import DataLoader

    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        outs, targets = [], []
        with no_grad():
            for xb, yb in DataLoader(X, y, batch_size=batch_size, shuffle=False):
                outs.append(model(xb).data)
                targets.append(yb.data)
            out = Tensor(np.concatenate(outs))
            target = Tensor(np.concatenate(targets))
            result = {"loss": float(loss_fn(out, target).item())}
        for name, metric in (metrics or {}).items():
            result[name] = float(metric(out, target))
        return result
    finally:
        if was_training and hasattr(model, "train"):
            model.train()


def _progress(enabled: bool | None, total: int):
    """A rich progress bar on a terminal; nothing when output is redirected."""
    if enabled is None:
        enabled = sys.stdout.isatty()
    if not enabled:
        return None
    try:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeRemainingColumn)
    except ImportError:
        return None
    progress = Progress(TextColumn("epoch"), MofNCompleteColumn(), BarColumn(),
                        TextColumn("{task.fields[info]}"), TimeRemainingColumn(), transient=True)
    progress.start()
    progress.add_task("fit", total=total, info="")
    return progress


def _checkpoint_state(model, optimizer, scheduler, loader, history: History,
                      epoch: int) -> dict:
    """Everything a resumed run needs to continue bit for bit: weights, optimizer and
    scheduler state, where the loader's shuffling and chainrule's generator stand."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": epoch, "history": history.to_dict(), "loader": loader.state_dict(),
            "rng": _random.get_state()}


def _resume(path: Path, model, optimizer, scheduler, loader) -> tuple[int, History]:
    state = load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    loader.load_state_dict(state["loader"])
    _random.set_state(state["rng"])
    return int(state["epoch"]), History.from_dict(state["history"])


def fit(model, loss_fn: Callable, optimizer, data, epochs: int, *,
        val_data: tuple | None = None, metrics: dict | None = None, tol: float | None = None,
        callbacks: Iterable[Callback] = (), scheduler=None, checkpoint=None,
        progress: bool | None = None, batch_size: int | None = None) -> History:
    """Train model for ``epochs`` epochs and return the History.

    data: a ``cr.data.DataLoader``, or ``(X, y)`` arrays (then ``batch_size`` picks batch,
    stochastic or mini-batch gradient descent, as in DataLoader). val_data: ``(X, y)``.
    metrics: ``{"accuracy": cr.train.accuracy}``, measured each epoch on the training and
    validation data (with metrics, ``train_eval_loss`` is the loss on the whole training
    set at the epoch's end; ``train_loss`` is always the mean over the epoch's steps).
    tol: stop once an epoch's mean training loss is below it (the
    lectures' "stop when f is small enough"). checkpoint: a path; the state is saved
    there after every epoch, and a run that finds it resumes from it (same result, bit
    for bit, as an uninterrupted run). A NaN or infinite loss raises NonFiniteLossError
    naming the epoch and step.

    >>> history = cr.train.fit(model, F.binary_cross_entropy, opt, (X, y), epochs=100)
    """
    from .data import DataLoader

    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    loader = data if isinstance(data, DataLoader) else DataLoader(*data, batch_size=batch_size)
    callbacks = list(callbacks)
    history, start_epoch = History(), 0
    checkpoint = Path(checkpoint) if checkpoint is not None else None
    if checkpoint is not None and checkpoint.exists():
        start_epoch, history = _resume(checkpoint, model, optimizer, scheduler, loader)

    ctx = _Context(model, optimizer, history)
    if hasattr(model, "train"):
        model.train()
    for cb in callbacks:
        cb.on_train_begin(ctx)
    bar = _progress(progress, epochs)
    if bar is not None:
        bar.update(bar.task_ids[0], completed=start_epoch)
    started = time.perf_counter() - history.wall_time
    try:
        for epoch in range(start_epoch + 1, epochs + 1):
            ctx.epoch = epoch
            record = {"epoch": epoch, "train_loss": _train_epoch(ctx, loader, loss_fn,
                                                                 callbacks, started)}
            if scheduler is not None:
                scheduler.step()
            if metrics:     # on the whole training set, in eval mode, at the epoch's end
                for name, value in evaluate(model, loss_fn, loader.X, loader.y,
                                            metrics).items():
                    record["train_eval_loss" if name == "loss" else f"train_{name}"] = value
            if val_data is not None:
                for name, value in evaluate(model, loss_fn, *val_data, metrics).items():
                    record[f"val_{name}"] = value
            history.wall_time = time.perf_counter() - started
            record["time"] = history.wall_time
            history.epochs.append(record)
            for cb in callbacks:
                cb.on_epoch_end(ctx)
            if bar is not None:
                bar.update(bar.task_ids[0], advance=1,
                           info=f"loss {record['train_loss']:.4g}")
            if checkpoint is not None:
                save(_checkpoint_state(model, optimizer, scheduler, loader, history, epoch),
                     checkpoint)
            if ctx.stop or (tol is not None and record["train_loss"] < tol):
                history.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.stop()
    for cb in callbacks:
        cb.on_train_end(ctx)
    return history


def _train_epoch(ctx: _Context, loader, loss_fn: Callable, callbacks: list,
                 started: float) -> float:
    """One pass over the loader, one update per batch; the mean loss per sample."""
    history, optimizer = ctx.history, ctx.optimizer
    total, count = 0.0, 0
    # A diverging run overflows before its loss turns inf; fit reports that itself
    # (NonFiniteLossError), so NumPy's overflow warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        for step, (xb, yb) in enumerate(loader, start=1):
            ctx.step, ctx.batch = step, (xb, yb)
            optimizer.zero_grad()
            ctx.output = ctx.model(xb)
            ctx.loss = loss_fn(ctx.output, yb)
            value = float(ctx.loss.item())
            if not np.isfinite(value):
                history.wall_time = time.perf_counter() - started
                raise NonFiniteLossError(ctx.epoch, step, value, history)
            ctx.loss.backward()
            for cb in callbacks:
                cb.on_backward_end(ctx)
            optimizer.step()
            history.step_loss.append(value)
            total += value * len(xb)
            count += len(xb)
            for cb in callbacks:
                cb.on_step_end(ctx)
            if ctx.stop:
                break
    ctx.output = ctx.loss = None     # let the last graph go
    return total / max(count, 1)
