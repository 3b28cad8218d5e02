"""CIFAR-10 small images, as ``keras.datasets.cifar10``."""

from ember.backend import np
from ember.datasets import _common, cifar

FOLDER = "cifar-10-batches-py"
TRAIN = tuple(f"{FOLDER}/data_batch_{i}" for i in range(1, 6))
TEST = f"{FOLDER}/test_batch"


def load_data():
    """Loads CIFAR-10: ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 ``(50000, 32, 32, 3)`` and ``(10000, 32, 32, 3)`` (channels first when
    ``image_data_format()`` says so); y: uint8 ``(N, 1)``, classes 0..9 (airplane, automobile,
    bird, cat, deer, dog, frog, horse, ship, truck).
    """
    archive = _common.fetch("cifar-10-python.tar.gz")
    batches = cifar.read_batches(archive, TRAIN + (TEST,), "labels")
    x_train = np.concatenate([batches[n][0] for n in TRAIN])
    y_train = np.concatenate([np.asarray(batches[n][1], dtype=np.uint8) for n in TRAIN])
    x_test, y_test = batches[TEST][0], np.asarray(batches[TEST][1], dtype=np.uint8)
    return (
        (cifar.to_image_format(x_train), y_train.reshape(-1, 1)),
        (cifar.to_image_format(x_test), y_test.reshape(-1, 1)),
    )
