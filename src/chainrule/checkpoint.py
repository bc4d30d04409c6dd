"""``cr.save`` and ``cr.load``: checkpoints as safetensors files, written atomically.

A checkpoint holds a nested dict (a model's or optimizer's state_dict, or several of
them with the epoch and random states). Arrays become safetensors tensors named by
their path in the dict ("model/0.weight"); everything else (numbers, strings, lists)
is kept as JSON in the file's metadata, where each array is referred to by its name.
Two paths that read the same (``{1: a, "1": b}``, ``{"a/b": a, "a": {"b": b}}``) get
distinct names (the second is ``1~2``, ``a/b~2``), so nothing is ever lost. The file is
written to a temporary name in the same folder and renamed over the target, so a crash
never leaves half a checkpoint.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .fileio import write_bytes
from .tensor import Tensor

__all__ = ["save", "load", "MAX_DEPTH"]

_TREE_KEY = "chainrule"
MAX_DEPTH = 100     # nesting of dicts, lists and tuples; real checkpoints need a handful
# What a safetensors file can hold that NumPy has: booleans, integers, floats.
_DTYPES = frozenset(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64))


def _missing_safetensors() -> ImportError:
    return ImportError('checkpoints need the safetensors package: pip install "chainrule[demo]"'
                       " (or pip install safetensors)")


def _as_path(path, who: str) -> Path:
    if isinstance(path, bool) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a str or a path-like object (e.g. "
                        f"'run.safetensors'), got {path!r}")
    return Path(path)


# ------------------------------------------------------------------- saving
def _flatten(obj, path: str, arrays: dict, inside: set):
    """The JSON-able tree of obj, with each array moved into ``arrays`` under a name of
    its own (its path; ``~2``, ``~3``... appended if that name is taken). ``inside``
    holds the ids of the containers being flattened, to catch one that contains itself."""
    where = path or "/"
    if len(inside) > MAX_DEPTH:
        raise ValueError(f"the object is nested more than {MAX_DEPTH} levels deep at '{where}'")
    if hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray):
        if obj.dtype not in _DTYPES:
            raise TypeError(f"cannot store an array of dtype {obj.dtype} at '{where}'; a "
                            "checkpoint holds arrays of booleans, integers and floats")
        name = _free_name(path, arrays)
        arrays[name] = np.require(obj, requirements="C")   # (keeps 0-d arrays 0-d)
        return {"__array__": name}
    if isinstance(obj, np.generic):      # np.float32(2.5), np.int64(3): plain numbers
        obj = obj.item()
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in inside:
            raise ValueError(f"'{where}' is a {type(obj).__name__} that contains it; a "
                             "checkpoint cannot hold a structure that refers to itself")
        inside.add(id(obj))
        try:
            return _flatten_container(obj, path, arrays, inside)
        finally:
            inside.discard(id(obj))
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} at '{where}'; a checkpoint "
                    "holds arrays, tensors, numbers, strings, lists, tuples and dicts")


def _flatten_container(obj, path: str, arrays: dict, inside: set):
    def child(key):
        return f"{path}/{key}" if path else str(key)

    if isinstance(obj, dict):
        for key in obj:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"dict keys must be str or int, got {key!r} at '{path or '/'}'")
        return {"__dict__": [[k, _flatten(v, child(k), arrays, inside)] for k, v in obj.items()]}
    items = [_flatten(v, child(i), arrays, inside) for i, v in enumerate(obj)]
    return {"__tuple__": items} if isinstance(obj, tuple) else items


def _free_name(path: str, arrays: dict) -> str:
    name, n = path, 1
    while name in arrays:
        n += 1
        name = f"{path}~{n}"
    return name


def save(obj, path) -> Path:
    """Write obj (a Module, an optimizer, or a nested dict of them and plain values) to
    a safetensors file at path, atomically. Returns the path.

    >>> cr.save({"model": model, "optimizer": opt, "epoch": 3}, "run.safetensors")  # doctest: +SKIP
    """
    path = _as_path(path, "save")
    try:
        # safetensors is optional: imported when a checkpoint is written
        from safetensors import SafetensorError
        from safetensors.numpy import save as to_bytes
    except ImportError:
        raise _missing_safetensors() from None
    arrays: dict = {}
    try:
        tree = _flatten(obj, "", arrays, set())
        payload = to_bytes(arrays, metadata={_TREE_KEY: json.dumps(tree)})
    except (TypeError, ValueError, SafetensorError) as e:
        kind = TypeError if isinstance(e, TypeError) else ValueError
        raise kind(f"save: {e} (nothing was written to {path})") from None
    return write_bytes(path, payload)


# ------------------------------------------------------------------ loading
def load(path):
    """Read what ``save`` wrote: the same nested structure, with arrays as NumPy arrays
    (pass a model's part to ``model.load_state_dict``). A file that is not a chainrule
    checkpoint (corrupt, truncated, crafted) is a ValueError naming it."""
    path = _as_path(path, "load")
    try:
        # safetensors is optional: imported when a checkpoint is read
        from safetensors.numpy import load as from_bytes
    except ImportError:
        raise _missing_safetensors() from None
    if path.is_dir():
        raise ValueError(f"load: {path} is a directory; expected a checkpoint file")
    if not path.is_file():
        raise FileNotFoundError(f"load: no checkpoint at {path}")
    data = path.read_bytes()
    try:
        arrays = from_bytes(data)
        header_len = int.from_bytes(data[:8], "little")
        header = json.loads(data[8:8 + header_len])
        metadata = header.get("__metadata__") or {}
        if _TREE_KEY not in metadata:
            raise ValueError("it has no chainrule metadata (a safetensors file written by "
                             "something else?)")
        tree = json.loads(metadata[_TREE_KEY])
        return _unflatten(tree, arrays, 0)
    except RecursionError:
        reason = "its metadata is nested too deeply to be a checkpoint"
    # Whatever a corrupt or crafted file makes the parsers raise, the answer is the same.
    except Exception as e:       # noqa: BLE001
        reason = str(e) or type(e).__name__
    raise ValueError(f"load: {path} is not a readable chainrule checkpoint (corrupt, "
                     f"truncated or written by something else): {reason}")


def _unflatten(tree, arrays: dict, depth: int):
    """The structure ``_flatten`` described, checked as it is rebuilt (the file may have
    been written by anyone)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"it is nested more than {MAX_DEPTH} levels deep")
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    if isinstance(tree, list):
        return [_unflatten(v, arrays, depth + 1) for v in tree]
    if isinstance(tree, dict) and len(tree) == 1:
        (kind, body), = tree.items()
        if kind == "__array__" and isinstance(body, str):
            if body not in arrays:
                raise ValueError(f"its metadata refers to an array {body!r} it does not hold")
            return arrays[body]
        if kind == "__tuple__" and isinstance(body, list):
            return tuple(_unflatten(v, arrays, depth + 1) for v in body)
        if kind == "__dict__" and isinstance(body, list) and all(_is_item(i) for i in body):
            return {k: _unflatten(v, arrays, depth + 1) for k, v in body}
    raise ValueError(f"unexpected entry in its metadata: {_short(tree)}")


def _is_item(item) -> bool:
    return (isinstance(item, list) and len(item) == 2 and not isinstance(item[0], bool)
            and isinstance(item[0], (str, int)))


def _short(tree) -> str:
    text = json.dumps(tree)
    return text if len(text) <= 60 else text[:57] + "..."
