"""CIFAR-100 small images, as ``keras.datasets.cifar100``."""

from ember.backend import np
from ember.datasets import _common, cifar

FOLDER = "cifar-100-python"


def load_data(label_mode="fine"):
    """Loads CIFAR-100: ``(x_train, y_train), (x_test, y_test)``.

    ``label_mode``: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).
    x: uint8 ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)``; y: ``(N, 1)`` int64, as Keras
    returns them (its labels come from Python lists).
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f'`label_mode` must be one of "fine", "coarse". Received: label_mode={label_mode}.'
        )
    archive = _common.fetch("cifar-100-python.tar.gz")
    names = (f"{FOLDER}/train", f"{FOLDER}/test")
    batches = cifar.read_batches(archive, names, f"{label_mode}_labels")
    (x_train, y_train), (x_test, y_test) = (batches[n] for n in names)
    return (
        (cifar.to_image_format(x_train), np.asarray(y_train, dtype=np.int64).reshape(-1, 1)),
        (cifar.to_image_format(x_test), np.asarray(y_test, dtype=np.int64).reshape(-1, 1)),
    )
