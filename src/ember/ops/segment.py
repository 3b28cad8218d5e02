"""Segment reductions and scatters (``keras.ops.segment_*``, ``scatter``, ``scatter_update``).

One engine, :class:`SegmentReduce`, reduces the rows of ``data`` into ``num_segments`` rows by
segment id (sum, max, min or product); ids out of ``[0, num_segments)`` are dropped, as JAX
does. ``tf.math.segment_*`` / ``unsorted_segment_*`` call it too (with TensorFlow's values for
empty segments). Scatters are segment reductions of a flat row index: ``scatter`` sums the
values into zeros, and ``scatter_update`` with a reduction reduces ``inputs``' own rows together
with the updates, so that every reduction has one gradient, written once.
"""

from ember.autodiff import trace
from ember.autodiff.function import Function
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import raw, tensor_arg

_UFUNCS = {"sum": xp.add, "max": xp.maximum, "min": xp.minimum, "prod": xp.multiply}
_REDUCTIONS = {"add": "sum", "max": "max", "min": "min", "mul": "prod"}


def _identity(kind, dtype):
    """The value of an empty segment (JAX's: the reduction's identity)."""
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if dtype.kind == "b":
        return kind == "min"
    if dtype.kind in "iu":
        info = xp.iinfo(dtype)
        return info.min if kind == "max" else info.max
    return -xp.inf if kind == "max" else xp.inf


class SegmentReduce(Function):
    """Rows of ``data`` (``(N, ...)``) reduced by ``ids`` (``(N,)``) into ``num_segments``
    rows; ``initial`` is the value of an empty segment.

    Gradients (in ``data``): sum passes each segment's gradient to its rows; max and min pass it
    to the rows equal to the result, shared evenly among ties (as JAX); prod passes it times
    the product of the segment's other rows (exact with zeros in the segment)."""

    def __init__(self, ids, num_segments, kind, initial=None):
        self.keep = (ids >= 0) & (ids < num_segments)
        self.all_kept = bool(self.keep.all())
        self.ids = ids if self.all_kept else ids[self.keep]
        self.n, self.kind, self.initial = num_segments, kind, initial

    def forward(self, data):
        rows = data if self.all_kept else data[self.keep]
        initial = _identity(self.kind, data.dtype) if self.initial is None else self.initial
        out = xp.full((self.n,) + data.shape[1:], initial, dtype=data.dtype)
        _UFUNCS[self.kind].at(out, self.ids, rows)
        if self.recording:
            self.saved = (data.shape, rows, out)
        return out

    def _weights(self, rows, out):
        """``d out[ids] / d rows``, as an array of ``rows``' shape (None for sum: ones)."""
        if self.kind == "sum":
            return None
        if self.kind == "prod":
            return _others_product(rows, self.ids, self.n)
        hit = (rows == out[self.ids]).astype(rows.dtype)
        count = xp.zeros(out.shape, dtype=rows.dtype)
        xp.add.at(count, self.ids, hit)
        return hit / xp.maximum(count, 1)[self.ids]

    def backward(self, gy):
        shape, rows, out = self.saved
        part = gy[self.ids]
        weights = self._weights(rows, out)
        if weights is not None:
            part = part * weights
        if self.all_kept:
            return (part,)
        g = xp.zeros(shape, dtype=gy.dtype)
        g[self.keep] = part
        return (g,)

    def backward_ops(self, gy, data):
        from ember.ops.elementwise import multiply
        from ember.ops.shape import take

        shape, rows, out = self.saved
        if self.kind == "prod":  # its weights depend on data: first order only
            return super().backward_ops(gy, data)
        weights = self._weights(rows, out)
        if not self.all_kept:  # dropped rows read row 0 with a zero weight
            ids = xp.zeros(self.keep.shape, dtype=self.ids.dtype)
            ids[self.keep] = self.ids
            full = xp.zeros(shape, dtype=gy.dtype)
            full[self.keep] = 1 if weights is None else weights
            return (multiply(take(gy, ids, axis=0), full),)
        part = take(gy, self.ids, axis=0)
        return (part if weights is None else multiply(part, weights),)


def _others_product(rows, ids, n):
    """For each row, the product of the other rows of its segment (elementwise)."""
    zero = rows == 0
    nonzero = xp.where(zero, xp.ones_like(rows), rows)
    product = xp.ones((n,) + rows.shape[1:], dtype=rows.dtype)
    xp.multiply.at(product, ids, nonzero)
    zeros = xp.zeros((n,) + rows.shape[1:], dtype="int64")
    xp.add.at(zeros, ids, zero)
    product, zeros = product[ids], zeros[ids]
    # no zero in the segment: product / x; one zero: the product of the others at the zero
    return xp.where(zero, xp.where(zeros == 1, product, 0),
                    xp.where(zeros == 0, product / nonzero, 0)).astype(rows.dtype, copy=False)


