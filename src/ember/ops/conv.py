"""Convolutions (1D and 2D, channels_last inside): conv, depthwise_conv, separable_conv and
conv_transpose, with their gradients.

A convolution is one GEMM: the input's windows are gathered through a strided view (im2col)
into an ``(N * OH * OW, KH * KW * C)`` matrix that multiplies the kernel seen as
``(KH * KW * C, O)``. The backward is GEMMs as well: the kernel gradient is ``cols.T @ gy`` and
the input gradient is scattered back (col2im) by a loop over the ``KH * KW`` kernel positions:
for each, one GEMM ``gy @ kernel[i, j].T`` added into a strided slice over the whole batch
(contiguous rows, and no ``(N * OH * OW, KH * KW * C)`` temporary). A 1D convolution is a 2D
one with a height of 1.

Padding ``'same'`` follows TensorFlow: ``pad_total = max((ceil(in / s) - 1) * s + (k - 1) * d +
1 - in, 0)``, with the extra element at the end.
"""

from ember import config
from ember.autodiff.function import Function, is_float_dtype
from ember.autodiff.tensor import Tensor
from ember.backend import kernels, xp
from ember.backend.half import einsum as _einsum
from ember.backend.half import matmul as _gemm  # float16/bfloat16 through a float32 GEMM
from ember.ops._helpers import binary_operands, raw
from ember.ops._parallel import for_batches

_as_strided = xp.lib.stride_tricks.as_strided


# -- geometry ------------------------------------------------------------------------------------
def normalize_tuple(value, n, name, op, minimum=1):
    """``value`` (an int or a sequence of ``n`` ints >= ``minimum``) as a tuple of ``n`` ints."""
    try:
        t = (int(value),) * n if isinstance(value, int) else tuple(int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints. "
                         f"Received: {name}={value!r}") from None
    if len(t) == 1 and n > 1:
        t = t * n
    if len(t) != n or any(v < minimum for v in t):
        kind = "positive ints" if minimum == 1 else f"ints >= {minimum}"
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} {kind}. "
                         f"Received: {name}={value!r}")
    return t


def normalize_padding(padding, op):
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"{op}: padding must be 'valid' or 'same'. Received: padding={padding!r}")
    return p


