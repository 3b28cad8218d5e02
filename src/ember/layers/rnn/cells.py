"""RNN cells: SimpleRNNCell, LSTMCell, GRUCell (Keras 3's arguments, weights and configs).

A cell owns the weights (``kernel``, ``recurrent_kernel``, ``bias``, created in ``build``)
and computes ONE time step in ``call(inputs, states, training)`` with ordinary ops; the RNN
layers run whole sequences of the built-in cells through the fused ops of
:mod:`ember.ops.rnn` instead, and use ``call`` only for cells they cannot fuse (custom
activations, subclasses).
"""

from ember import activations, ops, registry
from ember.backend import xp
from ember.layers.convolutional import positive
from ember.layers.layer import Layer
from ember.ops.nn import _rng_for


def _rate(value, layer, arg):
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = None
    if v is None or isinstance(value, bool) or not 0 <= v <= 1:
        raise ValueError(f"{layer}: `{arg}` must be a float in [0, 1]. Received: {arg}={value!r}")
    return v


class DropoutRNNCell:
    """Dropout masks for a cell: one input mask (batch, features) and one recurrent mask
    (batch, units) per sequence, reused at every time step (as Keras)."""

    _dropout_mask = None
    _recurrent_dropout_mask = None

    def _draw(self, shape, rate, dtype):
        rng = self._rng if self._rng is not None else _rng_for(None)
        keep = rng.random(shape, dtype="float32") >= rate
        return keep.astype(dtype) * xp.asarray(1.0 / (1.0 - rate), dtype=dtype)

    def make_dropout_masks(self, batch, features, dtype):
        """Draw this sequence's masks (None where the rate is 0 or 1)."""
        d = self._draw((batch, features), self.dropout, dtype) if 0 < self.dropout < 1 else None
        r = self._draw((batch, self.units), self.recurrent_dropout, dtype) \
            if 0 < self.recurrent_dropout < 1 else None
        self._dropout_mask, self._recurrent_dropout_mask = d, r
        return d, r

    def reset_dropout_masks(self):
        self._dropout_mask = self._recurrent_dropout_mask = None

    def _step_masks(self, inputs, h, training):
        if not training:
            return None, None
        if self._dropout_mask is None and self._recurrent_dropout_mask is None:
            return self._draw_step(inputs, h)
        return self._dropout_mask, self._recurrent_dropout_mask

    def _draw_step(self, inputs, h):
        d = self._draw(inputs.shape, self.dropout, inputs.dtype) \
            if 0 < self.dropout < 1 else None
        r = self._draw(h.shape, self.recurrent_dropout, h.dtype) \
            if 0 < self.recurrent_dropout < 1 else None
        return d, r


