"""DataLoader: cut a data set into batches, one epoch per iteration.

The batch size picks the flavour of gradient descent from the lectures:

==============  ===========================  ==========================
``batch_size``  name                         updates per epoch (m samples)
==============  ===========================  ==========================
``None``        batch gradient descent       1 (the whole set at once)
``1``           stochastic gradient descent  m
``b``           mini-batch gradient descent  ceil(m / b)  (floor with ``drop_last``)
==============  ===========================  ==========================
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

from .. import random as _random
from ..tensor import Tensor

__all__ = ["DataLoader"]


def _as_samples(data, name: str) -> np.ndarray:
    """The array behind user data (an ndarray, a Tensor or nested lists), samples on axis 0."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        arr = np.asarray(data)
    except ValueError:      # NumPy's "inhomogeneous shape": nested lists of unequal lengths
        raise ValueError(f"DataLoader: {name} is ragged: its samples do not all have the same "
                         "shape (rows of different lengths?); pad them to one length or pass "
                         "an array of shape (n_samples, ...)") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: {name} must hold numbers, got an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"DataLoader: {name} must have a samples axis (axis 0), got a scalar; "
                         f"pass an array of shape (n_samples, ...)")
    return arr


def _feature_dtype(arr: np.ndarray, dtype) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    # float32 by default, as everywhere in chainrule; integer features (indices) stay as they are.
    return np.dtype(np.float32) if arr.dtype.kind == "f" else arr.dtype


def _label_dtype(arr: np.ndarray, feature_dtype: np.dtype) -> np.dtype:
    if arr.dtype.kind in "biu":
        return np.dtype(np.int64)   # class indices, as cross_entropy expects
    return feature_dtype if feature_dtype.kind == "f" else np.dtype(np.float32)


