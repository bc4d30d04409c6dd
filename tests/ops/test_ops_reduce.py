"""sum mean max min logsumexp var over axis (None, int, negative, tuple) with keepdims."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]
SHAPE = (2, 3, 4)


def torch_dim(axis, ndim):
    """PyTorch spells "every axis" as a tuple of all of them."""
    return tuple(range(ndim)) if axis is None else axis


# name: (chainrule method, its torch counterpart)
REDUCTIONS = {
    "sum": (lambda t, ax, kd: t.sum(axis=ax, keepdims=kd),
            lambda t, ax, kd: t.sum(dim=torch_dim(ax, t.ndim), keepdim=kd)),
    "mean": (lambda t, ax, kd: t.mean(axis=ax, keepdims=kd),
             lambda t, ax, kd: t.mean(dim=torch_dim(ax, t.ndim), keepdim=kd)),
    "max": (lambda t, ax, kd: t.max(axis=ax, keepdims=kd),
            lambda t, ax, kd: t.amax(dim=torch_dim(ax, t.ndim), keepdim=kd)),
    "min": (lambda t, ax, kd: t.min(axis=ax, keepdims=kd),
            lambda t, ax, kd: t.amin(dim=torch_dim(ax, t.ndim), keepdim=kd)),
    "logsumexp": (lambda t, ax, kd: t.logsumexp(axis=ax, keepdims=kd),
                  lambda t, ax, kd: t.logsumexp(dim=torch_dim(ax, t.ndim), keepdim=kd)),
    "var": (lambda t, ax, kd: t.var(axis=ax, keepdims=kd),
            lambda t, ax, kd: t.var(dim=torch_dim(ax, t.ndim), keepdim=kd)),   # both correction=1
}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_gradcheck(name, axis, keepdims, rng, check_grad):
    fn = REDUCTIONS[name][0]
    x = rng.standard_normal(SHAPE)     # continuous samples: no ties for max/min
    assert fn(cr.tensor(x), axis, keepdims).shape == np.sum(x, axis=axis, keepdims=keepdims).shape
    assert check_grad(lambda t: fn(t, axis, keepdims), x)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_matches_torch(name, axis, keepdims, rng, against_torch):
    fn, torch_fn = REDUCTIONS[name]
    against_torch(lambda t: fn(t, axis, keepdims), lambda t: torch_fn(t, axis, keepdims),
                  rng.standard_normal(SHAPE))


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_matches_torch_in_float32(name, rng, against_torch):
    fn, torch_fn = REDUCTIONS[name]
    out = against_torch(lambda t: fn(t, 1, False), lambda t: torch_fn(t, 1, False),
                        rng.standard_normal(SHAPE), dtype=np.float32)
    assert out.dtype == np.float32


@pytest.mark.parametrize("name", REDUCTIONS)
def test_reduction_of_a_scalar_tensor(name, check_grad):
    fn = REDUCTIONS[name][0]
    if name == "var":   # one element: no degrees of freedom at the default correction=1
        assert cr.tensor(3.0).var(correction=0).item() == 0.0
        with pytest.raises(ValueError, match="leave no degrees of freedom"):
            fn(cr.tensor(3.0), None, False)
        return
    assert check_grad(lambda t: fn(t, None, False), np.float64(0.7))


@settings(max_examples=25, deadline=None)
@given(data=st.data(), name=st.sampled_from(["sum", "mean", "max", "min", "logsumexp"]))
def test_reduction_over_random_axes_property(data, name, check_grad):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    axis = data.draw(st.none() | hnp.valid_tuple_axes(len(shape), min_size=1)
                     | st.integers(-len(shape), len(shape) - 1))
    keepdims = data.draw(st.booleans())
    x = np.random.default_rng(data.draw(st.integers(0, 2**31))).standard_normal(shape)
    fn = REDUCTIONS[name][0]
    assert fn(cr.tensor(x), axis, keepdims).shape == np.sum(x, axis=axis, keepdims=keepdims).shape
    assert check_grad(lambda t: fn(t, axis, keepdims), x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "var"])
def test_dim_and_keepdim_are_aliases(name, rng):
    x = cr.tensor(rng.standard_normal(SHAPE))
    method = getattr(x, name)
    np.testing.assert_array_equal(method(dim=1, keepdim=True).data,
                                  method(axis=1, keepdims=True).data)
    np.testing.assert_array_equal(getattr(cr, name)(x, dim=-1).data, method(axis=-1).data)
    with pytest.raises(TypeError, match=f"{name}: unexpected keyword argument"):
        method(axes=1)


def test_max_returns_values_like_numpy():
    x = cr.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    np.testing.assert_array_equal(x.max(axis=1).data, [5.0, 7.0])
    np.testing.assert_array_equal(x.min(axis=0).data, [1.0, 0.0, 2.0])
    assert x.max().item() == 7.0 and cr.min(x).item() == 0.0


@pytest.mark.parametrize("name, torch_name", [("max", "amax"), ("min", "amin")])
@pytest.mark.parametrize("axis", [None, 1, 0])
def test_max_min_split_the_gradient_among_ties_like_torch(name, torch_name, axis, against_torch):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 3.0, 0.0]])
    torch_dim_ = torch_dim(axis, 2)
    against_torch(lambda t: getattr(t, name)(axis=axis),
                  lambda t: getattr(t, torch_name)(dim=torch_dim_), x)


def test_max_tie_exact_shares():
    x = cr.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_var_with_correction_matches_torch(rng, against_torch):
    against_torch(lambda t: t.var(axis=0, correction=1), lambda t: t.var(dim=0, correction=1),
                  rng.standard_normal((5, 3)))


def test_logsumexp_is_stable_at_large_inputs(against_torch):
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [-1000.0, 1000.0]])
    out = against_torch(lambda t: t.logsumexp(axis=1), lambda t: t.logsumexp(dim=1), x)
    np.testing.assert_allclose(out.data, [1000 + np.log(2), -1000 + np.log(2), 1000.0])
    against_torch(lambda t: t.logsumexp(axis=1), lambda t: t.logsumexp(dim=1), x,
                  dtype=np.float32)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "var"])
def test_bad_axis_is_named(name):
    x = cr.ones(2, 3)
    with pytest.raises(ValueError, match=rf"{name}: axis 2 is out of range for a tensor with 2 "
                                         r"dimension\(s\)"):
        getattr(x, name)(axis=2)
    with pytest.raises(ValueError, match=f"{name}: repeated axis"):
        getattr(x, name)(axis=(0, -2))
    with pytest.raises(TypeError, match=f"{name}: axis must be an int or a tuple of ints"):
        getattr(x, name)(axis=1.0)


def test_empty_reductions_are_refused():
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty tensor of shape \(0,\)"):
        cr.zeros(0).max()
    with pytest.raises(ValueError, match="var: 1 element"):
        cr.ones(1).var(correction=1)
