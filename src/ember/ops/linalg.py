"""Linear algebra: matmul (batched), dot, tensordot, einsum, norm, and ``keras.ops.linalg``'s
decompositions, inverses and solvers (with gradients where noted) and ``jvp``."""

from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.backend.half import matmul as _gemm  # float16/bfloat16 through a float32 GEMM
from ember.ops._helpers import (
    _constant_like,
    binary_operands,
    no_gradient,
    normalize_axis,
    raw,
    tensor_arg,
    unbroadcast,
)


class MatMul(Function):
    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return _gemm(a, b)

    def backward(self, gy):
        a, b = self.saved
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:  # inner product
            return (gy * b if self.needs[0] else None, gy * a if self.needs[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = gy
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        if self.needs[0]:
            ga = _gemm(g2, xp.swapaxes(b2, -1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if self.needs[1]:
            if a2.ndim == 2 and g2.ndim == 2:
                gb = _gemm(a2.T, g2)
            else:
                gb = _gemm(xp.swapaxes(a2, -1, -2), g2)
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb

    def backward_ops(self, gy, a, b):
        from ember.ops._higher import sum_to
        from ember.ops.shape import expand_dims, reshape, swapaxes

        sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
        if len(sa) == 1 and len(sb) == 1:  # inner product
            return (gy * b if self.needs[0] else None, gy * a if self.needs[1] else None)
        # vectors as matrices (a row, b a column), as in backward
        a2 = expand_dims(a, 0) if len(sa) == 1 else a
        b2 = expand_dims(b, -1) if len(sb) == 1 else b
        g2 = expand_dims(gy, -2) if len(sa) == 1 else gy
        g2 = expand_dims(g2, -1) if len(sb) == 1 else g2
        ga = gb = None
        if self.needs[0]:
            ga = reshape(sum_to(matmul(g2, swapaxes(b2, -1, -2)), a2.shape), sa)
        if self.needs[1]:
            gb = reshape(sum_to(matmul(swapaxes(a2, -1, -2), g2), b2.shape), sb)
        return ga, gb


def matmul(x1, x2):
    """Matrix product with NumPy's rules (batched over leading axes, broadcasting)."""
    a, b = binary_operands(x1, x2, "matmul")
    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: inputs must have rank >= 1. Received shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[-2] if len(sb) > 1 else sb[0]
    if ka != kb:
        raise ValueError(
            f"matmul: the last axis of x1 ({ka}) must equal the second-to-last axis of x2 ({kb}). "
            f"Received shapes {sa} and {sb}"
        )
    return MatMul().apply(a, b)


# -- tensordot and dot ---------------------------------------------------------------------------
class TensorDot(Function):
    """Contract ``axes_a`` of ``a`` with ``axes_b`` of ``b`` (NumPy's ``tensordot``)."""

    def __init__(self, axes_a, axes_b):
        self.axes_a, self.axes_b = list(axes_a), list(axes_b)

    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return xp.tensordot(a, b, axes=(self.axes_a, self.axes_b))

    def backward(self, gy):
        a, b = self.saved
        axes_a, axes_b = self.axes_a, self.axes_b
        free_a = [i for i in range(a.ndim) if i not in axes_a]
        free_b = [i for i in range(b.ndim) if i not in axes_b]
        nfa = len(free_a)
        ga = gb = None
        if self.needs[0]:
            # gy's free_b axes against b's free axes: leaves free_a + b's contracted axes (sorted)
            g = xp.tensordot(gy, b, axes=(list(range(nfa, gy.ndim)), free_b))
            order = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
            ga = xp.transpose(g, xp.argsort(order))
        if self.needs[1]:
            g = xp.tensordot(a, gy, axes=(free_a, list(range(nfa))))
            order = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
            gb = xp.transpose(g, xp.argsort(order))
        return ga, gb


def tensordot(x1, x2, axes=2):
    """Sum products over ``axes``: an int ``n`` (last ``n`` of ``x1`` with first ``n`` of
    ``x2``) or a pair of axis lists, as ``numpy.tensordot``."""
    a, b = binary_operands(x1, x2, "tensordot")
    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if isinstance(axes, int):
        if axes < 0 or axes > min(len(sa), len(sb)):
            raise ValueError(
                f"tensordot: axes={axes} is invalid for inputs of shapes {sa} and {sb}")
        axes_a = list(range(len(sa) - axes, len(sa)))
        axes_b = list(range(axes))
    else:
        try:
            axes_a, axes_b = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: axes must be an int or a pair of axis lists. Received: {axes!r}"
            ) from None
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
        if len(axes_a) != len(axes_b):
            raise ValueError(
                f"tensordot: {len(axes_a)} axes of x1 but {len(axes_b)} axes of x2 given "
                f"(shapes {sa} and {sb})")
        axes_a = list(normalize_axis(axes_a, len(sa), "tensordot"))
        axes_b = list(normalize_axis(axes_b, len(sb), "tensordot"))
    for i, j in zip(axes_a, axes_b):
        if sa[i] != sb[j]:
            raise ValueError(
                f"tensordot: axis {i} of x1 (size {sa[i]}) does not match axis {j} of x2 "
                f"(size {sb[j]}). Received shapes {sa} and {sb}")
    return TensorDot(axes_a, axes_b).apply(a, b)


def dot(x1, x2):
    """NumPy's ``dot``: a product with a scalar, an inner product of vectors, a matrix
    product, or a sum over the last axis of ``x1`` and the second-to-last of ``x2``."""
    a, b = binary_operands(x1, x2, "dot")
    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if not sa or not sb:
        from ember.ops.elementwise import multiply

        return multiply(a, b)
    if len(sa) <= 2 and len(sb) <= 2:
        return matmul(a, b)
    kb = -1 if len(sb) == 1 else -2
    if sa[-1] != sb[kb]:
        raise ValueError(
            f"dot: the last axis of x1 ({sa[-1]}) must equal axis {kb} of x2 ({sb[kb]}). "
            f"Received shapes {sa} and {sb}")
    return TensorDot([len(sa) - 1], [len(sb) + kb]).apply(a, b)


def outer(x1, x2):
    """Outer product of the flattened inputs."""
    from ember.ops.elementwise import multiply
    from ember.ops.shape import reshape

    return multiply(reshape(x1, (-1, 1)), reshape(x2, (1, -1)))


def inner(x1, x2):
    """Inner product over the last axes (a product with a scalar)."""
    a, b = binary_operands(x1, x2, "inner")
    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if not sa or not sb:
        from ember.ops.elementwise import multiply

        return multiply(a, b)
    if sa[-1] != sb[-1]:
        raise ValueError(
            f"inner: the last axes must match. Received shapes {sa} and {sb}")
    return TensorDot([len(sa) - 1], [len(sb) - 1]).apply(a, b)


# -- einsum ----------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Einsum(Function):
    """``numpy.einsum`` over explicit index letters; the gradient of each operand is another
    einsum of the output gradient with the other operands."""

    def __init__(self, ins, out):
        self.ins, self.out = ins, out

    def forward(self, *arrays):
        if self.recording:
            self.saved = arrays
        return _einsum(",".join(self.ins) + "->" + self.out, arrays)

    def backward(self, gy):
        arrays = self.saved
        grads = []
        for i, spec in enumerate(self.ins):
            if not self.needs[i]:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(self.ins) if j != i] + [self.out]
            present = set("".join(others))
            kept = "".join(c for c in spec if c in present)
            ops = [a for j, a in enumerate(arrays) if j != i] + [gy]
            g = _einsum(",".join(others) + "->" + kept, ops)
            if kept != spec:  # letters summed in this operand alone: broadcast back
                shape = [arrays[i].shape[k] if c in present else 1 for k, c in enumerate(spec)]
                g = xp.broadcast_to(g.reshape(shape), arrays[i].shape)
            grads.append(g.astype(arrays[i].dtype, copy=False))
        return tuple(grads)


def _einsum(spec, arrays):
    optimize = len(arrays) > 2 or max(a.size for a in arrays) > 64
    return xp.einsum(spec, *arrays, optimize="greedy" if optimize else False)


def einsum(subscripts, *operands):
    """Einstein summation, as ``numpy.einsum``, with gradients for every operand.

    Supported: any number of operands, explicit (``'ij,jk->ik'``) and implicit (``'ij,jk'``)
    outputs, and ``...`` for leading or trailing axes of equal sizes. Not supported (a clear
    ``ValueError``): an index repeated within one operand (diagonals, ``'ii->i'``) and an
    ellipsis whose axes broadcast (size 1 against a larger size).
    """
    spec = subscripts.replace(" ", "")
    arrays = [raw(o) for o in operands]
    shapes = [xp.shape(a) for a in arrays]
    if "->" in spec:
        lhs, out = spec.split("->")
        explicit = True
    else:
        lhs, out, explicit = spec, "", False
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} name {len(ins)} operands but {len(operands)} "
            f"were given (shapes {shapes})")
    used = set(c for c in spec if c.isalpha())
    free = [c for c in _LETTERS if c not in used]
    # expand the ellipsis into letters, right-aligned across operands
    n_ell = 0
    for s, shape in zip(ins, shapes):
        if "..." in s:
            n_ell = max(n_ell, len(shape) - len(s.replace("...", "")))
    ell = "".join(free[:n_ell])
    expanded = []
    for i, (s, shape) in enumerate(zip(ins, shapes)):
        if "..." in s:
            k = len(shape) - len(s.replace("...", ""))
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if len(s) != len(shape) or not s.isalpha():
            raise ValueError(
                f"einsum: operand {i} has shape {shape} but subscripts {ins[i]!r} "
                f"(in {subscripts!r})")
        expanded.append(s)
    if explicit:
        out = out.replace("...", ell)
    else:
        counts = {}
        for s in expanded:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    sizes = {}
    for i, (s, shape) in enumerate(zip(expanded, shapes)):
        if len(set(s)) != len(s):
            raise ValueError(
                f"einsum: operand {i} repeats an index in {ins[i]!r} (a diagonal); ember's "
                f"einsum does not support that (subscripts {subscripts!r}, shapes {shapes})")
        for c, n in zip(s, shape):
            if sizes.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: index {c!r} has size {sizes[c]} in one operand and {n} in "
                    f"operand {i} (subscripts {subscripts!r}, shapes {shapes}); broadcasting "
                    "of einsum indices is not supported")
    if len(set(out)) != len(out) or not set(out) <= set(sizes):
        raise ValueError(f"einsum: invalid output subscripts in {subscripts!r}")
    ref = next((o for o in operands if isinstance(o, Tensor) and o.dtype.kind == "f"), None)
    operands = [o if isinstance(o, Tensor) or ref is None else Tensor(_constant_like(o, ref.data))
                for o in operands]
    return Einsum(expanded, out).apply(*operands)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - the Keras name
    """Vector or matrix norm, as ``numpy.linalg.norm``.

    Vector norms (``axis`` an int, or ``None`` on a vector): ``None``/2, 1, ``inf``, ``-inf``, 0
    and any other number ``p``. Matrix norms (``axis`` a pair): ``None``/``'fro'``, 1, -1,
    ``inf``, ``-inf``. Spectral and nuclear norms (2, -2, ``'nuc'``) are not supported.
    """
    from ember.ops import elementwise as E
    from ember.ops import reduction as R
    from ember.ops.shape import reshape

    ndim = xp.ndim(raw(x))
    if axis is None:
        if ord is not None and ndim > 2:
            raise ValueError(f"norm: ord={ord!r} needs an axis for an input of rank {ndim}")
        if ord is None or ndim == 0:
            y = E.sqrt(R.sum(E.square(reshape(x, (-1,)))))
            return reshape(y, (1,) * ndim) if keepdims else y
        axis = tuple(range(ndim))
    axes = normalize_axis(axis, ndim, "norm")
    inf = float("inf")
    if len(axes) == 1:
        ax = axes[0]
        if ord is None or ord == 2:
            return E.sqrt(R.sum(E.square(x), axis=ax, keepdims=keepdims))
        a = E.abs(x)
        if ord == inf:
            return R.max(a, axis=ax, keepdims=keepdims)
        if ord == -inf:
            return R.min(a, axis=ax, keepdims=keepdims)
        if ord == 0:
            return E.cast(R.sum(E.cast(E.not_equal(x, 0), raw(x).dtype), axis=ax,
                                keepdims=keepdims), raw(x).dtype)
        if ord == 1:
            return R.sum(a, axis=ax, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"norm: invalid ord {ord!r} for a vector norm")
        return E.power(R.sum(E.power(a, float(ord)), axis=ax, keepdims=keepdims), 1.0 / ord)
    if len(axes) != 2:
        raise ValueError(f"norm: axis must be an int or a pair of ints. Received {axis!r}")
    r, c = axes
    if ord is None or ord == "fro":
        return E.sqrt(R.sum(E.square(x), axis=axes, keepdims=keepdims))
    a = E.abs(x)
    if ord in (1, -1):  # max/min over columns of the column sums
        s = R.sum(a, axis=r, keepdims=True)
        y = R.max(s, axis=c, keepdims=True) if ord == 1 else R.min(s, axis=c, keepdims=True)
    elif ord in (inf, -inf):
        s = R.sum(a, axis=c, keepdims=True)
        y = R.max(s, axis=r, keepdims=True) if ord == inf else R.min(s, axis=r, keepdims=True)
    else:
        raise ValueError(f"norm: ord={ord!r} is not supported for matrix norms (supported: "
                         "None, 'fro', 1, -1, inf, -inf)")
    if keepdims:
        return y
    from ember.ops.shape import squeeze

    return squeeze(y, axis=axes)


