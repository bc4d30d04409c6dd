"""GradientFlow's figures against gradients computed directly: norms, mean |g|, the
relative update of an SGD step, dead units on constructed cases, and its outputs."""
from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.inspect.gradient_flow import GradientFlow
from chainrule.inspect.plots import plot_gradient_norms


def _data(n=40, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    y = (X[:, :1] + X[:, 1:2] > 0).astype(np.float32)
    return X, y


def _model(activation="relu", depth=3, width=8, skip=False):
    cr.manual_seed(0)
    return nn.mlp(5, 1, depth=depth, width=width, activation=activation, skip=skip)


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def test_layers_are_the_linears_in_forward_order():
    model = _model(depth=3, skip=True)
    flow = GradientFlow(model)
    assert flow.layer_names == ["0", "2.block.0", "3.block.0", "4"]
    assert flow.grad_norms.shape == (0, 4)


def test_recorded_norms_equal_the_gradients_computed_directly():
    model = _model("sigmoid", depth=4)
    X, y = _data()
    flow = GradientFlow(model)
    F.binary_cross_entropy_with_logits(model(cr.tensor(X)), y).backward()
    flow.record()
    grads = [lin.weight.grad.data.astype(np.float64) for lin in _linears(model)]
    np.testing.assert_allclose(flow.grad_norms[0], [np.linalg.norm(g) for g in grads],
                               rtol=1e-12)
    np.testing.assert_allclose(flow.grad_mean_abs[0], [np.abs(g).mean() for g in grads],
                               rtol=1e-12)
    assert flow.steps == [0]
    assert np.isnan(flow.relative_updates).all()          # no step was taken
    assert np.isnan(flow.dead_fractions).all()            # sigmoid: no dead units to count


def test_relative_update_matches_a_manual_sgd_step():
    model = _model("tanh", depth=3)
    X, y = _data()
    flow = GradientFlow(model)
    before = [lin.weight.data.astype(np.float64).copy() for lin in _linears(model)]
    opt = cr.optim.SGD(model.parameters(), lr=0.3)
    F.binary_cross_entropy_with_logits(model(cr.tensor(X)), y).backward()
    flow.record()
    grads = [lin.weight.grad.data.astype(np.float64) for lin in _linears(model)]
    opt.step()
    flow.record_update()
    expected = [0.3 * np.linalg.norm(g) / np.linalg.norm(w) for g, w in zip(grads, before)]
    np.testing.assert_allclose(flow.relative_updates[0], expected, rtol=1e-5)


def test_as_a_fit_callback_every_step_and_every_k():
    X, y = _data()
    model = _model("relu")
    flow = GradientFlow(model)
    seen = []

    class Spy(cr.train.Callback):            # the gradients fit saw, before the update
        def on_backward_end(self, ctx):
            seen.append([np.linalg.norm(m.weight.grad.data) for m in _linears(model)])

    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    cr.train.fit(model, F.binary_cross_entropy_with_logits, opt, (X, y), epochs=3,
                 batch_size=10, callbacks=[flow, Spy()])
    assert flow.steps == list(range(1, 13))
    np.testing.assert_allclose(flow.grad_norms, seen, rtol=1e-6)
    assert np.isfinite(flow.relative_updates).all() and (flow.relative_updates > 0).all()

    sparse = GradientFlow(_model("relu"), every=5)
    model2 = sparse.model
    cr.train.fit(model2, F.binary_cross_entropy_with_logits,
                 cr.optim.SGD(model2.parameters(), lr=0.1), (X, y), epochs=3, batch_size=10,
                 callbacks=[sparse])
    assert sparse.steps == [1, 6, 11]
    assert np.isfinite(sparse.relative_updates).all()


def test_dead_fraction_on_a_constructed_case():
    # Layer 1 has 4 units; biases make units 0 and 2 negative on every sample (dead),
    # unit 1 positive on every sample, unit 3 positive on some samples only.
    lin1, lin2 = nn.Linear(2, 4), nn.Linear(4, 1)
    lin1.weight.data[...] = [[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0]]
    lin1.bias.data[...] = [-1.0, 1.0, -2.0, 0.0]
    for act, expected_dead in ((nn.ReLU(), 0.5), (nn.LeakyReLU(0.1), 0.5)):
        model = nn.Sequential(lin1, act, lin2)
        flow = GradientFlow(model)
        X = np.array([[1.0, 0.0], [-1.0, 3.0], [2.0, -1.0]], np.float32)
        model(cr.tensor(X)).sum().backward()
        flow.record()
        assert flow.dead_fractions[0, 0] == expected_dead
        assert np.isnan(flow.dead_fractions[0, 1])          # the output layer: no activation
        np.testing.assert_array_equal(flow.dead_fractions_on(X), [0.5, np.nan])
        # On one sample unit 3 is <= 0 too: then 3 of 4 look dead.
        np.testing.assert_array_equal(flow.dead_fractions_on(X[1:2]), [0.75, np.nan])
        flow.detach()
        assert "forward" not in act.__dict__


def test_observers_change_nothing_and_detach_restores():
    X, y = _data()
    model = _model("leaky_relu")
    expected = model(cr.tensor(X)).data.copy()
    with GradientFlow(model) as flow:
        acts = [m for m in model.modules() if isinstance(m, nn.LeakyReLU)]
        assert all(len(a._hooks) == 1 and "forward" not in a.__dict__ for a in acts)
        dead = flow.dead_fractions_on(X)
        assert np.isfinite(dead[:3]).all() and np.isnan(dead[3])
        np.testing.assert_array_equal(model(cr.tensor(X)).data, expected)
        assert set(model.state_dict()) == {f"{i}.{p}" for i in (0, 2, 4, 6)
                                           for p in ("weight", "bias")}
    assert all("forward" not in a.__dict__ and not a._hooks for a in acts)
    assert np.isnan(GradientFlow(model, track_dead=False).dead_fractions_on(X)).all()


def test_missing_gradient_is_nan_not_zero():
    model = _model("sigmoid", depth=2)
    flow = GradientFlow(model)
    flow.record()                                    # no backward yet: nothing measured
    assert np.isnan(flow.grad_norms).all()


def test_layers_argument_names_modules_and_errors():
    model = _model("relu", depth=3)
    flow = GradientFlow(model, layers=["0", "6"])
    assert flow.layer_names == ["0", "6"]
    flow = GradientFlow(model, layers={"first": model[0]})
    assert flow.layer_names == ["first"]
    with pytest.raises(ValueError, match="no module named 'nope'"):
        GradientFlow(model, layers=["nope"])
    with pytest.raises(ValueError, match="has no weight"):
        GradientFlow(model, layers=["1"])
    with pytest.raises(ValueError, match="every must be"):
        GradientFlow(model, every=0)
    with pytest.raises(TypeError, match="nn.Module"):
        GradientFlow(object())
    with pytest.raises(RuntimeError, match="record\\(\\)"):
        GradientFlow(model).record_update()


def test_outputs_json_table_and_figures(tmp_path):
    pytest.importorskip("matplotlib")
    rich = pytest.importorskip("rich")
    X, y = _data()
    model = _model("relu", depth=4)
    flow = GradientFlow(model)
    cr.train.fit(model, F.binary_cross_entropy_with_logits,
                 cr.optim.SGD(model.parameters(), lr=0.1), (X, y), epochs=30, batch_size=10,
                 callbacks=[flow])
    d = json.loads(json.dumps(flow.to_dict()))
    assert d["layers"] == flow.layer_names and len(d["grad_norm"]) == 120
    assert set(d) == {"layers", "steps", "grad_norm", "grad_mean_abs", "relative_update",
                      "dead_fraction"}

    table = flow.table()
    assert isinstance(table, rich.table.Table) and table.row_count == 5

    fig = flow.plot()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len([ln for ln in ax.get_lines() if ln.get_label().startswith("step")]) == 10
    fig.savefig(tmp_path / "flow.png")
    assert (tmp_path / "flow.png").stat().st_size > 5000

    fig = plot_gradient_norms({"plain": [0.0, 1e-8, 1e-3], "residual": [0.5, 0.6, 0.7]},
                              title="two models")
    labels = [ln.get_label() for ln in fig.axes[0].get_lines()]
    assert labels == ["plain", "exactly 0 (underflow)", "residual"]
    fig.savefig(tmp_path / "two.png")
    assert (tmp_path / "two.png").stat().st_size > 5000


def test_table_and_plot_cope_with_what_was_not_measured():
    pytest.importorskip("matplotlib")
    pytest.importorskip("rich")
    model = _model("sigmoid", depth=2)
    flow = GradientFlow(model)
    with pytest.raises(ValueError, match="nothing recorded"):
        flow.table()
    flow.record()                                   # no gradients, no update, no ReLU
    assert flow.table().row_count == 3              # all "-", and no warning
    F.binary_cross_entropy_with_logits(model(cr.tensor(_data()[0])), _data()[1]).backward()
    flow.record()
    assert flow.plot().axes[0].get_yscale() == "log"


def _dead_fractions_by_hand(model, X):
    """Per Linear of an nn.mlp, the fraction of its units after which the ReLU gave <= 0 on
    every sample, from the activations computed layer by layer (NaN: no ReLU follows)."""
    h, out = cr.tensor(X), []
    for module in model:
        if isinstance(module, nn.Residual):
            z = module.block[0].forward(h)
            a = module.block[1].forward(z)
            out.append(float(np.mean(np.all(a.data <= 0, axis=0))))
            h = a + h
            continue
        h = module.forward(h)
        if isinstance(module, nn.Linear):
            out.append(np.nan)
        else:
            out[-1] = float(np.mean(np.all(h.data <= 0, axis=0)))
    return out


@pytest.mark.parametrize("skip", [False, True])
def test_dead_units_are_seen_through_hooks_with_no_instance_forward(skip):
    model = _model("relu", depth=4, width=8, skip=skip)
    for lin in _linears(model)[:-1]:          # push some units below 0 on every sample
        lin.bias.data[::3] = -3.0
    X, y = _data()
    flow = GradientFlow(model)
    assert not any("forward" in m.__dict__ for m in model.modules())
    F.binary_cross_entropy_with_logits(model(cr.tensor(X)), y).backward()
    flow.record()
    expected = _dead_fractions_by_hand(model, X)
    assert np.isnan(expected[-1]) and 0 < np.nanmin(expected)          # a non-trivial case
    np.testing.assert_array_equal(flow.dead_fractions[0], expected)
    np.testing.assert_array_equal(flow.dead_fractions_on(X), expected)
    assert not any("forward" in m.__dict__ for m in model.modules())
    flow.detach()
    assert not any(m._hooks for m in model.modules())


def test_two_monitors_count_dead_units_at_once():
    model = _model("relu", depth=3)
    X, _ = _data()
    first, second = GradientFlow(model), GradientFlow(model)
    np.testing.assert_array_equal(first.dead_fractions_on(X), second.dead_fractions_on(X))
    assert np.isfinite(second.dead_fractions_on(X)[:3]).all()
    first.detach()
    assert np.isfinite(second.dead_fractions_on(X)[:3]).all()
