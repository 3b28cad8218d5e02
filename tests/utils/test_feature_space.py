"""ember.utils.FeatureSpace: every feature type, crosses, both output modes, adapt on
ember.tf.data datasets, configs, the symbolic inputs, errors, and an end-to-end model.

Keras's FeatureSpace needs TensorFlow (its preprocessing runs in tf.data), which is not
installed next to Keras on JAX, so the expected values here come from NumPy; the parts of Keras
that run on JAX (Discretization's quantile sketch, CategoryEncoding) are compared directly in
tests/keras_parity/test_feature_space_parity.py, and the hashes against Keras's own test values.
"""

import collections

import numpy as np
import pytest

import ember
from ember.tf.data import Dataset
from ember.utils import feature_space as fsm

FS = ember.utils.FeatureSpace


def _table(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "f": rng.normal(size=n).astype("float32"),
        "fn": rng.normal(3.0, 2.0, size=n).astype("float32"),
        "fr": rng.uniform(0, 10, size=n).astype("float32"),
        "fd": rng.uniform(0, 10, size=n).astype("float32"),
        "i": rng.integers(0, 6, size=n),
        "s": rng.choice(["a", "b", "c", "dd"], size=n, p=[0.4, 0.3, 0.2, 0.1]),
        "ih": rng.integers(0, 100, size=n),
        "sh": rng.choice(["x", "y", "z"], size=n),
    }


def _vocabulary(values):
    """Most frequent first, ties: the larger token first (Keras's IndexLookup order)."""
    counts = collections.Counter(values.tolist())
    return sorted(counts, key=lambda t: (counts[t], t), reverse=True)


def _one_hot(index, width):
    return np.eye(width, dtype="float32")[index]


def _space(output_mode="concat", **kw):
    return FS({"f": "float", "fn": "float_normalized", "fr": FS.float_rescaled(0.1, -0.5),
               "fd": FS.float_discretized(4), "i": "integer_categorical",
               "s": "string_categorical", "ih": FS.integer_hashed(8), "sh": "string_hashed"},
              crosses=[("i", "s")], crossing_dim=16, output_mode=output_mode, **kw)


@pytest.fixture(scope="module")
def adapted():
    table = _table()
    space = _space(output_mode="dict")
    space.adapt(Dataset.from_tensor_slices(table))
    return space, table


def test_float_features(adapted):
    space, t = adapted
    out = space(t)
    np.testing.assert_array_equal(out["f"].numpy(), t["f"][:, None])
    mean, std = t["fn"].astype("float64").mean(), t["fn"].astype("float64").std()
    np.testing.assert_allclose(out["fn"].numpy(), (t["fn"][:, None] - mean) / std, rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(out["fr"].numpy(), t["fr"][:, None] * 0.1 - 0.5, rtol=1e-6)
    for name in ("f", "fn", "fr"):
        assert out[name].dtype == np.float32 and out[name].shape == (120, 1)


def test_categorical_features_are_one_hot_vocabulary_indices(adapted):
    space, t = adapted
    out = space(t)
    for name in ("i", "s"):
        vocab = _vocabulary(t[name])
        assert space.features[name].preprocessor.vocabulary == vocab
        index = np.array([vocab.index(v) + 1 for v in t[name].tolist()])  # 0: the OOV index
        np.testing.assert_array_equal(out[name].numpy(), _one_hot(index, len(vocab) + 1))


def test_discretized_feature_uses_learned_bins(adapted):
    space, t = adapted
    bounds = space.features["fd"].preprocessor.bin_boundaries
    assert len(bounds) == 3 and bounds == sorted(bounds)
    # the quartiles, up to the sketch's interpolation
    np.testing.assert_allclose(bounds, np.quantile(t["fd"], [0.25, 0.5, 0.75]), atol=0.5)
    expected = _one_hot(np.digitize(t["fd"], np.float32(bounds)), 4)
    np.testing.assert_array_equal(space(t)["fd"].numpy(), expected)


def test_hashed_and_crossed_features(adapted):
    space, t = adapted
    out = space(t)
    ih = np.array([fsm._fingerprint64(str(v).encode()) % 8 for v in t["ih"].tolist()])
    np.testing.assert_array_equal(out["ih"].numpy(), _one_hot(ih, 8))
    sh = np.array([fsm._fingerprint64(v.encode()) % 32 for v in t["sh"].tolist()])
    np.testing.assert_array_equal(out["sh"].numpy(), _one_hot(sh, 32))
    # the cross hashes the *preprocessed* (looked-up) integers, as Keras
    i_idx, s_idx = (space.features[n].preprocessor(t[n][:, None])[:, 0] for n in ("i", "s"))
    cross = [fsm._fingerprint_cat64(fsm._fingerprint_cat64(fsm._CROSS_HASH_KEY, a), b) % 16
             for a, b in zip(i_idx.tolist(), s_idx.tolist())]
    np.testing.assert_array_equal(out["i_X_s"].numpy(), _one_hot(np.array(cross), 16))


def test_concat_is_the_sorted_dict_outputs(adapted):
    space, t = adapted
    concat = _space()
    for name, f in space.features.items():  # same adapted preprocessors
        concat.features[name] = f
    out = concat(t)
    parts = space(t)
    expected = np.concatenate([parts[n].numpy() for n in sorted(space.features) + ["i_X_s"]], 1)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), expected)
    assert concat.get_encoded_features().shape == (None, expected.shape[1])


