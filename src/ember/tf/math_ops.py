"""More of TensorFlow's math names (``tf.math.*`` and their top-level aliases) on ember's op
engines: inverse trigonometric functions, ``erfinv``/``ndtri``, ``cumulative_logsumexp``,
``unique_with_counts``, ``unravel_index``, ``invert_permutation``, fixed-width histograms,
truncated division, ``repeat``, ``slice``, exact ``approx_max_k``/``approx_min_k`` ...
Ops on floats carry gradients; index-valued ones (``invert_permutation``, ``unravel_index``,
histograms, ...) have none, as in TensorFlow.
"""

import builtins
import math
from collections import namedtuple

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import no_gradient, normalize_axis, raw
from ember.tf.array_ops import (
    _dtype,
    _floats_only,
    _numeric,
    _same_dtype,
    _to_tensor,
    _unary,
    add_n,
    unique,
)
from ember.tf.errors import InvalidArgumentError

# -- elementwise ------------------------------------------------------------------------------
acos = _unary(ops.arccos, "acos", "The arc cosine (NaN outside [-1, 1]).", floats=True)
asin = _unary(ops.arcsin, "asin", "The arc sine (NaN outside [-1, 1]).", floats=True)
acosh = _unary(ops.arccosh, "acosh", "The inverse hyperbolic cosine.", floats=True)
asinh = _unary(ops.arcsinh, "asinh", "The inverse hyperbolic sine.", floats=True)
atanh = _unary(ops.arctanh, "atanh", "The inverse hyperbolic tangent.", floats=True)
erfc = _unary(ops.erfc, "erfc", "``1 - erf(x)``.", floats=True)
erfinv = _unary(ops.erfinv, "erfinv", "The inverse of ``erf`` on (-1, 1).", floats=True)


def erfcinv(x, name=None):
    """The inverse of ``erfc`` on (0, 2): ``erfinv(1 - x)``."""
    t = _floats_only(x, "erfcinv")
    return ops.erfinv(ops.subtract(xp.asarray(1, t.dtype), t))


def ndtri(x, name=None):
    """The standard normal quantile function: ``sqrt(2) erfinv(2 x - 1)``."""
    t = _floats_only(x, "ndtri")
    two = xp.asarray(2, t.dtype)
    return ops.multiply(xp.sqrt(two), ops.erfinv(ops.subtract(ops.multiply(two, t), 1)))


def atan2(y, x, name=None):
    """The angle of the point ``(x, y)``: ``atan(y / x)`` in the right quadrant."""
    a, b = _same_dtype(_floats_only(y, "atan2"), x, "atan2")
    return ops.arctan2(a, b)


def rint(x, name=None):
    """Round to the nearest integer, halves to even (float in, float out)."""
    return ops.round(_floats_only(x, "rint"))


def nextafter(x1, x2, name=None):
    """The next representable float after ``x1`` towards ``x2`` (no gradient)."""
    a, b = _same_dtype(_floats_only(x1, "nextafter"), x2, "nextafter")
    return ops.nextafter(a, b)


def xlog1py(x, y, name=None):
    """``x * log1p(y)``, and 0 where ``x`` is 0."""
    a, b = _same_dtype(_floats_only(x, "xlog1py"), y, "xlog1py")
    zero = ops.equal(a, 0)
    safe = ops.where(zero, ops.zeros_like(b), b)
    return ops.where(zero, ops.zeros_like(a), ops.multiply(a, ops.log1p(safe)))


def _integer(x, op):
    t = _to_tensor(x)
    if t.dtype.kind not in "iu":
        raise InvalidArgumentError(f"{op}: expected an integer tensor, got {t.dtype.name}")
    return t


