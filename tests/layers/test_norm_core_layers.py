"""GroupNormalization, RMSNormalization, SpectralNormalization, Wrapper, Identity, AlphaDropout,
SpatialDropout3D, ReversibleEmbedding and StackedRNNCells: what the layer parity harness
(tests/keras_parity) does not cover - training-time behaviour, error messages, the reverse call,
saving to and from Keras, ONNX export."""

import os

import numpy as np
import pytest

import ember
from ember import layers, ops


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# -- GroupNormalization ----------------------------------------------------------------------------
@pytest.mark.parametrize("groups", [0, -2, 1.5, True])
def test_group_norm_rejects_bad_groups(groups):
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(groups=groups)


@pytest.mark.parametrize("groups, channels, match", [(8, 4, "cannot be more"),
                                                     (3, 4, "multiple")])
def test_group_norm_groups_must_fit_channels(groups, channels, match):
    with pytest.raises(ValueError, match=match):
        layers.GroupNormalization(groups)(_x((2, 3, channels)))


def test_group_norm_instance_mode_resolves_groups_and_normalizes_each_channel():
    layer = layers.GroupNormalization(-1, epsilon=0.0)
    y = layer(_x((2, 5, 3))).numpy()
    assert layer.get_config()["groups"] == 3  # as Keras: the resolved count is saved
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=1), 1.0, atol=1e-4)


def test_group_norm_one_group_is_layer_norm_over_all_axes():
    x = _x((2, 3, 4))
    y = layers.GroupNormalization(1, epsilon=1e-3)(x).numpy()
    want = layers.LayerNormalization(axis=[1, 2], epsilon=1e-3)(x).numpy()
    np.testing.assert_allclose(y, want, atol=1e-5)


def test_group_norm_keeps_float16_inputs_in_float16():
    layer = layers.GroupNormalization(2, dtype="mixed_float16")
    y = layer(_x((2, 3, 4)).astype("float16"))
    assert str(y.dtype) == "float16"
    assert str(layer.gamma.dtype) == "float32"


# -- RMSNormalization ------------------------------------------------------------------------------
def test_rms_norm_formula_and_sorted_axes():
    layer = layers.RMSNormalization(axis=[2, 1], epsilon=1e-6)
    x = _x((2, 3, 4))
    y = layer(x).numpy()
    assert layer.axis == [1, 2] and layer.get_config()["axis"] == [1, 2]
    want = x / np.sqrt(np.mean(x ** 2, axis=(1, 2), keepdims=True) + 1e-6)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    assert [w.name for w in layer.weights] == ["scale"]


def test_rms_norm_axis_out_of_range():
    with pytest.raises(ValueError, match="out of bounds"):
        layers.RMSNormalization(axis=3).compute_output_shape((2, 3))


# -- Wrapper and Identity --------------------------------------------------------------------------
class _Twice(layers.Wrapper):
    def call(self, inputs):
        return ops.multiply(self.layer(inputs), 2.0)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def test_wrapper_builds_the_layer_under_its_name_and_round_trips_config():
    w = _Twice(layers.Dense(3), name="twice")
    y = w(_x((2, 4)))
    assert y.shape == (2, 3)
    assert [v.path for v in w.weights] == [f"twice/{w.layer.name}/kernel",
                                           f"twice/{w.layer.name}/bias"]
    cfg = w.get_config()
    assert cfg["layer"]["class_name"] == "Dense"
    clone = _Twice.from_config(cfg)
    assert isinstance(clone.layer, layers.Dense) and clone.layer.units == 3


def test_wrapper_rejects_a_non_layer():
    with pytest.raises(ValueError, match="isn't a supported layer"):
        layers.Wrapper("dense")


