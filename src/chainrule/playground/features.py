"""TF Playground's input features of a point (x, y) = (x1, x2), on the raw coordinates in
[-6, 6] as TF Playground feeds them.

Each feature is a function of the columns ``x`` and ``y`` with its Python source beside
it: the session calls the function and the exported script prints the source, and they
compute the same float32 numbers (tests/playground check it).

>>> feature_matrix(np.array([[1.0, 2.0]], np.float32), ("x", "xTimesY")).tolist()
[[1.0, 2.0]]
"""
from __future__ import annotations

import numpy as np

__all__ = ["FEATURES", "feature_matrix", "feature_code"]

FEATURES = {
    "x": (lambda x, y: x, "x"),
    "y": (lambda x, y: y, "y"),
    "xTimesY": (lambda x, y: x * y, "x * y"),
    "xSquared": (lambda x, y: x * x, "x * x"),
    "ySquared": (lambda x, y: y * y, "y * y"),
    "sinX": (lambda x, y: np.sin(x), "np.sin(x)"),
    "sinY": (lambda x, y: np.sin(y), "np.sin(y)"),
}


def feature_matrix(points: np.ndarray, names) -> np.ndarray:
    """(n, len(names)) float32: the named features of each point (n, 2)."""
    x, y = points[:, 0], points[:, 1]
    return np.stack([FEATURES[name][0](x, y) for name in names], axis=1).astype(
        np.float32, copy=False)


def feature_code(names) -> str:
    """The source of feature_matrix's stack, in x and y, for the exported script."""
    return "np.stack([" + ", ".join(FEATURES[name][1] for name in names) + "], axis=1)"
