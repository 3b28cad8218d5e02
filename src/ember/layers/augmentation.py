"""Image preprocessing and augmentation layers, as Keras 3's ``keras.layers``: ``Resizing``,
``CenterCrop`` and the ``Random*`` augmentations (flip, rotation, zoom, translation, shear, crop,
contrast, brightness, grayscale, invert, posterization, saturation, hue, colour degeneration),
``Solarization``, ``AutoContrast`` and ``MixUp``.

Images are ``(height, width, channels)`` or batches ``(batch, height, width, channels)``
(channels first with ``data_format="channels_first"``). The random layers draw one
transformation per image, for the whole batch at once, from their own
:class:`ember.random.SeedGenerator` (seeded by ``seed``, or from ember's global generator, so
``ember.utils.set_random_seed`` makes them reproducible). As in Keras, a random layer augments
when ``training`` is True or not given (a direct call), and is the identity at inference
(``training=False``, as in ``predict``); ``Resizing`` and ``CenterCrop`` always apply. The
outputs are compositions of ember ops, so gradients flow to the images.
"""

import math

from ember import ops, registry
from ember.backend import xp
from ember.layers.convolutional import normalize_data_format
from ember.layers.layer import Layer
from ember.random import SeedGenerator, uniform

_AFFINE_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_AFFINE_INTERPOLATIONS = ("nearest", "bilinear")
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")


def _image_rank(inputs, layer):
    rank = len(inputs.shape)
    if rank not in (3, 4):
        raise ValueError(f"{layer}: expected the input image to be rank 3 or 4. Received "
                         f"inputs.shape={tuple(inputs.shape)}")
    return rank


def _plain(value):
    """Tuples and lists as JSON writes them back (lists), so that configs round-trip."""
    if isinstance(value, tuple):
        return list(value)
    return value


