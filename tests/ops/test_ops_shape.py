"""reshape transpose permute T squeeze unsqueeze flatten, indexing, concat and stack."""
import numpy as np
import pytest

import chainrule as cr

SHAPE = (2, 3, 4)

# name: (chainrule, torch)
MOVES = {
    "reshape(6, 4)": (lambda t: t.reshape(6, 4), lambda t: t.reshape(6, 4)),
    "reshape((4, -1, 2))": (lambda t: t.reshape((4, -1, 2)), lambda t: t.reshape((4, -1, 2))),
    "reshape(-1)": (lambda t: cr.reshape(t, -1), lambda t: t.reshape(-1)),
    "view(3, 8)": (lambda t: t.view(3, 8), lambda t: t.view(3, 8)),
    "transpose()": (lambda t: t.transpose(), lambda t: t.permute(2, 1, 0)),
    "transpose(0, 2)": (lambda t: t.transpose(0, 2), lambda t: t.transpose(0, 2)),
    "transpose(-1, 1)": (lambda t: cr.transpose(t, -1, 1), lambda t: t.transpose(-1, 1)),
    "transpose(1, 2, 0)": (lambda t: t.transpose(1, 2, 0), lambda t: t.permute(1, 2, 0)),
    "transpose((2, 0, 1))": (lambda t: t.transpose((2, 0, 1)), lambda t: t.permute(2, 0, 1)),
    "permute(2, 0, 1)": (lambda t: t.permute(2, 0, 1), lambda t: t.permute(2, 0, 1)),
    "permute((1, 0, 2))": (lambda t: cr.permute(t, (1, 0, 2)), lambda t: t.permute(1, 0, 2)),
    "permute(-1, 0, 1)": (lambda t: t.permute(-1, 0, 1), lambda t: t.permute(-1, 0, 1)),
    "T": (lambda t: t.T, lambda t: t.permute(2, 1, 0)),   # NumPy's T: reverse all axes
    "mT": (lambda t: t.mT, lambda t: t.mT),
    "swapaxes(0, 1)": (lambda t: t.swapaxes(0, 1), lambda t: t.swapaxes(0, 1)),
    "flatten()": (lambda t: t.flatten(), lambda t: t.flatten()),
    "flatten(1)": (lambda t: t.flatten(1), lambda t: t.flatten(1)),
    "unsqueeze(0)": (lambda t: t.unsqueeze(0), lambda t: t.unsqueeze(0)),
    "unsqueeze(-1)": (lambda t: cr.unsqueeze(t, -1), lambda t: t.unsqueeze(-1)),
    "unsqueeze(dim=2)": (lambda t: t.unsqueeze(dim=2), lambda t: t.unsqueeze(dim=2)),
    "broadcast_to": (lambda t: t.broadcast_to((5, 2, 3, 4)), lambda t: t.expand(5, 2, 3, 4)),
    "expand(5, 2, 3, 4)": (lambda t: t.expand(5, 2, 3, 4), lambda t: t.expand(5, 2, 3, 4)),
}


@pytest.mark.parametrize("name", MOVES)
def test_moving_values_gradcheck(name, rng, check_grad):
    assert check_grad(MOVES[name][0], rng.standard_normal(SHAPE))


@pytest.mark.parametrize("name", MOVES)
def test_moving_values_matches_torch(name, rng, against_torch):
    fn, torch_fn = MOVES[name]
    x = rng.standard_normal(SHAPE)
    against_torch(fn, torch_fn, x)
    against_torch(fn, torch_fn, x, dtype=np.float32)


def test_T_of_a_matrix(rng, against_torch):
    against_torch(lambda t: t.T, lambda t: t.T, rng.standard_normal((3, 5)))


SQUEEZES = {
    "squeeze()": (lambda t: t.squeeze(), lambda t: t.squeeze()),
    "squeeze(1)": (lambda t: t.squeeze(1), lambda t: t.squeeze(1)),
    "squeeze(-1)": (lambda t: cr.squeeze(t, -1), lambda t: t.squeeze(-1)),
    "squeeze((1, 3))": (lambda t: t.squeeze((1, 3)), lambda t: t.squeeze((1, 3))),
    "squeeze(dim=0)": (lambda t: t.squeeze(dim=0), lambda t: t.squeeze(dim=0)),  # size 2: kept
}


@pytest.mark.parametrize("name", SQUEEZES)
def test_squeeze_gradcheck(name, rng, check_grad):
    assert check_grad(SQUEEZES[name][0], rng.standard_normal((2, 1, 3, 1)))


@pytest.mark.parametrize("name", SQUEEZES)
def test_squeeze_matches_torch(name, rng, against_torch):
    against_torch(*SQUEEZES[name], rng.standard_normal((2, 1, 3, 1)))


def test_shape_errors_name_the_op():
    x = cr.ones(2, 3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) "
                                         r"\(6 elements\) into shape \(4,\)"):
        x.reshape(4)
    with pytest.raises(ValueError, match=r"permute: \(0, 0\) is not a permutation"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match=r"permute: \(0, 1, 2\) is not a permutation"):
        x.permute(0, 1, 2)
    with pytest.raises(ValueError, match="unsqueeze: axis 3 is out of range"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match="squeeze: axis 2 is out of range"):
        x.squeeze(2)
    with pytest.raises(ValueError, match="swapaxes: axis 5 is out of range"):
        x.transpose(0, 5)
    with pytest.raises(ValueError, match=r"broadcast_to: shapes \(2, 3\) and \(3, 3\)"):
        x.broadcast_to((3, 3))


