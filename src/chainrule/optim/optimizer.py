"""The bookkeeping every optimizer shares: parameter groups, per-parameter state,
``zero_grad``, ``state_dict`` / ``load_state_dict``.

An optimizer is two things kept apart, as in PyTorch:

* the *update rule*, a plain function over lists of NumPy arrays (parameters,
  gradients, state) that changes them in place -- ``sgd.sgd``, ``adam.adam``, ...;
* the *bookkeeping class*, which holds the hyperparameters in ``param_groups`` and the
  state in ``state``, gathers the parameters that received a gradient, and calls the
  update rule once per group.

The update works on ``p.data`` directly: no graph is recorded, no Tensor is created,
and a float32 parameter stays float32.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable, Iterable

import numpy as np

from ..autograd import clear_grad
from ..grad_mode import _state, enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer"]

_UNORDERED = ("{}: parameters must come in an ordered collection (a list), not a set, so "
              "that state_dict indices mean the same on every run")


class Optimizer:
    """Base class of the optimizers: holds ``param_groups`` and ``state``.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs (as
    ``named_parameters()`` yields), or of dicts, one per group, each with a ``"params"``
    entry and any hyperparameters that differ from the optimizer's defaults:

    >>> opt = cr.optim.SGD([{"params": body.parameters()},  # doctest: +SKIP
    ...                     {"params": head.parameters(), "lr": 1e-2}], lr=1e-3)
    >>> opt.param_groups[1]["lr"]  # doctest: +SKIP
    0.01

    A subclass sets its defaults, implements ``_validate(group)`` (raise ValueError on a
    bad hyperparameter) and ``_update(group, params, grads, states)``, which receives
    the arrays of the parameters that have a gradient and their state dicts.
    """

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self._generation = 0    # counts new groups and loaded states (cr.compile's guard)
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, (Tensor, np.ndarray)):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got a "
                            f"single {type(params).__name__}; wrap it in a list")
        if isinstance(params, dict):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got "
                            "one dict; wrap the parameter group in a list")
        if isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED.format(name))
        params = _as_list(params, name)
        if not params:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters() "
                             "of a model that has parameters")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    # ---------------------------------------------------------------- groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones take the
        optimizer's defaults), e.g. to start training a layer that was frozen."""
        self._generation = getattr(self, "_generation", 0) + 1
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry, "
                            f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry, got keys "
                             f"{sorted(param_group)}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_UNORDERED.format(name))
        params = _as_list(params, name)
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            group["param_names"] = [n for n, _ in params]
            params = [p for _, p in params]
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize chainrule Tensors, but parameter {i} "
                                f"of the group is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: parameter {i} of the group is the result of an op "
                                 "(a non-leaf Tensor); optimize the leaf it was computed from")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: parameter {i} of the group has dtype {p.dtype}; only "
                                "floating-point tensors can be optimized (they alone have "
                                "gradients); make it a float, e.g. cr.tensor(..., "
                                "dtype=cr.float32, requires_grad=True)")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group lists the same parameter twice; it "
                             "would be updated twice per step")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict[str, Any]) -> None:
        """Raise ValueError on a bad hyperparameter; subclasses check their own."""

    # ------------------------------------------------------------------ step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters.

        With ``set_to_none=True`` (the default, as in PyTorch) ``.grad`` becomes None,
        which costs nothing and lets ``step`` skip parameters that get no new gradient;
        otherwise the gradients are filled with zeros.
        """
        if _state["recorder"] is not None:   # cr.compile is recording this step
            _state["recorder"].on_zero_grad(self, set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                clear_grad(p, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient, once.

        ``closure``, if given, is called first (with gradients enabled) to recompute the
        loss and the gradients; its return value is returned.
        """
        loss = None
        if _state["recorder"] is not None:   # cr.compile is recording this step
            _state["recorder"].on_step(self, closure)
        if closure is not None:
            with enable_grad():
                loss = closure()
        state = self.state
        for group in self.param_groups:
            params, grads, states = [], [], []
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.data.shape != p.data.shape:
                    raise ValueError(f"{type(self).__name__}.step: a parameter of shape "
                                     f"{p.data.shape} has a gradient of shape {g.data.shape}")
                s = state.get(p)
                if s is None:
                    s = state[p] = self._init_state(p.data, group)
                params.append(p.data)
                grads.append(g.data)
                states.append(s)
            if params:
                self._update(group, params, grads, states)
        return loss

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter before its first update."""
        return {}

    def _update(self, group: dict[str, Any], params: list, grads: list, states: list) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ----------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer, as PyTorch lays it out.

        ``{"state": {index: {name: ndarray}}, "param_groups": [{hyperparameters...,
        "params": [index, ...]}]}``; parameters are numbered 0, 1, ... in the order of
        the groups. The arrays are copies: later steps do not change the snapshot.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: list(v) if isinstance(v, list) else v
                      for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: np.array(v) for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a snapshot made by ``state_dict()`` of an optimizer of the same kind
        over parameters of the same shapes. The hyperparameters of the groups (``lr``
        included) are taken from the snapshot; the arrays are copied and cast to each
        parameter's dtype."""
        self._generation += 1
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups' (what "
                             f"state_dict() returns), got {_describe(state_dict)}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the state dict has {len(saved_groups)} parameter "
                             f"group(s), this optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        new_groups = []
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}: parameter group {i} has {len(saved['params'])} "
                                 f"parameter(s) in the state dict, {len(group['params'])} in "
                                 "this optimizer")
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}: parameter group {i} of the state dict lacks "
                                 f"{missing}; was it saved by a different kind of optimizer?")
            for idx, p in zip(saved["params"], group["params"]):
                by_index[int(idx)] = p
            new = {k: v for k, v in saved.items() if k != "params"}
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                new["param_names"] = group["param_names"]
            self._validate(new)
            new_groups.append(new)

        new_state: dict[Tensor, dict[str, Any]] = {}
        for idx, saved_state in state_dict["state"].items():
            idx = int(idx)   # keys may have become strings on a round trip through a file
            p = by_index.get(idx)
            if p is None:
                raise ValueError(f"{name}: the state dict has state for parameter {idx}, but "
                                 f"this optimizer has {len(by_index)} parameter(s)")
            new_state[p] = _restore_state(name, idx, saved_state, p.data)
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _as_list(params, name: str) -> list:
    """params as a list, or a TypeError saying what to pass instead."""
    if callable(getattr(params, "parameters", None)):
        raise TypeError(f"{name}: got the module {type(params).__name__} itself; pass its "
                        f"parameters: {name}(model.parameters(), lr=...)")
    try:
        return list(params)
    except TypeError:
        raise TypeError(f"{name}: params must be an iterable of Tensors (e.g. "
                        f"model.parameters()) or of parameter-group dicts, got "
                        f"{type(params).__name__}") from None


