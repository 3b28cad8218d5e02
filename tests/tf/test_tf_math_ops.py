"""tf.math / tf names of ember/tf/math_ops.py (behaviour checked against TensorFlow 2.21;
expected values from NumPy)."""

import math

import numpy as np
import pytest

import ember as tf
from ember.autodiff.gradcheck import check_gradients
from ember.tf.errors import InvalidArgumentError

U = np.array([-0.9, -0.3, 0.2, 0.7], "float32")


def _np(t):
    return np.asarray(t)


@pytest.mark.parametrize("fn, ref, data", [
    (tf.acos, np.arccos, U), (tf.asin, np.arcsin, U), (tf.atanh, np.arctanh, U),
    (tf.asinh, np.arcsinh, U), (tf.acosh, np.arccosh, 1.5 + np.abs(U)),
    (tf.math.acos, np.arccos, U), (tf.math.asin, np.arcsin, U), (tf.math.atanh, np.arctanh, U),
    (tf.math.asinh, np.arcsinh, U), (tf.math.acosh, np.arccosh, 1.5 + np.abs(U)),
    (tf.math.erfc, lambda x: 1 - np.vectorize(math.erf)(x), U),
])
def test_inverse_trig_and_erfc(fn, ref, data):
    out = fn(data)
    assert out.dtype == np.float32
    np.testing.assert_allclose(_np(out), ref(data.astype("float64")), rtol=1e-5, atol=1e-6)
    check_gradients(fn, [data.astype("float64")])
    with pytest.raises(InvalidArgumentError, match="int32"):
        fn(np.array([1, 0], "int32"))


def test_erfinv_erfcinv_ndtri_invert_erf():
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(erf(_np(tf.math.erfinv(U)).astype("float64")), U, atol=1e-6)
    p = np.array([0.3, 1.0, 1.5], "float32")
    np.testing.assert_allclose(1 - erf(_np(tf.math.erfcinv(p)).astype("float64")), p, atol=1e-6)
    q = np.array([0.1, 0.5, 0.9], "float32")
    z = _np(tf.math.ndtri(q)).astype("float64")
    np.testing.assert_allclose(0.5 * (1 + erf(z / math.sqrt(2))), q, atol=1e-6)
    check_gradients(tf.math.ndtri, [q.astype("float64")])
    check_gradients(tf.math.erfcinv, [p.astype("float64")])


def test_atan2():
    y, x = np.array([1.0, -1.0, 0.5], "float32"), np.array([-1.0, -1.0, 2.0], "float32")
    np.testing.assert_allclose(_np(tf.atan2(y, x)), np.arctan2(y, x), rtol=1e-6)
    np.testing.assert_allclose(_np(tf.math.atan2(y, x)), np.arctan2(y, x), rtol=1e-6)
    check_gradients(tf.atan2, [y.astype("float64"), x.astype("float64")])
    with pytest.raises(InvalidArgumentError):
        tf.atan2(np.array([1]), np.array([1]))


def test_rint_nextafter_xlog1py():
    v = np.array([0.5, 1.5, 2.5, -0.5, 1.2], "float32")
    np.testing.assert_array_equal(_np(tf.math.rint(v)), np.rint(v))
    with pytest.raises(InvalidArgumentError):
        tf.math.rint(np.array([1, 2]))
    one = np.array([1.0], "float32")
    assert _np(tf.math.nextafter(one, np.array([2.0], "float32")))[0] == np.nextafter(
        np.float32(1), np.float32(2))
    out = tf.math.xlog1py(np.array([0.0, 2.0], "float32"), np.array([-1.0, 1.0], "float32"))
    np.testing.assert_allclose(_np(out), [0.0, 2 * np.log(2.0)], rtol=1e-6)
    check_gradients(tf.math.xlog1py, [np.array([0.5, 2.0]), np.array([0.3, 1.0])])


def test_truncatediv_and_truncatemod():
    a, b = np.array([-7, 7, 6], "int32"), np.array([2, -2, 4], "int32")
    want = np.trunc(a / b).astype("int32")
    got = tf.truncatediv(a, b)
    assert got.dtype == np.int32 and _np(got).tolist() == want.tolist()
    assert _np(tf.truncatemod(a, b)).tolist() == np.fmod(a, b).tolist()
    assert _np(tf.truncatediv(np.array([-7.0], "float32"), np.array([2.0], "float32"))) == -3.0
    for fn in (tf.truncatediv, tf.truncatemod):
        with pytest.raises(InvalidArgumentError, match="division by zero"):
            fn(a, np.array([1, 0, 1], "int32"))