class _Cell(Layer, DropoutRNNCell):
    """Arguments and weights common to the three cells."""

    kind = None
    gates = 1
    has_recurrent_activation = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        who = type(self).__name__
        self.units = positive(units, who, "units")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        get = registry.get
        self.kernel_initializer = get("initializer", kernel_initializer)
        self.recurrent_initializer = get("initializer", recurrent_initializer)
        self.bias_initializer = get("initializer", bias_initializer)
        self.kernel_regularizer = get("regularizer", kernel_regularizer)
        self.recurrent_regularizer = get("regularizer", recurrent_regularizer)
        self.bias_regularizer = get("regularizer", bias_regularizer)
        self.kernel_constraint = get("constraint", kernel_constraint)
        self.recurrent_constraint = get("constraint", recurrent_constraint)
        self.bias_constraint = get("constraint", bias_constraint)
        self.dropout = _rate(dropout, who, "dropout")
        self.recurrent_dropout = _rate(recurrent_dropout, who, "recurrent_dropout")
        self.seed = seed
        self._rng = xp.random.default_rng(seed) if seed is not None else None
        self.state_size = self.units
        self.output_size = self.units
        self.bias = None

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the last axis of the input (features) "
                f"must be known. Received input shape {tuple(input_shape)}")
        g = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, g), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, g), name="recurrent_kernel",
            initializer=self.recurrent_initializer, regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), name="bias", initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.built = True

    def fused_activations(self):
        """(activation, recurrent_activation) names when the fused op can run this cell."""
        from ember.ops.rnn import supported_activation

        if type(self) not in (SimpleRNNCell, LSTMCell, GRUCell):
            return None
        act = activations.serialize(self.activation)
        ract = activations.serialize(self.recurrent_activation) \
            if self.has_recurrent_activation else "sigmoid"
        if isinstance(act, str) and isinstance(ract, str) and supported_activation(act) and \
                supported_activation(ract):
            return act, ract
        return None

    def get_initial_state(self, batch_size=None):
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [
            self.state_size]
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in sizes]

    def _common_config(self):
        ser = registry.serialize
        return {
            "kernel_initializer": ser(self.kernel_initializer),
            "recurrent_initializer": ser(self.recurrent_initializer),
            "bias_initializer": ser(self.bias_initializer),
            "kernel_regularizer": ser(self.kernel_regularizer),
            "recurrent_regularizer": ser(self.recurrent_regularizer),
            "bias_regularizer": ser(self.bias_regularizer),
            "kernel_constraint": ser(self.kernel_constraint),
            "recurrent_constraint": ser(self.recurrent_constraint),
            "bias_constraint": ser(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def _dropped(x, mask):
    return x if mask is None else ops.multiply(x, mask)


@registry.register("layer")
class SimpleRNNCell(_Cell):
    """One step of a fully connected RNN: ``h = activation(x @ kernel + h_prev @
    recurrent_kernel + bias)``. Weights: kernel (in, units), recurrent_kernel (units, units),
    bias (units,)."""

    kind = "simple_rnn"
    gates = 1
    has_recurrent_activation = False

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(
            units, activation=activation, recurrent_activation=None, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        dmask, rmask = self._step_masks(inputs, h_prev, training)
        z = ops.matmul(_dropped(inputs, dmask), self.kernel)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        z = ops.add(z, ops.matmul(_dropped(h_prev, rmask), self.recurrent_kernel))
        h = self.activation(z)
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        cfg = {"units": self.units, "activation": activations.serialize(self.activation),
               "use_bias": self.use_bias}
        cfg.update(self._common_config())
        return {**super().get_config(), **cfg}


@registry.register("layer")
class LSTMCell(_Cell):
    """One LSTM step (Keras's gate order i, f, c, o):
    ``c = f * c_prev + i * act(zc)``, ``h = o * act(c)``.

    Weights: kernel (in, 4 * units), recurrent_kernel (units, 4 * units), bias (4 * units,);
    ``unit_forget_bias`` initializes the forget gate's bias to 1.
    """

    kind = "lstm"
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units

        def bias_initializer(shape, dtype=None):
            return xp.concatenate([xp.asarray(init((u,), dtype=dtype)), xp.ones(u, dtype=dtype),
                                   xp.asarray(init((2 * u,), dtype=dtype))])

        return bias_initializer

    def call(self, inputs, states, training=False):
        h_prev, c_prev = states[0], states[1]
        dmask, rmask = self._step_masks(inputs, h_prev, training)
        z = ops.matmul(_dropped(inputs, dmask), self.kernel)
        z = ops.add(z, ops.matmul(_dropped(h_prev, rmask), self.recurrent_kernel))
        if self.bias is not None:
            z = ops.add(z, self.bias)
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        i = self.recurrent_activation(zi)
        f = self.recurrent_activation(zf)
        c = ops.add(ops.multiply(f, c_prev), ops.multiply(i, self.activation(zc)))
        o = self.recurrent_activation(zo)
        h = ops.multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self):
        cfg = {"units": self.units, "activation": activations.serialize(self.activation),
               "recurrent_activation": activations.serialize(self.recurrent_activation),
               "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias}
        cfg.update(self._common_config())
        return {**super().get_config(), **cfg}


@registry.register("layer")
class GRUCell(_Cell):
    """One GRU step (Keras's gates z, r, h): ``h = z * h_prev + (1 - z) * hh``.

    With ``reset_after=True`` (default, cuDNN-compatible) the reset gate multiplies the
    recurrent projection and the bias is (2, 3 * units) (input bias, recurrent bias); with
    False it multiplies the state before the projection and the bias is (3 * units,).
    """

    kind = "gru"
    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs, states, training=False):
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        dmask, rmask = self._step_masks(inputs, h_prev, training)
        u = self.units
        hr = _dropped(h_prev, rmask)
        mx = ops.matmul(_dropped(inputs, dmask), self.kernel)
        in_bias = rec_bias = None
        if self.bias is not None:
            if self.reset_after:
                in_bias, rec_bias = self.bias[0], self.bias[1]
            else:
                in_bias = self.bias
            mx = ops.add(mx, in_bias)
        x_z, x_r, x_h = ops.split(mx, 3, axis=-1)
        if self.reset_after:
            inner = ops.matmul(hr, self.recurrent_kernel)
            if rec_bias is not None:
                inner = ops.add(inner, rec_bias)
            r_z, r_r, r_h = ops.split(inner, 3, axis=-1)
        else:
            inner = ops.matmul(hr, self.recurrent_kernel[:, :2 * u])
            r_z, r_r = ops.split(inner, 2, axis=-1)
        z = self.recurrent_activation(ops.add(x_z, r_z))
        r = self.recurrent_activation(ops.add(x_r, r_r))
        if self.reset_after:
            rec_h = ops.multiply(r, r_h)
        else:
            rec_h = ops.matmul(ops.multiply(r, hr), self.recurrent_kernel[:, 2 * u:])
        hh = self.activation(ops.add(x_h, rec_h))
        h = ops.add(ops.multiply(z, h_prev), ops.multiply(ops.subtract(1.0, z), hh))
        return h, [h] if isinstance(states, (list, tuple)) else h

    def get_config(self):
        cfg = {"units": self.units, "activation": activations.serialize(self.activation),
               "recurrent_activation": activations.serialize(self.recurrent_activation),
               "use_bias": self.use_bias}
        cfg.update(self._common_config())
        cfg["reset_after"] = self.reset_after
        return {**super().get_config(), **cfg}


__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell"]
