"""The training loop's contract, compared with Keras 3 (JAX backend): what the steps receive,
what the logs and ``History`` hold, ``model.metrics``, metric names for every alias, losses
added with ``add_loss``, generators, and the order of the callback calls."""

import warnings

import numpy as np
import pytest
from parity_harness import assert_close, copy_weights

import ember
from ember import registry

HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)


def _data(n=32, features=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, features)).astype("float32")
    y = rng.random((n, 1)).astype("float32")
    return x, y


def _describe(data):
    """The structure of a step's ``data``: 'array' leaves inside tuples/lists/dicts."""
    if isinstance(data, (tuple, list)):
        return type(data).__name__, tuple(_describe(d) for d in data)
    if isinstance(data, dict):
        return {k: _describe(v) for k, v in data.items()}
    return None if data is None else "array"


def _recorder(lib):
    """A callback class of ``lib`` that records (hook, arguments, sorted log keys)."""

    def hook(name):
        def record(self, *args, logs=None):
            self.calls.append((name,) + args + (sorted(logs) if logs is not None else None,))
        return record

    attrs = {name: hook(name) for name in HOOKS}

    def init(self):
        lib.callbacks.Callback.__init__(self)
        self.calls = []

    attrs["__init__"] = init
    return type("Recorder", (lib.callbacks.Callback,), attrs)


def _regressor(lib, units=1):
    return lib.Sequential([lib.Input((3,)), lib.layers.Dense(units, name="out")])


def _pair(keras, build):
    """The same model in ember and Keras, with Keras's weights copied into ember's."""
    theirs, ours = build(keras), build(ember)
    copy_weights(theirs, ours)
    return ours, theirs


def _history_close(ours, theirs, rtol=1e-4, atol=1e-5):
    assert list(ours.history) == list(theirs.history)
    for key in theirs.history:
        assert_close(np.asarray(ours.history[key], "float32"),
                     np.asarray(theirs.history[key], "float32"), rtol=rtol, atol=atol,
                     what=key)


# -- 1. what train_step / test_step / predict_step receive ---------------------------------------
def _step_spies(lib, seen):
    """A model whose steps record the structure of their ``data``. Keras on JAX has stateless
    steps (``train_step(state, data)``); ember's are Keras's TensorFlow/torch signature."""
    jax_style = lib is not ember

    class Spy(lib.Model):
        def __init__(self):
            super().__init__()
            self.dense = lib.layers.Dense(1)

        def call(self, x):
            return self.dense(x[0] if isinstance(x, (list, tuple)) else x)

        if jax_style:
            def train_step(self, state, data):
                seen.append(("train", _describe(data)))
                return {"a": 1.0, "zz": 2.0}, state

            def test_step(self, state, data):
                seen.append(("test", _describe(data)))
                return {"b": 3.0}, state

            def predict_step(self, state, data):
                seen.append(("predict", _describe(data)))
                x = data[0] if isinstance(data, tuple) else data
                return x[:, :1], state[1]
        else:
            def train_step(self, data):
                seen.append(("train", _describe(data)))
                return {"a": 1.0, "zz": 2.0}

            def test_step(self, data):
                seen.append(("test", _describe(data)))
                return {"b": 3.0}

            def predict_step(self, data):
                seen.append(("predict", _describe(data)))
                x = data[0] if isinstance(data, tuple) else data
                return x[:, :1]

    return Spy()


