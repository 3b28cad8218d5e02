"""Preprocessing layers with an arithmetic form: Rescaling and Normalization."""

from ember.backend import np
from ember.export._graph import Value
from ember.export.converters import register_converter


@register_converter("Rescaling", handles_mask=True)
def _rescaling(g, layer, inputs, outputs):
    value = inputs[0]
    scale = np.asarray(layer.scale, dtype=np.float32)
    offset = np.asarray(layer.offset, dtype=np.float32)
    if scale.ndim or offset.ndim:  # per-channel: broadcasts against Keras' last axes
        x, layout = g.keras(value), "keras"
    else:
        x, layout = g.same_layout(value)
    y = g.op("Mul", [x, g.const("scale", scale)])
    if offset.ndim or float(offset) != 0.0:
        y = g.op("Add", [y, g.const("offset", offset)])
    return Value(y, outputs[0].shape, layout, mask=value.mask)


@register_converter("Normalization")
def _normalization(g, layer, inputs, outputs):
    from ember import config

    value = inputs[0]
    if layer.mean is None:
        raise g.unsupported("it has no statistics yet (call adapt(data) or pass mean and "
                            "variance)")
    mean = np.asarray(layer.mean, dtype=np.float32)
    std = np.maximum(np.sqrt(np.asarray(layer.variance, dtype=np.float32)),
                     np.float32(config.epsilon())).astype(np.float32)
    x = g.keras(value)
    if layer.invert:
        y = g.op("Add", [g.op("Mul", [x, g.const("std", std)]), g.const("mean", mean)])
    else:
        y = g.op("Div", [g.op("Sub", [x, g.const("mean", mean)]), g.const("std", std)])
    return Value(y, outputs[0].shape, mask=value.mask)
