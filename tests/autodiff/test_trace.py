"""The trace machinery: recording ops and effects, replaying them, detecting what escapes."""

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff import trace
from ember.autodiff.tensor import Tensor, Variable


def _record(fn, *args):
    tr = trace.Trace("fn")
    with tr:
        for a in args:
            tr.add_argument(a)
        result = fn(*args)
        tr.set_output(result)
    return tr, result


def test_replay_recomputes_ops_on_new_arguments():
    w = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))

    def fn(x):
        return ops.sum(ops.relu(ops.matmul(x, w) - 5.0), axis=1)

    x1 = Tensor(np.array([[1.0, 1.0]], np.float32))
    tr, first = _record(fn, x1)
    assert tr.escape is None
    x2 = Tensor(np.array([[2.0, -1.0], [0.5, 3.0]], np.float32))
    np.testing.assert_array_equal(tr.replay([x2]).data, fn(x2).data)
    w.assign(np.ones((2, 2), np.float32))  # a captured Variable is read at replay
    np.testing.assert_array_equal(tr.replay([x2]).data, fn(x2).data)


def test_raw_array_of_an_argument_is_a_ref_not_a_constant():
    def fn(x):
        return ops.add(x.data, 1.0)  # the argument's own array, passed raw

    tr, _ = _record(fn, Tensor(np.zeros(3, np.float32)))
    assert tr.escape is None
    out = tr.replay([Tensor(np.full(3, 2.0, np.float32))])
    np.testing.assert_array_equal(out.data, np.full(3, 3.0, np.float32))


@pytest.mark.parametrize("read", [
    lambda t: t.numpy(), lambda t: float(ops.sum(t)), lambda t: bool(ops.sum(t) > 0),
    lambda t: int(ops.sum(t)), lambda t: np.asarray(t),
])
def test_reading_a_traced_value_into_python_is_an_escape(read):
    def fn(x):
        read(x)
        return x * 2.0

    tr, _ = _record(fn, Tensor(np.ones(2, np.float32)))
    assert tr.escape is not None and "traced tensor" in tr.escape


def test_a_view_of_a_traced_array_used_as_a_constant_is_an_escape():
    def fn(x):
        y = ops.exp(x)
        return ops.add(x, y.data[::-1])  # a view of a traced value, frozen if replayed

    tr, _ = _record(fn, Tensor(np.ones(2, np.float32)))
    assert "view of a traced value" in tr.escape


def test_random_numbers_drawn_outside_an_op_are_an_escape_but_dropout_is_not():
    tr, _ = _record(lambda x: x + ember.random.normal((2,)), Tensor(np.ones(2, np.float32)))
    assert "random numbers" in tr.escape
    tr, _ = _record(lambda x: ops.dropout(x, 0.5), Tensor(np.ones(1000, np.float32)))
    assert tr.escape is None
    a = tr.replay([Tensor(np.ones(1000, np.float32))]).data
    b = tr.replay([Tensor(np.ones(1000, np.float32))]).data
    assert not np.array_equal(a, b)  # a fresh mask each replay
    assert set(np.unique(a)) <= {0.0, 2.0}


def test_effects_run_at_trace_and_again_at_each_replay():
    seen = []

    @trace.effect
    def log(value, tag):
        seen.append((tag, float(value.data)))
        return value

    def fn(x):
        y = x * 3.0
        z = log(y, "y")  # an effect's returned tensor is a slot later nodes can use
        return z + 1.0

    tr, _ = _record(fn, Tensor(np.float32(1.0)))
    assert seen == [("y", 3.0)]
    out = tr.replay([Tensor(np.float32(2.0))])
    assert seen == [("y", 3.0), ("y", 6.0)]
    assert float(out.data) == 7.0


def test_variable_assignments_are_replayed():
    v = Variable(np.zeros(2, np.float32))

    def fn(x):
        v.assign_add(x * 2.0)
        return ops.sum(v)

    tr, _ = _record(fn, Tensor(np.ones(2, np.float32)))
    np.testing.assert_array_equal(v.numpy(), [2.0, 2.0])
    out = tr.replay([Tensor(np.array([1.0, 3.0], np.float32))])
    np.testing.assert_array_equal(v.numpy(), [4.0, 8.0])
    assert float(out.data) == 12.0


def test_gradient_tape_inside_a_trace_is_made_afresh_at_replay():
    w = Variable(np.array([1.0, 2.0], np.float32))

    def fn(x):
        with ember.GradientTape() as tape:
            loss = ops.sum(ops.square(w * x))
        return tape.gradient(loss, w)

    tr, g = _record(fn, Tensor(np.ones(2, np.float32)))
    np.testing.assert_allclose(g.data, 2 * w.data)
    x = np.array([2.0, 3.0], np.float32)
    np.testing.assert_allclose(tr.replay([Tensor(x)]).data, 2 * w.data * x * x)


def test_variables_may_be_created_only_by_a_first_trace():
    tr = trace.Trace("fn", first=True)
    with tr:
        v = Variable(1.0)
    assert tr.created_variables == [v]
    with pytest.raises(ValueError, match="singleton tf.Variables created on the first call"):
        with trace.Trace("fn", first=False):
            Variable(1.0)


def test_replay_rejects_an_effect_whose_result_changed_structure():
    results = [[Tensor(np.float32(1.0))], []]

    @trace.effect
    def changing():
        return results.pop(0)

    tr, _ = _record(lambda x: changing(), Tensor(np.float32(0.0)))
    with pytest.raises(RuntimeError, match="returned 0 values when replayed; it returned 1"):
        tr.replay([Tensor(np.float32(0.0))])


def test_dropout_op_gradient():
    from ember.autodiff.gradcheck import check_gradients

    x = np.random.default_rng(0).standard_normal((4, 5))
    report = check_gradients(lambda t: ops.dropout(t, 0.4, seed=3), [x])
    assert report is not None


def test_sparse_softmax_ce_reads_labels_at_each_replay():
    logits = Tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))

    def fn(labels):
        return ops.sparse_categorical_crossentropy(labels, logits, from_logits=True)

    tr, _ = _record(fn, Tensor(np.array([0, 1, 2, 0], np.int32)))
    assert tr.escape is None
    labels = Tensor(np.array([2, 2, 1, 1], np.int32))
    np.testing.assert_array_equal(tr.replay([labels]).data, fn(labels).data)
    with pytest.raises(ValueError, match="label value of 7"):
        tr.replay([Tensor(np.array([7, 0, 0, 0], np.int32))])
