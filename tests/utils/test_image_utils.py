"""load_img / img_to_array / array_to_img / save_img / smart_resize on real files in tmp_path
(Keras's own results: tests/keras_parity/test_image_utils_parity.py)."""

import io

import numpy as np
import pytest

import ember
from ember.preprocessing import image as pre_image

Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `image`)")


@pytest.fixture
def rgb(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(x).save(path)
    return path, x


def test_names_are_the_same_in_utils_and_preprocessing():
    for name in ("load_img", "img_to_array", "array_to_img", "save_img"):
        assert getattr(ember.utils, name) is getattr(pre_image, name)


def test_load_img_modes_and_sizes(rgb):
    path, x = rgb
    img = ember.utils.load_img(path)
    assert img.mode == "RGB" and img.size == (10, 6)
    np.testing.assert_array_equal(np.asarray(img), x)
    gray = ember.utils.load_img(str(path), color_mode="grayscale")
    np.testing.assert_array_equal(np.asarray(gray), np.asarray(Image.fromarray(x).convert("L")))
    assert ember.utils.load_img(path, color_mode="rgba").mode == "RGBA"
    with open(path, "rb") as f:
        from_bytes = ember.utils.load_img(io.BytesIO(f.read()), target_size=(3, 4),
                                          interpolation="bilinear")
    ref = Image.fromarray(x).resize((4, 3), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(np.asarray(from_bytes), np.asarray(ref))


def test_load_img_keep_aspect_ratio_crops_the_centre(rgb):
    path, x = rgb
    img = ember.utils.load_img(path, target_size=(3, 3), keep_aspect_ratio=True)
    # a 6x10 image to a square: the centred 6x6 window (columns 2..7), then resized
    ref = Image.fromarray(x[:, 2:8]).resize((3, 3), Image.Resampling.NEAREST)
    np.testing.assert_array_equal(np.asarray(img), np.asarray(ref))


def test_load_img_errors(rgb):
    path, _ = rgb
    with pytest.raises(ValueError, match="color_mode"):
        ember.utils.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="interpolation"):
        ember.utils.load_img(path, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(ValueError, match="target_size"):
        ember.utils.load_img(path, target_size=(2,))
    with pytest.raises(TypeError, match="path-like"):
        ember.utils.load_img(3)


def test_img_to_array_layouts_and_dtype(rgb):
    path, x = rgb
    img = ember.utils.load_img(path)
    a = ember.utils.img_to_array(img)
    assert a.dtype == np.float32 and a.shape == (6, 10, 3)
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(ember.utils.img_to_array(img, "channels_first"),
                                  x.transpose(2, 0, 1))
    gray = ember.utils.load_img(path, color_mode="grayscale")
    assert ember.utils.img_to_array(gray).shape == (6, 10, 1)
    assert ember.utils.img_to_array(gray, data_format="channels_first").shape == (1, 6, 10)
    assert ember.utils.img_to_array(img, dtype="uint8").dtype == np.uint8
    with pytest.raises(ValueError, match="unsupported image shape"):
        ember.utils.img_to_array(np.zeros((1, 2, 3, 4)))
    with pytest.raises(ValueError, match="data_format"):
        ember.utils.img_to_array(img, data_format="nhwc")


def test_array_to_img_scales_and_picks_the_mode():
    x = np.linspace(-1.0, 1.0, 2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    img = ember.utils.array_to_img(x)
    assert img.mode == "RGB"
    expected = ((x - x.min()) / (x.max() - x.min()) * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(img), expected)
    assert ember.utils.array_to_img(np.zeros((2, 3, 4)) + 9, scale=False).mode == "RGBA"
    assert ember.utils.array_to_img(np.full((2, 3, 1), 7.0), scale=False).mode == "L"
    assert ember.utils.array_to_img(np.full((2, 3, 1), 700.0), scale=False).mode == "I"
    first = ember.utils.array_to_img(x.transpose(2, 0, 1), data_format="channels_first")
    np.testing.assert_array_equal(np.asarray(first), expected)
    tensor = ember.utils.array_to_img(ember.ops.convert_to_tensor(x))
    np.testing.assert_array_equal(np.asarray(tensor), expected)
    with pytest.raises(ValueError, match="rank 3"):
        ember.utils.array_to_img(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="channel number: 2"):
        ember.utils.array_to_img(np.zeros((2, 3, 2)))


def test_save_img_round_trip(tmp_path):
    x = np.random.default_rng(1).integers(0, 256, (5, 7, 3)).astype(np.float32)
    ember.utils.save_img(tmp_path / "x.png", x, scale=False)
    back = ember.utils.img_to_array(ember.utils.load_img(tmp_path / "x.png"))
    np.testing.assert_array_equal(back, x)
    rgba = np.concatenate([x, np.full((5, 7, 1), 255.0)], axis=-1)
    with pytest.warns(UserWarning, match="JPEG"):
        ember.utils.save_img(tmp_path / "x.jpg", rgba, scale=False)
    assert Image.open(tmp_path / "x.jpg").format == "JPEG"
    buffer = io.BytesIO()
    ember.utils.save_img(buffer, x, file_format="png", scale=False)
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_smart_resize_crops_then_resizes():
    x = np.arange(6 * 10 * 1, dtype=np.float32).reshape(6, 10, 1)
    out = pre_image.smart_resize(x, (3, 3), interpolation="nearest")
    assert isinstance(out, np.ndarray) and out.shape == (3, 3, 1)
    centre = x[:, 2:8]  # the centred square window
    # nearest with half-pixel centres: output pixel i reads input pixel floor((i + 0.5) * 2)
    np.testing.assert_array_equal(out, centre[1::2, 1::2])
    batch = pre_image.smart_resize(ember.ops.convert_to_tensor(x[None]), (3, 3))
    assert tuple(batch.shape) == (1, 3, 3, 1)
    with pytest.raises(ValueError, match="2 integers"):
        pre_image.smart_resize(x, (3,))
    with pytest.raises(ValueError, match="incorrect rank|shape"):
        pre_image.smart_resize(x[..., 0], (3, 3))
