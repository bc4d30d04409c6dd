"""skip: plain versus residual; a tiny run is well formed, the conclusion follows the
numbers, the figures save."""
from __future__ import annotations

import copy
import json
import math
import re

import pytest

from chainrule.lab import skip as exp
from chainrule.lab.result import Result


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "skip"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["depths"] == list(exp.TINY["depths"]) and d["params"]["seed"] == 0
    assert set(d["numbers"]["per_depth"]) == {str(k) for k in exp.TINY["depths"]}
    for depth, v in d["numbers"]["per_depth"].items():
        for kind in exp.KINDS:
            r = v[kind]
            assert len(r["init_grad_norm"]) == int(depth) + 1        # hidden + output Linear
            assert r["first_layer_grad"] == r["init_grad_norm"][0]
            assert len(r["train_loss"]) == exp.TINY["epochs"]
    assert result.conclusion and result.seconds > 0


def test_residual_keeps_the_first_layer_gradient(result):
    deep = result.numbers["per_depth"]["12"]
    assert deep["residual"]["first_layer_grad"] > 100 * deep["plain"]["first_layer_grad"]
    assert "keep the gradient at depth 3, 12" in result.conclusion or \
        "keep the gradient at depth 12" in result.conclusion


def test_conclusion_says_did_not_show(result):
    n = copy.deepcopy(result.numbers)
    for v in n["per_depth"].values():
        v["residual"]["first_layer_grad"] = v["plain"]["first_layer_grad"] * 2
        v["residual"]["final_loss"] = v["plain"]["final_loss"]
    text = exp.conclude(n)
    assert "the effect did not show" in text
    assert "the training advantage did not show" in text
    assert "keep the gradient" not in text


def test_conclusion_reports_underflow_and_divergence(result):
    n = copy.deepcopy(result.numbers)
    n["per_depth"]["12"]["plain"]["first_layer_grad"] = 0.0
    n["per_depth"]["12"]["residual"].update(diverged=True, final_loss=math.nan)
    text = exp.conclude(n)
    assert "exactly 0" in text and "residual diverged" in text
    assert re.search(r"At depth [\d, ]*12 the training advantage did not show", text)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"init-gradients", "loss"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())
