"""cr.grad, and derivatives of derivatives (create_graph=True)."""
import numpy as np
import pytest

import chainrule as cr


# ------------------------------------------------------------------- cr.grad
def test_grad_returns_gradients_without_touching_dot_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    w.grad = cr.tensor([9.0, 9.0])
    gx, gw = cr.grad((x * w).sum(), [x, w])
    np.testing.assert_array_equal(gx.data, [3.0, 4.0])
    np.testing.assert_array_equal(gw.data, [1.0, 2.0])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.data, [9.0, 9.0])
    assert gx.dtype == np.float32 and not gx.requires_grad


def test_grad_keeps_the_input_dtype_for_scalars():
    x = cr.tensor(0.3, dtype=cr.float64, requires_grad=True)
    (g,) = cr.grad(cr.exp(x) * 2, x)
    assert g.dtype == np.float64 and g.item() == 2 * np.exp(0.3)


def test_grad_of_a_single_input_is_a_one_tuple():
    x = cr.tensor(3.0, requires_grad=True)
    result = cr.grad(x * x, x)
    assert isinstance(result, tuple) and len(result) == 1 and result[0].item() == 6.0


def test_grad_with_respect_to_an_intermediate():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h ** 2).sum()
    gh, gx = cr.grad(y, [h, x])
    np.testing.assert_array_equal(gh.data, [4.0, 8.0])
    np.testing.assert_array_equal(gx.data, [8.0, 16.0])


def test_grad_of_several_outputs_adds_them_up():
    x = cr.tensor(2.0, requires_grad=True)
    (g,) = cr.grad([x * x, x * 3], x)
    assert g.item() == 7.0


def test_grad_of_outputs_that_depend_on_each_other():
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x
    z = y * 3                                      # d(y + z)/dx = 2x + 6x
    (g,) = cr.grad([z, y], x)
    assert g.item() == 16.0


def test_grad_outputs_weigh_a_non_scalar_output():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (g,) = cr.grad(x * x, x, grad_outputs=cr.tensor([1.0, 0.5]))
    np.testing.assert_array_equal(g.data, [2.0, 2.0])
    with pytest.raises(ValueError, match="grad: 2 grad_outputs for 1 outputs"):
        cr.grad(x * x, x, grad_outputs=[cr.ones(2), cr.ones(2)])
    with pytest.raises(RuntimeError, match=r"output has shape \(2,\)"):
        cr.grad(x * x, x)


