"""Reductions over ``axis`` (None, an int or a tuple) with ``keepdims``.

Every backward first puts the reduced axes back (as size 1) and then broadcasts the
upstream gradient over them."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, result
from ._common import kept_shape, normalize_axes, pop_aliases


def _reduction(op: str, a: Tensor, axis, keepdims, kw):
    axis, keepdims = pop_aliases(op, axis, keepdims, kw)
    axes = normalize_axes(op, axis, a.ndim)
    return axes, bool(keepdims), kept_shape(a.shape, axes)


def _spread(xp, g, kshape: tuple, shape: tuple):
    """The upstream gradient of a reduction, broadcast back over the reduced axes."""
    return xp.broadcast_to(g.reshape(kshape), shape)


def sum(a: Tensor, axis=None, keepdims: bool = False, **kw) -> Tensor:
    """Sum over axis.  d/da = 1 for every element."""
    axes, keepdims, kshape = _reduction("sum", a, axis, keepdims, kw)

    def rule(xp, g, out, a):
        return (_spread(xp, g, kshape, a.shape),)

    return result(a.data.sum(axis=axes, keepdims=keepdims), (a,), rule, "sum", "",
                  replay={"axis": axes, "keepdims": keepdims})


def mean(a: Tensor, axis=None, keepdims: bool = False, **kw) -> Tensor:
    """Mean over axis.  d/da = 1/n, n the number of elements averaged."""
    axes, keepdims, kshape = _reduction("mean", a, axis, keepdims, kw)
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    if n == 0:
        raise ValueError(f"mean: the reduced axes of shape {a.shape} hold no elements")

    def rule(xp, g, out, a):
        return (_spread(xp, g, kshape, a.shape) / n,)

    return result(a.data.mean(axis=axes, keepdims=keepdims), (a,), rule, "mean", "",
                  replay={"axis": axes, "keepdims": keepdims})


def _extreme(op: str, a: Tensor, axis, keepdims, kw) -> Tensor:
    axes, keepdims, kshape = _reduction(op, a, axis, keepdims, kw)
    if a.data.size == 0:
        raise ValueError(f"{op}: cannot reduce an empty tensor of shape {a.shape}")
    picked = getattr(a.data, op)(axis=axes, keepdims=True)

    x = a.data

    def rule(xp, g, out, a):
        # The gradient goes to the element(s) equal to the extreme value; ties share it
        # equally (as torch.amax / torch.amin do). (A constant mask, from the arrays.)
        hit = x == picked
        share = (hit / hit.sum(axis=axes, keepdims=True)).astype(x.dtype, copy=False)
        return (_spread(xp, g, kshape, a.shape) * share,)

    return result(picked if keepdims else picked.reshape([n for i, n in enumerate(a.shape)
                                                          if i not in axes]),
                  (a,), rule, op, "in+out")


def max(a: Tensor, axis=None, keepdims: bool = False, **kw) -> Tensor:
    """Largest value over axis (the values, as NumPy's max). The gradient goes to the
    arg-max element; when several elements tie for the maximum they split it equally."""
    return _extreme("max", a, axis, keepdims, kw)


def min(a: Tensor, axis=None, keepdims: bool = False, **kw) -> Tensor:
    """Smallest value over axis. The gradient goes to the arg-min element; when several
    elements tie for the minimum they split it equally."""
    return _extreme("min", a, axis, keepdims, kw)


def logsumexp(a: Tensor, axis=None, keepdims: bool = False, **kw) -> Tensor:
    """log(sum(e**a)) over axis, computed as m + log(sum(e**(a - m))) with m the maximum,
    so it neither overflows nor underflows.  d/da = softmax(a) = e**(a - out).
    Over no elements it is -inf (log 0), as in PyTorch."""
    axes, keepdims, kshape = _reduction("logsumexp", a, axis, keepdims, kw)
    m = a.data.max(axis=axes, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lse = np.log(np.exp(a.data - m).sum(axis=axes, keepdims=True)) + m

    def rule(xp, g, out, a):
        # at a row of -inf (out = -inf) the slope is NaN, as in PyTorch, without the warning
        with np.errstate(invalid="ignore"):
            return (_spread(xp, g, kshape, a.shape) * xp.exp(a - out.reshape(kshape)),)

    return result(lse if keepdims else lse.reshape([n for i, n in enumerate(a.shape)
                                                    if i not in axes]),
                  (a,), rule, "logsumexp", "in+out")


def var(a: Tensor, axis=None, keepdims: bool = False, correction: int = 1, **kw) -> Tensor:
    """Variance over axis with ``correction`` (1, the default as in PyTorch: the sample
    variance, dividing by n - 1; 0: the population variance), composed from mean, so it
    needs no backward of its own. ``unbiased=False`` is PyTorch's older spelling of
    correction=0."""
    if "unbiased" in kw:
        correction = int(bool(kw.pop("unbiased")))
    axes, keepdims, _ = _reduction("var", a, axis, keepdims, kw)
    n = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    if n - correction <= 0:
        raise ValueError(f"var: {n} element(s) with correction={correction} leave no degrees "
                         "of freedom")
    centred = a - mean(a, axes, keepdims=True)
    return sum(centred * centred, axes, keepdims) / (n - correction)
