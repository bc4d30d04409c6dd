"""The Backprop tab: an expression's graph and its backward pass, step by step.

The expression goes through chainrule's own safe parser (``chainrule.expr``: a grammar,
never ``eval``) and the trace is ``cr.inspect``'s, as JSON, plus the two orders the page
animates: ``forward`` (node ids, inputs first) and ``backward`` (the edges in the order
the backward pass computes them, each upstream x local = contribution).

>>> msg = graph_message("(x + y) * z", {"x": 3, "y": -4, "z": 5})
>>> msg["value"], msg["gradients"]
(-5.0, {'x': 5.0, 'y': 5.0, 'z': -1.0})
"""
from __future__ import annotations

import numpy as np

from ..expr import ExprError, parse
from ..grad_mode import enable_grad
from ..inspect import trace
from .errors import N_, PlaygroundError

__all__ = ["PRESETS", "graph_message", "MAX_NODES"]

PRESETS = [{"expression": "(x + y) * z", "at": {"x": 3, "y": -4, "z": 5}},
           {"expression": "sigmoid(t0 + t1*x)", "at": {"x": 1, "t0": -3, "t1": 3}}]
MAX_NODES = 500


def graph_message(expression: str, at: dict) -> dict:
    """The ``graph`` message for an expression at the given values (float64, so the
    numbers shown are exact)."""
    try:
        parsed = parse(expression)
        with enable_grad(), np.errstate(all="ignore"):   # inf and nan are shown as answers
            f, _ = parsed.build(at)
            traced = trace(f)
    except ExprError as e:
        raise PlaygroundError(N_("the expression is not valid: {detail}"), "expression",
                              detail=str(e)) from None
    if len(traced.nodes) > MAX_NODES:
        raise PlaygroundError(N_("the expression has {count} nodes; at most {high} are "
                                 "drawn"), "expression", count=len(traced.nodes),
                              high=MAX_NODES)
    out = traced.to_dict()
    out["forward"] = [n["id"] for n in out["nodes"]]
    out["backward"] = [{k: e[k] for k in ("output", "input", "upstream", "local",
                                          "contribution")} for e in out["edges"]]
    return {"type": "graph", "expression": expression, "at": dict(at), **out}
