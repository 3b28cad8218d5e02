"""check_gradients: passes for a correct gradient, catches a wrong one."""

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff.function import Function
from ember.autodiff.gradcheck import GradientCheckError, check_gradients


class _Cube(Function):
    def __init__(self, factor):
        self.factor = factor  # 3 is right; anything else is a deliberately wrong gradient

    def forward(self, x):
        self.saved = x
        return x ** 3

    def backward(self, gy):
        return (gy * self.factor * self.saved ** 2,)


def test_a_correct_gradient_passes():
    report = check_gradients(lambda t: _Cube(3).apply(t), [np.array([0.5, -1.0, 2.0])])
    assert report["input_0"] < 1e-7


def test_a_wrong_gradient_is_detected_and_named():
    with pytest.raises(GradientCheckError, match=r"the gradient for input_0 \(shape \(3,\)\) "
                                                 r"differs from finite differences"):
        check_gradients(lambda t: _Cube(2.9).apply(t), [np.array([0.5, -1.0, 2.0])])
    report = check_gradients(lambda t: _Cube(2.9).apply(t), [np.array([1.0])],
                             raise_on_failure=False)
    assert report["input_0"] > 1e-2


def test_a_missing_gradient_is_detected():
    with pytest.raises(GradientCheckError):
        check_gradients(lambda t: ops.stop_gradient(t) * t, [np.array([1.0, 2.0])])


def test_variables_integer_inputs_and_float32_restored():
    w = ember.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], dtype="float32"), name="kernel")
    idx = np.array([1, 0, 1])
    report = check_gradients(lambda x, i: ops.matmul(ops.take(x, i, axis=0), w),
                             [np.ones((2, 2)), idx], variables=[w])
    assert set(report) == {"input_0", "kernel"}
    assert w.dtype == np.float32  # restored after the check


def test_non_contiguous_inputs_are_perturbed():
    x = np.arange(6.0).reshape(2, 3).T  # a transposed (Fortran-ordered) view
    report = check_gradients(lambda t: ops.sum(t * t, axis=0), [x])
    assert report["input_0"] < 1e-7


def test_public_names():
    assert ember.utils.check_gradients is check_gradients
    assert ember.check_gradients is check_gradients


def test_fn_must_return_a_tensor():
    with pytest.raises(TypeError, match="fn must return a Tensor"):
        check_gradients(lambda t: 1.0, [np.ones(2)])
