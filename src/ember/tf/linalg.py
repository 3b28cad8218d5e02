"""``tf.linalg``: matrix ops over the last two axes (batched over the leading ones).

Everything carries gradients except ``cross`` and ``matrix_rank``; ``svd``'s flow through the
singular values only. The engines live in :mod:`ember.ops.linalg`.
"""

from collections import namedtuple

from ember import ops
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops import linalg as _linalg
from ember.ops._helpers import raw
from ember.tf.array_ops import (  # noqa: F401 - re-exported as tf.linalg.*
    _floats_only,
    _same_dtype,
    _tf_errors,
    _to_tensor,
    einsum,
    eye,
    global_norm,
    matmul,
    norm,
    tensordot,
)
from ember.tf.errors import InvalidArgumentError
from ember.tf.math import l2_normalize  # noqa: F401


def _square(x, op):
    x = _floats_only(x, op)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise InvalidArgumentError(f"{op}: Input must be a (batch of) square matrix; got shape "
                                   f"{list(x.shape)}")
    return x


def matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """``a`` with its last two axes swapped."""
    x = _to_tensor(a)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose: input must have rank >= 2; got {x.shape}")
    return ops.swapaxes(x, -1, -2)


adjoint = matrix_transpose


def matvec(a, b, transpose_a=False, adjoint_a=False, a_is_sparse=False, b_is_sparse=False,
           name=None):
    """The matrix-vector product ``a @ b`` over the last axis of ``b``."""
    x, v = _same_dtype(a, b, "matvec")
    out = matmul(x, ops.expand_dims(v, -1), transpose_a=transpose_a or adjoint_a)
    return ops.squeeze(out, -1)


def trace(x, name=None):
    """The sum of the diagonal of the last two axes (in the input's dtype, as TensorFlow)."""
    return ops.sum(diag_part(x), axis=-1)


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    """Diagonal ``k`` of the last two axes (one diagonal: ``k`` an int)."""
    x = _to_tensor(input)
    if not isinstance(k, int):
        raise ValueError("diag_part: ember supports one diagonal (an int k), not a band")
    if x.ndim < 2:
        raise ValueError(f"diag_part: input must have rank >= 2; got {x.shape}")
    return ops.diagonal(x, k, -2, -1)


tensor_diag_part = diag_part


def diag(diagonal, name="diag", k=0, num_rows=-1, num_cols=-1, padding_value=0,
         align="RIGHT_LEFT"):
    """Matrices with ``diagonal`` (its last axis) on the main diagonal, zeros elsewhere."""
    d = _to_tensor(diagonal)
    if k != 0:
        raise ValueError("diag: ember supports only the main diagonal (k=0)")
    n = d.shape[-1]
    mask = xp.eye(n, dtype=d.dtype)
    return ops.multiply(ops.expand_dims(d, -1), mask)


def tensor_diag(diagonal, name=None):
    d = _to_tensor(diagonal)
    if d.ndim != 1:
        raise ValueError("tensor_diag: ember supports a 1-D diagonal")
    return ops.diag(d)


def set_diag(input, diagonal, name="set_diag", k=0, align="RIGHT_LEFT"):  # noqa: A002
    """``input`` with its main diagonal replaced by ``diagonal``."""
    x, d = _same_dtype(input, diagonal, "set_diag")
    n = x.shape[-1]
    if x.shape[-2] != n:
        raise ValueError("set_diag: ember supports square matrices")
    off = ops.multiply(x, 1 - xp.eye(n, dtype=x.dtype))
    return ops.add(off, diag(d))


def band_part(input, num_lower, num_upper, name=None):  # noqa: A002
    """``input`` with everything outside the band of ``num_lower`` sub- and ``num_upper``
    super-diagonals set to 0 (a negative count keeps that whole triangle)."""
    x = _to_tensor(input)
    m, n = x.shape[-2:]
    i = xp.arange(m)[:, None]
    j = xp.arange(n)[None, :]
    lower, upper = int(raw(num_lower)), int(raw(num_upper))
    keep = ((lower < 0) | (i - j <= lower)) & ((upper < 0) | (j - i <= upper))
    return ops.multiply(x, keep.astype(x.dtype))


