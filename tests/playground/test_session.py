"""One page's session without a server: data, training, state, gradient norms,
divergence, multiclass and regression, export."""
from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.playground import maps
from chainrule.playground.config import parse_config
from chainrule.playground.datasets import make_data, split
from chainrule.playground.export import SCRIPT_FILE, export_message, python_code
from chainrule.playground.features import FEATURES, feature_matrix
from chainrule.playground.network import build_model, weight_layers
from chainrule.playground.session import Session


def session(**setup) -> Session:
    return Session(parse_config(setup))


def train(s: Session, epochs: int) -> Session:
    for _ in range(epochs):
        s.train_epoch()
    return s


def decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.uint8)


# ------------------------------------------------------------------ data
@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"])
def test_data_sets_fill_tf_playgrounds_square(name):
    X, y = make_data(name, 500, noise=0, seed=0)
    assert X.shape == (500, 2) and X.dtype == np.float32
    assert np.abs(X).max() <= 6.0 and np.abs(X).max() > 4.0
    if name.startswith("reg"):
        assert y.dtype == np.float32 and -1 <= y.min() < 0 < y.max() <= 1
    else:
        assert sorted(np.bincount(y).tolist()) == [250, 250]
    X2, y2 = make_data(name, 500, noise=0, seed=0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)


def test_circle_and_regression_labels_follow_tf():
    X, y = make_data("circle", 500, seed=1)
    r = np.linalg.norm(X, axis=1)
    assert np.allclose(r[y == 0], 5, atol=1e-5) and np.allclose(r[y == 1], 2.5, atol=1e-5)
    X, y = make_data("reg-plane", 200, seed=1)
    np.testing.assert_allclose(y, np.clip((X[:, 0] + X[:, 1]) / 10, -1, 1), atol=1e-6)
    X, y = make_data("reg-gauss", 2000, seed=1)
    near = np.linalg.norm(X - np.array([0, 2.5]), axis=1) < 0.3      # a -1 bump
    assert near.any() and (y[near] < -0.8).all()


def test_multiclass_spiral_and_split():
    X, y = make_data("spiral", 600, noise=10, classes=4, seed=0)
    assert np.bincount(y).tolist() == [150] * 4
    (a, ya), (b, yb) = split(X, y, 30)
    assert len(a) == len(ya) == 180 and len(b) == len(yb) == 420
    with pytest.raises(ValueError, match="more need gauss or spiral"):
        make_data("xor", 100, classes=3)


def test_features_match_their_source():
    pts = np.array([[1.5, -2.0], [0.25, 3.0]], np.float32)
    got = feature_matrix(pts, list(FEATURES))
    x, y = pts[:, 0], pts[:, 1]
    for k, (fn, code) in enumerate(FEATURES.values()):
        np.testing.assert_array_equal(got[:, k], eval(code, {"np": np, "x": x, "y": y}))
    np.testing.assert_allclose(got[0], [1.5, -2.0, -3.0, 2.25, 4.0, np.sin(1.5), np.sin(-2.0)],
                               rtol=1e-6)


# ------------------------------------------------------------------ network
def test_skip_makes_residual_blocks_only_where_widths_agree():
    model = build_model(parse_config({"networkShape": "8,8,4,4", "skip": True}))
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Sequential", "Residual", "Sequential", "Residual", "Linear"]
    assert [tuple(layer.weight.shape) for layer in weight_layers(model)] == \
        [(2, 8), (8, 8), (8, 4), (4, 4), (4, 1)]


