"""NumPy-style math ops of ``keras.ops`` (also ``keras.ops.numpy``): more elementwise math, bit
ops, comparisons with tolerance, and a few array-level ops (``kron``, ``vdot``, ``correlate``,
``trapezoid``, ``corrcoef``, ``digitize``, ``histogram``, ``bincount``, ``saturate_cast``).

Result dtypes follow Keras: float math on integer or boolean input gives floatx; two operands
are promoted as Keras does (a Python scalar is "weak": it takes the other operand's dtype, a
Python float next to integers gives floatx).
"""

import builtins
import math

from ember import config
from ember.autodiff.function import Function
from ember.backend import xp
from ember.ops._helpers import as_float_tensor, no_gradient, raw, unbroadcast
from ember.ops.elementwise import (
    _Math,
    add,
    cast,
    cos,
    divide,
    equal,
    exp,
    isnan,
    multiply,
    negative,
    sqrt,
    square,
    subtract,
    where,
)

_PY_SCALARS = (int, float, bool)


# -- dtypes ---------------------------------------------------------------------------------------
def _promote(dtypes):
    """Keras's promotion of strong dtypes: any float wins (the widest float), else the integers
    promote as NumPy, else bool."""
    floats = [d for d in dtypes if d.kind == "f"]
    if floats:
        return xp.result_type(*floats)
    ints = [d for d in dtypes if d.kind in "iu"]
    if ints:
        return xp.result_type(*ints)
    return xp.dtype(dtypes[0]) if dtypes else xp.dtype("bool")


def _operands(values):
    """``values`` as Tensors of one dtype (Keras's result dtype), and that dtype."""
    tensors = [as_float_tensor(v) for v in values]
    strong = [t.dtype for v, t in zip(values, tensors) if type(v) not in _PY_SCALARS]
    dtype = _promote(strong or [t.dtype for t in tensors])
    weak = [type(v) for v in values if type(v) in _PY_SCALARS]
    if dtype.kind in "iub" and float in weak:
        dtype = xp.dtype(config.floatx())
    elif dtype.kind == "b" and int in weak:
        dtype = xp.dtype("int32")
    return [cast(t, dtype) for t in tensors], dtype


def _float_operands(values):
    """``values`` as Tensors of one float dtype (floatx when Keras's result is not a float)."""
    tensors, dtype = _operands(values)
    if dtype.kind != "f":
        dtype = xp.dtype(config.floatx())
        tensors = [cast(t, dtype) for t in tensors]
    return tensors


def _float(x):
    return _float_operands([x])[0]


def _check_broadcast(name, tensors):
    """A ValueError naming the op and the shapes when ``tensors`` do not broadcast."""
    try:
        xp.broadcast_shapes(*[t.shape for t in tensors])
    except ValueError:
        shapes = " and ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{name}: shapes {shapes} cannot be broadcast together") from None


def _integer_operands(values, name, allow_bool=True, error=TypeError):
    """Integer (or boolean) operands of a bit op, with Keras's error (a TypeError for bit ops,
    a ValueError for gcd and lcm) for anything else."""
    tensors, dtype = _operands(values)
    if dtype.kind == "f" or (dtype.kind == "b" and not allow_bool):
        kinds = ", ".join(str(as_float_tensor(v).dtype) for v in values)
        raise error(f"{name}: expected integer{' or boolean' if allow_bool else ''} "
                    f"inputs. Received dtypes {kinds}")
    _check_broadcast(name, tensors)
    return tensors, dtype


# -- unary float math: y = f(x), dy/dx from x and y ---------------------------------------------
class Arcsin(_Math):
    f = staticmethod(xp.arcsin)

    def df(self, x, y):
        return 1 / xp.sqrt(1 - x * x)

    def df_ops(self, x):
        return divide(1.0, sqrt(subtract(1.0, square(x))))


class Arccos(_Math):
    f = staticmethod(xp.arccos)

    def df(self, x, y):
        return -1 / xp.sqrt(1 - x * x)

    def df_ops(self, x):
        return divide(-1.0, sqrt(subtract(1.0, square(x))))


class Arcsinh(_Math):
    f = staticmethod(xp.arcsinh)

    def df(self, x, y):
        return 1 / xp.sqrt(x * x + 1)

    def df_ops(self, x):
        return divide(1.0, sqrt(add(square(x), 1.0)))


