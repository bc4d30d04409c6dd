"""PyTorch's beginner tutorials ("Learning PyTorch with Examples": the polynomial fits and the
two-layer net), run as written against chainrule with only the import changed
(``import chainrule as torch``), and compared with PyTorch's own numbers.

Each program below is the tutorial's text (fewer iterations, prints dropped). Random
initial weights are the one thing the two libraries cannot share, so ``same_randn`` makes
``randn`` in both draw the same values from one NumPy generator.
"""
import math

import numpy as np
import pytest

import chainrule as cr

POLYNOMIAL_TENSOR = '''
import torch
import math

dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.randn((), device=device, dtype=dtype)
b = torch.randn((), device=device, dtype=dtype)
c = torch.randn((), device=device, dtype=dtype)
d = torch.randn((), device=device, dtype=dtype)

learning_rate = 1e-6
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()

    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()

    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d

result = [a.item(), b.item(), c.item(), d.item(), loss]
'''

POLYNOMIAL_AUTOGRAD = '''
import torch
import math

dtype = torch.float
device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
torch.set_default_device(device)

x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

a = torch.randn((), dtype=dtype, requires_grad=True)
b = torch.randn((), dtype=dtype, requires_grad=True)
c = torch.randn((), dtype=dtype, requires_grad=True)
d = torch.randn((), dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    loss.backward()

    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

result = [a.item(), b.item(), c.item(), d.item(), loss.item()]
'''

POLYNOMIAL_CUSTOM_FUNCTION = '''
import torch
import math


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


dtype = torch.float
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
for t in range(300):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()

    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

result = [a.item(), b.item(), c.item(), d.item(), loss.item()]
'''

TWO_LAYER_NET_TENSOR = '''
import torch

dtype = torch.float
device = torch.device("cpu")
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in, device=device, dtype=dtype)
y = torch.randn(N, D_out, device=device, dtype=dtype)
w1 = torch.randn(D_in, H, device=device, dtype=dtype)
w2 = torch.randn(H, D_out, device=device, dtype=dtype)

learning_rate = 1e-6
for t in range(30):
    h = x.mm(w1)
    h_relu = h.clamp(min=0)
    y_pred = h_relu.mm(w2)
    loss = (y_pred - y).pow(2).sum().item()

    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2 = h_relu.t().mm(grad_y_pred)
    grad_h_relu = grad_y_pred.mm(w2.t())
    grad_h = grad_h_relu.clone()
    grad_h[h < 0] = 0
    grad_w1 = x.t().mm(grad_h)

    w1 -= learning_rate * grad_w1
    w2 -= learning_rate * grad_w2

result = [loss, w1.sum().item(), w2.sum().item()]
'''

TWO_LAYER_NET_AUTOGRAD = '''
import torch

dtype = torch.float
device = torch.device("cpu")
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in, device=device, dtype=dtype)
y = torch.randn(N, D_out, device=device, dtype=dtype)
w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(30):
    y_pred = x.mm(w1).clamp(min=0).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()

    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()

result = [loss.item(), w1.sum().item(), w2.sum().item()]
'''

TWO_LAYER_NET_CUSTOM_FUNCTION = '''
import torch


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


dtype = torch.float
device = torch.device("cpu")
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in, device=device, dtype=dtype)
y = torch.randn(N, D_out, device=device, dtype=dtype)
w1 = torch.randn(D_in, H, device=device, dtype=dtype, requires_grad=True)
w2 = torch.randn(H, D_out, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(30):
    relu = MyReLU.apply
    y_pred = relu(x.mm(w1)).mm(w2)
    loss = (y_pred - y).pow(2).sum()
    loss.backward()

    with torch.no_grad():
        w1 -= learning_rate * w1.grad
        w2 -= learning_rate * w2.grad
        w1.grad.zero_()
        w2.grad.zero_()

result = [loss.item(), w1.sum().item(), w2.sum().item()]
'''

TUTORIALS = {
    "polynomial_tensor": POLYNOMIAL_TENSOR,
    "polynomial_autograd": POLYNOMIAL_AUTOGRAD,
    "polynomial_custom_function": POLYNOMIAL_CUSTOM_FUNCTION,
    "two_layer_net_tensor": TWO_LAYER_NET_TENSOR,
    "two_layer_net_autograd": TWO_LAYER_NET_AUTOGRAD,
    "two_layer_net_custom_function": TWO_LAYER_NET_CUSTOM_FUNCTION,
}


def same_randn(monkeypatch, module, make):
    """Make module.randn(*shape, ...) draw standard normals from a fixed NumPy generator
    (float32, as both libraries' default), keeping every keyword the tutorial passes."""
    rng = np.random.default_rng(0)
    original = module.randn

    def randn(*shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        values = rng.standard_normal(shape).astype(np.float32)
        out = original(tuple(shape), **kwargs)
        with module.no_grad():
            out.copy_(make(values))
        return out

    monkeypatch.setattr(module, "randn", randn)


def run(source: str, as_chainrule: bool) -> list:
    if as_chainrule:
        source = source.replace("import torch\n", "import chainrule as torch\n", 1)
        assert "import chainrule as torch" in source
    namespace: dict = {}
    exec(compile(source, "<tutorial>", "exec"), namespace)
    return namespace["result"]


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs_unchanged_and_matches_pytorch(name, torch, monkeypatch):
    same_randn(monkeypatch, torch, torch.from_numpy)
    same_randn(monkeypatch, cr, cr.tensor)
    expected = run(TUTORIALS[name], as_chainrule=False)
    got = run(TUTORIALS[name], as_chainrule=True)
    # float32 sums over 2000 points (or 64x1000 products) in a different order
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=1e-4)
    assert all(math.isfinite(v) for v in got)


def test_the_fit_actually_learns_sin():
    # The autograd tutorial's model really changes (the update is in place on the leaves).
    namespace: dict = {}
    exec(POLYNOMIAL_CUSTOM_FUNCTION.replace("import torch\n", "import chainrule as torch\n"),
         namespace)
    a, _, c, _, loss = namespace["result"]
    assert (a, c) != (0.0, 0.0) and loss < 300.0