def truncatediv(x, y, name=None):
    """Division rounded toward zero (C's ``/`` for integers; no gradient)."""
    a, b = _same_dtype(_numeric(x, "truncatediv"), y, "truncatediv")
    if a.dtype.kind in "iu" and xp.any(raw(b) == 0):
        raise InvalidArgumentError("truncatediv: integer division by zero")

    def divide(p, q):
        if p.dtype.kind in "iu":  # |p| // |q| with the sign of the true quotient
            quotient = xp.abs(p) // xp.abs(q)
            return xp.where((p < 0) != (q < 0), -quotient, quotient).astype(p.dtype)
        return xp.trunc(p / q)

    return no_gradient(divide, a, b)


def truncatemod(x, y, name=None):
    """The remainder of :func:`truncatediv`: the sign of ``x`` (C's ``%``; ``fmod``)."""
    a, b = _same_dtype(_numeric(x, "truncatemod"), y, "truncatemod")
    if a.dtype.kind in "iu" and xp.any(raw(b) == 0):
        raise InvalidArgumentError("truncatemod: integer division by zero")
    return ops.fmod(a, b)


# -- gamma functions (compositions of differentiable ops, in float64 inside) ------------------
# Lanczos approximation (g = 7, 9 terms): lgamma(y) for y >= 0.5 to double precision
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)


def _real_floats(x, op):
    t = _floats_only(x, op)
    if t.dtype.kind == "c":
        raise InvalidArgumentError(f"{op}: expected a real float tensor, got {t.dtype.name}")
    return t


def _poles(x):
    """Where ``x`` is 0 or a negative integer (the poles of the gamma function)."""
    a = xp.asarray(raw(x))
    return (a <= 0) & (a == xp.floor(a))


def _lgamma64(x):
    """``lgamma`` of a float64 Tensor: Lanczos for x >= 0.5, reflection below."""
    small = ops.less(x, 0.5)
    y = ops.where(small, ops.subtract(1.0, x), x)  # >= 0.5 on both branches
    z = ops.subtract(y, 1.0)
    series = _LANCZOS[0]
    for i, p in enumerate(_LANCZOS[1:], start=1):
        series = ops.add(series, ops.divide(p, ops.add(z, float(i))))
    t = ops.add(z, 7.5)
    big = ops.add(ops.subtract(ops.multiply(ops.add(z, 0.5), ops.log(t)), t),
                  ops.add(0.5 * math.log(2 * math.pi), ops.log(series)))
    sine = ops.abs(ops.sin(ops.multiply(math.pi, x)))
    reflected = ops.subtract(ops.subtract(math.log(math.pi), ops.log(sine)), big)
    return ops.where(small, reflected, big)


def lgamma(x, name=None):
    """``log |Gamma(x)|`` (inf at 0 and the negative integers); its gradient is ``digamma``."""
    t = _real_floats(x, "lgamma")
    with xp.errstate(divide="ignore", invalid="ignore"):  # the poles give inf quietly
        out = ops.cast(_lgamma64(ops.cast(t, "float64")), t.dtype)
    return ops.where(_poles(t), xp.asarray(xp.inf, t.dtype), out)


def digamma(x, name=None):
    """``d lgamma(x) / dx`` (NaN at 0 and the negative integers): reflection below 1/2, six
    steps of the recurrence, then the asymptotic series."""
    t = _real_floats(x, "digamma")
    with xp.errstate(divide="ignore", invalid="ignore"):  # the poles give NaN quietly
        out = _digamma64(ops.cast(t, "float64"))
    return ops.where(_poles(t), xp.asarray(xp.nan, t.dtype), ops.cast(out, t.dtype))


