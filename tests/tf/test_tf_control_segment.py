"""tf.custom_gradient and tf.math.segment_prod / unsorted_segment_prod (their engines, shared
with keras.ops, are tested in tests/ops/test_control_flow.py and tests/ops/test_segment.py)."""

import numpy as np

import ember as tf
from ember.autodiff.gradcheck import check_gradients


def _np(t):
    return np.asarray(t)


def test_tf_custom_gradient_passes_one_upstream_per_result():
    assert tf.custom_gradient.__name__ == "custom_gradient"

    @tf.custom_gradient
    def f(x):
        def grad(dy1, dy2):
            return dy1 * 2.0 + dy2 * 100.0

        return (x * 2.0, x * 5.0), grad

    x = tf.Variable(np.array([1.0], "float32"))
    with tf.GradientTape() as tape:
        a, b = f(x)
        loss = a + b
    np.testing.assert_allclose(_np(tape.gradient(loss, x)), [102.0])


def test_tf_custom_gradient_with_variables_keyword():
    w = tf.Variable(np.array([2.0, 3.0], "float32"))

    @tf.custom_gradient
    def scaled(x):
        def grad(upstream, variables=None):
            assert [v is w for v in variables] == [True]
            return upstream * w, [upstream * x * 0.5]

        return x * w, grad

    x = tf.Variable(np.array([4.0, 4.0], "float32"))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(scaled(x))
    gx, gw = tape.gradient(y, [x, w])
    np.testing.assert_allclose(_np(gx), [2.0, 3.0])
    np.testing.assert_allclose(_np(gw), [2.0, 2.0])


def test_tf_math_segment_prod():
    data = np.array([2.0, 3.0, 4.0, 5.0], "float32")
    ids = np.array([0, 0, 2, 2])
    out = tf.math.unsorted_segment_prod(data, ids, 4)
    assert _np(out).tolist() == [6.0, 1.0, 20.0, 1.0] and out.dtype == np.float32
    assert _np(tf.math.segment_prod(data, ids)).tolist() == [6.0, 1.0, 20.0]
    assert tf.math.segment_prod.__name__ == "segment_prod"
    check_gradients(lambda d: tf.math.unsorted_segment_prod(d, ids, 3), [data.astype("float64")])
