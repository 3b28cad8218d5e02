"""SimpleRNN, LSTM and GRU: an RNN over the matching cell, with Keras 3's arguments, configs
and weight layout (the weights belong to ``layer.cell``, saved at ``.../<layer>/cell/vars``)."""

from ember import activations, registry
from ember.layers.input_spec import InputSpec
from ember.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
from ember.layers.rnn.rnn import RNN

_RNN_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
             "zero_output_for_mask")


class _CellLayer(RNN):
    """Shared by the three layers: properties that read the cell, and the config."""

    cell_class = None
    cell_name = None

    def __init__(self, cell_kwargs, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False,
                 activity_regularizer=None, use_cudnn="auto", **kwargs):
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{type(self).__name__}: `use_cudnn` must be 'auto', True or False. "
                             f"Received: use_cudnn={use_cudnn!r}")
        cell = self.cell_class(
            dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True),
            name=self.cell_name, **cell_kwargs)
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn
        self.input_spec = InputSpec(ndim=3)

    def __getattr__(self, key):
        # units, activation, kernel_initializer, dropout, ...: the cell's (as Keras's properties)
        if key in _CELL_ATTRS and "_layers" in self.__dict__ and "cell" in self.__dict__:
            return getattr(self.__dict__["cell"], key)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute {key!r}")

    def _cell_config(self):
        c = self.cell
        ser = registry.serialize
        return {
            "units": c.units,
            "activation": activations.serialize(c.activation),
            "recurrent_activation": activations.serialize(c.recurrent_activation),
            "use_bias": c.use_bias,
            "kernel_initializer": ser(c.kernel_initializer),
            "recurrent_initializer": ser(c.recurrent_initializer),
            "bias_initializer": ser(c.bias_initializer),
            "kernel_regularizer": ser(c.kernel_regularizer),
            "recurrent_regularizer": ser(c.recurrent_regularizer),
            "bias_regularizer": ser(c.bias_regularizer),
            "activity_regularizer": ser(self.activity_regularizer),
            "kernel_constraint": ser(c.kernel_constraint),
            "recurrent_constraint": ser(c.recurrent_constraint),
            "bias_constraint": ser(c.bias_constraint),
            "dropout": c.dropout,
            "recurrent_dropout": c.recurrent_dropout,
            "seed": c.seed,
        }

    def get_config(self):
        base = RNN.get_config(self)
        del base["cell"]
        return {**base, **self._cell_config()}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if "dtype" in config:
            from ember import dtype_policies

            config["dtype"] = dtype_policies.get(config["dtype"])  # keeps a mixed policy
        return cls(**config)


_CELL_ATTRS = {
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
    "bias_constraint", "dropout", "recurrent_dropout", "reset_after", "seed",
}


@registry.register("layer")
class SimpleRNN(_CellLayer):
    """A fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
    bias)``. Arguments as Keras 3 (see RNN for the sequence options).

    Example:
        >>> SimpleRNN(4)(np.zeros((32, 10, 8))).shape     # (32, 4)
    """

    cell_class, cell_name = SimpleRNNCell, "simple_rnn_cell"

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        super().__init__(
            dict(units=units, activation=activation, use_bias=use_bias,
                 kernel_initializer=kernel_initializer,
                 recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                 kernel_regularizer=kernel_regularizer,
                 recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                 kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                 bias_constraint=bias_constraint, dropout=dropout,
                 recurrent_dropout=recurrent_dropout, seed=seed),
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, **kwargs)

    def _cell_config(self):
        cfg = super()._cell_config()
        del cfg["recurrent_activation"]
        return cfg


@registry.register("layer")
class LSTM(_CellLayer):
    """Long Short-Term Memory (Hochreiter 1997), Keras's gate order i, f, c, o.

    Weights (in ``layer.cell``, Keras's order): ``kernel`` (features, 4 * units),
    ``recurrent_kernel`` (units, 4 * units), ``bias`` (4 * units,). ``return_state`` returns
    ``output, h, c``.

    Example:
        >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(x)   # x: (32, 10, 8)
        >>> out.shape, h.shape, c.shape                 # (32, 10, 4), (32, 4), (32, 4)
    """

    cell_class, cell_name = LSTMCell, "lstm_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(
            dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                 use_bias=use_bias, kernel_initializer=kernel_initializer,
                 recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                 unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
                 recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                 kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                 bias_constraint=bias_constraint, dropout=dropout,
                 recurrent_dropout=recurrent_dropout, seed=seed),
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, use_cudnn=use_cudnn, **kwargs)

    def _cell_config(self):
        cfg = super()._cell_config()
        out = {}
        for k, v in cfg.items():  # Keras's key order: unit_forget_bias after bias_initializer
            out[k] = v
            if k == "bias_initializer":
                out["unit_forget_bias"] = self.cell.unit_forget_bias
        return out


@registry.register("layer")
class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al. 2014), Keras's gates z, r, h and ``reset_after=True``
    by default (bias (2, 3 * units): input and recurrent biases).

    Weights (in ``layer.cell``): ``kernel`` (features, 3 * units), ``recurrent_kernel``
    (units, 3 * units), ``bias``.
    """

    cell_class, cell_name = GRUCell, "gru_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(
            dict(units=units, activation=activation, recurrent_activation=recurrent_activation,
                 use_bias=use_bias, kernel_initializer=kernel_initializer,
                 recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                 kernel_regularizer=kernel_regularizer,
                 recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                 kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                 bias_constraint=bias_constraint, dropout=dropout,
                 recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed),
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll,
            activity_regularizer=activity_regularizer, use_cudnn=use_cudnn, **kwargs)

    def _cell_config(self):
        cfg = super()._cell_config()
        seed = cfg.pop("seed")
        cfg["reset_after"] = self.cell.reset_after
        cfg["seed"] = seed
        return cfg


__all__ = ["SimpleRNN", "LSTM", "GRU"]