def l2_penalised(param: np.ndarray, grad: np.ndarray, weight_decay: float) -> np.ndarray:
    """grad + weight_decay * param: the gradient of the loss plus (weight_decay / 2)||param||^2,
    the coupled weight decay SGD, RMSprop and Adam share (a new array; grad is not touched)."""
    d = np.multiply(param, weight_decay)
    d += grad
    return d


def _restore_state(name: str, idx: int, saved: dict, param: np.ndarray) -> dict[str, Any]:
    restored = {}
    for key, value in saved.items():
        if key == "step":
            step = _numeric(name, f"state 'step' of parameter {idx}", value)
            if step.size != 1:
                raise ValueError(f"{name}: state 'step' of parameter {idx} must be one number, "
                                 f"got an array of shape {step.shape}")
            restored[key] = int(step.reshape(()))
            continue
        arr = _numeric(name, f"state {key!r} of parameter {idx}",
                       value.data if isinstance(value, Tensor) else value)
        if arr.shape != param.shape:
            raise ValueError(f"{name}: state {key!r} of parameter {idx} has shape {arr.shape}, "
                             f"but the parameter has shape {param.shape}")
        restored[key] = np.array(arr, dtype=param.dtype)   # always a fresh, owned copy
    return restored


def _numeric(name: str, what: str, value) -> np.ndarray:
    """value as a numeric array, or a ValueError naming what it is."""
    try:
        arr = np.asarray(value)
    except ValueError:       # ragged nested lists
        arr = None
    if arr is None or arr.dtype.kind not in "biuf":
        got = "ragged lists" if arr is None else f"{type(value).__name__} {value!r}"[:80]
        raise ValueError(f"{name}: {what} must be numbers, got {got}")
    return arr


def _describe(x) -> str:
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))}"
    return type(x).__name__


# ------------------------------------------------------------ hyperparameter checks
def check_number(opt: str, param: str, value, low: float = 0.0, high: float = math.inf,
                 high_inclusive: bool = True) -> None:
    """Raise ValueError unless ``low <= value <= high`` (``< high`` if not inclusive) and
    value is finite, TypeError if it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{opt}: {param} must be a number, got {value!r} "
                         f"({type(value).__name__})")
    if math.isinf(value):
        raise ValueError(f"{opt}: {param} must be a finite number, got {value!r}")
    ok = low <= value and (value <= high if high_inclusive else value < high)
    if not ok:   # also catches NaN, for which every comparison is False
        upper = "" if high == math.inf else (f" and <= {high}" if high_inclusive
                                             else f" and < {high}")
        raise ValueError(f"{opt}: {param} must be >= {low}{upper}, got {value!r}")
