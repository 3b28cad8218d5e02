"""The training loop's contract without Keras at hand: step data, logs, metrics, generators.
(tests/keras_parity/test_training_parity.py compares the same things with Keras itself.)"""

import warnings

import numpy as np
import pytest

import ember
from ember import layers
from ember.trainers.compile_utils import CompileMetrics


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 1)).astype("float32")


def _regressor():
    return ember.Sequential([ember.Input((3,)), layers.Dense(1)])


def test_pack_and_unpack():
    x, y = _data(4)
    sw = np.ones(4, "float32")
    pack, unpack = ember.utils.pack_x_y_sample_weight, ember.utils.unpack_x_y_sample_weight
    assert pack(x) is x
    assert pack([x]) == ([x],)
    assert pack(x, y)[1] is y and len(pack(x, y)) == 2
    assert pack(x, None, sw) is x  # as Keras: without a target, x alone
    assert unpack(x)[0] is x and unpack(x)[1:] == (None, None)
    assert unpack([x, y])[1] is y
    assert unpack((x, y, sw))[2] is sw
    with pytest.raises(ValueError, match=r"\(x, y, sample_weight\)`, found a tuple of 4"):
        unpack((x, y, sw, sw))


def test_train_step_gets_x_y_and_its_dict_is_the_epoch_logs(capsys):
    x, y = _data()
    seen = []

    class Custom(ember.Sequential):
        def train_step(self, data):
            x, y = data  # the guide's unpacking: a pair when no sample weights
            seen.append(len(data))
            return {"zz": 2.0, "a": ember.ops.convert_to_tensor(1.0)}

        def test_step(self, data):
            x, y = data
            return {"b": 3.0}

    model = Custom([ember.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="adam")  # no loss: the custom step needs none
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=2, validation_data=(x, y))
    assert seen == [2] * 4
    assert history.history == {"a": [1.0, 1.0], "val_b": [3.0, 3.0], "zz": [2.0, 2.0]}
    out = capsys.readouterr().out
    assert "a: 1.0000" in out and "zz: 2.0000" in out and "val_b: 3.0000" in out
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"b": 3.0}
    assert model.train_on_batch(x, y, return_dict=True) == {"a": 1.0, "zz": 2.0}
    assert model.test_on_batch(x, y, return_dict=True) == {"b": 3.0}


def test_predict_step_gets_x_alone():
    x, _ = _data()
    seen = []

    class Custom(ember.Sequential):
        def predict_step(self, data):
            seen.append(type(data).__name__)
            return self(data, training=False)

    model = Custom([ember.Input((3,)), layers.Dense(1)])
    assert model.predict(x, batch_size=8, verbose=0).shape == (32, 1)
    assert model.predict(x[:4], verbose=0).shape == (4, 1)
    assert set(seen) == {"ndarray"}


def test_model_metrics_are_the_loss_tracker_and_compile_metrics():
    x, y = _data()
    model = _regressor()
    model.compile("sgd", "mse", metrics=["mae", "mse"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.fit(x, y, verbose=0)
    loss, compiled = model.metrics
    assert isinstance(compiled, CompileMetrics)
    assert [m.name for m in compiled.metrics] == ["mae", "mse"]
    assert set(compiled.result()) == {"mae", "mse"}
    compiled.reset_state()
    assert all(float(v) == 0.0 for v in compiled.result().values())
    model.reset_metrics()
    assert float(loss.result()) == 0.0


def test_a_metrics_property_lists_the_trackers_fit_resets_each_epoch():
    x, y = _data()

    class Counting(ember.Sequential):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.steps = ember.metrics.Sum(name="steps")

        @property
        def metrics(self):
            return [self.steps]

        def train_step(self, data):
            self.steps.update_state(1.0)
            return {m.name: m.result() for m in self.metrics}

    model = Counting([ember.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert history.history == {"steps": [4.0, 4.0, 4.0]}  # reset at each epoch, not summed


def test_add_loss_alone_is_the_logged_loss():
    x, _ = _data()

    class Penalty(layers.Layer):
        def call(self, inputs):
            self.add_loss(ember.ops.mean(ember.ops.square(inputs)))
            return inputs

    inp = ember.Input((3,))
    model = ember.Model(inp, Penalty()(layers.Dense(2)(inp)))
    model.compile(optimizer=ember.optimizers.SGD(0.1))
    before = model.evaluate(x, verbose=0)
    expected = float(np.mean(np.square(model.predict(x, verbose=0))))
    assert before == pytest.approx(expected, rel=1e-5)
    history = model.fit(x, batch_size=8, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_metric_names_are_the_names_given():
    x, y = _data()
    model = _regressor()
    model.compile("sgd", "mse", metrics=["mae", "MSE", ember.metrics.mean_squared_error])
    history = model.fit(x, y, verbose=0, validation_data=(x, y))
    assert list(history.history) == ["MSE", "loss", "mae", "mean_squared_error", "val_MSE",
                                     "val_loss", "val_mae", "val_mean_squared_error"]
    for bad in ("kld", "ce", "crossentropy"):
        model.compile("sgd", "mse", metrics=[bad])
        with pytest.raises(ValueError, match=bad):
            model.fit(x, y, verbose=0)


def test_generator_epochs_end_when_it_is_exhausted():
    x, y = _data(64)
    pulled = []

    def batches(count):
        for i in range(count):
            pulled.append(i)
            yield x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    model = _regressor()
    model.compile("sgd", "mse")
    steps = []

    class Steps(ember.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            steps.append(0)

        def on_train_batch_end(self, batch, logs=None):
            steps[-1] += 1

    with pytest.warns(UserWarning, match="ran out of data"):
        model.fit(batches(6), epochs=2, verbose=0, callbacks=[Steps()])
    # epoch 2 has the two batches read ahead at the start, as Keras
    assert steps == [6, 2] and pulled == list(range(6))
    steps.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exactly enough batches: no warning
        model.fit(batches(6), epochs=2, steps_per_epoch=3, shuffle=False, verbose=0,
                  callbacks=[Steps()])
    assert steps == [3, 3]


def test_generator_errors_pass_through():
    x, y = _data()

    def broken():
        yield x[:8], y[:8]
        raise KeyError("source failed")

    model = _regressor()
    model.compile("sgd", "mse")
    with pytest.raises(KeyError, match="source failed"):
        model.fit(broken(), verbose=0)
    with pytest.raises(ValueError, match="at least one batch"):
        model.evaluate((b for b in ()), verbose=0)
    with pytest.raises(ValueError, match="must return a tuple.*ndarray of shape \\(8, 3\\)"):
        model.predict((x[i:i + 8] for i in range(0, 32, 8)), verbose=0)


def test_validation_calls_the_test_hooks():
    x, y = _data()
    calls = []

    class Record(ember.callbacks.Callback):
        def on_test_begin(self, logs=None):
            calls.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            calls.append(("test_batch", sorted(logs)))

        def on_test_end(self, logs=None):
            calls.append(("test_end", sorted(logs)))

    model = _regressor()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_data=(x, y),
              callbacks=[Record()])
    assert calls == ["test_begin", ("test_batch", ["loss", "mae"]),
                     ("test_batch", ["loss", "mae"]), ("test_end", ["loss", "mae"])]
