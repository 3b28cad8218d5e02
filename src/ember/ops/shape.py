"""Shape ops: reshape, transpose, slicing, concatenation and friends, with gradients."""

import builtins

from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import normalize_axis, raw, tensor_arg


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return (gy.reshape(self.in_shape),)

    def backward_ops(self, gy, x):
        return (Reshape(self.in_shape).apply(gy),)


def reshape(x, newshape):
    """``x`` with a new shape of the same size (one dimension may be -1)."""
    data = raw(x)
    shape = (newshape,) if isinstance(newshape, int) else tuple(int(d) for d in newshape)
    size = xp.size(data)
    known = 1
    for d in shape:
        if d != -1:
            known *= d
    unknown = builtins.sum(1 for d in shape if d == -1)
    if unknown > 1 or (unknown == 0 and known != size) or (
            unknown == 1 and (known == 0 or size % known)):
        raise ValueError(
            f"reshape: cannot reshape an input of shape {xp.shape(data)} ({size} elements) "
            f"into shape {shape}"
        )
    return Reshape(shape).apply(tensor_arg(x))


class Transpose(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return xp.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return (xp.transpose(gy),)
        return (xp.transpose(gy, xp.argsort(self.axes)),)

    def backward_ops(self, gy, x):
        return (Transpose(None if self.axes is None else xp.argsort(self.axes)).apply(gy),)


def transpose(x, axes=None):
    """Permute axes (reverse them when ``axes`` is None)."""
    if axes is not None:
        ndim = xp.ndim(raw(x))
        axes = normalize_axis(axes, ndim, "transpose")
        if sorted(axes) != list(range(ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {ndim} axes of the input"
            )
    return Transpose(axes).apply(tensor_arg(x))


def expand_dims(x, axis):
    """Insert a length-1 axis at ``axis``."""
    shape = list(xp.shape(raw(x)))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = len(shape) + len(axes)
    for a in sorted(normalize_axis(axes, out_ndim, "expand_dims")):
        shape.insert(a, 1)
    return Reshape(tuple(shape)).apply(tensor_arg(x))


def squeeze(x, axis=None):
    """Remove length-1 axes (only ``axis`` when given)."""
    shape = xp.shape(raw(x))
    if axis is None:
        new = tuple(d for d in shape if d != 1)
    else:
        axes = normalize_axis(axis, len(shape), "squeeze")
        for a in axes:
            if shape[a] != 1:
                raise ValueError(
                    f"squeeze: axis {a} has length {shape[a]}, not 1 (input shape {shape})"
                )
        new = tuple(d for i, d in enumerate(shape) if i not in axes)
    return Reshape(new).apply(tensor_arg(x))


def ravel(x):
    return reshape(x, (-1,))


class GetItem(Function):
    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, gy):
        return (_GetItemGrad(self.key, self.in_shape).forward(gy),)

    def backward_ops(self, gy, x):
        return (_GetItemGrad(self.key, self.in_shape).apply(gy),)


class _GetItemGrad(Function):
    """GetItem's gradient (zeros with ``gy`` placed at ``key``) as an op of its own, so that
    it can be differentiated again: its gradient is ``ggx[key]``."""

    def __init__(self, key, shape):
        self.key, self.shape = key, shape

    def forward(self, gy):
        g = xp.zeros(self.shape, dtype=gy.dtype)
        # add.at accumulates repeated indices (fancy indexing may pick an element twice)
        xp.add.at(g, self.key, gy) if _is_fancy(self.key) else g.__setitem__(self.key, gy)
        return g

    def backward(self, ggx):
        return (ggx[self.key],)

    def backward_ops(self, ggx, gy):
        return (getitem(ggx, self.key),)


def _is_fancy(key):
    keys = key if isinstance(key, tuple) else (key,)
    return builtins.any(not isinstance(k, (int, builtins.slice, type(None), type(Ellipsis)))
                        for k in keys)


def getitem(x, key):
    """``x[key]`` for ints, slices, None, Ellipsis and integer or boolean arrays."""
    if isinstance(key, Tensor):
        key = key.data
    elif isinstance(key, tuple):
        key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
    try:
        return GetItem(key).apply(tensor_arg(x))
    except IndexError as e:
        raise IndexError(f"getitem: {e} (input shape {xp.shape(raw(x))}, index {key!r})") from None


# -- dtype promotion ------------------------------------------------------------------------------
def result_dtype(*values):
    """The dtype Keras gives an op that combines ``values`` (``concatenate``, ``append``,
    ``select`` ...): JAX's promotion, where an integer or bool next to a float takes the float
    type (int32 with float32 is float32, not NumPy's float64). Python scalars are weak: they
    only turn an integer result into floatx (a float) or a bool one into int32 (an int)."""
    from ember import config

    weak = [type(v) for v in values if type(v) in (bool, int, float)]
    strong = [tensor_arg(v).dtype for v in values if type(v) not in (bool, int, float)]
    if not strong:  # only Python scalars: as convert_to_tensor types them
        strong, weak = [tensor_arg(v).dtype for v in values], []
    inexact = [d for d in strong if d.kind in "fc"]
    if inexact:
        return xp.result_type(*inexact)
    dtype = xp.result_type(*strong)
    if float in weak:
        return xp.dtype(config.floatx())
    if int in weak and dtype.kind == "b":
        return xp.dtype("int32")
    return dtype


def _promoted(xs):
    """Tensors/arrays ``xs`` cast (differentiably) to their common dtype when they differ."""
    from ember.ops.elementwise import cast

    if len({x.dtype for x in xs}) < 2:
        return xs
    dtype = result_dtype(*xs)
    return [cast(x, dtype) for x in xs]


class Concatenate(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        splits = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(gy, splits, axis=self.axis))

    def backward_ops(self, gy, *xs):
        return tuple(split(gy, [int(i) for i in xp.cumsum(self.sizes)[:-1]], axis=self.axis))


def concatenate(xs, axis=0):
    """Join tensors along an existing axis."""
    xs = list(xs)
    if not xs:
        raise ValueError("concatenate: needs at least one input")
    shapes = [xp.shape(raw(x)) for x in xs]
    ndim = len(shapes[0])
    (ax,) = normalize_axis(axis, ndim, "concatenate")
    for s in shapes[1:]:
        if len(s) != ndim or builtins.any(
                a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != ax):
            raise ValueError(
                f"concatenate: all input shapes must match except on axis {axis}. "
                f"Received shapes {shapes}"
            )
    return Concatenate(ax).apply(*_promoted([tensor_arg(x) for x in xs]))


def stack(xs, axis=0):
    """Join tensors along a new axis."""
    xs = list(xs)
    if not xs:
        raise ValueError("stack: needs at least one input")
    shapes = {xp.shape(raw(x)) for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"stack: all inputs must have the same shape. Received {sorted(shapes)}")
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into a list of tensors (equal sections, or at the given indices)."""
    return split_along(x, indices_or_sections, axis, "split")


def split_along(x, indices_or_sections, axis, op):
    """``split``, with errors naming ``op`` (``hsplit``, ``array_split`` ...)."""
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), op)
    n = shape[ax]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(
                f"{op}: axis {axis} of length {n} cannot be split into {indices_or_sections} "
                "equal sections"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    index = [builtins.slice(None)] * len(shape)
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index[ax] = builtins.slice(lo, hi)
        out.append(getitem(x, tuple(index)))
    return out


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        from ember.ops._helpers import unbroadcast

        return (unbroadcast(gy, self.in_shape),)

    def backward_ops(self, gy, x):
        from ember.ops._higher import sum_to

        return (sum_to(gy, self.in_shape),)


def broadcast_to(x, shape):
    """Broadcast to ``shape``; the gradient sums back over the broadcast axes."""
    shape = tuple(shape)
    try:
        xp.broadcast_shapes(xp.shape(raw(x)), shape)
    except ValueError:
        raise ValueError(
            f"broadcast_to: cannot broadcast an input of shape {xp.shape(raw(x))} to {shape}"
        ) from None
    return BroadcastTo(shape).apply(tensor_arg(x))


def flatten(x, start_axis=1):
    """Collapse every axis from ``start_axis`` on into one (the Keras ``Flatten`` rule)."""
    shape = xp.shape(raw(x))
    rest = 1
    for d in shape[start_axis:]:
        rest *= d
    return Reshape(tuple(shape[:start_axis]) + (rest,)).apply(tensor_arg(x))


def swapaxes(x, axis1, axis2):
    """Exchange two axes."""
    ndim = xp.ndim(raw(x))
    a, b = normalize_axis((axis1, axis2), ndim, "swapaxes")
    perm = list(range(ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return Transpose(tuple(perm)).apply(tensor_arg(x))


def moveaxis(x, source, destination):
    """Move axes to new positions (the others keep their order)."""
    ndim = xp.ndim(raw(x))
    src = normalize_axis(source, ndim, "moveaxis")
    dst = normalize_axis(destination, ndim, "moveaxis")
    if len(src) != len(dst):
        raise ValueError(
            f"moveaxis: source {source} and destination {destination} differ in length")
    order = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return Transpose(tuple(order)).apply(tensor_arg(x))


def unstack(x, num=None, axis=0):
    """Split along ``axis`` into a list of tensors without that axis."""
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), "unstack")
    if num is not None and num != shape[ax]:
        raise ValueError(f"unstack: num={num} but axis {axis} of shape {shape} has {shape[ax]}")
    index = [builtins.slice(None)] * len(shape)
    out = []
    for i in range(shape[ax]):
        index[ax] = i
        out.append(getitem(x, tuple(index)))
    return out


# -- gathering ------------------------------------------------------------------------------------
class Take(Function):
    """``take(x, indices, axis)``; the gradient accumulates repeated indices."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.in_shape = x.shape
        return xp.take(x, self.indices, axis=self.axis)

    def backward(self, gy):
        g = xp.zeros(self.in_shape, dtype=gy.dtype)
        ax, idx = self.axis, self.indices
        if ax == 0 and idx.ndim == 1 and len(self.in_shape) == 2 and idx.size > 64:
            _rows_add(g, idx, gy)
        else:
            xp.add.at(g, (builtins.slice(None),) * ax + (idx,), gy)
        return (g,)


def _rows_add(g, idx, gy):
    """``g[idx] += gy`` with repeated rows accumulated, through a sort and one reduceat."""
    idx = idx % g.shape[0]
    order = xp.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = xp.flatnonzero(xp.concatenate(([True], sidx[1:] != sidx[:-1])))
    g[sidx[starts]] = xp.add.reduceat(gy[order], starts, axis=0)


def _index_array(indices, op):
    if trace.tracing[0] and isinstance(indices, Tensor):
        # the op keeps the indices as a constant: a tf.function trace must not replay them
        trace.read(indices, f"the indices of {op}")
    idx = xp.asarray(raw(indices))
    if idx.dtype.kind == "f":
        if idx.size and not xp.all(idx == xp.floor(idx)):
            raise TypeError(f"{op}: indices must be integers. Received dtype {idx.dtype}")
        idx = idx.astype("int64")
    elif idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers. Received dtype {idx.dtype}")
    return idx


def take(x, indices, axis=None):
    """Gather ``x``'s slices at ``indices`` along ``axis`` (of the flattened ``x`` when None).

    Negative indices count from the end; the output shape is ``x.shape[:axis] +
    indices.shape + x.shape[axis + 1:]``.
    """
    idx = _index_array(indices, "take")
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), "take")
    n = shape[ax]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"take: indices must be in [{-n}, {n}) for axis {axis} of an input of shape {shape}."
            f" Received indices with min {idx.min()} and max {idx.max()} "
            f"(indices shape {idx.shape})")
    return Take(idx, ax).apply(tensor_arg(x))


