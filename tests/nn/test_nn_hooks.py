"""Forward hooks and forward pre-hooks: what they receive, what their return values do, their
order and removal, and that every container calls its children through ``__call__`` so their
hooks run; checked against torch 2.13's hooks where torch has the same module."""
import copy

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
from nn_testing import assert_close, to_torch


def _record(model, log):
    """Hooks on every module of model that append ("pre"|"post", dotted name) to log."""
    handles = []
    for name, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(
            lambda m, args, name=name: log.append(("pre", name))))
        handles.append(module.register_forward_hook(
            lambda m, args, out, name=name: log.append(("post", name))))
    return handles


def _torch_linear(torch, ours):
    layer = torch.nn.Linear(ours.in_features, ours.out_features)
    with torch.no_grad():
        layer.weight.copy_(to_torch(ours.weight).T)       # ours is (in, out), torch's (out, in)
        layer.bias.copy_(to_torch(ours.bias))
    return layer


# ------------------------------------------------------------ what a hook gets
def test_forward_hook_receives_module_inputs_and_output():
    layer = nn.Linear(3, 2)
    x = cr.randn(4, 3)
    seen = []
    layer.register_forward_hook(lambda m, args, out: seen.append((m, args, out)))
    y = layer(x)
    (module, args, out), = seen
    assert module is layer and out is y
    assert type(args) is tuple and len(args) == 1 and args[0] is x
    np.testing.assert_array_equal(y.data, layer.forward(x).data)


@pytest.mark.parametrize("make", [nn.ReLU, nn.Sigmoid, nn.Tanh, lambda: nn.LeakyReLU(0.1),
                                  nn.Softmax, nn.Identity])
def test_hooks_on_activations_see_what_forward_returns(make):
    act = make()
    x = cr.tensor([[-2.0, 0.5, 3.0]])
    outs = []
    act.register_forward_hook(lambda m, args, out: outs.append(out.data.copy()))
    y = act(x)
    np.testing.assert_array_equal(outs[0], y.data)
    np.testing.assert_array_equal(y.data, act.forward(x).data)


def test_a_returned_value_replaces_the_output_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2)
    theirs = _torch_linear(torch, ours)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for layer, tx in ((ours, cr.tensor(x)), (theirs, to_torch(x))):
        layer.register_forward_hook(lambda m, args, out: out * 2)       # replaces
        layer.register_forward_hook(lambda m, args, out: None)          # keeps
        layer.register_forward_hook(lambda m, args, out: out + 1)       # sees the doubled one
    expected = 2 * (x @ ours.weight.data + ours.bias.data) + 1
    np.testing.assert_allclose(ours(cr.tensor(x)).data, expected, rtol=1e-6)
    assert_close(ours(cr.tensor(x)), theirs(to_torch(x)))


def test_the_replaced_output_is_in_the_graph():
    layer = nn.Linear(2, 1)
    layer.register_forward_hook(lambda m, args, out: out * 3)
    x = cr.ones(5, 2)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.bias.grad.data, [15.0])            # d(3 sum z)/db = 3 * 5


def test_pre_hooks_replace_the_inputs_as_in_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(3, 2)
    theirs = _torch_linear(torch, ours)
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    logs = {"ours": [], "torch": []}
    for layer, log in ((ours, logs["ours"]), (theirs, logs["torch"])):
        layer.register_forward_pre_hook(
            lambda m, args, log=log: log.append(("pre1", type(args).__name__, len(args)))
            or args[0] * 2)                                   # a single value: wrapped
        layer.register_forward_pre_hook(
            lambda m, args, log=log: log.append(("pre2", type(args).__name__)))   # None: kept
        layer.register_forward_pre_hook(lambda m, args: (args[0] + 1,))          # a tuple
        layer.register_forward_hook(
            lambda m, args, out, log=log: log.append(("post", float(args[0].sum()))))
    y_ours, y_torch = ours(cr.tensor(x)), theirs(to_torch(x))
    assert logs["ours"][:2] == logs["torch"][:2] == [("pre1", "tuple", 1), ("pre2", "tuple")]
    assert logs["ours"][2][0] == logs["torch"][2][0] == "post"    # sees the replaced input:
    np.testing.assert_allclose([logs["ours"][2][1], logs["torch"][2][1]],
                               [(2 * x + 1).sum()] * 2, rtol=1e-5)
    assert_close(y_ours, y_torch)
    np.testing.assert_allclose(y_ours.data, (2 * x + 1) @ ours.weight.data + ours.bias.data,
                               rtol=1e-5)


