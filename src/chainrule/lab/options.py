"""What each experiment parameter accepts, checked before anything runs.

An experiment module declares ``RANGES``: parameter -> an interval written as in
mathematics, or a tuple of choices. The interval's type (int or float) and whether the
parameter takes one value or a sequence come from ``run``'s signature, so a declaration
says only what the value means:

    RANGES = {"layers": "[2, inf)",          # an int >= 2 (run's annotation says int)
              "lr": "(0, inf)",              # a finite float > 0: NaN and inf refused
              "target_accuracy": "(0, 1]",
              "activations": ("sigmoid", "tanh")}   # each value of a sequence is checked

``seed`` is checked for every experiment (an int >= 0) unless the module says otherwise.
An infinite endpoint is open unless written closed (``[0, inf]``), so ``(0, inf)`` refuses
inf; NaN fails every comparison and is refused by every interval.

>>> import chainrule as cr
>>> cr.lab.check("vanishing", {"layers": 1})   # lab.run checks the same way
Traceback (most recent call last):
ValueError: vanishing: layers must be an int >= 2, got 1

``parse_value`` turns command-line text into a parameter's value (the sweep's grid).
"""
from __future__ import annotations

import inspect
import math
import numbers
import re
import types
import typing
from dataclasses import dataclass

import numpy as np

__all__ = ["Interval", "Kind", "check", "kind", "parse_value", "spec", "COMMON_RANGES"]

COMMON_RANGES = {"seed": "[0, inf)"}
"""Ranges every experiment gets unless its RANGES overrides them."""

_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])\s*$")
_TRUE, _FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


@dataclass(frozen=True)
class Interval:
    """A set of numbers such as [2, inf) or (0, 1]."""

    low: float
    high: float
    low_closed: bool
    high_closed: bool

    @classmethod
    def parse(cls, text: str) -> "Interval":
        m = _INTERVAL.match(text)
        if not m:
            raise ValueError(f"lab: a range is written like '[2, inf)' or '(0, 1]', got {text!r}")
        left, low, high, right = m.groups()
        return cls(float(low), float(high), left == "[", right == "]")

    def __contains__(self, value) -> bool:
        # NaN compares false both ways, so no interval contains it.
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return bool(above and below)

    def describe(self, noun: str) -> str:
        """'an int >= 2', 'a number in (0, 1]', 'a finite number': what it accepts."""
        lo, hi = _endpoint(self.low), _endpoint(self.high)
        if self.low == -math.inf and self.high == math.inf:
            return noun
        if self.high == math.inf and not self.high_closed:
            return f"{noun} {'>=' if self.low_closed else '>'} {lo}"
        if self.low == -math.inf and not self.low_closed:
            return f"{noun} {'<=' if self.high_closed else '<'} {hi}"
        return (f"{noun} in {'[' if self.low_closed else '('}{lo}, {hi}"
                f"{']' if self.high_closed else ')'}")


