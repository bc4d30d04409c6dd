"""vanishing: a tiny run over two seeds is well formed, its numbers match the network (the
gradient and the forward signal per layer), the conclusion follows the numbers in every
seed (and says when an effect did not show, or in how many seeds it did), the figures
save."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.lab import vanishing as exp
from chainrule.lab.result import Result
from chainrule.lab.sweeps.table import flatten


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "vanishing"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["seed"] == 0 and d["params"]["epochs"] == exp.TINY["epochs"]
    n = d["numbers"]
    assert n["seeds"] == [0, 1]
    assert n["thresholds"] == {"VANISHED": exp.VANISHED, "COLLAPSED": exp.COLLAPSED,
                               "LEARNED": exp.LEARNED}
    assert n["activations"] == ["sigmoid", "tanh", "relu", "leaky_relu"]
    assert len(n["layer_names"]) == 10                 # the lecture's 10 Linear layers
    for v in n["per_activation"].values():
        for key in ("init_grad_norm", "train_grad_norm", "weight_movement",
                    "init_forward_spread_per_layer", "trained_forward_spread_per_layer"):
            assert len(v[key]) == 10
        for key in ("init_grad_norm", "init_forward_spread", "train_loss"):
            assert len(v[key + "_per_seed"]) == 2
        assert len(v["train_loss"]) == exp.TINY["epochs"]
        for norms, ratio in zip(v["init_grad_norm_per_seed"], v["init_ratio_per_seed"]):
            assert ratio == pytest.approx(norms[0] / norms[-1])
        for spread, ratio in zip(v["init_forward_spread_per_seed"],
                                 v["init_forward_ratio_per_seed"]):
            assert ratio == pytest.approx(spread[8] / spread[0])
        assert v["init_ratio"] == pytest.approx(np.mean(v["init_ratio_per_seed"]))
        s = v["init_ratio_spread"]
        assert s["min"] == min(v["init_ratio_per_seed"]) <= s["mean"] <= s["max"]
    assert result.conclusion and result.seconds > 0
    assert "Thresholds: VANISHED = 0.01, COLLAPSED = 0.01, LEARNED = 0.02." in result.conclusion


def test_one_seed_has_the_same_structure_and_the_sweep_numbers_resolve():
    one = exp.run(seeds=1, epochs=1, width=4, activations=("sigmoid", "relu"))
    two = exp.run(seeds=2, epochs=1, width=4, activations=("sigmoid", "relu"))
    assert one.numbers["seeds"] == [0] and two.numbers["seeds"] == [0, 1]
    assert set(flatten(one.numbers)) == set(flatten(two.numbers))
    flat = flatten(one.numbers)
    for path in exp.SWEEP["numbers"]:
        assert isinstance(flat[path], float)
    # seed 1 alone is the second seed of the two-seed run
    alone = exp.run(seed=1, seeds=1, epochs=1, width=4, activations=("sigmoid", "relu"))
    assert alone.numbers["per_activation"]["relu"]["init_ratio"] == \
        two.numbers["per_activation"]["relu"]["init_ratio_per_seed"][1]


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


def test_forward_spread_is_the_std_across_samples_of_each_layers_output():
    cr.manual_seed(0)
    model = exp.build("sigmoid", layers=3, width=4, in_features=2)
    X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    a1 = 1 / (1 + np.exp(-(X @ model[0].weight.data + model[0].bias.data)))
    a2 = 1 / (1 + np.exp(-(a1 @ model[2].weight.data + model[2].bias.data)))
    logit = a2 @ model[4].weight.data + model[4].bias.data
    expected = [float(np.std(a, axis=0).mean()) for a in (a1, a2, logit)]
    assert exp.forward_spread(model, X) == pytest.approx(expected, rel=1e-5)
    # a constant input has no spread at all, in any layer
    assert exp.forward_spread(model, np.ones((5, 2), np.float32)) == [0.0, 0.0, 0.0]


def test_sigmoid_gradient_vanishes_and_forward_signal_collapses_in_every_seed(result):
    per = result.numbers["per_activation"]
    assert max(per["sigmoid"]["init_ratio_per_seed"]) < exp.VANISHED
    assert max(per["sigmoid"]["init_forward_ratio_per_seed"]) < exp.COLLAPSED
    # layer 9's output hardly varies across the tumours (about 1e-6), layer 1's does
    first, ninth = zip(*[(f[0], f[8]) for f in per["sigmoid"]["init_forward_spread_per_seed"]])
    assert min(first) > 0.05 and max(ninth) < 1e-4
    for act in ("relu", "tanh"):
        assert min(per[act]["init_ratio_per_seed"]) > exp.VANISHED
        assert min(per[act]["init_forward_ratio_per_seed"]) > exp.COLLAPSED
    text = result.conclusion
    assert "The vanishing gradient shows with sigmoid in both seeds" in text
    assert "The forward signal collapses with sigmoid in both seeds" in text
    assert "With tanh, ReLU and Leaky ReLU neither happens in any seed" in text
    assert "did not learn beyond predicting the majority class" in text
    assert "the numbers support both causes, not the gradient alone" in text


def _absent(numbers: dict) -> dict:
    """The numbers with neither effect: every ratio close to 1 in every seed."""
    n = copy.deepcopy(numbers)
    for v in n["per_activation"].values():
        for key in ("init_ratio", "init_forward_ratio"):
            v[key + "_per_seed"] = [0.8] * len(n["seeds"])
    return n


def test_conclusion_says_did_not_show_when_the_ratios_are_not_small(result):
    n = _absent(result.numbers)
    text = exp.conclude(n)
    assert "The vanishing gradient did not show with sigmoid" in text
    assert "The forward collapse did not show with sigmoid" in text
    assert "Neither the vanishing gradient nor the forward collapse showed in every seed" in text
    assert "support both causes" not in text
    n["per_activation"]["relu"]["init_ratio_per_seed"] = [1e-6, 0.8]
    assert ("With ReLU the gradient ratio fell below 0.01 in 1 of 2 seeds and the forward "
            "ratio below 0.01 in 0 of 2: that remedy did not show.") in exp.conclude(n)


def test_conclusion_names_the_cause_the_numbers_support(result):
    n = copy.deepcopy(result.numbers)
    sigmoid = n["per_activation"]["sigmoid"]
    sigmoid["init_forward_ratio_per_seed"] = [0.5, 0.5]        # the gradient alone
    assert "the numbers point to the vanishing gradient" in exp.conclude(n)
    sigmoid["init_forward_ratio_per_seed"] = [1e-6, 1e-6]      # the forward signal alone
    sigmoid["init_ratio_per_seed"] = [0.5, 0.5]
    assert "the numbers point to the forward collapse, not the gradient" in exp.conclude(n)
    sigmoid["init_ratio_per_seed"] = [1e-6, 0.5]                # in one seed of two
    text = exp.conclude(n)
    assert "The vanishing gradient shows with sigmoid in 1 of 2 seeds" in text
    assert "support both causes" not in text


def test_thresholds_are_read_back_from_the_numbers(result):
    n = copy.deepcopy(result.numbers)
    n["thresholds"] = {"VANISHED": 1e-12, "COLLAPSED": 1e-12, "LEARNED": 0.02}
    text = exp.conclude(n)
    assert "The vanishing gradient did not show with sigmoid" in text
    assert "The forward collapse did not show with sigmoid" in text
    assert "Thresholds: VANISHED = 1e-12, COLLAPSED = 1e-12, LEARNED = 0.02." in text


def test_conclusion_on_training_outcome(result):
    n = copy.deepcopy(result.numbers)
    for v in n["per_activation"].values():
        v["train_accuracy_per_seed"], v["test_accuracy_per_seed"] = [0.99, 0.98], [0.95, 0.95]
        v["train_accuracy_spread"] = {"mean": 0.985, "min": 0.98, "max": 0.99}
    text = exp.conclude(n)
    assert "did not learn" not in text
    assert "Even so, the sigmoid network learned (train accuracy 98.5% (98.0% to 99.0%))" in text
    n["per_activation"]["sigmoid"]["train_accuracy_per_seed"] = [0.99, 0.5]
    text = exp.conclude(n)
    assert "The sigmoid network learned beyond the majority class only in 1 of 2 seeds" in text
    assert "Even so" not in text and "Why the sigmoid network" not in text


def test_a_diverging_run_is_reported_not_claimed():
    r = exp.run(seeds=2, epochs=2, width=8, lr=50.0, activations=("relu",))
    v = r.numbers["per_activation"]["relu"]
    assert v["diverged_per_seed"] == [True, True]
    assert all(math.isnan(a) for a in v["train_accuracy_per_seed"])
    text = r.conclusion
    assert "Training diverged with ReLU in 2 of their 2 runs" in text
    assert "Train/test accuracy" not in text and "did not learn" not in text
    exp.plot(r) if _has_matplotlib() else None


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"init-gradients", "forward-spread", "weight-movement", "loss"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())


def test_two_layers_have_no_forward_ratio_and_claim_none():
    r = exp.run(seeds=2, layers=2, epochs=1, width=4, activations=("sigmoid", "relu"))
    v = r.numbers["per_activation"]["relu"]
    assert v["init_forward_ratio_per_seed"] == [None, None]      # nothing to compare
    assert v["init_forward_ratio"] is None
    text = r.conclusion
    assert "forward ratio" not in text and "forward collapse did not show" not in text
    assert "With ReLU the gradient does not vanish in any seed" in text
    assert "The vanishing gradient did not show with sigmoid" in text
    n = copy.deepcopy(r.numbers)                 # a stuck 2-layer net with a vanished gradient
    for v in n["per_activation"].values():
        v["init_ratio_per_seed"] = [1e-6, 1e-6]
        v["train_accuracy_per_seed"] = [n["majority_train_accuracy"]] * 2
    text = exp.conclude(n)
    assert "the numbers point to the vanishing gradient (with 2 layers there is no forward" in text
    exp.plot(r) if _has_matplotlib() else None
