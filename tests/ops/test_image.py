"""keras.ops.image in ember: NumPy (and colorsys / scipy) references, gradients against finite
differences, dtypes, data formats and errors."""

import colorsys

import numpy as np
import pytest

import ember
from ember import ops
from ember.ops import image as I

from .helpers import assert_grads, close, float32_run, rand

IMG = rand((2, 6, 7, 3), 1, 0.0, 1.0)


def test_namespace():
    assert ops.image is I
    for name in I.__all__:
        assert callable(getattr(I, name))


# -- colour --------------------------------------------------------------------------------------
def test_rgb_to_grayscale():
    ref = IMG @ np.array([0.2989, 0.5870, 0.1140])
    close(I.rgb_to_grayscale(IMG).data, ref[..., None])
    close(I.rgb_to_grayscale(np.moveaxis(IMG, -1, 1), data_format="channels_first").data,
          ref[:, None])
    ints = (IMG * 255).astype("uint8")
    gray = I.rgb_to_grayscale(ints)
    assert gray.dtype == np.uint8
    np.testing.assert_array_equal(gray.data[..., 0],
                                  (ints.astype("float32") @ np.float32([0.2989, 0.587, 0.114]))
                                  .astype("uint8"))
    one = IMG[..., :1]
    assert I.rgb_to_grayscale(one).data is not None and I.rgb_to_grayscale(one).shape == one.shape
    assert_grads(I.rgb_to_grayscale, IMG)


def test_rgb_hsv_round_trip_against_colorsys():
    x = rand((2, 4, 5, 3), 2, 0.05, 1.0)
    hsv = I.rgb_to_hsv(x).data
    ref = np.array([colorsys.rgb_to_hsv(*p) for p in x.reshape(-1, 3)]).reshape(x.shape)
    close(hsv, ref, atol=1e-12)
    close(I.hsv_to_rgb(ref).data, x, atol=1e-12)
    back = np.array([colorsys.hsv_to_rgb(*p) for p in ref.reshape(-1, 3)]).reshape(x.shape)
    close(I.hsv_to_rgb(ref).data, back, atol=1e-12)
    cf = I.rgb_to_hsv(np.moveaxis(x, -1, 1), data_format="channels_first").data
    close(np.moveaxis(cf, 1, -1), ref, atol=1e-12)
    assert_grads(I.rgb_to_hsv, x)
    assert_grads(I.hsv_to_rgb, ref * 0.9 + 0.05)


def test_hsv_grey_pixels_and_float32():
    grey = np.full((2, 2, 3), 0.5)
    close(I.rgb_to_hsv(grey).data, np.stack([np.zeros((2, 2)), np.zeros((2, 2)),
                                             np.full((2, 2), 0.5)], -1))
    y, (g,) = float32_run(I.rgb_to_hsv, rand((3, 3, 3), 3, 0.1, 1.0))
    assert g is not None


def test_colour_errors():
    with pytest.raises(ValueError, match="rgb_to_hsv: invalid images dtype: expected float"):
        I.rgb_to_hsv(np.ones((2, 2, 3), "uint8"))
    with pytest.raises(ValueError, match=r"rgb_to_grayscale: invalid channel size.*\(2, 2, 4\)"):
        I.rgb_to_grayscale(np.ones((2, 2, 4)))
    with pytest.raises(ValueError, match=r"hsv_to_rgb: invalid images rank.*\(2, 3\)"):
        I.hsv_to_rgb(np.ones((2, 3)))
    with pytest.raises(ValueError, match="hsv_to_rgb: expected 3 channels"):
        I.hsv_to_rgb(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="data_format must be 'channels_last' or"):
        I.rgb_to_grayscale(IMG, data_format="nhwc")


# -- resize, scale_and_translate -----------------------------------------------------------------
@pytest.mark.parametrize("method", ["bilinear", "bicubic", "lanczos3", "lanczos5", "nearest"])
def test_resize_to_the_same_size_is_the_identity(method):
    close(I.resize(IMG, (6, 7), interpolation=method).data, IMG, atol=1e-12)


