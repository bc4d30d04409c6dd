"""Replay forms: how ``cr.compile`` runs one recorded op again on NumPy arrays.

A form has two builders, both called once, at record time:

* ``forward(node)`` returns the function that recomputes the op's output into
  ``node.out`` (a buffer allocated then) from ``node.inputs``, or None when the output is a
  view of an input and needs no work (a reshape);
* ``backward(node, g, dests)`` returns the function that writes the gradient of each
  input into ``dests[i]`` (a buffer, or None where no gradient is wanted), given the
  upstream gradient in the buffer ``g`` (or None when there is nothing to do);
* optionally ``passes(node)``: for each input, whether its gradient is g unchanged, so
  that the program may give it g's buffer instead of a copy;
* ``reads``: what the backward reads besides g (``"inputs"``, ``"x"`` for the first input
  only, ``"out"``), so that the program can hand a buffer nobody reads any more to a later
  value (a form that says nothing is assumed to read everything).

Each form computes what the eager op computes, with the same NumPy calls in the same
order, so a replayed step gives the eager step's numbers to the last bit; where it can it
writes into its buffers (``out=``) instead of allocating. Forms of the hot ops (linear, the
activations, the losses) are written out; the rest (``Generic``) recompute the forward
with the op's ufunc and call the op's own backward rule, which reads only its arguments
and constants of the op (its shapes). An op without a form is not replayed: the step runs
eagerly and says why.
"""
from __future__ import annotations

import numpy as np

from ..nn.dropout import dropout_mask
from ..nn.losses import cross_entropy_parts, reduce_losses
from ..ops.activation import sigmoid_array
from ..ops.xp import NUMPY

__all__ = ["FORMS", "Node"]


class Node:
    """One recorded op as the forms see it: its name, the arrays of its inputs (buffers or
    constants), its output buffer, what the op passed as ``replay=`` and its rule."""

    __slots__ = ("op", "inputs", "out", "attrs", "rule", "needs", "saved", "temp")

    def __init__(self, op, inputs, out, attrs, rule, needs, temp=None):
        self.op, self.inputs, self.out, self.attrs = op, inputs, out, attrs or {}
        self.rule, self.needs, self.saved = rule, needs, {}
        # temp(shape, dtype): a scratch array shared by every step (its contents last only
        # while one step runs)
        self.temp = temp or (lambda shape, dtype: np.empty(shape, dtype))


def write_into(dest: np.ndarray, value) -> None:
    """dest[...] = value: a gradient the rule returned, of dest's shape."""
    np.copyto(dest, value, casting="unsafe")


# ---------------------------------------------------------------- the generic form
class Generic:
    """Ops whose forward is one ufunc (or an ndarray reduction, ``method``: sum, mean) and
    whose rule reads only its arguments: the rule itself is the backward."""

    reads = ("inputs", "out")    # the op's rule may read any of them

    def __init__(self, ufunc=None, method=None):
        self.ufunc, self.method = ufunc, method
        self.late_inputs = ufunc is not None    # (see Linear)

    def forward(self, node: Node):
        ufunc, out, ins = self.ufunc, node.out, node.inputs
        if ufunc is not None:
            if any(a.dtype != out.dtype for a in ins):
                raise Unreplayable(f"{node.op} of {', '.join(str(a.dtype) for a in ins)} "
                                   f"into {out.dtype} (a dtype promotion)")
            return lambda: ufunc(*ins, out=out)
        method, attrs, x = self.method, node.attrs, ins[0]

        def step():
            out[...] = getattr(x, method)(axis=attrs["axis"], keepdims=attrs["keepdims"])
        return step

    def backward(self, node: Node, g: np.ndarray, dests: list):
        rule, out, ins = node.rule, node.out, node.inputs
        if all(d is None for d in dests):
            return None

        def step():
            for dest, value in zip(dests, rule(NUMPY, g, out, *ins)):
                if dest is not None:
                    write_into(dest, value)
        return step


class Unreplayable(Exception):
    """A recorded op that its form cannot replay; the message says why."""


