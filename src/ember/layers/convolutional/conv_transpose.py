"""Conv1DTranspose, Conv2DTranspose and Conv3DTranspose: kernel ``(*kernel_size, filters,
in_channels)``."""

from ember import activations, registry
from ember.layers.convolutional._utils import (
    _bias_activation,
    _spatial,
    _with_spatial,
    conv_ops,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    positive,
)
from ember.layers.convolutional.base_conv import BaseConv
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops import volumetric


class BaseConvTranspose(Layer):
    """Transposed convolution (rank 1, 2 or 3); see Conv2DTranspose."""

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
        conv_transpose = (volumetric.conv3d_transpose if self.rank == 3
                          else conv_ops.conv_transpose)
        y = conv_transpose(
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
        # Keras always has the key: None when not given
        cfg["output_padding"] = (None if self.output_padding is None
                                 else list(self.output_padding))
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


@registry.register("layer", aliases=("Convolution3DTranspose",))
class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution (the adjoint of Conv3D), e.g. for volumetric decoders.

    Weights: ``kernel`` (kd, kh, kw, filters, in_channels), ``bias`` (filters,). Output sizes
    as Conv2DTranspose, per axis.
    """

    rank = 3
