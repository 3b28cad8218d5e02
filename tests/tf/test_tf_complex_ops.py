"""tf.complex and tf.math.real / imag / conj / angle: values from NumPy, gradients with
TensorFlow's convention (dL/da + i dL/db for z = a + ib; checked against TensorFlow 2.21)."""

import numpy as np
import pytest

import ember as tf
from ember.autodiff.gradcheck import check_gradients

A = np.array([1.0, 2.0, 0.5, -1.0, 3.0], "float32")
B = np.array([1.0, -2.0, 4.0, 2.0, 0.5], "float32")
Z = A + 1j * B


def _np(t):
    return np.asarray(t)


def test_complex_builds_complex64_and_complex128():
    z = tf.complex(A, B)
    assert z.dtype == np.complex64 and _np(z).tolist() == Z.astype("complex64").tolist()
    assert tf.complex(A.astype("float64"), B.astype("float64")).dtype == np.complex128
    assert tf.complex(1.0, 2.0).dtype == np.complex64
    np.testing.assert_array_equal(_np(tf.complex(A, np.float32(0.0))), A + 0j)  # broadcasts


def test_complex_errors():
    with pytest.raises(TypeError, match="incorrect types: float32 float64"):
        tf.complex(A, B.astype("float64"))
    with pytest.raises(TypeError, match="incorrect types: int32 int32"):
        tf.complex(np.array([1], "int32"), np.array([1], "int32"))


def test_real_imag_conj_angle_values():
    z = tf.complex(A, B)
    np.testing.assert_array_equal(_np(tf.math.real(z)), A)
    np.testing.assert_array_equal(_np(tf.math.imag(z)), B)
    np.testing.assert_array_equal(_np(tf.math.conj(z)), np.conj(Z.astype("complex64")))
    np.testing.assert_allclose(_np(tf.math.angle(z)), np.angle(Z), rtol=1e-6)
    assert tf.math.angle(z).dtype == np.float32
    # real inputs: itself, zeros, itself, pi where negative
    np.testing.assert_array_equal(_np(tf.math.real(A)), A)
    np.testing.assert_array_equal(_np(tf.math.imag(A)), np.zeros_like(A))
    np.testing.assert_array_equal(_np(tf.math.conj(A)), A)
    np.testing.assert_allclose(_np(tf.math.angle(A)), np.angle(A))


def test_gradient_convention_of_real_and_imag():
    z = tf.Variable(tf.complex(A, 2 * A))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.math.real(z) * 3.0 + tf.math.imag(z) * 5.0)
    g = tape.gradient(y, z)
    assert g.dtype == np.complex64
    np.testing.assert_array_equal(_np(g), np.full(5, 3 + 5j))


def test_gradients_through_complex_to_real_parts():
    def f(a, b):
        z = tf.math.conj(tf.complex(a, b))
        return tf.math.real(z) * tf.math.imag(z) + tf.math.angle(z)

    check_gradients(f, [A.astype("float64"), B.astype("float64")])
    a, b = tf.Variable(A), tf.Variable(B)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.math.angle(tf.complex(a, b)))
    ga, gb = tape.gradient(y, [a, b])
    r2 = A ** 2 + B ** 2  # d atan2(b, a) = (-b da + a db) / r^2
    np.testing.assert_allclose(_np(ga), -B / r2, rtol=1e-6)
    np.testing.assert_allclose(_np(gb), A / r2, rtol=1e-6)
