"""Convolution layers: Conv1D/2D/3D, DepthwiseConv1D/2D, SeparableConv1D/2D,
Conv1DTranspose/2DTranspose/3DTranspose.

Arguments, defaults, weight names, shapes and order, and ``get_config`` keys are Keras 3's:
a Conv2D kernel is ``(kh, kw, in_channels / groups, filters)``, a transposed one
``(kh, kw, filters, in_channels)``, a depthwise one ``(kh, kw, in_channels, depth_multiplier)``.
The arithmetic is :mod:`ember.ops.conv` (one GEMM per convolution, channels_last inside).
"""

from ember.layers.convolutional._utils import (  # noqa: F401 - shared with other families
    _bias_activation,
    _channels,
    _spatial,
    _with_spatial,
    conv_output_spatial,
    fmt_shape,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    positive,
)
from ember.layers.convolutional.base_conv import BaseConv, Conv1D, Conv2D, Conv3D
from ember.layers.convolutional.conv_transpose import (
    BaseConvTranspose,
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from ember.layers.convolutional.depthwise import (
    BaseDepthwiseConv,
    BaseSeparableConv,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)

# Keras's long aliases
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

__all__ = [
    "Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "DepthwiseConv1D",
    "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Convolution1D", "Convolution2D",
    "Convolution1DTranspose", "Convolution2DTranspose", "SeparableConvolution1D",
    "SeparableConvolution2D", "Conv3D", "Conv3DTranspose", "Convolution3D",
    "Convolution3DTranspose",
]
