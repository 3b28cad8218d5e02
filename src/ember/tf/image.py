"""``tf.image``: image ops on ``[height, width, channels]`` images or ``[batch, height, width,
channels]`` batches, with TensorFlow 2's conventions (half-pixel centres in ``resize``; integer
images are scaled to ``[0, 1]`` floats and back by :func:`convert_image_dtype`).

Geometric ops (resize, flips, crops, pads) and float arithmetic carry gradients.
"""

import enum

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw
from ember.ops.nn import _rng_for
from ember.tf.array_ops import _to_tensor, pad
from ember.tf.errors import InvalidArgumentError


class ResizeMethod(str, enum.Enum):
    """The interpolation methods of :func:`resize` (ember has BILINEAR and NEAREST_NEIGHBOR)."""

    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


def _image(image, op):
    x = _to_tensor(image)
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: 'image' must have either 3 or 4 dimensions; got shape "
                         f"{x.shape}")
    return x


def _hw(x):
    return x.shape[-3], x.shape[-2]


# -- resizing ------------------------------------------------------------------------------------
def _linear_taps(in_size, out_size):
    """For each output position: the two source indices and the weight of the second,
    with TensorFlow 2's half-pixel centres."""
    coord = (xp.arange(out_size) + 0.5) * (in_size / out_size) - 0.5
    coord = xp.maximum(coord, 0.0)
    lower = xp.floor(coord).astype("int64")
    upper = xp.minimum(lower + 1, in_size - 1)
    lower = xp.minimum(lower, in_size - 1)
    return lower, upper, (coord - xp.floor(coord))


def _lerp_axis(x, axis, in_size, out_size):
    lower, upper, frac = _linear_taps(in_size, out_size)
    shape = [1] * x.ndim
    shape[axis] = out_size
    w = frac.astype(x.dtype).reshape(shape)
    a = ops.take(x, lower, axis=axis)
    b = ops.take(x, upper, axis=axis)
    return ops.add(a, ops.multiply(ops.subtract(b, a), w))


