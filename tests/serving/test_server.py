"""Every endpoint and every error over HTTP, against a real server on 127.0.0.1."""

import json
import time

import pytest

from ember.backend import np
from ember.layers.node import KerasTensor
from ember.serving import ModelManager

from .conftest import httpx, running


def api_error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"] and isinstance(body["error"], str)
    return body["error"]


# -- status --------------------------------------------------------------------------------------
def test_status(server):
    _, c = server
    ok = {"error_code": "OK", "error_message": ""}
    r = c.get("/v1/models/mnist")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {"model_version_status": [
        {"version": "1", "state": "AVAILABLE", "status": ok}]}
    assert [s["version"] for s in c.get("/v1/models/two").json()["model_version_status"]] == [
        "7", "1"]
    assert c.get("/v1/models/two/versions/1").json()["model_version_status"][0]["version"] == "1"
    assert c.get("/v1/models/two/labels/stable").json()["model_version_status"][0][
        "version"] == "7"
    assert c.get("/V1/Models/two/Versions/7").status_code == 200
    assert api_error(c.get("/v1/models/nope"), 404) == "Could not find any versions of model nope"
    assert api_error(c.get("/v1/models/two/versions/3"), 404) == \
        "Could not find version 3 of model two"
    assert api_error(c.get("/v1/models/two/labels/beta"), 400) == \
        "Unrecognized servable version label: beta"
    assert api_error(c.get("/v1/models"), 400) == "Missing model name in request."


