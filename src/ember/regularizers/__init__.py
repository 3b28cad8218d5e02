"""Weight regularizers, as ``keras.regularizers``.

``reg(x)`` returns a scalar Tensor built from :mod:`ember.ops`, so when ``x`` is a trainable
Variable inside a GradientTape the penalty's gradient flows into the training step.
"""

import math

from ember import config, ops, registry
from ember.registry import register


def _check_factor(value, name, cls):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{cls}: `{name}` must be a non-negative float. Received: {name}={value!r}"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"{cls}: `{name}` must be a non-negative finite float. Received: {name}={value}")
    return value


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty; ``get_config``/``from_config``."""

    def __call__(self, x):
        return ops.convert_to_tensor(0.0)

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register("regularizer", aliases=("l1",))
class L1(Regularizer):
    """``l1 * sum(abs(x))``."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor(l1, "l1", "L1")

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.abs(x)), self.l1)

    def get_config(self):
        return {"l1": float(self.l1)}


@register("regularizer", aliases=("l2",))
class L2(Regularizer):
    """``l2 * sum(square(x))``."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor(l2, "l2", "L2")

    def __call__(self, x):
        return ops.multiply(ops.sum(ops.square(x)), self.l2)

    def get_config(self):
        return {"l2": float(self.l2)}


@register("regularizer", aliases=("l1_l2",))
class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor(l1, "l1", "L1L2")
        self.l2 = _check_factor(l2, "l2", "L1L2")

    def __call__(self, x):
        penalty = ops.convert_to_tensor(0.0, dtype=config.floatx())
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.abs(x)), self.l1))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.square(x)), self.l2))
        return penalty

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


def _l2_normalize(x, axis):
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(square_sum, config.epsilon())))


@register("regularizer", aliases=("orthogonal_regularizer",))
class OrthogonalRegularizer(Regularizer):
    """Encourages the rows (``mode='rows'``) or columns of a 2-D kernel to be orthogonal:
    ``factor * 0.5 * sum(|off-diagonal of the Gram matrix of unit vectors|) / num_pairs``."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _check_factor(factor, "factor", "OrthogonalRegularizer")
        if mode not in ("rows", "columns"):
            raise ValueError(
                "OrthogonalRegularizer: `mode` must be 'rows' or 'columns'. "
                f"Received: mode={mode!r}")
        self.mode = mode

    def __call__(self, x):
        x = ops.convert_to_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                "OrthogonalRegularizer expects a 2-D input. "
                f"Received: input of shape {x.shape}")
        if self.mode == "rows":
            x = _l2_normalize(x, 1)
            product = ops.matmul(x, ops.transpose(x))
            size = x.shape[0]
        else:
            x = _l2_normalize(x, 0)
            product = ops.matmul(ops.transpose(x), x)
            size = x.shape[1]
        off_diagonal = ops.multiply(product, 1.0 - ops.eye(size, dtype=x.dtype).data)
        num_pairs = size * (size - 1.0) / 2.0
        total = ops.sum(ops.abs(off_diagonal))
        return ops.multiply(total, self.factor * 0.5 / num_pairs if num_pairs else 0.0)

    def get_config(self):
        return {"factor": float(self.factor), "mode": self.mode}


l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer):
    return registry.serialize(regularizer)


def deserialize(config, custom_objects=None):
    return registry.deserialize(config, custom_objects=custom_objects, kind="regularizer")


def get(identifier):
    """A regularizer for a name (``'l2'``), a config dict, an instance or a callable; None stays
    None. Unknown names raise a ValueError listing the valid ones."""
    if identifier is None:
        return None
    obj = registry.get("regularizer", identifier)
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2",
           "orthogonal_regularizer", "get", "serialize", "deserialize"]