class TakeAlongAxis(Function):
    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, x):
        self.in_shape = x.shape
        return xp.take_along_axis(x, self.indices, axis=self.axis)

    def backward(self, gy):
        g = xp.zeros(self.in_shape, dtype=gy.dtype)
        index = []
        for d, n in enumerate(gy.shape):
            if d == self.axis:
                index.append(xp.broadcast_to(self.indices, gy.shape))
                continue
            shape = [1] * gy.ndim
            shape[d] = n
            grid = xp.arange(n) if self.in_shape[d] == n else xp.zeros(n, dtype=int)
            index.append(grid.reshape(shape))
        xp.add.at(g, tuple(index), gy)
        return (g,)


def take_along_axis(x, indices, axis=None):
    """Pick values along ``axis`` at ``indices`` (which has ``x``'s rank), as NumPy."""
    idx = _index_array(indices, "take_along_axis")
    if axis is None:
        x = reshape(x, (-1,))
        idx = idx.reshape(-1)
        axis = 0
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), "take_along_axis")
    if idx.ndim != len(shape):
        raise ValueError(
            f"take_along_axis: indices of shape {idx.shape} must have the rank of the input "
            f"(shape {shape})")
    n = shape[ax]
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(
            f"take_along_axis: indices out of range for axis {axis} of an input of shape {shape}")
    return TakeAlongAxis(idx, ax).apply(tensor_arg(x))


