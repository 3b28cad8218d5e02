"""TensorBoard callback: the event files a fit writes, read back with TensorBoard's own reader
(EventAccumulator) and checked against the model, the History and NumPy references."""

import json
import os
import warnings

import pytest

import ember
from ember.backend import np
from ember.callbacks import TensorBoard

ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                         reason="tensorboard is not installed (pip install tensorboard)")
tensor_util = pytest.importorskip("tensorboard.util.tensor_util")


def _read(directory):
    acc = ea.EventAccumulator(str(directory), size_guidance={ea.TENSORS: 0})
    acc.Reload()
    out = {}
    for tag in acc.Tags()["tensors"]:
        out[tag] = [(e.step, tensor_util.make_ndarray(e.tensor_proto))
                    for e in acc.Tensors(tag)]
    return acc, out


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 2)).astype("float32")


def _model(lr=0.01):
    model = ember.Sequential([ember.Input((3,)), ember.layers.Dense(4, name="hidden"),
                              ember.layers.Dense(2, name="out")])
    model.compile(ember.optimizers.SGD(lr), "mse", metrics=["mae"])
    return model


def test_epoch_scalars_in_train_and_validation(tmp_path):
    x, y = _data()
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x, y), verbose=0,
                        callbacks=[TensorBoard(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    acc, train = _read(tmp_path / "train")
    assert set(train) == {"keras", "epoch_loss", "epoch_mae", "epoch_learning_rate"}
    for name in ("loss", "mae"):
        steps, values = zip(*train[f"epoch_{name}"])
        assert steps == (0, 1, 2)
        np.testing.assert_allclose(values, history.history[name], rtol=1e-6)
        assert all(v.dtype == np.float32 and v.shape == () for v in values)
        assert acc.SummaryMetadata(f"epoch_{name}").plugin_data.plugin_name == "scalars"
    np.testing.assert_allclose([v for _, v in train["epoch_learning_rate"]], [0.01] * 3,
                               rtol=1e-6)
    _, val = _read(tmp_path / "validation")
    assert set(val) == {"epoch_loss", "epoch_mae", "evaluation_loss_vs_iterations",
                        "evaluation_mae_vs_iterations"}
    np.testing.assert_allclose([v for _, v in val["epoch_loss"]], history.history["val_loss"],
                               rtol=1e-6)
    # evaluation curves are against the optimizer's iterations: 3 steps per epoch
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [3, 6, 9]
    np.testing.assert_allclose([v for _, v in val["evaluation_loss_vs_iterations"]],
                               history.history["val_loss"], rtol=1e-6)


def test_model_graph_is_the_keras_config_tensorboard_draws(tmp_path):
    from tensorboard.plugins.graph import keras_util

    model = _model()
    model.fit(*_data(), epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    acc, train = _read(tmp_path / "train")
    [(step, config)] = train["keras"]
    metadata = acc.SummaryMetadata("keras").plugin_data
    assert (step, metadata.plugin_name, metadata.content) == (0, "graph_keras_model", b"1")
    assert json.loads(config.item()) == json.loads(model.to_json())
    graph = keras_util.keras_model_to_graph_def(json.loads(config.item()))
    # the input layer, then the two Dense layers, chained
    names = [n.name for n in graph.node]
    assert names[1:] == [f"{model.name}/hidden", f"{model.name}/out"]
    assert list(graph.node[2].input) == [f"{model.name}/hidden"]
    assert list(graph.node[1].input) == [names[0]]


def test_write_graph_false_and_subclassed_models_write_no_graph(tmp_path):
    model = _model()
    model.fit(*_data(), epochs=1, verbose=0,
              callbacks=[TensorBoard(tmp_path / "a", write_graph=False)])
    assert "keras" not in _read(tmp_path / "a" / "train")[1]

    class Sub(ember.Model):
        def __init__(self):
            super().__init__()
            self.dense = ember.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    sub = Sub()
    sub.compile("sgd", "mse")
    sub.fit(*_data(), epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path / "b")])
    tags = _read(tmp_path / "b" / "train")[1]
    assert "keras" not in tags and "epoch_loss" in tags


def test_histograms_and_images_of_every_weight(tmp_path):
    x, y = _data()
    model = _model()
    weights_at = {}

    class Snapshot(ember.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights_at[epoch] = [w.copy() for w in model.get_weights()]

    # Snapshot runs first, so it sees the weights TensorBoard writes at each epoch end
    tb = TensorBoard(tmp_path, histogram_freq=2, write_images=True, write_graph=False)
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Snapshot(), tb])
    acc, train = _read(tmp_path / "train")
    paths = [w.path for layer in model.layers for w in layer.weights]
    assert {t for t in train if t.endswith(("/histogram", "/image"))} == {
        f"{p}/{kind}" for p in paths for kind in ("histogram", "image")}
    for i, path in enumerate(paths):
        hist = train[f"{path}/histogram"]
        assert [s for s, _ in hist] == [0, 2]  # every histogram_freq epochs
        assert acc.SummaryMetadata(f"{path}/histogram").plugin_data.plugin_name == "histograms"
        for step, buckets in hist:
            w = weights_at[step][i].astype("float64").ravel()
            assert buckets.shape == (30, 3) and buckets.dtype == np.float64
            assert buckets[:, 2].sum() == w.size
            assert buckets[0, 0] == w.min() and buckets[-1, 1] == w.max()
            expected, _ = np.histogram(w, bins=30, range=(w.min(), w.max()))
            np.testing.assert_array_equal(buckets[:, 2], expected)
    # images: Keras's layout (a [3, 4] kernel is drawn 3 high and 4 wide, [4, 2] transposed to
    # 2 x 4, a bias of n as n x 1), PNG-encoded with width and height first
    for path, (h, w) in {"hidden/kernel": (3, 4), "hidden/bias": (4, 1),
                         "out/kernel": (2, 4), "out/bias": (2, 1)}.items():
        (step, image), _ = train[f"{path}/image"]
        assert step == 0 and acc.SummaryMetadata(
            f"{path}/image").plugin_data.plugin_name == "images"
        assert (int(image[0]), int(image[1])) == (w, h)
        assert image[2].startswith(b"\x89PNG") and len(image) == 3


