"""Optimizers and learning-rate schedules (``cr.optim``), following PyTorch's.

>>> X, y = cr.tensor(np.eye(2, dtype="float32")), cr.tensor([[1.0], [0.0]])
>>> model = nn.mlp(2, 1, depth=2, width=8); loss_fn = F.binary_cross_entropy_with_logits
>>> opt = cr.optim.Adam(model.parameters(), lr=1e-3)
>>> sched = cr.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=100)
>>> for epoch in range(100):
...     opt.zero_grad()
...     loss_fn(model(X), y).backward()
...     opt.step()
...     sched.step()

Each optimizer is a bookkeeping class (``SGD``, ``RMSprop``, ``Adam``, ``AdamW``) over a
plain update function on NumPy arrays (``cr.optim.sgd.sgd``, ``cr.optim.rmsprop.rmsprop``,
``cr.optim.adam.adam``).
"""
from __future__ import annotations

from . import lr_scheduler
from .adam import Adam, AdamW
from .lr_scheduler import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "lr_scheduler", "LRScheduler",
           "StepLR", "ExponentialLR", "CosineAnnealingLR"]
