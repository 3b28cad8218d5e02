"""Argument checks, output geometry and the bias/activation tail shared by the convolution
layers (and, for the argument checks, the pooling and reshaping layers)."""

import importlib

from ember import activations, config, ops

# the modules (``ember.ops.conv`` is also the name of the function in ``ember.ops``)
conv_ops = importlib.import_module("ember.ops.conv")
norm_ops = importlib.import_module("ember.ops.normalization")


def normalize_tuple(value, n, arg, layer, allow_zero=False):
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, or a ValueError naming the
    layer and the argument."""
    try:
        if isinstance(value, bool):
            raise TypeError
        t = (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)
        if any(isinstance(v, bool) for v in ([] if isinstance(value, int) else value)):
            raise TypeError
    except (TypeError, ValueError):
        t = None
    low = 0 if allow_zero else 1
    if t is None or len(t) != n or any(v < low for v in t):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{layer}: `{arg}` must be an int or a tuple of {n} {kind} ints. "
            f"Received: {arg}={value!r}")
    return t


def normalize_padding(value, layer, allow_causal=False):
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    p = str(value).lower() if isinstance(value, str) else None
    if p not in allowed:
        raise ValueError(
            f"{layer}: `padding` must be one of {', '.join(repr(a) for a in allowed)}. "
            f"Received: padding={value!r}")
    return p


def normalize_data_format(value, layer):
    fmt = config.image_data_format() if value is None else str(value).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{layer}: `data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={value!r}")
    return fmt


def positive(value, layer, arg):
    """A positive int, or a ValueError naming the layer (Keras's message for filters/units)."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not ok and hasattr(value, "__index__") and not isinstance(value, bool):
        try:
            value = int(value.__index__())
            ok = value > 0
        except TypeError:
            ok = False
    if not ok:
        raise ValueError(
            f"{layer}: invalid value for argument `{arg}`; expected a strictly positive integer. "
            f"Received: {arg}={value!r}")
    return value


def fmt_shape(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def _who(layer):
    return f"{type(layer).__name__} '{layer.name}'"


def _spatial(shape, fmt, rank):
    return tuple(shape[1:1 + rank]) if fmt == "channels_last" else tuple(shape[2:2 + rank])


def _channels(shape, fmt):
    return shape[-1] if fmt == "channels_last" else shape[1]


def _with_spatial(shape, fmt, spatial, channels):
    if fmt == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def conv_output_spatial(layer, input_shape, kernel_size, strides, padding, dilation, rank, fmt):
    """Output sizes of a convolution or pooling window, with an error naming the layer and the
    input shape when the (dilated) window does not fit the padded input."""
    out = []
    for size, k, s, d in zip(_spatial(input_shape, fmt, rank), kernel_size, strides, dilation):
        if size is None:
            out.append(None)
            continue
        pad = "valid" if padding == "causal" else padding
        k_eff = (k - 1) * d + 1
        if padding == "causal":
            size = size + k_eff - 1
        o, _ = conv_ops.output_geometry(size, k, s, d, pad)
        if o < 1:
            raise ValueError(
                f"{_who(layer)}: the window {tuple(kernel_size)} (dilation_rate "
                f"{tuple(dilation)}) is larger than the input with padding '{padding}'. "
                f"Received input shape {fmt_shape(input_shape)}")
        out.append(o)
    return tuple(out)


def _bias_activation(y, bias, activation, fmt, rank):
    """``activation(y + bias)`` for ``y`` a convolution op's fresh output. A channels_last
    bias with a linear or ReLU activation is one fused op working in ``y``'s memory (no new
    array forward, one backward, instead of three of each)."""
    relu = activation is activations.relu
    if bias is not None and fmt == "channels_last" and (relu or activation is activations.linear):
        return norm_ops.bias_act(y, bias, relu=relu, inplace=True)
    return activation(_add_bias(y, bias, fmt, rank))


def _add_bias(y, bias, fmt, rank):
    if bias is None:
        return y
    if fmt == "channels_first":
        return ops.add(y, ops.reshape(bias, (bias.shape[0],) + (1,) * rank))
    return ops.add(y, bias)
