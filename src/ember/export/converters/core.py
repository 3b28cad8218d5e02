"""Core layers: Dense, Flatten, Reshape, Permute, RepeatVector, Dropout and the other layers
that are the identity at inference."""

from ember.export._graph import Value, array_of, to_cl_perm
from ember.export.converters import register_converter
from ember.export.converters.activations import apply_activation


@register_converter("Dense")
def _dense(g, layer, inputs, outputs):
    value = inputs[0]
    x = g.keras(value)
    kernel = g.const("kernel", array_of(layer.kernel))  # (in, units), used as-is
    bias = g.const("bias", array_of(layer.bias)) if layer.bias is not None else None
    if value.rank == 2:
        y = g.op("Gemm", [x, kernel] + ([bias] if bias else []), alpha=1.0, beta=1.0,
                 transA=0, transB=0)
    else:  # Gemm needs a 2-D A: Dense acts on the last axis
        y = g.op("MatMul", [x, kernel])
        if bias:
            y = g.op("Add", [y, bias])
    out = Value(y, outputs[0].shape, "keras", mask=value.mask)
    return apply_activation(g, layer.activation, out)


_IDENTITY = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
             "GaussianDropout", "GaussianNoise", "AlphaDropout", "ActivityRegularization",
             "InputLayer")


@register_converter(_IDENTITY)
def _identity(g, layer, inputs, outputs):
    return inputs[0]  # training-only behaviour: nothing to emit at inference


@register_converter("Flatten")
def _flatten(g, layer, inputs, outputs):
    value = inputs[0]
    if value.rank == 1:
        return Value(g.unsqueeze(g.keras(value), [1]), outputs[0].shape)
    if value.rank == 2:
        return value
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        # Keras moves the channels (axis 1) last before flattening
        x = g.transpose(g.keras(value), to_cl_perm(value.rank))
    else:  # Keras order (H, W, C with C fastest) is what the next Dense's rows expect
        x = g.keras(value)
    return Value(g.op("Flatten", [x], axis=1), outputs[0].shape)


@register_converter("Reshape")
def _reshape(g, layer, inputs, outputs):
    value = inputs[0]
    target = [(-1 if d is None else int(d)) for d in outputs[0].shape[1:]]
    if target.count(-1) > 1:
        target = [int(d) for d in layer.target_shape]
    if target.count(-1) > 1:
        raise g.unsupported(f"target_shape {tuple(layer.target_shape)} leaves more than one "
                            "dimension unknown")
    y = g.reshape(g.keras(value), [0] + target)  # 0: copy the batch size
    return Value(y, outputs[0].shape)


@register_converter("Permute")
def _permute(g, layer, inputs, outputs):
    value = inputs[0]
    y = g.transpose(g.keras(value), (0,) + tuple(layer.dims))
    return Value(y, outputs[0].shape)


@register_converter("RepeatVector")
def _repeat_vector(g, layer, inputs, outputs):
    x = g.unsqueeze(g.keras(inputs[0]), [1])
    y = g.op("Tile", [x, g.ints("repeats", [1, int(layer.n), 1])])
    return Value(y, outputs[0].shape)