def test_update_freq_writes_batch_scalars_every_n_batches(tmp_path):
    x, y = _data(n=40)
    model = _model()
    seen = []

    class Record(ember.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    tb = TensorBoard(tmp_path, update_freq=3, write_steps_per_second=True, write_graph=False)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[Record(), tb])
    _, train = _read(tmp_path / "train")
    # 5 batches an epoch: the global batches 3, 6 and 9 (counted from 1 across epochs)
    for name in ("batch_loss", "batch_mae", "batch_steps_per_second"):
        assert [s for s, _ in train[name]] == [3, 6, 9]
    np.testing.assert_allclose([v for _, v in train["batch_loss"]],
                               [seen[i - 1]["loss"] for i in (3, 6, 9)], rtol=1e-6)
    assert all(v > 0 for _, v in train["batch_steps_per_second"])
    assert [s for s, _ in train["epoch_steps_per_second"]] == [0, 1]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"])
    # 3 does not divide the 5 batches of an epoch: the epoch summaries are written all the same
    _, val = _read(tmp_path / "validation")
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_loss"]],
                               history.history["val_loss"], rtol=1e-6)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [5, 10]


def test_batch_mode_routes_tf_summary_calls_in_the_model(tmp_path):
    """With update_freq, tf.summary calls made during training go to train/ at the global
    batch step (recorded only on batches that are multiples of update_freq)."""

    class Logged(ember.layers.Layer):
        def call(self, x):
            ember.tf.summary.scalar("custom_mean", ember.ops.mean(x))
            return x

    model = ember.Sequential([ember.Input((3,)), Logged(), ember.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, y = _data(n=32)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False,
              callbacks=[TensorBoard(tmp_path, update_freq=2, write_graph=False)])
    _, train = _read(tmp_path / "train")
    assert [s for s, _ in train["custom_mean"]] == [2, 4]
    np.testing.assert_allclose([v for _, v in train["custom_mean"]],
                               [x[8:16].mean(), x[24:32].mean()], rtol=1e-6)
    # after fit, no writer is left as the default
    assert not ember.tf.summary.should_record_summaries()


def test_epoch_mode_writes_nothing_per_batch_and_skips_batch_hooks(tmp_path):
    tb = TensorBoard(tmp_path, write_graph=False)
    assert not tb._uses_hook("on_train_batch_end")
    assert not tb._uses_hook("on_train_batch_begin")
    assert TensorBoard(tmp_path, update_freq="batch")._uses_hook("on_train_batch_end")
    _model().fit(*_data(), batch_size=8, epochs=1, verbose=0, callbacks=[tb])
    assert not [t for t in _read(tmp_path / "train")[1] if t.startswith("batch_")]


def test_evaluate_writes_evaluation_scalars(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    result = model.evaluate(x, y, verbose=0, return_dict=True,
                            callbacks=[TensorBoard(tmp_path, write_graph=False)])
    _, val = _read(tmp_path / "validation")
    assert val["evaluation_loss_vs_iterations"][0][0] == 3
    np.testing.assert_allclose(val["evaluation_loss_vs_iterations"][0][1], result["loss"],
                               rtol=1e-6)
    assert not os.path.exists(tmp_path / "train")  # writers are created only when needed


def test_embeddings_projector_config_and_checkpoints(tmp_path):
    from google.protobuf import text_format
    from tensorboard.plugins.projector import projector_config_pb2

    model = ember.Sequential([ember.Input((2,), dtype="int32"),
                              ember.layers.Embedding(10, 3, name="emb"),
                              ember.layers.Flatten(), ember.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.arange(16, dtype="int32").reshape(8, 2) % 10
    y = np.zeros((8, 1), "float32")
    tb = TensorBoard(tmp_path, embeddings_freq=2, embeddings_metadata={"emb": "words.tsv"},
                     write_graph=False)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[tb])
    config = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(),
                               projector_config_pb2.ProjectorConfig())
    [embedding] = config.embeddings
    assert embedding.tensor_name == \
        "layer_with_weights-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE"
    assert embedding.metadata_path == "words.tsv"
    saved = sorted(f for f in os.listdir(tmp_path / "train") if f.endswith(".weights.h5"))
    assert saved == ["keras_embedding.ckpt-0.weights.h5", "keras_embedding.ckpt-2.weights.h5"]
    other = ember.models.clone_model(model)
    other.load_weights(str(tmp_path / "train" / saved[-1]))
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_embeddings_metadata_naming_unknown_layers(tmp_path):
    model = _model()
    tb = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"nope": "m.tsv"})
    with pytest.raises(ValueError, match="Unrecognized `Embedding` layer names.*nope"):
        tb.set_model(model)


