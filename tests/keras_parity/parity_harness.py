"""Helpers of the parity harness: import Keras (or skip/fail), move weights, compare values.

A plain module (not conftest.py) so that test modules import it by name; the ``keras`` fixture in
conftest.py uses it too.
"""

import os

import numpy as np
import pytest


def import_keras():
    # Keras picks its backend at import; ember's dev extra installs JAX, not TensorFlow
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError as exc:  # pragma: no cover - depends on the environment
        reason = f"Keras 3 is not installed ({exc}); install ember[dev] to run parity tests"
        if os.environ.get("EMBER_REQUIRE_KERAS") == "1":
            pytest.fail(reason + " and EMBER_REQUIRE_KERAS=1 requires it")
        pytest.skip(reason)
    return keras


def to_numpy(x):
    """A NumPy array from an ember Tensor, a JAX array or anything array-like."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return np.asarray(x.numpy())
    return np.asarray(x)


def copy_weights(source, target):
    """Copy ``source``'s weights into ``target`` (Keras -> ember or ember -> Keras), checking
    that both have the same number of weights with the same shapes, in the same order."""
    values = [to_numpy(w) for w in source.get_weights()]
    shapes_t = [tuple(np.shape(w)) for w in target.get_weights()]
    assert [v.shape for v in values] == shapes_t, (
        f"weight shapes differ: {[v.shape for v in values]} vs {shapes_t}")
    target.set_weights(values)


def assert_close(a, b, rtol=1e-5, atol=1e-6, what=""):
    a, b = to_numpy(a), to_numpy(b)
    assert a.shape == b.shape, f"{what}: shapes differ: ember {a.shape}, keras {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)
