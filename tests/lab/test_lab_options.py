"""Every experiment's options are checked against their meaning before anything runs:
the ranges each module declares (RANGES), the checks in cr.lab.run, and the CLI's
one-line error."""
from __future__ import annotations

import functools
import math

import pytest

import chainrule.lab as lab
from chainrule.cli import main
from chainrule.lab.options import Interval, Kind, check_value, kinds, parse_value, rules

NAN, INF = float("nan"), float("inf")

# At least one refused value per experiment (the three examples first), with the
# message's end: the option, the accepted range and the value received.
BAD = [
    ("chain-product", {"layers": 1}, "layers must be an int in [2, 1000], got 1"),
    ("backprop-matrix", {"samples": 1}, "samples must be an int in [2, 100000], got 1"),
    ("sigmoid-bound", {"x_max": NAN}, "x_max must be a number in (0, 1000], got nan"),
    ("sigmoid-bound", {"x_max": -1.0}, "x_max must be a number in (0, 1000], got -1.0"),
    ("losses", {"target_accuracy": 2.0}, "target_accuracy must be a number in (0, 1], got 2.0"),
    ("sigmoid-bound", {"grid_points": 2}, "grid_points must be an int in [3, 1e+07], got 2"),
    ("sigmoid-bound", {"max_depth": 0}, "max_depth must be an int in [1, 100000], got 0"),
    ("vanishing", {"layers": 1}, "layers must be an int >= 2, got 1"),
    ("vanishing", {"lr": INF}, "lr must be a finite number > 0, got inf"),
    ("vanishing", {"lr": 0.0}, "lr must be a finite number > 0, got 0.0"),
    ("vanishing", {"activations": ("sigmoid", "swish")},
     "every value of activations must be one of 'sigmoid', 'tanh', 'relu', 'leaky_relu', "
     "'sigmoid+skip', got 'swish' in ('sigmoid', 'swish')"),
    ("vanishing", {"activations": ()}, "activations needs at least one value, got none"),
    ("vanishing", {"seed": -1}, "seed must be an int >= 0, got -1"),
    ("skip", {"depths": (10, 1)}, "every value of depths must be an int >= 2, got 1 in (10, 1)"),
    ("skip", {"activation": "softmax"},
     "activation must be one of 'sigmoid', 'tanh', 'relu', 'leaky_relu', got 'softmax'"),
    ("degradation", {"seeds": 0}, "seeds must be an int >= 1, got 0"),
    ("degradation", {"lr": NAN}, "lr must be a finite number > 0, got nan"),
    ("shortcuts", {"aux_weight": -0.5}, "aux_weight must be a finite number >= 0, got -0.5"),
    ("shortcuts", {"head_every": 0}, "head_every must be an int >= 1, got 0"),
    ("losses", {"logit_min": -INF}, "logit_min must be a number in [-1000, 1000], got -inf"),
    ("losses", {"init_scale": 0.0}, "init_scale must be a finite number > 0, got 0.0"),
    ("learning-rate", {"lrs": (0.1, -1.0)},
     "every value of lrs must be a finite number > 0, got -1.0 in (0.1, -1.0)"),
    ("learning-rate", {"steps": 0}, "steps must be an int >= 1, got 0"),
    ("batching", {"minibatch_size": 0}, "minibatch_size must be an int >= 1, got 0"),
    ("batching", {"lr_stochastic": NAN}, "lr_stochastic must be a finite number > 0, got nan"),
    ("dying-relu", {"optimizer": "rmsprop"}, "optimizer must be one of 'adam', 'sgd', got "
                                            "'rmsprop'"),
    ("dying-relu", {"negative_slope": 1.0}, "negative_slope must be a number in (0, 1), got 1.0"),
    ("optimizers", {"net_lrs": (0.1, 0.1, 0.01, 0.0)},
     "every value of net_lrs must be a finite number > 0, got 0.0 in (0.1, 0.1, 0.01, 0.0)"),
    ("optimizers", {"start": (-9.0, INF)},
     "every value of start must be a finite number, got inf in (-9.0, inf)"),
]


@pytest.mark.parametrize("name, params, message", BAD,
                         ids=[f"{n}-{next(iter(p))}" for n, p, _ in BAD])
def test_a_value_out_of_range_is_refused_before_any_work(name, params, message, monkeypatch):
    module = lab.get(name)

    @functools.wraps(module.run)          # the same signature, for the registry to read
    def never(**kwargs):
        raise AssertionError("run() was called")

    monkeypatch.setattr(module, "run", never)
    with pytest.raises(ValueError) as e:
        lab.run(name, figures=False, **params)
    assert str(e.value) == f"{name}: {message}"
    assert "\n" not in str(e.value)


def test_every_experiment_is_covered_by_the_bad_values():
    assert {name for name, _, _ in BAD} == set(lab.names())


