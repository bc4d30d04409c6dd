"""Every op's edge cases against PyTorch, as an independent op suite checks them: shapes
from () to 4-D, broadcasting both ways, empty tensors, +-inf and NaN, ties in max/min.
Values and gradients must agree (NaN where PyTorch gives NaN) and no NumPy warning may leak
(pytest turns RuntimeWarning into an error)."""
import numpy as np
import pytest

import chainrule as cr

SHAPES = [(), (1,), (3,), (2, 3), (2, 1, 3), (2, 3, 1, 2), (0,), (2, 0)]
SPECIAL = np.array([-np.inf, -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan])


def _torch_unary(torch):
    F = torch.nn.functional
    return {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "abs": torch.abs,
            "sin": torch.sin, "cos": torch.cos, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
            "relu": torch.relu, "leaky_relu": F.leaky_relu, "neg": torch.neg,
            "square": lambda t: t ** 2, "reciprocal": lambda t: 1 / t,
            "clamp": lambda t: t.clamp(-1, 1)}


UNARY = {"exp": cr.exp, "log": cr.log, "sqrt": cr.sqrt, "abs": cr.abs, "sin": cr.sin,
         "cos": cr.cos, "sigmoid": cr.sigmoid, "tanh": cr.tanh, "relu": cr.relu,
         "leaky_relu": cr.leaky_relu, "neg": cr.neg, "square": lambda t: t ** 2,
         "reciprocal": lambda t: 1 / t, "clamp": lambda t: t.clamp(-1, 1)}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_every_shape(name, shape, rng, against_torch, torch):
    x = rng.uniform(0.2, 2.0, shape)            # inside every op's domain
    out = against_torch(UNARY[name], _torch_unary(torch)[name], x)
    assert out.shape == shape


@pytest.mark.parametrize("name", UNARY)
def test_unary_at_infinities_zeros_and_nan(name, against_torch, torch):
    # Values and slopes where they stop being ordinary numbers (inf, NaN) are PyTorch's.
    against_torch(UNARY[name], _torch_unary(torch)[name], SPECIAL.copy())


BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
          "div": lambda a, b: a / b, "pow": lambda a, b: a ** b}
PAIRS = [((), (2, 3)), ((2, 3), ()), ((3, 1), (1, 4)), ((1, 4), (3, 1)), ((2, 1, 3), (4, 1)),
         ((4, 1), (2, 1, 3)), ((2, 3, 1, 2), (3, 4, 1)), ((0,), (1,)), ((2, 0), (2, 1)),
         ((1,), (0,))]


@pytest.mark.parametrize("shapes", PAIRS, ids=str)
@pytest.mark.parametrize("name", list(BINARY) + ["maximum", "minimum"])
def test_binary_broadcasting_both_ways(name, shapes, rng, against_torch, torch):
    a, b = rng.uniform(0.5, 2.0, shapes[0]), rng.uniform(0.5, 2.0, shapes[1])
    ours = BINARY.get(name) or getattr(cr, name)
    ref = BINARY.get(name) or getattr(torch, name)
    out = against_torch(ours, ref, a, b)
    assert out.shape == np.broadcast_shapes(*shapes)


@pytest.mark.parametrize("name", list(BINARY) + ["maximum", "minimum"])
def test_binary_at_special_values(name, against_torch, torch):
    a, b = np.meshgrid(SPECIAL, SPECIAL)
    ours = BINARY.get(name) or getattr(cr, name)
    ref = BINARY.get(name) or getattr(torch, name)
    if name in ("add", "sub", "mul"):
        # inf - inf and inf * 0 give PyTorch's NaN, but with NumPy's warning: these three
        # ops skip np.errstate, which costs more than a small op itself (see arithmetic.py)
        with np.errstate(invalid="ignore"):
            against_torch(ours, ref, a.copy(), b.copy())
        return
    against_torch(ours, ref, a.copy(), b.copy())


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_ties_split_the_gradient_including_0d(name, against_torch, torch):
    against_torch(getattr(cr, name), getattr(torch, name), np.float64(2.0), np.float64(2.0))
    against_torch(getattr(cr, name), getattr(torch, name), np.array([1.0, 2.0, 3.0]),
                  np.array([1.0, 5.0, 3.0]))