def test_bilinear_halving_averages_pairs_and_antialias_widens_the_kernel():
    x = rand((1, 8, 8, 1), 4)
    pairs = x.reshape(1, 4, 2, 4, 2, 1).mean(axis=(2, 4))
    close(I.resize(x, (4, 4)).data, pairs)
    # antialias: taps 2i-1 .. 2i+2 weighted 1, 3, 3, 1 (renormalized at the borders)
    w = np.zeros((4, 8))
    for i in range(4):
        for k, v in zip(range(2 * i - 1, 2 * i + 3), (1, 3, 3, 1)):
            if 0 <= k < 8:
                w[i, k] = v
    w /= w.sum(1, keepdims=True)
    close(I.resize(x, (4, 4), antialias=True).data,
          np.einsum("hH,wW,bHWc->bhwc", w, w, x))


def test_bilinear_upscaling_interpolates_between_pixel_centres():
    x = rand((5, 1, 1), 5)
    y = I.resize(x, (10, 1)).data[:, 0, 0]
    centres = (np.arange(10) + 0.5) / 2 - 0.5
    close(y, np.interp(centres, np.arange(5), x[:, 0, 0]))


def test_nearest_and_integer_images():
    x = (rand((1, 5, 7, 2), 6, 0, 1) * 255).astype("uint8")
    rows = np.floor((np.arange(3) + 0.5) * 5 / 3).astype(int)
    cols = np.floor((np.arange(4) + 0.5) * 7 / 4).astype(int)
    y = I.resize(x, (3, 4), interpolation="nearest")
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y.data, x[:, rows][:, :, cols])
    z = I.resize(x, (10, 14))
    assert z.dtype == np.uint8
    ref = np.clip(np.round(I.resize(x.astype("float32"), (10, 14)).data), 0, 255)
    np.testing.assert_array_equal(z.data, ref)


def test_resize_aspect_ratio_crop_and_pad():
    x = rand((1, 6, 12, 1), 7)
    close(I.resize(x, (3, 3), crop_to_aspect_ratio=True).data,
          I.resize(x[:, :, 3:9], (3, 3)).data)
    padded = I.resize(x, (6, 6), pad_to_aspect_ratio=True, fill_value=0.5).data
    canvas = np.pad(x, [(0, 0), (3, 3), (0, 0), (0, 0)], constant_values=0.5)
    close(padded, I.resize(canvas, (6, 6)).data)


def test_resize_channels_first_and_unbatched():
    cf = I.resize(np.moveaxis(IMG, -1, 1), (4, 5), data_format="channels_first").data
    close(np.moveaxis(cf, 1, -1), I.resize(IMG, (4, 5)).data)
    close(I.resize(IMG[0], (4, 5)).data, I.resize(IMG, (4, 5)).data[0])


@pytest.mark.parametrize("method,antialias", [("bilinear", False), ("bilinear", True),
                                              ("bicubic", True), ("lanczos3", False)])
def test_resize_gradients(method, antialias):
    for size in [(4, 5), (9, 11)]:
        assert_grads(lambda t, size=size: I.resize(t, size, interpolation=method,
                                                   antialias=antialias), IMG)


def test_resize_float32():
    y, (g,) = float32_run(lambda t: I.resize(t, (3, 4), interpolation="bicubic"), IMG)
    assert g is not None


def test_resize_errors():
    with pytest.raises(ValueError, match="resize: invalid interpolation"):
        I.resize(IMG, (2, 2), interpolation="area")
    with pytest.raises(ValueError, match="resize: only fill_mode='constant'"):
        I.resize(IMG, (2, 2), fill_mode="reflect")
    with pytest.raises(ValueError, match="resize: only one of pad_to_aspect_ratio"):
        I.resize(IMG, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match=r"resize: size must be a tuple of two elements"):
        I.resize(IMG, (2, 2, 2))
    with pytest.raises(ValueError, match=r"resize: size must be positive"):
        I.resize(IMG, (0, 2))
    with pytest.raises(ValueError, match=r"resize: invalid images rank.*\(6, 7\)"):
        I.resize(IMG[0, ..., 0], (2, 2))


