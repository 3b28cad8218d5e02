"""CIFAR-10/100 loaders on small tarballs in the python-version format, and the safe unpickler."""

import io
import os
import pickle
import tarfile

import pytest

from ember import config
from ember.backend import np
from ember.datasets import cifar10, cifar100
from ember.datasets._sources import SOURCES
from ember.utils.file_utils import DownloadError


def _batch(n, seed, **labels):
    rng = np.random.default_rng(seed)
    batch = {b"batch_label": b"batch", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"filenames": [b"img_%d.png" % i for i in range(n)]}
    batch.update({k.encode(): v for k, v in labels.items()})
    # Protocol 2, as the real files (written by Python 2) are.
    return pickle.dumps(batch, protocol=2), batch


def _tarball(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def cifar10_files():
    members, batches = {}, {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        labels = [(i + j) % 10 for j in range(4)]
        members[f"cifar-10-batches-py/{name}"], batches[name] = _batch(4, i, labels=labels)
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps({b"label_names": []}, protocol=2)
    return _tarball(members), batches


def test_cifar10_shapes_dtypes_and_pixel_layout(caches, trust, cifar10_files):
    data, batches = cifar10_files
    trust("cifar-10-python.tar.gz", data)
    caches.write("ember", "cifar-10-python.tar.gz", data)
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and x_test.shape == (4, 32, 32, 3)
    assert y_train.shape == (20, 1) and y_test.shape == (4, 1)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    # Rows of 'data' are the red plane, then green, then blue, each 32x32 row-major.
    row = batches["data_batch_2"][b"data"][3]
    assert x_train[7, 5, 9, 0] == row[5 * 32 + 9]
    assert x_train[7, 5, 9, 2] == row[2048 + 5 * 32 + 9]
    assert y_train[:, 0].tolist() == sum((batches[f"data_batch_{k}"][b"labels"]
                                          for k in range(1, 6)), [])


def test_cifar10_channels_first(caches, trust, cifar10_files):
    data, _ = cifar10_files
    trust("cifar-10-python.tar.gz", data)
    caches.write("ember", "cifar-10-python.tar.gz", data)
    config.set_image_data_format("channels_first")
    try:
        (x_train, _), _ = cifar10.load_data()
    finally:
        config.set_image_data_format("channels_last")
    assert x_train.shape == (20, 3, 32, 32)


def test_cifar10_found_under_keras_name(caches, trust, cifar10_files):
    data, _ = cifar10_files
    trust("cifar-10-python.tar.gz", data)
    caches.write("keras", "cifar-10-batches-py_archive", data)
    assert cifar10.load_data()[0][0].shape == (20, 32, 32, 3)


def test_cifar10_other_file_is_refused(caches, cifar10_files):
    data, _ = cifar10_files
    path = caches.write("ember", "cifar-10-python.tar.gz", data)
    with pytest.raises(DownloadError) as info:
        cifar10.load_data()
    message = str(info.value)
    assert f"{path} (ember cache: refused: file sha256" in message
    assert SOURCES["cifar-10-python.tar.gz"].file_hash in message
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in message


def test_cifar100_label_modes(caches, trust):
    train, _ = _batch(6, 0, fine_labels=[0, 1, 99, 3, 4, 5], coarse_labels=[0, 1, 19, 3, 4, 5])
    test, _ = _batch(2, 1, fine_labels=[7, 8], coarse_labels=[2, 3])
    data = _tarball({"cifar-100-python/train": train, "cifar-100-python/test": test})
    trust("cifar-100-python.tar.gz", data)
    caches.write("ember", "cifar-100-python.tar.gz", data)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (6, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    # Keras's CIFAR-100 labels come from Python lists: int64 (N, 1).
    assert y_train.dtype == np.int64 and y_train[:, 0].tolist() == [0, 1, 99, 3, 4, 5]
    (_, y_coarse), (_, y_test_coarse) = cifar100.load_data(label_mode="coarse")
    assert y_coarse[:, 0].tolist() == [0, 1, 19, 3, 4, 5] and y_test_coarse.shape == (2, 1)
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_runs_nothing(caches, trust, cifar10_files, tmp_path):
    marker = tmp_path / "pwned"
    members = {f"cifar-10-batches-py/data_batch_{k}": _batch(2, k, labels=[0, 1])[0]
               for k in range(1, 6)}
    members["cifar-10-batches-py/test_batch"] = pickle.dumps(
        {b"data": _Evil(marker), b"labels": [0]}, protocol=2
    )
    data = _tarball(members)
    trust("cifar-10-python.tar.gz", data)
    caches.write("ember", "cifar-10-python.tar.gz", data)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to unpickle global '(posix|os)"):
        cifar10.load_data()
    assert not marker.exists()


def test_numpy1_pickles_load(caches, trust):
    """Files written under NumPy 1 name 'numpy.core.multiarray'; they load without warnings."""
    members = {}
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        raw, _ = _batch(2, 0, labels=[1, 2])
        raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        assert b"numpy.core.multiarray\n_reconstruct" in raw
        members[f"cifar-10-batches-py/{name}"] = raw
    data = _tarball(members)
    trust("cifar-10-python.tar.gz", data)
    caches.write("ember", "cifar-10-python.tar.gz", data)
    assert cifar10.load_data()[1][1][:, 0].tolist() == [1, 2]


def test_missing_batch_is_named(caches, trust):
    data = _tarball({"cifar-10-batches-py/data_batch_1": _batch(2, 0, labels=[0, 1])[0]})
    trust("cifar-10-python.tar.gz", data)
    caches.write("ember", "cifar-10-python.tar.gz", data)
    with pytest.raises(ValueError, match="lacks the CIFAR batches.*data_batch_2"):
        cifar10.load_data()
