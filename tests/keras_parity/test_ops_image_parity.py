"""``keras.ops.image`` against Keras 3 on JAX: values, shapes, dtypes and gradients.

Known Keras (JAX backend) quirks the cases avoid: ``gaussian_blur`` without an explicit
``data_format`` treats channels-last input as channels-first, ``perspective_transform`` and
``affine_transform`` need one transform/point set per image, ``elastic_transform`` draws are
backend-specific (compared on shape and dtype only)."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember

EI = ember.ops.image
RNG = np.random.default_rng(0)
X = RNG.random((2, 12, 14, 3)).astype("float32")
XI = (X * 255).astype("uint8")
XC = np.moveaxis(X, -1, 1)
Y = np.clip(X + RNG.normal(0, 0.1, X.shape), 0, 1).astype("float32")


def _same(got, want, atol=1e-4):
    assert to_numpy(got).dtype == to_numpy(want).dtype
    assert_close(got, want, rtol=1e-4, atol=atol)


def test_namespace_lists_every_keras_name(keras):
    names = [n for n in dir(keras.ops.image) if not n.startswith("_")]
    assert sorted(names) == sorted(EI.__all__)


@pytest.mark.parametrize("name", ["rgb_to_grayscale", "rgb_to_hsv"])
def test_colour(keras, name):
    _same(getattr(EI, name)(X), getattr(keras.ops.image, name)(X))
    _same(getattr(EI, name)(XC, data_format="channels_first"),
          getattr(keras.ops.image, name)(XC, data_format="channels_first"))


def test_grayscale_of_ints_and_hsv_to_rgb(keras):
    _same(EI.rgb_to_grayscale(XI), keras.ops.image.rgb_to_grayscale(XI), atol=0)
    odd = X * 3 - 1  # hues outside [0, 1) wrap
    _same(EI.hsv_to_rgb(odd), keras.ops.image.hsv_to_rgb(odd))


@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("size", [(5, 6), (20, 31), (12, 9)], ids=str)
@pytest.mark.parametrize("antialias", [False, True])
def test_resize(keras, method, size, antialias):
    _same(EI.resize(X, size, interpolation=method, antialias=antialias),
          keras.ops.image.resize(X, size, interpolation=method, antialias=antialias))


@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic"])
def test_resize_integer_images(keras, method):
    got, want = EI.resize(XI, (7, 9), interpolation=method), keras.ops.image.resize(
        XI, (7, 9), interpolation=method)
    assert got.dtype == to_numpy(want).dtype == np.uint8
    # rounding of values computed in float32 may differ by one at .5
    assert np.abs(to_numpy(got).astype(int) - to_numpy(want).astype(int)).max() <= 1


@pytest.mark.parametrize("kwargs", [{"crop_to_aspect_ratio": True},
                                    {"pad_to_aspect_ratio": True, "fill_value": 0.5}], ids=str)
@pytest.mark.parametrize("size", [(6, 20), (20, 6)], ids=str)
def test_resize_aspect_ratio(keras, kwargs, size):
    _same(EI.resize(X, size, **kwargs), keras.ops.image.resize(X, size, **kwargs))
    _same(EI.resize(X[0], size, **kwargs), keras.ops.image.resize(X[0], size, **kwargs))


def test_resize_channels_first(keras):
    _same(EI.resize(XC, (5, 7), data_format="channels_first"),
          keras.ops.image.resize(XC, (5, 7), data_format="channels_first"))


@pytest.mark.parametrize("method", ["linear", "cubic", "lanczos3", "lanczos5"])
@pytest.mark.parametrize("antialias", [True, False])
def test_scale_and_translate(keras, method, antialias):
    args = (X, (2, 20, 10, 3), np.array([1.7, 0.6]), np.array([0.5, -1.0]), (1, 2), method)
    _same(EI.scale_and_translate(*args, antialias=antialias),
          keras.ops.image.scale_and_translate(*args, antialias=antialias))


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_map_coordinates(keras, order, mode):
    coords = RNG.uniform(-3, 16, (2, 5, 6)).astype("float32")
    img = X[0, :, :, 0]
    _same(EI.map_coordinates(img, coords, order, mode, 0.3),
          keras.ops.image.map_coordinates(img, coords, order, mode, 0.3))
    _same(EI.map_coordinates(XI[0, :, :, 0], coords, order, mode),
          keras.ops.image.map_coordinates(XI[0, :, :, 0], coords, order, mode), atol=0)


T = np.array([[1.1, 0.2, -1.5, -0.1, 0.9, 2.0, 0, 0],
              [0.8, -0.3, 3.0, 0.25, 1.2, -2.0, 0, 0]], "float32")


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_affine_transform(keras, interpolation, mode):
    _same(EI.affine_transform(X, T, interpolation, mode, 0.5),
          keras.ops.image.affine_transform(X, T, interpolation, mode, 0.5))


def test_affine_transform_single_int_and_channels_first(keras):
    _same(EI.affine_transform(X[0], T[0]), keras.ops.image.affine_transform(X[0], T[0]))
    _same(EI.affine_transform(XI, T), keras.ops.image.affine_transform(XI, T), atol=0)
    _same(EI.affine_transform(XC, T, data_format="channels_first"),
          keras.ops.image.affine_transform(XC, T, data_format="channels_first"))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_perspective_transform(keras, interpolation):
    start = np.array([[[0, 0], [13, 0], [0, 11], [13, 11]]] * 2, "float32")
    end = np.array([[[1, 2], [12, 0], [0, 10], [13, 9]],
                    [[0, 1], [13, 1], [2, 10], [11, 11]]], "float32")
    _same(EI.perspective_transform(X, start, end, interpolation, 0.25),
          keras.ops.image.perspective_transform(X, start, end, interpolation, 0.25), atol=1e-3)


def test_crop_and_pad(keras):
    cases = [("crop_images", (1, 2), {"target_height": 5, "target_width": 7}),
             ("crop_images", (), {"bottom_cropping": 3, "right_cropping": 2,
                                  "target_height": 5, "target_width": 7}),
             ("pad_images", (1, 2), {"target_height": 15, "target_width": 20}),
             ("pad_images", (), {"bottom_padding": 1, "right_padding": 2,
                                 "target_height": 15, "target_width": 20})]
    for name, args, kwargs in cases:
        for x in (X, X[0]):
            _same(getattr(EI, name)(x, *args, **kwargs),
                  getattr(keras.ops.image, name)(x, *args, **kwargs))


@pytest.mark.parametrize("kwargs", [{"size": 3}, {"size": (2, 3), "strides": 1},
                                    {"size": (3, 3), "strides": (2, 1), "padding": "same"},
                                    {"size": 2, "strides": 1, "dilation_rate": 2}], ids=str)
def test_extract_patches(keras, kwargs):
    _same(EI.extract_patches(X, **kwargs), keras.ops.image.extract_patches(X, **kwargs))
    _same(EI.extract_patches(XI, **kwargs), keras.ops.image.extract_patches(XI, **kwargs))


def test_extract_patches_channels_first_and_3d(keras):
    _same(EI.extract_patches(XC, 3, data_format="channels_first"),
          keras.ops.image.extract_patches(XC, 3, data_format="channels_first"))
    v = RNG.random((2, 6, 7, 8, 2)).astype("float32")
    for kwargs in ({"size": 2}, {"size": (2, 3, 2), "strides": 1},
                   {"size": 3, "strides": 2, "padding": "same"}):
        _same(EI.extract_patches_3d(v, **kwargs), keras.ops.image.extract_patches_3d(v, **kwargs))
    _same(EI.extract_patches(v, (2, 2, 2)), keras.ops.image.extract_patches(v, (2, 2, 2)))


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_filters(keras, fmt):
    x = X if fmt == "channels_last" else XC
    y = Y if fmt == "channels_last" else np.moveaxis(Y, -1, 1)
    for kwargs in ({}, {"kernel_size": (5, 3), "sigma": (2.0, 0.7)}):
        _same(EI.gaussian_blur(x, data_format=fmt, **kwargs),
              keras.ops.image.gaussian_blur(x, data_format=fmt, **kwargs))
    _same(EI.sobel_edges(x, data_format=fmt), keras.ops.image.sobel_edges(x, data_format=fmt))
    _same(EI.ssim(x, y, data_format=fmt), keras.ops.image.ssim(x, y, data_format=fmt))
    _same(EI.ssim(x[0], y[0], filter_size=5, k1=0.02, data_format=fmt),
          keras.ops.image.ssim(x[0], y[0], filter_size=5, k1=0.02, data_format=fmt))


def test_elastic_transform_shape_and_dtype(keras):
    got, want = EI.elastic_transform(X, seed=1), keras.ops.image.elastic_transform(X, seed=1)
    assert got.shape == want.shape and to_numpy(got).dtype == to_numpy(want).dtype
    _same(EI.elastic_transform(X, alpha=0.0, seed=1),
          keras.ops.image.elastic_transform(X, alpha=0.0, seed=1))


@pytest.mark.parametrize("name,call", [
    ("rgb_to_grayscale", lambda I, x: I.rgb_to_grayscale(x)),
    ("rgb_to_hsv", lambda I, x: I.rgb_to_hsv(x)),
    ("hsv_to_rgb", lambda I, x: I.hsv_to_rgb(x)),
    ("resize_bilinear", lambda I, x: I.resize(x, (7, 20))),
    ("resize_bicubic_aa", lambda I, x: I.resize(x, (5, 6), interpolation="bicubic",
                                                antialias=True)),
    ("resize_lanczos3", lambda I, x: I.resize(x, (17, 9), interpolation="lanczos3")),
    ("affine", lambda I, x: I.affine_transform(x, T, fill_mode="reflect")),
    ("map_coordinates", lambda I, x: I.map_coordinates(x[0, :, :, 0], np.stack(np.meshgrid(
        np.linspace(-1, 12, 5), np.linspace(0.3, 14, 6), indexing="ij")).astype("float32"), 1)),
    ("patches", lambda I, x: I.extract_patches(x, 3, 2, padding="same")),
    ("blur", lambda I, x: I.gaussian_blur(x, (5, 3), (1.5, 1.0), data_format="channels_last")),
    ("sobel", lambda I, x: I.sobel_edges(x)),
    ("ssim", lambda I, x: I.ssim(x, Y, filter_size=5)),
    ("crop_pad", lambda I, x: I.pad_images(I.crop_images(x, 1, 2, 3, 4), 2, 1, 0, 3)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_gradients_match_jax(keras, name, call):
    import jax

    r = RNG.uniform(-1, 1, to_numpy(call(EI, X)).shape).astype("float32")
    want = jax.grad(lambda v: (call(keras.ops.image, v) * r).sum())(X)
    var = ember.Variable(X)
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(ember.ops.multiply(call(EI, var), r))
    got = tape.gradient(loss, var)
    assert got.dtype == np.float32
    assert_close(got, want, rtol=1e-3, atol=1e-4, what=name)


@pytest.mark.parametrize("call", [
    lambda I: I.resize(X, (2, 2), interpolation="cubic"),
    lambda I: I.resize(X, (2, 2), fill_mode="reflect"),
    lambda I: I.resize(X[0, 0], (2, 2)),
    lambda I: I.affine_transform(X, T, interpolation="bicubic"),
    lambda I: I.affine_transform(X, T, fill_mode="grid-wrap"),
    lambda I: I.map_coordinates(X[0, :, :, 0], np.zeros((3, 2)), 1),
    lambda I: I.map_coordinates(X[0, :, :, 0], np.zeros((2, 2)), 2),
    lambda I: I.rgb_to_hsv(XI),
    lambda I: I.rgb_to_grayscale(X[..., :2]),
    lambda I: I.crop_images(X, 1, 1, 1, 1, target_height=2),
    lambda I: I.pad_images(X, 1, None, 1, None),
    lambda I: I.scale_and_translate(X, (2, 5, 5, 3), [1, 1], [0, 0], (1, 2), "nearest"),
    lambda I: I.perspective_transform(X, np.zeros((3, 2)), np.zeros((3, 2))),
])
def test_both_raise_value_error(keras, call):
    for lib in (EI, keras.ops.image):
        with pytest.raises(ValueError):
            call(lib)
