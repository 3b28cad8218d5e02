"""tf.saved_model.save / load: ember's own directory format (not TensorFlow's protobuf).

Observed in TensorFlow 2.21: a loaded Keras model has ``signatures["serving_default"]``
returning ``{"output_0": ...}``; a loaded Module exposes its variables as attributes; a missing
directory raises OSError; saving a non-trackable object raises ValueError.
"""

import json
import os

import pytest

import ember
from ember import registry
from ember.backend import np
from ember.tf import saved_model
from ember.tf.module import Module
from ember.tf.tf_function import function


def _model():
    return ember.Sequential([ember.Input((3,)), ember.layers.Dense(4, activation="relu"),
                             ember.layers.Dense(2)], name="seqm")


def test_keras_model_round_trip(tmp_path):
    model = _model()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    export = str(tmp_path / "export")
    saved_model.save(model, export)
    names = sorted(os.listdir(export))
    assert "saved_model.json" in names and "variables" in names
    assert sorted(os.listdir(os.path.join(export, "variables"))) == [
        "variables.data-00000-of-00001", "variables.index"]
    assert saved_model.contains_saved_model(export)
    loaded = saved_model.load(export)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    out = loaded.signatures["serving_default"](x)
    assert list(out) == ["output_0"]
    np.testing.assert_array_equal(out["output_0"].numpy(), model(x).numpy())
    assert loaded.signatures["serving_default"](inputs=x)["output_0"].shape == (5, 2)


def test_keras_export_is_a_version_directory_for_ember_serve(tmp_path):
    pytest.importorskip("h5py")
    serving = pytest.importorskip("ember.serving.model_registry")
    model = _model()
    saved_model.save(model, str(tmp_path / "mnist" / "1"))
    found = serving.VersionDirectory(tmp_path / "mnist").scan()
    assert list(found) == [1] and found[1].name == "model.keras"
    served = ember.models.load_model(found[1])
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(served(x).numpy(), model(x).numpy())


class Scaler(Module):
    def __init__(self):
        super().__init__()
        self.v = ember.Variable(2.0, name="v")
        self.w = [ember.Variable([1.0, 2.0], name="w0")]
        self.frozen = ember.Variable(3.0, trainable=False, name="frozen")
        self.units = 3
        self.label = "scaler"

    @function
    def __call__(self, x):
        return x * self.v

    def double(self, x):
        return 2 * x * self.v


def test_unregistered_module_loads_as_restored_object(tmp_path):
    saved_model.save(Scaler(), str(tmp_path / "m"))
    loaded = saved_model.load(str(tmp_path / "m"))
    assert float(loaded.v) == 2.0 and loaded.units == 3 and loaded.label == "scaler"
    np.testing.assert_array_equal(loaded.w[0].numpy(), [1.0, 2.0])
    # TensorFlow: restored variables keep their names, ":0" included
    assert [v.name for v in loaded.variables] == ["frozen:0", "v:0", "w0:0"]
    assert [v.name for v in loaded.trainable_variables] == ["v:0", "w0:0"]
    with pytest.raises(TypeError, match="restored without its class.*register"):
        loaded(1.0)
    with pytest.raises(AttributeError):
        loaded.double  # noqa: B018 - plain methods are not saved


def test_registered_module_comes_back_with_its_methods(tmp_path):
    name = "ember_tests>Scaler"
    registry.register_keras_serializable("ember_tests")(Scaler)
    try:
        original = Scaler()
        original.v.assign(4.0)
        saved_model.save(original, str(tmp_path / "m"), signatures=original.__call__)
        loaded = saved_model.load(str(tmp_path / "m"))
        assert type(loaded) is Scaler and loaded.name == "scaler"
        assert float(loaded(ember.convert_to_tensor(3.0))) == 12.0
        assert float(loaded.double(1.0)) == 8.0
        assert float(loaded.signatures["serving_default"](x=3.0)["output_0"]) == 12.0
        assert not loaded.frozen.trainable
    finally:
        registry.custom_objects().pop(name, None)


def test_module_holding_a_keras_layer(tmp_path):
    m = Module()
    m.dense = ember.layers.Dense(2)
    x = np.ones((1, 3), "float32")
    expected = m.dense(x).numpy()
    saved_model.save(m, str(tmp_path / "m"))
    loaded = saved_model.load(str(tmp_path / "m"))
    # the layer is rebuilt from its config; its weights are restored when it builds
    np.testing.assert_array_equal(loaded.dense(x).numpy(), expected)


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="Expected an object of type `Trackable`"):
        saved_model.save(3, str(tmp_path / "x"))
    with pytest.raises(OSError, match="SavedModel file does not exist"):
        saved_model.load(str(tmp_path / "none"))
    with pytest.raises(ValueError, match="a signature must be a method"):
        saved_model.save(Scaler(), str(tmp_path / "s"), signatures=lambda x: x)
    export = str(tmp_path / "ok")
    saved_model.save(Scaler(), export)
    meta_path = os.path.join(export, "saved_model.json")
    meta = json.loads(open(meta_path).read())
    meta["variables_id"] = "0" * 32  # as if the variables came from another save
    open(meta_path, "w").write(json.dumps(meta))
    with pytest.raises(ValueError, match="do not belong to this saved_model.json"):
        saved_model.load(export)
    open(meta_path, "w").write("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        saved_model.load(export)
    open(meta_path, "w").write(json.dumps({"format": "tensorflow"}))
    with pytest.raises(ValueError, match="not an ember saved model"):
        saved_model.load(export)


def test_interrupted_save_is_refused_not_mixed(tmp_path, monkeypatch):
    export = str(tmp_path / "m")
    first = Scaler()
    saved_model.save(first, export)
    second = Scaler()
    second.v.assign(9.0)
    from ember.tf import train

    def fail(path, write):
        if path.endswith("saved_model.json"):
            raise OSError("disk full")
        return original(path, write)

    original = train._atomic_write
    monkeypatch.setattr(train, "_atomic_write", fail)
    with pytest.raises(OSError, match="disk full"):
        saved_model.save(second, export)
    monkeypatch.undo()
    # new variables, old metadata: refused rather than mixed
    with pytest.raises(ValueError, match="interrupted save"):
        saved_model.load(export)
    saved_model.save(second, export)
    assert float(saved_model.load(export).v) == 9.0
