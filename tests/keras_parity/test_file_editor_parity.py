"""KerasFileEditor against Keras's own: same trees, same summary, same comparison messages, and
the same edits giving files that both Keras and ember load with the same weights.

Known differences (by design): ember's compare counts each mismatch and match once (Keras 3.15
counts some twice), summary shows the saved object name after each object, ember keeps the
sub-objects of objects without own weights (an LSTM's cell), which Keras 3.15 drops, and a
unique bare name ("dense") always resolves, where Keras 3.15's miscount calls it ambiguous when
another object follows its parent (so the edits below delete the optimizer first, or use paths).
"""

import contextlib
import io
import re

import numpy as np
import pytest
from parity_harness import to_numpy

import ember
from ember.saving import KerasFileEditor


def _keras_model(keras, middle=True, units=4):
    stack = [keras.Input((5,)), keras.layers.Dense(units), keras.layers.Dropout(0.1)]
    if middle:
        stack.append(keras.layers.BatchNormalization())
    return keras.Sequential(stack + [keras.layers.Dense(2)])


def _ember_model(middle=True, units=4):
    stack = [ember.Input((5,)), ember.layers.Dense(units), ember.layers.Dropout(0.1)]
    if middle:
        stack.append(ember.layers.BatchNormalization())
    return ember.Sequential(stack + [ember.layers.Dense(2)])


@pytest.fixture
def files(keras, tmp_path):
    """A trained Keras model saved by Keras (.keras and .weights.h5) and, reloaded in ember,
    saved again by ember."""
    model = _keras_model(keras)
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(8, 5)), rng.normal(size=(8, 2)), epochs=2, verbose=0)
    model.save(tmp_path / "keras.keras")
    model.save_weights(tmp_path / "keras.weights.h5")
    ember.saving.load_model(tmp_path / "keras.keras").save(tmp_path / "ember.keras")
    return {name: tmp_path / name for name in ("keras.keras", "keras.weights.h5", "ember.keras")}


def _quiet(make):
    with contextlib.redirect_stdout(io.StringIO()):
        return make()


def _printed(action):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = action()
    return buffer.getvalue(), result


def _assert_same_tree(ours, theirs, path=""):
    assert list(ours) == list(theirs), f"{path}: {list(ours)} != {list(theirs)}"
    for key, value in theirs.items():
        if isinstance(value, dict):
            _assert_same_tree(ours[key], value, f"{path}/{key}")
        else:
            assert ours[key].dtype == value.dtype, f"{path}/{key}"
            np.testing.assert_array_equal(ours[key], value, err_msg=f"{path}/{key}")


@pytest.mark.parametrize("name", ["keras.keras", "keras.weights.h5", "ember.keras"])
def test_both_editors_read_the_same_weights(keras, files, name):
    theirs = _quiet(lambda: keras.saving.KerasFileEditor(str(files[name])))
    ours = _quiet(lambda: KerasFileEditor(files[name]))
    _assert_same_tree(ours.weights_dict, theirs.weights_dict)
    assert ours.object_metadata == {k: {"name": str(v["name"])}
                                    for k, v in theirs.object_metadata.items()}
    assert ours.config == theirs.config and ours.metadata == theirs.metadata


@pytest.mark.parametrize("name", ["keras.keras", "ember.keras"])
def test_summary_prints_the_same_tree(keras, files, name):
    def run(editor_class):
        text = _printed(lambda: editor_class(str(files[name])).summary())[0]
        header, tree = text.split("Weights structure\n")
        # rich wraps Keras's header (a long path) at 80 columns; the tree lines are short
        return " ".join(header.split()), tree.splitlines()

    k_header, theirs = run(keras.saving.KerasFileEditor)
    e_header, ours = run(KerasFileEditor)
    assert e_header == k_header
    # ember also names the saved object after its path: "dense ('dense_3')"
    assert [re.sub(r" \('[^']*'\)$", "", line) for line in ours] == theirs
    assert any(re.search(r"─ batch_normalization \('batch_normalization\w*'\)$", line)
               for line in ours)


def _leaves(tree):
    return sum(_leaves(v) if isinstance(v, dict) else 1 for v in tree.values())


def _messages(text):
    """The comparison's messages, each on one line (rich wraps Keras's at 80 columns)."""
    chunks = re.split(r"\n(?=\.\.\.|─|Found|Comparison)", text.strip())
    return sorted(" ".join(chunk.split()) for chunk in chunks if chunk.startswith("..."))


