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


def array(x, dtype=None):
    """A tensor of ``x`` (``convert_to_tensor``)."""
    return convert_to_tensor(x, dtype=dtype)


def empty(shape, dtype=None):
    """A tensor of ``shape``; ember fills it with zeros (as Keras does on JAX)."""
    return zeros(shape, dtype)


def empty_like(x, dtype=None):
    """A tensor of ``x``'s shape and dtype (or ``dtype``), filled with zeros."""
    return zeros_like(x, dtype)


def dtype(x):
    """The dtype of ``x`` as a string (``"float32"``), as ``keras.ops.dtype``."""
    data = raw(x)
    return xp.dtype(data.dtype if hasattr(data, "dtype") else convert_to_tensor(x).dtype).name


def _spaced(fn, op, start, stop, num, dtype, **kwargs):
    # NumPy computes the points in float64; only the result takes ``dtype`` (floatx by default)
    try:
        values = fn(raw(start), raw(stop), int(num), **kwargs)
    except ValueError as e:
        raise ValueError(f"{op}: {e} (start={raw(start)!r}, stop={raw(stop)!r})") from None
    return Tensor(xp.asarray(values).astype(_dt(dtype)))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` numbers spaced evenly on a log scale from ``start`` to ``stop`` (neither 0)."""
    return _spaced(xp.geomspace, "geomspace", start, stop, num, dtype, endpoint=endpoint,
                   axis=axis)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    return _spaced(xp.logspace, "logspace", start, stop, num, dtype, endpoint=endpoint,
                   base=raw(base), axis=axis)


def _window(fn, op, x, *args):
    m = raw(x)
    if xp.ndim(m) != 0 or xp.asarray(m).dtype.kind not in "iu":
        raise TypeError(f"{op}: the window length must be an integer. Received {m!r}")
    return Tensor(fn(int(m), *args).astype(config.floatx()))


def bartlett(x):
    """The Bartlett (triangular) window of ``x`` points."""
    return _window(xp.bartlett, "bartlett", x)


def blackman(x):
    """The Blackman window of ``x`` points."""
    return _window(xp.blackman, "blackman", x)


def hamming(x):
    """The Hamming window of ``x`` points."""
    return _window(xp.hamming, "hamming", x)


def hanning(x):
    """The Hann window of ``x`` points."""
    return _window(xp.hanning, "hanning", x)


def kaiser(x, beta):
    """The Kaiser window of ``x`` points with shape parameter ``beta``."""
    return _window(xp.kaiser, "kaiser", x, float(raw(beta)))


__all__ += [
    "array", "empty", "empty_like", "dtype", "geomspace", "logspace", "bartlett", "blackman",
    "hamming", "hanning", "kaiser",
]
