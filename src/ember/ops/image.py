"""Image ops (``keras.ops.image``): colour conversions, resizing and resampling, geometric
transforms, crops and pads, patches, blurs, edges and SSIM.

Images are ``(height, width, channels)`` or batches ``(batch, height, width, channels)``
(channels first with ``data_format="channels_first"``; the default is
``ember.config.image_data_format()``). Every op handles the whole batch at once. The results
are compositions of differentiable ember ops, so gradients flow to the images; coordinates,
transforms, scales and points are constants.
"""

import itertools

from ember import config
from ember.backend import xp
from ember.ops import elementwise as E
from ember.ops import reduction as R
from ember.ops._helpers import raw, tensor_arg
from ember.ops.conv import depthwise_conv
from ember.ops.linalg import tensordot
from ember.ops.shape import (
    expand_dims,
    getitem,
    moveaxis,
    pad,
    reshape,
    squeeze,
    stack,
    take,
    transpose,
)

_RESIZE_METHODS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
_SCALE_METHODS = {"linear": "bilinear", "bilinear": "bilinear", "trilinear": "bilinear",
                  "cubic": "bicubic", "bicubic": "bicubic", "tricubic": "bicubic",
                  "lanczos3": "lanczos3", "lanczos5": "lanczos5"}
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
_ORDERS = {"nearest": 0, "bilinear": 1}


# -- arguments ---------------------------------------------------------------------------------
def _images(images, op, name="images", ranks=(3, 4)):
    x = tensor_arg(images)
    shape = xp.shape(raw(x))
    if len(shape) not in ranks:
        what = "single image" if ranks == (3, 4) else "single volume"
        raise ValueError(
            f"{op}: invalid {name} rank: expected rank {ranks[0]} ({what}) or rank {ranks[1]} "
            f"(batch). Received input with shape: {name}.shape={shape}")
    return x


def _format(data_format, op):
    fmt = data_format or config.image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return fmt


def _last(x, fmt, spatial=2):
    """Channels moved last (a no-op for channels_last)."""
    return moveaxis(x, -spatial - 1, -1) if fmt == "channels_first" else x


def _back(y, fmt, spatial=2):
    return moveaxis(y, -1, -spatial - 1) if fmt == "channels_first" else y


def _dtype(x):
    return xp.asarray(raw(x)).dtype


def _as_float(x):
    """``x`` itself when float, else cast to floatx (Keras's ``result_type(dtype, float)``)."""
    return x if _dtype(x).kind == "f" else E.cast(x, config.floatx())


def _to_int(y, dtype):
    """A float result back to an integer dtype: rounded, then clipped to its range (Keras's
    ``saturate_cast``)."""
    info = xp.iinfo(dtype)
    return E.cast(E.clip(E.round(y), float(info.min), float(info.max)), dtype)


def _restore_dtype(y, dtype):
    return _to_int(y, dtype) if dtype.kind in "iub" else E.cast(y, dtype)


# -- colour ------------------------------------------------------------------------------------
def _channel_axis(fmt):
    return -1 if fmt == "channels_last" else -3


