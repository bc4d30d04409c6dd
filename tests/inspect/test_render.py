"""The renderers: text, DOT, SVG (with and without Graphviz), JSON, HTML, files."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule import inspect
from chainrule.inspect import render


@pytest.fixture
def example():
    x, y, z = (cr.tensor(v, dtype=cr.float64, requires_grad=True, name=n)
               for v, n in ((3.0, "x"), (-4.0, "y"), (5.0, "z")))
    return inspect.trace((x + y) * z)


@pytest.fixture
def no_graphviz(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)


def test_text_is_aligned_and_shows_each_step(example):
    text = example.text(title="f = (x + y) * z")
    lines = text.splitlines()
    assert lines[:3] == ["f = (x + y) * z", "value: f = -5",
                         "gradients: df/dx = 5, df/dy = 5, df/dz = -1"]
    assert "  #3  add  add(#1, #2)  -1" in lines
    steps = [line.split() for line in lines if "->" in line]
    assert steps == [["->", "#3", "add", "upstream", "1", "x", "local", "5", "=", "5"],
                     ["->", "#4", "z", "upstream", "1", "x", "local", "-1", "=", "-1"],
                     ["->", "#1", "x", "upstream", "5", "x", "local", "1", "=", "5"],
                     ["->", "#2", "y", "upstream", "5", "x", "local", "1", "=", "5"]]
    arrows = {line.index("->") for line in lines if "->" in line}
    equals = {line.index(" = ") for line in lines if "->" in line}
    assert len(arrows) == 1 and len(equals) == 1      # columns line up
    assert str(example) == example.text()


def test_describe_summarises_tensors():
    assert render.describe(np.array(2.5)) == "2.5"
    assert render.describe(np.array(-0.0)) == "0"
    assert render.describe(np.array([1.0, 2.0])) == "[1, 2]"
    assert render.describe(np.arange(10.0)) == "mean 4.5, min 0, max 9"
    assert render.describe(np.full((3, 3), 0.5)) == "all 0.5"
    assert render.describe(np.array([1.0, np.nan, 3.0, 4.0, 5.0])) == \
        "mean 3.25, min 1, max 5 (1 non-finite)"


def test_dot_has_every_node_and_edge_with_the_backward_step(example):
    dot = example.dot()
    assert dot.startswith("digraph chainrule {") and dot.rstrip().endswith("}")
    for i in range(1, 6):
        assert f"  n{i} [" in dot
    for a, b in ((1, 3), (2, 3), (3, 5), (4, 5)):
        assert f"  n{a} -> n{b} [" in dot
    assert "1 × 5 = 5" in dot and "5 × 1 = 5" in dot and "grad -1" in dot


def test_json_is_serialisable_and_complete(example):
    data = json.loads(example.json())
    assert data["root"] == 5 and data["value"] == -5.0 and data["order"] == [5, 4, 3, 2, 1]
    assert data["gradients"] == {"x": 5.0, "y": 5.0, "z": -1.0}
    assert data["nodes"][2] == {"id": 3, "label": "add", "kind": "op", "op": "add",
                                "shape": [], "value": -1.0, "grad": 5.0, "parents": [1, 2]}
    assert data["edges"][0] == {"output": 5, "input": 3, "slot": 0, "upstream": 1.0,
                                "local": 5.0, "contribution": 5.0}


def test_json_of_tensors_and_non_finite_values():
    v = cr.tensor(np.array([1.0, -1.0, 2.0, 0.0, 4.0]), requires_grad=True, name="v")
    data = json.loads(inspect.trace(v.log().sum()).json())
    log_node = data["nodes"][1]
    assert log_node["value"]["shape"] == [5] and log_node["value"]["non_finite"] == 2
    assert data["value"] == "nan"
    assert data["edges"][1]["local"] == {"jacobian": [5, 5]}


def test_html_table(example):
    html = example.html()
    assert html.startswith("<table>") and html.count("<tr>") == 6
    assert "#5 mul" in html and "1 × 5 = 5" in html


def test_svg_without_graphviz_writes_the_dot_and_says_how_to_get_it(example, tmp_path,
                                                                     no_graphviz):
    with pytest.raises(inspect.GraphvizNotFound, match="apt-get install graphviz"):
        example.svg()
    with pytest.raises(inspect.GraphvizNotFound, match="dot -Tsvg"):
        example.save(tmp_path / "g.svg")
    assert (tmp_path / "g.dot").read_text() == example.dot()
    assert not (tmp_path / "g.svg").exists()
    assert example._repr_svg_() is None
    assert example._repr_html_() == example.html()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_with_graphviz(example, tmp_path):
    written = example.save(tmp_path / "g.svg")
    assert [p.name for p in written] == ["g.dot", "g.svg"]
    svg = (tmp_path / "g.svg").read_text()
    assert "<svg" in svg and "#5 mul" in svg
    assert example._repr_svg_().lstrip().startswith("<?xml")
    assert example._repr_html_() is None


def test_save_picks_the_format_from_the_suffix_and_writes_atomically(example, tmp_path):
    for name in ("t.txt", "t.dot", "t.json", "t.html"):
        example.save(tmp_path / "sub" / name)
    assert (tmp_path / "sub" / "t.txt").read_text() == example.text()
    assert json.loads((tmp_path / "sub" / "t.json").read_text())["value"] == -5.0
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [
        "t.dot", "t.html", "t.json", "t.txt"]           # no temporary files left
    with pytest.raises(ValueError, match="unknown format"):
        example.save(tmp_path / "t.pdf")


# ------------------------------------------------------------- issue 13
def test_small_arrays_keep_their_shape():
    assert render.describe(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert render.describe(np.array([[1.0], [2.0]])) == "[[1], [2]]"
    assert render.array_text(np.array([[1.0, -2.5], [30.0, 4.0]]), "    ") == \
        "[[   1, -2.5],\n     [  30,    4]]"
    assert render.array_text(np.array([1.0, 2.0])) == "[1, 2]"


def test_text_prints_a_tensors_gradient_as_an_array_with_its_shape():
    W = cr.tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, name="W")
    b = cr.tensor(np.array([1.0, 2.5, -3.0]), requires_grad=True, name="b")
    X = cr.tensor(np.array([[1.0, 2.5], [-3.0, 4.0]]))
    t = inspect.trace((W * X).sum() + (b * b).sum())
    lines = t.text().splitlines()
    start = lines.index("gradients:")
    assert lines[start + 1:start + 4] == ["  df/dW (2, 2): [[  1, 2.5],",
                                          "                 [ -3,   4]]",
                                          "  df/db (3,): [2, 5, -6]"]
    big = cr.tensor(np.ones((8, 8)), requires_grad=True, name="big")
    text = inspect.trace((big * 2).sum()).text()
    assert "  df/dbig (8, 8): all 2" in text             # large: summarised


def test_text_explains_the_unnamed_labels():
    a = cr.tensor(np.ones((2, 2)), requires_grad=True)
    text = inspect.trace((a * 3).sum()).text()
    assert "  df/dv1 (2, 2): [[3, 3]," in text
    assert "(v1: tensors without a name, numbered in forward order;" in text
    assert "trace(loss, params=model)" in text
