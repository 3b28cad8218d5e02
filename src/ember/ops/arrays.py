"""Array manipulation ops of ``keras.ops`` built on the shape ops: diagonals, stacks and splits,
rotations, differences, ``select``, ``vander``, ``vectorize``; and the index-valued ones
(``nonzero``, ``unique``, ``searchsorted`` ...), which carry no gradient.

The differentiable ones are compositions of differentiable ops (gathers, concatenation,
flips, transposes, ``where``), so their gradients come from those. Index results are int32, as
Keras gives them (on JAX).
"""

import math

from ember import config
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import no_gradient, normalize_axis, raw, tensor_arg
from ember.ops.elementwise import cast, multiply, not_equal, subtract, where
from ember.ops.reduction import sum as reduce_sum
from ember.ops.shape import (
    Transpose,
    broadcast_to,
    concatenate,
    flip,
    getitem,
    moveaxis,
    reshape,
    result_dtype,
    split_along,
    stack,
    take,
    transpose,
    unstack,
)

_INDEX_DTYPE = "int32"


def _ndim_at_least(x, n, op):
    shape = xp.shape(raw(x))
    if len(shape) < n:
        raise ValueError(f"{op}: input must have rank >= {n}. Received shape {shape}")
    return shape


# -- copies and views ------------------------------------------------------------------------------
class Copy(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return (gy,)

    def backward_ops(self, gy, x):
        return (gy,)


def copy(x):
    """A copy of ``x`` (the gradient passes through)."""
    return Copy().apply(tensor_arg(x))


def get_item(x, key):
    """``x[key]``, as ``keras.ops.get_item``."""
    return getitem(x, key)


def view(x, dtype=None):
    """The bytes of ``x`` reinterpreted as ``dtype`` (the last axis scales with the item size);
    no gradient."""
    x = tensor_arg(x)
    data = raw(x)
    dtype = data.dtype if dtype is None else xp.dtype(dtype)
    try:
        data.view(dtype)  # a view costs nothing: it checks that the bytes fit
    except ValueError:
        raise ValueError(
            f"view: an input of shape {data.shape} and dtype {data.dtype} cannot be viewed as "
            f"{dtype.name} (the last axis holds {data.shape[-1] if data.ndim else 0} x "
            f"{data.dtype.itemsize} bytes; it must be a whole number of {dtype.itemsize}-byte "
            "items)") from None
    # a copy: the result must not change when a Variable it came from is assigned
    return no_gradient(lambda a: a.view(dtype).copy(), x)


def view_as_real(x):
    """A complex ``x`` as floats with a last axis of size 2 (real, imaginary); no gradient."""
    def fn(a):
        if a.dtype.kind != "c":  # a real input has zero imaginary parts, as in Keras
            a = a.astype(xp.result_type(a.dtype, xp.complex64))
        return xp.stack([a.real, a.imag], axis=-1)

    return no_gradient(fn, tensor_arg(x))


def view_as_complex(x):
    """Floats with a last axis of size 2 (real, imaginary) as complex numbers; no gradient."""
    data = raw(tensor_arg(x))
    if data.ndim == 0 or data.shape[-1] != 2:
        raise ValueError(
            "view_as_complex: the last axis of the input must have size 2 (real and imaginary "
            f"parts). Received shape {data.shape}")
    if data.dtype.kind != "f":
        raise TypeError(
            f"view_as_complex: the input must be float32 or float64. Received dtype {data.dtype}")
    complex_dtype = "complex64" if data.dtype.itemsize <= 4 else "complex128"
    return no_gradient(lambda a: (a[..., 0] + 1j * a[..., 1]).astype(complex_dtype), tensor_arg(x))


# -- joining and splitting -------------------------------------------------------------------------
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when None)."""
    dtype = result_dtype(x1, x2)  # Python scalars are weak: append(int8, 1) stays int8
    a, b = cast(x1, dtype), cast(x2, dtype)
    if axis is None:
        a, b = reshape(a, (-1,)), reshape(b, (-1,))
        axis = 0
    return concatenate([a, b], axis=axis)


def _atleast(x, n):
    """``x`` with length-1 axes added as NumPy's atleast_2d/atleast_3d do."""
    shape = xp.shape(raw(x))
    if len(shape) >= n:
        return tensor_arg(x)
    if n == 1:
        return reshape(x, (1,))
    if n == 2:
        return reshape(x, (1,) * (2 - len(shape)) + shape)
    new = {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]
    return reshape(x, new)


