"""Convolutions against direct nested-loop references on tiny inputs, and their gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember import ops

from .helpers import assert_grads, close, float32_run, rand


def _pads(size, k, s, d, padding):
    k_eff = (k - 1) * d + 1
    if padding == "valid":
        return (size - k_eff) // s + 1, 0, 0
    out = -(-size // s)
    total = max((out - 1) * s + k_eff - size, 0)
    return out, total // 2, total - total // 2


def ref_conv2d(x, k, s, padding, d):
    """Direct definition:
    y[n, a, b, o] = sum_{i, j, c} xpad[n, a*s + i*d, b*s + j*d, c] k[i, j, c, o]."""
    n, h, w, c = x.shape
    kh, kw, _, o = k.shape
    oh, pt, pb = _pads(h, kh, s[0], d[0], padding)
    ow, pl, pr = _pads(w, kw, s[1], d[1], padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((n, oh, ow, o))
    for a in range(oh):
        for b in range(ow):
            for i in range(kh):
                for j in range(kw):
                    y[:, a, b] += xp[:, a * s[0] + i * d[0], b * s[1] + j * d[1]] @ k[i, j]
    return y


def ref_depthwise2d(x, k, s, padding, d):
    n, h, w, c = x.shape
    kh, kw, _, m = k.shape
    oh, pt, pb = _pads(h, kh, s[0], d[0], padding)
    ow, pl, pr = _pads(w, kw, s[1], d[1], padding)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    y = np.zeros((n, oh, ow, c, m))
    for a in range(oh):
        for b in range(ow):
            for i in range(kh):
                for j in range(kw):
                    y[:, a, b] += xp[:, a * s[0] + i * d[0], b * s[1] + j * d[1], :, None] * k[i, j]
    return y.reshape(n, oh, ow, c * m)


def ref_conv_transpose2d(x, k, s, padding, d, output_padding=None):
    """Scatter definition: every input pixel adds its kernel-weighted footprint; the result is
    cropped to Keras's output length with TensorFlow's padding."""
    n, h, w, cin = x.shape
    kh, kw, cout, _ = k.shape
    out_hw, before = [], []
    for size, kk, ss, dd, op in zip((h, w), (kh, kw), s, d, output_padding or (None, None)):
        k_eff = (kk - 1) * dd + 1
        if op is None:
            length = size * ss + max(k_eff - ss, 0) if padding == "valid" else size * ss
        else:
            length = (size - 1) * ss + k_eff - 2 * (k_eff // 2 if padding == "same" else 0) + op
        out_hw.append(length)
        total = max((size - 1) * ss + k_eff - length, 0) if padding == "same" else 0
        before.append(total // 2)
    full = np.zeros((n, (h - 1) * s[0] + (kh - 1) * d[0] + 1 + out_hw[0],
                     (w - 1) * s[1] + (kw - 1) * d[1] + 1 + out_hw[1], cout))
    for a in range(h):
        for b in range(w):
            for i in range(kh):
                for j in range(kw):
                    full[:, a * s[0] + i * d[0], b * s[1] + j * d[1]] += x[:, a, b] @ k[i, j].T
    return full[:, before[0]:before[0] + out_hw[0], before[1]:before[1] + out_hw[1]]


CASES_2D = [  # (input hw, kernel hw, strides, padding, dilation)
    ((5, 6), (3, 2), (1, 1), "valid", (1, 1)),
    ((5, 6), (3, 3), (1, 1), "same", (1, 1)),
    ((7, 6), (3, 3), (2, 2), "same", (1, 1)),
    ((7, 8), (2, 3), (2, 3), "valid", (1, 1)),
    ((6, 7), (2, 2), (3, 2), "same", (1, 1)),
    ((7, 7), (3, 2), (1, 1), "valid", (2, 3)),
    ((6, 7), (3, 3), (1, 1), "same", (2, 2)),
    ((8, 7), (2, 3), (2, 1), "same", (2, 2)),
    ((4, 4), (4, 1), (1, 1), "valid", (1, 1)),
]


@pytest.mark.parametrize("hw,khw,s,padding,d", CASES_2D, ids=str)
@pytest.mark.parametrize("channels", [1, 3])
def test_conv2d_against_loops_and_gradients(hw, khw, s, padding, d, channels):
    x = rand((2,) + hw + (channels,), 1)
    k = rand(khw + (channels, 2), 2)
    y = ops.conv(x, k, strides=s, padding=padding, dilation_rate=d)
    close(y.data, ref_conv2d(x, k, s, padding, d), rtol=1e-10, atol=1e-12)
    assert_grads(lambda a, b: ops.conv(a, b, s, padding, dilation_rate=d), x, k)


CASES_1D = [(7, 3, 1, "valid", 1), (7, 3, 2, "same", 1), (8, 2, 3, "same", 1),
            (9, 3, 1, "valid", 2), (6, 2, 1, "same", 3)]


@pytest.mark.parametrize("w,kw,s,padding,d", CASES_1D, ids=str)
def test_conv1d_against_loops_and_gradients(w, kw, s, padding, d):
    x = rand((2, w, 3), 1)
    k = rand((kw, 3, 2), 2)
    y = ops.conv(x, k, strides=s, padding=padding, dilation_rate=d)
    ref = ref_conv2d(x[:, None], k[None], (1, s), padding, (1, d))[:, 0]
    close(y.data, ref, rtol=1e-10, atol=1e-12)
    assert_grads(lambda a, b: ops.conv(a, b, s, padding, dilation_rate=d), x, k)


def test_conv_channels_first_and_tuple_args():
    x = rand((2, 6, 5, 3), 1)
    k = rand((3, 2, 3, 4), 2)
    ref = ops.conv(x, k, strides=(2, 1), padding="same").data
    y = ops.conv(np.transpose(x, (0, 3, 1, 2)), k, strides=[2, 1], padding="SAME",
                 data_format="channels_first")
    close(y.data, np.transpose(ref, (0, 3, 1, 2)))
    assert_grads(lambda a, b: ops.conv(a, b, 2, "same", "channels_first"),
                 np.transpose(x, (0, 3, 1, 2)), k)
    x1 = rand((2, 3, 7), 3)
    k1 = rand((3, 3, 2), 4)
    ref1 = ops.conv(np.transpose(x1, (0, 2, 1)), k1, padding="same").data
    close(ops.conv(x1, k1, padding="same", data_format="channels_first").data,
          np.transpose(ref1, (0, 2, 1)))


def test_conv_float32_and_no_input_gradient_for_constants():
    y, (gx, gk) = float32_run(lambda a, b: ops.conv(a, b, 2, "same"), rand((2, 5, 5, 1), 1),
                              rand((3, 3, 1, 4), 2))
    assert y.shape == (2, 3, 3, 4)
    k = ember.Variable(rand((3, 3, 2, 4), 2).astype("float32"))
    x = rand((2, 5, 5, 2), 1).astype("float32")
    with ember.GradientTape() as tape:
        loss = ops.sum(ops.conv(x, k))
    (g,) = tape.gradient(loss, [k])
    assert g.dtype == np.float32 and g.shape == k.shape


@pytest.mark.parametrize("args,match", [
    (((2, 5, 5, 3), (3, 3, 2, 4)), r"conv: the kernel's input channels \(axis -2, 2\) must equal "
                                   r"the input's channels \(3\). Received input shape "
                                   r"\(2, 5, 5, 3\) and kernel shape \(3, 3, 2, 4\)"),
    (((2, 5, 5, 4), (3, 3, 2, 4)), r"conv: grouped convolution"),
    (((2, 5, 5, 3), (3, 3, 4)), r"conv: a 2D input needs a kernel of rank 4. Received input "
                                r"shape \(2, 5, 5, 3\) and kernel shape \(3, 3, 4\)"),
    (((5, 3), (3, 3, 4)), r"conv: inputs must have rank 3 \(1D\), 4 \(2D\) or 5 \(3D\)"),
    (((2, 2, 2, 3), (3, 3, 3, 4)), r"conv: the window \(3 with dilation 1\) is larger than the "
                                   r"input \(2\).*\(2, 2, 2, 3\) and \(3, 3, 3, 4\)"),
], ids=["channels", "groups", "rank", "input rank", "too small"])
def test_conv_errors_name_op_and_shapes(args, match):
    with pytest.raises(ValueError, match=match):
        ops.conv(np.ones(args[0]), np.ones(args[1]))


def test_conv_bad_arguments():
    x, k = np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1))
    with pytest.raises(ValueError, match="conv: padding must be 'valid' or 'same'. Received: "
                                         "padding='causal'"):
        ops.conv(x, k, padding="causal")
    with pytest.raises(ValueError, match=r"conv: strides must be an int or a tuple of 2 positive"):
        ops.conv(x, k, strides=(1, 0))
    with pytest.raises(TypeError, match="conv: inputs and kernel must be floats"):
        ops.conv(x.astype("int32"), k.astype("int32"))


@pytest.mark.parametrize("hw,khw,s,padding,d", CASES_2D[:6], ids=str)
@pytest.mark.parametrize("multiplier", [1, 2])
def test_depthwise_conv_against_loops_and_gradients(hw, khw, s, padding, d, multiplier):
    x = rand((2,) + hw + (3,), 1)
    k = rand(khw + (3, multiplier), 2)
    y = ops.depthwise_conv(x, k, strides=s, padding=padding, dilation_rate=d)
    close(y.data, ref_depthwise2d(x, k, s, padding, d), rtol=1e-10, atol=1e-12)
    assert_grads(lambda a, b: ops.depthwise_conv(a, b, s, padding, dilation_rate=d), x, k)


def test_depthwise_conv_1d_float32_and_error():
    x, k = rand((2, 7, 3), 1), rand((3, 3, 2), 2)
    ref = ref_depthwise2d(x[:, None], k[None], (1, 2), "same", (1, 1))[:, 0]
    close(ops.depthwise_conv(x, k, 2, "same").data, ref)
    assert_grads(lambda a, b: ops.depthwise_conv(a, b, 2, "same"), x, k)
    float32_run(lambda a, b: ops.depthwise_conv(a, b), x, k)
    with pytest.raises(ValueError, match=r"depthwise_conv: the kernel's input channels \(axis -2, "
                                         r"2\) must equal the input's channels \(3\)"):
        ops.depthwise_conv(x, np.ones((3, 2, 1)))


def test_separable_conv():
    x, dk, pk = rand((2, 6, 6, 3), 1), rand((3, 3, 3, 2), 2), rand((1, 1, 6, 4), 3)
    ref = ref_conv2d(ref_depthwise2d(x, dk, (1, 1), "same", (1, 1)), pk, (1, 1), "valid", (1, 1))
    close(ops.separable_conv(x, dk, pk, padding="same").data, ref)
    assert_grads(lambda a, b, c: ops.separable_conv(a, b, c, 2, "same"), x, dk, pk)


CASES_T = [  # (input hw, kernel hw, strides, padding, dilation, output_padding)
    ((3, 4), (3, 3), (1, 1), "valid", (1, 1), None),
    ((3, 4), (3, 3), (2, 2), "same", (1, 1), None),
    ((3, 3), (2, 2), (2, 2), "valid", (1, 1), None),
    ((3, 2), (3, 2), (2, 3), "valid", (1, 1), None),
    ((2, 3), (4, 3), (2, 2), "same", (1, 1), None),
    ((3, 3), (3, 3), (2, 2), "same", (1, 1), (1, 0)),
    ((3, 3), (3, 2), (2, 3), "valid", (1, 1), (1, 2)),
    ((3, 4), (2, 3), (1, 1), "same", (2, 2), None),
    ((2, 2), (1, 1), (3, 3), "valid", (1, 1), None),
]


@pytest.mark.parametrize("hw,khw,s,padding,d,op", CASES_T, ids=str)
def test_conv_transpose_against_loops_and_gradients(hw, khw, s, padding, d, op):
    x = rand((2,) + hw + (3,), 1)
    k = rand(khw + (2, 3), 2)
    y = ops.conv_transpose(x, k, s, padding, output_padding=op, dilation_rate=d)
    close(y.data, ref_conv_transpose2d(x, k, s, padding, d, op), rtol=1e-10, atol=1e-12)
    assert_grads(lambda a, b: ops.conv_transpose(a, b, s, padding, op, dilation_rate=d), x, k)


@pytest.mark.parametrize("hw,khw,s,padding", [((3, 4), (3, 3), (2, 2), "same"),
                                              ((3, 4), (3, 2), (2, 3), "valid"),
                                              ((4, 4), (2, 2), (2, 2), "same")], ids=str)
def test_conv_transpose_is_the_adjoint_of_conv(hw, khw, s, padding):
    """TensorFlow defines conv2d_transpose as the gradient of conv2d: <conv(y), x> = <y, T(x)>."""
    x = rand((2,) + hw + (3,), 1)
    k = rand(khw + (2, 3), 2)
    t = ops.conv_transpose(x, k, s, padding).data
    y = rand(t.shape, 3)
    lhs = np.sum(ops.conv(y, k, s, padding).data * x)
    close(lhs, np.sum(y * t))


def test_conv_transpose_1d_float32_and_errors():
    x, k = rand((2, 4, 3), 1), rand((3, 2, 3), 2)
    ref = ref_conv_transpose2d(x[:, None], k[None], (1, 2), "same", (1, 1))[:, 0]
    close(ops.conv_transpose(x, k, 2, "same").data, ref)
    assert_grads(lambda a, b: ops.conv_transpose(a, b, 2, "valid"), x, k)
    float32_run(lambda a, b: ops.conv_transpose(a, b, 2), x, k)
    with pytest.raises(ValueError, match=r"conv_transpose: the kernel's input channels \(last "
                                         r"axis, 2\) must equal the input's channels \(3\)"):
        ops.conv_transpose(x, np.ones((3, 3, 2)), 1)
    with pytest.raises(ValueError, match=r"conv_transpose: output_padding \(2\) must be smaller "
                                         r"than the stride \(2\)"):
        ops.conv_transpose(x, k, 2, output_padding=2)


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), kh=st.integers(1, 3), kw=st.integers(1, 3),
       s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       d=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       padding=st.sampled_from(["valid", "same"]), c=st.sampled_from([1, 2]))
def test_conv2d_random_geometry(h, w, kh, kw, s, d, padding, c):
    if padding == "valid" and (h < (kh - 1) * d[0] + 1 or w < (kw - 1) * d[1] + 1):
        return
    x, k = rand((2, h, w, c), 1), rand((kh, kw, c, 2), 2)
    close(ops.conv(x, k, s, padding, dilation_rate=d).data, ref_conv2d(x, k, s, padding, d),
          rtol=1e-10, atol=1e-12)
    assert_grads(lambda a, b: ops.conv(a, b, s, padding, dilation_rate=d), x, k)
    t = ops.conv_transpose(x, k.transpose(0, 1, 3, 2), s, padding, dilation_rate=d).data
    close(t, ref_conv_transpose2d(x, k.transpose(0, 1, 3, 2), s, padding, d),
          rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("channels", [1, 3])
def test_conv_split_over_threads_matches_one_thread(monkeypatch, channels):
    from ember.ops import _parallel

    x = ember.Variable(rand((5, 7, 6, channels), 1))
    k = ember.Variable(rand((3, 3, channels, 4), 2))
    kt = ember.Variable(rand((3, 3, 2, channels), 3))
    b = ember.Variable(rand((4,), 4))

    def run():
        with ember.GradientTape() as tape:
            y = ops.conv(x, k, 1, "same")
            t = ops.conv_transpose(x, kt, 2, "same")
            f = ops.nn.conv_bias_act(x, k, b, relu=True, padding="same")
            loss = ops.sum(y * y) + ops.sum(t * t) + ops.sum(f * f)
        grads = tape.gradient(loss, [x, k, kt, b])
        return [y.numpy(), t.numpy(), f.numpy()] + [g.numpy() for g in grads]

    monkeypatch.setattr(_parallel, "THREADS", 1)
    one = run()
    monkeypatch.setattr(_parallel, "THREADS", 3)
    monkeypatch.setattr(_parallel, "MIN_BYTES", 0)
    for a, b in zip(one, run()):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("with_bias,relu", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("xs,ks,s,padding,fmt", [
    ((2, 6, 5, 3), (3, 3, 3, 4), 1, "same", None),
    ((2, 7, 6, 1), (3, 2, 1, 2), 2, "valid", None),
    ((2, 7, 3), (3, 3, 2), 1, "same", None),
    ((2, 3, 6, 5), (3, 3, 3, 4), 1, "valid", "channels_first"),
], ids=str)
def test_conv_bias_act_equals_conv_add_relu(with_bias, relu, xs, ks, s, padding, fmt):
    x = rand(xs, 1)
    k = rand(ks, 2)
    b = rand((ks[-1],), 3)
    bias_shape = (1, ks[-1]) + (1,) * (len(xs) - 2) if fmt else (ks[-1],)

    def composed(a, kk, bb):
        y = ops.conv(a, kk, s, padding, fmt)
        if with_bias:
            y = y + ops.reshape(bb, bias_shape)
        return ops.relu(y) if relu else y

    def fused(a, kk, bb):
        return ops.nn.conv_bias_act(a, kk, bb if with_bias else None, relu, s, padding, fmt)

    close(fused(x, k, b).data, composed(x, k, b).data)
    # away from the ReLU kink: shift the bias so no output is exactly at zero
    assert_grads(fused, x, k, b)
    y, grads = float32_run(fused, x, k, b)
    assert grads[0] is not None and grads[1] is not None
    assert (grads[2] is not None) == with_bias


def test_conv_bias_act_errors():
    with pytest.raises(ValueError, match=r"conv_bias_act: bias must have one value per output "
                                         r"channel, shape \(4,\). Received bias shape \(3,\)"):
        ops.nn.conv_bias_act(np.ones((1, 5, 5, 2)), np.ones((3, 3, 2, 4)), np.ones(3))
    with pytest.raises(ValueError, match=r"conv: the kernel's input channels"):
        ops.nn.conv_bias_act(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4)), np.ones(4), True)
