"""``keras.ops.linalg`` (and its names in ``keras.ops``) against Keras 3 on JAX: values,
shapes, dtypes, and gradients where both frameworks have them."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember

RNG = np.random.default_rng(0)
A = RNG.uniform(-1, 1, (2, 3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")
SPD = (A @ np.swapaxes(A, -1, -2)).astype("float32")
RECT = RNG.uniform(-1, 1, (5, 3)).astype("float32")
B = RNG.uniform(-1, 1, (2, 3, 2)).astype("float32")


def _both(keras, name, *args, **kwargs):
    got = getattr(ember.ops.linalg, name)(*args, **kwargs)
    want = getattr(keras.ops.linalg, name)(*args, **kwargs)
    return got, want


def _same(got, want, rtol=1e-4, atol=1e-5):
    got = got if isinstance(got, (tuple, list)) else (got,)
    want = want if isinstance(want, (tuple, list)) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert to_numpy(g).dtype == to_numpy(w).dtype
        assert_close(g, w, rtol=rtol, atol=atol)


def test_namespace_lists_every_keras_name(keras):
    names = [n for n in dir(keras.ops.linalg) if not n.startswith("_")]
    missing = [n for n in names if not hasattr(ember.ops.linalg, n)]
    assert not missing
    for n in names + ["slogdet", "logdet"]:
        assert hasattr(ember.ops, n)


@pytest.mark.parametrize("name,args,kwargs", [
    ("inv", (A,), {}), ("det", (A,), {}), ("cholesky", (SPD,), {}),
    ("cholesky", (SPD,), {"upper": True}), ("pinv", (RECT,), {}), ("pinv", (A,), {}),
    ("solve", (A, B), {}), ("solve", (A[0], B[0, :, 0]), {}),
    ("solve_triangular", (A, B), {}), ("solve_triangular", (A, B), {"lower": True}),
    ("lstsq", (RECT, RECT[:, :2]), {}), ("lstsq", (RECT, RECT[:, 0]), {}),
    ("matrix_rank", (np.stack([A[0], np.zeros((3, 3), "float32")]),), {}),
    ("matrix_rank", (A,), {"tol": 2.5}),
    ("lu_factor", (A,), {}), ("lu_factor", (RECT,), {}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_values_and_dtypes(keras, name, args, kwargs):
    _same(*_both(keras, name, *args, **kwargs))


def test_cholesky_inverse(keras):
    # one matrix: Keras's own cholesky_inverse fails on a batch (its identity does not broadcast)
    lower = np.linalg.cholesky(SPD[0]).astype("float32")
    _same(*_both(keras, "cholesky_inverse", lower), rtol=1e-3)
    _same(*_both(keras, "cholesky_inverse", lower.T, upper=True), rtol=1e-3)


def test_slogdet_logdet_and_int_det(keras):
    _same(ember.ops.slogdet(-A), keras.ops.slogdet(-A))
    _same(ember.ops.logdet(SPD), keras.ops.logdet(SPD))
    eye = np.eye(3, dtype="int32")
    _same(ember.ops.linalg.det(eye), keras.ops.linalg.det(eye))


def test_eigh_up_to_eigenvector_signs(keras):
    (w, v), (kw, kv) = _both(keras, "eigh", SPD)
    _same(w, kw)
    assert to_numpy(v).dtype == to_numpy(kv).dtype
    assert_close(np.abs(to_numpy(v)), np.abs(to_numpy(kv)), rtol=1e-3, atol=1e-4)


def test_eig_eigenvalues(keras):
    (w, v), (kw, kv) = _both(keras, "eig", A)
    assert to_numpy(w).dtype == to_numpy(kw).dtype == np.complex64
    assert to_numpy(v).dtype == to_numpy(kv).dtype and v.shape == kv.shape
    key = lambda z: np.sort_complex(np.round(to_numpy(z), 4))  # noqa: E731
    assert_close(key(w), key(kw), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("mode", ["reduced", "complete"])
def test_qr(keras, mode):
    (q, r), (kq, kr) = _both(keras, "qr", RECT, mode=mode)
    assert q.shape == kq.shape and r.shape == kr.shape
    # both run LAPACK's Householder QR: the same signs
    _same((q, r), (kq, kr))


@pytest.mark.parametrize("full", [True, False])
def test_svd(keras, full):
    (u, s, vh), (ku, ks, kvh) = _both(keras, "svd", RECT, full_matrices=full)
    _same(s, ks)
    assert u.shape == ku.shape and vh.shape == kvh.shape
    assert_close(np.abs(to_numpy(u)), np.abs(to_numpy(ku)), rtol=1e-3, atol=1e-4)
    _same(*_both(keras, "svd", A, compute_uv=False))


def test_qr_mode_error_type(keras):
    for lib in (ember.ops.linalg, keras.ops.linalg):
        with pytest.raises(ValueError):
            lib.qr(A, mode="r")


@pytest.mark.parametrize("name", ["inv", "det", "cholesky", "eigh"])
def test_rank_and_square_errors(keras, name):
    for bad in (np.ones(3, "float32"), np.ones((2, 3), "float32")):
        for lib in (ember.ops.linalg, keras.ops.linalg):
            with pytest.raises(ValueError):
                getattr(lib, name)(bad)


def test_jvp(keras):
    x, t = RNG.uniform(-1, 1, 4).astype("float32"), RNG.uniform(-1, 1, 4).astype("float32")
    got = ember.ops.linalg.jvp(lambda a: ember.ops.tanh(a) * a, (x,), (t,))
    want = keras.ops.linalg.jvp(lambda a: keras.ops.tanh(a) * a, (x,), (t,))
    _same(got, want)


# -- gradients: ember's tape against jax.grad through keras.ops ----------------------------------
GRAD_CASES = {
    "inv": (lambda L, x: L.inv(x), A),
    "det": (lambda L, x: L.det(x), A),
    "eigh_values": (lambda L, x: L.eigh(x)[0], SPD),
    "svd_values": (lambda L, x: L.svd(x, compute_uv=False), RECT),
    "pinv": (lambda L, x: L.pinv(x), RECT),
    "qr_r": (lambda L, x: L.qr(x)[1], RECT),
    "solve": (lambda L, x: L.solve(x, B), A),
    "solve_triangular": (lambda L, x: L.solve_triangular(x, B, lower=True), A),
    "lstsq": (lambda L, x: L.lstsq(x, RECT[:, :2]), RECT),
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_gradients_match_jax(keras, case):
    import jax

    fn, x = GRAD_CASES[case]
    r = RNG.uniform(-1, 1, to_numpy(fn(ember.ops.linalg, x)).shape).astype("float32")
    want = jax.grad(lambda v: (fn(keras.ops.linalg, v) * r).sum())(x)
    var = ember.Variable(x)
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(ember.ops.multiply(fn(ember.ops.linalg, var), r))
    got = tape.gradient(loss, var)
    assert got.dtype == np.float32
    if case == "eigh_values":  # JAX symmetrizes the gradient as ember does
        want = (want + np.swapaxes(want, -1, -2)) / 2
    assert_close(got, want, rtol=1e-3, atol=1e-4, what=case)


def test_cholesky_gradient_matches_jax(keras):
    import jax

    r = RNG.uniform(-1, 1, SPD.shape).astype("float32")
    want = jax.grad(lambda v: (keras.ops.linalg.cholesky(v) * r).sum())(SPD)
    var = ember.Variable(SPD)
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(ember.ops.multiply(ember.ops.linalg.cholesky(var), r))
    got = to_numpy(tape.gradient(loss, var))
    # JAX differentiates the lower triangle only; both agree on the symmetrized gradient
    want = to_numpy(want)
    sym = lambda g: g + np.swapaxes(g, -1, -2) - g * np.eye(3)  # noqa: E731
    assert_close(np.tril(sym(got)), np.tril(sym(want)), rtol=1e-3, atol=1e-4)
