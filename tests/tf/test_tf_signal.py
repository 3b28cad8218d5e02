"""tf.signal: transforms, framing, windows and the STFT with TensorFlow's conventions (checked
against TensorFlow 2.21); expected values from NumPy's FFT and window formulas. The engines are
tested in tests/ops/test_signal.py."""

import numpy as np
import pytest

import ember as tf
from ember.autodiff.gradcheck import check_gradients
from ember.tf.errors import InvalidArgumentError

RNG = np.random.default_rng(0)
X = np.array([1.0, 2.0, 0.0, -1.0, 3.0], "float32")
M = RNG.normal(size=(3, 4, 6)).astype("float32")


def _np(t):
    return np.asarray(t)


def close(got, want, tol=1e-5):
    np.testing.assert_allclose(_np(got), want, rtol=tol, atol=tol)


# -- complex transforms -----------------------------------------------------------------------
@pytest.mark.parametrize("fn, ref, rank", [
    (tf.signal.fft, np.fft.fft, 1), (tf.signal.ifft, np.fft.ifft, 1),
    (tf.signal.fft2d, np.fft.fft2, 2), (tf.signal.ifft2d, np.fft.ifft2, 2),
    (tf.signal.fft3d, np.fft.fftn, 3), (tf.signal.ifft3d, np.fft.ifftn, 3)])
def test_complex_transforms(fn, ref, rank):
    z = M + 1j * M[::-1]
    axes = tuple(range(-rank, 0))
    out = fn(tf.complex(M, M[::-1].copy()))
    assert out.dtype == np.complex64 and out.shape == M.shape
    close(out, ref(z, axes=axes) if rank > 1 else ref(z), 1e-4)
    with pytest.raises(InvalidArgumentError, match=f"rank of at least {rank}"):
        fn(tf.complex(np.float32(1.0), np.float32(0.0)))


def test_fft_of_real_and_integer_input_is_complex64():
    out = tf.signal.fft(X)
    assert out.dtype == np.complex64
    close(out, np.fft.fft(X))
    assert tf.signal.fft(np.array([1, 2], "int32")).dtype == np.complex64


def test_complex_transform_gradients():
    def power(a, b):
        return tf.abs(tf.signal.fft2d(tf.complex(a, b))) ** 2

    a, b = M[0].astype("float64"), M[1].astype("float64")
    check_gradients(power, [a, b])
    check_gradients(lambda a, b: tf.math.real(tf.signal.ifft(tf.complex(a, b)))
                    * tf.math.imag(tf.signal.ifft3d(tf.complex(a[None], b[None])))[0], [a, b])
    va, vb = tf.Variable(X), tf.Variable(X)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.abs(tf.signal.fft(tf.complex(va, vb))) ** 2)
    ga, gb = tape.gradient(y, [va, vb])
    close(ga, 2 * len(X) * X, 1e-5)  # Parseval: sum |F z|^2 = n sum |z|^2
    close(gb, 2 * len(X) * X, 1e-5)


# -- real transforms --------------------------------------------------------------------------
def test_rfft_and_irfft():
    out = tf.signal.rfft(X)
    assert out.dtype == np.complex64 and out.shape == (3,)
    close(out, np.fft.rfft(X))
    close(tf.signal.rfft(X, [8]), np.fft.rfft(X, 8))
    close(tf.signal.rfft(X, [3]), np.fft.rfft(X, 3))
    assert tf.signal.rfft(X.astype("float64")).dtype == np.complex128
    close(tf.signal.irfft(tf.signal.rfft(X)), np.fft.irfft(np.fft.rfft(X)))
    close(tf.signal.irfft(tf.signal.rfft(X), [5]), X)
    back = tf.signal.irfft(X)  # a real spectrum is read as complex
    assert back.dtype == np.float32
    close(back, np.fft.irfft(X))


