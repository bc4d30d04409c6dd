"""state_dict / load_state_dict: a resumed run is the uninterrupted run, bit for bit."""
import numpy as np
import pytest

import chainrule as cr


def test_resume_after_50_steps_equals_100_uninterrupted(stateful_config, cr_problem):
    name, kw = stateful_config
    cls = getattr(cr.optim, name)
    straight = cr_problem("logistic")
    straight.train(cls(straight.params, **kw), 100)

    first = cr_problem("logistic")
    opt = cls(first.params, **kw)
    first.train(opt, 50)
    saved = opt.state_dict()
    W50, b50 = first.W.data.copy(), first.b.data.copy()
    first.train(opt, 3)                       # later steps must not leak into the snapshot

    resumed = cr_problem("logistic")           # fresh tensors, set to the 50-step values
    resumed.W.data[...], resumed.b.data[...] = W50, b50
    fresh = cls(resumed.params, **kw)
    fresh.load_state_dict(saved)
    resumed.train(fresh, 50)
    np.testing.assert_array_equal(resumed.W.data, straight.W.data)
    np.testing.assert_array_equal(resumed.b.data, straight.b.data)


def test_state_dict_layout_is_pytorchs(stateful_config, cr_problem):
    name, kw = stateful_config
    prob = cr_problem()
    opt = getattr(cr.optim, name)(prob.params, **kw)
    prob.train(opt, 2)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1]
    for idx, p in enumerate(prob.params):
        for key, value in sd["state"][idx].items():
            assert isinstance(value, np.ndarray), key
            if key == "step":
                assert value == 2
            else:
                assert value.shape == p.shape
                assert not np.shares_memory(value, opt.state[p][key])   # a snapshot
    (group,) = sd["param_groups"]
    assert group["params"] == [0, 1]
    for key, value in kw.items():
        assert group[key] == value


def test_state_dict_layout_matches_torch_keys(stateful_config, cr_problem):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests")
    name, kw = stateful_config
    prob = cr_problem()
    opt = getattr(cr.optim, name)(prob.params, **kw)
    prob.train(opt, 2)
    tp = [torch.zeros(p.shape, dtype=torch.float64, requires_grad=True) for p in prob.params]
    topt = getattr(torch.optim, name)(tp, **kw)
    for p in tp:
        p.grad = torch.ones_like(p)
    topt.step()
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert set(ours["state"][0]) == set(theirs["state"][0])
    assert set(ours["param_groups"][0]) <= set(theirs["param_groups"][0])


def test_loaded_state_is_a_copy_cast_to_the_param_dtype():
    w = cr.tensor([1.0, 2.0], dtype=cr.float32, requires_grad=True)
    opt = cr.optim.Adam([w])
    sd = {"state": {"0": {"step": np.array(4), "exp_avg": np.array([1.0, 2.0]),
                          "exp_avg_sq": np.array([3.0, 4.0])}},
          "param_groups": [dict(cr.optim.Adam([w]).state_dict()["param_groups"][0], lr=0.5)]}
    opt.load_state_dict(sd)          # string keys, as after a round trip through a file
    st = opt.state[w]
    assert st["step"] == 4 and isinstance(st["step"], int)
    assert st["exp_avg"].dtype == np.float32
    assert not np.shares_memory(st["exp_avg"], sd["state"]["0"]["exp_avg"])
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"] == [w]


def _trained(cls=cr.optim.Adam, shapes=((2, 3), (3,)), **kw):
    params = [cr.tensor(np.ones(s), requires_grad=True) for s in shapes]
    opt = cls(params, **kw)
    for p in params:
        p.grad = cr.tensor(np.ones(p.shape))
    opt.step()
    return opt, params


def test_mismatched_number_of_params_is_reported():
    saved = _trained()[0].state_dict()
    opt, _ = _trained(shapes=((2, 3),))
    with pytest.raises(ValueError, match=r"group 0 has 2 parameter\(s\) in the state dict, 1 "
                                         "in this optimizer"):
        opt.load_state_dict(saved)


def test_mismatched_shapes_are_reported():
    saved = _trained()[0].state_dict()
    opt, _ = _trained(shapes=((3, 2), (3,)))
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(2, 3\), "
                                         r"but the parameter has shape \(3, 2\)"):
        opt.load_state_dict(saved)
    np.testing.assert_array_equal(opt.state_dict()["state"][0]["step"], 1)   # untouched


def test_mismatched_number_of_groups_is_reported():
    saved = _trained()[0].state_dict()
    a, b = (cr.tensor(np.ones(s), requires_grad=True) for s in ((2, 3), (3,)))
    opt = cr.optim.Adam([{"params": [a]}, {"params": [b]}])
    with pytest.raises(ValueError, match=r"the state dict has 1 parameter group\(s\), this "
                                         "optimizer has 2"):
        opt.load_state_dict(saved)


def test_a_state_dict_of_another_optimizer_is_reported():
    saved = _trained(cr.optim.SGD, lr=0.1, momentum=0.9)[0].state_dict()
    opt, _ = _trained()
    with pytest.raises(ValueError, match=r"lacks \['amsgrad', 'betas', .*different kind of "
                                         "optimizer"):
        opt.load_state_dict(saved)
    with pytest.raises(ValueError, match="expected a dict with 'state' and 'param_groups'"):
        opt.load_state_dict({"exp_avg": 1})


def test_adamw_stays_decoupled_after_loading_an_adam_state():
    saved = _trained(cr.optim.Adam)[0].state_dict()
    opt, _ = _trained(cr.optim.AdamW)
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_scheduler_and_optimizer_resume_together(cr_problem):
    from chainrule.optim.lr_scheduler import CosineAnnealingLR

    def run(split):
        prob = cr_problem()
        opt = cr.optim.SGD(prob.params, lr=0.1, momentum=0.9)
        sched = CosineAnnealingLR(opt, T_max=20, eta_min=0.01)
        for epoch in range(30):
            if epoch == split:
                o_sd, s_sd = opt.state_dict(), sched.state_dict()
                W, b = prob.W.data.copy(), prob.b.data.copy()
                prob = cr_problem()
                prob.W.data[...], prob.b.data[...] = W, b
                opt = cr.optim.SGD(prob.params, lr=0.1, momentum=0.9)
                sched = CosineAnnealingLR(opt, T_max=20, eta_min=0.01)
                sched.load_state_dict(s_sd)
                opt.load_state_dict(o_sd)
            prob.train(opt, 1)
            sched.step()
        return prob.W.data, sched.get_last_lr()

    W_straight, lr_straight = run(split=None)
    W_resumed, lr_resumed = run(split=12)
    np.testing.assert_array_equal(W_resumed, W_straight)
    assert lr_resumed == lr_straight


def test_state_dict_survives_cr_save_and_load(stateful_config, tmp_path):
    pytest.importorskip("safetensors", reason="cr.save writes safetensors files")
    name, kw = stateful_config
    cls = getattr(cr.optim, name)
    params = [cr.tensor(np.ones(s), requires_grad=True) for s in ((2, 3), (3,))]
    opt = cls(params, **kw)
    for p in params:
        p.grad = cr.tensor(np.linspace(-1, 1, p.data.size).reshape(p.shape))
    opt.step()
    cr.save({"optimizer": opt}, tmp_path / "opt.safetensors")
    fresh = cls(params, **kw)
    fresh.load_state_dict(cr.load(tmp_path / "opt.safetensors")["optimizer"])
    before, after = opt.state_dict(), fresh.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for idx, st in before["state"].items():
        for key, value in st.items():
            np.testing.assert_array_equal(after["state"][idx][key], value)
