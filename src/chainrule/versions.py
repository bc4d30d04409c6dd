"""Version counters: how the backward pass notices that a value it needs was changed in place.

Every in-place op (``a += b``, ``add_``, ``t[i] = v`` ...) ticks one clock and stamps the
storage it wrote: the NumPy array that owns the memory, so views and detached tensors share a
stamp, as PyTorch's views share a version counter. A recorded node keeps the clock reading of
its creation (``_epoch``) and says which values its backward reads (``_saved``). Before the
backward pass runs a node recorded before the latest in-place op it checks that none of those
values was stamped since; graphs built while nothing is changed in place pay one integer per
node and one comparison per node, nothing more.

An in-place op on a tensor in the graph gives the tensor a new node and keeps the old one as
``_prior = (clock, old)``: an op recorded before that clock reading meant the old value, so the
backward pass routes its gradient to ``old`` (``as_of``).
"""
from __future__ import annotations

import weakref

import numpy as np

from .grad_mode import _state

__all__ = ["bump", "version", "written_after", "saved_by", "as_of", "storage", "register_view",
           "views_of", "view_entry"]

# id(storage array) -> [version, clock reading of the last write, weakref to the array]
_stamps: dict = {}


def storage(arr: np.ndarray) -> np.ndarray:
    """The array that owns arr's memory (arr itself unless it is a view)."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def _entry(arr: np.ndarray):
    owner = storage(arr)
    entry = _stamps.get(id(owner))
    if entry is not None and entry[2]() is owner:
        return entry
    return None


def _forget(key: int, ref) -> None:
    entry = _stamps.get(key)
    if entry is not None and entry[2] is ref:
        del _stamps[key]


def bump(arr: np.ndarray) -> int:
    """Record an in-place write into arr's storage; returns the new clock reading."""
    if _state["recorder"] is not None:
        _state["recorder"].unsupported("an in-place op on a tensor (a += b, add_, t[i] = v)")
    _state["clock"] += 1
    entry = _entry(arr)
    if entry is None:
        owner = storage(arr)
        key = id(owner)
        entry = _stamps[key] = [0, 0, weakref.ref(owner, lambda r, key=key: _forget(key, r))]
    entry[0] += 1
    entry[1] = _state["clock"]
    return entry[1]


def tick() -> int:
    """Advance the clock without a write (a new reading to order nodes by)."""
    _state["clock"] += 1
    return _state["clock"]


def version(arr: np.ndarray) -> int:
    """How many in-place writes arr's storage has seen (PyTorch's ``t._version``)."""
    entry = _entry(arr)
    return 0 if entry is None else entry[0]


def written_after(arr: np.ndarray, epoch: int) -> bool:
    entry = _entry(arr)
    return entry is not None and entry[1] > epoch


# What each op's backward reads, by the spec string its op passes to ``result`` (None, the
# default for ops written elsewhere, assumes everything). Each maps the node's inputs to
# (indices of the inputs read, whether the output is read); these follow what PyTorch saves,
# so the same programs raise.
def _cross(ps):     # a * b, a @ b, linear(x, w, b): each of the first two needs the other
    return tuple(i for i in (0, 1) if ps[1 - i].requires_grad), False


_SAVED = {
    "": lambda ps: ((), False),
    "view": lambda ps: ((), False),
    "out": lambda ps: ((), True),
    "in": lambda ps: (tuple(range(len(ps))), False),
    "in+out": lambda ps: (tuple(range(len(ps))), True),
    "cross": _cross,
    "div": lambda ps: ((0, 1) if ps[1].requires_grad else (1,), False),  # g/b, -g*a/b**2
    "pow": lambda ps: ((0, 1) if ps[0].requires_grad else (0,), ps[1].requires_grad),
}


def saved_by(spec, parents: tuple):
    return _SAVED["in+out" if spec is None else spec](parents)


def as_of(t, epoch: int):
    """The node that stood for tensor t when a node of clock reading ``epoch`` was recorded."""
    prior = getattr(t, "_prior", None)
    while prior is not None and prior[0] > epoch:
        t = prior[1]
        prior = getattr(t, "_prior", None)
    return t


def inputs_as_recorded(node) -> tuple:
    """node's inputs as they were when it was recorded; raises RuntimeError if its backward
    needs a value that an in-place op has changed since."""
    epoch, parents = node._epoch, node._parents
    inputs, output = saved_by(node._saved, parents)
    for i in inputs:
        if written_after(parents[i].data, epoch):
            raise _modified(node, f"input {i}", parents[i])
    if output and written_after(node.data, epoch):
        raise _modified(node, "output", node)
    return tuple(as_of(p, epoch) for p in parents)


# ---------------------------------------------------------------------- views
# id(storage) -> [weakref to the storage, [(weakref to a view, its backward), ...]]: the live
# views of each storage, so that an in-place op on the base can give them new nodes too (as
# PyTorch regenerates a view's grad_fn): a view read after the base changed then leads to
# the base's new node, one read before to the old.
_views: dict = {}


def register_view(view, base, backward, op: str, forward) -> None:
    """Remember that ``view`` (made from ``base`` by the view op ``op``: ``forward(base)``, whose
    rule is ``backward``) shares base's memory."""
    owner = storage(view.data)
    if owner is not storage(base.data):
        return   # NumPy copied (a reshape of a transposed array): not a view after all
    key = id(owner)
    entry = _views.get(key)
    if entry is None or entry[0]() is not owner:
        entry = _views[key] = [weakref.ref(owner, lambda r, key=key: _drop_views(key, r)), []]
    live = entry[1]
    if len(live) >= 64 and len(live) & (len(live) - 1) == 0:   # prune now and then
        live[:] = [item for item in live if item[0]() is not None]
    live.append((weakref.ref(view), weakref.ref(base), backward, op, forward))


def _drop_views(key: int, ref) -> None:
    entry = _views.get(key)
    if entry is not None and entry[0] is ref:
        del _views[key]


def views_of(t) -> list:
    """The live views of t's memory other than t, oldest first (a view's own base, when
    itself a view, comes before it), each as (view, base, backward, op, forward)."""
    entry = _views.get(id(storage(t.data)))
    if entry is None or entry[0]() is not storage(t.data):
        return []
    found = []
    for ref, base_ref, *rest in entry[1]:
        v, base = ref(), base_ref()
        if v is not None and base is not None and v is not t:
            found.append((v, base, *rest))
    return found


def view_entry(t):
    """(base, backward, op, forward) if t is a live view of another tensor, else None."""
    entry = _views.get(id(storage(t.data)))
    if entry is None or entry[0]() is not storage(t.data):
        return None
    for ref, base_ref, *rest in entry[1]:
        if ref() is t and base_ref() is not None:
            return (base_ref(), *rest)
    return None


def _modified(node, which: str, t) -> RuntimeError:
    return RuntimeError(
        "backward: one of the variables needed for gradient computation has been modified by "
        f"an inplace operation: the {which} of {node._op} (shape {t.shape}, dtype {t.dtype}) "
        f"is now at version {version(t.data)}, changed after {node._op} saved it for its "
        "backward. Compute it out of place (x = x + 1 rather than x += 1), or .clone() it "
        "before changing it.")
