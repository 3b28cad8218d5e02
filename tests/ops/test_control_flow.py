"""Control flow ops and custom_gradient: values against plain Python/NumPy loops, gradients
through loops against finite differences, structures, dtypes and error messages."""

import collections

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _np(t):
    return np.asarray(t)


# -- cond / switch ------------------------------------------------------------------------------
def test_cond_runs_only_the_chosen_branch_and_keeps_its_structure():
    ran = []

    def true_fn():
        ran.append("t")
        return (ops.ones(2), {"a": 1.0})

    def false_fn():
        ran.append("f")
        return (ops.zeros(2), {"a": 2.0})

    out = ops.cond(ember.convert_to_tensor(False), true_fn, false_fn)
    assert ran == ["f"] and isinstance(out, tuple) and out[1] == {"a": 2.0}
    close(out[0], np.zeros(2))
    assert ops.cond(True, lambda: 3, lambda: 4) == 3


def test_cond_pred_must_be_scalar():
    with pytest.raises(TypeError, match=r"cond: pred must be a scalar, got shape \(2,\)"):
        ops.cond(np.array([True, False]), lambda: 1, lambda: 2)


def test_cond_gradient_flows_through_the_taken_branch():
    x = rand((3,), seed=1)
    assert_grads(lambda a: ops.cond(ops.sum(a) > -10, lambda: ops.sin(a) * a, lambda: a), x)
    assert_grads(lambda a: ops.cond(ops.sum(a) > 10, lambda: ops.sin(a), lambda: a * a), x)


def test_switch_clamps_the_index_and_passes_operands():
    branches = [lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y]
    for index, expected in [(0, 2.5), (1, 1.5), (2, 1.0), (7, 1.0), (-3, 2.5)]:
        assert float(ops.switch(index, branches, 2.0, 0.5)) == expected
    assert float(ops.switch(ember.convert_to_tensor(1), branches, 2.0, 0.5)) == 1.5


def test_switch_errors():
    with pytest.raises(ValueError, match="switch: branches must be a non-empty"):
        ops.switch(0, [], 1.0)
    with pytest.raises(TypeError, match="switch: index must be an integer, got dtype float"):
        ops.switch(1.0, [lambda: 1], )
    with pytest.raises(TypeError, match=r"switch: index must be a scalar, got shape \(2,\)"):
        ops.switch(np.array([0, 1]), [lambda: 1])


def test_switch_gradient():
    x = rand((2, 3), seed=2)
    assert_grads(lambda a: ops.switch(1, [ops.exp, ops.tanh], a), x)


# -- while_loop / fori_loop -------------------------------------------------------------------
def test_while_loop_sequence_and_single_value():
    a, b = ops.while_loop(lambda a, b: a < 5, lambda a, b: (a + 1, b * 2), [0, 1.0])
    assert int(a) == 5 and float(b) == 32.0
    assert a.dtype == np.int32 and b.dtype == np.float32
    out = ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0)
    assert int(out) == 12
    out = ops.while_loop(lambda d: d["a"] < 4, lambda d: {"a": d["a"] + 1}, {"a": 0})
    assert isinstance(out, dict) and int(out["a"]) == 4


def test_while_loop_returns_tensors_even_without_iterations():
    out = ops.while_loop(lambda a, b: a > 5, lambda a, b: (a + 1, b), (0, 1.5))
    assert isinstance(out, tuple)
    assert all(isinstance(t, ember.Tensor) for t in out)
    assert out[0].dtype == np.int32 and out[1].dtype == np.float32


def test_while_loop_maximum_iterations():
    a, b = ops.while_loop(lambda a, b: a < 5, lambda a, b: (a + 1, b * 2), (0, 1.0),
                          maximum_iterations=3)
    assert int(a) == 3 and float(b) == 8.0
    assert int(ops.while_loop(lambda i: True, lambda i: i + 1, 0, maximum_iterations=4)) == 4


def test_while_loop_errors():
    with pytest.raises(TypeError, match="while_loop: the body must return a loop_vars with "
                                        "the structure of its input"):
        ops.while_loop(lambda a, b: a < 2, lambda a, b: (a + 1,), (0, 1.0))
    with pytest.raises(TypeError, match=r"while_loop: the loop_vars must keep its shape across "
                                        r"iterations; shape \(\) became \(2,\)"):
        ops.while_loop(lambda a: ops.all(a < 2), lambda a: ops.stack([a, a]) + 1, 0)
    with pytest.raises(TypeError, match="while_loop: the loop_vars must keep its dtype across "
                                        "iterations; int32 became float32"):
        ops.while_loop(lambda a: a < 2, lambda a: a + 1.5, 0)
    with pytest.raises(TypeError, match=r"while_loop: the value of cond must be a scalar"):
        ops.while_loop(lambda a: a < 2, lambda a: a + 1, ops.zeros(2))


