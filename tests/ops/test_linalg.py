"""matmul, dot, tensordot, einsum, outer, inner, norm."""

import numpy as np
import pytest

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    a, b = rand(shapes[0], 1), rand(shapes[1], 2)
    close(ops.matmul(a, b).data, np.matmul(a, b))
    assert_grads(ops.matmul, a, b)


def test_matmul_operator_and_float32():
    y, grads = float32_run(lambda a, b: a @ b, rand((2, 3), 1), rand((3, 4), 2))
    assert all(g is not None for g in grads)


def test_matmul_errors_name_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul: .*\(2, 3\) and \(4, 5\)"):
        ops.matmul(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul: inputs must have rank >= 1"):
        ops.matmul(np.ones(()), np.ones((4, 5)))


@pytest.mark.parametrize("shapes", [((), (2, 3)), ((3,), (3,)), ((2, 3), (3, 4)),
                                    ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 2)),
                                    ((3,), (2, 3, 4))], ids=str)
def test_dot(shapes):
    a, b = rand(shapes[0], 1), rand(shapes[1], 2)
    close(ops.dot(a, b).data, np.dot(a, b))
    assert_grads(ops.dot, a, b)


def test_dot_error():
    with pytest.raises(ValueError, match=r"dot: .*\(2, 3, 4\) and \(5, 3, 2\)"):
        ops.dot(np.ones((2, 3, 4)), np.ones((5, 3, 2)))


@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3, 4), (3, 4, 5), 2),
    ((2, 3), (3, 2), 1),
    ((2, 3), (4,), 0),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
    ((2, 3, 4), (4, 3, 5), ([-1, 1], [0, -2])),
    ((4, 3), (2, 4), ([0], [1])),
], ids=str)
def test_tensordot(sa, sb, axes):
    a, b = rand(sa, 1), rand(sb, 2)
    close(ops.tensordot(a, b, axes=axes).data, np.tensordot(a, b, axes=axes))
    assert_grads(lambda x, y: ops.tensordot(x, y, axes=axes), a, b)


