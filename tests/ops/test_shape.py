"""Shape ops: forward against NumPy, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand

X = rand((2, 3, 4), seed=11)


@pytest.mark.parametrize("shape", [(6, 4), (-1,), (4, -1, 3), (24,), (2, 3, 4, 1)], ids=str)
def test_reshape(shape):
    close(ops.reshape(X, shape).data, X.reshape(shape))
    assert_grads(lambda t: ops.reshape(t, shape), X)


def test_reshape_error():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape an input of shape \(2, 3, 4\) "
                                         r"\(24 elements\) into shape \(5, -1\)"):
        ops.reshape(X, (5, -1))


@pytest.mark.parametrize("axes", [None, (1, 0, 2), (2, 0, 1), (-1, 0, 1)], ids=str)
def test_transpose(axes):
    close(ops.transpose(X, axes).data, np.transpose(X, axes))
    assert_grads(lambda t: ops.transpose(t, axes), X)


def test_transpose_error_and_T():
    with pytest.raises(ValueError, match=r"transpose: axes \(0, 0, 1\) are not a permutation"):
        ops.transpose(X, (0, 0, 1))
    v = ember.Variable(X[0])
    close(v.T.data, X[0].T)


@pytest.mark.parametrize("axis", [0, -1, 2, (0, 3)], ids=str)
def test_expand_dims(axis):
    close(ops.expand_dims(X, axis).data, np.expand_dims(X, axis))
    assert_grads(lambda t: ops.expand_dims(t, axis), X)


@pytest.mark.parametrize("axis", [None, 0, -2, (0, 2)], ids=str)
def test_squeeze(axis):
    x = rand((1, 3, 1, 2), 1)
    close(ops.squeeze(x, axis).data, np.squeeze(x, axis))
    assert_grads(lambda t: ops.squeeze(t, axis), x)


def test_squeeze_error():
    with pytest.raises(ValueError, match=r"squeeze: axis 1 has length 3, not 1 \(input shape "
                                         r"\(1, 3\)\)"):
        ops.squeeze(np.ones((1, 3)), 1)


def test_ravel_and_flatten():
    close(ops.ravel(X).data, X.ravel())
    close(ops.flatten(X).data, X.reshape(2, 12))
    assert_grads(ops.flatten, X)


KEYS = [
    1, -1, (slice(None), 1), (Ellipsis, 2), (None, 0), slice(None, None, -1),
    (slice(0, 2), slice(None, None, 2), slice(1, 3)), np.array([1, 0, 1]),
    (slice(None), np.array([0, 2, 2])), X > 0, (1, np.array([[0, 1], [2, 2]])),
]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: type(k).__name__)
def test_getitem(key):
    close(ops.getitem(X, key).data, X[key])
    assert_grads(lambda t: t[key], X)


def test_getitem_error_names_shape():
    with pytest.raises(IndexError, match=r"getitem: .*input shape \(2, 3, 4\)"):
        ops.getitem(X, 5)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis):
    a, b = rand((2, 3, 4), 1), rand((2, 3, 4), 2)
    close(ops.concatenate([a, b], axis=axis).data, np.concatenate([a, b], axis=axis))
    assert_grads(lambda x, y: ops.concatenate([x, y, x], axis=axis), a, b)
    close(ops.stack([a, b], axis=axis).data, np.stack([a, b], axis=axis))
    assert_grads(lambda x, y: ops.stack([x, y], axis=axis), a, b)


def test_concatenate_and_stack_errors():
    with pytest.raises(ValueError, match=r"concatenate: .*\[\(2, 3\), \(2, 4\)\]"):
        ops.concatenate([np.ones((2, 3)), np.ones((2, 4))], axis=0)
    with pytest.raises(ValueError, match=r"stack: all inputs must have the same shape"):
        ops.stack([np.ones((2, 3)), np.ones((2, 4))])


@pytest.mark.parametrize("sections,axis", [(2, 0), (3, 1), ([1, 3], -1), ([2], 2)], ids=str)
def test_split(sections, axis):
    parts = ops.split(X, sections, axis=axis)
    for p, r in zip(parts, np.split(X, sections, axis=axis)):
        close(p.data, r)
    assert_grads(lambda t: ops.concatenate(
        [p * (i + 1) for i, p in enumerate(ops.split(t, sections, axis=axis))], axis=axis), X)


def test_split_error():
    with pytest.raises(ValueError, match="split: axis 1 of length 3 cannot be split into 2"):
        ops.split(X, 2, axis=1)


@pytest.mark.parametrize("src,dst", [((3,), (2, 3)), ((2, 1), (2, 3)), ((1,), (2, 2, 2)),
                                     ((), (2,))], ids=str)
def test_broadcast_to(src, dst):
    x = rand(src, 3)
    close(ops.broadcast_to(x, dst).data, np.broadcast_to(x, dst))
    assert_grads(lambda t: ops.broadcast_to(t, dst), x)


def test_broadcast_to_error():
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast an input of shape "
                                         r"\(3,\) to \(2, 4\)"):
        ops.broadcast_to(np.ones(3), (2, 4))


def test_swapaxes_moveaxis_unstack():
    close(ops.swapaxes(X, 0, -1).data, np.swapaxes(X, 0, -1))
    assert_grads(lambda t: ops.swapaxes(t, 0, 2), X)
    close(ops.moveaxis(X, 0, -1).data, np.moveaxis(X, 0, -1))
    close(ops.moveaxis(X, [0, 1], [2, 0]).data, np.moveaxis(X, [0, 1], [2, 0]))
    assert_grads(lambda t: ops.moveaxis(t, -1, 0), X)
    parts = ops.unstack(X, axis=1)
    assert len(parts) == 3
    close(parts[2].data, X[:, 2])
    assert_grads(lambda t: ops.unstack(t, axis=-1)[1] * 2, X)
    with pytest.raises(ValueError, match="unstack: num=4"):
        ops.unstack(X, num=4, axis=1)


@pytest.mark.parametrize("indices,axis", [
    (np.array([2, 0, 2]), 1), (np.array([[1, 0], [3, 3]]), -1), (np.array([-1, 0]), 0),
    (np.array([5, 0, 23, 5]), None), (2, 1), (np.arange(100) % 3, 1),
], ids=str)
def test_take(indices, axis):
    close(ops.take(X, indices, axis=axis).data, np.take(X, indices, axis=axis))
    assert_grads(lambda t: ops.take(t, indices, axis=axis), X)


def test_take_embedding_rows_accumulates_repeats():
    table = rand((5, 3), 2)
    idx = np.random.default_rng(0).integers(0, 5, size=200)
    close(ops.take(table, idx, axis=0).data, table[idx])
    v = ember.Variable(table)
    with ember.GradientTape() as tape:
        y = ops.sum(ops.take(v, idx, axis=0))
    counts = np.bincount(idx, minlength=5)
    close(tape.gradient(y, v).numpy(), np.repeat(counts[:, None], 3, axis=1))


def test_take_errors():
    with pytest.raises(IndexError, match=r"take: indices must be in \[-3, 3\) for axis 1 of an "
                                         r"input of shape \(2, 3, 4\)"):
        ops.take(X, np.array([0, 3]), axis=1)
    with pytest.raises(TypeError, match="take: indices must be integers"):
        ops.take(X, np.array([0.5]), axis=1)


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_take_along_axis(axis):
    x = rand((3, 4), 1)
    idx = np.argsort(x, axis=axis) if axis is not None else np.array([3, 0, 0, 11])
    if axis is not None:
        idx = np.concatenate([idx, idx], axis=axis)  # repeats accumulate
    close(ops.take_along_axis(x, idx, axis=axis).data, np.take_along_axis(x, idx, axis=axis))
    assert_grads(lambda t: ops.take_along_axis(t, idx, axis=axis), x)


def test_take_along_axis_broadcast_and_error():
    x = rand((1, 4), 1)
    idx = np.array([[0, 1], [3, 3]])
    close(ops.take_along_axis(x, idx, axis=1).data, np.take_along_axis(x, idx, axis=1))
    assert_grads(lambda t: ops.take_along_axis(t, idx, axis=1), x)
    with pytest.raises(ValueError, match=r"take_along_axis: indices of shape \(2,\) must have "
                                         r"the rank of the input \(shape \(1, 4\)\)"):
        ops.take_along_axis(x, np.array([0, 1]), axis=1)


def test_slice_and_slice_update():
    close(ops.slice(X, (1, 0, 1), (1, 2, -1)).data, X[1:2, 0:2, 1:])
    assert_grads(lambda t: ops.slice(t, (0, 1, 1), (2, 2, 2)), X)
    u = rand((1, 2, 2), 5)
    expected = X.copy()
    expected[1:2, 1:3, 2:4] = u
    close(ops.slice_update(X, (1, 1, 2), u).data, expected)
    assert_grads(lambda t, s: ops.slice_update(t, (1, 1, 2), s) * 3, X, u)
    with pytest.raises(ValueError, match=r"slice: the block starting at \[1, 0, 0\] with shape "
                                         r"\[2, 1, 1\] does not fit in an input of shape"):
        ops.slice(X, (1, 0, 0), (2, 1, 1))
    with pytest.raises(ValueError, match=r"slice_update: updates of shape \(1, 2, 2\) at "
                                         r"\[1, 2, 2\] do not fit"):
        ops.slice_update(X, (1, 2, 2), u)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)], ids=str)
def test_flip(axis):
    close(ops.flip(X, axis).data, np.flip(X, axis))
    assert_grads(lambda t: ops.flip(t, axis) * np.arange(24.0).reshape(2, 3, 4), X)


@pytest.mark.parametrize("shift,axis", [(1, None), (-2, 1), ((1, 2), (0, 2))], ids=str)
def test_roll(shift, axis):
    close(ops.roll(X, shift, axis).data, np.roll(X, shift, axis))
    assert_grads(lambda t: ops.roll(t, shift, axis) * np.arange(24.0).reshape(2, 3, 4), X)


@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric", "edge", "wrap"])
@pytest.mark.parametrize("width", [((1, 2), (0, 1), (2, 0)), ((1, 1),), 1], ids=str)
def test_pad(mode, width):
    ref_width = width if not (isinstance(width, tuple) and len(width) == 1) else width * 3
    close(ops.pad(X, width, mode=mode).data, np.pad(X, ref_width, mode=mode))
    assert_grads(lambda t: ops.pad(t, width, mode=mode) * rand(
        np.pad(X, ref_width).shape, 9), X)


def test_pad_constant_value_dtype_and_errors():
    v = ember.Variable(np.ones((2, 2), dtype="float32"))
    y = ops.pad(v, ((1, 0), (0, 1)), constant_values=-1.5)
    assert y.dtype == np.float32
    close(y.data, np.pad(np.ones((2, 2)), ((1, 0), (0, 1)), constant_values=-1.5))
    with pytest.raises(ValueError, match=r"pad: pad_width must have one \(before, after\) pair "
                                         r"per axis of the input \(rank 2\)"):
        ops.pad(v, ((1, 0), (0, 1), (1, 1)))
    with pytest.raises(ValueError, match="pad: mode 'reflect' cannot pad the empty axis 0"):
        ops.pad(np.ones((0, 2)), ((2, 0), (0, 0)), mode="reflect")
    with pytest.raises(ValueError, match="pad: mode must be one of"):
        ops.pad(v, 1, mode="circular")


@pytest.mark.parametrize("reps", [2, (2, 1, 3), (2, 1, 1, 2), (1, 2)], ids=str)
def test_tile(reps):
    close(ops.tile(X, reps).data, np.tile(X, reps))
    assert_grads(lambda t: ops.tile(t, reps), X)


@pytest.mark.parametrize("repeats,axis", [(2, None), (3, 1), (2, -1),
                                          (np.array([0, 2, 1]), 1)], ids=str)
def test_repeat(repeats, axis):
    close(ops.repeat(X, repeats, axis=axis).data, np.repeat(X, repeats, axis=axis))
    assert_grads(lambda t: ops.repeat(t, repeats, axis=axis), X)


def test_repeat_error():
    with pytest.raises(ValueError, match=r"repeat: repeats of shape \(2,\) must hold one "
                                         r"non-negative count per element of axis 1"):
        ops.repeat(X, np.array([1, 2]), axis=1)


@pytest.mark.parametrize("k", [0, 1, -1])
def test_tril_triu(k):
    close(ops.tril(X, k).data, np.tril(X, k))
    close(ops.triu(X, k).data, np.triu(X, k))
    assert_grads(lambda t: ops.tril(t, k), X)
    assert_grads(lambda t: ops.triu(t, k), X)


@pytest.mark.parametrize("axis", [0, -1])
def test_sort_argsort(axis):
    close(ops.sort(X, axis=axis).data, np.sort(X, axis=axis))
    np.testing.assert_array_equal(ops.argsort(X, axis=axis).numpy(), np.argsort(X, axis=axis))
    assert_grads(lambda t: ops.sort(t, axis=axis) * np.arange(24.0).reshape(2, 3, 4), X)


def test_shape_ops_keep_float32():
    fns = [
        lambda t: ops.reshape(t, (-1,)), lambda t: ops.transpose(t), lambda t: t[0, 1:],
        lambda t: ops.take(t, [0, 0], axis=1), lambda t: ops.pad(t, 1),
        lambda t: ops.tile(t, 2), lambda t: ops.repeat(t, 2, axis=0),
        lambda t: ops.concatenate([t, t]), lambda t: ops.flip(t, 0),
    ]
    for fn in fns:
        _, (g,) = float32_run(fn, rand((2, 3), 1))
        assert g is not None


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 100))
def test_take_random(shape, seed):
    x = rand(tuple(shape), seed)
    rng = np.random.default_rng(seed)
    axis = int(rng.integers(-len(shape), len(shape)))
    idx = rng.integers(-shape[axis], shape[axis], size=(3,))
    close(ops.take(x, idx, axis=axis).data, np.take(x, idx, axis=axis))
    assert_grads(lambda t: ops.take(t, idx, axis=axis), x)
