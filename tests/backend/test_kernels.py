"""The compiled kernels give the same numbers as their NumPy twins, bit for bit."""

import os

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff import GradientTape
from ember.backend import kernels

if not kernels.available():
    if os.environ.get("EMBER_REQUIRE_KERNELS") == "1":
        raise RuntimeError("ember.backend._kernels is not built (EMBER_REQUIRE_KERNELS=1)")
    pytest.skip("the C kernels are not built (pip install -e . with a C compiler)",
                allow_module_level=True)


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


def test_kernels_can_be_turned_off():
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


def _both(fn):
    """``fn()`` with the kernels, then with the NumPy twins."""
    fused = fn()
    with kernels.disabled():
        plain = fn()
    return fused, plain


def _grads(op, x, *params, seed=0):
    """The op's output and the gradients of a random projection of it."""
    def run():
        with GradientTape() as tape:
            tape.watch(x)
            y = op(x, *params)
            w = np.random.default_rng(seed).standard_normal(y.shape).astype("float32")
            loss = ops.sum(y * w)
        return [y.numpy()] + [g.numpy() for g in tape.gradient(loss, [x, *params])]
    return _both(run)


@pytest.mark.parametrize("shape,pool,strides,padding", [
    ((4, 12, 12, 8), 2, 2, "valid"),     # the convnet's case: windows tile the input
    ((3, 7, 9, 5), 3, 2, "same"),        # overlapping, padded with -inf
    ((3, 7, 9, 5), 2, 1, "valid"),       # overlapping
    ((2, 8, 8, 3), (2, 3), (3, 3), "valid"),  # gaps between windows
    ((2, 9, 4), 2, 2, "valid"),          # 1D
])
def test_max_pool_kernel_matches_numpy_exactly(shape, pool, strides, padding):
    rng = np.random.default_rng(0)
    x = ember.Variable(rng.standard_normal(shape).astype("float32"))
    x.data[0, 0] = x.data[0, 1]  # ties: the first maximum takes the gradient
    fused, plain = _grads(lambda v: ops.max_pool(v, pool, strides, padding), x)
    np.testing.assert_array_equal(fused[0], plain[0])
    p, s = np.broadcast_to(pool, 2), np.broadcast_to(strides, 2)
    if (s >= p).all():
        np.testing.assert_array_equal(fused[1], plain[1])
    else:  # overlapping windows add into a pixel in another order
        np.testing.assert_allclose(fused[1], plain[1], rtol=1e-6, atol=1e-7)


def test_max_pool_kernel_ties_and_nan():
    x = np.zeros((1, 2, 2, 2), "float32")
    x[0, 0, 0, 1] = np.nan
    y = ops.max_pool(x, 2, 2, "valid").numpy()
    assert y[0, 0, 0, 0] == 0 and np.isnan(y[0, 0, 0, 1])
    v = ember.Variable(np.ones((1, 2, 2, 1), "float32"))
    with GradientTape() as tape:
        loss = ops.sum(ops.max_pool(v, 2, 2, "valid"))
    np.testing.assert_array_equal(tape.gradient(loss, v).numpy().ravel(), [1, 0, 0, 0])