REDUCTIONS = {"sum": ("sum", "sum"), "mean": ("mean", "mean"), "max": ("max", "amax"),
              "min": ("min", "amin"), "logsumexp": ("logsumexp", "logsumexp"),
              "var": ("var", "var")}


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 3), (2, 3, 1, 2)], ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions_over_every_axis(name, shape, rng, against_torch):
    x = rng.standard_normal(shape)
    ours, theirs = REDUCTIONS[name]
    for axis in range(-len(shape), len(shape)):
        if name == "var" and shape[axis] == 1:
            continue                       # no degrees of freedom (chainrule raises)
        against_torch(lambda t, axis=axis: getattr(t, ours)(axis=axis),
                      lambda t, axis=axis: getattr(t, theirs)(dim=axis), x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_reductions_split_ties_evenly(name, against_torch):
    ours, theirs = REDUCTIONS[name]
    x = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.0]])
    against_torch(lambda t: getattr(t, ours)(), lambda t: getattr(t, theirs)(), x)
    against_torch(lambda t: getattr(t, ours)(axis=1), lambda t: getattr(t, theirs)(dim=1), x)


@pytest.mark.parametrize("name", ["sum", "logsumexp"])
def test_reductions_of_empty_tensors(name, against_torch):
    ours, theirs = REDUCTIONS[name]
    out = against_torch(lambda t: getattr(t, ours)(axis=0), lambda t: getattr(t, theirs)(dim=0),
                        np.zeros((0,)))
    assert out.item() == {"sum": 0.0, "logsumexp": -np.inf}[name]
    against_torch(lambda t: getattr(t, ours)(axis=1), lambda t: getattr(t, theirs)(dim=1),
                  np.zeros((2, 0)))


ROWS = [[np.inf, 1.0], [-np.inf, -np.inf], [-np.inf, 1.0], [np.inf, np.inf], [np.nan, 1.0],
        [1000.0, -1000.0]]


@pytest.mark.parametrize("row", ROWS, ids=str)
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_at_infinities(name, row, against_torch, torch):
    ours = {"softmax": lambda t: cr.softmax(t, axis=0),
            "log_softmax": lambda t: cr.log_softmax(t, axis=0),
            "logsumexp": lambda t: cr.logsumexp(t, axis=0)}[name]
    ref = {"softmax": lambda t: torch.softmax(t, 0), "log_softmax": lambda t: torch.log_softmax(t, 0),
           "logsumexp": lambda t: torch.logsumexp(t, 0)}[name]
    against_torch(ours, ref, np.array(row))


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 0), (0, 3)], ids=str)
def test_softmax_family_shapes(shape, rng, against_torch, torch):
    x = rng.standard_normal(shape)
    against_torch(lambda t: cr.softmax(t, axis=-1), lambda t: torch.softmax(t, -1), x)
    against_torch(lambda t: cr.log_softmax(t, axis=-1), lambda t: torch.log_softmax(t, -1), x)


@pytest.mark.parametrize("logit", [np.inf, -np.inf, 1000.0, -1000.0, 0.0])
@pytest.mark.parametrize("target", [0.0, 0.5, 1.0])
def test_bce_with_logits_at_infinities(logit, target, torch):
    F = cr.nn.functional
    x = cr.tensor([logit], requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, cr.tensor([target]))
    loss.backward()
    xt = torch.tensor([logit], requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(xt, torch.tensor([target]))
    lt.backward()
    np.testing.assert_allclose(loss.item(), lt.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-6)


def test_clip_with_lo_above_hi_gives_hi_everywhere(against_torch, torch):
    against_torch(lambda t: cr.clip(t, 3, 0), lambda t: torch.clamp(t, 3, 0),
                  np.array([-1.0, 1.0, 5.0]))


def test_power_of_zero_at_negative_exponents(against_torch):
    # d(0**b)/db is -inf for b < 0 (PyTorch), 0 for b >= 0
    against_torch(lambda a, b: a ** b, lambda a, b: a ** b, np.zeros(5),
                  np.array([-1.0, -0.5, 0.0, 0.5, 2.0]))


def test_bce_with_logits_mixing_infinities_and_nan(torch):
    # one batch holding +-inf beside NaN: PyTorch's values, elementwise, and no warning
    F = cr.nn.functional
    logits = [np.inf, -np.inf, np.nan, 2.0]
    targets = [0.0, 1.0, 0.0, 1.0]
    loss = F.binary_cross_entropy_with_logits(cr.tensor(logits), cr.tensor(targets),
                                              reduction="none")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.tensor(logits), torch.tensor(targets), reduction="none")
    np.testing.assert_allclose(loss.data, expected.numpy(), rtol=1e-6)
