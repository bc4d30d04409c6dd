"""Networks: ``Module`` and ``Parameter``, layers, activations, the blocks that keep deep
networks trainable, initialisation (``nn.init``) and losses (module forms here, functions
in ``nn.functional``).

>>> import chainrule as cr
>>> import chainrule.nn as nn
>>> import chainrule.nn.functional as F
>>> model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
>>> loss = F.binary_cross_entropy_with_logits(model(cr.randn(4, 2)), [[0.], [1.], [1.], [0.]])
>>> loss.backward()
"""
from . import functional, init
from .activation import (Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus,
                         Tanh, make_activation)
from .blocks import DeepSupervision, DenseBlock, Residual
from .container import ModuleList, Sequential
from .dropout import Dropout
from .layers import Flatten, Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from .module import Module, Parameter
from .networks import mlp
from .normalization import BatchNorm1d, LayerNorm

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "Linear", "Identity", "Flatten",
           "Dropout", "LayerNorm", "BatchNorm1d", "Sigmoid", "Tanh", "ReLU", "LeakyReLU",
           "Softmax", "LogSoftmax", "Softplus", "make_activation", "Residual", "DenseBlock",
           "DeepSupervision", "mlp", "MSELoss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "functional", "init"]
