"""Export a model, run it with ONNX Runtime and compare with ember's predict."""

import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from ember.backend import np  # noqa: E402
from ember.export import random_inputs, to_onnx  # noqa: E402

TOL = 1e-5


def session(proto):
    return ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])


def predict(model, feeds):
    xs = list(feeds.values())
    out = model.predict(xs[0] if len(xs) == 1 else xs, verbose=0)
    if isinstance(out, dict):
        return list(out.values())
    return out if isinstance(out, (list, tuple)) else [out]


def assert_parity(model, batch_sizes=(1, 7), feeds=None, opset=17, tol=TOL):
    """Export ``model``, check it, and compare ONNX Runtime with ``model.predict`` at each
    batch size (random inputs unless ``feeds``, a list of feed dicts, is given). Returns the
    ModelProto."""
    proto = to_onnx(model, None, opset=opset)
    onnx.checker.check_model(proto, full_check=True)
    sess = session(proto)
    feed_list = feeds or [random_inputs(model, proto, b, seed=b) for b in batch_sizes]
    for f in feed_list:
        got = sess.run(None, f)
        want = predict(model, f)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            b = np.asarray(b)
            assert a.shape == b.shape, (a.shape, b.shape)
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    return proto


def op_types(proto):
    return [n.op_type for n in proto.graph.node]


def bn(shape, low=0.1, **kwargs):
    """A BatchNormalization built for ``shape`` with random statistics (variances >= low)."""
    from ember import layers

    layer = layers.BatchNormalization(**kwargs)
    layer.build(shape)
    rng = np.random.default_rng(3)
    for w in layer.weights:
        w.assign((rng.random(w.shape) * 0.9 + low).astype(np.float32))
    return layer