def test_cumulative_logsumexp():
    x = np.array([1.0, 2.0, 3.0], "float32")
    ref = np.log(np.cumsum(np.exp(x.astype("float64"))))
    np.testing.assert_allclose(_np(tf.math.cumulative_logsumexp(x)), ref, rtol=1e-6)
    np.testing.assert_allclose(_np(tf.math.cumulative_logsumexp(x, exclusive=True)),
                               np.r_[-np.inf, ref[:-1]], rtol=1e-6)
    rev = np.log(np.cumsum(np.exp(x[::-1].astype("float64"))))[::-1]
    np.testing.assert_allclose(
        _np(tf.math.cumulative_logsumexp(x, exclusive=True, reverse=True)),
        np.r_[rev[1:], -np.inf], rtol=1e-6)
    m = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(_np(tf.math.cumulative_logsumexp(m, axis=1)),
                               np.log(np.cumsum(np.exp(m.astype("float64")), axis=1)), rtol=1e-6)
    check_gradients(lambda t: tf.math.cumulative_logsumexp(t, axis=1, reverse=True),
                    [m.astype("float64")])
    with pytest.raises(InvalidArgumentError):
        tf.math.cumulative_logsumexp(np.array([1, 2]))


def test_invert_permutation_and_orderings():
    p = np.array([3, 4, 0, 2, 1], "int32")
    inv = tf.math.invert_permutation(p)
    assert inv.dtype == np.int32 and _np(inv).tolist() == np.argsort(p).tolist()
    with pytest.raises(InvalidArgumentError, match="not a permutation"):
        tf.math.invert_permutation([3, 3, 0])
    with pytest.raises(InvalidArgumentError, match="integer"):
        tf.math.invert_permutation([1.0, 0.0])
    assert bool(tf.math.is_non_decreasing([1, 1, 2]))
    assert not bool(tf.math.is_strictly_increasing([[1, 2], [3, 3]]))
    assert bool(tf.math.is_strictly_increasing([[1, 2], [3, 4]]))
    assert not bool(tf.math.is_non_decreasing([2.0, 1.0]))
    assert tf.math.is_non_decreasing([1]).dtype == np.bool_


def test_unique_with_counts():
    y, idx, count = tf.unique_with_counts([3, 1, 3, 2, 1, 3])
    assert _np(y).tolist() == [3, 1, 2] and _np(idx).tolist() == [0, 1, 0, 2, 1, 0]
    assert _np(count).tolist() == [3, 2, 1] and count.dtype == np.int32
    out = tf.unique_with_counts(np.array([3.0, 1.0], "float32"), out_idx=tf.int64)
    assert out.idx.dtype == np.int64 and out.count.dtype == np.int64


def test_unravel_index():
    out = tf.unravel_index([5, 7], [2, 4])
    assert out.dtype == np.int32
    assert _np(out).tolist() == np.stack(np.unravel_index([5, 7], (2, 4))).tolist()
    assert _np(tf.unravel_index(5, [2, 4])).tolist() == [1, 1]
    assert tf.unravel_index(np.array([5], "int64"), np.array([2, 4], "int64")).dtype == np.int64
    with pytest.raises(InvalidArgumentError, match="out of bounds"):
        tf.unravel_index([9], [2, 4])
    with pytest.raises(InvalidArgumentError, match="integer"):
        tf.unravel_index([1.0], [2, 4])


def test_histograms():
    v = np.array([0.0, 0.1, 0.5, 0.99, 1.0, 2.0, -1.0], "float32")
    bins = np.clip(np.floor(v.astype("float64") * 4), 0, 3).astype(int)
    got_bins = tf.histogram_fixed_width_bins(v, [0.0, 1.0], nbins=4)
    assert got_bins.dtype == np.int32 and _np(got_bins).tolist() == bins.tolist()
    hist = tf.histogram_fixed_width(v, [0.0, 1.0], nbins=4, dtype=tf.int64)
    assert hist.dtype == np.int64 and _np(hist).tolist() == np.bincount(bins, minlength=4).tolist()
    with pytest.raises(InvalidArgumentError, match="nbins"):
        tf.histogram_fixed_width(v, [0.0, 1.0], nbins=0)
    with pytest.raises(InvalidArgumentError, match="value_range"):
        tf.histogram_fixed_width_bins(v, [1.0, 1.0])


def test_accumulate_n_and_approx_k():
    a, b = np.array([1.0, 2.0], "float32"), np.array([3.0, 4.0], "float32")
    np.testing.assert_array_equal(_np(tf.math.accumulate_n([a, b])), a + b)
    m = np.array([[1.0, 5.0, 3.0], [0.0, -1.0, 2.0]], "float32")
    values, indices = tf.math.approx_max_k(m, 2)
    order = np.argsort(-m, axis=1)[:, :2]
    assert _np(indices).tolist() == order.tolist()
    np.testing.assert_array_equal(_np(values), np.take_along_axis(m, order, 1))
    values, indices = tf.math.approx_min_k(m, 2, reduction_dimension=0)
    order = np.argsort(m, axis=0)[:2]
    assert _np(indices).tolist() == order.tolist()
    np.testing.assert_array_equal(_np(values), np.take_along_axis(m, order, 0))
    with pytest.raises(InvalidArgumentError, match="k must be in"):
        tf.math.approx_max_k(m, 4)
    check_gradients(lambda t: tf.math.approx_min_k(t, 1)[0], [m.astype("float64")])


