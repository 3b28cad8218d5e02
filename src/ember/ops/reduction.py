"""Reductions with ``axis`` and ``keepdims``, and their gradients."""

from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import normalize_axis, raw, tensor_arg


def _expand(g, in_shape, axes, keepdims):
    """Reshape a reduced gradient so that it broadcasts against the input."""
    if keepdims or axes is None and g.ndim == 0:
        return g
    if axes is None:
        return g.reshape((1,) * len(in_shape))
    shape = list(in_shape)
    for a in axes:
        shape[a] = 1
    return g.reshape(shape)


def _expand_ops(gy, in_shape, axes, keepdims):
    """``_expand`` with ember ops, broadcast to ``in_shape`` (for ``backward_ops``)."""
    from ember.ops.shape import broadcast_to, reshape

    if not keepdims:
        shape = [1 if axes is None or i in axes else n for i, n in enumerate(in_shape)]
        gy = reshape(gy, shape)
    return broadcast_to(gy, in_shape)


class _Reduce(Function):
    def __init__(self, axis, keepdims):
        self.axis, self.keepdims = axis, keepdims


class Sum(_Reduce):
    def forward(self, x):
        self.in_shape = x.shape
        # an integer sum keeps its dtype (NumPy would widen int32 to int64), as TF and Keras
        return xp.sum(x, axis=self.axis, keepdims=self.keepdims,
                      dtype=x.dtype if x.dtype.kind in "iu" else None)

    def backward(self, gy):
        if gy.size == 1:  # a full reduction (the usual loss): one fill, no broadcasting machinery
            return (xp.full(self.in_shape, gy.reshape(()), dtype=gy.dtype),)
        g = _expand(gy, self.in_shape, self.axis, self.keepdims)
        return (xp.broadcast_to(g, self.in_shape),)

    def backward_ops(self, gy, x):
        return (_expand_ops(gy, self.in_shape, self.axis, self.keepdims),)


class Mean(_Reduce):
    def forward(self, x):
        self.in_shape = x.shape
        y = xp.sum(x, axis=self.axis, keepdims=self.keepdims)
        self.count = x.size // y.size if y.size else 1
        if x.dtype.kind != "f":
            return xp.mean(x, axis=self.axis, keepdims=self.keepdims)
        # sum then divide: np.mean's Python-level wrapper costs more than the arithmetic here
        if y.ndim:
            y /= self.count
            return y
        return y.dtype.type(y / self.count)

    def backward(self, gy):
        if gy.size == 1:
            return (xp.full(self.in_shape, gy.reshape(()) / self.count, dtype=gy.dtype),)
        g = _expand(gy, self.in_shape, self.axis, self.keepdims) / self.count
        return (xp.broadcast_to(g, self.in_shape).astype(gy.dtype, copy=False),)

    def backward_ops(self, gy, x):
        return (_expand_ops(gy, self.in_shape, self.axis, self.keepdims) / self.count,)


class _MaxMin(_Reduce):
    fn = None

    def forward(self, x):
        y = self.fn(x, axis=self.axis, keepdims=True)
        if self.recording:
            self.saved = (x, y)
        if self.keepdims:
            return y
        return y.reshape(()) if self.axis is None else xp.squeeze(y, axis=self.axis)

    def backward(self, gy):
        x, y = self.saved
        g = _expand(gy, x.shape, self.axis, self.keepdims)
        mask = x == y
        # ties share the gradient equally, so the result is a proper subgradient
        count = xp.sum(mask, axis=self.axis, keepdims=True)
        return (g * mask / count.astype(x.dtype),)

    def backward_ops(self, gy, x):
        x, y = self.saved
        mask = x == y  # a constant share of the gradient, as TensorFlow's
        share = (mask / xp.sum(mask, axis=self.axis, keepdims=True)).astype(x.dtype)
        return (_expand_ops(gy, x.shape, self.axis, self.keepdims) * share,)


class Max(_MaxMin):
    fn = staticmethod(xp.max)


class Min(_MaxMin):
    fn = staticmethod(xp.min)


class Prod(_Reduce):
    def forward(self, x):
        y = xp.prod(x, axis=self.axis, keepdims=True)
        if self.recording:
            self.saved = (x, y)
        if self.keepdims:
            return y
        return y.reshape(()) if self.axis is None else xp.squeeze(y, axis=self.axis)

    def backward(self, gy):
        x, y = self.saved
        g = _expand(gy, x.shape, self.axis, self.keepdims)
        # product of the others, computed without dividing so zeros are handled exactly
        axes = tuple(range(x.ndim)) if self.axis is None else self.axis
        moved = xp.moveaxis(x, axes, tuple(range(-len(axes), 0)))
        flat = moved.reshape(moved.shape[: moved.ndim - len(axes)] + (-1,))
        left = xp.cumprod(xp.concatenate([xp.ones_like(flat[..., :1]), flat[..., :-1]], -1), -1)
        right = xp.flip(xp.cumprod(xp.concatenate(
            [xp.ones_like(flat[..., :1]), xp.flip(flat[..., 1:], -1)], -1), -1), -1)
        others = (left * right).reshape(moved.shape)
        others = xp.moveaxis(others, tuple(range(-len(axes), 0)), axes)
        return (g * others,)


