"""nn.init: PyTorch's gains, the bound or std of every scheme (checked statistically on a
large matrix), our (in, out) fan convention, dtype and seeding."""
import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import init

FAN_IN, FAN_OUT = 600, 200          # our weight is (in, out)


def _weight(dtype=np.float32):
    return nn.Parameter(np.zeros((FAN_IN, FAN_OUT), dtype))


@pytest.mark.parametrize("name,param,expected", [
    ("linear", None, 1.0), ("identity", None, 1.0), ("sigmoid", None, 1.0),
    ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / (1 + 0.2 ** 2))), ("selu", None, 0.75)])
def test_calculate_gain_values(name, param, expected):
    assert init.calculate_gain(name, param) == pytest.approx(expected)


def test_calculate_gain_matches_torch():
    torch = pytest.importorskip("torch")
    for name in ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"):
        assert init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert init.calculate_gain("leaky_relu", 0.3) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.3))


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


UNIFORM = [  # (call, bound)
    (lambda w: init.xavier_uniform_(w), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (lambda w: init.xavier_uniform_(w, gain=5 / 3), 5 / 3 * math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (lambda w: init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2) * math.sqrt(3 / FAN_IN)),
    (lambda w: init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / math.sqrt(FAN_IN)),
    (lambda w: init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2) * math.sqrt(3 / FAN_OUT)),
    (lambda w: init.uniform_(w, -0.3, 0.3), 0.3),
]
NORMAL = [  # (call, std)
    (lambda w: init.xavier_normal_(w), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda w: init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / FAN_IN)),
    (lambda w: init.kaiming_normal_(w, a=0.1), math.sqrt(2 / (1 + 0.01)) / math.sqrt(FAN_IN)),
    (lambda w: init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2 / FAN_OUT)),
    (lambda w: init.normal_(w, 0.0, 0.05), 0.05),
]


@pytest.mark.parametrize("fill,bound", UNIFORM)
def test_uniform_schemes_have_their_bound_and_std(fill, bound):
    w = _weight()
    assert fill(w) is w
    assert np.abs(w.data).max() <= bound * (1 + 1e-6)
    assert np.abs(w.data).max() > 0.99 * bound
    assert w.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(w.data.mean()) < 0.01 * bound


@pytest.mark.parametrize("fill,std", NORMAL)
def test_normal_schemes_have_their_std(fill, std):
    w = _weight()
    fill(w)
    assert w.data.std() == pytest.approx(std, rel=0.02)
    assert abs(w.data.mean()) < 0.01 * std


def test_fan_in_is_shape_0_for_our_in_out_layout():
    torch = pytest.importorskip("torch")
    ours = _weight()
    theirs = torch.empty(FAN_OUT, FAN_IN)         # torch's layout of the same layer
    init.kaiming_normal_(ours, nonlinearity="relu")
    torch.nn.init.kaiming_normal_(theirs, nonlinearity="relu")
    assert ours.data.std() == pytest.approx(float(theirs.std()), rel=0.03)


def test_constant_fills_keep_dtype_and_need_a_float_tensor():
    w = _weight(np.float64)
    init.ones_(w)
    assert w.dtype == np.float64 and np.all(w.data == 1)
    init.zeros_(w)
    assert not w.data.any()
    init.constant_(w, 0.5)
    assert np.all(w.data == 0.5)
    init.xavier_uniform_(w)
    assert w.dtype == np.float64
    with pytest.raises(TypeError, match="expected a Tensor or Parameter, got ndarray"):
        init.zeros_(np.zeros(3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_uniform_(nn.Parameter(np.zeros(3, np.float32)))


def test_init_draws_from_chainrules_seeded_generator():
    cr.manual_seed(3)
    a = init.kaiming_uniform_(_weight()).data.copy()
    cr.manual_seed(3)
    b = init.kaiming_uniform_(_weight()).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init.kaiming_uniform_(_weight()).data)
