"""Normalisation layers, composed from engine ops (so they need no backward of their own):
``layer_norm``/``LayerNorm`` over the feature axes of each sample and
``batch_norm``/``BatchNorm1d`` over the batch, per channel.

Both compute  y = (x - mean) / sqrt(var + eps) * weight + bias  with the biased variance
(divide by n); they differ only in the axes the statistics are taken over.
"""
from __future__ import annotations

import numpy as np

from .. import ops
from ..grad_mode import _state
from ..tensor import Tensor
from .module import Module, Parameter

__all__ = ["layer_norm", "batch_norm", "LayerNorm", "BatchNorm1d"]


def _normalize(x: Tensor, axes: tuple, eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps) over axes, with the biased variance."""
    centred = x - ops.mean(x, axes, keepdims=True)
    var = ops.mean(centred * centred, axes, keepdims=True)
    return centred / ops.sqrt(var + eps)


def _affine(x: Tensor, weight, bias, shape: tuple) -> Tensor:
    """x * weight + bias, each (if given) reshaped to broadcast as shape."""
    if weight is not None:
        x = x * ops.reshape(weight, shape)
    if bias is not None:
        x = x + ops.reshape(bias, shape)
    return x


def _as_shape(normalized_shape) -> tuple:
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(normalized_shape)
    if not shape or any(not isinstance(n, (int, np.integer)) or n <= 0 for n in shape):
        raise ValueError(f"LayerNorm: normalized_shape must be a positive int or a non-empty "
                         f"tuple of them, got {normalized_shape!r}")
    return tuple(int(n) for n in shape)


def layer_norm(x: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise each sample over its last len(normalized_shape) axes (Ba et al., 2016):
    y = (x - mean) / sqrt(var + eps) * weight + bias, var biased, as PyTorch.

    >>> F.layer_norm(cr.tensor([[1.0, 2.0, 3.0]]), 3)    # [[-1.2247, 0, 1.2247]]
    tensor([[-1.2247,  0.    ,  1.2247]])
    """
    shape = _as_shape(normalized_shape)
    _check_trailing(x, shape, "layer_norm")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    return _affine(_normalize(x, axes, eps), weight, bias, shape)


def _who(who) -> str:
    """The name an error starts with: a function's name or a layer's repr."""
    return who if isinstance(who, str) else repr(who)


def _check_trailing(x: Tensor, shape: tuple, who) -> None:
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"{_who(who)}: expected an input whose last dimension(s) are "
                         f"normalized_shape={shape}, got shape {x.shape}")


def _channel_axes(x: Tensor, who) -> tuple:
    if x.ndim not in (2, 3):
        raise ValueError(f"{_who(who)}: expected an input of shape (N, C) or (N, C, L), "
                         f"got shape {x.shape}")
    return (0,) if x.ndim == 2 else (0, 2)


def batch_norm(x: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation (Ioffe & Szegedy, 2015) of x of shape (N, C) or (N, C, L), per
    channel C, as PyTorch:

    - training: normalise with the batch's mean and *biased* variance; if running stats are
      given, update them in place with the *unbiased* variance:
      running = (1 - momentum) * running + momentum * batch_statistic.
    - otherwise: normalise with running_mean and running_var.

    >>> rm, rv = cr.zeros(3), cr.ones(3)
    >>> y = F.batch_norm(cr.randn(8, 3), rm, rv, training=True)   # rm, rv updated
    """
    axes = _channel_axes(x, "batch_norm")
    shape = (x.shape[1],) + (1,) * (x.ndim - 2)
    if training:
        n = x.data.size // x.shape[1]
        if n < 2:
            raise ValueError(f"batch_norm: training needs more than one value per channel to "
                             f"estimate a variance, got input of shape {x.shape}")
        y = _normalize(x, axes, eps)
        if running_mean is not None and running_var is not None:
            _update_running(x.data, axes, n, running_mean, running_var, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation (training=False) needs running_mean and "
                             "running_var")
        mean = running_mean.data.reshape(shape)
        inv_std = 1 / np.sqrt(running_var.data.reshape(shape) + eps)
        y = (x - mean.astype(x.dtype)) * inv_std.astype(x.dtype)
    return _affine(y, weight, bias, shape)


def _update_running(x: np.ndarray, axes: tuple, n: int, running_mean: Tensor,
                    running_var: Tensor, momentum: float) -> None:
    """The exponential moving averages BatchNorm uses at test time; the variance is the
    unbiased one (n - 1 in the denominator), as PyTorch."""
    if _state["recorder"] is not None:   # cr.compile: a write outside the graph, not replayed
        _state["recorder"].unsupported("BatchNorm's running statistics (updated outside the "
                                       "graph in train mode)")
    mean = x.mean(axis=axes)
    var = x.var(axis=axes, ddof=1)
    running_mean.data[...] = (1 - momentum) * running_mean.data + momentum * mean
    running_var.data[...] = (1 - momentum) * running_var.data + momentum * var


def _affine_parameters(shape: tuple, affine: bool, bias: bool, dtype) -> tuple:
    """The learned scale (ones) and shift (zeros) of a normalisation layer, or None."""
    weight = Parameter(np.ones(shape, dtype)) if affine else None
    return weight, Parameter(np.zeros(shape, dtype)) if affine and bias else None


class LayerNorm(Module):
    """Layer normalisation over the last axes of each sample, with a learned per-feature
    ``weight`` (ones) and ``bias`` (zeros) when elementwise_affine. Same in train and eval.

    >>> nn.LayerNorm(4)(cr.randn(2, 4)).shape
    (2, 4)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype=np.float32) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight, self.bias = _affine_parameters(self.normalized_shape, elementwise_affine,
                                                    bias, dtype)

    def forward(self, x: Tensor) -> Tensor:
        _check_trailing(x, self.normalized_shape, self)
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class BatchNorm1d(Module):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per feature/channel C, exactly as
    PyTorch's BatchNorm1d:

    - train mode: normalise with the batch mean and biased variance, and update the buffers
      ``running_mean``/``running_var`` (the latter with the unbiased variance) by
      running = (1 - momentum) * running + momentum * batch (momentum=None: a cumulative
      average over the ``num_batches_tracked`` batches seen);
    - eval mode: normalise with the running statistics.

    >>> bn = nn.BatchNorm1d(3)
    >>> y = bn(cr.randn(16, 3))         # train mode: batch statistics, buffers updated
    >>> y = bn.eval()(cr.randn(4, 3))   # eval mode: running statistics
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype=np.float32, *, bias: bool = True) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(f"BatchNorm1d: num_features must be a positive int, got "
                             f"{num_features!r}")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight, self.bias = _affine_parameters((self.num_features,), affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype))
            self.register_buffer("num_batches_tracked", np.zeros((), np.int64))

    def forward(self, x: Tensor) -> Tensor:
        _channel_axes(x, self)
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected {self.num_features} features on axis 1, got "
                             f"input of shape {x.shape}")
        if not self.track_running_stats:    # batch statistics in train and eval alike
            return batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        if not self.training:
            return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              False, 0.0, self.eps)
        count = int(self.num_batches_tracked.data) + 1
        factor = 1.0 / count if self.momentum is None else self.momentum
        y = batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                       True, factor, self.eps)
        self.num_batches_tracked.data[...] = count
        return y

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")
