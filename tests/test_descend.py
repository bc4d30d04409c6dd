"""cr.descend: the update rule, the trajectory, and the verdicts for known learning rates."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.descent import (VERDICTS, Trajectory, descend, format_table, judge,
                               pairings, starting_point)
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


# ---------------------------------------------- a vanishing gradient is no minimum
@pytest.mark.parametrize("f, x0, lr, why", [
    ("exp(x)", 5.0, 10.0, "only because it underflowed"),    # x = -1479: exp(x) is 0.0
    ("exp(x)", 5.0, 1.0, "f keeps falling beyond -143.413"),  # exp(-143) = 5e-63, no underflow
    ("sigmoid(x)", 5.0, 100.0, "f keeps falling"),
    ("relu(x - 1) + relu(-1 - x)", 5.0, 0.75, None),         # f = 0 on [-1, 1]: a flat minimum
])
def test_a_gradient_that_vanishes_without_a_minimum_is_not_convergence(f, x0, lr, why):
    t = descend(f, x0, lr)
    assert t.stopped in ("gradient below tol", "steps below tol")
    if why is None:
        assert t.verdict == "converged"
    else:
        assert t.verdict == "no minimum" and why in t.note
        assert "no minimum" in VERDICTS


def test_minima_reached_in_one_step_or_from_both_sides_are_still_converged():
    for f, x0, lr in [("x**2", 5.0, 0.5), ("x**2 + 2*x", 5.0, 0.9), ("x**2 + 2*x", 5.0, 0.1),
                      ("(x - 3)**4 + x**2", 0.0, 0.01), ("log(1 + exp(x)) + x**2", 2.0, 0.3),
                      ("(x - 1)**2 + exp(-1000 * x)", 3.0, 0.1)]:   # exp(-1000) underflows
        t = descend(f, x0, lr, steps=5000)
        assert t.verdict == "converged", (f, t.note)


def test_a_callable_without_a_minimum_in_two_variables():
    # x lands on its minimum 0 in one step while y runs off to -1476, where exp underflows
    t = descend(lambda x, y: x ** 2 / 400 + cr.exp(y), (1.0, 2.0), lr=200.0)
    assert t.x[0] == 0.0 and t.x[1] < -1000
    assert t.verdict == "no minimum" and "underflowed" in t.note
    t = descend(lambda x, y: x ** 2 / 40 + cr.exp(y), (1.0, 2.0), lr=20.0)   # y = -145.8
    assert t.verdict == "no minimum" and "keeps falling" in t.note


def test_an_enormous_learning_rate_leaks_no_runtime_warning(capsys, tmp_path):
    import warnings

    from chainrule.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = descend("x**2", 5.0, 1e308)
        assert t.verdict == "diverged" and t.stopped == "non-finite value"
        assert main(["descend", "x**2", "--lr", "1e308", "--out", str(tmp_path)]) == 0
    assert "diverged" in capsys.readouterr().out


# ------------------------------------------------------- the lecture's optimizers
VALLEY = "x**2/100 + y**2"


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_each_optimizer_takes_pytorchs_steps(torch, name):
    lr = {"sgd": 0.9, "momentum": 0.3, "rmsprop": 0.1, "adam": 0.3}[name]
    t = descend(VALLEY, (-9.0, 1.5), lr, steps=30, tol=0, optimizer=name)
    p = torch.tensor([-9.0, 1.5], dtype=torch.float64, requires_grad=True)
    opt = {"sgd": lambda: torch.optim.SGD([p], lr=lr),
           "momentum": lambda: torch.optim.SGD([p], lr=lr, momentum=0.9),
           "rmsprop": lambda: torch.optim.RMSprop([p], lr=lr),
           "adam": lambda: torch.optim.Adam([p], lr=lr)}[name]()
    expected = [p.detach().numpy().copy()]
    for _ in range(30):
        opt.zero_grad()
        (p[0] ** 2 / 100 + p[1] ** 2).backward()
        opt.step()
        expected.append(p.detach().numpy().copy())
    assert t.optimizer == name and t.steps == 30
    np.testing.assert_allclose(t.xs, np.array(expected), rtol=1e-12, atol=1e-14)


def test_sgd_is_the_plain_update_and_adaptive_first_steps_are_per_coordinate():
    plain = descend(VALLEY, (-9.0, 1.5), 0.9, steps=40)
    sgd = descend(VALLEY, (-9.0, 1.5), 0.9, steps=40, optimizer="sgd")
    np.testing.assert_array_equal(plain.xs, sgd.xs)
    assert plain.optimizer is None and plain.label == "lr 0.9"
    assert sgd.label == "SGD, lr 0.9" and "optimizer='sgd'" in repr(sgd)
    # the gradient at the start is (-0.18, 3): Adam steps lr per coordinate, RMSProp 10 lr
    adam = descend(VALLEY, (-9.0, 1.5), 0.3, steps=1, optimizer="adam")
    np.testing.assert_allclose(adam.xs[1] - adam.xs[0], [0.3, -0.3], rtol=1e-6)
    rms = descend(VALLEY, (-9.0, 1.5), 0.1, steps=1, optimizer="rmsprop")
    np.testing.assert_allclose(rms.xs[1] - rms.xs[0], [1.0, -1.0], rtol=1e-6)


def test_the_valley_tells_the_lectures_story():
    runs = {name: descend(VALLEY, (-9.0, 1.5), lr, optimizer=name)
            for name, lr in [("sgd", 0.9), ("momentum", 0.3), ("rmsprop", 0.1),
                             ("adam", 0.3)]}
    assert runs["sgd"].x[0] == pytest.approx(-1.4635, abs=1e-4)   # crawled along the floor
    assert runs["sgd"].f == pytest.approx(0.0214, abs=1e-4)
    for name in ("momentum", "rmsprop", "adam"):
        assert runs[name].f < 1e-4, name
    assert all(t.verdict == "still crawling" for t in runs.values())   # tol 1e-6, 100 steps


def test_optimizer_refusals_and_pairings():
    with pytest.raises(ValueError, match="optimizer must be one of sgd, momentum, rmsprop, "
                                         "adam, got 'adamw'"):
        descend("x**2", 1.0, 0.1, optimizer="adamw")
    assert pairings(["sgd", "adam"], [0.1]) == [("sgd", 0.1), ("adam", 0.1)]
    assert pairings(["sgd", "adam"], [0.1, 0.2]) == [("sgd", 0.1), ("adam", 0.2)]
    assert pairings(["adam"], [0.1, 0.2]) == [("adam", 0.1), ("adam", 0.2)]
    with pytest.raises(ValueError, match=r"lr takes one value, or one per optimizer \(2\), "
                                         "got 3"):
        pairings(["sgd", "adam"], [1, 2, 3])
    with pytest.raises(ValueError, match="got 'nesterov'"):
        pairings(["nesterov"], [0.1])


def test_format_table_with_optimizers():
    runs = [descend("x**2 + 2*x", 5.0, 0.1, optimizer=name) for name in ("sgd", "momentum")]
    lines = format_table(runs).splitlines()
    assert lines[0] == ("SGD and momentum 0.9 on f(x) = x**2 + 2*x, each step cr.optim's")
    assert lines[3].split() == ["optimizer", "lr", "steps", "final", "x", "f(x)", "verdict"]
    assert lines[4].split() == ["SGD", "0.1", "70", "-0.999999", "-1", "converged"]
    assert lines[5].split()[:3] == ["momentum", "0.1", "100"]
    assert lines[7].startswith("  SGD, lr 0.1       converged: in 70 steps")


def test_overlay_figure_draws_every_path_on_one_axes(tmp_path):
    pytest.importorskip("matplotlib")
    from chainrule.inspect.overlay import overlay_figure

    two = [descend(VALLEY, (-9.0, 1.5), lr, optimizer=name)
           for name, lr in [("sgd", 0.9), ("adam", 0.3), ("momentum", 1e3)]]   # one diverges
    fig = overlay_figure(two)
    main_ax, bar = fig.axes                         # the contour plot and its colour bar
    labels = [t.get_text() for t in main_ax.get_legend().get_texts()]
    assert labels[:2] == ["SGD, lr 0.9: still crawling, 100 steps, f = 0.0214",
                          "Adam, lr 0.3: still crawling, 100 steps, f = 7.91e-05"]
    assert labels[2].startswith("momentum, lr 1000: diverged")
    assert labels[3:] == ["start", "end (the path's colour)"]
    assert main_ax.get_xlabel() == "x" and bar.get_ylabel() == "f(x, y)"
    lo, hi = main_ax.get_xlim()
    assert -10 < lo < -9 and 0 < hi < 3               # zoomed on the paths that did not diverge
    fig.savefig(tmp_path / "two.png")
    one = overlay_figure([descend("x**2", 5.0, 0.1, optimizer=n) for n in ("sgd", "adam")])
    assert one.axes[0].get_ylabel() == "f(x)"
    three = overlay_figure([descend(lambda a, b, c: a * a + b * b + c * c, (1.0, 2.0, 3.0),
                                    0.1, optimizer=n) for n in ("sgd", "rmsprop")])
    assert three.axes[0].get_yscale() == "log"
    with pytest.raises(ValueError, match="no trajectories"):
        overlay_figure([])