# -- decompositions, inverses and solvers (``keras.ops.linalg``) --------------------------------
# Each works on the last two axes and batches over the leading ones. Integer inputs become
# floatx (as Keras); float32 stays float32.
def _float_input(x, op, square=False):
    from ember import config
    from ember.ops.elementwise import cast

    t = tensor_arg(x)
    if xp.asarray(raw(t)).dtype.kind not in "fc":
        t = cast(t, config.floatx())
    shape = xp.shape(raw(t))
    if len(shape) < 2:
        raise ValueError(
            f"{op}: expected input to have rank >= 2. Received input with shape {shape}")
    if square and shape[-1] != shape[-2]:
        raise ValueError(
            f"{op}: expected a square matrix. Received non-square input with shape {shape}")
    return t


def _t(a):
    return xp.swapaxes(a, -1, -2)


class _Decomposition:
    """A factorization computed once per input array and shared by the Functions of its
    outputs (each output is its own node, so the tape sums their gradients)."""

    def __init__(self, fn):
        self.fn, self.key, self.parts = fn, None, None

    def __call__(self, a):
        if self.key is not a:  # a tf.function replay brings a new array: recompute
            self.key, self.parts = a, self.fn(a)
        return self.parts


class _Output(Function):
    """Output ``index`` (called ``name``) of a :class:`_Decomposition`; ``grad(gy, parts)`` is
    its gradient with respect to the input, or None when ember has none (asking for it is an
    error)."""

    def __init__(self, op, decomposition, index, name, grad=None):
        self.op, self.dec, self.index, self.name, self.grad = op, decomposition, index, name, grad

    def forward(self, a):
        parts = self.dec(a)
        if self.recording:
            self.parts = parts
        return parts[self.index]

    def backward(self, gy):
        if self.grad is None:
            raise NotImplementedError(
                f"{self.op}: its output {self.name!r} has no gradient in ember; "
                "stop_gradient it or differentiate another quantity")
        return (self.grad(gy, self.parts),)