def inv(input, adjoint=False, name=None):  # noqa: A002
    """The inverse of each square matrix (InvalidArgumentError when singular)."""
    x = _square(input, "inv")
    try:
        out = _linalg.inv(x)
    except ValueError:
        raise InvalidArgumentError("inv: Input is not invertible.") from None
    return matrix_transpose(out) if adjoint else out


def slogdet(input, name=None):  # noqa: A002
    """``(sign, log|det|)`` of each square matrix; ``log|det|`` carries the gradient."""
    return _linalg.slogdet(_square(input, "slogdet"))


def det(input, name=None):  # noqa: A002
    """The determinant of each square matrix (``sign * exp(log|det|)``)."""
    return _linalg.det(_square(input, "det"))


def logdet(matrix, name=None):
    """``log(det(matrix))`` of Hermitian positive-definite matrices (via Cholesky)."""
    lower = cholesky(matrix)
    return ops.multiply(2.0, ops.sum(ops.log(diag_part(lower)), axis=-1))


def cholesky(input, name=None):  # noqa: A002
    """The lower Cholesky factor of each symmetric positive-definite matrix."""
    try:
        return _linalg.cholesky(_square(input, "cholesky"))
    except ValueError:
        raise InvalidArgumentError(
            "cholesky: Cholesky decomposition was not successful. The input might not be "
            "valid.") from None


def solve(matrix, rhs, adjoint=False, name=None):
    """``x`` with ``matrix @ x = rhs``."""
    a, b = _same_dtype(_square(matrix, "solve"), rhs, "solve")
    if adjoint:
        a = matrix_transpose(a)
    try:
        return _linalg.solve(a, b)
    except ValueError as e:
        if "singular" not in str(e):
            raise
        raise InvalidArgumentError("solve: Input matrix is not invertible.") from None


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``x`` with ``matrix @ x = rhs`` for triangular ``matrix`` (only the ``lower`` or upper
    triangle is read)."""
    a, b = _same_dtype(_square(matrix, "triangular_solve"), rhs, "triangular_solve")
    if adjoint:  # the transposed triangle is the other one
        a, lower = matrix_transpose(a), not lower
    return _linalg.solve_triangular(a, b, lower=lower)


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis (no gradient)."""
    x, y = _same_dtype(a, b, "cross")
    return Tensor(xp.cross(x.data, y.data))


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """``(q, r)`` with ``input = q @ r`` (gradients for rows >= columns)."""
    q, r = _linalg.qr(_floats_only(input, "qr"),
                      mode="complete" if full_matrices else "reduced")
    return namedtuple("Qr", ["q", "r"])(q, r)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """``(s, u, v)`` with ``tensor = u @ diag(s) @ v^T`` (TensorFlow's order; the gradient
    flows through ``s``); only ``s`` when ``compute_uv`` is False."""
    x = _floats_only(tensor, "svd")
    if not compute_uv:
        return _linalg.svd(x, compute_uv=False)
    u, s, vh = _linalg.svd(x, full_matrices=full_matrices)
    return s, u, matrix_transpose(vh)


def eigh(tensor, name=None):
    """``(eigenvalues, eigenvectors)`` of symmetric matrices, ascending."""
    return _linalg.eigh(_square(tensor, "eigh"))


def eigvalsh(tensor, name=None):
    return _linalg.eigh(_square(tensor, "eigvalsh"))[0]


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse."""
    return _linalg.pinv(_floats_only(a, "pinv"), rcond=rcond)


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solution of ``matrix @ x = rhs`` (one matrix)."""
    a, b = _same_dtype(matrix, rhs, "lstsq")
    if a.ndim != 2:
        raise ValueError("lstsq: ember supports one matrix (rank 2)")
    if l2_regularizer:
        at = matrix_transpose(a)
        gram = ops.add(matmul(at, a), l2_regularizer * xp.eye(a.shape[-1], dtype=a.dtype))
        return _linalg.solve(gram, matmul(at, b))
    return _linalg.lstsq(a, b)