def test_rfft2d_3d_and_inverses():
    close(tf.signal.rfft2d(M, [5, 8]), np.fft.rfft2(M, s=(5, 8)), 1e-4)
    close(tf.signal.rfft3d(M), np.fft.rfftn(M), 1e-4)
    z = np.fft.rfft2(M).astype("complex64")
    close(tf.signal.irfft2d(z), np.fft.irfft2(z), 1e-4)
    close(tf.signal.irfft2d(z, [2, 6]), np.fft.irfft2(z, s=(2, 6)), 1e-4)
    z3 = np.fft.rfftn(M).astype("complex64")
    close(tf.signal.irfft3d(z3), M, 1e-4)


def test_real_transform_gradients():
    x = M[0].astype("float64")
    check_gradients(lambda x: tf.abs(tf.signal.rfft(x, [8])), [x])
    check_gradients(lambda x: tf.abs(tf.signal.rfft2d(x, [3, 5])), [x])
    check_gradients(lambda x: tf.signal.irfft2d(tf.signal.rfft2d(x) * 2.0, [4, 6]), [x])
    spec = np.fft.rfft(x)
    check_gradients(lambda a, b: tf.signal.irfft(tf.complex(a, b), [6]),
                    [spec.real.copy(), spec.imag.copy()])


def test_real_transform_errors():
    with pytest.raises(ValueError, match="must be real"):
        tf.signal.rfft(tf.complex(1.0, 1.0))
    with pytest.raises(InvalidArgumentError, match="hold 1 non-negative"):
        tf.signal.rfft(X, [2, 2])
    with pytest.raises(TypeError, match="list or 1-D tensor"):
        tf.signal.rfft(X, 8)
    with pytest.raises(InvalidArgumentError, match="rank of at least 2"):
        tf.signal.rfft2d(X)
    with pytest.raises(InvalidArgumentError, match="rank of at least 3"):
        tf.signal.irfft3d(tf.complex(X, X))


def test_fftshift_and_ifftshift():
    a = np.arange(5)
    assert _np(tf.signal.fftshift(a)).tolist() == np.fft.fftshift(a).tolist()
    m = np.arange(6).reshape(2, 3)
    assert _np(tf.signal.ifftshift(m, axes=1)).tolist() == np.fft.ifftshift(m, axes=1).tolist()
    assert _np(tf.signal.ifftshift(tf.signal.fftshift(m))).tolist() == m.tolist()
    check_gradients(lambda x: tf.signal.fftshift(x, axes=[0]) * np.arange(4.0), [M[0, 0, :4]
                                                                                   .astype("float64")])


