"""cr.descend: the update rule, the trajectory, and the verdicts for known learning rates."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.descent import (VERDICTS, Trajectory, descend, format_table, judge,
                               starting_point)
from chainrule.expr import ExprError


def test_each_step_is_x_minus_lr_times_the_derivative():
    t = descend("x**2 + 2*x", 5.0, lr=0.1, steps=10, tol=0)
    assert isinstance(t, Trajectory) and t.steps == 10 and t.stopped == "step budget used"
    np.testing.assert_allclose(t.grads[:, 0], 2 * t.xs[:, 0] + 2, rtol=1e-14)
    np.testing.assert_allclose(t.fs, t.xs[:, 0] ** 2 + 2 * t.xs[:, 0], rtol=1e-14)
    np.testing.assert_allclose(t.xs[1:], t.xs[:-1] - 0.1 * t.grads[:-1], rtol=1e-14)
    # x + 1 shrinks by 1 - 2 lr = 0.8 per step
    np.testing.assert_allclose(t.xs[:, 0] + 1, 6 * 0.8 ** np.arange(11), rtol=1e-12)


@pytest.mark.parametrize("lr, verdict", [
    (0.01, "still crawling"),   # x shrinks by 0.98 a step: far from 0 after 100 steps
    (0.1, "converged"),
    (0.5, "converged"),         # straight to the minimum in one step
    (1.0, "oscillating"),       # x -> -x -> x ...
    (1.1, "diverged"),
    (1.5, "diverged"),
])
def test_verdicts_on_x_squared(lr, verdict):
    t = descend("x**2", 5.0, lr)
    assert t.verdict == verdict, t.note
    assert t.verdict in VERDICTS


def test_lr_one_oscillates_between_plus_and_minus_x0():
    t = descend("x**2", 5.0, 1.0, steps=20)
    np.testing.assert_array_equal(t.xs[:, 0], 5.0 * (-1.0) ** np.arange(21))
    assert t.oscillated and "between -5 and 5" in t.note


def test_converged_notes_an_oscillation_on_the_way():
    t = descend("x**2 + 2*x", 5.0, 0.9)
    assert t.verdict == "converged" and t.oscillated
    assert "oscillating on the way" in t.note
    assert t.x == pytest.approx(-1.0, abs=1e-5)
    smooth = descend("x**2 + 2*x", 5.0, 0.1)
    assert smooth.verdict == "converged" and not smooth.oscillated
    assert "oscillating" not in smooth.note


def test_one_step_convergence_and_a_start_at_the_minimum():
    t = descend("x**2", 5.0, 0.5)
    assert t.steps == 1 and t.x == 0.0 and t.stopped == "gradient below tol"
    t = descend("x**2", 0.0, 0.5)
    assert t.steps == 0 and t.verdict == "converged"


def test_a_tiny_learning_rate_is_not_mistaken_for_convergence():
    # tiny steps that do not shrink say nothing about being close
    t = descend("x**2", 5.0, 1e-9, steps=50)
    assert t.verdict == "still crawling"


def test_divergence_stops_on_non_finite_values_without_warnings():
    t = descend("exp(x)", 5.0, 100.0)           # one jump to x = -14836: exp underflows to 0
    assert t.steps == 1 and t.stopped == "gradient below tol"
    t = descend("log(x)", 1.0, 3.0)             # x = -2: log is nan
    assert t.verdict == "diverged" and t.stopped == "non-finite value"
    assert "step 1" in t.note
    t = descend("x**4", 10.0, 1.0)              # overshoots by more each time
    assert t.verdict == "diverged" and t.steps < 100


def test_several_variables_from_a_callable():
    t = descend(lambda x, y: x**2 + 10 * y**2, (3.0, 1.0), lr=0.09)
    assert t.names == ("x", "y") and t.xs.shape[1] == 2
    assert t.verdict == "converged" and t.oscillated     # y flips sign each step
    assert isinstance(t.x, tuple) and np.allclose(t.x, 0, atol=1e-5)
    assert descend(lambda *v: v[0] ** 2 + v[1] ** 2, [1.0, 1.0], 0.1).names == ("x1", "x2")


def test_expression_variables_take_x0_in_sorted_order():
    t = descend("(y - 1)**2 + (x + 2)**2", (10.0, 20.0), 0.1, steps=0)
    assert t.names == ("x", "y")
    assert t.xs[0].tolist() == [10.0, 20.0]
    t = descend("(y - 1)**2 + (x + 2)**2", (0.0, 0.0), 0.25)
    assert t.x == pytest.approx((-2.0, 1.0))


def test_f_that_ignores_x_has_zero_gradient():
    t = descend(lambda x: cr.tensor(3.0, dtype=cr.float64), 1.0, 0.1)
    assert t.verdict == "converged" and t.steps == 0


@pytest.mark.parametrize("call, error, words", [
    (lambda: descend("x + y", 1.0, 0.1), ValueError, "2 variables but x0 gives 1"),
    (lambda: descend("x", (1.0, 2.0), 0.1), ValueError, "1 variable but x0 gives 2"),
    (lambda: descend("3", 1.0, 0.1), ValueError, "no variables"),
    (lambda: descend("x", 1.0, 0.0), ValueError, "lr must be a positive"),
    (lambda: descend("x", 1.0, float("nan")), ValueError, "lr must be a positive"),
    (lambda: descend("x", 1.0, 0.1, steps=-1), ValueError, "steps"),
    (lambda: descend("x", 1.0, 0.1, tol=-1.0), ValueError, "tol"),
    (lambda: descend("x", float("inf"), 0.1), ValueError, "finite"),
    (lambda: descend("x", "5", 0.1), TypeError, "x0"),
    (lambda: descend(42, 1.0, 0.1), TypeError, "expression string or a callable"),
    (lambda: descend(lambda x: 3.0, 1.0, 0.1), TypeError, "scalar Tensor"),
    (lambda: descend(lambda x: x * cr.ones(2), 1.0, 0.1), TypeError, "shape"),
    (lambda: descend("x +", 1.0, 0.1), ExprError, "position 4"),
])
def test_refusals(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_judge_reads_only_the_numbers():
    xs = np.array([[5.0], [-5.0], [5.0], [-5.0], [5.0]])
    g = 2 * xs
    assert judge(xs, xs[:, 0] ** 2, g, "step budget used", 1e-6)[0] == "oscillating"
    grow = np.array([[1.0], [-2.0], [4.0], [-8.0], [16.0], [-32.0]])
    assert judge(grow, grow[:, 0] ** 2, 2 * grow, "step budget used", 1e-6)[0] == "diverged"
    crawl = np.array([[5.0], [4.9], [4.8], [4.7]])
    verdict, note = judge(crawl, crawl[:, 0] ** 2, 2 * crawl, "step budget used", 1e-6)
    assert verdict == "still crawling" and "fell from 10 to 9.4" in note
    bad = np.array([[1.0], [np.nan]])
    assert judge(bad, np.array([1.0, np.nan]), bad, "non-finite value", 1e-6)[0] == "diverged"


def test_format_table_tells_the_story():
    runs = [descend("x**2 + 2*x", 5.0, lr) for lr in (0.01, 0.1, 1.0, 1.1)]
    table = format_table(runs)
    assert table.startswith("gradient descent on f(x) = x**2 + 2*x, x <- x - lr * f'(x)\n"
                            "from x = 5, at most 100 steps, tol 1e-06\n")
    rows = [line.split() for line in table.splitlines()[3:8]]
    assert rows[0] == ["lr", "steps", "final", "x", "f(x)", "verdict"]
    assert [r[0] for r in rows[1:]] == ["0.01", "0.1", "1", "1.1"]
    assert [" ".join(r[4:]) for r in rows[1:]] == [
        "still crawling", "converged", "oscillating", "diverged"]
    assert rows[3][2:4] == ["5", "35"]          # lr 1 comes back to x0 = 5: f = 35


def test_starting_point():
    assert starting_point("x**2", None) == 5.0
    assert starting_point("x + y", None) == [5.0, 5.0]
    assert starting_point("y + x", ["1", "2"]) == [1.0, 2.0]
    assert starting_point("y + x", ["y=1", "x=2"]) == [2.0, 1.0]
    for items, words in [(["y=1"], "no value for x"), (["x=1", "y=2", "z=3"], "not one of"),
                         (["a"], "numbers or NAME=VALUE"), (["nan"], "finite")]:
        with pytest.raises(ExprError, match=words):
            starting_point("x + y", items)