def test_identity_returns_its_input_and_mask():
    x = ember.Tensor(_x((2, 3, 4)))
    m = np.array([[True, True, False], [True, False, False]])
    x._keras_mask = m  # the mask travels on the tensor
    y = layers.Identity()(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_array_equal(np.asarray(y._keras_mask), m)
    inp = ember.Input((3,), dtype="int32")
    out = layers.Identity()(inp)
    assert out.shape == (None, 3) and out.dtype == "int32"


# -- SpectralNormalization -------------------------------------------------------------------------
def test_spectral_norm_training_normalizes_the_kernel_and_inference_does_not():
    sn = layers.SpectralNormalization(layers.Dense(4), power_iterations=1)
    x = _x((3, 5))
    sn(x)
    kernel = sn.layer.kernel.numpy().copy()
    sn(x, training=False)
    np.testing.assert_array_equal(sn.layer.kernel.numpy(), kernel)
    u0 = sn.vector_u.numpy().copy()
    for _ in range(30):  # power iteration converges to the largest singular value
        sn(x, training=True)
    assert not np.allclose(sn.vector_u.numpy(), u0)
    sigma = np.linalg.svd(sn.layer.kernel.numpy(), compute_uv=False)[0]
    np.testing.assert_allclose(sigma, 1.0, rtol=1e-3)
    assert sn.kernel is sn.layer.kernel


def test_spectral_norm_gradient_flows_to_the_wrapped_layer():
    sn = layers.SpectralNormalization(layers.Dense(2))
    x = ember.Tensor(_x((3, 4)))
    with ember.GradientTape() as tape:
        y = ops.sum(sn(x, training=True))
    grads = tape.gradient(y, sn.trainable_weights)
    assert [v.name for v in sn.trainable_weights] == ["kernel", "bias"]
    assert all(g is not None for g in grads)
    np.testing.assert_allclose(grads[1].numpy(), [3.0, 3.0])  # d sum / d bias


def test_spectral_norm_leaves_a_zero_kernel_alone():
    sn = layers.SpectralNormalization(layers.Dense(2, kernel_initializer="zeros"))
    sn(_x((2, 3)), training=True)
    np.testing.assert_array_equal(sn.layer.kernel.numpy(), 0.0)


def test_spectral_norm_errors():
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.LayerNormalization())(_x((2, 3)))
    with pytest.raises(ValueError, match="supported layer"):
        layers.SpectralNormalization(np.zeros(3))


def test_spectral_norm_keras_file_round_trip(tmp_path):
    keras = _keras()
    model = ember.Sequential([ember.Input((5,)),
                              layers.SpectralNormalization(layers.Dense(3), power_iterations=2),
                              layers.GroupNormalization(3), layers.RMSNormalization()])
    model(_x((4, 5)), training=True)  # move vector_u and the kernel off their initial values
    x = _x((4, 5), seed=1)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    assert [type(l).__name__ for l in theirs.layers] == [type(l).__name__ for l in model.layers]
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), want, atol=1e-5)
    pairs = [(a, b) for la, lb in zip(model.layers, theirs.layers)
             for a, b in zip(la.weights, lb.weights)]
    assert len(pairs) == len(theirs.weights) == 6
    for a, b in pairs:
        assert a.name == b.name  # (Keras builds a loaded wrapper's layer outside its scope)
        np.testing.assert_allclose(a.numpy(), np.asarray(b.numpy()), atol=1e-6)
    # a Keras training step, saved by Keras, loads back into ember with the same numbers
    theirs.layers[0](x, training=True)
    want2 = np.asarray(theirs.predict(x, verbose=0))
    theirs.save(tmp_path / "k.keras")
    back = ember.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), want2, atol=1e-5)
    np.testing.assert_allclose(back.layers[0].vector_u.numpy(),
                               np.asarray(theirs.layers[0].vector_u.numpy()), atol=1e-6)


