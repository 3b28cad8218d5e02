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
        # an integer product keeps its dtype (NumPy would widen int32 to int64), as Keras
        y = xp.prod(x, axis=self.axis, keepdims=True,
                    dtype=x.dtype if x.dtype.kind in "iu" else None)
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
        # an integer running sum keeps its dtype (NumPy would widen int32 to int64), as Keras
        return xp.cumsum(x, axis=self.axis, dtype=x.dtype if x.dtype.kind in "iu" else None)

    def backward(self, gy):
        ax = self.axis
        return (xp.flip(xp.cumsum(xp.flip(gy, ax), axis=ax), ax),)


def cumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis`` (of the flattened input when None)."""
    t, ax = _cumulative_input(x, axis, dtype, "cumsum")
    return Cumsum(ax).apply(t)


def median(x, axis=None, keepdims=False):
    """Median over ``axis`` (a float; the gradient goes to the middle value(s))."""
    return _quantile(x, 0.5, axis, "linear", keepdims, "median", skip_nan=False)


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


# -- cumulative products ----------------------------------------------------------------------
class Cumprod(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        y = xp.cumprod(x, axis=self.axis, dtype=x.dtype)
        if self.recording:
            self.saved = (x, y)
        return y

    def backward(self, gy):
        # d y_j / d x_i = prod_{k <= j, k != i} x_k, so g_i = sum_{j >= i} gy_j y_j / x_i: a
        # reversed running sum, when no x is 0
        x, y = self.saved
        ax = self.axis
        if xp.all(x != 0):
            return (xp.flip(xp.cumsum(xp.flip(gy * y, ax), axis=ax), ax) / x,)
        # with zeros, without dividing: g_i = (prod_{k < i} x_k) * s_i, where
        # s_i = gy_i + x_{i+1} * s_{i+1} (a loop along the axis)
        x = xp.moveaxis(x, ax, -1)
        gy = xp.moveaxis(gy, ax, -1)
        before = xp.cumprod(xp.concatenate([xp.ones_like(x[..., :1]), x[..., :-1]], -1), -1)
        s = xp.empty_like(gy)
        n = x.shape[-1]
        if n:
            s[..., n - 1] = gy[..., n - 1]
        for i in range(n - 2, -1, -1):
            s[..., i] = gy[..., i] + x[..., i + 1] * s[..., i + 1]
        return (xp.moveaxis(before * s, -1, ax),)


def _cumulative_input(x, axis, dtype, name):
    """``x`` (flattened when ``axis`` is None) in the dtype a running sum or product keeps:
    ``dtype`` if given, int32 for booleans, else its own; and the axis."""
    from ember.ops.elementwise import cast
    from ember.ops.shape import reshape

    t = tensor_arg(x)
    if not isinstance(t, Tensor):
        t = Tensor(t)
    if dtype is not None:
        t = cast(t, dtype)
    elif t.dtype.kind == "b":
        t = cast(t, "int32")
    if axis is None:
        t = reshape(t, (-1,))
        axis = 0
    (ax,) = normalize_axis(axis, t.ndim, name)
    return t, ax


def cumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis`` (of the flattened input when None)."""
    t, ax = _cumulative_input(x, axis, dtype, "cumprod")
    return Cumprod(ax).apply(t)


def _without_nan(x, fill):
    """``x`` with NaN replaced by ``fill`` (the gradient passes elsewhere), and the NaN mask
    (None for a dtype without NaN)."""
    from ember.ops.elementwise import isnan, where

    t = tensor_arg(x)
    if not isinstance(t, Tensor):
        t = Tensor(t)
    if t.dtype.kind != "f":
        return t, None
    mask = isnan(t)  # an op, not an array, so that a tf.function replay recomputes it
    return where(mask, fill, t), mask


def nancumsum(x, axis=None, dtype=None):
    """Cumulative sum along ``axis``, NaN counted as zero."""
    t, _ = _without_nan(x, 0.0)
    t, ax = _cumulative_input(t, axis, dtype, "nancumsum")
    return Cumsum(ax).apply(t)


def nancumprod(x, axis=None, dtype=None):
    """Cumulative product along ``axis``, NaN counted as one."""
    t, _ = _without_nan(x, 1.0)
    return cumprod(t, axis=axis, dtype=dtype)


# -- reductions that skip NaN ---------------------------------------------------------------
def _wide_int(t):
    """Booleans and narrow integers as int32 (uint32 for unsigned): the dtype of Keras's
    integer sum and product."""
    from ember.ops.elementwise import cast

    if t.dtype.kind == "b" or t.dtype.kind == "i" and t.dtype.itemsize < 4:
        return cast(t, "int32")
    if t.dtype.kind == "u" and t.dtype.itemsize < 4:
        return cast(t, "uint32")
    return t


