"""Activation functions, as ``keras.activations``: thin functions over :mod:`ember.ops`.

Every built-in is registered as an ``'activation'``, so ``'relu'`` resolves to :func:`relu` and
:func:`serialize` turns it back into the bare string ``"relu"`` (Keras's format).
"""

from ember import registry
from ember.activations.activations import (
    celu,
    elu,
    exponential,
    gelu,
    glu,
    hard_shrink,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    hard_tanh,
    leaky_relu,
    linear,
    log_sigmoid,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    soft_shrink,
    softmax,
    softplus,
    softsign,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    swish,
    tanh,
    tanh_shrink,
    threshold,
)


def serialize(activation):
    """The name of a built-in activation (``"relu"``), or an envelope for a registered one."""
    return registry.serialize(activation)


def deserialize(config, custom_objects=None):
    """The activation function named (or described) by ``config``."""
    return registry.deserialize(config, custom_objects=custom_objects, kind="activation")


def get(identifier):
    """An activation function for ``identifier``: None (linear), a name, a config or a callable.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or a value that is
            not callable.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        obj = registry.get("activation", identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret activation function identifier: {identifier!r}. Expected a name "
        f"such as 'relu', a config dict or a callable."
    )


__all__ = [
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu",
    "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold", "get", "serialize", "deserialize",
]
