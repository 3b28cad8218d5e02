"""Depthwise and separable convolutions: DepthwiseConv1D/2D (kernel ``(kh, kw, in_channels,
depth_multiplier)``) and SeparableConv1D/2D (``depthwise_kernel``, ``pointwise_kernel``,
``bias``)."""

from ember import activations, registry
from ember.layers.convolutional._utils import (
    _bias_activation,
    _with_spatial,
    conv_ops,
    conv_output_spatial,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    positive,
)
from ember.layers.convolutional.base_conv import BaseConv
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer


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
