"""Atomic file writes, used by everything that saves: checkpoints, caches, figures,
traces and reports. The data go to a temporary file in the same folder, which then
replaces the target in one ``os.replace``: a crash never leaves half a file behind.

A process killed in the middle of a write cannot remove its temporary file
(``.NAME.PID.HEX.tmp``); the next write of the same file does, once that PID is gone or
the file is a day old. ``check_writable`` tells a command, before it starts its work,
whether it will be able to write its output at all.
"""
from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import BinaryIO, Callable

__all__ = ["write_atomic", "write_bytes", "write_text", "save_figure", "check_writable"]

# A temporary file untouched for this long is stale even if its PID is alive: the PID may
# have been reused by an unrelated process since the writer died.
STALE_AFTER = 24 * 3600.0


def write_atomic(path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(fh)`` on a binary file handle, then move the file to path. Returns path.

    An OSError (a full disk, a missing permission) says which file could not be written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _naming(e, path, f"cannot create its folder {path.parent}") from e
    _remove_stale_temporaries(path)
    # A fresh name opened normally, so the file gets the usual permissions (mkstemp's
    # would be owner-only).
    tmp = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _naming(e, path, "it is a directory" if path.is_dir() else None) from e
        raise
    return path


def _naming(error: OSError, path: Path, reason: str | None = None) -> OSError:
    """The same kind of error, saying which file could not be written (a failed ``write``
    or ``fsync`` names no file, and ``os.replace`` names the temporary one)."""
    if error.errno is None:
        return error
    reason = reason or error.strerror or os.strerror(error.errno)
    detail = f" ({error.strerror})" if error.strerror and error.strerror not in reason else ""
    return type(error)(error.errno, f"cannot write {path}: {reason}{detail}")


def _remove_stale_temporaries(path: Path) -> None:
    """Delete what killed writers of path left behind; a live writer's file is kept."""
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[0-9a-f]{12}\.tmp")
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        m = pattern.fullmatch(entry.name)
        if m is None:
            continue
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if old or not _alive(int(m.group(1))):
                os.unlink(entry.path)
        except OSError:     # gone already, or not ours to delete: cleaning up is a courtesy
            continue


def _alive(pid: int) -> bool:
    """Whether a process with this PID exists (on Windows, where signal 0 would kill it,
    every PID counts as alive and only age makes a file stale)."""
    if os.name == "nt" or pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True       # it exists (someone else's), or the PID cannot be asked about
    return True


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


def check_writable(path, directory: bool = False) -> Path:
    """Raise ValueError unless path can be written: a file (or, with ``directory=True``, a
    folder to write files into). A probe file is written and removed in the nearest folder
    that exists, so the answer is the file system's own, not a guess from permissions;
    nothing else is created. Call it before long work whose output would otherwise be lost
    at the end.

    >>> check_writable("/proc/x/out.json")
    Traceback (most recent call last):
    ValueError: cannot write /proc/x/out.json: cannot create the folder /proc/x (...)
    """
    path = Path(path)
    folder = path if directory else path.parent
    if not directory and path.is_dir():
        raise ValueError(f"cannot write {path}: it is a directory; give a file name")
    if directory and path.exists() and not path.is_dir():
        raise ValueError(f"cannot write into {path}: it is a file, not a directory")
    what = f"into {path}" if directory else str(path)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"cannot write {what}: cannot create the folder {folder} (a file of "
                         "that name is in the way)")
    probe = existing / f".chainrule-probe.{os.getpid()}.{uuid.uuid4().hex[:12]}"
    try:
        probe.open("xb").close()
    except OSError as e:
        reason = (_reason(e) if existing == folder
                  else f"cannot create the folder {folder} ({_reason(e)})")
        raise ValueError(f"cannot write {what}: {reason}") from None
    probe.unlink(missing_ok=True)
    return path


def _reason(e: OSError) -> str:
    return e.strerror or str(e)
