"""Normalization layers: BatchNormalization (training vs inference, moving statistics),
LayerNormalization, UnitNormalization."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np, weight_table

from ember import layers
from ember.backend import np


def test_batch_norm_training_uses_batch_statistics_and_updates_moving_ones():
    x = rng(1).standard_normal((16, 3, 4)).astype("float32") * 3 + 2
    layer = layers.BatchNormalization(momentum=0.9)
    layer.build(x.shape)
    layer.set_weights([np.array([1.0, 2.0, 0.5, 1.5]), np.array([0.0, 1.0, -1.0, 0.5]),
                       np.zeros(4), np.ones(4)])
    y = to_np(layer(x, training=True))
    x64 = x.astype("float64")
    mean, var = x64.mean(axis=(0, 1)), x64.var(axis=(0, 1))
    ref = (x64 - mean) / np.sqrt(var + 1e-3) * layer.gamma.numpy() + layer.beta.numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)


def test_batch_norm_inference_uses_moving_statistics():
    x = rng(2).standard_normal((5, 4)).astype("float32")
    layer = layers.BatchNormalization(epsilon=0.01)
    layer.build(x.shape)
    mm, mv = np.array([0.5, -1.0, 2.0, 0.0]), np.array([4.0, 0.25, 1.0, 2.0])
    layer.set_weights([np.full(4, 2.0), np.full(4, 0.5), mm, mv])
    for training in (False, None):
        y = to_np(layer(x, training=training))
        np.testing.assert_allclose(y, (x - mm) / np.sqrt(mv + 0.01) * 2 + 0.5, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mm)  # untouched at inference


def test_frozen_batch_norm_runs_in_inference_mode():
    x = rng(3).standard_normal((8, 3)).astype("float32") + 5
    layer = layers.BatchNormalization()
    layer(x)
    layer.trainable = False
    y = to_np(layer(x, training=True))
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0)


def test_batch_norm_channels_first_axis():
    x = rng(4).standard_normal((6, 3, 2, 2)).astype("float32")
    layer = layers.BatchNormalization(axis=1, center=False, scale=False)
    y = to_np(layer(x, training=True))
    ref = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(
        x.var(axis=(0, 2, 3), keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    assert weight_table(layer) == [("moving_mean", (3,)), ("moving_variance", (3,))]


def test_batch_norm_masked_statistics():
    x = rng(5).standard_normal((2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], dtype=bool)
    layer = layers.BatchNormalization(momentum=0.0)
    layer(x, training=True, mask=mask)
    sel = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), sel.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), sel.var(axis=0), rtol=1e-4)


@pytest.mark.parametrize("kwargs", [{}, {"center": False}, {"scale": False}, {"axis": 1}])
def test_batch_norm_gradients_training(kwargs):
    layer = layers.BatchNormalization(dtype="float64", **kwargs)
    grad_check(layer, rng(6).standard_normal((5, 3, 2)),
               call=lambda l, t: l(t, training=True))


def test_batch_norm_gradients_inference():
    layer = layers.BatchNormalization(dtype="float64")
    x = rng(7).standard_normal((4, 3))
    layer(x)
    layer.moving_mean.assign(np.array([0.1, -0.2, 0.3]))
    layer.moving_variance.assign(np.array([0.5, 2.0, 1.5]))
    grad_check(layer, x, call=lambda l, t: l(t, training=False))


def test_batch_norm_masked_gradients():
    mask = np.array([[1, 1, 0], [1, 0, 1]], dtype=bool)
    layer = layers.BatchNormalization(dtype="float64")
    grad_check(layer, rng(8).standard_normal((2, 3, 2)),
               call=lambda l, t: l(t, training=True, mask=mask))


def test_batch_norm_keras_layout_and_config():
    layer = layers.BatchNormalization()
    layer.build((None, 28, 28, 32))
    assert weight_table(layer) == [("gamma", (32,)), ("beta", (32,)), ("moving_mean", (32,)),
                                   ("moving_variance", (32,))]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]
    cfg = layer.get_config()
    assert list(cfg)[3:] == [
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
        "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
        "synchronized", "renorm", "renorm_clipping", "renorm_momentum"]
    assert (cfg["axis"], cfg["momentum"], cfg["epsilon"]) == (-1, 0.99, 0.001)
    assert cfg["gamma_initializer"]["class_name"] == "Ones"
    no_scale = layers.BatchNormalization(scale=False)
    no_scale.build((None, 4))
    assert [n for n, _ in weight_table(no_scale)] == ["beta", "moving_mean", "moving_variance"]


def test_layer_norm_matches_numpy():
    x = rng(9).standard_normal((4, 3, 5)).astype("float32")
    layer = layers.LayerNormalization()
    layer.build(x.shape)
    g, b = rng(10).standard_normal(5), rng(11).standard_normal(5)
    layer.set_weights([g, b])
    y = to_np(layer(x))
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * g + b
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    # several axes, and a non-trailing axis
    for axis in ([1, 2], 1):
        layer = layers.LayerNormalization(axis=axis, center=False)
        y = to_np(layer(x))
        ax = tuple(axis) if isinstance(axis, list) else (axis,)
        ref = (x - x.mean(ax, keepdims=True)) / np.sqrt(x.var(ax, keepdims=True) + 1e-3)
        np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


def test_layer_norm_rms_scaling():
    x = rng(12).standard_normal((3, 6)).astype("float32")
    y = to_np(layers.LayerNormalization(rms_scaling=True)(x))
    np.testing.assert_allclose(y, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3), rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"axis": [1, 2]}, {"axis": 1}, {"scale": False},
                                    {"center": False}, {"rms_scaling": True}])
def test_layer_norm_gradients(kwargs):
    layer = layers.LayerNormalization(dtype="float64", **kwargs)
    x = rng(13).standard_normal((2, 3, 4))
    layer.build(x.shape)
    for w in layer.trainable_weights:  # non-trivial gamma and beta
        w.assign(rng(14).standard_normal(w.shape))
    grad_check(layer, x)


def test_layer_norm_layout_and_config():
    layer = layers.LayerNormalization()
    assert layer.get_config()["axis"] == -1 and layer.get_config()["epsilon"] == 1e-3
    layer.build((None, 7, 16))
    assert weight_table(layer) == [("gamma", (16,)), ("beta", (16,))]
    assert layer.get_config()["axis"] == [-1]  # Keras stores a list once built
    assert "rms_scaling" in layer.get_config()


def test_unit_normalization():
    x = rng(15).standard_normal((3, 4)).astype("float32")
    x[1] = 0
    y = to_np(layers.UnitNormalization()(x))
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    np.testing.assert_allclose(y, np.where(norms > 0, x / np.maximum(norms, 1e-12), 0),
                               rtol=1e-5)
    y2 = to_np(layers.UnitNormalization(axis=[1, 2])(x.reshape(3, 2, 2)))
    np.testing.assert_allclose(np.sqrt((y2 ** 2).sum(axis=(1, 2)))[[0, 2]], 1, rtol=1e-5)
    grad_check(layers.UnitNormalization(dtype="float64"), rng(16).standard_normal((2, 3)))


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.BatchNormalization(momentum=0.5, epsilon=1e-2, center=False), (4, 3)),
    (lambda: layers.LayerNormalization(axis=[1, 2], epsilon=1e-5), (2, 3, 4)),
    (lambda: layers.UnitNormalization(axis=1), (2, 3, 4)),
])
def test_config_round_trip(make, shape):
    assert_roundtrip(make(), rng(17).standard_normal(shape).astype("float32"))


def test_errors():
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': axis 3.*rank 2.*\(4, 3\)"):
        layers.BatchNormalization(axis=3, name="bn")(np.zeros((4, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"BatchNormalization.*momentum.*1.5"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match=r"LayerNormalization.*epsilon.*-1"):
        layers.LayerNormalization(epsilon=-1)
    with pytest.raises(TypeError, match=r"LayerNormalization.*axis.*'a'"):
        layers.LayerNormalization(axis="a")
    bn = layers.BatchNormalization(name="bn2")
    bn(np.zeros((2, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn2'.*\(2, 5\)"):
        bn(np.zeros((2, 5), dtype="float32"))


def test_bias_act_flushes_subnormal_gradients():
    """Subnormal gradients (which slow every later GEMM ~100x) leave the conv tail as zeros."""
    from ember.autodiff.tape import GradientTape
    from ember.autodiff.tensor import Tensor
    from ember.ops.normalization import bias_act

    x = Tensor(np.array([[1.0, -1.0, 2.0, 3.0]], dtype="float32"))
    b = Tensor(np.zeros(4, dtype="float32"))
    gy = np.array([[1e-40, 5.0, -3e-39, 2.0]], dtype="float32")
    for relu, expected in ((True, [0.0, 0.0, 0.0, 2.0]), (False, [0.0, 5.0, 0.0, 2.0])):
        with GradientTape() as tape:
            tape.watch(x)
            y = bias_act(x, b, relu=relu)
        (gx,) = tape.gradient(y, [x], output_gradients=[gy])
        np.testing.assert_array_equal(to_np(gx), [expected])


def test_subnormal_detection_samples_whole_samples():
    from ember.ops.normalization import _has_subnormals

    g = np.ones((8, 26, 26, 4), dtype="float32")
    g[:, :, :, 1] = 0.0  # zeros (ReLU) are not subnormal
    assert not _has_subnormals(g)
    g[3] = 1e-40  # one confidently classified sample: its whole gradient underflows
    assert _has_subnormals(g)