def test_tensordot_errors():
    with pytest.raises(ValueError, match=r"tensordot: axis 1 of x1 \(size 3\) does not match "
                                         r"axis 0 of x2 \(size 4\).*\(2, 3\) and \(4, 5\)"):
        ops.tensordot(np.ones((2, 3)), np.ones((4, 5)), axes=([1], [0]))
    with pytest.raises(ValueError, match="tensordot: axes=3 is invalid"):
        ops.tensordot(np.ones((2, 3)), np.ones((3, 5)), axes=3)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("i,i->", [(3,), (3,)]),
    ("bi,bi->b", [(2, 3), (2, 3)]),
    ("ij,kl->ik", [(2, 3), (4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 2, 4)]),
    ("bhqk,bhkd->bhqd", [(1, 2, 3, 2), (1, 2, 2, 4)]),
    ("abc,cd,bd->ad", [(2, 3, 4), (4, 2), (3, 2)]),
    ("...ij,jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...i,...i->...", [(2, 3), (2, 3)]),
    ("i...->...", [(2, 3, 2)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM, ids=[s for s, _ in EINSUM])
def test_einsum(spec, shapes):
    arrays = [rand(s, i + 1) for i, s in enumerate(shapes)]
    close(ops.einsum(spec, *arrays).data, np.einsum(spec, *arrays))
    assert_grads(lambda *xs: ops.einsum(spec, *xs), *arrays)


def test_einsum_float32_and_constant_operand():
    y, grads = float32_run(lambda a, b: ops.einsum("ij,jk->ik", a, b), rand((2, 3), 1),
                           rand((3, 4), 2))
    assert all(g is not None for g in grads)
    v = ember.Variable(rand((2, 3), 1).astype("float32"))
    assert ops.einsum("ij,j->i", v, np.ones(3)).dtype == np.float32


@pytest.mark.parametrize("spec,shapes,match", [
    ("ii->i", [(3, 3)], "repeats an index"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "index 'j' has size 3 in one operand and 4"),
    ("ij,jk->ik", [(2, 3)], "name 2 operands but 1 were given"),
    ("ijk->i", [(2, 3)], r"operand 0 has shape \(2, 3\)"),
    ("...i,...i->...", [(2, 3), (1, 3)], "broadcasting of einsum indices is not supported"),
    ("ij->iz", [(2, 3)], "invalid output"),
])
def test_einsum_unsupported_specs_fail_clearly(spec, shapes, match):
    with pytest.raises(ValueError, match=match):
        ops.einsum(spec, *[np.ones(s) for s in shapes])


def test_outer_and_inner():
    a, b = rand((2, 2), 1), rand((3,), 2)
    close(ops.outer(a, b).data, np.outer(a, b))
    assert_grads(ops.outer, a, b)
    c, d = rand((2, 3), 3), rand((4, 3), 4)
    close(ops.inner(c, d).data, np.inner(c, d))
    assert_grads(ops.inner, c, d)
    with pytest.raises(ValueError, match=r"inner: .*\(2, 3\) and \(2, 4\)"):
        ops.inner(np.ones((2, 3)), np.ones((2, 4)))


@pytest.mark.parametrize("ord_,axis,keepdims", [
    (None, None, False), (None, None, True), (None, 1, False), (2, -1, True), (1, 0, False),
    (np.inf, 1, False), (-np.inf, 1, False), (3, 1, False), (0.5, 0, True),
    ("fro", (0, 1), False), (1, (0, 1), False), (-1, (0, 1), True), (np.inf, (0, 1), False),
    (-np.inf, (1, 0), False),
], ids=str)
def test_norm(ord_, axis, keepdims):
    x = rand((3, 4), seed=8, away=0.1)
    close(ops.norm(x, ord=ord_, axis=axis, keepdims=keepdims).data,
          np.linalg.norm(x, ord=ord_, axis=axis, keepdims=keepdims))
    assert_grads(lambda t: ops.norm(t, ord=ord_, axis=axis, keepdims=keepdims), x)


def test_norm_unsupported_matrix_ord():
    with pytest.raises(ValueError, match="norm: ord='nuc' is not supported"):
        ops.norm(np.ones((2, 2)), ord="nuc", axis=(0, 1))


# -- decompositions, inverses, solvers (keras.ops.linalg) ----------------------------------------
L = ops.linalg


def _spd(n=3, seed=0, batch=()):
    m = rand(batch + (n, n), seed)
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _well(shape, seed=0):
    """A well-conditioned (batch of) square matrices."""
    return rand(shape, seed) + shape[-1] * np.eye(shape[-1])


def test_keras_linalg_names_are_in_the_namespace():
    names = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq",
             "lu_factor", "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular",
             "svd"]
    for name in names:
        assert getattr(L, name) is getattr(ops, name)
    assert ops.slogdet is L.slogdet and ops.logdet is L.logdet


@pytest.mark.parametrize("batch", [(), (2,)], ids=str)
def test_inv_det_slogdet_values_and_gradients(batch):
    a = _well(batch + (3, 3), 1)
    close(L.inv(a).data, np.linalg.inv(a))
    close(L.det(a).data, np.linalg.det(a))
    sign, logabs = L.slogdet(-a)
    ref_sign, ref_log = np.linalg.slogdet(-a)
    close(sign.data, ref_sign)
    close(logabs.data, ref_log)
    close(ops.logdet(a).data, ref_log)
    for fn in (L.inv, L.det, lambda t: L.slogdet(t)[1], ops.logdet):
        assert_grads(fn, a)


def test_int_input_becomes_float32_and_float32_stays():
    assert L.det(np.eye(3, dtype="int32")).dtype == np.float32
    for fn in (L.inv, L.det, ops.logdet, lambda t: L.slogdet(t)[1], L.pinv,
               lambda t: L.solve(t, np.ones(3, "float32"))):
        y, (g,) = float32_run(fn, _well((3, 3), 2))
        assert g is not None


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper):
    a = _spd(3, 3, batch=(2,))
    lower = np.linalg.cholesky(a)
    close(L.cholesky(a, upper=upper).data,
          np.swapaxes(lower, -1, -2) if upper else lower)
    # the input of the check is m with a = m m^T + 3 I, so every perturbation stays symmetric
    m = rand((2, 3, 3), 3)

    def fn(t):
        return L.cholesky(ops.add(ops.matmul(t, ops.swapaxes(t, -1, -2)), 3 * np.eye(3)),
                          upper=upper)

    assert_grads(fn, m)


