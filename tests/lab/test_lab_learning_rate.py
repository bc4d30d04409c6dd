"""lab/learning-rate: the sweep over seeds, each rate's verdict from its own curve,
divergence detection and a conclusion that matches the numbers."""
import copy
import json

import numpy as np
import pytest
import threadpoolctl

from chainrule.lab import learning_rate as exp


@pytest.fixture(autouse=True)
def one_blas_thread():
    # Width-64 matmuls go multi-threaded in OpenBLAS, which on a busy 2-core machine runs
    # ~100x slower (measured: 20 s instead of 0.2 s for 200 steps); the sweeps do the same.
    with threadpoolctl.threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def tiny():
    with threadpoolctl.threadpool_limits(1):
        return exp.run(**exp.TINY)


def _verdicts_agree_with_the_ranking(n):
    """No false claim: each seed's best rate is neither too small nor diverged, and every
    too-small rate ended above that seed's best."""
    for i, best in enumerate(n["best_lr_per_seed"]):
        if best is None:
            continue
        d = n["per_lr"][repr(best)]
        assert d["verdict_per_seed"][i] not in ("too small", "diverged")
        for key, other in n["per_lr"].items():
            if other["verdict_per_seed"][i] == "too small":
                assert other["final_per_seed"][i] > d["final_per_seed"][i]


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "learning-rate"
    assert tiny.params == {"seed": 0, "seeds": 2, "lrs": [0.001, 1.0, 100.0], "steps": 40,
                           "width": 16, "activation": "tanh"}
    json.dumps(tiny.to_dict())
    n = tiny.numbers
    assert n["seeds"] == [0, 1] and n["parameters"] == 30 * 16 + 16 + 16 * 16 + 16 + 17
    assert set(n["thresholds"]) == set(exp.THRESHOLDS)
    assert set(n["verdict"]) == {"0.001", "1.0", "100.0"}
    for d in n["per_lr"].values():
        assert len(d["loss_per_seed"]) == len(d["verdict_per_seed"]) == 2
        assert all(len(c) == 41 for c in d["loss_per_seed"])   # before each step, and after
        assert set(d["final"]) == {"mean", "min", "max"}
    assert "Thresholds: BLOWUP = 10" in tiny.conclusion


def test_tiny_sweep_shows_the_three_regimes(tiny):
    n = tiny.numbers
    assert n["verdict"] == {"0.001": "too small", "1.0": "good", "100.0": "diverged"}
    assert n["best_lr"] == 1.0 and n["best_lr_per_seed"] == [1.0, 1.0]
    assert "All three regimes show in both seeds" in tiny.conclusion
    assert "lr 0.001 was too small in both seeds" in tiny.conclusion
    _verdicts_agree_with_the_ranking(n)


def test_classify_each_regime():
    steps = 10
    good = np.geomspace(1.0, 0.01, steps + 1)
    crawl = np.linspace(1.0, 0.8, steps + 1)      # the last 2 of 10 steps: 20% of the fall
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
    assert out["per_lr"]["0.01"]["tail_share"] == pytest.approx(0.2)
    assert out["per_lr"]["0.1"]["tail_share"] < exp.TAIL_SHARE
    assert out["best_lr"] == 0.1


def test_the_best_rate_is_never_too_small_but_said_to_be_still_falling():
    crawl = list(np.linspace(1.0, 0.8, 11))
    slower = list(np.linspace(1.0, 0.9, 11))
    out = exp.classify({"0.01": {"loss": crawl}, "0.001": {"loss": slower}}, 10)
    assert out["best_lr"] == 0.01
    assert out["per_lr"]["0.01"]["verdict"] == "good"
    assert out["per_lr"]["0.01"]["still_falling"]
    assert out["per_lr"]["0.001"]["verdict"] == "too small"


def test_non_finite_loss_is_diverged():
    curves = {"1.0": {"loss": [1.0, 0.5, 0.2], "non_finite": False},
              "1000.0": {"loss": [1.0, 1e30, float("inf")], "non_finite": True}}
    out = exp.classify(curves, 2)
    assert out["per_lr"]["1000.0"]["verdict"] == "diverged"
    assert out["best_lr"] == 1.0


def test_fit_raising_non_finite_is_caught():
    # A rate this large overflows float32 in a couple of steps for a ReLU network.
    r = exp.run(lrs=(1e4,), steps=10, activation="relu", seeds=2)
    assert r.numbers["verdict"] == {"10000.0": "diverged"}
    assert all(k is not None for k in r.numbers["per_lr"]["10000.0"]["non_finite_step_per_seed"])
    assert r.numbers["best_lr"] is None
    assert "Every rate diverged" in r.conclusion
    json.dumps(r.to_dict())


def test_issue_seed_3_best_rate_unstable_yet_lowest_is_explained():
    # `chainrule lab learning-rate --seed 3`: lr 10 spikes (4.3x its start) and ends lowest.
    r = exp.run(seed=3, seeds=2, lrs=(0.001, 1.0, 10.0, 100.0))
    n = r.numbers
    _verdicts_agree_with_the_ranking(n)
    assert n["best_lr_per_seed"][0] == 10.0
    assert n["per_lr"]["10.0"]["verdict_per_seed"][0] == "unstable"
    assert "The seed's best rate was unstable" in r.conclusion
    assert "yet recovered" in r.conclusion


def test_issue_width_64_seed_2_slow_rate_is_too_small():
    # `chainrule lab learning-rate --width 64 --seed 2`: lr 0.001 used to be called "good".
    r = exp.run(seed=2, seeds=1, width=64, lrs=(0.001, 1.0, 10.0), steps=100)
    n = r.numbers
    _verdicts_agree_with_the_ranking(n)
    assert n["verdict"]["0.001"] == "too small"
    assert n["per_lr"]["0.001"]["tail_share_per_seed"][0] > exp.TAIL_SHARE
    assert "lr 0.001 was too small in this seed" in r.conclusion
    assert "lr 0.001 was good" not in r.conclusion


def test_mixed_verdicts_are_counted_over_seeds(tiny):
    n = copy.deepcopy(tiny.numbers)
    n["per_lr"]["100.0"]["verdict_per_seed"] = ["diverged", "unstable"]
    text = exp.conclude(n)
    assert "lr 100 diverged in 1 of 2 seeds" in text and "unstable in 1 of 2 seeds" in text


def test_conclusion_says_when_a_regime_did_not_show(tiny):
    n = copy.deepcopy(tiny.numbers)
    n["per_lr"]["100.0"]["verdict_per_seed"] = ["good", "good"]
    n["per_lr"]["100.0"]["verdict"] = "good"
    text = exp.conclude(n)
    assert "Not every regime showed" in text
    assert "a too-large one (unstable or diverged) in neither seed" in text
    assert "All three regimes show" not in text


def test_thresholds_are_read_back_from_the_numbers(tiny):
    n = copy.deepcopy(tiny.numbers)
    n["thresholds"]["TAIL_SHARE"] = 0.5
    assert "TAIL_SHARE = 0.5" in exp.conclude(n)


def test_plot_saves_png(tiny, tmp_path):
    figures = exp.plot(tiny)
    assert set(figures) == {"loss"}
    tiny.figures = figures
    pngs = [p for p in tiny.save(tmp_path) if p.suffix == ".png"]
    assert len(pngs) == 1 and pngs[0].stat().st_size > 1000
    figures["loss"].savefig("/tmp/h34/learning-rate-loss.png")
