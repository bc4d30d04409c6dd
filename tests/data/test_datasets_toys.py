"""The 2-D toys: shapes, dtypes, balanced labels, determinism, and that each is its shape."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import datasets

TOYS = ["circles", "xor", "gaussians", "spirals", "moons"]


@pytest.mark.parametrize("name", TOYS)
@pytest.mark.parametrize("n", [2, 7, 200])
def test_shapes_dtypes_balance(name, n):
    X, y = getattr(datasets, name)(n=n, seed=0)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=2)
    assert len(counts) == 2 and counts.max() - counts.min() <= 1
    assert np.isfinite(X).all()


@pytest.mark.parametrize("name", TOYS)
def test_deterministic_by_seed(name):
    make = getattr(datasets, name)
    X1, y1 = make(n=100, noise=0.1, seed=3)
    X2, y2 = make(n=100, noise=0.1, seed=3)
    X3, y3 = make(n=100, noise=0.1, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)


@pytest.mark.parametrize("name", TOYS)
def test_seed_none_follows_manual_seed(name):
    make = getattr(datasets, name)
    cr.manual_seed(11)
    a = make(n=50, seed=None)[0]
    cr.manual_seed(11)
    np.testing.assert_array_equal(a, make(n=50, seed=None)[0])


@pytest.mark.parametrize("name", TOYS)
def test_labels_are_shuffled(name):
    _, y = getattr(datasets, name)(n=100)
    assert not np.array_equal(y, np.sort(y)) and not np.array_equal(y, np.arange(100) % 2)


@pytest.mark.parametrize("name", ["gaussians", "spirals"])
def test_classes(name):
    X, y = getattr(datasets, name)(n=301, classes=3)
    assert X.shape == (301, 2)
    np.testing.assert_array_equal(np.bincount(y), [101, 100, 100])


def test_noiseless_geometry():
    X, y = datasets.circles(400, noise=0.0, factor=0.5)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), np.where(y == 0, 1.0, 0.5), rtol=1e-6)

    X, y = datasets.xor(400, noise=0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.abs(X).min() >= 0.1 - 1e-6 and np.abs(X).max() <= 1.0 + 1e-6

    X, y = datasets.gaussians(400, noise=0.0)
    np.testing.assert_allclose(X[y == 0], np.broadcast_to([1.0, 1.0], X[y == 0].shape),
                               atol=1e-6)

    X, y = datasets.spirals(400, noise=0.0)
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-6

    X, y = datasets.moons(400, noise=0.0)
    up = X[y == 0] + [0.5, 0.25]                         # back to make_moons' coordinates
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0, rtol=1e-6)
    assert (up[:, 1] >= -1e-6).all()


def test_noise_spreads_points():
    quiet, _ = datasets.circles(500, noise=0.0)
    loud, _ = datasets.circles(500, noise=0.3)
    assert np.linalg.norm(loud, axis=1).std() > np.linalg.norm(quiet, axis=1).std() + 0.1


def test_moons_match_sklearn_shape():
    """Same two half circles as scikit-learn's make_moons, up to our centring."""
    sk = pytest.importorskip("sklearn.datasets")
    ours, y = datasets.moons(1000, noise=0.0)
    ref, y_ref = sk.make_moons(1000, noise=0.0)
    for label in (0, 1):
        shifted = ref[y_ref == label] - [0.5, 0.25]
        np.testing.assert_allclose(ours[y == label].min(axis=0), shifted.min(axis=0), atol=0.02)
        np.testing.assert_allclose(ours[y == label].max(axis=0), shifted.max(axis=0), atol=0.02)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=1), "n must be an int >= 2"),
    (dict(n=10.0), "n must be an int"),
    (dict(noise=-0.1), "noise must be a number >= 0"),
    (dict(noise=float("nan")), "noise must be a number >= 0"),
])
@pytest.mark.parametrize("name", TOYS)
def test_errors(name, kwargs, message):
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        getattr(datasets, name)(**kwargs)


def test_class_and_factor_errors():
    with pytest.raises(ValueError, match="classes must be an int >= 2, got 1"):
        datasets.gaussians(classes=1)
    with pytest.raises(ValueError, match="n must be an int >= 5"):
        datasets.spirals(n=4, classes=5)
    with pytest.raises(ValueError, match=r"factor .* must be in \(0, 1\)"):
        datasets.circles(factor=1.5)


def test_fixed_split_on_a_toy():
    X_train, X_test, y_train, y_test = datasets.fixed_split(*datasets.moons(500))
    assert X_train.shape == (400, 2) and X_test.shape == (100, 2)
    np.testing.assert_array_equal(np.bincount(y_test), [50, 50])
