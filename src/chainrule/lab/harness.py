"""The lab's plumbing, written once: what every experiment needs and none of them is about.

``train`` runs one training (a DataLoader over the data, ``cr.train.fit``, a diverging loss
caught and recorded, the final loss and accuracy on the training and test sets) and returns
a ``Trained``. ``recorded`` wraps an experiment's ``run`` so that its Result carries the
parameters it actually ran with (the signature's defaults filled in) and its wall time;
``lab.run`` records them the same way (``record``). An experiment module is then only its
science: what it varies, what it measures, what it concludes, what it draws.

>>> trained = train(model, F.binary_cross_entropy_with_logits, SGD(model.parameters(), 0.1),  # doctest: +SKIP
...                 (X, y), epochs=5, batch_size=32, seed=0, test=(X_test, y_test))
>>> trained.curve, trained.diverged, trained.test_accuracy     # doctest: +SKIP
"""
from __future__ import annotations

import functools
import inspect
import math
import time
import warnings
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from .. import train as _train
from ..data import DataLoader
from ..history import History
from ..replay import ReplayWarning
from .result import Result

__all__ = ["Trained", "train", "parameter_count", "recorded", "record", "params_of", "ACCURACY",
           "NOT_RECORDED"]

ACCURACY = functools.partial(_train.accuracy, from_logits=True)
"""The lab's accuracy: every lab network ends in a Linear layer, so its binary outputs are
logits, cut at 0 (sigmoid(z) > 1/2 exactly when z > 0); class scores are arg-maxed."""

NOT_RECORDED = ("progress",)
"""run() parameters that change how a run is shown, not what it computes."""


@dataclass
class Trained:
    """What one training gave.

    curve: the mean training loss of every finished epoch; diverged: the loss became NaN or
    inf (``error`` is fit's NonFiniteLossError, ``history`` what fit had recorded by then);
    train_loss: the loss on the whole training set after training; train_accuracy and
    test_accuracy: after training (NaN when diverged, or when no test set was given);
    seconds: the wall time of ``fit`` alone.
    """

    curve: list
    diverged: bool
    history: History
    error: _train.NonFiniteLossError | None = None
    train_loss: float = math.nan
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan
    seconds: float = 0.0


def _evaluate(model, loss_fn, data, metric) -> dict:
    # A run that did not diverge can still end with weights that overflow on the whole set;
    # the inf or NaN it gives is the measurement, so NumPy's warnings would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        return _train.evaluate(model, loss_fn, *data, {"accuracy": metric})


def train(model, loss_fn: Callable, optimizer, data: tuple, epochs: int, *,
          batch_size: int | None, seed: int, shuffle: bool = True, test: tuple | None = None,
          metrics: dict | None = None, callbacks: Iterable = (), accuracy: Callable = ACCURACY,
          evaluate: bool = True, progress: bool = False) -> Trained:
    """Train model on data = (X, y) for ``epochs`` epochs with ``cr.train.fit`` (batches of
    batch_size, None for the whole set; shuffled by seed's own generator when shuffle) and
    return a Trained. A NaN or infinite loss does not raise: the run is marked diverged.
    metrics and callbacks go to ``fit``; evaluate=False skips the final evaluations (the
    losses and accuracies stay NaN).

    >>> t = train(model, F.cross_entropy, Adam(model.parameters()), (X, y), 30,
    ...           batch_size=64, seed=0, test=(X_test, y_test))     # doctest: +SKIP
    """
    loader = DataLoader(*data, batch_size=batch_size, shuffle=shuffle,
                        seed=seed if shuffle else None)
    started = time.perf_counter()
    callbacks = list(callbacks)
    try:
        # The step recorded once and replayed (the same numbers, several times faster on
        # the lectures' small networks); where it cannot be, it runs eagerly without a word.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ReplayWarning)
            history = _train.fit(model, loss_fn, optimizer, loader, epochs, metrics=metrics,
                                 callbacks=callbacks, progress=progress,
                                 compile=not _train.reads_gradients(callbacks))
        error = None
    except _train.NonFiniteLossError as err:
        history, error = err.history, err
    seconds = time.perf_counter() - started
    curve = [float(e["train_loss"]) for e in history.epochs]
    out = Trained(curve, error is not None, history, error, seconds=seconds)
    if error is None and evaluate:
        on_train = _evaluate(model, loss_fn, data, accuracy)
        out.train_loss, out.train_accuracy = on_train["loss"], on_train["accuracy"]
        if test is not None:
            out.test_accuracy = _evaluate(model, loss_fn, test, accuracy)["accuracy"]
    return out


def parameter_count(model) -> int:
    """How many numbers the optimiser trains: what a fair comparison of networks states."""
    return int(sum(p.data.size for p in model.parameters()))


# ------------------------------------------------------------ parameters and time
def _jsonable(value):
    return [_jsonable(v) for v in value] if isinstance(value, (tuple, list)) else value


def params_of(run: Callable, kwargs: dict) -> dict:
    """The parameters run(**kwargs) runs with: every keyword of its signature, the given
    value or else the default, sequences as lists (JSON), without NOT_RECORDED.

    >>> def run(*, seed=0, depths=(2, 4), progress=False): ...
    >>> params_of(run, {"seed": 3})
    {'seed': 3, 'depths': [2, 4]}
    """
    bound = inspect.signature(run).bind_partial(**kwargs)
    bound.apply_defaults()
    return {k: _jsonable(v) for k, v in bound.arguments.items() if k not in NOT_RECORDED}


def record(result, run: Callable, kwargs: dict, seconds: float):
    """Fill result's params (``params_of``) and, unless the run timed itself, seconds."""
    if not isinstance(result, Result):
        return result
    result.params = params_of(run, kwargs)
    if not result.seconds:
        result.seconds = seconds
    return result


def recorded(run: Callable) -> Callable:
    """Decorate an experiment's run(): its Result carries its parameters and wall time,
    however it is called (``lab.run``, a sweep, a test calling the module directly)."""

    @functools.wraps(run)
    def wrapper(**kwargs):
        started = time.perf_counter()
        result = run(**kwargs)
        return record(result, run, kwargs, time.perf_counter() - started)

    return wrapper
