"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, the global poolings and the
adaptive poolings (AdaptiveAveragePooling1D/2D/3D, AdaptiveMaxPooling1D/2D/3D).

Windows follow Keras 3 (``strides`` defaults to ``pool_size``; ``"same"`` padding as
TensorFlow). The arithmetic is :mod:`ember.ops.pooling` (:mod:`ember.ops.volumetric` in 3D,
``ember.ops.adaptive_*_pool`` for the adaptive layers). GlobalAveragePooling1D honours a
time-step mask (from Embedding(mask_zero=True) or Masking): masked steps are left out of the
average.
"""

import importlib

from ember import ops, registry
from ember.backend import xp
from ember.layers.convolutional import (
    _channels,
    _with_spatial,
    conv_output_spatial,
    fmt_shape,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
)
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops import volumetric
from ember.ops._helpers import raw

pool_ops = importlib.import_module("ember.ops.pooling")


class BasePooling(Layer):
    """Max or average pooling of rank 1, 2 or 3."""

    rank = 2
    mode = "max"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(name=name, **kwargs)
        who = type(self).__name__
        self.pool_size = normalize_tuple(pool_size, self.rank, "pool_size", who)
        self.strides = self.pool_size if strides is None else normalize_tuple(
            strides, self.rank, "strides", who)
        self.padding = normalize_padding(padding, who)
        self.data_format = normalize_data_format(data_format, who)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        if self.rank == 3:
            fn = volumetric.max_pool3d if self.mode == "max" else volumetric.average_pool3d
        else:
            fn = pool_ops.max_pool if self.mode == "max" else pool_ops.average_pool
        return fn(inputs, self.pool_size, strides=self.strides, padding=self.padding,
                  data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}. "
                f"Received input shape {fmt_shape(input_shape)}")
        spatial = conv_output_spatial(self, input_shape, self.pool_size, self.strides,
                                      self.padding, (1,) * self.rank, self.rank,
                                      self.data_format)
        return _with_spatial(input_shape, self.data_format, spatial,
                             _channels(input_shape, self.data_format))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "pool_size": list(self.pool_size),
            "padding": self.padding,
            "strides": list(self.strides),
            "data_format": self.data_format,
        })
        return cfg


@registry.register("layer", aliases=("MaxPool1D",))
class MaxPooling1D(BasePooling):
    """Max over windows of ``pool_size`` steps of ``(batch, steps, channels)``."""

    rank, mode = 1, "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register("layer", aliases=("MaxPool2D",))
class MaxPooling2D(BasePooling):
    """Max over ``pool_size`` windows of ``(batch, height, width, channels)``.

    Example:
        >>> MaxPooling2D(2)(np.zeros((1, 26, 26, 32))).shape   # (1, 13, 13, 32)
    """

    rank, mode = 2, "max"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register("layer", aliases=("AvgPool1D",))
class AveragePooling1D(BasePooling):
    """Average over windows of ``pool_size`` steps (``"same"`` windows average their real
    elements only)."""

    rank, mode = 1, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register("layer", aliases=("AvgPool2D",))
class AveragePooling2D(BasePooling):
    """Average over ``pool_size`` windows of ``(batch, height, width, channels)``."""

    rank, mode = 2, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register("layer", aliases=("MaxPool3D",))
class MaxPooling3D(BasePooling):
    """Max over ``pool_size`` windows of ``(batch, depth, height, width, channels)``."""

    rank, mode = 3, "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 name=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


@registry.register("layer", aliases=("AvgPool3D",))
class AveragePooling3D(BasePooling):
    """Average over ``pool_size`` windows of ``(batch, depth, height, width, channels)``
    (``"same"`` windows average their real elements only)."""

    rank, mode = 3, "average"

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, name=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


# -- global pooling ---------------------------------------------------------------------------
class BaseGlobalPooling(Layer):
    rank = 2
    mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        start = 1 if self.data_format == "channels_last" else 2
        return tuple(range(start, start + self.rank))

    def call(self, inputs):
        reduce = ops.max if self.mode == "max" else ops.mean
        return reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg


@registry.register("layer", aliases=("GlobalMaxPool1D",))
class GlobalMaxPooling1D(BaseGlobalPooling):
    """Max over the steps axis: ``(batch, steps, channels) -> (batch, channels)``."""

    rank, mode = 1, "max"


@registry.register("layer", aliases=("GlobalMaxPool2D",))
class GlobalMaxPooling2D(BaseGlobalPooling):
    """Max over height and width: ``(batch, h, w, channels) -> (batch, channels)``."""

    rank, mode = 2, "max"


@registry.register("layer", aliases=("GlobalAvgPool1D",))
class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over the steps axis; with a mask (batch, steps), the mean of the unmasked steps.

    Example:
        >>> x = Embedding(100, 8, mask_zero=True)(ids)      # (batch, steps, 8), masked
        >>> GlobalAveragePooling1D()(x)                     # (batch, 8): mean of real tokens
    """

    rank, mode = 1, "average"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        m = xp.asarray(raw(mask)).astype(inputs.dtype)
        if m.shape != inputs.shape[:2] and m.shape != (inputs.shape[0], inputs.shape[2]):
            raise ValueError(
                f"GlobalAveragePooling1D '{self.name}': the mask of shape {m.shape} does not "
                f"match the input of shape {fmt_shape(inputs.shape)} (expected (batch, steps))")
        axis = self._axes()[0]
        m = m[:, :, None] if self.data_format == "channels_last" else m[:, None, :]
        count = xp.maximum(m.sum(axis=axis, keepdims=True), 1)
        weights = m / count
        return ops.sum(ops.multiply(inputs, weights), axis=axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None


@registry.register("layer", aliases=("GlobalAvgPool2D",))
class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over height and width: ``(batch, h, w, channels) -> (batch, channels)``."""

    rank, mode = 2, "average"


@registry.register("layer", aliases=("GlobalMaxPool3D",))
class GlobalMaxPooling3D(BaseGlobalPooling):
    """Max over depth, height and width: ``(batch, d, h, w, channels) -> (batch, channels)``."""

    rank, mode = 3, "max"


@registry.register("layer", aliases=("GlobalAvgPool3D",))
class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over depth, height and width: ``(batch, d, h, w, channels) -> (batch, channels)``."""

    rank, mode = 3, "average"


# -- adaptive pooling -------------------------------------------------------------------------
class BaseAdaptivePooling(Layer):
    """Pooling to a fixed ``output_size`` whatever the input's spatial size: window ``i`` of an
    axis of length ``L`` covers ``[floor(i L / out), ceil((i + 1) L / out))`` (Keras's and
    PyTorch's windows). No weights; ``output_size`` an int or one int per spatial axis."""

    rank = 2
    mode = "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        who = type(self).__name__
        n = self.rank
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            output_size = (output_size,) * n
        elif isinstance(output_size, (tuple, list)):
            if len(output_size) != n:
                raise ValueError(
                    f"{who}: for {n}D input, `output_size` tuple must have length {n}. "
                    f"Received: output_size={output_size!r}")
            output_size = tuple(output_size)
        else:
            raise TypeError(
                f"{who}: `output_size` must be an integer or tuple of {n} integer"
                f"{'s' if n > 1 else ''}. Received: {output_size!r} of type "
                f"{type(output_size)}")
        self.output_size = normalize_tuple(output_size, n, "output_size", who)
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, who)

    def call(self, inputs):
        if inputs.ndim != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs of rank {self.rank + 2}. "
                f"Received input shape {fmt_shape(inputs.shape)}")
        fn = ops.adaptive_max_pool if self.mode == "max" else ops.adaptive_average_pool
        return fn(inputs, self.output_size, data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        return _with_spatial(input_shape, self.data_format, self.output_size,
                             _channels(input_shape, self.data_format))

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"output_size": list(self.output_size), "data_format": self.data_format})
        return cfg


