"""cr.save / cr.load: round trips, atomic writes, clear errors."""
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

pytest.importorskip("safetensors", reason="checkpoints need safetensors (the demo extra)")


def test_round_trip_of_a_nested_state(tmp_path):
    state = {"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3)},
             "epoch": 3, "lr": 0.1, "betas": (0.9, 0.999), "name": "run", "none": None,
             "steps": [1, 2, np.int64(3)], "t": cr.tensor([1.0, 2.0]),
             "scalar": np.array(2.5)}
    path = cr.save(state, tmp_path / "ckpt.safetensors")
    back = cr.load(path)
    np.testing.assert_array_equal(back["model"]["w"], state["model"]["w"])
    assert back["model"]["w"].dtype == np.float32
    assert back["epoch"] == 3 and back["lr"] == 0.1 and back["betas"] == (0.9, 0.999)
    assert back["name"] == "run" and back["none"] is None and back["steps"] == [1, 2, 3]
    np.testing.assert_array_equal(back["t"], [1.0, 2.0])
    assert back["scalar"].shape == () and back["scalar"] == 2.5


def test_model_and_optimizer_round_trip(tmp_path):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    opt = cr.optim.Adam(model.parameters(), lr=0.01)
    model(cr.randn(5, 3)).sum().backward()
    opt.step()
    cr.save({"model": model, "optimizer": opt}, tmp_path / "c.safetensors")
    state = cr.load(tmp_path / "c.safetensors")

    cr.manual_seed(1)
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    other.load_state_dict(state["model"])
    for (name, a), (_, b) in zip(model.named_parameters(), other.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    other_opt = cr.optim.Adam(other.parameters(), lr=0.01)
    other_opt.load_state_dict(state["optimizer"])


def test_no_temporary_file_is_left_and_old_file_survives_a_failed_save(tmp_path):
    path = tmp_path / "c.safetensors"
    cr.save({"a": np.ones(3)}, path)
    with pytest.raises(TypeError, match="cannot store a object"):
        cr.save({"a": object()}, path)
    np.testing.assert_array_equal(cr.load(path)["a"], np.ones(3))
    assert os.listdir(tmp_path) == ["c.safetensors"]


def test_corrupt_and_missing_files_are_clear_errors(tmp_path):
    path = tmp_path / "c.safetensors"
    cr.save({"a": np.ones(3)}, path)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ValueError, match="not a readable chainrule checkpoint"):
        cr.load(path)
    (tmp_path / "junk").write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(ValueError, match="not a readable chainrule checkpoint"):
        cr.load(tmp_path / "junk")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        cr.load(tmp_path / "missing")


def test_mismatched_checkpoint_is_a_clear_error(tmp_path):
    cr.save(nn.Linear(3, 2), tmp_path / "c.safetensors")
    with pytest.raises(ValueError, match="weight"):
        nn.Linear(4, 2).load_state_dict(cr.load(tmp_path / "c.safetensors"))


# ---------------------------------------------------------------- nothing lost (issue 10)
@pytest.mark.parametrize("state", [
    {1: np.ones(2), "1": np.zeros(3)},
    {"a/b": np.ones(2), "a": {"b": np.zeros(3)}},
    {"a": [np.ones(2)], "a/0": np.zeros(3)},
    {"a": (np.ones(2),), "a/0": np.zeros(3), "a/0~2": np.full(1, 7.0)},
], ids=["int-and-str-key", "slash-in-key", "list-index-and-key", "suffix-taken-too"])
def test_arrays_whose_paths_read_the_same_are_all_kept(tmp_path, state):
    back = cr.load(cr.save(state, tmp_path / "c.safetensors"))
    assert list(back) == list(state)
    for a, b in zip(_arrays(state), _arrays(back)):
        np.testing.assert_array_equal(a, b)
        assert a.shape == b.shape


def _arrays(tree):
    if isinstance(tree, dict):
        return [a for v in tree.values() for a in _arrays(v)]
    if isinstance(tree, (list, tuple)):
        return [a for v in tree for a in _arrays(v)]
    return [tree]


def test_a_self_referencing_dict_is_a_clear_error_and_writes_nothing(tmp_path):
    d = {"w": np.ones(2)}
    d["self"] = d
    with pytest.raises(ValueError, match=r"'self' is a dict that contains it.*c\.safetensors"):
        cr.save(d, tmp_path / "c.safetensors")
    shared = np.ones(2)
    back = cr.load(cr.save({"a": shared, "b": [shared, shared]}, tmp_path / "ok.safetensors"))
    np.testing.assert_array_equal(back["b"][1], shared)    # shared, not cyclic: fine
    assert os.listdir(tmp_path) == ["ok.safetensors"]


