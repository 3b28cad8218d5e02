"""Segment reductions and scatters: values against NumPy loops, gradients against finite
differences (ties, zeros, dropped ids, repeated indices), dtypes and error messages."""

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand

REDUCE = {"sum": (ops.segment_sum, np.add, 0.0), "max": (ops.segment_max, np.maximum, -np.inf),
          "min": (ops.segment_min, np.minimum, np.inf), "prod": (ops.segment_prod, np.multiply,
                                                                 1.0)}


def _np(t):
    return np.asarray(t)


def _reference(kind, data, ids, n):
    _, ufunc, identity = REDUCE[kind]
    out = np.full((n,) + data.shape[1:], identity, dtype=data.dtype)
    for row, s in zip(data, ids):
        if 0 <= s < n:
            out[s] = ufunc(out[s], row)
    return out


@pytest.mark.parametrize("kind", sorted(REDUCE))
def test_segment_values(kind):
    op = REDUCE[kind][0]
    data = rand((6, 2, 3), seed=1).astype("float32")
    ids = np.array([2, 0, 2, 2, 5, 0])
    for n in (6, 4, None):  # 4 drops the rows of segment 5; None infers max + 1
        out = op(data, ids, num_segments=n)
        close(out, _reference(kind, data, ids, 6 if n is None else n))
        assert out.dtype == np.float32
    close(op(data, ids, 3, sorted=True), _reference(kind, data, ids, 3))


def test_segment_int_data_keeps_its_dtype_and_integer_identities():
    data = np.array([[1, 1], [2, 2], [3, 3]], "int8")
    ids = np.array([0, 1, 1])
    s = ops.segment_sum(data, ids, num_segments=2)
    assert s.dtype == np.int8 and _np(s).tolist() == [[1, 1], [5, 5]]
    mx = ops.segment_max(data, ids, num_segments=3)
    assert _np(mx)[2].tolist() == [-128, -128]
    assert _np(ops.segment_min(data, ids, num_segments=3))[2].tolist() == [127, 127]
    assert _np(ops.segment_prod([1, 2, 3], [0, 0, 2], num_segments=4)).tolist() == [2, 1, 3, 1]


def test_segment_negative_ids_are_dropped():
    out = ops.segment_sum(np.array([1.0, 2.0, 3.0], "float32"), np.array([0, -1, 1]),
                          num_segments=2)
    assert _np(out).tolist() == [1.0, 3.0]


def test_segment_errors():
    data = np.ones((3, 2), "float32")
    with pytest.raises(ValueError, match=r"segment_sum: segment_ids must be a 1-D vector, got "
                                         r"shape \(1, 3\)"):
        ops.segment_sum(data, np.array([[0, 1, 1]]), num_segments=2)
    with pytest.raises(ValueError, match=r"segment_max: segment_ids and data must have the same "
                                         r"leading dimension. Got \(2,\) and \(3, 2\)"):
        ops.segment_max(data, np.array([0, 1]), num_segments=2)
    with pytest.raises(TypeError, match="segment_min: segment_ids must be integers. Received "
                                        "float"):
        ops.segment_min(data, np.array([0.0, 1.0, 1.0]), num_segments=2)
    with pytest.raises(ValueError, match="segment_prod: num_segments must be >= 0"):
        ops.segment_prod(data, np.array([0, 1, 1]), num_segments=-1)
    with pytest.raises(ValueError, match="segment_sum: segment_ids and data must have the same"):
        ops.segment_sum(np.float32(1.0), np.array([0]))


@pytest.mark.parametrize("kind", sorted(REDUCE))
def test_segment_gradients(kind):
    op = REDUCE[kind][0]
    data = rand((7, 3), seed=2, away=0.1)
    ids = np.array([1, 0, 1, 2, 1, 0, 9])  # id 9 dropped (an empty max is -inf: no check)
    assert_grads(lambda d: op(d, ids, num_segments=3), data)


def test_segment_max_min_gradient_is_shared_among_ties():
    data = np.array([1.0, 3.0, 3.0, 2.0], "float32")
    ids = np.array([0, 0, 0, 1])
    weights = np.array([1.0, 2.0, 3.0], "float32")
    for op, expected in [(ops.segment_max, [0.0, 0.5, 0.5, 2.0]),
                         (ops.segment_min, [1.0, 0.0, 0.0, 2.0])]:
        x = ember.Variable(data)
        with ember.GradientTape() as tape:
            loss = ops.sum(op(x, ids, num_segments=3) * weights)
        close(tape.gradient(loss, x), expected)