def test_keyword_arguments_reach_forward_not_the_hooks_as_in_torch():
    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    seen = []
    module = Scale()
    module.register_forward_hook(lambda m, args, out: seen.append((args, out.data.copy())))
    out = module(cr.ones(2), scale=3.0)
    np.testing.assert_array_equal(out.data, [3.0, 3.0])
    assert len(seen[0][0]) == 1                     # only the positional input
    np.testing.assert_array_equal(seen[0][1], [3.0, 3.0])


# ----------------------------------------------------------------- order, removal
def _order_scenario(lib_module, x):
    """The same registrations and calls in either library; returns what ran, in order."""
    log = []
    lib_module.register_forward_pre_hook(lambda m, a: log.append("pre A"))
    b = lib_module.register_forward_hook(lambda m, a, o: log.append("post B"))
    lib_module.register_forward_pre_hook(lambda m, a: log.append("pre C"))

    def removes_later(m, a, o):                   # removing a later hook during a call:
        log.append("post D")                      # it still runs in this call
        e.remove()
    lib_module.register_forward_hook(removes_later)
    e = lib_module.register_forward_hook(lambda m, a, o: log.append("post E"))
    lib_module(x)
    log.append("|")
    lib_module(x)
    log.append("|")
    b.remove()
    b.remove()                                    # a second remove does nothing
    with lib_module.register_forward_hook(lambda m, a, o: log.append("post ctx")):
        lib_module(x)
    log.append("|")
    lib_module(x)
    return log


def test_order_and_removal_match_torch():
    torch = pytest.importorskip("torch")
    ours = _order_scenario(nn.Tanh(), cr.ones(2))
    theirs = _order_scenario(torch.nn.Tanh(), torch.ones(2))
    assert ours == theirs
    assert ours == ["pre A", "pre C", "post B", "post D", "post E", "|",
                    "pre A", "pre C", "post B", "post D", "|",
                    "pre A", "pre C", "post D", "post ctx", "|",
                    "pre A", "pre C", "post D"]


def test_a_hook_may_remove_itself_and_a_pre_hook_may_add_a_forward_hook():
    module, log = nn.Identity(), []
    handle = None

    def once(m, args, out):
        log.append("once")
        handle.remove()
    handle = module.register_forward_hook(once)
    module.register_forward_pre_hook(
        lambda m, args: m.register_forward_hook(lambda *a: log.append("late")) and None)
    module(cr.ones(1))
    assert log == ["once", "late"]                # as torch: the new hook runs in this call
    module(cr.ones(1))
    assert log == ["once", "late", "late", "late"]


def test_after_removal_the_module_has_no_hooks_and_calls_forward_only():
    layer = nn.Linear(2, 2)
    handles = [layer.register_forward_hook(lambda m, a, o: o * 0),
               layer.register_forward_pre_hook(lambda m, a: (a[0] * 0,))]
    for h in handles:
        h.remove()
    assert layer._hooks == {}
    x = cr.randn(3, 2)
    np.testing.assert_array_equal(layer(x).data, layer.forward(x).data)


def test_a_hook_that_cannot_be_called_is_a_type_error():
    with pytest.raises(TypeError, match=r"Linear\.register_forward_hook: expected a function, "
                                        r"got int 3"):
        nn.Linear(1, 1).register_forward_hook(3)
    with pytest.raises(TypeError, match=r"ReLU\.register_forward_pre_hook: expected a "
                                        r"function, got str 'f'"):
        nn.ReLU().register_forward_pre_hook("f")


# ------------------------------------------------------- containers call through __call__
def test_sequential_calls_every_layer_through_call_in_torchs_order():
    torch = pytest.importorskip("torch")
    cr.manual_seed(0)
    inner = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    ours = nn.Sequential(inner, nn.Linear(4, 2), nn.Sigmoid())
    theirs = torch.nn.Sequential(torch.nn.Sequential(_torch_linear(torch, inner[0]),
                                                     torch.nn.ReLU()),
                                 _torch_linear(torch, ours[1]), torch.nn.Sigmoid())
    x = np.random.default_rng(2).standard_normal((5, 3)).astype(np.float32)
    log_ours, log_theirs = [], []
    _record(ours, log_ours)
    _record(theirs, log_theirs)
    assert_close(ours(cr.tensor(x)), theirs(to_torch(x)))
    assert log_ours == log_theirs
    assert log_ours == [("pre", ""), ("pre", "0"), ("pre", "0.0"), ("post", "0.0"),
                        ("pre", "0.1"), ("post", "0.1"), ("post", "0"), ("pre", "1"),
                        ("post", "1"), ("pre", "2"), ("post", "2"), ("post", "")]


def test_residual_runs_the_hooks_of_its_block_and_shortcut():
    res = nn.Residual(nn.Sequential(nn.Linear(3, 2), nn.Tanh()), shortcut=nn.Linear(3, 2))
    log = []
    _record(res, log)
    res(cr.randn(4, 3))
    assert log == [("pre", ""), ("pre", "block"), ("pre", "block.0"), ("post", "block.0"),
                   ("pre", "block.1"), ("post", "block.1"), ("post", "block"),
                   ("pre", "shortcut"), ("post", "shortcut"), ("post", "")]


