"""Weight initialisation, in place on a tensor's ``.data`` (names and values as
``torch.nn.init``), drawing from chainrule's generator (``cr.manual_seed``) and keeping
the tensor's dtype.

Fan-in and fan-out follow *our* layout. A Linear weight is (in, out) -- the lectures'
W^(k) of size l(k-1) x l(k) -- so ``fan_in = shape[0]`` and ``fan_out = shape[1]``, the
reverse of PyTorch's (out, in). For more than two axes each fan is multiplied by the size
of the remaining axes (the receptive field).

The schemes keep the variance of the signal roughly constant from layer to layer:

- Xavier / Glorot (for sigmoid and tanh): Var(w) = gain**2 * 2 / (fan_in + fan_out);
  uniform bound = gain * sqrt(6 / (fan_in + fan_out)).
- Kaiming / He (for the ReLU family): Var(w) = gain**2 / fan (fan_in by default);
  uniform bound = gain * sqrt(3 / fan).

>>> w = nn.Parameter(cr.zeros(256, 128))
>>> _ = nn.init.kaiming_normal_(w, nonlinearity="relu")   # std = sqrt(2 / 256) = 0.0884
>>> round(float(w.data.std()), 3)
0.088
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

_UNIT_GAIN = ("linear", "identity", "sigmoid", "conv1d", "conv2d", "conv3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which the nonlinearity's inputs should be scaled up to keep the
    signal's variance (PyTorch's table): linear, identity and sigmoid 1, tanh 5/3,
    relu sqrt(2), leaky_relu sqrt(2 / (1 + a**2)) with a = param (default 0.01), selu 3/4.

    >>> nn.init.calculate_gain("tanh")
    1.6666666666666667
    """
    if nonlinearity in _UNIT_GAIN:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: the negative slope for leaky_relu must be a "
                             f"number, got {param!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join(_UNIT_GAIN + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _fans(tensor: Tensor, op: str) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight laid out (in, out, *receptive field)."""
    _check(tensor, op)
    if tensor.ndim < 2:
        raise ValueError(f"{op}: fan in and fan out need a weight with at least 2 dimensions "
                         f"(in, out), got shape {tensor.shape}")
    receptive = int(np.prod(tensor.shape[2:]))
    return tensor.shape[0] * receptive, tensor.shape[1] * receptive


def _check(tensor: Tensor, op: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor or Parameter, got {type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point tensor, got dtype {tensor.dtype}")


def _fill(tensor: Tensor, values) -> Tensor:
    """Write values into the tensor's array, in its own dtype."""
    tensor.data[...] = np.asarray(values).astype(tensor.dtype, copy=False)
    return tensor


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    if not a <= b:
        raise ValueError(f"uniform_: the lower bound a={a} must not exceed b={b}")
    return _fill(tensor, _random.generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    _check(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(tensor, _random.generator().normal(mean, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value val."""
    _check(tensor, "constant_")
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_uniform_")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio (2010): N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(tensor, "xavier_normal_")
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str, op: str) -> float:
    fan_in, fan_out = _fans(tensor, op)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. (2015): U(-b, b) with b = gain * sqrt(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)`` (a: the negative slope of a leaky ReLU).
    ``a=sqrt(5)`` gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's Linear default."""
    std = _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_uniform_")
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. (2015): N(0, std**2) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity, "kaiming_normal_"))
