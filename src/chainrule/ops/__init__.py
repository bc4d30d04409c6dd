"""Every differentiable op, one small unit each: the forward and its backward side by side.

A backward rule ``backward(g, out)`` returns one gradient per input (None where the
input needs none). It is written once for arrays and tensors alike (see ``tensor.val``),
which is what makes ``create_graph=True`` work for every op.
"""
from .activation import leaky_relu, log_softmax, relu, sigmoid, softmax, tanh
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
           "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax"]
