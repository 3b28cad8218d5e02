"""tf.bitwise (behaviour checked against TensorFlow 2.21; expected values from NumPy)."""

import numpy as np
import pytest

import ember as tf
from ember.tf.errors import InvalidArgumentError

A = np.array([5, 3, -8, 12], "int32")
B = np.array([6, 6, 3, 10], "int32")


def _np(t):
    return np.asarray(t)


@pytest.mark.parametrize("fn, ref", [
    (tf.bitwise.bitwise_and, np.bitwise_and), (tf.bitwise.bitwise_or, np.bitwise_or),
    (tf.bitwise.bitwise_xor, np.bitwise_xor)])
def test_binary_ops(fn, ref):
    out = fn(A, B)
    assert out.dtype == np.int32 and _np(out).tolist() == ref(A, B).tolist()
    wide = fn(np.array([5], "int64"), [6])  # a Python operand takes the tensor's dtype
    assert wide.dtype == np.int64 and _np(wide).tolist() == [ref(5, 6)]
    with pytest.raises(InvalidArgumentError, match="float"):
        fn(np.array([5.0], "float32"), np.array([6.0], "float32"))


def test_invert():
    u = np.array([5, 0, 255], "uint8")
    assert _np(tf.bitwise.invert(u)).tolist() == np.invert(u).tolist()
    assert _np(tf.bitwise.invert(A)).tolist() == np.invert(A).tolist()
    with pytest.raises(InvalidArgumentError, match="float"):
        tf.bitwise.invert(np.array([1.0], "float32"))


def test_shifts():
    small = np.array([1, 2, 3], "int32")
    assert _np(tf.bitwise.left_shift(A[:3], small)).tolist() == (A[:3] << small).tolist()
    assert _np(tf.bitwise.right_shift(A[:3], small)).tolist() == (A[:3] >> small).tolist()
    # shifting by the bit width or more: 0, or -1 for a negative value shifted right
    assert _np(tf.bitwise.left_shift([1, 2], [3, 40])).tolist() == [8, 0]
    assert _np(tf.bitwise.right_shift([-8, 8], [1, 40])).tolist() == [-4, 0]
    assert _np(tf.bitwise.right_shift([-8], [33])).tolist() == [-1]
    u = np.array([128], "uint8")
    assert _np(tf.bitwise.right_shift(u, np.array([7], "uint8"))).tolist() == [1]
    with pytest.raises(InvalidArgumentError, match="float"):
        tf.bitwise.left_shift(np.array([1.0], "float32"), np.array([1.0], "float32"))
