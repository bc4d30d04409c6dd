"""The one random generator chainrule draws from (parameter initialisation, dropout,
shuffling defaults, random tensors). ``manual_seed`` makes a run repeatable."""
from __future__ import annotations

import numpy as np

from .grad_mode import _state

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed chainrule's generator, as ``torch.manual_seed`` does."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The current generator (changes when manual_seed is called)."""
    if _state["recorder"] is not None:   # cr.compile: a draw it must make again on replay
        _state["recorder"].on_random()
    return _generator


def get_state() -> dict:
    """The generator's state, for checkpoints."""
    return _generator.bit_generator.state


def set_state(state: dict) -> None:
    _generator.bit_generator.state = state
