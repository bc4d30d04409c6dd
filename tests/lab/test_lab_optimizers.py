"""lab/optimizers: SGD, momentum, RMSProp and Adam in the valley and on digits; the
conclusion from the numbers, and says "did not show" where an effect is absent."""
import copy
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.lab import optimizers as exp

LRS = dict(zip(exp.NAMES, (0.9, 0.3, 0.1, 0.3)))


@pytest.fixture(scope="module")
def tiny():
    return exp.run(**exp.TINY)


@pytest.fixture(scope="module")
def valley():
    return exp.run_valley(100.0, (-9.0, 1.5), 100, LRS)


@pytest.fixture(scope="module")
def network():
    return exp.run_network([0, 1], 40, dict(zip(exp.NAMES, (0.1, 0.1, 0.01, 0.001))),
                           batch_size=64, width=16, depth=2, every=10, progress=False)


def test_tiny_run_is_a_well_formed_result(tiny):
    assert tiny.name == exp.NAME == "optimizers"
    assert tiny.params == {"seed": 0, "seeds": 1, "ratio": 100.0, "start": [-9.0, 1.5],
                           "valley_steps": 30, "valley_lrs": [0.9, 0.3, 0.1, 0.3],
                           "net_steps": 30, "net_lrs": [0.1, 0.1, 0.01, 0.001],
                           "batch_size": 64, "width": 16, "depth": 2, "record_every": 5}
    json.dumps(tiny.to_dict())
    n = tiny.numbers
    assert set(n["valley"]["runs"]) == set(n["network"]["per_optimizer"]) == set(exp.NAMES)
    assert n["network"]["curve_steps"] == [0, 5, 10, 15, 20, 25, 30]
    assert set(n["valley"]["paths"]) == set(exp.NAMES)
    assert "\n\n" in tiny.conclusion and "updates each" in tiny.conclusion
    assert n["seeds"] == n["network"]["seeds"] == [0]
    assert n["thresholds"] == {"REACH": exp.REACH, "ZIGZAG": exp.ZIGZAG,
                               "SPEEDUP": exp.SPEEDUP, "NORMALISED": exp.NORMALISED,
                               "BETTER": exp.BETTER, "NET_TARGET": exp.NET_TARGET}
    assert "nothing in it is random, so it is run once, the same for every seed" in \
        tiny.conclusion
    assert "Thresholds: REACH = 0.001, ZIGZAG = 0.5, SPEEDUP = 2, NORMALISED = 5." in \
        tiny.conclusion
    assert "Thresholds: BETTER = 0.5, NET_TARGET = 0.1." in tiny.conclusion


def test_thresholds_are_read_back_from_the_numbers(tiny):
    n = copy.deepcopy(tiny.numbers)
    n["thresholds"].update(ZIGZAG=1.01, NORMALISED=1e9)
    text = exp.conclude(n)
    assert "SGD's zigzag did not show" in text and "ZIGZAG = 1.01" in text
    assert "Per-coordinate normalisation did not show" in text


def test_registered_after_learning_rate():
    names = cr.lab.names()
    assert names[names.index("learning-rate") + 1] == "optimizers"
    with pytest.raises(ValueError, match="net_lrs takes 4 values, got 3"):
        cr.lab.check("optimizers", {"net_lrs": (0.1, 0.1, 0.1)})
    with pytest.raises(ValueError, match="every value of valley_lrs must be a finite number "
                                         "> 0, got 0"):
        cr.lab.check("optimizers", {"valley_lrs": (0.9, 0.3, 0.0, 0.3)})


def test_the_valley_numbers(valley):
    runs = valley["runs"]
    assert valley["function"] == "x**2/100 + y**2" and valley["budget"] == 100
    assert [runs[n]["reach_step"] for n in exp.NAMES] == [None, 36, 56, 42]
    assert runs["sgd"]["zigzag"] == 1.0 and runs["rmsprop"]["zigzag"] == 0.0
    assert runs["sgd"]["final_x"] == pytest.approx(-1.4635, abs=1e-4)
    # the step ratio along / across: SGD follows the gradient's proportions
    assert runs["sgd"]["step_ratio"] == pytest.approx(0.124, abs=1e-3)
    assert runs["rmsprop"]["step_ratio"] == pytest.approx(2.95, abs=0.01)
    assert runs["adam"]["step_ratio"] == pytest.approx(1.40, abs=0.01)
    assert len(valley["paths"]["adam"]["x"]) == 101


