"""JSON request decoding and validation, and response encoding (no server)."""

import json

import pytest

from ember.backend import np
from ember.serving import codec
from ember.serving.errors import ServingError
from ember.serving.signature import Signature, TensorSpec, signature_of

from .conftest import mlp, two_io

IMG = Signature((TensorSpec("image", (None, 2, 3), "float32"),),
                (TensorSpec("probs", (None, 4), "float32"),))
TWO = Signature((TensorSpec("a", (None, 2), "float32"), TensorSpec("ids", (None,), "int32")),
                (TensorSpec("x", (None, 1), "float32"), TensorSpec("y", (None,), "int64")))
FREE = Signature((TensorSpec("seq", (None, None), "float32"),),
                 (TensorSpec("out", (None,), "float32"),))
FLAGS = Signature((TensorSpec("f", (None, 2), "bool"),), (TensorSpec("o", (None,), "bool"),))
TEXT = Signature((TensorSpec("s", (None,), "string"),), (TensorSpec("o", (None,), "float32"),))


def decode(doc, sig=IMG):
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return codec.decode_predict(codec.parse_json(body), sig)


def error(doc, sig=IMG):
    with pytest.raises(ServingError) as e:
        decode(doc, sig)
    assert e.value.http_status == 400
    return e.value.message


def test_row_and_columnar_single_input():
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    rows = decode({"instances": x.tolist()})
    assert not rows.columnar and rows.batch_size == 2
    np.testing.assert_array_equal(rows.arrays[0], x)
    assert rows.arrays[0].dtype == np.float32
    cols = decode({"inputs": x.tolist()})
    assert cols.columnar
    np.testing.assert_array_equal(cols.arrays[0], x)
    named = decode({"inputs": {"image": x.tolist()}, "signature_name": "serving_default"})
    np.testing.assert_array_equal(named.arrays[0], x)
    rows_named = decode({"instances": [{"image": v} for v in x.tolist()]})
    np.testing.assert_array_equal(rows_named.arrays[0], x)
    ints = decode({"instances": [[[1, 2, 3], [4, 5, 6]]], "signature_name": ""})
    assert ints.arrays[0].dtype == np.float32


def test_multi_input():
    d = decode({"instances": [{"a": [1, 2], "ids": 3}, {"ids": 4, "a": [5, 6]}]}, TWO)
    np.testing.assert_array_equal(d.arrays[0], [[1, 2], [5, 6]])
    np.testing.assert_array_equal(d.arrays[1], [3, 4])
    assert d.arrays[1].dtype == np.int32
    d = decode({"inputs": {"a": [[1, 2]], "ids": [9], "extra": "ignored"}}, TWO)
    assert d.columnar and d.batch_size == 1


def test_nonfinite_accepted_for_floats():
    body = b'{"instances": [[[NaN, Infinity, -Infinity], [1, 2, 3]]]}'
    a = decode(body).arrays[0]
    assert np.isnan(a[0, 0, 0]) and a[0, 0, 1] == np.inf and a[0, 0, 2] == -np.inf
    assert "not of expected type: int32" in error(
        b'{"inputs": {"a": [[1, 2]], "ids": [NaN]}}', TWO)


@pytest.mark.parametrize("body, message", [
    (b"", "JSON Parse error: The document is empty"),
    (b"  \n", "JSON Parse error: The document is empty"),
    (b"{bad", "JSON Parse error: Expecting property name enclosed in double quotes at offset: 1"),
    (b'{"instances": [1,]}', "JSON Parse error:"),
    (b"\xff\xfe\x00", "JSON Parse error:"),
    (b"[1, 2]", "JSON Value: [1, 2] Is not object"),
    (b'"text"', "Is not object"),
    (b'{"signature_name": 3, "instances": [1]}', "'signature_name' key must be a string value."),
    (b'{"signature_name": "other", "instances": [1]}',
     'Serving signature name: "other" not found in signature def'),
    (b'{"foo": 1}', "Missing 'inputs' or 'instances' key"),
    (b'{"instances": [], "inputs": []}', "expecting only one of 'inputs' or 'instances' keys"),
    (b'{"instances": 3}', "Expecting 'instances' to be an list/array"),
    (b'{"instances": []}', "No values in 'instances' array"),
    (b'{"instances": [[[1, 2, 3], [4, 5, 6]], [[1, 2, 3]]]}', "Expecting shape (2, 3) but got: "
                                                               "(1, 3) (instance 1)"),
    (b'{"inputs": [[[1, 2, 3], [4, 5]]]}', "Encountered list at unexpected size"),
    (b'{"inputs": [[[1, 2, 3], 4]]}', "found at incorrect level"),
    (b'{"instances": [[1, 2, 3, 4, 5, 6]]}', "Input 'image' expects instances of shape (2, 3), "
                                             "received instances of shape (6,)"),
    (b'{"inputs": [[1, 2, 3], [4, 5, 6]]}', "expects a tensor of shape (None, 2, 3)"),
    (b'{"instances": [[["a", 2, 3], [4, 5, 6]]]}', 'JSON Value: "a" Type: String is not of '
                                                   'expected type: float32'),
    (b'{"instances": [[[true, 2, 3], [4, 5, 6]]]}', "JSON Value: true Type: Bool is not of "
                                                    "expected type: float32"),
    (b'{"instances": [[[null, 2, 3], [4, 5, 6]]]}', "Type: Null is not of expected type"),
    (b'{"instances": [[[{"b64": "AA=="}, 2, 3], [4, 5, 6]]]}', "Type: Object is not of expected"),
    (b'{"inputs": {"b64": "AA=="}}', "Type: Object is not of expected type: float32"),
    (b'{"inputs": {"img": [1]}}', "Missing named input: image in 'inputs' object."),
    (b'{"instances": [{"image": [[1, 2, 3], [4, 5, 6]]}, [[1, 2, 3], [4, 5, 6]]]}',
     "keys must be equal to: image"),
    (b'{"instances": [[[1, 2, 3], [4, 5, 6]], {"image": 1}]}', "mixes objects and plain values"),
    (b'{"instances": [[[1e400, 2, 3], [4, 5, 6]]]}', None),  # overflows to inf: accepted
])
def test_bad_requests(body, message):
    if message is None:
        assert np.isinf(decode(body).arrays[0][0, 0, 0])
        return
    assert message in error(body)


