"""Matrix product with NumPy's matmul semantics: 2-D, 1-D (a vector is promoted to a
row or a column and the added axis dropped again) and batched with broadcasting."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, lift, result
from ._common import sum_to
from .shape import transpose


def matmul(a, b) -> Tensor:
    """a @ b.  For C = A B:  dA = G B^T,  dB = A^T G."""
    like = a if isinstance(a, Tensor) else b
    a, b = lift(a, like), lift(b, like)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{a.shape} and {b.shape}; use * to multiply by a scalar")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: inner dimensions differ: {a.shape} @ {b.shape}; expected "
                         f"a.shape[-1] ({k_a}) == b.shape[{0 if b.ndim == 1 else -2}] ({k_b})")
    try:
        data = np.matmul(a.data, b.data)
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} do not "
                         "broadcast") from None

    need_a, need_b = a.requires_grad, b.requires_grad
    if a.ndim == 2 and b.ndim == 2:   # the common case of a layer, without reshaping
        def rule(xp, g, out, a, b):
            return (g @ b.T if need_a else None, a.T @ g if need_b else None)
    else:
        def rule(xp, g, out, a, b):
            av, bv = a, b
            if b.ndim == 1:             # (k,) acts as (k, 1)
                bv, g = bv.reshape((-1, 1)), g.reshape(g.shape + (1,))
            if a.ndim == 1:             # (k,) acts as (1, k)
                av, g = av.reshape((1, -1)), g.reshape(g.shape[:-1] + (1, g.shape[-1]))
            batch = g.shape[:-2]
            ga = sum_to((g @ bv.swapaxes(-1, -2)).reshape(_grad_shape(a, batch)), a.shape) \
                if need_a else None
            gb = sum_to((av.swapaxes(-1, -2) @ g).reshape(_grad_shape(b, batch)), b.shape) \
                if need_b else None
            return ga, gb

    return result(data, (a, b), rule, "matmul", "cross")


def mm(a, b) -> Tensor:
    """The product of two matrices (PyTorch's ``mm``: both must be 2-D; ``matmul`` takes any
    dimensions)."""
    for name, x in (("first", a), ("second", b)):
        if not isinstance(x, Tensor) or x.ndim != 2:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"mm: the {name} operand must be a 2-D tensor, got {shape}; use "
                             "matmul (@) for other dimensions")
    return matmul(a, b)


def t(a: Tensor) -> Tensor:
    """The transpose of a matrix (a vector or a 0-d tensor is returned as it is), as
    PyTorch's ``t``."""
    if a.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape {a.shape}; "
                         "use transpose(dim0, dim1) or permute")
    return transpose(a) if a.ndim == 2 else a


def _grad_shape(x: Tensor, batch: tuple) -> tuple:
    """The shape of a gradient before broadcasting is undone: the batch dimensions of
    the output followed by x's own matrix dimensions (a vector stays a vector)."""
    return batch + (x.shape[-1:] if x.ndim == 1 else x.shape[-2:])


def linear(x, weight, bias=None) -> Tensor:
    """x @ weight + bias as one node: the affine map of a layer, fused because it is the
    hot path of every network (one node instead of two, no broadcast bookkeeping).

    weight is (in, out), bias (out,); x is (..., in).  With G the upstream gradient and
    X, G flattened to rows:  dX = G W^T,  dW = X^T G,  db = sum of G's rows.
    """
    if not (isinstance(x, Tensor) and isinstance(weight, Tensor)):
        like = x if isinstance(x, Tensor) else weight
        x, weight = lift(x, like), lift(weight, like)
    xd, wd = x.data, weight.data
    if wd.ndim != 2 or xd.ndim == 0 or xd.shape[-1] != wd.shape[0]:
        raise ValueError(f"linear: expected x of shape (..., in) and weight of shape (in, out), "
                         f"got {x.shape} and {weight.shape}")
    data = xd @ wd
    if bias is None:
        parents = (x, weight)
    else:
        bias = lift(bias, x)
        if bias.data.shape != (wd.shape[1],):
            raise ValueError(f"linear: bias must have shape ({wd.shape[1]},) to match "
                             f"weight {weight.shape}, got {bias.shape}")
        data += bias.data
        parents = (x, weight, bias)
    n_in, n_out = weight.shape
    need = (x.requires_grad, weight.requires_grad, bias is not None and bias.requires_grad)

    def rule(xp, g, out, x, weight, bias=None):
        rows = g if g.ndim == 2 else g.reshape((-1, n_out))
        gx = g @ weight.T if need[0] else None
        gw = (x if x.ndim == 2 else x.reshape((-1, n_in))).T @ rows if need[1] else None
        if bias is None:
            return gx, gw
        return gx, gw, rows.sum(axis=0) if need[2] else None

    return result(data, parents, rule, "linear", "cross")
