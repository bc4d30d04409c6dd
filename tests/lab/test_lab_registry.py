"""The lab's registry: names, lazy lookup, run (quick, figures, parameters) and run_all.

A fake experiment module stands in for the real ones, so these tests check the registry
and not the experiments (which have tests of their own)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import types

import pytest

import chainrule.lab as lab
from chainrule.lab import Failure, LabRunError, Result

ISSUE_ORDER = ["sigmoid-bound", "vanishing", "chain-product", "backprop-matrix", "skip",
               "degradation", "shortcuts", "losses", "learning-rate", "optimizers", "batching",
               "dying-relu"]


def fake_module(name: str = "fake-exp", fail: bool = False) -> types.ModuleType:
    """An experiment module with the lab's interface; run() records its kwargs."""
    module = types.ModuleType(f"fake_lab_{name.replace('-', '_')}")
    module.NAME, module.TITLE = name, f"A fake experiment called {name}"
    module.TINY = {"steps": 2}
    module.calls = []

    def run(*, seed: int = 0, steps: int = 50, depths: tuple[int, ...] = (2, 4),
            lr: float = 0.1, progress: bool = False) -> Result:
        if fail:
            raise RuntimeError("the fake experiment broke")
        module.calls.append(dict(seed=seed, steps=steps, depths=depths, lr=lr))
        numbers = {"steps": steps, "curve": [lr * i for i in range(steps)],
                   "per_depth": {str(d): {"grad": lr / d} for d in depths}}
        params = {"seed": seed, "steps": steps, "depths": list(depths), "lr": lr}
        return Result(module.NAME, params, numbers, module.conclude(numbers), seconds=0.01)

    def conclude(numbers: dict) -> str:
        return f"The fake ran {numbers['steps']} steps."

    def plot(result: Result) -> dict:
        from matplotlib.figure import Figure
        fig = Figure(figsize=(3, 2))
        fig.subplots().plot(result.numbers["curve"])
        return {"curve": fig}

    module.run, module.conclude, module.plot = run, conclude, plot
    return module


@pytest.fixture
def fake(monkeypatch):
    """The registry holding only the fake experiment (and a broken one for run_all)."""
    module = fake_module()
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(lab, "REGISTRY", {"fake-exp": module.__name__})
    return module


def test_names_are_the_issues_order():
    assert lab.names() == ISSUE_ORDER


def test_every_registered_module_has_the_interface():
    for name in lab.names():
        module = lab.get(name)
        assert module.NAME == name
        assert callable(module.run) and callable(module.conclude) and callable(module.plot)
        assert isinstance(module.TINY, dict) and module.TITLE
        assert set(module.TINY) <= set(lab.parameters(name))
        assert "seed" in lab.parameters(name)


