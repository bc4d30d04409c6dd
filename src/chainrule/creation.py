"""Ways to make a tensor: from data, filled, or random (from chainrule's generator)."""
from __future__ import annotations

import numpy as np

from . import random as _random
from .tensor import Tensor, as_array

__all__ = ["tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like",
           "arange", "randn", "rand", "float32", "float64", "int64", "bool_"]

float32, float64, int64, bool_ = np.float32, np.float64, np.int64, np.bool_


def tensor(data, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A new tensor holding a copy of data.

    Python floats become float32 (float64 arrays stay float64); integers stay integer.

    >>> x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    """
    t = Tensor(np.array(as_array(data, dtype), copy=True), name=name)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with a NumPy array (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    t = Tensor(array, dtype=array.dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    for n in shape:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"shape must be non-negative ints, got {tuple(shape)}")
    return tuple(int(n) for n in shape)


def _dtype(dtype) -> np.dtype:
    return np.dtype(np.float32 if dtype is None else dtype)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(_shape(shape), _dtype(dtype)), requires_grad=requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.full(_shape((shape,)), fill_value, _dtype(dtype)),
                  requires_grad=requires_grad)


def zeros_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros_like(t.data), requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones_like(t.data), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None) -> Tensor:
    """Evenly spaced values, as numpy.arange; integers stay int64 and floats become
    float32 (as every other Python float does) unless dtype is given."""
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and data.dtype.kind == "f":
        dtype = np.float32
    return Tensor(data if dtype is None else data.astype(dtype))


def randn(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from chainrule's generator (see ``cr.manual_seed``)."""
    data = _random.generator().standard_normal(_shape(shape), dtype=_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from chainrule's generator."""
    data = _random.generator().random(_shape(shape), dtype=_dtype(dtype))
    return Tensor(data, requires_grad=requires_grad)
