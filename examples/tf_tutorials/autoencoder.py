"""Intro to autoencoders: a subclassed ``Model`` made of an encoder (``Flatten``, ``Dense`` to a
64-number code) and a decoder (``Dense`` back to 784 pixels, ``Reshape`` to 28x28), trained
with ``fit(x, x)`` to reproduce Fashion-MNIST images; the encoder and decoder then used on their
own.

In the style of TensorFlow's "Intro to Autoencoders" (its first example), on the first 5,000
training and 1,000 test images of the real Fashion-MNIST (the tutorial uses all of them, 10
epochs); runs unchanged on TensorFlow once the import says ``tensorflow`` instead of ``ember``.

TensorFlow 2.21 printed (seed 4):
    (5000, 28, 28) (1000, 28, 28)
    val_loss by epoch: 0.0412 0.0297 0.0252 0.0223 0.0200
    encoded (1000, 64), decoded (1000, 28, 28)
    reconstruction MSE 0.0200; predicting the mean image: 0.0867

    TUTORIAL_DATASETS=/path/to/datasets python examples/tf_tutorials/autoencoder.py
"""

import gzip
import os

import numpy as np

import ember as tf
from ember.keras import layers, losses

DATASETS = os.environ.get(
    "TUTORIAL_DATASETS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                 "datasets"))
TRAIN, TEST, EPOCHS = 5000, 1000, 5


def load_idx(name):
    """An IDX file of Fashion-MNIST (gzipped) as a uint8 array: images (n, 28, 28), labels (n,)."""
    with gzip.open(os.path.join(DATASETS, "fashion-mnist", name), "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


tf.keras.utils.set_random_seed(4)

# the images of tf.keras.datasets.fashion_mnist.load_data(); the labels are not needed
x_train = load_idx("train-images-idx3-ubyte.gz")[:TRAIN]
x_test = load_idx("t10k-images-idx3-ubyte.gz")[:TEST]
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
print(x_train.shape, x_test.shape)


class Autoencoder(tf.keras.Model):
    def __init__(self, latent_dim, shape):
        super().__init__()
        self.latent_dim = latent_dim
        self.shape = shape
        self.encoder = tf.keras.Sequential([
            layers.Flatten(),
            layers.Dense(latent_dim, activation="relu"),
        ])
        self.decoder = tf.keras.Sequential([
            # int(): Keras 3 wants a Python int, and reduce_prod gives a scalar tensor
            layers.Dense(int(tf.math.reduce_prod(shape)), activation="sigmoid"),
            layers.Reshape(shape),
        ])

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


shape = x_test.shape[1:]
latent_dim = 64
autoencoder = Autoencoder(latent_dim, shape)

autoencoder.compile(optimizer="adam", loss=losses.MeanSquaredError())
history = autoencoder.fit(x_train, x_train, epochs=EPOCHS, shuffle=True,
                          validation_data=(x_test, x_test), verbose=0)
val_loss = history.history["val_loss"]
print("val_loss by epoch: " + " ".join(f"{v:.4f}" for v in val_loss))
assert all(a > b for a, b in zip(val_loss, val_loss[1:])), val_loss

# the halves work on their own: images -> codes -> images
encoded_imgs = autoencoder.encoder(x_test).numpy()
decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
print(f"encoded {encoded_imgs.shape}, decoded {decoded_imgs.shape}")
assert encoded_imgs.shape == (TEST, latent_dim) and decoded_imgs.shape == (TEST, 28, 28)
assert decoded_imgs.min() >= 0.0 and decoded_imgs.max() <= 1.0  # sigmoid pixels

# the reconstructions are much closer to the images than a blurry average would be
mse = float(np.mean((decoded_imgs - x_test) ** 2))
baseline = float(np.mean((x_train.mean(axis=0) - x_test) ** 2))
print(f"reconstruction MSE {mse:.4f}; predicting the mean image: {baseline:.4f}")
np.testing.assert_allclose(mse, val_loss[-1], rtol=1e-3)  # what evaluate measured, too
assert mse < 0.35 * baseline, (mse, baseline)
print("autoencoder tutorial: OK")
