"""The four losses: values and gradients against PyTorch in every reduction, finite
differences, second derivatives, stability at +-1000, validation and dtypes."""
import warnings

import numpy as np
import pytest
from nn_testing import assert_close, to_torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]
LOSSES = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
          "cross_entropy"]


def _problem(name, dtype=np.float32, seed=0):
    """(input, target) for each loss: probabilities for BCE, soft targets in [0, 1],
    integer labels for cross_entropy."""
    rng = np.random.default_rng(seed)
    if name == "cross_entropy":
        return (rng.standard_normal((6, 4)) * 2).astype(dtype), rng.integers(0, 4, 6)
    x = rng.standard_normal((6, 3)) * 2
    if name == "binary_cross_entropy":
        x = 1 / (1 + np.exp(-x))
    y = rng.random((6, 3)) if name != "mse_loss" else rng.standard_normal((6, 3))
    return x.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_value_and_gradient_match_torch(name, reduction):
    torch = pytest.importorskip("torch")
    x_np, y_np = _problem(name)
    x = cr.tensor(x_np, requires_grad=True)
    tx = to_torch(x_np, requires_grad=True)
    out = getattr(F, name)(x, y_np, reduction=reduction)
    tout = getattr(torch.nn.functional, name)(tx, to_torch(y_np), reduction=reduction)
    assert_close(out, tout, atol=1e-5)
    assert out.dtype == np.float32
    g = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    tout.backward(to_torch(g))
    assert_close(x.grad, tx.grad, atol=1e-5)