def _outputs(op, x, fn, names, grads):
    dec = _Decomposition(fn)
    return tuple(_Output(op, dec, i, n, g).apply(x)
                 for i, (n, g) in enumerate(zip(names, grads)))


class Inv(Function):
    def forward(self, a):
        y = xp.linalg.inv(a)
        if self.recording:
            self.saved = y
        return y

    def backward(self, gy):
        yt = _t(self.saved)
        return (-(yt @ gy @ yt),)


def _singular(op, x):
    return ValueError(f"{op}: the input matrix is singular (shape {xp.shape(raw(x))})")


def inv(x):
    """The inverse of each square matrix (``ValueError`` when one is singular)."""
    x = _float_input(x, "inv", square=True)
    try:
        return Inv().apply(x)
    except xp.linalg.LinAlgError:
        raise _singular("inv", x) from None


class SLogDet(Function):
    """``log|det(a)|``; the gradient is ``inv(a)^T``."""

    def forward(self, a):
        logabs = xp.linalg.slogdet(a)[1]
        if self.recording:
            self.saved = a
        return logabs.astype(a.dtype, copy=False)

    def backward(self, gy):
        return (gy[..., None, None] * _t(xp.linalg.inv(self.saved)),)


def slogdet(x):
    """``(sign, log|det|)`` of each square matrix; ``sign`` is piecewise constant (no
    gradient)."""
    x = _float_input(x, "slogdet", square=True)
    sign = no_gradient(lambda a: xp.linalg.slogdet(a)[0].astype(a.dtype, copy=False), x)
    return sign, SLogDet().apply(x)


