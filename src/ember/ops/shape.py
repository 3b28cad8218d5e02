"""Shape ops: reshape, transpose, slicing, concatenation and friends, with gradients."""

import builtins

from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import normalize_axis, raw


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.in_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return (gy.reshape(self.in_shape),)


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
    return Reshape(shape).apply(x)


class Transpose(Function):
    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return xp.transpose(x, self.axes)

    def backward(self, gy):
        if self.axes is None:
            return (xp.transpose(gy),)
        return (xp.transpose(gy, xp.argsort(self.axes)),)


def transpose(x, axes=None):
    """Permute axes (reverse them when ``axes`` is None)."""
    if axes is not None:
        ndim = xp.ndim(raw(x))
        axes = normalize_axis(axes, ndim, "transpose")
        if sorted(axes) != list(range(ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {ndim} axes of the input"
            )
    return Transpose(axes).apply(x)


def expand_dims(x, axis):
    """Insert a length-1 axis at ``axis``."""
    shape = list(xp.shape(raw(x)))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = len(shape) + len(axes)
    for a in sorted(normalize_axis(axes, out_ndim, "expand_dims")):
        shape.insert(a, 1)
    return Reshape(tuple(shape)).apply(x)


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
    return Reshape(new).apply(x)


def ravel(x):
    return reshape(x, (-1,))


class GetItem(Function):
    def __init__(self, key):
        self.key = key

    def forward(self, x):
        self.in_shape, self.in_dtype = x.shape, x.dtype
        return x[self.key]

    def backward(self, gy):
        g = xp.zeros(self.in_shape, dtype=gy.dtype)
        # add.at accumulates repeated indices (fancy indexing may pick an element twice)
        xp.add.at(g, self.key, gy) if _is_fancy(self.key) else g.__setitem__(self.key, gy)
        return (g,)


def _is_fancy(key):
    keys = key if isinstance(key, tuple) else (key,)
    return builtins.any(not isinstance(k, (int, slice, type(None), type(Ellipsis)))
                        for k in keys)


def getitem(x, key):
    """``x[key]`` for ints, slices, None, Ellipsis and integer or boolean arrays."""
    if isinstance(key, Tensor):
        key = key.data
    elif isinstance(key, tuple):
        key = tuple(k.data if isinstance(k, Tensor) else k for k in key)
    try:
        return GetItem(key).apply(x)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (input shape {xp.shape(raw(x))}, index {key!r})") from None


class Concatenate(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        splits = xp.cumsum(self.sizes)[:-1]
        return tuple(xp.split(gy, splits, axis=self.axis))


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
    return Concatenate(ax).apply(*xs)


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
    shape = xp.shape(raw(x))
    (ax,) = normalize_axis(axis, len(shape), "split")
    n = shape[ax]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of length {n} cannot be split into {indices_or_sections} "
                "equal sections"
            )
        step = n // indices_or_sections
        bounds = list(range(0, n + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    index = [slice(None)] * len(shape)
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index[ax] = slice(lo, hi)
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


def broadcast_to(x, shape):
    """Broadcast to ``shape``; the gradient sums back over the broadcast axes."""
    shape = tuple(shape)
    try:
        xp.broadcast_shapes(xp.shape(raw(x)), shape)
    except ValueError:
        raise ValueError(
            f"broadcast_to: cannot broadcast an input of shape {xp.shape(raw(x))} to {shape}"
        ) from None
    return BroadcastTo(shape).apply(x)


def flatten(x, start_axis=1):
    """Collapse every axis from ``start_axis`` on into one (the Keras ``Flatten`` rule)."""
    shape = xp.shape(raw(x))
    rest = 1
    for d in shape[start_axis:]:
        rest *= d
    return Reshape(tuple(shape[:start_axis]) + (rest,)).apply(x)