def test_while_loop_gradient():
    x = rand((3,), seed=3, low=0.5, high=0.9)

    def fn(a):  # data-dependent trip count: squares until the sum passes 0.01 (a few steps)
        _, out = ops.while_loop(lambda i, v: ops.sum(v) > 0.01, lambda i, v: (i + 1, v * v),
                                (0, a))
        return out

    assert_grads(fn, x)


def test_fori_loop_values_counter_and_dtype():
    seen = []

    def body(i, s):
        seen.append((int(i), i.dtype))
        return s + i

    out = ops.fori_loop(2, 6, body, 0.0)
    assert float(out) == 2 + 3 + 4 + 5 and out.dtype == np.float32  # float32 + int32 stays
    assert seen == [(i, np.dtype("int32")) for i in range(2, 6)]
    assert float(ops.fori_loop(3, 3, body, 1.5)) == 1.5
    pair = ops.fori_loop(0, 3, lambda i, s: (s[0] + 1, s[1] * 2.0), (0, 1.0))
    assert int(pair[0]) == 3 and float(pair[1]) == 8.0
    out = ops.fori_loop(ember.convert_to_tensor(0), ember.convert_to_tensor(2),
                        lambda i, s: s + 1, 0)
    assert int(out) == 2


def test_fori_loop_errors():
    with pytest.raises(TypeError, match="fori_loop: the loop value must keep its dtype"):
        ops.fori_loop(0, 2, lambda i, s: s + 0.5, 0)


def test_fori_loop_gradient():
    x = rand((2, 2), seed=4, low=0.1, high=0.5)
    w = rand((2, 2), seed=5)
    assert_grads(lambda a, b: ops.fori_loop(0, 4, lambda i, s: ops.tanh(ops.matmul(s, b)) + a,
                                            a), x, w)


# -- scan / map ---------------------------------------------------------------------------------
def _python_scan(f, init, xs, reverse=False):
    carry, ys = init, [None] * len(xs)
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for i in order:
        carry, ys[i] = f(carry, xs[i])
    return carry, np.stack(ys)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_a_python_loop(reverse):
    xs = rand((5, 3), seed=6)

    def step(c, x):
        return c * 0.5 + x, c * x

    carry, ys = ops.scan(step, np.zeros(3), xs, reverse=reverse)
    ref_carry, ref_ys = _python_scan(step, np.zeros(3), xs, reverse)
    close(carry, ref_carry)
    close(ys, ref_ys)


def test_scan_nested_structures_none_outputs_and_length():
    xs = {"a": np.arange(3.0, dtype="float32"), "b": np.ones((3, 2), "float32")}
    carry, ys = ops.scan(lambda c, x: (c + x["a"], {"y": x["b"] * 2}), 0.0, xs)
    assert float(carry) == 3.0 and list(ys) == ["y"]
    close(ys["y"], np.full((3, 2), 2.0))
    carry, ys = ops.scan(lambda c, x: (c + 1, None), 0, length=4)
    assert int(carry) == 4 and ys is None
    carry, ys = ops.scan(lambda c, x: (c + 1, c), 0, length=3)
    assert _np(ys).tolist() == [0, 1, 2] and ys.dtype == np.int32
    Pair = collections.namedtuple("Pair", "u v")
    carry, ys = ops.scan(lambda c, x: (Pair(c.u + x, c.v * 2.0), c.u),
                         Pair(0.0, 1.0), np.ones(3, "float32"))
    assert isinstance(carry, Pair) and float(carry.u) == 3.0 and float(carry.v) == 8.0


def test_scan_zero_steps_gives_empty_stacked_outputs():
    carry, ys = ops.scan(lambda c, x: (c + ops.sum(x), x * 2), 1.0, np.zeros((0, 4), "float32"))
    assert float(carry) == 1.0 and ys.shape == (0, 4) and ys.dtype == np.float32


