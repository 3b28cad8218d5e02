"""The files ember writes have the structure of the files Keras writes: member names, order and
compression, config keys, HDF5 paths, shapes, dtypes and attributes."""

import io
import json
import zipfile

import numpy as np
import pytest
from keras_files import FIXTURE_NAMES, fixture_path

import ember
from ember import layers
from ember.saving import load_model

h5py = pytest.importorskip("h5py")

# Keys newer Keras releases write that ember leaves out on purpose (older Keras 3 releases
# reject them: spec §3.5), and keys Keras ignores but ember writes.
NEWER_KERAS_KEYS = {"quantization_config", "optional", "ragged", "input_axes", "output_axes",
                    "shared_object_id"}
EMBER_EXTRA_KEYS = {"seed"}  # Keras's SimpleRNN takes `seed` but does not write it


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, i.compress_type) for i in zf.infolist()], \
            json.loads(zf.read("config.json")), json.loads(zf.read("metadata.json")), \
            zf.read("model.weights.h5")


def _h5_tree(data):
    tree = {}
    with h5py.File(io.BytesIO(data) if isinstance(data, bytes) else data, "r") as f:
        def visit(name, obj):
            attrs = {k: (v if isinstance(v, str) else np.asarray(v).tolist())
                     for k, v in obj.attrs.items()}
            if isinstance(obj, h5py.Dataset):
                tree[name] = ("dataset", obj.shape, obj.dtype.str, obj.chunks, obj.compression,
                              attrs)
            else:
                tree[name] = ("group", attrs)
        f.visititems(visit)
    return tree


def _compare_configs(keras, ours, path="config"):
    """Same structure: every key present in both (modulo the documented sets) and equal leaves
    (numbers, strings, booleans)."""
    if isinstance(keras, dict):
        assert isinstance(ours, dict), path
        missing = set(keras) - set(ours) - NEWER_KERAS_KEYS
        extra = set(ours) - set(keras) - EMBER_EXTRA_KEYS
        assert not missing, f"{path}: ember leaves out {sorted(missing)}"
        assert not extra, f"{path}: ember adds {sorted(extra)}"
        for key in set(keras) & set(ours):
            _compare_configs(keras[key], ours[key], f"{path}/{key}")
    elif isinstance(keras, list):
        assert isinstance(ours, list) and len(ours) == len(keras), path
        for i, (k, o) in enumerate(zip(keras, ours)):
            _compare_configs(k, o, f"{path}[{i}]")
    else:
        assert keras == ours, f"{path}: Keras wrote {keras!r}, ember {ours!r}"


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_resaved_fixture_has_keras_structure(name, tmp_path):
    keras_path = fixture_path(f"{name}.keras")
    model = load_model(keras_path)
    model.save(tmp_path / "ember.keras")
    k_members, k_config, _, k_weights = _members(keras_path)
    e_members, e_config, e_meta, e_weights = _members(tmp_path / "ember.keras")
    assert e_members == k_members == [("metadata.json", zipfile.ZIP_STORED),
                                      ("config.json", zipfile.ZIP_STORED),
                                      ("model.weights.h5", zipfile.ZIP_STORED)]
    assert {"keras_version", "date_saved"} <= set(e_meta)
    _compare_configs(k_config, e_config)
    assert _h5_tree(e_weights) == _h5_tree(k_weights)


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_save_weights_matches_keras_weights_file(name, tmp_path):
    model = load_model(fixture_path(f"{name}.keras"))
    model.save_weights(tmp_path / "ember.weights.h5")
    ours = _h5_tree(str(tmp_path / "ember.weights.h5"))
    assert ours == _h5_tree(str(fixture_path(f"{name}.weights.h5")))
    with h5py.File(tmp_path / "ember.weights.h5", "r") as f:
        assert dict(f.attrs) == {}