@pytest.mark.parametrize("name", ["mse_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_target_gradient_matches_torch(name):
    torch = pytest.importorskip("torch")
    x_np, y_np = _problem(name, seed=2)
    y = cr.tensor(y_np, requires_grad=True)
    ty = to_torch(y_np, requires_grad=True)
    getattr(F, name)(cr.tensor(x_np), y).backward()
    getattr(torch.nn.functional, name)(to_torch(x_np), ty).backward()
    assert_close(y.grad, ty.grad, atol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", LOSSES)
def test_loss_gradcheck(name, reduction):
    x, y = _problem(name, np.float64, seed=3)
    fn = getattr(F, name)
    if name == "cross_entropy":
        assert cr.gradcheck(lambda a: fn(a, y, reduction=reduction), cr.tensor(x))
    else:
        assert cr.gradcheck(lambda a, b: fn(a, b, reduction=reduction),
                            cr.tensor(x), cr.tensor(y))


@pytest.mark.parametrize("name", LOSSES)
def test_second_derivative_matches_torch(name):
    """The fused backward rules also work when the backward pass is recorded."""
    torch = pytest.importorskip("torch")
    x_np, y_np = _problem(name, np.float64, seed=4)
    v = np.random.default_rng(5).standard_normal(x_np.shape)
    x = cr.tensor(x_np, requires_grad=True)
    (g,) = cr.grad(getattr(F, name)(x, y_np, reduction="sum"), x, create_graph=True)
    (g * cr.tensor(v)).sum().backward()
    tx = to_torch(x_np, requires_grad=True)
    (tg,) = torch.autograd.grad(getattr(torch.nn.functional, name)(
        tx, to_torch(y_np), reduction="sum"), tx, create_graph=True)
    (tg * to_torch(v)).sum().backward()
    assert_close(g, tg, atol=1e-10)
    assert_close(x.grad, tx.grad, atol=1e-10)


def test_bce_with_logits_is_stable_at_plus_minus_1000():
    x = cr.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = F.binary_cross_entropy_with_logits(x, y, reduction="none")
        losses.sum().backward()
    np.testing.assert_array_equal(losses.data, [1000.0, 1000.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad.data, [1.0, -1.0, 0.0, 0.0])   # sigmoid(x) - y
    assert np.isfinite(losses.data).all() and losses.dtype == np.float32


def test_bce_clamps_the_log_at_minus_100_as_torch():
    torch = pytest.importorskip("torch")
    p_np = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    y_np = np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    p = cr.tensor(p_np, requires_grad=True)
    tp = to_torch(p_np, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.binary_cross_entropy(p, y_np, reduction="none")
        out.sum().backward()
    tout = torch.nn.functional.binary_cross_entropy(tp, to_torch(y_np), reduction="none")
    tout.sum().backward()
    np.testing.assert_allclose(out.data, [100, 100, 0, 0, np.log(2)], rtol=1e-6)
    assert_close(out, tout)
    assert_close(p.grad, tp.grad, rtol=1e-5)


def test_cross_entropy_of_uniform_logits_is_log_c():
    out = F.cross_entropy(cr.zeros(2, 4), np.array([0, 3]))
    assert out.item() == pytest.approx(np.log(4))
    huge = cr.tensor([[1000.0, -1000.0], [-1000.0, 1000.0]], requires_grad=True)
    loss = F.cross_entropy(huge, cr.tensor([0, 0]))
    loss.backward()
    assert loss.item() == pytest.approx(1000.0) and np.isfinite(huge.grad.data).all()


def test_targets_are_cast_to_the_inputs_dtype():
    x = cr.randn(4, 2, requires_grad=True)
    for name in ("mse_loss", "binary_cross_entropy_with_logits"):
        out = getattr(F, name)(x, np.ones((4, 2)))          # float64 target
        assert out.dtype == np.float32
        out.backward()
        assert x.grad.dtype == np.float32
    assert F.binary_cross_entropy(cr.full((3,), 0.5), [0, 1, 1]).dtype == np.float32
    assert F.mse_loss(x, cr.ones(4, 2, dtype=cr.float64)).dtype == np.float32


@pytest.mark.parametrize("call,match", [
    (lambda: F.binary_cross_entropy(cr.full((3,), 0.5), [0.0, 1.5, 1.0]),
     r"targets must lie in \[0, 1\], got values from 0 to 1.5"),
    (lambda: F.binary_cross_entropy(cr.tensor([0.5, 1.2]), [0.0, 1.0]),
     r"input probabilities must lie in \[0, 1\]"),
    (lambda: F.binary_cross_entropy_with_logits(cr.zeros(2), [-1.0, 1.0]),
     r"targets must lie in \[0, 1\]"),
    (lambda: F.cross_entropy(cr.zeros(2, 3), [0, 3]), r"\[0, 2\] for 3 classes.*0 to 3"),
    (lambda: F.cross_entropy(cr.zeros(2, 3), [-1, 0]), r"\[0, 2\] for 3 classes"),
    (lambda: F.cross_entropy(cr.zeros(2, 3), [0.0, 1.0]), "integer class ids.*float"),
    (lambda: F.cross_entropy(cr.zeros(2, 3), [0, 1, 2]), "batch sizes differ.*2 rows.*3"),
    (lambda: F.cross_entropy(cr.zeros(2, 3), [[0], [1]]), r"shape \(N,\) = \(2,\)"),
    (lambda: F.cross_entropy(cr.zeros(3), [0]), r"logits of shape \(N, C\)"),
    (lambda: F.mse_loss(cr.zeros(4, 1), np.zeros((3, 1))), "batch sizes differ.*4.*3"),
    (lambda: F.binary_cross_entropy_with_logits(cr.zeros(4, 1), np.zeros((3, 1))),
     "batch sizes differ"),
    (lambda: F.mse_loss(cr.zeros(4, 1), np.zeros(4)), r"\(4, 1\).*\(4,\).*must be equal"),
    (lambda: F.mse_loss(cr.zeros(2), np.zeros(2), reduction="avg"), "reduction must be one of"),
    (lambda: nn.MSELoss(reduction="avg"), "MSELoss: reduction must be one of"),
])
def test_loss_validation_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_loss_input_must_be_a_tensor():
    with pytest.raises(TypeError, match="mse_loss: input must be a Tensor, got ndarray"):
        F.mse_loss(np.zeros(2), np.zeros(2))


@pytest.mark.parametrize("module,name", [(nn.MSELoss, "mse_loss"),
                                         (nn.BCELoss, "binary_cross_entropy"),
                                         (nn.BCEWithLogitsLoss,
                                          "binary_cross_entropy_with_logits"),
                                         (nn.CrossEntropyLoss, "cross_entropy")])
def test_module_forms_equal_the_functions(module, name):
    x_np, y_np = _problem(name)
    for reduction in REDUCTIONS:
        np.testing.assert_array_equal(
            module(reduction=reduction)(cr.tensor(x_np), y_np).data,
            getattr(F, name)(cr.tensor(x_np), y_np, reduction=reduction).data)
    assert repr(module()) == f"{module.__name__}()"
    assert repr(module("sum")) == f"{module.__name__}(reduction='sum')"
