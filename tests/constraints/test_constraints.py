"""Constraints: projections against NumPy, configs, resolution."""

import numpy as np
import pytest

import ember
from ember import constraints, registry
from ember.constraints import MaxNorm, MinMaxNorm, NonNeg, UnitNorm

W = np.array([[3.0, 0.1], [4.0, -0.2]], "float32")  # column norms 5 and ~0.2236
NORMS = np.sqrt((W.astype("float64") ** 2).sum(axis=0, keepdims=True))


def test_max_norm():
    out = MaxNorm(max_value=2.0)(W)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, W * np.minimum(NORMS, 2) / (1e-7 + NORMS), rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0)[0], 2.0, rtol=1e-6)


def test_non_neg_unit_norm_min_max():
    np.testing.assert_array_equal(NonNeg()(W), np.maximum(W, 0))
    np.testing.assert_allclose(np.linalg.norm(UnitNorm()(W), axis=0), 1.0, rtol=1e-5)
    out = MinMaxNorm(min_value=0.5, max_value=1.0)(W)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [1.0, 0.5], rtol=1e-5)
    half = MinMaxNorm(min_value=0.5, max_value=1.0, rate=0.5)(W)
    np.testing.assert_allclose(np.linalg.norm(half, axis=0), [3.0, (0.5 + NORMS[0, 1]) / 2],
                               rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(UnitNorm(axis=1)(W), axis=1), 1.0, rtol=1e-5)


def test_accepts_variables_and_assigns_in_place():
    v = ember.Variable(W)
    data = v.data
    v.assign(NonNeg()(v))
    assert v.data is data
    np.testing.assert_array_equal(v.numpy(), np.maximum(W, 0))


def test_configs_round_trip_and_get():
    for c in [MaxNorm(3, axis=1), NonNeg(), UnitNorm(axis=1), MinMaxNorm(0.1, 2.0, 0.5, 1)]:
        env = registry.serialize(c)
        assert env["module"] == "keras.constraints"
        rebuilt = constraints.deserialize(env)
        assert type(rebuilt) is type(c) and rebuilt.get_config() == c.get_config()
    assert MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert type(constraints.get("non_neg")) is NonNeg
    assert type(constraints.get("max_norm")) is MaxNorm
    assert type(constraints.get("UnitNorm")) is UnitNorm
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match="Unknown constraint: 'nonneg'.*non_neg"):
        constraints.get("nonneg")
