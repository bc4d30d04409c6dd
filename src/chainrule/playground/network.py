"""The playground's network, optimizer and loss, built from a Config with chainrule's
own modules.

The model is a ``Sequential`` of hidden blocks and an output ``Linear``:

    Sequential(Sequential(Linear(features, w1), act),            # hidden layer 1
               Sequential(Linear(w1, w2), act)                   # hidden layer 2, or
               | Residual(Sequential(Linear(w1, w2), act)),      #   with skip=true, w1 == w2
               ...,
               Linear(w_last, outputs))                          # logits (or the value)

Skip connections (``skip=true``): a hidden layer k >= 2 whose input width equals its
output width becomes a residual block, H(h) = act(h W + b) + h, so the identity path
carries the gradient past the activation's derivative. Where the width changes (8 -> 4)
the layer stays plain: an identity shortcut cannot add vectors of different sizes, and a
learned projection would add weight layers the page does not draw. The first hidden layer
(from the input features) and the output layer are never residual.

Initialisation (``init``; every bias starts at 0): xavier = Glorot uniform, kaiming = He
normal (fan_in, the ReLU gain; leaky ReLU's for leakyrelu), normal = N(0, 0.1^2), large =
N(0, 1), zeros = all weights 0, which never trains: every neuron of a layer computes the
same thing and gets the same gradient, so they stay equal (for tanh and relu the gradient
of the hidden weights is even exactly 0).

>>> from chainrule.playground.config import parse_config
>>> model = build_model(parse_config({"networkShape": "8,8", "skip": "true"}))
"""
from __future__ import annotations

import numpy as np

from .. import nn, ops, optim
from ..nn import functional as F
from .config import Config

__all__ = ["ACTIVATIONS", "build_model", "initialise", "weight_layers", "hidden_blocks",
           "make_optimizer", "task_loss", "penalty", "targets", "uses_residual"]

# playground name -> (chainrule activation module, Python source of it)
ACTIVATIONS = {"relu": (nn.ReLU, "nn.ReLU()"), "tanh": (nn.Tanh, "nn.Tanh()"),
               "sigmoid": (nn.Sigmoid, "nn.Sigmoid()"), "linear": (nn.Identity, "nn.Identity()"),
               "leakyrelu": (nn.LeakyReLU, "nn.LeakyReLU()")}

MOMENTUM = 0.9


def uses_residual(cfg: Config, k: int) -> bool:
    """Whether hidden layer k (0-based) is a residual block."""
    shape = cfg.networkShape
    return cfg.skip and k >= 1 and shape[k - 1] == shape[k]


def build_model(cfg: Config) -> nn.Sequential:
    """The network of this setup, initialised (draws from chainrule's generator: seed it
    first for a repeatable network)."""
    act = ACTIVATIONS[cfg.activation][0]
    sizes = [len(cfg.features), *cfg.networkShape]
    blocks = []
    for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        block = nn.Sequential(nn.Linear(fan_in, fan_out), act())
        blocks.append(nn.Residual(block) if uses_residual(cfg, k) else block)
    model = nn.Sequential(*blocks, nn.Linear(sizes[-1], cfg.outputs))
    initialise(model, cfg.init, cfg.activation)
    return model


def initialise(model: nn.Module, init: str, activation: str) -> None:
    """Re-draw every Linear's weight by ``init``; biases to 0 (layer by layer, in order)."""
    for layer in weight_layers(model):
        w = layer.weight
        if init == "xavier":
            nn.init.xavier_uniform_(w)
        elif init == "kaiming":
            nn.init.kaiming_normal_(w, nonlinearity=_kaiming_gain(activation))
        elif init == "normal":
            nn.init.normal_(w, 0.0, 0.1)
        elif init == "large":
            nn.init.normal_(w, 0.0, 1.0)
        else:
            nn.init.zeros_(w)
        nn.init.zeros_(layer.bias)


def _kaiming_gain(activation: str) -> str:
    return "leaky_relu" if activation == "leakyrelu" else "relu"


