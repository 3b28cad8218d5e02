"""Fourier transforms and framing (``keras.ops.fft``, ``rfft``, ``stft``, ...).

As in Keras, complex values travel as a ``(real, imag)`` pair of float tensors. Each transform is
one :class:`Function` whose forward returns real and imaginary parts stacked on a new first axis
(split again by the wrapper), and whose backward is the adjoint transform.
"""

from ember import config
from ember.autodiff.function import Function
from ember.backend import xp
from ember.ops._helpers import raw, tensor_arg


def _pair(x, op):
    """The real and imaginary parts of ``x``, checked as Keras does."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"{op}: input x should be a tuple of two tensors - real and imaginary. "
            f"Received: {type(x).__name__}")
    real, imag = (tensor_arg(v) for v in x)
    sr, si = xp.shape(raw(real)), xp.shape(raw(imag))
    if sr != si:
        raise ValueError(
            f"{op}: the real and imaginary parts must have the same shape. Received: "
            f"x[0].shape = {sr}, x[1].shape = {si}")
    if xp.asarray(raw(real)).dtype.kind != "f" or xp.asarray(raw(imag)).dtype.kind != "f":
        raise ValueError(
            f"{op}: at least one tensor in input x is not of type float. Received dtypes "
            f"{xp.asarray(raw(real)).dtype} and {xp.asarray(raw(imag)).dtype}")
    return real, imag


def _float(x, op):
    from ember.ops.elementwise import cast

    x = tensor_arg(x)
    if xp.asarray(raw(x)).dtype.kind != "f":
        x = cast(x, config.floatx())
    if xp.ndim(raw(x)) < 1:
        raise ValueError(f"{op}: input must have rank >= 1. Received a scalar")
    return x


def _split(y):
    from ember.ops.shape import getitem

    return getitem(y, 0), getitem(y, 1)


def _stack(z, dtype):
    return xp.stack([z.real, z.imag]).astype(dtype, copy=False)


def _fit(a, n, axis=-1):
    """``a`` cut or zero-padded to length ``n`` along ``axis`` (NumPy's ``n`` argument)."""
    size = a.shape[axis]
    if size >= n:
        return xp.take(a, xp.arange(n), axis=axis)
    widths = [(0, 0)] * a.ndim
    widths[axis] = (0, n - size)
    return xp.pad(a, widths)


class ComplexFFT(Function):
    """``fft``/``ifft`` over ``axes`` of ``real + i imag``. As a real-linear map its adjoint is
    the opposite transform times the number of points (``conj(F) = n * ifft``)."""

    def __init__(self, axes, inverse):
        self.axes, self.inverse = axes, inverse

    def _transform(self, z, inverse):
        return (xp.fft.ifftn if inverse else xp.fft.fftn)(z, axes=self.axes)

    def forward(self, real, imag):
        return _stack(self._transform(real + 1j * imag, self.inverse), real.dtype)

    def backward(self, gy):
        n = 1
        for a in self.axes:
            n *= gy.shape[1:][a]
        g = self._transform(gy[0] + 1j * gy[1], not self.inverse)
        g = g * n if not self.inverse else g / n
        return g.real.astype(gy.dtype, copy=False), g.imag.astype(gy.dtype, copy=False)


class RFFT(Function):
    """The one-sided spectrum of a real signal, ``n`` points: the adjoint pads the gradient to
    ``n`` bins and applies ``conj(F)``, keeping the real part."""

    def __init__(self, n):
        self.n = n

    def forward(self, x):
        self.length = x.shape[-1]
        return _stack(xp.fft.rfft(x, n=self.n), x.dtype)

    def backward(self, gy):
        g = _fit(gy[0] + 1j * gy[1], self.n)
        gx = (xp.fft.ifft(g) * self.n).real
        return (_fit(gx, self.length).astype(gy.dtype, copy=False),)


class IRFFT(Function):
    """The real signal of ``n`` points with a one-sided spectrum. Bin ``k`` counts twice
    except the DC bin and (``n`` even) the Nyquist bin, whose imaginary parts are ignored."""

    def __init__(self, n):
        self.n = n

    def forward(self, real, imag):
        self.bins = real.shape[-1]
        return xp.fft.irfft(real + 1j * imag, n=self.n).astype(real.dtype, copy=False)

    def backward(self, gy):
        n = self.n
        g = xp.fft.rfft(gy)  # n // 2 + 1 bins: those irfft reads
        weight = xp.full(g.shape[-1], 2.0 / n)
        weight[0] = 1.0 / n
        if n % 2 == 0:
            weight[-1] = 1.0 / n
        g = _fit(g * weight, self.bins)
        return g.real.astype(gy.dtype, copy=False), g.imag.astype(gy.dtype, copy=False)


def fft(x):
    """The discrete Fourier transform along the last axis of ``x = (real, imag)``; returns
    ``(real, imag)``."""
    real, imag = _pair(x, "fft")
    return _split(ComplexFFT((-1,), False).apply(real, imag))


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of ``x = (real, imag)``."""
    real, imag = _pair(x, "fft2")
    if xp.ndim(raw(real)) < 2:
        raise ValueError(f"fft2: input must have rank >= 2. Received shape "
                         f"{xp.shape(raw(real))}")
    return _split(ComplexFFT((-2, -1), False).apply(real, imag))


def ifft2(x):
    """The inverse of :func:`fft2`."""
    real, imag = _pair(x, "ifft2")
    if xp.ndim(raw(real)) < 2:
        raise ValueError(f"ifft2: input must have rank >= 2. Received shape "
                         f"{xp.shape(raw(real))}")
    return _split(ComplexFFT((-2, -1), True).apply(real, imag))


def _length(n, default, op):
    if n is None:
        return default
    if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
        raise ValueError(f"{op}: fft_length must be a positive integer. Received: {n!r}")
    return n


def rfft(x, fft_length=None):
    """The one-sided discrete Fourier transform of the real signal ``x`` along its last axis,
    ``fft_length`` points (``x`` cut or zero-padded; by default its length): returns
    ``(real, imag)`` with ``fft_length // 2 + 1`` bins."""
    x = _float(x, "rfft")
    n = _length(fft_length, xp.shape(raw(x))[-1], "rfft")
    return _split(RFFT(n).apply(x))


def irfft(x, fft_length=None):
    """The real signal of ``fft_length`` points (by default ``2 * (bins - 1)``) whose one-sided
    spectrum is ``x = (real, imag)`` along the last axis."""
    real, imag = _pair(x, "irfft")
    n = _length(fft_length, 2 * (xp.shape(raw(real))[-1] - 1), "irfft")
    return IRFFT(n).apply(real, imag)


def _frame_indices(length, sequence_length, sequence_stride):
    frames = max(0, (length - sequence_length) // sequence_stride + 1)
    return (xp.arange(frames)[:, None] * sequence_stride
            + xp.arange(sequence_length)[None, :])


def _check_framing(sequence_length, sequence_stride, op):
    for name, v in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride)):
        if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{op}: {name} must be a positive integer. Received: {name}={v!r}")


