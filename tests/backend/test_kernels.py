"""The compiled kernels give the same numbers as their NumPy twins, bit for bit."""

import numpy as np
import pytest

import ember
from ember.backend import kernels

numba = pytest.importorskip("numba", reason="the compiled kernels need Numba (ember[fast])")


def _adam_run(kernel_on, steps=5, clipnorm=None, weight_decay=None, transpose=False):
    rng = np.random.default_rng(0)
    shapes = [(7, 5), (5,), (5, 3), (3,)]
    variables = [ember.Variable(rng.standard_normal(s).astype("float32")) for s in shapes]
    opt = ember.optimizers.Adam(learning_rate=0.01, clipnorm=clipnorm, weight_decay=weight_decay)
    for _ in range(steps):
        grads = [rng.standard_normal(s).astype("float32") for s in shapes]
        if transpose:  # a non-contiguous gradient
            grads[0] = np.ascontiguousarray(grads[0].T).T
        if kernel_on:
            opt.apply(grads, variables)
        else:
            with kernels.disabled():
                opt.apply(grads, variables)
    return [v.numpy() for v in variables] + [s.numpy() for s in opt.variables[1:]]


def test_kernels_are_compiled_when_numba_is_installed():
    assert kernels.available()
    with kernels.disabled():
        assert kernels.get("adam") is None
        assert not kernels.available()
    assert kernels.get("adam") is not None
    assert kernels.get("no_such_kernel") is None


@pytest.mark.parametrize("options", [{}, {"clipnorm": 0.5}, {"weight_decay": 0.01},
                                     {"transpose": True}])
def test_adam_kernel_matches_numpy_exactly(options):
    fused = _adam_run(True, **options)
    plain = _adam_run(False, **options)
    for a, b in zip(fused, plain):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_adam_kernel_raw_call_matches_formula():
    rng = np.random.default_rng(1)
    p, g, m, v = (rng.standard_normal(1000).astype("float32") for _ in range(4))
    v = np.abs(v)
    want_m = m + (g - m) * np.float32(0.1)
    want_v = v + (g * g - v) * np.float32(0.001)
    want_p = p - want_m / (np.sqrt(want_v) + np.float32(1e-7)) * np.float32(0.01)
    kernels.get("adam")(p, g, m, v, 0.1, 0.001, 1e-7, 0.01)
    np.testing.assert_array_equal(m, want_m)
    np.testing.assert_array_equal(v, want_v)
    np.testing.assert_array_equal(p, want_p)


def test_adam_kernel_path_checks_every_shape_before_changing_anything():
    variables = [ember.Variable(np.ones((2, 3), "float32")), ember.Variable(np.ones(3, "float32"))]
    opt = ember.optimizers.Adam()
    opt.apply([np.ones((2, 3), "float32"), np.ones(3, "float32")], variables)
    before = [v.numpy().copy() for v in variables]
    with pytest.raises(ValueError, match=r"has shape \(4,\); the variable has shape \(3,\)"):
        opt.apply([np.ones((2, 3), "float32"), np.ones(4, "float32")], variables)
    for v, b in zip(variables, before):
        np.testing.assert_array_equal(v.numpy(), b)


def test_amsgrad_and_float64_use_the_numpy_path():
    opt = ember.optimizers.Adam(amsgrad=True)
    assert opt._kernel() is None
    v64 = ember.Variable(np.ones(4), dtype="float64")
    opt64 = ember.optimizers.Adam(learning_rate=0.5)
    opt64.apply([np.ones(4)], [v64])
    np.testing.assert_allclose(v64.numpy(), 0.5, rtol=1e-5)  # the first Adam step is ~lr
