"""`chainrule graph` and `chainrule descend`, run in-process (plus one run of the installed
entry point)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chainrule import __version__
from chainrule.cli import main
from chainrule.inspect import render

EXAMPLE_1 = ["graph", "(x + y) * z", "--at", "x=3", "y=-4", "z=5"]
EXAMPLE_2 = ["graph", "sigmoid(t0 + t1 * x)", "--at", "x=1", "t0=-3", "t1=3"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_worked_example_1(capsys):
    code, out, err = run(capsys, *EXAMPLE_1)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[:3] == ["f = (x + y) * z   at x = 3, y = -4, z = 5", "value: f = -5",
                         "gradients: df/dx = 5, df/dy = 5, df/dz = -1"]
    steps = [" ".join(line.split()) for line in lines if "->" in line]
    assert steps == ["-> #3 add upstream 1 x local 5 = 5", "-> #4 z upstream 1 x local -1 = -1",
                     "-> #1 x upstream 5 x local 1 = 5", "-> #2 y upstream 5 x local 1 = 5"]


def test_worked_example_2(capsys):
    code, out, _ = run(capsys, *EXAMPLE_2)
    assert code == 0
    assert "value: f = 0.5" in out
    assert "gradients: df/dt0 = 0.25, df/dt1 = 0.25, df/dx = 0.75" in out
    assert " ".join(out.split()).count("upstream 0.25 x local 3 = 0.75") == 1


def test_compare_naive(capsys):
    code, out, _ = run(capsys, *EXAMPLE_2, "--compare-naive")
    assert code == 0
    assert "naive chain rule, one variable at a time: 8" in out
    assert "backprop, one reverse pass (one per edge): 5" in out
    assert "16               800        79" in out


def test_json_and_dot_formats(capsys, tmp_path):
    code, out, _ = run(capsys, *EXAMPLE_1, "--format", "json", "--compare-naive")
    data = json.loads(out)
    assert code == 0 and data["value"] == -5.0
    assert data["gradients"] == {"x": 5.0, "y": 5.0, "z": -1.0}
    assert data["compare_naive"]["naive"] == 5 and data["compare_naive"]["backprop"] == 4
    code, out, _ = run(capsys, *EXAMPLE_1, "--format", "dot")
    assert code == 0 and out.startswith("digraph chainrule {")
    code, out, _ = run(capsys, *EXAMPLE_1, "-o", str(tmp_path / "g.json"))   # from the suffix
    assert code == 0 and out == f"wrote {tmp_path / 'g.json'}\n"
    assert json.loads((tmp_path / "g.json").read_text())["root"] == 5


def test_svg_without_graphviz_writes_the_dot_and_exits_1(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    code, out, err = run(capsys, *EXAMPLE_1, "--format", "svg", "-o", str(tmp_path / "g.svg"))
    assert code == 1
    assert out == f"wrote {tmp_path / 'g.dot'} (the graph in DOT)\n"
    assert "apt-get install graphviz" in err and "conda install graphviz" in err
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_with_graphviz_goes_to_the_figures_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, *EXAMPLE_1, "--format", "svg")
    assert code == 0
    assert out.splitlines() == ["wrote chainrule-figures/graph.dot",
                                "wrote chainrule-figures/graph.svg"]
    assert "<svg" in (tmp_path / "chainrule-figures" / "graph.svg").read_text()


REFUSED = [
    (["graph", "__import__('os')"], "at position 1 of \"__import__('os')\": unknown function"),
    (["graph", "x.__class__", "--at", "x=1"], "at position 2 of 'x.__class__': unexpected "
                                              "character '.': attribute access"),
    (["graph", "foo(x)", "--at", "x=1"], "unknown function 'foo'"),
    (["graph", "x + y", "--at", "x=1"], "at position 5 of 'x + y': no value for the "
                                        "variable 'y'"),
    (["graph", "1 +"], "at position 4 of '1 +': expected a number"),
    (["graph", "x", "--at", "x=1", "w=2"], "'w', which the expression does not use"),
    (["graph", "x", "--at", "x"], "--at: expected NAME=NUMBER"),
    (["graph", "x", "--at", "x=one"], "the value of x must be a number"),
    (["descend", "x +"], "at position 4 of 'x +'"),
    (["descend", "x + y", "--x0", "1"], "2 variables but x0 gives 1"),
    (["descend", "x", "--lr", "-1"], "lr must be a positive number"),
]


@pytest.mark.parametrize("argv, message", REFUSED)
def test_refusals_are_one_line_with_exit_status_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"chainrule {argv[0]}: error: ")
    assert message in err


def test_non_finite_values_are_pointed_out(capsys):
    code, out, err = run(capsys, "graph", "log(x)", "--at", "x=-1")
    assert code == 0 and "value: f = nan" in out and "not a finite number" in err


def test_descend_default_tells_the_story_and_writes_the_figure(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "descend")
    assert code == 0
    verdicts = [line.split(":")[0].split(None, 2)[2] for line in out.splitlines()
                if line.startswith("  lr ")]
    assert verdicts == ["still crawling", "converged", "oscillating", "diverged"]
    assert out.splitlines()[-2:] == ["wrote chainrule-figures/descend.png",
                                     "wrote chainrule-figures/descend.svg"]
    for name in ("descend.png", "descend.svg"):
        assert (tmp_path / "chainrule-figures" / name).stat().st_size > 10_000


def test_descend_options(capsys, tmp_path):
    code, out, _ = run(capsys, "descend", "x**2 + 10*y**2", "--x0", "y=1", "x=3", "--lr",
                       "0.09", "--steps", "200", "--no-figure", "--out", str(tmp_path))
    assert code == 0 and "from x = 3, y = 1, at most 200 steps" in out
    assert "converged" in out and "wrote" not in out
    assert list(tmp_path.iterdir()) == []


def test_descend_without_matplotlib_still_prints_the_table(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    code, out, err = run(capsys, "descend", "--lr", "0.1", "--out", str(tmp_path))
    assert code == 0 and "converged" in out
    assert "no figure" in err and "pip install 'chainrule[demo]'" in err


def test_demo_and_version_still_work(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "--quick", "--out", str(tmp_path))
    assert code == 0 and "df/dx = 5" in out and (tmp_path / "index.html").exists()
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out == f"chainrule {__version__}\n"


def test_the_installed_command():
    exe = Path(sys.executable).with_name("chainrule")
    if not exe.exists():
        pytest.skip("the chainrule entry point is not installed in this environment")
    done = subprocess.run([str(exe), *EXAMPLE_1], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "gradients: df/dx = 5, df/dy = 5, df/dz = -1" in done.stdout
    bad = subprocess.run([str(exe), "graph", "__import__('os')"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "unknown function '__import__'" in bad.stderr


def test_descend_optimizers_share_one_figure(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, err = run(capsys, "descend", "x**2/100 + y**2", "--x0", "-9", "1.5",
                         "--optimizer", "sgd", "momentum", "rmsprop", "adam",
                         "--lr", "0.9", "0.3", "0.1", "0.3", "--out", str(tmp_path))
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("SGD, momentum 0.9, RMSProp and Adam on f(x, y) = x**2/100 + y**2, "
                        "each step cr.optim's")
    rows = [line.split() for line in lines[4:8]]
    assert [r[:3] for r in rows] == [["SGD", "0.9", "100"], ["momentum", "0.3", "100"],
                                     ["RMSProp", "0.1", "100"], ["Adam", "0.3", "100"]]
    assert rows[0][-3:] == ["0.0214182", "still", "crawling"]
    assert lines[-2:] == [f"wrote {tmp_path / 'descend.png'}", f"wrote {tmp_path / 'descend.svg'}"]
    assert (tmp_path / "descend.png").stat().st_size > 20_000


def test_descend_optimizer_lrs(capsys, tmp_path):
    code, out, _ = run(capsys, "descend", "--optimizer", "adam", "momentum", "--no-figure")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[4:6]] == [["Adam", "0.1"],
                                                                    ["momentum", "0.1"]]
    code, out, _ = run(capsys, "descend", "--optimizer", "adam", "--lr", "0.1", "1",
                       "--no-figure")
    assert code == 0 and [line.split()[:2] for line in out.splitlines()[4:6]] == [
        ["Adam", "0.1"], ["Adam", "1"]]
    code, out, err = run(capsys, "descend", "--optimizer", "sgd", "adam", "--lr", "1", "2",
                         "3")
    assert code == 2 and out == ""
    assert err == ("chainrule descend: error: descend: --lr takes one value, or one per "
                   "optimizer (2), got 3\n")
    with pytest.raises(SystemExit) as info:
        main(["descend", "--optimizer", "adamw"])
    assert info.value.code == 2 and "invalid choice: 'adamw'" in capsys.readouterr().err
