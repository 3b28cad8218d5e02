"""Activations: forward against NumPy formulas, gradients, stability, float32."""

import math

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand

erf = np.vectorize(math.erf)
SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "relu": (ops.relu, lambda x: np.maximum(x, 0)),
    "relu6": (ops.relu6, lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x)),
    "elu": (ops.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "selu": (ops.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    "gelu": (ops.gelu, lambda x: 0.5 * x * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "gelu_exact": (lambda x: ops.gelu(x, approximate=False),
                   lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "sigmoid": (ops.sigmoid, _sigmoid),
    "hard_sigmoid": (ops.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "tanh": (ops.tanh, np.tanh),
    "softplus": (ops.softplus, lambda x: np.log1p(np.exp(x))),
    "softsign": (ops.softsign, lambda x: x / (1 + np.abs(x))),
    "silu": (ops.silu, lambda x: x * _sigmoid(x)),
    "swish": (ops.swish, lambda x: x * _sigmoid(x)),
    "log_sigmoid": (ops.log_sigmoid, lambda x: np.log(_sigmoid(x))),
    "hard_silu": (ops.hard_silu, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
}


def _inputs(shape, seed):
    # away from the kinks at 0, +-3 and 6
    x = rand(shape, seed, -8, 8, away=0.1)
    return np.where(np.abs(np.abs(x) - 3) < 0.1, x + 0.3, np.where(
        np.abs(x - 6) < 0.1, x + 0.3, x))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(), (7,), (2, 5)], ids=str)
def test_activation_forward_and_gradient(name, shape):
    op, ref = ACTIVATIONS[name]
    x = _inputs(shape, seed=len(shape))
    close(op(x).data, ref(x), rtol=1e-6, atol=1e-12)
    assert_grads(op, x)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_float32(name):
    op, ref = ACTIVATIONS[name]
    x = _inputs((3, 4), seed=1)
    y, (g,) = float32_run(op, x)
    close(y.data, ref(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sigmoid", "softplus", "softsign", "tanh", "silu", "elu",
                                  "log_sigmoid", "gelu"])
def test_activation_stable_for_large_inputs(name):
    op, _ = ACTIVATIONS[name]
    x = ember.Variable(np.array([-1000.0, -50.0, 50.0, 1000.0], dtype="float32"))
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        with ember.GradientTape() as tape:
            y = ops.sum(op(x))
        g = tape.gradient(y, x)
    assert np.all(np.isfinite(g.numpy()))


def test_leaky_relu_slope_and_elu_alpha():
    x = np.array([-2.0, 3.0])
    close(ops.leaky_relu(x, negative_slope=0.1).data, [-0.2, 3.0])
    close(ops.elu(x, alpha=0.5).data, [0.5 * np.expm1(-2.0), 3.0])
    assert_grads(lambda t: ops.leaky_relu(t, 0.1), x)
    assert_grads(lambda t: ops.elu(t, alpha=0.5), x)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(axis):
    x = rand((2, 3, 4), 3, -3, 3)
    close(ops.softmax(x, axis=axis).data, _softmax(x, axis))
    close(ops.log_softmax(x, axis=axis).data, np.log(_softmax(x, axis)))
    assert_grads(lambda t: ops.softmax(t, axis=axis), x)
    assert_grads(lambda t: ops.log_softmax(t, axis=axis), x)


def test_softmax_stable_and_float32():
    x = np.array([[1000.0, 0.0, -1000.0]])
    close(ops.softmax(x).data, [[1, 0, 0]])
    close(ops.log_softmax(x).data, [[0, -1000, -2000]])
    _, (g,) = float32_run(lambda t: ops.softmax(t) * np.arange(3.0), rand((2, 3), 1))
    _, (g,) = float32_run(ops.log_softmax, rand((2, 3), 1))


def test_softmax_bad_axis():
    with pytest.raises(ValueError, match="softmax: axis 2 is out of range"):
        ops.softmax(np.ones((2, 3)), axis=2)
