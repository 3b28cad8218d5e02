"""keras.config, keras.backend and keras.dtype_policies: ember against Keras 3 (JAX backend)."""

import itertools
import warnings

import numpy as np
import pytest

import ember
from ember import config
from ember import dtype_policies as dp

DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
          "bfloat16", "float16", "float32", "float64", "complex64", "complex128", int, float,
          None]
# Keras's JAX (and NumPy) backends compute in 32 bits: they report every 64-bit result as its
# 32-bit form. ember computes in 64 bits when asked (a documented difference).
_AS_32_BITS = {"int64": "int32", "uint64": "uint32", "float64": "float32",
               "complex128": "complex64"}


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - the error type is what is compared
        return type(e).__name__


def test_result_type_grid_matches_keras(keras):
    combos = list(itertools.product(DTYPES, repeat=2)) + list(
        itertools.product(DTYPES[::3], repeat=3)) + [()]
    mismatches = []
    for combo in combos:
        want = _outcome(keras.backend.result_type, *combo)
        got = _outcome(ember.backend.result_type, *combo)
        if _AS_32_BITS.get(got, got) != want:
            mismatches.append((combo, want, got))
    assert not mismatches, mismatches[:20]


def test_result_type_float8_error_matches(keras):
    for fn in (keras.backend.result_type, ember.backend.result_type):
        with pytest.raises(ValueError, match="no implicit conversions from float8"):
            fn("float8_e4m3fn", "int8")


@pytest.mark.parametrize("dtype", ["float", "int", "bool", "double", "string", "str", "foo",
                                   "uint64", "bfloat16", "float8_e5m2", "complex64", int, float,
                                   bool, str, np.float32, np.dtype("int16"), None, 3])
def test_standardize_and_predicates_match_keras(keras, dtype):
    for name in ("standardize_dtype", "is_float_dtype", "is_int_dtype"):
        want = _outcome(getattr(keras.backend, name), dtype)
        got = _outcome(getattr(ember.backend, name), dtype)
        assert got == want, (name, dtype)


def test_backend_settings_match_keras_defaults(keras):
    for name in ("floatx", "epsilon", "image_data_format"):
        assert getattr(ember.backend, name)() == getattr(keras.backend, name)()
    for name in ("is_interactive_logging_enabled", "is_traceback_filtering_enabled",
                 "is_flash_attention_enabled", "max_epochs", "max_steps_per_epoch"):
        assert getattr(config, name)() == getattr(keras.config, name)(), name


def test_setter_errors_match_keras(keras):
    for module in (keras.backend, ember.backend):
        with pytest.raises(ValueError, match="Unknown `floatx` value"):
            module.set_floatx("int32")
        with pytest.raises(ValueError, match="data_format"):
            module.set_image_data_format("nhwc")
    for module in (keras.config, config):
        with pytest.raises(ValueError, match="Invalid `policy` argument"):
            module.set_dtype_policy(3)


def test_get_uid_counts_as_keras(keras):
    keras.backend.clear_session()
    ember.backend.clear_session()
    want = [keras.backend.get_uid(p) for p in ("a", "a", "b", "a", "")]
    got = [ember.backend.get_uid(p) for p in ("a", "a", "b", "a", "")]
    assert got == want


# -- dtype policies ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "mixed_float16",
                                  "mixed_bfloat16", "int32", None])
def test_policy_matches_keras(keras, name):
    k, e = keras.dtype_policies.get(name), dp.get(name)
    assert (e.name, e.compute_dtype, e.variable_dtype, e.quantization_mode, repr(e)) == (
        k.name, k.compute_dtype, k.variable_dtype, k.quantization_mode, repr(k))
    assert dp.serialize(e) == keras.dtype_policies.serialize(k)
    assert e.get_config() == k.get_config()


def test_policies_cross_deserialize(keras):
    for cls in ("DTypePolicy", "FloatDTypePolicy"):
        k = getattr(keras.dtype_policies, cls)("mixed_float16")
        e = dp.deserialize(keras.dtype_policies.serialize(k))
        assert type(e).__name__ == cls and e.name == "mixed_float16"
        back = keras.dtype_policies.deserialize(dp.serialize(e))
        assert type(back).__name__ == cls and back.name == "mixed_float16"


def test_policy_map_matches_keras(keras):
    km = keras.dtype_policies.DTypePolicyMap(default_policy="mixed_float16")
    em = dp.DTypePolicyMap(default_policy="mixed_float16")
    for m in (km, em):
        m["enc/dense"] = "float64"
        m["dec/.*"] = "bfloat16"
    assert dp.serialize(em) == keras.dtype_policies.serialize(km)
    for path in ("enc/dense", "dec/x/y", "other"):
        assert em[path].name == km[path].name
    assert (em.name, em.compute_dtype, em.variable_dtype) == (km.name, km.compute_dtype,
                                                              km.variable_dtype)
    again = keras.dtype_policies.deserialize(dp.serialize(em))
    assert again.get_config() == km.get_config()


@pytest.mark.parametrize("bad", ["foo", 3, "float"])
def test_policy_errors_match_keras(keras, bad):
    assert _outcome(dp.get, bad) == _outcome(keras.dtype_policies.get, bad)
    assert _outcome(dp.DTypePolicy, bad) == _outcome(keras.dtype_policies.DTypePolicy, bad)


# -- max epochs / steps --------------------------------------------------------------------------
def test_fit_caps_match_keras(keras):
    """The same fit under max_epochs=2 and max_steps_per_epoch=3 trains as many batches and
    reports the same params in ember and Keras."""
    x = np.ones((50, 2), "float32")
    y = np.ones((50, 1), "float32")
    runs = {}
    for name, lib, cfg in (("keras", keras, keras.config), ("ember", ember, config)):
        class Count(lib.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.batches = []

            def on_train_batch_end(self, batch, logs=None):
                self.batches.append(batch)

        model = lib.Sequential([lib.Input((2,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse")
        cfg.set_max_epochs(2)
        cfg.set_max_steps_per_epoch(3)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                history = model.fit(x, y, batch_size=10, epochs=4, steps_per_epoch=4,
                                    verbose=0, callbacks=[count := Count()])
        finally:
            cfg.set_max_epochs(None)
            cfg.set_max_steps_per_epoch(None)
        limits = sorted({str(w.message) for w in caught if "Limiting" in str(w.message)})
        runs[name] = (len(history.history["loss"]), history.params["steps"],
                      history.params["epochs"], count.batches[:3], limits)
    assert runs["ember"] == runs["keras"]
