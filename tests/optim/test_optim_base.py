"""The bookkeeping every optimizer shares: param groups, zero_grad, skipping, dtypes."""
import numpy as np
import pytest

import chainrule as cr


def make(name, params, **kw):
    return getattr(cr.optim, name)(params, **kw)


def quadratic_grad(*params):
    sum(((p * p).sum() for p in params), cr.tensor(0.0, dtype=params[0].dtype)).backward()


def test_param_groups_with_different_lr_match_torch(match_torch):
    match_torch("SGD", groups=[{"lr": 0.02}, {"momentum": 0.5}], lr=0.1, momentum=0.9)
    match_torch("Adam", groups=[{"lr": 0.01}, {"betas": (0.5, 0.9)}], lr=0.05)
    match_torch("RMSprop", groups=[{"lr": 0.002}, {"centered": True}], lr=0.01)
    match_torch("AdamW", groups=[{"weight_decay": 0.5}, {"lr": 0.01}], lr=0.05)


def test_param_groups_fill_in_the_defaults():
    a = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([2.0], requires_grad=True)
    opt = cr.optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "tag": "head"}], lr=0.1,
                       momentum=0.9)
    g0, g1 = opt.param_groups
    assert g0["params"] == [a] and g0["lr"] == 0.1 and g0["momentum"] == 0.9
    assert g1["params"][0] is b and g1["lr"] == 0.5 and g1["tag"] == "head"
    assert g1["momentum"] == 0.9 and g1["nesterov"] is False


def test_lr_changed_in_param_groups_takes_effect():
    w = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1)
    opt.param_groups[0]["lr"] = 0.25
    quadratic_grad(w)
    opt.step()
    np.testing.assert_allclose(w.data, [0.5])


def test_add_param_group_trains_a_new_parameter():
    a = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    b = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    quadratic_grad(a, b)
    opt.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.8])
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_named_parameters_are_accepted():
    w = cr.tensor([1.0], requires_grad=True)
    b = cr.tensor([0.0], requires_grad=True)
    opt = cr.optim.SGD([("weight", w), ("bias", b)], lr=0.1)
    assert opt.param_groups[0]["params"] == [w, b]
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_params_can_be_a_generator_used_once():
    ws = [cr.tensor([1.0], requires_grad=True) for _ in range(3)]
    opt = cr.optim.SGD((w for w in ws), lr=0.1)
    assert opt.param_groups[0]["params"] == ws


def test_params_without_grad_are_skipped(stateful_config):
    name, kw = stateful_config
    used = cr.tensor([1.0, 2.0], requires_grad=True)
    unused = cr.tensor([3.0, 4.0], requires_grad=True)   # weight decay must not touch it
    frozen = cr.tensor([5.0], requires_grad=False)
    opt = make(name, [used, unused, frozen], **kw)
    for _ in range(3):
        opt.zero_grad()
        quadratic_grad(used)
        opt.step()
    assert unused.grad is None and frozen.grad is None
    np.testing.assert_array_equal(unused.data, [3.0, 4.0])
    np.testing.assert_array_equal(frozen.data, [5.0])
    assert unused not in opt.state and frozen not in opt.state
    assert not np.allclose(used.data, [1.0, 2.0])
    assert list(opt.state_dict()["state"]) == [0]


def test_float32_params_and_state_stay_float32(stateful_config):
    name, kw = stateful_config
    w = cr.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype=cr.float32, requires_grad=True)
    s = cr.tensor(0.5, dtype=cr.float32, requires_grad=True)   # a 0-d parameter too
    opt = make(name, [w, s], **kw)
    for _ in range(5):
        opt.zero_grad()
        quadratic_grad(w, s)
        opt.step()
    for p in (w, s):
        assert p.data.dtype == np.float32
        for key, value in opt.state[p].items():
            if key != "step":
                assert value.dtype == np.float32, key
    assert w.shape == (2, 3) and s.shape == ()


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam"])
def test_float32_trajectory_matches_torch_float32(match_torch, name):
    match_torch(name, dtype=np.float32, atol=1e-4, lr=0.02)


def test_step_updates_in_place_and_builds_no_graph(stateful_config):
    name, kw = stateful_config
    w = cr.tensor([1.0, -1.0], requires_grad=True)
    opt = make(name, [w], **kw)
    quadratic_grad(w)
    data, grad = w.data, w.grad
    grad_before = grad.data.copy()
    opt.step()
    opt.step()
    assert w.data is data                      # the same array, changed in place
    assert w.grad is grad and w.is_leaf and w.requires_grad
    np.testing.assert_array_equal(w.grad.data, grad_before)   # the gradient is only read


def test_zero_grad_sets_to_none_by_default():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1)
    quadratic_grad(w)
    opt.zero_grad()
    assert w.grad is None


def test_zero_grad_can_fill_with_zeros():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1)
    quadratic_grad(w)
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(w.grad.data, [0.0, 0.0])
    quadratic_grad(w)                          # accumulates into the zeros
    np.testing.assert_array_equal(w.grad.data, [2.0, 4.0])


def test_step_with_closure_returns_the_loss():
    w = cr.tensor([3.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss.item()

    with cr.no_grad():   # the closure still records its graph
        assert opt.step(closure) == 9.0
    np.testing.assert_allclose(w.data, [1.5])


def test_a_gradient_of_the_wrong_shape_is_reported():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = cr.optim.Adam([w])
    w.grad = cr.tensor([1.0])
    with pytest.raises(ValueError, match=r"shape \(2,\) has a gradient of shape \(1,\)"):
        opt.step()


def test_repr_lists_the_groups():
    w = cr.tensor([1.0], requires_grad=True)
    text = repr(cr.optim.Adam([w], lr=0.01))
    assert text.startswith("Adam (") and "Parameter Group 0" in text and "lr: 0.01" in text


def test_state_takes_the_param_dtype_even_if_the_grad_differs(stateful_config):
    name, kw = stateful_config
    w = cr.tensor([1.0, -1.0], dtype=cr.float64, requires_grad=True)
    opt = make(name, [w], **kw)
    for _ in range(2):
        w.grad = cr.tensor([0.5, 0.25], dtype=cr.float32)    # set by hand, not by backward
        opt.step()
    assert w.data.dtype == np.float64
    assert all(v.dtype == np.float64 for k, v in opt.state[w].items() if k != "step")