class Arccosh(_Math):
    f = staticmethod(xp.arccosh)

    def df(self, x, y):
        return 1 / xp.sqrt(x * x - 1)

    def df_ops(self, x):
        return divide(1.0, sqrt(subtract(square(x), 1.0)))


class Arctanh(_Math):
    f = staticmethod(xp.arctanh)

    def df(self, x, y):
        return 1 / (1 - x * x)

    def df_ops(self, x):
        return divide(1.0, subtract(1.0, square(x)))


class Cbrt(_Math):
    f = staticmethod(xp.cbrt)

    def df(self, x, y):
        return 1 / (3 * y * y)

    def df_ops(self, x):
        return divide(1.0, multiply(3.0, square(cbrt(x))))


class Exp2(_Math):
    f = staticmethod(xp.exp2)

    def df(self, x, y):
        return y * math.log(2)

    def df_ops(self, x):
        return multiply(exp2(x), math.log(2))


def _vectorized(fn):
    """A scalar ``math`` function applied elementwise, in the input's float dtype."""
    ufunc = xp.frompyfunc(fn, 1, 1)

    def apply(x):
        return xp.asarray(ufunc(x), dtype="float64").astype(x.dtype, copy=False)

    return apply


_erf64 = _vectorized(math.erf)
_erfc64 = _vectorized(math.erfc)


class Erfc(_Math):
    f = staticmethod(_erfc64)

    def df(self, x, y):
        return (-2 / math.sqrt(math.pi)) * xp.exp(-x * x)

    def df_ops(self, x):
        return multiply(-2 / math.sqrt(math.pi), exp(negative(square(x))))


def _erfinv64(x):
    """erfinv in float64: Giles's single-precision approximation ("Approximating the erfinv
    function", 2010), then two Newton steps on erf (on erfc near +-1, where erf - x cancels)."""
    x = x.astype("float64")
    with xp.errstate(divide="ignore", invalid="ignore"):
        w = -xp.log((1 - x) * (1 + x))
        central = w - 2.5
        p = xp.full_like(x, 2.81022636e-08)
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * central
        tail = xp.sqrt(w) - 3
        q = xp.full_like(x, -0.000200214257)
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            q = c + q * tail
        finite = xp.abs(x) < 1
        y = xp.where(finite, xp.where(w < 5, p, q) * x,
                     xp.where(xp.abs(x) == 1, x * xp.inf, xp.nan))  # +-inf at +-1, NaN past
        for _ in range(2):
            z = xp.where(finite, y, 0)
            residual = xp.where(xp.abs(x) < 0.5, _erf64(z) - x,
                                xp.sign(x) * ((1 - xp.abs(x)) - _erfc64(xp.abs(z))))
            y = xp.where(finite, z - residual / ((2 / math.sqrt(math.pi)) * xp.exp(-z * z)), y)
    return y


class Erfinv(_Math):
    def f(self, x):
        return _erfinv64(x).astype(x.dtype, copy=False)

    def df(self, x, y):
        return (math.sqrt(math.pi) / 2) * xp.exp(y * y)

    def df_ops(self, x):
        return multiply(math.sqrt(math.pi) / 2, exp(square(erfinv(x))))


def _i1(x):
    """The modified Bessel function I1 (the derivative of I0): ``(1/pi) int_0^pi exp(x cos t)
    cos t dt`` by the trapezoid rule, which converges geometrically for this smooth periodic
    integrand; ``exp(|x|)`` is factored out so that only I1's own overflow remains."""
    a = xp.abs(x.astype("float64")).reshape(-1)
    cos_t = xp.cos(xp.linspace(0.0, math.pi, 129))
    w = xp.full(cos_t.shape, 1 / 128)  # the trapezoid weights of pi / 128, over pi
    w[[0, -1]] /= 2
    integral = xp.empty_like(a)
    for i in range(0, a.size, 8192):  # in chunks: 129 samples per element
        chunk = a[i:i + 8192, None]
        integral[i:i + 8192] = (xp.exp(chunk * (cos_t - 1)) * cos_t) @ w
    with xp.errstate(over="ignore"):
        return (xp.sign(x) * xp.exp(a).reshape(x.shape) * integral.reshape(x.shape)).astype(
            x.dtype)