# -- AlphaDropout ----------------------------------------------------------------------------------
def test_alpha_dropout_keeps_zero_mean_unit_variance_while_training():
    x = _x((200, 500))
    layer = layers.AlphaDropout(0.3, seed=5)
    y = layer(x, training=True).numpy()
    assert y.dtype == np.float32
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.3) * (1 + 0.3 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.3
    dropped = np.isclose(y, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - 0.3) < 0.01
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


def test_alpha_dropout_seed_and_noise_shape():
    x = _x((4, 6))
    y1 = layers.AlphaDropout(0.5, seed=3)(x, training=True).numpy()
    y2 = layers.AlphaDropout(0.5, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(y1, y2)
    ones = np.ones((4, 6), "float32")
    y = layers.AlphaDropout(0.5, noise_shape=(None, 1), seed=1)(ones, training=True).numpy()
    assert (y == y[:, :1]).all()  # one draw per row, broadcast over the columns


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_alpha_dropout_rate_range(rate):
    with pytest.raises(ValueError, match="rate"):
        layers.AlphaDropout(rate)


# -- SpatialDropout3D ------------------------------------------------------------------------------
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_spatial_dropout3d_drops_whole_volumes(data_format):
    shape = (3, 2, 3, 4, 8) if data_format == "channels_last" else (3, 8, 2, 3, 4)
    x = np.ones(shape, "float32")
    y = layers.SpatialDropout3D(0.5, data_format=data_format, seed=2)(x, training=True).numpy()
    vol = y if data_format == "channels_last" else np.moveaxis(y, 1, -1)
    per_channel = vol.reshape(3, -1, 8)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel == per_channel[:, :1]).all()  # a channel is all kept or all dropped
    np.testing.assert_array_equal(
        layers.SpatialDropout3D(0.5, data_format=data_format)(x).numpy(), x)


def test_spatial_dropout3d_errors_and_config():
    with pytest.raises(ValueError):
        layers.SpatialDropout3D(0.2)(np.ones((2, 3, 3, 3), "float32"))
    with pytest.raises(ValueError, match="rate"):
        layers.SpatialDropout3D(1.2)
    cfg = layers.SpatialDropout3D(0.2, seed=1, name="sd").get_config()
    assert cfg == {"rate": 0.2, "seed": 1, "name": "sd", "dtype": "float32",
                   "data_format": "channels_last"}


# -- ReversibleEmbedding ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"tie_weights": False},
                                    {"logit_soft_cap": 1.5},
                                    {"tie_weights": False, "reverse_dtype": "float32"}])
def test_reversible_embedding_reverse_call_matches_keras(kwargs):
    keras = _keras()
    ours = layers.ReversibleEmbedding(9, 4, **kwargs)
    theirs = keras.layers.ReversibleEmbedding(9, 4, **kwargs)
    ids = np.array([[1, 2, 8], [0, 3, 3]])
    ours(ids), theirs(ids)
    assert [w.path for w in ours.weights] == [w.path.replace(theirs.name, ours.name)
                                              for w in theirs.weights]
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    h = _x((2, 3, 4))
    want = np.asarray(theirs(h, reverse=True))
    got = ours(h, reverse=True).numpy()
    assert got.shape == (2, 3, 9)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(ids).numpy(), np.asarray(theirs(ids)), atol=1e-6)
    assert ours.compute_output_shape((None, 3, 4), reverse=True) == (None, 3, 9)


def test_reversible_embedding_reverse_gradient_reaches_the_embeddings():
    layer = layers.ReversibleEmbedding(6, 3)
    layer(np.array([[1, 2]]))
    h = ember.Tensor(_x((2, 3)))
    with ember.GradientTape() as tape:
        loss = ops.sum(layer(h, reverse=True))
    (g,) = tape.gradient(loss, [layer.embeddings])
    # d/dE sum(h @ E.T) = column sums of h, in every row
    np.testing.assert_allclose(g.numpy(), np.tile(h.numpy().sum(0), (6, 1)), rtol=1e-5)


