"""The names PyTorch users type work in chainrule, with PyTorch's values; what chainrule cannot
honour (a GPU) is a clear error."""
import math

import numpy as np
import pytest

import chainrule as cr


def test_dtype_names():
    assert cr.float is cr.float32 and cr.double is cr.float64 and cr.long is cr.int64
    assert cr.tensor([1.0], dtype=cr.double).dtype == np.float64
    assert cr.zeros(2, dtype=cr.float).dtype == np.float32
    assert cr.tensor([1, 2]).float().dtype == np.float32
    assert cr.tensor([1, 2]).to(cr.float64).dtype == np.float64
    assert "float" not in cr.__all__                     # import * never shadows builtins


def test_devices_are_the_cpu_only():
    dev = cr.device("cpu")
    assert dev == "cpu" and dev == cr.device("cpu:0") and str(dev) == "cpu"
    x = cr.zeros(2, device="cpu")
    assert x.device == dev and x.to("cpu") is x and x.cpu() is x and x.to(dev) is x
    assert x.to("cpu", cr.float64).dtype == np.float64
    assert cr.cuda.is_available() is False and cr.cuda.device_count() == 0
    assert cr.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is None
    cr.set_default_device("cpu")
    assert cr.get_default_device() == "cpu"
    for make in (lambda: cr.tensor([1.0], device=dev), lambda: cr.ones(2, device="cpu"),
                 lambda: cr.randn(2, device="cpu"), lambda: cr.linspace(0, 1, 3, device="cpu"),
                 lambda: cr.full((), 0.0, device=dev, requires_grad=True),
                 lambda: cr.arange(3, device="cpu"), lambda: cr.eye(2, device="cpu")):
        assert make().device == "cpu"


@pytest.mark.parametrize("call", [
    lambda: cr.device("cuda"), lambda: cr.zeros(2, device="cuda"),
    lambda: cr.tensor([1.0], device="cuda:0"), lambda: cr.ones(2).to("cuda"),
    lambda: cr.ones(2).cuda(), lambda: cr.set_default_device("mps"),
])
def test_a_gpu_is_a_clear_error(call):
    with pytest.raises(RuntimeError, match="chainrule computes with NumPy on the CPU only"):
        call()


def test_ranges_and_identity_match_torch(torch):
    np.testing.assert_allclose(cr.linspace(-math.pi, math.pi, 7).data,
                               torch.linspace(-math.pi, math.pi, 7).numpy(), rtol=1e-6)
    assert cr.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert cr.linspace(0, 1, 5).dtype == np.float32
    np.testing.assert_array_equal(cr.eye(2, 3).data, torch.eye(2, 3).numpy())
    assert cr.empty(2, 3).shape == (2, 3)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow"])
def test_arithmetic_as_methods_and_functions(name, rng, against_torch):
    a, b = rng.uniform(0.5, 2, (2, 3)), rng.uniform(0.5, 2, (3,))
    against_torch(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b)
    against_torch(lambda x, y: getattr(cr, name)(x, y),
                  lambda x, y: getattr(type(x), name)(x, y), a, b)


def test_unary_names_match_torch(rng, against_torch, torch):
    x = rng.standard_normal((2, 3))
    for cr_fn, t_fn in [(lambda t: t.neg(), lambda t: t.neg()), (cr.neg, torch.neg),
                        (cr.sin, torch.sin), (cr.cos, torch.cos),
                        (lambda t: t.sin(), lambda t: t.sin()),
                        (lambda t: t.cos(), lambda t: t.cos()),
                        (lambda t: t.clamp(min=-0.5, max=0.5), lambda t: t.clamp(min=-0.5, max=0.5)),
                        (lambda t: cr.clamp(t, min=0), lambda t: torch.clamp(t, min=0)),
                        (lambda t: t.clone() * 2, lambda t: t.clone() * 2),
                        (lambda t: t.t(), lambda t: t.t()), (cr.t, torch.t)]:
        against_torch(cr_fn, t_fn, x)