def _digamma64(x64):
    """``digamma`` of a float64 Tensor (the poles not handled)."""
    small = ops.less(x64, 0.5)
    y = ops.where(small, ops.subtract(1.0, x64), x64)
    shift = 0.0
    for k in range(6):  # psi(y) = psi(y + 6) - sum 1 / (y + k)
        shift = ops.add(shift, ops.reciprocal(ops.add(y, float(k))))
    w = ops.add(y, 6.0)
    inv2 = ops.reciprocal(ops.square(w))
    tail = ops.multiply(inv2, ops.add(-1 / 12, ops.multiply(inv2, ops.add(1 / 120, ops.multiply(
        inv2, ops.add(-1 / 252, ops.multiply(inv2, ops.add(1 / 240, ops.multiply(
            inv2, -1 / 132)))))))))
    psi = ops.subtract(ops.add(ops.subtract(ops.log(w), ops.divide(0.5, w)), tail), shift)
    cot = ops.divide(math.pi, ops.tan(ops.multiply(math.pi, x64)))
    return ops.where(small, ops.subtract(psi, cot), psi)


def lbeta(x, name=None):
    """``log |B(x)|`` of the last axis: ``sum(lgamma(x)) - lgamma(sum(x))``."""
    t = _real_floats(x, "lbeta")
    if t.ndim == 0:
        raise InvalidArgumentError("lbeta: x must have rank >= 1")
    with xp.errstate(invalid="ignore"):  # inf - inf at the poles is NaN, as TensorFlow
        return ops.subtract(ops.sum(lgamma(t), axis=-1), lgamma(ops.sum(t, axis=-1)))


# -- scans, orderings and counts --------------------------------------------------------------
def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``log(cumsum(exp(x)))`` along ``axis``, computed stably (``exclusive``: each element
    left out of its own sum, the first being -inf; ``reverse``: from the end)."""
    t = _floats_only(x, "cumulative_logsumexp")
    if t.dtype.kind == "c":
        raise InvalidArgumentError("cumulative_logsumexp: expected a real float tensor")
    (ax,) = normalize_axis(axis, builtins.max(t.ndim, 1), "cumulative_logsumexp")
    if reverse:
        t = ops.flip(t, ax)
    out = ops.associative_scan(ops.logaddexp, t, axis=ax)
    if exclusive:
        shape = list(t.shape)
        shape[ax] = 1
        lead = xp.full(shape, -xp.inf, dtype=t.dtype)
        out = ops.concatenate([lead, _drop_last(out, ax)], axis=ax)
    return ops.flip(out, ax) if reverse else out


def _drop_last(x, axis):
    index = [builtins.slice(None)] * x.ndim
    index[axis] = builtins.slice(0, -1)
    return ops.getitem(x, tuple(index))


def invert_permutation(x, name=None):
    """The inverse of the permutation ``x`` (a 1-D integer tensor): ``y[x[i]] = i``."""
    t = _integer(x, "invert_permutation")
    perm = xp.asarray(raw(t))
    if perm.ndim != 1:
        raise InvalidArgumentError(f"invert_permutation: x must be 1-D, got shape {perm.shape}")
    if sorted(perm.tolist()) != list(range(perm.size)):
        raise InvalidArgumentError(f"invert_permutation: {perm.tolist()} is not a permutation "
                                   f"of 0..{perm.size - 1}")
    return no_gradient(lambda p: xp.argsort(p).astype(p.dtype), t)


def _ordered(x, strict, op):
    t = _numeric(x, op)
    return no_gradient(lambda a: xp.asarray(builtins.bool(xp.all(
        (xp.diff(a.reshape(-1)) > 0) if strict else (xp.diff(a.reshape(-1)) >= 0)))), t)


def is_non_decreasing(x, name=None):
    """Whether each element of the flattened ``x`` is >= the one before (a bool scalar)."""
    return _ordered(x, False, "is_non_decreasing")


def is_strictly_increasing(x, name=None):
    """Whether each element of the flattened ``x`` is > the one before (a bool scalar)."""
    return _ordered(x, True, "is_strictly_increasing")


def unique_with_counts(x, out_idx="int32", name=None):
    """``(y, idx, count)``: :func:`tf.unique`'s values (in order of first appearance) and
    indices, and how many times each value occurs."""
    y, idx = unique(x, out_idx)
    count = xp.bincount(xp.asarray(raw(idx)), minlength=y.shape[0]).astype(_dtype(out_idx))
    return namedtuple("UniqueWithCounts", ["y", "idx", "count"])(y, idx, Tensor(count))


def unravel_index(indices, dims, name=None):
    """The coordinates of flat ``indices`` in an array of shape ``dims``: shape
    ``[len(dims)] + indices.shape``, in the indices' dtype."""
    t = _integer(indices, "unravel_index")
    shape = tuple(int(d) for d in xp.asarray(raw(dims)).reshape(-1))
    flat = xp.asarray(raw(t))
    total = int(xp.prod(shape)) if shape else 1
    if flat.size and (flat.min() < 0 or flat.max() >= total):
        raise InvalidArgumentError(f"unravel_index: index out of bounds for dims {list(shape)}: "
                                   f"{flat.tolist()}")
    return no_gradient(lambda a: xp.stack(xp.unravel_index(a, shape)).astype(a.dtype), t)