@pytest.mark.parametrize("same", [True, False], ids=["same-architecture", "other-architecture"])
def test_compare_finds_the_same_mismatches(keras, files, same):
    path = str(files["keras.keras"])
    kwargs = {} if same else {"middle": False, "units": 6}
    k_model, e_model = _keras_model(keras, **kwargs), _ember_model(**kwargs)
    if same:
        k_model.compile(optimizer="adam", loss="mse")
        e_model.compile(optimizer="adam", loss="mse")
        for model in (k_model, e_model):  # build the optimizers' slots, as in the file
            model.optimizer.build(model.trainable_variables)
    k_editor = _quiet(lambda: keras.saving.KerasFileEditor(path))
    e_editor = _quiet(lambda: KerasFileEditor(path))
    k_text, k_result = _printed(lambda: k_editor.compare(k_model))
    e_text, e_result = _printed(lambda: e_editor.compare(e_model))
    assert e_result["status"] == k_result["status"] == ("success" if same else "error")
    assert _messages(e_text) == _messages(k_text)
    assert e_result["error_count"] == len(_messages(e_text))
    if same:  # every weight of the file matches, each counted once
        assert e_result["match_count"] == _leaves(e_editor.weights_dict)
    assert e_text.splitlines()[0] == k_text.splitlines()[0] == "Running comparison"


def _edit(editor, new_kernel, new_bias):
    editor.delete_object("optimizer")
    editor.delete_object("batch_normalization")
    editor.rename_object("layers/dense_1", "head")  # moved aside, then back
    editor.add_object("layers/dense_2", {"0": new_kernel})
    editor.delete_object("dense_2")
    editor.rename_object("head", "dense_1")
    editor.delete_weight("layers/dense", "1")
    editor.add_weights("dense", {"1": new_bias})


def test_same_edits_give_files_both_load_alike(keras, files, tmp_path):
    new_bias = np.linspace(-1, 1, 4).astype("float32")
    new_kernel = np.ones((4, 2), "float32")
    k_editor = _quiet(lambda: keras.saving.KerasFileEditor(str(files["keras.keras"])))
    e_editor = _quiet(lambda: KerasFileEditor(files["keras.keras"]))
    _edit(k_editor, new_kernel, new_bias)
    _edit(e_editor, new_kernel, new_bias)
    _assert_same_tree(e_editor.weights_dict, k_editor.weights_dict)
    k_editor.save(str(tmp_path / "k_out.weights.h5"))
    e_editor.save(tmp_path / "e_out.weights.h5")

    original = _quiet(lambda: KerasFileEditor(files["keras.keras"])).weights_dict["layers"]
    expected = [original["dense"]["0"], new_bias, original["dense_1"]["0"],
                original["dense_1"]["1"]]
    for out in ("k_out.weights.h5", "e_out.weights.h5"):
        k_model = _keras_model(keras, middle=False)
        k_model.load_weights(str(tmp_path / out))
        e_model = _ember_model(middle=False)
        e_model.load_weights(tmp_path / out)
        for k_value, e_value, want in zip(k_model.get_weights(), e_model.get_weights(),
                                          expected, strict=True):
            np.testing.assert_array_equal(to_numpy(k_value), want)
            np.testing.assert_array_equal(to_numpy(e_value), want)


@pytest.mark.parametrize("action", [
    lambda e, tmp: e.delete_object("layers/nothing"),
    lambda e, tmp: e.delete_object("nothing"),
    lambda e, tmp: e.delete_object("0"),  # occurs in several objects
    lambda e, tmp: e.rename_object("dense", "layers/x"),
    lambda e, tmp: e.add_object("layers/x", [np.ones(2)]),
    lambda e, tmp: e.add_object("nothing/x", {"0": np.ones(2)}),
    lambda e, tmp: e.add_weights("dense", [np.ones(2)]),
    lambda e, tmp: e.delete_weight("layers/dense", "7"),
    lambda e, tmp: e.save(str(tmp / "out.h5")),
], ids=["missing-path", "missing-name", "ambiguous-name", "path-as-new-name",
        "weights-not-dict", "missing-parent", "add-weights-not-dict", "missing-weight",
        "save-extension"])
def test_errors_match_keras(keras, files, tmp_path, action):
    path = str(files["keras.keras"])
    k_editor = _quiet(lambda: keras.saving.KerasFileEditor(path))
    e_editor = _quiet(lambda: KerasFileEditor(path))
    with pytest.raises(ValueError) as k_error:
        action(k_editor, tmp_path)
    with pytest.raises(ValueError) as e_error:
        action(e_editor, tmp_path)
    # the first clause (before any "Received"/"Use ..." detail) is the same sentence
    assert str(e_error.value).split(".")[0] == str(k_error.value).split(".")[0] or \
        str(e_error.value).startswith("Argument `new_name`")


def test_bad_extension_matches_keras(keras, tmp_path):
    with pytest.raises(ValueError) as k_error:
        keras.saving.KerasFileEditor(str(tmp_path / "m.h5"))
    with pytest.raises(ValueError) as e_error:
        KerasFileEditor(tmp_path / "m.h5")
    assert str(e_error.value) == str(k_error.value)
