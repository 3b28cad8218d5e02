"""RNN: runs a cell over the time axis of ``(batch, steps, features)`` inputs.

For the built-in cells (with activations the fused op knows) the whole sequence is ONE
fused op of :mod:`ember.ops.rnn`: one input-projection GEMM, one recurrent GEMM per step,
backpropagation through time inside the op. Any other cell runs step by step through its
``call`` (ordinary ops on the tape).

Keras semantics kept: ``return_sequences``, ``return_state`` (``output, *states``),
``go_backwards`` (the output sequence is in processing order, i.e. reversed), masks (a
masked step keeps the previous state and repeats the previous output, or outputs zeros with
``zero_output_for_mask``), ``initial_state``, ``stateful``, dropout masks fixed for a
sequence.
"""

from ember import ops, registry
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.layers.convolutional import fmt_shape
from ember.layers.layer import Layer
from ember.ops._helpers import raw
from ember.ops.rnn import rnn_sequence


def _mask_array(mask):
    if isinstance(mask, (list, tuple)):
        mask = mask[0] if mask else None
    if mask is None:
        return None
    return xp.asarray(raw(mask)).astype(bool)


def _state_sizes(cell):
    """The cell's state sizes, flat (a StackedRNNCells' nested ``[[u, u], v]`` gives
    ``[u, u, v]``): the RNN keeps its states as a flat list."""
    return _flatten(cell.state_size)


def _flatten(value):
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _skeleton(value):
    """The list nesting of ``value``, its leaves replaced by None (kept, not the tensors)."""
    if isinstance(value, (list, tuple)):
        return [_skeleton(v) for v in value]
    return None


def _pack(structure, flat):
    """``flat`` (a list) laid out as the top level of ``structure`` (a cell's state_size or
    its initial states): a nested entry takes a list of its length, any other entry one item.
    A flat ``structure`` gives ``flat`` back."""
    if not isinstance(structure, (list, tuple)):
        return flat
    out, i = [], 0
    for entry in structure:
        if isinstance(entry, (list, tuple)):
            n = len(_flatten(entry))
            out.append(list(flat[i:i + n]))
            i += n
        else:
            out.append(flat[i])
            i += 1
    return out



def build_inside(parent, sub, input_shape):
    """Build ``sub`` as part of ``parent``'s build. The weights it creates get paths under
    ``parent``'s name (``lstm/lstm_cell/kernel``), as Keras's build-time name scopes give them;
    weights of a ``sub`` that was built before keep their paths, as in Keras."""
    before = {id(w) for w in sub.weights}
    sub._maybe_build(input_shape)
    for w in sub.weights:
        if id(w) not in before:
            w.path = f"{parent.name}/{w.path}"

