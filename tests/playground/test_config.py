"""The playground's setup: URL-hash names -> a typed, checked Config."""
from __future__ import annotations

import pytest

from chainrule.playground.config import DEFAULTS, LIMITS, Config, parse_config, parse_hash
from chainrule.playground.errors import PlaygroundError


def test_defaults_are_tf_playgrounds():
    cfg = parse_config({})
    assert cfg == DEFAULTS
    assert (cfg.dataset, cfg.activation, cfg.networkShape, cfg.learningRate) == \
        ("circle", "tanh", (4, 2), 0.03)
    assert (cfg.batchSize, cfg.noise, cfg.percTrainData, cfg.regularization) == \
        (10, 0.0, 50.0, "none")
    assert cfg.features == ("x", "y")
    assert cfg.layer_sizes == [2, 4, 2, 1]


def test_hash_strings_become_typed_values():
    cfg = parse_hash("#dataset=spiral&networkShape=8,8,4&learningRate=0.3&batchSize=25"
                     "&noise=15&percTrainData=70&regularization=L2&regularizationRate=0.001"
                     "&x=false&y=true&sinX=true&xTimesY=true&showTestData=true&discretize=true"
                     "&activation=relu&problem=classification&seed=7&loss=mse"
                     "&optimizer=adam&init=kaiming&skip=true&lang=vi&classes=3")
    assert cfg.dataset == "spiral" and cfg.networkShape == (8, 8, 4)
    assert cfg.learningRate == 0.3 and cfg.batchSize == 25 and cfg.noise == 15.0
    assert cfg.percTrainData == 70.0 and cfg.regularization == "L2"
    assert cfg.regularizationRate == 0.001 and cfg.seed == 7 and cfg.classes == 3
    assert cfg.features == ("y", "xTimesY", "sinX")
    assert cfg.showTestData is True and cfg.discretize is True and cfg.skip is True
    assert (cfg.loss, cfg.optimizer, cfg.init, cfg.lang) == ("mse", "adam", "kaiming", "vi")
    assert cfg.layer_sizes == [3, 8, 8, 4, 3]


def test_json_values_and_partial_setups_merge_onto_the_defaults():
    cfg = parse_config({"networkShape": [3], "learningRate": 1, "skip": True})
    assert cfg.networkShape == (3,) and cfg.learningRate == 1.0 and cfg.skip is True
    assert cfg.activation == "tanh"          # untouched names keep their defaults
    assert parse_config({"networkShape": ""}).networkShape == ()    # no hidden layer
    assert parse_config({"regularization": "l1"}).regularization == "L1"


def test_hash_round_trip():
    cfg = parse_config({"networkShape": "8,2", "noise": 5, "sinY": True, "seed": 3})
    assert parse_hash(cfg.to_hash()) == cfg
    assert parse_config(cfg.to_dict()) == cfg


def test_tf_playgrounds_unused_names_are_ignored():
    cfg = parse_hash("#collectStats=false&hideText=false&cosX=false&cosY=false&dataset=xor")
    assert cfg.dataset == "xor"


def test_live_change_is_only_the_learning_rate_and_display():
    cfg = parse_config({})
    assert cfg.live_change(cfg.replace(learningRate=0.1, showTestData=True, lang="vi"))
    assert not cfg.live_change(cfg.replace(batchSize=5))
    assert not cfg.live_change(cfg.replace(networkShape=[8]))


@pytest.mark.parametrize("raw, field, words", [
    ({"dataset": "moons"}, "dataset", "circle, xor, gauss, spiral"),
    ({"activation": 3}, "activation", "relu"),
    ({"learningRate": "fast"}, "learningRate", "must be a number"),
    ({"learningRate": 0}, "learningRate", "above 0"),
    ({"learningRate": "nan"}, "learningRate", "must be a number"),
    ({"learningRate": 1e9}, "learningRate", "at most 100"),
    ({"learningRate": True}, "learningRate", "must be a number"),
    ({"batchSize": 2.5}, "batchSize", "whole number"),
    ({"batchSize": 0}, "batchSize", "from 1 to 500"),
    ({"noise": -1}, "noise", "from 0 to 50"),
    ({"percTrainData": 95}, "percTrainData", "from 10 to 90"),
    ({"seed": -1}, "seed", "whole number"),
    ({"x": "yes"}, "x", "true or false"),
    ({"networkShape": "8,x"}, "networkShape", "1 to 64 neurons"),
    ({"networkShape": "8,0"}, "networkShape", "1 to 64 neurons"),
    ({"networkShape": [65]}, "networkShape", "1 to 64 neurons"),
    ({"networkShape": ",".join(["2"] * 33)}, "networkShape", "at most 32"),
    ({"networkShape": {"a": 1}}, "networkShape", "neurons of each hidden layer"),
    ({"x": False, "y": False}, "x", "at least one input feature"),
    ({"classes": 3}, "classes", "spiral or gauss"),
    ({"classes": 9, "dataset": "spiral"}, "classes", "from 2 to 8"),
    ({"volume": 11}, "volume", "unknown setting"),
])
def test_bad_values_name_the_field(raw, field, words):
    with pytest.raises(PlaygroundError) as info:
        parse_config(raw)
    assert info.value.field == field
    assert words in str(info.value)


def test_not_an_object():
    with pytest.raises(PlaygroundError, match="object of name: value pairs"):
        parse_config(["dataset", "xor"])
    with pytest.raises(PlaygroundError, match="name=value"):
        parse_hash("#dataset")


def test_the_caps_hold_at_the_largest_network():
    """32 layers of 64 neurons with every feature is allowed and stays under the weight
    cap; the numbers the page is told are the ones enforced."""
    cfg = parse_config({"networkShape": ",".join(["64"] * 32), "xTimesY": True,
                        "xSquared": True, "ySquared": True, "sinX": True, "sinY": True,
                        "dataset": "spiral", "classes": 8})
    assert len(cfg.networkShape) == LIMITS["maxLayers"]
    assert isinstance(cfg, Config)
