"""lab/batching: batch, mini-batch and stochastic descent -- updates, noise, conclusion."""
import copy
import json

import numpy as np
import pytest

from chainrule.lab import batching as exp


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "batching"
    assert tiny.params == {"seed": 0, "epochs": 3, "minibatch_size": 32, "lr_batch": 1.0,
                           "lr_minibatch": 0.1, "lr_stochastic": 0.01, "width": 16}
    json.dumps(tiny.to_dict())
    runs = tiny.numbers["runs"]
    assert set(runs) == set(exp.KINDS)
    for r in runs.values():
        assert len(r["epoch_loss"]) == len(r["epoch_time"]) == 4     # the start and 3 epochs
        assert r["epoch_time"][0] == 0 and np.all(np.diff(r["epoch_time"]) > 0)
        assert len(r["step_loss"]) == 3 * r["updates_per_epoch"]
    assert tiny.conclusion


def test_updates_per_epoch_are_exact(tiny):
    # 455 training samples: 1 batch, ceil(455 / 32) = 15 mini-batches, 455 single samples.
    runs = tiny.numbers["runs"]
    assert tiny.numbers["n_train"] == 455
    assert [runs[k]["updates_per_epoch"] for k in exp.KINDS] == [1, 15, 455]


def test_all_three_start_from_the_same_loss(tiny):
    starts = {r["epoch_loss"][0] for r in tiny.numbers["runs"].values()}
    assert len(starts) == 1


def test_noise_measures():
    smooth = np.geomspace(1.0, 0.1, 100)
    assert exp.noise(smooth) == {"rising_fraction": 0.0,
                                 "relative_noise": pytest.approx(0, abs=5e-3), "window": 15}
    zigzag = 0.5 + 0.1 * (-1) ** np.arange(100)
    n = exp.noise(zigzag)
    assert n["rising_fraction"] == pytest.approx(49 / 99)     # every other step, from 0.4
    # A window of 15 centred on one value holds 7 of it (even offsets -6..6) and 8 of the
    # other: the residual is +-(0.1 + 0.1/15) around a trend whose mean is 0.5.
    assert n["relative_noise"] == pytest.approx((0.1 + 0.1 / 15) / 0.5, rel=1e-9)


def test_conclusion_follows_the_numbers(tiny):
    assert "1 update per epoch" in tiny.conclusion and "15 (batch 32" in tiny.conclusion
    n = copy.deepcopy(tiny.numbers)
    for k, v in zip(exp.KINDS, (0.0, 0.5, 3.0)):
        n["runs"][k]["relative_noise"] = v
    assert "The smaller the batch, the noisier" in exp.conclude(n)
    for k, v in zip(exp.KINDS, (0.0, 3.0, 0.5)):
        n["runs"][k]["relative_noise"] = v
    absent = exp.conclude(n)
    assert "did not show" in absent and "The smaller the batch" not in absent


def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"loss", "noise"}
    tiny.figures = figures
    pngs = [p for p in tiny.save(tmp_path) if p.suffix == ".png"]
    assert len(pngs) == 2 and all(p.stat().st_size > 1000 for p in pngs)