# -- metadata ------------------------------------------------------------------------------------
def test_metadata(server, models):
    _, c = server
    r = c.get("/v1/models/mnist/metadata")
    assert r.status_code == 200
    doc = r.json()
    assert doc["model_spec"] == {"name": "mnist", "signature_name": "", "version": "1"}
    sig = doc["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict" and sig["defaults"] == {}
    (name, spec), = sig["inputs"].items()
    assert name == models["mnist"].inputs[0]._keras_history[0].name
    assert spec == {"dtype": "DT_FLOAT", "name": f"{name}:0", "tensor_shape": {
        "dim": [{"size": "-1", "name": ""}, {"size": "28", "name": ""},
                {"size": "28", "name": ""}], "unknown_rank": False}}
    (out,) = sig["outputs"].values()
    assert [d["size"] for d in out["tensor_shape"]["dim"]] == ["-1", "10"]

    two = c.get("/v1/models/two/labels/stable/metadata").json()
    assert two["model_spec"]["version"] == "7"
    sig = two["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert list(sig["inputs"]) == ["a", "b"] and list(sig["outputs"]) == ["score", "probs"]
    assert c.get("/v1/models/two/versions/1/metadata").json()["model_spec"]["version"] == "1"
    assert api_error(c.get("/v1/models/nope/metadata"), 404) == \
        "Servable not found for request: Latest(nope)"
    assert api_error(c.get("/v1/models/two/versions/3/metadata"), 404) == \
        "Servable not found for request: Specific(two, 3)"


# -- predict -------------------------------------------------------------------------------------
def test_predict_row_and_columnar(server, models):
    _, c = server
    model = models["mnist"]
    x = np.random.default_rng(1).random((3, 28, 28)).astype("float32")
    want = model.predict(x, verbose=0)
    r = c.post("/v1/models/mnist:predict", json={"instances": x.tolist()})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert list(r.json()) == ["predictions"]
    np.testing.assert_allclose(r.json()["predictions"], want, atol=1e-6)
    r = c.post("/v1/models/mnist/versions/1:predict", json={"inputs": x.tolist()})
    np.testing.assert_allclose(r.json()["outputs"], want, atol=1e-6)
    r = c.post("/v1/models/mnist:predict",
               json={"signature_name": "serving_default", "inputs": {
                   model.inputs[0]._keras_history[0].name: x[:1].tolist()}})
    np.testing.assert_allclose(r.json()["outputs"], want[:1], atol=1e-6)


def test_predict_two_inputs_two_outputs(server, models):
    _, c = server
    rng = np.random.default_rng(2)
    a, b = rng.random((4, 4)).astype("float32"), rng.random((4, 3)).astype("float32")
    score, probs = models["two"].predict([a, b], verbose=0)
    rows = [{"a": a[i].tolist(), "b": b[i].tolist()} for i in range(4)]
    for path in ("/v1/models/two:predict", "/v1/models/two/versions/1:predict",
                 "/v1/models/two/labels/stable:predict"):
        r = c.post(path, json={"instances": rows})
        assert r.status_code == 200, r.text
        preds = r.json()["predictions"]
        assert len(preds) == 4 and all(set(p) == {"score", "probs"} for p in preds)
        np.testing.assert_allclose([p["score"] for p in preds], score, atol=1e-6)
        np.testing.assert_allclose([p["probs"] for p in preds], probs, atol=1e-6)
    r = c.post("/v1/models/two:predict", json={"inputs": {"b": b.tolist(), "a": a.tolist()}})
    out = r.json()["outputs"]
    np.testing.assert_allclose(out["score"], score, atol=1e-6)
    np.testing.assert_allclose(out["probs"], probs, atol=1e-6)


def test_predict_lookup_errors(server):
    _, c = server
    body = {"instances": [{"a": [0, 0, 0, 0], "b": [0, 0, 0]}]}
    assert api_error(c.post("/v1/models/nope:predict", json=body), 404) == \
        "Servable not found for request: Latest(nope)"
    assert api_error(c.post("/v1/models/two/versions/2:predict", json=body), 404) == \
        "Servable not found for request: Specific(two, 2)"
    assert api_error(c.post("/v1/models/two/labels/beta:predict", json=body), 400) == \
        "Unrecognized servable version label: beta"
    assert "Servable not found" in api_error(
        c.post("/v1/models/two/labels/ghost:predict", json=body), 404)


def test_classify_and_regress_are_400(server):
    _, c = server
    body = {"examples": [{"x": 1.0}]}
    assert "Expected classification signature method_name to be tensorflow/serving/classify" \
        in api_error(c.post("/v1/models/mnist:classify", json=body), 400)
    assert "Expected regression signature method_name" in api_error(
        c.post("/v1/models/mnist:regress", json=body), 400)
    assert "No signature was found with the name: other" in api_error(
        c.post("/v1/models/mnist:regress", json={"signature_name": "other"}), 400)


# -- framing and errors ---------------------------------------------------------------------------
def test_paths_outside_v1_and_malformed(server):
    srv, c = server
    r = c.get("/v2/models/mnist")
    assert r.status_code == 404 and r.text == "Not Found"
    assert r.headers["content-type"].startswith("text/plain")
    assert c.get("/").status_code == 404
    for method, path in [("GET", "/v1/models/mnist:predict"), ("POST", "/v1/models/mnist"),
                         ("POST", "/v1/models/mnist/metadata"), ("GET", "/v1/models/m/version/1"),
                         ("GET", "/v1/models/mnist/versions/x"), ("PUT", "/v1/models/mnist"),
                         ("DELETE", "/v1/models/mnist"), ("PATCH", "/v1/models/mnist:predict")]:
        assert api_error(c.request(method, path), 400) == f"Malformed request: {method} {path}"
    assert "Failed to convert version" in api_error(
        c.get("/v1/models/mnist/versions/123456789012345678901234"), 400)
    # percent-encoding is decoded in the name: %6Dnist is mnist
    assert c.get("/v1/models/%6Dnist").status_code == 200


@pytest.mark.parametrize("content, message", [
    (b"", "JSON Parse error: The document is empty"),
    (b'{"instances": [', "JSON Parse error: Expecting value at offset: 15"),
    (b"[]", "Is not object"),
    (b'{"instances": [[1, 2, 3]]}', "expects instances of shape (28, 28)"),
    (b'{"instances": [' + json.dumps([["x"] * 28] * 28).encode() + b"]}",
     'JSON Value: "x" Type: String is not of expected type: float32'),
    (b'{"instances": [[[1]]], "inputs": [[[1]]]}', "only one of 'inputs' or 'instances'"),
    (b'{"input": 1}', "Missing 'inputs' or 'instances' key"),
    (b'{"instances": [], "signature_name": "serving_default"}', "No values in 'instances'"),
    (b'{"instances": [1], "signature_name": "train"}', 'Serving signature name: "train"'),
    (b'{"instances": [{"__import__": "os"}]}', "keys must be equal to"),
])
def test_bad_predict_requests(server, content, message):
    _, c = server
    r = c.post("/v1/models/mnist:predict", content=content,
               headers={"content-type": "application/json"})
    assert message in api_error(r, 400)


def test_nan_in_and_out(server):
    _, c = server
    x = np.zeros((28, 28)).tolist()
    x[0][0] = float("nan")
    r = c.post("/v1/models/mnist:predict", content=json.dumps({"instances": [x]}).encode())
    assert r.status_code == 200
    assert b"NaN" in r.content
    assert np.isnan(np.array(r.json()["predictions"])).all()


def test_body_limit(server):
    _, c = server
    big = b'{"instances": [' + b"0.5," * 400_000 + b"0.5]}"  # 1.6 MB > the 1 MiB limit
    msg = api_error(c.post("/v1/models/mnist:predict", content=big), 413)
    assert "over the limit of 1048576 bytes" in msg

    def chunks():  # no Content-Length: the limit holds on the streamed body
        for _ in range(40):
            yield b" " * 40_000

    with httpx.Client(base_url=c.base_url, timeout=30) as fresh:
        try:
            r = fresh.post("/v1/models/mnist:predict", content=chunks())
        except httpx.TransportError:  # the server may close while the client still sends
            r = None
        if r is not None:
            assert "over the limit" in api_error(r, 413)
    assert c.get("/v1/models/mnist").status_code == 200
    bad_length = c.post("/v1/models/mnist:predict", content=b"{}",
                        headers={"content-length": "2"})
    assert bad_length.status_code == 400


def test_openapi(server):
    _, c = server
    r = c.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert {"/v1/models/{name}", "/v1/models/{name}/metadata", "/v1/models/{name}:predict",
            "/v1/models/{name}/versions/{version}:predict",
            "/v1/models/{name}/labels/{label}/metadata"} <= set(doc["paths"])
    assert doc["paths"]["/v1/models/{name}:predict"]["post"]["requestBody"]


def test_still_serving_after_errors(server, models):
    _, c = server
    x = np.ones((1, 28, 28), "float32")
    r = c.post("/v1/models/mnist:predict", json={"instances": x.tolist()})
    np.testing.assert_allclose(r.json()["predictions"], models["mnist"].predict(x, verbose=0),
                               atol=1e-6)


# -- models that fail, are slow, and CORS ----------------------------------------------------------
class FakeModel:
    """Just enough of a model: input 'x' (None, 2), output 'y' (None, 2); ``-1`` raises a
    ValueError, ``-2`` a RuntimeError, ``-3`` sleeps 1.5 s."""

    name = "fake"

    def __init__(self):
        self.inputs = [KerasTensor((None, 2), "float32", name="x")]
        self.outputs = [KerasTensor((None, 2), "float32", name="y")]

    def predict_on_batch(self, x):
        if (x == -1).any():
            raise ValueError("minus one is not allowed")
        if (x == -2).any():
            raise RuntimeError("kaboom")
        if (x == -3).any():
            time.sleep(1.5)
        return x + 1


def test_model_errors_timeout_and_cors():
    manager = ModelManager(poll_seconds=0)
    manager.add_model("fake", FakeModel())
    with running(manager, enable_cors=True, timeout_ms=600) as (_, c):
        r = c.post("/v1/models/fake:predict", json={"instances": [[1, 2]]})
        assert r.json() == {"predictions": [[2.0, 3.0]]}
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["access-control-allow-methods"] == "POST, GET"
        assert "minus one" in api_error(
            c.post("/v1/models/fake:predict", json={"instances": [[-1, 2]]}), 400)
        assert "kaboom" in api_error(
            c.post("/v1/models/fake:predict", json={"instances": [[-2, 2]]}), 500)
        assert "timed out" in api_error(
            c.post("/v1/models/fake:predict", json={"instances": [[-3, 2]]}), 504)
        pre = c.options("/v1/models/fake:predict", headers={"origin": "https://example.com"})
        assert pre.status_code == 200 and pre.headers["access-control-allow-headers"]
        assert api_error(c.options("/v1/models/fake:predict", headers={"origin": "file://x"}),
                         400)
        assert api_error(c.get("/v1/models/nope"), 404)
        time.sleep(1.2)  # the slow request still holds the worker until then
        r = c.post("/v1/models/fake:predict", json={"inputs": [[1, 2], [3, 4]]})
        assert r.json() == {"outputs": [[2.0, 3.0], [4.0, 5.0]]}


def test_client_that_disconnects_mid_body(server, caplog):
    import socket

    srv, c = server
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", srv.port)) as s:
            s.sendall(b"POST /v1/models/mnist:predict HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 100000\r\n\r\n{\"instances\": [[")
    time.sleep(0.2)
    assert c.get("/v1/models/mnist").status_code == 200
    assert not [r for r in caplog.records if r.name == "ember.serving" and r.levelname == "ERROR"]