def test_scale_and_translate():
    x = rand((1, 5, 6, 1), 8)
    shifted = I.scale_and_translate(x, (1, 5, 6, 1), [1.0, 1.0], [1.0, 0.0], (1, 2), "linear")
    close(shifted.data[:, 1:], x[:, :-1])
    close(shifted.data[:, 0], 0.0)  # sampled off the image
    same = I.scale_and_translate(x, (1, 10, 12, 1), [2.0, 2.0], [0.0, 0.0], (1, 2), "cubic")
    close(same.data, I.resize(x, (10, 12), interpolation="bicubic", antialias=True).data)
    ints = I.scale_and_translate(np.ones((4, 4), "int32"), (2, 2), [0.5, 0.5], [0, 0], (0, 1),
                                 "bilinear")
    assert ints.dtype == np.float32
    assert_grads(lambda t: I.scale_and_translate(t, (1, 7, 4, 1), [1.3, 0.7], [0.2, -0.4],
                                                 (1, 2), "lanczos3"), x)
    with pytest.raises(ValueError, match="scale_and_translate: invalid method"):
        I.scale_and_translate(x, (1, 5, 6, 1), [1, 1], [0, 0], (1, 2), "nearest")
    with pytest.raises(ValueError, match="scale_and_translate: output_shape"):
        I.scale_and_translate(x, (5, 6, 1), [1, 1], [0, 0], (1, 2), "linear")
    with pytest.raises(ValueError, match="scale_and_translate: scale .* must have the same"):
        I.scale_and_translate(x, (1, 5, 6, 1), [1], [0, 0], (1, 2), "linear")
    with pytest.raises(ValueError, match="scale_and_translate: axis 3 is not a spatial dim"):
        I.scale_and_translate(x, (1, 5, 6, 2), [1, 1], [0, 0], (1, 2), "linear")


# -- map_coordinates and the warps ---------------------------------------------------------------
PAD_MODES = {"nearest": "edge", "wrap": "wrap", "mirror": "reflect", "reflect": "symmetric"}


@pytest.mark.parametrize("mode", sorted(PAD_MODES))
def test_map_coordinates_integer_points_follow_np_pad(mode):
    x = rand((4, 5), 9)
    ii, jj = np.meshgrid(np.arange(-6, 10), np.arange(-7, 12), indexing="ij")
    padded = np.pad(x, [(6, 6), (7, 7)], mode=PAD_MODES[mode])
    for order in (0, 1):
        got = I.map_coordinates(x, np.stack([ii, jj]).astype("float64"), order, mode).data
        close(got, padded)


def test_map_coordinates_linear_and_constant():
    x = rand((4, 5), 10)
    c = np.array([[0.25, 2.5, -0.5, 3.75], [1.5, 0.0, 1.0, 4.5]])
    got = I.map_coordinates(x, c, 1, "constant", 2.0).data
    ref = []
    for y, xx in c.T:
        total = 0.0
        for yi, wy in ((np.floor(y), 1 - (y - np.floor(y))), (np.floor(y) + 1, y - np.floor(y))):
            for xi, wx in ((np.floor(xx), 1 - (xx - np.floor(xx))),
                           (np.floor(xx) + 1, xx - np.floor(xx))):
                inside = 0 <= yi < 4 and 0 <= xi < 5
                total += wy * wx * (x[int(yi), int(xi)] if inside else 2.0)
        ref.append(total)
    close(got, ref)
    # order 0 rounds half away from zero
    close(I.map_coordinates(x, [[0.5, 1.5], [2.5, 0.49]], 0).data, [x[1, 3], x[2, 0]])
    assert_grads(lambda t: I.map_coordinates(t, c, 1, "reflect"), x)