CALLS = {
    "fit_x_y": lambda m, x, y, sw: m.fit(x, y, batch_size=16, verbose=0),
    "fit_x_y_sw": lambda m, x, y, sw: m.fit(x, y, sample_weight=sw, batch_size=16, verbose=0),
    "fit_x": lambda m, x, y, sw: m.fit(x, batch_size=16, verbose=0),
    "fit_list_x": lambda m, x, y, sw: m.fit([x], y, batch_size=16, verbose=0),
    "fit_gen_x_y": lambda m, x, y, sw: m.fit(((x, y) for _ in range(1)), verbose=0),
    "fit_gen_x": lambda m, x, y, sw: m.fit(((x,) for _ in range(1)), verbose=0),
    "fit_gen_x_y_sw": lambda m, x, y, sw: m.fit(((x, y, sw) for _ in range(1)), verbose=0),
    "fit_validation": lambda m, x, y, sw: m.fit(x, y, batch_size=32, verbose=0,
                                                validation_data=(x, y, sw)),
    "evaluate_x_y": lambda m, x, y, sw: m.evaluate(x, y, batch_size=32, verbose=0),
    "predict_x": lambda m, x, y, sw: m.predict(x, batch_size=16, verbose=0),
    "predict_gen_x": lambda m, x, y, sw: m.predict(((x,) for _ in range(1)), verbose=0),
    "predict_gen_x_y": lambda m, x, y, sw: m.predict(((x, y) for _ in range(1)), verbose=0),
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_steps_receive_what_keras_passes(keras, call):
    x, y = _data()
    sw = np.ones(len(x), "float32")
    seen = {}
    for lib in (keras, ember):
        seen[lib.__name__] = []
        model = _step_spies(lib, seen[lib.__name__])
        # no loss: the custom steps compute what they log; eagerly, so that Keras calls the
        # steps at every batch instead of tracing them once
        model.compile(optimizer="adam", run_eagerly=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # generators warn (ran out of data), in both
            CALLS[call](model, x, y, sw)
    assert seen["ember"] == seen["keras"]


def test_custom_step_logs_become_history(keras):
    x, y = _data()
    histories = {}
    for lib in (keras, ember):
        model = _step_spies(lib, [])
        model.compile(optimizer="adam")
        histories[lib.__name__] = model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                                            validation_data=(x, y)).history
        evaluated = model.evaluate(x, y, verbose=0, return_dict=True)
        histories[lib.__name__ + "_evaluate"] = evaluated
    assert histories["ember"] == histories["keras"]
    assert list(histories["ember"]) == list(histories["keras"])  # sorted, as Keras
    assert histories["ember_evaluate"] == histories["keras_evaluate"]


def test_guide_train_step_with_x_y_unpacking_matches_builtin_fit(keras):
    """The "Customizing what happens in fit()" pattern (``x, y = data``, the compiled loss and
    metrics through ``self.metrics``) gives Keras's built-in fit, epoch by epoch."""

    class GuideModel(ember.Sequential):
        def train_step(self, data):
            x, y = data
            with ember.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _data()
    theirs = _regressor(keras)
    ours = GuideModel([ember.Input((3,)), ember.layers.Dense(1, name="out")])
    copy_weights(theirs, ours)
    for model, lib in ((ours, ember), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    _history_close(ours.fit(x, y, **kw), theirs.fit(x, y, **kw))


def test_train_step_unpacking_sample_weights_matches_builtin_fit(keras):
    class Weighted(ember.Sequential):
        def train_step(self, data):
            x, y, sample_weight = ember.utils.unpack_x_y_sample_weight(data)
            with ember.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            return self.compute_metrics(x, y, y_pred, sample_weight, loss)

        def compute_metrics(self, x, y, y_pred, sample_weight, loss):
            self.metrics[0].update_state(loss)
            self.metrics[1].update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}

    x, y = _data()
    sw = np.linspace(0.5, 2.0, len(x)).astype("float32")
    theirs = _regressor(keras)
    ours = Weighted([ember.Input((3,)), ember.layers.Dense(1, name="out")])
    copy_weights(theirs, ours)
    for model, lib in ((ours, ember), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    kw = dict(sample_weight=sw, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_ours, h_theirs = ours.fit(x, y, **kw), theirs.fit(x, y, **kw)
    assert list(h_ours.history) == list(h_theirs.history) == ["loss", "mae"]
    assert_close(np.asarray(h_ours.history["loss"], "float32"),
                 np.asarray(h_theirs.history["loss"], "float32"), rtol=1e-4, what="loss")


def test_pack_and_unpack_match_keras(keras):
    x, y = _data(4)
    sw = np.ones(4, "float32")
    for args in ((x,), (x, y), (x, None, sw), (x, y, sw), ([x],), ((x,),), ({"a": x},)):
        ours = ember.utils.pack_x_y_sample_weight(*args)
        theirs = keras.utils.pack_x_y_sample_weight(*args)
        assert _describe(ours) == _describe(theirs)
    for data in (x, (x,), (x, y), [x, y], (x, y, sw), {"a": x}, (x, None, sw)):
        assert _describe(ember.utils.unpack_x_y_sample_weight(data)) == \
            _describe(keras.utils.unpack_x_y_sample_weight(data))
    for lib in (keras, ember):
        with pytest.raises(ValueError, match="Data is expected to be in format"):
            lib.utils.unpack_x_y_sample_weight((x, y, sw, sw))


# -- 3. model.metrics ------------------------------------------------------------------------------
def _metric_view(model):
    return [type(m).__name__ for m in model.metrics], list(model.metrics_names)


def _two_outputs(lib):
    inp = lib.Input((3,))
    a = lib.layers.Dense(1, name="reg")(inp)
    b = lib.layers.Dense(3, activation="softmax", name="cls")(inp)
    return lib.Model(inp, [a, b])


@pytest.mark.parametrize("case", ["metrics", "no_metrics", "two_outputs", "unbuilt"])
def test_model_metrics_before_and_after_fit(keras, case):
    x, y = _data()
    labels = np.arange(len(x)) % 3
    views = {}
    for lib in (keras, ember):
        if case == "two_outputs":
            model = _two_outputs(lib)
            model.compile("sgd", ["mse", "sparse_categorical_crossentropy"],
                          metrics=[["mae"], ["accuracy"]])
            targets = [y, labels]
        else:
            model = lib.Sequential([lib.layers.Dense(1)]) if case == "unbuilt" else \
                _regressor(lib)
            model.compile("sgd", "mse", metrics=None if case == "no_metrics" else ["mae"])
            targets = y
        before = _metric_view(model)
        model.fit(x, targets, batch_size=16, verbose=0)
        after = _metric_view(model)
        subnames = [[sub.name for sub in m.metrics] for m in model.metrics
                    if type(m).__name__ == "CompileMetrics"]
        results = {"compile_metrics.metrics": subnames}
        for m in model.metrics:
            m.reset_state()
            r = m.result()
            results[m.name] = {k: float(v) for k, v in r.items()} if isinstance(r, dict) \
                else float(r)
        views[lib.__name__] = before, after, results
    assert views["ember"] == views["keras"]


def test_uncompiled_model_has_no_metrics(keras):
    assert ember.Sequential([ember.layers.Dense(1)]).metrics == \
        keras.Sequential([keras.layers.Dense(1)]).metrics == []


@pytest.mark.parametrize("two_outputs", [False, True])
def test_evaluate_and_on_batch_return_order(keras, two_outputs):
    """Lists follow ``model.metrics`` (then the rest by name); dicts are sorted, as Keras."""
    x, y = _data()
    labels = np.arange(len(x)) % 3
    build = _two_outputs if two_outputs else _regressor
    ours, theirs = _pair(keras, build)
    for model, lib in ((ours, ember), (theirs, keras)):
        if two_outputs:
            model.compile(lib.optimizers.SGD(0.1), ["mse", "sparse_categorical_crossentropy"],
                          metrics={"cls": ["accuracy"], "reg": ["mae"]},
                          weighted_metrics=[["mse"], ["acc"]])
        else:
            model.compile(lib.optimizers.SGD(0.1), "mse", metrics=["mse", "mae"],
                          weighted_metrics=["acc"])
    targets = [y, labels] if two_outputs else y
    for method in ("evaluate", "train_on_batch", "test_on_batch"):
        kwargs = {"verbose": 0} if method == "evaluate" else {}
        as_list = [getattr(m, method)(x, targets, **kwargs) for m in (ours, theirs)]
        as_dict = [getattr(m, method)(x, targets, return_dict=True, **kwargs)
                   for m in (ours, theirs)]
        assert list(as_dict[0]) == list(as_dict[1]), method
        assert_close(np.asarray(as_list[0], "float32"), np.asarray(as_list[1], "float32"),
                     rtol=1e-4, atol=1e-5, what=method)


# -- 4. compile without a loss ------------------------------------------------------------------
def _add_loss_model(lib):
    class Penalty(lib.layers.Layer):
        def call(self, x):
            self.add_loss(lib.ops.mean(lib.ops.square(x)))
            self.add_loss(0.1 * lib.ops.sum(lib.ops.abs(x)))
            return x

    inp = lib.Input((3,))
    return lib.Model(inp, Penalty()(lib.layers.Dense(2, name="d")(inp)))


def test_add_loss_without_compiled_loss(keras):
    x, _ = _data()
    ours, theirs = _pair(keras, _add_loss_model)
    for model, lib in ((ours, ember), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.05))
    kw = dict(batch_size=8, epochs=2, shuffle=False, verbose=0)
    _history_close(ours.fit(x, **kw), theirs.fit(x, **kw))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(a, b, rtol=1e-4, atol=1e-5, what="weights after training")
    assert ours.metrics_names == theirs.metrics_names == ["loss"]
    assert_close(ours.evaluate(x, verbose=0), theirs.evaluate(x, verbose=0), rtol=1e-4)


def test_no_loss_at_all_logs_zero(keras):
    x, y = _data()
    ours, theirs = _pair(keras, _regressor)
    for model in (ours, theirs):
        model.compile(optimizer="sgd")
    _history_close(ours.fit(x, y, verbose=0), theirs.fit(x, y, verbose=0))


# -- 5. metric names for every alias --------------------------------------------------------------
def _alias_cases():
    names = list(registry.names("metric")) + ["acc", "ACC", "ce", "crossentropy"]
    return sorted(set(names))


def _fit_with_metric(lib, identifier, sparse, x, labels, weights):
    model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(3, activation="softmax",
                                                              name="out")])
    model.set_weights(weights)
    loss = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
    y = labels if sparse else np.eye(3, dtype="float32")[labels]
    model.compile(lib.optimizers.SGD(0.1), loss, metrics=[identifier(lib)])
    return model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0,
                     validation_data=(x, y)).history


