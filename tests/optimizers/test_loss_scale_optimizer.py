"""LossScaleOptimizer: the dynamic scale, unscaling, delegation to the inner optimizer,
errors, serialization and training through ``fit``."""

import warnings

import numpy as np
import pytest

import ember
from ember import optimizers
from ember.optimizers import SGD, Adam, LossScaleOptimizer


def _var(value=(1.0, 2.0), name="w"):
    return ember.Variable(np.array(value, "float32"), name=name)


def _scale(opt):
    return float(opt.dynamic_scale.numpy())


# -- construction ---------------------------------------------------------------------------------
def test_constructor_errors():
    with pytest.raises(ValueError, match="no longer supports `dynamic=False`"):
        LossScaleOptimizer(SGD(), dynamic=False)
    with pytest.raises(ValueError, match="does not support `clipnorm`.*inner_optimizer"):
        LossScaleOptimizer(SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="does not support `loss_scale_factor`"):
        LossScaleOptimizer(SGD(), loss_scale_factor=2.0)
    with pytest.raises(ValueError, match="does not support arguments: `foo`, `bar`"):
        LossScaleOptimizer(SGD(), foo=1, bar=2)
    with pytest.raises(TypeError, match="must be an Optimizer instance.*'sgd'"):
        LossScaleOptimizer("sgd")


def test_defaults_are_accepted_and_inner_factor_is_cleared():
    inner = SGD(loss_scale_factor=8.0)
    opt = LossScaleOptimizer(inner, clipnorm=None, use_ema=False, dynamic=True)
    assert inner.loss_scale_factor is None
    assert opt.name == "loss_scale_optimizer"
    assert opt.initial_scale == 2.0 ** 15 and opt.dynamic_growth_steps == 2000


# -- the dynamic scale ----------------------------------------------------------------------------
def test_scale_grows_after_dynamic_growth_steps_finite_steps():
    w = _var()
    opt = LossScaleOptimizer(SGD(0.1), initial_scale=4.0, dynamic_growth_steps=3)
    scales, counters = [], []
    for _ in range(7):
        opt.apply([np.ones(2, "float32")], [w])
        scales.append(_scale(opt))
        counters.append(int(opt.step_counter.numpy()))
    assert scales == [4.0, 4.0, 8.0, 8.0, 8.0, 16.0, 16.0]
    assert counters == [1, 2, 0, 1, 2, 0, 1]
    assert int(opt.iterations.numpy()) == 7


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_gradient_skips_the_step_and_halves_the_scale(bad):
    w, b = _var(), _var((3.0,), "b")
    opt = LossScaleOptimizer(Adam(0.1), initial_scale=64.0, dynamic_growth_steps=10)
    opt.apply([np.ones(2, "float32"), np.ones(1, "float32")], [w, b])
    before = [w.numpy().copy(), b.numpy().copy()]
    slots = [v.numpy().copy() for v in opt.inner_optimizer.variables]
    opt.apply([np.ones(2, "float32"), np.array([bad], "float32")], [w, b])
    assert _scale(opt) == 32.0 and int(opt.step_counter.numpy()) == 0
    np.testing.assert_array_equal(w.numpy(), before[0])
    np.testing.assert_array_equal(b.numpy(), before[1])
    for v, s in zip(opt.inner_optimizer.variables, slots):  # no slot moved, no iteration
        np.testing.assert_array_equal(v.numpy(), s)
    assert int(opt.iterations.numpy()) == 1


def test_gradients_are_unscaled():
    """With SGD, scaled gradients through the wrapper step exactly as the plain gradients."""
    g = np.array([0.3, -1.7], "float32")
    w1, w2 = _var(), _var()
    opt = LossScaleOptimizer(SGD(0.1, momentum=0.9), initial_scale=1024.0)
    plain = SGD(0.1, momentum=0.9)
    opt.build([w1])
    for _ in range(3):
        opt.apply_gradients([(g * _scale(opt), w1)])
        plain.apply_gradients([(g, w2)])
    np.testing.assert_array_equal(w1.numpy(), w2.numpy())


def test_scale_loss():
    opt = LossScaleOptimizer(SGD(), initial_scale=8.0)
    assert float(opt.scale_loss(ember.constant(1.5))) == 12.0  # unbuilt: initial_scale
    opt.build([_var()])
    opt.dynamic_scale.assign(2.0)
    assert float(opt.scale_loss(ember.constant(1.5))) == 3.0


def test_none_gradients_are_ignored_by_the_finite_check():
    w, b = _var(), _var((3.0,), "b")
    opt = LossScaleOptimizer(SGD(1.0), initial_scale=2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the inner optimizer warns about the None gradient
        opt.apply([np.ones(2, "float32") * 2.0, None], [w, b])
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(b.numpy(), [3.0])


def test_apply_without_variables_needs_a_build():
    opt = LossScaleOptimizer(SGD())
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(2, "float32")])
    w = _var()
    opt.build([w])
    opt.apply([np.ones(2, "float32")])
    assert int(opt.iterations.numpy()) == 1