@pytest.mark.parametrize("mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_against_scipy(mode, order):
    ndimage = pytest.importorskip("scipy.ndimage")
    x = rand((5, 6, 3), 11)
    c = rand((3, 4, 7), 12, -3, 8)
    c[2] = np.clip(c[2], 0, 2)
    got = I.map_coordinates(x, c, order, mode, 0.7).data
    scipy_mode = {"wrap": "grid-wrap", "constant": "grid-constant"}.get(mode, mode)
    ref = ndimage.map_coordinates(x, c, order=order, mode=scipy_mode, cval=0.7, prefilter=False)
    close(got, ref, atol=1e-12)


def test_map_coordinates_integer_input_and_errors():
    x = np.arange(12, dtype="int32").reshape(3, 4)
    y = I.map_coordinates(x, [[0.5], [0.5]], 1)
    assert y.dtype == np.int32 and int(y.data[0]) == 3  # 2.5 rounds away from zero
    with pytest.raises(ValueError, match="map_coordinates: first dim of coordinates"):
        I.map_coordinates(x, np.zeros((3, 2)), 1)
    with pytest.raises(ValueError, match="map_coordinates: invalid coordinates rank"):
        I.map_coordinates(x, np.zeros(2), 1)
    with pytest.raises(ValueError, match="map_coordinates: invalid fill_mode"):
        I.map_coordinates(x, np.zeros((2, 2)), 1, "grid-wrap")
    with pytest.raises(ValueError, match="map_coordinates: invalid order"):
        I.map_coordinates(x, np.zeros((2, 2)), 3)


IDENTITY = np.array([1.0, 0, 0, 0, 1.0, 0, 0, 0])


def test_affine_transform_identity_shift_and_batch():
    close(I.affine_transform(IMG, IDENTITY).data, IMG)
    shift = np.array([1.0, 0, 2.0, 0, 1.0, -1.0, 0, 0])  # x_in = x + 2, y_in = y - 1
    y = I.affine_transform(IMG, shift, fill_value=0.25).data
    close(y[:, 1:, :-2], IMG[:, :-1, 2:])
    close(y[:, 0], 0.25)
    per_image = I.affine_transform(IMG, np.stack([IDENTITY, shift]), fill_value=0.25).data
    close(per_image[0], IMG[0])
    close(per_image[1], y[1])
    cf = I.affine_transform(np.moveaxis(IMG, -1, 1), shift, fill_value=0.25,
                            data_format="channels_first").data
    close(np.moveaxis(cf, 1, -1), y)
    close(I.affine_transform(IMG[0], shift, fill_value=0.25).data, y[0])


def test_affine_transform_projective_row_divides():
    t = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.1, 0.0])
    gy, gx = np.meshgrid(np.arange(6), np.arange(7), indexing="ij")
    k = 0.1 * gx + 1.0
    ref = I.map_coordinates(IMG[0, ..., 0], np.stack([gy / k, gx / k]), 1).data
    close(I.affine_transform(IMG[0], t).data[..., 0], ref, atol=1e-6)


def test_affine_transform_gradient_and_ints():
    t = np.array([0.9, 0.15, 0.3, -0.1, 1.1, 0.2, 0, 0])
    assert_grads(lambda v: I.affine_transform(v, t, fill_mode="reflect"), IMG)
    ints = (IMG * 255).astype("uint8")
    out = I.affine_transform(ints, t)
    assert out.dtype == np.uint8


def test_perspective_transform():
    corners = np.array([[0.0, 0], [6, 0], [0, 5], [6, 5]])
    close(I.perspective_transform(IMG, corners, corners).data, IMG, atol=1e-5)
    moved = corners + [2.0, -1.0]  # a translation: the same as an affine shift
    shift = np.array([1.0, 0, -2.0, 0, 1.0, 1.0, 0, 0])
    close(I.perspective_transform(IMG, corners, moved, fill_value=0.5).data,
          I.affine_transform(IMG, shift, fill_value=0.5).data, atol=1e-5)
    assert_grads(lambda v: I.perspective_transform(v, corners, corners * 0.9 + 0.3), IMG)
    with pytest.raises(ValueError, match=r"perspective_transform: invalid start_points shape"):
        I.perspective_transform(IMG, np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="start_points and end_points must have the same shape"):
        I.perspective_transform(IMG, np.zeros((4, 2)), np.zeros((2, 4, 2)))


