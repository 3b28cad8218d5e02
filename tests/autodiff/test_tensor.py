"""Tensor and Variable: state, conversions, operators."""

import numpy as np
import pytest

import ember
from ember import ops


def test_variable_defaults_to_float32_and_converts():
    v = ember.Variable([1.0, 2.0], name="w")
    assert v.dtype == np.float32 and v.shape == (2,) and v.trainable
    assert v.name == "w:0" and v.path == "w"  # TensorFlow's name, Keras's path
    assert ember.Variable(np.ones(2)).dtype == np.float32
    assert ember.Variable(np.arange(3)).dtype == np.int64
    assert ember.Variable(np.ones(2), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    assert np.asarray(v).dtype == np.float32
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_from_initializer_callable():
    v = ember.Variable(lambda shape, dtype: np.full(shape, 3.0, dtype=dtype), shape=(2, 2))
    assert v.dtype == np.float32 and v.numpy().sum() == 12
    with pytest.raises(ValueError, match="a callable initializer needs a `shape`"):
        ember.Variable(lambda shape, dtype: np.ones(shape))


def test_assign_assign_add_assign_sub_in_place():
    v = ember.Variable(np.zeros(3))
    data = v.data
    v.assign([1.0, 2.0, 3.0])
    v.assign_add(np.ones(3))
    v.assign_sub(ember.convert_to_tensor(np.full(3, 0.5)))
    assert v.data is data
    np.testing.assert_allclose(v.numpy(), [1.5, 2.5, 3.5])
    assert v.dtype == np.float32
    with pytest.raises(ValueError, match=r"has shape \(3,\); cannot assign a value of shape"):
        v.assign(np.ones(4))


def test_arithmetic_operators_and_gradients():
    a = ember.Variable(np.array([1.0, 2.0]))
    b = ember.Variable(np.array([3.0, 4.0]))
    with ember.GradientTape() as tape:
        y = ops.sum((a + b) * (a - b) / b + a ** 2 - (-a) + 2 / b + 1 - a * 3)
    ga, gb = tape.gradient(y, [a, b])
    an, bn = a.numpy().astype("float64"), b.numpy().astype("float64")
    np.testing.assert_allclose(ga.numpy(), 2 * an / bn + 2 * an + 1 - 3, rtol=1e-6)
    np.testing.assert_allclose(gb.numpy(), -an ** 2 / bn ** 2 - 1 - 2 / bn ** 2, rtol=1e-6)


def test_matmul_abs_pos_rpow_operators():
    m = ember.Variable(np.eye(2) * 2)
    v = np.array([1.0, -1.0])
    np.testing.assert_allclose((m @ v).numpy(), [2.0, -2.0])
    np.testing.assert_allclose((v @ m).numpy(), [2.0, -2.0])
    np.testing.assert_allclose(abs(ember.Variable(v)).numpy(), [1.0, 1.0])
    assert (+m) is m
    np.testing.assert_allclose((2 ** ember.Variable([1.0, 2.0])).numpy(), [2.0, 4.0])


def test_comparisons_return_boolean_tensors():
    a = ember.Variable(np.array([1.0, 2.0, 3.0]))
    for result, expected in [(a == 2, [0, 1, 0]), (a != 2, [1, 0, 1]), (a < 2, [1, 0, 0]),
                             (a <= 2, [1, 1, 0]), (a > 2, [0, 0, 1]), (a >= 2, [0, 1, 1])]:
        assert isinstance(result, ember.Tensor)
        assert result.dtype == bool
        np.testing.assert_array_equal(result.numpy(), expected)


def test_indexing_with_ints_slices_and_arrays():
    x = ember.Variable(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(x[1].numpy(), [4, 5, 6, 7])
    np.testing.assert_array_equal(x[:, 1:3].numpy(), [[1, 2], [5, 6], [9, 10]])
    np.testing.assert_array_equal(x[np.array([2, 0])].numpy()[:, 0], [8, 0])
    np.testing.assert_array_equal(x[x > 9].numpy(), [10, 11])
    with ember.GradientTape() as tape:
        y = ops.sum(x[np.array([0, 0, 2]), 1:3])
    g = tape.gradient(y, x).numpy()
    np.testing.assert_array_equal(g, [[0, 2, 2, 0], [0, 0, 0, 0], [0, 1, 1, 0]])


def test_tensor_protocols():
    t = ember.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.dtype == np.float32 and t.ndim == 2 and t.size == 4 and len(t) == 2
    assert [r.numpy().tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(t[0, 0]) == 1.0 and int(t[1, 1]) == 4 and bool(t[0, 0])
    np.testing.assert_array_equal(t.T.numpy(), [[1, 3], [2, 4]])
    assert t.astype("float64").dtype == np.float64
    assert "Tensor" in repr(t) and "Variable" in repr(ember.Variable(1.0))
    with pytest.raises(TypeError, match="len"):
        len(ember.convert_to_tensor(1.0))
    assert ember.convert_to_tensor(np.ones(2)).dtype == np.float64  # arrays keep their dtype
