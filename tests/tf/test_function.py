"""tf.function: tracing per signature as TensorFlow 2.21 (counts observed there), replay of
training steps (bit for bit against eager), the eager fallback and verify mode."""

import warnings

import numpy as np
import pytest

import ember
from ember import layers as L
from ember.autodiff import trace
from ember.autodiff.tensor import Tensor
from ember.tf.tf_function import ReplayMismatchError, TensorSpec, function


def t(values, dtype="float32"):
    return Tensor(np.asarray(values, dtype=dtype))


@pytest.fixture
def verify(monkeypatch):
    monkeypatch.setenv("EMBER_FUNCTION_VERIFY", "1")


# -- forms and signatures --------------------------------------------------------------
def test_decorator_forms_and_python_function():
    def f(x):
        return x + 1.0

    for g in (function(f), function()(f), function(reduce_retracing=True)(f)):
        assert g.python_function is f
        assert g.__name__ == "f"
        np.testing.assert_array_equal(g(t([1.0])).numpy(), [2.0])


def test_tracing_counts_follow_tensorflow():
    calls = []

    @function
    def f(x, k=1):
        calls.append(1)  # a Python side effect: only while tracing
        return x * k

    f(t([1.0, 2.0]))
    f(t([3.0, 4.0]))
    assert (f.experimental_get_tracing_count(), len(calls)) == (1, 1)
    f(np.array([1.0, 2.0], np.float32))  # a NumPy array shares the Tensor's trace (TF: 1)
    assert f.experimental_get_tracing_count() == 1
    f(np.array([1.0, 2.0]))  # float64: a new signature (TF: 2)
    f(t([1.0, 2.0, 3.0]))  # a new shape (TF: 3)
    assert f.experimental_get_tracing_count() == 3
    f(t([1.0, 2.0]), 2)
    f(t([1.0, 2.0]), 3)
    out = f(t([1.0, 2.0]), 2.0)  # Python values retrace per value; 2 == 2.0 (TF: 5)
    assert f.experimental_get_tracing_count() == 5
    np.testing.assert_array_equal(out.numpy(), [2.0, 4.0])
    assert len(calls) == 5


def test_keyword_and_positional_arguments_bind_to_one_signature():
    @function
    def f(x, y=None, *, z=3):
        return x

    f(1.0)
    f(1.0, y=2)
    f(1.0, 2)  # the same binding as y=2 (TF: 2 traces so far)
    assert f.experimental_get_tracing_count() == 2
    f([t(1.0), t(2.0)])
    f([t(1.0), t(5.0)])  # same structure, shapes and dtypes
    assert f.experimental_get_tracing_count() == 3
    with pytest.raises(TypeError, match="f\\(\\)"):
        f()


def test_python_numbers_returned_become_tensors():
    out = function(lambda x: {"a": x, "b": [x, 2]})(t(1.0))
    assert isinstance(out["b"][1], Tensor) and out["b"][1].dtype == np.int32


def test_input_signature_accepts_any_size_for_none_dimensions():
    h = function(lambda x: x + 1.0, input_signature=[TensorSpec([None], "float32")])
    h(np.zeros(2, np.float32))
    out = h(np.zeros(3))  # NumPy values are converted to the spec's dtype (as TF)
    assert out.dtype == np.float32 and out.shape == (3,)
    assert h.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="Can not cast TensorSpec\\(shape=\\(2, 2\\)"):
        h(np.zeros((2, 2), np.float32))
    with pytest.raises(TypeError,
                       match="Can not cast TensorSpec\\(shape=\\(2,\\), dtype=tf.int32"):
        h(t([1, 2], "int32"))
    with pytest.raises(TypeError, match="takes 1 tensor arguments"):
        h(t([1.0]), t([1.0]))
    with pytest.raises(TypeError, match="input_signature must contain TensorSpecs"):
        function(lambda x: x, input_signature=[3])


def test_reduce_retracing_generalizes_after_a_retrace():
    g = function(lambda x: x + 1.0, reduce_retracing=True)
    for n in (2, 3, 4, 5):
        np.testing.assert_array_equal(g(np.zeros(n, np.float32)).numpy(), np.ones(n))
    assert g.experimental_get_tracing_count() == 2  # TF: [2], then [None]


