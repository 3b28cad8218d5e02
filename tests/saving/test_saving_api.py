"""The saving API: save/load forms, weights files, JSON, custom objects, mismatches."""

import io
import json
import warnings
import zipfile

import numpy as np
import pytest

import ember
from ember import layers
from ember.saving import load_model, model_from_json

h5py = pytest.importorskip("h5py")


def _mlp(units=3, name=None):
    return ember.Sequential([layers.Input((4,)), layers.Dense(units, name="hidden"),
                             layers.Dense(2, name="top")], name=name)


def _x(n=5):
    return np.random.default_rng(0).normal(size=(n, 4)).astype("float32")


def _trained(model=None):
    model = model or _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(_x(8), np.zeros((8, 2), "float32"), batch_size=4, verbose=0)
    return model


# -- entry points --------------------------------------------------------------------------------
def test_models_namespace_forwards_to_saving(tmp_path):
    model = _trained()
    ember.saving.save_model(model, tmp_path / "m.keras")
    loaded = ember.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))
    assert ember.models.save_model is ember.saving.save_model
    assert ember.models.model_from_json is ember.saving.model_from_json


def test_compile_false_gives_an_uncompiled_model(tmp_path):
    _trained().save(tmp_path / "m.keras")
    model = load_model(tmp_path / "m.keras", compile=False)
    assert not model.compiled and model.optimizer is None


def test_uncompiled_model_round_trip(tmp_path):
    model = _mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert json.loads(zf.read("config.json"))["compile_config"] == {}
    loaded = load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))


def test_compiled_but_untrained_model_keeps_iterations_and_learning_rate(tmp_path):
    model = _mlp()
    model.compile(optimizer=ember.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            assert sorted(f["optimizer/vars"]) == ["0", "1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(tmp_path / "m.keras")
    assert float(loaded.optimizer.learning_rate.numpy()) == pytest.approx(0.01)


def test_unzipped_directory_and_file_objects(tmp_path):
    model = _trained()
    model.save(tmp_path / "d.keras", zipped=False)
    assert sorted(p.name for p in (tmp_path / "d.keras").iterdir()) == [
        "config.json", "metadata.json", "model.weights.h5"]
    buffer = io.BytesIO()
    model.save(buffer)
    buffer.seek(0)
    for source in (tmp_path / "d.keras", buffer):
        loaded = load_model(source)
        np.testing.assert_array_equal(loaded.predict(_x(), verbose=0),
                                      model.predict(_x(), verbose=0))


def test_file_name_rules(tmp_path):
    model = _mlp()
    with pytest.raises(ValueError, match=".keras"):
        model.save(tmp_path / "m.zip")
    with pytest.raises(ValueError, match="include_optimizer=False"):
        model.save(tmp_path / "m.keras", include_optimizer=False)
    with pytest.raises(ValueError, match=".weights.h5"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="'.weights.h5', '.keras' or '.h5'"):
        model.load_weights(tmp_path / "w.bin")
    with pytest.raises(ValueError, match="load_weights"):
        load_model(tmp_path / "w.weights.h5")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.keras")


def test_overwrite_false(tmp_path):
    model = _mlp()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError):
        model.save(tmp_path / "m.keras", overwrite=False)
    model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "w.weights.h5", overwrite=False)


def test_unbuilt_model(tmp_path):
    model = ember.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="not been built"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.warns(UserWarning, match="not been built"):
        model.save(tmp_path / "m.keras")


