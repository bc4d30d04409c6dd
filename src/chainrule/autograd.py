"""The backward pass, and its functional face ``cr.grad``.

``backward()`` sorts the nodes once, visits each one once in reverse topological order,
and hands every gradient down exactly once: no shared prefix of the chain rule is ever
recomputed.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .grad_mode import _state, backward_mode
from .tensor import Tensor, as_array, fresh
from .ops.xp import NUMPY, RECORDED
from .versions import inputs_as_recorded


class GraphFreedError(RuntimeError):
    """A backward pass reached a node whose graph an earlier ``backward()`` freed.

    A RuntimeError, as PyTorch raises; its own type so that callers such as
    ``cr.inspect.trace`` can tell it apart from other errors without reading the text.
    """


def _released(xp, g, out, *inputs):
    raise GraphFreedError(
        "backward: this graph was already backpropagated and its saved values were freed. "
        "Call backward(retain_graph=True) the first time to backpropagate through it again."
    )


class BackwardObserver:
    """Watches a backward pass: pass one as ``run_backward(..., observer=...)`` and
    override what you need (each method does nothing here).

    The engine calls ``on_start`` once with the nodes in the order it visits them; then for
    every node that receives a gradient ``on_node`` with that complete gradient (after
    hooks); and for an op node, ``on_edge`` once per input it hands a gradient to:
    ``contribution`` is the node's rule applied to ``upstream`` (the node's gradient), and
    ``local`` is d(node)/d(input) when the node is a scalar (None otherwise: a Jacobian the
    rule applies without forming it). ``slot`` is the input's position in the node's
    parents (it tells apart the two x of ``x * x``). The arrays are the engine's own: copy
    what you keep if the pass may write into ``.grad`` afterwards.

    >>> class Edges(cr.autograd.BackwardObserver):
    ...     def on_edge(self, node, input, upstream, local, contribution, slot):
    ...         print(node.op, float(upstream), float(local), float(contribution))
    >>> x, y = cr.tensor(3.0, requires_grad=True), cr.tensor(4.0, requires_grad=True)
    >>> f = x * y                     # x = 3, y = 4
    >>> cr.autograd.run_backward([f], [None], observer=Edges())
    mul 1.0 4.0 4.0
    mul 1.0 3.0 3.0
    []
    """

    def on_start(self, order: list) -> None:
        """The nodes the pass will visit, in visiting order (the output first)."""

    def on_node(self, node: Tensor, grad) -> None:
        """node's complete gradient, d(output)/d(node)."""

    def on_edge(self, node: Tensor, input: Tensor, upstream, local, contribution,
                slot: int) -> None:
        """What node hands to input: contribution = upstream x local."""


# -------------------------------------------------------------------- engine
def topological_order(root: Tensor) -> list:
    """The nodes that need a gradient, inputs before outputs; iterative, so a chain of
    any length sorts without recursion. A node recorded before an in-place op is checked
    and wired to the inputs it saw (``versions.inputs_as_recorded``), so a changed saved
    value raises here, before any gradient is touched."""
    # Tensors hash by identity (see __hash__), so they serve as their own keys.
    now = _state["clock"]
    order = []
    seen = {root}
    stack = [(root, iter(root._parents if not root._parents or root._epoch == now
                         else inputs_as_recorded(root)))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if p.requires_grad and p not in seen:
                seen.add(p)
                if p._parents:
                    stack.append((p, iter(p._parents if p._epoch == now
                                          else inputs_as_recorded(p))))
                    break
                order.append(p)   # a leaf: nothing to visit below it
        else:
            stack.pop()
            order.append(node)
    return order


_ONES: dict = {}   # dtype -> a 0-d array holding 1


def _seed(root: Tensor, gradient, differentiable: bool):
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: the output has shape {root.shape}; a gradient is implied only for a "
                "scalar. Reduce it first (e.g. loss.mean()) or pass gradient= of the same shape.")
        # the seed d(root)/d(root) = 1: a copy of a kept 1 (cheaper than np.ones_like)
        one = _ONES.get(root.data.dtype)
        if one is None:
            one = _ONES[root.data.dtype] = np.ones((), root.data.dtype)
        g = one.copy().reshape(root.shape)
    else:
        g = gradient.data if isinstance(gradient, Tensor) and not differentiable else gradient
        if not isinstance(g, (np.ndarray, Tensor)):
            g = as_array(g, dtype=root.dtype, op="backward")
        if g.shape != root.shape:
            raise ValueError(f"backward: gradient has shape {tuple(g.shape)} but the output has "
                             f"shape {root.shape}; they must match")
        if not differentiable:   # our own copy: a leaf may adopt it as its .grad
            g = np.array(g, dtype=root.dtype)
    if differentiable and not isinstance(g, Tensor):
        g = Tensor(g)
    return g


