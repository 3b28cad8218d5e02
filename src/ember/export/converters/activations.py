"""Activation functions and the activation layers (Activation, ReLU, LeakyReLU, ELU, Softmax,
PReLU) as ONNX ops.

Elementwise activations run on the tensor in whatever layout it has (no transpose); softmax
maps its Keras axis onto the channels-first layout when the tensor is in it.
"""

import math

from ember.export._graph import Value, array_of, layout_perm
from ember.export.converters import register_converter

_SQRT1_2 = 1 / math.sqrt(2)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_GAMMA = 1.0507009873554804934193349852946


def builtin_name(fn):
    """The Keras name of a built-in ember activation function, or None."""
    from ember import activations

    name = getattr(fn, "__name__", None)
    if name and getattr(activations, name, None) is fn:
        return name
    return None


def _mul_sig(g, x, sig_op="Sigmoid"):
    return g.op("Mul", [x, g.op(sig_op, [x])])


def _gelu(g, x, approximate=False):
    if approximate:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.op("Mul", [g.op("Mul", [x, x]), x])
        inner = g.op("Add", [x, g.op("Mul", [x3, g.scalar("c3", 0.044715)])])
        t = g.op("Tanh", [g.op("Mul", [inner, g.scalar("c", math.sqrt(2 / math.pi))])])
    else:  # 0.5 x (1 + erf(x / sqrt(2)))
        t = g.op("Erf", [g.op("Mul", [x, g.scalar("rsqrt2", _SQRT1_2)])])
    one_plus = g.op("Add", [t, g.scalar("one", 1.0)])
    return g.op("Mul", [g.op("Mul", [x, g.scalar("half", 0.5)]), one_plus])


def _softplus(g, x):
    # log(1 + exp(x)) computed as max(x, 0) + log(1 + exp(-|x|)): stable for large |x|
    e = g.op("Exp", [g.op("Neg", [g.op("Abs", [x])])])
    log1p = g.op("Log", [g.op("Add", [e, g.scalar("one", 1.0)])])
    return g.op("Add", [g.op("Relu", [x]), log1p])


_ELEMENTWISE = {
    "relu": lambda g, x: g.op("Relu", [x]),
    "sigmoid": lambda g, x: g.op("Sigmoid", [x]),
    "tanh": lambda g, x: g.op("Tanh", [x]),
    "elu": lambda g, x: g.op("Elu", [x], alpha=1.0),
    "selu": lambda g, x: g.op("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_GAMMA),
    "softplus": _softplus,
    "softsign": lambda g, x: g.op("Softsign", [x]),
    "silu": _mul_sig,
    "swish": _mul_sig,
    "gelu": _gelu,
    "exponential": lambda g, x: g.op("Exp", [x]),
    "hard_sigmoid": lambda g, x: g.op("HardSigmoid", [x], alpha=1 / 6, beta=0.5),
    "hard_silu": lambda g, x: g.op("HardSwish", [x]),
    "hard_swish": lambda g, x: g.op("HardSwish", [x]),
    "mish": lambda g, x: g.op("Mul", [x, g.op("Tanh", [_softplus(g, x)])]),
    "relu6": lambda g, x: g.clip(x, 0.0, 6.0),
    "leaky_relu": lambda g, x: g.op("LeakyRelu", [x], alpha=0.2),
}


def layout_axis(axis, rank, layout):
    """Where Keras axis ``axis`` sits in a tensor of ``rank`` stored in ``layout``."""
    axis = axis % rank
    if layout == "keras":
        return -1 if axis == rank - 1 else axis
    return layout_perm(layout, rank).index(axis)


def softmax(g, value, axis=-1, log=False):
    """``Softmax``/``LogSoftmax`` along Keras axis ``axis`` (axes given as a tuple are
    flattened only when they are the trailing axes)."""
    name, layout = g.same_layout(value)
    op = "LogSoftmax" if log else "Softmax"
    if isinstance(axis, (tuple, list)):
        axes = sorted(a % value.rank for a in axis)
        if len(axes) == 1:
            axis = axes[0]
        else:
            raise g.unsupported(f"softmax over several axes {tuple(axis)}")
    y = g.op(op, [name], axis=layout_axis(axis, value.rank, layout))
    return Value(y, value.shape, layout, mask=value.mask)


def apply_activation(g, fn, value, what="activation"):
    """``fn`` (an ember activation function) applied to ``value``; returns a Value."""
    name = builtin_name(fn)
    if name == "linear":
        return value
    if name in ("softmax", "log_softmax"):
        return softmax(g, value, -1, log=name == "log_softmax")
    if name not in _ELEMENTWISE:
        label = name or getattr(fn, "__name__", repr(fn))
        raise g.unsupported(
            f"{what} {label!r} has no ONNX mapping (supported: linear, softmax, log_softmax, "
            f"{', '.join(sorted(_ELEMENTWISE))})")
    x, layout = g.same_layout(value)
    return Value(_ELEMENTWISE[name](g, x), value.shape, layout, mask=value.mask)


@register_converter("Activation")
def _activation(g, layer, inputs, outputs):
    return apply_activation(g, layer.activation, inputs[0])


@register_converter("ReLU")
def _relu_layer(g, layer, inputs, outputs):
    value = inputs[0]
    x, layout = g.same_layout(value)
    max_value = getattr(layer, "max_value", None)
    slope = float(getattr(layer, "negative_slope", 0.0) or 0.0)
    threshold = float(getattr(layer, "threshold", 0.0) or 0.0)
    if threshold == 0.0:
        y = g.op("LeakyRelu", [x], alpha=slope) if slope else g.op("Relu", [x])
    else:  # x if x >= threshold else slope * (x - threshold)
        t = g.scalar("threshold", threshold)
        below = g.op("Mul", [g.op("Sub", [x, t]), g.scalar("slope", slope)])
        y = g.op("Where", [g.op("Less", [x, t]), below, x])
    if max_value is not None:
        y = g.op("Min", [y, g.scalar("max_value", float(max_value))])
    return Value(y, value.shape, layout, mask=value.mask)


@register_converter("LeakyReLU")
def _leaky_relu(g, layer, inputs, outputs):
    value = inputs[0]
    x, layout = g.same_layout(value)
    alpha = getattr(layer, "negative_slope", getattr(layer, "alpha", 0.3))
    return Value(g.op("LeakyRelu", [x], alpha=float(alpha)), value.shape, layout,
                 mask=value.mask)


@register_converter("ELU")
def _elu(g, layer, inputs, outputs):
    value = inputs[0]
    x, layout = g.same_layout(value)
    return Value(g.op("Elu", [x], alpha=float(getattr(layer, "alpha", 1.0))), value.shape,
                 layout, mask=value.mask)


@register_converter("Softmax")
def _softmax_layer(g, layer, inputs, outputs):
    return softmax(g, inputs[0], getattr(layer, "axis", -1))


@register_converter("PReLU")
def _prelu(g, layer, inputs, outputs):
    value = inputs[0]
    alpha = array_of(layer.alpha)
    # alpha has the input's non-batch shape (size 1 on shared axes): broadcasts in Keras order
    slope = g.const("alpha", alpha)
    return Value(g.op("PRelu", [g.keras(value), slope]), value.shape, "keras", mask=value.mask)
