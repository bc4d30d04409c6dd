"""In-place ops with PyTorch's rules: ``a += b``, ``add_ sub_ mul_ div_ zero_ fill_ copy_
clamp_`` and ``t[idx] = v`` change the tensor itself (the same object, the same array).

- Under ``no_grad()``, or when nothing involved requires a gradient, the array is written
  and nothing is recorded: ``with cr.no_grad(): w -= lr * w.grad`` is plain SGD and ``w``
  still requires its gradient.
- A leaf that requires grad may not change while gradients are recorded (RuntimeError):
  its ``.grad`` would no longer belong to its value.
- Otherwise the tensor gets a new node, ``op(old value, other)``, and its old node is kept
  (``_prior``) for the ops that used the old value (see ``versions.py``). Its live views
  become views of the new node; an op on a view rewrites its base (PyTorch's CopySlices).
  Views of views and views of leaves that require grad are refused while recording.

Every write ticks the tensor's version, so a backward that needs an overwritten value raises
instead of computing a wrong gradient.

>>> w = cr.tensor([1.0, 2.0], requires_grad=True)
>>> (w * w).sum().backward()
>>> with cr.no_grad():
...     w -= 0.1 * w.grad          # w is the same object, still requires grad
>>> [round(v, 4) for v in w.tolist()]
[0.8, 1.6]
"""
from __future__ import annotations

import numpy as np

from . import ops, versions
from .grad_mode import _state, no_grad
from .tensor import Tensor, fresh, lift, result

__all__ = ["add_", "sub_", "mul_", "div_", "fill_", "copy_", "clamp_", "setitem"]


def _requires_grad(x) -> bool:
    return isinstance(x, Tensor) and x.requires_grad


def apply(t: Tensor, op: str, compute, operands=(), keeps_self: bool = False) -> Tensor:
    """Change t in place to ``compute(t, *operands)`` (the out-of-place op). An operand that
    is t itself (``a.add_(a)``) means t's old value.

    ``keeps_self``: compute's backward reads t's old value, which the write destroys, so it
    gets a copy (as PyTorch saves the original ``self`` of mul_ or clamp_)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    recording = _state["grad_enabled"]
    if recording and t.requires_grad and t._backward is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad cannot be changed in place while gradients "
            "are recorded (PyTorch: 'a leaf Variable that requires grad is being used in an "
            "in-place operation'). Update parameters under cr.no_grad(), e.g. "
            "`with cr.no_grad(): w -= lr * w.grad`.")
    if not (recording and (t.requires_grad or any(map(_requires_grad, operands)))):
        with no_grad():
            new = compute(t, *operands)
        _write(t, new.data, op)
        versions.bump(t.data)
        return t
    view = versions.view_entry(t)
    if view is not None:
        return _apply_to_view(t, op, compute, operands, keeps_self, view)
    old = _old_node(t)
    new = _recorded(t, old, compute, operands, keeps_self)
    # the write comes after the op recorded what it read, so a value it saved that shares
    # t's memory (a view of t as the other operand) is caught, as in PyTorch
    now = versions.bump(t.data)
    _write(t, new.data, op)
    _adopt(t, new, op, now, old)
    _renew_views(t, now)
    return t


def _recorded(t: Tensor, old: Tensor, compute, operands, keeps_self: bool) -> Tensor:
    """compute on t's old value (a copy of it if the op's backward reads it)."""
    src = ops.clone(old) if keeps_self else old
    return compute(src, *(src if o is t else o for o in operands))


def _adopt(t: Tensor, new: Tensor, op: str, now: int, old: Tensor) -> None:
    """t takes new's node; ops recorded before clock reading ``now`` still reach ``old``."""
    t._parents, t._backward, t._op = new._parents, new._backward, op
    t._epoch = new._epoch
    t._saved = "" if new._saved == "view" else new._saved
    t.requires_grad = True
    t._hooks, t._prior = None, (now, old)


def _renew_views(t: Tensor, now: int) -> None:
    """Every live view of t's memory becomes a view of t's new node. (At a later clock
    reading than the op's own nodes, which read the views' old values.)"""
    views = versions.views_of(t)
    if views:
        later = versions.tick()
        for view, base, rule, view_op, _ in views:
            _renew_view(view, base, rule, view_op, later)


def _apply_to_view(t: Tensor, op: str, compute, operands, keeps_self: bool, view) -> Tensor:
    """An in-place op on a view writes into its base, so the base gets a new node as well,
    as PyTorch's CopySlices: the base's old value outside the view, the op's result inside.
    Then every view of the base, t among them, becomes a view of that new node."""
    base, _, view_op, forward = view
    if base.requires_grad and base._backward is None:
        raise RuntimeError(
            f"{op}: this tensor is a view (the output of {view_op}) of a leaf tensor that "
            "requires grad, which cannot be changed in place while gradients are recorded "
            "(PyTorch: 'a view of a leaf Variable that requires grad is being used in an "
            "in-place operation'). Do it under cr.no_grad().")
    if forward is None or versions.view_entry(base) is not None:
        raise RuntimeError(
            f"{op}: this tensor is a view (the output of {view_op}) of "
            f"{'a read-only broadcast' if forward is None else 'another view'}; chainrule "
            "changes in place only a tensor or a direct view of it while gradients are "
            "recorded. Change the base tensor, or work on a .clone().")
    new = _recorded(t, _old_node(t), compute, operands, keeps_self)
    now = versions.bump(t.data)
    _write(t, new.data, op)                    # through the view, into base's memory
    old_base = _old_node(base)
    inside = np.zeros(base.shape, bool)
    forward(inside)[...] = True
    keep = (~inside).astype(base.dtype if base.dtype.kind == "f" else np.float32)

    def backward(xp, g, out, *inputs):   # a rule (see ops/xp.py)
        return (g * keep if old_base.requires_grad else None,
                forward(g) if new.requires_grad else None)

    _adopt(base, result(base.data, (old_base, new), backward, "copy_slices", ""),
           "copy_slices", now, old_base)
    _renew_views(base, now)
    return t


