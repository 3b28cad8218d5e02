"""fft, fft2, ifft2, rfft, irfft, stft, istft, extract_sequences: NumPy references, gradients
against finite differences, float32, errors."""

import numpy as np
import pytest

import ember
from ember import ops
from ember.ops import signal

from .helpers import assert_grads, close, float32_run, rand


def _complex(pair):
    return pair[0].data + 1j * pair[1].data


def test_names_in_ops():
    for name in signal.__all__:
        assert getattr(ops, name) is getattr(signal, name)


@pytest.mark.parametrize("name,ref", [("fft", np.fft.fft), ("fft2", np.fft.fft2),
                                      ("ifft2", np.fft.ifft2)])
def test_complex_transforms(name, ref):
    fn = getattr(signal, name)
    re, im = rand((2, 3, 4), 1), rand((2, 3, 4), 2)
    close(_complex(fn((re, im))), ref(re + 1j * im))
    assert_grads(lambda a, b: ops.stack(fn((a, b))), re, im)


@pytest.mark.parametrize("n", [None, 4, 6, 9])
def test_rfft(n):
    x = rand((2, 6), 3)
    close(_complex(signal.rfft(x, n)), np.fft.rfft(x, n=n))
    assert_grads(lambda a: ops.stack(signal.rfft(a, n)), x)


@pytest.mark.parametrize("bins,n", [(4, None), (4, 6), (4, 7), (4, 3), (4, 12), (5, 8)])
def test_irfft(bins, n):
    re, im = rand((2, bins), 4), rand((2, bins), 5)
    close(signal.irfft((re, im), n).data, np.fft.irfft(re + 1j * im, n=n))
    assert_grads(lambda a, b: signal.irfft((a, b), n), re, im)


def test_float32_stays_float32_and_ints_become_floatx():
    x = rand((3, 8), 6)
    for fn in (lambda a: ops.stack(signal.fft((a, a))), lambda a: ops.stack(signal.rfft(a)),
               lambda a: signal.irfft((a, a)), lambda a: ops.stack(signal.stft(a, 4, 2, 4))):
        y, (g,) = float32_run(fn, x)
        assert g is not None
    assert signal.rfft(np.arange(8))[0].dtype == np.float32


@pytest.mark.parametrize("length,stride", [(3, 2), (4, 4), (1, 1), (8, 3)])
def test_extract_sequences(length, stride):
    x = rand((2, 8), 7)
    starts = range(0, 8 - length + 1, stride)
    ref = np.stack([x[:, s:s + length] for s in starts], axis=1)
    close(signal.extract_sequences(x, length, stride).data, ref)
    assert_grads(lambda a: signal.extract_sequences(a, length, stride), x)


def _hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


@pytest.mark.parametrize("center", [True, False])
def test_stft_is_rfft_of_windowed_frames(center):
    x = rand((2, 16), 8)
    seq, stride, n = 5, 3, 8
    padded = np.pad(x, [(0, 0), (n // 2, n // 2)], mode="reflect") if center else x
    win = np.pad(_hann(seq), ((n - seq) // 2, n - seq - (n - seq) // 2))
    frames = np.stack([padded[:, s:s + n] * win
                       for s in range(0, padded.shape[-1] - n + 1, stride)], axis=1)
    close(_complex(signal.stft(x, seq, stride, n, center=center)), np.fft.rfft(frames))
    assert_grads(lambda a: ops.stack(signal.stft(a, seq, stride, n, center=center)), x)


@pytest.mark.parametrize("window", ["hann", "hamming"])
@pytest.mark.parametrize("center", [True, False])
def test_istft_inverts_stft(window, center):
    x = rand((2, 20), 9)
    seq, stride, n = 8, 2, 8
    spec = signal.stft(x, seq, stride, n, window=window, center=center)
    back = signal.istft(spec, seq, stride, n, window=window, center=center)
    m = back.shape[-1]
    lo = 0 if center else 1  # uncentred, a periodic Hann window is 0 at the first sample
    close(back.data[:, lo:], x[:, lo:m], atol=1e-10)
    assert m == (20 if center else 20 - (20 - n) % stride)
    assert signal.istft(spec, seq, stride, n, length=11, window=window,
                        center=center).shape == (2, 11)
    re, im = (np.asarray(p.data) for p in spec)
    assert_grads(lambda a, b: signal.istft((a, b), seq, stride, n, window=window,
                                           center=center), re, im)


def test_window_none_and_array():
    x = rand((12,), 10)
    ones = signal.stft(x, 4, 2, 4, window=None)
    close(_complex(ones), _complex(signal.stft(x, 4, 2, 4, window=np.ones(4))))
    with pytest.raises(ValueError, match=r"stft: the shape of window must be \[sequence_length\]"):
        signal.stft(x, 4, 2, 4, window=np.ones(3))


def test_errors():
    x = np.ones(4, "float32")
    with pytest.raises(ValueError, match="fft: input x should be a tuple of two tensors"):
        signal.fft(x)
    with pytest.raises(ValueError, match=r"fft: the real and imaginary parts must have the same "
                                         r"shape.*\(4,\).*\(3,\)"):
        signal.fft((x, np.ones(3, "float32")))
    with pytest.raises(ValueError, match="irfft: at least one tensor in input x is not of type"):
        signal.irfft((np.ones(4, "int32"), x))
    with pytest.raises(ValueError, match=r"fft2: input must have rank >= 2"):
        signal.fft2((x, x))
    with pytest.raises(ValueError, match=r"ifft2: input must have rank >= 2"):
        signal.ifft2((x, x))
    with pytest.raises(ValueError, match="rfft: fft_length must be a positive integer"):
        signal.rfft(x, 0)
    with pytest.raises(ValueError, match="rfft: input must have rank >= 1"):
        signal.rfft(np.float32(1.0))
    with pytest.raises(ValueError, match="extract_sequences: sequence_stride must be a positive"):
        signal.extract_sequences(x, 2, 0)
    with pytest.raises(ValueError, match="extract_sequences: input must have rank >= 1"):
        signal.extract_sequences(np.float32(1.0), 2, 1)
    with pytest.raises(TypeError, match="stft: expected a float32 or float64 input"):
        signal.stft(np.ones(8, "int32"), 4, 2, 4)
    with pytest.raises(ValueError, match="stft: fft_length must be an integer >= sequence_length"):
        signal.stft(np.ones(8, "float32"), 4, 2, 3)
    with pytest.raises(ValueError, match='stft: a string window must be one of "hann"'):
        signal.stft(np.ones(8, "float32"), 4, 2, 4, window="blackman")
    with pytest.raises(ValueError, match=r"istft: input must have rank >= 2"):
        signal.istft((x, x), 4, 2, 4)
    with pytest.raises(ValueError, match="istft: sequence_length must be a positive integer"):
        signal.istft((np.ones((2, 3)), np.ones((2, 3))), 0, 2, 4)


def test_gradient_through_a_training_style_tape():
    v = ember.Variable(rand((16,), 11).astype("float32"))
    with ember.GradientTape() as tape:
        re, im = signal.stft(v, 8, 4, 8)
        loss = ops.sum(ops.add(ops.square(re), ops.square(im)))
    g = tape.gradient(loss, v)
    assert g.shape == (16,) and g.dtype == np.float32 and np.all(np.isfinite(g.data))