def test_a_hook_inside_a_residual_block_changes_its_output():
    block = nn.Linear(2, 2)
    res = nn.Residual(block)
    x = cr.randn(3, 2)
    block.register_forward_hook(lambda m, args, out: out * 0)      # F(x) = 0: H(x) = x
    np.testing.assert_array_equal(res(x).data, x.data)


def test_mlp_with_skips_matches_torchs_hook_order():
    torch = pytest.importorskip("torch")

    class TorchResidual(torch.nn.Module):
        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, x):
            return self.block(x) + x

    cr.manual_seed(0)
    ours = nn.mlp(3, 1, depth=3, width=4, activation="relu", skip=True)
    layers = []
    for m in ours:
        if isinstance(m, nn.Residual):
            layers.append(TorchResidual(torch.nn.Sequential(_torch_linear(torch, m.block[0]),
                                                            torch.nn.ReLU())))
        else:
            layers.append(_torch_linear(torch, m) if isinstance(m, nn.Linear)
                          else torch.nn.ReLU())
    theirs = torch.nn.Sequential(*layers)
    log_ours, log_theirs = [], []
    _record(ours, log_ours)
    _record(theirs, log_theirs)
    x = np.random.default_rng(3).standard_normal((6, 3)).astype(np.float32)
    assert_close(ours(cr.tensor(x)), theirs(to_torch(x)), atol=1e-5)
    assert log_ours == log_theirs
    assert [n for kind, n in log_ours if kind == "post"] == [
        "0", "1", "2.block.0", "2.block.1", "2.block", "2", "3.block.0", "3.block.1",
        "3.block", "3", "4", ""]


def test_dense_block_calls_its_layers_through_call():
    cr.manual_seed(0)
    block = nn.DenseBlock(2, growth=3, num_layers=2)
    log = []
    _record(block, log)
    out = block(cr.randn(4, 2))
    assert out.shape == (4, 8)
    assert [n for kind, n in log if kind == "post"] == [
        "layers.0.0", "layers.0.1", "layers.0", "layers.1.0", "layers.1.1", "layers.1", ""]
    # a hook on layer 1 sees the concatenation of the input and layer 0's output
    shapes = []
    block.layers[1].register_forward_pre_hook(lambda m, args: shapes.append(args[0].shape))
    block(cr.randn(4, 2))
    assert shapes == [(4, 5)]


def test_deep_supervision_calls_its_stages_and_heads_through_call():
    cr.manual_seed(0)
    model = nn.DeepSupervision(trunk=[nn.Linear(2, 3), nn.Linear(3, 3), nn.Linear(3, 1)],
                               heads={0: nn.Linear(3, 1)})
    log = []
    _record(model, log)
    model(cr.randn(4, 2))
    assert [n for kind, n in log if kind == "post"] == [
        "trunk.0", "heads.0", "trunk.1", "trunk.2", ""]
    # a hook replacing a head's output changes the auxiliary output and the loss
    model.heads[0].register_forward_hook(lambda m, args, out: out * 0)
    model(cr.randn(4, 2))
    np.testing.assert_array_equal(model.aux_outputs[0].data, np.zeros((4, 1)))


def test_module_list_members_called_by_an_owner_run_their_hooks():
    class Both(nn.Module):
        def __init__(self):
            super().__init__()
            self.branches = nn.ModuleList([nn.Linear(2, 2), nn.Tanh()])

        def forward(self, x):
            return sum((branch(x) for branch in self.branches), cr.zeros(1))

    model, log = Both(), []
    _record(model, log)
    model(cr.randn(3, 2))
    assert [n for kind, n in log if kind == "post"] == ["branches.0", "branches.1", ""]


# ------------------------------------------------------------ hooks are not state
def test_hooks_survive_state_dict_load_state_dict_and_modes():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    calls = []
    model[1].register_forward_hook(lambda m, args, out: calls.append(m.training))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    other = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model.load_state_dict(other.state_dict())
    model.eval()
    model(cr.randn(1, 2))
    model.train()
    model(cr.randn(1, 2))
    assert calls == [False, True]
    np.testing.assert_array_equal(model[0].weight.data, other[0].weight.data)


def test_a_deep_copy_keeps_its_own_hooks():
    layer, log = nn.Identity(), []
    handle = layer.register_forward_hook(lambda m, args, out: log.append(m))
    clone = copy.deepcopy(layer)
    handle.remove()                             # the original's handle: the copy keeps its hook
    layer(cr.ones(1))
    clone(cr.ones(1))
    assert log == [clone]