class I0(_Math):
    def f(self, x):
        return xp.i0(x).astype(x.dtype, copy=False)

    def df(self, x, y):
        return _i1(x)

    def backward_ops(self, gy, x):
        # I1's own derivative is not written as ops: second derivatives through i0 raise
        return Function.backward_ops(self, gy, x)


class Sinc(_Math):
    f = staticmethod(xp.sinc)

    def df(self, x, y):
        with xp.errstate(divide="ignore", invalid="ignore"):
            return xp.where(x == 0, 0, (xp.cos(math.pi * x) - y) / x).astype(x.dtype)

    def df_ops(self, x):
        zero = equal(x, 0)
        safe = where(zero, 1.0, x)
        return where(zero, 0.0, divide(subtract(cos(multiply(math.pi, safe)), sinc(safe)), safe))


def _float_math(cls, name, doc):
    def op(x):
        return cls().apply(_float(x))

    op.__name__ = name
    op.__doc__ = doc
    return op


arcsin = _float_math(Arcsin, "arcsin", "Elementwise inverse sine.")
arccos = _float_math(Arccos, "arccos", "Elementwise inverse cosine.")
arcsinh = _float_math(Arcsinh, "arcsinh", "Elementwise inverse hyperbolic sine.")
arccosh = _float_math(Arccosh, "arccosh", "Elementwise inverse hyperbolic cosine.")
arctanh = _float_math(Arctanh, "arctanh", "Elementwise inverse hyperbolic tangent.")
cbrt = _float_math(Cbrt, "cbrt", "Elementwise cube root.")
exp2 = _float_math(Exp2, "exp2", "Elementwise ``2 ** x``.")
erfc = _float_math(Erfc, "erfc", "Elementwise complementary error function ``1 - erf(x)``.")
erfinv = _float_math(Erfinv, "erfinv", "Elementwise inverse error function.")
i0 = _float_math(I0, "i0", "Elementwise modified Bessel function of the first kind, order 0.")
sinc = _float_math(Sinc, "sinc", "Elementwise normalized sinc, ``sin(pi x) / (pi x)``.")


def deg2rad(x):
    """Degrees to radians."""
    return multiply(_float(x), math.pi / 180)


def rad2deg(x):
    """Radians to degrees."""
    return multiply(_float(x), 180 / math.pi)


def fabs(x):
    """Elementwise absolute value, as a float."""
    from ember.ops.elementwise import abs as _abs

    return _abs(_float(x))


def angle(x):
    """The complex argument; for real input 0, or pi where ``x`` is negative (no gradient)."""
    t = as_float_tensor(x)
    if t.dtype.kind != "c":
        t = _float(t)
    return no_gradient(lambda a: xp.angle(a).astype(a.real.dtype, copy=False), t)


def conj(x):
    """The complex conjugate (``x`` itself for real input)."""
    t = as_float_tensor(x)
    return no_gradient(xp.conj, t) if t.dtype.kind == "c" else t


conjugate = conj


def real(x):
    """The real part (``x`` itself for real input)."""
    t = as_float_tensor(x)
    return no_gradient(xp.real, t) if t.dtype.kind == "c" else t


def imag(x):
    """The imaginary part (zeros of ``x``'s dtype for real input)."""
    return no_gradient(lambda a: xp.imag(a) if a.dtype.kind == "c" else xp.zeros_like(a),
                    as_float_tensor(x))


def trunc(x):
    """Round toward zero, keeping the dtype (no gradient)."""
    t = as_float_tensor(x)
    return no_gradient(lambda a: xp.trunc(a) if a.dtype.kind == "f" else a.copy(), t)


def signbit(x):
    """True where the sign bit is set (negative numbers, -0.0)."""
    return no_gradient(lambda a: xp.signbit(a) if a.dtype.kind != "b" else xp.zeros_like(a),
                    as_float_tensor(x))


def isneginf(x):
    """True where ``x`` is negative infinity."""
    return no_gradient(lambda a: xp.isneginf(a) if a.dtype.kind == "f" else xp.zeros(a.shape, bool),
                    as_float_tensor(x))


def isposinf(x):
    """True where ``x`` is positive infinity."""
    return no_gradient(lambda a: xp.isposinf(a) if a.dtype.kind == "f" else xp.zeros(a.shape, bool),
                    as_float_tensor(x))


