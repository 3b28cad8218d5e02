"""3D (volumetric) convolution, transposed convolution and pooling, composed from ember ops.

:mod:`ember.ops.conv` and :mod:`ember.ops.pooling` are 1D/2D engines (a strided im2col GEMM and
float32 C kernels). A 3D operation here is a sum (or max) over the depth axis of 2D operations:
for each kernel (window) position ``a`` along depth, the strided depth slice of the padded input
is folded into the batch, convolved (pooled) in 2D over height and width, and unfolded. The
gradient is the tape's (slices, reshapes, the 2D ops' own backwards and the adds), so there is
no new :class:`~ember.autodiff.function.Function` to check.

A transposed convolution is the convolution of the input spread by the strides (``s - 1`` zeros
between elements), padded by ``k_eff - 1 - before`` / up to the output size, with the spatially
flipped kernel whose two channel axes are swapped.

Padding ``"same"`` is TensorFlow's rule, as in the 1D/2D ops; geometry helpers are shared with
:mod:`ember.ops.conv`.
"""

import importlib

from ember import config
from ember.ops._helpers import as_float_tensor

conv_ops = importlib.import_module("ember.ops.conv")
pool_ops = importlib.import_module("ember.ops.pooling")


def _shape_ops():
    """``ember.ops`` (imported late: this module is part of it)."""
    from ember import ops

    return ops


def _to_last(x, fmt):
    if fmt == "channels_first":
        return _shape_ops().transpose(x, (0, 2, 3, 4, 1))
    return x


def _from_last(y, fmt):
    if fmt == "channels_first":
        return _shape_ops().transpose(y, (0, 4, 1, 2, 3))
    return y


def _fmt(data_format, op):
    fmt = data_format or config.image_data_format()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return fmt


def _check_rank5(x, op):
    if x.ndim != 5:
        raise ValueError(f"{op}: inputs must have rank 5 (batch, 3 spatial axes, channels). "
                         f"Received input shape {tuple(x.shape)}")


def _depth_slice(x, start, stride, count):
    """``x[:, start : start + stride * (count - 1) + 1 : stride]``."""
    return _shape_ops().getitem(
        x, (slice(None), slice(start, start + stride * (count - 1) + 1, stride)))


def _fold(x):
    """(N, D, H, W, C) -> (N * D, H, W, C)."""
    n, d, h, w, c = x.shape
    return _shape_ops().reshape(x, (n * d, h, w, c))


def _unfold(y, n, d):
    return _shape_ops().reshape(y, (n, d) + tuple(y.shape[1:]))


