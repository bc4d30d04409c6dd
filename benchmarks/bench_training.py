"""One training step (forward, loss, backward, SGD update; float32), timed side by side:
chainrule eager, chainrule compiled (``cr.compile``: the step recorded once, then
replayed), PyTorch eager and the same network written by hand in NumPy.

    python benchmarks/bench_training.py                 # the README's table
    python benchmarks/bench_training.py --scaling       # + depth/width/batch series, figure
    python benchmarks/bench_training.py --quick         # a smoke run, as CI does

Implementations are timed round-robin (see timing.py) and reported as medians; the ratios
are what to read. Threads: NumPy's BLAS and PyTorch use the same count (--threads, set
before either library loads; default 1, the fair setting for networks this small). At 2 or
more threads on a shared machine OpenMP's spinning threads make PyTorch 5-70x slower at
random, so such a run sets OMP_WAIT_POLICY=PASSIVE (and says so).
"""
from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import compare, fmt_time, set_threads  # noqa: E402

THREADS = set_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402
import chainrule.nn.functional as F  # noqa: E402
from chainrule import nn  # noqa: E402

try:
    import torch
    torch.set_num_threads(THREADS)
except ImportError:
    torch = None


# ------------------------------------------------------------------ workloads
class Workload:
    """A network and a batch, built once; ``step_*`` functions do one training step."""

    def __init__(self, name, sizes, activation, loss, batch, residual_blocks=0, lr=1e-3):
        self.name, self.sizes, self.activation, self.loss = name, sizes, activation, loss
        self.batch, self.residual_blocks, self.lr = batch, residual_blocks, lr
        rng = np.random.default_rng(0)
        self.X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
        if loss == "bce":
            self.y = (rng.random(batch) > 0.5).astype(np.float32)
        else:
            self.y = rng.integers(0, sizes[-1], batch)
        # Residual branches start small (as in practice) so that 50 stacked blocks stay
        # finite over the many steps a benchmark takes.
        scale = 0.1 if residual_blocks else 1.0
        self.weights = [(scale * rng.standard_normal((i, o)) / np.sqrt(i)).astype(np.float32)
                        for i, o in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.zeros(o, np.float32) for o in sizes[1:]]


def lectures_net(batch=64, depth=10, width=64):
    return Workload(f"lectures' net: {depth} x Linear({width}) + sigmoid, BCE, batch {batch}",
                    [width] * (depth + 1) + [1], "sigmoid", "bce", batch)


def mnist_mlp(batch=128):
    return Workload(f"MLP 784-256-256-10, ReLU, cross-entropy, batch {batch}",
                    [784, 256, 256, 10], "relu", "ce", batch)


def residual_mlp(blocks=50, width=64, batch=64):
    return Workload(f"residual MLP, {blocks} blocks x Linear({width}) + ReLU, batch {batch}",
                    [width] * (blocks + 1) + [10], "relu", "ce", batch, residual_blocks=blocks)


def scaling_net(depth, width, batch):
    return Workload(f"depth {depth} width {width} batch {batch}",
                    [width] * (depth + 1) + [10], "relu", "ce", batch)


# ------------------------------------------------------------------ chainrule
def chainrule_step(w: Workload, compiled: bool = False):
    layers = []
    act = nn.Sigmoid if w.activation == "sigmoid" else nn.ReLU
    for W, b in zip(w.weights[:-1], w.biases[:-1]):
        lin = nn.Linear(*W.shape)
        lin.weight.data[...] = W
        lin.bias.data[...] = b
        layers += [nn.Residual(nn.Sequential(lin, act()))] if w.residual_blocks else [lin, act()]
    out = nn.Linear(*w.weights[-1].shape)
    out.weight.data[...] = w.weights[-1]
    out.bias.data[...] = w.biases[-1]
    layers.append(out)
    model = nn.Sequential(*layers)
    opt = cr.optim.SGD(model.parameters(), lr=w.lr)
    X, y = cr.tensor(w.X), cr.tensor(w.y)
    loss_fn = ((lambda o, t: F.binary_cross_entropy_with_logits(o.reshape(-1), t))
               if w.loss == "bce" else F.cross_entropy)
    step = training_step(model, opt, loss_fn, X, y)
    if not compiled:
        return step
    replayed = cr.compile(lambda x, t: step())    # the same step, recorded on its first call
    return lambda: replayed(X, y)


def scalar_graph(leaf):
    """f = (x + y) * z built and backpropagated; ``leaf(value)`` makes a tensor that
    requires a gradient, in either library (the rest is spelled the same in both)."""
    x, y, z = (leaf(v) for v in (3.0, -4.0, 5.0))

    def step():
        x.grad = y.grad = z.grad = None
        ((x + y) * z).backward()
    return step