def logdet(x):
    """``log|det(x)|`` (Keras's ``logdet``: the second output of :func:`slogdet`)."""
    return slogdet(x)[1]


def det(x):
    """The determinant of each square matrix, ``sign * exp(log|det|)``."""
    from ember.ops.elementwise import exp, multiply

    sign, logabs = slogdet(x)
    return multiply(sign, exp(logabs))


class Cholesky(Function):
    def forward(self, a):
        try:
            lower = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise ValueError(
                f"cholesky: decomposition failed; the input (shape {a.shape}) might not be "
                "symmetric positive-definite") from None
        if self.recording:
            self.saved = lower
        return lower

    def backward(self, gy):
        # Murray (2016): Phi(L^T gL), then both sides solved with L, symmetrized
        lower = self.saved
        p = _t(lower) @ gy
        p = xp.tril(p) - 0.5 * xp.eye(p.shape[-1], dtype=p.dtype) * p
        inv_l = xp.linalg.inv(lower)
        s = _t(inv_l) @ p @ inv_l
        return (0.5 * (s + _t(s)),)


def cholesky(x, upper=False):
    """The lower Cholesky factor ``L`` (``x = L L^T``) of each symmetric positive-definite
    matrix, or ``L^T`` when ``upper``."""
    from ember.ops.shape import swapaxes

    lower = Cholesky().apply(_float_input(x, "cholesky", square=True))
    return swapaxes(lower, -1, -2) if upper else lower


