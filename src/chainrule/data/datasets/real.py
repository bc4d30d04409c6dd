"""Real data that installs offline: the copies bundled with scikit-learn.

scikit-learn comes with the ``demo`` extra (``pip install "chainrule[demo]"``); nothing is
downloaded. Features come back as float32 (chainrule's default float) and labels as int64.
"""
from __future__ import annotations

import numpy as np

from ..split import TrainTestSplit, fixed_split

__all__ = ["breast_cancer", "digits"]


def _load(name: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        # scikit-learn is optional and slow to import: imported when a data set is loaded
        from sklearn import datasets as sk_datasets
    except ImportError:
        raise ImportError(f"cr.datasets.{name}() reads the copy bundled with scikit-learn, "
                          'which is not installed; pip install "chainrule[demo]"') from None
    X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    return X, y.astype(np.int64)


def _finish(X: np.ndarray, y: np.ndarray, split: bool):
    if not split:
        return X.astype(np.float32), y
    # Split and standardise in float64, the data's own precision, then hand out float32.
    parts = fixed_split(X, y)
    return parts._replace(X_train=parts.X_train.astype(np.float32),
                          X_test=parts.X_test.astype(np.float32))


def breast_cancer(split: bool = False) -> tuple[np.ndarray, np.ndarray] | TrainTestSplit:
    """Wisconsin diagnostic breast cancer: 569 tumours, 30 features, 2 classes.

    Label 0 is malignant (212 samples), 1 is benign (357).

    >>> X, y = cr.datasets.breast_cancer()                 # (569, 30) float32, (569,) int64
    >>> X_train, X_test, y_train, y_test = cr.datasets.breast_cancer(split=True)

    With ``split=True``, returns the fixed split (``fixed_split``): 455 training and 114
    test samples, stratified, features standardised with the training statistics. It is
    ``train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)``, the same split
    scikit-learn gives.
    """
    return _finish(*_load("breast_cancer"), split)


def digits(split: bool = False) -> tuple[np.ndarray, np.ndarray] | TrainTestSplit:
    """Handwritten digits, 8x8 pixels with values 0..16: 1797 images, 64 features, 10 classes.

    >>> X, y = cr.datasets.digits()                        # (1797, 64) float32, (1797,) int64
    >>> X_train, X_test, y_train, y_test = cr.datasets.digits(split=True)   # 1437 / 360

    ``split=True`` works as for ``breast_cancer``; pixels that are constant on the training
    split (the always-blank corners) become 0.
    """
    return _finish(*_load("digits"), split)
