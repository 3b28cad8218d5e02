"""``tf.math``: TensorFlow's math ops (most are also top-level ``tf.*`` names)."""

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw
from ember.tf.array_ops import (  # noqa: F401 - re-exported as tf.math.*
    _floats_only,
    _same_dtype,
    _tf_errors,
    _to_tensor,
    abs,
    add,
    add_n,
    argmax,
    argmin,
    atan,
    ceil,
    cos,
    cosh,
    count_nonzero,
    cumprod,
    cumsum,
    divide,
    divide_no_nan,
    equal,
    erf,
    exp,
    expm1,
    floor,
    floordiv,
    floormod,
    greater,
    greater_equal,
    is_finite,
    is_inf,
    is_nan,
    less,
    less_equal,
    log,
    log1p,
    log_sigmoid,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    pow,
    reciprocal,
    reduce_all,
    reduce_any,
    reduce_euclidean_norm,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
    round,
    rsqrt,
    scalar_mul,
    sigmoid,
    sign,
    sin,
    sinh,
    softplus,
    softsign,
    sqrt,
    square,
    squared_difference,
    subtract,
    tan,
    tanh,
    top_k,
    truediv,
)


def softmax(logits, axis=None, name=None):
    """Softmax along ``axis`` (the last one when None)."""
    return _tf_errors(ops.softmax)(_floats_only(logits, "softmax"), -1 if axis is None else axis)


def log_softmax(logits, axis=None, name=None):
    """``log(softmax(logits))`` along ``axis``, computed stably."""
    return _tf_errors(ops.log_softmax)(_floats_only(logits, "log_softmax"),
                                       -1 if axis is None else axis)


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))`` (over all axes when ``axis`` is None)."""
    t = _floats_only(x, "l2_normalize")
    axis = dim if axis is None else axis
    squares = ops.sum(ops.square(t), axis=axis, keepdims=True)
    return ops.multiply(t, ops.rsqrt(ops.maximum(squares, ops.cast(epsilon, t.dtype))))


def in_top_k(targets, predictions, k, name=None):
    """Whether each ``targets[i]`` is among the ``k`` largest of ``predictions[i]`` (ties at
    the k-th value count as in, as TensorFlow); non-finite rows give False."""
    pred = xp.asarray(raw(predictions))
    target = xp.asarray(raw(targets)).astype("int64")
    if pred.ndim != 2 or target.shape != pred.shape[:1]:
        raise ValueError(f"in_top_k: predictions must be [batch, classes] and targets [batch]; "
                         f"got {pred.shape} and {target.shape}")
    valid = (target >= 0) & (target < pred.shape[1])
    value = pred[xp.arange(len(target)), xp.clip(target, 0, pred.shape[1] - 1)]
    larger = (pred > value[:, None]).sum(axis=1)
    finite = xp.isfinite(pred).all(axis=1)
    return Tensor(valid & finite & (larger < k))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype="int32",
                     name=None):
    """``m[i, j]`` = how many (or the summed ``weights`` of) examples of label ``i`` were
    predicted ``j``."""
    lab = xp.asarray(raw(labels)).astype("int64").reshape(-1)
    pred = xp.asarray(raw(predictions)).astype("int64").reshape(-1)
    if lab.shape != pred.shape:
        raise ValueError(f"confusion_matrix: labels and predictions must have one shape; got "
                         f"{lab.shape} and {pred.shape}")
    if (lab < 0).any() or (pred < 0).any():
        raise ValueError("confusion_matrix: labels and predictions must be non-negative")
    n = int(max(lab.max(initial=-1), pred.max(initial=-1)) + 1) if num_classes is None \
        else int(num_classes)
    if (lab >= n).any() or (pred >= n).any():
        raise ValueError(f"confusion_matrix: labels and predictions must be < num_classes "
                         f"({n})")
    w = xp.ones(lab.shape) if weights is None else xp.asarray(raw(weights)).reshape(-1)
    out = xp.zeros((n, n), dtype="float64")
    xp.add.at(out, (lab, pred), w)
    return Tensor(out.astype(xp.dtype(dtype)))


def _segments(data, segment_ids, num_segments, op):
    x = _to_tensor(data)
    ids = xp.asarray(raw(segment_ids))
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: segment_ids must be integers. Received {ids.dtype}")
    if x.shape[:ids.ndim] != ids.shape:
        raise ValueError(f"{op}: segment_ids shape {ids.shape} must be a prefix of data shape "
                         f"{x.shape}")
    return x, ids, int(raw(num_segments))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """``out[s] = sum of data[i] with segment_ids[i] == s`` (ids out of range are dropped)."""
    from ember.tf.array_ops import ScatterNd

    x, ids, n = _segments(data, segment_ids, num_segments, "unsorted_segment_sum")
    keep = (ids >= 0) & (ids < n)
    base = Tensor(xp.zeros((n,) + x.shape[ids.ndim:], dtype=x.dtype))
    flat = ops.reshape(x, (-1,) + x.shape[ids.ndim:])
    rows = ops.take(flat, xp.flatnonzero(keep), axis=0)
    return ScatterNd((ids[keep],), "add").apply(base, rows)


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The mean of each segment (0 for an empty one)."""
    x, ids, n = _segments(data, segment_ids, num_segments, "unsorted_segment_mean")
    total = unsorted_segment_sum(x, ids, n)
    keep = ids[(ids >= 0) & (ids < n)]
    count = xp.maximum(xp.bincount(keep, minlength=n), 1).astype(x.dtype)
    return ops.divide(total, count.reshape((n,) + (1,) * (total.ndim - 1)))


