"""vanishing: a tiny run is well formed, its numbers match the network, the conclusion
follows the numbers (and says when the effect did not show), the figures save."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.lab import vanishing as exp
from chainrule.lab.result import Result


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "vanishing"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["seed"] == 0 and d["params"]["epochs"] == exp.TINY["epochs"]
    n = d["numbers"]
    assert n["activations"] == ["sigmoid", "tanh", "relu", "leaky_relu"]
    assert len(n["layer_names"]) == 10                 # the lecture's 10 Linear layers
    for v in n["per_activation"].values():
        for key in ("init_grad_norm", "train_grad_norm", "weight_movement"):
            assert len(v[key]) == 10
        assert len(v["train_loss"]) == exp.TINY["epochs"]
        assert v["init_ratio"] == pytest.approx(v["init_grad_norm"][0] / v["init_grad_norm"][-1])
    assert result.conclusion and result.seconds > 0


def test_network_is_ten_linear_layers_each_followed_by_an_activation():
    # the tenth layer's sigmoid is the output probability, computed inside the loss
    model = exp.build("relu", layers=10, width=8)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU"] * 9 + ["Linear"]
    out = model(cr.tensor(np.zeros((3, 30), np.float32)))
    assert out.shape == (3, 1)
    assert exp.LOSS is cr.nn.functional.binary_cross_entropy_with_logits


def test_skip_variant_wraps_hidden_layers_in_residual_blocks():
    model = exp.build("sigmoid+skip", layers=10, width=8)
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "Sigmoid"] + ["Residual"] * 8 + ["Linear"]


def test_sigmoid_gradient_vanishes_even_in_the_tiny_run(result):
    per = result.numbers["per_activation"]
    assert per["sigmoid"]["init_ratio"] < exp.VANISHED
    assert per["relu"]["init_ratio"] > exp.VANISHED
    assert "shows with sigmoid" in result.conclusion


def test_conclusion_says_did_not_show_when_the_ratio_is_not_small(result):
    n = copy.deepcopy(result.numbers)
    for v in n["per_activation"].values():
        v["init_ratio"] = 0.8
    text = exp.conclude(n)
    assert "did not show with sigmoid" in text
    n["per_activation"]["relu"]["init_ratio"] = 1e-6
    assert "With ReLU it vanished too" in exp.conclude(n)


def test_conclusion_on_training_outcome(result):
    n = copy.deepcopy(result.numbers)
    for v in n["per_activation"].values():
        v["train_accuracy"], v["test_accuracy"] = 0.99, 0.95
    assert "did not learn" not in exp.conclude(n)
    assert "Even so, the sigmoid network learned" in exp.conclude(n)
    n["per_activation"]["sigmoid"]["train_accuracy"] = n["majority_train_accuracy"]
    assert "The sigmoid network did not learn" in exp.conclude(n)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"init-gradients", "weight-movement", "loss"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())
