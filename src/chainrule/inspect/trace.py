"""A trace of a scalar's graph: every node's forward value and gradient, in the order the
backward pass visits them, and ``upstream x local = contribution`` on every edge.

The trace records the engine's own backward pass (``autograd.run_backward`` with an
observer): topological order from the output, seed 1, and for each node in reverse order
its complete upstream gradient, handed to each input as the contribution the node's rule
returns; an input's gradient is the sum of the contributions reaching it. It keeps every
intermediate number instead of only the leaves' sums, and it only reads the graph: the
pass writes no ``.grad`` and frees nothing, so ``backward()`` still works afterwards.
Hooks registered with ``register_hook`` are not run.

For an edge out of a scalar node the local derivative d(node)/d(input) is the rule applied
to an upstream of 1 (the engine's observer computes it; see ``_local_derivatives``). For
an edge out of a tensor node the local derivative is a Jacobian; the rule applies it to
the upstream without forming it, so the trace keeps its size and the contribution.

>>> x = cr.tensor(3.0, requires_grad=True, name="x")
>>> y = cr.tensor(-4.0, requires_grad=True, name="y")
>>> z = cr.tensor(5.0, requires_grad=True, name="z")
>>> t = cr.inspect.trace((x + y) * z)
>>> t.value, t.gradients()
(-5.0, {'x': 5.0, 'y': 5.0, 'z': -1.0})
>>> print(t)          # aligned text; t.dot(), t.svg(), t.json(), or display(t) in Jupyter  # doctest: +SKIP
"""
from __future__ import annotations

import weakref
from collections import Counter
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..autograd import BackwardObserver, GraphFreedError, run_backward
from ..tensor import Tensor
from . import render

__all__ = ["trace", "GraphTrace", "TraceNode", "TraceEdge"]


@dataclass(frozen=True, eq=False)
class TraceNode:
    """One node of the graph.

    ``id`` numbers the nodes in forward order (inputs first, from 1); ``kind`` is
    "variable" (a leaf that requires a gradient), "constant" (no gradient flows to it) or
    "op"; ``grad`` is d(output)/d(node), None for constants; ``inputs`` are the ids of the
    op's inputs, in the op's order. ``label`` is the tensor's name, the name ``params``
    gave it, the op, or for an unnamed variable ``v1``, ``v2``, ... in forward order
    (``unnamed`` is then True).
    """
    id: int
    label: str
    kind: str
    op: str | None
    shape: tuple
    value: np.ndarray
    grad: np.ndarray | None
    inputs: tuple
    unnamed: bool = False

    @property
    def is_scalar(self) -> bool:
        return self.value.size == 1


@dataclass(frozen=True, eq=False)
class TraceEdge:
    """What the backward pass hands from node ``output`` to its input ``input`` (ids).

    ``contribution`` is the op's backward rule applied to ``upstream`` (the output's
    complete gradient). ``local`` is d(output)/d(input) when the output is a scalar (a
    number, or an array of the input's shape when the input is a tensor), and None when
    the output is a tensor: then it is a ``output.size x input.size`` Jacobian, not formed.
    """
    output: int
    input: int
    slot: int
    upstream: np.ndarray
    local: np.ndarray | None
    contribution: np.ndarray


