"""Recurrent layers: SimpleRNN, LSTM, GRU (``RNN``/``LSTM``/``GRU`` ops) and Bidirectional
around them; TimeDistributed around any exportable layer.

The ONNX ops are time-major (``layout=0``; ONNX Runtime refuses ``layout=1``), so the input
goes through ``Transpose(1, 0, 2)``. Gate blocks: Keras LSTM ``i, f, c, o`` -> ONNX
``i, o, f, c``; GRU ``z, r, h`` in both (no reorder), ``linear_before_reset = reset_after``.
Masked input (Keras skips masked steps), stateful layers and initial states are refused.
"""

from ember.backend import np
from ember.export._graph import Value, array_of
from ember.export.converters import find_converter, register_converter
from ember.export.converters.activations import builtin_name

# Keras activation -> (ONNX activation name, alpha, beta)
_ACTIVATIONS = {
    "sigmoid": ("Sigmoid", None, None),
    "tanh": ("Tanh", None, None),
    "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1 / 6, 0.5),
}
_INT64_MIN = -(2**63)


def _cell(layer):
    return getattr(layer, "cell", layer)


def _activation(g, fn, what):
    name = builtin_name(fn)
    if name not in _ACTIVATIONS:
        label = name or getattr(fn, "__name__", repr(fn))
        raise g.unsupported(f"{what}={label!r} has no ONNX recurrent form (supported: "
                            f"{', '.join(sorted(_ACTIVATIONS))})")
    return _ACTIVATIONS[name]


def _activation_attrs(g, acts):
    """``activations`` plus the ``activation_alpha``/``activation_beta`` lists, consumed in
    order by the activations that take them."""
    names = [a[0] for a in acts]
    alphas = [float(a[1]) for a in acts if a[1] is not None]
    betas = [float(a[2]) for a in acts if a[2] is not None]
    attrs = {"activations": names}
    if alphas:
        attrs["activation_alpha"] = alphas
        attrs["activation_beta"] = betas
    return attrs


def _check_layer(g, layer):
    if getattr(layer, "stateful", False):
        raise g.unsupported("stateful=True: the carried state has no place in an ONNX graph")


def _blocks(a, order, units):
    """The column blocks of ``a`` (each ``units`` wide) in ``order``."""
    return np.concatenate([a[..., i * units:(i + 1) * units] for i in order], axis=-1)


def _weights(layer, kind):
    """``(W, R, B, attrs)`` of one direction: ONNX layouts without the direction axis."""
    cell = _cell(layer)
    units = int(cell.units)
    kernel, recurrent = array_of(cell.kernel), array_of(cell.recurrent_kernel)
    bias = array_of(cell.bias) if getattr(cell, "bias", None) is not None else None
    attrs = {}
    if kind == "LSTM":
        order = (0, 3, 1, 2)  # Keras i, f, c, o -> ONNX i, o, f, c
        kernel, recurrent = _blocks(kernel, order, units), _blocks(recurrent, order, units)
        if bias is not None:
            bias = np.concatenate([_blocks(bias, order, units), np.zeros(4 * units, np.float32)])
    elif kind == "GRU":
        reset_after = bool(getattr(cell, "reset_after", True))
        attrs["linear_before_reset"] = int(reset_after)
        if bias is not None:
            if reset_after:  # (2, 3u): input bias, recurrent bias
                bias = bias.reshape(2, 3 * units).reshape(-1)
            else:
                bias = np.concatenate([bias.reshape(-1), np.zeros(3 * units, np.float32)])
    elif bias is not None:  # SimpleRNN
        bias = np.concatenate([bias, np.zeros(units, np.float32)])
    return kernel.T, recurrent.T, bias, attrs


def _direction_activations(g, layer, kind):
    cell = _cell(layer)
    act = _activation(g, cell.activation, "activation")
    if kind == "RNN":
        return [act]
    rec = _activation(g, cell.recurrent_activation, "recurrent_activation")
    return [rec, act, act] if kind == "LSTM" else [rec, act]


def _run(g, kind, x, layers_, direction):
    """Emit the recurrent op over time-major ``x`` for one or two layers; returns its
    outputs ``[Y, Y_h(, Y_c)]`` and the number of directions."""
    parts = [_weights(layer, kind) for layer in layers_]
    acts = []
    for layer in layers_:
        acts += _direction_activations(g, layer, kind)
    W = g.const("W", np.stack([p[0] for p in parts]))
    R = g.const("R", np.stack([p[1] for p in parts]))
    ins = [x, W, R]
    if all(p[2] is not None for p in parts):
        ins.append(g.const("B", np.stack([p[2] for p in parts])))
    elif any(p[2] is not None for p in parts):
        raise g.unsupported("one direction has a bias and the other has not")
    units = int(_cell(layers_[0]).units)
    n_out = 3 if kind == "LSTM" else 2
    outs = g.op(kind, ins, outputs=n_out, hidden_size=units, direction=direction,
                **parts[0][3], **_activation_attrs(g, acts))
    return outs


def _time_major(g, value):
    if value.is_int:
        return g.transpose(g.keras(value), (1, 0, 2))
    return g.in_layout(value, "tm")


def _reverse_time(g, y, axis):
    """``y`` reversed along ``axis`` (Slice with step -1)."""
    return g.op("Slice", [y, g.ints("starts", [-1]), g.ints("ends", [_INT64_MIN]),
                          g.ints("axes", [axis]), g.ints("steps", [-1])])


