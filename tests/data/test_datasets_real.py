"""breast_cancer and digits from scikit-learn's bundled copies, with the fixed split."""
import sys

import numpy as np
import pytest

from chainrule.data import datasets

pytest.importorskip("sklearn", reason="the real data sets are read from scikit-learn "
                                      '(pip install "chainrule[demo]")')


@pytest.mark.parametrize("name, shape, counts", [
    ("breast_cancer", (569, 30), [212, 357]),
    ("digits", (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
])
def test_whole_set(name, shape, counts):
    X, y = getattr(datasets, name)()
    assert X.shape == shape and X.dtype == np.float32
    assert y.shape == shape[:1] and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), counts)


@pytest.mark.parametrize("name, n_train, n_test", [("breast_cancer", 455, 114),
                                                   ("digits", 1437, 360)])
def test_split_matches_sklearn_and_is_standardised(name, n_train, n_test):
    from sklearn import datasets as sk_datasets
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    parts = getattr(datasets, name)(split=True)
    assert parts.X_train.shape[0] == n_train and parts.X_test.shape[0] == n_test
    assert parts.X_train.dtype == np.float32 and parts.y_train.dtype == np.int64

    X, y = getattr(sk_datasets, f"load_{name}")(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0,
                                                        stratify=y)
    scaler = StandardScaler().fit(X_train)
    np.testing.assert_array_equal(parts.y_train, y_train)
    np.testing.assert_array_equal(parts.y_test, y_test)
    np.testing.assert_allclose(parts.X_train, scaler.transform(X_train), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(parts.X_test, scaler.transform(X_test), rtol=1e-5, atol=1e-6)
    varying = X_train.std(axis=0) > 0
    np.testing.assert_allclose(parts.X_train.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(parts.X_train.std(axis=0)[varying], 1, rtol=1e-5)


def test_missing_sklearn_says_how_to_install(monkeypatch):
    for name in list(sys.modules):
        if name == "sklearn" or name.startswith("sklearn."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[demo\]"'):
        datasets.breast_cancer()
