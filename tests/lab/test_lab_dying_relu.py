"""dying-relu: a tiny run is well formed, dead ReLU units get exactly no gradient, the
conclusion follows the numbers in every seed (and says when an effect did not show), the
issue's commands at a small size print nothing their numbers contradict, figures save."""
from __future__ import annotations

import copy
import json
import math

import pytest

from chainrule.lab import dying_relu as exp
from chainrule.lab.result import Result

SMALL = {"seeds": 2, "epochs": 4, "width": 16}   # the issue's commands, cut down


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def assert_matches_numbers(r: Result) -> None:
    """Every claim of the conclusion is made exactly when its per-seed numbers hold it."""
    n, text = r.numbers, r.conclusion
    st, th = n["settings"], n["thresholds"]
    relu, relu_ok = st["relu/large"], st["relu/normal"]
    leaky = st["leaky_relu/large"]
    killed = [a - b >= th["KILLED"] for a, b in zip(relu["dead_per_seed"],
                                                     relu_ok["dead_per_seed"])]
    assert ("the dying ReLU shows" in text) == all(killed)
    assert ("The dying ReLU did not show" in text) == (not any(killed))
    kept = [lk <= th["TRAINABLE"] and rl - lk >= th["KEPT"]
            for lk, rl in zip(leaky["no_gradient_per_seed"], relu["no_gradient_per_seed"])]
    assert ("the leaky slope keeps a gradient flowing to them" in text) == all(kept)
    assert ("Leaky ReLU's advantage did not show" in text) == (not any(kept))
    if any(math.isfinite(v) for v in relu["dead_peak_per_seed"]):
        came_back = [f >= th["RECOVERED"] for f in relu["dead_fall_per_seed"]]
        assert ("did not only grow" in text) == all(came_back)
        assert ("did not come back" in text) == (not any(came_back))
    gain = [a - b >= th["COST"] for a, b in zip(leaky["test_accuracy_per_seed"],
                                                 relu["test_accuracy_per_seed"])]
    assert ("Leaky ReLU learns better" in text) == all(gain)
    assert ("Leaky ReLU's advantage in what the network learns did not show" in text) == \
        (not all(gain))
    cost = [b - a >= th["COST"] for a, b in zip(relu["test_accuracy_per_seed"],
                                                 relu_ok["test_accuracy_per_seed"])]
    assert ("The large learning rate cost ReLU accuracy" in text) == all(cost)
    assert "Thresholds: KILLED = 0.1, RECOVERED = 0.05, TRAINABLE = 0.05" in text
    assert "Seeds " + ", ".join(map(str, n["seeds"])) in text
    opt = {"adam": "Adam", "sgd": "SGD"}[n["budget"]["optimizer"]]
    assert f"{n['budget']['epochs']} epochs of {opt}" in text
    assert "for good" not in exp.TITLE


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "dying-relu"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["seed"] == 0 and d["params"]["seeds"] == 2
    assert "repeats" not in d["params"] and d["numbers"]["seeds"] == [0, 1]
    assert d["numbers"]["thresholds"] == exp.THRESHOLDS
    assert d["numbers"]["budget"]["parameters"] == 30 * 8 + 8 + 3 * (8 * 8 + 8) + 9
    assert set(d["numbers"]["settings"]) == set(exp.SETTINGS)
    for s in d["numbers"]["settings"].values():
        assert [r["seed"] for r in s["runs"]] == [0, 1]
        for key in ("dead", "dead_peak", "dead_fall", "no_gradient", "saturated",
                    "dead_init", "test_accuracy"):
            assert set(s[key]) == {"mean", "min", "max"} and len(s[f"{key}_per_seed"]) == 2
            assert s[key]["min"] <= s[key]["mean"] <= s[key]["max"]
        assert len(s["dead_per_epoch"]) == exp.TINY["epochs"]
        assert len(s["dead_per_epoch_per_seed"]) == 2
        assert len(s["dead_per_layer"]) == 4                  # depth hidden layers
    assert result.conclusion and result.seconds > 0
    assert_matches_numbers(result)


def test_the_fall_over_the_epochs_is_read_from_the_epochs(result):
    for s in result.numbers["settings"].values():
        for r in s["runs"]:
            curve = [r["dead_init"]] + r["dead_per_epoch"]
            assert r["dead_peak"] == max(r["dead_per_epoch"])
            assert r["dead_fall"] == pytest.approx(max(
                max(curve[:i + 1]) - v for i, v in enumerate(curve)))
    assert exp._largest_fall([0.1, 0.5, 0.3, 0.6, 0.55]) == pytest.approx(0.2)
    assert exp._largest_fall([0.1, 0.2, 0.2]) == 0.0


def test_dead_relu_units_get_exactly_no_gradient(result):
    for key, s in result.numbers["settings"].items():
        for r in s["runs"]:
            if r["diverged"]:
                continue
            if key.startswith("relu"):
                assert r["no_gradient"] >= r["dead"]     # every dead unit, maybe more
            else:
                assert r["no_gradient"] == 0.0           # the leaky slope always passes some


