"""One page's playground: its data, network, optimizer, training, and the messages that
describe them (``data`` and ``state`` of PROTOCOL.md).

A Session is plain Python with no server in it: the server calls it on its one worker
thread (chainrule's grad mode and random generator are process-wide), a test or the
benchmark calls it directly.

>>> from chainrule.playground.config import parse_config
>>> s = Session(parse_config({"dataset": "xor", "networkShape": "8,8"}))
>>> s.train_epoch()                  # one pass over the training set, batch by batch
>>> msg = s.state()                  # losses, gradient norms, heat maps, weights
>>> msg["epoch"], msg["step"]
(1, 25)
"""
from __future__ import annotations

import math

import numpy as np

from .. import random as _random
from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from . import maps
from .config import DEFAULTS, Config, connections
from .datasets import DOMAIN, make_data, split
from .features import feature_matrix
from .network import (build_model, hidden_blocks, make_optimizer, penalty, targets, task_loss,
                      weight_layers)

__all__ = ["Session", "MAX_DRAWN_NEURONS", "MAX_DRAWN_WEIGHTS", "batch_order"]

MAX_DRAWN_NEURONS = 256     # above this, state carries no neuron maps
MAX_DRAWN_WEIGHTS = 4096    # above this, no weights (the page cannot draw that many edges)


def batch_order(seed: int) -> np.random.Generator:
    """The generator that shuffles the training set each epoch (seed + 1: not the data's
    stream, which is seeded with seed)."""
    return np.random.default_rng(seed + 1)


def _number(v: float):
    """A finite float for JSON, else None."""
    v = float(v)
    return v if math.isfinite(v) else None


def _rounded(a: np.ndarray, digits: int = 4) -> list:
    a = np.asarray(a, np.float64)
    if np.isfinite(a).all():
        return np.round(a, digits).tolist()
    return [_rounded(row, digits) for row in a] if a.ndim > 1 else [
        round(float(v), digits) if math.isfinite(v) else None for v in a]


