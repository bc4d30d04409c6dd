"""The Tensor and the backward pass: worked examples, how gradients flow and accumulate,
hooks, dtypes, errors and repr."""
import gc

import numpy as np
import pytest

import chainrule as cr


# ------------------------------------------------------- the lectures' examples
def test_worked_example_sum_times_product():
    x = cr.tensor(3.0, requires_grad=True, name="x")
    y = cr.tensor(-4.0, requires_grad=True, name="y")
    z = cr.tensor(5.0, requires_grad=True, name="z")
    f = (x + y) * z
    assert f.item() == -5.0
    f.backward()
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (5.0, 5.0, -1.0)


def test_worked_example_sigmoid_neuron():
    x = cr.tensor(1.0, requires_grad=True)
    t0 = cr.tensor(-3.0, requires_grad=True)
    t1 = cr.tensor(3.0, requires_grad=True)
    f = cr.sigmoid(t0 + t1 * x)
    assert f.item() == 0.5
    f.backward()
    # df/dt0 = s(1-s) = 0.25, df/dt1 = 0.25 x, df/dx = 0.25 t1
    assert (t0.grad.item(), t1.grad.item(), x.grad.item()) == (0.25, 0.25, 0.75)


def test_worked_example_matches_torch(torch):
    values = {"x": 1.0, "t0": -3.0, "t1": 3.0}
    ours = {k: cr.tensor(v, dtype=cr.float64, requires_grad=True) for k, v in values.items()}
    ref = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    cr.sigmoid(ours["t0"] + ours["t1"] * ours["x"]).backward()
    torch.sigmoid(ref["t0"] + ref["t1"] * ref["x"]).backward()
    for k in values:
        assert ours[k].grad.item() == ref[k].grad.item()


# ---------------------------------------------------------------- the pass
def test_backward_is_seeded_with_one():
    x = cr.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0
    y = cr.tensor([[4.0]], requires_grad=True)     # one element of any shape is a scalar
    out = y * 3
    seeds = []
    out.register_hook(lambda g: seeds.append(g.data.copy()))
    out.backward()
    np.testing.assert_array_equal(seeds[0], [[1.0]])
    assert y.grad.shape == (1, 1) and y.grad.item() == 3.0


def test_a_tensor_used_twice_gets_both_contributions():
    x = cr.tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert x.grad.item() == 6.0
    w = cr.tensor(2.0, requires_grad=True)
    (w * w * w + w).backward()                     # 3 w^2 + 1
    assert w.grad.item() == 13.0


def test_gradients_accumulate_across_backward_calls():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    grad = x.grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 7.0])
    assert x.grad is grad                          # accumulated in place, as PyTorch does
    x.zero_grad()
    assert x.grad is None


def test_each_node_is_visited_once_in_a_diamond():
    x = cr.tensor(0.5, dtype=cr.float64, requires_grad=True)
    a = cr.exp(x)                                  # the shared prefix
    b, c = a * 2, a * 3
    d = b + c
    e = d * a                                      # e = 5 a^2
    calls = {}
    for name, t in dict(a=a, b=b, c=c, d=d, e=e).items():
        t.register_hook(lambda g, name=name: calls.setdefault(name, []).append(g.item()))
    e.backward()
    assert {k: len(v) for k, v in calls.items()} == dict(a=1, b=1, c=1, d=1, e=1)
    assert calls["a"][0] == pytest.approx(10 * a.item(), rel=1e-12)   # complete, then handed on
    assert x.grad.item() == pytest.approx(10 * np.exp(1.0), rel=1e-12)   # d/dx 5 e^(2x)


def test_stacked_diamonds_do_not_blow_up():
    # y = y + y forty times: 2**40 paths from y to x. Visiting each node once is instant;
    # following every path would never finish.
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(40):
        y = y + y
    y.backward()
    assert x.grad.item() == 2.0 ** 40


def test_a_chain_of_ten_thousand_ops_backpropagates():
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward(retain_graph=True)
    assert x.grad.item() == pytest.approx(1.0001 ** 10_000, rel=1e-9)
    del y                                           # freeing a deep graph must not recurse
    gc.collect()


def test_graph_is_released_after_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    f = (x * x).sum()
    f.backward()
    with pytest.raises(RuntimeError, match=r"already backpropagated.*retain_graph=True"):
        f.backward()


def test_retain_graph_allows_a_second_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    f = (x * x).sum()
    f.backward(retain_graph=True)
    f.backward()
    np.testing.assert_array_equal(x.grad.data, [4.0, 8.0])


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"output has shape \(2,\).*gradient="):
        y.backward()
    y.backward(gradient=cr.tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.data, [2.0, 20.0])