# -- slicing helpers ----------------------------------------------------------------------------
def slice(inputs, start_indices, shape):  # noqa: A001 - the Keras name
    """The block of ``inputs`` starting at ``start_indices`` with size ``shape`` (-1: to the
    end), as ``keras.ops.slice``."""
    in_shape = xp.shape(raw(inputs))
    start = [int(s) for s in raw(start_indices)]
    sizes = [int(s) for s in raw(shape)]
    if len(start) != len(in_shape) or len(sizes) != len(in_shape):
        raise ValueError(
            f"slice: start_indices {start} and shape {sizes} must have one entry per axis of "
            f"the input (shape {in_shape})")
    key = []
    for s, n, d in zip(start, sizes, in_shape):
        stop = d if n == -1 else s + n
        if s < 0 or stop > d or stop < s:
            raise ValueError(
                f"slice: the block starting at {start} with shape {sizes} does not fit in an "
                f"input of shape {in_shape}")
        key.append(builtins.slice(s, stop))
    return getitem(inputs, tuple(key))


class SliceUpdate(Function):
    def __init__(self, key):
        self.key = key

    def forward(self, x, u):
        y = x.copy()
        y[self.key] = u
        return y

    def backward(self, gy):
        gx = gu = None
        if self.needs[0]:
            gx = gy.copy()
            gx[self.key] = 0
        if self.needs[1]:
            gu = gy[self.key]
        return gx, gu