def _compare_metric_fit(keras, identifier, sparse):
    rng = np.random.default_rng(3)
    x = rng.random((16, 4)).astype("float32")
    labels = rng.integers(0, 3, 16)
    weights = [w.numpy() for w in _regressor_weights(keras)]
    outcome = {}
    for lib in (keras, ember):
        try:
            outcome[lib.__name__] = _fit_with_metric(lib, identifier, sparse, x, labels, weights)
        except Exception as exc:  # noqa: BLE001 - the error type is what is compared
            outcome[lib.__name__] = type(exc)
    ours, theirs = outcome["ember"], outcome["keras"]
    if isinstance(theirs, type):
        assert ours is theirs, f"Keras raises {theirs.__name__}; ember gave {ours}"
        return
    assert not isinstance(ours, type), f"ember raised {ours.__name__}; Keras fits: {theirs}"
    assert list(ours) == list(theirs)
    for key in theirs:
        assert_close(np.asarray(ours[key], "float32"), np.asarray(theirs[key], "float32"),
                     rtol=1e-4, atol=1e-5, what=key)


def _regressor_weights(keras):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    return model.weights


@pytest.mark.parametrize("alias", _alias_cases())
def test_metric_alias_names_and_values(keras, alias):
    # sparse labels for the sparse metrics, one-hot for the rest (what each is meant for)
    sparse = "sparse" in alias.lower()
    _compare_metric_fit(keras, lambda lib: alias, sparse)


