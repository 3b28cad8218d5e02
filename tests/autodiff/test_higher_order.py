"""Higher derivatives: nested tapes, Hessians, Hessian-vector products, gradient penalties.

Every op's ``backward_ops`` is checked by ``check_second_gradients``: its first derivative equals
``backward``'s, and the derivative of that first derivative matches finite differences. The
TensorFlow guide's examples are checked against values derived here in NumPy (the same values
TensorFlow 2.21 gives).
"""

import math

import numpy as np
import pytest

import ember
from ember import ops
from ember.autodiff.function import Function
from ember.autodiff.gradcheck import GradientCheckError, check_second_gradients
from ember.ops.fused import affine


def rand(shape, seed=0, low=-1.0, high=1.0, away=0.0):
    """Uniform values in [low, high); with ``away`` > 0, at least ``away`` from zero (kinks)."""
    x = np.random.default_rng(seed).uniform(low, high, size=shape)
    return np.where(x >= 0, x + away, x - away) if away else x


def pos(shape, seed=0):
    return rand(shape, seed, 0.5, 2.0)


M, V, R = rand((2, 3)), rand((3,), 1), rand((2, 1), 2)
AWAY = rand((2, 3), 3, away=0.2)

# name -> (fn, inputs)
CASES = {
    "add": (ops.add, [M, V]),
    "add_outer": (ops.add, [R, rand((1, 3), 4)]),
    "subtract": (ops.subtract, [R, M]),
    "multiply": (ops.multiply, [M, V]),
    "multiply_constant": (lambda a: a * 3.0, [M]),
    "divide": (ops.divide, [M, pos((3,), 1)]),
    "divide_constant_numerator": (lambda b: 2.0 / b, [pos((2, 3))]),
    "power": (ops.power, [pos((2, 3)), V]),
    "power_int": (lambda a: a ** 3, [M]),
    "power_of_constant": (lambda b: 2.0 ** b, [M]),
    "maximum": (ops.maximum, [M, rand((2, 3), 5)]),
    "minimum": (ops.minimum, [M, rand((3,), 6)]),
    "negative": (ops.negative, [M]),
    "square": (ops.square, [M]),
    "sqrt": (ops.sqrt, [pos((2, 3))]),
    "exp": (ops.exp, [M]),
    "log": (ops.log, [pos((2, 3))]),
    "log1p": (ops.log1p, [pos((2, 3))]),
    "abs": (ops.abs, [AWAY]),
    "clip": (lambda a: ops.clip(a, -0.5, 0.5), [rand((3, 4), 7, -2.0, 2.0, away=0.05) * 0.9]),
    "where": (lambda a, b: ops.where(np.array([True, False, True]), a, b), [M, R]),
    "sin": (ops.sin, [M]),
    "cos": (ops.cos, [M]),
    "tan": (ops.tan, [M]),
    "arctan": (ops.arctan, [M]),
    "sinh": (ops.sinh, [M]),
    "cosh": (ops.cosh, [M]),
    "expm1": (ops.expm1, [M]),
    "log2": (ops.log2, [pos((2, 3))]),
    "log10": (ops.log10, [pos((2, 3))]),
    "rsqrt": (ops.rsqrt, [pos((2, 3))]),
    "erf": (ops.erf, [M]),
    "relu": (ops.relu, [AWAY]),
    "relu6": (ops.relu6, [AWAY * 4 + 3]),
    "leaky_relu": (ops.leaky_relu, [AWAY]),
    "elu": (ops.elu, [AWAY]),
    "selu": (ops.selu, [AWAY]),
    "sigmoid": (ops.sigmoid, [M]),
    "hard_sigmoid": (ops.hard_sigmoid, [AWAY * 2]),
    "tanh": (ops.tanh, [M]),
    "softplus": (ops.softplus, [M]),
    "softsign": (ops.softsign, [AWAY]),
    "silu": (ops.silu, [M]),
    "softmax": (ops.softmax, [M]),
    "softmax_axis0": (lambda a: ops.softmax(a, axis=0), [M]),
    "log_softmax": (ops.log_softmax, [M]),
    "matmul": (ops.matmul, [M, rand((3, 4), 8)]),
    "matmul_batched": (ops.matmul, [rand((2, 2, 3), 9), rand((3, 2), 10)]),
    "matmul_vector_matrix": (ops.matmul, [V, rand((3, 2), 11)]),
    "matmul_matrix_vector": (ops.matmul, [M, V]),
    "matmul_vectors": (ops.matmul, [V, rand((3,), 12)]),
    "affine": (lambda x, k, b: affine(x, k, b), [M, rand((3, 4), 13), rand((4,), 14)]),
    "affine_relu": (lambda x, k, b: affine(x, k, b, relu=True),
                    [M, rand((3, 4), 13), rand((4,), 14)]),
    "affine_3d": (lambda x, k: affine(x, k), [rand((2, 2, 3), 15), rand((3, 2), 16)]),
    "sum": (ops.sum, [M]),
    "sum_axis_keepdims": (lambda a: ops.sum(a, axis=1, keepdims=True), [M]),
    "mean_axes": (lambda a: ops.mean(a, axis=(0, 2)), [rand((2, 3, 2), 17)]),
    "max": (lambda a: ops.max(a, axis=0), [M]),
    "min_all": (ops.min, [M]),
    "logsumexp": (lambda a: ops.logsumexp(a, axis=1), [M]),
    "reshape": (lambda a: ops.reshape(a, (3, 2)), [M]),
    "transpose": (lambda a: ops.transpose(a, (2, 0, 1)), [rand((2, 3, 2), 18)]),
    "transpose_default": (ops.transpose, [M]),
    "expand_squeeze": (lambda a: ops.squeeze(ops.expand_dims(a, 1), 1), [M]),
    "broadcast_to": (lambda a: ops.broadcast_to(a, (2, 2, 3)), [V]),
    "concatenate": (lambda a, b: ops.concatenate([a, b], axis=1), [M, R]),
    "stack_split": (lambda a, b: ops.split(ops.stack([a, b], axis=2), 2, axis=2)[1],
                    [M, M[::-1]]),
    "getitem_slice": (lambda a: a[:, 1:], [M]),
    "getitem_int": (lambda a: a[1], [M]),
    "getitem_fancy_repeats": (lambda a: a[np.array([0, 1, 0])], [M]),
    "flip": (lambda a: ops.flip(a, 1), [M]),
    "pad": (lambda a: ops.pad(a, ((1, 0), (0, 2))), [M]),
}


