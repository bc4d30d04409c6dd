"""``cr.cuda``: what PyTorch programs ask before choosing a device. chainrule computes on
the CPU (NumPy), so no GPU is ever available.

>>> device = "cuda" if cr.cuda.is_available() else "cpu"    # 'cpu'
"""
from __future__ import annotations


def is_available() -> bool:
    """False: chainrule has no GPU backend."""
    return False


def device_count() -> int:
    return 0