def matrix_rank(a, tol=None, validate_args=False, name=None):
    return _linalg.matrix_rank(_to_tensor(a), tol=tol)


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002
    """``(tensor / norm, norm)``."""
    n = norm(tensor, ord=ord, axis=axis, keepdims=True)
    return ops.divide(tensor, n), n


# -- LU, cholesky_solve, eig (engines: ember.ops.linalg) -------------------------------------
def _permutation(pivots):
    """LAPACK's row swaps (row ``i`` swapped with ``pivots[i]``, in order) as the permutation
    ``p`` with ``a[p] = L U``."""
    perm = xp.broadcast_to(xp.arange(pivots.shape[-1]), pivots.shape).copy()
    flat, piv = perm.reshape(-1, perm.shape[-1]), pivots.reshape(-1, pivots.shape[-1])
    for row, swaps in zip(flat, piv):
        for i, j in enumerate(swaps):
            row[i], row[j] = row[j], row[i]
    return perm


def lu(input, output_idx_type="int32", name=None):  # noqa: A002 - TensorFlow's name
    """``(lower_upper, p)``: the LU factorisation with partial pivoting, ``L`` (unit diagonal,
    below) and ``U`` packed in one matrix, and the row permutation ``p`` with
    ``gather(input, p) = L @ U`` (no gradient, as TensorFlow)."""
    t = _square(input, "lu")
    packed, pivots = ops.lu_factor(t)
    from ember.ops._helpers import no_gradient

    perm = no_gradient(lambda p: _permutation(p).astype(output_idx_type), pivots)
    return namedtuple("Lu", ["lu", "p"])(packed, perm)


def _unpack(lower_upper):
    n = lower_upper.shape[-1]
    unit = xp.eye(n, dtype=lower_upper.dtype)
    return ops.add(ops.tril(lower_upper, -1), unit), ops.triu(lower_upper)


def _rows(x, perm):
    """``x`` with its rows (axis -2) gathered by ``perm`` (per batch)."""
    p = xp.asarray(raw(perm))
    return ops.take_along_axis(x, xp.broadcast_to(p[..., :, None], p.shape + (x.shape[-1],)),
                               axis=-2)


def lu_reconstruct(lower_upper, perm, validate_args=False, name=None):
    """The matrix whose :func:`lu` is ``(lower_upper, perm)``."""
    lower, upper = _unpack(_square(lower_upper, "lu_reconstruct"))
    inverse = xp.argsort(xp.asarray(raw(perm)), axis=-1)
    return _rows(ops.matmul(lower, upper), inverse)


def lu_solve(lower_upper, perm, rhs, validate_args=False, name=None):
    """The solution ``x`` of ``A x = rhs`` from ``A``'s :func:`lu` factorisation."""
    lower, upper = _unpack(_square(lower_upper, "lu_solve"))
    b = _rows(_to_tensor(rhs), perm)
    return ops.solve_triangular(upper, ops.solve_triangular(lower, b, lower=True), lower=False)


def lu_matrix_inverse(lower_upper, perm, validate_args=False, name=None):
    """The inverse of the matrix whose :func:`lu` is ``(lower_upper, perm)``."""
    t = _square(lower_upper, "lu_matrix_inverse")
    identity = xp.broadcast_to(xp.eye(t.shape[-1], dtype=t.dtype), tuple(t.shape))
    return lu_solve(t, perm, identity)


def cholesky_solve(chol, rhs, name=None):
    """The solution ``x`` of ``A x = rhs`` given ``chol``, the lower Cholesky factor of ``A``."""
    c = _square(chol, "cholesky_solve")
    y = ops.solve_triangular(c, _to_tensor(rhs, c.dtype), lower=True)
    return ops.solve_triangular(ops.swapaxes(c, -1, -2), y, lower=False)


def eig(tensor, name=None):
    """``(e, v)``: the eigenvalues and eigenvectors of a general square matrix, complex
    (complex64 for float32 input; no gradient in ember)."""
    return ops.eig(_square(tensor, "eig"))


def eigvals(tensor, name=None):
    """The eigenvalues of a general square matrix, complex (no gradient in ember)."""
    return eig(tensor)[0]