def _hist_bins(values, value_range, nbins, op):
    v = _numeric(values, op)
    lo, hi = (float(b) for b in xp.asarray(raw(value_range)).reshape(-1))
    nbins = int(nbins)
    if nbins <= 0:
        raise InvalidArgumentError(f"{op}: nbins should be a positive number, got {nbins}")
    if not hi > lo:
        raise InvalidArgumentError(f"{op}: value_range should satisfy value_range[0] < "
                                   f"value_range[1], got {[lo, hi]}")
    data = xp.asarray(raw(v)).astype("float64")  # bin edges in double: no rounding at edges
    return xp.clip(xp.floor((data - lo) / (hi - lo) * nbins), 0, nbins - 1).astype("int64"), nbins


def histogram_fixed_width_bins(values, value_range, nbins=100, dtype="int32", name=None):
    """The bin of each value among ``nbins`` equal bins over ``value_range`` (values outside
    go to the first or last bin)."""
    bins, _ = _hist_bins(values, value_range, nbins, "histogram_fixed_width_bins")
    return Tensor(bins.astype(_dtype(dtype)))


def histogram_fixed_width(values, value_range, nbins=100, dtype="int32", name=None):
    """How many values fall in each of ``nbins`` equal bins over ``value_range`` (values
    outside count in the first or last bin)."""
    bins, n = _hist_bins(values, value_range, nbins, "histogram_fixed_width")
    return Tensor(xp.bincount(bins.reshape(-1), minlength=n).astype(_dtype(dtype)))


def accumulate_n(inputs, shape=None, tensor_dtype=None, name=None):
    """The sum of a list of tensors of one shape (TensorFlow's older name of ``add_n``)."""
    return add_n(inputs)


def _top_k_along(operand, k, axis, largest, op):
    x = _numeric(operand, op)
    (ax,) = normalize_axis(axis, builtins.max(x.ndim, 1), op)
    k = int(k)
    if not 0 < k <= x.shape[ax]:
        raise InvalidArgumentError(f"{op}: k must be in [1, {x.shape[ax]}], got {k}")
    moved = ops.moveaxis(x, ax, -1)
    values, indices = ops.top_k(moved if largest else ops.negative(moved), k)
    if not largest:
        values = ops.negative(values)
    return ops.moveaxis(values, -1, ax), ops.moveaxis(indices, -1, ax)


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """``(values, indices)`` of the ``k`` largest entries along ``reduction_dimension``
    (ember computes them exactly: recall 1)."""
    return _top_k_along(operand, k, reduction_dimension, True, "approx_max_k")


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True, name=None):
    """``(values, indices)`` of the ``k`` smallest entries along ``reduction_dimension``
    (exactly)."""
    return _top_k_along(operand, k, reduction_dimension, False, "approx_min_k")


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """Each segment's sum divided by the square root of its size (0 for an empty one)."""
    from ember.tf.math import unsorted_segment_sum

    x = _floats_only(data, "unsorted_segment_sqrt_n")
    total = unsorted_segment_sum(x, segment_ids, num_segments)
    ids = xp.asarray(raw(segment_ids))
    count = unsorted_segment_sum(xp.ones(ids.shape, x.dtype), ids, num_segments)
    count = xp.sqrt(xp.maximum(raw(count), 1)).astype(x.dtype)
    return ops.divide(total, count.reshape(count.shape + (1,) * (total.ndim - count.ndim)))