def test_mm_and_flatten_match_torch(rng, against_torch):
    against_torch(lambda a, b: a.mm(b), lambda a, b: a.mm(b), rng.standard_normal((2, 3)),
                  rng.standard_normal((3, 4)))
    against_torch(cr.mm, lambda a, b: a.mm(b), rng.standard_normal((2, 3)),
                  rng.standard_normal((3, 4)))
    x = rng.standard_normal((2, 3, 4, 5))
    for start, end in [(0, -1), (1, -1), (1, 2), (0, 0), (-2, -1)]:
        out = against_torch(lambda t, s=start, e=end: t.flatten(s, e),
                            lambda t, s=start, e=end: t.flatten(s, e), x)
        assert out.shape == tuple(np.empty((2, 3, 4, 5)).reshape(
            (2, 3, 4, 5)[:start % 4] + (-1,) + (2, 3, 4, 5)[end % 4 + 1:]).shape)
    assert cr.flatten(cr.ones(2, 3, 4), start_dim=1).shape == (2, 12)


def test_mm_and_t_refuse_other_dimensions_clearly():
    with pytest.raises(ValueError, match="mm: the second operand must be a 2-D tensor"):
        cr.ones(2, 3).mm(cr.ones(3))
    with pytest.raises(ValueError, match="t: expects a tensor with at most 2 dimensions"):
        cr.ones(2, 3, 4).t()
    assert cr.ones(3).t().shape == (3,)


def test_grad_fn_names():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad_fn is None
    assert repr((x * 2).grad_fn) == "<MulBackward0>"
    assert (x.exp() + 1).grad_fn.name() == "AddBackward0"
    assert (x.exp() + 1).grad_fn.next_functions[0][0].name() == "ExpBackward0"
    assert cr.tensor(1.0).dim() == 0


# ----------------------------------------------------- semantics as in PyTorch
def test_var_defaults_to_the_sample_variance(torch):
    x = [1.0, 2.0, 4.0]
    assert cr.tensor(x).var().item() == pytest.approx(torch.tensor(x).var().item())
    assert cr.var(cr.tensor(x)).item() == pytest.approx(7 / 3)
    assert cr.tensor(x).var(correction=0).item() == pytest.approx(14 / 9)
    assert cr.tensor(x).var(unbiased=False).item() == pytest.approx(14 / 9)


@pytest.mark.parametrize("make", [
    lambda t: t.tensor(1) + 0.5, lambda t: t.tensor(2).exp(), lambda t: t.tensor([1, 2]) / 2,
    lambda t: t.tensor([1, 2]) / t.tensor([2, 4]), lambda t: t.tensor([2, 3]) ** 0.5,
    lambda t: t.tensor([2.0, 3.0]) ** t.tensor([1, 2]), lambda t: 2.5 ** t.tensor([1, 2]),
    lambda t: t.tensor([1, 2]) + t.tensor(1.5, dtype=t.float64),
    lambda t: t.tensor([1.0, 2.0]) + t.tensor(1.5, dtype=t.float64),
    lambda t: t.tensor([1.0], dtype=t.float64) + t.tensor([1.0]),
    lambda t: t.maximum(t.tensor([1, 2]), t.tensor([1.5, 1.5])),
    lambda t: t.tensor([1, 3]).log(), lambda t: t.tensor([1, 3]).sqrt(),
    lambda t: t.tensor([1, 3]).sin(), lambda t: t.tensor([1, 3]).sigmoid(),
    lambda t: t.tensor([1, 3]).tanh(), lambda t: 2 ** t.tensor([1, 2]),
    lambda t: t.tensor([1, 2]) * True, lambda t: t.tensor([1, 5]).clamp(min=2.5),
])
def test_result_dtypes_follow_pytorch(make, torch):
    ours, ref = make(cr), make(torch)
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.data, ref.numpy(), rtol=1e-6)


def test_misleading_errors_now_say_what_is_wrong():
    with pytest.raises(ValueError, match="pow: integers to negative integer powers are not "
                                         "allowed"):
        cr.tensor([2, 3]) ** -1
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        cr.arange(0, 10, 0)
    with pytest.raises(TypeError, match="full: fill_value must be a number, got str 'a'"):
        cr.full((2,), "a")
    assert cr.logsumexp(cr.zeros(0)).item() == -np.inf
    assert cr.full((2,), 7).dtype == np.int64 and cr.full((2,), 7.0).dtype == np.float32
