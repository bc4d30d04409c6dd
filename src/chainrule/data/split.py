"""Hold data out and put features on one scale: ``train_test_split`` and ``Standardizer``.

``train_test_split`` gives the same split as scikit-learn's for the same arguments. When
scikit-learn is installed it computes the indices itself; without it, a NumPy port of its
algorithm (``ShuffleSplit`` / ``StratifiedShuffleSplit`` driven by a
``numpy.random.RandomState``) gives the identical split, so NumPy stays chainrule's only
requirement.
"""
from __future__ import annotations

from math import ceil
from typing import NamedTuple

import numpy as np

from ..tensor import Tensor

__all__ = ["train_test_split", "fixed_split", "Standardizer", "TrainTestSplit"]


class TrainTestSplit(NamedTuple):
    """Four arrays, unpacked in scikit-learn's order: ``X_train, X_test, y_train, y_test``."""
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def _array(data, op: str, name: str) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data)
    if arr.ndim == 0:
        raise ValueError(f"{op}: {name} must have a samples axis (axis 0), got a scalar")
    return arr


def _n_train_test(n: int, test_size) -> tuple[int, int]:
    """Sizes as scikit-learn computes them: a fraction rounds the test set up."""
    if isinstance(test_size, (float, np.floating)):
        if not 0.0 < test_size < 1.0:
            raise ValueError("train_test_split: test_size as a fraction must be in (0, 1), "
                             f"got {test_size}")
        n_test = ceil(test_size * n)
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        if not 0 < test_size < n:
            raise ValueError("train_test_split: test_size as a count must be in [1, "
                             f"{n - 1}] for {n} samples, got {test_size}")
        n_test = int(test_size)
    else:
        raise ValueError("train_test_split: test_size must be a float in (0, 1) or an int "
                         f"count, got {test_size!r}")
    if n - n_test <= 0:
        raise ValueError(f"train_test_split: with {n} samples and test_size={test_size} the "
                         "training set would be empty; use a smaller test_size")
    return n - n_test, n_test


def train_test_split(X, y=None, *, test_size: float | int = 0.2, random_state: int | None = 0,
                     stratify=None, shuffle: bool = True) -> tuple:
    """Split X (and y) into a training and a held-out test part, as scikit-learn does.

    >>> X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    >>> X_train, X_test, y_train, y_test = cr.data.train_test_split(
    ...     X, y, test_size=0.2, random_state=0, stratify=y)

    Args:
        X, y: arrays (or Tensors) with the same number of samples on axis 0; y may be None.
        test_size: a fraction of the samples (rounded up) or a number of samples.
        random_state: seed of the shuffle; None for a different split at every call.
        stratify: labels whose class proportions both parts should keep (usually y).
        shuffle: shuffle before splitting; without shuffling the test part is the tail.

    Returns NumPy arrays ``(X_train, X_test, y_train, y_test)`` (a ``TrainTestSplit``, which
    unpacks like a tuple), or ``(X_train, X_test)`` when y is None. The split is the one
    ``sklearn.model_selection.train_test_split`` returns for the same arguments, whether or
    not scikit-learn is installed.
    """
    op = "train_test_split"
    X = _array(X, op, "X")
    n = X.shape[0]
    arrays = [X]
    if y is not None:
        y = _array(y, op, "y")
        if y.shape[0] != n:
            raise ValueError(f"{op}: X has {n} samples but y has {y.shape[0]}; they must have "
                             "the same number of samples (length of axis 0)")
        arrays.append(y)
    if stratify is not None:
        stratify = _array(stratify, op, "stratify")
        if stratify.shape[0] != n:
            raise ValueError(f"{op}: X has {n} samples but stratify has {stratify.shape[0]}; "
                             "pass one label per sample (usually stratify=y)")
        if not shuffle:
            raise ValueError(f"{op}: stratify needs shuffle=True (a stratified split without "
                             "shuffling is not defined)")
    n_train, n_test = _n_train_test(n, test_size)
    train, test = _split_indices(n, n_train, n_test, random_state, stratify, shuffle)
    if y is None:
        return X[train], X[test]
    return TrainTestSplit(X[train], X[test], y[train], y[test])


def fixed_split(X, y, *, test_size: float | int = 0.2, seed: int = 0,
                standardize: bool = True) -> TrainTestSplit:
    """The course's fixed train/test split: 80/20, seed 0, stratified by class, standardised.

    >>> X_train, X_test, y_train, y_test = cr.datasets.fixed_split(*cr.datasets.moons(500))

    ``train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)`` (stratified only
    when y holds integer class labels), then, if ``standardize``, a ``Standardizer`` fitted
    on X_train applied to both parts. The same arguments always give the same four arrays.
    """
    y_arr = _array(y, "fixed_split", "y")
    stratify = y_arr if y_arr.dtype.kind in "biu" else None
    parts = train_test_split(X, y_arr, test_size=test_size, random_state=seed,
                             stratify=stratify)
    if not standardize:
        return parts
    scaler = Standardizer().fit(parts.X_train)
    return parts._replace(X_train=scaler.transform(parts.X_train),
                          X_test=scaler.transform(parts.X_test))


