"""Module bookkeeping: registration, traversal, modes, state_dict, repr; Parameter in ops."""
import re

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)
        self.scale = nn.Parameter(cr.ones(1))
        self.note = "plain attribute"

    def forward(self, x):
        return self.out(self.hidden(x).tanh()) * self.scale


def test_named_parameters_are_dotted_and_in_registration_order():
    names = [n for n, _ in TwoLayer().named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight", "out.bias"]


def test_parameter_counts_and_nested_modules():
    model = nn.Sequential(TwoLayer(), nn.Sequential(nn.Linear(1, 4), nn.ReLU()))
    params = list(model.parameters())
    assert len(params) == 7
    assert sum(p.numel() for p in params) == (6 + 3) + (3 + 1) + 1 + (4 + 4)
    assert [n for n, _ in model.named_parameters()][-2:] == ["1.0.weight", "1.0.bias"]
    assert [type(m).__name__ for m in model.modules()] == [
        "Sequential", "TwoLayer", "Linear", "Linear", "Sequential", "Linear", "ReLU"]
    assert [n for n, _ in model.named_children()] == ["0", "1"]
    assert [n for n, _ in model.named_modules()][:3] == ["", "0", "0.hidden"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3


def test_plain_attributes_are_not_registered_and_bad_assignments_fail():
    m = TwoLayer()
    assert m.note == "plain attribute" and "note" not in dict(m.named_parameters())
    with pytest.raises(TypeError, match="parameter 'scale'"):
        m.scale = cr.ones(1)                     # a plain Tensor is not a Parameter
    m.scale = None                               # allowed, as in PyTorch
    assert "scale" not in dict(m.named_parameters())
    with pytest.raises(AttributeError, match="'TwoLayer' object has no attribute 'missing'"):
        m.missing


def test_module_without_super_init_explains():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(RuntimeError, match=r"super\(\)\.__init__\(\)"):
        Broken()


def test_calling_a_module_without_super_init_explains():
    class Square(nn.Module):
        def __init__(self):                      # assigns nothing, so nothing complains
            pass

        def forward(self, x):
            return x ** 2

    square = Square()
    with pytest.raises(AttributeError, match=r"'Square' object has no attribute '_hooks': "
                                             r"its __init__ must call super\(\)\.__init__\(\)"):
        square(cr.ones(1))


def test_train_eval_reach_every_submodule():
    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5)))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_forgets_gradients():
    model = TwoLayer()
    model(cr.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_round_trip_copies_and_includes_buffers():
    cr.manual_seed(0)
    a = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    a(cr.randn(8, 3))                              # moves the running statistics
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"]
    assert all(isinstance(v, np.ndarray) for v in state.values())
    state["0.weight"][...] = 7                     # a copy: the model is untouched
    assert not np.any(a[0].weight.data == 7)

    b = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    b.load_state_dict(a.state_dict())
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values()):
        np.testing.assert_array_equal(va, vb, err_msg=k)
    x = cr.randn(5, 3)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_load_state_dict_keeps_dtype_and_accepts_tensors():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": cr.ones(2, 2, dtype=cr.float64), "bias": np.zeros(2)})
    assert layer.weight.dtype == np.float32 and layer.weight.data.sum() == 4


def test_load_state_dict_errors_name_keys_and_shapes():
    layer = nn.Linear(2, 3)
    state = layer.state_dict()
    with pytest.raises(ValueError, match=r"missing key\(s\): 'bias'"):
        layer.load_state_dict({"weight": state["weight"]})
    with pytest.raises(ValueError, match=r"unexpected key\(s\): 'extra'"):
        layer.load_state_dict({**state, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"'weight'.*\(3, 2\).*\(2, 3\)"):
        layer.load_state_dict({"weight": np.zeros((3, 2)), "bias": state["bias"]})
    before = layer.weight.data.copy()
    with pytest.raises(ValueError):              # nothing is written when any entry fails
        layer.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(4)})
    np.testing.assert_array_equal(layer.weight.data, before)
    result = layer.load_state_dict({"weight": np.zeros((2, 3)), "extra": 1}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    assert not layer.weight.data.any()


def test_sequential_indexing_len_iteration_and_slices():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[0] is layers[0] and model[-1] is layers[2]
    assert list(model) == layers
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    with pytest.raises(IndexError, match="index 3 is out of range for 3"):
        model[3]
    x = cr.randn(4, 2)
    np.testing.assert_allclose(model(x).data, layers[2](layers[1](layers[0](x))).data)
    with pytest.raises(TypeError, match="expected a Module, got int"):
        nn.Sequential(nn.ReLU(), 3)


def test_module_list_registers_members():
    class Heads(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleList([nn.Linear(2, 1) for _ in range(3)])

    m = Heads()
    assert len(list(m.parameters())) == 6
    assert [n for n, _ in m.named_parameters()][:2] == ["heads.0.weight", "heads.0.bias"]
    m.heads.append(nn.Linear(2, 1))
    assert len(m.heads) == 4 and isinstance(m.heads[1:], nn.ModuleList)
    with pytest.raises(NotImplementedError, match="ModuleList defines no forward"):
        m.heads(cr.randn(1, 2))


def test_to_double_casts_parameters_and_buffers():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).double()
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64


def test_repr_nests_like_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Tanh(), nn.Sigmoid()),
                         nn.LeakyReLU(0.2), nn.LayerNorm(4), nn.BatchNorm1d(4),
                         nn.Linear(4, 1, bias=False), nn.Identity())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(),
                                 torch.nn.Sequential(torch.nn.Tanh(), torch.nn.Sigmoid()),
                                 torch.nn.LeakyReLU(0.2), torch.nn.LayerNorm(4),
                                 torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 1, bias=False),
                                 torch.nn.Identity())
    assert repr(ours) == repr(theirs)


