"""Noise and regularization layers: training vs inference, statistics, gradients, configs."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np

from ember import layers
from ember.backend import np


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((64, 5, 8), dtype="float32")
    layer = layers.SpatialDropout1D(0.5)
    np.testing.assert_array_equal(to_np(layer(x)), x)  # inference: identity
    y = to_np(layer(x, training=True))
    # each (sample, channel) is either all zero or all 2 (= 1 / (1 - rate)) along the steps
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert (y.min(axis=1) == y.max(axis=1)).all()
    assert 0.4 < (y[:, 0] == 0).mean() < 0.6


@pytest.mark.parametrize("fmt,shape,axes", [("channels_last", (32, 3, 3, 6), (1, 2)),
                                            ("channels_first", (32, 6, 3, 3), (2, 3))])
def test_spatial_dropout_2d(fmt, shape, axes):
    x = np.ones(shape, dtype="float32")
    y = to_np(layers.SpatialDropout2D(0.3, data_format=fmt)(x, training=True))
    assert (y.min(axis=axes) == y.max(axis=axes)).all()
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)


def test_gaussian_noise():
    x = np.zeros((2000, 10), dtype="float32")
    layer = layers.GaussianNoise(0.5)
    np.testing.assert_array_equal(to_np(layer(x)), x)
    y = to_np(layer(x, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 0.5) < 0.02
    assert not np.array_equal(y, to_np(layer(x, training=True)))  # fresh noise each call
    seeded = [to_np(layers.GaussianNoise(1.0, seed=3)(x[:5], training=True)) for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])


def test_gaussian_dropout():
    x = np.ones((4000, 10), dtype="float32")
    layer = layers.GaussianDropout(0.2)
    np.testing.assert_array_equal(to_np(layer(x)), x)
    y = to_np(layer(x, training=True))
    assert abs(y.mean() - 1) < 0.02 and abs(y.std() - np.sqrt(0.2 / 0.8)) < 0.02


def test_noise_gradients_pass_through():
    # with a fixed seed the noise is a constant: d(x + n)/dx = 1, d(x * n)/dx = n
    def fresh_call(layer, t):  # a new layer per call: the same seeded draw every time
        return type(layer).from_config(layer.get_config())(t, training=True)

    for layer, shape in ((layers.GaussianNoise(0.3, seed=1, dtype="float64"), (3, 4)),
                         (layers.GaussianDropout(0.3, seed=1, dtype="float64"), (3, 4)),
                         (layers.SpatialDropout1D(0.5, seed=2, dtype="float64"), (3, 4, 2))):
        grad_check(layer, rng(1).standard_normal(shape), call=fresh_call)


def test_activity_regularization_adds_loss():
    x = np.array([[1.0, -2.0], [0.5, 0.0]], dtype="float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    y = layer(x)
    np.testing.assert_array_equal(to_np(y), x)
    (loss,) = layer.losses
    np.testing.assert_allclose(float(loss.data), 0.1 * 3.5 + 0.01 * 5.25, rtol=1e-6)
    cfg = layer.get_config()
    assert cfg["l1"] == 0.1 and cfg["l2"] == 0.01 and "activity_regularizer" not in cfg


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.SpatialDropout1D(0.2, seed=1), (2, 3, 4)),
    (lambda: layers.SpatialDropout2D(0.2, data_format="channels_first"), (2, 3, 4, 4)),
    (lambda: layers.GaussianNoise(0.1, seed=2), (2, 3)),
    (lambda: layers.GaussianDropout(0.1), (2, 3)),
    (lambda: layers.ActivityRegularization(l2=0.5), (2, 3)),
])
def test_config_round_trip(make, shape):
    assert_roundtrip(make(), rng(2).standard_normal(shape).astype("float32"))


def test_spatial_dropout_config_keys_as_keras():
    assert list(layers.SpatialDropout1D(0.1).get_config()) == ["rate", "seed", "name", "dtype"]
    assert list(layers.SpatialDropout2D(0.1).get_config()) == [
        "rate", "seed", "name", "dtype", "data_format"]


def test_errors():
    with pytest.raises(ValueError, match=r"SpatialDropout1D.*rate.*1.5"):
        layers.SpatialDropout1D(1.5)
    with pytest.raises(ValueError, match=r"GaussianDropout.*rate.*1"):
        layers.GaussianDropout(1.0)
    with pytest.raises(ValueError, match=r"GaussianNoise.*stddev.*-1"):
        layers.GaussianNoise(-1)
    with pytest.raises(ValueError, match=r"SpatialDropout2D 'sd'.*ndim=4.*\(2, 3, 4\)"):
        layers.SpatialDropout2D(0.1, name="sd")(np.zeros((2, 3, 4), dtype="float32"))
