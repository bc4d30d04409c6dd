"""Losses, as functions (``F.mse_loss`` ...) and as modules (``nn.MSELoss()`` ...).

Every loss takes ``reduction``: "mean" (default) averages the per-element losses, "sum"
adds them, "none" returns them. Targets may be Tensors or NumPy arrays; floating targets
are cast to the input's dtype, so float32 stays float32.

The three cross-entropies are fused ops: the forward and the backward of
``reduce(per-element loss)`` form a single graph node, with the stable, cheap gradients
sigmoid(x) - y and softmax(x) - onehot(y). They are the hot path of every classifier and
fusing pays: forward + backward take half the time of the composed versions (measured on
a batch of 256: 28 vs 63 us for binary_cross_entropy_with_logits, 70 vs 139 us for
cross_entropy over 10 classes). Their local derivatives are written once against the
rule namespace ``xp`` (``ops/xp.py``), so they also work when the backward pass is recorded
(``create_graph=True``).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import ops
from ..ops.xp import NUMPY
from ..tensor import Tensor, as_array, result
from .module import Module

__all__ = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"]

_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0     # PyTorch clamps log(p) in binary_cross_entropy at -100
_EPS = 1e-12            # and the denominator p (1 - p) of its gradient at 1e-12


# ------------------------------------------------------------------ checks
def _check_reduction(reduction, op: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of 'mean', 'sum', 'none', got "
                         f"{reduction!r}")


def _check_input(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")


def _as_target(target, like: Tensor, op: str) -> Tensor:
    """The target as a Tensor in the input's dtype (a Tensor target keeps its graph)."""
    if isinstance(target, Tensor):
        return target if target.dtype == like.dtype else ops.astype(target, like.dtype)
    return Tensor(as_array(target, like.dtype, op=op))


def _check_same_shape(x: Tensor, target: Tensor, op: str) -> None:
    if x.shape == target.shape:
        return
    if x.ndim and target.ndim and x.shape[0] != target.shape[0]:
        raise ValueError(f"{op}: batch sizes differ: the input has {x.shape[0]} (shape "
                         f"{x.shape}), the target {target.shape[0]} (shape {target.shape})")
    hint = ""
    if x.ndim == 2 and x.shape[1] == 1 and target.shape == x.shape[:1]:
        # nn.mlp(..., 1) outputs (N, 1), every dataset gives y as (N,)
        hint = (" (a one-column output against targets of shape (N,): reshape the target "
                "with y.reshape(-1, 1), or squeeze the output with output.squeeze(1); "
                "cr.train.fit does the former for you)")
    elif target.ndim == 2 and target.shape[1] == 1 and x.shape == target.shape[:1]:
        hint = " (targets as a column: flatten them with y.reshape(-1))"
    raise ValueError(f"{op}: the input has shape {x.shape} but the target {target.shape}; "
                     f"they must be equal{hint}")


def _paired_target(input: Tensor, target, reduction: str, op: str) -> Tensor:
    """Check a loss's input, target and reduction; the target as a tensor of the input's
    dtype and shape."""
    _check_reduction(reduction, op)
    _check_input(input, op)
    target = _as_target(target, input, op)
    _check_same_shape(input, target, op)
    return target


def _check_unit_interval(t: Tensor, what: str, op: str) -> None:
    a = t.data
    # (the ufuncs' own reduce: a.min() and a.max() cost twice as much, through Python)
    if a.size and not (np.minimum.reduce(a, axis=None) >= 0
                       and np.maximum.reduce(a, axis=None) <= 1):
        raise ValueError(f"{op}: {what} must lie in [0, 1], got values from {a.min():.6g} to "
                         f"{a.max():.6g}")


# -------------------------------------------------------------- reduction
def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return ops.mean(losses)
    return ops.sum(losses) if reduction == "sum" else losses


