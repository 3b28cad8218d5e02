"""Max and average pooling (1D and 2D, channels_last inside), with their gradients.

Both are a loop over the window positions (``pool_h * pool_w`` of them, never over pixels), each
position a strided slice of the whole batch: a running ``maximum`` (or sum) forward, and for the
backward a mask of the first maximum per window (TensorFlow's tie rule) or the averaged gradient,
written back slice by slice. When the windows do not overlap (strides >= pool size, the common
case) the backward writes each slice once instead of accumulating. Large batches are split over
the cores (``ember.ops._parallel``).

Padding ``'same'`` follows TensorFlow; a ``'same'`` average excludes the padding from the count.
"""

from ember import config
from ember.autodiff.function import Function, is_float_dtype
from ember.backend import kernels, xp
from ember.ops._helpers import as_float_tensor, raw
from ember.ops._parallel import for_batches
from ember.ops.conv import crop_hw, normalize_padding, normalize_tuple, pad_hw, position

_ONE = (1, 1)


def _geometry(in_hw, pool, strides, padding, op, shape):
    out_hw, pads = [], []
    for size, k, s in zip(in_hw, pool, strides):
        if padding == "valid":
            o, p = (size - k) // s + 1, (0, 0)
        else:
            o = -(-size // s)
            total = max((o - 1) * s + k - size, 0)
            p = (total // 2, total - total // 2)
        if o < 1:
            raise ValueError(
                f"{op}: pool_size {tuple(pool)} is larger than the input (shape {shape}) with "
                f"padding '{padding}'")
        out_hw.append(o)
        pads.append(p)
    return tuple(out_hw), tuple(pads)


class _Pool(Function):
    def __init__(self, pool, strides, padding):
        self.pool, self.strides, self.padding = pool, strides, padding

    def _setup(self, x):
        x4 = x[:, None] if x.ndim == 3 else x
        out_hw, pads = _geometry(x4.shape[1:3], self.pool, self.strides, self.padding,
                                 self.name, x.shape)
        self.in_shape, self.out_hw, self.pads = x.shape, out_hw, pads
        return x4

    def _positions(self, a):
        for i in range(self.pool[0]):
            for j in range(self.pool[1]):
                yield position(a, i, j, self.strides, _ONE, self.out_hw)

    @property
    def _disjoint(self):
        return self.strides[0] >= self.pool[0] and self.strides[1] >= self.pool[1]

    def _buffer(self, shape, dtype):
        """The input-gradient array. Windows that tile it exactly (strides == pool size) write
        every element they cover, so only the uncovered tails are zeroed."""
        if self.strides != self.pool:
            return xp.zeros(shape, dtype=dtype)
        g = xp.empty(shape, dtype=dtype)
        h, w = self.out_hw[0] * self.strides[0], self.out_hw[1] * self.strides[1]
        g[:, h:] = 0
        g[:, :h, w:] = 0
        return g

    def _finish(self, y):
        return y if len(self.in_shape) == 4 else y[:, 0]

    def _grad_input(self, g):
        in_hw = (1, self.in_shape[1]) if len(self.in_shape) == 3 else self.in_shape[1:3]
        return crop_hw(g, self.pads, in_hw).reshape(self.in_shape)


class MaxPool(_Pool):
    name = "max_pool"
    compiled = False  # whether forward ran the compiled kernel (then saved holds the argmax)

    def forward(self, x):
        x4 = self._setup(x)
        low = -xp.inf if is_float_dtype(x.dtype) else xp.iinfo(x.dtype).min
        xpad = pad_hw(x4, self.pads, low)
        y = xp.empty((x4.shape[0],) + self.out_hw + (x4.shape[3],), dtype=x.dtype)
        kernel = kernels.get("max_pool") if x.dtype == xp.float32 and \
            self.pool[0] * self.pool[1] <= 256 else None
        if kernel is not None:
            return self._forward_kernel(kernel, xpad, y)

        def run(b):
            it = self._positions(xpad[b])
            out = y[b]
            xp.copyto(out, next(it))
            for s in it:
                xp.maximum(out, s, out=out)

        for_batches(run, len(y), xpad.nbytes)
        if self.recording:
            self.saved = (xpad, y)
        return self._finish(y)

    def _forward_kernel(self, kernel, xpad, y):
        """The compiled path: one pass, keeping each window's argmax (one byte per output)
        instead of the padded input."""
        xpad = xp.ascontiguousarray(xpad)
        arg = xp.empty(y.shape, dtype=xp.uint8)
        (ph, pw), (sh, sw) = self.pool, self.strides
        _, h, w, c = xpad.shape
        oh, ow = self.out_hw

        def run(b):
            kernel(xpad[b], y[b], arg[b], b.stop - b.start, h, w, c, oh, ow, ph, pw, sh, sw)

        for_batches(run, len(y), xpad.nbytes)
        if self.recording:
            self.saved = (arg, xpad.shape)
            self.compiled = True
        return self._finish(y)

    def _backward_kernel(self, gy):
        arg, pad_shape = self.saved
        gy4 = xp.ascontiguousarray(gy[:, None] if gy.ndim == 3 else gy, dtype=xp.float32)
        disjoint = self._disjoint
        f32 = xp.float32  # the compiled path ran on a float32 input
        g = self._buffer(pad_shape, f32) if disjoint else xp.zeros(pad_shape, f32)
        (ph, pw), (sh, sw) = self.pool, self.strides
        _, h, w, c = pad_shape
        oh, ow = self.out_hw
        grad = kernels.get("max_pool_grad")

        def run(b):
            grad(gy4[b], arg[b], g[b], b.stop - b.start, h, w, c, oh, ow, ph, pw, sh, sw,
                 disjoint)

        for_batches(run, len(gy4), g.nbytes)
        return (self._grad_input(g),)

    def backward(self, gy):
        if self.compiled:
            return self._backward_kernel(gy)
        xpad, y = self.saved
        gy4 = gy[:, None] if gy.ndim == 3 else gy
        g = self._buffer(xpad.shape, gy.dtype)
        last = self.pool[0] * self.pool[1] - 1
        disjoint = self._disjoint

        def run(b):
            yb, gyb = y[b], gy4[b]
            hit = xp.empty(yb.shape, dtype=bool)
            free = None  # windows whose maximum is still to be found
            for n, (s, gs) in enumerate(zip(self._positions(xpad[b]), self._positions(g[b]))):
                # the first maximum of each window takes the gradient (TensorFlow's rule)
                xp.equal(s, yb, out=hit)
                if free is None:
                    free = ~hit
                else:
                    hit &= free
                    if n != last:
                        free ^= hit
                if disjoint:
                    xp.multiply(gyb, hit, out=gs)
                else:
                    gs += gyb * hit

        for_batches(run, len(y), xpad.nbytes)
        return (self._grad_input(g),)


class AveragePool(_Pool):
    name = "average_pool"

    def forward(self, x):
        x4 = self._setup(x)
        xpad = pad_hw(x4, self.pads, 0)
        self.count = self._count(x4.shape[1:3], x.dtype)
        y = xp.empty((x4.shape[0],) + self.out_hw + (x4.shape[3],), dtype=x.dtype)

        def run(b):
            it = self._positions(xpad[b])
            out = y[b]
            xp.copyto(out, next(it))
            for s in it:
                out += s
            out /= self.count

        for_batches(run, len(y), xpad.nbytes)
        self.pad_shape = xpad.shape
        return self._finish(y)

    def _count(self, in_hw, dtype):
        """The number of non-padding elements in each window: a scalar, or (1, OH, OW, 1)."""
        if not any(a or b for a, b in self.pads):
            return dtype.type(self.pool[0] * self.pool[1])
        counts = []
        for size, k, s, o, (before, _) in zip(in_hw, self.pool, self.strides, self.out_hw,
                                               self.pads):
            start = xp.arange(o) * s
            counts.append(xp.minimum(start + k, before + size) - xp.maximum(start, before))
        return xp.outer(counts[0], counts[1]).astype(dtype)[None, :, :, None]

    def backward(self, gy):
        gy4 = gy[:, None] if gy.ndim == 3 else gy
        share = gy4 / self.count
        g = self._buffer(self.pad_shape, gy.dtype)
        disjoint = self._disjoint

        def run(b):
            sb = share[b]
            for gs in self._positions(g[b]):
                if disjoint:
                    gs[...] = sb
                else:
                    gs += sb

        for_batches(run, len(share), g.nbytes)
        return (self._grad_input(g),)


def _pool(cls, inputs, pool_size, strides, padding, data_format):
    op = cls.name
    x = as_float_tensor(inputs)
    shape = x.shape
    if len(shape) not in (3, 4):
        raise ValueError(
            f"{op}: inputs must have rank 3 (1D), 4 (2D) or 5 (3D), batch first. "
            f"Received input shape {shape}")
    n = len(shape) - 2
    pool = normalize_tuple(pool_size, n, "pool_size", op)
    strides = pool if strides is None else normalize_tuple(strides, n, "strides", op)
    padding = normalize_padding(padding, op)
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    if n == 1:
        pool, strides = (1,) + pool, (1,) + strides
    if data_format == "channels_first":
        from ember.ops.shape import transpose

        perm = (0,) + tuple(range(2, len(shape))) + (1,)
        y = cls(pool, strides, padding).apply(transpose(x, perm))
        return transpose(y, (0, len(shape) - 1) + tuple(range(1, len(shape) - 1)))
    return cls(pool, strides, padding).apply(x)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (1D or 2D), as ``keras.ops.max_pool``.

    Args:
        inputs: (batch, width, channels) or (batch, height, width, channels).
        pool_size: an int or one int per spatial axis.
        strides: defaults to ``pool_size``.
        padding: ``"valid"`` or ``"same"`` (TensorFlow's rule; padding never wins the max).
    """
    if xp.ndim(raw(inputs)) == 5:  # 3D: built on the 2D op (ember.ops.volumetric)
        from ember.ops.volumetric import max_pool3d

        return max_pool3d(inputs, pool_size, strides, padding, data_format)
    return _pool(MaxPool, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (1D or 2D), as ``keras.ops.average_pool``; with ``"same"`` padding each
    window averages its real elements only (as TensorFlow)."""
    if xp.ndim(raw(inputs)) == 5:  # 3D: built on the 2D op (ember.ops.volumetric)
        from ember.ops.volumetric import average_pool3d

        return average_pool3d(inputs, pool_size, strides, padding, data_format)
    return _pool(AveragePool, inputs, pool_size, strides, padding, data_format)


__all__ = ["max_pool", "average_pool"]
