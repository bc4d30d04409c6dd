"""skip: plain versus residual; a tiny run is well formed, the conclusion follows the
numbers in every seed (a gradient is healthy only if bounded both ways, a diverged run is
never a success), the issue's --activation relu at a small size, the figures save."""
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


def _depths(text: str, start: str) -> set:
    """The depths named by every sentence of text that starts with ``start``."""
    found = set()
    for m in re.finditer(re.escape(start) + r" (\d+(?:, \d+)*)", text):
        found |= set(m.group(1).split(", "))
    return found


def assert_matches_numbers(r: Result) -> None:
    n, text, th = r.numbers, r.conclusion, r.numbers["thresholds"]
    vanished, exploded, kept, better, res_div = set(), set(), set(), set(), set()
    for d, v in n["per_depth"].items():
        pv = [x < th["VANISHED"] for x in v["plain"]["grad_ratio_per_seed"]]
        rv = [x < th["VANISHED"] for x in v["residual"]["grad_ratio_per_seed"]]
        rx = [not x <= th["EXPLODED"] for x in v["residual"]["largest_grad_per_seed"]]
        if any(pv):
            vanished.add(d)
        if any(rx):
            exploded.add(d)
        if all(p and not a and not b for p, a, b in zip(pv, rv, rx)):
            kept.add(d)
        if any(v["residual"]["diverged_per_seed"]):
            res_div.add(d)
        if all(not rd and (pd or rl < th["BETTER"] * pl) for rl, pl, rd, pd in zip(
                v["residual"]["final_loss_per_seed"], v["plain"]["final_loss_per_seed"],
                v["residual"]["diverged_per_seed"], v["plain"]["diverged_per_seed"])):
            better.add(d)
    assert _depths(text, "The skip connections keep the gradient at depth") == kept
    assert _depths(text, "The plain network's gradient vanished at depth") == vanished
    assert _depths(text, "The residual network's gradient exploded at depth") == exploded
    assert _depths(text, "The residual network's training diverged (the loss became NaN or "
                         "inf) at depth") == res_div
    assert _depths(text, "The residual network trains to a far lower loss at depth") == better
    assert not better & res_div                           # a diverged run is no success
    assert "Thresholds: VANISHED = 0.001, EXPLODED = 100, BETTER = 0.5" in text
    assert "Seeds " + ", ".join(map(str, n["seeds"])) in text
    assert f"{n['budget']['epochs']} epochs of SGD at lr = {n['budget']['lr']:g}" in text


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "skip"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["depths"] == list(exp.TINY["depths"]) and d["params"]["seed"] == 0
    assert d["params"]["seeds"] == 2 and d["numbers"]["seeds"] == [0, 1]
    assert d["numbers"]["thresholds"] == exp.THRESHOLDS
    assert set(d["numbers"]["per_depth"]) == {str(k) for k in exp.TINY["depths"]}
    for depth, v in d["numbers"]["per_depth"].items():
        assert d["numbers"]["budget"]["parameters"][depth] == \
            30 * 8 + 8 + (int(depth) - 1) * (8 * 8 + 8) + 9   # the same for both kinds
        for kind in exp.KINDS:
            s = v[kind]
            assert [r["seed"] for r in s["runs"]] == [0, 1]
            for r in s["runs"]:
                assert len(r["init_grad_norm"]) == int(depth) + 1    # hidden + output Linear
                assert r["first_layer_grad"] == r["init_grad_norm"][0]
                assert r["largest_grad"] == max(r["init_grad_norm"])
                assert r["grad_ratio"] == pytest.approx(r["init_grad_norm"][0]
                                                        / r["init_grad_norm"][-1])
                assert len(r["train_loss"]) == exp.TINY["epochs"]
            assert s["first_layer_grad_per_seed"] == [r["first_layer_grad"] for r in s["runs"]]
            assert set(s["first_layer_grad"]) == {"mean", "min", "max"}
    assert result.conclusion and result.seconds > 0
    assert_matches_numbers(result)