# -- framing ----------------------------------------------------------------------------------
def _frames(x, length, step):
    n = max(0, (len(x) - length) // step + 1)
    return np.stack([x[i * step:i * step + length] for i in range(n)]) if n else np.zeros(
        (0, length), x.dtype)


def test_frame():
    s = np.arange(10, dtype="float32")
    np.testing.assert_array_equal(_np(tf.signal.frame(s, 4, 3)), _frames(s, 4, 3))
    padded = tf.signal.frame(s, 4, 3, pad_end=True, pad_value=-1)
    np.testing.assert_array_equal(_np(padded), _frames(np.r_[s, [-1, -1, -1]], 4, 3))
    assert tf.signal.frame(np.arange(3, dtype="float32"), 4, 3).shape == (0, 4)
    m = np.arange(20, dtype="float32").reshape(10, 2)
    out = tf.signal.frame(m, 4, 3, axis=0)
    assert out.shape == (3, 4, 2)
    np.testing.assert_array_equal(_np(out)[:, :, 1], _frames(m[:, 1], 4, 3))
    check_gradients(lambda x: tf.signal.frame(x, 3, 2, pad_end=True) ** 2,
                    [M[0, 0].astype("float64")])


def test_frame_errors():
    with pytest.raises(ValueError, match="frame_length must be a positive integer"):
        tf.signal.frame(X, 0, 2)
    with pytest.raises(ValueError, match="rank at least 1"):
        tf.signal.frame(np.float32(1.0), 2, 1)
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        tf.signal.frame(X, 2, 1, axis=3)


def test_overlap_and_add():
    frames = RNG.normal(size=(2, 3, 4)).astype("float32")
    want = np.zeros((2, 8), "float32")
    for i in range(3):
        want[:, 2 * i:2 * i + 4] += frames[:, i]
    close(tf.signal.overlap_and_add(frames, 2), want)
    check_gradients(lambda f: tf.signal.overlap_and_add(f, 3) ** 2, [frames.astype("float64")])
    with pytest.raises(ValueError, match="rank at least 2"):
        tf.signal.overlap_and_add(np.ones(4, "float32"), 2)


# -- windows ----------------------------------------------------------------------------------
def _raised_cosine(n, a, denominator):
    return a - (1 - a) * np.cos(2 * np.pi * np.arange(n) / denominator)


def test_hann_and_hamming_windows():
    # TensorFlow: periodic matters only for an even length (N = length, else length - 1)
    close(tf.signal.hann_window(4), _raised_cosine(4, 0.5, 4))
    close(tf.signal.hann_window(4, periodic=False), _raised_cosine(4, 0.5, 3))
    close(tf.signal.hann_window(5), _raised_cosine(5, 0.5, 4))
    w = tf.signal.hamming_window(4, dtype=tf.float64)
    assert w.dtype == np.float64
    close(w, _raised_cosine(4, 0.54, 4))
    close(tf.signal.hamming_window(7, periodic=False), np.hamming(7))
    assert _np(tf.signal.hann_window(1)).tolist() == [1.0]
    assert tf.signal.hann_window(0).shape == (0,)
    with pytest.raises(ValueError, match="floating point"):
        tf.signal.hann_window(4, dtype=tf.int32)
    with pytest.raises(ValueError, match="non-negative"):
        tf.signal.hamming_window(-1)


def test_kaiser_and_vorbis_windows():
    close(tf.signal.kaiser_window(5, beta=3.0), np.kaiser(5, 3.0))
    assert _np(tf.signal.kaiser_window(1)).tolist() == [1.0]
    k = np.arange(4)
    close(tf.signal.vorbis_window(4), np.sin(np.pi / 2 * np.sin(np.pi * (k + 0.5) / 4) ** 2))
    assert tf.signal.vorbis_window(4, dtype="float64").dtype == np.float64


# -- STFT -------------------------------------------------------------------------------------
S = np.sin(np.arange(64, dtype="float32") / 3)


def test_stft_matches_framing_windowing_and_rfft():
    out = tf.signal.stft(S, 12, 8)
    assert out.shape == (7, 9) and out.dtype == np.complex64  # fft_length: 16
    w = _raised_cosine(12, 0.5, 12)
    close(out, np.fft.rfft(_frames(S, 12, 8) * w, 16), 1e-4)
    assert tf.signal.stft(S, 12, 8, pad_end=True).shape == (8, 9)
    assert tf.signal.stft(S, 16, 8, fft_length=20).shape == (7, 11)
    # lengths may be scalar tensors
    assert tf.signal.stft(S, tf.constant(16), tf.constant(8), tf.constant(20)).shape == (7, 11)
    with pytest.raises(ValueError, match="fft_length must be a positive integer"):
        tf.signal.stft(S, 16, 8, fft_length=0)
    close(tf.signal.stft(S, 16, 8, window_fn=None), np.fft.rfft(_frames(S, 16, 8), 16), 1e-4)
    with pytest.raises(ValueError, match="float32 or float64"):
        tf.signal.stft(np.arange(64), 16, 8)


def test_stft_gradient():
    check_gradients(lambda x: tf.abs(tf.signal.stft(x, 4, 2, fft_length=8)),
                    [S[:16].astype("float64")])
    a = tf.Variable(X)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.abs(tf.signal.stft(a, 2, 1, fft_length=4)))
    # frames [x_i, x_i+1] * hann(2) = [0, x_i+1]: |bins| = |x_i+1| each of the 3 bins
    want = np.r_[0.0, 3 * np.sign(X[1:])]
    close(tape.gradient(y, a), want)


