"""Convolution layers: Conv1D, Conv2D, DepthwiseConv1D/2D, SeparableConv1D/2D,
Conv1DTranspose, Conv2DTranspose.

Arguments, defaults, weight names, shapes and order, and ``get_config`` keys are Keras 3's:
a Conv2D kernel is ``(kh, kw, in_channels / groups, filters)``, a transposed one
``(kh, kw, filters, in_channels)``, a depthwise one ``(kh, kw, in_channels, depth_multiplier)``.
The arithmetic is :mod:`ember.ops.conv` (one GEMM per convolution, channels_last inside).
"""

import importlib

from ember import activations, config, ops, registry
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer

# the module (``ember.ops.conv`` is also the name of the function in ``ember.ops``)
conv_ops = importlib.import_module("ember.ops.conv")
norm_ops = importlib.import_module("ember.ops.normalization")


# -- argument helpers shared by the convolution, pooling and reshaping families ------------------
def normalize_tuple(value, n, arg, layer, allow_zero=False):
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, or a ValueError naming the
    layer and the argument."""
    try:
        if isinstance(value, bool):
            raise TypeError
        t = (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)
        if any(isinstance(v, bool) for v in ([] if isinstance(value, int) else value)):
            raise TypeError
    except (TypeError, ValueError):
        t = None
    low = 0 if allow_zero else 1
    if t is None or len(t) != n or any(v < low for v in t):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{layer}: `{arg}` must be an int or a tuple of {n} {kind} ints. "
            f"Received: {arg}={value!r}")
    return t


def normalize_padding(value, layer, allow_causal=False):
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    p = str(value).lower() if isinstance(value, str) else None
    if p not in allowed:
        raise ValueError(
            f"{layer}: `padding` must be one of {', '.join(repr(a) for a in allowed)}. "
            f"Received: padding={value!r}")
    return p


def normalize_data_format(value, layer):
    fmt = config.image_data_format() if value is None else str(value).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{layer}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={value!r}")
    return fmt


def positive(value, layer, arg):
    """A positive int, or a ValueError naming the layer (Keras's message for filters/units)."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not ok and hasattr(value, "__index__") and not isinstance(value, bool):
        try:
            value = int(value.__index__())
            ok = value > 0
        except TypeError:
            ok = False
    if not ok:
        raise ValueError(
            f"{layer}: invalid value for argument `{arg}`; expected a strictly positive integer. "
            f"Received: {arg}={value!r}")
    return value


def fmt_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _who(layer):
    return f"{type(layer).__name__} '{layer.name}'"


def _spatial(shape, fmt, rank):
    return tuple(shape[1:1 + rank]) if fmt == "channels_last" else tuple(shape[2:2 + rank])


def _channels(shape, fmt):
    return shape[-1] if fmt == "channels_last" else shape[1]


def _with_spatial(shape, fmt, spatial, channels):
    if fmt == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def conv_output_spatial(layer, input_shape, kernel_size, strides, padding, dilation, rank, fmt):
    """Output sizes of a convolution or pooling window, with an error naming the layer and the
    input shape when the (dilated) window does not fit the padded input."""
    out = []
    for size, k, s, d in zip(_spatial(input_shape, fmt, rank), kernel_size, strides, dilation):
        if size is None:
            out.append(None)
            continue
        pad = "valid" if padding == "causal" else padding
        k_eff = (k - 1) * d + 1
        if padding == "causal":
            size = size + k_eff - 1
        o, _ = conv_ops.output_geometry(size, k, s, d, pad)
        if o < 1:
            raise ValueError(
                f"{_who(layer)}: the window {tuple(kernel_size)} (dilation_rate "
                f"{tuple(dilation)}) is larger than the input with padding '{padding}'. "
                f"Received input shape {fmt_shape(input_shape)}")
        out.append(o)
    return tuple(out)


def _bias_activation(y, bias, activation, fmt, rank):
    """``activation(y + bias)`` for ``y`` a convolution op's fresh output. A channels_last
    bias with a linear or ReLU activation is one fused op working in ``y``'s memory (no new
    array forward, one backward, instead of three of each)."""
    relu = activation is activations.relu
    if bias is not None and fmt == "channels_last" and (relu or activation is activations.linear):
        return norm_ops.bias_act(y, bias, relu=relu, inplace=True)
    return activation(_add_bias(y, bias, fmt, rank))


def _add_bias(y, bias, fmt, rank):
    if bias is None:
        return y
    if fmt == "channels_first":
        return ops.add(y, ops.reshape(bias, (bias.shape[0],) + (1,) * rank))
    return ops.add(y, bias)


# -- base convolution ---------------------------------------------------------------------------
class BaseConv(Layer):
    """N-D convolution (rank 1 or 2); see Conv1D / Conv2D."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        kwargs.pop("lora_rank", None)
        kwargs.pop("lora_alpha", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        rank = self.rank
        self.filters = positive(filters, who, "filters")
        self.groups = positive(groups, who, "groups")
        if self.filters % self.groups:
            raise ValueError(
                f"{who}: the number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}")
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        self.padding = normalize_padding(padding, who, allow_causal=rank == 1)
        self.data_format = normalize_data_format(data_format, who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: `strides > 1` is not supported together with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = registry.get("initializer", kernel_initializer)
        self.bias_initializer = registry.get("initializer", bias_initializer)
        self.kernel_regularizer = registry.get("regularizer", kernel_regularizer)
        self.bias_regularizer = registry.get("regularizer", bias_regularizer)
        self.kernel_constraint = registry.get("constraint", kernel_constraint)
        self.bias_constraint = registry.get("constraint", bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    def _input_channels(self, input_shape):
        if len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{_who(self)} expects inputs of rank {self.rank + 2} (batch, "
                f"{'spatial axes' if self.rank > 1 else 'steps'}, channels). "
                f"Received input shape {fmt_shape(input_shape)}")
        channels = _channels(input_shape, self.data_format)
        if channels is None:
            raise ValueError(
                f"{_who(self)}: the channel axis of the input must be known. "
                f"Received input shape {fmt_shape(input_shape)}")
        return channels

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{_who(self)}: the number of input channels ({channels}) must be evenly "
                f"divisible by groups={self.groups}. Received input shape "
                f"{fmt_shape(input_shape)}")
        self.compute_output_shape(input_shape)  # validates the window against the input
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def _convolve(self, x, kernel):
        padding = self.padding
        if padding == "causal":
            k_eff = (self.kernel_size[0] - 1) * self.dilation_rate[0] + 1
            widths = ((0, 0), (k_eff - 1, 0), (0, 0)) if self.data_format == "channels_last" \
                else ((0, 0), (0, 0), (k_eff - 1, 0))
            x = _pad(x, widths)
            padding = "valid"
        return conv_ops.conv(x, kernel, strides=self.strides, padding=padding,
                             data_format=self.data_format, dilation_rate=self.dilation_rate)

    def call(self, inputs):
        if inputs.ndim == self.rank + 2:
            self.compute_output_shape(inputs.shape)
        if self.groups == 1:
            y = self._convolve(inputs, self.kernel)
        else:
            axis = -1 if self.data_format == "channels_last" else 1
            xs = ops.split(inputs, self.groups, axis=axis)
            ks = ops.split(self.kernel, self.groups, axis=-1)
            y = ops.concatenate([self._convolve(x, k) for x, k in zip(xs, ks)], axis=axis)
        return _bias_activation(y, self.bias, self.activation, self.data_format, self.rank)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        spatial = conv_output_spatial(self, input_shape, self.kernel_size, self.strides,
                                      self.padding, self.dilation_rate, self.rank,
                                      self.data_format)
        return _with_spatial(input_shape, self.data_format, spatial, self.filters)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": registry.serialize(self.kernel_initializer),
            "bias_initializer": registry.serialize(self.bias_initializer),
            "kernel_regularizer": registry.serialize(self.kernel_regularizer),
            "bias_regularizer": registry.serialize(self.bias_regularizer),
            "activity_regularizer": registry.serialize(self.activity_regularizer),
            "kernel_constraint": registry.serialize(self.kernel_constraint),
            "bias_constraint": registry.serialize(self.bias_constraint),
        })
        return cfg


def _pad(x, widths):
    from ember.ops.shape import pad

    return pad(x, widths)


@registry.register("layer", aliases=("Convolution1D",))
class Conv1D(BaseConv):
    """1D convolution over ``(batch, steps, channels)``; ``padding`` may also be ``"causal"``
    (left padding so that output ``t`` sees inputs up to ``t`` only).

    Example:
        >>> y = Conv1D(4, 3)(np.zeros((2, 10, 5)))   # (2, 8, 4)
    """

    rank = 1


@registry.register("layer", aliases=("Convolution2D",))
class Conv2D(BaseConv):
    """2D convolution over ``(batch, height, width, channels)``.

    Args:
        filters: positive int, the number of output channels.
        kernel_size: int or (kh, kw). strides, dilation_rate: int or pair.
        padding: ``"valid"`` or ``"same"``. data_format: ``"channels_last"`` (default).
        groups: split the channels into groups convolved separately.
        activation, use_bias, initializers, regularizers, constraints: as Keras.

    Weights: ``kernel`` (kh, kw, in_channels // groups, filters), ``bias`` (filters,).

    Example:
        >>> y = Conv2D(32, 3, activation="relu")(np.zeros((2, 28, 28, 1)))  # (2, 26, 26, 32)
    """

    rank = 2


# -- transposed convolution -------------------------------------------------------------------
class BaseConvTranspose(Layer):
    """Transposed convolution (rank 1 or 2); see Conv2DTranspose."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        rank = self.rank
        self.filters = positive(filters, who, "filters")
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        self.padding = normalize_padding(padding, who)
        self.output_padding = None if output_padding is None else normalize_tuple(
            output_padding, rank, "output_padding", who, allow_zero=True)
        if self.output_padding is not None:
            for p, s in zip(self.output_padding, self.strides):
                if p >= s:
                    raise ValueError(
                        f"{who}: `output_padding` must be smaller than `strides`. Received: "
                        f"output_padding={self.output_padding}, strides={self.strides}")
        self.data_format = normalize_data_format(data_format, who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: `strides > 1` is not supported together with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = registry.get("initializer", kernel_initializer)
        self.bias_initializer = registry.get("initializer", bias_initializer)
        self.kernel_regularizer = registry.get("regularizer", kernel_regularizer)
        self.bias_regularizer = registry.get("regularizer", bias_regularizer)
        self.kernel_constraint = registry.get("constraint", kernel_constraint)
        self.bias_constraint = registry.get("constraint", bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    _input_channels = BaseConv._input_channels

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (self.filters, channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        output_padding = self.output_padding
        if output_padding is not None and len(set(output_padding)) == 1:
            output_padding = output_padding[0]  # the op takes an int 0, not a tuple of zeros
        y = conv_ops.conv_transpose(
            inputs, self.kernel, strides=self.strides, padding=self.padding,
            output_padding=output_padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate)
        return _bias_activation(y, self.bias, self.activation, self.data_format, self.rank)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        out = []
        for i, size in enumerate(_spatial(input_shape, self.data_format, self.rank)):
            if size is None:
                out.append(None)
                continue
            op = None if self.output_padding is None else self.output_padding[i]
            o, _ = conv_ops.transpose_geometry(size, self.kernel_size[i], self.strides[i],
                                               self.dilation_rate[i], self.padding, op)
            out.append(o)
        return _with_spatial(input_shape, self.data_format, out, self.filters)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": registry.serialize(self.kernel_initializer),
            "bias_initializer": registry.serialize(self.bias_initializer),
            "kernel_regularizer": registry.serialize(self.kernel_regularizer),
            "bias_regularizer": registry.serialize(self.bias_regularizer),
            "activity_regularizer": registry.serialize(self.activity_regularizer),
            "kernel_constraint": registry.serialize(self.kernel_constraint),
            "bias_constraint": registry.serialize(self.bias_constraint),
        })
        if self.output_padding is not None:  # Keras omits it; kept so the round trip is exact
            cfg["output_padding"] = list(self.output_padding)
        return cfg


@registry.register("layer", aliases=("Convolution1DTranspose",))
class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution; kernel ``(kw, filters, in_channels)``."""

    rank = 1


@registry.register("layer", aliases=("Convolution2DTranspose",))
class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution (the adjoint of Conv2D), e.g. for upsampling in decoders.

    Weights: ``kernel`` (kh, kw, filters, in_channels), ``bias`` (filters,). The output size
    per axis is ``in * s + max(k - s, 0)`` for ``"valid"`` and ``in * s`` for ``"same"``.
    """

    rank = 2


# -- depthwise and separable ------------------------------------------------------------------
class BaseDepthwiseConv(Layer):
    """Depthwise convolution (rank 1 or 2): each input channel has ``depth_multiplier`` filters
    of its own."""

    rank = 2

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        rank = self.rank
        self.depth_multiplier = positive(depth_multiplier, who, "depth_multiplier")
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        self.padding = normalize_padding(padding, who)
        self.data_format = normalize_data_format(data_format, who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: `strides > 1` is not supported together with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = registry.get("initializer", depthwise_initializer)
        self.bias_initializer = registry.get("initializer", bias_initializer)
        self.depthwise_regularizer = registry.get("regularizer", depthwise_regularizer)
        self.bias_regularizer = registry.get("regularizer", bias_regularizer)
        self.depthwise_constraint = registry.get("constraint", depthwise_constraint)
        self.bias_constraint = registry.get("constraint", bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    _input_channels = BaseConv._input_channels

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(channels * self.depth_multiplier,),
                initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                constraint=self.bias_constraint)
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        y = conv_ops.depthwise_conv(inputs, self.kernel, strides=self.strides,
                                    padding=self.padding, data_format=self.data_format,
                                    dilation_rate=self.dilation_rate)
        return _bias_activation(y, self.bias, self.activation, self.data_format, self.rank)

    def compute_output_shape(self, input_shape):
        channels = self._input_channels(input_shape)
        spatial = conv_output_spatial(self, input_shape, self.kernel_size, self.strides,
                                      self.padding, self.dilation_rate, self.rank,
                                      self.data_format)
        return _with_spatial(input_shape, self.data_format, spatial,
                             channels * self.depth_multiplier)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": registry.serialize(self.depthwise_initializer),
            "bias_initializer": registry.serialize(self.bias_initializer),
            "depthwise_regularizer": registry.serialize(self.depthwise_regularizer),
            "bias_regularizer": registry.serialize(self.bias_regularizer),
            "activity_regularizer": registry.serialize(self.activity_regularizer),
            "depthwise_constraint": registry.serialize(self.depthwise_constraint),
            "bias_constraint": registry.serialize(self.bias_constraint),
        })
        return cfg


@registry.register("layer")
class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution; kernel ``(kw, in_channels, depth_multiplier)``."""

    rank = 1


@registry.register("layer")
class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution: kernel ``(kh, kw, in_channels, depth_multiplier)``, output
    channel ``c * depth_multiplier + m``; bias ``(in_channels * depth_multiplier,)``."""

    rank = 2


class BaseSeparableConv(Layer):
    """A depthwise convolution followed by a pointwise (1x1) convolution."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        rank = self.rank
        self.filters = positive(filters, who, "filters")
        self.depth_multiplier = positive(depth_multiplier, who, "depth_multiplier")
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", who)
        self.strides = normalize_tuple(strides, rank, "strides", who)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", who)
        self.padding = normalize_padding(padding, who)
        self.data_format = normalize_data_format(data_format, who)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{who}: `strides > 1` is not supported together with `dilation_rate > 1`. "
                f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        get = registry.get
        self.depthwise_initializer = get("initializer", depthwise_initializer)
        self.pointwise_initializer = get("initializer", pointwise_initializer)
        self.bias_initializer = get("initializer", bias_initializer)
        self.depthwise_regularizer = get("regularizer", depthwise_regularizer)
        self.pointwise_regularizer = get("regularizer", pointwise_regularizer)
        self.bias_regularizer = get("regularizer", bias_regularizer)
        self.depthwise_constraint = get("constraint", depthwise_constraint)
        self.pointwise_constraint = get("constraint", pointwise_constraint)
        self.bias_constraint = get("constraint", bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)

    _input_channels = BaseConv._input_channels

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        axis = -1 if self.data_format == "channels_last" else 1
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        y = conv_ops.separable_conv(inputs, self.depthwise_kernel, self.pointwise_kernel,
                                    strides=self.strides, padding=self.padding,
                                    data_format=self.data_format,
                                    dilation_rate=self.dilation_rate)
        return _bias_activation(y, self.bias, self.activation, self.data_format, self.rank)

    def compute_output_shape(self, input_shape):
        self._input_channels(input_shape)
        spatial = conv_output_spatial(self, input_shape, self.kernel_size, self.strides,
                                      self.padding, self.dilation_rate, self.rank,
                                      self.data_format)
        return _with_spatial(input_shape, self.data_format, spatial, self.filters)

    def get_config(self):
        cfg = super().get_config()
        ser = registry.serialize
        cfg.update({
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": ser(self.depthwise_initializer),
            "pointwise_initializer": ser(self.pointwise_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "depthwise_regularizer": ser(self.depthwise_regularizer),
            "pointwise_regularizer": ser(self.pointwise_regularizer),
            "bias_regularizer": ser(self.bias_regularizer),
            "activity_regularizer": ser(self.activity_regularizer),
            "depthwise_constraint": ser(self.depthwise_constraint),
            "pointwise_constraint": ser(self.pointwise_constraint),
            "bias_constraint": ser(self.bias_constraint),
        })
        return cfg


@registry.register("layer", aliases=("SeparableConvolution1D",))
class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution: depthwise ``(kw, in, multiplier)`` then pointwise
    ``(1, in * multiplier, filters)``."""

    rank = 1


@registry.register("layer", aliases=("SeparableConvolution2D",))
class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution. Weights in Keras's order: ``depthwise_kernel`` (kh, kw, in,
    depth_multiplier), ``pointwise_kernel`` (1, 1, in * depth_multiplier, filters), ``bias``."""

    rank = 2


# Keras's long aliases
Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

__all__ = [
    "Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "DepthwiseConv1D",
    "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Convolution1D", "Convolution2D",
    "Convolution1DTranspose", "Convolution2DTranspose", "SeparableConvolution1D",
    "SeparableConvolution2D",
]
