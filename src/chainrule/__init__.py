"""chainrule: deep learning built around the chain rule, run backwards over a graph.

>>> import chainrule as cr
>>> x, y, z = (cr.tensor(v, requires_grad=True) for v in (3.0, -4.0, 5.0))
>>> f = (x + y) * z
>>> f.backward()
>>> x.grad.item(), y.grad.item(), z.grad.item()
(5.0, 5.0, -1.0)
"""
from __future__ import annotations

from ._version import __version__

from .tensor import Tensor
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import grad
from . import autograd  # noqa: F401  (cr.autograd.Function, cr.autograd.grad)
from .gradcheck import GradcheckError, gradcheck
from .random import manual_seed
from .creation import (arange, bool_, empty, eye, float32, float64, from_numpy, full,
                       full_like, int32, int64, linspace, ones, ones_like, rand, rand_like,
                       randn, randn_like, tensor, zeros, zeros_like)
from .device import device, get_default_device, set_default_device
from . import accelerator, cuda  # noqa: F401
from .ops import (abs, add, clamp, clip, clone, concat, cos, div, exp, flatten, leaky_relu, log,
                  log_softmax, logsumexp, matmul, maximum, mean, minimum, mm, mul, neg,
                  permute, pow, relu, reshape, sigmoid, sin, softmax, softplus, sqrt, squeeze, stack,
                  sub, sum, t, tanh, transpose, unsqueeze, where)
from .ops import max, min, var  # noqa: F401  (shadow builtins only inside this namespace)

# PyTorch's dtype names (they shadow the builtins only inside this namespace, and are left
# out of __all__ so that `from chainrule import *` never does)
float, double, long, int, bool = float32, float64, int64, int32, bool_  # noqa: A001

from . import nn  # noqa: E402
from . import data  # noqa: E402
from .data import datasets  # noqa: E402
from . import optim  # noqa: E402
from . import replay  # noqa: E402
# cr.compile (left out of __all__: a star import must not shadow the builtin)
from .replay import compile  # noqa: E402,A001,F401
from . import train  # noqa: E402
from .checkpoint import load, save  # noqa: E402
from . import inspect  # noqa: E402
from . import expr  # noqa: E402
from .descent import descend  # noqa: E402
from . import lab  # noqa: E402

cat = concat

__all__ = [
    "Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "zeros_like", "ones_like",
    "arange", "randn", "rand", "float32", "float64", "int64", "int32", "bool_", "manual_seed",
    "empty", "eye", "linspace", "full_like", "randn_like", "rand_like", "device",
    "set_default_device", "get_default_device", "cuda", "accelerator", "autograd",
    "add", "sub", "mul", "div", "pow", "neg", "sin", "cos", "mm", "t", "clone", "flatten",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "gradcheck",
    "GradcheckError", "exp", "log", "sqrt", "abs", "sum", "mean", "max", "min", "var",
    "reshape", "transpose", "permute", "squeeze", "unsqueeze", "concat", "cat", "stack",
    "where", "clip", "clamp", "maximum", "minimum", "sigmoid", "tanh", "relu", "leaky_relu",
    "softmax", "log_softmax", "softplus", "logsumexp", "matmul", "nn", "data", "datasets", "optim", "train", "save", "load",
    "inspect", "expr", "descend", "lab", "replay", "__version__",
]