def cholesky_inverse(x, upper=False):
    """``inv(A)`` from ``A``'s Cholesky factor ``x`` (lower, or upper when ``upper``)."""
    from ember.ops.shape import swapaxes

    x = _float_input(x, "cholesky_inverse", square=True)
    eye = xp.eye(xp.shape(raw(x))[-1], dtype=xp.asarray(raw(x)).dtype)
    inv_factor = solve_triangular(x, eye, lower=not upper)
    if upper:  # A = U^T U: inv(A) = U^-1 U^-T
        return matmul(inv_factor, swapaxes(inv_factor, -1, -2))
    return matmul(swapaxes(inv_factor, -1, -2), inv_factor)


def _rhs(a, b, op):
    """``b`` as a (batch of) matrices; True when it was one vector."""
    from ember.ops.shape import expand_dims

    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if len(sb) < 1:
        raise ValueError(f"{op}: expected b to have rank >= 1. Received scalar input")
    vector = len(sb) == 1  # NumPy 2's rule: (..., M, K) otherwise, broadcast against a
    rows = sb[0] if vector else sb[-2]
    if rows != sa[-1]:
        raise ValueError(
            f"{op}: incompatible shapes between a and b. Received: a.shape={sa}, b.shape={sb}")
    return (expand_dims(b, -1) if vector else b), vector


