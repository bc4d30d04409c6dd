"""``cr.save`` and ``cr.load``: checkpoints as safetensors files, written atomically.

A checkpoint holds a nested dict (a model's or optimizer's state_dict, or several of
them with the epoch and random states). Arrays become safetensors tensors named by
their path in the dict ("model/0.weight"); everything else (numbers, strings, lists)
is kept as JSON in the file's metadata. The file is written to a temporary name in the
same folder and renamed over the target, so a crash never leaves half a checkpoint.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .fileio import write_bytes
from .tensor import Tensor

_TREE_KEY = "chainrule"


def _missing_safetensors() -> ImportError:
    return ImportError('checkpoints need the safetensors package: pip install "chainrule[demo]"'
                       " (or pip install safetensors)")


def _flatten(obj, path: str, arrays: dict):
    """The JSON-able tree of obj, with each array moved into ``arrays`` under its path."""
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray):
        arrays[path] = np.require(obj, requirements="C")   # (keeps 0-d arrays 0-d)
        return {"__array__": path}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        for key in obj:
            if not isinstance(key, (str, int)):
                raise TypeError(f"save: dict keys must be str or int, got {key!r} at '{path}'")
        return {"__dict__": [[k, _flatten(v, f"{path}/{k}" if path else str(k), arrays)]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, f"{path}/{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_flatten(v, f"{path}/{i}", arrays) for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"save: cannot store a {type(obj).__name__} at '{path or '/'}'; a checkpoint "
                    "holds arrays, tensors, numbers, strings, lists, tuples and dicts")


def _unflatten(tree, arrays: dict):
    if isinstance(tree, dict):
        if "__array__" in tree:
            return arrays[tree["__array__"]]
        if "__tuple__" in tree:
            return tuple(_unflatten(v, arrays) for v in tree["__tuple__"])
        return {k: _unflatten(v, arrays) for k, v in tree["__dict__"]}
    if isinstance(tree, list):
        return [_unflatten(v, arrays) for v in tree]
    return tree


def save(obj, path) -> Path:
    """Write obj (a Module, an optimizer, or a nested dict of them and plain values) to
    a safetensors file at path, atomically. Returns the path.

    >>> cr.save({"model": model, "optimizer": opt, "epoch": 3}, "run.safetensors")
    """
    try:
        from safetensors.numpy import save as to_bytes
    except ImportError:
        raise _missing_safetensors() from None
    arrays: dict = {}
    tree = _flatten(obj, "", arrays)
    payload = to_bytes(arrays, metadata={_TREE_KEY: json.dumps(tree)})
    return write_bytes(path, payload)


def load(path):
    """Read what ``save`` wrote: the same nested structure, with arrays as NumPy arrays
    (pass a model's part to ``model.load_state_dict``)."""
    try:
        from safetensors import SafetensorError
        from safetensors.numpy import load as from_bytes
    except ImportError:
        raise _missing_safetensors() from None
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load: no checkpoint at {path}")
    data = path.read_bytes()
    try:
        arrays = from_bytes(data)
        header_len = int.from_bytes(data[:8], "little")
        metadata = json.loads(data[8:8 + header_len]).get("__metadata__", {})
        tree = json.loads(metadata[_TREE_KEY])
        return _unflatten(tree, arrays)
    except (SafetensorError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"load: {path} is not a readable chainrule checkpoint (corrupt, "
                         f"truncated or written by something else): {e}") from None