def test_importing_the_lab_does_not_import_the_experiments():
    code = ("import sys, chainrule, chainrule.lab as lab; lab.names(); "
            "print(sorted(m for m in sys.modules if m.startswith('chainrule.lab.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['chainrule.lab.result']"


def test_unknown_name_lists_the_valid_ones_and_suggests():
    with pytest.raises(ValueError) as e:
        lab.get("vanishng")
    message = str(e.value)
    assert "did you mean 'vanishing'?" in message
    assert all(name in message for name in ISSUE_ORDER)
    with pytest.raises(ValueError, match="unknown experiment 'zzz'; the experiments are"):
        lab.get("zzz")
    with pytest.raises(TypeError, match="string"):
        lab.get(3)


def test_get_accepts_underscores_and_case(fake):
    assert lab.get("fake_exp") is fake
    assert lab.get(" Fake-Exp ") is fake


def test_missing_module_is_a_clear_import_error(monkeypatch):
    monkeypatch.setattr(lab, "REGISTRY", {"ghost": "chainrule.lab.no_such_experiment"})
    with pytest.raises(ImportError, match="'ghost' is registered but its module "
                                          "chainrule.lab.no_such_experiment does not exist"):
        lab.get("ghost")
    assert lab.title("ghost") == "ghost"


def test_module_without_the_interface_is_a_type_error(monkeypatch):
    module = types.ModuleType("fake_lab_incomplete")
    module.NAME, module.run = "incomplete", lambda **kw: None
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(lab, "REGISTRY", {"incomplete": module.__name__})
    with pytest.raises(TypeError, match="lacks TITLE, TINY, conclude, plot"):
        lab.get("incomplete")


def test_parameters_follow_the_signature(fake):
    params = lab.parameters("fake-exp")
    assert list(params) == ["seed", "steps", "depths", "lr", "progress"]
    assert params["depths"].default == (2, 4)


def test_run_full_size_with_figures(fake):
    result = lab.run("fake-exp", seed=3)
    assert isinstance(result, Result)
    assert fake.calls[-1] == {"seed": 3, "steps": 50, "depths": (2, 4), "lr": 0.1}
    assert list(result.figures) == ["curve"]
    assert result.conclusion == "The fake ran 50 steps."
    json.dumps(result.to_dict())


def test_run_quick_starts_from_tiny_and_params_override(fake):
    lab.run("fake-exp", quick=True, figures=False)
    assert fake.calls[-1]["steps"] == 2
    result = lab.run("fake-exp", quick=True, figures=False, steps=7, lr=0.5)
    assert fake.calls[-1] == {"seed": 0, "steps": 7, "depths": (2, 4), "lr": 0.5}
    assert result.figures == {}


def test_run_without_matplotlib_skips_figures(fake, monkeypatch):
    monkeypatch.setattr(lab, "_have_matplotlib", lambda: False)
    assert lab.run("fake-exp", quick=True).figures == {}


def test_unknown_parameter_names_the_experiment_and_its_parameters(fake):
    with pytest.raises(TypeError) as e:
        lab.run("fake-exp", stepz=3)
    message = str(e.value)
    assert "'fake-exp' has no parameter 'stepz' (did you mean 'steps'?)" in message
    assert "seed, steps, depths, lr, progress" in message
    assert fake.calls == []


def test_run_fills_in_a_missing_runtime(fake, monkeypatch):
    original = fake.run

    def slow(**kw):
        time.sleep(0.01)
        result = original(**kw)
        result.seconds = 0.0
        return result

    monkeypatch.setattr(fake, "run", slow)
    assert lab.run("fake-exp", quick=True, figures=False).seconds >= 0.01


def test_run_all_saves_every_result_and_the_report(fake, tmp_path):
    messages = []
    results = lab.run_all(tmp_path, quick=True, progress=messages.append, seed=5)
    assert [r.name for r in results] == ["fake-exp"]
    assert fake.calls[-1]["seed"] == 5 and fake.calls[-1]["steps"] == 2
    saved = json.loads((tmp_path / "fake-exp.json").read_text())
    assert saved["params"]["seed"] == 5
    assert (tmp_path / "fake-exp-curve.png").stat().st_size > 0
    html = (tmp_path / "report.html").read_text()
    assert "A fake experiment called fake-exp" in html and "quick run" in html
    assert messages[0] == "[1/1] fake-exp: running (quick) ..."
    assert messages[-1] == f"wrote {tmp_path / 'report.html'}"


def test_run_all_keeps_going_and_reports_failures(fake, tmp_path, monkeypatch):
    broken = fake_module("broken", fail=True)
    monkeypatch.setitem(sys.modules, broken.__name__, broken)
    monkeypatch.setattr(lab, "REGISTRY", {"broken": broken.__name__,
                                          "fake-exp": fake.__name__})
    with pytest.raises(LabRunError) as e:
        lab.run_all(tmp_path, quick=True, figures=False)
    assert [r.name for r in e.value.results] == ["fake-exp"]
    (failure,) = e.value.failures
    assert isinstance(failure, Failure) and failure.name == "broken"
    assert failure.error == "RuntimeError: the fake experiment broke"
    assert "1 of 2 experiments failed: broken" in str(e.value)
    assert (tmp_path / "fake-exp.json").exists() and not (tmp_path / "broken.json").exists()
    html = e.value.report.read_text()
    assert "Traceback (most recent call last)" in html and "the fake experiment broke" in html
