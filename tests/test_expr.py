"""The expression parser: the grammar, the graphs it builds, and everything it refuses."""
from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

from chainrule import expr
from chainrule.expr import ExprError, parse, parse_values


def value(source, **values):
    f, _ = parse(source).build(values)
    return f.item()


@pytest.mark.parametrize("source, values, expected", [
    ("(x + y) * z", dict(x=3, y=-4, z=5), -5.0),
    ("1 + 2 * 3", {}, 7.0),
    ("(1 + 2) * 3", {}, 9.0),
    ("2 ** 3 ** 2", {}, 512.0),             # ** groups to the right
    ("-x**2", dict(x=3), -9.0),             # as in Python: -(x**2)
    ("2**-1", {}, 0.5),
    ("- -x", dict(x=2), 2.0),
    ("+x", dict(x=2), 2.0),
    ("8 / 4 / 2", {}, 1.0),                 # / groups to the left
    ("10 - 4 - 3", {}, 3.0),
    ("1.5e1 + .5 + 2.", {}, 17.5),
    ("exp(0) + log(1) + sqrt(9) + abs(-2)", {}, 6.0),
    ("sigmoid(0) + tanh(0) + relu(-3) + relu(2)", {}, 2.5),
    ("sigmoid(t0 + t1 * x)", dict(x=1, t0=-3, t1=3), 0.5),
    ("x_1 * X2", dict(x_1=2, X2=3), 6.0),
])
def test_values(source, values, expected):
    assert value(source, **values) == pytest.approx(expected, rel=1e-12)


def test_gradients_match_the_engine_and_numbers():
    f, leaves = parse("x * exp(y) / (1 + x**2) - tanh(x * y)").build(dict(x=0.7, y=-1.3))
    f.backward()
    x, y = 0.7, -1.3
    dx = math.exp(y) * (1 - x**2) / (1 + x**2) ** 2 - y * (1 - math.tanh(x * y) ** 2)
    dy = x * math.exp(y) / (1 + x**2) - x * (1 - math.tanh(x * y) ** 2)
    assert leaves["x"].grad.item() == pytest.approx(dx, rel=1e-12)
    assert leaves["y"].grad.item() == pytest.approx(dy, rel=1e-12)


def test_variables_and_leaves():
    e = parse("sigmoid(t0 + t1 * x) + t0")
    assert e.variables == ("t0", "t1", "x")           # order of first appearance
    f, leaves = e.build(dict(x=1, t0=-3, t1=3))
    assert list(leaves) == ["t0", "t1", "x"]
    assert all(t.requires_grad and t.name == n and t.dtype == np.float64
               for n, t in leaves.items())


def test_never_calls_python_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must not evaluate Python")
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", forbidden)
    assert value("(x + y) * z", x=3, y=-4, z=5) == -5.0
    with pytest.raises(ExprError):
        parse("__import__('os').system('echo hacked')")


REFUSED = [
    # source, position, words in the message
    ("__import__('os')", 1, "unknown function '__import__'"),
    ("__import__('os').system('ls')", 1, "unknown function '__import__'"),
    ("x.real", 2, "attribute access"),
    ("x.__class__", 2, "attribute access"),
    ("open('f')", 1, "unknown function 'open'"),
    ("foo(x)", 1, "unknown function 'foo'"),
    ("1 +", 4, "found the end of the expression"),
    ("", None, "empty"),
    ("   ", None, "empty"),
    ("(x + 1", 7, "expected ')' to close the '(' at position 1"),
    ("x + 1)", 6, "unexpected ')'"),
    ("2x", 2, "write 2*x"),
    ("x y", 3, "operator missing"),
    ("x ^ 2", 3, "write ** for a power"),
    ("x = 3", 3, "give values separately"),
    ("'x'", 1, "strings are not part"),
    ("x[0]", 2, "indexing"),
    ("lambda: 1", 7, "unexpected character ':'"),
    ("x; y", 2, "unexpected character ';'"),
    ("x @ y", 3, "unexpected character '@'"),
    ("exp(1, 2)", 6, "exp takes one argument"),
    ("exp()", 5, "exp takes one argument, got none"),
    ("exp", 1, "exp is a function"),
    ("exp x", 1, "exp is a function"),
    ("*x", 1, "expected a number"),
    ("x **", 5, "found the end"),
    ("1e999", 1, "too large"),
    ("(" * 101 + "x" + ")" * 101, 101, "nested more than 100 levels"),
    ("-" * 101 + "x", 101, "nested more than 100 levels"),
]


@pytest.mark.parametrize("source, position, words", REFUSED)
def test_refusals_name_the_position(source, position, words):
    with pytest.raises(ExprError) as info:
        parse(source)
    err = info.value
    assert err.position == position
    assert words in str(err)
    assert "\n" not in str(err)
    if position is not None:
        assert str(err).startswith(f"at position {position} of {source!r}: ")


def test_missing_and_extra_values():
    e = parse("x + y * x")
    with pytest.raises(ExprError, match=r"at position 5 .*no value for the variable 'y'"):
        e.build({"x": 1.0})
    with pytest.raises(ExprError, match="'w', which the expression does not use"):
        e.build({"x": 1.0, "y": 2.0, "w": 3.0})


def test_long_flat_sums_do_not_hit_the_recursion_limit():
    assert value(" + ".join(["x"] * 2000), x=1) == 2000.0


def test_domain_errors_give_inf_and_nan_quietly():
    assert value("1 / x", x=0) == math.inf
    assert math.isnan(value("log(x)", x=-1))


def test_parse_values():
    assert parse_values(["x=3", "y=-4.5", " z = 1e-3"]) == {"x": 3.0, "y": -4.5, "z": 0.001}
    for bad, words in [("x", "NAME=NUMBER"), ("=3", "NAME=NUMBER"), ("1x=3", "NAME=NUMBER"),
                       ("x=abc", "must be a number"), ("x=nan", "finite"),
                       ("x=inf", "finite")]:
        with pytest.raises(ExprError, match=words):
            parse_values([bad])
    with pytest.raises(ExprError, match="twice"):
        parse_values(["x=1", "x=2"])


def test_non_strings_are_a_type_error():
    with pytest.raises(TypeError, match="str"):
        parse(3)


def test_functions_table():
    assert set(expr.FUNCTIONS) == {"exp", "log", "sqrt", "abs", "sigmoid", "tanh", "relu"}


def test_a_very_long_expression_is_refused():
    with pytest.raises(ExprError, match="longer than 10000 characters"):
        parse("x + " * 3000 + "x")
