"""The optimizers' exponential moving average of the weights (``use_ema``): the recurrence
against a NumPy reference on each update path (flat buffers, per variable, a Keras-style
``update_step``), ``ema_overwrite_frequency``, ``finalize_variable_values`` and ``fit``'s call
of it, config, saving, and the argument errors. Parity with Keras: tests/keras_parity/
(test_optimizers_parity.py's use_ema variants and test_ema_parity.py)."""

import numpy as np
import pytest

import ember
from ember.autodiff.tensor import Variable
from ember.optimizers import SGD, Adafactor, Adam

SHAPES = [(3, 4), (4,)]


def _init(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype("float32") for s in SHAPES]


def _grads(steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(steps)]


def _reference(init, grads, lr, momentum, freq):
    """Plain SGD with Keras's EMA recurrence, in float32 NumPy; the weights and averages
    after each step."""
    w = [a.copy() for a in init]
    avg = [np.zeros_like(a) for a in init]
    out = []
    for step, g in enumerate(grads):
        m = np.float32(momentum if step else 0.0)
        for i in range(len(w)):
            w[i] = w[i] - g[i] * np.float32(lr)
            avg[i] = avg[i] * m + w[i] * (np.float32(1) - m)
            if freq and (step + 1) % freq == 0:
                w[i] = avg[i].copy()
        out.append(([a.copy() for a in w], [a.copy() for a in avg]))
    return out


class _KerasStyleSGD(SGD):
    """Plain SGD written as a Keras subclass: its own update_step (the custom path)."""

    def update_step(self, gradient, variable, learning_rate):
        self.assign_sub(variable, gradient.numpy() * np.float32(float(learning_rate)))


def _run(opt, init, grads, mode):
    variables = [Variable(a.copy()) for a in init]
    if mode == "mixed":  # one float64 variable: the per-variable path
        variables.append(Variable(np.zeros(2), dtype="float64"))
    out = []
    for g in grads:
        if mode == "mixed":
            g = g + [np.ones(2)]
        opt.apply_gradients(zip(g, variables))
        out.append(([v.numpy()[...].copy() for v in variables[:2]],
                    [a.numpy()[...].copy() for a in opt._model_variables_moving_average[:2]]))
    return out


@pytest.mark.parametrize("mode", ["flat", "mixed", "custom"])
@pytest.mark.parametrize("freq", [None, 2])
def test_recurrence_matches_numpy_reference(mode, freq):
    init, grads = _init(), _grads(5)
    cls = _KerasStyleSGD if mode == "custom" else SGD
    opt = cls(learning_rate=0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=freq)
    got = _run(opt, init, grads, mode)
    if mode == "flat":
        assert opt._flat is not None and opt._ema_flat is not None
    else:
        assert opt._flat is None
    for step, ((w, avg), (rw, ravg)) in enumerate(zip(got, _reference(init, grads, 0.1, 0.9,
                                                                      freq))):
        for a, b in zip(w + avg, rw + ravg):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=f"step {step}")


def test_first_step_average_is_the_weights():
    opt = Adam(use_ema=True, ema_momentum=0.99)
    v = Variable(_init()[0])
    opt.apply_gradients([(np.ones((3, 4), "float32"), v)])
    np.testing.assert_array_equal(opt._model_variables_moving_average[0].numpy(), v.numpy())


def test_flat_averages_are_views_of_one_buffer():
    opt = SGD(use_ema=True)
    variables = [Variable(a) for a in _init()]
    opt.build(variables)
    for avg in opt._model_variables_moving_average:
        assert np.shares_memory(avg.data, opt._ema_flat)


def test_variables_order_and_names():
    """The averages come right after iterations/learning_rate, before the slots (Keras)."""
    layer = ember.layers.Dense(2, name="dense")
    layer.build((None, 3))
    opt = Adam(use_ema=True)
    opt.build(layer.trainable_variables)
    names = [v.name for v in opt.variables]
    assert names[:4] == ["iteration", "learning_rate", "dense_kernel_average",
                         "dense_bias_average"]
    assert names[4].endswith("_momentum")
    assert [v.path for v in opt._model_variables_moving_average] == [
        "adam/dense_kernel_average", "adam/dense_bias_average"]
    assert all(v.numpy().sum() == 0 for v in opt._model_variables_moving_average)
    assert len(Adam().variables) == 2 and not hasattr(Adam(), "_model_variables_moving_average")


