"""KerasFileEditor: inspect, edit and resave the weights of files ember wrote."""

import os

import h5py
import numpy as np
import pytest

import ember
from ember import layers
from ember.saving import KerasFileEditor, h5_store


def _model(units=(4, 3, 2), trained=True):
    model = ember.Sequential([ember.Input((5,))] + [layers.Dense(u) for u in units[:1]]
                             + [layers.BatchNormalization()]
                             + [layers.Dense(u) for u in units[1:]])
    if trained:
        model.compile(optimizer="adam", loss="mse")
        rng = np.random.default_rng(0)
        model.fit(rng.normal(size=(8, 5)).astype("float32"),
                  rng.normal(size=(8, units[-1])).astype("float32"), epochs=1, verbose=0)
    return model


def _saved_tree(model):
    """The tree the editor should read back: ``model``'s saved values by path."""
    tree = {}
    for path, obj, kind in h5_store.walk(model):
        values, _ = h5_store.saved_values(obj, kind)
        if not values:
            continue
        node = tree
        for part in [p for p in path.split("/") if p]:
            node = node.setdefault(part, {})
        node.update({str(i): np.asarray(v) for i, v in enumerate(values)})
    return tree


def _assert_same_tree(actual, expected, path=""):
    assert sorted(actual) == sorted(expected), f"{path}: {sorted(actual)} != {sorted(expected)}"
    for key, value in expected.items():
        if isinstance(value, dict):
            _assert_same_tree(actual[key], value, f"{path}/{key}")
        else:
            assert actual[key].dtype == value.dtype, f"{path}/{key}"
            np.testing.assert_array_equal(actual[key], value, err_msg=f"{path}/{key}")


def _leaves(tree):
    return sum(_leaves(v) if isinstance(v, dict) else 1 for v in tree.values())


@pytest.fixture
def saved(tmp_path):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    return model, path


@pytest.mark.parametrize("suffix", ["m.keras", "m.weights.h5"])
def test_reads_every_saved_weight_by_path(tmp_path, suffix, capsys):
    model = _model()
    path = tmp_path / suffix
    model.save(path) if suffix.endswith(".keras") else model.save_weights(path)
    editor = KerasFileEditor(path)
    _assert_same_tree(editor.weights_dict, _saved_tree(model))
    assert editor.filepath == str(path)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Keras model file '{path}'"
    if suffix.endswith(".keras"):
        assert editor.config["class_name"] == "Sequential"
        assert editor.metadata["keras_version"] == ember.saving.saving_lib.KERAS_VERSION
        assert out[1].startswith(f"Saved with Keras {editor.metadata['keras_version']} - date: ")
    else:
        assert editor.config is None and editor.metadata is None and len(out) == 1
    dense = model.layers[0]
    assert editor.object_metadata["/layers/dense"] == {"name": dense.name}
    assert editor.object_metadata["/optimizer"] == {"name": model.optimizer.name}


def test_nested_objects_keep_their_sub_objects(tmp_path):
    # an LSTM holds no variables of its own: its weights live in its cell
    model = ember.Sequential([ember.Input((4, 3)), layers.LSTM(5), layers.Dense(2)])
    model.save_weights(tmp_path / "l.weights.h5")
    editor = KerasFileEditor(tmp_path / "l.weights.h5")
    _assert_same_tree(editor.weights_dict, _saved_tree(model))
    assert set(editor.weights_dict["layers"]["lstm"]) == {"cell"}
    editor.save(tmp_path / "copy.weights.h5")
    fresh = ember.Sequential([ember.Input((4, 3)), layers.LSTM(5), layers.Dense(2)])
    fresh.load_weights(tmp_path / "copy.weights.h5")
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_summary_prints_the_tree(saved, capsys):
    model, path = saved
    editor = KerasFileEditor(path)
    capsys.readouterr()
    editor.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Weights structure"
    assert lines[1] == "  > layers"
    expected_weights = []

    def collect(tree):
        for key, value in tree.items():
            if isinstance(value, dict):
                collect(value)
            else:
                expected_weights.append(f"{key}: shape={value.shape}, dtype={value.dtype}")

    collect(_saved_tree(model))
    weight_lines = [l for l in lines[1:] if ": shape=" in l]
    assert len(weight_lines) == len(expected_weights)
    for line, expected in zip(sorted(l.split("─ ")[-1] for l in weight_lines),
                              sorted(expected_weights)):
        assert line == expected
    assert f"  │   ├─ dense ('{model.layers[0].name}')" in lines
    assert lines[-1].startswith("      └─ ")  # last weight of the last object (optimizer)


