"""Round trips in ember for the layer catalog: save, load, identical predictions, identical
optimizer state, and identical training for two more steps."""

import warnings

import numpy as np
import pytest

import ember
from ember import layers
from ember.saving import load_model
from ember.utils.random import set_random_seed

pytest.importorskip("h5py")


def _layer(name, *args, **kwargs):
    cls = getattr(layers, name, None)
    if cls is None:
        pytest.skip(f"ember has no layers.{name} yet")
    return cls(*args, **kwargs)


def _seq(input_shape, *stack, dtype="float32"):
    return ember.Sequential([layers.Input(input_shape, dtype=dtype), *stack, layers.Flatten(),
                             layers.Dense(2)])


# name -> (model builder, input shape(s), input kind)
CASES = {
    "Dense": (lambda: _seq((6,), _layer("Dense", 4, activation="relu")), (6,), "float"),
    "Activation": (lambda: _seq((6,), _layer("Activation", "tanh")), (6,), "float"),
    "Dropout": (lambda: _seq((6,), _layer("Dropout", 0.3)), (6,), "float"),
    "Flatten": (lambda: _seq((3, 2), _layer("Flatten")), (3, 2), "float"),
    "Reshape": (lambda: _seq((6,), _layer("Reshape", (3, 2))), (6,), "float"),
    "Permute": (lambda: _seq((3, 2), _layer("Permute", (2, 1))), (3, 2), "float"),
    "RepeatVector": (lambda: _seq((4,), _layer("RepeatVector", 3)), (4,), "float"),
    "Conv1D": (lambda: _seq((8, 3), _layer("Conv1D", 4, 3, activation="relu")), (8, 3), "float"),
    "Conv2D": (lambda: _seq((6, 6, 2), _layer("Conv2D", 3, 3, padding="same")), (6, 6, 2),
               "float"),
    "Conv1DTranspose": (lambda: _seq((5, 2), _layer("Conv1DTranspose", 3, 3)), (5, 2), "float"),
    "Conv2DTranspose": (lambda: _seq((4, 4, 2), _layer("Conv2DTranspose", 3, 2, strides=2)),
                        (4, 4, 2), "float"),
    "DepthwiseConv1D": (lambda: _seq((8, 3), _layer("DepthwiseConv1D", 3)), (8, 3), "float"),
    "DepthwiseConv2D": (lambda: _seq((6, 6, 2), _layer("DepthwiseConv2D", 3, depth_multiplier=2)),
                        (6, 6, 2), "float"),
    "SeparableConv1D": (lambda: _seq((8, 3), _layer("SeparableConv1D", 4, 3)), (8, 3), "float"),
    "SeparableConv2D": (lambda: _seq((6, 6, 2), _layer("SeparableConv2D", 3, 3)), (6, 6, 2),
                        "float"),
    "MaxPooling1D": (lambda: _seq((8, 3), _layer("MaxPooling1D", 2)), (8, 3), "float"),
    "MaxPooling2D": (lambda: _seq((6, 6, 2), _layer("MaxPooling2D", 2)), (6, 6, 2), "float"),
    "AveragePooling1D": (lambda: _seq((8, 3), _layer("AveragePooling1D", 2)), (8, 3), "float"),
    "AveragePooling2D": (lambda: _seq((6, 6, 2), _layer("AveragePooling2D", 2)), (6, 6, 2),
                         "float"),
    "GlobalMaxPooling1D": (lambda: _seq((8, 3), _layer("GlobalMaxPooling1D")), (8, 3), "float"),
    "GlobalAveragePooling1D": (lambda: _seq((8, 3), _layer("GlobalAveragePooling1D")), (8, 3),
                               "float"),
    "GlobalMaxPooling2D": (lambda: _seq((6, 6, 2), _layer("GlobalMaxPooling2D")), (6, 6, 2),
                           "float"),
    "GlobalAveragePooling2D": (lambda: _seq((6, 6, 2), _layer("GlobalAveragePooling2D")),
                               (6, 6, 2), "float"),
    "BatchNormalization": (lambda: _seq((6,), _layer("Dense", 4), _layer("BatchNormalization")),
                           (6,), "float"),
    "LayerNormalization": (lambda: _seq((5, 4), _layer("LayerNormalization")), (5, 4), "float"),
    "UnitNormalization": (lambda: _seq((6,), _layer("UnitNormalization")), (6,), "float"),
    "Embedding": (lambda: _seq((5,), _layer("Embedding", 10, 4), dtype="int32"), (5,), "int"),
    "Masking": (lambda: _seq((5, 3), _layer("Masking")), (5, 3), "float"),
    "ZeroPadding1D": (lambda: _seq((5, 3), _layer("ZeroPadding1D", 2)), (5, 3), "float"),
    "ZeroPadding2D": (lambda: _seq((4, 4, 2), _layer("ZeroPadding2D")), (4, 4, 2), "float"),
    "Cropping1D": (lambda: _seq((6, 3), _layer("Cropping1D", (1, 2))), (6, 3), "float"),
    "Cropping2D": (lambda: _seq((6, 6, 2), _layer("Cropping2D", ((1, 1), (2, 0)))), (6, 6, 2),
                   "float"),
    "UpSampling1D": (lambda: _seq((4, 3), _layer("UpSampling1D")), (4, 3), "float"),
    "UpSampling2D": (lambda: _seq((3, 3, 2), _layer("UpSampling2D")), (3, 3, 2), "float"),
    "Rescaling": (lambda: _seq((6,), _layer("Rescaling", 0.5, offset=1.0)), (6,), "float"),
    "Normalization": (lambda: _seq((3,), _layer("Normalization", mean=[1.0, 2.0, 3.0],
                                                variance=[1.0, 4.0, 9.0])), (3,), "float"),
    "GaussianNoise": (lambda: _seq((6,), _layer("GaussianNoise", 0.1)), (6,), "float"),
    "GaussianDropout": (lambda: _seq((6,), _layer("GaussianDropout", 0.2)), (6,), "float"),
    "SpatialDropout1D": (lambda: _seq((5, 3), _layer("SpatialDropout1D", 0.2)), (5, 3), "float"),
    "SpatialDropout2D": (lambda: _seq((4, 4, 2), _layer("SpatialDropout2D", 0.2)), (4, 4, 2),
                         "float"),
    "ActivityRegularization": (lambda: _seq((6,), _layer("ActivityRegularization", l2=0.01)),
                               (6,), "float"),
    "SimpleRNN": (lambda: _seq((5, 3), _layer("SimpleRNN", 4)), (5, 3), "float"),
    "LSTM": (lambda: _seq((5, 3), _layer("LSTM", 4, return_sequences=True)), (5, 3), "float"),
    "GRU": (lambda: _seq((5, 3), _layer("GRU", 4)), (5, 3), "float"),
    "GRU_reset_before": (lambda: _seq((5, 3), _layer("GRU", 4, reset_after=False)), (5, 3),
                         "float"),
    "Bidirectional": (lambda: _seq((5, 3), _layer("Bidirectional", _layer("LSTM", 3))), (5, 3),
                      "float"),
    "TimeDistributed": (lambda: _seq((5, 3), _layer("TimeDistributed", _layer("Dense", 2))),
                        (5, 3), "float"),
}

