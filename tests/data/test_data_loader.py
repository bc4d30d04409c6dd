"""DataLoader: the three batching modes, shuffling with a seed, dtypes, validation."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader


def data(n=10, features=3):
    X = np.arange(n * features, dtype=np.float64).reshape(n, features)
    y = np.arange(n) % 3
    return X, y


def epoch_rows(loader):
    """The sample index of every row of one epoch, batch by batch (X[:, 0] / 3 is the index)."""
    return [(xb.data[:, 0] // 3).astype(int).tolist() for xb, _ in loader]


@pytest.mark.parametrize("batch_size, sizes", [
    (None, [10]),              # batch gradient descent: one update per epoch
    (1, [1] * 10),             # stochastic: m updates
    (4, [4, 4, 2]),            # mini-batch: the last batch is short
    (5, [5, 5]),
    (10, [10]),
    (32, [10]),                # larger than the data: one short batch
])
def test_batching_modes(batch_size, sizes):
    loader = DataLoader(*data(), batch_size=batch_size, seed=0)
    batches = list(loader)
    assert len(loader) == len(batches) == len(sizes)
    assert [xb.shape[0] for xb, _ in batches] == sizes
    assert [yb.shape[0] for _, yb in batches] == sizes
    assert all(xb.shape[1:] == (3,) for xb, _ in batches)


@pytest.mark.parametrize("batch_size", [None, 1, 3, 4, 7])
@pytest.mark.parametrize("shuffle", [True, False])
def test_each_sample_exactly_once_per_epoch(batch_size, shuffle):
    X, y = data(10)
    loader = DataLoader(X, y, batch_size=batch_size, shuffle=shuffle)
    for _ in range(3):
        rows = [i for batch in epoch_rows(loader) for i in batch]
        assert sorted(rows) == list(range(10))


def test_pairs_stay_together():
    X, y = data(50)
    for xb, yb in DataLoader(X, y, batch_size=8, seed=3):
        index = (xb.data[:, 0] // 3).astype(int)
        np.testing.assert_array_equal(yb.data, y[index])


@pytest.mark.parametrize("batch_size, sizes", [(4, [4, 4]), (5, [5, 5]), (1, [1] * 10),
                                               (10, [10])])
def test_drop_last(batch_size, sizes):
    loader = DataLoader(*data(10), batch_size=batch_size, drop_last=True)
    assert len(loader) == len(sizes)
    assert [xb.shape[0] for xb, _ in loader] == sizes


def test_drop_last_with_batch_larger_than_data_is_an_error():
    with pytest.raises(ValueError, match="larger than the 10 samples"):
        DataLoader(*data(10), batch_size=11, drop_last=True)


def test_no_shuffle_keeps_order():
    loader = DataLoader(*data(10), batch_size=4, shuffle=False)
    assert epoch_rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert epoch_rows(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_same_seed_same_epochs_and_epochs_differ():
    a = DataLoader(*data(20), batch_size=5, seed=7)
    b = DataLoader(*data(20), batch_size=5, seed=7)
    epochs_a = [epoch_rows(a) for _ in range(4)]
    epochs_b = [epoch_rows(b) for _ in range(4)]
    assert epochs_a == epochs_b
    assert len({str(e) for e in epochs_a}) == 4        # a new permutation every epoch
    assert epochs_a[0] != [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13, 14],
                           [15, 16, 17, 18, 19]]


def test_different_seeds_differ():
    a = DataLoader(*data(20), batch_size=5, seed=1)
    b = DataLoader(*data(20), batch_size=5, seed=2)
    assert epoch_rows(a) != epoch_rows(b)


def test_epoch_is_drawn_when_iteration_begins():
    a = DataLoader(*data(20), batch_size=5, seed=0)
    b = DataLoader(*data(20), batch_size=5, seed=0)
    first, second = iter(a), iter(a)          # epoch 1, then epoch 2

    def rows(it):
        return [(xb.data[:, 0] // 3).astype(int).tolist() for xb, _ in it]

    second_rows, first_rows = rows(second), rows(first)
    assert [first_rows, second_rows] == [epoch_rows(b), epoch_rows(b)]


def test_seed_none_follows_manual_seed():
    cr.manual_seed(5)
    a = epoch_rows(DataLoader(*data(20), batch_size=5, seed=None))
    cr.manual_seed(5)
    b = epoch_rows(DataLoader(*data(20), batch_size=5, seed=None))
    assert a == b


def test_x_alone_yields_tensors():
    X, _ = data(10)
    batches = list(DataLoader(X, batch_size=4, shuffle=False))
    assert all(isinstance(xb, cr.Tensor) for xb in batches)
    np.testing.assert_array_equal(np.concatenate([xb.data for xb in batches]), X)


def test_tensors_and_lists_are_accepted():
    X, y = data(6)
    xb, yb = next(iter(DataLoader(cr.tensor(X, dtype=np.float64), cr.tensor(y))))
    assert xb.shape == (6, 3) and yb.shape == (6,)
    xb, yb = next(iter(DataLoader(X.tolist(), y.tolist(), shuffle=False)))
    np.testing.assert_array_equal(xb.data, X.astype(np.float32))
    assert not xb.requires_grad


@pytest.mark.parametrize("x_dtype, y_dtype, dtype, want_x, want_y", [
    (np.float64, np.int64, None, np.float32, np.int64),       # float features -> float32
    (np.float32, np.int32, None, np.float32, np.int64),       # integer labels -> int64
    (np.float64, np.uint8, None, np.float32, np.int64),
    (np.float64, np.bool_, None, np.float32, np.int64),
    (np.float64, np.float64, None, np.float32, np.float32),   # float labels follow X
    (np.float64, np.float64, np.float64, np.float64, np.float64),   # float64 only if asked
    (np.float32, np.float32, np.float64, np.float64, np.float64),
    (np.int64, np.int64, None, np.int64, np.int64),           # integer features stay integer
    (np.int64, np.float64, None, np.int64, np.float32),
    (np.int64, np.int64, np.float32, np.float32, np.int64),
])
def test_dtypes(x_dtype, y_dtype, dtype, want_x, want_y):
    X = np.ones((6, 2), x_dtype)
    y = np.ones(6, y_dtype)
    for xb, yb in DataLoader(X, y, batch_size=4, dtype=dtype):
        assert xb.dtype == want_x and yb.dtype == want_y


def test_mismatched_lengths_name_both():
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        DataLoader(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, 4.0, "4", True])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match=f"batch_size must be None .* got {batch_size!r}"):
        DataLoader(*data(), batch_size=batch_size)


def test_numpy_int_batch_size_is_fine():
    assert len(DataLoader(*data(10), batch_size=np.int64(3))) == 4


@pytest.mark.parametrize("X, message", [
    (np.float64(1.0), "must have a samples axis"),
    (np.zeros((0, 3)), "X has no samples"),
])
def test_bad_x(X, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(X)


def test_non_numeric_x():
    with pytest.raises(TypeError, match="X must hold numbers"):
        DataLoader(np.array(["a", "b"]))


def test_bad_seed():
    with pytest.raises(ValueError, match="seed must be a non-negative int or None"):
        DataLoader(*data(), seed=-1)


def test_repr_and_len():
    loader = DataLoader(*data(10), batch_size=3)
    assert len(loader) == 4 and "batch_size=3" in repr(loader)


def test_fast_on_a_large_set():
    """One fancy index per batch, no per-sample Python loop: a 100k-sample epoch is quick."""
    import time
    X = np.zeros((100_000, 4), np.float32)
    loader = DataLoader(X, batch_size=1000)
    start = time.perf_counter()
    assert sum(1 for _ in loader) == 100
    assert time.perf_counter() - start < 1.0


def test_state_dict_resumes_the_sequence_of_epochs():
    full = DataLoader(*data(20), batch_size=5, seed=9)
    epochs = [epoch_rows(full) for _ in range(4)]

    first = DataLoader(*data(20), batch_size=5, seed=9)
    epoch_rows(first), epoch_rows(first)
    state = first.state_dict()
    assert state["epoch"] == 2

    resumed = DataLoader(*data(20), batch_size=5, seed=9)
    resumed.load_state_dict(state)
    assert [epoch_rows(resumed), epoch_rows(resumed)] == epochs[2:]
    assert resumed.epoch == 4


def test_state_dict_survives_a_checkpoint(tmp_path):
    """The state is JSON-able (big ints included), as cr.save's metadata needs."""
    import json
    loader = DataLoader(*data(20), batch_size=5, seed=9)
    epoch_rows(loader)
    state = json.loads(json.dumps(loader.state_dict()))
    expected = epoch_rows(loader)
    again = DataLoader(*data(20), batch_size=5, seed=9)
    again.load_state_dict(state)
    assert epoch_rows(again) == expected


def test_load_state_dict_errors():
    with pytest.raises(ValueError, match="expected a dict with keys 'epoch' and 'rng'"):
        DataLoader(*data()).load_state_dict({"epoch": 1})
    seeded = DataLoader(*data()).state_dict()
    with pytest.raises(ValueError, match="saved from a loader with a seed"):
        DataLoader(*data(), seed=None).load_state_dict(seeded)


@pytest.mark.parametrize("X", [[[1.0, 2.0], [3.0]], [1.0, [2.0, 3.0]]])
def test_ragged_data_is_a_clear_error(X):
    with pytest.raises(ValueError, match=r"DataLoader: X is ragged: its samples do not all "
                                         r"have the same shape"):
        DataLoader(X)
    with pytest.raises(ValueError, match="DataLoader: y is ragged"):
        DataLoader([[1.0], [2.0]], [[1], [2, 3]])
