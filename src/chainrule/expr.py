"""Expressions a learner types, turned into chainrule graphs, never into Python.

``parse`` reads a string with a small tokenizer and a recursive-descent parser into a
tree; ``Expression.build`` walks the tree and calls chainrule's ops, so the result is an
ordinary Tensor with a graph behind it. Nothing is ever handed to ``eval``: a string
that is not in the grammar below is refused with an ``ExprError`` naming the position.

Grammar, lowest precedence first (as in Python: ``-x**2`` is ``-(x**2)``, ``2**-1`` is
0.5 and ``**`` groups to the right)::

    expression := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ("**" unary)?
    atom       := NUMBER | NAME | FUNCTION "(" expression ")" | "(" expression ")"

FUNCTION is one of exp, log, sqrt, abs, sigmoid, tanh, relu; every other NAME is a
variable.

>>> e = parse("(x + y) * z")
>>> e.variables
('x', 'y', 'z')
>>> f, leaves = e.build({"x": 3, "y": -4, "z": 5})
>>> f.item()
-5.0
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from . import ops
from .tensor import Tensor

__all__ = ["ExprError", "Expression", "parse", "parse_values", "FUNCTIONS"]

FUNCTIONS = {"exp": ops.exp, "log": ops.log, "sqrt": ops.sqrt, "abs": ops.abs,
             "sigmoid": ops.sigmoid, "tanh": ops.tanh, "relu": ops.relu}
_BINARY = {"+": ops.add, "-": ops.sub, "*": ops.mul, "/": ops.div, "**": ops.pow}
MAX_DEPTH = 100          # nesting of parentheses, calls, unary signs and powers
MAX_LENGTH = 10_000      # characters


class ExprError(ValueError):
    """An expression (or a value for it) outside the grammar.

    ``position`` is 1-based (the column in the expression) or None when the problem is not
    at one place in it (a value given for a variable the expression does not use).
    """

    def __init__(self, message: str, source: str = "", position: int | None = None) -> None:
        self.message, self.source, self.position = message, source, position
        if position is not None:
            text = f"at position {position} of {source!r}: {message}"
        else:
            text = f"in {source!r}: {message}" if source else message
        super().__init__(text)


# ------------------------------------------------------------------- tokens
@dataclass(frozen=True)
class Token:
    kind: str      # "number", "name", "op", "(", ")", ",", "end", "error"
    text: str
    pos: int       # 0-based index into the source


_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/])
  | (?P<paren>[(),])
""", re.VERBOSE)

# Characters a learner (or an attacker) might try, each with the reason it is refused.
_REFUSED = {
    ".": "attribute access is not part of the grammar",
    "^": "'^' is not an operator here; write ** for a power, e.g. x**2",
    "=": "'=' does not belong in an expression; give values separately, e.g. x=3",
    "'": "strings are not part of the grammar",
    '"': "strings are not part of the grammar",
    "[": "indexing and lists are not part of the grammar",
    "]": "indexing and lists are not part of the grammar",
}


def tokenize(source: str) -> list:
    """The tokens of source; a character outside the grammar becomes an "error" token,
    refused only when the parser reaches it (so ``foo(...)`` is reported as the unknown
    function it is, not as whatever odd character follows)."""
    tokens, i = [], 0
    while i < len(source):
        m = _TOKEN.match(source, i)
        if m is None:
            tokens.append(Token("error", source[i], i))
            i += 1
            continue
        kind = m.lastgroup
        if kind == "paren":
            kind = m.group()
        if kind != "space":
            tokens.append(Token(kind, m.group(), i))
        i = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# --------------------------------------------------------------------- tree
@dataclass(frozen=True)
class Num:
    value: float
    pos: int


@dataclass(frozen=True)
class Var:
    name: str
    pos: int


@dataclass(frozen=True)
class Unary:          # unary minus (unary plus is dropped by the parser)
    operand: object
    pos: int


@dataclass(frozen=True)
class Binary:
    op: str
    left: object
    right: object
    pos: int


