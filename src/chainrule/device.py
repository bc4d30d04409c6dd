"""PyTorch's device spellings, for a library that computes on the CPU only (NumPy).

``cr.device("cpu")``, ``device="cpu"`` arguments, ``t.to("cpu")`` and
``cr.set_default_device("cpu")`` work so that PyTorch programs run unchanged; asking for any
other device is a clear error instead of a silent CPU run.

>>> cr.zeros(2, device="cpu").device
device(type='cpu')
"""
from __future__ import annotations

import numpy as np

__all__ = ["device", "set_default_device", "get_default_device"]


class device:
    """A place tensors live; chainrule has one, ``cpu`` (``cpu:0`` is the same)."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index: int | None = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got "
                            f"{builtins_type(type).__name__} {type!r}")
        name, _, idx = type.partition(":")
        if name != "cpu" or idx not in ("", "0") or index not in (None, 0):
            raise RuntimeError(
                f"device: chainrule computes with NumPy on the CPU only, so device {type!r} is "
                "not available. Use 'cpu' (cr.cuda.is_available() is False, so the tutorials' "
                "'cuda if available else cpu' picks it).")
        self.type, self.index = "cpu", None

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            return other in ("cpu", "cpu:0")
        return isinstance(other, device)

    def __hash__(self) -> int:
        return hash("cpu")

    def __str__(self) -> str:
        return "cpu"

    def __repr__(self) -> str:
        return "device(type='cpu')"


builtins_type = type
CPU = device("cpu")


def check(where, op: str) -> None:
    """Accept None, 'cpu' or a cpu device for a ``device=`` argument; anything else raises."""
    if where is None or isinstance(where, device):
        return
    if not isinstance(where, str):
        raise TypeError(f"{op}: device must be a string such as 'cpu' or a cr.device, got "
                        f"{builtins_type(where).__name__} {where!r}")
    device(where)   # raises, saying why, for anything but the CPU


def set_default_device(where) -> None:
    """Only 'cpu' is possible; kept so that PyTorch's ``torch.set_default_device(device)`` runs."""
    check(where, "set_default_device")


def get_default_device() -> device:
    return CPU


def parse_to_args(op: str, args: tuple, kwargs: dict):
    """The dtype a ``t.to(...)`` call asks for (None if only a device), checking the device."""
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    check(kwargs.pop("device", None), op)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"{op}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
    for a in args:
        if isinstance(a, (str, device)):
            check(a, op)
        elif hasattr(a, "dtype") and not isinstance(a, (type, np.dtype)):   # t.to(other)
            dtype = a.dtype
        else:
            try:
                dtype = np.dtype(a)
            except TypeError:
                raise TypeError(f"{op}: expected a device ('cpu') or a dtype (cr.float32), got "
                                f"{builtins_type(a).__name__} {a!r}") from None
    return None if dtype is None else np.dtype(dtype)