def test_cholesky_inverse():
    a = _spd(3, 4)
    lower = np.linalg.cholesky(a)
    close(L.cholesky_inverse(lower).data, np.linalg.inv(a), rtol=1e-6)
    close(L.cholesky_inverse(lower.T, upper=True).data, np.linalg.inv(a), rtol=1e-6)
    assert_grads(L.cholesky_inverse, np.tril(rand((3, 3), 5)) + 3 * np.eye(3))


@pytest.mark.parametrize("sa,sb", [((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)),
                                   ((2, 3, 3), (1, 3, 2)), ((3, 3), (2, 3, 1))], ids=str)
def test_solve(sa, sb):
    a, b = _well(sa, 6), rand(sb, 7)
    ref = np.linalg.solve(a, b[:, None])[..., 0] if len(sb) == 1 else np.linalg.solve(a, b)
    close(L.solve(a, b).data, ref)
    assert_grads(L.solve, a, b)


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("sb", [(3,), (3, 2)], ids=str)
def test_solve_triangular_reads_one_triangle(lower, sb):
    a, b = _well((3, 3), 8), rand(sb, 9)
    tri = np.tril(a) if lower else np.triu(a)
    ref = np.linalg.solve(tri, b)
    close(L.solve_triangular(a, b, lower=lower).data, ref)
    report = assert_grads(lambda t, u: L.solve_triangular(t, u, lower=lower), a, b)
    assert set(report) == {"input_0", "input_1"}
    # the other triangle has a zero gradient
    t = ember.Variable(a)
    with ember.GradientTape() as tape:
        y = ops.sum(L.solve_triangular(t, b, lower=lower))
    g = tape.gradient(y, t).data
    assert np.all((np.triu(g, 1) if lower else np.tril(g, -1)) == 0)


def test_eigh_values_vectors_and_gradients():
    a = rand((2, 4, 4), 10)
    sym = (a + np.swapaxes(a, -1, -2)) / 2
    w, v = L.eigh(a)
    ref_w, ref_v = np.linalg.eigh(sym)
    close(w.data, ref_w)
    close(np.abs(v.data), np.abs(ref_v), atol=1e-9)
    assert_grads(lambda t: L.eigh(t)[0], a)
    # v * v is invariant to the sign of each eigenvector
    assert_grads(lambda t: ops.square(L.eigh(t)[1]), a)


def test_eig_is_complex_and_has_no_gradient():
    a = np.array([[0.0, -1.0], [1.0, 0.0]], "float32")  # a rotation: eigenvalues +-i
    w, v = L.eig(a)
    assert w.dtype == np.complex64 and v.dtype == np.complex64
    close(np.sort_complex(w.data), np.sort_complex(np.linalg.eigvals(a)), rtol=1e-6)
    close(a @ v.data, v.data * w.data[None, :], rtol=1e-5, atol=1e-6)
    real = L.eig(np.diag([1.0, 2.0]).astype("float64"))[0]
    assert real.dtype == np.complex128  # even when every eigenvalue is real
    t = ember.Variable(a)
    with ember.GradientTape() as tape:
        y = L.eig(t)[0]
    with pytest.raises(NotImplementedError, match="eig: its output 'eigenvalues' has no gradient"):
        tape.gradient(y, t)


@pytest.mark.parametrize("shape,mode", [((4, 3), "reduced"), ((2, 3, 3), "complete"),
                                        ((3, 4), "reduced"), ((4, 3), "complete")], ids=str)
def test_qr(shape, mode):
    a = rand(shape, 11)
    q, r = L.qr(a, mode=mode)
    ref_q, ref_r = np.linalg.qr(a, mode=mode)
    close(q.data, ref_q)
    close(r.data, ref_r)
    rows, cols = shape[-2:]
    if rows >= cols and (mode == "reduced" or rows == cols):
        assert_grads(lambda t: L.qr(t, mode=mode)[0], a)
        assert_grads(lambda t: L.qr(t, mode=mode)[1], a)
    else:
        t = ember.Variable(a)
        with ember.GradientTape() as tape:
            y = L.qr(t, mode=mode)[0]
        with pytest.raises(NotImplementedError, match="qr: its output 'q' has no gradient"):
            tape.gradient(y, t)


