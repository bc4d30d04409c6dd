"""Check an op's analytic gradient against central finite differences in float64."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .autograd import grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree; the message says where."""


def gradcheck(fn: Callable, *inputs, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0) -> bool:
    """True if backpropagation through ``fn`` matches central differences, else raise
    GradcheckError naming the input, the element, the analytic and the numeric value.

    Floating inputs are copied to float64 and made to require a gradient. A non-scalar
    output is projected on a fixed random direction v, so one backward pass checks
    J^T v for the whole Jacobian J (a wrong entry changes J^T v for almost every v).

    >>> cr.gradcheck(lambda a, b: (a * b).sum(), cr.randn(3), cr.randn(3))
    True

    PyTorch's form, the inputs as one tuple (``cr.gradcheck(fn, (x, y))``), works too.
    """
    if len(inputs) == 1 and isinstance(inputs[0], (tuple, list)):
        inputs = tuple(inputs[0])
    xs = [Tensor(np.array(t.data, dtype=np.float64), requires_grad=True)
          if isinstance(t, Tensor) and t.dtype.kind == "f" else t for t in inputs]
    checked = [i for i, t in enumerate(xs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no floating-point tensor among the inputs")

    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    v = np.random.default_rng(seed).standard_normal(out.shape)

    def projected(*args) -> float:
        return float(np.sum(fn(*args).data * v))

    analytic = grad(out, [xs[i] for i in checked], grad_outputs=[Tensor(v)],
                    allow_unused=True)
    for i, g in zip(checked, analytic):
        x = xs[i]
        g = np.zeros(x.shape) if g is None else g.data
        for idx in np.ndindex(*x.shape):
            keep = x.data[idx]
            x.data[idx] = keep + eps
            plus = projected(*xs)
            x.data[idx] = keep - eps
            minus = projected(*xs)
            x.data[idx] = keep
            numeric = (plus - minus) / (2 * eps)
            if not abs(g[idx] - numeric) <= atol + rtol * abs(numeric):
                raise GradcheckError(
                    f"gradcheck: input {i} (shape {x.shape}), element {idx}: analytic gradient "
                    f"{g[idx]:.8g} but numeric {numeric:.8g} (difference "
                    f"{abs(g[idx] - numeric):.3g}, allowed {atol + rtol * abs(numeric):.3g})")
    return True
