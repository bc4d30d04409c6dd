"""mnist1d: generated offline once per session, then read back from the cache."""
import importlib
import random
import sys

import numpy as np
import pytest

from chainrule.data import datasets

generated = importlib.import_module("chainrule.data.datasets.generated")


@pytest.fixture(scope="session")
def mnist1d_cache(tmp_path_factory):
    """Generate MNIST-1D once (a few seconds) into a session cache directory."""
    pytest.importorskip("mnist1d", reason="generating MNIST-1D needs the mnist1d package "
                                          "(pip install mnist1d)")
    path = tmp_path_factory.mktemp("cache")
    return path, datasets.mnist1d(cache_dir=path)


def test_shapes_and_classes(mnist1d_cache):
    _, (X_train, X_test, y_train, y_test) = mnist1d_cache
    assert X_train.shape == (4000, 40) and X_test.shape == (1000, 40)
    assert X_train.dtype == X_test.dtype == np.float32
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert y_train.dtype == y_test.dtype == np.int64
    assert set(np.unique(y_train)) == set(np.unique(y_test)) == set(range(10))
    assert np.bincount(y_train).min() > 350


def test_second_call_reads_the_cache(mnist1d_cache, monkeypatch):
    path, first = mnist1d_cache
    files = [p.name for p in path.iterdir()]
    assert files == ["mnist1d-v1.npz"]                     # no temporary file left behind

    def must_not_generate(args):
        raise AssertionError("mnist1d generated the data again instead of reading the cache")

    monkeypatch.setattr(generated, "_generate", must_not_generate)
    again = datasets.mnist1d(cache_dir=path)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_generation_leaves_global_random_state_alone(monkeypatch):
    """mnist1d's make_dataset reseeds NumPy's and Python's global generators; we undo that.
    (Checked on a stub make_dataset that does the same, to stay fast.)"""
    data = pytest.importorskip("mnist1d.data")

    def tiny_make_dataset(args):
        np.random.seed(args.seed)
        random.seed(args.seed)
        x = np.zeros((10, 40))
        return {"x": x[:8], "x_test": x[8:], "y": np.arange(8), "y_test": np.arange(2)}

    monkeypatch.setattr(data, "make_dataset", tiny_make_dataset)
    np.random.seed(123)
    random.seed(123)
    expected = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    parts = generated._generate(generated._generator_args())
    assert parts.X_train.shape == (8, 40) and parts.y_test.dtype == np.int64
    assert (np.random.random(), random.random()) == expected


def test_cache_from_other_settings_is_regenerated(mnist1d_cache, monkeypatch, tmp_path):
    path, first = mnist1d_cache
    args = generated._generator_args()
    monkeypatch.setattr(generated, "_generator_args", lambda: {**args, "seed": 7})
    monkeypatch.setattr(generated, "_generate",
                        lambda args: first._replace(y_test=first.y_test[:5]))
    (tmp_path / "mnist1d-v1.npz").write_bytes((path / "mnist1d-v1.npz").read_bytes())
    with pytest.warns(UserWarning, match="generated with other settings"):
        assert len(datasets.mnist1d(cache_dir=tmp_path).y_test) == 5


def test_unreadable_cache_is_regenerated_with_a_warning(mnist1d_cache, monkeypatch, tmp_path):
    _, first = mnist1d_cache
    (tmp_path / "mnist1d-v1.npz").write_bytes(b"not a zip file")
    monkeypatch.setattr(generated, "_generate", lambda args: first)
    with pytest.warns(UserWarning, match="could not read the cached"):
        parts = datasets.mnist1d(cache_dir=tmp_path)
    assert parts.X_train.shape == (4000, 40)
    assert datasets.mnist1d(cache_dir=tmp_path).X_test.shape == (1000, 40)   # now readable


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path):
    cache = importlib.import_module("chainrule.data.datasets._cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "chainrule"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "chainrule"


def test_missing_package_says_how_to_install(monkeypatch, tmp_path):
    for name in list(sys.modules):
        if name == "mnist1d" or name.startswith("mnist1d."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    with pytest.raises(ImportError, match="pip install mnist1d"):
        datasets.mnist1d(cache_dir=tmp_path)