def _fused(op: str, values: Callable, reduction: str, grads: list[tuple[Tensor, Callable]],
           fast_grads: list[Callable] | None = None, replay: dict | None = None) -> Tensor:
    """One graph node for reduce(values(*inputs)), ``values`` giving the per-element losses
    from the inputs' arrays. ``grads`` pairs each input with ``local(xp, *inputs)``, d losses
    / d input elementwise (written against the rule namespace, see ``ops/xp.py``); the rule
    multiplies it by the upstream gradient (divided by n for the mean). ``fast_grads``, one
    per input (None where it needs no gradient), replace the locals in a plain pass
    (``result(..., fast=)``); they may reuse the forward's arrays. ``cr.compile`` replays
    the node from ``values`` and the locals (``replay`` adds what else it needs); it gets
    the reduction and the upstream gradient's ``scale`` too."""
    inputs = tuple(t for t, _ in grads)
    losses = values(*[t.data for t in inputs])
    if reduction == "mean" and losses.size == 0:
        raise ValueError(f"{op}: reduction='mean' of an empty batch is undefined")
    scale = 1.0 / losses.size if reduction == "mean" else 1.0
    locals_ = [local if t.requires_grad else None for t, local in grads]
    rule = _upstream_times(scale, locals_)
    fast = None if fast_grads is None else _upstream_times(scale, fast_grads)
    replay = {"values": values, "locals": locals_, **(replay or {}),
              "reduction": reduction, "scale": scale}
    return result(np.asarray(reduce_losses(losses, reduction), losses.dtype), inputs, rule, op,
                  fast=fast, replay=replay)


def reduce_losses(losses: np.ndarray, reduction: str):
    """The per-element losses as the reduction asks: themselves, their sum or mean."""
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _upstream_times(scale: float, locals_: list) -> Callable:
    """The rule g * scale * local(xp, *inputs) for each input (None: needs no gradient)."""
    def rule(xp, g, out, *inputs):
        if scale != 1.0:
            g = g * scale
        return tuple(None if local is None else _times(g, local(xp, *inputs))
                     for local in locals_)
    return rule


def _times(g, local):
    """upstream x local, with g's trailing axes added where local has more (cross_entropy
    with reduction='none': g is (N,), local (N, C))."""
    if g.ndim < local.ndim:
        g = g.reshape(g.shape + (1,) * (local.ndim - g.ndim))
    return g * local


def _clamped_log(xp, x):
    """max(log x, -100), as PyTorch's binary_cross_entropy."""
    return xp.clip(xp.log(x), _LOG_FLOOR, None)


# ------------------------------------------------------------------ losses
def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error: reduce((input - target)**2). Shapes must be equal (no silent
    broadcasting). Composed from engine ops.

    >>> F.mse_loss(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 0.0]))    # (1 + 4) / 2 = 2.5
    tensor(2.5)
    """
    target = _paired_target(input, target, reduction, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities p = input against targets y in [0, 1]:

        loss_i = -(y_i log p_i + (1 - y_i) log(1 - p_i)),

    with each log clamped at -100, as PyTorch does, so that p = 0 or 1 gives a large finite
    loss instead of inf. d loss_i / d p_i = (p_i - y_i) / max(p_i (1 - p_i), 1e-12).
    Prefer ``binary_cross_entropy_with_logits`` on the pre-sigmoid values: it is exact
    where sigmoid saturates.

    >>> F.binary_cross_entropy(cr.tensor([0.9]), cr.tensor([1.0]))   # -log 0.9 = 0.1054
    tensor(0.1054)
    """
    op = "binary_cross_entropy"
    target = _paired_target(input, target, reduction, op)
    _check_unit_interval(input, "input probabilities", op)
    _check_unit_interval(target, "targets", op)

    def d_input(xp, p, y):
        return (p - y) / xp.maximum(p * (1 - p), _EPS)

    def d_target(xp, p, y):
        return _clamped_log(xp, 1 - p) - _clamped_log(xp, p)

    return _fused(op, _bce_values, reduction, [(input, d_input), (target, d_target)])