@registry.register("layer")
class RNN(Layer):
    """Base class for recurrent layers, and the wrapper for any cell: ``RNN(LSTMCell(8))``.

    Args:
        cell: an RNN cell (a Layer with ``call(inputs, states, training)`` returning
            ``(output, new_states)`` and a ``state_size``).
        return_sequences: return the output of every step (batch, steps, units) instead of
            the last one (batch, units).
        return_state: also return the final states: ``output, *states``.
        go_backwards: process the sequence from its end.
        stateful: keep the final states as the next call's initial states.
        unroll: accepted for compatibility (the fused loop needs no unrolling).
        zero_output_for_mask: masked steps output zeros instead of the previous output.
    """

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            from ember.layers.rnn.stacked_rnn_cells import StackedRNNCells

            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(
                "RNN: `cell` must have a `call` method and a `state_size` attribute. "
                f"Received: cell={cell!r}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None

    # -- shapes -----------------------------------------------------------------------------------
    def _check_input(self, shape):
        if len(shape) != 3:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects inputs of rank 3 (batch, steps, "
                f"features). Received input shape {fmt_shape(shape)}")

    def build(self, sequences_shape, initial_state_shape=None):
        self._check_input(sequences_shape)
        if isinstance(self.cell, Layer) and not self.cell.built:
            build_inside(self, self.cell, (sequences_shape[0],) + tuple(sequences_shape[2:]))
        self.built = True

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        self._check_input(sequences_shape)
        batch, steps = sequences_shape[0], sequences_shape[1]
        units = getattr(self.cell, "output_size", None) or _state_sizes(self.cell)[0]
        out = (batch, steps, units) if self.return_sequences else (batch, units)
        if self.return_state:
            shapes = [(batch, s) for s in _state_sizes(self.cell)]
            return (out,) + tuple(_pack(self.cell.state_size, shapes))
        return out

    def compute_mask(self, inputs, mask=None):
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        out = mask if self.return_sequences else None
        if self.return_state:
            sizes = self.cell.state_size
            return [out] + [None] * (len(sizes) if isinstance(sizes, (list, tuple)) else 1)
        return out

    # -- state ------------------------------------------------------------------------------------
    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            states = fn(batch_size=batch_size)
            self._state_layout = _skeleton(states)  # the nesting return_state hands back
            return _flatten(states)
        self._state_layout = self.cell.state_size
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype)
                for d in _state_sizes(self.cell)]

    def reset_state(self):
        if self.states is not None:
            self.states = [xp.zeros_like(s) for s in self.states]

    reset_states = reset_state

    def _initial_states(self, x, initial_state):
        batch = x.shape[0]
        if initial_state is None:
            if self.stateful and self.states is not None:
                if self.states[0].shape[0] != batch:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}' is stateful with batch size "
                        f"{self.states[0].shape[0]}; received input shape {fmt_shape(x.shape)}")
                return [Tensor(s) for s in self.states]
            return self.get_initial_state(batch)
        states = _flatten(initial_state)
        self._state_layout = _skeleton(initial_state)
        sizes = _state_sizes(self.cell)
        if len(states) != len(sizes):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {len(sizes)} initial state(s); "
                f"received {len(states)}")
        out = []
        for s, d in zip(states, sizes):
            s = s if isinstance(s, Tensor) else Tensor(xp.asarray(s, dtype=self.compute_dtype))
            if tuple(s.shape) != (batch, d):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': an initial state must have shape "
                    f"{(batch, d)}; received {fmt_shape(s.shape)}")
            if s.dtype != x.dtype:
                s = ops.cast(s, x.dtype)
            out.append(s)
        return out

    # -- computation ------------------------------------------------------------------------------
    def call(self, sequences, initial_state=None, mask=None, training=False):
        x = sequences
        self._check_input(x.shape)
        mask = _mask_array(mask)
        if mask is not None and mask.shape != tuple(x.shape[:2]):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the mask of shape {mask.shape} does not "
                f"match the input of shape {fmt_shape(x.shape)} (expected (batch, steps))")
        states = self._initial_states(x, initial_state)
        cell = self.cell
        dmask = rmask = None
        if training and hasattr(cell, "make_dropout_masks"):
            dmask, rmask = cell.make_dropout_masks(x.shape[0], x.shape[2], x.dtype)
        fused = cell.fused_activations() if hasattr(cell, "fused_activations") else None
        try:
            if fused is not None:
                output, new_states = self._fused(x, states, mask, dmask, rmask, fused)
            else:
                output, new_states = self._stepwise(x, states, mask, training)
        finally:
            if hasattr(cell, "reset_dropout_masks"):
                cell.reset_dropout_masks()
        if self.stateful:
            self.states = [xp.array(raw(s)) for s in new_states]
        if self.return_state:
            return (output, *_pack(self.__dict__.get("_state_layout"), list(new_states)))
        return output

    def _fused(self, x, states, mask, dmask, rmask, acts):
        cell = self.cell
        want_states = self.return_state or self.stateful
        if dmask is not None:
            x = ops.multiply(x, dmask[:, None, :])
        y = rnn_sequence(
            cell.kind, x, states, cell.kernel, cell.recurrent_kernel, cell.bias,
            units=cell.units, activation=acts[0], recurrent_activation=acts[1], mask=mask,
            recurrent_mask=rmask, go_backwards=self.go_backwards,
            return_sequences=self.return_sequences, return_state=want_states,
            zero_output_for_mask=self.zero_output_for_mask,
            reset_after=getattr(cell, "reset_after", True))
        if not want_states:
            return y, []
        t_out = x.shape[1] if self.return_sequences else 1
        output = y[:, :t_out] if self.return_sequences else y[:, 0]
        new_states = [y[:, t_out + i] for i in range(len(states))]
        return output, new_states

    def _stepwise(self, x, states, mask, training):
        """Any cell: one ``cell.call`` per step on the tape."""
        cell = self.cell
        steps = x.shape[1]
        kwargs = {"training": training}
        outputs, prev = [], None
        single = not isinstance(cell.state_size, (list, tuple))
        layout = self.__dict__.get("_state_layout")
        for k in range(steps):
            t = steps - 1 - k if self.go_backwards else k
            out, new = cell.call(x[:, t], states[0] if single else _pack(layout, states),
                                 **kwargs)
            new = _flatten(new)
            if mask is not None:
                m = mask[:, t:t + 1]
                new = [ops.where(m, n, s) for n, s in zip(new, states)]
                if self.zero_output_for_mask:
                    out = ops.where(m, out, 0.0)
                else:
                    out = ops.where(m, out, prev if prev is not None else ops.zeros_like(out))
            states, prev = new, out
            outputs.append(out)
        output = ops.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return output, states

    # -- configuration --------------------------------------------------------------------------
    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        })
        cfg["cell"] = registry.serialize(self.cell)
        return cfg

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        cell = registry.deserialize(config.pop("cell"), custom_objects=custom_objects,
                                    kind="layer")
        if "dtype" in config:
            from ember import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])  # keeps a mixed policy
        return cls(cell, **config)


__all__ = ["RNN"]
