"""``cr.compile``: record a whole training step once, then replay it as NumPy calls.

    step = cr.compile(train_step)     # train_step(x, y): forward, loss, backward, step
    for x, y in loader:
        loss = step(x, y)

The first call with inputs of given shapes and dtypes runs the step eagerly while a
recorder (``recorder.py``) notes every op, the backward pass, ``zero_grad`` and the
optimizer's ``step``. ``program.py`` turns that into a list of NumPy calls into buffers
allocated once (each op's replay form is in ``forms.py``), and ``arena.py`` gathers each
optimizer group's parameters, gradients and state into flat arrays that the update rule
runs over in a few calls. Later calls with the same shapes, dtypes and train/eval modes
replay the list: no Tensor, no graph, no sort.
"""
from __future__ import annotations

import functools
import operator
import warnings

from ..tensor import Tensor
from .program import Program, Unreplayable, build_arenas
from .recorder import recording

__all__ = ["compile", "Compiled", "ReplayError", "ReplayWarning"]


class ReplayError(RuntimeError):
    """A step that ``cr.compile(..., fallback="error")`` cannot replay."""


class ReplayWarning(UserWarning):
    """A compiled step that runs eagerly, and why (said once per reason)."""


def compile(fn=None, *, fallback: str = "warn"):
    """Record ``fn``, a whole training step, once; replay it on later calls.

    ``fn(*tensors)`` runs forward, loss, ``backward()``, ``optimizer.step()`` and
    ``zero_grad()`` and returns the loss (or a tuple of tensors, or None). The first call
    with inputs of given shapes and dtypes (and the train/eval mode of the modules it
    calls) runs it eagerly and records it; later calls with the same replay the recording
    and return a new tensor holding the loss. The replay computes what the eager step
    computes, with the same NumPy calls; parameters, ``.grad``, the optimizer's state and
    ``state_dict()`` stay what the user sees (they become views into flat arrays the
    update runs over). Random draws of dropout are fresh on every replay, in the eager
    order; shuffling outside the step is untouched.

    Like ``torch.jit.trace`` and tinygrad's TinyJit, the recording is of what the call
    did, not of the Python that did it: control flow that depends on values (``if
    loss.item() > 1``), Python numbers computed from tensors and tensors created inside
    the step are frozen as they were at record time. What cannot be replayed (forward or
    tensor hooks, ``create_graph``, ``cr.grad``, in-place ops, an op without a replay form,
    random tensors made inside the step) runs eagerly with a one-time warning that names
    the reason, or raises ``ReplayError`` with ``fallback="error"``.

    >>> model = nn.Linear(3, 1)
    >>> opt = cr.optim.SGD(model.parameters(), lr=0.1)
    >>> @cr.compile
    ... def step(x, y):
    ...     opt.zero_grad()
    ...     loss = F.mse_loss(model(x), y)
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> x, y = cr.ones(4, 3), cr.zeros(4, 1)
    >>> first, second = step(x, y), step(x, y)   # recorded, then replayed
    >>> bool(second.item() < first.item())
    True
    """
    if fallback not in ("warn", "error"):
        raise ValueError(f"compile: fallback must be 'warn' or 'error', got {fallback!r}")
    if fn is None:
        return functools.partial(compile, fallback=fallback)
    if not callable(fn):
        raise TypeError(f"compile: expected a function (a training step), got "
                        f"{type(fn).__name__}")
    return Compiled(fn, fallback)


_TRAINING = operator.attrgetter("training")
_HOOKS = operator.attrgetter("_hooks")


class _Entry:
    """One recording: its program (None: runs eagerly) and the train/eval modes of the
    modules it called."""

    __slots__ = ("program", "modules", "modes", "reason")

    def __init__(self, program, modules: tuple, reason):
        self.program, self.modules, self.reason = program, modules, reason
        self.modes = self._modes()

    def _modes(self) -> tuple:
        # train/eval and whether it has hooks (C-level maps: 200 modules in a few us)
        return tuple(map(_TRAINING, self.modules)), tuple(map(len, map(_HOOKS, self.modules)))

    def matches(self) -> bool:
        return self._modes() == self.modes


class Compiled:
    """What ``cr.compile(fn)`` returns: call it as you would call ``fn``."""

    def __init__(self, fn, fallback: str = "warn") -> None:
        self.fn, self.fallback = fn, fallback
        self._entries: dict = {}      # input shapes and dtypes -> [_Entry, ...]
        self._arenas: dict = {}       # id(optimizer) -> [Arena, ...], shared by entries
        self._warned: set = set()
        functools.update_wrapper(self, fn)

    def __call__(self, *tensors):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"compile: a compiled step takes Tensors, but argument {i} "
                                f"is a {type(t).__name__}; wrap it with cr.tensor(...)")
        key = tuple((t.data.shape, t.data.dtype) for t in tensors)
        for entry in self._entries.get(key, ()):
            if entry.matches():
                if entry.program is None:
                    return self.fn(*tensors)
                if entry.program.valid():
                    return entry.program.run(tensors)
                self._entries[key].remove(entry)   # parameters or optimizer were replaced
                break
        return self._record(key, tensors)

    @property
    def recordings(self) -> int:
        """How many recordings are cached (one per input shape, dtype and mode)."""
        return sum(len(v) for v in self._entries.values())

    def _record(self, key: tuple, tensors: tuple):
        with recording() as rec:
            returned = self.fn(*tensors)
        program, reason = None, rec.reason
        if reason is None:
            try:
                program = Program(rec, tensors, returned, build_arenas(rec, self._arenas))
            except Unreplayable as e:
                reason = str(e)
        entry = _Entry(program, tuple(rec.modules.values()), reason)
        self._entries.setdefault(key, []).append(entry)
        if reason is not None:
            self._refuse(reason)
        return returned

    def _refuse(self, reason: str) -> None:
        name = getattr(self.fn, "__name__", "the step")
        message = f"compile: cannot replay {name}: {reason}"
        if self.fallback == "error":
            raise ReplayError(message)
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(message + "; running it eagerly", ReplayWarning, stacklevel=3)
