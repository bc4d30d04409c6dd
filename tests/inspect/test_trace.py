"""cr.inspect.trace: the lectures' worked examples, the order of the backward pass, and
upstream x local = contribution on every edge, all against the engine's own backward."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import inspect
from chainrule.autograd import topological_order


def leaf(v, name):
    return cr.tensor(v, dtype=cr.float64, requires_grad=True, name=name)


def worked_example_1():
    x, y, z = leaf(3.0, "x"), leaf(-4.0, "y"), leaf(5.0, "z")
    return (x + y) * z, (x, y, z)


def worked_example_2():
    x, t0, t1 = leaf(1.0, "x"), leaf(-3.0, "t0"), leaf(3.0, "t1")
    return cr.sigmoid(t0 + t1 * x), (x, t0, t1)


def test_worked_example_1_values_and_gradients():
    f, _ = worked_example_1()
    t = inspect.trace(f)
    assert t.value == -5.0
    assert t.gradients() == {"x": 5.0, "y": 5.0, "z": -1.0}


def test_worked_example_2_values_and_gradients():
    f, _ = worked_example_2()
    t = inspect.trace(f)
    assert t.value == 0.5
    assert t.gradients() == {"t0": 0.25, "t1": 0.25, "x": 0.75}


def test_nodes_are_numbered_in_forward_order_and_visited_in_reverse():
    f, _ = worked_example_1()
    t = inspect.trace(f)
    assert [(n.id, n.label, n.kind) for n in t.nodes] == [
        (1, "x", "variable"), (2, "y", "variable"), (3, "add", "op"), (4, "z", "variable"),
        (5, "mul", "op")]
    assert t.nodes[2].inputs == (1, 2) and t.nodes[4].inputs == (3, 4)
    assert t.order == (5, 4, 3, 2, 1)


def test_order_is_the_engines_backward_order():
    f, _ = worked_example_2()
    t = inspect.trace(f)
    engine = list(reversed(topological_order(f)))
    assert [t.node(n).label for n in t.order] == [
        x.name if x.name else x.op for x in engine]


def test_upstream_times_local_is_the_contribution_on_every_edge():
    f, _ = worked_example_1()
    t = inspect.trace(f)
    steps = [(e.output, e.input, float(e.upstream), float(e.local), float(e.contribution))
             for e in t.edges]
    assert steps == [(5, 3, 1.0, 5.0, 5.0), (5, 4, 1.0, -1.0, -1.0),
                     (3, 1, 5.0, 1.0, 5.0), (3, 2, 5.0, 1.0, 5.0)]

    f, _ = worked_example_2()
    t = inspect.trace(f)
    by_target = {t.node(e.input).label: (float(e.upstream), float(e.local),
                                         float(e.contribution)) for e in t.edges}
    assert by_target == {"add": (1.0, 0.25, 0.25), "t0": (0.25, 1.0, 0.25),
                         "mul": (0.25, 1.0, 0.25), "t1": (0.25, 1.0, 0.25),
                         "x": (0.25, 3.0, 0.75)}
    for e in t.edges:
        assert float(e.upstream) * float(e.local) == pytest.approx(float(e.contribution))
        # upstream is the output's complete gradient
        assert float(e.upstream) == float(t.node(e.output).grad)


def test_a_fork_sums_its_contributions():
    w = leaf(2.0, "w")
    f = w * w + 3 * w             # df/dw = 2w + 3 = 7
    t = inspect.trace(f)
    into = t.edges_into(t.node("w").id)
    assert sorted(float(e.contribution) for e in into) == [2.0, 2.0, 3.0]
    assert t.gradients() == {"w": 7.0}
    const = [n for n in t.nodes if n.kind == "constant"]
    assert [(n.label, n.grad) for n in const] == [("3", None)]
    assert "grad 3 + 2 + 2 = 7" in t.text()


def test_trace_agrees_with_backward_and_leaves_grad_and_graph_alone():
    f, leaves = worked_example_2()
    t = inspect.trace(f)
    assert all(x.grad is None for x in leaves)       # the trace touches no .grad
    f.backward()                                      # and the graph was not freed
    for x in leaves:
        assert x.grad.item() == t.node(x).grad


def test_trace_after_a_freeing_backward_says_what_to_do():
    f, _ = worked_example_1()
    f.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        inspect.trace(f)


def test_trace_after_backward_with_retain_graph_works():
    f, (x, y, z) = worked_example_1()
    f.backward(retain_graph=True)
    assert inspect.trace(f).gradients() == {"x": 5.0, "y": 5.0, "z": -1.0}
    assert x.grad.item() == 5.0


def test_tensor_nodes_keep_shapes_and_their_jacobians_are_not_formed(rng):
    W = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True, name="W")
    b = cr.tensor(np.zeros(4), requires_grad=True, name="b")
    X = cr.tensor(rng.standard_normal((2, 3)))
    loss = (X @ W + b).sigmoid().mean()
    t = inspect.trace(loss)
    assert t.node("W").shape == (3, 4)
    mean_edge, = t.edges_from(t.root)
    assert mean_edge.local.shape == (2, 4)            # scalar output: d loss / d input, exact
    np.testing.assert_allclose(mean_edge.local, np.full((2, 4), 1 / 8))
    assert all(e.local is None for e in t.edges if e.output != t.root)   # Jacobians
    loss.backward()
    np.testing.assert_allclose(t.node(W).grad, W.grad.data, rtol=1e-12)
    np.testing.assert_allclose(t.node(b).grad, b.grad.data, rtol=1e-12)
    text = t.text()
    assert "(3, 4)" in text and "J[8x12]" in text and "Jacobian" in text


def test_refuses_non_scalars_and_non_tensors():
    with pytest.raises(ValueError, match="scalar"):
        inspect.trace(cr.tensor([1.0, 2.0], requires_grad=True))
    with pytest.raises(TypeError, match="Tensor"):
        inspect.trace(3.0)


def test_a_graph_without_gradients_is_traced_as_values_only():
    t = inspect.trace(cr.tensor(2.0) * 3)
    assert t.value == 6.0 and t.gradients() == {} and t.order == () and t.edges == ()
    assert "no input requires a gradient" in t.text()


def test_node_lookup():
    f, (x, y, z) = worked_example_1()
    t = inspect.trace(f)
    assert t.node(x).label == "x" and t.node(1).label == "x" and t.node("z").id == 4
    with pytest.raises(KeyError):
        t.node(cr.tensor(1.0))
    with pytest.raises(KeyError):
        t.node(99)
