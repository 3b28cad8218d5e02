"""TimeDistributed: forward against per-step NumPy, gradients (through Dense and Conv2D weights),
masks, training flag, Keras config and weight layout, save/load, errors."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np, weight_table

import ember
from ember import layers, registry
from ember.autodiff.gradcheck import check_gradients
from ember.autodiff.tensor import Tensor
from ember.backend import np


def data(shape, seed=0):
    return rng(seed).standard_normal(shape).astype("float32")


# -- forward -------------------------------------------------------------------------------------
def test_dense_on_every_step_matches_numpy():
    layer = layers.TimeDistributed(layers.Dense(3, activation="tanh"))
    x = data((4, 5, 6))
    y = to_np(layer(x))
    k, b = layer.layer.kernel.numpy(), layer.layer.bias.numpy()
    np.testing.assert_allclose(y, np.tanh(np.einsum("ntf,fu->ntu", x, k) + b), rtol=1e-5,
                               atol=1e-6)
    assert y.dtype == np.float32 and y.shape == (4, 5, 3)
    assert layer.compute_output_shape((None, 5, 6)) == (None, 5, 3)
    assert layer.compute_output_shape((None, None, 6)) == (None, None, 3)


def test_conv2d_on_every_frame_matches_per_step_calls():
    conv = layers.Conv2D(2, 3, padding="same")
    layer = layers.TimeDistributed(conv)
    x = data((2, 3, 6, 6, 2), seed=1)
    y = to_np(layer(x))
    per_step = np.stack([to_np(conv(x[:, t])) for t in range(3)], axis=1)
    np.testing.assert_allclose(y, per_step, rtol=1e-5, atol=1e-6)
    assert layer.compute_output_shape((None, 3, 6, 6, 2)) == (None, 3, 6, 6, 2)


def test_functional_model_with_unknown_time():
    inp = ember.Input((None, 4))
    out = layers.TimeDistributed(layers.Dense(2))(inp)
    assert out.shape == (None, None, 2)
    model = ember.Model(inp, out)
    for steps in (1, 3, 7):
        assert model.predict(data((2, steps, 4)), verbose=0).shape == (2, steps, 2)


def test_inner_layer_without_compute_output_shape():
    inp = ember.Input((3, 5, 4))
    out = layers.TimeDistributed(layers.LSTM(2, return_sequences=True))(inp)
    assert out.shape == (None, 3, 5, 2)


def test_weights_are_the_wrapped_layers():
    dense = layers.Dense(3)
    layer = layers.TimeDistributed(dense)
    layer(data((2, 4, 5)))
    assert weight_table(layer) == [("kernel", (5, 3)), ("bias", (3,))]
    assert layer.weights[0] is dense.kernel and layer.count_params() == 18
    layer.trainable = False
    assert layer.trainable_weights == [] and dense.trainable is False


def test_training_flag_reaches_the_wrapped_layer():
    layer = layers.TimeDistributed(layers.Dropout(0.5, seed=1))
    x = np.ones((2, 4, 8), "float32")
    np.testing.assert_array_equal(to_np(layer(x)), x)
    y = to_np(layer(x, training=True))
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == 0).any()


def test_wrapped_layer_losses_are_collected():
    layer = layers.TimeDistributed(layers.Dense(2, kernel_regularizer="l2"))
    layer(data((2, 3, 4)))
    assert len(layer.losses) == 1


# -- masks ---------------------------------------------------------------------------------------
def test_step_mask_passes_through():
    x = Tensor(data((2, 4, 3)))
    x._keras_mask = np.array([[True, True, False, False], [True, True, True, False]])
    y = layers.TimeDistributed(layers.Dense(5))(x)
    np.testing.assert_array_equal(y._keras_mask, x._keras_mask)


def test_embedding_mask_flows_through_a_model():
    model = ember.Sequential([ember.Input((4,), dtype="int32"),
                              layers.Embedding(10, 3, mask_zero=True),
                              layers.TimeDistributed(layers.Dense(2))])
    ids = np.array([[1, 2, 0, 0], [3, 0, 0, 0]], dtype="int32")
    y = model(ids)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), ids != 0)


def test_mask_with_inner_axes_is_folded_for_the_wrapped_layer():
    x = data((2, 3, 4, 5), seed=2)
    mask = rng(3).random((2, 3, 4)) > 0.4
    mask[:, :, 0] = True
    t = Tensor(x)
    t._keras_mask = mask
    y = layers.TimeDistributed(layers.GlobalAveragePooling1D())(t)
    ref = np.stack([[x[b, s][mask[b, s]].mean(axis=0) for s in range(3)] for b in range(2)])
    np.testing.assert_allclose(to_np(y), ref, rtol=1e-5, atol=1e-6)
    # the wrapped layer drops its mask: the output keeps a step wherever any of it was kept
    np.testing.assert_array_equal(y._keras_mask, mask.any(axis=-1))


def test_folded_mask_reaches_an_inner_rnn():
    x = data((2, 3, 5, 4), seed=4)
    mask = np.ones((2, 3, 5), bool)
    mask[:, :, 3:] = False
    lstm = layers.LSTM(2, return_sequences=True)
    t = Tensor(x)
    t._keras_mask = mask
    y = layers.TimeDistributed(lstm)(t)
    ref = np.stack([to_np(lstm(x[:, s], mask=mask[:, s])) for s in range(3)], axis=1)
    np.testing.assert_allclose(to_np(y), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), mask)  # the LSTM's, unfolded


# -- gradients -----------------------------------------------------------------------------------
def test_dense_gradients():
    layer = layers.TimeDistributed(layers.Dense(3, activation="tanh"))
    errors = grad_check(layer, data((2, 4, 5), seed=5))
    assert set(errors) == {"input_0", layer.layer.kernel.path, layer.layer.bias.path}


def test_conv2d_gradients():
    layer = layers.TimeDistributed(layers.Conv2D(2, 2))
    grad_check(layer, data((2, 2, 4, 4, 1), seed=6))


def test_masked_inner_gradients():
    mask = np.ones((2, 2, 4), bool)
    mask[0, :, 2:] = False
    layer = layers.TimeDistributed(layers.GlobalAveragePooling1D())
    check_gradients(lambda t: layer(t, mask=mask), [data((2, 2, 4, 3), seed=7)])


def test_one_training_step_lowers_the_loss():
    model = ember.Sequential([ember.Input((5, 4)), layers.TimeDistributed(layers.Dense(3))])
    model.compile(optimizer="sgd", loss="mse")
    x, y = data((16, 5, 4), seed=8), data((16, 5, 3), seed=9)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


# -- config and saving ---------------------------------------------------------------------------
def test_config_is_keras_and_round_trips():
    layer = layers.TimeDistributed(layers.Dense(3, activation="relu", name="inner"), name="td")
    cfg = layer.get_config()
    assert set(cfg) == {"name", "trainable", "dtype", "layer"}
    assert cfg["layer"]["class_name"] == "Dense" and cfg["layer"]["module"] == "keras.layers"
    assert cfg["layer"]["config"]["name"] == "inner"
    clone = assert_roundtrip(layer, data((2, 4, 5)))
    assert type(clone.layer) is layers.Dense and clone.layer.units == 3
    envelope = registry.serialize(layers.TimeDistributed(layers.Conv2D(2, 3)))
    assert type(registry.deserialize(envelope, kind="layer").layer) is layers.Conv2D


def test_weights_are_saved_under_the_wrapper_as_keras(tmp_path):
    pytest.importorskip("h5py")
    from ember.saving import h5_store

    model = ember.Sequential([ember.Input((5, 4)), layers.TimeDistributed(layers.Dense(3))])
    paths = [p for p, _, kind in h5_store.walk(model) if kind == "layer"]
    assert paths == ["", "layers/time_distributed", "layers/time_distributed/layer"]
    model.compile(optimizer="adam", loss="mse")
    x = data((8, 5, 4), seed=10)
    model.fit(x, data((8, 5, 3), seed=11), batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = ember.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- errors --------------------------------------------------------------------------------------
def test_rejects_what_is_not_a_layer():
    with pytest.raises(ValueError, match=r"TimeDistributed: `layer` must be a layer.*'dense'"):
        layers.TimeDistributed("dense")


def test_rejects_inputs_without_a_time_axis():
    with pytest.raises(ValueError, match=r"TimeDistributed 'td'.*rank >= 3.*\(4, 5\)"):
        layers.TimeDistributed(layers.Dense(2), name="td")(data((4, 5)))
    with pytest.raises(ValueError, match=r"TimeDistributed 'td2'.*rank >= 3.*\(None, 5\)"):
        ember.Sequential([ember.Input((5,)), layers.TimeDistributed(layers.Dense(2),
                                                                    name="td2")])


def test_rejects_a_mask_of_another_batch_or_time():
    layer = layers.TimeDistributed(layers.Dense(2), name="td3")
    with pytest.raises(ValueError, match=r"TimeDistributed 'td3'.*input of shape \(2, 4, 3\) "
                                         r"and mask of shape \(2, 5\)"):
        layer(data((2, 4, 3)), mask=np.ones((2, 5), bool))
    with pytest.raises(ValueError, match=r"td3.*mask of shape \(2,\)"):
        layer(data((2, 4, 3)), mask=np.ones(2, bool))


def test_wrapped_layer_errors_name_it():
    layer = layers.TimeDistributed(layers.Dense(2, name="d"), name="td4")
    layer(data((2, 4, 3)))
    with pytest.raises(ValueError, match=r"'d'.*\(8, 5\)"):
        layer(data((2, 4, 5)))
