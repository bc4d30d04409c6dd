"""Residual, DenseBlock, DeepSupervision and the mlp builder."""
import math

import numpy as np
import pytest
from nn_testing import gradcheck_module

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


# ---------------------------------------------------------------- Residual
def test_residual_adds_the_identity_and_its_gradient():
    block = nn.Sequential(nn.Linear(4, 4), nn.Tanh())
    res = nn.Residual(block)
    x = cr.randn(3, 4, requires_grad=True)
    np.testing.assert_allclose(res(x).data, block(x).data + x.data, rtol=1e-6)
    v = cr.randn(3, 4)
    (res(x) * v).sum().backward()                  # dH/dx = dF/dx + I
    with_skip = x.grad.data.copy()
    x.zero_grad()
    (block(x) * v).sum().backward()
    np.testing.assert_allclose(with_skip, x.grad.data + v.data, rtol=1e-5, atol=1e-6)


def test_residual_with_projection_shortcut_and_gradcheck():
    res = nn.Residual(nn.Sequential(nn.Linear(3, 5), nn.Tanh()), shortcut=nn.Linear(3, 5))
    assert res(cr.randn(2, 3)).shape == (2, 5)
    assert [n for n, _ in res.named_parameters()] == [
        "block.0.weight", "block.0.bias", "shortcut.weight", "shortcut.bias"]
    assert gradcheck_module(res, cr.randn(2, 3))


def test_residual_shape_mismatch_names_both_shapes():
    res = nn.Residual(nn.Linear(3, 5))
    with pytest.raises(ValueError, match=r"block's output has shape \(2, 5\).*shortcut's has "
                                         r"shape \(2, 3\).*pass shortcut="):
        res(cr.randn(2, 3))
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(2, 1\)"):   # no silent broadcasting
        nn.Residual(nn.Linear(3, 5), shortcut=nn.Linear(3, 1))(cr.randn(2, 3))


# -------------------------------------------------------------- DenseBlock
def test_dense_block_concatenates_input_and_every_output():
    block = nn.DenseBlock(4, growth=3, num_layers=3, activation="tanh")
    assert block.out_features == 13
    assert [layer[0].in_features for layer in block.layers] == [4, 7, 10]
    x = cr.randn(5, 4)
    out = block(x)
    assert out.shape == (5, 13)
    np.testing.assert_array_equal(out.data[:, :4], x.data)
    first = block.layers[0](x)
    np.testing.assert_allclose(out.data[:, 4:7], first.data, rtol=1e-6)
    second = block.layers[1](cr.concat([x, first], axis=1))
    np.testing.assert_allclose(out.data[:, 7:10], second.data, rtol=1e-6)


def test_dense_block_gradcheck():
    assert gradcheck_module(nn.DenseBlock(2, growth=2, num_layers=2), cr.randn(3, 2) + 0.1)


def test_dense_block_from_own_layers_and_errors():
    block = nn.DenseBlock(layers=[nn.Linear(2, 1), nn.Linear(3, 2)])
    assert block(cr.randn(4, 2)).shape == (4, 5) and block.out_features is None
    with pytest.raises(ValueError, match="either"):
        nn.DenseBlock(2, 1, 1, layers=[nn.Linear(2, 1)])
    with pytest.raises(ValueError, match="positive ints"):
        nn.DenseBlock(2, 0, 1)
    bad = nn.DenseBlock(layers=[nn.Flatten(0)])
    with pytest.raises(ValueError, match=r"layer 0 returned shape \(8,\)"):
        bad(cr.randn(4, 2))


# --------------------------------------------------------- DeepSupervision
def _supervised(weights=0.3):
    cr.manual_seed(0)
    return nn.DeepSupervision(
        trunk=[nn.Sequential(nn.Linear(2, 6), nn.Tanh()),
               nn.Sequential(nn.Linear(6, 6), nn.Tanh()),
               nn.Linear(6, 1)],
        heads={0: nn.Linear(6, 1), 1: nn.Linear(6, 1)}, weights=weights)


def test_deep_supervision_outputs_and_weighted_loss():
    model = _supervised()
    x, y = cr.randn(8, 2), (np.arange(8) % 2).reshape(8, 1)
    out = model(x)
    main, aux = model.forward_all(x)
    np.testing.assert_array_equal(out.data, main.data)
    assert len(model.aux_outputs) == 2 and all(a.shape == (8, 1) for a in model.aux_outputs)
    loss_fn = F.binary_cross_entropy_with_logits
    expected = loss_fn(main, y).item() + 0.3 * sum(loss_fn(a, y).item() for a in aux)
    assert model.loss(loss_fn, y).item() == pytest.approx(expected, rel=1e-6)
    assert model.head_after == (0, 1)


