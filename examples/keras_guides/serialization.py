"""Serialization and saving: save a whole model to a ``.keras`` file and load it back, rebuild
a model from ``get_config()``/``from_config()`` and from JSON, save and load weights only, and
make a custom layer serializable by registering it.

In the style of Keras's "Save, serialize, and export models" guide; runs unchanged on Keras 3
once the imports say ``keras`` instead of ``ember``.

    python examples/keras_guides/serialization.py
"""

import os
import tempfile

import numpy as np

import ember as keras
from ember import layers, ops

keras.utils.set_random_seed(2)
rng = np.random.default_rng(2)


@keras.saving.register_keras_serializable(package="Guides")
class ScaledResidual(layers.Layer):
    """``x + factor * scale * x`` with one trainable ``scale`` per feature; ``factor`` is a
    constructor argument, so it must be in the config for the layer to be rebuilt."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="zeros",
                                     trainable=True, name="scale")

    def call(self, inputs):
        return inputs + self.factor * self.scale * inputs

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor})
        return config


# registration names the class "package>ClassName" in saved configs
assert keras.saving.get_registered_name(ScaledResidual) == "Guides>ScaledResidual"
assert keras.saving.get_registered_object("Guides>ScaledResidual") is ScaledResidual

# a layer round-trips through its config
layer = ScaledResidual(factor=0.5, name="residual")
rebuilt = ScaledResidual.from_config(layer.get_config())
assert rebuilt.factor == 0.5 and rebuilt.name == "residual"


def build_model():
    inputs = keras.Input(shape=(6,), name="features")
    x = layers.Dense(16, activation="relu", name="hidden")(inputs)
    x = ScaledResidual(factor=0.5, name="residual")(x)
    outputs = layers.Dense(3, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="classifier")


x = rng.normal(size=(600, 6)).astype("float32")
y = np.argmax(x[:, :3] + 0.5 * x[:, 3:], axis=1).astype("int32")

model = build_model()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=5, batch_size=32, verbose=0)
predictions = model.predict(x, verbose=0)
# training moved the custom layer's weight away from its initial zeros
assert np.abs(ops.convert_to_numpy(model.get_layer("residual").scale)).max() > 0

with tempfile.TemporaryDirectory() as folder:
    # --- the whole model: architecture, weights, compile state ----------------------------
    path = os.path.join(folder, "classifier.keras")
    model.save(path)
    restored = keras.models.load_model(path)  # finds ScaledResidual through the registry
    assert isinstance(restored.get_layer("residual"), ScaledResidual)
    assert restored.get_layer("residual").factor == 0.5
    np.testing.assert_allclose(restored.predict(x, verbose=0), predictions, rtol=1e-5,
                               atol=1e-6)
    # compiled with the same loss and metrics, it evaluates to the same numbers
    np.testing.assert_allclose(restored.evaluate(x, y, verbose=0),
                               model.evaluate(x, y, verbose=0), rtol=1e-5)
    # and it can go on training
    restored.fit(x, y, epochs=1, batch_size=32, verbose=0)

    # --- weights only: into a model built the same way --------------------------------------
    weights_path = os.path.join(folder, "classifier.weights.h5")
    model.save_weights(weights_path)
    fresh = build_model()
    fresh.load_weights(weights_path)
    np.testing.assert_allclose(fresh.predict(x, verbose=0), predictions, rtol=1e-5, atol=1e-6)

# --- architecture only: config and JSON, then copy the weights -------------------------------
config = model.get_config()
clone = keras.Model.from_config(config)
assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
clone.set_weights(model.get_weights())
np.testing.assert_allclose(clone.predict(x, verbose=0), predictions, rtol=1e-5, atol=1e-6)

from_json = keras.models.model_from_json(model.to_json())
assert from_json.get_layer("residual").factor == 0.5
assert from_json.count_params() == model.count_params()

# an unregistered custom layer cannot be rebuilt without being told about it...
class Unregistered(layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


inputs = keras.Input(shape=(2,))
plain = keras.Model(inputs, Unregistered(name="double")(inputs))
try:
    keras.Model.from_config(plain.get_config())
except TypeError as error:  # as Keras: "Could not locate class"
    print(f"without custom_objects: {error}"[:100])
else:
    raise AssertionError("an unregistered layer was rebuilt without custom_objects")
# ... and can be, with custom_objects
again = keras.Model.from_config(plain.get_config(), custom_objects={"Unregistered": Unregistered})
assert ops.convert_to_numpy(again(np.ones((1, 2), dtype="float32"))).tolist() == [[2.0, 2.0]]
print("serialization guide: OK")
