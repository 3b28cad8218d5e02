"""The callbacks of issue #16 against Keras 3 (JAX backend): constructor arguments and defaults;
TensorBoard's directory layout, tags, steps, plugins and values for the same fit (Keras's own
callback runs with ember's ``tf.summary`` as its summary module, since Keras writes event files
through TensorFlow, which is not installed); BackupAndRestore resuming an interrupted fit; the
requests RemoteMonitor sends."""

import http.server
import inspect
import json
import os
import threading
import urllib.parse

import numpy as np
import pytest
from parity_harness import assert_close, copy_weights

import ember
from ember.tf import _event_file

NAMES = ["TensorBoard", "BackupAndRestore", "RemoteMonitor"]


@pytest.mark.parametrize("name", NAMES)
def test_constructor_arguments_and_defaults(keras, name):
    def params(cls):
        return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]

    assert params(getattr(ember.callbacks, name)) == params(getattr(keras.callbacks, name))


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 3)).astype("float32"), rng.random((n, 2)).astype("float32")


def _net(lib):
    model = lib.Sequential([lib.Input((3,), name="inp"), lib.layers.Dense(4, name="hidden"),
                            lib.layers.Dense(2, name="out")], name="net")
    model.compile(lib.optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model


def _pair(keras):
    theirs, ours = _net(keras), _net(ember)
    copy_weights(theirs, ours)
    return ours, theirs


def _logs(root):
    """{subdirectory: (number of event files, {tag: [(step, plugin, array)]})}."""
    out = {}
    for sub in sorted(os.listdir(root)):
        files = sorted(f for f in os.listdir(os.path.join(root, sub)) if ".tfevents." in f)
        tags = {}
        for f in files:
            for ev in _event_file.read_events(os.path.join(root, sub, f)):
                for v in ev["values"]:
                    tags.setdefault(v["tag"], []).append(
                        (ev["step"], v["plugin_name"], v["tensor"]))
        out[sub] = (len(files), tags)
    return out


def _weight_paths(model):
    return [w.path for layer in model.layers for w in layer.weights]


def test_tensorboard_layout_tags_steps_and_values(keras, tmp_path):
    x, y = _data()
    ours, theirs = _pair(keras)
    # update_freq=5 divides the 5 batches of an epoch: Keras then writes its epoch summaries
    # too (it drops them otherwise; ember always writes them)
    kwargs = dict(histogram_freq=1, write_images=True, write_steps_per_second=True,
                  update_freq=5, write_graph=False)
    theirs_cb = keras.callbacks.TensorBoard(str(tmp_path / "keras"), **kwargs)
    theirs_cb._summary_module = ember.tf.summary
    ours_cb = ember.callbacks.TensorBoard(str(tmp_path / "ember"), **kwargs)
    fit = dict(batch_size=8, epochs=2, shuffle=False, validation_data=(x, y), verbose=0)
    theirs.fit(x, y, callbacks=[theirs_cb], **fit)
    ours.fit(x, y, callbacks=[ours_cb], **fit)
    # 5 batches again (Keras records only when its test-batch count is a multiple of 5)
    theirs.evaluate(x, y, batch_size=8, verbose=0, callbacks=[theirs_cb])
    ours.evaluate(x, y, batch_size=8, verbose=0, callbacks=[ours_cb])

    theirs_logs, ours_logs = _logs(tmp_path / "keras"), _logs(tmp_path / "ember")
    assert list(ours_logs) == list(theirs_logs) == ["train", "validation"]
    # ember's weight paths have no model prefix ("hidden/kernel", Keras: "net/hidden/kernel"):
    # the tags follow each library's weight.path
    rename = dict(zip(_weight_paths(theirs), _weight_paths(ours)))
    for sub in theirs_logs:
        theirs_files, theirs_tags = theirs_logs[sub]
        ours_files, ours_tags = ours_logs[sub]
        assert ours_files == theirs_files, sub
        mapped = {}
        for tag, entries in theirs_tags.items():
            head, _, kind = tag.rpartition("/")
            mapped[f"{rename[head]}/{kind}" if head in rename else tag] = entries
        assert sorted(ours_tags) == sorted(mapped), sub
        for tag, theirs_entries in mapped.items():
            ours_entries = ours_tags[tag]
            assert [(s, p) for s, p, _ in ours_entries] == [(s, p) for s, p, _ in
                                                            theirs_entries], tag
            for (_, plugin, a), (_, _, b) in zip(ours_entries, theirs_entries):
                assert a.dtype == b.dtype and a.shape == b.shape, tag
                if "steps_per_second" in tag:
                    assert a > 0
                elif plugin == "images":
                    assert list(a[:2]) == list(b[:2]), tag  # width, height, image count
                elif plugin == "histograms":
                    assert_close(a[:, :2], b[:, :2], rtol=1e-4, atol=1e-5, what=tag)
                    np.testing.assert_array_equal(a[:, 2], b[:, 2])
                else:
                    assert_close(a, b, rtol=1e-4, atol=1e-6, what=tag)


def test_tensorboard_model_graph_is_keras_model_summary(keras, tmp_path):
    """Keras writes the model with ``keras_model_summary("keras", model, step=0)``: its JSON
    as a string tensor, plugin ``graph_keras_model`` with content ``b"1"`` (read from Keras's
    source: that function needs TensorFlow). ember's JSON is Keras's for the same model."""
    ours, theirs = _pair(keras)
    ember.callbacks.TensorBoard(str(tmp_path)).set_model(ours)
    [events] = [list(_event_file.read_events(os.path.join(tmp_path, "train", f)))
                for f in os.listdir(tmp_path / "train")]
    [(step, value)] = [(e["step"], v) for e in events for v in e["values"]]
    assert (step, value["tag"], value["plugin_name"], value["plugin_content"]) == (
        0, "keras", "graph_keras_model", b"1")
    written = json.loads(value["tensor"].item())

    def layers(config):
        return [(layer["class_name"], layer["config"]["name"])
                for layer in config["config"]["layers"]]

    expected = json.loads(theirs.to_json())
    assert (written["class_name"], written["config"]["name"]) == (
        expected["class_name"], expected["config"]["name"])
    assert layers(written) == layers(expected)


def test_backup_and_restore_resumes_as_keras(keras, tmp_path):
    """Keras's documented example: a fit interrupted at epoch 2 of 5 resumes at epoch 2."""
    x, y = _data()
    ours, theirs = _pair(keras)
    results = {}
    for lib, model in ((ember, ours), (keras, theirs)):

        class Interrupt(lib.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                if epoch == 2:
                    raise RuntimeError("Interrupting!")

        backup = lib.callbacks.BackupAndRestore(str(tmp_path / lib.__name__))
        fit = dict(batch_size=8, epochs=5, shuffle=False, verbose=0)
        with pytest.raises(RuntimeError, match="Interrupting"):
            model.fit(x, y, callbacks=[backup, Interrupt()], **fit)
        history = model.fit(x, y, callbacks=[backup], **fit)
        results[lib.__name__] = (len(history.history["loss"]), history.history["loss"],
                                 [np.asarray(w) for w in model.get_weights()],
                                 int(np.asarray(model.optimizer.iterations)))
        assert not os.path.exists(tmp_path / lib.__name__)  # deleted at the end
    (n_ours, loss_ours, w_ours, it_ours), (n_theirs, loss_theirs, w_theirs, it_theirs) = (
        results["ember"], results["keras"])
    assert n_ours == n_theirs == 3
    assert it_ours == it_theirs == 25
    assert_close(np.asarray(loss_ours), np.asarray(loss_theirs), rtol=1e-4, what="loss")
    for a, b in zip(w_ours, w_theirs):
        assert_close(a, b, rtol=1e-4, atol=1e-6, what="weights")


class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Recorder.received.append((self.path, self.headers.get("Content-Type"),
                                   self.headers.get("X-Run"), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _decode(content_type, body, field):
    if content_type == "application/json":
        return json.loads(body)
    return json.loads(urllib.parse.parse_qs(body.decode())[field][0])


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_sends_what_keras_sends(keras, server, send_as_json):
    pytest.importorskip("requests", reason="Keras's RemoteMonitor needs requests")
    x, y = _data()
    ours, theirs = _pair(keras)
    sent = {}
    for lib, model in ((ember, ours), (keras, theirs)):
        _Recorder.received = []
        monitor = lib.callbacks.RemoteMonitor(root=server, path="/logs/", field="payload",
                                              headers={"X-Run": "r1"},
                                              send_as_json=send_as_json)
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
                  validation_data=(x, y), callbacks=[monitor])
        sent[lib.__name__] = list(_Recorder.received)
    assert len(sent["ember"]) == len(sent["keras"]) == 2
    for ours_req, theirs_req in zip(sent["ember"], sent["keras"]):
        assert ours_req[:3] == theirs_req[:3]  # path, content type, custom header
        a = _decode(ours_req[1], ours_req[3], "payload")
        b = _decode(theirs_req[1], theirs_req[3], "payload")
        assert sorted(a) == sorted(b)
        assert a["epoch"] == b["epoch"]
        for key in b:
            assert_close(np.float32(a[key]), np.float32(b[key]), rtol=1e-4, what=key)
