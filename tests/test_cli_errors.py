"""The CLI's failures are one line and a non-zero exit, never a traceback: a diverging
training run, an output path that cannot be written (checked before the work starts),
a write that fails at the end."""
from __future__ import annotations

import errno
import subprocess
import sys
import types

import pytest

import chainrule.lab as lab
from chainrule import fileio
from chainrule.cli import main
from chainrule.lab import Result
from chainrule.train import NonFiniteLossError


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str, start: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "a_file"
    path.write_text("in the way")
    return path


# ------------------------------------------------------------ output paths
@pytest.mark.parametrize("output, words", [
    ("/proc/x/out.json", "cannot create the folder /proc/x"),
    ("{tmp}", "it is a directory"),
    ("{file}/out.txt", "a file of that name is in the way"),
    ("{file}/graph.svg", "a file of that name is in the way"),
])
def test_graph_output_that_cannot_be_written(capsys, tmp_path, a_file, output, words):
    output = output.format(tmp=tmp_path, file=a_file)
    code, out, err = run(capsys, "graph", "x * 2", "--at", "x=1", "-o", output)
    assert code == 2 and out == ""
    assert words in one_error_line(err, f"chainrule graph: error: cannot write {output}")


def test_descend_out_an_existing_file_is_refused_before_the_runs(capsys, a_file):
    code, out, err = run(capsys, "descend", "x**2", "--out", a_file)
    assert code == 2 and out == ""          # not even the table: nothing ran
    assert "it is a file, not a directory" in one_error_line(err, "chainrule descend: error")


def test_demo_and_lab_all_check_their_folder_first(capsys, a_file):
    for argv, name in [(["demo", "--quick"], "demo"), (["lab", "all", "--quick"], "lab all")]:
        code, out, err = run(capsys, *argv, "--out", a_file)
        assert code == 2 and out == ""
        one_error_line(err, f"chainrule {name}: error: cannot write into {a_file}")


@pytest.fixture
def fake(monkeypatch):
    """An experiment that records whether it ran, and one that diverges."""
    calls = []
    module = types.ModuleType("fake_cli_errors")
    module.NAME, module.TITLE, module.TINY = "fake", "A fake experiment", {}

    def run(*, seed: int = 0, diverge: bool = False) -> Result:
        """Pretend."""
        calls.append(seed)
        if diverge:
            raise NonFiniteLossError(1, 2, float("nan"), __import__("chainrule").train.History())
        return Result("fake", {"seed": seed}, {"x": 1}, "Nothing.", seconds=0.0)

    module.run, module.conclude, module.plot = run, (lambda n: "Nothing."), (lambda r: {})
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(lab, "REGISTRY", {"fake": module.__name__})
    return calls


def test_lab_out_unwritable_is_found_before_the_run(capsys, fake, a_file):
    code, out, err = run(capsys, "lab", "fake", "--out", a_file / "sub")
    assert code == 2 and out == "" and fake == []
    one_error_line(err, f"chainrule lab fake: error: cannot write into {a_file / 'sub'}")


def test_lab_divergence_is_one_line(capsys, fake, tmp_path):
    code, out, err = run(capsys, "lab", "fake", "--diverge", "--out", tmp_path)
    assert code == 1 and fake == [0]
    assert "the loss became nan at epoch 1, step 2" in one_error_line(
        err, "chainrule lab fake: error: fit:")


def test_a_real_diverging_lab_run_prints_no_traceback(tmp_path):
    # The lab's trainer records a divergence instead of raising; the conclusion says so.
    done = subprocess.run([sys.executable, "-m", "chainrule.cli", "lab", "vanishing",
                           "--quick", "--lr", "1e6", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "Training diverged with" in " ".join(done.stdout.split())
    assert "smaller learning rate" in " ".join(done.stdout.split())


# ---------------------------------------------------------- failing writes
def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_write_that_fails_at_the_end_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(fileio, "open", full_disk, raising=False)
    target = tmp_path / "g.json"
    code, out, err = run(capsys, "graph", "x * 2", "--at", "x=1", "-o", target)
    assert code == 1
    line = one_error_line(err, f"chainrule graph: error: [Errno 28] cannot write {target}")
    assert "No space left on device" in line
    code, out, err = run(capsys, "descend", "x**2", "--lr", "0.1", "--out", tmp_path / "f")
    assert code == 1 and "gradient descent on f(x) = x**2" in out   # the table is kept
    one_error_line(err, "chainrule descend: error: [Errno 28] cannot write")


def test_lab_write_failure_is_one_line(capsys, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(fileio, "open", full_disk, raising=False)
    code, out, err = run(capsys, "lab", "fake", "--out", tmp_path)
    assert code == 1 and fake == [0]
    err = err.replace("chainrule lab: no figures (they need matplotlib: pip install "
                      "'chainrule[demo]')\n", "")     # the fake experiment draws none
    one_error_line(err, "chainrule lab fake: error: [Errno 28] cannot write")


def test_descend_does_not_call_a_function_without_a_minimum_converged(capsys):
    code, out, err = run(capsys, "descend", "exp(x)", "--lr", "10", "--x0", "5", "--no-figure")
    assert code == 0 and err == ""
    row = [line for line in out.splitlines() if line.split()[:2] == ["10", "1"]]
    assert row and row[0].split()[-2:] == ["no", "minimum"]
    assert "converged" not in out and "underflowed" in out
