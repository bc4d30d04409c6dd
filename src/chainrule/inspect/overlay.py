"""Several descents on one figure: the optimizers' paths on one contour plot (two
variables) or on one curve (one variable), so that their shapes can be compared.

``plots.descent_figure`` gives each learning rate a panel of its own; here every
trajectory (``cr.descend(..., optimizer=...)``'s, all on the same function from the same
start) shares one axes, each in its own colour, with the start, each end and the
function's values (a colour bar) in the legend.

>>> runs = [cr.descend("x**2/100 + y**2", (-9, 1.5), lr, optimizer=name)
...         for name, lr in [("sgd", 0.9), ("adam", 0.3)]]
>>> fig = overlay_figure(runs)                      # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..i18n import _
from .plots import base_range, steps_taken, evaluate_on_grid, figure_class

__all__ = ["overlay_figure", "PATH_COLORS"]

# One colour per path, away from the grey contours: red, orange, green, blue, ...
PATH_COLORS = ("#d62728", "#ff7f0e", "#2ca02c", "#1f77b4", "#9467bd", "#8c564b", "#e377c2")
_STYLES = ("-", "-", "-", "-", "--", "--", "--")
LEVELS = 14             # contour levels


def overlay_figure(trajectories: Sequence, title: str | None = None, ax=None,
                   labels: Sequence[str] | None = None):
    """Every trajectory on one axes: on the curve of f (one variable), on one contour
    plot with a colour bar (two), or f(x_k) against k (more). ``labels`` replace the
    legend's default entries (optimizer, lr, verdict, steps, final f). Draws into ``ax``
    if given; returns the Figure."""
    if not trajectories:
        raise ValueError("overlay_figure: no trajectories to draw")
    n_vars = len(trajectories[0].names)
    if any(len(t.names) != n_vars for t in trajectories):
        raise ValueError("overlay_figure: the trajectories have different numbers of variables")
    labels = [_label(t) for t in trajectories] if labels is None else list(labels)
    if len(labels) != len(trajectories):
        raise ValueError(f"overlay_figure: {len(labels)} labels for {len(trajectories)} "
                         "trajectories")
    if ax is None:
        fig = figure_class()(figsize=(8.4, 6.2), layout="constrained")
        ax = fig.subplots()
    if n_vars == 1:
        _on_curve(ax, trajectories, labels)
    elif n_vars == 2:
        _on_contours(ax, trajectories, labels)
    else:
        _against_steps(ax, trajectories, labels)
    t0 = trajectories[0]
    what = t0.expression if t0.expression is not None else "f"
    ax.set_title(title or f"f({', '.join(t0.names)}) = {what}: {t0.max_steps} steps at most "
                          f"from {_point(t0.xs[0])}", fontsize=10)
    return ax.figure


def _label(t) -> str:
    return f"{t.label}: {t.verdict}, {t.steps} steps, f = {t.f:.3g}"


def _style(i: int) -> dict:
    return dict(color=PATH_COLORS[i % len(PATH_COLORS)], ls=_STYLES[i % len(_STYLES)])


def _legend(ax) -> None:
    """Below the axes, so that it hides no path; two columns unless the labels are long."""
    longest = max(len(t) for t in ax.get_legend_handles_labels()[1])
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=2 if longest <= 60 else 1, frameon=False)


def _z(i: int, n: int) -> float:
    """The first path on top: the others tend to be the ones that swing wide."""
    return 3 + (n - i) / (n + 1)


def _markers(ax, trajectories, points) -> None:
    """A hollow square at the (shared) start, a star at each path's end, and the two
    marker kinds in the legend once."""
    for i, pts in enumerate(points):
        ax.plot(*pts[-1], marker="*", ms=13, mec="black", mew=0.6, ls="none", zorder=6,
                color=_style(i)["color"])
    for pts in {tuple(p[0]) for p in points}:
        ax.plot(*pts, marker="s", mfc="none", mec="black", mew=1.6, ms=10, ls="none",
                zorder=7)
    ax.plot([], [], marker="s", mfc="none", mec="black", mew=1.6, ms=9, ls="none",
            label=_("start"))
    ax.plot([], [], marker="*", color="white", mec="black", ms=12, ls="none",
            label=_("end (the path's colour)"))


def _limits(trajectories) -> np.ndarray:
    """(lo, hi) per variable: every path that does not diverge, padded."""
    base = base_range(trajectories)
    lo, hi = base[:, 0], base[:, 1]
    pad = np.where(hi > lo, 0.08 * (hi - lo), 1.0)
    return np.stack([lo - pad, hi + pad], axis=1)


def _on_curve(ax, trajectories, labels) -> None:
    (lo, hi), = _limits(trajectories)
    grid = np.linspace(lo, hi, 400)
    fgrid = evaluate_on_grid(trajectories[0].function, grid)
    ax.plot(grid, fgrid, color="0.45", lw=1.6, zorder=1, label="f")
    points = []
    for i, t in enumerate(trajectories):
        n = steps_taken(t)
        pts = np.stack([t.xs[:n, 0], t.fs[:n]], axis=1)
        ax.plot(pts[:, 0], pts[:, 1], marker="o", ms=3, lw=1.0, alpha=0.9,
                zorder=_z(i, len(trajectories)), label=labels[i], **_style(i))
        points.append(pts)
    _markers(ax, trajectories, points)
    finite = fgrid[np.isfinite(fgrid)]
    if finite.size and finite.max() > finite.min():
        pad = 0.06 * (finite.max() - finite.min())
        ax.set_ylim(finite.min() - pad, finite.max() + pad)
    ax.set_xlim(lo, hi)
    ax.set_xlabel(trajectories[0].names[0])
    ax.set_ylabel(f"f({trajectories[0].names[0]})")
    ax.grid(alpha=0.3)
    _legend(ax)


def _on_contours(ax, trajectories, labels) -> None:
    (xlo, xhi), (ylo, yhi) = _limits(trajectories)
    gx, gy = np.meshgrid(np.linspace(xlo, xhi, 240), np.linspace(ylo, yhi, 240))
    fgrid = evaluate_on_grid(trajectories[0].function, gx, gy)
    finite = fgrid[np.isfinite(fgrid)]
    if finite.size and finite.max() > finite.min():
        levels = _levels(finite)
        filled = ax.contourf(gx, gy, fgrid, levels=levels, cmap="Greys", alpha=0.5,
                             extend="both")
        ax.contour(gx, gy, fgrid, levels=levels, colors="0.45", linewidths=0.5)
        bar = ax.figure.colorbar(filled, ax=ax, shrink=0.85, format="%.2g")
        bar.set_label(f"f({', '.join(trajectories[0].names)})")
    points = []
    for i, t in enumerate(trajectories):
        pts = t.xs[:steps_taken(t)]
        ax.plot(pts[:, 0], pts[:, 1], marker="o", ms=2.5, lw=1.2, alpha=0.95,
                zorder=_z(i, len(trajectories)), label=labels[i], **_style(i))
        points.append(pts)
    _markers(ax, trajectories, points)
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    names = trajectories[0].names
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    _legend(ax)


def _levels(values: np.ndarray) -> np.ndarray:
    """Contour levels: spaced by ratios above f's minimum when f spans decades (a valley
    is drawn down to its floor), else evenly."""
    low, high = float(values.min()), float(values.max())
    floor = float(np.quantile(values, 0.002)) - low
    if high - low > 1000 * max(floor, 1e-300) or floor <= 0:
        floor = (high - low) * 1e-4
    if high - low > 100 * floor:
        return low + np.geomspace(floor, high - low, LEVELS)
    return np.linspace(low, high, LEVELS)


def _against_steps(ax, trajectories, labels) -> None:
    for i, t in enumerate(trajectories):
        n = steps_taken(t)
        ax.plot(np.arange(n), t.fs[:n], marker="o", ms=2.5, lw=1.2, label=labels[i],
                **_style(i))
    values = np.concatenate([t.fs[:steps_taken(t)] for t in trajectories])
    values = values[np.isfinite(values)]
    if values.size and values.min() > 0 and values.max() > 100 * values.min():
        ax.set_yscale("log")
    ax.set_xlabel("step k")
    ax.set_ylabel("f(x_k)")
    ax.grid(alpha=0.3)
    _legend(ax)


def _point(x) -> str:
    x = np.asarray(x).reshape(-1)
    return f"{x[0]:g}" if len(x) == 1 else "(" + ", ".join(f"{v:g}" for v in x) + ")"