def test_inits():
    def weights(init, activation="tanh"):
        cr.manual_seed(0)
        layers = weight_layers(build_model(parse_config({"networkShape": "64,64", "init": init,
                                                         "activation": activation})))
        return layers[1].weight.data, layers[1].bias.data
    w, b = weights("normal")
    assert abs(w.std() - 0.1) < 0.01 and not b.any()
    w, _ = weights("large")
    assert abs(w.std() - 1.0) < 0.05
    w, _ = weights("kaiming", "relu")
    assert abs(w.std() - math.sqrt(2 / 64)) < 0.02
    w, _ = weights("xavier")
    assert abs(w).max() <= math.sqrt(6 / 128) and abs(w.std() - math.sqrt(2 / 128)) < 0.02
    w, _ = weights("zeros")
    assert not w.any()


def test_zeros_init_never_breaks_the_symmetry():
    s = train(session(init="zeros", activation="sigmoid", networkShape="4", learningRate=0.3), 10)
    w = weight_layers(s.model)[0].weight.data
    assert np.allclose(w, w[:, :1])          # every hidden neuron has the same weights
    assert s.losses()[0] > 0.69


# ------------------------------------------------------------------ training
def test_one_epoch_is_one_pass_in_batches():
    s = session(batchSize=10)
    assert len(s.train_X) == 250 and len(s.test_X) == 250
    s.train_epoch()
    assert (s.epoch, s.step) == (1, 25)
    s = session(batchSize=30)
    s.train_epoch()
    assert s.step == 9        # 8 full batches and one of 10


def test_loss_falls_on_circle():
    s = session(networkShape="8,8", learningRate=0.1)
    start = s.losses()[0]
    train(s, 60)
    train_loss, test_loss = s.losses()
    assert start > 0.69 and train_loss < 0.1 and test_loss < 0.15


def test_same_seed_same_run_other_seed_other_weights():
    a, b = train(session(seed=3), 3), train(session(seed=3), 3)
    c = train(session(seed=4), 3)
    wa, wb, wc = (weight_layers(s.model)[0].weight.data for s in (a, b, c))
    assert np.array_equal(wa, wb) and not np.array_equal(wa, wc)


def test_live_learning_rate_keeps_the_network_other_changes_rebuild():
    s = train(session(), 3)
    w = weight_layers(s.model)[0].weight.data.copy()
    assert s.configure(s.config.replace(learningRate=0.1)) is False
    assert s.epoch == 3 and s.optimizer.param_groups[0]["lr"] == 0.1
    assert np.array_equal(weight_layers(s.model)[0].weight.data, w)
    assert s.lr_schedule == {0: 0.03, 3: 0.1}
    assert s.configure(s.config.replace(batchSize=5)) is True
    assert s.epoch == 0


def test_reset_gives_the_same_weights_again():
    s = session()
    w0 = weight_layers(s.model)[0].weight.data.copy()
    train(s, 2)
    s.reset()
    assert s.epoch == 0 and np.array_equal(weight_layers(s.model)[0].weight.data, w0)


# ------------------------------------------------------------------ state
def test_state_message_shape():
    s = train(session(networkShape="4,3"), 1)
    msg = json.loads(json.dumps(s.state(), allow_nan=False))
    assert msg["type"] == "state" and msg["running"] is False
    assert (msg["epoch"], msg["step"]) == (1, 25)
    assert 0 < msg["trainLoss"] < 2 and 0 < msg["testLoss"] < 2
    assert msg["layers"] == [2, 4, 3, 1] and msg["features"] == ["x", "y"]
    assert len(msg["gradNorms"]) == 3 and all(g > 0 for g in msg["gradNorms"])
    assert msg["diverged"] is False and msg["divergence"] is None
    n = msg["heatmap"]["size"]
    assert msg["heatmap"]["kind"] == "binary" and n == 100
    assert decode(msg["heatmap"]["values"]).size == n * n
    assert [len(layer) for layer in msg["neurons"]] == [4, 3]
    m = msg["neuronSize"]
    assert all(decode(img).size == m * m for layer in msg["neurons"] for img in layer)
    assert [np.shape(w) for w in msg["weights"]] == [(2, 4), (4, 3), (3, 1)]
    assert [len(b) for b in msg["biases"]] == [4, 3, 1]


