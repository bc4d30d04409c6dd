"""The two namespaces a backward rule computes with: one rule, right in both passes.

A rule ``rule(xp, g, out, *inputs)`` receives the upstream gradient ``g``, the op's output
and its inputs, all of one kind, and ``xp``, the functions for that kind:

* a plain backward pass gives arrays and ``NUMPY`` (NumPy kernels);
* a recorded one (``create_graph=True``) gives Tensors and ``RECORDED`` (chainrule ops), so
  the rule's own arithmetic becomes a graph that can be differentiated again.

Operators, ``.sum``, ``.reshape``, ``.T``, ``@``, comparisons and indexing are spelled the
same on arrays and Tensors, so a rule written with them and ``xp`` needs no mode of its own:

    def softplus_rule(xp, g, out, a):     # d/da softplus(a) = sigmoid(a)
        return (g * xp.sigmoid(a),)

The backward pass (``autograd.py``) picks the namespace once per pass and calls each node's
rule with it.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from . import activation, elementwise, shape
from ._common import sum_to


def _np_log(x):
    with np.errstate(divide="ignore", invalid="ignore"):   # log 0 = -inf, log(-1) = NaN
        return np.log(x)


def _np_exp(x):
    with np.errstate(over="ignore"):
        return np.exp(x)


def _np_sin(x):
    with np.errstate(invalid="ignore"):   # sin(inf) = NaN, as in PyTorch
        return np.sin(x)


def _np_cos(x):
    with np.errstate(invalid="ignore"):
        return np.cos(x)


def _np_softmax(x, axis):
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


# Each name means the same function in both; only the kind of value differs.
NUMPY = SimpleNamespace(
    name="numpy", exp=_np_exp, log=_np_log, sin=_np_sin, cos=_np_cos,
    sigmoid=activation.sigmoid_array, softmax=_np_softmax, where=np.where,
    maximum=np.maximum, minimum=np.minimum, clip=np.clip, broadcast_to=np.broadcast_to,
    astype=lambda x, dtype: x.astype(dtype), sum_to=sum_to, scatter_add=shape.scatter_add_array)

RECORDED = SimpleNamespace(
    name="recorded", exp=elementwise.exp, log=elementwise.log, sin=elementwise.sin,
    cos=elementwise.cos, sigmoid=activation.sigmoid,
    softmax=lambda x, axis: activation.softmax(x, axis), where=elementwise.where,
    maximum=elementwise.maximum, minimum=elementwise.minimum, clip=elementwise.clip,
    broadcast_to=shape.broadcast_to, astype=elementwise.astype, sum_to=sum_to,
    scatter_add=shape.scatter_add)


def with_fast_path(rule, fast):
    """rule, with ``fast`` (a NumPy kernel of the same signature) taking its place in a plain
    pass; a recorded pass always runs the rule. For the few fused kernels a benchmark
    justifies (``result(..., fast=...)``)."""
    def either(xp, g, out, *inputs):
        return (fast if xp is NUMPY else rule)(xp, g, out, *inputs)
    return either