FUNCTIONS_AND_OBJECTS = {
    "fn_mean_squared_error": lambda lib: lib.metrics.mean_squared_error,
    "fn_categorical_accuracy": lambda lib: lib.metrics.categorical_accuracy,
    "loss_fn_mean_absolute_error": lambda lib: lib.losses.mean_absolute_error,
    "loss_object": lambda lib: lib.losses.MeanSquaredError(),
    "class": lambda lib: lib.metrics.MeanSquaredError,
    "instance": lambda lib: lib.metrics.MeanSquaredError(),
    "named_instance": lambda lib: lib.metrics.MeanAbsoluteError(name="my_mae"),
    "lambda": lambda lib: (lambda t, p: lib.ops.mean(lib.ops.abs(t - p), axis=-1)),
}


@pytest.mark.parametrize("case", sorted(FUNCTIONS_AND_OBJECTS))
def test_metric_functions_and_objects_names_and_values(keras, case):
    _compare_metric_fit(keras, FUNCTIONS_AND_OBJECTS[case], sparse=False)


@pytest.mark.parametrize("metrics", [
    [["mae"], ["accuracy"]],
    {"reg": "mae", "cls": ["acc", "sparse_categorical_crossentropy"]},
    {"reg": ["mse", "mae"]},
])
def test_two_output_metric_names(keras, metrics):
    x, y = _data()
    labels = np.arange(len(x)) % 3
    ours, theirs = _pair(keras, _two_outputs)
    for model, lib in ((ours, ember), (theirs, keras)):
        model.compile(lib.optimizers.SGD(0.1), ["mse", "sparse_categorical_crossentropy"],
                      metrics=metrics)
    kw = dict(batch_size=8, epochs=1, shuffle=False, verbose=0,
              validation_data=(x, [y, labels]))
    _history_close(ours.fit(x, [y, labels], **kw), theirs.fit(x, [y, labels], **kw))


# -- 6. generators and the callback sequence ------------------------------------------------------
def _batches(x, y, count, batch=8):
    for i in range(count):
        start = (i * batch) % len(x)
        yield x[start:start + batch], y[start:start + batch]


def _run(lib, model, method, *args, **kwargs):
    recorder = _recorder(lib)()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = getattr(model, method)(*args, verbose=0, callbacks=[recorder], **kwargs)
    ran_out = sum("ran out of data" in str(w.message) for w in caught)
    return out, recorder.calls, ran_out