def isreal(x):
    """True where ``x`` has no imaginary part (everywhere for real input)."""
    return no_gradient(xp.isreal, as_float_tensor(x))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by ``nan``, ``posinf``, ``neginf`` (the dtype's largest and
    lowest values by default); the gradient passes where ``x`` is finite."""
    t = as_float_tensor(x)
    if t.dtype.kind != "f":
        return t
    info = xp.finfo(t.dtype)
    out = where(isnan(t), nan, t)
    out = where(isposinf(t), info.max if posinf is None else posinf, out)
    return where(isneginf(t), info.min if neginf is None else neginf, out)


def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2`` is 0 (also its gradient there)."""
    a, b = _float_operands([x1, x2])
    _check_broadcast("divide_no_nan", [a, b])
    zero = equal(b, 0)
    return where(zero, 0.0, divide(a, where(zero, 1.0, b)))


# -- binary float math ----------------------------------------------------------------------------
class _BinaryMath(Function):
    """``y = f(a, b)`` with ``(ga, gb) = gy * df(a, b, y)``; subclasses define both."""

    def forward(self, a, b):
        y = self.f(a, b)
        if self.recording:
            self.saved = (a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        da, db = self.df(a, b, y)
        ga = unbroadcast(gy * da, xp.shape(a)) if self.needs[0] else None
        gb = unbroadcast(gy * db, xp.shape(b)) if self.needs[1] else None
        return ga, gb


class Arctan2(_BinaryMath):
    f = staticmethod(xp.arctan2)

    def df(self, a, b, y):
        r2 = a * a + b * b
        return b / r2, -a / r2


class Hypot(_BinaryMath):
    f = staticmethod(xp.hypot)

    def df(self, a, b, y):
        # at the cone's tip (0, 0) each side gets 0.5, as JAX's (its max/min ties split)
        zero = y == 0
        safe = xp.where(zero, 1, y)
        return xp.where(zero, 0.5, a / safe), xp.where(zero, 0.5, b / safe)


class LogAddExp(_BinaryMath):
    f = staticmethod(xp.logaddexp)

    def df(self, a, b, y):
        return xp.exp(a - y), xp.exp(b - y)


class LogAddExp2(_BinaryMath):
    f = staticmethod(xp.logaddexp2)

    def df(self, a, b, y):
        return xp.exp2(a - y), xp.exp2(b - y)


class Fmod(_BinaryMath):
    f = staticmethod(xp.fmod)

    def df(self, a, b, y):
        return xp.ones_like(y), -xp.trunc(a / b)


def _float_binary(cls, name, doc):
    def op(x1, x2):
        a, b = _float_operands([x1, x2])
        _check_broadcast(name, [a, b])
        return cls().apply(a, b)

    op.__name__ = name
    op.__doc__ = doc
    return op


arctan2 = _float_binary(Arctan2, "arctan2", "Elementwise angle of the point ``(x2, x1)``.")
hypot = _float_binary(Hypot, "hypot", "Elementwise ``sqrt(x1 ** 2 + x2 ** 2)``.")
logaddexp = _float_binary(LogAddExp, "logaddexp", "Elementwise ``log(exp(x1) + exp(x2))``.")
logaddexp2 = _float_binary(LogAddExp2, "logaddexp2",
                           "Elementwise ``log2(2 ** x1 + 2 ** x2)``.")


def fmod(x1, x2):
    """The remainder of ``x1 / x2`` with the sign of ``x1`` (C's fmod)."""
    (a, b), dtype = _operands([x1, x2])
    if dtype.kind == "b":
        a, b = cast(a, "int32"), cast(b, "int32")
    _check_broadcast("fmod", [a, b])
    if a.dtype.kind != "f":
        def int_fmod(p, q):
            with xp.errstate(divide="ignore"):  # x % 0 is 0 for integers, silently as in JAX
                return xp.fmod(p, q)

        return no_gradient(int_fmod, a, b)
    return Fmod().apply(a, b)


def _nan_select(x1, x2, name, pick_first):
    from ember.ops.elementwise import logical_or

    (a, b), _ = _operands([x1, x2])
    _check_broadcast(name, [a, b])
    first = pick_first(a, b)
    if a.dtype.kind == "f":
        first = logical_or(first, isnan(b))
    return where(first, a, b)


def fmax(x1, x2):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN); where they tie the
    gradient goes to ``x2``, as JAX's."""
    from ember.ops.elementwise import greater

    return _nan_select(x1, x2, "fmax", greater)