def _gray(x, axis):
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` of a float image along ``axis`` (kept)."""
    shape = [1] * xp.ndim(raw(x))
    shape[axis] = 3
    weights = xp.asarray([0.2989, 0.5870, 0.1140], dtype=_dtype(x)).reshape(shape)
    return R.sum(E.multiply(x, weights), axis=axis, keepdims=True)


def rgb_to_grayscale(images, data_format=None):
    """One luma channel from RGB (a 1-channel input is returned as it is); integer images keep
    their dtype (the weighted sum truncated, as Keras)."""
    x = _images(images, "rgb_to_grayscale")
    axis = _channel_axis(_format(data_format, "rgb_to_grayscale"))
    channels = xp.shape(raw(x))[axis]
    if channels not in (1, 3):
        raise ValueError(
            "rgb_to_grayscale: invalid channel size: expected 3 (RGB) or 1 (grayscale). "
            f"Received input with shape: images.shape={xp.shape(raw(x))}")
    if channels == 1:
        return x
    return E.cast(_gray(_as_float(x), axis), _dtype(x))


def _check_float(x, op):
    if _dtype(x).kind != "f":
        raise ValueError(f"{op}: invalid images dtype: expected float dtype. Received: "
                         f"images.dtype={_dtype(x)}")


def _planes(x, axis, op):
    _check_float(x, op)
    if xp.shape(raw(x))[axis] != 3:
        raise ValueError(f"{op}: expected 3 channels on axis {axis}. Received input with shape: "
                         f"images.shape={xp.shape(raw(x))}")
    return [getitem(x, (Ellipsis, i) if axis == -1 else (Ellipsis, i, slice(None), slice(None)))
            for i in range(3)]


def rgb_to_hsv(images, data_format=None):
    """RGB to HSV, every channel in ``[0, 1]`` (float images only)."""
    x = _images(images, "rgb_to_hsv")
    axis = _channel_axis(_format(data_format, "rgb_to_hsv"))
    _check_float(x, "rgb_to_hsv")
    eps = float(xp.finfo(_dtype(x)).eps)
    x = E.where(E.less(E.abs(x), eps), 0.0, x)  # denormal noise would give a random hue
    r, g, b = _planes(x, axis, "rgb_to_hsv")
    value = E.maximum(E.maximum(r, g), b)
    chroma = E.subtract(value, E.minimum(E.minimum(r, g), b))
    positive_v, positive_c = E.greater(value, 0.0), E.greater(chroma, 0.0)
    saturation = E.where(positive_v, E.divide(chroma, E.where(positive_v, value, 1.0)), 0.0)
    norm = E.divide(1.0 / 6.0, E.where(positive_c, chroma, 1.0))
    hue = E.where(E.equal(value, g), E.add(E.multiply(norm, E.subtract(b, r)), 2.0 / 6.0),
                  E.add(E.multiply(norm, E.subtract(r, g)), 4.0 / 6.0))
    hue = E.where(E.equal(value, r), E.multiply(norm, E.subtract(g, b)), hue)
    wrap = E.cast(E.less(hue, 0.0), _dtype(x))  # a negative hue goes round the circle
    hue = E.add(E.where(positive_c, hue, 0.0), wrap)
    return stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images, data_format=None):
    """HSV (every channel in ``[0, 1]``) to RGB (float images only)."""
    x = _images(images, "hsv_to_rgb")
    axis = _channel_axis(_format(data_format, "hsv_to_rgb"))
    hue, saturation, value = _planes(x, axis, "hsv_to_rgb")
    dh = E.multiply(E.subtract(hue, E.floor(hue)), 6.0)  # hue mod 1, keeping its gradient

    def ramp(center, rising):
        d = E.abs(E.subtract(dh, center))
        return E.clip(E.subtract(d, 1.0) if rising else E.subtract(2.0, d), 0.0, 1.0)

    grey = E.subtract(1.0, saturation)
    planes = [E.multiply(value, E.add(grey, E.multiply(saturation, p)))
              for p in (ramp(3.0, True), ramp(2.0, False), ramp(4.0, False))]
    return stack(planes, axis=axis)


# -- resampling with separable kernels (resize, scale_and_translate) ---------------------------
def _kernel(method):
    def triangle(d):
        return xp.maximum(0.0, 1.0 - d)

    def keys_cubic(d):  # Keys (1981) with a = -0.5
        near = ((1.5 * d - 2.5) * d) * d + 1.0
        far = ((-0.5 * d + 2.5) * d - 4.0) * d + 2.0
        return xp.where(d >= 2.0, 0.0, xp.where(d >= 1.0, far, near))

    def lanczos(radius):
        def kernel(d):
            safe = xp.where(d > 1e-3, d, 1.0)
            y = radius * xp.sin(xp.pi * safe) * xp.sin(xp.pi * safe / radius) / (
                xp.pi ** 2 * safe ** 2)
            return xp.where(d > radius, 0.0, xp.where(d > 1e-3, y, 1.0))
        return kernel

    return {"bilinear": triangle, "bicubic": keys_cubic, "lanczos3": lanczos(3.0),
            "lanczos5": lanczos(5.0)}[method]


def _weights(in_size, out_size, scale, translation, kernel, antialias):
    """The ``(out_size, in_size)`` resampling matrix: output pixel ``i`` (half-pixel centres)
    samples the input at ``(i + 0.5 - translation) / scale - 0.5``. Kernel weights are
    normalized over the taps inside the image; a sample off the image gets none. Downscaling
    with ``antialias`` widens the kernel by ``1 / scale`` (a low-pass filter)."""
    inv = 1.0 / scale
    widen = max(inv, 1.0) if antialias else 1.0
    sample = (xp.arange(out_size) + 0.5 - translation) * inv - 0.5
    w = kernel(xp.abs(sample[:, None] - xp.arange(in_size)[None, :]) / widen)
    total = w.sum(axis=1, keepdims=True)
    w = xp.where(xp.abs(total) > 1000 * xp.finfo(xp.float32).eps,
                 w / xp.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return xp.where(inside[:, None], w, 0.0)


def _resample(x, axes, sizes, scales, translations, method, antialias):
    """``x`` (float) resampled along each of ``axes`` by a matrix product."""
    kernel = _kernel(method)
    ndim = xp.ndim(raw(x))
    for axis, n, s, t in zip(axes, sizes, scales, translations):
        axis %= ndim
        w = _weights(xp.shape(raw(x))[axis], n, s, t, kernel, antialias).astype(_dtype(x))
        x = moveaxis(tensordot(x, w, axes=([axis], [1])), -1, axis)
    return x


def _nearest(x, axes, sizes):
    for axis, n in zip(axes, sizes):
        m = xp.shape(raw(x))[axis]
        if m != n:  # the pixel whose cell holds the output pixel's centre
            x = take(x, xp.floor((xp.arange(n) + 0.5) * (m / n)).astype("int64"), axis=axis)
    return x


def _resize_hw(x, height, width, method, antialias):
    """``(..., h, w, c)`` resized to ``(..., height, width, c)``; integer images come back
    rounded to their dtype."""
    ndim = xp.ndim(raw(x))
    h, w = xp.shape(raw(x))[-3:-1]
    axes, sizes = (ndim - 3, ndim - 2), (height, width)
    if method == "nearest":
        return _nearest(x, axes, sizes)
    dtype = _dtype(x)
    y = _resample(_as_float(x), axes, sizes, (height / h, width / w), (0.0, 0.0), method,
                  antialias)
    return _to_int(y, dtype) if dtype.kind in "iub" else y


def _size2(size, op):
    try:
        values = [int(v) for v in xp.asarray(raw(size)).reshape(-1)]
    except (TypeError, ValueError):
        values = []
    if len(values) != 2:
        raise ValueError(f"{op}: size must be a tuple of two elements (height, width). "
                         f"Received: size={size!r}")
    if min(values) <= 0:
        raise ValueError(f"{op}: size must be positive. Received: size={size!r}")
    return values


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Resize to ``size = (height, width)`` with half-pixel centres: ``"bilinear"``,
    ``"bicubic"`` (Keys), ``"lanczos3"``, ``"lanczos5"`` or ``"nearest"``. ``antialias``
    low-pass filters when downscaling. ``crop_to_aspect_ratio`` first crops the largest centred
    window of the target's aspect ratio; ``pad_to_aspect_ratio`` pads with ``fill_value``
    instead. Integer images are rounded back to their dtype."""
    if interpolation not in _RESIZE_METHODS:
        raise ValueError(f"resize: invalid interpolation; expected one of {_RESIZE_METHODS}. "
                         f"Received: interpolation={interpolation!r}")
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported. Received: "
                         f"fill_mode={fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of pad_to_aspect_ratio and crop_to_aspect_ratio "
                         "can be True")
    target_h, target_w = _size2(size, "resize")
    x = _images(images, "resize")
    fmt = _format(data_format, "resize")
    x = _last(x, fmt)
    h, w = xp.shape(raw(x))[-3:-1]
    if crop_to_aspect_ratio:
        crop_h = max(min(h, int(w * target_h / target_w)), 1)
        crop_w = max(min(w, int(h * target_w / target_h)), 1)
        top, left = int((h - crop_h) / 2), int((w - crop_w) / 2)
        x = getitem(x, (Ellipsis, slice(top, top + crop_h), slice(left, left + crop_w),
                        slice(None)))
    elif pad_to_aspect_ratio:
        # the image centred on a canvas of the target's ratio (one side padded, equally)
        top = int((max(h, int(w * target_h / target_w)) - h) / 2)
        left = int((max(w, int(h * target_w / target_h)) - w) / 2)
        widths = [(top, top), (0, 0)] if top > 0 else [(0, 0), (left, left)]
        widths = [(0, 0)] * (xp.ndim(raw(x)) - 3) + widths + [(0, 0)]
        x = pad(x, widths, constant_values=fill_value)
    return _back(_resize_hw(x, target_h, target_w, interpolation, antialias), fmt)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample ``images`` to ``output_shape``: along each of ``spatial_dims`` an input
    location ``x`` moves to ``x * scale + translation`` (half-pixel centres; output pixels
    whose source is off the image are 0). ``method``: ``"linear"``/``"bilinear"``/
    ``"trilinear"``, ``"cubic"``/``"bicubic"``/``"tricubic"`` (Keys), ``"lanczos3"`` or
    ``"lanczos5"``; ``antialias`` widens the kernel when downscaling. Floats out."""
    if method not in _SCALE_METHODS:
        raise ValueError(f"scale_and_translate: invalid method; expected one of "
                         f"{sorted(_SCALE_METHODS)}. Received: method={method!r}")
    x = _as_float(tensor_arg(images))
    shape = xp.shape(raw(x))
    output_shape = tuple(int(v) for v in output_shape)
    dims = [int(d) % len(shape) for d in spatial_dims]
    scale = [float(v) for v in xp.asarray(raw(scale)).reshape(-1)]
    translation = [float(v) for v in xp.asarray(raw(translation)).reshape(-1)]
    if len(output_shape) != len(shape):
        raise ValueError(f"scale_and_translate: output_shape {output_shape} must have one entry "
                         f"per axis of images (shape {shape})")
    if not len(scale) == len(translation) == len(dims):
        raise ValueError(f"scale_and_translate: scale ({len(scale)}), translation "
                         f"({len(translation)}) and spatial_dims ({len(dims)}) must have the "
                         "same length")
    for d, (n_in, n_out) in enumerate(zip(shape, output_shape)):
        if d not in dims and n_in != n_out:
            raise ValueError(f"scale_and_translate: axis {d} is not a spatial dim but its size "
                             f"changes ({shape} -> {output_shape})")
    return _resample(x, dims, [output_shape[d] for d in dims], scale, translation,
                     _SCALE_METHODS[method], antialias)


# -- interpolation at arbitrary coordinates ----------------------------------------------------
def _mirror(index, size):
    if size == 1:
        return xp.zeros_like(index)
    period = size - 1
    return xp.abs((index + period) % (2 * period) - period)


_FIXERS = {
    "constant": lambda i, n: xp.clip(i, 0, n - 1),  # invalid taps are masked out
    "nearest": lambda i, n: xp.clip(i, 0, n - 1),
    "wrap": lambda i, n: i % n,
    "mirror": _mirror,  # d c b | a b c d | c b a
    "reflect": lambda i, n: (_mirror(2 * i + 1, 2 * n + 1) - 1) // 2,  # d c b a | a b c d | d c
}


def _round_half_away(c):
    return xp.sign(c) * xp.floor(xp.abs(c) + 0.5)


def _interpolate(x, coords, order, mode, cval):
    """``x`` sampled at ``coords`` (one array per axis of ``x``, broadcast together): integer
    arrays index exactly, float arrays are interpolated (``order`` 0: nearest, 1: linear)
    with ``mode`` deciding the taps off the input (``"constant"``: ``cval``). One gather for
    every tap at once."""
    shape = xp.shape(raw(x))
    dtype = _dtype(x)
    f = _as_float(x) if dtype.kind == "f" else E.cast(x, "float32")
    ftype = _dtype(f)
    coords = xp.broadcast_arrays(*[xp.asarray(c) for c in coords])
    per_axis = []
    for c, n in zip(coords, shape):
        if c.dtype.kind in "iu":
            taps = [(c, 1.0)]
        elif order == 0:
            taps = [(_round_half_away(c).astype("int64"), 1.0)]
        else:
            lower = xp.floor(c)
            frac = c - lower
            taps = [(lower.astype("int64"), 1.0 - frac), (lower.astype("int64") + 1, frac)]
        per_axis.append([(_FIXERS[mode](i, n), (i >= 0) & (i < n), w) for i, w in taps])
    flat, weights, lost = [], [], 0.0  # lost: the weight of taps off the input (constant mode)
    for combo in itertools.product(*per_axis):
        flat.append(xp.ravel_multi_index([i for i, _, _ in combo], shape))
        weight = xp.ones(coords[0].shape)
        valid = xp.ones(coords[0].shape, dtype=bool)
        for _, ok, w in combo:
            weight = weight * w
            valid &= ok
        if mode == "constant":
            weight, lost = weight * valid, lost + weight * ~valid
        weights.append(weight)
    gathered = take(reshape(f, (-1,)), xp.stack(flat))
    out = R.sum(E.multiply(gathered, xp.stack(weights).astype(ftype)), axis=0)
    if mode == "constant" and float(cval) != 0.0:
        out = E.add(out, (float(cval) * lost).astype(ftype))
    if dtype.kind in "iub":
        # integer images: rounded half away from zero, as scipy/JAX
        return E.cast(E.multiply(E.sign(out), E.floor(E.add(E.abs(out), 0.5))), dtype)
    return out


def _check_fill(fill_mode, interpolation, op, modes=_FILL_MODES):
    if interpolation not in _ORDERS:
        raise ValueError(f"{op}: invalid interpolation; expected one of {sorted(_ORDERS)}. "
                         f"Received: interpolation={interpolation!r}")
    if fill_mode not in modes:
        raise ValueError(f"{op}: invalid fill_mode; expected one of {modes}. Received: "
                         f"fill_mode={fill_mode!r}")


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` sampled at ``coordinates`` (shape ``(inputs.ndim, ...)``): ``order`` 0
    (nearest) or 1 (linear); ``fill_mode`` ``"constant"`` (``fill_value``), ``"nearest"``,
    ``"wrap"``, ``"mirror"`` or ``"reflect"`` decides the values off the input (scipy's
    ``map_coordinates``)."""
    x = tensor_arg(inputs)
    coords = xp.asarray(raw(coordinates) if not isinstance(coordinates, (list, tuple))
                        else [xp.asarray(raw(c)) for c in coordinates])
    if coords.ndim < 2:
        raise ValueError(f"map_coordinates: invalid coordinates rank: expected at least rank "
                         f"2. Received input with shape: {coords.shape}")
    if coords.shape[0] != xp.ndim(raw(x)):
        raise ValueError(
            f"map_coordinates: first dim of coordinates must be the rank of inputs. Received "
            f"inputs with shape: {xp.shape(raw(x))} and coordinate leading dim of "
            f"{coords.shape[0]}")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"map_coordinates: invalid fill_mode; expected one of {_FILL_MODES}. "
                         f"Received: fill_mode={fill_mode!r}")
    if order not in (0, 1):
        raise ValueError(f"map_coordinates: invalid order; expected 0 or 1. Received: "
                         f"order={order!r}")
    if coords.dtype.kind != "f":
        coords = coords.astype(config.floatx())
    return _interpolate(x, list(coords), order, fill_mode, fill_value)


def _warp(x, ys, xs, order, mode, cval):
    """A channels-last batch ``(b, h, w, c)`` sampled at ``(ys, xs)`` of shape ``(b, h', w')``,
    the same for every channel."""
    b, _, _, c = xp.shape(raw(x))
    coords = [xp.arange(b).reshape(-1, 1, 1, 1), ys[..., None], xs[..., None],
              xp.arange(c).reshape(1, 1, 1, -1)]
    return _interpolate(x, coords, order, mode, cval)


def _batched(x):
    """A 4-D batch and whether the input was one image."""
    single = xp.ndim(raw(x)) == 3
    return (expand_dims(x, 0) if single else x), single


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    """Warp images by ``transform = [a0, a1, a2, b0, b1, b2, c0, c1]`` (one, or one per image):
    output pixel ``(x, y)`` takes the input at ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) /
    k)`` with ``k = c0 x + c1 y + 1``."""
    _check_fill(fill_mode, interpolation, "affine_transform")
    x = _images(images, "affine_transform")
    # float32 coordinates, as Keras: nearest sampling rounds ties the same way
    t = xp.asarray(raw(transform), dtype="float32")
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(
            "affine_transform: invalid transform shape: expected (8,) (one transform) or "
            f"(batch, 8). Received input with shape: transform.shape={t.shape}")
    fmt = _format(data_format, "affine_transform")
    x, single = _batched(_last(x, fmt))
    b, h, w, _ = xp.shape(raw(x))
    t = t.reshape(-1, 8)
    if t.shape[0] not in (1, b):
        raise ValueError(f"affine_transform: {t.shape[0]} transforms for a batch of {b} images")
    return _project(x, t, h, w, _ORDERS[interpolation], fill_mode, fill_value, single, fmt)


def _project(x, t, h, w, order, mode, cval, single, fmt):
    gy, gx = xp.meshgrid(xp.arange(h, dtype=t.dtype), xp.arange(w, dtype=t.dtype),
                         indexing="ij")
    a = [t[:, i].reshape(-1, 1, 1) for i in range(8)]
    k = a[6] * gx + a[7] * gy + 1.0
    xs = (a[0] * gx + a[1] * gy + a[2]) / k
    ys = (a[3] * gx + a[4] * gy + a[5]) / k
    b = xp.shape(raw(x))[0]
    xs, ys = xp.broadcast_to(xs, (b, h, w)), xp.broadcast_to(ys, (b, h, w))
    y = _warp(x, ys, xs, order, mode, cval)
    return _back(squeeze(y, 0) if single else y, fmt)


def _points(p, name):
    p = xp.asarray(raw(p), dtype="float64")
    if p.shape[-2:] != (4, 2) or p.ndim not in (2, 3):
        raise ValueError(
            f"perspective_transform: invalid {name} shape: expected (4, 2) for one image or "
            f"(N, 4, 2) for a batch. Received shape: {p.shape}")
    return p.reshape(-1, 4, 2)


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp images so that the four ``start_points`` ``(x, y)`` land on ``end_points`` (one
    set, or one per image); pixels from off the image are ``fill_value``."""
    _check_fill("constant", interpolation, "perspective_transform")
    x = _images(images, "perspective_transform")
    start, end = _points(start_points, "start_points"), _points(end_points, "end_points")
    if xp.shape(raw(start_points)) != xp.shape(raw(end_points)):
        raise ValueError(
            "perspective_transform: start_points and end_points must have the same shape. "
            f"Received start_points.shape={xp.shape(raw(start_points))}, "
            f"end_points.shape={xp.shape(raw(end_points))}")
    # the homography taking output (end) points to input (start) points: 8 equations
    sx, sy, ex, ey = start[..., 0], start[..., 1], end[..., 0], end[..., 1]
    zero, one = xp.zeros_like(ex), xp.ones_like(ex)
    rows = xp.concatenate([
        xp.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1),
        xp.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1)], axis=1)
    t = xp.linalg.solve(rows, xp.concatenate([sx, sy], axis=-1)[..., None])[..., 0]
    t = t.astype("float32")
    fmt = _format(data_format, "perspective_transform")
    x, single = _batched(_last(x, fmt))
    b, h, w, _ = xp.shape(raw(x))
    return _project(x, t, h, w, _ORDERS[interpolation], "constant", fill_value, single, fmt)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displace every pixel by Gaussian noise smoothed with a Gaussian of ``sigma`` and scaled
    by ``alpha`` (one random field per image, shared by its channels)."""
    from ember.ops.nn import _rng_for

    _check_fill(fill_mode, interpolation, "elastic_transform")
    x = _images(images, "elastic_transform")
    fmt = _format(data_format, "elastic_transform")
    x, single = _batched(_last(x, fmt))
    b, h, w, _ = xp.shape(raw(x))
    sigma, alpha = float(raw(sigma)), float(raw(alpha))
    size = int(6 * sigma) | 1
    noise = _rng_for(seed).standard_normal((b, h, w, 2)) * sigma
    field = raw(gaussian_blur(noise, (size, size), (sigma, sigma), "channels_last"))
    gy, gx = xp.meshgrid(xp.arange(h), xp.arange(w), indexing="ij")
    ys, xs = gy + alpha * field[..., 1], gx + alpha * field[..., 0]
    y = _warp(x, ys, xs, _ORDERS[interpolation], fill_mode, fill_value)
    return _back(squeeze(y, 0) if single else y, fmt)


# -- crops and pads ----------------------------------------------------------------------------
def _two_of(values, names, op):
    if [v is None for v in values].count(True) != 1:
        raise ValueError(f"{op}: must specify exactly two of {', '.join(names)}. Received: "
                         + ", ".join(f"{n}={v}" for n, v in zip(names, values)))
    for n, v in zip(names, values):
        if v is not None and v < 0:
            raise ValueError(f"{op}: {n} must be >= 0. Received: {n}={v}")


def _non_negative(pairs, op, size):
    for n, v in pairs:
        if v < 0:
            raise ValueError(f"{op}: {n} must be >= 0. Received: {n}={v} (the image's size on "
                             f"that axis is {size})")


def _crop_axis(start, end, target, names, size):
    _two_of([start, end, target], names, "crop_images")
    start = size - target - end if start is None else start
    target = size - start - end if target is None else target
    _non_negative([(names[0], start), (names[2], target)], "crop_images", size)
    return start, target


def _pad_axis(start, end, target, names, size):
    _two_of([start, end, target], names, "pad_images")
    start = target - end - size if start is None else start
    end = target - start - size if end is None else end
    _non_negative([(names[0], start), (names[1], end)], "pad_images", size)
    return start, end


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    """Crop rows and columns: per axis, give two of the two croppings and the target size."""
    x = _images(images, "crop_images")
    fmt = _format(data_format, "crop_images")
    x = _last(x, fmt)
    h, w = xp.shape(raw(x))[-3:-1]
    top, th = _crop_axis(top_cropping, bottom_cropping, target_height,
                         ["top_cropping", "bottom_cropping", "target_height"], h)
    left, tw = _crop_axis(left_cropping, right_cropping, target_width,
                          ["left_cropping", "right_cropping", "target_width"], w)
    return _back(getitem(x, (Ellipsis, slice(top, top + th), slice(left, left + tw),
                             slice(None))), fmt)


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    """Zero-pad rows and columns: per axis, give two of the two paddings and the target size."""
    x = _images(images, "pad_images")
    fmt = _format(data_format, "pad_images")
    x = _last(x, fmt)
    h, w = xp.shape(raw(x))[-3:-1]
    top, bottom = _pad_axis(top_padding, bottom_padding, target_height,
                            ["top_padding", "bottom_padding", "target_height"], h)
    left, right = _pad_axis(left_padding, right_padding, target_width,
                            ["left_padding", "right_padding", "target_width"], w)
    widths = [(0, 0)] * (xp.ndim(raw(x)) - 3) + [(top, bottom), (left, right), (0, 0)]
    return _back(pad(x, widths), fmt)


# -- patches -----------------------------------------------------------------------------------
def _tuple(value, n, name, op):
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(isinstance(v, int) and v > 0 for v in values):
        raise ValueError(f"{op}: {name} must be a positive int or a tuple of {n} positive "
                         f"ints. Received: {name}={value!r}")
    return values


def _patches(x, size, strides, dilation, padding, op):
    """Channels-last ``(b, *spatial, c)``: every window of ``size`` (with ``strides`` and
    ``dilation``), flattened in (spatial..., channel) order onto the last axis."""
    n = len(size)
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same'. Received: padding={padding!r}")
    shape = xp.shape(raw(x))
    if padding == "same":  # TensorFlow's rule: ceil(n / stride) outputs, extra on the right
        widths = [(0, 0)]
        for m, k, s, d in zip(shape[1:-1], size, strides, dilation):
            total = max((-(-m // s) - 1) * s + (k - 1) * d + 1 - m, 0)
            widths.append((total // 2, total - total // 2))
        x = pad(x, widths + [(0, 0)])
        shape = xp.shape(raw(x))
    for i, (m, k, s, d) in enumerate(zip(shape[1:-1], size, strides, dilation)):
        out = (m - (k - 1) * d - 1) // s + 1
        if out <= 0:
            raise ValueError(f"{op}: a patch of size {size} (dilation {dilation}) does not fit in "
                             f"an input of spatial shape {shape[1:-1]}")
        idx = xp.arange(out)[:, None] * s + xp.arange(k)[None, :] * d
        x = take(x, idx, axis=1 + 2 * i)  # the axis becomes (out, k)
    # (b, o1, k1, o2, k2, ..., c) -> (b, o1, o2, ..., k1, k2, ..., c)
    order = [0] + [1 + 2 * i for i in range(n)] + [2 + 2 * i for i in range(n)] + [1 + 2 * n]
    y = transpose(x, order)
    outs = xp.shape(raw(y))[1:1 + n]
    return reshape(y, (xp.shape(raw(y))[0],) + tuple(outs) + (-1,))


def _extract(x, size, strides, dilation_rate, padding, data_format, n, op):
    fmt = _format(data_format, op)
    size = _tuple(size, n, "size", op)
    strides = size if strides is None else _tuple(strides, n, "strides", op)
    dilation = _tuple(dilation_rate, n, "dilation_rate", op)
    x, single = (expand_dims(x, 0), True) if xp.ndim(raw(x)) == n + 1 else (x, False)
    y = _back(_patches(_last(x, fmt, n), size, strides, dilation, padding, op), fmt, n)
    return squeeze(y, 0) if single else y


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    """Every ``size`` window of the images as a vector (``patch_h * patch_w * channels`` on the
    channel axis), ``strides`` apart (by default ``size``); ``padding`` ``"valid"`` or
    ``"same"``. A 3-tuple ``size`` extracts from volumes (:func:`extract_patches_3d`)."""
    if not isinstance(size, int) and len(size) == 3:
        return extract_patches_3d(images, size, strides, dilation_rate, padding, data_format)
    if not isinstance(size, int) and len(size) != 2:
        raise ValueError(f"extract_patches: size must be an int or a tuple of 2 (or 3) ints. "
                         f"Received: size={size!r}")
    x = _images(images, "extract_patches")
    return _extract(x, size, strides, dilation_rate, padding, data_format, 2, "extract_patches")


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    """:func:`extract_patches` for volumes ``(depth, height, width, channels)`` (or a batch)."""
    x = _images(volumes, "extract_patches_3d", "volumes", ranks=(4, 5))
    return _extract(x, size, strides, dilation_rate, padding, data_format, 3,
                    "extract_patches_3d")


# -- filters -----------------------------------------------------------------------------------
def _gaussian_1d(size, sigma):
    x = xp.arange(size) - (size - 1) / 2
    k = xp.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _depthwise(x, kernel_2d, padding):
    """Each channel of a channels-last batch filtered by the same ``(kh, kw, m)`` kernels
    (cross-correlation): ``(b, h', w', c, m)``."""
    c = xp.shape(raw(x))[-1]
    kh, kw, m = kernel_2d.shape
    k = xp.broadcast_to(kernel_2d[:, :, None, :], (kh, kw, c, m)).astype(_dtype(x))
    y = depthwise_conv(x, k, padding=padding, data_format="channels_last")
    return reshape(y, xp.shape(raw(y))[:-1] + (c, m))


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blur each channel with a normalized Gaussian (zero padding, same size out).
    ``kernel_size`` and ``sigma`` are ``(x, y)`` pairs, as Keras's: the first entry acts along
    the width."""
    x = _images(images, "gaussian_blur")
    fmt = _format(data_format, "gaussian_blur")
    kx, ky = _tuple(kernel_size, 2, "kernel_size", "gaussian_blur")
    sx, sy = (float(v) for v in xp.broadcast_to(xp.asarray(raw(sigma), dtype="float64"), (2,)))
    dtype = _dtype(x)
    x, single = _batched(_last(_as_float(x), fmt))
    kernel = xp.outer(_gaussian_1d(ky, sy), _gaussian_1d(kx, sx))[:, :, None]
    y = squeeze(_depthwise(x, kernel, "same"), -1)
    y = _back(squeeze(y, 0) if single else y, fmt)
    return _to_int(y, dtype) if dtype.kind in "iub" else y