def _renew_view(view: Tensor, base: Tensor, rule, op: str, now: int) -> None:
    """A view of a tensor just changed in place shows the new values, so from now on it is a
    view of the base's new node; ops that used it before still reach the old one."""
    if not base.requires_grad:
        return
    view._prior = (now, _old_node(view))
    view._parents, view._backward, view._op = (base,), rule, op
    view._epoch, view._saved = now, "view"
    view.requires_grad, view._hooks = True, None


def _write(t: Tensor, data: np.ndarray, op: str) -> None:
    """Copy an op's result into t's own array, keeping t's shape and dtype (as PyTorch)."""
    if data.shape != t.shape:
        raise ValueError(f"{op}: the result has shape {data.shape} but the tensor changed in "
                         f"place has shape {t.shape}; an in-place op cannot change a tensor's "
                         "shape (use the out-of-place form, x = x + y)")
    if data.dtype != t.dtype and not np.can_cast(data.dtype, t.dtype, "same_kind"):
        raise TypeError(f"{op}: the result has dtype {data.dtype}, which an in-place op cannot "
                        f"write into this tensor of dtype {t.dtype} (PyTorch: 'result type "
                        "can't be cast to the desired output type'); use the out-of-place form "
                        "or a floating-point tensor")
    if not t.data.flags.writeable:
        raise ValueError(f"{op}: this tensor is a read-only view (from expand or broadcast_to) "
                         "and cannot be changed in place; .clone() it first")
    np.copyto(t.data, data, casting="unsafe")


def _old_node(t: Tensor) -> Tensor:
    """A new object standing for t as it was: the same array and node, for the ops that
    used t's old value (their version checks see the write through the shared array)."""
    old = fresh(t.data)
    old.name, old._hooks, old.requires_grad = t.name, t._hooks, t.requires_grad
    old._parents, old._backward, old._op = t._parents, t._backward, t._op
    if t._backward is not None:
        old._epoch, old._saved = t._epoch, t._saved
    old._prior = getattr(t, "_prior", None)
    return old


# ------------------------------------------------------------------ the ops
def add_(t: Tensor, other) -> Tensor:
    return apply(t, "add_", ops.add, (other,))


def sub_(t: Tensor, other) -> Tensor:
    return apply(t, "sub_", ops.sub, (other,))


def mul_(t: Tensor, other) -> Tensor:
    return apply(t, "mul_", ops.mul, (other,), keeps_self=_requires_grad(other))


def div_(t: Tensor, other) -> Tensor:
    return apply(t, "div_", ops.div, (other,), keeps_self=_requires_grad(other))


def clamp_(t: Tensor, lo=None, hi=None) -> Tensor:
    return apply(t, "clamp_", ops.clip, (lo, hi), keeps_self=t.requires_grad)


def fill_(t: Tensor, value, op: str = "fill_") -> Tensor:
    """Every element becomes value (a number or a one-element tensor); the old value gets
    no gradient."""
    if isinstance(value, Tensor):
        if value.data.size != 1:
            raise ValueError(f"{op}: value must be a number or a one-element tensor, got a "
                             f"tensor of shape {value.shape}")
        value = value.reshape(())
    elif not isinstance(value, (bool, int, float, np.number)):
        raise TypeError(f"{op}: value must be a number, got {type(value).__name__} {value!r}")
    return apply(t, op, lambda s, v: ops.where(np.ones(s.shape, bool), v, s), (value,))


def copy_(t: Tensor, src) -> Tensor:
    """t's elements become src's (broadcast to t's shape, cast to t's dtype)."""
    src = lift(src, t)

    def compute(s, src):
        try:
            moved = ops.broadcast_to(ops.astype(src, t.dtype), t.shape)
        except ValueError:
            raise ValueError(f"copy_: the source of shape {src.shape} does not broadcast to the "
                             f"destination's shape {t.shape}") from None
        # a node on both: src's gradient flows, the old value (s) gets zeros
        return ops.where(np.zeros(s.shape, bool), s, moved)

    return apply(t, "copy_", compute, (src,))


def setitem(t: Tensor, index, value) -> None:
    """``t[index] = value``; the gradient of value is what flows to those elements, the
    old elements get none."""
    return apply(t, "setitem", lambda s, v: ops.setitem(s, index, v), (value,))