def test_the_valley_conclusion_tells_the_story(valley):
    text = exp.conclude_valley(valley)
    assert ("f fell to 0.001 of its start in: SGD not within 100 (f = 0.0214 at the end); "
            "momentum 36; RMSProp 56; Adam 42.") in text
    assert "SGD zigzagged across the valley" in text and "It crawled along the floor" in text
    assert "Momentum sped along the valley: it got there in 36 steps, where SGD had not" in text
    assert "RMSProp and Adam normalise each coordinate's step" in text
    assert "did not show" not in text


def test_the_valley_conclusion_says_when_effects_are_absent(valley):
    v = copy.deepcopy(valley)
    runs = v["runs"]
    runs["sgd"].update(zigzag=0.1, reach_step=30)
    runs["momentum"]["reach_step"] = 25                 # not 2x sooner than 30
    for name in exp.ADAPTIVE:
        runs[name]["step_ratio"] = runs["sgd"]["step_ratio"] * 1.5
    text = exp.conclude_valley(v)
    assert "SGD's zigzag did not show" in text and "crawled" not in text
    assert "Momentum's speed-up did not show: it got there in 25 steps, SGD in 30" in text
    assert "Per-coordinate normalisation did not show" in text
    runs["momentum"]["reach_step"] = None
    runs["adam"]["step_ratio"] = runs["sgd"]["step_ratio"] * 10
    text = exp.conclude_valley(v)
    assert "did not reach 0.001 of f's start within 100 steps either" in text
    assert "Only Adam normalised each coordinate's step" in text
    assert "for RMSProp it did not show" in text


def test_the_network_numbers(network):
    per = network["per_optimizer"]
    for name in exp.NAMES:
        r = per[name]
        assert list(network["curves"][name]) == ["seed 0", "seed 1"]
        s = r["final_loss"]
        assert s["min"] <= s["mean"] <= s["max"] and s["min"] == min(r["final_loss_per_seed"])
        assert r["diverged_seeds"] == 0 and 0 < r["test_accuracy"]["mean"] <= 1
    # the same initial weights for every optimizer of one seed
    assert network["curve_steps"] == [0, 10, 20, 30, 40]
    starts = {name: [c[0] for c in network["curves"][name].values()] for name in exp.NAMES}
    assert all(v == starts["sgd"] for v in starts.values())
    assert starts["sgd"][0] != starts["sgd"][1]
    assert per["momentum"]["final_loss"]["mean"] < per["sgd"]["final_loss"]["mean"]


def test_the_network_conclusion_from_its_numbers(network):
    text = exp.conclude_network(network)
    assert text.startswith("On digits (MLP 64-16-16-10 ReLU, mini-batches of 64, 40 updates "
                           "each, lr SGD 0.1, momentum 0.1, RMSProp 0.01, Adam 0.001), the "
                           "final training loss, mean (range) over seeds 0-1: SGD ")
    n = copy.deepcopy(network)
    for name in exp.NAMES:                              # every optimizer exactly like SGD
        n["per_optimizer"][name] = copy.deepcopy(n["per_optimizer"]["sgd"])
        n["per_optimizer"][name]["lr"] = network["per_optimizer"][name]["lr"]
    text = exp.conclude_network(n)
    for label in ("Momentum", "RMSProp", "Adam"):
        assert (f"{label} ending clearly below SGD (under 0.5x its loss) did not show" in text)
    assert "in 0 of 2 seeds" in text
    # an effect in one seed of two is said to be so, not claimed
    m = n["per_optimizer"]["momentum"]
    m["final_loss_per_seed"] = [0.1 * n["per_optimizer"]["sgd"]["final_loss_per_seed"][0],
                                n["per_optimizer"]["sgd"]["final_loss_per_seed"][1]]
    m["final_loss"] = cr.lab.seeds.spread(m["final_loss_per_seed"])
    text = exp.conclude_network(n)
    assert "Momentum ended below 0.5x SGD's loss only in 1 of 2 seeds" in text
    assert "Lowest on average: momentum, but it was the lowest only in 1 of 2 seeds." in text
    r = n["per_optimizer"]["adam"]
    r["final_loss_per_seed"] = [float("nan"), 0.1]
    r["final_loss"] = {"mean": float("nan"), "min": float("nan"), "max": float("nan")}
    text = exp.conclude_network(n)
    assert "Adam NaN (a seed diverged)" in text


