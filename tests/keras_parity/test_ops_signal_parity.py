"""The signal ops of ``keras.ops`` (fft, fft2, ifft2, rfft, irfft, stft, istft,
extract_sequences) against Keras 3 on JAX: values, shapes, dtypes and gradients."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember

RNG = np.random.default_rng(1)
X = RNG.uniform(-1, 1, (2, 3, 17)).astype("float32")
Y = RNG.uniform(-1, 1, (2, 3, 17)).astype("float32")


def _same(got, want):
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert to_numpy(g).dtype == to_numpy(w).dtype
        assert_close(g, w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", ["fft", "fft2", "ifft2"])
def test_complex_transforms(keras, name):
    _same(getattr(ember.ops, name)((X, Y)), getattr(keras.ops, name)((X, Y)))


@pytest.mark.parametrize("n", [None, 8, 24])
def test_rfft_irfft(keras, n):
    _same(ember.ops.rfft(X, n), keras.ops.rfft(X, n))
    _same(ember.ops.irfft((X, Y), n), keras.ops.irfft((X, Y), n))
    ints = np.arange(8)
    _same(ember.ops.rfft(ints), keras.ops.rfft(ints))


@pytest.mark.parametrize("length,stride", [(3, 2), (5, 5), (17, 1)])
def test_extract_sequences(keras, length, stride):
    _same(ember.ops.extract_sequences(X, length, stride),
          keras.ops.extract_sequences(X, length, stride))


WINDOWS = ["hann", "hamming", None, np.linspace(0.1, 1.0, 6).astype("float32")]


@pytest.mark.parametrize("args", [(6, 2, 8), (6, 3, 6), (5, 4, 9)], ids=str)
@pytest.mark.parametrize("window", range(len(WINDOWS)))
@pytest.mark.parametrize("center", [True, False])
def test_stft_and_istft(keras, args, window, center):
    win = WINDOWS[window]
    if win is not None and not isinstance(win, str) and win.shape[0] != args[0]:
        win = np.linspace(0.1, 1.0, args[0]).astype("float32")
    want = keras.ops.stft(X, *args, window=win, center=center)
    _same(ember.ops.stft(X, *args, window=win, center=center), want)
    spec = tuple(to_numpy(p) for p in want)
    for length in (None, 7):
        _same(ember.ops.istft(spec, *args, length=length, window=win, center=center),
              keras.ops.istft(spec, *args, length=length, window=win, center=center))


@pytest.mark.parametrize("case", ["fft", "rfft", "irfft", "stft", "istft"])
def test_gradients_match_jax(keras, case):
    import jax

    fns = {
        "fft": lambda o, a: o.stack(o.fft((a, a * 2.0))),
        "rfft": lambda o, a: o.stack(o.rfft(a, 12)),
        "irfft": lambda o, a: o.irfft((a, a * 0.5), 20),
        "stft": lambda o, a: o.stack(o.stft(a, 6, 3, 8)),
        "istft": lambda o, a: o.istft((a, a * 0.5), 6, 2, 8),
    }
    fn = fns[case]
    x = X[0] if case != "istft" else RNG.uniform(-1, 1, (3, 6, 5)).astype("float32")
    r = RNG.uniform(-1, 1, to_numpy(fn(ember.ops, x)).shape).astype("float32")
    want = jax.grad(lambda v: (fn(keras.ops, v) * r).sum())(x)
    var = ember.Variable(x)
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(ember.ops.multiply(fn(ember.ops, var), r))
    got = tape.gradient(loss, var)
    assert_close(got, want, rtol=1e-3, atol=1e-4, what=case)


def test_tuple_errors_are_value_errors(keras):
    for lib in (ember.ops, keras.ops):
        with pytest.raises(ValueError):
            lib.fft(X)
        with pytest.raises(ValueError):
            lib.fft((X, X[..., :3]))
        with pytest.raises(ValueError):
            lib.stft(X, 4, 2, 4, window="blackman")
        with pytest.raises(TypeError):
            lib.stft(np.ones(8, "int32"), 4, 2, 4)
