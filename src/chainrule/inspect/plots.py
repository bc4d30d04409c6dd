"""Figures drawn from results, never from inside the code that computes them.

``descent_figure(trajectories)`` draws f with each gradient-descent trajectory on it, one
panel per learning rate: the curve of f for one variable, a contour plot for two, f(x_k)
against k for more. ``save_figure(fig, directory, stem)`` writes it as PNG and SVG.

``plot_history(history)`` draws what ``fit`` recorded (``History.plot()`` calls it);
``plot_gradient_norms`` draws gradient-norm profiles per layer.

matplotlib is an optional extra (``pip install 'chainrule[demo]'``); the figures are built
without pyplot, so no backend is chosen or changed, and they show themselves inline in
Jupyter the first time (``chainrule.display.figure_class``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..display import MatplotlibMissing, figure_class
from ..grad_mode import no_grad
from ..tensor import Tensor
from .. import fileio as _files
from ..i18n import N_, _

__all__ = ["ACTIVATION_COLOURS", "descent_figure", "plot_gradient_norms", "plot_history", "faint_curves", "loss_axes", "save_figure",
           "evaluate_on_grid", "figure_class", "MatplotlibMissing"]

COLORS = {"converged": "#2e7d32", "still crawling": "#1565c0", "oscillating": "#8e24aa",
          "diverged": "#c62828"}
ACTIVATION_COLOURS = {"sigmoid": "#1f77b4", "tanh": "#ff7f0e", "relu": "#2ca02c",
                      "leaky_relu": "#d62728", "sigmoid+skip": "#9467bd"}
"""One colour per activation in every figure (the lab's, the demo's), whatever else is
drawn beside it: matplotlib's tab10 in the vanishing experiment's order."""
DIVERGED_SHOWN = 8       # steps drawn of a diverging trajectory (the panel zooms out to them)
ARROWS = 12              # steps drawn as arrows; later iterates are dots
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_DASHES = ("-", "--", "-.", ":")


# --------------------------------------------------------------------- descent
def descent_figure(trajectories: Sequence, title: str | None = None):
    """f with each trajectory drawn on it, one panel per trajectory (learning rate).

    Takes the Trajectory objects ``cr.descend`` returns (all on the same function) and
    returns a matplotlib Figure.
    """
    if not trajectories:
        raise ValueError("descent_figure: no trajectories to draw")
    n_vars = len(trajectories[0].names)
    if any(len(t.names) != n_vars for t in trajectories):
        raise ValueError("descent_figure: the trajectories have different numbers of variables")
    Figure = figure_class()
    cols = min(len(trajectories), 4)
    rows = -(-len(trajectories) // cols)
    fig = Figure(figsize=(3.9 * cols, 3.5 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).reshape(-1)
    base = base_range(trajectories)
    for ax, t in zip(axes, trajectories):
        if n_vars == 1:
            _panel_1d(ax, t, base)
        elif n_vars == 2:
            _panel_2d(ax, t, base)
        else:
            _panel_steps(ax, t)
    for ax in axes[len(trajectories):]:
        ax.set_visible(False)
    t0 = trajectories[0]
    what = t0.expression if t0.expression is not None else "f"
    fig.suptitle(title or f"gradient descent on f({', '.join(t0.names)}) = {what}, "
                          f"x ← x − lr·f′(x), from {_point(t0.xs[0])}")
    return fig


def steps_taken(t) -> int:
    """How many iterates a panel draws: the finite ones, only the first few of a diverging
    run (a non-finite value can only be the last: descend stops there)."""
    n = int(np.isfinite(t.xs).all(axis=1).sum())
    return min(n, DIVERGED_SHOWN + 1) if t.verdict == "diverged" else n


def _shown(t) -> np.ndarray:
    return t.xs[:steps_taken(t)]


def base_range(trajectories) -> np.ndarray:
    """(lo, hi) per variable covering every trajectory that does not diverge (or the first
    steps of all of them when every one diverges)."""
    kept = [t for t in trajectories if t.verdict != "diverged"] or trajectories
    pts = np.concatenate([_shown(t) if t.verdict != "diverged" else _shown(t)[:4]
                          for t in kept])
    return np.stack([pts.min(axis=0), pts.max(axis=0)], axis=1)


def _range(t, base: np.ndarray) -> np.ndarray:
    pts = _shown(t)
    lo = np.minimum(base[:, 0], pts.min(axis=0))
    hi = np.maximum(base[:, 1], pts.max(axis=0))
    pad = np.where(hi > lo, 0.12 * (hi - lo), 1.0)
    return np.stack([lo - pad, hi + pad], axis=1)


def _title(ax, t) -> None:
    ax.set_title(f"lr = {t.lr:g}: {t.verdict}\n{t.steps} steps, final f = {t.f:.4g}",
                 color=COLORS.get(t.verdict, "black"), fontsize=10)


def _arrows(ax, pts, color, span: float, rad: float) -> None:
    """Arrows for the first steps; steps too short to see (under 3% of the view) stay dots.
    In one variable the arrows bend (rad), so a step back does not hide the step forth."""
    for a, b in zip(pts[:-1][:ARROWS], pts[1:][:ARROWS]):
        if abs(b[0] - a[0]) < 0.03 * span and (len(a) < 2 or rad or np.hypot(*(b - a)) == 0):
            continue
        ax.annotate("", xy=tuple(b), xytext=tuple(a), annotation_clip=False,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=1.0, shrinkA=3,
                                    shrinkB=3, connectionstyle=f"arc3,rad={rad}"))


def _endpoints(ax, pts) -> None:
    """A star at the last point drawn and a hollow square around the start (on top, so an
    iterate that comes back to the start does not hide it)."""
    ax.plot(*pts[-1], marker="*", color="#f9a825", mec="black", ms=11, zorder=5)
    ax.plot(*pts[0], marker="s", mfc="none", mec="black", mew=1.5, ms=9, zorder=6)


def _panel_1d(ax, t, base) -> None:
    (lo, hi), = _range(t, base)
    grid = np.linspace(lo, hi, 400)
    fgrid = evaluate_on_grid(t.function, grid)
    color = COLORS.get(t.verdict, "black")
    ax.plot(grid, fgrid, color="0.35", lw=1.5, zorder=1)
    n = steps_taken(t)
    xs, fs = t.xs[:n, 0], t.fs[:n]
    pts = np.stack([xs, fs], axis=1)
    ax.plot(xs, fs, "o", color=color, ms=3.5, zorder=3)
    _arrows(ax, pts, color, hi - lo, rad=0.2)
    _endpoints(ax, pts)
    finite = fgrid[np.isfinite(fgrid)]
    if finite.size:
        flo, fhi = finite.min(), max(finite.max(), fs[np.isfinite(fs)].max(initial=-np.inf))
        pad = 0.08 * (fhi - flo) if fhi > flo else 1.0
        ax.set_ylim(flo - pad, fhi + pad)
    ax.set_xlim(lo, hi)
    ax.set_xlabel(t.names[0])
    ax.set_ylabel(f"f({t.names[0]})")
    if t.verdict == "diverged" and len(xs) < len(t.xs):
        ax.text(0.5, 0.02, f"first {len(xs) - 1} of {t.steps} steps shown",
                transform=ax.transAxes, ha="center", fontsize=8, color=color)
    _title(ax, t)


def _panel_2d(ax, t, base) -> None:
    (xlo, xhi), (ylo, yhi) = _range(t, base)
    gx, gy = np.meshgrid(np.linspace(xlo, xhi, 120), np.linspace(ylo, yhi, 120))
    fgrid = evaluate_on_grid(t.function, gx, gy)
    finite = fgrid[np.isfinite(fgrid)]
    if finite.size and finite.max() > finite.min():
        levels = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, 16) ** 2))
        ax.contour(gx, gy, fgrid, levels=levels, cmap="viridis", linewidths=0.8)
    color = COLORS.get(t.verdict, "black")
    pts = _shown(t)
    ax.plot(pts[:, 0], pts[:, 1], "-o", color=color, ms=3, lw=0.8, zorder=3)
    _arrows(ax, pts, color, xhi - xlo, rad=0.0)
    _endpoints(ax, pts)
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_xlabel(t.names[0])
    ax.set_ylabel(t.names[1])
    _title(ax, t)


def _panel_steps(ax, t) -> None:
    color = COLORS.get(t.verdict, "black")
    ax.plot(np.arange(len(t.fs)), t.fs, "o-", color=color, ms=3, lw=1)
    finite = np.abs(t.fs[np.isfinite(t.fs)])
    if finite.size and finite.max() > 100 * max(finite.min(), 1e-300):
        ax.set_yscale("symlog", linthresh=max(finite.min(), 1e-12))
    ax.set_xlabel("step k")
    ax.set_ylabel("f(x_k)")
    _title(ax, t)


# ----------------------------------------------------------------------- tools
def evaluate_on_grid(function, *grids) -> np.ndarray:
    """function (on tensors, one per variable) at every point of the grids, elementwise at
    once when it allows, else point by point."""
    grids = [np.asarray(g, dtype=np.float64) for g in grids]
    with no_grad(), np.errstate(all="ignore"):
        try:
            out = function(*[Tensor(g) for g in grids])
            if isinstance(out, Tensor) and out.shape == grids[0].shape:
                return np.asarray(out.data, dtype=np.float64)
        except Exception:   # a function written for scalars only: go point by point
            pass
        flat = [g.reshape(-1) for g in grids]
        values = [float(function(*[Tensor(np.asarray(v)) for v in point]).item())
                  for point in zip(*flat)]
    return np.array(values).reshape(grids[0].shape)


def save_figure(fig, directory, stem: str, formats: Sequence[str] = ("png", "svg"),
                dpi: int = 120) -> list:
    """Write fig as directory/stem.png and .svg (atomically); returns the paths."""
    directory = Path(directory)
    return [_files.save_figure(fig, directory / f"{stem}.{fmt}", dpi=dpi) for fmt in formats]


def _point(x) -> str:
    x = np.asarray(x).reshape(-1)
    return f"{x[0]:g}" if len(x) == 1 else "(" + ", ".join(f"{v:g}" for v in x) + ")"


# -------------------------------------------------------------- gradient flow
def plot_gradient_norms(norms: Mapping[str, Sequence[float]], *, ax=None, title: str | None =
                        None, colors: Sequence | None = None, layer_names: Sequence[str] | None
                        = None, ylabel: str = N_("‖∂L/∂W‖ (log scale)")):
    """Several gradient-norm profiles on one log-scale figure: ``{label: [norm of layer 1,
    layer 2, ...]}``, e.g. one network per activation. The x axis is the layer, 1 = next to
    the input. A norm of exactly 0 (a gradient that underflowed) cannot sit on a log axis: it
    is drawn as a downward triangle on the bottom edge. Draws into ax if given; returns the
    Figure."""
    if not norms:
        raise ValueError("plot_gradient_norms: no profiles to draw")
    if ax is None:
        fig = figure_class()(figsize=(7, 4.2), layout="constrained")
        ax = fig.subplots()
    fig = ax.figure
    # matplotlib is optional: its modules are imported only when a figure is drawn
    from matplotlib.transforms import blended_transform_factory
    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    longest = 0
    zero_labelled = any_positive = False
    for k, (label, values) in enumerate(norms.items()):
        v = np.asarray(values, dtype=np.float64)
        longest = max(longest, len(v))
        x = np.arange(1, len(v) + 1)
        color = colors[k] if colors is not None else f"C{k % 10}"
        shown = np.where(v > 0, v, np.nan)
        any_positive = any_positive or bool(np.any(v > 0))
        # Profiles that coincide (ReLU and Leaky ReLU often do) stay visible: each of a
        # few gets its own marker and dash pattern; many (steps, coloured along a colour
        # map) are told apart by colour alone.
        style = (dict(marker=_MARKERS[k % len(_MARKERS)], ls=_DASHES[k % len(_DASHES)])
                 if colors is None or len(norms) <= 6 else dict(marker="o", ls="-"))
        ax.plot(x, shown, ms=4, lw=1.6, color=color, label=label, **style)
        zeros = x[v == 0]
        if zeros.size:
            ax.plot(zeros, np.full(zeros.size, 0.02), "v", ms=7, color=color,
                    transform=bottom, clip_on=False,
                    label=None if zero_labelled else _("exactly 0 (underflow)"))
            zero_labelled = True
    if any_positive:
        ax.set_yscale("log")
    ax.set_xlabel(_("layer (1 = next to the input)"))
    ax.set_ylabel(_(ylabel))        # the default's translation; a caller's own text as given
    if layer_names is not None and len(layer_names) <= 16:
        ax.set_xticks(np.arange(1, len(layer_names) + 1))
    elif longest <= 16:
        ax.set_xticks(np.arange(1, longest + 1))
    else:
        # (matplotlib: imported when drawn, as above)
        from matplotlib.ticker import MaxNLocator
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, which="major", alpha=0.3)
    if title:
        ax.set_title(title)
    if len(norms) > 6:       # many lines (steps): keep the legend off the data
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:
        ax.legend(fontsize=8)
    return fig


def faint_curves(ax, curves, color, start: int = 1, positive: bool = False, **style) -> None:
    """Curves drawn thin and pale, each against its index counted from ``start``: the other
    seeds behind the first one's, so a spread is seen without hiding the curve described.
    NaN and inf are gaps; so are values <= 0 when ``positive`` (a log axis).
    ``style``: matplotlib keywords (``ls``, ``alpha`` ...) over the pale default."""
    style = {"lw": 0.8, "alpha": 0.3, **style}
    for curve in curves:
        y = np.asarray(curve, dtype=np.float64)
        shown = np.isfinite(y) & (y > 0) if positive else np.isfinite(y)
        if len(y):
            ax.plot(np.arange(start, start + len(y)), np.where(shown, y, np.nan), color=color,
                    **style)


def loss_axes(ax, heading: str, ylabel: str | None = N_("training loss, BCE (log scale)"),
              **legend) -> None:
    """The lab's loss-per-epoch axes: log scale, labels, grid, legend (``legend`` holds
    keyword arguments for it; font size 9 unless given)."""
    from matplotlib.ticker import MaxNLocator
    ax.set_yscale("log")
    ax.set_xlabel(_("epoch"))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # no epoch 1.5
    if ylabel:
        ax.set_ylabel(_(ylabel))    # the default's translation; a caller's own text as given
    ax.set_title(heading)
    ax.grid(alpha=0.3, which="both")
    ax.legend(**{"fontsize": 9, **legend})


# -------------------------------------------------------------------- history
def plot_history(history, title: str | None = None):
    """What ``fit`` recorded, per epoch: the losses (training, on the whole training set,
    validation) on a log scale when they are all positive, and the metrics (accuracy ...)
    in a second panel when there are any. Returns the Figure.

    >>> cr.inspect.plot_history(history)        # or history.plot()  # doctest: +SKIP
    """
    if not history.epochs:
        raise ValueError("plot_history: the history has no finished epoch to draw")
    names = history.quantities()
    losses = [k for k in names if "loss" in k]
    metrics = [k for k in names if "loss" not in k]
    Figure = figure_class()
    fig = Figure(figsize=(9.5 if metrics else 6, 3.6), layout="constrained")
    axes = fig.subplots(1, 2 if metrics else 1, squeeze=False)[0]
    epochs = history["epoch"]
    for ax, keys, ylabel in ((axes[0], losses, "loss"), (axes[-1], metrics, "metric")):
        if not keys:        # (no metrics: one panel, axes[-1] is the loss panel)
            continue
        for k in keys:
            ax.plot(epochs, history[k], marker="o" if len(epochs) <= 30 else None, ms=3,
                    label=k)
        values = np.array([history[k] for k in keys], dtype=np.float64)
        if ylabel == "loss" and np.all(values[np.isfinite(values)] > 0):
            ax.set_yscale("log")
            ylabel = "loss (log scale)"
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(title or f"training: {repr(history).splitlines()[0].removeprefix('History: ')}",
                 fontsize=10)
    return fig
