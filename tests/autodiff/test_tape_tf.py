"""GradientTape as tf.GradientTape: jacobian, batch_jacobian, UnconnectedGradients,
watched_variables, integer tensors, nested targets, stop_recording, reset and TF's errors.

The expected behaviours were observed in TensorFlow 2.21 (values are derived here in NumPy).
"""

import warnings

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff import UnconnectedGradients

NON_PERSISTENT = ("A non-persistent GradientTape can only be used to compute one set of "
                  r"gradients \(or jacobians\)")


def _var(values):
    return ember.Variable(np.asarray(values, dtype="float32"))


# -- UnconnectedGradients ------------------------------------------------------------------------
def test_unconnected_gradients_enum_as_tensorflow():
    assert [m.name for m in UnconnectedGradients] == ["NONE", "ZERO"]
    assert UnconnectedGradients.NONE.value == "none"
    assert UnconnectedGradients.ZERO.value == "zero"
    assert UnconnectedGradients("zero") is UnconnectedGradients.ZERO


def test_unconnected_gradients_reachable_from_the_top_level():
    if not hasattr(ember, "UnconnectedGradients"):
        pytest.skip("ember.UnconnectedGradients is wired by the tf namespace (not yet here)")
    assert ember.UnconnectedGradients is UnconnectedGradients


@pytest.mark.parametrize("zero", [UnconnectedGradients.ZERO, "zero"])
@pytest.mark.parametrize("none", [UnconnectedGradients.NONE, "none"])
def test_unconnected_enum_or_string(zero, none):
    x, w = _var([1.0, 2.0]), _var([[3.0]])
    with ember.GradientTape(persistent=True) as tape:
        y = x * 2
    assert tape.gradient(y, w, unconnected_gradients=none) is None
    g = tape.gradient(y, w, unconnected_gradients=zero)
    np.testing.assert_array_equal(g.numpy(), np.zeros((1, 1)))
    assert g.dtype == np.float32


@pytest.mark.parametrize("bad", ["bogus", "ZERO", None])
def test_unknown_unconnected_value(bad):
    x = _var(1.0)
    with ember.GradientTape(persistent=True) as tape:
        y = x * 2
    with pytest.raises(ValueError, match=f"Unknown value for unconnected_gradients: {bad!r}"):
        tape.gradient(y, x, unconnected_gradients=bad)
    with pytest.raises(ValueError, match="Unknown value for unconnected_gradients"):
        tape.jacobian(y, x, unconnected_gradients=bad)


# -- jacobian ------------------------------------------------------------------------------------
def test_jacobian_shape_and_values():
    xv = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    x = ember.Variable(xv)
    with ember.GradientTape(persistent=True) as tape:
        y = x * x
        s = ops.sum(y)
    j = tape.jacobian(y, x)
    assert j.shape == (2, 2, 2, 2) and j.dtype == np.float32
    # d(x_ij^2)/d(x_kl) = 2 x_ij [ij == kl]
    expected = np.einsum("ik,jl->ijkl", np.eye(2), np.eye(2)) * (2 * xv)[:, :, None, None]
    np.testing.assert_allclose(j.numpy(), expected)
    # a scalar target: the gradient's shape
    js = tape.jacobian(s, x)
    assert js.shape == (2, 2)
    np.testing.assert_allclose(js.numpy(), 2 * xv)


def test_jacobian_of_a_matrix_product():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype("float32")
    w = ember.Variable(rng.standard_normal((4, 2)).astype("float32"))
    with ember.GradientTape() as tape:
        y = ops.matmul(a, w)
    j = tape.jacobian(y, w)
    assert j.shape == (3, 2, 4, 2)
    # y_ij = sum_k a_ik w_kj: d y_ij / d w_kl = a_ik [j == l]
    np.testing.assert_allclose(j.numpy(), np.einsum("ik,jl->ijkl", a, np.eye(2)), rtol=1e-6)


def test_jacobian_nested_sources_and_unconnected():
    x, w = _var([1.0, 2.0]), _var(3.0)
    with ember.GradientTape(persistent=True) as tape:
        y = x * x
    out = tape.jacobian(y, {"a": x, "b": [w, x]})
    assert set(out) == {"a", "b"} and isinstance(out["b"], list)
    np.testing.assert_allclose(out["a"].numpy(), np.diag([2.0, 4.0]))
    assert out["b"][0] is None
    np.testing.assert_allclose(out["b"][1].numpy(), np.diag([2.0, 4.0]))
    z = tape.jacobian(y, w, unconnected_gradients=UnconnectedGradients.ZERO)
    assert z.shape == (2,) and not z.numpy().any()


