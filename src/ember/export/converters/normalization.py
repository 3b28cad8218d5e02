"""BatchNormalization (inference form, the moving statistics), LayerNormalization and
UnitNormalization."""

from ember.backend import np
from ember.export._graph import Value, array_of
from ember.export.converters import register_converter
from ember.export.converters.activations import layout_axis


def _broadcast(vector, axis, rank):
    shape = [1] * rank
    shape[axis] = vector.shape[0]
    return vector.reshape(shape)


@register_converter("BatchNormalization", handles_mask=True)
def _batch_norm(g, layer, inputs, outputs):
    # at inference the mask plays no part: it only passes through
    value = inputs[0]
    axis = layer._axis
    channels = value.shape[axis]
    gamma = array_of(layer.gamma) if layer.gamma is not None else np.ones(channels, np.float32)
    beta = array_of(layer.beta) if layer.beta is not None else np.zeros(channels, np.float32)
    mean, var = array_of(layer.moving_mean), array_of(layer.moving_variance)
    x, layout = g.same_layout(value)
    where = layout_axis(axis, value.rank, layout) % value.rank
    if where == 1:  # ONNX normalizes over axis 1: rank-2 data, or NCHW inside a conv block
        y = g.op("BatchNormalization", [x, g.const("gamma", gamma), g.const("beta", beta),
                                        g.const("moving_mean", mean),
                                        g.const("moving_variance", var)],
                 epsilon=float(layer.epsilon))
    else:  # channels elsewhere: fold into y = x * s + t (computed in float64)
        s = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + layer.epsilon)
        t = beta.astype(np.float64) - mean.astype(np.float64) * s
        y = g.op("Mul", [x, g.const("scale", _broadcast(s, where, value.rank))])
        y = g.op("Add", [y, g.const("shift", _broadcast(t, where, value.rank))])
    return Value(y, outputs[0].shape, layout, mask=value.mask)


@register_converter("LayerNormalization")
def _layer_norm(g, layer, inputs, outputs):
    value = inputs[0]
    x = g.keras(value)
    rank = value.rank
    axes = [int(a) for a in layer._norm_axes]
    norm_shape = [value.shape[a] for a in axes]
    bshape = [1] * rank
    for a, d in zip(axes, norm_shape):
        bshape[a] = d
    gamma = array_of(layer.gamma) if layer.gamma is not None else None
    beta = array_of(layer.beta) if layer.beta is not None else None
    eps = float(layer.epsilon)
    trailing = axes == list(range(rank - len(axes), rank))
    if getattr(layer, "rms_scaling", False):  # x * rsqrt(var(x) + eps) * gamma
        mean = g.reduce("ReduceMean", x, axes, True)
        d = g.op("Sub", [x, mean])
        var = g.reduce("ReduceMean", g.op("Mul", [d, d]), axes, True)
        inv = g.op("Sqrt", [g.op("Add", [var, g.scalar("epsilon", eps)])])
        y = g.op("Div", [x, inv])
        if gamma is not None:
            y = g.op("Mul", [y, g.const("gamma", gamma.reshape(bshape))])
    elif trailing:  # the ONNX op (opset 17): normalizes over axes [axis, rank)
        scale = gamma if gamma is not None else np.ones(norm_shape, np.float32)
        ins = [x, g.const("gamma", scale.reshape(norm_shape))]
        if beta is not None:
            ins.append(g.const("beta", beta.reshape(norm_shape)))
        y = g.op("LayerNormalization", ins, axis=axes[0], epsilon=eps)
    else:
        mean = g.reduce("ReduceMean", x, axes, True)
        d = g.op("Sub", [x, mean])
        var = g.reduce("ReduceMean", g.op("Mul", [d, d]), axes, True)
        y = g.op("Div", [d, g.op("Sqrt", [g.op("Add", [var, g.scalar("epsilon", eps)])])])
        if gamma is not None:
            y = g.op("Mul", [y, g.const("gamma", gamma.reshape(bshape))])
        if beta is not None:
            y = g.op("Add", [y, g.const("beta", beta.reshape(bshape))])
    return Value(y, outputs[0].shape, mask=value.mask)


@register_converter("UnitNormalization")
def _unit_norm(g, layer, inputs, outputs):
    value = inputs[0]
    axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
    x, layout = g.same_layout(value)
    axes = [layout_axis(a, value.rank, layout) % value.rank for a in axes]
    square_sum = g.reduce("ReduceSum", g.op("Mul", [x, x]), axes, True)
    norm = g.op("Sqrt", [g.op("Max", [square_sum, g.scalar("tiny", 1e-24)])])
    return Value(g.op("Div", [x, norm]), outputs[0].shape, layout, mask=value.mask)
