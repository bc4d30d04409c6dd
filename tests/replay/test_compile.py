"""``cr.compile``: a recorded training step replays to the eager step's numbers.

Every test builds two identical models (same seed), steps one eagerly and one through
``cr.compile`` and compares losses, parameters, gradients and optimizer state.
"""
import warnings

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.replay import ReplayError

RTOL = {np.float32: 1e-6, np.float64: 1e-12}


# ------------------------------------------------------------------ helpers
def twins(build, seed=0):
    """Two (model, optimizer) pairs built from the same seed: identical parameters."""
    pairs = []
    for _ in range(2):
        cr.manual_seed(seed)
        pairs.append(build())
    a, b = pairs
    for p, q in zip(a[0].parameters(), b[0].parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    return a, b


def train_step(model, opt, loss_fn):
    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def run(step, batches, steps, seed=123):
    """Call step on the batches in turn, steps times; the losses as floats."""
    cr.manual_seed(seed)      # (dropout draws from the generator: same masks for both)
    return [step(*batches[i % len(batches)]).item() for i in range(steps)]


def assert_same_params(m1, m2, rtol):
    names = [n for n, _ in m1.named_parameters()]
    for name, p, q in zip(names, m1.parameters(), m2.parameters()):
        assert p.data.dtype == q.data.dtype, name
        np.testing.assert_allclose(p.data, q.data, rtol=rtol, atol=0, err_msg=name)


def assert_same_state(opt1, opt2, rtol):
    s1, s2 = opt1.state_dict(), opt2.state_dict()
    assert s1["param_groups"] == s2["param_groups"]
    assert sorted(s1["state"]) == sorted(s2["state"])
    for idx in s1["state"]:
        a, b = s1["state"][idx], s2["state"][idx]
        assert sorted(a) == sorted(b)
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=rtol, atol=0,
                                       err_msg=f"state {idx}/{key}")


def compare(build, loss_fn, batches, steps=200, dtype=np.float32, seed=0):
    """Eager vs compiled for steps steps: equal losses (per step), parameters, state."""
    (m1, o1), (m2, o2) = twins(build, seed)
    rtol = RTOL[dtype]
    eager = run(train_step(m1, o1, loss_fn), batches, steps)
    compiled_step = cr.compile(train_step(m2, o2, loss_fn))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # a replayable step must not fall back
        compiled = run(compiled_step, batches, steps)
    np.testing.assert_allclose(compiled, eager, rtol=rtol, atol=0)
    assert_same_params(m1, m2, rtol)
    assert_same_state(o1, o2, rtol)
    assert compiled_step.recordings == 1
    assert eager[-1] < eager[0]       # it did train
    return eager, (m1, o1), (m2, o2), compiled_step


def data(n, d, dtype=np.float32, seed=0, kind="binary", classes=3):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(dtype)
    if kind == "binary":
        y = (x[:, 0] * x[:, 1] > 0).astype(dtype)
    elif kind == "regression":
        y = np.sin(x[:, :1] * 2).astype(dtype)
    else:
        y = np.argmax(x[:, :classes], axis=1).astype(np.int64)
    return cr.tensor(x), cr.tensor(y)


# ------------------------------------------------------------ 1. exactness
def lectures_net(dtype=np.float32):
    layers, width = [], 2
    for _ in range(10):
        layers += [nn.Linear(width, 16, dtype=dtype), nn.Sigmoid()]
        width = 16
    model = nn.Sequential(*layers, nn.Linear(16, 1, dtype=dtype))
    return model, cr.optim.SGD(model.parameters(), lr=0.5)


def bce_logits(out, y):
    return F.binary_cross_entropy_with_logits(out.reshape(y.shape[0]), y)


def test_lectures_net_sgd_bce_with_logits_matches_eager():
    compare(lectures_net, bce_logits, [data(32, 2)])