def test_jacobian_rows_that_do_not_reach_the_source_are_zero():
    x = _var([1.0, 2.0])
    with ember.GradientTape() as tape:
        y = ops.stack([x[0] * 3.0, ops.convert_to_tensor(5.0)])
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), [[3.0, 0.0], [0.0, 0.0]])


def test_jacobian_on_a_non_persistent_tape_once():
    x = _var([1.0, 2.0])
    with ember.GradientTape() as tape:
        y = x * 3
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), 3 * np.eye(2))
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.jacobian(y, x)
    with ember.GradientTape() as tape:
        y = x * 3
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.jacobian(y, x)


def test_jacobian_without_pfor_needs_a_persistent_tape():
    x = _var([1.0, 2.0])
    with ember.GradientTape() as tape:
        y = x * 3
    with pytest.raises(RuntimeError, match="GradientTape must be created with persistent=True "
                                           "to compute the jacobian"):
        tape.jacobian(y, x, experimental_use_pfor=False)
    with ember.GradientTape(persistent=True) as tape:
        y = x * 3
    j = tape.jacobian(y, x, experimental_use_pfor=False, parallel_iterations=4)
    np.testing.assert_allclose(j.numpy(), 3 * np.eye(2))


def test_jacobian_type_errors():
    x = _var([1.0])
    with ember.GradientTape(persistent=True) as tape:
        y = x * 2
    with pytest.raises(TypeError, match="jacobian: target must be a Tensor"):
        tape.jacobian(3.0, x)
    with pytest.raises(TypeError, match="sources must be Variables or Tensors"):
        tape.jacobian(y, [np.ones(1)])


# -- batch_jacobian ------------------------------------------------------------------------------
def test_batch_jacobian_is_the_per_row_block_of_the_jacobian():
    xv = np.arange(6, dtype="float32").reshape(2, 3) / 6
    x = ember.Variable(xv)
    with ember.GradientTape(persistent=True) as tape:
        y = ops.tanh(x)[:, :, None] * ops.convert_to_tensor(np.arange(1, 5, dtype="float32"))
    jb = tape.batch_jacobian(y, x)
    assert jb.shape == (2, 3, 4, 3)
    full = tape.jacobian(y, x).numpy()  # (2, 3, 4, 2, 3)
    np.testing.assert_allclose(jb.numpy(), np.stack([full[i, :, :, i] for i in range(2)]))
    # d(tanh(x_bi) c_k)/d x_bj = (1 - tanh^2) c_k [i == j]
    d = (1 - np.tanh(xv) ** 2)
    expected = np.einsum("bi,k,ij->bikj", d, np.arange(1, 5), np.eye(3))
    np.testing.assert_allclose(jb.numpy(), expected, rtol=1e-6)


def test_batch_jacobian_through_dense_layers_as_in_the_guide():
    rng = np.random.default_rng(1)
    x = ember.convert_to_tensor(rng.standard_normal((7, 5)).astype("float32"))
    layer1 = ember.layers.Dense(8, activation="elu")
    layer2 = ember.layers.Dense(6, activation="elu")
    with ember.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = layer2(layer1(x))
    j = tape.jacobian(y, x)
    jb = tape.batch_jacobian(y, x)
    assert j.shape == (7, 6, 7, 5) and jb.shape == (7, 6, 5)
    np.testing.assert_allclose(jb.numpy(), np.stack([j.numpy()[i, :, i] for i in range(7)]))


def test_batch_jacobian_unconnected_is_zeros_as_tensorflow():
    x = _var(np.ones((2, 3)))
    with ember.GradientTape(persistent=True) as tape:
        y = ops.ones((2, 4)) * 1.0
    for mode in ("none", "zero"):
        jb = tape.batch_jacobian(y, x, unconnected_gradients=mode)
        assert jb.shape == (2, 4, 3) and not jb.numpy().any()


