"""TensorFlow's top-level ops (``tf.constant``, ``tf.reshape``, ``tf.reduce_sum`` ...) with TF's
argument names and dtype rules, on ember's ops (so gradients flow through ember's tape).

TensorFlow's dtype rules, unlike Keras's: binary ops do not promote (an int32 tensor and a
float32 tensor are an ``InvalidArgumentError``; a Python float next to an int tensor a
``TypeError``); float-only ops (``exp``, ``sqrt`` ...) refuse integer input; integer reductions
keep their dtype (``reduce_mean`` of ints divides as C does). ``name=`` is accepted and ignored
everywhere.
"""

import builtins
import functools
import sys

from ember import config, ops
from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor, convert_to_tensor
from ember.autodiff.trace import effect
from ember.backend import xp
from ember.ops._helpers import no_gradient, normalize_axis, raw, tensor_arg
from ember.tf.errors import InvalidArgumentError
from ember.tf.tensor_shape import TensorShape

newaxis = None


# -- conversion and dtype rules ------------------------------------------------------------------
def _dtype(dtype):
    return None if dtype is None else xp.dtype(dtype)


def _is_python(value):
    return isinstance(value, (builtins.bool, int, float, list, tuple))


def _to_tensor(value, dtype=None, op="convert_to_tensor"):
    """``value`` as a Tensor, converting Python data to ``dtype`` as TensorFlow does: refusing a
    lossy conversion (``1.5`` to an int dtype) with TensorFlow's TypeError."""
    if isinstance(value, Tensor):
        return value
    if dtype is not None and _is_python(value):
        target = xp.dtype(dtype)
        array = xp.asarray(value)
        if array.dtype == object:
            raise TypeError(f"{op}: cannot convert {value!r} to a tensor")
        if target.kind in "iub" and array.dtype.kind == "f" or (
                target.kind == "b" and array.dtype.kind != "b"):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype "
                            f"{_dtype_name(target)}")
        return Tensor(array.astype(target))
    t = tensor_arg(value) if not isinstance(value, xp.ndarray) else Tensor(value)
    if t.data.dtype.kind in "US":  # text: a string tensor holds UTF-8 bytes, as TensorFlow's
        from ember.tf.strings import as_bytes_array

        t = Tensor(as_bytes_array(t.data))
    return t


def _dtype_name(dtype):
    return "string" if xp.dtype(dtype).kind == "O" else xp.dtype(dtype).name


def _same_dtype(x, y, op):
    """Both operands as Tensors of one dtype, by TensorFlow's rules (no promotion)."""
    if isinstance(x, (Tensor, xp.ndarray)) or not isinstance(y, (Tensor, xp.ndarray)):
        x = _to_tensor(x, op=op)
        y = _to_tensor(y, x.dtype, op)
    else:
        y = _to_tensor(y, op=op)
        x = _to_tensor(x, y.dtype, op)
    if x.dtype != y.dtype:
        raise InvalidArgumentError(
            f"{op}: cannot compute {op} as input #1(zero-based) was expected to be a "
            f"{_dtype_name(x.dtype)} tensor but is a {_dtype_name(y.dtype)} tensor")
    return x, y


def _floats_only(x, op):
    x = _to_tensor(x, op=op)
    if x.dtype.kind not in "fc":
        raise InvalidArgumentError(
            f"{op}: Value for attr 'T' of {_dtype_name(x.dtype)} is not in the list of allowed "
            "values: bfloat16, half, float, double, complex64, complex128")
    return x


def _tf_errors(fn):
    """Re-raise ember's ValueError/IndexError from the op as TensorFlow's InvalidArgumentError
    (still a ValueError), as TensorFlow reports runtime shape and index errors."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InvalidArgumentError:
            raise
        except (ValueError, IndexError) as exc:
            raise InvalidArgumentError(str(exc)) from None

    return op


def _axis(axis):
    """An axis argument as ints (it may be a Tensor or a list)."""
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        axis = axis.data.tolist()
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def _int_list(value):
    if isinstance(value, Tensor):
        value = value.data
    return [int(v) for v in xp.asarray(value).reshape(-1)]


# -- creation ------------------------------------------------------------------------------------
def constant(value, dtype=None, shape=None, name=None):
    """A tensor holding ``value`` (``tf.constant``): Python ints become int32 and floats
    float32; a scalar ``value`` fills ``shape``, an array of ``shape``'s size is reshaped."""
    t = _to_tensor(value, dtype, "constant")
    if dtype is not None and t.dtype != dtype:
        t = Tensor(t.data.astype(_dtype(dtype)))
    elif isinstance(value, Tensor):
        t = Tensor(t.data)
    if shape is not None:
        shape = tuple(_int_list(shape))
        size = int(xp.prod(shape)) if shape else 1
        if t.data.size == 1:
            return Tensor(xp.full(shape, t.data.reshape(()), dtype=t.dtype))
        if t.data.size != size:
            raise TypeError(
                f"Eager execution of tf.constant with unsupported shape. Tensor {t.data} "
                f"has {t.data.size} elements, but got `shape` {shape} with {size} elements).")
        return Tensor(t.data.reshape(shape))
    return t


def cast(x, dtype, name=None):
    """``x`` converted to ``dtype``; float to int truncates toward zero, nonzero is True."""
    return ops.cast(_to_tensor(x), _dtype(dtype))


def saturate_cast(value, dtype, name=None):
    """``value`` clipped to ``dtype``'s range, then cast (no wrap-around)."""
    return ops.saturate_cast(_to_tensor(value), dtype)


def zeros(shape, dtype="float32", name=None, layout=None):
    return Tensor(xp.zeros(tuple(_int_list(shape)), dtype=_dtype(dtype)))


def ones(shape, dtype="float32", name=None, layout=None):
    return Tensor(xp.ones(tuple(_int_list(shape)), dtype=_dtype(dtype)))


def zeros_like(input, dtype=None, name=None, layout=None):  # noqa: A002 - TF's name
    return Tensor(xp.zeros_like(_to_tensor(input).data, dtype=_dtype(dtype)))


def ones_like(input, dtype=None, name=None, layout=None):  # noqa: A002
    return Tensor(xp.ones_like(_to_tensor(input).data, dtype=_dtype(dtype)))


