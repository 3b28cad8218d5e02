"""Vocabulary lookup layers: ``IntegerLookup`` and ``StringLookup``, as Keras 3.

A vocabulary (given, read from a text file, or learned by ``adapt``: most frequent first, ties
broken by the larger token, as Keras) maps tokens to indices after the reserved ones: the mask
index 0 (when ``mask_token`` is set and ``output_mode="int"``), then ``num_oov_indices``
out-of-vocabulary buckets (integers by ``floormod`` or FarmHash, strings by FarmHash or, with a
``salt``, SipHash, as TensorFlow). ``invert=True`` maps indices back to tokens. Outputs are
``int`` indices (int64) or per-sample ``one_hot``/``multi_hot``/``count``/``tf_idf`` vectors.
Data-side NumPy computation: no gradient.
"""

import math
import os
import threading

from ember import registry
from ember.backend import xp
from ember.layers.node import KerasTensor
from ember.layers.preprocessing._base import (
    DataLayer,
    as_array,
    batches_of,
    encode_categorical,
    encoded_shape,
)
from ember.layers.preprocessing._hashing import _hash_bucket, _map_unique

_INT64_MAX = 2 ** 63 - 1
_from_config = threading.local()  # set while from_config builds a lookup layer


def _listify(value):
    if value is None:
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    return [v.tolist() if hasattr(v, "tolist") else v for v in value]