def test_unbatched_sample(adapted):
    space, t = adapted
    one = {k: v[3] for k, v in t.items()}
    out, full = space(one), space(t)
    for name in full:
        np.testing.assert_array_equal(out[name].numpy(), full[name].numpy()[3])


def test_adapt_on_batched_dataset_and_dict():
    t = _table(seed=1)
    a, b = _space(), _space()
    # a dict (or unbatched dataset) is adapted in batches of 32, as Keras: the discretization
    # sketch depends on the batching, the rest does not
    a.adapt(Dataset.from_tensor_slices(t).batch(32))
    b.adapt(t)
    assert a.features["s"].preprocessor.vocabulary == _vocabulary(t["s"])
    np.testing.assert_allclose(a(t).numpy(), b(t).numpy(), atol=1e-5)


def test_dataset_map_and_int_output_mode():
    t = _table(seed=2)
    space = FS({"i": FS.integer_categorical(output_mode="int"), "s": "string_categorical"},
               output_mode="dict")
    space.adapt(Dataset.from_tensor_slices(t))
    vocab = _vocabulary(t["i"])
    ds = Dataset.from_tensor_slices(t).batch(10).map(space)
    first = next(iter(ds))
    assert first["i"].dtype == np.int64 and first["i"].shape == (10, 1)
    np.testing.assert_array_equal(first["i"].numpy()[:, 0],
                                  [vocab.index(v) + 1 for v in t["i"][:10].tolist()])


def test_out_of_vocabulary_and_max_tokens():
    train = {"s": np.array(["a"] * 5 + ["b"] * 3 + ["c"] * 2 + ["d"]),
             "i": np.array([7] * 5 + [3] * 3 + [9] * 2 + [4])}
    space = FS({"s": FS.string_categorical(max_tokens=3, num_oov_indices=1, output_mode="int"),
                "i": FS.integer_categorical(num_oov_indices=2, output_mode="int")},
               output_mode="dict")
    space.adapt(train)
    assert space.features["s"].preprocessor.vocabulary == ["a", "b"]
    out = space({"s": np.array(["a", "b", "c", "zz"]), "i": np.array([7, 4, 10, 11])})
    np.testing.assert_array_equal(out["s"].numpy()[:, 0], [1, 2, 0, 0])
    # two OOV indices for integers: token % 2 (Keras's default oov_method="floormod")
    np.testing.assert_array_equal(out["i"].numpy()[:, 0], [2, 5, 10 % 2, 11 % 2])
    strict = FS({"s": FS.string_categorical(num_oov_indices=0, output_mode="int")},
                output_mode="dict")
    strict.adapt(train)
    assert strict({"s": np.array(["a", "d"])})["s"].numpy().ravel().tolist() == [0, 3]
    with pytest.raises(ValueError, match="zz"):
        strict({"s": np.array(["a", "zz"])})


