"""Simple MNIST convnet: Keras's classic example, on ember.

A convolutional network looks at small patches of the image (3x3 pixels) with the same
weights everywhere, so a stroke is recognised wherever it appears. Two rounds of
"convolution (learn patch detectors) + max pooling (keep the strongest response in each 2x2
block, halving the image)" turn a 28x28 digit into 5x5x64 features; a Dense layer reads the
digit off them. It reaches about 0.99 test accuracy after a few epochs on the full data.

Run it with::

    python examples/mnist_convnet.py                      # 60,000 images, 3 epochs
    python examples/mnist_convnet.py --limit 6000 --epochs 1   # a quick try
"""

import argparse

import numpy as np

import ember as keras
from ember import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)


def build_model():
    """Conv(32) -> MaxPool -> Conv(64) -> MaxPool -> Flatten -> Dropout -> Dense(10)."""
    return keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        # 32 filters of 3x3: each learns to detect one kind of local pattern (an edge, a curve)
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),   # -> (26, 26, 32)
        layers.MaxPooling2D(pool_size=(2, 2)),                     # -> (13, 13, 32)
        # the second convolution combines those patterns into larger shapes
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),   # -> (11, 11, 64)
        layers.MaxPooling2D(pool_size=(2, 2)),                     # -> (5, 5, 64)
        layers.Flatten(),                                          # -> (1600,)
        layers.Dropout(0.5),  # while training, drop half the features: less overfitting
        layers.Dense(NUM_CLASSES, activation="softmax"),          # one probability per digit
    ])


def prepare(images, labels, limit=None):
    """uint8 (n, 28, 28) images -> float32 (n, 28, 28, 1) in [0, 1]; labels stay integers."""
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = images.astype("float32") / np.float32(255.0)
    return np.expand_dims(x, -1), labels   # convolutions want a channels axis


def main(limit=None, epochs=3, batch_size=128, data=None, seed=0, verbose=2):
    """Train the convnet and return its test accuracy.

    Args:
        limit: use only the first ``limit`` training images (and at most 10,000 test ones).
        epochs: passes over the training images.
        batch_size: images per gradient step.
        data: ``((x_train, y_train), (x_test, y_test))`` as ``mnist.load_data()`` returns.
        seed: seeds the initial weights, the shuffling and the dropout.
    """
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = data or keras.datasets.mnist.load_data()
    x_train, y_train = prepare(x_train, y_train, limit)
    x_test, y_test = prepare(x_test, y_test)

    model = build_model()
    if verbose:
        model.summary()
    # sparse_categorical_crossentropy: the labels are digits (0-9), not one-hot vectors
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1,
              verbose=verbose)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="training images to use")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    main(limit=args.limit, epochs=args.epochs, batch_size=args.batch_size)