def test_every_parameter_has_a_declared_range():
    for name in lab.names():
        module = lab.get(name)
        params = lab.parameters(name)
        declared, types = rules(module), kinds(module, params)
        assert set(declared) <= set(params), name
        undeclared = [p for p in params if p not in declared and types[p].scalar is not bool]
        assert undeclared == [], f"{name}: no range for {undeclared}"


def test_defaults_and_tiny_parameters_are_in_range():
    for name in lab.names():
        module = lab.get(name)
        defaults = {p: v.default for p, v in lab.parameters(name).items()}
        assert lab.check(name, defaults) == {k: tuple(v) if isinstance(v, list) else v
                                             for k, v in defaults.items()}
        lab.check(name, dict(module.TINY))


def test_types_are_checked_and_values_normalised():
    with pytest.raises(TypeError, match="vanishing: layers must be an int >= 2, got True"):
        lab.check("vanishing", {"layers": True})
    with pytest.raises(TypeError, match="vanishing: layers must be an int >= 2, got 10.0"):
        lab.check("vanishing", {"layers": 10.0})
    with pytest.raises(TypeError, match="vanishing: lr must be a finite number > 0, got '0.1'"):
        lab.check("vanishing", {"lr": "0.1"})
    with pytest.raises(TypeError, match="skip: depths takes a sequence of values, got 10"):
        lab.check("skip", {"depths": 10})
    with pytest.raises(TypeError, match="degradation: scale_branches must be true or false"):
        lab.check("degradation", {"scale_branches": "no"})
    import numpy as np
    checked = lab.check("vanishing", {"lr": 1, "layers": np.int64(3), "activations": ["relu"]})
    assert checked == {"lr": 1.0, "layers": 3, "activations": ("relu",)}
    assert type(checked["lr"]) is float and type(checked["layers"]) is int


def test_a_cross_parameter_check_stays_in_run():
    # Each end is in range; their order is run()'s to check.
    with pytest.raises(ValueError, match="losses: need logit_min < logit_max"):
        lab.run("losses", quick=True, figures=False, logit_min=5.0, logit_max=-5.0)


def test_intervals():
    assert 0.5 in Interval.parse("(0, 1]") and 1.0 in Interval.parse("(0, 1]")
    assert 0.0 not in Interval.parse("(0, 1]") and NAN not in Interval.parse("(-inf, inf)")
    assert INF not in Interval.parse("(0, inf)") and INF in Interval.parse("[0, inf]")
    assert Interval.parse("[2, inf)").describe("an int") == "an int >= 2"
    assert Interval.parse("(-inf, 0]").describe("a number") == "a number <= 0"
    with pytest.raises(ValueError, match="a range is written like"):
        Interval.parse("0..1")
    rule = Interval.parse("(0, inf)")
    assert check_value("x", "lr", 2, Kind(float), rule) == 2.0
    with pytest.raises(ValueError, match="x: lr must be a finite number > 0, got -inf"):
        check_value("x", "lr", -math.inf, Kind(float), rule)


def test_parse_value_reads_command_line_text():
    assert parse_value("e", "layers", "10", Kind(int)) == 10
    assert parse_value("e", "lr", "1e-3", Kind(float)) == 0.001
    assert parse_value("e", "flag", "False", Kind(bool)) is False
    assert parse_value("e", "depths", "3:12", Kind(int, True)) == (3, 12)
    with pytest.raises(ValueError, match="e: layers takes whole numbers such as 10, got '2.5'"):
        parse_value("e", "layers", "2.5", Kind(int))
    with pytest.raises(ValueError, match="e: flag takes true or false, got 'maybe'"):
        parse_value("e", "flag", "maybe", Kind(bool))


# ------------------------------------------------------------------ the command line
@pytest.mark.parametrize("argv, message", [
    (["sigmoid-bound", "--x-max", "nan"],
     "chainrule lab sigmoid-bound: error: sigmoid-bound: x_max must be a number in "
     "(0, 1000], got nan"),
    (["sigmoid-bound", "--x-max", "-1"],
     "chainrule lab sigmoid-bound: error: sigmoid-bound: x_max must be a number in "
     "(0, 1000], got -1.0"),
    (["losses", "--target-accuracy", "2"],
     "chainrule lab losses: error: losses: target_accuracy must be a number in (0, 1], "
     "got 2.0"),
    (["vanishing", "--quick", "--layers", "1"],
     "chainrule lab vanishing: error: vanishing: layers must be an int >= 2, got 1"),
    (["dying-relu", "--optimizer", "rmsprop"],
     "chainrule lab dying-relu: error: dying-relu: optimizer must be one of 'adam', 'sgd', "
     "got 'rmsprop'"),
])
def test_cli_bad_value_is_one_line_and_exit_2(capsys, tmp_path, argv, message):
    code = main(["lab", *argv, "--out", str(tmp_path / "never")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [message]
    assert not list((tmp_path / "never").glob("*.json"))          # nothing ran
