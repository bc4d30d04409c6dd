"""Forward hooks: functions a Module calls around its ``forward``, to watch or change what
flows through it without replacing ``forward`` (PyTorch's ``register_forward_pre_hook`` and
``register_forward_hook``, with the same arguments and return-value rules)::

    seen = []
    handle = layer.register_forward_hook(lambda module, inputs, output: seen.append(output.shape))
    layer(cr.ones(5, 3))       # seen == [(5, 2)]
    handle.remove()            # layer(x) no longer calls it

A module keeps its hooks in one dict, ``_hooks`` (handle -> (PRE or POST, hook)), in
registration order; ``Module.__call__`` looks at that dict only, so a module without hooks
pays one attribute read per call. Hooks are not state: ``state_dict`` does not see them.
"""
from __future__ import annotations

from typing import Callable

from ..grad_mode import _state

__all__ = ["RemovableHandle"]

PRE = "pre"      # hook(module, args) before forward
POST = "post"    # hook(module, args, output) after forward


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``handle.remove()`` unregisters the hook
    (removing twice does nothing); ``with module.register_forward_hook(fn):`` removes it on
    exit.

    >>> model = nn.Linear(3, 2)
    >>> handle = model.register_forward_hook(lambda m, inputs, out: print(out.shape))
    >>> handle.remove()
    """

    __slots__ = ("_hooks",)

    def __init__(self, hooks: dict) -> None:
        self._hooks = hooks

    def remove(self) -> None:
        self._hooks.pop(self, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(module, when: str, hook: Callable, method: str) -> RemovableHandle:
    """Register hook to run at when (PRE or POST) on module; method names the caller in
    the error for a hook that cannot be called."""
    if not callable(hook):
        raise TypeError(f"{type(module).__name__}.{method}: expected a function, got "
                        f"{type(hook).__name__} {hook!r}")
    handle = RemovableHandle(module._hooks)
    module._hooks[handle] = (when, hook)
    return handle


def call_with_hooks(module, args: tuple, kwargs: dict):
    """module.forward(*args, **kwargs) with its hooks around it, as PyTorch runs them:
    the pre-hooks in registration order, each seeing the inputs the previous one returned
    (a non-None return replaces the positional inputs; a non-tuple becomes a 1-tuple),
    then forward, then the forward hooks in order, each seeing the inputs forward got and
    the output so far (a non-None return replaces the output). Each list is read when its
    turn comes, so a hook may add or remove hooks, its own included, while it runs.
    While ``cr.compile`` records, every module call comes here and is reported to it."""
    if _state["recorder"] is not None:
        _state["recorder"].on_module(module)
    for when, hook in tuple(module._hooks.values()):
        if when is PRE:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    output = module.forward(*args, **kwargs)
    for when, hook in tuple(module._hooks.values()):
        if when is POST:
            result = hook(module, args, output)
            if result is not None:
                output = result
    return output