def test_deep_supervision_heads_inject_gradient_into_early_stages():
    model = _supervised(weights=[0.5, 2.0])
    x, y = cr.randn(8, 2), cr.randn(8, 1)
    model(x)
    model.loss(F.mse_loss, y).backward()
    total = model.trunk[0][0].weight.grad.data.copy()
    model.zero_grad()
    F.mse_loss(model(x), y).backward()              # the main loss alone
    main_only = model.trunk[0][0].weight.grad.data
    assert not np.allclose(total, main_only)
    assert model.heads[0].weight.grad is None        # heads get no gradient from the main loss
    names = [n for n, _ in model.named_parameters()]
    assert "heads.1.weight" in names and "trunk.2.bias" in names


def test_deep_supervision_errors():
    with pytest.raises(RuntimeError, match="call the model on a batch first"):
        _supervised().loss(F.mse_loss, np.zeros((1, 1)))
    stages = [nn.Linear(2, 2), nn.Linear(2, 1)]
    with pytest.raises(ValueError, match=r"stage before the last, in \[0, 0\]"):
        nn.DeepSupervision(stages, {1: nn.Linear(2, 1)})
    with pytest.raises(ValueError, match="2 weights for 1 heads"):
        nn.DeepSupervision(stages, {0: nn.Linear(2, 1)}, weights=[1.0, 2.0])
    with pytest.raises(TypeError, match="non-empty dict"):
        nn.DeepSupervision(stages, [nn.Linear(2, 1)])


# ---------------------------------------------------------------------- mlp
def test_mlp_structure():
    model = nn.mlp(2, 1, depth=3, width=8, activation="tanh")
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear", "Tanh", "Linear",
                                                 "Tanh", "Linear"]
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 4   # depth + 1
    assert [type(m).__name__ for m in nn.mlp(3, 2, depth=0, width=99)] == ["Linear"]
    skip = nn.mlp(2, 1, depth=3, width=8, activation="relu", skip=True)
    assert [type(m).__name__ for m in skip] == ["Linear", "ReLU", "Residual", "Residual",
                                                "Linear"]
    assert [type(m).__name__ for m in skip[2].block] == ["Linear", "ReLU"]
    assert skip(cr.randn(5, 2)).shape == (5, 1)


def test_mlp_auto_init_is_xavier_for_sigmoid_and_kaiming_for_relu():
    wide = 300
    sig = nn.mlp(wide, 1, depth=2, width=wide, activation="sigmoid")
    relu = nn.mlp(wide, 1, depth=2, width=wide, activation="relu")
    xavier_bound = math.sqrt(6 / (2 * wide))
    assert np.abs(sig[2].weight.data).max() <= xavier_bound
    assert sig[2].weight.data.std() == pytest.approx(xavier_bound / math.sqrt(3), rel=0.03)
    assert relu[2].weight.data.std() == pytest.approx(math.sqrt(2 / wide), rel=0.03)
    assert not sig[0].bias.data.any() and not relu[4].bias.data.any()
    default = nn.mlp(wide, 1, depth=1, width=wide, init="default")
    assert default[0].bias.data.any()


def test_mlp_validates_arguments():
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.mlp(2, 1, 2, 4, activation="swish")
    with pytest.raises(ValueError, match="depth"):
        nn.mlp(2, 1, -1, 4)
    with pytest.raises(ValueError, match="init must be one of"):
        nn.mlp(2, 1, 2, 4, init="he")


def test_mlp_with_skips_gradcheck():
    assert gradcheck_module(nn.mlp(2, 1, depth=2, width=3, activation="tanh", skip=True),
                            cr.randn(3, 2))


def test_skip_connections_keep_the_first_layers_gradient_alive():
    """The point of the blocks: in a deep sigmoid net the first layer's gradient vanishes;
    with residual connections it does not."""
    x, y = cr.randn(32, 4), np.zeros((32, 1))

    def first_layer_grad_norm(skip):
        cr.manual_seed(0)
        model = nn.mlp(4, 1, depth=20, width=16, activation="sigmoid", skip=skip)
        F.mse_loss(model(x), y).backward()
        return np.linalg.norm(model[0].weight.grad.data)

    plain, residual = first_layer_grad_norm(False), first_layer_grad_norm(True)
    assert plain < 1e-8 and residual > 1e-2
