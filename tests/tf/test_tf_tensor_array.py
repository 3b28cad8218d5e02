"""tf.TensorArray: TensorFlow's eager behaviour (checked against TensorFlow 2.21): in-place
writes, zeros for unwritten elements, clear_after_read, dynamic_size, and gradients through
stack/read."""

import numpy as np
import pytest

import ember as tf
from ember.tf.errors import InvalidArgumentError, OutOfRangeError


def _np(t):
    return np.asarray(t)


def test_write_read_stack_and_zeros_for_unwritten():
    ta = tf.TensorArray(tf.float32, size=3)
    assert ta.write(0, 1.0).write(2, 2.0) is ta  # eager writes change the array in place
    assert int(ta.size()) == 3 and ta.size().dtype == np.int32
    assert ta.dtype == tf.float32 and not ta.dynamic_size and ta.element_shape == []
    assert float(ta.read(0)) == 1.0 and float(ta.read(1)) == 0.0
    out = ta.stack()  # element 0 was cleared by its read: zeros, as TensorFlow
    assert out.dtype == np.float32 and _np(out).tolist() == [0.0, 0.0, 2.0]


def test_clear_after_read():
    ta = tf.TensorArray(tf.float32, size=1).write(0, 1.0)
    assert float(ta.read(0)) == 1.0
    with pytest.raises(InvalidArgumentError, match="Could not read index 0 twice"):
        ta.read(0)
    with pytest.raises(InvalidArgumentError, match="twice"):
        ta.identity().read(0)
    keep = tf.TensorArray(tf.float32, size=1, clear_after_read=False).write(0, 3.0)
    assert float(keep.read(0)) == 3.0 and float(keep.read(0)) == 3.0


def test_rows_gather_concat_and_dynamic_size():
    rows = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    ta = tf.TensorArray(tf.float32, size=2).unstack(rows)
    np.testing.assert_array_equal(_np(ta.gather([1, 0])), rows[[1, 0]])
    np.testing.assert_array_equal(_np(ta.concat()), rows.reshape(-1))
    np.testing.assert_array_equal(_np(ta.read(1)), rows[1])
    grow = tf.TensorArray(tf.float32, size=0, dynamic_size=True).write(0, 1.0).write(3, 2.0)
    assert int(grow.size()) == 4 and _np(grow.stack()).tolist() == [1.0, 0.0, 0.0, 2.0]
    assert tf.TensorArray(tf.float32, size=0).stack().shape == (0,)
    assert tf.TensorArray(tf.float32, size=0, element_shape=[2]).stack().shape == (0, 2)
    scattered = tf.TensorArray(tf.float32, size=3).scatter([2, 0], [[1.0], [2.0]])
    assert _np(scattered.stack()).tolist() == [[2.0], [0.0], [1.0]]
    pieces = tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 2])
    assert _np(pieces.read(1)).tolist() == [2.0, 3.0]
    assert tf.TensorArray(tf.int32, size=1).write(0, 7).stack().dtype == np.int32
    ta = tf.TensorArray(tf.float32, size=1).write(0, 1.0)
    assert ta.close() is None and int(ta.size()) == 0


def test_errors():
    ta = tf.TensorArray(tf.float32, size=2).write(0, [1.0, 2.0])
    with pytest.raises(OutOfRangeError, match="not resizeable and size is: 2"):
        ta.write(2, [1.0, 1.0])
    with pytest.raises(ValueError, match="Incompatible shape for value \\(\\(3,\\)\\), expected "
                       "\\(\\(2,\\)\\)"):
        ta.write(1, [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="expected \\(\\(2,\\)\\)"):
        tf.TensorArray(tf.float32, size=1, element_shape=[2]).write(0, [1.0])
    with pytest.raises(InvalidArgumentError, match="dtype is int32 but Op is trying to write "
                       "dtype float32"):
        tf.TensorArray(tf.int32, size=1).write(0, np.array(1.5, "float32"))
    with pytest.raises(TypeError):
        tf.TensorArray(tf.int32, size=1).write(0, 1.5)  # a lossy Python conversion
    with pytest.raises(OutOfRangeError, match="negative"):
        ta.write(-1, [2.0, 2.0])
    with pytest.raises(OutOfRangeError, match="index 5 but array size is: 2"):
        ta.read(5)
    with pytest.raises(ValueError, match="Cannot unstack 3 tensors into a TensorArray of static "
                       "size 2"):
        tf.TensorArray(tf.float32, size=2).unstack(np.ones((3, 2), "float32"))
    with pytest.raises(InvalidArgumentError, match="never written"):
        tf.TensorArray(tf.float32, size=1).read(0)
    with pytest.raises(InvalidArgumentError, match="sum to the rows"):
        tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 1])
    with pytest.raises(ValueError, match="Cannot split into 3 pieces"):
        tf.TensorArray(tf.float32, size=2).split([1.0, 2.0, 3.0], [1, 1, 1])
    with pytest.raises(InvalidArgumentError, match="rank >= 1"):
        tf.TensorArray(tf.float32, size=1).write(0, 1.0).concat()
    with pytest.raises(ValueError, match="size must be non-negative"):
        tf.TensorArray(tf.float32, size=-1)


def test_gradients_through_stack_and_read():
    x = tf.Variable(np.array([1.0, 2.0], "float32"))
    with tf.GradientTape() as tape:
        ta = tf.TensorArray(tf.float32, size=2)
        ta = ta.write(0, x * 2.0).write(1, x * x)
        y = tf.reduce_sum(ta.stack()) + tf.reduce_sum(ta.read(1))
    np.testing.assert_allclose(_np(tape.gradient(y, x)), 2.0 + 2 * 2 * np.array([1.0, 2.0]))


def test_in_a_while_loop():
    """The tutorials' pattern: accumulate per-step results in a loop, then stack them."""
    x = tf.Variable(np.array([0.5, -1.0], "float32"))

    def body(i, state, ta):
        state = tf.tanh(state + x)
        return i + 1, state, ta.write(i, state)

    with tf.GradientTape() as tape:
        _, _, ta = tf.while_loop(lambda i, s, ta: i < 3, body,
                                 (0, tf.zeros(2), tf.TensorArray(tf.float32, size=3)))
        out = ta.stack()
        loss = tf.reduce_sum(out)
    want, s = [], np.zeros(2)
    for _ in range(3):
        s = np.tanh(s + np.array([0.5, -1.0]))
        want.append(s)
    np.testing.assert_allclose(_np(out), want, rtol=1e-6)
    assert tape.gradient(loss, x).shape == (2,)


def test_under_tf_function():
    @tf.function
    def steps(x):
        def body(i, s, ta):
            s = s + x
            return i + 1, s, ta.write(i, s)

        _, _, ta = tf.while_loop(lambda i, s, ta: i < 3, body,
                                 (0, tf.zeros(2), tf.TensorArray(tf.float32, size=3)))
        return ta.stack()

    # a loop condition read into Python makes tf.function run eagerly (it says so): right
    # values for every input, never ones frozen at trace time
    with pytest.warns(UserWarning, match="cannot be replayed"):
        for x in ([1.0, 2.0], [3.0, 4.0]):
            want = np.array(x, "float32") * np.arange(1, 4, dtype="float32")[:, None]
            np.testing.assert_allclose(_np(steps(tf.constant(x))), want)
