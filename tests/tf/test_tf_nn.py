"""tf.nn and tf.linalg through ``import ember as tf``: NumPy references, TensorFlow 2.21's
dtypes and errors (observed on TF 2.21 CPU), finite-difference gradients."""

import math

import numpy as np
import pytest

import ember as tf
from ember import check_gradients


def _np(t):
    return np.asarray(t)


def _grad_ok(fn, *arrays, tolerance=1e-5):
    report = check_gradients(fn, list(arrays), tolerance=tolerance)
    assert max(report.values()) < tolerance, report


def _conv_ref(x, k, stride, pad_hw):
    """NHWC cross-correlation with explicit zero padding ((top, bottom), (left, right))."""
    x = np.pad(x, [(0, 0), pad_hw[0], pad_hw[1], (0, 0)])
    kh, kw, _, co = k.shape
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, co))
    for i in range(oh):
        for j in range(ow):
            win = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(win, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


IMG = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)


# -- activations ---------------------------------------------------------------------------------
def test_activations_values():
    v = np.array([-2.0, -0.5, 0.0, 1.5, 7.0], dtype="float32")
    assert np.array_equal(_np(tf.nn.relu(v)), np.maximum(v, 0))
    assert np.array_equal(_np(tf.nn.relu6(v)), np.clip(v, 0, 6))
    assert _np(tf.nn.relu([-1, 2])).tolist() == [0, 2]  # TF: relu takes ints
    assert np.allclose(_np(tf.nn.leaky_relu(v)), np.where(v > 0, v, 0.2 * v))
    assert np.allclose(_np(tf.nn.leaky_relu(v, alpha=0.1)), np.where(v > 0, v, 0.1 * v))
    assert np.allclose(_np(tf.nn.elu(v)), np.where(v > 0, v, np.exp(v) - 1), rtol=1e-6)
    # TF's gelu is exact by default: x * Phi(x), gelu(1) = 0.84134
    exact = np.array([x * 0.5 * (1 + math.erf(x / math.sqrt(2))) for x in v])
    assert np.allclose(_np(tf.nn.gelu(v)), exact, rtol=1e-5, atol=1e-6)
    assert np.allclose(_np(tf.nn.silu(v)), v / (1 + np.exp(-v)), rtol=1e-6)
    assert np.allclose(_np(tf.nn.silu(v, beta=2.0)), v / (1 + np.exp(-2 * v)), rtol=1e-6)
    assert tf.nn.swish is tf.nn.silu
    assert np.allclose(_np(tf.nn.softmax([1.0, 2.0])), np.exp([1, 2]) / np.exp([1, 2]).sum())
    assert np.allclose(_np(tf.nn.log_softmax([1.0, 2.0])),
                       np.log(np.exp([1, 2]) / np.exp([1, 2]).sum()))
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.nn.sigmoid([1])


def test_dropout():
    tf.random.set_seed(0)
    out = _np(tf.nn.dropout(tf.ones([1000]), 0.5))
    assert set(np.unique(out)) <= {0.0, 2.0} and 300 < (out == 0).sum() < 700
    with pytest.raises(ValueError, match="rate"):
        tf.nn.dropout(tf.ones([4]), 1.5)


# -- convolution and pooling ---------------------------------------------------------------------
def test_conv2d_same_and_valid_as_tensorflow():
    k = np.ones((3, 3, 1, 1), dtype="float32")
    # TF: SAME with stride 2 on 4x4 pads (0, 1) on each spatial axis -> [[45, 39], [66, 50]]
    same = tf.nn.conv2d(IMG, k, strides=2, padding="SAME")
    assert np.allclose(_np(same), _conv_ref(IMG, k, 2, ((0, 1), (0, 1))))
    assert _np(same)[0, :, :, 0].tolist() == [[45.0, 39.0], [66.0, 50.0]]
    valid = tf.nn.conv2d(IMG, k, strides=[1, 1, 1, 1], padding="VALID")
    assert np.allclose(_np(valid), _conv_ref(IMG, k, 1, ((0, 0), (0, 0))))
    with pytest.raises(tf.errors.UnimplementedError, match="batch and depth"):
        tf.nn.conv2d(IMG, k, strides=[2, 1, 1, 1], padding="VALID")
    with pytest.raises(ValueError, match="padding"):
        tf.nn.conv2d(IMG, k, strides=1, padding=[[0, 0], [1, 1], [1, 1], [0, 0]])
    with pytest.raises(ValueError, match="rank 4"):
        tf.nn.conv2d(IMG, k[0], 1, "SAME")


