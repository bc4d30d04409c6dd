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
    assert cr.train.accuracy(cr.tensor([[0.9], [0.2], [0.6]]), np.array([1, 0, 0]),
                             from_logits=False) == pytest.approx(2 / 3)
    assert cr.train.accuracy(cr.tensor([[2.0, 1.0], [0.0, 3.0]]), np.array([0, 1])) == 1.0
    assert cr.train.accuracy(cr.tensor([-1.0, 2.0]), np.array([0, 1]), threshold=0) == 1.0


# ------------------------------------------------------- clear errors (issue 10)
def test_a_loss_function_returning_a_float_says_so():
    X, y = _problem(16)
    model = _model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"fit: loss_fn must return the loss as a scalar "
                                        r"Tensor .* got float .*not its \.item\(\)"):
        cr.train.fit(model, lambda out, t: F.cross_entropy(out, t).item(), opt, (X, y), 1,
                     progress=False)
    with pytest.raises(ValueError, match=r"scalar \(one-element\) Tensor, got shape \(16,\)"):
        cr.train.fit(model, lambda out, t: F.cross_entropy(out, t, reduction="none"), opt,
                     (X, y), 1, progress=False)


def test_resuming_from_a_file_that_is_not_a_fit_checkpoint(tmp_path):
    X, y = _problem(16)
    model = _model()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    path = cr.save(model, tmp_path / "weights.safetensors")      # weights only
    with pytest.raises(ValueError, match=r"weights\.safetensors is not a checkpoint saved by "
                                         r"fit \(it holds keys \['0\.bias', '0\.weight'"):
        cr.train.fit(model, F.cross_entropy, opt, (X, y), 1, checkpoint=path, progress=False)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match=r"junk\.safetensors is not a readable"):
        cr.train.fit(model, F.cross_entropy, opt, (X, y), 1, checkpoint=junk, progress=False)


def test_a_checkpoint_path_that_cannot_be_written_is_refused_before_training(tmp_path):
    X, y = _problem(16)
    model = _model()
    before = [p.data.copy() for p in model.parameters()]
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    a_file = tmp_path / "a_file"
    a_file.write_text("in the way")
    for bad, words in [(tmp_path, "got the directory"),
                       (a_file / "run.safetensors", "a file of that name is in the way")]:
        with pytest.raises(ValueError, match=f"fit: .*{words}"):
            cr.train.fit(model, F.cross_entropy, opt, (X, y), 1, checkpoint=bad,
                         progress=False)
    with pytest.raises(TypeError, match="fit: checkpoint must be a file path"):
        cr.train.fit(model, F.cross_entropy, opt, (X, y), 1, checkpoint=3, progress=False)
    for a, b in zip(before, model.parameters()):       # no epoch ran
        np.testing.assert_array_equal(a, b.data)


# ------------------------------------------- the traps a student fell into (issue 13)
def _binary_model(seed=0, **kw):
    cr.manual_seed(seed)
    return nn.mlp(2, 1, depth=2, width=8, activation="tanh", **kw)


def test_fit_accepts_targets_of_shape_n_for_a_one_column_output():
    X, y = _problem(64)                       # y: (64,), nn.mlp(..., 1) outputs (64, 1)
    assert y.shape == (64,)
    model = _binary_model()
    opt = cr.optim.SGD(model.parameters(), lr=0.5)
    h = cr.train.fit(model, F.binary_cross_entropy_with_logits, opt, (X, y), 20,
                     val_data=(X, y), progress=False)
    # the same loss as with the target reshaped by hand
    by_hand = F.binary_cross_entropy_with_logits(model(cr.tensor(X)), y.reshape(-1, 1))
    assert h.val_loss[-1] == pytest.approx(by_hand.item(), rel=1e-6)
    assert h.train_loss[-1] < h.train_loss[0]
    # MSE too (a regression target of shape (N,)); class ids for cross_entropy stay (N,)
    h = cr.train.fit(model, F.mse_loss, opt, (X, y.astype(np.float32)), 1, progress=False)
    assert np.isfinite(h.train_loss[0])
    cr.train.fit(_model(), F.cross_entropy, cr.optim.SGD(_model().parameters(), lr=0.1),
                 (X, y), 1, progress=False)


def test_a_loss_of_the_users_own_gets_the_targets_as_given():
    X, y = _problem(64)
    seen = []

    def flat_bce(logits, target):         # flattens the output itself, as bench_real_data does
        seen.append(target.shape)
        return F.binary_cross_entropy_with_logits(logits.reshape(-1), target)

    model = _binary_model()
    cr.train.fit(model, flat_bce, cr.optim.SGD(model.parameters(), lr=0.5), (X, y), 1,
                 progress=False)
    assert seen and all(shape == y.shape[:1] or shape[1:] == () for shape in seen)


def test_the_bce_shape_error_says_how_to_fix_it():
    logits = cr.zeros(4, 1)
    with pytest.raises(ValueError, match=r"the input has shape \(4, 1\) but the target \(4,\)"
                       r".*y\.reshape\(-1, 1\), or squeeze the output with "
                       r"output\.squeeze\(1\)"):
        F.binary_cross_entropy_with_logits(logits, np.ones(4))
    with pytest.raises(ValueError, match=r"y\.reshape\(-1, 1\)"):
        F.binary_cross_entropy(cr.full((4, 1), 0.5), np.ones(4))
    with pytest.raises(ValueError, match=r"flatten them with y\.reshape\(-1\)"):
        F.binary_cross_entropy_with_logits(cr.zeros(4), np.ones((4, 1)))


