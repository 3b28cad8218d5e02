"""tf.image through ``import ember as tf``, against values observed with TensorFlow 2.21 and
NumPy derivations of them."""

import numpy as np
import pytest

import ember as tf

IMGS = np.arange(2 * 3 * 4 * 1, dtype="float32").reshape(2, 3, 4, 1)


def _np(t):
    return np.asarray(t)


def _bilinear_ref(img, new_h, new_w):
    """TF 2 bilinear resize (half-pixel centres, source coordinates clamped at 0)."""
    h, w = img.shape[:2]

    def taps(n_in, n_out):
        c = np.maximum((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0)
        lo = np.minimum(np.floor(c).astype(int), n_in - 1)
        return lo, np.minimum(lo + 1, n_in - 1), c - np.floor(c)

    r0, r1, fr = taps(h, new_h)
    c0, c1, fc = taps(w, new_w)
    rows = img[r0] * (1 - fr)[:, None, None] + img[r1] * fr[:, None, None]
    return rows[:, c0] * (1 - fc)[None, :, None] + rows[:, c1] * fc[None, :, None]


def test_resize_bilinear_as_tensorflow():
    out = tf.image.resize(IMGS, [5, 3])
    assert out.dtype == np.float32 and out.shape == (2, 5, 3, 1)
    assert np.allclose(_np(out)[0], _bilinear_ref(IMGS[0], 5, 3), atol=1e-5)
    # values TF 2.21 printed for the first row: [0.1667, 1.5, 2.8333]
    assert np.allclose(_np(out)[0, 0, :, 0], [1 / 6, 1.5, 2.8333333], atol=1e-4)
    assert tf.image.resize(IMGS.astype("uint8"), [2, 2]).dtype == np.float32


def test_resize_nearest_as_tensorflow():
    out = tf.image.resize(IMGS, [5, 3], method="nearest")
    # TF 2.21: rows [0, 0, 1, 2, 2], columns [0, 2, 3]
    assert _np(out)[0, :, :, 0].tolist() == IMGS[0, [0, 0, 1, 2, 2]][:, [0, 2, 3], 0].tolist()
    assert tf.image.resize(IMGS.astype("uint8"), [2, 2], method="nearest").dtype == np.uint8
    assert tf.image.resize(IMGS, [2, 2], method=tf.image.ResizeMethod.NEAREST_NEIGHBOR).shape \
        == (2, 2, 2, 1)


def test_resize_options_and_errors():
    assert tf.image.resize(IMGS, [6, 2], preserve_aspect_ratio=True).shape == (2, 2, 2, 1)
    assert tf.image.resize(IMGS[0], [6, 8]).shape == (6, 8, 1)
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.resize(np.ones((2, 2)), [3, 3])
    with pytest.raises(ValueError, match="bicubic"):
        tf.image.resize(IMGS, [3, 3], method="bicubic")
    with pytest.raises(ValueError, match="area"):
        tf.image.resize(IMGS, [3, 3], method="area")
    with pytest.raises(ValueError):
        tf.image.resize(IMGS, [3, 3], method="cubic-ish")
    padded = tf.image.resize_with_pad(IMGS[0], 6, 6)
    assert padded.shape == (6, 6, 1)


def test_resize_gradient_is_the_adjoint_of_the_interpolation():
    # resize computes in float32 (as TF, even for float64 input), too coarse for finite
    # differences; bilinear resizing is linear, so its gradient is the transposed map
    rng = np.random.default_rng(0)
    x = tf.Variable(rng.normal(size=(1, 3, 4, 1)).astype("float32"))
    r = rng.normal(size=(1, 5, 3, 1)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.image.resize(x, [5, 3]) * r)
    grad = _np(tape.gradient(loss, x))
    basis = np.eye(12).reshape(12, 3, 4, 1)
    matrix = np.stack([_bilinear_ref(b, 5, 3).reshape(-1) for b in basis])  # (12, 15)
    assert np.allclose(grad.reshape(-1), matrix @ r.reshape(-1), atol=1e-5)


def test_flips_and_rotation():
    assert np.array_equal(_np(tf.image.flip_left_right(IMGS)), IMGS[:, :, ::-1])
    assert np.array_equal(_np(tf.image.flip_up_down(IMGS[0])), IMGS[0, ::-1])
    r = tf.image.rot90(np.arange(4.0).reshape(2, 2, 1))
    assert _np(r)[..., 0].tolist() == [[1.0, 3.0], [0.0, 2.0]]  # TF 2.21's output
    assert np.array_equal(_np(tf.image.rot90(IMGS, k=4)), IMGS)
    assert np.array_equal(_np(tf.image.transpose(IMGS)), IMGS.transpose(0, 2, 1, 3))


def test_random_flips_are_seeded_and_per_image():
    batch = np.stack([IMGS[0]] * 64)
    out = _np(tf.image.random_flip_left_right(batch, seed=3))
    flipped = [np.array_equal(o, IMGS[0, :, ::-1]) for o in out]
    kept = [np.array_equal(o, IMGS[0]) for o in out]
    assert all(f or k for f, k in zip(flipped, kept)) and 10 < sum(flipped) < 54
    again = _np(tf.image.random_flip_left_right(batch, seed=3))
    assert np.array_equal(out, again)
    single = _np(tf.image.random_flip_up_down(IMGS[0], seed=1))
    assert np.array_equal(single, IMGS[0]) or np.array_equal(single, IMGS[0, ::-1])


def test_crops_and_pads_as_tensorflow():
    four = np.arange(16.0).reshape(4, 4, 1)
    assert _np(tf.image.central_crop(four, 0.5))[..., 0].tolist() == [[5.0, 6.0], [9.0, 10.0]]
    five = np.arange(25.0).reshape(5, 5, 1)
    assert _np(tf.image.central_crop(five, 0.5))[..., 0].tolist() == five[1:4, 1:4, 0].tolist()
    assert tf.image.central_crop(four, 1.0).shape == (4, 4, 1)
    with pytest.raises(ValueError, match="central_fraction"):
        tf.image.central_crop(four, 0.0)
    crop = tf.image.crop_to_bounding_box(four, 1, 2, 2, 2)
    assert _np(crop)[..., 0].tolist() == four[1:3, 2:4, 0].tolist()
    with pytest.raises(ValueError, match="width must be >= target \\+ offset"):
        tf.image.crop_to_bounding_box(np.ones((2, 2, 1)), 1, 0, 4, 3)
    padded = tf.image.pad_to_bounding_box(np.ones((2, 2, 1)), 1, 0, 4, 3)
    assert _np(padded)[..., 0].tolist() == [[0, 0, 0], [1, 1, 0], [1, 1, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="height must be <= target - offset"):
        tf.image.pad_to_bounding_box(np.ones((2, 2, 1)), 1, 0, 2, 3)
    both = tf.image.resize_with_crop_or_pad(four, 3, 6)  # crop height, pad width (TF's output)
    assert _np(both)[..., 0].tolist() == [[0, 0, 1, 2, 3, 0], [0, 4, 5, 6, 7, 0],
                                          [0, 8, 9, 10, 11, 0]]
    rc = tf.image.random_crop(four, [2, 2, 1], seed=0)
    assert rc.shape == (2, 2, 1)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.image.random_crop(four, [5, 2, 1])


def test_convert_image_dtype_as_tensorflow():
    f = tf.image.convert_image_dtype(np.array([0, 128, 255], np.uint8), tf.float32)
    assert np.allclose(_np(f), np.array([0, 128, 255]) / 255.0)
    # TF: float -> uint8 multiplies by 255.5 and truncates: [0, 127, 255, 255]
    u = tf.image.convert_image_dtype(np.array([0.0, 0.5, 1.0, 0.999], np.float32), tf.uint8)
    assert _np(u).tolist() == [0, 127, 255, 255] and u.dtype == np.uint8
    s = tf.image.convert_image_dtype(np.array([-0.5, 1.5], np.float32), tf.uint8, saturate=True)
    assert _np(s).tolist() == [0, 255]
    assert _np(tf.image.convert_image_dtype(np.array([1.5], np.float32), tf.float64)).tolist() \
        == [1.5]
    assert _np(tf.image.convert_image_dtype(np.array([255], np.uint8), tf.uint16)).tolist() \
        == [255 * 257 - 255]  # 255 * (65536 // 256)
    with pytest.raises(AttributeError):
        tf.image.convert_image_dtype(np.array([1.0]), tf.string)


def test_color_conversions_as_tensorflow():
    rgb = np.array([[[10, 100, 200]]], np.uint8)
    g = tf.image.rgb_to_grayscale(rgb)
    assert g.dtype == np.uint8 and _np(g).tolist() == [[[84]]]  # TF 2.21's value
    gf = tf.image.rgb_to_grayscale(rgb.astype("float32") / 255)
    assert np.allclose(_np(gf), (np.array([10, 100, 200]) / 255 @ [0.2989, 0.587, 0.114]))
    assert tf.image.grayscale_to_rgb(g).shape == (1, 1, 3)
    with pytest.raises(ValueError, match="3 channels"):
        tf.image.rgb_to_grayscale(np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match="1 channel"):
        tf.image.grayscale_to_rgb(np.ones((2, 2, 3)))


def test_brightness_contrast_standardization_as_tensorflow():
    rgb = np.array([[[10, 100, 200]]], np.uint8)
    assert _np(tf.image.adjust_brightness(rgb, 0.1)).tolist() == [[[35, 125, 225]]]  # TF's
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    c = tf.image.adjust_contrast(x, 2.0)
    mean = x.mean(axis=(0, 1), keepdims=True)
    assert np.allclose(_np(c), (x - mean) * 2 + mean)
    s = tf.image.per_image_standardization(x)
    assert np.allclose(_np(s), (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size)), atol=1e-6)
    assert tf.image.per_image_standardization(np.ones((2, 2, 1), np.uint8)).dtype == np.float32
    b = _np(tf.image.random_brightness(x, 0.5, seed=1)) - x
    assert np.allclose(b, b.flat[0]) and abs(b.flat[0]) <= 0.5
    with pytest.raises(ValueError, match="max_delta"):
        tf.image.random_brightness(x, -1)
    rc = _np(tf.image.random_contrast(x, 0.5, 1.5, seed=2))
    factor = (rc - mean)[0, 0, 0] / (x - mean)[0, 0, 0]  # one factor for the whole image
    assert 0.5 <= factor < 1.5 and np.allclose(rc, (x - mean) * factor + mean, atol=1e-5)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_contrast(x, 1.0, 0.5)
    assert np.allclose(_np(tf.image.adjust_gamma(x / 11, 2.0)), (x / 11) ** 2, atol=1e-6)


def test_total_variation_gradients_and_psnr():
    img = np.arange(4.0).reshape(2, 2, 1)
    # |1-0| + |3-2| across width, |2-0| + |3-1| down height
    assert float(tf.image.total_variation(img)) == 6.0
    dy, dx = tf.image.image_gradients(img[None])
    assert _np(dy)[0, :, :, 0].tolist() == [[2.0, 2.0], [0.0, 0.0]]
    assert _np(dx)[0, :, :, 0].tolist() == [[1.0, 0.0], [1.0, 0.0]]
    a = np.zeros((2, 2, 1), "float32")
    b = np.full((2, 2, 1), 0.1, "float32")
    assert np.isclose(float(tf.image.psnr(a, b, 1.0)), 10 * np.log10(1 / 0.01), rtol=1e-5)


def test_resize_kernels_and_antialias_share_keras_ops_image_resize():
    # TensorFlow's antialiased resize and its Lanczos kernels are the scale-and-translate
    # resampler of keras.ops.image.resize (one implementation in ember)
    x = np.random.default_rng(3).random((2, 8, 9, 2)).astype("float32")
    for method, antialias in [("bilinear", True), ("lanczos3", False), ("lanczos5", True),
                              ("bicubic", True)]:
        got = tf.image.resize(x, [3, 5], method=method, antialias=antialias)
        want = tf.ops.image.resize(x, (3, 5), interpolation=method, antialias=antialias)
        assert got.dtype == np.float32
        np.testing.assert_allclose(_np(got), _np(want), rtol=1e-6)
    # antialias halving: each output averages a 4-pixel triangle window (1, 3, 3, 1) / 8
    row = np.arange(8, dtype="float32").reshape(1, 8, 1)
    half = _np(tf.image.resize(row, [1, 4], antialias=True))[0, :, 0]
    # output i is centred on input 2i + 0.5: taps 2i - 1 .. 2i + 2 (clipped at the borders)
    w = np.array([[3, 3, 1, 0, 0, 0, 0, 0], [0, 1, 3, 3, 1, 0, 0, 0], [0, 0, 0, 1, 3, 3, 1, 0],
                  [0, 0, 0, 0, 0, 1, 3, 3]], dtype="float64")
    np.testing.assert_allclose(half, (w / w.sum(1, keepdims=True)) @ np.arange(8), rtol=1e-6)


def test_rgb_to_grayscale_integer_images_scale_through_floats():
    rgb = np.array([[[200, 100, 50]]], dtype="uint8")
    gray = tf.image.rgb_to_grayscale(rgb)
    luma = (200 * 0.2989 + 100 * 0.5870 + 50 * 0.1140) / 255
    assert gray.dtype == np.uint8 and int(_np(gray)[0, 0, 0]) == int(luma * 255.5)
