"""Attention layers: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention.

Arguments, defaults, ``get_config`` keys and weights (names, order, shapes) are Keras 3's: the
projections of the multi-head layers are :class:`EinsumDense` sublayers named ``query``,
``key``, (``gate``), ``value`` and ``attention_output``, so ``.keras`` files move both ways.
Everything is built from ember ops, so gradients come from the tape.
"""

import math
import string

from ember import ops, registry
from ember.layers.activations import Softmax
from ember.layers.core.basic import Dropout
from ember.layers.core.einsum_dense import EinsumDense
from ember.layers.layer import Layer
from ember.layers.node import KerasTensor, is_symbolic
from ember.layers.rnn.rnn import build_inside
from ember.random import SeedGenerator

__all__ = ["MultiHeadAttention", "GroupQueryAttention", "Attention", "AdditiveAttention"]


def _shape_of(x):
    shape = getattr(x, "shape", None)
    if shape is None:
        shape = ops.convert_to_tensor(x).shape
    return tuple(shape)


def _causal_mask(q_len, v_len):
    """(1, T, S) booleans, True where query step t may attend to source step s (s <= t)."""
    ones = ops.ones((1, q_len, v_len), dtype="int32")
    return ops.greater_equal(ops.cumsum(ones, axis=-2), ops.cumsum(ones, axis=-1))


def _sliding_window_mask(q_len, v_len, window):
    rows = ops.reshape(ops.arange(q_len, dtype="int32"), (1, q_len, 1))
    cols = ops.reshape(ops.arange(v_len, dtype="int32"), (1, 1, v_len))
    return ops.less(ops.abs(ops.subtract(rows, cols)), window)


def _and(a, b):
    return b if a is None else ops.logical_and(a, b)