class Session:
    """Data, network and training for one setup (see the module docstring)."""

    def __init__(self, config: Config = DEFAULTS) -> None:
        self.config = config
        self.reset()

    # ------------------------------------------------------------------ setup
    def configure(self, config: Config) -> bool:
        """Adopt a new setup. A change of only the live settings (learning rate, display,
        language) keeps the network and its training; anything else rebuilds it. Returns
        True when it rebuilt."""
        if self.divergence is None and self.config.live_change(config):
            self.config = config
            self._set_lr(config.learningRate)
            return False
        self.config = config
        self.reset()
        return True

    def reset(self) -> None:
        """Fresh data and weights for the current setup: the same seed gives the same ones."""
        cfg = self.config
        X, y = make_data(cfg.data_name, cfg.points, cfg.noise, cfg.classes, cfg.seed)
        (self.train_xy, self.train_labels), (self.test_xy, self.test_labels) = \
            split(X, y, cfg.percTrainData)
        self.train_X = feature_matrix(self.train_xy, cfg.features)
        self.test_X = feature_matrix(self.test_xy, cfg.features)
        self.train_T = targets(cfg, self.train_labels)
        self.test_T = targets(cfg, self.test_labels)
        _random.manual_seed(cfg.seed)
        self.model = build_model(cfg)
        self.layers = weight_layers(self.model)
        self.optimizer = make_optimizer(cfg, self.model.parameters())
        self.order = batch_order(cfg.seed)
        self.epoch = 0
        self.step = 0
        self.divergence: dict | None = None
        self.lr_schedule = {0: cfg.learningRate}    # epoch -> lr from then on
        self.grad_norms = [None] * len(self.layers)
        weights = connections(cfg.layer_sizes)
        self.heatmap_size = maps.heatmap_size(weights)
        self._grid_X = feature_matrix(maps.grid_points(self.heatmap_size), cfg.features)
        self._neuron_X = feature_matrix(maps.grid_points(maps.NEURON_SIZE), cfg.features)
        self._draw_neurons = sum(cfg.networkShape) <= MAX_DRAWN_NEURONS
        self._draw_weights = weights <= MAX_DRAWN_WEIGHTS

    def _set_lr(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        if self.lr_schedule[max(self.lr_schedule)] != lr:
            self.lr_schedule[self.epoch] = lr

    @property
    def diverged(self) -> bool:
        return self.divergence is not None

    # --------------------------------------------------------------- training
    def train_epoch(self) -> None:
        """One pass over the training set in a fresh random order, one update per batch.
        A loss that is not a finite number stops the epoch before its update and marks
        the session diverged; so do weights that stopped being finite."""
        if self.diverged:
            return
        cfg, X, T = self.config, self.train_X, self.train_T
        perm = self.order.permutation(len(X))
        # Overflow is how divergence shows itself; it is detected below and reported in
        # the state, so NumPy's warnings about it are not wanted on the console.
        with enable_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, len(X), cfg.batchSize):
                idx = perm[start:start + cfg.batchSize]
                loss = task_loss(cfg, self.model(Tensor(X[idx])), T[idx])
                reg = penalty(cfg, self.layers)
                if reg is not None:
                    loss = loss + reg
                value = loss.item()
                if not math.isfinite(value):
                    self._diverge(value)
                    break
                self.optimizer.zero_grad()   # after the check: a diverged step keeps the
                loss.backward()              # previous step's gradients for gradNorms
                self.optimizer.step()
                self.step += 1
            else:
                self.epoch += 1
            self.grad_norms = self._grad_norms()
            if not self.diverged and not self._weights_finite():
                self._diverge(math.nan)

    def _diverge(self, loss: float) -> None:
        self.divergence = {"epoch": self.epoch, "step": self.step,
                           "lr": self.optimizer.param_groups[0]["lr"], "loss": _loss_json(loss)}

    def _grad_norms(self) -> list:
        """||dL/dW|| of each weight layer at the latest update, input side first, in
        float64 so tiny float32 gradients do not underflow when squared (as GradientFlow)."""
        out = []
        for layer in self.layers:
            g = layer.weight.grad
            out.append(None if g is None else
                       _number(np.linalg.norm(np.asarray(g.data, np.float64))))
        return out

    def _weights_finite(self) -> bool:
        return all(np.isfinite(p.data).all() for p in self.model.parameters())

    def losses(self) -> tuple:
        """(train loss, test loss) of the data term over the whole sets (None if not finite)."""
        with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return tuple(_number(task_loss(self.config, self.model(Tensor(X)), T).item())
                         for X, T in ((self.train_X, self.train_T), (self.test_X, self.test_T)))

    def frame(self, running: bool = True) -> dict:
        """Train one epoch and describe the result (what the page gets each frame)."""
        self.train_epoch()
        return self.state(running and not self.diverged)

    # --------------------------------------------------------------- messages
    def state(self, running: bool = False) -> dict:
        cfg = self.config
        train_loss, test_loss = self.losses()
        msg = {"type": "state", "running": running, "epoch": self.epoch, "step": self.step,
               "trainLoss": train_loss, "testLoss": test_loss,
               "gradNorms": list(self.grad_norms), "diverged": self.diverged,
               "divergence": self.divergence, "lr": self.optimizer.param_groups[0]["lr"],
               "layers": cfg.layer_sizes, "features": list(cfg.features)}
        with no_grad(), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            msg["heatmap"] = self._heatmap()
            msg["neurons"] = self._neuron_maps() if self._draw_neurons else None
        msg["neuronSize"] = maps.NEURON_SIZE
        if self._draw_weights:
            msg["weights"] = [_rounded(layer.weight.data) for layer in self.layers]
            msg["biases"] = [_rounded(layer.bias.data) for layer in self.layers]
        else:
            msg["weights"] = msg["biases"] = None
        return msg

    def _heatmap(self) -> dict:
        n = self.heatmap_size
        out = self.model(Tensor(self._grid_X)).data.astype(np.float64)
        if self.config.problem == "regression":
            return {"kind": "regression", "size": n, "values": maps.encode_signed(out[:, 0])}
        if out.shape[1] == 1:        # 2 p - 1 = tanh(z / 2), without exp's overflow
            return {"kind": "binary", "size": n,
                    "values": maps.encode_signed(np.tanh(out[:, 0] / 2))}
        z = np.nan_to_num(out - out.max(axis=1, keepdims=True), nan=0.0)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return {"kind": "multiclass", "size": n, "classes": maps.encode_bytes(p.argmax(axis=1)),
                "values": maps.encode_unit(p.max(axis=1))}

    def _neuron_maps(self) -> list:
        h = Tensor(self._neuron_X)
        layers = []
        for block in hidden_blocks(self.model):
            h = block(h)
            codes = maps.signed_bytes(h.data.T)          # one row of codes per neuron
            layers.append([maps.encode_bytes(row) for row in codes])
        return layers

    def data(self) -> dict:
        """The ``data`` message: the points, and the input features' small maps."""
        cfg = self.config

        def points(xy, labels):
            lab = (np.round(labels.astype(np.float64), 4) if cfg.problem == "regression"
                   else labels)
            return [[round(float(a), 4), round(float(b), 4), lab_i]
                    for (a, b), lab_i in zip(xy.tolist(), lab.tolist())]

        feature_values = feature_matrix(maps.grid_points(maps.NEURON_SIZE), cfg.features)
        scale = np.abs(feature_values).max(axis=0)
        feature_maps = [maps.encode_signed(feature_values[:, k] / (scale[k] or 1.0))
                        for k in range(feature_values.shape[1])]
        return {"type": "data", "problem": cfg.problem, "numClasses": cfg.num_classes,
                "domain": [-DOMAIN, DOMAIN], "train": points(self.train_xy, self.train_labels),
                "test": points(self.test_xy, self.test_labels), "features": list(cfg.features),
                "featureMaps": feature_maps, "neuronSize": maps.NEURON_SIZE}


def _loss_json(loss: float):
    if math.isnan(loss):
        return "nan"
    if math.isinf(loss):
        return "inf" if loss > 0 else "-inf"
    return float(loss)
