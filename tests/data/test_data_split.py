"""train_test_split (sizes, stratification, agreement with scikit-learn, with and without it),
fixed_split and Standardizer."""
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import Standardizer, fixed_split, train_test_split
from chainrule.data import split as split_module


@pytest.fixture
def no_sklearn(monkeypatch):
    """Make ``import sklearn`` fail, as on an install without the demo extra."""
    for name in list(sys.modules):
        if name == "sklearn" or name.startswith("sklearn."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)


def labelled(n=100, weights=(0.7, 0.2, 0.1), seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(weights)), np.round(np.array(weights) * n).astype(int))
    rng.shuffle(y)
    X = np.arange(len(y) * 2, dtype=np.float64).reshape(-1, 2)
    return X, y


@pytest.mark.parametrize("n, test_size, n_test", [(100, 0.2, 20), (101, 0.2, 21),
                                                   (569, 0.2, 114), (10, 3, 3), (10, 0.25, 3)])
def test_sizes(n, test_size, n_test):
    X = np.arange(n * 2.0).reshape(n, 2)
    y = np.arange(n)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size)
    assert X_test.shape == (n_test, 2) and X_train.shape == (n - n_test, 2)
    assert y_test.shape == (n_test,) and y_train.shape == (n - n_test,)
    assert sorted(np.concatenate([y_train, y_test])) == list(range(n))   # a partition
    np.testing.assert_array_equal(X_train[:, 0] / 2, y_train)           # rows stay paired


def test_without_y_and_named_fields():
    X = np.arange(20.0)
    train, test = train_test_split(X)
    assert len(train) == 16 and len(test) == 4
    parts = train_test_split(X, X.astype(int))
    assert parts.X_train.shape == (16,) and parts.y_test.shape == (4,)


def test_reproducible_and_seeded():
    X, y = labelled()
    a = train_test_split(X, y, random_state=3)
    b = train_test_split(X, y, random_state=3)
    c = train_test_split(X, y, random_state=4)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)


def test_shuffle_false_takes_the_tail():
    X = np.arange(10)
    train, test = train_test_split(X, test_size=0.3, shuffle=False)
    np.testing.assert_array_equal(train, np.arange(7))
    np.testing.assert_array_equal(test, [7, 8, 9])


@pytest.mark.parametrize("use_sklearn", [True, False], ids=["sklearn", "numpy"])
def test_stratified_proportions(use_sklearn, request):
    if not use_sklearn:
        request.getfixturevalue("no_sklearn")
    X, y = labelled(200, (0.7, 0.2, 0.1))
    _, _, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y)
    np.testing.assert_array_equal(np.bincount(y_test), [28, 8, 4])
    np.testing.assert_array_equal(np.bincount(y_train), [112, 32, 16])


CASES = [dict(n=100, test_size=0.2, weights=(0.5, 0.5), stratify=False),
         dict(n=569, test_size=0.2, weights=(0.37, 0.63), stratify=True),
         dict(n=97, test_size=0.3, weights=(0.5, 0.3, 0.2), stratify=True),
         dict(n=50, test_size=7, weights=(0.2, 0.2, 0.2, 0.2, 0.2), stratify=True),
         dict(n=31, test_size=0.5, weights=(0.6, 0.4), stratify=False)]


@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_numpy_port_matches_sklearn(case, seed):
    """The NumPy-only path gives scikit-learn's split exactly, index for index."""
    sk = pytest.importorskip("sklearn.model_selection")
    X, y = labelled(case["n"], case["weights"], seed=seed)
    stratify = y if case["stratify"] else None
    want = sk.train_test_split(X, y, test_size=case["test_size"], random_state=seed,
                               stratify=stratify)
    n = len(y)
    n_train, n_test = split_module._n_train_test(n, case["test_size"])
    train, test = split_module._numpy_split_indices(n, n_train, n_test, seed, stratify)
    np.testing.assert_array_equal(X[train], want[0])
    np.testing.assert_array_equal(X[test], want[1])
    got = train_test_split(X, y, test_size=case["test_size"], random_state=seed,
                           stratify=stratify)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_works_without_sklearn(no_sklearn):
    with pytest.raises(ImportError):
        import sklearn  # noqa: F401
    X, y = labelled()
    parts = train_test_split(X, y, random_state=0, stratify=y)
    assert parts.X_train.shape == (80, 2)


