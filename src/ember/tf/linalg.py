"""``tf.linalg``: matrix ops over the last two axes (batched over the leading ones).

``matmul``, ``matvec``, ``trace``, ``diag_part``, ``band_part``, ``diag``, ``set_diag``,
``inv``, ``det``, ``logdet``, ``slogdet``, ``cholesky``, ``solve`` carry gradients; the
decompositions (``qr``, ``svd``, ``eigh``) and ``pinv``/``lstsq`` are NumPy's, without.
"""

from collections import namedtuple

from ember import ops
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
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
    """The sum of the diagonal of the last two axes."""
    return ops.sum(diag_part(x), axis=-1)


def diag_part(input, name="diag_part", k=0, padding_value=0, align="RIGHT_LEFT"):  # noqa: A002
    """The main diagonal of the last two axes (``k = 0`` only)."""
    x = _to_tensor(input)
    if k != 0:
        raise ValueError("diag_part: ember supports only the main diagonal (k=0)")
    if x.ndim < 2:
        raise ValueError(f"diag_part: input must have rank >= 2; got {x.shape}")
    n = min(x.shape[-2:])
    idx = xp.arange(n)
    return ops.getitem(x, (Ellipsis, idx, idx))


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
    return diag(d)


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


class Inv(Function):
    def forward(self, a):
        y = xp.linalg.inv(a)
        if self.recording:
            self.saved = y
        return y

    def backward(self, gy):
        yt = xp.swapaxes(self.saved, -1, -2)
        return (-(yt @ gy @ yt),)


class SLogDet(Function):
    """``log|det(a)|`` (its sign is kept aside): the gradient is ``inv(a)^T``."""

    def forward(self, a):
        sign, logabs = xp.linalg.slogdet(a)
        self.sign = sign
        if self.recording:
            self.saved = a
        return logabs

    def backward(self, gy):
        inv_t = xp.swapaxes(xp.linalg.inv(self.saved), -1, -2)
        return (gy[..., None, None] * inv_t,)


class Cholesky(Function):
    def forward(self, a):
        try:
            lower = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise InvalidArgumentError(
                "cholesky: Cholesky decomposition was not successful. The input might not be "
                "valid.") from None
        if self.recording:
            self.saved = lower
        return lower

    def backward(self, gy):
        # Murray (2016): phi(L^T gL), then A^-T-style solves with L
        lower = self.saved
        lt = xp.swapaxes(lower, -1, -2)
        p = lt @ gy
        p = xp.tril(p) - 0.5 * xp.eye(p.shape[-1], dtype=p.dtype) * p
        inv_l = xp.linalg.inv(lower)
        s = xp.swapaxes(inv_l, -1, -2) @ p @ inv_l
        return (0.5 * (s + xp.swapaxes(s, -1, -2)),)


class Solve(Function):
    def forward(self, a, b):
        x = xp.linalg.solve(a, b)
        if self.recording:
            self.saved = (a, x)
        return x

    def backward(self, gy):
        a, x = self.saved
        gb = xp.linalg.solve(xp.swapaxes(a, -1, -2), gy)
        ga = -gb @ xp.swapaxes(x, -1, -2)
        return ga, gb


def inv(input, adjoint=False, name=None):  # noqa: A002
    """The inverse of each square matrix (InvalidArgumentError when singular)."""
    x = _square(input, "inv")
    try:
        out = Inv().apply(x)
    except xp.linalg.LinAlgError:
        raise InvalidArgumentError("inv: Input is not invertible.") from None
    return matrix_transpose(out) if adjoint else out


def slogdet(input, name=None):  # noqa: A002
    """``(sign, log|det|)`` of each square matrix; ``log|det|`` carries the gradient."""
    x = _square(input, "slogdet")
    logabs = SLogDet().apply(x)
    sign = xp.linalg.slogdet(x.data)[0].astype(x.dtype)
    return Tensor(sign), logabs


def det(input, name=None):  # noqa: A002
    """The determinant of each square matrix (``sign * exp(log|det|)``)."""
    sign, logabs = slogdet(input)
    return ops.multiply(sign, ops.exp(logabs))


