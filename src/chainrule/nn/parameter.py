"""``Parameter``: a Tensor that a Module trains (``nn.module`` registers it on assignment)."""
from __future__ import annotations

from ..tensor import Tensor

__all__ = ["Parameter"]


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