def test_conv_gradients_and_1d_depthwise():
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(2, 5, 5, 2)), rng.normal(size=(3, 3, 2, 3))
    _grad_ok(lambda a, b: tf.nn.conv2d(a, b, 2, "SAME"), x, k)
    x1, k1 = rng.normal(size=(2, 7, 2)), rng.normal(size=(3, 2, 4))
    out = tf.nn.conv1d(x1.astype("float32"), k1.astype("float32"), stride=1, padding="VALID")
    ref = _conv_ref(x1[:, None].astype("float32"), k1[None].astype("float32"), 1,
                    ((0, 0), (0, 0)))[:, 0]
    assert np.allclose(_np(out), ref, rtol=1e-5, atol=1e-5)
    d = tf.nn.depthwise_conv2d(IMG, np.ones((2, 2, 1, 2), "float32"), [1, 1, 1, 1], "VALID")
    assert d.shape == (1, 3, 3, 2)
    ref = _conv_ref(IMG, np.ones((2, 2, 1, 1), "float32"), 1, ((0, 0), (0, 0)))
    assert np.allclose(_np(d)[..., 0], ref[..., 0]) and np.allclose(_np(d)[..., 1], ref[..., 0])


def test_pooling_as_tensorflow():
    m = tf.nn.max_pool2d(IMG, 2, 2, "VALID")
    assert _np(m)[0, :, :, 0].tolist() == [[5.0, 7.0], [13.0, 15.0]]
    # TF: average over the valid part of each SAME window -> [[5, 6.5], [11, 12.5]]
    a = tf.nn.avg_pool2d(IMG, 3, 2, "SAME")
    assert _np(a)[0, :, :, 0].tolist() == [[5.0, 6.5], [11.0, 12.5]]
    assert tf.nn.max_pool(IMG, [1, 2, 2, 1], [1, 2, 2, 1], "VALID").shape == (1, 2, 2, 1)
    _grad_ok(lambda t: tf.nn.avg_pool2d(t, 2, 1, "SAME"),
             np.random.default_rng(1).normal(size=(1, 3, 3, 2)))


def test_bias_add():
    out = tf.nn.bias_add(tf.zeros([2, 3]), [1.0, 2.0, 3.0])
    assert _np(out).tolist() == [[1.0, 2.0, 3.0]] * 2
    nchw = tf.nn.bias_add(tf.zeros([1, 2, 2, 2]), [1.0, 2.0], data_format="NCHW")
    assert _np(nchw)[0, 1].tolist() == [[2.0, 2.0], [2.0, 2.0]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Must provide as many biases"):
        tf.nn.bias_add(tf.zeros([2, 3]), [1.0, 2.0])


# -- losses --------------------------------------------------------------------------------------
def test_sigmoid_cross_entropy_with_logits():
    z, x = np.array([1.0, 0.0], "float32"), np.array([2.0, -1.0], "float32")
    ref = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))  # TF's documented form
    assert np.allclose(_np(tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)), ref)
    with pytest.raises(ValueError, match="same shape"):
        tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[2.0])
    with pytest.raises(ValueError, match="both labels and logits"):
        tf.nn.sigmoid_cross_entropy_with_logits(logits=[2.0])
    rng = np.random.default_rng(2)
    _grad_ok(lambda a, b: tf.nn.sigmoid_cross_entropy_with_logits(labels=a, logits=b),
             rng.uniform(size=5), rng.normal(size=5))


