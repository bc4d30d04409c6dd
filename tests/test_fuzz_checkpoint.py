"""Fuzzing cr.load with crafted files, and cr.save / cr.load with random structures.

A file that is not a checkpoint, whatever its bytes, is a ValueError naming it: never a
raw SafetensorError, KeyError or RecursionError. Whatever structure is saved comes back
whole: no array is lost, even when two paths read the same.
"""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import chainrule as cr

pytest.importorskip("safetensors", reason="checkpoints need safetensors (the demo extra)")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def load_only_value_error(path) -> None:
    """cr.load(path) returns, or raises ValueError naming the file; nothing else."""
    try:
        cr.load(path)
    except ValueError as e:
        assert str(path) in str(e)


def valid_file(tmp_path) -> bytes:
    path = cr.save({"model": {"w": np.arange(6.0).reshape(2, 3), "b": np.zeros(2)},
                    "epoch": 3, "betas": (0.9, 0.999)}, tmp_path / "valid.safetensors")
    return path.read_bytes()


def with_header(header: bytes, body: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + body


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes(tmp_path, data):
    path = tmp_path / "random.safetensors"
    path.write_bytes(data)
    load_only_value_error(path)


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_truncated_files(tmp_path, cut):
    data = valid_file(tmp_path)
    path = tmp_path / "truncated.safetensors"
    path.write_bytes(data[:cut % len(data)])
    with pytest.raises(ValueError, match="truncated.safetensors"):
        cr.load(path)


@FUZZ
@given(position=st.integers(min_value=0), byte=st.integers(min_value=0, max_value=255))
def test_one_byte_changed(tmp_path, position, byte):
    data = bytearray(valid_file(tmp_path))
    data[position % len(data)] = byte
    path = tmp_path / "flipped.safetensors"
    path.write_bytes(bytes(data))
    load_only_value_error(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["__dict__", "__array__", "__tuple__", "x", "0"]),
                      inner, max_size=3),
    max_leaves=20)


@FUZZ
@given(tree=JSON)
def test_crafted_metadata_trees(tmp_path, tree):
    from safetensors.numpy import save

    path = tmp_path / "crafted.safetensors"
    path.write_bytes(save({"x": np.ones(2, np.float32), "0": np.zeros(1)},
                          metadata={"chainrule": json.dumps(tree)}))
    load_only_value_error(path)


@FUZZ
@given(header=st.one_of(
    st.binary(max_size=64),
    JSON.map(lambda t: json.dumps(t).encode()),
    st.builds(lambda dtype, shape, start, stop: json.dumps(
        {"x": {"dtype": dtype, "shape": shape, "data_offsets": [start, stop]}}).encode(),
        st.sampled_from(["F32", "F64", "I64", "BF16", "C64", "U8", "XX", ""]),
        st.lists(st.integers(min_value=-2, max_value=2**40), max_size=3),
        st.integers(min_value=-1, max_value=2**40), st.integers(min_value=-1, max_value=2**40)),
), body=st.binary(max_size=64))
def test_bad_headers(tmp_path, header, body):
    path = tmp_path / "header.safetensors"
    path.write_bytes(with_header(header, body))
    load_only_value_error(path)


@pytest.mark.parametrize("depth", [150, 5_000, 100_000])
def test_deeply_nested_metadata(tmp_path, depth):
    from safetensors.numpy import save

    path = tmp_path / "deep.safetensors"
    path.write_bytes(save({"x": np.ones(1)},
                          metadata={"chainrule": "[" * depth + "]" * depth}))
    with pytest.raises(ValueError, match="deep.safetensors is not a readable"):
        cr.load(path)


def test_a_header_length_beyond_the_file(tmp_path):
    path = tmp_path / "long.safetensors"
    path.write_bytes(struct.pack("<Q", 2**63) + b"{}")
    with pytest.raises(ValueError, match="long.safetensors"):
        cr.load(path)


# ------------------------------------------------------------ round trips
# Few keys, chosen so that flattened paths often read the same: 0 and "0", "a/0" and
# ["a"][0], "a/b" and ["a"]["b"], "0~2" and a renamed "0".
KEYS = st.sampled_from(["a", "b", "a/b", "a/0", "0", "0~2", "", "/", 0, 1])
ARRAYS = st.builds(lambda shape, dtype, seed: np.random.default_rng(seed).normal(
    size=shape).astype(dtype),
    st.lists(st.integers(min_value=0, max_value=3), max_size=2),
    st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
    st.integers(min_value=0, max_value=100))
VALUES = st.recursive(
    ARRAYS | st.none() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=15)
# Shallow dicts of arrays, where paths that read the same are common.
COLLIDING = st.dictionaries(KEYS, ARRAYS | st.lists(ARRAYS, min_size=1, max_size=2)
                            | st.dictionaries(KEYS, ARRAYS, min_size=1, max_size=3),
                            min_size=2, max_size=6)


def assert_same(a, b) -> None:
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b


@FUZZ
@given(state=VALUES | COLLIDING)
def test_whatever_is_saved_comes_back_whole(tmp_path, state):
    assert_same(state, cr.load(cr.save(state, tmp_path / "round.safetensors")))
