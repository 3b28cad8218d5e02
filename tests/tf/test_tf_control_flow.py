"""tf.cond / case / switch_case / while_loop / scan / foldl / foldr / map_fn / vectorized_map /
identity_n: TensorFlow's conventions (checked against TensorFlow 2.21) on ember's control-flow
engines (tested themselves in tests/ops/test_control_flow.py). Expected values come from
NumPy."""

import numpy as np
import pytest

import ember as tf
from ember.autodiff.gradcheck import check_gradients
from ember.tf.errors import InvalidArgumentError, OutOfRangeError

X = np.array([1.0, 2.0, 3.0], "float32")


def _np(t):
    return np.asarray(t)


# -- cond / case / switch_case ----------------------------------------------------------------
def test_cond_runs_only_the_chosen_branch():
    ran = []

    def branch(tag, value):
        def fn():
            ran.append(tag)
            return value
        return fn

    assert tf.cond(tf.constant(1) > 0, branch("t", (1, 2)), branch("f", (3, 4))) == (1, 2)
    assert tf.cond(False, branch("t", 1), branch("f", 2)) == 2
    assert ran == ["t", "f"]


def test_cond_gradient_flows_through_the_branch():
    x = tf.Variable(X)
    with tf.GradientTape() as tape:
        y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.reduce_sum(x * x), lambda: tf.reduce_sum(x))
    np.testing.assert_allclose(_np(tape.gradient(y, x)), 2 * X)


def test_cond_errors():
    with pytest.raises(TypeError, match="'true_fn' argument required"):
        tf.cond(True, None, lambda: 1)
    with pytest.raises(TypeError, match="'false_fn' must be callable"):
        tf.cond(True, lambda: 1, 5)
    with pytest.raises(ValueError, match=r"scalar, got shape \(2,\)"):
        tf.cond(tf.constant([True, False]), lambda: 1, lambda: 2)


def test_case_picks_the_first_true_predicate_else_the_default():
    f, t = tf.constant(False), tf.constant(True)
    assert tf.case([(f, lambda: 1), (t, lambda: 2), (t, lambda: 3)]) == 2
    assert tf.case([(f, lambda: 1)], default=lambda: 3) == 3
    # TensorFlow's eager case does not enforce exclusive: the first true one wins
    assert tf.case([(t, lambda: 1), (t, lambda: 2)], exclusive=True) == 1


def test_case_errors():
    f = tf.constant(False)
    with pytest.raises(InvalidArgumentError, match="none of the conditions"):
        tf.case([(f, lambda: 1), (f, lambda: 2)])
    with pytest.raises(TypeError, match="pred must be a Tensor"):
        tf.case([(False, lambda: 1)])
    with pytest.raises(TypeError, match="'fn' must be callable"):
        tf.case([(f, 1)], default=lambda: 3)
    with pytest.raises(TypeError, match="'default' must be callable"):
        tf.case([(f, lambda: 1)], default=3)
    with pytest.raises(TypeError, match="a \\(pred, fn\\) pair"):
        tf.case([f])
    with pytest.raises(ValueError, match="at least one"):
        tf.case([])


def test_switch_case_forms_and_out_of_range():
    fns = [lambda: 10, lambda: 11]
    assert tf.switch_case(tf.constant(1), fns) == 11
    assert tf.switch_case(tf.constant(5), fns) == 11  # out of range, no default: the last
    assert tf.switch_case(tf.constant(-1), fns, default=lambda: 9) == 9
    assert tf.switch_case(tf.constant(1, "int64"), {1: lambda: 5, 0: lambda: 4}) == 5
    assert tf.switch_case(tf.constant(0), [(1, lambda: 5), (0, lambda: 4)]) == 4


def test_switch_case_errors():
    with pytest.raises(TypeError, match="must be a Tensor"):
        tf.switch_case(1, [lambda: 1])
    with pytest.raises(TypeError, match="integer Tensor"):
        tf.switch_case(tf.constant(1.0), [lambda: 1])
    with pytest.raises(InvalidArgumentError, match="scalar"):
        tf.switch_case(tf.constant([1]), [lambda: 1])
    with pytest.raises(ValueError, match="at least one item"):
        tf.switch_case(tf.constant(0), [])
    with pytest.raises(TypeError, match="2-tuple"):
        tf.switch_case(tf.constant(0), [1])
    with pytest.raises(ValueError, match="contiguous range of \\[0 to 2\\) but found \\{0,2\\}"):
        tf.switch_case(tf.constant(1), {0: lambda: 10, 2: lambda: 11})
    with pytest.raises(TypeError, match="'default' must be callable"):
        tf.switch_case(tf.constant(0), [lambda: 1], default=2)


