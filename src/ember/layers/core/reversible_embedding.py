"""ReversibleEmbedding: an Embedding that can also project vectors back to vocabulary logits."""

from ember import ops, registry
from ember.layers.embedding import Embedding
from ember.layers.node import KerasTensor


@registry.register("layer")
class ReversibleEmbedding(Embedding):
    """An Embedding whose ``call(x, reverse=True)`` maps ``(..., output_dim)`` vectors to
    ``(..., input_dim)`` logits: ``x @ embeddings.T`` when ``tie_weights`` (the default), else
    ``x @ reverse_embeddings``, a separate ``(output_dim, input_dim)`` weight. The forward call
    (``reverse=False``) is Embedding's.

    Args:
        input_dim, output_dim, embeddings_initializer, embeddings_regularizer,
        embeddings_constraint, mask_zero: as Embedding.
        tie_weights: True: the reverse projection uses the transposed embeddings.
        reverse_dtype: None, or the dtype the reverse matmul is computed in (its inputs and
            kernel are cast to it).
        logit_soft_cap: None, or ``c``: the logits become ``c * tanh(logits / c)``.

    As Keras, ``compute_mask`` returns None; a forward call with ``mask_zero=True`` attaches
    the ``inputs != 0`` mask to its output itself.
    """

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = tie_weights
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim), initializer=self.embeddings_initializer,
                name="reverse_embeddings", trainable=True)
        self.built = True

    def call(self, inputs, reverse=False):
        if not reverse:
            result = super().call(inputs)
            mask = Embedding.compute_mask(self, inputs)
            if mask is not None:
                result._keras_mask = mask
            return result
        if self.tie_weights:
            kernel = ops.transpose(self.embeddings)
        else:
            kernel = self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None  # the forward call attaches its mask itself, as Keras

    def compute_output_shape(self, input_shape, reverse=False):
        shape = list(input_shape)
        if reverse:
            shape[-1] = self.input_dim
        else:
            shape += [self.output_dim]
        return tuple(shape)

    def compute_output_spec(self, inputs, reverse=False):
        return KerasTensor(self.compute_output_shape(inputs.shape, reverse=reverse),
                           self.compute_dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"tie_weights": self.tie_weights, "reverse_dtype": self.reverse_dtype,
                    "logit_soft_cap": self.logit_soft_cap})
        return cfg


__all__ = ["ReversibleEmbedding"]
