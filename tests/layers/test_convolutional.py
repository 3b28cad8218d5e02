"""Convolution layers: forward against direct loops, gradients, Keras weight layout, configs,
errors."""

import pytest
from layer_harness import assert_roundtrip, grad_check, rng, to_np, weight_table

from ember import layers
from ember.backend import np


# -- plain-NumPy references (direct loops on tiny inputs) ---------------------------------------
def _same_pads(size, k, s, d):
    k_eff = (k - 1) * d + 1
    out = -(-size // s)
    total = max((out - 1) * s + k_eff - size, 0)
    return total // 2, total - total // 2


def ref_conv2d(x, k, b=None, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    n, h, w, c = x.shape
    kh, kw, cg, f = k.shape
    if padding == "same":
        (pt, pb), (pl, pr) = _same_pads(h, kh, strides[0], dilation[0]), _same_pads(
            w, kw, strides[1], dilation[1])
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    hp, wp = x.shape[1:3]
    oh = (hp - (kh - 1) * dilation[0] - 1) // strides[0] + 1
    ow = (wp - (kw - 1) * dilation[1] - 1) // strides[1] + 1
    y = np.zeros((n, oh, ow, f))
    fg = f // groups
    for i in range(oh):
        for j in range(ow):
            for o in range(f):
                g = o // fg
                acc = 0.0
                for a in range(kh):
                    for bb in range(kw):
                        r, s = i * strides[0] + a * dilation[0], j * strides[1] + bb * dilation[1]
                        acc = acc + x[:, r, s, g * cg:(g + 1) * cg] @ k[a, bb, :, o]
                y[:, i, j, o] = acc
    return y if b is None else y + b


def ref_depthwise2d(x, k, strides=(1, 1), padding="valid"):
    n, h, w, c = x.shape
    kh, kw, _, m = k.shape
    out = np.zeros((n,) + ref_conv2d(x[..., :1], k[:, :, :1, :1], strides=strides,
                                     padding=padding).shape[1:3] + (c * m,))
    for ch in range(c):
        for mm in range(m):
            out[..., ch * m + mm] = ref_conv2d(x[..., ch:ch + 1], k[:, :, ch:ch + 1, mm:mm + 1],
                                               strides=strides, padding=padding)[..., 0]
    return out


def ref_conv2d_transpose(x, k, strides, padding):
    """Scatter each input pixel through the kernel (k is (kh, kw, out, in))."""
    n, h, w, cin = x.shape
    kh, kw, cout, _ = k.shape
    sh, sw = strides
    full = np.zeros((n, (h - 1) * sh + kh + sh, (w - 1) * sw + kw + sw, cout))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * sh + a, j * sw + b] += x[:, i, j] @ k[a, b].T
    if padding == "valid":
        oh, ow = h * sh + max(kh - sh, 0), w * sw + max(kw - sw, 0)
        return full[:, :oh, :ow]
    oh, ow = h * sh, w * sw
    bt = max((h - 1) * sh + kh - oh, 0) // 2
    bl = max((w - 1) * sw + kw - ow, 0) // 2
    return full[:, bt:bt + oh, bl:bl + ow]


def _set(layer, *weights):
    layer.set_weights([np.asarray(w, dtype=layer.weights[i].dtype) for i, w in enumerate(weights)])


# -- forward ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {},
    {"strides": 2},
    {"padding": "same"},
    {"padding": "same", "strides": 2},
    {"dilation_rate": 2},
    {"padding": "same", "dilation_rate": (2, 1)},
    {"groups": 2},
    {"use_bias": False},
])
def test_conv2d_matches_direct_loop(kwargs):
    r = rng(1)
    x = r.standard_normal((2, 7, 6, 4)).astype("float32")
    layer = layers.Conv2D(6, (3, 2), activation="relu", **kwargs)
    y = to_np(layer(x))
    k = layer.kernel.numpy()
    b = layer.bias.numpy() if layer.bias is not None else None
    ref = ref_conv2d(x.astype("float64"), k.astype("float64"), b,
                     strides=layer.strides, padding=layer.padding,
                     dilation=layer.dilation_rate, groups=layer.groups)
    np.testing.assert_allclose(y, np.maximum(ref, 0), rtol=1e-4, atol=1e-5)
    assert y.shape == layer.compute_output_shape((None, 7, 6, 4))[1:] or \
        y.shape[1:] == layer.compute_output_shape((None, 7, 6, 4))[1:]
    assert y.dtype == np.float32


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_matches_direct_loop(padding):
    r = rng(2)
    x = r.standard_normal((2, 9, 3)).astype("float32")
    layer = layers.Conv1D(4, 3, padding=padding, dilation_rate=2)
    y = to_np(layer(x))
    k = layer.kernel.numpy().astype("float64")
    x64 = x.astype("float64")
    if padding == "causal":
        x64 = np.pad(x64, ((0, 0), (4, 0), (0, 0)))
    ref = ref_conv2d(x64[:, None], k[None], layer.bias.numpy(), dilation=(1, 2),
                     padding="valid" if padding == "causal" else padding)[:, 0]
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    assert y.shape[1:] == layer.compute_output_shape((None, 9, 3))[1:]


