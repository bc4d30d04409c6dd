"""shortcuts: the loss-to-layer-1 path counts are exact, the wide plain net matches DenseNet's
parameters, a tiny run over seeds is well formed, the conclusion follows the numbers (also
for the issue's commands: --lr 0.3, --depth 20, --activation relu over seeds 1-4) and says
"did not show" when a benefit is absent, the figures save."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.lab import shortcuts as exp
from chainrule.lab import seeds as lab_seeds
from chainrule.lab.result import Result

SHORTCUT_NAMES = {"dense": "DenseNet", "deep supervision": "Deep supervision"}


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def _expected(numbers: dict, kind: str) -> list[bool]:
    """Per seed, written out again from the module's docstring: the gradient at layer 1 is
    >= GREW x the baseline's, and the main output learned and reached <= LOSS_RATIO x the
    baseline's loss (or the baseline diverged)."""
    per, th = numbers["per_kind"], numbers["thresholds"]
    v, b = per[kind], per[exp.BASELINE[kind]]
    out = []
    for i in range(len(numbers["seeds"])):
        g, g0 = v["first_layer_grad_per_seed"][i], b["first_layer_grad_per_seed"][i]
        reaches = g0 > 0 and g / g0 >= th["GREW"]
        learned = (not v["diverged_per_seed"][i] and v["train_accuracy_per_seed"][i]
                   > numbers["majority_train_accuracy"] + th["STUCK_MARGIN"])
        b_loss = b["final_main_loss_per_seed"][i]
        better = learned and (b["diverged_per_seed"][i] or math.isnan(b_loss)
                              or v["final_main_loss_per_seed"][i] <= th["LOSS_RATIO"] * b_loss)
        out.append(bool(reaches and better))
    return out


def _assert_matches(result) -> dict:
    """The conclusion claims a shortcut's benefit exactly when the numbers show it in every
    seed, and names every network that diverged with its count of seeds."""
    n, text = result.numbers, result.conclusion
    shown = {}
    for kind, name in SHORTCUT_NAMES.items():
        shown[kind] = all(_expected(n, kind))
        assert (f"{name}'s benefit showed" in text) == shown[kind], (kind, text)
        assert (f"{name}'s benefit did not show" in text) == (not shown[kind]), (kind, text)
    for kind, v in n["per_kind"].items():
        k = sum(v["diverged_per_seed"])
        if k:
            assert "Diverged (" in text
            assert f"{kind} {lab_seeds.in_seeds(v['diverged_per_seed'])}" in text
    if not any(any(v["diverged_per_seed"]) for v in n["per_kind"].values()):
        assert "Diverged (" not in text
    assert "Thresholds: GREW = 10, LOSS_RATIO = 0.5, STUCK_MARGIN = 0.02" in text
    assert "Budget, the same for every network:" in text
    for v in n["per_kind"].values():
        assert str(v["parameters"]) in text
    return shown


def test_shortest_path_on_a_small_graph():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    other = cr.tensor([3.0, 4.0], requires_grad=True)
    loss = (w * 3).exp().sum() + (w * other).sum()
    # two ways to w: add-sum-exp-mul and add-sum-mul; the search finds the shorter
    assert exp.shortest_path(loss, w) == ["add", "sum", "mul"]
    assert len(exp.shortest_path(loss, other)) == 3
    assert exp.shortest_path(loss, cr.tensor(1.0)) is None
    assert exp.shortest_path(loss, loss) == []


@pytest.mark.parametrize("depth, width", [(2, 1), (6, 8), (10, 16)])
def test_plain_parameters_counts_the_built_net(depth, width):
    model = exp.build("plain", depth, width)[0]
    assert exp.plain_parameters(depth, width) == sum(p.data.size for p in model.parameters())


