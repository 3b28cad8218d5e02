"""Activation layers (ReLU, LeakyReLU, ELU, Softmax, PReLU): forward against NumPy, gradients
(PReLU's alpha included), masks, Keras configs, save/load, errors; and the pooling layers'
Keras 3 signatures."""

import inspect
import json
import os

import pytest
from layer_harness import assert_roundtrip, rng, to_np, weight_table

import ember
from ember import layers, registry
from ember.autodiff.gradcheck import check_gradients
from ember.autodiff.tensor import Tensor
from ember.backend import np

BASE_KEYS = {"name", "trainable", "dtype"}
# Keras 3's get_config keys beyond the base ones (keras/src/layers/activations/*.py)
KERAS_KEYS = {
    "ReLU": {"max_value", "negative_slope", "threshold"},
    "LeakyReLU": {"negative_slope"},
    "ELU": {"alpha"},
    "Softmax": {"axis"},
    "PReLU": {"alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"},
}


def ref_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    top = np.inf if max_value is None else max_value
    return np.where(x > threshold, np.minimum(x, top), negative_slope * (x - threshold))


def ref_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def data(shape, seed=0):
    return rng(seed).standard_normal(shape).astype("float32") * 2


# -- forward against NumPy ----------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 1.5}, {"negative_slope": 0.1}, {"threshold": 0.4},
    {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}, {"max_value": 6},
    {"max_value": 0.0}, {"negative_slope": 0.2, "threshold": 0.5}])
def test_relu_matches_numpy(kwargs):
    x = data((3, 7))
    layer = layers.ReLU(**kwargs)
    y = to_np(layer(x))
    np.testing.assert_allclose(y, ref_relu(x.astype("float64"), **kwargs), rtol=1e-6,
                               atol=1e-6)
    assert y.dtype == np.float32 and y.shape == x.shape


def test_relu_keras_docstring_example():
    layer = layers.ReLU(max_value=10, negative_slope=0.5, threshold=0)
    y = to_np(layer(np.array([[-10, -5, 0.0, 5, 10]])))
    np.testing.assert_allclose(y, [[-5.0, -2.5, 0.0, 5.0, 10.0]])


@pytest.mark.parametrize("slope", [None, 0.0, 0.5])
def test_leaky_relu_matches_numpy(slope):
    x = data((4, 5), seed=1)
    layer = layers.LeakyReLU() if slope is None else layers.LeakyReLU(negative_slope=slope)
    s = 0.3 if slope is None else slope
    assert layer.negative_slope == s  # Keras 3's default is 0.3
    np.testing.assert_allclose(to_np(layer(x)), np.where(x >= 0, x, s * x), rtol=1e-6)


