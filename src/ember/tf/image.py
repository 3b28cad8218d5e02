"""``tf.image``: image ops on ``[height, width, channels]`` images or ``[batch, height, width,
channels]`` batches, with TensorFlow 2's conventions (half-pixel centres in ``resize``; integer
images are scaled to ``[0, 1]`` floats and back by :func:`convert_image_dtype`).

Geometric ops (resize, flips, crops, pads) and float arithmetic carry gradients.
"""

import enum

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops import image as _image_ops
from ember.ops._helpers import raw
from ember.ops.nn import _rng_for
from ember.tf.array_ops import _to_tensor, pad
from ember.tf.errors import InvalidArgumentError, OutOfRangeError


class ResizeMethod(str, enum.Enum):
    """The interpolation methods of :func:`resize` (ember has BILINEAR, NEAREST_NEIGHBOR,
    LANCZOS3, LANCZOS5, and BICUBIC with antialias)."""

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
def resize(images, size, method=ResizeMethod.BILINEAR, preserve_aspect_ratio=False,
           antialias=False, name=None):
    """Resize to ``size`` = ``[new_height, new_width]`` with half-pixel centres (the engine of
    ``keras.ops.image.resize``): ``"bilinear"``, ``"lanczos3"``, ``"lanczos5"`` and (with
    ``antialias``) ``"bicubic"`` give float32 and are differentiable; ``"nearest"`` keeps the
    dtype. ``antialias`` low-pass filters when downscaling. With ``preserve_aspect_ratio`` the
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
    kernels = ("bilinear", "lanczos3", "lanczos5") + (("bicubic",) if antialias else ())
    if method is not ResizeMethod.NEAREST_NEIGHBOR and method.value not in kernels:
        # TensorFlow's bicubic without antialias and its area method clamp at the borders
        # instead of renormalizing; ember does not reproduce them
        raise ValueError(f"resize: ember implements methods {list(kernels) + ['nearest']} "
                         f"(bicubic with antialias=True); got {method.value!r}")
    if method is not ResizeMethod.NEAREST_NEIGHBOR and x.dtype != xp.float32:
        x = ops.cast(x, "float32")  # TF 2 returns float32 for every method but nearest
    return _image_ops._resize_hw(x, new_h, new_w, method.value, antialias)


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
    return _back(_image_ops._gray(_as_float(x), -1), x)


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


# -- colour spaces, hue/saturation, edges, patches, SSIM (engines: ember.ops.image) --------------
def _float_rgb(images, op):
    x = _to_tensor(images)
    if x.ndim < 1 or x.shape[-1] != 3:
        raise InvalidArgumentError(f"{op}: input must have 3 channels but input "
                                   f"only has shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: images must be float (half, float32 or float64), got "
                        f"{x.dtype.name}")
    return x


def rgb_to_hsv(images, name=None):
    """RGB to HSV, every channel in ``[0, 1]`` (float images; the last axis holds RGB)."""
    x = _float_rgb(images, "rgb_to_hsv")
    return _image_ops.rgb_to_hsv(x, data_format="channels_last")


def hsv_to_rgb(images, name=None):
    """HSV (every channel in ``[0, 1]``) to RGB (float images)."""
    x = _float_rgb(images, "hsv_to_rgb")
    return _image_ops.hsv_to_rgb(x, data_format="channels_last")


def _with_hsv(image, change):
    """``image`` (any dtype) converted to float HSV, ``change(h, s, v)`` applied, and converted
    back to RGB in the image's dtype."""
    x = _to_tensor(image)
    f = x if x.dtype.kind == "f" else convert_image_dtype(x, "float32")
    hsv = _image_ops.rgb_to_hsv(_float_rgb(f, "hsv"), data_format="channels_last")
    h, s, v = (hsv[..., i] for i in range(3))
    rgb = _image_ops.hsv_to_rgb(ops.stack(change(h, s, v), axis=-1),
                                data_format="channels_last")
    return rgb if x.dtype.kind == "f" else convert_image_dtype(rgb, x.dtype, saturate=True)


def adjust_hue(image, delta, name=None):
    """Rotate the hue by ``delta`` (in ``[-1, 1]``, a fraction of the colour circle)."""
    if not -1 <= float(delta) <= 1:
        raise ValueError("adjust_hue: delta must be in the interval [-1, 1]")

    def rotate(h, s, v):
        h = ops.add(h, float(delta))
        return [ops.subtract(h, ops.floor(h)), s, v]  # mod 1, keeping the gradient

    return _with_hsv(image, rotate)


