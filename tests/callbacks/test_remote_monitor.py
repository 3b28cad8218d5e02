"""RemoteMonitor: what a local HTTP server receives at the end of each epoch."""

import http.server
import json
import threading
import urllib.parse
import warnings

import pytest

import ember
from ember.backend import np
from ember.callbacks import RemoteMonitor

from .callback_fakes import run_fit


class _Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "headers": dict(self.headers),
                                    "body": body})
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    class Handler(_Handler):
        received = []

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler
    httpd.shutdown()
    httpd.server_close()


def test_form_post_of_each_epoch(server):
    root, handler = server
    logs = [{"loss": 0.5, "acc": np.float32(0.25)}, {"loss": 0.25, "acc": np.float64(0.75)}]
    run_fit([RemoteMonitor(root=root)], logs)
    assert [r["path"] for r in handler.received] == ["/publish/epoch/end/"] * 2
    for epoch, (request, sent) in enumerate(zip(handler.received, logs)):
        assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
        form = urllib.parse.parse_qs(request["body"].decode())
        assert list(form) == ["data"]
        payload = json.loads(form["data"][0])
        assert payload == {"epoch": epoch, **{k: float(v) for k, v in sent.items()}}


def test_json_post_with_custom_path_field_and_headers(server):
    root, handler = server
    monitor = RemoteMonitor(root=root, path="/runs/7", field="ignored",
                            headers={"Authorization": "Bearer t", "X-Run": "7"},
                            send_as_json=True)
    run_fit([monitor], [{"loss": 1.5, "vec": np.array([1.0, 2.0], "float32")}])
    [request] = handler.received
    assert request["path"] == "/runs/7"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["Authorization"] == "Bearer t"
    assert request["headers"]["X-Run"] == "7"
    assert json.loads(request["body"]) == {"epoch": 0, "loss": 1.5, "vec": [1.0, 2.0]}


def test_during_a_real_fit(server):
    root, handler = server
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 3)).astype("float32"), rng.random((16, 1)).astype("float32")
    model = ember.Sequential([ember.Input((3,)), ember.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
                        callbacks=[RemoteMonitor(root=root, send_as_json=True)])
    payloads = [json.loads(r["body"]) for r in handler.received]
    assert [p["epoch"] for p in payloads] == [0, 1]
    for key, values in history.history.items():
        np.testing.assert_allclose([p[key] for p in payloads], values, rtol=1e-6)


def test_an_unreachable_server_warns_and_training_goes_on():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.warns(UserWarning, match=f"Could not reach RemoteMonitor root server at "
                                         f"http://127.0.0.1:{port}"):
        run_fit([RemoteMonitor(root=f"http://127.0.0.1:{port}")], [{"loss": 1.0}])


def test_a_bad_url_warns():
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        run_fit([RemoteMonitor(root="not a url")], [{"loss": 1.0}])


def test_an_error_status_is_ignored_as_in_keras(server):
    root, handler = server
    handler.status = 500
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_fit([RemoteMonitor(root=root)], [{"loss": 1.0}])
    assert len(handler.received) == 1