def test_scan_errors():
    with pytest.raises(ValueError, match="scan got no values to scan over and `length` not "
                                         "provided."):
        ops.scan(lambda c, x: (c, c), 0)
    with pytest.raises(ValueError, match="scan got `length` argument of 4 which disagrees with "
                                         r"leading axis sizes \[3\]."):
        ops.scan(lambda c, x: (c, x), 0, np.arange(3), length=4)
    with pytest.raises(ValueError, match="`unroll` must be an positive integer or boolean. "
                                         "Received: unroll=0"):
        ops.scan(lambda c, x: (c, x), 0, np.arange(3), unroll=0)
    with pytest.raises(ValueError, match="scan: got values with different leading axis sizes: "
                                         "3, 2."):
        ops.scan(lambda c, x: (c, x), 0, (np.arange(3), np.ones(2)))
    with pytest.raises(ValueError, match="scan: the values to scan over must have a leading"):
        ops.scan(lambda c, x: (c, x), 0, np.float32(1.0))
    with pytest.raises(TypeError, match="scan: the carry must keep its shape"):
        ops.scan(lambda c, x: (ops.stack([c, x]), x), 0.0, np.ones(2, "float32"))
    with pytest.raises(TypeError, match="scan: every step must return outputs of one structure"):
        ops.scan(lambda c, x: (c, (x,) if float(x) > 1 else x), 0.0,
                 np.array([1.0, 2.0], "float32"))
    for unroll in (True, False, 2):  # accepted
        ops.scan(lambda c, x: (c, x), 0, np.arange(3), unroll=unroll)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_gradient_in_init_xs_and_closed_over_weights(reverse):
    xs, h0, w = rand((4, 2, 3), seed=7), rand((2, 3), seed=8), rand((3, 3), seed=9)

    def rnn(x, h, k):
        def step(c, xi):
            new = ops.tanh(ops.matmul(c, k) + xi)
            return new, new * 2.0

        carry, ys = ops.scan(step, h, x, reverse=reverse)
        return ops.sum(ys, axis=0) + carry

    assert_grads(rnn, xs, h0, w)


def test_scan_gradient_float32_and_unused_slices():
    xs = rand((5, 3), seed=10)
    # the step reads only some slices: the others get zero gradient, not None
    y, (g,) = float32_run(lambda a: ops.scan(lambda c, x: (c + ops.sum(x) * ops.sum(x) *
                                                          float(c < 2), c), 0.0, a)[0], xs)
    assert g is not None and g.shape == (5, 3)


def test_scan_second_derivative():
    xs = rand((3,), seed=11)
    x = ember.Variable(xs)
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            carry, _ = ops.scan(lambda c, v: (c + v ** 3, c), 0.0, x)
        g = inner.gradient(carry, x)
    close(g, 3 * xs ** 2)
    close(outer.gradient(g, x), 6 * xs)


def test_scan_jacobian_and_persistent_tape_repeat_backward_passes():
    # the rows' gradients are gathered per backward pass: each pass starts afresh
    xs = rand((3, 2), seed=15)
    x = ember.Variable(xs)
    with ember.GradientTape(persistent=True) as tape:
        _, ys = ops.scan(lambda c, v: (c, v * v), 0.0, x)
    jac = np.asarray(tape.jacobian(ys, x))
    assert jac.shape == (3, 2, 3, 2)
    close(jac.reshape(6, 6), np.diag(2 * xs.reshape(-1)))
    first = np.asarray(tape.gradient(ys, x))
    close(first, 2 * xs)
    close(tape.gradient(ys, x), first)


def test_map_and_vectorized_map():
    xs = np.arange(4, dtype="int32")
    ys = ops.map(lambda x: {"s": x * x, "t": (x, x * 10)}, xs)
    assert _np(ys["s"]).tolist() == [0, 1, 4, 9] and _np(ys["t"][1]).tolist() == [0, 10, 20, 30]
    out = ops.map(lambda x: x[0] + x[1], (xs, np.ones(4, "int32")))
    assert _np(out).tolist() == [1, 2, 3, 4]
    out = ops.vectorized_map(lambda x: ops.sum(x), np.ones((3, 2), "float32"))
    assert _np(out).tolist() == [2.0, 2.0, 2.0]
    out = ops.vectorized_map(lambda x: x[0] * x[1], [xs, xs])
    assert _np(out).tolist() == [0, 1, 4, 9]
    with pytest.raises(ValueError, match="different leading axis sizes: 3, 2"):
        ops.map(lambda x: x, (np.arange(3), np.ones(2)))


def test_map_gradient():
    x, w = rand((4, 3), seed=12), rand((3, 2), seed=13)
    assert_grads(lambda a, b: ops.map(lambda r: ops.matmul(r, b) * r[0], a), x, w)
    assert_grads(lambda a: ops.vectorized_map(lambda r: ops.sum(ops.exp(r)), a), x)


