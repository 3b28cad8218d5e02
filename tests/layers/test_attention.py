"""Attention layers (MultiHeadAttention, GroupQueryAttention, Attention, AdditiveAttention,
EinsumDense): what the layer parity harness does not cover - masks carried by the inputs,
causal and explicit attention masks, returned scores, training-time dropout, errors, the
Functional API, `.keras` files with Keras both ways, and the ONNX exporter's refusal."""

import os
import re

import numpy as np
import pytest

import ember
from ember import layers
from ember.export import ExportError, to_onnx


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    return pytest.importorskip("keras", reason="the keras package is not installed here")


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _copy_weights(ours, theirs, seed=1):
    rng = np.random.default_rng(seed)
    values = [(rng.standard_normal(tuple(w.shape)) * 0.5).astype("float32")
              for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)


def _np(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _pair(make, *args, **kwargs):
    keras = _keras()
    ours, theirs = make(layers), make(keras.layers)
    ours(*[[ember.Tensor(t) for t in a] if isinstance(a, list) else ember.Tensor(a)
           for a in args], **kwargs)
    theirs(*args, **kwargs)
    _copy_weights(ours, theirs)
    return ours, theirs


# -- MultiHeadAttention ------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"use_causal_mask": True},
    {"use_causal_mask": True, "return_attention_scores": True},
    {"return_attention_scores": True},
])
def test_mha_causal_and_scores_match_keras(kwargs):
    q = _x(2, 5, 6)
    ours, theirs = _pair(lambda L: L.MultiHeadAttention(2, 3), q, q)
    got = ours(ember.Tensor(q), ember.Tensor(q), **kwargs)
    want = theirs(q, q, **kwargs)
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    for g, w in zip(got, want):
        np.testing.assert_allclose(_np(g), np.asarray(w), rtol=1e-5, atol=1e-5)


def test_mha_attention_mask_and_causal_combined_match_keras():
    q, v = _x(2, 4, 6), _x(2, 4, 6, seed=2)
    mask = np.random.default_rng(3).random((2, 4, 4)) > 0.3
    mask[:, :, 0] = True
    ours, theirs = _pair(lambda L: L.MultiHeadAttention(3, 2), q, v)
    for kw in ({"attention_mask": mask}, {"attention_mask": mask, "use_causal_mask": True}):
        got = ours(ember.Tensor(q), ember.Tensor(v), **kw)
        np.testing.assert_allclose(_np(got), np.asarray(theirs(q, v, **kw)), atol=1e-5)


def test_mha_uses_the_keras_masks_of_query_and_value():
    keras = _keras()
    ids_q = np.array([[3, 4, 5, 0], [1, 2, 0, 0]], "int32")
    ids_v = np.array([[3, 4, 0], [1, 2, 6]], "int32")

    def model(L, M):
        a = M.Input((4,), dtype="int32")
        b = M.Input((3,), dtype="int32")
        emb = L.Embedding(8, 6, mask_zero=True)
        out = L.MultiHeadAttention(2, 3, name="mha")(emb(a), emb(b))
        return M.Model([a, b], out)

    ours, theirs = model(layers, ember), model(keras.layers, keras)
    _copy_weights(ours, theirs)
    got = ours.predict([ids_q, ids_v], verbose=0)
    want = theirs.predict([ids_q, ids_v], verbose=0)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-5)
    # eager: the output carries the query's mask
    e = layers.Embedding(8, 6, mask_zero=True)
    mha = layers.MultiHeadAttention(2, 3)
    out = mha(e(ember.Tensor(ids_q)), e(ember.Tensor(ids_v)))
    np.testing.assert_array_equal(_np(out._keras_mask), ids_q != 0)


def test_mha_dropout_only_in_training():
    q = _x(2, 4, 6)
    mha = layers.MultiHeadAttention(2, 3, dropout=0.5, seed=3)
    a = _np(mha(q, q, training=False))
    b = _np(mha(q, q, training=False))
    np.testing.assert_array_equal(a, b)
    c = _np(mha(q, q, training=True))
    assert not np.allclose(a, c)
    _, scores = mha(q, q, training=True, return_attention_scores=True)
    # the returned scores are the probabilities before dropout
    np.testing.assert_allclose(_np(scores).sum(-1), 1.0, rtol=1e-5)


