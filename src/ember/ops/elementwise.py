"""Elementwise ops with full broadcasting, and their gradients."""

import math

from ember.autodiff import trace
from ember.autodiff.function import Function, is_float_dtype
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.backend import xp
from ember.ops._helpers import (
    as_float_tensor,
    binary_operands,
    no_gradient,
    raw,
    tensor_arg,
    unbroadcast,
)
from ember.ops._higher import shape_of, step, sum_to


class _Binary(Function):
    """A binary op; its wrapper turns NumPy's broadcasting error into one naming the op."""

    def apply2(self, a, b):
        a, b = binary_operands(a, b, self.name)
        try:
            return self.apply(a, b)
        except ValueError as e:
            if "broadcast" not in str(e):
                raise
            raise ValueError(
                f"{self.name}: shapes {xp.shape(raw(a))} and {xp.shape(raw(b))} cannot be "
                "broadcast together"
            ) from None


class Add(_Binary):
    name = "add"

    def forward(self, a, b):
        self.shapes = (xp.shape(a), xp.shape(b))
        return a + b

    def backward(self, gy):
        sa, sb = self.shapes
        return unbroadcast(gy, sa), unbroadcast(gy, sb)

    def backward_ops(self, gy, a, b):
        sa, sb = self.shapes
        return sum_to(gy, sa), sum_to(gy, sb)


class Subtract(_Binary):
    name = "subtract"

    def forward(self, a, b):
        self.shapes = (xp.shape(a), xp.shape(b))
        return a - b

    def backward(self, gy):
        sa, sb = self.shapes
        return unbroadcast(gy, sa), (unbroadcast(-gy, sb) if self.needs[1] else None)

    def backward_ops(self, gy, a, b):
        sa, sb = self.shapes
        return sum_to(gy, sa), (sum_to(negative(gy), sb) if self.needs[1] else None)


class Multiply(_Binary):
    name = "multiply"

    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return a * b

    def backward(self, gy):
        a, b = self.saved
        ga = unbroadcast(gy * b, xp.shape(a)) if self.needs[0] else None
        gb = unbroadcast(gy * a, xp.shape(b)) if self.needs[1] else None
        return ga, gb

    def backward_ops(self, gy, a, b):
        ga = sum_to(multiply(gy, b), shape_of(a)) if self.needs[0] else None
        gb = sum_to(multiply(gy, a), shape_of(b)) if self.needs[1] else None
        return ga, gb