def _stack_inputs(xs, op):
    xs = list(xs)
    if not xs:
        raise ValueError(f"{op}: needs at least one input")
    return xs


def hstack(xs):
    """Join along the second axis (the first for 1-D inputs)."""
    xs = [_atleast(x, 1) for x in _stack_inputs(xs, "hstack")]
    return concatenate(xs, axis=0 if xp.ndim(raw(xs[0])) == 1 else 1)


def vstack(xs):
    """Join along the first axis, 1-D inputs becoming rows."""
    return concatenate([_atleast(x, 2) for x in _stack_inputs(xs, "vstack")], axis=0)


def dstack(xs):
    """Join along the third axis (1-D and 2-D inputs gain length-1 axes first)."""
    return concatenate([_atleast(x, 3) for x in _stack_inputs(xs, "dstack")], axis=2)


def array_split(x, indices_or_sections, axis=0):
    """Split into ``indices_or_sections`` parts along ``axis``; unlike ``split`` the parts may
    differ in length (the first ``n % sections`` get one more element)."""
    if isinstance(indices_or_sections, bool) or not isinstance(
            indices_or_sections, (int, xp.integer)):
        raise TypeError(
            "array_split: indices_or_sections must be an int. Received "
            f"indices_or_sections={indices_or_sections!r}")
    sections = int(indices_or_sections)
    if sections <= 0:
        raise ValueError(
            f"array_split: indices_or_sections must be a positive integer. Received {sections}")
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), "array_split")
    size, extra = divmod(shape[ax], sections)
    bounds, at = [], 0
    for i in range(sections - 1):
        at += size + (1 if i < extra else 0)
        bounds.append(at)
    return split_along(x, bounds, ax, "array_split")


def hsplit(x, indices_or_sections):
    """``split`` along the second axis (the first for 1-D inputs)."""
    shape = _ndim_at_least(x, 1, "hsplit")
    return split_along(x, indices_or_sections, 0 if len(shape) == 1 else 1, "hsplit")


def vsplit(x, indices_or_sections):
    """``split`` along the first axis."""
    _ndim_at_least(x, 1, "vsplit")
    return split_along(x, indices_or_sections, 0, "vsplit")


def dsplit(x, indices_or_sections):
    """``split`` along the third axis (inputs of rank >= 3)."""
    _ndim_at_least(x, 3, "dsplit")
    return split_along(x, indices_or_sections, 2, "dsplit")


# -- flips and rotations ---------------------------------------------------------------------------
def fliplr(x):
    """Reverse the second axis."""
    _ndim_at_least(x, 2, "fliplr")
    return flip(x, 1)


def flipud(x):
    """Reverse the first axis."""
    _ndim_at_least(x, 1, "flipud")
    return flip(x, 0)


def rot90(array, k=1, axes=(0, 1)):
    """Rotate by ``k`` quarter turns in the plane of ``axes`` (from the first axis towards the
    second)."""
    shape = _ndim_at_least(array, 2, "rot90")
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must hold two axes. Received axes={axes}")
    a0, a1 = normalize_axis(axes, len(shape), "rot90")
    if a0 == a1:
        raise ValueError(f"rot90: axes must be two different axes. Received axes={axes}")
    k = int(k) % 4
    if k == 0:
        return copy(array)
    if k == 2:
        return flip(array, (a0, a1))
    perm = list(range(len(shape)))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return Transpose(tuple(perm)).apply(flip(array, a1))
    return flip(Transpose(tuple(perm)).apply(tensor_arg(array)), a1)


# -- diagonals -------------------------------------------------------------------------------------
def _diagonal_index(n, m, offset):
    """Row and column indices of diagonal ``offset`` of an ``n x m`` matrix."""
    if offset >= 0:
        length = max(0, min(n, m - offset))
        rows = xp.arange(length)
        return rows, rows + offset
    length = max(0, min(n + offset, m))
    cols = xp.arange(length)
    return cols - offset, cols


