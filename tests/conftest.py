"""Shared helpers for the tests, offered as fixtures so every test folder can use them.

- ``torch``: the reference implementation (PyTorch); tests that take it skip, with the
  reason, where it is not installed.
- ``against_torch(cr_fn, torch_fn, *arrays)``: run the same computation in chainrule and
  in PyTorch and compare the values and the gradient of every floating input.
- ``check_grad(fn, *arrays)``: ``cr.gradcheck`` on float64 copies of the arrays.
- ``rng``: a seeded NumPy generator, fresh for each test.
"""
from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# float64 is compared to ~1e-10; float32 only to what its 24-bit mantissa allows.
TOLERANCE = {np.dtype(np.float64): dict(rtol=1e-10, atol=1e-10),
             np.dtype(np.float32): dict(rtol=1e-5, atol=1e-5)}


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is the reference the ops are compared with "
                        "(pip install 'chainrule[reference]')")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _is_float(x) -> bool:
    """A floating array (or NumPy float scalar, which a 0-d sample comes out as)."""
    return isinstance(x, (np.ndarray, np.floating)) and x.dtype.kind == "f"


@pytest.fixture(scope="session")
def against_torch(torch):
    """Compare chainrule with PyTorch on the same inputs.

    Every ndarray argument becomes a tensor in both libraries; floating ones are cast to
    ``dtype`` and require a gradient, integer and boolean ones (indices, masks) do not.
    Anything else (an axis, a Python number) is passed as it is. The outputs must agree
    in value and dtype; both are then backpropagated with the same random upstream
    gradient and every floating input's gradient must agree. Returns chainrule's output.
    """
    def to_torch(x, dtype):
        if _is_float(x):
            return torch.tensor(np.asarray(x, dtype), requires_grad=True)
        return torch.tensor(x) if isinstance(x, np.ndarray) else x

    def to_cr(x, dtype):
        if _is_float(x):
            return cr.tensor(np.asarray(x, dtype), requires_grad=True)
        return cr.tensor(x) if isinstance(x, np.ndarray) else x

    def check(cr_fn, torch_fn, *inputs, dtype=np.float64, seed=0, **tolerance):
        dtype = np.dtype(dtype)
        tol = {**TOLERANCE[dtype], **tolerance}
        c_in = [to_cr(x, dtype) for x in inputs]
        t_in = [to_torch(x, dtype) for x in inputs]
        c_out, t_out = cr_fn(*c_in), torch_fn(*t_in)
        expected = t_out.detach().numpy()
        assert c_out.shape == expected.shape
        assert c_out.dtype == expected.dtype
        np.testing.assert_allclose(c_out.data, expected, **tol)

        upstream = np.random.default_rng(seed).standard_normal(expected.shape).astype(dtype)
        c_out.backward(gradient=cr.tensor(upstream))
        t_out.backward(gradient=torch.tensor(upstream))
        for i, (c, t) in enumerate(zip(c_in, t_in)):
            if not isinstance(c, cr.Tensor) or not c.requires_grad:
                continue
            if t.grad is None:     # torch leaves an unused input's grad None
                assert c.grad is None or not np.any(c.grad.data), f"input {i}"
                continue
            assert c.grad is not None, f"input {i} got no gradient"
            assert c.grad.shape == c.shape and c.grad.dtype == dtype, f"input {i}"
            np.testing.assert_allclose(c.grad.data, t.grad.numpy(), **tol,
                                       err_msg=f"gradient of input {i}")
        return c_out

    return check


@pytest.fixture(scope="session")
def check_grad():
    """``cr.gradcheck(fn, ...)`` on float64 tensors made from the arrays (non-arrays are
    passed through)."""
    def check(fn, *inputs, **kw):
        args = [cr.tensor(np.asarray(x, np.float64)) if _is_float(x) else x for x in inputs]
        return cr.gradcheck(fn, *args, **kw)

    return check
