"""Ops that move values around without changing them: reshape, transpose, squeeze,
broadcast, indexing, concat and stack. Each backward moves the gradient back."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, lift, result
from ..versions import register_view
from ._common import broadcast_error, normalize_axes, pop_aliases, sum_to


def _shape_arg(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def _reshaped(a: Tensor, shape: tuple, op: str) -> Tensor:
    try:
        data = a.data.reshape(shape)
    except ValueError:
        raise ValueError(f"{op}: cannot reshape a tensor of shape {a.shape} ({a.data.size} "
                         f"elements) into shape {shape}") from None
    source = a.shape

    def rule(xp, g, out, a):
        return (g.reshape(source),)

    return _view(result(data, (a,), rule, op, "view"), a, rule, op, lambda x: x.reshape(shape))


def _view(out: Tensor, a: Tensor, rule, op: str, forward) -> Tensor:
    """out (= forward(a)) shares a's memory: register it, so that an in-place op on a reaches
    it and one on it reaches a (versions.py, inplace.py)."""
    register_view(out, a, rule, op, forward)
    return out


def reshape(a: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dimension may be -1)."""
    return _reshaped(a, _shape_arg(shape), "reshape")


def flatten(a: Tensor, start_axis: int = 0, end_axis: int = -1, **kw) -> Tensor:
    """Merge the axes from start_axis to end_axis (both included) into one: ``flatten(x, 1)``
    keeps the batch axis. PyTorch's ``start_dim``/``end_dim`` are accepted."""
    start_axis = kw.pop("start_dim", start_axis)
    end_axis = kw.pop("end_dim", end_axis)
    if kw:
        raise TypeError(f"flatten: unexpected keyword argument(s) {', '.join(sorted(kw))}")
    if a.ndim == 0:
        return _reshaped(a, (1,), "flatten")
    start = normalize_axes("flatten", start_axis, a.ndim)[0]
    end = normalize_axes("flatten", end_axis, a.ndim)[0]
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_axis}) comes after end_dim ({end_axis}) "
                         f"for a tensor of shape {a.shape}")
    merged = int(np.prod(a.shape[start:end + 1]))
    return _reshaped(a, a.shape[:start] + (merged,) + a.shape[end + 1:], "flatten")


def squeeze(a: Tensor, axis=None, **kw) -> Tensor:
    """Drop axes of size 1 (all of them, or those in axis; like PyTorch, an axis given
    whose size is not 1 is left alone)."""
    axis, _ = pop_aliases("squeeze", axis, False, kw)
    axes = normalize_axes("squeeze", axis, a.ndim)
    shape = tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1))
    return _reshaped(a, shape, "squeeze")


def unsqueeze(a: Tensor, axis=None, **kw) -> Tensor:
    """Insert an axis of size 1 at position axis (-1 appends)."""
    axis, _ = pop_aliases("unsqueeze", axis, False, kw)
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"unsqueeze: axis must be an int, got {axis!r}")
    if not -a.ndim - 1 <= axis <= a.ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for a tensor with {a.ndim} "
                         f"dimension(s); expected {-a.ndim - 1} <= axis <= {a.ndim}")
    axis = axis % (a.ndim + 1)
    return _reshaped(a, a.shape[:axis] + (1,) + a.shape[axis:], "unsqueeze")


def permute(a: Tensor, *axes) -> Tensor:
    """Reorder the axes: out.shape[i] == a.shape[axes[i]]."""
    axes = _shape_arg(axes)
    if sorted(a_ % max(a.ndim, 1) for a_ in axes) != list(range(a.ndim)) or \
            any(not -a.ndim <= a_ < a.ndim for a_ in axes):
        raise ValueError(f"permute: {axes} is not a permutation of the {a.ndim} axes of a "
                         f"tensor of shape {a.shape}")
    axes = tuple(a_ % a.ndim for a_ in axes)
    inverse = tuple(np.argsort(axes))

    def rule(xp, g, out, a):
        return (g.transpose(inverse),)

    return _view(result(a.data.transpose(axes), (a,), rule, "permute", "view"), a, rule,
                 "permute", lambda x: x.transpose(axes))


def swapaxes(a: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    i, j = (normalize_axes("swapaxes", ax, a.ndim)[0] for ax in (axis1, axis2))
    axes = list(range(a.ndim))
    axes[i], axes[j] = axes[j], axes[i]
    return permute(a, tuple(axes))


def transpose(a: Tensor, *axes) -> Tensor:
    """No axes: reverse them (NumPy's ``.T``). Two ints: swap those two axes (PyTorch's
    ``transpose(dim0, dim1)``). A full permutation, as ints or one tuple: NumPy's
    ``transpose(axes)``."""
    if not axes:
        return permute(a, tuple(reversed(range(a.ndim))))
    if len(axes) == 2 and all(isinstance(x, (int, np.integer)) for x in axes):
        return swapaxes(a, *axes)
    return permute(a, _shape_arg(axes))


def broadcast_to(a: Tensor, shape) -> Tensor:
    """a repeated along new or size-1 axes to shape.  The backward sums them back."""
    shape = tuple(shape)
    try:
        data = np.broadcast_to(a.data, shape)
    except ValueError:
        raise broadcast_error("broadcast_to", a.shape, shape) from None
    source = a.shape

    def rule(xp, g, out, a):
        return (sum_to(g, source),)

    return _view(result(data, (a,), rule, "broadcast_to", "view"), a, rule,
                 "broadcast_to", None)   # read-only: never written through


# ------------------------------------------------------------------ indexing
def _plain_index(index):
    """The index with tensors replaced by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index) -> bool:
    """True when the index only slices (ints, slices, None, ...): then no element is
    picked twice and the backward can assign instead of accumulate."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, slice) or
               (isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_)))
               for p in parts)


