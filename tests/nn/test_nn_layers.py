"""Linear, Identity, Flatten, Dropout and the activation modules."""
import math

import numpy as np
import pytest
from nn_testing import assert_close, gradcheck_module, to_torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


# ------------------------------------------------------------------- Linear
def test_linear_shapes_and_forward_is_x_at_w_plus_b():
    layer = nn.Linear(3, 2)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    x = cr.randn(5, 3)
    out = layer(x)
    assert out.shape == (5, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out.data, x.data @ layer.weight.data + layer.bias.data,
                               rtol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None
    assert [n for n, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_linear_rejects_wrong_input_naming_the_layer():
    layer = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"Linear\(in_features=3, out_features=2, bias=True\)"
                                         r".*in_features=3.*\(4, 5\)"):
        layer(cr.randn(4, 5))
    with pytest.raises(TypeError, match="expected a Tensor, got ndarray"):
        layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="in_features must be a positive int, got 0"):
        nn.Linear(0, 2)


def test_linear_default_init_is_pytorchs_uniform():
    cr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.02 * bound
    cr.manual_seed(0)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, layer.weight.data)


def test_linear_gradcheck():
    assert gradcheck_module(nn.Linear(3, 2), cr.randn(4, 3))
    assert cr.gradcheck(F.linear, cr.randn(3), cr.randn(3, 2), cr.randn(2))


def test_linear_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    cr.manual_seed(1)
    ours = nn.Linear(4, 3)
    theirs = torch.nn.Linear(4, 3)
    with torch.no_grad():                       # torch's weight is (out, in): copy W.T
        theirs.weight.copy_(to_torch(ours.weight.data.T))
        theirs.bias.copy_(to_torch(ours.bias))
    x = cr.randn(6, 4, requires_grad=True)
    tx = to_torch(x, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    assert_close(out, tout)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    assert_close(x.grad, tx.grad)
    assert_close(ours.weight.grad, theirs.weight.grad.T)
    assert_close(ours.bias.grad, theirs.bias.grad)


# --------------------------------------------------------- Identity, Flatten
def test_identity_and_flatten():
    x = cr.randn(2, 3, 4, requires_grad=True)
    assert nn.Identity()(x) is x
    y = nn.Flatten()(x)
    assert y.shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Flatten(start_dim=0)(x).shape == (24,)
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4)
    with pytest.raises(ValueError, match="do not fit an input of shape"):
        nn.Flatten(3)(x)


# ------------------------------------------------------------------ Dropout
def test_dropout_is_inverted_and_identity_in_eval():
    cr.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = cr.ones(200, 100, requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)     # d y / d x = mask / (1 - p)
    assert drop.eval()(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()


def test_dropout_validates_p():
    for p in (-0.1, 1.5, "0.5", True):
        with pytest.raises(ValueError, match="p is the probability"):
            nn.Dropout(p)


# -------------------------------------------------------------- activations
ACTIVATIONS = [
    (nn.Sigmoid(), "sigmoid", {}),
    (nn.Tanh(), "tanh", {}),
    (nn.ReLU(), "relu", {}),
    (nn.LeakyReLU(0.2), "leaky_relu", {"negative_slope": 0.2}),
    (nn.Softmax(axis=1), "softmax", {"dim": 1}),
    (nn.Softmax(dim=0), "softmax", {"dim": 0}),
    (nn.LogSoftmax(), "log_softmax", {"dim": -1}),
]


@pytest.mark.parametrize("module,name,kwargs", ACTIVATIONS, ids=lambda v: repr(v)[:20])
def test_activation_modules_match_torch(module, name, kwargs):
    torch = pytest.importorskip("torch")
    x = cr.randn(4, 5) * 3
    assert_close(module(x), getattr(torch.nn.functional, name)(to_torch(x), **kwargs))


def test_default_leaky_slope_and_functional_reexports():
    assert nn.LeakyReLU().negative_slope == 0.01
    assert F.relu is cr.relu and F.softmax is cr.softmax and F.log_softmax is cr.log_softmax
    assert isinstance(nn.make_activation("tanh"), nn.Tanh)
    assert isinstance(nn.make_activation(nn.ReLU), nn.ReLU)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.make_activation("swish")
