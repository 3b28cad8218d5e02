"""SwapEMAWeights: evaluation, prediction and (with swap_on_epoch) checkpoints see the
optimizer's moving averages; the trained weights come back afterwards. Parity with Keras:
tests/keras_parity/test_ema_parity.py."""

import numpy as np
import pytest

import ember
from ember.callbacks import Callback, ModelCheckpoint, SwapEMAWeights
from ember.optimizers import SGD, LossScaleOptimizer, MultiOptimizer


def _data(n=16):
    rng = np.random.default_rng(7)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 2)).astype("float32")


def _model(optimizer=None):
    model = ember.Sequential([ember.Input((3,)), ember.layers.Dense(4, name="hidden"),
                              ember.layers.Dense(2, name="out")])
    model.compile(optimizer or SGD(0.1, use_ema=True, ema_momentum=0.8), "mse")
    return model


def _trained(optimizer=None):
    """A model after one epoch without the callback: its weights differ from the averages."""
    model = _model(optimizer)
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    # fit left the averages in the model: move the weights away again
    model.train_on_batch(x, y)
    return model


def _weights(model):
    return [w.numpy().copy() for w in model.trainable_variables]


def _averages(model, optimizer=None):
    opt = optimizer or model.optimizer
    return [a.numpy().copy() for a in opt._model_variables_moving_average]


def _with_weights(model, weights):
    """A copy of ``model`` holding ``weights``, compiled the same way."""
    twin = _model(SGD(0.1))
    twin.set_weights(weights)
    return twin


def test_evaluate_uses_the_averages_then_restores_the_weights():
    model = _trained()
    x, y = _data()
    weights, averages = _weights(model), _averages(model)
    assert not np.allclose(weights[0], averages[0])
    got = model.evaluate(x, y, verbose=0, callbacks=[SwapEMAWeights()])
    expected = _with_weights(model, averages).evaluate(x, y, verbose=0)
    assert got == pytest.approx(expected, rel=1e-6)
    assert got != pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)
    for a, b in zip(_weights(model), weights):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_averages(model), averages):
        np.testing.assert_array_equal(a, b)


def test_predict_uses_the_averages_then_restores_the_weights():
    """(Keras 3.15 leaves the averages in the model after predict: see the parity test.)"""
    model = _trained()
    x, _ = _data()
    weights, averages = _weights(model), _averages(model)
    got = model.predict(x, verbose=0, callbacks=[SwapEMAWeights()])
    np.testing.assert_allclose(got, _with_weights(model, averages).predict(x, verbose=0),
                               rtol=1e-6)
    for a, b in zip(_weights(model), weights):
        np.testing.assert_array_equal(a, b)


class _Recorder(Callback):
    """What the callbacks after SwapEMAWeights see: the model's weights during validation and
    at each epoch's end, and the averages then."""

    def __init__(self):
        super().__init__()
        self.at_test, self.at_epoch_end = [], []

    def on_test_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.at_test.append((_weights(self.model), _averages(self.model)))

    def on_epoch_end(self, epoch, logs=None):
        self.at_epoch_end.append(_weights(self.model))


class _AveragesBefore(Callback):
    """Listed before SwapEMAWeights: the weights and averages before any swap."""

    def __init__(self):
        super().__init__()
        self.weights, self.averages = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(_weights(self.model))
        self.averages.append(_averages(self.model))


def test_validation_during_fit_uses_the_averages():
    model = _model()
    x, y = _data()
    before, rec = _AveragesBefore(), _Recorder()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False, validation_data=(x, y),
              callbacks=[before, SwapEMAWeights(), rec])
    assert len(rec.at_test) == len(before.weights) == 2
    for (weights, averages), raw, ema in zip(rec.at_test, before.weights, before.averages):
        for w, a, r, e in zip(weights, averages, raw, ema):
            np.testing.assert_array_equal(w, e)  # the model holds the averages
            np.testing.assert_array_equal(a, r)  # and the averages the trained weights
    # without swap_on_epoch, the callbacks after it see the trained weights at epoch end
    for got, raw in zip(rec.at_epoch_end, before.weights):
        for a, b in zip(got, raw):
            np.testing.assert_array_equal(a, b)