def output_geometry(in_size, k_size, stride, dilation, padding):
    """``(out_size, (pad_before, pad_after))`` along one axis, with TensorFlow's rule."""
    k_eff = (k_size - 1) * dilation + 1
    if padding == "valid":
        return (in_size - k_eff) // stride + 1, (0, 0)
    out = -(-in_size // stride)
    total = max((out - 1) * stride + k_eff - in_size, 0)
    return out, (total // 2, total - total // 2)


def _plan(in_hw, k_hw, strides, dilation, padding, op, shapes):
    out_hw, pads = [], []
    for size, k, s, d in zip(in_hw, k_hw, strides, dilation):
        o, p = output_geometry(size, k, s, d, padding)
        if o < 1:
            raise ValueError(
                f"{op}: the window ({k} with dilation {d}) is larger than the input "
                f"({size}) with padding '{padding}'. Received shapes {shapes[0]} and {shapes[1]}")
        out_hw.append(o)
        pads.append(p)
    return tuple(out_hw), tuple(pads)


# -- im2col / col2im ----------------------------------------------------------------------------
def pad_hw(x, pads, value=0):
    """``x`` (N, H, W, C) with ``pads`` ((top, bottom), (left, right)) of ``value`` around."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, h, w, c = x.shape
    out = xp.full((n, h + pt + pb, w + pl + pr, c), value, dtype=x.dtype)
    out[:, pt:pt + h, pl:pl + w] = x
    return out


def crop_hw(g, pads, hw):
    (pt, _), (pl, _) = pads
    if g.shape[1:3] == tuple(hw):
        return g
    return g[:, pt:pt + hw[0], pl:pl + hw[1]]


def windows(xpad, k_hw, strides, dilation, out_hw):
    """A read-only view (N, OH, OW, KH, KW, C) of every window of ``xpad``: no copy."""
    n, _, _, c = xpad.shape
    sn, sh, sw, sc = xpad.strides
    return _as_strided(
        xpad, shape=(n, out_hw[0], out_hw[1], k_hw[0], k_hw[1], c),
        strides=(sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc),
        writeable=False)


def position(a, i, j, strides, dilation, out_hw):
    """The strided slice of ``a`` (N, H, W, C) that kernel position (i, j) sees."""
    r0, c0 = i * dilation[0], j * dilation[1]
    return a[:, r0:r0 + strides[0] * (out_hw[0] - 1) + 1:strides[0],
             c0:c0 + strides[1] * (out_hw[1] - 1) + 1:strides[1]]


def im2col(xpad, k_hw, strides, dilation, out_hw):
    """The ``(N * OH * OW, KH * KW * C)`` window matrix (a transposed view of a contiguous
    ``(KH * KW, N * OH * OW)`` array when C is 1, which is cheaper to fill)."""
    n, _, _, c = xpad.shape
    kh, kw = k_hw
    rows = n * out_hw[0] * out_hw[1]
    if c == 1:
        cols = xp.empty((kh, kw, n, out_hw[0], out_hw[1], 1), dtype=xpad.dtype)

        def fill(b):
            for i in range(kh):
                for j in range(kw):
                    cols[i, j, b] = position(xpad[b], i, j, strides, dilation, out_hw)

        for_batches(fill, n, cols.nbytes)
        return cols.reshape(kh * kw, rows).T
    cols = xp.empty((n, out_hw[0], out_hw[1], kh, kw, c), dtype=xpad.dtype)
    win = windows(xpad, k_hw, strides, dilation, out_hw)

    def copy(b):
        cols[b] = win[b]

    for_batches(copy, n, cols.nbytes)
    return cols.reshape(rows, kh * kw * c)


def col2im(a2, k4, padded_shape, strides, dilation, out_hw):
    """The adjoint of ``im2col`` applied to ``a2 @ kmat.T``: the GEMMs ``a2 @ k4[i, j].T``
    for every kernel position (rows N*OH*OW, contiguous per position), each added into its
    strided slice of an array of ``padded_shape``. ``a2`` is (N*OH*OW, Ca), ``k4`` (KH, KW, C,
    Ca)."""
    n, _, _, c = padded_shape
    kh, kw = k4.shape[:2]
    kernel = kernels.get("col2im") if a2.dtype == k4.dtype == xp.float32 else None
    if kernel is not None:
        # one GEMM for every position at once, then one compiled pass adds the windows back
        gcols = (a2 @ k4.reshape(kh * kw * c, -1).T).reshape(n, out_hw[0], out_hw[1], -1)
        g = xp.zeros(padded_shape, dtype=a2.dtype)
        h, w = padded_shape[1:3]

        def add(b):
            kernel(gcols[b], g[b], b.stop - b.start, h, w, c, out_hw[0], out_hw[1], kh, kw,
                   strides[0], strides[1], dilation[0], dilation[1])

        for_batches(add, n, gcols.nbytes)
        return g
    parts = _gemm(a2, k4.reshape(kh * kw, c, -1).transpose(0, 2, 1))
    parts = parts.reshape(kh, kw, n, out_hw[0], out_hw[1], c)
    g = xp.zeros(padded_shape, dtype=a2.dtype)
    disjoint = strides[0] >= (kh - 1) * dilation[0] + 1 and \
        strides[1] >= (kw - 1) * dilation[1] + 1

    def scatter(b):
        gb = g[b]
        for i in range(kh):
            for j in range(kw):
                s = position(gb, i, j, strides, dilation, out_hw)
                if disjoint:
                    s[...] = parts[i, j, b]
                else:
                    xp.add(s, parts[i, j, b], out=s)

    for_batches(scatter, n, parts.nbytes)
    return g


def _to_2d(x, k):
    """Views of 1D operands as 2D ones with a height of 1."""
    if x.ndim == 3:
        return x[:, None], k[None]
    return x, k


# -- conv ----------------------------------------------------------------------------------------
class Conv(Function):
    """``y = conv(x, k)``: x (N, H, W, C) or (N, W, C); k (KH, KW, C, O) or (KW, C, O).

    With ``bias`` and/or ``relu`` it is ``relu(conv(x, k) + b)`` in one op: the bias and the
    ReLU are applied in place to the GEMM's output, and the backward folds the ReLU mask and
    the bias gradient in (a convolution layer's whole forward, without two more big arrays).
    """

    def __init__(self, strides, dilation, padding, bias=False, relu=False):
        self.strides, self.dilation, self.padding = strides, dilation, padding
        self.bias, self.relu = bias, relu

    def forward(self, x, k, b=None):
        x4, k4 = _to_2d(x, k)
        kh, kw, c, o = k4.shape
        out_hw, pads = _plan(x4.shape[1:3], (kh, kw), self.strides, self.dilation,
                             self.padding, "conv", (x.shape, k.shape))
        xpad = pad_hw(x4, pads)
        cols = im2col(xpad, (kh, kw), self.strides, self.dilation, out_hw)
        kmat = k4.reshape(kh * kw * c, o)
        y = _gemm(cols, kmat)
        if self.bias or self.relu:
            _bias_relu(y, b, self.relu)
        if self.recording:
            self.saved = (cols, kmat, x.shape, k.shape, xpad.shape, pads, out_hw,
                          y if self.relu else None)
        y = y.reshape((x4.shape[0],) + out_hw + (o,))
        return y if x.ndim == 4 else y[:, 0]

    def backward(self, gy):
        cols, kmat, x_shape, k_shape, pad_shape, pads, out_hw, y = self.saved
        gy2 = gy.reshape(-1, kmat.shape[1])
        if self.relu:
            gy2 = _relu_grad(gy2, y)
        gx = gk = gb = None
        if self.needs[1]:
            gk = _gemm(cols.T, gy2).reshape(k_shape)
        if self.needs[0]:
            k4 = kmat.reshape((1,) * (4 - len(k_shape)) + k_shape)
            g = col2im(gy2, k4, pad_shape, self.strides, self.dilation, out_hw)
            in_hw = (1, x_shape[1]) if len(x_shape) == 3 else x_shape[1:3]
            gx = crop_hw(g, pads, in_hw).reshape(x_shape)
        if not self.bias:
            return gx, gk
        if self.needs[2]:
            gb = _gemm(xp.ones(gy2.shape[0], dtype=gy2.dtype), gy2)
        return gx, gk, gb


def _bias_relu(y, b, relu):
    """``y = relu(y + b)`` in place on the rows of ``y`` (split over the cores)."""

    def run(rows):
        part = y[rows]
        if b is not None:
            part += b
        if relu:
            xp.maximum(part, 0, out=part)

    for_batches(run, len(y), y.nbytes)


def _relu_grad(gy2, y):
    """``gy2 * (y > 0)``, split over the cores."""
    g = xp.empty(gy2.shape, dtype=gy2.dtype)

    def run(rows):
        xp.multiply(gy2[rows], y[rows] > 0, out=g[rows])

    for_batches(run, len(g), g.nbytes)
    return g


def _conv_args(op, inputs, kernel, strides, padding, data_format, dilation_rate):
    """Validated operands (channels_last Tensors) and geometry for a conv op."""
    x, k = binary_operands(inputs, kernel, op)
    xs, ks = xp.shape(raw(x)), xp.shape(raw(k))
    if len(xs) not in (3, 4):
        raise ValueError(
            f"{op}: inputs must have rank 3 (1D), 4 (2D) or 5 (3D), batch first. "
            f"Received input shape {xs} and kernel shape {ks}")
    if len(ks) != len(xs):
        raise ValueError(
            f"{op}: a {len(xs) - 2}D input needs a kernel of rank {len(xs)}. "
            f"Received input shape {xs} and kernel shape {ks}")
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    n = len(xs) - 2
    strides = normalize_tuple(strides, n, "strides", op)
    dilation = normalize_tuple(dilation_rate, n, "dilation_rate", op)
    padding = normalize_padding(padding, op)
    if n == 1:
        strides, dilation = (1,) + strides, (1,) + dilation
    if data_format == "channels_first":
        from ember.ops.shape import transpose

        x = transpose(x, (0,) + tuple(range(2, len(xs))) + (1,))
    return x, k, strides, dilation, padding, data_format


def _channels_back(y, data_format):
    if data_format == "channels_first":
        from ember.ops.shape import transpose

        nd = y.ndim
        return transpose(y, (0, nd - 1) + tuple(range(1, nd - 1)))
    return y


def _float_kernel(x, k, op):
    for t in (x, k):
        if not is_float_dtype(t.dtype):
            raise TypeError(f"{op}: inputs and kernel must be floats. Received dtypes "
                            f"{x.dtype} and {k.dtype} (shapes {x.shape} and {k.shape})")


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (1D or 2D), as ``keras.ops.conv``.

    Args:
        inputs: (batch, width, channels) or (batch, height, width, channels) (channels first
            with ``data_format="channels_first"``).
        kernel: (kw, in_channels, out_channels) or (kh, kw, in_channels, out_channels).
        strides, dilation_rate: an int or one int per spatial axis.
        padding: ``"valid"`` or ``"same"`` (TensorFlow's rule).

    Returns:
        (batch, out_width, out_channels) or (batch, out_height, out_width, out_channels).
    """
    if xp.ndim(raw(inputs)) == 5:  # 3D: built on the 2D op (ember.ops.volumetric)
        from ember.ops.volumetric import conv3d

        return conv3d(inputs, kernel, strides, padding, data_format, dilation_rate)
    x, k, strides, dilation, padding, fmt = _conv_args(
        "conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    xs, ks = x.shape, xp.shape(raw(k))
    if ks[-2] != xs[-1]:
        if ks[-2] and xs[-1] % ks[-2] == 0:
            raise ValueError(
                f"conv: grouped convolution (input channels {xs[-1]}, kernel input channels "
                f"{ks[-2]}) is not supported. Received input shape {xs} and kernel shape {ks}")
        raise ValueError(
            f"conv: the kernel's input channels (axis -2, {ks[-2]}) must equal the input's "
            f"channels ({xs[-1]}). Received input shape {xs} and kernel shape {ks}")
    k = k if isinstance(k, Tensor) else Tensor(xp.asarray(k))
    _float_kernel(x, k, "conv")
    return _channels_back(Conv(strides, dilation, padding).apply(x, k), fmt)


def conv_bias_act(inputs, kernel, bias=None, relu=False, strides=1, padding="valid",
                  data_format=None, dilation_rate=1):
    """``relu(conv(inputs, kernel) + bias)`` (ReLU only when ``relu``; no bias when None) as
    one op: a convolution layer's forward without the two extra full-size arrays that a
    separate add and ReLU make, forward and backward. Arguments as :func:`conv`; ``bias`` has
    one value per output channel."""
    if bias is None and not relu:
        return conv(inputs, kernel, strides, padding, data_format, dilation_rate)
    x, k, strides, dilation, padding, fmt = _conv_args(
        "conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    xs, ks = x.shape, xp.shape(raw(k))
    if ks[-2] != xs[-1]:
        return conv(inputs, kernel, strides, padding, data_format, dilation_rate)  # the error
    k = k if isinstance(k, Tensor) else Tensor(xp.asarray(k))
    _float_kernel(x, k, "conv")
    operands = [x, k]
    if bias is not None:
        bs = xp.shape(raw(bias))
        if bs != (ks[-1],):
            raise ValueError(
                f"conv_bias_act: bias must have one value per output channel, shape "
                f"({ks[-1]},). Received bias shape {bs} and kernel shape {ks}")
        operands.append(bias if isinstance(bias, Tensor) else Tensor(
            xp.asarray(raw(bias), dtype=x.dtype)))
    op = Conv(strides, dilation, padding, bias=bias is not None, relu=bool(relu))
    return _channels_back(op.apply(*operands), fmt)


# -- depthwise ------------------------------------------------------------------------------------
class DepthwiseConv(Function):
    """Each input channel convolved with its own ``multiplier`` filters: k (KH, KW, C, M),
    output channel ``c * M + m``. A loop over kernel positions, each a batched product."""

    def __init__(self, strides, dilation, padding):
        self.strides, self.dilation, self.padding = strides, dilation, padding

    def forward(self, x, k):
        x4, k4 = _to_2d(x, k)
        kh, kw, c, m = k4.shape
        out_hw, pads = _plan(x4.shape[1:3], (kh, kw), self.strides, self.dilation,
                             self.padding, "depthwise_conv", (x.shape, k.shape))
        xpad = pad_hw(x4, pads)
        y = xp.zeros((x4.shape[0],) + out_hw + (c, m), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                s = position(xpad, i, j, self.strides, self.dilation, out_hw)
                y += s[..., None] * k4[i, j]
        if self.recording:
            self.saved = (xpad, k4, x.shape, k.shape, pads, out_hw)
        y = y.reshape(y.shape[:3] + (c * m,))
        return y if x.ndim == 4 else y[:, 0]

    def backward(self, gy):
        xpad, k4, x_shape, k_shape, pads, out_hw = self.saved
        kh, kw, c, m = k4.shape
        gy5 = gy.reshape((xpad.shape[0],) + out_hw + (c, m))
        gx = gk = None
        if self.needs[1]:
            gk = xp.empty(k4.shape, dtype=gy.dtype)
            for i in range(kh):
                for j in range(kw):
                    s = position(xpad, i, j, self.strides, self.dilation, out_hw)
                    gk[i, j] = _einsum("nhwc,nhwcm->cm", s, gy5)
            gk = gk.reshape(k_shape)
        if self.needs[0]:
            g = xp.zeros(xpad.shape, dtype=gy.dtype)
            for i in range(kh):
                for j in range(kw):
                    s = position(g, i, j, self.strides, self.dilation, out_hw)
                    s += _einsum("nhwcm,cm->nhwc", gy5, k4[i, j])
            in_hw = (1, x_shape[1]) if len(x_shape) == 3 else x_shape[1:3]
            gx = crop_hw(g, pads, in_hw).reshape(x_shape)
        return gx, gk


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Depthwise convolution (1D or 2D), as ``keras.ops.depthwise_conv``.

    ``kernel`` is (kh, kw, in_channels, depth_multiplier) (or (kw, in_channels, multiplier)
    in 1D); the output has ``in_channels * depth_multiplier`` channels.
    """
    x, k, strides, dilation, padding, fmt = _conv_args(
        "depthwise_conv", inputs, kernel, strides, padding, data_format, dilation_rate)
    xs, ks = x.shape, xp.shape(raw(k))
    if ks[-2] != xs[-1]:
        raise ValueError(
            f"depthwise_conv: the kernel's input channels (axis -2, {ks[-2]}) must equal the "
            f"input's channels ({xs[-1]}). Received input shape {xs} and kernel shape {ks}")
    k = k if isinstance(k, Tensor) else Tensor(xp.asarray(k))
    _float_kernel(x, k, "depthwise_conv")
    return _channels_back(DepthwiseConv(strides, dilation, padding).apply(x, k), fmt)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution, as
    ``keras.ops.separable_conv``."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, 1)


# -- conv_transpose ------------------------------------------------------------------------------
def transpose_geometry(in_size, k_size, stride, dilation, padding, output_padding):
    """``(out_size, pad_before)`` of a transposed convolution along one axis (Keras's
    output length; the crop of the full result follows TensorFlow)."""
    k_eff = (k_size - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            out = in_size * stride + max(k_eff - stride, 0)
        else:
            out = in_size * stride
    else:
        pad = k_eff // 2 if padding == "same" else 0
        out = (in_size - 1) * stride + k_eff - 2 * pad + output_padding
    before = 0
    if padding == "same":
        before = max((in_size - 1) * stride + k_eff - out, 0) // 2
    return out, before


class ConvTranspose(Function):
    """The transpose (adjoint) of ``conv``: x (N, H, W, Cin), k (KH, KW, Cout, Cin)."""

    def __init__(self, strides, dilation, out_hw, before):
        self.strides, self.dilation = strides, dilation
        self.out_hw, self.before = out_hw, before

    def _full_shape(self, x4, k4):
        n, h, w, _ = x4.shape
        kh, kw, cout, _ = k4.shape
        full = []
        for size, k, s, d, o, b in zip((h, w), (kh, kw), self.strides, self.dilation,
                                       self.out_hw, self.before):
            full.append(max((size - 1) * s + (k - 1) * d + 1, b + o))
        return (n, full[0], full[1], cout)

    def forward(self, x, k):
        x4, k4 = _to_2d(x, k)
        n, h, w, cin = x4.shape
        kh, kw, cout, _ = k4.shape
        kmat = k4.reshape(kh * kw * cout, cin)
        x2 = x4.reshape(-1, cin)
        full = self._full_shape(x4, k4)
        g = col2im(x2, k4, full, self.strides, self.dilation, (h, w))
        pads = ((self.before[0], 0), (self.before[1], 0))
        y = crop_hw(g, pads, self.out_hw)
        if self.recording:
            self.saved = (x2, kmat, x.shape, k.shape, full, pads, (h, w))
        y = y if x.ndim == 4 else y[:, 0]
        return xp.ascontiguousarray(y)

    def backward(self, gy):
        x2, kmat, x_shape, k_shape, full, pads, in_hw = self.saved
        gy4 = gy[:, None] if gy.ndim == 3 else gy
        (pt, _), (pl, _) = pads
        gfull = xp.zeros(full, dtype=gy.dtype)
        gfull[:, pt:pt + gy4.shape[1], pl:pl + gy4.shape[2]] = gy4
        k_hw = (1,) + k_shape[:1] if len(k_shape) == 3 else k_shape[:2]
        cols = im2col(gfull, k_hw, self.strides, self.dilation, in_hw)
        gx = gk = None
        if self.needs[0]:
            gx = _gemm(cols, kmat).reshape(x_shape)
        if self.needs[1]:
            gk = _gemm(cols.T, x2).reshape(k_shape)
        return gx, gk


def conv_transpose(inputs, kernel, strides, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    """Transposed convolution (1D or 2D), as ``keras.ops.conv_transpose``.

    ``kernel`` is (kh, kw, out_channels, in_channels) (or (kw, out, in) in 1D). The output
    length per axis is Keras's: ``in * s + max(k - s, 0)`` for ``'valid'``, ``in * s`` for
    ``'same'``, or ``(in - 1) * s + k - 2 * pad + output_padding`` when ``output_padding`` is
    given.
    """
    if xp.ndim(raw(inputs)) == 5:
        from ember.ops.volumetric import conv3d_transpose

        return conv3d_transpose(inputs, kernel, strides, padding, output_padding, data_format,
                                dilation_rate)
    x, k, strides, dilation, padding, fmt = _conv_args(
        "conv_transpose", inputs, kernel, strides, padding, data_format, dilation_rate)
    xs, ks = x.shape, xp.shape(raw(k))
    if ks[-1] != xs[-1]:
        raise ValueError(
            f"conv_transpose: the kernel's input channels (last axis, {ks[-1]}) must equal the "
            f"input's channels ({xs[-1]}). Received input shape {xs} and kernel shape {ks}")
    n = len(xs) - 2
    if output_padding is not None:
        output_padding = normalize_tuple(output_padding, n, "output_padding", "conv_transpose",
                                         minimum=0)
        if n == 1:
            output_padding = (0,) + output_padding
    in_hw = (1, xs[1]) if n == 1 else xs[1:3]
    k_hw = (1, ks[0]) if n == 1 else ks[:2]
    out_hw, before = [], []
    for a in range(2):
        if n == 1 and a == 0:
            out_hw.append(1)
            before.append(0)
            continue
        op = None if output_padding is None else output_padding[a]
        if op is not None and op >= strides[a]:
            raise ValueError(
                f"conv_transpose: output_padding ({op}) must be smaller than the stride "
                f"({strides[a]}). Received input shape {xs} and kernel shape {ks}")
        o, b = transpose_geometry(in_hw[a], k_hw[a], strides[a], dilation[a], padding, op)
        if o < 1:
            raise ValueError(f"conv_transpose: empty output for input shape {xs} and kernel "
                             f"shape {ks}")
        out_hw.append(o)
        before.append(b)
    k = k if isinstance(k, Tensor) else Tensor(xp.asarray(k))
    _float_kernel(x, k, "conv_transpose")
    y = ConvTranspose(strides, dilation, tuple(out_hw), tuple(before)).apply(x, k)
    return _channels_back(y, fmt)


__all__ = ["conv", "conv_bias_act", "depthwise_conv", "separable_conv", "conv_transpose"]
