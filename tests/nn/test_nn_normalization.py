"""LayerNorm and BatchNorm1d: gradients by finite differences, values against PyTorch."""
import numpy as np
import pytest
from nn_testing import assert_close, gradcheck_module, to_torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


def _randomise_affine(ours, theirs):
    """Non-trivial weight and bias, the same in both libraries."""
    import torch
    for name in ("weight", "bias"):
        values = cr.randn(*getattr(ours, name).shape)
        getattr(ours, name).data[...] = values.data
        with torch.no_grad():
            getattr(theirs, name).copy_(to_torch(values))


# ---------------------------------------------------------------- LayerNorm
def test_layer_norm_normalises_each_sample():
    x = cr.randn(3, 4) * 5 + 2
    y = nn.LayerNorm(4)(x).data
    np.testing.assert_allclose(y.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=1), 1, atol=1e-3)


def test_layer_norm_gradcheck():
    layer = nn.LayerNorm(4)
    layer.weight.data[...] = cr.randn(4).data
    layer.bias.data[...] = cr.randn(4).data
    assert gradcheck_module(layer, cr.randn(3, 4))
    assert gradcheck_module(nn.LayerNorm((2, 3)), cr.randn(2, 2, 3))


@pytest.mark.parametrize("shape,normalized", [((5, 4), 4), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(shape, normalized):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LayerNorm(normalized), torch.nn.LayerNorm(normalized)
    _randomise_affine(ours, theirs)
    x = cr.tensor((cr.randn(*shape) * 3).data, requires_grad=True)
    tx = to_torch(x, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    assert_close(out, tout, atol=1e-5)
    g = cr.randn(*shape)
    out.backward(g)
    tout.backward(to_torch(g))
    assert_close(x.grad, tx.grad, atol=1e-4)
    assert_close(ours.weight.grad, theirs.weight.grad, atol=1e-4)
    assert_close(ours.bias.grad, theirs.bias.grad, atol=1e-4)


def test_layer_norm_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*\(4,\).*\(2, 3\)"):
        nn.LayerNorm(4)(cr.randn(2, 3))
    with pytest.raises(ValueError, match="normalized_shape must be"):
        nn.LayerNorm(0)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None
    assert list(nn.LayerNorm(4, bias=False).state_dict()) == ["weight"]


# -------------------------------------------------------------- BatchNorm1d
def test_batch_norm_train_mode_gradcheck():
    layer = nn.BatchNorm1d(3)
    layer.weight.data[...] = cr.randn(3).data
    layer.bias.data[...] = cr.randn(3).data
    assert gradcheck_module(layer, cr.randn(5, 3))
    assert gradcheck_module(nn.BatchNorm1d(2), cr.randn(3, 2, 4))


def test_batch_norm_eval_mode_gradcheck():
    layer = nn.BatchNorm1d(3)
    layer(cr.randn(6, 3) * 2 + 1)
    assert gradcheck_module(layer.eval(), cr.randn(4, 3))


@pytest.mark.parametrize("shape,momentum", [((8, 3), 0.1), ((6, 3, 5), 0.3), ((8, 3), None)])
def test_batch_norm_matches_torch_in_train_and_eval(shape, momentum):
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3, momentum=momentum)
    theirs = torch.nn.BatchNorm1d(3, momentum=momentum)
    _randomise_affine(ours, theirs)
    for step in range(3):
        x = cr.tensor((cr.randn(*shape) * (step + 1) + step).data, requires_grad=True)
        tx = to_torch(x, requires_grad=True)
        out, tout = ours(x), theirs(tx)
        assert_close(out, tout, atol=1e-5, err_msg=f"train output, step {step}")
        g = cr.randn(*shape)
        out.backward(g)
        tout.backward(to_torch(g))
        assert_close(x.grad, tx.grad, atol=1e-4, err_msg=f"input grad, step {step}")
    assert_close(ours.weight.grad, theirs.weight.grad, atol=1e-4)
    assert_close(ours.bias.grad, theirs.bias.grad, atol=1e-4)
    assert_close(ours.running_mean, theirs.running_mean, atol=1e-5)
    assert_close(ours.running_var, theirs.running_var, atol=1e-5)
    assert int(ours.num_batches_tracked.data) == int(theirs.num_batches_tracked) == 3
    ours.eval(), theirs.eval()
    x = cr.randn(*shape)
    assert_close(ours(x), theirs(to_torch(x)), atol=1e-5, err_msg="eval output")


def test_batch_norm_state_dict_loads_into_torch_with_the_same_keys():
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm1d(3)
    ours(cr.randn(10, 3))
    theirs = torch.nn.BatchNorm1d(3)
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x = cr.randn(4, 3)
    assert_close(ours.eval()(x), theirs.eval()(to_torch(x)), atol=1e-6)


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    layer = nn.BatchNorm1d(2, track_running_stats=False).eval()
    y = layer(cr.randn(6, 2) * 4 + 3).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    assert layer.state_dict().keys() == {"weight", "bias"}


def test_batch_norm_errors():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError,
                       match=r"BatchNorm1d\(3.*expected 3 features on axis 1.*\(4, 2\)"):
        layer(cr.randn(4, 2))
    with pytest.raises(ValueError, match=r"\(N, C\) or \(N, C, L\)"):
        layer(cr.randn(3))
    with pytest.raises(ValueError, match="more than one value per channel"):
        layer(cr.randn(1, 3))
    assert int(layer.num_batches_tracked.data) == 0       # a failed call changes nothing
    assert layer.eval()(cr.randn(1, 3)).shape == (1, 3)  # eval needs no batch statistics
    with pytest.raises(ValueError, match="needs running_mean and running_var"):
        F.batch_norm(cr.randn(4, 3), None, None, training=False)
