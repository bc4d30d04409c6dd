"""The backprop quiz: `chainrule graph --quiz` and cr.inspect.quiz, driven by piped stdin."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.expr import parse
from chainrule.inspect.quiz import (EXERCISE, QuizScore, is_right, parse_answer, questions,
                                    run_quiz)


def exercise_trace():
    f, _ = parse(EXERCISE[0]).build(EXERCISE[1])
    return cr.inspect.trace(f)


def quiz(trace, answers: str, **kw) -> tuple:
    out = io.StringIO()
    score = run_quiz(trace, io.StringIO(answers), out, **kw)
    return score, out.getvalue()


@pytest.mark.parametrize("text, value", [("0.25", 0.25), ("-3", -3.0), (" 3/4 ", 0.75),
                                         ("-1/4", -0.25), ("1e-3", 0.001), ("3 / 4", 0.75),
                                         (".5", 0.5), ("+2", 2.0)])
def test_answers_are_numbers_or_fractions(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize("text, words", [("abc", "could not read 'abc'"),
                                         ("1/0", "divides by zero"), ("3/", "could not read"),
                                         ("2x", "could not read"), ("1/2/3", "could not read")])
def test_unreadable_answers(text, words):
    with pytest.raises(ValueError, match=words):
        parse_answer(text)


def test_tolerance_is_one_percent_or_absolute_near_zero():
    assert is_right(0.2524, 0.25) and not is_right(0.2524, 0.25, rtol=1e-3)
    assert not is_right(0.26, 0.25) and not is_right(float("nan"), 0.25)
    assert is_right(0.0, 0.0) and is_right(1e-7, 0.0) and not is_right(1e-3, 0.0)


def test_the_exercise_is_asked_in_backward_order():
    trace = exercise_trace()
    asked = questions(trace)
    assert [(n.id, n.label) for n in asked] == [(5, "add"), (4, "mul"), (3, "x"), (2, "t1"),
                                               (1, "t0")]
    assert [float(n.grad) for n in asked] == [0.25, 0.25, 0.75, 0.25, 0.25]


def test_all_right():
    score, out = quiz(exercise_trace(), "0.25\n1/4\n0.75\n0.25\n0.25\n")
    assert (score.right, score.asked, score.total, score.finished) == (5, 5, 5, True)
    assert out.count("  right: ") == 5 and "upstream" not in out
    assert out.rstrip().endswith("score: 5 of 5 right")
    assert "  #6  sigmoid  sigmoid(#5)  0.5" in out          # the forward pass is shown
    assert "The seed is df/d#6 = 1." in out


def test_a_wrong_answer_shows_upstream_times_local():
    score, out = quiz(exercise_trace(), "0.25\n1\n3\n0.25\n0.25\n")
    assert (score.right, score.asked) == (3, 5)
    assert score.answers[1] == (4, 1.0, False)
    lines = out.splitlines()
    at = lines.index("[2/5] df/d#4 (mul) = ? 1")
    assert lines[at + 1:at + 3] == [
        "  wrong: df/d#4 = 0.25",
        "    from #5 add: upstream df/d#5 = 0.25  x  local d#5/d#4 = 1  =  0.25"]
    assert "    from #4 mul: upstream df/d#4 = 0.25  x  local d#4/d#3 = 3  =  0.75" in lines
    assert lines[-1] == "score: 3 of 5 right"


def test_several_edges_show_their_sum():
    x = cr.tensor(3.0, requires_grad=True, name="x")
    score, out = quiz(cr.inspect.trace(x * x + x), "1\n6\n")
    assert (score.right, score.asked) == (0 + 1, 2)
    assert out.splitlines()[-6:-2] == [
        "    from #3 add: upstream df/d#3 = 1  x  local d#3/d#1 = 1  =  1",
        "    from #2 mul (input 1): upstream df/d#2 = 1  x  local d#2/d#1 = 3  =  3",
        "    from #2 mul (input 2): upstream df/d#2 = 1  x  local d#2/d#1 = 3  =  3",
        "    sum: 1 + 3 + 3 = 7"]


def test_an_empty_line_shows_the_answer_and_junk_is_asked_again():
    score, out = quiz(exercise_trace(), "\nabc\n0.25\n")
    assert score.answers == [(5, None, False), (4, 0.25, True)]
    assert "  shown: df/d#5 = 0.25" in out
    assert "could not read 'abc' as a number or a fraction such as 3/4; try again" in out
    assert out.count("[2/5] df/d#4 (mul) = ?") == 2


def test_end_of_input_stops_with_the_score_so_far():
    score, out = quiz(exercise_trace(), "0.25\n0.25")     # no newline after the last
    assert (score.right, score.asked, score.finished) == (2, 2, False)
    assert out.rstrip().endswith("score: 2 of 2 right (stopped after 2 of 5)")
    score, out = quiz(exercise_trace(), "")
    assert str(score) == "score: 0 of 0 right (stopped after 0 of 5)"


def test_echo_only_when_asked():
    _, out = quiz(exercise_trace(), "0.25\n", echo=False)
    assert "[1/5] df/d#5 (add) = ?   right" in out.replace("\n", " ")
    assert isinstance(QuizScore(), QuizScore)


def test_tensor_graphs_are_refused():
    w = cr.tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(ValueError, match="node #2 \\(mul\\) is a tensor of shape \\(2,\\)"):
        questions(cr.inspect.trace((w * w).sum()))


# ------------------------------------------------------------------------ the CLI
def test_cli_quiz_defaults_to_the_lectures_exercise(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("0.25\n0.25\n0.75\n0.25\n1\n"))
    assert main(["graph", "--quiz"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("the lecture's exercise: f = sigmoid(t0 + t1*x)   at x = 1, "
                          "t0 = -3, t1 = 3\nvalue: f = 0.5\n")
    assert out.rstrip().endswith("score: 4 of 5 right")


def test_cli_quiz_on_an_expression(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("-4\n"))
    assert main(["graph", "(x + y) * z", "--at", "x=3", "y=-4", "z=5", "--quiz"]) == 0
    out = capsys.readouterr().out
    # the README's backward order: #5 mul (the seed), #4 z, #3 add, #2 y, #1 x
    assert "[1/4] df/d#4 (z) = ? -4" in out and "wrong: df/d#4 = -1" in out
    assert "from #5 mul: upstream df/d#5 = 1  x  local d#5/d#4 = -1  =  -1" in out
    assert "score: 0 of 1 right (stopped after 1 of 4)" in out


@pytest.mark.parametrize("argv, words", [
    (["graph", "--quiz", "-o", "g.json"], "cannot be combined with -o"),
    (["graph", "--quiz", "--format", "dot"], "cannot be combined with --format"),
    (["graph", "x +", "--quiz"], "at position 4 of 'x +'"),
    (["graph", "x + y", "--at", "x=1", "--quiz"], "no value for the variable 'y'"),
    (["graph"], "EXPR is required (or --quiz"),
])
def test_cli_quiz_refusals(capsys, argv, words):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and words in err
    assert err.startswith("chainrule graph: error: ")


def test_piped_into_the_command():
    answers = "0.25\n1/4\n3/4\n1\n"             # the last question is never answered
    done = subprocess.run([sys.executable, "-m", "chainrule.cli", "graph", "--quiz"],
                          input=answers, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert "[3/5] df/d#3 (x) = ? 3/4" in lines and "  right: df/d#3 = 0.75" in lines
    assert "[4/5] df/d#2 (t1) = ? 1" in lines and "  wrong: df/d#2 = 0.25" in lines
    assert lines[-1] == "score: 3 of 4 right (stopped after 4 of 5)"