def test_elastic_transform():
    close(I.elastic_transform(IMG, alpha=0.0, seed=1).data, IMG)
    a = I.elastic_transform(IMG, seed=3, sigma=1.0, alpha=2.0)
    b = I.elastic_transform(IMG, seed=3, sigma=1.0, alpha=2.0)
    close(a.data, b.data)
    assert a.shape == IMG.shape and not np.allclose(a.data, IMG)
    x32 = IMG.astype("float32")
    assert I.elastic_transform(x32, seed=1).dtype == np.float32
    assert I.elastic_transform(x32[0], seed=1).shape == x32[0].shape
    assert_grads(lambda v: I.elastic_transform(v, alpha=2.0, sigma=1.0, seed=5), IMG)


@pytest.mark.parametrize("op", [I.affine_transform, I.elastic_transform])
def test_warp_argument_errors(op):
    args = (IMG, IDENTITY) if op is I.affine_transform else (IMG,)
    with pytest.raises(ValueError, match="invalid interpolation"):
        op(*args, interpolation="bicubic")
    with pytest.raises(ValueError, match="invalid fill_mode"):
        op(*args, fill_mode="grid-wrap")
    with pytest.raises(ValueError, match="invalid images rank"):
        op(IMG[0, 0], *args[1:])


def test_affine_transform_shape_errors():
    with pytest.raises(ValueError, match=r"affine_transform: invalid transform shape.*\(6,\)"):
        I.affine_transform(IMG, np.ones(6))
    with pytest.raises(ValueError, match="affine_transform: 3 transforms for a batch of 2"):
        I.affine_transform(IMG, np.ones((3, 8)))


# -- crops and pads ------------------------------------------------------------------------------
def test_crop_and_pad_images():
    close(I.crop_images(IMG, 1, 2, target_height=3, target_width=4).data, IMG[:, 1:4, 2:6])
    close(I.crop_images(IMG, bottom_cropping=1, right_cropping=2, target_height=3,
                        target_width=4).data, IMG[:, 2:5, 1:5])
    close(I.crop_images(IMG[0], 1, 1, 2, 2).data, IMG[0, 1:4, 1:5])
    close(I.pad_images(IMG, 1, 2, target_height=9, target_width=10).data,
          np.pad(IMG, [(0, 0), (1, 2), (2, 1), (0, 0)]))
    close(I.pad_images(IMG[0], bottom_padding=1, right_padding=0, target_height=8,
                       target_width=9).data, np.pad(IMG[0], [(1, 1), (2, 0), (0, 0)]))
    cf = np.moveaxis(IMG, -1, 1)
    close(I.crop_images(cf, 1, 1, 1, 1, data_format="channels_first").data, cf[:, :, 1:5, 1:6])
    close(I.pad_images(cf, 1, 1, 1, 1, data_format="channels_first").data,
          np.pad(cf, [(0, 0), (0, 0), (1, 1), (1, 1)]))
    assert_grads(lambda t: I.crop_images(t, 1, 1, 1, 1), IMG)
    assert_grads(lambda t: I.pad_images(t, 1, 1, 1, 1), IMG)


def test_crop_and_pad_errors():
    with pytest.raises(ValueError, match="crop_images: must specify exactly two of top_cropping"):
        I.crop_images(IMG, 1, 1, 1, 1, target_height=2)
    with pytest.raises(ValueError, match="crop_images: left_cropping must be >= 0"):
        I.crop_images(IMG, 1, -1, 1, 1)
    with pytest.raises(ValueError, match=r"crop_images: target_height must be >= 0.*-1"):
        I.crop_images(IMG, 4, 1, 3, 1)
    with pytest.raises(ValueError, match="pad_images: must specify exactly two of left_padding"):
        I.pad_images(IMG, 1, None, 1, None)
    with pytest.raises(ValueError, match=r"pad_images: top_padding must be >= 0.*-1"):
        I.pad_images(IMG, bottom_padding=2, left_padding=0, right_padding=0, target_height=7)