def _run_hooks(node: Tensor, g, differentiable: bool):
    for hook in node._hooks:
        # np.asarray: a rule on 0-d arrays may return a NumPy scalar, which Tensor() would
        # take for a Python float and make float32.
        seen = g if differentiable else Tensor(np.asarray(g))
        new = hook(seen)
        if new is not None:
            # (a copy in a plain pass: a leaf may adopt it as its .grad)
            new_g = new if differentiable else np.array(as_array(new), dtype=node.dtype)
            if tuple(new_g.shape) != tuple(node.shape):
                raise ValueError(f"register_hook: the hook returned a gradient of shape "
                                 f"{tuple(new_g.shape)} for a tensor of shape {node.shape}")
            g = new_g
    return g


def _accumulate_grad(node: Tensor, g, differentiable: bool, adopted: set) -> None:
    """Add g into node.grad: in place for a plain pass, as a graph op otherwise.

    A plain pass hands a fresh gradient array to the first ``.grad`` it fills without
    copying it (after ``zero_grad`` that is every step). Arrays already given to another
    tensor in this pass (``x + y`` hands both inputs the same one), views and arrays of
    another dtype are copied, so no two ``.grad`` share memory.
    """
    if differentiable:
        # g + 0, not g: g may be shared with other inputs of the same op (x + y hands both
        # the same tensor), and a later plain pass adds into .grad in place.
        node.grad = g + 0 if node.grad is None else node.grad + g
    elif node.grad is not None:
        node.grad.data += g
    else:
        if (type(g) is np.ndarray and g.base is None and g.dtype == node.data.dtype
                and id(g) not in adopted):
            adopted.add(id(g))
        else:
            g = np.array(g, dtype=node.data.dtype)
        node.grad = fresh(g)


def clear_grad(t: Tensor, set_to_none: bool = True) -> None:
    """What zero_grad does to one tensor: ``.grad = None``, or its gradient filled with
    zeros (a new zero tensor where the gradient has a graph or is read-only)."""
    g = t.grad
    if g is None:
        return
    if set_to_none:
        t.grad = None
    elif g.is_leaf and g.data.flags.writeable:
        g.data.fill(0)
    else:   # a gradient with a graph (create_graph=True) or a read-only view
        t.grad = Tensor(np.zeros_like(t.data))


def run_backward(roots: Sequence[Tensor], gradients: Sequence, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Sequence[Tensor] | None = None, *,
                 observer: BackwardObserver | None = None, accumulate: bool = True,
                 run_hooks: bool = True):
    """The backward pass. With ``inputs`` it returns their gradients and touches no ``.grad``
    (``cr.grad``); otherwise it accumulates into the leaves' ``.grad``.

    ``observer`` (a ``BackwardObserver``) is shown every gradient and every edge as the
    pass computes them. A pass that only looks (``cr.inspect.trace``) passes
    ``accumulate=False`` (no ``.grad`` is written), ``run_hooks=False`` (hooks may change
    or record gradients: they belong to a real pass) and ``retain_graph=True``. Without an
    observer the pass pays one ``is None`` test per node.
    """
    if retain_graph is None:
        retain_graph = create_graph
    for root in roots:
        if not isinstance(root, Tensor):
            raise TypeError(f"backward: expected a Tensor, got {type(root).__name__}")
        if not root.requires_grad:
            raise RuntimeError("backward: this tensor does not require a gradient and has no "
                               "graph; did you forget requires_grad=True, or compute it under "
                               "no_grad()?")
    grads: dict = {}
    for root, gradient in zip(roots, gradients):
        g = _seed(root, gradient, create_graph)
        prev = grads.get(root)
        grads[root] = g if prev is None else prev + g

    if len(roots) == 1:
        order = topological_order(roots[0])
    else:   # one order over the union of the roots' graphs
        sentinel = fresh(np.zeros(()))
        sentinel._parents = tuple(roots)
        sentinel._epoch = _state["clock"]
        sentinel.requires_grad = True
        order = topological_order(sentinel)[:-1]

    if _state["recorder"] is not None:   # cr.compile is recording this step
        _state["recorder"].on_backward(order, grads, create_graph=create_graph,
                                       inputs=inputs, observed=observer is not None,
                                       retain_graph=retain_graph)
    if observer is not None:
        observer.on_start(order[::-1])
    if inputs is not None:
        wanted = {t: i for i, t in enumerate(inputs)}
    else:   # accumulate=False: no node is wanted, so no .grad is written
        wanted = None if accumulate else {}
    captured = [None] * (0 if inputs is None else len(inputs))
    adopted: set = set()
    pending_pop, pending_get = grads.pop, grads.get   # (locals: this loop is the hot path)
    now = _state["clock"]
    with backward_mode(create_graph):
        for node in reversed(order):
            g = pending_pop(node, None)
            backward = node._backward
            if g is not None:
                if node._hooks and run_hooks:
                    g = _run_hooks(node, g, create_graph)
                if wanted is not None:
                    if node in wanted:
                        captured[wanted[node]] = g
                elif backward is None or node._retains_grad:
                    _accumulate_grad(node, g, create_graph, adopted)
                if backward is not None:
                    # upstream x local for every input, each handed down once
                    parents = node._parents if node._epoch == now else inputs_as_recorded(node)
                    # the op's rule (ops/xp.py), on Tensors and chainrule ops when the pass
                    # is recorded, else on arrays and NumPy
                    if create_graph:
                        parent_grads = backward(RECORDED, g, node, *parents)
                    # (one to three inputs spelled out: 0.4 us less a node than unpacking a
                    # list, measured; three is Linear with a bias, the commonest node)
                    elif len(parents) == 2:
                        parent_grads = backward(NUMPY, g, node.data, parents[0].data,
                                                parents[1].data)
                    elif len(parents) == 1:
                        parent_grads = backward(NUMPY, g, node.data, parents[0].data)
                    elif len(parents) == 3:
                        parent_grads = backward(NUMPY, g, node.data, parents[0].data,
                                                parents[1].data, parents[2].data)
                    else:
                        parent_grads = backward(NUMPY, g, node.data, *[p.data for p in parents])
                    if observer is not None:
                        _observe(observer, node, g, parents, parent_grads)
                    for p, pg in zip(parents, parent_grads):
                        if pg is not None and p.requires_grad:
                            prev = pending_get(p)
                            grads[p] = pg if prev is None else prev + pg
                elif observer is not None:   # a leaf: its sum is complete
                    observer.on_node(node, g)
            if backward is not None and not retain_graph:
                node._backward = _released
                node._parents = ()
    if not retain_graph and _state["clock"]:
        _forget_priors(order)
    return captured