class Divide(_Binary):
    name = "divide"

    def forward(self, a, b):
        y = a / b
        if self.recording:
            self.saved = (a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        ga = unbroadcast(gy / b, xp.shape(a)) if self.needs[0] else None
        gb = unbroadcast(-gy * y / b, xp.shape(b)) if self.needs[1] else None
        return ga, gb

    def backward_ops(self, gy, a, b):
        ga = sum_to(divide(gy, b), shape_of(a)) if self.needs[0] else None
        gb = None
        if self.needs[1]:
            gb = sum_to(negative(divide(multiply(gy, divide(a, b)), b)), shape_of(b))
        return ga, gb


class Power(_Binary):
    name = "power"

    def forward(self, a, b):
        y = a ** b
        if self.recording:
            self.saved = (a, b, y)
        return y

    def backward(self, gy):
        a, b, y = self.saved
        ga = gb = None
        if self.needs[0]:
            ga = unbroadcast(gy * b * a ** (b - 1), xp.shape(a))
        if self.needs[1]:
            safe = xp.log(xp.where(xp.asarray(a) > 0, a, 1)).astype(gy.dtype, copy=False)
            gb = unbroadcast(gy * y * safe, xp.shape(b))
        return ga, gb

    def backward_ops(self, gy, a, b):
        ga = gb = None
        if self.needs[0]:
            ga = sum_to(multiply(multiply(gy, b), power(a, subtract(b, 1))), shape_of(a))
        if self.needs[1]:
            a = a if isinstance(a, Tensor) else Tensor(xp.asarray(a, dtype=gy.dtype))
            log_a = log(where(greater(a, 0), a, 1.0))  # 0 where a <= 0, as backward
            gb = sum_to(multiply(multiply(gy, power(a, b)), log_a), shape_of(b))
        return ga, gb


class Maximum(_Binary):
    name = "maximum"

    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.saved
        mask = a >= b  # ties go to the first argument, as TensorFlow
        ga = unbroadcast(gy * mask, xp.shape(a)) if self.needs[0] else None
        gb = unbroadcast(gy * ~mask, xp.shape(b)) if self.needs[1] else None
        return ga, gb

    def backward_ops(self, gy, a, b):
        return _select_ops(self, gy, a, b, raw(a) >= raw(b))


class Minimum(_Binary):
    name = "minimum"

    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.saved
        mask = a <= b
        ga = unbroadcast(gy * mask, xp.shape(a)) if self.needs[0] else None
        gb = unbroadcast(gy * ~mask, xp.shape(b)) if self.needs[1] else None
        return ga, gb

    def backward_ops(self, gy, a, b):
        return _select_ops(self, gy, a, b, raw(a) <= raw(b))


def _select_ops(fn, gy, a, b, mask):
    """Maximum/minimum's gradient: ``gy`` where ``mask`` picks ``a``, else to ``b`` (the mask
    is a constant, as in TensorFlow)."""
    ga = sum_to(where(mask, gy, 0.0), shape_of(a)) if fn.needs[0] else None
    gb = sum_to(where(mask, 0.0, gy), shape_of(b)) if fn.needs[1] else None
    return ga, gb


def add(x1, x2):
    """``x1 + x2`` with broadcasting."""
    return Add().apply2(x1, x2)


def subtract(x1, x2):
    """``x1 - x2`` with broadcasting."""
    return Subtract().apply2(x1, x2)


def multiply(x1, x2):
    """``x1 * x2`` with broadcasting."""
    return Multiply().apply2(x1, x2)


def divide(x1, x2):
    """``x1 / x2`` with broadcasting."""
    return Divide().apply2(x1, x2)


true_divide = divide


def power(x1, x2):
    """``x1 ** x2`` with broadcasting."""
    return Power().apply2(x1, x2)


def maximum(x1, x2):
    """Elementwise maximum; the gradient goes to ``x1`` where they tie."""
    return Maximum().apply2(x1, x2)


def minimum(x1, x2):
    """Elementwise minimum; the gradient goes to ``x1`` where they tie."""
    return Minimum().apply2(x1, x2)


# -- unary ---------------------------------------------------------------------------------------
class Negative(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return (-gy,)

    def backward_ops(self, gy, x):
        return (negative(gy),)


class Square(Function):
    def forward(self, x):
        if self.recording:
            self.saved = x
        return x * x

    def backward(self, gy):
        return (2 * gy * self.saved,)

    def backward_ops(self, gy, x):
        return (multiply(gy, multiply(2.0, x)),)


class Sqrt(Function):
    def forward(self, x):
        y = xp.sqrt(x)
        if self.recording:
            self.saved = y
        return y

    def backward(self, gy):
        return (gy / (2 * self.saved),)

    def backward_ops(self, gy, x):
        return (divide(gy, multiply(2.0, sqrt(x))),)


class Exp(Function):
    def forward(self, x):
        y = xp.exp(x)
        if self.recording:
            self.saved = y
        return y

    def backward(self, gy):
        return (gy * self.saved,)

    def backward_ops(self, gy, x):
        return (multiply(gy, exp(x)),)


class Log(Function):
    def forward(self, x):
        if self.recording:
            self.saved = x
        return xp.log(x)

    def backward(self, gy):
        return (gy / self.saved,)

    def backward_ops(self, gy, x):
        return (divide(gy, x),)


class Log1p(Function):
    def forward(self, x):
        if self.recording:
            self.saved = x
        return xp.log1p(x)

    def backward(self, gy):
        return (gy / (1 + self.saved),)

    def backward_ops(self, gy, x):
        return (divide(gy, add(1.0, x)),)


class Abs(Function):
    def forward(self, x):
        if self.recording:
            self.saved = x
        return xp.abs(x)

    def backward(self, gy):
        return (gy * xp.sign(self.saved),)

    def backward_ops(self, gy, x):
        return (multiply(gy, step(x, xp.sign)),)


class Clip(Function):
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def forward(self, x):
        if self.recording:
            self.saved = x
        return xp.clip(x, self.lo, self.hi)

    def backward(self, gy):
        x = self.saved
        if self.lo is None:
            return (gy * (x <= self.hi),)
        if self.hi is None:
            return (gy * (x >= self.lo),)
        return (gy * ((x >= self.lo) & (x <= self.hi)),)

    def backward_ops(self, gy, x):
        x = raw(x)
        inside = (True if self.lo is None else x >= self.lo) & (
            True if self.hi is None else x <= self.hi)
        return (where(inside, gy, 0.0),)


class Where(Function):
    def forward(self, cond, a, b):
        self.cond = cond
        self.shapes = (xp.shape(a), xp.shape(b))
        return xp.where(cond, a, b)

    def backward(self, gy):
        sa, sb = self.shapes
        zero = xp.zeros((), dtype=gy.dtype)
        ga = unbroadcast(xp.where(self.cond, gy, zero), sa) if self.needs[1] else None
        gb = unbroadcast(xp.where(self.cond, zero, gy), sb) if self.needs[2] else None
        return None, ga, gb

    def backward_ops(self, gy, cond, a, b):
        sa, sb = self.shapes
        ga = sum_to(where(self.cond, gy, 0.0), sa) if self.needs[1] else None
        gb = sum_to(where(self.cond, 0.0, gy), sb) if self.needs[2] else None
        return None, ga, gb


class Cast(Function):
    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        self.src = x.dtype
        return x.astype(self.dtype)

    def backward(self, gy):
        if not is_float_dtype(self.src):  # bfloat16 (kind "V") is a float too
            return (None,)
        return (gy.astype(self.src),)

    def backward_ops(self, gy, x):
        return (cast(gy, self.src) if is_float_dtype(self.src) else None,)


def negative(x):
    return Negative().apply(tensor_arg(x))


def square(x):
    return Square().apply(tensor_arg(x))


def sqrt(x):
    return Sqrt().apply(tensor_arg(x))


def exp(x):
    return Exp().apply(tensor_arg(x))


def log(x):
    return Log().apply(tensor_arg(x))


def log1p(x):
    return Log1p().apply(tensor_arg(x))


def abs(x):  # noqa: A001 - the Keras name
    return Abs().apply(tensor_arg(x))


absolute = abs


def clip(x, x_min, x_max):
    """Clip values to ``[x_min, x_max]``; the gradient passes inside the interval."""
    x = as_float_tensor(x)
    return Clip(_bound(x_min, x.dtype), _bound(x_max, x.dtype)).apply(tensor_arg(x))


def _bound(value, dtype):
    value = raw(value)
    if value is None or type(value) in (int, float) or dtype.kind != "f":
        return value
    return xp.asarray(value).astype(dtype, copy=False)


def where(condition, x1=None, x2=None):
    """Elements of ``x1`` where ``condition``, else of ``x2`` (gradients flow to both)."""
    cond = raw(condition)
    if x1 is None and x2 is None:
        return tuple(Tensor(i) for i in xp.nonzero(cond))
    x1, x2 = binary_operands(x1, x2, "where")
    return Where().apply(cond, x1, x2)


def cast(x, dtype):
    """Convert to ``dtype``; the gradient flows between float dtypes."""
    dtype = xp.dtype(dtype)
    if isinstance(x, Tensor) and x.dtype == dtype:
        return x
    return Cast(dtype).apply(tensor_arg(x))


# -- non-differentiable elementwise (results carry no gradient) ----------------------------------
def _nograd(fn):
    def op(*args):
        return no_gradient(fn, *args)

    op.__name__ = fn.__name__
    op.__doc__ = f"Elementwise ``{fn.__name__}`` (no gradient)."
    return op


sign = _nograd(xp.sign)
floor = _nograd(xp.floor)
ceil = _nograd(xp.ceil)
round = _nograd(xp.round)  # noqa: A001
equal = _nograd(xp.equal)
not_equal = _nograd(xp.not_equal)
less = _nograd(xp.less)
less_equal = _nograd(xp.less_equal)
greater = _nograd(xp.greater)
greater_equal = _nograd(xp.greater_equal)
logical_and = _nograd(xp.logical_and)
logical_or = _nograd(xp.logical_or)
logical_not = _nograd(xp.logical_not)
isnan = _nograd(xp.isnan)
isfinite = _nograd(xp.isfinite)
isinf = _nograd(xp.isinf)
floor_divide = _nograd(xp.floor_divide)
mod = _nograd(xp.mod)


def reciprocal(x):
    """``1 / x``."""
    return divide(1.0, x)


# -- more unary math: y = f(x), dy/dx from x and y -------------------------------------------
class _Math(Function):
    """``y = f(x)`` with ``gx = gy * df(x, y)``; subclasses define ``f`` and ``df``."""

    def forward(self, x):
        y = self.f(x)
        if self.recording:
            self.saved = (x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        return (gy * self.df(x, y),)

    def backward_ops(self, gy, x):
        return (multiply(gy, self.df_ops(x)),)


class Sin(_Math):
    f = staticmethod(xp.sin)

    def df(self, x, y):
        return xp.cos(x)

    def df_ops(self, x):
        return cos(x)


class Cos(_Math):
    f = staticmethod(xp.cos)

    def df(self, x, y):
        return -xp.sin(x)

    def df_ops(self, x):
        return negative(sin(x))


class Tan(_Math):
    f = staticmethod(xp.tan)

    def df(self, x, y):
        return 1 + y * y

    def df_ops(self, x):
        return add(1.0, square(tan(x)))


class Arctan(_Math):
    f = staticmethod(xp.arctan)

    def df(self, x, y):
        return 1 / (1 + x * x)

    def df_ops(self, x):
        return divide(1.0, add(1.0, square(x)))


class Sinh(_Math):
    f = staticmethod(xp.sinh)

    def df(self, x, y):
        return xp.cosh(x)

    def df_ops(self, x):
        return cosh(x)


class Cosh(_Math):
    f = staticmethod(xp.cosh)

    def df(self, x, y):
        return xp.sinh(x)

    def df_ops(self, x):
        return sinh(x)


class Expm1(_Math):
    f = staticmethod(xp.expm1)

    def df(self, x, y):
        return y + 1

    def df_ops(self, x):
        return exp(x)


class Log2(_Math):
    f = staticmethod(xp.log2)

    def df(self, x, y):
        return 1 / (x * math.log(2))

    def df_ops(self, x):
        return divide(1 / math.log(2), x)


class Log10(_Math):
    f = staticmethod(xp.log10)

    def df(self, x, y):
        return 1 / (x * math.log(10))

    def df_ops(self, x):
        return divide(1 / math.log(10), x)


class Rsqrt(_Math):
    def f(self, x):
        return 1 / xp.sqrt(x)

    def df(self, x, y):
        return -0.5 * y * y * y

    def df_ops(self, x):
        return multiply(-0.5, power(rsqrt(x), 3))


class Erf(_Math):
    def f(self, x):
        from ember.ops._erf import erf as _erf

        return _erf(x)

    def df(self, x, y):
        return (2 / math.sqrt(math.pi)) * xp.exp(-x * x)

    def df_ops(self, x):
        return multiply(2 / math.sqrt(math.pi), exp(negative(square(x))))


def _float_unary(cls, name):
    def op(x):
        return cls().apply(tensor_arg(x))

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``, with its gradient."
    return op


sin = _float_unary(Sin, "sin")
cos = _float_unary(Cos, "cos")
tan = _float_unary(Tan, "tan")
arctan = _float_unary(Arctan, "arctan")
sinh = _float_unary(Sinh, "sinh")
cosh = _float_unary(Cosh, "cosh")
expm1 = _float_unary(Expm1, "expm1")
log2 = _float_unary(Log2, "log2")
log10 = _float_unary(Log10, "log10")
rsqrt = _float_unary(Rsqrt, "rsqrt")
erf = _float_unary(Erf, "erf")
logical_xor = _nograd(xp.logical_xor)


def stop_gradient(x):
    """``x`` as a constant: no gradient flows through it."""
    if trace.tracing[0]:
        return trace.nograd(lambda a: a, convert_to_tensor(x))
    return Tensor(raw(convert_to_tensor(x)))
