"""tf.image names served by ember.ops.image's engines (rgb_to_hsv, hsv_to_rgb, adjust_hue,
adjust_saturation, random_hue, random_saturation, YIQ/YUV, sobel_edges, extract_patches,
ssim) with TensorFlow's conventions (checked against TensorFlow 2.21: they agree to 5e-7).
Expected values come from NumPy / colorsys references written here."""

import colorsys

import numpy as np
import pytest

import ember as tf
from ember.autodiff.gradcheck import check_gradients
from ember.tf.errors import InvalidArgumentError, OutOfRangeError

RNG = np.random.default_rng(1)
IMG = RNG.uniform(size=(2, 12, 13, 3)).astype("float32")
IMG2 = np.clip(IMG + RNG.normal(scale=0.1, size=IMG.shape), 0, 1).astype("float32")


def _np(t):
    return np.asarray(t)


def _per_pixel(fn, img):
    flat = img.reshape(-1, 3).astype("float64")
    return np.array([fn(*p) for p in flat]).reshape(img.shape)


def test_rgb_to_hsv_and_back():
    hsv = tf.image.rgb_to_hsv(IMG)
    assert hsv.dtype == np.float32
    np.testing.assert_allclose(_np(hsv), _per_pixel(colorsys.rgb_to_hsv, IMG), atol=1e-6)
    np.testing.assert_allclose(_np(tf.image.hsv_to_rgb(hsv)), IMG, atol=1e-6)
    with pytest.raises(TypeError, match="must be float"):
        tf.image.rgb_to_hsv((IMG * 255).astype("uint8"))
    with pytest.raises(InvalidArgumentError, match="3 channels"):
        tf.image.hsv_to_rgb(IMG[..., :2])


def _hsv_reference(img, change):
    def one(r, g, b):
        return colorsys.hsv_to_rgb(*change(*colorsys.rgb_to_hsv(r, g, b)))
    return _per_pixel(one, img)


def test_adjust_hue_and_saturation():
    for delta in (0.3, -0.7):
        want = _hsv_reference(IMG, lambda h, s, v, d=delta: ((h + d) % 1.0, s, v))
        np.testing.assert_allclose(_np(tf.image.adjust_hue(IMG, delta)), want, atol=2e-6)
    want = _hsv_reference(IMG, lambda h, s, v: (h, min(s * 1.7, 1.0), v))
    np.testing.assert_allclose(_np(tf.image.adjust_saturation(IMG, 1.7)), want, atol=2e-6)
    u8 = (IMG * 255).astype("uint8")
    out = tf.image.adjust_hue(u8, 0.3)
    assert out.dtype == np.uint8
    want = _hsv_reference(u8 / 255.0, lambda h, s, v: ((h + 0.3) % 1.0, s, v))
    assert np.abs(_np(out).astype(int) - want * 255).max() <= 1.0


def test_adjust_hue_gradient():
    check_gradients(lambda x: tf.image.adjust_saturation(tf.image.adjust_hue(x, 0.2), 0.5),
                    [IMG[0, :3, :3].astype("float64")])


def test_hue_saturation_errors_and_random_versions():
    with pytest.raises(ValueError, match="interval \\[-1, 1\\]"):
        tf.image.adjust_hue(IMG, 2.0)
    with pytest.raises(ValueError, match="non-negative"):
        tf.image.adjust_saturation(IMG, -1.0)
    with pytest.raises(ValueError, match="<= 0.5"):
        tf.image.random_hue(IMG, 0.6)
    with pytest.raises(ValueError, match="non-negative"):
        tf.image.random_hue(IMG, -0.1)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_saturation(IMG, 1.0, 1.0)
    with pytest.raises(ValueError, match="lower must be non-negative"):
        tf.image.random_saturation(IMG, -1.0, 1.0)
    # a seeded draw is one of the adjustments: the same seed, the same image
    a, b = tf.image.random_hue(IMG, 0.2, seed=3), tf.image.random_hue(IMG, 0.2, seed=3)
    np.testing.assert_array_equal(_np(a), _np(b))
    hsv_in, hsv_out = _np(tf.image.rgb_to_hsv(IMG)), _np(tf.image.rgb_to_hsv(a))
    shift = (hsv_out[..., 0] - hsv_in[..., 0]) % 1.0
    coloured = hsv_in[..., 1] > 0.05
    assert np.ptp(np.minimum(shift, 1 - shift)[coloured]) < 1e-4  # one delta for all pixels
    sat = _np(tf.image.rgb_to_hsv(tf.image.random_saturation(IMG, 0.2, 0.4, seed=1)))[..., 1]
    ratio = sat / hsv_in[..., 1]
    assert 0.2 <= ratio.min() and ratio.max() < 0.4 and np.ptp(ratio) < 1e-4


