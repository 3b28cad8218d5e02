"""Basic classification: Fashion-MNIST clothing images with a ``Sequential`` of ``Flatten`` and
``Dense`` layers; ``compile``/``fit``/``evaluate``; a ``Softmax`` appended to turn logits into
probabilities; predictions for a batch and for a single image read off with ``np.argmax``.

In the style of TensorFlow's "Basic classification: Classify images of clothing", on the first
10,000 training and 2,000 test images of the real Fashion-MNIST (the tutorial uses all of them,
10 epochs); runs unchanged on TensorFlow once the import says ``tensorflow`` instead of
``ember``.

TensorFlow 2.21 printed (seed 1):
    epoch 1..5 accuracy: 0.7558 0.8347 0.8519 0.8634 0.8726
    63/63 - 0s - 3ms/step - accuracy: 0.8455 - loss: 0.4315
    Test accuracy: 0.8455
    first test image: predicted Ankle boot (label Ankle boot), confidence 0.78
    single image (1, 10): predicted Pullover (label Pullover)

    TUTORIAL_DATASETS=/path/to/datasets python examples/tf_tutorials/fashion_mnist_classification.py
"""

import gzip
import os

import numpy as np

import ember as tf

DATASETS = os.environ.get(
    "TUTORIAL_DATASETS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                 "datasets"))
TRAIN, TEST, EPOCHS = 10000, 2000, 5


def load_idx(name):
    """An IDX file of Fashion-MNIST (gzipped) as a uint8 array: images (n, 28, 28), labels (n,)."""
    with gzip.open(os.path.join(DATASETS, "fashion-mnist", name), "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


tf.keras.utils.set_random_seed(1)

# what tf.keras.datasets.fashion_mnist.load_data() returns, read from a local copy
train_images = load_idx("train-images-idx3-ubyte.gz")[:TRAIN]
train_labels = load_idx("train-labels-idx1-ubyte.gz")[:TRAIN]
test_images = load_idx("t10k-images-idx3-ubyte.gz")[:TEST]
test_labels = load_idx("t10k-labels-idx1-ubyte.gz")[:TEST]

class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
assert train_images.shape == (TRAIN, 28, 28) and len(train_labels) == TRAIN
assert set(np.unique(train_labels)) == set(range(len(class_names)))

# scale the pixels to [0, 1]
train_images = train_images / 255.0
test_images = test_images / 255.0

model = tf.keras.Sequential([
    tf.keras.Input(shape=(28, 28)),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dense(10),
])

model.compile(optimizer="adam",
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])

history = model.fit(train_images, train_labels, epochs=EPOCHS, verbose=0)
accuracy = history.history["accuracy"]
print(f"epoch 1..{EPOCHS} accuracy: " + " ".join(f"{a:.4f}" for a in accuracy))
assert accuracy[-1] > accuracy[0]

test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print("Test accuracy:", round(test_acc, 4))
assert test_acc > 0.8, test_acc

# attach a softmax to read the logits as probabilities
probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
predictions = probability_model.predict(test_images, verbose=0)
assert predictions.shape == (TEST, 10)
np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
first = int(np.argmax(predictions[0]))
print(f"first test image: predicted {class_names[first]} (label "
      f"{class_names[test_labels[0]]}), confidence {predictions[0][first]:.2f}")
# evaluate's accuracy is the fraction of arg-max predictions that are right
np.testing.assert_allclose(np.mean(np.argmax(predictions, axis=1) == test_labels), test_acc,
                           atol=1e-6)

# a single image still needs a batch axis
img = test_images[1]
img = np.expand_dims(img, 0)
assert img.shape == (1, 28, 28)
predictions_single = probability_model.predict(img, verbose=0)
assert predictions_single.shape == (1, 10)
np.testing.assert_allclose(predictions_single[0], predictions[1], rtol=1e-5, atol=1e-6)
single = int(np.argmax(predictions_single[0]))
print(f"single image {predictions_single.shape}: predicted {class_names[single]} "
      f"(label {class_names[test_labels[1]]})")
print("basic classification tutorial: OK")
