"""cr.train.fit: the loop, History, early stopping, divergence, callbacks, exact resume."""
import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def _problem(n=64, seed=0):
    X, y = cr.datasets.moons(n=n, noise=0.1, seed=seed)
    return X, y


def _model(seed=0, dropout=False):
    cr.manual_seed(seed)
    layers = [nn.Linear(2, 16), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(0.2))
    return nn.Sequential(*layers, nn.Linear(16, 2))


@pytest.mark.parametrize("batch_size, updates", [(None, 1), (1, 64), (16, 4), (10, 7)])
def test_one_update_per_batch(batch_size, updates):
    X, y = _problem()
    model = _model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    history = cr.train.fit(model, F.cross_entropy, opt, (X, y), epochs=3,
                           batch_size=batch_size, progress=False)
    assert history.steps == 3 * updates
    assert len(history.epochs) == 3


def test_training_lowers_the_loss_and_records_metrics():
    X, y = _problem(200)
    Xv, yv = _problem(100, seed=1)
    model = _model()
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    h = cr.train.fit(model, F.cross_entropy, opt, (X, y), epochs=30, batch_size=32,
                     val_data=(Xv, yv), metrics={"accuracy": cr.train.accuracy}, progress=False)
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h["train_accuracy"][-1] > 0.85 and h["val_accuracy"][-1] > 0.85
    whole = cr.train.evaluate(model, F.cross_entropy, X, y)["loss"]
    assert h["train_eval_loss"][-1] == pytest.approx(whole, rel=1e-6)
    assert len(h.val_loss) == 30
    assert all(b >= a for a, b in zip(h["time"], h["time"][1:]))
    with pytest.raises(KeyError, match="no per-epoch 'f1'"):
        h["f1"]


def test_tolerance_stops_early():
    X, y = _problem(100)
    model = _model()
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    h = cr.train.fit(model, F.cross_entropy, opt, (X, y), epochs=500, batch_size=None,
                     tol=0.3, progress=False)
    assert h.stopped_early and h.train_loss[-1] < 0.3 and len(h.epochs) < 500


def test_non_finite_loss_names_epoch_and_step():
    X, y = _problem(64)
    model = _model()
    opt = cr.optim.SGD(model.parameters(), lr=1e30)
    with pytest.raises(cr.train.NonFiniteLossError, match=r"epoch \d+, step \d+") as info:
        cr.train.fit(model, lambda out, t: ((out - 1e3) ** 2).sum(), opt, (X, y),
                     epochs=50, batch_size=16, progress=False)
    assert info.value.epoch >= 1 and info.value.step >= 1
    assert len(info.value.history.step_loss) >= 1


def test_callbacks_see_gradients_before_the_update():
    X, y = _problem(32)
    model = _model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    seen = []

    class Spy(cr.train.Callback):
        def on_backward_end(self, ctx):
            w = model[0].weight
            seen.append((w.grad.data.copy(), w.data.copy()))

        def on_step_end(self, ctx):
            grad, before = seen[-1]
            np.testing.assert_allclose(model[0].weight.data, before - 0.1 * grad, rtol=1e-6)

    cr.train.fit(model, F.cross_entropy, opt, (X, y), epochs=2, batch_size=8,
                 callbacks=[Spy()], progress=False)
    assert len(seen) == 8


def test_resume_gives_bitwise_the_same_weights(tmp_path):
    X, y = _problem(50)

    def run(epochs, path):
        model = _model(dropout=True)
        opt = cr.optim.Adam(model.parameters(), lr=0.01)
        scheduler = cr.optim.StepLR(opt, step_size=1, gamma=0.5)
        loader = cr.data.DataLoader(X, y, batch_size=8, shuffle=True, seed=3)
        h = cr.train.fit(model, F.cross_entropy, opt, loader, epochs=epochs, checkpoint=path,
                         scheduler=scheduler, progress=False)
        return model, h

    straight, h4 = run(4, None)
    path = tmp_path / "run.safetensors"
    run(2, path)
    resumed, h = run(4, path)
    for (name, a), (_, b) in zip(straight.named_parameters(), resumed.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert h.step_loss == h4.step_loss
    assert [e["epoch"] for e in h.epochs] == [1, 2, 3, 4]


def test_bad_epochs_is_a_clear_error():
    model = _model()
    with pytest.raises(ValueError, match="epochs must be a non-negative int"):
        cr.train.fit(model, F.cross_entropy, cr.optim.SGD(model.parameters(), lr=0.1),
                     _problem(), epochs=-1)


def test_accuracy_binary_and_multiclass():
    assert cr.train.accuracy(cr.tensor([[0.9], [0.2], [0.6]]), np.array([1, 0, 0])) == \
        pytest.approx(2 / 3)
    assert cr.train.accuracy(cr.tensor([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 1])) == 1.0
    assert cr.train.accuracy(cr.tensor([-1.0, 2.0]), np.array([0, 1]), threshold=0) == 1.0
