"""What the loaders share: files of the table, and reading archives without pickle's risks."""

import io
import os
import pickle
import zipfile

from ember.backend import np
from ember.datasets._sources import SOURCES
from ember.utils import file_utils


def _args(key, fname):
    source = SOURCES[key]
    if fname is not None and (os.sep in os.fspath(fname) or "/" in os.fspath(fname)):
        raise ValueError(
            f"`path` is a file name inside ember's cache, not a path; got {fname!r}. "
            "Use EMBER_HOME to point at another cache folder."
        )
    name = os.fspath(fname) if fname is not None else source.fname
    # A renamed file keeps the origin's name for the URL.
    kwargs = dict(file_hash=source.file_hash, content_hash=source.content_hash,
                  cache_subdir=source.cache_subdir, aliases=source.aliases)
    return source, name, kwargs


def locate(key, fname=None):
    """``(path or None, looked)`` for a file of the table, without downloading."""
    _, name, kwargs = _args(key, fname)
    return file_utils.locate(name, **kwargs)


def fetch(key, fname=None):
    """The verified local path of a file of the table, downloading it when needed."""
    source, name, kwargs = _args(key, fname)
    return file_utils.fetch(name, source.urls(), **kwargs)


def check_splits(where, x_train, y_train, x_test, y_test, image_shape, label_dtype=np.uint8):
    """Return the splits as Keras does, after checking they are uint8 images with one label each."""
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if (x.dtype != np.uint8 or y.dtype != label_dtype or x.shape[1:] != tuple(image_shape)
                or y.ndim != 1):
            raise ValueError(
                f"{where}: the {name} split has x {x.dtype} {x.shape} and y {y.dtype} {y.shape}; "
                f"expected x uint8 (N, {', '.join(map(str, image_shape))}) and y "
                f"{np.dtype(label_dtype).name} (N,)."
            )
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"{where}: {x.shape[0]} {name} images but {y.shape[0]} labels.")
    return (x_train, y_train), (x_test, y_test)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles only plain data and NumPy arrays: never a global that could run code.

    CIFAR batches and IMDB's ragged arrays are pickles; they need nothing but dicts, lists,
    bytes, numbers and ``ndarray`` reconstruction.
    """

    def find_class(self, module, name):
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            raise pickle.UnpicklingError(
                f"Refusing to unpickle global '{module}.{name}' from a dataset file: only NumPy "
                "arrays and plain data are allowed. The file is corrupt or malicious."
            )
        return allowed


def _latin1_bytes(text, encoding="latin1"):
    # Python 3 writes bytes in protocol-2 pickles as _codecs.encode(text, 'latin1'); nothing else
    # of the codecs machinery is let through.
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError(
            f"Refusing _codecs.encode({type(text).__name__}, {encoding!r}) in a dataset file."
        )
    return text.encode("latin1")


_multiarray = np._core.multiarray if hasattr(np, "_core") else np.core.multiarray
_ALLOWED = {
    ("_codecs", "encode"): _latin1_bytes,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    # NumPy 1 wrote 'numpy.core', NumPy 2 writes 'numpy._core'; both mean the same function.
    ("numpy.core.multiarray", "_reconstruct"): _multiarray._reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _multiarray._reconstruct,
}


def unpickle(data, encoding="ASCII"):
    """Unpickle ``data`` (bytes or a binary file) with :class:`RestrictedUnpickler`."""
    fileobj = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
    return RestrictedUnpickler(fileobj, encoding=encoding).load()


def _read_npy(fileobj, name):
    version = np.lib.format.read_magic(fileobj)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fileobj)
    else:
        # 3.0 differs from 2.0 only in the header's text encoding, not its layout.
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fileobj)
    if dtype.hasobject:
        array = unpickle(fileobj, encoding="latin1")
        if not isinstance(array, np.ndarray):
            raise ValueError(f"{name}: the object array is a {type(array).__name__}.")
        return array
    count = int(np.prod(shape, dtype=np.int64))
    raw = fileobj.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise ValueError(f"{name}: truncated: {len(raw)} of {count * dtype.itemsize} bytes.")
    array = np.frombuffer(raw, dtype=dtype, count=count).copy()
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def load_npz(path, keys=None):
    """The arrays of an ``.npz`` file as a dict; object arrays through the restricted unpickler.

    ``keys``: the arrays that must be present (a clear error names the missing ones).
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    with archive.open(member) as f:
                        arrays[member[:-4]] = _read_npy(io.BytesIO(f.read()), f"{path}:{member}")
    except zipfile.BadZipFile as e:
        raise ValueError(f"{path} is not a valid .npz file: {e}") from e
    missing = [k for k in keys or () if k not in arrays]
    if missing:
        raise ValueError(
            f"{path} lacks the arrays {missing}; it holds {sorted(arrays)}."
        )
    return arrays


def check_test_split(test_split):
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
            "(exclusive of 1)."
        )


def split(x, y, test_split, seed):
    """Shuffle with ``RandomState(seed)`` and cut off the last ``test_split``, as Keras does."""
    check_test_split(test_split)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} samples but {len(y)} targets.")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