def test_compare_with_the_same_model_succeeds(saved, capsys):
    model, path = saved
    editor = KerasFileEditor(path)
    capsys.readouterr()
    result = editor.compare(model)
    assert result == {"status": "success", "error_count": 0,
                      "match_count": _leaves(_saved_tree(model))}
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Running comparison"
    assert out[-2] == "Comparison successful: saved file is compatible with the reference model"
    assert out[-1] == f"    Found {result['match_count']} matching weights"


def test_compare_lists_every_mismatch(saved, capsys):
    _, path = saved
    editor = KerasFileEditor(path)
    other = ember.Sequential([ember.Input((5,)), layers.Dense(6), layers.Dense(2)])
    capsys.readouterr()
    result = editor.compare(other)
    out = capsys.readouterr().out
    # dense: (5, 6)/(6,) vs (5, 4)/(4,); dense_1: (6, 2) vs (4, 3) and bias (2,) vs (3,)
    assert out.count("...Weight shape mismatch for ") == 4
    assert ("...Weight shape mismatch for /layers/dense/0\n    In reference model: shape=(5, 6)"
            "\n    In saved file: shape=(5, 4)") in out
    # the file also holds batch_normalization, dense_2 and the optimizer; the model does not
    for name in ("/layers/batch_normalization", "/layers/dense_2", "/optimizer"):
        assert f"...Object {name} present in saved file, missing from reference model" in out
    assert "    In saved file, /layers/batch_normalization contains the following keys: " \
           "['0', '1', '2', '3']" in out
    assert result == {"status": "error", "error_count": 7, "match_count": 0}
    assert out.splitlines()[-1] == ("Found 7 errors: saved file is not compatible with the "
                                    "reference model")


def test_compare_reports_objects_and_weights_missing_from_the_file(saved, capsys):
    model, path = saved
    editor = KerasFileEditor(path)
    editor.delete_object("optimizer")
    editor.delete_weight("layers/dense", "1")
    capsys.readouterr()
    result = editor.compare(model)
    out = capsys.readouterr().out
    assert "...Object /optimizer present in reference model, missing from saved file" in out
    assert "...Weight /layers/dense/1 present in reference model, missing from saved file" in out
    assert result["status"] == "error" and result["error_count"] == 2
    assert out.splitlines()[-1] == ("Found 2 errors: saved file is not compatible with the "
                                    "reference model")


def test_edits_then_save_load_into_the_new_architecture(saved, tmp_path):
    old, path = saved
    old_weights = _saved_tree(old)["layers"]
    # the new model drops the batch norm and replaces the middle dense by a wider one
    new = ember.Sequential([ember.Input((5,)), layers.Dense(4), layers.Dense(7), layers.Dense(2)])
    editor = KerasFileEditor(path)
    editor.delete_object("batch_normalization")
    editor.delete_object("optimizer")
    editor.delete_object("layers/dense_1")
    editor.rename_object("dense_2", "dense_2_old")
    rng = np.random.default_rng(1)
    middle = {"0": rng.normal(size=(4, 7)).astype("float32"), "1": np.zeros(7, "float32")}
    editor.add_object("layers/dense_1", weights=middle)
    head_kernel = rng.normal(size=(7, 2)).astype("float32")
    editor.delete_object("dense_2_old")
    editor.add_object("layers/dense_2", {"0": head_kernel})
    editor.add_weights("layers/dense_2", {"1": old_weights["dense_2"]["1"]})
    assert editor.compare(new)["status"] == "success"
    editor.save(tmp_path / "edited.weights.h5")
    new.load_weights(tmp_path / "edited.weights.h5")
    expected = [old_weights["dense"]["0"], old_weights["dense"]["1"], middle["0"], middle["1"],
                head_kernel, old_weights["dense_2"]["1"]]
    for got, want in zip(new.get_weights(), expected):
        np.testing.assert_array_equal(got, want)


