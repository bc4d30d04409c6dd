"""Elementwise functions of one tensor, and where/clip/maximum/minimum.

Where a function's derivative is cheapest from its output (exp, sqrt) the rule uses
the saved output instead of recomputing."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, lift, result
from ._common import broadcast_error, floating, promote, sum_to


def exp(a: Tensor) -> Tensor:
    """e**a.  d/da = e**a (the output itself)."""
    def rule(xp, g, out, a):
        return (g * out,)

    with np.errstate(over="ignore"):   # e**x beyond the dtype's range is inf, as it should be
        data = np.exp(floating(a.data))
    return result(data, (a,), rule, "exp", "out")


def log(a: Tensor) -> Tensor:
    """Natural log.  d/da = 1/a.  log(0) is -inf and log of a negative number NaN,
    as in NumPy and PyTorch (without NumPy's warning)."""
    def rule(xp, g, out, a):
        with np.errstate(divide="ignore", invalid="ignore"):   # a == 0: infinite slope
            return (g / a,)

    with np.errstate(divide="ignore", invalid="ignore"):
        data = np.log(floating(a.data))
    return result(data, (a,), rule, "log", "in")


def sqrt(a: Tensor) -> Tensor:
    """Square root.  d/da = 1 / (2 sqrt(a)) = 0.5 / out."""
    def rule(xp, g, out, a):
        with np.errstate(divide="ignore", invalid="ignore"):   # a == 0: infinite slope
            return (g * 0.5 / out,)

    with np.errstate(invalid="ignore"):
        data = np.sqrt(floating(a.data))
    return result(data, (a,), rule, "sqrt", "out")


def sin(a: Tensor) -> Tensor:
    """sin(a).  d/da = cos(a)."""
    def rule(xp, g, out, a):   # (the slope at inf is NaN, as in PyTorch)
        return (g * xp.cos(a),)

    with np.errstate(invalid="ignore"):   # sin(inf) is NaN, as in PyTorch
        data = np.sin(floating(a.data))
    return result(data, (a,), rule, "sin", "in")


def cos(a: Tensor) -> Tensor:
    """cos(a).  d/da = -sin(a)."""
    def rule(xp, g, out, a):
        return (-(g * xp.sin(a)),)

    with np.errstate(invalid="ignore"):
        data = np.cos(floating(a.data))
    return result(data, (a,), rule, "cos", "in")


def abs(a: Tensor) -> Tensor:
    """|a|.  d/da = sign(a), taken as 0 at a == 0 (as PyTorch)."""
    x = a.data

    def rule(xp, g, out, a):   # sign(a), and 0 at NaN (as PyTorch), not NumPy's NaN
        return (g * ((x > 0).astype(x.dtype) - (x < 0)),)

    return result(np.abs(a.data), (a,), rule, "abs", "in")


def clone(a: Tensor) -> Tensor:
    """A copy with its own memory that stays in the graph (d/da = 1), as PyTorch's clone."""
    def rule(xp, g, out, a):
        return (g,)

    return result(a.data.copy(), (a,), rule, "clone", "")


def astype(a: Tensor, dtype) -> Tensor:
    """The same values in another dtype; the gradient is cast back."""
    dtype = np.dtype(dtype)
    if a.data.dtype == dtype:
        return a
    source = a.data.dtype

    def rule(xp, g, out, a):
        return (xp.astype(g, source),)

    return result(a.data.astype(dtype), (a,), rule, "astype", "")


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
        data = np.where(mask, *promote(a, b))
    except ValueError:
        raise broadcast_error("where", mask.shape, a.shape, b.shape) from None

    need_a, need_b = a.requires_grad, b.requires_grad

    def rule(xp, g, out, a, b):
        return (sum_to(g * mask, a.shape) if need_a else None,
                sum_to(g * ~mask, b.shape) if need_b else None)

    return result(data, (a, b), rule, "where", "")


def clip(a: Tensor, lo=None, hi=None) -> Tensor:
    """Limit a to [lo, hi] (either bound may be None), as ``min(max(a, lo), hi)``: with
    lo > hi every element is hi, as in PyTorch.  d/da = 1 where lo <= a <= hi (bounds
    included, as PyTorch's clamp), else 0."""
    if lo is None and hi is None:
        raise ValueError("clip: give at least one of lo and hi (clamp: min and max)")
    lo_a = None if lo is None else lift(lo, a).data
    hi_a = None if hi is None else lift(hi, a).data
    x = a.data
    if lo_a is not None and lo_a.dtype.kind == "f" and x.dtype.kind != "f":
        x = x.astype(lo_a.dtype)   # an integer tensor clamped to a float bound is float
    if hi_a is not None and hi_a.dtype.kind == "f" and x.dtype.kind != "f":
        x = x.astype(hi_a.dtype)
    data = x if lo_a is None else np.maximum(x, lo_a)
    if hi_a is not None:
        data = np.minimum(data, hi_a)
    data = data.astype(x.dtype, copy=False)

    def rule(xp, g, out, a):
        inside = np.ones(x.shape, dtype=bool)   # (a constant mask, from the input's array)
        if lo_a is not None:
            inside &= x >= lo_a
        if hi_a is not None:
            inside &= x <= hi_a
        return (g * inside,)

    return result(data, (a,), rule, "clip", "in")


def clamp(a: Tensor, min=None, max=None) -> Tensor:
    """PyTorch's name and keywords for ``clip``: ``cr.clamp(x, min=0)``."""
    return clip(a, min, max)


def _extremum(op: str, a, b, pick, loses):
    like = a if isinstance(a, Tensor) else b
    a, b = lift(a, like), lift(b, like)
    try:
        data = pick(*promote(a, b))
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None
    x, y = a.data, b.data
    need_a, need_b = a.requires_grad, b.requires_grad

    def rule(xp, g, out, a, b):
        # The winner takes the gradient and a tie splits it evenly; with a NaN both get it
        # (PyTorch's rule: each side's gradient is masked only where it strictly loses).
        with np.errstate(invalid="ignore"):   # (constant masks, from the inputs' arrays)
            tie = x == y
            a_share = np.where(tie, 0.5, ~loses(x, y)).astype(data.dtype)
            b_share = np.where(tie, 0.5, ~loses(y, x)).astype(data.dtype)
        return (sum_to(g * a_share, a.shape) if need_a else None,
                sum_to(g * b_share, b.shape) if need_b else None)

    return result(data, (a, b), rule, op, "in")


def maximum(a, b) -> Tensor:
    """Elementwise larger of a and b; at a tie each gets half the gradient."""
    return _extremum("maximum", a, b, np.maximum, np.less)


def minimum(a, b) -> Tensor:
    """Elementwise smaller of a and b; at a tie each gets half the gradient."""
    return _extremum("minimum", a, b, np.minimum, np.greater)