def test_unsorted_segment_sqrt_n():
    data = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    ids = np.array([0, 0, 2, 0])
    out = tf.math.unsorted_segment_sqrt_n(data, ids, 3)
    np.testing.assert_allclose(_np(out), [7 / np.sqrt(3), 0.0, 3.0], rtol=1e-6)
    rows = np.arange(6, dtype="float32").reshape(3, 2)
    out = tf.math.unsorted_segment_sqrt_n(rows, [1, 1, 0], 2)
    np.testing.assert_allclose(_np(out), [rows[2], (rows[0] + rows[1]) / np.sqrt(2)], rtol=1e-6)
    check_gradients(lambda d: tf.math.unsorted_segment_sqrt_n(d, ids, 3),
                    [data.astype("float64")])
    with pytest.raises(InvalidArgumentError):
        tf.math.unsorted_segment_sqrt_n(np.array([1, 2]), [0, 0], 3)


def test_repeat_and_slice():
    assert _np(tf.repeat([1, 2], [2, 3])).tolist() == np.repeat([1, 2], [2, 3]).tolist()
    m = np.array([[1, 2], [3, 4]])
    assert _np(tf.repeat(m, 2, axis=1)).tolist() == np.repeat(m, 2, axis=1).tolist()
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.repeat([1, 2], [-1, 1])
    check_gradients(lambda x: tf.repeat(x, [1, 3], axis=0), [np.array([[0.5, 1.0], [2.0, 3.0]])])
    t = np.array([[1, 2, 3], [4, 5, 6]])
    assert _np(tf.slice(t, [0, 1], [-1, 2])).tolist() == t[:, 1:3].tolist()
    assert _np(tf.slice(t, [1, 0], [1, 1])).tolist() == [[4]]
    with pytest.raises(InvalidArgumentError, match="expected size\\[0\\]"):
        tf.slice(t, [0, 1], [3, 2])
    with pytest.raises(InvalidArgumentError, match="2 entries"):
        tf.slice(t, [0], [1])
    check_gradients(lambda x: tf.slice(x, [0, 1], [2, 1]), [t.astype("float64")])


def test_reverse_sequence():
    x = np.arange(12).reshape(3, 4)
    want = np.array([np.r_[row[:n][::-1], row[n:]] for row, n in zip(x, [1, 2, 4])])
    out = tf.reverse_sequence(x, [1, 2, 4], seq_axis=1, batch_axis=0)
    assert out.dtype == x.dtype and _np(out).tolist() == want.tolist()
    assert _np(tf.reverse_sequence(x.T, [1, 2, 4], seq_axis=0, batch_axis=1)).tolist() == \
        want.T.tolist()
    cube = np.arange(24, dtype="float64").reshape(2, 3, 4)
    out = tf.reverse_sequence(cube, [3, 1], seq_axis=1)
    np.testing.assert_array_equal(_np(out)[0], cube[0, ::-1])
    np.testing.assert_array_equal(_np(out)[1], cube[1])
    check_gradients(lambda t: tf.reverse_sequence(t, [3, 2], seq_axis=1) * np.arange(4.0),
                    [cube[:, 0]])
    with pytest.raises(InvalidArgumentError, match="must be in \\[0, 4\\]"):
        tf.reverse_sequence(x, [1, 2, 5], seq_axis=1)
    with pytest.raises(InvalidArgumentError, match="length of seq_lengths"):
        tf.reverse_sequence(x, [1, 2], seq_axis=1)
    with pytest.raises(InvalidArgumentError, match="must differ"):
        tf.reverse_sequence(x, [1, 2, 3], seq_axis=0)
    with pytest.raises(ValueError, match="seq_axis must be given"):
        tf.reverse_sequence(x, [1, 2, 3])