def test_delete_and_add_weights_replace_one_variable(saved, tmp_path):
    model, path = saved
    editor = KerasFileEditor(path)
    bias = np.arange(4, dtype="float32")
    editor.delete_weight("layers/dense", "1")
    assert list(editor.weights_dict["layers"]["dense"]) == ["0"]
    editor.add_weights("layers/dense", {"1": bias})
    editor.resave_weights(tmp_path / "e.weights.h5")
    fresh = _model(trained=True)
    fresh.load_weights(tmp_path / "e.weights.h5")
    np.testing.assert_array_equal(fresh.layers[0].bias.numpy(), bias)
    np.testing.assert_array_equal(fresh.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(fresh.layers[2].kernel.numpy(), model.layers[2].kernel.numpy())


def test_rename_keeps_position_and_name_metadata(saved):
    model, path = saved
    editor = KerasFileEditor(path)
    before = list(editor.weights_dict["layers"])
    editor.rename_object("layers/dense_1", "middle")
    after = list(editor.weights_dict["layers"])
    assert after == [("middle" if k == "dense_1" else k) for k in before]
    assert "/layers/dense_1" not in editor.object_metadata
    assert editor.object_metadata["/layers/middle"] == {"name": model.layers[2].name}
    editor.delete_object("middle")
    assert "/layers/middle" not in editor.object_metadata


def test_saved_file_keeps_names_and_the_format(saved, tmp_path):
    _, path = saved
    editor = KerasFileEditor(path)
    editor.save(tmp_path / "copy.weights.h5")
    again = KerasFileEditor(tmp_path / "copy.weights.h5")
    _assert_same_tree(again.weights_dict, editor.weights_dict)
    assert again.object_metadata == editor.object_metadata
    with h5py.File(tmp_path / "copy.weights.h5", "r") as h5:
        assert h5["layers/dense/vars"].attrs["name"] == editor.object_metadata[
            "/layers/dense"]["name"]


def test_root_variables_and_nested_added_objects_round_trip(tmp_path):
    path = tmp_path / "raw.weights.h5"
    with h5py.File(path, "w") as h5:
        h5.create_dataset("vars/0", data=np.ones(3, "float32"))
        h5.create_group("layers/empty/vars")  # objects without weights are left out
    editor = KerasFileEditor(path)
    assert list(editor.weights_dict) == ["0"]
    editor.add_object("block", {"0": np.zeros((2, 2), "int32"),
                                "inner": {"0": np.full(2, 5.0, "float32")}})
    editor.save(tmp_path / "out.weights.h5")
    with h5py.File(tmp_path / "out.weights.h5", "r") as h5:
        names = []
        h5.visit(names.append)
        assert sorted(names) == ["block", "block/inner", "block/inner/vars",
                                 "block/inner/vars/0", "block/vars", "block/vars/0", "vars",
                                 "vars/0"]
        assert h5["block/vars/0"].dtype == np.int32
    _assert_same_tree(KerasFileEditor(tmp_path / "out.weights.h5").weights_dict,
                      editor.weights_dict)


def test_save_is_atomic(saved, tmp_path):
    _, path = saved
    target = tmp_path / "t.weights.h5"
    editor = KerasFileEditor(path)
    editor.save(target)
    before = target.read_bytes()
    # a value h5py cannot store fails midway: the previous file stays, no temporary is left
    editor.weights_dict["layers"]["dense"]["9"] = np.array([object()], dtype=object)
    with pytest.raises(TypeError):
        editor.save(target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras", "t.weights.h5"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        KerasFileEditor(path).save(tmp_path / "missing_dir" / "x.weights.h5")


def test_opening_never_deserializes_the_config(tmp_path, monkeypatch):
    model = _model(trained=False)
    model.save(tmp_path / "m.keras")
    from ember.saving import serialization_lib

    def refuse(*args, **kwargs):
        raise AssertionError("the editor deserialized the config")

    monkeypatch.setattr(serialization_lib, "deserialize_keras_object", refuse)
    editor = KerasFileEditor(tmp_path / "m.keras")
    assert editor.config["class_name"] == "Sequential"


# -- errors --------------------------------------------------------------------------------------
def test_bad_filenames(tmp_path):
    with pytest.raises(ValueError, match=r"Invalid filename: expected a `.keras` `.weights.h5` "
                                         r"extension. Received: filepath=.*m\.h5"):
        KerasFileEditor(tmp_path / "m.h5")
    with pytest.raises(FileNotFoundError):
        KerasFileEditor(tmp_path / "absent.keras")
    with pytest.raises(FileNotFoundError):
        KerasFileEditor(tmp_path / "absent.weights.h5")
    with pytest.raises(TypeError):
        KerasFileEditor(3)


def test_save_refuses_other_extensions(saved, tmp_path):
    editor = KerasFileEditor(saved[1])
    for name in ("out.keras", "out.h5"):
        with pytest.raises(ValueError, match=r"Invalid `filepath` argument: expected a "
                                             r"`.weights.h5` extension"):
            editor.save(tmp_path / name)
    assert not (tmp_path / "out.keras").exists()


def test_names_and_paths_that_do_not_resolve(saved):
    editor = KerasFileEditor(saved[1])
    with pytest.raises(ValueError, match="Path 'layers/nothing' not found in model"):
        editor.delete_object("layers/nothing")
    with pytest.raises(ValueError, match="Path 'nothing/dense' not found in model"):
        editor.rename_object("nothing/dense", "x")
    with pytest.raises(ValueError, match="Path 'layers/dense/0/x' not found in model"):
        editor.delete_object("layers/dense/0/x")  # a weight is not a group
    with pytest.raises(ValueError, match="Source name 'nothing' does not appear in the model"):
        editor.delete_object("nothing")
    with pytest.raises(ValueError, match="Name '0' occurs more than once in the model; try "
                                         "passing a complete path"):
        editor.delete_object("0")
    with pytest.raises(ValueError, match="non-empty string"):
        editor.delete_object("")
    with pytest.raises(ValueError, match="non-empty string"):
        editor.delete_object(None)


def test_rename_errors(saved):
    editor = KerasFileEditor(saved[1])
    with pytest.raises(ValueError, match="`new_name` should be a leaf name"):
        editor.rename_object("dense", "layers/x")
    with pytest.raises(ValueError, match="'dense_1' already exists there; delete it first"):
        editor.rename_object("layers/dense", "dense_1")
    for bad in ("vars", "", 3):
        with pytest.raises(ValueError, match="Invalid name"):
            editor.rename_object("layers/dense", bad)
    editor.rename_object("layers/dense", "dense")  # to itself: nothing changes
    assert "dense" in editor.weights_dict["layers"]


def test_a_unique_bare_name_resolves_anywhere(saved):
    editor = KerasFileEditor(saved[1])
    assert "optimizer" in editor.weights_dict  # an object after "layers", at the top
    editor.rename_object("dense", "first")
    editor.delete_weight("first", "1")
    assert list(editor.weights_dict["layers"]["first"]) == ["0"]
    editor.delete_object("dense_2")
    assert "dense_2" not in editor.weights_dict["layers"]


def test_add_errors(saved):
    editor = KerasFileEditor(saved[1])
    with pytest.raises(ValueError, match=r"Argument `weights` should be a dict .* "
                                         r"type\(weights\)=<class 'list'>"):
        editor.add_object("layers/x", [np.ones(2)])
    with pytest.raises(ValueError, match="Argument `weights` should be a dict"):
        editor.add_weights("layers/dense", np.ones(2))
    with pytest.raises(ValueError, match="Path 'layers/nothing' not found in model"):
        editor.add_object("layers/nothing/x", {"0": np.ones(2)})
    with pytest.raises(ValueError, match="non-empty string path"):
        editor.add_object("", {"0": np.ones(2)})
    with pytest.raises(ValueError, match="Invalid name 'vars'"):
        editor.add_object("layers/vars", {})
    with pytest.raises(ValueError, match=r"Invalid name 0 in `weights`"):
        editor.add_object("layers/x", {0: np.ones(2)})
    with pytest.raises(TypeError, match="Weight '0' should be a numeric array; received dtype "
                                        "<U3"):
        editor.add_weights("layers/dense", {"0": "abc"})
    with pytest.raises(ValueError, match="'layers/dense/0' is a weight, not an object"):
        editor.add_weights("layers/dense/0", {"1": np.ones(2)})
    assert "x" not in editor.weights_dict["layers"]


def test_delete_weight_errors(saved):
    editor = KerasFileEditor(saved[1])
    with pytest.raises(ValueError, match=r"Weight 7 not found in object layers/dense. Weights "
                                         r"found: \['0', '1'\]"):
        editor.delete_weight("layers/dense", "7")
    with pytest.raises(ValueError, match="is a weight, not an object"):
        editor.delete_weight("layers/dense/0", "0")
    with pytest.raises(ValueError, match="Weight cell not found"):
        lstm = ember.Sequential([ember.Input((2, 3)), layers.LSTM(2)])
        lstm.save_weights(saved[1].parent / "l.weights.h5")
        KerasFileEditor(saved[1].parent / "l.weights.h5").delete_weight("lstm", "cell")


# -- files that are not what they claim ----------------------------------------------------------
def _h5(tmp_path, build):
    path = tmp_path / "bad.weights.h5"
    with h5py.File(path, "w") as h5:
        build(h5)
    return path


@pytest.mark.parametrize("build, message", [
    (lambda h5: h5.__setitem__("layers/a/vars/0", h5py.SoftLink("/elsewhere")),
     "refusing a soft link at"),
    (lambda h5: h5.__setitem__("layers/a/vars/0", h5py.ExternalLink("other.h5", "/x")),
     "refusing an external link at"),
    (lambda h5: h5.create_dataset("layers/a/0", data=np.ones(2)),
     "'layers/a/0' is a dataset outside a 'vars' group"),
    (lambda h5: h5.create_dataset("layers/a/vars/0", data=np.array([b"x"])),
     "has dtype .S1, not a number type"),
    (lambda h5: h5.create_group("layers/a/vars/0"), "is not a dataset"),
])
def test_malformed_files_are_refused(tmp_path, build, message):
    with pytest.raises(ValueError, match=message):
        KerasFileEditor(_h5(tmp_path, build))


def test_hard_link_cycles_and_aliases_are_refused(tmp_path):
    def cycle(h5):
        group = h5.create_group("layers/a")
        group["again"] = group

    with pytest.raises(ValueError, match="linked twice"):
        KerasFileEditor(_h5(tmp_path, cycle))


def test_truncated_files_give_a_clear_error(saved, tmp_path):
    data = saved[1].read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a valid .keras archive"):
        KerasFileEditor(tmp_path / "cut.keras")
    (tmp_path / "cut.weights.h5").write_bytes(b"not an hdf5 file at all")
    with pytest.raises(ValueError, match="not a readable HDF5 file"):
        KerasFileEditor(tmp_path / "cut.weights.h5")


def test_compare_needs_an_ember_model(saved):
    editor = KerasFileEditor(saved[1])
    with pytest.raises(TypeError, match="compare\\(\\) expects an ember model .* builtins.dict"):
        editor.compare({"layers": {}})


def test_groups_nested_absurdly_deep_are_refused(tmp_path):
    def deep(h5):
        h5.create_group("/".join(["g"] * 70))

    with pytest.raises(ValueError, match="nested more than 64 deep"):
        KerasFileEditor(_h5(tmp_path, deep))


def test_bfloat16_weights_are_read_as_float32(tmp_path):
    # bfloat16 is stored as its upper 16 bits with a dtype attribute, as Keras writes it
    values = np.array([1.5, -2.0, 0.15625], dtype="float32")

    def build(h5):
        ds = h5.create_dataset("layers/a/vars/0", data=(values.view(np.uint32) >> 16)
                               .astype(np.uint16))
        ds.attrs["dtype"] = "bfloat16"

    editor = KerasFileEditor(_h5(tmp_path, build))
    got = editor.weights_dict["layers"]["a"]["0"]
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, values)