def init_code(init: str, activation: str) -> str:
    """The Python statement of ``initialise`` for one layer's weight ``layer.weight``."""
    return {"xavier": "nn.init.xavier_uniform_(layer.weight)",
            "kaiming": f"nn.init.kaiming_normal_(layer.weight, "
                       f"nonlinearity={_kaiming_gain(activation)!r})",
            "normal": "nn.init.normal_(layer.weight, 0.0, 0.1)",
            "large": "nn.init.normal_(layer.weight, 0.0, 1.0)",
            "zeros": "nn.init.zeros_(layer.weight)"}[init]


def weight_layers(model: nn.Module) -> list:
    """The Linear layers, input side first (the order of gradNorms and weights)."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def hidden_blocks(model: nn.Sequential) -> list:
    """The hidden layers' blocks (everything but the output Linear)."""
    return list(model)[:-1]


def make_optimizer(cfg: Config, params) -> optim.Optimizer:
    lr = cfg.learningRate
    if cfg.optimizer == "momentum":
        return optim.SGD(params, lr=lr, momentum=MOMENTUM)
    if cfg.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    if cfg.optimizer == "adam":
        return optim.Adam(params, lr=lr)
    return optim.SGD(params, lr=lr)


def optimizer_code(cfg: Config) -> str:
    """The Python expression of make_optimizer(cfg, model.parameters()) with ``lr``."""
    return {"sgd": "cr.optim.SGD(model.parameters(), lr=lr)",
            "momentum": f"cr.optim.SGD(model.parameters(), lr=lr, momentum={MOMENTUM})",
            "rmsprop": "cr.optim.RMSprop(model.parameters(), lr=lr)",
            "adam": "cr.optim.Adam(model.parameters(), lr=lr)"}[cfg.optimizer]


def targets(cfg: Config, labels):
    """The labels as the loss wants them: (n, 1) float32 for one output, class ids for
    softmax cross-entropy, one-hot rows for squared error over several classes."""
    if cfg.outputs == 1:
        return np.asarray(labels, np.float32).reshape(-1, 1)
    if cfg.loss == "bce":
        return np.asarray(labels, np.int64)
    return np.eye(cfg.outputs, dtype=np.float32)[labels]


def task_loss(cfg: Config, out, target):
    """The data loss of the outputs (logits, or the value for regression)."""
    if cfg.problem == "regression":
        return F.mse_loss(out, target)
    if cfg.outputs == 1:
        if cfg.loss == "bce":
            return F.binary_cross_entropy_with_logits(out, target)
        return F.mse_loss(ops.sigmoid(out), target)
    if cfg.loss == "bce":
        return F.cross_entropy(out, target)
    return F.mse_loss(ops.softmax(out, axis=1), target)


LOSS_CODE = {  # (regression/binary/multiclass, loss) -> source, in out and target
    ("regression", "bce"): "F.mse_loss(out, target)",
    ("regression", "mse"): "F.mse_loss(out, target)",
    ("binary", "bce"): "F.binary_cross_entropy_with_logits(out, target)",
    ("binary", "mse"): "F.mse_loss(cr.sigmoid(out), target)",
    ("multiclass", "bce"): "F.cross_entropy(out, target)",
    ("multiclass", "mse"): "F.mse_loss(cr.softmax(out, axis=1), target)",
}


def loss_kind(cfg: Config) -> str:
    if cfg.problem == "regression":
        return "regression"
    return "binary" if cfg.outputs == 1 else "multiclass"


def penalty(cfg: Config, layers):
    """rate * sum |w| (L1) or rate * sum w^2 / 2 (L2) over the weights (TF Playground's
    regularisers; biases are not penalised), or None."""
    if cfg.regularization == "none" or cfg.regularizationRate == 0:
        return None
    if cfg.regularization == "L1":
        total = sum(ops.sum(ops.abs(layer.weight)) for layer in layers)
    else:
        total = sum(0.5 * ops.sum(layer.weight * layer.weight) for layer in layers)
    return cfg.regularizationRate * total


def penalty_code(cfg: Config) -> str | None:
    """The source of penalty(cfg, layers) without the rate, or None."""
    if cfg.regularization == "none" or cfg.regularizationRate == 0:
        return None
    if cfg.regularization == "L1":
        return "sum(cr.sum(cr.abs(layer.weight)) for layer in layers)"
    return "sum(0.5 * cr.sum(layer.weight * layer.weight) for layer in layers)"