def _index_array(value):
    """The array of ``segment_ids`` / ``indices``. Ops keep it as a constant, so a traced
    tensor's is read (``tf.function`` then runs the function eagerly rather than replay stale
    indices)."""
    if trace.tracing[0] and isinstance(value, Tensor):
        trace.read(value, "an op's index array (segment_ids, indices)")
    return xp.asarray(raw(value))


def segment_reduce(data, segment_ids, num_segments, kind, op, initial=None):
    """``data`` reduced by ``segment_ids`` (a prefix of ``data``'s shape, or 1-D) with ``kind``
    (``"sum" | "max" | "min" | "prod"``); ``num_segments`` None means ``max id + 1``.
    ``initial`` overrides the value of an empty segment. ``op`` names the caller in errors."""
    from ember.ops.shape import reshape

    x = tensor_arg(data)
    x = x if isinstance(x, Tensor) else Tensor(x)
    ids = _index_array(segment_ids)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: segment_ids must be integers. Received {ids.dtype}")
    if tuple(x.shape[:ids.ndim]) != ids.shape:
        raise ValueError(f"{op}: segment_ids shape {ids.shape} must be a prefix of data shape "
                         f"{tuple(x.shape)}")
    if num_segments is None:
        n = int(ids.max()) + 1 if ids.size else 0
    else:
        n = int(num_segments)
        if n < 0:
            raise ValueError(f"{op}: num_segments must be >= 0. Received {n}")
    if ids.ndim != 1:
        x = reshape(x, (-1,) + tuple(x.shape[ids.ndim:]))
    return SegmentReduce(ids.reshape(-1), n, kind, initial).apply(x)


def _keras_segment(kind):
    name = f"segment_{kind}"

    def segment(data, segment_ids, num_segments=None, sorted=False):
        ids_shape = xp.shape(raw(segment_ids))
        data_shape = xp.shape(raw(data))
        if len(ids_shape) != 1:
            raise ValueError(
                f"{name}: segment_ids must be a 1-D vector, got shape {ids_shape}. Flatten the "
                "ids and the leading dims of data, or map over them.")
        if not data_shape or ids_shape[0] != data_shape[0]:
            raise ValueError(f"{name}: segment_ids and data must have the same leading "
                             f"dimension. Got {ids_shape} and {data_shape}.")
        return segment_reduce(data, segment_ids, num_segments, kind, name)

    segment.__name__ = segment.__qualname__ = name
    segment.__doc__ = (
        f"The {kind} of each segment of ``data`` along axis 0: ``out[s]`` reduces the rows ``i`` "
        f"with ``segment_ids[i] == s`` (as ``keras.ops.{name}``).\n\n"
        "``num_segments`` defaults to ``max(segment_ids) + 1``; ids outside ``[0, "
        "num_segments)`` are dropped; an empty segment holds the reduction's identity. "
        "``sorted`` is a hint and is ignored. Differentiable in ``data``.")
    return segment


segment_sum = _keras_segment("sum")
segment_max = _keras_segment("max")
segment_min = _keras_segment("min")
segment_prod = _keras_segment("prod")