class View(Generic):
    """reshape and its kin: the output is a view of the input's buffer, made once."""

    def view(self, x: np.ndarray, shape: tuple) -> np.ndarray:
        return x.reshape(shape)

    def passes(self, node: Node) -> list:
        return [True]     # the input's gradient is g reshaped: a view of g's buffer


class Add(Generic):
    """a + b. Where an input has the output's shape its gradient is g itself: the program
    hands the input g's buffer (``passes``, one input per node) and the form copies g to
    the others; with broadcasting the op's rule sums g down."""

    reads = ()    # (with broadcasting the rule reads the inputs' shapes only)

    def __init__(self):
        super().__init__(np.add)

    def passes(self, node: Node) -> list:
        return [a.shape == node.out.shape for a in node.inputs]

    def backward(self, node: Node, g: np.ndarray, dests: list):
        if not all(self.passes(node)):
            return Generic.backward(self, node, g, dests)
        copies = [d for d in dests if d is not None]
        if not copies:
            return None
        if len(copies) == 1:
            dest = copies[0]
            return lambda: np.copyto(dest, g)
        return lambda: [np.copyto(d, g) for d in copies]


class Cast(Generic):
    """astype: the values copied into the output's dtype (what ndarray.astype does)."""

    def forward(self, node: Node):
        x, out = node.inputs[0], node.out
        return lambda: np.copyto(out, x, casting="unsafe")


# --------------------------------------------------------------- written-out forms
class Linear:
    """x @ W + b into the output buffer; dX = G W^T, dW = X^T G, db = G summed over rows."""

    late_inputs = True    # reads node.inputs[0] when it runs: a step's input is not copied
    reads = ("x",)

    def forward(self, node: Node):
        out, ins = node.out, node.inputs
        w = ins[1]
        if ins[0].ndim != 2:
            raise Unreplayable(f"linear on an input of shape {ins[0].shape} (forms exist "
                               "for batches of rows only)")
        if len(ins) == 2:
            return lambda: np.matmul(ins[0], w, out=out)
        b = ins[2]

        def step():
            np.matmul(ins[0], w, out=out)
            np.add(out, b, out=out)
        return step

    def backward(self, node: Node, g: np.ndarray, dests: list):
        ins = node.inputs
        wt = ins[1].T
        dx, dw = dests[0], dests[1]
        db = dests[2] if len(dests) == 3 else None

        def step():
            if dx is not None:
                np.matmul(g, wt, out=dx)
            if dw is not None:
                np.matmul(ins[0].T, g, out=dw)
            if db is not None:
                np.add.reduce(g, axis=0, out=db)
        return step


class Sigmoid:
    """1 / (1 + e**-x), in place in the output; the backward from it: g * out * (1 - out).
    (Below the dtype's exponent range e**-x is inf and the output 0, not the denormal the
    eager op keeps; ``Program.run`` silences that overflow.)"""

    reads = ("out",)

    def forward(self, node: Node):
        x, out = node.inputs[0], node.out

        def step():
            np.negative(x, out=out)
            np.exp(out, out=out)
            np.add(out, 1, out=out)
            np.reciprocal(out, out=out)
        return step

    def backward(self, node: Node, g: np.ndarray, dests: list):
        out, dest = node.out, dests[0]
        scratch = node.temp(out.shape, out.dtype)

        def step():
            np.multiply(g, out, out=dest)
            np.subtract(1, out, out=scratch)
            np.multiply(dest, scratch, out=dest)
        return step


class Tanh:
    reads = ("out",)

    def forward(self, node: Node):
        x, out = node.inputs[0], node.out
        return lambda: np.tanh(x, out=out)

    def backward(self, node: Node, g: np.ndarray, dests: list):
        out, dest = node.out, dests[0]
        scratch = node.temp(out.shape, out.dtype)

        def step():   # g * (1 - out * out)
            np.multiply(out, out, out=scratch)
            np.subtract(1, scratch, out=scratch)
            np.multiply(g, scratch, out=dest)
        return step


class ReLU:
    reads = ("out",)

    def forward(self, node: Node):
        x, out = node.inputs[0], node.out
        return lambda: np.maximum(x, 0, out=out)

    def backward(self, node: Node, g: np.ndarray, dests: list):
        out, dest = node.out, dests[0]
        mask = node.temp(out.shape, np.dtype(bool))

        def step():   # g * ~(out <= 0): NaN passes g, as the eager rule
            np.less_equal(out, 0, out=mask)
            np.logical_not(mask, out=mask)
            np.multiply(g, mask, out=dest)
        return step


