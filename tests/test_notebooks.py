"""The example notebooks run top to bottom in a fresh Jupyter kernel, and what a notebook
shows is what a student should see: figures as images the first time, a progress bar, a
short History (issue 13). Needs nbclient, nbformat and ipykernel (the test extra)."""
from __future__ import annotations

import base64
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tests need nbformat")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need nbclient")
pytest.importorskip("ipykernel", reason="notebook tests need ipykernel")
pytest.importorskip("matplotlib", reason="the notebooks draw figures (chainrule[demo])")

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def a_students_kernel(monkeypatch):
    # CI sets MPLBACKEND=Agg; a student's kernel has the inline backend. Either way the
    # figures must show, so the kernel gets the student's setting.
    monkeypatch.delenv("MPLBACKEND", raising=False)


def run(nb, cwd) -> object:
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def outputs(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type in ("display_data",
                                                                     "execute_result")]


def pngs(cell) -> list:
    return [base64.b64decode(o.data["image/png"]) for o in outputs(cell)
            if "image/png" in o.data]


def test_there_are_example_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"vanishing_gradient", "backprop_by_hand"}


FIGURES = {"vanishing_gradient": 5, "backprop_by_hand": 0}    # figures each one draws


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_every_figure_shows(path, tmp_path):
    nb = run(nbformat.read(path, as_version=4), tmp_path)     # raises on any cell's error
    figures = [o for c in nb.cells if c.cell_type == "code" for o in outputs(c)
               if o.data.get("text/plain", "").startswith("<Figure size")]
    for o in figures:       # an image, never the bare "<Figure size 700x420 with 1 Axes>"
        assert "image/png" in o.data, o.data["text/plain"]
        png = base64.b64decode(o.data["image/png"])
        assert png.startswith(PNG) and len(png) > 10_000
    assert len(figures) >= FIGURES.get(path.stem, 0)


def test_a_fresh_kernel_shows_figures_progress_and_a_short_history(tmp_path):
    cells = [
        # nothing imported pyplot: the first figure must still be an image
        "import chainrule as cr\nfrom chainrule import nn\nimport chainrule.nn.functional as F\n"
        "cr.manual_seed(0)\nmodel = nn.mlp(2, 1, depth=3, width=8)\n"
        "flow = cr.inspect.GradientFlow(model)\nX, y = cr.datasets.moons(n=64, seed=0)\n"
        "F.binary_cross_entropy_with_logits(model(cr.tensor(X)), y.reshape(-1, 1)).backward()\n"
        "flow.record()\nflow.plot()",
        "import sys; 'matplotlib.pyplot' in sys.modules",
        "h = cr.train.fit(model, F.binary_cross_entropy_with_logits, "
        "cr.optim.Adam(model.parameters(), lr=0.05), (X, y), 12, batch_size=16, "
        "metrics={'accuracy': cr.train.accuracy}, "
        "callbacks=[cr.inspect.DecisionBoundary(X, y, every=5)])\nh",
        "h.plot()",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb = run(nb, tmp_path)
    first, pyplot, fit, plot = nb.cells
    assert len(pngs(first)) == 1 and pngs(first)[0].startswith(PNG)
    assert outputs(pyplot)[0].data["text/plain"] == "False"   # shown without pyplot
    shown = outputs(fit)
    # the decision boundary: one figure, redrawn in place (epochs 0, 5, 10, 12)
    assert sum("image/png" in o.data for o in shown) == 1
    assert shown[0].data["text/plain"].startswith("<Figure")
    bar = [o for o in shown if "<progress" in o.data.get("text/html", "")]
    assert len(bar) == 1 and bar[0].data["text/plain"].startswith("epoch 12/12  loss ")
    assert '<progress value="12" max="12"' in bar[0].data["text/html"]
    history = shown[-1]
    assert history.output_type == "execute_result"
    assert history.data["text/plain"].startswith("History: 12 epochs, 48 steps, ")
    assert len(history.data["text/plain"].splitlines()) == 4       # not 48 step losses
    assert history.data["text/html"].startswith("<table><caption>History: 12 epochs")
    assert len(pngs(plot)) == 1
