"""`chainrule lab`, run in-process on a fake experiment (its options come from run()'s
signature), plus `lab list`, `lab all` and the errors."""
from __future__ import annotations

import json
import sys
import types

import pytest

import chainrule.lab as lab
from chainrule.cli import main
from chainrule.lab import Result


def fake_module(name: str, fail: bool = False) -> types.ModuleType:
    module = types.ModuleType(f"fake_cli_{name.replace('-', '_')}")
    module.NAME, module.TITLE = name, f"The fake {name} experiment"
    module.TINY = {"steps": 3}

    def run(*, seed: int = 0, steps: int = 100, depths: tuple[int, ...] = (2, 4),
            lr: float = 0.1, activation: str = "sigmoid", scale: bool = True,
            pair: tuple[float, float] = (0.0, 1.0), progress: bool = False) -> Result:
        """Pretend to measure something.

        Second paragraph, not shown in --help."""
        if fail:
            raise RuntimeError("boom")
        params = dict(seed=seed, steps=steps, depths=depths, lr=lr, activation=activation,
                      scale=scale, pair=pair)
        numbers = {"steps": steps, "grad": {str(d): lr / d for d in depths},
                   "types": {k: type(v).__name__ for k, v in params.items()}}
        return Result(name, params, numbers, module.conclude(numbers), seconds=0.2)

    def conclude(numbers: dict) -> str:
        return f"Conclusion: {numbers['steps']} steps were taken."

    def plot(result: Result) -> dict:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, 1], [1, 0])
        return {"line": fig}

    module.run, module.conclude, module.plot = run, conclude, plot
    return module


@pytest.fixture
def fake(monkeypatch):
    modules = [fake_module("fake-one"), fake_module("fake-two")]
    for m in modules:
        monkeypatch.setitem(sys.modules, m.__name__, m)
    monkeypatch.setattr(lab, "REGISTRY", {m.NAME: m.__name__ for m in modules})
    return modules


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_lab_list(capsys, fake):
    code, out, err = run(capsys, "lab", "list")
    assert code == 0 and err == ""
    assert out.splitlines() == ["fake-one  The fake fake-one experiment",
                                "fake-two  The fake fake-two experiment"]


def test_lab_list_real_names(capsys):
    code, out, _ = run(capsys, "lab", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == lab.names()


def test_lab_run_with_options_from_the_signature(capsys, fake, tmp_path):
    code, out, err = run(capsys, "lab", "fake-one", "--steps", "7", "--depths", "3", "5",
                         "--lr", "0.5", "--activation", "relu", "--no-scale", "--pair", "1",
                         "2", "--seed", "4", "--out", str(tmp_path))
    assert code == 0 and err == ""
    assert "Conclusion: 7 steps were taken." in out
    saved = json.loads((tmp_path / "fake-one.json").read_text())
    assert saved["params"] == {"seed": 4, "steps": 7, "depths": [3, 5], "lr": 0.5,
                               "activation": "relu", "scale": False, "pair": [1.0, 2.0]}
    assert saved["numbers"]["types"] == {"seed": "int", "steps": "int", "depths": "tuple",
                                         "lr": "float", "activation": "str", "scale": "bool",
                                         "pair": "tuple"}
    for name in ("fake-one.json", "fake-one-line.png", "fake-one-line.svg"):
        assert (tmp_path / name).stat().st_size > 0
        assert f"wrote {tmp_path / name}" in out
    assert "0.1667" in out                     # the numbers summary: lr / depth = 0.5 / 3


def test_lab_run_defaults_and_quick(capsys, fake, tmp_path):
    code, out, _ = run(capsys, "lab", "fake_two", "--quick", "--out", str(tmp_path))
    saved = json.loads((tmp_path / "fake-two.json").read_text())
    assert code == 0 and saved["params"]["steps"] == 3 and saved["params"]["lr"] == 0.1
    code, out, _ = run(capsys, "lab", "fake-two", "--quick", "--steps", "9",
                       "--out", str(tmp_path))
    assert json.loads((tmp_path / "fake-two.json").read_text())["params"]["steps"] == 9


def test_lab_run_help_lists_the_options(capsys, fake):
    with pytest.raises(SystemExit) as e:
        main(["lab", "fake-one", "--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0
    assert "usage: chainrule lab fake-one" in out and "Pretend to measure something." in out
    assert "Second paragraph" not in out
    for option in ("--steps INT", "--depths INT [INT ...]", "--pair FLOAT FLOAT",
                   "--scale, --no-scale", "--seed INT", "--out DIR", "--quick"):
        assert option in out
    assert "(default: 100; with --quick: 3)" in out and "(default: 2 4)" in out


def test_lab_bad_name_is_one_line_and_exit_2(capsys, fake):
    code, out, err = run(capsys, "lab", "fake-onr")
    assert code == 2 and out == ""
    assert err == ("chainrule lab: error: unknown experiment 'fake-onr' (did you mean "
                   "'fake-one'?); the experiments are: fake-one, fake-two\n")


@pytest.mark.parametrize("argv", [["--nope"], ["--steps", "many"], ["--depths"],
                                  ["--pair", "1"]])
def test_lab_bad_option_exits_2(capsys, fake, argv):
    with pytest.raises(SystemExit) as e:
        main(["lab", "fake-one", *argv])
    assert e.value.code == 2
    assert "usage: chainrule lab fake-one" in capsys.readouterr().err


def test_lab_all_writes_the_report(capsys, fake, tmp_path):
    code, out, err = run(capsys, "lab", "all", "--quick", "--out", str(tmp_path))
    assert code == 0
    assert out.splitlines()[-1] == f"report: {tmp_path / 'report.html'}"
    assert "[2/2] fake-two: running (quick) ..." in err
    assert {p.name for p in tmp_path.glob("*.json")} == {"fake-one.json", "fake-two.json"}
    html = (tmp_path / "report.html").read_text()
    assert "The fake fake-one experiment" in html and "data:image/png;base64," in html


def test_lab_all_with_a_failure_exits_1(capsys, monkeypatch, tmp_path):
    good, bad = fake_module("good"), fake_module("bad", fail=True)
    for m in (good, bad):
        monkeypatch.setitem(sys.modules, m.__name__, m)
    monkeypatch.setattr(lab, "REGISTRY", {"good": good.__name__, "bad": bad.__name__})
    code, out, err = run(capsys, "lab", "all", "--quick", "--out", str(tmp_path))
    assert code == 1
    assert "RuntimeError: boom" in err and "Traceback" in err
    assert f"report: {tmp_path / 'report.html'}" in out
    assert (tmp_path / "good.json").exists()


def test_lab_needs_a_name_and_other_commands_still_work(capsys):
    with pytest.raises(SystemExit) as e:
        main(["lab"])
    assert e.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("chainrule ")
    code, out, _ = run(capsys, "graph", "x * y", "--at", "x=2", "y=3")
    assert code == 0 and "value: f = 6" in out
