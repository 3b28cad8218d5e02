"""Preprocessing layers: Normalization (adapt, given statistics, invert) and Rescaling."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np, weight_table

from ember import layers
from ember.backend import np


def test_normalization_adapt_per_feature():
    x = rng(1).standard_normal((50, 3)).astype("float32") * [1, 5, 0.1] + [2, -3, 7]
    layer = layers.Normalization()
    layer.adapt(x)
    y = to_np(layer(x))
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-4)
    assert weight_table(layer) == [("mean", (3,)), ("variance", (3,)), ("count", ())]
    assert int(layer.count.numpy()) == 50
    assert all(not w.trainable for w in layer.weights)


def test_normalization_adapt_batches_equals_whole():
    x = rng(2).standard_normal((40, 2, 3)).astype("float32")
    whole, batched = layers.Normalization(axis=(1, 2)), layers.Normalization(axis=(1, 2))
    whole.adapt(x)
    batched.adapt([x[:7], x[7:30], x[30:]])
    np.testing.assert_allclose(batched.adapt_mean.numpy(), whole.adapt_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(batched.adapt_variance.numpy(), whole.adapt_variance.numpy(),
                               rtol=1e-5)
    np.testing.assert_allclose(whole.adapt_mean.numpy(), x.mean(axis=0), rtol=1e-5)


def test_normalization_keras_examples():
    layer = layers.Normalization(axis=None)
    layer.adapt(np.array([1.0, 2, 3, 4, 5], dtype="float32"))
    np.testing.assert_allclose(to_np(layer(np.array([1.0, 2, 3], dtype="float32"))),
                               [-1.4142135, -0.70710677, 0.0], rtol=1e-6)
    data = np.array([[0.0, 7, 4], [2, 9, 6], [0, 7, 4], [2, 9, 6]], dtype="float32")
    inv = layers.Normalization(axis=-1, invert=True)
    inv.adapt(data)
    np.testing.assert_allclose(to_np(inv(np.array([[1.0, 2, 3]], dtype="float32"))),
                               [[2.0, 10, 8]], rtol=1e-6)
    given = layers.Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(to_np(given(np.array([[1.0], [2], [3]], dtype="float32"))),
                               [[-1.4142135], [-0.70710677], [0.0]], rtol=1e-6)
    assert given.weights == []


def test_normalization_set_weights_and_round_trip():
    x = rng(3).standard_normal((10, 4)).astype("float32")
    layer = layers.Normalization()
    layer.adapt(x)
    clone = assert_roundtrip(layer, x)
    np.testing.assert_allclose(to_np(clone(x)), to_np(layer(x)))
    cfg = layer.get_config()
    assert cfg["axis"] == [-1] and cfg["mean"] is None and cfg["invert"] is False
    assert_roundtrip(layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 9.0]), x[:, :2])


def test_normalization_gradient():
    layer = layers.Normalization(mean=[1.0, -1.0], variance=[4.0, 0.5], dtype="float64")
    grad_check(layer, rng(4).standard_normal((3, 2)))


def test_normalization_errors():
    with pytest.raises(ValueError, match=r"Normalization.*both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    layer = layers.Normalization(name="nz")
    layer.adapt(np.zeros((4, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Normalization 'nz'.*\(4, 5\)"):
        layer.adapt(np.zeros((4, 5), dtype="float32"))
    with pytest.raises(ValueError, match=r"Normalization 'n3'.*axis.*\(4, 3\)"):
        layers.Normalization(axis=2, name="n3").build((4, 3))


def test_rescaling():
    x = (rng(5).random((2, 3, 3)) * 255).astype("uint8")
    y = to_np(layers.Rescaling(1 / 255.0)(x))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, x / 255.0, rtol=1e-6)
    y = to_np(layers.Rescaling(1 / 127.5, offset=-1)(x.astype("float32")))
    np.testing.assert_allclose(y, x / 127.5 - 1, rtol=1e-5, atol=1e-6)
    y = to_np(layers.Rescaling([1.0, 2.0, 3.0])(x.astype("float32")))
    np.testing.assert_allclose(y, x * np.array([1.0, 2, 3]))
    cfg = layers.Rescaling(0.5, offset=1.0).get_config()
    assert cfg["scale"] == 0.5 and cfg["offset"] == 1.0
    assert_roundtrip(layers.Rescaling([0.5, 2.0], offset=[1.0, 0.0]),
                     np.ones((2, 2), dtype="float32"))
    grad_check(layers.Rescaling(3.0, offset=1.0, dtype="float64"), rng(6).random((2, 3)))
    with pytest.raises(ValueError, match=r"Rescaling.*scale.*'x'"):
        layers.Rescaling("x")
