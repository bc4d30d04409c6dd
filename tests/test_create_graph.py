"""Every op's gradient, and the gradient of its gradient (create_graph=True), from one table.

``OPS`` holds one sample use of every op in ``cr.ops.__all__`` (and of the fused losses);
``test_every_op_is_in_the_table`` fails for an op that has none, so a new op is first- and
second-order checked as soon as its one line is added here (see CONTRIBUTING.md).

The second-order check differentiates y = op(x) through s = sum(w * y * y), whose gradient
involves the op's rule applied to a Tensor that depends on x; gradcheck then compares the
derivative of that recorded gradient with finite differences. A rule that computed on
arrays in a recorded pass would cut the graph and fail here.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F


class Op(NamedTuple):
    fn: Callable                  # fn(*tensors) -> tensor, the op in use
    shapes: tuple                 # the shapes of the sample inputs (float64, standard normal)
    torch: Callable | None = None  # the same in PyTorch, fn(torch, *tensors), for first order
    positive: bool = False        # inputs |x| + 0.5 (log, sqrt, pow, probabilities ...)
    tol: dict | None = None       # gradcheck tolerances, where the default is too tight


M = np.random.default_rng(1).standard_normal((3, 4))

OPS = {
    "add": Op(lambda a, b: a + b, ((2, 3), (3,)), lambda t, a, b: a + b),
    "sub": Op(lambda a, b: a - b, ((2, 3), (2, 1)), lambda t, a, b: a - b),
    "mul": Op(lambda a, b: a * b, ((2, 3), (3,)), lambda t, a, b: a * b),
    "div": Op(lambda a, b: a / b, ((2, 3), (3,)), lambda t, a, b: a / b, positive=True),
    "neg": Op(lambda a: -a, ((3,),), lambda t, a: -a),
    "pow": Op(lambda a, b: a ** b, ((2, 3), (3,)), lambda t, a, b: a ** b, positive=True),
    "exp": Op(cr.exp, ((3,),), lambda t, a: t.exp(a)),
    "log": Op(cr.log, ((3,),), lambda t, a: t.log(a), positive=True),
    "sqrt": Op(cr.sqrt, ((3,),), lambda t, a: t.sqrt(a), positive=True),
    "abs": Op(cr.abs, ((3,),), lambda t, a: t.abs(a)),
    "sin": Op(cr.sin, ((3,),), lambda t, a: t.sin(a)),
    "cos": Op(cr.cos, ((3,),), lambda t, a: t.cos(a)),
    "clone": Op(cr.clone, ((3,),), lambda t, a: a.clone()),
    "clamp": Op(lambda a: cr.clamp(a, min=-0.5, max=0.5), ((6,),),
                lambda t, a: a.clamp(-0.5, 0.5)),
    "clip": Op(lambda a: cr.clip(a, -0.5), ((6,),), lambda t, a: a.clamp(min=-0.5)),
    "mm": Op(cr.mm, ((2, 3), (3, 4)), lambda t, a, b: a @ b),
    "t": Op(cr.t, ((2, 3),), lambda t, a: a.t()),
    "setitem": Op(lambda a, v: cr.ops.setitem(a, 1, v), ((3, 4), (4,))),
    "astype": Op(lambda a: a.astype(np.float32).astype(np.float64), ((3,),),
                 tol={"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3}),
    "where": Op(lambda a, b: cr.where(a > 0, a, b), ((2, 3), (3,)),
                lambda t, a, b: t.where(a > 0, a, b)),
    "maximum": Op(cr.maximum, ((2, 3), (3,)), lambda t, a, b: t.maximum(a, b)),
    "minimum": Op(cr.minimum, ((2, 3), (3,)), lambda t, a, b: t.minimum(a, b)),
    "matmul": Op(cr.matmul, ((2, 3), (3,)), lambda t, a, b: a @ b),
    "linear": Op(cr.ops.linear, ((2, 3), (3, 4), (4,)), lambda t, x, w, b: x @ w + b),
    "sum": Op(lambda a: a.sum(axis=0), ((2, 3),), lambda t, a: a.sum(0)),
    "mean": Op(lambda a: a.mean(axis=1, keepdims=True), ((2, 3),),
               lambda t, a: a.mean(1, keepdim=True)),
    "max": Op(lambda a: a.max(axis=1), ((2, 3),), lambda t, a: a.amax(1)),
    "min": Op(lambda a: a.min(), ((2, 3),), lambda t, a: a.amin()),
    "logsumexp": Op(lambda a: a.logsumexp(axis=1), ((2, 3),), lambda t, a: a.logsumexp(1)),
    "var": Op(lambda a: a.var(axis=0), ((3, 2),), lambda t, a: a.var(0)),
    "reshape": Op(lambda a: a.reshape(3, 2), ((2, 3),), lambda t, a: a.reshape(3, 2)),
    "flatten": Op(cr.flatten, ((2, 3),), lambda t, a: a.flatten()),
    "permute": Op(lambda a: a.permute(1, 0), ((2, 3),), lambda t, a: a.permute(1, 0)),
    "swapaxes": Op(lambda a: a.swapaxes(0, 1), ((2, 3),), lambda t, a: a.swapaxes(0, 1)),
    "transpose": Op(lambda a: a.transpose(), ((2, 3),), lambda t, a: a.T),
    "squeeze": Op(lambda a: a.squeeze(), ((2, 1),), lambda t, a: a.squeeze()),
    "unsqueeze": Op(lambda a: a.unsqueeze(0), ((3,),), lambda t, a: a.unsqueeze(0)),
    "broadcast_to": Op(lambda a: a.broadcast_to((2, 3)), ((3,),), lambda t, a: a.expand(2, 3)),
    "getitem": Op(lambda a: a[[0, 0, 2]], ((3, 2),), lambda t, a: a[[0, 0, 2]]),
    "scatter_add": Op(lambda a: cr.ops.scatter_add(a, [0, 2, 0], (4,)), ((3,),)),
    "concat": Op(lambda a, b: cr.concat([a, b], axis=1), ((2, 3), (2, 1)),
                 lambda t, a, b: t.cat([a, b], 1)),
    "stack": Op(lambda a, b: cr.stack([a, b]), ((3,), (3,)), lambda t, a, b: t.stack([a, b])),
    "sigmoid": Op(cr.sigmoid, ((3,),), lambda t, a: a.sigmoid()),
    "tanh": Op(cr.tanh, ((3,),), lambda t, a: a.tanh()),
    "relu": Op(cr.relu, ((6,),), lambda t, a: a.relu()),
    "leaky_relu": Op(lambda a: cr.leaky_relu(a, 0.1), ((6,),),
                     lambda t, a: t.nn.functional.leaky_relu(a, 0.1)),
    "softmax": Op(lambda a: cr.softmax(a, axis=1), ((2, 3),), lambda t, a: a.softmax(1)),
    "log_softmax": Op(lambda a: cr.log_softmax(a, axis=0), ((2, 3),),
                      lambda t, a: a.log_softmax(0)),
    "softplus": Op(cr.softplus, ((6,),), lambda t, a: t.nn.functional.softplus(a)),
    "softplus far tails": Op(lambda a: cr.softplus(a * 1000), ((6,),),   # no overflow, no warning
                             lambda t, a: t.nn.functional.softplus(a * 1000)),
    "nn.Softplus": Op(lambda a: cr.nn.Softplus()(a), ((2, 3),), lambda t, a: t.nn.Softplus()(a)),
    # the fused losses (nn/losses.py), which write their local derivatives as rules too
    "mse_loss": Op(F.mse_loss, ((2, 3), (2, 3)), lambda t, a, b: t.nn.functional.mse_loss(a, b)),
    "binary_cross_entropy": Op(lambda p, y: F.binary_cross_entropy(p / (1 + p), y / (1 + y)),
                               ((4,), (4,)), positive=True),
    "binary_cross_entropy_with_logits": Op(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid(), reduction="sum"),
        ((4,), (4,)),
        lambda t, x, y: t.nn.functional.binary_cross_entropy_with_logits(
            x, y.sigmoid(), reduction="sum")),
    "cross_entropy": Op(lambda x: F.cross_entropy(x, [0, 2], reduction="none"), ((2, 3),),
                        lambda t, x: t.nn.functional.cross_entropy(x, t.tensor([0, 2]),
                                                                   reduction="none")),
}

NOT_DIFFERENTIABLE = {"compare"}   # boolean results, outside the graph


def _inputs(op: Op, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(s) for s in op.shapes]
    return [np.abs(x) + 0.5 if op.positive else x for x in xs]


def _gradient_of_weighted_square(op: Op, w: np.ndarray) -> Callable:
    """xs -> d/dxs sum(w * op(xs)**2), recorded (create_graph) so that it has a gradient."""
    def gradient(*xs):
        y = op.fn(*xs)
        grads = cr.grad((y * y * cr.tensor(w)).sum(), list(xs), create_graph=True,
                        allow_unused=True)
        return cr.concat([g.reshape(-1) for g in grads if g is not None])
    return gradient


def test_every_op_is_in_the_table():
    missing = set(cr.ops.__all__) - set(OPS) - NOT_DIFFERENTIABLE
    assert not missing, f"add a sample use of {sorted(missing)} to OPS"


@pytest.mark.parametrize("name", OPS)
def test_first_derivative_matches_finite_differences(name, check_grad):
    op = OPS[name]
    assert check_grad(op.fn, *_inputs(op), **(op.tol or {}))


@pytest.mark.parametrize("name", [n for n, op in OPS.items() if op.torch is not None])
def test_value_and_gradient_match_torch(name, against_torch, torch):
    op = OPS[name]
    against_torch(op.fn, lambda *xs: op.torch(torch, *xs), *_inputs(op))


@pytest.mark.parametrize("name", OPS)
def test_second_derivative_matches_finite_differences(name, check_grad):
    op = OPS[name]
    xs = _inputs(op)
    out = op.fn(*(cr.tensor(x) for x in xs))
    w = np.random.default_rng(2).standard_normal(out.shape)
    assert check_grad(_gradient_of_weighted_square(op, w), *xs, **(op.tol or {}))


@pytest.mark.parametrize("name", OPS)
def test_a_recorded_gradient_is_a_graph_of_tensors(name):
    op = OPS[name]
    xs = [cr.tensor(x, requires_grad=True) for x in _inputs(op)]
    y = op.fn(*xs)
    grads = cr.grad((y * y).sum(), xs, create_graph=True, allow_unused=True)
    assert any(g is not None and g.requires_grad for g in grads)
