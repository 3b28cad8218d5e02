"""Activation ops, numerically stable, with their gradients."""

import math

from ember.autodiff.function import Function
from ember.backend import kernels, xp
from ember.ops._helpers import normalize_axis, raw, tensor_arg
from ember.ops._higher import step
from ember.ops._parallel import for_batches

SUBNORMAL_EXP = -87.0  # exp(-87) = 1.6e-38, the smallest normal float32 is 1.2e-38


class _Unary(Function):
    """An activation whose gradient is ``gy * f'(x)``; subclasses define ``f`` and ``df``."""

    save_output = False

    def forward(self, x):
        y = self.f(x)
        if self.recording:
            self.saved = (x, y)
        return y

    def backward(self, gy):
        x, y = self.saved
        return (self.df(gy, x, y),)


class Relu(_Unary):
    def f(self, x):
        return xp.maximum(x, 0)

    def df(self, gy, x, y):
        return gy * (x > 0)

    def backward_ops(self, gy, x):
        return (gy * step(x, lambda a: a > 0),)


class Relu6(_Unary):
    def f(self, x):
        return xp.clip(x, 0, 6)

    def df(self, gy, x, y):
        return gy * ((x > 0) & (x < 6))

    def backward_ops(self, gy, x):
        return (gy * step(x, lambda a: (a > 0) & (a < 6)),)


class LeakyRelu(_Unary):
    def __init__(self, alpha):
        self.alpha = alpha

    def f(self, x):
        return xp.where(x > 0, x, x * self.alpha)

    def df(self, gy, x, y):
        return xp.where(x > 0, gy, gy * self.alpha)

    def backward_ops(self, gy, x):
        alpha = self.alpha
        return (gy * (alpha + (1 - alpha) * step(x, lambda a: a > 0)),)


class Elu(_Unary):
    def __init__(self, alpha=1.0, scale=1.0):
        self.alpha, self.scale = alpha, scale

    def f(self, x):
        neg = self.alpha * xp.expm1(xp.minimum(x, 0))
        return self.scale * xp.where(x > 0, x, neg)

    def df(self, gy, x, y):
        neg = self.scale * self.alpha * xp.exp(xp.minimum(x, 0))
        return gy * xp.where(x > 0, self.scale, neg).astype(gy.dtype, copy=False)

    def backward_ops(self, gy, x):
        from ember.ops.elementwise import exp, minimum, where

        neg = self.scale * self.alpha * exp(minimum(x, 0.0))
        return (gy * where(raw(x) > 0, self.scale, neg),)


class Sigmoid(_Unary):
    def f(self, x):
        # exp of a non-positive number only: no overflow for large |x|
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def df(self, gy, x, y):
        return gy * y * (1 - y)

    def backward_ops(self, gy, x):
        s = sigmoid(x)
        return (gy * s * (1.0 - s),)


class HardSigmoid(_Unary):
    def f(self, x):
        return xp.clip(x / 6 + 0.5, 0, 1)

    def df(self, gy, x, y):
        return gy * ((x > -3) & (x < 3)) / 6

    def backward_ops(self, gy, x):
        return (gy * step(x, lambda a: ((a > -3) & (a < 3)) / 6),)


class Tanh(_Unary):
    def f(self, x):
        return xp.tanh(x)

    def df(self, gy, x, y):
        return gy * (1 - y * y)

    def backward_ops(self, gy, x):
        t = tanh(x)
        return (gy * (1.0 - t * t),)


class Softplus(_Unary):
    def f(self, x):
        return xp.logaddexp(x, 0).astype(x.dtype, copy=False)

    def df(self, gy, x, y):
        return gy * Sigmoid().f(x)

    def backward_ops(self, gy, x):
        return (gy * sigmoid(x),)


class Softsign(_Unary):
    def f(self, x):
        return x / (1 + xp.abs(x))

    def df(self, gy, x, y):
        d = 1 + xp.abs(x)
        return gy / (d * d)

    def backward_ops(self, gy, x):
        d = 1.0 + abs(x)
        return (gy / (d * d),)


