"""TensorFlow's top-level ops through ``import ember as tf`` (ember.tf.array_ops, ember.tf.math):
values against NumPy references, dtypes and error types as TensorFlow 2.21 gives them
(observed with TF 2.21 on CPU), gradients against finite differences."""

import io

import numpy as np
import pytest

import ember as tf
from ember import check_gradients

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float32")


def _np(t):
    return np.asarray(t)


def _grad_ok(fn, *arrays):
    report = check_gradients(fn, list(arrays), tolerance=1e-5)
    assert max(report.values()) < 1e-5, report


# -- namespace wiring ----------------------------------------------------------------------------
def test_import_ember_as_tf_reaches_the_tf_namespace():
    import ember
    import ember.tf as etf

    assert ember.tf is etf
    assert tf.constant is etf.constant and tf.reduce_sum is etf.reduce_sum
    assert tf.keras is ember and tf.keras.layers.Dense is ember.layers.Dense
    assert tf.math.reduce_sum is tf.reduce_sum and tf.nn.relu is etf.nn.relu
    assert "constant" in dir(ember) and "reduce_mean" in dir(etf)
    with pytest.raises(AttributeError, match="no attribute 'no_such_op'"):
        _ = tf.no_such_op


def test_keras_names_keep_keras_semantics():
    # keras.ops.shape is a tuple; tf.shape a 1-D int32 tensor (TF: [2 3] int32)
    assert tf.ops.shape(X) == (2, 3)
    s = tf.shape(X)
    assert s.dtype == np.int32 and _np(s).tolist() == [2, 3]
    assert _np(tf.shape(X, out_type=tf.int64)).dtype == np.int64


# -- creation ------------------------------------------------------------------------------------
def test_constant_python_types_as_tensorflow():
    # TF: 5 -> int32, 2**40 -> int64, 5. -> float32, np.float64 scalar -> float64, True -> bool
    assert tf.constant(5).dtype == np.int32
    assert tf.constant(2**40).dtype == np.int64
    assert tf.constant(5.0).dtype == np.float32
    assert tf.constant([1, 2]).dtype == np.int32
    assert tf.constant(np.float64(1)).dtype == np.float64
    assert tf.constant(np.array([1.0])).dtype == np.float64
    assert tf.constant(True).dtype == np.bool_
    assert tf.constant("a").dtype == tf.string and _np(tf.constant("a")).item() == b"a"


def test_constant_shape_and_dtype():
    t = tf.constant(1, shape=(2, 3))
    assert _np(t).tolist() == np.ones((2, 3), int).tolist() and t.dtype == np.int32
    assert _np(tf.constant([1, 2, 3, 4], shape=[2, 2])).tolist() == [[1, 2], [3, 4]]
    assert tf.constant([1, 2], dtype=tf.float32).dtype == np.float32
    with pytest.raises(TypeError, match="3 elements, but got `shape` \\(2, 2\\) with 4"):
        tf.constant([1, 2, 3], shape=[2, 2])
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.constant(1.5, dtype=tf.int32)


def test_convert_to_tensor():
    assert tf.convert_to_tensor([1, 2]).dtype == np.int32
    assert tf.convert_to_tensor([1, 2], dtype_hint=tf.float32).dtype == np.float32
    assert tf.convert_to_tensor(np.array([1, 2]), dtype_hint=tf.float32).dtype == np.int64
    x = tf.constant([1.0])
    assert tf.convert_to_tensor(x) is x


def test_range_linspace_fill_eye():
    r = tf.range(5)
    assert _np(r).tolist() == list(range(5)) and r.dtype == np.int32
    assert _np(tf.range(3, 8, 2)).tolist() == [3, 5, 7]
    f = tf.range(0, 3, 0.5)
    assert f.dtype == np.float32 and np.allclose(_np(f), np.arange(0, 3, 0.5))
    assert tf.range(3, dtype=tf.float32).dtype == np.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="Requires delta != 0"):
        tf.range(0, 5, 0)
    ls = tf.linspace(0.0, 1.0, 5)
    assert ls.dtype == np.float32 and np.allclose(_np(ls), np.linspace(0, 1, 5))
    assert tf.linspace(0, 1, 3).dtype == np.float64  # TF: Python ints give float64
    assert _np(tf.fill([2, 2], 7)).tolist() == [[7, 7], [7, 7]]
    assert tf.fill([2], 7).dtype == np.int32
    assert tf.fill([2], 1.5).dtype == np.float32
    assert np.array_equal(_np(tf.eye(2, 3)), np.eye(2, 3)) and tf.eye(2).dtype == np.float32
    assert tf.eye(2, batch_shape=[3]).shape == (3, 2, 2)


def test_ones_zeros_and_likes():
    assert tf.ones([2]).dtype == np.float32 and tf.ones(3, tf.int32).dtype == np.int32
    assert tf.zeros([2, 1]).shape == (2, 1)
    assert tf.zeros_like([1, 2]).dtype == np.int32
    assert tf.ones_like(X, dtype=tf.int32).dtype == np.int32
    assert np.array_equal(_np(tf.ones_like(X)), np.ones_like(X))