def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis``, NaN counted as zero."""
    t, _ = _without_nan(x, 0.0)
    return sum(_wide_int(t), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    """Product over ``axis``, NaN counted as one."""
    t, _ = _without_nan(x, 1.0)
    return prod(_wide_int(t), axis=axis, keepdims=keepdims)


def _float_input(x):
    from ember.ops._helpers import as_float_tensor
    from ember.ops.numeric import _float

    return _float(as_float_tensor(x))


def _nan_count(t, mask, axis, keepdims):
    """The number of non-NaN values over ``axis``, in ``t``'s dtype (no gradient)."""
    from ember.ops.creation import ones_like
    from ember.ops.elementwise import cast, logical_not

    valid = ones_like(t) if mask is None else cast(logical_not(mask), t.dtype)
    return sum(valid, axis=axis, keepdims=keepdims)


def _divide_count(total, count):
    """``total / count``, NaN where the count is 0 (no value to average)."""
    from ember.ops.elementwise import divide, equal, maximum, where

    return where(equal(count, 0), xp.nan, divide(total, maximum(count, 1)))


def nanmean(x, axis=None, keepdims=False):
    """Mean over ``axis`` of the values that are not NaN (NaN where there are none)."""
    t, mask = _without_nan(_float_input(x), 0.0)
    total = sum(t, axis=axis, keepdims=keepdims)
    return _divide_count(total, _nan_count(t, mask, axis, keepdims))


def nanvar(x, axis=None, keepdims=False):
    """Population variance over ``axis`` of the values that are not NaN."""
    from ember.ops.elementwise import square, subtract, where

    x = _float_input(x)
    t, mask = _without_nan(x, 0.0)
    centered = subtract(t, nanmean(x, axis=axis, keepdims=True))
    if mask is not None:
        centered = where(mask, 0.0, centered)
    total = sum(square(centered), axis=axis, keepdims=keepdims)
    return _divide_count(total, _nan_count(t, mask, axis, keepdims))


def nanstd(x, axis=None, keepdims=False):
    """Population standard deviation over ``axis`` of the values that are not NaN."""
    from ember.ops.elementwise import sqrt

    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extreme(x, axis, keepdims, reduce, fill):
    from ember.ops.elementwise import where

    t, mask = _without_nan(x, fill)
    out = reduce(t, axis=axis, keepdims=keepdims)
    if mask is None:
        return out
    return where(all(mask, axis=axis, keepdims=keepdims), xp.nan, out)


def nanmax(x, axis=None, keepdims=False):
    """Maximum over ``axis`` ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme(x, axis, keepdims, max, -xp.inf)


def nanmin(x, axis=None, keepdims=False):
    """Minimum over ``axis`` ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme(x, axis, keepdims, min, xp.inf)


def _nan_arg(fn, fill, name):
    def op(x, axis=None, keepdims=False):
        t = tensor_arg(x)
        data = raw(t)
        if axis is not None:
            normalize_axis(axis, xp.ndim(data), name)

        def compute(a):
            if a.dtype.kind != "f":
                return fn(a, axis=axis, keepdims=keepdims).astype("int32")
            nan = xp.isnan(a)
            idx = fn(xp.where(nan, fill, a), axis=axis, keepdims=keepdims)
            # as JAX: -1 where every value is NaN
            return xp.where(xp.all(nan, axis=axis, keepdims=keepdims), -1, idx).astype("int32")

        if trace.tracing[0]:
            return trace.nograd(lambda a: xp.asarray(compute(a)), t)
        return Tensor(xp.asarray(compute(data)))

    op.__name__ = name
    op.__doc__ = f"``{name[3:]}`` over ``axis`` ignoring NaN; -1 where all are NaN (int32)."
    return op


nanargmax = _nan_arg(xp.argmax, -xp.inf, "nanargmax")
nanargmin = _nan_arg(xp.argmin, xp.inf, "nanargmin")


def ptp(x, axis=None, keepdims=False):
    """The range ``max - min`` over ``axis``."""
    from ember.ops.elementwise import subtract

    t = tensor_arg(x)
    if xp.asarray(raw(t)).dtype.kind == "b":
        raise TypeError("ptp: boolean input is not supported (as in Keras); cast it first")
    return subtract(max(t, axis=axis, keepdims=keepdims), min(t, axis=axis, keepdims=keepdims))


# -- quantiles ---------------------------------------------------------------------------------
_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