def conv3d(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """3D convolution: inputs (N, D, H, W, C) (or channels first), kernel (kd, kh, kw, C, F).

    Returns (N, OD, OH, OW, F) (or channels first); output sizes as :func:`ember.ops.conv`.
    """
    ops = _shape_ops()
    op = "conv3d"
    fmt = _fmt(data_format, op)
    x = as_float_tensor(inputs)
    k = as_float_tensor(kernel)
    _check_rank5(x, op)
    if k.ndim != 5:
        raise ValueError(f"{op}: the kernel must have rank 5 (kd, kh, kw, in, out). Received "
                         f"kernel shape {tuple(k.shape)}")
    strides = conv_ops.normalize_tuple(strides, 3, "strides", op)
    dilation = conv_ops.normalize_tuple(dilation_rate, 3, "dilation_rate", op)
    padding = conv_ops.normalize_padding(padding, op)
    x = _to_last(x, fmt)
    if k.shape[3] != x.shape[-1]:
        raise ValueError(
            f"{op}: the kernel's input channels (axis -2, {k.shape[3]}) must equal the input's "
            f"channels ({x.shape[-1]}). Received input shape {tuple(x.shape)} and kernel "
            f"shape {tuple(k.shape)}")
    od, (pb, pa) = conv_ops.output_geometry(x.shape[1], k.shape[0], strides[0], dilation[0],
                                            padding)
    if od < 1:
        raise ValueError(f"{op}: the window is larger than the input with padding "
                         f"'{padding}'. Received input shape {tuple(x.shape)} and kernel "
                         f"shape {tuple(k.shape)}")
    if pb or pa:
        x = ops.pad(x, ((0, 0), (pb, pa), (0, 0), (0, 0), (0, 0)))
    n = x.shape[0]
    y = None
    for a in range(k.shape[0]):
        xs = _fold(_depth_slice(x, a * dilation[0], strides[0], od))
        ya = conv_ops.conv(xs, ops.getitem(k, a), strides=strides[1:], padding=padding,
                           data_format="channels_last", dilation_rate=dilation[1:])
        y = ya if y is None else ops.add(y, ya)
    return _from_last(_unfold(y, n, od), fmt)


def _spread(x, axis, stride):
    """Insert ``stride - 1`` zeros between the elements of ``x`` along ``axis``."""
    ops = _shape_ops()
    if stride == 1 or x.shape[axis] == 1:
        return x
    length = x.shape[axis]
    y = ops.expand_dims(x, axis + 1)
    widths = [(0, 0)] * y.ndim
    widths[axis + 1] = (0, stride - 1)
    y = ops.pad(y, widths)
    shape = tuple(x.shape[:axis]) + (length * stride,) + tuple(x.shape[axis + 1:])
    y = ops.reshape(y, shape)
    key = (slice(None),) * axis + (slice(0, (length - 1) * stride + 1),)
    return ops.getitem(y, key)


def conv3d_transpose(inputs, kernel, strides, padding="valid", output_padding=None,
                     data_format=None, dilation_rate=1):
    """3D transposed convolution: kernel (kd, kh, kw, out_channels, in_channels); output sizes
    as :func:`ember.ops.conv.conv_transpose` (Keras's)."""
    ops = _shape_ops()
    op = "conv3d_transpose"
    fmt = _fmt(data_format, op)
    x = as_float_tensor(inputs)
    k = as_float_tensor(kernel)
    _check_rank5(x, op)
    if k.ndim != 5:
        raise ValueError(f"{op}: the kernel must have rank 5 (kd, kh, kw, out, in). Received "
                         f"kernel shape {tuple(k.shape)}")
    strides = conv_ops.normalize_tuple(strides, 3, "strides", op)
    dilation = conv_ops.normalize_tuple(dilation_rate, 3, "dilation_rate", op)
    padding = conv_ops.normalize_padding(padding, op)
    if output_padding is not None:
        output_padding = conv_ops.normalize_tuple(output_padding, 3, "output_padding", op,
                                                  minimum=0)
    x = _to_last(x, fmt)
    if k.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"{op}: the kernel's input channels (last axis, {k.shape[-1]}) must equal the "
            f"input's channels ({x.shape[-1]}). Received input shape {tuple(x.shape)} and "
            f"kernel shape {tuple(k.shape)}")
    widths = [(0, 0)]
    crops = [slice(None)]
    for i in range(3):
        length, ks, s, d = x.shape[1 + i], k.shape[i], strides[i], dilation[i]
        opad = None if output_padding is None else output_padding[i]
        if opad is not None and opad >= s:
            raise ValueError(
                f"{op}: output_padding ({opad}) must be smaller than the stride ({s}). "
                f"Received input shape {tuple(x.shape)} and kernel shape {tuple(k.shape)}")
        out, before = conv_ops.transpose_geometry(length, ks, s, d, padding, opad)
        if out < 1:
            raise ValueError(f"{op}: empty output for input shape {tuple(x.shape)} and kernel "
                             f"shape {tuple(k.shape)}")
        x = _spread(x, 1 + i, s)
        full = (ks - 1) * d
        left = full - before
        right = out + before - (length - 1) * s - 1
        widths.append((left, max(right, 0)))
        crops.append(slice(0, out + full) if right < 0 else slice(None))
    widths.append((0, 0))
    x = ops.pad(x, widths)
    if any(c != slice(None) for c in crops):
        x = ops.getitem(x, tuple(crops))
    kf = ops.flip(k, axis=(0, 1, 2))
    kf = ops.transpose(kf, (0, 1, 2, 4, 3))
    y = conv3d(x, kf, strides=1, padding="valid", data_format="channels_last",
               dilation_rate=dilation)
    return _from_last(y, fmt)


def _pool3d(inputs, pool_size, strides, padding, data_format, mode, op):
    from ember.backend import xp
    ops = _shape_ops()
    fmt = _fmt(data_format, op)
    x = as_float_tensor(inputs)
    _check_rank5(x, op)
    pool = conv_ops.normalize_tuple(pool_size, 3, "pool_size", op)
    strides = pool if strides is None else conv_ops.normalize_tuple(strides, 3, "strides", op)
    padding = conv_ops.normalize_padding(padding, op)
    x = _to_last(x, fmt)
    length = x.shape[1]
    od, (pb, pa) = conv_ops.output_geometry(length, pool[0], strides[0], 1, padding)
    if od < 1:
        raise ValueError(f"{op}: pool_size {pool} is larger than the input (shape "
                         f"{tuple(x.shape)}) with padding '{padding}'")
    if pb or pa:
        fill = float("-inf") if mode == "max" else 0
        x = ops.pad(x, ((0, 0), (pb, pa), (0, 0), (0, 0), (0, 0)), constant_values=fill)
    n = x.shape[0]
    fn = pool_ops.max_pool if mode == "max" else pool_ops.average_pool
    y = None
    for a in range(pool[0]):
        xs = _fold(_depth_slice(x, a, strides[0], od))
        ya = fn(xs, pool[1:], strides=strides[1:], padding=padding,
                data_format="channels_last")
        if y is None:
            y = ya
        else:
            y = ops.maximum(y, ya) if mode == "max" else ops.add(y, ya)
    y = _unfold(y, n, od)
    if mode != "max":
        # the number of real (unpadded) depth positions of each window
        starts = xp.arange(od) * strides[0] - pb
        counts = xp.minimum(starts + pool[0], length) - xp.maximum(starts, 0)
        inv = (1.0 / counts).astype(y.dtype).reshape(1, od, 1, 1, 1)
        y = ops.multiply(y, inv)
    return _from_last(y, fmt)


def max_pool3d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """3D max pooling of (N, D, H, W, C) (or channels first); padding never wins the max."""
    return _pool3d(inputs, pool_size, strides, padding, data_format, "max", "max_pool3d")


def average_pool3d(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """3D average pooling; with ``"same"`` padding each window averages its real elements."""
    return _pool3d(inputs, pool_size, strides, padding, data_format, "average",
                   "average_pool3d")


__all__ = ["conv3d", "conv3d_transpose", "max_pool3d", "average_pool3d"]
