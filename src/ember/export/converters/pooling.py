"""Pooling: MaxPooling1D/2D, AveragePooling1D/2D (``count_include_pad=0``: Keras' "same"
averages leave padded cells out) and the global poolings as ``Reduce*`` in the tensor's
current layout (no transpose)."""

from ember.export._graph import Value
from ember.export.converters import register_converter
from ember.export.converters.activations import layout_axis
from ember.export.converters.convolutional import (
    conv_input,
    conv_output,
    spatial_shape,
    window_attrs,
)


def _pool(g, layer, inputs, outputs, op_type, **extra):
    value = inputs[0]
    n = len(layer.pool_size)
    attrs = window_attrs(layer.padding, spatial_shape(layer, value), list(layer.pool_size),
                         list(layer.strides), [1] * n)
    y = g.op(op_type, [conv_input(g, layer, value)], kernel_shape=list(layer.pool_size),
             strides=list(layer.strides), ceil_mode=0, **attrs, **extra)
    return conv_output(layer, y, outputs[0].shape)


@register_converter(("MaxPooling1D", "MaxPooling2D", "MaxPooling3D"))
def _max_pool(g, layer, inputs, outputs):
    return _pool(g, layer, inputs, outputs, "MaxPool")


@register_converter(("AveragePooling1D", "AveragePooling2D", "AveragePooling3D"))
def _avg_pool(g, layer, inputs, outputs):
    return _pool(g, layer, inputs, outputs, "AveragePool", count_include_pad=0)


def _keras_spatial_axes(layer, rank):
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        return list(range(2, rank))
    return list(range(1, rank - 1))


@register_converter(("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                     "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                     "GlobalAveragePooling3D"), handles_mask=True)
def _global_pool(g, layer, inputs, outputs):
    value = inputs[0]
    keepdims = bool(getattr(layer, "keepdims", False))
    is_max = type(layer).__name__.startswith("GlobalMax")
    if value.mask is not None:
        if is_max or value.rank != 3:
            raise g.unsupported("masked input (only GlobalAveragePooling1D exports a mask)")
        return _masked_average(g, layer, value, outputs, keepdims)
    x, layout = g.same_layout(value)
    axes = [layout_axis(a, value.rank, layout) for a in _keras_spatial_axes(layer, value.rank)]
    axes = [a % value.rank for a in axes]
    y = g.reduce("ReduceMax" if is_max else "ReduceMean", x, axes, keepdims)
    return Value(y, outputs[0].shape, layout if keepdims else "keras")


def _masked_average(g, layer, value, outputs, keepdims):
    """Mean over the unmasked steps: ``sum(x * m) / max(sum(m), 1)``."""
    from onnx import TensorProto

    x = g.keras(value)
    steps_axis = 1 if getattr(layer, "data_format", "channels_last") == "channels_last" else 2
    feature_axis = 2 if steps_axis == 1 else 1
    m = g.unsqueeze(g.op("Cast", [value.mask], to=TensorProto.FLOAT), [feature_axis])
    count = g.op("Max", [g.reduce("ReduceSum", m, [steps_axis], True), g.scalar("one", 1.0)])
    weights = g.op("Div", [m, count])
    y = g.reduce("ReduceSum", g.op("Mul", [x, weights]), [steps_axis], keepdims)
    return Value(y, outputs[0].shape)
