"""Parity of the array-manipulation and creation ops with ``keras.ops``: values, shapes and
result dtypes on the same inputs (float32, int32 and bool; Keras on JAX runs without 64-bit
types, so 64-bit inputs are left out)."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember

rng = np.random.default_rng(0)
F = rng.normal(size=(3, 4)).astype("float32")
F3 = rng.normal(size=(2, 3, 4)).astype("float32")
I = np.arange(12, dtype="int32").reshape(3, 4)  # noqa: E741
B = np.array([[True, False, True, True], [False, False, True, False], [True] * 4])
V = np.array([3.0, -1.0, 2.0, 0.5], "float32")
VI = np.array([3, 1, 3, 2, 1, 1], "int32")
C = (rng.normal(size=(3,)) + 1j * rng.normal(size=(3,))).astype("complex64")

CASES = [
    ("append", (F, I), {}),
    ("append", (F, F), {"axis": 0}),
    ("append", (VI.astype("int8"), 1), {}),
    ("append", (VI, 1.5), {}),
    ("array", ([1, 2],), {}),
    ("array", ([1.0, 2.0],), {}),
    ("array", ([1, 2],), {"dtype": "float16"}),
    ("array_split", (np.arange(7, dtype="float32"), 3), {}),
    ("array_split", (F, 3), {"axis": 1}),
    ("array_split", (np.arange(2, dtype="float32"), 3), {}),
    ("diag", (F,), {}),
    ("diag", (F, 1), {}),
    ("diag", (F, -2), {}),
    ("diag", (V,), {}),
    ("diag", (VI, -1), {}),
    ("diag", (V, 2), {}),
    ("diagflat", (F[:2, :2], 1), {}),
    ("diagonal", (F3,), {}),
    ("diagonal", (F3, 1, 0, 2), {}),
    ("diagonal", (F3, -1, 2, 1), {}),
    ("diagonal", (F, 5), {}),
    ("trace", (F,), {}),
    ("trace", (I, 1), {}),
    ("trace", (F3, -1, 1, 2), {}),
    ("trace", (B,), {}),
    ("trace", (I.astype("int8"),), {}),
    ("trace", (I.astype("uint8"),), {}),
    ("trace", (I.astype("float16"),), {}),
    ("diff", (F,), {}),
    ("diff", (F, 2), {"axis": 0}),
    ("diff", (I, 3), {}),
    ("diff", (B[0],), {}),
    ("diff", (V, 0), {}),
    ("diff", (V, 6), {}),
    ("dsplit", (F3, 2), {}),
    ("dsplit", (F3, [1, 3]), {}),
    ("dstack", ([F, I],), {}),
    ("dstack", ([V, V],), {}),
    ("hsplit", (F, 2), {}),
    ("hsplit", (V, 2), {}),
    ("hsplit", (np.zeros((2, 5), "float32"), [1, 3]), {}),
    ("hstack", ([F, F],), {}),
    ("hstack", ([V, VI],), {}),
    ("vsplit", (F, 3), {}),
    ("vsplit", (V, 2), {}),
    ("vstack", ([F, I],), {}),
    ("vstack", ([V, V],), {}),
    ("fliplr", (F,), {}),
    ("flipud", (F3,), {}),
    ("rot90", (F,), {}),
    ("rot90", (F, 2), {}),
    ("rot90", (F, -1), {}),
    ("rot90", (F, 4), {}),
    ("rot90", (F3, 3), {"axes": (1, 2)}),
    ("rot90", (F3, 1), {"axes": (2, 0)}),
    ("tri", (3, 4, 1), {}),
    ("tri", (3,), {"dtype": "int32"}),
    ("tri", (3, 2, -1), {}),
    ("meshgrid", (V[:3], I[0]), {}),
    ("meshgrid", (V[:3], I[0], V[:2]), {"indexing": "ij"}),
    ("meshgrid", (V[:3], I[0], V[:2]), {}),
    ("meshgrid", (VI,), {}),
    ("empty", ((2, 3),), {}),
    ("empty", (3, "int32"), {}),
    ("empty_like", (I,), {}),
    ("empty_like", (I, "float16"), {}),
    ("copy", (I,), {}),
    ("copy", (B,), {}),
    ("get_item", (F, 1), {}),
    ("get_item", (F, (1, slice(1, 3))), {}),
    ("geomspace", (1, 1000, 4), {}),
    ("geomspace", (1, 1000, 4), {"dtype": "int32"}),
    ("geomspace", (-1, -100, 3), {"endpoint": False}),
    ("geomspace", (np.array([1.0, 2.0], "float32"), np.array([10.0, 20.0], "float32"), 3),
     {"axis": 1}),
    ("logspace", (0, 3, 4), {}),
    ("logspace", (0, 3, 4), {"endpoint": False, "base": 2}),
    ("logspace", (np.array([1.0, 2.0], "float32"), 3.0, 3), {"axis": -1}),
    ("nonzero", (F > 0,), {}),
    ("nonzero", (I,), {}),
    ("nonzero", (B,), {}),
    ("searchsorted", (np.array([1.0, 2, 2, 3], "float32"), np.array([2.0, 0, 4], "float32")),
     {}),
    ("searchsorted", (np.array([1.0, 2, 2, 3], "float32"), np.array([[2.0], [2.5]], "float32")),
     {"side": "right"}),
    ("select", ([F > 0.5, F > -0.5], [F, I]), {}),
    ("select", ([F > 0.5, F > -0.5], [F, I], -1.0), {}),
    ("select", ([np.array([True, False])], [np.array([1, 2], "int32")], 0.5), {}),
    ("select", ([np.array([True, False])], [np.float32(3)], np.zeros((2, 2), "float32")), {}),
    ("select", ([np.array([1, 0], "int32")], [np.array([1.0, 2], "float32")]), {}),
    ("unique", (VI,), {}),
    ("unique", (VI,), {"return_index": True, "return_inverse": True, "return_counts": True}),
    ("unique", (VI,), {"return_index": True, "return_inverse": True, "return_counts": True,
                       "size": 5}),
    ("unique", (VI,), {"size": 5, "fill_value": -1}),
    ("unique", (VI,), {"size": 2, "return_counts": True}),
    ("unique", (VI,), {"sorted": False}),
    ("unique", (np.array([[1, 2], [1, 2], [0, 1]], "float32"),), {"axis": 0,
                                                                   "return_inverse": True}),
    ("unique", (np.array([[1, 2], [1, 2]], "float32"),), {"return_inverse": True}),
    ("unique", (B,), {"return_counts": True}),
    ("unravel_index", (np.array([5, 7, 0], "int32"), (3, 4)), {}),
    ("unravel_index", (np.array([[5], [23]], "int32"), (2, 3, 4)), {}),
    ("vander", (V,), {}),
    ("vander", (V[:3], 4), {"increasing": True}),
    ("vander", (VI[:3],), {}),
    ("vander", (VI[:2].astype("int8"),), {}),
    ("vander", (V, 0), {}),
    ("view", (F, "int32"), {}),
    ("view", (F, "int8"), {}),
    ("view", (F,), {}),
    ("view", (I.astype("int8"), "uint8"), {}),
    ("view_as_real", (C,), {}),
    ("view_as_real", (V,), {}),
    ("view_as_complex", (F3[..., :2],), {}),
    ("bartlett", (5,), {}),
    ("bartlett", (0,), {}),
    ("bartlett", (1,), {}),
    ("blackman", (6,), {}),
    ("hamming", (np.int32(4),), {}),
    ("hanning", (7,), {}),
    ("kaiser", (5, 3.0), {}),
    ("kaiser", (4, 0), {}),
]


def _ids(case):
    name, args, kwargs = case
    return name


def _compare(got, want, what):
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), (
            f"{what}: ember gave {type(got).__name__} of {len(got)}, keras {len(want)}")
        for i, (g, w) in enumerate(zip(got, want)):
            _compare(g, w, f"{what}[{i}]")
        return
    g, w = to_numpy(got), to_numpy(want)
    assert g.dtype == w.dtype, f"{what}: dtype ember {g.dtype}, keras {w.dtype}"
    if w.dtype.kind in "fc":
        assert_close(g, w, rtol=1e-5, atol=1e-6, what=what)
    else:
        assert g.shape == w.shape, f"{what}: shapes differ: ember {g.shape}, keras {w.shape}"
        np.testing.assert_array_equal(g, w, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_op_matches_keras(keras, case):
    name, args, kwargs = case
    want = getattr(keras.ops, name)(*args, **kwargs)
    got = getattr(ember.ops, name)(*args, **kwargs)
    _compare(got, want, f"{name} {kwargs}")


def test_empty_has_keras_shape_and_dtype(keras):
    # empty's values are unspecified in general: compare only shape and dtype
    got, want = ember.ops.empty((2, 3), "float16"), keras.ops.empty((2, 3), "float16")
    assert got.shape == tuple(want.shape) and str(got.dtype) == str(want.dtype)


@pytest.mark.parametrize("x", [F, I, B, V.astype("float16"), C], ids=lambda a: str(a.dtype))
def test_dtype_matches_keras(keras, x):
    assert ember.ops.dtype(x) == keras.ops.dtype(x)
    assert ember.ops.dtype(ember.ops.convert_to_tensor(x)) == keras.ops.dtype(
        keras.ops.convert_to_tensor(x))


@pytest.mark.parametrize("axis", [-1, 0, None])
@pytest.mark.parametrize("kth", [0, 2, -1])
def test_argpartition_partitions_as_keras(keras, kth, axis):
    # the order inside each side of the partition is unspecified: compare the sides as sets
    x = rng.permutation(12).astype("float32").reshape(3, 4)
    got = to_numpy(ember.ops.argpartition(x, kth, axis=axis))
    want = to_numpy(keras.ops.argpartition(x, kth, axis=axis))
    assert got.dtype == want.dtype and got.shape == want.shape
    flat = x.reshape(-1) if axis is None else x
    ax = 0 if axis is None else axis
    g, w = np.take_along_axis(flat, got, ax), np.take_along_axis(flat, want, ax)
    n = g.shape[ax]
    k = kth % n
    take = lambda a, s: np.sort(np.take(a, np.arange(n)[s], axis=ax), axis=ax)  # noqa: E731
    for part in (slice(0, k), slice(k, k + 1), slice(k + 1, n)):
        np.testing.assert_array_equal(take(g, part), take(w, part))


def test_vectorize_matches_keras(keras):
    x = rng.normal(size=(3, 4)).astype("float32")
    y = rng.normal(size=(4,)).astype("float32")
    got = ember.ops.vectorize(lambda a, b: a * b + 1.0)(x, y)
    want = keras.ops.vectorize(lambda a, b: a * b + 1.0)(x, y)
    _compare(got, want, "vectorize elementwise")
    sig = "(n),(n)->()"
    got = ember.ops.vectorize(lambda a, b: ember.ops.sum(a * b), signature=sig)(x, y)
    want = keras.ops.vectorize(lambda a, b: keras.ops.sum(a * b), signature=sig)(x, y)
    _compare(got, want, "vectorize with a signature")


ERROR_CASES = [
    ("diag", (F3,), {}),
    ("diag", (np.float32(1),), {}),
    ("diagonal", (V,), {}),
    ("diagonal", (F, 0, 1, 1), {}),
    ("trace", (V,), {}),
    ("rot90", (V,), {}),
    ("rot90", (F,), {"axes": (1, 1)}),
    ("rot90", (F,), {"axes": (0, 2)}),
    ("hsplit", (np.zeros((2, 3), "float32"), 2), {}),
    ("fliplr", (V,), {}),
    ("flipud", (np.float32(3),), {}),
    ("diff", (V, -1), {}),
    ("diff", (np.float32(3),), {}),
    ("select", ([V > 0], [V, V]), {}),
    ("select", ([], []), {}),
    ("searchsorted", (F, V), {}),
    ("searchsorted", (V, V), {"side": "middle"}),
    ("vander", (F,), {}),
    ("vander", (B[0],), {}),
    ("view_as_complex", (F,), {}),
    ("nonzero", (np.float32(1),), {}),
    ("argpartition", (V, 5), {}),
    ("meshgrid", (V,), {"indexing": "zz"}),
    ("meshgrid", (F, V), {}),
    ("array_split", (V, [1, 2]), {}),
    ("array_split", (V, 0), {}),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[_ids(c) for c in ERROR_CASES])
def test_errors_match_keras(keras, case):
    name, args, kwargs = case
    with pytest.raises(Exception) as want:
        getattr(keras.ops, name)(*args, **kwargs)
    with pytest.raises(want.type, match=name):
        getattr(ember.ops, name)(*args, **kwargs)


GRAD_CASES = [
    ("diag", lambda o, x: o.diag(x[0], 1)),
    ("diag2d", lambda o, x: o.diag(x, -1)),
    ("diagflat", lambda o, x: o.diagflat(x[:2], 1)),
    ("diagonal", lambda o, x: o.diagonal(x, 1)),
    ("trace", lambda o, x: o.trace(x, -1)),
    ("diff", lambda o, x: o.diff(x, 2)),
    ("rot90", lambda o, x: o.rot90(x, 3)),
    ("fliplr", lambda o, x: o.fliplr(x)),
    ("append", lambda o, x: o.append(x, x[0] * 3.0)),
    ("hstack", lambda o, x: o.hstack([x, x * 2.0])),
    ("vstack", lambda o, x: o.vstack([x[0], x[1] * 2.0])),
    ("dstack", lambda o, x: o.dstack([x, x * x])),
    ("array_split", lambda o, x: o.array_split(x, 3, axis=1)[0] * 2.0),
    ("hsplit", lambda o, x: o.hsplit(x, 2)[1]),
    ("select", lambda o, x: o.select([x > 0.5, x > -0.5], [x * 2.0, x * x], -1.0)),
    ("vander", lambda o, x: o.vander(x[0], 4)),
    ("meshgrid", lambda o, x: o.meshgrid(x[0], x[1] * 2.0)[1]),
    ("copy", lambda o, x: o.copy(x)),
    ("get_item", lambda o, x: o.get_item(x, (slice(None), np.array([0, 2, 2])))),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_jax(keras, case):
    import jax

    _, fn = case
    # random weights, so that every output element has its own share of the gradient
    w = np.random.default_rng(1).normal(size=fn(ember.ops, F).shape).astype("float32")
    want = jax.grad(lambda x: keras.ops.sum(fn(keras.ops, x) * w))(F)
    x = ember.Variable(F)
    with ember.GradientTape() as tape:
        y = ember.ops.sum(fn(ember.ops, x) * w)
    got = tape.gradient(y, x)
    assert got.dtype == np.float32
    assert_close(got, want, rtol=1e-5, atol=1e-5, what=case[0])