def test_inverse_stft():
    spec = tf.signal.stft(S, 16, 4)
    plain = tf.signal.inverse_stft(spec, 16, 4)
    frames = np.fft.irfft(_np(spec), 16) * _raised_cosine(16, 0.5, 16)
    want = np.zeros(64)
    for i, f in enumerate(frames):
        want[4 * i:4 * i + 16] += f
    assert plain.shape == (64,) and plain.dtype == np.float32
    close(plain, want, 1e-4)
    inv = tf.signal.inverse_stft(spec, 16, 4,
                                 window_fn=tf.signal.inverse_stft_window_fn(4))
    close(_np(inv)[16:-16], S[16:-16], 1e-5)  # perfect reconstruction away from the edges
    assert tf.signal.inverse_stft(spec, 16, 4, fft_length=8).shape == (64,)
    check_gradients(lambda a, b: tf.signal.inverse_stft(tf.complex(a, b), 4, 2),
                    [RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3))])
    with pytest.raises(ValueError, match="rank at least 2"):
        tf.signal.inverse_stft(tf.complex(X, X), 4, 2)


def test_inverse_stft_window_fn_normalises_the_overlap():
    w = _raised_cosine(8, 0.5, 8)
    sq = np.r_[w * w, [0.0]].reshape(3, 3).sum(0)
    close(tf.signal.inverse_stft_window_fn(3)(8, tf.float32), w / np.tile(sq, 3)[:8])
    with pytest.raises(ValueError, match="frame_step must be a positive integer"):
        tf.signal.inverse_stft_window_fn(0)


# -- cosine transforms and mel features -------------------------------------------------------
D = RNG.normal(size=(2, 6)).astype("float32")


def _dct_reference(x, kind, ortho=False):
    """scipy.fftpack's DCT definitions, written as sums."""
    x = x.astype("float64")
    n = x.shape[-1]
    j = np.arange(n)
    out = np.zeros_like(x)
    for k in range(n):
        if kind == 1:
            inner = 2 * (x[..., 1:-1] * np.cos(np.pi * k * j[1:-1] / (n - 1))).sum(-1)
            out[..., k] = x[..., 0] + (-1) ** k * x[..., -1] + inner
        elif kind == 2:
            out[..., k] = 2 * (x * np.cos(np.pi * k * (2 * j + 1) / (2 * n))).sum(-1)
            if ortho:
                out[..., k] *= np.sqrt(1 / (4 * n)) if k == 0 else np.sqrt(1 / (2 * n))
        elif kind == 3:
            terms = x[..., 1:] * np.cos(np.pi * j[1:] * (2 * k + 1) / (2 * n))
            out[..., k] = (x[..., 0] / np.sqrt(n) + np.sqrt(2 / n) * terms.sum(-1) if ortho
                           else x[..., 0] + 2 * terms.sum(-1))
        else:
            out[..., k] = 2 * (x * np.cos(np.pi * (2 * j + 1) * (2 * k + 1) / (4 * n))).sum(-1)
            if ortho:
                out[..., k] /= np.sqrt(2 * n)
    return out


@pytest.mark.parametrize("kind, norm", [(1, None), (2, None), (2, "ortho"), (3, None),
                                        (3, "ortho"), (4, None), (4, "ortho")])
def test_dct_types(kind, norm):
    out = tf.signal.dct(D, type=kind, norm=norm)
    assert out.dtype == np.float32
    close(out, _dct_reference(D, kind, norm == "ortho"), 1e-5)
    check_gradients(lambda x: tf.signal.dct(x, type=kind, norm=norm), [D.astype("float64")])


def test_dct_length_and_idct():
    close(tf.signal.dct(D, n=4), _dct_reference(D[:, :4], 2), 1e-5)
    close(tf.signal.dct(D, n=8), _dct_reference(np.pad(D, [(0, 0), (0, 2)]), 2), 1e-5)
    close(tf.signal.idct(tf.signal.dct(D)), 2 * D.shape[-1] * D, 1e-4)
    close(tf.signal.idct(tf.signal.dct(D, norm="ortho"), norm="ortho"), D, 1e-5)
    close(tf.signal.idct(D, type=3), _dct_reference(D, 2), 1e-5)
    assert tf.signal.dct(D.astype("float64")).dtype == np.float64


