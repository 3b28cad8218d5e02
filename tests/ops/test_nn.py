"""Neural-network ops: one_hot, crossentropies, dropout, moments, top_k, normalize."""

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _log_softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def test_one_hot_and_multi_hot():
    labels = np.array([0, 2, 1, 5])
    out = ops.one_hot(labels, 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(ops.one_hot(labels[:3], 3, axis=0).numpy(),
                                  np.eye(3)[[0, 2, 1]].T)
    np.testing.assert_array_equal(ops.multi_hot(np.array([[0, 2], [1, 1]]), 3).numpy(),
                                  [[1, 0, 1], [0, 1, 0]])


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)], ids=str)
def test_sparse_categorical_crossentropy_from_logits(shape):
    z = rand(shape, 1, -3, 3)
    labels = np.random.default_rng(0).integers(0, shape[-1], shape[:-1])
    ref = -np.take_along_axis(_log_softmax(z), labels[..., None], -1)[..., 0]
    close(ops.sparse_categorical_crossentropy(labels, z, from_logits=True).data, ref)
    assert_grads(lambda t: ops.sparse_categorical_crossentropy(labels, t, from_logits=True), z)


def test_sparse_categorical_crossentropy_from_probabilities():
    z = rand((4, 3), 1, -3, 3)
    labels = np.array([0, 2, 1, 1])
    ref = -np.take_along_axis(_log_softmax(z), labels[:, None], -1)[:, 0]
    # probabilities made by softmax: the logits are used (exact, stable)
    close(ops.sparse_categorical_crossentropy(labels, ops.softmax(z)).data, ref)
    assert_grads(lambda t: ops.sparse_categorical_crossentropy(labels, ops.softmax(t)), z)
    # other probabilities are normalized and clipped
    p = np.exp(_log_softmax(z))
    close(ops.sparse_categorical_crossentropy(labels, p).data, ref)
    assert_grads(lambda t: ops.sparse_categorical_crossentropy(labels, t), p)
    # labels with a trailing axis of 1, and labels as floats
    close(ops.sparse_categorical_crossentropy(labels[:, None].astype("float32"), p).data, ref)


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)], ids=str)
def test_sparse_softmax_crossentropy_mean(shape):
    from ember.ops.nn import sparse_softmax_crossentropy_mean

    z = rand(shape, 2, -3, 3)
    labels = np.random.default_rng(1).integers(0, shape[-1], shape[:-1])
    ref = -np.take_along_axis(_log_softmax(z), labels[..., None], -1).mean()
    close(sparse_softmax_crossentropy_mean(labels, ops.softmax(z)).data, ref)
    assert_grads(lambda t: sparse_softmax_crossentropy_mean(labels, ops.softmax(t)), z)
    y, _ = float32_run(lambda t: sparse_softmax_crossentropy_mean(labels, ops.softmax(t)), z)
    assert y.shape == ()
    # not a softmax output: no fused op (the caller uses the general ops)
    assert sparse_softmax_crossentropy_mean(labels, ember.Tensor(np.exp(z))) is None
    with pytest.raises(ValueError, match=r"received a label value of 9, which is outside"):
        sparse_softmax_crossentropy_mean(np.full(shape[:-1], 9), ops.softmax(z))


def test_sparse_categorical_crossentropy_axis_and_errors():
    z = rand((3, 4), 1)
    labels = np.array([0, 1, 2, 0])
    ref = -np.take_along_axis(_log_softmax(z, 0), labels[None], 0)[0]
    close(ops.sparse_categorical_crossentropy(labels, z, from_logits=True, axis=0).data, ref)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: labels of shape "
                                         r"\(2,\) do not match predictions of shape \(3, 4\)"):
        ops.sparse_categorical_crossentropy(np.array([0, 1]), z, from_logits=True)
    with pytest.raises(ValueError, match=r"received a label value of 4, which is outside the "
                                         r"valid range \[0, 4\)"):
        ops.sparse_categorical_crossentropy(np.array([0, 1, 4]), z, from_logits=True)


