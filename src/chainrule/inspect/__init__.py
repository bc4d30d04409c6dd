"""Seeing inside: graph traces and their renderers, multiplication counts, figures.

>>> x = cr.tensor(3.0, requires_grad=True, name="x")
>>> f = x * x
>>> t = cr.inspect.trace(f)              # f a scalar tensor; see trace.py
>>> print(t)                             # values, gradients, upstream x local per edge  # doctest: +SKIP
value: f = 9
gradients: df/dx = 6
<BLANKLINE>
forward pass (inputs first):
  #1  x    variable     3
  #2  mul  mul(#1, #1)  9
<BLANKLINE>
backward pass, in the order it visits the nodes (seed 1 at #2):
  each node hands upstream x local to each input; an input's gradient is the sum of what reaches it
  #2  mul  grad 1 (seed)
      -> #1 x  upstream 1  x local 3  =  3
      -> #1 x  upstream 1  x local 3  =  3
  #1  x    grad 3 + 3 = 6
>>> t.save("graph.svg")                  # also .dot .json .txt .html  # doctest: +SKIP
>>> cr.inspect.count_multiplications(f)  # naive chain rule vs backprop
MultiplicationCount(naive=2, backprop=2, edges=2, variables={'x': (2, 2)})
>>> print(cr.inspect.format_network_table())
a chain network of L layers, each a = sigmoid(w * a + b), gradients for every w and b:
  layers L  naive chain rule  backprop   ratio
         1                 5         4     1.2
         2                16         9     1.8
         4                56        19     2.9
         8               208        39     5.3
        16               800        79    10.1
  naive grows like L**2 (each variable redoes the shared prefix of its paths); backprop like L (each edge once)
>>> flow = cr.inspect.GradientFlow(model)   # per-layer gradient norms, every step of fit  # doctest: +SKIP
>>> cr.inspect.plot_decision_boundary(model, X, y)     # 2-D data; DecisionBoundary redraws it  # doctest: +SKIP
>>> cr.inspect.plot_history(history)                   # the same as history.plot()  # doctest: +SKIP

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
