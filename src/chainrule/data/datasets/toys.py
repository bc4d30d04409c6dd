"""The playground's 2-D toy problems, generated with NumPy alone.

Each ``name(n, noise, seed)`` returns ``X`` float32 of shape (n, 2) and ``y`` int64 of shape
(n,), with the classes as balanced as n allows (counts differ by at most one), in random
order, and the same arrays for the same arguments. ``noise`` is the standard deviation of
Gaussian jitter added to every point (for ``gaussians``, the spread of each cluster). The
points are centred on the origin, on a scale of about 1 (no standardising needed).
``seed=None`` draws from
chainrule's generator (see ``cr.manual_seed``).
"""
from __future__ import annotations

import numpy as np

from ... import random as _random

__all__ = ["circles", "xor", "gaussians", "spirals", "moons"]


def _check(name: str, n, noise, classes: int = 2) -> None:
    if not isinstance(classes, (int, np.integer)) or isinstance(classes, bool) or classes < 2:
        raise ValueError(f"{name}: classes must be an int >= 2, got {classes!r}")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < classes:
        raise ValueError(f"{name}: n must be an int >= {classes} (one sample per class), "
                         f"got {n!r}")
    if not isinstance(noise, (int, float, np.integer, np.floating)) or not noise >= 0:
        raise ValueError(f"{name}: noise must be a number >= 0, got {noise!r}")


def _rng(seed) -> np.random.Generator:
    return _random.generator() if seed is None else np.random.default_rng(seed)


def _labels(n: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """Balanced labels in random order; each generator then draws its points from them."""
    return rng.permutation(np.arange(n) % classes).astype(np.int64)


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator):
    X = X + noise * rng.standard_normal(X.shape)
    return X.astype(np.float32), y


def _polar(radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0):
    """A ring (class 0, radius 1) around a smaller ring (class 1, radius ``factor``).

    >>> X, y = cr.datasets.circles(200, noise=0.05)
    """
    _check("circles", n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor (inner radius / outer radius) must be in (0, 1), "
                         f"got {factor!r}")
    rng = _rng(seed)
    y = _labels(n, 2, rng)
    angle = rng.uniform(0, 2 * np.pi, n)
    return _finish(_polar(np.where(y == 0, 1.0, factor), angle), y, noise, rng)


def xor(n: int = 200, noise: float = 0.05, seed: int | None = 0):
    """Points in the square [-1, 1]^2, class 1 where the two coordinates differ in sign.

    Each coordinate's magnitude is uniform in [0.1, 1], a margin that keeps the noiseless
    classes apart. No line separates them: the smallest network that does needs a hidden
    layer.

    >>> X, y = cr.datasets.xor(200)
    """
    _check("xor", n, noise)
    rng = _rng(seed)
    y = _labels(n, 2, rng)
    magnitude = rng.uniform(0.1, 1.0, (n, 2))
    sign_x0 = rng.choice([-1.0, 1.0], n)
    sign_x1 = np.where(y == 1, -sign_x0, sign_x0)
    return _finish(magnitude * np.stack([sign_x0, sign_x1], axis=1), y, noise, rng)


def gaussians(n: int = 200, noise: float = 0.5, classes: int = 2, seed: int | None = 0):
    """One Gaussian cluster per class, standard deviation ``noise``, centres evenly spaced
    on a circle of radius sqrt(2) (for two classes: (1, 1) and (-1, -1)).

    >>> X, y = cr.datasets.gaussians(300, classes=3)
    """
    _check("gaussians", n, noise, classes)
    rng = _rng(seed)
    y = _labels(n, classes, rng)
    centres = _polar(np.full(classes, np.sqrt(2)),
                     np.pi / 4 + 2 * np.pi * np.arange(classes) / classes)
    return _finish(centres[y], y, noise, rng)


def spirals(n: int = 200, noise: float = 0.05, classes: int = 2, seed: int | None = 0):
    """Interleaved spiral arms, one per class, each turning 1.75 times around the origin
    while its radius grows from 0 to 1 (the CS231n spiral data for ``classes=3``).

    >>> X, y = cr.datasets.spirals(300, classes=3)
    """
    _check("spirals", n, noise, classes)
    rng = _rng(seed)
    y = _labels(n, classes, rng)
    t = rng.uniform(0, 1, n)   # position along the arm
    angle = 1.75 * 2 * np.pi * t + 2 * np.pi * y / classes
    return _finish(_polar(t, angle), y, noise, rng)


def moons(n: int = 200, noise: float = 0.1, seed: int | None = 0):
    """Two interleaving half circles (scikit-learn's ``make_moons``, shifted to centre on
    the origin): class 0 arches up, class 1 arches down through its middle.

    >>> X, y = cr.datasets.moons(200, noise=0.1)
    """
    _check("moons", n, noise)
    rng = _rng(seed)
    y = _labels(n, 2, rng)
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.where((y == 0)[:, None], upper, lower) - np.array([0.5, 0.25])
    return _finish(X, y, noise, rng)
