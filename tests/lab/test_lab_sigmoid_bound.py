"""sigmoid-bound: sigma' <= 1/4 with the maximum at 0, and the exact underflow depths."""
from __future__ import annotations

import copy
import json

import pytest

from chainrule.lab import sigmoid_bound as exp
from chainrule.lab.result import Result


@pytest.fixture(scope="module")
def result():
    return exp.run(**exp.TINY)


def test_result_is_well_formed(result):
    assert isinstance(result, Result) and result.name == exp.NAME == "sigmoid-bound"
    d = json.loads(json.dumps(result.to_dict()))
    assert d["params"] == {"seed": 0, **exp.TINY, "x_max": 10.0}
    for key in ("max_derivative", "argmax_x", "points_above_quarter", "quarter_power",
                "float32", "float64"):
        assert key in d["numbers"]
    assert result.conclusion and result.seconds > 0


def test_sigmoid_derivative_is_at_most_a_quarter_with_the_maximum_at_zero(result):
    n = result.numbers
    assert n["max_derivative"] == 0.25 and n["argmax_x"] == 0.0
    assert n["points_above_quarter"] == 0
    assert n["max_abs_diff_from_finite_difference"] < 1e-9
    assert n["quarter_power"][:3] == [0.25, 0.0625, 0.015625]
    assert len(n["quarter_power"]) == exp.TINY["max_depth"]


def test_underflow_depths_are_exact(result):
    f32, f64 = result.numbers["float32"], result.numbers["float64"]
    # 1/4 = 2^-2: 2^-126 is float32's smallest normal (L = 63), 2^-149 its smallest
    # subnormal (2^-148 at L = 74 survives, 2^-150 rounds to 0).
    assert (f32["below_normal_depth"], f32["zero_depth"]) == (64, 75)
    assert (f64["below_normal_depth"], f64["zero_depth"]) == (512, 538)
    assert f32["products"][62] == 2.0 ** -126 and f32["products"][73] == 2.0 ** -148
    assert f32["products"][-1] == 0.0 and f64["products"][-2] == 2.0 ** -1074
    assert "L = 75" in result.conclusion and "L = 538" in result.conclusion


def test_conclusion_says_when_the_bound_did_not_show(result):
    bad = copy.deepcopy(result.numbers)
    bad["max_derivative"], bad["argmax_x"], bad["points_above_quarter"] = 0.3, 0.5, 7
    text = exp.conclude(bad)
    assert "did not show" in text and "did not show" not in result.conclusion
    no_underflow = copy.deepcopy(result.numbers)
    no_underflow["float32"]["zero_depth"] = None
    assert "did not underflow" in exp.conclude(no_underflow)


def test_deterministic_and_its_tolerance_is_recorded_and_printed(result):
    assert result.numbers["thresholds"] == {"BOUND_TOLERANCE": exp.BOUND_TOLERANCE}
    assert "the seed does not enter" in result.conclusion
    assert "Thresholds: BOUND_TOLERANCE = 1e-12." in result.conclusion
    # nothing is random: another seed gives the same numbers
    assert exp.run(**exp.TINY, seed=5).numbers == result.numbers
    off = copy.deepcopy(result.numbers)             # a maximum a hair above 1/4 ...
    off["max_derivative"] = 0.25 + 1e-9
    assert "The bound did not show as stated" in exp.conclude(off)
    off["thresholds"]["BOUND_TOLERANCE"] = 1e-6      # ... is within a looser tolerance
    assert "never exceeds 1/4" in exp.conclude(off)


def test_figures_save(result, tmp_path, saved_png_sizes):
    pytest.importorskip("matplotlib")
    figs = exp.plot(result)
    assert set(figs) == {"sigmoid", "underflow"}
    assert all(size > 5000 for size in saved_png_sizes(figs).values())