class Quantile(Function):
    """Quantiles ``qs`` (fractions, shape (m,)) along the last axis: (..., n) -> (..., m).

    Sorts (NaN last), then interpolates between the values at the two ranks around
    ``q * (count - 1)``, where ``count`` is ``n``, or the number of non-NaN values with
    ``skip_nan``. The gradient goes to the two values used, with the interpolation weights."""

    def __init__(self, qs, method, skip_nan):
        self.qs, self.method, self.skip_nan = qs, method, skip_nan

    def forward(self, x):
        n = x.shape[-1]
        nan = xp.isnan(x)
        order = xp.argsort(x, axis=-1, kind="stable")
        srt = xp.take_along_axis(x, order, -1)
        count = xp.sum(~nan, axis=-1, keepdims=True) if self.skip_nan else n
        pos = self.qs * (count - 1)
        lo = xp.floor(pos) if self.method in ("linear", "lower", "midpoint") else (
            xp.ceil(pos) if self.method == "higher" else xp.round(pos))
        hi = xp.ceil(pos) if self.method in ("linear", "midpoint") else lo
        if self.method == "linear":
            w = pos - lo
        else:
            w = xp.where(lo == hi, 0.0, 0.5)
        w = xp.broadcast_to(w, x.shape[:-1] + (len(self.qs),)).astype(x.dtype)
        lo = xp.broadcast_to(xp.clip(lo, 0, n - 1).astype(xp.intp), w.shape)
        hi = xp.broadcast_to(xp.clip(hi, 0, n - 1).astype(xp.intp), w.shape)
        low, high = xp.take_along_axis(srt, lo, -1), xp.take_along_axis(srt, hi, -1)
        out = low + (high - low) * w
        if not self.skip_nan:  # a NaN in a slice makes its quantiles NaN, as NumPy and JAX
            out = xp.where(xp.any(nan, axis=-1, keepdims=True), xp.nan, out).astype(x.dtype)
        if self.recording:  # where each used value came from in x
            self.saved = (x.shape, xp.take_along_axis(order, lo, -1),
                          xp.take_along_axis(order, hi, -1), w)
        return out

    def backward(self, gy):
        shape, lo, hi, w = self.saved
        n, m = shape[-1], w.shape[-1]
        g = xp.zeros((gy.size // m if m else 0, n), gy.dtype)
        rows = xp.arange(g.shape[0])[:, None]
        xp.add.at(g, (rows, lo.reshape(-1, m)), (gy * (1 - w)).reshape(-1, m))
        xp.add.at(g, (rows, hi.reshape(-1, m)), (gy * w).reshape(-1, m))
        return (g.reshape(shape),)


def _quantile(x, q, axis, method, keepdims, name, skip_nan):
    """Quantiles ``q`` (in [0, 1]) of ``x`` over ``axis``, shaped ``q.shape + kept axes``."""
    from ember.ops.shape import reshape, transpose

    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{name}: method must be one of {', '.join(_QUANTILE_METHODS)}. "
                         f"Received: {method!r}")
    qs = xp.asarray(raw(q), dtype="float64")
    if qs.size and not (xp.all(qs >= 0) and xp.all(qs <= 1)):
        scale = 100 if "percentile" in name else 1
        raise ValueError(f"{name}: q must be in [0, {scale}]. Received: {qs * scale}")
    t = _float_input(x)
    shape = t.shape
    axes = tuple(range(len(shape))) if axis is None else normalize_axis(axis, len(shape), name)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis}")
    rest = [i for i in range(len(shape)) if i not in axes]
    n = 1
    for a in axes:
        n *= shape[a]
    if n == 0:
        raise ValueError(f"{name}: cannot take quantiles of an empty reduction (shape {shape}, "
                         f"axis {axis})")
    flat = reshape(transpose(t, rest + list(axes)), tuple(shape[i] for i in rest) + (n,))
    out = Quantile(qs.reshape(-1), method, skip_nan).apply(flat)
    # (rest..., len(q)) -> q's shape + the kept axes, with 1s for the reduced ones if keepdims
    kept = [1 if i in axes else shape[i] for i in range(len(shape))] if keepdims else [
        shape[i] for i in rest]
    out = transpose(out, [out.ndim - 1] + list(range(out.ndim - 1)))
    return reshape(out, qs.shape + tuple(kept))


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1]) over ``axis``; ``method`` as NumPy's: linear,
    lower, higher, midpoint or nearest."""
    return _quantile(x, q, axis, method, keepdims, "quantile", skip_nan=False)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles (``q`` in [0, 100]) over ``axis`` (see ``quantile``)."""
    return _quantile(x, xp.asarray(raw(q), dtype="float64") / 100, axis, method, keepdims,
                     "percentile", skip_nan=False)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """``quantile`` of the values that are not NaN (NaN where there are none)."""
    return _quantile(x, q, axis, method, keepdims, "nanquantile", skip_nan=True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    """``percentile`` of the values that are not NaN (NaN where there are none)."""
    return _quantile(x, xp.asarray(raw(q), dtype="float64") / 100, axis, method, keepdims,
                     "nanpercentile", skip_nan=True)


def nanmedian(x, axis=None, keepdims=False):
    """Median over ``axis`` of the values that are not NaN."""
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", skip_nan=True)
