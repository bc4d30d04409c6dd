"""The two switches of the engine: whether ops record a graph, and whether the
backward pass itself is being recorded (``create_graph=True``); and the clock that in-place
ops tick (see ``versions.py``).

They are the only global mutable state besides the random generator, with one more slot:
``recorder``, the ``replay.Recorder`` that ``cr.compile`` installs while it records a step
(None otherwise; the hot paths test it once).
"""
from __future__ import annotations

import functools

_state = {"grad_enabled": True, "differentiable_backward": False, "clock": 0, "recorder": None}


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward`` walks."""
    return _state["grad_enabled"]


class set_grad_enabled:
    """Turn graph recording on or off: as a plain call, which switches at once (as in
    PyTorch), as a context manager, or as a decorator.

    >>> _ = cr.set_grad_enabled(False)     # from here on nothing is recorded
    >>> _ = cr.set_grad_enabled(True)
    >>> x = cr.tensor(1.0, requires_grad=True)
    >>> with cr.set_grad_enabled(False):
    ...     y = x * 2                  # the mode comes back after
    >>> y.requires_grad, cr.is_grad_enabled()
    (False, True)
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state["grad_enabled"]
        _state["grad_enabled"] = self.mode

    def __enter__(self) -> None:
        _state["grad_enabled"] = self.mode

    def __exit__(self, *exc) -> None:
        _state["grad_enabled"] = self.prev

    def __call__(self, fn):
        _state["grad_enabled"] = self.prev     # as a decorator it acts only inside fn
        return _switched(fn, self.mode)


def _switched(fn, mode: bool):
    """fn, run with graph recording set to mode."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        prev = _state["grad_enabled"]
        _state["grad_enabled"] = mode
        try:
            return fn(*args, **kwargs)
        finally:
            _state["grad_enabled"] = prev

    return wrapper


class _Block(set_grad_enabled):
    """A switch that acts only inside a with-block or a decorated function."""

    def __init__(self, mode: bool) -> None:
        self.mode = mode
        self.prev = _state["grad_enabled"]

    def __enter__(self) -> None:
        self.prev = _state["grad_enabled"]
        _state["grad_enabled"] = self.mode

    def __call__(self, fn):
        return _switched(fn, self.mode)


class no_grad(_Block):
    """Build no graph inside the block: for evaluation and for weight updates.

    >>> model, x = nn.Linear(2, 1), cr.ones(1, 2)
    >>> with cr.no_grad():
    ...     pred = model(x)     # nothing is recorded, nothing to free
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_Block):
    """Record the graph again inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


class backward_mode:
    """The state a backward pass runs its rules in: with ``differentiable`` (create_graph)
    the rules see tensors and record a graph; otherwise they see arrays and record
    nothing. Restores the previous state on exit."""

    __slots__ = ("differentiable", "saved")

    def __init__(self, differentiable: bool) -> None:
        self.differentiable = bool(differentiable)
        self.saved = None

    def __enter__(self) -> None:
        self.saved = (_state["differentiable_backward"], _state["grad_enabled"])
        _state["differentiable_backward"] = _state["grad_enabled"] = self.differentiable

    def __exit__(self, *exc) -> None:
        _state["differentiable_backward"], _state["grad_enabled"] = self.saved
