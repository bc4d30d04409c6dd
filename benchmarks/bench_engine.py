"""Engine overhead: chainrule against PyTorch eager on small op chains.

    python benchmarks/bench_engine.py            # full run (about a minute)
    python benchmarks/bench_engine.py --quick    # a smoke run, as CI does

Each workload is a forward pass plus a backward pass, on 64x64 float32 tensors or on
the scalar graph f = (x + y) * z; the table shows median times and chainrule / torch
(below 1 means chainrule is faster).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import compare, fmt_time, set_threads  # noqa: E402

THREADS = set_threads(sys.argv[1:])

import numpy as np  # noqa: E402

import chainrule as cr  # noqa: E402

try:
    import torch
    torch.set_num_threads(THREADS)
except ImportError:   # the reference extra is not installed
    torch = None


def workloads(leaf, n: int) -> dict:
    """The workloads, written once for both libraries: ``leaf(array)`` makes a tensor that
    requires a gradient; everything else (operators, .sigmoid(), .sum(), .backward(),
    .grad) has the same name in chainrule and PyTorch."""
    rng = np.random.default_rng(0)
    a, b, c = (leaf(rng.standard_normal((n, n)).astype(np.float32)) for _ in range(3))
    x, y, z = (leaf(np.array(v, dtype=np.float32)) for v in (3.0, -4.0, 5.0))

    def run(build):
        def step():
            for t in (a, b, c, x, y, z):
                t.grad = None
            build().backward()
        return step

    return {
        "add": run(lambda: (a + b).sum()),
        "mul": run(lambda: (a * b).sum()),
        "sigmoid": run(lambda: a.sigmoid().sum()),
        "matmul": run(lambda: (a @ b).sum()),
        "chain: sigmoid(a @ b * c + a)": run(lambda: ((a @ b) * c + a).sigmoid().sum()),
        "scalar graph (x + y) * z": run(lambda: (x + y) * z),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (CI)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    args = parser.parse_args(argv)
    rounds, min_time = (1, 0.001) if args.quick else (7, 0.05)

    ours = workloads(lambda a: cr.tensor(a, requires_grad=True), args.size)
    theirs = ({} if torch is None else
              workloads(lambda a: torch.tensor(a, requires_grad=True), args.size))
    if torch is None:
        print("torch is not installed (pip install -e '.[reference]'): timing chainrule only")
    else:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); "
              f"numpy {np.__version__}; chainrule {cr.__version__}")
    print(f"{'workload (forward + backward)':34} {'chainrule':>11} {'torch':>11} "
          f"{'chainrule/torch':>16}")
    for name, fn in ours.items():
        impls = {"chainrule": fn}
        if name in theirs:
            impls["torch"] = theirs[name]
        t = compare(impls, rounds=rounds, min_time=min_time)
        if "torch" in t:
            print(f"{name:34} {fmt_time(t['chainrule']):>11} {fmt_time(t['torch']):>11} "
                  f"{t['chainrule'] / t['torch']:16.2f}")
        else:
            print(f"{name:34} {fmt_time(t['chainrule']):>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
