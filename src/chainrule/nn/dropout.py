"""Inverted dropout: ``dropout`` and the ``Dropout`` module."""
from __future__ import annotations

import numpy as np

from .. import random as _random
from ..tensor import Tensor, result
from .module import Module

__all__ = ["dropout", "Dropout"]


def _check_p(p, op: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p <= 1:
        raise ValueError(f"{op}: p is the probability of dropping a unit and must be a number "
                         f"in [0, 1], got {p!r}")
    return float(p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the survivors by 1 / (1 - p), so the
    expected value is unchanged and nothing needs rescaling at test time ("inverted"
    dropout). Identity when not training or p == 0; all zeros when p == 1. The mask is
    drawn from chainrule's generator; the gradient flows only through the kept elements.

    >>> F.dropout(cr.ones(4), p=0.5, training=False)      # identity
    tensor([1., 1., 1., 1.])
    """
    p = _check_p(p, "dropout")
    if not training or p == 0:
        return x
    mask = dropout_mask(x.shape, p, x.dtype)

    def rule(xp, g, out, a):
        return (g * mask,)    # (the mask: a constant of the op, as in PyTorch)

    return result(x.data * mask, (x,), rule, "dropout", "", replay={"p": p})


def dropout_mask(shape: tuple, p: float, dtype) -> np.ndarray:
    """The kept elements' factor, 1 / (1 - p), and 0 at the dropped ones: a fresh draw from
    chainrule's generator (``cr.compile`` draws its masks here too, in the same order)."""
    keep = _random.generator().random(shape) >= p
    scale = np.zeros((), dtype) if p == 1 else np.asarray(1 / (1 - p), dtype)
    return keep * scale


class Dropout(Module):
    """Inverted dropout in training mode, the identity in eval mode (see ``F.dropout``).

    >>> x = cr.ones(3)
    >>> drop = nn.Dropout(0.2)
    >>> drop.eval()(x) is x
    True
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = _check_p(p, "Dropout")

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
