"""``cr.autograd.Function``: an op whose forward and backward the user writes, as in PyTorch.

This is how a gradient derived by hand is plugged in and checked::

    class Cube(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2     # d(x^3)/dx

    cr.gradcheck(Cube.apply, cr.randn(4))      # True: the hand-derived gradient is right

``forward`` runs without recording (its inside is the user's business); ``backward`` gets one
gradient per output and returns one per input of ``forward`` (None for an input that needs
none). Written with chainrule ops it also works under ``create_graph=True``, where it runs
recorded, so gradients of gradients flow through it.
"""
from __future__ import annotations

import numpy as np

from . import versions
from .grad_mode import _state, no_grad
from .ops._common import sum_to
from .tensor import Tensor, result

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: tensors through ``save_for_backward`` (their
    versions are checked when read back) and anything else as attributes (``ctx.k = 2``)."""

    def __init__(self, name: str, inputs: tuple) -> None:
        self._name = name
        self._saved = ()
        self._epoch = _state["clock"]
        self.needs_input_grad = tuple(isinstance(x, Tensor) and x.requires_grad
                                      for x in inputs)

    def save_for_backward(self, *tensors) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"{self._name}.save_for_backward: argument {i} must be a Tensor "
                                f"or None, got {type(t).__name__}; keep other values as "
                                "attributes of ctx (ctx.value = ...)")
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        for i, t in enumerate(self._saved):
            if t is not None and versions.written_after(t.data, self._epoch):
                raise RuntimeError(
                    "backward: one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: saved tensor {i} of {self._name} (shape "
                    f"{t.shape}) is now at version {versions.version(t.data)}, changed after "
                    f"{self._name}.forward saved it. Compute it out of place, or .clone() it.")
        return tuple(self._saved)

    # PyTorch's other ctx methods, for code that calls them
    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        pass


class Function:
    """Subclass it with ``forward(ctx, *args)`` and ``backward(ctx, *grad_outputs)``, both
    static methods, and call ``YourFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("Function: define forward(ctx, *args) as a @staticmethod")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("Function: define backward(ctx, *grad_outputs) as a "
                                  "@staticmethod, returning one gradient per forward input")

    def __init__(self, *args, **kwargs) -> None:
        raise RuntimeError(f"{type(self).__name__}: call {type(self).__name__}.apply(...) "
                           "rather than making an instance (as in PyTorch)")

    @classmethod
    def apply(cls, *args):
        name = cls.__name__
        ctx = FunctionCtx(name, args)
        with no_grad():
            outputs = cls.forward(ctx, *args)
        single = not isinstance(outputs, (tuple, list))
        outs = (outputs,) if single else tuple(outputs)
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                raise TypeError(f"{name}.forward must return a Tensor or a tuple of tensors, "
                                f"got {type(o).__name__} (output {i})")
        parents = tuple(x for x in args if isinstance(x, Tensor))
        slots = [i for i, x in enumerate(args) if isinstance(x, Tensor)]
        nodes = tuple(_node(cls, ctx, o, k, outs, parents, slots, len(args), args)
                      for k, o in enumerate(outs))
        return nodes[0] if single else nodes


def _node(cls, ctx, out: Tensor, k: int, outs: tuple, parents: tuple, slots: list,
          n_args: int, args: tuple) -> Tensor:
    """Output k as a node whose backward calls the user's, with zeros for the gradients of
    the other outputs (backward is linear in them, so each output can hand its part on)."""
    name = cls.__name__
    shapes = [o.shape for o in outs]
    dtypes = [o.dtype for o in outs]

    def backward(xp, g, node_out, *inputs):   # a rule (see ops/xp.py)
        recorded = isinstance(g, Tensor)
        grads = [Tensor(np.zeros(shapes[j], dtypes[j])) for j in range(len(outs))]
        grads[k] = g if recorded else Tensor(np.asarray(g))
        if recorded:
            returned = cls.backward(ctx, *grads)
        else:
            with no_grad():
                returned = cls.backward(ctx, *grads)
        returned = returned if isinstance(returned, (tuple, list)) else (returned,)
        if len(returned) != n_args:
            raise RuntimeError(f"{name}.backward returned {len(returned)} gradient(s) but "
                               f"forward took {n_args} input(s); return one per input (None "
                               "for an input that needs no gradient)")
        return tuple(_checked(name, returned[i], args[i], i, recorded) for i in slots)

    data = out.data
    if any(out is p for p in parents):   # forward returned an input: a new tensor for it
        data = out.data.view()
    return result(data, parents, backward, name.lower(), "")


def _checked(name: str, grad, x: Tensor, i: int, recorded: bool):
    if grad is None:
        return None
    if not isinstance(grad, Tensor):
        grad = Tensor(np.asarray(grad, dtype=x.dtype))
    if tuple(grad.shape) != x.shape:
        try:
            np.broadcast_shapes(tuple(grad.shape), x.shape)
        except ValueError:
            raise RuntimeError(f"{name}.backward returned a gradient of shape "
                               f"{tuple(grad.shape)} for input {i} of shape {x.shape}") from None
        grad = sum_to(grad, x.shape) if grad.ndim >= x.ndim else grad.broadcast_to(x.shape)
    return grad if recorded else np.asarray(grad.data)
