"""Mixed-precision parity with Keras 3 (JAX): dtype policies on layers (config envelopes, weight
and output dtypes, autocast flags), outputs of the same layers with the same weights, a
training step, LossScaleOptimizer wrapping in compile, and keras.mixed_precision's names."""

import numpy as np
import pytest
from parity_harness import assert_close, copy_weights, to_numpy

import ember
from ember import config

pytest.importorskip("ml_dtypes")
MIXED = ["mixed_float16", "mixed_bfloat16"]
# one rounding of the compute dtype (2**-10 for float16, 2**-7 for bfloat16), a few times over
TOL = {"mixed_float16": 4e-3, "mixed_bfloat16": 3e-2}


@pytest.fixture(autouse=True)
def _global_policies(keras, monkeypatch):
    """Both libraries start from and return to the default global policy."""
    monkeypatch.setattr(config, "_DTYPE_POLICY", None)
    yield
    keras.config.set_dtype_policy("float32")


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# (id, layer class name, constructor kwargs, input)
CASES = [
    ("dense", "Dense", {"units": 3, "activation": "relu"}, lambda: _x((4, 5))),
    ("dense_softmax", "Dense", {"units": 3, "activation": "softmax"}, lambda: _x((4, 5))),
    ("conv2d", "Conv2D", {"filters": 3, "kernel_size": 3}, lambda: _x((2, 6, 6, 2))),
    ("depthwise", "DepthwiseConv2D", {"kernel_size": 3}, lambda: _x((2, 6, 6, 2))),
    ("batchnorm", "BatchNormalization", {}, lambda: 100 + _x((8, 4))),
    ("layernorm", "LayerNormalization", {}, lambda: 100 + _x((8, 4))),
    ("embedding", "Embedding", {"input_dim": 10, "output_dim": 3},
     lambda: np.array([[1, 2, 9], [0, 3, 3]])),
    ("softmax", "Softmax", {}, lambda: _x((3, 4))),
    ("maxpool", "MaxPooling2D", {}, lambda: _x((2, 4, 4, 2))),
    ("lstm", "LSTM", {"units": 3}, lambda: _x((2, 4, 3))),
    ("gru_seq", "GRU", {"units": 2, "return_sequences": True}, lambda: _x((2, 4, 3))),
]


def _pair(keras, cls, kwargs, policy, x):
    k_layer = getattr(keras.layers, cls)(dtype=policy, **kwargs)
    e_layer = getattr(ember.layers, cls)(dtype=policy, **kwargs)
    k_layer(x)
    e_layer(x)
    rng = np.random.default_rng(1)
    if k_layer.weights:  # random weights (not the initial ones): every weight takes part
        values = [rng.uniform(0.5, 1.5, np.shape(w)).astype("float32")
                  for w in k_layer.get_weights()]
        k_layer.set_weights(values)
        copy_weights(k_layer, e_layer)
    return k_layer, e_layer


@pytest.mark.parametrize("policy", MIXED)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_outputs_and_dtypes_match(keras, case, policy):
    _, cls, kwargs, make_x = case
    x = make_x()
    k_layer, e_layer = _pair(keras, cls, kwargs, policy, x)
    for attr in ("dtype", "compute_dtype", "variable_dtype"):
        assert getattr(e_layer, attr) == getattr(k_layer, attr), attr
    assert e_layer.dtype_policy.name == k_layer.dtype_policy.name
    assert e_layer.autocast == k_layer.autocast
    assert [(w.name, str(w.dtype), w.autocast) for w in e_layer.weights] == \
        [(w.name, str(w.dtype), w._autocast) for w in k_layer.weights]
    training = cls == "BatchNormalization"
    k_out = k_layer(x, training=training)
    e_out = e_layer(x, training=training)
    assert str(e_out.dtype) == str(k_out.dtype)
    assert_close(to_numpy(e_out).astype("float32"), to_numpy(k_out).astype("float32"),
                 rtol=TOL[policy], atol=TOL[policy], what=f"{cls} under {policy}")
    if training:  # the moving statistics, updated in float32 by both
        assert_close(e_layer.moving_variance, k_layer.moving_variance, rtol=1e-5,
                     what="moving_variance")


@pytest.mark.parametrize("dtype", MIXED + ["float16", "float32", None])
def test_config_envelopes_match(keras, dtype):
    assert ember.layers.Dense(2, dtype=dtype).get_config()["dtype"] == \
        keras.layers.Dense(2, dtype=dtype).get_config()["dtype"]


def test_envelope_of_a_policy_object_matches(keras):
    e = ember.layers.Dense(2, dtype=ember.DTypePolicy("mixed_bfloat16")).get_config()["dtype"]
    k = keras.layers.Dense(2, dtype=keras.DTypePolicy("mixed_bfloat16")).get_config()["dtype"]
    assert e == k


def test_keras_config_loads_in_ember(keras):
    cfg = keras.layers.Dense(2, dtype="mixed_float16").get_config()
    layer = ember.layers.Dense.from_config(cfg)
    assert layer.dtype_policy.name == "mixed_float16"


