"""Array creation and conversion (no gradients): zeros, ones, arange, ..."""

from ember import config
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.backend import to_numpy as _to_numpy
from ember.backend import xp
from ember.ops._helpers import raw


def _dt(dtype):
    return dtype or config.floatx()


def zeros(shape, dtype=None):
    return Tensor(xp.zeros(shape, dtype=_dt(dtype)))


def ones(shape, dtype=None):
    return Tensor(xp.ones(shape, dtype=_dt(dtype)))


def full(shape, fill_value, dtype=None):
    return Tensor(xp.full(shape, raw(fill_value), dtype=_dt(dtype)))


def zeros_like(x, dtype=None):
    return Tensor(xp.zeros_like(raw(x), dtype=dtype))


def ones_like(x, dtype=None):
    return Tensor(xp.ones_like(raw(x), dtype=dtype))


def full_like(x, fill_value, dtype=None):
    return Tensor(xp.full_like(raw(x), raw(fill_value), dtype=dtype))


def eye(N, M=None, k=0, dtype=None):
    return Tensor(xp.eye(N, M, k, dtype=_dt(dtype)))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def arange(start, stop=None, step=1, dtype=None):
    return Tensor(xp.arange(start, stop, step, dtype=dtype))


def linspace(start, stop, num=50, endpoint=True, dtype=None):
    return Tensor(xp.linspace(start, stop, num, endpoint=endpoint, dtype=_dt(dtype)))


def shape(x):
    """The shape of ``x`` as a tuple of Python ints (``None`` for the unknown dimensions of a
    symbolic KerasTensor), as ``keras.ops.shape``."""
    return tuple(None if d is None else int(d) for d in xp.shape(raw(x)))


def ndim(x):
    return xp.ndim(raw(x))


def size(x):
    return xp.size(raw(x))


def convert_to_numpy(x):
    """A NumPy array for a Tensor, Variable or array-like."""
    return _to_numpy(x)


def is_tensor(x):
    return isinstance(x, Tensor)


__all__ = [
    "zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "eye", "identity", "arange",
    "linspace", "shape", "ndim", "size", "convert_to_numpy", "convert_to_tensor", "is_tensor",
]