# -- patches -------------------------------------------------------------------------------------
def _patches_ref(x, size, stride, dilation=1):
    b, h, w, c = x.shape
    kh, kw = size
    oh = (h - (kh - 1) * dilation - 1) // stride[0] + 1
    ow = (w - (kw - 1) * dilation - 1) // stride[1] + 1
    out = np.zeros((b, oh, ow, kh * kw * c))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride[0]:i * stride[0] + (kh - 1) * dilation + 1:dilation,
                    j * stride[1]:j * stride[1] + (kw - 1) * dilation + 1:dilation]
            out[:, i, j] = win.reshape(b, -1)
    return out


@pytest.mark.parametrize("size,strides,dilation", [(2, None, 1), ((2, 3), 1, 1),
                                                   ((3, 2), (2, 1), 1), (2, 1, 2)], ids=str)
def test_extract_patches(size, strides, dilation):
    s2 = (size, size) if isinstance(size, int) else size
    st = s2 if strides is None else (strides, strides) if isinstance(strides, int) else strides
    got = I.extract_patches(IMG, size, strides, dilation_rate=dilation).data
    close(got, _patches_ref(IMG, s2, st, dilation))
    assert_grads(lambda t: I.extract_patches(t, size, strides, dilation_rate=dilation), IMG)


def test_extract_patches_same_padding_channels_first_and_unbatched():
    got = I.extract_patches(IMG, 3, 2, padding="same").data
    # TensorFlow's rule: ceil(6 / 2) = 3 rows need 1 more row (below), ceil(7 / 2) = 4 columns
    # need 2 more (one each side)
    padded = np.pad(IMG, [(0, 0), (0, 1), (1, 1), (0, 0)])
    close(got, _patches_ref(padded, (3, 3), (2, 2)))
    cf = I.extract_patches(np.moveaxis(IMG, -1, 1), 2, data_format="channels_first").data
    close(np.moveaxis(cf, 1, -1), I.extract_patches(IMG, 2).data)
    close(I.extract_patches(IMG[0], 2).data, I.extract_patches(IMG, 2).data[0])


def test_extract_patches_3d():
    v = rand((2, 4, 5, 6, 2), 13)
    got = I.extract_patches_3d(v, (2, 2, 3)).data
    assert got.shape == (2, 2, 2, 2, 24)
    close(got[1, 1, 0, 1], v[1, 2:4, 0:2, 3:6].reshape(-1))
    close(I.extract_patches(v, (2, 2, 3)).data, got)
    close(I.extract_patches_3d(v[0], 2, strides=1).data[1, 2, 3], v[0, 1:3, 2:4, 3:5].reshape(-1))
    assert_grads(lambda t: I.extract_patches_3d(t, 2, strides=(1, 2, 2)), v)


def test_extract_patches_errors():
    with pytest.raises(ValueError, match="extract_patches: size must be an int or a tuple"):
        I.extract_patches(IMG, (1, 2, 3, 4))
    with pytest.raises(ValueError, match="extract_patches: strides must be a positive int"):
        I.extract_patches(IMG, 2, strides=0)
    with pytest.raises(ValueError, match="extract_patches: padding must be 'valid' or 'same'"):
        I.extract_patches(IMG, 2, padding="full")
    with pytest.raises(ValueError, match="extract_patches: a patch of size .* does not fit"):
        I.extract_patches(IMG, 8)
    with pytest.raises(ValueError, match="extract_patches_3d: invalid volumes rank"):
        I.extract_patches_3d(IMG[0], 2)


# -- filters -------------------------------------------------------------------------------------
def _correlate_same(x, kernel):
    """Zero-padded 'same' cross-correlation of each channel of (b, h, w, c)."""
    kh, kw = kernel.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    p = np.pad(x, [(0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0)])
    out = np.zeros_like(x)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * p[:, i:i + x.shape[1], j:j + x.shape[2]]
    return out


def _gauss(n, s):
    g = np.exp(-0.5 * ((np.arange(n) - (n - 1) / 2) / s) ** 2)
    return g / g.sum()


