"""ember.dtype_policies (``keras.dtype_policies``); Keras parity in
tests/keras_parity/test_config_parity.py."""

import json

import numpy as np
import pytest

import ember
from ember import dtype_policies as dp
from ember import layers


@pytest.mark.parametrize("name, compute, variable", [
    ("mixed_float16", "float16", "float32"),
    ("mixed_bfloat16", "bfloat16", "float32"),
    ("float64", "float64", "float64"),
    ("float16", "float16", "float16"),
    ("int32", "int32", "int32"),
])
def test_policy_dtypes(name, compute, variable):
    policy = dp.DTypePolicy(name)
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (name, compute, variable)
    assert policy.quantization_mode is None
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert policy.get_config() == {"name": name}
    assert dp.DTypePolicy.from_config(policy.get_config()) == policy


def test_default_name_is_floatx():
    assert dp.DTypePolicy().name == ember.config.floatx()


def test_bad_names():
    with pytest.raises(TypeError, match="'name' must be a string.*name=3"):
        dp.DTypePolicy(3)
    with pytest.raises(ValueError, match="Cannot convert 'float'"):
        dp.DTypePolicy("float")


def test_float_policy_is_a_policy_and_keeps_its_class_name():
    policy = dp.FloatDTypePolicy("float16")
    assert isinstance(policy, dp.DTypePolicy) and policy == dp.DTypePolicy("float16")
    assert dp.serialize(policy)["class_name"] == "FloatDTypePolicy"
    assert type(dp.deserialize(dp.serialize(policy))) is dp.FloatDTypePolicy


def test_serialize_round_trip_and_get():
    policy = dp.DTypePolicy("mixed_bfloat16")
    envelope = dp.serialize(policy)
    assert envelope == {"module": "keras", "class_name": "DTypePolicy",
                        "config": {"name": "mixed_bfloat16"}, "registered_name": None}
    json.dumps(envelope)
    assert dp.deserialize(envelope) == policy
    assert dp.get(envelope) == policy
    assert dp.get("float64") == dp.DTypePolicy("float64")
    assert dp.get(policy) is policy
    assert dp.get(np.float16).name == "float16"
    assert dp.deserialize("float32") == "float32"  # a bare name is not an envelope
    for bad in (3, [1]):
        with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
            dp.get(bad)
    with pytest.raises(ValueError, match="Unknown"):
        dp.deserialize({"class_name": "NoSuchPolicy", "config": {}})


def test_convert_input_casts_floats_only():
    policy = dp.DTypePolicy("mixed_float16")
    x = policy.convert_input(np.ones(3, "float32"), True, policy.compute_dtype)
    assert isinstance(x, ember.Tensor) and str(x.dtype) == "float16"
    kept = policy.convert_input(np.ones(3, "float32"), False, "float16")
    assert str(kept.dtype) == "float32"
    ints = policy.convert_input(np.ones(3, "int32"), True, "float16")
    assert str(ints.dtype) == "int32"
    assert policy.convert_input("text", True, "float16") == "text"


def test_policy_map_lookup_by_exact_key_regex_and_default():
    m = dp.DTypePolicyMap(default_policy="mixed_float16")
    m["encoder/dense"] = "float64"
    m["decoder/.*"] = dp.DTypePolicy("bfloat16")
    assert m["encoder/dense"].name == "float64"
    assert m["decoder/attention/query"].name == "bfloat16"
    assert m["encoder/other"] == m.default_policy == dp.DTypePolicy("mixed_float16")
    assert (m.name, m.compute_dtype, m.variable_dtype) == ("map_mixed_float16", "float16",
                                                           "float32")
    assert list(m) == ["encoder/dense", "decoder/.*"] and len(m) == 2
    m["decoder/attention/.*"] = "float16"
    with pytest.raises(ValueError, match="matches multiple dtype policy"):
        m["decoder/attention/query"]
    with pytest.raises(ValueError, match="already exist in the DTypePolicyMap"):
        m["encoder/dense"] = "float32"
    with pytest.raises(ValueError, match="Cannot interpret the assigned value"):
        m["x"] = 3
    del m["encoder/dense"]
    assert "encoder/dense" not in m and len(m) == 2


def test_policy_map_errors_and_round_trip():
    with pytest.raises(TypeError, match="`policy_map` must be a dict"):
        dp.DTypePolicyMap(policy_map=3)
    with pytest.raises(ValueError, match="Cannot interpret `dtype` argument"):
        dp.DTypePolicyMap(default_policy=3)
    m = dp.DTypePolicyMap("float32", {"a/dense": "float16"})
    envelope = dp.serialize(m)
    assert envelope["module"] == "keras.dtype_policies"
    assert envelope["config"]["policy_map"]["a/dense"]["config"] == {"name": "float16"}
    json.dumps(envelope)
    again = dp.deserialize(envelope)
    assert type(again) is dp.DTypePolicyMap and again.get_config() == m.get_config()
    assert again["a/dense"].name == "float16"


def test_layers_accept_a_policy_object():
    layer = layers.Dense(2, dtype=dp.DTypePolicy("float64"))
    out = layer(np.ones((1, 3), "float64"))
    assert str(out.dtype) == "float64"


def test_top_level_names():
    assert ember.DTypePolicy is dp.DTypePolicy
    assert ember.FloatDTypePolicy is dp.FloatDTypePolicy
