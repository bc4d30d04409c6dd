"""Shared pieces of the optimizer tests: two small problems whose gradients chainrule's
autograd computes, and the same problems in PyTorch, which computes its own."""
import numpy as np
import pytest

import chainrule as cr

# One configuration with state per optimizer, for tests that should hold for all of them.
STATEFUL_CONFIGS = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1)),
]


@pytest.fixture(params=STATEFUL_CONFIGS, ids=[name for name, _ in STATEFUL_CONFIGS])
def stateful_config(request):
    return request.param


def make_data(problem: str, seed: int = 0):
    """X (32, 3) and targets (32, 2): noisy linear targets, or 0/1 labels."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(32, 3))
    W_true = rng.normal(size=(3, 2))
    Z = X @ W_true + 0.1 * rng.normal(size=(32, 2))
    Y = Z if problem == "lstsq" else (Z > 0).astype(float)
    W0 = 0.5 * rng.normal(size=(3, 2))
    b0 = 0.1 * rng.normal(size=(2,))
    return X, Y, W0, b0


def loss_of(problem: str, X, Y, W, b, log, exp):
    """Mean squared error, or the logistic loss mean(log(1 + e^z) - y z); the same
    expression for both libraries (log and exp are passed in)."""
    z = X @ W + b
    if problem == "lstsq":
        return ((z - Y) ** 2).mean()
    return (log(1 + exp(z)) - Y * z).mean()


class CrProblem:
    """The problem in chainrule: parameters W (3, 2) and b (2,)."""

    def __init__(self, problem="lstsq", dtype=np.float64, seed=0):
        X, Y, W0, b0 = make_data(problem, seed)
        self.problem = problem
        self.X, self.Y = cr.tensor(X, dtype=dtype), cr.tensor(Y, dtype=dtype)
        self.W = cr.tensor(W0, dtype=dtype, requires_grad=True)
        self.b = cr.tensor(b0, dtype=dtype, requires_grad=True)
        self.params = [self.W, self.b]

    def backward(self):
        loss = loss_of(self.problem, self.X, self.Y, self.W, self.b, cr.log, cr.exp)
        loss.backward()
        return loss.item()

    def train(self, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            self.backward()
            opt.step()


@pytest.fixture
def cr_problem():
    """The ``CrProblem`` class: ``cr_problem("logistic")`` builds a fresh problem."""
    return CrProblem


def build(module, name, params, groups, kw):
    """``module.<name>`` over ``params``, one group per parameter when ``groups`` (a
    list of per-group overrides) is given."""
    cls = getattr(module, name)
    if groups is None:
        return cls(params, **kw)
    return cls([dict(params=[p], **g) for p, g in zip(params, groups)], **kw)


@pytest.fixture
def match_torch():
    """``run(name, steps=100, problem="lstsq", groups=None, dtype=float64, atol=1e-6,
    **hyperparameters)`` trains the problem with ``cr.optim.<name>`` and with
    ``torch.optim.<name>`` and checks that the parameters agree after every step."""
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests")
    torch.set_num_threads(1)   # tiny tensors: threads only add contention

    def run(name, steps=100, problem="lstsq", groups=None, dtype=np.float64, atol=1e-6,
            **kw):
        ours = CrProblem(problem, dtype)
        X, Y, W0, b0 = make_data(problem)
        tdtype = torch.float64 if dtype == np.float64 else torch.float32
        tX, tY = torch.tensor(X, dtype=tdtype), torch.tensor(Y, dtype=tdtype)
        tW = torch.tensor(W0, dtype=tdtype, requires_grad=True)
        tb = torch.tensor(b0, dtype=tdtype, requires_grad=True)
        opt = build(cr.optim, name, ours.params, groups, kw)
        topt = build(torch.optim, name, [tW, tb], groups, kw)
        for t in range(1, steps + 1):
            opt.zero_grad()
            ours.backward()
            opt.step()
            topt.zero_grad()
            loss_of(problem, tX, tY, tW, tb, torch.log, torch.exp).backward()
            topt.step()
            for p, tp in ((ours.W, tW), (ours.b, tb)):
                np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=0, atol=atol,
                                           err_msg=f"{name}({kw}) differs from torch at "
                                                   f"step {t}")
        assert ours.W.dtype == dtype and ours.b.dtype == dtype
        moved = np.abs(ours.W.data - W0).max()
        assert moved > 1e-2, f"{name}({kw}) barely moved the parameters ({moved:.2g})"
        return ours

    return run


@pytest.fixture
def match_torch_on_gradients():
    """``run(name, steps=60, **hyperparameters)`` feeds the same random gradients to
    ``cr.optim.<name>`` and ``torch.optim.<name>`` (so nothing but the update rule can
    differ), for parameters of shapes (3, 2), (2,) and (); the 0-d one gets no gradient
    on every third step, so both must skip it. Checks agreement to 1e-12 each step."""
    torch = pytest.importorskip("torch", reason="PyTorch is the reference for these tests")
    torch.set_num_threads(1)

    def run(name, steps=60, **kw):
        rng = np.random.default_rng(1)
        shapes = [(3, 2), (2,), ()]
        init = [rng.normal(size=s) for s in shapes]
        ours = [cr.tensor(np.array(a), dtype=np.float64, requires_grad=True) for a in init]
        theirs = [torch.tensor(a, requires_grad=True) for a in init]
        opt = getattr(cr.optim, name)(ours, **kw)
        topt = getattr(torch.optim, name)(theirs, **kw)
        for t in range(steps):
            for i, (p, tp) in enumerate(zip(ours, theirs)):
                if i == 2 and t % 3 == 1:
                    p.grad = tp.grad = None
                    continue
                g = rng.normal(size=shapes[i]) * 10.0 ** rng.integers(-3, 2)
                p.grad = cr.tensor(g, dtype=np.float64)
                tp.grad = torch.tensor(g)
            opt.step()
            topt.step()
            for p, tp in zip(ours, theirs):
                np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-14,
                                           err_msg=f"{name}({kw}) differs at step {t}")
        return ours

    return run