class _MultiHeadBase(Layer):
    """What MultiHeadAttention and GroupedQueryAttention share: the call protocol ``(query,
    value, key=None, ...)`` with the Keras masks of the three tensors, building from all three
    shapes, the attention mask, and the sublayer keyword arguments."""

    _CALL_ARGS = ("query_mask", "value_mask", "key_mask", "attention_mask",
                  "return_attention_scores", "training", "use_causal_mask")

    def __call__(self, query=None, value=None, key=None, *args, **kwargs):
        if len(args) > len(self._CALL_ARGS):
            raise TypeError(f"Layer '{self.name}' got {len(args) + 3} positional arguments; "
                            f"it takes at most {len(self._CALL_ARGS) + 3}.")
        for arg, v in zip(self._CALL_ARGS, args):
            if arg in kwargs:
                raise TypeError(f"Layer '{self.name}' got multiple values for `{arg}`.")
            kwargs[arg] = v
        if query is None:
            query = kwargs.pop("inputs", None)
        if query is None or value is None:
            raise TypeError(f"Layer '{self.name}' must be called with `query` and `value`.")
        symbolic = is_symbolic((query, value, key))
        if not symbolic:
            # Keras fills `<arg>_mask` from the masks the tensors carry (MultiHeadAttention
            # always reads the query's)
            for arg, tensor in (("query_mask", query), ("value_mask", value),
                                ("key_mask", key)):
                mask = getattr(tensor, "_keras_mask", None)
                if mask is not None and (kwargs.get(arg) is None or arg == "query_mask"):
                    kwargs[arg] = mask
        if not self.built:
            shapes = {"query_shape": _shape_of(query), "value_shape": _shape_of(value)}
            if key is not None:
                shapes["key_shape"] = _shape_of(key)
            self.build(**shapes)
            self._build_shapes = shapes
            self.built = True
        if key is not None:
            kwargs["key"] = key
        return super().__call__(query, value, **kwargs)

    def get_build_config(self):
        if not isinstance(self._build_shapes, dict):
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._build_shapes.items()}}

    def _sublayer_kwargs(self):
        return dict(
            kernel_regularizer=self._kernel_regularizer,
            bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint,
            bias_constraint=self._bias_constraint,
            dtype=self.dtype_policy,
            # fresh initializer objects, so the projections do not share draws
            kernel_initializer=type(self._kernel_initializer).from_config(
                self._kernel_initializer.get_config()),
            bias_initializer=type(self._bias_initializer).from_config(
                self._bias_initializer.get_config()),
        )

    def _sublayer(self, shape, **kwargs):
        layer = EinsumDense(**kwargs, **self._sublayer_kwargs())
        build_inside(self, layer, shape)
        return layer

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        """The (B, T, S) boolean mask: the query mask (B, T, 1), the value and key masks
        (B, 1, S), the causal and sliding-window masks (1, T, S) and ``attention_mask``, all
        ANDed."""
        auto = None
        if query_mask is not None:
            auto = ops.expand_dims(ops.cast(query_mask, "bool"), -1)
        if value_mask is not None:
            auto = _and(auto, ops.expand_dims(ops.cast(value_mask, "bool"), -2))
        if key_mask is not None:
            auto = _and(auto, ops.expand_dims(ops.cast(key_mask, "bool"), -2))
        q_len, v_len = query.shape[1], value.shape[1]
        if use_causal_mask:
            auto = _and(auto, _causal_mask(q_len, v_len))
        if self._sliding_window is not None:
            auto = _and(auto, _sliding_window_mask(q_len, v_len, self._sliding_window))
        if attention_mask is not None:
            attention_mask = ops.cast(attention_mask, "bool")
        if auto is not None:
            attention_mask = auto if attention_mask is None else ops.logical_and(
                attention_mask, auto)
        return attention_mask

    def _causal_only(self, use_causal_mask, query_mask, value_mask, key_mask, attention_mask):
        return (use_causal_mask and query_mask is None and value_mask is None
                and key_mask is None and attention_mask is None and self._sliding_window is None)

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        if attention_mask is not None:
            attention_mask = self._convert_inputs(attention_mask)
        causal_only = self._causal_only(use_causal_mask, query_mask, value_mask, key_mask,
                                        attention_mask)
        if not causal_only:
            attention_mask = self._attention_mask(query, value, query_mask, value_mask,
                                                  key_mask, attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self._gated() else None
        q = self._query_dense(query)
        k, v = self._key_value(key, value)
        out, scores = self._attend(q, k, v, attention_mask, training, return_attention_scores,
                                   causal_only, self._n_attention_axes())
        if gate is not None:
            out = ops.multiply(out, gate)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def _attend(self, query, key, value, attention_mask, training, return_attention_scores,
                use_causal_mask, n_attention_axes):
        """(output, scores) of scaled dot-product attention on the projected tensors: the fused
        ``dot_product_attention`` for rank-4 tensors without dropout or scores, else the einsum
        path through the masked Softmax and Dropout sublayers (Keras's two branches)."""
        if not (self._dropout > 0.0 or return_attention_scores or len(query.shape) != 4):
            if attention_mask is not None:
                for _ in range(4 - len(attention_mask.shape)):
                    attention_mask = ops.expand_dims(attention_mask, -2 * n_attention_axes - 1)
            out = ops.nn.dot_product_attention(
                query, key, value, mask=attention_mask, scale=self._inverse_sqrt_dim,
                is_causal=bool(use_causal_mask and attention_mask is None))
            return out, None
        if use_causal_mask:
            attention_mask = _and(
                None if attention_mask is None else ops.cast(attention_mask, "bool"),
                _causal_mask(query.shape[1], value.shape[1]))
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, *self._dot_operands(query, key))
        if attention_mask is not None:
            for _ in range(len(scores.shape) - len(attention_mask.shape)):
                attention_mask = ops.expand_dims(attention_mask, -2 * n_attention_axes - 1)
        scores = self._softmax(scores, mask=attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0.0 \
            else scores
        return ops.einsum(self._combine_equation, dropped, value), scores


def _check_common(layer, kernel_initializer, bias_initializer, kernel_regularizer,
                  bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint,
                  sliding_window, flash_attention, dropout):
    if sliding_window is not None and (not isinstance(sliding_window, int)
                                       or isinstance(sliding_window, bool)
                                       or sliding_window <= 0):
        raise ValueError("`sliding_window` must be `None` or a positive integer. "
                         f"Received: sliding_window={sliding_window}")
    if flash_attention:
        raise ValueError(f"{type(layer).__name__}: flash_attention is not supported by ember "
                         "(it has no fused GPU kernels); pass flash_attention=None or False.")
    layer._sliding_window = sliding_window
    layer._flash_attention = flash_attention
    layer._dropout = dropout
    layer._kernel_initializer = registry.get("initializer", kernel_initializer)
    layer._bias_initializer = registry.get("initializer", bias_initializer)
    layer._kernel_regularizer = registry.get("regularizer", kernel_regularizer)
    layer._bias_regularizer = registry.get("regularizer", bias_regularizer)
    layer._activity_regularizer = registry.get("regularizer", activity_regularizer)
    layer._kernel_constraint = registry.get("constraint", kernel_constraint)
    layer._bias_constraint = registry.get("constraint", bias_constraint)


def _common_config(layer):
    return {
        "kernel_initializer": registry.serialize(layer._kernel_initializer),
        "bias_initializer": registry.serialize(layer._bias_initializer),
        "kernel_regularizer": registry.serialize(layer._kernel_regularizer),
        "bias_regularizer": registry.serialize(layer._bias_regularizer),
        "activity_regularizer": registry.serialize(layer._activity_regularizer),
        "kernel_constraint": registry.serialize(layer._kernel_constraint),
        "bias_constraint": registry.serialize(layer._bias_constraint),
    }


# -- MultiHeadAttention -------------------------------------------------------------------------
def _letter(i):
    return string.ascii_lowercase[i]


def _build_attention_equation(rank, attn_axes):
    target = "".join(_letter(i) for i in range(rank))
    batch_dims = tuple(i for i in range(rank) if i not in attn_axes + (rank - 1,))
    offset, source = rank, ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _letter(offset)
            offset += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes]
                      + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _build_proj_equation(free_dims, bound_dims, output_dims):
    inp, kernel, out, bias = "", "", "", ""
    for i in range(free_dims):
        inp += _letter(i)
        out += _letter(i)
    for i in range(bound_dims):
        c = _letter(free_dims + i)
        inp += c
        kernel += c
    for i in range(output_dims):
        c = _letter(free_dims + bound_dims + i)
        kernel += c
        out += c
        bias += c
    return f"{inp},{kernel}->{out}", bias, len(out)


