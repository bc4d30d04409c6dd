"""Sweeps on a real Ray: a local instance started by ``ray.init`` (2 CPUs), and a head
node started with ``ray start --head`` on loopback and joined by its address, as a
cluster is joined. The table is the local backend's for the same grid and seeds; a
failing combination is a row, not an error; no Ray process survives a test."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import chainrule.lab as lab
from chainrule.cli import main

ray = pytest.importorskip("ray", reason="the ray backend needs pip install 'chainrule[cluster]'")

GRID = {"layers": [2, 5]}
SEEDS = [0, 1]


def without_seconds(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def _processes_using(path: str) -> list[str]:
    """Command lines of live processes that mention path (Ray's temp folder)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if path in cmd:
            found.append(f"{pid}: {cmd[:120]}")
    return found


def _short_temp():
    # Short: Ray's socket paths live under it and must stay below ~107 characters.
    return tempfile.mkdtemp(prefix="crray", dir="/tmp")


@pytest.fixture
def ray_temp():
    path = _short_temp()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def local_table(tmp_path_factory):
    """The local backend's table of the grid, the reference for Ray's."""
    return lab.sweep("vanishing", GRID, seeds=SEEDS, workers=1, quick=True,
                     out=tmp_path_factory.mktemp("local"))


@pytest.fixture(scope="class")
def local_ray():
    """One local Ray for the tests that use it (starting one takes seconds)."""
    temp = _short_temp()
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=temp, log_to_driver=False,
             logging_level="WARNING")
    yield
    ray.shutdown()
    survivors = _processes_using(temp)
    shutil.rmtree(temp, ignore_errors=True)
    assert not survivors, f"Ray processes survived ray.shutdown(): {survivors}"


@pytest.mark.usefixtures("local_ray")
class TestLocalRay:
    """Ray started in this process by ray.init (2 CPUs), shut down after the class."""

    def test_ray_init_locally_gives_the_local_table(self, local_table, tmp_path):
        table = lab.sweep("vanishing", GRID, seeds=SEEDS, backend="ray", quick=True, out=tmp_path)
        assert table.backend == "ray" and (table.ran, table.cached) == (4, 0)
        assert without_seconds(table.rows) == without_seconds(local_table.rows)
        assert table.conclusion == local_table.conclusion
        assert len(list((tmp_path / "runs").glob("*.json"))) == 4       # the driver cached them
        assert ray.is_initialized()           # a Ray the sweep did not start is left running
        again = lab.sweep("vanishing", GRID, seeds=SEEDS, backend="ray", quick=True, out=tmp_path)
        assert (again.ran, again.cached) == (0, 4)

    def test_ray_records_a_failing_combination(self, tmp_path):
        # logit_min = 20 is in its range but above logit_max = 10: run() itself refuses it.
        table = lab.sweep("losses", {"logit_min": [-10, 20]}, backend="ray", quick=True,
                          out=tmp_path)
        assert [r["status"] for r in table] == ["ok", "failed"]
        assert table.rows[1]["error"].startswith("ValueError: losses: need logit_min < logit_max")
        assert table.rows[0]["init_scale"] == 10.0
        assert table.rows[1]["init_scale"] is None
        assert "1 failed: logit_min=20 seed=0 (ValueError: losses: need logit_min" in \
            table.conclusion


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_cli(*args, env=None) -> subprocess.CompletedProcess:
    command = Path(sys.executable).with_name("ray")
    return subprocess.run([str(command), *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_join_a_head_node_by_address(local_table, ray_temp, tmp_path, capsys):
    port = _free_port()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    started = _ray_cli("start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                       "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats",
                       f"--temp-dir={ray_temp}", env=env)
    try:
        assert started.returncode == 0, started.stderr[-2000:]
        code = main(["sweep", "vanishing", "--grid", "layers=2,5", "--seeds", "0", "1",
                     "--quick", "--ray", f"127.0.0.1:{port}", "--out", str(tmp_path)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert not ray.is_initialized()           # the sweep disconnected when done
        saved = json.loads((tmp_path / "sweep.json").read_text())
        assert saved["backend"] == "ray"
        assert without_seconds(saved["rows"]) == \
            json.loads(json.dumps(without_seconds(local_table.rows)))
        assert local_table.conclusion in out
    finally:
        _ray_cli("stop", "--force", env=env)
    assert not _processes_using(ray_temp), "Ray processes survived `ray stop`"
