"""Weight constraints, as ``keras.constraints``.

A constraint maps a weight to its projection: ``c(w)`` takes a Variable, Tensor or array and
returns a NumPy array of the same shape and dtype. Optimizers apply it after each update with
``var.assign(var.constraint(var))`` (in place). Constraints work on raw arrays and never record
on a tape.
"""

from ember import config, registry
from ember.autodiff.tensor import data_of
from ember.backend import xp
from ember.registry import register


def _array(w):
    return xp.asarray(data_of(w))


def _norms(w, axis):
    return xp.sqrt(xp.sum(w * w, axis=axis, keepdims=True))


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained array; ``get_config``."""

    def __call__(self, w):
        return _array(w)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@register("constraint", aliases=("max_norm",))
class MaxNorm(Constraint):
    """Rescales slices along ``axis`` whose L2 norm exceeds ``max_value``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        w = _array(w)
        norms = _norms(w, self.axis)
        desired = xp.clip(norms, 0, self.max_value)
        return (w * (desired / (config.epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


@register("constraint", aliases=("non_neg",))
class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        w = _array(w)
        return w * (w >= 0).astype(w.dtype)


@register("constraint", aliases=("unit_norm",))
class UnitNorm(Constraint):
    """Rescales slices along ``axis`` to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _array(w)
        return (w / (config.epsilon() + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"axis": self.axis}


@register("constraint", aliases=("min_max_norm",))
class MinMaxNorm(Constraint):
    """Moves slice norms along ``axis`` towards ``[min_value, max_value]`` at ``rate``
    (1.0: exactly into the interval)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        w = _array(w)
        norms = _norms(w, self.axis)
        desired = (self.rate * xp.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return (w * (desired / (config.epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm


def serialize(constraint):
    return registry.serialize(constraint)


def deserialize(config, custom_objects=None):
    return registry.deserialize(config, custom_objects=custom_objects, kind="constraint")


def get(identifier):
    """A constraint for a name (``'non_neg'``), a config dict, an instance or a callable; None
    stays None. Unknown names raise a ValueError listing the valid ones."""
    if identifier is None:
        return None
    obj = registry.get("constraint", identifier)
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]