def _output_shape(output_rank, known_last_dims):
    return [None] * (output_rank - len(known_last_dims)) + list(known_last_dims)


@registry.register("layer")
class MultiHeadAttention(_MultiHeadBase):
    """Multi-head attention (Vaswani et al., 2017), as ``keras.layers.MultiHeadAttention``.

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention probabilities.
        use_bias: whether the projections have biases.
        output_shape: the output's last dimensions (default: the query's last dimension).
        attention_axes: the axes attention runs over (default: all but batch, heads, channels).
        sliding_window: optional int; each query attends only to keys fewer than this many
            steps away.
        use_gate: a sigmoid gate projection of the query multiplying the attention output.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: for the projections.
        seed: the dropout seed.

    Call arguments: ``query (B, T, dim)``, ``value (B, S, dim)``, ``key`` (default ``value``),
    ``attention_mask (B, T, S)`` (True: attend), ``return_attention_scores``, ``training``,
    ``use_causal_mask``. The Keras masks of query, value and key are used.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        if not isinstance(num_heads, int) or num_heads <= 0:
            raise ValueError("Received an invalid value for argument `num_heads`, expected a "
                             f"positive integer. Received: num_heads={num_heads}")
        if not isinstance(key_dim, int) or key_dim <= 0:
            raise ValueError("Received an invalid value for argument `key_dim`, expected a "
                             f"positive integer. Received: key_dim={key_dim}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a "
                             f"positive integer or `None`. Received: value_dim={value_dim}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the "
                                 "`output_shape` should be of type tuple, list, or int.") \
                    from None
        self._output_shape = output_shape
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("`attention_axes` must be an int, list, or tuple."
                             f"Received: attention_axes={attention_axes}")
        self._attention_axes = attention_axes
        _check_common(self, kernel_initializer, bias_initializer, kernel_regularizer,
                      bias_regularizer, activity_regularizer, kernel_constraint,
                      bias_constraint, sliding_window, flash_attention, dropout)
        self.seed = seed
        self._inverse_sqrt_dim = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "use_gate": self._use_gate,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            **_common_config(self),
            "seed": self.seed,
        })
        return config

    def build(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must "
                             f"be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        bias = self._use_bias

        def proj(rank, last, name, shape, activation=None):
            eq, bias_axes, out_rank = _build_proj_equation(rank - 1, 1, 2)
            return self._sublayer(shape, equation=eq, name=name, activation=activation,
                                  output_shape=_output_shape(out_rank - 1, last),
                                  bias_axes=bias_axes if bias else None)

        q_rank = len(query_shape)
        self._query_dense = proj(q_rank, [self._num_heads, self._key_dim], "query",
                                 query_shape)
        self._key_dense = proj(len(key_shape), [self._num_heads, self._key_dim], "key",
                               key_shape)
        if self._use_gate:
            self._gate_dense = proj(q_rank, [self._num_heads, self._value_dim], "gate",
                                    query_shape, activation="sigmoid")
        self._value_dense = proj(len(value_shape), [self._num_heads, self._value_dim], "value",
                                 value_shape)
        rank = len(value_shape) + 1  # the projected tensors' rank
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a
                                         for a in self._attention_axes)
        self._dot_product_equation, self._combine_equation, scores_rank = \
            _build_attention_equation(rank, self._attention_axes)
        norm_axes = list(range(scores_rank - len(self._attention_axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy,
                                      seed=self.seed)
        out_last = list(self._output_shape) if self._output_shape else [query_shape[-1]]
        eq, bias_axes, out_rank = _build_proj_equation(q_rank - 1, 2, len(out_last))
        dense_in = list(self._query_dense.compute_output_shape(query_shape))
        dense_in[-1] = self._value_dim
        self._output_dense = self._sublayer(
            tuple(dense_in), equation=eq, name="attention_output",
            output_shape=_output_shape(out_rank - 1, out_last),
            bias_axes=bias_axes if bias else None)
        self.built = True

    def _dot_operands(self, query, key):
        return key, query

    def _gated(self):
        return self._use_gate

    def _key_value(self, key, value):
        return self._key_dense(key), self._value_dense(value)

    def _n_attention_axes(self):
        return len(self._attention_axes)

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must "
                             f"be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        if self._output_shape:
            return query_shape[:-1] + self._output_shape
        return query_shape

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape,
                                          None if key is None else key.shape)
        out = KerasTensor(shape, self.compute_dtype)
        if return_attention_scores:
            length = query.shape[1]
            return out, KerasTensor((query.shape[0], self._num_heads, length, length),
                                    self.compute_dtype)
        return out


# -- GroupedQueryAttention ----------------------------------------------------------------------
# Keras's class is GroupedQueryAttention, public (and serialized) as GroupQueryAttention
@registry.register("layer", name="GroupQueryAttention")
class GroupedQueryAttention(_MultiHeadBase):
    """Grouped-query attention (Ainslie et al., 2023), as
    ``keras.layers.GroupedQueryAttention``: ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads.

    Args:
        head_dim: size of each head.
        num_query_heads, num_key_value_heads: head counts; the first a multiple of the second.
        dropout, use_bias, sliding_window, use_gate, kernel/bias initializers, regularizers,
        constraints, activity_regularizer, seed: as MultiHeadAttention.

    Call arguments: as MultiHeadAttention; query and value have the same last dimension.
    """

    # Keras's class is GroupedQueryAttention (public as GroupQueryAttention); weights files
    # name the layer's group after the class
    _keras_class_name = "GroupedQueryAttention"

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`.")
        self.num_repeats = num_query_heads // num_key_value_heads
        self.use_bias = use_bias
        self.use_gate = use_gate
        _check_common(self, kernel_initializer, bias_initializer, kernel_regularizer,
                      bias_regularizer, activity_regularizer, kernel_constraint,
                      bias_constraint, sliding_window, flash_attention, dropout)
        self.seed = seed
        self._inverse_sqrt_dim = 1.0 / math.sqrt(float(head_dim))
        self._dot_product_equation = "bquh,bkuh->buqk"
        self._combine_equation = "buqk,bkuh->bquh"

    dropout = property(lambda self: self._dropout)
    sliding_window = property(lambda self: self._sliding_window)
    kernel_initializer = property(lambda self: self._kernel_initializer)
    bias_initializer = property(lambda self: self._bias_initializer)

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        self.feature_dim = query_shape[-1]
        bias = self.use_bias
        q_kw = dict(equation="bqm,muh->bquh",
                    output_shape=(None, self.num_query_heads, self.head_dim),
                    bias_axes="uh" if bias else None)
        kv_kw = dict(equation="bkm,mvh->bkvh",
                     output_shape=(None, self.num_key_value_heads, self.head_dim),
                     bias_axes="vh" if bias else None)
        self._query_dense = self._sublayer(tuple(query_shape), name="query", **q_kw)
        self._key_dense = self._sublayer(tuple(key_shape), name="key", **kv_kw)
        if self.use_gate:
            self._gate_dense = self._sublayer(tuple(query_shape), name="gate",
                                              activation="sigmoid", **q_kw)
        self._value_dense = self._sublayer(tuple(value_shape), name="value", **kv_kw)
        self._softmax = Softmax(axis=-1, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy,
                                      seed=self.seed)
        self._output_dense = self._sublayer(
            (None, None, self.num_query_heads, self.head_dim), equation="bquh,uhm->bqm",
            output_shape=(None, self.feature_dim), bias_axes="m" if bias else None,
            name="attention_output")
        self.built = True

    def _dot_operands(self, query, key):
        return query, key

    def _gated(self):
        return self.use_gate

    def _key_value(self, key, value):
        # the key/value heads, each shared by num_repeats query heads
        return (ops.repeat(self._key_dense(key), self.num_repeats, axis=2),
                ops.repeat(self._value_dense(value), self.num_repeats, axis=2))

    def _n_attention_axes(self):
        return 1

    def compute_output_shape(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        if query_shape[-1] != value_shape[-1]:
            raise ValueError(
                "The last dimension of `query_shape` and `value_shape` must be equal, but are "
                f"{query_shape[-1]}, {value_shape[-1]}. Received: query_shape={query_shape}, "
                f"value_shape={value_shape}")
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError("All dimensions of `value` and `key`, except the last one, must "
                             f"be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        return tuple(query_shape)

    def compute_output_spec(self, query, value, key=None, query_mask=None, value_mask=None,
                            key_mask=None, attention_mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        shape = self.compute_output_shape(query.shape, value.shape,
                                          None if key is None else key.shape)
        out = KerasTensor(shape, self.compute_dtype)
        if return_attention_scores:
            kv_len = value.shape[1] if key is None else key.shape[1]
            return out, KerasTensor((query.shape[0], self.num_query_heads, query.shape[1],
                                     kv_len), self.compute_dtype)
        return out

    def get_config(self):
        config = super().get_config()
        config.update({
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self._sliding_window,
            "dropout": self._dropout,
            **_common_config(self),
            "seed": self.seed,
        })
        return config


GroupQueryAttention = GroupedQueryAttention


# -- Attention, AdditiveAttention ---------------------------------------------------------------
@registry.register("layer")
class Attention(Layer):
    """Dot-product (Luong-style) attention, as ``keras.layers.Attention``.

    Args:
        use_scale: learn a scalar ``scale`` multiplying the scores.
        score_mode: ``"dot"`` (query . key) or ``"concat"`` (sum of tanh(query + key)).
        dropout: dropout rate on the attention probabilities (training only).
        seed: the dropout seed.

    Call arguments: ``inputs`` ``[query (B, Tq, dim), value (B, Tv, dim)]`` or with a third,
    ``key``; ``mask`` ``[query_mask, value_mask]`` (from the inputs' Keras masks);
    ``training``, ``return_attention_scores``, ``use_causal_mask``.
    Output: ``(B, Tq, dim)`` (and the scores ``(B, Tq, Tv)``).
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        if self.dropout > 0:
            self.seed_generator = SeedGenerator(seed=seed)
        if self.score_mode not in ["dot", "concat"]:
            raise ValueError("Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode}")

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale)
            return scores
        q = ops.expand_dims(query, axis=-2)
        k = ops.expand_dims(key, axis=-3)
        s = ops.add(q, k)
        if self.scale is not None:
            s = ops.multiply(self.scale, s)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(s), axis=-1))

    def _apply_scores(self, scores, value, scores_mask=None, training=False):
        if scores_mask is not None:
            padding = ops.logical_not(scores_mask)
            max_value = 65504.0 if scores.dtype == "float16" else 1.0e9
            if len(padding.shape) == 2:
                padding = ops.expand_dims(padding, axis=-2)
            scores = ops.where(padding, ops.subtract(scores, max_value), scores)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.nn.dropout(weights, self.dropout, seed=self.seed_generator)
        return ops.matmul(weights, value), weights

    def _calculate_score_mask(self, scores, v_mask, use_causal_mask):
        if not use_causal_mask:
            return v_mask
        causal = _causal_mask(scores.shape[-2], scores.shape[-1])
        if v_mask is not None:
            return ops.logical_and(ops.expand_dims(v_mask, axis=-2), causal)
        return causal

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        if v_mask is not None:
            v_mask = ops.cast(v_mask, "bool")
        scores = self._calculate_scores(q, k)
        scores_mask = self._calculate_score_mask(scores, v_mask, use_causal_mask)
        out, weights = self._apply_scores(scores, v, scores_mask, training=training)
        if q_mask is not None:
            out = ops.where(ops.expand_dims(ops.cast(q_mask, "bool"), -1), out, 0.0)
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return ops.convert_to_tensor(mask[0])

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_output_spec(self, inputs, mask=None, return_attention_scores=False,
                            training=None, use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        out = KerasTensor(self.compute_output_shape([query.shape, value.shape, key.shape]),
                          self.compute_dtype)
        if return_attention_scores:
            return out, KerasTensor((*query.shape[:-1], key.shape[-2]), self.compute_dtype)
        return out

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: inputs={inputs}.")
        if len(inputs) < 2 or len(inputs) > 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             "[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, "
                                 f"value_mask]. Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. "
                                 f"Received: inputs={inputs}, mask={mask}.")

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout, "seed": self.seed})
        return config


@registry.register("layer")
class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention, as ``keras.layers.AdditiveAttention``: scores
    ``sum(scale * tanh(query + key))`` with a learned per-feature ``scale`` (``use_scale``).

    Args:
        use_scale: learn the ``scale`` vector (shape ``(dim,)``, glorot-uniform).
        dropout: dropout rate on the attention probabilities (training only).
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        self.scale = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=[dim],
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        q = ops.expand_dims(query, axis=-2)
        k = ops.expand_dims(key, axis=-3)
        t = ops.tanh(ops.add(q, k))
        if self.use_scale:
            t = ops.multiply(self.scale, t)
        return ops.sum(t, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