MERGES = {
    "Add": lambda: _layer("Add"),
    "Subtract": lambda: _layer("Subtract"),
    "Multiply": lambda: _layer("Multiply"),
    "Average": lambda: _layer("Average"),
    "Maximum": lambda: _layer("Maximum"),
    "Minimum": lambda: _layer("Minimum"),
    "Concatenate": lambda: _layer("Concatenate"),
    "Dot": lambda: _layer("Dot", axes=1),
}


def _data(shape, kind, n=8, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "int":
        return rng.integers(1, 10, size=(n,) + shape).astype("int32")
    return rng.normal(size=(n,) + shape).astype("float32")


def _check_roundtrip(model, x, y, tmp_path):
    model.compile(optimizer="adam", loss="mse")
    set_random_seed(1)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [v.shape for v in loaded.weights] == [v.shape for v in model.weights]
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(loaded.optimizer.variables) == len(model.optimizer.variables)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for m in (model, loaded):  # two more steps each, with the same randomness
        set_random_seed(2)
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert int(loaded.optimizer.iterations.numpy()) == 4
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    return loaded


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_roundtrip(name, tmp_path):
    build, shape, kind = CASES[name]
    model = build()
    x = _data(shape, kind)
    y = _data((2,), "float", seed=1)
    _check_roundtrip(model, x, y, tmp_path)


@pytest.mark.parametrize("name", sorted(MERGES))
def test_merge_roundtrip(name, tmp_path):
    a = layers.Input((4,), name="a")
    b = layers.Input((4,), name="b")
    merged = MERGES[name]()([layers.Dense(4, name="da")(a), layers.Dense(4, name="db")(b)])
    out = layers.Dense(2, name="out")(merged)
    model = ember.Model([a, b], out)
    x = [_data((4,), "float", seed=3), _data((4,), "float", seed=4)]
    _check_roundtrip(model, x, _data((2,), "float", seed=1), tmp_path)


def test_nested_and_shared_layers_roundtrip(tmp_path):
    inner = ember.Sequential([layers.Input((6,)), layers.Dense(4, activation="tanh")],
                             name="inner")
    x_in = layers.Input((6,), name="x")
    shared = layers.Dense(4, name="shared")
    h = shared(inner(x_in))
    h2 = shared(h)  # the same layer called twice
    out = layers.Dense(2, name="head")(layers.Concatenate()([h, h2]))
    model = ember.Model(x_in, out, name="outer")
    loaded = _check_roundtrip(model, _data((6,), "float"), _data((2,), "float", seed=1), tmp_path)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.get_layer("shared") is not None


def test_functional_inside_sequential_roundtrip(tmp_path):
    x_in = layers.Input((6,))
    block = ember.Model(x_in, layers.Dense(5, activation="relu")(x_in), name="block")
    model = ember.Sequential([layers.Input((6,)), block, layers.Dense(3)])
    _check_roundtrip(model, _data((6,), "float"), _data((3,), "float", seed=1), tmp_path)


def test_multi_output_roundtrip(tmp_path):
    x_in = layers.Input((6,), name="x")
    h = layers.Dense(5, activation="relu")(x_in)
    model = ember.Model(x_in, [layers.Dense(2, name="a")(h), layers.Dense(3, name="b")(h)])
    model.compile(optimizer="adam", loss=["mse", "mse"])
    x = _data((6,), "float")
    ys = [_data((2,), "float", seed=1), _data((3,), "float", seed=2)]
    model.fit(x, ys, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    for p, q in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(p, q)
    model.fit(x, ys, batch_size=4, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, ys, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "adagrad", "adamax", "nadam", "adamw"])
def test_optimizer_state_roundtrip(optimizer, tmp_path):
    opt = ember.optimizers.get(optimizer)
    if optimizer == "sgd":
        opt = ember.optimizers.SGD(learning_rate=0.05, momentum=0.9)
    model = _seq((6,), layers.Dense(4, activation="relu"))
    model.compile(optimizer=opt, loss="mse")
    x, y = _data((6,), "float"), _data((2,), "float", seed=1)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(model.optimizer)
    for m in (model, loaded):
        m.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def _keras():
    import os

    # Keras picks its backend at import; JAX is the light one to install beside ember
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip(
        "keras", reason="the keras package (with a backend) is not installed here, so Keras "
        "cannot be asked to read ember's files; test_saving_structure.py checks them against files "
        "Keras wrote")


@pytest.mark.parametrize("name", sorted(CASES) + [f"merge_{m}" for m in sorted(MERGES)])
def test_keras_reads_embers_files(name, tmp_path):
    """Keras loads what ember saved (config, weights and optimizer state) and predicts the
    same; runs where the keras package is installed."""
    keras = _keras()
    if name.startswith("merge_"):
        a = layers.Input((4,), name="a")
        b = layers.Input((4,), name="b")
        merged = MERGES[name[6:]]()([layers.Dense(4)(a), layers.Dense(4)(b)])
        model = ember.Model([a, b], layers.Dense(2)(merged))
        x = [_data((4,), "float", seed=3), _data((4,), "float", seed=4)]
    else:
        build, shape, kind = CASES[name]
        model = build()
        x = _data(shape, kind)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, _data((2,), "float", seed=1), batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), expected, atol=1e-5)
    assert int(np.asarray(theirs.optimizer.iterations)) == 2
    fresh = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    fresh.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh.predict(x, verbose=0)), expected, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "m.h5")
    legacy = keras.saving.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(np.asarray(legacy.predict(x, verbose=0)), expected, atol=1e-5)
    assert int(np.asarray(legacy.optimizer.iterations)) == 2