def test_dynamic_partition_and_stitch():
    data = np.arange(5, dtype="float32") * 10
    parts = [0, 1, 0, 2, 1]
    out = tf.dynamic_partition(data, parts, 3)
    assert [_np(o).tolist() for o in out] == [[0.0, 20.0], [10.0, 40.0], [30.0]]
    m = np.arange(12).reshape(3, 4)
    rows = tf.dynamic_partition(m, [1, 0, 1], 2)
    assert _np(rows[0]).tolist() == [m[1].tolist()] and _np(rows[1]).tolist() == m[[0, 2]].tolist()
    # stitching the partitions with the positions they came from gives the data back
    positions = tf.dynamic_partition(np.arange(5, dtype="int32"), parts, 3)
    np.testing.assert_array_equal(_np(tf.dynamic_stitch(positions, out)), data)
    merged = tf.dynamic_stitch([[0, 2], [1, 2]], [[10.0, 20.0], [30.0, 40.0]])
    assert _np(merged).tolist() == [10.0, 30.0, 40.0]  # a later entry wins
    gaps = tf.dynamic_stitch([6, [4, 1]], [[61, 62], [[41, 42], [11, 12]]])
    want = np.zeros((7, 2), int)
    want[6], want[4], want[1] = [61, 62], [41, 42], [11, 12]
    assert _np(gaps).tolist() == want.tolist()
    check_gradients(lambda d: tf.dynamic_partition(d, parts, 3)[1] * 2.0,
                    [data.astype("float64")])
    check_gradients(lambda a, b: tf.dynamic_stitch([[0, 2], [1, 2]], [a, b]),
                    [np.array([1.0, 2.0]), np.array([3.0, 4.0])])


def test_dynamic_partition_and_stitch_errors():
    with pytest.raises(InvalidArgumentError, match="must be in \\[0, 3\\)"):
        tf.dynamic_partition(np.arange(5.0), [0, 1, 0, 3, 1], 3)
    with pytest.raises(InvalidArgumentError, match="prefix"):
        tf.dynamic_partition(np.arange(5.0), [0, 1], 2)
    with pytest.raises(InvalidArgumentError, match="integers"):
        tf.dynamic_partition(np.arange(2.0), [0.0, 1.0], 2)
    with pytest.raises(InvalidArgumentError, match="one length"):
        tf.dynamic_stitch([[0]], [[1.0], [2.0]])
    with pytest.raises(InvalidArgumentError, match="must agree"):
        tf.dynamic_stitch([[0], [1]], [[[1.0]], [[1.0, 2.0]]])
    with pytest.raises(InvalidArgumentError, match="non-negative"):
        tf.dynamic_stitch([[-1]], [[1.0]])


# -- gamma functions ------------------------------------------------------------------------------
G = np.array([0.5, 1.0, 3.7, -2.5, 1e-3, 20.0, 150.0, -0.3, 7.25], "float32")


def _digamma_reference(v):
    h = 1e-6 * max(1.0, abs(v))  # central difference of math.lgamma (double precision)
    return (math.lgamma(v + h) - math.lgamma(v - h)) / (2 * h)


def test_lgamma_and_digamma_values():
    out = tf.math.lgamma(G)
    assert out.dtype == np.float32
    want = [math.lgamma(float(v)) for v in G]
    np.testing.assert_allclose(_np(out), want, rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(_np(tf.math.lgamma(G.astype("float64"))), want, rtol=1e-12,
                               atol=1e-12)
    dig = tf.math.digamma(G.astype("float64"))
    np.testing.assert_allclose(_np(dig), [_digamma_reference(float(v)) for v in G], rtol=1e-6)
    assert tf.math.digamma(G).dtype == np.float32
    poles = np.array([0.0, -1.0, -3.0], "float32")  # inf and NaN, as TensorFlow
    assert np.isposinf(_np(tf.math.lgamma(poles))).all()
    assert np.isnan(_np(tf.math.digamma(poles))).all()
    for fn in (tf.math.lgamma, tf.math.digamma, tf.math.lbeta):
        with pytest.raises(InvalidArgumentError):
            fn(np.array([1, 2]))


def test_lgamma_gradient_is_digamma():
    check_gradients(tf.math.lgamma, [G.astype("float64")], tolerance=1e-5)
    check_gradients(tf.math.digamma, [G[G > 0].astype("float64")], tolerance=1e-4)
    x = tf.Variable(G)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.math.lgamma(x))
    np.testing.assert_allclose(_np(tape.gradient(y, x)), _np(tf.math.digamma(G)), rtol=1e-5)


def test_lbeta():
    x = np.array([[1.0, 2.0], [0.5, 0.5], [3.0, 4.5]], "float32")
    want = [sum(math.lgamma(v) for v in row) - math.lgamma(sum(row)) for row in x.tolist()]
    np.testing.assert_allclose(_np(tf.math.lbeta(x)), want, rtol=1e-6, atol=1e-6)
    assert float(tf.math.lbeta(np.array([3.0], "float32"))) == 0.0
    assert np.isneginf(_np(tf.math.lbeta(np.zeros((2, 0), "float32")))).all()
    check_gradients(tf.math.lbeta, [x.astype("float64")])
    with pytest.raises(InvalidArgumentError, match="rank >= 1"):
        tf.math.lbeta(np.float32(1.0))