def test_conv2d_channels_first():
    r = rng(3)
    x = r.standard_normal((2, 3, 6, 5)).astype("float32")
    layer = layers.Conv2D(4, 3, data_format="channels_first", padding="same")
    y = to_np(layer(x))
    ref = ref_conv2d(x.transpose(0, 2, 3, 1).astype("float64"), layer.kernel.numpy(),
                     layer.bias.numpy(), padding="same").transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    assert layer.compute_output_shape((None, 3, 6, 5)) == (None, 4, 6, 5)


@pytest.mark.parametrize("kwargs", [{}, {"strides": 2, "padding": "same"}, {"depth_multiplier": 2}])
def test_depthwise_conv2d_matches_direct_loop(kwargs):
    r = rng(4)
    x = r.standard_normal((2, 6, 5, 3)).astype("float32")
    layer = layers.DepthwiseConv2D(3, **kwargs)
    y = to_np(layer(x))
    ref = ref_depthwise2d(x.astype("float64"), layer.kernel.numpy().astype("float64"),
                          strides=layer.strides, padding=layer.padding) + layer.bias.numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


def test_separable_conv2d_is_depthwise_then_pointwise():
    r = rng(5)
    x = r.standard_normal((2, 6, 6, 3)).astype("float32")
    layer = layers.SeparableConv2D(5, 3, depth_multiplier=2, padding="same")
    y = to_np(layer(x))
    d = ref_depthwise2d(x.astype("float64"), layer.depthwise_kernel.numpy(), padding="same")
    ref = ref_conv2d(d, layer.pointwise_kernel.numpy(), layer.bias.numpy())
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("padding,strides,kernel", [
    ("valid", 1, 3), ("valid", 2, 3), ("same", 2, 3), ("same", 2, 4), ("valid", 3, 2)])
def test_conv2d_transpose_matches_scatter_loop(padding, strides, kernel):
    r = rng(6)
    x = r.standard_normal((2, 4, 3, 3)).astype("float32")
    layer = layers.Conv2DTranspose(2, kernel, strides=strides, padding=padding)
    y = to_np(layer(x))
    ref = ref_conv2d_transpose(x.astype("float64"), layer.kernel.numpy().astype("float64"),
                               layer.strides, padding) + layer.bias.numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    assert y.shape[1:] == layer.compute_output_shape((None, 4, 3, 3))[1:]


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    r = rng(7)
    x = r.standard_normal((1, 5, 5, 2))
    k = r.standard_normal((3, 3, 2, 4))
    conv = layers.Conv2D(4, 3, strides=2, use_bias=False, dtype="float64")
    conv(x)
    _set(conv, k)
    y = to_np(conv(x))
    g = r.standard_normal(y.shape)
    tr = layers.Conv2DTranspose(2, 3, strides=2, use_bias=False, output_padding=0,
                                dtype="float64")
    tr(g)
    _set(tr, k)  # same kernel: (kh, kw, in=2 -> as 'filters', 4 -> as input channels)
    back = to_np(tr(g))
    assert back.shape == x.shape
    np.testing.assert_allclose((y * g).sum(), (x * back).sum(), rtol=1e-10)


