"""Adam and AdamW: momentum and RMSprop combined, with bias correction.

AdamW is Adam with the weight decay taken out of the gradient and applied to the
parameter directly (``decoupled_weight_decay=True``), as in PyTorch.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from .optimizer import Optimizer, check_number, l2_penalised

__all__ = ["Adam", "AdamW", "adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), with optional AMSGrad and weight decay.

    Algorithm (the same as PyTorch's; t counts the steps of each parameter, all
    operations elementwise)::

        input: lr, betas (beta1, beta2), eps, weight_decay lambda, amsgrad,
               decoupled_weight_decay
        init:  m_0 = 0 (first moment), v_0 = 0 (second moment), v_0^max = 0
        for t = 1, 2, ...:
            g_t = grad f(theta_{t-1})
            if lambda != 0:
                if decoupled_weight_decay:  theta_{t-1} = theta_{t-1} * (1 - lr * lambda)
                else:                       g_t = g_t + lambda * theta_{t-1}
            m_t = beta1 * m_{t-1} + (1 - beta1) * g_t
            v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2
            if amsgrad:  v_t^max = max(v_{t-1}^max, v_t);  s_t = v_t^max
            else:        s_t = v_t
            theta_t = theta_{t-1} - lr / (1 - beta1^t) * m_t / (sqrt(s_t / (1 - beta2^t)) + eps)

    eps is added after the square root of the bias-corrected second moment.

    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = cr.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                      # the first step moves each entry by lr
    >>> w.data.round(4)
    array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 decoupled_weight_decay: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        name = type(self).__name__
        check_number(name, "lr", group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        check_number(name, "betas[0]", betas[0], 0.0, 1.0, high_inclusive=False)
        check_number(name, "betas[1]", betas[1], 0.0, 1.0, high_inclusive=False)
        check_number(name, "eps", group["eps"])
        check_number(name, "weight_decay", group["weight_decay"])

    def _init_state(self, param: np.ndarray, group: dict) -> dict:
        state = {"step": 0, "exp_avg": np.zeros_like(param),
                 "exp_avg_sq": np.zeros_like(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(self, group: dict, params: list, grads: list, states: list) -> None:
        steps = []
        for s in states:
            s["step"] += 1
            steps.append(s["step"])
        beta1, beta2 = group["betas"]
        amsgrad = group["amsgrad"]
        adam(params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
             [s["max_exp_avg_sq"] for s in states] if amsgrad else None, steps,
             lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"],
             weight_decay=group["weight_decay"], amsgrad=amsgrad,
             decoupled_weight_decay=group["decoupled_weight_decay"])


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The decay shrinks the parameter, ``theta = theta * (1 - lr * weight_decay)``, before
    the Adam step instead of being added to the gradient, so it is not rescaled by the
    second moment. Otherwise the algorithm is ``Adam``'s (see there).

    >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = cr.optim.AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()                      # w * (1 - 0.05), then the Adam step of 0.1
    >>> w.data
    array([ 0.85, -1.8 ], dtype=float32)
    """

    def __init__(self, params: Iterable, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:   # an AdamW stays AdamW, whatever was loaded
            group["decoupled_weight_decay"] = True


def adam(params: list[np.ndarray], grads: list[np.ndarray], exp_avgs: list[np.ndarray],
         exp_avg_sqs: list[np.ndarray], max_exp_avg_sqs: list[np.ndarray] | None,
         steps: list[int], *, lr: float, beta1: float, beta2: float, eps: float,
         weight_decay: float, amsgrad: bool, decoupled_weight_decay: bool) -> None:
    """One Adam step over arrays, in place (see ``Adam`` for the rule).

    ``steps[i]`` is t for parameter i, already counting this step (1 on the first);
    ``max_exp_avg_sqs`` is needed when ``amsgrad``.
    """
    lr, beta1, beta2, eps = float(lr), float(beta1), float(beta2), float(eps)
    weight_decay = float(weight_decay)
    shrink = 1.0 - lr * weight_decay
    for i, p in enumerate(params):
        g = grads[i]
        if weight_decay:
            if decoupled_weight_decay:
                p *= shrink
            else:
                g = l2_penalised(p, g, weight_decay)
        t = steps[i]
        m, v = exp_avgs[i], exp_avg_sqs[i]
        # d is this step's scratch array (made explicitly: a ufunc on 0-d arrays returns
        # a scalar, which out= cannot write into)
        d = np.multiply(g, 1.0 - beta1, out=np.empty_like(p))
        m *= beta1
        m += d
        np.multiply(g, g, out=d)
        d *= 1.0 - beta2
        v *= beta2
        v += d
        if amsgrad:
            np.maximum(max_exp_avg_sqs[i], v, out=max_exp_avg_sqs[i])
            v = max_exp_avg_sqs[i]
        np.sqrt(v, out=d)
        d /= math.sqrt(1.0 - beta2 ** t)
        d += eps
        np.divide(m, d, out=d)
        d *= lr / (1.0 - beta1 ** t)
        p -= d