_SOBEL_Y = xp.asarray([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]])


def sobel_edges(images, data_format=None):
    """Sobel derivatives of each channel (zero padding): ``(..., 2)`` holding ``[dy, dx]``
    after the image's own axes."""
    x = _images(images, "sobel_edges")
    fmt = _format(data_format, "sobel_edges")
    x, single = _batched(_last(_as_float(x), fmt))
    kernel = xp.stack([_SOBEL_Y, _SOBEL_Y.T], axis=-1)  # (3, 3, 2): [dy, dx]
    y = _depthwise(x, kernel, "same")  # (b, h, w, c, 2)
    if fmt == "channels_first":
        y = moveaxis(y, -2, 1)
    return squeeze(y, 0) if single else y


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity of two images (or batches): Gaussian-weighted local means,
    variances and covariance (``filter_size``, ``filter_sigma``; valid windows only), the SSIM
    map averaged over pixels and channels; one value per image."""
    x1 = _images(image1, "ssim", "image1")
    x2 = _images(image2, "ssim", "image2")
    if xp.shape(raw(x1)) != xp.shape(raw(x2)):
        raise ValueError(f"ssim: image1 and image2 must have the same shape. Received "
                         f"{xp.shape(raw(x1))} and {xp.shape(raw(x2))}")
    fmt = _format(data_format, "ssim")
    dtype = _dtype(x1)
    x1, single = _batched(_last(_as_float(x1), fmt))
    x2, _ = _batched(_last(E.cast(x2, _dtype(x1)), fmt))
    g = _gaussian_1d(int(filter_size), float(filter_sigma))
    kernel = xp.outer(g, g)[:, :, None]
    if min(xp.shape(raw(x1))[1:3]) < filter_size:
        raise ValueError(f"ssim: images of spatial shape {xp.shape(raw(x1))[1:3]} are smaller "
                         f"than filter_size={filter_size}")

    def blur(t):
        return squeeze(_depthwise(t, kernel, "valid"), -1)

    mu1, mu2 = blur(x1), blur(x2)
    mu11, mu22, mu12 = E.multiply(mu1, mu1), E.multiply(mu2, mu2), E.multiply(mu1, mu2)
    var1 = E.subtract(blur(E.multiply(x1, x1)), mu11)
    var2 = E.subtract(blur(E.multiply(x2, x2)), mu22)
    cov = E.subtract(blur(E.multiply(x1, x2)), mu12)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    num = E.multiply(E.add(E.multiply(2.0, mu12), c1), E.add(E.multiply(2.0, cov), c2))
    den = E.multiply(E.add(E.add(mu11, mu22), c1), E.add(E.add(var1, var2), c2))
    value = R.mean(E.divide(num, den), axis=(1, 2, 3))
    value = squeeze(value, 0) if single else value
    return E.cast(value, dtype)


__all__ = ["affine_transform", "crop_images", "elastic_transform", "extract_patches",
           "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates", "pad_images",
           "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv",
           "scale_and_translate", "sobel_edges", "ssim"]
