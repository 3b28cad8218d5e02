"""``keras.utils.FeatureSpace``: preprocessing and encoding of structured (tabular) data.

A FeatureSpace maps a dict of raw columns (floats, integers, strings) to model-ready features:
normalized or rescaled floats, discretized floats, integer/string categories looked up in a
vocabulary learned by :meth:`FeatureSpace.adapt`, hashed categories, and hashed crosses of
categories, each one-hot encoded (or kept as an integer index), then concatenated into one
float32 vector per sample (``output_mode="concat"``) or returned as a dict.

The preprocessing is data-side (NumPy), as Keras's runs in ``tf.data``: it has no gradient. The
categorical preprocessors of Keras (Discretization, IntegerLookup, StringLookup, Hashing,
HashedCrossing, CategoryEncoding) are implemented here privately with Keras's results:
discretization bins from the same streaming quantile sketch, vocabularies ordered by frequency
(ties: the larger token first), and FarmHash Fingerprint64 hashing (``tf.strings.
to_hash_bucket_fast``) and ``tf.sparse.cross_hashed``, so hashed bins equal Keras's.
"""

from ember import ops
from ember.backend import to_numpy, xp
from ember.layers.layer import Layer
from ember.layers.node import KerasTensor, is_symbolic
from ember.layers.preprocessing import (
    Discretization,
    Hashing,
    IntegerLookup,
    Normalization,
    Rescaling,
    StringLookup,
)
from ember.layers.preprocessing._hashing import (  # noqa: F401 - the hashes, for tests
    _CROSS_HASH_KEY,
    _fingerprint64,
    _fingerprint_cat64,
)
from ember.layers.preprocessing._hashing import _hashed_cross as _cross_engine
from ember.utils.naming import auto_name


# -- the private preprocessors: NumPy in, NumPy out; shape (batch, 1) -------------------------
class _Preprocessor:
    """A column transform with Keras's preprocessing-layer behaviour (``kind`` names the Keras
    layer); ``state()`` holds what ``adapt`` learned, for ``get_config``."""

    kind = None
    adaptable = False
    cardinality = None

    @property
    def ready(self):
        """Whether it can transform (adapted, or needing no adaptation)."""
        return True

    def get_config(self):
        return {}

    def state(self):
        return {}

    def set_state(self, state):
        pass


class _Identity(_Preprocessor):
    kind = "identity"

    def __call__(self, x):
        return x.astype("float32")


class _Rescale(_Preprocessor):
    kind = "Rescaling"

    def __init__(self, scale=1.0, offset=0.0):
        self.layer = Rescaling(scale=scale, offset=offset)

    def __call__(self, x):
        return self.layer(x.astype("float32")).numpy()

    def get_config(self):
        return {"scale": self.layer.scale, "offset": self.layer.offset}


class _Normalize(_Preprocessor):
    kind = "Normalization"
    adaptable = True

    def __init__(self):
        self.layer = Normalization(axis=-1)
        self.adapted = False

    @property
    def ready(self):
        return self.adapted

    def adapt(self, batches):
        self.layer.adapt([b.astype("float32") for b in batches])
        self.adapted = True

    def __call__(self, x):
        return self.layer(x.astype("float32")).numpy()

    def state(self):
        if not self.adapted:
            return {}
        return {"mean": to_numpy(self.layer.adapt_mean).tolist(),
                "variance": to_numpy(self.layer.adapt_variance).tolist()}

    def set_state(self, state):
        if state:
            self.layer = Normalization(axis=-1, mean=state["mean"], variance=state["variance"])
            self.adapted = True


