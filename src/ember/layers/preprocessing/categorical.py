"""Categorical preprocessing layers: ``Discretization``, ``CategoryEncoding``, ``Hashing`` and
``HashedCrossing``, as Keras 3.

They run on the host in NumPy (Keras runs them in ``tf.data``/TensorFlow) and have no gradient.
Hashes are TensorFlow's (``to_hash_bucket_fast``/``_strong``, ``sparse.cross_hashed``), so bins
equal Keras's; Discretization's ``adapt`` is Keras's streaming quantile sketch.
"""

from ember import registry
from ember.backend import xp
from ember.layers.node import KerasTensor
from ember.layers.preprocessing._base import (
    DataLayer,
    as_array,
    batches_of,
    encode_categorical,
)
from ember.layers.preprocessing._hashing import _hash_bucket, _hashed_cross

_MODES = ("int", "one_hot", "multi_hot", "count")


def _check_mode(layer, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(
            f"Invalid value for argument `output_mode`. Expected one of {set(allowed)}. "
            f"Received: output_mode={output_mode}")


def _no_sparse(sparse, name):
    if sparse:
        raise ValueError(
            f"{name}: `sparse=True` is not supported: ember has no sparse tensors (Keras "
            "supports it on the TensorFlow backend only).")


# -- Discretization: Keras's quantile sketch ---------------------------------------------------
def _summarize(values, epsilon):
    values = xp.sort(xp.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return xp.stack([boundaries, xp.ones_like(boundaries) * step])


def _compress_summary(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + xp.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = xp.interp(percents, cum_weight_percents, summary[0])
    cum_weights = xp.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - xp.concatenate((xp.array([0]), cum_weights[:-1]))
    return xp.stack((new_bins, new_weights)).astype("float32")


def _merge_summaries(prev_summary, next_summary, epsilon):
    merged = xp.concatenate((prev_summary, next_summary), axis=1)
    merged = xp.take(merged, xp.argsort(merged[0]), axis=1)
    return _compress_summary(merged, epsilon)


@registry.register("layer")
class Discretization(DataLayer):
    """Buckets continuous values: ``bin_boundaries=[0., 1., 2.]`` maps ``x < 0`` to 0,
    ``0 <= x < 1`` to 1, ``1 <= x < 2`` to 2 and ``x >= 2`` to 3; or learns ``num_bins``
    quantile boundaries with ``adapt(data)``.

    Args:
        bin_boundaries: sorted boundaries (exclusive of -inf/inf), or None to ``adapt``.
        num_bins: the number of bins ``adapt`` computes.
        epsilon: the error tolerance of the quantile sketch (about ``1 / epsilon`` points).
        output_mode: ``"int"`` (bin indices, int32), ``"one_hot"``, ``"multi_hot"``,
            ``"count"``.
        sparse: False only.

    Example:
        >>> layer = Discretization(bin_boundaries=[0.0, 1.0])
        >>> layer(np.array([[-1.0, 0.5, 3.0]]))    # [[0, 1, 2]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        _no_sparse(sparse, "Discretization")
        _check_mode(self, output_mode, _MODES)
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                "`num_bins` must be greater than or equal to 0. "
                f"Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. "
                f"Received: `num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if self.bin_boundaries else xp.array([[], []], dtype="float32")

    @property
    def input_dtype(self):
        return "float32"

    @property
    def output_dtype(self):
        return self.compute_dtype if self.output_mode != "int" else "int32"

    def adapt(self, data, steps=None):
        """Estimate ``num_bins`` quantile boundaries of ``data`` (an array, a Dataset or an
        iterable of batches)."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead.")
        self.reset_state()
        for batch in batches_of(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = as_array(data).astype("float32")
        self.summary = _merge_summaries(_summarize(data, self.epsilon), self.summary,
                                        self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = _compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1]\
            .tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = xp.array([[], []], dtype="float32")

    def _depth(self):
        if self.bin_boundaries is not None:
            return len(self.bin_boundaries) + 1
        return self.num_bins

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` "
                "layer.")
        x = as_array(inputs)
        indices = xp.digitize(x, xp.asarray(self.bin_boundaries, dtype=x.dtype
                                            if x.dtype.kind == "f" else "float64"))
        return self._tensor(encode_categorical(indices, self.output_mode,
                                               len(self.bin_boundaries) + 1, self.output_dtype))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if input_shape and len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.output_dtype)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # an adapted layer: both are set; __init__ takes one of them
            bin_boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = list(bin_boundaries)
            return layer
        return cls(**config)

    def load_own_variables(self, store):
        if len(store) == 1:  # Keras's legacy saves hold the sketch
            self.summary = xp.asarray(store["0"])


@registry.register("layer")
class CategoryEncoding(DataLayer):
    """Encodes integer indices in ``[0, num_tokens)`` as one-hot, multi-hot or count vectors.

    Args:
        num_tokens: the depth of the encoding.
        output_mode: ``"multi_hot"`` (default; ``"binary"`` is an alias), ``"one_hot"``,
            ``"count"`` (with optional ``count_weights`` at call time).
        sparse: False only.
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        _no_sparse(sparse, "CategoryEncoding")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`.")
            count_weights = as_array(count_weights).astype(self.compute_dtype)
        indices = as_array(inputs)
        dtype = self.dtype if count_weights is None else count_weights.dtype
        return self._tensor(encode_categorical(indices, self.output_mode, self.num_tokens,
                                               dtype, count_weights=count_weights))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return input_shape + (self.num_tokens,)
            return input_shape[:-1] + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def compute_output_spec(self, inputs, count_weights=None):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return cfg


@registry.register("layer")
class Hashing(DataLayer):
    """Hashes strings or integers into ``num_bins`` bins with TensorFlow's FarmHash
    Fingerprint64 (``to_hash_bucket_fast``; integers are hashed as their decimal strings), or
    with SipHash-2-4 keyed by ``salt`` (``to_hash_bucket_strong``).

    Args:
        num_bins: the number of bins, including the mask bin when ``mask_value`` is set.
        mask_value: a value hashed to bin 0 (the others go to ``[1, num_bins)``).
        salt: an int or a pair of ints: the SipHash key.
        output_mode: ``"int"`` (default; int64), ``"one_hot"``, ``"multi_hot"``, ``"count"``.
        sparse: False only.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}.")
        if output_mode == "int" and self.dtype_policy.name not in ("int32", "int64"):
            raise ValueError(
                'When `output_mode="int"`, `dtype` should be an integer type, \'int32\' or '
                f"'in64'. Received: dtype={kwargs['dtype']}")
        _check_mode(self, output_mode, _MODES)
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `\"one_hot\"`, "
                f'`"multi_hot"`, or `"count"`. Received: sparse={sparse} and '
                f"output_mode={output_mode}")
        _no_sparse(sparse, "Hashing")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 "
                    f"integers, or a single integer. Received: salt={salt}.")

    def _hash_values_to_bins(self, values):
        hash_bins = self.num_bins
        mask = None
        if self.mask_value is not None and hash_bins > 1:
            hash_bins -= 1
            if values.dtype.kind in "US":
                mask = values == str(self.mask_value)
            else:
                mask = values == self.mask_value
        hashed = _hash_bucket(values, hash_bins, self.salt)
        if mask is not None:
            hashed = xp.where(mask, 0, hashed + 1)
        return hashed

    def call(self, inputs):
        values = as_array(inputs)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = xp.squeeze(values, axis=-1)
        indices = self._hash_values_to_bins(values)
        return self._tensor(encode_categorical(indices, self.output_mode, self.num_bins,
                                               self.dtype))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if len(input_shape) == 0:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs):
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.dtype)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"num_bins": self.num_bins, "salt": self.salt,
                    "mask_value": self.mask_value, "output_mode": self.output_mode,
                    "sparse": self.sparse})
        return cfg


@registry.register("layer")
class HashedCrossing(DataLayer):
    """Crosses two or more integer or string features element-wise and hashes each
    combination into ``num_bins`` bins (TensorFlow's ``sparse.cross_hashed``).

    Args:
        num_bins: the number of bins.
        output_mode: ``"int"`` (default; int64) or ``"one_hot"``.
        sparse: False only.

    Example:
        >>> HashedCrossing(num_bins=5)((np.array(["A", "B"]), np.array([101, 101])))  # [1, 4]
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        _no_sparse(sparse, "HashedCrossing")
        _check_mode(self, output_mode, ("int", "one_hot"))
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _check_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`HashedCrossing` should be called on a list or tuple of inputs. "
                f"Received: inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError(
                f"`HashedCrossing` should be called on at least two inputs. Received: "
                f"inputs={inputs}")

    def call(self, inputs):
        self._check_inputs(inputs)
        arrays = [as_array(x) for x in inputs]
        first_shape = arrays[0].shape
        rank = len(first_shape)
        if rank > 2 or (rank == 2 and first_shape[-1] != 1):
            raise ValueError(
                "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
                f"`(batch_size, 1)`. Received: inputs={inputs}")
        if not all(a.shape == first_shape for a in arrays[1:]):
            raise ValueError(
                "All `HashedCrossing` inputs should have equal shape. "
                f"Received: inputs={inputs}")
        if any(a.dtype.kind == "f" for a in arrays):
            raise ValueError(
                "All `HashedCrossing` inputs should have an integer or string dtype. "
                f"Received: inputs={inputs}")
        crossed = _hashed_cross(arrays, self.num_bins)
        return self._tensor(encode_categorical(crossed, self.output_mode, self.num_bins,
                                               self.dtype))

    def compute_output_shape(self, input_shape):
        if (not len(input_shape) == 2 or not isinstance(input_shape[0], tuple)
                or not isinstance(input_shape[1], tuple)):
            raise ValueError(
                f"Expected as input a list/tuple of 2 tensors. Received input_shape="
                f"{input_shape}")
        if input_shape[0][-1] != input_shape[1][-1]:
            raise ValueError(
                "Expected the two input tensors to have identical shapes. Received "
                f"input_shape={input_shape}")
        if self.output_mode == "int":
            return tuple(input_shape[0])
        if self.output_mode == "one_hot" and input_shape[0][-1] != 1:
            return tuple(input_shape[0]) + (self.num_bins,)
        return tuple(input_shape[0])[:-1] + (self.num_bins,)

    def compute_output_spec(self, inputs):
        shapes = [tuple(t.shape) for t in inputs]
        return KerasTensor(self.compute_output_shape(shapes), dtype=self.dtype)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(**config)


__all__ = ["CategoryEncoding", "Discretization", "HashedCrossing", "Hashing"]