@pytest.mark.parametrize("kwargs, match", [
    ({"update_freq": "sometimes"}, "update_freq"),
    ({"update_freq": 0}, "update_freq"),
    ({"update_freq": True}, "update_freq"),
    ({"histogram_freq": -1}, "histogram_freq"),
    ({"histogram_freq": 1.5}, "histogram_freq"),
    ({"embeddings_freq": "1"}, "embeddings_freq"),
    ({"profile_batch": -1}, "profile_batch"),
    ({"profile_batch": (5, 2)}, "profile_batch"),
    ({"profile_batch": (1, 2, 3)}, "profile_batch"),
    ({"profile_batch": "a,b"}, "profile_batch"),
    ({"profile_batch": 1.5}, "profile_batch"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard(tmp_path, **kwargs)


@pytest.mark.parametrize("profile_batch", [3, (2, 4), "2,4"])
def test_profile_batch_is_accepted_and_ignored_with_a_warning(tmp_path, profile_batch):
    with pytest.warns(UserWarning, match="no profiler"):
        tb = TensorBoard(tmp_path, profile_batch=profile_batch)
    _model().fit(*_data(), epochs=1, verbose=0, callbacks=[tb])
    assert "epoch_loss" in _read(tmp_path / "train")[1]


def test_profile_batch_zero_is_silent(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TensorBoard(tmp_path, profile_batch=0)
        TensorBoard(tmp_path, profile_batch="0")


def test_a_model_that_cannot_serialize_warns_and_trains(tmp_path, monkeypatch):
    model = _model()

    def broken(**kwargs):
        raise TypeError("not serializable")

    monkeypatch.setattr(model, "to_json", broken)
    with pytest.warns(UserWarning, match="failed to serialize.*not serializable"):
        model.fit(*_data(), epochs=1, verbose=0, callbacks=[TensorBoard(tmp_path)])
    assert "epoch_loss" in _read(tmp_path / "train")[1]
