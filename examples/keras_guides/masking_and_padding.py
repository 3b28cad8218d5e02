"""Masking and padding: pad variable-length sequences with ``pad_sequences``, let
``Embedding(mask_zero=True)`` produce a mask, and write a layer that consumes the mask so that
padding changes nothing.

In the style of Keras's "Understanding masking & padding" guide; runs unchanged on Keras 3 once
the imports say ``keras`` instead of ``ember``.

    python examples/keras_guides/masking_and_padding.py
"""

import numpy as np

import ember as keras
from ember import layers, ops

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

# --- padding --------------------------------------------------------------------------------
raw_inputs = [[71, 32, 7], [73, 8, 15, 55, 92], [83, 91, 1, 64, 12, 92]]
padded = keras.utils.pad_sequences(raw_inputs, padding="post")
print(padded)
assert padded.shape == (3, 6) and padded.dtype == np.int32
assert padded[0].tolist() == [71, 32, 7, 0, 0, 0]
# the default pads (and truncates) at the start
assert keras.utils.pad_sequences(raw_inputs)[0].tolist() == [0, 0, 0, 71, 32, 7]
assert keras.utils.pad_sequences(raw_inputs, maxlen=4, truncating="post")[2].tolist() == [
    83, 91, 1, 64]

# --- masks from Embedding and Masking ---------------------------------------------------------
embedding = layers.Embedding(input_dim=100, output_dim=4, mask_zero=True)
mask = ops.convert_to_numpy(embedding.compute_mask(padded))
assert mask.tolist() == (padded != 0).tolist()

masking = layers.Masking(mask_value=0.0)
frames = np.ones((2, 5, 3), dtype="float32")
frames[0, 3:] = 0.0  # the first sequence has 3 real timesteps
assert ops.convert_to_numpy(masking.compute_mask(frames)).tolist() == [
    [True, True, True, False, False], [True] * 5]


# --- a layer that consumes the mask ------------------------------------------------------------
class MaskedAverage(layers.Layer):
    """Averages over the timesteps that the mask keeps; the mask stops here."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return ops.mean(inputs, axis=1)
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), axis=-1)
        total = ops.sum(inputs * weights, axis=1)
        return total / ops.maximum(ops.sum(weights, axis=1), 1.0)

    def compute_mask(self, inputs, mask=None):
        return None  # the output has no time axis left to mask


# The task: does token 7 occur in a sequence of 2 to 12 tokens from a vocabulary of 20?
def make_sequences(count):
    sequences, labels = [], []
    for _ in range(count):
        length = int(rng.integers(2, 13))
        tokens = rng.integers(1, 20, size=length)
        tokens[tokens == 7] = 8
        label = int(rng.random() < 0.5)
        if label:
            tokens[int(rng.integers(0, length))] = 7
        sequences.append(tokens.tolist())
        labels.append(label)
    return sequences, np.array(labels, dtype="float32")


train_sequences, train_labels = make_sequences(2000)
test_sequences, test_labels = make_sequences(400)
x_train = keras.utils.pad_sequences(train_sequences, maxlen=12, padding="post")
x_test = keras.utils.pad_sequences(test_sequences, maxlen=12, padding="post")

inputs = keras.Input(shape=(None,), dtype="int32")
embedded = layers.Embedding(input_dim=20, output_dim=16, mask_zero=True)(inputs)
features = layers.Dense(16, activation="relu")(embedded)  # Dense passes the mask through
pooled = MaskedAverage()(features)
outputs = layers.Dense(1, activation="sigmoid")(layers.Dense(16, activation="relu")(pooled))
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, train_labels, epochs=10, batch_size=64, verbose=0)
loss, accuracy = model.evaluate(x_test, test_labels, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
assert accuracy > 0.9, accuracy

# because of the mask, padding a sequence further does not change the prediction
short = keras.utils.pad_sequences(test_sequences[:8], maxlen=12, padding="post")
longer = keras.utils.pad_sequences(test_sequences[:8], maxlen=30, padding="post")
np.testing.assert_allclose(model.predict(short, verbose=0), model.predict(longer, verbose=0),
                           rtol=1e-5, atol=1e-6)
# ... whereas the same model without masking does see the padding
unmasked_embedding = layers.Embedding(input_dim=20, output_dim=16)
unmasked = keras.Model(inputs, outputs=MaskedAverage()(unmasked_embedding(inputs)))
difference = np.abs(unmasked.predict(short, verbose=0) - unmasked.predict(longer, verbose=0))
assert difference.max() > 1e-3
print("masking and padding guide: OK")
