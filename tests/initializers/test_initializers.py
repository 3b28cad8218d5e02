"""Initializers: statistics, fans, orthogonality, seeds, configs exactly as Keras 3."""

import math

import numpy as np
import pytest

import ember
from ember import initializers, registry
from ember.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
)

SHAPE = (400, 300)
FAN_IN, FAN_OUT = SHAPE


@pytest.mark.parametrize("init,std", [
    (GlorotUniform(), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (GlorotNormal(), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (HeNormal(), math.sqrt(2 / FAN_IN)),
    (HeUniform(), math.sqrt(2 / FAN_IN)),
    (LecunNormal(), math.sqrt(1 / FAN_IN)),
    (LecunUniform(), math.sqrt(1 / FAN_IN)),
    (VarianceScaling(3.0, "fan_out", "untruncated_normal"), math.sqrt(3 / FAN_OUT)),
    (RandomNormal(mean=1.0, stddev=0.2), 0.2),
    (RandomUniform(-0.3, 0.5), 0.8 / math.sqrt(12)),
])
def test_statistics(init, std):
    w = init(SHAPE)
    assert w.shape == SHAPE and w.dtype == np.float32
    mean = init.get_config().get("mean", 0.0)
    if isinstance(init, RandomUniform):
        mean = 0.1
        assert w.min() >= -0.3 and w.max() < 0.5
    assert abs(w.mean() - mean) < 0.05 * std + 1e-3
    assert w.std() == pytest.approx(std, rel=0.03)


def test_uniform_limits_and_truncation():
    w = GlorotUniform()(SHAPE)
    limit = math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(w).max() <= limit
    t = TruncatedNormal(stddev=0.1)((200, 200))
    assert np.abs(t).max() <= 0.2 + 1e-6
    assert t.std() == pytest.approx(0.1 * 0.8796, rel=0.03)
    h = HeNormal()((200, 200))
    assert np.abs(h).max() <= 2 * math.sqrt(2 / 200) / 0.87962566103423978 + 1e-6


def test_fans_use_the_receptive_field():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((5,)) == (5, 5)
    assert initializers.compute_fans(()) == (1, 1)
    w = HeUniform()((3, 3, 16, 32))
    assert np.abs(w).max() <= math.sqrt(6 / 144)
    assert w.std() == pytest.approx(math.sqrt(2 / 144), rel=0.05)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (2, 3, 5)])
def test_orthogonal(shape):
    w = Orthogonal(gain=2.0, seed=1)(shape).astype("float64")
    flat = w.reshape(-1, shape[-1])
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-5)


def test_seeds_are_reproducible():
    a = GlorotUniform(seed=3)((4, 5))
    np.testing.assert_array_equal(a, GlorotUniform(seed=3)((4, 5)))
    init = RandomNormal(seed=7)
    np.testing.assert_array_equal(init((3,)), init((3,)))  # seeded: same at every call
    assert not np.array_equal(a, GlorotUniform(seed=4)((4, 5)))
    ember.utils.set_random_seed(11)
    b = GlorotUniform()((4, 5))
    c = GlorotUniform()((4, 5))
    assert not np.array_equal(b, c)  # unseeded: draws from the global generator
    ember.utils.set_random_seed(11)
    np.testing.assert_array_equal(GlorotUniform()((4, 5)), b)


def test_constant_zeros_ones_identity_and_dtypes():
    np.testing.assert_array_equal(Zeros()((2, 2)), 0)
    assert Ones()((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(Constant(3.5)((2, 3)), 3.5)
    np.testing.assert_array_equal(Constant([1.0, 2.0])((2, 2)), [[1, 2], [1, 2]])
    np.testing.assert_array_equal(Identity(gain=2.0)((2, 3)), [[2, 0, 0], [0, 2, 0]])
    with pytest.raises(ValueError, match="2-D"):
        Identity()((2, 2, 2))
    assert GlorotUniform()((3, 3), dtype="float64").dtype == np.float64
    assert Zeros()((2,), dtype="int32").dtype == np.int32


def test_keras_configs():
    assert GlorotUniform().get_config() == {"seed": None}
    assert HeNormal(seed=2).get_config() == {"seed": 2}
    assert RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05, "seed": None}
    assert TruncatedNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert Orthogonal().get_config() == {"gain": 1.0, "seed": None}
    assert Constant().get_config() == {"value": 0.0}
    assert Zeros().get_config() == {} and Ones().get_config() == {}
    assert Identity().get_config() == {"gain": 1.0}


ALL = [GlorotUniform(seed=1), GlorotNormal(), HeNormal(), HeUniform(), LecunNormal(),
       LecunUniform(), Zeros(), Ones(), Constant(2.0), RandomNormal(0.1, 0.2, seed=3),
       RandomUniform(-1.0, 1.0), TruncatedNormal(stddev=0.3), Orthogonal(gain=0.5),
       VarianceScaling(2.0, "fan_avg", "uniform", seed=5), Identity(gain=3.0)]


@pytest.mark.parametrize("init", ALL, ids=[type(i).__name__ for i in ALL])
def test_round_trip(init):
    envelope = registry.serialize(init)
    assert envelope["module"] == "keras.initializers"
    assert envelope["class_name"] == type(init).__name__
    rebuilt = initializers.deserialize(envelope)
    assert type(rebuilt) is type(init) and rebuilt.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()


@pytest.mark.parametrize("name,cls", [
    ("glorot_uniform", GlorotUniform), ("GlorotUniform", GlorotUniform),
    ("glorot_normal", GlorotNormal), ("he_normal", HeNormal), ("he_uniform", HeUniform),
    ("lecun_normal", LecunNormal), ("lecun_uniform", LecunUniform), ("zeros", Zeros),
    ("ones", Ones), ("constant", Constant), ("random_normal", RandomNormal),
    ("random_uniform", RandomUniform), ("truncated_normal", TruncatedNormal),
    ("orthogonal", Orthogonal), ("identity", Identity), ("variance_scaling", VarianceScaling),
])
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is cls


def test_get_errors_and_passthrough():
    assert initializers.get(None) is None
    init = GlorotUniform()
    assert initializers.get(init) is init
    assert initializers.get({"class_name": "RandomNormal", "config": {"stddev": 1.0}}).stddev == 1
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot'.*glorot_uniform"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="mode"):
        VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="seed"):
        GlorotUniform(seed="x")


def test_variable_uses_initializer():
    v = ember.Variable(initializers.get("glorot_uniform"), shape=(4, 3))
    assert v.shape == (4, 3) and v.dtype == np.float32