def test_variable_without_gradient_is_averaged_too():
    """As Keras, the average of every trainable variable moves, with or without a gradient."""
    init = _init()
    opt = SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5)
    variables = [Variable(a.copy()) for a in init]
    opt.apply_gradients(zip([np.ones((3, 4), "float32"), np.ones(4, "float32")], variables))
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients(zip([np.ones((3, 4), "float32"), None], variables))
    avg_bias = opt._model_variables_moving_average[1].numpy()
    np.testing.assert_allclose(avg_bias, init[1] - np.float32(0.1), rtol=1e-6)
    kernel = init[0] - np.float32(0.2)
    expected = (init[0] - np.float32(0.1)) * np.float32(0.5) + kernel * np.float32(0.5)
    np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(), expected,
                               rtol=1e-6)


def test_keras_style_subclass_with_own_build():
    """Adafactor (its own build and update_step): averages first, then its slots."""
    opt = Adafactor(use_ema=True, ema_momentum=0.8)
    v = Variable(_init()[0], name="kernel")
    opt.apply_gradients([(np.ones((3, 4), "float32"), v)])
    assert opt.variables[2].name.endswith("_average")
    np.testing.assert_array_equal(opt.variables[2].numpy(), v.numpy())


def test_finalize_variable_values():
    init, grads = _init(), _grads(3)
    opt = SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    variables = [Variable(a.copy()) for a in init]
    with pytest.raises(ValueError, match="not been built"):
        opt.finalize_variable_values(variables)
    for g in grads:
        opt.apply_gradients(zip(g, variables))
    averages = [a.numpy().copy() for a in opt._model_variables_moving_average]
    assert not np.allclose(variables[0].numpy(), averages[0])
    with pytest.raises(ValueError, match=r"length of model variables \(1\)"):
        opt.finalize_variable_values(variables[:1])
    opt.finalize_variable_values(variables)
    for v, a in zip(variables, averages):
        np.testing.assert_array_equal(v.numpy(), a)
    # without use_ema nothing changes, built or not
    plain = SGD()
    plain.finalize_variable_values(variables)
    for v, a in zip(variables, averages):
        np.testing.assert_array_equal(v.numpy(), a)


def _model(optimizer):
    model = ember.Sequential([ember.Input((3,)), ember.layers.Dense(2)])
    model.compile(optimizer, "mse")
    return model


def _data():
    rng = np.random.default_rng(5)
    return rng.random((16, 3)).astype("float32"), rng.random((16, 2)).astype("float32")


class _AveragesAtTrainEnd(ember.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.averages = [a.numpy().copy()
                         for a in self.model.optimizer._model_variables_moving_average]
        self.weights = [w.numpy().copy() for w in self.model.trainable_variables]


def test_fit_ends_with_the_averages():
    model = _model(SGD(0.1, use_ema=True, ema_momentum=0.9))
    x, y = _data()
    rec = _AveragesAtTrainEnd()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[rec])
    assert not np.allclose(rec.weights[0], rec.averages[0])
    for w, a in zip(model.trainable_variables, rec.averages):
        np.testing.assert_array_equal(w.numpy(), a)


def test_fit_finalizes_even_when_it_fails():
    class Boom(ember.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise RuntimeError("boom")

    model = _model(SGD(0.1, use_ema=True, ema_momentum=0.9))
    x, y = _data()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[Boom()])
    for w, a in zip(model.trainable_variables, model.optimizer._model_variables_moving_average):
        np.testing.assert_array_equal(w.numpy(), a.numpy())


def test_config_round_trip():
    opt = Adam(learning_rate=0.01, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)
    config = opt.get_config()
    assert (config["use_ema"], config["ema_momentum"], config["ema_overwrite_frequency"]) == (
        True, 0.9, 3)
    rebuilt = Adam.from_config(config)
    assert rebuilt.get_config() == config
    assert ember.optimizers.deserialize(ember.optimizers.serialize(opt)).get_config() == config


def test_saved_model_keeps_the_averages(tmp_path):
    model = _model(Adam(0.05, use_ema=True, ema_momentum=0.9))
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    path = str(tmp_path / "ema.keras")
    model.save(path)
    loaded = ember.saving.load_model(path)
    assert loaded.optimizer.use_ema and loaded.optimizer.ema_momentum == 0.9
    names = [v.name for v in loaded.optimizer.variables]
    assert names == [v.name for v in model.optimizer.variables]
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # training on continues from the loaded averages, as the original would
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.optimizer._model_variables_moving_average,
                    loaded.optimizer._model_variables_moving_average):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("kwargs,match", [
    ({"ema_momentum": 1.5}, "ema_momentum"),
    ({"ema_momentum": -0.1}, "ema_momentum"),
    ({"ema_overwrite_frequency": 0.5}, "ema_overwrite_frequency"),
    ({"ema_overwrite_frequency": -2}, "ema_overwrite_frequency"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SGD(use_ema=True, **kwargs)
    SGD(use_ema=False, **kwargs)  # as Keras: only checked with use_ema