def test_parameter_works_in_ops_and_create_graph():
    w = nn.Parameter(cr.tensor([2.0, 3.0]))
    assert w.requires_grad and type(w) is nn.Parameter
    y = (w * w * w).sum()                       # d/dw = 3 w**2, d2/dw2 = 6 w
    (g,) = cr.grad(y, w, create_graph=True)
    np.testing.assert_allclose(g.data, [12.0, 27.0])
    g.sum().backward()
    np.testing.assert_allclose(w.grad.data, [12.0, 18.0])
    x = cr.randn(3, 2)
    (x @ nn.Parameter(cr.ones(2, 2))).sum().backward()   # matmul's val() path
    z = nn.Parameter(cr.tensor([1.0]))
    out = z * 2.0
    assert type(out) is cr.Tensor and out.requires_grad


def test_parameter_shares_a_tensors_array_and_rejects_integers():
    t = cr.zeros(3)
    assert nn.Parameter(t).data is t.data
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


def test_buffers_apply_children_and_deepcopy():
    import copy

    class WithBuffers(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = nn.Linear(2, 2)
            self.register_buffer("saved", np.zeros(2))
            self.register_buffer("scratch", np.zeros(2), persistent=False)

    m = WithBuffers()
    assert [n for n, _ in m.named_buffers()] == ["saved", "scratch"]
    assert list(m.state_dict()) == ["saved", "layer.weight", "layer.bias"]   # own first
    assert list(m.children()) == [m.layer]
    seen = []
    m.apply(lambda module: seen.append(type(module).__name__))
    assert seen == ["Linear", "WithBuffers"]
    clone = copy.deepcopy(m)
    assert type(clone.layer.weight) is nn.Parameter
    assert clone.layer.weight.data is not m.layer.weight.data
    np.testing.assert_array_equal(clone.layer.weight.data, m.layer.weight.data)


def test_attribute_reads_follow_every_kind_of_reassignment():
    # Parameters and submodules are plain attributes (one store, read fast); registration
    # must follow assignment, None placeholders, deletion and Sequential.__setitem__.
    layer = nn.Linear(2, 3)
    new_weight = nn.Parameter(np.ones((2, 3), dtype=np.float32))
    layer.weight = new_weight
    assert layer.weight is new_weight and dict(layer.named_parameters())["weight"] is new_weight
    layer.bias = None
    assert layer.bias is None and "bias" not in dict(layer.named_parameters())
    del layer.weight
    with pytest.raises(AttributeError):
        layer.weight
    seq = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    relu = nn.ReLU()
    seq[1] = relu
    assert seq[1] is relu and getattr(seq, "1") is relu
    layer.extra = nn.Tanh()
    assert dict(layer.named_children())["extra"] is layer.extra


@pytest.mark.parametrize("bad, shown", [("abc", "str 'abc'"), (None, "NoneType None"),
                                        ([["a", "b"]], "list [['a', 'b']]"),
                                        ([[1.0], [2.0, 3.0]], "list [[1.0], [2.0, 3.0]]")])
def test_load_state_dict_with_non_numeric_values_names_the_key(bad, shown):
    layer = nn.Linear(2, 1)
    before = layer.bias.data.copy()
    state = {"weight": bad, "bias": np.ones(1)}
    with pytest.raises(ValueError, match=re.escape(
            f"Linear.load_state_dict: 'weight' must hold numbers, got {shown}")):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.bias.data, before)     # nothing was changed


