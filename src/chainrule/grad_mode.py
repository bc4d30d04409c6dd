"""The two switches of the engine: whether ops record a graph, and whether the
backward pass itself is being recorded (``create_graph=True``).

They are the only global mutable state besides the random generator.
"""
from __future__ import annotations

import functools

_state = {"grad_enabled": True, "differentiable_backward": False}


def is_grad_enabled() -> bool:
    """True when ops record the graph that ``backward`` walks."""
    return _state["grad_enabled"]


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off.

    >>> with cr.set_grad_enabled(False):
    ...     y = x * 2          # y.requires_grad is False
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.prev = _state["grad_enabled"]

    def __enter__(self) -> None:
        self.prev = _state["grad_enabled"]
        _state["grad_enabled"] = self.mode

    def __exit__(self, *exc) -> None:
        _state["grad_enabled"] = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)(self.mode):
                return fn(*args, **kwargs)

        return wrapper


class no_grad(set_grad_enabled):
    """Build no graph inside the block: for evaluation and for weight updates.

    >>> with cr.no_grad():
    ...     pred = model(x)     # nothing is recorded, nothing to free
    """

    def __init__(self) -> None:
        super().__init__(False)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(set_grad_enabled):
    """Record the graph again inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with enable_grad():
                return fn(*args, **kwargs)

        return wrapper

