"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .optimizer import Optimizer, check_number, l2_penalised

__all__ = ["SGD", "sgd"]


class SGD(Optimizer):
    """Gradient descent: step against the gradient, optionally with momentum.

    Algorithm (the same as PyTorch's; g is the parameter's gradient, b its momentum
    buffer)::

        input: lr, momentum mu, dampening tau, weight_decay lambda, nesterov
        for t = 1, 2, ...:
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            if mu != 0:
                if t == 1:   b_t = g_t                      (no dampening on the first step)
                else:        b_t = mu * b_{t-1} + (1 - tau) * g_t
                if nesterov: g_t = g_t + mu * b_t
                else:        g_t = b_t
            theta_t = theta_{t-1} - lr * g_t

    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = cr.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()        # gradient 2w = [2, -4]
    >>> opt.step()
    >>> w.data
    array([ 0.8, -1.6], dtype=float32)
    """

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                        weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_number("SGD", "lr", group["lr"])
        check_number("SGD", "momentum", group["momentum"])
        check_number("SGD", "dampening", group["dampening"])
        check_number("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update(self, group: dict, params: list, grads: list, states: list) -> None:
        momentum = group["momentum"]
        bufs = [s.get("momentum_buffer") for s in states] if momentum else None
        sgd(params, grads, bufs, lr=group["lr"], momentum=momentum,
            dampening=group["dampening"], nesterov=group["nesterov"],
            weight_decay=group["weight_decay"])
        if momentum:
            for s, buf in zip(states, bufs):
                s["momentum_buffer"] = buf


def sgd(params: list[np.ndarray], grads: list[np.ndarray],
        momentum_buffers: list[np.ndarray | None] | None, *, lr: float, momentum: float,
        dampening: float, nesterov: bool, weight_decay: float) -> None:
    """One SGD step over arrays, in place (see ``SGD`` for the rule).

    ``momentum_buffers[i]`` is None before parameter i's first step; a new buffer is put
    into the list then. The gradients are only read.
    """
    lr, momentum, weight_decay = float(lr), float(momentum), float(weight_decay)
    keep = 1.0 - float(dampening)
    for i, p in enumerate(params):
        g = grads[i]
        if weight_decay:
            g = l2_penalised(p, g, weight_decay)
        if momentum:
            buf = momentum_buffers[i]
            if buf is None:
                # a copy (g may be the .grad array itself), in the parameter's dtype
                buf = momentum_buffers[i] = np.array(g, dtype=p.dtype)
            else:
                buf *= momentum
                buf += g if keep == 1.0 else np.multiply(g, keep)
            if nesterov:
                d = np.multiply(buf, momentum)
                d += g
                g = d
            else:
                g = buf
        d = np.multiply(g, lr)
        p -= d
