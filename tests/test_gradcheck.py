"""cr.gradcheck: passes right gradients, and names the input and element of a wrong one."""
import numpy as np
import pytest

import chainrule as cr


def test_right_gradients_pass(rng):
    a, b = cr.tensor(rng.standard_normal((2, 3))), cr.tensor(rng.standard_normal(3))
    assert cr.gradcheck(lambda a, b: (a * b).sum(), a, b) is True
    assert cr.gradcheck(lambda a, b: cr.tanh(a @ b), a, b)             # non-scalar output
    assert cr.gradcheck(lambda a, b: a.exp() + 0 * b.sum(), a, b)
    assert cr.gradcheck(lambda a, b: a * 2, a, b)                      # b unused: 0 == 0


def test_a_wrong_gradient_names_input_element_and_both_values():
    x = cr.tensor([1.0, 2.0, 3.0])
    # x * x.detach() has value x^2 but backpropagates x, half the true 2x.
    with pytest.raises(cr.GradcheckError,
                       match=r"gradcheck: input 0 \(shape \(3,\)\), element \(0,\): analytic "
                             r"gradient [-\d.]+ but numeric [-\d.]+ \(difference"):
        cr.gradcheck(lambda x: (x * x.detach()).sum(), x)


def test_the_wrong_input_is_the_one_named():
    a, b = cr.tensor([1.0, 2.0]), cr.tensor([[3.0, 4.0]])
    with pytest.raises(cr.GradcheckError, match=r"input 1 \(shape \(1, 2\)\), element \(0, 0\)"):
        cr.gradcheck(lambda a, b: (a * b * b.detach()).sum(), a, b)


def test_a_wrong_jacobian_entry_is_caught_through_the_projection():
    # Only d out[1] / d x[0] is wrong (x[0] is detached in out[1]).
    x = cr.tensor([1.0, 2.0])
    with pytest.raises(cr.GradcheckError, match="element \\(0,\\)"):
        cr.gradcheck(lambda x: cr.stack([x[0] * x[1], x[0].detach() * x[1] + x[0] ** 2]), x)


def test_is_an_assertion_error():
    assert issubclass(cr.GradcheckError, AssertionError)


def test_tolerances_are_honoured():
    x = cr.tensor([1.0, 2.0])
    slightly_off = lambda x: x + 1e-4 * x.detach()   # noqa: E731  analytic 1, numeric 1.0001
    assert cr.gradcheck(slightly_off, x)
    with pytest.raises(cr.GradcheckError):
        cr.gradcheck(slightly_off, x, atol=1e-6, rtol=0)


def test_non_float_inputs_pass_through_and_inputs_are_not_touched():
    x = cr.tensor([1.0, 2.0, 3.0])                   # float32, no grad
    idx = cr.tensor([0, 0, 2])
    seen = []

    def fn(x, idx, scale):
        seen.append((x.dtype, idx.dtype, scale))
        return x[idx] * scale

    assert cr.gradcheck(fn, x, idx, 2.5)
    assert seen[0] == (np.float64, np.int64, 2.5)    # checked in float64
    assert x.dtype == np.float32 and x.grad is None and not x.requires_grad
    np.testing.assert_array_equal(x.data, [1.0, 2.0, 3.0])


def test_argument_errors():
    with pytest.raises(ValueError, match="gradcheck: no floating-point tensor among the inputs"):
        cr.gradcheck(lambda i: i * 2, cr.tensor([1, 2]))
    with pytest.raises(TypeError, match="gradcheck: fn must return a Tensor, got float"):
        cr.gradcheck(lambda x: 2.0, cr.tensor([1.0]))
