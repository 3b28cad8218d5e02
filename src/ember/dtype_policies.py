"""Dtype policies, as ``keras.dtype_policies``: which dtype a layer computes in and which its
variables are stored in.

``DTypePolicy("mixed_float16")`` computes in float16 and keeps float32 variables;
``DTypePolicy("float32")`` (any dtype name) uses that dtype for both. Policies serialize to
Keras's envelope, so configs move between ember and Keras. Keras's quantized policies (int8,
int4, float8, GPTQ, AWQ) are not provided: ember has no quantized kernels.
"""

import re
from collections.abc import MutableMapping

from ember import config, registry

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


@registry.register("dtype_policy")
class DTypePolicy:
    """A dtype policy: ``compute_dtype`` (the dtype of a layer's computations and outputs) and
    ``variable_dtype`` (the dtype of its weights).

    Args:
        name: ``"mixed_float16"``, ``"mixed_bfloat16"`` or a dtype name such as ``"float32"``;
            None means ``ember.config.floatx()``.
    """

    _keras_module = "keras"

    def __init__(self, name=None):
        if name is None:
            name = config.floatx()
        if not isinstance(name, str):
            raise TypeError(
                "'name' must be a string, such as 'mixed_float16'. "
                f"Received: name={name!r} (of type {type(name)})"
            )
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)

    def _parse_name(self, name):
        if name in _MIXED:
            return _MIXED[name], "float32"
        from ember.backend.keras_api import standardize_dtype

        try:
            dtype = standardize_dtype(name)
        except ValueError:
            raise ValueError(
                f"Cannot convert '{name}' to a mixed precision {type(self).__name__}. Valid "
                "policies include 'mixed_float16', 'mixed_bfloat16', and the name of any float "
                "dtype such as 'float32'."
            ) from None
        return dtype, dtype

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations (and outputs)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: ember's policies are not quantized."""
        return None

    def convert_input(self, x, autocast, dtype):
        """``x`` cast to ``dtype`` when ``autocast`` and it is a float of another dtype; integer
        and boolean inputs are left as they are."""
        from ember import ops
        from ember.backend.keras_api import standardize_dtype

        dtype = standardize_dtype(dtype)
        if not hasattr(x, "dtype") and not hasattr(x, "__array__"):
            return x
        if not hasattr(x, "dtype") or type(x).__module__ == "numpy":
            x = ops.convert_to_tensor(x)
        if autocast and _is_float(x.dtype) and standardize_dtype(x.dtype) != dtype:
            return ops.cast(x, dtype)
        return x

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return (type(other) in (DTypePolicy, FloatDTypePolicy)
                and type(self) in (DTypePolicy, FloatDTypePolicy)
                and other.name == self.name)

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


@registry.register("dtype_policy")
class FloatDTypePolicy(DTypePolicy):
    """The policy of float dtypes (Keras keeps it as an alias-like subclass of DTypePolicy)."""


def _is_float(dtype):
    from ember.backend.keras_api import is_float_dtype

    return is_float_dtype(dtype)


@registry.register("dtype_policy")
class DTypePolicyMap(DTypePolicy, MutableMapping):
    """A mapping from layer paths (``"encoder/dense"``) to policies, with a default.

    A key matches a path exactly, or else as a regular expression (``"encoder/.*"``); a path
    that no key matches gets ``default_policy``.

    Args:
        default_policy: the policy for unmatched paths (anything :func:`get` accepts).
        policy_map: an initial ``{path: policy}`` dict.
    """

    _keras_module = "keras.dtype_policies"

    def __init__(self, default_policy=None, policy_map=None):
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                "If specified, `policy_map` must be a dict. "
                f"Received: policy_map={policy_map!r} of type {type(policy_map)}"
            )
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map = {}
        for key, policy in (policy_map or {}).items():
            self[key] = policy

    @property
    def name(self):
        return "map_" + self.default_policy._name

    @property
    def default_policy(self):
        return get(self._default_policy)

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    def __getitem__(self, key):
        """The policy of the path ``key``: an exact key, else the one key that matches it as a
        regular expression, else the default policy."""
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy specification keys: {matches}. "
                "Please make sure each path only matches at most one dtype policy "
                "specification key in the DTypePolicyMap."
            )
        return self._policy_map[matches[0]] if matches else self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(
                f"{key} already exist in the DTypePolicyMap with value "
                f"{self._policy_map[key]}. Please make sure to not use duplicated keys."
            )
        try:
            policy = get(policy)
        except (TypeError, ValueError):
            raise ValueError(
                "Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                f"Received: {policy!r} of type {type(policy)}"
            ) from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        del self._policy_map[key]

    def __contains__(self, key):
        return key in self._policy_map

    def __iter__(self):
        return iter(self._policy_map)

    def __len__(self):
        return len(self._policy_map)

    def get_config(self):
        default = self._default_policy_arg
        if isinstance(default, DTypePolicy):
            default = serialize(default)
        return {"default_policy": default,
                "policy_map": {k: serialize(v) for k, v in self._policy_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        policy_map = {k: deserialize(v, custom_objects)
                      for k, v in (config.pop("policy_map", None) or {}).items()}
        default = config.pop("default_policy", None)
        if isinstance(default, dict):
            default = deserialize(default, custom_objects)
        return cls(default_policy=default, policy_map=policy_map, **config)

    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __repr__(self):
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return (f"<DTypePolicyMap at {hex(id(self))} default_policy={self.default_policy.name}, "
                f"mapping={mapping}>")


def serialize(dtype_policy):
    """Keras's envelope of a policy (``{"module", "class_name", "config", ...}``)."""
    return registry.serialize(dtype_policy)


def deserialize(config, custom_objects=None):
    """The policy described by an envelope made by :func:`serialize`."""
    from ember.saving.serialization_lib import deserialize_keras_object

    kind = "dtype_policy" if isinstance(config, dict) else None  # a bare name stays a name
    return deserialize_keras_object(config, custom_objects=custom_objects, kind=kind)


def get(identifier):
    """A policy from None (the global policy, ``ember.config.dtype_policy()``), a policy, a name
    (``"mixed_float16"``, ``"float32"``), a serialized policy, or a dtype."""
    if identifier is None:
        return config.dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    from ember.backend.keras_api import standardize_dtype

    try:
        return DTypePolicy(standardize_dtype(identifier))
    except (TypeError, ValueError):
        raise ValueError(
            "Cannot interpret `dtype` argument. Expected a string or an instance of "
            f"DTypePolicy. Received: dtype={identifier!r}"
        ) from None


__all__ = ["DTypePolicy", "FloatDTypePolicy", "DTypePolicyMap", "serialize", "deserialize", "get"]