# -- while_loop -------------------------------------------------------------------------------
def test_while_loop_keeps_the_structure_of_loop_vars():
    out = tf.while_loop(lambda i: i < 3, lambda i: [i + 1], [0])
    assert isinstance(out, list) and int(out[0]) == 3
    i, v = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0),
                         (0, tf.ones(2)), shape_invariants=(None, None), parallel_iterations=1)
    assert int(i) == 3 and _np(v).tolist() == [8.0, 8.0] and v.dtype == np.float32
    single = tf.while_loop(lambda i: i < 10, lambda i: i + 1, tf.constant(1),
                           maximum_iterations=4)
    assert int(single) == 5


def test_while_loop_gradient():
    x = tf.Variable(X)
    with tf.GradientTape() as tape:
        _, y = tf.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), (0, tf.ones(3)))
        y = tf.reduce_sum(y)
    np.testing.assert_allclose(_np(tape.gradient(y, x)), 3 * X ** 2)


def test_while_loop_errors():
    with pytest.raises(ValueError, match="'loop_vars' must be provided"):
        tf.while_loop(lambda: True, lambda: (), [])
    with pytest.raises(TypeError, match="structure of loop_vars"):
        tf.while_loop(lambda i: i < 3, lambda i: i + 1, [0])
    with pytest.raises(TypeError, match="structure of loop_vars"):
        tf.while_loop(lambda i: i < 3, lambda i: (i + 1, 2), [0])
    with pytest.raises(TypeError, match="'body' must be callable"):
        tf.while_loop(lambda i: i < 3, None, [0])


# -- scan / foldl / foldr ---------------------------------------------------------------------
def test_scan_without_and_with_initializer():
    np.testing.assert_allclose(_np(tf.scan(lambda a, x: a + x, tf.constant(X))), np.cumsum(X))
    out = tf.scan(lambda a, x: a + x, tf.constant(X), initializer=10.0, reverse=True)
    np.testing.assert_allclose(_np(out), 10 + np.cumsum(X[::-1])[::-1])
    rev = tf.scan(lambda a, x: a + x, tf.constant(X), reverse=True)
    np.testing.assert_allclose(_np(rev), np.cumsum(X[::-1])[::-1])
    assert rev.dtype == np.float32
    total, prod = tf.scan(lambda a, x: (a[0] + x, a[1] * x), tf.constant(X),
                          initializer=(0.0, 1.0))
    np.testing.assert_allclose(_np(total), np.cumsum(X))
    np.testing.assert_allclose(_np(prod), np.cumprod(X))


def test_scan_gradient():
    check_gradients(lambda x: tf.scan(lambda a, e: a * e, x), [X.astype("float64")])
    x = tf.Variable(X)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.scan(lambda a, e: a * e, x))
    # d/dx of x0 + x0 x1 + x0 x1 x2
    want = [1 + X[1] + X[1] * X[2], X[0] + X[0] * X[2], X[0] * X[1]]
    np.testing.assert_allclose(_np(tape.gradient(y, x)), want)


def test_scan_and_fold_errors():
    with pytest.raises(ValueError, match="1\\+ dimensional"):
        tf.scan(lambda a, x: a + x, tf.constant(1.0))
    with pytest.raises(OutOfRangeError, match="empty"):
        tf.scan(lambda a, x: a + x, tf.constant(np.zeros(0, "float32")))
    with pytest.raises(OutOfRangeError, match="empty"):
        tf.foldl(lambda a, x: a + x, tf.constant(np.zeros(0, "float32")))
    with pytest.raises(TypeError, match="'fn' must be callable"):
        tf.foldr(None, tf.constant(X))


def test_foldl_and_foldr():
    assert float(tf.foldl(lambda a, x: a - x, tf.constant(X))) == X[0] - X[1] - X[2]
    assert float(tf.foldr(lambda a, x: a - x, tf.constant(X))) == X[2] - X[1] - X[0]
    assert float(tf.foldr(lambda a, x: a - x, tf.constant(X), initializer=10.0)) == 10 - X.sum()
    rows = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
    np.testing.assert_allclose(_np(tf.foldl(lambda a, x: a + x, tf.constant(rows))), rows.sum(0))
    pair = (tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0]))
    assert float(tf.foldl(lambda a, x: a + x[0] * x[1], pair, initializer=0.0)) == 11.0
    check_gradients(lambda x: tf.foldl(lambda a, e: a * e, x), [X.astype("float64")])


