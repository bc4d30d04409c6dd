"""``Parameter`` and ``Module``: the bookkeeping every network shares.

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

from typing import Iterator, NamedTuple

import numpy as np

from ..tensor import Tensor

__all__ = ["Parameter", "Module"]


class Parameter(Tensor):
    """A Tensor that is a trainable part of a Module: it requires a gradient by default,
    and assigning it to a Module attribute registers it.

    It shares the array of a Tensor it is made from (``Parameter(cr.zeros(3))``); other data
    becomes an array as in ``cr.tensor`` (Python floats give float32).

    >>> w = nn.Parameter(cr.zeros(2, 3))
    >>> w.requires_grad, w.shape
    (True, (2, 3))
    """

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match."""
    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and network. Subclasses call ``super().__init__()`` first,
    assign parameters and submodules as attributes, and define ``forward``."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning "
                               f"attributes (assigning {name!r})")
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to "
                                f"parameter {name!r}; expected a Parameter or None")
            self._parameters[name] = self.__dict__[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} to "
                                f"submodule {name!r}; expected a Module or None")
            self._modules[name] = self.__dict__[name] = None
        elif name in self._buffers:
            self._buffers[name] = self.__dict__[name] = _as_buffer(self, name, value)
        else:
            object.__setattr__(self, name, value)

    # Parameters, buffers and submodules live in their stores (which keep their order
    # and kind) and are mirrored in the instance __dict__, so reading ``self.weight``
    # is a plain attribute lookup: it happens on every forward pass.
    def __getattr__(self, name: str):
        # Called only when normal lookup fails (e.g. during unpickling).
        for store in ("_parameters", "_buffers", "_modules"):
            items = self.__dict__.get(store)
            if items is not None and name in items:
                return items[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def _forget(self, name: str) -> None:
        """Drop name from every store and from the plain attributes."""
        for store in (self._parameters, self._buffers, self._modules):
            store.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or a None placeholder, as ``Linear(bias=False)`` does)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a "
                            f"Parameter or None, got {type(param).__name__}")
        _check_name(self, name)
        self._forget(name)
        self._parameters[name] = self.__dict__[name] = param

    def register_buffer(self, name: str, value, persistent: bool = True) -> None:
        """Add state that is not trained but belongs to the module (it is saved by
        ``state_dict`` unless persistent=False). Arrays become Tensors without gradient."""
        _check_name(self, name)
        self._forget(name)
        self._buffers[name] = self.__dict__[name] = _as_buffer(self, name, value)
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Add a submodule under name (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module or "
                            f"None, got {type(module).__name__}")
        _check_name(self, name)
        self._forget(name)
        self._modules[name] = self.__dict__[name] = module

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
                        for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct submodules, with their attribute names."""
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator["Module"]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, recurse: bool):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self, recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ``('0.weight', ...)`` in a Sequential; a
        parameter shared by two layers is listed once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter once: what an optimizer is given."""
        for _, p in self.named_parameters(recurse):
            yield p

    def named_buffers(self, recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", recurse)

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

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``, PyTorch's default)."""
        for p in self.parameters():
            p.grad = None

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
            for name, p in module._parameters.items():
                if p is not None:
                    out[dot + name] = p
            for name, b in module._buffers.items():
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
                value = np.asarray(state[key].data if isinstance(state[key], Tensor)
                                   else state[key])
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
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """The layer's settings shown inside its repr, e.g. ``in_features=2, out_features=3``."""
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + _indent(repr(module))
                 for name, module in self._modules.items() if module is not None]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return f"{type(self).__name__}(\n" + "".join(f"  {line}\n" for line in body) + ")"


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