def test_split_errors():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        train_test_split(X, np.zeros(9))
    with pytest.raises(ValueError, match="stratify has 8"):
        train_test_split(X, np.zeros(10), stratify=np.zeros(8))
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\), got 1.5"):
        train_test_split(X, test_size=1.5)
    with pytest.raises(ValueError, match=r"count must be in \[1, 9\] for 10 samples, got 10"):
        train_test_split(X, test_size=10)
    with pytest.raises(ValueError, match="test_size must be a float"):
        train_test_split(X, test_size="0.2")
    with pytest.raises(ValueError, match="training set would be empty"):
        train_test_split(np.zeros((1, 2)), test_size=0.5)
    with pytest.raises(ValueError, match="needs shuffle=True"):
        train_test_split(X, np.zeros(10), stratify=np.zeros(10), shuffle=False)


def test_stratify_errors_without_sklearn(no_sklearn):
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"single member \[2\]"):
        train_test_split(X, stratify=np.array([0] * 5 + [1] * 4 + [2]))
    with pytest.raises(ValueError, match="test part has 2 samples, fewer than the 5 classes"):
        train_test_split(X, stratify=np.arange(10) % 5)


def test_tensors_are_accepted():
    X, y = labelled()
    parts = train_test_split(cr.tensor(X, dtype=np.float64), cr.tensor(y), stratify=y)
    assert isinstance(parts.X_train, np.ndarray) and parts.X_train.shape == (80, 2)


def test_fixed_split_is_stratified_and_standardised():
    X, y = labelled(200, (0.7, 0.2, 0.1))
    X = X * np.array([1.0, 100.0]) + 5
    X_train, X_test, y_train, y_test = fixed_split(X, y)
    assert X_train.shape == (160, 2) and X_test.shape == (40, 2)
    np.testing.assert_array_equal(np.bincount(y_test), [28, 8, 4])
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1)
    raw = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
    np.testing.assert_array_equal(raw.y_train, y_train)
    assert fixed_split(X, y, standardize=False).X_train[0, 1] == raw.X_train[0, 1]


def test_fixed_split_regression_targets_are_not_stratified():
    X = np.arange(40.0).reshape(20, 2)
    y = np.linspace(0, 1, 20)
    assert fixed_split(X, y).y_test.shape == (4,)


# --------------------------------------------------------------------------- Standardizer
def test_standardizer_train_stats():
    rng = np.random.default_rng(0)
    X = rng.normal([3.0, -2.0, 10.0], [0.5, 4.0, 2.0], size=(200, 3))
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1)
    np.testing.assert_allclose(scaler.mean, X.mean(axis=0))
    np.testing.assert_allclose(scaler.std, X.std(axis=0))
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    np.testing.assert_allclose(Standardizer().fit_transform(X), Z)


def test_standardizer_matches_sklearn():
    sk = pytest.importorskip("sklearn.preprocessing")
    X = np.random.default_rng(1).normal(size=(50, 4)) * 7 + 2
    ref = sk.StandardScaler().fit(X[:40])
    ours = Standardizer().fit(X[:40])
    np.testing.assert_allclose(ours.transform(X[40:]), ref.transform(X[40:]))


def test_standardizer_uses_the_training_statistics():
    train = np.array([[0.0], [2.0]])             # mean 1, std 1
    test = np.array([[5.0], [1.0]])
    scaler = Standardizer().fit(train)
    np.testing.assert_allclose(scaler.transform(test), [[4.0], [0.0]])


def test_standardizer_constant_feature():
    X = np.array([[1.0, 7.0], [3.0, 7.0], [5.0, 7.0]])
    scaler = Standardizer().fit(X)
    assert scaler.std[1] == 1.0
    Z = scaler.transform(X)
    assert np.isfinite(Z).all()
    np.testing.assert_array_equal(Z[:, 1], 0.0)


def test_standardizer_dtypes():
    X32 = np.arange(12, dtype=np.float32).reshape(6, 2)
    assert Standardizer().fit_transform(X32).dtype == np.float32
    assert Standardizer().fit_transform(X32.astype(np.float64)).dtype == np.float64
    assert Standardizer().fit_transform(X32.astype(np.int64)).dtype == np.float32


def test_standardizer_errors():
    with pytest.raises(ValueError, match="not fitted yet; call fit"):
        Standardizer().transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="not fitted yet"):
        Standardizer().inverse_transform(np.zeros((3, 2)))
    scaler = Standardizer().fit(np.random.default_rng(0).normal(size=(10, 30)))
    with pytest.raises(ValueError, match="X has 5 features but the Standardizer was fitted "
                                         "on 30 features"):
        scaler.transform(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="contains NaN or infinity"):
        Standardizer().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="no samples"):
        Standardizer().fit(np.zeros((0, 3)))
    assert "not fitted" in repr(Standardizer())
