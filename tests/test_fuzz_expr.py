"""Fuzzing the expression parser (chainrule.expr), which reads what anyone types.

Random strings: ``parse`` returns an Expression or raises ExprError, never another
exception, and never evaluates Python. Random well-formed expressions: they parse, build
into a graph and trace (what `chainrule graph` does) without an exception or a warning.
"""
from __future__ import annotations

import builtins
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest

import chainrule as cr
from chainrule.expr import FUNCTIONS, MAX_DEPTH, ExprError, parse

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, strategies as st  # noqa: E402

FUZZ = settings(max_examples=300, deadline=None)


@contextmanager
def no_python_evaluation():
    def forbidden(*args, **kwargs):
        raise AssertionError("the expression parser must not evaluate Python")
    with mock.patch.object(builtins, "eval", forbidden), \
            mock.patch.object(builtins, "exec", forbidden), \
            mock.patch.object(builtins, "compile", forbidden):
        yield


def parse_or_expr_error(source: str):
    with no_python_evaluation():
        try:
            return parse(source)
        except ExprError as e:
            assert isinstance(e.position, (int, type(None)))
            return None


# Characters of the grammar, of Python, and a few odd ones, so that random strings
# often come close to something meaningful.
ALPHABET = st.sampled_from(list("xyz019.eE+-*/()_ ,") + list("^=[]'\"\\:;@!#$%&|~<>`{}\t\n")
                           + ["**", "exp", "log", "sqrt", "sigmoid", "__import__", "lambda",
                              "os", "é", "\x00", "1e999", "0x1f", "1_0"])


@FUZZ
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_random_strings_parse_or_raise_expr_error(source):
    parse_or_expr_error(source)


@FUZZ
@given(st.text(max_size=60))
def test_random_text_parses_or_raises_expr_error(source):
    parse_or_expr_error(source)


@pytest.mark.parametrize("source", [
    "(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "-" * 10_000 + "x",
    "x" + "**x" * 5_000, "exp(" * 5_000 + "x" + ")" * 5_000, "+".join(["x"] * 4_000),
    "1" * 5_000, "9" * 400 + "e9", "x" * 9_999, "(" * 9_999, ")" * 9_999,
])
def test_pathological_inputs_are_expr_errors_or_fine(source):
    parse_or_expr_error(source)


# ------------------------------------------------------------ well formed
NUMBERS = st.floats(min_value=0, max_value=1e6, allow_nan=False).map(repr) | \
    st.integers(min_value=0, max_value=10**6).map(str)
NAMES = st.sampled_from(["x", "y", "t0", "w_1"])


def combine(inner):
    return (st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})")
            | inner.map(lambda e: f"-{e}")
            | st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner)
            .map(lambda t: f"{t[0]}({t[1]})"))


EXPRESSIONS = st.recursive(NUMBERS | NAMES, combine, max_leaves=25)


@FUZZ
@given(EXPRESSIONS, st.floats(min_value=-10, max_value=10))
def test_well_formed_expressions_parse_build_and_trace(source, at):
    with no_python_evaluation():
        e = parse(source)
        f, leaves = e.build({name: at for name in e.variables})
    assert isinstance(f, cr.Tensor) and f.shape == ()
    assert set(leaves) == set(e.variables)
    t = cr.inspect.trace(f)         # silences inf/nan on the way, as `chainrule graph` does
    assert t.value == f.item() or np.isnan(f.item())
    t.text()
