"""A gradient-flow monitor: what reaches each layer, step by step.

``GradientFlow(model)`` watches every layer with a weight (by default every ``nn.Linear``,
named by its dotted module name, in the order the model registers them -- which is the
forward order of networks built from ``Sequential``: layer 1 is the one next to the input).
Each recorded step it measures, per layer:

- ``grad_norms``: the L2 norm of the weight's gradient, ||dL/dW||;
- ``grad_mean_abs``: the mean of |dL/dW| over the weight's entries;
- ``relative_updates``: how far the optimizer moved the weight, ||W_after - W_before|| /
  ||W_before|| (for plain SGD that is lr * ||dL/dW|| / ||W||);
- ``dead_fractions``: the fraction of the layer's units that are dead on the batch: the
  ReLU-type activation after the layer gave an output <= 0 for *every* sample. For ReLU
  that is exactly 0 everywhere -- the unit passes no gradient and cannot recover. For
  LeakyReLU the output is <= 0 exactly when the pre-activation is, so the same count gives
  the "dead-ish" units, negative on every sample, which still pass a gradient of
  ``negative_slope``. Layers followed by no ReLU-type activation (sigmoid, tanh, the output)
  get NaN. With a batch of one sample about half of any layer looks "dead"; the count means
  something on a batch, and ``dead_fractions_on(X)`` counts on a whole data set.

Use it as a ``fit`` callback (``on_backward_end`` reads the gradients and keeps a copy of
each weight, ``on_step_end`` measures the update) or by hand::

    flow = cr.inspect.GradientFlow(model)
    loss_fn(model(X), y).backward()
    flow.record()                      # step 0: the gradients at initialisation
    cr.train.fit(model, loss_fn, opt, (X, y), epochs=5, callbacks=[flow])
    flow.grad_norms                    # (recorded steps, layers) array
    print(flow.table()); flow.plot()

How dead units are seen. On construction the monitor registers a forward hook
(``register_forward_hook``) on every ``nn.ReLU``/``nn.LeakyReLU`` module inside the model,
which notes which units were <= 0 on the whole batch; it only looks, so nothing else changes
(the output, the graph, the parameters and the state_dict are the same). ``detach()``
removes those hooks, and ``with GradientFlow(model) as flow:`` detaches on exit;
``track_dead=False`` registers none. An activation belongs to the closest weighted layer
before it in ``model.modules()`` order. Several monitors can watch one model at once: each
has its own hooks.

Missing gradients (a layer the loss does not reach) are recorded as NaN, not 0, so they
cannot be mistaken for a vanished gradient; an exactly-0 norm is a gradient that underflowed.
Norms are computed in float64, so that the squares of tiny float32 gradients (1e-32, as
in a 50-layer sigmoid network) do not underflow to a norm of 0 on the way.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..grad_mode import no_grad
from ..nn.activation import LeakyReLU, ReLU
from ..nn.layers import Linear
from ..nn.module import Module
from ..tensor import Tensor
from ..train import Callback
from .plots import figure_class, plot_gradient_norms

__all__ = ["GradientFlow"]

_DEAD_TYPES = (ReLU, LeakyReLU)
MAX_LINES = 10          # recorded steps drawn by GradientFlow.plot


class _DeadUnitObserver:
    """A forward hook on one activation module: keeps, per unit (last axis), whether the
    output was <= 0 on every sample of the last call."""

    def __init__(self, module: Module) -> None:
        self.dead: np.ndarray | None = None     # bool per unit, from the last call
        self.handle = module.register_forward_hook(self)

    def __call__(self, module: Module, inputs: tuple, out) -> None:
        data = out.data if isinstance(out, Tensor) else np.asarray(out)
        if data.ndim:
            self.dead = np.all(data.reshape(-1, data.shape[-1]) <= 0, axis=0)


class GradientFlow(Callback):
    """Per-layer gradient norms, mean |gradient|, relative updates and dead units.

    model: the network. layers: None (every ``nn.Linear``), or the layers to watch as
    dotted names (``["0", "4"]``), modules, or a ``{label: module}`` dict; each needs a
    ``weight`` parameter. every: as a callback, record steps 1, 1 + every, 1 + 2 every, ...
    track_dead: count dead units after ReLU-type activations (see the module docstring).

    >>> X, y = cr.randn(8, 30), cr.ones(8, 1)
    >>> model = nn.mlp(30, 1, depth=9, width=32)                 # 10 Linear layers
    >>> flow = cr.inspect.GradientFlow(model)
    >>> F.binary_cross_entropy_with_logits(model(X), y).backward(); flow.record()
    >>> f"{flow.grad_norms[-1, 0] / flow.grad_norms[-1, -1]:.1e}"      # first / last layer
    '1.1e-06'
    """

    def __init__(self, model: Module, layers=None, every: int = 1,
                 track_dead: bool = True) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"GradientFlow: model must be a chainrule nn.Module, got "
                            f"{type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientFlow: every must be an int >= 1, got {every!r}")
        self.model = model
        self.every = every
        self._layers = _resolve_layers(model, layers)
        if not self._layers:
            raise ValueError("GradientFlow: the model has no nn.Linear layer to watch; pass "
                             "layers= (names or modules with a .weight)")
        self._observers: list[list[_DeadUnitObserver]] = [[] for _ in self._layers]
        if track_dead:
            self._attach_observers()
        self._steps: list[int] = []
        self._norms: list[np.ndarray] = []
        self._mean_abs: list[np.ndarray] = []
        self._updates: list[np.ndarray] = []
        self._dead: list[np.ndarray] = []
        self._before: list[np.ndarray] | None = None    # weights kept for the update
        self._pending = False                              # this fit step was recorded

    # ------------------------------------------------------------------ wiring
    def _attach_observers(self) -> None:
        modules = {id(m): i for i, (_, m) in enumerate(self._layers)}
        current = None
        for module in self.model.modules():
            if id(module) in modules:
                current = modules[id(module)]
            elif isinstance(module, _DEAD_TYPES) and current is not None:
                self._observers[current].append(_DeadUnitObserver(module))

    def detach(self) -> None:
        """Remove the monitor's hooks from the activation modules (idempotent)."""
        for observers in self._observers:
            for obs in observers:
                obs.handle.remove()
        self._observers = [[] for _ in self._layers]

    def __enter__(self) -> "GradientFlow":
        return self

    def __exit__(self, *exc) -> None:
        self.detach()

    # --------------------------------------------------------------- recording
    def record(self, step: int | None = None) -> None:
        """Measure the gradients now in ``.grad`` (call after ``backward()``), the dead units
        of the last forward pass, and keep a copy of each weight so that ``record_update()``
        after the optimizer's step can measure how far it moved. step labels the row
        (default: 0 for the first record, else the previous label + 1)."""
        if step is None:
            step = self._steps[-1] + 1 if self._steps else 0
        norms, mean_abs = [], []
        for name, layer in self._layers:
            g = layer.weight.grad
            if g is None:
                norms.append(math.nan)
                mean_abs.append(math.nan)
            else:
                arr = np.asarray(g.data, dtype=np.float64)
                norms.append(float(np.linalg.norm(arr)))
                mean_abs.append(float(np.mean(np.abs(arr))))
        self._steps.append(int(step))
        self._norms.append(np.array(norms))
        self._mean_abs.append(np.array(mean_abs))
        self._updates.append(np.full(len(self._layers), math.nan))
        self._dead.append(self._dead_now())
        self._before = [layer.weight.data.astype(np.float64) for _, layer in self._layers]

    def record_update(self) -> None:
        """Fill in the relative update ||W_after - W_before|| / ||W_before|| of the last
        record, W_before being the weights when ``record()`` ran. Call after the step."""
        if self._before is None:
            raise RuntimeError("GradientFlow.record_update: call record() after backward() and "
                               "before the optimizer's step first")
        row = self._updates[-1]
        for i, ((_, layer), before) in enumerate(zip(self._layers, self._before)):
            size = np.linalg.norm(before)
            moved = np.linalg.norm(layer.weight.data.astype(np.float64) - before)
            row[i] = moved / size if size > 0 else math.nan
        self._before = None

    def _dead_now(self) -> np.ndarray:
        out = np.full(len(self._layers), math.nan)
        for i, observers in enumerate(self._observers):
            masks = [o.dead for o in observers if o.dead is not None]
            if masks:
                out[i] = float(np.mean(np.concatenate(masks)))
        return out

    def dead_fractions_on(self, X, batch_size: int | None = None) -> np.ndarray:
        """Per layer, the fraction of units <= 0 on *every* sample of X (a whole data set),
        from forward passes in eval mode without a graph; NaN for layers with no ReLU-type
        activation (or with track_dead=False)."""
        X = X.data if isinstance(X, Tensor) else np.asarray(X)
        if X.ndim == 0 or len(X) == 0:
            raise ValueError(f"GradientFlow.dead_fractions_on: expected samples along axis 0, "
                             f"got an array of shape {X.shape}")
        size = len(X) if batch_size is None else int(batch_size)
        dead = [None] * len(self._layers)
        was_training = self.model.training
        self.model.eval()
        try:
            with no_grad():
                for start in range(0, len(X), size):
                    self.model(Tensor(X[start:start + size]))
                    for i, observers in enumerate(self._observers):
                        if observers and all(o.dead is not None for o in observers):
                            mask = np.concatenate([o.dead for o in observers])
                            dead[i] = mask if dead[i] is None else dead[i] & mask
        finally:
            self.model.train(was_training)
        return np.array([math.nan if d is None else float(np.mean(d)) for d in dead])

    # --------------------------------------------------------- as a callback
    def on_backward_end(self, ctx) -> None:
        step = ctx.history.steps + 1          # this step's number, counted over the whole fit
        self._pending = (step - 1) % self.every == 0
        if self._pending:
            self.record(step)

    def on_step_end(self, ctx) -> None:
        if self._pending:
            self.record_update()
            self._pending = False

    # -------------------------------------------------------------- results
    @property
    def layers(self) -> list[tuple[str, Module]]:
        """The watched layers as (name, module), layer 1 first."""
        return list(self._layers)

    @property
    def layer_names(self) -> list[str]:
        return [name for name, _ in self._layers]

    @property
    def steps(self) -> list[int]:
        """The step label of each recorded row."""
        return list(self._steps)

    def _stack(self, rows: list) -> np.ndarray:
        return np.array(rows) if rows else np.empty((0, len(self._layers)))

    @property
    def grad_norms(self) -> np.ndarray:
        """(recorded steps, layers): ||dL/dW|| per layer, layer 1 first."""
        return self._stack(self._norms)

    @property
    def grad_mean_abs(self) -> np.ndarray:
        return self._stack(self._mean_abs)

    @property
    def relative_updates(self) -> np.ndarray:
        """(recorded steps, layers): ||W_after - W_before|| / ||W_before||; NaN where no
        update was measured (a manual record() without record_update())."""
        return self._stack(self._updates)

    @property
    def dead_fractions(self) -> np.ndarray:
        return self._stack(self._dead)

    def to_dict(self) -> dict:
        """Everything recorded, as plain lists (JSON; NaN marks what was not measured)."""
        def rows(a):
            return [[float(v) for v in row] for row in a]
        return {"layers": self.layer_names, "steps": self.steps,
                "grad_norm": rows(self.grad_norms), "grad_mean_abs": rows(self.grad_mean_abs),
                "relative_update": rows(self.relative_updates),
                "dead_fraction": rows(self.dead_fractions)}

    def table(self, title: str | None = "Gradient flow"):
        """A rich Table, one row per layer: the latest and mean gradient norm, the latest
        mean |g|, relative update and dead fraction."""
        try:
            # rich is optional: imported only when a rich table is made
            from rich.table import Table
        except ImportError:
            raise ImportError("GradientFlow.table needs rich, which is not installed; install "
                              "it with: pip install 'chainrule[demo]'  (or: pip install rich)"
                              ) from None
        if not self._steps:
            raise ValueError("GradientFlow.table: nothing recorded yet; call record() after "
                             "backward() or pass the monitor to fit(callbacks=[...])")
        table = Table(title=title)
        for col in ("#", "layer", "grad norm (latest)", "grad norm (mean)", "mean |g|",
                    "update / weight", "dead units"):
            table.add_column(col, justify="left" if col == "layer" else "right")
        latest_update = _latest_finite(self.relative_updates)
        means = _finite_mean(self.grad_norms)
        for i, name in enumerate(self.layer_names):
            dead = self.dead_fractions[-1, i]
            table.add_row(str(i + 1), name, _fmt(self.grad_norms[-1, i]), _fmt(means[i]),
                          _fmt(self.grad_mean_abs[-1, i]), _fmt(latest_update[i]),
                          "-" if math.isnan(dead) else f"{dead:.0%}")
        return table

    def plot(self, title: str | None = None):
        """A matplotlib Figure: the gradient norm per layer on a log scale, one line per
        recorded step (at most about ten, evenly chosen), lighter to darker with time."""
        # matplotlib is optional: imported only when a figure is drawn
        from matplotlib import colormaps


        if not self._steps:
            raise ValueError("GradientFlow.plot: nothing recorded yet")
        Figure = figure_class()
        fig = Figure(figsize=(7, 4.2), layout="constrained")
        ax = fig.subplots()
        n = len(self._steps)
        pick = sorted(set(np.linspace(0, n - 1, min(n, MAX_LINES)).round().astype(int)))
        cmap = colormaps["viridis"]
        norms = {f"step {self._steps[i]}": self.grad_norms[i] for i in pick}
        colors = [cmap(0.9 * k / max(len(pick) - 1, 1)) for k in range(len(pick))]
        plot_gradient_norms(norms, ax=ax, colors=colors, layer_names=self.layer_names,
                            title=title or "gradient norm per layer, by training step")
        return fig

    def __repr__(self) -> str:
        return (f"GradientFlow({len(self._layers)} layers, {len(self._steps)} recorded steps, "
                f"every={self.every})")