# -- gradients ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make,shape", [
    (lambda: layers.Conv2D(3, 2, activation="tanh", dtype="float64"), (2, 4, 4, 2)),
    (lambda: layers.Conv2D(2, 3, strides=2, padding="same", dtype="float64"), (1, 5, 4, 2)),
    (lambda: layers.Conv2D(3, 2, activation="relu", dtype="float64"), (2, 4, 4, 2)),
    (lambda: layers.Conv2D(4, 2, groups=2, dilation_rate=2, dtype="float64"), (1, 5, 5, 2)),
    (lambda: layers.Conv1D(2, 3, padding="causal", dtype="float64"), (2, 5, 2)),
    (lambda: layers.DepthwiseConv2D(2, depth_multiplier=2, dtype="float64"), (1, 4, 4, 2)),
    (lambda: layers.SeparableConv2D(3, 2, padding="same", dtype="float64"), (1, 4, 3, 2)),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64"),
     (1, 3, 2, 2)),
    (lambda: layers.Conv1DTranspose(2, 2, strides=2, dtype="float64"), (2, 3, 2)),
    (lambda: layers.Conv2D(2, 2, data_format="channels_first", dtype="float64"), (1, 2, 3, 3)),
])
def test_gradients(make, shape):
    grad_check(make(), rng(8).standard_normal(shape))


# -- weight layout as Keras ---------------------------------------------------------------------
KERAS_WEIGHTS = [
    (lambda: layers.Conv2D(32, 3), (None, 28, 28, 1),
     [("kernel", (3, 3, 1, 32)), ("bias", (32,))]),
    (lambda: layers.Conv2D(8, (3, 2), groups=2, use_bias=False), (None, 9, 9, 4),
     [("kernel", (3, 2, 2, 8))]),
    (lambda: layers.Conv1D(16, 5), (None, 20, 3), [("kernel", (5, 3, 16)), ("bias", (16,))]),
    (lambda: layers.Conv2DTranspose(6, 3), (None, 8, 8, 4),
     [("kernel", (3, 3, 6, 4)), ("bias", (6,))]),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (None, 8, 8, 4),
     [("kernel", (3, 3, 4, 2)), ("bias", (8,))]),
    (lambda: layers.SeparableConv2D(10, 3, depth_multiplier=2), (None, 8, 8, 4),
     [("depthwise_kernel", (3, 3, 4, 2)), ("pointwise_kernel", (1, 1, 8, 10)),
      ("bias", (10,))]),
    (lambda: layers.SeparableConv1D(10, 3), (None, 8, 4),
     [("depthwise_kernel", (3, 4, 1)), ("pointwise_kernel", (1, 4, 10)), ("bias", (10,))]),
]


@pytest.mark.parametrize("make,input_shape,expected", KERAS_WEIGHTS)
def test_weight_names_shapes_and_order(make, input_shape, expected):
    layer = make()
    layer.build(input_shape)
    assert weight_table(layer) == expected
    assert all(w.trainable for w in layer.weights)


def test_conv2d_config_has_keras_keys():
    cfg = layers.Conv2D(32, 3).get_config()
    assert list(cfg) == [
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding",
        "data_format", "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer",
        "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint"]
    assert cfg["kernel_size"] == [3, 3] and cfg["strides"] == [1, 1]
    assert cfg["dilation_rate"] == [1, 1] and cfg["padding"] == "valid"
    assert cfg["activation"] == "linear" and cfg["activity_regularizer"] is None
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert cfg["bias_initializer"]["class_name"] == "Zeros"


# -- config round trip --------------------------------------------------------------------------
@pytest.mark.parametrize("make,shape", [
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                           kernel_regularizer="l2"), (2, 7, 7, 3)),
    (lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 9, 3)),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=1), (2, 4, 4, 3)),
    (lambda: layers.Conv1DTranspose(4, 3), (2, 4, 3)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, activation="tanh"), (2, 6, 6, 3)),
    (lambda: layers.DepthwiseConv1D(3), (2, 6, 3)),
    (lambda: layers.SeparableConv2D(5, 3, use_bias=False), (2, 6, 6, 3)),
    (lambda: layers.SeparableConv1D(5, 3), (2, 6, 3)),
])
def test_config_round_trip(make, shape):
    assert_roundtrip(make(), rng(9).standard_normal(shape).astype("float32"))


