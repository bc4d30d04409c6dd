"""Every differentiable op, one small unit each: the forward and its backward side by side.

A backward rule ``rule(xp, g, out, *inputs)`` returns one gradient per input (None where
the input needs none). It is written once, against the namespace ``xp`` (``ops/xp.py``):
NumPy on arrays in a plain pass, chainrule ops on Tensors in a recorded one, which is what
makes ``create_graph=True`` work for every op. CONTRIBUTING.md says how to add one.
"""
from .activation import leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arithmetic import add, compare, div, mul, neg, pow, sub
from .elementwise import (abs, astype, clamp, clip, clone, cos, exp, log, maximum, minimum, sin,
                          sqrt, where)
from .linalg import linear, matmul, mm, t
from .reduce import logsumexp, max, mean, min, sum, var
from .shape import (broadcast_to, concat, flatten, getitem, permute, reshape, scatter_add,
                    setitem, squeeze, stack, swapaxes, transpose, unsqueeze)

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "compare", "exp", "log", "sqrt", "abs",
           "sin", "cos", "clone", "clamp", "mm", "t", "setitem",
           "astype", "where", "clip", "maximum", "minimum", "matmul", "linear", "sum", "mean", "max",
           "min", "logsumexp", "var", "reshape", "flatten", "permute", "swapaxes", "transpose",
           "squeeze", "unsqueeze", "broadcast_to", "getitem", "scatter_add", "concat", "stack",
           "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax", "softplus"]