def test_categorical_crossentropy():
    z = rand((4, 3), 2, -3, 3)
    t = np.abs(rand((4, 3), 3))
    t /= t.sum(-1, keepdims=True)
    ref = -(t * _log_softmax(z)).sum(-1)
    close(ops.categorical_crossentropy(t, z, from_logits=True).data, ref)
    close(ops.categorical_crossentropy(t, ops.softmax(z)).data, ref)
    close(ops.categorical_crossentropy(t, np.exp(_log_softmax(z))).data, ref)
    assert_grads(lambda a, b: ops.categorical_crossentropy(a, b, from_logits=True), t, z)
    assert_grads(lambda b: ops.categorical_crossentropy(t, ops.softmax(b)), z)
    assert_grads(lambda b: ops.categorical_crossentropy(t, b), np.exp(_log_softmax(z)))
    close(ops.categorical_crossentropy(t.T, z.T, from_logits=True, axis=0).data, ref)
    assert_grads(lambda b: ops.categorical_crossentropy(t.T, b, from_logits=True, axis=0), z.T)
    with pytest.raises(ValueError, match=r"categorical_crossentropy: .*target shape \(4, 2\) "
                                         r"and output shape \(4, 3\)"):
        ops.categorical_crossentropy(np.ones((4, 2)), z)


def test_binary_crossentropy():
    z = rand((3, 4), 4, -4, 4)
    t = (rand((3, 4), 5) > 0).astype("float64")
    p = 1 / (1 + np.exp(-z))
    ref = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    close(ops.binary_crossentropy(t, z, from_logits=True).data, ref)
    close(ops.binary_crossentropy(t, ops.sigmoid(z)).data, ref)
    close(ops.binary_crossentropy(t, p).data, ref, rtol=1e-5)
    assert_grads(lambda a, b: ops.binary_crossentropy(a, b, from_logits=True), t, z)
    assert_grads(lambda b: ops.binary_crossentropy(t, ops.sigmoid(b)), z)
    assert_grads(lambda b: ops.binary_crossentropy(t, b), p)
    with pytest.raises(ValueError, match=r"binary_crossentropy: .*\(3, 4\) and output shape "
                                         r"\(3, 5\)"):
        ops.binary_crossentropy(t, np.ones((3, 5)))


def test_binary_crossentropy_from_logits_is_stable():
    z = ember.Variable(np.array([-1000.0, 1000.0, 80.0], dtype="float32"))
    t = np.array([1.0, 0.0, 1.0], dtype="float32")
    with ember.GradientTape() as tape:
        loss = ops.binary_crossentropy(t, z, from_logits=True)
    close(loss.numpy(), [1000.0, 1000.0, 0.0], atol=1e-6)
    with ember.GradientTape() as tape:
        s = ops.sum(ops.binary_crossentropy(t, z, from_logits=True))
    g = tape.gradient(s, z).numpy()
    close(g, [-1.0, 1.0, 0.0], atol=1e-6)
    assert loss.dtype == np.float32


def test_crossentropies_keep_float32():
    z = rand((4, 3), 1)
    labels = np.array([0, 2, 1, 1])
    float32_run(lambda t: ops.sparse_categorical_crossentropy(labels, t, from_logits=True), z)
    float32_run(lambda t: ops.sparse_categorical_crossentropy(labels, ops.softmax(t)), z)
    float32_run(lambda t: ops.categorical_crossentropy(np.eye(3)[labels], t, from_logits=True), z)
    float32_run(lambda t: ops.binary_crossentropy(np.ones((4, 3)), t, from_logits=True), z)


