"""In-place ops with PyTorch's semantics: the same object changes; leaves that require grad
change only under no_grad; a saved value changed in place makes backward raise (version
counters), never a wrong gradient. Compared with PyTorch case by case and by a fuzz test."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import chainrule as cr


# --------------------------------------------------------------- the SGD update
def test_no_grad_update_changes_the_leaf_itself_and_it_keeps_requiring_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    data = w.data
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.1 * w.grad
        w.grad = None
    assert w.requires_grad and w.is_leaf and w.data is data
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    (w * 3).sum().backward()                  # the next backward works on the same leaf
    np.testing.assert_array_equal(w.grad.data, [3.0, 3.0])


@pytest.mark.parametrize("update", ["-=", "sub_", "add_", "mul_", "div_", "copy_", "fill_",
                                    "zero_", "clamp_", "setitem", "+=", "*=", "/="])
def test_every_in_place_op_on_a_leaf_that_requires_grad(update):
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    do = {"-=": lambda t: t.__isub__(1), "+=": lambda t: t.__iadd__(1),
          "*=": lambda t: t.__imul__(2), "/=": lambda t: t.__itruediv__(2),
          "sub_": lambda t: t.sub_(1), "add_": lambda t: t.add_(1, alpha=2),
          "mul_": lambda t: t.mul_(2), "div_": lambda t: t.div_(2),
          "copy_": lambda t: t.copy_(cr.tensor([5.0, 6.0])), "fill_": lambda t: t.fill_(7),
          "zero_": lambda t: t.zero_(), "clamp_": lambda t: t.clamp_(min=1.5),
          "setitem": lambda t: t.__setitem__(0, 9.0)}[update]
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad cannot be changed "
                                           "in place.*cr.no_grad"):
        do(w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    with cr.no_grad():
        out = do(w)
    assert (out is w or out is None) and w.requires_grad and w._version == 1
    expected = {"-=": [0, 1], "+=": [2, 3], "*=": [2, 4], "/=": [0.5, 1], "sub_": [0, 1],
                "add_": [3, 4], "mul_": [2, 4], "div_": [0.5, 1], "copy_": [5, 6],
                "fill_": [7, 7], "zero_": [0, 0], "clamp_": [1.5, 2], "setitem": [9, 2]}
    np.testing.assert_array_equal(w.data, expected[update])


def test_data_arrays_can_still_be_changed_in_place():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    w.data -= 0.5
    w.data[0] = 3.0
    np.testing.assert_array_equal(w.data, [3.0, 1.5])


def test_grad_zero_and_grad_fn():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    g = x.grad
    x.grad.zero_()
    (x * 3).sum().backward()
    assert x.grad is g
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    y = x * 2
    assert repr(y.grad_fn) == "<MulBackward0>" and x.grad_fn is None
    assert y.grad_fn.next_functions[0][0].name() == "AccumulateGrad"
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0"


def test_optimizers_keep_working_on_the_same_parameter_objects():
    model = cr.nn.Linear(3, 1)
    params = list(model.parameters())
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    x, y = cr.randn(8, 3), cr.randn(8, 1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        with cr.no_grad():                     # a user's own in-place tweak between steps
            model.bias.mul_(1.0)
        losses.append(loss.item())
    assert [p for p in model.parameters()] == params or all(
        a is b for a, b in zip(model.parameters(), params))
    assert losses[-1] < losses[0]


# ----------------------------------------------------------- version counters
def test_a_saved_value_changed_in_place_makes_backward_name_the_op():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    y = x * 1
    z = y * w                                  # mul saves y for w's gradient
    assert y._version == 0
    y.add_(1)
    assert y._version == 1
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: the input 0 of "
                                           r"mul \(shape \(2,\).*version 1"):
        z.sum().backward()
    assert x.grad is None and w.grad is None   # raised before any gradient was touched


def test_a_saved_output_changed_in_place_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    with pytest.raises(RuntimeError, match="the output of exp"):
        y.sum().backward()


def test_changing_a_leaf_under_no_grad_after_it_was_saved_raises_on_backward():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([1.0, 1.0], requires_grad=True)
    loss = (x * w).sum()
    with cr.no_grad():
        w.mul_(2)
    with pytest.raises(RuntimeError, match="input 1 of mul"):
        loss.backward()


def test_views_share_the_version_of_their_base():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = x.reshape(-1)
    with cr.no_grad():
        x.add_(1)
    assert v._version == x._version == 1
    np.testing.assert_array_equal(v.data, [2, 3, 4, 5])


def test_in_place_on_a_view_rewrites_its_base_as_pytorch(torch):
    def program(t):
        x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
        w = t.tensor([4.0, 5.0], requires_grad=True)
        y = x * 1
        before = y[1:]                       # a view taken before: renewed, sees the change
        y[:2].mul_(w)                        # through a view: y's node becomes CopySlices
        (y * y).sum().backward(retain_graph=True)
        first = (x.grad.clone(), w.grad.clone())
        (before * 1).sum().backward()
        return first + (x.grad, w.grad)

    for ours, ref in zip(program(cr), program(torch)):
        np.testing.assert_allclose(ours.data, ref.numpy())


def test_in_place_on_views_chainrule_cannot_follow_is_refused_clearly():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="view .* of a leaf tensor that requires grad"):
        w[0:1].mul_(2)
    y = w * 1
    with pytest.raises(RuntimeError, match="mul_: this tensor is a view .* of another view"):
        y[0:2][0:1].mul_(w[0:1])
    with pytest.raises(ValueError, match="read-only view"):
        with cr.no_grad():
            cr.ones(3).expand(2, 3).add_(1)


# ------------------------------------------------------ against PyTorch, case by case
def _mul_then_mul_(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = t.tensor([4.0, 5.0, 6.0], requires_grad=True)
    y = x * 1
    y.mul_(w)
    y.sum().backward()
    return x.grad, w.grad


def _div_(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    w = t.tensor([4.0, 5.0], requires_grad=True)
    y = x * 1
    y.div_(w)
    y.sum().backward()
    return x.grad, w.grad


def _setitem(t):
    x = t.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = t.tensor(5.0, requires_grad=True)
    y = x * 2
    y[1] = w * 3
    y.sum().backward()
    return x.grad, w.grad


def _plain_buffer(t):
    w = t.tensor([1.0, 2.0], requires_grad=True)
    a = t.zeros(2)
    a += w
    (a * a).sum().backward()
    return (w.grad,)


def _copy_zero_fill(t):
    x = t.tensor([-1.0, 2.0], requires_grad=True)
    y = t.zeros(2)
    y.copy_(x)
    z = x * 2
    z.zero_()
    u = x * 2
    u.fill_(3)
    (y * 3 + z + u * x).sum().backward()
    return (x.grad,)


def _clamp_(t):
    x = t.tensor([-1.0, 2.0], requires_grad=True)
    y = x * 1
    y.clamp_(min=0)
    y.sum().backward()
    return (x.grad,)


def _old_value_routing(t):
    x = t.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    a = y + 1                                  # uses y's old value, saves nothing
    y.add_(5)
    b = y * 1
    (a * 1 + b).sum().backward()
    return (x.grad,)


def _mask_setitem_no_grad(t):
    a = t.tensor([1.0, -2.0, 3.0])
    a[a < 0] = 0
    return (a,)


CASES = [_mul_then_mul_, _div_, _setitem, _plain_buffer, _copy_zero_fill, _clamp_,
         _old_value_routing, _mask_setitem_no_grad]


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__.strip("_"))
def test_in_place_programs_match_torch(case, torch):
    ours = case(cr)
    ref = case(torch)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-6)


def test_dtype_and_shape_rules_match_torch():
    with pytest.raises(TypeError, match="add_: the result has dtype float32.*int64"):
        a = cr.tensor([1, 2])
        a += 0.5
    with pytest.raises(ValueError, match=r"add_: the result has shape \(2, 3\) but the tensor "
                                         r"changed in place has shape \(3,\)"):
        b = cr.zeros(3)
        b += cr.ones(2, 3)
    c = cr.tensor([1, 2])
    c *= 3
    assert c.dtype == np.int64 and c.tolist() == [3, 6]


# ------------------------------------------------------------------- fuzz
UNARY = ["exp", "tanh", "sigmoid", "relu", "neg", "sin"]
BINARY = ["add", "sub", "mul", "div"]
INPLACE = ["add_", "sub_", "mul_", "div_", "clamp_", "zero_", "fill_", "copy_", "setitem"]


def _in_place(t, name, a, b):
    """Apply an in-place step to a (b is the other operand)."""
    if name == "clamp_":
        a.clamp_(min=-0.5, max=0.5)
    elif name == "zero_":
        a.zero_()
    elif name == "fill_":
        a.fill_(0.25)
    elif name == "copy_":
        a.copy_(b)
    elif name == "setitem":
        a[1:] = b[:1] * 2 if a is not b else 1.5
    elif name == "div_":
        a.div_(b * b + 1.0)
    else:
        getattr(a, name)(b)
    return a


def _out_of_place(t, name, a, b):
    """The same step written without in-place ops: what the in-place one must compute."""
    if name == "clamp_":
        return a.clamp(min=-0.5, max=0.5)
    if name == "zero_":
        return a * 0
    if name == "fill_":
        return a * 0 + 0.25
    if name == "copy_":
        return b + a * 0
    if name == "setitem":
        v = b[:1] * 2 if a is not b else 1.5
        return t.cat([a[:1], t.ones(2, dtype=a.dtype) * v])
    if name == "div_":
        return a / (b * b + 1.0)
    return getattr(a, name.rstrip("_"))(b)


def _run_program(t, program, values, in_place=True):
    """Run a program (a list of steps) in library t; returns the leaves' gradients or the
    exception class it raised. With in_place=False each in-place step is rewritten out of
    place (the pool slot is rebound), which never raises."""
    leaves = [t.tensor(v, requires_grad=True) for v in values]
    pool = [leaf * 1 for leaf in leaves]       # intermediates: in place is allowed on them
    try:
        for kind, name, i, j in program:
            i, j = i % len(pool), j % len(pool)
            a, b = pool[i], pool[j]
            if kind == "unary":
                pool.append(getattr(a, name)())
            elif kind == "binary":
                b = b if name != "div" else b * b + 1.0
                pool.append(getattr(a, name)(b))
            elif in_place:
                _in_place(t, name, a, b)
            else:
                pool[i] = _out_of_place(t, name, a, b)
        loss = sum(((p * (k + 1)).sum() for k, p in enumerate(pool)), t.tensor(0.0))
        loss.backward()
    except RuntimeError:
        return RuntimeError
    return [np.zeros(3) if leaf.grad is None else np.asarray(leaf.grad.detach().numpy(),
                                                              dtype=np.float64)
            for leaf in leaves]


step = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(UNARY), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("binary"), st.sampled_from(BINARY), st.integers(0, 20),
              st.integers(0, 20)),
    st.tuples(st.just("inplace"), st.sampled_from(INPLACE), st.integers(0, 20),
              st.integers(0, 20)),
)


@settings(max_examples=150, deadline=None)
@given(program=st.lists(step, min_size=1, max_size=8), seed=st.integers(0, 2**16))
def test_fuzz_programs_mixing_in_place_and_out_of_place_ops_match_torch(program, seed, torch):
    values = np.random.default_rng(seed).uniform(-1, 1, (3, 3))
    ours = _run_program(cr, program, values)
    ref = _run_program(torch, program, values)
    if ref is not RuntimeError:               # PyTorch runs it: chainrule must, the same way
        assert ours is not RuntimeError, "torch ran the program, chainrule raised"
        for a, b in zip(ours, ref):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
        return
    # PyTorch refuses (a value it saved was overwritten). chainrule refuses too, or (where it
    # kept the old value, as for a.mul_(a)) gives the gradient of the same program written
    # out of place; never anything else.
    if ours is not RuntimeError:
        expected = _run_program(torch, program, values, in_place=False)
        for a, b in zip(ours, expected):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


# Views in the pool: slices kept and later read, in-place ops through a slice (PyTorch's
# CopySlices) and on the base of live views (whose nodes are renewed).
VIEW_STEPS = ["keep_slice", "slice_mul_", "slice_add_", "slice_zero_"]


def _run_view_program(t, program, values):
    leaves = [t.tensor(v, requires_grad=True) for v in values]
    pool = [leaf * 1 for leaf in leaves]
    is_view = [False] * len(pool)
    root = list(range(len(pool)))             # which memory each slot lives in
    try:
        for kind, name, i, j in program:
            i, j = i % len(pool), j % len(pool)
            a, b = pool[i], pool[j]
            shared = root[i] == root[j]   # PyTorch refuses writes from overlapping memory
            if kind == "unary":
                pool.append(getattr(a, name)())
                is_view.append(False)
                root.append(len(root))
            elif kind == "binary":
                pool.append(getattr(a, name)(b if name != "div" else b * b + 1.0))
                is_view.append(False)
                root.append(len(root))
            elif name == "keep_slice" and not is_view[i]:
                pool.append(a[:])                  # a view sharing a's memory
                is_view.append(True)
                root.append(root[i])
            elif name.startswith("slice_") and not is_view[i] and not shared:
                target = a[:2]
                if name == "slice_mul_":
                    target.mul_(b[1:] if b.shape[0] == 3 else b[:1])
                elif name == "slice_add_":
                    target.add_(b[:1])
                else:
                    target.zero_()
            elif kind == "inplace" and not shared:   # (a.mul_(a): see the test above)
                _in_place(t, name, a, b)
        loss = sum(((p * (k + 1)).sum() for k, p in enumerate(pool)), t.tensor(0.0))
        loss.backward()
    except RuntimeError:
        return RuntimeError
    return [np.zeros(3) if leaf.grad is None else np.asarray(leaf.grad.detach().numpy(),
                                                              dtype=np.float64)
            for leaf in leaves]


view_step = st.one_of(
    step,
    st.tuples(st.just("view"), st.sampled_from(VIEW_STEPS), st.integers(0, 20),
              st.integers(0, 20)),
)


@settings(max_examples=150, deadline=None)
@given(program=st.lists(view_step, min_size=1, max_size=8), seed=st.integers(0, 2**16))
def test_fuzz_programs_with_views_match_torch(program, seed, torch):
    values = np.random.default_rng(seed).uniform(-1, 1, (3, 3))
    ours = _run_view_program(cr, program, values)
    ref = _run_view_program(torch, program, values)
    if ref is RuntimeError:
        if ours is RuntimeError:
            return
        # chainrule kept an old value PyTorch did not (a.mul_(a)): without views the
        # program's out-of-place form gives the gradient it must have computed
        assert all(kind != "view" for kind, *_ in program), f"torch refused, chainrule {ours}"
        ref = _run_program(torch, program, values, in_place=False)
    assert ours is not RuntimeError, "torch ran the program, chainrule raised"
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