# -- errors -------------------------------------------------------------------------------------
def test_kernel_larger_than_input_names_layer_and_shape():
    layer = layers.Conv2D(4, 5, name="big_kernel")
    with pytest.raises(ValueError, match=r"Conv2D 'big_kernel'.*\(None, 3, 3, 1\)|"
                                         r"Conv2D 'big_kernel'.*\(2, 3, 3, 1\)"):
        layer(np.zeros((2, 3, 3, 1), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'big_kernel'.*larger.*\(None, 4, 2, 1\)"):
        layers.Conv2D(4, 5, name="big_kernel").compute_output_shape((None, 4, 2, 1))
    # with 'same' padding it fits
    assert layers.Conv2D(4, 5, padding="same").compute_output_shape((None, 3, 3, 1)) == (
        None, 3, 3, 4)


def test_wrong_rank_names_layer_and_shape():
    layer = layers.Conv2D(4, 3, name="c2")
    with pytest.raises(ValueError, match=r"Conv2D 'c2'.*rank 4.*\(2, 8, 3\)"):
        layer(np.zeros((2, 8, 3), dtype="float32"))
    layer = layers.Conv1D(4, 3, name="c1")
    layer(np.zeros((2, 8, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv1D 'c1'.*ndim=3.*\(2, 8, 8, 3\)"):
        layer(np.zeros((2, 8, 8, 3), dtype="float32"))


def test_wrong_channel_count_after_build():
    layer = layers.Conv2D(4, 3, name="cc")
    layer(np.zeros((1, 5, 5, 3), dtype="float32"))
    with pytest.raises(ValueError, match=r"Conv2D 'cc'.*\(1, 5, 5, 2\)"):
        layer(np.zeros((1, 5, 5, 2), dtype="float32"))


@pytest.mark.parametrize("make,match", [
    (lambda: layers.Conv2D(-3, 3), r"Conv2D.*filters.*-3"),
    (lambda: layers.Conv2D(0, 3), r"Conv2D.*filters.*0"),
    (lambda: layers.Conv2D(4, 0), r"Conv2D.*kernel_size.*0"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), r"Conv2D.*kernel_size"),
    (lambda: layers.Conv2D(4, 3, padding="full"), r"Conv2D.*padding.*full"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), r"Conv2D.*padding.*causal"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), r"Conv2D.*strides.*dilation"),
    (lambda: layers.Conv2D(6, 3, groups=4), r"Conv2D.*groups"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"DepthwiseConv2D.*depth_mult"),
    (lambda: layers.SeparableConv2D(-1, 3), r"SeparableConv2D.*filters"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2),
     r"Conv2DTranspose.*output_padding"),
    (lambda: layers.Conv2D(4, 3, data_format="nhwc"), r"Conv2D.*data_format"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"Conv2D 'g'.*channels \(3\).*groups=2.*\(1, 5, 5, 3\)"):
        layers.Conv2D(4, 3, groups=2, name="g")(np.zeros((1, 5, 5, 3), dtype="float32"))


def test_symbolic_call_and_unknown_channels():
    from ember.layers import Input

    x = Input((28, 28, 1))
    y = layers.Conv2D(8, 3, strides=2)(x)
    assert y.shape == (None, 13, 13, 8)
    with pytest.raises(ValueError, match=r"Conv2D 'nc'.*channel axis.*\(None, 5, 5, None\)"):
        layers.Conv2D(2, 3, name="nc").build((None, 5, 5, None))


# -- real-data training ---------------------------------------------------------------------------
def test_convnet_learns_mnist(mnist_arrays):
    """Keras's simple MNIST convnet on a 12,000-image subset reaches >= 0.97 on the test set."""
    import ember

    (x, y), (xt, yt) = mnist_arrays
    x = (x[:12000] / np.float32(255.0)).astype("float32")[..., None]
    xt = (xt / np.float32(255.0)).astype("float32")[..., None]
    ember.utils.set_random_seed(0)
    model = ember.Sequential([
        ember.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=ember.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y[:12000], batch_size=64, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    _, accuracy = model.evaluate(xt, yt, batch_size=500, verbose=0)
    assert accuracy >= 0.97