def test_model_built_in_ember_matches_the_worked_example(tmp_path):
    """Spec §7: Flatten -> Dense(128, relu) -> Dense(10, softmax), Adam, one step."""
    model = ember.Sequential([layers.Input((28, 28)), layers.Flatten(),
                              layers.Dense(128, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    model.fit(x, np.array([1, 2, 3, 4]), batch_size=4, verbose=0)
    model.save(tmp_path / "mnist.keras")
    members, config, meta, weights = _members(tmp_path / "mnist.keras")
    _, k_config, _, k_weights = _members(fixture_path("seed_mlp.keras"))
    assert [m[0] for m in members] == ["metadata.json", "config.json", "model.weights.h5"]
    assert meta["keras_version"].startswith("3.")
    assert set(config) == set(k_config) == {"module", "class_name", "config", "registered_name",
                                            "build_config", "compile_config"}
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    assert config["build_config"] == {"input_shape": [None, 28, 28]}
    assert config["config"]["build_input_shape"] == [None, 28, 28]
    assert [layer["class_name"] for layer in config["config"]["layers"]] == [
        "InputLayer", "Flatten", "Dense", "Dense"]
    assert set(config["compile_config"]) == set(k_config["compile_config"])
    assert config["compile_config"]["jit_compile"] is False
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    assert config["compile_config"]["metrics"] == ["accuracy"]
    for ours, theirs in zip(config["config"]["layers"], k_config["config"]["layers"]):
        assert set(ours) == set(theirs)
        assert set(ours["config"]) == set(theirs["config"]) - NEWER_KERAS_KEYS
    ours, theirs = _h5_tree(weights), _h5_tree(k_weights)
    assert sorted(ours) == sorted(theirs)
    for path in ours:  # the same shapes and dtypes; attribute values are layer names
        assert ours[path][0] == theirs[path][0], path
        if ours[path][0] == "dataset":
            assert ours[path][:5] == theirs[path][:5], path
        else:
            assert set(ours[path][1]) == set(theirs[path][1]), path


def test_functional_config_records_calls_as_keras(tmp_path):
    a = layers.Input((8,), name="a")
    b = layers.Input((4,), name="b")
    da = layers.Dense(6, activation="tanh")(a)
    db = layers.Dense(6, activation="sigmoid")(b)
    out = layers.Dense(1, activation="sigmoid", name="out")(
        layers.Concatenate()([da, db, layers.Add(name="add")([da, db])]))
    model = ember.Model([a, b], out)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    rng = np.random.default_rng(0)
    model.fit([rng.normal(size=(4, 8)), rng.normal(size=(4, 4))], np.ones((4, 1)), verbose=0)
    model.save(tmp_path / "f.keras")
    _, config, _, weights = _members(tmp_path / "f.keras")
    _, k_config, _, k_weights = _members(fixture_path("functional_two_inputs.keras"))
    assert (config["module"], config["class_name"], config["registered_name"]) == (
        "keras.src.models.functional", "Functional", "Functional")
    assert config["build_config"] == {"input_shape": None}
    assert set(config["config"]) == set(k_config["config"])
    assert config["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["config"]["output_layers"] == ["out", 0, 0]
    ours = {layer["class_name"]: layer for layer in config["config"]["layers"]}
    theirs = {layer["class_name"]: layer for layer in k_config["config"]["layers"]}
    for cls in ("InputLayer", "Add", "Concatenate"):
        assert set(ours[cls]) == set(theirs[cls])
    assert ours["InputLayer"]["inbound_nodes"] == []
    node = ours["Concatenate"]["inbound_nodes"][0]
    assert set(node) == {"args", "kwargs"} and len(node["args"]) == 1
    tensor = node["args"][0][2]
    assert tensor["class_name"] == "__keras_tensor__"
    assert tensor["config"] == {"shape": [None, 6], "dtype": "float32",
                                "keras_history": ["add", 0, 0]}
    assert sorted(_h5_tree(weights)) == sorted(_h5_tree(k_weights))
