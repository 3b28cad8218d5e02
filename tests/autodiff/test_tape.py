"""GradientTape semantics (as tf.GradientTape)."""

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff.function import Function


def test_gradient_of_a_simple_expression():
    x = ember.Variable(3.0)
    with ember.GradientTape() as tape:
        y = x * x + 2 * x
    assert float(tape.gradient(y, x)) == pytest.approx(8.0)


def test_unconnected_source_is_none_or_zero():
    x, z = ember.Variable(1.0), ember.Variable(np.ones(3))
    with ember.GradientTape(persistent=True) as tape:
        y = x * 2
    assert tape.gradient(y, z) is None
    g = tape.gradient(y, z, unconnected_gradients="zero")
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))
    assert g.dtype == z.dtype


def test_constants_need_watch():
    c = ember.convert_to_tensor(np.array([1.0, 2.0]))
    with ember.GradientTape() as tape:
        y = ops.sum(c * c)
    assert tape.gradient(y, c) is None
    with ember.GradientTape() as tape:
        tape.watch(c)
        y = ops.sum(c * c)
    np.testing.assert_allclose(tape.gradient(y, c).numpy(), [2.0, 4.0])


def test_watch_rejects_non_tensors():
    with ember.GradientTape() as tape:
        # ValueError with TensorFlow's message
        with pytest.raises(ValueError, match="of type 'ndarray', not tf.Tensor or tf.Variable"):
            tape.watch(np.ones(2))


def test_persistent_tape_allows_several_calls():
    x = ember.Variable(2.0)
    with ember.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    assert float(tape.gradient(y, x)) == pytest.approx(4.0)
    assert float(tape.gradient(z, x)) == pytest.approx(12.0)


def test_non_persistent_tape_second_call_errors():
    x = ember.Variable(2.0)
    with ember.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape can only be used to "
                                           "compute one set of gradients"):
        tape.gradient(y, x)


def test_nested_structures_of_sources():
    a, b, c = ember.Variable(1.0), ember.Variable(2.0), ember.Variable(3.0)
    with ember.GradientTape() as tape:
        y = a * b * c
    g = tape.gradient(y, {"x": [a, (b,)], "y": c})
    assert isinstance(g, dict) and isinstance(g["x"], list) and isinstance(g["x"][1], tuple)
    assert float(g["x"][0]) == 6.0 and float(g["x"][1][0]) == 3.0 and float(g["y"]) == 2.0


def test_stop_gradient():
    x = ember.Variable(3.0)
    with ember.GradientTape() as tape:
        y = x * ops.stop_gradient(x * x)
    assert float(tape.gradient(y, x)) == pytest.approx(9.0)
    with ember.GradientTape() as tape:
        y = ops.stop_gradient(x) * 2
    assert tape.gradient(y, x) is None


def test_non_scalar_target_is_summed():
    x = ember.Variable(np.array([1.0, 2.0, 3.0]))
    with ember.GradientTape() as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_list_of_targets_and_output_gradients():
    x = ember.Variable(np.array([1.0, 2.0]))
    with ember.GradientTape(persistent=True) as tape:
        y1 = x * 2
        y2 = x * x
    np.testing.assert_allclose(tape.gradient([y1, y2], x).numpy(), [4.0, 6.0])
    g = tape.gradient(y2, x, output_gradients=np.array([1.0, 10.0]))
    np.testing.assert_allclose(g.numpy(), [2.0, 40.0])


def test_gradient_accumulates_when_a_tensor_is_used_twice():
    x = ember.Variable(np.array([1.0, -2.0]))
    with ember.GradientTape() as tape:
        h = x * 3
        y = ops.sum(h * h + h)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 3 * (2 * 3 * x.numpy() + 1))


def test_gradient_with_respect_to_an_intermediate():
    x = ember.Variable(2.0)
    with ember.GradientTape() as tape:
        h = x * 3
        y = h * h
    gh, gx = tape.gradient(y, [h, x])
    assert float(gh) == pytest.approx(12.0) and float(gx) == pytest.approx(36.0)


def test_outputs_are_not_recorded_outside_a_tape():
    x = ember.Variable(np.ones(3))
    y = ops.relu(x * 2 + 1)
    assert y._rec == ()
    with ember.GradientTape() as tape:
        z = x * 2
        c = ember.convert_to_tensor(np.ones(3)) * 2  # no tracked input: not recorded
    assert z._rec == (tape._id,)
    assert c._rec == ()
    assert len(tape._nodes) == 1


def test_non_trainable_and_unwatched_variables():
    v = ember.Variable(2.0, trainable=False)
    with ember.GradientTape() as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    w = ember.Variable(2.0)
    with ember.GradientTape(watch_accessed_variables=False) as tape:
        y = w * w
    assert tape.gradient(y, w) is None
    with ember.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(w)
        y = w * w
    assert float(tape.gradient(y, w)) == 4.0


def test_watched_variables_lists_trainable_variables_used():
    a, b = ember.Variable(1.0), ember.Variable(2.0)
    with ember.GradientTape() as tape:
        _ = a * 3
    assert tape.watched_variables() == (a,)
    assert b not in tape.watched_variables()


def test_stop_recording_and_nested_tapes():
    x = ember.Variable(3.0)
    with ember.GradientTape(persistent=True) as outer:
        with ember.GradientTape() as inner:
            y = x * x
        with outer.stop_recording():
            z = x * 5  # not recorded by outer
        w = y * 2
    assert float(inner.gradient(y, x)) == 6.0
    assert float(outer.gradient(w, x)) == 12.0
    assert outer.gradient(z, x) is None


def test_gradient_inside_the_with_block_stops_recording():
    x = ember.Variable(3.0)
    with ember.GradientTape() as tape:
        y = x * x
        g = tape.gradient(y, x)
        after = x * 2
    assert float(g) == 6.0
    assert after._rec == ()


def test_gradient_type_errors():
    x = ember.Variable(1.0)
    with ember.GradientTape(persistent=True) as tape:
        y = x * 2
    with pytest.raises(TypeError, match="target must be a Tensor"):
        tape.gradient(3.0, x)
    with pytest.raises(TypeError, match="sources must be Variables or Tensors"):
        tape.gradient(y, [np.ones(1)])


class _WrongShape(Function):
    def forward(self, x):
        return x * 2

    def backward(self, gy):
        return (gy[:1],)


def test_the_tape_names_an_op_returning_a_wrong_shape():
    x = ember.Variable(np.ones(3))
    with ember.GradientTape() as tape:
        y = _WrongShape().apply(x)
    with pytest.raises(ValueError, match=r"Gradient of op _WrongShape has shape \(1,\) for an "
                                         r"input of shape \(3,\)"):
        tape.gradient(y, x)


def test_gradients_keep_the_variable_dtype():
    x = ember.Variable(np.ones(3, dtype="float32"))
    with ember.GradientTape() as tape:
        y = ops.sum(ops.cast(x, "float64") * np.float64(3))
    assert tape.gradient(y, x).dtype == np.float32


def test_training_loop_with_sgd_lowers_the_loss():
    rng = np.random.default_rng(0)
    xs = rng.standard_normal((64, 3)).astype("float32")
    ys = xs @ np.array([1.0, -2.0, 0.5], dtype="float32") + 0.3
    w, b = ember.Variable(np.zeros(3)), ember.Variable(0.0)
    losses = []
    for _ in range(50):
        with ember.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(xs, w) + b - ys))
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.1 * gw.numpy())
        b.assign_sub(0.1 * gb.numpy())
        losses.append(float(loss))
    assert losses[-1] < 1e-3 * losses[0]
    assert w.dtype == np.float32
