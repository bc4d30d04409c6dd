"""``fit``: the training loop the lectures describe, with a History of what happened.

Every step: forward pass, loss, one backward pass, one optimizer update. Every epoch:
the mean training loss, metrics on the training and validation data, wall time.
Callbacks see every step (the gradient-flow monitor plugs in here).
"""
from __future__ import annotations

import functools
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from . import random as _random, replay
from .checkpoint import load, save
from .data import DataLoader
from .display import progress_bar
from .fileio import check_writable
from .grad_mode import no_grad
from .history import History
from .nn import activation as _activation, container as _container, layers as _layers
from .nn import losses as _losses
from .tensor import Tensor

__all__ = ["fit", "evaluate", "History", "Callback", "NonFiniteLossError", "accuracy",
           "output_kind", "binary_threshold"]


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite; ``.epoch``, ``.step`` and ``.history`` say when."""

    def __init__(self, epoch: int, step: int, loss: float, history: "History") -> None:
        super().__init__(f"fit: the loss became {loss} at epoch {epoch}, step {step} (step "
                         f"{history.steps + 1} overall); training stopped. A smaller learning rate "
                         "usually helps.")
        self.epoch, self.step, self.loss, self.history = epoch, step, loss, history


def accuracy(output: Tensor, target, threshold: float | None = None, *,
             from_logits: bool | None = None) -> float:
    """Fraction of correct predictions.

    Outputs of shape (N, C) with C > 1 are class scores: the arg-max is the prediction
    (logits or probabilities alike). Outputs of shape (N,) or (N, 1) are binary, and the cut
    depends on what they are: **logits** (what ``nn.mlp`` and any model ending in a
    ``Linear`` give, what ``BCEWithLogitsLoss`` takes) predict 1 above 0; **probabilities**
    (after a sigmoid) above 0.5. Say which with ``from_logits=True``/``False`` (Keras'
    name), or give the ``threshold`` itself. Left unsaid, values outside [0, 1] can only be
    logits and are cut at 0; values all inside [0, 1] could be either, and the answer would
    differ, so that is a ValueError rather than a silently wrong number. ``fit`` and
    ``evaluate`` say it for you when the loss or the model's last layer tells (see
    ``output_kind``). Integer or boolean outputs are taken as predicted labels.

    >>> cr.train.accuracy(cr.tensor([[2.0], [-1.0]]), [1, 0])                  # logits: 1.0
    1.0
    >>> cr.train.accuracy(cr.tensor([0.9, 0.4]), [1, 1], from_logits=False)     # 0.5
    0.5
    """
    out = output.data if isinstance(output, Tensor) else np.asarray(output)
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if len(out) != len(y):
        raise ValueError(f"accuracy: {len(out)} outputs (shape {out.shape}) but {len(y)} "
                         f"targets (shape {y.shape})")
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)
    elif out.dtype.kind in "biu":
        pred = out.reshape(len(out))
    else:
        cut = binary_threshold(out, threshold, from_logits)
        pred = (out.reshape(len(out)) > cut).astype(y.dtype)
    return float(np.mean(pred == y.reshape(len(y))))


def binary_threshold(out, threshold: float | None = None,
                     from_logits: bool | None = None) -> float:
    """Where binary outputs are cut, by ``accuracy``'s rule: the threshold given, 0 for
    logits, 0.5 for probabilities; a ValueError when it cannot be told which they are."""
    out = out.data if isinstance(out, Tensor) else np.asarray(out)
    if threshold is not None:
        return float(threshold)
    inside = out.size == 0 or bool(np.nanmin(out) >= 0 and np.nanmax(out) <= 1)
    if from_logits is None and not inside:
        return 0.0
    if from_logits is None:
        raise ValueError(
            "accuracy: binary outputs all in [0, 1] could be probabilities (cut at 0.5) or "
            "logits (cut at 0), and the two give different accuracies; say which: "
            "from_logits=True for a model ending in a Linear layer (nn.mlp, what "
            "BCEWithLogitsLoss takes), from_logits=False after a sigmoid (what "
            "binary_cross_entropy takes), e.g. metrics={'accuracy': functools.partial("
            "cr.train.accuracy, from_logits=True)}")
    if not from_logits and not inside:
        raise ValueError(f"accuracy: from_logits=False, but the outputs run from "
                         f"{np.nanmin(out):.4g} to {np.nanmax(out):.4g}, outside [0, 1]: they "
                         "are not probabilities; pass from_logits=True (cut at 0)")
    return 0.0 if from_logits else 0.5


def _loss_takes(loss_fn) -> str | None:
    """What one of chainrule's losses takes: "logits", "class logits" (cross_entropy) or
    "probabilities"; None for any other loss function."""
    for fn, module, takes in ((_losses.binary_cross_entropy_with_logits,
                               _losses.BCEWithLogitsLoss, "logits"),
                              (_losses.cross_entropy, _losses.CrossEntropyLoss, "class logits"),
                              (_losses.binary_cross_entropy, _losses.BCELoss, "probabilities")):
        if loss_fn is fn or isinstance(loss_fn, module):
            return takes
    return None


def output_kind(model, loss_fn) -> bool | None:
    """Whether the model's outputs are logits (True), probabilities (False) or unknown
    (None), as ``fit`` and ``evaluate`` tell ``accuracy``: from the loss when it is one of
    chainrule's (``binary_cross_entropy_with_logits``, ``cross_entropy`` and their modules
    take logits; ``binary_cross_entropy``/``BCELoss`` probabilities), else from the last
    layer of a Sequential (``Sigmoid``/``Softmax``: probabilities; ``Linear``: logits).

    >>> cr.train.output_kind(nn.mlp(2, 1, depth=2, width=8), F.mse_loss)    # True
    True
    """
    takes = _loss_takes(loss_fn)
    if takes is not None:
        return takes != "probabilities"
    last = model
    while isinstance(last, _container.Sequential) and len(last):
        last = last[len(last) - 1]
    if isinstance(last, (_activation.Sigmoid, _activation.Softmax)):
        return False
    return True if isinstance(last, _layers.Linear) else None


def _metrics_for(metrics: dict | None, model, loss_fn) -> dict:
    """The metrics, with ``accuracy`` told whether the outputs are logits when that is known."""
    metrics = dict(metrics or {})
    if any(m is accuracy for m in metrics.values()):
        kind = output_kind(model, loss_fn)
        if kind is not None:
            metrics = {name: functools.partial(accuracy, from_logits=kind)
                       if m is accuracy else m for name, m in metrics.items()}
    return metrics


def _reads_columns(loss_fn) -> bool:
    """Whether loss_fn is one of chainrule's element-wise losses (MSE, BCE, BCE with logits),
    for which ``fit`` reads a target of shape (N,) as the column a one-column output needs.
    A loss function of the user's own gets the targets exactly as the data hold them."""
    return (_loss_takes(loss_fn) in ("logits", "probabilities") or loss_fn is _losses.mse_loss
            or isinstance(loss_fn, _losses.MSELoss))


