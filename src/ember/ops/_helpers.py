"""Helpers shared by the op families: unwrapping, dtype rules, broadcasting gradients."""

from ember.autodiff.tensor import Tensor
from ember.backend import xp


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting an input of that shape."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def binary_operands(a, b, op_name):
    """Raw arrays for a binary op, casting a non-Tensor constant to the tensor's float dtype so
    that a float64 NumPy constant never silently upcasts a float32 computation."""
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        return a, b
    if ta:
        return a, _constant_like(b, a.data)
    if tb:
        return _constant_like(a, b.data), b
    a, b = xp.asarray(a), xp.asarray(b)
    return a, b


def _constant_like(value, ref):
    if isinstance(value, (int, float, bool)):
        return value  # NumPy 2 keeps the array's dtype for Python scalars
    array = xp.asarray(value)
    if ref.dtype.kind == "f" and array.dtype.kind in "fiub" and array.dtype != ref.dtype:
        array = array.astype(ref.dtype)
    return array


def normalize_axis(axis, ndim, op):
    """A tuple of non-negative axes (or None for all), with a clear error for a bad axis."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for an input of rank {ndim}")
        out.append(a % ndim)
    return tuple(out)


def shape_of(x):
    return x.shape if hasattr(x, "shape") else xp.shape(x)


def raw(x):
    return x.data if isinstance(x, Tensor) else x