class Solve(Function):
    def __init__(self, triangle=None):
        self.triangle = triangle  # None, xp.tril or xp.triu: the part of a that is read

    def forward(self, a, b):
        if self.triangle is not None:
            a = self.triangle(a)
        x = xp.linalg.solve(a, b)
        if self.recording:
            self.saved = (a, x, b.shape)
        return x

    def backward(self, gy):
        a, x, b_shape = self.saved
        gb = xp.linalg.solve(_t(a), gy)
        ga = None
        if self.needs[0]:
            ga = -gb @ _t(x)
            ga = unbroadcast(self.triangle(ga) if self.triangle else ga, a.shape)
        return ga, unbroadcast(gb, b_shape)


def _solve(a, b, op, triangle):
    from ember.ops.shape import squeeze

    a = _float_input(a, op, square=True)
    b, vector = _rhs(a, tensor_arg(b), op)
    a, b = binary_operands(a, b, op)
    try:
        x = Solve(triangle).apply(a, b)
    except xp.linalg.LinAlgError:
        raise _singular(op, a) from None
    return squeeze(x, -1) if vector else x


def solve(a, b):
    """``x`` with ``a @ x = b``: ``b`` is one vector, or matrices ``(..., M, K)`` whose batch
    axes broadcast against ``a``'s."""
    return _solve(a, b, "solve", None)


def solve_triangular(a, b, lower=False):
    """:func:`solve` for triangular ``a``: only its lower (``lower``) or upper triangle is
    read."""
    return _solve(a, b, "solve_triangular", xp.tril if lower else xp.triu)


def _eigh_parts(a):
    w, v = xp.linalg.eigh(a)
    return w, v


def _eigh_values_grad(gw, parts):
    w, v = parts
    return (v * gw[..., None, :]) @ _t(v)


def _eigh_vectors_grad(gv, parts):
    # dV = V (F o (V^T dA V)) with F_ij = 1 / (w_j - w_i) off the diagonal
    w, v = parts
    diff = w[..., None, :] - w[..., :, None]
    off = ~xp.eye(w.shape[-1], dtype=bool)
    f = xp.where(off, 1.0 / xp.where(off, diff, 1.0), 0.0).astype(w.dtype, copy=False)
    return v @ (f * (_t(v) @ gv)) @ _t(v)


def eigh(x):
    """``(eigenvalues, eigenvectors)`` of symmetric matrices, eigenvalues ascending. The input
    is symmetrized first (``(x + x^T) / 2``), so gradients are symmetric; the eigenvector
    gradient assumes distinct eigenvalues."""
    from ember.ops.elementwise import add, multiply
    from ember.ops.shape import swapaxes

    x = _float_input(x, "eigh", square=True)
    sym = multiply(add(x, swapaxes(x, -1, -2)), 0.5)
    return _outputs("eigh", sym, _eigh_parts, ("eigenvalues", "eigenvectors"),
                    (_eigh_values_grad, _eigh_vectors_grad))


def eig(x):
    """``(eigenvalues, eigenvectors)`` of general square matrices, always complex (complex64
    for float32 input). No gradient."""
    x = _float_input(x, "eig", square=True)

    def parts(a):
        w, v = xp.linalg.eig(a)
        kind = xp.complex64 if a.dtype == xp.float32 else xp.complex128
        return w.astype(kind), v.astype(kind)

    return _outputs("eig", x, parts, ("eigenvalues", "eigenvectors"), (None, None))


def _copyltu(m):
    """The lower triangle of ``m`` mirrored onto the upper one."""
    return xp.tril(m) + _t(xp.tril(m, -1))


def _qr_grad(gq, gr, parts):
    # for m >= n (Walter & Lehmann 2018): M = R gR^T - gQ^T Q, gA = (gQ + Q copyltu(M)) R^-T
    q, r = parts
    m = r @ _t(gr) - _t(gq) @ q
    b = gq + q @ _copyltu(m)
    return _t(xp.linalg.solve(r, _t(b)))