def fmin(x1, x2):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN); where they tie the
    gradient goes to ``x2``, as JAX's."""
    from ember.ops.elementwise import less

    return _nan_select(x1, x2, "fmin", less)


def ldexp(x1, x2):
    """``x1 * 2 ** x2`` for an integer ``x2``; differentiable in ``x1``."""
    e = as_float_tensor(x2)
    if e.dtype.kind not in "iu":
        raise TypeError(f"ldexp: x2 must be an integer tensor. Received dtype {e.dtype}")
    m = _float(x1)
    _check_broadcast("ldexp", [m, e])
    one = xp.ones((), m.dtype)
    return multiply(m, no_gradient(lambda a: xp.ldexp(one, a), e))


def heaviside(x1, x2):
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0`` (no gradient)."""
    a, b = _float_operands([x1, x2])
    _check_broadcast("heaviside", [a, b])
    return no_gradient(xp.heaviside, a, b)


def nextafter(x1, x2):
    """The next representable float after ``x1`` toward ``x2`` (no gradient)."""
    a, b = _float_operands([x1, x2])
    _check_broadcast("nextafter", [a, b])
    return no_gradient(xp.nextafter, a, b)


def _gcd_lcm(fn, name):
    def op(x1, x2):
        tensors, _ = _integer_operands([x1, x2], name, allow_bool=False,
                                       error=ValueError)
        return no_gradient(fn, *tensors)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` of integers (no gradient)."
    return op


gcd = _gcd_lcm(xp.gcd, "gcd")
lcm = _gcd_lcm(xp.lcm, "lcm")


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True where ``|x1 - x2| <= atol + rtol * |x2|``."""
    (a, b), _ = _operands([x1, x2])
    _check_broadcast("isclose", [a, b])
    return no_gradient(lambda p, q: xp.isclose(p, q, rtol=rtol, atol=atol, equal_nan=equal_nan),
                    a, b)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when ``isclose`` holds everywhere (a scalar boolean)."""
    close = isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return no_gradient(xp.all, close)


def isin(x1, x2, assume_unique=False, invert=False):
    """True where an element of ``x1`` occurs in ``x2`` (False with ``invert``)."""
    (a, b), _ = _operands([x1, x2])
    return no_gradient(lambda p, q: xp.isin(p, q, assume_unique=assume_unique, invert=invert), a, b)


# -- bit ops --------------------------------------------------------------------------------------
def _bitwise(fn, name, doc):
    def op(x, y):
        tensors, _ = _integer_operands([x, y], name)
        return no_gradient(fn, *tensors)

    op.__name__ = name
    op.__doc__ = doc
    return op


bitwise_and = _bitwise(xp.bitwise_and, "bitwise_and", "Elementwise bitwise AND.")
bitwise_or = _bitwise(xp.bitwise_or, "bitwise_or", "Elementwise bitwise OR.")
bitwise_xor = _bitwise(xp.bitwise_xor, "bitwise_xor", "Elementwise bitwise XOR.")


def _shift(fn, name, doc):
    def op(x, y):
        tensors, dtype = _integer_operands([x, y], name)
        if dtype.kind == "b":  # shifting booleans counts in int32, as Keras
            tensors = [cast(t, "int32") for t in tensors]
        return no_gradient(fn, *tensors)

    op.__name__ = name
    op.__doc__ = doc
    return op


bitwise_left_shift = _shift(xp.left_shift, "bitwise_left_shift",
                            "Elementwise ``x << y`` of integers.")
bitwise_right_shift = _shift(xp.right_shift, "bitwise_right_shift",
                             "Elementwise ``x >> y`` of integers (arithmetic shift).")
left_shift = bitwise_left_shift
right_shift = bitwise_right_shift


def bitwise_invert(x):
    """Elementwise bitwise NOT of integers (logical NOT of booleans)."""
    (t,), _ = _integer_operands([x], "bitwise_invert")
    return no_gradient(xp.invert, t)


bitwise_not = bitwise_invert


# -- array-level ops ------------------------------------------------------------------------------
def vdot(x1, x2):
    """The dot product of the flattened inputs."""
    from ember.ops.reduction import sum as _sum
    from ember.ops.shape import reshape

    (a, b), dtype = _operands([x1, x2])
    if a.size != b.size:
        raise ValueError(f"vdot: inputs must have the same number of elements. Received shapes "
                         f"{a.shape} and {b.shape}")
    if dtype.kind == "b":
        return no_gradient(lambda p, q: xp.any(p.ravel() & q.ravel()), a, b)
    if dtype.kind == "c":
        return no_gradient(lambda p, q: xp.vdot(p, q), a, b)
    return _sum(multiply(reshape(a, (-1,)), reshape(b, (-1,))))


def kron(x1, x2):
    """The Kronecker product: blocks of ``x2`` scaled by each element of ``x1``."""
    from ember.ops.shape import reshape

    (a, b), dtype = _operands([x1, x2])
    if dtype.kind == "b":
        raise TypeError("kron: boolean inputs are not supported (as in Keras); cast them first")
    nd = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    # interleave the axes: a's axis i pairs with b's axis i, then the pairs are merged
    ea = reshape(a, tuple(v for n in sa for v in (n, 1)))
    eb = reshape(b, tuple(v for n in sb for v in (1, n)))
    return reshape(multiply(ea, eb), tuple(p * q for p, q in zip(sa, sb)))


def correlate(x1, x2, mode="valid"):
    """The cross-correlation of two 1-D sequences, ``sum_n x1[n + k] * x2[n]``, as NumPy's
    ``correlate`` (``mode``: "valid", "same" or "full"); the result is a float."""
    from ember.ops.linalg import matmul
    from ember.ops.shape import pad, take

    if mode not in ("valid", "same", "full"):
        raise ValueError(f'correlate: mode must be "valid", "same" or "full". Received: {mode!r}')
    a, v = _float_operands([x1, x2])
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"correlate: both inputs must be 1-D. Received shapes {a.shape} and "
                         f"{v.shape}")
    m, n = a.shape[0], v.shape[0]
    if not m or not n:
        raise ValueError(f"correlate: inputs must not be empty. Received shapes {a.shape} and "
                         f"{v.shape}")
    full = m + n - 1
    padded = pad(a, [(n - 1, n - 1)])
    windows = take(padded, xp.arange(full)[:, None] + xp.arange(n)[None, :], axis=0)
    out = matmul(windows, v)
    if mode == "full":
        return out
    length = builtins.max(m, n) if mode == "same" else builtins.max(m, n) - builtins.min(m, n) + 1
    start = (full - length + (1 if mode == "same" and m < n else 0)) // 2
    if mode == "valid":
        start = builtins.min(m, n) - 1
    return take(out, xp.arange(start, start + length), axis=0)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoid rule, at sample points ``x`` or
    spacing ``dx``."""
    from ember.ops._helpers import normalize_axis
    from ember.ops.reduction import sum as _sum
    from ember.ops.shape import take

    y = _float(y)
    (ax,) = normalize_axis(axis, y.ndim, "trapezoid")
    n = y.shape[ax]
    heads = take(y, xp.arange(1, n), axis=ax)
    tails = take(y, xp.arange(0, builtins.max(n - 1, 0)), axis=ax)
    if x is None:
        widths = dx
    else:
        x = cast(as_float_tensor(x), y.dtype)
        if x.ndim == 1:
            if x.shape[0] != n:
                raise ValueError(f"trapezoid: x has {x.shape[0]} points but y has {n} along "
                                 f"axis {axis}")
            shape = [1] * y.ndim
            shape[ax] = n - 1
            from ember.ops.shape import reshape

            widths = reshape(subtract(take(x, xp.arange(1, n)), take(x, xp.arange(n - 1))),
                             shape)
        else:
            (xa,) = normalize_axis(axis, x.ndim, "trapezoid")
            widths = subtract(take(x, xp.arange(1, n), axis=xa),
                              take(x, xp.arange(n - 1), axis=xa))
    return _sum(multiply(multiply(add(heads, tails), widths), 0.5), axis=ax)