@pytest.mark.parametrize("policy", MIXED)
def test_functional_symbolic_dtype_matches(keras, policy):
    k_out = keras.layers.Dense(2, dtype=policy)(keras.Input((5,)))
    e_out = ember.layers.Dense(2, dtype=policy)(ember.Input((5,)))
    assert str(e_out.dtype) == str(k_out.dtype)


@pytest.mark.parametrize("policy", MIXED)
def test_global_policy_model_matches(keras, policy):
    keras.config.set_dtype_policy(policy)
    config.set_dtype_policy(policy)

    def build(lib):
        return lib.Sequential([lib.Input((5,)), lib.layers.Dense(4, activation="relu"),
                               lib.layers.Dense(3, activation="softmax")])

    k_model, e_model = build(keras), build(ember)
    copy_weights(k_model, e_model)
    assert e_model.dtype_policy.name == k_model.dtype_policy.name
    assert e_model.get_config()["dtype"] == k_model.get_config()["dtype"]
    x = _x((6, 5))
    k_out, e_out = k_model.predict(x, verbose=0), e_model.predict(x, verbose=0)
    assert str(e_out.dtype) == str(k_out.dtype)
    assert_close(e_out.astype("float32"), np.asarray(k_out).astype("float32"),
                 rtol=TOL[policy], atol=TOL[policy])


@pytest.mark.parametrize("policy", MIXED)
def test_one_training_step_matches(keras, policy):
    """compile (with its LossScaleOptimizer for float16), one SGD step: the float32 weights
    move the same way."""
    keras.config.set_dtype_policy(policy)
    config.set_dtype_policy(policy)

    def build(lib):
        model = lib.Sequential([lib.Input((5,)), lib.layers.Dense(4, activation="tanh"),
                                lib.layers.Dense(3, activation="softmax")])
        model.compile(optimizer=lib.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
        return model

    k_model, e_model = build(keras), build(ember)
    copy_weights(k_model, e_model)
    x, y = _x((16, 5)), np.arange(16) % 3
    k_loss = k_model.train_on_batch(x, y)
    e_loss = e_model.train_on_batch(x, y)
    assert_close(e_loss, k_loss, rtol=TOL[policy], what="loss")
    for ew, kw in zip(e_model.weights, k_model.weights):
        assert str(ew.dtype) == str(kw.dtype) == "float32"
        assert_close(ew, kw, rtol=TOL[policy], atol=TOL[policy], what=kw.path)


@pytest.mark.parametrize("policy, auto", [("mixed_float16", True), ("mixed_float16", False),
                                          ("mixed_bfloat16", True), ("float32", True)])
def test_compile_wraps_the_optimizer_as_keras(keras, policy, auto):
    keras.config.set_dtype_policy(policy)
    config.set_dtype_policy(policy)
    models = []
    for lib in (keras, ember):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
        model.compile(optimizer="adam", loss="mse", auto_scale_loss=auto)
        models.append(model)
    k_opt, e_opt = (m.optimizer for m in models)
    assert type(e_opt).__name__ == type(k_opt).__name__
    if type(k_opt).__name__ == "LossScaleOptimizer":
        assert e_opt.name == k_opt.name == "loss_scale_optimizer"
        assert type(e_opt.inner_optimizer).__name__ == type(k_opt.inner_optimizer).__name__
        assert sorted(e_opt.get_config()) == sorted(k_opt.get_config())
        assert e_opt.get_config()["initial_scale"] == k_opt.get_config()["initial_scale"]


@pytest.mark.parametrize("policy", MIXED)
def test_keras_loads_embers_mixed_model(keras, policy, tmp_path):
    model = ember.Sequential([ember.Input((5,)), ember.layers.Dense(4, dtype=policy),
                              ember.layers.LayerNormalization(dtype=policy)])
    x = _x((3, 5))
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert [layer.dtype_policy.name for layer in loaded.layers] == [policy] * 2
    got = loaded.predict(x, verbose=0)
    assert str(got.dtype) == str(expected.dtype)
    assert_close(np.asarray(got).astype("float32"), expected.astype("float32"),
                 rtol=TOL[policy], atol=TOL[policy])


def test_mixed_precision_namespace_matches(keras):
    public = sorted(n for n in dir(keras.mixed_precision) if not n.startswith("_"))
    assert sorted(ember.mixed_precision.__all__) == public
    assert (ember.mixed_precision.Policy is ember.mixed_precision.DTypePolicy) == \
        (keras.mixed_precision.Policy is keras.mixed_precision.DTypePolicy)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    ember.mixed_precision.set_global_policy("mixed_bfloat16")
    k, e = keras.mixed_precision.global_policy(), ember.mixed_precision.global_policy()
    assert (e.name, e.compute_dtype, e.variable_dtype) == (k.name, k.compute_dtype,
                                                          k.variable_dtype)
    assert repr(e) == repr(k)


@pytest.mark.parametrize("bad", ["mixed_float17", 3])
def test_set_global_policy_error_types_match(keras, bad):
    with pytest.raises(Exception) as k_err:
        keras.mixed_precision.set_global_policy(bad)
    with pytest.raises(type(k_err.value)):
        ember.mixed_precision.set_global_policy(bad)