@pytest.mark.parametrize("wrap", ["plain", "chained"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_match_finite_differences(name, wrap):
    op, inputs = CASES[name]
    # "chained": sin(op(x)), so that the gradient reaching the op depends on x too
    fn = op if wrap == "plain" else (lambda *xs: ops.sin(op(*xs)))
    report = check_second_gradients(fn, inputs)
    assert report["first_order"] <= 1e-12  # backward_ops computes what backward computes
    assert set(report) == {f"input_{i}" for i in range(len(inputs))} | {"first_order"}


def test_cast_between_floats_keeps_second_derivatives():
    x = ember.Variable(np.array([0.5, -2.0], dtype="float32"))
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            y = ops.cast(x, "float64") ** 3
        dy = t1.gradient(y, x)
    d2 = t2.gradient(dy, x)
    assert dy.dtype == np.float32 and d2.dtype == np.float32
    np.testing.assert_allclose(d2.numpy(), 6 * x.numpy())


# -- the TensorFlow guide's examples -------------------------------------------------------------
@pytest.mark.parametrize("value", [1.0, -0.5, 3.0])
def test_second_derivative_of_a_cube(value):
    x = ember.Variable(value)
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            y = x * x * x
        dy_dx = t1.gradient(y, x)
    d2y_dx2 = t2.gradient(dy_dx, x)
    assert float(dy_dx) == pytest.approx(3 * value ** 2)
    assert float(d2y_dx2) == pytest.approx(6 * value)


def test_third_derivative_with_three_tapes():
    x = ember.Variable(1.5)
    with ember.GradientTape() as t3:
        with ember.GradientTape() as t2:
            with ember.GradientTape() as t1:
                y = x ** 4
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    assert float(d2) == pytest.approx(12 * 1.5 ** 2)
    assert float(d3) == pytest.approx(24 * 1.5)


def test_second_derivative_of_tanh():
    xv = np.array([-1.0, 0.0, 0.5, 2.0], dtype="float32")
    x = ember.convert_to_tensor(xv)
    with ember.GradientTape() as t2:
        t2.watch(x)
        with ember.GradientTape() as t1:
            t1.watch(x)
            y = ops.tanh(x)
        dy = t1.gradient(y, x)
    d2 = t2.gradient(dy, x)
    t = np.tanh(xv)
    np.testing.assert_allclose(dy.numpy(), 1 - t ** 2, rtol=1e-6)
    np.testing.assert_allclose(d2.numpy(), -2 * t * (1 - t ** 2), rtol=1e-5, atol=1e-7)


def test_relu_second_derivative_is_zero_and_linear_is_none_as_tensorflow():
    x = ember.convert_to_tensor(np.array([-1.0, 0.5, 2.0], dtype="float32"))

    def second(f, outer_watches=True):
        with ember.GradientTape() as t2:
            if outer_watches:
                t2.watch(x)
            with ember.GradientTape() as t1:
                t1.watch(x)
                y = f(x)
            dy = t1.gradient(y, x)
        return t2.gradient(dy, x)

    d2 = second(ops.relu)
    assert d2 is not None and not d2.numpy().any()  # connected, zero (TF's ReluGrad)
    assert not second(ops.abs).numpy().any()
    assert second(lambda a: 3.0 * a) is None  # the gradient is a constant
    assert second(lambda a: a ** 3, outer_watches=False) is None  # the outer tape sees no x


def test_gradient_of_a_gradient_is_recorded_only_when_a_tape_records():
    x = ember.Variable(2.0)
    with ember.GradientTape() as t1:
        y = x * x
    assert t1.gradient(y, x)._rec == ()
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            y = x * x
        dy = t1.gradient(y, x)
    assert t2._id in dy._rec


def test_hessian_as_the_jacobian_of_a_gradient():
    xv = np.array([1.0, 2.0, 3.0])
    x = ember.Variable(xv, dtype="float64")
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            y = ops.sum(x ** 3) + x[0] * x[1]
        g = t1.gradient(y, x)
    h = t2.jacobian(g, x)
    expected = np.diag(6 * xv)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(h.numpy(), expected)


def test_hessian_of_dense_layers_as_in_the_guide():
    """tf's advanced-autodiff guide: the Hessian of a loss with respect to a Dense kernel."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5))
    layer1 = ember.layers.Dense(8, activation="relu", dtype="float64")
    layer2 = ember.layers.Dense(6, activation="relu", dtype="float64")

    def loss_of(inputs):
        return ops.mean(layer2(layer1(inputs)) ** 2)

    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            loss = loss_of(x)
        g = t1.gradient(loss, layer1.kernel)
    h = t2.jacobian(g, layer1.kernel)
    assert layer1.kernel.shape == (5, 8) and h.shape == (5, 8, 5, 8)
    # finite differences of the (first-order) gradient, one kernel entry at a time
    kernel = layer1.kernel.numpy().copy()
    numeric = np.zeros((5, 8, 5, 8))
    eps = 1e-6
    for i in np.ndindex(5, 8):
        grads = []
        for sign in (1, -1):
            k = kernel.copy()
            k[i] += sign * eps
            layer1.kernel.assign(k)
            with ember.GradientTape() as tape:
                loss = loss_of(x)
            grads.append(tape.gradient(loss, layer1.kernel).numpy())
        numeric[..., i[0], i[1]] = (grads[0] - grads[1]) / (2 * eps)
    layer1.kernel.assign(kernel)
    np.testing.assert_allclose(h.numpy(), numeric, atol=1e-7)
    h2 = h.numpy().reshape(40, 40)
    np.testing.assert_allclose(h2, h2.T, atol=1e-12)


# -- a small MLP's Hessian-vector product --------------------------------------------------------
def _mlp_numpy_grads(w1, b1, w2, x, t):
    """Hand-written gradients of mean((tanh(x w1 + b1) w2 - t)^2)."""
    h = np.tanh(x @ w1 + b1)
    err = h @ w2 - t
    gout = 2 * err / err.size
    gw2 = h.T @ gout
    gh = gout @ w2.T * (1 - h ** 2)
    return [x.T @ gh, gh.sum(axis=0), gw2]


def test_hessian_vector_product_of_a_small_mlp():
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal((6, 3)), rng.standard_normal((6, 1))
    values = [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((4, 1))]
    vs = [rng.standard_normal(v.shape) for v in values]
    params = [ember.Variable(v, dtype="float64") for v in values]
    w1, b1, w2 = params
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            loss = ops.mean((ops.matmul(ops.tanh(ops.matmul(x, w1) + b1), w2) - t) ** 2)
        grads = t1.gradient(loss, params)
        # the gradient must equal the hand-written one before its derivative means anything
        for g, ref in zip(grads, _mlp_numpy_grads(*values, x, t)):
            np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12)
        gv = ops.sum(ops.stack([ops.sum(g * v) for g, v in zip(grads, vs)]))
    hvp = t2.gradient(gv, params)
    eps = 1e-6
    up = _mlp_numpy_grads(*[p + eps * v for p, v in zip(values, vs)], x, t)
    down = _mlp_numpy_grads(*[p - eps * v for p, v in zip(values, vs)], x, t)
    for h, u, d in zip(hvp, up, down):
        np.testing.assert_allclose(h.numpy(), (u - d) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_jacobian_vector_product_by_double_backward():
    """J v via the gradient of J^T u with respect to u (output_gradients that a tape tracks)."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 4))
    xv, v = rng.standard_normal(3), rng.standard_normal(3)
    x = ember.Variable(xv, dtype="float64")
    u = ember.convert_to_tensor(np.zeros(4))
    with ember.GradientTape() as t2:
        t2.watch(u)
        with ember.GradientTape() as t1:
            y = ops.tanh(ops.matmul(x, w))
        g = t1.gradient(y, x, output_gradients=u)
    jvp = t2.gradient(g, u, output_gradients=v)
    jacobian = (1 - np.tanh(xv @ w) ** 2)[:, None] * w.T  # d y_j / d x_i, shape (4, 3)
    np.testing.assert_allclose(jvp.numpy(), jacobian @ v, rtol=1e-12)


# -- WGAN-GP's gradient penalty -------------------------------------------------------------------
def _critic_numpy(w1, b1, w2, x):
    """D(x) = leaky_relu(x w1 + b1, 0.2) w2 and dD/dx, row by row."""
    z = x @ w1 + b1
    slope = np.where(z > 0, 1.0, 0.2)
    d = np.where(z > 0, z, 0.2 * z) @ w2
    return d, (slope * w2[:, 0]) @ w1.T


def _penalty_numpy(w1, b1, w2, x):
    _, g = _critic_numpy(w1, b1, w2, x)
    return np.mean((np.sqrt((g ** 2).sum(axis=1)) - 1) ** 2)


def test_gradient_penalty_as_in_wgan_gp():
    rng = np.random.default_rng(4)
    real, fake = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    alpha = rng.uniform(size=(5, 1))
    x_hat = ember.convert_to_tensor(alpha * real + (1 - alpha) * fake)
    values = [rng.standard_normal((3, 6)), rng.standard_normal(6), rng.standard_normal((6, 1))]
    params = [ember.Variable(v, dtype="float64") for v in values]
    w1, b1, w2 = params
    with ember.GradientTape() as outer:
        with ember.GradientTape() as inner:
            inner.watch(x_hat)
            d = ops.matmul(ops.leaky_relu(ops.matmul(x_hat, w1) + b1, 0.2), w2)
        g = inner.gradient(d, x_hat)
        norm = ops.sqrt(ops.sum(ops.square(g), axis=1))
        penalty = ops.mean((norm - 1.0) ** 2)
    grads = outer.gradient(penalty, params)
    np.testing.assert_allclose(g.numpy(), _critic_numpy(*values, x_hat.numpy())[1], rtol=1e-12)
    assert float(penalty) == pytest.approx(_penalty_numpy(*values, x_hat.numpy()), rel=1e-12)
    eps = 1e-6
    for p, grad in zip(range(3), grads):
        numeric = np.zeros(values[p].shape)
        for i in np.ndindex(values[p].shape):
            shifted = []
            for sign in (1, -1):
                vals = [v.copy() for v in values]
                vals[p][i] += sign * eps
                shifted.append(_penalty_numpy(*vals, x_hat.numpy()))
            numeric[i] = (shifted[0] - shifted[1]) / (2 * eps)
        np.testing.assert_allclose(grad.numpy(), numeric, rtol=1e-6, atol=1e-9)


def test_gradient_penalty_through_keras_dense_layers():
    """The same penalty with a Keras critic (Dense layers, float32) and its ember-ops twin."""
    rng = np.random.default_rng(5)
    x_hat = ember.convert_to_tensor(rng.standard_normal((4, 3)).astype("float32"))
    critic = ember.Sequential([ember.layers.Dense(8, activation="tanh"), ember.layers.Dense(1)])
    critic.build((None, 3))

    def penalty_and_grads(forward, weights):
        with ember.GradientTape() as outer:
            with ember.GradientTape() as inner:
                inner.watch(x_hat)
                d = forward(x_hat)
            g = inner.gradient(d, x_hat)
            penalty = ops.mean((ops.sqrt(ops.sum(g * g, axis=1)) - 1.0) ** 2)
        return float(penalty), outer.gradient(penalty, weights)

    weights = critic.trainable_weights
    k1, c1, k2, c2 = weights
    keras_p, keras_g = penalty_and_grads(critic, weights)
    ops_p, ops_g = penalty_and_grads(
        lambda x: ops.matmul(ops.tanh(ops.matmul(x, k1) + c1), k2) + c2, weights)
    assert keras_p == pytest.approx(ops_p, rel=1e-6)
    assert keras_g[3] is None and ops_g[3] is None  # dD/dx does not depend on the last bias
    for a, b in zip(keras_g[:3], ops_g[:3]):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)


# -- ops without backward_ops ---------------------------------------------------------------------
class _FirstOrderOnly(Function):
    def forward(self, x):
        self.saved = x
        return x * x

    def backward(self, gy):
        return (2 * gy * self.saved,)


def test_an_op_without_backward_ops_is_a_clear_error_not_a_zero():
    x = ember.Variable(2.0)
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            y = _FirstOrderOnly().apply(x)
        dy = t1.gradient(y, x)  # the value is there (from backward) ...
    assert float(dy) == 4.0
    with pytest.raises(NotImplementedError, match="second derivatives of op _FirstOrderOnly "
                                                  "are not supported"):
        t2.gradient(dy, x)  # ... but differentiating it is an error, not a zero


def test_an_op_without_backward_ops_is_fine_where_no_tape_records_its_gradient():
    x, c = ember.convert_to_tensor(2.0), ember.convert_to_tensor(3.0)
    with ember.GradientTape() as t2:
        t2.watch(c)  # t2 tracks c, not x: the op's gradient is a constant to it
        with ember.GradientTape() as t1:
            t1.watch([x, c])
            y = _FirstOrderOnly().apply(x) + c * c
        gx, gc = t1.gradient(y, [x, c])
    assert float(gx) == 4.0 and float(gc) == 6.0
    assert float(t2.gradient(gc, c)) == 2.0
    # where the op's output gradient depends on c, the second derivative needs backward_ops
    with ember.GradientTape(persistent=True) as t2:
        t2.watch(c)
        with ember.GradientTape() as t1:
            t1.watch(x)
            y = _FirstOrderOnly().apply(x) * c
        gx = t1.gradient(y, x)
    assert float(gx) == 12.0
    with pytest.raises(NotImplementedError, match="op _FirstOrderOnly"):
        t2.gradient(gx, c)


def test_gradient_in_a_persistent_tapes_block_through_ops_without_backward_ops():
    """A gradient taken inside a persistent tape's block is recorded; it is right, and only
    differentiating it again would need the ops' second derivatives."""
    rng = np.random.default_rng(6)
    images = rng.standard_normal((2, 5, 5, 1)).astype("float32")
    kernel = ember.Variable(rng.standard_normal((3, 3, 1, 2)).astype("float32"))

    def loss_of():
        return ops.sum(ops.max_pool(ops.conv(images, kernel), 2) ** 2)

    with ember.GradientTape() as tape:
        loss = loss_of()
    expected = tape.gradient(loss, kernel)
    with ember.GradientTape(persistent=True) as tape:
        loss = loss_of()
        with pytest.warns(UserWarning, match="inside its context"):
            g = tape.gradient(loss, kernel)
    np.testing.assert_allclose(g.numpy(), expected.numpy(), rtol=1e-6)


class _Sin(Function):
    def forward(self, x):
        self.x = x
        return np.sin(x)

    def backward(self, gy):
        return (gy * np.cos(self.x),)


def test_check_second_gradients_reports_a_wrong_backward_ops():
    class _WrongValue(_Sin):
        def backward_ops(self, gy, x):
            return (gy * ops.cos(x) * 1.5,)  # differs from backward

    with pytest.raises(GradientCheckError, match="first derivative computed with backward_ops "
                                                 "differs from backward's"):
        check_second_gradients(lambda x: _WrongValue().apply(x), [M])


def test_check_second_gradients_reports_a_wrong_second_derivative():
    class _ConstantDerivative(_Sin):
        def backward_ops(self, gy, x):
            return (gy * ember.convert_to_tensor(np.cos(self.x)),)  # right value, d/dx lost

    with pytest.raises(GradientCheckError, match="gradient for input_0"):
        check_second_gradients(lambda x: _ConstantDerivative().apply(x), [M])


def test_check_second_gradients_with_variables():
    w = ember.Variable(rand((3, 2), 20), dtype="float64")
    report = check_second_gradients(lambda x: ops.tanh(ops.matmul(x, w)), [M], variables=[w])
    assert set(report) == {"input_0", w.path, "first_order"}
    assert w.dtype == np.float64


def test_second_derivative_of_the_normal_density():
    # d2/dx2 exp(-x^2/2) = (x^2 - 1) exp(-x^2/2)
    xv = np.array([-1.5, 0.0, 0.7])
    x = ember.Variable(xv, dtype="float64")
    with ember.GradientTape() as t2:
        with ember.GradientTape() as t1:
            y = ops.exp(-(x * x) / 2)
        dy = t1.gradient(y, x)
    np.testing.assert_allclose(t2.gradient(dy, x).numpy(),
                               (xv ** 2 - 1) * np.exp(-xv ** 2 / 2), rtol=1e-12)
    assert math.isclose(float(dy[0]), 1.5 * math.exp(-1.125), rel_tol=1e-12)


def test_check_second_gradients_of_a_keras_layer():
    layer = ember.layers.Dense(4, activation="tanh")
    layer.build((None, 3))
    report = check_second_gradients(layer, [M], variables=layer.trainable_weights)
    assert report["first_order"] <= 1e-12
    assert layer.kernel.dtype == np.float32  # restored after the check