# -- associative_scan ---------------------------------------------------------------------------
def _python_inclusive_scan(f, elems, reverse=False):
    items = list(elems[::-1] if reverse else elems)
    out, acc = [], None
    for e in items:
        acc = e if acc is None else f(acc, e)
        out.append(acc)
    out = np.stack(out)
    return out[::-1] if reverse else out


@pytest.mark.parametrize("n", [1, 2, 5, 8, 11])
@pytest.mark.parametrize("reverse", [False, True])
def test_associative_scan_non_commutative_matches_sequential(n, reverse):
    mats = rand((n, 2, 2), seed=n)  # matrix products: associative, not commutative
    out = ops.associative_scan(lambda a, b: ops.matmul(a, b), mats, reverse=reverse)
    close(out, _python_inclusive_scan(np.matmul, mats, reverse), rtol=1e-10, atol=1e-12)


def test_associative_scan_axis_and_structures():
    x = np.arange(6.0).reshape(2, 3)
    close(ops.associative_scan(lambda a, b: a + b, x, axis=1), np.cumsum(x, axis=1))
    close(ops.associative_scan(lambda a, b: a + b, x, axis=-1, reverse=True),
          np.cumsum(x[:, ::-1], axis=1)[:, ::-1])
    a = np.arange(1.0, 5.0)
    out = ops.associative_scan(lambda u, v: [u[0] + v[0], u[1] * v[1]], [a, a])
    assert isinstance(out, list)
    close(out[0], np.cumsum(a))
    close(out[1], np.cumprod(a))


def test_associative_scan_errors():
    with pytest.raises(ValueError, match="associative_scan: axis 2 is out of range"):
        ops.associative_scan(lambda a, b: a + b, np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="associative_scan: got values with different leading"):
        ops.associative_scan(lambda a, b: a, [np.ones(2), np.ones(3)])
    with pytest.raises(ValueError, match="associative_scan: elems must hold at least one"):
        ops.associative_scan(lambda a, b: a, [])
    with pytest.raises(TypeError, match="associative_scan: f must return the structure"):
        ops.associative_scan(lambda a, b: a[0], [np.ones(4), np.ones(4)])


def test_associative_scan_gradient():
    x = rand((6, 2), seed=14, low=0.5, high=1.5)
    assert_grads(lambda a: ops.associative_scan(lambda u, v: u * v, a), x)
    assert_grads(lambda a: ops.associative_scan(lambda u, v: u * v + v, a, axis=1,
                                                reverse=True), x)


# -- custom_gradient ----------------------------------------------------------------------------
@ops.custom_gradient
def _log1pexp(x):
    e = ops.exp(x)

    def grad(upstream):
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1.0, e))

    return ops.log(1.0 + e), grad


def test_custom_gradient_value_and_gradient():
    x = ember.Variable(np.array([0.0, 1.0, 50.0], "float32"))
    with ember.GradientTape() as tape:
        y = _log1pexp(x)
    g = tape.gradient(y, x)
    close(y[:2], np.log1p(np.exp([0.0, 1.0])), rtol=1e-6)
    close(g, [0.5, 1 / (1 + np.exp(-1.0)), 1.0], rtol=1e-6)  # exactly 1 at 50 (the point of it)
    assert g.dtype == np.float32


def test_custom_gradient_is_what_the_tape_uses():
    @ops.custom_gradient
    def clip_grad(x):
        return x * 1.0, lambda up: ops.clip(up, -0.1, 0.1)

    x = ember.Variable(np.array([1.0, 2.0], "float32"))
    with ember.GradientTape() as tape:
        loss = ops.sum(clip_grad(x) * np.array([5.0, -0.05], "float32"))
    close(tape.gradient(loss, x), [0.1, -0.05])


def test_custom_gradient_without_tape_returns_the_result():
    calls = []

    @ops.custom_gradient
    def f(x):
        calls.append(1)
        return x * 2.0, lambda up: up

    close(f(np.array([1.0])), [2.0])
    assert calls == [1]


def test_custom_gradient_several_arguments_and_nested_results():
    @ops.custom_gradient
    def f(a, pair):
        b, c = pair
        out = {"s": a * b, "t": (a + c,)}

        def grad(up):  # up has the result's structure
            return up["s"] * b + up["t"][0], (up["s"] * a, up["t"][0] * 3.0)

        return out, grad

    a, b, c = (ember.Variable(np.array(v, "float32")) for v in ([1.0, 2.0], [3.0, 4.0], [5.0, 6.0]))
    with ember.GradientTape() as tape:
        out = f(a, (b, c))
        loss = ops.sum(out["s"]) + ops.sum(out["t"][0] * 2.0)
    ga, gb, gc = tape.gradient(loss, [a, b, c])
    close(out["s"], [3.0, 8.0])
    close(ga, np.array([3.0, 4.0]) + 2.0)
    close(gb, [1.0, 2.0])
    close(gc, [6.0, 6.0])  # the custom gradient (3 * upstream), not the true one (1)


