"""Seeing inside: graph traces and their renderers, multiplication counts, figures.

>>> t = cr.inspect.trace(f)              # f a scalar tensor; see trace.py
>>> print(t)                             # values, gradients, upstream x local per edge
>>> t.save("graph.svg")                  # also .dot .json .txt .html
>>> cr.inspect.count_multiplications(f)  # naive chain rule vs backprop
>>> print(cr.inspect.format_network_table())
>>> flow = cr.inspect.GradientFlow(model)   # per-layer gradient norms, every step of fit
>>> cr.inspect.plot_decision_boundary(model, X, y)     # 2-D data; DecisionBoundary redraws it
>>> cr.inspect.plot_history(history)                   # the same as history.plot()

``cr.inspect.plots`` holds the figure functions (matplotlib, imported only when used); every
figure shows itself inline in Jupyter.
"""
from .gradient_flow import GradientFlow
from .plots import plot_gradient_norms, plot_history
from .decision import DecisionBoundary, plot_decision_boundary
from .count import (MultiplicationCount, count_multiplications, count_network,
                    format_network_table, network_table)
from .render import GraphvizNotFound, dot_available
from .trace import GraphTrace, TraceEdge, TraceNode, trace

__all__ = ["trace", "GraphTrace", "TraceNode", "TraceEdge", "GraphvizNotFound",
           "dot_available", "count_multiplications", "count_network", "network_table",
           "format_network_table", "MultiplicationCount", "GradientFlow",
           "plot_gradient_norms", "plot_history", "plot_decision_boundary", "DecisionBoundary"]
