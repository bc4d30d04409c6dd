"""Elementwise functions of one tensor, and where/clip/maximum/minimum.

Where a function's derivative is cheapest from its output (exp, sqrt) the rule uses
the saved output instead of recomputing."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, lift, result, val
from ._common import broadcast_error, sum_to


def exp(a: Tensor) -> Tensor:
    """e**a.  d/da = e**a (the output itself)."""
    def backward(g, out):
        return (g * out,)

    with np.errstate(over="ignore"):   # e**x beyond the dtype's range is inf, as it should be
        data = np.exp(a.data)
    return result(data, (a,), backward, "exp")


def log(a: Tensor) -> Tensor:
    """Natural log.  d/da = 1/a.  log(0) is -inf and log of a negative number NaN,
    as in NumPy and PyTorch (without NumPy's warning)."""
    def backward(g, out):
        with np.errstate(divide="ignore", invalid="ignore"):   # a == 0: infinite slope
            return (g / val(a),)

    with np.errstate(divide="ignore", invalid="ignore"):
        data = np.log(a.data)
    return result(data, (a,), backward, "log")


def sqrt(a: Tensor) -> Tensor:
    """Square root.  d/da = 1 / (2 sqrt(a)) = 0.5 / out."""
    def backward(g, out):
        with np.errstate(divide="ignore", invalid="ignore"):   # a == 0: infinite slope
            return (g * 0.5 / out,)

    with np.errstate(invalid="ignore"):
        data = np.sqrt(a.data)
    return result(data, (a,), backward, "sqrt")


def abs(a: Tensor) -> Tensor:
    """|a|.  d/da = sign(a), taken as 0 at a == 0 (as PyTorch)."""
    def backward(g, out):
        return (g * np.sign(a.data),)

    return result(np.abs(a.data), (a,), backward, "abs")


def astype(a: Tensor, dtype) -> Tensor:
    """The same values in another dtype; the gradient is cast back."""
    dtype = np.dtype(dtype)
    if a.data.dtype == dtype:
        return a
    source = a.data.dtype

    def backward(g, out):
        return (astype(g, source) if isinstance(g, Tensor) else g.astype(source),)

    return result(a.data.astype(dtype), (a,), backward, "astype")


def _condition(op: str, cond) -> np.ndarray:
    arr = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if arr.dtype != np.bool_:
        raise TypeError(f"{op}: the condition must be boolean, got dtype {arr.dtype}")
    return arr


def where(cond, a, b) -> Tensor:
    """Elementwise ``a if cond else b``; the gradient goes to the chosen side only."""
    mask = _condition("where", cond)
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else None
    a, b = lift(a, like), lift(b, like)
    try:
        data = np.where(mask, a.data, b.data)
    except ValueError:
        raise broadcast_error("where", mask.shape, a.shape, b.shape) from None

    def backward(g, out):
        return (sum_to(g * mask, a.shape) if a.requires_grad else None,
                sum_to(g * ~mask, b.shape) if b.requires_grad else None)

    return result(data, (a, b), backward, "where")


def clip(a: Tensor, lo=None, hi=None) -> Tensor:
    """Limit a to [lo, hi] (either bound may be None).  d/da = 1 where lo <= a <= hi
    (bounds included, as PyTorch's clamp), else 0."""
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi")
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise ValueError(f"clip: lo ({lo}) must not exceed hi ({hi})")
    lo_a = None if lo is None else lift(lo, a).data
    hi_a = None if hi is None else lift(hi, a).data
    data = np.clip(a.data, lo_a, hi_a)

    def backward(g, out):
        inside = np.ones(a.shape, dtype=bool)
        if lo_a is not None:
            inside &= a.data >= lo_a
        if hi_a is not None:
            inside &= a.data <= hi_a
        return (g * inside,)

    return result(data, (a,), backward, "clip")


def _extremum(op: str, a, b, pick):
    like = a if isinstance(a, Tensor) else b
    a, b = lift(a, like), lift(b, like)
    try:
        data = pick(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None

    def backward(g, out):
        # The winner takes the gradient; a tie splits it evenly, as in PyTorch.
        a_share = (a.data == out_data).astype(data.dtype)
        tie = a.data == b.data
        a_share[np.broadcast_to(tie, a_share.shape)] = 0.5
        return (sum_to(g * a_share, a.shape) if a.requires_grad else None,
                sum_to(g * (1 - a_share), b.shape) if b.requires_grad else None)

    out_data = data
    return result(data, (a, b), backward, op)


def maximum(a, b) -> Tensor:
    """Elementwise larger of a and b; at a tie each gets half the gradient."""
    return _extremum("maximum", a, b, np.maximum)


def minimum(a, b) -> Tensor:
    """Elementwise smaller of a and b; at a tie each gets half the gradient."""
    return _extremum("minimum", a, b, np.minimum)