def test_the_default_network_result():
    """The README's numbers: the default network part, 3 seeds (about 8 s)."""
    n = exp.run_network([0, 1, 2], 300, dict(zip(exp.NAMES, (0.1, 0.1, 0.01, 0.001))),
                        batch_size=64, width=32, depth=2, every=10, progress=False)
    means = {k: v["final_loss"]["mean"] for k, v in n["per_optimizer"].items()}
    assert means["sgd"] == pytest.approx(0.050, abs=0.005)
    assert means["momentum"] < 0.1 * means["sgd"] and means["rmsprop"] < 0.1 * means["sgd"]
    assert means["adam"] > means["sgd"]            # Adam at 1e-3 is the slowest here
    text = exp.conclude_network(n)
    # momentum is the lowest in seed 0: the lowest on average is not the lowest in all
    assert "Lowest on average: RMSProp, but it was the lowest only in 2 of 3 seeds." in text
    assert "Momentum ended" in text and "below 0.5x SGD's in 3 of 3 seeds" in text
    assert "Adam ending clearly below SGD (under 0.5x its loss) did not show" in text


def test_plot(tiny, saved_png_sizes):
    figures = exp.plot(tiny)
    assert set(figures) == {"valley", "loss"}
    ax, bar = figures["valley"].axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [label.split(",")[0] for label in labels[:4]] == ["SGD", "momentum", "RMSProp",
                                                             "Adam"]
    assert labels[4:] == ["start", "end (the path's colour)"]
    assert (ax.get_xlabel(), ax.get_ylabel(), bar.get_ylabel()) == ("x", "y", "f(x, y)")
    loss_ax = figures["loss"].axes[0]
    assert loss_ax.get_yscale() == "log"
    lines = [line for line in loss_ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label().split(",")[0] for line in lines] == [
        "SGD", "momentum", "RMSProp", "Adam", "loss 0.1"]
    # each legend colour is its path's colour in the valley
    valley_colors = [line.get_color() for line in ax.get_lines()[:4]]
    assert [line.get_color() for line in lines[:4]] == valley_colors
    assert all(size > 10_000 for size in saved_png_sizes(figures).values())


def test_a_diverging_optimizer_is_recorded_and_drawn(saved_png_sizes):
    r = exp.run(seeds=2, valley_steps=10, net_steps=20, record_every=5, width=8,
                net_lrs=(1e4, 0.1, 0.01, 0.001))
    n = r.numbers["network"]
    sgd = n["per_optimizer"]["sgd"]
    assert sgd["diverged_seeds"] >= 1 and math.isnan(sgd["final_loss"]["mean"])
    assert any(len(c) == 5 and math.isnan(c[-1]) for c in n["curves"]["sgd"].values())
    assert "SGD NaN (a seed diverged)" in r.conclusion
    assert "Momentum ended lower than SGD" in r.conclusion
    figures = exp.plot(r)
    assert saved_png_sizes(figures)["loss"] > 10_000


def test_recorded_steps():
    assert exp.recorded_steps(30, 10) == [0, 10, 20, 30]
    assert exp.recorded_steps(25, 10) == [0, 10, 20, 25]


def test_conclude_reads_only_the_numbers(tiny):
    assert exp.conclude(json.loads(json.dumps(tiny.numbers))) == tiny.conclusion
    assert not math.isnan(tiny.numbers["network"]["per_optimizer"]["sgd"]["final_loss"]["mean"])
    assert np.isfinite(tiny.numbers["valley"]["runs"]["sgd"]["final_f"])
