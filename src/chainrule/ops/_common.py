"""Small pieces the ops share: argument checks, dtype promotion and ``sum_to``, which a
rule may call on arrays and Tensors alike (it uses only methods both have)."""
from __future__ import annotations

import numpy as np


def sum_to(g, shape: tuple):
    """Undo broadcasting: sum g over the axes that broadcasting added or stretched,
    so the gradient has the shape of the input it belongs to."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def pop_aliases(op: str, axis, keepdims, kw: dict):
    """Accept PyTorch's ``dim``/``keepdim`` for NumPy's ``axis``/``keepdims``."""
    if "dim" in kw:
        axis = kw.pop("dim")
    if "keepdim" in kw:
        keepdims = kw.pop("keepdim")
    if kw:
        raise TypeError(f"{op}: unexpected keyword argument(s) {', '.join(sorted(kw))}")
    return axis, keepdims


def normalize_axes(op: str, axis, ndim: int) -> tuple:
    """axis (None, int or sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (int, np.integer, tuple, list)):
        raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} "
                             f"dimension(s); expected -{max(ndim, 1)} <= axis < {max(ndim, 1)}")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out)) if ndim else ()


def kept_shape(shape: tuple, axes: tuple) -> tuple:
    """The shape a reduction over ``axes`` has with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def broadcast_error(op: str, *shapes) -> ValueError:
    listed = " and ".join(str(tuple(s)) for s in shapes)
    return ValueError(f"{op}: shapes {listed} neither match nor broadcast; each dimension, "
                      "counted from the right, must be equal or 1")


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def promote(a, b):
    """The two operands' arrays in the dtype PyTorch gives their result, when they differ.

    Across categories (bool < integer < float) the higher one's dtype wins (int64 with
    float32 gives float32, where NumPy gives float64); a 0-d tensor does not widen a
    dimensioned one of its own category (float32 (3,) with float64 () stays float32); within
    a category the wider dtype wins."""
    x, y = a.data, b.data
    if x.dtype is y.dtype or x.dtype == y.dtype:
        return x, y
    cx, cy = _CATEGORY.get(x.dtype.kind, 2), _CATEGORY.get(y.dtype.kind, 2)
    if cx != cy:
        dtype = x.dtype if cx > cy else y.dtype
    elif (x.ndim == 0) != (y.ndim == 0):
        dtype = y.dtype if x.ndim == 0 else x.dtype
    else:
        dtype = np.promote_types(x.dtype, y.dtype)
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False)


def floating(x: np.ndarray) -> np.ndarray:
    """x itself if floating, else as float32: exp, log, sin ... of an integer tensor are
    float32, as in PyTorch (NumPy would give float64)."""
    return x if x.dtype.kind == "f" else x.astype(np.float32)
