"""Core layers against NumPy references; gradients; configs; errors."""

import numpy as np
import pytest

import ember
from ember import layers
from ember.autodiff.gradcheck import check_gradients


def test_dense_forward_matches_numpy():
    layer = layers.Dense(3, activation="relu")
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    y = layer(x)
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), np.maximum(x @ k + b, 0), rtol=1e-6)
    assert y.dtype == np.float32
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.kernel.shape == (5, 3) and layer.bias.shape == (3,)


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "softmax", "sigmoid"])
def test_dense_gradients(activation):
    layer = layers.Dense(3, activation=activation)
    x = np.random.default_rng(1).standard_normal((4, 5))
    layer(x)
    check_gradients(lambda t: layer(t), [x], variables=layer.trainable_weights)


def test_dense_applies_to_last_axis_of_3d_input():
    layer = layers.Dense(2, use_bias=False)
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    y = layer(x).numpy()
    np.testing.assert_allclose(y, x.astype("float32") @ layer.kernel.numpy(), rtol=1e-5)
    assert len(layer.weights) == 1
    check_gradients(lambda t: layer(t), [x], variables=layer.trainable_weights)


def test_dense_casts_float64_input_to_float32():
    layer = layers.Dense(2)
    assert layer(np.ones((1, 3))).dtype == np.float32


@pytest.mark.parametrize("units", [0, -3, 2.5, "4"])
def test_dense_rejects_bad_units(units):
    with pytest.raises(ValueError, match="Dense: `units` must be a positive integer"):
        layers.Dense(units)


def test_dense_wrong_input_size_names_layer_and_shape():
    layer = layers.Dense(4, name="dense_x")
    layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dense_x.*expected axis -1.*value 3.*\(2, 5\)"):
        layer(np.ones((2, 5)))


def test_dense_hints_flatten_for_images():
    model = ember.Sequential([ember.Input((28, 28)), layers.Dense(3)])
    with pytest.raises(ValueError, match="Flatten"):
        model.layers[0](np.ones((2, 28, 29)))


def test_flatten_reshape_permute_repeat():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.reshape(2, 12))
    np.testing.assert_array_equal(layers.Reshape((4, 3))(x).numpy(), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(layers.Reshape((-1, 2))(x).numpy(), x.reshape(2, 6, 2))
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    v = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(layers.RepeatVector(4)(v).numpy(),
                                  np.repeat(v[:, None, :], 4, axis=1))
    for layer in (layers.Flatten(), layers.Reshape((4, 3)), layers.Permute((2, 1))):
        check_gradients(lambda t, layer=layer: layer(t), [x.astype("float64")])
    check_gradients(lambda t: layers.RepeatVector(2)(t), [v.astype("float64")])


def test_reshape_errors():
    with pytest.raises(ValueError, match="Reshape.*cannot reshape|differs from target_shape"):
        layers.Reshape((5,))(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="at most one dimension may be -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="Permute: `dims` must be a permutation"):
        layers.Permute((1, 3))


def test_dropout_only_when_training():
    layer = layers.Dropout(0.5)
    x = np.ones((200, 50), dtype="float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    kept = y != 0
    assert 0.4 < kept.mean() < 0.6
    np.testing.assert_allclose(y[kept], 2.0)
    with pytest.raises(ValueError, match="Dropout: `rate`"):
        layers.Dropout(1.5)


def test_dropout_gradient_uses_the_same_mask():
    layer = layers.Dropout(0.3, seed=3)
    x = ember.Variable(np.ones((4, 6), dtype="float32"))
    with ember.GradientTape() as tape:
        y = layer(x, training=True)
        loss = ember.ops.sum(y)
    g = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(g, y.numpy())


def test_activation_layer_and_lambda():
    x = np.array([[-1.0, 2.0]], dtype="float32")
    np.testing.assert_array_equal(layers.Activation("relu")(x).numpy(), [[0, 2]])
    lam = layers.Lambda(lambda t: t * 2)
    np.testing.assert_array_equal(lam(x).numpy(), x * 2)
    assert lam.get_config()["function"]["class_name"] == "__lambda__"  # bytecode, as Keras


def test_dense_config_round_trip_gives_same_layer():
    layer = layers.Dense(4, activation="tanh", use_bias=False, name="d")
    config = layer.get_config()
    assert config["units"] == 4 and config["activation"] == "tanh"
    assert config["dtype"]["class_name"] == "DTypePolicy"
    clone = layers.Dense.from_config(config)
    x = np.ones((2, 3), dtype="float32")
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_unknown_kwarg_is_rejected():
    with pytest.raises(TypeError, match="unrecognized keyword arguments"):
        layers.Dense(3, bogus=1)
