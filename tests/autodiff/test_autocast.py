"""Autocasting (ember.autodiff.function): under an autocast dtype, ops read float Variables in
that dtype, through a recorded cast whose gradient reaches the variable in its own dtype."""

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff import function
from ember.autodiff.gradcheck import check_gradients


@pytest.fixture
def autocast():
    """Set the autocast dtype for one test (restored afterwards)."""
    previous = function.autocast_dtype()

    def set_(dtype):
        function.set_autocast_dtype(None if dtype is None else np.dtype(dtype))

    yield set_
    function.set_autocast_dtype(previous)


def test_no_autocast_by_default():
    assert function.autocast_dtype() is None


def test_set_autocast_dtype_returns_the_previous_one(autocast):
    assert function.set_autocast_dtype(np.dtype("float16")) is None
    assert function.set_autocast_dtype(None) == np.dtype("float16")


def test_float_variables_are_read_in_the_autocast_dtype(autocast):
    v = ember.Variable(np.arange(6, dtype="float32").reshape(2, 3))
    t = ember.ops.convert_to_tensor(np.ones((2, 3), "float32"))
    autocast("float16")
    assert ops.multiply(v, 2.0).dtype == np.float16
    # a plain Tensor is not a variable: not cast (NumPy promotes float16 and float32)
    assert ops.add(ops.multiply(v, 1.0), t).dtype == np.float32
    np.testing.assert_array_equal(ops.multiply(v, 2.0).numpy(),
                                  (v.numpy() * 2).astype("float16"))
    assert v.dtype == np.float32  # the variable itself is untouched


def test_integer_and_opted_out_variables_are_not_cast(autocast):
    i = ember.Variable(np.arange(3, dtype="int32"))
    f = ember.Variable(np.ones(3, "float32"))
    f.autocast = False
    autocast("float16")
    assert ops.add(i, i).dtype == np.int32
    assert ops.multiply(f, f).dtype == np.float32


def test_gradient_reaches_the_variable_in_its_dtype(autocast):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")
    v = ember.Variable(x)
    autocast("float16")
    with ember.GradientTape() as tape:
        y = ops.sum(ops.cast(ops.square(v), "float32"))
    autocast(None)
    (g,) = tape.gradient(y, [v])
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), 2 * x, rtol=2e-3, atol=2e-3)


def test_assignments_go_to_the_variable(autocast):
    v = ember.Variable(np.ones(2, "float32"))
    autocast("float16")
    v.assign(ops.multiply(v, 3.0))
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v.numpy(), [3.0, 3.0])


def test_autocast_variable_gradient_matches_finite_differences(autocast):
    # variables run in float64 during the check; the op reads them in float32
    x = np.random.default_rng(1).uniform(0.5, 1.5, (3, 2))
    v = ember.Variable(x, dtype="float64")
    autocast("float32")
    report = check_gradients(lambda: ops.sin(v) * v, [], variables=[v], eps=1e-3,
                             tolerance=1e-3)
    assert report


def test_autocast_variable_second_derivative(autocast):
    v = ember.Variable(np.array([0.5, -1.0], "float32"))
    autocast("float16")
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            y = ops.sum(ops.cast(ops.power(v, 3.0), "float32"))
        (g,) = inner.gradient(y, [v])
    autocast(None)
    (h,) = outer.gradient(g, [v])
    np.testing.assert_allclose(h.numpy(), 6 * v.numpy(), rtol=1e-2)


def test_is_float_dtype_includes_bfloat16():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    assert function.is_float_dtype(np.dtype(ml_dtypes.bfloat16))
    assert function.is_float_dtype(np.dtype("float16"))
    assert not function.is_float_dtype(np.dtype("int8"))


def test_cast_from_bfloat16_passes_the_gradient():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = ember.Variable(np.array([1.5, -2.0], "float32"))
    with ember.GradientTape() as tape:
        b = ops.cast(x, ml_dtypes.bfloat16)
        y = ops.sum(ops.cast(b * b, "float32"))
    (g,) = tape.gradient(y, [x])
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy(), rtol=1e-2)


def test_bfloat16_next_to_float32_keeps_its_gradient():
    # a bfloat16 operand is a float: it is not cast (without gradient) to the other's dtype
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = ember.Variable(np.array([1.0, 2.0], "float32"))
    w = ember.ops.convert_to_tensor(np.array([3.0, 4.0], "float32"))
    with ember.GradientTape() as tape:
        y = ops.sum(ops.multiply(ops.cast(x, ml_dtypes.bfloat16), w))
    (g,) = tape.gradient(y, [x])
    np.testing.assert_allclose(g.numpy(), [3.0, 4.0])
