"""MNIST handwritten digits, as ``keras.datasets.mnist``."""

from ember.datasets import _common, idx
from ember.utils.file_utils import DownloadError

IDX_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def load_data(path="mnist.npz"):
    """Loads MNIST: ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 ``(60000, 28, 28)`` and ``(10000, 28, 28)``, pixels 0..255; y: uint8 digits 0..9.
    Uses Keras's ``mnist.npz`` (``path`` is its name in the cache) or the four original IDX
    files in ``mnist/``, whichever is found first (ember's cache, Keras's, the system's), and
    downloads one of them otherwise. Either is accepted when its arrays match MNIST's digests.
    """
    found, looked = _common.locate("mnist.npz", path)
    if found is not None:
        return _from_npz(found)
    idx_found = []
    for name in IDX_FILES:
        p, seen = _common.locate(f"mnist/{name}")
        looked += seen
        idx_found.append(p)
    if all(idx_found):
        return _from_idx(idx_found)
    try:
        return _from_npz(_common.fetch("mnist.npz", path))
    except DownloadError as npz_error:
        try:
            paths = [p or _common.fetch(f"mnist/{n}") for p, n in zip(idx_found, IDX_FILES)]
            return _from_idx(paths)
        except DownloadError as idx_error:
            raise DownloadError(
                f"MNIST is not available, neither as mnist.npz nor as IDX files.\n{npz_error}\n"
                f"{idx_error}",
                npz_error.looked + idx_error.looked,
                npz_error.attempts + idx_error.attempts,
            ) from None


def _from_npz(path):
    arrays = _common.load_npz(path, keys=("x_train", "y_train", "x_test", "y_test"))
    splits = [arrays[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    return _common.check_splits(path, *splits, image_shape=(28, 28))


def _from_idx(paths):
    arrays = [idx.read_idx(p) for p in paths]
    return _common.check_splits(", ".join(paths), *arrays, image_shape=(28, 28))