def qr(x, mode="reduced"):
    """``(q, r)`` with ``x = q @ r``, ``q`` orthonormal columns and ``r`` upper triangular;
    ``mode`` is ``"reduced"`` or ``"complete"``. Gradients when ``q``'s columns span ``x``'s
    (rows >= columns; square for ``"complete"``)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(
            f"qr: mode must be one of 'reduced', 'complete'. Received: mode={mode!r}")
    x = _float_input(x, "qr")
    rows, cols = xp.shape(raw(x))[-2:]
    grads = (None, None)
    if rows >= cols and (mode == "reduced" or rows == cols):
        grads = (lambda gq, parts: _qr_grad(gq, xp.zeros_like(parts[1]), parts),
                 lambda gr, parts: _qr_grad(xp.zeros_like(parts[0]), gr, parts))
    return _outputs("qr", x, lambda a: xp.linalg.qr(a, mode=mode), ("q", "r"), grads)


def _singular_values_grad(gs, parts):
    u, s, vh = parts
    k = s.shape[-1]
    return (u[..., :, :k] * gs[..., None, :]) @ vh[..., :k, :]


def svd(x, full_matrices=True, compute_uv=True):
    """``(u, s, vh)`` with ``x = u @ diag(s) @ vh`` (NumPy's order; ``vh`` is already
    transposed), or only the singular values ``s`` when ``compute_uv`` is False. The
    gradient flows through ``s``; ``u`` and ``vh`` have none."""
    x = _float_input(x, "svd")

    def parts(a):
        return xp.linalg.svd(a, full_matrices=full_matrices)

    u, s, vh = _outputs("svd", x, parts, ("u", "s", "vh"), (None, _singular_values_grad, None))
    return (u, s, vh) if compute_uv else s


def _pinv_rcond(a, rcond):
    # JAX's default cutoff (Keras's backend), relative to the largest singular value
    return 10 * max(a.shape[-2:]) * xp.finfo(a.dtype).eps if rcond is None else rcond


class Pinv(Function):
    """The Moore-Penrose pseudo-inverse. The gradient (Golub & Pereyra 1973) holds where the
    rank does not change."""

    def __init__(self, rcond):
        self.rcond = rcond

    def forward(self, a):
        p = xp.linalg.pinv(a, rcond=_pinv_rcond(a, self.rcond)).astype(a.dtype, copy=False)
        if self.recording:
            self.saved = (a, p)
        return p

    def backward(self, g):
        a, p = self.saved
        pt, gt = _t(p), _t(g)
        eye_m = xp.eye(a.shape[-2], dtype=a.dtype)
        eye_n = xp.eye(a.shape[-1], dtype=a.dtype)
        return (-pt @ g @ pt + (eye_m - a @ p) @ gt @ p @ pt
                + pt @ p @ gt @ (eye_n - p @ a),)


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse (singular values below ``rcond`` times the largest are
    treated as zero; by default ``10 * max(rows, cols) * eps``)."""
    return Pinv(rcond).apply(_float_input(x, "pinv"))


def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a @ x = b`` for one matrix ``a`` (rank 2) and
    ``b`` of rank 1 or 2 (``pinv(a) @ b``; singular values below ``rcond`` times the largest
    are dropped, by default ``eps * max(rows, cols)``)."""
    a = _float_input(a, "lstsq")
    b = tensor_arg(b)
    sa, sb = xp.shape(raw(a)), xp.shape(raw(b))
    if len(sa) != 2:
        raise ValueError(f"lstsq: expected a to have rank 2. Received: a.shape={sa}")
    if len(sb) not in (1, 2):
        raise ValueError(f"lstsq: expected b to have rank 1 or 2. Received: b.shape={sb}")
    if sb[0] != sa[0]:
        raise ValueError(
            f"lstsq: expected b.shape[0] to equal a.shape[0]. Received: a.shape={sa}, "
            f"b.shape={sb}")
    if rcond is None:
        rcond = xp.finfo(xp.asarray(raw(a)).dtype).eps * max(sa)
    return matmul(pinv(a, rcond), b)


def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (by default ``max(s) * max(rows, cols) *
    eps``), as int32 (no gradient)."""
    x = _float_input(x, "matrix_rank")
    return no_gradient(lambda a: xp.asarray(xp.linalg.matrix_rank(a, tol=tol), dtype="int32"), x)


