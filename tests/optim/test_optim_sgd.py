"""SGD against torch.optim.SGD, step by step."""
import numpy as np
import pytest

import chainrule as cr

CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.8, dampening=0.3),
    dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_sgd_matches_torch_least_squares(match_torch, kw):
    match_torch("SGD", **kw)


@pytest.mark.parametrize("kw", [dict(lr=0.5), dict(lr=0.3, momentum=0.9, nesterov=True,
                                                    weight_decay=0.01)], ids=str)
def test_sgd_matches_torch_logistic(match_torch, kw):
    match_torch("SGD", problem="logistic", **kw)


def test_sgd_first_momentum_step_is_the_gradient():
    # the buffer starts as the first gradient itself, undampened (PyTorch's rule)
    w = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.8, -1.6])
    np.testing.assert_allclose(opt.state[w]["momentum_buffer"], [2.0, -4.0])
    opt.step()   # the same gradient again: b = 0.9 b + 0.5 g = [2.8, -5.6]
    np.testing.assert_allclose(w.data, [0.8 - 0.28, -1.6 + 0.56])


def test_sgd_without_momentum_keeps_no_state():
    w = cr.tensor([1.0], requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert opt.state_dict()["state"] == {0: {}}
    assert opt.state[w] == {}


def test_sgd_does_not_touch_the_gradient():
    w = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)
    (w * w).sum().backward()
    before = w.grad.data.copy()
    opt.step()
    opt.step()
    np.testing.assert_array_equal(w.grad.data, before)


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.05, momentum=0.9, dampening=0.2,
                                                    weight_decay=0.1),
                                dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)],
                         ids=str)
def test_sgd_update_rule_matches_torch_on_identical_gradients(match_torch_on_gradients, kw):
    match_torch_on_gradients("SGD", **kw)
