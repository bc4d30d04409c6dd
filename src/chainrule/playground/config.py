"""The playground's setup: URL-hash names (TF Playground's, plus ours) -> a typed, checked
``Config``.

Values arrive as the hash spells them (strings: ``"8,8"``, ``"true"``, ``"0.03"``) or as
JSON values (numbers, booleans, a list for ``networkShape``); a partial setup is merged
onto the defaults, which are TF Playground's (circle, tanh, 4,2, learning rate 0.03, batch
10, x and y). Anything out of range is a ``PlaygroundError`` naming the field.

>>> cfg = parse_config({"networkShape": "8,8", "activation": "relu", "sinX": "true"})
>>> cfg.networkShape, cfg.features
((8, 8), ('x', 'y', 'sinX'))
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any, Mapping
from urllib.parse import unquote

from .errors import N_, PlaygroundError

__all__ = ["Config", "DEFAULTS", "LIMITS", "FEATURE_NAMES", "parse_config", "parse_hash",
           "LIVE_KEYS", "connections"]

FEATURE_NAMES = ("x", "y", "xTimesY", "xSquared", "ySquared", "sinX", "sinY")

LIMITS = {"maxLayers": 32, "maxNeurons": 64, "maxPoints": 2000, "minPoints": 20,
          "maxConnections": 131072, "maxBatchSize": 500, "maxClasses": 8,
          "maxLearningRate": 100.0, "maxRegularizationRate": 10.0, "maxNoise": 50,
          "maxSeed": 2**31 - 1}

# Settings that change how training continues, not what is trained: changing only these
# keeps the network (TF Playground keeps it for the learning rate too).
LIVE_KEYS = frozenset({"learningRate", "showTestData", "discretize", "lang"})

# TF Playground's hash names that this playground does not use; a pasted TF URL still works.
_IGNORED = frozenset({"collectStats", "hideText", "cosX", "cosY", "initZero", "tutorial"})

_CHOICES = {
    "dataset": ("circle", "xor", "gauss", "spiral"),
    "regDataset": ("reg-plane", "reg-gauss"),
    "problem": ("classification", "regression"),
    "activation": ("relu", "tanh", "sigmoid", "linear", "leakyrelu"),
    "regularization": ("none", "L1", "L2"),
    "loss": ("bce", "mse"),
    "optimizer": ("sgd", "momentum", "rmsprop", "adam"),
    "init": ("xavier", "kaiming", "normal", "large", "zeros"),
    "lang": ("en", "vi"),
}
_BOOLS = frozenset(FEATURE_NAMES + ("showTestData", "discretize", "skip"))
_INTS = {"batchSize": (1, LIMITS["maxBatchSize"]), "seed": (0, LIMITS["maxSeed"]),
         "classes": (2, LIMITS["maxClasses"]),
         "points": (LIMITS["minPoints"], LIMITS["maxPoints"])}
# (low, high, low is allowed)
_FLOATS = {"learningRate": (0.0, LIMITS["maxLearningRate"], False),
           "regularizationRate": (0.0, LIMITS["maxRegularizationRate"], True),
           "noise": (0.0, float(LIMITS["maxNoise"]), True),
           "percTrainData": (10.0, 90.0, True)}


@dataclass(frozen=True)
class Config:
    """One setup of the playground, every field under its URL-hash name."""
    dataset: str = "circle"
    regDataset: str = "reg-plane"
    problem: str = "classification"
    activation: str = "tanh"
    networkShape: tuple = (4, 2)
    learningRate: float = 0.03
    batchSize: int = 10
    noise: float = 0.0
    percTrainData: float = 50.0
    regularization: str = "none"
    regularizationRate: float = 0.0
    seed: int = 0
    x: bool = True
    y: bool = True
    xTimesY: bool = False
    xSquared: bool = False
    ySquared: bool = False
    sinX: bool = False
    sinY: bool = False
    showTestData: bool = False
    discretize: bool = False
    loss: str = "bce"
    optimizer: str = "sgd"
    init: str = "xavier"
    skip: bool = False
    lang: str = "en"
    classes: int = 2
    points: int = 500

    @property
    def features(self) -> tuple:
        """The input features switched on, in TF Playground's order."""
        return tuple(name for name in FEATURE_NAMES if getattr(self, name))

    @property
    def num_classes(self) -> int:
        """Output classes (0 for regression)."""
        return 0 if self.problem == "regression" else self.classes

    @property
    def data_name(self) -> str:
        """The data set drawn: ``dataset`` for classification, ``regDataset`` otherwise."""
        return self.dataset if self.problem == "classification" else self.regDataset

    @property
    def outputs(self) -> int:
        return self.classes if self.num_classes > 2 else 1

    @property
    def layer_sizes(self) -> list:
        """Features, hidden layers, output: the widths the page draws."""
        return [len(self.features), *self.networkShape, self.outputs]

    def to_dict(self) -> dict:
        """The setup with typed values (``networkShape`` a list), as sent to the page."""
        out = dataclasses.asdict(self)
        out["networkShape"] = list(self.networkShape)
        return out

    def to_hash(self) -> str:
        """The URL hash of this setup ("#dataset=circle&..."); parse_hash reads it back."""
        def text(v):
            if isinstance(v, bool):
                return "true" if v else "false"
            if isinstance(v, (list, tuple)):
                return ",".join(map(str, v))
            return f"{v:g}" if isinstance(v, float) else str(v)
        return "#" + "&".join(f"{k}={text(v)}" for k, v in self.to_dict().items())

    def replace(self, **changes) -> "Config":
        return parse_config({**self.to_dict(), **changes})

    def live_change(self, other: "Config") -> bool:
        """Whether ``other`` differs from this setup only in LIVE_KEYS (same network)."""
        return all(getattr(self, f.name) == getattr(other, f.name)
                   for f in fields(self) if f.name not in LIVE_KEYS)