def test_mha_training_step_changes_every_projection():
    q = _x(4, 5, 6)
    inp = ember.Input((5, 6))
    model = ember.Model(inp, layers.MultiHeadAttention(2, 3)(inp, inp))
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(q, _x(4, 5, 6, seed=5), epochs=1, batch_size=4, verbose=0)
    changed = [not np.allclose(a, b) for a, b in zip(before, model.get_weights())]
    # the key bias adds the same q.b to every score of a query: softmax cancels it, no gradient
    paths = [w.path.split("/", 1)[1] for w in model.weights]
    assert dict(zip(paths, changed)) == {p: p != "key/bias" for p in paths}
    assert all(w.dtype == np.float32 for w in model.get_weights())


def test_mha_build_config_and_weights():
    mha = layers.MultiHeadAttention(2, 3, name="mha")
    mha(_x(2, 4, 5), _x(2, 3, 6), key=_x(2, 3, 7))
    assert mha.get_build_config() == {"shapes_dict": {
        "query_shape": [2, 4, 5], "value_shape": [2, 3, 6], "key_shape": [2, 3, 7]}}
    assert [(w.path, tuple(w.shape)) for w in mha.weights] == [
        ("mha/query/kernel", (5, 2, 3)), ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (7, 2, 3)), ("mha/key/bias", (2, 3)),
        ("mha/value/kernel", (6, 2, 3)), ("mha/value/bias", (2, 3)),
        ("mha/attention_output/kernel", (2, 3, 5)), ("mha/attention_output/bias", (5,))]
    clone = layers.MultiHeadAttention.from_config(mha.get_config())
    clone.build_from_config(mha.get_build_config())
    assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in mha.weights]


def test_mha_functional_symbolic_shapes():
    q, v = ember.Input((4, 5)), ember.Input((3, 6))
    out, scores = layers.MultiHeadAttention(2, 3, output_shape=7, dropout=0.1)(
        q, v, return_attention_scores=True)
    assert tuple(out.shape) == (None, 4, 7)
    assert tuple(scores.shape) == (None, 2, 4, 4)  # Keras's spec: the query length twice


@pytest.mark.parametrize("kwargs, match", [
    ({"num_heads": 0, "key_dim": 2}, "num_heads"),
    ({"num_heads": 2, "key_dim": -1}, "key_dim"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": 0}, "value_dim"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": "1"}, "attention_axes"),
    ({"num_heads": 2, "key_dim": 2, "sliding_window": 0}, "sliding_window"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True}, "flash_attention"),
])
def test_mha_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.MultiHeadAttention(**kwargs)


def test_mha_value_key_mismatch():
    with pytest.raises(ValueError, match="`value` and `key`"):
        layers.MultiHeadAttention(2, 2)(_x(2, 4, 5), _x(2, 3, 5), key=_x(2, 4, 5))


def test_mha_save_load_with_keras_both_ways(tmp_path):
    keras = _keras()
    x = _x(3, 4, 6)
    inp = ember.Input((4, 6))
    h = layers.MultiHeadAttention(2, 3, name="mha")(inp, inp, use_causal_mask=True)
    out = layers.LayerNormalization()(layers.Add()([inp, h]))
    model = ember.Model(inp, out)
    model.save(tmp_path / "e.keras")
    theirs = keras.saving.load_model(tmp_path / "e.keras")
    want = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), want, atol=1e-5)
    # and back: Keras writes, ember reads
    _copy_weights(model, theirs, seed=9)
    theirs.save(tmp_path / "k.keras")
    loaded = ember.saving.load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               np.asarray(theirs.predict(x, verbose=0)), atol=1e-5)


def test_mha_onnx_export_refuses_clearly():
    inp = ember.Input((4, 6))
    model = ember.Model(inp, layers.MultiHeadAttention(2, 3, name="mha")(inp, inp))
    with pytest.raises(ExportError, match=re.compile("MultiHeadAttention.*mha", re.S)):
        to_onnx(model)


# -- GroupQueryAttention -----------------------------------------------------------------------
def test_gqa_masks_causal_and_scores_match_keras():
    q, v = _x(2, 5, 8), _x(2, 4, 8, seed=2)
    ours, theirs = _pair(lambda L: L.GroupQueryAttention(4, 4, 2), q, v)
    kw = {"return_attention_scores": True, "use_causal_mask": True}
    for g, w in zip(ours(ember.Tensor(q), ember.Tensor(v), **kw), theirs(q, v, **kw)):
        np.testing.assert_allclose(_np(g), np.asarray(w), atol=1e-5)
    vm = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    got = ours(ember.Tensor(q), ember.Tensor(v), value_mask=ember.Tensor(vm))
    np.testing.assert_allclose(_np(got), np.asarray(theirs(q, v, value_mask=vm)), atol=1e-5)