def extract_sequences(x, sequence_length, sequence_stride):
    """Windows of ``sequence_length`` samples every ``sequence_stride`` along the last axis:
    ``(..., num_sequences, sequence_length)``."""
    from ember.ops.shape import take

    _check_framing(sequence_length, sequence_stride, "extract_sequences")
    x = tensor_arg(x)
    if xp.ndim(raw(x)) < 1:
        raise ValueError("extract_sequences: input must have rank >= 1. Received a scalar")
    idx = _frame_indices(xp.shape(raw(x))[-1], sequence_length, sequence_stride)
    return take(x, idx, axis=-1)


class OverlapAdd(Function):
    """Frames ``(..., num_frames, frame_length)`` summed at offsets ``i * stride``: the adjoint
    of framing, so its backward frames the gradient."""

    def __init__(self, stride):
        self.stride = stride

    def forward(self, frames):
        num, size = frames.shape[-2:]
        total = size + self.stride * (num - 1)
        self.idx = _frame_indices(total, size, self.stride)
        batch = frames.shape[:-2]
        out = xp.zeros((total,) + batch, frames.dtype)
        xp.add.at(out, self.idx.reshape(-1), xp.moveaxis(frames.reshape(batch + (-1,)), -1, 0))
        return xp.moveaxis(out, 0, -1)

    def backward(self, gy):
        return (gy[..., self.idx],)