def _as_column(output: Tensor, target: Tensor, reshape: bool) -> Tensor:
    """A target of shape (N,) for an output of shape (N, 1) is read as the column it stands
    for, when ``reshape`` (see ``_reads_columns``): every dataset gives y as (N,),
    ``nn.mlp(..., 1)`` outputs (N, 1)."""
    if (reshape and output.ndim == 2 and output.shape[1] == 1 and target.ndim == 1
            and target.shape[0] == output.shape[0]):
        return target.reshape(-1, 1)
    return target


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
    compiled: object = None       # fit(compile=True): the recorded step


def evaluate(model, loss_fn: Callable, X, y, metrics: dict | None = None,
             batch_size: int | None = None) -> dict:
    """Loss and metrics of model on (X, y), in eval mode and without a graph. As in ``fit``,
    y of shape (N,) for outputs of shape (N, 1) is read as a column, and ``accuracy`` is
    told whether the outputs are logits when the loss or the model says (``output_kind``)."""

    metrics = _metrics_for(metrics, model, loss_fn)

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
            loss = loss_fn(out, _as_column(out, target, _reads_columns(loss_fn)))
            result = {"loss": _loss_value(loss, "evaluate")}
        for name, metric in metrics.items():
            result[name] = float(metric(out, target))
        return result
    finally:
        if was_training and hasattr(model, "train"):
            model.train()