@pytest.mark.parametrize("doc, message", [
    ({"instances": [[1, 2], [3, 4]]}, "instances is a plain list, but expecting list of objects"),
    ({"instances": [{"a": [1, 2]}]}, "keys must be equal to: a,ids"),
    ({"instances": [{"a": [1, 2], "ids": 1, "z": 0}]}, "Failed to process element: 0"),
    ({"inputs": [[1, 2]]}, "expecting an object as multiple input tensors"),
    ({"inputs": {"a": [[1, 2]]}}, "Missing named input: ids in 'inputs' object."),
    ({"inputs": {"a": [[1, 2]], "ids": [1, 2]}}, "must share dimension 0"),
    ({"inputs": {"a": [[1, 2]], "ids": [1.5]}}, "JSON Value: 1.5 Type: Number is not of "
                                                "expected type: int32"),
    ({"inputs": {"a": [[1, 2]], "ids": [2**31]}}, "out of range for input 'ids' of type int32"),
    ({"inputs": {"a": [[1, 2]], "ids": [2**70]}}, "out of range for input 'ids'"),
    ({"inputs": {"a": [[1, 2]], "ids": [True]}}, "Type: Bool is not of expected type: int32"),
])
def test_bad_multi_input(doc, message):
    assert message in error(doc, TWO)


def test_free_dims_bool_and_string():
    assert decode({"instances": [[1, 2, 3], [4, 5, 6]]}, FREE).arrays[0].shape == (2, 3)
    assert decode({"inputs": [[1] * 7]}, FREE).arrays[0].shape == (1, 7)
    assert decode({"instances": [[True, False]]}, FLAGS).arrays[0].dtype == np.bool_
    assert "Type: Number is not of expected type: bool" in error({"instances": [[1, 0]]}, FLAGS)
    s = decode({"instances": ["hi", {"b64": "aGk="}]}, TEXT).arrays[0]
    assert s.tolist() == [b"hi", b"hi"]
    assert "Unable to base64 decode" in error({"instances": [{"b64": "!!"}]}, TEXT)
    assert "not of expected type: string" in error({"instances": [3]}, TEXT)


def test_deep_nesting_is_a_400():
    deep = b'{"instances": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    assert "JSON Parse error" in error(deep)


def test_encode_row_and_columnar():
    probs = np.array([[0.1, 0.2, 0.3, 0.4], [np.nan, np.inf, -np.inf, 1]], dtype="float32")
    body = codec.encode_predict([probs], IMG, columnar=False)
    assert body.startswith(b'{"predictions":[[0.1,0.2,0.3,0.4],[NaN,Infinity,-Infinity,1.0]]')
    body = codec.encode_predict([probs[:1]], IMG, columnar=True)
    assert json.loads(body) == {"outputs": [[0.1, 0.2, 0.3, 0.4]]}
    x, y = np.array([[1.5], [2.5]], "float32"), np.array([3, 4], "int64")
    assert json.loads(codec.encode_predict([x, y], TWO, columnar=False)) == {
        "predictions": [{"x": [1.5], "y": 3}, {"x": [2.5], "y": 4}]}
    assert json.loads(codec.encode_predict([x, y], TWO, columnar=True)) == {
        "outputs": {"x": [[1.5], [2.5]], "y": [3, 4]}}
    with pytest.raises(ServingError, match="Tensor name: y has inconsistent batch size: 1 "
                                           "expecting: 2"):
        codec.encode_predict([x, y[:1]], TWO, columnar=False)


def test_encode_float32_exactly():
    v = np.random.default_rng(0).random((50, 10)).astype("float32")
    back = np.array(json.loads(codec.encode_predict([v], IMG, columnar=True))["outputs"])
    np.testing.assert_array_equal(back.astype("float32"), v)


def test_signature_of_models():
    model = mlp()
    sig = signature_of(model)
    name = model.inputs[0]._keras_history[0].name
    assert sig.input_names == [name] and sig.inputs[0].shape == (None, 28, 28)
    assert sig.outputs[0].shape == (None, 10) and sig.outputs[0].dtype == "float32"
    meta = sig.to_json()
    assert meta["method_name"] == "tensorflow/serving/predict"
    dims = meta["inputs"][name]["tensor_shape"]["dim"]
    assert [d["size"] for d in dims] == ["-1", "28", "28"]
    assert meta["inputs"][name]["dtype"] == "DT_FLOAT"
    assert meta["inputs"][name]["name"] == name + ":0"
    two = signature_of(two_io())
    assert two.input_names == ["a", "b"] and two.output_names == ["score", "probs"]