# -- map_fn / vectorized_map / identity_n -----------------------------------------------------
def test_map_fn_default_signature_is_the_elems():
    out = tf.map_fn(lambda x: x * 2, tf.constant([1, 2, 3]))
    assert _np(out).tolist() == [2, 4, 6] and out.dtype == np.int32
    d = tf.map_fn(lambda x: {"a": x, "b": x * 2.0}, tf.constant(X),
                  fn_output_signature={"a": tf.float32, "b": tf.float32})
    np.testing.assert_allclose(_np(d["b"]), 2 * X)


def test_map_fn_signature_allows_a_new_structure_and_dtype():
    cast = tf.map_fn(lambda x: tf.cast(x, tf.float32), tf.constant([1, 2, 3]),
                     fn_output_signature=tf.float32)
    assert cast.dtype == np.float32 and _np(cast).tolist() == [1.0, 2.0, 3.0]
    summed = tf.map_fn(lambda x: x[0] + x[1], (tf.constant([1, 2]), tf.constant([3, 4])),
                       fn_output_signature=tf.TensorSpec([], tf.int32))
    assert _np(summed).tolist() == [4, 6]
    old = tf.map_fn(lambda x: x, tf.constant(X), dtype=tf.float32)
    np.testing.assert_allclose(_np(old), X)


def test_map_fn_errors():
    with pytest.raises(InvalidArgumentError, match="float32 result"):
        tf.map_fn(lambda x: tf.cast(x, tf.float32), tf.constant([1, 2, 3]))
    with pytest.raises(ValueError, match="structure of fn_output_signature"):
        tf.map_fn(lambda x: x[0] + x[1], (tf.constant([1, 2]), tf.constant([3, 4])))
    with pytest.raises(ValueError, match="1\\+ dimensional"):
        tf.map_fn(lambda x: x, tf.constant(1.0))


def test_map_fn_and_vectorized_map_gradients():
    x = tf.Variable(X)
    with tf.GradientTape(persistent=True) as tape:
        a = tf.reduce_sum(tf.map_fn(lambda e: e * e, x))
        b = tf.reduce_sum(tf.vectorized_map(lambda e: e * e * e, x))
    np.testing.assert_allclose(_np(tape.gradient(a, x)), 2 * X)
    np.testing.assert_allclose(_np(tape.gradient(b, x)), 3 * X ** 2)


def test_vectorized_map_values():
    m = np.arange(6, dtype="float32").reshape(3, 2)
    out = tf.vectorized_map(lambda row: tf.reduce_sum(row * row), tf.constant(m))
    np.testing.assert_allclose(_np(out), (m * m).sum(1))
    with pytest.raises(TypeError, match="'fn' must be callable"):
        tf.vectorized_map(3, tf.constant(m))


def test_identity_n():
    out = tf.identity_n([tf.constant(1), tf.constant(2.0)])
    assert [o.dtype for o in out] == [np.int32, np.float32] and [float(o) for o in out] == [1, 2]
    x = tf.Variable(X)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.identity_n([x, x])[1] * 3.0)
    np.testing.assert_allclose(_np(tape.gradient(y, x)), [3.0, 3.0, 3.0])


# -- tuple / group / no_op / grad_pass_through / recompute_grad --------------------------------
def test_tuple_group_and_no_op_are_eager_identities():
    a, b = tf.constant(1), tf.constant(2.0)
    out = tf.tuple([a, b], control_inputs=[a])
    assert [float(t) for t in out] == [1.0, 2.0] and out[1].dtype == np.float32
    assert tf.group(a, b, name="g") is None
    assert tf.no_op() is None
    with pytest.raises(TypeError, match="control_inputs"):
        tf.tuple([a], control_inputs=[3])
    with pytest.raises(TypeError, match="unknown keyword"):
        tf.group(a, foo=1)


def test_grad_pass_through_gives_an_identity_gradient():
    x = tf.Variable(X)
    rounded = tf.grad_pass_through(lambda a: tf.round(a * 1.3))
    with tf.GradientTape() as tape:
        y = rounded(x)
        loss = tf.reduce_sum(y * np.array([3.0, 4.0, 5.0], "float32"))
    np.testing.assert_array_equal(_np(y), np.round(X * 1.3))
    np.testing.assert_array_equal(_np(tape.gradient(loss, x)), [3.0, 4.0, 5.0])
    with pytest.raises(TypeError, match="'f' must be callable"):
        tf.grad_pass_through(3)


def test_recompute_grad_keeps_values_and_gradients():
    x = tf.Variable(X)
    block = tf.recompute_grad(lambda a: tf.sin(a) * a)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(block(x))
    np.testing.assert_allclose(float(y), np.sum(np.sin(X) * X), rtol=1e-6)
    np.testing.assert_allclose(_np(tape.gradient(y, x)), np.cos(X) * X + np.sin(X), rtol=1e-6)
