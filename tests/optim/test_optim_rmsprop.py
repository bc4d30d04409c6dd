"""RMSprop against torch.optim.RMSprop, step by step."""
import numpy as np
import pytest

import chainrule as cr

CONFIGS = [
    dict(),
    dict(lr=0.05, alpha=0.9),
    dict(lr=0.01, eps=1e-3, weight_decay=0.05),
    dict(lr=0.01, centered=True),
    dict(lr=0.005, momentum=0.9),
    dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01),
]


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_rmsprop_matches_torch_least_squares(match_torch, kw):
    match_torch("RMSprop", **kw)


@pytest.mark.parametrize("kw", [dict(lr=0.02), dict(lr=0.01, momentum=0.9, centered=True)],
                         ids=str)
def test_rmsprop_matches_torch_logistic(match_torch, kw):
    match_torch("RMSprop", problem="logistic", **kw)


def test_rmsprop_state_holds_only_what_the_options_need():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    for kw, keys in [(dict(), {"step", "square_avg"}),
                     (dict(centered=True), {"step", "square_avg", "grad_avg"}),
                     (dict(momentum=0.9), {"step", "square_avg", "momentum_buffer"})]:
        opt = cr.optim.RMSprop([w], **kw)
        (w * w).sum().backward()
        opt.step()
        opt.zero_grad()
        assert set(opt.state[w]) == keys
        assert opt.state[w]["step"] == 1


def test_rmsprop_first_step_moves_by_lr_over_sqrt_one_minus_alpha():
    # v_1 = (1 - alpha) g^2, so the first step is lr * sign(g) / sqrt(1 - alpha)
    w = cr.tensor([3.0, -0.5], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.RMSprop([w], lr=0.01, alpha=0.99, eps=0.0)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [3.0 - 0.1, -0.5 + 0.1])


@pytest.mark.parametrize("kw", [dict(), dict(alpha=0.5, eps=1e-3, weight_decay=0.1),
                                dict(momentum=0.9, centered=True, weight_decay=0.1)], ids=str)
def test_rmsprop_update_rule_matches_torch_on_identical_gradients(match_torch_on_gradients, kw):
    # The least-squares comparisons avoid RMSprop's unstable regime (small alpha, gradients
    # near 0), where the last-bit differences between the two autograds grow ~3x a step;
    # with the same gradients the two rules agree to rounding in every regime.
    match_torch_on_gradients("RMSprop", **kw)


def test_centered_rmsprop_survives_a_constant_gradient():
    # v - g_ave^2 -> 0 as alpha^t; rounding must not make it negative and the step NaN
    g = np.random.default_rng(0).normal(size=100).astype(np.float32)
    w = cr.tensor(np.zeros(100), dtype=cr.float32, requires_grad=True)
    opt = cr.optim.RMSprop([w], lr=1e-9, alpha=0.5, centered=True)
    for _ in range(100):
        w.grad = cr.tensor(g)
        opt.step()
    assert np.isfinite(w.data).all()
