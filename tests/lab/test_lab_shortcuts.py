"""shortcuts: the loss-to-layer-1 path counts are exact, a tiny run is well formed, the
conclusion follows the numbers, the figures save."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.lab import shortcuts as exp
from chainrule.lab.result import Result


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_shortest_path_on_a_small_graph():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    other = cr.tensor([3.0, 4.0], requires_grad=True)
    loss = (w * 3).exp().sum() + (w * other).sum()
    # two ways to w: add-sum-exp-mul and add-sum-mul; the search finds the shorter
    assert exp.shortest_path(loss, w) == ["add", "sum", "mul"]
    assert len(exp.shortest_path(loss, other)) == 3
    assert exp.shortest_path(loss, cr.tensor(1.0)) is None
    assert exp.shortest_path(loss, loss) == []


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "shortcuts"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["depth"] == exp.TINY["depth"] and d["params"]["seed"] == 0
    assert set(d["numbers"]["per_kind"]) == set(exp.KINDS)
    for v in d["numbers"]["per_kind"].values():
        assert len(v["init_grad_norm"]) == exp.TINY["depth"] + 1
        assert len(v["main_loss"]) == exp.TINY["epochs"]
        assert v["path_steps"] == len(v["path_ops"])
    assert result.conclusion and result.seconds > 0


def test_path_counts_are_exact(result):
    per, depth = result.numbers["per_kind"], exp.TINY["depth"]
    # plain: the loss, depth + 1 linear ops and depth sigmoids
    assert per["plain"]["path_steps"] == 2 * depth + 2
    assert per["plain"]["path_ops"][:3] == ["binary_cross_entropy_with_logits", "linear",
                                            "sigmoid"]
    # dense: loss, output linear, concat, layer 1's sigmoid, layer 1's linear
    assert per["dense"]["path_ops"] == ["binary_cross_entropy_with_logits", "linear", "concat",
                                        "sigmoid", "linear"]
    # deep supervision (one head, after layer 3): add, mul, loss, head, 3 x (sigmoid, linear)
    assert result.numbers["head_after_layers"] == [3]
    assert per["deep supervision"]["path_steps"] == 4 + 2 * 3
    assert per["dense"]["first_layer_grad"] > per["plain"]["first_layer_grad"]


def test_conclusion_says_did_not_show(result):
    n = copy.deepcopy(result.numbers)
    for kind in ("dense", "deep supervision"):
        n["per_kind"][kind]["path_steps"] = n["per_kind"]["plain"]["path_steps"]
        n["per_kind"][kind]["first_layer_grad"] = n["per_kind"]["plain"]["first_layer_grad"]
    text = exp.conclude(n)
    assert "DenseNet did not shorten the path" in text
    assert "the larger gradient did not show" in text
    assert "did not shorten" not in result.conclusion


def test_conclusion_reports_heads(result):
    n = copy.deepcopy(result.numbers)
    n["per_kind"]["deep supervision"]["aux_loss"] = [[0.6, 0.05]]
    assert "the heads after layer 3 learned" in exp.conclude(n)
    n["per_kind"]["deep supervision"]["aux_loss"] = [[0.66, 0.66]]
    assert "none learned" in exp.conclude(n)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"init-gradients", "path", "loss"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())
    assert np.isfinite(result.numbers["per_kind"]["plain"]["first_layer_grad"])