# -- delegation -----------------------------------------------------------------------------------
def test_variables_iterations_and_learning_rate():
    inner = SGD(0.5, momentum=0.9)
    opt = LossScaleOptimizer(inner)
    opt.build([_var()])
    names = [v.name for v in opt.variables]
    assert names[:4] == ["iteration", "learning_rate", "step_counter", "dynamic_scale"]
    assert names[4:] == [v.name for v in inner.variables]
    assert opt.iterations is inner.iterations
    assert float(opt.learning_rate) == 0.5
    opt.learning_rate = 0.25
    assert float(inner.learning_rate) == 0.25


def test_get_and_set_weights_cover_the_inner_optimizer():
    w = _var()
    opt = LossScaleOptimizer(Adam(0.1), initial_scale=4.0)
    opt.apply([np.ones(2, "float32")], [w])
    weights = opt.get_weights()
    assert len(weights) == len(opt.variables) == 4 + 4
    other = LossScaleOptimizer(Adam(0.1))
    other.build([_var()])
    other.set_weights(weights)
    for a, b in zip(opt.variables, other.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_serialization_round_trip():
    opt = LossScaleOptimizer(Adam(0.01, beta_1=0.8), initial_scale=128.0,
                             dynamic_growth_steps=7, name="lso")
    envelope = optimizers.serialize(opt)
    assert envelope["class_name"] == "LossScaleOptimizer"
    assert envelope["config"]["inner_optimizer"]["class_name"] == "Adam"
    rebuilt = optimizers.deserialize(envelope)
    assert isinstance(rebuilt, LossScaleOptimizer) and isinstance(rebuilt.inner_optimizer, Adam)
    assert rebuilt.get_config() == opt.get_config()
    assert LossScaleOptimizer.from_config(opt.get_config()).get_config() == opt.get_config()


# -- training -------------------------------------------------------------------------------------
def _fit(optimizer):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 1)) + 0.3).astype("float32")
    ember.utils.set_random_seed(0)
    model = ember.Sequential([ember.Input((4,)), ember.layers.Dense(8, activation="relu"),
                              ember.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=32, shuffle=False, verbose=0)
    return history.history["loss"], model.get_weights()


def test_fit_with_loss_scaling_matches_plain_training():
    """fit scales the loss by a power of two and the wrapper unscales the gradients: with SGD
    the weights are those of plain SGD (scaling by 2**k is exact in float32)."""
    opt = LossScaleOptimizer(SGD(0.05), dynamic_growth_steps=4)
    losses, weights = _fit(opt)
    plain_losses, plain_weights = _fit(SGD(0.05))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_allclose(losses, plain_losses, rtol=1e-6)
    for a, b in zip(weights, plain_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert float(opt.dynamic_scale.numpy()) == 2.0 ** 15 * 2 ** (15 // 4)  # 3 batches x 5 epochs


def test_fit_applies_loss_scale_factor():
    """An optimizer's own loss_scale_factor scales the loss in fit and unscales the gradients,
    so training is the same as without it."""
    losses, weights = _fit(SGD(0.05, loss_scale_factor=64.0))
    plain_losses, plain_weights = _fit(SGD(0.05))
    np.testing.assert_allclose(losses, plain_losses, rtol=1e-6)
    for a, b in zip(weights, plain_weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_model_save_and_load_keeps_the_wrapped_state(tmp_path):
    """A .keras file holds the wrapper's config (with its inner MultiOptimizer) and every
    optimizer variable; the loaded model resumes with the same state."""
    from ember.optimizers import MultiOptimizer, OptimizerMap

    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = x[:, :1] * 2.0
    model = ember.Sequential([ember.Input((4,)), ember.layers.Dense(3), ember.layers.Dense(1)])
    inner = MultiOptimizer(OptimizerMap(SGD(0.1, momentum=0.5), {".*/kernel": Adam(0.01)}))
    model.compile(optimizer=LossScaleOptimizer(inner, dynamic_growth_steps=1), loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = ember.models.load_model(path)
    assert isinstance(loaded.optimizer, LossScaleOptimizer)
    assert isinstance(loaded.optimizer.inner_optimizer, MultiOptimizer)
    saved, restored = model.optimizer.variables, loaded.optimizer.variables
    assert [v.name for v in saved] == [v.name for v in restored]
    for a, b in zip(saved, restored):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert float(loaded.optimizer.dynamic_scale.numpy()) == 2.0 ** 15 * 2 ** 4  # 4 batches