def test_dct_errors():
    with pytest.raises(ValueError, match="not supported for the Type-I"):
        tf.signal.dct(D, type=1, norm="ortho")
    with pytest.raises(ValueError, match="types I, II, III and IV"):
        tf.signal.dct(D, type=5)
    with pytest.raises(NotImplementedError, match="axis must be -1"):
        tf.signal.dct(D, axis=0)
    with pytest.raises(TypeError, match="float32 or float64"):
        tf.signal.dct(np.arange(4, dtype="int32"))
    with pytest.raises(ValueError, match="unknown normalization"):
        tf.signal.idct(D, norm="foo")
    with pytest.raises(ValueError, match="positive integer"):
        tf.signal.dct(D, n=0)
    with pytest.raises(ValueError, match="greater than one"):
        tf.signal.dct(D[:, :1], type=1)


def _mel(f):
    return 1127.0 * np.log(1.0 + f / 700.0)


def test_linear_to_mel_weight_matrix():
    w = tf.signal.linear_to_mel_weight_matrix(4, 9, 8000, 100.0, 3000.0)
    assert w.shape == (9, 4) and w.dtype == np.float32
    # each band is a triangle in mel between consecutive edges; the DC bin has no weight
    edges = np.linspace(_mel(100.0), _mel(3000.0), 6)
    freqs = _mel(np.linspace(0, 4000.0, 9))
    want = np.zeros((9, 4))
    for b in range(4):
        lo, mid, hi = edges[b:b + 3]
        want[1:, b] = np.clip(np.minimum((freqs[1:] - lo) / (mid - lo),
                                         (hi - freqs[1:]) / (hi - mid)), 0, None)
    close(w, want, 1e-6)
    default = tf.signal.linear_to_mel_weight_matrix(dtype=tf.float64)
    assert default.shape == (129, 20) and default.dtype == np.float64


@pytest.mark.parametrize("kwargs, match", [
    ({"num_mel_bins": 0}, "num_mel_bins must be positive"),
    ({"lower_edge_hertz": -1.0}, "must be non-negative"),
    ({"lower_edge_hertz": 3000.0, "upper_edge_hertz": 100.0}, ">= upper_edge_hertz"),
    ({"upper_edge_hertz": 5000.0}, "Nyquist"),
    ({"sample_rate": 0}, "sample_rate must be positive"),
    ({"dtype": "int32"}, "floating point"),
])
def test_linear_to_mel_weight_matrix_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tf.signal.linear_to_mel_weight_matrix(**kwargs)


def test_mfccs_from_log_mel_spectrograms():
    out = tf.signal.mfccs_from_log_mel_spectrograms(D)
    close(out, _dct_reference(D, 2) / np.sqrt(2 * D.shape[-1]), 1e-5)
    check_gradients(tf.signal.mfccs_from_log_mel_spectrograms, [D.astype("float64")])
    with pytest.raises(ValueError, match="num_mel_bins must be positive"):
        tf.signal.mfccs_from_log_mel_spectrograms(np.zeros((2, 0), "float32"))


def test_audio_pipeline_of_the_tutorials():
    """stft -> magnitude -> mel -> log -> mfcc, differentiable end to end."""
    wave = np.sin(np.arange(256, dtype="float32") / 5)
    mel = tf.signal.linear_to_mel_weight_matrix(8, 33, 16000, 20.0, 8000.0)
    x = tf.Variable(wave)
    with tf.GradientTape() as tape:
        spec = tf.abs(tf.signal.stft(x, 64, 32))
        log_mel = tf.math.log(tf.tensordot(spec, mel, 1) + 1e-6)
        mfcc = tf.signal.mfccs_from_log_mel_spectrograms(log_mel)
        loss = tf.reduce_sum(mfcc[..., :4])
    assert spec.shape == (7, 33) and mfcc.shape == (7, 8)
    grad = tape.gradient(loss, x)
    assert grad.shape == (256,) and np.isfinite(_np(grad)).all() and np.abs(_np(grad)).sum() > 0
    frames = _frames(wave, 64, 32) * _raised_cosine(64, 0.5, 64)
    want = np.log(np.abs(np.fft.rfft(frames, 64)) @ _np(mel) + 1e-6)
    close(log_mel, want, 1e-4)