@pytest.mark.parametrize("nesterov", [False, True])
def test_relu_mlp_momentum_mse_matches_eager(nesterov):
    def build():
        model = nn.Sequential(nn.Linear(3, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                              nn.Linear(32, 1))
        return model, cr.optim.SGD(model.parameters(), lr=0.02, momentum=0.9,
                                   nesterov=nesterov)
    compare(build, F.mse_loss, [data(24, 3, kind="regression", seed=1),
                                data(24, 3, kind="regression", seed=2)])


def test_residual_net_adam_cross_entropy_matches_eager():
    def build():
        blocks = [nn.Residual(nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 16)))
                  for _ in range(3)]
        model = nn.Sequential(nn.Linear(5, 16), *blocks, nn.ReLU(), nn.Linear(16, 3))
        return model, cr.optim.Adam(model.parameters(), lr=1e-2)
    compare(build, F.cross_entropy, [data(30, 5, kind="classes", seed=3)])


def test_sigmoid_output_binary_cross_entropy_matches_eager():
    def build():
        model = nn.Sequential(nn.Linear(2, 12), nn.Tanh(), nn.Linear(12, 1), nn.Sigmoid())
        return model, cr.optim.SGD(model.parameters(), lr=0.3)

    def loss_fn(out, y):
        return F.binary_cross_entropy(out.reshape(y.shape[0]), y)
    compare(build, loss_fn, [data(20, 2, seed=4)])


def test_float64_matches_eager_and_stays_float64():
    x, y = data(32, 2, dtype=np.float64)
    eager, _, (m2, _), _ = compare(lambda: lectures_net(np.float64), bce_logits, [(x, y)],
                                   dtype=np.float64)
    assert all(p.data.dtype == np.float64 for p in m2.parameters())


def test_double_model_with_momentum_matches_eager():
    def build():
        model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1)).double()
        return model, cr.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    compare(build, F.mse_loss, [data(16, 3, dtype=np.float64, kind="regression")],
            dtype=np.float64)


def digits_batches():
    """sklearn's 8x8 digits (bundled, no download): 3 batches of 32, features in [0, 1]."""
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = (X[:96] / 16).astype(np.float32)
    y = y[:96].astype(np.int64)
    return [(cr.tensor(X[i:i + 32]), cr.tensor(y[i:i + 32])) for i in range(0, 96, 32)]


def digits_mlp():
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10))
    return model, cr.optim.RMSprop(model.parameters(), lr=1e-3)


def test_digits_mlp_rmsprop_dropout_matches_eager_with_fresh_masks():
    batches = digits_batches()
    _, _, (m2, o2), step = compare(digits_mlp, F.cross_entropy, batches)
    # masks are fresh on every replay: with the parameters held still (lr 0), the same
    # batch still gives a different loss each time
    o2.param_groups[0]["lr"] = 0.0
    x, y = batches[0]
    first, second = step(x, y).item(), step(x, y).item()
    assert first != second
    m2.eval()
    assert step(x, y).item() == step(x, y).item()   # (eval: no dropout, same loss)
    assert step.recordings == 2
    m2.train()


# --------------------------------------------------------- 2. re-recording
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_short_last_batch_records_twice_and_matches_eager(optimizer):
    def build():
        model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
        if optimizer == "adam":
            return model, cr.optim.Adam(model.parameters(), lr=1e-2)
        return model, cr.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = data(10, 3, kind="regression")
    batches = [(cr.tensor(x.data[i:i + 4]), cr.tensor(y.data[i:i + 4]))
               for i in range(0, 10, 4)]
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    (m1, o1), (m2, o2) = twins(build)
    eager = run(train_step(m1, o1, F.mse_loss), batches, 30)
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    compiled = run(step, batches, 30)
    assert step.recordings == 2
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    assert_same_params(m1, m2, 1e-6)
    assert_same_state(o1, o2, 1e-6)


