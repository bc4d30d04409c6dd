"""Bad hyperparameters and bad parameter lists fail early, naming what was wrong."""
import re

import numpy as np
import pytest

import chainrule as cr


def param():
    return cr.tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize("name,kw,message", [
    ("SGD", dict(lr=-0.1), "SGD: lr must be >= 0.0, got -0.1"),
    ("SGD", dict(lr=0.1, momentum=-0.5), "SGD: momentum must be >= 0.0, got -0.5"),
    ("SGD", dict(lr=0.1, weight_decay=-1), "SGD: weight_decay must be >= 0.0, got -1"),
    ("SGD", dict(lr=0.1, nesterov=True), "SGD: nesterov=True needs momentum > 0 and "
                                         "dampening = 0, got momentum=0.0, dampening=0.0"),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    ("SGD", dict(lr=float("nan")), "SGD: lr must be >= 0.0, got nan"),
    ("RMSprop", dict(lr=-1.0), "RMSprop: lr must be >= 0.0, got -1.0"),
    ("RMSprop", dict(alpha=1.5), "RMSprop: alpha must be >= 0.0 and <= 1.0, got 1.5"),
    ("RMSprop", dict(eps=-1e-8), "RMSprop: eps must be >= 0.0, got -1e-08"),
    ("RMSprop", dict(momentum=-0.1), "RMSprop: momentum must be >= 0.0, got -0.1"),
    ("Adam", dict(lr=-1e-3), "Adam: lr must be >= 0.0, got -0.001"),
    ("Adam", dict(betas=(1.0, 0.999)), "Adam: betas[0] must be >= 0.0 and < 1.0, got 1.0"),
    ("Adam", dict(betas=(0.9, -0.1)), "Adam: betas[1] must be >= 0.0 and < 1.0, got -0.1"),
    ("Adam", dict(betas=0.9), "Adam: betas must be a pair (beta1, beta2), got 0.9"),
    ("Adam", dict(eps=-1.0), "Adam: eps must be >= 0.0, got -1.0"),
    ("Adam", dict(weight_decay=-0.1), "Adam: weight_decay must be >= 0.0, got -0.1"),
    ("AdamW", dict(betas=(0.9, 1.0)), "AdamW: betas[1] must be >= 0.0 and < 1.0, got 1.0"),
    ("AdamW", dict(lr=-2.0), "AdamW: lr must be >= 0.0, got -2.0"),
])
def test_bad_hyperparameters_raise_value_error(name, kw, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(cr.optim, name)([param()], **kw)


@pytest.mark.parametrize("value", ["0.1", None, True])
def test_hyperparameters_that_are_not_numbers_raise_type_error(value):
    with pytest.raises(TypeError, match=re.escape(f"SGD: lr must be a number, got {value!r}")):
        cr.optim.SGD([param()], lr=value)


def test_bad_hyperparameters_in_a_group_are_caught_too():
    with pytest.raises(ValueError, match="Adam: lr must be >= 0.0, got -1"):
        cr.optim.Adam([{"params": [param()], "lr": -1}])
    opt = cr.optim.SGD([param()], lr=0.1)
    with pytest.raises(ValueError, match="SGD: momentum must be >= 0.0, got -1"):
        opt.add_param_group({"params": [param()], "momentum": -1})


def test_params_must_be_an_iterable_of_tensors():
    with pytest.raises(TypeError, match="SGD: params must be an iterable .* got a single Tensor"):
        cr.optim.SGD(param(), lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 of the group is a ndarray"):
        cr.optim.SGD([param(), np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="not a set"):
        cr.optim.SGD({param()}, lr=0.1)
    with pytest.raises(TypeError, match="wrap the parameter group in a list"):
        cr.optim.SGD({"params": [param()]}, lr=0.1)


def test_empty_and_repeated_params_are_rejected():
    with pytest.raises(ValueError, match="Adam: got an empty parameter list"):
        cr.optim.Adam([])
    w = param()
    with pytest.raises(ValueError, match="the same parameter twice"):
        cr.optim.Adam([w, w])
    with pytest.raises(ValueError, match="more than one parameter group"):
        cr.optim.Adam([{"params": [w]}, {"params": [w]}])


def test_non_leaf_tensors_cannot_be_optimized():
    w = param()
    with pytest.raises(ValueError, match="non-leaf"):
        cr.optim.SGD([w * 2], lr=0.1)


def test_group_without_params_is_rejected():
    with pytest.raises(ValueError, match="needs a 'params' entry"):
        cr.optim.SGD([{"lr": 0.1}], lr=0.1)


OPTIMIZERS = [("SGD", {}), ("Adam", {}), ("AdamW", {}), ("RMSprop", {})]


@pytest.mark.parametrize("name, kw", OPTIMIZERS)
@pytest.mark.parametrize("lr", [float("inf"), -float("inf")])
def test_infinite_lr_is_refused(name, kw, lr):
    with pytest.raises(ValueError, match=f"{name}: lr must be a finite number, got {lr}"):
        getattr(cr.optim, name)([param()], lr=lr, **kw)


@pytest.mark.parametrize("name, kw", OPTIMIZERS)
def test_integer_tensors_are_not_parameters(name, kw):
    ints = cr.tensor([1, 2])
    with pytest.raises(TypeError, match=f"{name}: parameter 1 of the group has dtype int64; "
                                        "only floating-point tensors can be optimized"):
        getattr(cr.optim, name)([param(), ints], lr=0.1, **kw)


@pytest.mark.parametrize("name, kw", OPTIMIZERS)
def test_passing_the_model_itself_says_to_pass_its_parameters(name, kw):
    model = cr.nn.Linear(2, 1)
    with pytest.raises(TypeError, match=re.escape(
            f"{name}: got the module Linear itself; pass its parameters: "
            f"{name}(model.parameters(), lr=...)")):
        getattr(cr.optim, name)(model, lr=0.1, **kw)
    with pytest.raises(TypeError, match=f"{name}: params must be an iterable of Tensors"):
        getattr(cr.optim, name)(3, lr=0.1, **kw)
    opt = getattr(cr.optim, name)([param()], lr=0.1, **kw)
    with pytest.raises(TypeError, match="got the module Linear itself"):
        opt.add_param_group({"params": model})


def test_optimizer_state_with_non_numeric_values_is_a_clear_error():
    p = param()
    opt = cr.optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    opt.step()
    state = opt.state_dict()
    state["state"][0]["momentum_buffer"] = ["a", "b"]
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: state 'momentum_buffer' of "
                                         r"parameter 0 must be numbers, got list \['a', 'b'\]"):
        cr.optim.SGD([p], lr=0.1, momentum=0.9).load_state_dict(state)
    adam = cr.optim.Adam([p], lr=0.1)
    (p * p).sum().backward()
    adam.step()
    state = adam.state_dict()
    state["state"][0]["step"] = "three"
    with pytest.raises(ValueError, match="state 'step' of parameter 0 must be numbers"):
        cr.optim.Adam([p], lr=0.1).load_state_dict(state)
