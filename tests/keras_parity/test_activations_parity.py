"""keras.activations parity: every registered activation resolves, computes and serializes
as Keras 3's (JAX) does."""

import numpy as np
import pytest
from parity_harness import assert_close

from ember import activations, registry

X = np.random.default_rng(0).normal(size=(3, 8)).astype("float32") * 3
# Keras 3.15's sparsemax is exact only when one entry per row survives (it adds every
# cumulative sum of the support into tau): compare on rows with one dominant entry
SPARSE_ROWS = np.array([[4.0, 1.0, -1.0, 0.5], [-2.0, 0.0, 3.0, 1.5]], dtype="float32")
ARGS = {"threshold": (0.5, -1.0)}


@pytest.mark.parametrize("name", registry.names("activation"))
def test_activation_matches_keras(keras, name):
    ours, theirs = activations.get(name), keras.activations.get(name)
    assert ours.__name__ == theirs.__name__
    assert activations.serialize(ours) == keras.activations.serialize(theirs)
    assert activations.deserialize(keras.activations.serialize(theirs)) is ours
    x = SPARSE_ROWS if name == "sparsemax" else X
    args = ARGS.get(name, ())
    got, expected = ours(x, *args), theirs(x, *args)
    assert got.dtype == np.dtype(expected.dtype), name
    assert_close(got, expected, rtol=1e-5, atol=1e-6, what=name)
