"""Data sets as NumPy arrays (``cr.datasets``).

- Real data that installs offline, from scikit-learn's bundled copies: ``breast_cancer``,
  ``digits`` (each with ``split=True`` for the fixed, standardised train/test split).
- Generated offline and cached: ``mnist1d``.
- The playground's 2-D toys, NumPy only: ``circles``, ``xor``, ``gaussians``, ``spirals``,
  ``moons``.
- ``fixed_split(X, y)``: the course's 80/20 stratified, standardised split for any of them.
"""
from ..split import TrainTestSplit, fixed_split
from .generated import mnist1d
from .real import breast_cancer, digits
from .toys import circles, gaussians, moons, spirals, xor

__all__ = ["breast_cancer", "digits", "mnist1d", "circles", "xor", "gaussians", "spirals",
           "moons", "fixed_split", "TrainTestSplit"]