# -- weights files -------------------------------------------------------------------------------
def test_save_and_load_weights_with_optimizer_state(tmp_path):
    model = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    other = _mlp()
    other.compile(optimizer="adam", loss="mse")
    other.load_weights(tmp_path / "w.weights.h5")  # builds the optimizer to take the state
    np.testing.assert_array_equal(other.predict(_x(), verbose=0), model.predict(_x(), verbose=0))
    assert int(other.optimizer.iterations.numpy()) == 2
    for a, b in zip(model.optimizer.variables, other.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_layer_count_mismatch_is_an_error_naming_the_layer(tmp_path):
    _mlp().save_weights(tmp_path / "w.weights.h5")
    model = ember.Sequential([layers.Input((4,)), layers.Dense(3, name="hidden", use_bias=False),
                              layers.Dense(2, name="top")])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Dense 'hidden'.*expects 1 variables"):
        model.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(before, model.get_weights()):  # nothing was assigned
        np.testing.assert_array_equal(a, b)


def test_shape_mismatch_and_skip_mismatch(tmp_path):
    source = _mlp()
    source.save_weights(tmp_path / "w.weights.h5")
    model = _mlp(units=5)
    with pytest.raises(ValueError, match=r"Dense 'hidden'.*shape \(4, 5\).*\(4, 3\)"):
        model.load_weights(tmp_path / "w.weights.h5")
    model = ember.Sequential([layers.Input((4,)), layers.Dense(3, name="hidden", use_bias=False),
                              layers.Dense(2, name="top")])
    hidden_before = model.get_layer("hidden").kernel.numpy().copy()
    with pytest.warns(UserWarning, match="skip_mismatch"):
        model.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(model.get_layer("hidden").kernel.numpy(), hidden_before)
    np.testing.assert_array_equal(model.get_layer("top").kernel.numpy(),
                                  source.get_layer("top").kernel.numpy())


def test_optimizer_count_mismatch_warns_and_skips(tmp_path):
    model = _trained()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))
    config["compile_config"]["optimizer"] = {"module": "keras.optimizers", "class_name": "SGD",
                                             "config": {"learning_rate": 0.1, "momentum": 0.0},
                                             "registered_name": None}
    loaded_weights_only = model_from_json(json.dumps(config))
    loaded_weights_only.optimizer.build(loaded_weights_only.trainable_variables)
    with pytest.warns(UserWarning, match="skipping the optimizer state"):
        loaded_weights_only.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded_weights_only.predict(_x(), verbose=0),
                                  model.predict(_x(), verbose=0))
    assert int(loaded_weights_only.optimizer.iterations.numpy()) == 0


def test_missing_empty_groups_and_name_attributes_are_tolerated(tmp_path):
    model = ember.Sequential([layers.Input((2, 2)), layers.Flatten(),
                              layers.Dense(3, name="d")])
    model.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        del f["layers/flatten"]
        del f["vars"]
        del f["layers/dense/vars"].attrs["name"]
    other = ember.Sequential([layers.Input((2, 2)), layers.Flatten(), layers.Dense(3)])
    other.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


# -- JSON ----------------------------------------------------------------------------------------
def test_to_json_and_model_from_json():
    model = _trained()
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Sequential" and "compile_config" in config
    clone = model_from_json(text)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert clone.compiled
    assert json.loads(model.to_json(indent=2)) == config


def test_functional_to_json():
    a = layers.Input((3,), name="a")
    out = layers.Dense(2, name="d")(layers.Dense(4, name="h")(a))
    model = ember.Model(a, out, name="f")
    clone = model_from_json(model.to_json())
    assert clone.name == "f" and [l.name for l in clone.layers] == ["a", "h", "d"]
    assert clone.get_config() == model.get_config()


# -- custom objects ------------------------------------------------------------------------------
@ember.saving.register_keras_serializable(package="api_test")
class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@ember.saving.register_keras_serializable(package="api_test")
class TwoStep(ember.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = layers.Dense(units)
        self.scale = Scale(3.0)

    def call(self, x, training=None):
        return self.scale(self.first(x))

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "units": self.units}


def test_registered_custom_layer_round_trip(tmp_path):
    model = ember.Sequential([layers.Input((4,)), Scale(1.5, name="s"), layers.Dense(2)])
    model.get_layer("s").w.assign(np.arange(4, dtype="float32"))
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        entry = json.loads(zf.read("config.json"))["config"]["layers"][1]
    assert entry["registered_name"] == "api_test>Scale"
    loaded = load_model(tmp_path / "m.keras")
    assert isinstance(loaded.get_layer("s"), Scale) and loaded.get_layer("s").factor == 1.5
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))


def test_subclassed_model_round_trip(tmp_path):
    model = TwoStep()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_x(8), np.zeros((8, 3), "float32"), batch_size=4, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        names = set()
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            f.visit(names.add)
    assert {"first/vars/0", "first/vars/1", "scale/vars/0", "optimizer/vars/0"} <= names
    loaded = load_model(tmp_path / "m.keras")
    assert isinstance(loaded, TwoStep)
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 2


