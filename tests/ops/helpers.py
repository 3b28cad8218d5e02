"""Shared helpers for the op tests: random inputs, gradient checks, float32 checks."""

import numpy as np

import ember
from ember.autodiff.gradcheck import check_gradients


def rand(shape, seed=0, low=-1.0, high=1.0, away=0.0, dtype="float64"):
    """Uniform values in [low, high); with ``away`` > 0, at least ``away`` from zero (kinks)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=shape)
    if away:
        x = np.where(x >= 0, x + away, x - away)
    return np.asarray(x, dtype=dtype)


def pos(shape, seed=0, low=0.5, high=2.0):
    return rand(shape, seed, low, high)


def assert_grads(fn, *arrays, tolerance=1e-5, eps=1e-6):
    """Analytic gradients of ``fn`` agree with central differences (float64)."""
    report = check_gradients(fn, list(arrays), eps=eps, tolerance=tolerance)
    assert report, "no input was differentiated"
    return report


def float32_run(fn, *arrays):
    """Run ``fn`` on float32 inputs under a tape; return the output and the gradients, after
    asserting every one of them is float32 and has its input's shape."""
    xs = [ember.Variable(np.asarray(a, dtype="float32")) for a in arrays]
    with ember.GradientTape() as tape:
        y = fn(*xs)
        loss = ember.ops.sum(y)
    grads = tape.gradient(loss, xs)
    assert y.dtype == np.float32, f"output dtype {y.dtype}"
    for x, g in zip(xs, grads):
        if g is None:
            continue
        assert g.dtype == np.float32, f"gradient dtype {g.dtype}"
        assert g.shape == x.shape
    return y, grads


def close(a, b, rtol=1e-6, atol=1e-9):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol)
