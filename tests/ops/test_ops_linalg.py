"""matmul with NumPy's semantics: matrices, vectors, and batches with broadcasting."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import chainrule as cr

SHAPES = [
    ((3, 4), (4, 5)),          # matrix @ matrix
    ((4,), (4, 5)),            # vector @ matrix
    ((3, 4), (4,)),            # matrix @ vector
    ((4,), (4,)),              # dot product
    ((2, 3, 4), (4, 5)),       # batch @ matrix
    ((2, 3, 4), (2, 4, 5)),    # batch @ batch
    ((2, 1, 3, 4), (5, 4, 2)),  # batch dimensions broadcast
    ((3, 4), (2, 4, 5)),       # matrix @ batch
    ((4,), (2, 4, 5)),         # vector @ batch
    ((2, 3, 4), (4,)),         # batch @ vector
]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_matmul_gradcheck(shapes, rng, check_grad):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    assert (cr.tensor(a) @ cr.tensor(b)).shape == np.matmul(a, b).shape
    assert check_grad(lambda a, b: a @ b, a, b)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_matmul_matches_torch(shapes, rng, against_torch):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    against_torch(cr.matmul, lambda a, b: a @ b, a, b)
    against_torch(lambda a, b: a.matmul(b), lambda a, b: a @ b, a, b, dtype=np.float32)


@pytest.mark.parametrize("shapes", SHAPES[:3], ids=str)
def test_matmul_with_one_constant_operand(shapes, rng, against_torch):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    against_torch(lambda a: a @ cr.tensor(b), lambda a: a @ a.new_tensor(b), a)
    against_torch(lambda b: a @ b, lambda b: b.new_tensor(a) @ b, b)   # ndarray @ Tensor


@settings(max_examples=20, deadline=None)
@given(m=st.integers(1, 3), k=st.integers(1, 3), n=st.integers(1, 3),
       batch=st.sampled_from([(), (2,), (1,), (2, 1)]), seed=st.integers(0, 2**31))
def test_matmul_property(m, k, n, batch, seed, check_grad):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(batch + (m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose((cr.tensor(a) @ cr.tensor(b)).data, a @ b)
    assert check_grad(cr.matmul, a, b)


def test_matmul_layer_gradients_by_hand():
    # For C = A B:  dA = G B^T,  dB = A^T G  (G the upstream gradient, here all ones).
    A = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    B = cr.tensor([[5.0, 6.0], [7.0, 8.0]], requires_grad=True)
    (A @ B).sum().backward()
    np.testing.assert_array_equal(A.grad.data, [[11.0, 15.0], [11.0, 15.0]])
    np.testing.assert_array_equal(B.grad.data, [[4.0, 4.0], [6.0, 6.0]])


def test_inner_dimension_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(3, 2\) @ \(3, 2\)"):
        cr.ones(3, 2) @ cr.ones(3, 2)
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: \(3,\) @ \(4,\)"):
        cr.ones(3) @ cr.ones(4)


def test_batch_mismatch_and_scalars_are_refused():
    with pytest.raises(ValueError, match=r"matmul: batch dimensions of \(2, 3, 2\) and "
                                         r"\(3, 2, 4\) do not broadcast"):
        cr.ones(2, 3, 2) @ cr.ones(3, 2, 4)
    with pytest.raises(ValueError, match=r"matmul: both operands need at least one dimension"):
        cr.tensor(2.0) @ cr.ones(3)


LINEAR_SHAPES = [((5, 3), (3, 4)), ((3,), (3, 4)), ((2, 5, 3), (3, 4))]


@pytest.mark.parametrize("shapes", LINEAR_SHAPES, ids=str)
@pytest.mark.parametrize("with_bias", [True, False])
def test_fused_linear_gradcheck_and_torch(shapes, with_bias, rng, check_grad, against_torch):
    x, w = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    b = rng.standard_normal(shapes[1][1])
    if with_bias:
        assert check_grad(cr.ops.linear, x, w, b)
        against_torch(cr.ops.linear, lambda x, w, b: x @ w + b, x, w, b)
    else:
        assert check_grad(cr.ops.linear, x, w)
        against_torch(cr.ops.linear, lambda x, w: x @ w, x, w)


def test_fused_linear_second_derivative(rng):
    x = cr.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = cr.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    (gx,) = cr.grad((cr.ops.linear(x, w) ** 2).sum(), x, create_graph=True)
    (gw,) = cr.grad(gx.sum(), w)
    # d/dW of sum_ij 2 (xW)_ij W_kj ... checked against the composed form
    x2 = cr.tensor(x.data, requires_grad=True)
    w2 = cr.tensor(w.data, requires_grad=True)
    (gx2,) = cr.grad(((x2 @ w2) ** 2).sum(), x2, create_graph=True)
    (gw2,) = cr.grad(gx2.sum(), w2)
    np.testing.assert_allclose(gw.data, gw2.data, rtol=1e-12)


def test_fused_linear_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"linear: expected x of shape \(\.\.\., in\)"):
        cr.ops.linear(cr.ones(2, 3), cr.ones(4, 2))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(2,\)"):
        cr.ops.linear(cr.ones(2, 3), cr.ones(3, 2), cr.ones(3))