class _Discretize(_Preprocessor):
    """Keras's Discretization: bins of ``x`` by ``bin_boundaries`` (``x == b`` goes up), the
    boundaries learned by ``adapt`` as the ``num_bins`` quantiles of a streaming sketch."""

    kind = "Discretization"

    def __init__(self, num_bins=None, bin_boundaries=None, epsilon=0.01):
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"float_discretized: `num_bins` must be >= 0. Received: num_bins={num_bins}")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "float_discretized: set either `num_bins` or `bin_boundaries`, not both. "
                f"Received: num_bins={num_bins} and bin_boundaries={bin_boundaries}")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("float_discretized: set either `num_bins` or `bin_boundaries`.")
        self.num_bins = num_bins
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.epsilon = epsilon
        self.adaptable = bin_boundaries is None

    @property
    def cardinality(self):
        return self.num_bins if self.num_bins is not None else len(self.bin_boundaries) + 1

    @property
    def ready(self):
        return self.bin_boundaries is not None

    def adapt(self, batches):
        if not batches:
            raise ValueError("float_discretized: adapt() received no data.")
        layer = Discretization(num_bins=self.num_bins, epsilon=self.epsilon)
        layer.adapt(iter(batches))
        self.bin_boundaries = list(layer.bin_boundaries)

    def __call__(self, x):
        if self.bin_boundaries is None:
            raise ValueError("float_discretized: the bins are unknown until adapt() is called.")
        layer = Discretization(bin_boundaries=self.bin_boundaries)
        return layer(x.astype("float32")).numpy().astype("int64")

    def get_config(self):
        return {"num_bins": self.num_bins, "epsilon": self.epsilon,
                "bin_boundaries": None if self.adaptable else self.bin_boundaries}

    def state(self):
        return {"bin_boundaries": self.bin_boundaries} if self.adaptable else {}

    def set_state(self, state):
        if state.get("bin_boundaries") is not None:
            self.bin_boundaries = list(state["bin_boundaries"])


class _Lookup(_Preprocessor):
    """Keras's IntegerLookup / StringLookup (no mask token): index ``num_oov_indices + i`` for
    the i-th vocabulary token, out-of-vocabulary tokens in ``[0, num_oov_indices)``."""

    adaptable = True

    def __init__(self, kind, max_tokens=None, num_oov_indices=1):
        if num_oov_indices < 0:
            raise ValueError(
                f"{kind}: `num_oov_indices` must be >= 0. "
                f"Received: num_oov_indices={num_oov_indices}")
        if max_tokens is not None and max_tokens <= num_oov_indices:
            raise ValueError(
                f"{kind}: `max_tokens` must be greater than `num_oov_indices` "
                f"({num_oov_indices}). Received: max_tokens={max_tokens}")
        self.kind = kind
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.vocabulary = None
        self._index = None

    @property
    def _integer(self):
        return self.kind == "IntegerLookup"

    @property
    def cardinality(self):
        return self.num_oov_indices + len(self.vocabulary or ())

    @property
    def ready(self):
        return self.vocabulary is not None

    def _tokens(self, x):
        return x.astype("int64") if self._integer else x.astype(str)

    def _layer(self):
        cls = IntegerLookup if self._integer else StringLookup
        return cls(max_tokens=self.max_tokens, num_oov_indices=self.num_oov_indices)

    def adapt(self, batches):
        layer = self._layer()
        layer.adapt(self._tokens(b) for b in batches)
        self.set_state({"vocabulary": layer.get_vocabulary(include_special_tokens=False)})

    def __call__(self, x):
        if self.vocabulary is None:
            raise ValueError(f"{self.kind}: the vocabulary is unknown until adapt() is called.")
        return self._index(self._tokens(x)).numpy()

    def get_config(self):
        return {"max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices}

    def state(self):
        return {} if self.vocabulary is None else {"vocabulary": list(self.vocabulary)}

    def set_state(self, state):
        if "vocabulary" in state:
            self.vocabulary = [int(t) if self._integer else str(t) for t in state["vocabulary"]]
            self._index = self._layer()
            if self.vocabulary:
                self._index.set_vocabulary(self.vocabulary)


class _Hash(_Preprocessor):
    kind = "Hashing"

    def __init__(self, num_bins):
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                f"Hashing: `num_bins` must be a positive integer. Received: num_bins={num_bins}")
        self.num_bins = self.cardinality = num_bins
        self.layer = Hashing(num_bins=num_bins)

    def __call__(self, x):
        return self.layer(x).numpy()

    def get_config(self):
        return {"num_bins": self.num_bins}


