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
