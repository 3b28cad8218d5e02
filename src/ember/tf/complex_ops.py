"""TensorFlow's complex-number ops (``tf.complex``, ``tf.math.real``, ``imag``, ``conj``,
``angle``), differentiable with TensorFlow's convention: the gradient of a real loss ``L``
with respect to a complex ``z = a + ib`` is ``dL/da + i dL/db``.

ember tensors hold NumPy's complex64/complex128 data; ``tf.signal`` builds its complex results
with these ops, so gradients reach real inputs through the FFT engines.
"""

from ember.autodiff.function import Function
from ember.backend import xp
from ember.ops._helpers import as_float_tensor, raw

_COMPLEX = {"float32": "complex64", "float64": "complex128"}


class Complex(Function):
    """``real + 1j * imag``; the gradient splits into its real and imaginary parts."""

    def forward(self, real, imag):
        return (real + 1j * imag).astype(_COMPLEX[real.dtype.name], copy=False)

    def backward(self, gy):
        return gy.real.copy(), gy.imag.copy()


class Real(Function):
    def forward(self, z):
        return z.real.copy()

    def backward(self, gy):
        return (gy + 0j,)


class Imag(Function):
    def forward(self, z):
        return z.imag.copy()

    def backward(self, gy):
        return (1j * gy,)


class Conj(Function):
    def forward(self, z):
        return xp.conj(z)

    def backward(self, gy):
        return (xp.conj(gy),)


def _is_complex(x):
    return xp.asarray(raw(x)).dtype.kind == "c"


def complex(real, imag, name=None):  # noqa: A001 - TensorFlow's name
    """The complex tensor ``real + 1j * imag`` (float32 parts give complex64, float64 parts
    complex128); both parts must have one dtype."""
    from ember.ops.shape import broadcast_to

    real, imag = as_float_tensor(real), as_float_tensor(imag)
    dr, di = real.dtype, imag.dtype
    if dr != di or dr.name not in _COMPLEX:
        raise TypeError(
            f"complex: the `real` and `imag` components have incorrect types: {dr.name} "
            f"{di.name}. They must be consistent, and one of [float32, float64]")
    shape = xp.broadcast_shapes(tuple(real.shape), tuple(imag.shape))
    return Complex().apply(broadcast_to(real, shape), broadcast_to(imag, shape))


def real(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """The real part of a complex ``input`` (a real ``input`` itself)."""
    x = as_float_tensor(input)
    return Real().apply(x) if _is_complex(x) else x


def imag(input, name=None):  # noqa: A002
    """The imaginary part of a complex ``input`` (zeros for a real one)."""
    from ember.ops import zeros_like

    x = as_float_tensor(input)
    return Imag().apply(x) if _is_complex(x) else zeros_like(x)


def conj(x, name=None):
    """The complex conjugate (a real ``x`` itself)."""
    x = as_float_tensor(x)
    return Conj().apply(x) if _is_complex(x) else x


def angle(input, name=None):  # noqa: A002
    """The argument of a complex ``input`` (``atan2(imag, real)``, differentiable); for a
    real ``input`` pi where it is negative, else 0 (no gradient, as TensorFlow)."""
    from ember.ops import arctan2
    from ember.ops.numeric import angle as real_angle

    x = as_float_tensor(input)
    return arctan2(imag(x), real(x)) if _is_complex(x) else real_angle(x)


def as_complex(x, op):
    """``x`` as a complex Tensor (float32 and integers as complex64, float64 as complex128),
    as TensorFlow converts a real input of an FFT."""
    x = as_float_tensor(x)
    if _is_complex(x):
        return x
    dtype = x.dtype.name
    if dtype not in _COMPLEX:
        from ember.ops.elementwise import cast

        if x.dtype.kind not in "iub":
            raise TypeError(f"{op}: expected a complex or real input, got dtype {dtype}")
        x, dtype = cast(x, "float32"), "float32"
    from ember.ops import zeros_like

    return Complex().apply(x, zeros_like(x))


__all__ = ["angle", "complex", "conj", "imag", "real"]