def _hashed_cross(columns, num_bins):
    """Keras's HashedCrossing (``tf.sparse.cross_hashed``) of same-shape columns."""
    for name, column in columns:
        if column.dtype.kind == "f":
            raise ValueError(
                f"Feature cross: feature {name!r} is a float feature; only integer and string "
                "features can be crossed (as Keras's HashedCrossing).")
    return _cross_engine([column for _, column in columns], num_bins)


_PREPROCESSORS = {
    "identity": _Identity,
    "Rescaling": _Rescale,
    "Normalization": _Normalize,
    "Discretization": _Discretize,
    "IntegerLookup": lambda **kw: _Lookup("IntegerLookup", **kw),
    "StringLookup": lambda **kw: _Lookup("StringLookup", **kw),
    "Hashing": _Hash,
}


# -- the public spec objects ------------------------------------------------------------------
class Cross:
    """A crossing of categorical features, hashed into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                f"Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": list(self.feature_names), "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One feature of a FeatureSpace: its input dtype, its preprocessor and how its result is
    encoded (``"float"``, ``"int"`` or ``"one_hot"``)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode}")
        if isinstance(preprocessor, dict):
            preprocessor = _preprocessor_from_config(preprocessor)
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "output_mode": self.output_mode, "preprocessor": {
            "kind": self.preprocessor.kind, "config": self.preprocessor.get_config(),
            "state": self.preprocessor.state()}}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _preprocessor_from_config(config):
    kind = config.get("kind")
    if kind not in _PREPROCESSORS:
        raise ValueError(f"FeatureSpace: unknown preprocessor kind {kind!r} in a config.")
    preprocessor = _PREPROCESSORS[kind](**config.get("config", {}))
    preprocessor.set_state(config.get("state", {}))
    return preprocessor


class FeatureSpace(Layer):
    """One-stop preprocessing and encoding of structured data (``keras.utils.FeatureSpace``).

    Args:
        features: dict mapping each feature name to its type: a name such as
            ``"float_normalized"`` or ``"string_categorical"`` (default arguments) or a
            ``FeatureSpace.<type>(...)`` spec.
        output_mode: ``"concat"`` (one float32 vector per sample) or ``"dict"``.
        crosses: feature-name tuples to cross, e.g. ``[("city", "age_bucket")]``.
        crossing_dim, hashing_dim, num_discretization_bins: the default sizes of crosses,
            hashed features and discretized features.

    Example:
        >>> fs = FeatureSpace({"age": "float_discretized", "city": "string_categorical"},
        ...                   crosses=[("age", "city")])
        >>> fs.adapt(ember.tf.data.Dataset.from_tensor_slices(table))
        >>> x = fs(table)     # (n, dim) float32
    """

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values, passed through."""
        return Feature("float32", _Identity(), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values mapped to ``x * scale + offset``."""
        return Feature("float32", _Rescale(scale, offset), "float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized with the mean and variance learned by ``adapt``."""
        return Feature("float32", _Normalize(), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot",
                          name=None):
        """Float values bucketized (bins learned by ``adapt`` unless ``bin_boundaries``)."""
        return Feature("float32", _Discretize(num_bins, bin_boundaries), output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        """Integer categories, indexed in the vocabulary learned by ``adapt``."""
        return Feature("int32", _Lookup("IntegerLookup", max_tokens, num_oov_indices),
                       output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        """String categories, indexed in the vocabulary learned by ``adapt``."""
        return Feature("string", _Lookup("StringLookup", max_tokens, num_oov_indices),
                       output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """String values hashed into ``num_bins`` bins."""
        return Feature("string", _Hash(num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integer values hashed into ``num_bins`` bins."""
        return Feature("int32", _Hash(num_bins), output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        super().__init__(name=name or auto_name("FeatureSpace"))
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {n: self._standardize_feature(v) for n, v in features.items()}
        self.crosses = []
        for cross in crosses or ():
            if isinstance(cross, dict):
                cross = Cross.from_config(cross)
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError(
                        "When specifying `crosses`, the argument `crossing_dim` "
                        "(dimensionality of the crossing space) should be specified as well.")
                unknown = [k for k in cross if k not in self.features]
                if unknown:
                    raise ValueError(
                        "All features referenced in the `crosses` argument should be present "
                        f"in the `features` dict. Received unknown features: {unknown} in "
                        f"cross {tuple(cross)}")
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.crosses_by_name = {c.name: c for c in self.crosses}
        self._inputs = None
        self._encoded = None

    def _standardize_feature(self, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature)
        defaults = {
            "float": lambda: self.float(),
            "float_normalized": lambda: self.float_normalized(),
            "float_rescaled": lambda: self.float_rescaled(),
            "float_discretized": lambda: self.float_discretized(self.num_discretization_bins),
            "integer_categorical": lambda: self.integer_categorical(),
            "string_categorical": lambda: self.string_categorical(),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim),
        }
        if not isinstance(feature, str) or feature not in defaults:
            raise ValueError(
                f"Invalid feature type: {feature!r}. Expected a FeatureSpace feature spec or "
                f"one of {sorted(defaults)}.")
        return defaults[feature]()

    @property
    def preprocessors(self):
        return {name: f.preprocessor for name, f in self.features.items()}

    def _adaptable_names(self):
        return [n for n, f in self.features.items() if f.preprocessor.adaptable]

    # -- adapt ---------------------------------------------------------------------------
    def adapt(self, dataset):
        """Learn the statistics, vocabularies and bins from ``dataset`` (an
        ``ember.tf.data.Dataset`` of dicts, batched or not, or a dict of arrays)."""
        from ember.tf.data import Dataset

        if isinstance(dataset, dict):
            dataset = Dataset.from_tensor_slices(dataset)
        elif not isinstance(dataset, Dataset):
            raise ValueError(
                "`adapt()` can only be called on a tf.data.Dataset or a dict of arrays/lists. "
                f"Received instead: {dataset!r} (of type {type(dataset).__name__})")
        for name in self._adaptable_names():
            column = dataset.map(lambda x, name=name: x[name])
            first = next(iter(column), None)
            if first is None:
                raise ValueError(f"FeatureSpace.adapt: the dataset is empty (feature {name!r}).")
            if len(first.shape) == 0:  # unbatched scalars: adapt on batches of 32, as Keras
                column = column.batch(32)
            batches = []
            for batch in column:
                batch = to_numpy(batch)
                batches.append(batch.reshape(-1, 1) if batch.ndim <= 1 else batch)
            self.features[name].preprocessor.adapt(batches)
        self._check_if_adapted()
        self.built = True

    def _check_if_adapted(self):
        if not all(f.preprocessor.ready for f in self.features.values()):
            raise ValueError(
                "You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                "using it.")
        self._check_encodable()

    # -- encoding ------------------------------------------------------------------------
    def _specs(self):
        """(name, spec) of every output, in Keras's order: features then crosses, sorted."""
        return ([(n, self.features[n]) for n in sorted(self.features)]
                + [(n, self.crosses_by_name[n]) for n in sorted(self.crosses_by_name)])

    def _width(self, name, spec):
        if spec.output_mode == "one_hot":
            return spec.crossing_dim if isinstance(spec, Cross) else spec.preprocessor.cardinality
        return 1

    def _check_encodable(self):
        for name, spec in self._specs():
            if isinstance(spec, Feature) and spec.output_mode == "one_hot" and \
                    spec.preprocessor.cardinality is None:
                raise ValueError(
                    f"Feature '{name}' has `output_mode='one_hot'`, but its preprocessor "
                    "returns floats, which cannot be one-hot encoded. Try "
                    "`output_mode='float'`.")
            if self.output_mode == "concat" and spec.output_mode == "int":
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been "
                    "encoded (it has `output_mode='int'`). Consider using "
                    "`output_mode='dict'`.")

    def _encode(self, data):
        columns = {}
        for name, feature in self.features.items():
            if name not in data:
                raise ValueError(
                    f"FeatureSpace: the input dict lacks feature {name!r}; it has "
                    f"{sorted(data)}.")
            columns[name] = feature.preprocessor(data[name])
        for cross in self.crosses:
            columns[cross.name] = _hashed_cross(
                [(n, columns[n]) for n in cross.feature_names], cross.crossing_dim)
        outputs = {}
        for name, spec in self._specs():
            value = columns[name]
            if spec.output_mode == "one_hot":
                width = self._width(name, spec)
                # multi-hot over the last axis of a (batch, 1) column: a one-hot row
                hot = xp.zeros(value.shape[:-1] + (width,), dtype="float32")
                xp.put_along_axis(hot, value.astype("int64"), 1.0, axis=-1)
                value = hot
            outputs[name] = value
        if self.output_mode == "concat":
            return xp.concatenate([outputs[n] for n, _ in self._specs()], axis=-1)
        return outputs

    def __call__(self, data, *args, **kwargs):
        if is_symbolic(data):
            return super().__call__(data, *args, **kwargs)
        self._check_if_adapted()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data!r} (of type {type(data).__name__})")
        arrays, rebatched = {}, False
        for key, value in data.items():
            value = to_numpy(value)
            if value.ndim == 0:  # one sample: encode as a batch of one, then drop that axis
                value, rebatched = value.reshape(1, 1), True
            elif value.ndim == 1:
                value = value[:, None]
            arrays[key] = value
        encoded = self._encode(arrays)
        if rebatched:
            if self.output_mode == "concat":
                encoded = encoded[0]
            else:
                encoded = {k: v[0] if v.ndim == 2 and v.shape[0] == 1 else v
                           for k, v in encoded.items()}
        if isinstance(encoded, dict):
            return {k: ops.convert_to_tensor(v) for k, v in encoded.items()}
        return ops.convert_to_tensor(encoded)

    def call(self, data):
        return self(data)

    def compute_output_spec(self, inputs, *args, **kwargs):
        batch = next(iter(inputs.values())).shape[0]
        specs = {n: KerasTensor((batch, self._width(n, s)),
                                "float32" if s.output_mode != "int" else "int64")
                 for n, s in self._specs()}
        if self.output_mode == "concat":
            return KerasTensor((batch, sum(t.shape[-1] for t in specs.values())), "float32")
        return specs

    def get_inputs(self):
        """The symbolic inputs, one ``Input(shape=(1,), dtype=...)`` per feature (``"float32"``,
        ``"int32"`` or ``"string"``), to build an inference model on raw data."""
        self._check_if_adapted()
        if self._inputs is None:
            from ember.layers.core.input_layer import Input

            self._inputs = {
                name: Input(shape=(1,), dtype=f.dtype, name=name)
                for name, f in self.features.items()}
        return self._inputs

    def get_encoded_features(self):
        """Symbolic tensors with the shapes of the encoded features (one ``(None, dim)``
        tensor in concat mode, else a dict), to build a model that takes encoded features."""
        self._check_if_adapted()
        if self._encoded is None:
            from ember.layers.core.input_layer import Input

            specs = self.compute_output_spec({"_": KerasTensor((None, 1))})
            if isinstance(specs, dict):
                self._encoded = {n: Input(shape=t.shape[1:], dtype=t.dtype, name=n)
                                 for n, t in specs.items()}
            else:
                self._encoded = Input(shape=specs.shape[1:], name=f"{self.name}_encoded")
        return self._encoded

    # -- config --------------------------------------------------------------------------
    def get_config(self):
        """The config, with the adapted state (vocabularies, bins, statistics), so that
        ``from_config`` rebuilds an adapted FeatureSpace."""
        return {
            "name": self.name,
            "features": {n: f.get_config() for n, f in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [c.get_config() for c in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, filepath):
        """Save to a ``.keras`` file; reload with ``ember.saving.load_model(filepath,
        custom_objects={"FeatureSpace": FeatureSpace})``."""
        from ember.saving import save_model

        save_model(self, filepath)
