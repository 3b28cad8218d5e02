"""TensorFlow 2 quickstart for experts: MNIST through ``tf.data`` (shuffle, batch), a subclassed
``tf.keras.Model``, and a hand-written training loop - a ``GradientTape`` inside a
``@tf.function`` train step, ``Mean`` and ``SparseCategoricalAccuracy`` metrics that are
reset at the start of each epoch.

In the style of TensorFlow's "TensorFlow 2 quickstart for experts", on the first 2,000
training and 1,000 test images of the real MNIST (the tutorial uses all of them, 5 epochs);
runs unchanged on TensorFlow once the import says ``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (seed 1; the test accuracy is what the reader looks at):
    Epoch 1, Loss: 0.6693, Accuracy: 80.20, Test Loss: 0.4534, Test Accuracy: 85.50
    Epoch 2, Loss: 0.2102, Accuracy: 93.15, Test Loss: 0.3921, Test Accuracy: 87.50
    Epoch 3, Loss: 0.0906, Accuracy: 97.85, Test Loss: 0.3121, Test Accuracy: 89.50
    (12 s on 2 cores, most of it importing TensorFlow and tracing the steps)

    TUTORIAL_DATASETS=/path/to/datasets python examples/tf_tutorials/quickstart_expert.py
"""

import os

import numpy as np

import ember as tf

DATASETS = os.environ.get(
    "TUTORIAL_DATASETS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                 "datasets"))
TRAIN, TEST, EPOCHS = 2000, 1000, 3

tf.keras.utils.set_random_seed(1)

# the arrays of tf.keras.datasets.mnist.load_data(), read from a local copy
with np.load(os.path.join(DATASETS, "mnist", "mnist.npz")) as f:
    x_train, y_train = f["x_train"][:TRAIN], f["y_train"][:TRAIN]
    x_test, y_test = f["x_test"][:TEST], f["y_test"][:TEST]
x_train, x_test = x_train / 255.0, x_test / 255.0

# add a channels dimension
x_train = x_train[..., tf.newaxis].astype("float32")
x_test = x_test[..., tf.newaxis].astype("float32")

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(10000).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(32)


class MyModel(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.conv1 = tf.keras.layers.Conv2D(32, 3, activation="relu")
        self.flatten = tf.keras.layers.Flatten()
        self.d1 = tf.keras.layers.Dense(128, activation="relu")
        self.d2 = tf.keras.layers.Dense(10)

    def call(self, x):
        x = self.conv1(x)
        x = self.flatten(x)
        x = self.d1(x)
        return self.d2(x)


# Create an instance of the model
model = MyModel()

loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = tf.keras.optimizers.Adam()

train_loss = tf.keras.metrics.Mean(name="train_loss")
train_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="train_accuracy")
test_loss = tf.keras.metrics.Mean(name="test_loss")
test_accuracy = tf.keras.metrics.SparseCategoricalAccuracy(name="test_accuracy")


@tf.function
def train_step(images, labels):
    with tf.GradientTape() as tape:
        # training=True is only needed if there are layers with different
        # behavior during training versus inference (e.g. Dropout).
        predictions = model(images, training=True)
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))

    train_loss(loss)
    train_accuracy(labels, predictions)


@tf.function
def test_step(images, labels):
    predictions = model(images, training=False)
    t_loss = loss_object(labels, predictions)

    test_loss(t_loss)
    test_accuracy(labels, predictions)


history = []
for epoch in range(EPOCHS):
    # Reset the metrics at the start of the next epoch
    train_loss.reset_state()
    train_accuracy.reset_state()
    test_loss.reset_state()
    test_accuracy.reset_state()

    for images, labels in train_ds:
        train_step(images, labels)

    for test_images, test_labels in test_ds:
        test_step(test_images, test_labels)

    print(
        f"Epoch {epoch + 1}, "
        f"Loss: {train_loss.result():0.4f}, "
        f"Accuracy: {train_accuracy.result() * 100:0.2f}, "
        f"Test Loss: {test_loss.result():0.4f}, "
        f"Test Accuracy: {test_accuracy.result() * 100:0.2f}"
    )
    history.append((float(train_loss.result()), float(test_accuracy.result())))

# what the reader checks: the loss went down and the digits are recognised
assert history[-1][0] < history[0][0], history
assert history[-1][1] > 0.85, history
# one Adam step per batch of 32, every epoch
assert int(optimizer.iterations.numpy()) == EPOCHS * -(-TRAIN // 32)
# the test accuracy is the fraction of argmax predictions that are right
logits = np.concatenate([model(images, training=False).numpy() for images, _ in test_ds])
assert logits.shape == (TEST, 10)
np.testing.assert_allclose(np.mean(np.argmax(logits, axis=1) == y_test),
                           history[-1][1], atol=1e-6)
# reset_state zeroes a metric
test_accuracy.reset_state()
assert float(test_accuracy.result()) == 0.0
print("quickstart for experts tutorial: OK")
