"""lab/learning-rate: the sweep, its verdicts, divergence detection and the conclusion."""
import copy
import json

import numpy as np
import pytest

from chainrule.lab import learning_rate as exp


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "learning-rate"
    assert tiny.params == {"seed": 0, "lrs": [0.001, 1.0, 100.0], "steps": 40, "width": 16,
                           "activation": "tanh"}
    json.dumps(tiny.to_dict())
    n = tiny.numbers
    assert {"lrs", "steps", "curves", "final_loss", "verdict", "best_lr"} <= set(n)
    assert set(n["verdict"]) == {"0.001", "1.0", "100.0"}
    assert all(len(c) == 41 for c in n["curves"].values())   # before each step, and after
    assert tiny.conclusion


def test_tiny_sweep_shows_the_three_regimes(tiny):
    assert tiny.numbers["verdict"] == {"0.001": "too small", "1.0": "good",
                                       "100.0": "diverged"}
    assert tiny.numbers["best_lr"] == 1.0
    assert "All three regimes show" in tiny.conclusion


def test_classify_each_regime():
    steps = 10
    good = np.geomspace(1.0, 0.01, steps + 1)
    crawl = np.linspace(1.0, 0.8, steps + 1)              # the good rate is there at step 1
    wobble = 2 * good * np.where(np.arange(steps + 1) % 2, 1.3, 1.0)
    wobble[0] = 1.0
    blown = np.r_[1.0, 50.0, 30.0, np.full(steps - 2, 0.9)]  # blew up, never recovered
    above = np.linspace(1.0, 1.2, steps + 1)
    curves = {"0.01": crawl, "0.1": good, "1.0": wobble, "10.0": blown, "100.0": above}
    out = exp.classify({k: {"loss": list(v), "non_finite": False} for k, v in curves.items()},
                       steps)
    verdict = {k: v["verdict"] for k, v in out["per_lr"].items()}
    assert verdict == {"0.01": "too small", "0.1": "good", "1.0": "unstable",
                       "10.0": "diverged", "100.0": "diverged"}
    assert out["per_lr"]["0.01"]["best_reached_this_at"] == 1
    assert out["best_lr"] == 0.1


def test_non_finite_loss_is_diverged():
    curves = {"1.0": {"loss": [1.0, 0.5, 0.2], "non_finite": False},
              "1000.0": {"loss": [1.0, 1e30, float("inf")], "non_finite": True}}
    out = exp.classify(curves, 2)
    assert out["per_lr"]["1000.0"]["verdict"] == "diverged"
    assert out["best_lr"] == 1.0


def test_fit_raising_non_finite_is_caught():
    # A rate this large overflows float32 in a couple of steps for a ReLU network.
    r = exp.run(lrs=(1e4,), steps=10, activation="relu")
    assert r.numbers["verdict"] == {"10000.0": "diverged"}
    assert r.numbers["non_finite_step"]["10000.0"] is not None
    assert r.numbers["best_lr"] is None
    assert "Every rate diverged" in r.conclusion
    json.dumps(r.to_dict())


def test_conclusion_says_when_a_regime_is_missing(tiny):
    n = copy.deepcopy(tiny.numbers)
    n["details"]["100.0"]["verdict"] = n["verdict"]["100.0"] = "good"
    text = exp.conclude(n)
    assert "Not every regime showed" in text and "too large" in text
    assert "All three regimes show" not in text


def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"loss"}
    tiny.figures = figures
    pngs = [p for p in tiny.save(tmp_path) if p.suffix == ".png"]
    assert len(pngs) == 1 and pngs[0].stat().st_size > 1000