def adjust_saturation(image, saturation_factor, name=None):
    """Multiply the saturation by ``saturation_factor`` (clipped to ``[0, 1]``)."""
    if float(saturation_factor) < 0:
        raise ValueError("adjust_saturation: saturation_factor must be non-negative")
    return _with_hsv(image, lambda h, s, v: [
        h, ops.clip(ops.multiply(s, float(saturation_factor)), 0.0, 1.0), v])


def random_hue(image, max_delta, seed=None):
    """:func:`adjust_hue` by a delta drawn from ``[-max_delta, max_delta)`` (``max_delta`` in
    ``[0, 0.5]``)."""
    if max_delta > 0.5:
        raise ValueError("random_hue: max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("random_hue: max_delta must be non-negative.")
    return adjust_hue(image, _rng_for(seed).uniform(-max_delta, max_delta))


def random_saturation(image, lower, upper, seed=None):
    """:func:`adjust_saturation` by a factor drawn from ``[lower, upper)``."""
    if upper <= lower:
        raise ValueError("random_saturation: upper must be > lower.")
    if lower < 0:
        raise ValueError("random_saturation: lower must be non-negative.")
    return adjust_saturation(image, _rng_for(seed).uniform(lower, upper))


# TensorFlow's colour matrices (rows: input channels, columns: output channels)
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617],
               [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021],
               [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour_matrix(images, matrix, op):
    x = _float_rgb(images, op)
    return ops.tensordot(x, xp.asarray(matrix, dtype=x.dtype), axes=[[x.ndim - 1], [0]])


def rgb_to_yiq(images):
    """RGB to YIQ (float images)."""
    return _colour_matrix(images, _RGB_TO_YIQ, "rgb_to_yiq")


def yiq_to_rgb(images):
    """YIQ to RGB (float images)."""
    return _colour_matrix(images, _YIQ_TO_RGB, "yiq_to_rgb")


def rgb_to_yuv(images):
    """RGB to YUV (float images)."""
    return _colour_matrix(images, _RGB_TO_YUV, "rgb_to_yuv")


def yuv_to_rgb(images):
    """YUV to RGB (float images)."""
    return _colour_matrix(images, _YUV_TO_RGB, "yuv_to_rgb")


def sobel_edges(image):
    """Sobel derivatives ``[dy, dx]`` of each channel of a ``[batch, h, w, d]`` float batch:
    ``[batch, h, w, d, 2]``, the borders reflect-padded (as TensorFlow)."""
    x = _to_tensor(image)
    if x.ndim != 4:
        raise InvalidArgumentError("sobel_edges: image must be 4-D [batch, height, "
                                   f"width, depth]; got shape {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise InvalidArgumentError("sobel_edges: image must be a float tensor, got "
                                   f"{x.dtype.name}")
    # the engine pads with zeros: run it on the reflect-padded image and keep the interior
    padded = ops.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect")
    edges = _image_ops.sobel_edges(padded, data_format="channels_last")
    return edges[:, 1:-1, 1:-1]


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """Every ``sizes = [1, h, w, 1]`` window of a ``[batch, height, width, depth]`` batch,
    ``strides = [1, sh, sw, 1]`` apart, sampled every ``rates = [1, rh, rw, 1]`` pixels, as a
    vector of ``h * w * depth`` values (``padding``: ``"VALID"`` or ``"SAME"``)."""
    x = _to_tensor(images)
    if x.ndim != 4:
        raise InvalidArgumentError("extract_patches: input must be 4-dimensional; "
                                   f"got shape {tuple(x.shape)}")
    spatial = []
    for attr, value in (("sizes", sizes), ("strides", strides), ("rates", rates)):
        value = [int(v) for v in value]
        if len(value) != 4 or value[0] != 1 or value[3] != 1:
            raise InvalidArgumentError(f"extract_patches: {attr} must be "
                                       f"[1, rows, cols, 1]; got {value}")
        spatial.append(tuple(value[1:3]))
    if str(padding).upper() not in ("VALID", "SAME"):
        raise InvalidArgumentError(f"extract_patches: padding must be \"SAME\" or "
                                   f"\"VALID\"; got {padding!r}")
    return _image_ops.extract_patches(x, spatial[0], spatial[1], spatial[2],
                                      str(padding).lower(), data_format="channels_last")


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         return_index_map=False):
    """The structural similarity of two images (or broadcastable batches): one float32 value
    per image. Integer images are scaled to ``[0, 1]`` with ``max_val`` (as TensorFlow)."""
    if return_index_map:
        raise NotImplementedError("ssim: return_index_map=True is not supported by ember")
    a, b = _to_tensor(img1), _to_tensor(img2)
    scale = 1.0 if a.dtype.kind == "f" else float(xp.iinfo(a.dtype).max)
    a, b = convert_image_dtype(a, "float32"), convert_image_dtype(b, "float32")
    shape = xp.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if len(shape) < 3 or min(shape[-3:-1]) < filter_size:
        raise InvalidArgumentError(f"ssim: images of shape {shape} must be at "
                                   f"least filter_size={filter_size} high and wide")
    a, b = ops.broadcast_to(a, shape), ops.broadcast_to(b, shape)
    return _image_ops.ssim(a, b, max_val=float(max_val) / scale, filter_size=filter_size,
                           filter_sigma=filter_sigma, k1=k1, k2=k2,
                           data_format="channels_last")


