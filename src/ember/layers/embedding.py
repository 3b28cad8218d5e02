"""Embedding and Masking: where time-step masks come from.

``Embedding(mask_zero=True)`` marks index 0 as padding; ``Masking(mask_value)`` marks steps
whose features all equal ``mask_value``. The mask (a boolean (batch, steps) array) travels
with the output tensor; RNN layers carry their state over masked steps and
GlobalAveragePooling1D averages the unmasked steps only.
"""

from ember import ops, registry
from ember.backend import xp
from ember.layers.convolutional import fmt_shape, positive
from ember.layers.layer import Layer
from ember.ops._helpers import raw
from ember.ops.shape import take


@registry.register("layer")
class Embedding(Layer):
    """Maps integer indices to dense vectors: row ``i`` of the ``embeddings`` matrix.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: ``"uniform"`` (Keras's default, U(-0.05, 0.05)).
        mask_zero: treat index 0 as padding and produce a mask (then index 0 cannot be a
            real token, so ``input_dim`` should be vocabulary size + 1).

    Weights: ``embeddings`` (input_dim, output_dim). Input: integers of any shape; output:
    that shape + (output_dim,). The gradient is a scatter-add of the output gradient's rows
    into the looked-up rows (repeated indices accumulate).

    Example:
        >>> Embedding(1000, 16, mask_zero=True)(np.array([[4, 7, 0]]))   # (1, 3, 16)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, activity_regularizer=None,
                 **kwargs):
        kwargs.pop("input_length", None)  # Keras 2 argument, ignored by Keras 3 as well
        # written by newer Keras (None unless quantized); ember does not quantize
        kwargs.pop("quantization_config", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = positive(input_dim, "Embedding", "input_dim")
        self.output_dim = positive(output_dim, "Embedding", "output_dim")
        self.embeddings_initializer = registry.get("initializer", embeddings_initializer)
        self.embeddings_regularizer = registry.get("regularizer", embeddings_regularizer)
        self.embeddings_constraint = registry.get("constraint", embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False
        if weights is not None:
            self._initial_weights = weights if isinstance(weights, (list, tuple)) else [weights]

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            name="embeddings", regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        idx = xp.asarray(raw(inputs))
        if idx.dtype.kind not in "iu":
            if idx.dtype.kind == "f" and idx.size and not xp.all(idx == xp.floor(idx)):
                raise TypeError(
                    f"Embedding '{self.name}' expects integer indices. Received values of dtype "
                    f"{idx.dtype} that are not whole numbers (input shape "
                    f"{fmt_shape(idx.shape)})")
            idx = idx.astype("int64")
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            bad = idx[(idx < 0) | (idx >= self.input_dim)].flat[0]
            raise ValueError(
                f"Embedding '{self.name}': index {bad} is out of range [0, {self.input_dim}) "
                f"(input_dim={self.input_dim}). Received input of shape {fmt_shape(idx.shape)}")
        rows = take(self.embeddings, idx.reshape(-1), axis=0)
        out = ops.reshape(rows, idx.shape + (self.output_dim,))
        # as Keras: gathered from the float32 table (autocast off), returned in compute dtype
        return out if out.dtype == self.compute_dtype else ops.cast(out, self.compute_dtype)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        idx = xp.asarray(raw(inputs))
        return idx != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        cfg = super().get_config()
        ser = registry.serialize
        cfg.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": ser(self.embeddings_initializer),
            "embeddings_regularizer": ser(self.embeddings_regularizer),
            "activity_regularizer": ser(self.activity_regularizer),
            "embeddings_constraint": ser(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return cfg


@registry.register("layer")
class Masking(Layer):
    """Masks time steps whose features all equal ``mask_value``: the output is the input with
    those steps set to 0, and it carries a (batch, steps) mask for the layers after it."""

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def _keep(self, inputs):
        x = xp.asarray(raw(inputs))
        return xp.any(x != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = self._keep(inputs)
        return ops.multiply(inputs, keep[..., None].astype(inputs.dtype))

    def compute_mask(self, inputs, mask=None):
        return self._keep(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["mask_value"] = self.mask_value
        return cfg


__all__ = ["Embedding", "Masking"]