@pytest.mark.parametrize("flags", [{"large_lr": 0.3, "seed": 5}, {"large_lr": 0.03}],
                         ids=["large-lr-0.3-seed-5", "large-lr-0.03"])
def test_issue_commands_conclude_what_their_numbers_show(flags):
    r = exp.run(**SMALL, **flags)
    assert r.numbers["seeds"] == [flags.get("seed", 0), flags.get("seed", 0) + 1]
    assert_matches_numbers(r)


def _set(s: dict, key: str, values: list) -> None:
    s[f"{key}_per_seed"] = list(values)
    s[key] = {"mean": sum(values) / len(values), "min": min(values), "max": max(values)}


def test_conclusion_says_did_not_show(result):
    """ReLU and Leaky ReLU alike, the large rate no worse than the normal one (the
    issue's --large-lr 0.03): nothing is claimed."""
    n = copy.deepcopy(result.numbers)
    st = n["settings"]
    for s in st.values():
        _set(s, "dead", [0.03, 0.04])
        _set(s, "dead_peak", [0.04, 0.04])
        _set(s, "dead_fall", [0.0, 0.01])
        _set(s, "no_gradient", [0.03, 0.04])
        _set(s, "test_accuracy", [0.95, 0.96])
    text = exp.conclude(n)
    assert "The dying ReLU did not show" in text
    assert "Leaky ReLU's advantage did not show" in text
    assert "did not come back" in text
    assert "A cost in accuracy did not show in every seed" in text
    assert "Leaky ReLU's advantage in what the network learns did not show" in text
    assert "kills ReLU units" not in text and "keeps a gradient" not in text


def test_conclusion_claims_only_what_every_seed_shows(result):
    n = copy.deepcopy(result.numbers)
    st = n["settings"]
    _set(st["relu/large"], "dead", [0.6, 0.5])
    _set(st["relu/normal"], "dead", [0.03, 0.45])           # seed 2: no dying
    _set(st["relu/large"], "no_gradient", [0.6, 1.0])
    _set(st["leaky_relu/large"], "no_gradient", [0.0, 1.0])  # the issue's 100% Leaky run
    _set(st["leaky_relu/large"], "saturated", [0.0, 1.0])
    _set(st["relu/large"], "dead_peak", [0.7, 0.5])
    _set(st["relu/large"], "dead_fall", [0.2, 0.0])
    text = exp.conclude(n)
    assert "The dying ReLU showed only in 1 of 2 seeds" in text
    assert "keeps a gradient flowing to them" not in text
    assert "kept a gradient flowing to Leaky ReLU's units only in 1 of 2 seeds" in text
    assert "exactly 0 on 50% (0% to 100%) of the training samples" in text
    assert "fell by 5% or more below an earlier value only in 1 of 2 seeds" in text

    _set(st["relu/normal"], "dead", [0.03, 0.05])
    _set(st["leaky_relu/large"], "no_gradient", [0.0, 0.0])
    _set(st["relu/large"], "dead_fall", [0.2, 0.1])
    text = exp.conclude(n)
    assert "A large learning rate kills ReLU units in both seeds" in text
    assert "the dying ReLU shows" in text and "keeps a gradient flowing to them" in text
    assert "did not only grow" in text and "fired again" in text
    assert "80% (60% to 100%)" in text                       # ReLU's no-gradient spread


def test_thresholds_are_read_from_the_numbers(result):
    n = copy.deepcopy(result.numbers)
    n["thresholds"]["KILLED"] = 2.0                        # no fraction rises by 200%
    text = exp.conclude(n)
    assert "The dying ReLU did not show" in text and "KILLED = 2" in text


def test_conclusion_reports_diverged_runs(result):
    n = copy.deepcopy(result.numbers)
    s = n["settings"]["relu/large"]
    s["diverged"] = 1
    for key in ("dead", "dead_peak", "dead_fall", "no_gradient", "test_accuracy"):
        s[f"{key}_per_seed"][1] = math.nan
        s[key] = {"mean": math.nan, "min": math.nan, "max": math.nan}
    text = exp.conclude(n)
    assert "Runs whose loss became NaN (their numbers are NaN): ReLU at lr = 0.1: 1 of 2" in text
    assert "NaN (a seed diverged)" in text
    assert "the dying ReLU shows" not in text and "keeps a gradient flowing to them" not in text


def test_a_diverging_sgd_run_is_recorded_not_raised():
    r = exp.run(seeds=1, epochs=2, width=8, optimizer="sgd", large_lr=1000.0)
    s = r.numbers["settings"]["relu/large"]
    assert s["diverged"] == 1 and math.isnan(s["dead"]["mean"])
    assert "Runs whose loss became NaN" in r.conclusion
    assert_matches_numbers(r)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"dead-units", "over-training"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())


def test_bad_arguments():
    with pytest.raises(ValueError, match="optimizer must be"):
        exp.run(optimizer="rmsprop")
    with pytest.raises(ValueError, match="seeds must be"):
        exp.run(seeds=0)