def _observe(observer: BackwardObserver, node: Tensor, g, parents: tuple,
             parent_grads) -> None:
    """Show the observer node's gradient and each gradient it hands down."""
    observer.on_node(node, g)
    local = _local_derivatives(node, g, parents, parent_grads)
    for slot, (p, pg) in enumerate(zip(parents, parent_grads)):
        if pg is not None and p.requires_grad:
            observer.on_edge(node, p, g, None if local is None else local[slot], pg, slot)


def _local_derivatives(node: Tensor, g, parents: tuple, contributions):
    """d(node)/d(input) for each input of a scalar node (None for a tensor node): the rule
    applied to an upstream of 1, exact because every rule is linear in the upstream.

    When the upstream already is 1 (the output, or a chain of sums) the contributions are
    the locals and nothing is recomputed. Otherwise this is the observer's cost: one more
    call of the rule per scalar node, paid only when observing (dividing the contribution by
    the upstream would be inexact, and undefined for an upstream of 0). Always arrays, even
    in a recorded (create_graph) pass."""
    data = node.data
    if data.size != 1:
        return None
    if (isinstance(g, (np.ndarray, np.generic)) and g.item() == 1 and g.dtype == data.dtype
            and g.shape == data.shape):
        return contributions
    with backward_mode(False):
        return node._backward(NUMPY, np.ones_like(data), data, *[p.data for p in parents])


def _forget_priors(order: list) -> None:
    """Drop the old nodes that in-place ops kept (``_prior``) once the graph is freed, so a
    tensor changed in place every step does not keep a chain of them alive. (After the
    pass, not during it: a node visited later may still need a prior to find its input.)"""
    for node in order:
        if node._backward is _released:
            node._prior = None




def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple:
    """d(outputs)/d(inputs), returned as a tuple of tensors; no ``.grad`` is touched.

    >>> x = cr.tensor(2.0, requires_grad=True)
    >>> (dx,) = cr.grad(x ** 3, x, create_graph=True)    # 3x**2 = 12
    >>> (ddx,) = cr.grad(dx, x)                           # 6x = 12
    """
    outputs = _as_list(outputs, "outputs")
    inputs = _as_list(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    else:
        grad_outputs = _as_list(grad_outputs, "grad_outputs", tensors_only=False)
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require a gradient")
    found = run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=inputs)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"grad: input {i} (shape {t.shape}) was not used to compute "
                                   "the outputs; pass allow_unused=True to get None for it")
            result.append(None)
        elif isinstance(g, Tensor):
            result.append(g)
        else:
            result.append(Tensor(np.array(g, dtype=t.dtype)))   # g may be a NumPy scalar
    return tuple(result)


def _as_list(x, what: str, tensors_only: bool = True) -> list:
    items = list(x) if isinstance(x, (list, tuple)) else [x]
    if tensors_only:
        for t in items:
            if not isinstance(t, Tensor):
                raise TypeError(f"grad: {what} must be tensors, got {type(t).__name__}")
    return items


# cr.autograd.Function lives in its own module; it is spelled here, as in PyTorch.
from .function import Function, FunctionCtx  # noqa: E402,F401
from .gradcheck import gradcheck  # noqa: E402,F401
