"""+ - * / ** and unary minus, with NumPy broadcasting. Each gradient is summed back
to its input's shape (``sum_to``); rules skip inputs that need no gradient."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, lift, result, val
from ._common import broadcast_error, sum_to


def _operands(op: str, a, b, fn, quiet: bool = False):
    """Lift both operands to tensors and compute fn on their arrays, turning NumPy's
    broadcast failure into an error that names the op and both shapes. With ``quiet``
    (division and powers) 1/0 is inf and 0/0 NaN, as in PyTorch, without NumPy's warning;
    the other ops skip that context because it costs more than a small op itself."""
    like = a if isinstance(a, Tensor) else b
    a, b = lift(a, like), lift(b, like)
    try:
        if quiet:
            with np.errstate(divide="ignore", invalid="ignore"):
                return a, b, fn(a.data, b.data)
        return a, b, fn(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None


def add(a, b) -> Tensor:
    """a + b.  d/da = 1, d/db = 1."""
    a, b, data = _operands("add", a, b, np.add)

    def backward(g, out):
        return (sum_to(g, a.shape) if a.requires_grad else None,
                sum_to(g, b.shape) if b.requires_grad else None)

    return result(data, (a, b), backward, "add")


def sub(a, b) -> Tensor:
    """a - b.  d/da = 1, d/db = -1."""
    a, b, data = _operands("sub", a, b, np.subtract)

    def backward(g, out):
        return (sum_to(g, a.shape) if a.requires_grad else None,
                sum_to(-g, b.shape) if b.requires_grad else None)

    return result(data, (a, b), backward, "sub")


def mul(a, b) -> Tensor:
    """a * b.  d/da = b, d/db = a."""
    a, b, data = _operands("mul", a, b, np.multiply)

    def backward(g, out):
        return (sum_to(g * val(b), a.shape) if a.requires_grad else None,
                sum_to(g * val(a), b.shape) if b.requires_grad else None)

    return result(data, (a, b), backward, "mul")


def div(a, b) -> Tensor:
    """a / b.  d/da = 1/b, d/db = -a/b**2 = -out/b."""
    a, b, data = _operands("div", a, b, np.divide, quiet=True)

    def backward(g, out):
        gb = val(b)
        with np.errstate(divide="ignore", invalid="ignore"):   # b == 0: infinite slope
            return (sum_to(g / gb, a.shape) if a.requires_grad else None,
                    sum_to(-(g * out) / gb, b.shape) if b.requires_grad else None)

    return result(data, (a, b), backward, "div")


def neg(a: Tensor) -> Tensor:
    """-a.  d/da = -1."""
    def backward(g, out):
        return (-g,)

    return result(-a.data, (a,), backward, "neg")


def pow(a, b) -> Tensor:
    """a ** b.  d/da = b * a**(b-1); d/db = a**b * log(a), taken as 0 where a == 0
    (the limit PyTorch uses too) and NaN where a < 0, where the real power is undefined."""
    a, b, data = _operands("pow", a, b, np.power, quiet=True)

    def backward(g, out):
        ga = gb = None
        if a.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = g * val(b) * val(a) ** (val(b) - 1)
            if np.any(b.data == 0):   # a**0 is constant: 0, not 0 * 0**-1 = NaN at a == 0
                from .elementwise import where
                ga = where(b.data == 0, 0.0, ga) if isinstance(ga, Tensor) else \
                    np.where(b.data == 0, 0, ga)
            ga = sum_to(ga, a.shape)
        if b.requires_grad:
            zero = a.data == 0
            with np.errstate(divide="ignore", invalid="ignore"):
                if isinstance(g, Tensor):   # recorded backward: log(a) must stay in the graph
                    from .elementwise import log, where
                    log_a = where(zero, 0.0, log(where(zero, 1.0, a)))
                else:
                    log_a = np.where(zero, 0.0, np.log(np.where(zero, 1.0, a.data)))
                    log_a = log_a.astype(a.data.dtype, copy=False)
            gb = sum_to(g * out * log_a, b.shape)
        return ga, gb

    return result(data, (a, b), backward, "pow")


_COMPARISONS = {"lt": np.less, "le": np.less_equal, "gt": np.greater,
                "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}


def compare(kind: str, a, b) -> Tensor:
    """Elementwise comparison; a boolean tensor outside the graph."""
    _, _, data = _operands(kind, a, b, _COMPARISONS[kind])
    return Tensor(data)
