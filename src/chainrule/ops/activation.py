"""Activation functions, in forms that neither overflow nor warn for inputs of +-1000.

Where the derivative is cheapest from the output the rule uses it: sigmoid' = out (1 - out),
tanh' = 1 - out**2. Rules follow ``ops/xp.py``."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, result
from ._common import floating, normalize_axes, pop_aliases


# Beyond these inputs e**-x overflows the dtype.
_EXP_LIMIT = {np.dtype(np.float16): 11.0, np.dtype(np.float32): 88.0, np.dtype(np.float64): 709.0}


def sigmoid_array(x: np.ndarray) -> np.ndarray:
    """sigma(x) for a float array, exact to the last bit or two and without warnings.

    Where no element is below the overflow limit (all normal inputs) it is 1 / (1 + e**-x),
    the last two passes in place (measured fastest); otherwise e**-|x| / (1 + e**-|x|),
    mirrored for x >= 0, which never overflows and keeps the far negative tail's tiny
    values."""
    if x.size and np.minimum.reduce(x, axis=None) < -_EXP_LIMIT.get(x.dtype, 88.0):
        e = np.exp(-np.abs(x))
        return (np.where(x >= 0, 1, e) / (1 + e)).astype(x.dtype, copy=False)
    out = np.asarray(np.exp(-x))     # (an array even when x is 0-d)
    out += 1
    return np.reciprocal(out, out=out)


def _sigmoid_rule(xp, g, out, a):
    return (g * out * (1 - out),)


def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e**-a), without overflow for any input.  d/da = out (1 - out), at most
    1/4 (at a = 0)."""
    return result(sigmoid_array(floating(a.data)), (a,), _sigmoid_rule, "sigmoid", "out")


def _tanh_rule(xp, g, out, a):
    return (g * (1 - out * out),)


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent.  d/da = 1 - out**2."""
    return result(np.tanh(floating(a.data)), (a,), _tanh_rule, "tanh", "out")


def _relu_rule(xp, g, out, a):   # from the output, as PyTorch: 0 where out <= 0 (NaN passes g)
    return (g * ~(out <= 0),)


def relu(a: Tensor) -> Tensor:
    """max(a, 0).  d/da = 1 where a > 0, else 0 (0 at a == 0, as PyTorch)."""
    return result(np.maximum(a.data, 0), (a,), _relu_rule, "relu", "out")


def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    """a where a > 0, negative_slope * a elsewhere.  d/da = 1 or negative_slope."""
    slope = np.asarray(negative_slope, dtype=a.data.dtype)

    def rule(xp, g, out, a):
        return (xp.where(a > 0, g, g * slope),)

    return result(np.where(a.data > 0, a.data, a.data * slope), (a,), rule, "leaky_relu",
                  "in")


def softplus(a: Tensor) -> Tensor:
    """log(1 + e**a), a smooth relu, computed as max(a, 0) + log(1 + e**-|a|) so that it
    neither overflows nor loses the small values of its far negative tail.
    d/da = sigmoid(a).

    >>> cr.softplus(cr.tensor([0.0, 100.0]))     # [log 2, 100]
    tensor([  0.6931, 100.    ])
    """
    x = floating(a.data)

    def rule(xp, g, out, a):
        return (g * xp.sigmoid(a),)

    return result(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), (a,), rule, "softplus",
                  "in")


def _axis(op: str, a: Tensor, axis, kw) -> int:
    axis, _ = pop_aliases(op, axis, False, kw)
    if axis is None or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be a single int, got {axis!r}")
    return normalize_axes(op, axis, a.ndim)[0] if a.ndim else 0


def _shifted(a: Tensor, axis: int) -> np.ndarray:
    """a minus its maximum along axis (the log-sum-exp trick). As in PyTorch a row holding
    +inf, or only -inf, becomes NaN (inf - inf), without NumPy's warning."""
    with np.errstate(invalid="ignore"):
        return a.data - a.data.max(axis=axis, keepdims=True, initial=-np.inf)


def softmax(a: Tensor, axis: int = -1, **kw) -> Tensor:
    """e**a / sum(e**a) along axis, computed on a shifted by its maximum.
    d/da: out * (g - sum(g * out)) along axis."""
    axis = _axis("softmax", a, axis, kw)
    e = np.exp(_shifted(a, axis))
    with np.errstate(invalid="ignore"):
        data = e / e.sum(axis=axis, keepdims=True)

    def rule(xp, g, out, a):
        return (out * (g - (g * out).sum(axis=axis, keepdims=True)),)

    return result(data, (a,), rule, "softmax", "out")


def log_softmax(a: Tensor, axis: int = -1, **kw) -> Tensor:
    """a - logsumexp(a) along axis, without forming e**a for large a.
    d/da: g - softmax * sum(g) along axis."""
    axis = _axis("log_softmax", a, axis, kw)
    z = _shifted(a, axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        data = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def rule(xp, g, out, a):
        return (g - xp.exp(out) * g.sum(axis=axis, keepdims=True),)

    return result(data, (a,), rule, "log_softmax", "out")
