"""Reductions with axis and keepdims: forward against NumPy, gradients, dtypes, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis)


REDUCTIONS = {
    "sum": (ops.sum, np.sum),
    "mean": (ops.mean, np.mean),
    "max": (ops.max, np.max),
    "min": (ops.min, np.min),
    "prod": (ops.prod, np.prod),
    "var": (ops.var, np.var),
    "std": (ops.std, np.std),
    "logsumexp": (ops.logsumexp, _lse),
}

AXES = [None, 0, -1, 1, (0, 2), (-1, -3)]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_forward_and_gradient(name, axis, keepdims):
    op, ref = REDUCTIONS[name]
    x = rand((2, 3, 4), seed=5)
    close(op(x, axis=axis, keepdims=keepdims).data, ref(x, axis=axis, keepdims=keepdims))
    assert_grads(lambda t: op(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_of_a_scalar_and_float32(name):
    op, ref = REDUCTIONS[name]
    close(op(np.float64(0.7)).data, ref(np.float64(0.7)))
    y, (g,) = float32_run(lambda t: op(t, axis=-1), rand((3, 4), seed=1))
    assert g is not None


def test_prod_gradient_with_zeros():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    assert_grads(lambda t: ops.prod(t, axis=1), x)
    assert_grads(lambda t: ops.prod(t), x[2])


def test_max_ties_share_the_gradient():
    x = ember.Variable(np.array([1.0, 3.0, 3.0]))
    with ember.GradientTape() as tape:
        y = ops.max(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0, 0.5, 0.5])


def test_logsumexp_is_stable():
    x = np.array([1000.0, 1000.0, -np.inf])
    close(ops.logsumexp(x).data, 1000 + np.log(2))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_index_reductions(name, axis):
    x = rand((3, 4), seed=2)
    np.testing.assert_array_equal(getattr(ops, name)(x, axis=axis).numpy(),
                                  getattr(np, name)(x, axis=axis))


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_boolean_reductions(name, keepdims):
    x = np.array([[True, False], [True, True]])
    np.testing.assert_array_equal(getattr(ops, name)(x, axis=1, keepdims=keepdims).numpy(),
                                  getattr(np, name)(x, axis=1, keepdims=keepdims))


def test_count_nonzero_and_median():
    x = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]])
    np.testing.assert_array_equal(ops.count_nonzero(x, axis=1).numpy(), [2, 1])
    close(ops.median(x, axis=1).numpy(), np.median(x, axis=1))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum(axis):
    x = rand((3, 4), seed=4)
    close(ops.cumsum(x, axis=axis).data, np.cumsum(x, axis=axis))
    assert_grads(lambda t: ops.cumsum(t, axis=axis), x)


@pytest.mark.parametrize("axis,wshape", [(None, None), (1, (4,)), (None, (3, 4)), (0, (3, 1))])
def test_average(axis, wshape):
    x = rand((3, 4), seed=4)
    w = None if wshape is None else rand(wshape, seed=5, low=0.5, high=1.5)
    close(ops.average(x, axis=axis, weights=w).data, np.average(
        x, axis=axis, weights=None if w is None else np.broadcast_to(
            w.reshape(-1) if (axis is not None and w.ndim == 1) else w,
            x.shape if w.ndim > 1 or axis is None else (x.shape[axis],))))
    if w is not None:
        assert_grads(lambda t, u: ops.average(t, axis=axis, weights=u), x, w)


def test_bad_axis_names_the_op():
    with pytest.raises(ValueError, match="sum: axis 2 is out of range for an input of rank 2"):
        ops.sum(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="mean: repeated axis"):
        ops.mean(np.ones((2, 3)), axis=(0, -2))
    with pytest.raises(ValueError, match="argmax: axis -3"):
        ops.argmax(np.ones((2, 3)), axis=-3)


@settings(max_examples=20, deadline=None)
@given(
    shape=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    data=st.data(),
    keepdims=st.booleans(),
    name=st.sampled_from(["sum", "mean", "max", "var", "logsumexp"]),
)
def test_reduction_on_random_shapes_and_axes(shape, data, keepdims, name):
    op, ref = REDUCTIONS[name]
    ndim = len(shape)
    axis = data.draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1)))
    x = rand(tuple(shape), seed=len(shape))
    close(op(x, axis=axis, keepdims=keepdims).data, ref(x, axis=axis, keepdims=keepdims))
    assert_grads(lambda t: op(t, axis=axis, keepdims=keepdims), x)