def _loss_value(loss, who: str) -> float:
    """The loss as a float, once it is checked to be what backward() needs."""
    if not isinstance(loss, Tensor):
        raise TypeError(f"{who}: loss_fn must return the loss as a scalar Tensor computed from "
                        f"the model's output (backward() starts from it), got "
                        f"{type(loss).__name__} {loss!r}; return e.g. F.mse_loss(output, "
                        "target) itself, not its .item()")
    if loss.data.size != 1:
        raise ValueError(f"{who}: loss_fn must return a scalar (one-element) Tensor, got shape "
                         f"{loss.shape}; reduce it, e.g. with reduction='mean'")
    return float(loss.item())


def _checkpoint_state(model, optimizer, scheduler, loader, history: History,
                      epoch: int) -> dict:
    """Everything a resumed run needs to continue bit for bit: weights, optimizer and
    scheduler state, where the loader's shuffling and chainrule's generator stand."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "epoch": epoch, "history": history.to_dict(), "loader": loader.state_dict(),
            "rng": _random.get_state()}


_CHECKPOINT_KEYS = ("model", "optimizer", "scheduler", "epoch", "history", "loader", "rng")


def _checkpoint_path(checkpoint) -> Path | None:
    """checkpoint= as a Path, refused now (not after the first epoch) if it cannot be written."""
    if checkpoint is None:
        return None
    if isinstance(checkpoint, bool) or not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"fit: checkpoint must be a file path (str or Path) or None, got "
                        f"{checkpoint!r}")
    path = Path(checkpoint)
    if path.is_dir():
        raise ValueError(f"fit: checkpoint must be a file path, got the directory {path}; "
                         f"pass e.g. checkpoint='{path / 'fit.safetensors'}'")
    try:
        check_writable(path)
    except ValueError as e:
        raise ValueError(f"fit: checkpoint={str(path)!r}: {e}") from None
    return path


def _resume(path: Path, model, optimizer, scheduler, loader) -> tuple[int, History]:
    state = load(path)
    if not isinstance(state, dict) or not set(_CHECKPOINT_KEYS) <= set(state):
        held = (f"keys {sorted(map(str, state))}" if isinstance(state, dict)
                else f"a {type(state).__name__}")
        raise ValueError(f"fit: {path} is not a checkpoint saved by fit (it holds {held}; "
                         f"fit's hold {', '.join(_CHECKPOINT_KEYS)}), so training cannot resume "
                         "from it; pass another checkpoint= path, or delete the file to start "
                         "afresh")
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
        progress: bool | None = None, batch_size: int | None = None,
        compile: bool = False) -> History:
    """Train model for ``epochs`` epochs and return the History.

    data: a ``cr.data.DataLoader``, or ``(X, y)`` arrays (then ``batch_size`` picks batch,
    stochastic or mini-batch gradient descent, as in DataLoader). val_data: ``(X, y)``.
    metrics: ``{"accuracy": cr.train.accuracy}``, measured each epoch on the training and
    validation data (with metrics, ``train_eval_loss`` is the loss on the whole training
    set at the epoch's end; ``train_loss`` is always the mean over the epoch's steps);
    ``accuracy`` is told whether the outputs are logits (``output_kind``). Targets of shape
    (N,) for a one-column output (``nn.mlp(..., 1)``) are read as (N, 1).
    tol: stop once an epoch's mean training loss is below it (the
    lectures' "stop when f is small enough"). checkpoint: a path; the state is saved
    there after every epoch, and a run that finds it resumes from it (same result, bit
    for bit, as an uninterrupted run). A NaN or infinite loss raises NonFiniteLossError
    naming the epoch and step. progress: a bar per epoch (None: in Jupyter and on a
    terminal, not when output is redirected). compile: record the training step once and
    replay it (``cr.compile``; the same History, faster on small networks); a callback
    that reads gradients before the update (``on_backward_end``) keeps the step eager, and
    a non-finite loss is then caught after the update that produced it.

    >>> X, y = cr.datasets.moons(n=200, noise=0.1, seed=0)
    >>> model = nn.mlp(2, 1, depth=2, width=16)       # logits; y of shape (N,) is fine
    >>> opt = cr.optim.Adam(model.parameters(), lr=0.01)
    >>> history = cr.train.fit(model, F.binary_cross_entropy_with_logits, opt, (X, y),
    ...                        epochs=100, progress=False, metrics={"accuracy": cr.train.accuracy})
    """

    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative int, got {epochs!r}")
    loader = data if isinstance(data, DataLoader) else DataLoader(*data, batch_size=batch_size)
    callbacks = list(callbacks)
    history, start_epoch = History(), 0
    checkpoint = _checkpoint_path(checkpoint)
    if checkpoint is not None and checkpoint.exists():
        start_epoch, history = _resume(checkpoint, model, optimizer, scheduler, loader)

    ctx = _Context(model, optimizer, history)
    if compile:
        ctx.compiled = _compiled_step(model, optimizer, loss_fn, callbacks)
    if hasattr(model, "train"):
        model.train()
    for cb in callbacks:
        cb.on_train_begin(ctx)
    bar = progress_bar(progress, epochs)
    if bar is not None:
        bar.update(completed=start_epoch)
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
                bar.update(advance=1, info=f"loss {record['train_loss']:.4g}")
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


def reads_gradients(callbacks: Iterable) -> list[str]:
    """The names of the callbacks that look at the gradients before the update
    (``on_backward_end``): a step they watch cannot be replayed as a whole."""
    return [type(cb).__name__ for cb in callbacks
            if type(cb).on_backward_end is not Callback.on_backward_end]


def _compiled_step(model, optimizer, loss_fn: Callable, callbacks: list):
    """fit's step as one function of the batch, for ``cr.compile``; None when a callback
    must see the gradients before the update (the step then stays eager, as it says)."""
    readers = reads_gradients(callbacks)
    if readers:
        warnings.warn(f"fit: compile=True runs the step eagerly: {', '.join(readers)} reads "
                      "the gradients between backward and the update", replay.ReplayWarning,
                      stacklevel=3)
        return None
    columns = _reads_columns(loss_fn)

    def train_step(xb, yb):
        optimizer.zero_grad()
        _, loss = _forward(model, loss_fn, xb, yb, columns)
        _loss_value(loss, "fit")          # (its checks, on the recorded call)
        loss.backward()
        optimizer.step()
        return loss
    return replay.compile(train_step)


def _forward(model, loss_fn: Callable, xb: Tensor, yb: Tensor, columns: bool) -> tuple:
    """The model's output on a batch and the loss, as every step of fit computes them."""
    output = model(xb)
    return output, loss_fn(output, _as_column(output, yb, columns))


def _train_epoch(ctx: _Context, loader, loss_fn: Callable, callbacks: list,
                 started: float) -> float:
    """One pass over the loader, one update per batch; the mean loss per sample."""
    history, optimizer = ctx.history, ctx.optimizer
    columns = _reads_columns(loss_fn)
    total, count = 0.0, 0
    # A diverging run overflows before its loss turns inf; fit reports that itself
    # (NonFiniteLossError), so NumPy's overflow warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        for step, (xb, yb) in enumerate(loader, start=1):
            ctx.step, ctx.batch = step, (xb, yb)
            if ctx.compiled is not None:   # the whole step, replayed; no output kept
                ctx.loss = ctx.compiled(xb, yb)
            else:
                optimizer.zero_grad()
                ctx.output, ctx.loss = _forward(ctx.model, loss_fn, xb, yb, columns)
            value = _loss_value(ctx.loss, "fit")
            if not np.isfinite(value):
                history.wall_time = time.perf_counter() - started
                raise NonFiniteLossError(ctx.epoch, step, value, history)
            if ctx.compiled is None:
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
