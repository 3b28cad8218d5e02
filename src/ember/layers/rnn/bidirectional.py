"""Bidirectional: runs a recurrent layer forwards and a copy of it backwards, and merges."""

from ember import ops, registry
from ember.layers.layer import Layer
from ember.layers.rnn.rnn import build_inside

_MODES = ("sum", "mul", "ave", "concat", None)


def _removeprefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


def _clone(layer, name, go_backwards=None):
    envelope = registry.serialize(layer)
    envelope["config"]["name"] = name
    if go_backwards is not None:
        envelope["config"]["go_backwards"] = go_backwards
    return registry.deserialize(envelope, kind="layer")


@registry.register("layer")
class Bidirectional(Layer):
    """Bidirectional wrapper for RNNs, as Keras 3.

    The forward layer is a copy of ``layer`` named ``forward_<name>``; the backward layer is
    a copy with ``go_backwards`` flipped named ``backward_<name>`` (or ``backward_layer``).
    With ``return_sequences`` the backward outputs are flipped back in time before merging,
    and both layers output zeros at masked steps.

    Args:
        layer: an RNN layer (LSTM, GRU, SimpleRNN or RNN).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or None (a list of
            both outputs).
        backward_layer: an optional RNN layer for the backward direction.

    Weights: the forward layer's, then the backward layer's.

    Example:
        >>> Bidirectional(LSTM(8))(np.zeros((4, 10, 3))).shape    # (4, 16)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(
                "Bidirectional: `layer` must be a recurrent layer instance (LSTM, GRU, "
                f"SimpleRNN, RNN). Received: layer={layer!r}")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional: `backward_layer` must be a layer instance. Received: "
                f"backward_layer={backward_layer!r}")
        if merge_mode not in _MODES:
            raise ValueError(
                f"Bidirectional: invalid merge_mode {merge_mode!r}; expected one of "
                "'sum', 'mul', 'ave', 'concat' or None.")
        super().__init__(**kwargs)
        self.forward_layer = _clone(layer, "forward_" + _removeprefix(layer.name, "forward_"))
        if backward_layer is None:
            self.backward_layer = _clone(
                layer, "backward_" + _removeprefix(layer.name, "backward_"),
                go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        self._verify()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        if weights:
            n = len(weights)
            self.forward_layer._initial_weights = weights[:n // 2]
            self.backward_layer._initial_weights = weights[n // 2:]
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify(self):
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different "
                f"`go_backwards` values. Received: forward go_backwards={f.go_backwards}, "
                f"backward go_backwards={b.go_backwards}")
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(f, attr) != getattr(b, attr):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same "
                    f"`{attr}`. Received {getattr(f, attr)} and {getattr(b, attr)}")

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                build_inside(self, sub, sequences_shape)
        self.built = True

    def call(self, sequences, initial_state=None, mask=None, training=None):
        fwd_state = bwd_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            fwd_state, bwd_state = list(initial_state[:half]), list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=fwd_state, mask=mask, training=training)
        y_rev = self.backward_layer(sequences, initial_state=bwd_state, mask=mask,
                                    training=training)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        if self.merge_mode == "concat":
            out = ops.concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = ops.add(y, y_rev)
        elif self.merge_mode == "ave":
            out = ops.multiply(ops.add(y, y_rev), 0.5)
        elif self.merge_mode == "mul":
            out = ops.multiply(y, y_rev)
        else:
            out = (y, y_rev)
        if self.return_state:
            return (out + states) if self.merge_mode is None else (out,) + states
        return out

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = tuple(shape[:-1]) + (None if shape[-1] is None else 2 * shape[-1],)
        elif self.merge_mode is None:
            shape = (tuple(shape), tuple(shape))
        if self.return_state:
            if self.merge_mode is None:
                return shape + states + states
            return (tuple(shape),) + states + states
        return shape if self.merge_mode is None else tuple(shape)

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if self.return_sequences:
            out = (mask, mask) if not self.merge_mode else mask
        else:
            out = (None, None) if not self.merge_mode else None
        if self.return_state:
            n = len(self.forward_layer.compute_output_shape((None, None, 1))) - 1
            extra = (None,) * (2 * n)
            return (tuple(out) if isinstance(out, tuple) else (out,)) + extra
        return out

    def get_config(self):
        cfg = super().get_config()
        cfg["merge_mode"] = self.merge_mode
        cfg["layer"] = registry.serialize(self.forward_layer)
        cfg["backward_layer"] = registry.serialize(self.backward_layer)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        import copy

        config = copy.deepcopy(config)
        config["layer"] = registry.deserialize(config["layer"], custom_objects=custom_objects,
                                               kind="layer")
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = registry.deserialize(
                backward, custom_objects=custom_objects, kind="layer")
        if "dtype" in config:
            from ember import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])  # keeps a mixed policy
        return cls(**config)


__all__ = ["Bidirectional"]
