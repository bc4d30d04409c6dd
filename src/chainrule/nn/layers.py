"""The plain layers: ``Linear`` (and its function ``linear``), ``Identity``, ``Flatten``."""
from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..tensor import Tensor
from . import init
from .module import Module, Parameter

__all__ = ["linear", "Linear", "Identity", "Flatten"]


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight + bias, with weight of shape (in, out) (the lectures' W^(k)).

    For a batch X of shape (N, in): Z = X W + b, dZ/dW = X^T G, dZ/db = sum of G over the batch.

    >>> F.linear(cr.ones(5, 3), cr.ones(3, 2)).shape
    (5, 2)
    """
    return ops.linear(x, weight, bias)


class Linear(Module):
    """A fully connected layer: ``forward(x) = x @ weight + bias``.

    ``weight`` has shape (in_features, out_features) -- the lectures' W^(k) of size
    l(k-1) x l(k), so a row of x times W gives the next layer's pre-activations -- and
    ``bias`` shape (out_features,).

    Default initialisation is PyTorch's, so that results are comparable with PyTorch:
    ``kaiming_uniform_(weight, a=sqrt(5))``, which is U(-1/sqrt(in), 1/sqrt(in)), and the
    bias from the same U(-1/sqrt(in), 1/sqrt(in)). For deep sigmoid/tanh or ReLU networks
    re-initialise with ``nn.init.xavier_*`` or ``nn.init.kaiming_*`` (``nn.mlp`` does).

    >>> layer = nn.Linear(3, 2)
    >>> layer.weight.shape, layer(cr.ones(5, 3)).shape
    ((3, 2), (5, 2))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype=np.float32) -> None:
        super().__init__()
        for what, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"Linear: {what} must be a positive int, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((self.in_features, self.out_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{self!r}: expected a Tensor, got {type(x).__name__}; wrap arrays "
                            "with cr.tensor(...)")
        try:            # the op checks the shapes; the layer names itself in the message
            return ops.linear(x, self.weight, self.bias)
        except ValueError:
            raise ValueError(f"{self!r}: expected input whose last dimension is in_features="
                             f"{self.in_features}, got shape {x.shape}") from None

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. an activation that does nothing)."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """Merges the axes start_axis..end_axis into one (by default all but the batch axis):
    (N, 2, 3) -> (N, 6). ``start_dim``/``end_dim`` are accepted as PyTorch's names."""

    def __init__(self, start_axis: int = 1, end_axis: int = -1, **kw) -> None:
        super().__init__()
        self.start_axis = kw.pop("start_dim", start_axis)
        self.end_axis = kw.pop("end_dim", end_axis)
        if kw:
            raise TypeError(f"Flatten: unexpected keyword argument(s) {', '.join(sorted(kw))}")

    def forward(self, x: Tensor) -> Tensor:
        start, end = (a % x.ndim if -x.ndim <= a < x.ndim else None
                      for a in (self.start_axis, self.end_axis))
        if start is None or end is None or start > end:
            raise ValueError(f"{self!r}: axes {self.start_axis}..{self.end_axis} do not fit an "
                             f"input of shape {x.shape}")
        return ops.reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