def _lu_parts(a):
    """Partial-pivoting LU of a batch at once: ``(lu, pivots)`` as LAPACK's ``getrf`` (row
    ``i`` swapped with row ``pivots[i]``, 0-based)."""
    batch = a.shape[:-2]
    m, n = a.shape[-2:]
    lu = a.reshape((-1, m, n)).copy()
    k = min(m, n)
    piv = xp.zeros((lu.shape[0], k), dtype="int32")
    b = xp.arange(lu.shape[0])
    for j in range(k):
        p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=-1)
        piv[:, j] = p
        row_j, row_p = lu[b, j].copy(), lu[b, p].copy()
        lu[b, j], lu[b, p] = row_p, row_j
        pivot = lu[:, j, j]
        safe = xp.where(pivot == 0, 1, pivot)  # a zero column: nothing to eliminate
        lu[:, j + 1:, j] /= safe[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j, None] * lu[:, None, j, j + 1:]
    return lu.reshape(a.shape), piv.reshape(batch + (k,))


def lu_factor(x):
    """``(lu, pivots)``: ``L`` (unit diagonal, below) and ``U`` packed in one matrix, and the
    0-based row interchanges, as ``scipy.linalg.lu_factor`` (batched). No gradient."""
    x = _float_input(x, "lu_factor")
    dec = _Decomposition(_lu_parts)
    lu = _Output("lu_factor", dec, 0, "lu").apply(x)
    return lu, no_gradient(lambda a: dec(a)[1], x)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode product ``J(primals) @ tangents`` of ``fun(*primals)``: returns
    ``(outputs, output_tangents)`` (and ``aux`` when ``has_aux``, ``fun`` returning
    ``(outputs, aux)``).

    ember is reverse-mode: this differentiates the vector-Jacobian product ``u -> u^T J`` (linear
    in ``u``) once more, so every op in ``fun`` needs second derivatives."""
    from ember.autodiff.tape import GradientTape
    from ember.ops.creation import zeros_like

    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"jvp: primals and tangents must be tuples or lists. Received: "
            f"{type(primals).__name__} and {type(tangents).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: {len(primals)} primals but {len(tangents)} tangents")
    xs = [p if isinstance(p, Tensor) else Tensor(xp.asarray(raw(tensor_arg(p))))
          for p in primals]
    ts = [xp.asarray(raw(tensor_arg(t))) for t in tangents]
    for x, t in zip(xs, ts):
        if x.shape != t.shape:
            raise ValueError(
                f"jvp: each tangent must have its primal's shape. Received {t.shape} for a "
                f"primal of shape {x.shape}")
    with GradientTape(persistent=True) as outer:
        with GradientTape(persistent=True) as inner:
            for x in xs:
                inner.watch(x)
            result = fun(*xs)
        out, aux = result if has_aux else (result, None)
        flat = list(out) if isinstance(out, (tuple, list)) else [out]
        us = [zeros_like(o) for o in flat]
        for u in us:
            outer.watch(u)
        vjps = inner.gradient(flat, xs, output_gradients=us)
    pairs = [(g, t) for g, t in zip(vjps, ts) if g is not None]
    if pairs:
        grads = outer.gradient([g for g, _ in pairs], us,
                               output_gradients=[Tensor(t.astype(g.dtype)) for g, t in pairs])
    else:
        grads = [None] * len(us)
    tangents_out = [zeros_like(o) if g is None else g for g, o in zip(grads, flat)]
    tangents_out = type(out)(tangents_out) if isinstance(out, (tuple, list)) else tangents_out[0]
    return (out, tangents_out, aux) if has_aux else (out, tangents_out)
