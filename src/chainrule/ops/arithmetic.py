"""+ - * / ** and unary minus, with NumPy broadcasting. Each gradient is summed back
to its input's shape (``sum_to``); rules skip inputs that need no gradient."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, lift, result
from ._common import broadcast_error, promote, sum_to


def _operands(op: str, a, b, fn, quiet: bool = False):
    """Lift both operands to tensors and compute fn on their arrays (in the dtype PyTorch
    gives the result, see ``promote``), turning NumPy's broadcast failure into an error that
    names the op and both shapes. With ``quiet`` (division and powers) 1/0 is inf and 0/0
    NaN, as in PyTorch, without NumPy's warning; the other ops skip that context because it
    costs more than a small op itself."""
    like = a if isinstance(a, Tensor) else b
    a, b = lift(a, like), lift(b, like)
    x, y = a.data, b.data
    if x.dtype is not y.dtype:
        x, y = promote(a, b)
    try:
        if quiet:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return a, b, fn(x, y)
        return a, b, fn(x, y)
    except ValueError:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise broadcast_error(op, a.shape, b.shape) from None
        raise


def add(a, b) -> Tensor:
    """a + b.  d/da = 1, d/db = 1."""
    a, b, data = _operands("add", a, b, np.add)

    need_a, need_b = a.requires_grad, b.requires_grad

    def rule(xp, g, out, a, b):
        return (sum_to(g, a.shape) if need_a else None, sum_to(g, b.shape) if need_b else None)

    return result(data, (a, b), rule, "add", "")


def sub(a, b) -> Tensor:
    """a - b.  d/da = 1, d/db = -1."""
    a, b, data = _operands("sub", a, b, np.subtract)

    need_a, need_b = a.requires_grad, b.requires_grad

    def rule(xp, g, out, a, b):
        return (sum_to(g, a.shape) if need_a else None, sum_to(-g, b.shape) if need_b else None)

    return result(data, (a, b), rule, "sub", "")


def mul(a, b) -> Tensor:
    """a * b.  d/da = b, d/db = a."""
    a, b, data = _operands("mul", a, b, np.multiply)

    need_a, need_b = a.requires_grad, b.requires_grad

    def rule(xp, g, out, a, b):
        return (sum_to(g * b, a.shape) if need_a else None,
                sum_to(g * a, b.shape) if need_b else None)

    return result(data, (a, b), rule, "mul", "cross")


def div(a, b) -> Tensor:
    """a / b.  d/da = 1/b, d/db = -a/b**2 (from a and b, not the output, as PyTorch saves
    them: an in-place change to the quotient leaves the rule valid)."""
    a, b, data = _operands("div", a, b, np.divide, quiet=True)
    if data.dtype == np.float64 and a.data.dtype.kind in "biu" and b.data.dtype.kind in "biu":
        data = data.astype(np.float32)   # integer / integer is float32, as in PyTorch

    need_a, need_b = a.requires_grad, b.requires_grad

    def rule(xp, g, out, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):   # b == 0: infinite slope
            return (sum_to(g / b, a.shape) if need_a else None,
                    sum_to(-(g * a) / (b * b), b.shape) if need_b else None)

    return result(data, (a, b), rule, "div", "div")


def neg(a: Tensor) -> Tensor:
    """-a.  d/da = -1."""
    def rule(xp, g, out, a):
        return (-g,)

    return result(-a.data, (a,), rule, "neg", "")


def pow(a, b) -> Tensor:
    """a ** b.  d/da = b * a**(b-1); d/db = a**b * log(a), taken as 0 where a == 0 and
    b >= 0 (PyTorch's limit; at b < 0 it is -inf, as there) and NaN where a < 0, where the
    real power is undefined."""
    like = a if isinstance(a, Tensor) else b
    a, b = lift(a, like), lift(b, like)
    if a.data.dtype.kind in "biu" and b.data.dtype.kind in "biu" and np.any(b.data < 0):
        raise ValueError("pow: integers to negative integer powers are not allowed (as in "
                         "PyTorch); make the base a float tensor, e.g. x.float() ** -1")
    a, b, data = _operands("pow", a, b, np.power, quiet=True)

    need_a, need_b = a.requires_grad, b.requires_grad
    base, exponent = a.data, b.data      # (constant masks come from these)

    def rule(xp, g, out, a, b):
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                ga = g * b * a ** (b - 1)
                if np.any(exponent == 0):   # a**0 is constant: 0, not 0 * 0**-1 = NaN at a == 0
                    ga = xp.where(exponent == 0, 0.0, ga)
                ga = sum_to(ga, a.shape)
            if need_b:
                flat = (base == 0) & (exponent >= 0)   # where a**b stays 0 (or 1) as b moves
                gb = sum_to(g * xp.where(flat, 0.0, out * xp.log(xp.where(flat, 1.0, a))),
                            b.shape)
        return ga, gb

    return result(data, (a, b), rule, "pow", "pow")


_COMPARISONS = {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}


def compare(kind: str, a, b) -> Tensor:
    """Elementwise comparison; a boolean tensor outside the graph."""
    _, _, data = _operands(kind, a, b, _COMPARISONS[kind])
    return Tensor(data)