DEFAULTS = Config()


def connections(sizes) -> int:
    """The number of weights between consecutive layers of these widths."""
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


# --------------------------------------------------------------------- parsing
def parse_config(raw: Mapping[str, Any] | None = None) -> Config:
    """A checked Config from hash names -> values, merged onto the defaults."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise PlaygroundError(N_("the setup must be an object of name: value pairs, got "
                                 "{value}"), None, value=_show(raw))
    values = {}
    known = {f.name for f in fields(Config)}
    for name, value in raw.items():
        if name in _IGNORED:
            continue
        if name not in known:
            raise PlaygroundError(N_("unknown setting {name!r}; the settings are: {known}"),
                                  str(name)[:40], name=str(name)[:40],
                                  known=", ".join(sorted(known)))
        values[name] = _parse_value(name, value)
    cfg = dataclasses.replace(DEFAULTS, **values)
    _check_whole(cfg)
    return cfg


def parse_hash(text: str) -> Config:
    """A Config from a URL hash such as "#dataset=xor&networkShape=8,8" (values
    percent-decoded; a name without "=" is an error)."""
    pairs = {}
    for item in text.lstrip("#").split("&"):
        if not item:
            continue
        name, sep, value = item.partition("=")
        if not sep:
            raise PlaygroundError(N_("expected name=value in the URL hash, got {value}"),
                                  None, value=_show(item))
        pairs[unquote(name)] = unquote(value)
    return parse_config(pairs)


def _parse_value(name: str, value):
    if name in _CHOICES:
        return _choice(name, value, _CHOICES[name])
    if name in _BOOLS:
        return _bool(name, value)
    if name in _INTS:
        return _int(name, value, *_INTS[name])
    if name in _FLOATS:
        return _float(name, value, *_FLOATS[name])
    assert name == "networkShape", name
    return _shape(value)


def _show(value) -> str:
    """A short repr of a received value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _choice(name: str, value, options: tuple) -> str:
    if isinstance(value, str):
        for option in options:        # L1 / l1, Tanh / tanh
            if value.strip().lower() == option.lower():
                return option
    raise PlaygroundError(N_("{name} must be one of {options}, got {value}"), name,
                          name=name, options=", ".join(options), value=_show(value))


def _bool(name: str, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PlaygroundError(N_("{name} must be true or false, got {value}"), name,
                          name=name, value=_show(value))


def _number(name: str, value) -> float:
    """A finite number from a JSON number or a numeric string (booleans are not numbers)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    else:
        number = None
    if number is None or not math.isfinite(number):
        raise PlaygroundError(N_("{name} must be a number, got {value}"), name, name=name,
                              value=_show(value))
    return number


def _int(name: str, value, low: int, high: int) -> int:
    number = _number(name, value)
    if number != int(number) or not low <= number <= high:
        raise PlaygroundError(N_("{name} must be a whole number from {low} to {high}, got "
                                 "{value}"), name, name=name, low=low, high=high,
                              value=_show(value))
    return int(number)


def _float(name: str, value, low: float, high: float, low_ok: bool) -> float:
    number = _number(name, value)
    if not (low <= number if low_ok else low < number) or number > high:
        template = (N_("{name} must be a number from {low} to {high}, got {value}") if low_ok
                    else N_("{name} must be a number above {low} and at most {high}, got "
                            "{value}"))
        raise PlaygroundError(template, name, name=name, low=_g(low), high=_g(high),
                              value=_show(value))
    return number


def _g(x: float) -> str:
    return f"{x:g}"


def _shape(value) -> tuple:
    """networkShape: "8,8,4", "" (no hidden layer), a list of ints, or one int."""
    name = "networkShape"
    if isinstance(value, str):
        if len(value) > 400:
            raise PlaygroundError(N_("{name} is too long: at most {high} layers"), name,
                                  name=name, high=LIMITS["maxLayers"])
        items = value.replace(" ", "").split(",") if value.strip() else []
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        items = [value]
    else:
        raise PlaygroundError(N_("{name} must list the neurons of each hidden layer, e.g. "
                                 "4,2, got {value}"), name, name=name, value=_show(value))
    if len(items) > LIMITS["maxLayers"]:
        raise PlaygroundError(N_("{name} has {count} hidden layers; at most {high} are "
                                 "allowed"), name, name=name, count=len(items),
                              high=LIMITS["maxLayers"])
    widths = []
    for item in items:
        try:
            widths.append(_int(name, item, 1, LIMITS["maxNeurons"]))
        except PlaygroundError:
            raise PlaygroundError(N_("each layer of {name} must have 1 to {high} neurons, "
                                     "got {value}"), name, name=name,
                                  high=LIMITS["maxNeurons"], value=_show(item)) from None
    return tuple(widths)


def _check_whole(cfg: Config) -> None:
    """Rules that involve several settings."""
    if not cfg.features:
        raise PlaygroundError(N_("switch on at least one input feature (x, y, ...)"), "x")
    if cfg.classes > 2 and (cfg.problem != "classification"
                            or cfg.dataset not in ("spiral", "gauss")):
        raise PlaygroundError(N_("classes above 2 need problem classification and dataset "
                                 "spiral or gauss, got {classes} classes with {data}"),
                              "classes", classes=cfg.classes, data=cfg.data_name)
    total = connections(cfg.layer_sizes)
    if total > LIMITS["maxConnections"]:
        raise PlaygroundError(N_("the network has {count} weights; at most {high} are "
                                 "allowed"), "networkShape", count=total,
                              high=LIMITS["maxConnections"])