# ------------------------------------------------- one store: the attribute is the member
def _members_of(module):
    return {kind: dict(getattr(module, store)) for kind, store in
            (("parameters", "_parameters"), ("buffers", "_buffers"), ("modules", "_modules"))}


def test_a_member_is_stored_once_as_a_plain_attribute():
    layer = nn.Linear(2, 3)
    assert layer.__dict__["weight"] is layer.weight is layer._parameters["weight"]
    values = list(layer.__dict__.values())
    assert sum(v is layer.weight for v in values) == 1     # no second copy anywhere
    new = nn.Parameter(np.zeros((2, 3), dtype=np.float32))
    layer._parameters["weight"] = new                      # a view: writes the attribute
    assert layer.weight is new and dict(layer.named_parameters())["weight"] is new
    np.testing.assert_array_equal(layer(cr.ones(1, 2)).data, layer.bias.data[None])


def test_replacing_a_parameter_by_a_module_and_back():
    m = TwoLayer()
    m.scale = nn.Tanh()                                    # a Parameter becomes a submodule
    assert _members_of(m)["parameters"].keys() == set()
    assert list(_members_of(m)["modules"]) == ["hidden", "out", "scale"]
    assert "scale" not in dict(m.named_parameters()) and m.scale is m._modules["scale"]
    m.hidden = nn.Parameter(cr.ones(2))                    # a submodule becomes a Parameter
    assert list(_members_of(m)["modules"]) == ["out", "scale"]
    assert [n for n, _ in m.named_parameters()] == ["hidden", "out.weight", "out.bias"]
    with pytest.raises(TypeError, match="cannot assign int to submodule 'scale'; expected a "
                                        "Module or None"):
        m.scale = 3
    m.scale = None                                         # a None placeholder stays a member
    assert "scale" in m._modules and m.scale is None and list(m.children()) == [m.out]


def test_plain_attributes_buffers_and_members_do_not_mix():
    m = TwoLayer()
    m.plain = cr.ones(2)                                   # a Tensor, not a Parameter: plain
    assert "plain" not in m._parameters and "plain" not in m._buffers
    m.plain = nn.Parameter(cr.ones(2))                     # now a parameter, stored once
    assert m._parameters["plain"] is m.plain and list(m._parameters)[-1] == "plain"
    m.register_buffer("plain", np.zeros(3))                # re-registered as a buffer
    assert "plain" not in m._parameters and isinstance(m.plain, cr.Tensor)
    m.plain = np.arange(3.0)                               # a buffer converts arrays
    assert isinstance(m.plain, cr.Tensor) and m._buffers["plain"] is m.plain
    np.testing.assert_array_equal(m.state_dict()["plain"], [0.0, 1.0, 2.0])


def test_deleting_a_member_or_a_plain_attribute():
    m = TwoLayer()
    del m.scale
    assert "scale" not in m.__dict__ and "scale" not in m._parameters
    with pytest.raises(AttributeError, match="'TwoLayer' object has no attribute 'scale'"):
        m.scale
    del m._modules["out"]                                  # through the view, the same
    assert "out" not in m.__dict__ and [n for n, _ in m.named_children()] == ["hidden"]
    del m.note
    assert not hasattr(m, "note")
    with pytest.raises(AttributeError):
        del m.missing
    with pytest.raises(KeyError, match="TwoLayer has no parameter 'hidden'"):
        m._parameters["hidden"]
    with pytest.raises(KeyError, match="has no parameter 'new'"):
        m._parameters["new"] = nn.Parameter(cr.ones(1))    # add with register_parameter
    m.scale = nn.Parameter(cr.ones(1))                     # a deleted name can come back
    assert [n for n, _ in m.named_parameters()][0] == "scale"


def test_copies_and_pickles_keep_one_store():
    import copy
    import pickle

    m = TwoLayer()
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert clone.hidden.weight is clone.hidden._parameters["weight"]
        assert clone.hidden.weight is not m.hidden.weight
        clone.hidden.weight = nn.Parameter(cr.zeros(2, 3))
        assert not np.any(dict(clone.named_parameters())["hidden.weight"].data)
        assert np.any(m.hidden.weight.data)                # the original is untouched
        assert sorted(clone.state_dict()) == sorted(m.state_dict())


def test_views_read_like_dicts():
    m = TwoLayer()
    assert list(m._modules) == ["hidden", "out"] and len(m._parameters) == 1
    assert list(m._modules.values()) == [m.hidden, m.out]
    assert m._parameters.get("missing") is None and "note" not in m._parameters
    assert repr(m._buffers) == "{}"
