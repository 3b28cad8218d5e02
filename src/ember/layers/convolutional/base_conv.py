"""Conv1D, Conv2D and Conv3D (and their base): kernel ``(*kernel_size, in_channels / groups,
filters)``."""

from ember import activations, ops, registry
from ember.layers.convolutional._utils import (
    _bias_activation,
    _channels,
    _who,
    _with_spatial,
    conv_ops,
    conv_output_spatial,
    fmt_shape,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    positive,
)
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops import volumetric


class BaseConv(Layer):
    """N-D convolution (rank 1, 2 or 3); see Conv1D / Conv2D / Conv3D."""

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
        conv = volumetric.conv3d if self.rank == 3 else conv_ops.conv
        return conv(x, kernel, strides=self.strides, padding=padding,
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


@registry.register("layer", aliases=("Convolution3D",))
class Conv3D(BaseConv):
    """3D convolution over ``(batch, depth, height, width, channels)`` (e.g. video or volumes).

    Same arguments as Conv2D, with triples. Weights: ``kernel`` (kd, kh, kw,
    in_channels // groups, filters), ``bias`` (filters,). The arithmetic is
    :func:`ember.ops.volumetric.conv3d` (a sum over the kernel's depth of 2D convolutions).

    Example:
        >>> Conv3D(8, 3)(np.zeros((2, 10, 16, 16, 1))).shape   # (2, 8, 14, 14, 8)
    """

    rank = 3
