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


# -- Keras 3's newer activations ------------------------------------------------------------------
NEW_ACTIVATIONS = {
    "celu": (ops.celu, lambda x: np.where(x > 0, x, np.expm1(x))),
    "celu_alpha": (lambda x: ops.celu(x, alpha=0.5),
                   lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    "hard_tanh": (ops.hard_tanh, lambda x: np.clip(x, -1, 1)),
    "hard_shrink": (ops.hard_shrink, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    "hard_shrink_t": (lambda x: ops.hard_shrink(x, threshold=1.5),
                      lambda x: np.where(np.abs(x) > 1.5, x, 0)),
    "soft_shrink": (ops.soft_shrink, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
    "soft_shrink_t": (lambda x: ops.soft_shrink(x, threshold=1.5),
                      lambda x: np.sign(x) * np.maximum(np.abs(x) - 1.5, 0)),
    "sparse_plus": (ops.sparse_plus, lambda x: np.where(
        x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
    "sparse_sigmoid": (ops.sparse_sigmoid, lambda x: np.clip((x + 1) / 2, 0, 1)),
    "squareplus": (ops.squareplus, lambda x: (x + np.sqrt(x * x + 4)) / 2),
    "squareplus_b": (lambda x: ops.squareplus(x, b=0.5), lambda x: (x + np.sqrt(x * x + 0.5)) / 2),
    "tanh_shrink": (ops.tanh_shrink, lambda x: x - np.tanh(x)),
    "threshold": (lambda x: ops.threshold(x, 0.2, -2.0), lambda x: np.where(x > 0.2, x, -2.0)),
    "glu": (ops.glu, lambda x: x[..., :x.shape[-1] // 2] * _sigmoid(x[..., x.shape[-1] // 2:])),
}


def _new_inputs(shape, seed):
    # away from every kink: 0, +-0.2, +-0.5, +-1, +-1.5
    x = rand(shape, seed, -3, 3)
    for kink in (0.0, 0.2, 0.5, 1.0, 1.5):
        for k in (kink, -kink):
            x = np.where(np.abs(x - k) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize("name", sorted(NEW_ACTIVATIONS))
@pytest.mark.parametrize("shape", [(6,), (3, 4)], ids=str)
def test_new_activation_forward_and_gradient(name, shape):
    op, ref = NEW_ACTIVATIONS[name]
    x = _new_inputs(shape, seed=len(shape))
    close(op(x).data, ref(x), rtol=1e-6, atol=1e-12)
    assert_grads(op, x)


@pytest.mark.parametrize("name", sorted(NEW_ACTIVATIONS))
def test_new_activation_float32(name):
    op, ref = NEW_ACTIVATIONS[name]
    x = _new_inputs((3, 4), seed=1)
    y, (g,) = float32_run(op, x)
    close(y.data, ref(x), rtol=1e-5, atol=1e-6)
    assert g is not None


@pytest.mark.parametrize("name", ["celu", "hard_shrink", "soft_shrink", "sparse_plus",
                                  "sparse_sigmoid", "squareplus", "tanh_shrink", "sparsemax"])
def test_new_activation_integers_become_floatx(name):
    y = getattr(ops, name)(np.array([-2, 0, 1, 3], dtype="int32"))
    assert y.dtype == np.float32
    close(y.data, getattr(ops, name)(np.array([-2.0, 0, 1, 3])).data, rtol=1e-6)


def test_hard_tanh_and_threshold_keep_integers():
    x = np.array([-2, 0, 1, 3], dtype="int32")
    assert ops.hard_tanh(x).dtype == np.int32
    np.testing.assert_array_equal(ops.hard_tanh(x).numpy(), [-1, 0, 1, 1])
    assert ops.threshold(x, 0, 5).dtype == np.int32
    assert ops.threshold(x, 0, 0.5).dtype == np.float32
    np.testing.assert_array_equal(ops.threshold(x, 0, 0.5).numpy(), [0.5, 0.5, 1, 3])


def test_new_activations_stable_for_large_inputs():
    x = ember.Variable(np.array([-1e4, -50.0, 50.0, 1e4], dtype="float32"))
    for op in (ops.celu, ops.squareplus, ops.tanh_shrink, ops.sparse_plus):
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            with ember.GradientTape() as tape:
                y = ops.sum(op(x))
            g = tape.gradient(y, x)
        assert np.all(np.isfinite(g.numpy())) and np.all(np.isfinite(y.numpy()))


def test_glu_axis_and_errors():
    x = rand((4, 3), 2)
    close(ops.glu(x, axis=0).data, x[:2] * _sigmoid(x[2:]))
    assert_grads(lambda t: ops.glu(t, axis=0), x)
    with pytest.raises(ValueError, match=r"glu: axis -1 of an input of shape \(4, 3\) must "
                                         r"have an even size"):
        ops.glu(x)
    with pytest.raises(ValueError, match="glu: axis 2 is out of range"):
        ops.glu(x, axis=2)


def test_squareplus_rejects_negative_b():
    with pytest.raises(ValueError, match=r"squareplus: b must be >= 0. Received: b=-1"):
        ops.squareplus(np.ones(3), b=-1)


def _sparsemax_reference(z):
    """Sparsemax of each row by bisection on tau: sum(max(z - tau, 0)) = 1 (a different
    algorithm from ember's sort-based one)."""
    rows = np.array(z).reshape(-1, z.shape[-1])
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        lo, hi = row.max() - 1, row.max()
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if np.maximum(row - mid, 0).sum() > 1 else (lo, mid)
        out[i] = np.maximum(row - (lo + hi) / 2, 0)
    return out.reshape(z.shape)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sparsemax_values_and_gradient(axis):
    x = rand((3, 4, 5), 5, -2, 2)
    y = ops.sparsemax(x, axis=axis).data
    close(y, np.moveaxis(_sparsemax_reference(np.moveaxis(x, axis, -1)), -1, axis), atol=1e-9)
    close(y.sum(axis=axis), 1.0)
    assert (y == 0).any()  # sparse: some exact zeros
    assert_grads(lambda t: ops.sparsemax(t, axis=axis), x)


def test_sparsemax_ties_and_float32():
    close(ops.sparsemax(np.array([[1.0, 1.0, 1.0], [3.0, 1.0, -1.0]])).data,
          [[1 / 3, 1 / 3, 1 / 3], [1, 0, 0]])
    y, (g,) = float32_run(ops.sparsemax, rand((2, 6), 3, -2, 2))
    close(y.data.sum(-1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="sparsemax: axis 3 is out of range"):
        ops.sparsemax(np.ones((2, 3)), axis=3)


def test_new_activations_in_ops_nn():
    for name in ("celu", "glu", "hard_shrink", "hard_tanh", "soft_shrink", "sparse_plus",
                 "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold"):
        assert getattr(ops.nn, name) is getattr(ops, name)