def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block at ``start_indices`` replaced by ``updates``."""
    from ember.ops._helpers import binary_operands

    inputs, updates = binary_operands(inputs, updates, "slice_update")
    in_shape, up_shape = xp.shape(raw(inputs)), xp.shape(raw(updates))
    start = [int(s) for s in raw(start_indices)]
    if len(start) != len(in_shape) or len(up_shape) != len(in_shape) or builtins.any(
            s < 0 or s + u > d for s, u, d in zip(start, up_shape, in_shape)):
        raise ValueError(
            f"slice_update: updates of shape {up_shape} at {start} do not fit in an input of "
            f"shape {in_shape}")
    key = tuple(builtins.slice(s, s + u) for s, u in zip(start, up_shape))
    return SliceUpdate(key).apply(inputs, updates)


class Flip(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return xp.flip(x, self.axes)

    def backward(self, gy):
        return (xp.flip(gy, self.axes),)

    def backward_ops(self, gy, x):
        return (Flip(self.axes).apply(gy),)


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    axes = normalize_axis(axis, xp.ndim(raw(x)), "flip")
    return Flip(axes).apply(tensor_arg(x))


class Roll(Function):
    def __init__(self, shift, axis):
        self.shift, self.axis = shift, axis

    def forward(self, x):
        return xp.roll(x, self.shift, self.axis)

    def backward(self, gy):
        neg = tuple(-s for s in self.shift) if isinstance(self.shift, tuple) else -self.shift
        return (xp.roll(gy, neg, self.axis),)


def roll(x, shift, axis=None):
    """Shift elements cyclically along ``axis`` (of the flattened input when None)."""
    if axis is not None:
        axis = normalize_axis(axis, xp.ndim(raw(x)), "roll")
        if not isinstance(shift, int):
            shift = tuple(int(s) for s in shift)
    return Roll(shift, axis).apply(tensor_arg(x))


# -- padding, tiling, repeating -------------------------------------------------------------------
class Pad(Function):
    """Constant padding; the gradient is the interior slice."""

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        out_shape = tuple(d + a + b for d, (a, b) in zip(x.shape, self.widths))
        self.key = tuple(builtins.slice(a, a + d) for d, (a, _) in zip(x.shape, self.widths))
        y = xp.full(out_shape, self.value, dtype=x.dtype)
        y[self.key] = x
        return y

    def backward(self, gy):
        return (gy[self.key],)

    def backward_ops(self, gy, x):
        return (getitem(gy, self.key),)


def _pad_widths(pad_width, ndim):
    pw = xp.asarray(raw(pad_width), dtype="int64")
    if pw.ndim == 0:
        pw = xp.broadcast_to(pw, (ndim, 2))
    elif pw.shape == (2,):
        pw = xp.broadcast_to(pw, (ndim, 2))
    elif pw.shape == (1, 2):
        pw = xp.broadcast_to(pw, (ndim, 2))
    if pw.shape != (ndim, 2):
        raise ValueError(
            f"pad: pad_width must have one (before, after) pair per axis of the input (rank "
            f"{ndim}). Received pad_width of shape {pw.shape}")
    if (pw < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative. Received {pw.tolist()}")
    return tuple((int(a), int(b)) for a, b in pw)


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pad ``x``; ``pad_width`` holds a ``(before, after)`` pair per axis.

    Modes: ``"constant"`` (``constant_values``, default 0) and ``"reflect"``, ``"symmetric"``,
    ``"edge"``, ``"wrap"`` (each a gather along every axis, so its gradient is exact).
    """
    data = raw(x)
    ndim = xp.ndim(data)
    widths = _pad_widths(pad_width, ndim)
    if mode == "constant":
        value = 0 if constant_values is None else raw(constant_values)
        return Pad(widths, value).apply(tensor_arg(x))
    if constant_values is not None:
        raise ValueError(f"pad: constant_values is only valid for mode='constant' (mode={mode!r})")
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(
            "pad: mode must be one of 'constant', 'reflect', 'symmetric', 'edge', 'wrap'. "
            f"Received: mode={mode!r}")
    shape = xp.shape(data)
    for d, (a, b) in enumerate(widths):
        if a or b:
            if shape[d] == 0:
                raise ValueError(
                    f"pad: mode {mode!r} cannot pad the empty axis {d} (input shape {shape})")
            index = xp.pad(xp.arange(shape[d]), (a, b), mode=mode)
            x = Take(index, d).apply(tensor_arg(x))
    return x if isinstance(x, Tensor) else Tensor(x)


