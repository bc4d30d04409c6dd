"""cr.inspect.plot_decision_boundary and the DecisionBoundary callback (issue 13)."""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn

pytest.importorskip("matplotlib", reason="figures need matplotlib (chainrule[demo])")


def _moons():
    return cr.datasets.moons(n=120, noise=0.1, seed=0)


def _trained(epochs=60):
    X, y = _moons()
    cr.manual_seed(0)
    model = nn.mlp(2, 1, depth=2, width=16, activation="tanh")
    cr.train.fit(model, F.binary_cross_entropy_with_logits,
                 cr.optim.Adam(model.parameters(), lr=0.05), (X, y), epochs, batch_size=20,
                 progress=False)
    return model, X, y


def test_binary_boundary_shades_the_probability_and_reports_the_accuracy():
    model, X, y = _trained()
    fig = cr.inspect.plot_decision_boundary(model, X, y)
    ax = fig.axes[0]
    with cr.no_grad():
        logits = model(cr.tensor(X)).numpy()[:, 0]
    acc = float(np.mean((logits > 0) == y))      # logits cut at 0, not at 0.5
    assert acc > 0.9
    assert ax.get_title() == f"decision boundary: accuracy {acc:.1%}"
    assert fig.axes[1].get_ylabel() == "P(class 1)"       # the colour bar
    points = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(points, X)
    assert ax.get_xlim()[0] < X[:, 0].min() and ax.get_xlim()[1] > X[:, 0].max()
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_multiclass_boundary_colours_the_arg_max_class():
    X, y = cr.datasets.gaussians(n=90, classes=3, seed=0)
    k = 3
    cr.manual_seed(0)
    model = nn.mlp(2, k, depth=1, width=8, activation="relu")
    fig = cr.inspect.plot_decision_boundary(model, X, y, resolution=40)
    with cr.no_grad():
        acc = float(np.mean(model(cr.tensor(X)).numpy().argmax(axis=1) == y))
    assert fig.axes[0].get_title() == f"decision boundary: accuracy {acc:.1%}"
    assert len(fig.axes) == 1                              # regions, no colour bar
    colours = {tuple(c) for c in fig.axes[0].collections[-1].get_facecolors()}
    assert len(colours) == 3                               # one colour per class


def test_clear_errors():
    model = nn.mlp(3, 1, depth=1, width=4)
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\).*got shape \(5, 3\)"):
        cr.inspect.plot_decision_boundary(model, np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="5 points but 4 labels"):
        cr.inspect.plot_decision_boundary(nn.mlp(2, 1, depth=1, width=4), np.zeros((5, 2)),
                                          np.zeros(4))
    with pytest.raises(ValueError, match="every must be an int >= 1"):
        cr.inspect.DecisionBoundary(np.zeros((5, 2)), np.zeros(5), every=0)


def test_the_callback_redraws_every_n_epochs_in_one_display(monkeypatch):
    from chainrule import display
    calls = []

    class Handle:
        def update(self, obj):
            calls.append(("update", obj))

    def fake_display(obj, display_id=False):
        calls.append(("display", obj))
        return Handle()

    import IPython.display
    monkeypatch.setattr(display, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    X, y = _moons()
    cr.manual_seed(0)
    model = nn.mlp(2, 1, depth=1, width=8, activation="tanh")
    live = cr.inspect.DecisionBoundary(X, y, every=4, resolution=30)
    cr.train.fit(model, F.binary_cross_entropy_with_logits,
                 cr.optim.SGD(model.parameters(), lr=0.5), (X, y), 10, progress=False,
                 callbacks=[live])
    assert live.epochs_drawn == [0, 4, 8, 10]
    assert [kind for kind, _ in calls] == ["display", "update", "update", "update"]
    assert calls[-1][1] is live.figure
    assert live.figure.axes[0].get_title().startswith("epoch 10: accuracy ")
