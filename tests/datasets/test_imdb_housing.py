"""IMDB and the housing loaders on small generated files in Keras's formats."""

import io
import json
import os
import pickle

import pytest

from ember.backend import np
from ember.datasets import _common, boston_housing, california_housing, imdb


def _ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = list(s)
    return out


TRAIN = [[1, 2, 3], [4, 5, 6, 7, 8], [9], [2, 2, 10, 11]]
TEST = [[3, 4], [12, 1, 1, 1, 1, 1], [5, 6, 7]]


def _npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture
def imdb_file(caches, trust):
    data = _npz(x_train=_ragged(TRAIN), y_train=np.array([0, 1, 0, 1]),
                x_test=_ragged(TEST), y_test=np.array([1, 0, 1]))
    trust("imdb.npz", data)
    caches.write("ember", "imdb.npz", data)


def _shuffled(seqs, labels, rng):
    order = np.arange(len(seqs))
    rng.shuffle(order)
    return [seqs[i] for i in order], [labels[i] for i in order]


def test_imdb_defaults_match_keras(imdb_file):
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    rng = np.random.RandomState(113)  # Keras shuffles train, then test, with one generator
    train, train_labels = _shuffled(TRAIN, [0, 1, 0, 1], rng)
    test, test_labels = _shuffled(TEST, [1, 0, 1], rng)
    assert x_train.dtype == object and x_train.shape == (4,)
    assert y_train.tolist() == train_labels and y_test.tolist() == test_labels
    # start_char 1, words shifted by index_from 3; the largest index is past num_words (as Keras).
    top = max(w + 3 for s in TRAIN + TEST for w in s)
    expected = [[1] + [w + 3 if w + 3 < top else 2 for w in s] for s in train]
    assert list(x_train) == expected
    assert list(x_test)[0][0] == 1 and len(x_test) == 3


def test_imdb_num_words_skip_top_and_oov(imdb_file):
    (x_train, _), (x_test, _) = imdb.load_data(num_words=8, skip_top=5, seed=0)
    for seq in list(x_train) + list(x_test):
        assert all(w == 2 or 5 <= w < 8 for w in seq)
    (x_train, _), _ = imdb.load_data(num_words=8, skip_top=5, oov_char=None, seed=0)
    assert all(5 <= w < 8 for seq in x_train for w in seq)


def test_imdb_no_start_char_and_index_from(imdb_file):
    (x_train, _), _ = imdb.load_data(start_char=None, index_from=0, num_words=100)
    assert sorted(map(tuple, x_train)) == sorted(map(tuple, TRAIN))


def test_imdb_maxlen_keeps_shorter_reviews(imdb_file):
    (x_train, y_train), (x_test, _) = imdb.load_data(maxlen=5)
    # With the start character, lengths are 4, 6, 2 and 5: only those under 5 stay.
    assert sorted(len(s) for s in x_train) == [2, 4] and len(y_train) == 2
    assert sorted(len(s) for s in x_test) == [3, 4]
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(maxlen=1)


def test_imdb_equal_lengths_stay_one_dimensional(caches, trust):
    data = _npz(x_train=_ragged([[1, 2], [3, 4]]), y_train=np.array([0, 1]),
                x_test=_ragged([[5, 6]]), y_test=np.array([1]))
    trust("imdb.npz", data)
    caches.write("ember", "imdb.npz", data)
    (x_train, _), _ = imdb.load_data()
    assert x_train.shape == (2,) and isinstance(x_train[0], list)


def test_imdb_unknown_keyword():
    with pytest.raises(TypeError, match="nb_words"):
        imdb.load_data(nb_words=10)


def test_imdb_get_word_index(caches, trust):
    data = json.dumps({"the": 1, "and": 2}).encode()
    trust("imdb_word_index.json", data)
    caches.write("ember", "imdb_word_index.json", data)
    assert imdb.get_word_index() == {"the": 1, "and": 2}


class _Evil:
    def __reduce__(self):
        return (os.getcwd, ())


def test_npz_object_arrays_refuse_code(tmp_path):
    evil = np.empty(1, dtype=object)
    evil[0] = _Evil()
    np.savez(tmp_path / "evil.npz", x=evil)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to unpickle global"):
        _common.load_npz(tmp_path / "evil.npz")


def test_codecs_encode_only_for_latin1_bytes():
    assert _common.unpickle(pickle.dumps(b"\xff\x00", protocol=2)) == b"\xff\x00"
    bad = pickle.dumps(b"x", protocol=2).replace(b"latin1", b"utf_16")
    with pytest.raises(pickle.UnpicklingError):
        _common.unpickle(bad)


def test_load_npz_names_missing_arrays(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.zeros(2))
    with pytest.raises(ValueError, match=r"lacks the arrays \['y'\]"):
        _common.load_npz(tmp_path / "a.npz", keys=("x", "y"))
    (tmp_path / "b.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a valid .npz"):
        _common.load_npz(tmp_path / "b.npz")


@pytest.fixture
def boston_file(caches, trust):
    x = np.arange(506 * 13, dtype=np.float64).reshape(506, 13)
    data = _npz(x=x, y=np.arange(506, dtype=np.float64))
    trust("boston_housing.npz", data)
    caches.write("ember", "boston_housing.npz", data)


def test_boston_housing_split(boston_file):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13)
    assert y_train.shape == (404,) and x_train.dtype == np.float64
    order = np.arange(506)
    np.random.RandomState(113).shuffle(order)
    assert y_train.tolist() == order[:404].tolist() and y_test.tolist() == order[404:].tolist()
    np.testing.assert_array_equal(x_train[:, 0], order[:404] * 13)
    (_, y_other), _ = boston_housing.load_data(seed=1)
    assert y_other.tolist() != y_train.tolist()
    (x_all, _), (x_none, _) = boston_housing.load_data(test_split=0)
    assert len(x_all) == 506 and len(x_none) == 0
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1)


def test_california_housing_versions(caches, trust):
    data = _npz(x=np.random.default_rng(0).random((1000, 8)), y=np.arange(1000.0))
    trust("california_housing.npz", data)
    caches.write("ember", "california_housing.npz", data)
    (x_train, y_train), (x_test, _) = california_housing.load_data()
    assert x_train.shape == (800, 8) and x_test.shape == (200, 8)
    (x_small, y_small), (x_small_test, _) = california_housing.load_data(version="small")
    assert len(x_small) == 480 and len(x_small_test) == 120 and y_small.max() < 600
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")


def test_missing_housing_file_says_where_to_put_it(caches):
    from ember.utils.file_utils import DownloadError

    with pytest.raises(DownloadError) as info:
        california_housing.load_data()
    message = str(info.value)
    assert str(caches.ember / "california_housing.npz") in message
    assert "tf-keras-datasets/california_housing.npz" in message