# -- scatters ---------------------------------------------------------------------------------
def _row_index(indices, shape, op):
    """``indices`` (``(..., k)`` ints into the first k dims of ``shape``) as flat row numbers
    (-1 for out-of-range ones, which are dropped; negative indices count from the end, as JAX);
    returns the row numbers, the number of rows and k."""
    idx = _index_array(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers. Received dtype {idx.dtype}")
    if idx.ndim == 0:
        raise ValueError(f"{op}: indices must have at least one dimension (the last one indexes "
                         f"the output); got a scalar")
    k = idx.shape[-1]
    if k > len(shape):
        raise ValueError(f"{op}: indices of depth {k} (last dimension of indices shape "
                         f"{idx.shape}) index into a shape of rank {len(shape)}: {shape}")
    dims = xp.asarray(shape[:k], dtype="int64")
    idx = idx.reshape(-1, k).astype("int64")
    idx = xp.where(idx < 0, idx + dims, idx)
    valid = ((idx >= 0) & (idx < dims)).all(axis=1)
    strides = xp.cumprod(xp.concatenate([dims[1:], [1]])[::-1])[::-1].astype("int64")
    rows = xp.where(valid, idx @ strides, -1)
    return rows, int(xp.prod(dims)), k


def _rows_of(values, batch_shape, tail, op, what):
    """``values`` checked against ``batch_shape + tail`` (broadcast to it when it can be) and
    reshaped to ``(-1,) + tail``."""
    from ember.ops.shape import broadcast_to, reshape

    expected = tuple(batch_shape) + tuple(tail)
    if tuple(values.shape) != expected:
        try:
            xp.broadcast_shapes(tuple(values.shape), expected)
        except ValueError:
            raise ValueError(
                f"{op}: {what} must have shape {expected} (indices.shape[:-1] + "
                f"shape[indices.shape[-1]:]); got {tuple(values.shape)}") from None
        values = broadcast_to(values, expected)
    return reshape(values, (-1,) + tuple(tail))


def scatter(indices, values, shape):
    """A tensor of ``shape``: zeros with ``values`` added at ``indices`` (as
    ``keras.ops.scatter``; repeated indices add up).

    ``indices`` has shape ``(..., k)`` and indexes the first ``k`` dims of ``shape``;
    ``values`` has shape ``indices.shape[:-1] + shape[k:]``. Differentiable in ``values``.
    """
    from ember.ops.shape import reshape

    shape = tuple(int(s) for s in shape)
    v = tensor_arg(values)
    v = v if isinstance(v, Tensor) else Tensor(v)
    rows, n, k = _row_index(indices, shape, "scatter")
    batch = xp.shape(raw(indices))[:-1]
    flat = _rows_of(v, batch, shape[k:], "scatter", "values")
    return reshape(SegmentReduce(rows, n, "sum").apply(flat), shape)


def scatter_update(inputs, indices, updates, reduction=None):
    """``inputs`` with ``updates`` written at ``indices`` (as ``keras.ops.scatter_update``).

    ``indices`` has shape ``(N, k)`` (more generally ``(..., k)``) and indexes the first ``k``
    dims of ``inputs``; ``updates`` has shape ``(N,) + inputs.shape[k:]`` (or broadcasts to
    it). ``reduction``: None (replace; the last of repeated indices wins), ``"add"``, ``"max"``,
    ``"min"`` or ``"mul"`` (combine with the existing values). The result has ``inputs``' dtype.
    Differentiable in ``inputs`` and ``updates``.
    """
    from ember.ops.elementwise import cast
    from ember.ops.shape import concatenate, reshape

    if reduction is not None:
        reduction = str(reduction).lower()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"Invalid reduction: {reduction}. "
                             "Supported values are: None, 'add', 'max', 'min', 'mul'.")
    x = tensor_arg(inputs)
    x = x if isinstance(x, Tensor) else Tensor(x)
    u = tensor_arg(updates)
    if u.dtype != x.dtype:
        u = cast(u, x.dtype)
    u = u if isinstance(u, Tensor) else Tensor(u)
    shape = tuple(x.shape)
    rows, n, k = _row_index(indices, shape, "scatter_update")
    batch = xp.shape(raw(indices))[:-1]
    flat_u = _rows_of(u, batch, shape[k:], "scatter_update", "updates")
    flat_x = reshape(x, (n,) + shape[k:])
    if reduction is None:
        return reshape(_SetRows(rows).apply(flat_x, flat_u), shape)
    # inputs' own rows join the reduction as segments 0..n-1, each the first of its segment
    both = concatenate([flat_x, flat_u], axis=0)
    ids = xp.concatenate([xp.arange(n), rows])
    out = SegmentReduce(ids, n, _REDUCTIONS[reduction]).apply(both)
    return reshape(out, shape)


class _SetRows(Function):
    """``x`` (rows) with rows ``rows`` replaced by the rows of ``u``; of repeated rows the last
    one wins (and alone gets a gradient); rows numbered -1 are dropped."""

    def __init__(self, rows):
        keep = rows >= 0
        # the winner of each written row: its last occurrence
        last = xp.zeros(rows.shape, dtype=bool)
        if keep.any():
            order = xp.flatnonzero(keep)[::-1]
            _, first_of_reversed = xp.unique(rows[order], return_index=True)
            last[order[first_of_reversed]] = True
        self.rows, self.win = rows, last

    def forward(self, x, u):
        out = xp.array(x, copy=True)
        out[self.rows[self.win]] = u[self.win]
        return out

    def backward(self, gy):
        gx = gu = None
        if self.needs[0]:
            gx = gy.copy()
            gx[self.rows[self.win]] = 0  # overwritten: they do not reach the output
        if self.needs[1]:
            gu = xp.zeros((len(self.rows),) + gy.shape[1:], dtype=gy.dtype)
            gu[self.win] = gy[self.rows[self.win]]
        return gx, gu

    def backward_ops(self, gy, x, u):
        from ember.ops.elementwise import multiply
        from ember.ops.shape import take

        kept = xp.ones(gy.shape[:1] + (1,) * (gy.ndim - 1), dtype=gy.dtype)
        kept[self.rows[self.win]] = 0
        won = self.win.astype(gy.dtype).reshape((-1,) + (1,) * (gy.ndim - 1))
        gx = multiply(gy, kept) if self.needs[0] else None
        gu = multiply(take(gy, xp.where(self.win, self.rows, 0), axis=0), won) \
            if self.needs[1] else None
        return gx, gu
