"""Discretization, CategoryEncoding, Hashing, HashedCrossing, IntegerLookup, StringLookup.

Keras's Hashing, HashedCrossing, IntegerLookup and StringLookup need TensorFlow, which is not
installed beside Keras on JAX, so they are checked here against the values Keras's own test
suite asserts (keras/src/layers/preprocessing/*_test.py: TF's FarmHash and SipHash buckets,
adapted vocabularies, TF-IDF weights); Discretization's ``adapt`` and CategoryEncoding run in
Keras on JAX and are compared with it directly.
"""

import os

import numpy as np
import pytest

import ember
from ember import layers
from ember.tf.data import Dataset


@pytest.fixture(scope="module")
def keras():
    """Keras 3 on JAX, the oracle (skipped where it is not installed)."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras")


def _np(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


# -- Hashing ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,inputs,expected", [
    ({"num_bins": 3}, [["A"], ["B"], ["C"], ["D"], ["E"]], [[1], [0], [1], [1], [2]]),
    ({"num_bins": 3, "mask_value": ""}, [["A"], ["B"], [""], ["C"], ["D"]],
     [[1], [1], [0], [2], [2]]),
    ({"num_bins": 3, "salt": [133, 137]}, [["A"], ["B"], ["C"], ["D"], ["E"]],
     [[1], [2], [1], [0], [2]]),
    ({"num_bins": 3, "salt": 133}, [["A"], ["B"], ["C"], ["D"], ["E"]],
     [[0], [0], [2], [1], [0]]),
    ({"num_bins": 2, "salt": [133, 137]}, [["omar"], ["stringer"], ["marlo"], ["wire"],
                                           ["skywalker"]], [[0], [1], [0], [1], [0]]),
    ({"num_bins": 2, "salt": [211, 137]}, [["omar"], ["stringer"], ["marlo"], ["wire"],
                                           ["skywalker"]], [[1], [0], [1], [0], [1]]),
    ({"num_bins": 3, "salt": [133, 137]}, np.array([[0], [1], [2], [3], [4]]),
     [[1], [1], [2], [0], [1]]),
    ({"num_bins": 3}, np.array([[0], [1], [2], [3], [4]]), [[1], [0], [1], [0], [2]]),
    ({"num_bins": 3, "mask_value": "omar"}, [["omar"], ["stringer"], ["marlo"], ["wire"],
                                             ["skywalker"]], [[0], [1], [2], [1], [1]]),
])
def test_hashing_matches_keras_test_suite(kwargs, inputs, expected):
    out = layers.Hashing(**kwargs)(inputs)
    assert str(out.dtype) == "int64"
    np.testing.assert_array_equal(_np(out), expected)


def test_hashing_bytes_floats_and_encodings():
    strings = layers.Hashing(num_bins=3)(np.array([[b"A"], [b"B"]], dtype=object))
    np.testing.assert_array_equal(_np(strings), [[1], [0]])
    # floats are truncated to integers, then hashed as decimal strings
    np.testing.assert_array_equal(_np(layers.Hashing(num_bins=2)(np.array([[0.7], [1.2]]))),
                                  _np(layers.Hashing(num_bins=2)(np.array([[0], [1]]))))
    hot = layers.Hashing(num_bins=3, output_mode="one_hot")([["A"], ["B"]])
    np.testing.assert_array_equal(_np(hot), [[0, 1, 0], [1, 0, 0]])
    multi = layers.Hashing(num_bins=3, output_mode="multi_hot")([["A", "B"]])
    np.testing.assert_array_equal(_np(multi), [[1, 1, 0]])
    assert str(multi.dtype) == "float32"


@pytest.mark.parametrize("kwargs", [
    {"num_bins": 0}, {"num_bins": 2, "salt": "string"}, {"num_bins": 2, "salt": [1]},
    {"num_bins": 2, "output_mode": "xyz"}, {"num_bins": 2, "dtype": "float32"},
    {"num_bins": 2, "output_mode": "one_hot", "sparse": True},
])
def test_hashing_constructor_errors(kwargs):
    with pytest.raises(ValueError):
        layers.Hashing(**kwargs)


# -- HashedCrossing --------------------------------------------------------------------------
def test_hashed_crossing_matches_keras_test_suite():
    feat1 = np.array(["A", "B", "A", "B", "A"])
    feat2 = np.array([101, 101, 101, 102, 102])
    out = layers.HashedCrossing(num_bins=5)((feat1, feat2))
    assert str(out.dtype) == "int64"
    np.testing.assert_array_equal(_np(out), [1, 4, 1, 1, 3])
    col = layers.HashedCrossing(num_bins=5)((feat1[:, None], feat2[:, None]))
    np.testing.assert_array_equal(_np(col), [[1], [4], [1], [1], [3]])
    hot = layers.HashedCrossing(num_bins=5, output_mode="one_hot")((feat1, feat2))
    np.testing.assert_array_equal(_np(hot), np.eye(5)[[1, 4, 1, 1, 3]])
    assert tuple(layers.HashedCrossing(num_bins=2)((np.array(1), np.array(1))).shape) == ()


def test_hashed_crossing_errors_and_symbolic():
    cross = layers.HashedCrossing(num_bins=10)
    with pytest.raises(ValueError, match="list or tuple"):
        cross(np.array([1]))
    with pytest.raises(ValueError, match="at least two"):
        cross([np.array([1])])
    with pytest.raises(ValueError, match="shape"):
        cross((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="integer or string"):
        cross((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError):
        layers.HashedCrossing(num_bins=2, output_mode="multi_hot")
    a, b = layers.Input(shape=(1,), dtype="string"), layers.Input(shape=(1,), dtype="int64")
    out = layers.HashedCrossing(num_bins=4, output_mode="one_hot")([a, b])
    assert out.shape == (None, 4)


# -- IntegerLookup ---------------------------------------------------------------------------
def test_integer_lookup_adapt_flow_matches_keras_test_suite():
    adapt_data = [1, 1, 1, 2, 2, 3]
    layer = layers.IntegerLookup()
    layer.adapt(adapt_data)
    np.testing.assert_array_equal(_np(layer([1, 2, 4])), [1, 2, 0])
    np.testing.assert_array_equal(_np(layer([[1, 2, 4], [2, 3, 5]])), [[1, 2, 0], [2, 3, 0]])
    assert layer.get_vocabulary() == [-1, 1, 2, 3]
    assert layer.vocabulary_size() == 4
    hot = layers.IntegerLookup(output_mode="one_hot")
    hot.adapt(adapt_data)
    np.testing.assert_array_equal(_np(hot([1, 2, 4])), [[0, 1, 0, 0], [0, 0, 1, 0],
                                                       [1, 0, 0, 0]])
    multi = layers.IntegerLookup(output_mode="multi_hot")
    multi.adapt(adapt_data)
    np.testing.assert_array_equal(_np(multi([1, 2, 4])), [1, 1, 1, 0])
    tfidf = layers.IntegerLookup(output_mode="tf_idf")
    tfidf.adapt(adapt_data)
    np.testing.assert_allclose(_np(tfidf([1, 2, 4])), [1.133732, 0.916291, 1.098612, 0.0],
                               rtol=1e-5)
    count = layers.IntegerLookup(output_mode="count")
    count.adapt(adapt_data)
    np.testing.assert_array_equal(_np(count([1, 2, 3, 4, 1, 2, 1])), [1, 3, 2, 1])


def test_integer_lookup_vocabulary_mask_invert_oov():
    layer = layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
    np.testing.assert_array_equal(_np(layer(np.array([[12, 1138, 42], [42, 1000, 36]]))),
                                  [[1, 3, 4], [4, 0, 2]])
    masked = layers.IntegerLookup(vocabulary=[1, 2, 3], mask_token=0)
    np.testing.assert_array_equal(_np(masked([0, 1, 2, 3])), [0, 2, 3, 4])
    assert masked.get_vocabulary() == [0, -1, 1, 2, 3]
    assert masked.get_vocabulary(include_special_tokens=False) == [1, 2, 3]
    inverse = layers.IntegerLookup(vocabulary=[10, 20, 30], invert=True)
    np.testing.assert_array_equal(_np(inverse([1, 2, 3, 0, 9])), [10, 20, 30, -1, -1])
    # several OOV buckets: floormod for integers (farmhash on request)
    buckets = layers.IntegerLookup(vocabulary=[5], num_oov_indices=3)
    np.testing.assert_array_equal(_np(buckets([5, 7, 9, 10])), [3, 1, 0, 1])
    farm = layers.IntegerLookup(vocabulary=[5], num_oov_indices=2, oov_method="farmhash")
    expected = _np(layers.Hashing(num_bins=2)(np.array([7, 9])))
    np.testing.assert_array_equal(_np(farm([7, 9])), expected)
    strict = layers.IntegerLookup(vocabulary=[1, 2], num_oov_indices=0)
    np.testing.assert_array_equal(_np(strict([2, 1])), [1, 0])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        strict([3])
    # the reserved tokens may lead the vocabulary, as get_vocabulary() returns it
    again = layers.IntegerLookup(vocabulary=masked.get_vocabulary(), mask_token=0)
    assert again.get_vocabulary() == masked.get_vocabulary()


def test_integer_lookup_max_tokens_and_pad():
    layer = layers.IntegerLookup(max_tokens=4)
    layer.adapt([1, 2, 3, 4, 5, 6, 1, 1, 2, 2])
    assert layer.get_vocabulary() == [-1, 2, 1, 6]  # by count, ties: the larger token first
    padded = layers.IntegerLookup(max_tokens=6, pad_to_max_tokens=True, output_mode="multi_hot",
                                  vocabulary=[1, 2])
    assert _np(padded([[1, 2]])).shape == (1, 6)
    x = layers.Input(shape=(3,), dtype="int64")
    assert padded(x).shape == (None, 6)


@pytest.mark.parametrize("kwargs", [
    {"max_tokens": 1}, {"num_oov_indices": -1}, {"vocabulary_dtype": "int32"},
    {"output_mode": "xyz"}, {"invert": True, "output_mode": "one_hot"},
    {"idf_weights": [1.0], "vocabulary": [1]}, {"output_mode": "tf_idf", "vocabulary": [1]},
    {"salt": 3}, {"oov_method": "xyz"}, {"vocabulary": [1, 1]},
    {"vocabulary": [1, 2, 3], "max_tokens": 3}, {"vocabulary": [1, 0], "mask_token": 0},
    {"sparse": True, "output_mode": "count"},
])
def test_integer_lookup_constructor_errors(kwargs):
    with pytest.raises(ValueError):
        layers.IntegerLookup(**kwargs)


def test_lookup_state_errors():
    with pytest.raises(RuntimeError, match="vocabulary"):
        layers.IntegerLookup(output_mode="one_hot")([1])
    fixed = layers.IntegerLookup(vocabulary=[1, 2])
    with pytest.raises(ValueError, match="static vocabulary"):
        fixed.adapt([1, 2, 3])


# -- StringLookup ----------------------------------------------------------------------------
def test_string_lookup_basics():
    layer = layers.StringLookup(vocabulary=["a", "b", "c", "d"])
    np.testing.assert_array_equal(_np(layer(np.array([["a", "c", "d"], ["d", "z", "b"]]))),
                                  [[1, 3, 4], [4, 0, 2]])
    np.testing.assert_array_equal(_np(layer(np.array([b"a", b"z"], dtype=object))), [1, 0])
    adapted = layers.StringLookup()
    adapted.adapt(Dataset.from_tensor_slices(np.array(["a", "b", "b", "c", "c", "c"])).batch(2))
    assert adapted.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    inverse = layers.StringLookup(vocabulary=["a", "b"], invert=True)
    np.testing.assert_array_equal(_np(inverse([0, 1, 2, 5])), ["[UNK]", "a", "b", "[UNK]"])
    masked = layers.StringLookup(vocabulary=["a"], mask_token="", output_mode="multi_hot")
    np.testing.assert_array_equal(_np(masked([["a", "", "q"]])), [[1, 1]])  # "" is dropped


def test_string_lookup_oov_hashing():
    from ember.layers.preprocessing._hashing import _fingerprint64

    layer = layers.StringLookup(vocabulary=["a"], num_oov_indices=3)
    got = _np(layer(np.array(["omar", "wire", "a"])))
    np.testing.assert_array_equal(
        got, [_fingerprint64(b"omar") % 3, _fingerprint64(b"wire") % 3, 3])
    salted = layers.StringLookup(vocabulary=["a"], num_oov_indices=2, salt=[133, 137])
    np.testing.assert_array_equal(_np(salted(np.array(["omar", "stringer"]))),
                                  _np(layers.Hashing(num_bins=2, salt=[133, 137])(
                                      np.array(["omar", "stringer"]))))


def test_string_lookup_tf_idf_and_vocabulary_file(tmp_path):
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "b", "b"], ["c", "c", "c"]]))  # two documents
    idf = np.log(1 + 2 / 2)
    np.testing.assert_allclose(layer.idf_weights, [idf] * 4, rtol=1e-6)
    np.testing.assert_allclose(_np(layer([["c", "x", "b", "b"]])), [[idf, idf, 2 * idf, 0]],
                               rtol=1e-6)
    given = layers.StringLookup(vocabulary=["a", "b"], idf_weights=[0.5, 0.25],
                                output_mode="tf_idf")
    np.testing.assert_allclose(_np(given([["a", "b", "b", "q"]])), [[0.375, 0.5, 0.5]])
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n")
    from_file = layers.StringLookup(vocabulary=str(path))
    np.testing.assert_array_equal(_np(from_file(["z", "x", "w"])), [3, 1, 0])
    assert from_file.get_vocabulary() == ["[UNK]", "x", "y", "z"]
    assert from_file.get_config()["vocabulary"] is None  # as Keras: a file is not in the config
    # a file path found in a config is refused in safe mode (Keras's rule)
    cfg = dict(from_file.get_config(), vocabulary=str(path))
    with pytest.raises(ValueError, match="safe_mode"):
        layers.StringLookup.from_config(cfg)


def test_lookup_config_round_trip_and_assets(tmp_path):
    layer = layers.StringLookup(vocabulary=["a", "b"], num_oov_indices=2, mask_token="")
    cfg = layer.get_config()
    for key in ("invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token",
                "output_mode", "sparse", "pad_to_max_tokens", "idf_weights", "vocabulary",
                "vocabulary_size", "oov_method", "salt", "encoding", "name", "dtype",
                "trainable"):
        assert key in cfg, key
    assert "vocabulary_dtype" not in cfg
    again = layers.StringLookup.from_config(cfg)
    assert again.get_vocabulary() == layer.get_vocabulary()
    icfg = layers.IntegerLookup(vocabulary=np.array([3, 4])).get_config()
    assert icfg["vocabulary"] == [3, 4] and icfg["vocabulary_dtype"] == "int64"
    assert ember.layers.deserialize(ember.layers.serialize(layer)).get_vocabulary() == \
        layer.get_vocabulary()
    # an adapted vocabulary travels as an asset (Keras's vocabulary.txt), not in the config
    adapted = layers.IntegerLookup()
    adapted.adapt([5, 5, 6])
    adapted.save_assets(str(tmp_path))
    fresh = layers.IntegerLookup.from_config(adapted.get_config())
    fresh.load_assets(str(tmp_path))
    assert fresh.get_vocabulary() == [-1, 5, 6]


def test_string_lookup_in_a_functional_model():
    inputs = layers.Input(shape=(1,), dtype="string")
    lookup = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="one_hot")
    encoded = lookup(inputs)
    assert encoded.shape == (None, 4) and str(encoded.dtype) == "float32"
    model = ember.Model(inputs, encoded)
    out = model(np.array([["b"], ["q"]]))
    np.testing.assert_array_equal(_np(out), [[0, 0, 1, 0], [1, 0, 0, 0]])


# -- Discretization and CategoryEncoding against Keras ---------------------------------------
@pytest.mark.parametrize("batched", [False, True])
def test_discretization_adapt_matches_keras(keras, batched):
    rng = np.random.default_rng(0)
    data = rng.gamma(2.0, 3.0, size=(300, 1)).astype("float32")
    ours = layers.Discretization(num_bins=5)
    if batched:
        ours.adapt(Dataset.from_tensor_slices(data).batch(64))
    else:
        ours.adapt(data)
    theirs = keras.layers.Discretization(num_bins=5)
    theirs.reset_state()
    for batch in ([data[i:i + 64] for i in range(0, 300, 64)] if batched else [data]):
        theirs.update_state(batch)
    theirs.finalize_state()
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    x = rng.gamma(2.0, 3.0, size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(_np(ours(x)), np.asarray(theirs(x)))
    # an adapted config holds both num_bins and bin_boundaries; from_config accepts it
    again = layers.Discretization.from_config(ours.get_config())
    assert again.bin_boundaries == ours.bin_boundaries
    with pytest.raises(ValueError, match="bin_boundaries"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(data)
    with pytest.raises(ValueError, match="adapt"):
        layers.Discretization(num_bins=3)(x)


def test_category_encoding_count_weights_matches_keras(keras):
    x = np.array([[0, 1, 1], [2, 3, 3]])
    w = np.array([[0.5, 1.0, 2.0], [1.0, 0.25, 0.25]], dtype="float32")
    ours = layers.CategoryEncoding(num_tokens=4, output_mode="count")(x, count_weights=w)
    theirs = keras.layers.CategoryEncoding(num_tokens=4, output_mode="count")(
        x, count_weights=w)
    np.testing.assert_allclose(_np(ours), np.asarray(theirs))
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(num_tokens=4)(x, count_weights=w)
    for kwargs in ({"num_tokens": None}, {"num_tokens": 0},
                   {"num_tokens": 2, "output_mode": "xyz"}):
        with pytest.raises(ValueError):
            layers.CategoryEncoding(**kwargs)


def test_category_encoding_keras_file_round_trip(keras, tmp_path):
    """A .keras file moves both ways: ember -> Keras and Keras -> ember."""
    inputs = layers.Input(shape=(3,), dtype="int32")
    outputs = layers.Dense(2)(layers.CategoryEncoding(num_tokens=5, output_mode="count")(
        inputs))
    model = ember.Model(inputs, outputs)
    x = np.array([[0, 1, 1], [4, 4, 2]], dtype="int32")
    expected = _np(model(x))
    model.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(theirs(x)), expected, atol=1e-6)
    theirs.save(tmp_path / "theirs.keras")
    back = ember.saving.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(_np(back(x)), expected, atol=1e-6)


def test_discretization_keras_file_round_trip(keras, tmp_path):
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.0],
                                          output_mode="multi_hot")(inputs)
    keras.Model(inputs, outputs).save(tmp_path / "theirs.keras")
    ours = ember.saving.load_model(tmp_path / "theirs.keras")
    x = np.array([[-2.0, -0.5, 0.5, 3.0]], dtype="float32")
    np.testing.assert_array_equal(_np(ours(x)), [[1, 1, 1, 1]])


# -- ONNX export -----------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: layers.IntegerLookup(vocabulary=[1, 2]),
    lambda: layers.Hashing(num_bins=4),
    lambda: layers.Discretization(bin_boundaries=[0.0]),
    lambda: layers.CategoryEncoding(num_tokens=4),
])
def test_onnx_export_refuses_preprocessing(make, tmp_path):
    pytest.importorskip("onnx")
    from ember.export import ExportError, to_onnx

    inputs = layers.Input(shape=(3,), dtype="int64")
    model = ember.Model(inputs, make()(inputs))
    with pytest.raises(ExportError, match="cannot be exported|no ONNX"):
        to_onnx(model, str(tmp_path / "m.onnx"))