def test_qr_bad_mode():
    with pytest.raises(ValueError, match="qr: mode must be one of"):
        L.qr(np.eye(2), mode="r")


@pytest.mark.parametrize("shape,full", [((4, 3), True), ((4, 3), False), ((2, 3, 5), False)],
                         ids=str)
def test_svd(shape, full):
    a = rand(shape, 12)
    u, s, vh = L.svd(a, full_matrices=full)
    ref_u, ref_s, ref_vh = np.linalg.svd(a, full_matrices=full)
    close(s.data, ref_s)
    assert u.shape == ref_u.shape and vh.shape == ref_vh.shape
    k = ref_s.shape[-1]
    close((u.data[..., :k] * s.data[..., None, :]) @ vh.data[..., :k, :], a, atol=1e-12)
    close(L.svd(a, compute_uv=False).data, ref_s)
    assert_grads(lambda t: L.svd(t, compute_uv=False), a)


def test_svd_vectors_have_no_gradient():
    t = ember.Variable(rand((3, 3), 13))
    with ember.GradientTape() as tape:
        y = ops.sum(L.svd(t)[0])
    with pytest.raises(NotImplementedError, match="svd: its output 'u' has no gradient"):
        tape.gradient(y, t)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)], ids=str)
def test_pinv(shape):
    a = rand(shape, 14)
    rcond = 10 * max(shape[-2:]) * np.finfo("float64").eps
    close(L.pinv(a).data, np.linalg.pinv(a, rcond=rcond), atol=1e-12)
    assert_grads(L.pinv, a)


@pytest.mark.parametrize("sb", [(5,), (5, 2)], ids=str)
def test_lstsq(sb):
    a, b = rand((5, 3), 15), rand(sb, 16)
    close(L.lstsq(a, b).data, np.linalg.lstsq(a, b, rcond=None)[0])
    assert_grads(L.lstsq, a, b)


def test_lstsq_errors():
    with pytest.raises(ValueError, match=r"lstsq: expected a to have rank 2.*\(2, 3, 3\)"):
        L.lstsq(np.ones((2, 3, 3)), np.ones(3))
    with pytest.raises(ValueError, match=r"lstsq: expected b to have rank 1 or 2"):
        L.lstsq(np.ones((3, 3)), np.ones((1, 3, 3)))
    with pytest.raises(ValueError, match=r"lstsq: expected b.shape\[0\] to equal"):
        L.lstsq(np.ones((3, 2)), np.ones(4))


def test_matrix_rank_is_int32_without_gradient():
    a = np.stack([np.eye(3), np.zeros((3, 3)), np.outer([1.0, 2, 3], [1.0, 0, 1])])
    r = L.matrix_rank(a)
    assert r.dtype == np.int32
    np.testing.assert_array_equal(r.data, np.linalg.matrix_rank(a))
    np.testing.assert_array_equal(L.matrix_rank(np.eye(3), tol=2.0).data, 0)
    t = ember.Variable(a)
    with ember.GradientTape() as tape:
        y = L.matrix_rank(t)
    assert tape.gradient(ops.cast(y, "float64"), t) is None


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (3, 5), (5, 3)], ids=str)
def test_lu_factor_rebuilds_the_matrix(shape):
    a = rand(shape, 17)
    lu, piv = L.lu_factor(a)
    assert piv.dtype == np.int32
    lu, piv = lu.data.reshape((-1,) + shape[-2:]), piv.data.reshape(-1, min(shape[-2:]))
    m, n = shape[-2:]
    k = min(m, n)
    for b, ab in enumerate(a.reshape((-1,) + shape[-2:])):
        lower = np.tril(lu[b], -1)[:, :k] + np.eye(m, k)
        upper = np.triu(lu[b])[:k]
        perm = np.arange(m)
        for i, p in enumerate(piv[b]):  # LAPACK's interchanges, applied in order
            perm[[i, p]] = perm[[p, i]]
        close(lower @ upper, ab[perm], atol=1e-12)
        # partial pivoting: every multiplier is at most 1 in magnitude
        assert np.all(np.abs(np.tril(lu[b], -1)) <= 1 + 1e-12)