def test_segment_prod_gradient_with_zeros():
    # no zero: prod / x; one zero: the others' product at the zero, 0 elsewhere; two: all 0
    data = np.array([2.0, 3.0, 0.0, 4.0, 5.0, 0.0, 0.0, 7.0])
    ids = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    x = ember.Variable(data)
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.segment_prod(x, ids, num_segments=3))
    close(tape.gradient(loss, x), [3.0, 2.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert_grads(lambda d: ops.segment_prod(d, ids, num_segments=3), data + 0.5)


def test_segment_gradients_float32_and_second_derivative():
    data = rand((5, 2), seed=3)
    ids = np.array([0, 1, 0, 1, 1])
    float32_run(lambda d: ops.segment_sum(d, ids, num_segments=2), data)
    float32_run(lambda d: ops.segment_max(d, ids, num_segments=2), data)
    x = ember.Variable(data)
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            y = ops.sum(ops.segment_sum(x * x, ids, num_segments=2) ** 2)
        g = inner.gradient(y, x)
    h = outer.gradient(g, x)
    # d/dx of 4 x S(x) summed, S the segment's sum of squares: 4 S + 8 x * (sum of its x)
    seg_sq = np.array([np.sum(data[ids == s] ** 2, axis=0) for s in range(2)])
    seg_x = np.array([np.sum(data[ids == s], axis=0) for s in range(2)])
    close(h, 4 * seg_sq[ids] + 8 * data * seg_x[ids], rtol=1e-5)


def test_segment_prod_has_no_second_derivative_and_says_so():
    x = ember.Variable(np.array([1.0, 2.0, 3.0]))
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            y = ops.sum(ops.segment_prod(x, np.array([0, 0, 1]), num_segments=2))
        g = inner.gradient(y, x)
    close(g, [2.0, 1.0, 1.0])
    with pytest.raises(NotImplementedError, match="second derivatives of op SegmentReduce"):
        outer.gradient(g, x)


# -- tf.math uses the same engine -------------------------------------------------------------
def test_tf_math_segments_share_the_engine():
    import ember as tf

    data = np.array([[1.0, 4.0], [2.0, 8.0]], "float32")
    ids = np.array([[0, 1], [1, 1]])  # TF allows ids over several leading dims
    out = tf.math.unsorted_segment_max(data, ids, 3)
    assert _np(out).tolist() == [1.0, 8.0, np.finfo("float32").min]  # TF's empty value
    x = ember.Variable(data)
    with ember.GradientTape() as tape:
        loss = ops.sum(tf.math.unsorted_segment_max(x, ids, 2))
    close(tape.gradient(loss, x), [[1.0, 0.0], [0.0, 1.0]])


# -- scatter --------------------------------------------------------------------------------------
def test_scatter_adds_repeated_indices_into_zeros():
    out = ops.scatter(np.array([[0, 1], [1, 1], [0, 1]]), np.array([1.0, 2.0, 3.0], "float32"),
                      (2, 2))
    assert _np(out).tolist() == [[0.0, 4.0], [0.0, 2.0]] and out.dtype == np.float32
    rows = ops.scatter([[0], [2]], np.array([[1, 2], [3, 4]], "int32"), (3, 2))
    assert _np(rows).tolist() == [[1, 2], [0, 0], [3, 4]] and rows.dtype == np.int32
    batched = ops.scatter(np.array([[[0], [1]], [[1], [1]]]), np.ones((2, 2), "float32"), (3,))
    assert _np(batched).tolist() == [1.0, 3.0, 0.0]
    assert _np(ops.scatter([[-1], [5]], np.array([1.0, 9.0], "float32"), [3])).tolist() == \
        [0.0, 0.0, 1.0]  # negative indices count from the end; out-of-range ones are dropped


def test_scatter_errors():
    with pytest.raises(TypeError, match="scatter: indices must be integers"):
        ops.scatter(np.array([[0.5]]), np.ones(1), (2,))
    with pytest.raises(ValueError, match=r"scatter: indices of depth 3 .* index into a shape of "
                                         r"rank 2"):
        ops.scatter(np.array([[0, 0, 0]]), np.ones(1), (2, 2))
    with pytest.raises(ValueError, match=r"scatter: values must have shape \(2, 2\) "):
        ops.scatter(np.array([[0], [1]]), np.ones((2, 3)), (2, 2))
    with pytest.raises(ValueError, match="scatter: indices must have at least one dimension"):
        ops.scatter(np.int32(0), np.ones(1), (2,))


def test_scatter_gradient():
    idx = np.array([[0, 1], [2, 0], [0, 1]])
    assert_grads(lambda v: ops.scatter(idx, v, (3, 2)), rand((3,), seed=4))
    assert_grads(lambda v: ops.scatter(idx[:, :1], v, (3, 2)), rand((3, 2), seed=5))


# -- scatter_update -------------------------------------------------------------------------------
def _reference_update(inputs, indices, updates, reduction):
    out = inputs.copy()
    for index, u in zip(indices, updates):
        key = tuple(index)
        if reduction is None:
            out[key] = u
        elif reduction == "add":
            out[key] = out[key] + u
        elif reduction == "max":
            out[key] = np.maximum(out[key], u)
        elif reduction == "min":
            out[key] = np.minimum(out[key], u)
        else:
            out[key] = out[key] * u
    return out


@pytest.mark.parametrize("reduction", [None, "add", "max", "min", "mul", "ADD"])
def test_scatter_update_values(reduction):
    inputs = rand((4, 3), seed=6).astype("float32")
    indices = np.array([[1], [3], [1]])
    updates = rand((3, 3), seed=7).astype("float32")
    out = ops.scatter_update(inputs, indices, updates, reduction=reduction)
    close(out, _reference_update(inputs, indices, updates, reduction and reduction.lower()))
    assert out.dtype == np.float32
    point = ops.scatter_update(inputs, np.array([[0, 2], [3, 1]]), np.array([7.0, 8.0]),
                               reduction=reduction)
    close(point, _reference_update(inputs, [(0, 2), (3, 1)], [7.0, 8.0],
                                   reduction and reduction.lower()))


def test_scatter_update_keeps_inputs_dtype_and_broadcasts_updates():
    out = ops.scatter_update(np.zeros(3, "int32"), [[0], [2]], np.array([1.5, 2.5]))
    assert out.dtype == np.int32 and _np(out).tolist() == [1, 0, 2]
    out = ops.scatter_update(np.zeros((3, 2), "float32"), [[0], [2]], 5.0)
    assert _np(out).tolist() == [[5.0, 5.0], [0.0, 0.0], [5.0, 5.0]]
    inputs = np.arange(3.0)
    ops.scatter_update(inputs, [[0]], [9.0])
    assert inputs.tolist() == [0.0, 1.0, 2.0]  # never written in place


def test_scatter_update_errors():
    with pytest.raises(ValueError, match="Invalid reduction: foo. Supported values are: None, "
                                         "'add', 'max', 'min', 'mul'."):
        ops.scatter_update(np.zeros(3), [[0]], np.ones(1), reduction="foo")
    with pytest.raises(ValueError, match=r"scatter_update: updates must have shape \(2,\) "):
        ops.scatter_update(np.zeros(3), [[0], [2]], np.ones(3))
    with pytest.raises(TypeError, match="scatter_update: indices must be integers"):
        ops.scatter_update(np.zeros(3), [[0.0]], np.ones(1))


def test_scatter_update_gradient_last_write_wins():
    inputs = ember.Variable(np.array([1.0, 5.0, 2.0, 0.0], "float32"))
    updates = ember.Variable(np.array([4.0, 6.0, 1.0], "float32"))
    weights = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    with ember.GradientTape() as tape:
        out = ops.scatter_update(inputs, [[1], [1], [2]], updates)
        loss = ops.sum(out * weights)
    gi, gu = tape.gradient(loss, [inputs, updates])
    assert _np(out).tolist() == [1.0, 6.0, 1.0, 0.0]
    close(gi, [1.0, 0.0, 0.0, 4.0])
    close(gu, [0.0, 2.0, 3.0])  # the overwritten update gets nothing


@pytest.mark.parametrize("reduction", [None, "add", "max", "min", "mul"])
def test_scatter_update_gradients(reduction):
    indices = np.array([[1, 0], [3, 2], [1, 0], [5, 9]])  # a repeat, and one out of range
    inputs = rand((4, 3), seed=8, away=0.05)
    updates = rand((4,), seed=9, away=0.05)
    assert_grads(lambda a, u: ops.scatter_update(a, indices, u, reduction=reduction),
                 inputs, updates)


def test_scatter_update_second_derivative():
    x = ember.Variable(np.array([1.0, 2.0, 3.0]))
    u = ember.Variable(np.array([4.0]))
    with ember.GradientTape(persistent=True) as outer:
        with ember.GradientTape() as inner:
            y = ops.sum(ops.scatter_update(x, [[1]], u * u) ** 2)
        gx, gu = inner.gradient(y, [x, u])
    close(gx, [2.0, 0.0, 6.0])
    close(gu, 4 * 4.0 ** 3)
    close(outer.gradient(gu, u), 12 * 4.0 ** 2)
    close(outer.gradient(gx, x), [2.0, 0.0, 2.0])
