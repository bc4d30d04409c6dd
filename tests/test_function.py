"""cr.autograd.Function: user-defined ops with a hand-written backward, as in PyTorch."""
import numpy as np
import pytest

import chainrule as cr


class Cube(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x ** 2


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * x ** 2          # a slip in the hand derivation


class ScaledProduct(cr.autograd.Function):
    """x * y * k with a non-tensor argument k kept on ctx."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * y * k

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.k, g * x * ctx.k, None


class SumAndDifference(cr.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        return x + y, x - y

    @staticmethod
    def backward(ctx, g_sum, g_diff):
        return g_sum + g_diff, g_sum - g_diff


def test_apply_records_a_node_and_backward_calls_the_users_rule():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    np.testing.assert_array_equal(y.data, [1.0, 8.0])
    assert y.requires_grad and y.grad_fn.name() == "CubeBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])


def test_gradcheck_confirms_a_right_derivation_and_catches_a_wrong_one():
    x = cr.tensor([0.5, -1.2, 2.0])
    assert cr.gradcheck(Cube.apply, x)
    assert cr.autograd.gradcheck(Cube.apply, (x,))          # PyTorch's tuple form
    with pytest.raises(cr.GradcheckError, match="input 0"):
        cr.gradcheck(WrongCube.apply, x)


def test_create_graph_differentiates_the_users_backward(torch):
    class TorchCube(torch.autograd.Function):
        forward = staticmethod(Cube.forward)
        backward = staticmethod(Cube.backward)

    x = cr.tensor(1.5, dtype=cr.float64, requires_grad=True)
    (g,) = cr.grad(Cube.apply(x), x, create_graph=True)     # 3x^2
    (gg,) = cr.grad(g, x)                                    # 6x
    xt = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    (gt,) = torch.autograd.grad(TorchCube.apply(xt), xt, create_graph=True)
    (ggt,) = torch.autograd.grad(gt, xt)
    assert (g.item(), gg.item()) == (gt.item(), ggt.item()) == (6.75, 9.0)


def test_non_tensor_arguments_and_several_inputs(torch):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([3.0, 4.0], requires_grad=True)
    ScaledProduct.apply(x, y, 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [6.0, 8.0])
    np.testing.assert_array_equal(y.grad.data, [2.0, 4.0])
    assert cr.gradcheck(lambda a, b: ScaledProduct.apply(a, b, 2.0), x, y)


def test_several_outputs_each_hand_back_their_part():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.tensor([5.0, 7.0], requires_grad=True)
    s, d = SumAndDifference.apply(x, y)
    (s * 2 + d * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])
    np.testing.assert_array_equal(y.grad.data, [-1.0, -1.0])


def test_inputs_that_need_no_gradient_and_needs_input_grad():
    seen = {}

    class Probe(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, None

    a = cr.tensor([1.0], requires_grad=True)
    Probe.apply(a, cr.tensor([2.0])).sum().backward()
    assert seen["needs"] == (True, False) and a.grad.item() == 1.0
    assert not Probe.apply(cr.tensor([1.0]), cr.tensor([2.0])).requires_grad


def test_a_saved_tensor_changed_in_place_is_refused():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = Cube.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="saved tensor 0 of Cube .*version 1"):
        y.sum().backward()


def test_mistakes_are_clear_errors():
    class TooFew(cr.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    class BadShape(Cube):
        @staticmethod
        def backward(ctx, g):
            return cr.ones(3)

    a = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="TooFew.backward returned 1 gradient.*took 2"):
        TooFew.apply(a, a).sum().backward()
    with pytest.raises(RuntimeError, match=r"gradient of shape \(3,\) for input 0 of shape "
                                           r"\(2,\)"):
        BadShape.apply(a).sum().backward()
    with pytest.raises(RuntimeError, match="call Cube.apply"):
        Cube()
    with pytest.raises(TypeError, match="save_for_backward: argument 0 must be a Tensor"):
        class SavesNumber(Cube):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(2.0)
                return x
        SavesNumber.apply(a)


def test_forward_returning_its_input_gets_a_new_tensor():
    class Identity(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = cr.tensor([1.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf
    y.sum().backward()
    assert x.grad.item() == 2.0