def test_gradient_of_the_wrong_shape_names_both_shapes():
    y = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the output has shape "
                                         r"\(2,\)"):
        y.backward(gradient=cr.ones(3))
    with pytest.raises(ValueError, match=r"gradient has shape \(2, 1\) but the output has "
                                         r"shape \(2,\)"):
        y.backward(gradient=np.ones((2, 1)))


def test_gradient_may_be_a_list_or_ndarray():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(gradient=[1.0, 1.0], retain_graph=True)
    (x * 2).backward(gradient=np.array([0.5, 0.5]))
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    assert x.grad.dtype == np.float32


def test_backward_without_a_graph_says_why():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        (cr.tensor([1.0]) * 2).sum().backward()


def test_broadcast_gradients_are_reduced_to_each_input_shape():
    a = cr.tensor(np.ones((3, 1)), requires_grad=True)
    b = cr.tensor(np.ones(4), requires_grad=True)
    s = cr.tensor(2.0, requires_grad=True)
    ((a + b) * s).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,) and s.grad.shape == ()
    np.testing.assert_array_equal(a.grad.data, np.full((3, 1), 8.0))
    np.testing.assert_array_equal(b.grad.data, np.full(4, 6.0))
    assert s.grad.item() == 24.0


def test_inputs_that_need_no_gradient_get_none():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_non_leaf_grad_is_not_kept_unless_retain_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    k = x * 3
    k.retain_grad()
    ((h * k).sum()).backward()
    assert h.grad is None and not h.is_leaf and x.is_leaf
    np.testing.assert_array_equal(k.grad.data, [2.0, 4.0])     # d/dk = h


# ------------------------------------------------------------------------ hooks
def test_hook_on_a_non_leaf_sees_and_replaces_the_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    seen = []

    def double(g):
        seen.append(g.data.copy())
        return g * 2

    h.register_hook(double)
    (h * h).sum().backward()                       # dL/dh = 2h = [6, 12]
    np.testing.assert_array_equal(seen[0], [6.0, 12.0])
    np.testing.assert_array_equal(x.grad.data, [36.0, 72.0])   # doubled, then times 3


def test_hook_on_a_leaf_changes_what_is_accumulated():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    handle.remove()
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_hook_returning_none_observes_only_and_remove_is_idempotent():
    x = cr.tensor(2.0, requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(g.item()))
    (x * 4).backward()
    handle.remove()
    handle.remove()
    (x * 4).backward()
    assert calls == [4.0] and x.grad.item() == 8.0


def test_hooks_see_gradients_in_the_tensor_dtype():
    # Rules on 0-d arrays can return NumPy scalars; those must not turn into float32.
    x = cr.tensor(0.3, dtype=cr.float64, requires_grad=True)
    h = cr.exp(x) * 2
    seen = []
    for t in (x, h):
        t.register_hook(lambda g: seen.append(g.dtype))
    (h * 3).backward()
    assert seen == [np.float64, np.float64]
    assert x.grad.item() == 6 * np.exp(0.3)


def test_hook_errors():
    with pytest.raises(RuntimeError, match="register_hook: this tensor does not require"):
        cr.tensor(1.0).register_hook(print)
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: cr.ones(3))
    with pytest.raises(ValueError, match=r"hook returned a gradient of shape \(3,\) for a "
                                         r"tensor of shape \(2,\)"):
        x.sum().backward()


# --------------------------------------------------------------------- detach
def test_detach_shares_data_and_stops_the_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    (x * d).sum().backward()                        # d is a constant: grad is d, not 4x
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
    e = x.detach()
    assert np.shares_memory(e.data, x.data)


# ------------------------------------------------------------------- attributes
def test_attributes():
    x = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, name="x")
    assert isinstance(x.data, np.ndarray)
    assert (x.shape, x.ndim, x.dtype, x.name, x.numel(), len(x)) == \
        ((2, 3), 2, np.float32, "x", 6, 2)
    assert x.size() == (2, 3) and x.size(1) == 3
    assert x.grad is None and x.requires_grad and x.is_leaf
    assert np.shares_memory(x.numpy(), x.data)
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert cr.tensor(2.5).item() == 2.5 and float(cr.tensor(2.5)) == 2.5
    assert int(cr.tensor(7)) == 7 and bool(cr.tensor(1.0))
    assert (x * 2).op == "mul" and (x * 2).parents[0] is x