def test_identity_passes_the_gradient():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.identity(x) * 3.0)
    assert _np(tape.gradient(y, x)).tolist() == [3.0, 3.0]


def test_one_hot():
    assert np.array_equal(_np(tf.one_hot([0, 2], 3)), np.eye(3)[[0, 2]])
    assert tf.one_hot([0, 2], 3).dtype == np.float32
    # TF: on/off values set the dtype; an out-of-range index gives all off_value
    t = tf.one_hot([0, -1], 3, on_value=5, off_value=1)
    assert _np(t).tolist() == [[5, 1, 1], [1, 1, 1]] and t.dtype == np.int32
    assert np.array_equal(_np(tf.one_hot([0, 2], 3, axis=0)), np.eye(3)[[0, 2]].T)
    with pytest.raises(TypeError, match="indices must be integers"):
        tf.one_hot([0.5], 3)


# -- shape ops -----------------------------------------------------------------------------------
def test_size_rank_reshape():
    assert _np(tf.size(X)) == 6 and tf.size(X).dtype == np.int32
    assert tf.size(X, out_type=tf.int64).dtype == np.int64
    assert _np(tf.rank(X)) == 2 and tf.rank(X).dtype == np.int32
    assert tf.reshape(X, [3, -1]).shape == (3, 2)
    assert tf.reshape(X, tf.constant([6])).shape == (6,)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="tensor with 6 values, but the requested shape has 4"):
        tf.reshape(X, [4])


def test_transpose_squeeze_expand_dims():
    assert tf.transpose(tf.zeros([2, 3, 4]), perm=[2, 0, 1]).shape == (4, 2, 3)
    assert np.array_equal(_np(tf.transpose(X)), X.T)
    assert tf.squeeze(tf.zeros([1, 2, 1]), axis=[0]).shape == (2, 1)
    assert tf.squeeze(tf.zeros([1, 2, 1])).shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Can not squeeze dim\\[1\\], expected a dimension of 1, got 2"):
        tf.squeeze(tf.zeros([1, 2, 1]), axis=1)
    assert _np(tf.expand_dims([1, 2], -1)).tolist() == [[1], [2]]
    assert tf.expand_dims(X, 0).shape == (1, 2, 3)


def test_concat_stack_unstack_split():
    assert np.array_equal(_np(tf.concat([X, X], -1)), np.concatenate([X, X], -1))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.concat([X, tf.zeros([1, 2])], 0)
    assert _np(tf.stack([[1, 2], [3, 4]], axis=1)).tolist() == [[1, 3], [2, 4]]
    parts = tf.unstack(X, axis=1)
    assert len(parts) == 3 and np.array_equal(_np(parts[1]), X[:, 1])
    a, b = tf.split(X, [1, 2], axis=1)
    assert np.array_equal(_np(a), X[:, :1]) and np.array_equal(_np(b), X[:, 1:])
    a, b = tf.split(X, [1, -1], axis=1)
    assert b.shape == (2, 2)
    assert [p.shape for p in tf.split(X, 3, axis=1)] == [(2, 1)] * 3
    with pytest.raises(tf.errors.InvalidArgumentError, match="evenly divide"):
        tf.split(X, 2, axis=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Determined shape"):
        tf.split(X, [1, 1], axis=1)


def test_tile_pad_reverse():
    assert _np(tf.tile([[1, 2]], [2, 2])).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="vector of length 1 but got "
                                                             "length 2"):
        tf.tile([1, 2], [2, 2])
    assert np.array_equal(_np(tf.pad(X, [[1, 0], [0, 1]])), np.pad(X, [[1, 0], [0, 1]]))
    # TF: REFLECT [1 2 3] by [2, 1] -> [3 2 1 2 3 2]; SYMMETRIC -> [2 1 1 2 3 3]
    assert _np(tf.pad([1, 2, 3], [[2, 1]], mode="REFLECT")).tolist() == [3, 2, 1, 2, 3, 2]
    assert _np(tf.pad([1, 2, 3], [[2, 1]], mode="symmetric")).tolist() == [2, 1, 1, 2, 3, 3]
    assert _np(tf.pad([1, 2], [[1, 1]], constant_values=9)).tolist() == [9, 1, 2, 9]
    with pytest.raises(ValueError, match="mode"):
        tf.pad([1, 2], [[1, 1]], mode="EDGE")
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank of inputs"):
        tf.pad(X, [[1, 1]])
    assert np.array_equal(_np(tf.reverse(X, [1])), X[:, ::-1])


# -- gather and scatter --------------------------------------------------------------------------
def test_gather():
    assert np.array_equal(_np(tf.gather(X, [1, 0])), X[[1, 0]])
    assert np.array_equal(_np(tf.gather(X, [2, 0], axis=1)), X[:, [2, 0]])
    # batch_dims=1: row i picks its own columns (TF: [[3], [4]])
    picked = tf.gather(X, [[2], [0]], axis=1, batch_dims=1)
    assert np.array_equal(_np(picked), np.take_along_axis(X, np.array([[2], [0]]), 1))
    with pytest.raises(tf.errors.InvalidArgumentError, match="5 is not in \\[0, 2\\)"):
        tf.gather(X, [5])