def test_allow_unused():
    x = cr.tensor(1.0, requires_grad=True)
    unused = cr.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad: input 1 \(shape \(\)\) was not used.*"
                                           "allow_unused=True"):
        cr.grad(x * 2, [x, unused])
    gx, gu = cr.grad(x * 2, [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None


def test_grad_argument_errors():
    x = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad: input 0 does not require a gradient"):
        cr.grad(x * 2, cr.tensor(1.0))
    with pytest.raises(TypeError, match="grad: outputs must be tensors, got float"):
        cr.grad(2.0, x)
    with pytest.raises(TypeError, match="grad: inputs must be tensors, got list"):
        cr.grad(x * 2, [[x]])


def test_grad_frees_the_graph_unless_retained():
    x = cr.tensor(1.0, requires_grad=True)
    y = x * x
    cr.grad(y, x, retain_graph=True)
    assert cr.grad(y, x)[0].item() == 2.0
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        cr.grad(y, x)


# -------------------------------------------------------------- create_graph
def test_second_derivative_of_a_cube_with_backward():
    x = cr.tensor(2.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    first = x.grad
    assert first.item() == 12.0 and first.requires_grad       # 3 x^2
    x.zero_grad()
    first.backward()
    assert x.grad.item() == 12.0                                # 6 x


def test_derivatives_of_a_cube_with_grad():
    x = cr.tensor(2.0, requires_grad=True)
    (d1,) = cr.grad(x ** 3, x, create_graph=True)
    (d2,) = cr.grad(d1, x, create_graph=True)
    (d3,) = cr.grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (12.0, 12.0, 6.0)


def test_create_graph_grads_are_not_aliased():
    # x + y hands x and y the same upstream tensor; a later plain pass adds into .grad in
    # place, which must not leak from one input into the other.
    x = cr.tensor(1.0, requires_grad=True)
    y = cr.tensor(2.0, requires_grad=True)
    f = x + y
    f.backward(create_graph=True)
    assert x.grad is not y.grad
    f.backward()
    assert (x.grad.item(), y.grad.item()) == (2.0, 2.0)


def test_hessian_vector_product_of_a_sum_of_cubes():
    x = cr.tensor([1.0, -2.0, 0.5], dtype=cr.float64, requires_grad=True)
    v = cr.tensor([1.0, 0.5, -1.0], dtype=cr.float64)
    (g,) = cr.grad((x ** 3).sum(), x, create_graph=True)
    (hv,) = cr.grad((g * v).sum(), x)
    np.testing.assert_allclose(hv.data, 6 * x.data * v.data)     # H = diag(6 x)


def test_hessian_of_a_small_network_matches_the_formula(rng):
    # f(x) = sum(tanh(A x)):  grad = A^T (1 - t^2),  H = A^T diag(-2 t (1 - t^2)) A.
    A = rng.standard_normal((4, 3))
    x0 = rng.standard_normal(3)
    t = np.tanh(A @ x0)
    H = A.T @ np.diag(-2 * t * (1 - t ** 2)) @ A
    x = cr.tensor(x0, requires_grad=True)
    (g,) = cr.grad(cr.tanh(cr.tensor(A) @ x).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.data, A.T @ (1 - t ** 2), rtol=1e-12)
    rows = [cr.grad(g[i], x, retain_graph=True)[0].data for i in range(3)]
    np.testing.assert_allclose(np.stack(rows), H, rtol=1e-10, atol=1e-12)


W = np.random.default_rng(1).standard_normal((6, 6))

# name: (f in chainrule, f in torch as f(torch, x)), each from a vector of 6 to a scalar.
SECOND_ORDER = {
    "sigmoid": (lambda x: (x.sigmoid() * x).sum(), lambda torch, x: (x.sigmoid() * x).sum()),
    "tanh": (lambda x: (x.tanh() ** 2).sum(), lambda torch, x: (x.tanh() ** 2).sum()),
    "softmax": (lambda x: (x.reshape(2, 3).softmax(axis=1) * x.reshape(2, 3)).sum(),
                lambda torch, x: (x.reshape(2, 3).softmax(dim=1) * x.reshape(2, 3)).sum()),
    "log_softmax": (lambda x: (x.log_softmax() ** 2).sum(),
                    lambda torch, x: (x.log_softmax(dim=-1) ** 2).sum()),
    "logsumexp": (lambda x: x.logsumexp() * x.sum(),
                  lambda torch, x: x.logsumexp(0) * x.sum()),
    "matmul": (lambda x: ((x @ cr.tensor(W)) ** 2).sum() + x @ cr.tensor(W) @ x,
               lambda torch, x: ((x @ torch.tensor(W)) ** 2).sum() + x @ torch.tensor(W) @ x),
    "batched matmul": (lambda x: (x.reshape(1, 2, 3) @ x.reshape(3, 2)).tanh().sum(),
                       lambda torch, x: (x.reshape(1, 2, 3) @ x.reshape(3, 2)).tanh().sum()),
    "indexing": (lambda x: (x[[0, 0, 1, 5]] ** 3).sum() + (x[1:4] * x[::2]).sum(),
                 lambda torch, x: (x[[0, 0, 1, 5]] ** 3).sum() + (x[1:4] * x[0::2]).sum()),
    "exp log sqrt": (
        lambda x: (x.exp() * (x * x + 1).log() + (x * x + 1).sqrt()).sum(),
        lambda torch, x: (x.exp() * (x * x + 1).log() + (x * x + 1).sqrt()).sum()),
    "div pow": (lambda x: (1 / (x * x + 1) + (x * x + 1) ** x).sum(),
                lambda torch, x: (1 / (x * x + 1) + (x * x + 1) ** x).sum()),
    "reductions": (
        lambda x: (x.reshape(2, 3).mean(axis=0) ** 2).sum() * x.var(),
        lambda torch, x: (x.reshape(2, 3).mean(dim=0) ** 2).sum() * x.var()),
    "max and where": (
        lambda x: x.max() * x.sum() + cr.where(x > 0, x * x, x ** 3).sum(),
        lambda torch, x: x.amax() * x.sum() + torch.where(x > 0, x * x, x ** 3).sum()),
    "concat stack": (
        lambda x: (cr.concat([x, x * x]) ** 2).sum() + (cr.stack([x, x.tanh()]) ** 3).sum(),
        lambda torch, x: (torch.cat([x, x * x]) ** 2).sum()
        + (torch.stack([x, x.tanh()]) ** 3).sum()),
    "relu abs maximum clip": (
        lambda x: (x.relu() ** 2 + x.abs() * x + cr.maximum(x, 0.1) ** 2
                   + x.clip(-0.5, 0.5) ** 2).sum(),
        lambda torch, x: (x.relu() ** 2 + x.abs() * x + x.maximum(x.new_tensor(0.1)) ** 2
                          + x.clamp(-0.5, 0.5) ** 2).sum()),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_hessian_vector_products_match_torch(name, rng, torch):
    f, f_torch = SECOND_ORDER[name]
    x0, v0 = rng.standard_normal(6), rng.standard_normal(6)

    x = cr.tensor(x0, requires_grad=True)
    (g,) = cr.grad(f(x), x, create_graph=True)
    (hv,) = cr.grad((g * cr.tensor(v0)).sum(), x, allow_unused=True)

    xt = torch.tensor(x0, requires_grad=True)
    (gt,) = torch.autograd.grad(f_torch(torch, xt), xt, create_graph=True)
    (hvt,) = torch.autograd.grad((gt * torch.tensor(v0)).sum(), xt, allow_unused=True)

    np.testing.assert_allclose(g.data, gt.detach().numpy(), rtol=1e-10, atol=1e-10)
    expected = np.zeros(6) if hvt is None else hvt.numpy()
    np.testing.assert_allclose(np.zeros(6) if hv is None else hv.data, expected,
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "log_softmax", "logsumexp",
                                  "matmul", "batched matmul", "indexing", "exp log sqrt",
                                  "div pow", "reductions", "concat stack"])
def test_gradients_are_themselves_differentiable_by_finite_differences(name, rng, check_grad):
    f = SECOND_ORDER[name][0]
    assert check_grad(lambda x: cr.grad(f(x), x, create_graph=True)[0], rng.standard_normal(6))


def test_hooks_fire_in_every_pass_that_reaches_the_tensor():
    # As in PyTorch: h is part of the recorded gradient's graph, so its hook fires again
    # when that gradient is differentiated.
    x = cr.tensor(2.0, requires_grad=True)
    h = x * x
    seen = []
    h.register_hook(lambda g: seen.append((type(g), g.item())) or g * 3)
    (g,) = cr.grad(h * h, x, create_graph=True)    # 3 * 2h * 2x = 12 h x
    (gg,) = cr.grad(g, x)                          # 12 h + 3 * (12 x) * 2x, tripled via h
    assert seen == [(cr.Tensor, 8.0), (cr.Tensor, 24.0)]
    assert (g.item(), gg.item()) == (96.0, 336.0)


# ------------------------------------------------------------------ observer
class Recorder(cr.autograd.BackwardObserver):
    """Everything a pass shows, as plain numbers."""

    def __init__(self):
        self.order, self.nodes, self.edges = [], {}, []

    def on_start(self, order):
        self.order = [t.name or t.op for t in order]

    def on_node(self, node, grad):
        self.nodes[node.name or node.op] = float(grad)

    def on_edge(self, node, input, upstream, local, contribution, slot):
        self.edges.append((node.op, input.name or input.op, slot, float(upstream),
                           float(local), float(contribution)))


def leaves(**values):
    return [cr.tensor(v, dtype=cr.float64, requires_grad=True, name=k)
            for k, v in values.items()]


def test_an_observer_sees_every_node_and_edge_of_the_real_pass():
    x, y, z = leaves(x=3.0, y=-4.0, z=5.0)
    seen = Recorder()
    cr.autograd.run_backward([(x + y) * z], [None], observer=seen)
    assert seen.order == ["mul", "z", "add", "y", "x"]
    assert seen.nodes == {"mul": 1.0, "z": -1.0, "add": 5.0, "y": 5.0, "x": 5.0}
    assert seen.edges == [("mul", "add", 0, 1.0, 5.0, 5.0), ("mul", "z", 1, 1.0, -1.0, -1.0),
                          ("add", "x", 0, 5.0, 1.0, 5.0), ("add", "y", 1, 5.0, 1.0, 5.0)]
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (5.0, 5.0, -1.0)   # a real pass


def test_a_looking_pass_writes_no_grad_runs_no_hook_and_keeps_the_graph():
    x, w = leaves(x=2.0, w=3.0)
    h = x * w
    h.name = "h"
    fired = []
    h.register_hook(lambda g: fired.append(g.item()) or g * 10)
    f = h * h
    seen = Recorder()
    cr.autograd.run_backward([f], [None], retain_graph=True, observer=seen,
                             accumulate=False, run_hooks=False)
    assert x.grad is None and w.grad is None and fired == []
    assert seen.nodes == {"mul": 1.0, "h": 12.0, "x": 36.0, "w": 24.0}   # hook not applied
    f.backward()                                        # the graph is still there
    assert fired == [12.0] and x.grad.item() == 360.0   # and the real pass runs the hook


def test_x_times_x_shows_two_edges_told_apart_by_slot():
    (x,) = leaves(x=3.0)
    seen = Recorder()
    cr.autograd.run_backward([x * x], [None], observer=seen, accumulate=False)
    assert seen.edges == [("mul", "x", 0, 1.0, 3.0, 3.0), ("mul", "x", 1, 1.0, 3.0, 3.0)]
    assert seen.nodes["x"] == 6.0 and x.grad is None


def test_the_local_derivative_is_exact_when_the_upstream_is_zero():
    # contribution / upstream would be 0 / 0 here; the observer applies the rule to 1.
    x, w = leaves(x=3.0, w=0.1)
    seen = Recorder()
    cr.autograd.run_backward([(x * w) * 0.0], [None], observer=seen, accumulate=False)
    inner = [e for e in seen.edges if e[1] in ("x", "w")]
    assert inner == [("mul", "x", 0, 0.0, 0.1, 0.0), ("mul", "w", 1, 0.0, 3.0, 0.0)]


def counting(node):
    """Count the calls of node's backward rule."""
    rule, calls = node._backward, []

    def counted(xp, g, out, *inputs):
        calls.append(g)
        return rule(xp, g, out, *inputs)
    node._backward = counted
    return calls


def test_the_rule_is_called_once_per_scalar_node_when_the_upstream_is_one():
    x, w = leaves(x=3.0, w=0.5)
    h = x * w
    f = h * 2.0
    at_h, at_f = counting(h), counting(f)
    cr.autograd.run_backward([f], [None], retain_graph=True, observer=Recorder(),
                             accumulate=False)
    assert len(at_f) == 1                      # upstream 1: the contributions are the locals
    assert len(at_h) == 2                      # upstream 2: once more, on 1 (observer's cost)
    cr.autograd.run_backward([f], [None], accumulate=False)
    assert len(at_f) == 2 and len(at_h) == 3   # no observer: once each


def test_tensor_nodes_have_no_local_and_recorded_passes_give_array_locals():
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)

    found = []

    class Locals(cr.autograd.BackwardObserver):
        def on_edge(self, node, input, upstream, local, contribution, slot):
            found.append((node.op, None if local is None else type(local), type(contribution)))

    cr.autograd.run_backward([(x * x).sum()], [None], observer=Locals(), create_graph=True)
    assert found == [("sum", np.ndarray, cr.Tensor), ("mul", None, cr.Tensor),
                            ("mul", None, cr.Tensor)]
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_a_freed_graph_raises_its_own_error_type():
    (x,) = leaves(x=2.0)
    f = x * x
    f.backward()
    with pytest.raises(cr.autograd.GraphFreedError, match="retain_graph=True") as info:
        f.backward()
    assert isinstance(info.value, RuntimeError)
