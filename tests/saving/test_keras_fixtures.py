"""Files written by real Keras 3.15.1 load in ember and predict what Keras predicted (1e-5)."""

import io
import json
import zipfile

import numpy as np
import pytest
from keras_files import FIXTURE_NAMES, fixture_path

from ember import registry
from ember.saving import load_model, model_from_json

h5py = pytest.importorskip("h5py")

ATOL = 1e-5
LEGACY = ("seed_mlp", "convnet", "batchnorm")
# Layers a fixture needs that ember does not implement yet: {fixture: reason}.
MISSING_LAYERS = {}


def _inputs_and_expected(name):
    with np.load(fixture_path(f"{name}.io.npz")) as data:
        x = [data["x0"], data["x1"]] if "x0" in data else data["x"]
        return x, data["y"]


def _require_layers(name):
    if name in MISSING_LAYERS:
        pytest.xfail(MISSING_LAYERS[name])
    with zipfile.ZipFile(fixture_path(f"{name}.keras")) as zf:
        text = zf.read("config.json").decode()
    missing = sorted({c for c in _class_names(json.loads(text)) if c not in registry.names("layer")
                      and c not in ("Sequential", "Functional")})
    assert not missing, f"ember lost layers {missing} that fixture {name} needs"


def _class_names(config):
    if isinstance(config, dict):
        if config.get("module", "").startswith("keras.layers") or config.get("module") == "keras":
            if config.get("class_name") not in ("DTypePolicy",):
                yield config["class_name"]
        for value in config.values():
            yield from _class_names(value)
    elif isinstance(config, list):
        for value in config:
            yield from _class_names(value)


def _stored_optimizer_values(path, member="model.weights.h5"):
    if str(path).endswith(".keras"):
        with zipfile.ZipFile(path) as zf:
            data = zf.read(member)
        f = h5py.File(io.BytesIO(data), "r")
    else:
        f = h5py.File(path, "r")
    with f:
        group = f["optimizer/vars"]
        return [group[str(i)][()] for i in range(len(group))]


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_keras_archive_predicts_as_keras(name):
    _require_layers(name)
    x, expected = _inputs_and_expected(name)
    model = load_model(fixture_path(f"{name}.keras"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=ATOL)
    # compiled, with the optimizer state of the file
    assert model.compiled
    stored = _stored_optimizer_values(fixture_path(f"{name}.keras"))
    assert int(model.optimizer.iterations.numpy()) == int(stored[0]) > 0
    assert len(model.optimizer.variables) == len(stored)
    for var, value in zip(model.optimizer.variables, stored):
        np.testing.assert_array_equal(var.numpy(), np.asarray(value, dtype=var.dtype))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_weights_file_into_model_from_config(name):
    _require_layers(name)
    x, expected = _inputs_and_expected(name)
    with zipfile.ZipFile(fixture_path(f"{name}.keras")) as zf:
        config = zf.read("config.json").decode()
    model = model_from_json(config)  # fresh weights, compiled
    assert np.abs(model.predict(x, verbose=0) - expected).max() > ATOL
    model.load_weights(fixture_path(f"{name}.weights.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=ATOL)
    stored = _stored_optimizer_values(fixture_path(f"{name}.weights.h5"))
    assert int(model.optimizer.iterations.numpy()) == int(stored[0])


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_load_weights_reads_a_keras_archive(name):
    _require_layers(name)
    x, expected = _inputs_and_expected(name)
    model = load_model(fixture_path(f"{name}.keras"), compile=False)
    for w in model.weights:
        w.assign(np.zeros(w.shape, dtype=w.dtype))
    model.load_weights(fixture_path(f"{name}.keras"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_h5_predicts_as_keras(name):
    _require_layers(name)
    x, expected = _inputs_and_expected(name)
    model = load_model(fixture_path(f"{name}.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=ATOL)
    assert model.compiled
    with h5py.File(fixture_path(f"{name}.h5"), "r") as f:
        iterations = [f["optimizer_weights"][n][()] for n in f["optimizer_weights"]
                      .attrs["weight_names"] if n.endswith("iteration")][0]
    assert int(model.optimizer.iterations.numpy()) == int(iterations) > 0


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_h5_load_weights(name):
    _require_layers(name)
    x, expected = _inputs_and_expected(name)
    model = load_model(fixture_path(f"{name}.keras"), compile=False)
    for w in model.weights:
        w.assign(np.zeros(w.shape, dtype=w.dtype))
    model.load_weights(fixture_path(f"{name}.h5"))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=0, atol=ATOL)


def test_training_resumes_from_a_keras_file():
    """The fixture's Adam moments are used: one more step in ember equals one Adam step
    computed by hand from the stored moments."""
    _require_layers("functional_two_inputs")
    model = load_model(fixture_path("functional_two_inputs.keras"))
    (x0, x1), _ = _inputs_and_expected("functional_two_inputs")
    y = (np.arange(len(x0)) % 2).astype("float32").reshape(-1, 1)
    before = [w.numpy().copy() for w in model.optimizer.variables]
    model.train_on_batch([x0, x1], y)
    after = [w.numpy() for w in model.optimizer.variables]
    assert int(after[0]) == int(before[0]) + 1
    # RMSprop keeps one slot per variable: the new value mixes the stored one (rho = 0.9)
    rho = model.optimizer.rho
    for old, new in zip(before[2:], after[2:]):
        assert np.all(new >= rho * old - 1e-7)
        assert not np.array_equal(new, old)


def test_unknown_keras_layer_is_named():
    text = fixture_path("seed_mlp.keras")
    with zipfile.ZipFile(text) as zf:
        config = json.loads(zf.read("config.json"))
    config["config"]["layers"][1]["class_name"] = "FancyNewLayer"
    with pytest.raises(ValueError, match="FancyNewLayer"):
        model_from_json(json.dumps(config))