def test_string_oov_buckets_use_farmhash():
    space = FS({"s": FS.string_categorical(num_oov_indices=3, output_mode="int")},
               output_mode="dict")
    space.adapt({"s": np.array(["a", "a", "b"])})
    got = space({"s": np.array(["omar", "wire", "a"])})["s"].numpy()[:, 0]
    expected = [fsm._fingerprint64(w.encode()) % 3 for w in ("omar", "wire")] + [3]
    np.testing.assert_array_equal(got, expected)


def test_given_bin_boundaries_need_no_adapt():
    space = FS({"x": FS.float_discretized(None, bin_boundaries=[0.0, 1.0])})
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0], "float32")
    np.testing.assert_array_equal(space({"x": x}).numpy(), _one_hot(np.digitize(x, [0, 1]), 3))


def test_config_round_trip_keeps_the_adapted_state(adapted, tmp_path):
    space, t = adapted
    again = FS.from_config(space.get_config())
    for name, value in space(t).items():
        np.testing.assert_array_equal(again(t)[name].numpy(), value.numpy())
    path = str(tmp_path / "fs.keras")
    space.save(path)
    loaded = ember.saving.load_model(path, custom_objects={"FeatureSpace": FS})
    for name, value in space(t).items():
        np.testing.assert_array_equal(loaded(t)[name].numpy(), value.numpy())


def test_symbolic_inputs_give_an_inference_model(tmp_path):
    t = {k: v[:, None] for k, v in _table(40, seed=3).items() if k in ("fn", "i")}
    space = FS({"fn": "float_normalized", "i": "integer_categorical"})
    space.adapt(t)
    encoded = space.get_encoded_features()
    head = ember.Model(encoded, ember.layers.Dense(1)(encoded))
    inputs = space.get_inputs()
    assert {k: (v.shape, v.dtype) for k, v in inputs.items()} == {
        "fn": ((None, 1), "float32"), "i": ((None, 1), "int32")}
    inference = ember.Model(inputs, head(space(inputs)))
    np.testing.assert_allclose(inference(t).numpy(), head(space(t)).numpy(), rtol=1e-6)
    path = str(tmp_path / "inference.keras")  # the FeatureSpace is saved inside the model
    inference.save(path)
    loaded = ember.saving.load_model(path, custom_objects={"FeatureSpace": FS})
    np.testing.assert_allclose(loaded(t).numpy(), inference(t).numpy(), rtol=1e-6)


def test_string_features_have_string_inputs(tmp_path):
    t = {"s": np.array([["a"], ["b"], ["a"]])}
    space = FS({"s": "string_categorical"})
    space.adapt(t)
    inputs = space.get_inputs()
    assert inputs["s"].dtype == "string"  # as Keras's Input(shape=(1,), dtype="string")
    inference = ember.Model(inputs, space(inputs))
    np.testing.assert_array_equal(inference(t).numpy(), space(t).numpy())
    path = str(tmp_path / "strings.keras")
    inference.save(path)
    loaded = ember.saving.load_model(path, custom_objects={"FeatureSpace": FS})
    np.testing.assert_array_equal(loaded(t).numpy(), space(t).numpy())


def test_dict_mode_encoded_features_shapes(adapted):
    space, _ = adapted
    encoded = space.get_encoded_features()
    widths = {"f": 1, "fn": 1, "fr": 1, "fd": 4, "i": 7, "s": 5, "ih": 8, "sh": 32,
              "i_X_s": 16}
    assert {k: v.shape for k, v in encoded.items()} == {k: (None, w) for k, w in widths.items()}