def _unit_range(factor, name, error, symmetric):
    """A factor in [0, 1] as a (low, high) range: a pair as given (sorted); a number ``f`` as
    ``(-f, f)`` when ``symmetric``, else ``(0, f)`` (Keras's rules for RandomShear and
    Solarization)."""
    def check(v):
        if v > 1.0 or v < 0.0:
            raise ValueError(error + f"Received: input_number={v}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(error + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return (-abs(factor), abs(factor)) if symmetric else (0, factor)
    raise ValueError(error + f"Received: {name}={factor}")


class _ImageLayer(Layer):
    """The common part: ``data_format``, the random generator, ``training`` resolution, the
    ``factor`` argument (Keras's ``BaseImagePreprocessingLayer``)."""

    _FACTOR_BOUNDS = (-1, 1)

    def __init__(self, data_format=None, **kwargs):
        kwargs.pop("bounding_box_format", None)
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.supports_masking = False

    # -- helpers -----------------------------------------------------------------------------
    def _init_seed(self, seed):
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _set_factor(self, factor):
        lo, hi = self._FACTOR_BOUNDS
        msg = ("The `factor` argument should be a number (or a list of two numbers) in the "
               f"range [{lo}, {hi}]. Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > hi or factor[1] < lo:
                raise ValueError(msg)
            lower, upper = sorted(factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < lo or factor > hi:
                raise ValueError(msg)
            factor = abs(factor)
            lower, upper = max(-factor, lo), factor
        else:
            raise ValueError(msg)
        self.factor = (lower, upper)

    def _hw_axes(self):
        return (-2, -1) if self.data_format == "channels_first" else (-3, -2)

    def _hw(self, inputs):
        h_axis, w_axis = self._hw_axes()
        return inputs.shape[h_axis], inputs.shape[w_axis]

    def _float(self, inputs):
        """Integer images in the compute dtype, as Keras (float ones are autocast already)."""
        if xp.dtype(inputs.dtype).kind != "f":
            return ops.cast(inputs, self.dtype)
        return inputs

    def _uniform(self, shape, minval, maxval):
        return uniform(shape, minval=minval, maxval=maxval, dtype="float32",
                       seed=self.generator).data

    def call(self, inputs, training=True):
        training = True if training is None else bool(training)
        return self._call(inputs, training)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


# -- deterministic layers ------------------------------------------------------------------------
@registry.register("layer")
class Resizing(_ImageLayer):
    """Resizes images to ``(height, width)``: ``interpolation`` ``"bilinear"``, ``"nearest"``,
    ``"bicubic"``, ``"lanczos3"`` or ``"lanczos5"``; ``crop_to_aspect_ratio`` first crops the
    largest centred window of the target aspect ratio, ``pad_to_aspect_ratio`` pads with
    ``fill_value`` instead. Integer images keep their dtype (rounded and saturated)."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(f"Resizing: invalid interpolation; expected one of "
                             f"{_RESIZE_INTERPOLATIONS}. Received: interpolation="
                             f"{interpolation!r}")
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def call(self, inputs, training=True):
        _image_rank(inputs, "Resizing")
        return ops.image.resize(
            inputs, (self.height, self.width), interpolation=self.interpolation,
            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_axis, w_axis = self._hw_axes()
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width,
                    "interpolation": self.interpolation,
                    "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                    "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                    "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                    "antialias": self.antialias})
        return cfg


@registry.register("layer")
class CenterCrop(_ImageLayer):
    """Crops the centre ``(height, width)`` window of each image; an image smaller than that
    is resized instead, without distortion (the largest centred crop of the target aspect
    ratio, resized bilinearly, as ``keras.utils.smart_resize``)."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def call(self, inputs, training=True):
        _image_rank(inputs, "CenterCrop")
        x = self._float(inputs)
        h, w = self._hw(x)
        dh, dw = h - self.height, w - self.width
        if dh >= 0 and dw >= 0:
            top, left = dh // 2, dw // 2
            index = [slice(None)] * len(x.shape)
            h_axis, w_axis = self._hw_axes()
            index[h_axis] = slice(top, top + self.height)
            index[w_axis] = slice(left, left + self.width)
            return x[tuple(index)]
        return ops.image.resize(x, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) not in (3, 4) or isinstance(input_shape[0], (list, tuple)):
            raise ValueError("`input_shape` must be a non-nested tuple or list of rank-1 with "
                             "size 3 (unbatched) or 4 (batched). ")
        return Resizing.compute_output_shape(self, input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg


# -- geometric augmentations -------------------------------------------------------------------
def _check_affine_args(layer, fill_mode, interpolation):
    if fill_mode not in _AFFINE_FILL_MODES:
        raise NotImplementedError(
            f"Unknown `fill_mode` {fill_mode}. Expected of one {_AFFINE_FILL_MODES}.")
    if interpolation not in _AFFINE_INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one "
            f"{_AFFINE_INTERPOLATIONS}.")


class _AffineLayer(_ImageLayer):
    """A layer that warps each image by its own affine transform (``ops.image.affine_transform``
    on the whole batch)."""

    def _batch(self, x):
        return x.shape[0] if len(x.shape) == 4 else 1

    def _warp(self, x, transforms):
        if len(x.shape) == 3:
            transforms = transforms[0]
        return ops.image.affine_transform(
            x, transforms.astype("float32"), interpolation=self.interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format)

    def _call(self, inputs, training):
        _image_rank(inputs, type(self).__name__)
        x = self._float(inputs)
        if not training:
            return x
        return self._warp(x, self._transforms(x))


@registry.register("layer")
class RandomFlip(_ImageLayer):
    """Flips each image with probability 1/2 while training: ``mode`` ``"horizontal"``,
    ``"vertical"`` or ``"horizontal_and_vertical"`` (one draw per image flips it both ways)."""

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if mode not in self._MODES:
            raise ValueError(f"RandomFlip: `mode` must be one of {self._MODES}. Received: "
                             f"mode={mode!r}")
        self._init_seed(seed)
        self.mode = mode

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomFlip")
        x = self._float(inputs)
        if not training:
            return x
        batched = len(x.shape) == 4
        flips = self._uniform((x.shape[0] if batched else 1, 1, 1, 1), 0.0, 1.0) <= 0.5
        if not batched:
            flips = flips[0]
        h_axis, w_axis = self._hw_axes()
        y = x
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            y = ops.where(flips, ops.flip(y, axis=w_axis), y)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            y = ops.where(flips, ops.flip(y, axis=h_axis), y)
        return y

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"seed": self.seed, "mode": self.mode})
        return cfg


@registry.register("layer")
class RandomRotation(_AffineLayer):
    """Rotates each image by an angle drawn from ``factor`` (a fraction of 2 pi: ``0.1`` is
    [-36, 36] degrees; a pair gives the range) about its centre, while training. Pixels from
    outside the image follow ``fill_mode``: ``"reflect"``, ``"wrap"``, ``"constant"``
    (``fill_value``) or ``"nearest"``."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self._init_seed(seed)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        _check_affine_args("RandomRotation", fill_mode, interpolation)

    def _transforms(self, x):
        b = self._batch(x)
        h, w = self._hw(x)
        angle = self._uniform((b,), self.factor[0] * 360.0, self.factor[1] * 360.0)
        angle = angle * xp.float32(math.pi / 180.0)
        cx, cy = xp.float32(0.5 * (w - 1)), xp.float32(0.5 * (h - 1))
        cos, sin = xp.cos(angle), xp.sin(angle)
        a0, a1 = cos, -sin
        b0, b1 = sin, cos
        a2 = cx - cx * a0 - cy * a1
        b2 = cy - cx * b0 - cy * b1
        zero = xp.zeros_like(angle)
        return xp.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "fill_mode": self.fill_mode,
                    "fill_value": self.fill_value, "interpolation": self.interpolation,
                    "seed": self.seed})
        return cfg


def _axis_factor(factor, name, error, low_open):
    """RandomZoom/RandomTranslation's ``height_factor``/``width_factor``: (lower, upper)."""
    def check(v):
        bad = v > 1.0 or (v <= -1.0 if low_open else v < -1.0)
        if bad:
            raise ValueError(error + f"Received: input_number={v}")

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(error + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        return tuple(sorted(factor))
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        check(factor)
        return (-abs(factor), abs(factor))
    raise ValueError(error + f"Received: {name}={factor}")


@registry.register("layer")
class RandomZoom(_AffineLayer):
    """Zooms each image while training by ``1 + z``, ``z`` drawn from ``height_factor`` (a
    positive value zooms out, a negative one in: ``0.2`` draws from [-0.2, 0.2]) and from
    ``width_factor`` for the width (None: the same draw, keeping the aspect ratio)."""

    _ERROR = ("The `height_factor` and `width_factor` arguments should be a number (or a list "
              "of two numbers) in the range (-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _axis_factor(height_factor, "height_factor",
                                                            self._ERROR, True)
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _axis_factor(width_factor, "width_factor",
                                                              self._ERROR, True)
        _check_affine_args("RandomZoom", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)

    def _transforms(self, x):
        b = self._batch(x)
        h, w = self._hw(x)
        hz = self._uniform((b,), 1.0 + self.height_lower, 1.0 + self.height_upper)
        wz = hz if self.width_factor is None else self._uniform(
            (b,), 1.0 + self.width_lower, 1.0 + self.width_upper)
        zero = xp.zeros_like(hz)
        x_off = xp.float32((w - 1.0) / 2.0) * (1.0 - wz)
        y_off = xp.float32((h - 1.0) / 2.0) * (1.0 - hz)
        return xp.stack([wz, zero, x_off, zero, hz, y_off, zero, zero], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": _plain(self.height_factor),
                    "width_factor": _plain(self.width_factor), "fill_mode": self.fill_mode,
                    "interpolation": self.interpolation, "seed": self.seed,
                    "fill_value": self.fill_value})
        return cfg


@registry.register("layer")
class RandomTranslation(_AffineLayer):
    """Shifts each image while training by a fraction of its height drawn from
    ``height_factor`` and of its width from ``width_factor`` (a number ``f`` draws from
    [-f, f]; a pair gives the range)."""

    _ERROR = ("The `factor` argument should be a number (or a list of two numbers) in the "
              "range [-1.0, 1.0]. ")

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _axis_factor(height_factor, "height_factor",
                                                            self._ERROR, False)
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _axis_factor(width_factor, "width_factor",
                                                          self._ERROR, False)
        _check_affine_args("RandomTranslation", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)

    def _transforms(self, x):
        b = self._batch(x)
        h, w = self._hw(x)
        dy = self._uniform((b,), self.height_lower, self.height_upper) * xp.float32(h)
        dx = self._uniform((b,), self.width_lower, self.width_upper) * xp.float32(w)
        one, zero = xp.ones_like(dx), xp.zeros_like(dx)
        return xp.stack([one, zero, -dx, zero, one, -dy, zero, zero], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height_factor": _plain(self.height_factor),
                    "width_factor": _plain(self.width_factor), "fill_mode": self.fill_mode,
                    "interpolation": self.interpolation, "seed": self.seed,
                    "fill_value": self.fill_value})
        return cfg