class Dropout:
    """A fresh mask each replay, drawn as the eager op draws it (same generator, same
    order), so a replayed run sees the masks an eager run would."""

    reads = ()   # (what it needs, it saved in the forward)

    def forward(self, node: Node):
        x, out, p = node.inputs[0], node.out, node.attrs["p"]
        saved = node.saved

        def step():
            mask = saved["mask"] = dropout_mask(x.shape, p, x.dtype)
            np.multiply(x, mask, out=out)
        return step

    def backward(self, node: Node, g: np.ndarray, dests: list):
        saved, dest = node.saved, dests[0]
        return lambda: np.multiply(g, saved["mask"], out=dest)


class FusedLoss:
    """The fused losses of ``nn/losses.py``: the per-element values from the same function
    the eager op calls, reduced as there; the backward is the op's rule."""

    late_inputs = True

    def forward(self, node: Node):
        values, reduction = node.attrs["values"], node.attrs["reduction"]
        ins, out = node.inputs, node.out

        def step():
            out[...] = reduce_losses(values(*ins), reduction)
        return step

    backward = Generic.backward


class BCEWithLogits(FusedLoss):
    """The loss of the lectures' binary classifiers: its gradient for the logits written
    straight into its buffer, g * (sigmoid(x) - y), as the rule computes it."""

    def backward(self, node: Node, g: np.ndarray, dests: list):
        if len(dests) != 2 or dests[0] is None or dests[1] is not None:
            return FusedLoss.backward(self, node, g, dests)   # (targets with a gradient)
        ins, dest, scale = node.inputs, dests[0], node.attrs["scale"]

        def step():
            gs = g * scale if scale != 1.0 else g
            np.multiply(gs, sigmoid_array(ins[0]) - ins[1], out=dest)
        return step


class CrossEntropy:
    """Softmax cross-entropy against the labels of this call (an input of the step); the
    backward reuses the forward's shifted logits, as the eager op's plain pass does."""

    reads = ()   # (what it needs, it saved in the forward)

    def forward(self, node: Node):
        x, labels, out = node.inputs[0], node.attrs["labels"], node.out
        reduction, saved = node.attrs["reduction"], node.saved
        rows = saved["rows"] = np.arange(x.shape[0])

        def step():
            z, log_norm, losses = cross_entropy_parts(x, labels, rows)
            saved["z"], saved["log_norm"] = z, log_norm
            out[...] = reduce_losses(losses, reduction)
        return step

    def backward(self, node: Node, g: np.ndarray, dests: list):
        labels, dest = node.attrs["labels"], dests[0]
        saved, scale = node.saved, node.attrs["scale"]
        rows = saved["rows"]

        def step():
            gs = g * scale if scale != 1.0 else g
            if gs.ndim < 2:   # (reduction='none': one upstream value per row)
                gs = gs.reshape(gs.shape + (1,) * (2 - gs.ndim))
            local = np.exp(saved["z"] - saved["log_norm"])
            local[rows, labels] -= 1      # - onehot(labels): the same numbers, no zeros
            np.multiply(gs, local, out=dest)
        return step


FORMS = {
    "linear": Linear(),
    "sigmoid": Sigmoid(),
    "tanh": Tanh(),
    "relu": ReLU(),
    "dropout": Dropout(),
    "binary_cross_entropy_with_logits": BCEWithLogits(),
    "binary_cross_entropy": FusedLoss(),
    "cross_entropy": CrossEntropy(),
    "add": Add(),
    "sub": Generic(np.subtract),
    "mul": Generic(np.multiply),
    "div": Generic(np.divide),
    "neg": Generic(np.negative),
    "exp": Generic(np.exp),
    "sum": Generic(method="sum"),
    "mean": Generic(method="mean"),
    "astype": Cast(),
    "reshape": View(),
    "flatten": View(),
    "squeeze": View(),
    "unsqueeze": View(),
}