@pytest.mark.parametrize("make,match", [
    (lambda: FS({}), "empty"),
    (lambda: FS({"a": "float"}, output_mode="list"), "output_mode"),
    (lambda: FS({"a": "floaty"}), "floaty"),
    (lambda: FS({"a": "integer_categorical"}, crosses=[("a", "b")]), "unknown features"),
    (lambda: FS({"a": "integer_categorical", "b": "integer_categorical"},
                crosses=[("a", "b")], crossing_dim=0), "crossing_dim"),
    (lambda: FS.cross(("a", "b"), 4, output_mode="float"), "output_mode"),
    (lambda: FS.feature("float32", fsm._Identity(), "multi_hot"), "output_mode"),
    (lambda: FS.float_discretized(4, bin_boundaries=[1.0]), "not both"),
    (lambda: FS.float_discretized(None), "num_bins"),
    (lambda: FS.float_discretized(-1), "num_bins"),
    (lambda: FS.integer_categorical(num_oov_indices=-1), "num_oov_indices"),
    (lambda: FS.string_categorical(max_tokens=1), "max_tokens"),
    (lambda: FS.string_hashed(0), "num_bins"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_usage_errors():
    t = {"a": np.array([1.0, 2.0]), "b": np.array([1, 2]), "c": np.array(["x", "y"])}
    space = FS({"a": "float_normalized", "b": "integer_categorical"})
    with pytest.raises(ValueError, match="adapt"):
        space(t)
    with pytest.raises(ValueError, match="adapt"):
        space.get_inputs()
    with pytest.raises(ValueError, match="tf.data.Dataset"):
        space.adapt([1, 2])
    space.adapt(t)
    with pytest.raises(ValueError, match="dict"):
        space(np.array([1.0]))
    with pytest.raises(ValueError, match="'b'"):
        space({"a": np.array([1.0])})
    with pytest.raises(ValueError, match="Cannot concatenate"):
        FS({"b": FS.integer_categorical(output_mode="int")}).adapt(t)
    with pytest.raises(ValueError, match="Cannot concatenate"):  # nothing to adapt: at call
        FS({"b": FS.integer_hashed(4, output_mode="int")})(t)
    with pytest.raises(ValueError, match="cannot be one-hot"):
        FS({"a": FS.feature("float32", fsm._Identity(), "one_hot")})(t)
    with pytest.raises(ValueError, match="float feature"):
        bad = FS({"a": "float", "b": "integer_categorical"}, crosses=[("a", "b")],
                 output_mode="dict")
        bad.adapt(t)
        bad(t)
    with pytest.raises(ValueError, match="empty"):
        FS({"a": "float_normalized"}).adapt(Dataset.from_tensor_slices({"a": np.zeros(0)}))


def test_long_strings_hash_like_pyfarmhash():
    farmhash = pytest.importorskip("farmhash", reason="pyfarmhash is not installed")
    rng = np.random.default_rng(0)
    for n in list(range(0, 140)) + [1000, 4097]:
        s = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert fsm._fingerprint64(s) == farmhash.fingerprint64(s), n


def test_end_to_end_training_on_encoded_features():
    """A model on the encoded features of a synthetic table learns a rule that needs the
    categorical, discretized and crossed features."""
    ember.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n = 600
    t = {"age": rng.uniform(18, 80, n).astype("float32"),
         "city": rng.choice(["paris", "oslo", "lima"], n),
         "plan": rng.integers(0, 3, n),
         "income": rng.normal(50, 15, n).astype("float32")}
    y = (((t["age"] > 45) ^ (t["city"] == "oslo")) | (t["plan"] == 2)).astype("float32")
    space = FS({"age": FS.float_discretized(8), "city": "string_categorical",
                "plan": "integer_categorical", "income": "float_normalized"},
               crosses=[("age", "city")], crossing_dim=32)
    ds = Dataset.from_tensor_slices((t, y))
    train, held_out = ds.take(480), ds.skip(480)
    space.adapt(train.map(lambda x, _: x))
    train = train.batch(32).map(lambda x, label: (space(x), label))
    held_out = held_out.batch(32).map(lambda x, label: (space(x), label))
    encoded = space.get_encoded_features()
    hidden = ember.layers.Dense(32, activation="relu")(encoded)
    model = ember.Model(encoded, ember.layers.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer=ember.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(train, epochs=15, verbose=0, shuffle=False)
    _, accuracy = model.evaluate(held_out, verbose=0)
    assert accuracy > 0.9  # the majority class is ~70%
