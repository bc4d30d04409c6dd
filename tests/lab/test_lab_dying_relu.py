"""dying-relu: a tiny run is well formed, dead ReLU units get exactly no gradient, the
conclusion follows the numbers (and says when the effect did not show), figures save."""
from __future__ import annotations

import copy
import json

import pytest

from chainrule.lab import dying_relu as exp
from chainrule.lab.result import Result


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "dying-relu"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["seed"] == 0 and d["params"]["repeats"] == 1
    assert set(d["numbers"]["settings"]) == {"relu/large", "relu/normal", "leaky_relu/large",
                                             "leaky_relu/normal"}
    for s in d["numbers"]["settings"].values():
        assert len(s["runs"]) == 1
        for key in ("dead", "no_gradient", "dead_init", "test_accuracy"):
            assert set(s[key]) == {"mean", "min", "max"}
        assert len(s["dead_per_epoch"]) == exp.TINY["epochs"]
        assert len(s["dead_per_layer"]) == 4                  # depth hidden layers
    assert result.conclusion and result.seconds > 0


def test_dead_relu_units_get_exactly_no_gradient(result):
    for key, s in result.numbers["settings"].items():
        for r in s["runs"]:
            if r["diverged"]:
                continue
            if key.startswith("relu"):
                assert r["no_gradient"] >= r["dead"]     # every dead unit, maybe more
            else:
                assert r["no_gradient"] == 0.0           # the leaky slope always passes some


def test_conclusion_says_did_not_show(result):
    n = copy.deepcopy(result.numbers)
    st = n["settings"]
    for key in ("dead", "no_gradient"):
        st["relu/large"][key] = dict(st["relu/normal"][key])
        st["leaky_relu/large"][key] = dict(st["relu/large"][key])
    text = exp.conclude(n)
    assert "The dying ReLU did not show" in text
    assert "Leaky ReLU's advantage did not show" in text

    st["relu/large"]["dead"] = {"mean": 0.6, "min": 0.5, "max": 0.7}
    st["relu/large"]["no_gradient"] = {"mean": 0.6, "min": 0.5, "max": 0.7}
    st["leaky_relu/large"]["no_gradient"] = {"mean": 0.0, "min": 0.0, "max": 0.0}
    text = exp.conclude(n)
    assert "the dying ReLU shows" in text and "keeps them trainable" in text
    assert "60% (50%-70%)" in text


def test_conclusion_reports_diverged_runs(result):
    n = copy.deepcopy(result.numbers)
    n["settings"]["relu/large"]["diverged"] = 1
    assert "Runs whose loss became NaN" in exp.conclude(n)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"dead-units", "over-training"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())


def test_bad_arguments():
    with pytest.raises(ValueError, match="optimizer must be"):
        exp.run(optimizer="rmsprop")
    with pytest.raises(ValueError, match="repeats must be"):
        exp.run(repeats=0)