def test_accuracy_of_logits_can_not_be_silently_wrong():
    # logits 0.3, 0.2, 0.4 mean p = 0.57, 0.55, 0.6: all predict class 1; read as
    # probabilities they would all predict 0 -- two different accuracies
    small = cr.tensor([[0.3], [0.2], [0.4]])
    target = np.array([1, 1, 0])
    assert cr.train.accuracy(small, target, from_logits=True) == pytest.approx(2 / 3)
    assert cr.train.accuracy(small, target, from_logits=False) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="could be probabilities .* or logits .* say which"):
        cr.train.accuracy(small, target)
    logits = cr.tensor([[0.3], [0.2], [-0.4]])
    # values outside [0, 1] can only be logits
    assert cr.train.accuracy(logits, target) == 1.0
    with pytest.raises(ValueError, match=r"from_logits=False, but the outputs run from -0\.4"):
        cr.train.accuracy(logits, target, from_logits=False)
    # an explicit threshold (the lab's form) and predicted labels still work
    assert cr.train.accuracy(logits, target, threshold=0.25) == pytest.approx(2 / 3)
    assert cr.train.accuracy(np.array([1, 0, 0]), target) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="3 outputs .* but 2 targets"):
        cr.train.accuracy(logits, [1, 0])


def test_fit_tells_accuracy_whether_the_outputs_are_logits():
    X, y = _problem(200)
    model = _binary_model()
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    h = cr.train.fit(model, F.binary_cross_entropy_with_logits, opt, (X, y), 3,
                     metrics={"accuracy": cr.train.accuracy}, progress=False)
    with cr.no_grad():
        logits = model(cr.tensor(X)).numpy()[:, 0]
    true = float(np.mean((logits > 0) == y))
    assert h["train_accuracy"][-1] == pytest.approx(true)
    # the same network with a sigmoid at the end, on BCE of probabilities
    cr.manual_seed(0)
    probs = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    r = cr.train.evaluate(probs, F.binary_cross_entropy, X, y,
                          {"accuracy": cr.train.accuracy})
    with cr.no_grad():
        p = probs(cr.tensor(X)).numpy()[:, 0]
    assert r["accuracy"] == pytest.approx(float(np.mean((p > 0.5) == y)))


def test_output_kind_from_the_loss_or_the_last_layer():
    mlp = nn.mlp(2, 1, depth=1, width=4)
    squashed = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    assert cr.train.output_kind(mlp, F.binary_cross_entropy_with_logits) is True
    assert cr.train.output_kind(mlp, nn.CrossEntropyLoss()) is True
    assert cr.train.output_kind(squashed, nn.BCELoss()) is False
    assert cr.train.output_kind(mlp, F.mse_loss) is True              # ends in a Linear
    assert cr.train.output_kind(squashed, F.mse_loss) is False
    assert cr.train.output_kind(nn.Sequential(nn.Linear(2, 1), nn.Tanh()), F.mse_loss) is None


# ------------------------------------------------------------- History in a notebook
def _history():
    X, y = _problem(64)
    model = _model()
    opt = cr.optim.Adam(model.parameters(), lr=0.05)
    return cr.train.fit(model, F.cross_entropy, opt, (X, y), 25, batch_size=16,
                        val_data=(X, y), metrics={"accuracy": cr.train.accuracy},
                        progress=False)


def test_history_repr_is_a_short_summary():
    h = _history()
    text = repr(h)
    lines = text.splitlines()
    assert lines[0].startswith("History: 25 epochs, 100 steps, ") and len(lines) == 6
    assert [line.split()[0] for line in lines[1:]] == [
        "train_loss", "train_eval_loss", "val_loss", "train_accuracy", "val_accuracy"]
    best, at = h.best("val_accuracy")
    assert best == max(h["val_accuracy"]) and h["val_accuracy"][at - 1] == best
    best, at = h.best("train_loss")
    assert best == min(h.train_loss) and h.train_loss[at - 1] == best
    assert f"(best {best:.4g} at epoch {at})" in lines[1]
    assert len(text) < 600                       # not every step's loss
    assert repr(cr.train.History()) == "History: no epoch finished (0 steps)"


def test_history_html_and_plot():
    pytest.importorskip("matplotlib")
    h = _history()
    html = h._repr_html_()
    assert html.startswith("<table><caption>History: 25 epochs") and html.count("<tr>") == 6
    fig = h.plot()
    losses, metrics = fig.axes
    assert [line.get_label() for line in losses.get_lines()] == [
        "train_loss", "train_eval_loss", "val_loss"]
    assert [line.get_label() for line in metrics.get_lines()] == [
        "train_accuracy", "val_accuracy"]
    np.testing.assert_allclose(losses.get_lines()[0].get_ydata(), h.train_loss)
    assert losses.get_yscale() == "log"
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="no finished epoch"):
        cr.train.History().plot()


def test_progress_in_a_notebook_is_an_html_bar_updated_in_place(monkeypatch):
    from chainrule import display
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    def fake_display(obj, display_id=False):
        assert display_id is True
        shown.append(obj)
        return Handle()

    import IPython.display
    monkeypatch.setattr(display, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    X, y = _problem(32)
    model = _model()
    cr.train.fit(model, F.cross_entropy, cr.optim.SGD(model.parameters(), lr=0.1), (X, y), 3)
    assert "<progress value=\"0\" max=\"3\"" in shown[0]._repr_html_()
    assert repr(shown[-1]).startswith("epoch 3/3  loss ")
    assert "<progress value=\"3\" max=\"3\"" in shown[-1]._repr_html_()
    assert display.progress_bar(False, 3) is None
