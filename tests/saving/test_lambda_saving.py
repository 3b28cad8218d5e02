"""Lambda layers in files: written as Keras writes them (a lambda as bytecode), read back only
when the caller opts in with ``safe_mode=False`` (parity with Keras: tests/keras_parity)."""

import base64
import json
import marshal
import warnings

import numpy as np
import pytest

import ember
from ember import layers
from ember.saving import load_model, serialization_lib

h5py = pytest.importorskip("h5py")

X = np.linspace(-1.0, 1.0, 8, dtype="float32").reshape(2, 4)


@ember.saving.register_keras_serializable(package="lambda_test")
def _cube(x):
    return x * x * x


def _model():
    return ember.Sequential([
        layers.Input((4,)), layers.Dense(3, name="dense"),
        layers.Lambda(lambda x: x * 2.0, name="twice"),
        layers.Lambda(_cube, output_shape=lambda s: s, name="cube"),
        layers.Lambda(lambda x, a: x + a, arguments={"a": 0.5}, output_shape=(3,),
                      name="offset")])


def _save(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .h5 is legacy and says so
        model.save(path)


def test_lambda_config_stores_bytecode_and_function_names():
    fn = lambda x, k=3: x * k  # noqa: E731
    config = layers.Lambda(fn, name="lam").get_config()
    stored = config["function"]
    assert stored["class_name"] == "__lambda__"
    assert marshal.loads(base64.b64decode(stored["config"]["code"])) == fn.__code__
    assert stored["config"]["defaults"] == (3,) and stored["config"]["closure"] is None
    assert config["arguments"] == {} and "output_shape" not in config and "mask" not in config
    named = layers.Lambda(_cube).get_config()["function"]
    assert named == {"module": "builtins", "class_name": "function",
                     "config": "lambda_test>_cube", "registered_name": "function"}
    json.dumps(config)  # the whole config is JSON


def test_lambda_from_config_needs_safe_mode_off():
    config = layers.Lambda(lambda x: x + 1.0, name="plus").get_config()
    with pytest.raises(ValueError, match=r"Lambda layer 'plus'.*safe_mode=False"):
        layers.Lambda.from_config(config)
    with pytest.warns(UserWarning, match="runs Python bytecode"):
        layer = layers.Lambda.from_config(config, safe_mode=False)
    np.testing.assert_array_equal(layer(X).numpy(), X + 1.0)
    with serialization_lib.safe_mode_scope(False), pytest.warns(UserWarning):
        assert layers.Lambda.from_config(config)(X).shape == X.shape


@pytest.mark.parametrize("ext", ["keras", "h5"])
def test_lambda_model_round_trip(tmp_path, ext):
    model = _model()
    path = tmp_path / f"m.{ext}"
    _save(model, path)
    with pytest.raises(serialization_lib.UnsafeObjectError,
                       match=r"Lambda layer 'twice'.*safe_mode=False"):
        load_model(path)
    with pytest.warns(UserWarning, match="safe_mode=False"):
        loaded = load_model(path, safe_mode=False)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-6)


def test_named_function_lambda_loads_in_safe_mode(tmp_path):
    model = ember.Sequential([layers.Input((4,)), layers.Lambda(_cube, name="cube")])
    _save(model, tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")  # no code in the file: nothing to refuse
    np.testing.assert_allclose(loaded.predict(X, verbose=0), X ** 3, rtol=1e-6)


def _keras2_h5(tmp_path):
    """A legacy .h5 whose Lambda is written the Keras 2 way: the bytecode as a list, with
    ``function_type``, ``module`` and ``output_shape_type`` beside it."""
    path = tmp_path / "keras2.h5"
    model = ember.Sequential([layers.Input((4,)), layers.Dense(3, name="dense"),
                              layers.Lambda(_cube, name="lam")])
    _save(model, path)
    code = base64.encodebytes(marshal.dumps((lambda x: x * 2.0).__code__)).decode("ascii")
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        lam = config["config"]["layers"][-1]["config"]
        lam.update({"function": [code, None, None], "function_type": "lambda",
                    "module": "__main__", "output_shape": None, "output_shape_type": "raw",
                    "output_shape_module": None})
        f.attrs["model_config"] = json.dumps(config)
    return path, model


def test_keras2_lambda_in_legacy_h5_is_refused_then_loads_with_safe_mode_off(tmp_path):
    path, model = _keras2_h5(tmp_path)
    with pytest.raises(ValueError, match=r"Refusing.*Lambda layer 'lam'.*safe_mode=False"):
        load_model(path)
    with pytest.warns(UserWarning, match="safe_mode=False"):
        loaded = load_model(path, safe_mode=False)
    dense = model.get_layer("dense")(X).numpy()
    np.testing.assert_allclose(loaded.predict(X, verbose=0), dense * 2.0, rtol=1e-6)


def test_keras2_raw_output_shape_is_not_taken_for_bytecode():
    config = {"name": "lam", "function": "lambda_test>_cube", "function_type": "function",
              "output_shape": [3], "output_shape_type": "raw", "arguments": {}}
    layer = layers.Lambda.from_config(config)
    assert layer.function is _cube and layer._output_shape == (3,)


def test_serialize_keras_object_writes_a_lambda_as_keras_does():
    fn = lambda x: x - 1.0  # noqa: E731
    with pytest.warns(UserWarning, match="lambda"):
        envelope = serialization_lib.serialize_keras_object(fn)
    assert envelope["class_name"] == "__lambda__" and len(envelope["config"]["value"]) == 3
    with pytest.raises(ValueError, match="safe_mode=False"):
        serialization_lib.deserialize_keras_object(envelope)
    with pytest.warns(UserWarning):
        back = serialization_lib.deserialize_keras_object(envelope, safe_mode=False)
    assert back(3.0) == 2.0


def test_lambda_mask_and_arguments():
    masked = layers.Lambda(lambda x: x, mask=lambda inputs, mask: inputs > 0)
    out = masked(ember.ops.convert_to_tensor(X))
    np.testing.assert_array_equal(out._keras_mask.numpy(), X > 0)
    seen = {}

    def fn(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    layers.Lambda(fn)(X, training=True)
    assert seen == {"mask": None, "training": True}
    config = layers.Lambda(lambda x: x, mask=lambda i, m: m).get_config()
    assert config["mask"]["class_name"] == "__lambda__"