def test_residual_keeps_the_sigmoid_gradient(result):
    deep = result.numbers["per_depth"]["12"]
    for p, r in zip(deep["plain"]["runs"], deep["residual"]["runs"]):
        assert p["grad_ratio"] < exp.VANISHED <= r["grad_ratio"]
        assert r["largest_grad"] <= exp.EXPLODED
    assert "The skip connections keep the gradient at depth 12 in both seeds" in \
        result.conclusion


def test_issue_command_relu_explodes_and_diverges():
    """`skip --activation relu`: the residual gradient explodes and training ends in NaN;
    neither may be called keeping the gradient or training better."""
    r = exp.run(seeds=2, depths=(10, 20), width=8, epochs=2, activation="relu")
    assert_matches_numbers(r)
    text = r.conclusion
    assert "The skip connections keep the gradient" not in text
    assert "The residual network's gradient exploded at depth 10, 20 in both seeds" in text
    for v in r.numbers["per_depth"].values():
        assert all(g > exp.EXPLODED for g in v["residual"]["largest_grad_per_seed"])
    assert "The residual network trains to a far lower loss" not in text


def test_conclusion_says_did_not_show(result):
    """Plain and residual alike: bounded gradients, equal losses; nothing is claimed."""
    n = copy.deepcopy(result.numbers)
    for v in n["per_depth"].values():
        for kind in exp.KINDS:
            v[kind]["grad_ratio_per_seed"] = [0.5, 0.7]
            v[kind]["largest_grad_per_seed"] = [1.0, 2.0]
            v[kind]["final_loss_per_seed"] = [0.3, 0.3]
            v[kind]["train_accuracy_per_seed"] = [0.9, 0.9]
    text = exp.conclude(n)
    assert "At depth 3, 12 the skip connections' effect on the gradient did not show" in text
    assert "At depth 3, 12 the training advantage did not show in every seed" in text
    assert "keep the gradient at" not in text and "far lower loss" not in text
    assert "vanished at" not in text and "exploded at" not in text


def test_conclusion_in_k_of_n_seeds(result):
    n = copy.deepcopy(result.numbers)
    v = n["per_depth"]["12"]
    v["residual"]["largest_grad_per_seed"] = [5.0, 1e4]        # seed 2 explodes
    text = exp.conclude(n)
    assert "The residual network's gradient exploded at depth 12 in 1 of 2 seeds" in text
    assert "keep the gradient at depth 12" not in text
    assert "stayed within both bounds in 1 of 2 seeds" in text
    n["thresholds"]["EXPLODED"] = 1e5                          # read back from the numbers
    text = exp.conclude(n)
    assert "keep the gradient at depth 12 in both seeds" in text and "EXPLODED = 100000" in text


def test_conclusion_reports_underflow_and_divergence(result):
    n = copy.deepcopy(result.numbers)
    v = n["per_depth"]["12"]
    v["plain"]["first_layer_grad_per_seed"] = [0.0, 1e-9]
    v["plain"]["grad_ratio_per_seed"] = [0.0, 1e-9]
    v["residual"]["diverged_per_seed"] = [True, False]
    v["residual"]["final_loss_per_seed"] = [math.nan, 0.01]
    v["residual"]["final_loss"] = {"mean": math.nan, "min": math.nan, "max": math.nan}
    text = exp.conclude(n)
    assert "first-layer gradient is exactly 0 in 1 of 2 seeds" in text
    assert "residual NaN (a seed diverged)" in text
    assert "The residual network's training diverged (the loss became NaN or inf) at depth 12 " \
           "in 1 of 2 seeds" in text
    assert re.search(r"At depth [\d, ]*12 the training advantage did not show", text)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"init-gradients", "loss"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())


def test_bad_arguments():
    with pytest.raises(ValueError, match="every depth must be >= 2"):
        exp.run(depths=(1,))
    with pytest.raises(ValueError, match="seeds must be"):
        exp.run(seeds=0)