def test_batch_jacobian_errors():
    x = _var(np.ones((2, 3)))
    with ember.GradientTape(persistent=True) as tape:
        y1 = ops.sum(x, axis=1)
        y = x[:1] * 2
    with pytest.raises(ValueError, match=r"Shape \(2,\) must have rank at least 2"):
        tape.batch_jacobian(y1, x)
    with pytest.raises(ValueError, match=r"Shape \(\) must have rank at least 2"):
        tape.batch_jacobian(ops.sum(y1), x)
    with pytest.raises(ValueError, match=r"Need first dimension of target shape \(\(1, 3\)\) and "
                                         r"source shape \(\(2, 3\)\) to match."):
        tape.batch_jacobian(y, x)
    with ember.GradientTape() as tape:
        y = x * 2
    with pytest.raises(RuntimeError, match="persistent=True to compute the batch_jacobian"):
        tape.batch_jacobian(y, x, experimental_use_pfor=False)
    assert tape.batch_jacobian(y, x).shape == (2, 3, 3)
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.batch_jacobian(y, x)


# -- watched_variables ---------------------------------------------------------------------------
def test_watched_variables_survive_gradient():
    a, b = _var(1.0), _var(2.0)
    with ember.GradientTape() as tape:
        y = a * 3
    assert tape.watched_variables() == (a,)
    tape.gradient(y, a)
    assert tape.watched_variables() == (a,)
    with ember.GradientTape(persistent=True) as tape:
        y = b * a
    tape.gradient(y, a)
    assert tape.watched_variables() == (a, b)  # creation order, as TensorFlow


def test_watched_variables_without_accessed_variables():
    a, b = _var(2.0), _var(3.0)
    with ember.GradientTape(watch_accessed_variables=False) as tape:
        y = b * b
        tape.watch(a)
        z = a * b
    assert tape.watched_variables() == (a,)
    ga, gb = tape.gradient([y, z], [a, b])
    assert float(ga) == 3.0 and gb is None


def test_non_trainable_variables_are_watched_only_explicitly():
    x, frozen = _var(2.0), ember.Variable(1.0, trainable=False)
    with ember.GradientTape() as tape:
        _ = frozen * x
    assert tape.watched_variables() == (x,)
    with ember.GradientTape() as tape:
        tape.watch(frozen)
        _ = frozen * x
    assert tape.watched_variables() == (x, frozen)  # creation order, as TensorFlow


# -- integers --------------------------------------------------------------------------------------
def test_watching_an_integer_tensor_warns_and_its_gradient_is_none():
    xi = ember.convert_to_tensor(np.array([1, 2, 3], dtype="int32"))
    with ember.GradientTape(persistent=True) as tape:
        with pytest.warns(UserWarning, match=r"The dtype of the watched tensor must be floating "
                                             r"\(e.g. tf.float32\), got tf.int32") as record:
            tape.watch(xi)
        assert record[0].filename == __file__  # shown at the caller's line
        y = xi * xi
    assert tape.gradient(y, xi) is None
    g = tape.gradient(y, xi, unconnected_gradients="zero")  # TF: zeros of the source's dtype
    assert g.dtype == np.int32 and not g.numpy().any()


def test_integer_variables_and_targets_have_no_gradient():
    vi = ember.Variable(np.array([1, 2], dtype="int32"))
    xf = _var([1.0, 2.0])
    with ember.GradientTape(persistent=True) as tape:
        y = vi * 2
        as_int = ops.cast(xf, "int32") * 2
        back = ops.cast(as_int, "float32")
    assert tape.gradient(y, vi) is None
    assert tape.gradient(as_int, xf) is None
    assert tape.gradient(back, xf) is None
    assert tape.jacobian(y, vi) is None


# -- targets, output_gradients -------------------------------------------------------------------
def test_nested_targets_are_summed():
    xv = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    x = ember.Variable(xv)
    with ember.GradientTape(persistent=True) as tape:
        y = x * x
    g = tape.gradient({"a": y, "b": [y]}, x)
    np.testing.assert_allclose(g.numpy(), 2 * (2 * xv))


def test_output_gradients_weight_each_target():
    xv = np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")
    x = ember.Variable(xv)
    w = np.array([[1.0, 0.0], [0.0, 2.0]], dtype="float32")
    with ember.GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=w).numpy(), 2 * xv * w)
    og = [np.ones((2, 2), "float32"), 2 * np.ones((2, 2), "float32")]
    np.testing.assert_allclose(tape.gradient([y, y], x, output_gradients=og).numpy(), 6 * xv)
    np.testing.assert_allclose(  # None stands for ones
        tape.gradient([y, y], x, output_gradients=[None, w]).numpy(), 2 * xv * (1 + w))
    with pytest.raises(ValueError, match="2 output_gradients for 1 targets"):
        tape.gradient(y, x, output_gradients=og)