class GraphTrace:
    """The trace of one scalar's graph; see ``trace``.

    ``nodes`` are in forward order (``nodes[i].id == i + 1``); ``order`` lists the ids of
    the nodes that need a gradient in the order the backward pass visits them; ``edges``
    are in the order the backward pass computes them.
    """

    def __init__(self, nodes, order, edges, root: int, tensors) -> None:
        self.nodes = tuple(nodes)
        self.order = tuple(order)
        self.edges = tuple(edges)
        self.root = root
        self._tensors = tensors   # id(tensor) -> (weakref, node id), for node(tensor)
        # Each node's edges, so that renderers asking for every node's edges take linear
        # time, not nodes x edges (40k ops: 137 s before).
        self._from: dict = {}
        self._into: dict = {}
        for e in self.edges:
            self._from.setdefault(e.output, []).append(e)
            self._into.setdefault(e.input, []).append(e)

    # -- reading
    @property
    def output(self) -> TraceNode:
        return self.nodes[self.root - 1]

    @property
    def value(self) -> float:
        """The output's forward value."""
        return float(self.output.value.reshape(-1)[0])

    def node(self, key) -> TraceNode:
        """A node by id (int), by label (str) or by the Tensor it was made from."""
        if isinstance(key, Tensor):
            entry = self._tensors.get(id(key))
            if entry is None or entry[0]() is not key:
                raise KeyError("inspect: this tensor is not part of the traced graph")
            return self.nodes[entry[1] - 1]
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if not 1 <= key <= len(self.nodes):
                raise KeyError(f"inspect: no node #{key}; the ids run from 1 to {len(self.nodes)}")
            return self.nodes[key - 1]
        matches = [n for n in self.nodes if n.label == key]
        if len(matches) != 1:
            raise KeyError(f"inspect: {len(matches)} nodes are labelled {key!r}; "
                           "ask by id or by tensor")
        return matches[0]

    def variables(self) -> list:
        """The leaves that require a gradient, in forward order."""
        return [n for n in self.nodes if n.kind == "variable"]

    def gradients(self) -> dict:
        """d(output)/d(variable) for every variable, keyed by label (``label#id`` where
        labels repeat): a float for a scalar, an array otherwise."""
        out = {}
        variables = self.variables()
        count = Counter(n.label for n in variables)
        for n in variables:
            key = n.label if count[n.label] == 1 else f"{n.label}#{n.id}"
            out[key] = float(n.grad.reshape(-1)[0]) if n.is_scalar else n.grad
        return out

    def finite(self) -> bool:
        """Whether every value and gradient in the graph is a finite number."""
        return all(np.all(np.isfinite(n.value)) and (n.grad is None or np.all(np.isfinite(n.grad)))
                   for n in self.nodes)

    def edges_from(self, node_id: int) -> list:
        """The contributions a node hands to its inputs."""
        return list(self._from.get(node_id, ()))

    def edges_into(self, node_id: int) -> list:
        """The contributions that add up to a node's gradient."""
        return list(self._into.get(node_id, ()))

    # -- rendering (see render.py)
    def text(self, title: str | None = None) -> str:
        """Aligned plain text for a terminal."""
        return render.to_text(self, title)

    def dot(self, title: str | None = None) -> str:
        """Graphviz DOT source."""
        return render.to_dot(self, title)

    def svg(self, title: str | None = None) -> str:
        """SVG drawn by Graphviz's ``dot``; raises GraphvizNotFound if it is not installed."""
        return render.to_svg(self, title)

    def to_dict(self) -> dict:
        """Plain, JSON-serialisable data: nodes, edges, the backward order."""
        return render.to_dict(self)

    def json(self, indent: int | None = 2) -> str:
        return render.to_json(self, indent)

    def html(self) -> str:
        """An HTML table of the backward pass (what Jupyter shows without Graphviz)."""
        return render.to_html(self)

    def save(self, path, format: str | None = None, title: str | None = None) -> list:
        """Write the trace to path (format from the suffix: .txt .dot .svg .json .html),
        atomically; returns the paths written. For .svg the DOT is written next to it, and
        if Graphviz is missing GraphvizNotFound is raised after the DOT is written."""
        return render.save(self, path, format, title)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return (f"<GraphTrace of {self.output.label} = {render.describe(self.output.value)}: "
                f"{len(self.nodes)} nodes, {len(self.edges)} backward edges>")

    # Jupyter: the drawn graph when Graphviz is there, else a table (None = not offered).
    def _repr_svg_(self):
        return self.svg() if render.dot_available() else None

    def _repr_html_(self):
        return None if render.dot_available() else self.html()


