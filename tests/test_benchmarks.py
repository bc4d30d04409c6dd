"""The benchmarks time the same computation in every column: chainrule eager, compiled,
PyTorch and hand-written NumPy take the same training steps and report the same losses."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
bench = pytest.importorskip("bench_training")


@pytest.mark.parametrize("make", [lambda: bench.lectures_net(batch=16, depth=4, width=8),
                                  lambda: bench.mnist_mlp(batch=8),
                                  lambda: bench.residual_mlp(blocks=4, width=8, batch=16)],
                         ids=["lectures", "mlp", "residual"])
def test_every_implementation_takes_the_same_steps(make):
    w = make()
    steps = {"numpy": bench.numpy_step(w), "chainrule": bench.chainrule_step(w),
             "compiled": bench.chainrule_step(w, compiled=True)}
    if bench.torch is not None:
        steps["torch"] = bench.torch_step(w)
    for _ in range(10):
        losses = {k: float(np.asarray(step() if k == "numpy" else step().item()))
                  for k, step in steps.items()}
        for k, v in losses.items():
            assert v == pytest.approx(losses["numpy"], rel=1e-5), (k, losses)
