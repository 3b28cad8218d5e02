"""Fashion-MNIST, as ``keras.datasets.fashion_mnist``."""

from ember.datasets import _common, idx

FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def load_data():
    """Loads Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``.

    x: uint8 ``(60000, 28, 28)`` and ``(10000, 28, 28)``; y: uint8 classes 0..9 (0 T-shirt/top,
    1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot).
    The four IDX ``.gz`` files are taken from ``datasets/fashion-mnist/`` in ember's or Keras's
    cache or from ``/usr/share/datasets/fashion-mnist/`` (Debian's package), else downloaded.
    """
    paths = [_common.fetch(f"fashion-mnist/{name}") for name in FILES]
    arrays = [idx.read_idx(p) for p in paths]
    return _common.check_splits(", ".join(paths), *arrays, image_shape=(28, 28))
