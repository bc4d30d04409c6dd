"""``Module``: the bookkeeping every network shares. (``Parameter`` lives in parameter.py and
how forward hooks run in hooks.py.)

A Module owns parameters (tensors the optimizer updates), buffers (state that is saved but
not trained, such as BatchNorm's running statistics) and submodules. Assigning one of them
to an attribute registers it, as in PyTorch::

    class TwoLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 8)     # a submodule: its parameters become ours
            self.out = nn.Linear(8, 1)

        def forward(self, x):
            return self.out(self.hidden(x).tanh())

    [name for name, _ in TwoLayer().named_parameters()]
    # ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
"""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..grad_mode import _state
from ..autograd import clear_grad
from ..tensor import Tensor
from .hooks import POST, PRE, RemovableHandle, add_hook, call_with_hooks
from .parameter import Parameter

__all__ = ["Parameter", "Module"]

# The kinds of member a Module registers (the keys of Module._members).
PARAMETER, BUFFER, MODULE = "parameter", "buffer", "module"
_LABEL = {PARAMETER: "parameter", BUFFER: "buffer", MODULE: "submodule"}
_EXPECTED = {PARAMETER: "Parameter", MODULE: "Module"}


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""
    missing_keys: list
    unexpected_keys: list


class _Members(MutableMapping):
    """A module's members of one kind (its parameters, buffers or submodules) by name, in
    registration order: a view, the values being the module's attributes. Assigning to a
    registered name replaces the value without checks (as PyTorch's
    ``module._parameters[name] = p``, e.g. to substitute float64 copies in a gradcheck);
    new members are added with ``register_parameter``/``register_buffer``/``add_module``."""

    __slots__ = ("_module", "_kind")

    def __init__(self, module: "Module", kind: str) -> None:
        self._module, self._kind = module, kind

    def _check(self, name: str) -> None:
        if name not in self._module._members[self._kind]:
            raise KeyError(f"{type(self._module).__name__} has no {_LABEL[self._kind]} "
                           f"{name!r}")

    def __getitem__(self, name: str):
        self._check(name)
        return self._module.__dict__[name]

    def __setitem__(self, name: str, value) -> None:
        self._check(name)
        self._module.__dict__[name] = value

    def __delitem__(self, name: str) -> None:
        self._check(name)
        self._module._forget(name)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._module._members[self._kind]))

    def __len__(self) -> int:
        return len(self._module._members[self._kind])

    def __repr__(self) -> str:
        return repr(dict(self._module._named(self._kind)))


