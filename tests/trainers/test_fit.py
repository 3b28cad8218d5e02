"""compile / fit / evaluate / predict and the *_on_batch methods."""

import csv

import numpy as np
import pytest

import ember
from ember import callbacks, layers


def small_problem(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    return x, y


def classifier(units=2, activation="softmax"):
    return ember.Sequential([ember.Input((4,)), layers.Dense(16, activation="relu"),
                             layers.Dense(units, activation=activation)])


def test_fit_learns_and_returns_history():
    x, y = small_problem()
    model = classifier()
    model.compile(optimizer=ember.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    assert len(history.history["loss"]) == 20 and history.epoch == list(range(20))
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] == pytest.approx(acc)


def test_evaluate_matches_numpy_loss_and_accuracy():
    x, y = small_problem(100)
    model = classifier()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    p = model.predict(x, verbose=0)
    ref_loss = -np.mean(np.log(p[np.arange(100), y]))
    ref_acc = np.mean(p.argmax(1) == y)
    loss, acc = model.evaluate(x, y, batch_size=7, verbose=0)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert acc == pytest.approx(ref_acc)


def test_accuracy_resolves_from_target_shapes():
    x, y = small_problem(64)
    onehot = np.eye(2, dtype="float32")[y]
    model = classifier()
    model.compile(loss="categorical_crossentropy", metrics=["acc"])
    model.fit(x, onehot, epochs=1, verbose=0)
    assert type(model.metrics[1].metrics[0]).__name__ == "CategoricalAccuracy"
    binary = classifier(1, "sigmoid")
    binary.compile(loss="binary_crossentropy", metrics=["accuracy"])
    binary.fit(x, y.reshape(-1, 1).astype("float32"), epochs=1, verbose=0)
    assert type(binary.metrics[1].metrics[0]).__name__ == "BinaryAccuracy"


def test_validation_split_and_data():
    x, y = small_problem(200)
    model = classifier()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, validation_split=0.25, epochs=2, verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(h.history)
    h = model.fit(x, y, validation_data=(x[:50], y[:50]), epochs=1, verbose=0)
    val_loss, _ = model.evaluate(x[:50], y[:50], verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-5)


def test_sample_weight_and_class_weight_change_the_loss():
    x, y = small_problem(64)
    model = classifier()
    model.compile(loss="sparse_categorical_crossentropy")
    base = model.evaluate(x, y, verbose=0)
    sw = np.where(y == 1, 2.0, 0.0).astype("float32")
    weighted = model.evaluate(x, y, sample_weight=sw, verbose=0)
    p = model.predict(x, verbose=0)
    per = -np.log(p[np.arange(64), y])
    assert weighted == pytest.approx(np.sum(per * sw) / 64, rel=1e-5)
    assert weighted != pytest.approx(base)
    model.fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=1, verbose=0)


def test_generator_input_and_steps_per_epoch():
    x, y = small_problem(128)

    def batches():
        while True:
            for i in range(0, 128, 32):
                yield x[i:i + 32], y[i:i + 32]

    model = classifier()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(batches(), steps_per_epoch=4, epochs=3, verbose=0)
    assert len(h.history["loss"]) == 3
    class Batches(ember.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 32:(i + 1) * 32], y[i * 32:(i + 1) * 32]

    h = model.fit(Batches(), epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    assert np.isfinite(model.evaluate(Batches(), verbose=0)[0])


def test_dict_inputs_and_several_outputs():
    a, b = ember.Input((3,), name="a"), ember.Input((2,), name="b")
    h = layers.Dense(8, activation="relu")(ember.layers.Concatenate()([a, b]))
    out1 = layers.Dense(3, activation="softmax", name="cls")(h)
    out2 = layers.Dense(1, name="reg")(h)
    model = ember.Model([a, b], [out1, out2])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics=[["accuracy"], []])
    rng = np.random.default_rng(0)
    xa, xb = rng.random((40, 3)), rng.random((40, 2))
    yc, yr = rng.integers(0, 3, 40), rng.random((40, 1))
    h = model.fit({"a": xa, "b": xb}, [yc, yr], epochs=2, batch_size=8, verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy"} <= set(h.history)
    logs = model.evaluate([xa, xb], [yc, yr], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-4)
    out = model.predict([xa, xb], verbose=0)
    assert out[0].shape == (40, 3) and out[1].shape == (40, 1)


def test_on_batch_methods():
    x, y = small_problem(32)
    model = classifier()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = model.test_on_batch(x, y)
    model.train_on_batch(x, y)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    after = model.test_on_batch(x, y)
    assert after[0] < before[0]
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_callbacks_through_fit(tmp_path):
    x, y = small_problem(64)
    model = classifier()
    model.compile(optimizer=ember.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    seen = []
    log = tmp_path / "log.csv"
    cbs = [callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(e)),
           callbacks.CSVLogger(str(log)),
           callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))]
    model.fit(x, y, epochs=3, verbose=0, callbacks=cbs)
    assert seen == [0, 1, 2]
    rows = list(csv.DictReader(open(log)))
    assert [r["epoch"] for r in rows] == ["0", "1", "2"] and "loss" in rows[0]
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1 / 3)


def test_early_stopping_stops_training():
    x, y = small_problem(64)
    model = classifier()
    model.compile(optimizer=ember.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    h = model.fit(x, y, epochs=20, verbose=0,
                  callbacks=[callbacks.EarlyStopping(monitor="loss", patience=2)])
    assert len(h.history["loss"]) == 3  # no improvement after the first epoch


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_and_stop_training():
    x, y = small_problem(64)
    model = classifier()
    model.compile(optimizer=ember.optimizers.SGD(1e30), loss="sparse_categorical_crossentropy")
    h = model.fit(np.full_like(x, 1e20), y, epochs=5, batch_size=8, verbose=0,
                  callbacks=[callbacks.TerminateOnNaN()])
    assert len(h.history["loss"]) == 1


def test_verbose_outputs(capsys):
    x, y = small_problem(64)
    model = classifier()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "accuracy:" in out
    model.fit(x, y, epochs=1, verbose=1)
    assert "2/2" in capsys.readouterr().out


def test_same_seed_gives_identical_training():
    x, y = small_problem(64)
    weights = []
    for _ in range(2):
        ember.utils.set_random_seed(7)
        model = classifier()
        model.compile(loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_errors_name_what_was_expected():
    x, y = small_problem(32)
    model = classifier()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError, match=r"label value of 5.*\[0, 2\)"):
        model.fit(x, np.full(32, 5), verbose=0)
    with pytest.raises(ValueError, match=r"expected axis -1 .* value 4.*\(32, 5\)"):
        model.predict(np.ones((32, 5)), verbose=0)
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile(loss="nope")
        model.fit(x, y, verbose=0)


def test_regularization_losses_join_the_training_loss():
    x, y = small_problem(32)
    model = ember.Sequential([ember.Input((4,)), layers.Dense(
        2, activation="softmax", kernel_regularizer=ember.regularizers.L2(1.0))])
    model.compile(loss="sparse_categorical_crossentropy")
    p = model.predict(x, verbose=0)
    ce = -np.mean(np.log(p[np.arange(32), y]))
    penalty = np.sum(model.layers[0].kernel.numpy() ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(ce + penalty, rel=1e-5)
