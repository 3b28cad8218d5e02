"""Max and average pooling against nested-loop references, gradients, tie rule, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _geom(size, k, s, padding):
    if padding == "valid":
        return (size - k) // s + 1, 0
    out = -(-size // s)
    return out, max((out - 1) * s + k - size, 0) // 2


def ref_pool2d(x, pool, strides, padding, mode):
    """Each window over the real (unpadded) elements: their max, or their mean."""
    n, h, w, c = x.shape
    oh, pt = _geom(h, pool[0], strides[0], padding)
    ow, pl = _geom(w, pool[1], strides[1], padding)
    y = np.zeros((n, oh, ow, c))
    for a in range(oh):
        for b in range(ow):
            r0, c0 = a * strides[0] - pt, b * strides[1] - pl
            win = x[:, max(r0, 0):min(r0 + pool[0], h), max(c0, 0):min(c0 + pool[1], w)]
            y[:, a, b] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return y


CASES = [  # (input hw, pool, strides, padding)
    ((4, 6), (2, 2), None, "valid"),
    ((5, 7), (2, 2), None, "valid"),
    ((5, 7), (2, 2), None, "same"),
    ((6, 6), (3, 3), (2, 2), "valid"),
    ((6, 5), (3, 3), (2, 2), "same"),
    ((5, 5), (3, 2), (1, 1), "same"),
    ((7, 6), (2, 3), (3, 2), "valid"),
    ((7, 7), (2, 2), (3, 3), "same"),
    ((3, 3), (1, 1), None, "valid"),
]


@pytest.mark.parametrize("hw,pool,strides,padding", CASES, ids=str)
@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool2d_against_loops_and_gradients(hw, pool, strides, padding, mode):
    op = ops.max_pool if mode == "max" else ops.average_pool
    x = rand((2,) + hw + (3,), 1)
    y = op(x, pool, strides, padding)
    close(y.data, ref_pool2d(x, pool, strides or pool, padding, mode[:3] if mode == "max"
                             else "avg"), rtol=1e-12)
    assert_grads(lambda t: op(t, pool, strides, padding), x)


@pytest.mark.parametrize("w,pool,strides,padding", [(7, 2, None, "valid"), (7, 3, 2, "same"),
                                                    (6, 2, 1, "same")], ids=str)
@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool1d(w, pool, strides, padding, mode):
    op = ops.max_pool if mode == "max" else ops.average_pool
    x = rand((2, w, 3), 2)
    ref = ref_pool2d(x[:, None], (1, pool), (1, strides or pool), padding,
                     "max" if mode == "max" else "avg")[:, 0]
    close(op(x, pool, strides, padding).data, ref)
    assert_grads(lambda t: op(t, pool, strides, padding), x)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    # TensorFlow gives a tied window's gradient to its first maximum (row-major), once.
    x = ember.Variable(np.array([[[[1.0], [1.0]], [[1.0], [0.0]]]]))  # (1, 2, 2, 1)
    with ember.GradientTape() as tape:
        y = ops.sum(ops.max_pool(x, 2))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy()[0, :, :, 0], [[1, 0], [0, 0]])
    # overlapping windows (stride 1): each window credits its own first maximum
    z = ember.Variable(np.zeros((1, 3, 3, 1)))
    with ember.GradientTape() as tape:
        y = ops.sum(ops.max_pool(z, 2, strides=1))
    np.testing.assert_array_equal(tape.gradient(y, z).numpy()[0, :, :, 0],
                                  [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool_after_relu_zeros():
    x = np.maximum(rand((2, 6, 6, 2), 3), 0)  # many tied zeros, as after relu
    assert_grads(lambda t: ops.max_pool(ops.relu(t), 2), x + (x == 0) * -0.5)


def test_pooling_channels_first_float32():
    x = rand((2, 6, 5, 3), 1)
    for op in (ops.max_pool, ops.average_pool):
        ref = op(x, 2, padding="same").data
        y = op(np.transpose(x, (0, 3, 1, 2)), 2, padding="same", data_format="channels_first")
        close(y.data, np.transpose(ref, (0, 3, 1, 2)))
        out, (g,) = float32_run(lambda t, op=op: op(t, (2, 3), 1, "same"), x)
        assert out.shape == (2, 6, 5, 3)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"max_pool: pool_size \(3, 3\) is larger than the input "
                                         r"\(shape \(1, 2, 2, 1\)\) with padding 'valid'"):
        ops.max_pool(np.ones((1, 2, 2, 1)), 3)
    with pytest.raises(ValueError, match=r"average_pool: inputs must have rank 3 \(1D\), 4 "
                                         r"\(2D\) or 5 \(3D\).*Received input shape \(1, 2\)"):
        ops.average_pool(np.ones((1, 2)), 2)
    with pytest.raises(ValueError, match="max_pool: padding must be 'valid' or 'same'"):
        ops.max_pool(np.ones((1, 4, 4, 1)), 2, padding="full")
    with pytest.raises(ValueError, match=r"average_pool: pool_size must be an int or a tuple of "
                                         r"2 positive ints"):
        ops.average_pool(np.ones((1, 4, 4, 1)), (2, 0))


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), ph=st.integers(1, 3), pw=st.integers(1, 3),
       s=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
       padding=st.sampled_from(["valid", "same"]), mode=st.sampled_from(["max", "avg"]))
def test_pool2d_random_geometry(h, w, ph, pw, s, padding, mode):
    if padding == "valid" and (h < ph or w < pw):
        return
    op = ops.max_pool if mode == "max" else ops.average_pool
    x = rand((2, h, w, 2), 3)
    close(op(x, (ph, pw), s, padding).data, ref_pool2d(x, (ph, pw), s or (ph, pw), padding, mode))
    assert_grads(lambda t: op(t, (ph, pw), s, padding), x)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("strides", [None, 1])
def test_pooling_split_over_threads_matches_one_thread(monkeypatch, mode, strides):
    from ember.ops import _parallel

    op = ops.max_pool if mode == "max" else ops.average_pool
    x = ember.Variable(np.maximum(rand((5, 6, 7, 3), 4), 0))

    def run():
        with ember.GradientTape() as tape:
            y = op(x, 2, strides, "same")
            loss = ops.sum(y * np.arange(y.size).reshape(y.shape))
        return y.numpy(), tape.gradient(loss, x).numpy()

    monkeypatch.setattr(_parallel, "THREADS", 1)
    y1, g1 = run()
    monkeypatch.setattr(_parallel, "THREADS", 3)
    monkeypatch.setattr(_parallel, "MIN_BYTES", 0)
    y3, g3 = run()
    np.testing.assert_array_equal(y1, y3)
    np.testing.assert_array_equal(g1, g3)