def test_dropout_scales_and_is_reproducible():
    x = np.ones((200, 50), dtype="float32")
    y = ops.dropout(x, 0.3, seed=7).numpy()
    assert y.dtype == np.float32
    kept = y != 0
    assert 0.65 < kept.mean() < 0.75
    close(y[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(ops.dropout(x, 0.3, seed=7).numpy(), y)
    assert ops.dropout(x, 0.0) is not None
    close(ops.dropout(x, 0.0).numpy(), x)


def test_dropout_noise_shape_and_gradient():
    x = rand((4, 5), 1)
    y = ops.dropout(x, 0.5, noise_shape=(1, 5), seed=3).numpy()
    cols = (y != 0)
    assert (cols == cols[0]).all()  # whole columns kept or dropped
    y = ops.dropout(x, 0.5, noise_shape=(None, 1), seed=3).numpy()
    rows = (y != 0)
    assert (rows == rows[:, :1]).all()  # None takes the input's size
    assert_grads(lambda t: ops.dropout(t, 0.5, seed=3), x)
    with pytest.raises(ValueError, match=r"dropout: rate must be in \[0, 1\). Received: rate=1"):
        ops.dropout(x, 1)


def test_dropout_with_seed_generator_advances():
    from ember.random import SeedGenerator

    x = np.ones((10, 10))
    gen = SeedGenerator(1)
    a = ops.dropout(x, 0.5, seed=gen).numpy()
    b = ops.dropout(x, 0.5, seed=gen).numpy()
    assert not np.array_equal(a, b)
    gen2 = SeedGenerator(1)
    np.testing.assert_array_equal(ops.dropout(x, 0.5, seed=gen2).numpy(), a)


@pytest.mark.parametrize("axes,keepdims", [((0,), False), ((0, 1), True), ([-1], False)], ids=str)
def test_moments(axes, keepdims):
    x = rand((3, 4, 2), 6)
    m, v = ops.moments(x, axes, keepdims=keepdims)
    close(m.data, x.mean(axis=tuple(axes), keepdims=keepdims))
    close(v.data, x.var(axis=tuple(axes), keepdims=keepdims))
    assert_grads(lambda t: ops.moments(t, axes, keepdims)[1], x)


def test_top_k():
    x = np.array([[1.0, 3.0, 2.0, 3.0], [0.5, -1.0, 4.0, 0.0]])
    values, idx = ops.top_k(x, 2)
    np.testing.assert_array_equal(idx.numpy(), [[1, 3], [2, 0]])
    close(values.data, [[3.0, 3.0], [4.0, 0.5]])
    assert_grads(lambda t: ops.top_k(t, 2)[0], rand((3, 5), 2))
    with pytest.raises(ValueError, match=r"top_k: k=5 is out of range for an input of shape"):
        ops.top_k(x, 5)


@pytest.mark.parametrize("order,axis", [(2, -1), (1, 0), (3, -1)])
def test_normalize(order, axis):
    x = rand((3, 4), 7)
    n = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    close(ops.normalize(x, axis=axis, order=order).data, x / n)
    assert_grads(lambda t: ops.normalize(t, axis=axis, order=order), x)
    close(ops.normalize(np.zeros((2, 3))).data, np.zeros((2, 3)))


def test_nn_namespace_has_conv_pool_and_activations():
    for name in ["conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool",
                 "average_pool", "relu", "softmax", "sigmoid", "one_hot", "dropout",
                 "sparse_categorical_crossentropy", "moments"]:
        assert callable(getattr(ops.nn, name))


ISSUE_OPS = """
add subtract multiply divide negative power square sqrt exp log log1p abs sign maximum minimum
clip where cast sum mean max min var std prod logsumexp argmax argmin all any matmul dot
tensordot einsum reshape transpose expand_dims squeeze concatenate stack split take
take_along_axis slice slice_update getitem pad tile repeat broadcast_to flatten ravel relu relu6
leaky_relu elu selu gelu sigmoid hard_sigmoid tanh softplus softsign silu swish softmax
log_softmax one_hot sparse_categorical_crossentropy categorical_crossentropy
binary_crossentropy conv depthwise_conv separable_conv conv_transpose max_pool average_pool
dropout moments stop_gradient flip cumsum
""".split()


@pytest.mark.parametrize("name", ISSUE_OPS)
def test_every_op_of_the_engine_issue_exists(name):
    assert callable(getattr(ops, name))