@registry.register("layer")
class RandomShear(_AffineLayer):
    """Shears each image while training: output pixel ``(x, y)`` samples the input at
    ``(x + sx * y, y + sy * x)``, ``sx`` drawn from ``x_factor`` and ``sy`` from ``y_factor``
    (each in [0, 1]; a number ``f`` draws from [-f, f]), both negated for a random half of
    the images, as Keras."""

    _ERROR = ("The `factor` argument should be a number (or a list of two numbers) in the "
              "range [0, 1.0]. ")

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._factor(x_factor, "x_factor")
        self.y_factor = self._factor(y_factor, "y_factor")
        _check_affine_args("RandomShear", fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self._init_seed(seed)

    def _factor(self, factor, name):
        return _unit_range(factor, name, self._ERROR, symmetric=True)

    def _transforms(self, x):
        b = self._batch(x)
        sign = xp.where(self._uniform((b,), 0.0, 1.0) > 0.5, -1.0, 1.0).astype("float32")
        sy = self._uniform((b,), self.y_factor[0], self.y_factor[1]) * sign
        sx = self._uniform((b,), self.x_factor[0], self.x_factor[1]) * sign
        one, zero = xp.ones_like(sx), xp.zeros_like(sx)
        return xp.stack([one, sx, zero, sy, one, zero, zero, zero], axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"x_factor": _plain(self.x_factor), "y_factor": _plain(self.y_factor),
                    "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                    "seed": self.seed, "fill_value": self.fill_value})
        return cfg


@registry.register("layer")
class RandomCrop(_ImageLayer):
    """Crops a random ``(height, width)`` window while training (one offset for the whole
    batch, as Keras), resizing when the image is not larger than that on both axes; the
    identity at inference (as Keras 3: its output keeps the input size there)."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height = height
        self.width = width
        from ember import config

        self.seed = seed if seed is not None else int(config.rng().integers(1, 1_000_000_000))
        self.generator = SeedGenerator(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomCrop")
        x = self._float(inputs)
        if not training:
            return x
        h, w = self._hw(x)
        if h > self.height and w > self.width:
            top = int(self._uniform((), 0.0, float(h - self.height + 1)))
            left = int(self._uniform((), 0.0, float(w - self.width + 1)))
        else:
            ch = max(min(h, int(float(w * self.height) / self.width)), 1)
            cw = max(min(w, int(float(h * self.width) / self.height)), 1)
            top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
        index = [slice(None)] * len(x.shape)
        h_axis, w_axis = self._hw_axes()
        index[h_axis] = slice(top, top + self.height)
        index[w_axis] = slice(left, left + self.width)
        y = x[tuple(index)]
        if self._hw(y) != (self.height, self.width):
            y = ops.image.resize(y, (self.height, self.width), data_format=self.data_format)
        return y

    def compute_output_shape(self, input_shape):
        return Resizing.compute_output_shape(self, input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "seed": self.seed})
        return cfg


# -- colour augmentations ----------------------------------------------------------------------
def _value_range(value_range, layer):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            f"{layer}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}")
    return value_range


def _per_image_shape(x):
    return (x.shape[0], 1, 1, 1) if len(x.shape) == 4 else (1, 1, 1)


@registry.register("layer")
class RandomContrast(_ImageLayer):
    """Scales each image's deviation from its per-channel mean by a factor drawn from
    ``[1 - lower, 1 + upper]`` (``factor``, in [0, 1]) while training, clipped to
    ``value_range``."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _value_range(value_range, "RandomContrast")
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomContrast")
        if not training:
            return inputs
        x = self._float(inputs)
        factor = self._uniform(_per_image_shape(x), 1.0 - self.factor[0],
                               1.0 + self.factor[1]).astype(x.dtype)
        h_axis, w_axis = self._hw_axes()
        mean = ops.mean(ops.mean(x, axis=h_axis, keepdims=True), axis=w_axis, keepdims=True)
        y = ops.add(ops.multiply(ops.subtract(x, mean), factor), mean)
        return ops.clip(y, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


@registry.register("layer")
class RandomBrightness(_ImageLayer):
    """Adds to each image a delta drawn from ``factor`` (a fraction of ``value_range``'s
    width, in [-1, 1]: ``0.2`` draws from [-0.2, 0.2]) while training, clipped to
    ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted(_value_range(value_range, "RandomBrightness"))
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomBrightness")
        if not training:
            return inputs
        x = self._float(inputs)
        lo, hi = self.value_range
        delta = self._uniform(_per_image_shape(x), self.factor[0], self.factor[1])
        delta = (delta * xp.float32(hi - lo)).astype(x.dtype)
        return ops.clip(ops.add(x, delta), lo, hi)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


def _to_range(x, original, target):
    """Keras's ``_transform_value_range``: a linear map of ``original`` onto ``target``."""
    if original[0] == target[0] and original[1] == target[1]:
        return x
    scale = xp.asarray((target[1] - target[0]) / (original[1] - original[0]), dtype=x.dtype)
    return ops.add(ops.multiply(ops.subtract(x, xp.asarray(original[0], dtype=x.dtype)), scale),
                   xp.asarray(target[0], dtype=x.dtype))


@registry.register("layer")
class RandomGrayscale(_ImageLayer):
    """Turns each image to grayscale (kept with 3 channels) with probability ``factor`` while
    training. (Keras 3.15 writes no ``seed`` in its config; neither does this.)"""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomGrayscale")
        if not training:
            return inputs
        x = self._float(inputs)
        batched = len(x.shape) == 4
        apply = self._uniform((x.shape[0] if batched else 1,), 0.0, 1.0) < self.factor
        apply = apply.reshape((-1, 1, 1, 1) if batched else (1, 1, 1))
        gray = ops.image.rgb_to_grayscale(x, data_format=self.data_format)
        return ops.where(apply, gray, x)

    def get_config(self):
        cfg = super().get_config()
        cfg["factor"] = self.factor
        return cfg


@registry.register("layer")
class RandomInvert(_ImageLayer):
    """Inverts each image (``value_range[1] - x``) while training, with a probability drawn
    from ``factor`` (a number ``f`` in [0, 1] draws it from [0, f])."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomInvert")
        if not training:
            return inputs
        x = self._float(inputs)
        b = x.shape[0] if len(x.shape) == 4 else 1
        probability = self._uniform((b,), self.factor[0], self.factor[1])
        apply = self._uniform((b,), 0.0, 1.0) < probability
        apply = apply.reshape((-1, 1, 1, 1) if len(x.shape) == 4 else (1, 1, 1))
        return ops.where(apply, ops.subtract(xp.asarray(self.value_range[1], dtype=x.dtype), x),
                         x)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


@registry.register("layer")
class Solarization(_ImageLayer):
    """Adds to each image (on a 0-255 scale) an amount drawn from ``addition_factor`` (times
    255) and inverts the pixels above a threshold drawn from ``threshold_factor`` (times 255),
    while training. A number ``f`` in [0, 1] draws from [0, f]."""

    _ERROR = ("The `addition_factor` and `threshold_factor` arguments should be a number (or "
              "a list of two numbers) in the range [0, 1]. ")

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._init_seed(seed)
        self.addition_factor = self._factor(addition_factor, "addition_factor")
        self.threshold_factor = self._factor(threshold_factor, "threshold_factor")
        self.value_range = sorted(_value_range(value_range, "Solarization"))

    def _factor(self, factor, name):
        return _unit_range(factor, name, self._ERROR, symmetric=False)

    def _call(self, inputs, training):
        _image_rank(inputs, "Solarization")
        x = self._float(inputs)
        if not training:
            return x
        shape = _per_image_shape(x)
        # Keras's ranges: [lower, upper * 255] (the lower bound is not scaled)
        additions = self._uniform(shape, self.addition_factor[0],
                                  self.addition_factor[1] * 255).astype(x.dtype)
        thresholds = self._uniform(shape, self.threshold_factor[0],
                                   self.threshold_factor[1] * 255).astype(x.dtype)
        y = ops.clip(ops.add(_to_range(x, self.value_range, (0, 255)), additions), 0, 255)
        y = ops.where(y.data < thresholds, y, ops.subtract(xp.asarray(255, dtype=x.dtype), y))
        return _to_range(y, (0, 255), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"value_range": _plain(self.value_range),
                    "addition_factor": _plain(self.addition_factor),
                    "threshold_factor": _plain(self.threshold_factor), "seed": self.seed})
        return cfg


@registry.register("layer")
class RandomPosterization(_ImageLayer):
    """Keeps, while training, only the top ``bits`` bits of each 8-bit value (on a 0-255 scale
    of ``value_range``), ``bits`` drawn per image from ``factor`` in [1, 8] (as Keras: a
    number ``f`` draws from [1, f), a pair ``(a, b)`` from [a, b) unless ``a == b``)."""

    _FACTOR_BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted(_value_range(value_range, "RandomPosterization"))
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomPosterization")
        if not training:
            return inputs
        x = self._float(inputs)
        b = x.shape[0] if len(x.shape) == 4 else 1
        lo, hi = int(self.factor[0]), int(self.factor[1])
        if lo != hi:
            from ember.ops.nn import _rng_for

            bits = _rng_for(self.generator).integers(lo, hi, (b,))
        else:
            bits = xp.full((b,), lo)
        step = (2.0 ** (8 - bits)).astype(x.dtype).reshape(_per_image_shape(x))
        y = _to_range(x, self.value_range, (0, 255))
        # Keras casts to uint8 (truncation toward zero) and shifts: floor(floor(y) / s) * s
        y = ops.multiply(ops.floor(ops.divide(ops.floor(y), step)), step)
        return _to_range(y, (0, 255), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


@registry.register("layer")
class RandomSaturation(_ImageLayer):
    """Scales each RGB image's HSV saturation, while training, by ``f / (1 - f)``, ``f``
    drawn from ``factor`` (0.5 keeps it, 0 makes the image gray, values near 1 saturate it;
    a number ``f`` draws from [-f, f] and negative draws clip to gray, as Keras)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted(_value_range(value_range, "RandomSaturation"))
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomSaturation")
        if not training:
            return inputs
        x = self._float(inputs)
        b = x.shape[0] if len(x.shape) == 4 else 1
        from ember import config

        f = self._uniform((b,), self.factor[0], self.factor[1])
        f = (f / (1 - f + xp.float32(config.epsilon()))).astype(x.dtype)
        f = f.reshape((-1, 1, 1) if len(x.shape) == 4 else (1, 1))
        hsv = ops.image.rgb_to_hsv(x, data_format=self.data_format)
        axis = -3 if self.data_format == "channels_first" else -1
        parts = [hsv[..., i, :, :] if axis == -3 else hsv[..., i] for i in range(3)]
        sat = ops.clip(ops.multiply(parts[1], f), self.value_range[0], self.value_range[1])
        hsv = ops.stack([parts[0], sat, parts[2]], axis=axis)
        return ops.image.hsv_to_rgb(hsv, data_format=self.data_format)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


@registry.register("layer")
class RandomHue(_ImageLayer):
    """Rotates each RGB image's hue, while training, by half an amount drawn from ``factor``
    (in [0, 1]) of a full turn, in a random direction."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _value_range(value_range, "RandomHue")
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomHue")
        if not training:
            return inputs
        x = self._float(inputs)
        b = x.shape[0] if len(x.shape) == 4 else 1
        sign = xp.where(self._uniform((b,), 0.0, 1.0) > 0.5, -1.0, 1.0).astype("float32")
        shift = (sign * self._uniform((b,), self.factor[0], self.factor[1]) * 0.5)
        shift = shift.astype(x.dtype).reshape((-1, 1, 1) if len(x.shape) == 4 else (1, 1))
        hsv = ops.image.rgb_to_hsv(_to_range(x, self.value_range, (0, 1)),
                                   data_format=self.data_format)
        axis = -3 if self.data_format == "channels_first" else -1
        parts = [hsv[..., i, :, :] if axis == -3 else hsv[..., i] for i in range(3)]
        hue = ops.add(parts[0], shift)
        hue = ops.where(hue.data > 1.0, ops.subtract(hue, 1.0), hue)
        hue = ops.where(hue.data < 0.0, ops.add(hue, 1.0), hue)
        rgb = ops.image.hsv_to_rgb(ops.stack([hue, parts[1], parts[2]], axis=axis),
                                   data_format=self.data_format)
        return _to_range(ops.clip(rgb, 0, 1), (0, 1), self.value_range)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


@registry.register("layer")
class RandomColorDegeneration(_ImageLayer):
    """Blends each RGB image toward its grayscale version, while training, by an amount
    drawn from ``factor`` (``x + f * (gray - x)``), clipped to ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = sorted(_value_range(value_range, "RandomColorDegeneration"))
        self._init_seed(seed)

    def _call(self, inputs, training):
        _image_rank(inputs, "RandomColorDegeneration")
        if not training:
            return inputs
        x = self._float(inputs)
        b = x.shape[0] if len(x.shape) == 4 else 1
        f = self._uniform((b, 1, 1, 1), self.factor[0], self.factor[1]).astype(x.dtype)
        if len(x.shape) == 3:
            f = f[0]
        gray = ops.image.rgb_to_grayscale(x, data_format=self.data_format)
        y = ops.add(x, ops.multiply(f, ops.subtract(gray, x)))
        return ops.clip(y, self.value_range[0], self.value_range[1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"factor": _plain(self.factor), "value_range": _plain(self.value_range),
                    "seed": self.seed})
        return cfg


@registry.register("layer")
class MixUp(_ImageLayer):
    """Mixes each image, while training, with another image of the batch (a random
    permutation): ``w * x + (1 - w) * x[perm]``, ``w`` drawn per image from
    ``Beta(alpha, alpha)``. Called on a dict ``{"images": ..., "labels": ...}``, the labels
    are mixed with the same weights (other keys pass through)."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self._init_seed(seed)

    def _call(self, data, training):
        images = data["images"] if isinstance(data, dict) else data
        if isinstance(data, dict) and "bounding_boxes" in data:
            raise NotImplementedError("MixUp: bounding boxes are not supported in ember; pass "
                                      "images and labels only")
        _image_rank(images, "MixUp")
        if not training:
            return data
        x = self._float(images)
        b = x.shape[0] if len(x.shape) == 4 else 1
        from ember.ops.nn import _rng_for

        rng = _rng_for(self.generator)
        order = rng.permutation(b)
        weight = rng.beta(self.alpha, self.alpha, size=(b,)).astype(x.dtype)
        w = weight.reshape((-1, 1, 1, 1) if len(x.shape) == 4 else (1, 1, 1))
        others = ops.take(x, order, axis=0) if len(x.shape) == 4 else x
        mixed = ops.add(ops.multiply(x, w), ops.multiply(others, 1.0 - w))
        if not isinstance(data, dict):
            return mixed
        out = dict(data, images=mixed)
        if "labels" in data:
            labels = self._float(data["labels"])
            w = weight.astype(labels.dtype).reshape((-1,) + (1,) * (len(labels.shape) - 1))
            out["labels"] = ops.add(ops.multiply(labels, w), ops.multiply(
                ops.take(labels, order, axis=0), 1.0 - w))
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"alpha": self.alpha, "seed": self.seed})
        return cfg


@registry.register("layer")
class AutoContrast(_ImageLayer):
    """Stretches each channel of each image to span ``value_range`` (its minimum to the low
    end, its maximum to the high end), in training and at inference alike; a constant channel
    is left as it is. Batched channels-last images, as Keras."""

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = sorted(_value_range(value_range, "AutoContrast"))

    def call(self, inputs, training=True):
        x = self._float(inputs)
        y = _to_range(x, self.value_range, (0, 255))
        low = ops.min(y, axis=(1, 2), keepdims=True)
        high = ops.max(y, axis=(1, 2), keepdims=True)
        with xp.errstate(divide="ignore", invalid="ignore"):
            scale = ops.divide(xp.asarray(255.0, dtype=x.dtype), ops.subtract(high, low))
            y = ops.add(ops.multiply(y, scale), ops.negative(ops.multiply(low, scale)))
            y = _to_range(ops.clip(y, 0.0, 255.0), (0, 255), self.value_range)
        return ops.where(xp.isnan(y.data), x, y)

    def get_config(self):
        cfg = super().get_config()
        cfg["value_range"] = _plain(self.value_range)
        return cfg


__all__ = ["Resizing", "CenterCrop", "RandomFlip", "RandomRotation", "RandomZoom",
           "RandomTranslation", "RandomCrop", "RandomContrast", "RandomBrightness",
           "RandomGrayscale", "RandomInvert", "Solarization", "AutoContrast",
           "RandomPosterization", "RandomSaturation", "RandomColorDegeneration", "RandomHue",
           "RandomShear", "MixUp"]
