"""chain-product: the factors the experiment reports are the chain rule's (checked against
an independent NumPy computation), their products reproduce autograd's gradient, and the
conclusion follows the numbers (saying "did not show" when the effect is absent)."""
from __future__ import annotations

import copy
import itertools
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.lab import chain_product as exp
from chainrule.lab.result import Result


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _numpy_forward(model, X):
    """p_k and a_k of the plain sigmoid network, in NumPy float64 from its weights."""
    a, ps, acts = X.astype(np.float64), [], []
    for layer in [m for m in model if isinstance(m, cr.nn.Linear)]:
        p = a @ layer.weight.data.astype(np.float64) + layer.bias.data
        a = _sigmoid(p)
        ps.append(p)
        acts.append(a)
    return ps, acts


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == "chain-product"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"]["width"] == exp.TINY["width"] and d["params"]["seed"] == 0
    n = d["numbers"]
    assert n["networks"] == ["sigmoid", "relu", "sigmoid+skip"]
    for name in n["networks"]:
        assert [r["layer"] for r in n["path"][name]] == list(range(10, 0, -1))
        assert all(len(v) == 10 for v in n["per_layer"][name].values())
    assert result.conclusion and result.seconds > 0


def test_every_factor_matches_an_independent_computation_in_float64():
    X, y, _ = exp._batch(0, 16)
    model = exp._network("sigmoid", 0, 10, 8, np.float64)
    numbers = exp.measure(model, X, y)
    ps, acts = _numpy_forward(model, X)
    weights = [m.weight.data for m in model if isinstance(m, cr.nn.Linear)]
    aL = acts[-1][0, 0]
    assert numbers["dbce_dsigma"] == pytest.approx((aL - y[0]) / (aL * (1 - aL)) / 16, abs=1e-6)
    path = numbers["path"]
    units = {r["layer"]: r["unit"] for r in path}
    i, j1 = (int(v) for v in numbers["theta"][3:-1].split(","))
    assert j1 == units[1]
    product = numbers["dbce_dsigma"]
    for r in path:
        k, j = r["layer"], r["unit"]
        s = _sigmoid(ps[k - 1][0, j])
        assert r["derivative"] == pytest.approx(s * (1 - s), abs=1e-6) and r["derivative"] <= 0.25
        expected_w = X[0, i] if k == 1 else weights[k - 1][units[k - 1], j]
        assert r["weight"] == pytest.approx(expected_w, abs=1e-6)
        assert r["factor"] == pytest.approx(r["derivative"] * r["weight"], abs=1e-6)
        product *= r["factor"]
        assert r["product"] == pytest.approx(product, rel=1e-12)
    assert numbers["path_derivatives"] <= numbers["path_bound"] == 0.25 ** 10


def test_sum_over_every_path_of_the_products_is_autograds_gradient():
    """width 2, 4 layers: 2^3 paths per example to each weight of layer 1; the products of
    their factors, summed over paths and examples, are autograd's dJ/dW_1."""
    X, y, _ = exp._batch(0, 5)
    model = exp._network("sigmoid", 0, 4, 2, np.float64)
    ps, acts = _numpy_forward(model, X)
    weights = [m.weight.data for m in model if isinstance(m, cr.nn.Linear)]
    cr.nn.functional.binary_cross_entropy_with_logits(
        model(cr.tensor(X, dtype=np.float64)), cr.tensor(y.reshape(-1, 1))).backward()
    aL = acts[-1][:, 0]
    dbce = (aL - y) / (aL * (1 - aL)) / len(y)
    d = [a * (1 - a) for a in acts]                        # sigma'(p_k) = a_k (1 - a_k)
    i, j1 = 3, 1
    total = 0.0
    for j2, j3 in itertools.product(range(2), repeat=2):
        total += np.sum(dbce * d[3][:, 0] * weights[3][j3, 0] * d[2][:, j3]
                        * weights[2][j2, j3] * d[1][:, j2] * weights[1][j1, j2]
                        * d[0][:, j1] * X[:, i])
    assert total == pytest.approx(float(model[0].weight.grad.data[i, j1]), rel=1e-10)


def test_the_layer_by_layer_product_equals_autograd(result):
    for v in result.numbers["per_network"].values():
        assert v["chain_error_float64"] < 1e-12
        assert v["chain_error_float32"] < 1e-5
    assert "reproduce autograd's gradient at every layer" in result.conclusion


def test_sigmoid_shrinks_by_its_derivative_and_the_remedies_keep_the_gradient(result):
    per = result.numbers["per_network"]
    assert per["sigmoid"]["kept_hidden"] < exp.VANISHED
    assert per["sigmoid"]["derivative_factor_geomean"] < 0.25
    assert per["sigmoid"]["derivative_factor_geomean"] < per["sigmoid"]["weight_factor_geomean"]
    assert per["relu"]["kept_hidden"] > exp.VANISHED
    assert per["sigmoid+skip"]["kept_hidden"] > exp.VANISHED
    assert set(r["derivative"] for r in result.numbers["path"]["relu"][1:]) <= {0.0, 1.0}
    skip = [r for r in result.numbers["path"]["sigmoid+skip"] if r["shortcut"]]
    for r in skip:                                         # 1 + F' along the shortcut
        assert r["factor"] == pytest.approx(1 + r["derivative"] * r["weight"], abs=1e-12)
    assert "What shrinks it is the derivative f′" in result.conclusion
    assert "the gradient vanishes" in result.conclusion