def diagonal(x, offset=0, axis1=0, axis2=1):
    """Diagonal ``offset`` of the matrices in the plane of ``axis1`` and ``axis2``; it becomes
    the last axis of the result."""
    return _diagonal(x, offset, axis1, axis2, "diagonal")


def _diagonal(x, offset, axis1, axis2, op):
    shape = _ndim_at_least(x, 2, op)
    a1, a2 = normalize_axis((axis1, axis2), len(shape), op)
    if a1 == a2:
        raise ValueError(
            f"{op}: axis1 and axis2 cannot be the same. Received axis1={axis1}, axis2={axis2}")
    rows, cols = _diagonal_index(shape[a1], shape[a2], int(offset))
    return getitem(moveaxis(x, (a1, a2), (-2, -1)), (Ellipsis, rows, cols))


def diag(x, k=0):
    """The matrix with the 1-D ``x`` on diagonal ``k``, or diagonal ``k`` of the 2-D ``x``."""
    shape = xp.shape(raw(x))
    if len(shape) == 2:
        return _diagonal(x, k, 0, 1, "diag")
    if len(shape) != 1:
        raise ValueError(f"diag: input must be 1-D or 2-D. Received shape {shape}")
    x = tensor_arg(x)
    n, k = shape[0], int(k)
    size = n + abs(k)
    # a gather from x followed by one zero: every off-diagonal entry picks that zero
    index = xp.full((size, size), n)
    rows, cols = _diagonal_index(size, size, k)
    index[rows, cols] = xp.arange(n)
    return take(concatenate([x, xp.zeros(1, dtype=x.dtype)]), index, axis=0)


def diagflat(x, k=0):
    """The matrix with the flattened ``x`` on diagonal ``k``."""
    return diag(reshape(x, (-1,)), k)


def _sum_dtype(dtype):
    """The dtype of a sum as Keras computes it: small integers and bools widen to 32 bits."""
    if dtype.kind == "b" or (dtype.kind == "i" and dtype.itemsize < 4):
        return xp.dtype("int32")
    if dtype.kind == "u" and dtype.itemsize < 4:
        return xp.dtype("uint32")
    return dtype


def trace(x, offset=0, axis1=0, axis2=1):
    """The sum along diagonal ``offset`` of the plane of ``axis1`` and ``axis2``."""
    d = _diagonal(x, offset, axis1, axis2, "trace")
    return reduce_sum(cast(d, _sum_dtype(d.dtype)), axis=-1)


def tri(N, M=None, k=0, dtype=None):
    """Ones on and below diagonal ``k`` of an ``N x M`` matrix, zeros above."""
    return Tensor(xp.tri(int(N), None if M is None else int(M), int(k),
                         dtype=dtype or config.floatx()))