def test_custom_gradient_unused_result_gets_zero_upstream():
    seen = []

    @ops.custom_gradient
    def f(x):
        def grad(up):
            seen.append([np.asarray(u).tolist() for u in up])
            return up[0] + up[1]

        return (x * 2.0, x * 3.0), grad

    x = ember.Variable(np.array([1.0], "float32"))
    with ember.GradientTape() as tape:
        first, _ = f(x)
    close(tape.gradient(first, x), [1.0])
    assert seen == [[[1.0], [0.0]]]


def test_custom_gradient_second_derivative():
    x = ember.Variable(np.array([0.3, -1.2], "float32"))
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            y = _log1pexp(x)
        g = inner.gradient(y, x)
    s = 1 / (1 + np.exp(-np.asarray(x)))
    close(outer.gradient(g, x), s * (1 - s), rtol=1e-5)


def test_custom_gradient_with_variables():
    w = ember.Variable(np.array([2.0, 3.0], "float32"))

    @ops.custom_gradient
    def f(x):
        def grad(up, variables=None):
            return up * w, [up * x * 10.0]

        return x * w, grad

    x = ember.Variable(np.array([1.0, 1.0], "float32"))
    with ember.GradientTape() as tape:
        y = f(x)
    gx, gw = tape.gradient(y, [x, w])
    close(gx, [2.0, 3.0])
    close(gw, [10.0, 10.0])


def test_custom_gradient_errors():
    w = ember.Variable(np.array([2.0], "float32"))

    @ops.custom_gradient
    def reads_variable(x):
        return x * w, lambda up: up

    x = ember.Variable(np.array([1.0], "float32"))
    with ember.GradientTape():
        with pytest.raises(TypeError, match="grad_fn must accept a keyword argument "
                                            "'variables'"):
            reads_variable(x)

    @ops.custom_gradient
    def wrong_count(a, b):
        return a * b, lambda up: (up, up, up)

    with ember.GradientTape() as tape:
        y = wrong_count(x, ember.Variable(np.array([1.0], "float32")))
    with pytest.raises(ValueError, match="custom_gradient: grad_fn returned 3 gradients for 2"):
        tape.gradient(y, x)


# -- under tf.function -----------------------------------------------------------------------------
def test_under_tf_function_loops_replay_and_branches_run_eagerly():
    import warnings

    import ember as tf

    @tf.function
    def scanned(x, w):
        with tf.GradientTape() as tape:
            tape.watch(x)
            carry, ys = ops.scan(lambda c, v: (ops.tanh(c * w + v), c), ops.zeros(2), x)
            loss = ops.sum(ys) + ops.sum(carry)
        return loss, tape.gradient(loss, x)

    @tf.function
    def branch(x):
        return ops.cond(ops.sum(x) > 0, lambda: x * 2.0, lambda: x - 1.0)

    @tf.function
    def segments(x, ids):
        return ops.segment_sum(x, ids, num_segments=2)

    @tf.function
    def update(x, ids):  # traced indices: never frozen into the trace as constants
        return ops.scatter_update(x, ids[:1, None], [9.0])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "cannot be replayed ... runs it eagerly"
        w = tf.convert_to_tensor(np.float32(0.5))
        for seed in range(3):
            x = tf.convert_to_tensor(rand((4, 2), seed=seed).astype("float32"))
            loss, grad = scanned(x, w)
            with tf.GradientTape() as tape:
                tape.watch(x)
                carry, ys = ops.scan(lambda c, v: (ops.tanh(c * w + v), c), ops.zeros(2), x)
                want = ops.sum(ys) + ops.sum(carry)
            close(loss, want, rtol=1e-6)
            close(grad, tape.gradient(want, x), rtol=1e-6)
        close(branch(tf.convert_to_tensor([1.0, 2.0])), [2.0, 4.0])
        close(branch(tf.convert_to_tensor([-1.0, -2.0])), [-2.0, -3.0])
        data = tf.convert_to_tensor([1.0, 2.0, 3.0])
        for ids, sums, updated in [([0, 0, 1], [3.0, 3.0], [9.0, 2.0, 3.0]),
                                   ([1, 0, 1], [2.0, 4.0], [1.0, 9.0, 3.0])]:
            close(segments(data, tf.convert_to_tensor(ids)), sums)
            close(update(data, tf.convert_to_tensor(ids)), updated)
