"""Ways to make a tensor: tensor, from_numpy, filled, ranges and random."""
import numpy as np
import pytest

import chainrule as cr


def test_tensor_copies_its_data():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = cr.tensor(a, requires_grad=True, name="w")
    a[0] = 99.0
    assert t.data[0] == 1.0 and t.requires_grad and t.name == "w"


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.arange(3.0)
    t = cr.from_numpy(a, requires_grad=True)
    a[0] = 7.0
    assert t.data[0] == 7.0 and t.dtype == np.float64 and t.requires_grad
    assert cr.from_numpy(np.arange(3)).dtype == np.int64
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        cr.from_numpy([1.0])


@pytest.mark.parametrize("make, shape", [
    (lambda: cr.zeros(2, 3), (2, 3)), (lambda: cr.zeros((2, 3)), (2, 3)),
    (lambda: cr.ones([4]), (4,)), (lambda: cr.ones(), ()),
    (lambda: cr.full((2, 2), 1.5), (2, 2)), (lambda: cr.full(3, 0.0), (3,)),
    (lambda: cr.randn(2, 3), (2, 3)), (lambda: cr.rand((5,)), (5,)),
])
def test_filled_and_random_tensors_are_float32_of_the_shape(make, shape):
    t = make()
    assert t.shape == shape and t.dtype == np.float32 and not t.requires_grad


def test_filled_values_and_dtypes():
    np.testing.assert_array_equal(cr.zeros(2).data, [0.0, 0.0])
    np.testing.assert_array_equal(cr.ones(2, dtype=cr.float64).data, [1.0, 1.0])
    assert cr.ones(2, dtype=cr.float64).dtype == np.float64
    np.testing.assert_array_equal(cr.full((2,), 7, dtype=cr.int64).data, [7, 7])
    like = cr.tensor([1.0, 2.0], dtype=cr.float64)
    assert cr.zeros_like(like).dtype == np.float64 and cr.ones_like(like).data.sum() == 2.0
    assert cr.zeros(2, requires_grad=True).requires_grad
    assert cr.ones_like(like, requires_grad=True).requires_grad


def test_arange_keeps_integers_and_makes_floats_float32():
    np.testing.assert_array_equal(cr.arange(4).data, [0, 1, 2, 3])
    assert cr.arange(4).dtype == np.int64
    t = cr.arange(0, 1, 0.25)
    np.testing.assert_array_equal(t.data, [0.0, 0.25, 0.5, 0.75])
    assert t.dtype == np.float32
    assert cr.arange(1, 7, 2).tolist() == [1, 3, 5]
    assert cr.arange(3, dtype=cr.float64).dtype == np.float64


def test_random_tensors_follow_manual_seed():
    cr.manual_seed(123)
    a, b = cr.randn(3), cr.rand(2)
    cr.manual_seed(123)
    np.testing.assert_array_equal(cr.randn(3).data, a.data)
    np.testing.assert_array_equal(cr.rand(2).data, b.data)
    assert np.all((b.data >= 0) & (b.data < 1))
    assert cr.randn(2, dtype=cr.float64).dtype == np.float64
    with pytest.raises(ValueError, match="manual_seed: seed must be a non-negative int"):
        cr.manual_seed(-1)


def test_bad_shapes_and_integer_grads_are_refused():
    with pytest.raises(ValueError, match=r"shape must be non-negative ints, got \(2, -1\)"):
        cr.zeros(2, -1)
    with pytest.raises(ValueError, match=r"shape must be non-negative ints, got \(2.5,\)"):
        cr.ones(2.5)
    with pytest.raises(TypeError, match="only floating-point tensors can require a gradient"):
        cr.zeros(2, dtype=cr.int64, requires_grad=True)