def test_methods_get_one_function_per_instance():
    class M:
        def __init__(self, k):
            self.k = k

        @function
        def __call__(self, x):
            return x * self.k

    m1, m2 = M(2.0), M(3.0)
    assert float(m1(t(1.0))) == 2.0 and float(m1(t(5.0))) == 10.0
    assert float(m2(t(1.0))) == 3.0
    assert m1.__call__.experimental_get_tracing_count() == 1
    assert m2.__call__.experimental_get_tracing_count() == 1


def test_get_concrete_function_returns_a_callable():
    f = function(lambda x: x * 2.0)
    cf = f.get_concrete_function(TensorSpec([None], "float32"))
    assert f.experimental_get_tracing_count() == 1
    np.testing.assert_array_equal(cf(t([1.0, 2.0, 3.0])).numpy(), [2.0, 4.0, 6.0])
    f(t([4.0]))  # fits the concrete function's signature: no new trace
    assert f.experimental_get_tracing_count() == 1
    with pytest.raises(TypeError, match="do not match its signature"):
        cf(t([[1.0]]))
    sig = function(lambda x: x, input_signature=[TensorSpec([2])]).get_concrete_function()
    np.testing.assert_array_equal(sig(np.ones(2)).numpy(), [1.0, 1.0])


# -- effects and state --------------------------------------------------------------
def test_effects_run_every_call_python_side_effects_only_while_tracing():
    printed, traced = [], []

    @trace.effect  # how tf.print registers (see ember.autodiff.trace)
    def show(x):
        printed.append(float(x))

    @function
    def f(x):
        traced.append(1)
        show(x * 2.0)
        return x

    for v in (1.0, 2.0, 3.0):
        f(t(v))
    assert traced == [1] and printed == [2.0, 4.0, 6.0]


def test_variables_only_on_the_first_trace():
    holder = {}

    @function
    def f(x):
        if "v" not in holder:
            holder["v"] = ember.Variable(1.0)
        return x * holder["v"]

    f(t(2.0))
    holder["v"].assign(3.0)
    assert float(f(t(2.0))) == 6.0  # replay reads the Variable's current value
    assert float(f(t([1.0, 2.0]))[1]) == 6.0  # a retrace that creates nothing is fine

    @function
    def g(x):
        ember.Variable(1.0)
        return x

    g(t(1.0))
    with pytest.raises(ValueError, match="only supports singleton tf.Variables created on the "
                                         "first call"):
        g(t([1.0]))


def test_assignments_replay_and_read_the_arguments():
    v = ember.Variable(np.zeros(2, np.float32))

    @function
    def f(x):
        v.assign_add(x)
        v.assign_sub(x * 0.5)
        return v.value

    f(t([1.0, 2.0]))
    f(t([4.0, 4.0]))
    np.testing.assert_array_equal(v.numpy(), [2.5, 3.0])


def test_reading_a_value_into_python_falls_back_to_eager_with_one_warning():
    traced = []

    @function
    def clipped(x):
        traced.append(1)
        if float(ops_sum(x)) > 0:  # Python control flow on a tensor: not replayable
            return x
        return -x

    with pytest.warns(UserWarning, match="'clipped' cannot be replayed: float\\(\\)"):
        assert float(clipped(t([1.0]))[0]) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once only
        assert float(clipped(t([-2.0]))[0]) == 2.0  # correct: eager for this signature
    assert len(traced) == 2

    def bad(x):
        return x.numpy()

    with pytest.raises(ValueError, match="jit_compile=True cannot be compiled: .numpy"):
        function(bad, jit_compile=True)(t(1.0))


def ops_sum(x):
    return ember.ops.sum(x)


def test_verify_mode_catches_work_that_escaped_the_trace(verify):
    @function
    def sneaky(x):
        frozen = Tensor(x.data * 2.0)  # a raw copy: invisible to the trace
        return x + frozen

    sneaky(t([1.0]))
    with pytest.raises(ReplayMismatchError, match="'sneaky': result 0 differs"):
        sneaky(t([2.0]))