class Silu(_Unary):
    def f(self, x):
        self.s = Sigmoid().f(x)
        return x * self.s

    def df(self, gy, x, y):
        s = self.s
        return gy * (s + x * s * (1 - s))

    def backward_ops(self, gy, x):
        s = sigmoid(x)
        return (gy * (s + x * s * (1.0 - s)),)


class Gelu(_Unary):
    def __init__(self, approximate):
        self.approximate = approximate

    def f(self, x):
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            self.t = xp.tanh(c * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.t)
        from ember.ops._erf import erf

        return 0.5 * x * (1 + erf(x / math.sqrt(2)))

    def df(self, gy, x, y):
        if self.approximate:
            c = math.sqrt(2 / math.pi)
            t = self.t
            return gy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x))
        from ember.ops._erf import erf

        cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return gy * (cdf + x * pdf)


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        kernel = kernels.get("softmax") if x.dtype == xp.float32 and x.ndim and x.size and \
            self.axis in (-1, x.ndim - 1) else None
        if kernel is not None:
            e = xp.array(x, order="C")  # a copy: the kernel works in place
            e2 = e.reshape(-1, e.shape[-1])

            def run(rows):
                kernel(e2[rows], rows.stop - rows.start, e2.shape[1], SUBNORMAL_EXP)

            for_batches(run, len(e2), e.nbytes)
            if self.recording:
                self.saved = e
            return e
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        # exp below -87 is subnormal in float32: ~50x slower arithmetic downstream (the
        # gradients' GEMMs). TensorFlow flushes such values; a probability of 1.6e-38 instead
        # of a subnormal one changes nothing else.
        xp.maximum(shifted, SUBNORMAL_EXP, out=shifted)
        e = xp.exp(shifted, out=shifted)
        e /= xp.sum(e, axis=self.axis, keepdims=True)
        if self.recording:
            self.saved = e
        return e

    def backward(self, gy):
        y = self.saved
        gx = gy * y
        gx -= y * xp.sum(gx, axis=self.axis, keepdims=True)
        return (gx,)

    def backward_ops(self, gy, x):
        from ember.ops.reduction import sum as _sum

        y = softmax(x, self.axis)
        return (y * (gy - _sum(gy * y, axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        shifted = x - xp.max(x, axis=self.axis, keepdims=True)
        y = shifted - xp.log(xp.sum(xp.exp(shifted), axis=self.axis, keepdims=True))
        if self.recording:
            self.saved = y
        return y

    def backward(self, gy):
        y = self.saved
        return (gy - xp.exp(y) * xp.sum(gy, axis=self.axis, keepdims=True),)

    def backward_ops(self, gy, x):
        from ember.ops.reduction import sum as _sum

        return (gy - softmax(x, self.axis) * _sum(gy, axis=self.axis, keepdims=True),)


def relu(x):
    """``max(x, 0)``."""
    return Relu().apply(tensor_arg(x))


def relu6(x):
    """``min(max(x, 0), 6)``."""
    return Relu6().apply(tensor_arg(x))


def leaky_relu(x, negative_slope=0.2):
    """``x`` for ``x > 0``, else ``negative_slope * x`` (Keras's default slope is 0.2)."""
    return LeakyRelu(negative_slope).apply(tensor_arg(x))


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return Elu(alpha).apply(tensor_arg(x))


def selu(x):
    """Scaled ELU with the self-normalizing constants."""
    return Elu(1.6732632423543772848170429916717,
               1.0507009873554804934193349852946).apply(tensor_arg(x))


def gelu(x, approximate=True):
    """Gaussian error linear unit (tanh approximation by default, as Keras)."""
    return Gelu(bool(approximate)).apply(tensor_arg(x))


def sigmoid(x):
    """``1 / (1 + exp(-x))``, stable for large ``|x|``. The result remembers its logits, so a
    following binary crossentropy can use the stable logits form (as Keras does)."""
    out = Sigmoid().apply(tensor_arg(x))
    out._keras_logits = ("sigmoid", x)
    return out


def hard_sigmoid(x):
    """``clip(x / 6 + 0.5, 0, 1)`` (Keras 3's definition)."""
    return HardSigmoid().apply(tensor_arg(x))


def tanh(x):
    return Tanh().apply(tensor_arg(x))


def softplus(x):
    """``log(1 + exp(x))``, stable for large ``|x|``."""
    return Softplus().apply(tensor_arg(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    return Softsign().apply(tensor_arg(x))


def silu(x):
    """``x * sigmoid(x)``."""
    return Silu().apply(tensor_arg(x))


swish = silu


def softmax(x, axis=-1):
    """Softmax along ``axis``. The result remembers its logits, so a following
    crossentropy from probabilities can use the exact, stable logits form (as Keras does)."""
    (ax,) = normalize_axis(axis, max(1, xp.ndim(raw(x))), "softmax")
    out = Softmax(ax).apply(tensor_arg(x))
    if ax == xp.ndim(raw(x)) - 1:
        out._keras_logits = ("softmax", x)
    return out


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` along ``axis``, computed stably."""
    (ax,) = normalize_axis(axis, max(1, xp.ndim(raw(x))), "log_softmax")
    return LogSoftmax(ax).apply(tensor_arg(x))


# -- Keras 3's newer activations ------------------------------------------------------------------
class _Piecewise(_Unary):
    """A unary op given by ``f`` and its derivative ``d(x, y)`` (``gy * d``); the constants
    are Python floats, so float32 stays float32 (NumPy 2 keeps the array's dtype)."""

    def df(self, gy, x, y):
        return gy * self.d(x, y).astype(gy.dtype, copy=False)


class Celu(_Piecewise):
    def __init__(self, alpha):
        self.alpha = float(alpha)

    def f(self, x):
        return xp.where(x > 0, x, self.alpha * xp.expm1(xp.minimum(x, 0) / self.alpha))

    def d(self, x, y):
        return xp.where(x > 0, 1.0, xp.exp(xp.minimum(x, 0) / self.alpha))


class HardTanh(_Piecewise):
    def f(self, x):
        return xp.clip(x, -1.0, 1.0).astype(x.dtype, copy=False)

    def d(self, x, y):
        return (x > -1) & (x < 1)


class HardShrink(_Piecewise):
    def __init__(self, threshold):
        self.threshold = threshold

    def f(self, x):
        return xp.where(xp.abs(x) > self.threshold, x, xp.zeros((), x.dtype))

    def d(self, x, y):
        return xp.abs(x) > self.threshold


class SoftShrink(_Piecewise):
    def __init__(self, threshold):
        self.threshold = threshold

    def f(self, x):
        t = self.threshold
        return xp.where(x > t, x - t, xp.where(x < -t, x + t, 0.0)).astype(x.dtype, copy=False)

    def d(self, x, y):
        return xp.abs(x) > self.threshold


class SparsePlus(_Piecewise):
    def f(self, x):
        quad = (x + 1.0) ** 2 / 4.0
        return xp.where(x <= -1, 0.0, xp.where(x >= 1, x, quad)).astype(x.dtype, copy=False)

    def d(self, x, y):
        return xp.where(x <= -1, 0.0, xp.where(x >= 1, 1.0, (x + 1.0) / 2.0))


class SparseSigmoid(_Piecewise):
    def f(self, x):
        return xp.clip((x + 1.0) / 2.0, 0.0, 1.0).astype(x.dtype, copy=False)

    def d(self, x, y):
        return ((x > -1) & (x < 1)) * 0.5


class Squareplus(_Piecewise):
    def __init__(self, b):
        self.b = float(b)

    def f(self, x):
        return (x + xp.sqrt(x * x + self.b)) / 2.0

    def d(self, x, y):
        return (1.0 + x / xp.sqrt(x * x + self.b)) / 2.0


class TanhShrink(_Piecewise):
    def f(self, x):
        return x - xp.tanh(x)

    def d(self, x, y):
        t = xp.tanh(x)
        return t * t


class Sparsemax(Function):
    """The Euclidean projection of ``x`` onto the simplex along ``axis`` (Martins & Astudillo,
    2016): ``max(x - tau, 0)`` with ``tau`` chosen so that the result sums to 1."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        z = xp.moveaxis(x, self.axis, -1)
        zs = -xp.sort(-z, axis=-1)  # descending
        k = xp.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        cum = xp.cumsum(zs, axis=-1)
        support = 1 + k * zs > cum  # the sorted entries that stay positive
        n = xp.sum(support, axis=-1, keepdims=True)
        tau = (xp.take_along_axis(cum, n - 1, axis=-1) - 1) / n.astype(x.dtype)
        y = xp.moveaxis(xp.maximum(z - tau, 0), -1, self.axis).astype(x.dtype, copy=False)
        if self.recording:
            self.saved = y
        return y

    def backward(self, gy):
        # the Jacobian is diag(s) - s s^T / |s| for the support s (where y > 0)
        s = (self.saved > 0).astype(gy.dtype)
        mean = xp.sum(gy * s, axis=self.axis, keepdims=True) / xp.sum(s, axis=self.axis,
                                                                      keepdims=True)
        return (s * (gy - mean),)


def _float_arg(x):
    """A float Tensor (or array) for ``x``: integers become floatx, as Keras's activations."""
    from ember import config

    x = tensor_arg(x)
    if raw(x).dtype.kind != "f":
        from ember.ops.elementwise import cast

        return cast(x, config.floatx())
    return x


def celu(x, alpha=1.0):
    """Continuously differentiable ELU: ``x`` for ``x > 0``, else
    ``alpha * (exp(x / alpha) - 1)``."""
    return Celu(alpha).apply(_float_arg(x))


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves ``a, b`` of ``x`` along
    ``axis``."""
    from ember.ops.shape import split

    x = _float_arg(x)
    n = raw(x).shape[normalize_axis(axis, xp.ndim(raw(x)), "glu")[0]]
    if n % 2:
        raise ValueError(
            f"glu: axis {axis} of an input of shape {raw(x).shape} must have an even size to be "
            f"split in two halves; it has size {n}")
    a, b = split(x, 2, axis=axis)
    from ember.ops.elementwise import multiply

    return multiply(a, sigmoid(b))


def hard_tanh(x):
    """``clip(x, -1, 1)``."""
    return HardTanh().apply(tensor_arg(x))  # integers stay integers, as Keras


def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    return HardShrink(threshold).apply(_float_arg(x))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    return SoftShrink(threshold).apply(_float_arg(x))


def sparse_plus(x):
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)**2 / 4`` in between: a smooth relu."""
    return SparsePlus().apply(_float_arg(x))


def sparse_sigmoid(x):
    """``clip((x + 1) / 2, 0, 1)``: a sigmoid with exact zeros and ones."""
    return SparseSigmoid().apply(_float_arg(x))


def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``: a smooth relu without exponentials."""
    if b < 0:
        raise ValueError(f"squareplus: b must be >= 0. Received: b={b}")
    return Squareplus(b).apply(_float_arg(x))


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return TanhShrink().apply(_float_arg(x))


def threshold(x, threshold, default_value):
    """``x`` where ``x > threshold``, else ``default_value``."""
    from ember.autodiff.tensor import convert_to_tensor
    from ember.ops.elementwise import greater, where

    x = convert_to_tensor(x)  # a Tensor, so that where() applies Keras's dtype rule
    return where(greater(x, threshold), x, default_value)


def sparsemax(x, axis=-1):
    """Sparsemax along ``axis``: like softmax, a probability distribution, but with exact
    zeros (the projection of ``x`` onto the probability simplex)."""
    x = _float_arg(x)
    (ax,) = normalize_axis(axis, max(1, xp.ndim(raw(x))), "sparsemax")
    return Sparsemax(ax).apply(x)
