"""3D convolution, pooling and reshaping layers, and the adaptive poolings: what the layer
parity harness does not cover (finite-difference gradients of the 3D ops against direct loops,
float32 kept, training, error messages, ``.keras`` files both ways with Keras, ONNX export)."""

import os

import numpy as np
import pytest

import ember
from ember import layers, ops
from ember.autodiff.gradcheck import check_gradients
from ember.ops import volumetric


def _rand(shape, seed=0, dtype="float64"):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape).astype(dtype)


def _np(t):
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


# -- the 3D ops against direct loops ----------------------------------------------------------
def _same_pads(size, k, s, d=1):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return out, total // 2


def ref_conv3d(x, k, s, padding, d):
    n, *sp, c = x.shape
    ks = k.shape[:3]
    outs, befores = [], []
    for size, kk, ss, dd in zip(sp, ks, s, d):
        if padding == "same":
            o, b = _same_pads(size, kk, ss, dd)
        else:
            o, b = (size - (kk - 1) * dd - 1) // ss + 1, 0
        outs.append(o)
        befores.append(b)
    y = np.zeros((n, *outs, k.shape[-1]))
    for idx in np.ndindex(*outs):
        for kidx in np.ndindex(*ks):
            pos = [i * ss - b + j * dd for i, ss, b, j, dd in zip(idx, s, befores, kidx, d)]
            if all(0 <= p < size for p, size in zip(pos, sp)):
                y[(slice(None),) + idx] += x[(slice(None),) + tuple(pos)] @ k[kidx]
    return y


