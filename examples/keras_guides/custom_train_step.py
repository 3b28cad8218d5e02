"""Customizing what happens in ``fit()``: a ``train_step`` that unpacks ``x, y = data``,
computes its own loss and gradients, updates metric trackers listed in a ``metrics`` property,
and returns a dict of logs; a matching ``test_step`` for ``evaluate()``.

In the style of Keras's "Customizing what happens in fit() with TensorFlow" guide: the gradient
comes from a ``GradientTape``, as on Keras's TensorFlow backend, so this runs unchanged on Keras 3
(TensorFlow backend) once the imports say ``keras`` and ``tensorflow`` instead of ``ember``.

    python examples/keras_guides/custom_train_step.py
"""

import numpy as np

import ember as keras
import ember as tf
from ember import layers, ops

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

# a noisy linear regression: y = x . w + b + noise
n, features = 1024, 8
x = rng.normal(size=(n, features)).astype("float32")
true_w = rng.normal(size=(features, 1)).astype("float32")
y = (x @ true_w + 0.5 + 0.05 * rng.normal(size=(n, 1))).astype("float32")


class CustomModel(keras.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    @property
    def metrics(self):
        # listed here, the trackers are reset at the start of each epoch and of evaluate()
        return [self.loss_tracker, self.mae_metric]

    def train_step(self, data):
        x, y = data  # what fit(x, y) passes: no sample weights were given
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply(gradients, trainable_vars)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, y_pred))
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = keras.Input(shape=(features,))
hidden = layers.Dense(16, activation="relu")(inputs)
outputs = layers.Dense(1)(hidden)
model = CustomModel(inputs, outputs)

# the train step computes its own loss, so compile() needs only the optimizer
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2))
history = model.fit(x, y, epochs=8, batch_size=64, verbose=0)

# the logs are exactly what train_step returned, one value per epoch
assert sorted(history.history) == ["loss", "mae"], history.history.keys()
assert len(history.history["loss"]) == 8
assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 8 * (n // 64)  # one apply a step
losses, maes = history.history["loss"], history.history["mae"]
print(f"loss: {losses[0]:.4f} -> {losses[-1]:.4f}; mae: {maes[0]:.4f} -> {maes[-1]:.4f}")
assert losses[-1] < 0.1 * losses[0], losses
assert maes[-1] < maes[0]

results = model.evaluate(x, y, batch_size=256, verbose=0, return_dict=True)
print("evaluate:", results)
assert sorted(results) == ["loss", "mae"]
assert results["mae"] < 0.2, results

# evaluate() reset the trackers first: its loss is the mean squared error over this data only
# (four equal batches), not mixed with what the trackers accumulated during training
predictions = model.predict(x, batch_size=256, verbose=0)
assert predictions.shape == (n, 1)
mse = float(np.mean((predictions - y) ** 2))
assert abs(results["loss"] - mse) < 1e-4 * max(1.0, mse), (results["loss"], mse)
print("custom train_step guide: OK")