def _split_indices(n, n_train, n_test, random_state, stratify, shuffle):
    if not shuffle:
        return np.arange(n_train), np.arange(n_train, n)
    try:
        # scikit-learn is optional and slow to import: only a shuffled split needs it
        from sklearn.model_selection import train_test_split as sk_split
    except ImportError:
        return _numpy_split_indices(n, n_train, n_test, random_state, stratify)
    # Splitting the indices (not the data) lets scikit-learn decide the very same partition.
    return sk_split(np.arange(n), test_size=n_test, train_size=n_train,
                    random_state=random_state, stratify=stratify)


def _numpy_split_indices(n, n_train, n_test, random_state, stratify):
    """scikit-learn's ShuffleSplit / StratifiedShuffleSplit, first split, in NumPy alone."""
    rng = np.random.RandomState(random_state)
    if stratify is None:
        permutation = rng.permutation(n)
        return permutation[n_test:n_test + n_train], permutation[:n_test]

    if stratify.ndim == 2:   # multi-label rows become one label each, as scikit-learn does
        stratify = np.array([" ".join(row.astype("str")) for row in stratify])
    classes, y_indices, class_counts = np.unique(stratify, return_inverse=True,
                                                 return_counts=True)
    y_indices = y_indices.reshape(-1)
    if class_counts.min() < 2:
        rare = classes[class_counts < 2].tolist()
        raise ValueError(f"train_test_split: stratify has classes with a single member {rare}; "
                         "each class needs at least 2 samples to appear on both sides")
    n_classes = len(classes)
    for part, size in (("training", n_train), ("test", n_test)):
        if size < n_classes:
            raise ValueError(f"train_test_split: the {part} part has {size} samples, fewer "
                             f"than the {n_classes} classes of stratify")

    class_indices = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(class_counts)[:-1])
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train, test = [], []
    for i in range(n_classes):
        members = class_indices[i].take(rng.permutation(class_counts[i]), mode="clip")
        train.append(members[:n_i[i]])
        test.append(members[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _approximate_mode(class_counts: np.ndarray, n_draws: int, rng) -> np.ndarray:
    """Per-class counts closest to proportional (scikit-learn's ``_approximate_mode``):
    floor the proportional shares, then hand the rest out by largest remainder, ties broken
    at random."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            inds = rng.choice(inds, size=add_now, replace=False)
            floored[inds] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


class Standardizer:
    """Shift and scale each feature to mean 0 and standard deviation 1 on the training data.

        x' = (x - mean) / std,  mean and std per feature (over axis 0) of the training data

    >>> X_train, X_test = np.random.rand(8, 3), np.random.rand(4, 3)
    >>> scaler = cr.data.Standardizer().fit(X_train)
    >>> X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    Fit on the training split only and reuse those statistics for the test split, so that
    nothing about the test data leaks into training. A constant feature gets std 1 (it
    becomes 0 rather than a division by zero). ``std`` is the population standard deviation
    (ddof=0), as in scikit-learn's ``StandardScaler``. Statistics are computed in float64;
    the output keeps a float input's dtype and turns integer input into float32.
    """

    def __init__(self):
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, X) -> "Standardizer":
        X = self._checked(X, "fit")
        if X.shape[0] == 0:
            raise ValueError("Standardizer.fit: X has no samples; expected at least one row")
        X64 = X.astype(np.float64, copy=False)
        self.mean = X64.mean(axis=0)
        std = X64.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X) -> np.ndarray:
        X = self._fitted_input(X, "transform")
        return ((X - self.mean) / self.std).astype(_out_dtype(X), copy=False)

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, X) -> np.ndarray:
        """Undo ``transform``: x = x' * std + mean."""
        X = self._fitted_input(X, "inverse_transform")
        return (X * self.std + self.mean).astype(_out_dtype(X), copy=False)

    def _checked(self, X, method: str) -> np.ndarray:
        op = f"Standardizer.{method}"
        X = _array(X, op, "X")
        if X.dtype.kind not in "biuf":
            raise TypeError(f"{op}: X must hold numbers, got dtype {X.dtype}")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            raise ValueError(f"{op}: X contains NaN or infinity "
                             f"({int((~np.isfinite(X)).sum())} entries); clean the data first")
        return X

    def _fitted_input(self, X, method: str) -> np.ndarray:
        if self.mean is None:
            raise ValueError(f"Standardizer.{method}: this Standardizer is not fitted yet; "
                             "call fit(X_train) first")
        X = self._checked(X, method)
        if X.shape[1:] != self.mean.shape:
            got, want = X.shape[1:], self.mean.shape
            if len(got) == 1 and len(want) == 1:
                got, want = f"{got[0]} features", f"{want[0]} features"
            else:
                got, want = f"features of shape {got}", f"features of shape {want}"
            raise ValueError(f"Standardizer.{method}: X has {got} but the Standardizer was "
                             f"fitted on {want}")
        return X

    def __repr__(self) -> str:
        if self.mean is None:
            return "Standardizer(not fitted)"
        return f"Standardizer(features={self.mean.shape})"


def _out_dtype(X: np.ndarray) -> np.dtype:
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float32)
