"""A ``tf.function`` replays each op on its new inputs: ops whose result is computed outside
the tape's differentiable ops (sorting, arg-reductions, rounding, one-hot, ...) must not have
their first call's values frozen into the trace.

Each case calls a traced function on several inputs of one signature and compares with the
same function run eagerly."""

import warnings

import numpy as np
import pytest

import ember as tf

CASES = {
    "sort": lambda x: tf.sort(x),
    "sort_descending": lambda x: tf.sort(x, direction="DESCENDING"),
    "argsort": lambda x: tf.argsort(x),
    "argsort_descending": lambda x: tf.argsort(x, direction="DESCENDING"),
    "ops_sort": lambda x: tf.ops.sort(x),
    "ops_argsort": lambda x: tf.ops.argsort(x),
    "argmax": lambda x: tf.argmax(x),
    "argmin": lambda x: tf.math.argmin(x),
    "round": lambda x: tf.round(x * 3.0),
    "floor": lambda x: tf.floor(x * 3.0),
    "ceil": lambda x: tf.math.ceil(x * 3.0),
    "sign": lambda x: tf.sign(x - 0.5),
    "is_nan": lambda x: tf.math.is_nan(tf.where(x > 0.5, x, float("nan"))),
    "count_nonzero": lambda x: tf.math.count_nonzero(x > 0.5),
    "logical_and": lambda x: tf.logical_and(x > 0.2, x < 0.7),
    "logical_not": lambda x: tf.logical_not(x > 0.5),
    "one_hot": lambda x: tf.one_hot(tf.cast(x * 4.0, tf.int32), 4),
    "fill": lambda x: tf.fill([2], tf.reduce_max(x)),
    "reduce_mean_int": lambda x: tf.reduce_mean(tf.cast(x * 10.0, tf.int32)),
    "reduce_sum_int": lambda x: tf.reduce_sum(tf.cast(x * 10.0, tf.int32)),
    "where_coordinates": lambda x: tf.where(x > 0.5),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_replay_computes_on_new_inputs(name):
    fn = CASES[name]
    traced = tf.function(fn)
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of these needs the eager fallback
        for _ in range(3):
            x = tf.constant(rng.uniform(size=5).astype("float32"))
            got, want = traced(x), fn(x)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert traced.experimental_get_tracing_count() == 1


def test_sort_gradient_reaches_each_position():
    x = tf.Variable([3.0, 1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.sort(x, direction="DESCENDING") * tf.constant([1.0, 10.0, 100.0]))
    # descending: 3 (weight 1), 2 (weight 10), 1 (weight 100)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 100.0, 10.0])
    tf.check_gradients(lambda a: tf.ops.sort(a, axis=0) * a[::-1],
                       [np.array([[0.3, -1.2], [2.0, 0.7], [-0.4, 0.1]])])


def test_traced_gather_indices_are_not_frozen():
    fn = tf.function(lambda x, i: tf.ops.take_along_axis(x, i, axis=0))
    x = tf.constant([5.0, 6.0, 7.0])
    with pytest.warns(UserWarning):  # an index array read in Python: runs eagerly, correctly
        assert fn(x, tf.constant([2, 0])).numpy().tolist() == [7.0, 5.0]
    assert fn(x, tf.constant([1, 1])).numpy().tolist() == [6.0, 6.0]


def test_sort_and_one_hot_errors_name_the_op():
    with pytest.raises(ValueError, match="sort: the input must have at least one dimension"):
        tf.ops.sort(3.0)
    with pytest.raises(ValueError, match="sort: axis -1 is out of range for an input of rank 0"):
        tf.sort(tf.constant(3.0))
    with pytest.raises(ValueError, match="one_hot: axis 5 is out of range for indices of rank 1"):
        tf.one_hot([1, 2], 3, axis=5)
