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


# -- normalizations -----------------------------------------------------------------------------
def test_batch_normalization_values_gradients_and_errors():
    x = rand((2, 3, 4), 1)
    mean, var = rand((3,), 2), rand((3,), 3, 0.5, 2)
    offset, scale = rand((3,), 4), rand((3,), 5)
    b = (1, 3, 1)
    ref = (x - mean.reshape(b)) / np.sqrt(var.reshape(b) + 1e-3) * scale.reshape(b) \
        + offset.reshape(b)
    close(ops.batch_normalization(x, mean, var, 1, offset, scale).data, ref)
    close(ops.batch_normalization(x, mean, var, axis=1).data,
          (x - mean.reshape(b)) / np.sqrt(var.reshape(b) + 1e-3))
    assert_grads(lambda *t: ops.batch_normalization(t[0], *t[1:3], 1, *t[3:]),
                 x, mean, var, offset, scale)
    float32_run(lambda t: ops.batch_normalization(t, mean, var, 1, offset, scale), x)
    with pytest.raises(ValueError, match=r"batch_normalization: a parameter of shape \(4,\) "
                                         r"does not match the input of shape \(2, 3, 4\)"):
        ops.batch_normalization(x, np.zeros(4), np.ones(4), axis=1)
    close(ops.batch_normalization(x, mean.reshape(b), var.reshape(b), 1).data,
          ops.batch_normalization(x, mean, var, 1).data)  # full rank: broadcast as it is
    with pytest.raises(ValueError, match="batch_normalization: axis 3 is out of range"):
        ops.batch_normalization(x, mean, var, axis=3)


@pytest.mark.parametrize("axis", [-1, 1, (1, 2), (0, 2)], ids=str)
def test_layer_normalization_values_and_gradients(axis):
    x = rand((2, 3, 4), 1)
    axes = (axis,) if isinstance(axis, int) else axis
    pshape = tuple(x.shape[a] for a in axes)
    gamma, beta = rand(pshape, 2), rand(pshape, 3)
    bshape = tuple(n if i in [a % 3 for a in axes] else 1 for i, n in enumerate(x.shape))
    m, v = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    ref = (x - m) / np.sqrt(v + 1e-7) * gamma.reshape(bshape) + beta.reshape(bshape)
    close(ops.layer_normalization(x, gamma, beta, axis=axis).data, ref, rtol=1e-6, atol=1e-9)
    close(ops.layer_normalization(x, axis=axis, epsilon=0.5).data, (x - m) / np.sqrt(v + 0.5))
    assert_grads(lambda *t: ops.layer_normalization(*t, axis=axis), x, gamma, beta)
    y, _ = float32_run(lambda t: ops.layer_normalization(t, gamma, beta, axis=axis), x)


def test_layer_normalization_rms_scaling_and_errors():
    x, gamma = rand((2, 5), 1), rand((5,), 2)
    close(ops.layer_normalization(x, gamma, rms_scaling=True).data,
          x / np.sqrt(x.var(-1, keepdims=True) + 1e-7) * gamma)
    with pytest.raises(TypeError, match=r"layer_normalization: unexpected arguments \['bad'\]"):
        ops.layer_normalization(x, bad=1)
    with pytest.raises(ValueError, match=r"layer_normalization: a parameter of shape \(4,\)"):
        ops.layer_normalization(x, np.ones(4))


@pytest.mark.parametrize("axis", [-1, (0, 1)], ids=str)
def test_rms_normalization(axis):
    x = rand((3, 4), 1)
    scale = rand((4,), 2)
    ms = (x * x).mean(axis=axis, keepdims=True)
    close(ops.rms_normalization(x, scale, axis=axis).data, x / np.sqrt(ms + 1e-7) * scale)
    close(ops.rms_normalization(x, axis=axis, epsilon=0.3).data, x / np.sqrt(ms + 0.3))
    assert_grads(lambda *t: ops.rms_normalization(*t, axis=axis), x, scale)
    float32_run(lambda t: ops.rms_normalization(t, scale, axis=axis), x)
    assert ops.rms_normalization(np.array(2.0)).shape == (1,)  # a scalar becomes a vector
    assert ops.rms_normalization(np.arange(4)).dtype == np.float32


