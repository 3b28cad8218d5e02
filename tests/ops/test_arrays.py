"""Array manipulation ops (ember/ops/arrays.py): forward against NumPy, gradients, float32,
errors, and no gradient through the index-valued ops."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand

X = rand((3, 4), seed=3)
X3 = rand((2, 3, 4), seed=4)
V = rand((4,), seed=5)


def _joined(parts):
    """The parts of a split weighted by their position, joined flat: a function of every part
    whose gradient differs per part."""
    return ops.concatenate([ops.reshape(p, (-1,)) * (i + 1) for i, p in enumerate(parts)])


# -- copies, views ----------------------------------------------------------------------------
def test_copy_is_a_copy_with_gradient():
    v = ember.Variable(np.ones(3, "float32"))
    c = ops.copy(v)
    v.assign(np.zeros(3, "float32"))
    close(c.data, np.ones(3))
    assert_grads(ops.copy, X)


def test_get_item():
    close(ops.get_item(X, (1, slice(1, 3))).data, X[1, 1:3])
    assert_grads(lambda t: ops.get_item(t, (slice(None), np.array([0, 2, 2]))), X)


def test_view():
    x = X.astype("float32")
    close(ops.view(x, "int32").data, x.view("int32"))
    close(ops.view(x, "int8").data, x.view("int8"))
    assert ops.view(x).dtype == np.float32
    with pytest.raises(ValueError, match=r"view: an input of shape \(3\,\) and dtype float32 "
                                         r"cannot be viewed as float64"):
        ops.view(np.zeros(3, "float32"), "float64")


def test_view_as_real_and_complex():
    z = (X[:, :2] + 1j * X[:, 2:]).astype("complex64")
    r = ops.view_as_real(z)
    close(r.data, np.stack([z.real, z.imag], -1))
    assert r.dtype == np.float32
    back = ops.view_as_complex(r)
    assert back.dtype == np.complex64
    close(back.data, z)
    assert ops.view_as_complex(X[:, :2]).dtype == np.complex128
    close(ops.view_as_real(V).data, np.stack([V, np.zeros(4)], -1))
    with pytest.raises(ValueError, match=r"view_as_complex: the last axis .* shape \(3, 4\)"):
        ops.view_as_complex(X)
    with pytest.raises(TypeError, match="view_as_complex: the input must be float32 or float64"):
        ops.view_as_complex(np.zeros((2, 2), "int32"))


# -- joining and splitting -----------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_append(axis):
    other = rand((3, 4) if axis is not None else (5,), seed=9)
    close(ops.append(X, other, axis=axis).data, np.append(X, other, axis=axis))
    assert_grads(lambda a, b: ops.append(a, b, axis=axis), X, other)


def test_append_dtypes():
    assert ops.append(np.zeros(2, "float32"), np.zeros(2, "int32")).dtype == np.float32
    assert ops.append(np.zeros(2, "int8"), 1).dtype == np.int8
    assert ops.append(np.zeros(2, "int32"), 1.5).dtype == np.float32
    assert ops.append(np.zeros(2, "bool"), 1).dtype == np.int32


@pytest.mark.parametrize("sections,axis", [(3, 0), (3, 1), (5, 1), (1, 0)], ids=str)
def test_array_split(sections, axis):
    parts = ops.array_split(X, sections, axis=axis)
    want = np.array_split(X, sections, axis=axis)
    assert len(parts) == len(want)
    for p, w in zip(parts, want):
        close(p.data, w)
    assert_grads(lambda t: _joined(ops.array_split(t, sections, axis=axis)), X)


def test_array_split_errors():
    with pytest.raises(TypeError, match=r"array_split: indices_or_sections must be an int"):
        ops.array_split(X, [1, 2])
    with pytest.raises(ValueError, match="array_split: .* positive integer. Received 0"):
        ops.array_split(X, 0)


@pytest.mark.parametrize("name,x,arg", [
    ("hsplit", X, 2), ("hsplit", V, [1, 3]), ("vsplit", X, 3), ("vsplit", X3, [1]),
    ("dsplit", X3, 2), ("dsplit", X3, [1, 3])], ids=lambda v: v if isinstance(v, str) else "")
def test_hvd_split(name, x, arg):
    parts = getattr(ops, name)(x, arg)
    ref = np.split(x, arg, axis={"hsplit": 1 if x.ndim > 1 else 0, "vsplit": 0,
                                 "dsplit": 2}[name])
    for p, w in zip(parts, ref):
        close(p.data, w)
    assert_grads(lambda t: _joined(getattr(ops, name)(t, arg)), x)


def test_vsplit_of_a_vector_splits_it_as_keras():
    for p, w in zip(ops.vsplit(V, 2), np.split(V, 2)):
        close(p.data, w)


def test_split_family_errors():
    with pytest.raises(ValueError, match="hsplit: axis 1 of length 4 cannot be split into 3"):
        ops.hsplit(X, 3)
    with pytest.raises(ValueError, match=r"dsplit: input must have rank >= 3. Received shape"):
        ops.dsplit(X, 2)
    with pytest.raises(ValueError, match=r"vsplit: input must have rank >= 1"):
        ops.vsplit(np.float64(1.0), 1)


@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack"])
@pytest.mark.parametrize("shapes", [[(4,), (4,)], [(3, 4), (3, 4)], [(2, 3, 4), (2, 3, 4)]],
                         ids=str)
def test_hvd_stack(name, shapes):
    xs = [rand(s, seed=i) for i, s in enumerate(shapes)]
    close(getattr(ops, name)(xs).data, getattr(np, name)(xs))
    assert_grads(lambda a, b: getattr(ops, name)([a, b * 2]), *xs)


def test_stacks_promote_as_keras_and_reject_empty():
    assert ops.hstack([np.zeros(2, "float32"), np.zeros(2, "int32")]).dtype == np.float32
    assert ops.dstack([np.zeros(2, "int32"), np.zeros(2, "bool")]).dtype == np.int32
    for name in ("hstack", "vstack", "dstack"):
        with pytest.raises(ValueError, match=f"{name}: needs at least one input"):
            getattr(ops, name)([])


# -- flips, rotations ---------------------------------------------------------------------------
def test_fliplr_flipud():
    close(ops.fliplr(X3).data, np.fliplr(X3))
    close(ops.flipud(X).data, np.flipud(X))
    assert_grads(ops.fliplr, X)
    assert_grads(ops.flipud, V)
    with pytest.raises(ValueError, match=r"fliplr: input must have rank >= 2"):
        ops.fliplr(V)
    with pytest.raises(ValueError, match=r"flipud: input must have rank >= 1"):
        ops.flipud(np.float64(2.0))


@pytest.mark.parametrize("k,axes", [(1, (0, 1)), (2, (0, 1)), (3, (0, 1)), (-1, (0, 1)),
                                    (0, (0, 1)), (5, (1, 0)), (1, (2, 0)), (3, (-1, 1))], ids=str)
def test_rot90(k, axes):
    x = X3 if max(axes) >= 2 or min(axes) < 0 else X
    close(ops.rot90(x, k, axes).data, np.rot90(x, k, axes))
    assert_grads(lambda t: ops.rot90(t, k, axes), x)


def test_rot90_errors():
    with pytest.raises(ValueError, match=r"rot90: input must have rank >= 2"):
        ops.rot90(V)
    with pytest.raises(ValueError, match=r"rot90: axes must be two different axes"):
        ops.rot90(X, axes=(1, 1))
    with pytest.raises(ValueError, match=r"rot90: axes must hold two axes"):
        ops.rot90(X3, axes=(0, 1, 2))
    with pytest.raises(ValueError, match=r"rot90: axis 2 is out of range"):
        ops.rot90(X, axes=(0, 2))


# -- diagonals ----------------------------------------------------------------------------------
@pytest.mark.parametrize("x,k", [(X, 0), (X, 1), (X, -2), (X, 9), (V, 0), (V, 2), (V, -1)],
                         ids=str)
def test_diag(x, k):
    close(ops.diag(x, k).data, np.diag(x, k))
    assert_grads(lambda t: ops.diag(t, k), x)


def test_diagflat():
    close(ops.diagflat(X[:2], -1).data, np.diagflat(X[:2], -1))
    assert_grads(lambda t: ops.diagflat(t, 1), X[:2])


@pytest.mark.parametrize("offset,a1,a2", [(0, 0, 1), (1, 0, 2), (-1, 2, 1), (2, -1, -2),
                                          (7, 0, 1)], ids=str)
def test_diagonal_and_trace(offset, a1, a2):
    close(ops.diagonal(X3, offset, a1, a2).data, np.diagonal(X3, offset, a1, a2))
    close(ops.trace(X3, offset, a1, a2).data, np.trace(X3, offset, a1, a2))
    assert_grads(lambda t: ops.diagonal(t, offset, a1, a2), X3)
    assert_grads(lambda t: ops.trace(t, offset, a1, a2), X3)


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 4), min_size=2, max_size=4), offset=st.integers(-5, 5),
       k=st.integers(-5, 5), data=st.data())
def test_diagonal_trace_rot90_random(shape, offset, k, data):
    x = rand(tuple(shape), seed=len(shape))
    n = len(shape)
    a1 = data.draw(st.integers(-n, n - 1))
    a2 = data.draw(st.sampled_from([a for a in range(-n, n) if a % n != a1 % n]))
    close(ops.diagonal(x, offset, a1, a2).data, np.diagonal(x, offset, a1, a2))
    close(ops.trace(x, offset, a1, a2).data, np.trace(x, offset, a1, a2))
    close(ops.rot90(x, k, (a1, a2)).data, np.rot90(x, k, (a1, a2)))


@pytest.mark.parametrize("src,want", [("bool", "int32"), ("int8", "int32"), ("int16", "int32"),
                                      ("uint8", "uint32"), ("int32", "int32"),
                                      ("float16", "float16"), ("float32", "float32")])
def test_trace_dtype(src, want):
    x = np.ones((3, 3), src)
    t = ops.trace(x)
    assert t.dtype == np.dtype(want)
    assert t.data == np.trace(x.astype(want))


def test_diagonal_errors():
    with pytest.raises(ValueError, match=r"diag: input must be 1-D or 2-D. Received shape"):
        ops.diag(X3)
    with pytest.raises(ValueError, match=r"diagonal: input must have rank >= 2"):
        ops.diagonal(V)
    with pytest.raises(ValueError, match=r"trace: axis1 and axis2 cannot be the same"):
        ops.trace(X, 0, 1, -1)
    with pytest.raises(ValueError, match=r"diagonal: axis 3 is out of range"):
        ops.diagonal(X3, 0, 0, 3)


def test_tri():
    t = ops.tri(3, 4, 1)
    assert t.dtype == np.float32
    close(t.data, np.tri(3, 4, 1))
    assert ops.tri(2, dtype="int32").dtype == np.int32


# -- differences, grids, Vandermonde, select ---------------------------------------------------
@pytest.mark.parametrize("n,axis", [(1, -1), (2, 0), (3, 1), (0, 0), (9, 1)], ids=str)
def test_diff(n, axis):
    close(ops.diff(X, n, axis).data, np.diff(X, n, axis))
    if n:
        assert_grads(lambda t: ops.diff(t, n, axis), X)


def test_diff_dtypes_and_errors():
    b = np.array([True, False, False, True])
    np.testing.assert_array_equal(ops.diff(b, 2).data, np.diff(b, 2))
    assert ops.diff(np.arange(4, dtype="int8")).dtype == np.int8
    with pytest.raises(ValueError, match="diff: the order n must be non-negative. Received n=-1"):
        ops.diff(V, -1)
    with pytest.raises(ValueError, match=r"diff: input must have rank >= 1"):
        ops.diff(np.float64(1.0))


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid(indexing):
    a, b, c = rand((3,), 1), rand((2,), 2), rand((4,), 3)
    for got, want in zip(ops.meshgrid(a, b, c, indexing=indexing),
                         np.meshgrid(a, b, c, indexing=indexing)):
        close(got.data, want)
    assert_grads(lambda s, t: ops.concatenate(
        [ops.reshape(g, (-1,)) for g in ops.meshgrid(s, t * 3, indexing=indexing)]), a, b)


def test_meshgrid_keeps_dtypes_and_errors():
    g = ops.meshgrid(np.arange(3, dtype="int32"), np.ones(2, "float32"))
    assert [t.dtype for t in g] == [np.int32, np.float32]
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'xy' or 'ij'"):
        ops.meshgrid(V, indexing="yx")
    with pytest.raises(ValueError, match=r"meshgrid: inputs must be 1-D. Received shapes"):
        ops.meshgrid(X, V)


@pytest.mark.parametrize("N,increasing", [(None, False), (None, True), (6, False), (1, True),
                                          (0, False)], ids=str)
def test_vander(N, increasing):
    close(ops.vander(V, N, increasing).data, np.vander(V, N, increasing))
    if N != 0:
        assert_grads(lambda t: ops.vander(t, N, increasing), V)


def test_vander_at_zero_has_the_polynomial_gradient():
    # d/dx of the columns x**2, x, 1 at x = 0 is 0, 1, 0 (no 0 * x**-1 = nan)
    x = ember.Variable(np.zeros(1))
    with ember.GradientTape() as tape:
        y = ops.sum(ops.vander(x, 3) * np.array([1.0, 2.0, 3.0]))
    close(tape.gradient(y, x).data, [2.0])


def test_vander_errors():
    with pytest.raises(ValueError, match=r"vander: input must be 1-D. Received shape \(3, 4\)"):
        ops.vander(X)
    with pytest.raises(TypeError, match="vander: input must be numeric"):
        ops.vander(np.array([True]))
    with pytest.raises(ValueError, match="vander: N must be non-negative"):
        ops.vander(V, -2)


def test_select():
    conds = [X > 0.5, X > -0.5]
    y = rand((3, 4), 8)
    close(ops.select(conds, [X, y], -7.0).data, np.select(conds, [X, y], -7.0))
    assert_grads(lambda a, b: ops.select(conds, [a, b * 2], 0.25), X, y)
    # int conditions count as booleans, as in Keras
    close(ops.select([np.array([2, 0])], [np.array([1.0, 2.0])]).data, [1.0, 0.0])


def test_select_errors():
    with pytest.raises(ValueError, match="select: condlist and choicelist must not be empty"):
        ops.select([], [])
    with pytest.raises(ValueError, match="select: .* same length. Received 1 conditions and 2"):
        ops.select([V > 0], [V, V])


# -- index-valued ops ---------------------------------------------------------------------------
def test_nonzero():
    x = np.where(X > 0, X, 0)
    got = ops.nonzero(x)
    for g, w in zip(got, np.nonzero(x)):
        assert g.dtype == np.int32
        np.testing.assert_array_equal(g.data, w)
    with pytest.raises(ValueError, match=r"nonzero: input must have rank >= 1"):
        ops.nonzero(np.float64(1.0))


@pytest.mark.parametrize("kth,axis", [(0, -1), (2, 0), (-1, 1), ([0, 3], -1), (5, None)],
                         ids=str)
def test_argpartition(kth, axis):
    got = ops.argpartition(X, kth, axis)
    assert got.dtype == np.int32
    flat = X.reshape(-1) if axis is None else X
    ax = 0 if axis is None else axis
    part = np.take_along_axis(flat, got.data, ax)
    want = np.take_along_axis(flat, np.argpartition(flat, kth, ax), ax)
    for k in np.atleast_1d(kth):  # the kth elements are in place, the rest on their side
        close(np.take(part, k, ax), np.take(want, k, ax))


def test_argpartition_error():
    with pytest.raises(ValueError, match="argpartition: kth=4 is out of range for axis -1"):
        ops.argpartition(V, 4)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(side):
    seq = np.array([1.0, 2.0, 2.0, 3.0])
    values = np.array([[2.0, 0.0], [3.5, 2.0]])
    got = ops.searchsorted(seq, values, side=side)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got.data, np.searchsorted(seq, values, side=side))


def test_searchsorted_errors():
    with pytest.raises(ValueError, match=r"searchsorted: sorted_sequence must be 1-D"):
        ops.searchsorted(X, V)
    with pytest.raises(ValueError, match="searchsorted: side must be 'left' or 'right'"):
        ops.searchsorted(V, V, side="middle")


def test_unravel_index():
    idx = np.array([[5, 23], [0, 7]], "int32")
    got = ops.unravel_index(idx, (2, 3, 4))
    for g, w in zip(got, np.unravel_index(idx, (2, 3, 4))):
        assert g.dtype == np.int32
        np.testing.assert_array_equal(g.data, w)
    with pytest.raises(ValueError, match=r"unravel_index: indices must be in \[0, 12\)"):
        ops.unravel_index(np.array([12]), (3, 4))
    with pytest.raises(TypeError, match="unravel_index: indices must be integers"):
        ops.unravel_index(np.array([1.0]), (3, 4))


def test_unique():
    x = np.array([3, 1, 3, 2, 1, 1], "int32")
    values, index, inverse, counts = ops.unique(
        x, return_index=True, return_inverse=True, return_counts=True)
    want = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip((values, index, inverse, counts), want):
        np.testing.assert_array_equal(g.data, w)
    assert values.dtype == np.int32 and index.dtype == inverse.dtype == counts.dtype == np.int32
    np.testing.assert_array_equal(ops.unique(X3 > 0).data, [False, True])


def test_unique_size_and_axis():
    x = np.array([3, 1, 3, 2], "int32")
    values, counts = ops.unique(x, size=5, return_counts=True)
    np.testing.assert_array_equal(values.data, [1, 2, 3, 1, 1])  # padded with the minimum
    np.testing.assert_array_equal(counts.data, [1, 1, 2, 0, 0])
    np.testing.assert_array_equal(ops.unique(x, size=4, fill_value=-1).data, [1, 2, 3, -1])
    np.testing.assert_array_equal(ops.unique(x, size=2).data, [1, 2])
    rows = np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 1.0]])
    values, inverse = ops.unique(rows, axis=0, return_inverse=True)
    close(values.data, [[0.0, 1.0], [1.0, 2.0]])
    np.testing.assert_array_equal(inverse.data, [1, 1, 0])
    with pytest.raises(ValueError, match="unique: size must be non-negative"):
        ops.unique(x, size=-1)


@pytest.mark.parametrize("op", [
    lambda t: ops.cast(ops.nonzero(t)[0], "float64"),
    lambda t: ops.cast(ops.argpartition(t, 1), "float64"),
    lambda t: ops.cast(ops.searchsorted(ops.sort(t), t), "float64"),
    lambda t: ops.unique(t),
    lambda t: ops.view_as_real(t),
    lambda t: ops.view(t, "int64"),
], ids=["nonzero", "argpartition", "searchsorted", "unique", "view_as_real", "view"])
def test_index_ops_carry_no_gradient(op):
    x = ember.Variable(V)
    with ember.GradientTape() as tape:
        y = ops.sum(ops.cast(op(x), "float64"))
    assert tape.gradient(y, x) is None


def test_index_ops_recompute_under_tf_function():
    f = ember.tf.function(lambda t: ops.nonzero(t)[0])
    np.testing.assert_array_equal(f(np.array([0.0, 1.0, 1.0])).data, [1, 2])
    np.testing.assert_array_equal(f(np.array([1.0, 0.0, 1.0])).data, [0, 2])


# -- vectorize ----------------------------------------------------------------------------------
def test_vectorize_elementwise_and_gradient():
    f = ops.vectorize(lambda a, b: a * a + b)
    y = rand((4,), 6)
    close(f(X, y).data, X * X + y)
    assert_grads(f, X, y)


def test_vectorize_signature_excluded_and_tuples():
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    y = rand((4,), 6)
    close(dot(X3, y).data, X3 @ y)
    assert_grads(dot, X3, y)
    scaled = ops.vectorize(lambda a, s: a * s, excluded={1})
    close(scaled(V, 3.0).data, V * 3.0)
    pair = ops.vectorize(lambda a: (a + 1, a * 2))
    p, q = pair(X)
    close(p.data, X + 1)
    close(q.data, X * 2)
    scalar = ops.vectorize(lambda a: a * 2)(np.float64(3.0))
    close(scalar.data, 6.0)


def test_vectorize_errors():
    dot = ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")
    with pytest.raises(ValueError, match="vectorize: signature '.*' names 2 inputs but the "
                                         "function was called with 1"):
        dot(X)
    with pytest.raises(ValueError, match=r"vectorize: an input of shape \(\) has fewer axes"):
        dot(np.float64(1.0), V)
    with pytest.raises(ValueError, match=r"vectorize: the loop shapes \[\(3,\), \(2,\)\]"):
        dot(X, rand((2, 4)))
    with pytest.raises(ValueError, match="vectorize: signature must look like"):
        ops.vectorize(len, signature="(n)")
    with pytest.raises(ValueError, match=r"vectorize: cannot map over the empty loop shape"):
        ops.vectorize(lambda a: a)(np.zeros((0, 2)))


# -- float32 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda t: ops.diag(ops.diagonal(t)), lambda t: ops.trace(t), lambda t: ops.diff(t, 2),
    lambda t: ops.rot90(t), lambda t: ops.vander(t[0]), lambda t: ops.hstack([t, t]),
    lambda t: ops.append(t, 1.0), lambda t: ops.select([t > 0], [t], -1.0),
    lambda t: ops.meshgrid(t[0], t[1])[0], lambda t: ops.copy(t),
], ids=["diag", "trace", "diff", "rot90", "vander", "hstack", "append", "select", "meshgrid",
        "copy"])
def test_float32_stays_float32(fn):
    float32_run(fn, X)