def test_gqa_errors():
    with pytest.raises(ValueError, match="divisible"):
        layers.GroupQueryAttention(4, 3, 2)
    gqa = layers.GroupQueryAttention(4, 2, 1)
    with pytest.raises(ValueError, match="last dimension"):
        gqa.compute_output_shape((None, 3, 4), (None, 3, 5))


# -- Attention, AdditiveAttention --------------------------------------------------------------
@pytest.mark.parametrize("name", ["Attention", "AdditiveAttention"])
def test_dot_and_additive_masks_match_keras(name):
    q, v = _x(2, 4, 5), _x(2, 3, 5, seed=2)
    ours, theirs = _pair(lambda L: getattr(L, name)(), [q, v])
    qm = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    vm = np.array([[1, 1, 0], [1, 0, 0]], bool)
    for kw in ({"mask": [qm, vm]}, {"mask": [None, vm], "use_causal_mask": True}):
        e_kw = dict(kw, mask=[None if m is None else ember.Tensor(m) for m in kw["mask"]])
        got = ours([ember.Tensor(q), ember.Tensor(v)], return_attention_scores=True, **e_kw)
        want = theirs([q, v], return_attention_scores=True, **kw)
        for g, w in zip(got, want):
            np.testing.assert_allclose(_np(g), np.asarray(w), atol=1e-5)
    np.testing.assert_array_equal(_np(ours.compute_mask([q, v], [qm, vm])), qm)


def test_attention_dropout_in_training_only():
    q = _x(2, 4, 5)
    att = layers.Attention(dropout=0.5, seed=1)
    a = _np(att([q, q], training=False))
    assert not np.allclose(a, _np(att([q, q], training=True)))
    np.testing.assert_array_equal(a, _np(att([q, q])))


def test_attention_errors():
    with pytest.raises(ValueError, match="score_mode"):
        layers.Attention(score_mode="add")
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Attention()(_x(2, 3, 4))
    with pytest.raises(ValueError, match="length 2 or 3"):
        layers.Attention()([_x(2, 3, 4)])


def test_additive_attention_weights_and_config():
    att = layers.AdditiveAttention(name="add_att")
    att([_x(2, 3, 4), _x(2, 5, 4)])
    assert [(w.path, tuple(w.shape)) for w in att.weights] == [("add_att/scale", (4,))]
    assert "score_mode" not in att.get_config()


# -- EinsumDense -------------------------------------------------------------------------------
def test_einsum_dense_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        layers.EinsumDense("ab->b", 3)(_x(2, 3))
    with pytest.raises(ValueError, match="Bias dimension 'z'"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="z")(_x(2, 3))
    with pytest.raises(ValueError, match="do not match"):
        layers.EinsumDense("abc,cd->abd", (5, 3))(_x(2, 4, 3))


def test_einsum_dense_kernel_init_uses_input_and_output_axes():
    # glorot over fan_in=64 (the contracted axis) and fan_out=2*32 (the output axes), not over
    # Keras's default last-two-axes fans
    layer = layers.EinsumDense("abc,cde->abde", (None, 2, 32),
                               kernel_initializer=ember.initializers.GlorotUniform(seed=1))
    layer(_x(2, 3, 64))
    limit = np.sqrt(6.0 / (64 + 64))
    k = _np(layer.kernel)
    assert k.shape == (64, 2, 32) and k.dtype == np.float32
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.9 * limit



def test_einsum_dense_file_loads_in_keras(tmp_path):
    keras = _keras()
    x = _x(2, 4, 8)
    inp = ember.Input((4, 8))
    h = layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de", name="ed")(inp)
    out = layers.EinsumDense("...de,def->...f", 5, bias_axes="f", activation="tanh")(h)
    model = ember.Model(inp, out)
    model.save(tmp_path / "e.keras")
    theirs = keras.saving.load_model(tmp_path / "e.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)),
                               model.predict(x, verbose=0), atol=1e-5)


def test_gqa_file_loads_in_keras(tmp_path):
    keras = _keras()
    x = _x(2, 4, 8)
    inp = ember.Input((4, 8))
    model = ember.Model(inp, layers.GroupQueryAttention(4, 4, 2, name="gqa")(inp, inp))
    assert ember.layers.serialize(model.get_layer("gqa"))["class_name"] == "GroupQueryAttention"
    model.save(tmp_path / "g.keras")
    loaded = ember.saving.load_model(tmp_path / "g.keras")  # ember reads its own file
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)
    theirs = keras.saving.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)),
                               model.predict(x, verbose=0), atol=1e-5)
