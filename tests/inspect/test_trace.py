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


def test_a_freed_graph_raises_graph_freed_error_from_the_engine():
    f, _ = worked_example_1()
    f.backward()
    with pytest.raises(cr.autograd.GraphFreedError, match="inspect.trace") as info:
        inspect.trace(f)
    assert isinstance(info.value, RuntimeError)                  # old pytest.raises still hold
    assert isinstance(info.value.__cause__, cr.autograd.GraphFreedError)   # the engine's


def test_the_trace_runs_no_hook_and_records_the_engines_own_pass():
    x, w = leaf(2.0, "x"), leaf(3.0, "w")
    h = x * w
    fired = []
    h.register_hook(lambda g: fired.append(g.item()) or g * 10)
    t = inspect.trace(h * h)
    assert fired == [] and t.gradients() == {"x": 36.0, "w": 24.0}


def test_locals_stay_exact_where_the_upstream_is_zero():
    x, w = leaf(3.0, "x"), leaf(0.1, "w")
    t = inspect.trace((x * w) * 0.0)
    assert {t.node(e.input).label: (float(e.upstream), float(e.local)) for e in t.edges
            if e.input in (1, 2)} == {"x": (0.0, 0.1), "w": (0.0, 3.0)}


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


class CountingEdges(tuple):
    """The trace's edges, counting how often something walks through all of them."""
    scans = 0

    def __iter__(self):
        CountingEdges.scans += 1
        return super().__iter__()


def test_trace_and_its_renderings_take_linear_time():
    # A chain of 2,000 ops, x used 1,000 times: asking each node for its edges by walking
    # all edges made the text 4.4 s at 10k ops and 73 s at 40k (issue 10).
    x = leaf(1.0, "x")
    f = x
    for _ in range(1_000):
        f = f * 1.0001 + x
    t = inspect.trace(f)
    assert len(t.edges) == 3_000 and len(t.edges_into(1)) == 1_001     # x * 1.0001 too
    t.edges = CountingEdges(t.edges)
    for render in (t.text, t.dot, t.to_dict, t.html):
        CountingEdges.scans = 0
        render()
        assert CountingEdges.scans <= 2, render.__name__
    CountingEdges.scans = 0
    for n in t.nodes:
        t.edges_from(n.id), t.edges_into(n.id)
    assert CountingEdges.scans == 0
    assert sum(len(t.edges_from(n.id)) for n in t.nodes) == 3_000
    assert t.gradients()["x"] == pytest.approx(sum(1.0001 ** k for k in range(1_001)))


def test_many_variables_with_one_label_are_numbered_apart():
    xs = [leaf(float(i), "w") for i in range(3_000)]
    f = xs[0]
    for x in xs[1:]:
        f = f + x
    grads = inspect.trace(f).gradients()
    assert len(grads) == 3_000 and grads["w#1"] == 1.0


# ------------------------------------------------------------- issue 13
def test_the_readme_order_trace_then_backward():
    x, y, z = leaf(3.0, "x"), leaf(-4.0, "y"), leaf(5.0, "z")
    f = (x + y) * z
    t = inspect.trace(f)                 # before backward(), as the README shows
    f.backward()
    assert t.gradients() == {"x": 5.0, "y": 5.0, "z": -1.0} and x.grad.item() == 5.0
    g = (x + y) * z
    g.backward()                         # the order a student tried: the error says the fix
    with pytest.raises(RuntimeError, match=r"trace it first and backpropagate after "
                                           r"\(t = cr\.inspect\.trace\(f\); f\.backward\(\)\)"):
        inspect.trace(g)


def test_unnamed_variables_are_numbered_not_called_input():
    a = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = cr.tensor([0.5, -1.0], requires_grad=True)
    v1 = leaf(2.0, "v1")                  # a user's own v1 is skipped, not repeated
    t = inspect.trace(((a @ b) * v1).sum())
    labels = {n.label for n in t.variables()}
    assert labels == {"v1", "v2", "v3"}
    assert t.node(a).label == "v2" and t.node(a).unnamed and not t.node(v1).unnamed
    assert not any(n.label == "input" for n in t.nodes)
    assert "  #1  v2 " in t.text()


def test_params_names_a_models_parameters():
    cr.manual_seed(0)
    model = cr.nn.Sequential(cr.nn.Linear(2, 3), cr.nn.Tanh(), cr.nn.Linear(3, 1))
    loss = model(cr.tensor(np.ones((4, 2)))).mean()
    t = inspect.trace(loss, params=model)
    assert list(t.gradients()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    loss.backward()
    np.testing.assert_allclose(t.gradients()["0.weight"], model[0].weight.grad.data)
    W = cr.tensor(np.ones(2), requires_grad=True)
    assert inspect.trace((W * 2).sum(), params={"W": W}).node(W).label == "W"
    with pytest.raises(TypeError, match="params must be a Module or a"):
        inspect.trace(loss, params=[W])