def test_get_custom_objects_table():
    table = ember.saving.get_custom_objects()
    assert table["api_test>Scale"] is Scale


# -- clone_model ---------------------------------------------------------------------------------
def test_clone_model_has_fresh_weights():
    model = _trained()
    clone = ember.models.clone_model(model)
    assert clone is not model and [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert clone.layers[0] is not model.layers[0]
    a = layers.Input((3,))
    f = ember.Model(a, layers.Dense(2)(a))
    f_clone = ember.models.clone_model(f, clone_function=lambda layer: layer.__class__.from_config(
        layer.get_config()))
    assert f_clone.layers[1] is not f.layers[1]
    assert f_clone.predict(np.ones((1, 3), "float32"), verbose=0).shape == (1, 2)


def test_clone_of_a_compiled_model_is_compiled_alike():
    model = _mlp()
    model.compile(optimizer=ember.optimizers.Adam(0.05), loss="mae", metrics=["mse"])
    clone = ember.models.clone_model(model)
    assert clone.compiled and clone.loss == "mae"
    assert clone.optimizer is not model.optimizer
    assert clone.get_compile_config() == model.get_compile_config()
    assert not ember.models.clone_model(_mlp()).compiled


# -- legacy .h5 ----------------------------------------------------------------------------------
def test_legacy_h5_without_config_says_to_use_load_weights(tmp_path):
    with h5py.File(tmp_path / "w.h5", "w") as f:
        f.attrs["layer_names"] = [b"dense"]
    with pytest.raises(ValueError, match="load_weights"):
        load_model(tmp_path / "w.h5")


def test_legacy_keras2_style_file(tmp_path):
    """A tf.keras 2 style file: legacy envelopes, batch_input_shape, split attributes."""
    model = _mlp()
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "input_1"}},
        {"class_name": "Dense", "config": {
            "name": "dense", "trainable": True, "dtype": "float32", "units": 3,
            "activation": "linear", "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None,
            "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}},
        {"class_name": "Dense", "config": {"name": "dense_1", "units": 2,
                                           "activation": "linear"}}]}}
    kernels = [w for w in model.get_weights()]
    with h5py.File(tmp_path / "old.h5", "w") as f:
        f.attrs["model_config"] = json.dumps(config).encode()
        f.attrs["keras_version"] = b"2.13.1"
        g = f.create_group("model_weights")
        g.attrs["layer_names0"] = [b"dense"]
        g.attrs["layer_names1"] = [b"dense_1"]
        for name, (k, b) in (("dense", kernels[:2]), ("dense_1", kernels[2:])):
            lg = g.create_group(name)
            lg.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            lg[f"{name}/kernel:0"] = k
            lg[f"{name}/bias:0"] = b
    loaded = load_model(tmp_path / "old.h5")
    np.testing.assert_allclose(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0),
                               atol=1e-6)


def test_bfloat16_datasets_are_read(tmp_path):
    path = tmp_path / "w.weights.h5"
    _mlp().save_weights(path)
    with h5py.File(path, "a") as f:
        kernel = f["layers/dense/vars/0"][()]
        bits = (kernel.view(np.uint32) >> 16).astype(np.uint16)
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", data=bits).attrs["dtype"] = "bfloat16"
    other = _mlp()
    other.load_weights(path)
    np.testing.assert_allclose(other.get_layer("hidden").kernel.numpy(), kernel, rtol=1e-2)


