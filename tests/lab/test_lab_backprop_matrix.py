"""backprop-matrix: the report's matrix formulas equal autograd in float64, its slip does not."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.lab import backprop_matrix as exp
from chainrule.lab.result import Result

QUANTITIES = ["∂J/∂Ŷ", "δ^(3)", "∂J/∂W^(3)", "∂J/∂b^(3)", "∂J/∂A^(2)",
              "δ^(2)", "∂J/∂W^(2)", "∂J/∂b^(2)", "∂J/∂A^(1)",
              "δ^(1)", "∂J/∂W^(1)", "∂J/∂b^(1)", "∂J/∂A^(0)"]


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == exp.NAME == "backprop-matrix"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"] == {"seed": 0, "samples": 8, "hidden": [3, 3], "dataset": "xor",
                           "noise": 0.1}
    n = d["numbers"]
    assert n["network"] == "2-3-3-1" and n["samples"] == 8 and n["slip_layer"] == 2
    assert list(n["forward"]) == ["Z^(1)", "Z^(2)", "Z^(3)", "Ŷ = A^(3)", "J"]
    assert [*n["output_layer"], *n["hidden_layers"]] == QUANTITIES
    shapes = {k: r["shape"] for k, r in {**n["output_layer"], **n["hidden_layers"]}.items()}
    assert shapes["∂J/∂W^(1)"] == "2 × 3" and shapes["∂J/∂W^(3)"] == "3 × 1"
    assert shapes["δ^(2)"] == "8 × 3" and shapes["∂J/∂b^(2)"] == "3"
    assert shapes["∂J/∂A^(0)"] == "8 × 2"
    assert 0.5 < n["loss"] < 1.0           # near log 2: small weights, balanced labels
    assert result.conclusion and result.seconds > 0


def test_feedforward_and_every_hand_matrix_match_autograd(result):
    n = result.numbers
    assert all(r["matches"] and r["max_difference"] < 1e-12 for r in n["forward"].values())
    rows = {**n["output_layer"], **n["hidden_layers"]}
    assert all(r["matches"] and r["max_difference"] < 1e-6 for r in rows.values())
    assert n["largest_difference"] < 1e-12      # float64: rounding only


def test_hand_formulas_against_autograd_directly():
    """The module's formulas checked here on their own, on a 2-4-1 network with a
    mean-BCE loss: ∂J/∂W^(1) = X^T δ^(1) with δ^(1) = δ^(2) W^(2)^T ⊙ σ'(Z^(1))."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(5, 2)), rng.integers(0, 2, (5, 1)).astype(np.float64)
    W = [rng.normal(size=(2, 4)), rng.normal(size=(4, 1))]
    b = [rng.normal(size=4), rng.normal(size=1)]
    f = exp.feedforward(W, b, X)
    hand = exp.backward(W, f["A"], Y)
    params = [cr.tensor(w, requires_grad=True, dtype=np.float64) for w in (*W, *b)]
    a1 = cr.sigmoid(cr.tensor(X, dtype=np.float64) @ params[0] + params[2])
    J = cr.nn.functional.binary_cross_entropy(cr.sigmoid(a1 @ params[1] + params[3]), Y)
    J.backward()
    assert abs(exp.bce(f["A"][2], Y) - float(J.data)) < 1e-12
    for name, p in zip(("∂J/∂W^(1)", "∂J/∂W^(2)", "∂J/∂b^(1)", "∂J/∂b^(2)"), params):
        np.testing.assert_allclose(hand[name], p.grad.data, atol=1e-12, rtol=0)
    # δ^(2) = (Ŷ - Y) / N: the 1/N of the mean is inside ∂J/∂Ŷ
    np.testing.assert_allclose(hand["δ^(2)"], (f["A"][2] - Y) / 5, atol=1e-15)


