"""no_grad, enable_grad and set_grad_enabled: when the graph is recorded."""
import numpy as np
import pytest

import chainrule as cr


@pytest.fixture(autouse=True)
def grad_mode_is_restored():
    yield
    assert cr.is_grad_enabled(), "a test left graph recording switched off"


def test_no_grad_builds_no_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = (x * 2).exp().sum()
    assert not y.requires_grad and y.is_leaf and y.op is None and y.parents == ()
    assert cr.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_as_a_decorator():
    @cr.no_grad()
    def predict(x):
        """Docstring kept."""
        return x * 3

    x = cr.tensor(1.0, requires_grad=True)
    assert not predict(x).requires_grad
    assert predict.__doc__ == "Docstring kept."
    assert (x * 3).requires_grad


def test_enable_grad_inside_no_grad_and_nesting():
    x = cr.tensor(1.0, requires_grad=True)
    with cr.no_grad():
        with cr.enable_grad():
            assert (x * 2).requires_grad
        with cr.no_grad():
            pass
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()


def test_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with cr.no_grad():
            1 / 0
    assert cr.is_grad_enabled()


def test_set_grad_enabled_as_context_manager_decorator_and_call():
    x = cr.tensor(1.0, requires_grad=True)
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled()

    @cr.set_grad_enabled(False)
    def f(x):
        return x * 2

    assert cr.is_grad_enabled()                    # decorating switches nothing
    assert not f(x).requires_grad and cr.is_grad_enabled()

    cr.set_grad_enabled(False)                     # a plain call switches at once
    try:
        assert not cr.is_grad_enabled() and not (x * 2).requires_grad
    finally:
        cr.set_grad_enabled(True)


def test_backward_still_works_inside_no_grad():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with cr.no_grad():
        y.backward()
        x.data -= 0.1 * x.grad.data                # an update step, as an optimizer does
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    np.testing.assert_allclose(x.data, [0.8, 1.6])
