"""The functional API: a model with several inputs and outputs, a layer shared between two
branches, and a feature-extraction model built from ``[layer.output for layer in model.layers]``.

In the style of Keras's "The Functional API" guide; runs unchanged on Keras 3 once the imports
say ``keras`` instead of ``ember``.

    python examples/keras_guides/functional_api.py
"""

import numpy as np

import ember as keras
from ember import layers, ops

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)

# Two sensors record the same kind of signal, and each reading comes with a device-metadata
# vector. We predict a category (from both signals) and a level (mostly from the metadata).
n, steps = 1024, 12
sensor_a = rng.normal(size=(n, steps)).astype("float32")
sensor_b = rng.normal(size=(n, steps)).astype("float32")
meta = rng.normal(size=(n, 4)).astype("float32")
signal = sensor_a.mean(axis=1) + sensor_b.mean(axis=1)
category = np.digitize(signal, np.quantile(signal, [1 / 3, 2 / 3])).astype("int32")
level = (meta @ np.array([0.5, -1.0, 0.25, 2.0]) + 0.1 * signal)[:, None].astype("float32")

# --- a multi-input, multi-output model with a shared layer ------------------------------------
input_a = keras.Input(shape=(steps,), name="sensor_a")
input_b = keras.Input(shape=(steps,), name="sensor_b")
input_meta = keras.Input(shape=(4,), name="meta")

# one layer, two calls: both sensors go through the same weights
encoder = layers.Dense(16, activation="relu", name="shared_encoder")
encoded_a = encoder(input_a)
encoded_b = encoder(input_b)
meta_features = layers.Dense(8, activation="relu", name="meta_dense")(input_meta)
merged = layers.concatenate([encoded_a, encoded_b, meta_features], name="merged")
category_out = layers.Dense(3, activation="softmax", name="category")(merged)
level_out = layers.Dense(1, name="level")(merged)

model = keras.Model(inputs=[input_a, input_b, input_meta], outputs=[category_out, level_out],
                    name="sensor_model")
model.summary()

# the shared layer appears once, and so do its weights
assert [layer.name for layer in model.layers].count("shared_encoder") == 1
assert model.get_layer("shared_encoder") is encoder
assert len(model.trainable_weights) == 2 * 4  # kernel and bias of 4 Dense layers

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-2),
    loss={"category": "sparse_categorical_crossentropy", "level": "mean_squared_error"},
    loss_weights={"category": 1.0, "level": 0.5},
    metrics={"category": ["accuracy"]},
)
inputs = {"sensor_a": sensor_a, "sensor_b": sensor_b, "meta": meta}
targets = {"category": category, "level": level}
history = model.fit(inputs, targets, epochs=15, batch_size=64, verbose=0)
losses = history.history["loss"]
print(f"loss: {losses[0]:.3f} -> {losses[-1]:.3f}")
assert losses[-1] < 0.5 * losses[0], losses

probabilities, predicted_level = model.predict(inputs, verbose=0)
assert probabilities.shape == (n, 3) and predicted_level.shape == (n, 1)
accuracy = float(np.mean(probabilities.argmax(axis=1) == category))
print(f"category accuracy: {accuracy:.3f}")
assert accuracy > 0.85, accuracy

# --- feature extraction: every layer's output, from the same inputs ----------------------------
extractor = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
features = extractor.predict(inputs, verbose=0)
assert len(features) == len(model.layers)
by_name = dict(zip([layer.name for layer in model.layers], features))
assert by_name["merged"].shape == (n, 16 + 16 + 8)
# a shared layer's `output` is the output of its first call: the encoding of sensor_a
np.testing.assert_allclose(by_name["shared_encoder"], ops.convert_to_numpy(encoder(sensor_a)),
                           rtol=1e-5, atol=1e-5)
np.testing.assert_allclose(by_name["category"], probabilities, rtol=1e-5, atol=1e-6)
print("functional API guide: OK")