# --------------------------------------------------------------------- indexing
INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, 3),
    "negative step": slice(None, None, -1),
    "step -2": slice(None, None, -2),
    "(slice, int)": (slice(None), 2),
    "(int, int)": (1, 3),
    "ellipsis": (Ellipsis, 0),
    "None": (None, slice(0, 2)),
    "repeated list": [0, 0, 1],
    "2-D int array": np.array([[0, 1], [1, 1]]),
    "paired arrays": (np.array([0, 1, 1]), np.array([2, 2, 0])),
    "array and slice": (slice(None), [3, 3, 0]),
    "mask": np.array([True, False, True, True, False]),
    "2-D mask": np.arange(20).reshape(5, 4) % 3 == 0,
}


@pytest.mark.parametrize("name", INDICES)
def test_indexing_gradient_scatters_back(name, rng, check_grad):
    index = INDICES[name]
    x = rng.standard_normal((5, 4))
    assert check_grad(lambda t: t[index], x)
    t = cr.tensor(x, requires_grad=True)
    out = t[index]
    np.testing.assert_array_equal(out.data, x[index])
    upstream = rng.standard_normal(out.shape)
    out.backward(gradient=upstream)
    expected = np.zeros_like(x)
    np.add.at(expected, index, upstream)       # repeated picks add up
    np.testing.assert_allclose(t.grad.data, expected)


@pytest.mark.parametrize("name", [n for n in INDICES if "step" not in n])  # torch: no steps < 0
def test_indexing_matches_torch(name, rng, torch, against_torch):
    index = INDICES[name]
    parts = index if isinstance(index, tuple) else (index,)
    t_index = tuple(torch.as_tensor(p) if isinstance(p, (np.ndarray, list)) else p
                    for p in parts)
    against_torch(lambda t: t[index], lambda t: t[t_index], rng.standard_normal((5, 4)))


def test_repeated_indices_add_up():
    x = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x[[0, 0, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 1.0, 0.0, 0.0])


def test_indexing_with_tensors_and_masks_from_comparisons():
    x = cr.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    y = x[x > 0] * 2 + x[cr.tensor([3, 3])]
    np.testing.assert_array_equal(y.data, [8.0, 12.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 0.0, 4.0])


def test_bad_index_names_the_shape():
    x = cr.ones(3, 2)
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit a tensor of shape "
                                         r"\(3, 2\)"):
        x[5]
    with pytest.raises(IndexError, match=r"getitem: .* shape \(3, 2\)"):
        x[[0, 3]]
    with pytest.raises(IndexError, match=r"getitem: .* shape \(3, 2\)"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match=r"getitem: .* shape \(3, 2\)"):
        x[np.array([True, False])]


# ------------------------------------------------------------- concat and stack
def concat_pieces(rng, axis):
    """Three pieces of SHAPE, of lengths 1, 2 and 3 along axis."""
    shapes = [list(SHAPE) for _ in range(3)]
    for s, n in zip(shapes, (1, 2, 3)):
        s[axis] = n
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_concat_gradcheck(axis, rng, check_grad):
    assert check_grad(lambda *ts: cr.concat(list(ts), axis=axis), *concat_pieces(rng, axis))


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_concat_matches_torch(axis, rng, torch, against_torch):
    pieces = concat_pieces(rng, axis)
    against_torch(lambda *ts: cr.concat(ts, axis=axis), lambda *ts: torch.cat(ts, dim=axis),
                  *pieces)
    against_torch(lambda *ts: cr.cat(list(ts), dim=axis), lambda *ts: torch.cat(ts, dim=axis),
                  *pieces, dtype=np.float32)


@pytest.mark.parametrize("axis", [0, 1, 3, -1, -4])
def test_stack_gradcheck(axis, rng, check_grad):
    pieces = [rng.standard_normal(SHAPE) for _ in range(3)]
    assert check_grad(lambda *ts: cr.stack(list(ts), axis=axis), *pieces)


@pytest.mark.parametrize("axis", [0, 1, 3, -1, -4])
def test_stack_matches_torch(axis, rng, torch, against_torch):
    pieces = [rng.standard_normal(SHAPE) for _ in range(3)]
    against_torch(lambda *ts: cr.stack(ts, axis=axis), lambda *ts: torch.stack(ts, dim=axis),
                  *pieces)


def test_concat_and_stack_with_a_constant_piece():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    out = cr.concat([x, cr.tensor([3.0]), x], axis=0) * cr.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 7.0])
    x.zero_grad()
    (cr.stack([x, cr.zeros(2)], axis=1) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_concat_and_stack_errors():
    with pytest.raises(ValueError, match=r"concat: shapes \[\(2, 3\), \(2, 4\)\] must match in "
                                         "every axis except axis 0"):
        cr.concat([cr.ones(2, 3), cr.ones(2, 4)], axis=0)
    with pytest.raises(ValueError, match="concat: axis 2 is out of range"):
        cr.concat([cr.ones(2, 3), cr.ones(2, 3)], axis=2)
    with pytest.raises(ValueError, match="concat: 0-d tensors cannot be concatenated"):
        cr.concat([cr.tensor(1.0), cr.tensor(2.0)])
    with pytest.raises(TypeError, match="concat: expected a list or tuple of tensors"):
        cr.concat(cr.ones(2, 3))
    with pytest.raises(ValueError, match="stack: needs at least one tensor"):
        cr.stack([])
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape, got "
                                         r"\[\(2,\), \(3,\)\]"):
        cr.stack([cr.ones(2), cr.ones(3)])
    with pytest.raises(ValueError, match="stack: axis 2 is out of range for 2 dimensions"):
        cr.stack([cr.ones(2), cr.ones(2)], axis=2)
