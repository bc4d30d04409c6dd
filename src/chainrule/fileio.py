"""Atomic file writes, used by everything that saves: checkpoints, caches, figures,
traces and reports. The data go to a temporary file in the same folder, which then
replaces the target in one ``os.replace``: a crash never leaves half a file behind."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = ["write_atomic", "write_bytes", "write_text", "save_figure"]


def write_atomic(path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(fh)`` on a binary file handle, then move the file to path. Returns path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fresh name opened normally, so the file gets the usual permissions (mkstemp's
    # would be owner-only).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_bytes(path, payload: bytes) -> Path:
    return write_atomic(path, lambda fh: fh.write(payload))


def write_text(path, text: str) -> Path:
    """Write text as UTF-8."""
    return write_bytes(path, text.encode("utf-8"))


def save_figure(fig, path, **kwargs) -> Path:
    """``fig.savefig`` to path; the format comes from the suffix (png, svg, pdf)."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    kwargs.setdefault("dpi", 120)
    kwargs.setdefault("bbox_inches", "tight")
    return write_atomic(path, lambda fh: fig.savefig(fh, format=fmt, **kwargs))