class Var(_Reduce):
    def __init__(self, axis, keepdims, ddof=0):
        super().__init__(axis, keepdims)
        self.ddof = ddof

    def forward(self, x):
        mean = xp.mean(x, axis=self.axis, keepdims=True)
        centered = x - mean
        n = x.size // mean.size if mean.size else 1
        self.n = n
        if self.recording:
            self.saved = centered
        return xp.sum(centered * centered, axis=self.axis, keepdims=self.keepdims) / (
            n - self.ddof)

    def backward(self, gy):
        centered = self.saved
        g = _expand(gy, centered.shape, self.axis, self.keepdims)
        return (g * centered * (2.0 / (self.n - self.ddof)),)


class LogSumExp(_Reduce):
    def forward(self, x):
        m = xp.max(x, axis=self.axis, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.log(xp.sum(xp.exp(x - m), axis=self.axis, keepdims=True)) + m
        if self.recording:
            self.saved = (x, s)
        if self.keepdims:
            return s
        return s.reshape(()) if self.axis is None else xp.squeeze(s, axis=self.axis)

    def backward(self, gy):
        x, s = self.saved
        g = _expand(gy, x.shape, self.axis, self.keepdims)
        return (g * xp.exp(x - s),)

    def backward_ops(self, gy, x):
        from ember.ops.elementwise import exp

        g = _expand_ops(gy, x.shape, self.axis, self.keepdims)
        return (g * exp(x - logsumexp(x, axis=self.axis, keepdims=True)),)


def _reduce(cls, x, axis, keepdims, name, **kw):
    data = raw(x)
    ndim = xp.ndim(data)
    axes = normalize_axis(axis, ndim, name)
    if axes is not None and len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return cls(axes, bool(keepdims), **kw).apply(tensor_arg(x))


def sum(x, axis=None, keepdims=False):  # noqa: A001
    """Sum over ``axis`` (all axes when None)."""
    return _reduce(Sum, x, axis, keepdims, "sum")


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis`` (all axes when None)."""
    return _reduce(Mean, x, axis, keepdims, "mean")


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient."""
    return _reduce(Max, x, axis, keepdims, "max")


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient."""
    return _reduce(Min, x, axis, keepdims, "min")


amax, amin = max, min


def prod(x, axis=None, keepdims=False, dtype=None):
    """Product over ``axis``."""
    return _reduce(Prod, x, axis, keepdims, "prod")


def var(x, axis=None, keepdims=False):
    """Population variance over ``axis``."""
    return _reduce(Var, x, axis, keepdims, "var")


def std(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis``."""
    from ember.ops.elementwise import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return _reduce(LogSumExp, x, axis, keepdims, "logsumexp")


def _index_reduce(fn, name):
    def op(x, axis=None, keepdims=False):
        data = raw(x)
        if axis is not None:
            normalize_axis(axis, xp.ndim(data), name)
        if trace.tracing[0]:  # recorded, so that a tf.function replay recomputes it
            return trace.nograd(lambda a: xp.asarray(fn(a, axis=axis, keepdims=keepdims)), x)
        return Tensor(xp.asarray(fn(data, axis=axis, keepdims=keepdims)))

    op.__name__ = name
    op.__doc__ = f"``{name}`` over ``axis`` (no gradient)."
    return op


argmax = _index_reduce(xp.argmax, "argmax")
argmin = _index_reduce(xp.argmin, "argmin")
all = _index_reduce(xp.all, "all")  # noqa: A001
any = _index_reduce(xp.any, "any")  # noqa: A001
count_nonzero = _index_reduce(xp.count_nonzero, "count_nonzero")


class Cumsum(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        return xp.cumsum(x, axis=self.axis)

    def backward(self, gy):
        ax = self.axis
        return (xp.flip(xp.cumsum(xp.flip(gy, ax), axis=ax), ax),)


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (of the flattened input when None)."""
    if axis is None:
        from ember.ops.shape import reshape

        x = reshape(x, (-1,))
        axis = 0
    (ax,) = normalize_axis(axis, xp.ndim(raw(x)), "cumsum")
    out = Cumsum(ax).apply(tensor_arg(x))
    if dtype is not None:
        from ember.ops.elementwise import cast

        out = cast(out, dtype)
    return out


def median(x, axis=None, keepdims=False):
    """Median over ``axis`` (no gradient)."""
    return Tensor(xp.asarray(xp.median(raw(x), axis=axis, keepdims=keepdims)))


def average(x, axis=None, weights=None):
    """Mean over ``axis``, weighted by ``weights`` (broadcastable along ``axis``) if given."""
    if weights is None:
        return mean(x, axis=axis)
    from ember.ops import elementwise as E

    if axis is not None and xp.ndim(raw(weights)) == 1 and xp.ndim(raw(x)) > 1:
        (ax,) = normalize_axis(axis, xp.ndim(raw(x)), "average")
        shape = [1] * xp.ndim(raw(x))
        shape[ax] = -1
        from ember.ops.shape import reshape

        weights = reshape(weights, shape)
    from ember.ops.shape import broadcast_to

    w = broadcast_to(weights, xp.broadcast_shapes(xp.shape(raw(x)), xp.shape(raw(weights))))
    return E.divide(sum(E.multiply(x, weights), axis=axis), sum(w, axis=axis))
