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


# -- cumulative products, NaN-skipping reductions, quantiles --------------------------------------
def _with_nans(shape, seed):
    x = rand(shape, seed)
    x[0, 1] = x[-1, -1] = np.nan
    return x


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumprod_forward_and_gradient_with_zeros(axis):
    x = rand((3, 4), seed=4)
    x[1, 2] = x[0, 0] = x[2, 1] = x[2, 3] = 0.0
    close(ops.cumprod(x, axis=axis).data, np.cumprod(x, axis=axis))
    assert_grads(lambda t: ops.cumprod(t, axis=axis), x)
    y, (g,) = float32_run(lambda t: ops.cumprod(t, axis=axis), x)
    assert g is not None


def test_cumprod_dtypes():
    assert ops.cumprod(np.array([True, True, False])).dtype == np.int32
    ints = np.array([[2, 3], [4, 5]], "int32")
    out = ops.cumprod(ints, axis=1)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), np.cumprod(ints, axis=1))
    assert ops.cumprod(ints, axis=0, dtype="float32").dtype == np.float32
    with pytest.raises(ValueError, match="cumprod: axis 2 is out of range"):
        ops.cumprod(ints, axis=2)


@pytest.mark.parametrize("name,fill", [("nancumsum", 0.0), ("nancumprod", 1.0)])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_cumulative(name, fill, axis):
    x = _with_nans((3, 4), 2)
    close(getattr(ops, name)(x, axis=axis).data, getattr(np, name)(x, axis=axis))
    assert_grads(lambda t: getattr(ops, name)(t, axis=axis), x)
    ints = np.array([[1, 2], [3, 4]], "int8")
    assert getattr(ops, name)(ints, axis=1).dtype == np.int8


NAN_REDUCTIONS = ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
                  "nanmedian"]


@pytest.mark.parametrize("name", NAN_REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_nan_reductions_forward_and_gradient(name, axis, keepdims):
    x = _with_nans((3, 4), 5)
    close(getattr(ops, name)(x, axis=axis, keepdims=keepdims).data,
          getattr(np, name)(x, axis=axis, keepdims=keepdims))
    assert_grads(lambda t: getattr(ops, name)(t, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", NAN_REDUCTIONS)
def test_nan_reductions_of_an_all_nan_slice(name):
    x = np.array([[np.nan, np.nan], [1.0, 2.0]], "float32")
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if name not in (
            "nansum", "nanprod") else _no_warning():
        ref = getattr(np, name)(x, axis=1)
    out = getattr(ops, name)(x, axis=1)
    assert out.dtype == np.float32
    close(out.numpy(), ref)


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("name", NAN_REDUCTIONS)
def test_nan_reductions_float32_and_integer_input(name):
    y, (g,) = float32_run(lambda t: getattr(ops, name)(t, axis=1), _with_nans((3, 4), 1))
    assert g is not None
    ints = np.array([[1, 5, 2], [4, 0, 3]], "int8")
    close(getattr(ops, name)(ints, axis=1).numpy(), getattr(np, name)(ints, axis=1))


@pytest.mark.parametrize("name", ["nanargmax", "nanargmin"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_arg_reductions(name, axis):
    x = _with_nans((3, 4), 3)
    out = getattr(ops, name)(x, axis=axis)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(x, axis=axis))
    # an all-NaN slice gives -1 (JAX's answer; NumPy raises)
    np.testing.assert_array_equal(
        getattr(ops, name)(np.array([[np.nan, np.nan], [1.0, 0.0]]), axis=1).numpy(),
        [-1, 0 if name == "nanargmax" else 1])
    with pytest.raises(ValueError, match=f"{name}: axis 2 is out of range"):
        getattr(ops, name)(x, axis=2)


def test_nan_reductions_of_integers_keep_keras_dtypes():
    i8 = np.array([1, 2], "int8")
    assert ops.nansum(i8).dtype == np.int32 and ops.nanprod(i8).dtype == np.int32
    assert ops.nansum(np.array([True, True])).dtype == np.int32
    assert ops.nansum(np.array([1, 2], "uint8")).dtype == np.uint32
    assert ops.nanmax(i8).dtype == np.int8
    assert ops.nanmean(i8).dtype == np.float32
    assert ops.prod(np.array([2, 3], "int32")).dtype == np.int32


def test_ptp():
    x = rand((3, 4), seed=7)
    close(ops.ptp(x, axis=1).data, np.ptp(x, axis=1))
    assert_grads(lambda t: ops.ptp(t, axis=0, keepdims=True), x)
    with pytest.raises(TypeError, match="ptp: boolean input"):
        ops.ptp(np.array([True, False]))


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 2), -1], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_quantile_matches_numpy(method, axis, keepdims):
    x = rand((3, 5, 2), seed=8)
    for q in (0.0, 0.37, 1.0, np.array([0.1, 0.5, 0.9]), np.array([[0.25], [0.75]])):
        close(ops.quantile(x, q, axis=axis, method=method, keepdims=keepdims).data,
              np.quantile(x, q, axis=axis, method=method, keepdims=keepdims))
        close(ops.percentile(x, np.asarray(q) * 100, axis=axis, method=method,
                             keepdims=keepdims).data,
              np.percentile(x, np.asarray(q) * 100, axis=axis, method=method,
                            keepdims=keepdims))


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 1], ids=str)
def test_nanquantile_matches_numpy(method, axis):
    x = _with_nans((3, 5), 9)
    x[2] = np.nan
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if axis == 1 else _no_warning():
        ref = np.nanquantile(x, [0.2, 0.5], axis=axis, method=method)
    close(ops.nanquantile(x, [0.2, 0.5], axis=axis, method=method).data, ref)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning) if axis == 1 else _no_warning():
        ref = np.nanpercentile(x, 60, axis=axis, method=method)
    close(ops.nanpercentile(x, 60, axis=axis, method=method).data, ref)


