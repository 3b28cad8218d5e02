"""Variables and tensors as TensorFlow's eager ones: names, reads, and the operators beyond
arithmetic (``%``, ``//``, ``&``, ``|``, ``^``, ``~``).

Expected values come from TensorFlow 2.21 (observed in a scratch environment) and are written
here as the NumPy computation that gives them.
"""

import numpy as np
import pytest

import ember
import ember as tf
from ember.layers import Dense


def test_a_users_variable_is_named_as_tensorflow_names_it():
    assert tf.Variable(1.0, name="Mark").name == "Mark:0"
    assert tf.Variable(1.0).name == "Variable:0"
    v = tf.Variable(1.0, name="x")
    assert v.path == "x"  # the plain name, as Keras's path
    assert tf.Variable(1.0, name="already:1").name == "already:1"
    # unnamed variables keep distinct paths (checkpoints and optimizer slots key on paths)
    assert tf.Variable(1.0).path != tf.Variable(1.0).path


def test_layer_weights_keep_keras_names_and_are_variables():
    layer = Dense(2)
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]  # as tf.keras 2.21 / Keras 3
    assert all(isinstance(w, tf.Variable) for w in layer.weights)
    assert all(isinstance(w, ember.tf.Variable) for w in layer.weights)
    assert issubclass(type(layer.kernel), tf.Variable)
    assert not isinstance(tf.constant(1.0), tf.Variable)


def test_convert_to_tensor_reads_a_variable():
    v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    t = tf.convert_to_tensor(v)
    assert type(t) is ember.Tensor and not isinstance(t, tf.Variable)
    v.assign([[0.0, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(t.numpy(), [[1.0, 2.0], [3.0, 4.0]])  # a copy, as TF's read
    assert tf.convert_to_tensor(v, dtype="float64").dtype == np.float64
    assert ember.ops.convert_to_tensor(v) is not v


def test_gradients_flow_through_a_read():
    w = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.convert_to_tensor(w) ** 2 + w.read_value()
    assert float(tape.gradient(y, w)) == 2 * 3.0 + 1.0
    x = tf.Variable([1.0, -2.0])
    ember.check_gradients(lambda a: tf.convert_to_tensor(a) * a, [np.array([1.0, -2.0])])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.convert_to_tensor(x) ** 3
        g = inner.gradient(y, x)
    np.testing.assert_allclose(outer.gradient(g, x).numpy(), 6 * x.numpy())


@pytest.mark.parametrize("a, b", [([5, 6, -7], 4), ([7.5, -7.5], 2.0), ([5, -6], -4)])
def test_mod_and_floordiv_follow_numpy_and_keep_the_dtype(a, b):
    t = tf.constant(a)
    ref_a = np.asarray(a, dtype=t.dtype)
    for got, want in [(t % b, np.mod(ref_a, b)), (t // b, np.floor_divide(ref_a, b)),
                      (b % t, np.mod(b, ref_a)), (b // t, np.floor_divide(b, ref_a))]:
        assert got.dtype == t.dtype
        np.testing.assert_array_equal(got.numpy(), want)


def test_dataset_style_modulo_filter():
    # the tf.data guide's filter: `lambda x: x % 2 == 0`
    evens = [int(x) for x in tf.range(10) if bool(x % 2 == 0)]
    assert evens == [0, 2, 4, 6, 8]


def test_logical_operators_on_bools():
    a, b = tf.constant([True, False, True]), tf.constant([True, True, False])
    na, nb = a.numpy(), b.numpy()
    for got, want in [(a & b, na & nb), (a | b, na | nb), (a ^ b, na ^ nb), (~a, ~na),
                      (True & a, True & na), (False | a, False | na)]:
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), want)


def test_bitwise_operators_on_integers():
    i = tf.constant([5, 6, -1])
    n = i.numpy()
    for got, want in [(i & 3, n & 3), (i | 8, n | 8), (i ^ 1, n ^ 1), (~i, ~n), (3 & i, 3 & n)]:
        assert got.dtype == np.int32
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("op", [lambda x: x & x, lambda x: x | 1, lambda x: ~x,
                                lambda x: x ^ x])
def test_bitwise_operators_refuse_floats(op):
    with pytest.raises(TypeError, match="boolean or integer tensors.*float32"):
        op(tf.constant([1.0, 2.0]))


def test_variable_numpy_is_a_snapshot():
    a = tf.Variable([5.0, 6.0])
    added = a.assign_add([2, 3]).numpy()
    a.assign_sub([7, 9])
    np.testing.assert_array_equal(added, [7.0, 9.0])  # TF: numpy() is a copy
    np.testing.assert_array_equal(a.numpy(), [0.0, 0.0])


def test_get_weights_are_copies():
    layer = Dense(2)
    layer.build((None, 3))
    weights = layer.get_weights()
    weights[0][...] = 7.0
    assert not np.any(layer.kernel.numpy() == 7.0)