def test_lu_factor_has_no_gradient():
    t = ember.Variable(rand((3, 3), 18))
    with ember.GradientTape() as tape:
        y = L.lu_factor(t)[0]
    with pytest.raises(NotImplementedError, match="lu_factor: its output 'lu' has no gradient"):
        tape.gradient(y, t)


def test_jvp_matches_the_jacobian():
    x, y = rand((3,), 19), rand((3,), 20)
    tx, ty = rand((3,), 21), rand((3,), 22)

    def fn(a, b):
        return ops.multiply(ops.sin(a), ops.exp(b))

    out, tangent = L.jvp(fn, (x, y), (tx, ty))
    close(out.data, np.sin(x) * np.exp(y))
    close(tangent.data, np.cos(x) * np.exp(y) * tx + np.sin(x) * np.exp(y) * ty)
    out, tangent, aux = L.jvp(lambda a: (ops.square(a), "aux"), (x,), (tx,), has_aux=True)
    close(tangent.data, 2 * x * tx)
    assert aux == "aux"
    outs, tangents = L.jvp(lambda a: (ops.square(a), ops.sum(a)), (x,), (tx,))
    close(tangents[0].data, 2 * x * tx)
    close(tangents[1].data, tx.sum())


def test_jvp_errors():
    with pytest.raises(TypeError, match="jvp: primals and tangents must be tuples"):
        L.jvp(ops.square, np.ones(2), (np.ones(2),))
    with pytest.raises(ValueError, match="jvp: 1 primals but 2 tangents"):
        L.jvp(ops.square, (np.ones(2),), (np.ones(2), np.ones(2)))
    with pytest.raises(ValueError, match=r"jvp: each tangent must have its primal's shape"):
        L.jvp(ops.square, (np.ones(2),), (np.ones(3),))


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh", "eig",
                                  "cholesky_inverse"])
def test_square_matrix_errors(name):
    fn = getattr(L, name)
    with pytest.raises(ValueError, match=rf"{name}: expected input to have rank >= 2. "
                                         r"Received input with shape \(3,\)"):
        fn(np.ones(3))
    with pytest.raises(ValueError, match=rf"{name}: expected a square matrix.*\(2, 3\)"):
        fn(np.ones((2, 3)))


@pytest.mark.parametrize("name", ["qr", "svd", "pinv", "matrix_rank", "lu_factor"])
def test_rank_errors(name):
    with pytest.raises(ValueError, match=rf"{name}: expected input to have rank >= 2"):
        getattr(L, name)(np.ones(3))


def test_singular_and_not_positive_definite_errors():
    with pytest.raises(ValueError, match=r"inv: the input matrix is singular \(shape \(2, 2\)\)"):
        L.inv(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="solve: the input matrix is singular"):
        L.solve(np.zeros((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="cholesky: decomposition failed"):
        L.cholesky(-np.eye(2))


def test_solve_shape_errors():
    with pytest.raises(ValueError, match=r"solve: incompatible shapes .*a.shape=\(3, 3\), "
                                         r"b.shape=\(2,\)"):
        L.solve(np.eye(3), np.ones(2))
    with pytest.raises(ValueError, match=r"solve: incompatible shapes .*b.shape=\(2, 3\)"):
        L.solve(np.ones((2, 3, 3)), np.ones((2, 3)))  # a matrix, not a batch of vectors
    with pytest.raises(ValueError, match=r"solve_triangular: expected b to have rank >= 1"):
        L.solve_triangular(np.eye(3), np.float64(1.0))


def test_decompositions_replay_in_tf_function():
    f = ember.function(lambda a: ops.add(L.eigh(a)[0], ops.sum(L.svd(a, compute_uv=False))))
    for d in ([1.0, 2.0, 3.0], [4.0, 5.0, 7.0]):
        a = np.diag(d).astype("float32")
        close(f(a).data, np.linalg.eigvalsh(a) + np.linalg.svd(a, compute_uv=False).sum())
    rank = ember.function(L.matrix_rank)
    assert int(rank(np.eye(3, dtype="float32")).data) == 3
    assert int(rank(np.zeros((3, 3), "float32")).data) == 0
