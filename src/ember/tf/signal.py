"""``tf.signal``: Fourier transforms, framing, windows and the short-time Fourier transform,
with TensorFlow's names and conventions, on the engines of :mod:`ember.ops.signal`.

TensorFlow's transforms take and return complex tensors (complex64 for float32 data); ember's
engines work on ``(real, imag)`` pairs, so each wrapper splits its complex input with
``tf.math.real``/``imag`` and joins the result with ``tf.complex``, all differentiable
(:mod:`ember.tf.complex_ops`): gradients flow through every transform, as in TensorFlow.
Window functions build constants (no gradient).
"""

import math

from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.ops._helpers import as_float_tensor, raw
from ember.ops.signal import IRFFT, RFFT, ComplexFFT, OverlapAdd, extract_sequences
from ember.tf.complex_ops import as_complex, complex, imag, real
from ember.tf.errors import InvalidArgumentError


# -- transforms -------------------------------------------------------------------------------
def _parts(stacked):
    """A complex Tensor from an engine's stacked ``(real, imag)`` output."""
    return complex(stacked[0], stacked[1])


def _complex_fft(input, rank, inverse, op):  # noqa: A002
    z = as_complex(input, op)
    if z.ndim < rank:
        raise InvalidArgumentError(
            f"{op}: input must have rank of at least {rank} but got shape "
            f"{tuple(z.shape)}")
    axes = tuple(range(-rank, 0))
    return _parts(ComplexFFT(axes, inverse).apply(real(z), imag(z)))