def test_gather_batch_dims_with_a_later_axis():
    p = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    idx = np.array([[1, 0], [3, 3]])
    out = tf.gather(p, idx, axis=2, batch_dims=1)
    expected = np.stack([p[b][:, idx[b]] for b in range(2)])
    assert out.shape == (2, 3, 2) and np.array_equal(_np(out), expected)


def test_gather_nd():
    assert _np(tf.gather_nd(X, [[0, 1], [1, 2]])).tolist() == [2.0, 6.0]
    assert np.array_equal(_np(tf.gather_nd(X, [[1]])), X[[1]])
    assert _np(tf.gather_nd(X, [[1], [0]], batch_dims=1)).tolist() == [2.0, 4.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="does not index into param"):
        tf.gather_nd(X, [[2, 0]])


def test_scatter_updates_and_adds():
    out = tf.tensor_scatter_nd_update(X, [[0, 0], [1, 1]], [9.0, 8.0])
    expected = X.copy()
    expected[0, 0], expected[1, 1] = 9, 8
    assert np.array_equal(_np(out), expected)
    out = tf.tensor_scatter_nd_add(X, [[0, 0], [0, 0]], [1.0, 1.0])  # duplicates accumulate
    assert _np(out)[0, 0] == X[0, 0] + 2
    rows = tf.tensor_scatter_nd_update(X, [[1]], [[0.0, 0.0, 0.0]])
    assert _np(rows)[1].tolist() == [0, 0, 0] and np.array_equal(_np(rows)[0], X[0])
    assert _np(tf.tensor_scatter_nd_sub(X, [[0, 0]], [1.0]))[0, 0] == X[0, 0] - 1
    assert _np(tf.tensor_scatter_nd_max(X, [[0, 0]], [7.0]))[0, 0] == 7
    assert _np(tf.tensor_scatter_nd_min(X, [[0, 0]], [7.0]))[0, 0] == X[0, 0]
    assert _np(tf.scatter_nd([[1], [3]], [5, 6], [4])).tolist() == [0, 5, 0, 6]
    with pytest.raises(tf.errors.InvalidArgumentError, match="updates must have shape"):
        tf.tensor_scatter_nd_update(X, [[0, 0]], [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 tensor but is a float32"):
        tf.tensor_scatter_nd_update(tf.constant([1, 2]), [[0]], tf.constant([1.5]))


@pytest.mark.parametrize("op", ["tensor_scatter_nd_update", "tensor_scatter_nd_add",
                                "tensor_scatter_nd_sub"])
def test_scatter_gradients(op):
    rng = np.random.default_rng(0)
    t, u = rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    idx = np.array([[2], [0]])
    _grad_ok(lambda a, b: getattr(tf, op)(a, idx, b), t, u)


def test_gather_and_gather_nd_gradients():
    rng = np.random.default_rng(1)
    p = rng.normal(size=(2, 3, 4))
    _grad_ok(lambda a: tf.gather(a, np.array([[1, 1], [3, 0]]), axis=2, batch_dims=1), p)
    _grad_ok(lambda a: tf.gather_nd(a, np.array([[0, 1], [1, 2], [0, 1]])), p)


def test_boolean_mask():
    assert np.array_equal(_np(tf.boolean_mask(X, [True, False])), X[[True, False]])
    mask = np.array([[True, False, True], [False, False, True]])
    assert np.array_equal(_np(tf.boolean_mask(X, mask)), X[mask])
    assert np.array_equal(_np(tf.boolean_mask(X, [True, False, True], axis=1)), X[:, [0, 2]])
    with pytest.raises(ValueError, match="incompatible"):
        tf.boolean_mask(X, [True, False, True])
    with pytest.raises(TypeError, match="mask must be bool"):
        tf.boolean_mask(X, [1, 0])
    _grad_ok(lambda a: tf.boolean_mask(a, mask), X.astype("float64"))


def test_where():
    w = tf.where([True, False, True])
    assert _np(w).tolist() == [[0], [2]] and w.dtype == np.int64  # TF: int64 [count, rank]
    assert _np(tf.where([[True, False], [False, True]])).tolist() == [[0, 0], [1, 1]]
    assert _np(tf.where([True, False], [1, 2], [3, 4])).tolist() == [1, 4]
    with pytest.raises(ValueError, match="both be given"):
        tf.where([True], [1])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.where([True], tf.constant([1]), tf.constant([1.0]))


# -- clipping ------------------------------------------------------------------------------------
def test_clip_by_value():
    assert np.array_equal(_np(tf.clip_by_value(X, 2, 5)), np.clip(X, 2, 5))
    c = tf.clip_by_value([1, 5, 9], 2, 6)
    assert _np(c).tolist() == [2, 5, 6] and c.dtype == np.int32
    with pytest.raises(TypeError, match="float bounds"):
        tf.clip_by_value(tf.constant([1, 2]), 0.5, 1)


def test_clip_by_norm():
    norm = np.sqrt((X ** 2).sum())
    assert np.allclose(_np(tf.clip_by_norm(X, 2.0)), X * 2.0 / norm, rtol=1e-6)
    assert np.array_equal(_np(tf.clip_by_norm(X, 100.0)), X)  # inside the limit: unchanged
    row = np.sqrt((X ** 2).sum(1, keepdims=True))
    assert np.allclose(_np(tf.clip_by_norm(X, 2.0, axes=[1])), X * 2.0 / row, rtol=1e-6)
    _grad_ok(lambda a: tf.clip_by_norm(a, 2.0), X.astype("float64"))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.clip_by_norm([1, 2], 1.0)


def test_clip_by_global_norm():
    b = np.array([3.0, 4.0], dtype="float32")
    clipped, gnorm = tf.clip_by_global_norm([X, b, None], 5.0)
    expected = np.sqrt((X ** 2).sum() + (b ** 2).sum())
    assert np.isclose(float(gnorm), expected, rtol=1e-6)
    assert np.allclose(_np(clipped[0]), X * 5.0 / expected, rtol=1e-6)
    assert np.allclose(_np(clipped[1]), b * 5.0 / expected, rtol=1e-6)
    assert clipped[2] is None
    unchanged, _ = tf.clip_by_global_norm([b], 100.0)
    assert np.allclose(_np(unchanged[0]), b)
    nans, _ = tf.clip_by_global_norm([np.array([np.inf, 1.0], dtype="float32")], 1.0)
    assert np.isnan(_np(nans[0])).all()  # TF: an infinite global norm gives NaNs
    with pytest.raises(TypeError, match="sequence"):
        tf.clip_by_global_norm(X, 1.0)
    assert np.isclose(float(tf.linalg.global_norm([X, b])), expected)


# -- linear algebra ------------------------------------------------------------------------------
def test_matmul():
    assert np.allclose(_np(tf.matmul(X, X, transpose_a=True)), X.T @ X)
    assert np.allclose(_np(tf.matmul(X, X, transpose_b=True)), X @ X.T)
    m = tf.matmul([[1, 2]], [[3], [4]])
    assert _np(m).tolist() == [[11]] and m.dtype == np.int32
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Matrix size-incompatible: In\\[0\\]: \\[2, 3\\]"):
        tf.matmul(X, X)
    with pytest.raises(tf.errors.InvalidArgumentError, match="rank >= 2"):
        tf.matmul([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="float32 tensor but is a float64"):
        tf.matmul(X, X.T.astype("float64"))
    rng = np.random.default_rng(2)
    _grad_ok(lambda a, b: tf.matmul(a, b, transpose_a=True, transpose_b=True),
             rng.normal(size=(3, 2)), rng.normal(size=(4, 3)))


def test_tensordot_einsum_norm():
    assert np.allclose(_np(tf.tensordot(X, X, axes=[[1], [1]])), X @ X.T)
    assert np.allclose(_np(tf.einsum("ij,kj->ik", X, X)), X @ X.T)
    assert np.isclose(float(tf.norm(X)), np.linalg.norm(X))
    assert np.allclose(_np(tf.norm(X, axis=1)), np.linalg.norm(X, axis=1))
    assert np.allclose(_np(tf.norm(X, ord=1, axis=1)), np.abs(X).sum(1))
    assert np.isclose(float(tf.norm(X, ord="fro", axis=[0, 1])), np.linalg.norm(X))
    assert float(tf.norm([-3.0, 2.0], ord=np.inf)) == 3.0
    assert tf.norm(X, keepdims=True).shape == (1, 1)
    with pytest.raises(ValueError, match="ord"):
        tf.norm(X, ord="fro")
    with pytest.raises(ValueError, match="ord"):
        tf.norm(X, ord=-1)


# -- sorting and arg reductions ------------------------------------------------------------------
def test_sort_argsort_top_k():
    s = tf.sort([3, 1, 2], direction="DESCENDING")
    assert _np(s).tolist() == [3, 2, 1] and s.dtype == np.int32
    a = tf.argsort([3, 1, 2])
    assert _np(a).tolist() == [1, 2, 0] and a.dtype == np.int32
    assert _np(tf.argsort([3, 1, 2], direction="DESCENDING")).tolist() == [0, 2, 1]
    assert _np(tf.argsort([1, 1, 0], direction="DESCENDING")).tolist() == [0, 1, 2]  # stable
    with pytest.raises(ValueError, match="direction"):
        tf.sort([1], direction="UP")
    values, indices = tf.math.top_k([1.0, 5.0, 3.0], k=2)
    assert _np(values).tolist() == [5.0, 3.0] and _np(indices).tolist() == [1, 2]
    assert tf.math.top_k([1.0, 5.0], k=1).indices.dtype == np.int32
    _grad_ok(lambda a: tf.sort(a, direction="DESCENDING"), np.array([0.3, -1.0, 2.0]))


def test_argmax_argmin():
    a = tf.argmax(X)  # TF: axis 0 when None, int64
    assert _np(a).tolist() == [1, 1, 1] and a.dtype == np.int64
    b = tf.argmax(X, axis=1, output_type=tf.int32)
    assert _np(b).tolist() == [2, 2] and b.dtype == np.int32
    assert int(tf.argmin([3, 1, 2])) == 1


# -- reductions ----------------------------------------------------------------------------------
def test_reductions_keep_integer_dtypes():
    s = tf.reduce_sum([1, 2, 3])
    assert int(s) == 6 and s.dtype == np.int32
    m = tf.reduce_mean([1, 2])  # TF: integer mean truncates -> 1
    assert int(m) == 1 and m.dtype == np.int32
    assert int(tf.reduce_mean([-1, -2])) == -1  # toward zero, as C
    assert tf.reduce_mean([1, 2], keepdims=True).shape == (1,)
    p = tf.reduce_prod([1, 2, 3])
    assert int(p) == 6 and p.dtype == np.int32
    assert tf.reduce_max([1, 5]).dtype == np.int32


def test_float_reductions():
    assert np.isclose(float(tf.reduce_mean(X)), X.mean())
    assert np.allclose(_np(tf.reduce_sum(X, axis=0)), X.sum(0))
    assert np.allclose(_np(tf.reduce_max(X, axis=1, keepdims=True)), X.max(1, keepdims=True))
    assert np.allclose(_np(tf.reduce_min(X, axis=[0, 1])), X.min())
    assert np.isclose(float(tf.math.reduce_std(X)), X.std())
    assert np.allclose(_np(tf.math.reduce_variance(X, axis=0)), X.var(0))
    lse = np.log(np.exp(X).sum(1))
    assert np.allclose(_np(tf.reduce_logsumexp(X, axis=1)), lse)
    assert np.isclose(float(tf.math.reduce_euclidean_norm(X)), np.linalg.norm(X))
    assert float(tf.reduce_max(tf.zeros([0]))) == -np.inf  # TF: the identity of max


def test_reduction_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="bool"):
        tf.reduce_sum([True])
    with pytest.raises(TypeError, match="Cannot convert \\[1.0\\] to EagerTensor of dtype bool"):
        tf.reduce_all([1.0])
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be bool"):
        tf.reduce_any(tf.constant([1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32"):
        tf.math.reduce_std([1, 2])
    assert bool(tf.reduce_any([True, False])) and not bool(tf.reduce_all([True, False]))


def test_cumsum_and_cumprod():
    c = tf.cumsum([1, 2, 3])
    assert _np(c).tolist() == [1, 3, 6] and c.dtype == np.int32
    assert _np(tf.cumsum([1, 2, 3], exclusive=True, reverse=True)).tolist() == [5, 3, 0]
    assert _np(tf.cumsum([1, 2, 3], exclusive=True)).tolist() == [0, 1, 3]
    assert np.allclose(_np(tf.cumsum(X, axis=1)), np.cumsum(X, 1))
    assert _np(tf.math.cumprod([1, 2, 3])).tolist() == [1, 2, 6]
    assert _np(tf.math.cumprod([1, 2, 3], exclusive=True, reverse=True)).tolist() == [6, 3, 1]
    _grad_ok(lambda a: tf.cumsum(a, axis=1, exclusive=True, reverse=True),
             X.astype("float64"))


def test_reduction_gradients():
    x = np.random.default_rng(3).normal(size=(3, 4))
    _grad_ok(lambda a: tf.reduce_logsumexp(a, axis=1), x)
    _grad_ok(lambda a: tf.math.reduce_std(a, axis=0), x)
    _grad_ok(lambda a: tf.math.reduce_euclidean_norm(a, axis=1), x)


# -- elementwise math and TF's dtype rules -------------------------------------------------------
def test_binary_ops_do_not_promote():
    assert tf.add(tf.constant([1, 2]), 1).dtype == np.int32
    assert tf.multiply(X, 2).dtype == np.float32
    with pytest.raises(TypeError, match="Cannot convert 1.5 to EagerTensor of dtype int32"):
        tf.add(tf.constant([1, 2]), 1.5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="int32 tensor but is a float32"):
        tf.add(tf.constant([1, 2]), tf.constant([1.5, 2.0]))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.maximum(X, X.astype("float64"))
    assert int(tf.pow(2, 3)) == 8 and tf.pow(2, 3).dtype == np.int32


def test_division_rules():
    d = tf.divide(7, 2)  # TF: int32 / int32 -> float64
    assert float(d) == 3.5 and d.dtype == np.float64
    assert tf.math.truediv(np.int8(7), np.int8(2)).dtype == np.float32
    f = tf.math.floordiv([7.0, -7.0], 2.0)
    assert _np(f).tolist() == [3.0, -4.0]
    assert _np(tf.math.floormod([7, -7], 3)).tolist() == [1, 2]
    assert _np(tf.math.divide_no_nan([1.0, 2.0], [0.0, 4.0])).tolist() == [0.0, 0.5]
    assert _np(tf.math.squared_difference([1.0, 2.0], [3.0, 3.0])).tolist() == [4.0, 1.0]


def test_float_only_unary_ops_refuse_ints():
    for op in (tf.exp, tf.sqrt, tf.sigmoid, tf.math.log, tf.tanh):
        with pytest.raises(tf.errors.InvalidArgumentError, match="Value for attr 'T' of int32"):
            op(1)
    assert int(tf.square(3)) == 9 and tf.square(3).dtype == np.int32
    assert _np(tf.abs([-2, 3])).tolist() == [2, 3]


def test_unary_values():
    v = np.array([0.5, 1.5, 2.5, -0.5], dtype="float32")
    assert _np(tf.round(v)).tolist() == np.round(v).tolist()  # halves to even
    assert _np(tf.sign([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    assert np.isclose(float(tf.math.rsqrt(4.0)), 0.5)
    assert np.allclose(_np(tf.math.softplus([0.0])), np.log(2.0))
    assert np.allclose(_np(tf.math.erf([0.5])), 0.5204998778)
    assert np.allclose(_np(tf.exp(X)), np.exp(X), rtol=1e-6)
    assert _np(tf.math.is_nan([np.nan, 1.0])).tolist() == [True, False]
    assert _np(tf.math.is_finite([np.inf, 1.0])).tolist() == [False, True]
    assert _np(tf.floor([1.5, -1.5])).tolist() == [1.0, -2.0]
    assert _np(tf.math.ceil([1.5])).tolist() == [2.0]
    assert np.allclose(_np(tf.math.reciprocal([4.0])), 0.25)


def test_comparisons_and_logic():
    e = tf.equal([1, 2], [1, 3])
    assert _np(e).tolist() == [True, False] and e.dtype == np.bool_
    assert _np(tf.less([1, 2], 2)).tolist() == [True, False]
    assert _np(tf.logical_and([True, False], [True, True])).tolist() == [True, False]
    assert _np(tf.logical_not([True])).tolist() == [False]
    assert _np(tf.math.logical_xor([True, True], [False, True])).tolist() == [True, False]
    with pytest.raises(TypeError, match="Cannot convert \\[1\\] to EagerTensor of dtype bool"):
        tf.logical_and([1], [1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="bool"):
        tf.logical_not(tf.constant([1]))


def test_math_extras():
    assert np.allclose(_np(tf.math.l2_normalize([3.0, 4.0])), [0.6, 0.8])
    hit = tf.math.in_top_k([1, 0], [[0.1, 0.9], [0.8, 0.2]], k=1)
    assert _np(hit).tolist() == [True, True]
    assert _np(tf.math.in_top_k([0], [[0.5, 0.5]], k=1)).tolist() == [True]  # ties count
    cm = tf.math.confusion_matrix([0, 1, 1], [0, 0, 1])
    assert _np(cm).tolist() == [[1, 0], [1, 1]] and cm.dtype == np.int32
    cm = tf.math.confusion_matrix([0, 1], [0, 1], num_classes=3, dtype=tf.float32)
    assert _np(cm).tolist() == np.diag([1.0, 1.0, 0.0]).tolist()
    with pytest.raises(ValueError, match="num_classes"):
        tf.math.confusion_matrix([3], [0], num_classes=2)
    s = tf.math.unsorted_segment_sum(X, [1, 1], 3)
    assert np.array_equal(_np(s), np.stack([np.zeros(3), X.sum(0), np.zeros(3)]))
    assert np.allclose(_np(tf.math.unsorted_segment_mean([1.0, 3.0, 5.0], [0, 0, 1], 2)),
                       [2.0, 5.0])
    assert _np(tf.math.unsorted_segment_max([1, 3, 5], [0, 0, 1], 2)).tolist() == [3, 5]
    assert _np(tf.math.segment_sum([1, 2, 3], [0, 0, 1])).tolist() == [3, 3]
    assert _np(tf.math.bincount([1, 1, 3])).tolist() == [0, 2, 0, 1]
    assert np.isclose(float(tf.math.zero_fraction([0, 1, 0, 2])), 0.5)
    assert _np(tf.math.xlogy([0.0, 2.0], [0.0, np.e])).tolist() == [0.0, 2.0]
    assert _np(tf.math.multiply_no_nan([np.inf, 2.0], [0.0, 3.0])).tolist() == [0.0, 6.0]
    assert _np(tf.math.polyval([2.0, 1.0], 3.0)) == 7.0
    assert _np(tf.add_n([[1, 2], [3, 4], [5, 6]])).tolist() == [9, 12]


def test_math_gradients():
    x = np.random.default_rng(4).normal(size=(3, 4))
    _grad_ok(lambda a: tf.math.l2_normalize(a, axis=1), x)
    _grad_ok(lambda a: tf.math.unsorted_segment_sum(a, np.array([2, 0, 2]), 3), x)
    _grad_ok(lambda a: tf.math.divide_no_nan(a, np.array([0.0, 1.0, 2.0, 0.0])), x)
    _grad_ok(lambda a, b: tf.math.squared_difference(a, b), x, x[::-1].copy())


# -- misc ----------------------------------------------------------------------------------------
def test_print_writes_tensorflow_format(capsys):
    tf.print(tf.constant([1, 2, 3]), "done")
    assert capsys.readouterr().err == "[1 2 3] done\n"  # TF: stderr by default
    out = io.StringIO()
    tf.print(tf.range(10), output_stream=out)
    assert out.getvalue() == "[0 1 2 ... 7 8 9]\n"  # summarize=3 at each end
    import sys

    tf.print(tf.constant([[1, 2], [3, 4]]), output_stream=sys.stdout, summarize=-1)
    assert capsys.readouterr().out == "[[1 2]\n [3 4]]\n"
    tf.print(tf.constant("hi"), output_stream=sys.stdout)
    assert capsys.readouterr().out == "hi\n"
    with pytest.raises(ValueError, match="output_stream"):
        tf.print(1, output_stream="nowhere")


def test_print_formats_floats_and_bools_as_tensorflow():
    # TF 2.21 printed exactly these: 6 significant digits when they read back as the same
    # float32 (else 9; 15/17 for float64), bools as 1/0
    out = io.StringIO()
    tf.print(tf.constant([1.5, 2.0, 1e-8, 123456789.0, 0.1]), tf.constant(1 / 3),
             tf.constant([True, False]), tf.constant(1 / 3, dtype=tf.float64), output_stream=out)
    assert out.getvalue() == "[1.5 2 1e-08 123456792 0.1] 0.333333343 [1 0] 0.33333333333333331\n"


def test_print_runs_at_every_call_of_a_tf_function():
    out, traces = io.StringIO(), []

    @tf.function
    def f(x):
        traces.append(1)  # a Python side effect: only while tracing
        tf.print("x:", x, output_stream=out)
        return x * 2

    for i in range(3):
        f(tf.constant([1.0, float(i)]))
    assert len(traces) == 1
    assert out.getvalue() == "x: [1 0]\nx: [1 1]\nx: [1 2]\n"


def test_print_to_a_file(tmp_path):
    path = tmp_path / "log.txt"
    tf.print(1, 2, output_stream=f"file://{path}")
    assert path.read_text() == "1 2\n"


def test_newaxis_unique_sequence_mask_meshgrid_searchsorted():
    assert tf.newaxis is None and X[tf.newaxis].shape == (1, 2, 3)
    y, idx = tf.unique([3, 1, 3, 2])
    assert _np(y).tolist() == [3, 1, 2] and _np(idx).tolist() == [0, 1, 0, 2]
    assert _np(tf.sequence_mask([1, 3], 4)).tolist() == [[True, False, False, False],
                                                        [True, True, True, False]]
    gx, gy = tf.meshgrid([1, 2, 3], [4, 5])
    assert gx.shape == (2, 3) and _np(gy)[:, 0].tolist() == [4, 5]
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:  # the grids carry gradients, as in TensorFlow
        total = tf.reduce_sum(tf.meshgrid(x, [4.0, 5.0], indexing="ij")[0])
    assert _np(tape.gradient(total, x)).tolist() == [2.0, 2.0, 2.0]
    assert _np(tf.searchsorted([1, 3, 5], [2, 5])).tolist() == [1, 2]
    assert tf.executing_eagerly() and tf.is_tensor(tf.constant(1)) and not tf.is_tensor(1)
    assert np.array_equal(tf.get_static_value(tf.constant([1, 2])), [1, 2])


def test_broadcast_and_ensure_shape():
    assert tf.broadcast_to([1, 2], [3, 2]).shape == (3, 2)
    assert tf.broadcast_static_shape(tf.TensorShape([1, 3]), tf.TensorShape([2, 1])) == (2, 3)
    assert _np(tf.broadcast_dynamic_shape([1, 3], [2, 1])).tolist() == [2, 3]
    x = tf.zeros([2, 3])
    assert tf.ensure_shape(x, [None, 3]) is x
    with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible"):
        tf.ensure_shape(x, [3, 3])


def test_variable_is_keras_and_tensorflow():
    v = tf.Variable(0)  # TF and Keras: int32
    assert v.dtype == np.int32
    w = tf.Variable(initial_value=[1.0, 2.0], trainable=False, name="w")
    assert w.dtype == np.float32 and not w.trainable and w.name == "w:0"
    assert tf.Variable([1, 2]).dtype == np.int32
    w.assign([3.0, 4.0])
    assert _np(w).tolist() == [3.0, 4.0]


def test_more_elementwise_ops_against_numpy():
    v = np.array([-0.7, 0.2, 1.3], dtype="float32")
    for op, ref in [(tf.atan, np.arctan), (tf.cos, np.cos), (tf.cosh, np.cosh),
                    (tf.sinh, np.sinh), (tf.tan, np.tan), (tf.math.expm1, np.expm1),
                    (tf.math.log1p, lambda a: np.log1p(np.abs(a))),
                    (tf.math.softsign, lambda a: a / (1 + np.abs(a))),
                    (tf.math.log_sigmoid, lambda a: -np.log1p(np.exp(-a)))]:
        arg = np.abs(v) if op is tf.math.log1p else v
        out = op(arg)
        assert out.dtype == np.float32 and np.allclose(_np(out), ref(v), rtol=1e-6), op
    assert _np(tf.negative([1, -2])).tolist() == [-1, 2]
    assert _np(tf.subtract([5, 3], 1)).tolist() == [4, 2]
    assert _np(tf.minimum([1, 5], [3, 2])).tolist() == [1, 2]
    assert _np(tf.scalar_mul(2.0, X)).tolist() == (2 * X).tolist()
    assert _np(tf.math.is_inf([np.inf, -np.inf, 1.0])).tolist() == [True, True, False]
    assert _np(tf.math.reciprocal_no_nan([0.0, 2.0])).tolist() == [0.0, 0.5]
    assert _np(tf.math.xdivy([0.0, 3.0], [0.0, 2.0])).tolist() == [0.0, 1.5]
    assert int(tf.math.count_nonzero([0, 1, 2])) == 2
    assert tf.math.count_nonzero([0, 1]).dtype == np.int64  # TF's default dtype
    for a, b in [([1, 2], [2, 2])]:
        assert _np(tf.greater(a, b)).tolist() == [False, False]
        assert _np(tf.greater_equal(a, b)).tolist() == [False, True]
        assert _np(tf.less_equal(a, b)).tolist() == [True, True]
        assert _np(tf.not_equal(a, b)).tolist() == [True, False]
    assert _np(tf.logical_or([True, False], [False, False])).tolist() == [True, False]
    x = np.random.default_rng(5).normal(size=(2, 3))
    for op in (tf.atan, tf.cosh, tf.sinh, tf.tan, tf.math.expm1, tf.math.softsign,
               tf.math.log_sigmoid):
        _grad_ok(op, x)


def test_segment_reductions():
    data = np.array([1.0, 4.0, 2.0, 8.0], dtype="float32")
    ids = [0, 0, 1, 1]
    assert _np(tf.math.segment_max(data, ids)).tolist() == [4.0, 8.0]
    assert _np(tf.math.segment_min(data, ids)).tolist() == [1.0, 2.0]
    assert _np(tf.math.segment_mean(data, ids)).tolist() == [2.5, 5.0]
    # an empty segment: the dtype's lowest value for max, highest for min (TF's identities)
    assert _np(tf.math.unsorted_segment_min(data, [0, 0, 2, 2], 3))[1] == np.finfo("f4").max
    with pytest.raises(TypeError, match="segment_ids must be integers"):
        tf.math.unsorted_segment_sum(data, [0.0, 1.0, 1.0, 0.0], 2)


def test_shape_n_parallel_stack_roll_saturate_cast():
    a, b = tf.shape_n([X, tf.zeros([4])])
    assert _np(a).tolist() == [2, 3] and _np(b).tolist() == [4]
    assert np.array_equal(_np(tf.parallel_stack([X, X])), np.stack([X, X]))
    assert np.array_equal(_np(tf.roll(X, 1, axis=1)), np.roll(X, 1, axis=1))
    s = tf.saturate_cast([300.0, -5.0, 7.9], tf.uint8)  # TF: [255, 0, 7]
    assert _np(s).tolist() == [255, 0, 7] and s.dtype == np.uint8
    assert tf.dtypes.saturate_cast([70000], tf.int16).numpy().tolist() == [32767]
    assert tf.dtypes.cast([1.5], tf.int32).numpy().tolist() == [1]


def test_all_numeric_dtypes_reach_the_engine():
    for dt, np_dt in [(tf.int16, np.int16), (tf.uint32, np.uint32), (tf.uint64, np.uint64),
                      (tf.complex128, np.complex128), (tf.dtypes.int16, np.int16),
                      (tf.dtypes.uint32, np.uint32), (tf.dtypes.uint64, np.uint64),
                      (tf.dtypes.complex128, np.complex128)]:
        assert tf.zeros([2], dt).dtype == np_dt and tf.cast([1], dt).dtype == np_dt


def test_keras_namespaces_under_their_tf_names():
    import ember

    assert tf.initializers is ember.initializers
    init = tf.initializers.Constant(2.0)
    assert np.array_equal(np.asarray(init((2,))), [2.0, 2.0])
    assert tf.losses is ember.losses and tf.optimizers is ember.optimizers
    assert tf.metrics is ember.metrics


def test_random_truncated_normal_stays_within_two_stddevs():
    t = np.asarray(tf.random.truncated_normal([2000], mean=1.0, stddev=2.0, seed=0))
    assert t.dtype == np.float32 and (np.abs(t - 1.0) <= 4.0).all() and abs(t.mean() - 1) < 0.2