def _bce_values(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    return -(y * _clamped_log(NUMPY, p) + (1 - y) * _clamped_log(NUMPY, 1 - p))


def binary_cross_entropy_with_logits(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(x) against y, computed from the logits x in the
    stable form

        loss_i = max(x_i, 0) - x_i y_i + log(1 + e**-|x_i|),

    which neither overflows nor loses precision for logits of +-1000. The gradient is the
    simple d loss_i / d x_i = sigmoid(x_i) - y_i (and d/dy_i = -x_i).

    >>> F.binary_cross_entropy_with_logits(cr.tensor([1000.0]), cr.tensor([0.0]))   # 1000
    tensor(1000.)
    """
    op = "binary_cross_entropy_with_logits"
    target = _paired_target(input, target, reduction, op)
    _check_unit_interval(target, "targets", op)

    def d_input(xp, x, y):
        return xp.sigmoid(x) - y

    def d_target(xp, x, y):
        return -x

    return _fused(op, _bce_logits_values, reduction, [(input, d_input), (target, d_target)])


def _bce_logits_values(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    magnitude = np.abs(x)
    if x.size and not np.maximum.reduce(magnitude, axis=None) < np.inf:   # inf or NaN
        # PyTorch's values at +-inf: (1 - y) * inf, and NaN at -inf
        with np.errstate(invalid="ignore"):   # (inf * 0 and inf - inf)
            losses = np.maximum(x, 0) - x * y + np.log1p(np.exp(-magnitude))
            return np.where(np.isinf(x), np.where(x > 0, (1 - y) * x, np.nan), losses)
    # (errstate costs 3 us a call, so only where needed)
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-magnitude))


def _check_labels(labels, logits: Tensor, op: str) -> np.ndarray:
    """Integer class ids of shape (N,), each in [0, C)."""
    if logits.ndim != 2:
        raise ValueError(f"{op}: expected logits of shape (N, C), got shape {logits.shape}")
    arr = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    n, c = logits.shape
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{op}: labels must be integer class ids in [0, {c - 1}], got dtype "
                         f"{arr.dtype}; convert them with .astype(int)")
    if arr.ndim != 1:
        raise ValueError(f"{op}: labels must have shape (N,) = ({n},), got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{op}: batch sizes differ: the logits have {n} rows (shape "
                         f"{logits.shape}), the labels {arr.shape[0]}")
    if arr.size and (arr.min() < 0 or arr.max() >= c):
        raise ValueError(f"{op}: class ids must lie in [0, {c - 1}] for {c} classes, got "
                         f"values from {arr.min()} to {arr.max()}")
    return arr


def cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of logits (N, C) against integer class ids (N,):

        loss_i = -log softmax(x_i)[y_i] = logsumexp(x_i) - x_i[y_i],

    computed on logits shifted by their row maximum. d loss_i / d x_i = softmax(x_i) -
    onehot(y_i).

    >>> F.cross_entropy(cr.zeros(2, 4), [0, 3])     # log 4 = 1.3863
    tensor(1.3863)
    """
    op = "cross_entropy"
    _check_reduction(reduction, op)
    _check_input(input, op)
    labels = _check_labels(target, input, op)
    z, log_norm, losses = cross_entropy_parts(input.data, labels)
    onehot = one_hot(labels, input.shape[1], input.dtype)

    def d_input(xp, x):
        return xp.softmax(x, 1) - onehot

    # In a plain pass, from the forward's z and log_norm: 7 instead of 30 us for a batch of
    # 256 x 10 (measured), a quarter of the whole fused loss's forward + backward.
    def d_input_fast(xp, x):
        return np.exp(z - log_norm) - onehot

    return _fused(op, lambda x: losses, reduction, [(input, d_input)],
                  [d_input_fast if input.requires_grad else None],
                  replay={"labels": target if isinstance(target, Tensor) else labels})


def cross_entropy_parts(x: np.ndarray, labels: np.ndarray, rows=None) -> tuple:
    """z = x shifted by its row maxima, log_norm = log sum e**z per row (N, 1), and the
    per-row losses log_norm - z[label]: softmax(x) = e**(z - log_norm). (The ufuncs' own
    reduce, not ndarray.max / .sum: the same numbers without their Python layer.)"""
    z = x - np.maximum.reduce(x, axis=1, keepdims=True)
    log_norm = np.log(np.add.reduce(np.exp(z), axis=1, keepdims=True))
    rows = np.arange(x.shape[0]) if rows is None else rows
    losses = (log_norm[:, 0] - z[rows, labels]).astype(x.dtype, copy=False)
    return z, log_norm, losses


def one_hot(labels: np.ndarray, classes: int, dtype) -> np.ndarray:
    onehot = np.zeros((labels.shape[0], classes), dtype)
    onehot[np.arange(labels.shape[0]), labels] = 1
    return onehot


# --------------------------------------------------------------- modules
class _Loss(Module):
    """A loss function with its reduction fixed at construction: ``loss_fn(input, target)``."""

    function: Callable

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input: Tensor, target) -> Tensor:
        return type(self).function(input, target, reduction=self.reduction)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """``F.mse_loss`` as a module: ``nn.MSELoss()(prediction, target)``."""
    function = staticmethod(mse_loss)


class BCELoss(_Loss):
    """``F.binary_cross_entropy`` (on probabilities) as a module."""
    function = staticmethod(binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits`` (on logits; the stable choice) as a module."""
    function = staticmethod(binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy`` (logits (N, C), integer labels (N,)) as a module."""
    function = staticmethod(cross_entropy)