def test_dropout_draws_afresh_on_replay():
    f = function(lambda x: ember.ops.dropout(x, 0.5))
    x = t(np.ones(1000))
    a, b, c = (f(x).numpy() for _ in range(3))
    assert not np.array_equal(b, c)
    assert 400 < np.count_nonzero(c) < 600


# -- training steps --------------------------------------------------------------
def _model(kind):
    ember.utils.set_random_seed(7)
    if kind == "mlp":
        return ember.Sequential([L.Input((28, 28)), L.Flatten(), L.Dense(32, activation="relu"),
                                 L.Dropout(0.2), L.Dense(10)])
    return ember.Sequential([
        L.Input((12, 12, 1)), L.Conv2D(4, 3, activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(), L.Conv2DTranspose(3, 3, strides=2, padding="same"), L.LeakyReLU(),
        L.Reshape((-1,)), L.Dropout(0.3), L.Dense(10, activation="softmax")])


def _train(kind, compiled, steps=5, optimizer="adam"):
    model = _model(kind)
    opt = ember.optimizers.Adam(1e-2) if optimizer == "adam" else ember.optimizers.SGD(0.1, 0.9)
    loss_object = ember.losses.SparseCategoricalCrossentropy(from_logits=kind == "mlp")
    train_loss = ember.metrics.Mean()
    train_accuracy = ember.metrics.SparseCategoricalAccuracy()

    def train_step(images, labels):
        with ember.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)
        train_accuracy(labels, predictions)
        return loss

    step = function(train_step) if compiled else train_step
    rs = np.random.RandomState(0)
    shape = (16, 28, 28) if kind == "mlp" else (16, 12, 12, 1)
    ember.utils.set_random_seed(99)
    losses = [float(step(rs.rand(*shape).astype(np.float32), rs.randint(0, 10, 16)))
              for _ in range(steps)]
    return (losses, [v.numpy().copy() for v in model.variables + opt.variables],
            float(train_loss.result()), float(train_accuracy.result()))


@pytest.mark.parametrize("kind,optimizer", [("mlp", "adam"), ("cnn", "adam"), ("cnn", "sgd")])
def test_training_steps_replay_bit_for_bit(kind, optimizer):
    eager = _train(kind, False, optimizer=optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no eager fallback
        compiled = _train(kind, True, optimizer=optimizer)
    assert eager[0] == compiled[0]
    assert len(eager[1]) == len(compiled[1])
    for a, b in zip(eager[1], compiled[1]):
        np.testing.assert_array_equal(a, b)
    assert eager[2:] == compiled[2:]


def test_training_step_under_verify_mode(verify):
    _train("cnn", True, steps=3)


def test_expert_quickstart_loop_learns_mnist(mnist_arrays):
    (x, y), (xt, yt) = mnist_arrays
    x, xt = (x[:3000, ..., None] / 255.0).astype("float32"), (xt[:1000, ..., None] / 255.0)
    y, yt = y[:3000], yt[:1000]
    ember.utils.set_random_seed(0)
    model = ember.Sequential([L.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"),
                              L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10)])
    loss_object = ember.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = ember.optimizers.Adam()
    train_loss = ember.metrics.Mean(name="train_loss")
    test_accuracy = ember.metrics.SparseCategoricalAccuracy(name="test_accuracy")

    @function
    def train_step(images, labels):
        with ember.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)

    @function
    def test_step(images, labels):
        test_accuracy(labels, model(images, training=False))

    for _ in range(2):  # epochs
        for i in range(0, len(x), 32):
            train_step(x[i:i + 32], y[i:i + 32])
    for i in range(0, len(xt), 100):
        test_step(xt[i:i + 100], yt[i:i + 100])
    # 32 and the last, smaller batch (3000 = 93 * 32 + 24); the model is built on the first
    assert train_step.experimental_get_tracing_count() == 2
    assert int(optimizer.iterations) == 2 * 94
    assert float(test_accuracy.result()) > 0.85