def test_yiq_and_yuv():
    y = 0.299 * IMG[..., 0] + 0.587 * IMG[..., 1] + 0.114 * IMG[..., 2]  # luma
    for forward, back in ((tf.image.rgb_to_yiq, tf.image.yiq_to_rgb),
                          (tf.image.rgb_to_yuv, tf.image.yuv_to_rgb)):
        out = forward(IMG)
        assert out.dtype == np.float32
        np.testing.assert_allclose(_np(out)[..., 0], y, atol=1e-6)
        # TensorFlow's rounded matrices are inverse to about 1e-4
        np.testing.assert_allclose(_np(back(out)), IMG, atol=2e-4)
    check_gradients(tf.image.rgb_to_yuv, [IMG[0, :2, :2].astype("float64")])
    with pytest.raises(TypeError, match="must be float"):
        tf.image.rgb_to_yiq((IMG * 255).astype("uint8"))
    with pytest.raises(InvalidArgumentError, match="3 channels"):
        tf.image.yuv_to_rgb(IMG[..., :2])


def _correlate_valid(x, k):
    kh, kw = k.shape
    h, w = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    return sum(k[i, j] * x[i:i + h, j:j + w] for i in range(kh) for j in range(kw))


def test_sobel_edges_reflects_the_borders():
    ky = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "float64")
    out = tf.image.sobel_edges(IMG)
    assert out.shape == IMG.shape + (2,) and out.dtype == np.float32
    for b in range(2):
        for c in range(3):
            p = np.pad(IMG[b, :, :, c], 1, mode="reflect")
            np.testing.assert_allclose(_np(out)[b, :, :, c, 0], _correlate_valid(p, ky), atol=1e-5)
            np.testing.assert_allclose(_np(out)[b, :, :, c, 1], _correlate_valid(p, ky.T),
                                       atol=1e-5)
    check_gradients(tf.image.sobel_edges, [IMG[:1, :4, :5, :1].astype("float64")])
    with pytest.raises(InvalidArgumentError, match="4-D"):
        tf.image.sobel_edges(IMG[0])
    with pytest.raises(InvalidArgumentError, match="float"):
        tf.image.sobel_edges((IMG * 255).astype("uint8"))


def test_extract_patches():
    x = IMG[:, :7, :8]
    out = tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 2, 1], "VALID")
    rows, cols = (7 - 3) // 2 + 1, (8 - 3) // 3 + 1  # effective width 2 + (2 - 1) * 1 = 3
    assert out.shape == (2, rows, cols, 3 * 2 * 3)
    for i in range(rows):
        for j in range(cols):
            patch = x[:, 2 * i:2 * i + 3, 3 * j:3 * j + 3:2]
            np.testing.assert_array_equal(_np(out)[:, i, j], patch.reshape(2, -1))
    same = tf.image.extract_patches(x, [1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    # TensorFlow's SAME: ceil(7/2) = 4 rows need 2 more (1 + 1), ceil(8/2) = 4 columns 1 (0 + 1)
    padded = np.pad(x, [(0, 0), (1, 1), (0, 1), (0, 0)])
    np.testing.assert_array_equal(_np(same)[:, 1, 2], padded[:, 2:5, 4:7].reshape(2, -1))
    check_gradients(lambda t: tf.image.extract_patches(t, [1, 2, 2, 1], [1, 1, 1, 1],
                                                       [1, 1, 1, 1], "VALID") ** 2,
                    [IMG[:1, :3, :3, :1].astype("float64")])


def test_extract_patches_errors():
    args = ([1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1])
    with pytest.raises(InvalidArgumentError, match="4-dimensional"):
        tf.image.extract_patches(IMG[0], *args, "VALID")
    with pytest.raises(InvalidArgumentError, match="padding"):
        tf.image.extract_patches(IMG, *args, "FOO")
    with pytest.raises(InvalidArgumentError, match="strides must be \\[1, rows, cols, 1\\]"):
        tf.image.extract_patches(IMG, [1, 2, 2, 1], [1, 1], [1, 1, 1, 1], "VALID")


def _ssim_reference(a, b, max_val=1.0, size=11, sigma=1.5, k1=0.01, k2=0.03):
    g = np.exp(-0.5 * ((np.arange(size) - (size - 1) / 2) / sigma) ** 2)
    g /= g.sum()
    k = np.outer(g, g)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    values = []
    for x, y in zip(a.astype("float64"), b.astype("float64")):
        maps = []
        for c in range(x.shape[-1]):
            def blur(t):
                return _correlate_valid(t, k)
            mx, my = blur(x[..., c]), blur(y[..., c])
            vx, vy = blur(x[..., c] ** 2) - mx ** 2, blur(y[..., c] ** 2) - my ** 2
            cov = blur(x[..., c] * y[..., c]) - mx * my
            maps.append((2 * mx * my + c1) * (2 * cov + c2)
                        / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)))
        values.append(np.mean(maps))
    return np.array(values)


