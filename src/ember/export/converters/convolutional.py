"""Convolutions: Conv1D/2D (groups, dilation, causal), DepthwiseConv1D/2D, SeparableConv1D/2D,
Conv1DTranspose/2DTranspose as ONNX ``Conv``/``ConvTranspose`` on channels-first tensors.

Keras kernels are ``(k..., in/groups, filters)``; ONNX wants ``(filters, in/groups, k...)``.
``"same"`` padding is TensorFlow's: the odd pixel goes at the end (``SAME_UPPER``).
"""

from ember.export._graph import Value, array_of
from ember.export.converters import register_converter
from ember.export.converters.activations import apply_activation


def spatial_shape(layer, value):
    """The spatial sizes of ``value`` as the layer sees them (None where unknown)."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return value.shape[2:]
    return value.shape[1:-1]


def conv_input(g, layer, value):
    """``value`` in channels-first order (a no-op for data_format='channels_first')."""
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return g.keras(value)
    return g.channels_first(value)


def conv_output(layer, name, shape):
    cf = getattr(layer, "data_format", "channels_last") != "channels_first"
    return Value(name, shape, "cf" if cf else "keras")


def window_attrs(padding, sizes, kernel, strides, dilations):
    """ONNX ``pads`` (or ``auto_pad`` when a size is unknown) for a Keras window: 'valid' ->
    no padding, 'same' -> TensorFlow's (the odd pixel at the end), 'causal' -> all at the
    start."""
    n = len(kernel)
    if padding == "valid":
        return {"pads": [0] * (2 * n)}
    if padding == "causal":
        return {"pads": [(kernel[0] - 1) * dilations[0], 0]}
    if any(s is None for s in sizes):
        return {"auto_pad": "SAME_UPPER"}
    begin, end = [], []
    for size, k, s, d in zip(sizes, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return {"pads": begin + end}


def _rank(layer):
    return len(layer.kernel_size)


def _conv(g, layer, x, weight, bias, sizes, group=1, padding=None, strides=None,
          dilations=None):
    kernel = list(weight.shape[2:])
    strides = list(strides or layer.strides)
    dilations = list(dilations or layer.dilation_rate)
    attrs = window_attrs(padding or layer.padding, sizes, kernel, strides, dilations)
    inputs = [x, g.const("kernel", weight)] + ([g.const("bias", bias)] if bias is not None
                                                else [])
    return g.op("Conv", inputs, kernel_shape=kernel, strides=strides, dilations=dilations,
                group=int(group), **attrs)


@register_converter(("Conv1D", "Conv2D", "Conv3D"))
def _conv_layer(g, layer, inputs, outputs):
    value = inputs[0]
    n = _rank(layer)
    kernel = array_of(layer.kernel)  # (k..., in/groups, filters)
    weight = kernel.transpose((n + 1, n) + tuple(range(n)))
    bias = array_of(layer.bias) if layer.bias is not None else None
    y = _conv(g, layer, conv_input(g, layer, value), weight, bias,
              spatial_shape(layer, value), group=getattr(layer, "groups", 1))
    return apply_activation(g, layer.activation, conv_output(layer, y, outputs[0].shape))


def _depthwise_weight(kernel, n):
    """Keras depthwise ``(k..., C, M)`` -> ONNX ``(C*M, 1, k...)``; output channel c*M + m."""
    c, m = kernel.shape[n], kernel.shape[n + 1]
    w = kernel.reshape(kernel.shape[:n] + (c * m,))
    return w.transpose((n,) + tuple(range(n)))[:, None]


@register_converter(("DepthwiseConv1D", "DepthwiseConv2D"))
def _depthwise(g, layer, inputs, outputs):
    value = inputs[0]
    n = _rank(layer)
    kernel = array_of(layer.kernel)
    bias = array_of(layer.bias) if layer.bias is not None else None
    y = _conv(g, layer, conv_input(g, layer, value), _depthwise_weight(kernel, n), bias,
              spatial_shape(layer, value), group=kernel.shape[n])
    return apply_activation(g, layer.activation, conv_output(layer, y, outputs[0].shape))


@register_converter(("SeparableConv1D", "SeparableConv2D"))
def _separable(g, layer, inputs, outputs):
    value = inputs[0]
    n = _rank(layer)
    depthwise = array_of(layer.depthwise_kernel)
    pointwise = array_of(layer.pointwise_kernel)  # (1..., C*M, filters)
    bias = array_of(layer.bias) if layer.bias is not None else None
    y = _conv(g, layer, conv_input(g, layer, value), _depthwise_weight(depthwise, n), None,
              spatial_shape(layer, value), group=depthwise.shape[n])
    pw = pointwise.reshape(pointwise.shape[n:]).T.reshape(
        (pointwise.shape[-1], pointwise.shape[-2]) + (1,) * n)
    y = _conv(g, layer, y, pw, bias, [None] * n, padding="valid", strides=[1] * n,
              dilations=[1] * n)
    return apply_activation(g, layer.activation, conv_output(layer, y, outputs[0].shape))


@register_converter(("Conv1DTranspose", "Conv2DTranspose"))
def _conv_transpose(g, layer, inputs, outputs):
    from ember.ops.conv import transpose_geometry

    value = inputs[0]
    n = _rank(layer)
    kernel = array_of(layer.kernel)  # (k..., filters, in)
    weight = kernel.transpose((n + 1, n) + tuple(range(n)))  # (in, filters, k...)
    sizes = spatial_shape(layer, value)
    if any(s is None for s in sizes):
        raise g.unsupported(f"the spatial size of its input is unknown {value.shape}; "
                            "ConvTranspose needs it to place the crop")
    pads_begin, pads_end, extra = [], [], []
    for i, size in enumerate(sizes):
        k, s, d = layer.kernel_size[i], layer.strides[i], layer.dilation_rate[i]
        op = None if layer.output_padding is None else layer.output_padding[i]
        out, before = transpose_geometry(size, k, s, d, layer.padding, op)
        full = (size - 1) * s + (k - 1) * d + 1
        pads_begin.append(before)
        pads_end.append(max(full - before - out, 0))
        extra.append(max(before + out - full, 0))  # output beyond the full result: zeros
    x = conv_input(g, layer, value)
    ins = [x, g.const("kernel", weight)]
    if layer.bias is not None:
        ins.append(g.const("bias", array_of(layer.bias)))
    y = g.op("ConvTranspose", ins, kernel_shape=list(layer.kernel_size),
             strides=list(layer.strides), dilations=list(layer.dilation_rate),
             pads=pads_begin + pads_end,
             output_padding=extra if any(extra) else None)
    return apply_activation(g, layer.activation, conv_output(layer, y, outputs[0].shape))

