"""One flat array for a parameter group's values, one for its gradients, one per state
entry (momentum, Adam's moments ...), with every parameter's ``.data``, ``.grad`` and state
arrays views into them: the optimizer's update rule then runs once over the flat arrays
instead of once per parameter, and everything the user sees (``p.data``, ``p.grad``,
``optimizer.state``, ``state_dict()``) stays a live view of what the replay computes.
"""
from __future__ import annotations

import operator

import numpy as np

from ..tensor import fresh

__all__ = ["Arena"]

_DATA = operator.attrgetter("data")


def _flat_views(arrays: list, dtype) -> tuple[np.ndarray, list]:
    """A flat copy of the arrays and views of it shaped like each."""
    flat = np.empty(sum(a.size for a in arrays), dtype)
    views, start = [], 0
    for a in arrays:
        view = flat[start:start + a.size].reshape(a.shape)
        view[...] = a
        views.append(view)
        start += a.size
    return flat, views


class Arena:
    """The parameters of one optimizer group that had a gradient when it stepped."""

    def __init__(self, optimizer, group: dict, params: list) -> None:
        self.optimizer, self.group, self.params = optimizer, group, params
        self.generation = optimizer._generation
        dtypes = {p.data.dtype for p in params}
        self.flat = len(dtypes) == 1   # one dtype: flat arrays; else per-parameter views
        dtype = dtypes.pop() if self.flat else None
        if self.flat:
            self.values, views = _flat_views([p.data for p in params], dtype)
            self.grads, grad_views = _flat_views(
                [p.data if p.grad is None else p.grad.data for p in params], dtype)
        else:
            views = [p.data for p in params]
            grad_views = [np.array(p.data if p.grad is None else p.grad.data) for p in params]
        for p, view in zip(params, views):
            p.data = view
        self.views = views
        self.grad_tensors = [fresh(view) for view in grad_views]
        for p, g in zip(params, self.grad_tensors):
            if p.grad is not None:
                p.grad = g
        self.state = self._flat_state() if self.flat else None

    # ------------------------------------------------------------------ state
    def _flat_state(self) -> dict | None:
        """The optimizer's state of these parameters as one dict of flat arrays (and the
        scalars, which must agree), or None when they differ in kind or step count."""
        states = [self.optimizer.state.get(p) for p in self.params]
        self._state_views: dict = {}
        if any(s is None for s in states) or len({tuple(sorted(s)) for s in states}) != 1:
            return None
        flat: dict = {}
        for key, first in states[0].items():
            if isinstance(first, np.ndarray) and first.shape == self.params[0].data.shape:
                arrays = [s[key] for s in states]
                if any(not isinstance(a, np.ndarray) or a.shape != p.data.shape
                       for a, p in zip(arrays, self.params)):
                    return None
                flat[key], views = _flat_views(arrays, self.values.dtype)
                for s, view in zip(states, views):
                    s[key] = view
                self._state_views[key] = views
            elif all(_same(s[key], first) for s in states):
                flat[key] = first
            else:
                return None
        self.scalars = [k for k, v in flat.items() if not isinstance(v, np.ndarray)
                        or v.shape != self.values.shape]
        self.states = states
        return flat

    def owns(self) -> bool:
        """The parameters still hold the arena's arrays (nobody assigned a new .data) and
        the optimizer has not been given new state or groups since."""
        return self.optimizer._generation == self.generation and \
            all(map(operator.is_, map(_DATA, self.params), self.views))

    def adopt(self) -> None:
        """After an eager step over the arena's parameters (recording a new shape): take
        back the gradients and state arrays it made anew."""
        for p, gt in zip(self.params, self.grad_tensors):
            if p.grad is not None and p.grad is not gt:
                gt.data[...] = p.grad.data
                p.grad = gt
        if self.state is None:
            return
        for key, views in self._state_views.items():
            for p, view in zip(self.params, views):
                s = self.optimizer.state[p]
                if s[key] is not view:
                    view[...] = s[key]
                    s[key] = view
        for key in self.scalars:
            self.state[key] = self.optimizer.state[self.params[0]][key]

    # ------------------------------------------------------------------ replay
    def update(self) -> None:
        """One optimizer step over the group, as ``optimizer.step()`` would take it."""
        opt, group = self.optimizer, self.group
        if self.state is not None:
            for key in self.scalars:       # (an eager step in between may have moved them)
                self.state[key] = self.states[0][key]
            opt._update(group, [self.values], [self.grads], [self.state])
            for key in self.scalars:       # (a step counter: every parameter's copy)
                value = self.state[key]
                for s in self.states:
                    s[key] = value
        else:
            states = [opt.state[p] for p in self.params]
            opt._update(group, self.views, [g.data for g in self.grad_tensors], states)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and bool(np.array_equal(a, b))
    return a == b
