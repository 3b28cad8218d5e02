"""Shared checks for the layer-catalog tests: config round trip, gradient check, weight table."""

import json

from ember import registry
from ember.autodiff.gradcheck import check_gradients
from ember.autodiff.tensor import Tensor
from ember.backend import np


def to_np(y):
    if isinstance(y, (list, tuple)):
        return [to_np(v) for v in y]
    return np.asarray(y.data if isinstance(y, Tensor) else y)


def weight_table(layer):
    """``[(name, shape), ...]`` in the layer's weight order (trainable first, as Keras)."""
    return [(w.name, tuple(w.shape)) for w in layer.weights]


def assert_roundtrip(layer, *args, call_kwargs=None, atol=1e-6):
    """``from_config(get_config())`` rebuilds a layer that, given the same weights, computes the
    same outputs; the config also survives JSON (through Keras's envelope)."""
    call_kwargs = call_kwargs or {}
    y = to_np(layer(*args, **call_kwargs))
    cfg = layer.get_config()
    envelope = registry.serialize(layer)
    json.loads(json.dumps(envelope))
    clone = type(layer).from_config(json.loads(json.dumps(cfg)))
    assert clone.get_config() == json.loads(json.dumps(cfg))
    clone(*args, **call_kwargs)
    clone.set_weights(layer.get_weights())
    y2 = to_np(clone(*args, **call_kwargs))
    for a, b in zip(y if isinstance(y, list) else [y], y2 if isinstance(y2, list) else [y2]):
        np.testing.assert_allclose(a, b, atol=atol)
    back = registry.deserialize(json.loads(json.dumps(envelope)), kind="layer")
    assert type(back) is type(layer)
    return clone


def grad_check(layer, inputs, call=None, tolerance=1e-5, **kwargs):
    """Check the gradients of ``layer`` (built with dtype='float64') for its inputs and its
    trainable weights. ``call(layer, *tensors)`` defaults to ``layer(*tensors)``."""
    inputs = [np.asarray(a) for a in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    call = call or (lambda l, *t: l(*t))
    call(layer, *[Tensor(a) for a in inputs])  # build
    return check_gradients(lambda *t: call(layer, *t), inputs,
                           variables=layer.trainable_weights, tolerance=tolerance, **kwargs)


def rng(seed=0):
    return np.random.default_rng(seed)