class Tile(Function):
    def __init__(self, reps):
        self.reps = reps

    def forward(self, x):
        self.in_shape = x.shape
        return xp.tile(x, self.reps)

    def backward(self, gy):
        shape = (1,) * (len(self.reps) - len(self.in_shape)) + self.in_shape
        split = []
        for r, d in zip(self.reps, shape):
            split += [r, d]
        g = gy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (g.reshape(self.in_shape),)


def tile(x, repeats):
    """Repeat the whole of ``x`` ``repeats[i]`` times along axis ``i``."""
    ndim = xp.ndim(raw(x))
    reps = (int(repeats),) if isinstance(repeats, int) else tuple(int(r) for r in raw(repeats))
    if builtins.any(r < 0 for r in reps):
        raise ValueError(f"tile: repeats must be non-negative. Received {reps}")
    reps = (1,) * (ndim - len(reps)) + reps
    return Tile(reps).apply(tensor_arg(x))


class Repeat(Function):
    """Each element repeated ``r`` times along ``axis`` (an int ``r``)."""

    def __init__(self, r, axis):
        self.r, self.axis = r, axis

    def forward(self, x):
        self.in_shape = x.shape
        return xp.repeat(x, self.r, axis=self.axis)

    def backward(self, gy):
        ax = self.axis
        shape = self.in_shape[:ax] + (self.in_shape[ax], self.r) + self.in_shape[ax + 1:]
        return (gy.reshape(shape).sum(axis=ax + 1),)