def test_quantile_of_a_slice_with_nan_is_nan():
    x = np.array([[1.0, np.nan, 3.0], [1.0, 2.0, 4.0]])
    close(ops.quantile(x, 0.5, axis=1).data, np.quantile(x, 0.5, axis=1))
    close(ops.median(x, axis=1).data, np.median(x, axis=1))


@pytest.mark.parametrize("fn", [
    lambda t: ops.quantile(t, [0.3, 0.8], axis=1),
    lambda t: ops.percentile(t, 45.0, axis=0, keepdims=True),
    lambda t: ops.median(t),
    lambda t: ops.median(t, axis=1),
    lambda t: ops.nanquantile(t, 0.6, axis=1),
])
def test_quantile_gradients(fn):
    assert_grads(fn, rand((3, 4), seed=10))
    y, (g,) = float32_run(fn, rand((3, 4), seed=10))
    assert g is not None


def test_quantile_integer_input_and_errors():
    ints = np.array([[1, 7, 3], [4, 2, 9]], "int32")
    out = ops.quantile(ints, 0.5, axis=1)
    assert out.dtype == np.float32
    close(out.numpy(), np.quantile(ints, 0.5, axis=1))
    assert ops.median(ints).dtype == np.float32
    with pytest.raises(ValueError, match="quantile: method must be one of"):
        ops.quantile(ints, 0.5, method="hazen")
    with pytest.raises(ValueError, match=r"quantile: q must be in \[0, 1\]"):
        ops.quantile(ints, 1.5)
    with pytest.raises(ValueError, match=r"percentile: q must be in \[0, 100\]"):
        ops.percentile(ints, [50, 101])
    with pytest.raises(ValueError, match="nanquantile: repeated axis"):
        ops.nanquantile(ints, 0.5, axis=(0, -2))
    with pytest.raises(ValueError, match="median: axis 3 is out of range"):
        ops.median(ints, axis=3)
    with pytest.raises(ValueError, match="quantile: cannot take quantiles of an empty"):
        ops.quantile(np.ones((2, 0)), 0.5, axis=1)


def test_cumprod_gradient_without_zeros():
    """The division path of cumprod's gradient (no zero in the input)."""
    x = rand((3, 5), seed=6, away=0.2)
    assert_grads(lambda t: ops.cumprod(t, axis=1), x)
    assert_grads(lambda t: ops.nancumprod(t, axis=0), x)