def corrcoef(x):
    """Pearson correlation coefficients of the rows of ``x`` (variables in rows, observations
    in columns), clipped to [-1, 1]."""
    from ember.ops.elementwise import clip
    from ember.ops.linalg import matmul
    from ember.ops.reduction import mean
    from ember.ops.shape import reshape, transpose

    x = _float(x)
    if x.ndim > 2:
        raise ValueError(f"corrcoef: x must be 1-D or 2-D. Received shape {x.shape}")
    if x.ndim < 2:
        x = reshape(x, (1, -1))
    centered = subtract(x, mean(x, axis=1, keepdims=True))
    cov = matmul(centered, transpose(centered))
    d = sqrt(_diag(cov))
    out = clip(divide(divide(cov, reshape(d, (-1, 1))), reshape(d, (1, -1))), -1.0, 1.0)
    return reshape(out, ()) if out.shape == (1, 1) else out  # one variable: a scalar, as NumPy


def _diag(m):
    """The diagonal of a square matrix, differentiably."""
    from ember.ops.shape import reshape, take

    n = m.shape[0]
    return take(reshape(m, (-1,)), xp.arange(n) * (n + 1))


def digitize(x, bins):
    """The index of the bin of each value: ``i`` with ``bins[i-1] <= x < bins[i]`` for
    increasing ``bins`` (int32, no gradient)."""
    b = xp.asarray(raw(as_float_tensor(bins)))
    if b.ndim != 1:
        raise ValueError(f"digitize: bins must be 1-D. Received shape {b.shape}")
    steps = xp.diff(b)
    if not (xp.all(steps >= 0) or xp.all(steps <= 0)):
        raise ValueError("digitize: bins must be monotonically increasing or decreasing")
    return no_gradient(lambda a, edges: xp.digitize(a, edges).astype("int32"), as_float_tensor(x),
                    as_float_tensor(bins))