# -- differences, grids, Vandermonde ---------------------------------------------------------------
def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis`` (``not_equal`` for booleans)."""
    shape = _ndim_at_least(a, 1, "diff")
    (ax,) = normalize_axis(axis, len(shape), "diff")
    if int(n) < 0:
        raise ValueError(f"diff: the order n must be non-negative. Received n={n}")
    x = tensor_arg(a)
    step = subtract if x.dtype.kind != "b" else not_equal
    head = [slice(None)] * len(shape)
    tail = list(head)
    head[ax], tail[ax] = slice(1, None), slice(None, -1)
    # after shape[ax] steps the axis is empty: more steps change nothing
    for _ in range(min(int(n), shape[ax])):
        x = step(getitem(x, tuple(head)), getitem(x, tuple(tail)))
    return x


def meshgrid(*x, indexing="xy"):
    """Coordinate grids of 1-D inputs: ``"xy"`` (Cartesian, the first two axes swapped) or
    ``"ij"`` (matrix) indexing. Each grid keeps its input's dtype."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'. Received indexing={indexing!r}")
    shapes = [xp.shape(raw(v)) for v in x]
    if any(len(s) != 1 for s in shapes):
        raise ValueError(f"meshgrid: inputs must be 1-D. Received shapes {shapes}")
    out_shape = [s[0] for s in shapes]
    position = list(range(len(x)))
    if indexing == "xy" and len(x) >= 2:
        out_shape[0], out_shape[1] = out_shape[1], out_shape[0]
        position[0], position[1] = 1, 0
    grids = []
    for v, p in zip(x, position):
        lined = [1] * len(x)
        lined[p] = -1
        grids.append(broadcast_to(reshape(v, tuple(lined)), tuple(out_shape)))
    return grids


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D ``x``: columns ``x**(N-1) ... x**0`` (increasing
    powers when ``increasing``), built by repeated products so that the gradient is exact."""
    shape = xp.shape(raw(x))
    if len(shape) != 1:
        raise ValueError(f"vander: input must be 1-D. Received shape {shape}")
    x = tensor_arg(x)
    if x.dtype.kind == "b":
        raise TypeError("vander: input must be numeric. Received dtype bool")
    N = shape[0] if N is None else int(N)
    if N < 0:
        raise ValueError(f"vander: N must be non-negative. Received N={N}")
    if N == 0:
        return Tensor(xp.zeros((shape[0], 0), dtype=x.dtype))
    power = Tensor(xp.ones(shape, dtype=x.dtype))
    columns = [power]
    for _ in range(N - 1):
        power = multiply(power, x)
        columns.append(power)
    return stack(columns if increasing else columns[::-1], axis=1)


def select(condlist, choicelist, default=0):
    """Each element from the first ``choicelist`` entry whose condition holds, else
    ``default``; the gradient flows to the chosen entries."""
    condlist, choicelist = list(condlist), list(choicelist)
    if not condlist or not choicelist:
        raise ValueError("select: condlist and choicelist must not be empty")
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: condlist and choicelist must have the same length. Received "
            f"{len(condlist)} conditions and {len(choicelist)} choices")
    dtype = result_dtype(*choicelist, default)
    choices = [cast(c, dtype) for c in choicelist]
    out = cast(default, dtype)
    for cond, choice in zip(condlist[::-1], choices[::-1]):
        out = where(xp.asarray(raw(cond)).astype(bool), choice, out)
    return out


# -- index results (no gradient) -------------------------------------------------------------------
def nonzero(x):
    """The indices of the non-zero elements, as a tuple of one int32 tensor per axis."""
    _ndim_at_least(x, 1, "nonzero")
    coords = no_gradient(lambda a: xp.stack(xp.nonzero(a)).astype(_INDEX_DTYPE), tensor_arg(x))
    return tuple(unstack(coords))


def argpartition(x, kth, axis=-1):
    """Indices that partition ``x`` along ``axis`` around its ``kth`` smallest element (smaller
    ones before it, larger ones after, each side in no particular order)."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    shape = _ndim_at_least(x, 1, "argpartition")
    (ax,) = normalize_axis(axis, len(shape), "argpartition")
    kths = xp.asarray(raw(kth)).reshape(-1)
    n = shape[ax]
    if any(not -n <= int(k) < n for k in kths):
        raise ValueError(
            f"argpartition: kth={kth} is out of range for axis {axis} of length {n}")
    return no_gradient(lambda a: xp.argpartition(a, raw(kth), axis=ax).astype(_INDEX_DTYPE),
                   tensor_arg(x))


def searchsorted(sorted_sequence, values, side="left"):
    """Where each of ``values`` would go in the 1-D ``sorted_sequence`` to keep it sorted
    (before equal elements for ``side="left"``, after them for ``"right"``)."""
    shape = xp.shape(raw(sorted_sequence))
    if len(shape) != 1:
        raise ValueError(
            f"searchsorted: sorted_sequence must be 1-D. Received shape {shape}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'. Received side={side!r}")
    return no_gradient(lambda s, v: xp.searchsorted(s, v, side=side).astype(_INDEX_DTYPE),
                   tensor_arg(sorted_sequence), tensor_arg(values))