class DataLoader:
    """Iterate over ``(xb, yb)`` batches of Tensors, one epoch per ``for`` loop.

    >>> X, y = cr.datasets.gaussians(n=64, seed=0); model = nn.Linear(2, 2)
    >>> loader = cr.data.DataLoader(X, y, batch_size=32, shuffle=True, seed=0)
    >>> for epoch in range(10):
    ...     for xb, yb in loader:          # a fresh permutation every epoch
    ...         loss = F.cross_entropy(model(xb), yb)

    Args:
        X: features, an ndarray or a Tensor of shape (m, ...); axis 0 indexes the samples.
        y: targets with the same number of samples, or None to yield ``xb`` alone.
        batch_size: None for the whole set in one batch (batch gradient descent, one update
            per epoch), 1 for stochastic gradient descent (m updates), b for mini-batches.
        shuffle: visit the samples in a new random order each epoch.
        seed: seeds the loader's own generator once, at construction. Epoch k of two loaders
            built with the same seed has the same order, and every new iteration over the
            loader (a new epoch) draws the next permutation from that generator, so epochs
            differ from one another. There is no ``set_epoch``: to replay a run from its first
            epoch, build a new loader; to resume one, ``load_state_dict`` a saved
            ``state_dict()``. An iteration abandoned half-way (``break``) has still used up its
            permutation. ``seed=None`` draws from chainrule's global generator instead, so
            ``cr.manual_seed`` governs it.
        drop_last: drop the final batch when it is shorter than ``batch_size``.
        dtype: dtype of the features. By default float features become float32 (pass
            ``dtype=np.float64`` to keep float64) and integer features stay as they are.
            Integer (and boolean) labels become int64; float labels follow the features'
            float dtype.

    The data are converted once, here; each batch is then one slice (no shuffle) or one
    fancy index (shuffle) of the stored arrays. Unshuffled batches are views of the stored
    arrays, which may be the very arrays passed in when no cast was needed: don't modify a
    batch in place. The stored arrays are ``loader.X`` and ``loader.y``; ``loader.epoch``
    counts the iterations begun so far.
    """

    def __init__(self, X, y=None, batch_size: int | None = None, shuffle: bool = True,
                 seed: int | None = 0, drop_last: bool = False, dtype=None):
        X = _as_samples(X, "X")
        n = X.shape[0]
        if n == 0:
            raise ValueError("DataLoader: X has no samples (shape "
                             f"{X.shape}); expected at least one")
        if y is not None:
            y = _as_samples(y, "y")
            if y.shape[0] != n:
                raise ValueError(f"DataLoader: X has {n} samples but y has {y.shape[0]}; X and y "
                                 "must have the same number of samples (length of axis 0)")
        if batch_size is not None:
            if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool):
                raise ValueError("DataLoader: batch_size must be None (the whole set) or a "
                                 f"positive int, got {batch_size!r} of type "
                                 f"{type(batch_size).__name__}")
            if batch_size <= 0:
                raise ValueError("DataLoader: batch_size must be None (the whole set) or a "
                                 f"positive int, got {batch_size}")
            batch_size = int(batch_size)
            if drop_last and batch_size > n:
                raise ValueError(f"DataLoader: batch_size={batch_size} is larger than the {n} "
                                 "samples and drop_last=True, so an epoch would have no batch "
                                 "at all; use a smaller batch_size or drop_last=False")
        if seed is not None and (not isinstance(seed, (int, np.integer))
                                 or isinstance(seed, bool) or seed < 0):
            raise ValueError(f"DataLoader: seed must be a non-negative int or None, got {seed!r}")

        x_dtype = _feature_dtype(X, dtype)
        self.X = np.ascontiguousarray(X, dtype=x_dtype)
        self.y = None if y is None else np.ascontiguousarray(y, dtype=_label_dtype(y, x_dtype))
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.epoch = 0

    @property
    def num_samples(self) -> int:
        return self.X.shape[0]

    def __len__(self) -> int:
        """Batches per epoch, that is, parameter updates per epoch."""
        n, b = self.num_samples, self.batch_size
        if b is None:
            return 1
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self) -> Iterator:
        # Draw the permutation now, not lazily at the first next(): epochs are numbered by
        # the order in which iterations begin.
        order = None
        self.epoch += 1
        if self.shuffle:
            rng = self._rng if self._rng is not None else _random.generator()
            order = rng.permutation(self.num_samples)
        return self._batches(order)

    def _batches(self, order: np.ndarray | None) -> Iterator:
        n = self.num_samples
        size = n if self.batch_size is None else self.batch_size
        for start in range(0, len(self) * size, size):
            index = slice(start, start + size) if order is None else order[start:start + size]
            xb = self.X[index]
            xb = Tensor(xb, dtype=xb.dtype)
            if self.y is None:
                yield xb
            else:
                yb = self.y[index]
                yield xb, Tensor(yb, dtype=yb.dtype)

    def state_dict(self) -> dict:
        """Where the sequence of epochs stands, for checkpoints: the epochs begun and the
        state of the loader's generator (None when it draws from chainrule's, whose state
        ``cr.random.get_state()`` holds)."""
        rng = None if self._rng is None else self._rng.bit_generator.state
        return {"epoch": self.epoch, "rng": rng}

    def load_state_dict(self, state: dict) -> None:
        """Continue the sequence of epochs from a ``state_dict()``: the next iteration
        shuffles as the saved loader's next iteration would have."""
        if not isinstance(state, dict) or set(state) != {"epoch", "rng"}:
            raise ValueError("DataLoader.load_state_dict: expected a dict with keys 'epoch' and "
                             f"'rng' from DataLoader.state_dict(), got {state!r}")
        if (state["rng"] is None) != (self._rng is None):
            raise ValueError("DataLoader.load_state_dict: the state was saved from a loader with "
                             f"{'seed=None' if state['rng'] is None else 'a seed'}, but this "
                             f"loader has seed={self.seed!r}")
        if self._rng is not None:
            self._rng.bit_generator.state = state["rng"]
        self.epoch = int(state["epoch"])

    def __repr__(self) -> str:
        return (f"DataLoader(num_samples={self.num_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last}, "
                f"batches={len(self)})")
