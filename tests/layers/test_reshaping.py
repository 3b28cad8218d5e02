"""ZeroPadding, Cropping and UpSampling layers: forward against NumPy, gradients, configs,
errors."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np

from ember import layers
from ember.backend import np


def test_zero_padding():
    x = rng(1).standard_normal((2, 3, 4)).astype("float32")
    np.testing.assert_array_equal(to_np(layers.ZeroPadding1D((1, 2))(x)),
                                  np.pad(x, ((0, 0), (1, 2), (0, 0))))
    x2 = rng(2).standard_normal((2, 3, 4, 2)).astype("float32")
    for padding, widths in ((1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))),
                            (((1, 0), (0, 3)), ((1, 0), (0, 3)))):
        layer = layers.ZeroPadding2D(padding)
        y = to_np(layer(x2))
        np.testing.assert_array_equal(y, np.pad(x2, ((0, 0),) + widths + ((0, 0),)))
        assert y.shape[1:] == layer.compute_output_shape((None, 3, 4, 2))[1:]
    y = to_np(layers.ZeroPadding2D(1, data_format="channels_first")(x2))
    assert y.shape == (2, 3, 6, 4)
    assert layers.ZeroPadding2D().get_config()["padding"] == [[1, 1], [1, 1]]


def test_cropping():
    x = rng(3).standard_normal((2, 6, 3)).astype("float32")
    layer = layers.Cropping1D((1, 2))
    np.testing.assert_array_equal(to_np(layer(x)), x[:, 1:4])
    assert layer.compute_output_shape((None, 6, 3)) == (None, 3, 3)
    x2 = rng(4).standard_normal((2, 6, 5, 3)).astype("float32")
    layer = layers.Cropping2D(((1, 0), (2, 1)))
    np.testing.assert_array_equal(to_np(layer(x2)), x2[:, 1:, 2:4])
    assert layer.compute_output_shape((None, 6, 5, 3)) == (None, 5, 2, 3)
    np.testing.assert_array_equal(to_np(layers.Cropping2D(1, data_format="channels_first")(x2)),
                                  x2[:, :, 1:4, 1:2])


def test_upsampling_nearest():
    x = rng(5).standard_normal((2, 3, 4)).astype("float32")
    np.testing.assert_array_equal(to_np(layers.UpSampling1D(3)(x)), np.repeat(x, 3, axis=1))
    x2 = rng(6).standard_normal((2, 2, 3, 4)).astype("float32")
    layer = layers.UpSampling2D((2, 3))
    ref = np.repeat(np.repeat(x2, 2, axis=1), 3, axis=2)
    np.testing.assert_array_equal(to_np(layer(x2)), ref)
    assert layer.compute_output_shape((None, 2, 3, 4)) == (None, 4, 9, 4)


def test_upsampling_bilinear_half_pixel():
    x = np.array([[0.0, 1.0, 3.0]], dtype="float32").reshape(1, 1, 3, 1)
    y = to_np(layers.UpSampling2D((1, 2), interpolation="bilinear")(x))[0, 0, :, 0]
    # TensorFlow's resize: sample at (j + 0.5) / 2 - 0.5, clamped at the borders
    np.testing.assert_allclose(y, [0.0, 0.25, 0.75, 1.5, 2.5, 3.0], rtol=1e-6)
    const = np.full((1, 3, 3, 2), 4.0, dtype="float32")
    np.testing.assert_allclose(
        to_np(layers.UpSampling2D(2, interpolation="bilinear")(const)), 4.0, rtol=1e-6)


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.ZeroPadding1D(2, dtype="float64"), (2, 3, 2)),
    (lambda: layers.ZeroPadding2D(((1, 0), (0, 2)), dtype="float64"), (1, 2, 3, 2)),
    (lambda: layers.Cropping1D((1, 1), dtype="float64"), (2, 4, 2)),
    (lambda: layers.Cropping2D(((1, 0), (1, 1)), dtype="float64"), (1, 3, 4, 2)),
    (lambda: layers.UpSampling1D(2, dtype="float64"), (2, 3, 2)),
    (lambda: layers.UpSampling2D((2, 3), dtype="float64"), (1, 2, 2, 2)),
    (lambda: layers.UpSampling2D(2, interpolation="bilinear", dtype="float64"), (1, 3, 2, 2)),
])
def test_gradients(make, shape):
    grad_check(make(), rng(7).standard_normal(shape))


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.ZeroPadding1D((1, 2)), (2, 3, 2)),
    (lambda: layers.ZeroPadding2D((1, 2), data_format="channels_first"), (1, 2, 3, 2)),
    (lambda: layers.Cropping1D((1, 0)), (2, 4, 2)),
    (lambda: layers.Cropping2D(((1, 0), (1, 1))), (1, 3, 4, 2)),
    (lambda: layers.UpSampling1D(3), (2, 3, 2)),
    (lambda: layers.UpSampling2D((2, 1), interpolation="bilinear"), (1, 2, 2, 2)),
])
def test_config_round_trip(make, shape):
    assert_roundtrip(make(), rng(8).standard_normal(shape).astype("float32"))


def test_errors():
    with pytest.raises(ValueError, match=r"Cropping1D 'cr'.*\(2, 2\).*\(2, 4, 2\)"):
        layers.Cropping1D((2, 2), name="cr")(np.zeros((2, 4, 2), dtype="float32"))
    with pytest.raises(ValueError, match=r"Cropping2D 'cr2'.*\(None, 3, 4, 1\)"):
        layers.Cropping2D(2, name="cr2").compute_output_shape((None, 3, 4, 1))
    with pytest.raises(ValueError, match=r"ZeroPadding2D.*padding"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"ZeroPadding1D.*padding.*-1"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match=r"UpSampling2D.*interpolation.*'cubic'"):
        layers.UpSampling2D(interpolation="cubic")
    with pytest.raises(ValueError, match=r"UpSampling2D 'up'.*ndim=4.*\(2, 3, 4\)"):
        layers.UpSampling2D(name="up")(np.zeros((2, 3, 4), dtype="float32"))