# -- shaping ----------------------------------------------------------------------------------
def repeat(input, repeats, axis=None, name=None):  # noqa: A002 - TensorFlow's argument name
    """Each element (of the flattened input when ``axis`` is None) repeated ``repeats`` times
    (an int, or one count per element along ``axis``)."""
    x = _to_tensor(input)
    counts = xp.asarray(raw(repeats))
    if counts.dtype.kind not in "iu":
        raise InvalidArgumentError(f"repeat: repeats must be integers, got {counts.dtype}")
    if (counts < 0).any():
        raise InvalidArgumentError(f"repeat: repeats must be non-negative, got {counts.tolist()}")
    return ops.repeat(x, counts.tolist() if counts.ndim else int(counts), axis=axis)


def slice(input_, begin, size, name=None):  # noqa: A001 - TensorFlow's name
    """The block of ``input_`` starting at ``begin`` with shape ``size`` (-1: to the end)."""
    x = _to_tensor(input_)
    begin = [int(b) for b in xp.asarray(raw(begin)).reshape(-1)]
    size = [int(s) for s in xp.asarray(raw(size)).reshape(-1)]
    if len(begin) != x.ndim or len(size) != x.ndim:
        raise InvalidArgumentError(f"slice: begin and size must have {x.ndim} entries (the rank "
                                   f"of input_), got {begin} and {size}")
    index = []
    for axis, (b, s, n) in enumerate(zip(begin, size, x.shape)):
        s = n - b if s == -1 else s
        if not (0 <= b <= n and 0 <= s <= n - b):
            raise InvalidArgumentError(f"slice: expected size[{axis}] in [0, {n - b}] and "
                                       f"begin[{axis}] in [0, {n}], got begin {b}, size {s}")
        index.append(builtins.slice(b, b + s))
    return ops.getitem(x, tuple(index))


def reverse_sequence(input, seq_lengths, seq_axis=None, batch_axis=None, name=None):  # noqa: A002
    """For each ``b`` along ``batch_axis`` (default 0), the first ``seq_lengths[b]`` entries
    along ``seq_axis`` reversed and the rest kept (differentiable: a gather)."""
    x = _to_tensor(input)
    if seq_axis is None:
        raise ValueError("reverse_sequence: seq_axis must be given")
    (seq,) = normalize_axis(seq_axis, x.ndim, "reverse_sequence")
    (batch,) = normalize_axis(0 if batch_axis is None else batch_axis, x.ndim,
                              "reverse_sequence")
    if seq == batch:
        raise InvalidArgumentError(f"reverse_sequence: seq_axis and batch_axis must differ, "
                                   f"got {seq_axis} and {batch_axis}")
    lengths = xp.asarray(raw(seq_lengths)).reshape(-1).astype("int64")
    if lengths.size != x.shape[batch]:
        raise InvalidArgumentError(f"reverse_sequence: length of seq_lengths ({lengths.size}) "
                                   f"!= input.dims({batch}) ({x.shape[batch]})")
    if (lengths > x.shape[seq]).any() or (lengths < 0).any():
        raise InvalidArgumentError(f"reverse_sequence: seq_lengths must be in [0, "
                                   f"{x.shape[seq]}], got {lengths.tolist()}")
    position = xp.arange(x.shape[seq])[None, :]
    source = xp.where(position < lengths[:, None], lengths[:, None] - 1 - position, position)
    shape = [1] * x.ndim  # source[b, t], laid out on (batch, seq) and broadcast over the rest
    shape[batch], shape[seq] = x.shape[batch], x.shape[seq]
    order = (0, 1) if batch < seq else (1, 0)
    index = xp.broadcast_to(source.transpose(order).reshape(shape), tuple(x.shape))
    return ops.take_along_axis(x, index, axis=seq)


