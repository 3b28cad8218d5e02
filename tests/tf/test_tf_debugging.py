"""tf.debugging, tf.errors, tf.device and tf.config's device functions, tf.random's TF names:
error types and messages as TensorFlow 2.21 gives them."""

import numpy as np
import pytest

import ember
import ember as tf


def test_errors_are_tensorflow_classes_and_python_ones():
    assert issubclass(tf.errors.InvalidArgumentError, ValueError)
    assert issubclass(tf.errors.InvalidArgumentError, tf.errors.OpError)
    assert issubclass(tf.errors.NotFoundError, FileNotFoundError)
    assert issubclass(tf.errors.OutOfRangeError, IndexError)
    assert issubclass(tf.errors.UnimplementedError, NotImplementedError)
    e = tf.errors.InvalidArgumentError(None, None, "bad value")
    assert str(e) == "bad value" and e.message == "bad value"
    assert e.error_code == tf.errors.INVALID_ARGUMENT == 3
    assert str(tf.errors.OutOfRangeError("end")) == "end"
    assert tf.errors.NotFoundError.error_code == tf.errors.NOT_FOUND


@pytest.mark.parametrize("cls, code, base", [
    (lambda: tf.errors.CancelledError, lambda: tf.errors.CANCELLED, Exception),
    (lambda: tf.errors.UnknownError, lambda: tf.errors.UNKNOWN, Exception),
    (lambda: tf.errors.DeadlineExceededError, lambda: tf.errors.DEADLINE_EXCEEDED, TimeoutError),
    (lambda: tf.errors.AlreadyExistsError, lambda: tf.errors.ALREADY_EXISTS, FileExistsError),
    (lambda: tf.errors.PermissionDeniedError, lambda: tf.errors.PERMISSION_DENIED,
     PermissionError),
    (lambda: tf.errors.ResourceExhaustedError, lambda: tf.errors.RESOURCE_EXHAUSTED,
     MemoryError),
    (lambda: tf.errors.FailedPreconditionError, lambda: tf.errors.FAILED_PRECONDITION,
     RuntimeError),
    (lambda: tf.errors.AbortedError, lambda: tf.errors.ABORTED, RuntimeError),
    (lambda: tf.errors.OutOfRangeError, lambda: tf.errors.OUT_OF_RANGE, IndexError),
    (lambda: tf.errors.UnimplementedError, lambda: tf.errors.UNIMPLEMENTED,
     NotImplementedError),
    (lambda: tf.errors.InternalError, lambda: tf.errors.INTERNAL, RuntimeError),
    (lambda: tf.errors.UnavailableError, lambda: tf.errors.UNAVAILABLE, RuntimeError),
    (lambda: tf.errors.DataLossError, lambda: tf.errors.DATA_LOSS, OSError),
    (lambda: tf.errors.UnauthenticatedError, lambda: tf.errors.UNAUTHENTICATED,
     PermissionError),
])
def test_each_error_class_has_its_code_and_python_base(cls, code, base):
    error = cls()(None, None, "message")
    assert error.error_code == code() and isinstance(error, base)
    assert isinstance(error, tf.errors.OpError) and str(error) == "message"
    with pytest.raises(tf.errors.OpError, match="message"):
        raise error


def test_error_codes_are_tensorflows():
    codes = [tf.errors.OK, tf.errors.CANCELLED, tf.errors.UNKNOWN, tf.errors.INVALID_ARGUMENT,
             tf.errors.DEADLINE_EXCEEDED, tf.errors.NOT_FOUND, tf.errors.ALREADY_EXISTS,
             tf.errors.PERMISSION_DENIED, tf.errors.RESOURCE_EXHAUSTED,
             tf.errors.FAILED_PRECONDITION, tf.errors.ABORTED, tf.errors.OUT_OF_RANGE,
             tf.errors.UNIMPLEMENTED, tf.errors.INTERNAL, tf.errors.UNAVAILABLE,
             tf.errors.DATA_LOSS, tf.errors.UNAUTHENTICATED]
    assert codes == list(range(17))  # grpc status codes, as TF's
    assert issubclass(tf.errors.OperatorNotAllowedInGraphError, TypeError)