def _resolve_layers(model: Module, layers) -> list[tuple[str, Module]]:
    named = list(model.named_modules())
    if layers is None:
        return [(name or "(model)", m) for name, m in named if isinstance(m, Linear)]
    by_name = dict(named)
    names_of = {id(m): name for name, m in named}
    items: Iterable
    if isinstance(layers, Mapping):
        items = list(layers.items())
    elif isinstance(layers, (str, Module)) or not isinstance(layers, Sequence):
        raise TypeError(f"GradientFlow: layers must be a list of names or modules, or a dict "
                        f"{{label: module}}, got {type(layers).__name__}")
    else:
        items = []
        for item in layers:
            if isinstance(item, str):
                if item not in by_name:
                    raise ValueError(f"GradientFlow: the model has no module named {item!r}; "
                                     f"known names: {', '.join(n for n in by_name if n)}")
                items.append((item, by_name[item]))
            elif isinstance(item, Module):
                items.append((names_of.get(id(item), type(item).__name__), item))
            else:
                raise TypeError(f"GradientFlow: a layer must be a name or a Module, got "
                                f"{type(item).__name__}")
    out = []
    for name, m in items:
        weight = getattr(m, "weight", None) if isinstance(m, Module) else None
        if not isinstance(weight, Tensor):
            raise ValueError(f"GradientFlow: layer {name!r} ({type(m).__name__}) has no weight "
                             "parameter to watch")
        out.append((str(name), m))
    return out


def _latest_finite(a: np.ndarray) -> np.ndarray:
    """Per column, the last finite value (NaN if none)."""
    out = np.full(a.shape[1], math.nan)
    for j in range(a.shape[1]):
        finite = a[np.isfinite(a[:, j]), j]
        if finite.size:
            out[j] = finite[-1]
    return out


def _finite_mean(a: np.ndarray) -> np.ndarray:
    """Per column, the mean of the finite values (NaN if none), without NumPy's
    empty-slice warning."""
    finite = np.isfinite(a)
    count = finite.sum(axis=0)
    total = np.where(finite, a, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), math.nan)


def _fmt(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.3g}" if 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"