def fft(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """The discrete Fourier transform over the last axis (a real input is taken as complex)."""
    return _complex_fft(input, 1, False, "fft")


def ifft(input, name=None):  # noqa: A002
    """The inverse discrete Fourier transform over the last axis."""
    return _complex_fft(input, 1, True, "ifft")


def fft2d(input, name=None):  # noqa: A002
    """The 2-D discrete Fourier transform over the last two axes."""
    return _complex_fft(input, 2, False, "fft2d")


def ifft2d(input, name=None):  # noqa: A002
    """The inverse of :func:`fft2d`."""
    return _complex_fft(input, 2, True, "ifft2d")


def fft3d(input, name=None):  # noqa: A002
    """The 3-D discrete Fourier transform over the last three axes."""
    return _complex_fft(input, 3, False, "fft3d")


def ifft3d(input, name=None):  # noqa: A002
    """The inverse of :func:`fft3d`."""
    return _complex_fft(input, 3, True, "ifft3d")


def _fft_lengths(fft_length, rank, default, op):
    """``fft_length`` (a list or 1-D Tensor of ``rank`` positive ints) as a tuple."""
    if fft_length is None:
        return tuple(default)
    if isinstance(fft_length, (int, float)) or xp.ndim(raw(fft_length)) != 1:
        raise TypeError(f"{op}: fft_length must be a list or 1-D tensor of {rank} integers, "
                        f"got {fft_length!r}")
    lengths = tuple(int(n) for n in xp.asarray(raw(fft_length)))
    if len(lengths) != rank or any(n < 0 for n in lengths):
        raise InvalidArgumentError(f"{op}: fft_length must hold {rank} "
                                   f"non-negative integers, got {list(lengths)}")
    return lengths


def _fit_axis(x, n, axis):
    """``x`` cut or zero-padded to ``n`` along ``axis`` (differentiably)."""
    from ember.ops.shape import getitem, pad

    size = x.shape[axis]
    if size >= n:
        index = [slice(None)] * x.ndim
        index[axis] = slice(0, n)
        return getitem(x, tuple(index))
    widths = [(0, 0)] * x.ndim
    widths[axis] = (0, n - size)
    return pad(x, widths)


def _real_input(x, op):
    from ember.ops.elementwise import cast

    x = as_float_tensor(x)
    if x.dtype.kind == "c":
        raise ValueError(f"{op}: input_tensor must be real (float32 or float64), got "
                        f"{x.dtype.name}")
    if x.dtype.name not in ("float32", "float64"):
        x = cast(x, "float32")
    return x


def _rfft_n(input_tensor, fft_length, rank, op):
    x = _real_input(input_tensor, op)
    if x.ndim < rank:
        raise InvalidArgumentError(f"{op}: input must have rank of at least {rank} "
                                   f"but got shape {tuple(x.shape)}")
    lengths = _fft_lengths(fft_length, rank, x.shape[-rank:], op)
    for axis, n in zip(range(-rank, -1), lengths[:-1]):  # the last axis: RFFT pads itself
        x = _fit_axis(x, n, axis)
    out = RFFT(lengths[-1]).apply(x)
    if rank > 1:  # full transforms over the leading axes of the one-sided spectrum
        out = ComplexFFT(tuple(range(-rank, -1)), False).apply(out[0], out[1])
    return _parts(out)


def _irfft_n(input_tensor, fft_length, rank, op):
    z = as_complex(input_tensor, op)
    if z.ndim < rank:
        raise InvalidArgumentError(f"{op}: input must have rank of at least {rank} "
                                   f"but got shape {tuple(z.shape)}")
    default = tuple(z.shape[-rank:-1]) + (2 * (z.shape[-1] - 1),)
    lengths = _fft_lengths(fft_length, rank, default, op)
    re, im = real(z), imag(z)
    if rank > 1:
        for axis, n in zip(range(-rank, -1), lengths[:-1]):
            re, im = _fit_axis(re, n, axis), _fit_axis(im, n, axis)
        out = ComplexFFT(tuple(range(-rank, -1)), True).apply(re, im)
        re, im = out[0], out[1]
    return IRFFT(lengths[-1]).apply(re, im)


def rfft(input_tensor, fft_length=None, name=None):
    """The one-sided Fourier transform of a real signal over its last axis, ``fft_length``
    (a 1-element list) points: ``fft_length // 2 + 1`` complex bins."""
    return _rfft_n(input_tensor, fft_length, 1, "rfft")


def irfft(input_tensor, fft_length=None, name=None):
    """The real signal of ``fft_length`` points (by default ``2 * (bins - 1)``) whose
    one-sided spectrum is ``input_tensor`` (over its last axis)."""
    return _irfft_n(input_tensor, fft_length, 1, "irfft")


def rfft2d(input_tensor, fft_length=None, name=None):
    """The 2-D Fourier transform of a real signal over its last two axes, one-sided in the
    last one."""
    return _rfft_n(input_tensor, fft_length, 2, "rfft2d")


def irfft2d(input_tensor, fft_length=None, name=None):
    """The inverse of :func:`rfft2d`."""
    return _irfft_n(input_tensor, fft_length, 2, "irfft2d")


def rfft3d(input_tensor, fft_length=None, name=None):
    """The 3-D Fourier transform of a real signal over its last three axes, one-sided in the
    last one."""
    return _rfft_n(input_tensor, fft_length, 3, "rfft3d")


def irfft3d(input_tensor, fft_length=None, name=None):
    """The inverse of :func:`rfft3d`."""
    return _irfft_n(input_tensor, fft_length, 3, "irfft3d")


def _shift(x, axes, sign):
    from ember.ops import roll

    x = as_float_tensor(x)
    axes = list(range(x.ndim)) if axes is None else (
        [axes] if isinstance(axes, int) else list(axes))
    for axis in axes:
        x = roll(x, sign * (x.shape[axis] // 2), axis=axis)
    return x


def fftshift(x, axes=None, name=None):
    """Move the zero-frequency term to the centre along ``axes`` (all by default)."""
    return _shift(x, axes, 1)


def ifftshift(x, axes=None, name=None):
    """The inverse of :func:`fftshift`."""
    return _shift(x, axes, -1)


# -- framing ----------------------------------------------------------------------------------
def _positive_int(value, name, op):
    if isinstance(value, Tensor):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{op}: {name} must be a positive integer, got {value!r}")
    return value


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Frames of ``frame_length`` samples every ``frame_step`` along ``axis``: that axis
    becomes ``[num_frames, frame_length]``. ``pad_end`` pads the end with ``pad_value`` so
    that every sample starts a frame's worth of data (``ceil(length / frame_step)`` frames)."""
    from ember.ops import moveaxis
    from ember.ops.shape import pad

    frame_length = _positive_int(frame_length, "frame_length", "frame")
    frame_step = _positive_int(frame_step, "frame_step", "frame")
    x = as_float_tensor(signal)
    if x.ndim < 1:
        raise ValueError("frame: signal must have rank at least 1, got a scalar")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"frame: axis {axis} is out of range for a signal of rank {x.ndim}")
    axis %= x.ndim
    x = moveaxis(x, axis, -1)
    if pad_end:
        length = x.shape[-1]
        frames = -(-length // frame_step)
        extra = max(0, frame_length + frame_step * (frames - 1) - length)
        x = pad(x, [(0, 0)] * (x.ndim - 1) + [(0, extra)], constant_values=pad_value)
    frames = extract_sequences(x, frame_length, frame_step)
    return moveaxis(frames, [-2, -1], [axis, axis + 1])


def overlap_and_add(signal, frame_step, name=None):
    """Frames ``[..., frames, frame_length]`` added at offsets ``i * frame_step``: a signal of
    ``(frames - 1) * frame_step + frame_length`` samples."""
    frame_step = _positive_int(frame_step, "frame_step", "overlap_and_add")
    x = as_float_tensor(signal)
    if x.ndim < 2:
        raise ValueError(f"overlap_and_add: shape {tuple(x.shape)} must have rank at least 2")
    return OverlapAdd(frame_step).apply(x)


# -- windows ----------------------------------------------------------------------------------
def _window_length(window_length, dtype, op):
    from ember.tf.dtypes import as_dtype

    dtype = as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"{op}: dtype must be a floating point type. Found {dtype!r}")
    n = int(window_length)
    if n < 0:
        raise ValueError(f"{op}: window_length must be non-negative, got {n}")
    return n, dtype.as_numpy_dtype


def _raised_cosine(window_length, periodic, dtype, a, op):
    """``a - (1 - a) cos(2 pi k / N)``: TensorFlow's ``N`` is ``length - 1``, or ``length`` for
    a periodic window of even length (an odd length is symmetric either way)."""
    n, np_dtype = _window_length(window_length, dtype, op)
    if n == 1:
        return Tensor(xp.ones(1, np_dtype))
    even = 1 - n % 2
    denominator = n + int(bool(periodic)) * even - 1
    k = xp.arange(n, dtype=np_dtype)
    return Tensor((a - (1 - a) * xp.cos(2 * xp.pi * k / denominator)).astype(np_dtype))


def hann_window(window_length, periodic=True, dtype="float32", name=None):
    """The Hann window ``0.5 - 0.5 cos(2 pi k / N)`` of ``window_length`` points."""
    return _raised_cosine(window_length, periodic, dtype, 0.5, "hann_window")


def hamming_window(window_length, periodic=True, dtype="float32", name=None):
    """The Hamming window ``0.54 - 0.46 cos(2 pi k / N)`` of ``window_length`` points."""
    return _raised_cosine(window_length, periodic, dtype, 0.54, "hamming_window")


def kaiser_window(window_length, beta=12.0, dtype="float32", name=None):
    """The (symmetric) Kaiser window of ``window_length`` points with shape ``beta``."""
    n, np_dtype = _window_length(window_length, dtype, "kaiser_window")
    return Tensor(xp.kaiser(n, beta).astype(np_dtype))


def vorbis_window(window_length, dtype="float32", name=None):
    """The Vorbis power-complementary window ``sin(pi/2 sin(pi (k + 1/2) / N)^2)``."""
    n, np_dtype = _window_length(window_length, dtype, "vorbis_window")
    k = xp.arange(n, dtype="float64")
    return Tensor(xp.sin(xp.pi / 2 * xp.sin(xp.pi * (k + 0.5) / n) ** 2).astype(np_dtype))


# -- short-time Fourier transform -------------------------------------------------------------
def _default_fft_length(frame_length):
    return 2 ** int(math.ceil(math.log2(frame_length)))


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window,
         pad_end=False, name=None):
    """The short-time Fourier transform of real ``signals`` (over the last axis): frames of
    ``frame_length`` every ``frame_step``, tapered by ``window_fn(frame_length, dtype=...)``
    (None: no window) and transformed with ``fft_length`` points (by default the smallest
    power of 2 >= ``frame_length``). Returns ``[..., frames, fft_length // 2 + 1]`` complex."""
    from ember.ops.elementwise import multiply

    x = as_float_tensor(signals)
    if x.dtype.name not in ("float32", "float64"):
        raise ValueError(f"stft: signals must be float32 or float64, got {x.dtype.name}")
    frame_length = _positive_int(frame_length, "frame_length", "stft")
    fft_length = (_default_fft_length(frame_length) if fft_length is None
                  else _positive_int(fft_length, "fft_length", "stft"))
    frames = frame(x, frame_length, frame_step, pad_end=pad_end)
    if window_fn is not None:
        frames = multiply(frames, window_fn(frame_length, dtype=x.dtype.name))
    return rfft(frames, [fft_length])


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window,
                 name=None):
    """The signal whose :func:`stft` is ``stfts``, by overlap-add of the inverse transforms
    of the frames tapered by ``window_fn`` (for perfect reconstruction use
    :func:`inverse_stft_window_fn`)."""
    from ember.ops.elementwise import multiply

    z = as_complex(stfts, "inverse_stft")
    if z.ndim < 2:
        raise ValueError(f"inverse_stft: stfts must have rank at least 2, got shape "
                         f"{tuple(z.shape)}")
    frame_length = _positive_int(frame_length, "frame_length", "inverse_stft")
    fft_length = (_default_fft_length(frame_length) if fft_length is None
                  else _positive_int(fft_length, "fft_length", "inverse_stft"))
    frames = irfft(z, [fft_length])
    frames = _fit_axis(frames, frame_length, -1)  # cut to (or zero-padded up to) frame_length
    if window_fn is not None:
        frames = multiply(frames, window_fn(frame_length, dtype=frames.dtype.name))
    return overlap_and_add(frames, frame_step)


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window function for :func:`inverse_stft` that undoes ``forward_window_fn``: the
    forward window divided by the sum of the squared windows that overlap each sample."""
    frame_step = _positive_int(frame_step, "frame_step", "inverse_stft_window_fn")

    def window_fn(frame_length, dtype="float32"):
        forward = xp.asarray(raw(forward_window_fn(frame_length, dtype=dtype)))
        overlaps = -(-frame_length // frame_step)
        squares = xp.pad(forward * forward, (0, overlaps * frame_step - frame_length))
        denominator = xp.tile(squares.reshape(overlaps, frame_step).sum(0), overlaps)
        return Tensor((forward / denominator[:frame_length]).astype(forward.dtype))

    return window_fn


# -- cosine transforms and mel features -------------------------------------------------------
def _dct_matrix(kind, n, ortho):
    """The ``(n, n)`` matrix ``M`` with ``dct(x) = x @ M`` (scipy.fftpack's definitions)."""
    k = xp.arange(n)[None, :]  # output index
    j = xp.arange(n)[:, None]  # input index
    if kind == 1:
        m = 2 * xp.cos(xp.pi * j * k / (n - 1))
        m[0], m[-1] = 1.0, (-1.0) ** xp.arange(n)
        return m
    if kind == 2:
        m = 2 * xp.cos(xp.pi * k * (2 * j + 1) / (2 * n))
        if ortho:
            m = m * xp.where(k == 0, xp.sqrt(1 / (4 * n)), xp.sqrt(1 / (2 * n)))
        return m
    if kind == 3:
        m = 2 * xp.cos(xp.pi * j * (2 * k + 1) / (2 * n))
        m[0] = 1.0
        if ortho:
            m = m * xp.where(j == 0, 1 / xp.sqrt(n), 1 / xp.sqrt(2 * n))
        return m
    m = 2 * xp.cos(xp.pi * (2 * j + 1) * (2 * k + 1) / (4 * n))
    return m / xp.sqrt(2 * n) if ortho else m


def _dct(input, kind, n, axis, norm, op):  # noqa: A002
    from ember.ops import tensordot

    if axis != -1:
        raise NotImplementedError(f"{op}: axis must be -1. Got: {axis}")
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"{op}: n should be a positive integer or None")
    if kind not in (1, 2, 3, 4):
        raise ValueError(f"{op}: types I, II, III and IV (I)DCT are supported.")
    if norm not in (None, "ortho"):
        raise ValueError(f"{op}: unknown normalization. Expected None or 'ortho', got: {norm}")
    x = as_float_tensor(input)
    if x.dtype.name not in ("float32", "float64"):
        raise TypeError(f"{op}: input must be float32 or float64, got {x.dtype.name}")
    if n is not None:
        x = _fit_axis(x, n, -1)
    size = x.shape[-1]
    if kind == 1 and norm == "ortho":
        raise ValueError(f"{op}: normalization is not supported for the Type-I DCT.")
    if kind == 1 and size < 2:
        raise ValueError(f"{op}: Type-I DCT requires the dimension to be greater than one.")
    matrix = _dct_matrix(kind, size, norm == "ortho").astype(x.dtype)
    return tensordot(x, matrix, axes=1)


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The discrete cosine transform (types 1 to 4, as scipy.fftpack) over the last axis, the
    input cut or zero-padded to ``n``; ``norm="ortho"`` makes types 2 to 4 orthonormal."""
    return _dct(input, type, n, axis, norm, "dct")


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002
    """The inverse DCT: the DCT of the inverse type (2 and 3 swap), so that
    ``idct(dct(x)) = 2 N x`` without normalization and ``x`` with ``norm="ortho"``."""
    inverse = {1: 1, 2: 3, 3: 2, 4: 4}.get(type, type)
    return _dct(input, inverse, n, axis, norm, "idct")


def _hertz_to_mel(f):
    return 1127.0 * xp.log1p(f / 700.0)  # the HTK mel scale, as TensorFlow


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000,
                                lower_edge_hertz=125.0, upper_edge_hertz=3800.0,
                                dtype="float32", name=None):
    """``[num_spectrogram_bins, num_mel_bins]`` weights that turn a linear-frequency magnitude
    spectrum (``spectrum @ weights``) into ``num_mel_bins`` triangular mel bands between the
    edge frequencies; the DC bin gets no weight (as TensorFlow)."""
    from ember.tf.dtypes import as_dtype

    if num_mel_bins <= 0:
        raise ValueError(f"num_mel_bins must be positive. Got: {num_mel_bins}")
    if lower_edge_hertz < 0.0:
        raise ValueError(f"lower_edge_hertz must be non-negative. Got: {lower_edge_hertz}")
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError(f"lower_edge_hertz {lower_edge_hertz} >= upper_edge_hertz "
                         f"{upper_edge_hertz}")
    if sample_rate <= 0.0:
        raise ValueError(f"sample_rate must be positive. Got: {sample_rate}")
    if upper_edge_hertz > sample_rate / 2:
        raise ValueError("upper_edge_hertz must not be larger than the Nyquist frequency "
                         f"(sample_rate / 2). Got {upper_edge_hertz} for sample_rate: "
                         f"{sample_rate}")
    dtype = as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"linear_to_mel_weight_matrix: dtype must be a floating point type, "
                         f"got {dtype!r}")
    spectrum_mel = _hertz_to_mel(
        xp.linspace(0.0, sample_rate / 2, num_spectrogram_bins)[1:])[:, None]
    edges = xp.linspace(_hertz_to_mel(lower_edge_hertz), _hertz_to_mel(upper_edge_hertz),
                        num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (spectrum_mel - lower) / (center - lower)
    falling = (upper - spectrum_mel) / (upper - center)
    weights = xp.maximum(0.0, xp.minimum(rising, falling))
    weights = xp.concatenate([xp.zeros((1, num_mel_bins)), weights])
    return Tensor(weights.astype(dtype.as_numpy_dtype))


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """Mel-frequency cepstral coefficients: the orthonormally scaled type-II DCT of log-mel
    spectrograms (``[..., num_mel_bins]``), as TensorFlow and HTK."""
    from ember.ops import multiply

    x = as_float_tensor(log_mel_spectrograms)
    bins = x.shape[-1] if x.ndim else 0
    if bins < 1:
        raise ValueError(f"mfccs_from_log_mel_spectrograms: num_mel_bins must be positive. "
                         f"Got shape: {tuple(x.shape)}")
    return multiply(dct(x, type=2), xp.asarray(1.0 / math.sqrt(2.0 * bins), x.dtype))


def kaiser_bessel_derived_window(window_length, beta=12.0, dtype="float32", name=None):
    """The Kaiser-Bessel-derived window (power complementary, for the MDCT): the square root
    of the running sum of a Kaiser window of ``window_length // 2 + 1`` points, mirrored."""
    n, np_dtype = _window_length(window_length, dtype, "kaiser_bessel_derived_window")
    running = xp.cumsum(raw(kaiser_window(n // 2 + 1, beta, "float64")))
    half = xp.sqrt(running[:-1] / running[-1])
    return Tensor(xp.concatenate([half, half[::-1]]).astype(np_dtype))


def _quarters(frames):
    from ember.ops.shape import getitem

    q = frames.shape[-1] // 4
    return [getitem(frames, (Ellipsis, slice(i * q, (i + 1) * q))) for i in range(4)]


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """The modified discrete cosine transform of frames of ``frame_length`` (a multiple of 4)
    overlapping by half, tapered by ``window_fn`` (None: ``1/sqrt(2)``): ``[..., frames,
    frame_length // 2]``. With a power-complementary window (Vorbis, KBD) :func:`inverse_mdct`
    reconstructs the signal."""
    from ember.ops import concatenate, flip, multiply, negative, subtract

    frame_length = _positive_int(frame_length, "frame_length", "mdct")
    if frame_length % 4:
        raise ValueError(f"mdct: the frame length must be a multiple of 4, got {frame_length}")
    x = as_float_tensor(signals)
    if x.dtype.name not in ("float32", "float64"):
        raise ValueError(f"mdct: signals must be float32 or float64, got {x.dtype.name}")
    frames = frame(x, frame_length, frame_length // 2, pad_end=pad_end)
    taper = (window_fn(frame_length, dtype=x.dtype.name) if window_fn is not None
             else xp.asarray(1 / math.sqrt(2), x.dtype))
    a, b, c, d = _quarters(multiply(frames, taper))
    first = subtract(negative(flip(c, -1)), d)
    second = subtract(a, flip(b, -1))
    return dct(concatenate([first, second], axis=-1), type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """The signal whose :func:`mdct` is ``mdcts`` (``[..., frames, frame_length // 2]``), by
    time-domain aliasing cancellation: the frames' inverse transforms, tapered by
    ``window_fn``, overlapped and added."""
    from ember.ops import concatenate, flip, multiply, negative

    z = as_float_tensor(mdcts)
    if z.ndim < 2:
        raise ValueError(f"inverse_mdct: mdcts must have rank at least 2, got shape "
                         f"{tuple(z.shape)}")
    if norm not in (None, "ortho"):
        raise ValueError(f"inverse_mdct: unknown normalization. Expected None or 'ortho', got: "
                         f"{norm}")
    half = z.shape[-1]
    y = dct(z, type=4, norm=norm)
    if norm is None:
        y = multiply(y, xp.asarray(0.5 / half, z.dtype))
    q = half // 2
    first, second = y[..., :q], y[..., q:]
    frames = concatenate([second, negative(flip(second, -1)), negative(flip(first, -1)),
                          negative(first)], axis=-1)
    taper = (window_fn(2 * half, dtype=z.dtype.name) if window_fn is not None
             else xp.asarray(1 / math.sqrt(2), z.dtype))
    return overlap_and_add(multiply(frames, taper), half)


__all__ = ["dct", "fft", "fft2d", "fft3d", "fftshift", "frame", "hamming_window", "hann_window",
           "idct", "ifft", "ifft2d", "ifft3d", "ifftshift", "inverse_mdct", "inverse_stft",
           "inverse_stft_window_fn", "irfft", "irfft2d", "irfft3d", "kaiser_bessel_derived_window",
           "kaiser_window", "linear_to_mel_weight_matrix", "mdct",
           "mfccs_from_log_mel_spectrograms", "overlap_and_add", "rfft", "rfft2d", "rfft3d",
           "stft", "vorbis_window"]
