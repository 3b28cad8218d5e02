"""The Metric base class and the array helpers metrics share.

Metrics never record on a tape: ``update_state`` takes Tensors or arrays, works on the raw
NumPy arrays and accumulates into non-trainable Variables (``metric.variables``, saved with the
model). ``result()`` returns a Tensor (0-d, or 1-d for metrics with several thresholds), as
Keras and TensorFlow do; ``float(metric.result())`` works for scalars.
"""

import functools
from collections.abc import Mapping

from ember import config, registry
from ember.autodiff.tensor import Tensor, Variable, data_of
from ember.autodiff.trace import effect
from ember.backend import xp


def as_array(x, dtype=None):
    """The raw NumPy array behind a Tensor/Variable/array-like (cast when ``dtype``)."""
    a = data_of(x)
    if not isinstance(a, xp.ndarray):
        a = xp.asarray(a)
    if dtype is not None and a.dtype != dtype:
        a = a.astype(dtype)
    return a


def squeeze_or_expand(x1, x2, expand_rank_1=True):
    """Keras's ``squeeze_or_expand_to_same_rank`` on NumPy arrays."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def divide_no_nan(a, b):
    """``a / b`` with 0 where ``b`` is 0 (elementwise for arrays)."""
    a, b = xp.asarray(a), xp.asarray(b)
    if b.ndim == 0:
        return a / b if b != 0 else xp.zeros_like(a)[()]
    safe = xp.where(b == 0, 1, b)
    return xp.where(b == 0, 0, a / safe).astype(a.dtype, copy=False)


def _tensor_result(result):
    """``result`` returning a Tensor: subclasses compute on NumPy arrays, users get tensors
    (``metric.result().numpy()``); a mapping of results (CompileMetrics) passes through."""
    if getattr(result, "_ember_tensor_result", False):
        return result

    @functools.wraps(result)
    def wrapped(self):
        value = result(self)
        if isinstance(value, (Tensor, Mapping)):
            return value
        return Tensor(xp.asarray(value))

    wrapped._ember_tensor_result = True
    return wrapped


class Metric:
    """Base class of the metrics, as ``keras.metrics.Metric``.

    Args:
        dtype: the dtype of the state and result (``floatx()`` by default).
        name: the metric's name (defaults to the snake-case class name).

    Subclasses create state with ``add_variable`` in ``__init__`` and implement
    ``update_state(...)``, ``result()`` and, when zeros are not the initial state,
    ``reset_state()``.
    """

    def __init__(self, dtype=None, name=None):
        self.name = name or registry.to_snake_case(type(self).__name__)
        self._dtype_arg = dtype
        self.dtype = str(xp.dtype(dtype or config.floatx()))
        self._variables = []

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("result")
        if own is not None and not getattr(own, "_ember_effect", False):
            cls.result = _tensor_result(own)
        # Metrics work on raw arrays, which a tf.function trace cannot see: it records these
        # calls instead and makes them again at each replay.
        for name in ("update_state", "reset_state", "result"):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_ember_effect", False):
                setattr(cls, name, effect(method))

    # -- state -----------------------------------------------------------------------------------
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="sum", name=None):
        """A non-trainable Variable holding part of the metric's state."""
        from ember import initializers

        init = initializers.get(initializer) if initializer is not None else initializers.Zeros()
        var = Variable(init, shape=tuple(shape), dtype=dtype or self.dtype, trainable=False,
                       name=name)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        return self.add_variable(shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        return self._variables[:]

    @effect
    def reset_state(self):
        """Zero every state variable (in place)."""
        for v in self._variables:
            v.data[...] = 0

    # -- the protocol ----------------------------------------------------------------------------
    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    @effect
    def __call__(self, *args, **kwargs):
        """``update_state(...)`` then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