def test_swap_on_epoch_checkpoints_hold_the_averages(tmp_path):
    model = _model()
    x, y = _data()
    before = _AveragesBefore()
    ckpt = ModelCheckpoint(str(tmp_path / "w{epoch}.weights.h5"), save_weights_only=True)
    rec = _Recorder()
    model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False,
              callbacks=[before, SwapEMAWeights(swap_on_epoch=True), ckpt, rec])
    for epoch in range(3):
        ema = before.averages[epoch]
        for a, b in zip(rec.at_epoch_end[epoch], ema):
            np.testing.assert_array_equal(a, b)
        saved = _model()
        saved.optimizer.build(saved.trainable_variables)  # the file holds its state too
        saved.load_weights(str(tmp_path / f"w{epoch + 1}.weights.h5"))
        for a, b in zip(_weights(saved), ema):
            np.testing.assert_array_equal(a, b)
    # the fit ends with the averages in the model (finalize_variable_values), and the last
    # epoch's averages were restored first
    for a, b in zip(_weights(model), before.averages[-1]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_averages(model), before.averages[-1]):
        np.testing.assert_array_equal(a, b)


def test_swap_on_epoch_trains_as_without_it():
    """Swapping back at each epoch's start: the trained weights are those of a fit without
    the callback."""
    x, y = _data()
    runs = []
    for callbacks in ([], [SwapEMAWeights(swap_on_epoch=True)]):
        model = _model()
        model.set_weights([np.full_like(w, 0.1) for w in model.get_weights()])
        before = _AveragesBefore()
        model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False,
                  callbacks=[before, *callbacks])
        runs.append(before)
    for a, b in zip(runs[0].weights, runs[1].weights):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def test_loss_scale_optimizer_inner_averages():
    model = _trained(LossScaleOptimizer(SGD(0.1, use_ema=True, ema_momentum=0.8)))
    x, y = _data()
    inner = model.optimizer.inner_optimizer
    averages = _averages(model, inner)
    got = model.evaluate(x, y, verbose=0, callbacks=[SwapEMAWeights()])
    assert got == pytest.approx(_with_weights(model, averages).evaluate(x, y, verbose=0),
                                rel=1e-6)


def test_multi_optimizer_swaps_only_the_ema_ones():
    ema, plain = SGD(0.1, use_ema=True, ema_momentum=0.8), SGD(0.1)
    model = _model(MultiOptimizer(ember.optimizers.OptimizerMap(plain, {".*hidden.*": ema})))
    x, y = _data()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    model.train_on_batch(x, y)
    weights, averages = _weights(model), _averages(model, ema)
    check = _Check(weights, averages)
    model.evaluate(x, y, verbose=0, callbacks=[check])
    assert check.checked
    for a, b in zip(_weights(model), weights):  # swapped back
        np.testing.assert_array_equal(a, b)


class _Check(SwapEMAWeights):
    """SwapEMAWeights that checks, once swapped in, which weights the model holds."""

    def __init__(self, weights, averages):
        super().__init__()
        self.weights, self.averages = weights, averages
        self.checked = False

    def on_test_begin(self, logs=None):
        super().on_test_begin(logs)
        now = _weights(self.model)
        # hidden (kernel, bias) swapped to its averages; out untouched
        for a, b in zip(now[:2], self.averages):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(now[2:], self.weights[2:]):
            np.testing.assert_array_equal(a, b)
        assert not np.allclose(now[0], self.weights[0])
        self.checked = True


def test_errors_without_ema():
    x, y = _data()
    model = _trained(SGD(0.1))
    with pytest.raises(ValueError, match="use_ema=True"):
        model.evaluate(x, y, verbose=0, callbacks=[SwapEMAWeights()])
    with pytest.raises(ValueError, match="use_ema=True"):
        model.predict(x, verbose=0, callbacks=[SwapEMAWeights()])
    multi = _model(MultiOptimizer(ember.optimizers.OptimizerMap(SGD(0.1), {".*hidden.*": SGD()})))
    multi.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="at least one inner optimizer"):
        multi.evaluate(x, y, verbose=0, callbacks=[SwapEMAWeights()])
