"""Mixed precision in layers: dtype policies, autocast of float32 weights to the compute dtype,
gradients to the float32 weights, float32 normalization, configs, saving, and training on MNIST."""

import numpy as np
import pytest

import ember
from ember import config, layers, ops
from ember.autodiff import function
from ember.dtype_policies import DTypePolicy

ml_dtypes = pytest.importorskip("ml_dtypes")
BF16 = np.dtype(ml_dtypes.bfloat16)
COMPUTE = {"mixed_float16": np.dtype("float16"), "mixed_bfloat16": BF16}
MIXED = sorted(COMPUTE)


@pytest.fixture(autouse=True)
def _global_policy(monkeypatch):
    """Each test starts from (and leaves) the default global policy."""
    monkeypatch.setattr(config, "_DTYPE_POLICY", None)


def _x(shape=(4, 5), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


# -- policies on layers ---------------------------------------------------------------------------
@pytest.mark.parametrize("policy", MIXED)
def test_dense_keeps_float32_weights_and_computes_in_the_compute_dtype(policy):
    dense = layers.Dense(3, dtype=policy)
    y = dense(_x())
    assert dense.dtype_policy == DTypePolicy(policy)
    assert (dense.dtype, dense.variable_dtype) == ("float32", "float32")
    assert dense.compute_dtype == policy.split("_")[1]
    assert [w.dtype for w in dense.weights] == [np.float32, np.float32]
    assert y.dtype == COMPUTE[policy]


@pytest.mark.parametrize("policy", MIXED)
def test_dense_values_are_the_half_precision_computation(policy):
    dense = layers.Dense(3, activation="relu", dtype=policy, bias_initializer="random_normal")
    x = _x()
    y = dense(x).numpy()
    k, b = (w.numpy() for w in dense.weights)
    dt = COMPUTE[policy]
    # NumPy reference: operands rounded to the compute dtype, float32 accumulation, then
    # the bias added and the ReLU taken in the compute dtype
    ref = (x.astype(dt).astype(np.float32) @ k.astype(dt).astype(np.float32)).astype(dt)
    ref = np.maximum(ref + b.astype(dt), 0)
    np.testing.assert_array_equal(y.astype(np.float32), ref.astype(np.float32))


def test_default_is_the_global_policy():
    assert layers.Dense(2).dtype_policy.name == "float32"
    config.set_dtype_policy("mixed_float16")
    dense = layers.Dense(2)
    assert dense.dtype_policy.name == "mixed_float16"
    assert dense(_x()).dtype == np.float16


@pytest.mark.parametrize("dtype", [
    "mixed_float16", DTypePolicy("mixed_float16"),
    {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"},
     "registered_name": None}], ids=["name", "policy", "envelope"])
def test_dtype_argument_forms(dtype):
    dense = layers.Dense(2, dtype=dtype)
    assert dense.dtype_policy.name == "mixed_float16"
    assert dense.compute_dtype == "float16" and dense.dtype == "float32"


def test_plain_dtype_policies():
    dense = layers.Dense(2, dtype="float16")
    assert (dense.dtype, dense.compute_dtype) == ("float16", "float16")
    dense(_x())
    assert dense.kernel.dtype == np.float16
    dense = layers.Dense(2, dtype=np.float64)
    assert dense.dtype_policy.name == "float64" and dense(_x()).dtype == np.float64


def test_bad_dtype_is_a_value_error():
    with pytest.raises(ValueError, match="mixed_float16"):
        layers.Dense(2, dtype="mixed_float17")


def test_dtype_policy_can_be_set_before_build():
    dense = layers.Dense(2)
    dense.dtype_policy = "mixed_float16"
    assert dense(_x()).dtype == np.float16 and dense.kernel.dtype == np.float32


def test_integer_inputs_of_dense_compute_in_the_compute_dtype():
    dense = layers.Dense(2, dtype="mixed_float16")
    assert dense(np.ones((1, 3), "int32")).dtype == np.float16
    assert layers.Dense(2)(np.ones((1, 3), "int32")).dtype == np.float32


def test_integer_inputs_are_not_cast():
    emb = layers.Embedding(10, 3, dtype="mixed_float16")
    y = emb(np.array([[1, 2, 3]]))
    assert y.dtype == np.float16 and emb.embeddings.dtype == np.float32


# -- gradients ------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", MIXED)
def test_gradients_reach_the_float32_weights(policy):
    dense = layers.Dense(3, dtype=policy)
    x = _x()
    with ember.GradientTape() as tape:
        y = dense(x)
        loss = ops.sum(ops.square(ops.cast(y, "float32")))
    grads = tape.gradient(loss, dense.trainable_weights)
    assert [g.dtype for g in grads] == [np.float32, np.float32]
    # reference: the same loss in float32
    k, b = (w.numpy() for w in dense.weights)
    y32 = x @ k + b
    tol = {"mixed_float16": 1e-2, "mixed_bfloat16": 5e-2}[policy]
    np.testing.assert_allclose(grads[0].numpy(), x.T @ (2 * y32), rtol=tol, atol=tol)
    np.testing.assert_allclose(grads[1].numpy(), (2 * y32).sum(0), rtol=tol, atol=tol)


def test_gradient_of_the_input_has_the_input_dtype():
    dense = layers.Dense(3, dtype="mixed_float16")
    x = ember.Variable(_x())
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.cast(dense(x), "float32"))
    (g,) = tape.gradient(loss, [x])
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), np.tile(dense.kernel.numpy().sum(1), (4, 1)),
                               rtol=1e-2, atol=1e-2)


