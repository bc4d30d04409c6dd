"""Root pytest configuration: the namespace every docstring example runs in."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    """Give examples the usual short names and a fixed seed, so their output is stable."""
    doctest_namespace.update(cr=cr, np=np, nn=nn, F=F)
    cr.manual_seed(0)
    cr.set_grad_enabled(True)  # an example that turns recording off must not leak
