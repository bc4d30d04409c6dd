"""sigmoid tanh relu leaky_relu softmax log_softmax: values, gradients, and stability."""
import numpy as np
import pytest

import chainrule as cr


# name: (chainrule function, torch counterpart as f(torch, t))
ACTIVATIONS = {
    "sigmoid": (cr.sigmoid, lambda torch, t: torch.sigmoid(t)),
    "tanh": (cr.tanh, lambda torch, t: torch.tanh(t)),
    "relu": (cr.relu, lambda torch, t: torch.relu(t)),
    "leaky_relu": (cr.leaky_relu, lambda torch, t: torch.nn.functional.leaky_relu(t)),
    "leaky_relu(0.2)": (lambda t: cr.leaky_relu(t, 0.2),
                        lambda torch, t: torch.nn.functional.leaky_relu(t, 0.2)),
    "softmax": (cr.softmax, lambda torch, t: t.softmax(dim=-1)),
    "softmax(axis=0)": (lambda t: cr.softmax(t, axis=0), lambda torch, t: t.softmax(dim=0)),
    "log_softmax": (cr.log_softmax, lambda torch, t: t.log_softmax(dim=-1)),
    "log_softmax(axis=0)": (lambda t: t.log_softmax(axis=0),
                            lambda torch, t: t.log_softmax(dim=0)),
}
SHAPES = [(5,), (3, 4), (2, 3, 4)]
# Inputs of +-1000: anything that forms e**1000 overflows (and pyproject turns NumPy's
# RuntimeWarning into an error).
HUGE = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0], [1000.0, 1000.0, -1000.0, -1000.0, 0.5]])


def with_torch(name, torch):
    fn, ref = ACTIVATIONS[name]
    return fn, lambda t: ref(torch, t)


def away_from_zero(x):
    """relu and leaky_relu have a kink at 0; keep finite differences off it."""
    return np.where(np.abs(x) < 0.05, 0.5, x)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradcheck(name, shape, rng, check_grad):
    assert check_grad(ACTIVATIONS[name][0], away_from_zero(rng.standard_normal(shape) * 3))


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name, shape, rng, torch, against_torch):
    x = away_from_zero(rng.standard_normal(shape) * 3)
    against_torch(*with_torch(name, torch), x)
    out = against_torch(*with_torch(name, torch), x, dtype=np.float32)
    assert out.dtype == np.float32


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "leaky_relu(0.2)"])
def test_kink_at_zero_has_torch_gradient(name, torch, against_torch):
    against_torch(*with_torch(name, torch), np.array([-1.0, 0.0, 2.0]))


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_plus_minus_1000(name, dtype):
    x = cr.tensor(HUGE, dtype=dtype, requires_grad=True)
    out = ACTIVATIONS[name][0](x)
    out.backward(gradient=np.ones(out.shape, dtype))
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_values_and_gradients_match_torch(name, dtype, torch, against_torch):
    against_torch(*with_torch(name, torch), HUGE, dtype=dtype)


def test_stable_values_exactly():
    x = cr.tensor([-1000.0, 1000.0], dtype=cr.float64)
    np.testing.assert_array_equal(cr.sigmoid(x).data, [0.0, 1.0])
    np.testing.assert_array_equal(cr.tanh(x).data, [-1.0, 1.0])
    np.testing.assert_array_equal(cr.softmax(x).data, [0.0, 1.0])
    np.testing.assert_array_equal(cr.log_softmax(x).data, [-2000.0, 0.0])
    np.testing.assert_allclose(cr.softmax(cr.tensor([1000.0, 1000.0])).data, [0.5, 0.5])
    np.testing.assert_allclose(cr.softmax(cr.tensor([-1000.0, -1000.0])).data, [0.5, 0.5])


def test_sigmoid_derivative_peaks_at_a_quarter():
    x = cr.tensor([0.0, 2.0], dtype=cr.float64, requires_grad=True)
    cr.sigmoid(x).sum().backward()
    s = 1 / (1 + np.exp(-2.0))
    np.testing.assert_allclose(x.grad.data, [0.25, s * (1 - s)])


def test_softmax_rows_sum_to_one(rng):
    p = cr.softmax(cr.tensor(rng.standard_normal((4, 6)) * 10), axis=1)
    np.testing.assert_allclose(p.sum(axis=1).data, np.ones(4), rtol=1e-6)


def test_method_forms_equal_functions(rng):
    x = cr.tensor(rng.standard_normal((2, 3)))
    for name in ["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax"]:
        np.testing.assert_array_equal(getattr(x, name)().data, getattr(cr, name)(x).data)
    np.testing.assert_array_equal(x.softmax(dim=0).data, cr.softmax(x, axis=0).data)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_axis_must_be_one_int(name):
    with pytest.raises(TypeError, match=f"{name}: axis must be a single int"):
        getattr(cr, name)(cr.ones(2, 3), axis=(0, 1))
    with pytest.raises(ValueError, match=f"{name}: axis 2 is out of range"):
        getattr(cr, name)(cr.ones(2, 3), axis=2)
