"""The functional face of ``chainrule.nn``: stateless functions, imported as
``import chainrule.nn.functional as F``. Each lives with its concept (the activations in
the engine, ``linear`` with Linear, the losses in ``nn.losses``); this module gathers them.

>>> x, W, b, labels = cr.randn(4, 3), cr.randn(3, 5), cr.zeros(5), [0, 1, 4, 2]
>>> loss = F.cross_entropy(F.linear(x, W, b), labels)
"""
from ..ops import leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .dropout import dropout
from .layers import linear
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     mse_loss)
from .normalization import batch_norm, layer_norm

__all__ = ["sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax", "softplus", "linear",
           "dropout", "layer_norm", "batch_norm", "mse_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy"]
