"""MNIST and Fashion-MNIST from ../shared/datasets through every lookup place and layout."""

import gzip
import hashlib
import os

import pytest

from ember.backend import np
from ember.datasets import _common, fashion_mnist, mnist
from ember.datasets._sources import SOURCES
from ember.utils import file_utils
from ember.utils.file_utils import DownloadError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _check_mnist(data):
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    assert y_train.min() == 0 and y_train.max() == 9
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS
    assert x_train.max() == 255 and abs(float(x_train.mean()) - 33.318) < 1e-3


@pytest.fixture
def idx_files(shared_data):
    return {name: shared_data(f"mnist/{name}") for name in mnist.IDX_FILES}


def test_npz_from_ember_cache(caches, shared_data):
    caches.link("ember", "mnist.npz", shared_data("mnist/mnist.npz"))
    _check_mnist(mnist.load_data())


def test_idx_layout_matches_npz(caches, shared_data, idx_files):
    for name, source in idx_files.items():
        caches.link("ember", f"mnist/{name}", source)
    from_idx = mnist.load_data()
    _check_mnist(from_idx)
    with np.load(shared_data("mnist/mnist.npz")) as f:
        np.testing.assert_array_equal(from_idx[0][0], f["x_train"])
        np.testing.assert_array_equal(from_idx[1][1], f["y_test"])


def test_found_in_keras_cache(caches, shared_data):
    caches.link("keras", "mnist.npz", shared_data("mnist/mnist.npz"))
    _check_mnist(mnist.load_data())


def test_idx_found_in_system_folder(caches, idx_files):
    for name, source in idx_files.items():
        caches.link("system", f"mnist/{name}", source)
    (x_train, _), (_, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and y_test.shape == (10000,)


def test_npz_wins_over_idx(caches, shared_data, idx_files, monkeypatch):
    caches.link("system", "mnist/mnist.npz", shared_data("mnist/mnist.npz"))
    for name, source in idx_files.items():
        caches.link("ember", f"mnist/{name}", source)
    read = []
    monkeypatch.setattr(mnist.idx, "read_idx", lambda p: read.append(p))
    mnist.load_data()
    assert read == []


def test_regzipped_idx_with_other_header_loads(caches, idx_files):
    for name, source in idx_files.items():
        raw = gzip.decompress(source.read_bytes())
        # Another level, time stamp and no stored name: other container bytes, same content.
        repacked = gzip.compress(raw, compresslevel=1, mtime=1234567890)
        assert hashlib.sha256(repacked).hexdigest() != SOURCES[f"mnist/{name}"].file_hash
        caches.write("ember", f"mnist/{name}", repacked)
    _check_mnist(mnist.load_data())


def test_corrupted_npz_is_refused_naming_both_digests(caches, shared_data, tmp_path):
    with np.load(shared_data("mnist/mnist.npz")) as f:
        arrays = {k: f[k] for k in f.files}
    arrays["x_train"][0, 0, 0] ^= 1
    bad = caches.ember / "mnist.npz"
    bad.parent.mkdir(parents=True)
    np.savez(bad, **arrays)
    actual = file_utils.array_digest(arrays)
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    assert f"{bad} (ember cache: refused:" in message
    assert actual in message and SOURCES["mnist.npz"].content_hash in message
    assert SOURCES["mnist.npz"].file_hash in message


def test_corrupted_idx_falls_back_to_a_good_copy(caches, idx_files):
    # A truncated copy in ember's cache is refused; Keras's cache has good ones.
    caches.write("ember", f"mnist/{mnist.IDX_FILES[0]}", idx_files[mnist.IDX_FILES[0]]
                 .read_bytes()[:5000])
    for name, source in idx_files.items():
        caches.link("keras", f"mnist/{name}", source)
    _check_mnist(mnist.load_data())


def test_truncated_gz_is_refused(caches, idx_files):
    name = "t10k-labels-idx1-ubyte.gz"
    bad = caches.write("ember", f"mnist/{name}", idx_files[name].read_bytes()[:-100])
    path, looked = _common.locate(f"mnist/{name}")
    assert path is None
    assert any(entry.startswith(f"{bad} (ember cache: refused: ") for entry in looked)
    assert "content unreadable" in looked[0]


def test_offline_error_lists_every_place_and_url(caches):
    with pytest.raises(DownloadError) as info:
        mnist.load_data()
    message = str(info.value)
    for folder in (caches.ember, caches.keras, caches.system):
        npz = folder / "mnist" / "mnist.npz" if folder == caches.system else folder / "mnist.npz"
        assert str(npz) in message
        assert str(folder / "mnist" / "train-images-idx3-ubyte.gz") in message
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz" in message
    assert "train-images-idx3-ubyte.gz" in message and "EMBER_OFFLINE" in message


def test_second_load_costs_no_hash(caches, shared_data, monkeypatch):
    caches.link("ember", "mnist.npz", shared_data("mnist/mnist.npz"))
    calls = []
    for name in ("hash_file", "content_digest"):
        original = getattr(file_utils, name)
        monkeypatch.setattr(
            file_utils, name, lambda *a, _f=original, _n=name, **k: calls.append(_n) or _f(*a, **k)
        )
    mnist.load_data()
    assert "content_digest" in calls  # the shared npz's container differs from Keras's
    assert os.path.exists(caches.ember.parent / ".verified.json")
    calls.clear()
    mnist.load_data()
    assert calls == []


def test_changed_file_is_verified_again(caches, idx_files):
    name = "t10k-labels-idx1-ubyte.gz"
    copy = caches.write("ember", f"mnist/{name}", idx_files[name].read_bytes())
    assert _common.locate(f"mnist/{name}")[0] == str(copy)
    data = bytearray(copy.read_bytes())
    data[-5] ^= 0xFF  # same size, other content (and a fresh mtime)
    copy.write_bytes(bytes(data))
    os.utime(copy, ns=(1, 1))
    assert _common.locate(f"mnist/{name}")[0] is None


def test_fashion_mnist_from_debian_system_folder(caches, shared_data):
    for name in fashion_mnist.FILES:
        source = shared_data(f"fashion-mnist/{name}")
        # Debian's files are not Keras's (other gzip header); the content digest accepts them.
        assert file_utils.hash_file(source) != SOURCES[f"fashion-mnist/{name}"].file_hash
        caches.link("system", f"fashion-mnist/{name}", source)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert abs(float(x_test.mean()) - 73.147) < 1e-3


def test_fashion_mnist_offline_names_the_missing_file(caches):
    with pytest.raises(DownloadError, match="train-images-idx3-ubyte.gz") as info:
        fashion_mnist.load_data()
    assert str(caches.system / "fashion-mnist" / "train-images-idx3-ubyte.gz") in str(info.value)


def test_table_digests_match_shared_files(shared_data):
    """The content digests written in the table are those of the shared files."""
    for key, relative in (
        ("mnist.npz", "mnist/mnist.npz"),
        ("mnist/t10k-labels-idx1-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"),
        ("fashion-mnist/t10k-labels-idx1-ubyte.gz", "fashion-mnist/t10k-labels-idx1-ubyte.gz"),
    ):
        assert file_utils.content_digest(shared_data(relative)) == SOURCES[key].content_hash