def test_weighted_cross_entropy_with_logits():
    z, x, w = np.array([1.0, 0.0]), np.array([2.0, -1.0]), 3.0
    ref = (1 - z) * x + (1 + (w - 1) * z) * np.log1p(np.exp(-x))
    got = tf.nn.weighted_cross_entropy_with_logits(z.astype("float32"), x.astype("float32"), w)
    assert np.allclose(_np(got), ref, rtol=1e-6)
    _grad_ok(lambda b: tf.nn.weighted_cross_entropy_with_logits(z, b, w), x)


def test_softmax_cross_entropies():
    logits = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]], "float32")
    labels = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], "float32")
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    dense = tf.nn.softmax_cross_entropy_with_logits(labels, logits)
    assert np.allclose(_np(dense), -(labels * logp).sum(1), rtol=1e-6)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 2], logits=logits)
    assert np.allclose(_np(sparse), -logp[[0, 1], [1, 2]], rtol=1e-6)
    first_axis = tf.nn.softmax_cross_entropy_with_logits(labels.T, logits.T, axis=0)
    assert np.allclose(_np(first_axis), _np(dense))
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 3"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1, 3], logits=logits)
    with pytest.raises(ValueError, match="shape of labels"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[[1], [2]], logits=logits)
    with pytest.raises(TypeError, match="int32 or int64"):
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[1.0, 2.0], logits=logits)
    rng = np.random.default_rng(3)
    _grad_ok(lambda a, b: tf.nn.softmax_cross_entropy_with_logits(a, b),
             rng.uniform(size=(2, 3)), rng.normal(size=(2, 3)))
    _grad_ok(lambda b: tf.nn.sparse_softmax_cross_entropy_with_logits(np.array([0, 2]), b),
             rng.normal(size=(2, 3)))


def test_l2_loss_moments_batch_normalization():
    assert float(tf.nn.l2_loss([1.0, 2.0])) == 2.5
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    mean, var = tf.nn.moments(tf.constant(x), axes=[0])
    assert _np(mean).tolist() == [2.0, 3.0] and _np(var).tolist() == [1.0, 1.0]
    out = tf.nn.batch_normalization(tf.constant([1.0, 2.0]), 1.5, 0.25, 0.1, 2.0, 1e-3)
    ref = 2.0 * (np.array([1.0, 2.0]) - 1.5) / np.sqrt(0.25 + 1e-3) + 0.1
    assert np.allclose(_np(out), ref, rtol=1e-6)
    plain = tf.nn.batch_normalization(tf.constant([1.0]), 0.0, 1.0, None, None, 0.0)
    assert _np(plain).tolist() == [1.0]
    rng = np.random.default_rng(4)
    _grad_ok(lambda a, m, v: tf.nn.batch_normalization(a, m, v, 0.1, 2.0, 1e-3),
             rng.normal(size=(3, 2)), rng.normal(size=2), rng.uniform(0.5, 1, size=2))


def test_embedding_lookup():
    params = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        rows = tf.nn.embedding_lookup(params, [1, 1, 0])
        loss = tf.reduce_sum(rows)
    assert _np(rows).tolist() == [[3.0, 4.0], [3.0, 4.0], [1.0, 2.0]]
    assert _np(tape.gradient(loss, params)).tolist() == [[1.0, 1.0], [2.0, 2.0]]
    clipped = tf.nn.embedding_lookup(params, [1], max_norm=1.0)
    assert np.isclose(np.linalg.norm(_np(clipped)), 1.0)
    with pytest.raises(ValueError, match="sharded"):
        tf.nn.embedding_lookup([params, params], [0])


def test_space_depth_and_lrn():
    s2d = tf.nn.space_to_depth(IMG, 2)
    assert _np(s2d)[0, 0, 0].tolist() == [0.0, 1.0, 4.0, 5.0]  # TF's order
    assert np.array_equal(_np(tf.nn.depth_to_space(s2d, 2)), IMG)
    x = np.random.default_rng(5).normal(size=(1, 2, 2, 5)).astype("float32")
    sq = np.pad(x ** 2, [(0, 0)] * 3 + [(1, 1)])
    ref = x / (1.0 + 1.0 * (sq[..., :-2] + sq[..., 1:-1] + sq[..., 2:])) ** 0.5
    assert np.allclose(_np(tf.nn.local_response_normalization(x, depth_radius=1)), ref,
                       rtol=1e-5)