def test_matched_width_is_the_closest():
    assert exp.plain_parameters(10, 16) == 2961
    assert exp.matched_width(10, 16671) == 41       # 16811 parameters; 40 gives 16041
    assert exp.plain_parameters(10, 40) == 16041 and exp.plain_parameters(10, 41) == 16811
    assert exp.matched_width(10, 10) == 1          # nothing smaller than width 1


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "shortcuts"
    d = json.loads(json.dumps(result.to_dict()))
    n = d["numbers"]
    assert d["params"]["depth"] == exp.TINY["depth"] and d["params"]["seed"] == 0
    assert d["params"]["seeds"] == 2 and n["seeds"] == [0, 1]
    assert n["thresholds"] == exp.THRESHOLDS
    assert list(n["per_kind"]) == list(exp.KINDS)
    for v in n["per_kind"].values():
        assert len(v["init_grad_norm_per_seed"]) == 2
        assert all(len(g) == exp.TINY["depth"] + 1 for g in v["init_grad_norm_per_seed"])
        assert [len(c) for c in v["main_loss_per_seed"]] == [exp.TINY["epochs"]] * 2
        assert v["path_steps"] == len(v["path_ops"])
        assert v["diverged_per_seed"] == [False, False]
        g = v["first_layer_grad_per_seed"]
        assert v["first_layer_grad"] == {"mean": pytest.approx(np.mean(g)), "min": min(g),
                                         "max": max(g)}
    assert result.conclusion and result.seconds > 0
    _assert_matches(result)


def test_wide_plain_matches_dense_parameters(result):
    per = result.numbers["per_kind"]
    wide, dense = per["wide plain"]["parameters"], per["dense"]["parameters"]
    assert per["wide plain"]["width"] == result.numbers["wide_width"] > exp.TINY["width"]
    assert abs(wide - dense) / dense <= exp.PARAM_MATCH
    assert per["plain"]["parameters"] == exp.plain_parameters(6, 8)
    assert "not parameter-matched" not in result.conclusion


def test_path_counts_are_exact(result):
    per, depth = result.numbers["per_kind"], exp.TINY["depth"]
    # plain (and wide plain): the loss, depth + 1 linear ops and depth sigmoids
    assert per["plain"]["path_steps"] == per["wide plain"]["path_steps"] == 2 * depth + 2
    assert per["plain"]["path_ops"][:3] == ["binary_cross_entropy_with_logits", "linear",
                                            "sigmoid"]
    # dense: loss, output linear, concat, layer 1's sigmoid, layer 1's linear
    assert per["dense"]["path_ops"] == ["binary_cross_entropy_with_logits", "linear", "concat",
                                        "sigmoid", "linear"]
    # deep supervision (one head, after layer 3): add, mul, loss, head, 3 x (sigmoid, linear)
    assert result.numbers["head_after_layers"] == [3]
    assert per["deep supervision"]["path_steps"] == 4 + 2 * 3
    assert min(per["dense"]["first_layer_grad_per_seed"]) > max(
        per["wide plain"]["first_layer_grad_per_seed"])


def _set(n, kind, **per_seed):
    for key, values in per_seed.items():
        n["per_kind"][kind][f"{key}_per_seed"] = list(values)
        if key in exp.SPREAD:
            n["per_kind"][kind][key] = lab_seeds.spread(values)


def test_conclusion_says_did_not_show_without_a_larger_gradient(result):
    n = copy.deepcopy(result.numbers)
    for kind, base in exp.BASELINE.items():
        _set(n, kind, first_layer_grad=n["per_kind"][base]["first_layer_grad_per_seed"])
    text = exp.conclude(n)
    assert "DenseNet's benefit did not show" in text
    assert "Deep supervision's benefit did not show" in text
    assert text.count("At least GREW times: in neither seed.") == 2
    assert "benefit showed" not in text