def test_the_slip_disagrees_and_so_does_everything_below_it(result):
    n = result.numbers
    assert n["slip_difference"] > 1e-3
    assert all(not r["slip_matches"] and r["slip_difference"] > 1e-4
               for r in n["hidden_layers"].values())
    assert all("slip_difference" not in r for r in n["output_layer"].values())
    grads = n["slipped_weight_gradient"]
    assert grads["quantity"] == "∂J/∂W^(2)"
    np.testing.assert_allclose(grads["hand"], grads["autograd"], atol=1e-12)
    assert np.max(np.abs(np.subtract(grads["slip"], grads["autograd"]))) > 1e-3
    assert "disagrees with autograd" in result.conclusion


def test_the_slip_as_written_is_sigma_prime_squared():
    A = [np.zeros((2, 1)), np.array([[0.5], [0.2]]), np.array([[0.7], [0.4]])]
    slipped = exp.backward([np.ones((1, 1)), np.ones((1, 1))], A, np.ones((2, 1)),
                           slip_layer=1)
    np.testing.assert_allclose(slipped["δ^(1)"], (A[1] * (1 - A[1])) ** 2)


def test_conclusion_says_did_not_show_when_the_numbers_do_not(result):
    assert "did not show" not in result.conclusion
    no_slip = copy.deepcopy(result.numbers)
    no_slip["slip_difference"] = 0.0
    assert "The slip did not show" in exp.conclude(no_slip)
    off = copy.deepcopy(result.numbers)
    off["hidden_layers"]["∂J/∂W^(1)"].update(max_difference=0.3, matches=False)
    off["largest_difference"] = 0.3
    text = exp.conclude(off)
    assert "did not show agreement" in text and "∂J/∂W^(1)" in text
    fwd = copy.deepcopy(result.numbers)
    fwd["largest_forward_difference"] = 1.0
    assert "feedforward did not show" in exp.conclude(fwd)


def test_the_one_draw_and_the_tolerance_are_stated(result):
    n = result.numbers
    assert n["thresholds"] == {"TOLERANCE": exp.TOLERANCE} and n["seed"] == 0
    assert "Checked on the one data set and initialisation drawn with seed 0" in \
        result.conclusion
    assert "Thresholds: TOLERANCE = 1e-06." in result.conclusion
    strict = copy.deepcopy(n)                 # a tolerance below float64's rounding
    strict["thresholds"]["TOLERANCE"] = 0.0
    if strict["largest_difference"] > 0:
        assert "did not show agreement" in exp.conclude(strict)
    # another seed: another draw, the same verdicts
    other = exp.run(**exp.TINY, seed=3)
    assert other.numbers["largest_difference"] <= exp.TOLERANCE < other.numbers["slip_difference"]
    assert "drawn with seed 3" in other.conclusion


def test_deeper_network_and_other_data():
    r = exp.run(samples=6, hidden=(4, 3, 2), dataset="moons", seed=3)
    n = r.numbers
    assert n["network"] == "2-4-3-2-1" and n["slip_layer"] == 3
    assert n["largest_difference"] < 1e-12 and n["slip_difference"] > 1e-4
    assert len(n["hidden_layers"]) == 12 and "δ^(4)" in n["output_layer"]


def test_one_hidden_layer_slips_in_layer_1():
    n = exp.run(samples=4, hidden=(3,)).numbers
    assert n["network"] == "2-3-1" and n["slip_layer"] == 1
    assert list(n["hidden_layers"]) == ["δ^(1)", "∂J/∂W^(1)", "∂J/∂b^(1)", "∂J/∂A^(0)"]
    assert n["largest_difference"] < 1e-12 and n["slip_difference"] > 1e-4


def test_bad_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="hidden must list at least one"):
        exp.run(hidden=())
    with pytest.raises(ValueError, match="dataset"):
        cr.lab.run("backprop-matrix", dataset="spirals")
    with pytest.raises(ValueError, match=r"samples must be an int in \[2, 100000\], got 1"):
        cr.lab.run("backprop-matrix", samples=1)      # a toy set needs a point per class


def test_lab_run_quick_and_figure(saved_png_sizes):
    pytest.importorskip("matplotlib")
    r = cr.lab.run("backprop-matrix", quick=True)
    assert r.params["samples"] == 8 and set(r.figures) == {"differences"}
    assert set(r.figures) == set(exp.CAPTIONS)
    assert all(size > 5000 for size in saved_png_sizes(r.figures).values())
