"""Data sets made offline by a generator package and cached on disk: MNIST-1D.

MNIST-1D (Greydanus & Kobak, 2020) draws each sample from one of ten 1-D digit templates,
then pads, scales, shifts, shears and adds correlated and white noise, ending with sequences
of 40 values. Small enough to train on in seconds, hard enough that a linear model, an MLP
and a convolutional net come out clearly apart. The ``mnist1d`` package (``pip install
mnist1d``, or the ``demo`` extra) generates it; we never use its downloading ``get_dataset``.
"""
from __future__ import annotations

import json
import os
import random
import warnings
import zipfile

import numpy as np

from ..split import TrainTestSplit
from ._cache import cache_dir as _cache_dir, save_npz_atomic

__all__ = ["mnist1d"]

_FILE = "mnist1d-v1.npz"
_KEYS = ("X_train", "X_test", "y_train", "y_test")


def mnist1d(cache_dir: str | os.PathLike | None = None) -> TrainTestSplit:
    """MNIST-1D with the generator's default settings: 4000 training and 1000 test
    sequences of 40 values, labels 0..9 (about 400 / 100 per class).

    >>> X_train, X_test, y_train, y_test = cr.datasets.mnist1d()   # float32 (4000, 40) ...

    Returns a ``TrainTestSplit`` (it unpacks in scikit-learn's order) with float32 features,
    already centred and scaled by the generator, and int64 labels. The first call generates
    the data (a few seconds) and caches it as ``mnist1d-v1.npz`` in ``cache_dir``, by
    default ``$XDG_CACHE_HOME/chainrule`` or ``~/.cache/chainrule``; later calls read that
    file. The file is written atomically and remembers the generator settings: a file made
    with other settings, or an unreadable one, is generated anew (with a warning).
    """
    path = _cache_dir(cache_dir) / _FILE
    args = _generator_args()
    if path.exists():
        parts = _read(path, args)
        if parts is not None:
            return parts
    parts = _generate(args)
    save_npz_atomic(path, args=np.array(json.dumps(args, sort_keys=True)), **parts._asdict())
    return parts


def _import_mnist1d():
    try:
        # mnist1d is optional: imported only when its data set is built
        from mnist1d import data
    except ImportError as e:
        raise ImportError("cr.datasets.mnist1d() generates the data with the mnist1d package, "
                          f"which could not be imported ({e}); pip install mnist1d, or "
                          'pip install "chainrule[demo]"') from None
    return data


def _generator_args() -> dict:
    args = _import_mnist1d().get_dataset_args(as_dict=True)
    args.pop("url", None)   # where its downloader would fetch from; not a generation setting
    return args


def _generate(args: dict) -> TrainTestSplit:
    data = _import_mnist1d()
    view = data.get_dataset_args()   # the object make_dataset expects, with our settings
    view.__dict__.update(args)
    # make_dataset reseeds NumPy's and Python's global generators; put them back afterwards
    # so that generating the data leaves no trace on the caller's random streams.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = data.make_dataset(view)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return TrainTestSplit(d["x"].astype(np.float32), d["x_test"].astype(np.float32),
                          d["y"].astype(np.int64), d["y_test"].astype(np.int64))


def _read(path, args: dict) -> TrainTestSplit | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            if json.loads(str(f["args"])) != json.loads(json.dumps(args, sort_keys=True)):
                warnings.warn(f"mnist1d: {path} was generated with other settings; "
                              "generating it again", stacklevel=3)
                return None
            return TrainTestSplit(*(f[k] for k in _KEYS))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        warnings.warn(f"mnist1d: could not read the cached {path} ({e}); generating it again",
                      stacklevel=3)
        return None
