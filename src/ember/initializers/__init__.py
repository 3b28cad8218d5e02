"""Initializers, as ``keras.initializers``: ``init(shape, dtype=None)`` returns a NumPy array."""

from ember import registry
from ember.initializers.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    Initializer,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomInitializer,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)

# Keras's lowercase aliases are the classes themselves
constant = Constant
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
identity = IdentityInitializer = Identity
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
ones = Ones
orthogonal = OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
zeros = Zeros


def serialize(initializer):
    """Keras's envelope ``{"module", "class_name", "config", "registered_name"}``."""
    return registry.serialize(initializer)


def deserialize(config, custom_objects=None):
    return registry.deserialize(config, custom_objects=custom_objects, kind="initializer")


def get(identifier):
    """An initializer for a name (``'glorot_uniform'``), a config dict, a class, an instance
    or a callable ``fn(shape, dtype=None)``; None stays None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    if identifier is None:
        return None
    obj = registry.get("initializer", identifier)
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Expected a name such as "
        "'glorot_uniform', a config dict, an Initializer or a callable.")


__all__ = [
    "Initializer", "RandomInitializer", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal",
    "HeUniform", "Identity", "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal",
    "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans", "get",
    "serialize", "deserialize",
]
