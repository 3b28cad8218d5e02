"""keras.random: distributions, seeds, SeedGenerator."""

import numpy as np
import pytest

import ember
from ember import random
from ember.utils.random import set_random_seed


def test_normal_uniform_moments_and_dtype():
    x = random.normal((20000,), mean=1.0, stddev=2.0, seed=1).numpy()
    assert x.dtype == np.float32
    assert abs(x.mean() - 1.0) < 0.05 and abs(x.std() - 2.0) < 0.05
    u = random.uniform((20000,), minval=-2.0, maxval=3.0, seed=1).numpy()
    assert u.dtype == np.float32
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    assert random.normal((2, 3), dtype="float64").dtype == np.float64


def test_truncated_normal_is_within_two_stddevs():
    x = random.truncated_normal((5000,), mean=0.5, stddev=0.1, seed=3).numpy()
    assert x.dtype == np.float32
    assert np.all(np.abs(x - 0.5) <= 0.2 + 1e-6)
    assert 0.07 < x.std() < 0.1


def test_randint_shuffle_categorical():
    r = random.randint((1000,), 2, 5, seed=0).numpy()
    assert r.dtype == np.int32 and set(np.unique(r)) == {2, 3, 4}
    x = np.arange(10)
    s = random.shuffle(x, seed=4).numpy()
    assert sorted(s) == list(range(10)) and not np.array_equal(s, x)
    m = random.shuffle(np.arange(12).reshape(3, 4), axis=1, seed=4).numpy()
    assert sorted(m[0]) == [0, 1, 2, 3]
    logits = np.log(np.array([[0.1, 0.9], [1.0, 1e-9]]))
    c = random.categorical(logits, 2000, seed=5).numpy()
    assert c.shape == (2, 2000)
    assert 0.85 < c[0].mean() < 0.95 and c[1].max() == 0


def test_gamma_binomial_beta():
    assert random.gamma((1000,), alpha=2.0, seed=1).numpy().mean() == pytest.approx(2, rel=0.1)
    b = random.binomial((1000,), counts=10, probabilities=0.3, seed=1).numpy()
    assert b.mean() == pytest.approx(3, rel=0.1)
    assert random.beta((1000,), 2.0, 2.0, seed=1).numpy().mean() == pytest.approx(0.5, rel=0.1)


def test_int_seed_repeats_and_none_follows_the_global_seed():
    a = random.normal((5,), seed=42).numpy()
    np.testing.assert_array_equal(random.normal((5,), seed=42).numpy(), a)
    set_random_seed(7)
    b = random.uniform((5,)).numpy()
    c = random.uniform((5,)).numpy()
    assert not np.array_equal(b, c)
    set_random_seed(7)
    np.testing.assert_array_equal(random.uniform((5,)).numpy(), b)


def test_seed_generator():
    gen = random.SeedGenerator(3)
    a = random.normal((4,), seed=gen).numpy()
    b = random.normal((4,), seed=gen).numpy()
    assert not np.array_equal(a, b)
    gen2 = random.SeedGenerator.from_config(gen.get_config())
    np.testing.assert_array_equal(random.normal((4,), seed=gen2).numpy(), a)
    assert isinstance(gen.state, ember.Variable) and not gen.state.trainable
    assert gen.state.numpy().tolist() == [3, 2]
    assert gen.next().numpy().tolist() == [3, 2]
    set_random_seed(1)
    s1 = random.SeedGenerator().initial_seed
    set_random_seed(1)
    assert random.SeedGenerator().initial_seed == s1


def test_dropout_from_random():
    x = np.ones((100, 100), dtype="float32")
    y = random.dropout(x, 0.25, seed=2).numpy()
    assert 0.7 < (y != 0).mean() < 0.8
    assert y.dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="normal: dtype must be a float dtype"):
        random.normal((2,), dtype="int32")
    with pytest.raises(ValueError, match=r"randint: maxval \(1\) must be greater than minval"):
        random.randint((2,), 1, 1)
    with pytest.raises(ValueError, match="A seed must be None, an int or a SeedGenerator"):
        random.normal((2,), seed="abc")
    with pytest.raises(TypeError, match="SeedGenerator: seed must be an int or None"):
        random.SeedGenerator(1.5)
    with pytest.raises(ValueError, match=r"uniform: shape must be non-negative"):
        random.uniform((-1, 2))