def test_stft_replays_under_tf_function():
    @tf.function
    def magnitude(x):
        return tf.abs(tf.signal.stft(x, 4, 2, fft_length=4))

    for scale in (1.0, 2.0):  # a replayed trace computes on the new input
        s = S[:16] * scale
        np.testing.assert_allclose(_np(magnitude(tf.constant(s))),
                                   np.abs(_np(tf.signal.stft(s, 4, 2, fft_length=4))),
                                   rtol=1e-5)


# -- MDCT -------------------------------------------------------------------------------------
W = RNG.normal(size=(2, 40)).astype("float32")


def test_kaiser_bessel_derived_window():
    k = np.kaiser(5, 4.0)
    half = np.sqrt(np.cumsum(k)[:-1] / k.sum())
    close(tf.signal.kaiser_bessel_derived_window(8, beta=4.0), np.r_[half, half[::-1]])
    w = _np(tf.signal.kaiser_bessel_derived_window(16))
    close(w[:8] ** 2 + w[8:] ** 2, np.ones(8))  # power complementary
    assert tf.signal.kaiser_bessel_derived_window(7).shape == (6,)  # TensorFlow's even length


def _mdct_reference(x, length, window):
    """The textbook MDCT (2 times, TensorFlow's unnormalized scale) of half-overlapping
    windowed frames."""
    n_half = length // 2
    frames = _frames(x.astype("float64"), length, n_half) * window
    n, k = np.arange(length)[:, None], np.arange(n_half)[None, :]
    return 2 * frames @ np.cos(np.pi / n_half * (n + 0.5 + n_half / 2) * (k + 0.5))


def test_mdct():
    out = tf.signal.mdct(W, 8)
    assert out.shape == (2, 9, 4) and out.dtype == np.float32
    vorbis = _np(tf.signal.vorbis_window(8)).astype("float64")
    for row, got in zip(W, _np(out)):
        close(got, _mdct_reference(row, 8, vorbis), 1e-4)
    plain = tf.signal.mdct(W, 8, window_fn=None, norm="ortho")
    # no window: 1/sqrt(2); "ortho": the DCT-IV scaled by 1/sqrt(2 N), N = 4
    ortho = _mdct_reference(W[0], 8, np.full(8, 1 / np.sqrt(2))) / np.sqrt(2 * 4)
    close(_np(plain)[0], ortho, 1e-5)
    assert tf.signal.mdct(W, 8, pad_end=True).shape == (2, 10, 4)
    check_gradients(lambda x: tf.signal.mdct(x, 4), [W[0, :12].astype("float64")])
    with pytest.raises(ValueError, match="multiple of 4"):
        tf.signal.mdct(W, 6)


def test_inverse_mdct_reconstructs_the_signal():
    for window in (tf.signal.vorbis_window, tf.signal.kaiser_bessel_derived_window):
        for norm in (None, "ortho"):
            back = tf.signal.inverse_mdct(tf.signal.mdct(W, 8, window_fn=window, norm=norm),
                                          window_fn=window, norm=norm)
            assert back.shape == (2, 40)
            close(_np(back)[:, 4:-4], W[:, 4:-4], 1e-5)  # aliasing cancels away from the ends
    check_gradients(lambda m: tf.signal.inverse_mdct(m, norm="ortho"),
                    [RNG.normal(size=(3, 4))])
    with pytest.raises(ValueError, match="rank at least 2"):
        tf.signal.inverse_mdct(W[0])
    with pytest.raises(ValueError, match="unknown normalization"):
        tf.signal.inverse_mdct(W.reshape(2, 10, 4), norm="foo")
