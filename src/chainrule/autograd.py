"""The functional face of the backward pass: ``cr.grad``."""
from __future__ import annotations

import numpy as np

from .tensor import Tensor, run_backward


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs), returned as a tuple of tensors; no ``.grad`` is touched.

    >>> x = cr.tensor(2.0, requires_grad=True)
    >>> (dx,) = cr.grad(x ** 3, x, create_graph=True)    # 3x**2 = 12
    >>> (ddx,) = cr.grad(dx, x)                           # 6x = 12
    """
    outputs = _as_list(outputs, "outputs")
    inputs = _as_list(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = _as_list(grad_outputs, "grad_outputs", tensors_only=False)
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require a gradient")
    found = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {t.shape}) was not used to compute "
                                   "the outputs; pass allow_unused=True to get None for it")
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor(np.array(g, dtype=t.dtype)))   # g may be a NumPy scalar
    return tuple(result)


def _as_list(x, what: str, tensors_only: bool = True) -> list:
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    if tensors_only:
        for t in items:
            if not isinstance(t, Tensor):
                raise TypeError(f"grad: {what} must be tensors, got {type(t).__name__}")
    return items
