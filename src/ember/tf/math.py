"""``tf.math``: TensorFlow's math ops (most are also top-level ``tf.*`` names)."""

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw
from ember.ops.segment import segment_reduce
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
from ember.tf.complex_ops import angle, conj, imag, real  # noqa: F401 - tf.math.*
from ember.tf.math_ops import (  # noqa: F401 - tf.math.*
    accumulate_n,
    acos,
    acosh,
    approx_max_k,
    approx_min_k,
    asin,
    asinh,
    atan2,
    atanh,
    cumulative_logsumexp,
    digamma,
    erfc,
    erfcinv,
    erfinv,
    invert_permutation,
    is_non_decreasing,
    is_strictly_increasing,
    lbeta,
    lgamma,
    ndtri,
    nextafter,
    rint,
    unsorted_segment_sqrt_n,
    xlog1py,
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
    return ops.in_top_k(targets, predictions, int(raw(k)))


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


def _segment(kind, op, initial=None):
    """``tf.math.unsorted_segment_<kind>`` on ember's segment engine (ids out of range are
    dropped; ``initial``: the value of an empty segment, TensorFlow's for max and min)."""

    def segment(data, segment_ids, num_segments, name=None):
        x = _to_tensor(data)
        fill = None if initial is None else initial(x.dtype)
        return segment_reduce(x, segment_ids, num_segments, kind, op, fill)

    segment.__name__ = op
    segment.__doc__ = (f"``out[s]`` = the {kind} of the ``data[i]`` with ``segment_ids[i] == s`` "
                       "(ids out of range are dropped); differentiable in ``data``.")
    return segment


def _lowest(dtype):
    return xp.finfo(dtype).min if dtype.kind == "f" else xp.iinfo(dtype).min


def _highest(dtype):
    return xp.finfo(dtype).max if dtype.kind == "f" else xp.iinfo(dtype).max


unsorted_segment_sum = _segment("sum", "unsorted_segment_sum")
unsorted_segment_max = _segment("max", "unsorted_segment_max", _lowest)
unsorted_segment_min = _segment("min", "unsorted_segment_min", _highest)
unsorted_segment_prod = _segment("prod", "unsorted_segment_prod")


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The mean of each segment (0 for an empty one)."""
    x = _to_tensor(data)
    total = unsorted_segment_sum(x, segment_ids, num_segments)
    ids = xp.asarray(raw(segment_ids)).reshape(-1)
    n = total.shape[0]
    count = xp.bincount(ids[(ids >= 0) & (ids < n)], minlength=n)
    count = xp.maximum(count, 1).astype(x.dtype)
    return ops.divide(total, count.reshape((n,) + (1,) * (total.ndim - 1)))


def _sorted_segment(unsorted):
    def segment(data, segment_ids, name=None):
        return unsorted(data, segment_ids, None)

    segment.__name__ = unsorted.__name__.replace("unsorted_", "")
    segment.__doc__ = (f"As :func:`{unsorted.__name__}`, for sorted ids (``num_segments = max "
                       "id + 1``).")
    return segment


segment_sum = _sorted_segment(unsorted_segment_sum)
segment_mean = _sorted_segment(unsorted_segment_mean)
segment_max = _sorted_segment(unsorted_segment_max)
segment_min = _sorted_segment(unsorted_segment_min)
segment_prod = _sorted_segment(unsorted_segment_prod)


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
    data = xp.asarray(raw(arr)).reshape(-1)  # TensorFlow counts over all the elements
    w = None if weights is None else xp.asarray(raw(weights)).reshape(-1)
    out = raw(ops.bincount(data, weights=w, minlength=int(minlength or 0)))
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