# ---------------------------------------------------------------------- trace
def trace(output: Tensor, params=None) -> GraphTrace:
    """Trace the graph behind a scalar tensor: values, gradients, and every edge's
    ``upstream x local = contribution``, in the order the backward pass visits the nodes.

    params: names for tensors that have none, as torchviz's ``make_dot(params=...)``: a
    Module (its ``named_parameters()``) or a ``{name: tensor}`` dict. Other unnamed
    variables are labelled v1, v2, ... in forward order.

    Call it before ``output.backward()``, or after ``backward(retain_graph=True)``: a plain
    ``backward()`` frees the values the rules need (a ``GraphFreedError`` says so).

    >>> t = cr.inspect.trace(loss, params=model)      # then loss.backward() as usual  # doctest: +SKIP
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"inspect.trace: expected a Tensor, got {type(output).__name__}")
    if output.data.size != 1:
        raise ValueError(f"inspect.trace: expected a scalar (one-element) tensor, got shape "
                         f"{output.shape}; reduce it first, e.g. loss.mean()")
    given = _param_names(params)
    forward = _forward_order(output)
    ids = {id(t): i + 1 for i, t in enumerate(forward)}
    seen = _Recorder(ids)
    if output.requires_grad:
        _watch_backward(output, seen)

    labels = _labels(forward, given)
    nodes = []
    for i, t in enumerate(forward):
        g = seen.grads.get(id(t))
        label, unnamed = labels[i]
        nodes.append(TraceNode(
            id=i + 1, label=label, kind=_kind(t), op=t.op, shape=tuple(t.shape),
            value=np.array(t.data, copy=True), grad=None if g is None else np.asarray(g),
            inputs=tuple(ids[id(p)] for p in t.parents), unnamed=unnamed))
    tensors = {id(t): (weakref.ref(t), i + 1) for i, t in enumerate(forward)}
    return GraphTrace(nodes, seen.order, seen.edges, ids[id(output)], tensors)


def _param_names(params) -> dict:
    """id(tensor) -> name, from a Module or a {name: tensor} mapping."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, Mapping):
        raise TypeError(f"inspect.trace: params must be a Module or a {{name: tensor}} dict, "
                        f"got {type(params).__name__}")
    for name, t in params.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"inspect.trace: params[{name!r}] must be a Tensor, got "
                            f"{type(t).__name__}")
    return {id(t): str(name) for name, t in params.items()}


class _Recorder(BackwardObserver):
    """What the engine's pass shows, kept by node id: the visiting order, every node's
    gradient (by ``id(tensor)``) and every edge, in the order the pass computes them."""

    def __init__(self, ids: dict) -> None:
        self.ids = ids
        self.order: list = []
        self.grads: dict = {}
        self.edges: list = []

    def on_start(self, order: list) -> None:
        self.order = [self.ids[id(t)] for t in order]

    def on_node(self, node: Tensor, grad) -> None:
        self.grads[id(node)] = np.asarray(grad)

    def on_edge(self, node, input, upstream, local, contribution, slot: int) -> None:
        self.edges.append(TraceEdge(
            self.ids[id(node)], self.ids[id(input)], slot, np.asarray(upstream),
            None if local is None else np.asarray(local), np.asarray(contribution)))


def _watch_backward(output: Tensor, recorder: _Recorder) -> None:
    """Run the engine's backward pass from output as a look only: no ``.grad`` written, no
    hook run, the graph kept. NumPy's warnings are silenced; an inf or nan shows up in the
    trace itself."""
    try:
        with np.errstate(all="ignore"):
            run_backward([output], [None], retain_graph=True, observer=recorder,
                         accumulate=False, run_hooks=False)
    except GraphFreedError as e:
        raise GraphFreedError(
            "inspect.trace: this graph was already backpropagated and freed by backward(); "
            "trace it first and backpropagate after (t = cr.inspect.trace(f); f.backward()), "
            "or call backward(retain_graph=True) to keep the graph for tracing") from e


def _forward_order(root: Tensor) -> list:
    """Every node of the graph, constants included, inputs before outputs (iterative). The
    nodes that need a gradient come in the same order as ``topological_order``, which
    skips constants (they are leaves, so skipping them moves nothing else)."""
    order = []
    seen = {id(root)}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for p in parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(p.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _kind(t: Tensor) -> str:
    if not t.is_leaf:
        return "op"
    return "variable" if t.requires_grad else "constant"


def _labels(forward: list, given: dict) -> list:
    """(label, unnamed) per node: the tensor's name, its name in params, its op, its value
    for an unnamed scalar constant; v1, v2, ... (skipping names already used) for unnamed
    variables, which "input" described badly (a weight is no input)."""
    out = []
    for t in forward:
        if t.name is not None:
            out.append((str(t.name), False))
        elif id(t) in given:
            out.append((given[id(t)], False))
        elif not t.is_leaf:
            out.append((t.op, False))
        elif t.requires_grad:
            out.append((None, True))
        else:
            out.append((render.describe(t.data) if t.data.size == 1 else "constant", False))
    used = {label for label, _ in out}
    k = 0
    for i, (label, unnamed) in enumerate(out):
        if unnamed:
            k += 1
            while f"v{k}" in used:
                k += 1
            out[i] = (f"v{k}", True)
    return out
