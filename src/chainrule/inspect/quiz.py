"""Backpropagation as an exercise: the gradients of a traced graph are hidden and asked
for one node at a time, in the order the backward pass visits them.

The learner sees the forward pass (every node's value) and the seed d f / d f = 1, then
answers d f / d(node) for each node in turn, as a number or a fraction (``3/4``). A
right answer is within RTOL of the truth (or ATOL of 0); after a wrong one the quiz shows
how the backward pass got the gradient: ``upstream x local = contribution`` on every edge
that reaches the node, and their sum. The answers come from a text stream, so the quiz
runs in a terminal or from a pipe; the end of the input ends it with the score so far.

>>> import io
>>> x = cr.tensor(3.0, requires_grad=True, name="x")
>>> score = run_quiz(cr.inspect.trace(x * x), io.StringIO("6\\n"), io.StringIO())
>>> score.right, score.asked, score.total
(1, 1, 1)
"""
from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from typing import TextIO

from .render import describe

__all__ = ["run_quiz", "questions", "parse_answer", "is_right", "QuizScore", "EXERCISE",
           "RTOL", "ATOL"]

RTOL = 1e-2             # a right answer is within 1% of the gradient ...
ATOL = 1e-6             # ... or this close to it (for a gradient of 0)
EXERCISE = ("sigmoid(t0 + t1*x)", {"x": 1.0, "t0": -3.0, "t1": 3.0})
"""The lecture's exercise: a neuron with a sigmoid, at x = 1, t0 = -3, t1 = 3."""

_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_ANSWER = re.compile(rf"^\s*({_NUMBER})\s*(?:/\s*({_NUMBER})\s*)?$")


@dataclass
class QuizScore:
    """How the quiz went: ``right`` of ``asked`` questions (``total`` in the graph);
    ``finished`` is False when the input ended first. ``answers`` holds (node id, the
    answer given or None for "show me", right or not)."""

    right: int = 0
    asked: int = 0
    total: int = 0
    finished: bool = False
    answers: list = field(default_factory=list)

    def __str__(self) -> str:
        left = "" if self.finished else f" (stopped after {self.asked} of {self.total})"
        return f"score: {self.right} of {self.asked} right{left}"


def parse_answer(text: str) -> float:
    """A typed answer as a number: ``0.25``, ``-3``, ``1e-3`` or a fraction ``3/4``.

    >>> parse_answer(" -3/4 ")
    -0.75
    """
    m = _ANSWER.match(text)
    if m is None:
        raise ValueError(f"could not read {text.strip()!r} as a number or a fraction such "
                         "as 3/4")
    top, bottom = float(m.group(1)), m.group(2)
    if bottom is None:
        return top
    if float(bottom) == 0:
        raise ValueError(f"{text.strip()!r} divides by zero")
    return top / float(bottom)


def is_right(given: float, answer: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether ``given`` is within rtol of ``answer`` (or atol of it)."""
    return math.isfinite(given) and abs(given - answer) <= max(rtol * abs(answer), atol)


def questions(trace) -> list:
    """The nodes whose gradient the quiz asks for, in the order the backward pass visits
    them: every node that needs a gradient except the output (its seed is given)."""
    nodes = [trace.nodes[i - 1] for i in trace.order if i != trace.root]
    tensors = [n for n in nodes if not n.is_scalar]
    if tensors:
        raise ValueError(f"quiz: node #{tensors[0].id} ({tensors[0].label}) is a tensor of "
                         f"shape {tensors[0].shape}; the quiz asks for scalar gradients only")
    return nodes


def _output_name(trace) -> str:
    out = trace.output
    return out.label if out.label != out.op and out.kind == "op" else "f"


def _forward_lines(trace) -> list:
    rows = [(f"#{n.id}", n.label, n.kind if n.kind != "op" else
             f"{n.op}(" + ", ".join(f"#{i}" for i in n.inputs) + ")", describe(n.value))
            for n in trace.nodes]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[3]
            for r in rows]


def _explain(trace, node, f: str) -> list:
    """How the backward pass got node's gradient: each edge reaching it, and the sum."""
    lines = []
    edges = trace.edges_into(node.id)
    sources = [e.output for e in edges]
    for e in edges:
        src = trace.nodes[e.output - 1]
        # x * x reaches x twice from one node: say which input each edge is
        slot = f" (input {e.slot + 1})" if sources.count(e.output) > 1 else ""
        lines.append(f"    from #{src.id} {src.label}{slot}: upstream d{f}/d#{src.id} = "
                     f"{describe(e.upstream)}  x  local d#{src.id}/d#{node.id} = "
                     f"{describe(e.local)}  =  {describe(e.contribution)}")
    if len(edges) > 1:
        lines.append("    sum: " + " + ".join(describe(e.contribution) for e in edges)
                     + f" = {describe(node.grad)}")
    return lines


def run_quiz(trace, input: TextIO | None = None, output: TextIO | None = None,
             echo: bool | None = None, title: str | None = None) -> QuizScore:
    """Ask for each gradient of ``trace`` (a ``cr.inspect.trace``) in backward order,
    reading answers line by line from ``input`` (stdin) and writing to ``output``
    (stdout). An empty line, ``?`` or ``show`` counts as wrong and shows the answer; a
    line that is not a number is asked again. ``echo`` writes each answer after its
    prompt (default: when the input is not a terminal, so a piped transcript reads
    well). Returns the score; the end of the input stops the quiz early."""
    input = sys.stdin if input is None else input
    output = sys.stdout if output is None else output
    if echo is None:
        echo = not (hasattr(input, "isatty") and input.isatty())
    asked = questions(trace)
    f = _output_name(trace)

    def say(text: str = "") -> None:
        print(text, file=output, flush=True)

    if title:
        say(title)
    say(f"value: {f} = {describe(trace.output.value)}")
    say()
    say("forward pass (inputs first):")
    for line in _forward_lines(trace):
        say(line)
    say()
    say(f"Your turn: the backward pass, in the order it visits the nodes. The seed is "
        f"d{f}/d#{trace.root} = 1.")
    say("Give each gradient as a number or a fraction such as 3/4 (right within "
        f"{RTOL:.0%}); an empty line shows the answer.")
    score = QuizScore(total=len(asked))
    for k, node in enumerate(asked, 1):
        prompt = f"[{k}/{len(asked)}] d{f}/d#{node.id} ({node.label}) = ? "
        answer = _ask(prompt, input, output, echo)
        if answer is _EOF:
            say()
            say(str(score))
            return score
        truth = float(node.grad.reshape(-1)[0])
        right = answer is not None and is_right(answer, truth)
        score.asked += 1
        score.right += right
        score.answers.append((node.id, answer, right))
        if right:
            say(f"  right: d{f}/d#{node.id} = {describe(node.grad)}")
        else:
            how = "shown" if answer is None else "wrong"
            say(f"  {how}: d{f}/d#{node.id} = {describe(node.grad)}")
            for line in _explain(trace, node, f):
                say(line)
    score.finished = True
    say()
    say(str(score))
    return score


_EOF = object()
_SHOW = ("", "?", "show")


def _ask(prompt: str, input: TextIO, output: TextIO, echo: bool):
    """The next answer: a float, None (show me) or _EOF; unreadable lines are asked
    again."""
    while True:
        output.write(prompt)
        output.flush()
        line = input.readline()
        if not line:
            return _EOF
        text = line.strip()
        if echo:
            output.write(text + "\n")
        if text.lower() in _SHOW:
            return None
        try:
            return parse_answer(text)
        except ValueError as e:
            print(f"  {e}; try again", file=output, flush=True)