def test_conclusion_says_did_not_show_when_the_main_output_learns_nothing(result):
    # the --lr 0.3 / --depth 20 case: the gradient reaches layer 1, the main output is stuck
    n = copy.deepcopy(result.numbers)
    majority, prior = n["majority_train_accuracy"], n["prior_loss"]
    for kind in ("plain", "wide plain"):
        _set(n, kind, first_layer_grad=[1e-7, 1e-7], final_main_loss=[prior, prior],
             train_accuracy=[majority, majority])
    _set(n, "dense", first_layer_grad=[0.2, 0.2], final_main_loss=[0.05, 0.04],
         train_accuracy=[0.99, 0.98])
    _set(n, "deep supervision", first_layer_grad=[0.02, 0.03], final_main_loss=[prior, 0.05],
         train_accuracy=[majority, 0.99])
    text = exp.conclude(n)
    assert "DenseNet's benefit showed in both seeds" in text
    assert "Deep supervision's benefit did not show" in text
    assert "Learned and at most LOSS_RATIO times the plain net's loss: in 1 of 2 seeds." in text
    assert "deep supervision in 1 of 2 seeds" in text      # learned nothing beyond majority
    assert _assert_matches(Result("shortcuts", numbers=n, conclusion=text)) == {
        "dense": True, "deep supervision": False}


def test_conclusion_reports_divergence(result):
    n = copy.deepcopy(result.numbers)
    _set(n, "deep supervision", diverged=[True, False], final_main_loss=[math.nan, 0.01],
         train_accuracy=[math.nan, 0.99], first_layer_movement=[math.nan, 1.0])
    text = exp.conclude(n)
    assert "Diverged (the loss became NaN or infinite" in text
    assert "deep supervision in 1 of 2 seeds" in text
    assert "Deep supervision's benefit did not show" in text
    assert "NaN (a seed diverged)" in text


def test_conclusion_says_when_parameters_are_not_matched(result):
    n = copy.deepcopy(result.numbers)
    n["per_kind"]["wide plain"]["parameters"] = n["per_kind"]["plain"]["parameters"]
    assert "DenseNet has" in exp.conclude(n) and "not parameter-matched" in exp.conclude(n)


def test_thresholds_are_read_back(result):
    n = copy.deepcopy(result.numbers)
    n["thresholds"]["GREW"] = 1e30
    text = exp.conclude(n)
    assert "Thresholds: GREW = 1e+30" in text and "benefit showed" not in text


def test_conclusion_reports_heads(result):
    n = copy.deepcopy(result.numbers)
    n["per_kind"]["deep supervision"]["aux_loss_per_seed"] = [[[0.6, 0.05]], [[0.6, 0.07]]]
    assert "the heads after layer 3 learned in every seed" in exp.conclude(n)
    n["per_kind"]["deep supervision"]["aux_loss_per_seed"] = [[[0.6, 0.05]], [[0.66, 0.66]]]
    assert "none learned in every seed" in exp.conclude(n)


def test_issue_lr_0_3_deep_supervision_did_not_show():
    r = exp.run(lr=0.3, width=8, epochs=10, seeds=2)
    assert _assert_matches(r)["deep supervision"] is False
    ds = r.numbers["per_kind"]["deep supervision"]
    assert max(ds["train_accuracy_per_seed"]) <= r.numbers["majority_train_accuracy"] + 0.02


def test_issue_depth_20_deep_supervision_did_not_show():
    r = exp.run(depth=20, width=4, epochs=8, seeds=2)
    assert _assert_matches(r)["deep supervision"] is False
    assert r.numbers["per_kind"]["plain"]["path_steps"] == 42


def test_issue_relu_seeds_1_to_4_divergence_is_caught(tmp_path, capsys):
    code = main(["lab", "shortcuts", "--activation", "relu", "--seed", "1", "--seeds", "4",
                 "--epochs", "2", "--out", str(tmp_path)])
    capsys.readouterr()
    assert code == 0
    d = json.loads((tmp_path / "shortcuts.json").read_text())
    r = Result("shortcuts", numbers=d["numbers"], conclusion=d["conclusion"])
    assert r.numbers["seeds"] == [1, 2, 3, 4]
    _assert_matches(r)
    # deep supervision at lr 1 with ReLU blows up in every one of these seeds
    assert r.numbers["per_kind"]["deep supervision"]["diverged_per_seed"] == [True] * 4
    assert "deep supervision in all 4 seeds" in r.conclusion


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"init-gradients", "path", "loss"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())
    assert np.isfinite(result.numbers["per_kind"]["plain"]["first_layer_grad"]["mean"])