@dataclass(frozen=True)
class Call:
    func: str
    arg: object
    pos: int


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, token: Token | None = None) -> ExprError:
        token = token or self.tok
        return ExprError(message, self.source, token.pos + 1)

    def describe(self, token: Token) -> str:
        return "the end of the expression" if token.kind == "end" else repr(token.text)

    def refuse_if_error(self, token: Token) -> None:
        if token.kind == "error":
            reason = _REFUSED.get(token.text, "it is not part of the grammar (numbers, "
                                  "variables, + - * / **, parentheses and functions)")
            raise self.error(f"unexpected character {token.text!r}: {reason}", token)

    def nest(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression is nested more than {MAX_DEPTH} levels deep",
                             token)

    # -- grammar
    def parse(self):
        if not self.source.strip():
            raise ExprError("the expression is empty", self.source, None)
        if len(self.source) > MAX_LENGTH:
            raise ExprError(f"the expression is longer than {MAX_LENGTH} characters",
                            "", None)
        tree = self.expression()
        tok = self.tok
        if tok.kind != "end":
            self.refuse_if_error(tok)
            if tok.kind == ")":
                raise self.error("unexpected ')' with no '(' to close")
            hint = ""
            if tok.kind in ("name", "number", "("):
                hint = " (is an operator missing? write 2*x, not 2x)"
            raise self.error(f"unexpected {self.describe(tok)} after a complete "
                             f"expression{hint}")
        return tree

    def expression(self):
        left = self.product()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.tok
            self.i += 1
            left = Binary(op.text, left, self.product(), op.pos)
        return left

    def product(self):
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.tok
            self.i += 1
            left = Binary(op.text, left, self.unary(), op.pos)
        return left

    def unary(self):
        tok = self.tok
        if tok.kind == "op" and tok.text in "+-":
            self.nest(tok)
            self.i += 1
            operand = self.unary()
            self.depth -= 1
            return operand if tok.text == "+" else Unary(operand, tok.pos)
        return self.power()

    def power(self):
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "**":
            op = self.tok
            self.nest(op)
            self.i += 1
            exponent = self.unary()
            self.depth -= 1
            return Binary("**", base, exponent, op.pos)
        return base

    def atom(self):
        tok = self.tok
        self.refuse_if_error(tok)
        if tok.kind == "number":
            self.i += 1
            value = float(tok.text)
            if not math.isfinite(value):
                raise self.error(f"the number {tok.text} is too large", tok)
            return Num(value, tok.pos)
        if tok.kind == "name":
            self.i += 1
            if self.tok.kind == "(":
                if tok.text not in FUNCTIONS:
                    raise self.error(f"unknown function {tok.text!r}; the functions are "
                                     f"{', '.join(FUNCTIONS)}", tok)
                return Call(tok.text, self.parenthesised(tok.text), tok.pos)
            if tok.text in FUNCTIONS:
                raise self.error(f"{tok.text} is a function; call it as {tok.text}(...)", tok)
            return Var(tok.text, tok.pos)
        if tok.kind == "(":
            return self.parenthesised(None)
        raise self.error(f"expected a number, a variable, a function or '(' but found "
                         f"{self.describe(tok)}")

    def parenthesised(self, func: str | None):
        opening = self.tok
        self.nest(opening)
        self.i += 1
        if func is not None and self.tok.kind == ")":
            raise self.error(f"{func} takes one argument, got none")
        inner = self.expression()
        tok = self.tok
        if tok.kind == "," and func is not None:
            raise self.error(f"{func} takes one argument; ',' starts a second one")
        if tok.kind != ")":
            self.refuse_if_error(tok)
            raise self.error(f"expected ')' to close the '(' at position {opening.pos + 1} "
                             f"but found {self.describe(tok)}")
        self.i += 1
        self.depth -= 1
        return inner