def histogram(x, bins=10, range=None):  # noqa: A002 - the Keras name
    """Counts of a 1-D ``x`` in ``bins`` equal bins over ``range`` (``x``'s min and max by
    default), and the bin edges: ``(counts, edges)`` (no gradient)."""
    t = as_float_tensor(x)
    if t.ndim != 1:
        raise ValueError(f"histogram: input must be 1-D. Received shape {t.shape}")
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"histogram: bins must be a positive integer. Received: {bins!r}")
    if range is not None and (len(range) != 2 or range[0] > range[1]):
        raise ValueError(f"histogram: range must be (min, max) with min <= max. Received: "
                         f"{range!r}")
    dtype = t.dtype if t.dtype.kind == "f" else xp.dtype(config.floatx())

    def compute(a, part):  # float counts, as Keras
        return xp.histogram(a, bins=bins, range=range)[part].astype(dtype)

    return no_gradient(lambda a: compute(a, 0), t), no_gradient(lambda a: compute(a, 1), t)


def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts of each non-negative integer in ``x`` (summed ``weights`` when given); a 2-D
    ``x`` is counted row by row. ``sparse=True`` is not supported."""
    if sparse:
        raise ValueError("bincount: sparse=True is not supported by ember (no sparse tensors)")
    t = as_float_tensor(x)
    data = raw(t)
    if data.dtype.kind not in "iu":
        raise TypeError(f"bincount: x must be an integer tensor. Received dtype {data.dtype}")
    if data.ndim not in (1, 2):
        raise ValueError(f"bincount: x must be 1-D or 2-D. Received shape {data.shape}")
    if data.size and data.min() < 0:
        raise ValueError(f"bincount: x must be non-negative. Received a minimum of {data.min()}")
    w = None if weights is None else raw(as_float_tensor(weights))
    if w is not None and w.shape != data.shape:
        raise ValueError(f"bincount: weights must have x's shape {data.shape}. Received "
                         f"{w.shape}")
    dtype = xp.dtype("int32") if w is None else w.dtype

    def count(a, *weights):
        w = weights[0] if weights else None
        length = builtins.max(int(minlength or 0), int(a.max()) + 1 if a.size else 0)
        if a.ndim == 1:
            return xp.bincount(a, weights=w, minlength=length).astype(dtype)
        rows = [xp.bincount(r, weights=None if w is None else w[i], minlength=length)
                for i, r in enumerate(a)]
        return xp.stack(rows).astype(dtype) if rows else xp.zeros((0, length), dtype)

    return no_gradient(count, t, *([] if weights is None else [as_float_tensor(weights)]))


def _limits(dtype):
    return xp.finfo(dtype) if dtype.kind == "f" else xp.iinfo(dtype)


def _float_to_int(a, target):
    """Float values saturated into the integer dtype ``target`` (NaN becomes 0, as Keras)."""
    info = xp.iinfo(target)
    a = xp.nan_to_num(a, nan=0.0)
    # the bounds themselves may not be floats of a's dtype (float32(2**31 - 1) == 2**31), so
    # clip inside them and set the saturated ends exactly
    inside = xp.clip(a, xp.nextafter(a.dtype.type(info.min), 0),
                     xp.nextafter(a.dtype.type(info.max), 0)).astype(target)
    return xp.where(a >= info.max, info.max, xp.where(a <= info.min, info.min, inside)).astype(
        target)


def saturate_cast(x, dtype):
    """``x`` cast to ``dtype`` after clipping to its range, so that values saturate instead of
    wrapping around (or overflowing to inf)."""
    from ember.ops.elementwise import clip

    t = as_float_tensor(x)
    target = xp.dtype(dtype)
    if t.dtype.kind == "f" and target.kind in "iu":
        return no_gradient(lambda a: _float_to_int(a, target), t)
    if t.dtype.kind in "fiu" and target.kind in "fiu":
        src, dst = _limits(t.dtype), _limits(target)
        lo, hi = builtins.max(src.min, dst.min), builtins.min(src.max, dst.max)
        if lo > src.min or hi < src.max:  # integers, or a float into a narrower float
            t = clip(t, t.dtype.type(lo), t.dtype.type(hi))
    return cast(t, target)


# -- vectors --------------------------------------------------------------------------------------
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 2- or 3-vectors along ``axisa``/``axisb`` (``axis`` sets all three),
    as NumPy: two 2-vectors give the scalar z component."""
    from ember.ops.shape import moveaxis, stack

    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(f"cross: the vectors must have 2 or 3 components; got shapes "
                         f"{xp.shape(raw(x1))} (axisa={axisa}) and {xp.shape(raw(x2))} "
                         f"(axisb={axisb})")
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = subtract(multiply(a0, b1), multiply(a1, b0))
    if na == nb == 2:
        return z
    a2 = a[..., 2] if na == 3 else 0
    b2 = b[..., 2] if nb == 3 else 0
    x = subtract(multiply(a1, b2), multiply(a2, b1))
    y = subtract(multiply(a2, b0), multiply(a0, b2))
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