class IndexLookup(DataLayer):
    """The shared logic of IntegerLookup and StringLookup (not public, as in Keras)."""

    _string = False

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", name=None,
                 salt=None, **kwargs):
        cls = self.__class__.__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If set, `max_tokens` must be greater than 1. "
                f"Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                "If pad_to_max_tokens is True, must set `max_tokens`. "
                f"Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. "
                f"Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"Unknown value for `oov_method` argument of layer {cls}. Allowed values "
                f"are: ('floormod', 'farmhash'). Received: oov_method={oov_method}")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}.")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        allowed = ("int", "one_hot", "multi_hot", "count", "tf_idf")
        if output_mode not in allowed:
            raise ValueError(
                f"Unknown value for `output_mode` argument of layer {cls}. Allowed values "
                f"are: {allowed}. Received: output_mode={output_mode}")
        if invert and output_mode != "int":
            raise ValueError(
                "`output_mode` must be `'int'` when `invert` is true. "
                f"Received: output_mode={output_mode}")
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, "
                f"`'count'` or `'tf_idf'`. Received: sparse={sparse} and "
                f"output_mode={output_mode}")
        if sparse:
            raise ValueError(
                f"{cls}: `sparse=True` is not supported: ember has no sparse tensors (Keras "
                "supports it on the TensorFlow backend only).")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. "
                f"Received: idf_weights={idf_weights} and output_mode={output_mode}")
        frozen = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = []  # the vocabulary, reserved tokens excluded
        self._index = {}
        self.idf_weights = None
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None:
                raise ValueError(
                    "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                    "`idf_weights` argument must also be provided.")
            if idf_weights is not None:
                self.idf_weights = xp.asarray(idf_weights, dtype="float32")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self._reset_counts()

    # -- indices -------------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def _key(self, value):
        return str(value) if self._string else int(value)

    def vocabulary_size(self):
        """The vocabulary size, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary: position ``i`` holds the token of index ``i`` (the OOV token at the
        OOV indices, the mask token at 0 in ``"int"`` mode); without them when
        ``include_special_tokens=False``."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    def _record_vocabulary_size(self):
        self._frozen_vocab_size = self.vocabulary_size()

    # -- vocabulary ----------------------------------------------------------------------
    def _read_vocabulary_file(self, path):
        from ember.saving import serialization_lib

        # a path found in a config (from_config) is refused in safe mode, as Keras does
        if getattr(_from_config, "active", False) and serialization_lib.in_safe_mode():
            raise ValueError(
                "Requested the loading of a vocabulary file outside of the model archive. "
                "This carries a potential risk of loading arbitrary and sensitive files and "
                "thus it is disallowed by default. If you trust the source of the artifact, "
                "you can override this error by passing `safe_mode=False` to the loading "
                f"function, or calling `keras.config.enable_unsafe_deserialization()`. "
                f"Vocabulary file: '{path}'")
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return [self._key(line) for line in lines]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list or 1-D array of tokens, or the path of a text file with
        one token a line) and, in ``"tf_idf"`` mode, its IDF weights. The reserved tokens may
        lead the list (as ``get_vocabulary()`` returns them)."""
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError(
                    "`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                f"`output_mode` is `'{self.output_mode}'`.")
        from_file = isinstance(vocabulary, str)
        if from_file:
            if self.output_mode == "tf_idf":
                raise ValueError(
                    "output_mode `'tf_idf'` does not support loading a vocabulary from file.")
            tokens = self._read_vocabulary_file(vocabulary)
        else:
            tokens = [self._key(t) for t in as_array(vocabulary).reshape(-1).tolist()]
            if not tokens:
                raise ValueError(
                    f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        token_start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        found_special = not from_file and [
            None if t is None else self._key(t) for t in special] == tokens[:token_start]
        if found_special:
            tokens = tokens[token_start:]
        if not from_file:
            seen, repeated = set(), []
            for t in tokens:
                if t in seen and t not in repeated:
                    repeated.append(t)
                seen.add(t)
            if repeated:
                raise ValueError(
                    "The passed vocabulary has at least one repeated term. Please uniquify "
                    f"your dataset. The repeated terms are: {repeated}")
            if self.mask_token is not None and self._key(self.mask_token) in tokens:
                raise ValueError(
                    f"Found reserved mask token at unexpected location in `vocabulary`. Note "
                    "that passed `vocabulary` does not need to include the OOV and mask "
                    "tokens. Either remove all mask and OOV tokens, or include them only at "
                    f"the start of the vocabulary in precisely this order: {special}. "
                    f"Received: mask_token={self.mask_token} at vocabulary index "
                    f"{tokens.index(self._key(self.mask_token))}")
            if self.oov_token is not None and self.invert and \
                    self._key(self.oov_token) in tokens:
                raise ValueError(
                    "Found reserved OOV token at unexpected location in `vocabulary`. Note that "
                    "passed `vocabulary` does not need to include the OOV and mask tokens. "
                    "Either remove all mask and OOV tokens, or include them only at the start "
                    f"of the vocabulary in precisely this order: {special}. Received: "
                    f"oov_token={self.oov_token} at vocabulary index "
                    f"{tokens.index(self._key(self.oov_token))}")
        new_vocab_size = token_start + len(tokens)
        if self.max_tokens is not None and new_vocab_size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. "
                f"Received vocabulary size is {new_vocab_size}; `max_tokens` is "
                f"{self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf_weights = xp.asarray(idf_weights, dtype="float32")
            if len(as_array(vocabulary).reshape(-1)) != len(idf_weights):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. "
                    f"len(idf_weights) is {len(idf_weights)}; len(vocabulary) is "
                    f"{len(as_array(vocabulary).reshape(-1))}")
            if idf_weights.ndim != 1:
                raise ValueError(
                    "TF-IDF data must be a 1-index array. "
                    f"Received: type(idf_weights)={type(idf_weights)}")
            front = 0 if found_special else token_start
            front_value = 0.0 if found_special else float(xp.average(idf_weights))
            back = (self.max_tokens - front - len(idf_weights)
                    if self.pad_to_max_tokens and self.max_tokens is not None else 0)
            self.idf_weights = xp.pad(idf_weights, (front, back),
                                      constant_values=(front_value, 0.0)).astype("float32")

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._index = {t: i + start for i, t in enumerate(self._tokens)}
        self._record_vocabulary_size()

    # -- adapt ---------------------------------------------------------------------------
    def _reset_counts(self):
        self._counts = {}
        self._doc_counts = {}
        self._num_documents = 0

    def reset_state(self):
        if self._has_input_vocabulary:
            return
        self._reset_counts()

    def _as_keys(self, data):
        data = as_array(data)
        if self._string:
            return data.astype(str)
        if data.dtype.kind not in "iub":
            raise ValueError(
                f"{self.__class__.__name__}: expected integer data. Received data of dtype "
                f"{data.dtype}")
        return data.astype("int64")

    def adapt(self, data, steps=None):
        """Learn the vocabulary of ``data`` (an array, a list, a Dataset or an iterable of
        batches), most frequent first; in ``"tf_idf"`` mode, the IDF weights too."""
        self.reset_state()
        if isinstance(data, (list, tuple)) or hasattr(data, "dtype") or \
                hasattr(data, "__ember_array__"):
            data = as_array(data)
            if data.ndim == 1:
                data = data[:, None]
            batches = [data]
        else:
            batches = batches_of(data, steps)
        for batch in batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method.")
        data = self._as_keys(data)
        if data.ndim == 0:
            data = data.reshape(1)
        if data.ndim == 1:
            data = data[None, :]
        uniques, counts = xp.unique(data, return_counts=True)
        for t, c in zip(uniques.tolist(), counts.tolist()):
            self._counts[t] = self._counts.get(t, 0) + c
        if self.output_mode == "tf_idf":
            for row in data.reshape(data.shape[0], -1):
                for t in xp.unique(row).tolist():
                    self._doc_counts[t] = self._doc_counts.get(t, 0) + 1
            self._num_documents += data.shape[0]

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            self._record_vocabulary_size()
            return
        counts = dict(self._counts)
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        # most frequent first; ties: the larger token first (Keras's lexsort, reversed)
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            doc = xp.asarray([self._doc_counts.get(t, 0) for t in tokens], dtype="float64")
            idf = xp.log(1 + self._num_documents / (1 + doc)).astype("float32")
            mean = float(idf.mean()) if idf.size else math.nan
            idf = xp.pad(idf, (self._token_start_index(), 0), constant_values=mean)
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = xp.pad(idf, (0, self.max_tokens - idf.size), constant_values=0.0)
            self.idf_weights = idf.astype("float32")
        self.reset_state()
        self._record_vocabulary_size()

    # -- call ----------------------------------------------------------------------------
    def _lookup(self, keys):
        if self.invert:
            return self._invert(keys)
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        if keys.size:
            lookups = _map_unique(keys, lambda t: self._index.get(t, default)).astype("int64")
        else:
            lookups = xp.zeros(keys.shape, dtype="int64")
        if self.mask_token is not None:
            mask_value = 0 if self.output_mode == "int" else _INT64_MAX
            lookups = xp.where(keys == self._key(self.mask_token), mask_value, lookups)
        if self.num_oov_indices == 0:
            oov = lookups == -1
            if oov.any():
                raise ValueError(
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                    f"values {xp.unique(keys[oov]).tolist()}, consider setting "
                    "`num_oov_indices=1`.")
        elif self.num_oov_indices > 1:
            if not self._string and self.oov_method != "farmhash":
                buckets = xp.mod(keys, self.num_oov_indices)
            else:
                buckets = _hash_bucket(keys, self.num_oov_indices, self.salt)
            lookups = xp.where(lookups == -1, buckets + self._oov_start_index(), lookups)
        return lookups

    def _invert(self, indices):
        indices = indices.astype("int64")
        by_index = {i: t for t, i in self._index.items()}
        out = _map_unique(indices, lambda i: by_index.get(i, self.oov_token))
        if self.mask_token is not None:
            out = xp.where(indices == 0, self._key(self.mask_token), out)
        out = out.astype(str) if self._string else out.astype("int64")
        return out

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def call(self, inputs):
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data.")
        data = as_array(inputs)
        keys = data.astype("int64") if self.invert else self._as_keys(data)
        squeeze = keys.ndim == 0
        if squeeze:
            keys = keys.reshape(1)
        lookups = self._lookup(keys)
        if self.output_mode == "int":
            return self._tensor(lookups.reshape(()) if squeeze else lookups)
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        output = encode_categorical(lookups, mode, self._depth(), "float32")
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError(
                    "When `output_mode` is `'tf_idf'`, `idf_weights` must be provided or "
                    "`adapt` must be called.")
            output = (output * self.idf_weights).astype("float32")
        return self._tensor(output)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def compute_output_spec(self, inputs):
        if self.output_mode == "int":
            dtype = ("string" if self._string else "int64") if self.invert else "int64"
        else:
            dtype = "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    # -- config and assets ---------------------------------------------------------------
    @classmethod
    def from_config(cls, config):
        previous = getattr(_from_config, "active", False)
        _from_config.active = True
        try:
            return super().from_config(config)
        finally:
            _from_config.active = previous

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": _listify(self.input_idf_weights),
            "vocabulary": _listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        })
        return cfg

    def save_assets(self, dir_path):
        """Write a learned vocabulary to ``dir_path/vocabulary.txt`` (Keras's asset layout);
        a vocabulary given to the constructor is in the config instead."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = [self._key(line) for line in lines]
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(values)


@registry.register("layer")
class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices of a vocabulary (or back, with ``invert=True``).

    Args:
        max_tokens: the largest vocabulary size (mask and OOV indices included), or None.
        num_oov_indices: the number of out-of-vocabulary buckets (0: OOV inputs raise).
        mask_token: an integer mapped to index 0 (``"int"`` mode) or dropped (other modes).
        oov_token: the token ``invert`` returns for OOV indices (default -1).
        vocabulary: a list or array of integers, or a text file path; else call ``adapt``.
        vocabulary_dtype: "int64" only.
        idf_weights: IDF weights (``"tf_idf"`` mode with a given vocabulary).
        invert: map indices to tokens.
        output_mode: ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"``, ``"tf_idf"``.
        sparse: False only.
        pad_to_max_tokens: pad the encoded axis to ``max_tokens``.
        oov_method: ``"floormod"`` (``token % num_oov_indices``) or ``"farmhash"``.
        salt: the SipHash key of ``"farmhash"`` OOV buckets.

    Example:
        >>> layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer(np.array([[12, 1138, 42], [42, 1000, 36]]))   # [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}")
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. "
                f"Received: vocabulary_dtype={vocabulary_dtype}")
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=vocabulary_dtype,
            idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
            pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt, name=name,
            **kwargs)

    def get_config(self):
        cfg = super().get_config()
        for key in ("oov_token", "mask_token"):
            if cfg[key] is not None:
                cfg[key] = int(cfg[key])
        if cfg["vocabulary"] is not None:
            cfg["vocabulary"] = [int(v) for v in cfg["vocabulary"]]
        return cfg


@registry.register("layer")
class StringLookup(IndexLookup):
    """Maps strings to contiguous indices of a vocabulary (or back, with ``invert=True``).
    The arguments are IntegerLookup's (``oov_token`` defaults to ``"[UNK]"``; OOV buckets hash
    with FarmHash, or SipHash keyed by ``salt``), plus ``encoding`` (of bytes inputs).

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))   # [[1, 3, 4], [4, 0, 2]]
    """

    _string = True

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        if sparse:
            raise ValueError(
                "`sparse=True` can only be used with the TensorFlow backend (ember has no "
                "sparse tensors).")
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(
            max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
            oov_token=oov_token, vocabulary=vocabulary, idf_weights=idf_weights, invert=invert,
            output_mode=output_mode, pad_to_max_tokens=pad_to_max_tokens, sparse=sparse,
            name=name, salt=salt, vocabulary_dtype="string", **kwargs)
        self.encoding = encoding

    def _as_keys(self, data):
        return to_str(data, getattr(self, "encoding", "utf-8"))

    def get_config(self):
        cfg = super().get_config()
        del cfg["vocabulary_dtype"]
        cfg["encoding"] = self.encoding
        return cfg


def to_str(data, encoding):
    array = data if hasattr(data, "dtype") and not hasattr(data, "__ember_array__") \
        else as_array(data)
    if array.dtype.kind == "S":
        return xp.char.decode(array, encoding)
    if array.dtype.kind == "O":
        flat = [v.decode(encoding) if isinstance(v, bytes) else str(v)
                for v in array.reshape(-1)]
        return xp.asarray(flat, dtype=str).reshape(array.shape)
    return array.astype(str)


__all__ = ["IntegerLookup", "StringLookup"]