def _window(window, sequence_length, fft_length, dtype, op):
    """The window, zero-padded on both sides to ``fft_length`` (as Keras centres it); no
    window is all ones over ``fft_length`` (Keras's choice)."""
    if window is None:
        return xp.ones(fft_length, dtype=dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f'{op}: a string window must be one of "hann", "hamming". Received: '
                f"window={window!r}")
        # periodic windows (scipy.signal.get_window's default, which Keras uses)
        a = 0.5 if window == "hann" else 0.54
        phase = 2 * xp.pi * xp.arange(sequence_length) / sequence_length
        win = (a - (1 - a) * xp.cos(phase)).astype(dtype)
    else:
        win = xp.asarray(raw(window), dtype=dtype)
        if win.ndim != 1 or win.shape[0] != sequence_length:
            raise ValueError(
                f"{op}: the shape of window must be [sequence_length] = [{sequence_length}]. "
                f"Received: window shape={win.shape}")
    left = (fft_length - sequence_length) // 2
    return xp.pad(win, (left, fft_length - sequence_length - left))


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """The short-time Fourier transform along the last axis: windows of ``sequence_length``
    samples every ``sequence_stride`` (``center``: the signal reflect-padded by
    ``fft_length // 2`` first), each tapered by ``window`` (``"hann"``, ``"hamming"``, an array
    or None) and transformed with ``fft_length`` points. Returns ``(real, imag)`` of shape
    ``(..., num_sequences, fft_length // 2 + 1)``."""
    from ember.ops.elementwise import multiply
    from ember.ops.shape import pad

    x = tensor_arg(x)
    dtype = xp.asarray(raw(x)).dtype
    if dtype not in (xp.float32, xp.float64):
        raise TypeError(f"stft: expected a float32 or float64 input. Received: {dtype}")
    _check_framing(sequence_length, sequence_stride, "stft")
    if not isinstance(fft_length, int) or fft_length < sequence_length:
        raise ValueError(
            f"stft: fft_length must be an integer >= sequence_length. Received: "
            f"sequence_length={sequence_length}, fft_length={fft_length}")
    win = _window(window, sequence_length, fft_length, dtype, "stft")
    if center:
        widths = [(0, 0)] * (xp.ndim(raw(x)) - 1) + [(fft_length // 2, fft_length // 2)]
        x = pad(x, widths, mode="reflect")
    frames = multiply(extract_sequences(x, fft_length, sequence_stride), win)
    return _split(RFFT(fft_length).apply(frames))


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The inverse of :func:`stft` (weighted overlap-add): ``x = (real, imag)`` of shape
    ``(..., num_sequences, fft_length // 2 + 1)`` in, the signal out, cut to ``length``
    samples when given."""
    from ember.ops.elementwise import divide, multiply
    from ember.ops.shape import getitem

    real, imag = _pair(x, "istft")
    shape = xp.shape(raw(real))
    if len(shape) < 2:
        raise ValueError(f"istft: input must have rank >= 2. Received shape {shape}")
    _check_framing(sequence_length, sequence_stride, "istft")
    dtype = xp.asarray(raw(real)).dtype
    win = _window(window, sequence_length, fft_length, dtype, "istft")
    frames = multiply(IRFFT(fft_length).apply(real, imag), win)
    signal = OverlapAdd(sequence_stride).apply(frames)
    # divide by the overlapping squared window (where it is not ~0), as scipy's istft
    norm = OverlapAdd(sequence_stride).forward(xp.broadcast_to(win * win, shape[-2:-1] + win.shape))
    scale = xp.where(norm > 1e-10, norm, 1.0)
    if window is None:  # Keras's scaling without a window
        scale = scale * (sequence_stride / fft_length)
    signal = divide(signal, scale.astype(dtype))
    start = fft_length // 2 if center else 0
    total = fft_length + sequence_stride * (shape[-2] - 1)
    if length is not None:
        end = start + length
    else:
        end = total - fft_length // 2 if center else total
    return getitem(signal, (Ellipsis, slice(start, end)))


__all__ = ["fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "extract_sequences"]