def test_optimizer_updates_keep_float32_weights():
    dense = layers.Dense(3, dtype="mixed_float16")
    dense(_x())
    before = dense.kernel.numpy()
    opt = ember.optimizers.SGD(0.1)
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.cast(dense(_x()), "float32"))
    opt.apply(tape.gradient(loss, dense.trainable_weights), dense.trainable_weights)
    assert dense.kernel.dtype == np.float32
    assert not np.array_equal(dense.kernel.numpy(), before)


# -- autocast scope -------------------------------------------------------------------------------
class _Scaled(layers.Layer):
    """A layer with its own weight and a Dense sub-layer."""

    def __init__(self, inner_dtype=None, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(2, dtype=inner_dtype)
        self.seen = []

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        self.fixed = self.add_weight(shape=(), initializer="ones", name="fixed", autocast=False)

    def call(self, x):
        self.seen.append((ops.multiply(x, self.scale).dtype, ops.multiply(x, self.fixed).dtype,
                          function.autocast_dtype()))
        return self.inner(ops.multiply(x, self.scale))


def test_the_scope_is_set_during_call_only():
    layer = _Scaled(inner_dtype="mixed_float16", dtype="mixed_float16")
    y = layer(_x())
    scaled, fixed, scope = layer.seen[0]
    assert scaled == np.float16  # autocast weight
    assert fixed == np.float32  # autocast=False: float16 * float32 promotes
    assert scope == np.float16
    assert function.autocast_dtype() is None
    assert y.dtype == np.float16 and layer.scale.autocast and not layer.fixed.autocast


def test_a_float32_sublayer_inside_a_mixed_layer_computes_in_float32():
    # as Keras: the sub-layer's own policy (here the default, float32) sets its scope
    layer = _Scaled(dtype="mixed_float16")
    assert layer(_x()).dtype == np.float32
    assert layer.seen[0][0] == np.float16


def test_layer_autocast_false_casts_neither_inputs_nor_weights():
    dense = layers.Dense(2, dtype="mixed_float16", autocast=False)
    assert dense(_x()).dtype == np.float32


def test_the_scope_is_restored_after_an_error():
    class Boom(layers.Layer):
        def call(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Boom(dtype="mixed_float16")(_x())
    assert function.autocast_dtype() is None


# -- layers that compute in float32 ---------------------------------------------------------------
@pytest.mark.parametrize("policy", MIXED)
@pytest.mark.parametrize("cls", [layers.BatchNormalization, layers.LayerNormalization])
def test_normalization_computes_in_float32_and_returns_the_compute_dtype(cls, policy):
    # an offset of 100 with unit noise: the variance of the inputs in the compute dtype
    # (squares of ~100) is far off, so this only passes with float32 statistics
    x = 100 + _x((16, 4))
    mixed, full = cls(dtype=policy), cls()
    y = mixed(x, training=True)
    # the reference normalizes in float32 what the layer sees: the inputs rounded to the
    # compute dtype for BatchNormalization, as they are for LayerNormalization (autocast off)
    seen = x.astype(COMPUTE[policy]).astype(np.float32) if mixed.autocast else x
    y32 = full(seen, training=True).numpy()
    assert y.dtype == COMPUTE[policy]
    assert all(w.dtype == np.float32 and not w.autocast for w in mixed.weights)
    np.testing.assert_allclose(y.numpy().astype(np.float32), y32.astype(COMPUTE[policy])
                               .astype(np.float32), rtol=1e-2, atol=1e-2)
    if cls is layers.BatchNormalization:
        np.testing.assert_allclose(mixed.moving_mean.numpy(), full.moving_mean.numpy(),
                                   rtol=1e-6)


def test_normalization_gradients_are_float32():
    bn = layers.BatchNormalization(dtype="mixed_float16")
    x = _x((8, 3))
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.square(ops.cast(bn(x, training=True), "float32")))
    assert [g.dtype for g in tape.gradient(loss, bn.trainable_weights)] == [np.float32] * 2


@pytest.mark.parametrize("policy", MIXED)
def test_convolution_pooling_and_dropout_follow_the_policy(policy):
    model = ember.Sequential([
        layers.Input((8, 8, 3)),
        layers.Conv2D(4, 3, activation="relu", dtype=policy),
        layers.DepthwiseConv2D(3, dtype=policy),
        layers.MaxPooling2D(dtype=policy),
        layers.Dropout(0.5, dtype=policy),
        layers.GlobalAveragePooling2D(dtype=policy),
    ])
    x = _x((2, 8, 8, 3))
    with ember.GradientTape() as tape:
        y = model(x, training=True)
        loss = ops.sum(ops.cast(y, "float32"))
    assert y.dtype == COMPUTE[policy]
    grads = tape.gradient(loss, model.trainable_weights)
    assert all(g is not None and g.dtype == np.float32 for g in grads)


@pytest.mark.parametrize("make", [
    lambda p: layers.LSTM(3, dtype=p),
    lambda p: layers.GRU(3, return_sequences=True, dtype=p),
    lambda p: layers.Bidirectional(layers.SimpleRNN(2, dtype=p), dtype=p),
    lambda p: layers.TimeDistributed(layers.Dense(2, dtype=p), dtype=p),
], ids=["LSTM", "GRU", "Bidirectional", "TimeDistributed"])
def test_recurrent_layers_follow_the_policy_and_keep_it_in_their_config(make):
    layer = make("mixed_float16")
    y = layer(_x((2, 4, 3)))
    assert y.dtype == np.float16
    assert all(w.dtype == np.float32 for w in layer.weights)
    clone = type(layer).from_config(layer.get_config())
    assert clone.dtype_policy.name == "mixed_float16"
    assert clone(_x((2, 4, 3))).dtype == np.float16
    assert all(w.dtype == np.float32 for w in clone.weights)
    if hasattr(layer, "get_initial_state"):
        assert layer.get_initial_state(2)[0].dtype == np.float16


# -- symbolic calls, configs and saving -----------------------------------------------------------
def test_functional_outputs_have_the_compute_dtype():
    inputs = ember.Input((5,))
    outputs = layers.Dense(2, dtype="mixed_float16")(inputs)
    assert outputs.dtype == "float16"
    model = ember.Model(inputs, outputs)
    assert model.predict(_x(), verbose=0).dtype == np.float16


@pytest.mark.parametrize("policy", MIXED + ["float32", "float16"])
def test_config_round_trip(policy):
    dense = layers.Dense(2, dtype=policy)
    cfg = dense.get_config()
    assert cfg["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                            "config": {"name": policy}, "registered_name": None}
    clone = layers.Dense.from_config(cfg)
    assert clone.dtype_policy == dense.dtype_policy


def test_sequential_config_writes_the_model_policy():
    config.set_dtype_policy("mixed_float16")
    model = ember.Sequential([layers.Input((3,)), layers.Dense(2)])
    assert model.get_config()["dtype"]["config"]["name"] == "mixed_float16"


@pytest.mark.parametrize("policy", MIXED)
def test_keras_file_round_trip(policy, tmp_path):
    model = ember.Sequential([layers.Input((5,)), layers.Dense(4, activation="relu", dtype=policy),
                              layers.BatchNormalization(dtype=policy),
                              layers.Dense(2, dtype=policy)])
    x = _x()
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = ember.saving.load_model(tmp_path / "m.keras")
    assert [layer.dtype_policy.name for layer in loaded.layers] == [policy] * 3
    assert all(w.dtype == np.float32 for w in loaded.weights)
    got = loaded.predict(x, verbose=0)
    assert got.dtype == COMPUTE[policy]
    np.testing.assert_array_equal(got.astype(np.float32), expected.astype(np.float32))


def test_compiled_mixed_float16_model_round_trip_keeps_one_loss_scale_optimizer(tmp_path):
    config.set_dtype_policy("mixed_float16")
    model = ember.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(_x((8, 3)), _x((8, 2), seed=1), verbose=0)
    model.save(tmp_path / "m.keras")
    config.set_dtype_policy("float32")
    loaded = ember.saving.load_model(tmp_path / "m.keras")
    opt = loaded.optimizer
    assert isinstance(opt, ember.optimizers.LossScaleOptimizer)
    assert isinstance(opt.inner_optimizer, ember.optimizers.Adam)
    assert float(opt.dynamic_scale.numpy()) == float(model.optimizer.dynamic_scale.numpy())
    assert loaded.layers[0].dtype_policy.name == "mixed_float16"


def test_bfloat16_without_ml_dtypes_is_a_clear_import_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "ml_dtypes", None)
    with pytest.raises(ImportError, match="ml_dtypes"):
        layers.Dense(2, dtype="mixed_bfloat16")


# -- compile and training -------------------------------------------------------------------------
def test_compile_wraps_the_optimizer_for_mixed_float16_only():
    config.set_dtype_policy("mixed_float16")
    model = ember.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, ember.optimizers.LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert isinstance(model.optimizer.inner_optimizer, ember.optimizers.Adam)
    model.compile(optimizer="adam", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, ember.optimizers.Adam)
    own = ember.optimizers.LossScaleOptimizer(ember.optimizers.SGD())
    model.compile(optimizer=own, loss="mse")
    assert model.optimizer is own
    config.set_dtype_policy("mixed_bfloat16")
    model = ember.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    assert isinstance(model.optimizer, ember.optimizers.Adam)


def _train_mnist(mnist_arrays, policy):
    (x, y), (xt, yt) = mnist_arrays
    x = x[:12000].reshape(-1, 784).astype("float32") / 255
    xt = xt.reshape(-1, 784).astype("float32") / 255
    config.set_dtype_policy(policy)
    ember.utils.set_random_seed(0)
    model = ember.Sequential([layers.Input((784,)), layers.Dense(128, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y[:12000], epochs=2, batch_size=64, verbose=0)
    assert all(w.dtype == np.float32 for w in model.weights)
    assert model.predict(xt[:2], verbose=0).dtype == (
        np.float32 if policy == "float32" else COMPUTE[policy])
    return model.evaluate(xt, yt, verbose=0)[1]


@pytest.mark.parametrize("policy", MIXED)
def test_mixed_precision_mlp_trains_on_mnist(mnist_arrays, policy):
    accuracy = _train_mnist(mnist_arrays, policy)
    reference = _train_mnist(mnist_arrays, "float32")
    # a stated threshold, and no worse than float32 by more than one point
    assert accuracy >= 0.92
    assert accuracy >= reference - 0.01