def _set(v: dict, key: str, *values: float) -> None:
    """A factor in hand-made numbers: its per-seed values, their mean and spread."""
    v[key + "_per_seed"] = list(values)
    v[key + "_spread"] = cr.lab.seeds.spread(values)
    v[key] = v[key + "_spread"]["mean"]


def test_conclusion_says_did_not_show_when_the_effect_is_absent(result):
    n = copy.deepcopy(result.numbers)
    _set(n["per_network"]["sigmoid"], "kept_hidden", 0.5, 0.5)
    assert "The vanishing gradient did not show with sigmoid" in exp.conclude(n)
    _set(n["per_network"]["relu"], "kept_hidden", 1e-6, 1e-6)
    assert ("ReLU keeps only 1e-06 of the gradient: it vanished too (it stayed above VANISHED "
            "in 0 of 2 seeds)" in exp.conclude(n))
    for v in n["per_network"].values():
        _set(v, "derivative_factor_geomean", 1.2, 1.2)
        _set(v, "weight_factor_geomean", 1.2, 1.2)
    assert "Neither factor shrinks it: the shrinking did not show" in exp.conclude(n)
    relu = n["per_network"]["relu"]      # f' shrinks, the weights grow it more
    _set(relu, "derivative_factor_geomean", 0.8, 0.8)
    _set(relu, "weight_factor_geomean", 1.4, 1.4)
    _set(relu, "ratio_geomean", 1.12, 1.12)
    assert ("ReLU: " in exp.conclude(n) and "The derivative f′ shrinks it by ×0.8 per layer, "
            "but the other factor more than makes up for it" in exp.conclude(n))
    n["per_network"]["sigmoid"]["chain_error_float64"] = 1e-3
    assert "did not reproduce autograd's gradient" in exp.conclude(n)
    n["path"]["sigmoid"][0]["derivative"] = 0.3
    n["per_network"]["sigmoid"]["path_derivatives"] = 1.0
    assert "The bound did not show" in exp.conclude(n)


def test_an_effect_in_some_seeds_only_is_said_to_be_so(result):
    n = copy.deepcopy(result.numbers)
    _set(n["per_network"]["sigmoid"], "kept_hidden", 1e-6, 0.5)
    text = exp.conclude(n)
    assert "below VANISHED only in 1 of 2 seeds, so the vanishing gradient did not show" in text
    assert "the gradient vanishes" not in text
    _set(n["per_network"]["relu"], "kept_hidden", 1e-6, 0.9)
    assert "it vanished too (it stayed above VANISHED in 1 of 2 seeds)" in exp.conclude(n)
    sigmoid = n["per_network"]["sigmoid"]            # the weights the smaller in one seed
    _set(sigmoid, "weight_factor_geomean", 0.9, 0.1)
    assert ("What shrinks it is the derivative f′, by ×0.236 per layer"[:40] in exp.conclude(n)
            and "the gradient shrinking, in 1 of 2 seeds" in exp.conclude(n))


def test_seeds_and_thresholds_are_recorded_and_printed(result):
    n = result.numbers
    assert n["seeds"] == [0, 1] and n["thresholds"] == exp.THRESHOLDS
    v = n["per_network"]["sigmoid"]
    assert len(v["kept_hidden_per_seed"]) == 2
    assert v["kept_hidden"] == pytest.approx(np.mean(v["kept_hidden_per_seed"]))
    assert max(v["kept_hidden_per_seed"]) < exp.VANISHED
    assert ("Thresholds: VANISHED = 0.01, SATURATED = 0.025, TOLERANCE_FLOAT64 = 1e-10, "
            "TOLERANCE_FLOAT32 = 0.0001.") in result.conclusion
    assert "below VANISHED in both seeds: the gradient vanishes" in result.conclusion
    n2 = copy.deepcopy(n)
    n2["thresholds"]["VANISHED"] = 1e-12
    assert "The vanishing gradient did not show with sigmoid" in exp.conclude(n2)


def test_conclusion_in_vietnamese_keeps_the_numbers(result, monkeypatch):
    monkeypatch.setenv("CHAINRULE_LANG", "vi")
    text = exp.conclude(result.numbers)
    assert text and "{" not in text


def test_registered_and_runs_through_the_lab(result):
    names = cr.lab.names()
    assert names[names.index("vanishing") + 1] == "chain-product"
    quick = cr.lab.run("chain-product", quick=True, figures=False, networks=["sigmoid"])
    assert quick.numbers["networks"] == ["sigmoid"] and quick.params["width"] == 8
    with pytest.raises(ValueError, match="batch_size"):
        cr.lab.check("chain-product", {"batch_size": 0})


def test_figure_saves(result, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"product"} and set(exp.CAPTIONS) == {"product"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())


def test_one_seed_has_the_same_structure_and_the_sweep_numbers_resolve():
    from chainrule.lab.sweeps.table import flatten
    small = dict(width=4, batch_size=8, networks=("sigmoid", "relu"))
    one, two = exp.run(seeds=1, **small), exp.run(seeds=2, **small)
    assert one.numbers["seeds"] == [0] and set(flatten(one.numbers)) == set(flatten(two.numbers))
    flat = flatten(one.numbers)
    assert all(isinstance(flat[path], float) for path in exp.SWEEP["numbers"])
    assert "Seed 0: one initialisation and batch of 8 tumours." in one.conclusion
    assert "in this seed" in one.conclusion
