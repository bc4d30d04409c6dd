"""Helpers shared by the nn tests (imported as a plain module: tests/ has no packages)."""
import numpy as np

import chainrule as cr


def gradcheck_module(module, *inputs, **kw):
    """cr.gradcheck of module(*inputs) with respect to the inputs *and* every parameter:
    the module is cast to float64 and, during the check, its parameters are replaced by the
    float64 copies gradcheck differentiates."""
    module.double()
    slots = [(owner, name) for owner in module.modules()
             for name, p in owner._parameters.items() if p is not None]
    saved = [owner._parameters[name] for owner, name in slots]

    def fn(*args):
        for (owner, name), p in zip(slots, args[len(inputs):]):
            owner._parameters[name] = p
        return module(*args[:len(inputs)])

    try:
        return cr.gradcheck(fn, *inputs, *saved, **kw)
    finally:
        for (owner, name), p in zip(slots, saved):
            owner._parameters[name] = p


def to_torch(x, requires_grad=False):
    import torch
    data = x.data if isinstance(x, cr.Tensor) else np.asarray(x)
    return torch.tensor(np.array(data), requires_grad=requires_grad)


def assert_close(ours, theirs, atol=1e-5, rtol=1e-5, err_msg=""):
    """Compare a chainrule Tensor/array with a torch tensor/array."""
    a = ours.data if isinstance(ours, cr.Tensor) else np.asarray(ours)
    b = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    assert a.shape == b.shape, f"{err_msg}: shapes {a.shape} vs {b.shape}"
    np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=err_msg)