# -- image ops ----------------------------------------------------------------------------------
def test_psnr():
    a, b = rand((2, 4, 4), 1, 0, 1), rand((2, 4, 4), 2, 0, 1)
    ref = 20 * np.log10(1.0) - 10 * np.log10(((a - b) ** 2).mean())
    close(ops.psnr(a, b, 1.0).data, ref)
    close(ops.psnr(a * 255, b * 255, 255).data, ref)
    assert_grads(lambda s, t: ops.psnr(s, t, 2.0), a, b)
    y, _ = float32_run(lambda s, t: ops.psnr(s, t, 1.0), a, b)
    assert y.shape == ()
    with pytest.raises(ValueError, match=r"psnr: input shapes \(2, 4, 4\) and \(4, 4\) must "
                                         "match"):
        ops.psnr(a, b[0], 1.0)


def _depth_to_space_reference(x, b, fmt):
    """Channels last: block-major channels (TensorFlow's order: row, column, channel);
    channels first: channel-major (PyTorch's pixel shuffle), as Keras does for each."""
    if fmt == "channels_first":
        x = np.moveaxis(x, 1, -1)
    n, h, w, c = x.shape
    new_c = c // (b * b)
    out = np.empty((n, h * b, w * b, new_c), x.dtype)
    for i in range(h * b):
        for j in range(w * b):
            block = (i % b) * b + j % b
            for k in range(new_c):
                ch = block * new_c + k if fmt == "channels_last" else k * b * b + block
                out[:, i, j, k] = x[:, i // b, j // b, ch]
    return out if fmt == "channels_last" else np.moveaxis(out, -1, 1)


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_depth_to_space_and_space_to_depth(fmt):
    x = rand((2, 3, 2, 8), 1)
    if fmt == "channels_first":
        x = np.moveaxis(x, -1, 1)
    ref = _depth_to_space_reference(x, 2, fmt)
    y = ops.depth_to_space(x, 2, data_format=fmt)
    close(y.data, ref)
    close(ops.space_to_depth(ref, 2, data_format=fmt).data, x)
    assert_grads(lambda t: ops.depth_to_space(t, 2, data_format=fmt), x)
    assert_grads(lambda t: ops.space_to_depth(t, 2, data_format=fmt), ref)


def test_depth_and_space_errors():
    with pytest.raises(ValueError, match=r"depth_to_space: the number of channels \(6\) must "
                                         r"be divisible by block_size\*\*2 \(4\)"):
        ops.depth_to_space(np.ones((1, 2, 2, 6)), 2)
    with pytest.raises(ValueError, match=r"space_to_depth: height \(3\) and width \(4\) must "
                                         r"be divisible by block_size \(2\)"):
        ops.space_to_depth(np.ones((1, 3, 4, 1)), 2)
    with pytest.raises(ValueError, match=r"depth_to_space: expected a 4-D input"):
        ops.depth_to_space(np.ones((2, 4, 4)), 2)
    with pytest.raises(ValueError, match="space_to_depth: data_format must be"):
        ops.space_to_depth(np.ones((1, 2, 2, 1)), 2, data_format="NHWC")
    with pytest.raises(ValueError, match="block_size must be >= 1"):
        ops.depth_to_space(np.ones((1, 2, 2, 1)), 0)


def _adaptive_reference(x, sizes, reduce):
    """Channels-last adaptive pooling with PyTorch's windows, box by box."""
    spatial = x.shape[1:-1]
    out = np.empty((x.shape[0], *sizes, x.shape[-1]))
    for idx in np.ndindex(*sizes):
        box = tuple(slice((i * n) // o, -((-(i + 1) * n) // o))
                    for i, n, o in zip(idx, spatial, sizes))
        out[(slice(None), *idx)] = reduce(x[(slice(None), *box)], axis=tuple(
            range(1, 1 + len(sizes))))
    return out


@pytest.mark.parametrize("op,reduce", [(ops.adaptive_average_pool, np.mean),
                                       (ops.adaptive_max_pool, np.max)], ids=["avg", "max"])
@pytest.mark.parametrize("shape,size", [((2, 7, 3), (3,)), ((1, 5, 7, 2), (2, 4)),
                                        ((1, 4, 5, 3, 2), (3, 2, 3))], ids=str)
def test_adaptive_pools(op, reduce, shape, size):
    x = rand(shape, 1)
    close(op(x, size).data, _adaptive_reference(x, size, reduce))
    cf = np.moveaxis(x, -1, 1)
    close(op(cf, size, data_format="channels_first").data,
          np.moveaxis(_adaptive_reference(x, size, reduce), -1, 1))
    assert_grads(lambda t: op(t, size), x)
    float32_run(lambda t: op(t, size), x)


def test_adaptive_pool_int_size_and_errors():
    x = rand((1, 6, 6, 1), 1)
    close(ops.adaptive_average_pool(x, 3).data, _adaptive_reference(x, (3, 3), np.mean))
    with pytest.raises(ValueError, match=r"adaptive_max_pool: expected a 3-D, 4-D or 5-D "
                                         r"input.*\(6, 6\)"):
        ops.adaptive_max_pool(np.ones((6, 6)), 2)
    with pytest.raises(ValueError, match="adaptive_average_pool: output_size must be"):
        ops.adaptive_average_pool(x, (2, 0))


def _unfold_reference(x, k, d, p, s):
    n, c, h, w = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.empty((n, c, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            for a in range(oh):
                for b in range(ow):
                    out[:, :, i, j, a, b] = xp_[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


GEOMETRIES = [((2, 2), (1, 1), (0, 0), (1, 1)), ((3, 2), (2, 1), (1, 0), (2, 1)),
              ((2, 3), (1, 1), (1, 1), (2, 2))]


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_unfold_and_fold(geometry):
    k, d, p, s = geometry
    kwargs = {"kernel_size": k, "dilation": d, "padding": p, "stride": s}
    x = rand((2, 3, 6, 5), 1)
    cols = ops.unfold(x, **kwargs)
    close(cols.data, _unfold_reference(x, k, d, p, s))
    assert_grads(lambda t: ops.unfold(t, **kwargs), x)
    # fold is the adjoint of unfold: <unfold(x), c> == <x, fold(c)>
    c = rand(cols.shape, 2)
    folded = ops.fold(c, (6, 5), **kwargs)
    close((cols.data * c).sum(), (x * folded.data).sum())
    assert_grads(lambda t: ops.fold(t, (6, 5), **kwargs), c)
    float32_run(lambda t: ops.fold(t, (6, 5), **kwargs), c)


def test_fold_and_unfold_errors():
    with pytest.raises(ValueError, match=r"unfold: expected a 4-D input \(N, C, H, W\)"):
        ops.unfold(np.ones((3, 4, 4)), 2)
    with pytest.raises(ValueError, match=r"unfold: the kernel \(5, 5\)"):
        ops.unfold(np.ones((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match=r"fold: expected a 3-D input"):
        ops.fold(np.ones((1, 4, 4, 1)), 4, 2)
    with pytest.raises(ValueError, match=r"fold: an input of shape \(1, 4, 8\) does not match "
                                         r"output_size \(4, 4\)"):
        ops.fold(np.ones((1, 4, 8)), 4, 2)
    with pytest.raises(ValueError, match="unfold: stride must be"):
        ops.unfold(np.ones((1, 1, 4, 4)), 2, stride=0)


def test_polar():
    r, theta = rand((2, 3), 1, 0, 2), rand((2, 3), 2, -3, 3)
    z = ops.polar(r.astype("float32"), theta.astype("float32"))
    assert z.dtype == np.complex64
    close(z.data, r * np.exp(1j * theta), rtol=1e-5, atol=1e-6)
    assert ops.polar(r, theta).dtype == np.complex128
    v = ember.Variable(r.astype("float32"))
    with ember.GradientTape() as tape:
        y = ops.polar(v, theta.astype("float32"))
    with pytest.raises(NotImplementedError, match="polar: gradients through complex results"):
        tape.gradient(y, v)


def test_half_precision_normalizes_in_float32():
    x = (rand((2, 6), 1) * 100).astype("float16")
    ref = ops.layer_normalization(x.astype("float32")).numpy().astype("float16")
    y = ops.layer_normalization(x)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y.numpy(), ref)
    r = ops.rms_normalization(x)
    assert r.dtype == np.float16
    np.testing.assert_array_equal(
        r.numpy(), ops.rms_normalization(x.astype("float32")).numpy().astype("float16"))