@pytest.mark.parametrize("x_shape,k_shape,strides,padding,dilation", [
    ((4, 9, 9, 6), (3, 3, 6, 5), 1, "valid", 1),
    ((2, 9, 8, 3), (3, 2, 3, 4), 2, "same", 1),
    ((2, 9, 8, 3), (3, 3, 3, 4), 1, "same", 2),
    ((2, 9, 5), (3, 5, 4), 1, "valid", 1),
])
def test_conv_input_gradient_kernel_matches_numpy(x_shape, k_shape, strides, padding, dilation):
    rng = np.random.default_rng(0)
    x = ember.Variable(rng.standard_normal(x_shape).astype("float32"))
    k = ember.Variable(rng.standard_normal(k_shape).astype("float32"))
    fused, plain = _grads(lambda v, w: ops.conv(v, w, strides=strides, padding=padding,
                                                dilation_rate=dilation), x, k)
    np.testing.assert_array_equal(fused[0], plain[0])
    np.testing.assert_array_equal(fused[2], plain[2])
    # the input gradient sums the positions in another order (one GEMM, then col2im)
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("shape", [(64, 5, 5, 7), (3, 4)])
def test_bias_act_kernels_match_numpy(relu, shape):
    from ember.ops.normalization import bias_act

    rng = np.random.default_rng(0)
    x = ember.Variable(rng.standard_normal(shape).astype("float32"))
    b = ember.Variable(rng.standard_normal(shape[-1:]).astype("float32"))
    fused, plain = _grads(lambda v, c: bias_act(v * 1.0, c, relu=relu, inplace=True), x, b)
    np.testing.assert_array_equal(fused[0], plain[0])
    np.testing.assert_array_equal(fused[1], plain[1])
    # the bias gradient: float64-accumulated blocks against BLAS's float32 sum
    np.testing.assert_allclose(fused[2], plain[2], rtol=1e-5, atol=1e-5)


def test_relu_grad_kernel_flushes_subnormals():
    gy = np.full((4, 3), 1e-39, "float32")
    gy[0] = 2.0
    g, sums = np.empty_like(gy), np.empty(3, "float32")
    kernels.get("relu_grad_sums")(gy, np.ones_like(gy), g, sums, 4, 3)
    np.testing.assert_array_equal(g, [[2, 2, 2]] + [[0, 0, 0]] * 3)
    np.testing.assert_array_equal(sums, [2, 2, 2])


def test_kernels_reject_wrong_arrays_with_named_errors():
    adam = kernels.get("adam")
    p = np.zeros(4, "float32")
    with pytest.raises(ValueError, match="adam: g must hold 4 items of type 'f'"):
        adam(p, np.zeros(3, "float32"), p.copy(), p.copy(), 0.1, 0.1, 1e-7, 0.1)
    with pytest.raises(ValueError, match="adam: g must hold 4 items of type 'f'"):
        adam(p, np.zeros(4), p.copy(), p.copy(), 0.1, 0.1, 1e-7, 0.1)
    with pytest.raises(ValueError, match="adam: m must be a C-contiguous, writable array"):
        adam(p, p, np.zeros(8, "float32")[::2], p.copy(), 0.1, 0.1, 1e-7, 0.1)
    with pytest.raises(TypeError, match="adam takes 8 arguments"):
        adam(p)
    mp = kernels.get("max_pool")
    x, y, a = np.zeros((1, 4, 4, 1), "float32"), np.zeros((1, 2, 2, 1), "float32"), \
        np.zeros((1, 2, 2, 1), "uint8")
    with pytest.raises(ValueError, match="max_pool: the windows do not fit"):
        mp(x, y, a, 1, 4, 4, 1, 2, 2, 3, 3, 2, 2)
    with pytest.raises(ValueError, match="max_pool: argument 6 must be >= 0"):
        mp(x, y, a, 1, 4, 4, -1, 2, 2, 2, 2, 2, 2)
    with pytest.raises(ValueError, match="col2im: the windows do not fit"):
        kernels.get("col2im")(np.zeros(81, "float32"), x, 1, 4, 4, 1, 3, 3, 3, 3, 1, 1, 1, 1)


@pytest.mark.parametrize("shape", [(300, 10), (2, 3, 7), (5, 1)])
def test_softmax_kernel_matches_numpy(shape):
    rng = np.random.default_rng(0)
    x = ember.Variable((rng.standard_normal(shape) * 10).astype("float32"))
    x.data.reshape(-1, shape[-1])[0] = -200  # far below the maximum: clamped, not subnormal
    x.data.reshape(-1, shape[-1])[0, 0] = 0
    fused, plain = _grads(lambda v: ops.softmax(v), x)
    # expf and NumPy's exp may differ in the last bit
    np.testing.assert_allclose(fused[0], plain[0], rtol=1e-6, atol=1e-12)
    # the gradient y * (gy - sum(gy * y)) cancels: compare on the scale of gy (about 1)
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-5, atol=1e-6)
    assert fused[0].min() > 1e-38  # no subnormal probabilities


