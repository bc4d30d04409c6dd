"""Feeding data to a model (``cr.data``): batches, splits, scaling, and the data sets.

>>> X_train, X_test, y_train, y_test = cr.datasets.breast_cancer(split=True)
>>> loader = cr.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=0)
"""
from . import datasets
from .loader import DataLoader
from .split import Standardizer, TrainTestSplit, fixed_split, train_test_split

__all__ = ["DataLoader", "train_test_split", "fixed_split", "Standardizer", "TrainTestSplit",
           "datasets"]
