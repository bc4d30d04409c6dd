"""Naive chain rule vs backprop: multiplications counted on small graphs by hand."""
from __future__ import annotations

import time

import pytest

import chainrule as cr
from chainrule import inspect


def leaf(v, name):
    return cr.tensor(v, dtype=cr.float64, requires_grad=True, name=name)


def test_worked_example_1():
    # paths: f-add-x (2), f-add-y (2), f-z (1); edges: f-add, f-z, add-x, add-y
    x, y, z = leaf(3.0, "x"), leaf(-4.0, "y"), leaf(5.0, "z")
    c = inspect.count_multiplications((x + y) * z)
    assert (c.naive, c.backprop) == (5, 4)
    assert c.variables == {"x": (1, 2), "y": (1, 2), "z": (1, 1)}


def test_worked_example_2():
    # sigmoid-add-t0 (2), sigmoid-add-mul-t1 (3), sigmoid-add-mul-x (3); 5 edges
    x, t0, t1 = leaf(1.0, "x"), leaf(-3.0, "t0"), leaf(3.0, "t1")
    c = inspect.count_multiplications(cr.sigmoid(t0 + t1 * x))
    assert (c.naive, c.backprop) == (8, 5)
    assert c.variables == {"t0": (1, 2), "t1": (1, 3), "x": (1, 3)}


def test_shared_subexpression_is_recomputed_by_the_naive_rule():
    # a = x*y; f = a*a: two paths f-a (length 1), so two to x and two to y (length 2 each)
    x, y = leaf(2.0, "x"), leaf(3.0, "y")
    a = x * y
    c = inspect.count_multiplications(a * a)
    assert c.variables == {"x": (2, 4), "y": (2, 4)}
    assert (c.naive, c.backprop) == (8, 4)


def test_constants_need_no_multiplication():
    x = leaf(2.0, "x")
    c = inspect.count_multiplications(3 * x + 1)
    assert (c.naive, c.backprop) == (2, 2)
    assert inspect.count_multiplications(cr.tensor(2.0) * 3).naive == 0


def test_exponentially_many_paths_are_counted_without_listing_them():
    x = leaf(1.0, "x")
    t = x
    for _ in range(60):
        t = t + t                      # each level doubles the paths
    start = time.perf_counter()
    c = inspect.count_multiplications(t)
    assert time.perf_counter() - start < 1.0
    assert c.variables["x"][0] == 2 ** 60
    assert c.backprop == 120


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 8, 16])
def test_network_counts_grow_like_depth_squared_vs_depth(depth):
    c = inspect.count_network(depth)
    assert c.naive == 3 * depth ** 2 + 2 * depth
    assert c.backprop == 5 * depth - 1


def test_network_table():
    rows = inspect.network_table((1, 2, 4, 8, 16))
    ratios = [c.ratio for _, c in rows]
    assert ratios == sorted(ratios) and ratios[-1] > 10
    table = inspect.format_network_table(rows)
    assert "16               800        79" in table
    with pytest.raises(ValueError, match="positive"):
        inspect.count_network(0)


def test_counting_a_freed_graph_is_refused():
    x = leaf(2.0, "x")
    f = x * x
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        inspect.count_multiplications(f)
