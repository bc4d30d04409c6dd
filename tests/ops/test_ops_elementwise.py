"""exp log sqrt abs, where, clip, maximum and minimum."""
import numpy as np
import pytest

import chainrule as cr

# name: (chainrule, torch, a sampler of inputs in the smooth domain)
UNARY = {
    "exp": (cr.exp, lambda t: t.exp(), lambda rng, s: rng.standard_normal(s)),
    "log": (cr.log, lambda t: t.log(), lambda rng, s: rng.uniform(0.1, 3.0, s)),
    "sqrt": (cr.sqrt, lambda t: t.sqrt(), lambda rng, s: rng.uniform(0.1, 3.0, s)),
    "abs": (cr.abs, lambda t: t.abs(),
            lambda rng, s: rng.choice([-1, 1], s) * rng.uniform(0.1, 3.0, s)),
}


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name, shape, rng, check_grad):
    fn, _, sample = UNARY[name]
    assert check_grad(fn, sample(rng, shape))


@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name, shape, rng, against_torch):
    fn, torch_fn, sample = UNARY[name]
    x = sample(rng, shape)
    against_torch(fn, torch_fn, x)
    against_torch(fn, torch_fn, x, dtype=np.float32)


@pytest.mark.parametrize("name", UNARY)
def test_unary_method_form_equals_function(name, rng):
    x = cr.tensor(UNARY[name][2](rng, (3,)))
    np.testing.assert_array_equal(getattr(x, name)().data, UNARY[name][0](x).data)


def test_edges_of_the_domain_follow_numpy_without_warning():
    x = cr.tensor([0.0, -1.0, 1000.0])
    assert cr.log(x)[0].item() == -np.inf and np.isnan(cr.log(x)[1].item())
    assert np.isnan(cr.sqrt(x)[1].item())
    assert cr.exp(x)[2].item() == np.inf


AT_ZERO = {"1 / t": lambda t: 1 / t, "t / t": lambda t: t / t, "t / 0": lambda t: t / 0,
           "t ** -1": lambda t: t ** -1, "sqrt": lambda t: t.sqrt(), "log": lambda t: t.log()}


@pytest.mark.parametrize("expr", AT_ZERO)
def test_infinite_values_and_slopes_at_zero_match_torch_without_warning(expr, against_torch):
    against_torch(AT_ZERO[expr], AT_ZERO[expr], np.array([0.0, 1.0]))


def test_abs_has_zero_gradient_at_zero(against_torch):
    against_torch(cr.abs, lambda t: t.abs(), np.array([-2.0, 0.0, 3.0]))


# ------------------------------------------------------------------------ where
WHERE_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((2, 1, 4), (3, 1), ())]


def where_inputs(rng, shapes):
    return rng.random(shapes[0]) > 0.5, rng.standard_normal(shapes[1]), \
        rng.standard_normal(shapes[2])


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=str)
def test_where_gradcheck(shapes, rng, check_grad):
    cond, a, b = where_inputs(rng, shapes)
    assert check_grad(lambda a, b: cr.where(cond, a, b), a, b)


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=str)
def test_where_matches_torch(shapes, rng, against_torch, torch):
    against_torch(cr.where, torch.where, *where_inputs(rng, shapes))


def test_where_with_a_python_number_branch(rng, against_torch, torch):
    cond = np.array([True, False, True])
    x = rng.standard_normal(3)
    out = against_torch(lambda c, x: cr.where(c, x, 0.0), lambda c, x: torch.where(c, x, 0.0),
                        cond, x)
    assert out.data[1] == 0.0


def test_where_rejects_a_non_boolean_condition():
    with pytest.raises(TypeError, match="where: the condition must be boolean, got dtype"):
        cr.where(cr.ones(3), cr.ones(3), cr.zeros(3))


def test_where_names_the_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"where: shapes \(3,\) and \(2,\) and \(\)"):
        cr.where(cr.ones(3) > 0, cr.ones(2), 0.0)


# ------------------------------------------------------------------------- clip
CLIPS = [(-0.5, 0.5), (-0.5, None), (None, 0.5)]


def clip_input(rng):
    x = rng.standard_normal((3, 4))
    x[np.abs(np.abs(x) - 0.5) < 0.01] = 0.0      # keep finite differences off the kinks
    return x


@pytest.mark.parametrize("lo, hi", CLIPS)
def test_clip_gradcheck(lo, hi, rng, check_grad):
    assert check_grad(lambda t: cr.clip(t, lo, hi), clip_input(rng))


@pytest.mark.parametrize("lo, hi", CLIPS)
def test_clip_matches_torch_clamp(lo, hi, rng, against_torch):
    x = clip_input(rng)
    against_torch(lambda t: cr.clip(t, lo, hi), lambda t: t.clamp(lo, hi), x)
    against_torch(lambda t: t.clamp(lo, hi), lambda t: t.clamp(lo, hi), x, dtype=np.float32)


def test_clip_passes_the_gradient_at_the_bounds_like_torch(against_torch):
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    out = against_torch(lambda t: t.clip(-0.5, 0.5), lambda t: t.clamp(-0.5, 0.5), x)
    np.testing.assert_array_equal(out.data, [-0.5, -0.5, 0.0, 0.5, 0.5])


def test_clip_errors():
    with pytest.raises(ValueError, match="clip: give at least one of lo and hi"):
        cr.clip(cr.ones(2))
    # lo > hi is not an error: every element becomes hi, as torch.clamp(x, 3, 0) gives
    np.testing.assert_array_equal(cr.clip(cr.tensor([-1.0, 1.0, 5.0]), 3, 0).data, [0, 0, 0])


# ------------------------------------------------------------ maximum / minimum
EXTREMUM_SHAPES = [((3, 4), (3, 4)), ((3, 1), (4,)), ((2, 3, 4), ())]


@pytest.mark.parametrize("shapes", EXTREMUM_SHAPES, ids=str)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_gradcheck(name, shapes, rng, check_grad):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])   # no ties
    assert check_grad(getattr(cr, name), a, b)


@pytest.mark.parametrize("shapes", EXTREMUM_SHAPES, ids=str)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_match_torch(name, shapes, rng, against_torch):
    a, b = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
    against_torch(getattr(cr, name), lambda a, b: getattr(a, name)(b), a, b)
    against_torch(lambda a, b: getattr(a, name)(b), lambda a, b: getattr(a, name)(b), a, b,
                  dtype=np.float32)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_split_a_tie_evenly_like_torch(name, against_torch):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([1.0, 0.0, 3.0])
    against_torch(getattr(cr, name), lambda a, b: getattr(a, name)(b), a, b)
    x = cr.tensor([2.0], requires_grad=True)
    getattr(cr, name)(x, 2.0).sum().backward()
    assert x.grad.item() == 0.5


def test_maximum_names_the_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"maximum: shapes \(3,\) and \(2,\)"):
        cr.maximum(cr.ones(3), cr.ones(2))