def test_gaussian_blur():
    close(I.gaussian_blur(IMG).data, _correlate_same(IMG, np.outer(_gauss(3, 1.0), _gauss(3, 1.0))))
    # kernel_size and sigma are (x, y): the first entry acts along the width
    got = I.gaussian_blur(IMG, kernel_size=(5, 3), sigma=(2.0, 0.7)).data
    close(got, _correlate_same(IMG, np.outer(_gauss(3, 0.7), _gauss(5, 2.0))))
    cf = I.gaussian_blur(np.moveaxis(IMG, -1, 1), data_format="channels_first").data
    close(np.moveaxis(cf, 1, -1), I.gaussian_blur(IMG).data)
    close(I.gaussian_blur(IMG[0]).data, I.gaussian_blur(IMG).data[0])
    assert_grads(lambda t: I.gaussian_blur(t, (3, 5), (1.0, 1.5)), IMG)


def test_sobel_edges():
    ky = np.array([[-1.0, -2, -1], [0, 0, 0], [1, 2, 1]])
    got = I.sobel_edges(IMG).data
    assert got.shape == IMG.shape + (2,)
    close(got[..., 0], _correlate_same(IMG, ky))
    close(got[..., 1], _correlate_same(IMG, ky.T))
    cf = I.sobel_edges(np.moveaxis(IMG, -1, 1), data_format="channels_first").data
    close(np.moveaxis(cf, 1, 3), got)
    assert_grads(I.sobel_edges, IMG)


def _ssim_ref(a, b, size=11, sigma=1.5, k1=0.01, k2=0.03, max_val=1.0):
    g = np.outer(_gauss(size, sigma), _gauss(size, sigma))

    def blur(t):
        oh, ow = t.shape[1] - size + 1, t.shape[2] - size + 1
        out = np.zeros((t.shape[0], oh, ow, t.shape[3]))
        for i in range(size):
            for j in range(size):
                out += g[i, j] * t[:, i:i + oh, j:j + ow]
        return out

    m1, m2 = blur(a), blur(b)
    v1, v2, cov = blur(a * a) - m1 ** 2, blur(b * b) - m2 ** 2, blur(a * b) - m1 * m2
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    s = (2 * m1 * m2 + c1) * (2 * cov + c2) / ((m1 ** 2 + m2 ** 2 + c1) * (v1 + v2 + c2))
    return s.mean(axis=(1, 2, 3))


def test_ssim():
    a = rand((2, 12, 13, 2), 14, 0, 1)
    b = np.clip(a + rand(a.shape, 15, -0.2, 0.2), 0, 1)
    close(I.ssim(a, a).data, [1.0, 1.0])
    close(I.ssim(a, b).data, _ssim_ref(a, b))
    close(I.ssim(a[0], b[0], filter_size=5, filter_sigma=1.0, k1=0.02, max_val=2.0).data,
          _ssim_ref(a[:1], b[:1], 5, 1.0, 0.02, max_val=2.0)[0])
    cf = I.ssim(np.moveaxis(a, -1, 1), np.moveaxis(b, -1, 1), data_format="channels_first")
    close(cf.data, _ssim_ref(a, b))
    assert_grads(lambda t: I.ssim(t, b, filter_size=5), a)
    with pytest.raises(ValueError, match="ssim: image1 and image2 must have the same shape"):
        I.ssim(a, b[:1])
    with pytest.raises(ValueError, match=r"ssim: images of spatial shape \(12, 13\) are smaller"):
        I.ssim(a, b, filter_size=15)
    with pytest.raises(ValueError, match="ssim: invalid image2 rank"):
        I.ssim(a, b[0, 0])


def test_filters_float32_and_ints():
    y, (g,) = float32_run(I.gaussian_blur, IMG)
    assert g is not None
    ints = (IMG * 255).astype("uint8")
    assert I.gaussian_blur(ints).dtype == np.uint8
    assert I.sobel_edges(ints).dtype == np.float32


def test_gradient_reaches_a_variable_through_resize_and_warp():
    v = ember.Variable(IMG.astype("float32"))
    with ember.GradientTape() as tape:
        y = I.affine_transform(I.resize(v, (12, 14)), np.array([0.5, 0, 0, 0, 0.5, 0, 0, 0]))
        loss = ops.sum(ops.square(y))
    g = tape.gradient(loss, v)
    assert g.shape == IMG.shape and np.all(np.isfinite(g.data)) and np.any(g.data != 0)
