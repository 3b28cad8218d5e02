"""Linear algebra: matmul (batched), dot, tensordot, einsum."""

from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import (
    _constant_like,
    binary_operands,
    normalize_axis,
    raw,
    unbroadcast,
)


class MatMul(Function):
    def forward(self, a, b):
        if self.recording:
            self.saved = (a, b)
        return xp.matmul(a, b)

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
            ga = xp.matmul(g2, xp.swapaxes(b2, -1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if self.needs[1]:
            if a2.ndim == 2 and g2.ndim == 2:
                gb = a2.T @ g2
            else:
                gb = xp.matmul(xp.swapaxes(a2, -1, -2), g2)
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