def repeat(x, repeats, axis=None):
    """Repeat each element ``repeats`` times (an int, or one count per element of ``axis``);
    the flattened input when ``axis`` is None."""
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), "repeat")
    reps = raw(repeats)
    if isinstance(reps, int) or xp.ndim(reps) == 0 or xp.size(reps) == 1:
        r = int(xp.asarray(reps).reshape(()))
        if r < 0:
            raise ValueError(f"repeat: repeats must be non-negative. Received {r}")
        return Repeat(r, ax).apply(tensor_arg(x))
    reps = xp.asarray(reps, dtype="int64")
    if reps.shape != (shape[ax],) or (reps < 0).any():
        raise ValueError(
            f"repeat: repeats of shape {reps.shape} must hold one non-negative count per element "
            f"of axis {axis} (input shape {shape})")
    return Take(xp.repeat(xp.arange(shape[ax]), reps), ax).apply(tensor_arg(x))


# -- triangles and sorting -----------------------------------------------------------------------
def _tri_mask(x, k, lower):
    shape = xp.shape(raw(x))
    if len(shape) < 2:
        raise ValueError(f"{'tril' if lower else 'triu'}: input must have rank >= 2, got {shape}")
    n, m = shape[-2:]
    mask = xp.tri(n, m, k, dtype=bool)
    return mask if lower else ~xp.tri(n, m, k - 1, dtype=bool)


def tril(x, k=0):
    """The lower triangle (on and below diagonal ``k``) of the last two axes."""
    from ember.ops.elementwise import where

    return where(_tri_mask(x, k, True), x, 0)


def triu(x, k=0):
    """The upper triangle (on and above diagonal ``k``) of the last two axes."""
    from ember.ops.elementwise import where

    return where(_tri_mask(x, k, False), x, 0)


class Sort(Function):
    """Sorting as one op, so that a ``tf.function`` replay sorts its new inputs (an order
    computed outside the op would be frozen into the trace)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        order = xp.argsort(x, axis=self.axis, kind="stable")
        if self.recording:
            self.order, self.in_shape = order, x.shape
        return xp.take_along_axis(x, order, axis=self.axis)

    def backward(self, gy):
        g = xp.empty(self.in_shape, dtype=gy.dtype)
        xp.put_along_axis(g, self.order, gy, axis=self.axis)  # a permutation: no overlaps
        return (g,)


def sort(x, axis=-1):
    """Values sorted along ``axis``; the gradient flows back to each value's position."""
    x = tensor_arg(x)
    (ax,) = normalize_axis(axis, max(x.ndim, 1), "sort")
    if x.ndim == 0:
        raise ValueError("sort: the input must have at least one dimension (got a 0-d tensor)")
    return Sort(ax).apply(x)


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (no gradient)."""
    if trace.tracing[0]:  # recorded, so that a tf.function replay recomputes it
        return trace.nograd(lambda a: xp.argsort(a, axis=axis, kind="stable"), tensor_arg(x))
    return Tensor(xp.argsort(raw(x), axis=axis, kind="stable"))
