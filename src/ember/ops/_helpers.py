"""Helpers shared by the op families: unwrapping, dtype rules, broadcasting gradients."""

from ember import config
from ember.autodiff import trace
from ember.autodiff.function import is_float_dtype
from ember.autodiff.tensor import Tensor, python_ints_to_int32
from ember.backend import xp

_PY_SCALARS = (int, float, bool)


def unbroadcast(g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting an input of that shape."""
    if g.shape == shape:
        return g
    # Summing over leading axes only (a bias gradient): a matrix-vector product is several times
    # faster than NumPy's reduction over a short last axis.
    lead = g.ndim - len(shape)
    while lead < g.ndim and shape[lead - (g.ndim - len(shape))] == 1 and g.shape[lead] != 1:
        lead += 1
    if g.shape[lead:] == shape[len(shape) - (g.ndim - lead):] and g.dtype.kind == "f":
        rows = g.size // max(1, _prod(g.shape[lead:]))
        if rows >= 256 and g.size:
            return (xp.ones(rows, dtype=g.dtype) @ g.reshape(rows, -1)).reshape(shape)
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def binary_operands(a, b, op_name):
    """Operands of a binary op (Tensors or arrays), following one promotion rule.

    A constant (Python scalar, NumPy scalar or array) next to a float Tensor takes the tensor's
    float dtype, so that a float64 constant never silently upcasts a float32 computation (NumPy 2
    would upcast for a NumPy float64 scalar). A Python float next to an integer Tensor makes the
    result floatx, as in Keras. Two constants follow ``convert_to_tensor`` (Python floats become
    floatx).
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    if ta and tb:
        da, db = a.data.dtype, b.data.dtype
        if da != db and is_float_dtype(da) != is_float_dtype(db):
            # Keras (JAX's promotion): an integer or bool tensor next to a float one takes the
            # float's dtype; NumPy would make int32 + float32 float64
            if is_float_dtype(da):
                return a, _cast_nograd(b, da)
            return _cast_nograd(a, db), b
        return a, b
    if ta:
        return _int_to_float(a, b), _constant_like(b, a.data)
    if tb:
        return _constant_like(a, b.data), _int_to_float(b, a)
    return _as_constant(a), _as_constant(b)


def _as_constant(value):
    if isinstance(value, xp.ndarray):
        return value
    array = xp.asarray(value)
    if array.dtype == xp.float64 and not isinstance(value, xp.generic):
        array = array.astype(config.floatx())
    return python_ints_to_int32(array, value)


def _int_to_float(t, other):
    if type(other) is float and t.data.dtype.kind in "iub":
        return _cast_nograd(t, config.floatx())
    return t


def _cast_nograd(t, dtype):
    """``t`` (an integer or bool Tensor: no gradient to keep) as ``dtype``."""
    return no_gradient(lambda a: a.astype(dtype), t)


def no_gradient(fn, *args):
    """``Tensor(fn(*arrays))`` for a result without gradient (an index, a comparison, a
    rounding ...), recorded as an op while a ``tf.function`` traces so that a replay
    recomputes it on new inputs (a value computed outside an op would be frozen)."""
    if trace.tracing[0]:
        return trace.nograd(lambda *a: xp.asarray(fn(*a)), *args)
    return Tensor(xp.asarray(fn(*[raw(a) for a in args])))


def _constant_like(value, ref):
    if type(value) in _PY_SCALARS:
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


def as_float_tensor(x):
    """A Tensor for ``x``; Python floats and lists of floats become floatx, Python ints int32."""
    if isinstance(x, Tensor):
        return x
    return Tensor(_as_constant(x))


def tensor_arg(x):
    """``x`` itself when it is a Tensor or an array, else a Tensor for the Python value (a list,
    a scalar), typed as :func:`as_float_tensor` does, so that ops accept ``[1, 2, 3]`` or
    ``5``."""
    if isinstance(x, (Tensor, xp.ndarray)):
        return x
    return Tensor(_as_constant(x))


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n