def _unidirectional(kind):
    def convert(g, layer, inputs, outputs):
        _check_layer(g, layer)
        value = inputs[0]
        backwards = bool(getattr(layer, "go_backwards", False))
        outs = _run(g, kind, _time_major(g, value), [layer],
                    "reverse" if backwards else "forward")
        y, states = outs[0], outs[1:]
        if layer.return_sequences:  # stays time-major (T, B, H) for a next recurrent layer
            y = g.squeeze(y, [1])
            if backwards:  # Keras returns the outputs in processing order (last step first)
                y = _reverse_time(g, y, 0)
            result = [Value(y, outputs[0].shape, "tm")]
        else:
            result = [Value(g.squeeze(states[0], [0]), outputs[0].shape)]
        if getattr(layer, "return_state", False):
            for i, s in enumerate(states):
                result.append(Value(g.squeeze(s, [0]), outputs[1 + i].shape))
        return result

    return convert


register_converter("SimpleRNN")(_unidirectional("RNN"))
register_converter("LSTM")(_unidirectional("LSTM"))
register_converter("GRU")(_unidirectional("GRU"))

_KINDS = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
_CELL_KINDS = {"SimpleRNNCell": "RNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}


@register_converter("RNN")
def _generic_rnn(g, layer, inputs, outputs):
    """``RNN(cell)`` around a built-in cell (exact class): as the matching layer."""
    cell = layer.cell
    kind = _CELL_KINDS.get(type(cell).__name__)
    if kind is None or not type(cell).__module__.startswith("ember."):
        raise g.unsupported(f"its cell {type(cell).__name__} is not SimpleRNNCell, LSTMCell or "
                            "GRUCell (a custom cell's Python code has no ONNX form)")
    return _unidirectional(kind)(g, layer, inputs, outputs)


@register_converter("Bidirectional")
def _bidirectional(g, layer, inputs, outputs):
    fw, bw = layer.forward_layer, layer.backward_layer
    kind = _KINDS.get(type(fw).__name__)
    if kind is None or type(bw).__name__ != type(fw).__name__:
        raise g.unsupported(f"it wraps {type(fw).__name__}/{type(bw).__name__}; only "
                            "SimpleRNN, LSTM and GRU (the same in both directions) export")
    for sub in (fw, bw):
        _check_layer(g, sub)
    if getattr(fw, "go_backwards", False) or not getattr(bw, "go_backwards", True):
        raise g.unsupported("its forward layer runs backwards (or its backward layer forwards)")
    if kind == "GRU" and bool(getattr(_cell(fw), "reset_after", True)) != bool(
            getattr(_cell(bw), "reset_after", True)):
        raise g.unsupported("the two GRUs differ in reset_after")
    if int(_cell(fw).units) != int(_cell(bw).units):
        raise g.unsupported("the two directions have different units")
    value = inputs[0]
    outs = _run(g, kind, _time_major(g, value), [fw, bw], "bidirectional")
    y, states = outs[0], outs[1:]
    mode = layer.merge_mode
    if fw.return_sequences:  # ONNX aligns the backward outputs in time, as Keras' flip
        y = g.transpose(y, (0, 2, 1, 3))  # (T, 2, B, H) -> (T, B, 2, H), stays time-major
        split_axis, layout = 2, "tm"
    else:
        y = g.transpose(states[0], (1, 0, 2))  # (2, B, H) -> (B, 2, H)
        split_axis, layout = 1, "keras"
    if mode == "concat":
        merged = [g.reshape(y, [0] * split_axis + [-1])]
    elif mode in ("sum", "ave", "mul"):
        op = {"sum": "ReduceSum", "ave": "ReduceMean", "mul": "ReduceProd"}[mode]
        merged = [g.reduce(op, y, [split_axis], False)]
    elif mode is None:
        merged = [g.squeeze(part, [split_axis])
                  for part in g.op("Split", [y, g.ints("split", [1, 1])], outputs=2,
                                   axis=split_axis)]
    else:
        raise g.unsupported(f"merge_mode={mode!r}")
    result = [Value(name, spec.shape, layout) for name, spec in zip(merged, outputs)]
    if getattr(layer, "return_state", False):
        # Keras: forward states then backward states, each (B, H)
        for direction in (0, 1):
            for s in states:
                result.append(g.squeeze(g.op("Gather", [s, g.ints("direction", [direction])],
                                             axis=0), [0]))
        result = result[:len(merged)] + [Value(n, spec.shape) for n, spec in
                                         zip(result[len(merged):], outputs[len(merged):])]
    return result


@register_converter("TimeDistributed")
def _time_distributed(g, layer, inputs, outputs):
    from ember.layers.node import KerasTensor

    inner = layer.layer
    value = inputs[0]
    fn = find_converter(inner)
    if fn is None:
        raise g.unsupported(f"the wrapped {type(inner).__name__} has no ONNX converter")
    inner_shape = tuple(value.shape[2:])
    if any(d is None for d in inner_shape):
        raise g.unsupported(f"the per-step shape {inner_shape} must be fully known")
    x = g.keras(value)
    # (B, T, ...) -> (B*T, ...) -> inner layer -> (B, T, ...)
    folded = Value(g.reshape(x, [-1] + list(inner_shape)), (None,) + inner_shape)
    spec = inner.compute_output_spec(KerasTensor((None,) + inner_shape))
    out = fn(g, inner, [folded], [spec])
    out = out[0] if isinstance(out, (list, tuple)) else out
    batch_steps = g.op("Slice", [g.op("Shape", [x]), g.ints("starts", [0]), g.ints("ends", [2])])
    target = g.op("Concat", [batch_steps, g.ints("inner", list(spec.shape[1:]))], axis=0)
    y = g.op("Reshape", [g.keras(out), target])
    return Value(y, outputs[0].shape)