def test_ssim():
    out = tf.image.ssim(IMG, IMG2, 1.0)
    assert out.shape == (2,) and out.dtype == np.float32
    np.testing.assert_allclose(_np(out), _ssim_reference(IMG, IMG2), atol=1e-5)
    small = tf.image.ssim(IMG, IMG2, 1.0, filter_size=5, filter_sigma=1.0)
    np.testing.assert_allclose(_np(small), _ssim_reference(IMG, IMG2, size=5, sigma=1.0),
                               atol=1e-5)
    assert tf.image.ssim(IMG[0], IMG2[0], 1.0).shape == ()
    # integer images are scaled to [0, 1] with max_val, the result float32
    u8, u82 = (IMG * 255).astype("uint8"), (IMG2 * 255).astype("uint8")
    out8 = tf.image.ssim(u8, u82, 255)
    assert out8.dtype == np.float32
    np.testing.assert_allclose(_np(out8), _ssim_reference(u8 / 255.0, u82 / 255.0), atol=1e-5)
    # batches broadcast, as TensorFlow
    np.testing.assert_allclose(_np(tf.image.ssim(IMG, IMG2[:1], 1.0)),
                               _ssim_reference(IMG, np.broadcast_to(IMG2[:1], IMG.shape)),
                               atol=1e-5)
    # ssim works in float32 (as TensorFlow): its gradient against central differences of the
    # float64 reference
    a, b = IMG[:1, :6, :6], IMG2[:1, :6, :6]
    x = tf.Variable(a)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.image.ssim(x, b, 1.0, filter_size=3))
    grad = _np(tape.gradient(y, x))
    for index in [(0, 0, 0, 0), (0, 2, 3, 1), (0, 5, 5, 2), (0, 3, 1, 0)]:
        step = np.zeros(a.shape)
        step[index] = 1e-4
        numeric = (_ssim_reference(a + step, b, size=3)
                   - _ssim_reference(a - step, b, size=3)).sum() / 2e-4
        np.testing.assert_allclose(grad[index], numeric, rtol=1e-3, atol=1e-5)


def test_ssim_errors():
    with pytest.raises(InvalidArgumentError, match="filter_size=11"):
        tf.image.ssim(IMG[:, :5], IMG2[:, :5], 1.0)
    with pytest.raises(NotImplementedError, match="return_index_map"):
        tf.image.ssim(IMG, IMG2, 1.0, return_index_map=True)


# -- crop_and_resize ----------------------------------------------------------------------------
CIMG = RNG.uniform(size=(2, 5, 6, 3)).astype("float32")
BOXES = np.array([[0.1, 0.2, 0.8, 0.9], [-0.2, 0.0, 0.5, 1.3], [0.5, 0.5, 0.5, 0.5],
                  [0.9, 0.7, 0.1, 0.2]], "float32")  # off the image, a point, a flipped box
INDICES = [0, 1, 1, 0]