def test_leaky_relu_accepts_legacy_alpha():
    with pytest.warns(UserWarning, match="LeakyReLU.*alpha.*negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert layer.get_config()["negative_slope"] == 0.1 and "alpha" not in layer.get_config()
    x = data((2, 3))
    np.testing.assert_allclose(to_np(layer(x)), np.where(x >= 0, x, 0.1 * x), rtol=1e-6)


@pytest.mark.parametrize("alpha", [1.0, 0.5, 2])
def test_elu_matches_numpy(alpha):
    x = data((3, 6), seed=2)
    ref = np.where(x > 0, x, alpha * np.expm1(x.astype("float64")))
    np.testing.assert_allclose(to_np(layers.ELU(alpha=alpha)(x)), ref, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("axis", [-1, 1, 0, [1, 2], (0, 2), [-1]])
def test_softmax_matches_numpy(axis):
    x = data((2, 3, 4), seed=3)
    layer = layers.Softmax(axis=axis)
    y = to_np(layer(x))
    ref_axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    np.testing.assert_allclose(y, ref_softmax(x.astype("float64"), ref_axis), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(y.sum(axis=ref_axis), 1.0, rtol=1e-5)


def test_softmax_mask_gives_masked_positions_nothing():
    x = data((3, 5), seed=4)
    mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
    y = to_np(layers.Softmax()(x, mask=mask))
    for i in range(3):
        ref = np.zeros(5)
        if mask[i].any():
            ref[mask[i]] = ref_softmax(x[i, mask[i]].astype("float64"), -1)
        np.testing.assert_allclose(y[i], ref, rtol=1e-5, atol=1e-7)
    # numbers as a mask: true above 0.5
    y2 = to_np(layers.Softmax()(x, mask=mask.astype("float32") * 0.9))
    np.testing.assert_allclose(y2, y)


def test_softmax_mask_broadcasts_as_keras():
    x = data((2, 4, 4), seed=5)
    mask = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], dtype=bool)[:, None, :]  # (2, 1, 4)
    y = to_np(layers.Softmax()(x, mask=mask))
    full = np.broadcast_to(mask, x.shape)
    logits = np.where(full, x.astype("float64"), -1e9)
    np.testing.assert_allclose(y, np.where(full, ref_softmax(logits, -1), 0.0), atol=1e-7)


def test_softmax_uses_the_input_mask_and_passes_it_on():
    x = Tensor(data((2, 3), seed=6))
    mask = np.array([[True, False, True], [True, True, False]])
    x._keras_mask = mask
    y = layers.Softmax()(x)
    assert y.numpy()[0, 1] == 0 and y.numpy()[1, 2] == 0
    np.testing.assert_array_equal(y._keras_mask, mask)


@pytest.mark.parametrize("cls,kwargs", [(layers.ReLU, {}), (layers.LeakyReLU, {}),
                                        (layers.ELU, {}), (layers.PReLU, {})])
def test_elementwise_layers_pass_masks_through(cls, kwargs):
    x = Tensor(data((2, 3, 4)))
    x._keras_mask = np.array([[True, False, True], [True, True, False]])
    y = cls(**kwargs)(x)
    np.testing.assert_array_equal(y._keras_mask, x._keras_mask)


# -- PReLU's weight ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,shared,alpha_shape", [
    ((2, 4, 5, 3), None, (4, 5, 3)), ((2, 4, 5, 3), [1, 2], (1, 1, 3)),
    ((2, 4, 5, 3), 3, (4, 5, 1)), ((2, 6), None, (6,)), ((2, 4, 5), (1,), (1, 5))])
def test_prelu_alpha_shape_and_forward(shape, shared, alpha_shape):
    layer = layers.PReLU(alpha_initializer="random_uniform", shared_axes=shared)
    x = data(shape, seed=7)
    y = to_np(layer(x))
    assert weight_table(layer) == [("alpha", alpha_shape)]
    assert layer.alpha.path == f"{layer.name}/alpha" and layer.count_params() == np.prod(
        alpha_shape)
    alpha = layer.alpha.numpy()
    np.testing.assert_allclose(y, np.where(x >= 0, x, alpha * x), rtol=1e-6)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:]


def test_prelu_starts_as_relu():
    x = data((3, 4), seed=8)
    np.testing.assert_allclose(to_np(layers.PReLU()(x)), np.maximum(x, 0))


def test_prelu_shared_axes_may_be_unknown():
    model = ember.Sequential([ember.Input((None, 3)), layers.PReLU(shared_axes=[1])])
    assert model.layers[0].alpha.shape == (1, 3)
    assert to_np(model(data((2, 7, 3)))).shape == (2, 7, 3)


# -- gradients -----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    lambda: layers.ReLU(), lambda: layers.ReLU(max_value=1.0, negative_slope=0.2, threshold=0.3),
    lambda: layers.LeakyReLU(), lambda: layers.ELU(alpha=0.7), lambda: layers.Softmax(),
    lambda: layers.Softmax(axis=[1, 2]), lambda: layers.Softmax(axis=1)],
    ids=["relu", "relu_all_options", "leaky", "elu", "softmax", "softmax_2_axes",
         "softmax_axis_1"])
def test_gradients(layer):
    layer = layer()
    check_gradients(lambda t: layer(t), [data((2, 3, 4), seed=9)])


def test_softmax_masked_gradients():
    mask = np.array([[1, 0, 1, 1], [0, 1, 1, 0]], dtype=bool)[:, None, :]
    layer = layers.Softmax()
    check_gradients(lambda t: layer(t, mask=mask), [data((2, 3, 4), seed=10)])