def _partitions(partitions, rows, op):
    p = xp.asarray(raw(partitions))
    if p.dtype.kind not in "iu":
        raise InvalidArgumentError(f"{op}: partitions must be integers, got {p.dtype}")
    if tuple(p.shape) != tuple(rows):
        raise InvalidArgumentError(f"{op}: partitions.shape {p.shape} must be a prefix of "
                                   f"data.shape")
    return p


def dynamic_partition(data, partitions, num_partitions, name=None):
    """``num_partitions`` tensors: the slices of ``data`` (over the leading axes that
    ``partitions`` covers) whose partition is ``i``, in order (differentiable in ``data``)."""
    x = _to_tensor(data)
    p = xp.asarray(raw(partitions))
    lead = p.ndim
    p = _partitions(p, x.shape[:lead], "dynamic_partition")
    bad = p[(p < 0) | (p >= num_partitions)]
    if bad.size:
        raise InvalidArgumentError(f"dynamic_partition: partitions must be in [0, "
                                   f"{num_partitions}), got {bad.tolist()}")
    flat = ops.reshape(x, (-1,) + tuple(x.shape[lead:]))
    ids = p.reshape(-1)
    return [ops.take(flat, xp.flatnonzero(ids == i), axis=0) for i in range(int(num_partitions))]


def dynamic_stitch(indices, data, name=None):
    """The inverse of :func:`dynamic_partition`: ``merged[indices[m][i]] = data[m][i]`` (a
    later entry wins for a repeated index; rows no index names are 0)."""
    if len(indices) != len(data) or not indices:
        raise InvalidArgumentError("dynamic_stitch: indices and data must be non-empty lists of "
                                   f"one length, got {len(indices)} and {len(data)}")
    index_arrays = [xp.asarray(raw(i)).astype("int64") for i in indices]
    tensors = [_to_tensor(d) for d in data]
    tails = {tuple(t.shape[i.ndim:]) for i, t in zip(index_arrays, tensors)}
    if len(tails) != 1:
        raise InvalidArgumentError(f"dynamic_stitch: the data shapes beyond their indices' must "
                                   f"agree, got {sorted(tails)}")
    (tail,) = tails
    flat_index = xp.concatenate([i.reshape(-1) for i in index_arrays])
    if flat_index.size and flat_index.min() < 0:
        raise InvalidArgumentError(f"dynamic_stitch: indices must be non-negative, got "
                                   f"{flat_index.min()}")
    rows = ops.concatenate([ops.reshape(t, (-1,) + tail) for t in tensors], axis=0)
    size = int(flat_index.max()) + 1 if flat_index.size else 0
    # each output row takes the last data row naming it; unnamed rows take an appended zero row
    source = xp.full(size, flat_index.size, dtype="int64")
    source[flat_index] = xp.arange(flat_index.size)
    padded = ops.concatenate([rows, ops.zeros((1,) + tail, dtype=rows.dtype)], axis=0)
    return ops.take(padded, source, axis=0)


__all__ = ["accumulate_n", "acos", "acosh", "approx_max_k", "approx_min_k", "asin", "asinh",
           "atan2", "atanh", "cumulative_logsumexp", "digamma", "dynamic_partition",
           "dynamic_stitch", "erfc", "erfcinv", "erfinv", "histogram_fixed_width",
           "histogram_fixed_width_bins", "invert_permutation", "is_non_decreasing",
           "is_strictly_increasing", "lbeta", "lgamma", "ndtri", "nextafter", "repeat",
           "reverse_sequence", "rint", "slice", "truncatediv", "truncatemod", "unique_with_counts",
           "unravel_index", "unsorted_segment_sqrt_n", "xlog1py"]