def test_item_and_truth_value_of_many_elements_are_refused():
    with pytest.raises(ValueError, match=r"item: only a one-element tensor .* shape \(2,\)"):
        cr.ones(2).item()
    with pytest.raises(ValueError, match=r"truth value of a tensor of shape \(2,\)"):
        bool(cr.ones(2))
    with pytest.raises(TypeError, match="len"):
        len(cr.tensor(1.0))


def test_iteration_goes_over_the_first_axis_with_gradients():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == [[1.0, 2.0], [3.0, 4.0]]
    (rows[0] * 2 + rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 2.0], [1.0, 1.0]])
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        list(cr.tensor(1.0))


def test_argmax_and_argmin():
    x = cr.tensor([[1.0, 5.0], [7.0, 0.0]])
    np.testing.assert_array_equal(x.argmax(axis=1).data, [1, 0])
    assert x.argmin().item() == 3


# ----------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("data", [3.0, [1.0, 2.0], [[1, 2.5]], np.float16([1, 2])], ids=repr)
def test_python_floats_become_float32(data):
    assert cr.tensor(data).dtype == np.float32


def test_float_arrays_keep_their_dtype():
    assert cr.tensor(np.ones(2)).dtype == np.float64
    assert cr.tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert cr.tensor(2.0, dtype=cr.float64).dtype == np.float64
    assert cr.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_integers_and_booleans_stay_and_cannot_require_grad():
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor([True, False]).dtype == np.bool_
    with pytest.raises(TypeError, match="only floating-point tensors can require a gradient, "
                                        "this one has dtype int64"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="dtype bool"):
        cr.tensor([True]).requires_grad_()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_keep_the_dtype(dtype):
    x = cr.tensor([1.0, 2.0], dtype=dtype, requires_grad=True)
    y = (cr.sigmoid(x * 0.5 + 1) ** 2 / 3 - 1.5).mean()
    assert y.dtype == dtype
    y.backward()
    assert x.grad.dtype == dtype


def test_python_numbers_keep_float32_in_every_op():
    x = cr.tensor([1.0, 2.0])
    results = [x + 1, 1 + x, x - 0.5, 2.0 - x, x * 3, 0.5 * x, x / 2, 2 / x, x ** 2, 2 ** x,
               cr.maximum(x, 1.5), cr.minimum(x, 1), cr.where(x > 1, x, 0.0), x.clip(0, 1.5)]
    assert all(r.dtype == np.float32 for r in results)


# ------------------------------------------------------------------ bad data
def test_non_numeric_data_is_refused_with_what_was_wrong():
    with pytest.raises(TypeError, match="tensor: expected numbers .* got str 'abc'"):
        cr.tensor("abc")
    with pytest.raises(TypeError, match="tensor: expected numeric data, got an array of dtype "
                                        "<U.*'a'"):
        cr.tensor([1, "a"])
    with pytest.raises(TypeError, match="tensor: expected numbers .* got NoneType"):
        cr.tensor(None)
    with pytest.raises(TypeError, match="tensor: expected numeric data.*dict"):
        cr.tensor({"a": 1})
    with pytest.raises(TypeError, match="dtype must be a numeric NumPy dtype"):
        cr.tensor([1.0], dtype=str)


def test_ragged_lists_are_refused():
    with pytest.raises(ValueError, match="tensor: could not make an array .* nested lists must "
                                         "be rectangular"):
        cr.tensor([[1.0, 2.0], [3.0]])


# ------------------------------------------------------------------------- repr
@pytest.mark.parametrize("make, expected", [
    (lambda: cr.tensor([1.0, 2.0, 3.0]), "tensor([1., 2., 3.])"),
    (lambda: cr.tensor(3.0), "tensor(3.)"),
    (lambda: cr.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
    (lambda: cr.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: cr.tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<mul>)"),
    (lambda: cr.tensor([0.5], dtype=cr.float64), "tensor([0.5], dtype=float64)"),
    (lambda: cr.tensor(1.0, name="x"), "tensor(1., name='x')"),
])
def test_repr_looks_like_pytorch(make, expected):
    assert repr(make()) == expected


def test_leaf_gradients_never_share_memory_with_each_other_or_the_caller():
    # The engine adopts fresh gradient arrays as .grad without copying; shared or
    # user-owned arrays must still be copied, or a later in-place accumulation leaks.
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    v = np.array([1.0, 1.0], dtype=np.float32)
    for _ in range(2):
        (x + y).backward(gradient=v)
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(v, [1.0, 1.0])
    assert not np.shares_memory(x.grad.data, y.grad.data)
    h = x.register_hook(lambda g: v)           # a hook handing back the caller's array
    x.grad = None
    (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_array_equal(v, [1.0, 1.0])
    h.remove()
