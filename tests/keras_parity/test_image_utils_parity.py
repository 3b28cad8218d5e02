"""keras.utils.load_img / img_to_array / array_to_img / save_img and
keras.preprocessing.image.smart_resize against Keras itself (both use Pillow)."""

import io

import numpy as np
import pytest
from parity_harness import to_numpy

import ember

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `image`)")


@pytest.fixture
def png(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (9, 14, 4), dtype=np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(x, "RGBA").save(path)
    return str(path)


@pytest.mark.parametrize("color_mode", ["rgb", "rgba", "grayscale"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear", "bicubic", "hamming", "box",
                                           "lanczos"])
@pytest.mark.parametrize("keep_aspect_ratio", [False, True])
def test_load_img(keras, png, color_mode, interpolation, keep_aspect_ratio):
    kw = dict(color_mode=color_mode, target_size=(5, 4), interpolation=interpolation,
              keep_aspect_ratio=keep_aspect_ratio)
    ours, theirs = ember.utils.load_img(png, **kw), keras.utils.load_img(png, **kw)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("color_mode", ["rgb", "grayscale"])
@pytest.mark.parametrize("dtype", [None, "uint8", "float64"])
def test_img_to_array(keras, png, data_format, color_mode, dtype):
    img = keras.utils.load_img(png, color_mode=color_mode)
    ours = ember.utils.img_to_array(img, data_format=data_format, dtype=dtype)
    theirs = keras.utils.img_to_array(img, data_format=data_format, dtype=dtype)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("channels,high", [(1, 255.0), (1, 1000.0), (3, 255.0), (4, 2.0)])
@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_array_to_img_and_save_img(keras, tmp_path, channels, high, scale, data_format):
    x = np.random.default_rng(1).uniform(0, high, (6, 5, channels)).astype("float32")
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    ours = ember.utils.array_to_img(x, data_format=data_format, scale=scale)
    theirs = keras.utils.array_to_img(x, data_format=data_format, scale=scale)
    assert ours.mode == theirs.mode
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    a, b = io.BytesIO(), io.BytesIO()
    if theirs.mode == "I":  # Pillow cannot write 32-bit grey as PNG: both fail the same way
        for module, buffer in ((ember, a), (keras, b)):
            with pytest.raises(OSError, match="cannot write mode I"):
                module.utils.save_img(buffer, x, data_format=data_format, file_format="png",
                                      scale=scale)
        return
    ember.utils.save_img(a, x, data_format=data_format, file_format="png", scale=scale)
    keras.utils.save_img(b, x, data_format=data_format, file_format="png", scale=scale)
    np.testing.assert_array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b)))


@pytest.mark.parametrize("shape,size", [((9, 14, 3), (4, 4)), ((2, 9, 14, 1), (5, 3)),
                                        ((7, 7, 2), (3, 6))])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
def test_smart_resize(keras, shape, size, interpolation):
    x = np.random.default_rng(2).uniform(0, 255, shape).astype("float32")
    ours = ember.preprocessing.image.smart_resize(x, size, interpolation=interpolation)
    theirs = keras.preprocessing.image.smart_resize(x, size, interpolation=interpolation)
    assert isinstance(ours, np.ndarray) and ours.dtype == to_numpy(theirs).dtype
    np.testing.assert_allclose(ours, to_numpy(theirs), rtol=1e-5, atol=1e-3)


def test_the_same_errors(keras, png):
    for fn, args, kwargs in [("load_img", (png,), dict(color_mode="cmyk")),
                             ("load_img", (png,), dict(target_size=(2, 2),
                                                       interpolation="cubic")),
                             ("array_to_img", (np.zeros((2, 3)),), {}),
                             ("array_to_img", (np.zeros((2, 3, 2)),), {}),
                             ("img_to_array", (np.zeros((1, 2, 3, 4)),), {})]:
        with pytest.raises(ValueError):
            getattr(keras.utils, fn)(*args, **kwargs)
        with pytest.raises(ValueError):
            getattr(ember.utils, fn)(*args, **kwargs)
    with pytest.raises(TypeError):
        keras.utils.load_img(3)
    with pytest.raises(TypeError):
        ember.utils.load_img(3)


def test_preprocessing_namespaces_have_keras_names(keras):
    import ember.preprocessing

    def public(module):
        return {n for n in dir(module) if not n.startswith("_")}

    assert public(ember.preprocessing.image) == public(keras.preprocessing.image)
    assert public(ember.preprocessing) >= public(keras.preprocessing)
    for name in ("image_dataset_from_directory", "text_dataset_from_directory",
                 "timeseries_dataset_from_array"):
        assert getattr(ember.preprocessing, name) is getattr(ember.utils, name)