class Module:
    """Base class of every layer and network. Subclasses call ``super().__init__()`` first,
    assign parameters and submodules as attributes, and define ``forward``. Call a module
    as ``module(x)``: that runs its forward hooks (``register_forward_hook``) around
    ``forward``."""

    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        # kind -> {name: None}: the names of the members of each kind, in registration order
        d["_members"] = {PARAMETER: {}, BUFFER: {}, MODULE: {}}
        d["_non_persistent"] = set()
        d["_hooks"] = {}            # see hooks.py
        d["training"] = True

    # ------------------------------------------------------------ registration
    # One store: a parameter, buffer or submodule is a plain instance attribute, so reading
    # ``self.weight`` (on every forward pass) is an ordinary attribute lookup; ``_members``
    # records only which attributes are members, of which kind, in which order.
    # ``_parameters``, ``_buffers`` and ``_modules`` are views of them (PyTorch's names).
    def __setattr__(self, name: str, value) -> None:
        if "_members" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning "
                               f"attributes (assigning {name!r})")
        if isinstance(value, Parameter):
            return self.register_parameter(name, value)
        if isinstance(value, Module):
            return self.add_module(name, value)
        kind = self._kind_of(name)
        if kind is None:
            object.__setattr__(self, name, value)
        elif kind == BUFFER:
            self.__dict__[name] = _as_buffer(self, name, value)
        elif value is None:                  # allowed, as in PyTorch (e.g. no bias)
            self.__dict__[name] = None
        else:
            raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to "
                            f"{_LABEL[kind]} {name!r}; expected a {_EXPECTED[kind]} or None")

    def __getattr__(self, name: str):
        # Reached only when normal lookup fails: say why Module's own state is missing.
        hint = (": its __init__ must call super().__init__() first"
                if name in ("_members", "_hooks", "_non_persistent") else "")
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'{hint}")

    def __delattr__(self, name: str) -> None:
        if self._kind_of(name) is not None:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        """Drop name as a member and as an attribute."""
        for names in self._members.values():
            names.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def _register(self, kind: str, name: str, value) -> None:
        self._forget(name)
        self._members[kind][name] = None
        self.__dict__[name] = value

    def _kind_of(self, name: str) -> str | None:
        """PARAMETER, BUFFER or MODULE if name is a member, else None."""
        for kind, names in self._members.items():
            if name in names:
                return kind
        return None

    def _named(self, kind: str) -> list[tuple[str, object]]:
        """(name, value) of this module's own members of one kind, in registration order."""
        d = self.__dict__
        return [(name, d[name]) for name in self._members[kind]]

    @property
    def _parameters(self) -> "_Members":
        return _Members(self, PARAMETER)

    @property
    def _buffers(self) -> "_Members":
        return _Members(self, BUFFER)

    @property
    def _modules(self) -> "_Members":
        return _Members(self, MODULE)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, as ``Linear(bias=False)`` does)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a "
                            f"Parameter or None, got {type(param).__name__}")
        _check_name(self, name)
        self._register(PARAMETER, name, param)

    def register_buffer(self, name: str, value, persistent: bool = True) -> None:
        """Add state that is not trained but belongs to the module (it is saved by
        ``state_dict`` unless persistent=False). Arrays become Tensors without gradient."""
        _check_name(self, name)
        self._register(BUFFER, name, _as_buffer(self, name, value))
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a submodule under name (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module or "
                            f"None, got {type(module).__name__}")
        _check_name(self, name)
        self._register(MODULE, name, module)

    # --------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """This module and every module inside it, each once, with dotted names ('' for self)."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m)
                        for n, m in module._named(MODULE) if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct submodules, with their attribute names."""
        for name, module in self._named(MODULE):
            if module is not None:
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, kind: str, recurse: bool):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in module._named(kind):
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ``('0.weight', ...)`` in a Sequential; a
        parameter shared by two layers is listed once."""
        return self._named_members(PARAMETER, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once: what an optimizer is given."""
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members(BUFFER, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse):
            yield b

    def apply(self, fn) -> "Module":
        """Call fn(module) on every submodule and then on self (e.g. to initialise weights)."""
        for module in reversed(list(self.modules())):
            fn(module)
        return self

    # ------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> "Module":
        """Training mode (Dropout drops, BatchNorm uses batch statistics) for self and every
        submodule; ``train(False)`` is ``eval()``. Returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: Dropout is the identity, BatchNorm uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: ``.grad = None`` (PyTorch's default), or
        zeros with ``set_to_none=False``."""
        if _state["recorder"] is not None:   # cr.compile is recording this step
            _state["recorder"].on_zero_grad(self, set_to_none)
        for p in self.parameters():
            clear_grad(p, set_to_none)

    def to(self, dtype) -> "Module":
        """Cast every floating parameter and buffer to dtype in place (e.g. float64 for
        gradcheck); gradients are dropped. Returns self."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"{type(self).__name__}.to: expected a floating dtype, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.dtype.kind == "f":
                t.data = t.data.astype(dtype)
                t.grad = None
        return self

    def double(self) -> "Module":
        return self.to(np.float64)

    def float(self) -> "Module":
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        """Every parameter and persistent buffer as ``{dotted name: numpy copy}``, in
        registration order (own entries first, then each submodule's).

        >>> nn.Linear(2, 3).state_dict().keys()
        dict_keys(['weight', 'bias'])
        """
        return {key: t.data.copy() for key, t in self._state_tensors().items()}

    def _state_tensors(self) -> dict:
        """The tensors whose values ``state_dict`` copies, under the same names."""
        out = {}
        for prefix, module in self.named_modules():
            dot = prefix + "." if prefix else ""
            for name, p in module._named(PARAMETER):
                if p is not None:
                    out[dot + name] = p
            for name, b in module._named(BUFFER):
                if b is not None and name not in module._non_persistent:
                    out[dot + name] = b
        return out

    def load_state_dict(self, state: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values (arrays or Tensors) into the parameters and buffers, in place and in
        their own dtype. Nothing is changed unless every entry fits: a shape mismatch is
        always an error; with strict=True (default) so are missing and unexpected keys."""
        owner = type(self).__name__
        if not isinstance(state, dict):
            raise TypeError(f"{owner}.load_state_dict: expected a dict of name -> array, got "
                            f"{type(state).__name__}")
        targets = self._state_tensors()
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        problems = []
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(map(repr, unexpected)))
        values = {}
        for key, target in targets.items():
            if key in state:
                value = _numbers(state[key])
                if value is None:
                    problems.append(f"{key!r} must hold numbers, got "
                                    f"{_short_repr(state[key])}")
                    continue
                if value.shape != target.shape:
                    problems.append(f"shape mismatch for {key!r}: the checkpoint has "
                                    f"{value.shape}, the model has {target.shape}")
                values[key] = value
        if problems:
            raise ValueError(f"{owner}.load_state_dict: " + "; ".join(problems))
        for key, value in values.items():
            targets[key].data[...] = value.astype(targets[key].dtype, copy=False)
        return IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} defines no forward()")

    def __call__(self, *args, **kwargs):
        # the checks a module without hooks pays (cr.compile records the modules it meets)
        if self._hooks or _state["recorder"] is not None:
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args)`` before every forward (args: the positional inputs,
        a tuple); a non-None return replaces them (a single value becomes a 1-tuple).

        >>> layer = nn.Linear(3, 2)
        >>> handle = layer.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        """
        return add_hook(self, PRE, hook, "register_forward_pre_hook")

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward; a non-None return
        replaces the output. Returns a handle: ``handle.remove()`` unregisters the hook.
        Hooks run when the module is called, ``module(x)`` (containers call their children
        that way), in registration order; they are not part of ``state_dict``.

        >>> layer = nn.Linear(3, 2)
        >>> seen = []
        >>> handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = layer(cr.ones(5, 3)); handle.remove()
        >>> seen
        [(5, 2)]
        """
        return add_hook(self, POST, hook, "register_forward_hook")

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The layer's settings shown inside its repr, e.g. ``in_features=2, out_features=3``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + _indent(repr(module))
                 for name, module in self._named(MODULE) if module is not None]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return f"{type(self).__name__}(\n" + "".join(f"  {line}\n" for line in body) + ")"


def _numbers(value) -> np.ndarray | None:
    """value (an array, a Tensor, nested lists) as a numeric array; None if it is not one."""
    try:
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
    except ValueError:      # ragged nested lists
        return None
    return arr if arr.dtype.kind in "biuf" else None


def _short_repr(value) -> str:
    text = f"{type(value).__name__} {value!r}"
    return text if len(text) <= 60 else text[:57] + "..."


def _indent(text: str) -> str:
    """Indent every line but the first by two spaces (nested reprs, as PyTorch prints)."""
    return text.replace("\n", "\n  ")


def _check_name(module: Module, name: str) -> None:
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"{type(module).__name__}: a parameter, buffer or module name must be "
                         f"a non-empty string without '.', got {name!r}")


def _as_buffer(module: Module, name: str, value) -> Tensor | None:
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value, dtype=value.dtype)
    raise TypeError(f"{type(module).__name__}: buffer {name!r} must be a Tensor, an ndarray or "
                    f"None, got {type(value).__name__}")