def test_compute_average_loss():
    assert float(tf.nn.compute_average_loss([1.0, 3.0])) == 2.0
    assert float(tf.nn.compute_average_loss([1.0, 3.0], global_batch_size=4)) == 1.0


# -- tf.linalg -----------------------------------------------------------------------------------
A = np.array([[4.0, 1.0], [1.0, 3.0]])


def test_linalg_values():
    a32 = A.astype("float32")
    assert np.allclose(_np(tf.linalg.inv(a32)), np.linalg.inv(A))
    assert np.isclose(float(tf.linalg.det(a32)), np.linalg.det(A))
    assert np.isclose(float(tf.linalg.logdet(a32)), np.log(np.linalg.det(A)))
    sign, logabs = tf.linalg.slogdet(-a32)
    assert float(sign) == 1.0 and np.isclose(float(logabs), np.log(np.linalg.det(A)))
    assert np.allclose(_np(tf.linalg.cholesky(a32)), np.linalg.cholesky(A))
    assert np.allclose(_np(tf.linalg.solve(a32, [[1.0], [2.0]])),
                       np.linalg.solve(A, [[1.0], [2.0]]))
    assert float(tf.linalg.trace(a32)) == 7.0
    assert _np(tf.linalg.diag_part(a32)).tolist() == [4.0, 3.0]
    m23 = np.arange(6.0).reshape(2, 3)
    for k in (1, -1, 2):  # one diagonal off the main one: NumPy's diagonal(k) of the last axes
        assert _np(tf.linalg.diag_part(m23, k=k)).tolist() == np.diagonal(m23, k).tolist()
    with pytest.raises(ValueError, match="diag_part: ember supports one diagonal"):
        tf.linalg.diag_part(m23, k=(0, 1))
    assert _np(tf.linalg.diag([1.0, 2.0])).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert _np(tf.linalg.set_diag(a32, [0.0, 0.0])).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    assert np.allclose(_np(tf.linalg.matvec(a32, [1.0, 1.0])), A @ [1, 1])
    assert np.allclose(_np(tf.linalg.matrix_transpose(np.ones((2, 2, 3)))), np.ones((2, 3, 2)))
    m = np.arange(16.0).reshape(4, 4)
    assert np.array_equal(_np(tf.linalg.band_part(m, 1, 0)), np.tril(np.triu(m, -1)))
    assert np.array_equal(_np(tf.linalg.band_part(m, -1, 0)), np.tril(m))
    assert np.allclose(_np(tf.linalg.eye(2)), np.eye(2))


def test_linalg_decompositions():
    m = np.random.default_rng(6).normal(size=(4, 3)).astype("float32")
    q, r = tf.linalg.qr(m)
    assert np.allclose(_np(q) @ _np(r), m, atol=1e-5)
    s, u, v = tf.linalg.svd(m)
    assert np.allclose(_np(u) @ np.diag(_np(s)) @ _np(v).T, m, atol=1e-5)
    assert np.allclose(_np(tf.linalg.svd(m, compute_uv=False)), np.linalg.svd(m)[1], atol=1e-5)
    w, vecs = tf.linalg.eigh(A)
    assert np.allclose(_np(w), np.linalg.eigvalsh(A))
    assert np.allclose(_np(tf.linalg.pinv(m)), np.linalg.pinv(m), atol=1e-4)
    assert np.allclose(_np(tf.linalg.lstsq(m, m[:, :1])), np.linalg.lstsq(m, m[:, :1])[0],
                       atol=1e-4)
    assert _np(tf.linalg.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])).tolist() == [0.0, 0.0, 1.0]


