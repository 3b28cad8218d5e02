"""ember.remat (``keras.remat``): the same values and gradients as the plain function, with the
function's intermediates kept off the tape."""

import numpy as np
import pytest
from ops.helpers import assert_grads, float32_run, rand

import ember
from ember import layers, ops
from ember.autodiff.remat import remat


def _block(x, w):
    return ops.tanh(ops.matmul(ops.relu(x), w)) * 2.0


def test_gradients_match_finite_differences():
    assert_grads(lambda x, w: ops.sum(remat(_block)(x, w) ** 2),
                 rand((3, 4), away=0.1), rand((4, 2), seed=1))


def test_float32_values_and_gradients_equal_the_plain_function():
    x, w = rand((3, 4), away=0.1), rand((4, 2), seed=1)
    y_plain, g_plain = float32_run(_block, x, w)
    y_remat, g_remat = float32_run(remat(_block), x, w)
    np.testing.assert_array_equal(np.asarray(y_remat), np.asarray(y_plain))
    for a, b in zip(g_remat, g_plain):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_layer_variables_get_gradients_and_the_tape_keeps_one_node_per_output():
    d1, d2 = layers.Dense(4), layers.Dense(3)

    def f(x):
        return ops.tanh(d2(ops.relu(d1(x))))

    x = ember.convert_to_tensor(rand((5, 2), dtype="float32"))
    f(x)  # build
    variables = d1.trainable_variables + d2.trainable_variables
    with ember.GradientTape() as tape:
        plain = ops.sum(f(x) ** 2)
    want = tape.gradient(plain, variables)
    with ember.GradientTape() as tape:
        out = remat(f)(x)
        assert len(tape._nodes) == 1  # f's inner ops are not on the outer tape
        loss = ops.sum(out ** 2)
    got = tape.gradient(loss, variables)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_structured_outputs_and_integer_outputs():
    def f(x, scale=1.0):
        return {"double": x * 2.0 * scale, "square": x * x, "argmax": ops.argmax(x, axis=-1)}

    x = ember.Variable(rand((2, 3), dtype="float32"))
    with ember.GradientTape() as tape:
        out = remat(f)(x, scale=3.0)
        loss = ops.sum(out["double"]) + ops.sum(out["square"])
    g = tape.gradient(loss, x)
    np.testing.assert_allclose(np.asarray(g), 6.0 + 2.0 * np.asarray(x), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(out["argmax"]), np.argmax(np.asarray(x), -1))


def test_unseeded_dropout_is_recomputed_with_the_same_mask():
    x = ember.Variable(np.ones((4, 50), "float32"))

    def f(x):
        return ops.dropout(x, 0.5) * 3.0

    with ember.GradientTape() as tape:
        y = remat(f)(x)
        loss = ops.sum(y)
    g = np.asarray(tape.gradient(loss, x))
    mask = np.asarray(y) != 0
    np.testing.assert_allclose(g, np.where(mask, 3.0 / 0.5, 0.0), rtol=1e-6)


def test_a_function_that_changes_when_rerun_raises():
    calls = []

    def f(x):
        calls.append(1)
        return x * float(len(calls))

    x = ember.Variable(np.ones(3, "float32"))
    with ember.GradientTape() as tape:
        loss = ops.sum(remat(f)(x))
    with pytest.raises(ValueError, match="remat: recomputing the function.*deterministic"):
        tape.gradient(loss, x)


def test_without_a_tape_it_is_the_function_itself():
    x = np.ones((2, 2), "float32")
    np.testing.assert_array_equal(np.asarray(remat(_block)(x, x)), np.asarray(_block(x, x)))
    inp = ember.Input((3,))
    out = remat(layers.Dense(2))(inp)  # symbolic calls pass through
    assert isinstance(out, ember.KerasTensor) and out.shape == (None, 2)


def test_errors_and_top_level_name():
    assert ember.remat is remat
    with pytest.raises(TypeError, match="remat: expected a callable"):
        remat(3)
