"""ember.mixed_precision: keras.mixed_precision's names, the same objects as elsewhere."""

import pytest

import ember
from ember import config, mixed_precision


@pytest.fixture(autouse=True)
def _global_policy(monkeypatch):
    monkeypatch.setattr(config, "_DTYPE_POLICY", None)


def test_names_are_the_shared_objects():
    assert mixed_precision.DTypePolicy is ember.DTypePolicy
    assert mixed_precision.Policy is ember.DTypePolicy
    assert mixed_precision.LossScaleOptimizer is ember.optimizers.LossScaleOptimizer
    assert mixed_precision.dtype_policy is config.dtype_policy
    assert mixed_precision.global_policy is config.dtype_policy
    assert mixed_precision.set_dtype_policy is config.set_dtype_policy
    assert mixed_precision.set_global_policy is config.set_dtype_policy
    assert sorted(mixed_precision.__all__) == [
        "DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
        "set_dtype_policy", "set_global_policy"]


def test_reachable_as_ember_and_keras_attribute():
    import ember.keras

    assert ember.mixed_precision is mixed_precision
    assert ember.keras.mixed_precision is mixed_precision


def test_global_policy_default_follows_floatx(monkeypatch):
    assert mixed_precision.global_policy().name == "float32"
    monkeypatch.setattr(config, "_FLOATX", "float64")
    assert mixed_precision.global_policy().name == "float64"


def test_set_global_policy_by_name_and_object():
    mixed_precision.set_global_policy("mixed_float16")
    policy = mixed_precision.global_policy()
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == (
        "mixed_float16", "float16", "float32")
    mixed_precision.set_global_policy(mixed_precision.Policy("mixed_bfloat16"))
    assert mixed_precision.global_policy().compute_dtype == "bfloat16"
    assert config.floatx() == "float32"  # the policy does not change floatx


@pytest.mark.parametrize("bad, match", [("mixed_float17", "Cannot convert"),
                                        (3, "Invalid `policy` argument"),
                                        (None, "Invalid `policy` argument")])
def test_set_global_policy_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        mixed_precision.set_global_policy(bad)
    assert mixed_precision.global_policy().name == "float32"
