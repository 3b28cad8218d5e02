"""Embedding and Masking: lookup, scatter-add gradient, masks, Keras layout, configs, errors."""

import pytest
from layer_harness import assert_roundtrip, rng, to_np, weight_table

from ember import layers
from ember.autodiff.gradcheck import check_gradients
from ember.autodiff.tape import GradientTape
from ember.autodiff.tensor import Tensor
from ember.backend import np


def test_embedding_lookup_and_shape():
    layer = layers.Embedding(10, 4)
    ids = np.array([[1, 2, 9], [0, 2, 2]])
    y = to_np(layer(ids))
    table = layer.embeddings.numpy()
    np.testing.assert_array_equal(y, table[ids])
    assert y.shape == (2, 3, 4) and y.dtype == np.float32
    assert layer.compute_output_shape((None, 3)) == (None, 3, 4)
    # float indices that are whole numbers are accepted (as Keras casts them)
    np.testing.assert_array_equal(to_np(layer(ids.astype("float32"))), table[ids])
    # Keras's default initializer: RandomUniform(-0.05, 0.05)
    assert np.abs(table).max() <= 0.05
    assert layer.get_config()["embeddings_initializer"]["class_name"] == "RandomUniform"


@pytest.mark.parametrize("n", [6, 300])  # small: add.at path; large: sort + reduceat path
def test_embedding_gradient_is_a_scatter_add(n):
    layer = layers.Embedding(7, 3)
    ids = rng(1).integers(0, 7, size=(n // 3, 3))
    layer(ids)
    gy = rng(2).standard_normal(ids.shape + (3,)).astype("float32")
    with GradientTape() as tape:
        y = layer(ids)
        target = y * Tensor(gy)
    (g,) = tape.gradient(target, [layer.embeddings])
    ref = np.zeros((7, 3))
    np.add.at(ref, ids.reshape(-1), gy.reshape(-1, 3))
    np.testing.assert_allclose(to_np(g), ref, rtol=1e-5, atol=1e-6)


def test_embedding_check_gradients():
    layer = layers.Embedding(5, 2, dtype="float64")
    ids = np.array([[0, 4, 4], [1, 0, 3]])
    layer(ids)
    check_gradients(lambda t: layer(ids), [np.zeros(1)], variables=layer.trainable_weights)


def test_mask_zero_produces_mask():
    layer = layers.Embedding(5, 2, mask_zero=True)
    ids = np.array([[3, 1, 0, 0], [2, 0, 4, 0]])
    y = layer(ids)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), ids != 0)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ids)), ids != 0)
    assert layers.Embedding(5, 2).compute_mask(ids) is None


def test_mask_flows_to_global_average_pooling():
    ids = np.array([[3, 1, 0, 0], [2, 4, 4, 0]])
    emb = layers.Embedding(5, 3, mask_zero=True)
    y = to_np(layers.GlobalAveragePooling1D()(emb(ids)))
    table = emb.embeddings.numpy()
    ref = np.stack([table[r[r != 0]].mean(axis=0) for r in ids])
    np.testing.assert_allclose(y, ref, rtol=1e-6)


def test_masking_layer():
    x = rng(3).standard_normal((2, 4, 3)).astype("float32")
    x[0, 2:] = 0.0
    x[1, 1] = 0.0
    layer = layers.Masking(mask_value=0.0)
    y = layer(x)
    keep = np.array([[1, 1, 0, 0], [1, 0, 1, 1]], dtype=bool)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), keep)
    np.testing.assert_allclose(to_np(y), x * keep[..., None])
    other = layers.Masking(mask_value=-1.0)
    xm = np.where(keep[..., None], x, -1.0).astype("float32")
    np.testing.assert_array_equal(np.asarray(other(xm)._keras_mask), keep)
    assert_roundtrip(layers.Masking(mask_value=-1.0), xm)


def test_embedding_layout_config_and_round_trip():
    layer = layers.Embedding(1000, 64, mask_zero=True)
    layer.build((None, 10))
    assert weight_table(layer) == [("embeddings", (1000, 64))]
    cfg = layer.get_config()
    assert [k for k in cfg if k not in ("name", "trainable", "dtype")] == [
        "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
        "activity_regularizer", "embeddings_constraint", "mask_zero"]
    clone = assert_roundtrip(layers.Embedding(20, 3, mask_zero=True), np.array([[1, 0, 5]]))
    assert clone.mask_zero


def test_embedding_errors():
    with pytest.raises(ValueError, match=r"Embedding.*input_dim.*-2"):
        layers.Embedding(-2, 3)
    with pytest.raises(ValueError, match=r"Embedding.*output_dim.*0"):
        layers.Embedding(3, 0)
    with pytest.raises(ValueError, match=r"Embedding 'emb'.*index 7.*\[0, 5\).*\(1, 2\)"):
        layers.Embedding(5, 2, name="emb")(np.array([[1, 7]]))
    with pytest.raises(TypeError, match=r"Embedding 'emb2'.*integer.*\(2,\)"):
        layers.Embedding(5, 2, name="emb2")(np.array([0.5, 1.0]))


# -- training on a generated task ----------------------------------------------------------------
def make_reviews(n, seed):
    """Token sequences (0-padded) with a learnable rule: ids 1-5 are "good", 6-10 "bad",
    11-49 filler; label 1 when there are more good than bad tokens."""
    r = np.random.default_rng(seed)
    x = np.zeros((n, 24), dtype="int64")
    y = np.zeros(n, dtype="int64")
    for i in range(n):
        length = r.integers(10, 25)
        row = r.integers(11, 50, size=length)
        good, bad = [(3, 1), (1, 3), (2, 0), (0, 2), (4, 2), (2, 4)][r.integers(6)]
        slots = r.choice(length, size=good + bad, replace=False)
        row[slots[:good]] = r.integers(1, 6, size=good)
        row[slots[good:]] = r.integers(6, 11, size=bad)
        x[i, :length] = row
        y[i] = int(good > bad)
    return x, y


def test_embedding_average_classifier_learns_rule():
    import ember

    ember.utils.set_random_seed(0)
    (x, y), (xt, yt) = make_reviews(3000, 1), make_reviews(500, 2)
    model = ember.Sequential([
        layers.Embedding(50, 8, mask_zero=True), layers.GlobalAveragePooling1D(),
        layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=ember.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.9
    assert model.layers[0].embeddings.shape == (50, 8)