def training_step(model, opt, loss_fn, X, y):
    """One step, spelled the same in chainrule and PyTorch."""
    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        return loss
    return step


# ---------------------------------------------------------------------- torch
def torch_step(w: Workload):
    layers = []
    act = torch.nn.Sigmoid if w.activation == "sigmoid" else torch.nn.ReLU

    class Residual(torch.nn.Module):
        def __init__(self, block):
            super().__init__()
            self.block = block

        def forward(self, x):
            return self.block(x) + x

    for W, b in zip(w.weights[:-1], w.biases[:-1]):
        lin = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers += ([Residual(torch.nn.Sequential(lin, act()))] if w.residual_blocks
                   else [lin, act()])
    out = torch.nn.Linear(*w.weights[-1].shape)
    with torch.no_grad():
        out.weight.copy_(torch.from_numpy(w.weights[-1].T.copy()))
        out.bias.copy_(torch.from_numpy(w.biases[-1]))
    layers.append(out)
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=w.lr)
    X, y = torch.from_numpy(w.X), torch.from_numpy(w.y)
    loss_fn = ((lambda o, t: torch.nn.functional.binary_cross_entropy_with_logits(
        o.reshape(-1), t)) if w.loss == "bce" else torch.nn.functional.cross_entropy)
    return training_step(model, opt, loss_fn, X, y)



# ------------------------------------------------------------ hand-written NumPy
def numpy_step(w: Workload):
    """The same step with every derivative written out: the cost of the arithmetic alone.
    Like the others it computes the loss it returns (in the stable forms chainrule and
    PyTorch use), not only its gradient."""
    Ws = [W.copy() for W in w.weights]
    bs = [b.copy() for b in w.biases]
    X, y, lr, n = w.X, w.y, np.float32(w.lr), w.batch
    sigmoid = w.activation == "sigmoid"
    onehot = None if w.loss == "bce" else np.eye(w.sizes[-1], dtype=np.float32)[y]
    rows = np.arange(n)

    def step():
        acts, hs, a = [X], [None], X
        for W, b in zip(Ws[:-1], bs[:-1]):
            z = a @ W + b
            h = 1 / (1 + np.exp(-z)) if sigmoid else np.maximum(z, 0)
            a = h + a if w.residual_blocks else h
            acts.append(a)
            hs.append(h)
        logits = a @ Ws[-1] + bs[-1]
        if w.loss == "bce":
            x = logits[:, 0]
            loss = (np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))).mean()
            p = 1 / (1 + np.exp(-x))
            g = ((p - y) / n)[:, None]
        else:
            z = logits - logits.max(axis=1, keepdims=True)
            e = np.exp(z)
            total = e.sum(axis=1, keepdims=True)
            loss = (np.log(total[:, 0]) - z[rows, y]).mean()
            g = (e / total - onehot) / n
        through = None    # dJ/d(block output) one block up, which the shortcut carries down
        for i in range(len(Ws) - 1, -1, -1):
            gW, gb = acts[i].T @ g, g.sum(axis=0)      # g: dJ/d(pre-activation of layer i)
            if i > 0:
                ga = g @ Ws[i].T                       # dJ/d(acts[i]) through layer i
                if w.residual_blocks and through is not None:
                    ga += through
                h = hs[i]
                g = ga * (h * (1 - h) if sigmoid else (h > 0))
                through = ga
            Ws[i] -= lr * gW
            bs[i] -= lr * gb
        return loss
    return step


# ------------------------------------------------------------------- running
def time_workload(w: Workload, rounds: int, min_time: float) -> dict:
    impls = {"numpy": numpy_step(w), "chainrule": chainrule_step(w)}
    if hasattr(cr, "compile"):   # (so that the same script times older versions too)
        impls["compiled"] = chainrule_step(w, compiled=True)
    if torch is not None:
        impls["torch"] = torch_step(w)
    return compare(impls, rounds=rounds, min_time=min_time)


COLUMNS = ("numpy", "torch", "chainrule", "compiled")
RATIOS = (("chainrule", "torch"), ("chainrule", "numpy"), ("compiled", "torch"),
          ("compiled", "numpy"))
SHORT = {"chainrule": "cr", "compiled": "comp", "torch": "torch", "numpy": "numpy"}


