"""lab/degradation: plain vs residual MLPs of growing depth -- result, model, conclusion."""
import copy
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.lab import degradation as exp


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "degradation"
    assert tiny.params == {"seed": 0, "seeds": 1, "depths": [3, 6], "width": 16, "epochs": 2,
                           "batch_size": 256, "lr": 1e-3, "scale_branches": True}
    json.dumps(tiny.to_dict())
    n = tiny.numbers
    assert {"depths", "runs", "table", "width", "epochs", "seeds"} <= set(n)
    assert len(n["table"]) == 4
    for kind in exp.KINDS:
        for d in ("3", "6"):
            r = n["runs"][kind][d]
            assert len(r["curves"]) == 1 and len(r["curves"][0]) == 2
            assert np.isfinite(r["final_train_loss"]) and 0 <= r["test_accuracy"] <= 1
    assert tiny.conclusion


def test_plain_and_residual_start_from_the_same_weights():
    cr.manual_seed(3)
    plain = exp.build(4, 8, residual=False, scale_branches=False)
    cr.manual_seed(3)
    res = exp.build(4, 8, residual=True, scale_branches=False)
    p = [t.data for t in plain.parameters()]
    r = [t.data for t in res.parameters()]
    assert len(p) == len(r) and all(np.array_equal(a, b) for a, b in zip(p, r))


def test_branch_scaling_divides_each_block_by_the_number_of_blocks():
    cr.manual_seed(0)
    raw = exp.build(5, 8, residual=True, scale_branches=False)
    cr.manual_seed(0)
    scaled = exp.build(5, 8, residual=True, scale_branches=True)
    blocks = [m for m in scaled.modules() if isinstance(m, nn.Residual)]
    assert len(blocks) == 4
    for (name, a), (_, b) in zip(raw.named_parameters(), scaled.named_parameters()):
        if ".block." in name and name.endswith("weight"):
            np.testing.assert_array_equal(b.data, a.data * np.float32(0.25))
        else:
            np.testing.assert_array_equal(b.data, a.data)


def test_unscaled_residual_relu_mlp_explodes_at_init():
    X = cr.datasets.digits(split=True)[0][:256]
    cr.manual_seed(0)
    raw = exp._output_std(exp.build(20, 32, residual=True, scale_branches=False), X)
    cr.manual_seed(0)
    scaled = exp._output_std(exp.build(20, 32, residual=True, scale_branches=True), X)
    assert raw > 1e3 and scaled < 10


def _numbers(plain, residual, depths=(20, 56), seeds=1):
    def entry(v):
        return {"final_train_loss": v, "test_accuracy": 0.9, "diverged": v != v,
                "final_train_loss_per_seed": [v] * seeds, "test_accuracy_per_seed": [0.9],
                "curves": [[1.0, v]], "init_output_std": [1.0], "seconds": [0.1]}
    return {"dataset": "digits", "depths": list(depths), "width": 32, "epochs": 30,
            "seeds": seeds, "table": [],
            "runs": {"plain": {str(d): entry(v) for d, v in zip(depths, plain)},
                     "residual": {str(d): entry(v) for d, v in zip(depths, residual)}}}


def test_conclusion_follows_the_numbers():
    shows = exp.conclude(_numbers([0.05, 0.9], [0.01, 0.02]))
    assert "degradation problem shows" in shows and "skip connections remove it" in shows
    assert "rises from 0.05 at depth 20 to 0.9 at depth 56" in shows
    absent = exp.conclude(_numbers([0.05, 0.06], [0.01, 0.02]))
    assert "did not show" in absent and "shows:" not in absent
    both = exp.conclude(_numbers([0.05, 0.9], [0.01, 0.8]))
    assert "did not remove" in both
    diverged = exp.conclude(_numbers([0.05, float("nan")], [0.01, 0.02]))
    assert "diverged" in diverged and "degradation problem shows" in diverged
    seeds = exp.conclude(_numbers([0.05, 0.9], [0.01, 0.02], seeds=3))
    assert "median of 3 seeds" in seeds and "in 3 of 3 plain and 0 of 3 residual" in seeds


def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"curves"}
    tiny.figures = figures
    pngs = [p for p in tiny.save(tmp_path) if p.suffix == ".png"]
    assert len(pngs) == 1 and pngs[0].stat().st_size > 1000


def test_plot_copes_with_a_diverged_run(tiny):
    n = copy.deepcopy(tiny.numbers)
    r = n["runs"]["residual"]["6"]
    r.update(final_train_loss=float("nan"), diverged=True, curves=[[float("nan")]],
             final_train_loss_per_seed=[float("nan")])
    result = exp.Result(name=exp.NAME, params=tiny.params, numbers=n,
                        conclusion=exp.conclude(n))
    assert "diverged" in result.conclusion
    assert set(exp.plot(result)) == {"curves"}