def test_heatmap_is_the_networks_prediction_on_the_grid():
    s = train(session(networkShape="8,8", learningRate=0.1), 40)
    msg = s.state()
    n = msg["heatmap"]["size"]
    img = decode(msg["heatmap"]["values"]).reshape(n, n).astype(float) / 127.5 - 1
    # circle: class 1 (v > 0) in the middle, class 0 (v < 0) in the corners
    assert img[n // 2, n // 2] > 0.5 and img[0, 0] < -0.5 and img[-1, -1] < -0.5
    grid = maps.grid_points(n)
    assert tuple(grid[0]) == (-6.0, 6.0) and tuple(grid[n - 1]) == (6.0, 6.0)
    assert tuple(grid[-1]) == (6.0, -6.0)


def test_big_networks_send_no_weights_or_neuron_maps():
    s = session(networkShape=",".join(["64"] * 5))
    msg = s.state()
    assert msg["weights"] is None and msg["neurons"] is None
    assert msg["heatmap"]["size"] < 100


def test_data_message():
    s = session(dataset="xor", percTrainData=20)
    msg = json.loads(json.dumps(s.data(), allow_nan=False))
    assert msg["problem"] == "classification" and msg["numClasses"] == 2
    assert msg["domain"] == [-6, 6] and len(msg["train"]) == 100 and len(msg["test"]) == 400
    x1, x2, label = msg["train"][0]
    assert label in (0, 1) and (label == 1) == (x1 * x2 < 0)
    assert msg["features"] == ["x", "y"] and len(msg["featureMaps"]) == 2


# ------------------------------------------------------- gradients, divergence
def test_gradient_norms_vanish_through_sigmoids_and_skip_restores_them():
    deep = dict(activation="sigmoid", networkShape=",".join(["8"] * 8))
    plain = train(session(**deep), 1).grad_norms
    skip = train(session(**deep, skip=True), 1).grad_norms
    assert len(plain) == len(skip) == 9
    assert plain[0] / plain[-1] < 1e-3          # measured: 1.3e-5
    assert skip[0] / skip[-1] > 1e-2            # measured: 8e-2
    assert skip[0] > 100 * plain[0]


@pytest.mark.parametrize("setup", [
    dict(problem="regression", activation="linear", learningRate=10),
    dict(problem="regression", learningRate=10),
    dict(problem="regression", activation="relu", init="large", learningRate=3),
])
def test_divergence_pauses_and_says_where(setup):
    s = session(**setup)
    for _ in range(20):
        state = s.frame()
        if s.diverged:
            break
    assert s.diverged and state["running"] is False and state["diverged"] is True
    d = state["divergence"]
    assert d["lr"] == setup["learningRate"] and d["loss"] in ("inf", "nan")
    assert d["epoch"] == s.epoch and d["step"] == s.step
    json.dumps(state, allow_nan=False)              # null, not NaN, for the page
    step_before = s.step
    s.train_epoch()                                  # a diverged session does not train
    assert s.step == step_before
    s.reset()
    assert not s.diverged


def test_divergence_detection_without_numpy_warnings():
    """pytest turns RuntimeWarnings into errors: overflow must be handled, not leaked."""
    s = session(problem="regression", activation="linear", learningRate=50,
                networkShape="8,8,8")
    s.frame()
    assert s.diverged


def test_multiclass_spiral_with_softmax():
    s = session(dataset="spiral", classes=3, networkShape="16,16", activation="relu",
                optimizer="adam", learningRate=0.03, sinX=True, sinY=True)
    start = s.losses()[0]
    train(s, 40)
    msg = s.state()
    assert abs(start - math.log(3)) < 0.1 and msg["trainLoss"] < 0.35    # measured: 0.26
    assert msg["layers"][-1] == 3 and msg["heatmap"]["kind"] == "multiclass"
    n = msg["heatmap"]["size"]
    classes = decode(msg["heatmap"]["classes"])
    assert classes.size == n * n and set(np.unique(classes)) == {0, 1, 2}
    assert decode(msg["heatmap"]["values"]).min() >= 255 // 3
    assert s.data()["numClasses"] == 3


def test_multiclass_mse_trains_too():
    s = train(session(dataset="gauss", classes=4, loss="mse", optimizer="adam",
                      networkShape="8"), 20)
    assert s.losses()[0] < 0.05


def test_regression():
    s = session(problem="regression", regDataset="reg-plane", networkShape="4",
                activation="linear", learningRate=0.01)
    start = s.losses()[0]
    train(s, 20)
    msg = s.state()
    assert msg["trainLoss"] < 0.01 < start
    assert msg["heatmap"]["kind"] == "regression" and s.data()["numClasses"] == 0


def test_regularization_shrinks_weights():
    def norm(reg):
        s = train(session(networkShape="8,8", learningRate=0.1, regularization=reg,
                          regularizationRate=0.01), 20)
        return sum(np.abs(layer.weight.data).sum() for layer in weight_layers(s.model))
    assert norm("L1") < norm("none") and norm("L2") < norm("none")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_every_optimizer_learns_xor(optimizer):
    lr = {"sgd": 0.1, "momentum": 0.03, "rmsprop": 0.01, "adam": 0.01}[optimizer]
    s = session(dataset="xor", networkShape="8,8", optimizer=optimizer, learningRate=lr)
    start = s.losses()[0]
    train(s, 25)
    assert s.losses()[0] < 0.5 * start


# ------------------------------------------------------------------ export
EXPORT_SETUPS = [
    dict(),
    dict(networkShape="8,8,4", skip=True, regularization="L2", regularizationRate=0.01,
         optimizer="adam", xTimesY=True, sinX=True),
    dict(dataset="spiral", classes=3, loss="mse", init="kaiming", activation="leakyrelu",
         optimizer="momentum", noise=20),
    dict(problem="regression", regDataset="reg-gauss", regularization="L1",
         regularizationRate=0.001, optimizer="rmsprop", activation="sigmoid"),
]


@pytest.mark.parametrize("setup", EXPORT_SETUPS)
def test_exported_script_retrains_the_same_weights(setup):
    s = train(session(**setup), 2)
    s.configure(s.config.replace(learningRate=0.05))      # a change while training
    train(s, 1)
    namespace = {"__name__": "exported"}
    exec(compile(python_code(s), SCRIPT_FILE, "exec"), namespace)
    model, train_loss, test_loss = namespace["train"]()
    got, want = model.state_dict(), s.model.state_dict()
    assert got.keys() == want.keys()
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    assert (train_loss, test_loss) == pytest.approx(s.losses(), rel=1e-6)


def test_exported_model_loads_with_cr_load(tmp_path):
    s = train(session(networkShape="3"), 2)
    msg = export_message(s)
    assert msg["type"] == "export" and msg["filename"].endswith(".safetensors")
    path = tmp_path / msg["filename"]
    path.write_bytes(base64.b64decode(msg["model"]))
    saved = cr.load(path)
    assert saved["epoch"] == 2 and saved["step"] == 50
    assert saved["config"]["networkShape"] == [3]
    rebuilt = build_model(parse_config(saved["config"]))
    rebuilt.load_state_dict(saved["model"])
    for a, b in zip(weight_layers(rebuilt), weight_layers(s.model)):
        np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_exported_script_runs_as_a_program(tmp_path):
    import subprocess
    import sys
    s = train(session(networkShape="3"), 2)
    msg = export_message(s)
    (tmp_path / msg["filename"]).write_bytes(base64.b64decode(msg["model"]))
    (tmp_path / msg["pythonFilename"]).write_text(msg["python"])
    done = subprocess.run([sys.executable, msg["pythonFilename"], msg["filename"]],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "after 2 epochs" in done.stdout and "-> True" in done.stdout