def test_linalg_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not invertible"):
        tf.linalg.inv(np.zeros((2, 2)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="square"):
        tf.linalg.det(np.zeros((2, 3)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="Cholesky decomposition"):
        tf.linalg.cholesky(-np.eye(2))


def test_linalg_gradients():
    rng = np.random.default_rng(7)
    m = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    spd = m @ m.T
    _grad_ok(tf.linalg.inv, m)
    _grad_ok(tf.linalg.det, m)
    _grad_ok(lambda a: tf.linalg.slogdet(a)[1], m)
    _grad_ok(lambda a: tf.linalg.cholesky((a + tf.linalg.matrix_transpose(a)) / 2), spd)
    _grad_ok(tf.linalg.solve, m, rng.normal(size=(3, 2)))
    _grad_ok(lambda a: tf.linalg.trace(a), m)
    _grad_ok(lambda a: tf.linalg.band_part(a, 0, 1), m)
    _grad_ok(lambda a: tf.linalg.set_diag(a, np.array([1.0, 2.0, 3.0])), m)


def test_linalg_triangular_solve_and_decomposition_gradients():
    rng = np.random.default_rng(8)
    m = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    rhs = rng.normal(size=(3, 2))
    assert np.allclose(_np(tf.linalg.triangular_solve(m, rhs)), np.linalg.solve(np.tril(m), rhs))
    assert np.allclose(_np(tf.linalg.triangular_solve(m, rhs, lower=False, adjoint=True)),
                       np.linalg.solve(np.triu(m).T, rhs))
    _grad_ok(lambda a, b: tf.linalg.triangular_solve(a, b), m, rhs)
    _grad_ok(lambda a: tf.linalg.svd(a, compute_uv=False), m)
    _grad_ok(lambda a: tf.linalg.qr(a)[1], m)
    _grad_ok(lambda a: tf.linalg.eigh(a)[0], m)
    _grad_ok(tf.linalg.pinv, rng.normal(size=(4, 3)))
    _grad_ok(lambda a: tf.linalg.lstsq(a, rhs[:, :1], l2_regularizer=0.1), m)


def test_more_nn_ops():
    v = np.array([-1.0, 0.5], dtype="float32")
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    assert np.allclose(_np(tf.nn.selu(v)), scale * np.where(v > 0, v, alpha * (np.exp(v) - 1)))
    assert np.allclose(_np(tf.nn.softsign(v)), v / (1 + np.abs(v)))
    assert float(tf.nn.zero_fraction([0.0, 1.0])) == 0.5
    x1 = np.arange(6, dtype="float32").reshape(1, 6, 1)
    assert _np(tf.nn.max_pool1d(x1, 2, 2, "VALID"))[0, :, 0].tolist() == [1.0, 3.0, 5.0]
    assert _np(tf.nn.avg_pool1d(x1, 2, 2, "VALID"))[0, :, 0].tolist() == [0.5, 2.5, 4.5]
    assert tf.nn.avg_pool(IMG, 2, 2, "VALID").shape == (1, 2, 2, 1)
    k = np.ones((3, 3, 1, 1), dtype="float32")
    assert np.array_equal(_np(tf.nn.convolution(IMG, k, padding="VALID")),
                          _np(tf.nn.conv2d(IMG, k, 1, "VALID")))
    with pytest.raises(ValueError, match="rank 4"):
        tf.nn.convolution(IMG[0], k)
    z, c = np.array([2.0, 0.0]), np.array([0.5, -1.0])
    assert np.allclose(_np(tf.nn.log_poisson_loss(z, c)), np.exp(c) - z * c)
    full = np.exp(c) - z * c + np.where(z > 1, z * np.log(np.maximum(z, 1)) - z
                                        + 0.5 * np.log(2 * np.pi * np.maximum(z, 1)), 0)
    assert np.allclose(_np(tf.nn.log_poisson_loss(z, c, compute_full_loss=True)), full)
    mean, var = tf.nn.normalize_moments(4.0, np.array([8.0]), np.array([20.0]), None)
    assert _np(mean).tolist() == [2.0] and _np(var).tolist() == [1.0]  # 20/4 - 2^2


def test_more_linalg():
    assert _np(tf.linalg.tensor_diag([1.0, 2.0])).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert int(tf.linalg.matrix_rank(np.ones((3, 3)))) == 1
    unit, n = tf.linalg.normalize(np.array([3.0, 4.0]))
    assert np.allclose(_np(unit), [0.6, 0.8]) and np.allclose(_np(n), [5.0])
    assert np.allclose(_np(tf.linalg.eigvalsh(A)), np.linalg.eigvalsh(A))
