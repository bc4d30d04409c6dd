"""+ - * / ** and unary minus: finite differences, PyTorch, broadcasting, dtypes, errors."""
import operator

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr

BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
          "div": operator.truediv, "pow": operator.pow}

BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 3, 4), (4,)), ((), (2, 3)),
                    ((5,), ()), ((2, 1, 4), (3, 1)), ((), ())]


def binary_inputs(rng, name, shape_a, shape_b):
    """Random operands inside the op's smooth domain: a divisor away from 0, a positive
    base for a real power."""
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    if name == "div":
        b = np.sign(b) * (0.5 + np.abs(b))
    if name == "pow":
        a = rng.uniform(0.5, 2.0, shape_a)
    return a, b


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_gradcheck(name, shapes, rng, check_grad):
    assert check_grad(BINARY[name], *binary_inputs(rng, name, *shapes))


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name, shapes, rng, against_torch):
    out = against_torch(BINARY[name], BINARY[name], *binary_inputs(rng, name, *shapes))
    assert out.shape == np.broadcast_shapes(*shapes)


@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch_in_float32(name, rng, against_torch):
    out = against_torch(BINARY[name], BINARY[name], *binary_inputs(rng, name, (3, 1), (4,)),
                        dtype=np.float32)
    assert out.dtype == np.float32


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       name=st.sampled_from(sorted(BINARY)), seed=st.integers(0, 2**31))
def test_binary_broadcasting_property(shapes, name, seed, check_grad):
    a, b = binary_inputs(np.random.default_rng(seed), name, *shapes.input_shapes)
    assert BINARY[name](cr.tensor(a), cr.tensor(b)).shape == shapes.result_shape
    assert check_grad(BINARY[name], a, b)


# Python numbers on either side, including the reflected forms 2 * t, 1 - t, 2 / t, 2 ** t.
WITH_SCALAR = {
    "t + 1": lambda t: t + 1, "1 + t": lambda t: 1 + t,
    "t - 3": lambda t: t - 3, "1 - t": lambda t: 1 - t,
    "t * 2.5": lambda t: t * 2.5, "2 * t": lambda t: 2 * t,
    "t / 4": lambda t: t / 4, "2 / t": lambda t: 2 / t,
    "t ** 2": lambda t: t ** 2, "t ** 3": lambda t: t ** 3, "t ** 0.5": lambda t: t ** 0.5,
    "t ** -1.5": lambda t: t ** -1.5, "2 ** t": lambda t: 2 ** t,
    "-t": lambda t: -t, "+t": lambda t: +t,
}


@pytest.mark.parametrize("expr", WITH_SCALAR)
def test_with_python_number_gradcheck(expr, rng, check_grad):
    # positive: t ** 0.5 and 2 / t stay smooth
    assert check_grad(WITH_SCALAR[expr], rng.uniform(0.5, 2.0, (2, 3)))


@pytest.mark.parametrize("expr", WITH_SCALAR)
def test_with_python_number_matches_torch(expr, rng, against_torch):
    x = rng.uniform(0.5, 2.0, (2, 3))
    against_torch(WITH_SCALAR[expr], WITH_SCALAR[expr], x)
    out = against_torch(WITH_SCALAR[expr], WITH_SCALAR[expr], x, dtype=np.float32)
    assert out.dtype == np.float32    # a Python number does not promote float32


def test_numpy_array_on_the_left_defers_to_the_tensor():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, cr.Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 4.0])


def test_pow_special_points_match_torch(against_torch):
    # negative base with an integer exponent, zero base: d/da is finite, d/db is NaN for
    # a < 0 (no real log) and 0 at a == 0 (PyTorch's convention); no warning either way.
    a = np.array([-2.0, 0.0, 3.0, 0.0, 0.0, 2.0])
    b = np.array([2.0, 2.0, 2.0, 0.5, 0.0, 0.0])
    against_torch(lambda a, b: a ** b, lambda a, b: a ** b, a, b)


def test_power_zero_is_constant_even_at_zero(against_torch):
    out = against_torch(lambda t: t ** 0, lambda t: t ** 0, np.array([0.0, 2.0, -1.0]))
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 1.0])
    x = cr.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_square_of_negative_number_has_finite_gradient():
    x = cr.tensor([-3.0, 0.0], requires_grad=True)
    (x ** 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-6.0, 0.0])


def test_unary_minus_matches_torch(rng, against_torch):
    against_torch(lambda t: -t, lambda t: -t, rng.standard_normal((3, 2)))


def test_in_place_add_changes_the_tensor_itself_as_pytorch():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    a = x * 1
    before = a
    a += y                      # the same object, now x + y
    assert a is before
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    (a * a).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [8.0, 12.0])
    np.testing.assert_array_equal(y.grad.data, [8.0, 12.0])
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        x += y


def test_mixed_float_dtypes_promote_and_grads_keep_each_dtype():
    a = cr.tensor([1.0, 2.0], requires_grad=True)                     # float32
    b = cr.tensor([3.0, 4.0], dtype=cr.float64, requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.data, [3.0, 4.0])


@pytest.mark.parametrize("name", BINARY)
def test_shapes_that_do_not_broadcast_name_op_and_shapes(name):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(3, 2\) and \(4,\) neither match "
                                         "nor broadcast"):
        BINARY[name](cr.ones(3, 2), cr.ones(4))


@pytest.mark.parametrize("op, fn", [("lt", operator.lt), ("le", operator.le),
                                    ("gt", operator.gt), ("ge", operator.ge),
                                    ("eq", operator.eq), ("ne", operator.ne)])
def test_comparisons_give_booleans_without_graph(op, fn):
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = fn(x, 2.0)
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.data, fn(np.array([1.0, 2.0, 3.0]), 2.0))
    with pytest.raises(ValueError, match=rf"{op}: shapes \(3,\) and \(2,\)"):
        fn(x, cr.ones(2))