def logdet(matrix, name=None):
    """``log(det(matrix))`` of Hermitian positive-definite matrices (via Cholesky)."""
    lower = cholesky(matrix)
    return ops.multiply(2.0, ops.sum(ops.log(diag_part(lower)), axis=-1))


def cholesky(input, name=None):  # noqa: A002
    """The lower Cholesky factor of each symmetric positive-definite matrix."""
    return Cholesky().apply(_square(input, "cholesky"))


def solve(matrix, rhs, adjoint=False, name=None):
    """``x`` with ``matrix @ x = rhs``."""
    a, b = _same_dtype(_square(matrix, "solve"), rhs, "solve")
    if adjoint:
        a = matrix_transpose(a)
    try:
        return Solve().apply(a, b)
    except xp.linalg.LinAlgError:
        raise InvalidArgumentError("solve: Input matrix is not invertible.") from None


def cross(a, b, name=None):
    """The cross product of 3-vectors along the last axis (no gradient)."""
    x, y = _same_dtype(a, b, "cross")
    return Tensor(xp.cross(x.data, y.data))


def qr(input, full_matrices=False, name=None):  # noqa: A002
    """``(q, r)`` with ``input = q @ r`` (no gradient)."""
    x = _floats_only(input, "qr")
    q, r = xp.linalg.qr(x.data, mode="complete" if full_matrices else "reduced")
    return namedtuple("Qr", ["q", "r"])(Tensor(q), Tensor(r))


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """``(s, u, v)`` with ``tensor = u @ diag(s) @ v^T`` (TensorFlow's order; no gradient);
    only ``s`` when ``compute_uv`` is False."""
    x = _floats_only(tensor, "svd")
    if not compute_uv:
        return Tensor(xp.linalg.svd(x.data, compute_uv=False))
    u, s, vh = xp.linalg.svd(x.data, full_matrices=full_matrices)
    return Tensor(s), Tensor(u), Tensor(xp.swapaxes(vh, -1, -2))


def eigh(tensor, name=None):
    """``(eigenvalues, eigenvectors)`` of symmetric matrices, ascending (no gradient)."""
    x = _square(tensor, "eigh")
    w, v = xp.linalg.eigh(x.data)
    return Tensor(w), Tensor(v)


def eigvalsh(tensor, name=None):
    return Tensor(xp.linalg.eigvalsh(_square(tensor, "eigvalsh").data))


def pinv(a, rcond=None, validate_args=False, name=None):
    """The Moore-Penrose pseudo-inverse (no gradient)."""
    x = _floats_only(a, "pinv")
    if rcond is None:
        rcond = 10 * max(x.shape[-2:]) * xp.finfo(x.dtype).eps
    return Tensor(xp.linalg.pinv(x.data, rcond=rcond).astype(x.dtype))


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The least-squares solution of ``matrix @ x = rhs`` (one matrix; no gradient)."""
    a, b = _same_dtype(matrix, rhs, "lstsq")
    if a.ndim != 2:
        raise ValueError("lstsq: ember supports one matrix (rank 2)")
    if l2_regularizer:
        n = a.shape[-1]
        gram = a.data.T @ a.data + l2_regularizer * xp.eye(n, dtype=a.dtype)
        return Tensor(xp.linalg.solve(gram, a.data.T @ b.data).astype(a.dtype))
    return Tensor(xp.linalg.lstsq(a.data, b.data, rcond=None)[0].astype(a.dtype))


def matrix_rank(a, tol=None, validate_args=False, name=None):
    return Tensor(xp.asarray(xp.linalg.matrix_rank(raw(_to_tensor(a)), tol=tol),
                             dtype="int32"))


def normalize(tensor, ord="euclidean", axis=None, name=None):  # noqa: A002
    """``(tensor / norm, norm)``."""
    n = norm(tensor, ord=ord, axis=axis, keepdims=True)
    return ops.divide(tensor, n), n


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "ops", "Tensor", "xp", "raw", "Function", "InvalidArgumentError", "namedtuple", "Inv",
    "SLogDet", "Cholesky", "Solve")]