def row(name: str, t: dict) -> str:
    cells = [f"{fmt_time(t[k]):>11}" if k in t else f"{'-':>11}" for k in COLUMNS]
    ratios = [f"{t[a] / t[b]:>11.2f}" if a in t and b in t else f"{'-':>11}" for a, b in RATIOS]
    return f"{name:62} {''.join(cells)}{''.join(ratios)}"


HEADER = (f"{'workload (one training step)':62} " + "".join(f"{k:>11}" for k in COLUMNS)
          + "".join(f"{SHORT[a] + '/' + SHORT[b]:>11}" for a, b in RATIOS))


def memory_flatness(steps: int) -> list[tuple[int, float]]:
    """After each quarter of a run of training steps: how many tensors are alive and how
    much memory is traced (KiB). A leaked graph would show as growing tensor counts. The
    traced memory may creep up by at most ~110 KiB while Python fills its free list of
    spare tuples (2000 at most), which tracemalloc counts as live; then it stays flat."""
    import gc

    step = chainrule_step(lectures_net())
    for _ in range(steps // 4):    # warm-up: caches and free lists
        step()
    tracemalloc.start()
    marks = []
    for i in range(1, steps + 1):
        step()
        if i % (steps // 4) == 0:
            tensors = sum(issubclass(type(o), cr.Tensor) for o in gc.get_objects())
            marks.append((tensors, tracemalloc.get_traced_memory()[0] / 1024))
    tracemalloc.stop()
    return marks


def scaling(rounds: int, min_time: float, out: Path) -> None:
    series = {
        "depth": [(d, scaling_net(d, 64, 64)) for d in (10, 25, 50, 100, 200)],
        "width": [(n, scaling_net(4, n, 64)) for n in (32, 64, 128, 256, 512, 1024)],
        "batch": [(b, scaling_net(4, 64, b)) for b in (1, 4, 16, 64, 256, 1024)],
    }
    results = {}
    for axis, runs in series.items():
        print(f"\nscaling with {axis} (others: depth 4 / width 64 / batch 64)")
        print(HEADER)
        results[axis] = []
        for value, w in runs:
            t = time_workload(w, rounds, min_time)
            results[axis].append((value, t))
            print(row(w.name, t))
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print("matplotlib is not installed: no scaling figure")
        return
    fig = Figure(figsize=(14, 4.2), layout="constrained")
    for ax, (axis, rows) in zip(fig.subplots(1, 3), results.items()):
        xs = [v for v, _ in rows]
        for impl, style in (("numpy", ":"), ("torch", "--"), ("chainrule", "-")):
            if impl in rows[0][1]:
                ax.plot(xs, [t[impl] * 1e3 for _, t in rows], style, marker="o", label=impl)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(axis)
        ax.set_ylabel("ms per training step")
        ax.set_title(f"step time against {axis}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    from chainrule.fileio import save_figure
    for ext in ("png", "svg"):
        print("wrote", save_figure(fig, out.with_suffix(f".{ext}")))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (CI)")
    parser.add_argument("--scaling", action="store_true", help="also run the scaling series")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    parser.add_argument("--figure", type=Path, default=Path("benchmarks/scaling"),
                        help="where the scaling figure goes (.png and .svg)")
    args = parser.parse_args(argv)
    rounds, min_time = (1, 0.001) if args.quick else (7, 0.1)

    versions = f"numpy {np.__version__}, chainrule {cr.__version__}"
    if torch is None:
        print(f"{versions}; torch not installed (pip install -e '.[reference]'): no torch column")
    else:
        print(f"{versions}, torch {torch.__version__}; {THREADS} thread(s) each")
    print(HEADER)
    workloads = [lectures_net(), mnist_mlp(), residual_mlp()]
    if args.quick:
        workloads = [lectures_net(batch=8, depth=3), mnist_mlp(batch=4), residual_mlp(blocks=3)]
    for w in workloads:
        print(row(w.name, time_workload(w, rounds, min_time)))
    impls = {"chainrule": scalar_graph(lambda v: cr.tensor(v, requires_grad=True))}
    if torch is not None:
        impls["torch"] = scalar_graph(lambda v: torch.tensor(v, requires_grad=True))
    print(row("scalar graph (x + y) * z, build + backward", compare(impls, rounds, min_time)))

    steps = 100 if args.quick else 1000
    marks = memory_flatness(steps)
    print(f"\nmemory during {steps} training steps of the lectures' net, after each quarter: "
          f"live tensors {', '.join(str(n) for n, _ in marks)}; traced "
          f"{', '.join(f'{kib:.0f}' for _, kib in marks)} KiB")
    if args.scaling and not args.quick:
        scaling(rounds, min_time, args.figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