def getitem(a: Tensor, index) -> Tensor:
    """a[index], with NumPy's basic and advanced indexing. With an integer array that
    repeats an index the gradients of the repeated picks add up."""
    index = _plain_index(index)
    try:
        data = a.data[index]
    except IndexError as e:
        raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {a.shape} "
                         f"({e})") from None
    basic = _is_basic(index)
    source = a.shape

    def rule(xp, g, out, a):
        return (xp.scatter_add(g, index, source, basic),)

    out = result(data, (a,), rule, "getitem", "view" if basic else "")
    return _view(out, a, rule, "getitem", lambda x: x[index]) if basic else out


def setitem(a: Tensor, index, value) -> Tensor:
    """A copy of a with ``copy[index] = value`` (the out-of-place form of ``a[index] = v``).
    d/da is 1 outside index and 0 inside; d/dvalue is the gradient at index, summed back
    to value's shape."""
    index = _plain_index(index)
    value = lift(value, a)
    data = a.data.copy()
    try:
        data[index] = value.data
    except IndexError as e:
        raise IndexError(f"setitem: index {index!r} does not fit a tensor of shape {a.shape} "
                         f"({e})") from None
    except ValueError:
        raise ValueError(f"setitem: a value of shape {value.shape} does not broadcast to the "
                         f"{data[index].shape} elements selected by the index") from None
    keep = np.ones(a.shape, dtype=a.dtype if a.dtype.kind == "f" else np.float32)
    keep[index] = 0

    need_a, need_value = a.requires_grad, value.requires_grad

    def rule(xp, g, out, a, value):
        gv = None
        if need_value:
            gv = g[index]
            if value.ndim > gv.ndim:   # NumPy drops a value's leading 1s when it assigns
                gv = gv.reshape((1,) * (value.ndim - gv.ndim) + tuple(gv.shape))
            gv = sum_to(gv, value.shape)
        return (g * keep if need_a else None), gv

    return result(data, (a, value), rule, "setitem", "")


def scatter_add_array(values: np.ndarray, index, shape: tuple, basic: bool = False):
    """Zeros of ``shape`` with values added at ``index`` (the backward of indexing)."""
    full = np.zeros(shape, dtype=values.dtype)
    if basic:
        full[index] = values
    else:
        np.add.at(full, index, values)
    return full


def scatter_add(g, index, shape: tuple, basic: bool = False):
    """``scatter_add_array`` as an op (an array in gives an array out): differentiable, its
    backward is indexing again."""
    if not isinstance(g, Tensor):
        return scatter_add_array(g, index, shape, basic)

    def rule(xp, gg, out, g):
        return (gg[index],)

    return result(scatter_add_array(g.data, index, shape, basic), (g,), rule, "scatter_add", "")


# ------------------------------------------------------------ joining tensors
def _joinable(op: str, tensors) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: needs at least one tensor")
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    return [lift(t, like) for t in tensors]


def concat(tensors, axis: int = 0, **kw) -> Tensor:
    """Join tensors along an existing axis; the gradient is cut back into the pieces."""
    axis, _ = pop_aliases("concat", axis, False, kw)
    tensors = _joinable("concat", tensors)
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concat: 0-d tensors cannot be concatenated; use stack")
    ax = normalize_axes("concat", axis, ndim)[0]
    for t in tensors:
        if t.ndim != ndim or t.shape[:ax] + t.shape[ax + 1:] != \
                tensors[0].shape[:ax] + tensors[0].shape[ax + 1:]:
            raise ValueError(f"concat: shapes {[t.shape for t in tensors]} must match in every "
                             f"axis except axis {ax}")
    data = np.concatenate([t.data for t in tensors], axis=ax)
    ends = np.cumsum([t.shape[ax] for t in tensors])
    lead = (slice(None),) * ax

    pieces = [(slice(end - t.shape[ax], end), t.requires_grad) for t, end in zip(tensors, ends)]

    def rule(xp, g, out, *inputs):
        return tuple(g[lead + (piece,)] if need else None for piece, need in pieces)

    return result(data, tuple(tensors), rule, "concat", "")


def stack(tensors, axis: int = 0, **kw) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    axis, _ = pop_aliases("stack", axis, False, kw)
    tensors = _joinable("stack", tensors)
    shape = tensors[0].shape
    if any(t.shape != shape for t in tensors):
        raise ValueError(f"stack: all tensors must have the same shape, got "
                         f"{[t.shape for t in tensors]}")
    if not -len(shape) - 1 <= axis <= len(shape):
        raise ValueError(f"stack: axis {axis} is out of range for {len(shape) + 1} dimensions")
    ax = axis % (len(shape) + 1)
    data = np.stack([t.data for t in tensors], axis=ax)
    lead = (slice(None),) * ax

    needs = [t.requires_grad for t in tensors]

    def rule(xp, g, out, *inputs):
        return tuple(g[lead + (i,)] if need else None for i, need in enumerate(needs))

    return result(data, tuple(tensors), rule, "stack", "")
