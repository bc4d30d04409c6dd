"""The playground's data sets on TF Playground's square [-6, 6]^2.

The classification sets are ``cr.datasets``' toys (``circles``, ``xor``, ``gaussians``,
``spirals``, made on a scale of about 1) stretched onto the square; TF Playground's noise
(0..50, a percentage) becomes each toy's Gaussian jitter with about TF's spread. The two
regression sets, which the toys lack, are TF Playground's own: ``reg-plane``, label
(x1 + x2) / 10, and ``reg-gauss``, six bumps of height +-1; both uniform points with the
label read at a jittered position and clipped to [-1, 1].

``make_data(name, n, noise, classes, seed)`` gives points (n, 2) float32 in random order
and labels (int64 classes, or float32 in [-1, 1]); ``split`` keeps the first
``percTrainData`` per cent for training, as TF Playground does after shuffling.

>>> X, y = make_data("spiral", 500, noise=10, classes=3)
>>> (X_train, y_train), (X_test, y_test) = split(X, y, 50)
"""
from __future__ import annotations

import numpy as np

from ..data.datasets import toys

__all__ = ["DOMAIN", "CLASSIFICATION", "REGRESSION", "make_data", "split"]

DOMAIN = 6.0
CLASSIFICATION = ("circle", "xor", "gauss", "spiral")
REGRESSION = ("reg-plane", "reg-gauss")

# TF Playground's bumps of reg-gauss: centre (x1, x2) and sign.
_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                   [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def _noise_fraction(noise: float) -> float:
    return float(noise) / 100.0


def _circle(n, noise, classes, seed):
    # TF: a disc of radius 2.5 inside a ring 3.5..5, uniform jitter up to +-2.5 at noise
    # 50 (std 1.44): the toy's rings 1 and 0.5 times 5, Gaussian jitter of that std.
    X, y = toys.circles(n, noise=0.58 * _noise_fraction(noise), factor=0.5, seed=seed)
    return 5 * X, y


def _xor(n, noise, classes, seed):
    X, y = toys.xor(n, noise=0.58 * _noise_fraction(noise), seed=seed)
    return 5 * X, y


def _gauss(n, noise, classes, seed):
    # TF: clusters at (2, 2) and (-2, -2) with variance 0.5 .. 4 as noise goes 0 .. 50.
    spread = np.sqrt(0.5 + 7 * _noise_fraction(noise)) / 2
    X, y = toys.gaussians(n, noise=spread, classes=classes, seed=seed)
    return 2 * X, y


def _spiral(n, noise, classes, seed):
    # TF: arms of radius 0..5 turning 1.75 times, jitter up to +-0.5 at noise 50.
    X, y = toys.spirals(n, noise=0.115 * _noise_fraction(noise), classes=classes, seed=seed)
    return 5 * X, y


def _regression(label):
    def make(n, noise, classes, seed):
        rng = np.random.default_rng(seed)
        X = rng.uniform(-DOMAIN, DOMAIN, (n, 2))
        jitter = rng.uniform(-DOMAIN, DOMAIN, (n, 2)) * _noise_fraction(noise)
        return X.astype(np.float32), label(X + jitter).astype(np.float32)
    return make


def _plane(X):
    return np.clip((X[:, 0] + X[:, 1]) / 10, -1, 1)


def _bumps(X):
    """Per point, the bump with the largest |height|, each falling linearly from +-1 at
    its centre to 0 at distance 2."""
    dist = np.linalg.norm(X[:, None, :] - _BUMPS[None, :, :2], axis=2)
    heights = _BUMPS[None, :, 2] * np.clip(1 - dist / 2, 0, 1)
    pick = np.argmax(np.abs(heights), axis=1)
    return heights[np.arange(len(X)), pick]


_MAKERS = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
           "reg-plane": _regression(_plane), "reg-gauss": _regression(_bumps)}


def make_data(name: str, n: int = 500, noise: float = 0.0, classes: int = 2, seed: int = 0):
    """Points (n, 2) float32 in [-6, 6]^2 (up to the noise) and their labels."""
    if name not in _MAKERS:
        raise ValueError(f"make_data: unknown data set {name!r}; expected one of "
                         f"{', '.join(_MAKERS)}")
    if classes != 2 and name not in ("gauss", "spiral"):
        raise ValueError(f"make_data: {name} has 2 classes; more need gauss or spiral, got "
                         f"classes={classes!r}")
    X, y = _MAKERS[name](n, noise, classes, seed)
    return X.astype(np.float32), y


def split(X: np.ndarray, y: np.ndarray, perc_train: float):
    """((X_train, y_train), (X_test, y_test)): the first perc_train per cent train."""
    k = int(len(X) * perc_train / 100)
    return (X[:k], y[:k]), (X[k:], y[k:])