# -- tridiagonal systems and the matrix exponential (compositions of differentiable ops) ------
def _tridiagonal_dense(diagonals, diagonals_format, op):
    """The ``[..., M, M]`` matrix of tridiagonal ``diagonals`` in TensorFlow's formats:
    ``"compact"`` ``[..., 3, M]`` (superdiagonal, diagonal, subdiagonal; the superdiagonal's
    last and the subdiagonal's first entries unused), ``"sequence"`` (those three, the off
    diagonals of length M or M - 1) or ``"matrix"`` (entries off the band ignored)."""
    if diagonals_format == "matrix":
        m = _square(diagonals, op)
        return ops.tril(ops.triu(m, -1), 1)
    if diagonals_format == "sequence":
        if not isinstance(diagonals, (list, tuple)) or len(diagonals) != 3:
            raise ValueError(f"{op}: expected diagonals to be a sequence of length 3.")
        sup, main, sub = (_floats_only(d, op) for d in diagonals)
        m = main.shape[-1]
        for what, t in (("superdiagonal", sup), ("subdiagonal", sub)):
            if t.shape[-1] not in (m, m - 1):
                raise ValueError(f"{op}: expected {what} to have length {m} or {m - 1}, got "
                                 f"{t.shape[-1]}.")
        if sup.shape[-1] == m - 1:
            sup = ops.pad(sup, [(0, 0)] * (sup.ndim - 1) + [(0, 1)])
        if sub.shape[-1] == m - 1:
            sub = ops.pad(sub, [(0, 0)] * (sub.ndim - 1) + [(1, 0)])
    elif diagonals_format == "compact":
        d = _floats_only(diagonals, op)
        if d.ndim < 2 or d.shape[-2] != 3:
            raise ValueError(f"{op}: expected diagonals of shape [..., 3, M], got "
                             f"{tuple(d.shape)}")
        sup, main, sub = d[..., 0, :], d[..., 1, :], d[..., 2, :]
    else:
        raise ValueError(f"{op}: unrecognized diagonals_format: {diagonals_format}")
    m = main.shape[-1]
    dtype = main.dtype
    # row i: main[i] on the diagonal, sup[i] to its right, sub[i] to its left
    return ops.add(ops.add(
        ops.multiply(ops.expand_dims(main, -1), xp.eye(m, dtype=dtype)),
        ops.multiply(ops.expand_dims(sup, -1), xp.eye(m, k=1, dtype=dtype))),
        ops.multiply(ops.expand_dims(sub, -1), xp.eye(m, k=-1, dtype=dtype)))


def tridiagonal_matmul(diagonals, rhs, diagonals_format="compact", name=None):
    """The product of a tridiagonal matrix (see :func:`tridiagonal_solve` for the formats)
    and ``rhs`` ``[..., M, N]``."""
    dense = _tridiagonal_dense(diagonals, diagonals_format, "tridiagonal_matmul")
    return ops.matmul(dense, _to_tensor(rhs, dense.dtype))


def tridiagonal_solve(diagonals, rhs, diagonals_format="compact", transpose_rhs=False,
                      conjugate_rhs=False, name=None, partial_pivoting=True,
                      perturb_singular=False):
    """The solution of ``A x = rhs`` for a tridiagonal ``A`` given by ``diagonals``
    (``"compact"`` ``[..., 3, M]``, ``"sequence"`` or ``"matrix"``); ``rhs`` is ``[..., M, K]``
    (or ``[..., K, M]`` with ``transpose_rhs``) or a vector ``[..., M]``. ember solves the
    dense system with pivoting; ``perturb_singular`` is not supported."""
    if perturb_singular and not partial_pivoting:
        raise ValueError("tridiagonal_solve: partial_pivoting must be True if "
                         "perturb_singular is.")
    if perturb_singular:
        raise NotImplementedError("tridiagonal_solve: perturb_singular is not supported")
    dense = _tridiagonal_dense(diagonals, diagonals_format, "tridiagonal_solve")
    b = _to_tensor(rhs, dense.dtype)
    vector = b.ndim == dense.ndim - 1
    if vector:
        b = ops.expand_dims(b, -1)
    elif transpose_rhs:
        b = ops.swapaxes(b, -1, -2)
    if b.ndim != dense.ndim:
        raise ValueError(f"tridiagonal_solve: expected the rank of rhs to be {dense.ndim - 1} "
                         f"or {dense.ndim}, got {b.ndim}")
    if conjugate_rhs and b.dtype.kind == "c":
        b = ops.conj(b)
    if b.shape[-2] != dense.shape[-1]:
        raise ValueError("tridiagonal_solve: expected number of left-hand sides and right-hand "
                         f"sides to be equal, got {dense.shape[-1]} and {b.shape[-2]}")
    x = ops.solve(dense, b)
    return ops.squeeze(x, -1) if vector else x


