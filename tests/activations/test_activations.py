"""Activations: values against NumPy, gradients flow, names resolve and serialize."""

import math

import numpy as np
import pytest

import ember
from ember import activations, registry

X = np.linspace(-4, 4, 17).astype("float32")


def _erf(x):
    return np.vectorize(math.erf)(x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


REFERENCE = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "exponential": np.exp,
    "linear": lambda x: x,
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "log_sigmoid": lambda x: -np.log1p(np.exp(-x)),
    "soft_shrink": lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    # on X (steps of 0.5) the support is the two largest entries: tau = (sum of them - 1) / 2
    "sparsemax": lambda x: np.maximum(x - (np.sort(x)[-2:].sum() - 1) / 2, 0),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "tanh_shrink": lambda x: x - np.tanh(x),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_and_resolution(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    out = ember.ops.convert_to_numpy(fn(X))
    assert out.dtype == np.float32 and out.shape == X.shape
    np.testing.assert_allclose(out, REFERENCE[name](X.astype("float64")), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - {"linear"}))
def test_gradient_flows(name):
    v = ember.Variable(X[1::2] + 0.01)  # avoid kinks at 0
    with ember.GradientTape() as tape:
        y = ember.ops.sum(activations.get(name)(v))
    g = tape.gradient(y, v)
    assert g is not None and g.shape == v.shape and g.dtype == np.float32


def test_serialize_is_the_bare_name():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"
    assert activations.deserialize("relu") is activations.relu
    assert registry.serialize(activations.softmax) == "softmax"
    for name in REFERENCE:
        fn = activations.get(name)
        assert activations.deserialize(activations.serialize(fn)) is fn


def test_get_none_callable_and_errors():
    assert activations.get(None) is activations.linear
    f = lambda x: x * 2  # noqa: E731
    assert activations.get(f) is f
    with pytest.raises(ValueError, match="Unknown activation: 'rleu'.*relu.*softmax"):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(3)


def test_relu_options_as_keras():
    x = np.array([-3.0, -1.0, 0.5, 2.0, 8.0], "float32")
    np.testing.assert_allclose(activations.relu(x, max_value=6.0).numpy(), [0, 0, 0.5, 2, 6])
    np.testing.assert_allclose(activations.relu(x, threshold=1.0).numpy(), [0, 0, 0, 2, 8])
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.5).numpy(),
                               [-1.5, -0.5, 0.5, 2, 8])
    np.testing.assert_allclose(
        activations.relu(x, negative_slope=0.1, max_value=6.0, threshold=1.0).numpy(),
        [-0.4, -0.2, -0.05, 2, 6], rtol=1e-6)


def test_softmax_axis_and_logits_for_crossentropy():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    out = activations.softmax(x, axis=1).numpy()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    y = activations.softmax(ember.Variable(x[0]))
    assert y._keras_logits is not None and y._keras_logits[0] == "softmax"
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(),
                               ember.ops.gelu(x).numpy())


def test_activations_with_arguments():
    x = np.linspace(-3, 3, 8).astype("float32")
    np.testing.assert_allclose(activations.get("threshold")(x, 1.0, -5.0).numpy(),
                               np.where(x > 1, x, -5.0))
    np.testing.assert_allclose(activations.glu(x).numpy(),
                               x[:4] / (1 + np.exp(-x[4:].astype("float64"))), rtol=1e-6)
    np.testing.assert_allclose(activations.celu(x, alpha=2.0).numpy(),
                               np.where(x > 0, x, 2 * np.expm1(x / 2)), rtol=1e-6)
    np.testing.assert_allclose(activations.squareplus(x, b=1).numpy(),
                               (x + np.sqrt(x * x + 1)) / 2, rtol=1e-6)
    np.testing.assert_allclose(activations.hard_shrink(x, threshold=2).numpy(),
                               np.where(np.abs(x) > 2, x, 0))
    np.testing.assert_allclose(activations.soft_shrink(x, threshold=2).numpy(),
                               np.sign(x) * np.maximum(np.abs(x) - 2, 0), rtol=1e-6)
    m = activations.sparsemax(np.stack([x, x[::-1]]), axis=0).numpy()
    np.testing.assert_allclose(m.sum(0), 1.0, rtol=1e-6)
    for name in ("threshold", "glu"):
        fn = activations.get(name)
        assert activations.serialize(fn) == name and activations.deserialize(name) is fn