def _compiled_pair(keras):
    ours, theirs = _pair(keras, _regressor)
    for model, lib in ((ours, ember), (theirs, keras)):
        model.compile(lib.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return ours, theirs


def _sequence(calls):
    """The calls with the log keys, without the values (which are compared elsewhere)."""
    return [tuple(a for a in c if not isinstance(a, dict)) for c in calls]


def test_fit_callback_sequence_with_validation(keras):
    x, y = _data()
    ours, theirs = _compiled_pair(keras)
    kw = dict(batch_size=8, epochs=2, shuffle=False, validation_data=(x, y))
    h_ours, calls_ours, _ = _run(ember, ours, "fit", x, y, **kw)
    h_theirs, calls_theirs, _ = _run(keras, theirs, "fit", x, y, **kw)
    assert _sequence(calls_ours) == _sequence(calls_theirs)
    _history_close(h_ours, h_theirs)


def test_evaluate_and_predict_callback_sequences(keras):
    x, y = _data()
    ours, theirs = _compiled_pair(keras)
    r_ours, calls_ours, _ = _run(ember, ours, "evaluate", x, y, batch_size=8)
    r_theirs, calls_theirs, _ = _run(keras, theirs, "evaluate", x, y, batch_size=8)
    assert _sequence(calls_ours) == _sequence(calls_theirs)
    assert_close(r_ours, r_theirs, rtol=1e-5)
    p_ours, calls_ours, _ = _run(ember, ours, "predict", x, batch_size=8)
    p_theirs, calls_theirs, _ = _run(keras, theirs, "predict", x, batch_size=8)
    assert _sequence(calls_ours) == _sequence(calls_theirs)
    assert_close(p_ours, p_theirs, rtol=1e-5)


@pytest.mark.parametrize("count,kwargs", [
    (4, dict(epochs=1)),
    (10, dict(epochs=2)),  # exhausted after epoch 1: Keras replays the batches it read ahead
    (10, dict(epochs=3, steps_per_epoch=4)),  # the third epoch runs out after 2 batches
    (2, dict(epochs=3, steps_per_epoch=1)),  # an epoch with no batch keeps the last logs
    (2, dict(epochs=3, steps_per_epoch=2)),
])
def test_fit_on_a_generator(keras, count, kwargs):
    x, y = _data(80)
    ours, theirs = _compiled_pair(keras)
    h_ours, calls_ours, warned_ours = _run(ember, ours, "fit", _batches(x, y, count), **kwargs)
    h_theirs, calls_theirs, warned_theirs = _run(keras, theirs, "fit", _batches(x, y, count),
                                                 **kwargs)
    assert _sequence(calls_ours) == _sequence(calls_theirs)
    assert warned_ours == warned_theirs
    assert h_ours.epoch == h_theirs.epoch
    _history_close(h_ours, h_theirs)


def test_generators_for_validation_evaluate_and_predict(keras):
    x, y = _data(80)
    ours, theirs = _compiled_pair(keras)
    runs = {}
    for lib, model in ((ember, ours), (keras, theirs)):
        h, fit_calls, fit_warned = _run(lib, model, "fit", _batches(x, y, 4), epochs=2,
                                        validation_data=_batches(x, y, 5))
        e, eval_calls, eval_warned = _run(lib, model, "evaluate", _batches(x, y, 3))
        p, pred_calls, pred_warned = _run(lib, model, "predict",
                                          ((a,) for a, _ in _batches(x, y, 3)))
        runs[lib.__name__] = (h, e, p, _sequence(fit_calls), _sequence(eval_calls),
                              _sequence(pred_calls), (fit_warned, eval_warned, pred_warned))
    ours_run, theirs_run = runs["ember"], runs["keras"]
    _history_close(ours_run[0], theirs_run[0])
    assert_close(ours_run[1], theirs_run[1], rtol=1e-4)
    assert_close(ours_run[2], theirs_run[2], rtol=1e-5)
    assert ours_run[3:] == theirs_run[3:]


def test_generator_errors_match_keras(keras):
    x, y = _data()

    def failing():
        yield x[:8], y[:8]
        raise KeyError("broken source")

    for model in _compiled_pair(keras):
        with pytest.raises(KeyError, match="broken source"):
            model.fit(failing(), verbose=0)
        with pytest.raises(ValueError, match="at least one batch"):
            model.fit((b for b in ()), verbose=0)
        with pytest.raises(ValueError, match="must return a tuple"):
            model.predict((a for a, _ in _batches(x, y, 2)), verbose=0)
