"""``t.grad_fn``: a tensor's node under PyTorch's names, for programs that print or walk it.

>>> x = cr.tensor([1.0, 2.0], requires_grad=True)
>>> (x * 2).grad_fn
<MulBackward0>
>>> (x * 2).grad_fn.next_functions
((<AccumulateGrad>, 0), (None, 0))
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tensor import Tensor

class GradFn:
    """A read-only view of a tensor's node with PyTorch's names: ``name()`` (``MulBackward0``)
    and ``next_functions`` (the inputs' nodes; ``AccumulateGrad`` for a leaf)."""

    __slots__ = ("tensor",)

    def __init__(self, tensor: Tensor) -> None:
        self.tensor = tensor

    def name(self) -> str:
        op = self.tensor._op or "node"
        return "".join(part.capitalize() for part in op.strip("_").split("_")) + "Backward0"

    @property
    def next_functions(self) -> tuple:
        out = []
        for p in self.tensor._parents:
            if not p.requires_grad:
                out.append((None, 0))
            else:
                out.append((GradFn(p) if p._backward is not None else AccumulateGrad(p), 0))
        return tuple(out)

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class AccumulateGrad:
    """The node that adds a gradient into a leaf's ``.grad``."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return "<AccumulateGrad>"