def test_a_target_that_is_a_source():
    x = _var([1.0, 2.0])
    with ember.GradientTape() as tape:
        tape.watch(x)
    np.testing.assert_allclose(tape.gradient(x, x).numpy(), [1.0, 1.0])


# -- recording control ---------------------------------------------------------------------------
def test_stop_recording():
    b = _var(3.0)
    with ember.GradientTape(persistent=True) as tape:
        y = b * b
        with tape.stop_recording():
            z = b * b
            assert float(tape.gradient(y, b)) == 6.0  # no warning: the tape is not recording
        w = z * b
    assert float(tape.gradient(w, b)) == 9.0  # z is a constant
    assert tape.gradient(z, b) is None


def test_stop_recording_errors():
    tape = ember.GradientTape()
    with pytest.raises(RuntimeError, match="Trying to stop recording a tape which is not "
                                           "recording."):
        with tape.stop_recording():
            pass
    x = _var(1.0)
    with ember.GradientTape(persistent=True) as tape:
        _ = x * 2
    with pytest.raises(ValueError, match="Tape is not recording."):
        with tape.stop_recording():
            pass


def test_reset():
    a = _var(2.0)
    with ember.GradientTape() as tape:
        y = a * a
        tape.reset()
        assert tape.watched_variables() == ()
        z = a * a * a
    assert float(tape.gradient(z, a)) == 12.0
    with ember.GradientTape(persistent=True) as tape:
        y = a * a
        tape.reset()
        z = a * 3
    assert tape.gradient(y, a) is None
    assert float(tape.gradient(z, a)) == 3.0
    with pytest.raises(ValueError, match="Tape is not recording."):
        tape.reset()


def test_re_entering_a_recording_tape_is_an_error():
    tape = ember.GradientTape()
    with tape:
        with pytest.raises(ValueError, match="Tape is still recording, This can happen if you "
                                             "try to re-enter an already-active tape."):
            tape.__enter__()


def test_a_used_non_persistent_tape_records_afresh_when_re_entered():
    x = _var(2.0)
    tape = ember.GradientTape()
    with tape:
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0
    with tape:
        y = x * x * x
    assert float(tape.gradient(y, x)) == 12.0


def test_two_with_blocks_of_one_persistent_tape():
    x = _var(2.0)
    tape = ember.GradientTape(persistent=True)
    with tape:
        y = x * x
    with tape:
        z = y * x
    assert float(tape.gradient(z, x)) == 12.0


def test_gradient_twice_on_a_non_persistent_tape():
    x = _var(2.0)
    with ember.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match=NON_PERSISTENT):
        tape.gradient(y, x)


def test_gradient_inside_the_block_of_a_non_persistent_tape_is_silent():
    x = _var(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with ember.GradientTape() as tape:
            y = x * x
            g = tape.gradient(y, x)
            after = x * 2
    assert float(g) == 6.0 and after._rec == ()


def test_gradient_inside_the_block_of_a_persistent_tape_warns_and_records():
    x = _var(2.0)
    with ember.GradientTape(persistent=True) as tape:
        y = x * x * x
        with pytest.warns(UserWarning, match="Calling GradientTape.gradient on a persistent "
                                             "tape inside its context") as record:
            dy = tape.gradient(y, x)
        assert record[0].filename == __file__
    assert float(dy) == 12.0  # 3 x^2
    assert float(tape.gradient(dy, x)) == 12.0  # 6 x: the tape recorded its own gradient


# -- watch -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, shown", [(np.ones(2), "'ndarray'"), (3.0, "'float'"),
                                          ("a", "'str'"), (None, "'NoneType'")])
def test_watch_rejects_non_tensors_as_tensorflow(value, shown):
    with ember.GradientTape() as tape:
        with pytest.raises(ValueError, match=f"of type {shown}, not tf.Tensor or tf.Variable or "
                                             "ExtensionType."):
            tape.watch(value)


def test_watch_a_nested_structure():
    a = ember.convert_to_tensor(np.array([1.0, 2.0], "float32"))
    b = ember.convert_to_tensor(np.float32(3.0))
    with ember.GradientTape() as tape:
        tape.watch({"a": [a], "b": (b,)})
        y = ops.sum(a * b)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(ga.numpy(), [3.0, 3.0])
    assert float(gb) == 3.0
