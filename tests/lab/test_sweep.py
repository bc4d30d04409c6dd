"""Sweeps on the local backend: the table, the cache, failures, a killed worker, an
interrupted sweep, the grid's checks and `chainrule sweep`.

Most tests use sweep_fake.py (exact numbers, fast, able to fail or to kill its worker),
registered under the name "fake-sweep": worker processes import it by module path, so
they need no patched registry. One test runs the real `vanishing --quick`.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

import chainrule.lab as lab
from chainrule.cli import main
from chainrule.lab.sweeps.jobs import cache_key, execute, single_threaded
from chainrule.lab.sweeps.run import SweepInterrupted
from chainrule.lab.sweeps.table import flatten

HERE = Path(__file__).resolve().parent


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    monkeypatch.setitem(lab.REGISTRY, "fake-sweep", "sweep_fake")
    import sweep_fake
    return sweep_fake


def without(rows, *keys):
    return [{k: v for k, v in r.items() if k not in keys} for r in rows]


def test_pool_table_rows_columns_files_and_conclusion(fake, tmp_path):
    table = lab.sweep("fake-sweep", {"x": [1, 2, 4], "steps": [3]}, seeds=[0, 1], workers=2,
                      quick=True, out=tmp_path)
    assert table.columns == ["x", "steps", "seed", "inverse", "per.scaled", "pid",
                             "blas_threads", "seconds", "status", "error"]
    assert [(r["x"], r["seed"]) for r in table] == [(1.0, 0), (1.0, 1), (2.0, 0), (2.0, 1),
                                                    (4.0, 0), (4.0, 1)]
    assert [r["inverse"] for r in table] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert [r["per.scaled"] for r in table] == [3.0, 4.0, 6.0, 7.0, 12.0, 13.0]
    assert {r["status"] for r in table} == {"ok"} and {r["error"] for r in table} == {None}
    assert all(r["pid"] != os.getpid() for r in table)          # ran in worker processes
    assert {r["blas_threads"] for r in table} == {1}            # BLAS single-threaded there
    assert (table.ran, table.cached) == (6, 0)
    assert table.conclusion == (
        "6 runs of fake-sweep (quick): 3 combinations x 2 seeds; 6 finished. Mean over "
        "seeds 0, 1, 1/x: it falls below 0.6 from x = 2 on (0.5, below in 2 of 2 seeds; 1 at "
        "x = 1).")
    summary = table.summary()
    assert summary[2]["per.scaled"] == {"n": 2, "mean": 12.5, "std": pytest.approx(0.5 ** 0.5),
                                        "min": 12.0, "max": 13.0}

    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(table.rows))
    assert saved["conclusion"] == table.conclusion and saved["columns"] == table.columns
    with open(tmp_path / "sweep.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["x"], r["seed"], r["per.scaled"], r["status"], r["error"]) for r in rows[:2]] \
        == [("1.0", "0", "3.0", "ok", ""), ("1.0", "1", "4.0", "ok", "")]
    for stem in ("sweep-inverse", "sweep-per-scaled"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 1000
        assert (tmp_path / f"{stem}.svg").stat().st_size > 1000
    assert len(list((tmp_path / "runs").glob("*.json"))) == 6


def test_quick_starts_from_tiny_and_sequential_gives_the_same_table(fake, tmp_path):
    pool = lab.sweep("fake-sweep", {"x": [1, 2]}, seeds=[0, 1], workers=2, quick=True,
                     out=tmp_path / "pool")
    assert [r["per.scaled"] for r in pool] == [2.0, 3.0, 4.0, 5.0]     # TINY: steps = 2
    one = lab.sweep("fake-sweep", {"x": [1, 2]}, seeds=[0, 1], workers=1, quick=True,
                    out=tmp_path / "one")
    assert {r["pid"] for r in one} == {os.getpid()}                  # workers=1: in-process
    assert without(one.rows, "pid", "seconds") == without(pool.rows, "pid", "seconds")


def test_second_call_is_a_cache_hit(fake, tmp_path):
    args = ("fake-sweep", {"x": [1, 2, 4]})
    first = lab.sweep(*args, seeds=[0, 1], workers=2, out=tmp_path)
    second = lab.sweep(*args, seeds=[0, 1], workers=2, out=tmp_path)
    assert (second.ran, second.cached) == (0, 6)
    assert second.rows == first.rows                       # same pids: nothing ran again
    wider = lab.sweep("fake-sweep", {"x": [1, 2, 4, 8]}, seeds=[0, 1, 2], workers=2,
                      out=tmp_path)
    assert (wider.ran, wider.cached) == (6, 6)
    assert cache_key("fake-sweep", {"x": 1.0, "seed": 0}, "0.1.0") != \
        cache_key("fake-sweep", {"x": 1.0, "seed": 0}, "0.2.0")     # keyed by the version
    assert cache_key("fake-sweep", {"x": 1.0, "seed": 0}) == \
        cache_key("fake-sweep", {"seed": 0, "x": 1.0})


def test_a_failing_combination_is_recorded_and_the_sweep_goes_on(fake, tmp_path):
    table = lab.sweep("fake-sweep", {"x": [1, 2, 3], "fail_at": [2]}, seeds=[0], workers=2,
                      out=tmp_path)
    assert [r["status"] for r in table] == ["ok", "failed", "ok"]
    bad = table.rows[1]
    assert bad["error"] == "ValueError: a bad combination: x=2.0"
    assert bad["inverse"] is None and table.rows[2]["inverse"] == pytest.approx(1 / 3)
    assert "3 finished" not in table.conclusion
    assert "2 finished, 1 failed: x=2 fail_at=2 seed=0 (ValueError: a bad combination: " \
           "x=2.0)" in table.conclusion
    entry = json.loads(next(p for p in (tmp_path / "runs").glob("*.json")
                            if '"failed"' in p.read_text()).read_text())
    assert "Traceback" in entry["traceback"]
    again = lab.sweep("fake-sweep", {"x": [1, 2, 3], "fail_at": [2]}, seeds=[0], out=tmp_path)
    assert (again.ran, again.cached) == (0, 3)            # a failure is a finished run


def test_a_killed_worker_loses_no_run(fake, tmp_path):
    marker = tmp_path / "marker"
    marker.mkdir()
    table = lab.sweep("fake-sweep", {"x": [1, 2, 3, 4], "kill_at": [2], "marker": [str(marker)]},
                      seeds=[0], workers=2, out=tmp_path / "sweep")
    assert (marker / "killed-2.0-0").exists()            # the worker running x=2 was killed
    assert [r["status"] for r in table] == ["ok"] * 4
    assert [r["inverse"] for r in table] == [1.0, 0.5, pytest.approx(1 / 3), 0.25]
    assert len(list((tmp_path / "sweep" / "runs").glob("*.json"))) == 4


# The child restores Python's own Ctrl-C handler: started from a background job of a
# non-interactive shell (as CI may be), it would inherit SIGINT ignored, and the Ctrl-C
# this test sends would never arrive.
SCRIPT = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {here!r})
import chainrule.lab as lab
lab.REGISTRY["fake-sweep"] = "sweep_fake"
try:
    lab.sweep("fake-sweep", {{"x": [1, 2, 3, 4, 5, 6, 7, 8], "sleep": [0.5]}}, seeds=[0],
              workers=2, out={out!r}, progress=lambda line: print(line, flush=True))
except KeyboardInterrupt as e:
    print("INTERRUPTED", e, flush=True)
    sys.exit(130)
"""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_sweep_resumes_without_redoing_finished_runs(fake, tmp_path, sig):
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(here=str(HERE), out=str(out))],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("runs/*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, sig)                      # Ctrl-C reaches the whole process group
    output, _ = proc.communicate(timeout=30)
    for _ in range(100):                          # workers exit with their parent
        if not _group_alive(proc.pid):
            break
        time.sleep(0.1)
    assert not _group_alive(proc.pid), "worker processes survived the sweep"
    finished = len(list(out.glob("runs/*.json")))
    assert 2 <= finished < 8
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert "INTERRUPTED interrupted: " in output and "run the same sweep again" in output
    else:
        assert proc.returncode == -signal.SIGKILL
    table = lab.sweep("fake-sweep", {"x": [1, 2, 3, 4, 5, 6, 7, 8], "sleep": [0.5]}, seeds=[0],
                      workers=2, out=out)
    assert (table.cached, table.ran) == (finished, 8 - finished)
    assert [r["status"] for r in table] == ["ok"] * 8


def test_ctrl_c_in_process_raises_sweep_interrupted(fake, tmp_path, monkeypatch):
    from chainrule.lab.sweeps import run as sweep_run

    def interrupted(jobs, cache, on_done):
        on_done(jobs[0], execute(replace(jobs[0], cache_dir=str(cache))))
        raise KeyboardInterrupt

    monkeypatch.setattr("chainrule.lab.sweeps.backends.run_sequential", interrupted)
    with pytest.raises(SweepInterrupted) as e:
        sweep_run.sweep("fake-sweep", {"x": [1, 2, 3]}, workers=1, out=tmp_path)
    assert (e.value.done, e.value.total) == (1, 3)
    assert str(e.value).startswith("interrupted: 1 of 3 runs are finished and cached in ")


def test_the_real_vanishing_quick_table_matches_single_runs(tmp_path):
    table = lab.sweep("vanishing", {"layers": [2, 3]}, seeds=[0, 1], workers=2, quick=True,
                      out=tmp_path)
    assert [(r["layers"], r["seed"]) for r in table] == [(2, 0), (2, 1), (3, 0), (3, 1)]
    for row in table:
        with single_threaded():         # as in the workers: the same sums, to the bit
            alone = lab.run("vanishing", quick=True, figures=False, layers=row["layers"],
                            seed=row["seed"], seeds=1)     # a sweep job runs one seed
        flat = flatten(alone.numbers)
        assert {k: row[k] for k in flat} == flat
    assert table.main_numbers[0] == "per_activation.sigmoid.init_ratio"
    assert "the sigmoid network's first/last gradient ratio at initialisation" in \
        table.conclusion


# ------------------------------------------------------------------ the grid's checks
@pytest.mark.parametrize("grid, error, message", [
    ({"depth": [10]}, TypeError, "'fake-sweep' has no parameter 'depth'"),
    ({"x": [1, -1]}, ValueError, "fake-sweep: x must be a finite number > 0, got -1"),
    ({"x": [float("nan")]}, ValueError, "x must be a finite number > 0, got nan"),
    ({"x": ["a"]}, TypeError, "x must be a finite number > 0, got 'a'"),
    ({"x": 2}, TypeError, "x's values are a list"),
    ({"x": []}, ValueError, "x has no values"),
    ({"x": [1, 1.0]}, ValueError, "x lists a value twice"),
    ({"seed": [1, 2]}, ValueError, "seeds are given by seeds="),
])
def test_a_bad_grid_is_refused_before_anything_runs(fake, tmp_path, grid, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        lab.sweep("fake-sweep", grid, out=tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_bad_seeds_backend_and_workers(fake, tmp_path):
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        lab.sweep("fake-sweep", {"x": [1]}, seeds=[-1], out=tmp_path)
    with pytest.raises(ValueError, match="backend must be 'local' or 'ray', got 'dask'"):
        lab.sweep("fake-sweep", {"x": [1]}, backend="dask", out=tmp_path)
    with pytest.raises(ValueError, match="workers must be an int >= 1, got 0"):
        lab.sweep("fake-sweep", {"x": [1]}, workers=0, out=tmp_path)
    with pytest.raises(ValueError, match="an address is for the ray backend"):
        lab.sweep("fake-sweep", {"x": [1]}, address="h:6379", out=tmp_path)


def test_without_ray_the_ray_backend_says_how_to_install_it(fake, tmp_path, monkeypatch,
                                                           capsys):
    monkeypatch.setitem(sys.modules, "ray", None)           # `import ray` now fails
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[cluster\]'"):
        lab.sweep("fake-sweep", {"x": [1]}, backend="ray", out=tmp_path / "never")
    code = main(["sweep", "fake-sweep", "--grid", "x=1", "--ray", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and err == ("chainrule sweep: error: the ray backend needs Ray, which is "
                                 "not installed: pip install 'chainrule[cluster]'\n")
    assert not (tmp_path / "never").exists()


# ------------------------------------------------------------------ the command
def test_cli_sweep_prints_the_summary_and_writes_the_files(fake, tmp_path, capsys):
    code = main(["sweep", "fake-sweep", "--grid", "x=1,2,4", "steps=3", "--seeds", "0", "1",
                 "--workers", "1", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["x", "steps", "seeds", "inverse", "per.scaled"]
    assert lines[1].split() == ["1", "3", "2/2", "1", "±", "0", "3.5", "±", "0.71"]
    assert "it falls below 0.6 from x = 2 on" in out
    assert f"wrote {tmp_path / 'sweep.csv'}" in out
    assert "ran 6 runs, 0 from the cache" in out
    assert "[6/6] x=4 steps=3 seed=1: ok" in err                 # not a TTY: plain lines
    code = main(["sweep", "fake-sweep", "--grid", "x=1,2,4", "steps=3", "--seeds", "0", "1",
                 "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0 and "ran 0 runs, 6 from the cache" in out
    assert "6 of 6 runs found in the cache" in err


@pytest.mark.parametrize("argv, message", [
    (["--grid", "depth=1,2"], "lab experiment 'fake-sweep' has no parameter 'depth'"),
    (["--grid", "x=0"], "fake-sweep: x must be a finite number > 0, got 0.0"),
    (["--grid", "x=nan"], "fake-sweep: x must be a finite number > 0, got nan"),
    (["--grid", "steps=2.5"], "fake-sweep: steps takes whole numbers such as 10, got '2.5'"),
    (["--grid", "x"], "sweep fake-sweep: a grid entry is PARAM=V1,V2,..., got 'x'"),
    (["--grid", "x=1", "x=2"], "sweep fake-sweep: x is given twice in --grid"),
    (["--grid", "x=1", "--seeds", "-3"], "fake-sweep: seed must be an int >= 0, got -3"),
])
def test_cli_bad_grid_is_one_line_and_exit_2(fake, tmp_path, capsys, argv, message):
    code = main(["sweep", "fake-sweep", *argv, "--out", str(tmp_path / "never")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("chainrule sweep: error: ") and err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "never").exists()


def test_cli_unknown_experiment(capsys):
    code = main(["sweep", "vanishng", "--grid", "layers=2"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown experiment 'vanishng' (did you mean 'vanishing'?)" in err


def test_an_experiment_that_runs_several_seeds_runs_one_per_sweep_job():
    from chainrule.lab.sweeps.run import jobs_of

    jobs = jobs_of("degradation", {"width": [8]}, [0, 1], quick=True)
    assert [(j.seed, j.kwargs["seed"], j.kwargs["seeds"]) for j in jobs] == [(0, 0, 1), (1, 1, 1)]
    counted = jobs_of("degradation", {"seeds": [2]}, [0], quick=True)
    assert counted[0].kwargs["seeds"] == 2          # unless the grid sweeps the count
