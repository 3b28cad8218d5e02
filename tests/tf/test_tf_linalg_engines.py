"""tf.linalg.lu / lu_reconstruct / lu_solve / lu_matrix_inverse / cholesky_solve / eig / eigvals,
tridiagonal_matmul / tridiagonal_solve / expm
and tf.eig / tf.eigvals (checked against TensorFlow 2.21; expected values from NumPy)."""

import numpy as np
import pytest

import ember as tf
from ember.autodiff.gradcheck import check_gradients
from ember.tf.errors import InvalidArgumentError

RNG = np.random.default_rng(0)
A = RNG.normal(size=(4, 4)).astype("float32")
BATCH = RNG.normal(size=(3, 4, 4)).astype("float32")
RHS = RNG.normal(size=(4, 2)).astype("float32")


def _np(t):
    return np.asarray(t)


def _unpack(lu):
    n = lu.shape[-1]
    return np.tril(lu, -1) + np.eye(n), np.triu(lu)


@pytest.mark.parametrize("a", [A, BATCH, np.array([[1.0, 2.0], [3.0, 4.0]], "float32")])
def test_lu_permutes_rows_to_l_times_u(a):
    lu, p = tf.linalg.lu(a)
    assert lu.dtype == np.float32 and p.dtype == np.int32 and p.shape == a.shape[:-1]
    lower, upper = _unpack(_np(lu))
    np.testing.assert_allclose(lower @ upper, np.take_along_axis(a, _np(p)[..., None], -2),
                               atol=1e-5)
    assert np.all(np.abs(np.tril(_np(lu), -1)) <= 1 + 1e-6)  # partial pivoting
    assert tf.linalg.lu(a, output_idx_type=tf.int64).p.dtype == np.int64


def test_lu_reconstruct_solve_and_inverse():
    lu, p = tf.linalg.lu(BATCH)
    np.testing.assert_allclose(_np(tf.linalg.lu_reconstruct(lu, p)), BATCH, atol=1e-5)
    lu, p = tf.linalg.lu(A)
    np.testing.assert_allclose(_np(tf.linalg.lu_solve(lu, p, RHS)), np.linalg.solve(A, RHS),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(tf.linalg.lu_matrix_inverse(lu, p)), np.linalg.inv(A),
                               rtol=1e-4, atol=1e-5)
    lu_b, p_b = tf.linalg.lu(BATCH)
    np.testing.assert_allclose(_np(tf.linalg.lu_matrix_inverse(lu_b, p_b)),
                               np.linalg.inv(BATCH), rtol=1e-3, atol=1e-4)


def test_lu_compositions_are_differentiable():
    lu, p = tf.linalg.lu(A)
    lu64, perm = _np(lu).astype("float64"), _np(p)
    check_gradients(lambda m: tf.linalg.lu_reconstruct(m, perm), [lu64])
    check_gradients(lambda m, b: tf.linalg.lu_solve(m, perm, b), [lu64, RHS.astype("float64")])


def test_lu_errors():
    with pytest.raises(InvalidArgumentError, match="square"):
        tf.linalg.lu(np.ones((2, 3), "float32"))
    with pytest.raises(InvalidArgumentError, match="int32"):
        tf.linalg.lu(np.eye(2, dtype="int32"))


def test_cholesky_solve():
    spd = A @ A.T + 4 * np.eye(4, dtype="float32")
    chol = tf.linalg.cholesky(spd)
    np.testing.assert_allclose(_np(tf.linalg.cholesky_solve(chol, RHS)),
                               np.linalg.solve(spd, RHS), rtol=1e-4, atol=1e-5)
    c64 = np.linalg.cholesky(spd.astype("float64"))
    check_gradients(tf.linalg.cholesky_solve, [c64, RHS.astype("float64")])
    with pytest.raises(InvalidArgumentError, match="square"):
        tf.linalg.cholesky_solve(np.ones((2, 3), "float32"), RHS)


def test_eig_and_eigvals():
    for eig, eigvals in ((tf.linalg.eig, tf.linalg.eigvals), (tf.eig, tf.eigvals)):
        e, v = eig(A)
        assert e.dtype == np.complex64 and v.dtype == np.complex64
        np.testing.assert_allclose(A @ _np(v), _np(v) * _np(e)[None, :], atol=1e-4)
        want = np.sort_complex(np.linalg.eigvals(A.astype("float64")))
        np.testing.assert_allclose(np.sort_complex(_np(eigvals(A))), want, atol=1e-4)
    assert tf.linalg.eigvals(A.astype("float64")).dtype == np.complex128
    with pytest.raises(InvalidArgumentError, match="square"):
        tf.linalg.eig(np.ones((2, 3), "float32"))


# -- tridiagonal systems ------------------------------------------------------------------------
SUP = np.array([2.0, 3.0, 1.0, 0.0], "float32")  # the last entry is unused
MAIN = np.array([4.0, 5.0, 6.0, 7.0], "float32")
SUB = np.array([0.0, 8.0, 9.0, 2.0], "float32")  # the first entry is unused
DENSE = np.diag(MAIN) + np.diag(SUP[:-1], 1) + np.diag(SUB[1:], -1)
B4 = RNG.normal(size=(4, 2)).astype("float32")


@pytest.mark.parametrize("diagonals, fmt", [
    (np.stack([SUP, MAIN, SUB]), "compact"),
    ((SUP, MAIN, SUB), "sequence"),
    ((SUP[:-1], MAIN, SUB[1:]), "sequence"),
    (DENSE + np.triu(np.ones((4, 4), "float32"), 2), "matrix"),  # off-band entries ignored
])
def test_tridiagonal_matmul_and_solve(diagonals, fmt):
    np.testing.assert_allclose(_np(tf.linalg.tridiagonal_matmul(diagonals, B4, fmt)),
                               DENSE @ B4, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(tf.linalg.tridiagonal_solve(diagonals, B4, fmt)),
                               np.linalg.solve(DENSE, B4), rtol=1e-4, atol=1e-5)