def crop_and_resize(image, boxes, box_indices, crop_size, method="bilinear",
                    extrapolation_value=0.0, name=None):
    """Crops of ``image`` (``[batch, h, w, d]``) at normalized ``boxes`` (``[n, 4]``: y1, x1,
    y2, x2; y2 < y1 flips the crop) of images ``box_indices``, each resampled to
    ``crop_size = [ch, cw]`` by ``"bilinear"`` or ``"nearest"`` sampling: float32
    ``[n, ch, cw, d]``. Samples off the image are ``extrapolation_value``. Differentiable in
    ``image`` (not in ``boxes``)."""
    x = _to_tensor(image)
    if x.ndim != 4:
        raise InvalidArgumentError(f"crop_and_resize: input image must be 4-D, got shape "
                                   f"{tuple(x.shape)}")
    if method not in ("bilinear", "nearest"):
        raise InvalidArgumentError(f"crop_and_resize: method must be \"bilinear\" or "
                                   f"\"nearest\", got {method!r}")
    box = xp.asarray(raw(boxes), dtype="float32")
    index = xp.asarray(raw(box_indices)).reshape(-1)
    if box.ndim != 2 or box.shape[1] != 4:
        raise InvalidArgumentError(f"crop_and_resize: boxes must have 4 columns, got shape "
                                   f"{box.shape}")
    if index.shape[0] != box.shape[0]:
        raise InvalidArgumentError(f"crop_and_resize: box_indices has {index.shape[0]} "
                                   f"entries for {box.shape[0]} boxes")
    if index.size and (index.min() < 0 or index.max() >= x.shape[0]):
        raise OutOfRangeError(f"crop_and_resize: box_indices has values outside [0, "
                              f"{x.shape[0]}): {index.tolist()}")
    ch, cw = (int(v) for v in xp.asarray(raw(crop_size)).reshape(-1))
    if ch <= 0 or cw <= 0:
        raise InvalidArgumentError(f"crop_and_resize: crop dimensions must be positive, got "
                                   f"{[ch, cw]}")
    x = ops.cast(x, "float32") if x.dtype != xp.float32 else x
    h, w, d = x.shape[1:]

    def grid(start, end, n, size):
        # float32 in TensorFlow's order of operations, so that nearest sampling rounds alike
        f32 = xp.float32
        if n == 1:
            return xp.asarray([f32(0.5) * (start + end) * f32(size - 1)], f32)
        scale = (end - start) * f32(size - 1) / f32(n - 1)
        return (start * f32(size - 1) + xp.arange(n, dtype=f32) * scale).astype(f32)

    crops = []
    for (y1, x1, y2, x2), b in zip(box, index):
        ys, xs = grid(y1, y2, ch, h), grid(x1, x2, cw, w)
        coords = xp.stack(xp.meshgrid(ys, xs, xp.arange(d), indexing="ij"))
        sampled = _image_ops.map_coordinates(x[int(b)], coords, 0 if method == "nearest" else 1,
                                             fill_mode="nearest")
        inside = (((ys >= 0) & (ys <= h - 1))[:, None, None]
                  & ((xs >= 0) & (xs <= w - 1))[None, :, None])
        crops.append(ops.where(xp.broadcast_to(inside, sampled.shape), sampled,
                               xp.asarray(extrapolation_value, "float32")))
    if not crops:
        return Tensor(xp.zeros((0, ch, cw, d), "float32"))
    return ops.stack(crops, axis=0)