# Pade approximant of degree 13 (Higham 2005, "The scaling and squaring method for the matrix
# exponential revisited"): its coefficients and the 1-norm it is accurate up to
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def expm(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """The matrix exponential of a (batch of) square matrices, by scaling and squaring with a
    degree-13 Pade approximant (differentiable)."""
    a = _square(input, "expm")
    n = a.shape[-1]
    norm = float(xp.abs(raw(a)).sum(axis=-2).max()) if a.size else 0.0
    squarings = max(0, int(xp.ceil(xp.log2(norm / _THETA13)))) if norm > 0 else 0
    a = ops.multiply(a, xp.asarray(0.5 ** squarings, a.dtype))
    b = [xp.asarray(c, a.dtype) for c in _PADE13]
    unit = xp.eye(n, dtype=a.dtype)
    a2 = ops.matmul(a, a)
    a4 = ops.matmul(a2, a2)
    a6 = ops.matmul(a4, a2)

    def combo(c6, c4, c2, c0):
        return ops.add(ops.add(ops.multiply(a6, c6), ops.multiply(a4, c4)),
                       ops.add(ops.multiply(a2, c2), ops.multiply(unit, c0)))

    inner_u = ops.add(ops.add(ops.multiply(a6, b[13]), ops.multiply(a4, b[11])),
                      ops.multiply(a2, b[9]))
    u = ops.matmul(a, ops.add(ops.matmul(a6, inner_u), combo(b[7], b[5], b[3], b[1])))
    inner_v = ops.add(ops.add(ops.multiply(a6, b[12]), ops.multiply(a4, b[10])),
                      ops.multiply(a2, b[8]))
    v = ops.add(ops.matmul(a6, inner_v), combo(b[6], b[4], b[2], b[0]))
    result = ops.solve(ops.subtract(v, u), ops.add(v, u))
    for _ in range(squarings):
        result = ops.matmul(result, result)
    return result


def sqrtm(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """The principal square root of a (batch of) square matrices, by the Denman-Beavers
    iteration (in float64 inside; differentiable). A matrix with an eigenvalue on the closed
    negative real axis (0 included) has no principal root: NaN, as TensorFlow."""
    a = _square(input, "sqrtm")
    values = xp.linalg.eigvals(xp.asarray(raw(a), "float64"))
    scale = xp.maximum(xp.abs(values).max(axis=-1, keepdims=True), 1e-300)
    on_axis = (xp.abs(values.imag) <= 1e-12 * scale) & (values.real <= 1e-12 * scale)
    bad = on_axis.any(axis=-1)[..., None, None]
    unit = xp.broadcast_to(xp.eye(a.shape[-1]), tuple(a.shape))
    y = ops.where(bad, unit, ops.cast(a, "float64"))  # no iteration on a matrix without a root
    z = unit
    for _ in range(100):
        y, z = (ops.multiply(0.5, ops.add(y, ops.inv(z))),
                ops.multiply(0.5, ops.add(z, ops.inv(y))))
        residual = xp.abs(raw(ops.matmul(y, y)) - xp.where(bad, unit, raw(a))).max()
        if residual <= 1e-13 * max(1.0, float(xp.abs(raw(a)).max())):
            break
    return ops.where(bad, xp.asarray(xp.nan, a.dtype), ops.cast(y, a.dtype))


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "ops", "Tensor", "xp", "raw", "InvalidArgumentError", "namedtuple")]