def test_assert_comparisons():
    assert tf.debugging.assert_equal([1, 2], [1, 2]) is None
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match="Condition x == y did not hold. Indices of first 1 different "
                             "values: \\[\\[1\\]\\]"):
        tf.debugging.assert_equal([1, 2], [1, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="^boom Condition"):
        tf.debugging.assert_equal([1, 2], [1, 3], message="boom")
    with pytest.raises(tf.errors.InvalidArgumentError, match="Incompatible shapes"):
        tf.debugging.assert_equal([1, 2], [1, 2, 3])
    assert tf.debugging.assert_less([1, 2], [2, 3]) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="x < y"):
        tf.debugging.assert_less([1, 2], [2, 2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="x > y"):
        tf.debugging.assert_greater([1], [2])
    tf.debugging.assert_greater_equal([2], [2])
    tf.debugging.assert_less_equal([2], [2])
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.debugging.assert_none_equal([1], [1])
    assert tf.assert_equal is tf.debugging.assert_equal
    assert tf.assert_rank is tf.debugging.assert_rank


def test_assert_signs():
    tf.debugging.assert_non_negative([0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="x >= 0 did not hold"):
        tf.debugging.assert_non_negative([-1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="x > 0"):
        tf.debugging.assert_positive([0])
    tf.debugging.assert_negative([-1])
    tf.debugging.assert_non_positive([0])


def test_assert_near():
    tf.debugging.assert_near([1.0, 2.0], [1.0, 2.0 + 1e-6])  # within 10 eps of float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="not equal to tolerance"):
        tf.debugging.assert_near([1.0, 2.0], [1.0, 2.1])
    tf.debugging.assert_near([1.0], [1.05], atol=0.1)


def test_rank_shape_type_assertions():
    tf.debugging.assert_rank(tf.zeros([2, 3]), 2)
    with pytest.raises(ValueError, match="must have rank 3.*Received rank 2"):
        tf.debugging.assert_rank(tf.zeros([2, 3]), 3)
    tf.debugging.assert_rank_at_least(tf.zeros([2, 3]), 1)
    with pytest.raises(ValueError, match="at least 3"):
        tf.debugging.assert_rank_at_least(tf.zeros([2, 3]), 3)
    tf.debugging.assert_rank_in(tf.zeros([2]), [1, 2])
    with pytest.raises(ValueError, match="rank in"):
        tf.debugging.assert_rank_in(tf.zeros([2]), [0, 2])
    tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", "D")), (tf.zeros([2]), ("N",))])
    with pytest.raises(ValueError, match="dimension 0 must have size 2. Received size 3"):
        tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", "D")), (tf.zeros([3]), ("N",))])
    with pytest.raises(ValueError, match="must have rank 1"):
        tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N",))])
    tf.debugging.assert_shapes([(tf.zeros([4, 2, 3]), ("*", 2, None))])
    with pytest.raises(ValueError, match="must have size 5"):
        tf.debugging.assert_shapes([(tf.zeros([2]), (5,))])
    with pytest.raises(TypeError, match="tensor must be of type tf.float32; got tf.int32"):
        tf.debugging.assert_type(tf.constant([1]), tf.float32)
    with pytest.raises(TypeError, match="integer"):
        tf.debugging.assert_integer(tf.constant([1.0]))
    with pytest.raises(ValueError, match="Expected scalar shape, saw shape: \\(1,\\)"):
        tf.debugging.assert_scalar(tf.constant([1.0]))
    assert tf.debugging.assert_same_float_dtype([tf.constant([1.0])]) is tf.float32
    with pytest.raises(ValueError, match="one float dtype"):
        tf.debugging.assert_same_float_dtype([tf.constant([1.0]), np.ones(1)])


def test_check_numerics():
    t = tf.constant([1.0])
    assert tf.debugging.check_numerics(t, "ok") is t
    assert tf.debugging.assert_all_finite(t, "ok") is t
    with pytest.raises(tf.errors.InvalidArgumentError, match="bad : Tensor had NaN values"):
        tf.debugging.assert_all_finite(tf.constant([np.nan]), "bad")
    with pytest.raises(tf.errors.InvalidArgumentError, match="msg : Tensor had Inf values"):
        tf.debugging.check_numerics(tf.constant([np.inf]), "msg")
    with pytest.raises(TypeError, match="float"):
        tf.debugging.check_numerics(tf.constant([1]), "ints")


def test_assert_and_log_placement():
    assert tf.debugging.Assert(True, ["never shown"]) is None
    with pytest.raises(tf.errors.InvalidArgumentError, match="Summarized data: x= \\[1 2\\]"):
        tf.debugging.Assert(False, ["x=", tf.constant([1, 2])])
    tf.debugging.set_log_device_placement(True)
    assert tf.debugging.get_log_device_placement()
    tf.debugging.set_log_device_placement(False)
    assert tf.debugging.is_numeric_tensor(tf.constant(1)) and not tf.debugging.is_numeric_tensor(1)


# -- devices ---------------------------------------------------------------------------------
def test_device_context_accepts_tensorflow_and_keras_names():
    for name in ("/CPU:0", "/GPU:0", "/device:GPU:1", "cpu:0",
                 "/job:localhost/replica:0/task:0/device:CPU:0"):
        with tf.device(name):
            x = tf.constant([1.0]) * 2
        assert x.device == "/job:localhost/replica:0/task:0/device:CPU:0"
    with pytest.raises(ValueError, match="Unknown attribute 'foo'"):
        with tf.device("foo"):
            pass
    spec = tf.DeviceSpec.from_string("/job:worker/task:1/device:GPU:0")
    assert spec.job == "worker" and spec.task == 1 and spec.device_type == "GPU"
    assert spec.to_string() == "/job:worker/task:1/device:GPU:0"


def test_config_devices():
    cpus = tf.config.list_physical_devices("CPU")
    assert cpus == [tf.config.PhysicalDevice("/physical_device:CPU:0", "CPU")]
    assert tf.config.list_physical_devices("GPU") == []  # ember computes on the CPU
    assert tf.config.list_physical_devices() == cpus
    assert tf.config.list_logical_devices() == [tf.config.LogicalDevice("/device:CPU:0", "CPU")]
    assert tf.config.get_visible_devices() == cpus
    tf.config.set_visible_devices(cpus)
    with pytest.raises(ValueError, match="cannot be hidden"):
        tf.config.set_visible_devices([])
    tf.config.experimental.set_memory_growth(cpus[0], True)  # a no-op, recorded
    assert tf.config.experimental.get_memory_growth(cpus[0])
    with pytest.raises(ValueError, match="Unrecognized device"):
        tf.config.experimental.set_memory_growth("GPU:0", True)
    with pytest.raises(TypeError, match="device_type"):
        tf.config.list_physical_devices(1)
    assert tf.config.floatx() == "float32"  # Keras's config keeps working
    with pytest.raises(AttributeError):
        _ = tf.config.no_such_setting


# -- random ----------------------------------------------------------------------------------
def test_random_seed_and_generator():
    tf.random.set_seed(3)
    a = np.asarray(tf.random.normal([3]))
    tf.random.set_seed(3)
    assert np.array_equal(a, np.asarray(tf.random.normal([3])))
    g1, g2 = tf.random.Generator.from_seed(1), tf.random.Generator.from_seed(1)
    x1, x2 = np.asarray(g1.normal([4])), np.asarray(g2.normal([4]))
    assert np.array_equal(x1, x2) and x1.dtype == np.float32
    assert not np.array_equal(np.asarray(g1.normal([4])), x1)  # its state advances
    u = g1.uniform([100], maxval=10, dtype=tf.int32)
    assert u.dtype == np.int32 and 0 <= np.asarray(u).min() and np.asarray(u).max() < 10
    assert g1.truncated_normal([50]).shape == (50,)
    assert len(g1.split(2)) == 2
    with pytest.raises(TypeError, match="seed must be an int"):
        tf.random.Generator.from_seed(1.5)
    assert tf.random.get_global_generator() is tf.random.get_global_generator()
    g = tf.random.Generator.from_non_deterministic_state()
    tf.random.set_global_generator(g)
    assert tf.random.get_global_generator() is g


def test_random_tensorflow_signatures():
    u = tf.random.uniform([2], maxval=5, dtype=tf.int32, seed=1)
    assert u.dtype == np.int32 and (np.asarray(u) < 5).all()
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype"):
        tf.random.uniform([2], dtype=tf.int32)
    assert tf.random.normal([2], dtype=tf.float64, name="n").dtype == np.float64
    f = np.asarray(tf.random.uniform([1000], minval=2, maxval=3))
    assert f.dtype == np.float32 and 2 <= f.min() and f.max() < 3
    p = tf.random.poisson([2000], 3.0, seed=0)
    assert p.dtype == np.float32 and abs(np.asarray(p).mean() - 3.0) < 0.2
    assert tf.random.categorical([[0.0, 0.0]], 3).shape == (1, 3)
    g = np.asarray(tf.random.gamma([4000], 2.0, beta=4.0, seed=0))
    assert abs(g.mean() - 0.5) < 0.05  # mean alpha / beta
    assert tf.random.shuffle(tf.range(5), seed=0).shape == (5,)


# -- eager tensors -----------------------------------------------------------------------------
def test_eager_tensor_numpy_interop():
    zero_d = np.asarray(tf.reduce_sum(tf.ones([2])))
    assert type(zero_d) is np.ndarray and zero_d.shape == ()  # TF: array(2., dtype=float32)
    assert np.asarray(tf.constant([1, 2]), dtype="float64").dtype == np.float64
    assert ember.ops.sum([1, 2, 3]).dtype == np.int32 and int(ember.ops.sum([1, 2, 3])) == 6
    assert int(ember.ops.square(5)) == 25 and ember.ops.square(5).dtype == np.int32
    assert ember.ops.exp(1.0).dtype == np.float32
    assert np.allclose(np.asarray(ember.ops.relu([-1.0, 2.0])), [0.0, 2.0])
    assert tf.reduce_sum([1, 2, 3]).dtype == np.int32
