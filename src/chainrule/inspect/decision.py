"""The decision boundary of a classifier on 2-D data, and a ``fit`` callback that redraws it
while the network trains (in place, in a notebook cell).

>>> X, y = cr.datasets.moons(n=200, noise=0.1, seed=0)
>>> model = nn.mlp(2, 1, depth=2, width=16, activation="tanh")
>>> fig = cr.inspect.plot_decision_boundary(model, X, y)    # a Figure; shows in Jupyter
>>> opt = cr.optim.Adam(model.parameters(), lr=0.01)
>>> live = cr.inspect.DecisionBoundary(X, y, every=20)
>>> history = cr.train.fit(model, F.binary_cross_entropy_with_logits, opt, (X, y), 200,
...                        callbacks=[live])
"""
from __future__ import annotations

import numpy as np

from ..display import LiveDisplay, figure_class
from ..grad_mode import no_grad
from ..ops.activation import sigmoid_array
from ..tensor import Tensor
from ..train import Callback, accuracy, binary_threshold, output_kind

__all__ = ["plot_decision_boundary", "DecisionBoundary"]

BINARY_CMAP = "RdBu_r"       # class 0 blue, class 1 red; white where the model is unsure
CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf")


def _points(X, y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=np.float64)
    y = np.asarray(y.data if isinstance(y, Tensor) else y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (N, 2), two features to "
                         f"draw on the plane, got shape {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"plot_decision_boundary: {len(X)} points but {len(y)} labels "
                         f"(y of shape {y.shape})")
    if len(X) == 0:
        raise ValueError("plot_decision_boundary: no points to draw")
    return X, y


def _predict(model, points: np.ndarray, dtype) -> np.ndarray:
    """The model's outputs on points, in eval mode, without a graph."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            out = model(Tensor(points.astype(dtype)))
    finally:
        if was_training and hasattr(model, "train"):
            model.train()
    out = np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)
    return out.reshape(len(points), -1)


def plot_decision_boundary(model, X, y, *, ax=None, resolution: int = 150,
                           from_logits: bool | None = None, title: str | None = None,
                           margin: float = 0.1):
    """The plane coloured by what model predicts, with the points (X, y) on it.

    X: (N, 2) points, y: (N,) labels. A binary model (one output column) is drawn as the
    probability of class 1, blue (0) through white (0.5) to red (1), with the boundary p = 0.5
    as a black line; a model with C > 1 outputs as the arg-max class per region. Logits or
    probabilities are told as in ``cr.train.accuracy``: ``from_logits``, else the model's
    last layer (``nn.mlp`` ends in a Linear: logits), else the values. The title gives the
    accuracy on (X, y). Draws into ax if given; returns the Figure (it shows itself in
    Jupyter).

    >>> fig = cr.inspect.plot_decision_boundary(model, X, y)  # doctest: +SKIP
    """
    X, y = _points(X, y)
    if not isinstance(resolution, int) or isinstance(resolution, bool) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be an int >= 2, got "
                         f"{resolution!r}")
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = np.where(hi > lo, margin * (hi - lo), 1.0)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    dtype = _input_dtype(model)
    grid_out = _predict(model, np.stack([gx.ravel(), gy.ravel()], axis=1), dtype)
    data_out = _predict(model, X, dtype)
    if from_logits is None:
        from_logits = output_kind(model, None)

    if ax is None:
        fig = figure_class()(figsize=(5.2, 4.4), layout="constrained")
        ax = fig.subplots()
    fig = ax.figure
    if grid_out.shape[1] == 1:
        cut = binary_threshold(np.concatenate([grid_out, data_out]), None, from_logits)
        logits = cut == 0.0
        p = sigmoid_array(grid_out[:, 0]) if logits else grid_out[:, 0]
        filled = ax.contourf(gx, gy, p.reshape(gx.shape), levels=np.linspace(0, 1, 11),
                             cmap=BINARY_CMAP, alpha=0.75)
        ax.contour(gx, gy, p.reshape(gx.shape), levels=[0.5], colors="black", linewidths=1.2)
        fig.colorbar(filled, ax=ax, label="P(class 1)", ticks=[0, 0.25, 0.5, 0.75, 1])
        acc = accuracy(data_out, y, from_logits=logits)
        colors = _binary_colors(y)
    else:
        classes = grid_out.argmax(axis=1).reshape(gx.shape)
        k = grid_out.shape[1]
        # matplotlib is optional: imported only when a figure is drawn
        from matplotlib.colors import ListedColormap
        cmap = ListedColormap([CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)])
        ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.3)
        acc = accuracy(data_out, y)
        colors = [CLASS_COLORS[int(c) % len(CLASS_COLORS)] for c in y]
    ax.scatter(X[:, 0], X[:, 1], c=colors, s=16, edgecolors="black", linewidths=0.5, zorder=3)
    ax.set_xlim(gx.min(), gx.max())
    ax.set_ylim(gy.min(), gy.max())
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(f"{title + ': ' if title else 'decision boundary: '}accuracy {acc:.1%}",
                 fontsize=10)
    return fig


def _binary_colors(y: np.ndarray) -> list:
    # matplotlib is optional: imported only when a figure is drawn
    from matplotlib import colormaps
    cmap = colormaps[BINARY_CMAP]
    return [cmap(0.92) if v > 0.5 else cmap(0.08) for v in y.astype(np.float64)]


def _input_dtype(model):
    """The dtype of the model's first parameter (float32 unless the model says otherwise)."""
    for p in getattr(model, "parameters", lambda: [])():
        return p.data.dtype
    return np.float32


class DecisionBoundary(Callback):
    """A ``fit`` callback that redraws ``plot_decision_boundary`` every ``every`` epochs
    (and at the start and the end). In Jupyter the drawing is one figure in the cell's
    output, updated in place; elsewhere the latest Figure is kept in ``.figure``.

    >>> cr.train.fit(model, loss_fn, opt, (X, y), 300,  # doctest: +SKIP
    ...              callbacks=[cr.inspect.DecisionBoundary(X, y, every=25)])
    """

    def __init__(self, X, y, every: int = 10, **options) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"DecisionBoundary: every must be an int >= 1, got {every!r}")
        self.X, self.y = _points(X, y)
        self.every = every
        self.options = {"resolution": 100, **options}
        self.epochs_drawn: list[int] = []
        self._live = LiveDisplay()
        self._last_epoch = None

    @property
    def figure(self):
        """The latest drawing (None before training starts)."""
        return self._live.latest

    def draw(self, model, epoch: int) -> None:
        fig = plot_decision_boundary(model, self.X, self.y, title=f"epoch {epoch}",
                                     **self.options)
        self._live.show(fig)
        self.epochs_drawn.append(epoch)

    def on_train_begin(self, ctx) -> None:
        self.draw(ctx.model, ctx.history.epochs[-1]["epoch"] if ctx.history.epochs else 0)

    def on_epoch_end(self, ctx) -> None:
        self._last_epoch = ctx.epoch
        if ctx.epoch % self.every == 0:
            self.draw(ctx.model, ctx.epoch)

    def on_train_end(self, ctx) -> None:
        if self._last_epoch is not None and self.epochs_drawn[-1] != self._last_epoch:
            self.draw(ctx.model, self._last_epoch)
