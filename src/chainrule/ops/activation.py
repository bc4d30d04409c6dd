"""Activation functions, in forms that neither overflow nor warn for inputs of +-1000.

Each backward uses the saved output: sigmoid' = out (1 - out), tanh' = 1 - out**2."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, result
from ._common import exp, normalize_axes, pop_aliases


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e**-a), computed from e**-|a| so that no exponent overflows.
    d/da = out (1 - out), at most 1/4 (at a = 0)."""
    x = a.data
    e = np.exp(-np.abs(x))
    data = np.where(x >= 0, 1, e) / (1 + e)

    def backward(g, out):
        return (g * out * (1 - out),)

    return result(data.astype(x.dtype, copy=False), (a,), backward, "sigmoid")


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent.  d/da = 1 - out**2."""
    def backward(g, out):
        return (g * (1 - out * out),)

    return result(np.tanh(a.data), (a,), backward, "tanh")


def relu(a: Tensor) -> Tensor:
    """max(a, 0).  d/da = 1 where a > 0, else 0 (0 at a == 0, as PyTorch)."""
    def backward(g, out):
        return (g * (a.data > 0),)

    return result(np.maximum(a.data, 0), (a,), backward, "relu")


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    """a where a > 0, negative_slope * a elsewhere.  d/da = 1 or negative_slope."""
    slope = np.asarray(negative_slope, dtype=a.data.dtype)

    def backward(g, out):
        return (g * np.where(a.data > 0, 1, slope).astype(a.data.dtype, copy=False),)

    return result(np.where(a.data > 0, a.data, a.data * slope), (a,), backward, "leaky_relu")


def _axis(op: str, a: Tensor, axis, kw) -> int:
    axis, _ = pop_aliases(op, axis, False, kw)
    if axis is None or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be a single int, got {axis!r}")
    return normalize_axes(op, axis, a.ndim)[0] if a.ndim else 0


def _shifted(a: Tensor, axis: int) -> np.ndarray:
    """a minus its maximum along axis (the log-sum-exp trick), with rows that are
    all -inf left as they are instead of becoming NaN."""
    m = a.data.max(axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    return a.data - m


def softmax(a: Tensor, axis: int = -1, **kw) -> Tensor:
    """e**a / sum(e**a) along axis, computed on a shifted by its maximum.
    d/da: out * (g - sum(g * out)) along axis."""
    axis = _axis("softmax", a, axis, kw)
    e = np.exp(_shifted(a, axis))
    data = e / e.sum(axis=axis, keepdims=True)

    def backward(g, out):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return result(data, (a,), backward, "softmax")


def log_softmax(a: Tensor, axis: int = -1, **kw) -> Tensor:
    """a - logsumexp(a) along axis, without forming e**a for large a.
    d/da: g - softmax * sum(g) along axis."""
    axis = _axis("log_softmax", a, axis, kw)
    z = _shifted(a, axis)
    with np.errstate(divide="ignore"):
        data = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def backward(g, out):
        return (g - exp(out) * g.sum(axis=axis, keepdims=True),)

    return result(data, (a,), backward, "log_softmax")
