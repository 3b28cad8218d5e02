"""What CIFAR-10 and CIFAR-100 share: reading the batches of the python-version tarball.

The batches are pickles; they are read straight from the tarball (no extraction) with the
restricted unpickler, which allows NumPy arrays and plain data and nothing that could run code.
"""

import tarfile

from ember import config
from ember.backend import np
from ember.datasets import _common


def read_batches(archive, names, label_key):
    """``{name: (data uint8 (N, 3, 32, 32), labels list)}`` for the members ``names``."""
    wanted = set(names)
    batches = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                if member.isfile() and member.name in wanted:
                    batches[member.name] = _parse(
                        tar.extractfile(member).read(), f"{archive}:{member.name}", label_key
                    )
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ValueError(f"{archive} is not a readable tar.gz archive: {e}") from e
    missing = sorted(wanted - set(batches))
    if missing:
        raise ValueError(f"{archive} lacks the CIFAR batches {missing}.")
    return batches


def _parse(raw, where, label_key):
    batch = _common.unpickle(raw, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"{where}: a CIFAR batch is a dict, found {type(batch).__name__}.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or label_key not in batch:
        raise ValueError(
            f"{where}: a CIFAR batch needs 'data' and {label_key!r}; it has {sorted(batch)}."
        )
    data = batch["data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or (
        data.shape[1] != 3 * 32 * 32
    ):
        raise ValueError(f"{where}: 'data' is not a uint8 (N, 3072) array.")
    labels = batch[label_key]
    if len(labels) != data.shape[0]:
        raise ValueError(f"{where}: {data.shape[0]} images but {len(labels)} labels.")
    return data.reshape(data.shape[0], 3, 32, 32), labels


def to_image_format(x):
    """NCHW batches to the configured image data format (channels_last by default, as Keras)."""
    if config.image_data_format() == "channels_last":
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1))
    return x
