"""RMSprop: divide each gradient by a running root-mean-square of its recent values."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from .optimizer import Optimizer, check_number, l2_penalised

__all__ = ["RMSprop", "rmsprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture 6e), optionally centered and with momentum.

    Algorithm (the same as PyTorch's; all operations elementwise)::

        input: lr, alpha, eps, weight_decay lambda, momentum mu, centered
        init:  v_0 = 0 (square average), g_0^ave = 0, b_0 = 0 (momentum buffer)
        for t = 1, 2, ...:
            g_t = grad f(theta_{t-1})
            if lambda != 0:  g_t = g_t + lambda * theta_{t-1}
            v_t = alpha * v_{t-1} + (1 - alpha) * g_t^2
            if centered:
                g_t^ave = alpha * g_{t-1}^ave + (1 - alpha) * g_t
                d_t = sqrt(v_t - (g_t^ave)^2) + eps
            else:
                d_t = sqrt(v_t) + eps
            if mu > 0:
                b_t = mu * b_{t-1} + g_t / d_t
                theta_t = theta_{t-1} - lr * b_t
            else:
                theta_t = theta_{t-1} - lr * g_t / d_t

    eps is added after the square root. In the centered form ``v_t - (g_t^ave)^2`` is
    clamped at 0: it cannot be negative in exact arithmetic, but rounding can make it
    so when the gradient stops varying, and PyTorch then gives NaN.

    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = cr.optim.RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()                      # first step: g / sqrt(0.01 g^2) = 10 sign(g)
    >>> w.data.round(4)
    array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_number("RMSprop", "lr", group["lr"])
        check_number("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        check_number("RMSprop", "eps", group["eps"])
        check_number("RMSprop", "weight_decay", group["weight_decay"])
        check_number("RMSprop", "momentum", group["momentum"])

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        state = {"step": 0, "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(self, group: dict, params: list, grads: list, states: list) -> None:
        for s in states:
            s["step"] += 1
        momentum, centered = group["momentum"], group["centered"]
        rmsprop(params, grads, [s["square_avg"] for s in states],
                [s["grad_avg"] for s in states] if centered else None,
                [s["momentum_buffer"] for s in states] if momentum > 0 else None,
                lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
                weight_decay=group["weight_decay"], momentum=momentum, centered=centered)


def rmsprop(params: list[np.ndarray], grads: list[np.ndarray], square_avgs: list[np.ndarray],
            grad_avgs: list[np.ndarray] | None, momentum_buffers: list[np.ndarray] | None, *,
            lr: float, alpha: float, eps: float, weight_decay: float, momentum: float,
            centered: bool) -> None:
    """One RMSprop step over arrays, in place (see ``RMSprop`` for the rule).

    ``grad_avgs`` is needed when ``centered``, ``momentum_buffers`` when ``momentum > 0``.
    """
    lr, alpha, eps = float(lr), float(alpha), float(eps)
    weight_decay, momentum = float(weight_decay), float(momentum)
    one_minus_alpha = 1.0 - alpha
    for i, p in enumerate(params):
        g = grads[i]
        if weight_decay:
            g = l2_penalised(p, g, weight_decay)
        v = square_avgs[i]
        # d is this step's scratch array (made explicitly: a ufunc on 0-d arrays returns
        # a scalar, which out= cannot write into)
        d = np.multiply(g, g, out=np.empty_like(p))
        d *= one_minus_alpha
        v *= alpha
        v += d
        if centered:
            ave = grad_avgs[i]
            np.multiply(g, one_minus_alpha, out=d)
            ave *= alpha
            ave += d
            np.multiply(ave, ave, out=d)
            np.subtract(v, d, out=d)
            # >= 0 in exact arithmetic; rounding can make it -1e-17 once the gradient
            # stops varying, and sqrt would turn that into NaN (as it does in PyTorch)
            np.maximum(d, 0.0, out=d)
            np.sqrt(d, out=d)
        else:
            np.sqrt(v, out=d)
        d += eps
        np.divide(g, d, out=d)            # d = g / (sqrt(v) + eps)
        if momentum > 0:
            buf = momentum_buffers[i]
            buf *= momentum
            buf += d
            np.multiply(buf, lr, out=d)
        else:
            d *= lr
        p -= d
