"""fit(compile=True): the same History as an eager fit, faster."""
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def _fit(compile, *, callbacks=(), epochs=6, loss=F.binary_cross_entropy_with_logits,
         optimizer=cr.optim.Adam, checkpoint=None):
    X, y = cr.datasets.moons(n=103, noise=0.2, seed=0)   # 103 = 6 batches of 16 + 7
    cr.manual_seed(0)
    model = nn.mlp(2, 1, depth=3, width=8, activation="tanh")
    opt = optimizer(model.parameters(), lr=0.05)
    loader = cr.data.DataLoader(X[:80], y[:80], batch_size=16, shuffle=True, seed=1)
    history = cr.train.fit(model, loss, opt, loader, epochs, val_data=(X[80:], y[80:]),
                           metrics={"accuracy": cr.train.accuracy}, callbacks=callbacks,
                           progress=False, compile=compile, checkpoint=checkpoint)
    return model, history


def _same_history(a, b):
    assert a.step_loss == b.step_loss
    assert len(a.epochs) == len(b.epochs)
    for ea, eb in zip(a.epochs, b.epochs):
        assert {k: v for k, v in ea.items() if k != "time"} == \
            {k: v for k, v in eb.items() if k != "time"}


def test_fit_compiled_gives_the_eager_history_and_weights():
    with warnings.catch_warnings():
        warnings.simplefilter("error")       # it replays: no fallback warning
        (m1, h1), (m2, h2) = _fit(False), _fit(True)
    _same_history(h1, h2)
    assert h2.epochs[-1]["train_accuracy"] > 0.8
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_fit_compiled_with_a_short_last_batch_and_momentum():
    X, y = cr.datasets.moons(n=50, noise=0.2, seed=2)   # batches of 16, 16, 16, 2
    results = []
    for compile in (False, True):
        cr.manual_seed(3)
        model = nn.mlp(2, 1, depth=2, width=8)
        opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        h = cr.train.fit(model, F.binary_cross_entropy_with_logits, opt, (X, y), 5,
                         batch_size=16, progress=False, compile=compile)
        results.append((h, [p.data.copy() for p in model.parameters()]))
    _same_history(results[0][0], results[1][0])
    for p, q in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(p, q)


def test_a_callback_reading_gradients_keeps_the_step_eager_and_says_so():
    reader = _GradientReader()
    with pytest.warns(cr.replay.ReplayWarning, match="_GradientReader reads the gradients"):
        _, h = _fit(True, callbacks=[reader], epochs=2)
    _, eager = _fit(False, callbacks=[_GradientReader()], epochs=2)
    _same_history(h, eager)
    assert reader.norm > 0


class _GradientReader(cr.train.Callback):
    def on_backward_end(self, ctx):
        self.norm = float(np.linalg.norm(ctx.model[0].weight.grad.data))


def test_checkpointed_compiled_fit_resumes_exactly(tmp_path):
    path = tmp_path / "run.safetensors"
    _, whole = _fit(True, epochs=4)
    _fit(True, epochs=2, checkpoint=path)
    _, resumed = _fit(True, epochs=4, checkpoint=path)
    _same_history(whole, resumed)