def _crop_reference(img, boxes, indices, size, nearest=False, fill=0.0):
    """TensorFlow's sampling grid (float32), sampled by hand."""
    ch, cw = size
    h, w = img.shape[1:3]

    def grid(a, b, n, m):
        if n == 1:
            return np.array([np.float32(0.5) * (a + b) * np.float32(m - 1)], "float32")
        scale = (b - a) * np.float32(m - 1) / np.float32(n - 1)
        return (a * np.float32(m - 1) + np.arange(n, dtype="float32") * scale).astype("float32")

    out = np.zeros((len(boxes), ch, cw, img.shape[-1]))
    for n, ((y1, x1, y2, x2), b) in enumerate(zip(boxes, indices)):
        for i, y in enumerate(grid(y1, y2, ch, h)):
            for j, x in enumerate(grid(x1, x2, cw, w)):
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[n, i, j] = fill
                elif nearest:
                    out[n, i, j] = img[b, int(np.floor(y + 0.5)), int(np.floor(x + 0.5))]
                else:
                    y0, x0 = int(np.floor(y)), int(np.floor(x))
                    y1_, x1_ = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
                    dy, dx = y - y0, x - x0
                    top = img[b, y0, x0] * (1 - dx) + img[b, y0, x1_] * dx
                    bottom = img[b, y1_, x0] * (1 - dx) + img[b, y1_, x1_] * dx
                    out[n, i, j] = top * (1 - dy) + bottom * dy
    return out


def test_crop_and_resize():
    out = tf.image.crop_and_resize(CIMG, BOXES, INDICES, [4, 3])
    assert out.shape == (4, 4, 3, 3) and out.dtype == np.float32
    np.testing.assert_allclose(_np(out), _crop_reference(CIMG, BOXES, INDICES, (4, 3)),
                               atol=1e-6)
    near = tf.image.crop_and_resize(CIMG, BOXES, INDICES, [4, 3], method="nearest",
                                    extrapolation_value=-1.0)
    np.testing.assert_allclose(_np(near), _crop_reference(CIMG, BOXES, INDICES, (4, 3), True,
                                                          -1.0), atol=1e-6)
    one = tf.image.crop_and_resize(CIMG, BOXES, INDICES, [1, 1])
    np.testing.assert_allclose(_np(one), _crop_reference(CIMG, BOXES, INDICES, (1, 1)),
                               atol=1e-6)
    u8 = tf.image.crop_and_resize((CIMG * 255).astype("uint8"), BOXES, INDICES, [2, 2])
    assert u8.dtype == np.float32  # integer images are sampled as float32 (not rescaled)
    # the crops are float32 (as TensorFlow) and linear in the image: the gradient of
    # sum(crops * r) at a pixel is the response of the float64 reference to that pixel
    r = RNG.normal(size=(2, 3, 2, 3)).astype("float32")
    x = tf.Variable(CIMG[:1])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.image.crop_and_resize(x, BOXES[:2], [0, 0], [3, 2]) * r)
    grad = _np(tape.gradient(y, x))
    for pixel in [(0, 1, 2, 0), (0, 2, 3, 1), (0, 4, 5, 2), (0, 0, 0, 0)]:
        unit = np.zeros(CIMG[:1].shape)
        unit[pixel] = 1.0
        response = _crop_reference(unit, BOXES[:2], [0, 0], (3, 2))
        np.testing.assert_allclose(grad[pixel], (response * r).sum(), rtol=1e-5, atol=1e-6)


def test_crop_and_resize_errors():
    with pytest.raises(InvalidArgumentError, match="4-D"):
        tf.image.crop_and_resize(CIMG[0], BOXES, [0] * 4, [2, 2])
    with pytest.raises(OutOfRangeError, match="outside \\[0, 2\\)"):
        tf.image.crop_and_resize(CIMG, BOXES, [0, 1, 2, 0], [2, 2])
    with pytest.raises(InvalidArgumentError, match="box_indices has 2 entries for 4 boxes"):
        tf.image.crop_and_resize(CIMG, BOXES, [0, 1], [2, 2])
    with pytest.raises(InvalidArgumentError, match="must be positive"):
        tf.image.crop_and_resize(CIMG, BOXES, [0] * 4, [0, 2])
    with pytest.raises(InvalidArgumentError, match="method"):
        tf.image.crop_and_resize(CIMG, BOXES, [0] * 4, [2, 2], method="bicubic")
    with pytest.raises(InvalidArgumentError, match="4 columns"):
        tf.image.crop_and_resize(CIMG, BOXES[:, :3], [0] * 4, [2, 2])
