"""Ways to make a tensor: from data, filled, ranges, or random (from chainrule's generator).

Every maker takes PyTorch's ``device=`` (only "cpu" exists, see ``device.py``) and dtypes
spelled either way (``cr.float32`` is ``cr.float``, ``cr.float64`` is ``cr.double``).
"""
from __future__ import annotations

import numpy as np

from . import random as _random
from .device import check as _check_device
from .tensor import Tensor, as_array

__all__ = ["tensor", "from_numpy", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
           "full_like", "randn_like", "rand_like", "arange", "linspace", "eye", "randn",
           "rand", "float32", "float64", "int64", "int32", "bool_"]

float32, float64, int64, int32, bool_ = np.float32, np.float64, np.int64, np.int32, np.bool_


def tensor(data, dtype=None, requires_grad: bool = False, name: str | None = None,
           device=None) -> Tensor:
    """A new tensor holding a copy of data.

    Python floats become float32 (float64 arrays stay float64); integers stay integer.

    >>> x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    """
    _check_device(device, "tensor")
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


def _made(data: np.ndarray, requires_grad: bool, device, op: str) -> Tensor:
    _check_device(device, op)
    return Tensor(data, requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _made(np.zeros(_shape(shape), _dtype(dtype)), requires_grad, device, "zeros")


def ones(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _made(np.ones(_shape(shape), _dtype(dtype)), requires_grad, device, "ones")


def empty(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor whose values are to be written (zeros here, so nothing is left undefined)."""
    return _made(np.zeros(_shape(shape), _dtype(dtype)), requires_grad, device, "empty")


def full(shape, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Every element fill_value; float32 unless dtype is given (as PyTorch, an integer or
    bool fill_value without dtype keeps its kind)."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__} "
                        f"{fill_value!r}")
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, (bool, np.bool_)) else
                 np.int64 if isinstance(fill_value, (int, np.integer)) else np.float32)
    return _made(np.full(_shape((shape,)), fill_value, np.dtype(dtype)), requires_grad, device,
                 "full")


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _made(np.zeros_like(t.data, dtype=dtype), requires_grad, device, "zeros_like")


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return _made(np.ones_like(t.data, dtype=dtype), requires_grad, device, "ones_like")


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False,
              device=None) -> Tensor:
    return full(t.shape, fill_value, dtype=t.dtype if dtype is None else dtype,
                requires_grad=requires_grad, device=device)


def randn_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return randn(t.shape, dtype=t.dtype if dtype is None else dtype,
                 requires_grad=requires_grad, device=device)


def rand_like(t: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    return rand(t.shape, dtype=t.dtype if dtype is None else dtype,
                requires_grad=requires_grad, device=device)


def _number(op: str, name: str, x):
    if isinstance(x, Tensor):
        x = x.item()
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.number)):
        raise TypeError(f"{op}: {name} must be a number, got {type(x).__name__} {x!r}")
    return x


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False,
           device=None) -> Tensor:
    """Evenly spaced values in [start, stop), as numpy.arange; integers stay int64 and floats
    become float32 (as every other Python float does) unless dtype is given."""
    start, step = _number("arange", "start", start), _number("arange", "step", step)
    if stop is not None:
        stop = _number("arange", "end", stop)
    if step == 0:
        raise ValueError("arange: step must be nonzero (got 0)")
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None and data.dtype.kind == "f":
        dtype = np.float32
    return _made(data if dtype is None else data.astype(dtype), requires_grad, device, "arange")


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False,
             device=None) -> Tensor:
    """steps values from start to end, both included (float32 unless dtype is given).

    >>> cr.linspace(0, 1, 5).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    data = np.linspace(start, end, int(steps), dtype=np.float64)
    return _made(data.astype(_dtype(dtype)), requires_grad, device, "linspace")


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False,
        device=None) -> Tensor:
    """The n x m identity matrix (m = n by default)."""
    shape = _shape((n,) if m is None else (n, m))
    return _made(np.eye(shape[0], shape[-1], dtype=_dtype(dtype)), requires_grad, device, "eye")


def randn(*shape, dtype=None, requires_grad: bool = False, device=None,
          generator=None) -> Tensor:
    """Standard normal samples from chainrule's generator (see ``cr.manual_seed``)."""
    data = _random.generator().standard_normal(_shape(shape), dtype=_dtype(dtype))
    return _made(data, requires_grad, device, "randn")


def rand(*shape, dtype=None, requires_grad: bool = False, device=None,
         generator=None) -> Tensor:
    """Uniform samples in [0, 1) from chainrule's generator."""
    data = _random.generator().random(_shape(shape), dtype=_dtype(dtype))
    return _made(data, requires_grad, device, "rand")
