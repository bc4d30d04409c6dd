"""Where generated data sets are kept between runs, and how they are written safely."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...fileio import write_atomic

__all__ = ["cache_dir", "save_npz_atomic"]


def cache_dir(path: str | os.PathLike | None = None) -> Path:
    """``path`` if given, else ``$XDG_CACHE_HOME/chainrule`` or ``~/.cache/chainrule``."""
    if path is not None:
        return Path(path).expanduser()
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "chainrule"


def save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    """Write an .npz atomically: readers see either the old file or the complete new one."""
    write_atomic(path, lambda fh: np.savez(fh, **arrays))
