"""Learning-rate schedules against torch.optim.lr_scheduler."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR


def two_group_sgd(module, lrs=(0.1, 0.03)):
    tensor = cr.tensor if module is cr else module.tensor
    groups = [{"params": [tensor([1.0], requires_grad=True)], "lr": lr} for lr in lrs]
    return module.optim.SGD(groups, lr=1.0)


def lr_sequence(module, name, epochs, **kw):
    opt = two_group_sgd(module)
    sched = getattr(module.optim.lr_scheduler, name)(opt, **kw)
    seq = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        seq.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == seq[-1]
    return np.array(seq)


@pytest.mark.parametrize("name,kw", [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=1, gamma=0.5)),
    ("StepLR", dict(step_size=7, gamma=0.9)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.01)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.05)),   # eta_min above one group's lr
], ids=str)
def test_lr_sequence_matches_torch(name, kw):
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests")
    ours = lr_sequence(cr, name, 30, **kw)
    theirs = lr_sequence(torch, name, 30, **kw)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_step_lr_closed_form():
    seq = lr_sequence(cr, "StepLR", 6, step_size=2, gamma=0.5)[:, 0]
    np.testing.assert_allclose(seq, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125])


def test_cosine_reaches_eta_min_at_t_max_and_climbs_after():
    seq = lr_sequence(cr, "CosineAnnealingLR", 8, T_max=4, eta_min=0.02)[:, 0]
    expected = [0.02 + 0.08 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    np.testing.assert_allclose(seq, expected, rtol=1e-14)
    assert seq[4] == pytest.approx(0.02) and seq[8] == pytest.approx(0.1)


def test_scheduler_records_initial_lr_and_state_dict_round_trips():
    opt = two_group_sgd(cr)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.03]
    for _ in range(3):
        opt.step()
        sched.step()
    sd = sched.state_dict()
    assert "optimizer" not in sd and sd["last_epoch"] == 3

    opt2 = two_group_sgd(cr)
    sched2 = StepLR(opt2, step_size=2, gamma=0.5)
    sched2.load_state_dict(sd)
    for s in (sched, sched2):
        s.step()
    assert sched2.get_last_lr() == sched.get_last_lr() == [0.025, 0.0075]
    with pytest.raises(ValueError, match="unexpected keys"):
        sched2.load_state_dict({"T_max": 3})


def test_resuming_with_last_epoch_needs_initial_lr():
    opt = two_group_sgd(cr)
    with pytest.raises(ValueError, match="has no 'initial_lr'"):
        ExponentialLR(opt, gamma=0.5, last_epoch=4)
    ExponentialLR(opt, gamma=0.5)
    sched = ExponentialLR(opt, gamma=0.5, last_epoch=4)       # resumes at epoch 5
    assert sched.get_last_lr() == pytest.approx([0.1 / 32, 0.03 / 32])


def test_scheduler_arguments_are_validated():
    opt = two_group_sgd(cr)
    with pytest.raises(ValueError, match="StepLR: step_size must be a positive int, got 0"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be > 0, got 0"):
        CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="ExponentialLR: gamma must be >= 0.0, got -0.5"):
        ExponentialLR(opt, gamma=-0.5)
    with pytest.raises(TypeError, match="expected a chainrule optimizer, got dict"):
        StepLR({"lr": 0.1}, step_size=2)


def test_schedulers_are_reachable_from_cr_optim():
    assert cr.optim.StepLR is StepLR
    assert cr.optim.lr_scheduler.CosineAnnealingLR is CosineAnnealingLR
