"""The TensorFlow beginner tutorial, unchanged except for its imports.

    python examples/seed_tutorial.py

Trains Flatten -> Dense(128, relu) -> Dense(10, softmax) on MNIST for 5 epochs and prints the
test accuracy (about 0.977).
"""

import ember as tf
from ember.keras import layers, models


def main(epochs=5, limit=None, verbose=1):
    (train_images, train_labels), (test_images, test_labels) = \
        tf.keras.datasets.mnist.load_data()
    if limit:  # only for quick test runs
        train_images, train_labels = train_images[:limit], train_labels[:limit]
    train_images = train_images / 255.0
    test_images = test_images / 255.0

    model = models.Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(128, activation='relu'),
        layers.Dense(10, activation='softmax'),
    ])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    model.fit(train_images, train_labels, epochs=epochs, verbose=verbose)
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=verbose)
    print(f"\nTest accuracy: {test_acc:.4f}")
    return test_acc


if __name__ == "__main__":
    main()