# --------------------------------------------------------------- expression
class Expression:
    """A parsed expression: its source, its tree and its variables.

    ``variables`` lists the names in order of first appearance; ``sorted(e.variables)``
    is the order ``cr.descend`` uses for a sequence of starting values.
    """

    def __init__(self, source: str, tree) -> None:
        self.source = source
        self.tree = tree
        first: dict = {}
        for node in _walk(tree):
            if isinstance(node, Var):
                first.setdefault(node.name, node.pos)
        self._first = first
        self.variables = tuple(first)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __str__(self) -> str:
        return self.source

    def check_values(self, names) -> None:
        """Refuse a missing variable (with its position) or a name the expression lacks."""
        for var, pos in self._first.items():
            if var not in names:
                raise ExprError(f"no value for the variable {var!r}; give one, e.g. {var}=1",
                                self.source, pos + 1)
        extra = [n for n in names if n not in self._first]
        if extra:
            have = ", ".join(self.variables) or "none"
            raise ExprError(f"a value was given for {extra[0]!r}, which the expression does "
                            f"not use (its variables: {have})", self.source, None)

    def build(self, values: Mapping[str, float], dtype=np.float64) -> tuple:
        """The expression's graph at the given values.

        Every variable becomes a named leaf that requires a gradient (``dtype``, float64 by
        default so the printed numbers are exact); numbers become constants. Returns
        ``(output, leaves)`` with leaves a dict from name to leaf tensor, in order of
        first appearance.
        """
        self.check_values(values)
        leaves = {}
        for name in self.variables:
            v = values[name]
            leaves[name] = v if isinstance(v, Tensor) else Tensor(
                np.asarray(v, dtype=dtype), requires_grad=True, name=name)
        return self.evaluate(leaves, dtype), leaves

    def evaluate(self, env: Mapping[str, Tensor], dtype=np.float64) -> Tensor:
        """Walk the tree (iteratively, so a long sum cannot overflow the stack) calling
        chainrule's ops on the tensors in env."""
        self.check_values(env)
        # log(0), 1/0: inf and nan are the answers. Underflow keeps the caller's setting
        # (NumPy's default ignores it), so that cr.descend can notice it.
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            return _evaluate(self.tree, env, dtype)


def _walk(tree):
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Binary):
            stack += [node.right, node.left]
        elif isinstance(node, (Unary, Call)):
            stack.append(node.operand if isinstance(node, Unary) else node.arg)


def _children(node) -> tuple:
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Call):
        return (node.arg,)
    return ()


def _evaluate(tree, env: Mapping[str, Tensor], dtype) -> Tensor:
    done: dict = {}
    stack = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        kids = _children(node)
        if not expanded and kids:
            stack.append((node, True))
            stack += [(k, False) for k in reversed(kids)]
            continue
        args = [done.pop(id(k)) for k in kids]
        if isinstance(node, Num):
            out = Tensor(np.asarray(node.value, dtype=dtype))
        elif isinstance(node, Var):
            out = env[node.name]
        elif isinstance(node, Unary):
            out = ops.neg(args[0])
        elif isinstance(node, Call):
            out = FUNCTIONS[node.func](args[0])
        else:
            out = _BINARY[node.op](*args)
        done[id(node)] = out
    return done[id(tree)]


def parse(source: str) -> Expression:
    """Parse source into an Expression, or raise ExprError naming the position.

    >>> parse("sigmoid(t0 + t1 * x)").variables
    ('t0', 't1', 'x')
    >>> parse("__import__('os')")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ExprError: at position 1 of "__import__('os')": unknown function '__import__'; ...
    """
    if not isinstance(source, str):
        raise TypeError(f"parse: expected the expression as a str, got {type(source).__name__}")
    return Expression(source, _Parser(source).parse())


def parse_values(items: Sequence[str], what: str = "values") -> dict:
    """``["x=3", "y=-4"]`` as ``{"x": 3.0, "y": -4.0}``; refuses anything else. ``what``
    names the values in errors (the CLI passes its flag, ``--at``)."""
    values: dict = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ExprError(f"{what}: expected NAME=NUMBER (e.g. x=3), got {item!r}")
        try:
            value = float(number)
        except ValueError:
            raise ExprError(f"{what}: the value of {name} must be a number, got "
                            f"{number!r}") from None
        if not math.isfinite(value):
            raise ExprError(f"{what}: the value of {name} must be finite, got {number!r}")
        if name in values:
            raise ExprError(f"{what}: {name} is given twice")
        values[name] = value
    return values