@pytest.mark.parametrize("shared", [None, [1, 2], [2]])
def test_prelu_gradients_reach_alpha(shared):
    layer = layers.PReLU(alpha_initializer="random_uniform", shared_axes=shared)
    x = data((3, 2, 4, 2), seed=11)
    layer(x)
    errors = check_gradients(lambda t: layer(t), [x], variables=layer.trainable_weights)
    assert set(errors) == {"input_0", layer.alpha.path}


def test_prelu_training_step_moves_alpha():
    model = ember.Sequential([ember.Input((4,)), layers.Dense(4), layers.PReLU(),
                              layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = data((16, 4), seed=12), data((16, 1), seed=13)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    assert np.abs(model.layers[1].alpha.numpy()).max() > 0


# -- configs -------------------------------------------------------------------------------------
CONFIGURED = {
    "ReLU": lambda: layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5),
    "LeakyReLU": lambda: layers.LeakyReLU(negative_slope=0.05),
    "ELU": lambda: layers.ELU(alpha=0.4),
    "Softmax": lambda: layers.Softmax(axis=[1, 2]),
    "PReLU": lambda: layers.PReLU(alpha_initializer="random_normal", alpha_regularizer="l2",
                                  alpha_constraint="non_neg", shared_axes=2),
}


@pytest.mark.parametrize("name", sorted(CONFIGURED))
def test_config_has_keras_keys_and_round_trips(name):
    layer = CONFIGURED[name]()
    assert set(layer.get_config()) == BASE_KEYS | KERAS_KEYS[name]
    assert_roundtrip(layer, data((2, 3, 4), seed=14))
    envelope = registry.serialize(layer)
    assert envelope["class_name"] == name and envelope["module"] == "keras.layers"


def test_default_configs_match_keras():
    assert layers.ReLU().get_config()["max_value"] is None
    assert layers.LeakyReLU().get_config()["negative_slope"] == 0.3
    assert layers.ELU().get_config()["alpha"] == 1.0
    assert layers.Softmax().get_config()["axis"] == -1
    cfg = layers.PReLU().get_config()
    assert cfg["alpha_initializer"]["class_name"] == "Zeros" and cfg["shared_axes"] is None
    assert layers.PReLU(shared_axes=1).get_config()["shared_axes"] == [1]


@pytest.mark.parametrize("name", sorted(CONFIGURED))
def test_save_load_roundtrip_gives_identical_outputs(name, tmp_path):
    pytest.importorskip("h5py")
    model = ember.Sequential([ember.Input((3, 4)), layers.Dense(4), CONFIGURED[name](),
                              layers.Flatten(), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x = data((8, 3, 4), seed=15)
    model.fit(x, data((8, 2), seed=16), batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = ember.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[1]) is type(model.layers[1])
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_layers_compute_like_keras():
    """Where Keras (on JAX) is installed, the same layers give the same outputs."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras", reason="keras (with a backend) is not installed")
    x = data((2, 3, 4), seed=17)
    mask = rng(18).random((2, 3, 4)) > 0.3
    for name, make in sorted(CONFIGURED.items()):
        ours = make()
        theirs = getattr(keras.layers, name).from_config(
            json.loads(json.dumps(ours.get_config())))
        kwargs = {"mask": mask} if name == "Softmax" else {}
        y = to_np(ours(x, **kwargs))
        theirs(x)
        theirs.set_weights(ours.get_weights())
        np.testing.assert_allclose(np.asarray(theirs(x, **kwargs)), y, rtol=1e-5, atol=1e-6,
                                   err_msg=name)


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,match", [
    ({"max_value": -1.0}, ValueError, r"ReLU: `max_value` must be .*Received: max_value=-1.0"),
    ({"negative_slope": -0.1}, ValueError, r"ReLU: `negative_slope`.*-0.1"),
    ({"negative_slope": None}, TypeError, r"ReLU: `negative_slope`.*None"),
    ({"threshold": -2}, ValueError, r"ReLU: `threshold`.*-2"),
    ({"threshold": "0"}, TypeError, r"ReLU: `threshold`.*'0'"),
    ({"max_value": float("nan")}, ValueError, r"ReLU: `max_value`.*nan")])
def test_relu_rejects_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        layers.ReLU(**kwargs)


def test_leaky_relu_and_elu_reject_bad_arguments():
    with pytest.raises(ValueError, match=r"LeakyReLU: `negative_slope`.*-0.5"):
        layers.LeakyReLU(negative_slope=-0.5)
    with pytest.raises(TypeError, match=r"LeakyReLU: `negative_slope`.*None"):
        layers.LeakyReLU(negative_slope=None)
    with pytest.raises(TypeError, match=r"ELU: `alpha` must be a number.*'big'"):
        layers.ELU(alpha="big")
    with pytest.raises(TypeError, match="LeakyReLU: unrecognized keyword arguments"):
        layers.LeakyReLU(slope=0.1)


def test_softmax_rejects_bad_axis_and_mask():
    with pytest.raises(TypeError, match=r"Softmax: `axis`.*'last'"):
        layers.Softmax(axis="last")
    with pytest.raises(TypeError, match=r"Softmax: `axis`.*\[\]"):
        layers.Softmax(axis=[])
    with pytest.raises(ValueError, match=r"Softmax 'sm'.*axis 3.*rank 3.*\(2, 3, 4\)"):
        layers.Softmax(axis=3, name="sm")(data((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Softmax 'sm2'.*repeated axes.*\(2, 3, 4\)"):
        layers.Softmax(axis=[1, -2], name="sm2")(data((2, 3, 4)))
    with pytest.raises(ValueError, match=r"Softmax 'sm3'.*input of shape \(2, 3\) and mask of "
                                         r"shape \(2, 4\)"):
        layers.Softmax(name="sm3")(data((2, 3)), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match=r"Softmax 'sm4'.*mask of shape \(1, 2, 3\)"):
        layers.Softmax(name="sm4")(data((2, 3)), mask=np.ones((1, 2, 3), bool))


def test_prelu_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"PReLU: `shared_axes` are 1-based.*\[0, 1\]"):
        layers.PReLU(shared_axes=[0, 1])
    with pytest.raises(TypeError, match=r"PReLU: `shared_axes` must be.*'1'"):
        layers.PReLU(shared_axes="1")
    with pytest.raises(ValueError, match=r"PReLU 'pr'.*axes \[3\] beyond.*rank 3.*\(2, 4, 5\)"):
        layers.PReLU(shared_axes=[1, 3], name="pr")(data((2, 4, 5)))
    with pytest.raises(ValueError, match=r"PReLU 'pr2'.*known.*\(None, None, 3\)"):
        ember.Sequential([ember.Input((None, 3)), layers.PReLU(name="pr2")])
    layer = layers.PReLU(name="pr3")
    layer(data((2, 4, 5)))
    with pytest.raises(ValueError, match=r"pr3.*\(2, 4, 6\)"):
        layer(data((2, 4, 6)))
    with pytest.raises(ValueError, match=r"PReLU 'pr4'.*rank >= 2.*\(5,\)"):
        layers.PReLU(name="pr4")(np.ones(5, "float32"))


# -- pooling's Keras 3 signatures ------------------------------------------------------------------
def test_max_pooling_defaults_pool_size_to_two():
    for cls, pool in [(layers.MaxPooling1D, (2,)), (layers.MaxPooling2D, (2, 2))]:
        layer = cls()
        assert layer.pool_size == pool and layer.strides == pool
        assert layer.get_config()["pool_size"] == list(pool)
    assert to_np(layers.MaxPooling2D()(data((1, 6, 6, 2)))).shape == (1, 3, 3, 2)
    assert to_np(layers.MaxPooling1D()(data((1, 6, 2)))).shape == (1, 3, 2)


def test_average_pooling_needs_pool_size_as_in_keras_3():
    # Keras 3 gives AveragePooling1D/2D no pool_size default (unlike MaxPooling and tf.keras 2)
    for cls in (layers.AveragePooling1D, layers.AveragePooling2D):
        param = inspect.signature(cls.__init__).parameters["pool_size"]
        assert param.default is inspect.Parameter.empty
        with pytest.raises(TypeError, match="pool_size"):
            cls()