def test_reversible_embedding_mask_and_symbolic_reverse():
    layer = layers.ReversibleEmbedding(5, 2, mask_zero=True)
    ids = np.array([[1, 0, 3]])
    y = layer(ids)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), [[True, False, True]])
    assert layer.compute_mask(ids) is None  # as Keras: the call attaches the mask itself
    inp = ember.Input((7, 2))
    out = layer(inp, reverse=True)
    assert out.shape == (None, 7, 5)


# -- StackedRNNCells -------------------------------------------------------------------------------
def test_rnn_list_of_cells_is_a_stacked_cell_and_round_trips():
    rnn = layers.RNN([layers.LSTMCell(3), layers.GRUCell(2)], return_state=True)
    assert isinstance(rnn.cell, layers.StackedRNNCells)
    assert rnn.cell.state_size == [[3, 3], 2] and rnn.cell.output_size == 2
    out, (h1, c1), h2 = rnn(_x((2, 4, 5)))
    assert out.shape == (2, 2) and h1.shape == c1.shape == (2, 3)
    assert np.asarray(h2 if not isinstance(h2, list) else h2[0]).shape == (2, 2)
    clone = layers.RNN.from_config(rnn.get_config())
    assert [type(c).__name__ for c in clone.cell.cells] == ["LSTMCell", "GRUCell"]


def test_stacked_cells_dropout_only_while_training():
    rnn = layers.RNN([layers.SimpleRNNCell(4, dropout=0.5, seed=1),
                      layers.LSTMCell(3, recurrent_dropout=0.5, seed=2)])
    x = _x((3, 5, 2))
    a = rnn(x).numpy()
    np.testing.assert_array_equal(rnn(x).numpy(), a)
    assert not np.allclose(rnn(x, training=True).numpy(), a)


def test_stacked_cells_need_call_and_state_size():
    with pytest.raises(ValueError, match="state_size"):
        layers.StackedRNNCells([layers.Dense(2)])


def test_stacked_rnn_keras_file_round_trip(tmp_path):
    keras = _keras()
    model = ember.Sequential([ember.Input((4, 3)),
                              layers.RNN([layers.LSTMCell(3), layers.SimpleRNNCell(2)]),
                              layers.Identity(), layers.AlphaDropout(0.1), layers.Dense(1)])
    x = _x((2, 4, 3))
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), want, atol=1e-5)
    theirs.save(tmp_path / "k.keras")
    back = ember.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), want, atol=1e-5)


# -- ONNX export -----------------------------------------------------------------------------------
_NO_CONVERTER = "no ONNX converter"


@pytest.mark.parametrize("make, shape, match", [
    (lambda: layers.GroupNormalization(2), (3, 4), _NO_CONVERTER),
    (lambda: layers.RMSNormalization(), (4,), _NO_CONVERTER),
    (lambda: layers.SpectralNormalization(layers.Dense(2)), (4,), _NO_CONVERTER),
    (lambda: layers.Identity(), (4,), _NO_CONVERTER),
    (lambda: layers.RNN([layers.LSTMCell(2), layers.GRUCell(2)]), (3, 4),
     "its cell StackedRNNCells is not"),
])
def test_onnx_export_refuses_with_a_clear_error(make, shape, match):
    pytest.importorskip("onnx")
    from ember.export import ExportError, to_onnx

    layer = make()
    model = ember.Sequential([ember.Input(shape), layer])
    with pytest.raises(ExportError, match=f"Cannot export {type(layer).__name__}.*{match}"):
        to_onnx(model)


def test_onnx_export_of_the_dropouts_is_the_identity():
    pytest.importorskip("onnx")
    from ember.export import to_onnx

    model = ember.Sequential([ember.Input((2, 2, 2, 3)), layers.SpatialDropout3D(0.3),
                              layers.AlphaDropout(0.2)])
    proto = to_onnx(model)
    assert all(n.op_type == "Identity" for n in proto.graph.node) or not proto.graph.node
