"""Activation functions as modules: each one applies the engine's op of the same name."""
from __future__ import annotations

from .. import ops
from ..ops._common import pop_aliases
from ..tensor import Tensor
from .layers import Identity
from .module import Module

__all__ = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softplus", "Softmax", "LogSoftmax",
           "Identity", "make_activation"]


class Sigmoid(Module):
    """sigma(x) = 1 / (1 + e**-x), in (0, 1); sigma' = sigma (1 - sigma) <= 1/4, which is why
    deep sigmoid networks' gradients vanish."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class Tanh(Module):
    """tanh(x), in (-1, 1); tanh' = 1 - tanh**2 <= 1."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class ReLU(Module):
    """max(x, 0); derivative 1 for x > 0 and 0 otherwise."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise, so negative inputs still pass a gradient.

    >>> nn.LeakyReLU(0.1)(cr.tensor([-2.0, 3.0]))    # [-0.2, 3.0]
    tensor([-0.2,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return ops.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softplus(Module):
    """log(1 + e**x), a smooth ReLU whose derivative is sigmoid(x) (never exactly 0).

    >>> nn.Softplus()(cr.tensor([0.0]))      # log 2
    tensor([0.6931])
    """

    def forward(self, x: Tensor) -> Tensor:
        return ops.softplus(x)


class _AlongAxis(Module):
    """An activation that normalises along one axis (``dim=`` accepted for ``axis=``)."""

    def __init__(self, axis: int = -1, **kw) -> None:
        super().__init__()
        self.axis, _ = pop_aliases(type(self).__name__, axis, False, kw)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Softmax(_AlongAxis):
    """e**x / sum(e**x) along axis (default: the last), computed without overflow."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.softmax(x, self.axis)


class LogSoftmax(_AlongAxis):
    """x - logsumexp(x) along axis: log-probabilities, stable for large x."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.log_softmax(x, self.axis)


_BY_NAME = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
            "softplus": Softplus, "identity": Identity, "linear": Identity}


def make_activation(activation) -> Module:
    """A fresh activation module from a name ('sigmoid', 'tanh', 'relu', 'leaky_relu',
    'softplus', 'identity') or from a Module class such as ``nn.ReLU``.

    >>> nn.make_activation("tanh")
    Tanh()
    """
    if isinstance(activation, str):
        if activation not in _BY_NAME:
            raise ValueError(f"unknown activation {activation!r}; expected one of "
                             f"{', '.join(map(repr, _BY_NAME))} or a Module class")
        return _BY_NAME[activation]()
    if isinstance(activation, type) and issubclass(activation, Module):
        return activation()
    raise TypeError(f"activation must be a name such as 'relu' or a Module class such as "
                    f"nn.ReLU, got {activation!r}")