def _endpoint(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"


@dataclass(frozen=True)
class Kind:
    """A parameter's type as run()'s signature gives it: the scalar type (int, float,
    str, bool) and whether it takes a sequence of them (a tuple such as depths)."""

    scalar: type
    sequence: bool = False
    length: int | None = None        # a fixed-length tuple, e.g. tuple[float, float]


def kind(param: inspect.Parameter, hint=None) -> Kind:
    """The Kind of one of run()'s parameters, from its annotation, else its default."""
    default = param.default
    origin, args = typing.get_origin(hint), [a for a in typing.get_args(hint)
                                             if a is not type(None)]
    if origin in (typing.Union, types.UnionType) and args:      # X | None: an X
        hint = args[0]
        origin, args = typing.get_origin(hint), list(typing.get_args(hint))
    if origin in (tuple, list) or hint in (tuple, list) or isinstance(default, (tuple, list)):
        element = next((a for a in args if a in (int, float, str, bool)), None)
        if element is None:
            element = type(default[0]) if isinstance(default, (tuple, list)) and default else str
        fixed = origin is tuple and args and Ellipsis not in args
        return Kind(element, True, len(args) if fixed else None)
    if hint in (int, float, str, bool):
        return Kind(hint)
    if isinstance(default, bool):
        return Kind(bool)
    return Kind(type(default) if default not in (param.empty, None) else str)


def spec(declared):
    """A RANGES entry as an Interval or a tuple of choices."""
    if isinstance(declared, str):
        return Interval.parse(declared)
    if isinstance(declared, (tuple, list, set, frozenset)) and declared:
        return tuple(declared)
    raise TypeError(f"lab: a RANGES entry is an interval string such as '[2, inf)' or a tuple "
                    f"of choices, got {declared!r}")


def _noun(scalar: type) -> str:
    return {int: "an int", float: "a number", bool: "true or false"}.get(scalar, "a string")


def _expected(rule, scalar: type) -> str:
    if isinstance(rule, Interval):
        unbounded = ((rule.low == -math.inf and not rule.low_closed)
                     or (rule.high == math.inf and not rule.high_closed))
        noun = "a finite number" if scalar is float and unbounded else _noun(scalar)
        return rule.describe(noun)
    return "one of " + ", ".join(map(repr, rule))


def _one(experiment: str, name: str, value, k: Kind, rule, where: str = ""):
    """Check one scalar value; return it as run() expects it (an int for a float
    parameter becomes a float, so 1 and 1.0 are the same run)."""
    got = f"got {value!r}{where}"
    if k.scalar is bool:
        if not isinstance(value, (bool, _np_bool())):
            raise TypeError(f"{experiment}: {name} must be true or false, {got}")
        return bool(value)
    if rule is None:
        return value
    if isinstance(rule, Interval):
        integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (integral if k.scalar is int else real):
            raise TypeError(f"{experiment}: {name} must be {_expected(rule, k.scalar)}, {got}")
        if value not in rule:
            raise ValueError(f"{experiment}: {name} must be {_expected(rule, k.scalar)}, {got}")
        return int(value) if k.scalar is int else float(value)
    if value not in rule:
        raise ValueError(f"{experiment}: {name} must be {_expected(rule, k.scalar)}, {got}")
    return value


def _np_bool():
    return np.bool_


def check_value(experiment: str, name: str, value, k: Kind, rule):
    """Check a parameter's value against its Kind and rule (None: only bools are
    checked); return it normalised. Raises a one-line ValueError (out of range) or
    TypeError (not a number, a string where a sequence is expected)."""
    if not k.sequence:
        return _one(experiment, name, value, k, rule)
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise TypeError(f"{experiment}: {name} takes a sequence of values, got {value!r}")
    if not value:
        raise ValueError(f"{experiment}: {name} needs at least one value, got none")
    if k.length is not None and len(value) != k.length:
        raise ValueError(f"{experiment}: {name} takes {k.length} values, got {len(value)}")
    if rule is None and k.scalar is not bool:
        return tuple(value)
    shown = f" in {tuple(value)!r}"
    return tuple(_one(experiment, f"every value of {name}", v, k, rule, shown) for v in value)


def rules(module) -> dict:
    """parameter -> Interval or choices, from COMMON_RANGES and the module's RANGES."""
    declared = {**COMMON_RANGES, **getattr(module, "RANGES", {})}
    return {name: spec(text) for name, text in declared.items()}


def kinds(module, params: dict[str, inspect.Parameter]) -> dict[str, Kind]:
    try:
        hints = typing.get_type_hints(module.run)
    except Exception:       # noqa: BLE001 -- an unresolvable annotation: use the defaults
        hints = {}
    return {name: kind(p, hints.get(name)) for name, p in params.items()}


def check(experiment: str, module, params: dict[str, inspect.Parameter], given: dict) -> dict:
    """Check every given value of experiment's run() against its declared range; return
    the values normalised (see check_value). The first bad one raises."""
    declared, types_ = rules(module), kinds(module, params)
    unknown = set(declared) - set(params) - set(COMMON_RANGES)
    if unknown:
        raise TypeError(f"lab: {experiment}'s RANGES names {', '.join(sorted(unknown))}, which "
                        f"run() does not take")
    return {name: check_value(experiment, name, value, types_[name], declared.get(name))
            if name in types_ else value for name, value in given.items()}


def parse_value(experiment: str, name: str, text: str, k: Kind):
    """Command-line text as a value of a parameter of Kind k: '10' for an int, '0.1' for
    a float, 'true'/'false' for a bool; a sequence's values separated by ':' ('3:12').
    Raises a one-line ValueError saying what was expected."""
    if k.sequence:
        return tuple(parse_value(experiment, name, part, Kind(k.scalar))
                     for part in text.split(":"))
    text = text.strip()
    if k.scalar is bool:
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"{experiment}: {name} takes true or false, got {text!r}")
    if k.scalar in (int, float):
        try:
            return k.scalar(text)
        except ValueError:
            example = "whole numbers such as 10" if k.scalar is int else "numbers such as 0.1"
            raise ValueError(f"{experiment}: {name} takes {example}, got {text!r}") from None
    return text