def test_dict_inputs_round_trip(tmp_path):
    a = layers.Input((3,), name="a")
    b = layers.Input((2,), name="b")
    out = layers.Dense(1, name="out")(layers.Concatenate()([a, b]))
    model = ember.Model({"a": a, "b": b}, out)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))["config"]
    assert config["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    loaded = load_model(tmp_path / "m.keras")
    x = {"a": np.ones((2, 3), "float32"), "b": np.zeros((2, 2), "float32")}
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- legacy .h5 writing --------------------------------------------------------------------------
def test_legacy_h5_round_trip_with_optimizer_state(tmp_path):
    model = _trained()
    with pytest.warns(UserWarning, match="legacy HDF5"):
        model.save(tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(_x(), verbose=0), model.predict(_x(), verbose=0))
    assert int(loaded.optimizer.iterations.numpy()) == 2
    saved = model.get_weights()
    y = np.zeros((8, 2), "float32")
    for m in (model, loaded):
        m.fit(_x(8), y, batch_size=4, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    other = _mlp()
    other.load_weights(tmp_path / "m.h5")
    for a, b in zip(other.get_weights(), saved):
        np.testing.assert_array_equal(a, b)


def test_legacy_h5_layout_matches_keras(tmp_path):
    from keras_files import fixture_path

    model = ember.Sequential([layers.Input((28, 28)), layers.Flatten(name="flatten"),
                              layers.Dense(128, activation="relu", name="dense"),
                              layers.Dense(10, activation="softmax", name="dense_1")],
                             name="sequential")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(np.zeros((2, 28, 28), "float32"), np.array([1, 2]), verbose=0)
    with pytest.warns(UserWarning):
        model.save(tmp_path / "m.h5", overwrite=True)

    def shape(f):
        out = {"root": sorted(f.attrs), "groups": sorted(f), "mw": sorted(f["model_weights"].attrs)}
        for name in f["model_weights"]:
            names = list(f["model_weights"][name].attrs["weight_names"])
            out[f"n_{len(out)}"] = len(names)
            for n in names:
                n = n.decode() if isinstance(n, bytes) else n
                ds = f["model_weights"][name][n]
                out[f"d_{len(out)}"] = (ds.shape, ds.dtype.str)
        opt = list(f["optimizer_weights"].attrs["weight_names"])
        out["opt"] = [f["optimizer_weights"][n.decode() if isinstance(n, bytes) else n].shape
                      for n in opt]
        out["training"] = sorted(json.loads(f.attrs["training_config"]))
        config = json.loads(f.attrs["model_config"])
        out["config"] = (sorted(config), [sorted(layer) for layer in config["config"]["layers"]])
        return out

    with h5py.File(tmp_path / "m.h5", "r") as ours, \
            h5py.File(fixture_path("seed_mlp.h5"), "r") as theirs:
        assert shape(ours) == shape(theirs)
        assert h5py.check_string_dtype(ours.attrs.get_id("model_config").dtype).encoding \
            == "ascii"
        assert sorted(ours["model_weights"]) == sorted(theirs["model_weights"])


def test_legacy_h5_without_optimizer(tmp_path):
    model = _trained()
    with pytest.warns(UserWarning):
        model.save(tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "optimizer_weights" not in f and "training_config" not in f.attrs
    with pytest.warns(UserWarning, match="not compiled"):
        loaded = load_model(tmp_path / "m.h5")
    assert not loaded.compiled


@ember.saving.register_keras_serializable(package="api_test")
class WithExtraState(layers.Layer):
    """A layer saving state of its own through Keras's save/load_own_variables hooks."""

    def build(self, input_shape):
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="count")
        self.table = np.zeros(3, dtype="float32")

    def call(self, x):
        return x

    def save_own_variables(self, store):
        store["0"] = self.count.numpy()
        store["1"] = self.table

    def load_own_variables(self, store):
        self.count.assign(store["0"])
        self.table = np.asarray(store["1"])


def test_save_and_load_own_variables_hooks(tmp_path):
    model = ember.Sequential([layers.Input((4,)), WithExtraState(name="extra"), layers.Dense(2)])
    model.get_layer("extra").count.assign(5.0)
    model.get_layer("extra").table = np.arange(3, dtype="float32")
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert float(loaded.get_layer("extra").count.numpy()) == 5.0
    np.testing.assert_array_equal(loaded.get_layer("extra").table, [0.0, 1.0, 2.0])


def test_custom_function_from_keras_file_via_custom_objects(tmp_path):
    """Keras writes an unregistered activation as a "function" envelope naming it; it loads
    only when the caller supplies it."""
    model = _mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    config["config"]["layers"][1]["config"]["activation"] = {
        "module": "__main__", "class_name": "function", "config": "shifted",
        "registered_name": "function"}
    with zipfile.ZipFile(tmp_path / "c.keras", "w") as zf:
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights)
    with pytest.raises(ValueError, match="shifted"):
        load_model(tmp_path / "c.keras")

    def shifted(x):
        return x + 1.0

    loaded = load_model(tmp_path / "c.keras", custom_objects={"shifted": shifted})
    assert loaded.get_layer("hidden").activation is shifted