@registry.register("layer")
class AdaptiveAveragePooling1D(BaseAdaptivePooling):
    """Average pooling of ``(batch, length, channels)`` to ``output_size`` steps.

    Example:
        >>> AdaptiveAveragePooling1D(32)(np.zeros((1, 64, 3))).shape   # (1, 32, 3)
    """

    rank, mode = 1, "average"


@registry.register("layer")
class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Average pooling of ``(batch, h, w, channels)`` to ``output_size`` = (oh, ow)."""

    rank, mode = 2, "average"


@registry.register("layer")
class AdaptiveAveragePooling3D(BaseAdaptivePooling):
    """Average pooling of ``(batch, d, h, w, channels)`` to ``output_size`` = (od, oh, ow)."""

    rank, mode = 3, "average"


@registry.register("layer")
class AdaptiveMaxPooling1D(BaseAdaptivePooling):
    """Max pooling of ``(batch, length, channels)`` to ``output_size`` steps."""

    rank, mode = 1, "max"


@registry.register("layer")
class AdaptiveMaxPooling2D(BaseAdaptivePooling):
    """Max pooling of ``(batch, h, w, channels)`` to ``output_size`` = (oh, ow)."""

    rank, mode = 2, "max"


@registry.register("layer")
class AdaptiveMaxPooling3D(BaseAdaptivePooling):
    """Max pooling of ``(batch, d, h, w, channels)`` to ``output_size`` = (od, oh, ow)."""

    rank, mode = 3, "max"


# Keras's short aliases
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
GlobalMaxPool3D, GlobalAvgPool3D = GlobalMaxPooling3D, GlobalAveragePooling3D

__all__ = [
    "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D",
    "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D", "GlobalAveragePooling3D",
    "MaxPool3D", "AvgPool3D", "GlobalMaxPool3D", "GlobalAvgPool3D",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
]
