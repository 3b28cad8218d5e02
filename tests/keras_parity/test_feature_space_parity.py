"""keras.utils.FeatureSpace against Keras. Keras's FeatureSpace itself needs TensorFlow (not
installed beside Keras on JAX), so this compares the pieces of it that run on JAX - the
Discretization quantile sketch, Discretization's bucketing, CategoryEncoding's one-hot,
Normalization - on the same small table, checks the hashes against the values Keras's own test
suite asserts (FarmHash via TensorFlow), and the public signatures."""

import inspect

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember
from ember.tf.data import Dataset

FS = ember.utils.FeatureSpace


def _column(n, seed):
    return np.random.default_rng(seed).gamma(2.0, 3.0, size=n).astype("float32")


def _keras_bins(keras, values, num_bins, batch):
    """Keras's Discretization adapted batch by batch (its adapt() needs tf.data only to test
    for a Dataset; update_state/finalize_state are its adapt loop)."""
    layer = keras.layers.Discretization(num_bins=num_bins)
    layer.reset_state()
    for i in range(0, len(values), batch):
        layer.update_state(values[i:i + batch].reshape(-1, 1))
    layer.finalize_state()
    return layer


@pytest.mark.parametrize("n", [7, 50, 333])
@pytest.mark.parametrize("num_bins", [2, 5, 32])
@pytest.mark.parametrize("batched", [None, 13])
def test_discretized_bins_match_keras(keras, n, num_bins, batched):
    values = _column(n, seed=n)
    space = FS({"x": FS.float_discretized(num_bins)}, output_mode="dict")
    ds = Dataset.from_tensor_slices({"x": values})
    space.adapt(ds.batch(batched) if batched else ds)  # unbatched: batches of 32, as Keras
    theirs = _keras_bins(keras, values, num_bins, batched or 32)
    ours = space.features["x"].preprocessor.bin_boundaries
    assert_close(np.float32(ours), np.float32(theirs.bin_boundaries), rtol=1e-6)
    # bucketing, then one-hot (Keras: CategoryEncoding multi_hot of the (n, 1) indices)
    indices = theirs(values.reshape(-1, 1))
    encoder = keras.layers.CategoryEncoding(num_tokens=num_bins, output_mode="multi_hot")
    expected = to_numpy(encoder(indices))
    got = to_numpy(space({"x": values})["x"])
    assert got.dtype == expected.dtype == np.float32
    np.testing.assert_array_equal(got, expected)


def test_normalized_feature_matches_keras(keras):
    values = _column(100, seed=1)
    space = FS({"x": "float_normalized"})
    space.adapt({"x": values})
    layer = keras.layers.Normalization(axis=-1)
    layer.adapt(values.reshape(-1, 1))
    assert_close(space({"x": values}), layer(values.reshape(-1, 1)), rtol=1e-5, atol=1e-5)


def test_rescaled_feature_matches_keras(keras):
    values = _column(20, seed=2)
    space = FS({"x": FS.float_rescaled(scale=0.5, offset=-1.0)})
    expected = keras.layers.Rescaling(scale=0.5, offset=-1.0)(values.reshape(-1, 1))
    assert_close(space({"x": values}), expected)


# Values asserted by Keras's own tests of Hashing and HashedCrossing (keras/src/layers/
# preprocessing/hashing_test.py and hashed_crossing_test.py), computed there by TensorFlow.
@pytest.mark.parametrize("values,num_bins,expected", [
    (["omar", "stringer", "marlo", "wire", "skywalker"], 2, [0, 0, 1, 0, 0]),
    (["A", "B", "C", "D", "E"], 3, [1, 0, 1, 1, 2]),
    ([0, 1, 2, 3, 4], 3, [1, 0, 1, 0, 2]),
    (["A", "B", "C", "D", "E"], 1, [0, 0, 0, 0, 0]),
])
def test_hashed_features_match_keras_test_values(values, num_bins, expected):
    kind = FS.integer_hashed if isinstance(values[0], int) else FS.string_hashed
    space = FS({"x": kind(num_bins, output_mode="int")}, output_mode="dict")
    got = to_numpy(space({"x": np.array(values)})["x"])[:, 0]
    np.testing.assert_array_equal(got, expected)


def test_cross_matches_keras_test_values():
    # HashedCrossing(num_bins=5)((["A", "B", "A", "B", "A"], [101, 101, 101, 102, 102]))
    from ember.utils.feature_space import _hashed_cross

    got = _hashed_cross([("a", np.array(["A", "B", "A", "B", "A"])),
                         ("b", np.array([101, 101, 101, 102, 102]))], 5)
    np.testing.assert_array_equal(got, [1, 4, 1, 1, 3])


@pytest.mark.parametrize("name", ["float", "float_rescaled", "float_normalized",
                                  "float_discretized", "integer_categorical",
                                  "string_categorical", "string_hashed", "integer_hashed",
                                  "cross", "feature", "__init__", "adapt", "get_inputs",
                                  "get_encoded_features", "save"])
def test_signatures_match_keras(keras, name):
    assert (inspect.signature(getattr(FS, name))
            == inspect.signature(getattr(keras.utils.FeatureSpace, name)))


@pytest.mark.parametrize("make", [
    lambda F: F({}),
    lambda F: F({"a": "float"}, output_mode="list"),
    lambda F: F({"a": "floaty"}),
    lambda F: F({"a": "float"}, crosses=[("a", "b")]),  # (Keras builds lookups with TF)
    lambda F: F.cross(("a", "b"), 4, output_mode="float"),
])
def test_constructor_error_types_match_keras(keras, make):
    with pytest.raises(Exception) as theirs:
        make(keras.utils.FeatureSpace)
    with pytest.raises(theirs.type):
        make(FS)
