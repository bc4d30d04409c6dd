"""Figures are drawn from results (trajectories) and written as non-empty PNG and SVG."""
from __future__ import annotations

import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.descent import descend
from chainrule.inspect import plots

pytest.importorskip("matplotlib", reason="figures need matplotlib (chainrule[demo])")


def _check_files(paths, tmp_path, stem):
    assert [p.name for p in paths] == [f"{stem}.png", f"{stem}.svg"]
    png, svg = paths
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "<svg" in svg.read_text()[:2000]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{stem}.png", f"{stem}.svg"]


def test_one_variable_one_panel_per_learning_rate(tmp_path):
    runs = [descend("x**2 + 2*x", 5.0, lr) for lr in (0.01, 0.1, 1.0, 1.1)]
    fig = plots.descent_figure(runs)
    titles = [ax.get_title() for ax in fig.axes]
    assert [t.split("\n")[0] for t in titles] == [
        "lr = 0.01: still crawling", "lr = 0.1: converged", "lr = 1: oscillating",
        "lr = 1.1: diverged"]
    _check_files(plots.save_figure(fig, tmp_path, "descend"), tmp_path, "descend")


def test_two_variables_draw_contours(tmp_path):
    runs = [descend("x**2 + 10*y**2", (3.0, 1.0), lr) for lr in (0.01, 0.09)]
    fig = plots.descent_figure(runs)
    assert [ax.get_xlabel() for ax in fig.axes] == ["x", "x"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["y", "y"]
    assert all(ax.collections for ax in fig.axes)            # the contour lines
    _check_files(plots.save_figure(fig, tmp_path, "two"), tmp_path, "two")


def test_more_variables_plot_f_against_the_step():
    fig = plots.descent_figure([descend("x**2 + y**2 + z**2", (1.0, 2.0, 3.0), 0.1)])
    assert fig.axes[0].get_xlabel() == "step k"


def test_evaluate_on_grid_goes_point_by_point_for_scalar_only_functions():
    def scalar_only(x):
        return x * float(x.item())          # .item() fails on a whole grid
    grid = np.linspace(-1, 1, 5)
    np.testing.assert_allclose(plots.evaluate_on_grid(scalar_only, grid), grid ** 2)
    np.testing.assert_allclose(plots.evaluate_on_grid(lambda x: cr.exp(x), grid), np.exp(grid))


def test_a_clear_message_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)   # import fails
    with pytest.raises(plots.MatplotlibMissing, match=r"pip install 'chainrule\[demo\]'"):
        plots.descent_figure([descend("x**2", 1.0, 0.1)])


def test_refuses_nothing_to_draw():
    with pytest.raises(ValueError, match="no trajectories"):
        plots.descent_figure([])


# ------------------------------------------------ figures in Jupyter (issue 13)
def _is_png(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_every_figure_draws_itself_as_png_without_pyplot():
    # IPython shows an object with _repr_png_ whether or not pyplot was imported (the
    # inline backend registers its own formatter only on pyplot's import); the notebook
    # test checks it in a real kernel.
    from chainrule import nn
    fig = plots.descent_figure([descend("x**2", 1.0, 0.1)])
    assert _is_png(fig._repr_png_())
    model = nn.mlp(2, 1, depth=2, width=4)
    flow = cr.inspect.GradientFlow(model)
    model(cr.randn(8, 2)).sum().backward()
    flow.record()
    assert _is_png(flow.plot()._repr_png_())
    assert _is_png(plots.plot_gradient_norms({"a": [1.0, 0.1]})._repr_png_())
    assert isinstance(fig, plots.figure_class()) and plots.figure_class() is plots.figure_class()