def test_too_deep_a_structure_is_refused_at_save(tmp_path):
    deep = np.ones(1)
    for _ in range(cr.checkpoint.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 100 levels deep"):
        cr.save(deep, tmp_path / "c.safetensors")


def _crafted(path, tree_json: str):
    from safetensors.numpy import save
    path.write_bytes(save({"x": np.ones(1)}, metadata={"chainrule": tree_json}))
    return path


@pytest.mark.parametrize("tree_json", [
    "[" * 100_000 + "]" * 100_000,                                  # json itself recurses
    '{"__dict__": [["a", ' * 300 + "1" + "]]}" * 300,               # within json, too deep
    '{"__array__": "nope"}', '{"__dict__": 5}', '{"__dict__": [[[1], 2]]}', '{"x": 1}',
    "not json",
], ids=["100k-deep", "300-deep", "missing-array", "dict-not-list", "bad-key", "unknown",
        "not-json"])
def test_a_crafted_file_is_a_value_error_naming_it(tmp_path, tree_json):
    path = _crafted(tmp_path / "crafted.safetensors", tree_json)
    with pytest.raises(ValueError, match="crafted.safetensors is not a readable chainrule"):
        cr.load(path)


def test_arrays_of_unsupported_dtypes_are_refused_naming_path_and_file(tmp_path):
    path = tmp_path / "c.safetensors"
    for bad, dtype in [(np.array([object()]), "object"), (np.ones(2, complex), "complex128"),
                       (np.array(["a"]), "<U1")]:
        with pytest.raises(TypeError, match=f"dtype {dtype} at 'm/w'.*{path.name}"):
            cr.save({"m": {"w": bad}}, path)
    with pytest.raises(TypeError, match="cannot store a complex at 'z'"):
        cr.save({"z": 1j}, path)
    assert not path.exists()


@pytest.mark.parametrize("bad", [None, 3, b"c.safetensors"])
def test_a_path_that_is_not_a_path_is_a_type_error(bad):
    with pytest.raises(TypeError, match=r"load: path must be a str or a path-like.*got"):
        cr.load(bad)
    with pytest.raises(TypeError, match=r"save: path must be a str"):
        cr.save({"a": 1}, bad)


def test_a_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        cr.load(tmp_path)


def test_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    import builtins
    import errno

    from chainrule import fileio

    path = tmp_path / "c.safetensors"
    cr.save({"a": np.ones(3)}, path)

    class FullDisk:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

    monkeypatch.setattr(fileio, "open", lambda *a, **k: FullDisk(builtins.open(*a, **k)),
                        raising=False)
    with pytest.raises(OSError, match=r"cannot write .*c\.safetensors: No space left") as info:
        cr.save({"a": np.zeros(3)}, path)
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    np.testing.assert_array_equal(cr.load(path)["a"], np.ones(3))
    assert os.listdir(tmp_path) == ["c.safetensors"]


# ------------------------------------------------ temporary files of killed writers
def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_temporary_files_are_removed_on_the_next_save(tmp_path):
    path = tmp_path / "c.safetensors"
    dead = tmp_path / f".c.safetensors.{_dead_pid()}.0123456789ab.tmp"
    live = tmp_path / f".c.safetensors.{os.getppid()}.abcdef012345.tmp"   # a live writer
    old = tmp_path / f".c.safetensors.{os.getppid()}.fedcba987654.tmp"    # PID reused since
    other = tmp_path / f".other.safetensors.{_dead_pid()}.0123456789ab.tmp"  # not this file's
    for p in (dead, live, old, other):
        p.write_bytes(b"half a checkpoint")
    os.utime(old, (0, 0))
    cr.save({"a": np.ones(3)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["c.safetensors", live.name, other.name])


def test_a_writer_killed_while_saving_leaves_nothing_after_the_next_save(tmp_path):
    import signal
    import subprocess
    import sys

    path = tmp_path / "c.safetensors"
    code = ("import sys, time\n"
            "from chainrule.fileio import write_atomic\n"
            "def slow(fh):\n"
            "    fh.write(b'x' * 100_000); fh.flush(); print('writing', flush=True)\n"
            "    time.sleep(60)\n"
            "write_atomic(sys.argv[1], slow)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    left = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(f".c.safetensors.{child.pid}.")
    cr.save({"a": np.ones(3)}, path)
    assert os.listdir(tmp_path) == ["c.safetensors"]