def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resize to ``size`` = ``[new_height, new_width]``: ``"bilinear"`` (float32 output,
    differentiable) or ``"nearest"`` (keeps the dtype). With ``preserve_aspect_ratio`` the
    image is scaled to fit inside ``size``."""
    x = _image(images, "resize")
    method = ResizeMethod(method.value if isinstance(method, ResizeMethod) else str(method))
    new_h, new_w = (int(v) for v in xp.asarray(raw(size)).reshape(-1))
    h, w = _hw(x)
    if new_h <= 0 or new_w <= 0:
        raise ValueError(f"resize: size must be positive; got {[new_h, new_w]}")
    if preserve_aspect_ratio:
        scale = min(new_h / h, new_w / w)
        new_h, new_w = int(xp.round(h * scale)), int(xp.round(w * scale))
    if antialias and (new_h < h or new_w < w):
        raise ValueError("resize: ember does not implement antialias=True for downscaling")
    if method is ResizeMethod.NEAREST_NEIGHBOR:
        rows = xp.minimum(xp.floor((xp.arange(new_h) + 0.5) * (h / new_h)), h - 1)
        cols = xp.minimum(xp.floor((xp.arange(new_w) + 0.5) * (w / new_w)), w - 1)
        return ops.take(ops.take(x, rows.astype("int64"), axis=-3), cols.astype("int64"),
                        axis=-2)
    if method is not ResizeMethod.BILINEAR:
        raise ValueError(f"resize: ember implements method 'bilinear' and 'nearest'; got "
                         f"{method.value!r}")
    if x.dtype != xp.float32:
        x = ops.cast(x, "float32")  # TF 2 returns float32 for every method but nearest
    y = _lerp_axis(x, x.ndim - 3, h, new_h)
    return _lerp_axis(y, x.ndim - 2, w, new_w)


def resize_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR,
                    antialias=False):
    """Resize to fit inside the target keeping the aspect ratio, then pad with zeros."""
    x = _image(image, "resize_with_pad")
    resized = resize(x, [target_height, target_width], method, preserve_aspect_ratio=True)
    h, w = _hw(resized)
    return pad_to_bounding_box(resized, (target_height - h) // 2, (target_width - w) // 2,
                               target_height, target_width)


# -- flips and rotations -------------------------------------------------------------------------
def flip_left_right(image):
    """Mirror the width axis."""
    x = _image(image, "flip_left_right")
    return ops.flip(x, x.ndim - 2)


def flip_up_down(image):
    """Mirror the height axis."""
    x = _image(image, "flip_up_down")
    return ops.flip(x, x.ndim - 3)


def _random_flip(image, seed, axis_from_end, op):
    x = _image(image, op)
    rng = _rng_for(seed)
    axis = x.ndim - axis_from_end
    if x.ndim == 3:
        return ops.flip(x, axis) if rng.random() < 0.5 else x
    flip = rng.random(x.shape[0]) < 0.5  # each image of a batch on its own
    mask = flip.reshape((-1, 1, 1, 1))
    return ops.where(mask, ops.flip(x, axis), x)


def random_flip_left_right(image, seed=None):
    """Mirror the width axis with probability 1/2 (each image of a batch independently)."""
    return _random_flip(image, seed, 2, "random_flip_left_right")


def random_flip_up_down(image, seed=None):
    """Mirror the height axis with probability 1/2 (each image of a batch independently)."""
    return _random_flip(image, seed, 3, "random_flip_up_down")


def rot90(image, k=1, name=None):
    """Rotate by ``k`` quarter turns counter-clockwise."""
    x = _image(image, "rot90")
    k = int(raw(k)) % 4
    h_axis, w_axis = x.ndim - 3, x.ndim - 2
    for _ in range(k):
        x = ops.flip(ops.swapaxes(x, h_axis, w_axis), h_axis)
    return x


def transpose(image, name=None):
    """Swap the height and width axes."""
    x = _image(image, "transpose")
    return ops.swapaxes(x, x.ndim - 3, x.ndim - 2)


# -- crops and pads ------------------------------------------------------------------------------
def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The ``target_height x target_width`` window at ``(offset_height, offset_width)``."""
    x = _image(image, "crop_to_bounding_box")
    h, w = _hw(x)
    oh, ow, th, tw = (int(raw(v)) for v in (offset_height, offset_width, target_height,
                                            target_width))
    if oh < 0 or ow < 0:
        raise ValueError("crop_to_bounding_box: offsets must be >= 0")
    if th <= 0 or tw <= 0:
        raise ValueError("crop_to_bounding_box: target size must be > 0")
    if w < tw + ow:
        raise ValueError("width must be >= target + offset.")
    if h < th + oh:
        raise ValueError("height must be >= target + offset.")
    return ops.getitem(x, (Ellipsis, slice(oh, oh + th), slice(ow, ow + tw), slice(None)))


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """``image`` placed at ``(offset_height, offset_width)`` in a zero image of the target
    size."""
    x = _image(image, "pad_to_bounding_box")
    h, w = _hw(x)
    oh, ow, th, tw = (int(raw(v)) for v in (offset_height, offset_width, target_height,
                                            target_width))
    if oh < 0 or ow < 0:
        raise ValueError("pad_to_bounding_box: offsets must be >= 0")
    if th < h + oh:
        raise ValueError("height must be <= target - offset")
    if tw < w + ow:
        raise ValueError("width must be <= target - offset")
    widths = [[oh, th - h - oh], [ow, tw - w - ow], [0, 0]]
    if x.ndim == 4:
        widths = [[0, 0]] + widths
    return pad(x, widths)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Centre-crop and/or zero-pad to the target size."""
    x = _image(image, "resize_with_crop_or_pad")
    h, w = _hw(x)
    th, tw = int(raw(target_height)), int(raw(target_width))
    x = crop_to_bounding_box(x, max((h - th) // 2, 0), max((w - tw) // 2, 0), min(h, th),
                             min(w, tw))
    h, w = _hw(x)
    return pad_to_bounding_box(x, max((th - h) // 2, 0), max((tw - w) // 2, 0), th, tw)


def central_crop(image, central_fraction):
    """The central ``central_fraction`` (in (0, 1]) of the image along height and width."""
    x = _image(image, "central_crop")
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return x
    h, w = _hw(x)
    top = int((h - h * central_fraction) / 2)
    left = int((w - w * central_fraction) / 2)
    return crop_to_bounding_box(x, top, left, h - 2 * top, w - 2 * left)


def random_crop(value, size, seed=None, name=None):
    """A random window of shape ``size`` (same rank as ``value``)."""
    x = _to_tensor(value)
    size = [int(s) for s in xp.asarray(raw(size)).reshape(-1)]
    if len(size) != x.ndim or any(s > d for s, d in zip(size, x.shape)):
        raise InvalidArgumentError(f"random_crop: Need value.shape >= size, got {x.shape} and "
                                   f"{size}")
    rng = _rng_for(seed)
    starts = [int(rng.integers(0, d - s + 1)) for s, d in zip(size, x.shape)]
    return ops.getitem(x, tuple(slice(a, a + s) for a, s in zip(starts, size)))


# -- dtypes and colour ---------------------------------------------------------------------------
def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Convert between integer images (``[0, MAX]``) and float images (``[0, 1]``), scaling
    the values; float to float and int to int only change the type (and int range)."""
    x = _to_tensor(image)
    target = xp.dtype(dtype)
    if target.kind not in "fiu" or x.dtype.kind not in "fiu":
        raise AttributeError(f"convert_image_dtype: {target} is not a float or integer dtype")
    if x.dtype == target:
        return x
    if x.dtype.kind == "f" and target.kind == "f":
        return ops.cast(x, target)
    if x.dtype.kind in "iu" and target.kind == "f":
        return ops.divide(ops.cast(x, target), xp.asarray(xp.iinfo(x.dtype).max, dtype=target))
    if x.dtype.kind == "f":
        top = xp.iinfo(target).max
        scaled = x.data.astype("float64") * (top + 0.5)
        # TF's cast truncates; values outside [0, 1] are clipped to the dtype's range
        return Tensor(xp.clip(scaled, xp.iinfo(target).min, top).astype(target))
    src, dst = xp.iinfo(x.dtype).max, xp.iinfo(target).max
    data = x.data.astype("int64")
    out = data * ((dst + 1) // (src + 1)) if dst > src else data // ((src + 1) // (dst + 1))
    return Tensor(out.astype(target))


def _as_float(x):
    return convert_image_dtype(x, "float32") if x.dtype.kind != "f" else x


def _back(y, like):
    return convert_image_dtype(y, like.dtype) if like.dtype.kind != "f" else y


def rgb_to_grayscale(images, name=None):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` (a 1-channel image of the input's dtype)."""
    x = _to_tensor(images)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise ValueError(f"rgb_to_grayscale: the last axis must have 3 channels; got shape "
                         f"{x.shape}")
    f = _as_float(x)
    weights = xp.asarray([0.2989, 0.5870, 0.1140], dtype=f.dtype)
    gray = ops.sum(ops.multiply(f, weights), axis=-1, keepdims=True)
    return _back(gray, x)


def grayscale_to_rgb(images, name=None):
    """The single channel repeated three times."""
    x = _to_tensor(images)
    if x.ndim < 2 or x.shape[-1] != 1:
        raise ValueError(f"grayscale_to_rgb: the last axis must have 1 channel; got shape "
                         f"{x.shape}")
    return ops.tile(x, [1] * (x.ndim - 1) + [3])


def adjust_brightness(image, delta):
    """``image + delta`` (on the ``[0, 1]`` scale for integer images)."""
    x = _to_tensor(image)
    f = _as_float(x)
    return _back(ops.add(f, ops.cast(delta, f.dtype)), x)


def adjust_contrast(images, contrast_factor):
    """``(x - mean) * contrast_factor + mean``, the mean per image and channel."""
    x = _image(images, "adjust_contrast")
    f = _as_float(x)
    mean = ops.mean(f, axis=(-3, -2), keepdims=True)
    out = ops.add(ops.multiply(ops.subtract(f, mean), ops.cast(contrast_factor, f.dtype)), mean)
    return _back(out, x)


def adjust_gamma(image, gamma=1, gain=1):
    """``gain * image ** gamma`` (on the ``[0, 1]`` scale for integer images)."""
    x = _to_tensor(image)
    if gamma < 0:
        raise ValueError("adjust_gamma: gamma must be non-negative")
    f = _as_float(x)
    return _back(ops.multiply(ops.power(f, ops.cast(gamma, f.dtype)), ops.cast(gain, f.dtype)),
                 x)


def random_brightness(image, max_delta, seed=None):
    """:func:`adjust_brightness` by a delta drawn from ``[-max_delta, max_delta)``."""
    if max_delta < 0:
        raise ValueError("random_brightness: max_delta must be non-negative.")
    delta = _rng_for(seed).uniform(-max_delta, max_delta)
    return adjust_brightness(image, delta)


def random_contrast(image, lower, upper, seed=None):
    """:func:`adjust_contrast` by a factor drawn from ``[lower, upper)``."""
    if upper <= lower:
        raise ValueError("random_contrast: upper must be > lower.")
    if lower < 0:
        raise ValueError("random_contrast: lower must be non-negative.")
    return adjust_contrast(image, _rng_for(seed).uniform(lower, upper))


def per_image_standardization(image):
    """``(x - mean) / max(stddev, 1 / sqrt(N))`` over each image's pixels and channels
    (float32 out)."""
    x = _image(image, "per_image_standardization")
    f = ops.cast(x, "float32") if x.dtype != xp.float32 else x
    axes = (-3, -2, -1)
    n = x.shape[-3] * x.shape[-2] * x.shape[-1]
    mean = ops.mean(f, axis=axes, keepdims=True)
    std = ops.sqrt(ops.var(f, axis=axes, keepdims=True))
    floor = xp.asarray(1.0 / xp.sqrt(n), dtype="float32")
    return ops.divide(ops.subtract(f, mean), ops.maximum(std, floor))


def total_variation(images, name=None):
    """The sum of absolute differences between neighbouring pixels (per image of a batch)."""
    x = _image(images, "total_variation")
    sum_axes = (-3, -2, -1)
    dh = ops.subtract(ops.getitem(x, (Ellipsis, slice(1, None), slice(None), slice(None))),
                      ops.getitem(x, (Ellipsis, slice(None, -1), slice(None), slice(None))))
    dw = ops.subtract(ops.getitem(x, (Ellipsis, slice(1, None), slice(None))),
                      ops.getitem(x, (Ellipsis, slice(None, -1), slice(None))))
    return ops.add(ops.sum(ops.abs(dh), axis=sum_axes), ops.sum(ops.abs(dw), axis=sum_axes))


def image_gradients(image):
    """``(dy, dx)``: forward differences along height and width, zero in the last row/column
    (batched ``[b, h, w, c]`` input)."""
    x = _to_tensor(image)
    if x.ndim != 4:
        raise ValueError(f"image_gradients: image must be 4-D; got shape {x.shape}")
    dy = ops.subtract(x[:, 1:], x[:, :-1])
    dx = ops.subtract(x[:, :, 1:], x[:, :, :-1])
    dy = ops.pad(dy, [[0, 0], [0, 1], [0, 0], [0, 0]])
    dx = ops.pad(dx, [[0, 0], [0, 0], [0, 1], [0, 0]])
    return dy, dx


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image: ``10 log10(max_val^2 / MSE)``."""
    x, y = _as_float(_to_tensor(a)), _as_float(_to_tensor(b))
    mse = ops.mean(ops.square(ops.subtract(x, y)), axis=(-3, -2, -1))
    peak = float(max_val) ** 2
    return ops.multiply(10.0 / xp.log(10.0), ops.log(ops.divide(peak, mse)))