def test_softmax_kernel_propagates_nan_and_leaves_the_input():
    x = np.array([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]], "float32")
    before = x.copy()
    y = ops.softmax(x).numpy()
    assert np.isnan(y[0]).all() and np.isfinite(y[1]).all()
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("relu", [True, False])
def test_dense_kernels_match_numpy(relu):
    from ember.ops.fused import affine

    rng = np.random.default_rng(0)
    x = ember.Variable(rng.standard_normal((33, 20)).astype("float32"))
    k = ember.Variable(rng.standard_normal((20, 7)).astype("float32"))
    b = ember.Variable(rng.standard_normal(7).astype("float32"))
    fused, plain = _grads(lambda v, w, c: affine(v, w, c, relu=relu), x, k, b)
    for a, p in zip(fused[:3], plain[:3]):
        np.testing.assert_array_equal(a, p)
    np.testing.assert_allclose(fused[3], plain[3], rtol=1e-5, atol=1e-5)


def test_without_the_compiled_module_everything_runs_on_numpy(monkeypatch):
    monkeypatch.setattr(kernels, "_module", [None])  # as after a build without a C compiler
    assert kernels.get("adam") is None and not kernels.available()
    m = ember.Sequential([ember.Input((6, 6, 1)), ember.layers.Conv2D(2, 3, activation="relu"),
                          ember.layers.MaxPooling2D(2), ember.layers.Flatten(),
                          ember.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((8, 6, 6, 1), dtype=np.float32)
    loss = m.train_on_batch(x, np.arange(8) % 3)
    assert np.isfinite(loss)


def test_every_kernel_names_itself_and_the_bad_argument():
    f = np.zeros(12, "float32")
    with pytest.raises(ValueError, match="max_pool_grad: the windows do not fit in g"):
        kernels.get("max_pool_grad")(f, np.zeros(12, "uint8"), f.copy(),
                                     1, 2, 2, 3, 2, 2, 2, 2, 1, 1, 1)
    with pytest.raises(ValueError, match="max_pool_grad: arg must hold 3 items of type 'B'"):
        kernels.get("max_pool_grad")(f[:3], np.zeros(3, "float32"), f.copy(),
                                     1, 2, 2, 3, 1, 1, 2, 2, 2, 2, 1)
    with pytest.raises(ValueError, match="bias_relu: b must hold 4 items of type 'f'"):
        kernels.get("bias_relu")(f.copy(), np.zeros(3, "float32"), 3, 4, 1)
    with pytest.raises(ValueError, match="bias_relu: y must be a C-contiguous, writable array"):
        kernels.get("bias_relu")(f[::2], np.zeros(2, "float32"), 3, 2, 1)
    with pytest.raises(ValueError, match="relu_grad_sums: sums must hold 4 items of type 'f'"):
        kernels.get("relu_grad_sums")(f, None, f.copy(), np.zeros(3, "float32"), 3, 4)
    with pytest.raises(ValueError, match="relu_grad_sums: y must hold 12 items"):
        kernels.get("relu_grad_sums")(f, f[:6], f.copy(), np.zeros(4, "float32"), 3, 4)
    with pytest.raises(ValueError, match=r"softmax: low must be in \[-87, 0\]"):
        kernels.get("softmax")(f.copy(), 3, 4, -100.0)
    with pytest.raises(ValueError, match="softmax: rows must have at least one element"):
        kernels.get("softmax")(f.copy(), 3, 0, -87.0)
    with pytest.raises(TypeError, match="softmax takes 4 arguments"):
        kernels.get("softmax")(f)