def _segment_extreme(ufunc, op):
    def segment(data, segment_ids, num_segments, name=None):
        x, ids, n = _segments(data, segment_ids, num_segments, op)
        fill = xp.finfo(x.dtype).min if x.dtype.kind == "f" else xp.iinfo(x.dtype).min
        if ufunc is xp.minimum:
            fill = xp.finfo(x.dtype).max if x.dtype.kind == "f" else xp.iinfo(x.dtype).max
        out = xp.full((n,) + x.shape[ids.ndim:], fill, dtype=x.dtype)
        keep = (ids >= 0) & (ids < n)
        ufunc.at(out, ids[keep], x.data.reshape((-1,) + x.shape[ids.ndim:])[keep.reshape(-1)])
        return Tensor(out)

    segment.__name__ = op
    segment.__doc__ = f"The {op.split('_')[-1]} of each segment (no gradient)."
    return segment


unsorted_segment_max = _segment_extreme(xp.maximum, "unsorted_segment_max")
unsorted_segment_min = _segment_extreme(xp.minimum, "unsorted_segment_min")


def segment_sum(data, segment_ids, name=None):
    """As :func:`unsorted_segment_sum`, for sorted ids (``num_segments = max id + 1``)."""
    ids = xp.asarray(raw(segment_ids))
    return unsorted_segment_sum(data, ids, int(ids.max()) + 1 if ids.size else 0)


def segment_mean(data, segment_ids, name=None):
    ids = xp.asarray(raw(segment_ids))
    return unsorted_segment_mean(data, ids, int(ids.max()) + 1 if ids.size else 0)


def segment_max(data, segment_ids, name=None):
    ids = xp.asarray(raw(segment_ids))
    return unsorted_segment_max(data, ids, int(ids.max()) + 1 if ids.size else 0)


def segment_min(data, segment_ids, name=None):
    ids = xp.asarray(raw(segment_ids))
    return unsorted_segment_min(data, ids, int(ids.max()) + 1 if ids.size else 0)


def multiply_no_nan(x, y, name=None):
    """``x * y``, and 0 where ``y`` is 0 (even if ``x`` is NaN or inf)."""
    a, b = _same_dtype(x, y, "multiply_no_nan")
    zero = ops.equal(b, 0)
    return ops.where(zero, ops.zeros_like(a), ops.multiply(ops.where(zero, ops.zeros_like(a), a),
                                                           b))


def xlogy(x, y, name=None):
    """``x * log(y)``, and 0 where ``x`` is 0."""
    a, b = _same_dtype(_floats_only(x, "xlogy"), y, "xlogy")
    zero = ops.equal(a, 0)
    safe = ops.where(zero, ops.ones_like(b), b)
    return ops.where(zero, ops.zeros_like(a), ops.multiply(a, ops.log(safe)))


def xdivy(x, y, name=None):
    """``x / y``, and 0 where ``x`` is 0."""
    a, b = _same_dtype(_floats_only(x, "xdivy"), y, "xdivy")
    zero = ops.equal(a, 0)
    safe = ops.where(zero, ops.ones_like(b), b)
    return ops.where(zero, ops.zeros_like(a), ops.divide(a, safe))


def reciprocal_no_nan(x, name=None):
    """``1 / x``, and 0 where ``x`` is 0."""
    t = _floats_only(x, "reciprocal_no_nan")
    return divide_no_nan(ops.ones_like(t), t)


def zero_fraction(value, name=None):
    """The fraction of zeros in ``value`` (float32)."""
    data = xp.asarray(raw(_to_tensor(value)))
    return Tensor(xp.asarray((data == 0).mean() if data.size else xp.nan, dtype="float32"))


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype="int32", name=None,
             axis=None, binary_output=False):
    """Counts of each value of a non-negative int array (summed ``weights`` when given)."""
    data = xp.asarray(raw(arr)).reshape(-1)
    if data.size and data.min() < 0:
        raise ValueError("bincount: arr must be non-negative")
    w = None if weights is None else xp.asarray(raw(weights)).reshape(-1)
    out = xp.bincount(data, weights=w, minlength=int(minlength or 0))
    if maxlength is not None:
        out = out[:int(maxlength)]
    if binary_output:
        out = out > 0
    return Tensor(out.astype(w.dtype if w is not None and not binary_output else dtype))


def polyval(coeffs, x, name=None):
    """``coeffs[0] * x ** (n - 1) + ... + coeffs[n - 1]`` by Horner's rule."""
    result = ops.zeros_like(_to_tensor(x))
    for c in coeffs:
        result = ops.add(ops.multiply(result, x), c)
    return result