def unravel_index(indices, shape):
    """The coordinates of flat ``indices`` in an array of ``shape``, one int32 tensor per
    axis."""
    idx = xp.asarray(raw(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: indices must be integers. Received dtype {idx.dtype}")
    dims = tuple(int(d) for d in shape)
    total = 1
    for d in dims:
        total *= d
    if idx.size and (idx.min() < 0 or idx.max() >= total):
        raise ValueError(
            f"unravel_index: indices must be in [0, {total}) for shape {dims}. Received min "
            f"{idx.min()}, max {idx.max()}")
    coords = no_gradient(lambda a: xp.stack(xp.unravel_index(a, dims)).astype(_INDEX_DTYPE)
                     .reshape((len(dims),) + a.shape), tensor_arg(indices))
    return tuple(unstack(coords))


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,  # noqa: A002
           axis=None, size=None, fill_value=None):
    """The distinct elements of ``x`` (slices along ``axis`` when given), sorted; with
    ``return_index``, ``return_inverse``, ``return_counts`` also where each first appears,
    the position of each input element among them and how often each occurs (int32). With
    ``size``, the results have exactly ``size`` entries: cut, or padded with ``fill_value``
    (the smallest value by default) and counts of 0. ``sorted=False`` gives them sorted too,
    as Keras does on JAX. No gradient."""
    data = raw(tensor_arg(x))
    if axis is not None:
        (axis,) = normalize_axis(axis, data.ndim, "unique")
    if size is not None and int(size) < 0:
        raise ValueError(f"unique: size must be non-negative. Received size={size}")

    def parts(a):
        values, index, inverse, counts = xp.unique(
            a, return_index=True, return_inverse=True, return_counts=True, axis=axis)
        if axis is None:
            inverse = inverse.reshape(a.shape)
        if size is not None:
            values, index, counts = _to_size(values, index, counts, int(size), fill_value, axis)
        return values, index, inverse, counts

    wanted = [True, return_index, return_inverse, return_counts]
    out = []
    for i in range(4):
        if wanted[i]:
            as_index = (lambda a, i=i: parts(a)[i].astype(_INDEX_DTYPE)) if i else (
                lambda a: parts(a)[0])
            out.append(no_gradient(as_index, tensor_arg(x)))
    return out[0] if len(out) == 1 else tuple(out)


def _to_size(values, index, counts, size, fill_value, axis):
    """``unique``'s results cut or padded to ``size`` entries."""
    ax = 0 if axis is None else axis
    have = values.shape[ax]
    if have >= size:
        return xp.take(values, xp.arange(size), axis=ax), index[:size], counts[:size]
    missing = size - have
    pad_shape = list(values.shape)
    pad_shape[ax] = missing
    first = xp.take(values, [0], axis=ax) if have else xp.zeros(
        [1 if d == ax else n for d, n in enumerate(values.shape)], values.dtype)
    fill = first if fill_value is None else xp.asarray(fill_value, dtype=values.dtype)
    values = xp.concatenate([values, xp.broadcast_to(fill, pad_shape)], axis=ax)
    index = xp.concatenate([index, xp.full(missing, index[0] if have else 0)])
    counts = xp.concatenate([counts, xp.zeros(missing, counts.dtype)])
    return values, index, counts


# -- vectorize -------------------------------------------------------------------------------------
def _parse_signature(signature):
    """``"(m,n),(n)->(m)"`` as ([("m", "n"), ("n",)], [("m",)])."""
    import re

    def dims(part):
        return [tuple(d.strip() for d in group.split(",") if d.strip())
                for group in re.findall(r"\(([^()]*)\)", part)]

    if "->" not in signature:
        raise ValueError(f"vectorize: signature must look like '(n),(n)->()'. Received "
                         f"{signature!r}")
    ins, outs = signature.split("->")
    return dims(ins), dims(outs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """``pyfunc`` made to map over the leading (broadcast) axes of its tensor arguments, as
    ``numpy.vectorize``: each call sees scalars, or with ``signature`` (``"(n),(n)->()"``) the
    core axes it names; the results are stacked back. ``excluded`` names the positional
    indices passed through unchanged (keywords always are). Gradients flow through
    ``pyfunc``. It is a Python loop, one call per element of the loop shape: meant for small
    loops."""
    excluded = set(excluded or ())
    core_in = core_out = None
    if signature is not None:
        core_in, core_out = _parse_signature(signature)

    def wrapped(*args, **kwargs):
        mapped = [i for i in range(len(args)) if i not in excluded]
        tensors = [tensor_arg(args[i]) for i in mapped]
        cores = core_in if core_in is not None else [()] * len(tensors)
        if len(cores) != len(tensors):
            raise ValueError(
                f"vectorize: signature {signature!r} names {len(cores)} inputs but the function "
                f"was called with {len(tensors)}")
        loops = []
        for t, core in zip(tensors, cores):
            shape = xp.shape(raw(t))
            if len(shape) < len(core):
                raise ValueError(
                    f"vectorize: an input of shape {shape} has fewer axes than its core "
                    f"dimensions {core} in signature {signature!r}")
            loops.append(shape[:len(shape) - len(core)])
        try:
            loop = xp.broadcast_shapes(*loops)
        except ValueError:
            raise ValueError(
                f"vectorize: the loop shapes {loops} of the inputs do not broadcast") from None
        tensors = [broadcast_to(t, loop + xp.shape(raw(t))[len(xp.shape(raw(t))) - len(c):])
                   for t, c in zip(tensors, cores)]
        results = []
        for position in xp.ndindex(*loop):
            call = list(args)
            for i, t in zip(mapped, tensors):
                call[i] = getitem(t, position) if position else t
            results.append(pyfunc(*call, **kwargs))
        if not loop:
            return results[0]
        if not results:
            raise ValueError(f"vectorize: cannot map over the empty loop shape {loop}")
        many = isinstance(results[0], tuple)
        outs = list(zip(*results)) if many else [results]
        stacked = [reshape(stack([tensor_arg(r) for r in column]),
                           loop + xp.shape(raw(tensor_arg(column[0]))))
                   for column in outs]
        return tuple(stacked) if many else stacked[0]

    wrapped.__name__ = getattr(pyfunc, "__name__", "vectorized")
    wrapped.__doc__ = getattr(pyfunc, "__doc__", None)
    return wrapped


def _axis_groups(side, pattern):
    """``"b (h w) c"`` -> ``[["b"], ["h", "w"], ["c"]]``."""
    groups, current = [], None
    for token in side.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            if current is not None:
                raise ValueError(f"rearrange: nested parentheses in pattern {pattern!r}")
            current = []
        elif token == ")":
            if current is None:
                raise ValueError(f"rearrange: unbalanced ')' in pattern {pattern!r}")
            groups.append(current)
            current = None
        elif token.isidentifier() and current is None:
            groups.append([token])
        elif token.isidentifier():
            current.append(token)
        else:
            raise ValueError(f"rearrange: {token!r} in pattern {pattern!r} is not an axis name "
                             "(ellipses and anonymous axes are not supported, as in Keras)")
    if current is not None:
        raise ValueError(f"rearrange: unbalanced '(' in pattern {pattern!r}")
    return groups


def rearrange(tensor, pattern, **axes_lengths):
    """Reorder, merge and split axes by an einops pattern (``"b h w c -> b (h w) c"``);
    ``axes_lengths`` gives the sizes a split cannot infer (``"(b1 b2) h -> b1 b2 h", b1=2``)."""
    if pattern.count("->") != 1:
        raise ValueError(f"rearrange: the pattern must have one '->'; got {pattern!r}")
    left, right = (_axis_groups(side, pattern) for side in pattern.split("->"))
    names_in = [a for g in left for a in g]
    names_out = [a for g in right for a in g]
    if len(set(names_in)) != len(names_in) or sorted(names_in) != sorted(names_out):
        raise ValueError(f"rearrange: each axis name must appear once on each side of "
                         f"{pattern!r}")
    shape = tuple(raw(tensor).shape) if hasattr(raw(tensor), "shape") else ()
    if len(left) != len(shape):
        raise ValueError(f"rearrange: the pattern {pattern!r} has {len(left)} input axes; the "
                         f"tensor has shape {shape}")
    sizes = {k: int(v) for k, v in axes_lengths.items()}
    for group, n in zip(left, shape):
        unknown = [a for a in group if a not in sizes]
        known = math.prod(sizes[a] for a in group if a in sizes)
        if len(unknown) > 1:
            raise ValueError(f"rearrange: cannot infer the sizes of {unknown} in {pattern!r}; "
                             "give them as keyword arguments")
        if unknown and (known == 0 or n % known):
            raise ValueError(f"rearrange: axis of size {n} cannot be split into {group} with "
                             f"{ {a: sizes[a] for a in group if a in sizes} }")
        if unknown:
            sizes[unknown[0]] = n // known
        elif known != n:
            raise ValueError(f"rearrange: axis {group} has size {n}, not {known}")
    x = reshape(tensor, tuple(sizes[a] for a in names_in))
    x = transpose(x, [names_in.index(a) for a in names_out])
    return reshape(x, tuple(math.prod(sizes[a] for a in g) for g in right))