def fill(dims, value, name=None, layout=None):
    """A tensor of shape ``dims`` filled with ``value`` (its dtype is ``value``'s)."""
    v = _to_tensor(value)
    shape = tuple(_int_list(dims))
    return no_gradient(lambda a: xp.full(shape, a, dtype=a.dtype), v)


def eye(num_rows, num_columns=None, batch_shape=None, dtype="float32", name=None):
    """An identity matrix (a batch of them with ``batch_shape``)."""
    m = xp.eye(num_rows, num_columns, dtype=_dtype(dtype))
    if batch_shape is not None:
        m = xp.broadcast_to(m, tuple(_int_list(batch_shape)) + m.shape).copy()
    return Tensor(m)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 - TF's name
    """``[start, limit)`` in steps of ``delta``: int32 for ints, float32 if any is a float."""
    if limit is None:
        start, limit = 0, start
    values = [raw(v) for v in (start, limit, delta)]
    if xp.asarray(values[2]) == 0:
        raise InvalidArgumentError(f"range: Requires delta != 0: {values[2]}")
    if dtype is None:
        kinds = {xp.asarray(v).dtype.kind for v in values}
        typed = [v.dtype for v in values if hasattr(v, "dtype")]
        if typed:
            dtype = max(typed, key=lambda d: (d.kind == "f", d.itemsize))
        else:
            dtype = "float32" if "f" in kinds else "int32"
    return Tensor(xp.arange(*values).astype(_dtype(dtype)))


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (float64 for Python
    ints, as TensorFlow)."""
    dtype = xp.result_type(*[_to_tensor(v).dtype for v in (start, stop)])
    if dtype.kind != "f":
        dtype = xp.dtype("float64")
    return Tensor(xp.linspace(raw(_to_tensor(start)), raw(_to_tensor(stop)), int(raw(num)),
                              axis=axis).astype(dtype))


def identity(input, name=None):  # noqa: A002
    """A new tensor with the value of ``input`` (the gradient passes through)."""
    x = _to_tensor(input)
    return ops.reshape(x, x.shape)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """``indices`` one-hot encoded along a new axis of length ``depth``; an out-of-range index
    gives a row of ``off_value``. The dtype is ``dtype``, else ``on_value``'s, else float32."""
    idx = xp.asarray(raw(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot: indices must be integers. Received dtype {idx.dtype}")
    if dtype is None:
        given = [v for v in (on_value, off_value) if v is not None]
        dtype = _to_tensor(given[0]).dtype if given else xp.dtype("float32")
    on = 1 if on_value is None else raw(on_value)
    off = 0 if off_value is None else raw(off_value)
    n, out_dtype = int(raw(depth)), _dtype(dtype)
    if axis not in (None, -1) and not -idx.ndim - 1 <= axis <= idx.ndim:
        raise ValueError(f"one_hot: axis {axis} is out of range for indices of rank {idx.ndim}")

    def encode(i):  # an index outside [0, depth) matches no column: a row of off_value
        hot = i[..., None] == xp.arange(n)
        if axis not in (None, -1):
            hot = xp.moveaxis(hot, -1, axis)
        return xp.where(hot, on, off).astype(out_dtype)

    return no_gradient(encode, indices if isinstance(indices, Tensor) else idx)


# -- shape ---------------------------------------------------------------------------------------
def shape(input, out_type="int32", name=None):  # noqa: A002
    """The shape of ``input`` as a 1-D tensor (int32 by default)."""
    return Tensor(xp.asarray(xp.shape(raw(_to_tensor(input))), dtype=_dtype(out_type)))


def shape_n(input, out_type="int32", name=None):  # noqa: A002
    return [shape(x, out_type) for x in input]


def size(input, out_type="int32", name=None):  # noqa: A002
    """The number of elements of ``input`` as a 0-d tensor."""
    return Tensor(xp.asarray(xp.size(raw(_to_tensor(input))), dtype=_dtype(out_type)))


def rank(input, name=None):  # noqa: A002
    """The number of dimensions of ``input`` as a 0-d int32 tensor."""
    return Tensor(xp.asarray(xp.ndim(raw(_to_tensor(input))), dtype="int32"))


@_tf_errors
def reshape(tensor, shape, name=None):
    """``tensor`` with a new shape of the same size (one dimension may be -1)."""
    x = _to_tensor(tensor)
    new = tuple(_int_list(shape))
    known = int(xp.prod([d for d in new if d != -1])) if new else 1
    if -1 not in new and known != x.data.size:
        raise InvalidArgumentError(
            f"reshape: Input to reshape is a tensor with {x.data.size} values, but the "
            f"requested shape has {known}")
    return ops.reshape(x, new)


@_tf_errors
def transpose(a, perm=None, conjugate=False, name="transpose"):
    """``a`` with its axes permuted by ``perm`` (reversed when None)."""
    return ops.transpose(_to_tensor(a), None if perm is None else _axis(perm))


@_tf_errors
def expand_dims(input, axis, name=None):  # noqa: A002
    return ops.expand_dims(_to_tensor(input), _axis(axis))


@_tf_errors
def squeeze(input, axis=None, name=None):  # noqa: A002
    x = _to_tensor(input)
    axis = _axis(axis)
    if axis is not None:
        for a in (axis,) if isinstance(axis, int) else axis:
            (i,) = normalize_axis(a, x.ndim, "squeeze")
            if x.shape[i] != 1:
                raise InvalidArgumentError(
                    f"squeeze: Can not squeeze dim[{a}], expected a dimension of 1, got "
                    f"{x.shape[i]}")
    return ops.squeeze(x, axis)


@_tf_errors
def concat(values, axis, name="concat"):
    """Join tensors along an existing axis."""
    return ops.concatenate([_to_tensor(v) for v in values], axis=_axis(axis))


@_tf_errors
def stack(values, axis=0, name="stack"):
    """Join tensors of one shape along a new axis."""
    return ops.stack([_to_tensor(v) for v in values], axis=_axis(axis))


def parallel_stack(values, name="parallel_stack"):
    return stack(values, 0)


@_tf_errors
def unstack(value, num=None, axis=0, name="unstack"):
    return ops.unstack(_to_tensor(value), num=num, axis=_axis(axis))


@_tf_errors
def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """Split into ``num_or_size_splits`` equal parts (an int), or parts of the given sizes
    along ``axis`` (one size may be -1: the rest)."""
    x = _to_tensor(value)
    (ax,) = normalize_axis(_axis(axis), x.ndim, "split")
    n = x.shape[ax]
    if isinstance(num_or_size_splits, (int, xp.integer)) or (
            xp.ndim(raw(num_or_size_splits)) == 0):
        k = int(raw(num_or_size_splits))
        if k <= 0 or n % k:
            raise InvalidArgumentError(
                f"split: Number of ways to split should evenly divide the split dimension, but "
                f"got split_dim {ax} (size = {n}) and num_split {k}")
        return ops.split(x, k, axis=ax)
    sizes = _int_list(num_or_size_splits)
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = n - (builtins.sum(sizes) + 1)
    if builtins.sum(sizes) != n or builtins.any(s < 0 for s in sizes):
        raise InvalidArgumentError(
            f"split: Determined shape must either match input shape along split_dim exactly "
            f"if fully specified, or be less than the size of the input along split_dim if not "
            f"fully specified. Got: {n} along axis {ax} and sizes {_int_list(num_or_size_splits)}")
    return ops.split(x, list(xp.cumsum(sizes)[:-1]), axis=ax)


@_tf_errors
def tile(input, multiples, name=None):  # noqa: A002
    """``input`` repeated ``multiples[i]`` times along axis ``i`` (one multiple per axis)."""
    x = _to_tensor(input)
    reps = _int_list(multiples)
    if len(reps) != x.ndim:
        raise InvalidArgumentError(
            f"tile: Expected multiples argument to be a vector of length {x.ndim} but got "
            f"length {len(reps)}")
    return ops.tile(x, reps)


@_tf_errors
def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    """Pad ``tensor``: ``paddings`` holds a ``[before, after]`` pair per axis; ``mode`` is
    ``"CONSTANT"``, ``"REFLECT"`` or ``"SYMMETRIC"`` (any case)."""
    x = _to_tensor(tensor)
    widths = xp.asarray(raw(paddings)).tolist()
    if xp.shape(widths) != (x.ndim, 2):
        raise InvalidArgumentError(
            f"pad: The first dimension of paddings must be the rank of inputs "
            f"{[x.ndim, 2]}, got {list(xp.shape(widths))}")
    kind = str(mode).lower()
    if kind == "constant":
        return ops.pad(x, widths, constant_values=raw(constant_values))
    if kind not in ("reflect", "symmetric"):
        raise ValueError(f"pad: Value of argument `mode` expected to be one of \"CONSTANT\", "
                         f"\"REFLECT\", or \"SYMMETRIC\". Received `mode` = {mode}")
    return ops.pad(x, widths, mode=kind)


@_tf_errors
def reverse(tensor, axis, name=None):
    return ops.flip(_to_tensor(tensor), _axis(axis))


@_tf_errors
def roll(input, shift, axis, name=None):  # noqa: A002
    return ops.roll(_to_tensor(input), shift, _axis(axis))


def broadcast_to(input, shape, name=None):  # noqa: A002
    return ops.broadcast_to(_to_tensor(input), tuple(_int_list(shape)))


def broadcast_static_shape(shape_x, shape_y):
    return TensorShape(xp.broadcast_shapes(tuple(shape_x), tuple(shape_y)))


def broadcast_dynamic_shape(shape_x, shape_y):
    out = xp.broadcast_shapes(tuple(_int_list(shape_x)), tuple(_int_list(shape_y)))
    return Tensor(xp.asarray(out, dtype=_to_tensor(shape_x).dtype))


def ensure_shape(x, shape, name=None):
    """``x`` itself, after checking that its shape is compatible with ``shape``."""
    x = _to_tensor(x)
    if not TensorShape(x.shape).is_compatible_with(shape):
        raise InvalidArgumentError(
            f"ensure_shape: Shape of tensor {list(x.shape)} is not compatible with expected "
            f"shape {TensorShape(shape)}.")
    return x


# -- gathering and scattering --------------------------------------------------------------------
def _indices(indices, n, op):
    idx = xp.asarray(raw(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be int32 or int64. Received dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].reshape(-1)[0]
        raise InvalidArgumentError(f"{op}: indices = {bad} is not in [0, {n})")
    return idx


def _batch_index(batch_shape, ndim):
    """Broadcastable aranges that pick each batch position (the leading ``len(batch_shape)``
    axes of an index array of rank ``ndim``)."""
    out = []
    for i, b in enumerate(batch_shape):
        shape = [1] * ndim
        shape[i] = b
        out.append(xp.arange(b).reshape(shape))
    return out


@_tf_errors
def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """Slices of ``params`` at ``indices`` along ``axis``; with ``batch_dims``, the leading
    axes of ``indices`` and ``params`` are batch axes that index each other one to one."""
    x = _to_tensor(params)
    idx_raw = xp.asarray(raw(indices))
    if batch_dims < 0:
        batch_dims += idx_raw.ndim
    axis = batch_dims if axis is None else _axis(axis)
    (ax,) = normalize_axis(axis, x.ndim, "gather")
    idx = _indices(idx_raw, x.shape[ax], "gather")
    if batch_dims == 0:
        return ops.take(x, idx, axis=ax)
    if x.shape[:batch_dims] != idx.shape[:batch_dims]:
        raise InvalidArgumentError(
            f"gather: params.shape[:{batch_dims}] {x.shape[:batch_dims]} must equal "
            f"indices.shape[:{batch_dims}] {idx.shape[:batch_dims]}")
    moved = ops.moveaxis(x, ax, batch_dims) if ax != batch_dims else x
    key = tuple(_batch_index(idx.shape[:batch_dims], idx.ndim)) + (idx,)
    out = ops.getitem(moved, key)
    if ax == batch_dims:
        return out
    # out is batch + idx[batch_dims:] + params[batch_dims:ax] + rest: move the index block
    k = idx.ndim - batch_dims
    mid = ax - batch_dims
    perm = (list(builtins.range(batch_dims))
            + list(builtins.range(batch_dims + k, batch_dims + k + mid))
            + list(builtins.range(batch_dims, batch_dims + k))
            + list(builtins.range(batch_dims + k + mid, out.ndim)))
    return ops.transpose(out, perm)


def _nd_key(idx, shape, batch_dims, op):
    depth = idx.shape[-1]
    if depth > len(shape) - batch_dims:
        raise InvalidArgumentError(
            f"{op}: index innermost dimension length must be <= params rank; saw: {depth} vs. "
            f"{len(shape) - batch_dims}")
    for j in builtins.range(depth):
        n = shape[batch_dims + j]
        column = idx[..., j]
        if column.size and (column.min() < 0 or column.max() >= n):
            bad = idx.reshape(-1, depth)[((column < 0) | (column >= n)).reshape(-1)][0]
            raise InvalidArgumentError(
                f"{op}: indices{list(bad)} does not index into param shape {list(shape)}")
    return tuple(_batch_index(idx.shape[:batch_dims], idx.ndim - 1)) + tuple(
        idx[..., j] for j in builtins.range(depth))


def gather_nd(params, indices, batch_dims=0, name=None):
    """``params`` at the multi-indices in the last axis of ``indices``: the result has shape
    ``indices.shape[:-1] + params.shape[batch_dims + indices.shape[-1]:]``."""
    x = _to_tensor(params)
    idx = xp.asarray(raw(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather_nd: indices must be int32 or int64. Received {idx.dtype}")
    return ops.getitem(x, _nd_key(idx, x.shape, batch_dims, "gather_nd"))


class ScatterNd(Function):
    """``tensor`` with ``updates`` written (``mode="update"``) or added (``"add"``) at ``key``
    (a tuple of index arrays)."""

    def __init__(self, key, mode):
        self.key, self.mode = key, mode

    def forward(self, tensor, updates):
        out = xp.array(tensor, copy=True)
        if self.mode == "update":
            out[self.key] = updates
        elif self.mode == "add":
            xp.add.at(out, self.key, updates)
        elif self.mode == "sub":
            xp.subtract.at(out, self.key, updates)
        elif self.mode == "max":
            xp.maximum.at(out, self.key, updates)
        else:
            xp.minimum.at(out, self.key, updates)
        return out

    def backward(self, gy):
        gt = gy
        if self.mode == "update":
            gt = gy.copy()
            gt[self.key] = 0  # overwritten elements do not reach the output
        gu = gy[self.key]
        if self.mode == "sub":
            gu = -gu
        return gt, gu


def _scatter(mode, op):
    @_tf_errors
    def scatter(tensor, indices, updates, name=None):
        x, u = _same_dtype(tensor, updates, op)
        idx = xp.asarray(raw(indices))
        if idx.dtype.kind not in "iu":
            raise TypeError(f"{op}: indices must be int32 or int64. Received {idx.dtype}")
        key = _nd_key(idx, x.shape, 0, op)
        expected = idx.shape[:-1] + x.shape[idx.shape[-1]:]
        if u.shape != expected:
            raise InvalidArgumentError(
                f"{op}: updates must have shape {list(expected)} (indices.shape[:-1] + "
                f"tensor.shape[indices.shape[-1]:]); got {list(u.shape)}")
        if isinstance(indices, Tensor):  # the key below is fixed: a trace must not replay it
            trace.read(indices, f"the indices of {op}")
        if mode in ("max", "min"):  # no gradient: TF's is a subgradient we do not need
            return no_gradient(ScatterNd(key, mode).forward, x, u)
        return ScatterNd(key, mode).apply(x, u)

    scatter.__name__ = op
    scatter.__doc__ = f"``tensor`` with ``updates`` {mode} at ``indices`` (``tf.{op}``)."
    return scatter


tensor_scatter_nd_update = _scatter("update", "tensor_scatter_nd_update")
tensor_scatter_nd_add = _scatter("add", "tensor_scatter_nd_add")
tensor_scatter_nd_sub = _scatter("sub", "tensor_scatter_nd_sub")
tensor_scatter_nd_max = _scatter("max", "tensor_scatter_nd_max")
tensor_scatter_nd_min = _scatter("min", "tensor_scatter_nd_min")


def scatter_nd(indices, updates, shape, name=None):
    """A zero tensor of ``shape`` with ``updates`` summed in at ``indices``."""
    u = _to_tensor(updates)
    return tensor_scatter_nd_add(zeros(shape, u.dtype), indices, u)


@_tf_errors
def boolean_mask(tensor, mask, axis=None, name="boolean_mask"):
    """The elements (or slices) of ``tensor`` where ``mask`` is True, flattened over the
    masked axes."""
    x = _to_tensor(tensor)
    m = xp.asarray(raw(mask))
    if m.dtype.kind != "b":
        raise TypeError(f"boolean_mask: mask must be bool. Received dtype {m.dtype}")
    ax = 0 if axis is None else normalize_axis(_axis(axis), x.ndim, "boolean_mask")[0]
    k = m.ndim
    if k == 0:
        raise ValueError("boolean_mask: mask cannot be scalar.")
    if x.shape[ax:ax + k] != m.shape:
        raise ValueError(
            f"boolean_mask: Shapes {x.shape[ax:ax + k]} and {m.shape} are incompatible "
            f"(tensor shape {x.shape}, mask shape {m.shape}, axis {ax})")
    flat = ops.reshape(x, x.shape[:ax] + (-1,) + x.shape[ax + k:])
    return ops.take(flat, xp.flatnonzero(m), axis=ax)


def where(condition, x=None, y=None, name=None):
    """With only ``condition``: the coordinates of its True elements (int64, shape
    ``[count, rank]``). With ``x`` and ``y``: ``x`` where ``condition`` else ``y``
    (broadcasting; both must share a dtype)."""
    cond = xp.asarray(raw(condition))
    if x is None and y is None:
        return no_gradient(lambda c: xp.argwhere(c).astype("int64"),
                           condition if isinstance(condition, Tensor) else cond)
    if x is None or y is None:
        raise ValueError("where: x and y must both be given, or neither")
    if cond.dtype.kind != "b":
        raise TypeError(f"where: condition must be bool. Received dtype {cond.dtype}")
    a, b = _same_dtype(x, y, "where")
    return _tf_errors(ops.where)(cond, a, b)


# -- clipping ------------------------------------------------------------------------------------
def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` clipped to ``[clip_value_min, clip_value_max]``; the gradient passes inside."""
    x = _to_tensor(t)
    lo, hi = raw(clip_value_min), raw(clip_value_max)
    if x.dtype.kind in "iu" and builtins.any(
            isinstance(v, float) or getattr(v, "dtype", xp.dtype("int8")).kind == "f"
            for v in (lo, hi)):
        raise TypeError(f"clip_by_value: cannot clip a {x.dtype} tensor with float bounds")
    return ops.clip(x, lo, hi)


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled so that its L2 norm (over ``axes``) is at most ``clip_norm``."""
    x = _floats_only(t, "clip_by_norm")
    norm = ops.sqrt(ops.sum(ops.square(x), axis=_axis(axes), keepdims=True))
    clip = ops.cast(_to_tensor(clip_norm), x.dtype)
    # where the norm is within the limit the factor is exactly 1
    return ops.divide(ops.multiply(x, clip), ops.maximum(norm, clip))


def global_norm(t_list, name=None):
    """``sqrt(sum of squares)`` over every tensor in ``t_list`` (None entries skipped)."""
    squares = [ops.sum(ops.square(_floats_only(t, "global_norm"))) for t in t_list
               if t is not None]
    if not squares:
        return Tensor(xp.zeros((), dtype=config.floatx()))
    total = squares[0]
    for s in squares[1:]:
        total = ops.add(total, ops.cast(s, total.dtype))
    return ops.sqrt(total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scale every tensor of ``t_list`` by ``clip_norm / max(global_norm, clip_norm)``.

    Returns ``(list_clipped, global_norm)``; None entries stay None. A global norm of inf
    gives NaNs, as TensorFlow."""
    if isinstance(t_list, (Tensor, xp.ndarray)):
        raise TypeError("clip_by_global_norm: t_list should be a sequence of tensors")
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else _to_tensor(use_norm)
    clip = ops.cast(_to_tensor(clip_norm), norm.dtype)
    scale = ops.divide(clip, ops.maximum(norm, clip))
    if not xp.isfinite(raw(norm)):
        scale = Tensor(xp.asarray(xp.nan, dtype=norm.dtype))
    out = [None if t is None else ops.multiply(t, ops.cast(scale, t.dtype))
           for t in (None if t is None else _to_tensor(t) for t in t_list)]
    return out, norm


# -- linear algebra ------------------------------------------------------------------------------
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False, grad_b=False,
           name=None):
    """The matrix product of the last two axes (batched over the leading ones), optionally
    transposing either input first. Both inputs must have rank >= 2 and one dtype."""
    x, y = _same_dtype(a, b, "MatMul")
    if x.ndim < 2 or y.ndim < 2:
        raise InvalidArgumentError(
            f"matmul: In[0] and In[1] must have rank >= 2, got shapes {list(x.shape)} and "
            f"{list(y.shape)}")
    if transpose_a or adjoint_a:
        x = ops.swapaxes(x, -1, -2)
    if transpose_b or adjoint_b:
        y = ops.swapaxes(y, -1, -2)
    if x.shape[-1] != y.shape[-2]:
        raise InvalidArgumentError(
            f"MatMul: Matrix size-incompatible: In[0]: {list(x.shape)}, In[1]: "
            f"{list(y.shape)}")
    out = _tf_errors(ops.matmul)(x, y)
    return out if output_type is None else ops.cast(out, _dtype(output_type))


@_tf_errors
def tensordot(a, b, axes, name=None):
    x, y = _same_dtype(a, b, "tensordot")
    if isinstance(axes, Tensor):
        axes = axes.data.tolist()
    return ops.tensordot(x, y, axes)


@_tf_errors
def einsum(equation, *inputs, **kwargs):
    return ops.einsum(equation, *[_to_tensor(t) for t in inputs])


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """A vector norm (``axis`` None or an int) or a matrix norm (``axis`` a pair):
    ``ord`` is ``"euclidean"``, ``"fro"``, 1, 2, ``inf``, or any p > 0 for vectors."""
    x = _floats_only(tensor, "norm")
    axis = _axis(axis)
    keep = bool(keepdims)
    inf = float("inf")
    if isinstance(axis, tuple) and len(axis) == 2:
        if ord in ("euclidean", "fro"):
            return ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=keep))
        if ord in (1, inf):
            return ops.norm(x, ord=ord, axis=axis, keepdims=keep)
        raise ValueError(f"norm: 'ord' must be a supported matrix norm in ['euclidean', 'fro', "
                         f"1, inf]; got {ord!r}")
    if isinstance(axis, tuple):
        if len(axis) != 1:
            raise ValueError(f"norm: 'axis' must be None, an integer, or a pair; got {axis}")
        axis = axis[0]
    if ord == "fro":
        raise ValueError("norm: ord='fro' is a matrix norm; give axis as a pair")
    if ord in ("euclidean", 2):
        return ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=keep))
    if isinstance(ord, str) or not (ord == inf or ord > 0):
        raise ValueError(f"norm: 'ord' must be a supported vector norm; got {ord!r}")
    if axis is None:
        flat = ops.reshape(x, (-1,))
        out = ops.norm(flat, ord=ord, axis=0)
        return ops.reshape(out, (1,) * x.ndim) if keep else out
    return ops.norm(x, ord=ord, axis=axis, keepdims=keep)


# -- sorting -------------------------------------------------------------------------------------
def _direction(direction, op):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op}: {direction!r} is not a valid direction (ASCENDING or "
                         "DESCENDING)")
    return direction == "DESCENDING"


def _order(data, axis, descending):
    if descending:
        # stable descending order: sort the reversed axis, map back, reverse
        n = data.shape[axis]
        rev = xp.flip(data, axis)
        order = xp.flip(xp.argsort(rev, axis=axis, kind="stable"), axis)
        return n - 1 - order
    return xp.argsort(data, axis=axis, kind="stable")


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis``; the gradient flows back to each value's position."""
    x = _to_tensor(values)
    descending = _direction(direction, "sort")
    (ax,) = normalize_axis(_axis(axis), x.ndim, "sort")
    ascending = ops.sort(x, axis=ax)
    # the values in descending order are the ascending ones reversed (ties are equal values)
    return ops.flip(ascending, axis=ax) if descending else ascending


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """Indices (int32) that sort ``values`` along ``axis`` (ties keep their order)."""
    x = _to_tensor(values)
    descending = _direction(direction, "argsort")
    (ax,) = normalize_axis(_axis(axis), x.ndim, "argsort")
    return no_gradient(lambda a: _order(a, ax, descending).astype("int32"), x)


def top_k(input, k=1, sorted=True, index_type="int32", name=None):  # noqa: A002
    """The ``k`` largest values along the last axis and their indices, as ``(values,
    indices)`` (ties: the lower index first)."""
    from collections import namedtuple

    values, indices = _tf_errors(ops.top_k)(_to_tensor(input), int(raw(k)), sorted=sorted)
    return namedtuple("TopKV2", ["values", "indices"])(values, ops.cast(indices, index_type))


def _arg_reduce(fn, op):
    def arg(input, axis=None, output_type="int64", name=None):  # noqa: A002
        x = _to_tensor(input)
        ax = 0 if axis is None else _axis(axis)
        normalize_axis(ax, x.ndim, op)
        dtype = _dtype(output_type)
        return no_gradient(lambda a: xp.asarray(fn(a, axis=ax)).astype(dtype), x)

    arg.__name__ = op
    arg.__doc__ = (f"The index of the {op[3:]} along ``axis`` (axis 0 when None), as "
                   "``output_type`` (int64).")
    return arg


argmax = _arg_reduce(xp.argmax, "argmax")
argmin = _arg_reduce(xp.argmin, "argmin")


# -- reductions ----------------------------------------------------------------------------------
def _numeric(x, op):
    x = _to_tensor(x)
    if x.dtype.kind not in "iufc":
        raise InvalidArgumentError(
            f"{op}: Value for attr 'T' of {_dtype_name(x.dtype)} is not in the list of allowed "
            "values (numeric types)")
    return x


def _keep_int(out, x):
    """An integer reduction's result in the input's dtype (NumPy widens to int64)."""
    if x.dtype.kind in "iu" and out.dtype != x.dtype:
        return ops.cast(out, x.dtype)
    return out


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over ``axis`` (all axes when None)."""
    x = _numeric(input_tensor, "reduce_sum")
    return _keep_int(_tf_errors(ops.sum)(x, _axis(axis), bool(keepdims)), x)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over ``axis``; for integers the sum divided as C does (toward zero)."""
    x = _numeric(input_tensor, "reduce_mean")
    if x.dtype.kind in "iu":
        total = _tf_errors(ops.sum)(x, _axis(axis), bool(keepdims))
        count = x.data.size // max(total.size, 1) if x.data.size else 0
        return no_gradient(
            lambda t: xp.asarray(xp.trunc(t / max(count, 1))).astype(x.dtype), total)
    return _tf_errors(ops.mean)(x, _axis(axis), bool(keepdims))


def _extreme(fn, identity, op):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        x = _numeric(input_tensor, op)
        if x.data.size == 0:  # TF: the identity of the reduction (-inf for max of floats)
            kind = x.dtype.kind
            value = identity if kind == "f" else (
                xp.iinfo(x.dtype).min if identity < 0 else xp.iinfo(x.dtype).max)
            return Tensor(xp.full(xp.sum(x.data, axis=_axis(axis), keepdims=bool(keepdims))
                                  .shape, value, dtype=x.dtype))
        return _keep_int(_tf_errors(fn)(x, _axis(axis), bool(keepdims)), x)

    reduce.__name__ = op
    reduce.__doc__ = f"``{op[7:]}`` over ``axis`` (all axes when None)."
    return reduce


reduce_max = _extreme(ops.max, -float("inf"), "reduce_max")
reduce_min = _extreme(ops.min, float("inf"), "reduce_min")


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    x = _numeric(input_tensor, "reduce_prod")
    return _keep_int(_tf_errors(ops.prod)(x, _axis(axis), bool(keepdims)), x)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    x = _floats_only(input_tensor, "reduce_logsumexp")
    return _tf_errors(ops.logsumexp)(x, _axis(axis), bool(keepdims))


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """Population variance over ``axis`` (floats only)."""
    x = _floats_only(input_tensor, "reduce_variance")
    return _tf_errors(ops.var)(x, _axis(axis), bool(keepdims))


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """Population standard deviation over ``axis`` (floats only)."""
    return ops.sqrt(reduce_variance(input_tensor, axis, keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    x = _numeric(input_tensor, "reduce_euclidean_norm")
    return ops.sqrt(ops.sum(ops.square(x), _axis(axis), bool(keepdims)))


def _bool_reduce(fn, op):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        if _is_python(input_tensor) and xp.asarray(input_tensor).dtype.kind != "b":
            raise TypeError(f"Cannot convert {input_tensor!r} to EagerTensor of dtype bool")
        x = _to_tensor(input_tensor)
        if x.dtype.kind != "b":
            raise InvalidArgumentError(f"{op}: input must be bool. Received dtype {x.dtype}")
        return _tf_errors(fn)(x, _axis(axis), bool(keepdims))

    reduce.__name__ = op
    reduce.__doc__ = f"Logical ``{op[7:]}`` over ``axis`` of a bool tensor."
    return reduce


reduce_any = _bool_reduce(ops.any, "reduce_any")
reduce_all = _bool_reduce(ops.all, "reduce_all")


def count_nonzero(input, axis=None, keepdims=None, dtype="int64", name=None):  # noqa: A002
    x, ax, dt = _to_tensor(input), _axis(axis), _dtype(dtype)
    return no_gradient(lambda a: xp.asarray(
        xp.count_nonzero(a, axis=ax, keepdims=bool(keepdims))).astype(dt), x)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along ``axis``; ``exclusive`` leaves each element out of its own sum,
    ``reverse`` sums from the end."""
    t = _numeric(x, "cumsum")
    (ax,) = normalize_axis(_axis(axis), max(t.ndim, 1), "cumsum")
    if reverse:
        t = ops.flip(t, ax)
    out = _keep_int(ops.cumsum(t, axis=ax), t)
    if exclusive:
        out = ops.subtract(out, t)
    return ops.flip(out, ax) if reverse else out


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running products along ``axis`` (``ops.cumprod``, with its gradient)."""
    t = _numeric(x, "cumprod")
    (ax,) = normalize_axis(_axis(axis), max(t.ndim, 1), "cumprod")
    data = ops.flip(t, ax) if reverse else t
    out = ops.cumprod(data, axis=ax)
    if exclusive:
        ones_ = ops.ones_like(ops.take(out, [0], axis=ax))
        out = ops.concatenate([ones_, ops.take(out, xp.arange(out.shape[ax] - 1), axis=ax)], ax)
    return ops.flip(out, ax) if reverse else out


def add_n(inputs, name=None):
    """The elementwise sum of a list of tensors of one shape and dtype."""
    inputs = [_to_tensor(t) for t in inputs]
    if not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    total = inputs[0]
    for t in inputs[1:]:
        total = add(total, t)
    return total


# -- elementwise math ----------------------------------------------------------------------------
def _binary(fn, op, doc):
    def binary(x, y, name=None):
        a, b = _same_dtype(x, y, op)
        return _tf_errors(fn)(a, b)

    binary.__name__ = op
    binary.__doc__ = doc
    return binary


add = _binary(ops.add, "add", "``x + y`` (elementwise, broadcasting; one dtype).")
subtract = _binary(ops.subtract, "subtract", "``x - y``.")
multiply = _binary(ops.multiply, "multiply", "``x * y``.")
maximum = _binary(ops.maximum, "maximum", "The elementwise maximum.")
minimum = _binary(ops.minimum, "minimum", "The elementwise minimum.")
pow = _binary(ops.power, "pow", "``x ** y``.")  # noqa: A001 - TF's name
floordiv = _binary(ops.floor_divide, "floordiv", "``x // y``, rounding toward -inf.")
floormod = _binary(ops.mod, "floormod", "The remainder of ``floordiv`` (the sign of ``y``).")
mod = floormod
equal = _binary(ops.equal, "equal", "``x == y`` elementwise (bool).")
not_equal = _binary(ops.not_equal, "not_equal", "``x != y`` elementwise (bool).")
less = _binary(ops.less, "less", "``x < y`` elementwise (bool).")
less_equal = _binary(ops.less_equal, "less_equal", "``x <= y`` elementwise (bool).")
greater = _binary(ops.greater, "greater", "``x > y`` elementwise (bool).")
greater_equal = _binary(ops.greater_equal, "greater_equal", "``x >= y`` elementwise (bool).")


def _int_to_float(dtype):
    # TF's truediv: 8/16-bit ints to float32, 32/64-bit ints to float64
    return xp.dtype("float32") if dtype.itemsize <= 2 else xp.dtype("float64")


def truediv(x, y, name=None):
    """``x / y``; integers are first converted to a float dtype (float64 for int32/int64)."""
    a, b = _same_dtype(x, y, "truediv")
    if a.dtype.kind in "iu":
        a, b = ops.cast(a, _int_to_float(a.dtype)), ops.cast(b, _int_to_float(b.dtype))
    return ops.divide(a, b)


def divide(x, y, name=None):
    """``x / y`` (as :func:`truediv`)."""
    return truediv(x, y)


realdiv = divide


def divide_no_nan(x, y, name=None):
    """``x / y``, and 0 where ``y`` is 0."""
    a, b = _same_dtype(x, y, "divide_no_nan")
    return ops.divide_no_nan(a, b)


def squared_difference(x, y, name=None):
    """``(x - y) ** 2``."""
    a, b = _same_dtype(x, y, "squared_difference")
    return ops.square(ops.subtract(a, b))


def scalar_mul(scalar, x, name=None):
    x = _to_tensor(x)
    return ops.multiply(_to_tensor(scalar, x.dtype), x)


def _unary(fn, op, doc, floats=False):
    def unary(x, name=None):
        t = _floats_only(x, op) if floats else _numeric(x, op)
        return fn(t)

    unary.__name__ = op
    unary.__doc__ = doc
    return unary


negative = _unary(ops.negative, "negative", "``-x``.")
abs = _unary(ops.abs, "abs", "``|x|``.")  # noqa: A001 - TF's name
square = _unary(ops.square, "square", "``x * x``.")
sign = _unary(ops.sign, "sign", "-1, 0 or 1 by the sign of ``x``.")
sqrt = _unary(ops.sqrt, "sqrt", "The square root.", floats=True)
rsqrt = _unary(ops.rsqrt, "rsqrt", "``1 / sqrt(x)``.", floats=True)
exp = _unary(ops.exp, "exp", "``e ** x``.", floats=True)
expm1 = _unary(ops.expm1, "expm1", "``exp(x) - 1``, accurate near 0.", floats=True)
log = _unary(ops.log, "log", "The natural logarithm.", floats=True)
log1p = _unary(ops.log1p, "log1p", "``log(1 + x)``, accurate near 0.", floats=True)
sin = _unary(ops.sin, "sin", "The sine.", floats=True)
cos = _unary(ops.cos, "cos", "The cosine.", floats=True)
tan = _unary(ops.tan, "tan", "The tangent.", floats=True)
atan = _unary(ops.arctan, "atan", "The arc tangent.", floats=True)
sinh = _unary(ops.sinh, "sinh", "The hyperbolic sine.", floats=True)
cosh = _unary(ops.cosh, "cosh", "The hyperbolic cosine.", floats=True)
tanh = _unary(ops.tanh, "tanh", "The hyperbolic tangent.", floats=True)
sigmoid = _unary(ops.sigmoid, "sigmoid", "``1 / (1 + exp(-x))``.", floats=True)
erf = _unary(ops.erf, "erf", "The error function.", floats=True)
softplus = _unary(ops.softplus, "softplus", "``log(exp(x) + 1)``.", floats=True)
softsign = _unary(ops.softsign, "softsign", "``x / (|x| + 1)``.", floats=True)
log_sigmoid = _unary(ops.log_sigmoid, "log_sigmoid", "``log(sigmoid(x))``, stable.",
                     floats=True)
reciprocal = _unary(lambda t: ops.divide(Tensor(xp.ones((), t.dtype)), t), "reciprocal",
                    "``1 / x``.", floats=True)
round = _unary(  # noqa: A001 - TF's name
    ops.round, "round", "Rounded to the nearest integer, halves to even.")
floor = _unary(ops.floor, "floor", "Rounded toward -inf.", floats=True)
ceil = _unary(ops.ceil, "ceil", "Rounded toward +inf.", floats=True)
is_nan = _unary(ops.isnan, "is_nan", "Where ``x`` is NaN.",
                floats=True)
is_inf = _unary(ops.isinf, "is_inf", "Where ``x`` is +-inf.",
                floats=True)
is_finite = _unary(ops.isfinite, "is_finite",
                   "Where ``x`` is neither NaN nor infinite.", floats=True)


def _logical(fn, op):
    def logical(x, y, name=None):
        a, b = _to_tensor(x, "bool", op), _to_tensor(y, "bool", op)
        if a.dtype.kind != "b" or b.dtype.kind != "b":
            raise InvalidArgumentError(f"{op}: inputs must be bool. Received dtypes {a.dtype} "
                                       f"and {b.dtype}")
        return no_gradient(fn, a, b)

    logical.__name__ = op
    logical.__doc__ = f"Elementwise ``{op}`` of bool tensors."
    return logical


logical_and = _logical(xp.logical_and, "logical_and")
logical_or = _logical(xp.logical_or, "logical_or")
logical_xor = _logical(xp.logical_xor, "logical_xor")


def logical_not(x, name=None):
    a = _to_tensor(x, "bool", "logical_not")
    if a.dtype.kind != "b":
        raise InvalidArgumentError(f"logical_not: input must be bool. Received dtype {a.dtype}")
    return ops.logical_not(a)


# -- misc ----------------------------------------------------------------------------------------
def is_tensor(x):
    return isinstance(x, Tensor)


def executing_eagerly():
    """True: ember runs every op eagerly (``tf.function`` traces, but each call runs)."""
    return True


def get_static_value(tensor, partial=False):
    """The value of ``tensor`` as a NumPy array (always known in eager mode)."""
    return xp.asarray(raw(tensor)) if tensor is not None else None


def unique(x, out_idx="int32", name=None):
    """The distinct values of a 1-D ``x`` in order of first appearance, and each element's
    index into them, as ``(y, idx)``."""
    from collections import namedtuple

    data = xp.asarray(raw(_to_tensor(x)))
    if data.ndim != 1:
        raise InvalidArgumentError(f"unique: x must be a vector. Received shape {data.shape}")
    values, first, inverse = xp.unique(data, return_index=True, return_inverse=True)
    order = xp.argsort(first)  # NumPy sorts the values; TF keeps first-appearance order
    rank_of = xp.empty_like(order)
    rank_of[order] = xp.arange(order.size)
    return namedtuple("Unique", ["y", "idx"])(
        Tensor(values[order]), Tensor(rank_of[inverse.reshape(-1)].astype(_dtype(out_idx))))


def sequence_mask(lengths, maxlen=None, dtype="bool", name=None):
    """``mask[..., j] = j < lengths[...]`` with ``maxlen`` columns (max(lengths) by default)."""
    n = xp.asarray(raw(lengths))
    width = int(n.max()) if maxlen is None else int(raw(maxlen))
    return Tensor((xp.arange(width) < n[..., None]).astype(_dtype(dtype)))


def meshgrid(*args, **kwargs):
    """Coordinate grids for 1-D inputs (``indexing="xy"`` by default, as TensorFlow)."""
    return ops.meshgrid(*[_to_tensor(a) for a in args], indexing=kwargs.get("indexing", "xy"))


def searchsorted(sorted_sequence, values, side="left", out_type="int32", name=None):
    """Insertion indices of ``values`` in each row of ``sorted_sequence``."""
    seq = xp.asarray(raw(sorted_sequence))
    vals = xp.asarray(raw(values))
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side)
    else:
        rows = [xp.searchsorted(s, v, side=side) for s, v in
                zip(seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1]))]
        out = xp.stack(rows).reshape(vals.shape)
    return Tensor(out.astype(_dtype(out_type)))


@effect  # under tf.function it prints at every call, not only while tracing
def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """Print tensors as TensorFlow does (``[1 2 3]``, at most ``summarize`` values at each end
    of an axis; -1 for all) to ``output_stream`` (``sys.stderr`` by default; ``sys.stdout``,
    ``"file://path"`` or any object with ``write``)."""
    text = sep.join(_format_value(v, summarize) for v in inputs) + end
    stream = sys.stderr if output_stream is None else output_stream
    if isinstance(stream, str):
        if not stream.startswith("file://"):
            raise ValueError(f"print: output_stream {stream!r} must be a stream or "
                             "'file://path'")
        with open(stream[len("file://"):], "a") as f:
            f.write(text)
        return None
    stream.write(text)
    return None


def _format_value(value, summarize):
    """A tensor as ``tf.print`` shows it (``[1 2 3]``, strings unquoted), else ``str``."""
    if not isinstance(value, (Tensor, xp.ndarray)):
        return str(value)
    data = xp.asarray(raw(value))
    if data.dtype.kind == "O":
        data = xp.vectorize(lambda b: b.decode("utf-8", "replace") if isinstance(b, bytes)
                            else str(b), otypes=[object])(data)
        if data.ndim == 0:
            return str(data.item())
    full = summarize is None or summarize < 0
    formatter = {"object": str, "bool": lambda b: "1" if b else "0",
                 "float_kind": functools.partial(_format_float, kind=data.dtype.type)}
    return xp.array2string(data, separator=" ", threshold=sys.maxsize if full else 2 * summarize,
                           edgeitems=3 if full else summarize, max_line_width=sys.maxsize,
                           formatter=formatter)


def _format_float(v, kind):
    # as TensorFlow: the short form (6 significant digits; 15 for float64) when it reads back as
    # the same value, else enough digits to (9; 17)
    short, long = (15, 17) if kind == xp.float64 else (6, 9)
    text = f"{v:.{short}g}"
    return text if kind(text) == v or v != v else f"{v:.{long}g}"


def convert_to_tensor_v2(value, dtype=None, dtype_hint=None, name=None):
    return convert_to_tensor(value, dtype=dtype, dtype_hint=dtype_hint)