def cdist(x, y):
    """Euclidean distances between the rows of ``x`` (``[..., n, d]``) and of ``y``
    (``[..., m, d]``): ``[..., n, m]``."""
    from ember.ops.reduction import sum as reduce_sum
    from ember.ops.shape import expand_dims

    xs, ys = xp.shape(raw(x)), xp.shape(raw(y))
    if not xs or not ys or xs[-1] != ys[-1]:
        raise ValueError(f"Last dimension of inputs to `cdist` must match; got shapes {xs} "
                         f"and {ys}")
    def floating(v):  # integer points have float distances (floatx), as Keras's
        t = as_float_tensor(v)
        return t if t.dtype.kind == "f" else cast(t, config.floatx())

    diff = subtract(expand_dims(floating(x), -2), expand_dims(floating(y), -3))
    return sqrt(reduce_sum(square(diff), axis=-1))


def in_top_k(targets, predictions, k):
    """Whether each ``targets[i]`` is among the ``k`` largest of ``predictions[i]`` (a tie
    with the k-th value counts as in, as Keras and TensorFlow); non-finite rows give False."""
    targets, predictions = as_float_tensor(targets), as_float_tensor(predictions)
    pred_shape, target_shape = tuple(predictions.shape), tuple(targets.shape)
    if len(pred_shape) != 2 or target_shape != pred_shape[:1]:
        raise ValueError(f"in_top_k: predictions must be [batch, classes] and targets [batch]; "
                         f"got {pred_shape} and {target_shape}")

    def top(target, pred):
        target = target.astype("int64")
        valid = (target >= 0) & (target < pred.shape[1])
        value = pred[xp.arange(len(target)), xp.clip(target, 0, pred.shape[1] - 1)]
        larger = (pred > value[:, None]).sum(axis=1)
        return valid & xp.isfinite(pred).all(axis=1) & (larger < k)

    return no_gradient(top, targets, predictions)
