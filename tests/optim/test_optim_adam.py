"""Adam and AdamW against torch.optim.Adam and torch.optim.AdamW, step by step."""
import numpy as np
import pytest

import chainrule as cr

ADAM_CONFIGS = [
    dict(lr=0.05),
    dict(lr=0.05, betas=(0.8, 0.99)),
    dict(lr=0.05, eps=1e-2),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, amsgrad=True),
    dict(lr=0.05, amsgrad=True, weight_decay=0.05, betas=(0.5, 0.9)),
]
ADAMW_CONFIGS = [
    dict(lr=0.05),
    dict(lr=0.05, weight_decay=0.3),
    dict(lr=0.05, weight_decay=0.1, amsgrad=True, betas=(0.8, 0.99)),
]


def test_adam_default_lr_matches_torch(match_torch):
    match_torch("Adam", problem="logistic", steps=100)


@pytest.mark.parametrize("kw", ADAM_CONFIGS, ids=str)
def test_adam_matches_torch_least_squares(match_torch, kw):
    match_torch("Adam", **kw)


@pytest.mark.parametrize("kw", ADAMW_CONFIGS, ids=str)
def test_adamw_matches_torch_least_squares(match_torch, kw):
    match_torch("AdamW", **kw)


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=0.1, amsgrad=True)),
                                     ("AdamW", dict(lr=0.1, weight_decay=0.1))], ids=str)
def test_adam_matches_torch_logistic(match_torch, name, kw):
    match_torch(name, problem="logistic", **kw)


def test_adam_first_step_moves_each_entry_by_lr():
    # bias correction makes m_hat = g and v_hat = g^2 on step 1: the step is lr * sign(g)
    w = cr.tensor([3.0, -0.5, 1e-3], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.Adam([w], lr=0.1, eps=0.0)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [2.9, -0.4, 1e-3 - 0.1])


def test_adamw_decay_is_decoupled_from_the_gradient():
    # with a zero gradient Adam's step is 0, so AdamW only shrinks: w * (1 - lr * wd)
    w = cr.tensor([2.0, -4.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    w.grad = cr.tensor([0.0, 0.0], dtype=cr.float64)
    opt.step()
    np.testing.assert_allclose(w.data, [2.0 * 0.95, -4.0 * 0.95])
    # Adam's coupled decay adds lambda * w to the gradient instead: a full lr step
    v = cr.tensor([2.0, -4.0], dtype=cr.float64, requires_grad=True)
    adam = cr.optim.Adam([v], lr=0.1, weight_decay=0.5)
    v.grad = cr.tensor([0.0, 0.0], dtype=cr.float64)
    adam.step()
    np.testing.assert_allclose(v.data, [1.9, -3.9])


def test_adamw_is_adam_with_decoupled_decay():
    w = cr.tensor([1.0], requires_grad=True)
    opt = cr.optim.AdamW([w])
    assert isinstance(opt, cr.optim.Adam)
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True
    assert cr.optim.Adam([w]).param_groups[0]["decoupled_weight_decay"] is False


def test_amsgrad_keeps_the_running_maximum():
    w = cr.tensor([1.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.Adam([w], lr=0.0, betas=(0.0, 0.5), amsgrad=True)
    for g in (4.0, 0.0, 0.0):
        w.grad = cr.tensor([g], dtype=cr.float64)
        opt.step()
    s = opt.state[w]
    np.testing.assert_allclose(s["exp_avg_sq"], [2.0])          # 8 -> 4 -> 2
    np.testing.assert_allclose(s["max_exp_avg_sq"], [8.0])      # max(8, 4, 2)
    assert s["step"] == 3


@pytest.mark.parametrize("name,kw", [("Adam", dict(lr=0.01)),
                                     ("Adam", dict(betas=(0.5, 0.9), weight_decay=0.1,
                                                   amsgrad=True, eps=1e-4)),
                                     ("AdamW", dict(lr=0.01, weight_decay=0.2, amsgrad=True))],
                         ids=str)
def test_adam_update_rule_matches_torch_on_identical_gradients(match_torch_on_gradients,
                                                               name, kw):
    # the 0-d parameter skips every third step, so its bias correction uses its own count
    match_torch_on_gradients(name, **kw)
