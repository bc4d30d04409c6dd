"""Why backpropagation: multiplications of local derivatives, counted two ways.

Naive (the per-variable chain rule the lecture first does by hand): for each input
variable, write d(output)/d(variable) as a sum over every path from the output down to it
of the product of the local derivatives on the path, and evaluate it on its own. A path of
length k costs k multiplications (counting the output's seed 1 as the first factor), and
shared prefixes are recomputed for every path and every variable.

Backprop: one reverse pass; each edge of the graph multiplies its node's upstream gradient
by its local derivative once, so the cost is the number of edges.

The path sums are found by dynamic programming over the graph (the number of paths from
the output to each node and their total length), never by listing paths, so a graph with
exponentially many paths is counted in time linear in its size.

>>> x = cr.tensor(3.0, requires_grad=True, name="x")
>>> y = cr.tensor(-4.0, requires_grad=True, name="y")
>>> z = cr.tensor(5.0, requires_grad=True, name="z")
>>> count_multiplications((x + y) * z)
MultiplicationCount(naive=5, backprop=4, ...)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..autograd import topological_order
from ..ops import add, mul, sigmoid
from ..tensor import Tensor

__all__ = ["MultiplicationCount", "count_multiplications", "count_network", "network_table",
           "format_network_table"]


@dataclass(frozen=True)
class MultiplicationCount:
    """``naive``: multiplications of the per-variable chain rule; ``backprop``: those of one
    reverse pass (= ``edges``). ``variables`` maps each variable's label to ``(paths,
    multiplications)``: how many paths lead from the output to it and their total length."""
    naive: int
    backprop: int
    edges: int
    variables: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.naive / self.backprop if self.backprop else float("nan")

    def text(self) -> str:
        lines = ["multiplications of local derivatives:"]
        for name, (paths, mults) in self.variables.items():
            lines.append(f"  naive, d/d{name}: {paths} path{'s' if paths != 1 else ''}, "
                         f"{mults} multiplication{'s' if mults != 1 else ''}")
        lines.append(f"  naive chain rule, one variable at a time: {self.naive}")
        lines.append(f"  backprop, one reverse pass (one per edge): {self.backprop}")
        return "\n".join(lines)


def count_multiplications(output: Tensor) -> MultiplicationCount:
    """Count the naive chain rule's and backprop's multiplications for output's graph."""
    if not isinstance(output, Tensor):
        raise TypeError(f"count_multiplications: expected a Tensor, got {type(output).__name__}")
    if not output.requires_grad:
        return MultiplicationCount(0, 0, 0, {})
    paths = {id(output): 1}       # paths from the output to each node
    length = {id(output): 0}      # their total length, in edges
    edges = 0
    order = topological_order(output)
    for node in reversed(order):  # consumers before inputs: a node's counts are complete
        if not node.is_leaf and not node.parents:
            raise RuntimeError("count_multiplications: this graph was freed by backward(); "
                               "count before backward(), or use backward(retain_graph=True)")
        for p in node.parents:
            if not p.requires_grad:
                continue
            edges += 1
            paths[id(p)] = paths.get(id(p), 0) + paths[id(node)]
            length[id(p)] = length.get(id(p), 0) + length[id(node)] + paths[id(node)]
    variables = {}
    for i, t in enumerate(t for t in order if t.is_leaf):
        name = t.name if t.name is not None else f"input{i}"
        variables[name] = (paths[id(t)], length[id(t)])
    naive = sum(m for _, m in variables.values())
    return MultiplicationCount(naive, edges, edges, variables)


def count_network(depth: int) -> MultiplicationCount:
    """The counts for a chain network of ``depth`` layers, each ``a = sigmoid(w * a + b)``
    on one scalar input: naive = 3L**2 + 2L grows like L**2, backprop = 5L - 1 like L."""
    if not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"count_network: depth must be a positive int, got {depth!r}")
    a = Tensor(np.asarray(0.5))              # the input: data, not a variable
    for k in range(1, int(depth) + 1):
        w = Tensor(np.asarray(0.5), requires_grad=True, name=f"w{k}")
        b = Tensor(np.asarray(0.1), requires_grad=True, name=f"b{k}")
        a = sigmoid(add(mul(w, a), b))
    return count_multiplications(a)


def network_table(depths: Sequence[int] = (1, 2, 4, 8, 16)) -> list:
    """``[(L, count_network(L)), ...]``."""
    return [(int(L), count_network(L)) for L in depths]


def format_network_table(rows=None) -> str:
    """A small table of naive vs backprop multiplications by depth."""
    rows = network_table() if rows is None else rows
    lines = ["a chain network of L layers, each a = sigmoid(w * a + b), "
             "gradients for every w and b:",
             f"  {'layers L':>8}  {'naive chain rule':>16}  {'backprop':>8}  {'ratio':>6}"]
    for L, c in rows:
        lines.append(f"  {L:>8}  {c.naive:>16}  {c.backprop:>8}  {c.ratio:>6.1f}")
    lines.append("  naive grows like L**2 (each variable redoes the shared prefix of its paths); "
                 "backprop like L (each edge once)")
    return "\n".join(lines)