def test_tridiagonal_solve_vector_transposed_and_gradients():
    compact = np.stack([SUP, MAIN, SUB])
    vec = tf.linalg.tridiagonal_solve(compact, B4[:, 0])
    assert vec.shape == (4,)
    np.testing.assert_allclose(_np(vec), np.linalg.solve(DENSE, B4[:, 0]), rtol=1e-4, atol=1e-5)
    out = tf.linalg.tridiagonal_solve(compact, B4.T.copy(), transpose_rhs=True)
    np.testing.assert_allclose(_np(out), np.linalg.solve(DENSE, B4), rtol=1e-4, atol=1e-5)
    check_gradients(lambda d, b: tf.linalg.tridiagonal_solve(d, b),
                    [compact.astype("float64"), B4.astype("float64")])
    check_gradients(lambda d, b: tf.linalg.tridiagonal_matmul(d, b),
                    [compact.astype("float64"), B4.astype("float64")])


def test_tridiagonal_errors():
    compact = np.stack([SUP, MAIN, SUB])
    with pytest.raises(ValueError, match="unrecognized diagonals_format"):
        tf.linalg.tridiagonal_solve(compact, B4, "banded")
    with pytest.raises(ValueError, match="sequence of length 3"):
        tf.linalg.tridiagonal_matmul((SUP, MAIN), B4, "sequence")
    with pytest.raises(ValueError, match="length 4 or 3, got 2"):
        tf.linalg.tridiagonal_solve((SUP[:2], MAIN, SUB), B4, "sequence")
    with pytest.raises(ValueError, match="\\[..., 3, M\\]"):
        tf.linalg.tridiagonal_solve(compact[:2], B4)
    with pytest.raises(ValueError, match="equal, got 4 and 2"):
        tf.linalg.tridiagonal_solve(compact, B4.T.copy())
    with pytest.raises(ValueError, match="partial_pivoting must be True"):
        tf.linalg.tridiagonal_solve(compact, B4, partial_pivoting=False, perturb_singular=True)
    with pytest.raises(NotImplementedError, match="perturb_singular"):
        tf.linalg.tridiagonal_solve(compact, B4, perturb_singular=True)


# -- matrix exponential -------------------------------------------------------------------------
def _expm_reference(a):
    """exp(A) = V exp(diag(w)) V^-1 in float64 (the test matrices are diagonalizable)."""
    w, v = np.linalg.eig(a.astype("float64"))
    return (v @ np.diag(np.exp(w)) @ np.linalg.inv(v)).real


def test_expm():
    rot = np.array([[0.0, 1.0], [-1.0, 0.0]], "float32")
    c, s = np.cos(1.0), np.sin(1.0)
    np.testing.assert_allclose(_np(tf.linalg.expm(rot)), [[c, s], [-s, c]], atol=1e-6)
    big = np.array([[10.0, 1.0], [-3.0, 2.0]], "float32")  # needs scaling and squaring
    np.testing.assert_allclose(_np(tf.linalg.expm(big)), _expm_reference(big), rtol=1e-4)
    batch = RNG.normal(size=(3, 4, 4)).astype("float32")
    out = tf.linalg.expm(batch)
    assert out.dtype == np.float32
    np.testing.assert_allclose(_np(out), [_expm_reference(m) for m in batch], rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(_np(tf.linalg.expm(np.zeros((2, 2), "float32"))), np.eye(2))
    check_gradients(tf.linalg.expm, [0.5 * batch[0].astype("float64")])
    with pytest.raises(InvalidArgumentError, match="square"):
        tf.linalg.expm(np.ones((2, 3), "float32"))


# -- matrix square root ---------------------------------------------------------------------
def test_sqrtm():
    assert tf.matrix_square_root is tf.linalg.sqrtm
    spd = BATCH @ np.swapaxes(BATCH, -1, -2) + np.eye(4, dtype="float32")
    root = _np(tf.linalg.sqrtm(spd))
    assert root.dtype == np.float32
    np.testing.assert_allclose(root @ root, spd, rtol=1e-4, atol=1e-4)
    w, v = np.linalg.eigh(spd.astype("float64"))  # the principal root of an SPD matrix
    want = v @ (np.sqrt(w)[..., None] * np.swapaxes(v, -1, -2))
    np.testing.assert_allclose(root, want, rtol=1e-4, atol=1e-5)
    general = np.array([[4.0, 1.0], [2.0, 3.0]], "float32")  # eigenvalues 2 and 5
    r = _np(tf.matrix_square_root(general))
    np.testing.assert_allclose(r @ r, general, rtol=1e-5)
    assert (np.linalg.eigvals(r) > 0).all()
    check_gradients(tf.linalg.sqrtm, [general.astype("float64")])


def test_sqrtm_without_a_principal_root_is_nan():
    for m in (np.diag([-1.0, 4.0]), np.zeros((2, 2))):
        assert np.isnan(_np(tf.linalg.sqrtm(m.astype("float32")))).all()
    mixed = np.stack([np.diag([-1.0, 4.0]), np.diag([1.0, 4.0])]).astype("float32")
    out = _np(tf.linalg.sqrtm(mixed))
    assert np.isnan(out[0]).all() and np.allclose(out[1], np.diag([1.0, 2.0]))
    with pytest.raises(InvalidArgumentError, match="square"):
        tf.linalg.sqrtm(np.ones((2, 3), "float32"))