def test_new_dtype_records_again():
    model = nn.Linear(3, 1).double()
    opt = cr.optim.SGD(model.parameters(), lr=0.1)
    step = cr.compile(train_step(model, opt, F.mse_loss))
    x64, y64 = data(4, 3, dtype=np.float64, kind="regression")
    step(x64, y64)
    step(x64, y64)
    assert step.recordings == 1
    # same shapes, other dtype: float32 inputs into a float64 model (a promotion), which
    # records again (replayed or run eagerly with a warning)
    x32, y32 = cr.tensor(x64.data.astype(np.float32)), cr.tensor(y64.data.astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step(x32, y32)
    assert step.recordings == 2


# ------------------------------------------------------------- 3. fallbacks
def small_net():
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    return model, cr.optim.SGD(model.parameters(), lr=0.1)


def test_forward_hook_falls_back_with_one_warning_and_matches_eager():
    (m1, o1), (m2, o2) = twins(small_net)
    seen = {"eager": 0, "compiled": 0}

    def hook(name):
        def record(module, args, out):
            seen[name] += 1
        return record
    m1[0].register_forward_hook(hook("eager"))
    m2[0].register_forward_hook(hook("compiled"))
    x, y = data(8, 3, kind="regression")
    eager = run(train_step(m1, o1, F.mse_loss), [(x, y)], 5)
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    cr.manual_seed(123)
    with pytest.warns(UserWarning, match=r"compile: cannot replay step: forward hooks on "
                                         r"Linear"):
        losses = [step(x, y).item()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")    # no second warning
        losses += [step(x, y).item() for _ in range(4)]
    assert losses == eager
    assert seen == {"eager": 5, "compiled": 5}    # the hook ran on every call
    assert_same_params(m1, m2, 0)


def test_forward_hook_with_fallback_error_raises():
    model, opt = small_net()
    model[2].register_forward_hook(lambda m, args, out: None)
    step = cr.compile(train_step(model, opt, F.mse_loss), fallback="error")
    with pytest.raises(ReplayError, match="compile: cannot replay step: forward hooks"):
        step(*data(8, 3, kind="regression"))
    assert isinstance(ReplayError("x"), RuntimeError)
    assert cr.replay.ReplayError is ReplayError


def test_decorator_form_with_fallback_error():
    model, opt = small_net()
    model[0].register_forward_hook(lambda m, args, out: None)

    @cr.compile(fallback="error")
    def my_step(x, y):
        return train_step(model, opt, F.mse_loss)(x, y)
    with pytest.raises(ReplayError, match="cannot replay my_step"):
        my_step(*data(8, 3, kind="regression"))


def test_bad_fallback_option_is_a_value_error():
    with pytest.raises(ValueError, match="fallback must be 'warn' or 'error', got 'eager'"):
        cr.compile(lambda: None, fallback="eager")


def penalty_step(model, opt, graph):
    """MSE plus a gradient penalty ||d loss / d x||^2 (needs create_graph), or a plain
    cr.grad look at the input gradient."""
    def step(x, y):
        opt.zero_grad()
        x = x.detach().requires_grad_()
        loss = F.mse_loss(model(x), y)
        if graph == "grad":
            (gx,) = cr.grad(loss, x, create_graph=True)
            total = loss + (gx * gx).sum()
            total.backward()
        elif graph == "grad-plain":     # a look at d loss / d x, then the usual backward
            (gx,) = cr.grad(loss, x, retain_graph=True)
            total = loss + float(np.abs(gx.data).max()) * 0
            total.backward()
        else:
            loss.backward(create_graph=True)
            total = loss
        opt.step()
        return total
    return step


@pytest.mark.parametrize("graph, reason", [
    ("grad", r"backward\(create_graph=True\)"),
    ("grad-plain", r"cr\.grad \(a backward pass that returns gradients\)"),
    ("backward", r"backward\(create_graph=True\)")])
def test_create_graph_falls_back_and_matches_eager(graph, reason):
    (m1, o1), (m2, o2) = twins(small_net)
    x, y = data(8, 3, kind="regression")
    eager = run(penalty_step(m1, o1, graph), [(x, y)], 5)
    step = cr.compile(penalty_step(m2, o2, graph))
    cr.manual_seed(123)
    with pytest.warns(UserWarning, match=f"compile: cannot replay step: {reason}"):
        losses = [step(x, y).item()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses += [step(x, y).item() for _ in range(4)]
    assert losses == eager
    assert_same_params(m1, m2, 0)
    with pytest.raises(ReplayError):
        cr.compile(penalty_step(*small_net(), graph), fallback="error")(x, y)


def test_tensor_hook_falls_back_and_matches_eager():
    (m1, o1), (m2, o2) = twins(small_net)
    calls = []

    def hooked(model, opt):
        def step(x, y):
            opt.zero_grad()
            h = model(x)
            h.register_hook(lambda g: calls.append(1))
            loss = F.mse_loss(h, y)
            loss.backward()
            opt.step()
            return loss
        return step
    x, y = data(8, 3, kind="regression")
    eager = run(hooked(m1, o1), [(x, y)], 4)
    step = cr.compile(hooked(m2, o2))
    cr.manual_seed(123)
    with pytest.warns(UserWarning, match=r"tensor hooks \(register_hook\)"):
        losses = [step(x, y).item() for _ in range(4)]
    assert losses == eager and len(calls) == 8


def test_random_tensor_inside_step_falls_back():
    (m1, o1), (m2, o2) = twins(small_net)

    def noisy(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = F.mse_loss(model(x + cr.randn(*x.shape) * 0.1), y)
            loss.backward()
            opt.step()
            return loss
        return step
    x, y = data(8, 3, kind="regression")
    eager = run(noisy(m1, o1), [(x, y)], 4)
    step = cr.compile(noisy(m2, o2))
    cr.manual_seed(123)
    with pytest.warns(UserWarning, match="random numbers drawn inside the step"):
        losses = [step(x, y).item() for _ in range(4)]
    assert losses == eager        # fresh noise each call, as eager
    assert len(set(losses)) == 4


def test_in_place_op_falls_back():
    model, opt = small_net()

    def step(x, y):
        opt.zero_grad()
        h = model(x)
        h += 1.0
        loss = F.mse_loss(h, y)
        loss.backward()
        opt.step()
        return loss
    with pytest.raises(ReplayError, match="in-place op"):
        cr.compile(step, fallback="error")(*data(8, 3, kind="regression"))


def test_batch_norm_in_train_mode_runs_eagerly_and_keeps_its_running_statistics():
    """BatchNorm updates its running statistics with plain NumPy, outside the graph: a
    replay would freeze them, so its step is never replayed."""
    def net():
        model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Tanh(), nn.Linear(8, 1))
        return model, cr.optim.SGD(model.parameters(), lr=0.1)
    (m1, o1), (m2, o2) = twins(net)
    x, y = data(8, 3, kind="regression")
    eager = run(train_step(m1, o1, F.mse_loss), [(x, y)], 4)
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    with pytest.warns(UserWarning, match="BatchNorm's running statistics"):
        losses = [step(x, y).item() for _ in range(4)]
    assert losses == eager
    assert int(m2[1].num_batches_tracked.data) == 4
    np.testing.assert_array_equal(m1[1].running_mean.data, m2[1].running_mean.data)
    with pytest.raises(ReplayError, match="BatchNorm's running statistics"):
        cr.compile(train_step(m2, o2, F.mse_loss), fallback="error")(x, y)


def test_returning_a_python_float_falls_back():
    model, opt = small_net()
    inner = train_step(model, opt, F.mse_loss)
    step = cr.compile(lambda x, y: inner(x, y).item())
    x, y = data(8, 3, kind="regression")
    with pytest.warns(UserWarning, match=r"returns a float.*loss\.item\(\)"):
        first = step(x, y)
    second = step(x, y)
    assert isinstance(second, float) and second < first


# ------------------------------------------------------- 4. state dicts, checkpoints
def adam_mlp():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(),
                          nn.Linear(16, 1))
    return model, cr.optim.Adam(model.parameters(), lr=5e-3)


def assert_same_model_state(m1, m2):
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert list(s1) == list(s2)
    for key in s1:
        np.testing.assert_array_equal(s1[key], s2[key], err_msg=key)


def test_state_dict_and_checkpoint_round_trip(tmp_path):
    batches = [data(16, 4, kind="regression", seed=s) for s in (5, 6)]
    (m1, o1), (m2, o2) = twins(adam_mlp)
    run(train_step(m1, o1, F.mse_loss), batches, 50)
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    run(step, batches, 50)
    assert_same_model_state(m1, m2)
    assert_same_state(o1, o2, 0)
    assert o2.state_dict()["state"][0]["step"] == 50
    # the snapshot is a copy: a later replay does not change it
    snap = m2.state_dict()
    before = {k: v.copy() for k, v in snap.items()}
    step(*batches[0])
    for k in snap:
        np.testing.assert_array_equal(snap[k], before[k])

    # m2 took one more step: checkpoint the eager twin's state from before it
    path = cr.save({"model": m1, "optimizer": o1}, tmp_path / "run.safetensors")
    ckpt = cr.load(path)
    (m3, o3), (m4, o4) = twins(adam_mlp, seed=7)   # fresh, different weights
    for m, o in ((m3, o3), (m4, o4)):
        m.load_state_dict(ckpt["model"])
        o.load_state_dict(ckpt["optimizer"])
    eager = run(train_step(m3, o3, F.mse_loss), batches, 50)
    resumed = cr.compile(train_step(m4, o4, F.mse_loss))
    compiled = run(resumed, batches, 50)
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    assert_same_model_state(m3, m4)
    assert_same_state(o3, o4, 0)
    assert o4.state_dict()["state"][0]["step"] == 100


def test_loading_into_the_compiled_models_own_objects_records_again(tmp_path):
    """load_state_dict on the model and optimizer a recording uses, between replays."""
    batches = [data(16, 4, kind="regression", seed=8)]
    (m1, o1), (m2, o2) = twins(adam_mlp)
    fn1, fn2 = train_step(m1, o1, F.mse_loss), train_step(m2, o2, F.mse_loss)
    step = cr.compile(fn2)
    run(fn1, batches, 10)
    run(step, batches, 10)
    path = cr.save({"model": m1, "optimizer": o1}, tmp_path / "ten.safetensors")
    run(fn1, batches, 10)
    run(step, batches, 10)
    ckpt = cr.load(path)        # go back to step 10, both
    for m, o in ((m1, o1), (m2, o2)):
        m.load_state_dict(ckpt["model"])
        o.load_state_dict(ckpt["optimizer"])
    eager = run(fn1, batches, 20)
    compiled = run(step, batches, 20)
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    assert_same_model_state(m1, m2)
    assert_same_state(o1, o2, 0)
    assert o2.state_dict()["state"][0]["step"] == 30


# ------------------------------------------------------------ 5. interleaving
@pytest.mark.parametrize("build", [
    pytest.param(lambda: _momentum_mlp(), id="sgd-momentum"),
    pytest.param(lambda: adam_mlp(), id="adam"),
])
def test_an_eager_call_between_replays_keeps_results_eager(build):
    batches = [data(16, 4, kind="regression", seed=9)]
    (m1, o1), (m2, o2) = twins(build)
    fn1, fn2 = train_step(m1, o1, F.mse_loss), train_step(m2, o2, F.mse_loss)
    eager = run(fn1, batches, 12)
    step = cr.compile(fn2)
    cr.manual_seed(123)
    x, y = batches[0]
    mixed = [(fn2 if i in (3, 7, 8) else step)(x, y).item() for i in range(12)]
    np.testing.assert_allclose(mixed, eager, rtol=1e-6, atol=0)
    assert_same_params(m1, m2, 1e-6)
    assert_same_state(o1, o2, 1e-6)


def _momentum_mlp():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    return model, cr.optim.SGD(model.parameters(), lr=0.02, momentum=0.9)


def test_eval_mode_records_again_without_dropout():
    batches = digits_batches()[:1]
    x, y = batches[0]
    (m1, o1), (m2, o2) = twins(digits_mlp)
    fn1, fn2 = train_step(m1, o1, F.cross_entropy), train_step(m2, o2, F.cross_entropy)
    step = cr.compile(fn2)
    eager = run(fn1, batches, 3)
    compiled = run(step, batches, 3)
    assert step.recordings == 1
    for m in (m1, m2):
        m.eval()
    eager += [fn1(x, y).item() for _ in range(3)]
    compiled += [step(x, y).item() for _ in range(3)]
    assert step.recordings == 2
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    # in eval mode dropout is off: the loss is a function of the parameters only, so
    # after a zero-learning-rate replay the loss repeats exactly
    o2.param_groups[0]["lr"] = 0.0
    a, b = step(x, y).item(), step(x, y).item()
    assert a == b
    for m in (m1, m2):
        m.train()
    compiled_train = step(x, y).item()
    assert step.recordings == 2          # back to the first recording
    assert compiled_train != a           # dropout on again


def test_learning_rate_changed_between_replays_is_used():
    """A scheduler changes group['lr'] between steps; the replay reads the group."""
    batches = [data(16, 4, kind="regression", seed=10)]
    (m1, o1), (m2, o2) = twins(_momentum_mlp)
    fn1 = train_step(m1, o1, F.mse_loss)
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    s1 = cr.optim.lr_scheduler.StepLR(o1, step_size=3, gamma=0.5)
    s2 = cr.optim.lr_scheduler.StepLR(o2, step_size=3, gamma=0.5)
    eager, compiled = [], []
    cr.manual_seed(0)
    for _ in range(10):
        eager.append(fn1(*batches[0]).item())
        s1.step()
    for _ in range(10):
        compiled.append(step(*batches[0]).item())
        s2.step()
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    assert_same_params(m1, m2, 1e-6)


# ----------------------------------------------------------------- 6. guards
def test_replacing_parameter_data_between_calls_records_again():
    batches = [data(16, 4, kind="regression", seed=11)]
    (m1, o1), (m2, o2) = twins(_momentum_mlp)
    fn1, fn2 = train_step(m1, o1, F.mse_loss), train_step(m2, o2, F.mse_loss)
    step = cr.compile(fn2)
    eager = run(fn1, batches, 5)
    compiled = run(step, batches, 5)
    rng = np.random.default_rng(0)
    new = rng.standard_normal(m1[0].weight.shape).astype(np.float32)
    m1[0].weight.data = new.copy()
    m2[0].weight.data = new.copy()
    eager += run(fn1, batches, 5)
    compiled += run(step, batches, 5)
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    assert_same_params(m1, m2, 1e-6)
    assert_same_state(o1, o2, 1e-6)
    # the new array is what the step trains
    assert not np.array_equal(m2[0].weight.data, new)


def test_hook_added_after_recording_is_honoured():
    (m1, o1), (m2, o2) = twins(small_net)
    x, y = data(8, 3, kind="regression")
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    step(x, y)
    step(x, y)
    calls = []
    m2[0].register_forward_hook(lambda m, args, out: calls.append(out.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        step(x, y)
        step(x, y)
    assert calls == [(8, 8), (8, 8)]


# ------------------------------------------------------------------ 7. grads
def test_grad_after_replay_equals_eager_and_zero_grad_clears_it():
    batches = [data(16, 4, kind="regression", seed=12)]
    (m1, o1), (m2, o2) = twins(adam_mlp)
    run(train_step(m1, o1, F.mse_loss), batches, 5)
    step = cr.compile(train_step(m2, o2, F.mse_loss))
    run(step, batches, 5)
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert q.grad is not None and q.grad.shape == p.grad.shape
        np.testing.assert_allclose(q.grad.data, p.grad.data, rtol=1e-6, atol=0)
    o1.zero_grad()
    o2.zero_grad()
    assert all(p.grad is None for p in m2.parameters())
    # and the next replay gives gradients again, still the eager ones
    run(train_step(m1, o1, F.mse_loss), batches, 1)
    run(step, batches, 1)
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_allclose(q.grad.data, p.grad.data, rtol=1e-6, atol=0)


def _zeroing_step(model, opt, how):
    def step(x, y):
        if how == "zeros":
            opt.zero_grad(set_to_none=False)
        else:
            model.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


@pytest.mark.parametrize("how", [
    "zeros",
    "module",
])
def test_zero_grad_variants_match_eager(how):
    batches = [data(16, 4, kind="regression", seed=13)]
    (m1, o1), (m2, o2) = twins(_momentum_mlp)
    eager = run(_zeroing_step(m1, o1, how), batches, 8)
    compiled = run(cr.compile(_zeroing_step(m2, o2, how)), batches, 8)
    np.testing.assert_allclose(compiled, eager, rtol=1e-6, atol=0)
    assert_same_params(m1, m2, 1e-6)
    for p, q in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_allclose(q.grad.data, p.grad.data, rtol=1e-6, atol=0)


def test_shared_layer_frozen_layer_and_weight_decay_match_eager():
    """A layer called twice (its gradient sums two contributions), a frozen layer (no
    gradient, not stepped) and an L2 penalty in the update."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Linear(4, 8)
            self.shared = nn.Linear(8, 8)
            self.head = nn.Linear(8, 1)

        def forward(self, x):
            h = self.shared(self.stem(x).relu()).tanh()
            return self.head(self.shared(h))

    def build():
        model = Net()
        model.stem.weight.requires_grad_(False)
        opt = cr.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
        return model, opt
    eager, (m1, _), (m2, _), _ = compare(build, F.mse_loss,
                                         [data(16, 4, kind="regression", seed=14)])
    assert m2.stem.weight.grad is None
    np.testing.assert_array_equal(m2.stem.weight.data, twins(build)[0][0].stem.weight.data)


def test_two_micro_batches_two_groups_and_a_tuple_result_match_eager():
    """Gradients accumulated over two backward passes, two parameter groups with their
    own learning rates, and a step returning (loss, logits)."""
    def build():
        model = nn.Sequential(nn.Linear(4, 12), nn.ReLU(), nn.Linear(12, 3))
        opt = cr.optim.SGD([{"params": list(model[0].parameters()), "lr": 0.05},
                            {"params": list(model[2].parameters())}], lr=0.2, momentum=0.5)
        return model, opt

    def accumulating(model, opt):
        def step(x1, y1, x2, y2):
            opt.zero_grad()
            outs = []
            for x, y in ((x1, y1), (x2, y2)):
                out = model(x)
                loss = F.cross_entropy(out, y) * 0.5
                loss.backward()
                outs.append(out)
            opt.step()
            return loss, outs[0]
        return step
    halves = [data(8, 4, kind="classes", seed=s) for s in (15, 16, 17, 18)]
    (m1, o1), (m2, o2) = twins(build)
    eager_fn = accumulating(m1, o1)
    compiled_fn = cr.compile(accumulating(m2, o2))
    for i in range(20):
        args = (*halves[i % 4], *halves[(i + 1) % 4])   # new data each call
        (le, oe), (lc, oc) = eager_fn(*args), compiled_fn(*args)
        np.testing.assert_allclose(lc.item(), le.item(), rtol=1e-6, atol=0)
        np.testing.assert_allclose(oc.data, oe.data, rtol=1e-6, atol=0)
    assert compiled_fn.recordings == 1
    assert_same_params(m1, m2, 1e-6)
    assert_same_state(o1, o2, 1e-6)


# ----------------------------------------------------------------- 8. errors
def test_compile_of_a_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="compile: expected a function .*got int"):
        cr.compile(42)


def test_numpy_argument_is_a_type_error_naming_it():
    model, opt = small_net()
    step = cr.compile(train_step(model, opt, F.mse_loss))
    x, y = data(8, 3, kind="regression")
    with pytest.raises(TypeError, match=r"argument 1 is a ndarray; wrap it with cr\.tensor"):
        step(x, y.data)
    with pytest.raises(TypeError, match="argument 0"):
        step(x.data, y)
    assert step.recordings == 0


def test_returned_loss_is_a_new_tensor_each_replay():
    model, opt = small_net()
    step = cr.compile(train_step(model, opt, F.mse_loss))
    x, y = data(8, 3, kind="regression")
    first, second, third = step(x, y), step(x, y), step(x, y)
    assert second is not third
    assert first.item() > second.item() > third.item()
    assert not third.requires_grad and third.shape == ()
