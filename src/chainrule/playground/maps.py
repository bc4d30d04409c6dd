"""The pictures of the state message: a grid over [-6, 6]^2 and values as bytes.

Pixel (i, j) of an n x n map is the point x1 = -6 + 12 j / (n - 1), x2 = 6 - 12 i / (n - 1)
(row 0 on top, as the page draws it). A value v in [-1, 1] travels as the byte
round((v + 1) * 127.5), a probability c in [0, 1] as round(c * 255), each map as base64.

>>> encode_signed(np.array([-1.0, 0.0, 1.0]))        # bytes 0, 128, 255, as base64
'AID/'
"""
from __future__ import annotations

import base64
import math

import numpy as np

from .datasets import DOMAIN

__all__ = ["grid_points", "heatmap_size", "signed_bytes", "encode_signed", "encode_unit",
           "encode_bytes", "NEURON_SIZE"]

NEURON_SIZE = 20
_MAX_SIZE, _MIN_SIZE = 100, 25
# Multiply-adds one heat map may cost: n^2 points times the network's weights. 4e7 keeps
# TF-sized networks at n = 100 and a frame of a 32 x 64 network near 25 x 25.
_BUDGET = 4e7


def heatmap_size(weights: int) -> int:
    """The side n of the output map for a network with this many weights."""
    n = int(math.sqrt(_BUDGET / max(weights, 1)))
    return max(_MIN_SIZE, min(_MAX_SIZE, n))


def grid_points(n: int) -> np.ndarray:
    """(n * n, 2) float32: the pixel centres, row by row from the top."""
    ticks = np.linspace(-DOMAIN, DOMAIN, n)
    x1, x2 = np.meshgrid(ticks, ticks[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32)


def encode_bytes(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, np.uint8).tobytes()).decode("ascii")


def signed_bytes(values: np.ndarray) -> np.ndarray:
    """Values clipped to [-1, 1] (NaN as 0) as uint8 codes."""
    v = np.clip(np.nan_to_num(np.asarray(values, np.float64), nan=0.0), -1.0, 1.0)
    return np.round((v + 1.0) * 127.5).astype(np.uint8)


def encode_signed(values: np.ndarray) -> str:
    """Values clipped to [-1, 1] (NaN as 0) as bytes, base64."""
    return encode_bytes(signed_bytes(values))


def encode_unit(values: np.ndarray) -> str:
    """Values in [0, 1] (NaN as 0) as bytes, base64."""
    v = np.clip(np.nan_to_num(np.asarray(values, np.float64), nan=0.0), 0.0, 1.0)
    return encode_bytes(np.round(v * 255.0))
