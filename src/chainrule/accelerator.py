"""``cr.accelerator``: PyTorch's newer way to ask for a GPU (``torch.accelerator``); chainrule
has none, so programs written for it fall back to the CPU.

>>> cr.accelerator.is_available()
False
"""
from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    """None: there is no accelerator."""
    return None


def device_count() -> int:
    return 0
