"""The lab harness: one trainer (curve, divergence, train and test accuracy) and the
parameters and wall time recorded for every experiment, however it is called."""
import inspect
import math
import time

import numpy as np
import pytest

from chainrule import lab, nn
from chainrule.lab import harness
from chainrule.lab.result import Result
from chainrule.nn import functional as F
from chainrule.optim import SGD
from chainrule.random import manual_seed


def blobs(n=64):
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-2, 1, (n // 2, 2)), rng.normal(2, 1, (n // 2, 2))])
    y = np.repeat([0.0, 1.0], n // 2).astype(np.float32)
    return X.astype(np.float32), y


def model_and_opt(lr):
    manual_seed(0)
    model = nn.mlp(2, 1, depth=1, width=8)
    return model, SGD(model.parameters(), lr=lr)


def test_train_returns_curve_and_accuracies():
    X, y = blobs()
    model, opt = model_and_opt(0.5)
    t = harness.train(model, F.binary_cross_entropy_with_logits, opt, (X, y), 5,
                      batch_size=16, seed=0, test=(X, y))
    assert len(t.curve) == 5 and t.curve[-1] < t.curve[0]
    assert not t.diverged and t.error is None
    assert t.train_accuracy == t.test_accuracy == 1.0     # two well-separated blobs
    assert math.isfinite(t.train_loss) and t.history.steps == 5 * 4 and t.seconds > 0


def test_train_gives_what_fit_gives_for_the_same_seed():
    from chainrule import train
    from chainrule.data import DataLoader

    X, y = blobs()
    model, opt = model_and_opt(0.5)
    ours = harness.train(model, F.binary_cross_entropy_with_logits, opt, (X, y), 3,
                         batch_size=16, seed=7).curve
    model, opt = model_and_opt(0.5)
    theirs = train.fit(model, F.binary_cross_entropy_with_logits, opt,
                       DataLoader(X, y, batch_size=16, shuffle=True, seed=7), 3)["train_loss"]
    assert ours == theirs


def test_a_diverging_run_is_recorded_not_raised():
    X, y = blobs()
    X = X * 1e4
    model, opt = model_and_opt(1e6)
    t = harness.train(model, F.mse_loss, opt, (X, y), 5, batch_size=None, seed=0,
                      shuffle=False, test=(X, y))
    assert t.diverged and not math.isfinite(t.error.loss)
    assert math.isnan(t.train_accuracy) and math.isnan(t.test_accuracy)
    assert len(t.curve) == t.error.epoch - 1


def test_params_of_fills_defaults_lists_sequences_and_drops_progress():
    def run(*, seed: int = 0, depths=(2, 4), lr: float = 0.1, progress: bool = False):
        ...
    assert harness.params_of(run, {"lr": 0.5, "progress": True}) == {
        "seed": 0, "depths": [2, 4], "lr": 0.5}


def test_recorded_run_carries_params_and_time_when_called_directly():
    @harness.recorded
    def run(*, seed: int = 0, steps: int = 3, progress: bool = False) -> Result:
        time.sleep(0.01)
        return Result("toy", numbers={"steps": steps}, conclusion="ran")

    r = run(steps=5)
    assert r.params == {"seed": 0, "steps": 5} and r.seconds >= 0.01
    assert list(inspect.signature(run).parameters) == ["seed", "steps", "progress"]


def test_lab_run_records_the_parameters_actually_used():
    r = lab.run("sigmoid-bound", quick=True, figures=False, max_depth=12)
    assert r.params == {"seed": 0, "x_max": 10.0, "grid_points": 2001, "max_depth": 12}
    assert r.seconds > 0


@pytest.mark.parametrize("name", ["vanishing", "skip", "dying-relu"])
def test_experiments_no_longer_time_or_retype_themselves(name):
    source = inspect.getsource(lab.get(name))
    assert "perf_counter" not in source and "params=" not in source
    assert "DataLoader(" not in source and "NonFiniteLossError" not in source