def ref_pool3d(x, pool, s, padding, mode):
    n, *sp, c = x.shape
    outs, befores = [], []
    for size, kk, ss in zip(sp, pool, s):
        o, b = _same_pads(size, kk, ss) if padding == "same" else ((size - kk) // ss + 1, 0)
        outs.append(o)
        befores.append(b)
    y = np.zeros((n, *outs, c))
    for idx in np.ndindex(*outs):
        lo = [max(i * ss - b, 0) for i, ss, b in zip(idx, s, befores)]
        hi = [min(i * ss - b + kk, size) for i, ss, b, kk, size in zip(idx, s, befores, pool, sp)]
        win = x[:, lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
        y[(slice(None),) + idx] = win.max(axis=(1, 2, 3)) if mode == "max" \
            else win.mean(axis=(1, 2, 3))
    return y


@pytest.mark.parametrize("s,padding,d", [((1, 1, 1), "valid", (1, 1, 1)),
                                         ((2, 1, 2), "same", (1, 1, 1)),
                                         ((1, 1, 1), "same", (2, 1, 2))])
def test_conv3d_matches_loops_and_gradients(s, padding, d):
    x = _rand((2, 5, 4, 5, 2), 1)
    k = _rand((3, 2, 2, 2, 3), 2)
    y = volumetric.conv3d(x, k, s, padding, dilation_rate=d)
    np.testing.assert_allclose(_np(y), ref_conv3d(x, k, s, padding, d), atol=1e-10)
    assert check_gradients(lambda a, b: volumetric.conv3d(a, b, s, padding, dilation_rate=d),
                           [x, k], eps=1e-6, tolerance=1e-5)


def test_conv3d_transpose_is_the_adjoint_of_conv3d():
    """<conv3d(x, k), y> == <x, conv3d_transpose(y, k)> for a geometry where both sizes meet."""
    x = _rand((2, 6, 6, 6, 2), 3)
    k = _rand((3, 2, 3, 2, 4), 4)
    for s, padding in [((2, 1, 2), "same"), ((1, 2, 1), "valid")]:
        y = _np(volumetric.conv3d(x, k, s, padding))
        g = _rand(y.shape, 5)
        # the transposed kernel is (kd, kh, kw, out=in_channels, in=filters)
        xt = _np(volumetric.conv3d_transpose(g, k, s, padding, output_padding=None))
        np.testing.assert_allclose((y * g).sum(), (x * xt).sum(), rtol=1e-10)
    assert check_gradients(lambda a, b: volumetric.conv3d_transpose(a, b, 2, "same"),
                           [_rand((1, 3, 2, 3, 4), 6), k], eps=1e-6, tolerance=1e-5)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("pool,s,padding", [((2, 2, 2), (2, 2, 2), "valid"),
                                            ((3, 2, 3), (2, 1, 2), "same")])
def test_pool3d_matches_loops_and_gradients(mode, pool, s, padding):
    fn = volumetric.max_pool3d if mode == "max" else volumetric.average_pool3d
    x = _rand((2, 5, 4, 5, 2), 7)
    np.testing.assert_allclose(_np(fn(x, pool, s, padding)), ref_pool3d(x, pool, s, padding, mode),
                               atol=1e-12)
    assert check_gradients(lambda a: fn(a, pool, s, padding), [x], eps=1e-6, tolerance=1e-5)


@pytest.mark.parametrize("make,shape", [
    (lambda: layers.Conv3D(3, 2, padding="same"), (2, 4, 4, 4, 2)),
    (lambda: layers.Conv3DTranspose(3, 2, strides=2), (2, 3, 3, 3, 2)),
    (lambda: layers.MaxPooling3D(), (2, 4, 4, 4, 2)),
    (lambda: layers.AveragePooling3D(3, 2, "same", "channels_first"), (2, 2, 5, 5, 5)),
    (lambda: layers.AdaptiveAveragePooling3D((2, 3, 1)), (2, 5, 5, 5, 2)),
    (lambda: layers.AdaptiveMaxPooling2D(3), (2, 7, 5, 2)),
])
def test_float32_in_float32_out_with_float32_gradients(make, shape):
    layer = make()
    x = ember.Variable(_rand(shape, 8, "float32"))
    with ember.GradientTape() as tape:
        y = layer(x)
        loss = ops.sum(ops.square(y))
    grads = tape.gradient(loss, [x] + list(layer.trainable_weights))
    assert y.dtype == np.float32
    assert all(g is not None and g.dtype == np.float32 for g in grads)


def test_a_3d_model_trains():
    model = ember.Sequential([
        ember.Input((6, 6, 6, 1)), layers.Conv3D(4, 3, activation="relu"),
        layers.MaxPooling3D(), layers.Conv3DTranspose(2, 2, strides=2),
        layers.GlobalAveragePooling3D(), layers.Dense(1)])
    x = _rand((16, 6, 6, 6, 1), 9, "float32")
    y = x.mean(axis=(1, 2, 3))
    model.compile(optimizer="adam", loss="mse")
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first


def test_adaptive_pooling_windows_and_symbolic_shape():
    x = np.arange(7, dtype="float32").reshape(1, 7, 1)
    # windows [0, 3), [2, 5), [4, 7)
    np.testing.assert_allclose(_np(layers.AdaptiveAveragePooling1D(3)(x))[0, :, 0], [1, 3, 5])
    np.testing.assert_allclose(_np(layers.AdaptiveMaxPooling1D(3)(x))[0, :, 0], [2, 4, 6])
    inp = ember.Input((None, None, 3))
    assert layers.AdaptiveMaxPooling2D((2, 4))(inp).shape == (None, 2, 4, 3)
    inp = ember.Input((3, None, None, None))
    out = layers.AdaptiveAveragePooling3D(2, data_format="channels_first")(inp)
    assert out.shape == (None, 3, 2, 2, 2)


# -- errors ------------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match=r"Conv3D 'c3' expects inputs of rank 5"):
        layers.Conv3D(2, 2, name="c3")(np.zeros((1, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match="`strides > 1` is not supported together"):
        layers.Conv3D(2, 2, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"`kernel_size` must be an int or a tuple of 3"):
        layers.Conv3D(2, (2, 2))
    with pytest.raises(ValueError, match="is larger than the input"):
        layers.Conv3D(2, 5)(np.zeros((1, 4, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match="`output_padding` must be smaller than `strides`"):
        layers.Conv3DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="is larger than the input"):
        layers.MaxPooling3D(3)(np.zeros((1, 2, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match=r"removes every element of axis 2"):
        layers.Cropping3D(((0, 0), (2, 2), (0, 0)))(np.zeros((1, 4, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match=r"`padding` must be an int, a tuple of 3 ints"):
        layers.ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match=r"`size` must be an int or a tuple of 3"):
        layers.UpSampling3D((2, 2))
    with pytest.raises(TypeError, match=r"`output_size` must be an integer or tuple of 2"):
        layers.AdaptiveAveragePooling2D("2")
    with pytest.raises(ValueError, match=r"`output_size` tuple must have length 3"):
        layers.AdaptiveMaxPooling3D((2, 2))
    with pytest.raises(ValueError, match=r"expects inputs of rank 4"):
        layers.AdaptiveMaxPooling2D(2)(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match=r"conv3d: inputs must have rank 5"):
        volumetric.conv3d(np.zeros((1, 4, 4, 2)), np.zeros((2, 2, 2, 2, 1)))
    with pytest.raises(ValueError, match=r"input channels"):
        volumetric.conv3d(np.zeros((1, 4, 4, 4, 2)), np.zeros((2, 2, 2, 3, 1)))


# -- .keras files both ways with Keras ---------------------------------------------------------
def _model():
    inp = ember.Input((6, 6, 6, 2))
    x = layers.ZeroPadding3D(((1, 0), (0, 1), (1, 1)))(inp)
    x = layers.Conv3D(4, 3, strides=(1, 2, 1), padding="same", activation="relu")(x)
    x = layers.Cropping3D(((1, 0), (0, 0), (1, 1)))(x)
    x = layers.AveragePooling3D(2, padding="same")(x)
    x = layers.UpSampling3D((2, 1, 2))(x)
    x = layers.Conv3DTranspose(3, 2, strides=2, data_format="channels_first")(x)
    x = layers.MaxPooling3D(2, strides=1)(x)
    x = layers.AdaptiveAveragePooling3D((2, 1, 3))(x)
    x = layers.AdaptiveMaxPooling3D(1)(x)
    out = layers.GlobalMaxPooling3D()(x)
    return ember.Model(inp, layers.Dense(2)(out))


def test_keras_files_both_ways(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras", reason="keras (with a backend) is not installed")
    from ember.saving import load_model

    model = _model()
    x = _rand((3, 6, 6, 6, 2), 10, "float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, _rand((3, 2), 11, "float32"), epochs=1, verbose=0)
    model.save(tmp_path / "ours.keras")
    theirs = keras.saving.load_model(tmp_path / "ours.keras")
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), expected, atol=1e-5)
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in model.get_weights()]
    theirs.save(tmp_path / "theirs.keras")
    back = load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, atol=1e-5)


# -- ONNX export -------------------------------------------------------------------------------
def test_onnx_exports_conv_and_pooling_and_refuses_the_rest():
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from ember.export import ExportError, build_onnx_model, compare_with_onnxruntime

    model = ember.Sequential([
        ember.Input((5, 5, 5, 2)), layers.Conv3D(3, 2, padding="same", activation="relu"),
        layers.MaxPooling3D(2, strides=1), layers.AveragePooling3D(2, padding="same"),
        layers.GlobalAveragePooling3D()])
    compare_with_onnxruntime(model, build_onnx_model(model))
    for make in (lambda: layers.Conv3DTranspose(2, 2), lambda: layers.Cropping3D(),
                 lambda: layers.ZeroPadding3D(), lambda: layers.UpSampling3D(),
                 lambda: layers.AdaptiveAveragePooling3D(2),
                 lambda: layers.AdaptiveMaxPooling3D(2)):
        m = ember.Sequential([ember.Input((4, 4, 4, 2)), make()])
        with pytest.raises(ExportError, match="Cannot export .* to ONNX"):
            build_onnx_model(m)
