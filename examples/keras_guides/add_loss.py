"""Subclassing with ``add_loss``: a small variational autoencoder whose layers and model add
their own loss terms, compiled with an optimizer and no loss, and trained on inputs only.

In the style of Keras's "Making new layers and models via subclassing" guide; runs unchanged
on Keras 3 once the imports say ``keras`` instead of ``ember``.

    python examples/keras_guides/add_loss.py
"""

import numpy as np

import ember as keras
from ember import layers, ops

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

# 8-dimensional points that really live on a 2-dimensional surface, plus a little noise
n, original_dim, latent_dim = 2048, 8, 2
z_true = rng.normal(size=(n, latent_dim))
mixing = rng.normal(size=(latent_dim, original_dim))
x = (np.tanh(z_true @ mixing) + 0.05 * rng.normal(size=(n, original_dim))).astype("float32")


class Sampling(layers.Layer):
    """Draws z from N(z_mean, exp(z_log_var)) and adds the KL divergence to the prior as a
    loss: the layer regularizes its own input, whatever model it is used in."""

    def __init__(self, kl_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = -0.5 * ops.mean(ops.sum(
            1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1))
        self.add_loss(self.kl_weight * kl)
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class ActivityPenalty(layers.Layer):
    """An activity regularizer written by hand: passes its input through, and adds
    ``rate * mean(x ** 2)`` to the losses."""

    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


class VariationalAutoEncoder(keras.Model):
    """The reconstruction error is a loss the model adds itself: there is no target."""

    def __init__(self, original_dim, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.penalty = ActivityPenalty(1e-3)
        self.z_mean = layers.Dense(latent_dim)
        self.z_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling(kl_weight=0.01)
        self.decoder_hidden = layers.Dense(32, activation="relu")
        self.decoder_out = layers.Dense(original_dim)

    def call(self, inputs):
        h = self.penalty(self.hidden(inputs))
        z = self.sampling([self.z_mean(h), self.z_log_var(h)])
        reconstruction = self.decoder_out(self.decoder_hidden(z))
        self.add_loss(ops.mean(ops.sum(ops.square(inputs - reconstruction), axis=-1)))
        return reconstruction


vae = VariationalAutoEncoder(original_dim, latent_dim)

# after a call, the model collects the losses its layers (and it) added during that call
reconstruction = vae(x[:16])
assert tuple(reconstruction.shape) == (16, original_dim)
assert len(vae.losses) == 3, vae.losses  # penalty, KL, reconstruction
assert len(vae.sampling.losses) == 1 and len(vae.penalty.losses) == 1

# no loss argument: the loss that fit() minimises is the sum of the added losses
vae.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3))
history = vae.fit(x, epochs=10, batch_size=64, verbose=0)
losses = history.history["loss"]
print(f"loss: {losses[0]:.3f} -> {losses[-1]:.3f}")
assert losses[-1] < 0.5 * losses[0], losses

# evaluate() on inputs alone reports the same kind of loss
evaluated = vae.evaluate(x, batch_size=256, verbose=0)
assert isinstance(evaluated, float), type(evaluated)  # one scalar: no metrics were compiled
print(f"evaluated loss: {evaluated:.3f}")
assert evaluated < losses[0]

# the reconstruction is much better than predicting the mean point
reconstructed = vae.predict(x, batch_size=256, verbose=0)
error = float(np.mean(np.sum((x - reconstructed) ** 2, axis=-1)))
baseline = float(np.mean(np.sum((x - x.mean(axis=0)) ** 2, axis=-1)))
print(f"reconstruction error {error:.3f}, baseline {baseline:.3f}")
assert error < 0.5 * baseline, (error, baseline)
print("add_loss guide: OK")
